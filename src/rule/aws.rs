//! The AWS rules, read from `rules/aws.toml` (embedded in the binary): their literals, names and
//! pairing distances, which drive the AWS matcher and pairing code, and their report text and
//! examples. Parsed once, on first use, with the same strictness as other rule files.

use std::sync::LazyLock;

use serde::Deserialize;

use super::file::leak;
use super::{Rule, Severity};

/// Where the AWS rules come from (also their `source` in `rules list`).
pub const FILE: &str = "rules/aws.toml";

/// The parameters of AWS detection.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Access key ID prefixes: four characters, or three followed by one letter or digit.
    pub key_id_prefixes: Vec<String>,
    /// Prefixes of temporary key IDs, which pair with a session token.
    pub temporary_prefixes: Vec<String>,
    /// Spellings of secret access key names.
    pub secret_names: Vec<String>,
    /// Spellings of session token names.
    pub token_names: Vec<String>,
    /// Lines from a key ID within which a nameless secret counts.
    pub near_lines: usize,
    /// Lines from a key ID within which a named secret or token pairs with it.
    pub pair_lines: u32,
}

impl Params {
    /// Whether `key_id` is a temporary credential's (and needs a session token).
    pub fn is_temporary(&self, key_id: &str) -> bool {
        self.temporary_prefixes
            .iter()
            .any(|p| key_id.starts_with(p.as_str()))
    }
}

/// One AWS rule as written in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub id: String,
    pub name: String,
    pub description: String,
    pub help: String,
    pub severity: String,
    pub precision: String,
    #[serde(default)]
    pub references: Vec<String>,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub negative_examples: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AwsFile {
    aws: Params,
    rules: Vec<Spec>,
}

/// The AWS rules, ready for use.
pub struct Aws {
    pub params: Params,
    pub pair: &'static Rule,
    pub secret: &'static Rule,
    pub token: &'static Rule,
    pub key_id: &'static Rule,
    /// The rules as written, in report order (for `rules check`).
    pub specs: Vec<Spec>,
}

impl Aws {
    /// The four rules in the fixed order reports list them.
    pub fn rules(&self) -> [&'static Rule; 4] {
        [self.pair, self.secret, self.token, self.key_id]
    }
}

/// The ids the code knows the four rules by, in report order.
pub const IDS: [&str; 4] = [
    "aws-access-key-pair",
    "aws-secret-access-key",
    "aws-session-token",
    "aws-access-key-id",
];

/// The AWS rules built into the binary.
pub fn aws() -> &'static Aws {
    static AWS: LazyLock<Aws> = LazyLock::new(|| {
        parse(FILE, include_str!("../../rules/aws.toml")).unwrap_or_else(|e| {
            // The file is part of the binary and a unit test parses it, so only a broken build
            // gets here; there is nothing to scan with.
            eprintln!("keyhound: built-in {e}");
            std::process::exit(2)
        })
    });
    &AWS
}

/// Parses and checks an AWS rule file. Errors name the file and the rule or field.
pub fn parse(name: &str, text: &str) -> Result<Aws, String> {
    let file: AwsFile =
        toml::from_str(text).map_err(|e| format!("{name}: {}", e.to_string().trim_end()))?;
    let p = &file.aws;
    let bad = |field: &str, msg: &str| Err(format!("{name}: aws.{field}: {msg}"));
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
    for (field, names) in [
        ("secret_names", &p.secret_names),
        ("token_names", &p.token_names),
    ] {
        if names.is_empty() || names.iter().any(|n| n.len() < 4) {
            return bad(field, "need four or more characters each");
        }
    }
    if p.key_id_prefixes.len() + p.secret_names.len() + p.token_names.len() > 1000 {
        return bad(
            "token_names",
            "the lists hold more than 1000 literals in all",
        );
    }
    if p.near_lines == 0 || p.near_lines as u64 > u64::from(p.pair_lines) {
        return bad("near_lines", "must be from 1 to pair_lines");
    }
    let mut rules: Vec<&'static Rule> = Vec::new();
    for id in IDS {
        let mut found = file.rules.iter().filter(|s| s.id == id);
        let (Some(spec), None) = (found.next(), found.next()) else {
            return Err(format!("{name}: rule {id:?} must be defined once"));
        };
        let Some(severity) = Severity::parse(&spec.severity) else {
            return Err(format!(
                "{name}: rule {id:?}: severity: {:?} is not critical, high, medium or low",
                spec.severity
            ));
        };
        rules.push(Box::leak(Box::new(Rule {
            id,
            name: leak(&spec.name),
            description: leak(&spec.description),
            help: leak(&spec.help),
            severity,
            precision: leak(&spec.precision),
            source: FILE,
            references: Box::leak(
                spec.references
                    .iter()
                    .map(|r| leak(r))
                    .collect::<Vec<_>>()
                    .into_boxed_slice(),
            ),
        })));
    }
    if let Some(extra) = file.rules.iter().find(|s| !IDS.contains(&s.id.as_str())) {
        return Err(format!(
            "{name}: rule {:?}: not an AWS rule (the ids are {})",
            extra.id,
            IDS.join(", ")
        ));
    }
    let [pair, secret, token, key_id] = rules[..] else {
        return Err(format!("{name}: four rules expected"));
    };
    let mut specs = Vec::new();
    for id in IDS {
        if let Some(s) = file.rules.iter().find(|s| s.id == id) {
            specs.push(s.clone());
        }
    }
    Ok(Aws {
        params: file.aws,
        pair,
        secret,
        token,
        key_id,
        specs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_file_parses() {
        let a = parse(FILE, include_str!("../../rules/aws.toml")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.rules().map(|r| r.id), IDS);
        assert!(a.params.is_temporary("ASIA45RMWKPTSKNS43JU"));
        assert!(!a.params.is_temporary("AKIA45RMWKPTSKNS43JU"));
        assert_eq!(aws().pair.severity, Severity::Critical);
    }

    #[test]
    fn errors_name_the_field() {
        let text = include_str!("../../rules/aws.toml");
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
            let e = parse(FILE, &text.replace(from, to))
                .err()
                .unwrap_or_default();
            assert!(e.contains(field) && e.contains(FILE), "{field}: {e}");
        }
    }
}
