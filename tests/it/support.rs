//! Helpers for the integration tests: a deterministic fake-credential generator, fixture trees
//! in temporary directories, running the `keyhound` binary, and checking a JSON report against
//! the exact findings a case expects.

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use keyhound::aws::keys::{self as aws, Strictness};
use keyhound::aws::AwsRules;
use serde_json::Value;
use tempfile::TempDir;

// ------------------------------------------------------------------------------------------
// Deterministic fake credentials
// ------------------------------------------------------------------------------------------

const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// Fifth characters of key IDs issued since the account encoding (`Q`..`7`).
const MODERN_FIFTH: &[u8] = b"QRSTUVWXYZ234567";
/// Fifth characters of old key IDs, which do not encode an account.
const OLD_FIFTH: &[u8] = b"IJ";
pub const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
pub const HEX: &[u8] = b"0123456789abcdef";

/// xorshift64 seeded through splitmix64, so that small neighbouring seeds give unrelated
/// streams.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Rng(if z == 0 { 0x2545_F491_4F6C_DD1D } else { z })
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn pick(&mut self, alphabet: &[u8]) -> char {
        char::from(alphabet[self.below(alphabet.len())])
    }

    pub fn string(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len).map(|_| self.pick(alphabet)).collect()
    }

    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| (self.next_u64() >> 24) as u8).collect()
    }
}

fn has_run_of_same(s: &str, n: usize) -> bool {
    let b = s.as_bytes();
    b.windows(n).any(|w| w.iter().all(|&c| c == w[0]))
}

/// The built-in AWS rules (for the key ID shape), parsed once.
fn aws_rules() -> &'static AwsRules {
    static RULES: std::sync::OnceLock<AwsRules> = std::sync::OnceLock::new();
    RULES.get_or_init(|| AwsRules::builtin().expect("built-in AWS rules"))
}

fn gen_key_id(prefix: &str, fifth: &[u8], seed: u64, domain: u64) -> String {
    let mut rng = Rng::new(seed ^ domain);
    loop {
        let mut id = String::from(prefix);
        id.push(rng.pick(fifth));
        id.push_str(&rng.string(BASE32, 15));
        if aws_rules().is_key_id(id.as_bytes())
            && !aws::is_placeholder_key_id(&id)
            && !aws::is_example(&id)
            && !has_run_of_same(&id, 3)
            // Real account IDs have 12 digits, which rules out some fifth characters.
            && expected_account(&id).is_none_or(|a| a.len() == 12)
        {
            return id;
        }
    }
}

/// A long-term key ID (`AKIA` + 16 base32 characters) that encodes an account.
pub fn key_id(seed: u64) -> String {
    gen_key_id("AKIA", MODERN_FIFTH, seed, 0x4B45_5949_4441_4B49)
}

/// A temporary key ID (`ASIA` + 16 base32 characters) that encodes an account.
pub fn asia_key_id(seed: u64) -> String {
    gen_key_id("ASIA", MODERN_FIFTH, seed, 0x4B45_5949_4441_5349)
}

/// A long-term key ID whose fifth character is `I` or `J`: no account can be decoded.
pub fn old_key_id(seed: u64) -> String {
    gen_key_id("AKIA", OLD_FIFTH, seed, 0x4F4C_444B_4559_4944)
}

/// An IAM unique ID (not a credential) with the given prefix and a 17-character body.
pub fn unique_id(prefix: &str, seed: u64) -> String {
    let mut rng = Rng::new(seed ^ 0x554E_4951_5545_4944);
    format!("{prefix}{}", rng.string(BASE32, 17))
}

fn gen_secret(seed: u64, symbols: bool) -> String {
    let domain = if symbols {
        0x5345_4352_4554_5359
    } else {
        0x5345_4352_4554_4B59
    };
    let mut rng = Rng::new(seed ^ domain);
    loop {
        let s = rng.string(B64, 40);
        let b = s.as_bytes();
        let ok = b[0].is_ascii_alphanumeric()
            && b[39].is_ascii_alphanumeric()
            && (!symbols || (s.contains('/') && s.contains('+')))
            && !has_run_of_same(&s, 3)
            && !s.to_ascii_lowercase().contains("example")
            && aws::is_secret_shape(b, Strictness::NoKeyword);
        if ok {
            return s;
        }
    }
}

/// A 40-character secret access key: upper, lower and digits, sometimes `/` or `+`. It starts
/// and ends with an alphanumeric character and passes the matcher's strictest shape test.
pub fn secret(seed: u64) -> String {
    gen_secret(seed, false)
}

/// Like `secret`, but always with at least one `/` and one `+` (for encoding tests).
pub fn secret_with_symbols(seed: u64) -> String {
    gen_secret(seed, true)
}

const TOKEN_LEN: usize = 300;

fn token_ok(t: &str) -> bool {
    let lower = t.to_ascii_lowercase();
    t.contains('/')
        && t.contains('+')
        && ["example", "secret", "session", "security", "token"]
            .iter()
            .all(|w| !lower.contains(w))
        && aws::is_token_shape(t.as_bytes())
}

/// A ~300-character STS session token: base64 starting with `IQoJb3JpZ2luX2Vj` (even seeds)
/// or `FwoGZXIvYXdzE` (odd seeds), with a random body (no runs of repeated characters).
pub fn session_token(seed: u64) -> String {
    let prefix = if seed % 2 == 0 {
        "IQoJb3JpZ2luX2Vj"
    } else {
        "FwoGZXIvYXdzE"
    };
    let mut rng = Rng::new(seed ^ 0x544F_4B45_4E54_4F4B);
    loop {
        let t = format!("{prefix}{}", rng.string(B64, TOKEN_LEN - prefix.len()));
        if !has_run_of_same(&t, 3) && token_ok(&t) {
            return t;
        }
    }
}

/// A session token shaped like most tokens STS really issues: right after the prefix comes a
/// protobuf varint written as ten `/` characters (`IQoJb3JpZ2luX2VjE..//////////wEaCXVz...`).
pub fn session_token_realistic(seed: u64) -> String {
    let mut rng = Rng::new(seed ^ 0x5245_414C_544F_4B4E);
    loop {
        let head = format!(
            "IQoJb3JpZ2luX2VjE{}//////////wEaCXVzLWVhc3QtMSJHMEUCIQ",
            rng.string(B64, 2)
        );
        let t = format!("{head}{}", rng.string(B64, TOKEN_LEN - head.len()));
        let lower = t.to_ascii_lowercase();
        if t.contains('+')
            && ["example", "secret", "session", "security", "token"]
                .iter()
                .all(|w| !lower.contains(w))
        {
            return t;
        }
    }
}

/// Lowercase hex of `n` characters (hashes, commit ids).
pub fn hex(seed: u64, n: usize) -> String {
    Rng::new(seed ^ 0x4845_5848_4558_4845).string(HEX, n)
}

/// A random version-4 UUID.
pub fn uuid(seed: u64) -> String {
    let h = hex(seed ^ 0x5555_4944, 32);
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

/// Standard base64 with padding.
pub fn b64(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(char::from(B64[((n >> (18 - 6 * k)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Percent-encodes the base64 characters that URLs escape (`/`, `+`, `=`).
pub fn url_encode(s: &str) -> String {
    s.replace('/', "%2F")
        .replace('+', "%2B")
        .replace('=', "%3D")
}

/// JSON with escaped slashes, as PHP's `json_encode` writes it.
pub fn json_escape_slashes(s: &str) -> String {
    s.replace('/', "\\/")
}

/// The account ID a key ID encodes, computed independently of the crate (base32-decode the
/// body, take the top 48 bits, `(x & 0x7FFF_FFFF_FF80) >> 7`). `None` for fifth character
/// `I` or `J`.
pub fn expected_account(key_id: &str) -> Option<String> {
    let b = key_id.as_bytes();
    if b.len() != 20 || matches!(b[4], b'I' | b'J') {
        return None;
    }
    let mut bits: u128 = 0;
    for &c in &b[4..] {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        bits = (bits << 5) | u128::from(v);
    }
    let x = (bits >> 32) as u64;
    Some(format!("{:012}", (x & 0x7FFF_FFFF_FF80) >> 7))
}

// ------------------------------------------------------------------------------------------
// Templates and positions
// ------------------------------------------------------------------------------------------

/// Replaces `{{NAME}}` placeholders; panics if one is left unfilled.
pub fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (name, value) in vars {
        out = out.replace(&format!("{{{{{name}}}}}"), value);
    }
    let mut rest = out.as_str();
    while let Some(i) = rest.find("{{") {
        let after = &rest[i + 2..];
        if let Some(j) = after.find("}}") {
            let inner = &after[..j];
            assert!(
                inner.is_empty()
                    || !inner
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'),
                "unfilled placeholder {{{{{inner}}}}} in template:\n{out}"
            );
        }
        rest = after;
    }
    out
}

/// 1-based line of the first occurrence of `needle`.
pub fn line_of(text: &str, needle: &str) -> u64 {
    nth_line_of(text, needle, 0)
}

/// 1-based line of occurrence `n` (0-based) of `needle`.
pub fn nth_line_of(text: &str, needle: &str, n: usize) -> u64 {
    let (pos, _) = text
        .match_indices(needle)
        .nth(n)
        .unwrap_or_else(|| panic!("{needle:?} occurs fewer than {} times", n + 1));
    text[..pos].matches('\n').count() as u64 + 1
}

// ------------------------------------------------------------------------------------------
// Fixture trees
// ------------------------------------------------------------------------------------------

/// A temporary directory holding fixture files written at test time.
pub struct Tree {
    dir: TempDir,
}

impl Default for Tree {
    fn default() -> Self {
        Tree::new()
    }
}

impl Tree {
    /// A fresh directory in the system temporary directory (outside any git repository, so
    /// that no parent `.gitignore` applies).
    pub fn new() -> Tree {
        let dir = tempfile::Builder::new()
            .prefix("keyhound-it-")
            .tempdir()
            .expect("create a temporary directory");
        Tree { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `rel` (creating parent directories) and returns its full path.
    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create fixture directory");
        }
        std::fs::write(&path, content.as_ref()).expect("write fixture file");
        path
    }
}

// ------------------------------------------------------------------------------------------
// Running the binary
// ------------------------------------------------------------------------------------------

pub const BIN: &str = env!("CARGO_BIN_EXE_keyhound");

/// An empty directory used as HOME and XDG_CONFIG_HOME, so that no user's global gitignore
/// or git configuration changes what the walker skips.
fn empty_home() -> PathBuf {
    let p = Path::new(env!("CARGO_TARGET_TMPDIR")).join("keyhound-empty-home");
    std::fs::create_dir_all(&p).expect("create empty home");
    p
}

/// A `Command` for the binary with a hermetic environment.
pub fn command(cwd: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    let home = empty_home();
    cmd.current_dir(cwd)
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", &home)
        .env_remove("NO_COLOR")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_STS")
        .env_remove("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE");
    cmd
}

/// What a run of the binary produced.
#[derive(Debug)]
pub struct Output {
    /// Exit status; -1 when killed by a signal.
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Output {
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Parses standard output as one JSON document.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}); exit {}\nstdout:\n{}\nstderr:\n{}",
                self.code,
                self.stdout_str(),
                self.stderr
            )
        })
    }
}

/// Builder for one run of the binary.
pub struct Run {
    cmd: Command,
    stdin: Option<Vec<u8>>,
}

/// Runs `keyhound` in `cwd`.
pub fn keyhound(cwd: &Path) -> Run {
    Run {
        cmd: command(cwd),
        stdin: None,
    }
}

impl Run {
    pub fn args<I, S>(mut self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.cmd.args(args);
        self
    }

    pub fn stdin(mut self, data: impl Into<Vec<u8>>) -> Run {
        self.stdin = Some(data.into());
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Run {
        self.cmd.env(key, value);
        self
    }

    /// Like `run`, but kills the process once `limit` has passed and panics, so that a hang
    /// fails one test instead of stalling the whole suite.
    pub fn run_within(mut self, limit: std::time::Duration) -> Output {
        use std::io::Read as _;
        let what = format!("{:?}", self.cmd);
        self.cmd
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self.cmd.spawn().expect("spawn keyhound");
        if let Some(data) = self.stdin.take() {
            let mut pipe = child.stdin.take().expect("stdin pipe");
            std::thread::spawn(move || {
                let _ = pipe.write_all(&data);
            });
        }
        let mut out_pipe = child.stdout.take().expect("stdout pipe");
        let mut err_pipe = child.stderr.take().expect("stderr pipe");
        let out_reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = out_pipe.read_to_end(&mut buf);
            buf
        });
        let err_reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = err_pipe.read_to_end(&mut buf);
            buf
        });
        let deadline = std::time::Instant::now() + limit;
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for keyhound") {
                break status;
            }
            if std::time::Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                let stderr = err_reader.join().unwrap_or_default();
                panic!(
                    "keyhound did not finish within {limit:?} (killed): {what}\nstderr:\n{}",
                    String::from_utf8_lossy(&stderr)
                );
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        Output {
            code: status.code().unwrap_or(-1),
            stdout: out_reader.join().unwrap_or_default(),
            stderr: String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned(),
        }
    }

    pub fn run(mut self) -> Output {
        self.cmd
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self.cmd.spawn().expect("spawn keyhound");
        if let Some(data) = self.stdin.take() {
            let mut pipe = child.stdin.take().expect("stdin pipe");
            std::thread::spawn(move || {
                let _ = pipe.write_all(&data);
            });
        }
        let out = child.wait_with_output().expect("wait for keyhound");
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: out.stdout,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// `keyhound scan --no-verify --format json --show-secrets EXTRA... .` in `dir`.
pub fn scan_json(dir: &Path, extra: &[&str]) -> Output {
    keyhound(dir)
        .args(["scan", "--no-verify", "--format", "json", "--show-secrets"])
        .args(extra)
        .args(["."])
        .run()
}

// ------------------------------------------------------------------------------------------
// Expected findings
// ------------------------------------------------------------------------------------------

pub const PAIR: &str = "aws-access-key-pair";
pub const SECRET: &str = "aws-secret-access-key";
pub const TOKEN: &str = "aws-session-token";
pub const KEY: &str = "aws-access-key-id";

/// One location of a finding, as compared.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Loc {
    pub path: String,
    pub line: u64,
    pub kind: String,
    pub encoding: String,
}

/// A finding as compared: rule, values (secrets in full: reports are read with
/// `--show-secrets`) and every location.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expected {
    pub rule: String,
    pub key_id: Option<String>,
    pub secret: Option<String>,
    pub token: Option<String>,
    pub locs: Vec<Loc>,
}

fn short(s: &Option<String>) -> String {
    match s {
        None => "-".into(),
        Some(v) if v.len() > 44 => format!("{}…({} chars)", &v[..24], v.len()),
        Some(v) => v.clone(),
    }
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} key={} secret={} token={} at [",
            self.rule,
            short(&self.key_id),
            short(&self.secret),
            short(&self.token)
        )?;
        for (i, l) in self.locs.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{}:{} {}", l.path, l.line, l.kind)?;
            if l.encoding != "plain" {
                write!(f, " ({})", l.encoding)?;
            }
        }
        write!(f, "]")
    }
}

fn expected(rule: &str, key: Option<&str>, secret: Option<&str>) -> Expected {
    Expected {
        rule: rule.into(),
        key_id: key.map(str::to_string),
        secret: secret.map(str::to_string),
        token: None,
        locs: Vec::new(),
    }
}

/// A key pair (critical).
pub fn pair(key: &str, secret: &str) -> Expected {
    expected(PAIR, Some(key), Some(secret))
}

/// A key ID alone (low).
pub fn lone_key(key: &str) -> Expected {
    expected(KEY, Some(key), None)
}

/// A secret alone (high).
pub fn lone_secret(secret: &str) -> Expected {
    expected(SECRET, None, Some(secret))
}

/// A session token alone (medium).
pub fn lone_token(token: &str) -> Expected {
    let mut e = expected(TOKEN, None, None);
    e.token = Some(token.into());
    e
}

impl Expected {
    pub fn with_token(mut self, token: &str) -> Expected {
        self.token = Some(token.into());
        self
    }

    fn at(mut self, kind: &str, line: u64) -> Expected {
        self.locs.push(Loc {
            path: String::new(),
            line,
            kind: kind.into(),
            encoding: "plain".into(),
        });
        self
    }

    pub fn key_at(self, line: u64) -> Expected {
        self.at("key_id", line)
    }

    pub fn secret_at(self, line: u64) -> Expected {
        self.at("secret", line)
    }

    pub fn token_at(self, line: u64) -> Expected {
        self.at("session_token", line)
    }

    /// Sets the encoding of the last location added.
    pub fn enc(mut self, encoding: &str) -> Expected {
        self.locs.last_mut().expect("a location to mark").encoding = encoding.into();
        self
    }

    /// Sets the path of every location added so far that has none.
    pub fn in_file(mut self, path: &str) -> Expected {
        for l in &mut self.locs {
            if l.path.is_empty() {
                l.path = path.into();
            }
        }
        self
    }

    fn normalized(mut self) -> Expected {
        self.locs.sort();
        self
    }
}

fn opt_str(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

/// The findings of a JSON report, in the compared form.
pub fn findings_of(doc: &Value) -> Vec<Expected> {
    let mut out: Vec<Expected> = doc["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings array in {doc}"))
        .iter()
        .map(|f| Expected {
            rule: f["rule_id"].as_str().unwrap_or("?").into(),
            key_id: opt_str(&f["aws"]["key_id"]),
            secret: opt_str(&f["secret"]),
            token: opt_str(&f["session_token"]),
            locs: f["locations"]
                .as_array()
                .map(|ls| {
                    ls.iter()
                        .map(|l| Loc {
                            path: l["path"].as_str().unwrap_or("?").into(),
                            line: l["line"].as_u64().unwrap_or(0),
                            kind: l["kind"].as_str().unwrap_or("?").into(),
                            encoding: l["encoding"].as_str().unwrap_or("?").into(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .map(Expected::normalized)
        .collect();
    out.sort();
    out
}

fn severity_of(rule: &str) -> &'static str {
    match rule {
        PAIR => "critical",
        SECRET => "high",
        TOKEN => "medium",
        KEY => "low",
        _ => "?",
    }
}

/// Checks what every finding object must satisfy whatever the case: severity by rule, the
/// offline account decoding, the key type, the primary location, 1-based positions.
pub fn finding_invariants(doc: &Value) -> Result<(), String> {
    let mut errors = Vec::new();
    for f in doc["findings"].as_array().into_iter().flatten() {
        let rule = f["rule_id"].as_str().unwrap_or("?");
        if f["severity"].as_str() != Some(severity_of(rule)) {
            errors.push(format!("{rule}: severity {}", f["severity"]));
        }
        let fp = f["fingerprint"].as_str().unwrap_or("");
        if fp.len() < 16 || !fp.bytes().all(|b| b.is_ascii_hexdigit()) {
            errors.push(format!("{rule}: fingerprint {fp:?}"));
        }
        if let Some(key) = f["aws"]["key_id"].as_str() {
            let account = opt_str(&f["aws"]["account_id"]);
            if account != expected_account(key) {
                errors.push(format!(
                    "{key}: account_id {account:?}, expected {:?}",
                    expected_account(key)
                ));
            }
            let want_type = match &key[..4] {
                "AKIA" => "long-term",
                "ASIA" => "temporary",
                _ => "",
            };
            if !want_type.is_empty() && f["aws"]["key_type"].as_str() != Some(want_type) {
                errors.push(format!("{key}: key_type {}", f["aws"]["key_type"]));
            }
        } else if rule == PAIR || rule == KEY {
            errors.push(format!("{rule}: no aws.key_id"));
        }
        let locs = f["locations"].as_array().cloned().unwrap_or_default();
        match locs.first() {
            Some(first) => {
                for field in ["path", "line", "column"] {
                    if f[field] != first[field] {
                        errors.push(format!(
                            "{rule}: {field} {} is not the first location's {}",
                            f[field], first[field]
                        ));
                    }
                }
            }
            None => errors.push(format!("{rule}: no locations")),
        }
        for l in &locs {
            let line = l["line"].as_u64().unwrap_or(0);
            let col = l["column"].as_u64().unwrap_or(0);
            let end_line = l["end_line"].as_u64().unwrap_or(0);
            if line < 1 || col < 1 || end_line < line {
                errors.push(format!("{rule}: bad position {l}"));
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("\n"))
    }
}

/// Compares a JSON scan's output with the exact expected findings (and exit status 1, or 0
/// when none are expected). Returns the report for further checks.
pub fn verify(name: &str, out: &Output, expected: &[Expected]) -> Result<Value, String> {
    let doc: Value = serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "[{name}] stdout is not JSON ({e}); exit {}\nstderr:\n{}",
            out.code, out.stderr
        )
    })?;
    let got = findings_of(&doc);
    let mut want: Vec<Expected> = expected.iter().cloned().map(Expected::normalized).collect();
    want.sort();
    let want_code = if want.is_empty() { 0 } else { 1 };
    let mut problems = Vec::new();
    if got != want {
        let list = |v: &[Expected]| {
            if v.is_empty() {
                "    (none)\n".to_string()
            } else {
                v.iter().map(|e| format!("    {e}\n")).collect::<String>()
            }
        };
        let missing: Vec<Expected> = want.iter().filter(|e| !got.contains(e)).cloned().collect();
        let extra: Vec<Expected> = got.iter().filter(|e| !want.contains(e)).cloned().collect();
        problems.push(format!(
            "findings differ\n  expected:\n{}  actual:\n{}  missing:\n{}  unexpected:\n{}",
            list(&want),
            list(&got),
            list(&missing),
            list(&extra)
        ));
    }
    if out.code != want_code {
        problems.push(format!("exit status {} (expected {want_code})", out.code));
    }
    if let Err(e) = finding_invariants(&doc) {
        problems.push(format!("invariants:\n{e}"));
    }
    if problems.is_empty() {
        Ok(doc)
    } else {
        Err(format!(
            "[{name}] {}\n  stderr: {}",
            problems.join("\n"),
            out.stderr.trim()
        ))
    }
}

/// One scan of a fixture tree and the exact findings it must give.
pub struct Case {
    pub name: String,
    pub tree: Tree,
    files: Vec<String>,
    args: Vec<String>,
    expected: Vec<Expected>,
}

impl Case {
    pub fn new(name: &str) -> Case {
        Case {
            name: name.into(),
            tree: Tree::new(),
            files: Vec::new(),
            args: Vec::new(),
            expected: Vec::new(),
        }
    }

    pub fn file(mut self, rel: &str, content: impl AsRef<[u8]>) -> Case {
        self.tree.write(rel, content);
        self.files.push(rel.into());
        self
    }

    pub fn arg(mut self, a: &str) -> Case {
        self.args.push(a.into());
        self
    }

    pub fn expect(mut self, e: Expected) -> Case {
        self.expected.push(e);
        self
    }

    /// Scans and compares. Locations without a path get the case's only file.
    pub fn run(&self) -> Result<Value, String> {
        let expected: Vec<Expected> = self
            .expected
            .iter()
            .cloned()
            .map(|e| {
                if e.locs.iter().any(|l| l.path.is_empty()) {
                    assert!(
                        self.files.len() == 1,
                        "[{}] give locations a path: the case has {} files",
                        self.name,
                        self.files.len()
                    );
                    e.in_file(&self.files[0])
                } else {
                    e
                }
            })
            .collect();
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let out = scan_json(self.tree.path(), &args);
        let doc = verify(&self.name, &out, &expected)?;
        // With rules, the AWS literals are searched together with the rules' keywords; without,
        // by the AWS matcher alone. A case about AWS credentials gives the same either way.
        if expected.iter().all(|e| e.rule.starts_with("aws-"))
            && !args.contains(&"--no-builtin-rules")
        {
            let mut alone = args.clone();
            alone.push("--no-builtin-rules");
            let out = scan_json(self.tree.path(), &alone);
            verify(&format!("{} (AWS only)", self.name), &out, &expected)?;
        }
        Ok(doc)
    }

    /// Scans, compares, and panics with the differences.
    pub fn check(self) -> Value {
        match self.run() {
            Ok(doc) => doc,
            Err(e) => panic!("{e}"),
        }
    }
}

/// Runs every case and panics listing every one that failed.
pub fn check_all(cases: Vec<Case>) {
    let failures: Vec<String> = cases.iter().filter_map(|c| c.run().err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

// ------------------------------------------------------------------------------------------
// Git fixtures
// ------------------------------------------------------------------------------------------

/// Who made a commit, and when (an ISO 8601 date with offset, as git reads it and as keyhound
/// reports it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: &'static str,
    pub email: &'static str,
}

pub const ALICE: Person = Person {
    name: "Alice Ancestor",
    email: "alice@keyhound.test",
};
pub const BOB: Person = Person {
    name: "Bob Brancher",
    email: "bob@keyhound.test",
};

/// A commit as a history finding must name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    pub id: String,
    pub author: String,
    pub email: String,
    pub date: String,
}

impl Commit {
    /// The `commit` object of a JSON location.
    pub fn json(&self) -> Value {
        serde_json::json!({
            "id": self.id,
            "author": self.author,
            "email": self.email,
            "date": self.date,
        })
    }
}

/// An empty directory used as HOME for git, so that no user or system configuration
/// (`core.hooksPath`, signing, templates, autocrlf) changes the fixtures.
fn git_home() -> PathBuf {
    let p = Path::new(env!("CARGO_TARGET_TMPDIR")).join("keyhound-git-home");
    std::fs::create_dir_all(&p).expect("create git home");
    p
}

/// A `git` command in `cwd` with a hermetic configuration and a fixed identity and date.
pub fn git_command(cwd: &Path) -> Command {
    let mut cmd = Command::new("git");
    let home = git_home();
    cmd.current_dir(cwd)
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", &home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", ALICE.name)
        .env("GIT_AUTHOR_EMAIL", ALICE.email)
        .env("GIT_COMMITTER_NAME", ALICE.name)
        .env("GIT_COMMITTER_EMAIL", ALICE.email)
        .env("GIT_AUTHOR_DATE", "2020-01-01T00:00:00+00:00")
        .env("GIT_COMMITTER_DATE", "2020-01-01T00:00:00+00:00")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C")
        .env_remove("GIT_CONFIG_GLOBAL")
        .env_remove("GIT_CONFIG_SYSTEM")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_OBJECT_DIRECTORY")
        .env_remove("GIT_ALTERNATE_OBJECT_DIRECTORIES")
        .env_remove("GIT_COMMON_DIR")
        .env_remove("GIT_NAMESPACE")
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "tag.gpgsign=false",
            "-c",
            "core.autocrlf=false",
            "-c",
            "gc.auto=0",
            "-c",
            "maintenance.auto=false",
            "-c",
            "advice.detachedHead=false",
        ]);
    cmd
}

/// Runs git and returns its trimmed standard output; panics with its stderr when it fails.
pub fn git_in(cwd: &Path, args: &[&str]) -> String {
    let out = git_command(cwd)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {} failed ({}):\n{}{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A git repository built at test time in a temporary directory. Each commit gets the next
/// day of March 2021 as its author and committer date, so that history has a fixed order and
/// every commit id is reproducible.
pub struct GitRepo {
    pub tree: Tree,
    day: std::cell::Cell<u32>,
}

impl GitRepo {
    /// `git init` in a fresh temporary directory.
    pub fn init() -> GitRepo {
        let repo = GitRepo {
            tree: Tree::new(),
            day: std::cell::Cell::new(0),
        };
        repo.git(&["init", "-q"]);
        repo
    }

    pub fn path(&self) -> &Path {
        self.tree.path()
    }

    /// Runs git in the repository; see `git_in`.
    pub fn git(&self, args: &[&str]) -> String {
        git_in(self.path(), args)
    }

    /// Writes a work-tree file (not staged).
    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        self.tree.write(rel, content)
    }

    /// `git rev-parse --verify REV^{commit}` (or of any object with `^{...}` given).
    pub fn rev(&self, rev: &str) -> String {
        self.git(&["rev-parse", "--verify", "--quiet", rev])
    }

    /// Stages everything and commits it as `who`; returns the commit.
    pub fn commit_all_as(&self, who: &Person, message: &str) -> Commit {
        self.git(&["add", "-A"]);
        self.commit_staged_as(who, message)
    }

    /// Stages everything and commits it as Alice.
    pub fn commit_all(&self, message: &str) -> Commit {
        self.commit_all_as(&ALICE, message)
    }

    /// The date the next commit gets.
    fn next_date(&self) -> String {
        let day = self.day.get() + 1;
        assert!(day <= 28, "too many commits for one month of dates");
        self.day.set(day);
        format!("2021-03-{day:02}T1{}:30:00+01:00", day % 10)
    }

    /// Runs `git ARGS` with the next date and `who` as author and committer (commit, merge,
    /// tag, stash).
    pub fn git_as(&self, who: &Person, args: &[&str]) -> String {
        let date = self.next_date();
        let out = git_command(self.path())
            .env("GIT_AUTHOR_NAME", who.name)
            .env("GIT_AUTHOR_EMAIL", who.email)
            .env("GIT_COMMITTER_NAME", who.name)
            .env("GIT_COMMITTER_EMAIL", who.email)
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run git");
        assert!(
            out.status.success(),
            "git {} failed ({}):\n{}{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Commits what is staged as `who`; returns the commit.
    pub fn commit_staged_as(&self, who: &Person, message: &str) -> Commit {
        self.git_as(who, &["commit", "-q", "--allow-empty", "-m", message]);
        self.commit_info("HEAD")
    }

    /// The commit `rev` names, as a history finding must show it.
    pub fn commit_info(&self, rev: &str) -> Commit {
        let line = self.git(&["log", "-1", "--format=%H%x00%an%x00%ae%x00%aI", rev]);
        let parts: Vec<&str> = line.split('\0').collect();
        assert_eq!(parts.len(), 4, "git log output {line:?}");
        Commit {
            id: parts[0].into(),
            author: parts[1].into(),
            email: parts[2].into(),
            date: parts[3].into(),
        }
    }
}
