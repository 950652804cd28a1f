//! Progress on standard error for long work (reading a repository's history): shown only when
//! standard error is a terminal and the user did not ask for quiet, so CI logs and hooks never
//! see it. The line fits the terminal (the bar takes what the rest leaves, and the path is
//! shortened), shows a percentage rather than a count (the work is counted in git objects of
//! every kind, the summary in blobs), and its time left comes from the average rate since the
//! start, rounded, rather than from the last seconds' rate, which jumps with the size of the
//! objects read.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressState, ProgressStyle};

use crate::report::text::sanitize;
use crate::source::fs::display_path;

/// The longest path shown, in characters (its end is kept).
const MAX_SHOWN_PATH: usize = 24;

/// The bar for reading the history of the repository at `root`.
pub(crate) fn history_bar(quiet: bool, root: &Path) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    let style = ProgressStyle::with_template(TEMPLATE)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
        .with_key(
            "left",
            |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let text = time_left(state.elapsed(), state.pos(), state.len().unwrap_or(0));
                let _ = w.write_str(&text);
            },
        );
    bar.set_style(style);
    bar.set_prefix(format!("keyhound: history of {}", shortened(root)));
    bar
}

/// Everything but the bar is bounded: the prefix by `MAX_SHOWN_PATH`, the rest by its fields.
const TEMPLATE: &str = "{prefix} [{wide_bar}] {percent:>3}% {elapsed:>4}, {left}";

/// The path as shown on the bar: sanitised, and at most `MAX_SHOWN_PATH` characters, its end
/// kept.
fn shortened(root: &Path) -> String {
    let shown = sanitize(&display_path(root));
    let n = shown.chars().count();
    if n <= MAX_SHOWN_PATH {
        return shown;
    }
    let tail: String = shown.chars().skip(n - (MAX_SHOWN_PATH - 1)).collect();
    format!("…{tail}")
}

/// `about 40s left`: from the average rate since the start (see `seconds_left`), rounded up to
/// 5 seconds below a minute and to minutes above, so that it does not flicker.
fn time_left(elapsed: Duration, pos: u64, len: u64) -> String {
    let Some(left) = seconds_left(elapsed, pos, len) else {
        return "estimating".to_string();
    };
    if left < 0.5 {
        return "almost done".to_string();
    }
    let mut out = String::from("about ");
    let _ = match left {
        l if l < 60.0 => write!(out, "{}s", ((l / 5.0).ceil().max(1.0) * 5.0) as u64),
        l if l < 3600.0 => write!(out, "{} min", (l / 60.0).ceil() as u64),
        l => write!(out, "{:.1} h", l / 3600.0),
    };
    out.push_str(" left");
    out
}

/// The seconds left at the average rate since the start, once there is enough of it to judge
/// (3 seconds and 2% of the work): a steady estimate that does not jump with the last chunk.
fn seconds_left(elapsed: Duration, pos: u64, len: u64) -> Option<f64> {
    let secs = elapsed.as_secs_f64();
    if len == 0 || pos == 0 || secs < 3.0 || pos.saturating_mul(50) < len {
        return None;
    }
    Some(secs * len.saturating_sub(pos) as f64 / pos as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_fits_a_terminal() {
        // The bar is the one part that grows; everything else is bounded.
        assert!(TEMPLATE.contains("{wide_bar}"));
        assert!(!TEMPLATE.contains("objects"));
        let long = Path::new("/home/someone/work/clients/acme/monorepo-of-everything/services");
        let shown = shortened(long);
        assert_eq!(shown.chars().count(), MAX_SHOWN_PATH, "{shown}");
        assert!(shown.ends_with("/services"), "{shown}");
        assert_eq!(shortened(Path::new("./repo")), "repo");
        assert_eq!(shortened(Path::new("a\u{1b}b")), "a\\u{1b}b");
        // prefix + brackets + percentage + elapsed + time left, at their longest.
        let fixed = "keyhound: history of ".len()
            + MAX_SHOWN_PATH
            + " [] 100% 59m, about 59 min left".len();
        assert!(fixed <= 80, "{fixed} columns besides the bar");
    }

    #[test]
    fn time_left_is_steady() {
        let s = Duration::from_secs;
        assert_eq!(time_left(s(1), 10, 100), "estimating");
        assert_eq!(time_left(s(10), 1, 100), "estimating");
        assert_eq!(time_left(s(10), 50, 100), "about 10s left");
        assert_eq!(time_left(s(10), 10, 100), "about 2 min left");
        assert_eq!(time_left(s(7200), 1000, 2000), "about 2.0 h left");
        assert_eq!(time_left(s(20), 2000, 2000), "almost done");
        // A steady rate read in uneven chunks: the estimate goes down with the time spent,
        // never up by more than a second.
        let mut last = f64::MAX;
        for tick in 3..100u64 {
            let pos = tick * 100 + (tick % 3) * 4;
            let left = seconds_left(s(tick), pos, 10_000).unwrap_or(last);
            assert!(left <= last + 1.0, "{tick}: {left} after {last}");
            last = left;
        }
    }
}
