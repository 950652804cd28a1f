//! The prefilter: one search of each blob for every rule keyword and every AWS literal, so that
//! only the rules whose keywords occur run their regexes, and the AWS matcher works only around
//! its literals. `Needles` finds every occurrence of a set of needles in one SIMD "Teddy" pass
//! per group of needles, with an Aho-Corasick automaton where Teddy is unavailable;
//! `SharedSearch` holds the AWS literals and the rules' exact keywords in one `Needles`.
//!
//! Teddy sorts a group's needles into 8 or 16 buckets and flags a position as a candidate when
//! its first bytes fit the union of a bucket's needles, split into high and low nybbles; every
//! candidate is then verified. Needles that share a bucket widen its filter, so which needles
//! share one decides the false-candidate rate. Teddy fills buckets in the order patterns are
//! added (pattern `i` goes to bucket `buckets - 1 - i % buckets`, or to the bucket of an earlier
//! pattern with the same low nybbles), so `plan` chooses the buckets with a model of byte
//! frequencies in source code and adds the needles in the order that puts them there. On the
//! 220 MB benchmark corpus this cut the search time of the built-in keywords by about a third
//! against adding them in sorted order. It affects speed only, never what is found.

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

/// Distinct fingerprints (see `plan`) per Teddy searcher.
const GROUP: usize = 64;
/// Teddy fingerprints at most this many leading bytes of each needle.
const MASK: usize = 4;

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

/// Splits sorted needles into Teddy groups, each listed in the order to add its patterns.
fn plan(needles: Vec<(Vec<u8>, usize)>) -> Vec<Vec<(Vec<u8>, usize)>> {
    if needles.is_empty() {
        return Vec::new();
    }
    // Needles with the same low nybbles in their fingerprint land in one bucket whatever the
    // order (`Secret`, `secret` and `SECRET` among them): treat them as one unit.
    let mut units: Vec<Unit> = Vec::new();
    for n in needles {
        let key = low_nybbles(&n.0);
        match units
            .iter_mut()
            .find(|u| u.first().is_some_and(|f| low_nybbles(&f.0) == key))
        {
            Some(u) => u.push(n),
            None => units.push(vec![n]),
        }
    }
    let groups = units.len().div_ceil(GROUP);
    let buckets = if units.len().div_ceil(groups) > 32 {
        16
    } else {
        8
    };
    let total = groups * buckets;
    if units.len() < total {
        // Too few to fill every bucket: Teddy's own order is as good.
        return vec![units.into_iter().flatten().collect()];
    }
    // Greedy: the needles most likely to raise false candidates first, each into the bucket
    // whose false-candidate rate it raises least; every bucket gets one before any gets two.
    let mut units: Vec<(Masks, Unit)> = units.into_iter().map(|u| (Masks::of(&u), u)).collect();
    units.sort_by(|a, b| b.0.rate().total_cmp(&a.0.rate()));
    let cap = units.len().div_ceil(total);
    let mut bins: Vec<Vec<Unit>> = vec![Vec::new(); total];
    let mut masks = vec![(Masks::default(), 0.0); total];
    for (i, (m, unit)) in units.into_iter().enumerate() {
        let mut best: Option<(f64, usize)> = None;
        for (b, (bin, (bm, rate))) in bins.iter().zip(&masks).enumerate() {
            if (i < total && !bin.is_empty()) || bin.len() >= cap {
                continue;
            }
            let delta = bm.with(&m).rate() - rate;
            if best.is_none_or(|(d, _)| delta < d) {
                best = Some((delta, b));
            }
        }
        if let Some((_, b)) = best {
            if let (Some(bin), Some(bm)) = (bins.get_mut(b), masks.get_mut(b)) {
                bin.push(unit);
                let merged = bm.0.with(&m);
                *bm = (merged, merged.rate());
            }
        }
    }
    // Lay each group out so that Teddy puts bin `r` in bucket `buckets - 1 - r`: slot
    // `j * buckets + (buckets - 1 - r)` holds the first needle of the bin's `j`-th unit (a bin
    // with fewer units repeats its first, which Teddy files in that same bucket). The rest of
    // each unit comes last: Teddy files them with the first needle of their unit.
    bins.chunks(buckets)
        .map(|chunk| {
            let rounds = chunk.iter().map(Vec::len).max().unwrap_or(0);
            let mut order = Vec::new();
            for j in 0..rounds {
                for slot in 0..buckets {
                    let bin = chunk.get(buckets - 1 - slot);
                    let unit = bin.and_then(|b| b.get(j).or(b.first()));
                    if let Some(first) = unit.and_then(|u| u.first()) {
                        order.push(first.clone());
                    }
                }
            }
            for unit in chunk.iter().flatten() {
                order.extend(unit.iter().skip(1).cloned());
            }
            order
        })
        .collect()
}

type Unit = Vec<(Vec<u8>, usize)>;

fn low_nybbles(n: &[u8]) -> Vec<u8> {
    n.iter().take(MASK).map(|b| b & 0xF).collect()
}

/// A bucket's fingerprint: at each position, the low and the high nybbles of its needles'
/// bytes there.
#[derive(Clone, Copy, Default)]
struct Masks {
    lo: [u16; MASK],
    hi: [u16; MASK],
}

impl Masks {
    fn of(needles: &[(Vec<u8>, usize)]) -> Masks {
        let mut m = Masks::default();
        for (n, _) in needles {
            for (i, &b) in n.iter().take(MASK).enumerate() {
                if let (Some(lo), Some(hi)) = (m.lo.get_mut(i), m.hi.get_mut(i)) {
                    *lo |= 1 << (b & 0xF);
                    *hi |= 1 << (b >> 4);
                }
            }
        }
        m
    }

    fn with(&self, other: &Masks) -> Masks {
        let mut m = *self;
        for i in 0..MASK {
            if let (Some(lo), Some(hi)) = (m.lo.get_mut(i), m.hi.get_mut(i)) {
                *lo |= other.lo.get(i).copied().unwrap_or(0);
                *hi |= other.hi.get(i).copied().unwrap_or(0);
            }
        }
        m
    }

    /// The modelled share of positions where the bucket flags a candidate: at each position,
    /// the frequency of the bytes whose high and low nybbles both occur there; positions taken
    /// as independent, and a position no needle reaches (a 3-byte needle's fourth) not checked.
    fn rate(&self) -> f64 {
        if self.lo.iter().all(|&l| l == 0) {
            return 0.0;
        }
        let mut r = 1.0;
        for (&lo, &hi) in self.lo.iter().zip(&self.hi) {
            if lo == 0 {
                continue;
            }
            let mut p = 0u32;
            for h in bits(hi) {
                for l in bits(lo) {
                    p += BYTE_FREQ.get(h * 16 + l).copied().unwrap_or(1);
                }
            }
            r *= f64::from(p) / 100_000.0;
        }
        r
    }
}

/// The positions of the set bits of `m`.
fn bits(mut m: u16) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        (m != 0).then(|| {
            let b = m.trailing_zeros() as usize;
            m &= m - 1;
            b
        })
    })
}

/// How often each byte occurs in source code, per 100,000 bytes (at least 1): measured by
/// keyhound's authors on the benchmark corpus of bench/compare.sh (the sources of aws-cli,
/// botocore, git and cargo, 220 MB), binary files left out.
#[rustfmt::skip]
const BYTE_FREQ: [u32; 256] = [
    1, 1, 1, 1, 1, 1, 1, 1, 1, 430, 2572, 1, 1, 36, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    23352, 24, 3957, 119, 58, 70, 147, 204, 271, 272, 116, 30, 1066, 755, 753, 657,
    231, 218, 168, 102, 83, 72, 65, 47, 56, 56, 1346, 122, 694, 187, 739, 10,
    11, 374, 89, 265, 232, 292, 147, 103, 60, 339, 18, 39, 159, 144, 214, 154,
    206, 20, 292, 380, 396, 136, 71, 69, 21, 29, 22, 150, 133, 150, 9, 542,
    169, 3963, 690, 2410, 2000, 6861, 1103, 1119, 1528, 3748, 72, 341, 1825, 1687, 3603, 3915,
    2083, 141, 3389, 3725, 5306, 1906, 442, 408, 313, 632, 130, 478, 30, 478, 7, 1,
    32, 17, 24, 11, 10, 6, 4, 7, 8, 5, 5, 7, 8, 5, 2, 10,
    5, 5, 1, 3, 7, 7, 8, 4, 4, 4, 5, 3, 8, 7, 5, 6,
    7, 10, 2, 4, 9, 5, 2, 6, 6, 8, 4, 3, 3, 8, 6, 6,
    35, 13, 15, 10, 15, 29, 7, 11, 28, 7, 22, 25, 19, 28, 28, 15,
    1, 1, 4, 42, 11, 5, 1, 1, 1, 1, 1, 1, 1, 1, 18, 8,
    213, 79, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    4, 14, 12, 6, 8, 19, 15, 10, 7, 4, 2, 9, 11, 3, 1, 3,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
];

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
