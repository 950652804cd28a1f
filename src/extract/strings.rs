//! Binary content read as the printable strings it holds, as the `strings` tool does: runs of
//! at least `MIN_LEN` printable ASCII characters, and runs of as many UTF-16LE code units that
//! are printable ASCII (Windows resources, .NET and Java string tables). The strings are joined
//! one per line, in the order they lie in the content, so that detection sees neighbouring
//! strings as neighbouring lines (a key ID and its secret stored as two C strings pair) and a
//! string never glues onto the next one into a longer token. `Offsets` keeps where each string
//! lies, so that a finding gives its byte offset in the content.
//!
//! Some formats store values back to back with printable bytes between them (a SQLite record,
//! a Python marshal stream): there a run is also cut where the format says a value begins or
//! ends (`sqlite::value_bounds`, `pyc_bounds`), so that the values come out as strings of
//! their own.

use super::sqlite;
use super::view::{Offsets, Place};

/// Shortest run taken as a string.
pub(crate) const MIN_LEN: usize = 8;

/// Printable ASCII and the tab, as `strings` counts them, by byte.
// Evaluated at compile time: an out-of-range index would fail the build, not panic.
#[allow(clippy::indexing_slicing)]
const PRINTABLE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0x20;
    while b < 0x7F {
        t[b] = true;
        b += 1;
    }
    t[b'\t' as usize] = true;
    t
};

#[inline]
fn printable(b: u8) -> bool {
    // A u8 always indexes a 256-entry table.
    #[allow(clippy::indexing_slicing)]
    PRINTABLE[usize::from(b)]
}

/// A run found in the content: where it starts, its length in characters, and their width.
#[derive(Debug, Clone, Copy)]
struct Run {
    offset: usize,
    chars: usize,
    width: usize,
}

/// The printable strings of `data`, one per line, and where each lies in it.
pub(crate) fn strings(data: &[u8]) -> (Vec<u8>, Offsets) {
    let mut bounds = sqlite::value_bounds(data);
    bounds.extend(pyc_bounds(data));
    bounds.sort_unstable();
    bounds.dedup();
    let ascii = ascii_runs(data, &bounds);
    let wide = utf16_runs(data);
    let mut text = Vec::with_capacity(data.len() / 4);
    let mut offsets = Offsets::new(Place::Bytes);
    // Both lists are in content order; they cannot overlap (a UTF-16 run has a NUL in every
    // other byte, an ASCII run none).
    let mut line = 1u32;
    let mut counted_to = 0usize;
    let mut a = ascii.into_iter().peekable();
    let mut w = wide.into_iter().peekable();
    loop {
        let run = match (a.peek(), w.peek()) {
            (Some(x), Some(y)) if x.offset <= y.offset => a.next(),
            (Some(_), Some(_)) => w.next(),
            (Some(_), None) => a.next(),
            (None, Some(_)) => w.next(),
            (None, None) => None,
        };
        let Some(run) = run else { break };
        let bytes = data
            .get(run.offset..run.offset + run.chars * run.width)
            .unwrap_or_default();
        if !text.is_empty() {
            text.push(b'\n');
        }
        let breaks = data.get(counted_to..run.offset).unwrap_or_default();
        let breaks = memchr::memchr_iter(b'\n', breaks).count();
        line = line.saturating_add(u32::try_from(breaks).unwrap_or(u32::MAX));
        counted_to = run.offset.max(counted_to);
        let ratio = if run.width == 2 { (2, 1) } else { (1, 1) };
        offsets.push(text.len(), run.offset, ratio, line, None);
        text.extend(bytes.iter().step_by(run.width));
    }
    (text, offsets)
}

/// The runs of printable ASCII of at least `MIN_LEN` characters, also cut at every offset of
/// `bounds` (sorted).
fn ascii_runs(data: &[u8], bounds: &[usize]) -> Vec<Run> {
    let mut out = Vec::new();
    let mut push = |start: usize, end: usize| {
        if end - start >= MIN_LEN {
            out.push(Run {
                offset: start,
                chars: end - start,
                width: 1,
            });
        }
    };
    // Runs between non-printable bytes, one tight loop over the bytes.
    let mut start = 0;
    for (i, &b) in data.iter().enumerate() {
        if !printable(b) {
            if i > start {
                cut(start, i, bounds, &mut push);
            }
            start = i + 1;
        }
    }
    if data.len() > start {
        cut(start, data.len(), bounds, &mut push);
    }
    out
}

/// Hands `start..end` to `push`, cut at the offsets of `bounds` inside it.
fn cut(start: usize, end: usize, bounds: &[usize], push: &mut impl FnMut(usize, usize)) {
    let first = bounds.partition_point(|&b| b <= start);
    let mut from = start;
    for &b in bounds.get(first..).unwrap_or_default() {
        if b >= end {
            break;
        }
        push(from, b);
        from = b;
    }
    push(from, end);
}

/// The runs of at least `MIN_LEN` UTF-16LE code units that are printable ASCII, at either
/// alignment, in content order.
fn utf16_runs(data: &[u8]) -> Vec<Run> {
    let mut runs = [Vec::new(), Vec::new()];
    for (parity, out) in runs.iter_mut().enumerate() {
        let units = data.get(parity..).unwrap_or_default().chunks_exact(2);
        let mut start = 0;
        for (i, unit) in units.enumerate() {
            if !matches!(unit, [c, 0] if printable(*c)) {
                if i - start >= MIN_LEN {
                    out.push(Run {
                        offset: parity + 2 * start,
                        chars: i - start,
                        width: 2,
                    });
                }
                start = i + 1;
            }
        }
        let total = data.len().saturating_sub(parity) / 2;
        if total.saturating_sub(start) >= MIN_LEN {
            out.push(Run {
                offset: parity + 2 * start,
                chars: total - start,
                width: 2,
            });
        }
    }
    let [even, odd] = runs;
    // The two alignments cannot overlap: a run's every other byte is NUL, which the other
    // alignment's run would need printable.
    let mut all = even;
    all.extend(odd);
    all.sort_unstable_by_key(|r| r.offset);
    all
}

/// Whether `data` is compiled Python: a magic number ending in `\r\n`, then flags, and a
/// marshalled code object.
fn is_pyc(data: &[u8]) -> bool {
    matches!(data.get(2..4), Some(b"\r\n")) && data.len() >= 16
}

/// Where the string constants of a compiled Python file begin and end. Marshal writes a type
/// byte and a length before each string (`z`/`Z` with one length byte, `a`/`A`/`u`/`t`/`s`
/// with four), often printable, and the next object's type right after it: without these
/// bounds two constants read as one string glued to those bytes.
fn pyc_bounds(data: &[u8]) -> Vec<usize> {
    if !is_pyc(data) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, &b) in data.iter().enumerate() {
        let (len, head) = match b & 0x7F {
            b'z' | b'Z' => (data.get(i + 1).map(|&n| usize::from(n)), 2),
            b'a' | b'A' | b'u' | b't' | b's' => (
                data.get(i + 1..i + 5)
                    .and_then(|s| <[u8; 4]>::try_from(s).ok())
                    .and_then(|s| usize::try_from(u32::from_le_bytes(s)).ok()),
                5,
            ),
            _ => continue,
        };
        let Some(len) = len.filter(|&n| n >= MIN_LEN) else {
            continue;
        };
        let start = i + head;
        if data
            .get(start..start + len)
            .is_some_and(|s| s.iter().all(|&c| printable(c)))
        {
            out.push(start);
            out.push(start + len);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(data: &[u8]) -> String {
        String::from_utf8_lossy(&strings(data).0).into_owned()
    }

    #[test]
    fn ascii_and_utf16_runs_one_per_line() {
        let mut data = b"\x7fELF\x02\x01\x01\0\0\0first string here\0short\0\x01\x02".to_vec();
        for c in "wide string".encode_utf16() {
            data.extend_from_slice(&c.to_le_bytes());
        }
        data.extend_from_slice(b"\0\0\xffsecond string\0");
        assert_eq!(text(&data), "first string here\nwide string\nsecond string");
        let (t, offsets) = strings(&data);
        // Each string maps back to its bytes.
        for (s, len) in [("first", 5), ("wide", 4), ("second", 6)] {
            let at = memchr::memmem::find(&t, s.as_bytes()).unwrap_or(0);
            let (off, n) = offsets.span(at, at + len);
            let off = usize::try_from(off).unwrap_or(0);
            let n = usize::try_from(n).unwrap_or(0);
            let raw: Vec<u8> = data
                .get(off..off + n)
                .unwrap_or_default()
                .iter()
                .copied()
                .filter(|&b| b != 0)
                .collect();
            assert_eq!(raw, s.as_bytes(), "{s}");
        }
    }

    #[test]
    fn runs_at_the_edges_and_odd_alignment() {
        assert_eq!(text(b"12345678"), "12345678");
        assert_eq!(text(b"1234567"), "");
        let mut odd = vec![0xFFu8];
        for c in "odd aligned".encode_utf16() {
            odd.extend_from_slice(&c.to_le_bytes());
        }
        assert_eq!(text(&odd), "odd aligned");
        assert_eq!(strings(&odd).1.span(0, 3), (1, 6));
        // Lines of the content, for formats that need one.
        let (_, offsets) = strings(b"\x01\nfirst string\0\n\n\x02second string\n");
        assert_eq!((offsets.line(0), offsets.line(13)), (2, 4));
    }

    #[test]
    fn random_bytes_give_short_strings_only() {
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let data: Vec<u8> = (0..1 << 16)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect();
        let (t, _) = strings(&data);
        assert!(t.len() < data.len() / 50, "{}", t.len());
    }

    #[test]
    fn marshalled_constants_are_cut_apart() {
        let mut pyc = b"\xa7\x0d\x0d\x0a\0\0\0\0\0\0\0\0\0\0\0\0\xe3\0\0".to_vec();
        pyc.extend_from_slice(b"\xda\x14AKIAQWERTYUIOPASDFGH");
        pyc.extend_from_slice(b"z(h3Jq9Vt0Yd/5Lk2Rb8MwZx+4PnC7sGfE1aTuQ6oWc\0\0");
        assert_eq!(
            text(&pyc),
            "AKIAQWERTYUIOPASDFGH\nh3Jq9Vt0Yd/5Lk2Rb8MwZx+4PnC7sGfE1aTuQ6oW"
        );
        // Not a .pyc: the same bytes are one run.
        let other = pyc.get(16..).unwrap_or_default();
        assert!(text(other).contains("GHz(h3"));
    }
}
