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
pub(crate) const CONTEXT: usize = 4;

/// The merged stretches around `hits` (start, end), or `None` when they would cover about as
/// much as the blob (searching it whole is then as cheap). A match is at most `span` bytes and
/// holds a hit; with `lead`, it starts at most that many bytes before the first hit it holds,
/// so its stretch runs from `lead` bytes before that hit to `span` bytes after its start;
/// without, from `span` bytes before the hit to `span` bytes after it.
pub(crate) fn stretches(
    mut hits: Vec<(usize, usize)>,
    span: usize,
    lead: Option<usize>,
    len: usize,
) -> Option<Vec<Range<usize>>> {
    let reach = match lead {
        Some(l) => span.saturating_add(l),
        None => span.saturating_mul(2),
    };
    if hits.len().saturating_mul(reach.saturating_add(64)) >= len {
        return None;
    }
    hits.sort_unstable();
    let mut out: Vec<Range<usize>> = Vec::new();
    for (start, end) in hits {
        let r = match lead {
            Some(l) => start.saturating_sub(l)..start.saturating_add(span).min(len),
            None => start.saturating_sub(span)..end.saturating_add(span).min(len),
        };
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

/// A run of at least `len` bytes of `class` that every match of a pattern holds: a stretch
/// without one cannot hold a match, and a rule with no such run in any of its stretches need
/// not even compile its regex (the keywords of most triggered rules occur, in real code, far
/// from anything shaped like their secrets: `column`, `close`, `flat`). See
/// `shape::required_run`.
pub(crate) struct Run {
    class: [bool; 256],
    len: usize,
}

impl Run {
    /// Whether `data[range]` holds such a run. The byte `len - 1` past a candidate start is
    /// tested first: outside the class, no run through it can start before it, so the search
    /// moves past it (most stretches are decided in a few steps per `len` bytes).
    pub(crate) fn within(&self, data: &[u8], range: Range<usize>) -> bool {
        let Some(data) = data.get(range.start..range.end.min(data.len())) else {
            return false;
        };
        let inside = |i: usize| {
            data.get(i)
                .is_some_and(|&b| self.class.get(usize::from(b)).copied().unwrap_or(false))
        };
        let mut start = 0;
        while start + self.len <= data.len() {
            let last = start + self.len - 1;
            if !inside(last) {
                start = last + 1;
                continue;
            }
            // `last` is in the class: walk back to where its run begins.
            let mut from = last;
            while from > start && inside(from - 1) {
                from -= 1;
            }
            if from == start {
                return true;
            }
            start = from;
        }
        false
    }
}

/// What every match of a pattern holds beyond its keywords: a run of secret-shaped bytes
/// (`Run`), the literal bytes of its parts that cannot be skipped, other than those of a
/// keyword (the `@` of a URL with a password: most `http` hits have none near them), and one
/// of a few words in any case (`secret` after `github`: most `github` hits are URLs).
pub(crate) struct Needs {
    /// Boxed: its class is 256 bytes, and every rule's shape holds a `Needs` (a rule's size
    /// is what loading the built-in rules moves and touches).
    run: Option<Box<Run>>,
    literals: Vec<memchr::memmem::Finder<'static>>,
    /// Sets of lower-case strings of which a match holds one, ignoring ASCII case.
    sets: Vec<Vec<memchr::memmem::Finder<'static>>>,
}

/// Stretches up to this long are looked at for a rule's sets (in a lower-case copy); a longer
/// one, or a whole blob, is searched without that test.
const MAX_SET_STRETCH: usize = 64 << 10;

impl Needs {
    /// What every match of a parsed pattern holds (as `Shape` works it out); `None` when the
    /// pattern proves nothing of use.
    #[cfg(test)]
    pub(crate) fn of(hir: &regex_syntax::hir::Hir, keywords: &[String]) -> Option<Needs> {
        let literals = super::shape::required_literals(hir, keywords);
        let sets = super::shape::required_sets(hir, keywords);
        Needs::new(super::shape::required_run(hir), &literals, &sets)
    }

    /// From what `shape` worked out (at load, or when keyhound was built); `None` when that is
    /// nothing.
    pub(crate) fn new(
        run: Option<([bool; 256], usize)>,
        literals: &[impl AsRef<[u8]>],
        sets: &[Vec<Vec<u8>>],
    ) -> Option<Needs> {
        let run = run.map(|(class, len)| Box::new(Run { class, len }));
        let finder = |l: &[u8]| memchr::memmem::Finder::new(l).into_owned();
        let literals: Vec<_> = literals.iter().map(|l| finder(l.as_ref())).collect();
        let sets: Vec<Vec<_>> = sets
            .iter()
            .filter(|set| !set.is_empty())
            .map(|set| {
                set.iter()
                    .map(|s| finder(&s.to_ascii_lowercase()))
                    .collect()
            })
            .collect();
        (run.is_some() || !literals.is_empty() || !sets.is_empty()).then_some(Needs {
            run,
            literals,
            sets,
        })
    }

    /// Whether `data[range]` holds all of it (then a match may lie there).
    pub(crate) fn within(&self, data: &[u8], range: Range<usize>) -> bool {
        let Some(here) = data.get(range.start..range.end.min(data.len())) else {
            return false;
        };
        self.literals.iter().all(|f| f.find(here).is_some())
            && self.run.as_ref().is_none_or(|r| r.within(data, range))
            && self.sets_within(here)
    }

    /// Whether `here` holds a string of each set (ignoring ASCII case), or is too long to
    /// look.
    fn sets_within(&self, here: &[u8]) -> bool {
        if self.sets.is_empty() || here.len() > MAX_SET_STRETCH {
            return true;
        }
        let lower = here.to_ascii_lowercase();
        self.sets
            .iter()
            .all(|set| set.iter().any(|f| f.find(&lower).is_some()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_of(pattern: &str) -> Option<(usize, Vec<u8>)> {
        let hir = crate::detect::literal::parse(pattern)?;
        super::super::shape::required_run(&hir).map(|(c, len)| {
            let class = (0u8..=255)
                .filter(|&b| c.get(usize::from(b)).copied().unwrap_or(false))
                .collect();
            (len, class)
        })
    }

    #[test]
    fn runs_are_what_every_match_holds() {
        let alnum: Vec<u8> = (b'0'..=b'9')
            .chain(b'A'..=b'Z')
            .chain(b'a'..=b'z')
            .collect();
        assert_eq!(
            run_of(r"ghp_([A-Za-z0-9]{36})"),
            Some((36, alnum.clone()))
        );
        // The longest of several, inside a capture and a repetition.
        assert_eq!(
            run_of(r"key[ :=]{1,4}(?:([0-9a-f]{8})-([A-Za-z0-9]{32}))+"),
            Some((32, alnum))
        );
        let hex: Vec<u8> = (b'0'..=b'9')
            .chain(b'A'..=b'F')
            .chain(b'a'..=b'f')
            .collect();
        assert_eq!(run_of(r"(?i)token=([0-9a-f]{40,64})"), Some((40, hex)));
        // Alternatives: a run of all their bytes, as long as the shortest.
        let lower_digits: Vec<u8> = (b'0'..=b'9').chain(b'a'..=b'z').collect();
        assert_eq!(
            run_of(r"token=([a-z]{20}|[0-9]{24})"),
            Some((20, lower_digits.clone()))
        );
        // Adjacent parts within the widest class are one run: `[5][HJK]` and 49 base58
        // characters are 51; literal bytes too (`Q~` within the class after it).
        let base58: Vec<u8> = (b'1'..=b'9')
            .chain(b'A'..=b'H')
            .chain(b'J'..=b'N')
            .chain(b'P'..=b'Z')
            .chain(b'a'..=b'k')
            .chain(b'm'..=b'z')
            .collect();
        assert_eq!(
            run_of(r"wif=([5][HJK][1-9A-HJ-NP-Za-km-z]{49}|[KL][1-9A-HJ-NP-Za-km-z]{51})"),
            Some((51, base58))
        );
        assert_eq!(
            run_of(r"[0-9]Q~[A-Za-z0-9_~.-]{31,34}").map(|(len, _)| len),
            Some(34)
        );
        // Not joined: a part whose bytes are outside the run's class (`_` here).
        assert_eq!(run_of(r"key_[a-z0-9]{20}").map(|(len, _)| len), Some(20));
        assert_eq!(run_of(r"key[a-z0-9]{20}").map(|(len, _)| len), Some(23));
        // Thousands of parts of one class: a run of the part and 64 parts on either side.
        let many = "[a-z]".repeat(5000);
        assert_eq!(run_of(&many).map(|(len, _)| len), Some(129));
        // Parts that may be skipped, an alternative without a run, and short runs prove
        // nothing.
        assert_eq!(run_of(r"token=(?:[a-z]{20})?x"), None);
        assert_eq!(run_of(r"token=([a-z]{20}|x)"), None);
        assert_eq!(run_of(r"token=[a-z]{0,30}"), None);
        assert_eq!(run_of(r"pin=([0-9]{6})"), None);
        // A class of characters beyond ASCII is not a class of bytes.
        assert_eq!(run_of(r"name=(\p{L}{12})"), None);
    }

    #[test]
    fn needs_hold_a_string_of_each_set_in_any_case() {
        let hir = crate::detect::literal::parse(
            r"(?:github|GitHub)(?i:[_.-]?secret)[ :=]{1,4}([a-f0-9]{40})",
        )
        .unwrap_or_else(|| panic!("parse"));
        let needs = Needs::of(&hir, &["github".to_string(), "GitHub".to_string()])
            .unwrap_or_else(|| panic!("needs"));
        let hex = "0123456789abcdef0123456789abcdef01234567";
        for text in [
            format!("GITHUB_SECRET={hex}"),
            format!("github.Secret: {hex}"),
        ] {
            assert!(needs.within(text.as_bytes(), 0..text.len()), "{text}");
        }
        // A commit id after a GitHub URL: no `secret` near it.
        let url = format!("https://github.com/org/repo/commit/{hex}");
        assert!(!needs.within(url.as_bytes(), 0..url.len()));
        // A stretch too long to copy is searched whatever it holds.
        let long = format!("{url}{}", " ".repeat(MAX_SET_STRETCH));
        assert!(needs.within(long.as_bytes(), 0..long.len()));
    }

    #[test]
    fn needs_hold_the_literals_outside_keywords() {
        let pattern = r"\bhttps?://[A-Za-z0-9._~%!+-]{1,64}:([^\s:@/]{3,128})@[A-Za-z0-9.-]{1,253}";
        let hir = crate::detect::literal::parse(pattern).unwrap_or_else(|| panic!("parse"));
        let needs = Needs::of(&hir, &["http".to_string()]).unwrap_or_else(|| panic!("needs"));
        let mut held: Vec<&[u8]> = needs.literals.iter().map(|f| f.needle()).collect();
        held.sort_unstable();
        // `http` is the keyword's; `s` may be skipped; `:` is in `://`.
        assert_eq!(held, [&b"://"[..], b"@"]);
        assert!(needs.run.is_none());
        let text = b"see https://docs.example.org/x and https://bob:hunter22@db.internal/";
        assert!(!needs.within(text, 0..30));
        assert!(needs.within(text, 30..text.len()));
        // Nothing to hold: no literal beyond the keyword, no long run.
        let hir =
            crate::detect::literal::parse(r"\btok_[a-z]{4}").unwrap_or_else(|| panic!("parse"));
        assert!(Needs::of(&hir, &["tok_".to_string()]).is_none());
    }

    #[test]
    fn run_search_agrees_with_counting() {
        let mut next = crate::test_rng::xorshift(0x9E37_79B9_7F4A_7C15);
        let mut class = [false; 256];
        for b in [b'a', b'b'] {
            if let Some(x) = class.get_mut(usize::from(b)) {
                *x = true;
            }
        }
        for _ in 0..20_000 {
            let len = next(60) as usize;
            let data: Vec<u8> = (0..len)
                .map(|_| match next(8) {
                    0 => b'-',
                    1 => b'x',
                    k if k < 5 => b'a',
                    _ => b'b',
                })
                .collect();
            let run = Run {
                class,
                len: 1 + next(12) as usize,
            };
            let from = next(len as u64 + 1) as usize;
            let to = from + next(len as u64 + 10) as usize;
            let slice = data.get(from..to.min(len)).unwrap_or_default();
            let mut best = 0;
            let mut now = 0;
            for &b in slice {
                now = if class.get(usize::from(b)).copied().unwrap_or(false) {
                    now + 1
                } else {
                    0
                };
                best = best.max(now);
            }
            assert_eq!(
                run.within(&data, from..to),
                best >= run.len,
                "{:?} {from}..{to} len {}",
                String::from_utf8_lossy(&data),
                run.len
            );
        }
    }

    #[test]
    fn stretches_merge_and_give_way_to_the_whole_blob() {
        let got = stretches(vec![(500, 504), (100, 104), (120, 124)], 10, None, 10_000);
        assert_eq!(got, Some(vec![90..134, 490..514]));
        assert_eq!(stretches(vec![(0, 4)], 10, None, 50), None);
        let one = stretches(vec![(2, 6)], 10, None, 1_000).unwrap_or_default();
        assert_eq!(one.len(), 1);
        assert_eq!(one.first().cloned(), Some(0..16));
        // With a lead, from that many bytes before each hit to a span after its start.
        let led = stretches(
            vec![(500, 504), (100, 104), (120, 124)],
            10,
            Some(1),
            10_000,
        );
        assert_eq!(led, Some(vec![99..110, 119..130, 499..510]));
        assert_eq!(stretches(vec![(0, 4)], 10, Some(0), 70), None);
        assert!(stretches(vec![(0, 4)], 10, Some(0), 80).is_some());
    }

    /// Where matches are, as found two ways.
    type Found = Vec<Range<usize>>;

    /// The matches of `regex` in the stretches around the hits of `tok_` in `data`, and in the
    /// whole of it; `None` where the stretches would cover the blob.
    fn stretched_and_whole(
        regex: &Regex,
        data: &str,
        span: usize,
        lead: Option<usize>,
    ) -> Option<(Found, Found)> {
        let whole: Found = regex
            .captures_iter(data.as_bytes())
            .filter_map(|c| c.get(0).map(|m| m.range()))
            .collect();
        let hits: Vec<(usize, usize)> = data
            .match_indices("tok_")
            .map(|(i, k)| (i, i + k.len()))
            .collect();
        let s = stretches(hits, span, lead, usize::MAX)?;
        let mut got = Vec::new();
        captures_in(regex, data.as_bytes(), &s, |c| {
            got.extend(c.get(0).map(|m| m.range()))
        });
        Some((got, whole))
    }

    #[test]
    fn matches_in_stretches_are_those_of_the_whole_blob() {
        // Matches next to each other, at the edges of stretches, with `\b` on both sides; the
        // stretches a whole span on either side of a hit, and from the pattern's lead (0, or 1
        // with a byte before the keyword) to a span after it.
        let cases = [
            (r"\b(tok_[a-z]{3,6})\b", 10, None),
            (r"\b(tok_[a-z]{3,6})\b", 10, Some(0)),
            (r"(?:\b|x)(tok_[a-z]{3,6})\b", 11, Some(1)),
        ];
        for (pattern, span, lead) in cases {
            let regex = Regex::new(pattern).unwrap_or_else(|e| panic!("{e}"));
            let mut next = crate::test_rng::xorshift(0x2545_F491_4F6C_DD1D);
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
                if let Some((got, whole)) = stretched_and_whole(&regex, &data, span, lead) {
                    assert_eq!(got, whole, "{pattern} {lead:?} {data}");
                }
            }
        }
    }

    #[test]
    fn stretches_from_a_worked_out_lead_find_what_the_whole_blob_holds() {
        // Random patterns built of parts that hold the keyword, may hold it, or hold none
        // (optional, bounded, alternatives, `\b`), their span and lead worked out as for a rule,
        // on random text: the search of the stretches finds exactly the matches of the whole.
        const PARTS: [&str; 12] = [
            "tok_",
            "(?:tok_|xtok_)",
            "(?:tok_)?",
            "[a-z]{0,3}",
            "[a-z_]{1,2}",
            "x",
            "(?:ab|c)",
            r"\b",
            "[0-9]{1,2}",
            "_?",
            "(?:x{2}tok_){1,2}",
            "(?:tok_x|ok_)",
        ];
        let mut next = crate::test_rng::xorshift(0x9E37_79B9_7F4A_7C15);
        let keywords = vec!["tok_".to_string()];
        let mut checked = 0;
        for _ in 0..3000 {
            let mut pattern = String::new();
            for _ in 0..2 + next(4) {
                pattern.push_str(PARTS.get(next(12) as usize).copied().unwrap_or("x"));
            }
            let Some(shape) = super::super::shape::of(&pattern, &keywords, None) else {
                continue;
            };
            let (Some(span), Some(lead)) = (shape.span, shape.lead) else {
                continue;
            };
            let regex = Regex::new(&pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
            let mut data = String::new();
            for _ in 0..40 {
                match next(6) {
                    0 => data.push_str("tok_"),
                    1 => data.push(' '),
                    2 => data.push('x'),
                    3 => data.push_str("ab"),
                    4 => data.push(char::from(b'0' + next(10) as u8)),
                    _ => data.push('_'),
                }
            }
            let Some((got, whole)) = stretched_and_whole(&regex, &data, span, Some(lead)) else {
                continue;
            };
            assert_eq!(got, whole, "{pattern} (span {span}, lead {lead}) on {data}");
            checked += 1;
        }
        assert!(checked > 500, "{checked}");
    }
}
