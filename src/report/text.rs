//! The text report, for people. One block per finding: where it is, how bad, what it is (the
//! key ID and its account, the redacted secret), then every location and the rule's help line
//! (how to revoke or rotate that credential); a live AWS key also gets its triage (with
//! `--aws-triage`) and the commands that shut it off. Colour only when asked
//! for or on a terminal; file names and other untrusted text are stripped of control
//! characters so that a hostile file name cannot drive the terminal.

use std::io::{self, Write};

use super::remedy::Remedy;
use super::Report;
use crate::finding::{CommitInfo, Encoding, Finding, Location, LocationKind, Status};
use crate::rule::Severity;
use crate::triage::{Risk, Triage};

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";

fn severity_style(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "\x1b[1;31m",
        Severity::High => "\x1b[31m",
        Severity::Medium => "\x1b[33m",
        Severity::Low => "\x1b[36m",
    }
}

/// Replaces control characters (C0, DEL, C1) and bidirectional formatting characters with
/// visible escapes (`\u{1b}`, `\u{202e}`): text from a scanned file, a repository or the network
/// can neither drive the terminal nor reorder what a line says.
pub(crate) fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() || super::is_bidi_control(c) {
            out.push_str(&c.escape_default().to_string());
        } else {
            out.push(c);
        }
    }
    out
}

struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, style: &str, text: &str) -> String {
        if self.on {
            format!("{style}{text}{RESET}")
        } else {
            text.to_string()
        }
    }
}

/// `path!member!member`: the file, and the chain of members inside it that holds the content.
pub(crate) fn member_path(l: &Location) -> String {
    let mut s = l.path.clone();
    for m in &l.members {
        s.push('!');
        s.push_str(m);
    }
    s
}

/// `path:line:column` (`dist/app.jar!BOOT-INF/classes/application.properties:3:22` inside an
/// archive, `path@0x1f3a` in binary content), and the commit when it is not the finding's own
/// (the `commit` line names that one, once).
fn place(l: &Location, finding_commit: Option<&CommitInfo>) -> String {
    let shown = sanitize(&member_path(l));
    let mut s = match l.offset {
        // A string read out of binary content: its byte offset there.
        Some(at) => format!("{shown}@{:#x}", at.offset),
        None => format!("{shown}:{}:{}", l.line, l.column),
    };
    if l.deleted {
        s.push_str(" (deleted in a later layer, still in the image)");
    }
    if let Some(c) = l.commit.as_ref().filter(|&c| Some(c) != finding_commit) {
        let short: String = c.id.chars().take(10).collect();
        s.push_str(&format!(" (commit {short} {})", sanitize(&c.date)));
    }
    s
}

/// One finding: its headline, then what it is, then where each part is, then what to do.
fn write_finding(
    f: &Finding,
    report: &Report<'_>,
    st: &Style,
    out: &mut dyn Write,
) -> io::Result<()> {
    let Some(primary) = f.primary() else {
        return Ok(());
    };
    let history_note = match f.present_at_head {
        Some(true) => "  (still in HEAD)",
        Some(false) => "  (removed from HEAD, still in history)",
        None if primary.unreachable => "  (in an unreachable git object)",
        None => "",
    };
    writeln!(
        out,
        "{}  {}  {}{history_note}",
        st.paint(BOLD, &place(primary, primary.commit.as_ref())),
        st.paint(severity_style(f.severity), f.severity.as_str()),
        sanitize(f.rule.name),
    )?;
    write_verdict(f, st, out)?;
    if let Some(t) = f.verification.as_ref().and_then(|v| v.triage.as_deref()) {
        write_triage(t, st, out)?;
    }
    if let Some(c) = &primary.commit {
        writeln!(
            out,
            "    commit      {} {} <{}> {}",
            sanitize(&c.id),
            sanitize(&c.author),
            sanitize(&c.email),
            sanitize(&c.date)
        )?;
    }
    if primary.unreachable {
        writeln!(
            out,
            "    unreachable in no commit that any ref reaches (not pushed); remove it with \
             `git reflog expire --expire-unreachable=now --all && git gc --prune=now`"
        )?;
    }
    write_values(f, report, out)?;
    write_locations(f, primary.commit.as_ref(), out)?;
    writeln!(out, "    help        {}", sanitize(f.rule.help))?;
    if let Some(r) = super::remedy::remedy(f) {
        write_remedy(&r, out)?;
    }
    writeln!(
        out,
        "    {}",
        st.paint(
            DIM,
            &format!(
                "rule {}  fingerprint {}",
                sanitize(f.rule.id),
                f.fingerprint
            )
        )
    )?;
    writeln!(out)
}

/// `verified  LIVE  arn...  reason`.
fn write_verdict(f: &Finding, st: &Style, out: &mut dyn Write) -> io::Result<()> {
    let Some(v) = &f.verification else {
        return Ok(());
    };
    let status = v.status.as_str().to_uppercase();
    let (style, line) = match v.status {
        Status::Live => (
            "\x1b[1;37;41m",
            format!(
                "{}  {}",
                v.arn.as_deref().map(sanitize).unwrap_or_default(),
                sanitize(&v.reason)
            ),
        ),
        Status::Invalid => ("\x1b[32m", sanitize(&v.reason)),
        Status::Unknown => ("\x1b[33m", sanitize(&v.reason)),
        Status::Skipped => (DIM, sanitize(&v.reason)),
    };
    writeln!(
        out,
        "    verified    {}  {}",
        st.paint(style, &status),
        line.trim()
    )
}

/// The triage block: risk and reason, who, the key, permissions, what could not be read.
fn write_triage(t: &Triage, st: &Style, out: &mut dyn Write) -> io::Result<()> {
    let style = match t.risk {
        Risk::Admin | Risk::High => "\x1b[1;31m",
        Risk::Limited => "\x1b[33m",
        Risk::Unknown => DIM,
    };
    writeln!(
        out,
        "    risk        {}  {}",
        st.paint(style, &t.risk.as_str().to_uppercase()),
        sanitize(&t.reason)
    )?;
    let mut who = format!(
        "{} {}",
        t.principal.kind.as_str().replace('_', " "),
        t.principal.name
    );
    if let Some(s) = &t.principal.session {
        who.push_str(&format!(" (session {s})"));
    }
    match &t.account_alias {
        Some(Some(a)) => who.push_str(&format!(", account alias {a}")),
        Some(None) => who.push_str(", no account alias"),
        None => {}
    }
    writeln!(out, "    principal   {}", sanitize(&who))?;
    let mut key = Vec::new();
    if let Some(k) = &t.key {
        let age = k
            .age_days
            .map(|d| format!(", {d} days old"))
            .unwrap_or_default();
        key.push(format!("{}, created {}{age}", k.status, k.created));
    }
    if let Some(l) = &t.last_used {
        key.push(match &l.date {
            None => "never used".to_string(),
            Some(d) => {
                let mut s = format!("last used {d}");
                if let Some(svc) = &l.service {
                    s.push_str(&format!(" by {svc}"));
                }
                if let Some(r) = &l.region {
                    s.push_str(&format!(" in {r}"));
                }
                s
            }
        });
    }
    if !key.is_empty() {
        writeln!(out, "    key         {}", sanitize(&key.join("; ")))?;
    }
    if !t.policies.is_empty() {
        let names: Vec<String> = t
            .policies
            .iter()
            .map(|p| format!("{} ({} via {})", p.name, p.kind, p.via))
            .collect();
        writeln!(out, "    policies    {}", sanitize(&names.join(", ")))?;
    }
    let a = &t.access;
    for (label, list) in [
        ("allowed", &a.allowed),
        ("conditional", &a.conditional),
        ("scoped", &a.scoped),
    ] {
        if !list.is_empty() {
            writeln!(out, "    {label:<11} {}", sanitize(&list.join(", ")))?;
        }
    }
    if !t.not_permitted.is_empty() {
        writeln!(
            out,
            "    not permitted {}",
            sanitize(&t.not_permitted.join(", "))
        )?;
    }
    for f in &t.failed {
        writeln!(
            out,
            "    {}",
            st.paint(DIM, &format!("failed      {}", sanitize(f)))
        )?;
    }
    Ok(())
}

/// How to shut the key off: numbered steps, the CloudTrail lookup, the documentation.
fn write_remedy(r: &Remedy, out: &mut dyn Write) -> io::Result<()> {
    for (i, step) in r.steps.iter().enumerate() {
        let label = if i == 0 { "remedy" } else { "" };
        writeln!(out, "    {label:<11} {}. {}", i + 1, sanitize(step))?;
    }
    writeln!(out, "    cloudtrail  {}", sanitize(&r.cloudtrail))?;
    writeln!(out, "    docs        {}", r.docs)
}

/// The key ID with its account, the secret and the token, redacted unless asked otherwise.
fn write_values(f: &Finding, report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    if let Some(a) = &f.aws {
        // Key IDs with I or J after the prefix predate the account encoding; others that
        // decode to no 12-digit account do not hold one either.
        let account = a.account_id.as_deref().unwrap_or(
            if matches!(a.key_id.as_bytes().get(4), Some(b'I' | b'J')) {
                "unknown (key predates the encoding)"
            } else {
                "unknown (not encoded in this key ID)"
            },
        );
        writeln!(
            out,
            "    key id      {}  account {account}, {}",
            sanitize(&a.key_id),
            a.key_type
        )?;
    }
    // Secrets are text from a scanned file: redacted or not, they are sanitised.
    if let Some(s) = &f.secret {
        writeln!(out, "    secret      {}", sanitize(&report.secret_text(s)))?;
    }
    if let Some(t) = &f.session_token {
        let shown = report.secret_text(t);
        let shown: String = if report.show_secrets {
            shown
        } else {
            shown.chars().take(24).collect()
        };
        writeln!(out, "    token       {}", sanitize(&shown))?;
    }
    Ok(())
}

/// `key id at  path:line:column (encoding)` for every location.
fn write_locations(
    f: &Finding,
    commit: Option<&CommitInfo>,
    out: &mut dyn Write,
) -> io::Result<()> {
    for l in &f.locations {
        let what = match l.kind {
            LocationKind::KeyId => "key id at",
            LocationKind::Secret => "secret at",
            LocationKind::SessionToken => "token at",
        };
        let enc = match l.encoding {
            Encoding::Plain => String::new(),
            e => format!(" ({})", e.as_str().replace('_', " ")),
        };
        writeln!(out, "    {:<11} {}{enc}", what, place(l, commit))?;
    }
    Ok(())
}

/// Writes the text report.
pub(crate) fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let st = Style { on: report.color };
    // Live credentials first: they are the ones to act on now; administrators and high-risk
    // keys first among them (a stable sort keeps the report order otherwise).
    let is_live = |f: &&Finding| {
        f.verification
            .as_ref()
            .is_some_and(|v| v.status == Status::Live)
    };
    let mut live: Vec<&Finding> = report.findings.iter().filter(is_live).collect();
    live.sort_by_key(|f| {
        match f
            .verification
            .as_ref()
            .and_then(|v| v.triage.as_ref())
            .map(|t| t.risk)
        {
            Some(Risk::Admin) => 0,
            Some(Risk::High) => 1,
            _ => 2,
        }
    });
    for f in live {
        write_finding(f, report, &st, out)?;
    }
    for f in report.findings.iter().filter(|f| !is_live(f)) {
        write_finding(f, report, &st, out)?;
    }
    Ok(())
}
