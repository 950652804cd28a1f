//! The one error type of keyhound. Every variant carries the context a user needs to act on it
//! (the path, the flag or the value that was wrong), and `Display` writes it as one line.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Everything that can go wrong in keyhound, with its context.
#[derive(Debug)]
pub enum Error {
    /// A path named on the command line does not exist or cannot be read.
    Path { path: PathBuf, source: io::Error },
    /// Reading or writing a file failed.
    Io { path: PathBuf, source: io::Error },
    /// Reading standard input failed.
    Stdin(io::Error),
    /// Writing the report failed.
    Output {
        path: Option<PathBuf>,
        source: io::Error,
    },
    /// A flag or configuration value is invalid.
    Config(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Path { path, source } => write!(f, "{}: {}", path.display(), source),
            Error::Io { path, source } => write!(f, "{}: {}", path.display(), source),
            Error::Stdin(e) => write!(f, "reading standard input: {e}"),
            Error::Output {
                path: Some(p),
                source,
            } => {
                write!(f, "writing report to {}: {}", p.display(), source)
            }
            Error::Output { path: None, source } => write!(f, "writing report: {source}"),
            Error::Config(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Path { source, .. } | Error::Io { source, .. } => Some(source),
            Error::Stdin(e) => Some(e),
            Error::Output { source, .. } => Some(source),
            Error::Config(_) => None,
        }
    }
}

/// Shorthand used across the crate.
pub type Result<T> = std::result::Result<T, Error>;
