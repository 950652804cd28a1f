//! Reading gitleaks configuration files (`.gitleaks.toml`), so that a team can switch to
//! keyhound without rewriting its rules: `[[rules]]` (`id`, `regex`, `secretGroup`, `entropy`,
//! `keywords`, `description`, per-rule `[[rules.allowlists]]` or `[rules.allowlist]`, their
//! `regexTarget = "match"` included) and the global `[allowlist]` / `[[allowlists]]` (`paths`,
//! `regexes`, `stopwords`, `regexTarget`,
//! `targetRules`). Whatever keyhound cannot honour produces one warning naming the file, the
//! rule and the field; nothing is skipped silently.

use std::collections::BTreeMap;

use toml::Value;

use super::project::{AllowSpec, ConfigFile};
use crate::error::{Error, Result};
use crate::rule::file::{AllowlistSpec, RuleSpec};

/// Whether `text` is a gitleaks configuration rather than a `.keyhound.toml`: keys only
/// gitleaks uses (`title`, `[extend]`, `[[allowlists]]`, a rule's `regex`, an allowlist's
/// `regexTarget`, `description` or `commits`).
pub(crate) fn looks_like(text: &str) -> bool {
    let Ok(t) = toml::from_str::<toml::Table>(text) else {
        return false;
    };
    let rule_regex = t
        .get("rules")
        .and_then(Value::as_array)
        .is_some_and(|rs| rs.iter().any(|r| r.get("regex").is_some()));
    let allowlist_keys = t
        .get("allowlist")
        .and_then(Value::as_table)
        .is_some_and(|a| {
            ["regexTarget", "description", "commits"]
                .iter()
                .any(|k| a.contains_key(*k))
        });
    ["title", "extend", "allowlists"]
        .iter()
        .any(|k| t.contains_key(*k))
        || rule_regex
        || allowlist_keys
}

/// Converts a gitleaks configuration into keyhound's.
pub(crate) fn import(name: &str, text: &str) -> Result<ConfigFile> {
    let doc: toml::Table = toml::from_str(text).map_err(|e| Error::toml(name, &e))?;
    let mut warnings = Vec::new();
    let mut warn = |w: String| warnings.push(format!("{name}: {w}"));
    top_level_warnings(&doc, &mut warn);
    let mut global = AllowSpec::default();
    let mut per_rule: BTreeMap<String, AllowSpec> = BTreeMap::new();
    // Global allowlists: the old single table and the new array of tables.
    for (i, t) in tables(&doc, "allowlist", "allowlists").iter().enumerate() {
        let targets: Vec<String> = strings(t.get("targetRules"));
        let spec = allowlist(t, &format!("allowlist {}", i + 1), false, &mut warn);
        if targets.is_empty() {
            merge(&mut global, spec);
        } else {
            for r in targets {
                merge(per_rule.entry(keyhound_id(&r)).or_default(), spec.clone());
            }
        }
    }
    let mut rules = Vec::new();
    let listed = doc.get("rules").and_then(Value::as_array);
    for (i, r) in listed.into_iter().flatten().enumerate() {
        let Some(t) = r.as_table() else {
            return Err(Error::config(name, format!("rules[{i}]"), "not a table"));
        };
        rules.extend(rule(t, &mut per_rule, &mut warn));
    }
    global.rule = per_rule;
    Ok(ConfigFile {
        rules,
        allowlist: Some(global),
        warnings,
        ..ConfigFile::default()
    })
}

/// One warning per top-level key keyhound does not use.
fn top_level_warnings(doc: &toml::Table, warn: &mut impl FnMut(String)) {
    for (key, value) in doc {
        match key.as_str() {
            "rules" | "allowlist" | "allowlists" | "title" | "description" => {}
            "extend" => warn(
                "[extend]: extending gitleaks' default rules is not supported; keyhound's \
                 built-in rules apply instead"
                    .into(),
            ),
            other => warn(format!(
                "{other}: not a gitleaks field keyhound knows; ignored ({})",
                value.type_str()
            )),
        }
    }
}

/// The tables under `one` (a table) and `many` (an array of tables) of `t`.
fn tables<'a>(t: &'a toml::Table, one: &str, many: &str) -> Vec<&'a toml::Table> {
    let mut out: Vec<&toml::Table> = Vec::new();
    if let Some(a) = t.get(one).and_then(Value::as_table) {
        out.push(a);
    }
    if let Some(a) = t.get(many).and_then(Value::as_array) {
        out.extend(a.iter().filter_map(Value::as_table));
    }
    out
}

/// A gitleaks rule as a keyhound rule; its allowlists' paths go to `per_rule`. `None` for a
/// rule keyhound cannot run (warned about).
fn rule(
    t: &toml::Table,
    per_rule: &mut BTreeMap<String, AllowSpec>,
    warn: &mut impl FnMut(String),
) -> Option<RuleSpec> {
    let id = t.get("id").and_then(Value::as_str).unwrap_or_default();
    let at = format!("rule {id:?}");
    let Some(regex) = t.get("regex").and_then(Value::as_str) else {
        warn(format!(
            "{at}: has no `regex` (a path-only rule); not supported, rule skipped"
        ));
        return None;
    };
    for (k, _) in t.iter() {
        match k.as_str() {
            "id" | "regex" | "secretGroup" | "entropy" | "keywords" | "description"
            | "allowlist" | "allowlists" | "tags" | "path" => {}
            other => warn(format!("{at}: `{other}` is not supported; ignored")),
        }
    }
    let mut rule_allow = AllowlistSpec::default();
    for a in tables(t, "allowlist", "allowlists") {
        // A rule's regexes may target its whole match, which keyhound's rule allowlist has
        // (`matches`); the global allowlist applies to findings, where only the secret is.
        let on_match = a.get("regexTarget").and_then(Value::as_str) == Some("match");
        let spec = allowlist(a, &format!("{at} allowlist"), on_match, warn);
        rule_allow.stopwords.extend(spec.stopwords.iter().cloned());
        if on_match {
            rule_allow.matches.extend(spec.regexes.iter().cloned());
        } else {
            rule_allow.regexes.extend(spec.regexes.iter().cloned());
        }
        if !spec.paths.is_empty() || !spec.path_regexes.is_empty() {
            merge(
                per_rule.entry(keyhound_id(id)).or_default(),
                AllowSpec {
                    paths: spec.paths,
                    path_regexes: spec.path_regexes,
                    ..AllowSpec::default()
                },
            );
        }
    }
    let secret_group = t
        .get("secretGroup")
        .and_then(Value::as_integer)
        .and_then(|g| usize::try_from(g).ok());
    let description = t.get("description").and_then(Value::as_str);
    Some(RuleSpec {
        id: keyhound_id(id),
        name: description.unwrap_or(id).to_string(),
        description: description.unwrap_or_default().to_string(),
        severity: "high".into(),
        pattern: regex.to_string(),
        keywords: strings(t.get("keywords")),
        case_sensitive_keywords: false,
        entropy: t
            .get("entropy")
            .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64))),
        references: Vec::new(),
        help: None,
        examples: Vec::new(),
        negative_examples: Vec::new(),
        allowlist: (!rule_allow.stopwords.is_empty()
            || !rule_allow.regexes.is_empty()
            || !rule_allow.matches.is_empty())
        .then_some(rule_allow),
        secret_group: Some(secret_group.unwrap_or(usize::MAX)),
        path: t.get("path").and_then(Value::as_str).map(str::to_string),
        checksum: None,
        near: None,
        generic: false,
    })
}

/// gitleaks ids may hold capitals and underscores; keyhound ids are lowercase with `-`.
fn keyhound_id(id: &str) -> String {
    let s: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let s = s.trim_matches('-').to_string();
    if s.is_empty() {
        "gitleaks-rule".into()
    } else {
        s
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// An allowlist table; `on_match`: its `regexTarget = "match"` is honoured (a rule's own
/// allowlist), so it needs no warning.
fn allowlist(
    t: &toml::Table,
    at: &str,
    on_match: bool,
    warn: &mut impl FnMut(String),
) -> AllowSpec {
    let mut spec = AllowSpec {
        path_regexes: strings(t.get("paths")),
        regexes: strings(t.get("regexes")),
        stopwords: strings(t.get("stopwords")),
        ..AllowSpec::default()
    };
    for (k, v) in t.iter() {
        match k.as_str() {
            "paths" | "regexes" | "stopwords" | "description" | "targetRules" => {}
            "regexTarget" => {
                let target = v.as_str().unwrap_or_default();
                if target != "secret" && !(on_match && target == "match") {
                    warn(format!(
                        "{at}: regexTarget = {target:?} is not supported; its regexes are matched against the secret"
                    ));
                }
            }
            "condition" => {
                if v.as_str().is_some_and(|c| c.eq_ignore_ascii_case("and")) {
                    warn(format!("{at}: condition = \"AND\" is not supported; each criterion allows on its own"));
                }
            }
            "commits" => warn(format!("{at}: `commits` is not supported; ignored")),
            other => warn(format!("{at}: `{other}` is not supported; ignored")),
        }
    }
    spec.paths.clear();
    spec
}

fn merge(into: &mut AllowSpec, from: AllowSpec) {
    into.paths.extend(from.paths);
    into.path_regexes.extend(from.path_regexes);
    into.regexes.extend(from.regexes);
    into.stopwords.extend(from.stopwords);
}
