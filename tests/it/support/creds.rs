//! Fake credentials, generated at test time from a seed: AWS key IDs (long-term, temporary,
//! old-style and IAM unique IDs), secret access keys, STS session tokens, hex, UUIDs, and the
//! encodings a leak can take (base64, URL encoding, JSON with escaped slashes). The same seed
//! always gives the same value, none of them is real, and every key ID passes the matcher's
//! shape checks without being a placeholder or a documentation example. Also the account ID a
//! key ID encodes, computed independently of the crate.

use keyhound::aws::keys::{self as aws, Strictness};
use keyhound::aws::AwsRules;

const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// Fifth characters of key IDs issued since the account encoding (`Q`..`7`).
const MODERN_FIFTH: &[u8] = b"QRSTUVWXYZ234567";
/// Fifth characters of old key IDs, which do not encode an account.
const OLD_FIFTH: &[u8] = b"IJ";
pub const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
pub const HEX: &[u8] = b"0123456789abcdef";

/// xorshift64 seeded through splitmix64, so that small neighbouring seeds give unrelated
/// streams.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Rng(if z == 0 { 0x2545_F491_4F6C_DD1D } else { z })
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn pick(&mut self, alphabet: &[u8]) -> char {
        char::from(alphabet[self.below(alphabet.len())])
    }

    pub fn string(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len).map(|_| self.pick(alphabet)).collect()
    }

    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| (self.next_u64() >> 24) as u8).collect()
    }
}

fn has_run_of_same(s: &str, n: usize) -> bool {
    let b = s.as_bytes();
    b.windows(n).any(|w| w.iter().all(|&c| c == w[0]))
}

/// The built-in AWS rules (for the key ID shape), parsed once.
fn aws_rules() -> &'static AwsRules {
    static RULES: std::sync::OnceLock<AwsRules> = std::sync::OnceLock::new();
    RULES.get_or_init(|| AwsRules::builtin().expect("built-in AWS rules"))
}

fn gen_key_id(prefix: &str, fifth: &[u8], seed: u64, domain: u64) -> String {
    let mut rng = Rng::new(seed ^ domain);
    loop {
        let mut id = String::from(prefix);
        id.push(rng.pick(fifth));
        id.push_str(&rng.string(BASE32, 15));
        if aws_rules().is_key_id(id.as_bytes())
            && !aws::is_placeholder_key_id(&id)
            && !aws::is_example(&id)
            && !has_run_of_same(&id, 3)
            // Real account IDs have 12 digits, which rules out some fifth characters.
            && expected_account(&id).is_none_or(|a| a.len() == 12)
        {
            return id;
        }
    }
}

/// A long-term key ID (`AKIA` + 16 base32 characters) that encodes an account.
pub fn key_id(seed: u64) -> String {
    gen_key_id("AKIA", MODERN_FIFTH, seed, 0x4B45_5949_4441_4B49)
}

/// A temporary key ID (`ASIA` + 16 base32 characters) that encodes an account.
pub fn asia_key_id(seed: u64) -> String {
    gen_key_id("ASIA", MODERN_FIFTH, seed, 0x4B45_5949_4441_5349)
}

/// A long-term key ID whose fifth character is `I` or `J`: no account can be decoded.
pub fn old_key_id(seed: u64) -> String {
    gen_key_id("AKIA", OLD_FIFTH, seed, 0x4F4C_444B_4559_4944)
}

/// An IAM unique ID (not a credential) with the given prefix and a 17-character body.
pub fn unique_id(prefix: &str, seed: u64) -> String {
    let mut rng = Rng::new(seed ^ 0x554E_4951_5545_4944);
    format!("{prefix}{}", rng.string(BASE32, 17))
}

fn gen_secret(seed: u64, symbols: bool) -> String {
    let domain = if symbols {
        0x5345_4352_4554_5359
    } else {
        0x5345_4352_4554_4B59
    };
    let mut rng = Rng::new(seed ^ domain);
    loop {
        let s = rng.string(B64, 40);
        let b = s.as_bytes();
        let ok = b[0].is_ascii_alphanumeric()
            && b[39].is_ascii_alphanumeric()
            && (!symbols || (s.contains('/') && s.contains('+')))
            && !has_run_of_same(&s, 3)
            && !s.to_ascii_lowercase().contains("example")
            && aws::is_secret_shape(b, Strictness::NoKeyword);
        if ok {
            return s;
        }
    }
}

/// A 40-character secret access key: upper, lower and digits, sometimes `/` or `+`. It starts
/// and ends with an alphanumeric character and passes the matcher's strictest shape test.
pub fn secret(seed: u64) -> String {
    gen_secret(seed, false)
}

/// Like `secret`, but always with at least one `/` and one `+` (for encoding tests).
pub fn secret_with_symbols(seed: u64) -> String {
    gen_secret(seed, true)
}

const TOKEN_LEN: usize = 300;

fn token_ok(t: &str) -> bool {
    let lower = t.to_ascii_lowercase();
    t.contains('/')
        && t.contains('+')
        && ["example", "secret", "session", "security", "token"]
            .iter()
            .all(|w| !lower.contains(w))
        && aws::is_token_shape(t.as_bytes())
}

/// A ~300-character STS session token: base64 starting with `IQoJb3JpZ2luX2Vj` (even seeds)
/// or `FwoGZXIvYXdzE` (odd seeds), with a random body (no runs of repeated characters).
pub fn session_token(seed: u64) -> String {
    let prefix = if seed % 2 == 0 {
        "IQoJb3JpZ2luX2Vj"
    } else {
        "FwoGZXIvYXdzE"
    };
    let mut rng = Rng::new(seed ^ 0x544F_4B45_4E54_4F4B);
    loop {
        let t = format!("{prefix}{}", rng.string(B64, TOKEN_LEN - prefix.len()));
        if !has_run_of_same(&t, 3) && token_ok(&t) {
            return t;
        }
    }
}

/// A session token shaped like most tokens STS really issues: right after the prefix comes a
/// protobuf varint written as ten `/` characters (`IQoJb3JpZ2luX2VjE..//////////wEaCXVz...`).
pub fn session_token_realistic(seed: u64) -> String {
    let mut rng = Rng::new(seed ^ 0x5245_414C_544F_4B4E);
    loop {
        let head = format!(
            "IQoJb3JpZ2luX2VjE{}//////////wEaCXVzLWVhc3QtMSJHMEUCIQ",
            rng.string(B64, 2)
        );
        let t = format!("{head}{}", rng.string(B64, TOKEN_LEN - head.len()));
        let lower = t.to_ascii_lowercase();
        if t.contains('+')
            && ["example", "secret", "session", "security", "token"]
                .iter()
                .all(|w| !lower.contains(w))
        {
            return t;
        }
    }
}

/// A classic GitHub personal access token: `ghp_`, 30 random alphanumeric characters with no
/// run of three repeated characters, and the 6-character checksum GitHub's format ends in (the
/// CRC-32 of the 30, in base62), which keyhound checks.
pub fn github_pat(seed: u64) -> String {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = Rng::new(seed ^ 0x4748_5041_5443_4C53);
    loop {
        let body = rng.string(ALNUM, 30);
        let t = format!("ghp_{body}{}", base62_checksum(body.as_bytes()));
        if !has_run_of_same(&t, 3) {
            return t;
        }
    }
}

/// The checksum of GitHub's and npm's token formats: CRC-32 (IEEE) in base62 (`0-9A-Za-z`),
/// padded with `0` to 6 characters.
pub fn base62_checksum(payload: &[u8]) -> String {
    const DIGITS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut n = crc32fast::hash(payload);
    let mut out = Vec::new();
    while n > 0 {
        out.push(DIGITS[(n % 62) as usize]);
        n /= 62;
    }
    out.resize(6, b'0');
    out.reverse();
    String::from_utf8(out).expect("ascii")
}

/// Lowercase hex of `n` characters (hashes, commit ids).
pub fn hex(seed: u64, n: usize) -> String {
    Rng::new(seed ^ 0x4845_5848_4558_4845).string(HEX, n)
}

/// A random version-4 UUID.
pub fn uuid(seed: u64) -> String {
    let h = hex(seed ^ 0x5555_4944, 32);
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

/// Standard base64 with padding.
pub fn b64(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(char::from(B64[((n >> (18 - 6 * k)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Percent-encodes the base64 characters that URLs escape (`/`, `+`, `=`).
pub fn url_encode(s: &str) -> String {
    s.replace('/', "%2F")
        .replace('+', "%2B")
        .replace('=', "%3D")
}

/// JSON with escaped slashes, as PHP's `json_encode` writes it.
pub fn json_escape_slashes(s: &str) -> String {
    s.replace('/', "\\/")
}

/// The account ID a key ID encodes, computed independently of the crate (base32-decode the
/// body, take the top 48 bits, `(x & 0x7FFF_FFFF_FF80) >> 7`). `None` for fifth character
/// `I` or `J`.
pub fn expected_account(key_id: &str) -> Option<String> {
    let b = key_id.as_bytes();
    if b.len() != 20 || matches!(b[4], b'I' | b'J') {
        return None;
    }
    let mut bits: u128 = 0;
    for &c in &b[4..] {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        bits = (bits << 5) | u128::from(v);
    }
    let x = (bits >> 32) as u64;
    Some(format!("{:012}", (x & 0x7FFF_FFFF_FF80) >> 7))
}
