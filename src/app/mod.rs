//! The commands, as lists of steps. `scan`: validate the flags, build the scanner, scan the
//! trees and histories (`tree`) or a change (`change`), apply the suppressions, write the
//! baseline, verify the key pairs, sort, write the report, print the summary, and pick the exit
//! status. `rules` and `hook` are the other subcommands.

mod change;
mod hook;
mod progress;
mod rules;
mod scanner;
mod tree;

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use crate::cli::{Cli, Command, ScanArgs};
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::finding::{Finding, Status};
use crate::report::{self, summary, Report};
use crate::source::{Counts, Tally};
use crate::suppress::{baseline_text, Suppressed};
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
        Command::Rules { action } => rules::run(action),
        Command::Hook { action } => hook::run(action),
    };
    result.unwrap_or_else(|e| {
        eprintln!("keyhound: error: {e}");
        EXIT_ERROR
    })
}

/// `keyhound scan`.
fn scan_command(args: &ScanArgs) -> Result<i32> {
    let settings = Settings::from_args(args)?;
    let scanner = Scanner::build(&settings)?;
    if let Err(e) = rayon::ThreadPoolBuilder::new()
        .num_threads(settings.threads)
        .build_global()
    {
        eprintln!("keyhound: warning: {e}");
    }
    scan(&settings, &scanner)
}

/// What a finished scan produced.
#[derive(Debug)]
struct Outcome {
    findings: Vec<Finding>,
    counts: Counts,
    /// Findings kept out of the report by configuration and baseline.
    suppressed: Suppressed,
    errors: Vec<String>,
    seconds: f64,
}

impl Outcome {
    /// The exit status for this outcome.
    fn exit_code(&self) -> i32 {
        if !self.errors.is_empty() || self.counts.errors > 0 {
            EXIT_ERROR
        } else if self.findings.is_empty() {
            EXIT_CLEAN
        } else {
            EXIT_FINDINGS
        }
    }
}

/// Runs a scan end to end and returns the exit status.
fn scan(settings: &Settings, scanner: &Scanner) -> Result<i32> {
    let started = Instant::now();
    if !settings.quiet {
        for w in settings.warnings.iter().chain(&scanner.warnings) {
            eprintln!("keyhound: warning: {}", report::text::sanitize(w));
        }
    }
    // Step 1: find.
    let mut outcome = find(settings, scanner);
    // Step 2: suppress, before anything is sent for verification.
    let mut suppressed = Suppressed::default();
    let sup = &scanner.suppressions;
    sup.apply_config(&mut outcome.findings, &mut suppressed);
    if let Some(path) = &settings.write_baseline {
        std::fs::write(path, baseline_text(&outcome.findings)).map_err(|e| Error::Output {
            path: Some(path.clone()),
            source: e,
        })?;
    }
    sup.apply_baseline(&mut outcome.findings, &mut suppressed);
    outcome.suppressed = suppressed;
    // Step 3: verify.
    let aws = scanner.detector.aws();
    crate::verify::findings(&mut outcome.findings, scanner.verify.as_ref(), aws);
    if settings.only_verified {
        outcome.findings.retain(|f| {
            f.verification
                .as_ref()
                .is_some_and(|v| v.status == Status::Live)
        });
    }
    outcome.seconds = started.elapsed().as_secs_f64();
    // Step 4: report.
    let exit_code = outcome.exit_code();
    write_report(settings, scanner, &outcome, exit_code)?;
    // Step 5: errors and the summary on standard error.
    for e in &outcome.errors {
        eprintln!("keyhound: error: {}", report::text::sanitize(e));
    }
    if !settings.quiet {
        print_summary(settings, scanner, &outcome, exit_code);
    }
    Ok(exit_code)
}

/// Scans what the settings name and sorts the findings, so that output never depends on
/// thread scheduling.
fn find(settings: &Settings, scanner: &Scanner) -> Outcome {
    let started = Instant::now();
    let tally = Tally::default();
    let mut findings = if settings.staged || settings.since.is_some() {
        let given = settings.first_path();
        match &settings.since {
            Some(spec) => change::since(&given, spec, settings, scanner, &tally),
            None => change::staged(&given, settings, scanner, &tally),
        }
    } else {
        tree::scan(settings, scanner, &tally)
    };
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let (counts, errors) = tally.finish();
    Outcome {
        findings,
        counts,
        suppressed: Suppressed::default(),
        errors,
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// Writes the report to `-o FILE` or standard output.
fn write_report(
    settings: &Settings,
    scanner: &Scanner,
    outcome: &Outcome,
    exit_code: i32,
) -> Result<()> {
    let rules = scanner.detector.rules();
    let config_name = scanner
        .config_file
        .as_ref()
        .map(|p| p.display().to_string());
    let uri_base = report::sarif::uri_base(&settings.first_path());
    let report = Report {
        findings: &outcome.findings,
        rules: &rules,
        suppressed: outcome.suppressed,
        config_file: config_name.as_deref(),
        counts: &outcome.counts,
        show_secrets: settings.show_secrets,
        color: settings.color,
        uri_base: &uri_base,
        exit_code,
    };
    let out_err = |e: io::Error| Error::Output {
        path: settings.output.clone(),
        source: e,
    };
    match &settings.output {
        Some(path) => write_to_file(path, settings, &report).map_err(out_err),
        None => {
            let stdout = io::stdout();
            let mut w = BufWriter::new(stdout.lock());
            match report::write(settings.format, &report, &mut w).and_then(|()| w.flush()) {
                // A closed pipe (`keyhound scan | head`) is not an error worth reporting.
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
                other => other.map_err(out_err),
            }
        }
    }
}

fn write_to_file(path: &Path, settings: &Settings, report: &Report<'_>) -> io::Result<()> {
    let mut w = BufWriter::new(File::create(path)?);
    report::write(settings.format, report, &mut w)?;
    w.flush()
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
    if settings.staged && exit_code == EXIT_FINDINGS {
        eprintln!(
            "keyhound: this commit would record the credentials above. Remove them from the \
             staged files (and rotate any that were ever pushed); for a false positive, add \
             `keyhound:allow` in a comment on its line or an allowlist entry in .keyhound.toml."
        );
    }
}
