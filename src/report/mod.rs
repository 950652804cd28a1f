//! Reports: one module per format. Each writer takes the sorted findings and the summary
//! counts and writes the whole report to a `Write`. Secrets are redacted unless the user asked
//! to see them, in every format. `summary` is the one paragraph printed on standard error.

pub(crate) mod json;
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
    pub suppressed: crate::suppress::Suppressed,
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

/// Writes `report` in `format`.
pub(crate) fn write(format: Format, report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Text => text::write(report, out),
        Format::Json => json::write(report, out),
        Format::Jsonl => json::write_lines(report, out),
        Format::Sarif => sarif::write(report, out),
    }
}
