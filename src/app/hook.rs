//! `keyhound hook install|uninstall`: the native git pre-commit hook. It honours
//! `core.hooksPath`, never overwrites a hook it did not write (unless forced, and then keeps
//! the old one beside it), and removes only its own hook. Also `keyhound pre-commit`, the scan
//! the pre-commit framework's hooks run, which picks what to scan from how it was called.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use crate::cli::{HookAction, PreCommitArgs};
use crate::error::{Error, Result};
use crate::report::text::sanitize;

/// Runs a `hook` subcommand; returns the exit status.
pub(crate) fn run(action: HookAction) -> Result<i32> {
    match action {
        HookAction::Install { force, repo } => {
            let path = install(&repo, force)?;
            println!("keyhound: installed pre-commit hook at {}", shown(&path));
        }
        HookAction::Uninstall { repo } => match uninstall(&repo)? {
            Some(path) => println!("keyhound: removed pre-commit hook {}", shown(&path)),
            None => println!("keyhound: no pre-commit hook to remove"),
        },
    }
    Ok(0)
}

/// What the pre-commit framework is running the hook for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HookMode {
    /// pre-push (or any stage with a range): the commits FROM..TO being pushed.
    Range { from: String, to: String },
    /// `git commit`: git names the index being committed in GIT_INDEX_FILE.
    Commit,
    /// `pre-commit run --all-files`, `--files`, a manual stage, pre-commit.ci: the files named.
    Files,
}

impl HookMode {
    /// The mode from the environment pre-commit and git give the hook.
    pub(crate) fn from_env(var: impl Fn(&str) -> Option<OsString>) -> HookMode {
        let set = |name: &str| {
            var(name)
                .filter(|v| !v.is_empty())
                .map(|v| v.to_string_lossy().into_owned())
        };
        match (set("PRE_COMMIT_FROM_REF"), set("PRE_COMMIT_TO_REF")) {
            (Some(from), Some(to)) => HookMode::Range { from, to },
            _ if set("GIT_INDEX_FILE").is_some() => HookMode::Commit,
            _ => HookMode::Files,
        }
    }
}

/// The `keyhound scan` command line the hook runs in `mode`.
pub(crate) fn pre_commit_argv(args: &PreCommitArgs, mode: &HookMode) -> Vec<OsString> {
    let mut argv: Vec<OsString> = vec!["keyhound".into(), "scan".into()];
    if !args.verify {
        argv.push("--no-verify".into());
    }
    argv.extend(args.scan_flags.iter().map(OsString::from));
    match mode {
        HookMode::Range { from, to } => {
            argv.push("--since".into());
            argv.push(format!("{from}..{to}").into());
        }
        HookMode::Files if !args.files.is_empty() => {
            argv.push("--no-history".into());
            argv.push("--".into());
            argv.extend(args.files.iter().map(|f| f.as_os_str().to_owned()));
        }
        // No file named: what a commit would record.
        HookMode::Commit | HookMode::Files => argv.push("--staged".into()),
    }
    argv
}

/// A path for the terminal: `core.hooksPath` comes from the repository's configuration, which
/// may hold any bytes.
fn shown(path: &Path) -> String {
    sanitize(&path.display().to_string())
}

/// Marks a hook file as keyhound's own.
const MARKER: &str = "# keyhound-managed-hook";

/// Where pre-commit hooks of the repository at (or above) `path` live.
fn hooks_dir(path: &Path) -> Result<PathBuf> {
    let repo = git2::Repository::discover(path).map_err(|e| Error::Hook {
        path: path.to_path_buf(),
        message: format!("not in a git repository ({})", e.message()),
    })?;
    let configured = repo
        .config()
        .ok()
        .and_then(|c| c.get_path("core.hooksPath").ok());
    let dir = match configured {
        Some(p) if p.is_absolute() => p,
        Some(p) => repo.workdir().unwrap_or_else(|| repo.path()).join(p),
        None => repo.commondir().join("hooks"),
    };
    Ok(dir)
}

fn script() -> String {
    let exe = std::env::current_exe()
        .ok()
        .map(|p| p.to_string_lossy().replace('\'', "'\\''"))
        .unwrap_or_else(|| "keyhound".to_string());
    format!(
        "#!/bin/sh\n\
         {MARKER}\n\
         # Installed by `keyhound hook install`; remove with `keyhound hook uninstall`.\n\
         # Scans exactly what this commit records (the index) and stops the commit on a leak.\n\
         if command -v keyhound >/dev/null 2>&1; then\n\
         \x20   exec keyhound scan --staged\n\
         fi\n\
         exec '{exe}' scan --staged\n"
    )
}

fn is_ours(path: &Path) -> bool {
    fs::read_to_string(path).is_ok_and(|s| s.contains(MARKER))
}

/// Writes the pre-commit hook; returns its path.
fn install(repo_path: &Path, force: bool) -> Result<PathBuf> {
    let dir = hooks_dir(repo_path)?;
    fs::create_dir_all(&dir).map_err(|e| Error::Io {
        path: dir.clone(),
        source: e,
    })?;
    let hook = dir.join("pre-commit");
    if hook.exists() && !is_ours(&hook) {
        if !force {
            return Err(Error::Hook {
                path: hook,
                message: "exists and was not written by keyhound; rerun with --force to replace \
                          it (it will be kept as pre-commit.keyhound-backup), or call `keyhound \
                          scan --staged` from it"
                    .into(),
            });
        }
        let backup = dir.join("pre-commit.keyhound-backup");
        fs::rename(&hook, &backup).map_err(|e| Error::Io {
            path: backup.clone(),
            source: e,
        })?;
    }
    fs::write(&hook, script()).map_err(|e| Error::Io {
        path: hook.clone(),
        source: e,
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&hook, fs::Permissions::from_mode(0o755)).map_err(|e| Error::Io {
            path: hook.clone(),
            source: e,
        })?;
    }
    Ok(hook)
}

/// Removes keyhound's pre-commit hook; returns its path, or `None` when there was none.
fn uninstall(repo_path: &Path) -> Result<Option<PathBuf>> {
    let dir = hooks_dir(repo_path)?;
    let hook = dir.join("pre-commit");
    if !hook.exists() {
        return Ok(None);
    }
    if !is_ours(&hook) {
        return Err(Error::Hook {
            path: hook,
            message: "was not written by keyhound; leaving it alone".into(),
        });
    }
    fs::remove_file(&hook).map_err(|e| Error::Io {
        path: hook.clone(),
        source: e,
    })?;
    let backup = dir.join("pre-commit.keyhound-backup");
    if backup.exists() {
        fs::rename(&backup, &hook).map_err(|e| Error::Io {
            path: hook.clone(),
            source: e,
        })?;
    }
    Ok(Some(hook))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(vars: &[(&str, &str)]) -> HookMode {
        HookMode::from_env(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        })
    }

    #[test]
    fn the_mode_comes_from_the_environment() {
        assert_eq!(mode(&[]), HookMode::Files);
        assert_eq!(
            mode(&[("GIT_INDEX_FILE", "/r/.git/index")]),
            HookMode::Commit
        );
        assert_eq!(
            mode(&[
                ("PRE_COMMIT_FROM_REF", "a"),
                ("PRE_COMMIT_TO_REF", "b"),
                ("GIT_INDEX_FILE", "x")
            ]),
            HookMode::Range {
                from: "a".into(),
                to: "b".into()
            }
        );
        // An empty or half-set range is no range.
        assert_eq!(mode(&[("PRE_COMMIT_FROM_REF", "a")]), HookMode::Files);
        assert_eq!(
            mode(&[("PRE_COMMIT_FROM_REF", ""), ("PRE_COMMIT_TO_REF", "")]),
            HookMode::Files
        );
    }

    #[test]
    fn the_scan_command_line_of_each_mode() {
        let args = |files: &[&str], verify: bool| PreCommitArgs {
            files: files.iter().map(PathBuf::from).collect(),
            verify,
            scan_flags: vec!["-q".into()],
        };
        let shown = |a: &PreCommitArgs, m: &HookMode| {
            pre_commit_argv(a, m)
                .iter()
                .map(|s| s.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(
            shown(&args(&["a", "-b"], false), &HookMode::Files),
            "keyhound scan --no-verify -q --no-history -- a -b"
        );
        assert_eq!(
            shown(&args(&["a"], true), &HookMode::Commit),
            "keyhound scan -q --staged"
        );
        assert_eq!(
            shown(&args(&[], false), &HookMode::Files),
            "keyhound scan --no-verify -q --staged"
        );
        let range = HookMode::Range {
            from: "1".into(),
            to: "2".into(),
        };
        assert_eq!(
            shown(&args(&["a"], false), &range),
            "keyhound scan --no-verify -q --since 1..2"
        );
    }
}
