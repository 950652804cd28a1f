//! `Config` is the validated form of the command line, built once. Everything after this point
//! takes `&Config`; malformed values (a size like `12Q`, zero threads) are errors here.

use std::io::IsTerminal;
use std::path::PathBuf;

use crate::cli::{ColorChoice, Format, ScanArgs};
use crate::detect::Detector;
use crate::error::{Error, Result};
use crate::rule::set::RuleSet;
use crate::suppress::{parse_baseline, parse_config, with_line, ConfigFile, Suppressions};
use crate::verify::{Endpoint, VerifyConfig};

/// What to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A file or directory.
    Path(PathBuf),
    /// Standard input.
    Stdin,
}

/// A validated scan configuration.
pub struct Config {
    /// The AWS matcher and every rule, compiled once.
    pub detector: Detector,
    pub targets: Vec<Target>,
    pub format: Format,
    pub output: Option<PathBuf>,
    pub threads: usize,
    pub respect_ignore: bool,
    pub follow_links: bool,
    pub max_file_size: u64,
    pub history: bool,
    /// Scan the index's changes against HEAD only.
    pub staged: bool,
    /// Scan only the blobs introduced by this range.
    pub since: Option<String>,
    /// How to verify key pairs; `None` with `--no-verify`.
    pub verify: Option<VerifyConfig>,
    pub only_verified: bool,
    pub show_secrets: bool,
    pub color: bool,
    pub quiet: bool,
    /// Allowlists, disabled rules and the baseline.
    pub suppressions: Suppressions,
    /// The project configuration file in use, if any.
    pub config_file: Option<PathBuf>,
    pub write_baseline: Option<PathBuf>,
    /// Problems with the configuration that do not stop the scan.
    pub warnings: Vec<String>,
}

impl Config {
    /// Validates the scan flags.
    pub fn from_args(args: &ScanArgs) -> Result<Config> {
        let threads = match args.threads {
            Some(0) => return Err(Error::Config("--threads must be at least 1".into())),
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        let max_file_size = parse_size(&args.max_file_size).ok_or_else(|| {
            Error::Config(format!(
                "--max-file-size: invalid size {:?} (use bytes, or a number with K, M or G)",
                args.max_file_size
            ))
        })?;
        let targets = args
            .paths
            .iter()
            .map(|p| {
                if p.as_os_str() == "-" {
                    Target::Stdin
                } else {
                    Target::Path(p.clone())
                }
            })
            .collect::<Vec<_>>();
        if targets.iter().filter(|t| **t == Target::Stdin).count() > 1 {
            return Err(Error::Config(
                "standard input (-) can be scanned only once".into(),
            ));
        }
        if (args.staged || args.since.is_some()) && targets.contains(&Target::Stdin) {
            return Err(Error::Config(
                "--staged and --since read a git repository, not standard input".into(),
            ));
        }
        if (args.staged || args.since.is_some()) && targets.len() > 1 {
            return Err(Error::Config(
                "--staged and --since take one repository path".into(),
            ));
        }
        if args.since.as_deref().is_some_and(|s| s.trim().is_empty()) {
            return Err(Error::Config(
                "--since needs a revision (for example origin/main)".into(),
            ));
        }
        let color = match args.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                args.output.is_none()
                    && args.format == Format::Text
                    && std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::env::var("TERM").map_or(true, |t| t != "dumb")
            }
        };
        let root = targets
            .iter()
            .find_map(|t| match t {
                Target::Path(p) => Some(p.clone()),
                Target::Stdin => None,
            })
            .unwrap_or_else(|| PathBuf::from("."));
        let (config_file, project, project_text) = load_project_config(args, &root)?;
        let mut specs = if args.no_builtin_rules {
            Vec::new()
        } else {
            RuleSet::builtin_specs().map_err(|e| Error::Config(format!("built-in rules: {e}")))?
        };
        let project_name = config_file
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        specs.extend(
            project
                .rules
                .iter()
                .cloned()
                .map(|r| (project_name.clone(), r)),
        );
        let located = |e: String| Error::Config(with_line(&project_name, &project_text, e));
        let rules = RuleSet::from_specs(specs).map_err(located)?;
        let detector = Detector::new(rules);
        for id in &project.disable {
            if !detector.rules().iter().any(|r| r.id == id) {
                return Err(located(format!(
                    "{project_name}: disable: no rule has the id {id:?}"
                )));
            }
        }
        let scan_root = if root.is_dir() {
            root.clone()
        } else {
            root.parent().map(PathBuf::from).unwrap_or_default()
        };
        let mut suppressions =
            Suppressions::new(&project_name, &project, &scan_root).map_err(located)?;
        if let Some(b) = &args.baseline {
            let text = std::fs::read_to_string(b).map_err(|e| Error::Io {
                path: b.clone(),
                source: e,
            })?;
            suppressions.set_baseline(
                parse_baseline(&b.display().to_string(), &text).map_err(Error::Config)?,
            );
        }
        Ok(Config {
            detector,
            suppressions,
            config_file,
            write_baseline: args.write_baseline.clone(),
            warnings: project.warnings.clone(),
            targets,
            format: args.format,
            output: args.output.clone(),
            threads,
            respect_ignore: !args.no_ignore,
            follow_links: args.follow,
            max_file_size,
            history: !args.no_history,
            staged: args.staged,
            since: args.since.clone(),
            verify: if args.no_verify {
                None
            } else {
                Some(verify_config(args)?)
            },
            only_verified: args.only_verified,
            show_secrets: args.show_secrets,
            color,
            quiet: args.quiet,
        })
    }
}

/// The project configuration: `--config FILE`, else `.keyhound.toml` at the top of the scanned
/// repository (or the scanned directory), else `.gitleaks.toml` there; none with `--no-config`.
/// Also returns the file's text, for the lines of errors found after parsing.
fn load_project_config(
    args: &ScanArgs,
    root: &std::path::Path,
) -> Result<(Option<PathBuf>, ConfigFile, String)> {
    if args.no_config {
        return Ok((None, ConfigFile::default(), String::new()));
    }
    let path = match &args.config {
        Some(p) => Some(p.clone()),
        None => {
            let dir = if root.is_dir() {
                root.to_path_buf()
            } else {
                root.parent().map(PathBuf::from).unwrap_or_default()
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
    };
    let Some(path) = path else {
        return Ok((None, ConfigFile::default(), String::new()));
    };
    let text = std::fs::read_to_string(&path).map_err(|e| Error::Io {
        path: path.clone(),
        source: e,
    })?;
    let name = path.display().to_string();
    // By name (`.gitleaks.toml`), or by content for `--config` with any name.
    let is_gitleaks = path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().contains("gitleaks"))
        || crate::gitleaks::looks_like(&text);
    let config = if is_gitleaks {
        crate::gitleaks::import(&name, &text).map_err(Error::Config)?
    } else {
        parse_config(&name, &text).map_err(Error::Config)?
    };
    Ok((Some(path), config, text))
}

/// The verification settings: endpoint (flag, then the AWS environment variables), limits and
/// the accounts never to send.
fn verify_config(args: &ScanArgs) -> Result<VerifyConfig> {
    let endpoint = Endpoint::resolve(args.sts_endpoint.as_deref(), &|name| {
        std::env::var(name).ok()
    })
    .map_err(Error::Config)?;
    if args.verify_concurrency == 0 {
        return Err(Error::Config(
            "--verify-concurrency must be at least 1".into(),
        ));
    }
    if !(args.verify_timeout.is_finite() && args.verify_timeout > 0.0) {
        return Err(Error::Config(
            "--verify-timeout must be a positive number of seconds".into(),
        ));
    }
    let mut skip = std::collections::HashSet::new();
    for a in &args.skip_aws_account {
        let a = a.trim();
        if a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::Config(format!(
                "--skip-aws-account {a:?}: an AWS account ID has 12 digits"
            )));
        }
        skip.insert(a.to_string());
    }
    if let Some(file) = &args.skip_aws_account_file {
        let text = std::fs::read_to_string(file).map_err(|e| Error::Io {
            path: file.clone(),
            source: e,
        })?;
        let ids = crate::verify::parse_skip_accounts_file(&text)
            .map_err(|e| Error::Config(format!("{}: {e}", file.display())))?;
        skip.extend(ids);
    }
    Ok(VerifyConfig {
        endpoint,
        concurrency: args.verify_concurrency,
        timeout: std::time::Duration::from_secs_f64(args.verify_timeout.min(86_400.0)),
        skip_accounts: skip,
    })
}

/// Parses `1048576`, `512K`, `25M`, `1G` (binary multiples; `KB`/`MiB` spellings accepted).
pub fn parse_size(s: &str) -> Option<u64> {
    let t = s.trim();
    let digits_end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits_end);
    let n: u64 = num.parse().ok()?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("100"), Some(100));
        assert_eq!(parse_size("25M"), Some(25 << 20));
        assert_eq!(parse_size("2k"), Some(2048));
        assert_eq!(parse_size("1GiB"), Some(1 << 30));
        assert_eq!(parse_size("12Q"), None);
        assert_eq!(parse_size(""), None);
        assert_eq!(parse_size("99999999999999999999G"), None);
    }
}
