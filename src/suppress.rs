//! What keeps a finding out of the report besides the detector's own filters (the inline
//! ignore comments of `detect::ignore`): the project configuration's allowlists (paths, secret
//! regexes, stopwords; global or per rule), disabled rules, and a baseline file of known
//! fingerprints. Each mechanism counts what it suppressed.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use regex::Regex;

use crate::config::project::{AllowSpec, ConfigFile};
use crate::error::{Error, Result};
use crate::finding::{Finding, Status};
use crate::rule::Stopwords;
use crate::source::fs::normalize;
use crate::source::STDIN_NAME;

/// At most this many entries in one list of an allowlist (`paths`, `path_regexes`,
/// `regexes`). Each is compiled into a matcher of its own (a path glob costs about 65 µs and
/// 7 KB to compile) and checked for each finding (regexes) or each path with findings.
const MAX_ALLOWLIST_ENTRIES: usize = 10_000;

/// Path globs compiled into one set. globset compiles the globs that need a regex into one
/// automaton, which grows faster than the list and fails ("error building NFA") past some
/// thousands; sets of this many stay small.
const GLOBS_PER_SET: usize = 1_000;

/// A compiled allowlist.
#[derive(Debug, Default)]
pub(crate) struct Allowlist {
    paths: Vec<GlobSet>,
    path_regexes: Vec<Regex>,
    regexes: Vec<Regex>,
    stopwords: Stopwords,
}

impl Allowlist {
    /// Compiles `spec`, the allowlist at `field` of configuration `file`.
    fn compile(spec: &AllowSpec, file: &str, field: &str) -> Result<Allowlist> {
        let err = |sub: &str, msg: String| Error::config(file, format!("{field}.{sub}"), msg);
        for (sub, n) in [
            ("paths", spec.paths.len()),
            ("path_regexes", spec.path_regexes.len()),
            ("regexes", spec.regexes.len()),
        ] {
            if n > MAX_ALLOWLIST_ENTRIES {
                return Err(err(
                    sub,
                    format!(
                        "{n} entries; at most {MAX_ALLOWLIST_ENTRIES} are supported (each one \
                         is compiled and checked on its own: use fewer, broader patterns)"
                    ),
                ));
            }
        }
        let mut paths = Vec::new();
        for chunk in spec.paths.chunks(GLOBS_PER_SET) {
            let mut b = GlobSetBuilder::new();
            for p in chunk {
                let pattern = p.trim_start_matches("./");
                // Gitignore style: a pattern without a slash matches at any depth.
                let pattern = if pattern.contains('/') {
                    pattern.to_string()
                } else {
                    format!("**/{pattern}")
                };
                // Gitignore style: `*` stops at `/`; `**` crosses directories. (A directory
                // that matches covers what it holds: see `allows_path`.)
                let glob = GlobBuilder::new(&pattern).literal_separator(true).build();
                b.add(glob.map_err(|e| err("paths", format!("{p:?}: {e}")))?);
            }
            paths.push(b.build().map_err(|e| err("paths", e.to_string()))?);
        }
        let path_regexes = spec
            .path_regexes
            .iter()
            .map(|r| Regex::new(r).map_err(|e| err("path_regexes", format!("{r:?}: {e}"))))
            .collect::<Result<Vec<_>>>()?;
        let regexes = spec
            .regexes
            .iter()
            .map(|r| Regex::new(r).map_err(|e| err("regexes", format!("{r:?}: {e}"))))
            .collect::<Result<Vec<_>>>()?;
        Ok(Allowlist {
            paths,
            path_regexes,
            regexes,
            stopwords: Stopwords::new(&spec.stopwords).map_err(|e| err("stopwords", e))?,
        })
    }

    /// Whether it has path entries at all.
    fn has_paths(&self) -> bool {
        !self.paths.is_empty() || !self.path_regexes.is_empty()
    }

    /// Does it allow every finding in the file at `rel_path`? A glob matches the path or one
    /// of the directories that hold it (`build` covers `build/app.js`).
    fn allows_path(&self, rel_path: &str) -> bool {
        let dirs = || {
            rel_path
                .match_indices('/')
                .filter_map(|(i, _)| rel_path.get(..i))
                .filter(|d| !d.is_empty())
        };
        self.paths
            .iter()
            .any(|set| set.is_match(rel_path) || dirs().any(|d| set.is_match(d)))
            || self.path_regexes.iter().any(|r| r.is_match(rel_path))
    }

    /// Does it allow `f` for its value?
    fn allows_value(&self, f: &Finding) -> bool {
        let value = match (&f.secret, &f.session_token, &f.aws) {
            (Some(s), _, _) => s.expose().to_string(),
            (None, Some(t), _) => t.expose().to_string(),
            (None, None, Some(a)) => a.key_id.clone(),
            _ => return false,
        };
        self.regexes.iter().any(|r| r.is_match(&value)) || self.stopwords.any_in(value.as_bytes())
    }
}

/// The answers of `Allowlist::allows_path`, asked once per path and allowlist: a file with
/// thousands of findings is matched against the globs once.
#[derive(Default)]
struct PathAnswers(HashMap<(Option<String>, String), bool>);

impl PathAnswers {
    fn allows(&mut self, a: &Allowlist, rule: Option<&str>, rel: &str) -> bool {
        if !a.has_paths() {
            return false;
        }
        *self
            .0
            .entry((rule.map(str::to_string), rel.to_string()))
            .or_insert_with(|| a.allows_path(rel))
    }
}

/// Everything that suppresses findings, compiled.
#[derive(Debug, Default)]
pub(crate) struct Suppressions {
    pub disabled: HashSet<String>,
    global: Allowlist,
    per_rule: HashMap<String, Allowlist>,
    baseline: HashSet<String>,
    /// What path globs are relative to.
    base: PathBase,
}

/// How the path of a finding, as reports show it, becomes the path that allowlist globs and
/// path regexes match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PathBase {
    /// Shown paths are relative to the working directory `cwd` (or absolute); the globs are
    /// relative to the directory `dir` (the one holding the configuration file). Both absolute.
    Dir { cwd: PathBuf, dir: PathBuf },
    /// Shown paths start with this prefix (the scanned path, as given), which is stripped;
    /// paths without it are matched as shown.
    Prefix(String),
}

impl Default for PathBase {
    fn default() -> PathBase {
        PathBase::Prefix(String::new())
    }
}

impl PathBase {
    /// The prefix form for the scanned path `root` (a directory).
    pub(crate) fn prefix(root: &Path) -> PathBase {
        let root = crate::source::fs::display_path(root);
        PathBase::Prefix(if root == "." || root.is_empty() {
            String::new()
        } else {
            format!("{}/", root.trim_end_matches('/'))
        })
    }

    /// `shown` relative to the base, with `/` separators; as shown when it is not under it.
    fn relative<'a>(&self, shown: &'a str) -> Cow<'a, str> {
        match self {
            PathBase::Prefix(p) => Cow::Borrowed(shown.strip_prefix(p.as_str()).unwrap_or(shown)),
            PathBase::Dir { .. } if shown == STDIN_NAME => Cow::Borrowed(shown),
            PathBase::Dir { cwd, dir } => {
                let abs = normalize(&cwd.join(shown));
                let rel = abs
                    .strip_prefix(dir)
                    .ok()
                    .map(Path::to_path_buf)
                    .or_else(|| {
                        resolved(&abs)?
                            .strip_prefix(dir)
                            .ok()
                            .map(Path::to_path_buf)
                    });
                match rel {
                    Some(r) => Cow::Owned(r.to_string_lossy().replace('\\', "/")),
                    None => Cow::Borrowed(shown),
                }
            }
        }
    }
}

/// `abs` with the symbolic links of its longest existing ancestor resolved (a path given
/// through a link to the repository).
fn resolved(abs: &Path) -> Option<PathBuf> {
    abs.ancestors().find_map(|a| {
        let real = std::fs::canonicalize(a).ok()?;
        Some(real.join(abs.strip_prefix(a).ok()?))
    })
}

/// How many findings each mechanism suppressed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Suppressed {
    pub disabled: u64,
    pub allowlist: u64,
    pub baseline: u64,
    /// What `--only-verified` withheld; `None` without it.
    pub withheld: Option<Withheld>,
}

/// The findings `--only-verified` kept out of the report, by verdict: key pairs AWS rejected,
/// could not judge or was not asked about, and findings that are not key pairs, which cannot
/// be verified at all.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Withheld {
    pub invalid: u64,
    pub unknown: u64,
    pub skipped: u64,
    pub unverifiable: u64,
    /// The reasons of the `unknown` verdicts, each once, in the order met.
    pub unknown_reasons: Vec<String>,
}

impl Withheld {
    /// Keeps the findings AWS confirmed live; counts the others.
    pub(crate) fn apply(findings: &mut Vec<Finding>) -> Withheld {
        let mut w = Withheld::default();
        findings.retain(|f| {
            let Some(v) = &f.verification else {
                w.unverifiable += 1;
                return false;
            };
            match v.status {
                Status::Live => return true,
                Status::Invalid => w.invalid += 1,
                Status::Skipped => w.skipped += 1,
                Status::Unknown => {
                    w.unknown += 1;
                    if !w.unknown_reasons.contains(&v.reason) {
                        w.unknown_reasons.push(v.reason.clone());
                    }
                }
            }
            false
        });
        w
    }

    /// How many were withheld.
    pub(crate) fn total(&self) -> u64 {
        self.invalid + self.unknown + self.skipped + self.unverifiable
    }
}

impl Suppressions {
    /// Compiles the configuration's allowlists and disabled rules; path globs are relative to
    /// `base`.
    pub(crate) fn new(name: &str, config: &ConfigFile, base: PathBase) -> Result<Suppressions> {
        let empty = AllowSpec::default();
        let spec = config.allowlist.as_ref().unwrap_or(&empty);
        let global = Allowlist::compile(spec, name, "allowlist")?;
        let mut per_rule = HashMap::new();
        for (id, s) in &spec.rule {
            let field = format!("allowlist.rule.{id}");
            if !s.rule.is_empty() {
                return Err(Error::config(name, field, "rules cannot nest"));
            }
            per_rule.insert(id.clone(), Allowlist::compile(s, name, &field)?);
        }
        Ok(Suppressions {
            disabled: config.disable.iter().cloned().collect(),
            global,
            per_rule,
            baseline: HashSet::new(),
            base,
        })
    }

    /// Adds a baseline's fingerprints.
    pub(crate) fn set_baseline(&mut self, fingerprints: HashSet<String>) {
        self.baseline = fingerprints;
    }

    /// Drops findings of disabled rules and allowlisted findings; counts them.
    pub(crate) fn apply_config(&self, findings: &mut Vec<Finding>, n: &mut Suppressed) {
        let mut paths = PathAnswers::default();
        // Each shown path is made relative once (it may resolve links on disk).
        let mut relative: HashMap<String, String> = HashMap::new();
        findings.retain(|f| {
            if self.disabled.contains(f.rule.id) {
                n.disabled += 1;
                return false;
            }
            let path = f.primary().map(|l| l.path.as_str()).unwrap_or("");
            let rel = match relative.get(path) {
                Some(r) => r.clone(),
                None => {
                    let r = self.base.relative(path).into_owned();
                    relative.insert(path.to_string(), r.clone());
                    r
                }
            };
            let id = f.rule.id;
            if paths.allows(&self.global, None, &rel)
                || self.global.allows_value(f)
                || self
                    .per_rule
                    .get(id)
                    .is_some_and(|a| paths.allows(a, Some(id), &rel) || a.allows_value(f))
            {
                n.allowlist += 1;
                return false;
            }
            true
        });
    }

    /// Drops findings listed in the baseline; counts them.
    pub(crate) fn apply_baseline(&self, findings: &mut Vec<Finding>, n: &mut Suppressed) {
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
/// paths and no timestamps, so that it does not churn when code moves and merges cleanly. Also
/// how many fingerprints it holds.
pub(crate) fn baseline_text(findings: &[Finding]) -> (String, usize) {
    let entries: BTreeSet<(String, &str)> = findings
        .iter()
        .map(|f| (f.fingerprint.clone(), f.rule.id))
        .collect();
    let mut out = String::from(
        "# keyhound baseline: fingerprints of known findings (rule id after each, for people).\n\
         # Findings listed here are not reported. Rewrite with: keyhound scan --write-baseline FILE\n",
    );
    let n = entries.len();
    for (fp, rule) in entries {
        out.push_str(&format!("{fp} {rule}\n"));
    }
    (out, n)
}

/// Reads a baseline file; an error names the first bad line.
pub(crate) fn parse_baseline(name: &str, text: &str) -> Result<HashSet<String>> {
    let mut out = HashSet::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fp = line.split_whitespace().next().unwrap_or("");
        if fp.len() != 32 || !fp.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::Line {
                file: name.to_string(),
                line: n + 1,
                message: format!("not a keyhound fingerprint: {fp:?}"),
            });
        }
        out.insert(fp.to_ascii_lowercase());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_relative_to_the_configuration() {
        let dir = PathBase::Dir {
            cwd: PathBuf::from("/r/sub"),
            dir: PathBuf::from("/r"),
        };
        assert_eq!(dir.relative("a.env"), "sub/a.env");
        assert_eq!(dir.relative("../b/c.env"), "b/c.env");
        assert_eq!(dir.relative("/r/sub/d.env"), "sub/d.env");
        assert_eq!(dir.relative("<stdin>"), "<stdin>");
        // Outside the configuration's directory: as shown.
        assert_eq!(dir.relative("/elsewhere/e.env"), "/elsewhere/e.env");
        let prefix = PathBase::prefix(Path::new("./repo"));
        assert_eq!(prefix.relative("repo/x.env"), "x.env");
        assert_eq!(prefix.relative("sub/x.env"), "sub/x.env");
        assert_eq!(PathBase::prefix(Path::new(".")).relative("x"), "x");
    }

    #[test]
    fn baseline_round_trip_and_errors() {
        let text = "# c\n0123456789abcdef0123456789abcdef aws-access-key-id\n\n";
        let set = parse_baseline("b", text).unwrap_or_default();
        assert!(set.contains("0123456789abcdef0123456789abcdef"));
        let e = parse_baseline("b", "# c\nnope\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("b:2"), "{e}");
    }
}
