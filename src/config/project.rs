//! The project configuration: `.keyhound.toml` (its schema, `ConfigFile`), found at the top of
//! the scanned repository (or the scanned directory), or named with `--config`; a
//! `.gitleaks.toml` is imported instead when there is no `.keyhound.toml` (see `gitleaks`).
//! Errors found after parsing (a bad regex, an unknown rule id) get the line of the field they
//! name, looked up in the file's parsed spans.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::de::{DeTable, DeValue};

use super::ProjectConfig;
use crate::error::{Error, Result};
use crate::rule::file::RuleSpec;

/// `.keyhound.toml`, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfigFile {
    /// Rule ids not to report (built-in or from files).
    #[serde(default)]
    pub disable: Vec<String>,
    /// Rules that are off by default to run as well (the generic rules), by id or by a prefix
    /// ending in `*`.
    #[serde(default)]
    pub enable: Vec<String>,
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
pub(crate) struct AllowSpec {
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

/// The project configuration in use.
#[derive(Debug, Default)]
pub(crate) struct Project {
    /// The file read, if any.
    pub file: Option<PathBuf>,
    pub config: ConfigFile,
    /// Its text, for the lines of errors found after parsing.
    text: String,
    /// Imported from a gitleaks configuration: what keyhound cannot honour in it is a warning,
    /// not an error.
    pub imported: bool,
}

/// Parses `.keyhound.toml`; errors name the file, the line and the field.
pub(crate) fn parse(name: &str, text: &str) -> Result<ConfigFile> {
    toml::from_str::<ConfigFile>(text).map_err(|e| Error::toml(name, &e))
}

impl Project {
    /// The configuration `choice` asks for; `first_path` is the first scanned path, where
    /// discovery starts.
    pub(crate) fn load(choice: &ProjectConfig, first_path: &Path) -> Result<Project> {
        let path = match choice {
            ProjectConfig::None => None,
            ProjectConfig::File(p) => Some(p.clone()),
            ProjectConfig::Discover => discover(first_path),
        };
        let Some(path) = path else {
            return Ok(Project::default());
        };
        let text = std::fs::read_to_string(&path).map_err(|e| match choice {
            ProjectConfig::File(_) => Error::flag_file("--config", &path, e),
            _ => Error::Io {
                path: path.clone(),
                source: e,
            },
        })?;
        let name = path.display().to_string();
        // By name (`.gitleaks.toml`), or by content for `--config` with any name.
        let is_gitleaks = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().contains("gitleaks"))
            || super::gitleaks::looks_like(&text);
        let config = if is_gitleaks {
            super::gitleaks::import(&name, &text)?
        } else {
            parse(&name, &text)?
        };
        Ok(Project {
            file: Some(path),
            config,
            text,
            imported: is_gitleaks,
        })
    }

    /// The file's name as errors and reports show it (empty without a file).
    pub(crate) fn name(&self) -> String {
        self.file
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    }

    /// Adds the line to an error about a rule or a field of this file, when the file sets it.
    pub(crate) fn locate(&self, e: Error) -> Error {
        let name = self.name();
        match e {
            Error::Rule {
                file,
                rule,
                field,
                line: None,
                message,
            } if file == name && !name.is_empty() => {
                let mut path = vec![Step::Key("rules"), Step::RuleId(&rule)];
                path.extend(field.split('.').map(Step::Key));
                let line = line_of(&self.text, &path);
                Error::Rule {
                    file,
                    rule,
                    field,
                    line,
                    message,
                }
            }
            Error::Config {
                file,
                field,
                line: None,
                message,
            } if file == name && !name.is_empty() => {
                let path: Vec<Step<'_>> = field.split('.').map(Step::Key).collect();
                let line = line_of(&self.text, &path);
                Error::Config {
                    file,
                    field,
                    line,
                    message,
                }
            }
            other => other,
        }
    }
}

/// The line lookup of errors after parsing, on arbitrary text, for the fuzzer.
#[cfg(feature = "fuzzing")]
pub(crate) fn line_for_fuzzing(text: &str) -> Option<usize> {
    line_of(
        text,
        &[
            Step::Key("rules"),
            Step::RuleId("a"),
            Step::Key("allowlist"),
            Step::Key("regexes"),
        ],
    )
    .or_else(|| line_of(text, &[Step::Key("allowlist"), Step::Key("paths")]))
}

/// `.keyhound.toml`, else `.gitleaks.toml`, at the top of the repository holding `first_path`
/// (or in its directory, outside a repository).
fn discover(first_path: &Path) -> Option<PathBuf> {
    let dir = if first_path.is_dir() {
        first_path.to_path_buf()
    } else {
        first_path.parent().map(PathBuf::from).unwrap_or_default()
    };
    // A file in the working directory has the empty path as its parent.
    let dir = if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir
    };
    let abs = std::fs::canonicalize(&dir).unwrap_or(dir.clone());
    let top = abs
        .ancestors()
        .find(|a| a.join(".git").exists())
        .map(PathBuf::from)
        .unwrap_or(abs);
    [".keyhound.toml", ".gitleaks.toml"]
        .iter()
        .map(|n| top.join(n))
        .find(|p| p.is_file())
}

/// One step of the way to a value in a TOML document.
#[derive(Debug, Clone, Copy)]
enum Step<'a> {
    /// The key of that name in a table.
    Key(&'a str),
    /// The table of an array of tables whose `id` is this.
    RuleId(&'a str),
}

/// The 1-based line of the key that `path` leads to in `text`, if the document sets it.
fn line_of(text: &str, path: &[Step<'_>]) -> Option<usize> {
    let doc = DeTable::parse(text).ok()?;
    let mut table: &DeTable<'_> = doc.get_ref();
    let mut value: Option<&DeValue<'_>> = None;
    let mut at = None;
    for step in path {
        match *step {
            Step::Key(name) => {
                if let Some(v) = value {
                    table = match v {
                        DeValue::Table(t) => t,
                        _ => return None,
                    };
                }
                let (k, v) = table.iter().find(|(k, _)| k.get_ref().as_ref() == name)?;
                at = Some(k.span().start);
                value = Some(v.get_ref());
            }
            Step::RuleId(id) => {
                let DeValue::Array(items) = value? else {
                    return None;
                };
                let item = items.iter().find(|item| match item.get_ref() {
                    DeValue::Table(t) => t.iter().any(|(k, v)| {
                        k.get_ref().as_ref() == "id"
                            && matches!(v.get_ref(), DeValue::String(s) if s.as_ref() == id)
                    }),
                    _ => false,
                })?;
                at = Some(item.span().start);
                value = Some(item.get_ref());
            }
        }
    }
    let offset = at?;
    Some(text.get(..offset)?.bytes().filter(|&b| b == b'\n').count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(text: &str) -> Project {
        Project {
            file: Some(PathBuf::from("f")),
            config: ConfigFile::default(),
            text: text.to_string(),
            imported: false,
        }
    }

    #[test]
    fn config_errors_name_line_and_field() {
        let e = parse(".keyhound.toml", "disable = [\"x\"]\ncolour = 3\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains(".keyhound.toml") && e.contains("colour") && e.contains("line 2"),
            "{e}"
        );
        let p = project("[allowlist]\nregexes = ['(']\n");
        let e = p.locate(Error::config("f", "allowlist.regexes", "bad"));
        assert!(
            e.to_string().starts_with("f: line 2: allowlist.regexes"),
            "{e}"
        );
    }

    #[test]
    fn errors_after_parsing_get_their_line() {
        let text = "disable = [\"nope\"]\n\n[[rules]]\nid = \"a\"\npattern = '(x'\n\n[[rules]]\nid = \"b\"\nname = \"B\"\npattern = '(y'\n\n[allowlist.rule.b]\npaths = ['[']\n";
        let p = project(text);
        let rule = |id: &str| p.locate(Error::rule("f", id, "pattern", "bad")).to_string();
        let field = |f: &str| p.locate(Error::config("f", f, "bad")).to_string();
        assert_eq!(rule("b"), "f: line 10: rule \"b\": pattern: bad");
        assert_eq!(rule("a"), "f: line 5: rule \"a\": pattern: bad");
        assert_eq!(field("disable"), "f: line 1: disable: bad");
        assert_eq!(
            field("allowlist.rule.b.paths"),
            "f: line 13: allowlist.rule.b.paths: bad"
        );
        // Nothing to find: unchanged.
        assert_eq!(rule("c"), "f: rule \"c\": pattern: bad");
        let other = p.locate(Error::config("g", "disable", "x")).to_string();
        assert_eq!(other, "g: disable: x");
        // A field written as a dotted key or an inline table is found too.
        let p = project("[[rules]]\nid = \"a\"\nallowlist.regexes = ['(']\n");
        let e = p.locate(Error::rule("f", "a", "allowlist.regexes", "bad"));
        assert!(e.to_string().starts_with("f: line 3: "), "{e}");
    }
}
