//! Verification through the `keyhound` binary: the flags (`--no-verify`, `--only-verified`,
//! `--sts-endpoint`, `--skip-aws-account(-file)`), the endpoint environment variables, the
//! verdicts in every report format, and the exit status.
//!
//! - `moto_cli`: one test that starts moto's STS server (harness in `crate::moto`; skipped with
//!   a message when Python is missing, unless `KEYHOUND_REQUIRE_MOTO=1`) and runs every case
//!   that needs it in sequence, resetting moto's request counter before each scan so that
//!   "no request" is checked against what the server really received.
//! - The other tests need no server: usage errors, an endpoint refused before any scan, and a
//!   loopback port with nothing listening.
//!
//! The binary is always given a loopback endpoint (`--sts-endpoint` or `AWS_ENDPOINT_URL_STS`),
//! never left to its default of AWS. Every credential is generated here or minted by moto during
//! the test; none is real.

use std::path::Path;
use std::time::Duration;

use keyhound::aws::keys::account_id;
use serde_json::{json, Value};

use crate::moto::{moto_or_skip, Moto, MotoKeys, ACCOUNT, ROLE_ARN, USER_ARN};
use crate::support::{
    self, closed_port, expected_account, key_id, keyhound, lone_key, lone_secret, pair, Expected,
    Output, SilentListener, Tree, KEY, PAIR,
};

/// A hung binary fails its test instead of stalling the suite.
const LIMIT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// Fixtures and helpers

/// A `.env` file: key ID on line 1, secret on line 2, token on line 3.
fn env_file(key: &str, secret: &str, token: Option<&str>) -> String {
    let mut s = format!("AWS_ACCESS_KEY_ID={key}\nAWS_SECRET_ACCESS_KEY={secret}\n");
    if let Some(t) = token {
        s.push_str(&format!("AWS_SESSION_TOKEN={t}\n"));
    }
    s
}

/// The files of a fixture, by what moto will say about them: `a_wrong.env` (the live key ID
/// with a wrong secret: invalid; its path sorts first), `live.env` (the live AKIA pair) and
/// `session.env` (the ASIA pair with its session token: live).
const WRONG: &str = "a_wrong.env";
const LIVE: &str = "live.env";
const SESSION: &str = "session.env";

fn write_fixture(tree: &Tree, keys: &MotoKeys, files: &[&str]) {
    for &f in files {
        let content = match f {
            WRONG => env_file(&keys.akid, &keys.wrong_secret, None),
            LIVE => env_file(&keys.akid, &keys.secret, None),
            SESSION => env_file(&keys.asia, &keys.asia_secret, Some(&keys.asia_token)),
            _ => unreachable!("{f}"),
        };
        tree.write(f, content);
    }
}

fn fixture(keys: &MotoKeys, files: &[&str]) -> Tree {
    let tree = Tree::new();
    write_fixture(&tree, keys, files);
    tree
}

/// The exact finding each fixture file gives (with `--show-secrets`).
fn expected_finding(keys: &MotoKeys, file: &str) -> Expected {
    match file {
        WRONG => pair(&keys.akid, &keys.wrong_secret)
            .key_at(1)
            .secret_at(2)
            .in_file(WRONG),
        LIVE => pair(&keys.akid, &keys.secret)
            .key_at(1)
            .secret_at(2)
            .in_file(LIVE),
        SESSION => pair(&keys.asia, &keys.asia_secret)
            .with_token(&keys.asia_token)
            .key_at(1)
            .secret_at(2)
            .token_at(3)
            .in_file(SESSION),
        _ => unreachable!("{file}"),
    }
}

/// `keyhound scan --sts-endpoint ENDPOINT ARGS... .`
fn scan_at(dir: &Path, endpoint: &str, args: &[&str]) -> Output {
    keyhound(dir)
        .args(["scan", "--sts-endpoint", endpoint])
        .args(args)
        .args(["."])
        .run_within(LIMIT)
}

/// The one finding whose primary location is in `path`.
fn finding<'a>(doc: &'a Value, path: &str) -> &'a Value {
    let all: Vec<&Value> = doc["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings array in {doc}"))
        .iter()
        .filter(|f| f["path"] == path)
        .collect();
    assert_eq!(all.len(), 1, "findings in {path}: {doc:#}");
    all[0]
}

/// The `verification` object of every finding, by path.
fn verdicts(doc: &Value) -> Vec<(String, Value)> {
    doc["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings array in {doc}"))
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap_or("?").to_string(),
                f["verification"].clone(),
            )
        })
        .collect()
}

/// Asserts a live verdict for moto's account with this ARN.
fn assert_live(f: &Value, arn: &str) {
    let v = &f["verification"];
    assert_eq!(v["status"], "live", "{f:#}");
    assert_eq!(v["account"], ACCOUNT, "{f:#}");
    assert_eq!(v["arn"], arn, "{f:#}");
    assert!(
        v["user_id"].as_str().is_some_and(|u| !u.is_empty()),
        "{f:#}"
    );
}

/// Asserts the verdict of the wrong-secret pair: invalid, the key ID exists, no identity.
fn assert_wrong_secret(f: &Value) {
    let v = &f["verification"];
    assert_eq!(v["status"], "invalid", "{f:#}");
    assert!(
        v["reason"].as_str().unwrap_or("").contains("key ID exists"),
        "{f:#}"
    );
    for field in ["account", "arn", "user_id"] {
        assert_eq!(v[field], Value::Null, "{field}: {f:#}");
    }
}

/// Asserts that every finding is a pair skipped with a reason starting with `prefix`.
fn assert_all_skipped(out: &Output, prefix: &str, count: usize) {
    assert_eq!(out.code, 1, "stderr: {}", out.stderr);
    let doc = out.json();
    let got = verdicts(&doc);
    assert_eq!(got.len(), count, "{doc:#}");
    for (path, v) in &got {
        assert_eq!(v["status"], "skipped", "{path}: {v}");
        let reason = v["reason"].as_str().unwrap_or("");
        assert!(reason.starts_with(prefix), "{path}: {v}");
        for field in ["account", "arn", "user_id"] {
            assert_eq!(v[field], Value::Null, "{path}: {field}: {v}");
        }
    }
    for f in doc["findings"].as_array().unwrap() {
        assert_eq!(f["rule_id"], PAIR, "{f:#}");
    }
}

/// Asserts a usage error: exit status 2 and no report on standard output.
fn assert_usage_error(out: &Output) {
    assert_eq!(
        out.code,
        2,
        "stdout: {}\nstderr: {}",
        out.stdout_str(),
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout_str());
}

/// Asserts that moto received no request since the last reset.
fn assert_no_request(moto: &mut Moto, case: &str) {
    let (total, by_key) = moto.counts();
    assert_eq!(total, 0, "[{case}] moto received requests: {by_key:?}");
}

/// A tree with one generated (never live) pair; returns it with the key's account.
fn generated_pair_tree(seed: u64) -> (Tree, String) {
    let key = key_id(seed);
    let account = expected_account(&key).unwrap();
    let tree = Tree::new();
    tree.write("creds.env", env_file(&key, &support::secret(seed), None));
    (tree, account)
}

// ---------------------------------------------------------------------------------------------
// Against moto

/// Every case that needs moto, in sequence, against one server stopped (by PID) when `moto`
/// drops, panics included.
#[test]
fn moto_cli() {
    let Some((mut moto, keys)) = moto_or_skip("verify-cli") else {
        return;
    };
    let endpoint = moto.get("endpoint").to_string();
    // The skip-account cases need both key IDs to encode moto's account.
    assert_eq!(account_id(&keys.akid).as_deref(), Some(ACCOUNT));
    assert_eq!(account_id(&keys.asia).as_deref(), Some(ACCOUNT));

    json_verdicts_with_the_endpoint_from_the_environment(&mut moto, &keys, &endpoint);
    the_flag_wins_over_ignored_environment_endpoints(&mut moto, &keys, &endpoint);
    only_verified_reports_only_live_findings(&mut moto, &keys, &endpoint);
    no_verify_skips_every_pair_without_a_request(&mut moto, &keys, &endpoint);
    a_scan_without_pairs_makes_no_request(&mut moto, &keys, &endpoint);
    skipped_accounts_are_never_sent(&mut moto, &keys, &endpoint);
    text_shows_the_live_finding_first(&mut moto, &keys, &endpoint);
    sarif_levels_and_properties(&mut moto, &keys, &endpoint);
}

/// The three pairs through `AWS_ENDPOINT_URL_STS` (as CI would set it): live, invalid, live,
/// with exact findings; the wrong secret is resubmitted once, the others sent once.
fn json_verdicts_with_the_endpoint_from_the_environment(
    moto: &mut Moto,
    keys: &MotoKeys,
    endpoint: &str,
) {
    let files = [WRONG, LIVE, SESSION];
    let tree = fixture(keys, &files);
    moto.reset();
    let out = keyhound(tree.path())
        .env("AWS_ENDPOINT_URL_STS", endpoint)
        .args(["scan", "--format", "json", "--show-secrets", "."])
        .run_within(LIMIT);
    let expected: Vec<Expected> = files.iter().map(|f| expected_finding(keys, f)).collect();
    let doc = support::verify("json verdicts", &out, &expected).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.code, 1);
    assert_wrong_secret(finding(&doc, WRONG));
    assert_live(finding(&doc, LIVE), USER_ARN);
    assert_live(finding(&doc, SESSION), ROLE_ARN);
    let (total, by_key) = moto.counts();
    assert_eq!(by_key.get(&keys.akid), Some(&3), "{by_key:?}");
    assert_eq!(by_key.get(&keys.asia), Some(&1), "{by_key:?}");
    assert_eq!(total, 4, "{by_key:?}");
}

/// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` with both endpoint variables pointing at a dead
/// port: `--sts-endpoint` still applies, and the pair is verified by moto.
fn the_flag_wins_over_ignored_environment_endpoints(
    moto: &mut Moto,
    keys: &MotoKeys,
    endpoint: &str,
) {
    let tree = fixture(keys, &[LIVE]);
    let dead = format!("http://127.0.0.1:{}", closed_port());
    moto.reset();
    let out = keyhound(tree.path())
        .env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
        .env("AWS_ENDPOINT_URL_STS", &dead)
        .env("AWS_ENDPOINT_URL", &dead)
        .args(["scan", "--format", "json", "--sts-endpoint", endpoint, "."])
        .run_within(LIMIT);
    assert_eq!(out.code, 1, "stderr: {}", out.stderr);
    let doc = out.json();
    assert_live(finding(&doc, LIVE), USER_ARN);
    assert_eq!(moto.counts().0, 1);
}

/// `--only-verified`: the two live pairs and nothing else; with nothing live, a clean run.
fn only_verified_reports_only_live_findings(moto: &mut Moto, keys: &MotoKeys, endpoint: &str) {
    let tree = fixture(keys, &[WRONG, LIVE, SESSION]);
    // A lone key ID is never verified, so never reported with --only-verified.
    tree.write("lone.env", format!("AWS_ACCESS_KEY_ID={}\n", keys.unknown));
    let args = ["--format", "json", "--show-secrets", "--only-verified"];
    let out = scan_at(tree.path(), endpoint, &args);
    let expected = [
        expected_finding(keys, LIVE),
        expected_finding(keys, SESSION),
    ];
    let doc = support::verify("only verified", &out, &expected).unwrap_or_else(|e| panic!("{e}"));
    assert_live(finding(&doc, LIVE), USER_ARN);
    assert_live(finding(&doc, SESSION), ROLE_ARN);
    assert_eq!(doc["summary"]["findings"], 2, "{doc:#}");

    let tree = fixture(keys, &[WRONG]);
    tree.write("lone.env", format!("AWS_ACCESS_KEY_ID={}\n", keys.unknown));
    moto.reset();
    let out = scan_at(tree.path(), endpoint, &args);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let doc = out.json();
    assert_eq!(doc["findings"], json!([]), "{doc:#}");
    assert_eq!(doc["summary"]["findings"], 0, "{doc:#}");
    // The wrong-secret pair was verified (and resubmitted once), then left out.
    assert_eq!(moto.counts().1.get(&keys.akid), Some(&2));
}

/// `--no-verify`: every pair skipped with that reason, and moto sees nothing.
fn no_verify_skips_every_pair_without_a_request(moto: &mut Moto, keys: &MotoKeys, endpoint: &str) {
    let tree = fixture(keys, &[WRONG, LIVE, SESSION]);
    moto.reset();
    let out = keyhound(tree.path())
        .env("AWS_ENDPOINT_URL_STS", endpoint)
        .args(["scan", "--format", "json", "--no-verify", "."])
        .run_within(LIMIT);
    assert_all_skipped(&out, "--no-verify", 3);
    for (path, v) in verdicts(&out.json()) {
        assert_eq!(v["reason"], "--no-verify", "{path}: {v}");
    }
    assert_no_request(moto, "--no-verify");
}

/// Findings without any pair (a lone key ID, a lone secret far from it): verification is on,
/// but nothing is sent.
fn a_scan_without_pairs_makes_no_request(moto: &mut Moto, keys: &MotoKeys, endpoint: &str) {
    let tree = Tree::new();
    tree.write("key.env", format!("AWS_ACCESS_KEY_ID={}\n", keys.akid));
    tree.write(
        "secret.env",
        format!("AWS_SECRET_ACCESS_KEY={}\n", keys.secret),
    );
    moto.reset();
    let out = scan_at(
        tree.path(),
        endpoint,
        &["--format", "json", "--show-secrets"],
    );
    let expected = [
        lone_key(&keys.akid).key_at(1).in_file("key.env"),
        lone_secret(&keys.secret).secret_at(1).in_file("secret.env"),
    ];
    let doc = support::verify("no pair", &out, &expected).unwrap_or_else(|e| panic!("{e}"));
    for f in doc["findings"].as_array().unwrap() {
        assert_ne!(f["rule_id"], PAIR, "{f:#}");
        assert_eq!(f["verification"], Value::Null, "{f:#}");
    }
    assert_eq!(finding(&doc, "key.env")["rule_id"], KEY);
    assert_no_request(moto, "no pair");
}

/// `--skip-aws-account` and `--skip-aws-account-file` with moto's account: skipped as canary,
/// nothing sent.
fn skipped_accounts_are_never_sent(moto: &mut Moto, keys: &MotoKeys, endpoint: &str) {
    let tree = fixture(keys, &[WRONG, LIVE, SESSION]);
    let json_args = ["--format", "json"];

    moto.reset();
    let mut args = json_args.to_vec();
    args.extend(["--skip-aws-account", ACCOUNT]);
    let out = scan_at(tree.path(), endpoint, &args);
    assert_all_skipped(&out, "canary", 3);
    for (path, v) in verdicts(&out.json()) {
        let reason = v["reason"].as_str().unwrap_or("");
        assert!(reason.contains(ACCOUNT), "{path}: {v}");
    }
    assert_no_request(moto, "--skip-aws-account");

    // The list lives outside the scanned tree.
    let config = Tree::new();
    let list = config.write(
        "canaries.txt",
        format!("# canary tokens we planted\n\n{ACCOUNT}  # moto\n"),
    );
    moto.reset();
    let mut args = json_args.to_vec();
    let list = list.to_str().unwrap();
    args.extend(["--skip-aws-account-file", list]);
    let out = scan_at(tree.path(), endpoint, &args);
    assert_all_skipped(&out, "canary", 3);
    assert_no_request(moto, "--skip-aws-account-file");
}

/// Text: the live finding comes before the invalid one although its path sorts later, with
/// the verdict and the ARN on its `verified` line.
fn text_shows_the_live_finding_first(moto: &mut Moto, keys: &MotoKeys, endpoint: &str) {
    let tree = fixture(keys, &[WRONG, LIVE]);
    moto.reset();
    let out = scan_at(tree.path(), endpoint, &["--color", "never"]);
    assert_eq!(out.code, 1, "stderr: {}", out.stderr);
    let text = out.stdout_str();
    assert!(!text.contains('\x1b'), "colour with --color never:\n{text}");
    let live = text
        .find(&format!("{LIVE}:1:19  critical"))
        .unwrap_or_else(|| panic!("no live finding:\n{text}"));
    let wrong = text
        .find(&format!("{WRONG}:1:19  critical"))
        .unwrap_or_else(|| panic!("no invalid finding:\n{text}"));
    assert!(live < wrong, "the live finding is not first:\n{text}");
    // The live finding's own block: from its header to the invalid one's.
    let live_block = &text[live..wrong];
    assert!(
        live_block.contains(&format!("verified    LIVE  {USER_ARN}")),
        "{text}"
    );
    assert!(text[wrong..].contains("verified    INVALID  "), "{text}");
    assert!(
        !text.contains(&keys.secret),
        "a secret was printed:\n{text}"
    );
    assert!(
        out.stderr.contains("verification: 1 live, 1 invalid"),
        "{}",
        out.stderr
    );
}

/// SARIF: the live results are errors, the rejected pair a warning, the verdict is in the
/// result properties, and no secret appears anywhere.
fn sarif_levels_and_properties(moto: &mut Moto, keys: &MotoKeys, endpoint: &str) {
    let tree = fixture(keys, &[WRONG, LIVE, SESSION]);
    moto.reset();
    let out = scan_at(tree.path(), endpoint, &["--format", "sarif"]);
    assert_eq!(out.code, 1, "stderr: {}", out.stderr);
    let text = out.stdout_str();
    for (what, s) in [
        ("secret", &keys.secret),
        ("wrong secret", &keys.wrong_secret),
        ("ASIA secret", &keys.asia_secret),
        ("session token", &keys.asia_token),
    ] {
        assert!(!text.contains(s.as_str()), "the {what} is in the SARIF");
    }
    let doc = out.json();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 3, "{doc:#}");
    let result = |uri: &str| -> &Value {
        let found: Vec<&Value> = results
            .iter()
            .filter(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == uri)
            .collect();
        assert_eq!(found.len(), 1, "results for {uri}: {doc:#}");
        found[0]
    };
    for (uri, level, status, arn) in [
        (LIVE, "error", "live", Some(USER_ARN)),
        (SESSION, "error", "live", Some(ROLE_ARN)),
        (WRONG, "warning", "invalid", None),
    ] {
        let r = result(uri);
        assert_eq!(r["ruleId"], PAIR, "{r:#}");
        assert_eq!(r["level"], level, "{uri}: {r:#}");
        let v = &r["properties"]["verification"];
        assert_eq!(v["status"], status, "{uri}: {r:#}");
        match arn {
            Some(arn) => {
                assert_eq!(v["arn"], arn, "{uri}: {r:#}");
                assert_eq!(v["account"], ACCOUNT, "{uri}: {r:#}");
            }
            None => assert_eq!(v["arn"], Value::Null, "{uri}: {r:#}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Without moto

/// A malformed `--skip-aws-account` is a usage error: exit 2, no report, nothing sent.
#[test]
fn malformed_skip_account_is_a_usage_error() {
    let server = SilentListener::start();
    let (tree, _) = generated_pair_tree(41);
    let out = scan_at(
        tree.path(),
        &server.url(),
        &[
            "--format",
            "json",
            "--verify-timeout",
            "1",
            "--skip-aws-account",
            "12x",
        ],
    );
    assert_usage_error(&out);
    assert!(out.stderr.contains("--skip-aws-account"), "{}", out.stderr);
    assert!(out.stderr.contains("\"12x\""), "{}", out.stderr);
    assert!(out.stderr.contains("12 digits"), "{}", out.stderr);
    assert_eq!(server.connections(), 0);
}

/// A bad line in the skip-account file is a usage error naming the file and the line.
#[test]
fn bad_line_in_skip_account_file_is_named() {
    let server = SilentListener::start();
    let (tree, account) = generated_pair_tree(42);
    let config = Tree::new();
    let list = config.write(
        "canaries.txt",
        format!("# planted canaries\n{account}\n12345678901x\n"),
    );
    let out = scan_at(
        tree.path(),
        &server.url(),
        &[
            "--format",
            "json",
            "--verify-timeout",
            "1",
            "--skip-aws-account-file",
            list.to_str().unwrap(),
        ],
    );
    assert_usage_error(&out);
    assert!(out.stderr.contains("canaries.txt"), "{}", out.stderr);
    assert!(out.stderr.contains("line 3"), "{}", out.stderr);
    assert!(out.stderr.contains("12345678901x"), "{}", out.stderr);
    assert_eq!(server.connections(), 0);
}

/// Plain http to a host that is not loopback is refused before anything is scanned or sent.
/// The pair's account is also skipped, so that even a build that accepted the endpoint could
/// send nothing off this machine (it would then exit 1, failing the test).
#[test]
fn plain_http_to_a_remote_host_is_refused() {
    let (tree, account) = generated_pair_tree(43);
    let out = scan_at(
        tree.path(),
        "http://example.com",
        &["--format", "json", "--skip-aws-account", &account],
    );
    assert_usage_error(&out);
    assert!(
        out.stderr.contains("loopback") || out.stderr.contains("https"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--sts-endpoint"), "{}", out.stderr);
}

/// `--only-verified` with verification unavailable: nothing is reported and the exit status
/// is 0, but the summary says what was withheld and why, and a warning names the reason.
#[test]
fn only_verified_says_what_it_withheld() {
    let (tree, _) = generated_pair_tree(45);
    tree.write("lone.env", format!("AWS_ACCESS_KEY_ID={}\n", key_id(46)));
    let dead = format!("http://127.0.0.1:{}", closed_port());
    let out = scan_at(
        tree.path(),
        &dead,
        &[
            "--format",
            "json",
            "--verify-timeout",
            "2",
            "--only-verified",
        ],
    );
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let doc = out.json();
    assert_eq!(doc["findings"], json!([]), "{doc:#}");
    assert_eq!(
        doc["summary"]["withheld"],
        json!({"unknown": 1, "skipped": 0, "invalid": 0, "not_key_pairs": 1}),
        "{doc:#}"
    );
    assert!(
        out.stderr.contains(
            "withheld 2 not confirmed live by --only-verified (1 unknown, 1 not a key pair)"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("could not be verified (connection refused")
            && out.stderr.contains("may be live"),
        "{}",
        out.stderr
    );
    // Without --only-verified: no such field.
    let out = scan_at(
        tree.path(),
        &dead,
        &["--format", "json", "--verify-timeout", "2"],
    );
    assert_eq!(out.json()["summary"]["withheld"], Value::Null);
}

/// A server that is down: the pair is unknown (connection refused), never invalid; exit 1.
#[test]
fn a_server_that_is_down_gives_unknown() {
    let (tree, _) = generated_pair_tree(44);
    let dead = format!("http://127.0.0.1:{}", closed_port());
    let out = scan_at(
        tree.path(),
        &dead,
        &["--format", "json", "--verify-timeout", "2"],
    );
    assert_eq!(out.code, 1, "stderr: {}", out.stderr);
    let doc = out.json();
    let f = finding(&doc, "creds.env");
    assert_eq!(f["rule_id"], PAIR, "{f:#}");
    let v = &f["verification"];
    assert_eq!(v["status"], "unknown", "{f:#}");
    assert!(
        v["reason"].as_str().unwrap_or("").contains("refused"),
        "{f:#}"
    );
    for field in ["account", "arn", "user_id"] {
        assert_eq!(v[field], Value::Null, "{field}: {f:#}");
    }
}
