//! The prefilter: one search of each blob for every rule keyword and every AWS literal, so that
//! only the rules whose keywords occur run their regexes, and AWS detection works only around its
//! literals. `Needles` finds every occurrence of a set of needles in one SIMD "Teddy" pass
//! per group of needles while they are few, and in one pass of a fingerprint `Sieve` when they
//! are many (or Teddy is unavailable); `SharedSearch` holds the AWS literals and the rules'
//! keywords in one `Needles`, and `buckets` plans how the needles of one Teddy searcher share
//! its buckets.

use aho_corasick::packed::{self, Searcher};
use aho_corasick::Span;

use super::sieve::Sieve;
use crate::error::Result;

/// The AWS literals and the rules' exact keywords in one search, so that a blob is searched
/// once for both. Teddy costs about the same per pass whatever it holds up to a point, and the
/// AWS literals alone fill half a pass.
pub(crate) struct SharedSearch {
    /// Ids: AWS literal `i` is `i`, rule keyword `k` is `aws + k`.
    search: Needles,
    /// The number of AWS literals.
    aws: usize,
    /// Whether the case-insensitive keywords are searched here too (the sieve takes both
    /// kinds; Teddy only exact ones, and the others are searched in a lowercased copy).
    folded: bool,
}

/// The AWS literals searched alone (see `aws::candidates::LiteralSearch`).
pub(crate) struct AwsLiterals(Option<Needles>);

impl AwsLiterals {
    /// A search for `literals`, by index. If it cannot be built (only possible for a broken
    /// `rules/aws.toml`), AWS detection finds nothing rather than stopping the scan.
    pub(crate) fn build<'a>(literals: impl Iterator<Item = &'a [u8]>) -> AwsLiterals {
        let needles = literals.enumerate().map(|(i, l)| (l.to_vec(), i)).collect();
        AwsLiterals(Needles::build(needles, false).ok().flatten())
    }
}

impl crate::aws::candidates::LiteralSearch for AwsLiterals {
    fn find_all(&self, data: &[u8]) -> Vec<u64> {
        let mut found = Vec::new();
        if let Some(s) = &self.0 {
            s.each(data, &mut |p, start, _| {
                found.push(crate::aws::candidates::found_hit(p, start))
            });
        }
        found
    }
}

/// What the shared search found in a blob.
pub(crate) struct Found {
    /// Every AWS literal occurrence, packed by `aws::candidates::found_hit`.
    pub(crate) aws: Vec<u64>,
    /// Every occurrence of a rule keyword, as (keyword index, start): the exact keywords', and
    /// the case-insensitive ones' when `folded`.
    pub(crate) keywords: Vec<(usize, usize)>,
    pub(crate) folded: bool,
    /// Whether `keywords` holds every occurrence. A blob where keywords occur more densely than
    /// `hit_limit` allows (a run of thousands of `A`s holds Dropbox's `AAAAAAAAAA` at every
    /// byte) keeps only the first occurrence of each: its triggered rules then search the whole
    /// blob, which costs less than keeping 16 bytes per occurrence (hundreds of megabytes for a
    /// few of such data).
    pub(crate) positions: bool,
}

/// How many keyword occurrences a blob of `len` bytes keeps positions for: one per 8 bytes on
/// average, far more than any source text holds (a few per kilobyte), and at least 4,096.
pub(crate) fn hit_limit(len: usize) -> usize {
    (len / 8).max(4096)
}

/// From this many distinct needles on, one sieve pass costs less than the Teddy passes they
/// need (measured on the files corpus: AWS literals alone, about 100, are faster in Teddy; the
/// built-in rules' 700 in the sieve). The sieve also takes the case-insensitive keywords, which
/// spares the lowercased copy of every blob.
const SIEVE_FROM: usize = 256;

impl SharedSearch {
    /// A search for `aws` literals (by index), `exact` rule keywords and case-insensitive
    /// (`folded`, lowercase) ones, both as (bytes, keyword index); `None` when there are no
    /// exact rule keywords (and too few in all for the sieve) or the search cannot be built
    /// (each part then searches for itself).
    pub(crate) fn build<'a>(
        aws: impl Iterator<Item = &'a [u8]>,
        exact: &[(Vec<u8>, usize)],
        folded: &[(Vec<u8>, usize)],
    ) -> Option<SharedSearch> {
        let mut all: Vec<(Vec<u8>, usize, bool)> = aws
            .enumerate()
            .map(|(i, l)| (l.to_vec(), i, false))
            .collect();
        let n = all.len();
        all.extend(exact.iter().map(|(b, k)| (b.clone(), n + k, false)));
        // Whether there are `SIEVE_FROM` distinct needles: counted only as far as that (the
        // built-in rules reach it long before their last keyword, at every scan's start).
        let enough = |v: &[(Vec<u8>, usize, bool)], more: usize| {
            let want = SIEVE_FROM.saturating_sub(more);
            let mut seen: std::collections::HashSet<&[u8]> = std::collections::HashSet::new();
            v.iter().any(|(b, _, _)| {
                seen.insert(b.as_slice());
                seen.len() >= want
            }) || want == 0
        };
        if enough(&all, folded.len()) {
            all.extend(folded.iter().map(|(b, k)| (b.clone(), n + k, true)));
            let search = Needles::sieve(all)?;
            return Some(SharedSearch {
                search,
                aws: n,
                folded: true,
            });
        }
        if exact.is_empty() {
            return None;
        }
        let all = all.into_iter().map(|(b, id, _)| (b, id)).collect();
        let search = Needles::build(all, false).ok().flatten()?;
        Some(SharedSearch {
            search,
            aws: n,
            folded: false,
        })
    }

    /// Searches `data` once for both. (The keywords found are their occurrences, not a flag
    /// per keyword: a blob costs what it holds, not what the rules hold.)
    pub(crate) fn run(&self, data: &[u8]) -> Found {
        let mut aws = Vec::new();
        let mut keywords = Vec::new();
        let limit = hit_limit(data.len());
        // Past the limit, only each keyword's first occurrence is kept (see `Found::positions`).
        let mut only_first: Option<std::collections::HashSet<usize>> = None;
        self.search
            .each(data, &mut |id, start, _| match id.checked_sub(self.aws) {
                None => aws.push(crate::aws::candidates::found_hit(id, start)),
                Some(k) => match only_first.as_mut() {
                    Some(seen) => {
                        if seen.insert(k) {
                            keywords.push((k, start));
                        }
                    }
                    None => {
                        keywords.push((k, start));
                        if keywords.len() > limit {
                            keywords.sort_unstable_by_key(|&(k, _)| k);
                            keywords.dedup_by_key(|&mut (k, _)| k);
                            keywords.shrink_to_fit();
                            only_first = Some(keywords.iter().map(|&(k, _)| k).collect());
                        }
                    }
                },
            });
        Found {
            aws,
            keywords,
            folded: self.folded,
            positions: only_first.is_none(),
        }
    }
}

/// Needles searched together.
pub(crate) struct Needles {
    /// The distinct needles, sorted, each with the ids it stands for and the other needles
    /// that are its prefixes (found wherever it is).
    entries: Vec<Entry>,
    search: Search,
    /// The search reports ids itself (a sieve built from ids, with no entries).
    direct: bool,
}

struct Entry {
    bytes: Vec<u8>,
    ids: Vec<usize>,
    prefixes: Vec<usize>,
}

enum Search {
    /// Teddy searchers, each with the entry of every pattern it holds.
    Packed(Vec<(Searcher, Vec<usize>)>),
    /// Many needles, or no Teddy on this machine: one pass that compares case-insensitively
    /// itself where the needles are folded.
    Sieve(Box<Sieve>),
}

use super::buckets::{plan, MASK};

/// Above this many distinct needles, the sieve searches them instead of Teddy searchers.
const MAX_PACKED: usize = SIEVE_FROM;

impl Needles {
    /// `needles` are (bytes, id); several needles may share an id, and several ids a needle.
    /// With `fold`, the needles must be lowercase and the caller searches a lowercased copy of
    /// the data (see `needs_lowercase`).
    pub(crate) fn build(needles: Vec<(Vec<u8>, usize)>, fold: bool) -> Result<Option<Needles>> {
        Ok(Needles::entries(needles, fold, true))
    }

    /// Exact `needles` in Teddy searchers only: `None` when there are none, too many, or no
    /// Teddy on this machine (for the sieve's short needles, which the sieve takes otherwise).
    pub(crate) fn packed_only(needles: Vec<(Vec<u8>, usize)>) -> Option<Needles> {
        Needles::entries(needles, false, false)
    }

    /// `build`; without `fallback`, `None` where the needles would not go to Teddy.
    fn entries(needles: Vec<(Vec<u8>, usize)>, fold: bool, fallback: bool) -> Option<Needles> {
        let mut entries: Vec<Entry> = Vec::new();
        let mut sorted: Vec<(Vec<u8>, usize)> =
            needles.into_iter().filter(|(n, _)| !n.is_empty()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort();
        sorted.dedup();
        for (bytes, id) in sorted {
            match entries.last_mut() {
                Some(e) if e.bytes == bytes => e.ids.push(id),
                _ => entries.push(Entry {
                    bytes,
                    ids: vec![id],
                    prefixes: Vec::new(),
                }),
            }
        }
        // Sorted, the needles that are prefixes of a needle come before it, and every needle
        // between a prefix and it also starts with that prefix: a stack of the chain of
        // prefixes of the current needle finds them all in one pass.
        let mut chain: Vec<usize> = Vec::new();
        for i in 0..entries.len() {
            let Some(bytes) = entries.get(i).map(|e| e.bytes.clone()) else {
                continue;
            };
            while chain
                .last()
                .and_then(|&p| entries.get(p))
                .is_some_and(|p| !bytes.starts_with(&p.bytes))
            {
                chain.pop();
            }
            if let Some(e) = entries.get_mut(i) {
                e.prefixes = chain.clone();
            }
            chain.push(i);
        }
        let search = Needles::search(&entries, fold, fallback)?;
        Some(Needles {
            entries,
            search,
            direct: false,
        })
    }

    /// Teddy searchers for `entries`, or (with `fallback`) the sieve where they do not do.
    fn search(entries: &[Entry], fold: bool, fallback: bool) -> Option<Search> {
        if entries.len() > MAX_PACKED {
            return fallback.then(|| Needles::sieve_of(entries, fold));
        }
        // Needles shorter than the full fingerprint get searchers of their own so that they do
        // not shorten the others' fingerprints.
        let (short, long): (Vec<_>, Vec<_>) = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.bytes.clone(), i))
            .partition(|(n, _)| n.len() < MASK);
        let mut groups = Vec::new();
        for set in [short, long] {
            for group in plan(set) {
                let mut b = packed::Config::new()
                    .match_kind(packed::MatchKind::LeftmostLongest)
                    .heuristic_pattern_limits(false)
                    .builder();
                for (n, _) in &group {
                    b.add(n);
                }
                match b.build() {
                    Some(searcher) => {
                        groups.push((searcher, group.iter().map(|(_, e)| *e).collect()))
                    }
                    None => return fallback.then(|| Needles::sieve_of(entries, fold)),
                }
            }
        }
        Some(Search::Packed(groups))
    }

    /// The sieve for `entries` (its ids are entry indices).
    fn sieve_of(entries: &[Entry], fold: bool) -> Search {
        let list = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.bytes.clone(), i, fold))
            .collect();
        match Sieve::build(list) {
            Some(s) => Search::Sieve(Box::new(s)),
            None => Search::Packed(Vec::new()),
        }
    }

    /// A sieve for `needles` as (bytes, id, case-insensitive), whatever their number.
    fn sieve(needles: Vec<(Vec<u8>, usize, bool)>) -> Option<Needles> {
        Some(Needles {
            entries: Vec::new(),
            search: Search::Sieve(Box::new(Sieve::build(needles)?)),
            direct: true,
        })
    }

    /// Whether folded needles must be searched in a lowercased copy (the automaton folds case
    /// itself).
    pub(crate) fn needs_lowercase(&self) -> bool {
        matches!(self.search, Search::Packed(_))
    }

    /// Calls `hit(id, start, len)` for every occurrence of every needle in `data`, overlapping
    /// ones included, in no particular order. Each search reports the longest needle at a
    /// position and resumes one byte later; the needles that are prefixes of the one reported
    /// are reported with it.
    pub(crate) fn each(&self, data: &[u8], hit: &mut impl FnMut(usize, usize, usize)) {
        let mut report = |e: usize, start: usize| {
            if let Some(entry) = self.entries.get(e) {
                for &id in &entry.ids {
                    hit(id, start, entry.bytes.len());
                }
                for p in entry.prefixes.iter().filter_map(|&p| self.entries.get(p)) {
                    for &id in &p.ids {
                        hit(id, start, p.bytes.len());
                    }
                }
            }
        };
        match &self.search {
            Search::Packed(groups) => {
                for (searcher, entries) in groups {
                    let mut at = 0;
                    while at < data.len() {
                        let Some(m) = searcher.find_in(data, Span::from(at..data.len())) else {
                            break;
                        };
                        if let Some(&e) = entries.get(m.pattern().as_usize()) {
                            report(e, m.start());
                        }
                        at = m.start() + 1;
                    }
                }
            }
            // The sieve reports every needle at every position by itself.
            Search::Sieve(s) if self.direct => s.each(data, hit),
            Search::Sieve(s) => s.each(data, &mut |e, start, _| {
                if let Some(entry) = self.entries.get(e) {
                    for &id in &entry.ids {
                        hit(id, start, entry.bytes.len());
                    }
                }
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(needles: &[&str], data: &str) -> Vec<usize> {
        let list = needles
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_bytes().to_vec(), i))
            .collect();
        let Ok(Some(n)) = Needles::build(list, false) else {
            panic!("no searcher");
        };
        let mut out = Vec::new();
        n.each(data.as_bytes(), &mut |k, _, _| out.push(k));
        out.sort_unstable();
        out.dedup();
        out
    }

    #[test]
    fn finds_every_needle_in_every_layout() {
        // Enough needles for several groups and padded buckets.
        let many: Vec<String> = (0..150).map(|i| format!("k{i:03}_x")).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        let text: String = many.iter().rev().map(|s| format!("..{s}..")).collect();
        assert_eq!(hits(&refs, &text), (0..150).collect::<Vec<_>>());
        assert_eq!(hits(&refs, "k149_x"), vec![149]);
        assert!(hits(&refs, "k150_x K001_X").is_empty());
    }

    /// Every (needle, start) of `needles` in `data`, overlapping ones included, by brute force.
    fn brute(needles: &[String], data: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for (i, n) in needles.iter().enumerate() {
            for at in 0..data.len() {
                if data
                    .as_bytes()
                    .get(at..)
                    .is_some_and(|d| d.starts_with(n.as_bytes()))
                {
                    out.push((i, at));
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    fn found(needles: &[String], data: &str) -> Vec<(usize, usize)> {
        let list = needles
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_bytes().to_vec(), i))
            .collect();
        let Ok(Some(n)) = Needles::build(list, false) else {
            panic!("no searcher");
        };
        let mut out = Vec::new();
        n.each(data.as_bytes(), &mut |k, at, _| out.push((k, at)));
        out.sort_unstable();
        out.dedup();
        out
    }

    #[test]
    fn needles_that_are_prefixes_of_others_are_found_with_them() {
        // Needles over two letters: many are prefixes of others, in chains and side by side.
        let mut next = crate::test_rng::xorshift(0x9E37_79B9_7F4A_7C15);
        for _ in 0..300 {
            let word = |next: &mut dyn FnMut(u64) -> u64, len: u64| -> String {
                (0..len)
                    .map(|_| if next(2) == 0 { 'a' } else { 'b' })
                    .collect()
            };
            let count = 1 + next(12);
            let needles: Vec<String> = (0..count)
                .map(|_| {
                    let len = 2 + next(5);
                    word(&mut next, len)
                })
                .collect();
            let data = word(&mut next, 60);
            assert_eq!(
                found(&needles, &data),
                brute(&needles, &data),
                "{needles:?} {data}"
            );
        }
    }

    #[test]
    fn thousands_of_needles_share_one_automaton() {
        // More needles than the Teddy searchers take: one automaton, every occurrence of
        // every needle, prefixes included.
        let mut needles: Vec<String> = (0..5000).map(|i| format!("kw{i}_")).collect();
        needles.extend(["kw1", "kw12", "kw123", "w12"].map(String::from));
        let data: String = (0..5000)
            .step_by(7)
            .map(|i| format!("x kw{i}_ y "))
            .collect();
        let want = brute(&needles, &data);
        assert!(want.len() > 714, "{}", want.len());
        assert_eq!(found(&needles, &data), want);
    }

    #[test]
    fn overlapping_and_nested_needles() {
        assert_eq!(hits(&["abcd", "cdef"], "abcdef"), vec![0, 1]);
        // Needles that start together: the prefix is reported with the longer one.
        assert_eq!(
            hits(&["hooks.slack", "hooks.slack.com/x"], "hooks.slack.com/x"),
            vec![0, 1]
        );
        // One needle standing for several ids, and an id with several needles.
        let list = vec![
            (b"ghp_".to_vec(), 7),
            (b"ghp_".to_vec(), 9),
            (b"gho_".to_vec(), 7),
        ];
        let Ok(Some(n)) = Needles::build(list, false) else {
            panic!("no searcher");
        };
        let mut seen = Vec::new();
        n.each(b"x ghp_ gho_", &mut |id, start, len| {
            seen.push((id, start, len))
        });
        seen.sort_unstable();
        assert_eq!(seen, vec![(7, 2, 4), (7, 7, 4), (9, 2, 4)]);
        assert_eq!(
            hits(&["slack", "hooks.slack.com/x"], "hooks.slack.com/x"),
            vec![0, 1]
        );
        assert_eq!(hits(&["Q~", "ghp_", "xy"], "aQ~b ghp_"), vec![0, 1]);
    }

    #[test]
    fn many_keywords_exact_and_folded_share_one_sieve_with_the_aws_literals() {
        let aws: Vec<&[u8]> = vec![b"AKIA", b"aws_secret_access_key"];
        let exact: Vec<(Vec<u8>, usize)> = (0..200)
            .map(|i| (format!("Tok{i}_").into_bytes(), i))
            .collect();
        let folded: Vec<(Vec<u8>, usize)> = (200..400)
            .map(|i| (format!("word{i}").into_bytes(), i))
            .collect();
        let Some(s) = SharedSearch::build(aws.into_iter(), &exact, &folded) else {
            panic!("no shared search");
        };
        let data = b"x AKIA akia Tok7_ tok7_ WORD250 word399 Word300x aws_secret_access_key";
        let found = s.run(data);
        assert!(found.folded);
        let mut kw = found.keywords.clone();
        kw.sort_unstable();
        // Exact keywords only as written; folded ones in any case.
        assert_eq!(kw, vec![(7, 12), (250, 24), (300, 40), (399, 32)]);
        let aws: Vec<u64> = found.aws;
        assert_eq!(aws.len(), 2, "{aws:?}");
        // Few keywords: Teddy for the exact ones, and the folded ones left to their own search.
        let Some(s) = SharedSearch::build(
            [&b"AKIA"[..]].into_iter(),
            exact.get(..10).unwrap_or_default(),
            folded.get(..10).unwrap_or_default(),
        ) else {
            panic!("no shared search");
        };
        let found = s.run(b"Tok3_ word201");
        assert!(!found.folded);
        assert_eq!(found.keywords, vec![(3, 0)]);
    }

    #[test]
    fn keywords_that_occur_at_nearly_every_byte_keep_only_their_first_occurrence() {
        let exact: Vec<(Vec<u8>, usize)> = (0..300)
            .map(|i| (format!("Tok{i}_").into_bytes(), i))
            .chain([(b"AAAAAAAAAA".to_vec(), 300)])
            .collect();
        let Some(s) = SharedSearch::build([&b"AKIA"[..]].into_iter(), &exact, &[]) else {
            panic!("no shared search");
        };
        // Sparse: every occurrence, with its position.
        let found = s.run(b"Tok1_ AAAAAAAAAAA Tok1_");
        assert!(found.positions);
        let mut kw = found.keywords.clone();
        kw.sort_unstable();
        assert_eq!(kw, vec![(1, 0), (1, 18), (300, 6), (300, 7)]);
        // A run of 100,000 `A`s holds the keyword at 99,991 positions, more than the limit:
        // each keyword once, and the search says its positions are not all there.
        let mut data = b"Tok2_ ".to_vec();
        data.extend(std::iter::repeat_n(b'A', 100_000));
        data.extend(b" Tok1_ Tok2_ AKIA");
        let found = s.run(&data);
        assert!(!found.positions);
        let mut ids: Vec<usize> = found.keywords.iter().map(|&(k, _)| k).collect();
        ids.sort_unstable();
        assert_eq!(ids, vec![1, 2, 300]);
        assert_eq!(found.aws.len(), 1);
        assert!(hit_limit(data.len()) < 99_991);
    }
}
