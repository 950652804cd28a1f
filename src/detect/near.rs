//! Where a rule's matches can be. When every match of a rule's pattern contains one of its
//! keywords as written and is at most `span` bytes long (both proven from the pattern at load
//! time), every match lies within `span` bytes of a keyword hit, so the regex needs to run
//! only on the stretches around the hits, not on the whole blob: a blob with thousands of
//! rules' keywords (a configuration of thousands of rules, scanned) then costs its hits, not
//! its size times the rules.
//!
//! The matches are the same as a search of the whole blob: each match lies inside the stretch
//! of one of its hits, stretches are merged so that none overlap, and a search that starts at
//! a stretch's start (with the text before it as context for `\b` and `^`) finds the same
//! leftmost match as the search of the whole blob, whose previous match ended before that
//! stretch. Each stretch is searched with four more bytes after it as look-ahead context; a
//! match that needed more could not contain a hit of the stretch.

use std::ops::Range;

use regex::bytes::{Captures, Regex};

/// Bytes after a stretch that a search may read as context (one UTF-8 character, for `\b`).
const CONTEXT: usize = 4;

/// The merged stretches around `hits` (start, end), or `None` when they would cover about as
/// much as the blob (searching it whole is then as cheap).
pub(crate) fn stretches(
    mut hits: Vec<(usize, usize)>,
    span: usize,
    len: usize,
) -> Option<Vec<Range<usize>>> {
    if hits
        .len()
        .saturating_mul(span.saturating_mul(2).saturating_add(64))
        >= len
    {
        return None;
    }
    hits.sort_unstable();
    let mut out: Vec<Range<usize>> = Vec::new();
    for (start, end) in hits {
        let r = start.saturating_sub(span)..end.saturating_add(span).min(len);
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    Some(out)
}

/// Calls `each` with every match of `regex` in `data` that starts in one of `stretches`, in
/// order (the matches `captures_iter` gives, for a rule whose matches all lie in them).
pub(crate) fn captures_in(
    regex: &Regex,
    data: &[u8],
    stretches: &[Range<usize>],
    mut each: impl FnMut(&Captures<'_>),
) {
    for s in stretches {
        let hay = data
            .get(..s.end.saturating_add(CONTEXT).min(data.len()))
            .unwrap_or_default();
        let mut at = s.start;
        while at < s.end {
            let Some(caps) = regex.captures_at(hay, at) else {
                break;
            };
            let Some(m) = caps.get(0) else {
                break;
            };
            if m.start() >= s.end {
                break;
            }
            each(&caps);
            at = m.end().max(m.start() + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stretches_merge_and_give_way_to_the_whole_blob() {
        let got = stretches(vec![(500, 504), (100, 104), (120, 124)], 10, 10_000);
        assert_eq!(got, Some(vec![90..134, 490..514]));
        assert_eq!(stretches(vec![(0, 4)], 10, 50), None);
        let one = stretches(vec![(2, 6)], 10, 1_000).unwrap_or_default();
        assert_eq!(one.len(), 1);
        assert_eq!(one.first().cloned(), Some(0..16));
    }

    #[test]
    fn matches_in_stretches_are_those_of_the_whole_blob() {
        // Matches next to each other, at the edges of stretches, with `\b` on both sides.
        let regex = Regex::new(r"\b(tok_[a-z]{3,6})\b").unwrap_or_else(|e| panic!("{e}"));
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _ in 0..500 {
            let mut data = String::new();
            for _ in 0..30 {
                match next(5) {
                    0 => data.push_str("tok_"),
                    1 => data.push(' '),
                    2 => data.push('x'),
                    3 => data.push_str("abcdefg".get(..1 + next(6) as usize).unwrap_or("a")),
                    _ => data.push('_'),
                }
            }
            let whole: Vec<Range<usize>> = regex
                .captures_iter(data.as_bytes())
                .filter_map(|c| c.get(0).map(|m| m.range()))
                .collect();
            let hits: Vec<(usize, usize)> = data
                .match_indices("tok_")
                .map(|(i, k)| (i, i + k.len()))
                .collect();
            // The longest match is 10 bytes.
            let Some(s) = stretches(hits, 10, usize::MAX) else {
                continue;
            };
            let mut got = Vec::new();
            captures_in(&regex, data.as_bytes(), &s, |c| {
                got.extend(c.get(0).map(|m| m.range()))
            });
            assert_eq!(got, whole, "{data}");
        }
    }
}
