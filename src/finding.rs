//! What keyhound reports: a `Finding` is one credential (a key pair, a lone secret, a lone key
//! ID, a lone session token) with every place it was seen and, for a key pair, the `Verdict`
//! of its verification. `Secret` holds secret text and redacts itself everywhere unless read
//! explicitly. Fingerprints hash the rule and the secret value, never the path or line, so they
//! survive code moving around. This module depends only on the rule metadata.

use std::fmt;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::rule::{Rule, Severity};

/// Secret text. `Debug` and `Display` never show it; `expose` must be called to read it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The real value. Callers decide whether the user asked to see it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A redacted form that keeps the first four characters and the length, enough to tell two
    /// secrets apart in a report without making either usable. A private key keeps its header
    /// instead, which says what kind of key it is and holds no key material.
    pub(crate) fn redacted(&self) -> String {
        if let Some(header) = key_header(&self.0) {
            return format!("{header} (redacted)");
        }
        let head: String = self.0.chars().take(4).collect();
        let len = self.0.chars().count();
        format!("{head}{}", "*".repeat(len.saturating_sub(4).min(36)))
    }
}

/// The header of a private key: `-----BEGIN RSA PRIVATE KEY-----` (PEM, OpenSSH, PGP),
/// `PuTTY-User-Key-File-3: ssh-ed25519`, when `secret` starts with one; or the kind of a file
/// found whole (`PKCS #12 keystore`) when `secret` is that kind and the file's SHA-256.
fn key_header(secret: &str) -> Option<&str> {
    let is_label = |s: &str| {
        !s.is_empty()
            && s.len() <= 60
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ')
    };
    if let Some(rest) = secret.strip_prefix("-----BEGIN ") {
        let end = rest.find("-----")?;
        let header = secret.get(..11 + end + 5)?;
        return is_label(rest.get(..end)?).then_some(header);
    }
    // A finding for a whole file (a keystore): `<kind> sha256:<digest of the file>`.
    if let Some((label, digest)) = secret.split_once(" sha256:") {
        let kind = !label.is_empty()
            && label.len() <= 40
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'#');
        if kind && digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Some(label);
        }
    }
    if secret.starts_with("PuTTY-User-Key-File-") {
        let line = secret.lines().next()?.trim_end();
        return (line.len() <= 80 && line.bytes().all(|b| b.is_ascii_graphic() || b == b' '))
            .then_some(line);
    }
    None
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.redacted())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Which part of a credential a location points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum LocationKind {
    KeyId,
    Secret,
    SessionToken,
}

impl LocationKind {
    /// Name used in reports.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            LocationKind::KeyId => "key_id",
            LocationKind::Secret => "secret",
            LocationKind::SessionToken => "session_token",
        }
    }
}

/// How the value was written in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Encoding {
    /// As is.
    Plain,
    /// Percent-encoded (`%2F`, `%2B`, `%3D`).
    Url,
    /// With JSON-escaped slashes (`\/`).
    JsonEscaped,
    /// Inside a base64 value (the location is the base64 text).
    Base64,
    /// In quoted-printable text (`=3D`, `=2F`, soft line breaks), as e-mails are.
    QuotedPrintable,
}

impl Encoding {
    /// Name used in reports.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Encoding::Plain => "plain",
            Encoding::Url => "url",
            Encoding::JsonEscaped => "json_escaped",
            Encoding::Base64 => "base64",
            Encoding::QuotedPrintable => "quoted_printable",
        }
    }
}

/// The commit that introduced a blob into history.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct CommitInfo {
    pub id: String,
    pub author: String,
    pub email: String,
    /// ISO 8601 date with offset.
    pub date: String,
}

/// Where a part of a finding was seen. Lines and columns are 1-based; columns count characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Location {
    /// Display path (as walked, or `<stdin>`): for content inside a container, the outer file.
    pub path: String,
    /// The chain of members inside `path` that holds the content, outermost first; empty for
    /// a plain file.
    pub members: Vec<String>,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    /// Column just past the last character.
    pub end_column: u32,
    pub kind: LocationKind,
    pub encoding: Encoding,
    /// Set when the content came from git history.
    pub commit: Option<CommitInfo>,
    /// Set for content in a git object that no commit of any ref holds.
    pub unreachable: bool,
    /// For a string read out of binary content: its byte offset and length in that content
    /// (reports show it instead of the line and column, which count the strings).
    pub offset: Option<ByteSpan>,
    /// Set for a file of a container image layer that a later layer deletes.
    pub deleted: bool,
}

/// A byte offset and a length. While a blob is detected, the span in the scanned bytes; once
/// its findings are attached, the span in the binary content, or nothing for text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct ByteSpan {
    pub offset: u64,
    pub length: u64,
}

impl ByteSpan {
    pub(crate) fn of(span: &std::ops::Range<usize>) -> Option<ByteSpan> {
        Some(ByteSpan {
            offset: span.start as u64,
            length: span.end.saturating_sub(span.start) as u64,
        })
    }
}

/// AWS facts about a key ID, decoded offline.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct AwsKey {
    pub key_id: String,
    /// 12-digit account ID, when the key ID encodes one.
    pub account_id: Option<String>,
    /// `long-term`, `temporary` or `other`.
    pub key_type: &'static str,
}

/// One credential found, with every place it was seen.
#[derive(Debug, Clone)]
pub(crate) struct Finding {
    pub rule: &'static Rule,
    pub severity: Severity,
    pub aws: Option<AwsKey>,
    pub secret: Option<Secret>,
    pub session_token: Option<Secret>,
    /// Sorted; the first is the primary location.
    pub locations: Vec<Location>,
    pub fingerprint: String,
    /// For findings from git history: whether the credential is still in the tree of HEAD.
    pub present_at_head: Option<bool>,
    /// For key pairs: what AWS said about them.
    pub verification: Option<Verdict>,
}

impl Finding {
    /// Builds a finding and computes its fingerprint.
    pub(crate) fn new(
        rule: &'static Rule,
        aws: Option<AwsKey>,
        secret: Option<Secret>,
        session_token: Option<Secret>,
        mut locations: Vec<Location>,
    ) -> Self {
        locations.sort();
        locations.dedup();
        let fingerprint = fingerprint(
            rule.id,
            aws.as_ref().map(|a| a.key_id.as_str()),
            secret.as_ref(),
            session_token.as_ref(),
        );
        Finding {
            rule,
            severity: rule.severity,
            aws,
            secret,
            session_token,
            locations,
            fingerprint,
            present_at_head: None,
            verification: None,
        }
    }

    /// The first location, used as the finding's position in every report.
    pub(crate) fn primary(&self) -> Option<&Location> {
        self.locations.first()
    }

    /// Sort key: path, line, column, rule, fingerprint. Independent of thread scheduling.
    pub(crate) fn sort_key(&self) -> (Option<&Location>, &'static str, &str) {
        (self.primary(), self.rule.id, &self.fingerprint)
    }
}

/// The outcome of verifying one credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// AWS accepted the credential.
    Live,
    /// AWS rejected it: unknown or deactivated key ID, wrong secret, expired session.
    Invalid,
    /// No answer either way (network, throttling, server error, clock skew, anything odd).
    Unknown,
    /// Not sent (example, canary account, unverifiable key type, `--no-verify`).
    Skipped,
}

impl Status {
    /// Name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Live => "live",
            Status::Invalid => "invalid",
            Status::Unknown => "unknown",
            Status::Skipped => "skipped",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A verification result. `account`, `arn` and `user_id` come from a live response; they are
/// text from the network, sanitised of control characters and clipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub status: Status,
    pub reason: String,
    pub account: Option<String>,
    pub arn: Option<String>,
    pub user_id: Option<String>,
    /// What `--aws-triage` found out about a live key.
    pub triage: Option<Box<crate::triage::Triage>>,
}

impl Verdict {
    fn with(status: Status, reason: impl Into<String>) -> Verdict {
        Verdict {
            status,
            reason: reason.into(),
            account: None,
            arn: None,
            user_id: None,
            triage: None,
        }
    }

    /// An `invalid` verdict.
    pub fn invalid(reason: impl Into<String>) -> Verdict {
        Verdict::with(Status::Invalid, reason)
    }

    /// An `unknown` verdict.
    pub fn unknown(reason: impl Into<String>) -> Verdict {
        Verdict::with(Status::Unknown, reason)
    }

    /// A `skipped` verdict (no request was made).
    pub fn skipped(reason: impl Into<String>) -> Verdict {
        Verdict::with(Status::Skipped, reason)
    }
}

/// Hash of the rule id and the credential's values: stable when the file moves or changes
/// around the secret, different for a different secret.
pub(crate) fn fingerprint(
    rule_id: &str,
    key_id: Option<&str>,
    secret: Option<&Secret>,
    token: Option<&Secret>,
) -> String {
    let mut h = Sha256::new();
    h.update(rule_id.as_bytes());
    h.update([0]);
    h.update(key_id.unwrap_or("").as_bytes());
    h.update([0]);
    h.update(secret.map(Secret::expose).unwrap_or("").as_bytes());
    h.update([0]);
    h.update(token.map(Secret::expose).unwrap_or("").as_bytes());
    let digest = h.finalize();
    let mut out = String::with_capacity(32);
    for b in digest.iter().take(16) {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_shows_in_debug_or_display() {
        let s = Secret::new("wJalrXUtnFEMIK7MDENGbPxRfiCYzzzzzzzzzzzz");
        assert_eq!(format!("{s}"), "wJal************************************");
        assert!(!format!("{s:?}").contains("MDENG"));
        assert_eq!(s.expose().len(), 40);
    }

    #[test]
    fn private_keys_show_their_header_only() {
        let pem = Secret::new(
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
        );
        assert_eq!(pem.redacted(), "-----BEGIN RSA PRIVATE KEY----- (redacted)");
        let pgp = Secret::new("-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF");
        assert_eq!(
            pgp.redacted(),
            "-----BEGIN PGP PRIVATE KEY BLOCK----- (redacted)"
        );
        let putty = Secret::new(
            "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nPrivate-Lines: 1\nAAAA\n",
        );
        assert_eq!(
            putty.redacted(),
            "PuTTY-User-Key-File-3: ssh-ed25519 (redacted)"
        );
        // Not a header: the usual form.
        let odd = Secret::new("-----BEGIN secret stuff here-----");
        assert!(odd.redacted().starts_with("----*"), "{}", odd.redacted());
        assert!(!format!("{pem:?}").contains("MIIE"));
    }

    #[test]
    fn fingerprint_depends_on_values_not_places() {
        let a = fingerprint("r", Some("AKIA"), Some(&Secret::new("x")), None);
        let b = fingerprint("r", Some("AKIA"), Some(&Secret::new("x")), None);
        let c = fingerprint("r", Some("AKIA"), Some(&Secret::new("y")), None);
        let d = fingerprint("q", Some("AKIA"), Some(&Secret::new("x")), None);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
        assert_eq!(a.len(), 32);
    }
}
