//! Placeholder values recognised by their shape, for a value under its rule's written entropy
//! floor that passes only because the floor is capped for its length and alphabet
//! (`rule::entropy`): what people type where a key goes has structure that entropy cannot see,
//! and lowering a floor must not let it through. A value is a placeholder when it holds
//!
//! - a sequential run of 6 characters (`abcdef`, `123456`, `fedcba`, `987654`, keyboard rows
//!   `qwerty`, `asdfgh`, `zxcvbn`, `567890`), or runs of 4 or more covering 8 characters
//!   (`abcd1234`, `zyxw9876`);
//! - two interleaved runs (`a1b2c3d4`, `z9y8x7w6`): 8 characters, each one step from the one
//!   two before it, each half keeping its direction;
//! - a block repeated (`abcabcabc`, `1234512345`, `Asdf1234asdf1234`): a period of up to 16
//!   characters repeated in full at least once, over at least 5 characters (a run of one
//!   character, `AAAAAAAAAA`, is part of some formats and is left to the entropy floor);
//! - few distinct characters: fewer than a third of what its length and alphabet allow.
//!
//! Letters compare without case. Values over 128 characters are not checked (see `LONGEST`).
//! The thresholds are set so that random keys almost never
//! trip them: the tests measure under 0.1% of 100,000 random values of each common format
//! (32 and 40 hex, 20 to 40 letters and digits, UUIDs).

/// Whether `v` has the shape of a placeholder (see the module's note).
pub(crate) fn is_placeholder(v: &[u8]) -> bool {
    v.len() <= LONGEST && (sequential(v) || interleaved(v) || repeated(v) || few_distinct(v))
}

/// Longer values are not checked: a placeholder is typed by hand where a key goes, and a
/// value of hundreds of characters is an encoding (a PEM body, a JWT, a URL) whose structure
/// holds runs that a random string would not.
const LONGEST: usize = 128;

/// The keyboard rows, as (row, column) of a lowercase character.
fn key(b: u8) -> Option<(u8, u8)> {
    let k = *KEYS.get(usize::from(b))?;
    (k != 0).then(|| (k >> 4, (k & 15) - 1))
}

/// Row * 16 + column + 1 of each character on a keyboard row, 0 for the others (indices of
/// constants, checked when it compiles).
#[allow(clippy::indexing_slicing)]
const KEYS: [u8; 256] = {
    const ROWS: [&[u8]; 4] = [b"1234567890", b"qwertyuiop", b"asdfghjkl", b"zxcvbnm"];
    let mut t = [0u8; 256];
    let mut r = 0;
    while r < ROWS.len() {
        let mut c = 0;
        while c < ROWS[r].len() {
            t[ROWS[r][c] as usize] = (r as u8) * 16 + c as u8 + 1;
            c += 1;
        }
        r += 1;
    }
    t
};

/// The relations of `b` to the character `a` before it, as bits: next (1) or previous (2) in
/// the alphabet or among the digits, next (4) or previous (8) on a keyboard row.
fn steps(a: u8, b: u8) -> u8 {
    let (a, b) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
    let same = (a.is_ascii_digit() && b.is_ascii_digit())
        || (a.is_ascii_lowercase() && b.is_ascii_lowercase());
    let mut s = 0;
    if same && b == a.wrapping_add(1) {
        s |= 1;
    }
    if same && a == b.wrapping_add(1) {
        s |= 2;
    }
    if let (Some((ra, ca)), Some((rb, cb))) = (key(a), key(b)) {
        if ra == rb && cb == ca + 1 {
            s |= 4;
        }
        if ra == rb && ca == cb + 1 {
            s |= 8;
        }
    }
    s
}

/// A run of 6 characters, each one step on from the one before in the same direction, or
/// runs of at least 4 covering 8 characters.
fn sequential(v: &[u8]) -> bool {
    let mut run = [1usize; 4];
    let (mut covered, mut covered_to) = (0, 0);
    for (i, w) in v.windows(2).enumerate() {
        let (&[a, b], end) = (w, i + 2) else {
            continue;
        };
        let s = steps(a, b);
        for (bit, r) in run.iter_mut().enumerate() {
            *r = if s & (1 << bit) != 0 { *r + 1 } else { 1 };
            if *r >= 6 {
                return true;
            }
            if *r >= 4 {
                covered += end - covered_to.max(end - *r);
                covered_to = end;
            }
        }
        if covered >= 8 {
            return true;
        }
    }
    false
}

/// Six steps in a row where each character is one step from the one two before it, in the
/// same direction as the step before it in its half: `a1b2c3d4` (letters up, digits up),
/// `z9y8x7w6`.
fn interleaved(v: &[u8]) -> bool {
    let mut run = 0;
    // The relations the run of each half (even, odd positions) still follows.
    let mut follows = [0xf_u8; 2];
    for (i, w) in v.windows(3).enumerate() {
        let &[a, _, c] = w else {
            continue;
        };
        let s = steps(a, c);
        let half = i % 2;
        let kept = s & follows.get(half).copied().unwrap_or(0);
        if kept != 0 {
            run += 1;
        } else {
            run = usize::from(s != 0);
            follows = [0xf; 2];
        }
        if let Some(f) = follows.get_mut(half) {
            *f = if kept != 0 {
                kept
            } else if s != 0 {
                s
            } else {
                0xf
            };
        }
        if run >= 6 {
            return true;
        }
    }
    false
}

/// A block of up to 16 characters followed by a copy of itself, the copy at least 5
/// characters long; not a run of one character (`AAAAAAAAAA` is part of some formats, and a
/// value made of it has no entropy anyway).
fn repeated(v: &[u8]) -> bool {
    for p in 1..=(v.len() / 2).min(16) {
        let need = p.max(5);
        let mut run = 0;
        for (i, (a, b)) in v.iter().zip(v.iter().skip(p)).enumerate() {
            run = if a.eq_ignore_ascii_case(b) {
                run + 1
            } else {
                0
            };
            if run >= need {
                // The repeated stretch, block and copy: v[i + 1 - run ..= i + p].
                let stretch = v.get(i + 1 - run..=i + p).unwrap_or_default();
                if stretch.iter().any(|c| !c.eq_ignore_ascii_case(b)) {
                    return true;
                }
            }
        }
    }
    false
}

/// Fewer distinct characters (case ignored) than a third of what its length and alphabet
/// allow: a value of 32 hex characters with 5 distinct ones.
fn few_distinct(v: &[u8]) -> bool {
    let mut seen = [false; 256];
    let (mut distinct, mut letters, mut hex) = (0, false, true);
    for &b in v {
        let b = b.to_ascii_lowercase();
        letters |= b.is_ascii_lowercase();
        hex &= !b.is_ascii_lowercase() || b <= b'f';
        if let Some(s) = seen.get_mut(usize::from(b)) {
            if !*s {
                *s = true;
                distinct += 1;
            }
        }
    }
    let alphabet = match (letters, hex) {
        (false, _) => 10,
        (true, true) => 16,
        (true, false) => 36,
    };
    distinct * 3 < v.len().min(alphabet)
}

#[cfg(test)]
mod tests;
