use super::*;
use crate::rule::placeholder::is_placeholder;

const HEX: &[u8] = b"0123456789abcdef";
const LOWER36: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
const ALNUM: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const BASE64URL: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_";

/// A random value of `len` characters of `alphabet`.
pub(crate) fn random(rng: &mut SplitMix, alphabet: &[u8], len: usize) -> Vec<u8> {
    (0..len)
        .map(|_| {
            alphabet
                .get(rng.below(alphabet.len()))
                .copied()
                .unwrap_or(b'0')
        })
        .collect()
}

/// A random version 4 UUID, lower case.
pub(crate) fn uuid(rng: &mut SplitMix) -> Vec<u8> {
    let mut v = random(rng, HEX, 32);
    if let Some(b) = v.get_mut(12) {
        *b = b'4';
    }
    if let Some(b) = v.get_mut(16) {
        *b = *b"89ab".get(rng.below(4)).unwrap_or(&b'8');
    }
    for at in [20, 16, 12, 8] {
        v.insert(at, b'-');
    }
    v
}

#[test]
fn entropy_of_uniform_and_constant() {
    assert_eq!(shannon_entropy(b"aaaa"), 0.0);
    assert!((shannon_entropy(b"abcd") - 2.0).abs() < 1e-9);
}

#[test]
fn a_random_32_hex_key_under_the_written_floor_passes() {
    // A random key (drawn for this test) whose entropy is 3.4: the plain floor of 3.5 dropped it.
    let key = b"bb96026b9d6428dbd8e433bd7f39392e";
    let h = shannon_entropy(key);
    assert!((3.3..3.5).contains(&h), "{h}");
    assert!(passes_floor(key, 3.5, || true) && !is_placeholder(key));
    // And every random 32-hex key of the generator below that falls under 3.5 but above the
    // 0.5th percentile of its shape.
    let mut rng = SplitMix(32);
    let cap = random_floor(Shape::of(key).unwrap_or_else(|| panic!("shape")));
    assert!((3.1..3.4).contains(&cap), "{cap}");
    let mut seen = 0;
    for _ in 0..2000 {
        let v = random(&mut rng, HEX, 32);
        let h = shannon_entropy(&v);
        if h < 3.5 && h >= cap {
            seen += 1;
            assert!(
                passes_floor(&v, 3.5, || true),
                "{}",
                String::from_utf8_lossy(&v)
            );
        }
    }
    assert!(seen > 100, "{seen}");
}

#[test]
fn shapes() {
    let shape = |v: &[u8]| Shape::of(v).map(|s| (s.alphabet, s.random, s.other));
    assert_eq!(shape(b"0123abcd"), Some((16, 8, 0)));
    assert_eq!(shape(b"0123ABCD"), Some((16, 8, 0)));
    assert_eq!(shape(b"0123abCD"), Some((62, 8, 0)));
    assert_eq!(shape(b"0123abcz"), Some((36, 8, 0)));
    assert_eq!(shape(b"0123ABCZ"), Some((36, 8, 0)));
    assert_eq!(shape(b"0123aBcz"), Some((62, 8, 0)));
    assert_eq!(
        shape(b"123e4567-e89b-12d3-a456-426614174000"),
        Some((16, 32, 4))
    );
    assert_eq!(shape(b"sk_live_0aZ"), Some((62, 9, 2)));
    // Digits (and separators) only: no shape, the floor as written.
    assert_eq!(shape(b"12345678901234567890"), None);
    assert_eq!(shape(b"1234-5678"), None);
    assert_eq!(shape(b""), None);
    let long = [b'a'; 1000];
    assert_eq!(shape(&long), Some((16, 256, 0)));
}

#[test]
fn floors_grow_with_length_and_alphabet_and_are_stable() {
    let floor = |alphabet, random, other| {
        random_floor(Shape {
            alphabet,
            random,
            other,
        })
    };
    for n in [12, 20, 32, 64] {
        assert!(floor(16, n, 0) < floor(36, n, 0));
        assert!(floor(36, n, 0) < floor(62, n, 0));
        assert!(floor(16, n, 0) < floor(16, n * 2, 0));
        assert!(floor(16, n, 0) < (n as f64).log2().min(4.0));
    }
    // Measured once, the same every time (the generator is seeded by the shape).
    assert_eq!(
        floor(16, 32, 0).to_bits(),
        simulate(Shape::of(&[b'a'; 32]).unwrap_or_else(|| panic!())).to_bits()
    );
    // A value of digits only keeps the floor as written.
    assert!(!passes_floor(
        b"31415926535897932384626433832795",
        3.5,
        || false
    ));
    // So does a value under 16 characters (12 for hex).
    assert!(!passes_floor(b"postgres", 3.0, || false));
    assert!(!passes_floor(b"managers2024", 3.5, || false));
    assert!(!passes_floor(b"8be04f7b", 3.0, || false));
    assert!(passes_floor(b"a0b5f2e9d14b", 3.5, || false));
    assert!(passes_floor(b"9f3a0c7e5b1d8e64", 3.5, || true));
    // A word in capitals, where the pattern allows both cases, is measured as mixed-case.
    let word = b"PLATFORMENGINEERINGTEAM1";
    assert!(passes_floor(word, 3.8, || false) && !passes_floor(word, 3.8, || true));
    // Values far under what random values reach still fail.
    for v in [
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "deadbeefdeadbeefdeadbeefdeadbeef",
        "f00dbabe0000000000000000d00dfeed",
    ] {
        assert!(!passes_floor(v.as_bytes(), 3.5, || true), "{v}");
    }
    assert!(!passes_floor(
        b"aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbb",
        1.5,
        || true
    ));
}

/// The share of random values of each common format that a floor of 3.5 bits lets through,
/// written as is (before) and capped by the shape (after, placeholder check included), on
/// 20,000 values per format: `cargo test --lib random_keys_pass -- --nocapture` prints them.
#[test]
fn random_keys_pass_a_floor_fair_to_their_shape() {
    let formats: [(&str, &[u8], usize); 14] = [
        ("hex 16", HEX, 16),
        ("hex 20", HEX, 20),
        ("hex 24", HEX, 24),
        ("hex 32", HEX, 32),
        ("hex 40", HEX, 40),
        ("hex 64", HEX, 64),
        ("lower+digits 16", LOWER36, 16),
        ("lower+digits 20", LOWER36, 20),
        ("lower+digits 32", LOWER36, 32),
        ("alnum 16", ALNUM, 16),
        ("alnum 20", ALNUM, 20),
        ("alnum 24", ALNUM, 24),
        ("alnum 32", ALNUM, 32),
        ("base64url 43", BASE64URL, 43),
    ];
    const N: usize = 20_000;
    for floor in [3.5, 4.0] {
        let mut rng = SplitMix(7);
        let mut rows: Vec<(String, usize, usize)> = Vec::new();
        for (name, alphabet, len) in formats {
            // The rule's pattern mixes cases where the format does.
            let mixed = alphabet == ALNUM || alphabet == BASE64URL;
            let (mut before, mut after) = (0, 0);
            for _ in 0..N {
                let v = random(&mut rng, alphabet, len);
                before += usize::from(shannon_entropy(&v) >= floor);
                after += usize::from(passes_floor(&v, floor, || mixed) && !is_placeholder(&v));
            }
            rows.push((name.to_string(), before, after));
        }
        let (mut before, mut after) = (0, 0);
        for _ in 0..N {
            let v = uuid(&mut rng);
            before += usize::from(shannon_entropy(&v) >= floor);
            after += usize::from(passes_floor(&v, floor, || false) && !is_placeholder(&v));
        }
        rows.push(("UUID".to_string(), before, after));
        for (name, before, after) in rows {
            let pct = |c: usize| 100.0 * c as f64 / N as f64;
            println!(
                "floor {floor}: {name:<16} before {:5.1}%  after {:5.1}%",
                pct(before),
                pct(after)
            );
            assert!(pct(after) >= 99.0, "{name} at {floor}: {}%", pct(after));
        }
    }
}

/// Every shape a value can have is measured as one of a few thousand, whose floor is never
/// above its own: a file of values of every length and separator count costs a bounded number
/// of simulations, and no value is held to a stricter floor for it (beyond sampling noise).
#[test]
fn coarse_shapes_are_few_and_never_stricter() {
    let mut coarse = std::collections::HashSet::new();
    for alphabet in [16u8, 36, 62] {
        for random in 0..=256u16 {
            for other in 0..=256u16 {
                if random + other <= 256 {
                    coarse.insert(
                        Shape {
                            alphabet,
                            random,
                            other,
                        }
                        .coarse(),
                    );
                }
            }
        }
    }
    assert!(coarse.len() < 5_000, "{}", coarse.len());
    for (alphabet, random, other) in [
        (16, 70, 3),
        (62, 100, 5),
        (36, 129, 0),
        (16, 200, 10),
        (62, 24, 7),
    ] {
        let exact = simulate(Shape {
            alphabet,
            random,
            other,
        });
        let used = random_floor(Shape {
            alphabet,
            random,
            other,
        });
        // Within the simulation's noise (each shape draws its own samples).
        assert!(
            used <= exact + 0.01,
            "{alphabet} {random} {other}: {used} > {exact}"
        );
    }
}
