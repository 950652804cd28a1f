//! The scan, as a list of steps: validate the targets, walk and scan them, pair candidates into
//! findings, sort, write the report, print the summary, and pick the exit status.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use crate::config::{Config, Target};
use crate::error::{Error, Result};
use crate::finding::Finding;
use crate::history;
use crate::pair::Place;
use crate::report::{self, sarif::encode_uri, Report};
use crate::rule::Severity;
use crate::source::{self, Counts, Stats};
use crate::suppress::{baseline_text, Suppressed};
use crate::verify::{Credential, Status, Verdict};

/// Exit status: nothing found.
pub const EXIT_CLEAN: i32 = 0;
/// Exit status: findings reported.
pub const EXIT_FINDINGS: i32 = 1;
/// Exit status: an error happened (wins over findings).
pub const EXIT_ERROR: i32 = 2;

/// What a finished scan produced.
#[derive(Debug)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub counts: Counts,
    /// Findings kept out of the report by configuration and baseline.
    pub suppressed: Suppressed,
    pub errors: Vec<String>,
    pub seconds: f64,
}

impl Outcome {
    /// The exit status for this outcome.
    pub fn exit_code(&self) -> i32 {
        if !self.errors.is_empty() || self.counts.errors > 0 {
            EXIT_ERROR
        } else if self.findings.is_empty() {
            EXIT_CLEAN
        } else {
            EXIT_FINDINGS
        }
    }
}

/// Scans everything the configuration names and returns the sorted findings.
pub fn scan(config: &Config) -> Outcome {
    let started = Instant::now();
    let stats = Stats::default();
    let findings: Mutex<Vec<Finding>> = Mutex::new(Vec::new());
    let detector = &config.detector;

    let scan_blob = |path: &str, data: &[u8]| {
        let found = detector
            .detect(data, Place { path, commit: None })
            .record(&stats);
        if !found.is_empty() {
            if let Ok(mut all) = findings.lock() {
                all.extend(found);
            }
        }
    };

    // Step 1: every named path must exist; a missing one is an error, the others are scanned.
    let mut roots: Vec<&Path> = Vec::new();
    for t in &config.targets {
        if let Target::Path(p) = t {
            match std::fs::metadata(p) {
                Ok(_) => roots.push(p),
                Err(e) => stats.error(
                    Error::Path {
                        path: p.clone(),
                        source: e,
                    }
                    .to_string(),
                ),
            }
        }
    }
    // `--staged` and `--since` scan a change, not a tree.
    if config.staged || config.since.is_some() {
        let given = roots.first().copied().unwrap_or(Path::new("."));
        let mut found = match &config.since {
            Some(spec) => history::scan_since(given, spec, config, &stats),
            None => history::scan_staged(given, config, &stats),
        };
        found.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        return Outcome {
            findings: found,
            counts: stats.counts(),
            suppressed: Suppressed::default(),
            errors: stats.messages(),
            seconds: started.elapsed().as_secs_f64(),
        };
    }
    // Step 2: the git history of each root that is a repository.
    let mut histories = Vec::new();
    if config.history {
        if let Err(e) = source::git::configure() {
            stats.error(format!("configuring git: {}", e.message()));
        }
        for root in roots.iter().filter(|r| source::git::is_repository(r)) {
            if let Some(h) = history::scan(root, config, &stats) {
                histories.push(h);
            }
        }
    }
    // Step 3: walk and scan the files, skipping those whose content history covered.
    let covered =
        |path: &Path, meta: &std::fs::Metadata| histories.iter().any(|h| h.covers(path, meta));
    source::fs::walk(&roots, config, &stats, &covered, scan_blob);
    // Step 4: standard input.
    if config.targets.contains(&Target::Stdin) {
        match source::stdin::read_all() {
            Ok(data) => {
                Stats::add(&stats.files, 1);
                Stats::add(&stats.bytes, data.len() as u64);
                match source::text_content(&data) {
                    Some(text) => scan_blob(source::stdin::NAME, &text),
                    None => Stats::add(&stats.skipped_binary, 1),
                }
            }
            Err(e) => stats.error(e.to_string()),
        }
    }
    // Step 5: merge history findings with the files' (a file finding that history already
    // reports at the same path is the same leak), then sort, so that output never depends
    // on thread scheduling.
    let mut findings = findings.into_inner().unwrap_or_default();
    let from_history: Vec<Finding> = histories.into_iter().flat_map(|h| h.findings).collect();
    let known: std::collections::HashSet<(&str, &str)> = from_history
        .iter()
        .filter_map(|f| {
            f.primary()
                .map(|l| (f.fingerprint.as_str(), l.path.as_str()))
        })
        .collect();
    findings.retain(|f| {
        !f.primary()
            .is_some_and(|l| known.contains(&(f.fingerprint.as_str(), l.path.as_str())))
    });
    findings.extend(from_history);
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Outcome {
        findings,
        counts: stats.counts(),
        suppressed: Suppressed::default(),
        errors: stats.messages(),
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// Runs a scan end to end and returns the exit status.
pub fn run(config: &Config) -> Result<i32> {
    let started = Instant::now();
    if !config.quiet {
        for w in &config.warnings {
            eprintln!("keyhound: warning: {}", crate::report::text::sanitize(w));
        }
    }
    let mut outcome = scan(config);
    // Suppressions first, so that nothing suppressed is sent for verification.
    let mut suppressed = Suppressed::default();
    config
        .suppressions
        .apply_config(&mut outcome.findings, &mut suppressed);
    if let Some(path) = &config.write_baseline {
        std::fs::write(path, baseline_text(&outcome.findings)).map_err(|e| Error::Output {
            path: Some(path.clone()),
            source: e,
        })?;
    }
    config
        .suppressions
        .apply_baseline(&mut outcome.findings, &mut suppressed);
    outcome.suppressed = suppressed;
    verify(&mut outcome.findings, config);
    if config.only_verified {
        outcome.findings.retain(|f| {
            f.verification
                .as_ref()
                .is_some_and(|v| v.status == Status::Live)
        });
    }
    outcome.seconds = started.elapsed().as_secs_f64();
    let exit_code = outcome.exit_code();
    let base = uri_base(config);
    let uri = |path: &str| relative_uri(&base, path);
    let rules = config.detector.rules();
    let config_name = config.config_file.as_ref().map(|p| p.display().to_string());
    let report = Report {
        findings: &outcome.findings,
        rules: &rules,
        suppressed: outcome.suppressed,
        config_file: config_name.as_deref(),
        counts: &outcome.counts,
        show_secrets: config.show_secrets,
        color: config.color,
        uri: &uri,
        exit_code,
    };
    write_report(config, &report)?;
    for e in &outcome.errors {
        eprintln!("keyhound: error: {}", crate::report::text::sanitize(e));
    }
    if !config.quiet {
        let mut line = summary(&outcome);
        if let Some(c) = &config.config_file {
            line.push_str(&format!(
                "; config {}",
                crate::report::text::sanitize(&c.display().to_string())
            ));
        }
        eprintln!("{line}");
        if config.staged && exit_code == EXIT_FINDINGS {
            eprintln!(
                "keyhound: this commit would record the credentials above. Remove them from the \
                 staged files (and rotate any that were ever pushed); for a false positive, add \
                 `keyhound:allow` in a comment on its line or an allowlist entry in .keyhound.toml."
            );
        }
    }
    Ok(exit_code)
}

fn write_report(config: &Config, report: &Report<'_>) -> Result<()> {
    let out_err = |e: io::Error| Error::Output {
        path: config.output.clone(),
        source: e,
    };
    match &config.output {
        Some(path) => {
            let file = File::create(path).map_err(out_err)?;
            let mut w = BufWriter::new(file);
            report::write(config.format, report, &mut w).map_err(out_err)?;
            w.flush().map_err(out_err)
        }
        None => {
            let stdout = io::stdout();
            let mut w = BufWriter::new(stdout.lock());
            match report::write(config.format, report, &mut w).and_then(|()| w.flush()) {
                // A closed pipe (`keyhound scan | head`) is not an error worth reporting.
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
                other => other.map_err(out_err),
            }
        }
    }
}

/// Checks every key pair against AWS STS (each distinct pair once) and records the verdicts.
/// With `--no-verify` the pairs are marked skipped; a scan with no pair makes no request.
pub fn verify(findings: &mut [Finding], config: &Config) {
    let pairs: Vec<usize> = (0..findings.len())
        .filter(|&i| {
            findings
                .get(i)
                .is_some_and(|f| f.rule.id == crate::rule::aws::aws().pair.id)
        })
        .collect();
    let Some(vc) = &config.verify else {
        for &i in &pairs {
            if let Some(f) = findings.get_mut(i) {
                f.verification = Some(Verdict::skipped("--no-verify"));
            }
        }
        return;
    };
    let creds: Vec<Credential> = pairs
        .iter()
        .filter_map(|&i| findings.get(i))
        .filter_map(|f| {
            Some(Credential {
                key_id: f.aws.as_ref()?.key_id.clone(),
                secret: f.secret.clone()?,
                session_token: f.session_token.clone(),
            })
        })
        .collect();
    if creds.len() != pairs.len() {
        return;
    }
    let verdicts = crate::verify::verify_all(&creds, vc);
    for (&i, v) in pairs.iter().zip(verdicts) {
        if let Some(f) = findings.get_mut(i) {
            f.verification = Some(v);
        }
    }
}

/// The one-paragraph summary printed on standard error.
pub fn summary(o: &Outcome) -> String {
    let c = &o.counts;
    let mut s = format!(
        "keyhound: scanned {} file{} ({}) in {:.2}s",
        c.files,
        if c.files == 1 { "" } else { "s" },
        human_bytes(c.bytes),
        o.seconds
    );
    if c.blobs > 0 && c.files == 0 {
        // `--staged`, `--since`, or a bare repository: only git blobs were read.
        s = format!(
            "keyhound: scanned {} git blob{} ({}) in {:.2}s",
            c.blobs,
            if c.blobs == 1 { "" } else { "s" },
            human_bytes(c.blob_bytes),
            o.seconds
        );
    } else if c.blobs > 0 {
        s = s.replacen(
            &format!(" in {:.2}s", o.seconds),
            &format!(
                " and {} git blob{} ({}) in {:.2}s",
                c.blobs,
                if c.blobs == 1 { "" } else { "s" },
                human_bytes(c.blob_bytes),
                o.seconds
            ),
            1,
        );
    }
    if c.unchanged > 0 {
        s.push_str(&format!(
            "; {} unchanged file{} already scanned as history",
            c.unchanged,
            if c.unchanged == 1 { "" } else { "s" }
        ));
    }
    let mut skipped = Vec::new();
    if c.skipped_binary > 0 {
        skipped.push(format!("{} binary", c.skipped_binary));
    }
    if c.skipped_large > 0 {
        skipped.push(format!("{} too large", c.skipped_large));
    }
    if c.vanished > 0 {
        skipped.push(format!("{} vanished", c.vanished));
    }
    if !skipped.is_empty() {
        s.push_str(&format!("; skipped {}", skipped.join(", ")));
    }
    let n = o.findings.len();
    s.push_str(&format!("; {n} finding{}", if n == 1 { "" } else { "s" }));
    if n > 0 {
        let by = |sev: Severity| o.findings.iter().filter(|f| f.severity == sev).count();
        let parts: Vec<String> = [
            Severity::Critical,
            Severity::High,
            Severity::Medium,
            Severity::Low,
        ]
        .iter()
        .filter(|&&sev| by(sev) > 0)
        .map(|&sev| format!("{} {}", by(sev), sev.as_str()))
        .collect();
        s.push_str(&format!(" ({})", parts.join(", ")));
    }
    let verdicts: Vec<Status> = o
        .findings
        .iter()
        .filter_map(|f| f.verification.as_ref().map(|v| v.status))
        .collect();
    if !verdicts.is_empty() {
        let parts: Vec<String> = [
            Status::Live,
            Status::Invalid,
            Status::Unknown,
            Status::Skipped,
        ]
        .iter()
        .map(|st| (st, verdicts.iter().filter(|v| *v == st).count()))
        .filter(|(_, n)| *n > 0)
        .map(|(st, n)| format!("{n} {}", st.as_str()))
        .collect();
        s.push_str(&format!("; verification: {}", parts.join(", ")));
    }
    let sup = &o.suppressed;
    let mut quiet_parts = Vec::new();
    if c.ignored_inline > 0 {
        quiet_parts.push(format!("{} by inline comments", c.ignored_inline));
    }
    if sup.allowlist > 0 {
        quiet_parts.push(format!("{} by allowlists", sup.allowlist));
    }
    if sup.disabled > 0 {
        quiet_parts.push(format!("{} of disabled rules", sup.disabled));
    }
    if sup.baseline > 0 {
        quiet_parts.push(format!("{} by the baseline", sup.baseline));
    }
    if !quiet_parts.is_empty() {
        s.push_str(&format!("; suppressed {}", quiet_parts.join(", ")));
    }
    if c.examples > 0 {
        s.push_str(&format!(
            "; {} AWS documentation example{} ignored",
            c.examples,
            if c.examples == 1 { "" } else { "s" }
        ));
    }
    if c.errors > 0 {
        s.push_str(&format!(
            "; {} error{}",
            c.errors,
            if c.errors == 1 { "" } else { "s" }
        ));
    }
    s
}

fn human_bytes(b: u64) -> String {
    let b = b as f64;
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1} MB", b / 1e6)
    } else if b >= 1e3 {
        format!("{:.1} kB", b / 1e3)
    } else {
        format!("{b} bytes")
    }
}

/// Lexically normalises an absolute path (`.` and `..` resolved without touching the disk).
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn absolute(p: &Path) -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_default();
    normalize(&cwd.join(p))
}

/// The directory SARIF URIs are relative to: the git repository holding the first scanned
/// path, else that path (its directory, for a file), else the current directory.
fn uri_base(config: &Config) -> PathBuf {
    let first = config.targets.iter().find_map(|t| match t {
        Target::Path(p) => Some(absolute(p)),
        Target::Stdin => None,
    });
    let Some(first) = first else {
        return absolute(Path::new("."));
    };
    let dir = if first.is_dir() {
        first.clone()
    } else {
        first.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    dir.ancestors()
        .find(|a| a.join(".git").exists())
        .map(Path::to_path_buf)
        .unwrap_or(dir)
}

/// A location's path as a URI relative to `base` (absolute `file://` URI when outside it).
fn relative_uri(base: &Path, path: &str) -> String {
    if path == source::stdin::NAME {
        return "stdin".to_string();
    }
    let abs = absolute(Path::new(path));
    match abs.strip_prefix(base) {
        Ok(rel) if !rel.as_os_str().is_empty() => {
            encode_uri(&rel.to_string_lossy().replace('\\', "/"))
        }
        _ => format!(
            "file://{}",
            encode_uri(&abs.to_string_lossy().replace('\\', "/"))
        ),
    }
}
