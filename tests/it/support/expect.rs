//! Expected findings: `Expected` (rule, values, every location) and its constructors (`pair`,
//! `lone_key`, ...), the compared form of a JSON report (`findings_of`), what every finding
//! must satisfy whatever the case (`finding_invariants`), the comparison of a scan with the
//! exact findings it must give (`verify`), and `Case`/`check_all`, which scan a fixture tree
//! and compare in one go.

use std::fmt;

use serde_json::Value;

use super::{expected_account, scan_json, Output, Tree};

pub const PAIR: &str = "aws-access-key-pair";
pub const SECRET: &str = "aws-secret-access-key";
pub const TOKEN: &str = "aws-session-token";
pub const KEY: &str = "aws-access-key-id";
/// A built-in rule outside the AWS family (`rules/github.toml`).
pub const GITHUB_PAT: &str = "github-pat-classic";

/// One location of a finding, as compared.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Loc {
    pub path: String,
    pub line: u64,
    /// The byte offset, for a location in binary content (which has no line).
    pub offset: Option<u64>,
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
            match l.offset {
                Some(o) => write!(f, "{}@{o:#x} {}", l.path, l.kind)?,
                None => write!(f, "{}:{} {}", l.path, l.line, l.kind)?,
            }
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

/// A finding of a rule other than the AWS ones: its value is in `secret`, its one location of
/// kind `secret` (add it with `secret_at`).
pub fn rule_finding(rule: &str, secret: &str) -> Expected {
    expected(rule, None, Some(secret))
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
            offset: None,
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

    /// A location in binary content, at a byte offset.
    fn at_offset(mut self, kind: &str, offset: usize) -> Expected {
        self.locs.push(Loc {
            path: String::new(),
            line: 0,
            offset: Some(offset as u64),
            kind: kind.into(),
            encoding: "plain".into(),
        });
        self
    }

    pub fn key_at_offset(self, offset: usize) -> Expected {
        self.at_offset("key_id", offset)
    }

    pub fn secret_at_offset(self, offset: usize) -> Expected {
        self.at_offset("secret", offset)
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

/// A location's path, with the chain of members inside it as the text report shows it:
/// `dist/app.jar!BOOT-INF/classes/application.properties`.
fn member_path(l: &Value) -> String {
    let mut p: String = l["path"].as_str().unwrap_or("?").into();
    for m in l["members"].as_array().into_iter().flatten() {
        p.push('!');
        p.push_str(m.as_str().unwrap_or("?"));
    }
    p
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
                            path: member_path(l),
                            line: l["line"].as_u64().unwrap_or(0),
                            offset: l["offset"].as_u64(),
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
        GITHUB_PAT => "critical",
        "keystore-pkcs12" | "keystore-java" => "high",
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
                for field in ["path", "line", "column", "offset"] {
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
            // In binary content: a byte offset and length instead of lines and columns.
            if l.get("offset").is_some() {
                if l.get("line").is_some() || l["length"].as_u64().unwrap_or(0) == 0 {
                    errors.push(format!("{rule}: bad byte span {l}"));
                }
                continue;
            }
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
