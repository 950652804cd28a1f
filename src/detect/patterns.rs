//! `RuleSet`: the pattern rules (built in and from rule files), compiled. The prefilter finds
//! every rule keyword in a blob (see `prefilter`); only the rules whose keywords occur run their
//! regex, so the cost of a blob does not grow with the number of rules that cannot match it. A
//! match becomes a `RuleMatch` only when its captured secret passes the rule's entropy floor
//! and allowlist.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::OnceLock;

use regex::bytes::Regex;

use super::literal::exact_keywords_in;
use super::prefilter::Needles;
use super::size;
use crate::error::{Error, Result};
use crate::rule::file::{self, RuleSpec};
use crate::rule::{shannon_entropy, Rule, Stopwords};

/// A rule ready to run.
pub(crate) struct CompiledRule {
    pub meta: &'static Rule,
    pub spec: RuleSpec,
    /// Compiled on first use: most runs (a pre-commit hook above all) trigger few rules, and
    /// compiling every pattern up front would cost more than the scan.
    regex: std::sync::OnceLock<Option<Regex>>,
    /// Paths the rule is limited to.
    path: Option<regex::Regex>,
    stopwords: Stopwords,
    allow: Vec<Regex>,
    /// Its keywords are searched as written (`literal::exact_keywords`).
    exact: bool,
}

/// The keyword prefilter: every occurrence of every keyword, in one search per group of
/// needles (see `needles`). Keywords are case-insensitive, but a keyword that every match of its
/// rule's pattern contains in its written spelling (`ghp_`, `-----BEGIN RSA PRIVATE KEY`: see
/// `literal`) is searched exactly as written, on the blob itself; only the others are searched
/// in a lowercased copy, made only when there are such keywords.
struct Keywords {
    /// The exact needles as (bytes, keyword index), for a caller that searches them together
    /// with needles of its own (`Detector`).
    exact_list: Vec<(Vec<u8>, usize)>,
    /// Their own search, built on first use: a caller that searches them itself never needs
    /// it. (If it cannot be built, every exact keyword counts as found: no rule goes unrun.)
    exact: OnceLock<Result<Option<Needles>>>,
    folded: Option<Needles>,
}

impl Keywords {
    /// `keywords` are (keyword as written, searched exactly).
    fn build(keywords: &[(String, bool)]) -> Result<Keywords> {
        let (mut exact, mut folded) = (Vec::new(), Vec::new());
        for (i, (k, is_exact)) in keywords.iter().enumerate() {
            if *is_exact {
                exact.push((k.as_bytes().to_vec(), i));
            } else {
                folded.push((k.to_ascii_lowercase().into_bytes(), i));
            }
        }
        Ok(Keywords {
            exact_list: exact,
            exact: OnceLock::new(),
            folded: Needles::build(folded, true)?,
        })
    }

    /// Calls `hit(keyword index)` for each keyword occurrence found; the exact keywords only
    /// when `exact` is set.
    fn each(&self, data: &[u8], exact: bool, mut hit: impl FnMut(usize)) {
        if exact {
            let search = self
                .exact
                .get_or_init(|| Needles::build(self.exact_list.clone(), false));
            match search {
                Ok(Some(n)) => n.each(data, &mut |k, _, _| hit(k)),
                Ok(None) => {}
                Err(_) => self.exact_list.iter().for_each(|(_, k)| hit(*k)),
            }
        }
        if let Some(n) = &self.folded {
            let mut hit = |k: usize, _: usize, _: usize| hit(k);
            if n.needs_lowercase() {
                n.each(&data.to_ascii_lowercase(), &mut hit);
            } else {
                n.each(data, &mut hit);
            }
        }
    }
}

/// One rule match in a blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RuleMatch {
    pub rule: usize,
    /// Span of the captured secret.
    pub span: Range<usize>,
    pub value: String,
}

/// Every loaded rule, with the keyword prefilter.
pub(crate) struct RuleSet {
    rules: Vec<CompiledRule>,
    keywords: Option<Keywords>,
    /// Rules triggered by each keyword pattern.
    keyword_rules: Vec<Vec<usize>>,
    /// Rules without keywords (imported ones may have none): they run on every blob.
    always: Vec<usize>,
    /// Rule index by id.
    by_id: HashMap<&'static str, usize>,
}

impl RuleSet {
    /// No rules at all.
    #[cfg(test)]
    pub(crate) fn empty() -> RuleSet {
        RuleSet {
            rules: Vec::new(),
            keywords: None,
            keyword_rules: Vec::new(),
            always: Vec::new(),
            by_id: HashMap::new(),
        }
    }

    /// The rules built into the binary (every file in `rules/`).
    #[cfg(test)]
    pub(crate) fn builtin() -> Result<RuleSet> {
        RuleSet::from_specs(crate::rule::builtin::specs()?)
    }

    /// Loads and compiles rule files given as (name, text). Ids must be unique across all files
    /// (and must not collide with the AWS rules built into the code).
    pub(crate) fn from_files(files: &[(String, String)]) -> Result<RuleSet> {
        let mut specs = Vec::new();
        for (name, text) in files {
            let parsed = file::parse(name, text).map_err(|e| {
                if toml::from_str::<toml::Table>(text).is_ok_and(|t| t.contains_key("aws")) {
                    Error::config(
                        name,
                        "aws",
                        format!(
                            "AWS rules ([aws]) are built into keyhound and cannot be loaded from \
                             a file; `keyhound rules check` without a file checks the built-in {}",
                            crate::aws::FILE
                        ),
                    )
                } else {
                    e
                }
            })?;
            specs.extend(parsed.rules.into_iter().map(|s| (name.clone(), s)));
        }
        RuleSet::from_specs(specs)
    }

    /// Compiles parsed rules given as (source name, rule).
    pub(crate) fn from_specs(specs: Vec<(String, RuleSpec)>) -> Result<RuleSet> {
        let mut rules: Vec<CompiledRule> = Vec::new();
        let mut ids: HashSet<String> = crate::aws::IDS.iter().map(|s| s.to_string()).collect();
        for (name, spec) in specs {
            let hir = file::validate(&name, &spec)?;
            let exact = exact_keywords_in(&spec, &hir);
            if !ids.insert(spec.id.clone()) {
                return Err(Error::rule(&name, &spec.id, "id", "defined twice"));
            }
            let eager = size::nfa_bound(&hir) > EAGER_BOUND;
            rules.push(compile(&name, spec, exact, eager)?);
        }
        rules.sort_by(|a, b| a.meta.id.cmp(b.meta.id));
        // Distinct (keyword, exact) pairs: a keyword one rule proves exact and another does not
        // is searched both ways, each triggering its own rules.
        let mut patterns: Vec<(String, bool)> = Vec::new();
        let mut index: HashMap<(String, bool), usize> = HashMap::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            for k in &r.spec.keywords {
                let key = if r.exact {
                    (k.clone(), true)
                } else {
                    (k.to_ascii_lowercase(), false)
                };
                let p = *index.entry(key.clone()).or_insert_with(|| {
                    patterns.push(key);
                    keyword_rules.push(Vec::new());
                    patterns.len() - 1
                });
                if let Some(v) = keyword_rules.get_mut(p) {
                    if v.last() != Some(&i) {
                        v.push(i);
                    }
                }
            }
        }
        let keywords = if patterns.is_empty() {
            None
        } else {
            Some(Keywords::build(&patterns)?)
        };
        let always = (0..rules.len())
            .filter(|&i| rules.get(i).is_some_and(|r| r.spec.keywords.is_empty()))
            .collect();
        let by_id = rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.meta.id, i))
            .collect();
        Ok(RuleSet {
            rules,
            keywords,
            keyword_rules,
            always,
            by_id,
        })
    }

    /// The rules, sorted by id.
    pub(crate) fn rules(&self) -> &[CompiledRule] {
        &self.rules
    }

    /// Every accepted match in `data`, sorted by position.
    #[cfg(test)]
    fn matches(&self, data: &[u8]) -> Vec<RuleMatch> {
        self.matches_at(data, None)
    }

    /// Like `matches`, for a blob at `path` (rules limited to other paths do not run).
    pub(crate) fn matches_at(&self, data: &[u8], path: Option<&str>) -> Vec<RuleMatch> {
        self.matches_with(data, path, None)
    }

    /// The keywords searched as written, as (bytes, keyword index): a caller that finds them
    /// itself passes the indices found to `matches_with`.
    pub(crate) fn exact_needles(&self) -> &[(Vec<u8>, usize)] {
        self.keywords
            .as_ref()
            .map_or(&[], |k| k.exact_list.as_slice())
    }

    /// Like `matches_at`; with `exact_found`, the exact keywords found in `data` (indices of
    /// `exact_needles`) are taken from there instead of being searched again.
    pub(crate) fn matches_with(
        &self,
        data: &[u8],
        path: Option<&str>,
        exact_found: Option<&[usize]>,
    ) -> Vec<RuleMatch> {
        if self.rules.is_empty() {
            return Vec::new();
        }
        let triggered = self.triggered(data, exact_found);
        let mut out = Vec::new();
        for i in triggered {
            let Some(rule) = self.rules.get(i) else {
                continue;
            };
            if let (Some(only), Some(p)) = (&rule.path, path) {
                if !only.is_match(p) {
                    continue;
                }
            }
            rule.matches(i, data, &mut out);
        }
        out.sort_by_key(|m| (m.span.start, m.rule));
        out.dedup_by(|b, a| a.rule == b.rule && a.span == b.span);
        out
    }

    /// The rules that the keywords in `data` trigger, and those without keywords, in order
    /// and once each: the cost follows the keywords found, not the number of rules. The exact
    /// keywords are taken from `exact_found` when given.
    fn triggered(&self, data: &[u8], exact_found: Option<&[usize]>) -> Vec<usize> {
        let mut triggered: Vec<usize> = self.always.clone();
        let mut seen: HashSet<usize> = HashSet::new();
        let mut trigger = |p: usize| {
            if seen.insert(p) {
                if let Some(rs) = self.keyword_rules.get(p) {
                    triggered.extend_from_slice(rs);
                }
            }
        };
        if let Some(found) = exact_found {
            found.iter().for_each(|&p| trigger(p));
        }
        if let Some(k) = &self.keywords {
            k.each(data, exact_found.is_none(), &mut trigger);
        }
        triggered.sort_unstable();
        triggered.dedup();
        triggered
    }

    /// Whether rule `id` may report a finding in a file at `path`: false only for a rule
    /// limited to other paths. For git history, where a blob's path is known only after it
    /// was matched (see `history`).
    pub(crate) fn path_allows(&self, id: &str, path: &str) -> bool {
        match self.by_id(id) {
            Some(CompiledRule {
                path: Some(only), ..
            }) => only.is_match(path),
            _ => true,
        }
    }

    /// The rule with this id.
    pub(crate) fn by_id(&self, id: &str) -> Option<&CompiledRule> {
        self.by_id.get(id).and_then(|&i| self.rules.get(i))
    }

    /// The rule behind a match.
    pub(crate) fn get(&self, i: usize) -> Option<&CompiledRule> {
        self.rules.get(i)
    }
}

impl CompiledRule {
    /// The rule's regex, compiled on first use (`None` if it is too large to compile; its
    /// syntax was checked at load time).
    ///
    /// Patterns run in ASCII mode where they allow it (as in gitleaks' Go regexes, `\b`, `\w`
    /// and `\d` are ASCII; a negated class matches any byte): a class such as `[^@/]{3,128}`
    /// in Unicode mode compiles to an automaton over every UTF-8 sequence, which made
    /// compiling the built-in rules cost more than scanning a 200 MB tree. Patterns that need
    /// Unicode (`\p{L}`, non-ASCII classes) run in Unicode mode.
    ///
    /// A pattern that might not fit the size limit was compiled while loading (see `compile`),
    /// and one that did not fit is a load error, so `None` is not expected here.
    pub(crate) fn regex(&self) -> Option<&Regex> {
        self.regex
            .get_or_init(|| build_regex(&self.spec.pattern).ok())
            .as_ref()
    }

    /// Adds the accepted matches of this rule (rule `i` of its set) in `data` to `out`.
    fn matches(&self, i: usize, data: &[u8], out: &mut Vec<RuleMatch>) {
        let Some(regex) = self.regex() else {
            return;
        };
        for caps in regex.captures_iter(data) {
            let group = match self.spec.secret_group {
                None => 1,
                Some(usize::MAX) => usize::from(caps.len() > 1),
                Some(g) => g,
            };
            let Some(g) = caps.get(group) else {
                continue;
            };
            if self.accepts(g.as_bytes()) {
                out.push(RuleMatch {
                    rule: i,
                    span: g.range(),
                    value: String::from_utf8_lossy(g.as_bytes()).into_owned(),
                });
            }
        }
    }

    /// Entropy floor and allowlist.
    fn accepts(&self, secret: &[u8]) -> bool {
        if secret.is_empty() {
            return false;
        }
        if let Some(min) = self.spec.entropy {
            if shannon_entropy(secret) < min {
                return false;
            }
        }
        if self.stopwords.any_in(secret) {
            return false;
        }
        !self.allow.iter().any(|r| r.is_match(secret))
    }
}

/// The size limit of a rule's compiled regex.
const REGEX_SIZE_LIMIT: usize = 32 << 20;

/// Patterns whose NFA could take more than this (by `size::nfa_bound`, an upper bound) are
/// compiled while loading. The built-in patterns are far below it (a test checks), so loading
/// them compiles nothing.
pub(crate) const EAGER_BOUND: u64 = (REGEX_SIZE_LIMIT / 8) as u64;

/// A rule's regex: in ASCII mode where the pattern allows it, else in Unicode mode.
fn build_regex(pattern: &str) -> std::result::Result<Regex, regex::Error> {
    let build = |unicode: bool| {
        regex::bytes::RegexBuilder::new(pattern)
            .unicode(unicode)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
    };
    build(false).or_else(|_| build(true))
}

/// Compiles a rule's allowlist and path limit; its pattern too when `eager` (one that may
/// not fit the size limit: failing is an error now rather than a rule that never runs).
fn compile(name: &str, spec: RuleSpec, exact: bool, eager: bool) -> Result<CompiledRule> {
    let at =
        |field: &'static str, e: regex::Error| Error::rule(name, &spec.id, field, e.to_string());
    let (stopwords, allow) = match &spec.allowlist {
        Some(a) => (
            Stopwords::new(&a.stopwords)
                .map_err(|e| Error::rule(name, &spec.id, "allowlist.stopwords", e))?,
            a.regexes
                .iter()
                .map(|r| Regex::new(r).map_err(|e| at("allowlist.regexes", e)))
                .collect::<Result<Vec<_>>>()?,
        ),
        None => (Stopwords::default(), Vec::new()),
    };
    let path = match &spec.path {
        Some(p) => Some(regex::Regex::new(p).map_err(|e| at("path", e))?),
        None => None,
    };
    let regex = std::sync::OnceLock::new();
    if eager {
        let compiled = build_regex(&spec.pattern).map_err(|e| {
            let why = match e {
                regex::Error::CompiledTooBig(limit) => format!(
                    "too large to compile: expanded (counted repetitions copy what they \
                     repeat), it needs more than the {} MiB a pattern may take",
                    limit >> 20
                ),
                other => other.to_string(),
            };
            Error::rule(name, &spec.id, "pattern", why)
        })?;
        let _ = regex.set(Some(compiled));
    }
    Ok(CompiledRule {
        meta: file::rule_meta(&spec, name),
        spec,
        regex,
        path,
        stopwords,
        allow,
        exact,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
[[rules]]
id = "demo-token"
name = "Demo token"
severity = "high"
pattern = '''\b(dmo_[A-Za-z0-9]{20})\b'''
keywords = ["dmo_"]
entropy = 3.0
examples = ['''t = "dmo_Ab3De5Gh7Jk9Lm1Np2Qr"''']
negative_examples = ['''dmo_aaaaaaaaaaaaaaaaaaaa''']
[rules.allowlist]
stopwords = ["example"]
"#;

    #[test]
    fn loads_and_matches_through_prefilter() {
        let set = RuleSet::from_files(&[("demo.toml".into(), FILE.into())])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(set.rules().len(), 1);
        let m = set.matches(b"x = 'DMO_nope' and dmo_Ab3De5Gh7Jk9Lm1Np2Qr here");
        assert_eq!(m.len(), 1);
        assert_eq!(
            m.first().map(|m| m.value.as_str()),
            Some("dmo_Ab3De5Gh7Jk9Lm1Np2Qr")
        );
        assert!(
            set.matches(b"dmo_aaaaaaaaaaaaaaaaaaaa").is_empty(),
            "entropy floor"
        );
        assert!(
            set.matches(b"dmo_exampleAb3De5Gh7Jk9").is_empty(),
            "stopword"
        );
        assert!(set.matches(b"nothing here").is_empty());
    }

    #[test]
    fn thousands_of_rules_run_only_where_their_keywords_are() {
        // 3,000 rules with a keyword each, 20 sharing one keyword (listed twice by one of
        // them), and one with none, which runs everywhere.
        let rule = |id: &str, pattern: &str, keywords: &str| {
            format!(
                "[[rules]]\nid = \"{id}\"\nname = \"N\"\nseverity = \"low\"\n\
                 pattern = '''{pattern}'''\nkeywords = [{keywords}]\n"
            )
        };
        let mut file = String::new();
        for i in 0..3000 {
            let kw = format!("\"tk{i}x_\"");
            file.push_str(&rule(
                &format!("r{i}"),
                &format!(r"\b(tk{i}x_[a-z]{{8}})\b"),
                &kw,
            ));
        }
        for i in 0..20 {
            let kw = if i == 0 {
                "\"shared\", \"shared\""
            } else {
                "\"shared\""
            };
            file.push_str(&rule(
                &format!("s{i}"),
                &format!(r"shared{i}=([a-z]{{8}})"),
                kw,
            ));
        }
        file.push_str(&rule("always", r"always=([a-z]{8})", ""));
        let set =
            RuleSet::from_files(&[("many.toml".into(), file)]).unwrap_or_else(|e| panic!("{e}"));
        let ids = |text: &str| -> Vec<&str> {
            let mut v: Vec<&str> = set
                .matches(text.as_bytes())
                .iter()
                .filter_map(|m| set.get(m.rule).map(|r| r.meta.id))
                .collect();
            v.sort_unstable();
            v
        };
        assert_eq!(
            ids("a tk17x_abcdefgh b tk2999x_abcdefgh shared0=abcdefgh shared19=qwertyui"),
            ["r17", "r2999", "s0", "s19"]
        );
        assert_eq!(ids("always=abcdefgh tk5x_"), ["always"]);
        assert!(ids("nothing here").is_empty());
        assert!(set.by_id("r1234").is_some() && set.by_id("r3000").is_none());
    }

    #[test]
    fn errors_name_file_rule_and_field() {
        let bad = FILE.replace("(dmo_[A-Za-z0-9]{20})", "(dmo_[A-Z");
        let e = RuleSet::from_files(&[("demo.toml".into(), bad)])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("demo.toml") && e.contains("demo-token") && e.contains("pattern"),
            "{e}"
        );
        let two = FILE.replace(r"(dmo_[A-Za-z0-9]{20})", r"(dmo_)([A-Za-z0-9]{20})");
        let e = RuleSet::from_files(&[("demo.toml".into(), two)])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("exactly one capture group"), "{e}");
        let unknown = FILE.replace("entropy = 3.0", "entropy = 3.0\ncolour = 1");
        let e = RuleSet::from_files(&[("demo.toml".into(), unknown)])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("demo.toml") && e.contains("colour"), "{e}");
        let dup = format!(
            "{FILE}\n{}",
            FILE.replace("[rules.allowlist]\nstopwords = [\"example\"]", "")
        );
        let e = RuleSet::from_files(&[("demo.toml".into(), dup)])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("defined twice"), "{e}");
    }
}
