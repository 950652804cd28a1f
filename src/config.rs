//! `Config` is the validated form of the command line, built once. Everything after this point
//! takes `&Config`; malformed values (a size like `12Q`, zero threads) are errors here.

use std::io::IsTerminal;
use std::path::PathBuf;

use crate::cli::{ColorChoice, Format, ScanArgs};
use crate::detect::Detector;
use crate::error::{Error, Result};
use crate::rule::set::RuleSet;
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
        let rules =
            RuleSet::builtin().map_err(|e| Error::Config(format!("built-in rules: {e}")))?;
        Ok(Config {
            detector: Detector::new(rules),
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
