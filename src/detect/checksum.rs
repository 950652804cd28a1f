//! Checksums that a rule's secret must carry (`checksum = "..."` in a rule file; the names are
//! `rule::file::Checksum`). A token format with a checksum tells a real token from a made-up
//! or mistyped one without asking the provider, so a value that fails it is not reported.

use crate::rule::file::Checksum;

/// Whether `secret` carries a valid `checksum`.
pub(crate) fn valid(checksum: Checksum, secret: &[u8]) -> bool {
    match checksum {
        Checksum::GithubCrc32 => github_crc32(secret),
    }
}

/// GitHub's and npm's token format: `<prefix>_<body>`, where the body is base62 and its last 6
/// characters are the CRC-32 of the rest of the body, in base62 padded with `0`
/// (<https://github.blog/engineering/platform-security/behind-githubs-new-authentication-token-formats/>).
fn github_crc32(secret: &[u8]) -> bool {
    let body = match secret.iter().rposition(|&b| b == b'_') {
        Some(i) => secret.get(i + 1..).unwrap_or_default(),
        None => secret,
    };
    let Some(split) = body.len().checked_sub(6).filter(|&n| n > 0) else {
        return false;
    };
    if !body.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let (payload, check) = body.split_at(split);
    base62_padded(crc32fast::hash(payload), 6).as_bytes() == check
}

/// `n` in base62 (`0-9A-Za-z`), padded on the left with `0` to `width` digits.
fn base62_padded(mut n: u32, width: usize) -> String {
    const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::with_capacity(width);
    while n > 0 {
        out.push(DIGITS.get((n % 62) as usize).copied().unwrap_or(b'0'));
        n /= 62;
    }
    while out.len() < width {
        out.push(b'0');
    }
    out.reverse();
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token with a valid checksum, built the way GitHub builds one.
    fn token(prefix: &str, payload: &str) -> String {
        let check = base62_padded(crc32fast::hash(payload.as_bytes()), 6);
        format!("{prefix}_{payload}{check}")
    }

    #[test]
    fn base62_digits_and_padding() {
        assert_eq!(base62_padded(0, 6), "000000");
        assert_eq!(base62_padded(61, 6), "00000z");
        assert_eq!(base62_padded(62, 6), "000010");
        assert_eq!(base62_padded(u32::MAX, 6), "4gfFC3");
    }

    #[test]
    fn known_crc32() {
        // CRC-32/IEEE of "123456789" is 0xCBF43926, the standard check value.
        assert_eq!(crc32fast::hash(b"123456789"), 0xCBF4_3926);
        assert_eq!(base62_padded(0xCBF4_3926, 6), "3jZRME");
    }

    #[test]
    fn github_tokens_with_their_checksum_pass() {
        for prefix in ["ghp", "gho", "ghu", "ghs", "npm"] {
            let t = token(prefix, "Vq3ZbT8yW2nKpL5xR9cF1mH4jD7sGa");
            assert_eq!(t.len(), prefix.len() + 1 + 36);
            assert!(valid(Checksum::GithubCrc32, t.as_bytes()), "{t}");
        }
        // A public sample whose checksum is GitHub's own.
        assert!(valid(
            Checksum::GithubCrc32,
            b"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"
        ));
    }

    #[test]
    fn a_wrong_or_missing_checksum_fails() {
        let t = token("ghp", "Vq3ZbT8yW2nKpL5xR9cF1mH4jD7sGa");
        // One character of the body changed.
        let typo = t.replacen("Vq3", "Vq4", 1);
        assert!(!valid(Checksum::GithubCrc32, typo.as_bytes()));
        // One character of the checksum changed (the case of a letter counts).
        let mut last = t.clone();
        let c = last.pop().expect("non-empty");
        last.push(if c.is_ascii_uppercase() {
            c.to_ascii_lowercase()
        } else if c == '0' {
            '1'
        } else {
            '0'
        });
        assert!(!valid(Checksum::GithubCrc32, last.as_bytes()));
        assert!(!valid(
            Checksum::GithubCrc32,
            b"ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        ));
        assert!(!valid(Checksum::GithubCrc32, b"ghp_"));
        assert!(!valid(Checksum::GithubCrc32, b"ghp_abcdef"));
        assert!(!valid(Checksum::GithubCrc32, b""));
        assert!(!valid(
            Checksum::GithubCrc32,
            b"ghp_Vq3ZbT8yW2nKpL5xR9cF1mH4jD7sGa-3fKkbG"
        ));
    }
}
