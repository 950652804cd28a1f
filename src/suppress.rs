//! What keeps a finding out of the report besides the detector's own filters: the project
//! configuration's allowlists (paths, secret regexes, stopwords; global or per rule), disabled
//! rules, and a baseline file of known fingerprints. Each mechanism counts what it suppressed.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use regex::Regex;
use serde::Deserialize;

use crate::finding::Finding;
use crate::rule::file::RuleSpec;

/// `.keyhound.toml`, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Rule ids not to report (built-in or from files).
    #[serde(default)]
    pub disable: Vec<String>,
    /// Extra rules, in the syntax of `rules/*.toml`.
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
    #[serde(default)]
    pub allowlist: Option<AllowSpec>,
    /// Problems that do not stop the scan (unsupported fields of an imported configuration).
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// An allowlist in the configuration file.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowSpec {
    /// Gitignore-style globs of paths (relative to the scanned root) whose findings are dropped.
    #[serde(default)]
    pub paths: Vec<String>,
    /// Regular expressions matched against the path.
    #[serde(default)]
    pub path_regexes: Vec<String>,
    /// Regular expressions matched against the secret (or the key ID of a lone key ID).
    #[serde(default)]
    pub regexes: Vec<String>,
    /// Case-insensitive substrings of the secret.
    #[serde(default)]
    pub stopwords: Vec<String>,
    /// The same, for one rule only: `[allowlist.rule.aws-access-key-id]`.
    #[serde(default)]
    pub rule: BTreeMap<String, AllowSpec>,
}

/// A compiled allowlist.
#[derive(Debug, Default)]
pub struct Allowlist {
    paths: Option<GlobSet>,
    path_regexes: Vec<Regex>,
    regexes: Vec<Regex>,
    stopwords: Vec<String>,
}

impl Allowlist {
    fn compile(spec: &AllowSpec, at: &str) -> Result<Allowlist, String> {
        let paths = if spec.paths.is_empty() {
            None
        } else {
            let mut b = GlobSetBuilder::new();
            for p in &spec.paths {
                let pattern = p.trim_start_matches("./");
                // Gitignore style: a pattern without a slash matches at any depth.
                let pattern = if pattern.contains('/') {
                    pattern.to_string()
                } else {
                    format!("**/{pattern}")
                };
                // Gitignore style: `*` stops at `/`; `**` crosses directories.
                let glob = |p: &str| GlobBuilder::new(p).literal_separator(true).build();
                b.add(glob(&pattern).map_err(|e| format!("{at}.paths: {p:?}: {e}"))?);
                if !pattern.ends_with("/**") {
                    if let Ok(g) = glob(&format!("{pattern}/**")) {
                        b.add(g);
                    }
                }
            }
            Some(b.build().map_err(|e| format!("{at}.paths: {e}"))?)
        };
        let path_regexes = spec
            .path_regexes
            .iter()
            .map(|r| Regex::new(r).map_err(|e| format!("{at}.path_regexes: {r:?}: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        let regexes = spec
            .regexes
            .iter()
            .map(|r| Regex::new(r).map_err(|e| format!("{at}.regexes: {r:?}: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Allowlist {
            paths,
            path_regexes,
            regexes,
            stopwords: spec
                .stopwords
                .iter()
                .map(|s| s.to_ascii_lowercase())
                .collect(),
        })
    }

    /// Does this allowlist let `f` through (i.e. drop it)?
    fn allows(&self, f: &Finding, rel_path: &str) -> bool {
        if self.paths.as_ref().is_some_and(|g| g.is_match(rel_path))
            || self.path_regexes.iter().any(|r| r.is_match(rel_path))
        {
            return true;
        }
        let value = match (&f.secret, &f.session_token, &f.aws) {
            (Some(s), _, _) => s.expose().to_string(),
            (None, Some(t), _) => t.expose().to_string(),
            (None, None, Some(a)) => a.key_id.clone(),
            _ => return false,
        };
        if self.regexes.iter().any(|r| r.is_match(&value)) {
            return true;
        }
        let lower = value.to_ascii_lowercase();
        self.stopwords.iter().any(|w| lower.contains(w.as_str()))
    }
}

/// Everything that suppresses findings, compiled.
#[derive(Debug, Default)]
pub struct Suppressions {
    pub disabled: HashSet<String>,
    global: Allowlist,
    per_rule: HashMap<String, Allowlist>,
    baseline: HashSet<String>,
    /// Strips the scanned root from paths before matching path globs.
    root_prefix: String,
}

/// How many findings each mechanism suppressed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Suppressed {
    pub disabled: u64,
    pub allowlist: u64,
    pub baseline: u64,
}

/// Parses `.keyhound.toml`; errors name the file, the line and the field.
pub fn parse_config(name: &str, text: &str) -> Result<ConfigFile, String> {
    toml::from_str::<ConfigFile>(text).map_err(|e| format!("{name}: {}", e.to_string().trim_end()))
}

/// Adds the line to an error about a field of config file `name` (`NAME: rule "ID": FIELD:
/// ...` or `NAME: FIELD: ...`, as the rule and allowlist compilers write them): the first line
/// that sets the field, after the rule's `id` line or the field's table header. An error that
/// names no field of this file, or a field not found, comes back as it was.
pub fn with_line(name: &str, text: &str, err: String) -> String {
    let Some(rest) = err.strip_prefix(&format!("{name}: ")) else {
        return err;
    };
    if rest.starts_with("TOML parse error") || rest.starts_with("line ") {
        return err;
    }
    let lines: Vec<&str> = text.lines().collect();
    let sets = |l: &str, key: &str| {
        l.trim_start()
            .strip_prefix(key)
            .is_some_and(|r| r.trim_start().starts_with('='))
    };
    let (from, field) = match rest.strip_prefix("rule \"") {
        Some(r) => {
            let Some((id, after)) = r.split_once("\": ") else {
                return err;
            };
            let Some(from) = lines.iter().position(|l| {
                sets(l, "id")
                    && l.split_once('=')
                        .is_some_and(|(_, v)| v.trim().trim_matches(['"', '\'']) == id)
            }) else {
                return err;
            };
            (from, after.split(": ").next().unwrap_or(""))
        }
        None => {
            let field = rest.split(": ").next().unwrap_or("");
            // `allowlist.rule.ID.paths` is set under `[allowlist.rule.ID]`.
            let from = field.rsplit_once('.').map_or(Some(0), |(table, _)| {
                lines.iter().position(|l| l.trim() == format!("[{table}]"))
            });
            let Some(from) = from else {
                return err;
            };
            (from, field)
        }
    };
    let key = field.rsplit('.').next().unwrap_or(field);
    match lines
        .iter()
        .enumerate()
        .skip(from)
        .find(|(_, l)| !key.is_empty() && sets(l, key))
    {
        Some((i, _)) => format!("{name}: line {}: {rest}", i + 1),
        None => err,
    }
}

impl Suppressions {
    /// Compiles the configuration's allowlists and disabled rules. `root` is the scanned
    /// directory: path globs are relative to it.
    pub fn new(name: &str, config: &ConfigFile, root: &Path) -> Result<Suppressions, String> {
        let empty = AllowSpec::default();
        let spec = config.allowlist.as_ref().unwrap_or(&empty);
        let global = Allowlist::compile(spec, &format!("{name}: allowlist"))?;
        let mut per_rule = HashMap::new();
        for (id, s) in &spec.rule {
            if !s.rule.is_empty() {
                return Err(format!("{name}: allowlist.rule.{id}: rules cannot nest"));
            }
            per_rule.insert(
                id.clone(),
                Allowlist::compile(s, &format!("{name}: allowlist.rule.{id}"))?,
            );
        }
        let root = crate::source::fs::display_path(root);
        let root_prefix = if root == "." || root.is_empty() {
            String::new()
        } else {
            format!("{}/", root.trim_end_matches('/'))
        };
        Ok(Suppressions {
            disabled: config.disable.iter().cloned().collect(),
            global,
            per_rule,
            baseline: HashSet::new(),
            root_prefix,
        })
    }

    /// Adds a baseline's fingerprints.
    pub fn set_baseline(&mut self, fingerprints: HashSet<String>) {
        self.baseline = fingerprints;
    }

    /// Drops findings of disabled rules and allowlisted findings; counts them.
    pub fn apply_config(&self, findings: &mut Vec<Finding>, n: &mut Suppressed) {
        findings.retain(|f| {
            if self.disabled.contains(f.rule.id) {
                n.disabled += 1;
                return false;
            }
            let path = f.primary().map(|l| l.path.as_str()).unwrap_or("");
            let rel = path.strip_prefix(&self.root_prefix).unwrap_or(path);
            if self.global.allows(f, rel)
                || self
                    .per_rule
                    .get(f.rule.id)
                    .is_some_and(|a| a.allows(f, rel))
            {
                n.allowlist += 1;
                return false;
            }
            true
        });
    }

    /// Drops findings listed in the baseline; counts them.
    pub fn apply_baseline(&self, findings: &mut Vec<Finding>, n: &mut Suppressed) {
        findings.retain(|f| {
            if self.baseline.contains(&f.fingerprint) {
                n.baseline += 1;
                return false;
            }
            true
        });
    }
}

/// The baseline file for `findings`: sorted, one fingerprint per line with its rule id, no
/// paths and no timestamps, so that it does not churn when code moves and merges cleanly.
pub fn baseline_text(findings: &[Finding]) -> String {
    let entries: BTreeSet<(String, &str)> = findings
        .iter()
        .map(|f| (f.fingerprint.clone(), f.rule.id))
        .collect();
    let mut out = String::from(
        "# keyhound baseline: fingerprints of known findings (rule id after each, for people).\n\
         # Findings listed here are not reported. Rewrite with: keyhound scan --write-baseline FILE\n",
    );
    for (fp, rule) in entries {
        out.push_str(&format!("{fp} {rule}\n"));
    }
    out
}

/// Reads a baseline file; an error names the first bad line.
pub fn parse_baseline(name: &str, text: &str) -> Result<HashSet<String>, String> {
    let mut out = HashSet::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fp = line.split_whitespace().next().unwrap_or("");
        if fp.len() != 32 || !fp.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!(
                "{name}:{}: not a keyhound fingerprint: {fp:?}",
                n + 1
            ));
        }
        out.insert(fp.to_ascii_lowercase());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_errors_name_line_and_field() {
        let e = parse_config(".keyhound.toml", "disable = [\"x\"]\ncolour = 3\n")
            .err()
            .unwrap_or_default();
        assert!(
            e.contains(".keyhound.toml") && e.contains("colour") && e.contains("line 2"),
            "{e}"
        );
        let cfg = parse_config("c", "[allowlist]\nregexes = ['(']\n").unwrap_or_default();
        let e = Suppressions::new("c", &cfg, Path::new("."))
            .err()
            .unwrap_or_default();
        assert!(e.contains("allowlist.regexes"), "{e}");
        let text = "[allowlist]\nregexes = ['(']\n";
        assert!(with_line("c", text, e).starts_with("c: line 2: allowlist.regexes"));
    }

    #[test]
    fn errors_after_parsing_get_their_line() {
        let text = "disable = [\"nope\"]\n\n[[rules]]\nid = \"a\"\npattern = '(x'\n\n[[rules]]\nid = \"b\"\nname = \"B\"\npattern = '(y'\n\n[allowlist.rule.b]\npaths = ['[']\n";
        let at = |e: &str| with_line("f", text, e.to_string());
        assert_eq!(
            at("f: rule \"b\": pattern: bad"),
            "f: line 10: rule \"b\": pattern: bad"
        );
        assert_eq!(
            at("f: rule \"a\": pattern: bad"),
            "f: line 5: rule \"a\": pattern: bad"
        );
        assert_eq!(at("f: disable: no rule"), "f: line 1: disable: no rule");
        assert_eq!(
            at("f: allowlist.rule.b.paths: bad"),
            "f: line 13: allowlist.rule.b.paths: bad"
        );
        // Nothing to find: unchanged.
        assert_eq!(
            at("f: rule \"c\": pattern: bad"),
            "f: rule \"c\": pattern: bad"
        );
        assert_eq!(at("g: disable: x"), "g: disable: x");
    }

    #[test]
    fn baseline_round_trip_and_errors() {
        let text = "# c\n0123456789abcdef0123456789abcdef aws-access-key-id\n\n";
        let set = parse_baseline("b", text).unwrap_or_default();
        assert!(set.contains("0123456789abcdef0123456789abcdef"));
        let e = parse_baseline("b", "# c\nnope\n").err().unwrap_or_default();
        assert!(e.contains("b:2"), "{e}");
    }
}
