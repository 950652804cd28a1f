//! The order-preserving matching of key IDs to secrets in one blob: the first key goes with
//! the first secret, so interleaved pairs pair correctly; the number of pairs is maximised and,
//! among matchings with that many, the total distance minimised.
//!
//! The candidates are first cut into independent groups: a cut between two neighbours (in the
//! order of the blob) is taken wherever no eligible pair could cross it, which is exact, since
//! pairs of one group can neither cross nor bar pairs of another (and `Entry` keeps the choice
//! among equally good matchings that one table over the whole blob would make). Each group is then matched by
//! the exact table of all its key × secret combinations while it has at most `DP_LIMIT` of
//! them, which covers every blob of ordinary size and every file of records on separate
//! lines. A larger group (thousands of candidates on one line, as in minified JSON) is matched
//! by the same recurrence restricted to a band: a key pairs only with a secret that has at most
//! `BAND` other key IDs and secrets between them. Within that restriction the answer is still
//! the exact optimum, with the same tie-breaks as the full table (see `band`), and the cost is
//! linear in the candidates; what it gives up is pairing a key with a secret hundreds of
//! candidates away, whose parts are then reported alone.

mod band;

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

/// Above this many key×secret combinations in one group, the group is matched in a band.
const DP_LIMIT: usize = 1 << 20;

/// Other key IDs and secrets that may stand between the two halves of a pair in a group
/// matched in a band.
const BAND: usize = 32;

/// The pairs (key index, secret index) of an order-preserving matching of `keys` to
/// `secrets` (candidate indices, each list increasing, so in the order of the blob), in order;
/// `side(i)` gives the facts of candidate `i`.
pub(crate) fn pairs(
    keys: &[usize],
    secrets: &[usize],
    params: &Params,
    side: impl Fn(usize) -> Option<Side>,
) -> Vec<(usize, usize)> {
    if keys.is_empty() || secrets.is_empty() {
        return Vec::new();
    }
    let problem = Problem::new(keys, secrets, params, &side);
    let mut out = Vec::new();
    // How the walk of one table over the whole blob would enter the next group (see
    // `Entry`): the secret it stands at when it leaves a group.
    let mut left_at = Some(0);
    for g in problem.groups() {
        let entry = if left_at == Some(g.secrets.start) {
            Entry::First
        } else {
            Entry::After
        };
        let (n, m) = (g.keys.len(), g.secrets.len());
        let cost = |i: usize, j: usize| problem.cost(g.keys.start + i, g.secrets.start + j);
        let (local, done) = if n.saturating_mul(m) <= DP_LIMIT {
            Table::fill(n, m, &cost).pairs(n, m, &cost, entry)
        } else {
            let rank = |r: &[u64], range: &std::ops::Range<usize>| -> Vec<u64> {
                r.get(range.clone()).unwrap_or_default().to_vec()
            };
            band::pairs(
                &rank(&problem.key_rank, &g.keys),
                &rank(&problem.secret_rank, &g.secrets),
                BAND as u64,
                &cost,
                entry,
            )
        };
        left_at = done.then_some(g.secrets.end);
        out.extend(local.into_iter().filter_map(|(i, j)| {
            Some((
                *keys.get(g.keys.start + i)?,
                *secrets.get(g.secrets.start + j)?,
            ))
        }));
    }
    out
}

/// Where the walk of one table over every key and secret of the blob (the matcher that
/// groups replace, whose answers they keep) stands when it reaches a group's first key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    /// At the group's first secret: the group is walked as a table of its own.
    First,
    /// At an earlier secret, which no key of the group can take: that walk first skips each
    /// key whose loss costs the group nothing, and only then reaches the group's secrets.
    After,
}

/// The cost of pairing `key` with `secret` (lines apart, then bytes apart), or `None` when they
/// are too far apart or one is a documentation example and the other is not.
fn eligible(key: &Side, secret: &Side, params: &Params) -> Option<u64> {
    let lines = key.line.abs_diff(secret.line);
    if lines > window(secret, params) || key.example != secret.example {
        return None;
    }
    let bytes = key.start.abs_diff(secret.start) as u64;
    Some(u64::from(lines) * 1_000_000 + bytes.min(999_999))
}

/// Lines from a key within which `secret` may pair with it.
fn window(secret: &Side, params: &Params) -> u32 {
    if secret.named {
        params.pair_lines
    } else {
        u32::try_from(params.near_lines).unwrap_or(u32::MAX)
    }
}

/// A blob's keys and secrets with their facts and their ranks in the order of the blob.
struct Problem<'a> {
    keys: Vec<Option<Side>>,
    secrets: Vec<Option<Side>>,
    /// Position of each key among all keys and secrets, in the order of the blob.
    key_rank: Vec<u64>,
    secret_rank: Vec<u64>,
    params: &'a Params,
}

/// A group of consecutive keys and secrets (index ranges into `Problem`) that no eligible
/// pair joins to any other.
struct Group {
    keys: std::ops::Range<usize>,
    secrets: std::ops::Range<usize>,
}

impl<'a> Problem<'a> {
    fn new(
        keys: &[usize],
        secrets: &[usize],
        params: &'a Params,
        side: &dyn Fn(usize) -> Option<Side>,
    ) -> Problem<'a> {
        // Candidate indices are distinct and each list is increasing: a merge gives the ranks.
        let key_rank = (0..keys.len())
            .map(|i| {
                let before = keys
                    .get(i)
                    .map_or(0, |&k| secrets.partition_point(|&s| s < k));
                (i + before) as u64
            })
            .collect();
        let secret_rank = (0..secrets.len())
            .map(|j| {
                let before = secrets
                    .get(j)
                    .map_or(0, |&s| keys.partition_point(|&k| k < s));
                (j + before) as u64
            })
            .collect();
        Problem {
            keys: keys.iter().map(|&k| side(k)).collect(),
            secrets: secrets.iter().map(|&s| side(s)).collect(),
            key_rank,
            secret_rank,
            params,
        }
    }

    fn cost(&self, i: usize, j: usize) -> Option<u64> {
        match (self.keys.get(i), self.secrets.get(j)) {
            (Some(Some(k)), Some(Some(s))) => eligible(k, s, self.params),
            _ => None,
        }
    }

    /// The groups with at least one eligible pair, in order. Each secret can pair only with the
    /// keys within its window of lines, a run of consecutive keys (lines never decrease along
    /// the blob); the stretch from the secret to the farthest of them cannot be cut, and the
    /// groups are the unions of overlapping stretches.
    fn groups(&self) -> Vec<Group> {
        // Lines never decrease with the position; the running maximum only guards the search
        // against a candidate without facts.
        let mut last = 0;
        let key_lines: Vec<u32> = self
            .keys
            .iter()
            .map(|k| {
                last = last.max(k.map_or(0, |k| k.line));
                last
            })
            .collect();
        let mut stretches: Vec<(u64, u64)> = Vec::new();
        for (j, s) in self.secrets.iter().enumerate() {
            let (Some(s), Some(&rank)) = (s, self.secret_rank.get(j)) else {
                continue;
            };
            let w = window(s, self.params);
            let from = key_lines.partition_point(|&l| l < s.line.saturating_sub(w));
            let to = key_lines.partition_point(|&l| l <= s.line.saturating_add(w));
            let (Some(&first), Some(&last)) = (
                self.key_rank.get(from),
                to.checked_sub(1).and_then(|t| self.key_rank.get(t)),
            ) else {
                continue;
            };
            if from < to {
                stretches.push((rank.min(first), rank.max(last)));
            }
        }
        stretches.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::new();
        for (a, b) in stretches {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        let within = |ranks: &[u64], a: u64, b: u64| {
            ranks.partition_point(|&r| r < a)..ranks.partition_point(|&r| r <= b)
        };
        merged
            .into_iter()
            .map(|(a, b)| Group {
                keys: within(&self.key_rank, a, b),
                secrets: within(&self.secret_rank, a, b),
            })
            .collect()
    }
}

/// (pairs, total cost) of a matching; more pairs is better, then less cost.
type Value = (u32, u64);

fn better(a: Value, b: Value) -> bool {
    a.0 > b.0 || (a.0 == b.0 && a.1 < b.1)
}

/// `a` with one more pair of cost `c`.
fn plus(a: Value, c: u64) -> Value {
    (a.0.saturating_add(1), a.1.saturating_add(c))
}

/// The table of the order-preserving matching: `best[i][j]` is the best value using keys
/// `i..` and secrets `j..`; `cost(i, j)` says whether key `i` may pair with secret `j`.
struct Table {
    best: Vec<Value>,
    width: usize,
}

impl Table {
    fn at(&self, i: usize, j: usize) -> Value {
        self.best
            .get(i * self.width + j)
            .copied()
            .unwrap_or_default()
    }

    fn fill(n: usize, m: usize, cost: &dyn Fn(usize, usize) -> Option<u64>) -> Table {
        let mut t = Table {
            best: vec![(0u32, 0u64); (n + 1) * (m + 1)],
            width: m + 1,
        };
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                let mut b = t.at(i + 1, j);
                let skip_s = t.at(i, j + 1);
                if better(skip_s, b) {
                    b = skip_s;
                }
                if let Some(c) = cost(i, j) {
                    let take = plus(t.at(i + 1, j + 1), c);
                    if better(take, b) {
                        b = take;
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

    /// Walks the filled table back to the pairs it chose: a pair where taking it is best,
    /// else the next key where skipping this key is as good, else the next secret. Also says
    /// whether the walk used up the secrets (see `Entry`).
    fn pairs(
        &self,
        n: usize,
        m: usize,
        cost: &dyn Fn(usize, usize) -> Option<u64>,
        entry: Entry,
    ) -> (Vec<(usize, usize)>, bool) {
        let mut pairs = Vec::new();
        let (mut i, mut j) = (0, 0);
        if entry == Entry::After {
            while i < n && self.at(i + 1, 0) == self.at(i, 0) {
                i += 1;
            }
            if i == n {
                return (pairs, false);
            }
        }
        while i < n && j < m {
            let here = self.at(i, j);
            if here.0 == 0 {
                break;
            }
            if let Some(c) = cost(i, j) {
                if plus(self.at(i + 1, j + 1), c) == here {
                    pairs.push((i, j));
                    i += 1;
                    j += 1;
                    continue;
                }
            }
            if self.at(i + 1, j) == here {
                i += 1;
            } else {
                j += 1;
            }
        }
        (pairs, j >= m)
    }
}

#[cfg(test)]
mod tests;
