//! `keyhound rules list` and `keyhound rules check`: what each rule is and where it comes from,
//! and proof that each rule does what its examples say, through the production detector (the
//! keyword prefilter, the entropy floor and the allowlist included, not the bare regex).

use super::set::RuleSet;
use crate::detect::Detector;
use crate::pair::Place;

/// One line per rule: id, severity, name, source.
pub fn list(set: &RuleSet) -> Vec<String> {
    let mut out: Vec<String> = super::aws_rules()
        .iter()
        .map(|r| {
            format!(
                "{:<36} {:<9} {:<48} {}",
                r.id,
                r.severity.as_str(),
                r.name,
                r.source
            )
        })
        .collect();
    for r in set.rules() {
        let m = r.meta;
        out.push(format!(
            "{:<36} {:<9} {:<48} {}",
            m.id,
            m.severity.as_str(),
            m.name,
            m.source
        ));
    }
    out
}

/// Checks every rule of `set`, and with `aws` the AWS rules of `rules/aws.toml` too; returns
/// the problems found (empty when all is well).
pub fn check(set: RuleSet, aws: bool) -> Vec<String> {
    let mut problems = Vec::new();
    for r in set.rules() {
        if r.regex().is_none() {
            problems.push(format!(
                "{}: rule {:?}: pattern: too large to compile",
                r.meta.source, r.meta.id
            ));
        }
    }
    let specs: Vec<(String, super::file::RuleSpec)> = set
        .rules()
        .iter()
        .map(|r| (r.meta.source.to_string(), r.spec.clone()))
        .collect();
    let detector = Detector::new(set);
    let run = |text: &str| {
        detector
            .detect(
                text.as_bytes(),
                Place {
                    path: "example",
                    commit: None,
                },
            )
            .findings
    };
    // The AWS rules: each example gives exactly one finding of its rule and no other, each
    // negative example none of its rule.
    let aws_specs = if aws {
        super::aws::aws().specs.clone()
    } else {
        Vec::new()
    };
    for spec in &aws_specs {
        let at = |msg: String| format!("{}: rule {:?}: {msg}", super::aws::FILE, spec.id);
        if spec.examples.is_empty() || spec.negative_examples.is_empty() {
            problems.push(at("needs examples and negative examples".into()));
        }
        for (n, ex) in spec.examples.iter().enumerate() {
            let found = run(ex);
            let ids: Vec<&str> = found.iter().map(|f| f.rule.id).collect();
            if ids != [spec.id.as_str()] {
                problems.push(at(format!(
                    "example {}: expected 1 finding of this rule, got {ids:?}",
                    n + 1
                )));
            }
        }
        for (n, ex) in spec.negative_examples.iter().enumerate() {
            let mine = run(ex).iter().filter(|f| f.rule.id == spec.id).count();
            if mine != 0 {
                problems.push(at(format!(
                    "negative example {}: expected no finding, got {mine}",
                    n + 1
                )));
            }
        }
    }
    for (source, spec) in &specs {
        let at = |msg: String| format!("{source}: rule {:?}: {msg}", spec.id);
        if spec.keywords.is_empty() {
            problems.push(at("needs keywords for the prefilter".into()));
        }
        if spec.examples.is_empty() {
            problems.push(at("needs at least one example".into()));
        }
        if spec.negative_examples.is_empty() {
            problems.push(at("needs at least one negative example".into()));
        }
        for (n, ex) in spec.examples.iter().enumerate() {
            if !spec.keyword_in(ex) {
                problems.push(at(format!(
                    "example {}: holds none of the keywords {:?}, so the prefilter would skip it",
                    n + 1,
                    spec.keywords
                )));
            }
            let found = run(ex);
            let mine = found.iter().filter(|f| f.rule.id == spec.id).count();
            if mine != 1 {
                problems.push(at(format!(
                    "example {}: expected 1 finding of this rule, got {mine}",
                    n + 1
                )));
            }
            for other in found.iter().filter(|f| f.rule.id != spec.id) {
                problems.push(at(format!(
                    "example {}: also matched by rule {:?}",
                    n + 1,
                    other.rule.id
                )));
            }
        }
        for (n, ex) in spec.negative_examples.iter().enumerate() {
            let found = run(ex);
            let mine = found.iter().filter(|f| f.rule.id == spec.id).count();
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
