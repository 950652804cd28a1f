//! Command-line syntax: the clap types and nothing else. `config` turns the scan flags into
//! validated `Settings`; no other module reads a raw flag.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// keyhound finds leaked credentials (AWS access keys first) in files and git history.
#[derive(Debug, Parser)]
#[command(name = "keyhound", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and git history for leaked credentials.
    ///
    /// Exit status: 0 when nothing is found, 1 when findings are reported, 2 on any error
    /// (an error wins over findings, since a partial scan cannot be trusted).
    Scan(Box<ScanArgs>),
    /// List the rules, or check rule files against their own examples.
    Rules {
        /// Project configuration whose rules are listed and checked with the built-in ones
        /// (default: .keyhound.toml, else .gitleaks.toml, at the top of the current directory's
        /// repository).
        #[arg(long, value_name = "FILE", global = true, conflicts_with = "no_config")]
        config: Option<PathBuf>,
        /// Leave the project configuration's rules out.
        #[arg(long, global = true)]
        no_config: bool,
        #[command(subcommand)]
        action: RulesAction,
    },
    /// Install or remove the git pre-commit hook that runs `keyhound scan --staged`.
    Hook {
        #[command(subcommand)]
        action: HookAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum RulesAction {
    /// Print every rule (built in, and the project configuration's): id, severity, name and
    /// the file it comes from.
    List,
    /// Check rule files (default: the built-in rules and the project configuration's):
    /// unique well-formed ids, patterns with one capture group, and every example (and no
    /// negative example) found by the real detector.
    Check {
        /// Rule files to check instead of the built-in rules.
        files: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum HookAction {
    /// Write .git/hooks/pre-commit (or into core.hooksPath).
    Install {
        /// Replace an existing hook that keyhound did not write (it is kept as
        /// pre-commit.keyhound-backup).
        #[arg(long)]
        force: bool,
        /// The repository.
        #[arg(default_value = ".")]
        repo: PathBuf,
    },
    /// Remove the hook written by `keyhound hook install`.
    Uninstall {
        /// The repository.
        #[arg(default_value = ".")]
        repo: PathBuf,
    },
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable text.
    Text,
    /// One JSON document with every finding and a summary.
    Json,
    /// One JSON object per finding per line.
    Jsonl,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF consumers.
    Sarif,
}

/// When to colour text output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and NO_COLOR is not set.
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan; `-` reads standard input.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Report format.
    #[arg(short = 'f', long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Write the report to FILE instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Number of threads (default: all cores; at most 4 per core).
    #[arg(short = 'j', long, value_name = "N")]
    pub threads: Option<usize>,

    /// Scan files that .gitignore, .ignore and git's exclude files would skip.
    #[arg(long)]
    pub no_ignore: bool,

    /// Follow symbolic links.
    #[arg(short = 'L', long)]
    pub follow: bool,

    /// Skip files, streams and git blobs larger than this (bytes; K, M and G suffixes
    /// accepted).
    #[arg(long, value_name = "SIZE", default_value = "25M")]
    pub max_file_size: String,

    /// Skip binary files (and binary git blobs) instead of reading the printable strings they
    /// hold.
    #[arg(long)]
    pub no_binary: bool,
    /// Open archives, compressed files and container images nested up to N deep (a zip in a
    /// tar.gz is 2); 0 turns archive scanning off.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub max_archive_depth: u32,

    /// Stop opening a file's archives after this many decompressed bytes, all members and
    /// levels together (bytes; K, M and G suffixes accepted).
    #[arg(long, value_name = "SIZE", default_value = "1G")]
    pub max_archive_size: String,

    /// Scan only the files, not the git history of a repository.
    #[arg(long)]
    pub no_history: bool,

    /// Also report credentials in unreachable git objects (in no commit that any ref reaches:
    /// reset, rebased-away or dropped work, which is not pushed); they are counted otherwise.
    #[arg(long)]
    pub include_unreachable: bool,

    /// Scan what is staged for the next commit (the index, not the work tree), as a
    /// pre-commit hook does.
    #[arg(long, conflicts_with_all = ["since", "no_history"])]
    pub staged: bool,

    /// Scan only the blobs introduced by commits in REV..HEAD (or an explicit A..B range), as
    /// CI does for a push or a pull request.
    #[arg(long, value_name = "REV")]
    pub since: Option<String>,

    /// Do not check found key pairs against AWS.
    #[arg(long)]
    pub no_verify: bool,

    /// STS endpoint for verification (default: AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL,
    /// else https://sts.amazonaws.com; plain http only for loopback addresses).
    #[arg(long, value_name = "URL")]
    pub sts_endpoint: Option<String>,

    /// How many verification requests run at once (at most 256).
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub verify_concurrency: usize,

    /// Connect and request timeout for each verification request, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    pub verify_timeout: f64,

    /// Never send keys of this AWS account to AWS (a canary-token account); repeatable.
    #[arg(long, value_name = "ACCOUNT_ID")]
    pub skip_aws_account: Vec<String>,

    /// Read more accounts to skip from FILE (one 12-digit ID per line, # comments).
    #[arg(long, value_name = "FILE")]
    pub skip_aws_account_file: Option<PathBuf>,

    /// Report only credentials that AWS confirmed live. The others are counted in the summary;
    /// the exit status counts only what is reported (0 when verification was unavailable).
    #[arg(long, conflicts_with = "no_verify")]
    pub only_verified: bool,

    /// Project configuration file (default: .keyhound.toml at the top of the scanned
    /// repository or directory; a .gitleaks.toml there is read when there is none).
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,

    /// Use only the AWS detection (and the project configuration's own rules), not the
    /// built-in rules of rules/*.toml.
    #[arg(long)]
    pub no_builtin_rules: bool,

    /// Ignore .keyhound.toml and .gitleaks.toml.
    #[arg(long)]
    pub no_config: bool,

    /// Do not report findings whose fingerprints are listed in FILE.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Write the fingerprints of this scan's findings to FILE (a baseline for --baseline).
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    /// Show secrets in full in every report format (they are redacted by default).
    #[arg(long)]
    pub show_secrets: bool,

    /// When to use colour in text output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Print no summary and no warnings on standard error.
    #[arg(short = 'q', long)]
    pub quiet: bool,
}
