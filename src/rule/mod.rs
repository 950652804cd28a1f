//! Rule metadata: the id, name, severity and help text of every kind of finding keyhound can
//! report. The AWS rules come from `rules/aws.toml` (see `aws`): their detection (key IDs,
//! secrets, session tokens and the pairing of the three) is code driven by that file; every
//! other rule is a pattern in a rule file (see `file` and `set`).

use serde::Serialize;

/// How bad a finding is. Ordered from most to least severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
}

impl Severity {
    /// The lowercase name used in every report format.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }
}

/// Static description of one rule.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
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
    /// Where the rule comes from: `built-in (aws)`, a file in `rules/`, or a user's file.
    pub source: &'static str,
    /// Documentation links.
    pub references: &'static [&'static str],
}

/// The AWS rules (from `rules/aws.toml`), in the fixed order reports list them.
pub fn aws_rules() -> [&'static Rule; 4] {
    aws::aws().rules()
}

pub mod aws;
pub mod check;
pub mod file;
pub mod literal;
pub mod needles;
pub mod set;

impl Severity {
    /// Parses `critical`, `high`, `medium` or `low`.
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "critical" => Some(Severity::Critical),
            "high" => Some(Severity::High),
            "medium" => Some(Severity::Medium),
            "low" => Some(Severity::Low),
            _ => None,
        }
    }
}
