//! The AWS side of verification: the one signed STS `GetCallerIdentity` call over ureq
//! (rustls, no redirects, bounded body) to an `Endpoint`, and `classify`, which turns an HTTP
//! status and body into a `Verdict`. `<Code>` and `<Message>` are found by searching the text,
//! because AWS and other implementations (moto) nest them differently. Anything that does not
//! prove a key dead is `unknown`, never `invalid`.

use std::io;
use std::time::{Duration, SystemTime};

use super::endpoint::Endpoint;
use super::identity::{self, Problem};
use super::sigv4::{self, AmzDate, STS_BODY};
use super::{Status, Verdict};
use crate::finding::Secret;

/// Largest response body read; STS answers are well under 2 KiB.
const BODY_LIMIT: u64 = 64 * 1024;
/// Longest code, message or identity value kept from a response.
const MAX_FIELD: usize = 300;

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

/// Classifies an STS `GetCallerIdentity` response to a key ID that encodes no account.
#[cfg(test)]
fn classify(status: u16, body: &str) -> Verdict {
    classify_with_retry(status, body, None).0
}

/// The verdict on a response, and whether to ask again. `key_account` is the account the key
/// ID encodes, when it encodes one.
pub(crate) fn classify_with_retry(
    status: u16,
    body: &str,
    key_account: Option<&str>,
) -> (Verdict, Retry) {
    if status == 200 {
        (classify_success(body, key_account), Retry::No)
    } else {
        classify_error(status, body)
    }
}

/// A 200 response: live only for a well-formed `GetCallerIdentityResponse` whose account is
/// the key's (when the key ID encodes one); anything else proves nothing, so it is `unknown`.
fn classify_success(body: &str, key_account: Option<&str>) -> Verdict {
    match identity::parse(body) {
        Ok(id) if key_account.is_some_and(|k| k != id.account) => Verdict::unknown(format!(
            "HTTP 200 for account {}, but the key ID encodes account {}: not an answer from \
             AWS for this key",
            id.account,
            key_account.unwrap_or_default()
        )),
        Ok(id) => Verdict {
            status: Status::Live,
            reason: "GetCallerIdentity succeeded".to_string(),
            account: Some(id.account),
            arn: Some(id.arn),
            user_id: Some(id.user_id),
            triage: None,
        },
        Err(Problem::NoAccount) => Verdict::unknown(format!(
            "HTTP 200 without an account ID{}",
            describe_body(body)
        )),
        Err(Problem::Malformed(what)) => Verdict::unknown(format!(
            "HTTP 200 with an account ID, but not a well-formed GetCallerIdentityResponse: \
             {what}"
        )),
    }
}

/// Any other response: `invalid` only for the codes that prove the credential dead.
fn classify_error(status: u16, body: &str) -> (Verdict, Retry) {
    let code = tag_text(body, "Code");
    let message = tag_text(body, "Message").unwrap_or_default();
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

pub(super) fn is_throttling(code: &str) -> bool {
    code.contains("Throttl")
        || matches!(
            code,
            "RequestLimitExceeded" | "TooManyRequestsException" | "SlowDown"
        )
}

/// A short note on a body that is not an AWS error response.
pub(super) fn describe_body(body: &str) -> &'static str {
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
pub(super) fn tag_text(body: &str, tag: &str) -> Option<String> {
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

pub(super) fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max).collect();
        out.push('…');
        out
    }
}

/// The HTTP agent for `endpoint`: `timeout` for connecting and for each whole exchange, no
/// redirects, statuses returned rather than turned into errors. A proxy from the environment
/// is used for https (CONNECT keeps TLS end to end), never for loopback endpoints, which are
/// local test servers.
pub(super) fn agent(endpoint: &Endpoint, timeout: Duration) -> ureq::Agent {
    let proxy = if endpoint.is_loopback() {
        None
    } else {
        ureq::Proxy::try_from_env()
    };
    ureq::Agent::config_builder()
        .timeout_connect(Some(timeout))
        .timeout_global(Some(timeout))
        .max_redirects(0)
        .http_status_as_error(false)
        .user_agent(format!("keyhound/{}", env!("CARGO_PKG_VERSION")))
        .proxy(proxy)
        .build()
        .into()
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
        Client {
            agent: agent(endpoint, timeout),
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
        let key_account = crate::aws::keys::account_id(key_id);
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
                    Verdict::unknown(transport_reason(&e, self.timeout, self.endpoint.is_https())),
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
            Ok(body) => classify_with_retry(status, &body, key_account.as_deref()),
            Err(e) => (
                Verdict::unknown(format!(
                    "HTTP {status}, then reading the body failed: {}",
                    transport_reason(&e, self.timeout, self.endpoint.is_https())
                )),
                Retry::No,
            ),
        }
    }
}

/// A short, secret-free description of a transport failure.
pub(super) fn transport_reason(e: &ureq::Error, timeout: Duration, https: bool) -> String {
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
            None,
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
        let (v, retry) = classify_with_retry(403, &skew, None);
        assert_eq!((v.status, retry), (Status::Unknown, Retry::No));
        assert!(v.reason.starts_with("clock skew"), "{}", v.reason);

        let throttled = aws_error("Throttling", "Rate exceeded");
        for (status, body) in [
            (400, throttled.as_str()),
            (429, ""),
            (503, "<html><body>Service Unavailable</body></html>"),
        ] {
            let (v, retry) = classify_with_retry(status, body, None);
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
        let body = "<GetCallerIdentityResponse><GetCallerIdentityResult><Account>123456789012</Account><Arn>arn:aws:iam::123456789012:user/a&amp;b\u{1b}[31m</Arn><UserId>AIDA\u{7}X</UserId></GetCallerIdentityResult></GetCallerIdentityResponse>";
        let v = classify(200, body);
        assert_eq!(v.status, Status::Live, "{v:?}");
        assert_eq!(
            v.arn.as_deref(),
            Some("arn:aws:iam::123456789012:user/a&b[31m")
        );
        assert_eq!(v.user_id.as_deref(), Some("AIDAX"));
        let blank = body.replace("AIDA\u{7}X", "   ");
        assert_eq!(classify(200, &blank).status, Status::Unknown);
        let long = format!("<Code>X</Code><Message>{}</Message>", "m".repeat(5000));
        let v = classify(400, &long);
        assert!(v.reason.chars().count() < 400, "{}", v.reason.len());
    }

    #[test]
    fn live_only_for_a_whole_response_of_the_keys_account() {
        // A 200 that merely contains an Account element.
        let v = classify(200, "<Account>123456789012</Account>");
        assert_eq!(v.status, Status::Unknown, "{v:?}");
        assert!(v.reason.contains("not a well-formed"), "{}", v.reason);
        let proxy = "<html><body>Welcome! <Account>123456789012</Account></body></html>";
        assert_eq!(classify(200, proxy).status, Status::Unknown);
        // The key's own account: live.
        let (v, _) = classify_with_retry(200, MOTO_OK, Some("123456789012"));
        assert_eq!(v.status, Status::Live, "{v:?}");
        // Another account than the key ID encodes: not AWS answering for this key.
        let (v, retry) = classify_with_retry(200, MOTO_OK, Some("210987654321"));
        assert_eq!((v.status, retry), (Status::Unknown, Retry::No));
        assert!(
            v.reason.contains("123456789012") && v.reason.contains("210987654321"),
            "{}",
            v.reason
        );
        assert_eq!(v.account, None);
    }
}
