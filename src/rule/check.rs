//! `keyhound rules list` and `keyhound rules check`: what each rule is and where it comes from,
//! and proof that each rule does what its examples say. The examples run through the production
//! detector (prefilter, entropy floor and allowlist included, not the bare regex), which the
//! caller hands in as a `Probe`, so that rule data never depends on the engine.

use super::Rule;

/// One line per rule: id, severity, name, source.
pub(crate) fn list(rules: &[&Rule], generic: &dyn Fn(&str) -> bool) -> Vec<String> {
    rules
        .iter()
        .map(|r| {
            let line = format!(
                "{:<36} {:<9} {:<48} {}",
                r.id,
                r.severity.as_str(),
                r.name,
                r.source
            );
            if generic(r.id) {
                format!("{line}  (generic: off unless --enable-rule {})", r.id)
            } else {
                line
            }
        })
        .collect()
}

/// What the checks ask of the detector.
pub(crate) trait Probe {
    /// The rule ids of the findings in `text`, in report order.
    fn finding_rules(&self, text: &str) -> Vec<&'static str>;
    /// Whether `text` holds one of the keywords of rule `id`, as the prefilter sees them.
    fn has_keyword(&self, id: &str, text: &str) -> bool;
}

/// A rule and its examples, as `check` reads them.
pub(crate) struct Examples<'a> {
    /// Where the rule is defined (for messages).
    pub source: &'a str,
    pub id: &'a str,
    /// The prefilter keywords of a pattern rule; `None` for an AWS rule, whose detection is
    /// code: its examples must give exactly one finding, of this rule and no other.
    pub keywords: Option<&'a [String]>,
    pub examples: &'a [String],
    pub negative_examples: &'a [String],
    /// Whether the rule must have examples (rule files) or may go without (a project
    /// configuration's own rules); those it has are checked either way.
    pub examples_required: bool,
}

/// Checks every rule's examples; returns the problems found (empty when all is well).
pub(crate) fn check(rules: &[Examples<'_>], probe: &dyn Probe) -> Vec<String> {
    let mut problems = Vec::new();
    for r in rules {
        let at = |msg: String| format!("{}: rule {:?}: {msg}", r.source, r.id);
        match r.keywords {
            None if r.examples.is_empty() || r.negative_examples.is_empty() => {
                problems.push(at("needs examples and negative examples".into()));
            }
            None => {}
            Some(keywords) => {
                if keywords.is_empty() {
                    problems.push(at("needs keywords for the prefilter".into()));
                }
                if r.examples_required && r.examples.is_empty() {
                    problems.push(at("needs at least one example".into()));
                }
                if r.examples_required && r.negative_examples.is_empty() {
                    problems.push(at("needs at least one negative example".into()));
                }
            }
        }
        for (n, ex) in r.examples.iter().enumerate() {
            problems.extend(check_example(r, n + 1, ex, probe).into_iter().map(&at));
        }
        for (n, ex) in r.negative_examples.iter().enumerate() {
            let mine = probe
                .finding_rules(ex)
                .iter()
                .filter(|&&id| id == r.id)
                .count();
            if mine != 0 {
                problems.push(at(format!(
                    "negative example {}: expected no finding, got {mine}",
                    n + 1
                )));
            }
        }
    }
    problems
}

/// The problems with example `n` of rule `r`.
fn check_example(r: &Examples<'_>, n: usize, ex: &str, probe: &dyn Probe) -> Vec<String> {
    let found = probe.finding_rules(ex);
    let Some(keywords) = r.keywords else {
        return if found == [r.id] {
            Vec::new()
        } else {
            vec![format!(
                "example {n}: expected 1 finding of this rule, got {found:?}"
            )]
        };
    };
    let mut problems = Vec::new();
    if !probe.has_keyword(r.id, ex) {
        problems.push(format!(
            "example {n}: holds none of the keywords {keywords:?}, so the prefilter would skip it"
        ));
    }
    let mine = found.iter().filter(|&&id| id == r.id).count();
    if mine != 1 {
        problems.push(format!(
            "example {n}: expected 1 finding of this rule, got {mine}"
        ));
    }
    for other in found.iter().filter(|&&id| id != r.id) {
        problems.push(format!("example {n}: also matched by rule {other:?}"));
    }
    problems
}
