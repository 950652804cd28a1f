//! The AWS side of verification: where requests go (`Endpoint`: flag, SDK environment
//! variables, default; plain HTTP only on loopback), the one signed STS `GetCallerIdentity`
//! call over ureq (rustls, no redirects, bounded body), and `classify`, which turns an HTTP
//! status and body into a `Verdict`. `<Code>` and `<Message>` are found by searching the text,
//! because AWS and other implementations (moto) nest them differently. Anything that does not
//! prove a key dead is `unknown`, never `invalid`.

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::{Duration, SystemTime};

use super::sigv4::{self, AmzDate, STS_BODY};
use super::{Status, Verdict};
use crate::finding::Secret;

/// The official global STS endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://sts.amazonaws.com";

/// Largest response body read; STS answers are well under 2 KiB.
const BODY_LIMIT: u64 = 64 * 1024;
/// Longest code, message or identity value kept from a response.
const MAX_FIELD: usize = 300;

/// Where STS requests are sent: a parsed `http(s)://host[:port][/path]` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    https: bool,
    /// Lower case; an IPv6 literal without its brackets.
    host: String,
    /// Only when it differs from the scheme's default.
    port: Option<u16>,
    /// Absolute path, `/` at least.
    path: String,
}

impl Endpoint {
    /// The endpoint to use: `flag`, else `AWS_ENDPOINT_URL_STS`, else `AWS_ENDPOINT_URL`, else
    /// `https://sts.amazonaws.com`. `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` disables the
    /// environment overrides (not the flag). Empty variables count as unset. `http://` is
    /// accepted only for loopback hosts (127.0.0.0/8, ::1, localhost).
    pub fn resolve(
        flag: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Endpoint, String> {
        if let Some(url) = flag {
            return Endpoint::parse(url).map_err(|e| format!("--sts-endpoint: {e}"));
        }
        let ignore_env = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        if !ignore_env {
            for var in ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"] {
                if let Some(url) = env(var).filter(|v| !v.trim().is_empty()) {
                    return Endpoint::parse(&url).map_err(|e| format!("{var}: {e}"));
                }
            }
        }
        Endpoint::parse(DEFAULT_ENDPOINT)
    }

    /// Parses an endpoint URL. Rejects user info, queries, fragments, unusual path characters,
    /// and `http://` for hosts that are not loopback.
    pub fn parse(url: &str) -> Result<Endpoint, String> {
        let url = url.trim();
        let bad = |why: &str| format!("invalid STS endpoint URL {:?}: {why}", clip(url, 200));
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("expected http(s)://host[:port]"))?;
        let https = match scheme.to_ascii_lowercase().as_str() {
            "https" => true,
            "http" => false,
            _ => return Err(bad("the scheme must be https (or http for loopback)")),
        };
        if rest.contains(['?', '#']) {
            return Err(bad("queries and fragments are not supported"));
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, "/"),
        };
        if authority.contains('@') {
            return Err(bad("user information in the URL is not supported"));
        }
        let (host, port) = split_host_port(authority).map_err(|e| bad(&e))?;
        check_path(path).map_err(|e| bad(&e))?;
        let default_port = if https { 443 } else { 80 };
        let endpoint = Endpoint {
            https,
            host,
            port: port.filter(|&p| p != default_port),
            path: path.to_string(),
        };
        if !https && !endpoint.is_loopback() {
            return Err(format!(
                "refusing to send credentials over plain http to {endpoint}: http:// is allowed \
                 only for loopback hosts (127.0.0.0/8, ::1, localhost); use https://"
            ));
        }
        Ok(endpoint)
    }

    /// `https` or `http`.
    pub fn scheme(&self) -> &'static str {
        if self.https {
            "https"
        } else {
            "http"
        }
    }

    /// The host name or address (IPv6 without brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port connected to.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(if self.https { 443 } else { 80 })
    }

    /// The request path (`/` unless the URL had one).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// True for 127.0.0.0/8, ::1 (and its IPv4-mapped form) and `localhost`.
    pub fn is_loopback(&self) -> bool {
        if self.host == "localhost" {
            return true;
        }
        if let Ok(ip) = self.host.parse::<Ipv4Addr>() {
            return ip.is_loopback();
        }
        if let Ok(ip) = self.host.parse::<Ipv6Addr>() {
            return ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback());
        }
        false
    }

    /// The `Host` header value that is signed: host, plus `:port` when not the default.
    pub fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        match self.port {
            Some(p) => format!("{host}:{p}"),
            None => host,
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}{}", self.scheme(), self.host_header(), self.path)
    }
}

fn split_host_port(authority: &str) -> Result<(String, Option<u16>), String> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (v6, after) = rest
            .split_once(']')
            .ok_or_else(|| "unclosed [ in the host".to_string())?;
        v6.parse::<Ipv6Addr>()
            .map_err(|_| format!("{v6:?} is not an IPv6 address"))?;
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| "unexpected text after ]".to_string())?,
            ),
        };
        (v6.to_ascii_lowercase(), port)
    } else {
        let (h, p) = match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        };
        let valid = !h.is_empty()
            && h.len() <= 253
            && !h.starts_with(['.', '-'])
            && h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
        if !valid {
            return Err("missing or invalid host name".to_string());
        }
        (h.to_ascii_lowercase(), p)
    };
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => Some(n),
            _ => return Err(format!("{p:?} is not a port number")),
        },
    };
    Ok((host, port))
}

/// The path is signed as is, so it must need no encoding or normalisation.
fn check_path(path: &str) -> Result<(), String> {
    let chars_ok = path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~/".contains(&b));
    let segments_ok = path.split('/').all(|seg| seg != "." && seg != "..");
    if path.starts_with('/') && chars_ok && segments_ok && !path.contains("//") {
        Ok(())
    } else {
        Err("the path may hold only letters, digits, - . _ ~ and single slashes".to_string())
    }
}

/// What to do after a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    No,
    /// Throttled or temporarily unavailable: back off and try again.
    Throttled,
    /// SignatureDoesNotMatch: AWS may reject the second of two requests that share a key ID
    /// but not a secret within a few seconds, so one resubmission is worth it.
    Signature,
}

/// Classifies an STS `GetCallerIdentity` response.
pub fn classify(status: u16, body: &str) -> Verdict {
    classify_with_retry(status, body).0
}

pub(crate) fn classify_with_retry(status: u16, body: &str) -> (Verdict, Retry) {
    let code = tag_text(body, "Code");
    let message = tag_text(body, "Message").unwrap_or_default();
    if status == 200 {
        let account = tag_text(body, "Account")
            .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()));
        return match account {
            Some(account) => (
                Verdict {
                    status: Status::Live,
                    reason: "GetCallerIdentity succeeded".to_string(),
                    account: Some(account),
                    arn: tag_text(body, "Arn"),
                    user_id: tag_text(body, "UserId"),
                },
                Retry::No,
            ),
            None => (
                Verdict::unknown(format!(
                    "HTTP 200 without an account ID{}",
                    describe_body(body)
                )),
                Retry::No,
            ),
        };
    }
    let code_str = code.as_deref().unwrap_or("");
    let client_error = matches!(status, 400 | 401 | 403);
    match code_str {
        "InvalidClientTokenId" if client_error => (
            Verdict::invalid("key ID does not exist or is deactivated"),
            Retry::No,
        ),
        "SignatureDoesNotMatch" if client_error => {
            if message.starts_with("Signature expired") {
                (
                    Verdict::unknown(format!(
                        "clock skew: the local clock is too far from the server's ({message})"
                    )),
                    Retry::No,
                )
            } else {
                (
                    Verdict::invalid("wrong secret; the key ID exists"),
                    Retry::Signature,
                )
            }
        }
        "ExpiredToken" if client_error => (Verdict::invalid("session token expired"), Retry::No),
        _ if status == 429 || status == 503 || is_throttling(code_str) => (
            Verdict::unknown(format!(
                "throttled or unavailable (HTTP {status}{})",
                code.as_deref().map(|c| format!(" {c}")).unwrap_or_default()
            )),
            Retry::Throttled,
        ),
        "" => {
            let what = match status {
                500..=599 => format!("server error (HTTP {status})"),
                300..=399 => format!("unexpected redirect (HTTP {status}, not followed)"),
                _ => format!("unexpected HTTP {status}"),
            };
            (
                Verdict::unknown(format!("{what}{}", describe_body(body))),
                Retry::No,
            )
        }
        c => {
            let msg = if message.is_empty() {
                String::new()
            } else {
                format!(": {message}")
            };
            (
                Verdict::unknown(format!("unexpected response HTTP {status} {c}{msg}")),
                Retry::No,
            )
        }
    }
}

fn is_throttling(code: &str) -> bool {
    code.contains("Throttl")
        || matches!(
            code,
            "RequestLimitExceeded" | "TooManyRequestsException" | "SlowDown"
        )
}

/// A short note on a body that is not an AWS error response.
fn describe_body(body: &str) -> &'static str {
    let head = body.trim_start();
    let lower: String = head
        .chars()
        .take(200)
        .collect::<String>()
        .to_ascii_lowercase();
    if lower.starts_with("<!doctype html") || lower.contains("<html") {
        ": an HTML page, not an AWS response (a proxy or firewall?)"
    } else if head.is_empty() {
        ": empty body"
    } else {
        ": the body is not an AWS response"
    }
}

/// The text between the first `<tag>` and the next `</tag>`, unescaped, without control
/// characters and clipped; `None` when absent or empty.
fn tag_text(body: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = body.find(&open)? + open.len();
    let rest = body.get(start..)?;
    let end = rest.find(&close)?;
    let raw = rest.get(..end)?.trim();
    let text = raw
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&");
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    let clean = clip(&clean, MAX_FIELD);
    (!clean.is_empty()).then_some(clean)
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max).collect();
        out.push('…');
        out
    }
}

/// An HTTP client bound to one endpoint.
pub(crate) struct Client {
    agent: ureq::Agent,
    timeout: Duration,
    endpoint: Endpoint,
    url: String,
    host_header: String,
}

impl Client {
    /// `timeout` bounds connecting and, separately, the whole exchange.
    pub(crate) fn new(endpoint: &Endpoint, timeout: Duration) -> Client {
        // A proxy from the environment is used for https (CONNECT keeps TLS end to end), never
        // for loopback endpoints, which are local test servers.
        let proxy = if endpoint.is_loopback() {
            None
        } else {
            ureq::Proxy::try_from_env()
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_connect(Some(timeout))
            .timeout_global(Some(timeout))
            .max_redirects(0)
            .http_status_as_error(false)
            .user_agent(format!("keyhound/{}", env!("CARGO_PKG_VERSION")))
            .proxy(proxy)
            .build()
            .into();
        Client {
            agent,
            timeout,
            endpoint: endpoint.clone(),
            url: endpoint.to_string(),
            host_header: endpoint.host_header(),
        }
    }

    /// Sends one signed `GetCallerIdentity` and classifies the answer.
    pub(crate) fn get_caller_identity(
        &self,
        key_id: &str,
        secret: &Secret,
        token: Option<&Secret>,
    ) -> (Verdict, Retry) {
        let date = AmzDate::from_system_time(SystemTime::now());
        let (headers, _) = sigv4::sign_get_caller_identity(
            &self.host_header,
            self.endpoint.path(),
            key_id,
            secret,
            token,
            &date,
        );
        let mut req = self
            .agent
            .post(&self.url)
            .header("Content-Type", headers.content_type)
            .header("X-Amz-Date", &headers.amz_date)
            .header("Authorization", &headers.authorization);
        if let Some(t) = &headers.security_token {
            req = req.header("X-Amz-Security-Token", t.expose());
        }
        let mut resp = match req.send(STS_BODY) {
            Ok(r) => r,
            Err(e) => {
                return (
                    Verdict::unknown(transport_reason(&e, self.timeout, self.endpoint.https)),
                    Retry::No,
                )
            }
        };
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(BODY_LIMIT)
            .lossy_utf8(true)
            .read_to_string();
        match body {
            Ok(body) => classify_with_retry(status, &body),
            Err(e) => (
                Verdict::unknown(format!(
                    "HTTP {status}, then reading the body failed: {}",
                    transport_reason(&e, self.timeout, self.endpoint.https)
                )),
                Retry::No,
            ),
        }
    }
}

/// A short, secret-free description of a transport failure.
fn transport_reason(e: &ureq::Error, timeout: Duration, https: bool) -> String {
    let limit = timeout.as_secs_f64();
    match e {
        ureq::Error::Timeout(ureq::Timeout::Connect) => {
            format!("timed out connecting (limit {limit:.1} s)")
        }
        ureq::Error::Timeout(_) => format!("timed out waiting for the answer (limit {limit:.1} s)"),
        ureq::Error::HostNotFound => "DNS: host not found".to_string(),
        ureq::Error::ConnectionFailed => "connection failed".to_string(),
        ureq::Error::Io(io) => match io.kind() {
            io::ErrorKind::ConnectionRefused => "connection refused".to_string(),
            io::ErrorKind::ConnectionReset => "connection reset".to_string(),
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
                format!("timed out (limit {limit:.1} s)")
            }
            // rustls reports handshake and record failures as invalid data.
            io::ErrorKind::InvalidData if https => {
                format!("TLS error: {}", clip(&io.to_string(), MAX_FIELD))
            }
            _ => format!("network error: {}", clip(&io.to_string(), MAX_FIELD)),
        },
        ureq::Error::Tls(m) => format!("TLS error: {m}"),
        ureq::Error::Rustls(r) => clip(&format!("TLS error: {r}"), MAX_FIELD),
        ureq::Error::Protocol(p) => clip(&format!("not an HTTP response ({p})"), MAX_FIELD),
        ureq::Error::BodyExceedsLimit(n) => format!("response body larger than {n} bytes"),
        other => clip(&format!("transport error: {other}"), MAX_FIELD),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn resolve(flag: Option<&str>, vars: &[(&str, &str)]) -> Result<String, String> {
        Endpoint::resolve(flag, &env_of(vars)).map(|e| e.to_string())
    }

    #[test]
    fn endpoint_precedence() {
        let both = [
            ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:5055"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.2:6000"),
        ];
        assert_eq!(resolve(None, &[]).unwrap(), "https://sts.amazonaws.com/");
        assert_eq!(resolve(None, &both).unwrap(), "http://127.0.0.1:5055/");
        assert_eq!(resolve(None, &both[1..]).unwrap(), "http://127.0.0.2:6000/");
        assert_eq!(
            resolve(Some("https://sts.us-east-1.amazonaws.com"), &both).unwrap(),
            "https://sts.us-east-1.amazonaws.com/"
        );
        let mut ignored = both.to_vec();
        ignored.push(("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE"));
        assert_eq!(
            resolve(None, &ignored).unwrap(),
            "https://sts.amazonaws.com/"
        );
        // The flag still wins when the environment is ignored.
        assert_eq!(
            resolve(Some("http://localhost:1"), &ignored).unwrap(),
            "http://localhost:1/"
        );
        ignored.pop();
        ignored.push(("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false"));
        assert_eq!(resolve(None, &ignored).unwrap(), "http://127.0.0.1:5055/");
        // Empty variables are unset.
        assert_eq!(
            resolve(
                None,
                &[("AWS_ENDPOINT_URL_STS", " "), ("AWS_ENDPOINT_URL", "")]
            )
            .unwrap(),
            "https://sts.amazonaws.com/"
        );
    }

    #[test]
    fn plain_http_only_for_loopback() {
        for ok in [
            "http://127.0.0.1:5055",
            "http://127.9.8.7",
            "http://[::1]:8080/",
            "http://LOCALHOST:80/",
            "http://[::ffff:127.0.0.1]:1",
        ] {
            assert!(Endpoint::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://10.0.0.1:5055",
            "http://sts.amazonaws.com",
            "http://localhost.evil.example",
            "http://[::2]:80",
            "http://0.0.0.0:80",
        ] {
            let err = Endpoint::parse(bad).unwrap_err();
            assert!(err.contains("loopback"), "{bad}: {err}");
        }
        let err = resolve(None, &[("AWS_ENDPOINT_URL_STS", "http://192.168.1.1")]).unwrap_err();
        assert!(err.starts_with("AWS_ENDPOINT_URL_STS: "), "{err}");
        let err = resolve(Some("http://192.168.1.1"), &[]).unwrap_err();
        assert!(err.starts_with("--sts-endpoint: "), "{err}");
    }

    #[test]
    fn endpoint_parsing() {
        let e = Endpoint::parse("HTTPS://STS.Example.com:443").unwrap();
        assert_eq!(e.to_string(), "https://sts.example.com/");
        assert_eq!(e.host_header(), "sts.example.com");
        assert_eq!(e.port(), 443);
        let e = Endpoint::parse("https://proxy.corp:8443/sts/").unwrap();
        assert_eq!(e.host_header(), "proxy.corp:8443");
        assert_eq!(e.path(), "/sts/");
        assert_eq!(e.to_string(), "https://proxy.corp:8443/sts/");
        let e = Endpoint::parse("http://[::1]:5055").unwrap();
        assert_eq!(e.host(), "::1");
        assert_eq!(e.host_header(), "[::1]:5055");
        assert_eq!(e.to_string(), "http://[::1]:5055/");
        assert_eq!(e.scheme(), "http");
        for bad in [
            "sts.amazonaws.com",
            "ftp://sts.amazonaws.com",
            "https://user:pw@sts.amazonaws.com",
            "https://sts.amazonaws.com/?x=1",
            "https://sts.amazonaws.com/#f",
            "https://:443",
            "https://sts.amazonaws.com:0",
            "https://sts.amazonaws.com:99999",
            "https://sts.amazonaws.com:+1",
            "https://sts amazonaws.com",
            "https://[::1",
            "https://sts.amazonaws.com/a//b",
            "https://sts.amazonaws.com/a/../b",
            "https://sts.amazonaws.com/%2e",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
    }

    const MOTO_OK: &str = r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><UserId>AROARZPUZDIKBGV6AYAJ7:sess1</UserId><Account>123456789012</Account><Arn>arn:aws:sts::123456789012:assumed-role/scanner-role/sess1</Arn></GetCallerIdentityResult><ResponseMetadata><RequestId>0ZEZ</RequestId></ResponseMetadata></GetCallerIdentityResponse>"#;

    fn moto_error(code: &str, message: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ErrorResponse><Errors><Error><Code>{code}</Code><Message>{message}</Message><Type>Sender</Type></Error></Errors></ErrorResponse>"
        )
    }

    fn aws_error(code: &str, message: &str) -> String {
        format!(
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  <Error>\n    <Type>Sender</Type>\n    <Code>{code}</Code>\n    <Message>{message}</Message>\n  </Error>\n  <RequestId>16fc956c</RequestId>\n</ErrorResponse>"
        )
    }

    #[test]
    fn live_response() {
        let v = classify(200, MOTO_OK);
        assert_eq!(v.status, Status::Live);
        assert_eq!(v.account.as_deref(), Some("123456789012"));
        assert_eq!(
            v.arn.as_deref(),
            Some("arn:aws:sts::123456789012:assumed-role/scanner-role/sess1")
        );
        assert_eq!(v.user_id.as_deref(), Some("AROARZPUZDIKBGV6AYAJ7:sess1"));
    }

    #[test]
    fn dead_keys_in_both_dialects() {
        for body in [
            moto_error(
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
            ),
            aws_error(
                "InvalidClientTokenId",
                "The security token included in the request is invalid",
            ),
        ] {
            let v = classify(403, &body);
            assert_eq!(v.status, Status::Invalid);
            assert_eq!(v.reason, "key ID does not exist or is deactivated");
        }
        let (v, retry) = classify_with_retry(
            403,
            &aws_error(
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            ),
        );
        assert_eq!((v.status, retry), (Status::Invalid, Retry::Signature));
        assert!(v.reason.contains("key ID exists"));
        let v = classify(
            403,
            &aws_error(
                "ExpiredToken",
                "The security token included in the request is expired",
            ),
        );
        assert_eq!(v.status, Status::Invalid);
        assert_eq!(v.reason, "session token expired");
    }

    #[test]
    fn indeterminate_answers_are_unknown() {
        let skew = aws_error(
            "SignatureDoesNotMatch",
            "Signature expired: 20210801T120000Z is now earlier than 20210801T121500Z (20210801T123000Z - 15 min.)",
        );
        let (v, retry) = classify_with_retry(403, &skew);
        assert_eq!((v.status, retry), (Status::Unknown, Retry::No));
        assert!(v.reason.starts_with("clock skew"), "{}", v.reason);

        let throttled = aws_error("Throttling", "Rate exceeded");
        for (status, body) in [
            (400, throttled.as_str()),
            (429, ""),
            (503, "<html><body>Service Unavailable</body></html>"),
        ] {
            let (v, retry) = classify_with_retry(status, body);
            assert_eq!(
                (v.status, retry),
                (Status::Unknown, Retry::Throttled),
                "{status}"
            );
        }
        let waf = "<!DOCTYPE html><html><head><title>403 Forbidden</title></head><body>Request blocked by WAF</body></html>";
        let cases: Vec<(u16, String, &str)> = vec![
            (500, String::new(), "server error (HTTP 500)"),
            (502, "<html>bad gateway</html>".into(), "HTML page"),
            (403, waf.into(), "HTML page"),
            (200, waf.into(), "HTML page"),
            (
                200,
                "<Account>12345</Account>".into(),
                "without an account ID",
            ),
            (302, String::new(), "redirect"),
            (404, "not found".into(), "unexpected HTTP 404"),
            (
                403,
                aws_error("AccessDenied", "not authorized"),
                "AccessDenied: not authorized",
            ),
            (400, aws_error("OptInRequired", "region"), "OptInRequired"),
            // A dead-key code with a status that does not fit it proves nothing.
            (
                500,
                moto_error("InvalidClientTokenId", "x"),
                "InvalidClientTokenId",
            ),
            (
                200,
                moto_error("InvalidClientTokenId", "x"),
                "without an account ID",
            ),
        ];
        for (status, body, want) in cases {
            let v = classify(status, &body);
            assert_eq!(v.status, Status::Unknown, "{status} {body}");
            assert!(v.reason.contains(want), "{status}: {}", v.reason);
        }
    }

    #[test]
    fn response_fields_are_sanitised() {
        let body = "<Account>123456789012</Account><Arn>arn:aws:iam::123456789012:user/a&amp;b\u{1b}[31m</Arn><UserId>   </UserId>";
        let v = classify(200, body);
        assert_eq!(
            v.arn.as_deref(),
            Some("arn:aws:iam::123456789012:user/a&b[31m")
        );
        assert_eq!(v.user_id, None);
        let long = format!("<Code>X</Code><Message>{}</Message>", "m".repeat(5000));
        let v = classify(400, &long);
        assert!(v.reason.chars().count() < 400, "{}", v.reason.len());
    }
}
