//! A single-pass search for many needles at once, each exact or ASCII case-insensitive: the
//! prefilter's search once the needles outnumber what SIMD Teddy searchers take in a few passes
//! (hundreds of rule keywords).
//!
//! Every position of the blob is tested once against a bitmap of fingerprints: four bytes of
//! each needle, hashed to 18 bits, in every spelling a case-insensitive needle matches; the
//! bitmap is 32 KiB, about 1% full with the built-in rules' 2,900 keywords, and stays in the L1
//! cache. The four bytes are those least frequent in real code (`rarest_gram`, by the tables of
//! `grams`: `otio` of `notion`, not `tion`; `ckha` of `stackhawk`, not `tack`) and whose slot
//! no frequent sequence shares, so that few positions are marked. With AVX2, eight positions
//! are hashed and looked up at a time, and those marked are hashed again into a second,
//! smaller bitmap (`CHECK_BITS`) that drops most random collisions: on the files corpus of
//! `bench/compare.sh` (220 million positions) the first bitmap marks 1.5 million, 0.59 million
//! pass the second, and 0.17 million of those are keywords that occur.
//! Case-insensitive three-byte needles have a fingerprint of their three bytes, by another
//! hash, in the same bitmap; needles of one or two bytes (every spelling of a case-insensitive
//! one) are searched apart with `memmem`, one pass each.
//! Only a position whose fingerprint is set is compared with the needles that have it, eight
//! bytes at once first, then byte for byte (exact) or ignoring ASCII case (folded). Exact
//! needles of three bytes (the built-in rules' `xox`, `0Q~`, `EAA`) are searched by a Teddy
//! pass instead, so that positions need no second fingerprint. The cost is one pass whatever
//! the number of needles, and unlike a DFA it needs no lowercased copy of the blob and no table
//! that outgrows the cache.

use std::sync::OnceLock;

use super::grams;
use super::prefilter::Needles;

/// log2 of the bitmap size in bits.
const BITS: u32 = 18;
const SLOTS: usize = 1 << BITS;

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
    /// `keyed` are (slot, needle index, offset); each slot is also set in `bits`.
    fn build(
        keyed: &mut [(usize, u32, u32)],
        needles: &[Needle],
        bits: &mut [u64; WORDS],
    ) -> Table {
        keyed.sort_unstable();
        let mut own = Box::new([0u64; WORDS]);
        for &(slot, _, _) in keyed.iter() {
            let (w, b) = ((slot >> 6) & (WORDS - 1), 1u64 << (slot & 63));
            if let (Some(x), Some(y)) = (own.get_mut(w), bits.get_mut(w)) {
                *x |= b;
                *y |= b;
            }
        }
        let mut rank = Vec::with_capacity(WORDS);
        let mut total = 0u32;
        for w in own.iter() {
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
            bits: own,
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

const WORDS: usize = SLOTS / 64;

/// log2 of the second bitmap's size in bits (8 KiB): with AVX2, a block of positions with a
/// marked fingerprint is looked up again by another hash of the same four bytes (`slot4b`),
/// so that most random collisions of the first bitmap (1% of all positions, nearly every mark
/// on real code) are dropped there, eight at a time, instead of one by one in `marked`.
const CHECK_BITS: u32 = 16;
const CHECK_WORDS: usize = (1 << CHECK_BITS) / 64;

/// The second fingerprint slot of four bytes (see `CHECK_BITS`), by another multiplier.
#[inline(always)]
fn slot4b(word: u32) -> usize {
    (word.wrapping_mul(0x85EB_CA77) >> (32 - CHECK_BITS)) as usize
}

/// The fingerprint slot of four bytes, hashed as they are.
#[inline(always)]
fn slot4(word: u32) -> usize {
    (word.wrapping_mul(0x9E37_79B1) >> (32 - BITS)) as usize
}

/// Where the rarest four bytes of a needle of four bytes or more start (within its first 255
/// bytes, where an offset fits the table's entries): the four bytes least frequent in real
/// code by `frequency` (summed over every spelling, for a case-insensitive needle). `tion` is
/// the most frequent sequence of letters in code, so `notion` is fingerprinted by `otio`;
/// `stri` and `code` are avoided the same way, and `mand` (of `command`) and `tack` (of
/// `stack`) by their pairs of bytes: `stackhawk` is fingerprinted by `ckha`.
fn rarest_gram(bytes: &[u8], fold: bool) -> usize {
    let last = bytes.len().saturating_sub(4).min(255);
    let score = |o: usize| -> f32 {
        let Some(g) = bytes.get(o..o + 4) else {
            return f32::MAX;
        };
        let mut gram = [0u8; 4];
        gram.copy_from_slice(g);
        gram_spellings(gram, fold)
            .into_iter()
            .map(|w| frequency(w.to_le_bytes()) + crowd(slot4(w)))
            .sum()
    };
    (0..=last)
        .min_by(|&a, &b| score(a).total_cmp(&score(b)))
        .unwrap_or(0)
}

/// How often the frequent four-byte sequences of code that hash to `slot` occur, per million
/// positions: a fingerprint that shares its slot with `tion` would mark every `tion` too.
fn crowd(slot: usize) -> f32 {
    static SLOTS: OnceLock<Vec<(usize, f32)>> = OnceLock::new();
    let slots = SLOTS.get_or_init(|| {
        let mut v: Vec<(usize, f32)> = grams::COMMON
            .iter()
            .map(|&(g, n)| (slot4(u32::from_le_bytes(g)), f32::from(n)))
            .collect();
        v.sort_unstable_by_key(|&(s, _)| s);
        v
    });
    let from = slots.partition_point(|&(s, _)| s < slot);
    slots
        .get(from..)
        .unwrap_or(&[])
        .iter()
        .take_while(|&&(s, _)| s == slot)
        .map(|&(_, n)| n)
        .sum()
}

/// How often four bytes occur in code, per million positions: from the tables of `grams` (the
/// most frequent sequences, and those of the built-in keywords), or, for a sequence they do
/// not hold (of a user's keyword), estimated from how often its pairs of bytes occur (each
/// byte following the one before as often as it does in the table of pairs), below the
/// table's least frequent entry.
fn frequency(gram: [u8; 4]) -> f32 {
    static SORTED: OnceLock<Vec<([u8; 4], u16)>> = OnceLock::new();
    let sorted = SORTED.get_or_init(|| {
        let mut v = grams::COMMON.to_vec();
        v.sort_unstable();
        v
    });
    if let Ok(i) = sorted.binary_search_by(|(g, _)| g.cmp(&gram)) {
        return sorted.get(i).map_or(0.0, |&(_, n)| f32::from(n));
    }
    if let Ok(i) = grams::KEYWORD_GRAMS.binary_search_by(|(g, _)| g.cmp(&gram)) {
        return grams::KEYWORD_GRAMS
            .get(i)
            .map_or(0.0, |&(_, n)| n as f32 / 1000.0);
    }
    let floor = grams::COMMON.last().map_or(1.0, |&(_, n)| f32::from(n));
    (chained(gram) / 1000.0).min(floor * 0.99)
}

/// How often `gram` occurs per billion positions, by the Markov chain of its byte pairs:
/// P(ab) * P(c | b) * P(d | c). A byte outside ASCII, or a pair never seen, makes it rare.
fn chained(gram: [u8; 4]) -> f32 {
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
    let [a, b, c, d] = gram;
    pair(a, b) * (pair(b, c) / alone(b)) * (pair(c, d) / alone(c))
}

/// The four bytes of `gram` in every spelling a case-insensitive needle matches (letters in
/// both cases), or as they are.
fn gram_spellings(gram: [u8; 4], fold: bool) -> Vec<u32> {
    let mut out = vec![gram];
    if fold {
        for i in 0..4 {
            let more: Vec<[u8; 4]> = out
                .iter()
                .filter_map(|g| {
                    let b = *g.get(i)?;
                    b.is_ascii_alphabetic().then(|| {
                        let mut other = *g;
                        if let Some(x) = other.get_mut(i) {
                            *x = b ^ 0x20;
                        }
                        other
                    })
                })
                .collect();
            out.extend(more);
        }
    }
    out.into_iter().map(u32::from_le_bytes).collect()
}

/// The slot of a three-byte needle (the low three bytes of `word`), by another hash.
#[inline(always)]
fn slot3(word: u32) -> usize {
    (((word & 0x00FF_FFFF) | 0x0020_2020).wrapping_mul(0x85EB_CA6B) >> (32 - BITS)) as usize
}

/// Whether `slot` is set.
#[inline(always)]
fn set(bits: &[u64; WORDS], slot: usize) -> u64 {
    (bits.get((slot >> 6) & (WORDS - 1)).copied().unwrap_or(0) >> (slot & 63)) & 1
}

/// Needles searched together by fingerprint.
pub(crate) struct Sieve {
    needles: Vec<Needle>,
    /// Every slot in use, of both tables.
    bits: Box<[u64; WORDS]>,
    /// The `slot4b` of every spelling of every fingerprint in `long` (see `CHECK_BITS`).
    check: Box<[u64; CHECK_WORDS]>,
    /// Needles of four bytes or more, by the `slot4` of their rarest four bytes (every spelling
    /// of them, for a case-insensitive needle); each entry names the needle and where those
    /// bytes start in it.
    long: Table,
    /// Needles of three bytes that Teddy does not search (case-insensitive ones, or exact ones
    /// past `MAX_PACKED_SHORT`), by `slot3` (entries as in `long`, at 0).
    short: Table,
    /// Whether `short` holds any needle (else positions are not hashed for it).
    shorts: bool,
    /// Needles of one or two bytes, as every spelling they match: found with
    /// `memmem`.
    tiny: Vec<(memchr::memmem::Finder<'static>, u32)>,
    /// Exact needles of three bytes (the built-in rules' keywords are all exact): found
    /// in one SIMD Teddy pass, which spares every position a second fingerprint.
    packed: Option<Box<Needles>>,
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
        sorted.sort();
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
        let (mut long, mut short, mut tiny) = (Vec::new(), Vec::new(), Vec::new());
        let mut check = Box::new([0u64; CHECK_WORDS]);
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
        for (i, n) in list.iter().enumerate() {
            if packed.is_some() && !n.fold && n.bytes.len() == 3 {
                continue;
            }
            let i = i as u32;
            match n.bytes.as_slice() {
                [_, _, _, _, ..] => {
                    let o = rarest_gram(&n.bytes, n.fold);
                    let mut gram = [0u8; 4];
                    for (x, y) in gram.iter_mut().zip(n.bytes.iter().skip(o)) {
                        *x = *y;
                    }
                    let words = gram_spellings(gram, n.fold);
                    for &w in &words {
                        let s = slot4b(w);
                        if let Some(x) = check.get_mut((s >> 6) & (CHECK_WORDS - 1)) {
                            *x |= 1 << (s & 63);
                        }
                    }
                    let mut slots: Vec<usize> = words.into_iter().map(slot4).collect();
                    slots.sort_unstable();
                    slots.dedup();
                    long.extend(slots.into_iter().map(|s| (s, i, o as u32)));
                }
                [a, b, c] => short.push((slot3(u32::from_le_bytes([*a, *b, *c, 0])), i, 0)),
                bytes => {
                    for spelling in spellings(bytes, n.fold) {
                        tiny.push((memchr::memmem::Finder::new(&spelling).into_owned(), i));
                    }
                }
            }
        }
        let mut bits = Box::new([0u64; WORDS]);
        let long = Table::build(&mut long, &list, &mut bits);
        let shorts = !short.is_empty();
        let short = Table::build(&mut short, &list, &mut bits);
        Some(Sieve {
            needles: list,
            long,
            shorts,
            short,
            bits,
            check,
            tiny,
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
        if self.shorts {
            self.sift::<true, SIMD>(data, hit);
        } else {
            self.sift::<false, SIMD>(data, hit);
        }
        if let Some(p) = &self.packed {
            // As a trait object: `Needles::each` may call a sieve's `each` again, and generic
            // closures would nest without end.
            let mut short: &mut dyn FnMut(usize, usize, usize) = &mut |n, at, _| {
                if let Some(needle) = self.needles.get(n) {
                    for &id in &needle.ids {
                        hit(id, at, needle.bytes.len());
                    }
                }
            };
            p.each(data, &mut short);
        }
    }

    /// The fingerprint pass (with three-byte fingerprints when `SHORTS`; eight positions at a
    /// time with AVX2 where the CPU has it and `SIMD`), and the tiny needles.
    fn sift<const SHORTS: bool, const SIMD: bool>(
        &self,
        data: &[u8],
        hit: &mut impl FnMut(usize, usize, usize),
    ) {
        let bits = &*self.bits;
        let mut at = 0;
        #[cfg(target_arch = "x86_64")]
        if SIMD && !SHORTS && std::is_x86_feature_detected!("avx2") {
            let mut marked = |marks: u64, at: usize| self.marked(marks, data, at, hit);
            // SAFETY: the CPU has AVX2, checked just above.
            at = unsafe { x86::sift(data, bits, &self.check, &mut marked) };
        }
        // Eight bytes at a time hold the four-byte windows of five positions; a position is
        // looked at closer only when one of its two fingerprints is set.
        while let Some(&[a, b, c, d, e, f, g, h]) = data.get(at..at + 8) {
            let word = u64::from_le_bytes([a, b, c, d, e, f, g, h]);
            let mut marks = 0u64;
            for k in 0..5 {
                let w = (word >> (8 * k)) as u32;
                let short = if SHORTS { set(bits, slot3(w)) } else { 0 };
                marks |= (set(bits, slot4(w)) | short) << k;
            }
            if marks != 0 {
                self.marked(marks, data, at, hit);
            }
            at += 5;
        }
        // The last positions, each with its bytes padded with zeros (a needle cannot hold
        // bytes past the end, and `Needle::at` checks the length).
        while at < data.len() {
            let mut w = [0u8; 4];
            for (x, y) in w.iter_mut().zip(data.get(at..).unwrap_or(&[])) {
                *x = *y;
            }
            let w = u32::from_le_bytes(w);
            let short = if SHORTS { set(bits, slot3(w)) } else { 0 };
            if set(bits, slot4(w)) | short != 0 {
                self.marked(1, data, at, hit);
            }
            at += 1;
        }
        for (finder, n) in &self.tiny {
            if let Some(needle) = self.needles.get(*n as usize) {
                // Overlapping occurrences too (`find_iter` skips them).
                let mut from = 0;
                while let Some(found) = data.get(from..).and_then(|rest| finder.find(rest)) {
                    let at = from + found;
                    for &id in &needle.ids {
                        hit(id, at, needle.bytes.len());
                    }
                    from = at + 1;
                }
            }
        }
    }

    /// Reports the needles that occur at the positions `at + k` for each bit `k` of `marks`.
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
            let k = marks.trailing_zeros() as usize;
            marks &= marks - 1;
            let pos = at + k;
            let w = word_at(data, pos) as u32;
            let short = if self.shorts {
                self.short.needles(slot3(w))
            } else {
                &[]
            };
            for e in self.long.needles(slot4(w)).iter().chain(short) {
                let Some(start) = pos.checked_sub(e.offset as usize) else {
                    continue;
                };
                if (word_at(data, start) | e.case) & e.keep != e.head {
                    continue;
                }
                let Some(needle) = self.needles.get(e.needle as usize) else {
                    continue;
                };
                let rest = data.get(start..).unwrap_or(&[]);
                if needle.at(word_at(data, start), rest) {
                    for &id in &needle.ids {
                        hit(id, start, needle.bytes.len());
                    }
                }
            }
        }
    }
}

/// The fingerprint pass eight positions at a time with AVX2: the eight four-byte windows are
/// shuffled out of one 16-byte load, hashed by one multiplication, and their bits gathered
/// from the bitmap in one instruction.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::{
        __m128i, _mm256_and_si256, _mm256_broadcastsi128_si256, _mm256_castsi256_ps,
        _mm256_i32gather_epi32, _mm256_movemask_ps, _mm256_mullo_epi32, _mm256_set1_epi32,
        _mm256_setr_epi8, _mm256_shuffle_epi8, _mm256_slli_epi32, _mm256_srli_epi32,
        _mm256_srlv_epi32, _mm_loadu_si128,
    };

    use super::{BITS, CHECK_BITS, CHECK_WORDS, WORDS};

    /// Calls `marked(marks, at)` for each block of eight positions at `at` with a position
    /// whose fingerprint is set (bit `k` of `marks` for position `at + k`), as the scalar pass
    /// does, but only for the positions whose second fingerprint is set in `check` too;
    /// returns where it stopped (the caller does the last positions).
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn sift(
        data: &[u8],
        bits: &[u64; WORDS],
        check: &[u64; CHECK_WORDS],
        marked: &mut dyn FnMut(u64, usize),
    ) -> usize {
        // Lane 0 holds the windows at positions 0..4, lane 1 those at 4..8, each from the same
        // 16 bytes.
        let windows = _mm256_setr_epi8(
            0, 1, 2, 3, 1, 2, 3, 4, 2, 3, 4, 5, 3, 4, 5, 6, 4, 5, 6, 7, 5, 6, 7, 8, 6, 7, 8, 9, 7,
            8, 9, 10,
        );
        let golden = _mm256_set1_epi32(0x9E37_79B1_u32 as i32);
        let other = _mm256_set1_epi32(0x85EB_CA77_u32 as i32);
        let low5 = _mm256_set1_epi32(31);
        let base = bits.as_ptr().cast::<i32>();
        let second = check.as_ptr().cast::<i32>();
        let mut at = 0;
        while at + 16 <= data.len() {
            // SAFETY: `at + 16 <= data.len()`, so the 16 bytes read are in `data`.
            let bytes = unsafe { _mm_loadu_si128(data.as_ptr().add(at).cast::<__m128i>()) };
            let w = _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(bytes), windows);
            let slot = _mm256_srli_epi32::<{ 32 - BITS as i32 }>(_mm256_mullo_epi32(w, golden));
            let word = _mm256_srli_epi32::<5>(slot);
            // SAFETY: a slot is below 2^BITS, so `word` indexes one of the bitmap's
            // 2^BITS / 32 32-bit words (little-endian halves of its 64-bit words).
            let got = unsafe { _mm256_i32gather_epi32::<4>(base, word) };
            let bit = _mm256_srlv_epi32(got, _mm256_and_si256(slot, low5));
            let marks = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_slli_epi32::<31>(bit)));
            if marks != 0 {
                // The same windows by the second hash (`super::slot4b`).
                let slot =
                    _mm256_srli_epi32::<{ 32 - CHECK_BITS as i32 }>(_mm256_mullo_epi32(w, other));
                // SAFETY: as above, for the 2^CHECK_BITS bits of `check`.
                let got =
                    unsafe { _mm256_i32gather_epi32::<4>(second, _mm256_srli_epi32::<5>(slot)) };
                let bit = _mm256_srlv_epi32(got, _mm256_and_si256(slot, low5));
                let again = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_slli_epi32::<31>(bit)));
                if marks & again != 0 {
                    marked((marks & again) as u32 as u64, at);
                }
            }
            at += 8;
        }
        at
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
            let o = rarest_gram(k.as_bytes(), true);
            k.get(o..o + 4).unwrap_or_default().to_string()
        };
        assert_ne!(at("docusign"), "docu");
        assert!(at("stackhawk").contains("kh"), "{}", at("stackhawk"));
        assert_eq!(at("notion"), "otio");
        // A user's keyword is estimated from pairs of bytes: `tack` is far more likely than
        // `ckha`, and `mand` than `mdqz`.
        assert!(chained(*b"tack") > 20.0 * chained(*b"ckha"));
        assert!(chained(*b"mand") > 20.0 * chained(*b"mdqz"));
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
