#![allow(clippy::indexing_slicing)]

use super::*;

/// xorshift64, for reproducible random cases.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// Random cases per test.
const ROUNDS: usize = 3000;

fn params(pair_lines: u32, near_lines: usize) -> Params {
    Params {
        key_id_prefixes: Vec::new(),
        temporary_prefixes: Vec::new(),
        secret_names: Vec::new(),
        token_names: Vec::new(),
        pair_only_token_names: Vec::new(),
        near_lines,
        pair_lines,
    }
}

/// A blob's candidates in order: (is a key, its facts).
struct Case {
    sides: Vec<Side>,
    keys: Vec<usize>,
    secrets: Vec<usize>,
}

impl Case {
    fn random(rng: &mut Rng, len: usize) -> Case {
        let (mut line, mut start) = (1u32, 0usize);
        let (mut sides, mut keys, mut secrets) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..len {
            // Mostly small steps, so that windows overlap and groups form; sometimes a jump.
            line += match rng.below(10) {
                0..=5 => 0,
                6..=8 => 1,
                _ => rng.below(8) as u32,
            };
            // Equal distances are common in generated records: keep them, they test ties.
            start += 1 + 10 * rng.below(4) as usize;
            sides.push(Side {
                line,
                start,
                named: rng.below(2) == 0,
                example: rng.below(12) == 0,
            });
            if rng.below(2) == 0 {
                keys.push(i);
            } else {
                secrets.push(i);
            }
        }
        Case {
            sides,
            keys,
            secrets,
        }
    }

    fn side(&self) -> impl Fn(usize) -> Option<Side> + '_ {
        |i| self.sides.get(i).copied()
    }

    /// The full table over every key and secret, with `cost` in candidate indices: the matcher
    /// as it was before groups and bands (with `Entry::First`).
    fn table(
        &self,
        cost: &dyn Fn(usize, usize) -> Option<u64>,
        entry: Entry,
    ) -> (Vec<(usize, usize)>, bool) {
        let (n, m) = (self.keys.len(), self.secrets.len());
        let local = |i: usize, j: usize| cost(self.keys[i], self.secrets[j]);
        let (pairs, done) = Table::fill(n, m, &local).pairs(n, m, &local, entry);
        (self.global(pairs), done)
    }

    fn global(&self, pairs: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
        pairs
            .into_iter()
            .map(|(i, j)| (self.keys[i], self.secrets[j]))
            .collect()
    }

    fn eligible(&self, p: &Params) -> impl Fn(usize, usize) -> Option<u64> + '_ {
        let p = p.clone();
        move |k, s| eligible(&self.sides[k], &self.sides[s], &p)
    }
}

#[test]
fn groups_give_the_full_tables_answers() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..ROUNDS {
        let len = 1 + rng.below(40) as usize;
        let case = Case::random(&mut rng, len);
        let p = params(1 + rng.below(4) as u32, 1 + rng.below(2) as usize);
        let want = case.table(&case.eligible(&p), Entry::First).0;
        let got = pairs(&case.keys, &case.secrets, &p, case.side());
        assert_eq!(got, want, "round {round}");
    }
}

#[test]
fn band_gives_the_full_tables_answers_for_the_banded_problem() {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    for round in 0..ROUNDS {
        let len = 1 + rng.below(48) as usize;
        let case = Case::random(&mut rng, len);
        let p = params(1 + rng.below(4) as u32, 1 + rng.below(2) as usize);
        let band = rng.below(7);
        let problem = Problem::new(&case.keys, &case.secrets, &p, &case.side());
        let rank = |i: usize| -> u64 {
            match case.keys.binary_search(&i) {
                Ok(k) => problem.key_rank[k],
                Err(_) => problem.secret_rank[case.secrets.binary_search(&i).unwrap_or(0)],
            }
        };
        let within = case.eligible(&p);
        let restricted = |k: usize, s: usize| {
            if rank(k).abs_diff(rank(s)) <= band {
                within(k, s)
            } else {
                None
            }
        };
        let cost = |i: usize, j: usize| problem.cost(i, j);
        let (keys, secrets) = (&problem.key_rank, &problem.secret_rank);
        for entry in [Entry::First, Entry::After] {
            let want = case.table(&restricted, entry);
            let (got, done) = band::pairs(keys, secrets, band, &cost, entry);
            assert_eq!((case.global(got), done), want, "round {round}, band {band}");
            // A band wider than the blob is no restriction at all.
            let (all, done) = band::pairs(keys, secrets, len as u64, &cost, entry);
            let want = case.table(&within, entry);
            assert_eq!((case.global(all), done), want, "round {round}, whole");
        }
    }
}

#[test]
fn thousands_of_records_on_one_line_pair_in_linear_time() {
    // 20,000 records `key, secret` on one line (400 million combinations for the full table)
    // and a stray key in the middle: the band pairs each key with its own secret and leaves
    // the stray key alone.
    let n = 40_000;
    let mut sides = Vec::new();
    for i in 0..2 * n + 1 {
        sides.push(Side {
            line: 1,
            start: i * 60,
            named: true,
            example: false,
        });
    }
    // Candidate n is the stray key, just before the key of record n/2.
    let stray_key = n;
    let mut keys: Vec<usize> = (0..n).step_by(2).collect();
    keys.push(stray_key);
    keys.extend((n + 1..2 * n + 1).step_by(2));
    let secrets: Vec<usize> = (1..n)
        .step_by(2)
        .chain((n + 2..2 * n + 1).step_by(2))
        .collect();
    let side = |i: usize| sides.get(i).copied();
    let got = pairs(&keys, &secrets, &params(50, 4), side);
    assert_eq!(got.len(), n, "{:?}", got.get(..4));
    assert!(got.iter().all(|&(k, s)| s == k + 1), "{:?}", got.get(..4));
    assert!(got.iter().all(|&(k, _)| k != stray_key));
}

#[test]
fn far_groups_do_not_share_a_table() {
    // 5,000 pairs, one per 100 lines (25 million combinations for one table): each pair is a
    // group of its own, matched by its own small table.
    let mut sides = Vec::new();
    let (mut keys, mut secrets) = (Vec::new(), Vec::new());
    for r in 0..5_000u32 {
        for (k, line) in [(true, r * 100 + 1), (false, r * 100 + 3)] {
            if k {
                keys.push(sides.len());
            } else {
                secrets.push(sides.len());
            }
            sides.push(Side {
                line,
                start: line as usize * 40,
                named: true,
                example: false,
            });
        }
    }
    let side = |i: usize| sides.get(i).copied();
    let p = params(50, 4);
    let problem = Problem::new(&keys, &secrets, &p, &side);
    assert_eq!(problem.groups().len(), 5_000);
    let got = pairs(&keys, &secrets, &p, side);
    assert_eq!(got.len(), 5_000);
    assert!(got.iter().all(|&(k, s)| s == k + 1));
}
