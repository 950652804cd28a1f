//! Reports: one module per format. Each writer takes the sorted findings and the summary
//! counts and writes the whole report to a `Write`. Secrets are redacted unless the user asked
//! to see them, in every format. `summary` is the one paragraph printed on standard error;
//! `own` recognises keyhound's own reports, so that scans do not report them.

pub(crate) mod json;
pub(crate) mod own;
pub(crate) mod sarif;
pub(crate) mod summary;
pub(crate) mod text;

use std::io::{self, Write};
use std::path::Path;

use crate::cli::Format;
use crate::finding::{Finding, Secret};
use crate::source::Counts;

/// Everything a report writer needs.
pub(crate) struct Report<'a> {
    pub findings: &'a [Finding],
    /// Every rule, in report order (SARIF lists them all).
    pub rules: &'a [&'static crate::rule::Rule],
    /// Findings kept out by configuration and baseline.
    pub suppressed: &'a crate::suppress::Suppressed,
    /// The project configuration file used.
    pub config_file: Option<&'a str>,
    pub counts: &'a Counts,
    pub show_secrets: bool,
    pub color: bool,
    /// The directory SARIF URIs are relative to (see `sarif::uri_base`).
    pub uri_base: &'a Path,
    /// The exit status the scan will end with (SARIF `invocations`).
    pub exit_code: i32,
}

impl Report<'_> {
    /// A secret as this report shows it.
    pub(crate) fn secret_text(&self, s: &Secret) -> String {
        if self.show_secrets {
            s.expose().to_string()
        } else {
            s.redacted()
        }
    }
}

/// Whether `c` is a bidirectional formatting character (U+061C, U+200E, U+200F,
/// U+202A-U+202E, U+2066-U+2069): invisible, it reorders what follows it on screen, so text
/// from a scanned file could make a report read otherwise than it says.
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Writes serialised JSON with every bidirectional formatting character written as its `\u`
/// escape: the same JSON value, but nothing that reorders a terminal or a viewer showing it.
/// (Control characters are already escaped by the serialiser.) Such characters can only occur
/// inside JSON strings, so the replacement is exact.
pub(crate) fn write_json_text(json: &str, out: &mut dyn Write) -> io::Result<()> {
    let mut rest = json;
    while let Some(i) = rest.find(is_bidi_control) {
        let (before, after) = rest.split_at(i);
        out.write_all(before.as_bytes())?;
        let mut chars = after.chars();
        if let Some(c) = chars.next() {
            write!(out, "\\u{:04x}", u32::from(c))?;
        }
        rest = chars.as_str();
    }
    out.write_all(rest.as_bytes())
}

/// Writes `report` in `format`.
pub(crate) fn write(format: Format, report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Text => text::write(report, out),
        Format::Json => json::write(report, out),
        Format::Jsonl => json::write_lines(report, out),
        Format::Sarif => sarif::write(report, out),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn bidi_controls_are_escaped_in_json() {
        let mut out = Vec::new();
        let json = serde_json::json!({"path": "invoice\u{202E}txt.exe", "x": "\u{2066}ok"});
        super::write_json_text(&json.to_string(), &mut out).unwrap_or_default();
        let text = String::from_utf8(out).unwrap_or_default();
        assert_eq!(text, r#"{"path":"invoice\u202etxt.exe","x":"\u2066ok"}"#);
        let back: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(back, json, "the same JSON value");
    }
}
