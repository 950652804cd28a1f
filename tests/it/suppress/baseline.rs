//! The baseline: `--write-baseline` writes one sorted `FINGERPRINT RULE` line per finding
//! (no paths, no timestamps, after allowlists), and `--baseline` suppresses those findings
//! across rescans, moved files and new commits, in a plain directory and in a git repository;
//! a malformed or missing baseline is an error.

use std::path::Path;

use serde_json::Value;

use super::{lone_key_json, lone_secret_env, pair_env, rule_values, suppressed, DISABLE_KEY_IDS};
use crate::support::*;

/// The fingerprints of a report's findings, sorted and deduplicated.
fn fingerprints(doc: &Value) -> Vec<String> {
    let mut v: Vec<String> = doc["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| f["fingerprint"].as_str().unwrap_or("?").to_string())
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Checks a baseline file's form: comment lines, then one `FINGERPRINT RULE` line per finding,
/// sorted, with no timestamp; returns its fingerprints.
fn check_baseline_file(text: &str, doc: &Value) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let first_entry = lines
        .iter()
        .position(|l| !l.starts_with('#'))
        .unwrap_or(lines.len());
    assert!(
        first_entry >= 1,
        "the baseline starts with a comment:\n{text}"
    );
    let entries = &lines[first_entry..];
    assert!(
        entries
            .iter()
            .all(|l| !l.starts_with('#') && !l.trim().is_empty()),
        "comment lines come first, then one fingerprint per line:\n{text}"
    );
    let mut sorted = entries.to_vec();
    sorted.sort();
    assert_eq!(entries, &sorted[..], "the baseline is sorted:\n{text}");
    let mut fps = Vec::new();
    for e in entries {
        let mut parts = e.split_whitespace();
        let fp = parts.next().unwrap_or("");
        assert!(
            fp.len() == 32 && fp.bytes().all(|b| b.is_ascii_hexdigit()),
            "not a fingerprint: {e:?}"
        );
        let rule = parts.next().unwrap_or("");
        assert!(
            doc["findings"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|f| f["fingerprint"] == fp && f["rule_id"] == rule),
            "{e:?} is not a finding of the scan"
        );
        fps.push(fp.to_string());
    }
    for l in &lines {
        let digits_dash = l
            .as_bytes()
            .windows(5)
            .any(|w| w[..4].iter().all(u8::is_ascii_digit) && w[4] == b'-');
        assert!(
            !(l.contains("UTC") || (digits_dash && l.contains(':'))),
            "the baseline holds no timestamp: {l:?}"
        );
    }
    assert!(
        !text.contains(".env") && !text.contains(".json"),
        "the baseline holds no paths:\n{text}"
    );
    assert_eq!(fps, fingerprints(doc), "one line per finding");
    fps
}

/// The baseline round trip in `dir`, which holds `baseline_fixture`'s three findings. `extra`
/// is passed to every scan; `commit` records the work tree (a no-op outside git); `rename`
/// moves a file.
fn baseline_round_trip(
    dir: &Path,
    extra: &[&str],
    commit: &dyn Fn(&str),
    rename: &dyn Fn(&str, &str),
) {
    let args = |more: &[&str]| -> Vec<String> {
        extra
            .iter()
            .chain(more.iter())
            .map(|s| (*s).to_string())
            .collect()
    };
    let run = |more: &[&str]| {
        let a = args(more);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let out = scan_json(dir, &a);
        assert_no_panic(&out);
        out
    };

    // 1. Write the baseline: the findings are reported and written, and the scan that wrote
    // them succeeds (exit 0) and says so.
    let out = run(&["--write-baseline", "base.txt"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("wrote the baseline base.txt (3 fingerprints)"),
        "{}",
        out.stderr
    );
    let first = out.json();
    let n = fingerprints(&first).len();
    assert_eq!(n, 3, "pair, lone key and lone secret: {first:#}");
    let text = std::fs::read_to_string(dir.join("base.txt")).expect("baseline written");
    let fps = check_baseline_file(&text, &first);
    assert_eq!(fps.len(), n);

    // Writing it again gives the same bytes.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let out = run(&["--write-baseline", "base-again.txt"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let again = std::fs::read_to_string(dir.join("base-again.txt")).expect("baseline written");
    assert_eq!(text, again, "the baseline does not change between runs");
    std::fs::remove_file(dir.join("base-again.txt")).expect("remove");
    commit("add the baseline");

    // 2. Rescan with it: nothing new.
    let out = run(&["--baseline", "base.txt"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(rule_values(&doc), vec![], "{doc:#}");
    assert_eq!(suppressed(&doc)[3], n as u64, "{doc:#}");
    assert!(
        out.stderr.contains(&format!("{n} by the baseline")),
        "{}",
        out.stderr
    );

    // 3. Move the files holding baselined secrets: still nothing new.
    rename("config/prod.env", "deploy/production.env");
    rename("iam.json", "docs/iam-listing.json");
    commit("move settings");
    let out = run(&["--baseline", "base.txt"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(rule_values(&doc), vec![], "{doc:#}");
    assert!(suppressed(&doc)[3] >= n as u64, "{doc:#}");

    // 4. A new secret: only it is reported.
    let (k, s) = (key_id(699), secret(699));
    std::fs::write(dir.join("new.env"), pair_env(&k, &s)).expect("write");
    commit("new settings");
    let out = run(&["--baseline", "base.txt"]);
    let doc = verify(
        "baseline + new secret",
        &out,
        &[pair(&k, &s).key_at(2).secret_at(3).in_file("new.env")],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(suppressed(&doc)[3] >= n as u64, "{doc:#}");

    // 5. A malformed baseline is an error naming the line.
    std::fs::write(
        dir.join("bad-base.txt"),
        format!(
            "# keyhound baseline\n{} {PAIR}\nnot-a-fingerprint {KEY}\n",
            fps[0]
        ),
    )
    .expect("write");
    let out = run(&["--baseline", "bad-base.txt"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("bad-base.txt:3") && out.stderr.contains("not-a-fingerprint"),
        "{}",
        out.stderr
    );
    // A baseline that does not exist is an error too.
    let out = run(&["--baseline", "no-such-base.txt"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("no-such-base.txt"), "{}", out.stderr);
}

fn baseline_fixture(write: &dyn Fn(&str, &str)) {
    let (k, s) = (key_id(601), secret(601));
    write("config/prod.env", &pair_env(&k, &s));
    write("iam.json", &lone_key_json(&key_id(602)));
    write("ops/secret.env", &lone_secret_env(&secret(603)));
}

#[test]
fn baseline_round_trip_in_a_plain_directory() {
    let tree = Tree::new();
    baseline_fixture(&|rel, text| {
        tree.write(rel, text);
    });
    let dir = tree.path().to_path_buf();
    baseline_round_trip(tree.path(), &["--no-history"], &|_| {}, &|from, to| {
        let dest = dir.join(to);
        std::fs::create_dir_all(dest.parent().expect("parent")).expect("mkdir");
        std::fs::rename(dir.join(from), dest).expect("rename");
    });
}

#[test]
fn baseline_round_trip_in_a_git_repository() {
    let repo = GitRepo::init();
    baseline_fixture(&|rel, text| {
        repo.write(rel, text);
    });
    repo.commit_all("settings");
    baseline_round_trip(
        repo.path(),
        &[],
        &|msg| {
            repo.commit_all(msg);
        },
        &|from, to| {
            std::fs::create_dir_all(repo.path().join(to).parent().expect("parent")).expect("mkdir");
            repo.git(&["mv", from, to]);
        },
    );
}

#[test]
fn baseline_written_after_allowlists() {
    // A finding the configuration suppresses is not written to the baseline.
    let (k, s) = (key_id(611), secret(611));
    let tree = Tree::new();
    tree.write(".keyhound.toml", DISABLE_KEY_IDS);
    tree.write("prod.env", pair_env(&k, &s));
    tree.write("iam.json", lone_key_json(&key_id(612)));
    let out = scan_json(tree.path(), &["--write-baseline", "base.txt"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    let text = std::fs::read_to_string(tree.path().join("base.txt")).expect("baseline");
    let fps = check_baseline_file(&text, &doc);
    assert_eq!(fps.len(), 1, "{text}");
    assert!(!text.contains(KEY), "{text}");
}
