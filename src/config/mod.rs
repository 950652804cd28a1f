//! `Settings` is the validated form of the `scan` command line, built once and with no file
//! I/O: malformed values (a size like `12Q`, zero threads) and flags that do not go together
//! are errors here. The project configuration (`.keyhound.toml`, or an imported
//! `.gitleaks.toml`) is found and read by `project`; the app builds the scanner from both.

pub(crate) mod gitleaks;
pub(crate) mod project;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use crate::cli::{ColorChoice, Format, ScanArgs};
use crate::error::{Error, Result};
use crate::extract::Extract;
use crate::source::fs::WalkOptions;
use crate::verify::Endpoint;

/// What to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// A file or directory.
    Path(PathBuf),
    /// Standard input.
    Stdin,
}

/// Which project configuration to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ProjectConfig {
    /// `.keyhound.toml` (else `.gitleaks.toml`) at the top of the scanned repository.
    Discover,
    /// `--config FILE`.
    File(PathBuf),
    /// `--no-config`.
    None,
}

impl ProjectConfig {
    /// The configuration `--config FILE` and `--no-config` ask for.
    pub(crate) fn choose(config: Option<&PathBuf>, no_config: bool) -> ProjectConfig {
        match (config, no_config) {
            (_, true) => ProjectConfig::None,
            (Some(p), false) => ProjectConfig::File(p.clone()),
            (None, false) => ProjectConfig::Discover,
        }
    }
}

/// How to verify key pairs.
#[derive(Debug, Clone)]
pub(crate) struct VerifySettings {
    pub endpoint: Endpoint,
    pub concurrency: usize,
    pub timeout: Duration,
    /// `--skip-aws-account` values, checked.
    pub skip_accounts: Vec<String>,
    /// `--skip-aws-account-file`, read when the scanner is built.
    pub skip_accounts_file: Option<PathBuf>,
    /// The IAM endpoint with `--aws-triage`; `None` without it.
    pub triage: Option<Endpoint>,
}

/// A validated scan command line.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub targets: Vec<Target>,
    pub format: Format,
    pub output: Option<PathBuf>,
    pub threads: usize,
    pub walk: WalkOptions,
    pub history: bool,
    /// Report findings in unreachable git objects (`--include-unreachable`).
    pub include_unreachable: bool,
    /// Scan the index's changes against HEAD only.
    pub staged: bool,
    /// Scan only the blobs introduced by this range.
    pub since: Option<String>,
    /// `None` with `--no-verify`.
    pub verify: Option<VerifySettings>,
    pub only_verified: bool,
    pub show_secrets: bool,
    /// The exit status for findings (`--exit-code`, 1 by default).
    pub findings_exit_code: i32,
    /// Where the `github` format appends its Markdown job summary (`$GITHUB_STEP_SUMMARY`).
    pub step_summary: Option<PathBuf>,
    pub color: bool,
    pub quiet: bool,
    /// Load the built-in rules of `rules/*.toml` (not with `--no-builtin-rules`).
    pub builtin_rules: bool,
    /// The rules that are off by default to run as well (`--enable-rule`).
    pub enable_rules: Vec<String>,
    pub project: ProjectConfig,
    pub baseline: Option<PathBuf>,
    pub write_baseline: Option<PathBuf>,
    /// Flags that were taken with a change (a thread count capped), said once on standard
    /// error.
    pub warnings: Vec<String>,
}

/// Threads per available core that `-j` may ask for. Reading and inflating is mostly CPU
/// work; past a few threads per core they only contend (a walker of 1,000 threads took 32 s
/// on one small file, 5,000 more than a minute).
const THREADS_PER_CORE: usize = 4;

/// Verification requests in flight at most, whatever `--verify-concurrency` asks: each is a
/// thread, and STS throttles an account's callers long before this.
const MAX_VERIFY_CONCURRENCY: usize = 256;

/// The thread count for `-j` (all cores without it), capped at `THREADS_PER_CORE` per
/// available core, with the warning that says so.
fn threads(asked: Option<usize>) -> Result<(usize, Option<String>)> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let most = cores.saturating_mul(THREADS_PER_CORE);
    match asked {
        Some(0) => Err(Error::flag("--threads", "--threads must be at least 1")),
        Some(n) if n > most => Ok((
            most,
            Some(format!(
                "--threads {n}: using {most} ({THREADS_PER_CORE} per available core, {cores} \
                 cores); more threads only contend"
            )),
        )),
        Some(n) => Ok((n, None)),
        None => Ok((cores, None)),
    }
}

impl Settings {
    /// Validates the scan flags.
    pub(crate) fn from_args(args: &ScanArgs) -> Result<Settings> {
        let (threads, warning) = threads(args.threads)?;
        let mut warnings: Vec<String> = warning.into_iter().collect();
        let max_file_size = parse_size(&args.max_file_size).ok_or_else(|| {
            Error::flag(
                "--max-file-size",
                format!(
                    "--max-file-size: invalid size {:?} (use bytes, or a number with K, M or G)",
                    args.max_file_size
                ),
            )
        })?;
        let max_archive_size = parse_size(&args.max_archive_size).ok_or_else(|| {
            Error::flag(
                "--max-archive-size",
                format!(
                    "--max-archive-size: invalid size {:?} (use bytes, or a number with K, M or G)",
                    args.max_archive_size
                ),
            )
        })?;
        let targets = targets(args)?;
        if args.exit_code == 2 {
            warnings.push(
                "--exit-code 2: findings exit with the status of an error, so the two cannot be \
                 told apart"
                    .to_string(),
            );
        }
        let step_summary = (args.format == Format::Github)
            .then(|| std::env::var_os("GITHUB_STEP_SUMMARY"))
            .flatten()
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        Ok(Settings {
            format: args.format,
            output: args.output.clone(),
            threads,
            walk: WalkOptions {
                respect_ignore: !args.no_ignore,
                follow_links: args.follow,
                threads,
                max_file_size,
                archive: crate::extract::Limits {
                    extract: Extract {
                        binary_strings: !args.no_binary,
                    },
                    max_depth: args.max_archive_depth,
                    max_total: max_archive_size,
                    max_member_size: max_file_size,
                    ..crate::extract::Limits::default()
                },
            },
            history: !args.no_history,
            include_unreachable: args.include_unreachable,
            staged: args.staged,
            since: args.since.clone(),
            verify: if args.no_verify {
                None
            } else {
                Some(verify_settings(args, &mut warnings)?)
            },
            only_verified: args.only_verified,
            show_secrets: args.show_secrets,
            findings_exit_code: args.exit_code,
            step_summary,
            color: color(args),
            quiet: args.quiet,
            builtin_rules: !args.no_builtin_rules,
            enable_rules: args.enable_rule.clone(),
            project: ProjectConfig::choose(args.config.as_ref(), args.no_config),
            baseline: args.baseline.clone(),
            write_baseline: args.write_baseline.clone(),
            targets,
            warnings,
        })
    }

    /// The first path named (`.` when only standard input is scanned): where the project
    /// configuration is looked for and what SARIF URIs are relative to.
    pub(crate) fn first_path(&self) -> PathBuf {
        self.targets
            .iter()
            .find_map(|t| match t {
                Target::Path(p) => Some(p.clone()),
                Target::Stdin => None,
            })
            .unwrap_or_else(|| PathBuf::from("."))
    }
}

/// The targets, checked against `--staged` and `--since`.
fn targets(args: &ScanArgs) -> Result<Vec<Target>> {
    let targets: Vec<Target> = args
        .paths
        .iter()
        .map(|p| {
            if p.as_os_str() == "-" {
                Target::Stdin
            } else {
                Target::Path(p.clone())
            }
        })
        .collect();
    let change = args.staged || args.since.is_some();
    let flag = if args.staged { "--staged" } else { "--since" };
    if targets.iter().filter(|t| **t == Target::Stdin).count() > 1 {
        return Err(Error::flag(
            "-",
            "standard input (-) can be scanned only once",
        ));
    }
    if change && targets.contains(&Target::Stdin) {
        return Err(Error::flag(
            flag,
            "--staged and --since read a git repository, not standard input",
        ));
    }
    if change && targets.len() > 1 {
        return Err(Error::flag(
            flag,
            "--staged and --since take one repository path",
        ));
    }
    if args.since.is_some() && args.no_history {
        return Err(Error::flag(
            "--no-history",
            "--since scans the commits of a range, which is history: it cannot go with \
             --no-history",
        ));
    }
    if args.since.as_deref().is_some_and(|s| s.trim().is_empty()) {
        return Err(Error::flag(
            "--since",
            "--since needs a revision (for example origin/main)",
        ));
    }
    Ok(targets)
}

/// Colour in text output: asked for, or `auto` on a terminal unless `NO_COLOR` or `TERM=dumb`.
fn color(args: &ScanArgs) -> bool {
    match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            args.output.is_none()
                && args.format == Format::Text
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var("TERM").map_or(true, |t| t != "dumb")
        }
    }
}

/// The verification settings: endpoint (flag, then the AWS environment variables), limits and
/// the accounts never to send.
fn verify_settings(args: &ScanArgs, warnings: &mut Vec<String>) -> Result<VerifySettings> {
    let endpoint = Endpoint::resolve(args.sts_endpoint.as_deref(), &|name| {
        std::env::var(name).ok()
    })?;
    if args.verify_concurrency == 0 {
        return Err(Error::flag(
            "--verify-concurrency",
            "--verify-concurrency must be at least 1",
        ));
    }
    if !(args.verify_timeout.is_finite() && args.verify_timeout > 0.0) {
        return Err(Error::flag(
            "--verify-timeout",
            "--verify-timeout must be a positive number of seconds",
        ));
    }
    let mut skip_accounts = Vec::new();
    for a in &args.skip_aws_account {
        let a = a.trim();
        if a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::flag(
                "--skip-aws-account",
                format!("--skip-aws-account {a:?}: an AWS account ID has 12 digits"),
            ));
        }
        skip_accounts.push(a.to_string());
    }
    let concurrency = args.verify_concurrency.min(MAX_VERIFY_CONCURRENCY);
    if concurrency < args.verify_concurrency {
        warnings.push(format!(
            "--verify-concurrency {}: using {concurrency}, the most requests in flight keyhound \
             makes",
            args.verify_concurrency
        ));
    }
    let triage = if args.aws_triage {
        Some(Endpoint::resolve_iam(
            args.iam_endpoint.as_deref(),
            &|name| std::env::var(name).ok(),
        )?)
    } else {
        None
    };
    Ok(VerifySettings {
        triage,
        endpoint,
        concurrency,
        timeout: Duration::from_secs_f64(args.verify_timeout.min(86_400.0)),
        skip_accounts,
        skip_accounts_file: args.skip_aws_account_file.clone(),
    })
}

/// Parses `1048576`, `512K`, `25M`, `1G` (binary multiples; `KB`/`MiB` spellings accepted).
pub(crate) fn parse_size(s: &str) -> Option<u64> {
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
