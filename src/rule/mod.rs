//! Rules as data: the metadata of every kind of finding keyhound can report (`Rule`,
//! `Severity`), the syntax of rule files (`file`), the rule files built into the binary
//! (`builtin`), and the checks of `keyhound rules check` (`check`). Nothing here depends on the
//! detection engine: `detect` compiles these rules, and `aws` reads the AWS rules of
//! `rules/aws.toml`, whose detection is code driven by that file.

pub mod builtin;
pub(crate) mod check;
pub(crate) mod entropy;
pub mod file;
pub(crate) mod placeholder;

pub(crate) use entropy::shannon_entropy;

/// Which generic rules (`file::RuleSpec::generic`) run: those that `--enable-rule` and the
/// configuration's `enable` name, by id or by a prefix ending in `*` (`generic-*`). Every
/// other rule always runs.
#[derive(Debug, Clone, Default)]
pub(crate) struct Enabled {
    names: Vec<String>,
    all: bool,
}

impl Enabled {
    /// Every rule, generic ones included (`keyhound rules list` and `check`).
    pub(crate) fn all() -> Enabled {
        Enabled {
            names: Vec::new(),
            all: true,
        }
    }

    /// The generic rules `names` name, and every other rule.
    pub(crate) fn named(names: Vec<String>) -> Enabled {
        Enabled { names, all: false }
    }

    /// Whether the rule `id` runs.
    pub(crate) fn runs(&self, id: &str, generic: bool) -> bool {
        !generic || self.all || self.names.iter().any(|n| names(n, id))
    }
}

/// Whether `name` (an id, or a prefix ending in `*`) names the rule `id`.
pub(crate) fn names(name: &str, id: &str) -> bool {
    match name.strip_suffix('*') {
        Some(prefix) => id.starts_with(prefix),
        None => name == id,
    }
}

use serde::Serialize;

/// How bad a finding is. Ordered from most to least severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Severity {
    Critical,
    High,
    Medium,
    Low,
}

impl Severity {
    /// The lowercase name used in every report format.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }

    /// Parses `critical`, `high`, `medium` or `low`.
    pub(crate) fn parse(s: &str) -> Option<Severity> {
        match s {
            "critical" => Some(Severity::Critical),
            "high" => Some(Severity::High),
            "medium" => Some(Severity::Medium),
            "low" => Some(Severity::Low),
            _ => None,
        }
    }
}

/// Static description of one rule.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rule {
    /// Stable identifier, also the SARIF `ruleId`.
    pub id: &'static str,
    /// Short human name.
    pub name: &'static str,
    /// One sentence saying what the rule finds.
    pub description: &'static str,
    /// What to do about a finding, as plain text.
    pub help: &'static str,
    /// Default severity of its findings.
    pub severity: Severity,
    /// How often a finding of this rule is a real credential (SARIF `precision`).
    pub precision: &'static str,
    /// Where the rule comes from: `rules/aws.toml`, another file in `rules/`, or a user's file.
    pub source: &'static str,
}

/// Inline ignore comments: a finding on a line holding one is not reported. keyhound's own,
/// and those of gitleaks and detect-secrets, so that teams can migrate without editing every
/// suppression.
pub(crate) const INLINE_IGNORE_MARKERS: [&str; 3] = [
    "keyhound:allow",
    "gitleaks:allow",
    "pragma: allowlist secret",
];

/// Case-insensitive substrings, any of which in a value makes it no finding (a rule's or an
/// allowlist's `stopwords`). A long list is one automaton, so that a value costs its length,
/// not its length times the number of stopwords; a short one (every built-in rule's) is
/// searched word by word, which costs nothing to build.
#[derive(Debug, Default)]
pub(crate) enum Stopwords {
    #[default]
    None,
    /// Lowercase.
    Few(Vec<String>),
    Many(aho_corasick::AhoCorasick),
}

/// Up to this many stopwords are searched one by one.
const FEW_STOPWORDS: usize = 32;

impl Stopwords {
    /// Stopwords that cannot be searched (an automaton too large to build) are an error.
    pub(crate) fn new(words: &[String]) -> std::result::Result<Stopwords, String> {
        // (An empty stopword is in every value, as `str::contains` says.)
        let words: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
        if words.is_empty() {
            return Ok(Stopwords::None);
        }
        if words.len() <= FEW_STOPWORDS {
            return Ok(Stopwords::Few(words));
        }
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&words)
            .map(Stopwords::Many)
            .map_err(|e| e.to_string())
    }

    /// Whether `value` holds one of the stopwords, ASCII case ignored.
    pub(crate) fn any_in(&self, value: &[u8]) -> bool {
        match self {
            Stopwords::None => false,
            Stopwords::Few(words) => {
                let lower = value.to_ascii_lowercase();
                words
                    .iter()
                    .any(|w| memchr::memmem::find(&lower, w.as_bytes()).is_some())
            }
            Stopwords::Many(a) => a.is_match(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stopwords_as_lowercase_contains() {
        let mut words: Vec<String> = ["Example", "xxxx", "日本"].map(String::from).to_vec();
        let few = Stopwords::new(&words).unwrap_or_default();
        words.extend((0..100).map(|i| format!("zz{i}q")));
        let many = Stopwords::new(&words).unwrap_or_default();
        assert!(matches!(few, Stopwords::Few(_)) && matches!(many, Stopwords::Many(_)));
        for s in [few, many] {
            for (value, want) in [
                ("AKIAEXAMPLE", true),
                ("aXXXXb", true),
                ("a日本b", true),
                ("exampl", false),
                ("", false),
            ] {
                assert_eq!(s.any_in(value.as_bytes()), want, "{value}");
            }
        }
        assert!(!Stopwords::default().any_in(b"anything"));
        let empty = Stopwords::new(&[String::new()]).unwrap_or_default();
        assert!(empty.any_in(b"anything") && empty.any_in(b""));
    }

    #[test]
    fn enabled_names_generic_rules_by_id_or_prefix() {
        assert!(names("generic-secret", "generic-secret"));
        assert!(names("generic-*", "generic-secret"));
        assert!(names("*", "generic-secret"));
        assert!(!names("generic", "generic-secret"));
        assert!(!names("generic-secret-*", "generic-secret"));
        let named = Enabled::named(vec!["generic-*".to_string()]);
        assert!(named.runs("generic-secret", true));
        assert!(named.runs("github-pat-classic", false));
        let none = Enabled::named(Vec::new());
        assert!(!none.runs("generic-secret", true));
        assert!(none.runs("github-pat-classic", false));
        assert!(Enabled::all().runs("generic-secret", true));
    }
}
