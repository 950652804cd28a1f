//! Command-line syntax: the clap types and nothing else. `config` turns the scan flags into
//! validated `Settings`; no other module reads a raw flag.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;

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
    /// Exit status: 0 when nothing is found, 1 when findings are reported (or the status
    /// --exit-code gives), 2 on any error (an error wins over findings, since a partial scan
    /// cannot be trusted).
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
    /// The scan a pre-commit framework hook runs (.pre-commit-hooks.yaml): the staged content
    /// on `git commit`, the commits being pushed at pre-push (PRE_COMMIT_FROM_REF and
    /// PRE_COMMIT_TO_REF), and the files named under `pre-commit run --all-files` or
    /// `--files`. No AWS verification unless `--verify` is given.
    PreCommit(Box<PreCommitArgs>),
    /// Print a shell completion script.
    ///
    /// bash: `keyhound completions bash > ~/.local/share/bash-completion/completions/keyhound`;
    /// zsh: into a directory of `$fpath` as `_keyhound`; fish:
    /// `~/.config/fish/completions/keyhound.fish`; PowerShell: append to `$PROFILE`; elvish:
    /// `~/.config/elvish/lib/keyhound.elv`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Print the keyhound(1) man page (roff), or write every page to a directory.
    Man {
        /// Write keyhound.1 and a page per subcommand (keyhound-scan.1, ...) into DIR.
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct PreCommitArgs {
    /// The files pre-commit names (scanned only when the hook is not running for a commit or
    /// a push).
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Check found key pairs against AWS (off in the hook by default: a commit is stopped
    /// either way, and no commit waits on the network).
    #[arg(long)]
    pub verify: bool,
    /// Extra `keyhound scan` flags, after `--` (for example `-- --config ci/keyhound.toml`).
    #[arg(last = true, value_name = "SCAN_FLAGS")]
    pub scan_flags: Vec<String>,
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
    /// GitLab's Secret Detection report (gl-secret-detection-report.json), for
    /// `artifacts: reports: secret_detection`.
    Gitlab,
    /// GitHub Actions workflow annotations (secrets always redacted), and a Markdown job
    /// summary appended to $GITHUB_STEP_SUMMARY when it is set.
    Github,
}

/// When to colour text output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and NO_COLOR is not set.
    Auto,
    Always,
    Never,
}

/// `scan --help` headings.
const INPUT: &str = "Input";
const WHAT: &str = "What to scan";
const OUTPUT: &str = "Output";
const VERIFY: &str = "Verification";
const CONFIG: &str = "Configuration";

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan; `-` reads standard input.
    #[arg(value_name = "PATH", default_value = ".", help_heading = INPUT)]
    pub paths: Vec<PathBuf>,

    /// Number of threads (default: all cores; at most 4 per core).
    #[arg(short = 'j', long, value_name = "N", help_heading = INPUT)]
    pub threads: Option<usize>,

    /// Scan files that .gitignore, .ignore and git's exclude files would skip.
    #[arg(long, help_heading = INPUT)]
    pub no_ignore: bool,

    /// Follow symbolic links.
    #[arg(short = 'L', long, help_heading = INPUT)]
    pub follow: bool,

    /// Skip files, streams and git blobs larger than this (bytes; K, M and G suffixes
    /// accepted).
    #[arg(long, value_name = "SIZE", default_value = "25M", help_heading = INPUT)]
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
    #[arg(long, help_heading = WHAT)]
    pub no_history: bool,

    /// Also report credentials in unreachable git objects (in no commit that any ref reaches:
    /// reset, rebased-away or dropped work, which is not pushed); they are counted otherwise.
    #[arg(long, help_heading = WHAT)]
    pub include_unreachable: bool,

    /// Scan what is staged for the next commit (the index, not the work tree), as a
    /// pre-commit hook does.
    #[arg(long, conflicts_with_all = ["since", "no_history"], help_heading = WHAT)]
    pub staged: bool,

    /// Scan only the blobs introduced by commits in REV..HEAD (or an explicit A..B range), as
    /// CI does for a push or a pull request.
    #[arg(long, value_name = "REV", help_heading = WHAT)]
    pub since: Option<String>,

    /// Report format (gitleaks' --report-format is accepted as an alias).
    #[arg(short = 'f', long, value_enum, default_value_t = Format::Text,
          visible_alias = "report-format", help_heading = OUTPUT)]
    pub format: Format,

    /// Write the report to FILE instead of standard output (gitleaks' --report-path is
    /// accepted as an alias).
    #[arg(short = 'o', long, value_name = "FILE", visible_alias = "report-path",
          help_heading = OUTPUT)]
    pub output: Option<PathBuf>,

    /// Show secrets in full in every report format (they are redacted by default; the
    /// `github` format always redacts).
    #[arg(long, help_heading = OUTPUT)]
    pub show_secrets: bool,

    /// Redact secrets in reports: the default, accepted for gitleaks users.
    #[arg(long, conflicts_with = "show_secrets", help_heading = OUTPUT)]
    pub redact: bool,

    /// Exit status when findings are reported (default 1; as gitleaks' --exit-code). Errors
    /// always exit with 2.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(i32).range(0..=255), help_heading = OUTPUT)]
    pub exit_code: i32,

    /// When to use colour in text output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN",
          help_heading = OUTPUT)]
    pub color: ColorChoice,

    /// Print no summary and no warnings on standard error.
    #[arg(short = 'q', long, help_heading = OUTPUT)]
    pub quiet: bool,

    /// Do not check found key pairs against AWS.
    #[arg(long, help_heading = VERIFY)]
    pub no_verify: bool,

    /// STS endpoint for verification (default: AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL,
    /// else https://sts.amazonaws.com; plain http only for loopback addresses).
    #[arg(long, value_name = "URL", help_heading = VERIFY)]
    pub sts_endpoint: Option<String>,

    /// How many verification requests run at once (at most 256).
    #[arg(long, value_name = "N", default_value_t = 4, help_heading = VERIFY)]
    pub verify_concurrency: usize,

    /// Connect and request timeout for each verification request, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0, help_heading = VERIFY)]
    pub verify_timeout: f64,

    /// Never send keys of this AWS account to AWS (a canary-token account); repeatable.
    #[arg(long, value_name = "ACCOUNT_ID", help_heading = VERIFY)]
    pub skip_aws_account: Vec<String>,

    /// Read more accounts to skip from FILE (one 12-digit ID per line, # comments).
    #[arg(long, value_name = "FILE", help_heading = VERIFY)]
    pub skip_aws_account_file: Option<PathBuf>,

    /// Ask IAM, with each live key itself, who it belongs to, how old it is, when it was last
    /// used and what it can do (read-only Get/List/SimulatePrincipalPolicy calls). The calls
    /// are made with the leaked key and appear in the owner's CloudTrail.
    #[arg(long, conflicts_with = "no_verify", help_heading = VERIFY)]
    pub aws_triage: bool,

    /// IAM endpoint for --aws-triage (default: AWS_ENDPOINT_URL_IAM, else AWS_ENDPOINT_URL,
    /// else https://iam.amazonaws.com; plain http only for loopback addresses).
    #[arg(long, value_name = "URL", requires = "aws_triage", help_heading = VERIFY)]
    pub iam_endpoint: Option<String>,

    /// Report only credentials that AWS confirmed live. The others are counted in the summary;
    /// the exit status counts only what is reported (0 when verification was unavailable).
    #[arg(long, conflicts_with = "no_verify", help_heading = VERIFY)]
    pub only_verified: bool,

    /// Project configuration file (default: .keyhound.toml at the top of the scanned
    /// repository or directory; a .gitleaks.toml there is read when there is none).
    #[arg(long, value_name = "FILE", conflicts_with = "no_config", help_heading = CONFIG)]
    pub config: Option<PathBuf>,

    /// Use only the AWS detection (and the project configuration's own rules), not the
    /// built-in rules of rules/*.toml.
    #[arg(long, help_heading = CONFIG)]
    pub no_builtin_rules: bool,

    /// Ignore .keyhound.toml and .gitleaks.toml.
    #[arg(long, help_heading = CONFIG)]
    pub no_config: bool,

    /// Also run a rule that is off by default: the generic rules, which report a value under a
    /// credential word with no provider format (`api_token = "…"`). ID is a rule id or a
    /// prefix ending in `*` (`--enable-rule 'generic-*'`); repeat the flag for several.
    #[arg(long, value_name = "ID", help_heading = CONFIG)]
    pub enable_rule: Vec<String>,

    /// Do not report findings whose fingerprints are listed in FILE.
    #[arg(long, value_name = "FILE", help_heading = CONFIG)]
    pub baseline: Option<PathBuf>,

    /// Write the fingerprints of this scan's findings to FILE (a baseline for --baseline).
    #[arg(long, value_name = "FILE", help_heading = CONFIG)]
    pub write_baseline: Option<PathBuf>,
}
