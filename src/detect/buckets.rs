//! How the needles of a Teddy searcher share its buckets. Teddy sorts a group's needles into 8
//! or 16 buckets and flags a position as a candidate when its first bytes fit the union of a
//! bucket's needles, split into high and low nybbles; every candidate is then verified.
//! Needles that share a bucket widen its filter, so which needles share one decides the
//! false-candidate rate. Teddy fills buckets in the order patterns are added (pattern `i` goes
//! to bucket `buckets - 1 - i % buckets`, or to the bucket of an earlier pattern with the same
//! low nybbles), so `plan` chooses the buckets with a model of byte frequencies in source code
//! and adds the needles in the order that puts them there. On the 220 MB benchmark corpus this
//! cut the search time of the built-in keywords by about a third against adding them in sorted
//! order. It affects speed only, never what is found.

use std::collections::hash_map::{Entry, HashMap};

/// Distinct fingerprints per Teddy searcher.
const GROUP: usize = 64;
/// Teddy fingerprints at most this many leading bytes of each needle.
pub(crate) const MASK: usize = 4;

/// Splits sorted needles into Teddy groups, each listed in the order to add its patterns.
pub(crate) fn plan(needles: Vec<Needle>) -> Vec<Vec<Needle>> {
    if needles.is_empty() {
        return Vec::new();
    }
    let units = units(needles);
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
    layout(&fill(units, total), buckets)
}

/// Needles with the same low nybbles in their fingerprint land in one bucket whatever the
/// order (`Secret`, `secret` and `SECRET` among them): each such set is one unit.
fn units(needles: Vec<Needle>) -> Vec<Unit> {
    let mut units: Vec<Unit> = Vec::new();
    let mut by_key: HashMap<Vec<u8>, usize> = HashMap::new();
    for n in needles {
        match by_key.entry(low_nybbles(&n.0)) {
            Entry::Occupied(e) => {
                if let Some(u) = units.get_mut(*e.get()) {
                    u.push(n);
                }
            }
            Entry::Vacant(e) => {
                e.insert(units.len());
                units.push(vec![n]);
            }
        }
    }
    units
}

/// Greedy: the units most likely to raise false candidates first, each into the bucket whose
/// false-candidate rate it raises least; every bucket gets one before any gets two.
fn fill(units: Vec<Unit>, total: usize) -> Vec<Vec<Unit>> {
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
    bins
}

/// Lays each group out so that Teddy puts bin `r` in bucket `buckets - 1 - r`: slot
/// `j * buckets + (buckets - 1 - r)` holds the first needle of the bin's `j`-th unit (a bin
/// with fewer units repeats its first, which Teddy files in that same bucket). The rest of
/// each unit comes last: Teddy files them with the first needle of their unit.
fn layout(bins: &[Vec<Unit>], buckets: usize) -> Vec<Vec<Needle>> {
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

/// A needle and its id.
type Needle = (Vec<u8>, usize);
type Unit = Vec<Needle>;

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
