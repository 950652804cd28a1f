//! Binary content read as the printable strings it holds, as the `strings` tool does: runs of
//! at least `MIN_LEN` printable ASCII characters, and runs of as many UTF-16LE code units that
//! are printable ASCII (Windows resources, .NET and Java string tables). The strings are joined
//! one per line, in the order they lie in the content, so that detection sees neighbouring
//! strings as neighbouring lines (a key ID and its secret stored as two C strings pair) and a
//! string never glues onto the next one into a longer token. `Offsets` keeps where each string
//! lies, so that a finding gives its byte offset in the content.
//!
//! Some formats store values back to back with printable bytes between them (a SQLite record,
//! a Python marshal stream, a binary plist, a Dalvik string table): there a run is also cut
//! where the format says a value begins or ends (`sqlite`, `bounds`), so that the values come
//! out as strings of their own.

use super::view::{Offsets, Place};
use super::{bounds, sqlite};

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
pub(crate) fn printable(b: u8) -> bool {
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
    bounds.extend(bounds::pyc(data));
    bounds.extend(bounds::dex(data));
    bounds.extend(bounds::bplist(data));
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

/// The runs of at least `MIN_LEN` units among `len` units, where `unit(k)` says whether unit
/// `k` is printable, as half-open ranges of units. A run of `MIN_LEN` or more that starts at or
/// after `i` holds unit `i + MIN_LEN - 1`: when that unit is not printable, no such run starts
/// before it, and the search skips ahead by `MIN_LEN` units; binary content, where runs are
/// rare, costs about one look in `MIN_LEN` bytes.
fn runs(len: usize, unit: impl Fn(usize) -> bool, mut found: impl FnMut(usize, usize)) {
    let mut i = 0;
    while i + MIN_LEN <= len {
        let probe = i + MIN_LEN - 1;
        if !unit(probe) {
            i = probe + 1;
            continue;
        }
        // The unit before `i` is not printable (or `i` is 0): the run starts at `i` or later.
        let mut start = probe;
        while start > i && unit(start - 1) {
            start -= 1;
        }
        let mut end = probe + 1;
        while end < len && unit(end) {
            end += 1;
        }
        if end - start >= MIN_LEN {
            found(start, end);
        }
        i = end + 1;
    }
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
    let unit = |k: usize| data.get(k).is_some_and(|&b| printable(b));
    runs(data.len(), unit, |start, end| {
        cut(start, end, bounds, &mut push)
    });
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
    let mut all = Vec::new();
    for parity in 0..2 {
        let unit = |k: usize| {
            let at = parity + 2 * k;
            data.get(at).is_some_and(|&b| printable(b)) && data.get(at + 1) == Some(&0)
        };
        let len = data.len().saturating_sub(parity) / 2;
        runs(len, unit, |start, end| {
            all.push(Run {
                offset: parity + 2 * start,
                chars: end - start,
                width: 2,
            });
        });
    }
    // The two alignments cannot overlap: a run's every other byte is NUL, which the other
    // alignment's run would need printable.
    all.sort_unstable_by_key(|r| r.offset);
    all
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
    fn skipping_search_finds_what_a_full_scan_finds() {
        // Every run of 8 or more, against a byte-by-byte scan, on mixed content.
        let mut state: u64 = 0x1234_5678_9ABC_DEF1;
        let data: Vec<u8> = (0..20_000)
            .map(|i| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                // Stretches of text, of binary, and of UTF-16.
                match (i / 300) % 3 {
                    0 if state % 9 != 0 => b'a' + (state % 26) as u8,
                    2 if i % 2 == 1 => 0,
                    2 => b'A' + (state % 26) as u8,
                    _ => (state >> 40) as u8,
                }
            })
            .collect();
        let mut expected = Vec::new();
        let mut start = 0;
        for (i, &b) in data.iter().chain([0u8].iter()).enumerate() {
            if !printable(b) {
                if i - start >= MIN_LEN {
                    expected.push((start, i));
                }
                start = i + 1;
            }
        }
        let got: Vec<(usize, usize)> = ascii_runs(&data, &[])
            .iter()
            .map(|r| (r.offset, r.offset + r.chars))
            .collect();
        assert_eq!(got, expected);
        let mut wide = Vec::new();
        for parity in 0..2 {
            let mut start = parity;
            let mut i = parity;
            while i + 1 < data.len() + 2 {
                let unit =
                    matches!((data.get(i), data.get(i + 1)), (Some(&c), Some(&0)) if printable(c));
                if !unit {
                    if (i - start) / 2 >= MIN_LEN {
                        wide.push((start, (i - start) / 2));
                    }
                    start = i + 2;
                }
                i += 2;
            }
        }
        wide.sort_unstable();
        let got: Vec<(usize, usize)> = utf16_runs(&data)
            .iter()
            .map(|r| (r.offset, r.chars))
            .collect();
        assert!(!got.is_empty());
        assert_eq!(got, wide);
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
