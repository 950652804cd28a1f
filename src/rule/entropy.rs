//! The entropy floor of a rule (`entropy` in a rule file), made fair to the value's length and
//! alphabet.
//!
//! The Shannon entropy of a string of `n` characters over `k` symbols is at most
//! `log2(min(n, k))`, and a random one falls short of that by an amount that grows as `n`
//! shrinks: a floor of 3.5 bits drops about 18% of random 32-hex keys and most random 20-hex
//! ones. A rule's floor is therefore capped by what a random value of the same shape reaches:
//! the 0.5th percentile of the entropy of uniformly random strings with the value's length and
//! alphabet (hex, 36 letters and digits of one case, 62 letters and digits), its other
//! characters (`-` in a UUID, `_`, `+`, `/`) counted as one repeated separator. So a random
//! value of a rule's real format passes its floor at least 99.5% of the time, while the floor
//! still drops what random values of that shape almost never look like. A value of letters of
//! one case where the rule's pattern allows both is measured as mixed-case (a word in capitals
//! is no random key of a mixed-case format); hex is hex whatever the pattern allows (no word is
//! written in hex). Values under 16 characters (12 for hex) keep the floor as written: at that
//! length a word or a password (`postgres`, `guest`) is as likely as a random key. The percentile is
//! measured once per shape by a small deterministic simulation, on first need (only a value
//! under the rule's floor needs it), and cached. A value of digits only keeps the floor as
//! written: a random hex or alphanumeric value is almost never digits only, so the cap of
//! those alphabets would be unfair to the floor's purpose, and a digits format states its own.
//! What entropy cannot tell from a random value (`abcd1234efgh5678…`, `a1b2c3…`) is left to
//! `placeholder`.

use std::collections::HashMap;
use std::sync::{LazyLock, RwLock};

/// Shannon entropy in bits per character: the measure a rule's `entropy` floor is stated in.
pub(crate) fn shannon_entropy(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in s {
        // A u8 always indexes a 256-entry table.
        #[allow(clippy::indexing_slicing)]
        {
            counts[b as usize] += 1;
        }
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Whether `secret` passes a rule's entropy floor of `floor` bits per character: its entropy
/// reaches the floor, or the floor is above what 99.5% of random values of its shape reach and
/// its entropy reaches that instead (see the module's note).
/// `mixed_case` says (asked only when needed) whether the rule's pattern lets the value mix
/// upper- and lowercase letters: a value of one case is then measured against random values
/// of both (a word in capitals is no random key of a mixed-case format), except a hex value
/// (no word is written in hex, and a rule often accepts hex of either case).
pub(crate) fn passes_floor(secret: &[u8], floor: f64, mixed_case: impl FnOnce() -> bool) -> bool {
    let h = shannon_entropy(secret);
    if h >= floor {
        return true;
    }
    match Shape::of(secret) {
        Some(mut shape) if secret.len() >= shortest(shape) => {
            if shape.alphabet == 36 && mixed_case() {
                shape.alphabet = 62;
            }
            h >= random_floor(shape)
        }
        _ => false,
    }
}

/// Shorter values keep the floor as written: a value of a few characters is as likely a word
/// or a password (`postgres`, `guest`) as a random key. Hex from 12 characters (some keys are
/// 12 to 15 hex digits, and hardly a word is written in hex), other values from 16.
fn shortest(shape: Shape) -> usize {
    if shape.alphabet == 16 {
        12
    } else {
        16
    }
}

/// The alphabet and length of a value, as far as its entropy depends on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Shape {
    /// Symbols of the smallest standard alphabet holding its letters and digits: 16 (hex of
    /// one case), 36 (letters of one case and digits) or 62.
    pub alphabet: u8,
    /// How many letters and digits it has.
    pub random: u16,
    /// How many other characters (separators, `+`, `/`, `_`, …).
    pub other: u16,
}

/// Longer values are measured as this long (and their other characters in proportion): the
/// entropy of random strings grows with their length, so the floor of a shorter one is the
/// more lenient.
const LONGEST: usize = 256;

impl Shape {
    /// The shape of `v`; `None` for a value without letters (digits and separators only).
    pub(crate) fn of(v: &[u8]) -> Option<Shape> {
        let (mut digits, mut lower_hex, mut lower, mut upper_hex, mut upper) = (0, 0, 0, 0, 0);
        for &b in v {
            match b {
                b'0'..=b'9' => digits += 1,
                b'a'..=b'f' => lower_hex += 1,
                b'g'..=b'z' => lower += 1,
                b'A'..=b'F' => upper_hex += 1,
                b'G'..=b'Z' => upper += 1,
                _ => {}
            }
        }
        let has_lower = lower_hex + lower > 0;
        let has_upper = upper_hex + upper > 0;
        if !has_lower && !has_upper {
            return None;
        }
        let alphabet = if (!has_upper && lower == 0) || (!has_lower && upper == 0) {
            16
        } else if !has_upper || !has_lower {
            36
        } else {
            62
        };
        let random: usize = digits + lower_hex + lower + upper_hex + upper;
        let other = v.len() - random;
        // Scaled down together when longer than `LONGEST`.
        let (random, other) = if v.len() > LONGEST {
            let other = other * LONGEST / v.len();
            (LONGEST - other, other)
        } else {
            (random, other)
        };
        Some(Shape {
            alphabet,
            random: u16::try_from(random).unwrap_or(u16::MAX),
            other: u16::try_from(other).unwrap_or(u16::MAX),
        })
    }

    fn len(self) -> usize {
        usize::from(self.random) + usize::from(self.other)
    }

    /// The shape whose floor stands for this one's: letters and digits past 64 rounded down to
    /// a multiple of 8, other characters rounded up to one of a few counts. Both can only lower
    /// the floor (fewer random characters, more of the one repeated symbol), and they bound the
    /// shapes ever measured to a few thousand (about 1.5 ms each), so that a file of values of
    /// every length and separator count cannot make a scan simulate tens of thousands.
    fn coarse(self) -> Shape {
        const OTHER: [u16; 17] = [
            0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256,
        ];
        let random = if self.random > 64 {
            self.random & !7
        } else {
            self.random
        };
        let other = OTHER
            .iter()
            .copied()
            .find(|&o| o >= self.other)
            .unwrap_or(self.other);
        Shape {
            alphabet: self.alphabet,
            random,
            other,
        }
    }
}

/// Samples drawn per shape, and the rank (from the lowest) taken as its floor: the 0.5th
/// percentile.
const SAMPLES: usize = 8192;
const RANK: usize = SAMPLES / 200;

/// The entropy that 99.5% of random values of this shape reach, measured once (a few
/// milliseconds at most) and cached.
pub(crate) fn random_floor(shape: Shape) -> f64 {
    let shape = shape.coarse();
    static CACHE: LazyLock<RwLock<HashMap<Shape, f64>>> = LazyLock::new(Default::default);
    if let Some(f) = CACHE.read().ok().and_then(|c| c.get(&shape).copied()) {
        return f;
    }
    let f = simulate(shape);
    if let Ok(mut c) = CACHE.write() {
        c.insert(shape, f);
    }
    f
}

/// The `RANK`th lowest entropy of `SAMPLES` random strings of `shape`: `random` characters
/// drawn uniformly from `alphabet` symbols, and `other` copies of one more symbol (merging the
/// other characters into one symbol can only lower the entropy: the floor stays fair to a
/// value whose separators vary). Deterministic: the generator is seeded by the shape. A
/// hair under the measured value, so that a value whose entropy equals it, computed in
/// another order, passes.
fn simulate(shape: Shape) -> f64 {
    let n = shape.len();
    if n == 0 {
        return 0.0;
    }
    let k = usize::from(shape.alphabet);
    // c * log2(c) for every count a symbol can reach.
    let c_log_c: Vec<f64> = (0..=n)
        .map(|c| {
            let c = c as f64;
            if c > 0.0 {
                c * c.log2()
            } else {
                0.0
            }
        })
        .collect();
    let term = |c: usize| c_log_c.get(c).copied().unwrap_or(0.0);
    let log_n = (n as f64).log2();
    let mut rng = SplitMix(
        0x6b65_7968_6f75_6e64
            ^ (u64::from(shape.alphabet) << 48)
            ^ (u64::from(shape.random) << 24)
            ^ u64::from(shape.other),
    );
    let mut counts = vec![0usize; k];
    let mut entropies: Vec<f64> = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        counts.iter_mut().for_each(|c| *c = 0);
        for _ in 0..shape.random {
            if let Some(c) = counts.get_mut(rng.below(k)) {
                *c += 1;
            }
        }
        let sum: f64 = counts.iter().map(|&c| term(c)).sum::<f64>() + term(shape.other.into());
        entropies.push(log_n - sum / n as f64);
    }
    entropies.sort_by(f64::total_cmp);
    entropies.get(RANK).copied().unwrap_or(0.0) - 1e-9
}

/// A small deterministic generator (SplitMix64): the same shape always gets the same floor.
pub(crate) struct SplitMix(pub u64);

impl SplitMix {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..k` (the bias of a 64-bit multiply is far below what matters here).
    pub(crate) fn below(&mut self, k: usize) -> usize {
        ((u128::from(self.next()) * k as u128) >> 64) as usize
    }
}

#[cfg(test)]
pub(crate) mod tests;
