//! The rule files built into the binary: every file in `rules/`, embedded at build time by
//! `build.rs`, so that the built-in rules and the files in the repository cannot drift apart.
//! `rules/aws.toml` is embedded too; it has a syntax of its own and is read by `aws`, except its
//! `[[patterns]]`: AWS credentials found by a pattern (Amazon Bedrock API keys), which are
//! pattern rules like those of every other file.

use serde::Deserialize;

use super::file::{self, RuleSpec};
use crate::error::{Error, Result};

/// The built-in rules as `build.rs` wrote them when it could not index them all (see `index`):
/// each file's rules as JSON, the files in two halves of about the same size (both empty when
/// the index holds every rule).
const JSON: [&str; 2] = [
    include_str!(concat!(env!("OUT_DIR"), "/builtin_rules_1.json")),
    include_str!(concat!(env!("OUT_DIR"), "/builtin_rules_2.json")),
];

/// Every file's rules from the JSON, the two halves read at the same time (the second on a
/// thread of its own, where one can be started): reading them is most of a scan's start, and
/// a pre-commit hook waits for it. `None` if either half does not fit the schema.
fn quick_specs() -> Option<Vec<(String, Vec<RuleSpec>)>> {
    type Files = Vec<(String, Vec<RuleSpec>)>;
    let [first, second] = JSON;
    let read = |half: &str| serde_json::from_str::<Files>(half).ok();
    std::thread::scope(|s| {
        let other = std::thread::Builder::new().spawn_scoped(s, || read(second));
        let mut all = read(first)?;
        let rest = match other {
            Ok(handle) => handle.join().ok().flatten(),
            Err(_) => read(second),
        }?;
        all.extend(rest);
        Some(all)
    })
}

/// A built-in rule as `build.rs` indexed it: (file, id, keywords, its place among its file's
/// rules, whether it is generic (`RuleSpec::generic`: off unless enabled), its JSON without
/// examples).
pub(crate) type Indexed = (
    &'static str,
    &'static str,
    &'static [&'static str],
    usize,
    bool,
    &'static str,
);

/// Every built-in rule, sorted by id: what a scan loads a rule from (its id and keywords), the
/// rest read only when one of its keywords occurs (`read_indexed`). Empty when some file did not
/// fit (`build.rs`): the rules are then read whole at the start, from their JSON or TOML.
pub(crate) fn index() -> &'static [Indexed] {
    include!(concat!(env!("OUT_DIR"), "/builtin_index.rs"))
}

/// The generic built-in rules' ids (`RuleSpec::generic`: off unless enabled).
pub(crate) fn generic_ids() -> Result<Vec<String>> {
    let index = index();
    if index.is_empty() {
        return Ok(specs()?
            .into_iter()
            .filter(|(_, r)| r.generic)
            .map(|(_, r)| r.id)
            .collect());
    }
    Ok(index
        .iter()
        .filter(|e| e.4)
        .map(|e| e.1.to_string())
        .collect())
}

/// Every file's rules from the index, in the order of `embedded` and each file's rules in
/// order (as `quick_specs` gives them); `None` if a rule does not fit the schema.
fn indexed_specs() -> Option<Vec<(String, Vec<RuleSpec>)>> {
    let index = index();
    if index.is_empty() {
        return None;
    }
    let mut by_file: std::collections::HashMap<&str, Vec<(usize, RuleSpec)>> =
        std::collections::HashMap::new();
    for &(file, _, _, at, _, json) in index {
        let spec = serde_json::from_str::<RuleSpec>(json).ok()?;
        by_file.entry(file).or_default().push((at, spec));
    }
    let mut all = Vec::with_capacity(embedded().len());
    for (name, _) in embedded() {
        let mut rules = by_file.remove(name).unwrap_or_default();
        rules.sort_by_key(|(at, _)| *at);
        all.push((
            (*name).to_string(),
            rules.into_iter().map(|(_, s)| s).collect(),
        ));
    }
    Some(all)
}

/// A built-in rule read from its entry in the index (`json` is the entry's), on its first use
/// in a scan. Should the JSON not fit (the tests read every entry, so it does), the rule is read
/// from its file's TOML; should that fail too, it is a rule that matches nothing.
pub(crate) fn read_indexed(file: &str, id: &str, json: &str) -> RuleSpec {
    if let Ok(spec) = serde_json::from_str::<RuleSpec>(json) {
        return spec;
    }
    let from_toml = embedded()
        .iter()
        .find(|(name, _)| *name == file)
        .and_then(|(name, text)| {
            if *name == AWS_FILE {
                aws_patterns(name, text).ok()
            } else {
                file::parse(name, text).ok().map(|f| f.rules)
            }
        })
        .and_then(|rules| rules.into_iter().find(|r| r.id == id));
    from_toml.unwrap_or_else(|| RuleSpec {
        id: id.to_string(),
        name: id.to_string(),
        description: String::new(),
        severity: "medium".to_string(),
        // Matches nothing.
        pattern: r"[^\s\S]".to_string(),
        keywords: Vec::new(),
        case_sensitive_keywords: true,
        entropy: None,
        references: Vec::new(),
        help: None,
        examples: Vec::new(),
        negative_examples: Vec::new(),
        allowlist: None,
        secret_group: None,
        path: None,
        checksum: None,
        near: None,
        generic: false,
    })
}

/// The AWS rule file, which is not a pattern rule file.
const AWS_FILE: &str = "rules/aws.toml";

/// Every embedded rule file, as (path, text), sorted by path.
pub fn embedded() -> &'static [(&'static str, &'static str)] {
    include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"))
}

/// The built-in pattern rules, parsed but not compiled, as (source file, rule), their examples
/// left out where that is quick (a scan never reads them; `specs_with_examples` has them all):
/// from the JSON that
/// `build.rs` made of each file (quick to read), or from the file's TOML when the JSON of it is
/// missing or does not fit (so that an error is reported with its line).
pub fn specs() -> Result<Vec<(String, RuleSpec)>> {
    read_specs(false)
}

/// `specs` with every rule's `examples` and `negative_examples` (for `keyhound rules check`).
pub fn specs_with_examples() -> Result<Vec<(String, RuleSpec)>> {
    read_specs(true)
}

fn read_specs(examples: bool) -> Result<Vec<(String, RuleSpec)>> {
    // One pass into the rules themselves; only if that fails (a file that does not fit the
    // schema) is the JSON read file by file, to find which files to read from their TOML.
    let json: Vec<(String, serde_json::Value)> = match indexed_specs().or_else(quick_specs) {
        Some(mut all) if all.len() == embedded().len() => {
            if !examples || add_examples(&mut all) {
                // Into a list of the right size at once: a rule is large, and a list that grows
                // copies them as it does.
                let mut specs = Vec::with_capacity(all.iter().map(|(_, rules)| rules.len()).sum());
                for (name, rules) in all {
                    specs.extend(rules.into_iter().map(|s| (name.clone(), s)));
                }
                return Ok(specs);
            }
            // Examples that do not fit their rules: every file from its TOML.
            Vec::new()
        }
        _ => JSON
            .iter()
            .flat_map(|half| {
                serde_json::from_str::<Vec<(String, serde_json::Value)>>(half).unwrap_or_default()
            })
            .collect(),
    };
    let mut specs = Vec::new();
    for (name, text) in embedded() {
        // The JSON of a file has no examples: with them, the file is read from its TOML.
        let quick = json
            .iter()
            .filter(|_| !examples)
            .find(|(n, _)| n == name)
            .and_then(|(_, rules)| Vec::<RuleSpec>::deserialize(rules).ok());
        if let Some(rules) = quick {
            specs.extend(rules.into_iter().map(|s| ((*name).to_string(), s)));
            continue;
        }
        if *name == AWS_FILE {
            specs.extend(
                aws_patterns(name, text)?
                    .into_iter()
                    .map(|s| ((*name).to_string(), s)),
            );
            continue;
        }
        let parsed = file::parse(name, text)?;
        specs.extend(parsed.rules.into_iter().map(|s| ((*name).to_string(), s)));
    }
    Ok(specs)
}

/// Gives the rules of `all` (each file's, in order) their examples from the JSON of examples
/// that `build.rs` made alongside; false (and `all` unchanged) when it does not fit them.
fn add_examples(all: &mut [(String, Vec<RuleSpec>)]) -> bool {
    const EXAMPLES: &str = include_str!(concat!(env!("OUT_DIR"), "/builtin_examples.json"));
    type PerRule = (Vec<String>, Vec<String>);
    let Ok(examples) = serde_json::from_str::<Vec<(String, Vec<PerRule>)>>(EXAMPLES) else {
        return false;
    };
    let fits = examples.len() == all.len()
        && examples
            .iter()
            .zip(all.iter())
            .all(|((n, e), (m, r))| n == m && e.len() == r.len());
    if !fits {
        return false;
    }
    for ((_, per_rule), (_, rules)) in examples.into_iter().zip(all.iter_mut()) {
        for ((examples, negative), rule) in per_rule.into_iter().zip(rules.iter_mut()) {
            rule.examples = examples;
            rule.negative_examples = negative;
        }
    }
    true
}

/// The pattern rules of the AWS file: its `[[patterns]]` (the rest of the file is `aws`'s).
pub(crate) fn aws_patterns(name: &str, text: &str) -> Result<Vec<RuleSpec>> {
    #[derive(Deserialize)]
    struct Patterns {
        #[serde(default)]
        patterns: Vec<RuleSpec>,
    }
    toml::from_str::<Patterns>(text)
        .map(|p| p.patterns)
        .map_err(|e| Error::toml(name, &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON the scan reads, with the JSON of examples, holds the same rules as the TOML
    /// files.
    #[test]
    fn the_quick_form_holds_every_rule_of_the_files() {
        let quick = specs_with_examples().unwrap_or_else(|e| panic!("{e}"));
        let mut slow = Vec::new();
        for (name, text) in embedded() {
            let rules = if *name == AWS_FILE {
                aws_patterns(name, text).unwrap_or_else(|e| panic!("{e}"))
            } else {
                file::parse(name, text)
                    .unwrap_or_else(|e| panic!("{e}"))
                    .rules
            };
            slow.extend(rules.into_iter().map(|s| ((*name).to_string(), s)));
        }
        let show = |v: &[(String, RuleSpec)]| format!("{v:?}");
        assert_eq!(quick.len(), slow.len());
        assert_eq!(show(&quick), show(&slow));
        assert!(slow.iter().all(|(_, s)| !s.examples.is_empty()));
        // A scan's rules: the same without their examples.
        for (_, s) in &mut slow {
            s.examples.clear();
            s.negative_examples.clear();
        }
        let scan = specs().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(show(&scan), show(&slow));
    }

    /// Every built-in rule says how to revoke or rotate its credential: one line with a link.
    #[test]
    fn every_builtin_rule_has_a_help_line_with_a_link() {
        let specs = specs().unwrap_or_else(|e| panic!("{e}"));
        assert!(specs.len() > 100, "{} rules", specs.len());
        for (file, spec) in &specs {
            let help = spec.help.as_deref().unwrap_or_default();
            assert!(
                help.contains("https://") && !help.contains('\n') && help.len() < 400,
                "{file}: {}: help {help:?}",
                spec.id
            );
        }
        let ids: Vec<&str> = specs.iter().map(|(_, s)| s.id.as_str()).collect();
        assert!(ids.contains(&"aws-bedrock-api-key-long-term"), "{ids:?}");
    }
}
