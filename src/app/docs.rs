//! `keyhound completions SHELL` and `keyhound man`: shell completion scripts and man pages,
//! generated from the same clap definitions as the command line itself, so they never drift
//! from it.

use std::io::{self, Write};
use std::path::Path;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;
use crate::error::{Error, Result};

/// Prints the completion script for `shell`.
pub(crate) fn completions(shell: Shell) -> Result<i32> {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "keyhound", &mut buf);
    print(&buf)?;
    Ok(0)
}

/// Prints keyhound(1), or writes it and a page per subcommand into `out_dir`.
pub(crate) fn man(out_dir: Option<&Path>) -> Result<i32> {
    match out_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| Error::Io {
                path: dir.to_path_buf(),
                source: e,
            })?;
            clap_mangen::generate_to(Cli::command(), dir).map_err(|e| Error::Io {
                path: dir.to_path_buf(),
                source: e,
            })?;
        }
        None => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut buf)
                .map_err(|e| Error::Output {
                    path: None,
                    source: e,
                })?;
            print(&buf)?;
        }
    }
    Ok(0)
}

/// Writes to standard output; a closed pipe (`keyhound man | head`) is not an error.
fn print(bytes: &[u8]) -> Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| Error::Output {
            path: None,
            source: e,
        }),
    }
}
