//! Verification (`keyhound::verify`) against a real STS implementation and against loopback
//! servers that misbehave.
//!
//! - `moto_sts`: one test that starts moto's server (IAM authentication on) through
//!   `fixtures/sts/moto_sts.py` (harness in `crate::moto`), in a venv under `target/moto-venv`
//!   created on first use, and runs every moto case in sequence; the server is stopped by PID
//!   when the guard drops, even on panic. Without Python or network the test is skipped with a
//!   message, unless `KEYHOUND_REQUIRE_MOTO=1` (CI), where it fails.
//! - The other tests need no Python: a refused port, a server that never answers, canned
//!   HTTP errors, and a counting listener proving skipped credentials are never sent.
//!
//! Every credential is generated here or minted by moto during the test; none is real.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use keyhound::aws::keys::account_id;
use keyhound::finding::Secret;
use keyhound::verify::{
    verify_all, Credential, Endpoint, Status, Verdict, VerifyConfig, BUILTIN_CANARY_ACCOUNTS,
};

use crate::moto::{moto_or_skip, Moto, MotoKeys, ACCOUNT, USER_ARN};
use crate::support::{closed_port, SilentListener};

// ---------------------------------------------------------------------------------------------
// Generated credentials

const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// splitmix64: deterministic test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn string(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize] as char)
            .collect()
    }
}

/// A key ID whose offline-decoded account is `account` (the inverse of `account_id`).
fn key_for_account(prefix: &str, account: u64, rng: &mut Rng) -> String {
    let x = (1u64 << 47) | (account << 7) | (rng.next() & 0x7f);
    let v = (x << 2) | (rng.next() & 3);
    let mut id = prefix.to_string();
    for i in (0..10).rev() {
        id.push(BASE32[((v >> (5 * i)) & 31) as usize] as char);
    }
    id.push_str(&rng.string(BASE32, 6));
    assert_eq!(account_id(&id), Some(format!("{account:012}")), "{id}");
    id
}

fn secret(rng: &mut Rng) -> String {
    rng.string(B64, 40)
}

/// The built-in AWS rules, parsed once.
fn aws_rules() -> &'static keyhound::aws::AwsRules {
    static RULES: std::sync::OnceLock<keyhound::aws::AwsRules> = std::sync::OnceLock::new();
    RULES.get_or_init(|| keyhound::aws::AwsRules::builtin().expect("built-in AWS rules"))
}

fn cred(key: &str, secret: &str, token: Option<&str>) -> Credential {
    Credential {
        key_id: key.to_string(),
        secret: Secret::new(secret),
        session_token: token.map(Secret::new),
    }
}

fn config(endpoint: &str, timeout: Duration) -> VerifyConfig {
    VerifyConfig {
        endpoint: Endpoint::parse(endpoint).unwrap(),
        concurrency: 4,
        timeout,
        skip_accounts: HashSet::new(),
    }
}

fn verify_one(c: Credential, cfg: &VerifyConfig) -> Verdict {
    let mut out = verify_all(&[c], cfg, aws_rules());
    assert_eq!(out.len(), 1);
    out.pop().unwrap()
}

// ---------------------------------------------------------------------------------------------
// Loopback servers

/// One HTTP request as a test server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: String,
    raw: String,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A loopback HTTP/1.1 server answering every request through `respond(path)`, closing each
/// connection after one answer, and recording what it received.
struct HttpServer {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl HttpServer {
    fn start(respond: fn(&str) -> String) -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let log = Arc::clone(&log);
                thread::spawn(move || {
                    if let Some(req) = read_request(&mut stream) {
                        let answer = respond(&req.path);
                        log.lock().unwrap().push(req);
                        let _ = stream.write_all(answer.as_bytes());
                    }
                });
            }
        });
        HttpServer { port, seen }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn requests_to(&self, path: &str) -> Vec<Seen> {
        let seen = self.seen.lock().unwrap();
        seen.iter().filter(|r| r.path == path).cloned().collect()
    }
}

fn read_request(stream: &mut TcpStream) -> Option<Seen> {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut reader = BufReader::new(stream);
    let mut raw = String::new();
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    raw.push_str(&request_line);
    let mut parts = request_line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        raw.push_str(&line);
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (n, v) = line.split_once(':')?;
        headers.push((n.trim().to_string(), v.trim().to_string()));
    }
    let len: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    let body = String::from_utf8_lossy(&body).into_owned();
    raw.push_str(&body);
    Some(Seen {
        method,
        path,
        headers,
        body,
        raw,
    })
}

fn http_response(status: &str, content_type: &str, body: &str, extra: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{body}",
        body.len()
    )
}

// ---------------------------------------------------------------------------------------------
// Tests without moto

#[test]
fn skipped_credentials_are_never_sent() {
    let server = SilentListener::start();
    let mut rng = Rng(11);
    let canary_account: u64 = BUILTIN_CANARY_ACCOUNTS[3].parse().unwrap();
    let canary = key_for_account("AKIA", canary_account, &mut rng);
    let own_canary = key_for_account("ASIA", 210_987_654_321, &mut rng);
    let normal = key_for_account("AKIA", 123_456_789_012, &mut rng);
    let token = rng.string(B64, 200);
    let mut cfg = config(&server.url(), Duration::from_millis(500));
    cfg.skip_accounts.insert("210987654321".to_string());
    let creds = [
        cred(&canary, &secret(&mut rng), None),
        cred(&own_canary, &secret(&mut rng), Some(&token)),
        cred(
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            None,
        ),
        cred(&normal, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", None),
        cred(&normal.replacen("AKIA", "ABIA", 1), &secret(&mut rng), None),
        cred(&normal.replacen("AKIA", "ASIA", 1), &secret(&mut rng), None),
    ];
    let out = verify_all(&creds, &cfg, aws_rules());
    let got: Vec<(Status, &str)> = out.iter().map(|v| (v.status, v.reason.as_str())).collect();
    assert_eq!(got.len(), creds.len());
    assert!(got.iter().all(|(s, _)| *s == Status::Skipped), "{got:?}");
    assert!(got[0].1.starts_with("canary: account"), "{got:?}");
    assert!(got[0].1.contains(BUILTIN_CANARY_ACCOUNTS[3]), "{got:?}");
    assert!(got[1].1.contains("list of accounts to skip"), "{got:?}");
    assert_eq!(got[2].1, "AWS documentation example");
    assert_eq!(got[3].1, "AWS documentation example");
    assert_eq!(got[4].1, "key type cannot be verified");
    assert_eq!(got[5].1, "temporary key without session token");
    thread::sleep(Duration::from_millis(100));
    assert_eq!(server.connections(), 0, "a skipped key was sent");
}

#[test]
fn refused_connection_is_unknown() {
    let mut rng = Rng(12);
    let port = closed_port();
    let cfg = config(&format!("http://127.0.0.1:{port}"), Duration::from_secs(2));
    let key = key_for_account("AKIA", 123_456_789_012, &mut rng);
    let started = Instant::now();
    let v = verify_one(cred(&key, &secret(&mut rng), None), &cfg);
    assert_eq!(v.status, Status::Unknown, "{v:?}");
    assert!(v.reason.contains("refused"), "{v:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn tls_failure_is_unknown() {
    // An https endpoint whose server speaks plain HTTP: the TLS handshake fails.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        }
    });
    let mut rng = Rng(18);
    let key = key_for_account("AKIA", 123_456_789_012, &mut rng);
    let cfg = config(&format!("https://127.0.0.1:{port}"), Duration::from_secs(2));
    let v = verify_one(cred(&key, &secret(&mut rng), None), &cfg);
    assert_eq!(v.status, Status::Unknown, "{v:?}");
    assert!(v.reason.contains("TLS"), "{v:?}");
}

#[test]
fn extreme_timeouts_do_not_panic() {
    let mut rng = Rng(17);
    let port = closed_port();
    let key = key_for_account("AKIA", 123_456_789_012, &mut rng);
    for timeout in [Duration::MAX, Duration::ZERO] {
        let cfg = config(&format!("http://127.0.0.1:{port}"), timeout);
        let v = verify_one(cred(&key, &secret(&mut rng), None), &cfg);
        assert_eq!(v.status, Status::Unknown, "{timeout:?}: {v:?}");
        assert!(
            v.reason.contains("refused") || v.reason.contains("timed out"),
            "{v:?}"
        );
    }
}

#[test]
fn silent_server_times_out_as_unknown() {
    let server = SilentListener::start();
    let mut rng = Rng(13);
    let timeout = Duration::from_millis(700);
    let cfg = config(&server.url(), timeout);
    let key = key_for_account("AKIA", 123_456_789_012, &mut rng);
    let started = Instant::now();
    let v = verify_one(cred(&key, &secret(&mut rng), None), &cfg);
    let took = started.elapsed();
    assert_eq!(v.status, Status::Unknown, "{v:?}");
    assert!(v.reason.contains("timed out"), "{v:?}");
    assert!(took >= timeout, "{took:?}");
    assert!(took < timeout * 3, "{took:?}");
    assert_eq!(server.connections(), 1);
}

#[test]
fn many_pairs_against_a_silent_server_finish_in_bounded_time() {
    let server = SilentListener::start();
    let mut rng = Rng(14);
    let timeout = Duration::from_millis(300);
    let cfg = config(&server.url(), timeout);
    let creds: Vec<Credential> = (0..200)
        .map(|_| {
            let key = key_for_account("AKIA", 123_456_789_012, &mut rng);
            cred(&key, &secret(&mut rng), None)
        })
        .collect();
    let started = Instant::now();
    let out = verify_all(&creds, &cfg, aws_rules());
    let took = started.elapsed();
    assert_eq!(out.len(), 200);
    assert!(out.iter().all(|v| v.status == Status::Unknown));
    let not_sent = out
        .iter()
        .filter(|v| v.reason.starts_with("not sent"))
        .count();
    assert!(not_sent > 150, "{not_sent} not sent: {:?}", out.last());
    assert!(
        out.last().unwrap().reason.contains("timed out"),
        "{:?}",
        out.last()
    );
    // 200 × 300 ms would be a minute at 4 workers; the run of failures stops it early.
    assert!(took < Duration::from_secs(5), "{took:?}");
}

fn canned(path: &str) -> String {
    let throttled = "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>1</RequestId></ErrorResponse>";
    let waf = "<!DOCTYPE html>\n<html><head><title>403 Forbidden</title></head><body><h1>Request blocked</h1><p>Your request was blocked by the web application firewall.</p></body></html>";
    match path {
        "/500" => http_response("500 Internal Server Error", "text/plain", "oops", ""),
        "/429" => http_response("429 Too Many Requests", "text/xml", "", ""),
        "/throttling" => http_response("400 Bad Request", "text/xml", throttled, ""),
        "/503" => http_response(
            "503 Service Unavailable",
            "text/html",
            "<html>busy</html>",
            "",
        ),
        "/waf" => http_response("403 Forbidden", "text/html", waf, ""),
        "/html200" => http_response("200 OK", "text/html", waf, ""),
        "/redirect" => http_response(
            "307 Temporary Redirect",
            "text/plain",
            "",
            "Location: http://127.0.0.1:9/elsewhere\r\n",
        ),
        "/garbage" => "this is not http\r\n\r\n".to_string(),
        _ => http_response("404 Not Found", "text/plain", "", ""),
    }
}

#[test]
fn http_errors_throttling_and_waf_pages_are_unknown() {
    let server = HttpServer::start(canned);
    let mut rng = Rng(15);
    let key = key_for_account("AKIA", 123_456_789_012, &mut rng);
    let sec = secret(&mut rng);
    // (path, expected part of the reason, requests expected: throttling is retried).
    let cases = [
        ("/500", "server error (HTTP 500)", 1),
        ("/429", "throttled", 3),
        ("/throttling", "Throttling", 3),
        ("/503", "HTTP 503", 3),
        ("/waf", "HTML page", 1),
        ("/html200", "without an account ID", 1),
        ("/redirect", "redirect", 1),
        ("/garbage", "not an HTTP response", 1),
    ];
    for (path, want, requests) in cases {
        let cfg = config(&server.url(path), Duration::from_secs(2));
        let started = Instant::now();
        let v = verify_one(cred(&key, &sec, None), &cfg);
        assert_eq!(v.status, Status::Unknown, "{path}: {v:?}");
        assert!(v.reason.contains(want), "{path}: {}", v.reason);
        assert_eq!(server.requests_to(path).len(), requests, "{path}");
        assert!(started.elapsed() < Duration::from_secs(5), "{path}");
    }
    assert!(
        server.requests_to("/elsewhere").is_empty(),
        "a redirect was followed"
    );
}

#[test]
fn the_request_is_a_signed_sts_post() {
    let server = HttpServer::start(canned);
    let mut rng = Rng(16);
    let key = key_for_account("AKIA", 123_456_789_012, &mut rng);
    let asia = key_for_account("ASIA", 123_456_789_012, &mut rng);
    let sec = secret(&mut rng);
    let token = rng.string(B64, 300);
    let cfg = config(&server.url("/500"), Duration::from_secs(2));
    verify_all(
        &[cred(&key, &sec, None), cred(&asia, &sec, Some(&token))],
        &cfg,
        aws_rules(),
    );
    let seen = server.requests_to("/500");
    assert_eq!(seen.len(), 2);
    for req in &seen {
        let with_token = req.header("x-amz-security-token").is_some();
        let id = if with_token { &asia } else { &key };
        assert_eq!(req.method, "POST");
        assert_eq!(req.body, "Action=GetCallerIdentity&Version=2011-06-15");
        assert_eq!(
            req.header("content-type"),
            Some("application/x-www-form-urlencoded; charset=utf-8")
        );
        assert_eq!(
            req.header("user-agent"),
            Some(concat!("keyhound/", env!("CARGO_PKG_VERSION")))
        );
        assert_eq!(
            req.header("host"),
            Some(format!("127.0.0.1:{}", server.port).as_str())
        );
        let date = req.header("x-amz-date").unwrap();
        assert_eq!(date.len(), 16, "{date}");
        let auth = req.header("authorization").unwrap();
        let headers = if with_token {
            "content-type;host;x-amz-date;x-amz-security-token"
        } else {
            "content-type;host;x-amz-date"
        };
        let want = format!(
            "AWS4-HMAC-SHA256 Credential={id}/{}/us-east-1/sts/aws4_request, SignedHeaders={headers}, Signature=",
            &date[..8]
        );
        assert!(auth.starts_with(&want), "{auth}");
        assert_eq!(auth.len(), want.len() + 64, "{auth}");
        assert!(!req.raw.contains(&sec), "the secret was sent");
        assert_eq!(req.header("x-amz-security-token").is_some(), id == &asia);
    }
    let asia_req = seen.iter().find(|r| r.raw.contains(&asia)).unwrap();
    assert_eq!(
        asia_req.header("x-amz-security-token"),
        Some(token.as_str())
    );
}

/// A well-formed `GetCallerIdentityResponse` for `account`.
fn identity_body(account: &str) -> String {
    format!(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::{account}:user/ci</Arn><UserId>AIDAQWERTYUIOPASDFGHJ</UserId><Account>{account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
    )
}

fn identities(path: &str) -> String {
    let body = match path {
        "/ok" => identity_body("123456789012"),
        "/other-account" => identity_body("210987654321"),
        "/account-only" => "<Account>123456789012</Account>".to_string(),
        _ => return http_response("404 Not Found", "text/plain", "", ""),
    };
    http_response("200 OK", "text/xml", &body, "")
}

#[test]
fn a_200_is_live_only_when_it_is_the_keys_identity() {
    let server = HttpServer::start(identities);
    let mut rng = Rng(18);
    let key = key_for_account("AKIA", 123_456_789_012, &mut rng);
    let old = format!("AKIAI{}", rng.string(BASE32, 15));
    let sec = secret(&mut rng);
    let at = |path: &str| config(&server.url(path), Duration::from_secs(2));
    let v = verify_one(cred(&key, &sec, None), &at("/ok"));
    assert_eq!(v.status, Status::Live, "{v:?}");
    assert_eq!(v.account.as_deref(), Some("123456789012"));
    // A body that merely contains an Account element.
    let v = verify_one(cred(&key, &sec, None), &at("/account-only"));
    assert_eq!(v.status, Status::Unknown, "{v:?}");
    assert!(v.reason.contains("GetCallerIdentityResponse"), "{v:?}");
    // Another account than the key ID encodes.
    let v = verify_one(cred(&key, &sec, None), &at("/other-account"));
    assert_eq!(v.status, Status::Unknown, "{v:?}");
    assert!(v.reason.contains("210987654321"), "{v:?}");
    // A key ID that predates the account encoding can belong to any account.
    let v = verify_one(cred(&old, &sec, None), &at("/other-account"));
    assert_eq!(v.status, Status::Live, "{v:?}");
}

// ---------------------------------------------------------------------------------------------
// moto (the server and its venv: `crate::moto`)

/// Every moto case, in sequence, against one server started here and stopped (by PID) when
/// `moto` drops, panics included.
#[test]
fn moto_sts() {
    let Some((mut moto, keys)) = moto_or_skip("verify") else {
        return;
    };
    assert_eq!(account_id(&keys.akid).as_deref(), Some(ACCOUNT));
    // The endpoint comes from the SDK variable, as CI would set it.
    let endpoint = moto.get("endpoint").to_string();
    let env = |name: &str| (name == "AWS_ENDPOINT_URL_STS").then(|| endpoint.clone());
    let cfg = VerifyConfig {
        endpoint: Endpoint::resolve(None, &env).unwrap(),
        concurrency: 8,
        timeout: Duration::from_secs(10),
        skip_accounts: HashSet::new(),
    };

    moto_authentication_is_on(&mut moto, &keys, &cfg);
    moto_live_long_term_key(&keys, &cfg);
    moto_wrong_secret_is_invalid_and_the_key_exists(&mut moto, &keys, &cfg);
    moto_temporary_credentials(&keys, &cfg);
    moto_skipped_keys_are_not_sent(&mut moto, &keys, &cfg);
    moto_each_distinct_pair_is_sent_once(&mut moto, &keys, &cfg);
    moto.stop();
    moto_stopped_server_is_unknown(&keys, &cfg);
}

/// With authentication off, moto accepts any key: an unknown one must be rejected.
fn moto_authentication_is_on(moto: &mut Moto, keys: &MotoKeys, cfg: &VerifyConfig) {
    moto.reset();
    let v = verify_one(cred(&keys.unknown, &keys.secret, None), cfg);
    assert_eq!(v.status, Status::Invalid, "unknown key: {v:?}");
    assert_eq!(v.reason, "key ID does not exist or is deactivated");
    assert_eq!(moto.counts().0, 1);
}

fn moto_live_long_term_key(keys: &MotoKeys, cfg: &VerifyConfig) {
    let v = verify_one(cred(&keys.akid, &keys.secret, None), cfg);
    assert_eq!(v.status, Status::Live, "live AKIA: {v:?}");
    assert_eq!(v.account.as_deref(), Some(ACCOUNT));
    assert_eq!(v.arn.as_deref(), Some(USER_ARN));
    assert!(v.user_id.as_deref().is_some_and(|u| !u.is_empty()), "{v:?}");
    // A token found next to a long-term key is not sent with it.
    let v = verify_one(cred(&keys.akid, &keys.secret, Some(&keys.asia_token)), cfg);
    assert_eq!(v.status, Status::Live, "AKIA + stray token: {v:?}");
}

/// Invalid, the reason says the key ID exists, and the request was resubmitted once.
fn moto_wrong_secret_is_invalid_and_the_key_exists(
    moto: &mut Moto,
    keys: &MotoKeys,
    cfg: &VerifyConfig,
) {
    moto.reset();
    let v = verify_one(cred(&keys.akid, &keys.wrong_secret, None), cfg);
    assert_eq!(v.status, Status::Invalid, "wrong secret: {v:?}");
    assert!(v.reason.contains("key ID exists"), "{v:?}");
    assert_eq!(moto.counts().1.get(&keys.akid), Some(&2));
}

/// ASIA credentials from AssumeRole: live with their token, invalid with a wrong one.
fn moto_temporary_credentials(keys: &MotoKeys, cfg: &VerifyConfig) {
    let v = verify_one(
        cred(&keys.asia, &keys.asia_secret, Some(&keys.asia_token)),
        cfg,
    );
    assert_eq!(v.status, Status::Live, "ASIA + token: {v:?}");
    assert_eq!(v.account.as_deref(), Some(ACCOUNT));
    let arn = v.arn.as_deref().unwrap_or_default();
    assert!(
        arn.starts_with("arn:aws:sts::123456789012:assumed-role/keyhound-test-role/"),
        "{v:?}"
    );
    let mut bad_token = keys.asia_token.clone();
    bad_token.replace_range(20..24, "ZZZZ");
    let v = verify_one(cred(&keys.asia, &keys.asia_secret, Some(&bad_token)), cfg);
    assert_eq!(v.status, Status::Invalid, "ASIA + wrong token: {v:?}");
    assert!(v.reason.contains("session token"), "{v:?}");
}

/// A canary account, a documentation example and ASIA without its token: moto sees nothing.
fn moto_skipped_keys_are_not_sent(moto: &mut Moto, keys: &MotoKeys, cfg: &VerifyConfig) {
    moto.reset();
    let mut rng = Rng(21);
    let canary_account: u64 = BUILTIN_CANARY_ACCOUNTS[0].parse().unwrap();
    let canary = key_for_account("AKIA", canary_account, &mut rng);
    let out = verify_all(
        &[
            cred(&canary, &secret(&mut rng), None),
            cred(
                "AKIAIOSFODNN7EXAMPLE",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                None,
            ),
            cred(&keys.asia, &keys.asia_secret, None),
        ],
        cfg,
        aws_rules(),
    );
    assert!(out.iter().all(|v| v.status == Status::Skipped), "{out:?}");
    assert!(out[0].reason.starts_with("canary"), "{out:?}");
    assert_eq!(out[1].reason, "AWS documentation example");
    assert_eq!(
        moto.counts().0,
        0,
        "moto received a request for a skipped key"
    );
}

/// 200 distinct pairs, each listed twice in a shuffled input, one live: every pair reaches
/// moto exactly once, verdicts line up with the input, and it finishes in bounded time.
fn moto_each_distinct_pair_is_sent_once(moto: &mut Moto, keys: &MotoKeys, cfg: &VerifyConfig) {
    moto.reset();
    let mut rng = Rng(22);
    let mut pairs: Vec<Credential> = (0..199)
        .map(|_| {
            let key = key_for_account("AKIA", 123_456_789_012, &mut rng);
            cred(&key, &secret(&mut rng), None)
        })
        .collect();
    pairs.insert(137, cred(&keys.akid, &keys.secret, None));
    let mut input: Vec<Credential> = pairs.iter().chain(pairs.iter()).cloned().collect();
    for i in (1..input.len()).rev() {
        input.swap(i, (rng.next() % (i as u64 + 1)) as usize);
    }
    let started = Instant::now();
    let out = verify_all(&input, cfg, aws_rules());
    let took = started.elapsed();
    eprintln!("moto: 400 credentials (200 distinct) verified in {took:?}");
    assert_eq!(out.len(), 400);
    for (c, v) in input.iter().zip(&out) {
        let want = if c.key_id == keys.akid {
            Status::Live
        } else {
            Status::Invalid
        };
        assert_eq!(v.status, want, "{c:?}: {v:?}");
    }
    let (total, by_key) = moto.counts();
    assert_eq!(total, 200, "each distinct pair must be sent once");
    assert_eq!(by_key.len(), 200);
    assert!(by_key.values().all(|&n| n == 1), "{by_key:?}");
    assert!(took < Duration::from_secs(60), "{took:?}");
}

/// After the server stopped: indeterminate, not invalid.
fn moto_stopped_server_is_unknown(keys: &MotoKeys, cfg: &VerifyConfig) {
    let v = verify_one(cred(&keys.akid, &keys.secret, None), cfg);
    assert_eq!(v.status, Status::Unknown, "server stopped: {v:?}");
    assert!(v.reason.contains("refused"), "{v:?}");
}
