//! The encodings of cryptocurrency and other key formats with a checksum of their own:
//!
//! - `base58check` (Bitcoin's Base58Check): base58 of a payload and the first 4 bytes of its
//!   double SHA-256. Bitcoin's WIF private keys and BIP-32 extended private keys (`xprv`, …)
//!   are written in it.
//! - `bech32` (BIP-173, and BIP-350's bech32m): a human-readable part, `1`, and base32 data
//!   whose last 6 characters are a BCH checksum of the rest. age identities
//!   (`AGE-SECRET-KEY-1…`) and Nostr private keys (`nsec1…`) are written in it.

use sha2::{Digest, Sha256};

/// The base58 alphabet (no `0`, `O`, `I`, `l`).
const BASE58: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// The bech32 alphabet.
const BECH32: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/// Longest value decoded: the decoding is quadratic, and no key of these formats is longer.
const LONGEST: usize = 200;

/// Whether `s` is base58 with a valid Base58Check checksum.
pub(super) fn base58check(s: &[u8]) -> bool {
    let Some(bytes) = base58_decode(s) else {
        return false;
    };
    let Some((body, check)) = bytes.split_last_chunk::<4>() else {
        return false;
    };
    !body.is_empty() && Sha256::digest(Sha256::digest(body)).get(..4) == Some(check.as_slice())
}

/// The bytes that base58 `s` encodes (each leading `1` a zero byte).
fn base58_decode(s: &[u8]) -> Option<Vec<u8>> {
    if s.len() > LONGEST {
        return None;
    }
    // The number, little-endian, multiplied by 58 and added to digit by digit.
    let mut number: Vec<u8> = Vec::with_capacity(s.len());
    for &c in s {
        let mut carry = BASE58.iter().position(|&b| b == c)? as u32;
        for byte in number.iter_mut() {
            carry += u32::from(*byte) * 58;
            *byte = (carry & 0xFF) as u8;
            carry >>= 8;
        }
        while carry > 0 {
            number.push((carry & 0xFF) as u8);
            carry >>= 8;
        }
    }
    let zeros = s.iter().take_while(|&&c| c == b'1').count();
    number.extend(std::iter::repeat_n(0, zeros));
    number.reverse();
    Some(number)
}

/// Whether `s` is a bech32 or bech32m string with a valid checksum (one letter case, a
/// human-readable part, `1`, and at least the 6 characters of the checksum).
pub(super) fn bech32(s: &[u8]) -> bool {
    if s.len() > LONGEST || (s != s.to_ascii_lowercase() && s != s.to_ascii_uppercase()) {
        return false;
    }
    let lower = s.to_ascii_lowercase();
    let Some(sep) = lower.iter().rposition(|&b| b == b'1') else {
        return false;
    };
    let (Some(hrp), Some(data)) = (lower.get(..sep), lower.get(sep + 1..)) else {
        return false;
    };
    if hrp.is_empty() || data.len() < 6 || !hrp.iter().all(|b| (33..=126).contains(b)) {
        return false;
    }
    let Some(values) = data
        .iter()
        .map(|c| BECH32.iter().position(|b| b == c).map(|p| p as u8))
        .collect::<Option<Vec<u8>>>()
    else {
        return false;
    };
    let expanded = hrp
        .iter()
        .map(|c| c >> 5)
        .chain([0])
        .chain(hrp.iter().map(|c| c & 31))
        .chain(values);
    let sum = expanded.fold(1u32, polymod_step);
    // bech32 (BIP-173) or bech32m (BIP-350).
    sum == 1 || sum == 0x2bc8_30a3
}

/// One step of bech32's BCH checksum.
fn polymod_step(sum: u32, value: u8) -> u32 {
    const GENERATOR: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let top = sum >> 25;
    let mut sum = ((sum & 0x01ff_ffff) << 5) ^ u32::from(value);
    for (i, g) in GENERATOR.iter().enumerate() {
        if (top >> i) & 1 == 1 {
            sum ^= g;
        }
    }
    sum
}

#[cfg(test)]
mod tests;
