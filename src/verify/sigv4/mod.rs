//! AWS Signature Version 4 for header-signed requests with an empty query string: enough to
//! sign the one request keyhound sends (STS `GetCallerIdentity`), kept general over method,
//! path, headers and payload so the official test-suite vectors can check it. Built on `hmac`
//! and `sha2`; the date is formatted here (civil-from-days), with no date crate. Secrets only
//! enter the HMAC key; nothing here formats or logs them.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::finding::Secret;

/// The form body of `GetCallerIdentity`.
pub(super) const STS_BODY: &str = "Action=GetCallerIdentity&Version=2011-06-15";
/// The content type the SDKs send with it.
pub(super) const STS_CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";
/// Signing region: the global endpoint and the SDK default both sign for us-east-1.
pub(super) const STS_REGION: &str = "us-east-1";
/// Signing service name.
pub(super) const STS_SERVICE: &str = "sts";

const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// A UTC instant in the two forms SigV4 needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct AmzDate {
    /// `YYYYMMDDTHHMMSSZ`, the `X-Amz-Date` header.
    pub stamp: String,
    /// `YYYYMMDD`, the credential scope date.
    pub day: String,
}

impl AmzDate {
    /// The date of `t`; instants before 1970 are clamped to the epoch.
    pub(super) fn from_system_time(t: SystemTime) -> AmzDate {
        let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        AmzDate::from_unix(secs)
    }

    /// The date `secs` seconds after 1970-01-01T00:00:00Z.
    pub(super) fn from_unix(secs: u64) -> AmzDate {
        let days = secs / 86_400;
        let rem = secs % 86_400;
        let (y, m, d) = civil_from_days(days);
        let (hh, mm, ss) = (rem / 3600, (rem / 60) % 60, rem % 60);
        AmzDate {
            stamp: format!("{y:04}{m:02}{d:02}T{hh:02}{mm:02}{ss:02}Z"),
            day: format!("{y:04}{m:02}{d:02}"),
        }
    }
}

/// Year, month, day of the proleptic Gregorian calendar for a count of days since 1970-01-01
/// (Howard Hinnant's `civil_from_days`, restricted to non-negative day counts).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March-based
    let d = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let m = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

/// What to sign. Header names may use any case; values are trimmed and inner runs of spaces
/// collapsed, as SigV4 canonicalisation requires. The query string is always empty.
pub(super) struct SigningInput<'a> {
    pub method: &'a str,
    /// Canonical URI: an absolute path that needs no further encoding or normalisation.
    pub path: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub payload: &'a [u8],
    pub key_id: &'a str,
    pub secret: &'a Secret,
    pub region: &'a str,
    pub service: &'a str,
    pub date: &'a AmzDate,
}

/// The intermediate strings and the result of signing. None holds the secret key, but the
/// canonical request holds the session token, so `Debug` shows only the signature parts.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct Signature {
    pub canonical_request: String,
    pub string_to_sign: String,
    pub signed_headers: String,
    /// Lower-case hex HMAC.
    pub signature: String,
    /// The `Authorization` header value.
    pub authorization: String,
}

impl std::fmt::Debug for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signature")
            .field("signed_headers", &self.signed_headers)
            .field("signature", &self.signature)
            .finish_non_exhaustive()
    }
}

/// Signs a request (header signing, empty query string).
pub(super) fn sign(input: &SigningInput<'_>) -> Signature {
    let mut headers: Vec<(String, String)> = input
        .headers
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), canonical_value(v)))
        .collect();
    headers.sort();
    let mut canonical_headers = String::new();
    for (n, v) in &headers {
        let _ = writeln!(canonical_headers, "{n}:{v}");
    }
    let signed_headers = headers
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let canonical_request = format!(
        "{}\n{}\n\n{}\n{}\n{}",
        input.method,
        input.path,
        canonical_headers,
        signed_headers,
        hex(&Sha256::digest(input.payload))
    );
    let scope = format!(
        "{}/{}/{}/aws4_request",
        input.date.day, input.region, input.service
    );
    let string_to_sign = format!(
        "{ALGORITHM}\n{}\n{scope}\n{}",
        input.date.stamp,
        hex(&Sha256::digest(canonical_request.as_bytes()))
    );
    let k_date = hmac(
        format!("AWS4{}", input.secret.expose()).as_bytes(),
        input.date.day.as_bytes(),
    );
    let k_region = hmac(&k_date, input.region.as_bytes());
    let k_service = hmac(&k_region, input.service.as_bytes());
    let k_signing = hmac(&k_service, b"aws4_request");
    let signature = hex(&hmac(&k_signing, string_to_sign.as_bytes()));
    let authorization = format!(
        "{ALGORITHM} Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
        input.key_id
    );
    Signature {
        canonical_request,
        string_to_sign,
        signed_headers,
        signature,
        authorization,
    }
}

/// The headers to send with a signed `GetCallerIdentity` (besides `Host`, which the HTTP
/// client derives from the URL and which was signed as `host`). `Debug` redacts the token.
#[derive(Debug, Clone)]
pub(super) struct StsHeaders {
    pub content_type: &'static str,
    pub amz_date: String,
    pub security_token: Option<Secret>,
    pub authorization: String,
}

/// Signs `POST {path}` with body [`STS_BODY`] for `host` (the `Host` header value: host, plus
/// `:port` when not the scheme's default).
pub(super) fn sign_get_caller_identity(
    host: &str,
    path: &str,
    key_id: &str,
    secret: &Secret,
    token: Option<&Secret>,
    date: &AmzDate,
) -> (StsHeaders, Signature) {
    let mut headers: Vec<(&str, &str)> = vec![
        ("Content-Type", STS_CONTENT_TYPE),
        ("Host", host),
        ("X-Amz-Date", &date.stamp),
    ];
    if let Some(t) = token {
        headers.push(("X-Amz-Security-Token", t.expose()));
    }
    let sig = sign(&SigningInput {
        method: "POST",
        path,
        headers: &headers,
        payload: STS_BODY.as_bytes(),
        key_id,
        secret,
        region: STS_REGION,
        service: STS_SERVICE,
        date,
    });
    let out = StsHeaders {
        content_type: STS_CONTENT_TYPE,
        amz_date: date.stamp.clone(),
        security_token: token.cloned(),
        authorization: sig.authorization.clone(),
    };
    (out, sig)
}

/// Trims the value and collapses runs of spaces into one.
fn canonical_value(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here; an empty MAC would
    // only make the signature wrong, never leak anything.
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests;
