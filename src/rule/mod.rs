//! Rule metadata: the id, name, severity and help text of every kind of finding keyhound can
//! report. The AWS rules are built in because their detection (key IDs, secrets, session tokens
//! and the pairing of the three) lives in code; reports take their rule list from here, in this
//! fixed order.

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

const AWS_REFERENCES: &[&str] = &[
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html",
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-prefixes",
];

/// An AWS access key ID together with its secret access key (and session token for ASIA keys).
pub const AWS_ACCESS_KEY_PAIR: Rule = Rule {
    id: "aws-access-key-pair",
    name: "AWS access key pair",
    description: "An AWS access key ID and its secret access key (and, for temporary ASIA keys, its session token) found together: a usable AWS credential.",
    help: "Deactivate and delete the access key in IAM (or revoke the role session), review CloudTrail for its use, issue a new key through a secret store, and remove the secret from the file and from git history.",
    severity: Severity::Critical,
    precision: "very-high",
    source: "built-in (aws)",
    references: AWS_REFERENCES,
};

/// A secret access key named as such, with no key ID nearby.
pub const AWS_SECRET_ACCESS_KEY: Rule = Rule {
    id: "aws-secret-access-key",
    name: "AWS secret access key",
    description: "A 40-character AWS secret access key assigned to an AWS secret key name, without its access key ID nearby.",
    help: "Find the access key this secret belongs to, deactivate and delete it in IAM, issue a new one through a secret store, and remove the secret from the file and from git history.",
    severity: Severity::High,
    precision: "high",
    source: "built-in (aws)",
    references: AWS_REFERENCES,
};

/// An STS session token with no key pair to attach it to.
pub const AWS_SESSION_TOKEN: Rule = Rule {
    id: "aws-session-token",
    name: "AWS session token",
    description: "An AWS STS session token assigned to a session-token name, without the temporary key pair it belongs to.",
    help: "Session tokens are part of temporary credentials: revoke the role's active sessions if the key pair may also have leaked, and remove the token from the file and from git history.",
    severity: Severity::Medium,
    precision: "high",
    source: "built-in (aws)",
    references: AWS_REFERENCES,
};

/// An access key ID on its own.
pub const AWS_ACCESS_KEY_ID: Rule = Rule {
    id: "aws-access-key-id",
    name: "AWS access key ID",
    description: "An AWS access key ID with no secret access key near it. A key ID alone grants no access, but it names an account and shows where a secret may have been.",
    help: "Check whether the secret access key of this key ID is stored elsewhere in the repository or its history; if the key is no longer used, deactivate and delete it in IAM.",
    severity: Severity::Low,
    precision: "very-high",
    source: "built-in (aws)",
    references: AWS_REFERENCES,
};

/// Every built-in rule, in the fixed order reports list them.
pub const AWS_RULES: &[Rule] = &[
    AWS_ACCESS_KEY_PAIR,
    AWS_SECRET_ACCESS_KEY,
    AWS_SESSION_TOKEN,
    AWS_ACCESS_KEY_ID,
];

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
