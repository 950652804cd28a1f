//! Report formats: golden files for text, JSON, JSONL and SARIF of one fixed fixture tree,
//! SARIF structure, redaction in every format, and output that does not depend on the number
//! of threads. The golden files are in `fixtures/golden/`; `UPDATE_GOLDEN=1 cargo test`
//! rewrites them. Also the exact findings of `fixtures/demo/`, the sample inputs a first scan
//! is pointed at.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::*;

/// Every secret value in the fixture tree, for the redaction checks.
struct Fixture {
    tree: Tree,
    secrets: Vec<String>,
}

/// The fixed tree every golden file is made from. Generated values are deterministic, so the
/// reports are too.
fn fixture() -> Fixture {
    let tree = Tree::new();
    let mut secrets = Vec::new();

    let (k1, s1) = (key_id(200), secret(200));
    let (k2, s2, t2) = (asia_key_id(201), secret(201), session_token(201));
    tree.write(
        ".aws/credentials",
        fill(
            "[default]\naws_access_key_id = {{K1}}\naws_secret_access_key = {{S1}}\n\n[temp]\naws_access_key_id = {{K2}}\naws_secret_access_key = {{S2}}\naws_session_token = {{T2}}\n",
            &[("K1", &k1), ("S1", &s1), ("K2", &k2), ("S2", &s2), ("T2", &t2)],
        ),
    );
    let (k3, s3) = (key_id(202), secret(202));
    tree.write(
        "app/storage.py",
        fill(
            "import boto3\n\ns3 = boto3.client(\"s3\", aws_access_key_id=\"{{K}}\", aws_secret_access_key=\"{{S}}\")\n",
            &[("K", &k3), ("S", &s3)],
        ),
    );
    let (k4, s4) = (key_id(203), secret_with_symbols(203));
    tree.write(
        "deploy/upload.sh",
        fill(
            "#!/bin/sh\ncurl \"https://uploads.acme.io/put?access_key={{K}}&secret_key={{S}}\"\n",
            &[("K", &k4), ("S", &url_encode(&s4))],
        ),
    );
    let (k5, s5) = (key_id(204), secret(204));
    tree.write(
        "k8s/secret.yaml",
        fill(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: aws\ndata:\n  AWS_ACCESS_KEY_ID: {{K}}\n  AWS_SECRET_ACCESS_KEY: {{S}}\n",
            &[("K", &b64(k5.as_bytes())), ("S", &b64(s5.as_bytes()))],
        ),
    );
    tree.write(
        "notes/old-key.txt",
        format!("The retired deploy key was {}.\n", old_key_id(205)),
    );
    let s6 = secret(206);
    tree.write("ci/.env", format!("AWS_SECRET_ACCESS_KEY={s6}\n"));
    let t7 = session_token(207);
    tree.write("ci/session.env", format!("AWS_SESSION_TOKEN={t7}\n"));
    tree.write(
        "docs/aws.md",
        "Example:\n\n    aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n    aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
    );
    tree.write("src/main.rs", "fn main() {\n    println!(\"hello\");\n}\n");
    // A binary with the pair as two C strings: placed by byte offset.
    let (k8, s8) = (key_id(208), secret(208));
    let mut elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0\x3e\0usage: sync\0".to_vec();
    for v in [&k8, &s8] {
        elf.extend_from_slice(v.as_bytes());
        elf.push(0);
    }
    elf.extend_from_slice(&[0x48, 0x89, 0xe5, 0xc3]);
    tree.write("bin/sync", elf);
    // A key pair inside a jar: the findings name the chain of members.
    let (k9, s9) = (key_id(209), secret(209));
    let props = format!("spring.application.name=orders\ncloud.aws.credentials.access-key={k9}\ncloud.aws.credentials.secret-key={s9}\n");
    tree.write(
        "dist/orders.jar",
        archive::zip(
            &[
                ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"),
                ("BOOT-INF/classes/application.properties", props.as_bytes()),
            ],
            true,
        ),
    );
    // A PKCS #12 keystore with a private key: one finding for the whole file.
    tree.write("ssl/server.p12", pkcs12(true, 210));
    secrets.extend([s1, s2, t2, s3, s4, s5, s6, t7, s8, s9]);
    Fixture { tree, secrets }
}

fn golden_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/golden")
        .join(name)
}

/// Compares `actual` with the golden file `name`, or rewrites it under `UPDATE_GOLDEN=1`.
fn golden(name: &str, actual: &[u8]) {
    let path = golden_path(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| !v.is_empty() && v != "0") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run `UPDATE_GOLDEN=1 cargo test` to create it",
            path.display()
        )
    });
    if expected != actual {
        let (e, a) = (
            String::from_utf8_lossy(&expected),
            String::from_utf8_lossy(actual),
        );
        let (mut el, mut al) = (e.lines(), a.lines());
        let mut n = 1;
        let diff = loop {
            match (el.next(), al.next()) {
                (Some(x), Some(y)) if x == y => n += 1,
                (x, y) => break format!("line {n}:\n  golden: {x:?}\n  actual: {y:?}"),
            }
        };
        panic!(
            "{name} differs from {} (UPDATE_GOLDEN=1 rewrites it)\n{diff}\n--- actual ---\n{a}",
            path.display()
        );
    }
}

/// `keyhound scan --no-verify ARGS .` in the fixture tree.
fn report(fx: &Fixture, args: &[&str]) -> Output {
    let out = keyhound(fx.tree.path())
        .args(["scan", "--no-verify", "--quiet"])
        .args(args)
        .args(["."])
        .run();
    assert_eq!(
        out.code, 1,
        "exit status with findings\nstderr:\n{}",
        out.stderr
    );
    out
}

fn assert_no_secret(what: &str, text: &str, secrets: &[String]) {
    for s in secrets {
        assert!(
            !text.contains(s.as_str()),
            "{what} holds the full secret {}…",
            &s[..6]
        );
        let enc = url_encode(s);
        assert!(
            !text.contains(enc.as_str()),
            "{what} holds the URL-encoded secret {}…",
            &s[..6]
        );
    }
}

#[test]
fn golden_text() {
    let fx = fixture();
    let out = report(&fx, &["--format", "text", "--color", "never"]);
    assert!(!out.stdout.contains(&0x1b), "escape bytes in --color never");
    assert_no_secret("text report", &out.stdout_str(), &fx.secrets);
    golden("report.txt", &out.stdout);
}

#[test]
fn golden_json() {
    let fx = fixture();
    let out = report(&fx, &["--format", "json"]);
    let doc = out.json();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["tool"]["name"], "keyhound");
    assert_eq!(
        doc["summary"]["findings"],
        doc["findings"].as_array().unwrap().len()
    );
    assert!(doc["summary"]["examples_ignored"].as_u64().unwrap() >= 1);
    for f in doc["findings"].as_array().unwrap() {
        assert_eq!(f["redacted"], true);
        for field in [
            "rule_id",
            "rule_name",
            "severity",
            "fingerprint",
            "locations",
        ] {
            assert!(!f[field].is_null(), "{field} missing in {f}");
        }
    }
    finding_invariants(&doc).unwrap();
    assert_no_secret("JSON report", &out.stdout_str(), &fx.secrets);
    golden("report.json", &out.stdout);
}

#[test]
fn golden_jsonl() {
    let fx = fixture();
    let out = report(&fx, &["--format", "jsonl"]);
    let text = out.stdout_str();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is one JSON object"))
        .collect();
    assert!(lines.len() >= 6, "{} findings", lines.len());
    // The same finding objects as the JSON document.
    let doc = report(&fx, &["--format", "json"]).json();
    assert_eq!(&lines, doc["findings"].as_array().unwrap());
    assert_no_secret("JSONL report", &text, &fx.secrets);
    golden("report.jsonl", &out.stdout);
}

#[test]
fn golden_sarif_and_structure() {
    let fx = fixture();
    let out = report(&fx, &["--format", "sarif"]);
    // Written for CI, which validates it with ../shared/tools/validate-sarif --github.
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    std::fs::create_dir_all(&target).unwrap();
    std::fs::write(target.join("keyhound-test.sarif"), &out.stdout).unwrap();

    let doc = out.json();
    assert_eq!(doc["version"], "2.1.0");
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "one run");
    let run = &runs[0];
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    // The AWS rules first, in a fixed order, then the rules of rules/*.toml sorted by id.
    assert_eq!(
        rules[..4],
        [PAIR, SECRET, TOKEN, KEY],
        "AWS rules first, in fixed order"
    );
    let rest: Vec<&str> = rules[4..].to_vec();
    let mut sorted = rest.clone();
    sorted.sort();
    assert_eq!(rest, sorted, "built-in rules sorted by id");
    assert!(rest.len() >= 60, "at least 60 built-in rules beyond AWS");
    assert_eq!(rules.iter().collect::<HashSet<_>>().len(), rules.len());
    let results = run["results"].as_array().unwrap();
    assert!(results.len() >= 6);
    let mut rule_ids = HashSet::new();
    for r in results {
        let rule = r["ruleId"].as_str().unwrap();
        rule_ids.insert(rule);
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index], rule, "ruleIndex of {rule}");
        let fp = r["partialFingerprints"]["keyhound/v1"].as_str();
        assert!(fp.is_some_and(|f| !f.is_empty()), "fingerprint in {r}");
        let mut locations: Vec<&Value> = r["locations"].as_array().unwrap().iter().collect();
        assert_eq!(locations.len(), 1);
        if rule == PAIR {
            let related = r["relatedLocations"].as_array();
            assert!(
                related.is_some_and(|v| !v.is_empty()),
                "pair without relatedLocations: {r}"
            );
            locations.extend(related.unwrap());
        }
        for l in locations {
            let p = &l["physicalLocation"];
            let uri = p["artifactLocation"]["uri"].as_str().unwrap();
            assert!(
                !uri.starts_with('/') && !uri.starts_with("file:") && !uri.starts_with("./"),
                "uri {uri} is not relative"
            );
            assert!(p["region"]["startLine"].as_u64().unwrap() >= 1);
            assert!(p["region"]["startColumn"].as_u64().unwrap_or(1) >= 1);
        }
    }
    for rule in [PAIR, SECRET, TOKEN, KEY] {
        assert!(rule_ids.contains(rule), "the fixture has a {rule} result");
    }
    assert_no_secret("SARIF report", &out.stdout_str(), &fx.secrets);
    // --show-secrets changes nothing in SARIF: it never holds secrets.
    let shown = report(&fx, &["--format", "sarif", "--show-secrets"]);
    assert_no_secret(
        "SARIF report with --show-secrets",
        &shown.stdout_str(),
        &fx.secrets,
    );
    golden("report.sarif", &out.stdout);
}

#[test]
fn show_secrets_reveals_them() {
    let fx = fixture();
    let json = report(&fx, &["--format", "json", "--show-secrets"]);
    let text = report(
        &fx,
        &["--format", "text", "--color", "never", "--show-secrets"],
    );
    let doc = json.json();
    for f in doc["findings"].as_array().unwrap() {
        assert_eq!(f["redacted"], false);
    }
    for s in &fx.secrets {
        assert!(
            json.stdout_str().contains(s.as_str()),
            "JSON with --show-secrets lacks {}…",
            &s[..6]
        );
        assert!(
            text.stdout_str().contains(s.as_str()),
            "text with --show-secrets lacks {}…",
            &s[..6]
        );
    }
}

#[test]
fn a_redacted_private_key_shows_its_type() {
    let tree = Tree::new();
    let mut rng = Rng::new(31);
    let body: Vec<String> = (0..6).map(|_| rng.string(B64, 64)).collect();
    let key = format!(
        "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----",
        body.join("\n")
    );
    tree.write("deploy/id_rsa", format!("{key}\n"));
    let out = keyhound(tree.path())
        .args(["scan", "--no-verify", "--color", "never", "."])
        .run();
    assert_eq!(out.code, 1, "{}", out.stderr);
    let text = out.stdout_str();
    assert!(
        text.contains("    secret      -----BEGIN RSA PRIVATE KEY----- (redacted)\n"),
        "{text}"
    );
    for line in &body {
        assert!(!text.contains(&line[..8]), "key material in {text}");
    }
    let out = keyhound(tree.path())
        .args(["scan", "--no-verify", "--format", "json", "."])
        .run();
    let doc = out.json();
    assert_eq!(
        doc["findings"][0]["secret"], "-----BEGIN RSA PRIVATE KEY----- (redacted)",
        "{doc:#}"
    );
}

#[test]
fn json_is_identical_with_one_and_eight_threads() {
    let tree = Tree::new();
    let mut expected_findings = 0;
    for i in 0..50u64 {
        let dir = format!("pkg{}/sub{}", i % 7, i % 3);
        let content = match i % 5 {
            0 => {
                expected_findings += 1;
                fill(
                    "aws_access_key_id = {{K}}\naws_secret_access_key = {{S}}\n",
                    &[("K", &key_id(500 + i)), ("S", &secret(500 + i))],
                )
            }
            1 => {
                expected_findings += 1;
                format!("# owner key {}\n", key_id(600 + i))
            }
            2 => {
                expected_findings += 1;
                format!("AWS_SECRET_ACCESS_KEY={}\n", secret(700 + i))
            }
            _ => format!("fn f{i}() -> u64 {{ {i} }}\n").repeat(40),
        };
        tree.write(&format!("{dir}/file{i:02}.txt"), content);
    }
    let run = |threads: &str| {
        keyhound(tree.path())
            .args([
                "scan",
                "--no-verify",
                "--quiet",
                "--format",
                "json",
                "-j",
                threads,
                ".",
            ])
            .run()
    };
    let one = run("1");
    let eight = run("8");
    assert_eq!(one.code, 1, "{}", one.stderr);
    assert_eq!(eight.code, 1, "{}", eight.stderr);
    assert_eq!(
        one.json()["findings"].as_array().unwrap().len(),
        expected_findings
    );
    assert!(
        one.stdout == eight.stdout,
        "JSON differs between -j1 and -j8\n-j1:\n{}\n-j8:\n{}",
        one.stdout_str(),
        eight.stdout_str()
    );
    for _ in 0..3 {
        assert!(run("8").stdout == one.stdout, "JSON differs between runs");
    }
}

/// `fixtures/demo/` (see its README) gives exactly its four findings: a key pair in each of a
/// settings file, a boto3 client and an IAM console download, and a GitHub token found by a
/// rule. Its credentials are the generator's for the seeds below, so none is written here.
#[test]
fn demo_fixtures_give_their_findings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |rel: &str| {
        let path = root.join(rel);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    let aws_pair = |seed: u64, rel: &str| {
        let (k, s) = (key_id(seed), secret(seed));
        let text = read(rel);
        pair(&k, &s)
            .key_at(line_of(&text, &k))
            .secret_at(line_of(&text, &s))
            .in_file(rel)
    };
    let token = github_pat(9107);
    let script = "fixtures/demo/scripts/release.sh";
    let expected = [
        aws_pair(9101, "fixtures/demo/config/app.ini"),
        aws_pair(9104, "fixtures/demo/app/storage.py"),
        aws_pair(9106, "fixtures/demo/credentials.csv"),
        rule_finding(GITHUB_PAT, &token)
            .secret_at(line_of(&read(script), &token))
            .in_file(script),
    ];
    // `--no-config`: the findings are the demo's own, whatever the repository's `.keyhound.toml`
    // says.
    let out = scan_json_at(root, &["--no-config"], "fixtures/demo");
    verify("fixtures/demo", &out, &expected).unwrap_or_else(|e| panic!("{e}"));
}
