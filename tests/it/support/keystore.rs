//! Keystores built at test time the way their formats lay them out: a Java KeyStore (JKS or
//! JCEKS) with private key, trusted certificate and secret key entries, and a PKCS #12 file
//! with or without a key bag. Random bytes stand where the encrypted keys and the certificates
//! go: keyhound recognises the structure, it does not decrypt.

/// Deterministic filler bytes.
fn filler(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A version 2 JKS (`jceks`: JCEKS) with `entries` as (tag, alias): 1 a private key with one
/// certificate, 2 a trusted certificate, 3 a secret key (JCEKS only).
pub fn java_keystore(jceks: bool, entries: &[(u32, &str)], seed: u64) -> Vec<u8> {
    let mut out = if jceks {
        vec![0xCE; 4]
    } else {
        vec![0xFE, 0xED, 0xFE, 0xED]
    };
    out.extend_from_slice(&2u32.to_be_bytes());
    out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
    let cert = |out: &mut Vec<u8>, seed: u64| {
        out.extend_from_slice(&5u16.to_be_bytes());
        out.extend_from_slice(b"X.509");
        let der = filler(seed, 850);
        out.extend_from_slice(&(der.len() as u32).to_be_bytes());
        out.extend_from_slice(&der);
    };
    for (i, (tag, alias)) in entries.iter().enumerate() {
        let seed = seed + 10 * i as u64;
        out.extend_from_slice(&tag.to_be_bytes());
        out.extend_from_slice(&(alias.len() as u16).to_be_bytes());
        out.extend_from_slice(alias.as_bytes());
        out.extend_from_slice(&1_767_225_600_000u64.to_be_bytes());
        match tag {
            1 => {
                let key = filler(seed + 1, 1200);
                out.extend_from_slice(&(key.len() as u32).to_be_bytes());
                out.extend_from_slice(&key);
                out.extend_from_slice(&1u32.to_be_bytes());
                cert(&mut out, seed + 2);
            }
            2 => cert(&mut out, seed + 3),
            _ => out.extend_from_slice(&filler(seed + 4, 96)),
        }
    }
    out.extend_from_slice(&filler(seed + 5, 20));
    out
}

/// A PKCS #12 file as OpenSSL and keytool write one: a `data` ContentInfo with a
/// `pkcs8ShroudedKeyBag` (when `key`), an `encryptedData` one with the certificates, a MAC.
pub fn pkcs12(key: bool, seed: u64) -> Vec<u8> {
    let pkcs7 = |last: u8| {
        der(
            0x06,
            vec![0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, last],
        )
    };
    let mut safes = Vec::new();
    if key {
        let bag_type = der(
            0x06,
            vec![
                0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x0C, 0x0A, 0x01, 0x02,
            ],
        );
        let bag = der(
            0x30,
            [bag_type, der(0xA0, der(0x30, filler(seed, 1200)))].concat(),
        );
        let contents = der(0x30, bag);
        safes.push(der(
            0x30,
            [pkcs7(1), der(0xA0, der(0x04, contents))].concat(),
        ));
    }
    safes.push(der(
        0x30,
        [pkcs7(6), der(0xA0, der(0x30, filler(seed + 1, 900)))].concat(),
    ));
    let auth_safe = der(0x30, safes.concat());
    let content_info = der(0x30, [pkcs7(1), der(0xA0, der(0x04, auth_safe))].concat());
    let mac = der(0x30, filler(seed + 2, 60));
    der(0x30, [vec![0x02, 0x01, 0x03], content_info, mac].concat())
}

/// A DER element with a definite length.
fn der(tag: u8, body: Vec<u8>) -> Vec<u8> {
    let mut out = vec![tag];
    let len = body.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(&body);
    out
}
