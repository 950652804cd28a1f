//! Progress on standard error for long work (reading a repository's history): shown only when
//! standard error is a terminal and the user did not ask for quiet, so CI logs and hooks never
//! see it.

use std::io::IsTerminal;
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};

use crate::source::fs::display_path;

/// The bar for reading the history of the repository at `root`.
pub(crate) fn history_bar(quiet: bool, root: &Path) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    let style = ProgressStyle::with_template(
        "{prefix} [{bar:30}] {human_pos}/{human_len} objects, {elapsed} ({eta} left)",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    bar.set_style(style);
    bar.set_prefix(format!("keyhound: history of {}", display_path(root)));
    bar
}
