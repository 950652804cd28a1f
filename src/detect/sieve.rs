//! A single-pass search for many needles at once, each exact or ASCII case-insensitive: the
//! prefilter's search once the needles outnumber what SIMD Teddy searchers take in a few passes
//! (hundreds of rule keywords).
//!
//! Every position of the blob is looked up in a bitmap of fingerprints: four bytes of
//! each needle, chosen as those least frequent in real code (`rarest_gram`, by the tables of
//! `grams`: `otio` of `notion`, not `tion`; `hawk` of `stackhawk`, not `tack`). The bytes are
//! folded first (each with its case bit 0x20 set), so that `Tion`, `TION` and `tion` are one
//! sequence and a case-insensitive needle needs one fingerprint, not one per spelling. The
//! bitmap (32 KiB, in the L1 cache) is 8,192 words of 32 bits. Positions go in pairs, an even
//! one and the next: their two windows share three bytes, which pick the word both are looked
//! up in, so one load serves two positions; a hash of each window's four bytes picks two bits in
//! that word, and a position is marked only when both are set (a blocked Bloom filter). A
//! fingerprint's bits are set in its word for either parity, since a needle may start anywhere.
//!
//! With AVX2, sixteen positions are hashed and looked up at a time (eight loads for eight
//! pairs), and the marks of a few thousand positions are written out before any is looked at,
//! so that the pass has no branch that depends on a lookup (a mispredicted one waits for the
//! lookup, then starts over).
//! Only a marked position is compared with the needles whose fingerprint it has, eight bytes at
//! once first, then byte for byte (exact) or ignoring ASCII case (folded). Exact needles of
//! three bytes (the built-in rules' `xox`, `0Q~`, `EAA`) are searched by a Teddy pass; the other
//! needles of one to three bytes by an Aho-Corasick automaton over their spellings. The cost is
//! one pass whatever the number of needles, and unlike a DFA it needs no lowercased copy of the
//! blob and no table that outgrows the cache.

use std::collections::HashMap;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, MatchKind};

use super::grams;
use super::prefilter::Needles;

/// log2 of the bitmap size in bits.
const BITS: u32 = 18;
const SLOTS: usize = 1 << BITS;
const WORDS: usize = SLOTS / 64;
/// log2 of the number of 32-bit words of the bitmap.
const KEY_BITS: u32 = BITS - 5;

/// Every byte of a little-endian window with its case bit set.
const FOLD: u32 = 0x2020_2020;

const KEY_MUL: u32 = 0x9E37_79B1;
/// Hashes a window for its two bits (independent of the word, which `KEY_MUL` picks).
const BIT_MUL: u32 = 0x85EB_CA77;

/// The table slot of a folded four-byte window (where `Table` files the needles it
/// fingerprints).
#[inline(always)]
fn slot4(w: u32) -> usize {
    (w.wrapping_mul(KEY_MUL) >> (32 - BITS)) as usize
}

/// The marks of four blocks of sixteen positions as the SIMD pass writes them (per 16-bit block,
/// the eight even positions in the low byte and the eight odd ones in the high byte), in
/// position order: bit `k` for the position `k` from the first.
#[inline(always)]
fn unpair(word: u64) -> u64 {
    const LOW: u64 = 0x00FF_00FF_00FF_00FF;
    // Each block's low byte spread to its even bits (bit `k` to bit `2k`).
    let spread = |mut x: u64| {
        x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
        x = (x | (x << 2)) & 0x3333_3333_3333_3333;
        (x | (x << 1)) & 0x5555_5555_5555_5555
    };
    spread(word & LOW) | (spread((word >> 8) & LOW) << 1)
}

/// Positions whose marks are written out before any is looked at (a multiple of 64).
const CHUNK: usize = 4096;

/// One needle.
struct Needle {
    bytes: Vec<u8>,
    /// Compared ignoring ASCII case.
    fold: bool,
    /// The ids it stands for.
    ids: Vec<usize>,
    /// A quick first test on the eight bytes at a position (`word`): `word | fold & keep ==
    /// head`, where `keep` covers the needle's first eight bytes (or all of it), `fold` sets
    /// the case bit of its letters when it is folded, and `head` is those bytes so treated.
    /// Bytes that differ only in the case bit but are not letters pass it; the full comparison
    /// that follows rejects them.
    head: u64,
    keep: u64,
    case: u64,
}

impl Needle {
    fn new(bytes: Vec<u8>, fold: bool) -> Needle {
        let (mut head, mut keep, mut case) = ([0u8; 8], [0u8; 8], [0u8; 8]);
        for (i, &b) in bytes.iter().take(8).enumerate() {
            let letter = fold && b.is_ascii_alphabetic();
            if let (Some(h), Some(k), Some(c)) = (head.get_mut(i), keep.get_mut(i), case.get_mut(i))
            {
                *k = 0xFF;
                *c = if letter { 0x20 } else { 0 };
                *h = if letter { b | 0x20 } else { b };
            }
        }
        Needle {
            bytes,
            fold,
            ids: Vec::new(),
            head: u64::from_le_bytes(head),
            keep: u64::from_le_bytes(keep),
            case: u64::from_le_bytes(case),
        }
    }

    /// Whether the needle occurs at the start of `here`, whose first eight bytes (zero-padded)
    /// are `word`.
    #[inline(always)]
    fn at(&self, word: u64, here: &[u8]) -> bool {
        if (word | self.case) & self.keep != self.head {
            return false;
        }
        let Some(here) = here.get(..self.bytes.len()) else {
            return false;
        };
        if self.fold {
            here.eq_ignore_ascii_case(&self.bytes)
        } else {
            here == self.bytes.as_slice()
        }
    }
}

/// Needles by fingerprint slot, compact enough that looking one up at a marked position stays
/// in the cache: the slots in use are a bitmap, ranked by the population count of the words
/// before theirs (`rank`), and the entries of the `r`-th slot in use are
/// `list[starts[r]..starts[r + 1]]`. (A dense array of list starts, one per slot, took 1 MiB,
/// and every marked position missed the cache on it.)
struct Table {
    bits: Box<[u64; WORDS]>,
    rank: Vec<u32>,
    starts: Vec<u32>,
    list: Vec<Entry>,
}

/// A needle under a slot, with its quick test (see `Needle::head`) inline so that a position
/// whose fingerprint collides is rejected without reading the needle.
#[derive(Clone, Copy)]
struct Entry {
    head: u64,
    keep: u64,
    case: u64,
    needle: u32,
    /// Where the fingerprinted bytes start in the needle.
    offset: u32,
}

impl Table {
    /// `keyed` are (slot, needle index, offset).
    fn build(keyed: &mut [(usize, u32, u32)], needles: &[Needle]) -> Table {
        keyed.sort_unstable();
        let mut bits = Box::new([0u64; WORDS]);
        for &(slot, _, _) in keyed.iter() {
            if let Some(x) = bits.get_mut((slot >> 6) & (WORDS - 1)) {
                *x |= 1u64 << (slot & 63);
            }
        }
        let mut rank = Vec::with_capacity(WORDS);
        let mut total = 0u32;
        for w in bits.iter() {
            rank.push(total);
            total += w.count_ones();
        }
        let mut starts = Vec::with_capacity(total as usize + 1);
        let mut list = Vec::with_capacity(keyed.len());
        let mut last = None;
        for &(slot, n, offset) in keyed.iter() {
            if last != Some(slot) {
                starts.push(list.len() as u32);
                last = Some(slot);
            }
            if let Some(needle) = needles.get(n as usize) {
                list.push(Entry {
                    head: needle.head,
                    keep: needle.keep,
                    case: needle.case,
                    needle: n,
                    offset,
                });
            }
        }
        starts.push(list.len() as u32);
        Table {
            bits,
            rank,
            starts,
            list,
        }
    }

    #[inline]
    fn needles(&self, slot: usize) -> &[Entry] {
        let w = (slot >> 6) & (WORDS - 1);
        let word = self.bits.get(w).copied().unwrap_or(0);
        let bit = 1u64 << (slot & 63);
        if word & bit == 0 {
            return &[];
        }
        let r = self.rank.get(w).copied().unwrap_or(0) as usize
            + (word & (bit - 1)).count_ones() as usize;
        let from = self.starts.get(r).copied().unwrap_or(0) as usize;
        let to = self.starts.get(r + 1).copied().unwrap_or(0) as usize;
        self.list.get(from..to).unwrap_or(&[])
    }
}

/// The bitmap's 32-bit word for three folded bytes (little-endian, in the low 24 bits of `m`).
/// Positions are looked up in pairs: the windows at an even position `p` and at `p + 1` share
/// the three bytes from `p + 1`, which pick the word both are tested in, so one load serves two
/// positions.
#[inline(always)]
fn mid_key(m: u32) -> usize {
    (m.wrapping_mul(KEY_MUL) >> (32 - KEY_BITS)) as usize
}

/// The two bits of a folded four-byte window in its word.
#[inline(always)]
fn pair_bits(w: u32) -> (u32, u32) {
    let h = w.wrapping_mul(BIT_MUL);
    (h >> 27, (h >> 22) & 31)
}

/// The word of the window `w` at a position of parity `odd`: the three bytes shared with the
/// other window of its pair, its last three at an even position, its first three at an odd one.
#[inline(always)]
fn word_key(w: u32, odd: bool) -> usize {
    mid_key(if odd { w & 0x00FF_FFFF } else { w >> 8 })
}

/// Whether a position of parity `odd` whose folded window is `w` is marked in `bits`: both bits
/// of its four bytes are set in its word.
#[inline(always)]
fn is_marked(bits: &[u64; WORDS], w: u32, odd: bool) -> bool {
    let key = word_key(w, odd);
    let (b1, b2) = pair_bits(w);
    let word =
        (bits.get((key >> 1) & (WORDS - 1)).copied().unwrap_or(0) >> ((key & 1) * 32)) as u32;
    (word >> b1) & (word >> b2) & 1 != 0
}

/// Sets the bits of a folded four-byte fingerprint in `bits`, in its words for both parities
/// (a needle may start anywhere).
fn set_bits(bits: &mut [u64; WORDS], w: u32) {
    let (b1, b2) = pair_bits(w);
    for odd in [false, true] {
        let key = word_key(w, odd);
        for bit in [b1, b2] {
            let slot = (key << 5) | bit as usize;
            if let Some(x) = bits.get_mut((slot >> 6) & (WORDS - 1)) {
                *x |= 1u64 << (slot & 63);
            }
        }
    }
}

/// Where the four bytes of a needle (folded, of four bytes or more) least frequent in real code
/// start (within its first 255 bytes, where an offset fits the table's entries), by
/// `frequency`, with a small share of the frequent sequences that its hash's word holds too.
/// `tion` is the most frequent sequence of letters in code, so `notion` is fingerprinted by
/// `otio`; `stri` and `code` are avoided the same way, and `mand` (of `command`) and `tack`
/// (of `stack`) by their pairs of bytes: `stackhawk` is fingerprinted by `hawk`.
fn rarest_gram(folded: &[u8]) -> usize {
    let last = folded.len().saturating_sub(4).min(255);
    let score = |o: usize| -> f32 {
        let w = window(folded, o);
        frequency(w.to_le_bytes()) + (crowd(word_key(w, false)) + crowd(word_key(w, true))) / 512.0
    };
    // Each offset scored once (`min_by` on the scores themselves would score each twice).
    (0..=last)
        .map(|o| (score(o), o))
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map_or(0, |(_, o)| o)
}

/// The window (little-endian) of four bytes of `folded` at `o`, zero-padded.
fn window(folded: &[u8], o: usize) -> u32 {
    let mut w = [0u8; 4];
    for (x, y) in w.iter_mut().zip(folded.iter().skip(o)) {
        *x = *y;
    }
    u32::from_le_bytes(w)
}

/// How often the frequent four-byte sequences of code are looked up in the word `key`, per
/// million positions (each in the word of either parity, half the time): a fingerprint whose
/// words `tion` looks up too marks more positions.
fn crowd(key: usize) -> f32 {
    // One sum per word, made once: a fingerprint's choice looks up two words per offset of
    // every needle, and the sequences of a frequent trigram (`ion`) share its word.
    static WORDS32: OnceLock<Vec<f32>> = OnceLock::new();
    let sums = WORDS32.get_or_init(|| {
        let mut v = vec![0f32; 1 << KEY_BITS];
        for &(g, n) in grams::COMMON.iter() {
            let w = u32::from_le_bytes(g);
            for odd in [false, true] {
                if let Some(x) = v.get_mut(word_key(w, odd)) {
                    *x += f32::from(n) / 2.0;
                }
            }
        }
        v
    });
    sums.get(key).copied().unwrap_or(0.0)
}

/// How often four folded bytes occur in code, per million positions: from the tables of
/// `grams` (the most frequent sequences, and those of the built-in keywords), or, for a
/// sequence they do not hold (of a user's keyword), estimated from how often its pairs of
/// bytes occur (each byte following the one before as often as it does in the table of
/// pairs), below the table's least frequent entry.
fn frequency(gram: [u8; 4]) -> f32 {
    // Sequences compared as big-endian integers (the order of their bytes), not as arrays
    // (a call to `memcmp` each): scoring every offset of every needle is most of a sieve's
    // build, at the start of every scan.
    static SORTED: OnceLock<Vec<(u32, u16)>> = OnceLock::new();
    let sorted = SORTED.get_or_init(|| {
        let mut v: Vec<(u32, u16)> = grams::COMMON
            .iter()
            .map(|&(g, n)| (u32::from_be_bytes(g), n))
            .collect();
        v.sort_unstable();
        v
    });
    let key = u32::from_be_bytes(gram);
    if let Ok(i) = sorted.binary_search_by(|(g, _)| g.cmp(&key)) {
        return sorted.get(i).map_or(0.0, |&(_, n)| f32::from(n));
    }
    if let Ok(i) = grams::KEYWORD_GRAMS.binary_search_by(|(g, _)| u32::from_be_bytes(*g).cmp(&key))
    {
        return grams::KEYWORD_GRAMS
            .get(i)
            .map_or(0.0, |&(_, n)| n as f32 / 1000.0);
    }
    let floor = grams::COMMON.last().map_or(1.0, |&(_, n)| f32::from(n));
    let [a, b, c, d] = gram;
    (chained(&[a, b, c, d]) / 1000.0).min(floor * 0.99)
}

/// How often `gram` occurs per billion positions, by the Markov chain of its byte pairs:
/// P(ab) * P(c | b) * P(d | c). A byte outside ASCII, or a pair never seen, makes it rare.
fn chained(gram: &[u8]) -> f32 {
    // How often each ASCII byte starts a pair, per billion.
    static FIRST: OnceLock<[f32; 128]> = OnceLock::new();
    let first = FIRST.get_or_init(|| {
        let mut f = [0f32; 128];
        for (i, x) in f.iter_mut().enumerate() {
            *x = grams::PAIRS
                .get(i * 128..i * 128 + 128)
                .unwrap_or(&[])
                .iter()
                .map(|&n| n as f32)
                .sum();
        }
        f
    });
    let pair = |a: u8, b: u8| -> f32 {
        let n = grams::PAIRS
            .get(usize::from(a) * 128 + usize::from(b))
            .copied()
            .filter(|_| a < 128 && b < 128)
            .unwrap_or(0);
        // Unseen: rarer than any pair seen (twice in a hundred million positions).
        (n as f32).max(0.5)
    };
    let alone = |b: u8| first.get(usize::from(b)).copied().unwrap_or(0.0).max(1.0);
    let mut p = match gram {
        [a, b, ..] => pair(*a, *b),
        _ => return 0.0,
    };
    for w in gram.windows(3) {
        if let [_, b, c] = *w {
            p *= pair(b, c) / alone(b);
        }
    }
    p
}

/// Needles searched together by fingerprint.
pub(crate) struct Sieve {
    needles: Vec<Needle>,
    /// The bitmap positions are looked up in: two bits per fingerprint.
    bits: Box<[u64; WORDS]>,
    /// Needles of four bytes or more by the `slot4` of their fingerprint; each entry names the
    /// needle and where the fingerprint starts in it.
    table: Table,
    /// Needles of one to three bytes that Teddy does not search.
    short: Option<Short>,
    /// Exact needles of three bytes (the built-in rules' keywords are all exact): found
    /// in one SIMD Teddy pass.
    packed: Option<Box<Needles>>,
}

/// Needles of one to three bytes, as every spelling they match, with the needle of each: in
/// one Aho-Corasick automaton (or, should it not build, one `memmem` pass each).
enum Short {
    Automaton(AhoCorasick, Vec<u32>),
    Each(Vec<(memchr::memmem::Finder<'static>, u32)>),
}

/// At most this many exact short needles go to Teddy (one or two searchers' worth).
const MAX_PACKED_SHORT: usize = 128;

impl Sieve {
    /// `needles` are (bytes, id, fold); several needles may share an id, and several ids a
    /// needle. Empty needles are dropped; `None` when none is left.
    pub(crate) fn build(needles: Vec<(Vec<u8>, usize, bool)>) -> Option<Sieve> {
        let mut sorted: Vec<(Vec<u8>, bool, usize)> = needles
            .into_iter()
            .filter(|(n, _, _)| !n.is_empty())
            .map(|(n, id, fold)| (if fold { n.to_ascii_lowercase() } else { n }, fold, id))
            .collect();
        if sorted.is_empty() {
            return None;
        }
        // Unstable: the tuples are compared whole, so equal ones are duplicates.
        sorted.sort_unstable();
        sorted.dedup();
        let mut list: Vec<Needle> = Vec::new();
        for (bytes, fold, id) in sorted {
            match list.last_mut() {
                Some(n) if n.bytes == bytes && n.fold == fold => n.ids.push(id),
                _ => {
                    let mut n = Needle::new(bytes, fold);
                    n.ids.push(id);
                    list.push(n);
                }
            }
        }
        let exact_short: Vec<(Vec<u8>, usize)> = list
            .iter()
            .enumerate()
            .filter(|(_, n)| !n.fold && n.bytes.len() == 3)
            .map(|(i, n)| (n.bytes.clone(), i))
            .collect();
        let packed = if exact_short.len() <= MAX_PACKED_SHORT {
            Needles::packed_only(exact_short).map(Box::new)
        } else {
            None
        };
        let (mut keyed, mut patterns, mut owners) = (Vec::new(), Vec::new(), Vec::new());
        let mut bits = Box::new([0u64; WORDS]);
        let mut chosen: HashMap<Vec<u8>, usize> = HashMap::new();
        for (i, n) in list.iter().enumerate() {
            if n.bytes.len() < 4 {
                if packed.is_some() && !n.fold && n.bytes.len() == 3 {
                    continue;
                }
                for spelling in spellings(&n.bytes, n.fold) {
                    patterns.push(spelling);
                    owners.push(i as u32);
                }
                continue;
            }
            let folded: Vec<u8> = n.bytes.iter().map(|b| b | 0x20).collect();
            // Once per folded needle: the spellings of a keyword (`notion`, `Notion`,
            // `NOTION`) are needles of their own, with one fingerprint.
            let o = match chosen.get(&folded) {
                Some(&o) => o,
                None => {
                    let o = rarest_gram(&folded);
                    chosen.insert(folded.clone(), o);
                    o
                }
            };
            let w = window(&folded, o);
            set_bits(&mut bits, w);
            keyed.push((slot4(w), i as u32, o as u32));
        }
        let table = Table::build(&mut keyed, &list);
        let short = if patterns.is_empty() {
            None
        } else {
            match AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .build(&patterns)
            {
                Ok(ac) => Some(Short::Automaton(ac, owners)),
                Err(_) => Some(Short::Each(
                    patterns
                        .iter()
                        .zip(owners)
                        .map(|(p, n)| (memchr::memmem::Finder::new(p).into_owned(), n))
                        .collect(),
                )),
            }
        };
        Some(Sieve {
            needles: list,
            bits,
            table,
            short,
            packed,
        })
    }

    /// Calls `hit(id, start, len)` for every occurrence of every needle in `data`, overlapping
    /// ones included, in no particular order.
    pub(crate) fn each(&self, data: &[u8], hit: &mut impl FnMut(usize, usize, usize)) {
        self.each_with::<true>(data, hit);
    }

    /// `each` without the SIMD pass, to test the scalar one on any machine.
    #[cfg(test)]
    fn each_scalar(&self, data: &[u8], hit: &mut impl FnMut(usize, usize, usize)) {
        self.each_with::<false>(data, hit);
    }

    fn each_with<const SIMD: bool>(&self, data: &[u8], hit: &mut impl FnMut(usize, usize, usize)) {
        self.sift::<SIMD>(data, hit);
        let mut report = |n: usize, at: usize| {
            if let Some(needle) = self.needles.get(n) {
                for &id in &needle.ids {
                    hit(id, at, needle.bytes.len());
                }
            }
        };
        match &self.short {
            Some(Short::Automaton(ac, owners)) => {
                for m in ac.find_overlapping_iter(data) {
                    if let Some(&n) = owners.get(m.pattern().as_usize()) {
                        report(n as usize, m.start());
                    }
                }
            }
            Some(Short::Each(finders)) => {
                for (finder, n) in finders {
                    // Overlapping occurrences too (`find_iter` skips them).
                    let mut from = 0;
                    while let Some(found) = data.get(from..).and_then(|rest| finder.find(rest)) {
                        report(*n as usize, from + found);
                        from += found + 1;
                    }
                }
            }
            None => {}
        }
        if let Some(p) = &self.packed {
            // As a trait object: `Needles::each` may call a sieve's `each` again, and generic
            // closures would nest without end.
            let mut short: &mut dyn FnMut(usize, usize, usize) = &mut |n, at, _| report(n, at);
            p.each(data, &mut short);
        }
    }

    /// The fingerprint pass (sixteen positions at a time with AVX2 where the CPU has it and
    /// `SIMD`).
    fn sift<const SIMD: bool>(&self, data: &[u8], hit: &mut impl FnMut(usize, usize, usize)) {
        // Positions go in pairs from an even one: `at` stays even until the last loop.
        let mut at = 0;
        #[cfg(target_arch = "x86_64")]
        if SIMD && std::is_x86_feature_detected!("avx2") {
            let mut marks = [0u64; CHUNK / 64];
            // Whole blocks of sixteen positions whose 24 bytes are in `data`.
            while at + 24 <= data.len() {
                let blocks = ((data.len() - at - 8) / 16).min(CHUNK / 16);
                let Some(marks) = marks.get_mut(..blocks.div_ceil(4)) else {
                    break;
                };
                // SAFETY: the CPU has AVX2, checked just above; the last block read starts at
                // `at + 16 * (blocks - 1)` and ends 24 bytes on, within `data`; `marks` has a
                // word for every four blocks.
                unsafe { x86::sift(data, at, blocks, &self.bits, marks) };
                for (i, &word) in marks.iter().enumerate() {
                    if word != 0 {
                        self.marked(unpair(word), data, at + 64 * i, hit);
                    }
                }
                at += 16 * blocks;
            }
        }
        // A pair of positions at a time, from the eight bytes at the even one.
        while let Some(&[a, b, c, d, e, f, g, h]) = data.get(at..at + 8) {
            let word = u64::from_le_bytes([a, b, c, d, e, f, g, h]);
            let mut marks = 0u64;
            for k in 0..2 {
                let w = (word >> (8 * k)) as u32 | FOLD;
                marks |= u64::from(is_marked(&self.bits, w, k == 1)) << k;
            }
            if marks != 0 {
                self.marked(marks, data, at, hit);
            }
            at += 2;
        }
        // The last positions, each with its bytes padded (a needle cannot hold bytes past the
        // end, and `Needle::at` checks the length).
        while at < data.len() {
            if is_marked(&self.bits, word_at(data, at) as u32 | FOLD, at % 2 == 1) {
                self.marked(1, data, at, hit);
            }
            at += 1;
        }
    }

    /// Reports the needles whose fingerprint is at the positions `at + k` for each bit `k` of
    /// `marks`.
    #[cold]
    #[inline(never)]
    fn marked(
        &self,
        mut marks: u64,
        data: &[u8],
        at: usize,
        hit: &mut impl FnMut(usize, usize, usize),
    ) {
        while marks != 0 {
            let pos = at + marks.trailing_zeros() as usize;
            marks &= marks - 1;
            let w = word_at(data, pos) as u32 | FOLD;
            for e in self.table.needles(slot4(w)) {
                let Some(start) = pos.checked_sub(e.offset as usize) else {
                    continue;
                };
                let word = word_at(data, start);
                if (word | e.case) & e.keep != e.head {
                    continue;
                }
                let Some(needle) = self.needles.get(e.needle as usize) else {
                    continue;
                };
                if needle.at(word, data.get(start..).unwrap_or(&[])) {
                    for &id in &needle.ids {
                        hit(id, start, needle.bytes.len());
                    }
                }
            }
        }
    }
}

/// The fingerprint pass sixteen positions at a time with AVX2: the windows of eight even
/// positions and of the odd ones after them are shuffled out of two overlapping 16-byte loads,
/// folded and hashed, and the word each pair is tested in is loaded from the bitmap (eight
/// loads, not a gather instruction: see below).
#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::{
        __m128i, _mm256_and_si256, _mm256_castsi256_ps, _mm256_castsi256_si128,
        _mm256_extracti128_si256, _mm256_movemask_ps, _mm256_mullo_epi32, _mm256_or_si256,
        _mm256_set1_epi32, _mm256_set_m128i, _mm256_setr_epi32, _mm256_setr_epi8,
        _mm256_shuffle_epi8, _mm256_slli_epi32, _mm256_srli_epi32, _mm256_srlv_epi32,
        _mm_cvtsi128_si64, _mm_extract_epi64, _mm_loadu_si128,
    };

    use super::{BIT_MUL, FOLD, KEY_BITS, KEY_MUL, WORDS};

    /// Writes the marks of the `16 * blocks` positions from `from` (even) to `marks`, four
    /// blocks of sixteen positions to a word (the last word may hold fewer, the rest of it
    /// zero): block `i`'s sixteen bits at bit `16 * (i % 4)` of word `i / 4`, as
    /// `super::is_marked` tells them: bit `k` for `from + 16i + 2k` and bit `8 + k` for the odd
    /// position after it (`super::unpair` puts them in order). Written whole, not as sixteen-bit
    /// entries that the caller put together (a shift and an or for each, read back from memory).
    ///
    /// # Safety
    /// The CPU must support AVX2, `from + 16 * blocks + 8 <= data.len()`, and `marks` must have
    /// `blocks.div_ceil(4)` words.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn sift(
        data: &[u8],
        from: usize,
        blocks: usize,
        bits: &[u64; WORDS],
        marks: &mut [u64],
    ) {
        // Each 128-bit lane holds four pairs, from its own 16 bytes: the windows at the even
        // positions 0, 2, 4, 6 and at the odd ones 1, 3, 5, 7.
        let even = _mm256_setr_epi8(
            0, 1, 2, 3, 2, 3, 4, 5, 4, 5, 6, 7, 6, 7, 8, 9, 0, 1, 2, 3, 2, 3, 4, 5, 4, 5, 6, 7, 6,
            7, 8, 9,
        );
        let odd = _mm256_setr_epi8(
            1, 2, 3, 4, 3, 4, 5, 6, 5, 6, 7, 8, 7, 8, 9, 10, 1, 2, 3, 4, 3, 4, 5, 6, 5, 6, 7, 8, 7,
            8, 9, 10,
        );
        let fold = _mm256_set1_epi32(FOLD as i32);
        let key_mul = _mm256_set1_epi32(KEY_MUL as i32);
        let bit_mul = _mm256_set1_epi32(BIT_MUL as i32);
        let low5 = _mm256_set1_epi32(31);
        let base = bits.as_ptr().cast::<i32>();
        // The marks of the block at `at`, sixteen bits.
        let block = |at: usize| -> u64 {
            // SAFETY: `at + 24 <= from + 16 * blocks + 8 <= data.len()` for every block the loop
            // below asks for, so the bytes read are in `data`.
            let (lo, hi) = unsafe {
                (
                    _mm_loadu_si128(data.as_ptr().add(at).cast::<__m128i>()),
                    _mm_loadu_si128(data.as_ptr().add(at + 8).cast::<__m128i>()),
                )
            };
            let bytes = _mm256_set_m128i(hi, lo);
            let l = _mm256_or_si256(_mm256_shuffle_epi8(bytes, even), fold);
            let r = _mm256_or_si256(_mm256_shuffle_epi8(bytes, odd), fold);
            // The three bytes both windows of a pair share: the even window's last three.
            let key = _mm256_srli_epi32::<{ 32 - KEY_BITS as i32 }>(_mm256_mullo_epi32(
                _mm256_srli_epi32::<8>(l),
                key_mul,
            ));
            // The eight words, loaded one at a time: on AMD Zen 3, eight loads from the keys'
            // halves cost less than one gather instruction, and vary less (a third less time
            // for this pass, measured on 35 MB of source code).
            let (k0, k1) = (
                _mm256_castsi256_si128(key),
                _mm256_extracti128_si256::<1>(key),
            );
            let (a, b, c, d) = (
                _mm_cvtsi128_si64(k0) as u64,
                _mm_extract_epi64::<1>(k0) as u64,
                _mm_cvtsi128_si64(k1) as u64,
                _mm_extract_epi64::<1>(k1) as u64,
            );
            // SAFETY: a key is below 2^KEY_BITS, so it indexes one of the bitmap's 2^KEY_BITS
            // 32-bit words (little-endian halves of its 64-bit words).
            let word = |key: u64| unsafe { *base.add(key as u32 as usize) };
            let got = _mm256_setr_epi32(
                word(a),
                word(a >> 32),
                word(b),
                word(b >> 32),
                word(c),
                word(c >> 32),
                word(d),
                word(d >> 32),
            );
            // Both bits of each window (`super::pair_bits`), moved to the sign bit.
            let test = |w| {
                let h = _mm256_mullo_epi32(w, bit_mul);
                let b1 = _mm256_srlv_epi32(got, _mm256_srli_epi32::<27>(h));
                let b2 = _mm256_srlv_epi32(got, _mm256_and_si256(_mm256_srli_epi32::<22>(h), low5));
                _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_slli_epi32::<31>(
                    _mm256_and_si256(b1, b2),
                )))
            };
            u64::from((test(l) | (test(r) << 8)) as u16)
        };
        // Unpaired only where a word of 64 positions has a mark (`super::unpair`).
        for (g, m) in marks.iter_mut().enumerate() {
            let mut four = 0u64;
            for k in 0..4 {
                let i = 4 * g + k;
                if i < blocks {
                    four |= block(from + 16 * i) << (16 * k);
                }
            }
            *m = four;
        }
    }
}

/// The eight bytes at `at` (zero-padded at the end of `data`), little-endian.
#[inline]
fn word_at(data: &[u8], at: usize) -> u64 {
    if let Some(&[a, b, c, d, e, f, g, h]) = data.get(at..at.saturating_add(8)) {
        return u64::from_le_bytes([a, b, c, d, e, f, g, h]);
    }
    let mut word = [0u8; 8];
    for (x, y) in word.iter_mut().zip(data.get(at..).unwrap_or(&[])) {
        *x = *y;
    }
    u64::from_le_bytes(word)
}

/// Every spelling of a short needle that matches it: itself, or with `fold` each case of its
/// letters.
fn spellings(bytes: &[u8], fold: bool) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = vec![Vec::new()];
    for &b in bytes {
        let cases: Vec<u8> = if fold && b.is_ascii_alphabetic() {
            vec![b.to_ascii_lowercase(), b.to_ascii_uppercase()]
        } else {
            vec![b]
        };
        out = out
            .iter()
            .flat_map(|s| {
                cases.iter().map(move |&c| {
                    let mut s = s.clone();
                    s.push(c);
                    s
                })
            })
            .collect();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every (id, start) by brute force.
    fn brute(needles: &[(&str, bool)], data: &[u8]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for (i, (n, fold)) in needles.iter().enumerate() {
            for at in 0..data.len() {
                let Some(here) = data.get(at..at + n.len()) else {
                    continue;
                };
                let same = if *fold {
                    here.eq_ignore_ascii_case(n.as_bytes())
                } else {
                    here == n.as_bytes()
                };
                if same && !n.is_empty() {
                    out.push((i, at));
                }
            }
        }
        out.sort_unstable();
        out
    }

    fn found(needles: &[(&str, bool)], data: &[u8]) -> Vec<(usize, usize)> {
        let list = needles
            .iter()
            .enumerate()
            .map(|(i, (n, f))| (n.as_bytes().to_vec(), i, *f))
            .collect();
        let Some(s) = Sieve::build(list) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        s.each(data, &mut |id, at, len| {
            assert_eq!(len, needles.get(id).map_or(0, |n| n.0.len()));
            out.push((id, at));
        });
        out.sort_unstable();
        let mut scalar = Vec::new();
        s.each_scalar(data, &mut |id, at, _| scalar.push((id, at)));
        scalar.sort_unstable();
        assert_eq!(out, scalar, "the SIMD and scalar passes differ");
        out
    }

    #[test]
    fn fingerprints_avoid_the_sequences_of_common_words() {
        // The built-in keywords' sequences are counted: `docu` (of `document`) and `stac`
        // or `tack` (of `stack`) are common in code, `cusi` and `ckha` are not.
        let at = |k: &str| {
            let o = rarest_gram(k.as_bytes());
            k.get(o..o + 4).unwrap_or_default().to_string()
        };
        assert_ne!(at("docusign"), "docu");
        let stack = at("stackhawk");
        assert!(!stack.contains("tac") && !stack.contains("ack"), "{stack}");
        assert_eq!(at("notion"), "otio");
        // A user's keyword is estimated from pairs of bytes: `tack` is more likely than
        // `ckha`, and `mand` than `mdqz`.
        assert!(chained(b"tack") > 3.0 * chained(b"ckha"));
        assert!(chained(b"mand") > 20.0 * chained(b"mdqz"));
        assert!(frequency(*b"tion") > frequency(*b"mand"));
    }

    #[test]
    fn exact_and_folded_needles_of_every_length() {
        let needles = [
            ("twitch", true),
            ("Twitch", false),
            ("TWITCH", false),
            ("ghp_", false),
            ("xox", false),
            ("q~", false),
            ("eyj", true),
            ("x", false),
            ("akia", false),
            ("AKIA", false),
            ("", false),
        ];
        let data = b"TwItCh Twitch twitch TWITCH ghp_ GHP_ xoxb eyJ EYJ q~ Q~ AKIA akia x";
        assert_eq!(found(&needles, data), brute(&needles, data));
        // Needles at the very end, shorter than a fingerprint's four bytes.
        for data in [&b"..q~"[..], b"xox", b"q~", b"TWITCH", b"eY", b"x", b""] {
            assert_eq!(found(&needles, data), brute(&needles, data), "{data:?}");
        }
    }

    #[test]
    fn random_needles_and_bytes_agree_with_brute_force() {
        let mut next = crate::test_rng::xorshift(0x2545_F491_4F6C_DD1D);
        // Bytes that differ only in the case bit (`@`/`` ` ``, `_`/DEL) must not be confused.
        let alphabet = b"aAbB_\x7f@`1";
        for _ in 0..300 {
            let count = 1 + next(40);
            let owned: Vec<(String, bool)> = (0..count)
                .map(|_| {
                    let len = 1 + next(7) as usize;
                    let s: Vec<u8> = (0..len)
                        .map(|_| alphabet.get(next(9) as usize).copied().unwrap_or(b'a'))
                        .collect();
                    (String::from_utf8_lossy(&s).into_owned(), next(2) == 0)
                })
                .collect();
            let needles: Vec<(&str, bool)> = owned.iter().map(|(s, f)| (s.as_str(), *f)).collect();
            let data: Vec<u8> = (0..200)
                .map(|_| alphabet.get(next(9) as usize).copied().unwrap_or(b'a'))
                .collect();
            assert_eq!(
                found(&needles, &data),
                brute(&needles, &data),
                "{needles:?}"
            );
        }
    }

    #[test]
    fn every_length_around_the_pass_boundaries() {
        // The AVX2 pass takes blocks of sixteen positions while 24 bytes remain, the scalar
        // pass pairs while eight remain, then single positions: needles at every offset of
        // blobs of every length up to 80 are found at either parity.
        let needles = [
            ("kwab", false),
            ("QzKw", true),
            ("xab", false),
            ("ab", true),
        ];
        let mut next = crate::test_rng::xorshift(0x9E37_79B9_7F4A_7C15);
        for len in 0..80 {
            for at in 0..len {
                let mut data: Vec<u8> = (0..len)
                    .map(|_| b"abkwQz.".get(next(7) as usize).copied().unwrap_or(b'.'))
                    .collect();
                let word: &[u8] = if at % 2 == 0 { b"kwab" } else { b"qzkw" };
                if let Some(place) = data.get_mut(at..(at + word.len()).min(len)) {
                    let n = place.len();
                    place.copy_from_slice(word.get(..n).unwrap_or_default());
                }
                assert_eq!(found(&needles, &data), brute(&needles, &data), "{len} {at}");
            }
        }
    }

    #[test]
    fn needles_across_the_chunks_of_marks() {
        // The AVX2 pass writes the marks of `CHUNK` positions before looking at them: needles
        // at every offset around the chunks' edges and at the very end are found all the same.
        let needles = [
            ("stackhawk", true),
            ("ghp_", false),
            ("xox", false),
            ("eyj", true),
        ];
        for edge in [CHUNK, 2 * CHUNK] {
            for shift in 0..12 {
                let mut data = vec![b'.'; 2 * CHUNK + 40];
                for (i, word) in [&b"StackHawk"[..], b"ghp_", b"xox", b"EYJ"]
                    .iter()
                    .enumerate()
                {
                    let at = (edge + shift + 3 * i)
                        .saturating_sub(10)
                        .min(data.len() - 9);
                    if let Some(place) = data.get_mut(at..at + word.len()) {
                        place.copy_from_slice(word);
                    }
                }
                data.extend_from_slice(b"stackhawk");
                assert_eq!(
                    found(&needles, &data),
                    brute(&needles, &data),
                    "{edge} {shift}"
                );
            }
        }
    }

    #[test]
    fn thousands_of_needles() {
        let owned: Vec<String> = (0..5000).map(|i| format!("kw{i}_")).collect();
        let needles: Vec<(&str, bool)> = owned.iter().map(|s| (s.as_str(), true)).collect();
        let data: String = (0..5000)
            .step_by(7)
            .map(|i| format!("x KW{i}_ y "))
            .collect();
        let want = brute(&needles, data.as_bytes());
        assert!(want.len() > 714);
        assert_eq!(found(&needles, data.as_bytes()), want);
    }
}
