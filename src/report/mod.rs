//! Reports: one module per format. Each writer takes the sorted findings and the summary
//! counts and writes the whole report to a `Write`. Secrets are redacted unless the user asked
//! to see them, in every format. `summary` is the one paragraph printed on standard error;
//! `own` recognises keyhound's own reports, so that scans do not report them.

pub(crate) mod github;
pub(crate) mod gitlab;
pub(crate) mod json;
pub(crate) mod own;
pub(crate) mod remedy;
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
    /// Every rule, in report order (SARIF lists them all), worked out only by a report that
    /// lists them: it reads every built-in rule, which a scan otherwise reads only as it needs.
    pub rules: &'a dyn Fn() -> Vec<&'static crate::rule::Rule>,
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
    /// How long the scan took (GitLab's start and end times, the job summary).
    pub seconds: f64,
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

/// A writer for serialised JSON that writes every bidirectional formatting character as its
/// `\u` escape: the same JSON value, but nothing that reorders a terminal or a viewer showing
/// it. (Control characters are already escaped by the serialiser.) Such characters can only
/// occur inside JSON strings, so the replacement is exact. It streams: a character split
/// across two writes is held until its last byte comes; `finish` writes what is held.
pub(crate) struct EscapeBidi<'a> {
    out: &'a mut dyn Write,
    /// The start of a UTF-8 sequence not complete yet (at most 3 bytes).
    held: Vec<u8>,
}

impl<'a> EscapeBidi<'a> {
    pub(crate) fn new(out: &'a mut dyn Write) -> EscapeBidi<'a> {
        EscapeBidi {
            out,
            held: Vec::new(),
        }
    }

    /// Writes anything still held (a truncated sequence, as it came).
    pub(crate) fn finish(mut self) -> io::Result<()> {
        let held = std::mem::take(&mut self.held);
        self.out.write_all(&held)
    }

    /// Writes `data`, which starts at a character boundary, up to the last complete character;
    /// returns how much it consumed.
    fn escape(&mut self, data: &[u8]) -> io::Result<usize> {
        let mut start = 0;
        let mut i = 0;
        while i < data.len() {
            let b = data.get(i).copied().unwrap_or(0);
            // Only U+061C (D8 9C) and the U+2xxx controls (E2 80/81 ..) matter.
            let len = match b {
                0xD8 => 2,
                0xE2 => 3,
                _ => {
                    i += 1;
                    continue;
                }
            };
            let Some(seq) = data.get(i..i + len) else {
                break;
            };
            match std::str::from_utf8(seq).ok().and_then(|s| s.chars().next()) {
                Some(c) if is_bidi_control(c) => {
                    self.out.write_all(data.get(start..i).unwrap_or_default())?;
                    write!(self.out, "\\u{:04x}", u32::from(c))?;
                    start = i + len;
                }
                _ => {}
            }
            i += len;
        }
        let done = i.min(data.len());
        self.out
            .write_all(data.get(start..done).unwrap_or_default())?;
        Ok(done)
    }
}

impl Write for EscapeBidi<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut data = std::mem::take(&mut self.held);
        data.extend_from_slice(buf);
        let done = self.escape(&data)?;
        self.held = data.get(done..).unwrap_or_default().to_vec();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Writes `report` in `format`.
pub(crate) fn write(format: Format, report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Text => text::write(report, out),
        Format::Json => json::write(report, out),
        Format::Jsonl => json::write_lines(report, out),
        Format::Sarif => sarif::write(report, out),
        Format::Gitlab => gitlab::write(report, out),
        Format::Github => github::write(report, out),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn bidi_controls_are_escaped_in_json() {
        let mut out = Vec::new();
        let json = serde_json::json!({"path": "invoice\u{202E}txt.exe", "x": "\u{2066}ok"});
        let text = json.to_string();
        // In pieces that split the characters, as a serialiser may write them.
        {
            use std::io::Write as _;
            let mut w = super::EscapeBidi::new(&mut out);
            for piece in text.as_bytes().chunks(3) {
                w.write_all(piece).unwrap_or_default();
            }
            w.finish().unwrap_or_default();
        }
        let text = String::from_utf8(out).unwrap_or_default();
        assert_eq!(text, r#"{"path":"invoice\u202etxt.exe","x":"\u2066ok"}"#);
        let back: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(back, json, "the same JSON value");
    }
}
