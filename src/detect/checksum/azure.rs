//! Microsoft's identifiable keys (`checksum = "azure-identifiable"`): Azure issues most of its
//! keys in formats that carry a service signature and a Marvin32 checksum, documented with
//! their seeds and layouts by Microsoft's security-utilities
//! (<https://github.com/microsoft/security-utilities>). Two generations:
//!
//! - 32- and 64-byte keys in base64 (44, 52, 56 or 88 characters): a 4-character signature
//!   (`+ASb`, `AzFu`, `ACDb`, …) just before the last 6 characters (not counting `=`), and the
//!   last 4 decoded bytes the Marvin32 (little-endian) of the bytes before them, seeded by the
//!   kind of key (a Service Bus send, listen or manage key, a Functions master key, …). Azure
//!   Cache for Redis writes `P` and `F` for the `+` and `/` of its checksum.
//! - Common annotated security keys (84 characters, 88 in the long form): 52 random
//!   characters, `JQQJ9` and a kind (`9`, `D` or `H`), a date and reserved fields, a
//!   4-character service signature at 76 (`ACOG` for Azure AI services, `AZDO` for Azure
//!   DevOps, …), then the checksum: the Marvin32 of the 60 bytes that the first 80 characters
//!   encode, in base62 (or, in older keys, its bytes in base64).
//!
//! - Entra ID (Azure AD) client secrets of the current version (`8Q~` at 3): their last 3
//!   characters are the Marvin32 of the rest in the secrets' alphabet. Older versions (`7Q~`
//!   and other digits) carry no checksum and pass.
//!
//! A made-up value, or one with a character changed, fails it: the checksum is 32 bits (24 in
//! a short common annotated key).

use crate::aws::{base64_decode, base64_encode};

/// The seeds of each signature of the 32- and 64-byte keys.
const SEEDS: &[(&[u8; 4], &[u64])] = &[
    (b"AzFu", &[FUNCTION_MASTER, SYSTEM, 0x4675_6e63_7469_3030]),
    (b"AzSe", &[0x5175_6572_7930_3030, 0x5041_646d_696e_3030]),
    (b"+ACR", &[0x4143_5244_666c_7430]),
    (b"AzCa", &[0x4163_6365_7373_3030]),
    (b"+ASb", MESSAGING),
    (b"+AEh", MESSAGING),
    (b"+ARm", MESSAGING),
    (
        b"AIoT",
        &[
            0x496f_5448_7562_3030,
            0x4470_734b_6579_3030,
            0x4465_7669_6365_3030,
        ],
    ),
    (b"AZEG", &[0x5365_6e64_5265_6376]),
    (b"+ASt", &[DEFAULT0]),
    (
        b"ACDb",
        &[
            0x5379_7341_6c6c_3030,
            0x5265_736f_7572_3030,
            0x4d61_7374_524f_3030,
            0x5379_7374_524f_3030,
            0x456e_6372_7970_3030,
            0x4d61_7374_5257_3030,
            0x5379_7374_5257_3030,
        ],
    ),
    (b"+ABa", &[0x4162_4163_6374_3030]),
    (b"+AMC", &[0x436c_6173_7369_6330]),
    (
        b"APIM",
        &[
            0x5465_6e61_6e74_3030,
            0x496f_5448_7562_3030,
            0x4761_7465_7779_3030,
            0x4769_744b_6579_3030,
        ],
    ),
];

/// `Master00`, the seed of a Functions master key.
const FUNCTION_MASTER: u64 = 0x4d61_7374_6572_3030;
/// `System00`: Functions system keys, Service Bus and Event Hubs system keys.
const SYSTEM: u64 = 0x5379_7374_656d_3030;
/// `Default0`: storage account keys and every common annotated key.
const DEFAULT0: u64 = 0x4465_6661_756c_7430;
/// Service Bus, Event Hubs and Relay: send, listen, manage, system and unknown keys.
const MESSAGING: &[u64] = &[
    0x5365_6e64_3030_3030,
    0x4c69_7374_656e_3030,
    0x4d61_6e61_6765_3030,
    SYSTEM,
    0x556e_6b6e_6f77_6e30,
];

/// Whether `key` is an identifiable key of either generation with a valid checksum.
pub(super) fn identifiable(key: &[u8]) -> bool {
    if key.get(52..57) == Some(b"JQQJ9".as_slice()) && matches!(key.len(), 84 | 88) {
        return annotated(key);
    }
    if key.get(3..6) == Some(b"8Q~".as_slice()) {
        return entra(key);
    }
    if key.get(4..6) == Some(b"Q~".as_slice()) {
        // Entra ID client secrets of the versions before `8Q~` (`7Q~`, other digits) carry no
        // checksum.
        return key.get(3).is_some_and(u8::is_ascii_digit);
    }
    let pad = key.iter().rev().take_while(|&&b| b == b'=').count();
    let Some(at) = key.len().checked_sub(pad + 10) else {
        return false;
    };
    let Some(seeds) = key
        .get(at..at + 4)
        .and_then(|sig| SEEDS.iter().find(|(s, _)| s.as_slice() == sig))
        .map(|(_, seeds)| *seeds)
    else {
        return false;
    };
    let Some(bytes) = base64_decode(key) else {
        return false;
    };
    let Some((body, check)) = bytes.split_last_chunk::<4>() else {
        return false;
    };
    let stored = u32::from_le_bytes(*check);
    let redis = key.get(at..at + 4) == Some(b"AzCa".as_slice());
    seeds.iter().any(|&seed| {
        let sum = marvin32(body, seed);
        sum == stored || (redis && redis_spelling(key, body, sum))
    })
}

/// Azure Cache for Redis keys hold letters and digits only: the `+` and `/` of their base64
/// are written `P` and `F`, so the checksum is compared as that spelling of the key.
fn redis_spelling(key: &[u8], body: &[u8], sum: u32) -> bool {
    let mut bytes = body.to_vec();
    bytes.extend_from_slice(&sum.to_le_bytes());
    let spelled: Vec<u8> = base64_encode(&bytes)
        .bytes()
        .map(|b| match b {
            b'+' => b'P',
            b'/' => b'F',
            b => b,
        })
        .collect();
    spelled == key
}

/// A common annotated security key: `JQQJ9` and its kind at 52, the checksum of the 60
/// bytes the first 80 characters encode in what follows them.
fn annotated(key: &[u8]) -> bool {
    if !matches!(key.get(57), Some(b'9' | b'D' | b'H')) {
        return false;
    }
    let (Some(head), Some(tail)) = (key.get(..80), key.get(80..)) else {
        return false;
    };
    let Some(bytes) = base64_decode(head) else {
        return false;
    };
    let sum = marvin32(&bytes, DEFAULT0).to_le_bytes();
    let long = key.len() == 88;
    // In base62: the bytes as a big-endian number, a `0` for each leading zero byte, padded
    // with `0` on the right to 6 digits (and, in the long form, read back through base64).
    let mut digits = vec![b'0'; sum.iter().take_while(|&&b| b == 0).count().min(3)];
    digits.extend(base62(u32::from_be_bytes(sum)));
    digits.resize(6, b'0');
    let base62_form = if long {
        base64_decode(&digits)
            .map(|b| base64_encode(&b).into_bytes())
            .unwrap_or_default()
    } else {
        digits
    };
    // The checksum's characters: 4, or in the long form 6 and `==`.
    let written = match tail {
        [c @ .., b'=', b'='] if long && c.len() == 6 => c,
        c if !long && c.len() == 4 => c,
        _ => return false,
    };
    if !written.contains(&b'=') && base62_form.starts_with(written) {
        return true;
    }
    // Older keys: the checksum's bytes (3 of them, 4 in the long form) in base64.
    let raw = base64_encode(sum.get(..if long { 4 } else { 3 }).unwrap_or_default());
    raw.as_bytes() == tail
}

/// An Entra ID (Azure AD) client secret of the current version (`8Q~` at 3): its last 3
/// characters are the first 3 of the Marvin32 of the rest, written most significant digit
/// first in the secrets' own alphabet of 66 characters and padded to 6 with its first (`a`).
fn entra(key: &[u8]) -> bool {
    const ALPHABET: &[u8; 66] =
        b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890.-_~";
    let Some((body, check)) = key.split_last_chunk::<3>() else {
        return false;
    };
    let mut n = marvin32(body, 0x4161_6450_7764_3030);
    let mut digits = Vec::with_capacity(6);
    while n > 0 {
        digits.push(ALPHABET.get((n % 66) as usize).copied().unwrap_or(b'a'));
        n /= 66;
    }
    digits.resize(digits.len().max(6), b'a');
    digits.reverse();
    digits.get(..3) == Some(check.as_slice())
}

/// The base62 digits (`0-9A-Za-z`) of `n`, most significant first (`0` for zero).
fn base62(mut n: u32) -> Vec<u8> {
    const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::with_capacity(6);
    loop {
        out.push(DIGITS.get((n % 62) as usize).copied().unwrap_or(b'0'));
        n /= 62;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    out
}

/// Marvin32: Microsoft's seeded hash (SymCrypt, .NET), the 64-bit result's halves xored.
pub(super) fn marvin32(data: &[u8], seed: u64) -> u32 {
    let (lo, hi) = marvin(data, seed);
    lo ^ hi
}

/// The Marvin hash of `data` as its two 32-bit halves (low, high).
fn marvin(data: &[u8], seed: u64) -> (u32, u32) {
    fn block(mut p0: u32, mut p1: u32) -> (u32, u32) {
        p1 ^= p0;
        p0 = p0.rotate_left(20);
        p0 = p0.wrapping_add(p1);
        p1 = p1.rotate_left(9);
        p1 ^= p0;
        p0 = p0.rotate_left(27);
        p0 = p0.wrapping_add(p1);
        p1 = p1.rotate_left(19);
        (p0, p1)
    }
    let (mut p0, mut p1) = (seed as u32, (seed >> 32) as u32);
    let mut words = data.chunks_exact(4);
    for w in &mut words {
        let mut four = [0u8; 4];
        four.copy_from_slice(w);
        p0 = p0.wrapping_add(u32::from_le_bytes(four));
        (p0, p1) = block(p0, p1);
    }
    // The last 0 to 3 bytes, then a 0x80 byte.
    let mut last = [0u8; 4];
    let rest = words.remainder();
    for (x, y) in last.iter_mut().zip(rest) {
        *x = *y;
    }
    if let Some(x) = last.get_mut(rest.len()) {
        *x = 0x80;
    }
    p0 = p0.wrapping_add(u32::from_le_bytes(last));
    (p0, p1) = block(p0, p1);
    (p0, p1) = block(p0, p1);
    (p0, p1)
}

#[cfg(test)]
mod tests;
