//! `RuleSet`: the compiled rules from rule files. One case-insensitive Aho-Corasick pass over a
//! blob finds every rule keyword; only the rules whose keywords occur run their regex, so the
//! cost of a blob does not grow with the number of rules that cannot match it. A match becomes a
//! `RuleMatch` only when its captured secret passes the rule's entropy floor and allowlist.

use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::bytes::Regex;

use super::file::{self, RuleSpec};
use super::Rule;
use crate::matcher::text::shannon_entropy;

/// A rule ready to run.
pub struct CompiledRule {
    pub meta: &'static Rule,
    pub spec: RuleSpec,
    /// Compiled on first use: most runs (a pre-commit hook above all) trigger few rules, and
    /// compiling every pattern up front would cost more than the scan.
    regex: std::sync::OnceLock<Option<Regex>>,
    /// Paths the rule is limited to.
    path: Option<regex::Regex>,
    stopwords: Vec<String>,
    allow: Vec<Regex>,
}

/// The keyword prefilter. Keywords match case-insensitively; the fast path searches a
/// lowercased copy of the blob with SIMD "Teddy" searchers (groups of at most 64 keywords,
/// several GB/s), which a case-insensitive automaton over a hundred keywords cannot match
/// (about 200 MB/s). Where Teddy is unavailable, an Aho-Corasick DFA does the same job.
enum Keywords {
    Packed(Vec<(aho_corasick::packed::Searcher, Vec<usize>)>),
    Automaton(AhoCorasick),
}

impl Keywords {
    fn build(patterns: &[String]) -> Result<Keywords, String> {
        // Teddy fingerprints the first one to three bytes of each pattern: keywords shorter than
        // four bytes get a group of their own so that they do not weaken the others' filter,
        // and groups of at most 32 keep to the faster "slim" variant.
        let len = |i: &usize| patterns.get(*i).map_or(0, String::len);
        let (short, long): (Vec<usize>, Vec<usize>) = (0..patterns.len()).partition(|i| len(i) < 4);
        let chunks = short.chunks(32).chain(long.chunks(32));
        let mut groups = Vec::new();
        for chunk in chunks {
            let mut b = aho_corasick::packed::Config::new()
                .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
                .builder();
            for &i in chunk {
                if let Some(p) = patterns.get(i) {
                    b.add(p.as_bytes());
                }
            }
            match b.build() {
                Some(searcher) => groups.push((searcher, chunk.to_vec())),
                None => {
                    groups.clear();
                    break;
                }
            }
        }
        if !groups.is_empty() {
            return Ok(Keywords::Packed(groups));
        }
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .match_kind(MatchKind::Standard)
            .build(patterns)
            .map(Keywords::Automaton)
            .map_err(|e| format!("building the keyword prefilter: {e}"))
    }

    /// Calls `hit(pattern index)` for each keyword occurrence found.
    fn each(&self, data: &[u8], mut hit: impl FnMut(usize)) {
        match self {
            Keywords::Packed(groups) => {
                let lower = data.to_ascii_lowercase();
                for (searcher, ids) in groups {
                    for m in searcher.find_iter(&lower) {
                        if let Some(&p) = ids.get(m.pattern().as_usize()) {
                            hit(p);
                        }
                    }
                }
            }
            Keywords::Automaton(ac) => {
                for m in ac.find_overlapping_iter(data) {
                    hit(m.pattern().as_usize());
                }
            }
        }
    }
}

/// One rule match in a blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleMatch {
    pub rule: usize,
    /// Span of the captured secret.
    pub span: Range<usize>,
    pub value: String,
}

/// Every loaded rule, with the keyword prefilter.
pub struct RuleSet {
    rules: Vec<CompiledRule>,
    keywords: Option<Keywords>,
    /// Rules triggered by each keyword pattern.
    keyword_rules: Vec<Vec<usize>>,
}

impl RuleSet {
    /// No rules at all.
    pub fn empty() -> RuleSet {
        RuleSet {
            rules: Vec::new(),
            keywords: None,
            keyword_rules: Vec::new(),
        }
    }

    /// The rules built into the binary (every file in `rules/`).
    pub fn builtin() -> Result<RuleSet, String> {
        RuleSet::from_specs(RuleSet::builtin_specs()?)
    }

    /// The built-in rules, parsed but not compiled.
    pub fn builtin_specs() -> Result<Vec<(String, RuleSpec)>, String> {
        let mut specs = Vec::new();
        for (name, text) in file::embedded() {
            let parsed = file::parse(name, text)?;
            specs.extend(parsed.rules.into_iter().map(|s| ((*name).to_string(), s)));
        }
        Ok(specs)
    }

    /// Loads and compiles rule files given as (name, text). Ids must be unique across all files
    /// (and must not collide with the AWS rules built into the code).
    pub fn from_files(files: &[(String, String)]) -> Result<RuleSet, String> {
        let mut specs = Vec::new();
        for (name, text) in files {
            let parsed = file::parse(name, text)?;
            specs.extend(parsed.rules.into_iter().map(|s| (name.clone(), s)));
        }
        RuleSet::from_specs(specs)
    }

    /// Compiles parsed rules given as (source name, rule).
    pub fn from_specs(specs: Vec<(String, RuleSpec)>) -> Result<RuleSet, String> {
        let mut rules: Vec<CompiledRule> = Vec::new();
        for (name, spec) in specs {
            file::validate(&name, &spec)?;
            if super::AWS_RULES.iter().any(|r| r.id == spec.id)
                || rules.iter().any(|r| r.meta.id == spec.id)
            {
                return Err(format!("{name}: rule {:?}: id: defined twice", spec.id));
            }
            rules.push(compile(&name, spec)?);
        }
        rules.sort_by(|a, b| a.meta.id.cmp(b.meta.id));
        let mut patterns: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            for k in &r.spec.keywords {
                let k = k.to_ascii_lowercase();
                match patterns.iter().position(|p| *p == k) {
                    Some(p) => {
                        if let Some(v) = keyword_rules.get_mut(p) {
                            v.push(i);
                        }
                    }
                    None => {
                        patterns.push(k);
                        keyword_rules.push(vec![i]);
                    }
                }
            }
        }
        // A keyword that holds another keyword also triggers that keyword's rules: the search
        // reports non-overlapping matches, and the shorter one may be the one it reports.
        let expanded: Vec<Vec<usize>> = patterns
            .iter()
            .map(|b| {
                let mut rs: Vec<usize> = Vec::new();
                for (a, r) in patterns.iter().zip(&keyword_rules) {
                    if a.contains(b.as_str()) {
                        rs.extend(r);
                    }
                }
                rs.sort_unstable();
                rs.dedup();
                rs
            })
            .collect();
        let keyword_rules = expanded;
        let keywords = if patterns.is_empty() {
            None
        } else {
            Some(Keywords::build(&patterns)?)
        };
        Ok(RuleSet {
            rules,
            keywords,
            keyword_rules,
        })
    }

    /// The rules, sorted by id.
    pub fn rules(&self) -> &[CompiledRule] {
        &self.rules
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Every accepted match in `data`, sorted by position.
    pub fn matches(&self, data: &[u8]) -> Vec<RuleMatch> {
        self.matches_at(data, None)
    }

    /// Like `matches`, for a blob at `path` (rules limited to other paths do not run).
    pub fn matches_at(&self, data: &[u8], path: Option<&str>) -> Vec<RuleMatch> {
        if self.rules.is_empty() {
            return Vec::new();
        }
        // Rules without keywords (imported ones may have none) always run.
        let mut triggered: Vec<bool> = self
            .rules
            .iter()
            .map(|r| r.spec.keywords.is_empty())
            .collect();
        let mut any = triggered.iter().any(|&t| t);
        if let Some(k) = &self.keywords {
            k.each(data, |p| {
                if let Some(rs) = self.keyword_rules.get(p) {
                    for &r in rs {
                        if let Some(t) = triggered.get_mut(r) {
                            *t = true;
                            any = true;
                        }
                    }
                }
            });
        }
        if !any {
            return Vec::new();
        }
        let mut out = Vec::new();
        for (i, rule) in self.rules.iter().enumerate() {
            if !triggered.get(i).copied().unwrap_or(false) {
                continue;
            }
            if let (Some(only), Some(p)) = (&rule.path, path) {
                if !only.is_match(p) {
                    continue;
                }
            }
            let Some(regex) = rule.regex() else {
                continue;
            };
            for caps in regex.captures_iter(data) {
                let group = match rule.spec.secret_group {
                    None => 1,
                    Some(usize::MAX) => usize::from(caps.len() > 1),
                    Some(g) => g,
                };
                let Some(g) = caps.get(group) else {
                    continue;
                };
                if rule.accepts(g.as_bytes()) {
                    out.push(RuleMatch {
                        rule: i,
                        span: g.range(),
                        value: String::from_utf8_lossy(g.as_bytes()).into_owned(),
                    });
                }
            }
        }
        out.sort_by_key(|m| (m.span.start, m.rule));
        out.dedup_by(|b, a| a.rule == b.rule && a.span == b.span);
        out
    }

    /// The rule behind a match.
    pub fn get(&self, i: usize) -> Option<&CompiledRule> {
        self.rules.get(i)
    }
}

impl CompiledRule {
    /// The rule's regex, compiled on first use (`None` if it is too large to compile; its
    /// syntax was checked at load time).
    pub fn regex(&self) -> Option<&Regex> {
        self.regex
            .get_or_init(|| {
                regex::bytes::RegexBuilder::new(&self.spec.pattern)
                    .size_limit(32 << 20)
                    .build()
                    .ok()
            })
            .as_ref()
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
        if !self.stopwords.is_empty() {
            let lower = String::from_utf8_lossy(secret).to_ascii_lowercase();
            if self.stopwords.iter().any(|w| lower.contains(w.as_str())) {
                return false;
            }
        }
        !self.allow.iter().any(|r| r.is_match(secret))
    }
}

fn compile(name: &str, spec: RuleSpec) -> Result<CompiledRule, String> {
    let at = |field: &str, e: regex::Error| format!("{name}: rule {:?}: {field}: {e}", spec.id);
    let (stopwords, allow) = match &spec.allowlist {
        Some(a) => (
            a.stopwords.iter().map(|w| w.to_ascii_lowercase()).collect(),
            a.regexes
                .iter()
                .map(|r| Regex::new(r).map_err(|e| at("allowlist.regexes", e)))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        None => (Vec::new(), Vec::new()),
    };
    let path = match &spec.path {
        Some(p) => Some(regex::Regex::new(p).map_err(|e| at("path", e))?),
        None => None,
    };
    Ok(CompiledRule {
        meta: file::rule_meta(&spec, name),
        spec,
        regex: std::sync::OnceLock::new(),
        path,
        stopwords,
        allow,
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
    fn errors_name_file_rule_and_field() {
        let bad = FILE.replace("(dmo_[A-Za-z0-9]{20})", "(dmo_[A-Z");
        let e = RuleSet::from_files(&[("demo.toml".into(), bad)])
            .err()
            .unwrap_or_default();
        assert!(
            e.contains("demo.toml") && e.contains("demo-token") && e.contains("pattern"),
            "{e}"
        );
        let two = FILE.replace(r"(dmo_[A-Za-z0-9]{20})", r"(dmo_)([A-Za-z0-9]{20})");
        let e = RuleSet::from_files(&[("demo.toml".into(), two)])
            .err()
            .unwrap_or_default();
        assert!(e.contains("exactly one capture group"), "{e}");
        let unknown = FILE.replace("entropy = 3.0", "entropy = 3.0\ncolour = 1");
        let e = RuleSet::from_files(&[("demo.toml".into(), unknown)])
            .err()
            .unwrap_or_default();
        assert!(e.contains("demo.toml") && e.contains("colour"), "{e}");
        let dup = format!(
            "{FILE}\n{}",
            FILE.replace("[rules.allowlist]\nstopwords = [\"example\"]", "")
        );
        let e = RuleSet::from_files(&[("demo.toml".into(), dup)])
            .err()
            .unwrap_or_default();
        assert!(e.contains("defined twice"), "{e}");
    }
}
