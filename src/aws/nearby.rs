//! Secrets with no name: a 40-character secret-shaped value within a few lines of a key ID
//! (SDK constructor arguments, the IAM console's CSV downloads, SQL inserts, `.passwd-s3fs`,
//! logs), and the wrapped base64 blocks (PEM bodies, MIME parts) whose lines only look like
//! secrets.

use std::ops::Range;

use super::decode::{
    is_b64, joined_to_longer_token, left_boundary, read_run, run_char_width, separator_width,
};
use super::keys::{self, Strictness};
use super::{Candidate, CandidateKind};
use crate::location::{lines_after, lines_before};

/// Bytes on each side of a key ID searched for a secret with no keyword, at most.
const NEAR_BYTES: usize = 1024;

/// Adds to `found` the nameless secrets within `near_lines` lines of each of its key IDs; each
/// stretch of text is searched once however many key IDs are near it.
pub(crate) fn secrets_near_keys(data: &[u8], found: &mut Vec<Candidate>, near_lines: usize) {
    let keys: Vec<Range<usize>> = found
        .iter()
        .filter(|c| c.kind == CandidateKind::KeyId)
        .map(|c| c.span.clone())
        .collect();
    let mut searched_to = 0usize;
    for k in keys {
        let region = near_region(data, &k, near_lines);
        let from = region.start.max(searched_to);
        if from < region.end {
            secrets_in_region(data, from..region.end, region.start, found);
            searched_to = region.end;
        }
    }
}

/// Is `[start, end)` a line of a wrapped base64 block (a PEM body, a MIME part)? Such a line
/// stands alone on its line next to another long base64-only line. Reads only the blanks
/// around the value and, when it is alone, the lines next to it up to their first byte that
/// is not base64: never a whole long line for each of its values.
pub(crate) fn in_wrapped_block(data: &[u8], start: usize, end: usize) -> bool {
    let blank = |b: u8| matches!(b, b' ' | b'\t' | b'\r' | b'"' | b'\'' | b',');
    let before = data.get(..start).unwrap_or_default();
    let ls = match before.iter().rposition(|&b| !blank(b)) {
        None => 0,
        Some(p) if before.get(p) == Some(&b'\n') => p + 1,
        Some(_) => return false,
    };
    let after = data.get(end..).unwrap_or_default();
    let le = match after.iter().position(|&b| !blank(b)) {
        None => data.len(),
        Some(p) if after.get(p) == Some(&b'\n') => end + p,
        Some(_) => return false,
    };
    // At least 60 base64 characters (`=` included) and nothing else but blanks and spaces.
    let b64_line = |line: &mut dyn Iterator<Item = u8>| {
        let mut n = 0usize;
        for b in line {
            if b.is_ascii_whitespace() || b == b'"' || b == b'\'' || b == b',' {
                continue;
            }
            if !(is_b64(b) || b == b'=') {
                return false;
            }
            n += 1;
        }
        n >= 60
    };
    let prev = ls > 0 && {
        let line = data.get(..ls - 1).unwrap_or_default();
        b64_line(&mut line.iter().rev().copied().take_while(|&b| b != b'\n'))
    };
    let next = le < data.len() && {
        let line = data.get(le + 1..).unwrap_or_default();
        b64_line(&mut line.iter().copied().take_while(|&b| b != b'\n'))
    };
    prev || next
}

/// The lines around a key ID where a secret with no keyword may stand.
fn near_region(data: &[u8], key: &Range<usize>, near: usize) -> Range<usize> {
    let start = lines_before(data, key.start, near, key.start.saturating_sub(NEAR_BYTES));
    let end = lines_after(data, key.end, near, key.end + NEAR_BYTES);
    start..end
}

/// Every 40-character secret-shaped run in `region`, recorded as a no-keyword candidate.
/// `clip_start` is where the region was cut, so that a run cut in half is not taken whole.
fn secrets_in_region(
    data: &[u8],
    region: Range<usize>,
    clip_start: usize,
    out: &mut Vec<Candidate>,
) {
    let mut i = region.start;
    if i > 0 && i == clip_start && data.get(i - 1) != Some(&b'\n') {
        while i < region.end && run_char_width(data, i) > 0 {
            i += 1;
        }
    }
    while i < region.end {
        if run_char_width(data, i) == 0 {
            i += separator_width(data, i).max(1);
            continue;
        }
        let run = read_run(data, i, false, keys::SECRET_LEN + 1, 1 << 16);
        let end = run.end.max(i + 1);
        if run.len == keys::SECRET_LEN
            && left_boundary(data, i)
            && data.get(run.end) != Some(&b'=')
            && !joined_to_longer_token(data, i, run.end)
            && !in_wrapped_block(data, i, run.end)
        {
            let value = String::from_utf8_lossy(&run.value).into_owned();
            let example = keys::is_example(&value);
            if example || keys::is_secret_shape(&run.value, Strictness::NoKeyword) {
                out.push(Candidate {
                    kind: CandidateKind::Secret,
                    value,
                    span: i..run.end,
                    encoding: run.encoding,
                    name: None,
                    example,
                });
            }
        }
        i = end;
    }
}
