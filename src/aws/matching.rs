//! The order-preserving matching of key IDs to secrets in one blob: the first key goes with
//! the first secret, so interleaved pairs pair correctly; the number of pairs is maximised and,
//! among matchings with that many, the total distance minimised. Past a size limit it falls
//! back to nearest-first.

use std::collections::HashSet;

use super::Params;

/// What pairing needs to know of a key ID or a secret.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Side {
    pub(crate) line: u32,
    /// Byte offset of its start.
    pub(crate) start: usize,
    /// Found after a name (a secret only).
    pub(crate) named: bool,
    /// An AWS documentation example.
    pub(crate) example: bool,
}

/// Above this many key×secret combinations in one blob, pairing falls back to greedy.
const DP_LIMIT: usize = 1 << 20;

/// The pairs (key index, secret index) of an order-preserving matching of `keys` to
/// `secrets`, in order; `side(i)` gives the facts of candidate `i`.
pub(crate) fn pairs(
    keys: &[usize],
    secrets: &[usize],
    params: &Params,
    side: impl Fn(usize) -> Option<Side>,
) -> Vec<(usize, usize)> {
    if keys.is_empty() || secrets.is_empty() {
        return Vec::new();
    }
    let cost = |k: usize, s: usize| match (side(k), side(s)) {
        (Some(key), Some(secret)) => eligible(&key, &secret, params),
        _ => None,
    };
    if keys.len().saturating_mul(secrets.len()) > DP_LIMIT {
        let line = |i: usize| side(i).map_or(0, |s| s.line);
        return greedy_pairs(keys, secrets, cost, line, params.pair_lines);
    }
    let table = Table::fill(keys, secrets, &cost);
    table.pairs(keys, secrets, &cost)
}

/// The cost of pairing `key` with `secret` (lines apart, then bytes apart), or `None` when they
/// are too far apart or one is a documentation example and the other is not.
fn eligible(key: &Side, secret: &Side, params: &Params) -> Option<u64> {
    let window = if secret.named {
        params.pair_lines
    } else {
        u32::try_from(params.near_lines).unwrap_or(u32::MAX)
    };
    let lines = key.line.abs_diff(secret.line);
    if lines > window || key.example != secret.example {
        return None;
    }
    let bytes = key.start.abs_diff(secret.start) as u64;
    Some(u64::from(lines) * 1_000_000 + bytes.min(999_999))
}

/// The table of the order-preserving matching: `best[i][j]` is (pairs, cost) using `keys[i..]`
/// and `secrets[j..]`.
struct Table {
    best: Vec<(u32, u64)>,
    width: usize,
}

impl Table {
    fn at(&self, i: usize, j: usize) -> (u32, u64) {
        self.best
            .get(i * self.width + j)
            .copied()
            .unwrap_or_default()
    }

    fn better(a: (u32, u64), b: (u32, u64)) -> bool {
        a.0 > b.0 || (a.0 == b.0 && a.1 < b.1)
    }

    fn fill(
        keys: &[usize],
        secrets: &[usize],
        cost: &dyn Fn(usize, usize) -> Option<u64>,
    ) -> Table {
        let (n, m) = (keys.len(), secrets.len());
        let mut t = Table {
            best: vec![(0u32, 0u64); (n + 1) * (m + 1)],
            width: m + 1,
        };
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                let mut b = t.at(i + 1, j);
                let skip_s = t.at(i, j + 1);
                if Table::better(skip_s, b) {
                    b = skip_s;
                }
                if let (Some(&k), Some(&s)) = (keys.get(i), secrets.get(j)) {
                    if let Some(c) = cost(k, s) {
                        let rest = t.at(i + 1, j + 1);
                        let take = (rest.0 + 1, rest.1 + c);
                        if Table::better(take, b) {
                            b = take;
                        }
                    }
                }
                let w = t.width;
                if let Some(slot) = t.best.get_mut(i * w + j) {
                    *slot = b;
                }
            }
        }
        t
    }

    /// Walks the filled table back to the pairs it chose.
    fn pairs(
        &self,
        keys: &[usize],
        secrets: &[usize],
        cost: &dyn Fn(usize, usize) -> Option<u64>,
    ) -> Vec<(usize, usize)> {
        let (n, m) = (keys.len(), secrets.len());
        let mut pairs = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < n && j < m {
            let here = self.at(i, j);
            if here.0 == 0 {
                break;
            }
            if let (Some(&k), Some(&s)) = (keys.get(i), secrets.get(j)) {
                if let Some(c) = cost(k, s) {
                    let rest = self.at(i + 1, j + 1);
                    if (rest.0 + 1, rest.1 + c) == here {
                        pairs.push((k, s));
                        i += 1;
                        j += 1;
                        continue;
                    }
                }
            }
            if self.at(i + 1, j) == here {
                i += 1;
            } else {
                j += 1;
            }
        }
        pairs
    }
}

/// Nearest-first pairing for blobs with too many candidates for the ordered matching. Only
/// secrets within the pairing window of a key are considered (secrets are sorted by position,
/// so by line), which keeps a file of thousands of pairs linear.
fn greedy_pairs(
    keys: &[usize],
    secrets: &[usize],
    cost: impl Fn(usize, usize) -> Option<u64>,
    line: impl Fn(usize) -> u32,
    pair_lines: u32,
) -> Vec<(usize, usize)> {
    let mut all: Vec<(u64, usize, usize)> = Vec::new();
    for &k in keys {
        let kl = line(k);
        let from = secrets.partition_point(|&s| line(s) + pair_lines < kl);
        for &s in secrets.get(from..).unwrap_or_default() {
            if line(s) > kl + pair_lines {
                break;
            }
            if let Some(c) = cost(k, s) {
                all.push((c, k, s));
            }
        }
    }
    all.sort_unstable();
    let mut used_k = HashSet::new();
    let mut used_s = HashSet::new();
    let mut pairs = Vec::new();
    for (_, k, s) in all {
        if !used_k.contains(&k) && !used_s.contains(&s) {
            used_k.insert(k);
            used_s.insert(s);
            pairs.push((k, s));
        }
    }
    pairs.sort_unstable();
    pairs
}
