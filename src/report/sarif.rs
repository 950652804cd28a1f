//! SARIF 2.1.0 for GitHub code scanning and other consumers: one run, every rule listed once in
//! a fixed order, repository-relative URIs, 1-based regions, every location of a pair (the
//! first as the result's location, the others as related locations), a content-based
//! fingerprint under `keyhound/v1`, and no secret anywhere (no snippets; messages name the key
//! ID and the account only).

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use super::{EscapeBidi, Report};
use crate::finding::{Finding, Location, Status};
use crate::rule::{Rule, Severity};
use crate::source::fs::absolute;
use crate::source::STDIN_NAME;
use crate::triage::Risk;

/// Where users read about keyhound.
pub(crate) const INFORMATION_URI: &str = "https://github.com/keyhound/keyhound";

pub(crate) fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// A live credential is always an error; one AWS rejected is a warning (it leaked, but no
/// longer works); otherwise the rule's severity decides.
pub(crate) fn result_level(f: &Finding) -> &'static str {
    match f.verification.as_ref().map(|v| v.status) {
        Some(Status::Live) => "error",
        Some(Status::Invalid) => "warning",
        _ => level(f.severity),
    }
}

fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

fn tags(r: &Rule) -> Vec<&'static str> {
    if r.id.starts_with("aws-") {
        vec!["security", "secret", "aws"]
    } else {
        vec!["security", "secret"]
    }
}

fn rule(r: &Rule) -> Value {
    json!({
        "id": r.id,
        "name": r.name.replace(' ', "-"),
        "shortDescription": {"text": r.name},
        "fullDescription": {"text": r.description},
        "help": {
            "text": r.help,
            "markdown": format!("**{}**\n\n{}\n\n{}", r.name, r.description, r.help),
        },
        "defaultConfiguration": {"level": level(r.severity)},
        "properties": {
            "tags": tags(r),
            "precision": r.precision,
            "security-severity": security_severity(r.severity),
        },
    })
}

fn physical(l: &Location, report: &Report<'_>) -> Value {
    let uri = relative_uri(report.uri_base, &l.path);
    if let Some(s) = l.offset {
        // A string read out of binary content: a region of bytes, which SARIF allows for
        // binary artifacts, and the line of the file it is on (line feeds counted), which
        // GitHub code scanning requires of every region.
        return json!({
            "artifactLocation": {"uri": uri},
            "region": {
                "startLine": l.line.max(1),
                "byteOffset": s.offset,
                "byteLength": s.length,
            },
        });
    }
    let end_column = if l.end_line == l.line {
        l.end_column.max(l.column + 1)
    } else {
        l.end_column.max(1)
    };
    json!({
        "artifactLocation": {"uri": uri},
        "region": {
            "startLine": l.line.max(1),
            "startColumn": l.column.max(1),
            "endLine": l.end_line.max(l.line).max(1),
            "endColumn": end_column,
        },
    })
}

/// A SARIF location: the outer file, and for content inside a container the chain of members
/// in its properties.
fn location(l: &Location, report: &Report<'_>) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("physicalLocation".into(), physical(l, report));
    let mut props = Map::new();
    if !l.members.is_empty() {
        props.insert("members".into(), json!(l.members));
    }
    if l.deleted {
        props.insert("deleted_in_later_layer".into(), json!(true));
    }
    if !props.is_empty() {
        m.insert("properties".into(), Value::Object(props));
    }
    m
}

/// What a finding is, in one secret-free sentence (rule, verdict, key ID and account), where it
/// is inside a container, then the rule's help.
pub(crate) fn message(f: &Finding) -> String {
    let mut m = headline(f);
    m.push('.');
    // Inside a container: where (the artifact is the outer file). Binary content outside one
    // needs nothing here: its region has the byte offset.
    if let Some(w) = f
        .primary()
        .filter(|l| !l.members.is_empty())
        .and_then(inside)
    {
        let mut c = w.chars();
        let first: String = c
            .next()
            .map(|c| c.to_uppercase().collect())
            .unwrap_or_default();
        m.push_str(&format!(" {first}{}.", c.as_str()));
    }
    m.push(' ');
    m.push_str(f.rule.help);
    m.push_str(&super::remedy::sentences(f));
    m
}

/// Where inside its file a location is, for reports that can only name the outer file and a
/// line of it: the chain of members of a container, the byte offset in binary content.
pub(crate) fn inside(l: &Location) -> Option<String> {
    let mut s = match l.offset {
        Some(at) if l.members.is_empty() => format!("at byte offset {:#x} of the file", at.offset),
        Some(at) => format!(
            "inside {}, at byte offset {:#x}",
            super::text::member_path(l),
            at.offset
        ),
        None if l.members.is_empty() => return None,
        None => format!(
            "inside {}, line {} column {}",
            super::text::member_path(l),
            l.line,
            l.column
        ),
    };
    if l.deleted {
        s.push_str(" (deleted in a later layer of the image, still shipped in it)");
    }
    Some(s)
}

/// The first sentence of `message`, without its full stop.
pub(crate) fn headline(f: &Finding) -> String {
    let mut m = match f.verification.as_ref().map(|v| v.status) {
        Some(Status::Live) => format!("Live {} found (AWS accepted it)", f.rule.name),
        Some(Status::Invalid) => format!("{} found (AWS rejected it)", f.rule.name),
        _ => format!("{} found", f.rule.name),
    };
    if let Some(a) = &f.aws {
        m.push_str(&format!(": key ID {}", a.key_id));
        if let Some(acct) = &a.account_id {
            m.push_str(&format!(" (AWS account {acct})"));
        }
    }
    m
}

fn result(f: &Finding, report: &Report<'_>, index: &HashMap<&str, usize>) -> Option<Value> {
    let primary = f.primary()?;
    let rule_index = index.get(f.rule.id).copied().unwrap_or(0);
    let related: Vec<Value> = f
        .locations
        .iter()
        .skip(1)
        .take(999)
        .enumerate()
        .map(|(i, l)| {
            let mut m = Map::new();
            m.insert("id".into(), json!(i + 1));
            m.extend(location(l, report));
            m.insert(
                "message".into(),
                json!({"text": format!("{} of this credential", l.kind.as_str().replace('_', " "))}),
            );
            Value::Object(m)
        })
        .collect();
    let mut r = json!({
        "ruleId": f.rule.id,
        "ruleIndex": rule_index,
        "level": result_level(f),
        "message": {"text": message(f)},
        "locations": [Value::Object(location(primary, report))],
        "partialFingerprints": {"keyhound/v1": f.fingerprint},
        "properties": properties(f, primary),
    });
    if !related.is_empty() {
        if let Some(obj) = r.as_object_mut() {
            obj.insert("relatedLocations".into(), Value::Array(related));
        }
    }
    Some(r)
}

/// A result's properties: what keyhound knows beyond SARIF's fields.
fn properties(f: &Finding, primary: &Location) -> Value {
    let mut props = Map::new();
    props.insert("severity".into(), json!(f.severity.as_str()));
    if let Some(a) = &f.aws {
        props.insert("aws_key_id".into(), json!(a.key_id));
        props.insert("aws_account_id".into(), json!(a.account_id));
        props.insert("aws_key_type".into(), json!(a.key_type));
    }
    props.insert("kind".into(), json!(primary.kind.as_str()));
    if let Some(v) = &f.verification {
        let mut verification = json!({"status": v.status.as_str(), "reason": v.reason, "account": v.account, "arn": v.arn});
        if let Some(obj) = verification.as_object_mut() {
            if let Some(t) = &v.triage {
                obj.insert("triage".into(), super::json::triage(t));
                // GitHub ranks results by security-severity: an administrator key is the worst
                // there is.
                if t.risk == Risk::Admin {
                    props.insert("security-severity".into(), json!("10.0"));
                }
            }
            if let Some(r) = super::remedy::remedy(f) {
                obj.insert("remediation".into(), super::json::remediation(&r));
            }
        }
        props.insert("verification".into(), verification);
    }
    if let Some(at_head) = f.present_at_head {
        props.insert("present_at_head".into(), json!(at_head));
    }
    if primary.unreachable {
        props.insert("unreachable".into(), json!(true));
    }
    props.insert("encoding".into(), json!(primary.encoding.as_str()));
    if let Some(c) = &primary.commit {
        props.insert(
            "commit".into(),
            json!({"id": c.id, "author": c.author, "email": c.email, "date": c.date}),
        );
    }
    Value::Object(props)
}

/// The SARIF log, in the order its keys are written.
#[derive(serde::Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Value,
    automation_details: Value,
    invocations: Value,
    results: Results<'a>,
}

/// The results, each built as it is written: a log of many findings never holds them all
/// as JSON values at once.
struct Results<'a> {
    report: &'a Report<'a>,
    index: &'a HashMap<&'a str, usize>,
}

impl serde::Serialize for Results<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let report = self.report;
        s.collect_seq(
            report
                .findings
                .iter()
                .filter_map(|f| result(f, report, self.index)),
        )
    }
}

/// Writes the SARIF log.
pub(crate) fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    // The first rule of each id (ids are unique), looked up once per finding.
    let rules = (report.rules)();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, r) in rules.iter().enumerate() {
        index.entry(r.id).or_insert(i);
    }
    let results = Results {
        report,
        index: &index,
    };
    let doc = Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: [Run {
            tool: json!({"driver": {
                "name": "keyhound",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": INFORMATION_URI,
                "rules": rules.iter().map(|r| rule(r)).collect::<Vec<_>>(),
            }}),
            automation_details: json!({"id": "keyhound/"}),
            invocations: json!([{
                "executionSuccessful": report.exit_code != 2,
                "exitCode": report.exit_code,
            }]),
            results,
        }],
    };
    let mut w = EscapeBidi::new(&mut *out);
    serde_json::to_writer_pretty(&mut w, &doc)?;
    w.finish()?;
    writeln!(out)
}

/// Percent-encodes a relative path for a SARIF `uri` (RFC 3986 unreserved characters and `/`
/// are kept).
pub(crate) fn encode_uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The directory SARIF URIs are relative to: the git repository holding the first scanned
/// path, else that path (its directory, for a file).
pub(crate) fn uri_base(first: &Path) -> PathBuf {
    let first = absolute(first);
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
    if path == STDIN_NAME {
        return "stdin".to_string();
    }
    match relative_path(base, path) {
        Some(rel) => encode_uri(&rel),
        None => format!(
            "file://{}",
            encode_uri(
                &absolute(Path::new(path))
                    .to_string_lossy()
                    .replace('\\', "/")
            )
        ),
    }
}

/// A location's path relative to `base`, with `/` separators; `None` for standard input and
/// for paths outside `base`.
pub(crate) fn relative_path(base: &Path, path: &str) -> Option<String> {
    if path == STDIN_NAME {
        return None;
    }
    let abs = absolute(Path::new(path));
    match abs.strip_prefix(base) {
        Ok(rel) if !rel.as_os_str().is_empty() => Some(rel.to_string_lossy().replace('\\', "/")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(
            encode_uri("dev settings/a b.toml"),
            "dev%20settings/a%20b.toml"
        );
        assert_eq!(encode_uri("ok/path-1_2.txt"), "ok/path-1_2.txt");
        assert_eq!(encode_uri("é"), "%C3%A9");
    }
}
