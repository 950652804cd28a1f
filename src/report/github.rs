//! GitHub Actions: workflow annotations (`::error file=…,line=…,col=…,title=…::message`), one
//! per place a credential was seen, and the Markdown job summary that the app appends to
//! `$GITHUB_STEP_SUMMARY`. Logs of public repositories are public, so secrets are always
//! redacted here, whatever `--show-secrets` says. Properties and messages are escaped as
//! GitHub documents for workflow commands (`%`, CR and LF everywhere; `:` and `,` in
//! properties), after control and bidirectional characters are made visible, so no scanned
//! path or value can end a command or start another.

use std::io::{self, Write};

use super::gitlab::places;
use super::sarif::{headline, inside, relative_path, result_level};
use super::summary;
use super::text::sanitize;
use super::Report;
use crate::finding::{Finding, Location};

/// Annotations written at most: GitHub shows 10 of each level per step and 50 per job; the
/// job summary and the SARIF report list every finding.
const MAX_ANNOTATIONS: usize = 50;

/// Rows of the job summary table at most: GitHub refuses a step summary over 1 MiB.
const MAX_SUMMARY_ROWS: usize = 500;

/// Escapes a workflow command's message.
fn escape_data(s: &str) -> String {
    sanitize(s)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command_level(f: &Finding) -> &'static str {
    match result_level(f) {
        "error" => "error",
        "warning" => "warning",
        _ => "notice",
    }
}

/// The repository-relative path of a location, when it has one.
fn path_of(report: &Report<'_>, l: &Location) -> Option<String> {
    relative_path(report.uri_base, &l.path)
}

/// The credential as the summary and annotations show it: the key ID (not secret) and the
/// redacted secret.
fn credential(f: &Finding) -> String {
    let mut parts = Vec::new();
    if let Some(a) = &f.aws {
        parts.push(a.key_id.clone());
    }
    if let Some(s) = &f.secret {
        parts.push(s.redacted());
    }
    parts.join(" / ")
}

fn annotation(f: &Finding, report: &Report<'_>, l: &Location) -> String {
    let mut props = Vec::new();
    let within = inside(l);
    if let Some(path) = path_of(report, l) {
        props.push(format!("file={}", escape_property(&path)));
    }
    // A line of the file itself only: not one of a member inside it, nor of binary strings.
    if let (Some(_), None) = (path_of(report, l), &within) {
        props.push(format!("line={}", l.line.max(1)));
        props.push(format!("endLine={}", l.end_line.max(l.line).max(1)));
        if l.end_line == l.line {
            props.push(format!("col={}", l.column.max(1)));
            props.push(format!("endColumn={}", l.end_column.max(l.column).max(1)));
        }
    }
    props.push(format!(
        "title={}",
        escape_property(&format!("keyhound: {}", f.rule.name))
    ));
    let mut message = headline(f);
    let shown = credential(f);
    if !shown.is_empty() {
        message.push_str(&format!(" [{shown}]"));
    }
    if path_of(report, l).is_none() {
        message.push_str(&format!(" in {}", l.path));
    }
    if let Some(w) = &within {
        message.push_str(&format!(" {w}"));
    }
    if let Some(c) = &l.commit {
        message.push_str(&format!(" (commit {}, {})", c.id, c.date));
    }
    message.push_str(". ");
    message.push_str(f.rule.help);
    message.push_str(&super::remedy::sentences(f));
    format!(
        "::{} {}::{}",
        command_level(f),
        props.join(","),
        escape_data(&message)
    )
}

/// Writes the annotations.
pub(crate) fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let all: Vec<(&Finding, &Location)> = report
        .findings
        .iter()
        .flat_map(|f| places(f).into_iter().map(move |l| (f, l)))
        .collect();
    for (f, l) in all.iter().take(MAX_ANNOTATIONS) {
        writeln!(out, "{}", annotation(f, report, l))?;
    }
    if all.len() > MAX_ANNOTATIONS {
        writeln!(
            out,
            "::warning title=keyhound::{}",
            escape_data(&format!(
                "{} more places with credentials are not annotated; the job summary and the \
                 SARIF report list them all",
                all.len() - MAX_ANNOTATIONS
            ))
        )?;
    }
    Ok(())
}

/// Escapes text for a Markdown table cell: no HTML, no table or emphasis syntax, no line
/// breaks.
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in sanitize(s).chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// A code span for a table cell (no emphasis inside it), or escaped text when the value holds
/// a backtick.
fn md_code(s: &str) -> String {
    if s.is_empty() || s.contains('`') {
        md(s)
    } else {
        format!("`{}`", sanitize(s).replace('|', "\\|"))
    }
}

/// The Markdown job summary: a table of every finding (up to `MAX_SUMMARY_ROWS` places) and
/// the summary line.
pub(crate) fn step_summary(report: &Report<'_>) -> String {
    let n = report.findings.len();
    let mut s = match n {
        0 => "### keyhound: no credentials found\n\n".to_string(),
        1 => "### keyhound: 1 credential found\n\n".to_string(),
        n => format!("### keyhound: {n} credentials found\n\n"),
    };
    let all: Vec<(&Finding, &Location)> = report
        .findings
        .iter()
        .flat_map(|f| places(f).into_iter().map(move |l| (f, l)))
        .collect();
    if !all.is_empty() {
        s.push_str(
            "| Severity | Rule | File | Line | Commit | Credential (redacted) | Verification |\n",
        );
        s.push_str("|---|---|---|---|---|---|---|\n");
        for (f, l) in all.iter().take(MAX_SUMMARY_ROWS) {
            let path = path_of(report, l).unwrap_or_else(|| l.path.clone());
            let commit = l
                .commit
                .as_ref()
                .map(|c| c.id.chars().take(12).collect::<String>())
                .unwrap_or_default();
            let verdict = f
                .verification
                .as_ref()
                .map(|v| match &v.triage {
                    Some(t) => format!("{}, risk {}", v.status.as_str(), t.risk.as_str()),
                    None => v.status.as_str().to_string(),
                })
                .unwrap_or_default();
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} |\n",
                f.severity.as_str(),
                md(f.rule.name),
                md_code(&path),
                l.line,
                md_code(&commit),
                md_code(&credential(f)),
                verdict
            ));
        }
        if all.len() > MAX_SUMMARY_ROWS {
            s.push_str(&format!(
                "\n{} more places are not listed here; the SARIF report has them all.\n",
                all.len() - MAX_SUMMARY_ROWS
            ));
        }
        s.push('\n');
    }
    let line = summary::line(
        report.findings,
        report.counts,
        report.suppressed,
        report.seconds,
    );
    s.push_str(&md(&line));
    s.push_str("\n\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_command_escapes() {
        assert_eq!(escape_data("50% a\nb\r"), "50%25 a\\nb\\r");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
        assert_eq!(escape_property("x\n::error::y"), "x\\n%3A%3Aerror%3A%3Ay");
    }

    #[test]
    fn markdown_cells_cannot_break_the_table_or_inject_html() {
        assert_eq!(md("a|b"), "a\\|b");
        assert_eq!(md("<img src=x>"), "&lt;img src=x&gt;");
        assert_eq!(md("x\ny"), "x\\\\ny");
    }
}
