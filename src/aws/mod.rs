//! AWS detection: key IDs by shape (`keys`), the literals that start a candidate and the
//! candidates found around them (`candidates`), values assigned to secret and token names in
//! any syntax (`value`), nameless secrets near a key ID (`nearby`), the encodings values hide
//! behind (`decode`), and the order-preserving pairing of the three into findings (`pair`).
//!
//! What drives it is data: `AwsRules`, read from `rules/aws.toml` (embedded in the binary) once
//! while the scanner is built, with the same strictness as other rule files, and then passed as
//! `&AwsRules` to whatever needs it. It holds the key ID prefixes, the spellings of secret and
//! token names, the pairing distances, and the report text and examples of the four AWS rules.

pub(crate) mod candidates;
mod decode;
pub(crate) use decode::{base64_decode, base64_encode};
pub mod keys;
mod matching;
mod nearby;
pub(crate) mod pair;
mod value;

use std::ops::Range;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::finding::Encoding;
use crate::rule::file::leak;
use crate::rule::{Rule, Severity};
use keys::NameStrength;

/// What a candidate is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum CandidateKind {
    KeyId,
    Secret,
    Token,
}

/// One value found in a blob, before pairing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub(crate) kind: CandidateKind,
    /// Decoded value.
    pub(crate) value: String,
    /// Byte span in the blob (for a value inside base64, the whole base64 text).
    pub(crate) span: Range<usize>,
    pub(crate) encoding: Encoding,
    /// For secrets and tokens found after a name: how clearly the name says AWS.
    pub(crate) name: Option<NameStrength>,
    /// An AWS documentation example value.
    pub(crate) example: bool,
}

/// Where the AWS rules come from (also their `source` in `rules list`).
pub(crate) const FILE: &str = "rules/aws.toml";

/// The ids the code knows the four rules by, in report order.
pub(crate) const IDS: [&str; 4] = [
    "aws-access-key-pair",
    "aws-secret-access-key",
    "aws-session-token",
    "aws-access-key-id",
];

/// The parameters of AWS detection.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Params {
    /// Access key ID prefixes: four characters, or three followed by one letter or digit.
    pub(crate) key_id_prefixes: Vec<String>,
    /// Prefixes of temporary key IDs, which pair with a session token.
    pub(crate) temporary_prefixes: Vec<String>,
    /// Spellings of secret access key names.
    pub(crate) secret_names: Vec<String>,
    /// Spellings of session token names.
    pub(crate) token_names: Vec<String>,
    /// Names whose value is a session token only for a temporary key pair next to it.
    #[serde(default)]
    pub(crate) pair_only_token_names: Vec<String>,
    /// Lines from a key ID within which a nameless secret counts.
    pub(crate) near_lines: usize,
    /// Lines from a key ID within which a named secret or token pairs with it.
    pub(crate) pair_lines: u32,
}

/// One AWS rule as written in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Spec {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) help: String,
    pub(crate) severity: String,
    pub(crate) precision: String,
    /// Documentation links: part of the file's schema, for its readers; no report shows them.
    #[serde(default)]
    #[allow(dead_code)]
    pub(crate) references: Vec<String>,
    #[serde(default)]
    pub(crate) examples: Vec<String>,
    #[serde(default)]
    pub(crate) negative_examples: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AwsFile {
    aws: Params,
    rules: Vec<Spec>,
    /// AWS credentials found by a pattern, like the rules of other files (Amazon Bedrock API
    /// keys): read by `rule::builtin`, not here.
    #[serde(default)]
    #[allow(dead_code)]
    patterns: Vec<toml::Table>,
}

/// The AWS rules, ready for use.
pub struct AwsRules {
    pub(crate) params: Params,
    pub(crate) pair: &'static Rule,
    pub(crate) secret: &'static Rule,
    pub(crate) token: &'static Rule,
    pub(crate) key_id: &'static Rule,
    /// The rules as written, in report order (for `rules check`).
    pub(crate) specs: Vec<Spec>,
}

impl AwsRules {
    /// The AWS rules built into the binary.
    pub fn builtin() -> Result<AwsRules> {
        let text = crate::rule::builtin::embedded()
            .iter()
            .find(|(name, _)| *name == FILE)
            .map(|(_, text)| *text)
            .ok_or_else(|| Error::config(FILE, "", "not built into this binary"))?;
        AwsRules::parse(FILE, text)
    }

    /// Parses and checks an AWS rule file. Errors name the file and the rule or field.
    pub(crate) fn parse(name: &str, text: &str) -> Result<AwsRules> {
        let file: AwsFile = toml::from_str(text).map_err(|e| Error::toml(name, &e))?;
        check_params(name, &file.aws)?;
        let mut rules: Vec<&'static Rule> = Vec::new();
        let mut specs = Vec::new();
        for id in IDS {
            let mut found = file.rules.iter().filter(|s| s.id == id);
            let (Some(spec), None) = (found.next(), found.next()) else {
                return Err(Error::rule(name, id, "", "must be defined once"));
            };
            rules.push(rule_meta(name, id, spec)?);
            specs.push(spec.clone());
        }
        if let Some(extra) = file.rules.iter().find(|s| !IDS.contains(&s.id.as_str())) {
            return Err(Error::rule(
                name,
                &extra.id,
                "",
                format!("not an AWS rule (the ids are {})", IDS.join(", ")),
            ));
        }
        let [pair, secret, token, key_id] = rules[..] else {
            return Err(Error::config(name, "rules", "four rules expected"));
        };
        Ok(AwsRules {
            params: file.aws,
            pair,
            secret,
            token,
            key_id,
            specs,
        })
    }

    /// The four rules in the fixed order reports list them.
    pub(crate) fn rules(&self) -> [&'static Rule; 4] {
        [self.pair, self.secret, self.token, self.key_id]
    }

    /// Whether `key_id` is a temporary credential's (and needs a session token).
    pub(crate) fn is_temporary(&self, key_id: &str) -> bool {
        self.params
            .temporary_prefixes
            .iter()
            .any(|p| key_id.starts_with(p.as_str()))
    }

    /// Whether `id` is a credential key ID: a prefix of this file and a base32 body.
    pub fn is_key_id(&self, id: &[u8]) -> bool {
        keys::is_key_id_shape(id, &self.params.key_id_prefixes)
    }
}

/// Checks the `[aws]` table.
fn check_params(name: &str, p: &Params) -> Result<()> {
    let bad = |field: &str, msg: &str| Err(Error::config(name, format!("aws.{field}"), msg));
    if p.key_id_prefixes.is_empty()
        || p.key_id_prefixes.iter().any(|k| {
            !(k.len() == 3 || k.len() == 4) || !k.bytes().all(|b| b.is_ascii_alphanumeric())
        })
    {
        return bad(
            "key_id_prefixes",
            "need three or four letters or digits each",
        );
    }
    if p.temporary_prefixes
        .iter()
        .any(|t| !p.key_id_prefixes.contains(t))
    {
        return bad("temporary_prefixes", "must be among key_id_prefixes");
    }
    for (field, names, needed) in [
        ("secret_names", &p.secret_names, true),
        ("token_names", &p.token_names, true),
        ("pair_only_token_names", &p.pair_only_token_names, false),
    ] {
        if (needed && names.is_empty()) || names.iter().any(|n| n.len() < 4) {
            return bad(field, "need four or more characters each");
        }
    }
    if p.key_id_prefixes.len()
        + p.secret_names.len()
        + p.token_names.len()
        + p.pair_only_token_names.len()
        > 1000
    {
        return bad(
            "token_names",
            "the lists hold more than 1000 literals in all",
        );
    }
    if p.near_lines == 0 || p.near_lines as u64 > u64::from(p.pair_lines) {
        return bad("near_lines", "must be from 1 to pair_lines");
    }
    Ok(())
}

/// The static description of AWS rule `id`, leaked once for the life of the process.
fn rule_meta(name: &str, id: &'static str, spec: &Spec) -> Result<&'static Rule> {
    let Some(severity) = Severity::parse(&spec.severity) else {
        return Err(Error::rule(
            name,
            id,
            "severity",
            format!("{:?} is not critical, high, medium or low", spec.severity),
        ));
    };
    Ok(Box::leak(Box::new(Rule {
        id,
        name: leak(&spec.name),
        description: leak(&spec.description),
        help: leak(&spec.help),
        severity,
        precision: leak(&spec.precision),
        source: FILE,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builtin_text() -> &'static str {
        include_str!("../../rules/aws.toml")
    }

    #[test]
    fn builtin_file_parses() {
        let a = AwsRules::parse(FILE, builtin_text()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.rules().map(|r| r.id), IDS);
        assert!(a.is_temporary("ASIA45RMWKPTSKNS43JU"));
        assert!(!a.is_temporary("AKIA45RMWKPTSKNS43JU"));
        let b = AwsRules::builtin().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(b.pair.severity, Severity::Critical);
    }

    #[test]
    fn errors_name_the_field() {
        let text = builtin_text();
        for (from, to, field) in [
            ("near_lines = 4", "near_lines = 0", "near_lines"),
            (
                "temporary_prefixes = [\"ASIA\"]",
                "temporary_prefixes = [\"ASIX\"]",
                "temporary_prefixes",
            ),
            (
                "id = \"aws-session-token\"",
                "id = \"aws-session-tokens\"",
                "aws-session-token",
            ),
            ("pair_lines = 50", "pair_lines = 50\nextra = 1", "extra"),
        ] {
            let e = AwsRules::parse(FILE, &text.replace(from, to))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(e.contains(field) && e.contains(FILE), "{field}: {e}");
        }
    }
}
