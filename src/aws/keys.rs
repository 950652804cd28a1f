//! Key shapes: which 20-character IDs are credential key IDs, the offline account decoding,
//! what a secret access key and a session token look like, how clearly a name says AWS, and the
//! documentation examples and placeholders that must not be reported.

use crate::rule::shannon_entropy;

/// Length of an access key ID.
pub(crate) const KEY_ID_LEN: usize = 20;
/// Length of a secret access key.
pub(crate) const SECRET_LEN: usize = 40;
/// Shortest value accepted as a session token.
pub(crate) const MIN_TOKEN_LEN: usize = 64;

#[inline]
fn is_base32(b: u8) -> bool {
    b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)
}

/// Checks that `id` (exactly 20 bytes) is a credential key ID: one of the credential
/// `prefixes` of `rules/aws.toml` (a three-character one takes one more letter or digit) and a
/// base32 body. IAM unique IDs (`AIDA`, `AROA`, ...) fail here by construction.
pub(crate) fn is_key_id_shape(id: &[u8], prefixes: &[String]) -> bool {
    if id.len() != KEY_ID_LEN {
        return false;
    }
    let prefix_ok = prefixes.iter().any(|p| match p.len() {
        4 => id.starts_with(p.as_bytes()),
        _ => {
            id.starts_with(p.as_bytes())
                && id
                    .get(p.len())
                    .is_some_and(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        }
    });
    prefix_ok && id.get(4..).is_some_and(|b| b.iter().all(|&c| is_base32(c)))
}

/// The kind of credential a key ID prefix stands for.
pub(crate) fn key_type(id: &str) -> &'static str {
    match id.get(..4) {
        Some("AKIA") => "long-term",
        Some("ASIA") => "temporary",
        Some("ABIA") => "sts-bearer",
        Some("ACCA") => "context-specific",
        _ => "other",
    }
}

/// Decodes the 12-digit AWS account ID from a key ID, offline. Keys whose fifth character is
/// `I` or `J` predate the encoding and give `None`.
pub fn account_id(id: &str) -> Option<String> {
    let body = id.as_bytes().get(4..14)?;
    if matches!(body.first(), Some(b'I') | Some(b'J')) {
        return None;
    }
    let mut acc: u64 = 0;
    for &c in body {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        acc = (acc << 5) | u64::from(v);
    }
    // 10 characters are 50 bits; the first 6 bytes are the top 48.
    let x = acc >> 2;
    let account = (x & 0x7FFF_FFFF_FF80) >> 7;
    // Account IDs have 12 digits; a key decoding past that is not a real key's encoding.
    (account < 1_000_000_000_000).then(|| format!("{account:012}"))
}

/// AWS documentation keys: recognised and not reported.
pub fn is_example(value: &str) -> bool {
    value.contains("EXAMPLE") || value.to_ascii_lowercase().contains("example")
}

fn has_run_of_same(s: &[u8], n: usize) -> bool {
    let mut run = 1;
    for w in s.windows(2) {
        if w.first() == w.get(1) {
            run += 1;
            if run >= n {
                return true;
            }
        } else {
            run = 1;
        }
    }
    false
}

fn has_sequence(s: &[u8], n: usize) -> bool {
    let mut up = 1;
    let mut down = 1;
    for w in s.windows(2) {
        let (a, b) = match (w.first(), w.get(1)) {
            (Some(&a), Some(&b)) => (a, b),
            _ => continue,
        };
        up = if b == a.wrapping_add(1) { up + 1 } else { 1 };
        down = if a == b.wrapping_add(1) { down + 1 } else { 1 };
        if up >= n || down >= n {
            return true;
        }
    }
    false
}

fn distinct(s: &[u8]) -> usize {
    let mut seen = [false; 256];
    let mut n = 0;
    for &b in s {
        if let Some(slot) = seen.get_mut(b as usize) {
            if !*slot {
                *slot = true;
                n += 1;
            }
        }
    }
    n
}

const KEY_PLACEHOLDER_WORDS: [&str; 7] = [
    "XXXX",
    "SAMPLE",
    "DUMMY",
    "FAKE",
    "PLACEHOLDER",
    "YOURKEY",
    "ACCESSKEY",
];

/// True for key IDs that are obviously placeholders (`AKIAXXXXXXXXXXXXXXXX`, sequences,
/// too few distinct characters).
pub fn is_placeholder_key_id(id: &str) -> bool {
    let body = id.as_bytes().get(4..).unwrap_or_default();
    has_run_of_same(body, 5)
        || has_sequence(body, 6)
        || distinct(body) < 6
        || KEY_PLACEHOLDER_WORDS.iter().any(|w| id.contains(w))
}

const SECRET_PLACEHOLDER_WORDS: [&str; 12] = [
    "xxxx",
    "sample",
    "placeholder",
    "dummy",
    "fake",
    "your",
    "secret",
    "redacted",
    "changeme",
    "password",
    "accesskey",
    "access_key",
];

/// How strongly a candidate is expected to be a secret: values found next to a key ID with no
/// keyword must look more random than values assigned to a secret-key name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strictness {
    Keyword,
    NoKeyword,
}

/// Does a 40-character value look like a real secret access key?
pub fn is_secret_shape(v: &[u8], strict: Strictness) -> bool {
    if v.len() != SECRET_LEN {
        return false;
    }
    let upper = v.iter().filter(|b| b.is_ascii_uppercase()).count();
    let lower = v.iter().filter(|b| b.is_ascii_lowercase()).count();
    let digits = v.iter().filter(|b| b.is_ascii_digit()).count();
    if upper == 0 || lower == 0 {
        // Hex digests, commit ids, constants: a real key mixes cases.
        return false;
    }
    if has_run_of_same(v, 4) || has_sequence(v, 5) || distinct(v) < 15 {
        return false;
    }
    let lowered = v.to_ascii_lowercase();
    let text = String::from_utf8_lossy(&lowered);
    if SECRET_PLACEHOLDER_WORDS.iter().any(|w| text.contains(w)) {
        return false;
    }
    if digits == 0 && !v.iter().any(|&b| b == b'+' || b == b'/') && looks_like_identifier(v) {
        return false;
    }
    let entropy = shannon_entropy(v);
    match strict {
        Strictness::Keyword => entropy >= 3.8 && !looks_like_path(v),
        Strictness::NoKeyword => entropy >= 4.2 && digits > 0 && !looks_like_path(v),
    }
}

/// `AbstractSingletonProxyFactoryBeanManager`: camel-case words, where random text would have
/// many adjacent capitals.
fn looks_like_identifier(v: &[u8]) -> bool {
    let adjacent_upper = v
        .windows(2)
        .filter(|w| w.iter().all(u8::is_ascii_uppercase))
        .count();
    adjacent_upper < 3
}

/// `src/main/java/com/acme/Util` and the like: slashes between plain words.
fn looks_like_path(v: &[u8]) -> bool {
    let slashes = v.iter().filter(|&&b| b == b'/').count();
    slashes >= 2
        && v.split(|&b| b == b'/')
            .filter(|seg| !seg.is_empty())
            .all(|seg| seg.iter().all(|b| b.is_ascii_alphabetic()))
}

/// Does a value look like an STS session token?
pub fn is_token_shape(v: &[u8]) -> bool {
    // Real tokens hold runs like `//////////`, so repeated characters are not a sign of a
    // placeholder here; too few distinct characters is.
    v.len() >= MIN_TOKEN_LEN
        && distinct(v) >= 20
        && !SECRET_PLACEHOLDER_WORDS
            .iter()
            .take(4)
            .any(|w| String::from_utf8_lossy(&v.to_ascii_lowercase()).contains(w))
}

/// How clearly a variable name says "AWS secret access key".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum NameStrength {
    /// A secret name that needs AWS context nearby (`secret_key`, `SECRET`).
    Generic,
    /// An AWS-specific secret name (`aws_secret_access_key`, `SecretAccessKey`).
    Aws,
}

/// Classifies the name around a `secret` keyword.
pub(crate) fn secret_name_strength(name: &[u8]) -> NameStrength {
    let compact: Vec<u8> = name
        .iter()
        .filter(|b| b.is_ascii_alphanumeric())
        .map(u8::to_ascii_lowercase)
        .collect();
    let s = String::from_utf8_lossy(&compact);
    if s.contains("aws")
        || s.contains("amazon")
        || s.contains("s3")
        || s.contains("secretaccesskey")
        || s.contains("accesssecret")
        || s.contains("iam")
    {
        NameStrength::Aws
    } else {
        NameStrength::Generic
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_decode_as_documented() {
        for (id, acct) in [
            ("ASIAY34FZKBOKMUTVV7A", "609629065308"),
            ("AKIASP2TPHJSQH3FJRUX", "171436882533"),
            ("AKIAXYZDQCEN4B6JSJQI", "534261010715"),
            ("ASIAVJ2E6QGR2WZILJFM", "364679954851"),
            ("ASIAQAAAAAAAGMKEM7X5", "000000000000"),
        ] {
            assert_eq!(account_id(id).as_deref(), Some(acct), "{id}");
        }
        assert_eq!(account_id("AKIAIOSFODNN7EXAMPLE"), None);
        assert_eq!(account_id("AKIAJOSFODNN7EXAMPLE"), None);
    }

    #[test]
    fn key_id_shapes() {
        let rules = super::super::AwsRules::builtin().unwrap_or_else(|e| panic!("{e}"));
        let shape = |id: &[u8]| rules.is_key_id(id);
        assert!(shape(b"AKIAQWERTYUIOPASDFGH"));
        assert!(shape(b"A3T7QWERTYUIOPASDFGH"));
        assert!(!shape(b"AIDAQWERTYUIOPASDFGH"));
        assert!(!shape(b"AROAQWERTYUIOPASDFGH"));
        assert!(!shape(b"AKIA1234567890ABCDEF"));
        assert!(!shape(b"AKIAqwertyuiopasdfgh"));
    }

    #[test]
    fn placeholders_are_recognised() {
        assert!(is_placeholder_key_id("AKIAXXXXXXXXXXXXXXXX"));
        assert!(is_placeholder_key_id("AKIAABCDEFGHIJKLMNOP"));
        assert!(is_placeholder_key_id("AKIAAAAAAAAAAAAAAAAA"));
        assert!(!is_placeholder_key_id("AKIAQWERTYUIOPASDFGH"));
        assert!(is_example("AKIAIOSFODNN7EXAMPLE"));
        assert!(is_example("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"));
    }

    #[test]
    fn secret_shapes() {
        let good = b"h3Jq9Vt0Yd/5Lk2Rb8MwZx+4PnC7sGfE1aTuQ6oW";
        assert!(is_secret_shape(good, Strictness::NoKeyword));
        assert!(!is_secret_shape(
            b"da39a3ee5e6b4b0d3255bfef95601890afd80709",
            Strictness::Keyword
        ));
        assert!(!is_secret_shape(
            b"AbstractSingletonProxyFactoryBeanManager",
            Strictness::Keyword
        ));
        assert!(!is_secret_shape(
            b"src/main/java/com/acme/project/UtilClass",
            Strictness::NoKeyword
        ));
        assert!(!is_secret_shape(
            b"Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1",
            Strictness::Keyword
        ));
    }

    #[test]
    fn secret_names() {
        assert_eq!(
            secret_name_strength(b"aws_secret_access_key"),
            NameStrength::Aws
        );
        assert_eq!(secret_name_strength(b"SecretAccessKey"), NameStrength::Aws);
        assert_eq!(secret_name_strength(b"secret_key"), NameStrength::Generic);
        assert_eq!(
            secret_name_strength(b"client_secret"),
            NameStrength::Generic
        );
    }
}
