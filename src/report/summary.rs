//! The one-paragraph summary printed on standard error after a scan: what was read (files, git
//! blobs, bytes, seconds), what was skipped and why, the findings by severity, the verdicts of
//! verification, what each suppression mechanism kept out, documentation examples ignored, and
//! the errors.

use crate::finding::{Finding, Status};
use crate::rule::Severity;
use crate::source::Counts;
use crate::suppress::{Suppressed, Withheld};

/// The summary line.
pub(crate) fn line(findings: &[Finding], c: &Counts, sup: &Suppressed, seconds: f64) -> String {
    let mut s = format!("keyhound: scanned {}", read(c, seconds));
    s.push_str(&opened(c));
    s.push_str(&skipped(c));
    let n = findings.len();
    s.push_str(&format!("; {n} finding{}", plural(n as u64)));
    s.push_str(&by_severity(findings));
    s.push_str(&verdicts(findings));
    s.push_str(&suppressed(c, sup));
    if let Some(w) = &sup.withheld {
        s.push_str(&withheld(w));
    }
    if c.unreachable > 0 {
        s.push_str(&format!(
            "; {} finding{} in unreachable git objects not reported (--include-unreachable)",
            c.unreachable,
            plural(c.unreachable)
        ));
    }
    if c.examples > 0 {
        s.push_str(&format!(
            "; {} AWS documentation example{} ignored",
            c.examples,
            plural(c.examples)
        ));
    }
    if c.errors > 0 {
        s.push_str(&format!("; {} error{}", c.errors, plural(c.errors)));
    }
    s
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `N files (B) in T s`, with the git blobs read, the binary files read as strings, and the
/// unchanged files not read again.
fn read(c: &Counts, seconds: f64) -> String {
    let files = format!(
        "{} file{} ({})",
        c.files,
        plural(c.files),
        human_bytes(c.bytes)
    );
    let blobs = format!(
        "{} git blob{} ({})",
        c.blobs,
        plural(c.blobs),
        human_bytes(c.blob_bytes)
    );
    let mut s = if c.blobs > 0 && c.files == 0 {
        // `--staged`, `--since`, or a bare repository: only git blobs were read.
        format!("{blobs} in {seconds:.2}s")
    } else if c.blobs > 0 {
        format!("{files} and {blobs} in {seconds:.2}s")
    } else {
        format!("{files} in {seconds:.2}s")
    };
    if c.binary_strings > 0 {
        s.push_str(&format!(
            "; {} binary file{} read as strings",
            c.binary_strings,
            plural(c.binary_strings)
        ));
    }
    if c.unchanged > 0 {
        s.push_str(&format!(
            "; {} unchanged file{} already scanned as history",
            c.unchanged,
            plural(c.unchanged)
        ));
    }
    s
}

/// `; opened N archives, N images (N members, B)`.
fn opened(c: &Counts) -> String {
    if c.archives == 0 && c.images == 0 {
        return String::new();
    }
    let mut s = format!("; opened {} archive{}", c.archives, plural(c.archives));
    if c.images > 0 {
        s.push_str(&format!(", {} image{}", c.images, plural(c.images)));
    }
    s.push_str(&format!(
        " ({} member{}, {})",
        c.members,
        plural(c.members),
        human_bytes(c.member_bytes)
    ));
    if c.damaged > 0 {
        s.push_str(&format!(
            ", {} damaged (read as far as possible)",
            c.damaged
        ));
    }
    s
}

/// `; skipped N binary, N too large, N special files, N vanished`, and the archives not
/// opened or not read to their end, by reason.
fn skipped(c: &Counts) -> String {
    let special = format!("special file{}", plural(c.skipped_special));
    let reports = format!("keyhound report{}", plural(c.skipped_reports));
    let depth = format!(
        "archive{} deeper than --max-archive-depth",
        plural(c.skipped_depth)
    );
    let size = format!(
        "archive{} past --max-archive-size",
        plural(c.skipped_archive_size)
    );
    let ratio = format!(
        "archive{} past the compression ratio limit",
        plural(c.skipped_ratio)
    );
    let members = format!("archive{} with too many members", plural(c.skipped_members));
    let encrypted = format!("encrypted member{}", plural(c.encrypted));
    let parts = counted(&[
        (c.skipped_binary, "binary"),
        (c.skipped_large, "too large"),
        (c.skipped_special, &special),
        (c.skipped_reports, &reports),
        (c.vanished, "vanished"),
        (c.skipped_depth, &depth),
        (c.skipped_archive_size, &size),
        (c.skipped_ratio, &ratio),
        (c.skipped_members, &members),
        (c.encrypted, &encrypted),
    ]);
    if parts.is_empty() {
        String::new()
    } else {
        format!("; skipped {parts}")
    }
}

/// `N what, N what` for the counts that are not zero.
fn counted(counts: &[(u64, &str)]) -> String {
    let parts: Vec<String> = counts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
    parts.join(", ")
}

/// ` (N critical, N high, ...)`.
fn by_severity(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return String::new();
    }
    let by = |sev: Severity| findings.iter().filter(|f| f.severity == sev).count();
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
    format!(" ({})", parts.join(", "))
}

/// `; verification: N live, N invalid, ...`.
fn verdicts(findings: &[Finding]) -> String {
    let verdicts: Vec<Status> = findings
        .iter()
        .filter_map(|f| f.verification.as_ref().map(|v| v.status))
        .collect();
    if verdicts.is_empty() {
        return String::new();
    }
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
    format!("; verification: {}", parts.join(", "))
}

/// `; suppressed N by inline comments, N by allowlists, ...`.
fn suppressed(c: &Counts, sup: &Suppressed) -> String {
    let parts = counted(&[
        (c.ignored_inline, "by inline comments"),
        (sup.allowlist, "by allowlists"),
        (sup.disabled, "of disabled rules"),
        (sup.baseline, "by the baseline"),
    ]);
    if parts.is_empty() {
        String::new()
    } else {
        format!("; suppressed {parts}")
    }
}

/// `; withheld N not confirmed live by --only-verified (N unknown, N skipped, ...)`.
fn withheld(w: &Withheld) -> String {
    if w.total() == 0 {
        return String::new();
    }
    let not_pairs = if w.unverifiable == 1 {
        "not a key pair"
    } else {
        "not key pairs"
    };
    let parts = counted(&[
        (w.unknown, "unknown"),
        (w.skipped, "skipped"),
        (w.invalid, "invalid"),
        (w.unverifiable, not_pairs),
    ]);
    format!(
        "; withheld {} not confirmed live by --only-verified ({parts})",
        w.total()
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_files_reports_and_withheld_findings() {
        let c = Counts {
            files: 2,
            bytes: 10,
            skipped_special: 1,
            skipped_reports: 2,
            ..Counts::default()
        };
        let sup = Suppressed {
            withheld: Some(Withheld {
                unknown: 2,
                unverifiable: 1,
                ..Withheld::default()
            }),
            ..Suppressed::default()
        };
        assert_eq!(
            line(&[], &c, &sup, 0.5),
            "keyhound: scanned 2 files (10 bytes) in 0.50s; skipped 1 special file, \
             2 keyhound reports; 0 findings; withheld 3 not confirmed live by --only-verified \
             (2 unknown, 1 not a key pair)"
        );
    }

    #[test]
    fn archives_opened_and_skipped() {
        let c = Counts {
            files: 3,
            bytes: 4_000,
            archives: 5,
            images: 1,
            members: 12,
            member_bytes: 20_000,
            skipped_depth: 1,
            skipped_ratio: 1,
            damaged: 1,
            encrypted: 2,
            ..Counts::default()
        };
        assert_eq!(
            line(&[], &c, &Suppressed::default(), 0.5),
            "keyhound: scanned 3 files (4.0 kB) in 0.50s; opened 5 archives, 1 image \
             (12 members, 20.0 kB), 1 damaged (read as far as possible); skipped 1 archive \
             deeper than --max-archive-depth, 1 archive past the compression ratio limit, \
             2 encrypted members; 0 findings"
        );
    }

    #[test]
    fn reads_and_skips() {
        let c = Counts {
            files: 1,
            bytes: 2_500,
            skipped_binary: 2,
            vanished: 1,
            examples: 1,
            ..Counts::default()
        };
        assert_eq!(
            line(&[], &c, &Suppressed::default(), 0.5),
            "keyhound: scanned 1 file (2.5 kB) in 0.50s; skipped 2 binary, 1 vanished; \
             0 findings; 1 AWS documentation example ignored"
        );
        let c = Counts {
            blobs: 3,
            blob_bytes: 12,
            ..Counts::default()
        };
        assert_eq!(
            line(&[], &c, &Suppressed::default(), 1.0),
            "keyhound: scanned 3 git blobs (12 bytes) in 1.00s; 0 findings"
        );
    }
}
