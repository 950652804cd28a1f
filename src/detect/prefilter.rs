//! The prefilter: one search of each blob for every rule keyword and every AWS literal, so that
//! only the rules whose keywords occur run their regexes, and AWS detection works only around its
//! literals. `Needles` finds every occurrence of a set of needles in one SIMD "Teddy" pass
//! per group of needles, with an Aho-Corasick automaton where Teddy is unavailable;
//! `SharedSearch` holds the AWS literals and the rules' exact keywords in one `Needles`, and
//! `buckets` plans how the needles of one Teddy searcher share its buckets.

use aho_corasick::packed::{self, Searcher};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind, Span};

use crate::error::{Error, Result};

/// The AWS literals and the rules' exact keywords in one search, so that a blob is searched
/// once for both. Teddy costs about the same per pass whatever it holds up to a point, and the
/// AWS literals alone fill half a pass.
pub(crate) struct SharedSearch {
    /// Ids: AWS literal `i` is `i`, rule keyword `k` is `aws + k`.
    search: Needles,
    /// The number of AWS literals.
    aws: usize,
    /// One more than the largest rule keyword index.
    keywords: usize,
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
    /// The indices of the exact rule keywords that occur.
    pub(crate) keywords: Vec<usize>,
}

impl SharedSearch {
    /// A search for `aws` literals (by index) and `exact` rule keywords as (bytes, index);
    /// `None` when there are no rule keywords or the search cannot be built (each part then
    /// searches for itself).
    pub(crate) fn build<'a>(
        aws: impl Iterator<Item = &'a [u8]>,
        exact: &[(Vec<u8>, usize)],
    ) -> Option<SharedSearch> {
        if exact.is_empty() {
            return None;
        }
        let mut all: Vec<(Vec<u8>, usize)> =
            aws.enumerate().map(|(i, l)| (l.to_vec(), i)).collect();
        let n = all.len();
        all.extend(exact.iter().map(|(b, k)| (b.clone(), n + k)));
        let search = Needles::build(all, false).ok().flatten()?;
        Some(SharedSearch {
            search,
            aws: n,
            keywords: exact.iter().map(|(_, k)| k + 1).max().unwrap_or(0),
        })
    }

    /// Searches `data` once for both.
    pub(crate) fn run(&self, data: &[u8]) -> Found {
        let mut aws = Vec::new();
        let mut seen = vec![false; self.keywords];
        self.search
            .each(data, &mut |id, start, _| match id.checked_sub(self.aws) {
                None => aws.push(crate::aws::candidates::found_hit(id, start)),
                Some(k) => {
                    if let Some(s) = seen.get_mut(k) {
                        *s = true;
                    }
                }
            });
        let keywords = (0..seen.len())
            .filter(|&k| seen.get(k).copied().unwrap_or(false))
            .collect();
        Found { aws, keywords }
    }
}

/// Needles searched together.
pub(crate) struct Needles {
    /// The distinct needles, sorted, each with the ids it stands for and the other needles
    /// that are its prefixes (found wherever it is).
    entries: Vec<Entry>,
    search: Search,
}

struct Entry {
    bytes: Vec<u8>,
    ids: Vec<usize>,
    prefixes: Vec<usize>,
}

enum Search {
    /// Teddy searchers, each with the entry of every pattern it holds.
    Packed(Vec<(Searcher, Vec<usize>)>),
    /// The fallback; case-insensitive when built for folded needles.
    Automaton(AhoCorasick),
}

use super::buckets::{plan, MASK};

impl Needles {
    /// `needles` are (bytes, id); several needles may share an id, and several ids a needle.
    /// With `fold`, the needles must be lowercase and the caller searches a lowercased copy of
    /// the data (see `needs_lowercase`).
    pub(crate) fn build(needles: Vec<(Vec<u8>, usize)>, fold: bool) -> Result<Option<Needles>> {
        let mut entries: Vec<Entry> = Vec::new();
        let mut sorted: Vec<(Vec<u8>, usize)> =
            needles.into_iter().filter(|(n, _)| !n.is_empty()).collect();
        if sorted.is_empty() {
            return Ok(None);
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
        let prefixes: Vec<Vec<usize>> = entries
            .iter()
            .map(|e| {
                (0..entries.len())
                    .filter(|&j| {
                        entries.get(j).is_some_and(|p| {
                            p.bytes.len() < e.bytes.len() && e.bytes.starts_with(&p.bytes)
                        })
                    })
                    .collect()
            })
            .collect();
        for (e, p) in entries.iter_mut().zip(prefixes) {
            e.prefixes = p;
        }
        let search = Needles::search(&entries, fold)?;
        Ok(Some(Needles { entries, search }))
    }

    fn search(entries: &[Entry], fold: bool) -> Result<Search> {
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
                    None => return Needles::automaton(entries, fold),
                }
            }
        }
        Ok(Search::Packed(groups))
    }

    fn automaton(entries: &[Entry], fold: bool) -> Result<Search> {
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(fold)
            .kind(Some(AhoCorasickKind::DFA))
            .match_kind(MatchKind::Standard)
            .build(entries.iter().map(|e| &e.bytes))
            .map(Search::Automaton)
            .map_err(|e| Error::config("rules", "keywords", format!("building the prefilter: {e}")))
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
            Search::Automaton(ac) => {
                // Overlapping search reports every needle at every position by itself.
                for m in ac.find_overlapping_iter(data) {
                    if let Some(entry) = self.entries.get(m.pattern().as_usize()) {
                        for &id in &entry.ids {
                            hit(id, m.start(), entry.bytes.len());
                        }
                    }
                }
            }
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
}
