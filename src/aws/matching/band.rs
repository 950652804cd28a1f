//! The matching of a group too large for the full table: the same recurrence and the same
//! tie-breaks as `Table`, for the problem in which key `i` may pair with secret `j` only when
//! their ranks (positions among all the group's keys and secrets) differ by at most `band`.
//!
//! With `D(i, j)` = rank of key `i` − rank of secret `j`, which grows with `i` and falls with
//! `j`, the cells of the table fall in three regions:
//!
//! - the band, `|D| <= band`: computed and stored (a decision byte each), at most `2 × band`
//!   cells per key;
//! - `D > band` (secret `j` lies far before key `i`, and before every later key): secret `j`
//!   can pair with no remaining key, so the value is that of the first band cell of row `i`,
//!   `row_entry[i]`;
//! - `D < -band` (key `i` lies far before secret `j` and every later secret): key `i` can pair
//!   with no remaining secret, so the value is that of the first row that reaches column `j`,
//!   `column_entry[j]`.
//!
//! The walk back through the table makes the same comparisons as `Table::pairs`, reading those
//! two arrays outside the band, so the pairs are the ones the full table would give for the
//! banded problem (the tests check it).

use super::{better, plus, Entry, Value};

/// What the walk does at a band cell.
const TAKE: u8 = 0;
const NEXT_KEY: u8 = 1;
const NEXT_SECRET: u8 = 2;

/// The filled band.
struct Banded<'a> {
    key_rank: &'a [u64],
    secret_rank: &'a [u64],
    band: u64,
    /// The band of row `i` is the secrets `lo[i]..hi[i]`.
    lo: Vec<usize>,
    hi: Vec<usize>,
    /// Where row `i`'s decisions start in `decisions`.
    offset: Vec<usize>,
    decisions: Vec<u8>,
    /// The value of row `i` left of its band (and 0 past the last key).
    row_entry: Vec<Value>,
    /// The value of column `j` below the band, i.e. at the first row whose band reaches it.
    column_entry: Vec<Value>,
}

/// The pairs (key, secret) of the banded problem, in order, and whether the walk used up the
/// secrets (as `Table::pairs`). `key_rank` and `secret_rank` increase; `cost(i, j)` says
/// whether key `i` may pair with secret `j` at all.
pub(super) fn pairs(
    key_rank: &[u64],
    secret_rank: &[u64],
    band: u64,
    cost: &dyn Fn(usize, usize) -> Option<u64>,
    entry: Entry,
) -> (Vec<(usize, usize)>, bool) {
    let (n, m) = (key_rank.len(), secret_rank.len());
    let lo: Vec<usize> = key_rank
        .iter()
        .map(|&r| secret_rank.partition_point(|&s| s.saturating_add(band) < r))
        .collect();
    let hi: Vec<usize> = key_rank
        .iter()
        .map(|&r| secret_rank.partition_point(|&s| s <= r.saturating_add(band)))
        .collect();
    let mut offset = Vec::with_capacity(n + 1);
    let mut total = 0;
    for (l, h) in lo.iter().zip(&hi) {
        offset.push(total);
        total += h.saturating_sub(*l);
    }
    offset.push(total);
    let mut b = Banded {
        key_rank,
        secret_rank,
        band,
        lo,
        hi,
        offset,
        decisions: vec![NEXT_SECRET; total],
        row_entry: vec![(0, 0); n + 1],
        column_entry: vec![(0, 0); m + 1],
    };
    b.fill(cost);
    b.walk(entry)
}

impl Banded<'_> {
    fn rows(&self) -> usize {
        self.key_rank.len()
    }

    fn columns(&self) -> usize {
        self.secret_rank.len()
    }

    fn band_of(&self, i: usize) -> (usize, usize) {
        (
            self.lo.get(i).copied().unwrap_or(0),
            self.hi.get(i).copied().unwrap_or(0),
        )
    }

    /// The value at (i, j); `row` holds row `i`'s band values when it is being filled or was
    /// just filled.
    fn value(&self, i: usize, j: usize, row: &[Value]) -> Value {
        if i >= self.rows() || j >= self.columns() {
            return (0, 0);
        }
        let (lo, hi) = self.band_of(i);
        if j < lo {
            self.row_entry.get(i).copied().unwrap_or_default()
        } else if j >= hi {
            self.column_entry.get(j).copied().unwrap_or_default()
        } else {
            row.get(j - lo).copied().unwrap_or_default()
        }
    }

    /// Fills the band from the last row up, keeping two rows of values.
    fn fill(&mut self, cost: &dyn Fn(usize, usize) -> Option<u64>) {
        let mut below: Vec<Value> = Vec::new();
        for i in (0..self.rows()).rev() {
            let (lo, hi) = self.band_of(i);
            let mut row = vec![(0u32, 0u64); hi.saturating_sub(lo)];
            for j in (lo..hi).rev() {
                let skip_key = self.value(i + 1, j, &below);
                let skip_secret = self.value(i, j + 1, &row);
                let mut best = skip_key;
                if better(skip_secret, best) {
                    best = skip_secret;
                }
                let take = cost(i, j).map(|c| plus(self.value(i + 1, j + 1, &below), c));
                if let Some(t) = take {
                    if better(t, best) {
                        best = t;
                    }
                }
                let decision = if take == Some(best) {
                    TAKE
                } else if skip_key == best {
                    NEXT_KEY
                } else {
                    NEXT_SECRET
                };
                if let Some(slot) = row.get_mut(j - lo) {
                    *slot = best;
                }
                let at = self.offset.get(i).copied().unwrap_or(0) + (j - lo);
                if let Some(d) = self.decisions.get_mut(at) {
                    *d = decision;
                }
            }
            // Also the value at column 0 (left of the band, or the band's first cell, or below
            // the band when the row reaches no secret), which the walk of `Entry::After` reads.
            let entry = self.value(i, lo, &row);
            if let Some(e) = self.row_entry.get_mut(i) {
                *e = entry;
            }
            // The columns whose first reaching row is this one: those this row's band reaches
            // and the next row up does not.
            let first = match i.checked_sub(1) {
                Some(up) => self.band_of(up).1,
                None => 0,
            };
            for j in first..hi {
                let v = self.value(i, j, &row);
                if let Some(e) = self.column_entry.get_mut(j) {
                    *e = v;
                }
            }
            below = row;
        }
    }

    /// The first key whose band reaches secret `j`.
    fn first_row_reaching(&self, j: usize) -> usize {
        let s = self.secret_rank.get(j).copied().unwrap_or(0);
        self.key_rank
            .partition_point(|&r| r.saturating_add(self.band) < s)
    }

    /// The walk of `Table::pairs`, through the band and the two regions around it.
    fn walk(&self, entry: Entry) -> (Vec<(usize, usize)>, bool) {
        let (n, m) = (self.rows(), self.columns());
        let mut pairs = Vec::new();
        let (mut i, mut j) = (0, 0);
        // Column 0's value in row `i` is its entry value (see `fill`).
        let first = |i: usize| self.row_entry.get(i).copied().unwrap_or_default();
        if entry == Entry::After {
            while i < n && first(i + 1) == first(i) {
                i += 1;
            }
            if i == n {
                return (pairs, false);
            }
        }
        while i < n && j < m {
            let (lo, hi) = self.band_of(i);
            if j < lo {
                // Every remaining cell of this row left of the band has this row's entry
                // value, and the row below it has its own: skip the key when that is as good,
                // else the secrets up to the band.
                let here = self.row_entry.get(i).copied().unwrap_or_default();
                if here.0 == 0 {
                    break;
                }
                if self.row_entry.get(i + 1).copied().unwrap_or_default() == here {
                    i += 1;
                } else {
                    j = lo;
                }
            } else if j >= hi {
                // Skipping the key is always as good here, down to the first row that
                // reaches this secret.
                i = self.first_row_reaching(j).max(i + 1);
            } else {
                let at = self.offset.get(i).copied().unwrap_or(0) + (j - lo);
                match self.decisions.get(at).copied().unwrap_or(NEXT_SECRET) {
                    TAKE => {
                        pairs.push((i, j));
                        i += 1;
                        j += 1;
                    }
                    NEXT_KEY => i += 1,
                    _ => j += 1,
                }
            }
        }
        (pairs, j >= m)
    }
}
