use super::*;
use crate::rule::entropy::tests::{random, uuid};
use crate::rule::entropy::SplitMix;

#[test]
fn placeholders_are_recognised() {
    for v in [
        "abcd1234efgh5678ijkl9012mnop3456",
        "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4",
        "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6",
        "123456abcdef7890123456abcdef7890",
        "1234567890abcdef1234567890abcdef",
        "0123456789ABCDEF0123456789ABCDEF",
        "zyxw9876vuts5432rqpo1098nmlk7654",
        "z9y8x7w6v5u4t3s2",
        "Asdf1234asdf1234Asdf1234asdf1234",
        "qwertyuiopasdfghjklzxcvbnm123456",
        "myqwertykey99871",
        "abcabcabcabcabcabcabcabcabcabcab",
        "1234512345f8e7a9",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "abababababababababababab",
        "4a7f4a7f4a7f4a7f4a7f4a7f4a7f4a7f",
        "deadbeefdeadbeefdeadbeefdeadbeef",
        "sk_live_abcdefghijklmnopqrstuvwx",
    ] {
        assert!(is_placeholder(v.as_bytes()), "{v}");
    }
}

#[test]
fn real_looking_values_are_not() {
    for v in [
        "f3e2b7609a4fc1887e0f52aa9b6c39e0",
        "9d4c1e7a0b5f3e8d2c6a4b1f9e7d3c5a",
        "Xk29fLq0ZpR7mN4vB8sT1wYc",
        "ghp_R8s1Lq0ZpX7mN4vB8sT1wYc3Df6Hk9Jm2Pq5",
        "7c9e6679-7425-40de-944b-e07fc1f90ae7",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ3v8Lp2Rs",
        "abc",
        "",
    ] {
        assert!(!is_placeholder(v.as_bytes()), "{v}");
    }
}

/// Random keys almost never look like placeholders: the share of 100,000 random values of
/// each common format that the check rejects (`cargo test --lib placeholder -- --nocapture`
/// prints them) stays under 0.5%.
#[test]
fn random_keys_are_rarely_rejected() {
    const HEX: &[u8] = b"0123456789abcdef";
    const ALNUM: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const N: usize = 100_000;
    let mut rng = SplitMix(2026);
    let formats: [(&str, &[u8], usize); 7] = [
        ("hex 32", HEX, 32),
        ("hex 40", HEX, 40),
        ("alnum 20", ALNUM, 20),
        ("alnum 24", ALNUM, 24),
        ("alnum 32", ALNUM, 32),
        ("alnum 40", ALNUM, 40),
        ("UUID", b"", 36),
    ];
    for (name, alphabet, len) in formats {
        let mut rejected = 0;
        for _ in 0..N {
            let v = if alphabet.is_empty() {
                uuid(&mut rng)
            } else {
                random(&mut rng, alphabet, len)
            };
            rejected += usize::from(is_placeholder(&v));
        }
        let pct = 100.0 * rejected as f64 / N as f64;
        println!("placeholder check rejects {pct:.3}% of random {name} values ({rejected}/{N})");
        assert!(pct < 0.5, "{name}: {pct}%");
    }
}
