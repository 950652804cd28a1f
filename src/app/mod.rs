//! The commands, as lists of steps. `scan`: validate the flags, build the scanner, open the
//! files it will write (`output`), scan the trees and histories (`tree`) or a change
//! (`change`), apply the suppressions, write the baseline, verify the key pairs, sort, write
//! the report, print the summary, and pick the exit status. `rules` and `hook` are the other
//! subcommands.

mod change;
mod docs;
mod hook;
mod output;
mod progress;
mod rules;
mod scanner;
mod tree;

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

use crate::cli::{Cli, Command, ScanArgs};
use crate::config::{ProjectConfig, Settings};
use crate::error::{Error, Result};
use crate::finding::Finding;
use crate::report::{self, summary, Report};
use crate::source::{Counts, Tally};
use crate::suppress::{baseline_text, Suppressed, Withheld};
use output::OutputFile;
pub(crate) use scanner::Scanner;

/// Exit status: nothing found.
pub(crate) const EXIT_CLEAN: i32 = 0;
/// Exit status: findings reported.
pub(crate) const EXIT_FINDINGS: i32 = 1;
/// Exit status: an error happened (wins over findings).
pub const EXIT_ERROR: i32 = 2;

/// Runs a parsed command line; returns the exit status. Errors are printed here.
pub fn run(cli: Cli) -> i32 {
    let result = match cli.command {
        Command::Scan(args) => scan_command(&args),
        Command::Rules {
            config,
            no_config,
            action,
        } => rules::run(action, &ProjectConfig::choose(config.as_ref(), no_config)),
        Command::Hook { action } => hook::run(action),
        Command::PreCommit(args) => pre_commit_command(&args),
        Command::Completions { shell } => docs::completions(shell),
        Command::Man { out_dir } => docs::man(out_dir.as_deref()),
    };
    result.unwrap_or_else(|e| {
        // Errors name paths, fields and values from files and the command line.
        eprintln!(
            "keyhound: error: {}",
            report::text::sanitize(&e.to_string())
        );
        EXIT_ERROR
    })
}

/// `keyhound pre-commit`: the scan the mode calls for, parsed as `keyhound scan` would parse
/// it, so extra scan flags are checked the same way.
fn pre_commit_command(args: &crate::cli::PreCommitArgs) -> Result<i32> {
    use clap::Parser as _;
    let mode = hook::HookMode::from_env(|name| std::env::var_os(name));
    let argv = hook::pre_commit_argv(args, &mode);
    let cli = Cli::try_parse_from(&argv).map_err(|e| {
        Error::flag(
            "pre-commit",
            format!("keyhound pre-commit: the scan flags after -- are not valid: {e}"),
        )
    })?;
    match cli.command {
        Command::Scan(scan) => scan_command(&scan),
        _ => Ok(EXIT_ERROR),
    }
}

/// `keyhound scan`.
fn scan_command(args: &ScanArgs) -> Result<i32> {
    let settings = Settings::from_args(args)?;
    let scanner = Scanner::build(&settings)?;
    // Before scanning: a report or baseline that cannot be written fails now, not after a
    // long scan and its verification.
    let mut files = Outputs {
        report: open(settings.output.as_ref(), "--output")?,
        baseline: open(settings.write_baseline.as_ref(), "--write-baseline")?,
    };
    // `--staged` starts its threads only when it has more than a few blobs to scan: idle
    // workers of a pool started for nothing spin on a pre-commit hook's cores.
    if !settings.staged {
        start_threads(settings.threads);
    }
    let code = scan(&settings, &scanner, &mut files);
    // The rules (hundreds of compiled rules and their tables) live until the process exits:
    // freeing them piece by piece would cost a pre-commit hook milliseconds for nothing. (The
    // scanner owns no file or other resource that must be closed; `files` is dropped as usual.)
    std::mem::forget(scanner);
    code
}

/// Starts the global thread pool with `threads` workers (once; later calls do nothing).
pub(crate) fn start_threads(threads: usize) {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        if let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
        {
            eprintln!("keyhound: warning: {e}");
        }
    });
}

/// The files a scan writes, opened before it starts.
struct Outputs {
    /// `-o FILE`; standard output when `None`.
    report: Option<OutputFile>,
    /// `--write-baseline FILE`.
    baseline: Option<OutputFile>,
}

fn open(path: Option<&PathBuf>, flag: &'static str) -> Result<Option<OutputFile>> {
    path.map(|p| OutputFile::open(flag, p)).transpose()
}

/// What a finished scan produced.
#[derive(Debug)]
struct Outcome {
    findings: Vec<Finding>,
    counts: Counts,
    /// Findings kept out of the report by configuration and baseline.
    suppressed: Suppressed,
    errors: Vec<String>,
    /// What the user should know that is not an error.
    warnings: Vec<String>,
    seconds: f64,
    /// How many fingerprints `--write-baseline` recorded.
    baseline_written: Option<usize>,
}

impl Outcome {
    /// The exit status for this outcome. Findings that a baseline written by this scan records
    /// are known from now on: they do not fail it.
    fn exit_code(&self) -> i32 {
        if !self.errors.is_empty() || self.counts.errors > 0 {
            EXIT_ERROR
        } else if self.findings.is_empty() || self.baseline_written.is_some() {
            EXIT_CLEAN
        } else {
            EXIT_FINDINGS
        }
    }
}

/// Runs a scan end to end and returns the exit status.
fn scan(settings: &Settings, scanner: &Scanner, files: &mut Outputs) -> Result<i32> {
    let started = Instant::now();
    if !settings.quiet {
        for w in settings.warnings.iter().chain(&scanner.warnings) {
            eprintln!("keyhound: warning: {}", report::text::sanitize(w));
        }
    }
    // Step 1: find.
    let mut outcome = find(settings, scanner, files.report.as_ref());
    // Step 2: suppress, before anything is sent for verification.
    let mut suppressed = Suppressed::default();
    let sup = &scanner.suppressions;
    sup.apply_config(&mut outcome.findings, &mut suppressed);
    if let Some(file) = &mut files.baseline {
        let (text, n) = baseline_text(&outcome.findings);
        file.replace(|w| w.write_all(text.as_bytes()))
            .map_err(|e| Error::flag_file("--write-baseline", &file.path, e))?;
        outcome.baseline_written = Some(n);
    }
    sup.apply_baseline(&mut outcome.findings, &mut suppressed);
    outcome.suppressed = suppressed;
    // Step 3: verify.
    let aws = scanner.detector.aws();
    crate::verify::findings(&mut outcome.findings, scanner.verify.as_ref(), aws);
    if let Some(triage) = &scanner.triage {
        crate::verify::triage_findings(&mut outcome.findings, triage);
    }
    if settings.only_verified {
        outcome.suppressed.withheld = Some(Withheld::apply(&mut outcome.findings));
    }
    outcome.seconds = started.elapsed().as_secs_f64();
    // Step 4: report.
    let exit_code = outcome.exit_code();
    write_report(
        settings,
        scanner,
        &outcome,
        exit_code,
        files.report.as_mut(),
    )?;
    if let Some(path) = &settings.step_summary {
        append_step_summary(path, settings, scanner, &outcome, exit_code)?;
    }
    // Step 5: errors and the summary on standard error.
    for e in &outcome.errors {
        eprintln!("keyhound: error: {}", report::text::sanitize(e));
    }
    if !settings.quiet {
        for w in &outcome.warnings {
            eprintln!("keyhound: warning: {}", report::text::sanitize(w));
        }
        print_summary(settings, scanner, &outcome, exit_code);
        if let (Some(n), Some(file)) = (outcome.baseline_written, &files.baseline) {
            eprintln!(
                "keyhound: wrote the baseline {} ({n} fingerprint{}); the findings it records \
                 do not fail this scan, and --baseline {} leaves them out of the next",
                report::text::sanitize(&file.path.display().to_string()),
                if n == 1 { "" } else { "s" },
                report::text::sanitize(&file.path.display().to_string()),
            );
        }
    }
    Ok(if exit_code == EXIT_FINDINGS {
        settings.findings_exit_code
    } else {
        exit_code
    })
}

/// Scans what the settings name and sorts the findings, so that output never depends on
/// thread scheduling.
fn find(settings: &Settings, scanner: &Scanner, report: Option<&OutputFile>) -> Outcome {
    let started = Instant::now();
    let tally = Tally::default();
    let mut findings = if settings.staged || settings.since.is_some() {
        let given = settings.first_path();
        match &settings.since {
            Some(spec) => change::since(&given, spec, settings, scanner, &tally),
            None => change::staged(&given, settings, scanner, &tally),
        }
    } else {
        tree::scan(settings, scanner, report, &tally)
    };
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let warnings = tally.warnings();
    let (counts, errors) = tally.finish();
    Outcome {
        findings,
        counts,
        suppressed: Suppressed::default(),
        errors,
        warnings,
        seconds: started.elapsed().as_secs_f64(),
        baseline_written: None,
    }
}

/// Writes the report to `-o FILE` or standard output.
fn write_report(
    settings: &Settings,
    scanner: &Scanner,
    outcome: &Outcome,
    exit_code: i32,
    file: Option<&mut OutputFile>,
) -> Result<()> {
    with_report(settings, scanner, outcome, exit_code, |report| {
        write_to(settings, report, file)
    })
}

/// Builds the `Report` of a finished scan and hands it to `f`.
fn with_report<T>(
    settings: &Settings,
    scanner: &Scanner,
    outcome: &Outcome,
    exit_code: i32,
    f: impl FnOnce(&Report<'_>) -> T,
) -> T {
    let rules = || scanner.detector.rules();
    let config_name = scanner
        .config_file
        .as_ref()
        .map(|p| p.display().to_string());
    let uri_base = report::sarif::uri_base(&settings.first_path());
    let report = Report {
        findings: &outcome.findings,
        rules: &rules,
        suppressed: &outcome.suppressed,
        config_file: config_name.as_deref(),
        counts: &outcome.counts,
        show_secrets: settings.show_secrets,
        color: settings.color,
        uri_base: &uri_base,
        exit_code,
        seconds: outcome.seconds,
    };
    f(&report)
}

/// Appends the Markdown job summary of the `github` format to `$GITHUB_STEP_SUMMARY`.
fn append_step_summary(
    path: &std::path::Path,
    settings: &Settings,
    scanner: &Scanner,
    outcome: &Outcome,
    exit_code: i32,
) -> Result<()> {
    let text = with_report(settings, scanner, outcome, exit_code, |r| {
        report::github::step_summary(r)
    });
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| Error::flag_file("GITHUB_STEP_SUMMARY", path, e))
}

/// Writes `report` to `-o FILE` or standard output.
fn write_to(settings: &Settings, report: &Report<'_>, file: Option<&mut OutputFile>) -> Result<()> {
    let out_err = |e: io::Error| Error::Output {
        path: settings.output.clone(),
        source: e,
    };
    match file {
        Some(file) => file
            .replace(|w| report::write(settings.format, report, w))
            .map_err(out_err),
        None => {
            let stdout = io::stdout();
            let mut w = BufWriter::new(stdout.lock());
            match report::write(settings.format, report, &mut w).and_then(|()| w.flush()) {
                // A closed pipe (`keyhound scan | head`) is not an error worth reporting.
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
                other => other.map_err(out_err),
            }
        }
    }
}

/// The summary on standard error, and what to do when a commit would record credentials.
fn print_summary(settings: &Settings, scanner: &Scanner, outcome: &Outcome, exit_code: i32) {
    let mut line = summary::line(
        &outcome.findings,
        &outcome.counts,
        &outcome.suppressed,
        outcome.seconds,
    );
    if let Some(c) = &scanner.config_file {
        line.push_str(&format!(
            "; config {}",
            report::text::sanitize(&c.display().to_string())
        ));
    }
    eprintln!("{line}");
    if let Some(w) = outcome
        .suppressed
        .withheld
        .as_ref()
        .filter(|w| w.unknown > 0)
    {
        eprintln!(
            "keyhound: warning: --only-verified withheld {} key pair{} that could not be \
             verified ({}); they may be live, and they do not count in the exit status",
            w.unknown,
            if w.unknown == 1 { "" } else { "s" },
            report::text::sanitize(&w.unknown_reasons.join("; ")),
        );
    }
    if settings.staged && exit_code == EXIT_FINDINGS {
        eprintln!(
            "keyhound: this commit would record the credentials above. Remove them from the \
             staged files (and rotate any that were ever pushed); for a false positive, add \
             `keyhound:allow` in a comment on its line or an allowlist entry in .keyhound.toml."
        );
    }
}
