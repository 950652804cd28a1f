//! GitLab's Secret Detection report (`gl-secret-detection-report.json`, read by
//! `artifacts: reports: secret_detection:`), in the shape of the schema GitLab publishes in its
//! security-report-schemas project (the version `SCHEMA_VERSION` names;
//! `fixtures/schemas/gitlab/` holds a copy the tests validate against). One vulnerability per
//! place a credential was seen (each file, and each commit of history that holds it), so that
//! the merge request widget marks every file. No secret is written unless the user asked to
//! see them, and then only in `details`; never a source extract.

use std::collections::HashSet;
use std::io::{self, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::sarif::{headline, inside, relative_path, INFORMATION_URI};
use super::{EscapeBidi, Report};
use crate::finding::{Finding, Location, Status};
use crate::rule::Severity;
use crate::source::git::commit::iso_date;

/// The schema version the report declares. GitLab refuses a report whose version it does not
/// know, so this moves only with the vendored schema.
pub(crate) const SCHEMA_VERSION: &str = "15.2.4";

/// The commit of a finding outside git history (a working-tree file, standard input): GitLab's
/// own secret detection analyzer writes this value when it scans without git.
const NO_COMMIT: &str = "0000000";

fn severity(f: &Finding) -> &'static str {
    match f.verification.as_ref().map(|v| v.status) {
        Some(Status::Live) => "Critical",
        // Leaked, but AWS no longer accepts it.
        Some(Status::Invalid) if f.severity < Severity::Medium => "Medium",
        _ => match f.severity {
            Severity::Critical => "Critical",
            Severity::High => "High",
            Severity::Medium => "Medium",
            Severity::Low => "Low",
        },
    }
}

/// The places to report a finding at: its first location in each file of each commit (a key
/// pair's key ID and secret in one file are one place).
pub(crate) fn places(f: &Finding) -> Vec<&Location> {
    let mut seen = HashSet::new();
    f.locations
        .iter()
        .filter(|l| seen.insert((l.path.as_str(), l.commit.as_ref().map(|c| c.id.as_str()))))
        .collect()
}

/// A stable identifier in the form of a UUID (version 8: derived from the fingerprint and the
/// place), so that the same finding keeps its identifier from one pipeline to the next.
fn vulnerability_id(f: &Finding, file: &str, l: &Location) -> String {
    let mut h = Sha256::new();
    h.update(f.fingerprint.as_bytes());
    h.update([0]);
    h.update(file.as_bytes());
    h.update([0]);
    h.update(l.line.to_be_bytes());
    h.update(l.commit.as_ref().map_or("", |c| c.id.as_str()).as_bytes());
    let d = h.finalize();
    let mut b = [0u8; 16];
    for (dst, src) in b.iter_mut().zip(d.iter()) {
        *dst = *src;
    }
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        hex.get(0..8).unwrap_or_default(),
        hex.get(8..12).unwrap_or_default(),
        hex.get(12..16).unwrap_or_default(),
        hex.get(16..20).unwrap_or_default(),
        hex.get(20..32).unwrap_or_default()
    )
}

fn text(name: &str, value: &str) -> Value {
    json!({"name": name, "type": "text", "value": value})
}

/// What keyhound knows beyond GitLab's fields, as the schema's named list of text fields.
fn details(f: &Finding, report: &Report<'_>, l: &Location) -> Value {
    let mut m = Map::new();
    m.insert("fingerprint".into(), text("Fingerprint", &f.fingerprint));
    if let Some(a) = &f.aws {
        m.insert("aws_key_id".into(), text("AWS access key ID", &a.key_id));
        if let Some(acct) = &a.account_id {
            m.insert("aws_account_id".into(), text("AWS account", acct));
        }
    }
    if let Some(s) = &f.secret {
        m.insert("secret".into(), text("Secret", &report.secret_text(s)));
    }
    if let Some(v) = &f.verification {
        let mut shown = v.status.as_str().to_string();
        if !v.reason.is_empty() {
            shown.push_str(&format!(" ({})", v.reason));
        }
        m.insert("verification".into(), text("Verification", &shown));
    }
    if let Some(c) = &l.commit {
        if !c.email.is_empty() {
            m.insert(
                "commit_email".into(),
                text("Commit author e-mail", &c.email),
            );
        }
    }
    if let Some(at_head) = f.present_at_head {
        m.insert(
            "present_at_head".into(),
            text(
                "Still in the current tree",
                if at_head { "yes" } else { "no" },
            ),
        );
    }
    Value::Object(m)
}

fn vulnerability(f: &Finding, report: &Report<'_>, l: &Location) -> Value {
    let file = relative_path(report.uri_base, &l.path).unwrap_or_else(|| l.path.clone());
    let commit = match &l.commit {
        Some(c) => json!({"sha": c.id, "author": c.author, "date": c.date}),
        None => json!({"sha": NO_COMMIT}),
    };
    let mut description = headline(f);
    if let Some(w) = inside(l) {
        description.push_str(&format!(", {w}"));
    }
    description.push('.');
    if let Some(c) = &l.commit {
        description.push_str(&format!(" Introduced by commit {}.", c.id));
    }
    json!({
        "id": vulnerability_id(f, &file, l),
        "name": f.rule.name,
        "description": description,
        "severity": severity(f),
        "solution": format!("{}{}", f.rule.help, super::remedy::sentences(f)),
        "identifiers": [{
            "type": "keyhound_rule_id",
            "name": format!("keyhound rule {}", f.rule.id),
            "value": f.rule.id,
            "url": INFORMATION_URI,
        }],
        "location": {
            "file": file,
            "start_line": l.line.max(1),
            "end_line": l.end_line.max(l.line).max(1),
            "commit": commit,
        },
        "details": details(f, report, l),
    })
}

/// `yyyy-mm-ddThh:mm:ss` in UTC, as the schema asks.
fn utc(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    iso_date(secs, 0).chars().take(19).collect()
}

/// What the person who started the scan should know: errors make the scan a failure.
fn messages(report: &Report<'_>) -> Vec<Value> {
    let mut m = Vec::new();
    let c = report.counts;
    if c.errors > 0 {
        m.push(json!({"level": "warn", "value": format!(
            "{} file(s) or git object(s) could not be read; the job log names them", c.errors)}));
    }
    if report.exit_code == 2 {
        m.push(json!({"level": "fatal", "value":
            "the scan did not complete; its findings are incomplete (see the job log)"}));
    }
    m
}

/// Writes the report.
pub(crate) fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let finished = SystemTime::now();
    let started = finished
        .checked_sub(Duration::from_secs_f64(report.seconds.max(0.0)))
        .unwrap_or(finished);
    let tool = json!({
        "id": "keyhound",
        "name": "keyhound",
        "url": INFORMATION_URI,
        "version": env!("CARGO_PKG_VERSION"),
        "vendor": {"name": "keyhound"},
    });
    let vulnerabilities: Vec<Value> = report
        .findings
        .iter()
        .flat_map(|f| places(f).into_iter().map(move |l| (f, l)))
        .map(|(f, l)| vulnerability(f, report, l))
        .collect();
    let doc = json!({
        "version": SCHEMA_VERSION,
        "schema": format!(
            "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/v{SCHEMA_VERSION}/dist/secret-detection-report-format.json"
        ),
        "scan": {
            "analyzer": tool,
            "scanner": tool,
            "type": "secret_detection",
            "start_time": utc(started),
            "end_time": utc(finished),
            "status": if report.exit_code == 2 { "failure" } else { "success" },
            "messages": messages(report),
        },
        "vulnerabilities": vulnerabilities,
    });
    let mut w = EscapeBidi::new(&mut *out);
    serde_json::to_writer_pretty(&mut w, &doc)?;
    w.finish()?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_without_offset() {
        assert_eq!(utc(UNIX_EPOCH), "1970-01-01T00:00:00");
        let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(utc(t), "2023-11-14T22:13:20");
    }
}
