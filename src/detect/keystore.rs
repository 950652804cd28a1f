//! Keystores that hold private keys: PKCS #12 files (`.p12`, `.pfx`, and the `.jks` files that
//! Java 9 and later write in that format) and Java KeyStore files (JKS and JCEKS). They are
//! binary, so no pattern sees their keys; they are recognised by their structure, never by
//! their name, wherever content is binary: a file, a member of an archive, a blob of history.
//!
//! Only a keystore with a private key (or, in a JCEKS, a secret key) is reported: a truststore
//! holds certificates, which are public. A PKCS #12 file's private keys sit in a key bag
//! (`keyBag` or, encrypted with the keystore's password, `pkcs8ShroudedKeyBag`) inside its
//! unencrypted `data` contents, where the bag's type is visible, while its certificates are
//! usually in `encryptedData`; a JKS lists each entry's type before its bytes. The keys are
//! encrypted with the keystore password in both, and that password is often a default
//! (`changeit`, `password`) or written next to the file, so the keystore is a leak of its keys.

use sha2::{Digest as _, Sha256};

use crate::finding::{ByteSpan, Encoding, Finding, Location, LocationKind, Secret};
use crate::rule::{Rule, Severity};

/// Where the two rules are defined.
const SOURCE: &str = "src/detect/keystore.rs";

const HELP: &str = "Treat the keystore's private keys as exposed: issue new keys and \
certificates, revoke the old certificates, keep keystores in a secret store rather than the \
repository, and remove the file from git history: \
https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/removing-sensitive-data-from-a-repository";

/// A PKCS #12 keystore with a private key.
pub(crate) static PKCS12: Rule = Rule {
    id: "keystore-pkcs12",
    name: "PKCS #12 keystore with a private key",
    description:
        "A PKCS #12 file (.p12, .pfx, or a Java keystore in that format) that holds a \
private key, encrypted with the keystore's password, which is often a default or stored next to it.",
    help: HELP,
    severity: Severity::High,
    precision: "high",
    source: SOURCE,
};

/// A Java KeyStore (JKS) or JCEKS file with a private or secret key.
pub(crate) static JAVA: Rule = Rule {
    id: "keystore-java",
    name: "Java keystore with a private key",
    description: "A Java KeyStore (JKS) or JCEKS file that holds a private key or a secret key, \
encrypted with the keystore's password, which is often a default such as changeit.",
    help: HELP,
    severity: Severity::High,
    precision: "high",
    source: SOURCE,
};

/// The keystore rules, in report order.
pub(crate) fn rules() -> [&'static Rule; 2] {
    [&PKCS12, &JAVA]
}

/// The kinds of keystore.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Pkcs12,
    Jks,
    Jceks,
}

impl Kind {
    /// What reports show for the finding's value (see `finding::key_header`).
    fn label(self) -> &'static str {
        match self {
            Kind::Pkcs12 => "PKCS #12 keystore",
            Kind::Jks => "JKS keystore",
            Kind::Jceks => "JCEKS keystore",
        }
    }

    fn rule(self) -> &'static Rule {
        match self {
            Kind::Pkcs12 => &PKCS12,
            Kind::Jks | Kind::Jceks => &JAVA,
        }
    }
}

/// The kind of keystore `content` is, when it is one that holds a private or secret key.
pub(crate) fn recognise(content: &[u8]) -> Option<Kind> {
    if let Some(kind) = java_kind(content) {
        return java_has_key(content).then_some(kind);
    }
    (is_pkcs12(content) && pkcs12_has_key_bag(content)).then_some(Kind::Pkcs12)
}

/// The finding for a keystore of `kind` whose content is `content`: located at the whole
/// content (by byte offset, as binary content is), its value the content's SHA-256, so that
/// the same keystore has the same fingerprint wherever it is.
pub(crate) fn finding(kind: Kind, content: &[u8]) -> Finding {
    let digest = Sha256::digest(content);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Finding::new(
        kind.rule(),
        None,
        Some(Secret::new(format!("{} sha256:{hex}", kind.label()))),
        None,
        vec![Location {
            path: String::new(),
            members: Vec::new(),
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 1,
            kind: LocationKind::Secret,
            encoding: Encoding::Plain,
            commit: None,
            unreachable: false,
            offset: Some(ByteSpan {
                offset: 0,
                length: content.len() as u64,
            }),
            deleted: false,
        }],
    )
}

/// JKS (`FE ED FE ED`) or JCEKS (`CE CE CE CE`), version 1 or 2.
fn java_kind(content: &[u8]) -> Option<Kind> {
    let kind = match content.get(..4)? {
        [0xFE, 0xED, 0xFE, 0xED] => Kind::Jks,
        [0xCE, 0xCE, 0xCE, 0xCE] => Kind::Jceks,
        _ => return None,
    };
    matches!(be32(content, 4)?, 1 | 2).then_some(kind)
}

/// Whether a JKS or JCEKS file lists a private key entry (tag 1) or a secret key entry (tag 3,
/// JCEKS), reading its entries in order; a damaged entry ends the reading.
fn java_has_key(content: &[u8]) -> bool {
    let Some(version) = be32(content, 4) else {
        return false;
    };
    let Some(count) = be32(content, 8) else {
        return false;
    };
    let mut at = 12;
    // A file this small cannot hold more entries than it has bytes; the bound keeps a damaged
    // count from looping.
    for _ in 0..count.min(u32::try_from(content.len()).unwrap_or(u32::MAX)) {
        let Some(tag) = be32(content, at) else {
            return false;
        };
        match tag {
            1 | 3 => return true,
            2 => {}
            _ => return false,
        }
        // Alias (u16 length + modified UTF-8), then the creation date (u64).
        let Some(alias) = be16(content, at + 4) else {
            return false;
        };
        at += 4 + 2 + usize::from(alias) + 8;
        // A trusted certificate: its type (version 2), then u32 length + DER.
        let Some(next) = skip_certificate(content, at, version) else {
            return false;
        };
        at = next;
    }
    false
}

/// The offset past a certificate at `at`: its type string (in version 2), its length, its bytes.
fn skip_certificate(content: &[u8], mut at: usize, version: u32) -> Option<usize> {
    if version == 2 {
        at = at.checked_add(2 + usize::from(be16(content, at)?))?;
    }
    let len = usize::try_from(be32(content, at)?).ok()?;
    let end = at.checked_add(4)?.checked_add(len)?;
    (end <= content.len()).then_some(end)
}

/// A PKCS #12 `PFX`: a DER `SEQUENCE` holding `INTEGER 3` and a `ContentInfo` whose type is
/// `data` or `signedData` (RFC 7292, section 4).
fn is_pkcs12(content: &[u8]) -> bool {
    let Some(body) = der_header(content, 0x30).map(|(at, _)| at) else {
        return false;
    };
    if content.get(body..body + 3) != Some(&[0x02, 0x01, 0x03]) {
        return false;
    }
    let Some((info, _)) = der_header(content.get(body + 3..).unwrap_or_default(), 0x30) else {
        return false;
    };
    let oid_at = body + 3 + info;
    const DATA: [u8; 11] = [
        0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01,
    ];
    const SIGNED: [u8; 11] = [
        0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02,
    ];
    matches!(content.get(oid_at..oid_at + 11), Some(o) if o == DATA || o == SIGNED)
}

/// Whether the object identifier of a `keyBag` or `pkcs8ShroudedKeyBag` (1.2.840.113549.1.12.10.1.1
/// and .2) occurs in `content`, DER-encoded: the type of a bag that holds a private key.
fn pkcs12_has_key_bag(content: &[u8]) -> bool {
    const BAG: [u8; 12] = [
        0x06, 0x0B, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x0C, 0x0A, 0x01,
    ];
    memchr::memmem::find_iter(content, &BAG)
        .any(|at| matches!(content.get(at + BAG.len()), Some(1 | 2)))
}

/// An element with tag `tag` at the start of `data`: where its contents start and their
/// length (definite lengths of up to four bytes; `None` for the indefinite length of BER, which
/// some older tools write PKCS #12 files in).
fn der_header(data: &[u8], tag: u8) -> Option<(usize, Option<usize>)> {
    if *data.first()? != tag {
        return None;
    }
    let first = *data.get(1)?;
    if first < 0x80 {
        return Some((2, Some(usize::from(first))));
    }
    let n = usize::from(first & 0x7F);
    if n == 0 {
        return Some((2, None));
    }
    if n > 4 {
        return None;
    }
    let len = data
        .get(2..2 + n)?
        .iter()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    Some((2 + n, Some(len)))
}

fn be32(data: &[u8], at: usize) -> Option<u32> {
    let bytes: [u8; 4] = data.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_be_bytes(bytes))
}

fn be16(data: &[u8], at: usize) -> Option<u16> {
    let bytes: [u8; 2] = data.get(at..at.checked_add(2)?)?.try_into().ok()?;
    Some(u16::from_be_bytes(bytes))
}

/// Keystores built the way their formats lay them out, with random bytes where the encrypted
/// keys and the certificates go (the recognition reads the structure, not the keys).
#[cfg(test)]
pub(crate) mod build {
    /// Deterministic filler bytes: each call gives the next `n`.
    fn filler(seed: u64) -> impl FnMut(usize) -> Vec<u8> {
        let mut rng = seed | 1;
        move |n| {
            (0..n)
                .map(|_| {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    rng as u8
                })
                .collect()
        }
    }

    /// A JKS (`jceks`: JCEKS) of version 2 with `entries`: (tag, alias), tag 1 a private key,
    /// 2 a trusted certificate, 3 a secret key (JCEKS).
    pub(crate) fn java(jceks: bool, entries: &[(u32, &str)], seed: u64) -> Vec<u8> {
        let mut random = filler(seed);
        let mut out = Vec::new();
        out.extend_from_slice(if jceks {
            &[0xCE, 0xCE, 0xCE, 0xCE]
        } else {
            &[0xFE, 0xED, 0xFE, 0xED]
        });
        out.extend_from_slice(&2u32.to_be_bytes());
        out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        let cert = |out: &mut Vec<u8>, body: Vec<u8>| {
            out.extend_from_slice(&5u16.to_be_bytes());
            out.extend_from_slice(b"X.509");
            out.extend_from_slice(&(body.len() as u32).to_be_bytes());
            out.extend_from_slice(&body);
        };
        for (tag, alias) in entries {
            out.extend_from_slice(&tag.to_be_bytes());
            out.extend_from_slice(&(alias.len() as u16).to_be_bytes());
            out.extend_from_slice(alias.as_bytes());
            out.extend_from_slice(&1_700_000_000_000u64.to_be_bytes());
            match tag {
                1 => {
                    let key = random(1218);
                    out.extend_from_slice(&(key.len() as u32).to_be_bytes());
                    out.extend_from_slice(&key);
                    out.extend_from_slice(&1u32.to_be_bytes());
                    cert(&mut out, random(887));
                }
                2 => cert(&mut out, random(887)),
                _ => out.extend_from_slice(&random(96)),
            }
        }
        out.extend_from_slice(&random(20));
        out
    }

    /// A PKCS #12 `PFX` as OpenSSL and Java write one: an `AuthenticatedSafe` of a `data`
    /// ContentInfo holding a `pkcs8ShroudedKeyBag` (when `key`) and an `encryptedData` one
    /// holding the certificates, then the MAC.
    pub(crate) fn pkcs12(key: bool, seed: u64) -> Vec<u8> {
        let mut random = filler(seed);
        let oid = |arcs: &[u8]| der(0x06, arcs.to_vec());
        let pkcs7 = |last: u8| oid(&[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, last]);
        let mut safes = Vec::new();
        if key {
            let bag = der(
                0x30,
                [
                    oid(&[
                        0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x0C, 0x0A, 0x01, 0x02,
                    ]),
                    der(0xA0, der(0x30, random(1200))),
                ]
                .concat(),
            );
            let contents = der(0x30, bag);
            safes.push(der(
                0x30,
                [pkcs7(1), der(0xA0, der(0x04, contents))].concat(),
            ));
        }
        safes.push(der(
            0x30,
            [pkcs7(6), der(0xA0, der(0x30, random(900)))].concat(),
        ));
        let auth_safe = der(0x30, safes.concat());
        let content_info = der(0x30, [pkcs7(1), der(0xA0, der(0x04, auth_safe))].concat());
        let mac = der(0x30, random(60));
        der(0x30, [vec![0x02, 0x01, 0x03], content_info, mac].concat())
    }

    /// A DER element: `tag`, the definite length of `body`, `body`.
    fn der(tag: u8, body: Vec<u8>) -> Vec<u8> {
        let len = body.len();
        let mut out = vec![tag];
        if len < 0x80 {
            out.push(len as u8);
        } else {
            let bytes: Vec<u8> = len
                .to_be_bytes()
                .iter()
                .copied()
                .skip_while(|&b| b == 0)
                .collect();
            out.push(0x80 | bytes.len() as u8);
            out.extend_from_slice(&bytes);
        }
        out.extend_from_slice(&body);
        out
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn keystores_with_keys_are_recognised() {
        assert_eq!(recognise(&build::pkcs12(true, 1)), Some(Kind::Pkcs12));
        assert_eq!(
            recognise(&build::java(false, &[(1, "server")], 2)),
            Some(Kind::Jks)
        );
        // The key entry after trusted certificates, which are skipped by their lengths.
        assert_eq!(
            recognise(&build::java(
                false,
                &[(2, "ca"), (2, "intermediate"), (1, "tomcat")],
                3
            )),
            Some(Kind::Jks)
        );
        assert_eq!(
            recognise(&build::java(true, &[(2, "ca"), (3, "aes-key")], 4)),
            Some(Kind::Jceks)
        );
        // The same PFX with the indefinite lengths of BER in its two outer sequences.
        let der = build::pkcs12(true, 13);
        let mut ber = vec![0x30, 0x80];
        let inner = &der[4..];
        assert_eq!(&der[..2], &[0x30, 0x82]);
        assert_eq!(&inner[..5], &[0x02, 0x01, 0x03, 0x30, 0x82]);
        ber.extend_from_slice(&inner[..3]);
        ber.extend_from_slice(&[0x30, 0x80]);
        ber.extend_from_slice(&inner[3 + 4..]);
        ber.extend_from_slice(&[0, 0, 0, 0]);
        assert_eq!(recognise(&ber), Some(Kind::Pkcs12));
    }

    #[test]
    fn truststores_and_look_alikes_are_not() {
        // Certificates only.
        assert_eq!(recognise(&build::pkcs12(false, 5)), None);
        assert_eq!(
            recognise(&build::java(false, &[(2, "ca"), (2, "other-ca")], 6)),
            None
        );
        // An empty keystore.
        assert_eq!(recognise(&build::java(false, &[], 7)), None);
        // The magic alone, a wrong version, a DER sequence that is no PFX, text.
        assert_eq!(recognise(&[0xFE, 0xED, 0xFE, 0xED]), None);
        let mut v9 = build::java(false, &[(1, "k")], 8);
        v9[7] = 9;
        assert_eq!(recognise(&v9), None);
        assert_eq!(recognise(&[0x30, 0x03, 0x02, 0x01, 0x02]), None);
        assert_eq!(recognise(b"-----BEGIN PRIVATE KEY-----"), None);
        assert_eq!(recognise(&[]), None);
    }

    #[test]
    fn damaged_keystores_end_the_reading_without_a_panic() {
        let jks = build::java(false, &[(2, "ca"), (1, "server")], 9);
        // Cut inside the trusted certificate: the key entry after it is not reached.
        assert_eq!(recognise(&jks[..200]), None);
        // Every prefix and a huge entry count are read in bounds.
        for n in 0..jks.len() {
            let _ = recognise(&jks[..n]);
        }
        let mut count = jks.clone();
        count[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(recognise(&count), Some(Kind::Jks));
        let p12 = build::pkcs12(true, 10);
        for n in 0..p12.len() {
            let _ = recognise(&p12[..n]);
        }
    }

    #[test]
    fn findings_are_placed_at_the_whole_content_and_fingerprinted_by_it() {
        let a = build::pkcs12(true, 11);
        let b = build::pkcs12(true, 12);
        let fa = finding(Kind::Pkcs12, &a);
        assert_eq!(fa.rule.id, "keystore-pkcs12");
        assert_eq!(
            fa.locations.first().and_then(|l| l.offset),
            Some(ByteSpan {
                offset: 0,
                length: a.len() as u64
            })
        );
        assert_eq!(fa.fingerprint, finding(Kind::Pkcs12, &a).fingerprint);
        assert_ne!(fa.fingerprint, finding(Kind::Pkcs12, &b).fingerprint);
        let secret = fa
            .secret
            .as_ref()
            .map(|s| s.expose().to_string())
            .unwrap_or_default();
        assert!(secret.starts_with("PKCS #12 keystore sha256:"), "{secret}");
        // Reports show the kind, not the digest.
        assert_eq!(
            fa.secret.as_ref().map(|s| s.redacted()),
            Some("PKCS #12 keystore (redacted)".to_string())
        );
        assert_eq!(finding(Kind::Jceks, &a).rule.id, "keystore-java");
    }
}
