//! The one error type of keyhound. Every variant carries, as data, the context a user needs to
//! act on it (the path, the flag, the file, the rule, the field, the line, the git object), and
//! `Display` writes it as one line. Errors that stop a run come back as `Err`; errors about one
//! file, blob or object are recorded in `Problems` and the scan goes on.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::Mutex;

/// Everything that can go wrong in keyhound, with its context.
#[derive(Debug)]
pub enum Error {
    /// A path named on the command line does not exist or cannot be read.
    Path { path: PathBuf, source: io::Error },
    /// Reading or writing a file failed.
    Io { path: PathBuf, source: io::Error },
    /// A file named by a flag (`--baseline`, `--config`, `-o`, ...) cannot be read or written.
    FlagFile {
        flag: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    /// Reading standard input failed.
    Stdin(io::Error),
    /// Writing the report failed.
    Output {
        path: Option<PathBuf>,
        source: io::Error,
    },
    /// A flag has a bad value, or flags that do not go together were given. The message names
    /// the flag as the user wrote it.
    Flag { flag: &'static str, message: String },
    /// A TOML file does not parse or does not fit its schema (the message gives the line).
    Toml { file: String, message: String },
    /// A rule in a rule file or a configuration is not valid.
    Rule {
        file: String,
        rule: String,
        field: &'static str,
        line: Option<usize>,
        message: String,
    },
    /// A field of a configuration file (`.keyhound.toml`, `rules/aws.toml`, a baseline, a list
    /// of accounts) is not valid. `field` is its dotted path, empty for a line-based file.
    Config {
        file: String,
        field: String,
        line: Option<usize>,
        message: String,
    },
    /// A line of a line-based file (a baseline) is not valid.
    Line {
        file: String,
        line: usize,
        message: String,
    },
    /// A git repository, revision or object could not be read. `object` names it (`git blob
    /// <id>`, `commit <id>`, the repository path, `--since`).
    Git { object: String, message: String },
    /// A damaged file or directory entry met while walking.
    Walk(String),
    /// `keyhound hook` cannot do what was asked; `path` is the hook or the repository.
    Hook { path: PathBuf, message: String },
}

impl Error {
    /// A `Config` error about `field` of `file`, its line not known yet.
    pub(crate) fn config(file: &str, field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Config {
            file: file.to_string(),
            field: field.into(),
            line: None,
            message: message.into(),
        }
    }

    /// A `Rule` error about `field` of rule `rule` in `file`, its line not known yet.
    pub(crate) fn rule(
        file: &str,
        rule: &str,
        field: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Error::Rule {
            file: file.to_string(),
            rule: rule.to_string(),
            field,
            line: None,
            message: message.into(),
        }
    }

    /// A `Toml` error from the TOML parser's own message (which names the line).
    pub(crate) fn toml(file: &str, e: &toml::de::Error) -> Self {
        Error::Toml {
            file: file.to_string(),
            message: e.to_string().trim_end().to_string(),
        }
    }

    /// A `Git` error from libgit2's message.
    pub(crate) fn git(object: impl Into<String>, e: &git2::Error) -> Self {
        Error::Git {
            object: object.into(),
            message: e.message().to_string(),
        }
    }

    /// A `FlagFile` error: `path`, named by `flag`, cannot be read or written.
    pub(crate) fn flag_file(flag: &'static str, path: &std::path::Path, source: io::Error) -> Self {
        Error::FlagFile {
            flag,
            path: path.to_path_buf(),
            source,
        }
    }

    /// A `Flag` error.
    pub(crate) fn flag(flag: &'static str, message: impl Into<String>) -> Self {
        Error::Flag {
            flag,
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = |line: &Option<usize>| line.map(|n| format!("line {n}: ")).unwrap_or_default();
        match self {
            Error::Path { path, source } | Error::Io { path, source } => {
                write!(f, "{}: {}", path.display(), source)
            }
            Error::FlagFile { flag, path, source } => {
                write!(f, "{flag} {}: {source}", path.display())
            }
            Error::Stdin(e) => write!(f, "reading standard input: {e}"),
            Error::Output {
                path: Some(p),
                source,
            } => write!(f, "writing report to {}: {}", p.display(), source),
            Error::Output { path: None, source } => write!(f, "writing report: {source}"),
            Error::Flag { message, .. } | Error::Walk(message) => f.write_str(message),
            Error::Toml { file, message } => write!(f, "{file}: {message}"),
            Error::Rule {
                file,
                rule,
                field,
                line: at,
                message,
            } => {
                write!(f, "{file}: {}rule {rule:?}: ", line(at))?;
                if !field.is_empty() {
                    write!(f, "{field}: ")?;
                }
                f.write_str(message)
            }
            Error::Config {
                file,
                field,
                line: at,
                message,
            } => {
                write!(f, "{file}: {}", line(at))?;
                if !field.is_empty() {
                    write!(f, "{field}: ")?;
                }
                f.write_str(message)
            }
            Error::Line {
                file,
                line,
                message,
            } => write!(f, "{file}:{line}: {message}"),
            Error::Git { object, message } => write!(f, "{object}: {message}"),
            Error::Hook { path, message } => write!(f, "{}: {message}", path.display()),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Path { source, .. }
            | Error::Io { source, .. }
            | Error::FlagFile { source, .. } => Some(source),
            Error::Stdin(e) => Some(e),
            Error::Output { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Shorthand used across the crate.
pub type Result<T> = std::result::Result<T, Error>;

/// The errors of a scan that did not stop it (an unreadable file, a damaged git object), from
/// every thread. Any of them makes the exit status 2.
#[derive(Debug, Default)]
pub(crate) struct Problems(Mutex<Vec<Error>>);

impl Problems {
    /// Records an error and lets the scan go on.
    pub(crate) fn push(&self, e: Error) {
        match self.0.lock() {
            Ok(mut v) => v.push(e),
            Err(poisoned) => poisoned.into_inner().push(e),
        }
    }

    /// How many errors were recorded.
    pub(crate) fn len(&self) -> usize {
        self.0
            .lock()
            .map_or_else(|p| p.into_inner().len(), |v| v.len())
    }

    /// The errors recorded, as one-line messages, sorted (threads record them in any order).
    pub(crate) fn messages(self) -> Vec<String> {
        let list = self.0.into_inner().unwrap_or_else(|p| p.into_inner());
        let mut v: Vec<String> = list.iter().map(Error::to_string).collect();
        v.sort();
        v
    }
}
