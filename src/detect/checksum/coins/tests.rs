use super::*;

#[test]
fn base58check_known_values() {
    // The Bitcoin wiki's WIF example (private key 0C28FCA3…AA1D), uncompressed and compressed.
    assert!(base58check(
        b"5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ"
    ));
    assert!(base58check(
        b"KwdMAjGmerYanjeui5SHS7JkmpZvVipYvB2LJGU1ZxJwYvP98617"
    ));
    // BIP-32 test vector 1, the master private key.
    assert!(base58check(b"xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi"));
    // One character changed, two swapped, one dropped.
    assert!(!base58check(
        b"5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTK"
    ));
    assert!(!base58check(
        b"5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvTyJ"
    ));
    assert!(!base58check(
        b"5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyT"
    ));
    // Outside the alphabet (`0`, `O`, `I`, `l`), too short, empty.
    assert!(!base58check(
        b"5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvy0J"
    ));
    assert!(!base58check(b"1111"));
    assert!(!base58check(b""));
    assert!(!base58check(&[b'z'; 500]));
}

#[test]
fn base58_decodes_leading_ones_as_zero_bytes() {
    assert_eq!(base58_decode(b"1"), Some(vec![0]));
    assert_eq!(base58_decode(b"11z"), Some(vec![0, 0, 57]));
    assert_eq!(base58_decode(b"21"), Some(vec![58]));
    assert_eq!(base58_decode(b"0"), None);
}

#[test]
fn bech32_test_vectors() {
    // BIP-173's and BIP-350's valid strings.
    for s in [
        "A12UEL5L",
        "a12uel5l",
        "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
        "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
        "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
        "?1ezyfcl",
        "A1LQFN3A",
        "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
    ] {
        assert!(bech32(s.as_bytes()), "{s}");
    }
    // Their invalid ones: a checksum made with the upper-case part, an empty part, a
    // character outside the alphabet, a checksum too short, mixed case.
    for s in [
        "A1G7SGD8",
        "10a06t8",
        "1qzzfhee",
        "x1b4n0q5v",
        "li1dgmt3",
        "A12uEL5L",
    ] {
        assert!(!bech32(s.as_bytes()), "{s}");
    }
    assert!(!bech32(b""));
    assert!(!bech32(b"1"));
}
