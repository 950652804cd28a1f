//! What keeps a finding out of the report, one file per mechanism:
//!
//! - `inline`: inline ignore comments (`keyhound:allow`, `gitleaks:allow`,
//!   `pragma: allowlist secret`) on any line of a finding, and only there.
//! - `config`: the project configuration (`.keyhound.toml`): discovery, `--config`,
//!   `--no-config`, disabled rules, the summary that counts every mechanism, and the errors a
//!   configuration file gives.
//! - `allowlist`: every allowlist kind (path globs and regexes, secret regexes, stopwords),
//!   global and per rule.
//! - `baseline`: the baseline (write, rescan, new secret, moved file, malformed file).
//! - `gitleaks`: the import of a gitleaks configuration (`.gitleaks.toml`) with its warnings.
//!
//! Every mechanism's count in `summary.suppressed` is checked along with the findings. This
//! file holds the fixtures and report readers they share.

mod allowlist;
mod baseline;
mod config;
mod gitleaks;
mod inline;

use serde_json::Value;

use crate::support::*;

/// `summary.suppressed` as `[inline, allowlist, disabled_rules, baseline]`.
fn suppressed(doc: &Value) -> [u64; 4] {
    let s = &doc["summary"]["suppressed"];
    let n = |k: &str| {
        s[k].as_u64()
            .unwrap_or_else(|| panic!("summary.suppressed.{k} missing: {doc:#}"))
    };
    [
        n("inline"),
        n("allowlist"),
        n("disabled_rules"),
        n("baseline"),
    ]
}

/// `summary.config`: the configuration file used, or `None`.
fn config_of(doc: &Value) -> Option<String> {
    doc["summary"]["config"].as_str().map(str::to_string)
}

fn assert_config_ends_with(doc: &Value, name: &str) {
    let c = config_of(doc);
    assert!(
        c.as_deref().is_some_and(|c| c.ends_with(name)),
        "summary.config must name {name}, got {c:?}"
    );
}

/// A finding as (rule id, secret or key ID, primary path), for reports with user rules (whose
/// severities `support::verify` does not know).
fn rule_values(doc: &Value) -> Vec<(String, String, String)> {
    let mut v: Vec<(String, String, String)> = doc["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings in {doc:#}"))
        .iter()
        .map(|f| {
            let value = f["secret"]
                .as_str()
                .or_else(|| f["aws"]["key_id"].as_str())
                .unwrap_or("?");
            (
                f["rule_id"].as_str().unwrap_or("?").to_string(),
                value.to_string(),
                f["path"].as_str().unwrap_or("?").to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn rv(rule: &str, value: &str, path: &str) -> (String, String, String) {
    (rule.into(), value.into(), path.into())
}

/// The lines of a key pair in an env file.
fn pair_env(k: &str, s: &str) -> String {
    fill(
        "AWS_REGION=eu-west-1\nAWS_ACCESS_KEY_ID={{K}}\nAWS_SECRET_ACCESS_KEY={{S}}\n",
        &[("K", k), ("S", s)],
    )
}

/// A key ID alone (in an IAM listing), at line 3.
fn lone_key_json(k: &str) -> String {
    fill(
        "{\n  \"UserName\": \"deploy\",\n  \"AccessKeyId\": \"{{K}}\",\n  \"Status\": \"Active\"\n}\n",
        &[("K", k)],
    )
}

/// A secret alone, named as an AWS secret, at line 2.
fn lone_secret_env(s: &str) -> String {
    fill(
        "AWS_REGION=us-east-1\nAWS_SECRET_ACCESS_KEY={{S}}\n",
        &[("S", s)],
    )
}

/// A `.keyhound.toml` that disables lone key IDs (`aws-access-key-id`).
const DISABLE_KEY_IDS: &str =
    "# Lone key IDs are noise in this project.\ndisable = [\"aws-access-key-id\"]\n";
