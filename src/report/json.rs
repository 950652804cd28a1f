//! JSON and JSONL reports. The shape is versioned (`"version": 1`) and documented in README.md:
//! a document with `tool`, `findings` and `summary` for `json`, and one finding object per line
//! for `jsonl`. Finding objects are identical in both.

use std::io::{self, Write};

use serde_json::{json, Map, Value};

use super::remedy::Remedy;
use super::{EscapeBidi, Report};
use crate::finding::{Finding, Location};
use crate::triage::Triage;

/// Version of the JSON shape; bumped on any incompatible change.
pub(crate) const SCHEMA_VERSION: u32 = 1;

fn location(l: &Location) -> Value {
    let mut m = Map::new();
    m.insert("path".into(), json!(l.path));
    if !l.members.is_empty() {
        m.insert("members".into(), json!(l.members));
    }
    match l.offset {
        // A string read out of binary content: where its bytes are.
        Some(s) => {
            m.insert("offset".into(), json!(s.offset));
            m.insert("length".into(), json!(s.length));
        }
        None => {
            m.insert("line".into(), json!(l.line));
            m.insert("column".into(), json!(l.column));
            m.insert("end_line".into(), json!(l.end_line));
            m.insert("end_column".into(), json!(l.end_column));
        }
    }
    m.insert("kind".into(), json!(l.kind.as_str()));
    m.insert("encoding".into(), json!(l.encoding.as_str()));
    if l.unreachable {
        m.insert("unreachable".into(), json!(true));
    }
    if l.deleted {
        m.insert("deleted_in_later_layer".into(), json!(true));
    }
    if let Some(c) = &l.commit {
        m.insert(
            "commit".into(),
            json!({"id": c.id, "author": c.author, "email": c.email, "date": c.date}),
        );
    }
    Value::Object(m)
}

/// What `--aws-triage` found out about a key (`verification.triage`, documented in README.md).
pub(crate) fn triage(t: &Triage) -> Value {
    json!({
        "principal": {
            "type": t.principal.kind.as_str(),
            "name": t.principal.name,
            "session": t.principal.session,
        },
        "key": t.key.as_ref().map(|k| json!({
            "status": k.status,
            "created": k.created,
            "age_days": k.age_days,
        })),
        "last_used": t.last_used.as_ref().map(|l| json!({
            "never_used": l.date.is_none(),
            "date": l.date,
            "service": l.service,
            "region": l.region,
        })),
        "account_alias": t.account_alias.as_ref().map(|a| json!(a)),
        "account_alias_read": t.account_alias.is_some(),
        "groups": t.groups,
        "policies": t.policies.iter().map(|p| json!({
            "name": p.name,
            "arn": p.arn,
            "kind": p.kind,
            "via": p.via,
            "document_read": p.document_read,
        })).collect::<Vec<_>>(),
        "permission_boundary": t.permission_boundary,
        "access": {
            "method": t.access.method.as_str(),
            "allowed": t.access.allowed,
            "denied": t.access.denied,
            "conditional": t.access.conditional,
            "scoped": t.access.scoped,
            "unknown": t.access.unknown,
        },
        "risk": t.risk.as_str(),
        "reason": t.reason,
        "not_permitted": t.not_permitted,
        "failed": t.failed,
    })
}

/// How to shut a live key off (`verification.remediation`).
pub(crate) fn remediation(r: &Remedy) -> Value {
    json!({
        "principal_type": r.principal,
        "steps": r.steps,
        "cloudtrail": r.cloudtrail,
        "docs": r.docs,
    })
}

/// The JSON object of one finding.
pub(crate) fn finding(f: &Finding, report: &Report<'_>) -> Value {
    let primary = f.primary();
    let v = json!({
        "rule_id": f.rule.id,
        "rule_name": f.rule.name,
        "severity": f.severity.as_str(),
        "fingerprint": f.fingerprint,
        "path": primary.map(|l| l.path.as_str()),
        "aws": f.aws.as_ref().map(|a| json!({
            "key_id": a.key_id,
            "account_id": a.account_id,
            "key_type": a.key_type,
        })),
        "secret": f.secret.as_ref().map(|s| report.secret_text(s)),
        "session_token": f.session_token.as_ref().map(|s| report.secret_text(s)),
        "redacted": !report.show_secrets,
        "present_at_head": f.present_at_head,
        "verification": f.verification.as_ref().map(|v| json!({
            "status": v.status.as_str(),
            "reason": v.reason,
            "account": v.account,
            "arn": v.arn,
            "user_id": v.user_id,
            "triage": v.triage.as_deref().map(triage),
            "remediation": super::remedy::remedy(f).as_ref().map(remediation),
        })),
        "locations": f.locations.iter().map(location).collect::<Vec<_>>(),
    });
    // After the path: inside an archive, the chain of members; then the line and column, or
    // for a finding in binary content, the byte offset, as its locations say.
    let mut place: Vec<(&str, Value)> = Vec::new();
    if let Some(l) = primary.filter(|l| !l.members.is_empty()) {
        place.push(("members", json!(l.members)));
    }
    match primary.and_then(|l| l.offset) {
        Some(s) => place.push(("offset", json!(s.offset))),
        None => {
            place.push(("line", json!(primary.map(|l| l.line))));
            place.push(("column", json!(primary.map(|l| l.column))));
        }
    }
    let Value::Object(fields) = v else {
        return v;
    };
    let mut m = Map::new();
    for (k, val) in fields {
        let after_path = k == "path";
        m.insert(k, val);
        if after_path {
            for (k, val) in &place {
                m.insert((*k).to_string(), val.clone());
            }
        }
    }
    Value::Object(m)
}

/// The findings array, each finding built as it is written: a report of many findings never
/// holds them all as JSON values at once (about 6 KB each).
struct Findings<'a>(&'a Report<'a>);

impl serde::Serialize for Findings<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.findings.iter().map(|f| finding(f, self.0)))
    }
}

/// The document, in the order its keys are written.
#[derive(serde::Serialize)]
struct Document<'a> {
    version: u32,
    tool: Value,
    findings: Findings<'a>,
    summary: Value,
}

/// One JSON document.
pub(crate) fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let c = report.counts;
    let doc = Document {
        version: SCHEMA_VERSION,
        tool: json!({"name": "keyhound", "version": env!("CARGO_PKG_VERSION")}),
        findings: Findings(report),
        summary: json!({
            "findings": report.findings.len(),
            "files": c.files,
            "bytes": c.bytes,
            "blobs": c.blobs,
            "blob_bytes": c.blob_bytes,
            "unchanged_files_skipped": c.unchanged,
            "binary_read_as_strings": c.binary_strings,
            "skipped_binary": c.skipped_binary,
            "skipped_large": c.skipped_large,
            "skipped_special": c.skipped_special,
            "skipped_reports": c.skipped_reports,
            "vanished": c.vanished,
            "archives": {
                "opened": c.archives,
                "images_opened": c.images,
                "members_scanned": c.members,
                "member_bytes": c.member_bytes,
                "skipped_depth": c.skipped_depth,
                "skipped_size": c.skipped_archive_size,
                "skipped_ratio": c.skipped_ratio,
                "skipped_members": c.skipped_members,
                "damaged": c.damaged,
                "encrypted_members": c.encrypted,
            },
            "errors": c.errors,
            "examples_ignored": c.examples,
            "unreachable_not_reported": c.unreachable,
            "suppressed": {
                "inline": c.ignored_inline,
                "allowlist": report.suppressed.allowlist,
                "disabled_rules": report.suppressed.disabled,
                "baseline": report.suppressed.baseline,
            },
            "withheld": report.suppressed.withheld.as_ref().map(|w| json!({
                "unknown": w.unknown,
                "skipped": w.skipped,
                "invalid": w.invalid,
                "not_key_pairs": w.unverifiable,
            })),
            "config": report.config_file,
        }),
    };
    let mut w = EscapeBidi::new(&mut *out);
    serde_json::to_writer_pretty(&mut w, &doc)?;
    w.finish()?;
    writeln!(out)
}

/// One finding per line.
pub(crate) fn write_lines(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    for f in report.findings {
        let mut w = EscapeBidi::new(&mut *out);
        serde_json::to_writer(&mut w, &finding(f, report))?;
        w.finish()?;
        writeln!(out)?;
    }
    Ok(())
}
