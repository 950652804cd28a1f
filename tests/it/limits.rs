//! Inputs shaped to make a scanner's cost grow with the square of their size: thousands of
//! matches on one long line, more records on one line than the pairing table takes, thousands
//! of user rules. Each test checks the exact findings and where they are (columns count
//! characters, and these lines hold multi-byte ones); `bench/adversarial.sh` times the same
//! shapes at two sizes.

use serde_json::Value;

use crate::support::*;

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// One line made of `parts`, with the character column (1-based) where each marked part
/// starts: `(text, marked)`.
fn one_line(parts: impl IntoIterator<Item = (String, bool)>) -> (String, Vec<u64>) {
    let (mut line, mut columns, mut chars) = (String::new(), Vec::new(), 0u64);
    for (text, marked) in parts {
        if marked {
            columns.push(chars + 1);
        }
        chars += text.chars().count() as u64;
        line.push_str(&text);
    }
    line.push('\n');
    (line, columns)
}

/// Scans `text` as `file`; returns the findings, each as (rule, value, line, column,
/// end column) of its first location, sorted by column.
fn scan_line(file: &str, text: &str) -> Vec<(String, String, u64, u64, u64)> {
    let tree = Tree::new();
    tree.write(file, text);
    let out = json_scan(tree.path(), &["--no-builtin-rules"])
        .args(["--no-config", "."])
        .run();
    scan_found(&out)
}

fn scan_found(out: &Output) -> Vec<(String, String, u64, u64, u64)> {
    assert_no_panic(out);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let doc = out.json();
    let mut found: Vec<_> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let l = &f["locations"][0];
            let value = [&f["secret"], &f["aws"]["key_id"]]
                .iter()
                .find_map(|v| v.as_str())
                .unwrap_or_default()
                .to_string();
            let n = |v: &Value| v.as_u64().unwrap_or(0);
            let rule = f["rule_id"].as_str().unwrap_or_default().to_string();
            (
                rule,
                value,
                n(&l["line"]),
                n(&l["column"]),
                n(&l["end_column"]),
            )
        })
        .collect();
    found.sort_by_key(|f| f.3);
    found
}

#[test]
fn columns_of_thousands_of_key_ids_on_one_long_line() {
    // 4,000 key IDs on one 1.4 MB line, between words with two- and three-byte characters.
    let keys: Vec<String> = (0..4000).map(|i| key_id(1_000 + i)).collect();
    let filler = "données naïves über 日本語 façade ".repeat(8);
    let (line, columns) = one_line(
        keys.iter()
            .flat_map(|k| [(filler.clone(), false), (format!("\"{k}\""), true)]),
    );
    assert!(line.len() > 1_000_000 && line.matches('\n').count() == 1);
    let found = scan_line("ids.txt", &line);
    assert_eq!(found.len(), keys.len());
    for ((f, k), col) in found.iter().zip(&keys).zip(&columns) {
        // The key starts one character after the quote.
        let want = (KEY.to_string(), k.clone(), 1, col + 1, col + 21);
        assert_eq!(f, &want);
    }
}

#[test]
fn columns_of_thousands_of_database_urls_on_one_long_line() {
    // 6,000 postgres:// URLs with a password each on one line (only the built-in rules
    // find them; `scan_line` turns them off, so this one runs with them).
    let mut rng = Rng::new(2_000);
    // Sixteen distinct characters: above the rule's entropy floor.
    let mut password = || -> String {
        let mut chars = ALNUM.to_vec();
        (0..16)
            .map(|_| char::from(chars.swap_remove(rng.below(chars.len()))))
            .collect()
    };
    let passwords: Vec<String> = (0..6000).map(|_| password()).collect();
    let (line, columns) = one_line(passwords.iter().enumerate().flat_map(|(i, p)| {
        [
            (format!("é postgres://u{i}:"), false),
            (p.clone(), true),
            (format!("@h{i}.db.internal/app "), false),
        ]
    }));
    let tree = Tree::new();
    tree.write("urls.txt", &line);
    let found = scan_found(&json_scan(tree.path(), &["--no-config", "."]).run());
    assert_eq!(found.len(), passwords.len());
    for ((f, p), col) in found.iter().zip(&passwords).zip(&columns) {
        let want = (
            "postgres-url-password".to_string(),
            p.clone(),
            1,
            *col,
            col + 16,
        );
        assert_eq!(f, &want);
    }
}

#[test]
fn columns_of_thousands_of_secret_assignments_on_one_long_line() {
    // 5,000 `secret_key="..."` on one line: a generic name, so each secret is reported for
    // the AWS word next to it (looked for within a few lines and 4 KiB of each).
    let secrets: Vec<String> = (0..5000).map(|i| secret(3_000 + i)).collect();
    let (line, columns) = one_line(secrets.iter().flat_map(|s| {
        [
            ("région=\"aws-eu\" secret_key=\"".to_string(), false),
            (s.clone(), true),
            ("\" ".to_string(), false),
        ]
    }));
    let found = scan_line("settings.cfg", &line);
    assert_eq!(found.len(), secrets.len());
    for ((f, s), col) in found.iter().zip(&secrets).zip(&columns) {
        assert_eq!(f, &(SECRET.to_string(), s.clone(), 1, *col, col + 40));
    }
}

#[test]
fn thousands_of_records_on_one_minified_line_pair_each_key_with_its_secret() {
    // 5,000 records on one line: 25 million key x secret combinations, past the exact
    // table's limit. Each key pairs with the secret of its own record.
    let pairs: Vec<(String, String)> = (0..5000)
        .map(|i| (key_id(4_000 + i), secret(4_000 + i)))
        .collect();
    let records: Vec<String> = pairs
        .iter()
        .enumerate()
        .map(|(i, (k, s))| {
            format!(r#"{{"id":{i},"accessKeyId":"{k}","secretAccessKey":"{s}","on":true}}"#)
        })
        .collect();
    let tree = Tree::new();
    tree.write("records.min.json", format!("[{}]\n", records.join(",")));
    let out = json_scan(tree.path(), &["--no-builtin-rules", "--no-config", "."]).run();
    assert_eq!(out.code, 1, "{}", out.stderr);
    let doc = out.json();
    let mut got: Vec<(String, String)> = Vec::new();
    for f in doc["findings"].as_array().expect("findings") {
        assert_eq!(f["rule_id"], PAIR);
        let k = f["aws"]["key_id"].as_str().unwrap_or_default();
        got.push((
            k.to_string(),
            f["secret"].as_str().unwrap_or_default().into(),
        ));
    }
    got.sort();
    let mut want = pairs;
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn temporary_keys_on_one_line_each_take_their_own_session_token() {
    let creds: Vec<(String, String, String)> = (0..2000)
        .map(|i| {
            (
                asia_key_id(5_000 + i),
                secret(5_000 + i),
                session_token(5_000 + i),
            )
        })
        .collect();
    let text: String = creds
        .iter()
        .map(|(k, s, t)| {
            format!(r#"{{"AccessKeyId":"{k}","SecretAccessKey":"{s}","SessionToken":"{t}"}},"#)
        })
        .collect();
    let tree = Tree::new();
    tree.write("session.json", format!("{text}\n"));
    let out = json_scan(tree.path(), &["--no-builtin-rules", "--no-config", "."]).run();
    assert_eq!(out.code, 1, "{}", out.stderr);
    let mut got: Vec<(String, String, String)> = out.json()["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
            (
                s(&f["aws"]["key_id"]),
                s(&f["secret"]),
                s(&f["session_token"]),
            )
        })
        .collect();
    got.sort();
    let mut want = creds;
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn a_key_id_repeated_on_thousands_of_lines_is_one_finding_with_every_location() {
    let k = key_id(6_000);
    let text = format!("id: {k}\n").repeat(20_000);
    let tree = Tree::new();
    tree.write("ids.yaml", &text);
    let out = json_scan(tree.path(), &["--no-builtin-rules", "--no-config", "."]).run();
    assert_eq!(out.code, 1, "{}", out.stderr);
    let doc = out.json();
    let findings = doc["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1);
    let lines: Vec<u64> = findings[0]["locations"]
        .as_array()
        .expect("locations")
        .iter()
        .map(|l| l["line"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(lines, (1..=20_000).collect::<Vec<u64>>());
}

#[test]
fn interleaved_pairs_keep_their_order_past_the_pairing_tables_limit() {
    // `k1 k2 s1 s2` blocks: the nearest secret of k2 is s1, but the order says k1-s1 and
    // k2-s2. With more than a million key x secret combinations in a file, pairing used to
    // fall back to nearest first and crossed every block. Dense: 2,000 blocks on
    // consecutive lines (one group, matched in a band); sparse: 600 blocks 60 lines apart
    // (600 groups, each matched exactly).
    let block = |i: u64| {
        let (k1, k2, s1, s2) = (key_id(i), key_id(i + 1), secret(i), secret(i + 1));
        let line = format!(
            "primary_access_key_id = {k1}; backup_access_key_id = {k2}; \
             primary_secret_access_key = {s1}; backup_secret_access_key = {s2}\n"
        );
        (line, [(k1, s1), (k2, s2)])
    };
    for (name, blocks, gap) in [("dense", 2000, 0), ("sparse", 600, 60)] {
        let mut text = String::new();
        let mut want = Vec::new();
        for b in 0..blocks {
            let (line, pairs) = block(7_000 + 2 * b);
            text.push_str(&line);
            text.push_str(&"\n".repeat(gap));
            want.extend(pairs);
        }
        let tree = Tree::new();
        tree.write("keys.txt", &text);
        let out = json_scan(tree.path(), &["--no-builtin-rules", "--no-config", "."]).run();
        assert_eq!(out.code, 1, "{name}: {}", out.stderr);
        let got: Vec<(String, String)> = out.json()["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
                (s(&f["aws"]["key_id"]), s(&f["secret"]))
            })
            .collect();
        assert_eq!(got.len(), want.len(), "{name}");
        let want: std::collections::HashSet<_> = want.into_iter().collect();
        let wrong: Vec<_> = got.iter().filter(|g| !want.contains(*g)).collect();
        assert!(
            wrong.is_empty(),
            "{name}: {} wrong, e.g. {:?}",
            wrong.len(),
            wrong.first()
        );
    }
}

/// `count` user rules `bench-{i}` for tokens `bt{i}x_` + 20 lowercase letters and digits,
/// each with an example; the examples' tokens come from `token(i)`.
fn many_rules(count: usize, token: &dyn Fn(usize) -> String) -> String {
    (0..count)
        .map(|i| {
            format!(
                "[[rules]]\nid = \"bench-{i}\"\nname = \"Bench {i}\"\nseverity = \"low\"\n\
                 pattern = '''\\b(bt{i}x_[a-z0-9]{{20}})\\b'''\nkeywords = [\"bt{i}x_\"]\n\
                 examples = ['''t = {}''']\nnegative_examples = ['''nothing here''']\n\n",
                token(i)
            )
        })
        .collect()
}

#[test]
fn thousands_of_user_rules_load_and_report_only_their_own_tokens() {
    // Loading used to compare every keyword with every other, and the prefilter every needle
    // with every other (quadratic in the rules); `disable` looked each id up in every rule.
    let token = |i: usize| format!("bt{i}x_{}", hex(9_000 + i as u64, 20));
    let rules = many_rules(3000, &token);
    let disable: Vec<String> = (0..3000)
        .filter(|i| i % 2 == 1)
        .map(|i| format!("\"bench-{i}\""))
        .collect();
    let config = format!("disable = [{}]\n\n{rules}", disable.join(", "));
    let dir = Tree::new();
    dir.write("config/keyhound.toml", &config);
    let found: Vec<usize> = vec![3, 10, 11, 1500, 2999];
    let text: String = found.iter().map(|&i| format!("{}\n", token(i))).collect();
    dir.write("src/tokens.txt", &text);
    let out = json_scan(
        dir.path(),
        &[
            "--no-builtin-rules",
            "--config",
            "config/keyhound.toml",
            "src",
        ],
    )
    .run();
    assert_eq!(out.code, 1, "{}", out.stderr);
    let doc = out.json();
    let mut ids: Vec<String> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap_or_default().to_string())
        .collect();
    ids.sort();
    assert_eq!(ids, ["bench-10", "bench-1500"]);
    assert_eq!(doc["summary"]["suppressed"]["disabled_rules"], 3);
    // The same rules as a rule file: every example through the detector.
    dir.write("rules.toml", many_rules(1000, &token));
    let out = keyhound(dir.path())
        .args(["rules", "check", "rules.toml"])
        .run();
    assert_eq!(out.code, 0, "{}{}", out.stdout_str(), out.stderr);
    assert!(
        out.stdout_str().contains("1000 rules checked"),
        "{}",
        out.stdout_str()
    );
}

#[test]
fn a_configuration_of_thousands_of_rules_scanned_with_its_tree() {
    // The configuration holds every rule's keyword, so one blob triggers them all: each rule
    // searched the whole blob (rules x blob size). Rules whose matches must hold their keyword
    // now search only around its hits, with the same findings.
    let token = |i: usize| format!("bt{i}x_{}", hex(11_000 + i as u64, 20));
    let dir = Tree::new();
    dir.write(".keyhound.toml", many_rules(2000, &token));
    dir.write("src/tokens.txt", format!("{}\n{}\n", token(7), token(1999)));
    let out = json_scan(dir.path(), &["--no-builtin-rules", "."]).run();
    assert_eq!(out.code, 1, "{}", out.stderr);
    let doc = out.json();
    let mut found: Vec<(String, String)> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let path = f["locations"][0]["path"].as_str().unwrap_or_default();
            let value = f["secret"].as_str().unwrap_or_default();
            (
                path.rsplit('/').next().unwrap_or_default().to_string(),
                value.to_string(),
            )
        })
        .collect();
    found.sort();
    let mut want: Vec<(String, String)> = (0..2000)
        .map(|i| (".keyhound.toml".to_string(), token(i)))
        .chain([7, 1999].map(|i| ("tokens.txt".to_string(), token(i))))
        .collect();
    want.sort();
    assert_eq!(found, want);
}
