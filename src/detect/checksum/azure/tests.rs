// Tests index the keys they build, whose lengths they set.
#![allow(clippy::indexing_slicing)]

use super::*;

/// A deterministic stream of letters and digits (no value is real).
fn alnum(seed: u64, n: usize) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(A.get((x % 62) as usize).copied().unwrap_or(b'A'))
        })
        .collect()
}

/// A 32- or 64-byte identifiable key the way Azure makes one: random base64 with `signature`
/// just before the checksum, whose last four bytes are the Marvin32 of the rest.
pub(super) fn identifiable_key(seed: u64, bytes: usize, signature: &str, checksum: u64) -> String {
    // Characters before the signature: the key's characters less the signature and the 6
    // characters of the checksum's bytes (and the padding).
    let chars = bytes.div_ceil(3) * 4 - (3 - bytes % 3) % 3;
    let mut text = format!("{}{signature}", alnum(seed, chars - 10));
    // Zero bits up to the checksum's first byte.
    while text.len() * 6 < (bytes - 4) * 8 || text.len() % 4 == 1 {
        text.push('A');
    }
    let mut body = base64_decode(text.as_bytes()).expect("base64");
    body.truncate(bytes - 4);
    let sum = marvin32(&body, checksum);
    body.extend_from_slice(&sum.to_le_bytes());
    base64_encode(&body)
}

/// A common annotated security key for `service` (84 characters, 88 with `long`), its checksum
/// in base62 or (`raw`) as base64 bytes.
pub(super) fn annotated_key(seed: u64, service: &str, long: bool, raw: bool) -> String {
    let head = format!(
        "{}JQQJ99BL{}AAAA{service}",
        alnum(seed, 52),
        alnum(seed ^ 0x55, 12)
    );
    assert_eq!(head.len(), 80);
    let sum = marvin32(&base64_decode(head.as_bytes()).expect("base64"), DEFAULT0).to_le_bytes();
    let tail = if raw {
        base64_encode(&sum[..if long { 4 } else { 3 }])
    } else {
        let mut digits = vec![b'0'; sum.iter().take_while(|&&b| b == 0).count().min(3)];
        digits.extend(base62(u32::from_be_bytes(sum)));
        digits.resize(6, b'0');
        let text = String::from_utf8(digits).expect("ascii");
        if long {
            base64_encode(&base64_decode(text.as_bytes()).expect("base64"))
        } else {
            text[..4].to_string()
        }
    };
    format!("{head}{tail}")
}

#[test]
fn marvin_matches_symcrypt() {
    // SymCrypt's own test values (lib/marvin32.c), as (low, high) halves.
    assert_eq!(
        marvin(b"abc", 0xd53c_d9ce_cd08_93b7),
        (0x4927_69bf, 0x22c7_4339)
    );
    assert_eq!(
        marvin(b"abcdefghijklmnopqrstuvwxyz", 0x0ddd_deee_efff_f000),
        (0x7260_aca2, 0xa128_eb7e)
    );
    assert_eq!(
        marvin32(b"abc", 0xd53c_d9ce_cd08_93b7),
        0x4927_69bf ^ 0x22c7_4339
    );
}

#[test]
fn microsofts_placeholder_keys_pass() {
    // The placeholder keys of security-utilities' secret-masker tests, whose checksums its
    // code made (an Azure Functions system key, an Azure Container Registry key).
    assert!(identifiable(
        b"ddddddddddddddddddddddddddddddddddddddddddddAzFu182vhA=="
    ));
    assert!(identifiable(
        b"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee+ACRCTB7t/"
    ));
    // One character of the body or of the checksum changed.
    assert!(!identifiable(
        b"ddddddddddddddddddddddddddddddddddddddddddedAzFu182vhA=="
    ));
    assert!(!identifiable(
        b"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee+ACRCTB7t0"
    ));
}

#[test]
fn every_signature_with_its_seeds() {
    for (i, (sig, seeds)) in SEEDS.iter().enumerate() {
        let sig = std::str::from_utf8(sig.as_slice()).expect("ascii");
        // Keys of 32 bytes (44 characters), 39 (52) and 40 (56), and 64 (88).
        for (j, &seed) in seeds.iter().enumerate() {
            for bytes in [32, 39, 40, 64] {
                let key = identifiable_key((i * 7 + j) as u64 + 1, bytes, sig, seed);
                assert!(identifiable(key.as_bytes()), "{key}");
                // Another kind's seed does not do.
                let other = identifiable_key((i * 7 + j) as u64 + 1, bytes, sig, 0x0123_4567);
                assert!(!identifiable(other.as_bytes()), "{other}");
            }
        }
    }
    // A signature that is not one of them.
    let key = identifiable_key(9, 32, "XyZw", DEFAULT0);
    assert!(!identifiable(key.as_bytes()));
}

#[test]
fn redis_keys_spell_plus_and_slash_as_p_and_f() {
    // Find a Redis key whose checksum's base64 holds `+` or `/`.
    let seed = SEEDS
        .iter()
        .find(|(s, _)| s == &b"AzCa")
        .and_then(|(_, seeds)| seeds.first().copied())
        .expect("AzCa");
    let key = (1..200)
        .map(|n| identifiable_key(n, 32, "AzCa", seed))
        .find(|k| k.contains(['+', '/']))
        .expect("one of 200 has + or /");
    let spelled = key.replace('+', "P").replace('/', "F");
    assert!(identifiable(key.as_bytes()));
    assert!(identifiable(spelled.as_bytes()), "{spelled}");
    // Other services do not spell theirs so (a signature without `+` or `/`, so that only
    // the checksum's spelling changes).
    let key = (1..200)
        .map(|n| identifiable_key(n, 40, "AzFu", FUNCTION_MASTER))
        .find(|k| k.get(48..).is_some_and(|t| t.contains(['+', '/'])))
        .expect("one of 200 has + or / in its checksum");
    assert!(identifiable(key.as_bytes()));
    let spelled = key.replace('+', "P").replace('/', "F");
    assert!(spelled.contains("AzFu"));
    assert!(!identifiable(spelled.as_bytes()), "{spelled}");
}

#[test]
fn common_annotated_keys() {
    for (n, service) in ["ACOG", "AZDO", "AZEG", "WPSP"].iter().enumerate() {
        for long in [false, true] {
            for raw in [false, true] {
                let key = annotated_key(n as u64 + 3, service, long, raw);
                assert_eq!(key.len(), if long { 88 } else { 84 });
                assert!(identifiable(key.as_bytes()), "{key}");
                // A character of the random part changed.
                let mut typo = key.clone().into_bytes();
                typo[10] = if typo[10] == b'a' { b'b' } else { b'a' };
                assert!(!identifiable(&typo), "{key}");
                // The checksum of another key.
                let other = annotated_key(n as u64 + 40, service, long, raw);
                let mixed = format!("{}{}", &key[..80], &other[80..]);
                assert!(mixed == key || !identifiable(mixed.as_bytes()), "{mixed}");
            }
        }
    }
    // Padding inside the checksum shortens nothing: a short key's checksum is 4 characters,
    // a long key's 6 and `==`.
    let key = annotated_key(6, "ACOG", false, false);
    for tail in ["X===", "XY==", "=XYZ"] {
        let padded = format!("{}{tail}", &key[..80]);
        assert!(!identifiable(padded.as_bytes()), "{padded}");
    }
    let key = annotated_key(6, "ACOG", true, false);
    let padded = format!("{}{}====", &key[..80], &key[80..84]);
    assert!(!identifiable(padded.as_bytes()), "{padded}");
    // Not `JQQJ9` and a kind of key at 52.
    let key = annotated_key(5, "ACOG", false, false);
    assert!(!identifiable(
        key.replacen("JQQJ99", "JQQJ98", 1).as_bytes()
    ));
    assert!(!identifiable(
        key.replacen("JQQJ99", "JQQJ9X", 1).as_bytes()
    ));
    assert!(!identifiable(&key.as_bytes()[..83]));
}

#[test]
fn other_values_fail_without_panicking() {
    for v in [
        &b""[..],
        b"=",
        b"==========",
        b"AzFu",
        b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxAzFuxxxxxA==",
        b"!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!AzFu182vhA==",
        b"ddddddddddddddddddddddddddddddddddddddddddddddddddddJQQJ99AEAAAAAAAAAAAAAAAAAZFU!!!!",
    ] {
        assert!(!identifiable(v));
    }
}

/// An Entra ID client secret of the current version, its checksum computed as the service does.
fn entra_secret(seed: u64) -> String {
    const ALPHABET: &[u8; 66] =
        b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890.-_~";
    let body = format!("{}8Q~{}", alnum(seed, 3), alnum(seed ^ 9, 31));
    let mut n = marvin32(body.as_bytes(), 0x4161_6450_7764_3030);
    let mut digits = Vec::new();
    while n > 0 {
        digits.push(char::from(ALPHABET[(n % 66) as usize]));
        n /= 66;
    }
    while digits.len() < 6 {
        digits.push('a');
    }
    let check: String = digits.iter().rev().take(3).collect();
    format!("{body}{check}")
}

#[test]
fn entra_client_secrets() {
    for seed in 1..50 {
        let secret = entra_secret(seed);
        assert_eq!(secret.len(), 40);
        assert!(identifiable(secret.as_bytes()), "{secret}");
        let mut typo = secret.clone().into_bytes();
        typo[20] = if typo[20] == b'x' { b'y' } else { b'x' };
        assert!(!identifiable(&typo), "{secret}");
    }
    // The versions before `8Q~` have no checksum.
    assert!(identifiable(b"b5~4Q~d6QyD4iR3i633NE6sxBEENFwL1KGyEj_fQ"));
    assert!(identifiable(b"q4R7Q~Xb2kLmNa9-Tz0wYc.Ud5Hs8Jf~Pv1Eg"));
    assert!(!identifiable(b"q4RxQ~Xb2kLmNa9-Tz0wYc.Ud5Hs8Jf~Pv1Eg"));
    assert!(!identifiable(b"abc8Q~"));
}
