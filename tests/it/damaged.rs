//! Damaged repositories: truncated loose trees and commits, an invalid pack entry, commits
//! with unreadable timestamps, refs to missing objects, trees nested thousands deep. Each must
//! give an error that names the damaged object (exit 2) with every other finding reported and
//! placed in history, within a time limit (never a hang) and without a panic.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::support::*;

/// A scan of a small damaged repository that takes longer than this is a hang.
const LIMIT: Duration = Duration::from_secs(30);

/// A file holding one pair, and the pair as expected at `path` (lines 2 and 3).
fn pair_text(seed: u64, path: &str) -> (String, Expected) {
    let (k, s) = (key_id(seed), secret(seed));
    let text = format!("[default]\naws_access_key_id = {k}\naws_secret_access_key = {s}\n");
    (text, pair(&k, &s).key_at(2).secret_at(3).in_file(path))
}

/// A scan of `dir` (or with `extra` arguments), killed if it hangs.
fn scan(dir: &Path, extra: &[&str]) -> Output {
    json_scan(dir, extra).args(["."]).run_within(LIMIT)
}

/// The loose object file of `oid`, made writable.
fn loose(repo: &GitRepo, oid: &str) -> PathBuf {
    let p = repo
        .path()
        .join(".git/objects")
        .join(&oid[..2])
        .join(&oid[2..]);
    assert!(p.is_file(), "{} is not a loose object", p.display());
    let mut perms = std::fs::metadata(&p).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&p, perms).unwrap();
    p
}

/// Cuts a loose object to half its size.
fn truncate(repo: &GitRepo, oid: &str) {
    let p = loose(repo, oid);
    let bytes = std::fs::read(&p).unwrap();
    std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
}

/// Checks exit status 2, an error naming `object` on standard error, no panic, and the exact
/// findings; returns the report.
fn check_damaged(name: &str, out: &Output, object: &str, want: &[Expected]) -> Value {
    assert_no_panic(out);
    assert_eq!(out.code, 2, "[{name}] exit status; stderr:\n{}", out.stderr);
    assert!(
        out.stderr.contains("error") && out.stderr.contains(object),
        "[{name}] stderr does not name {object}:\n{}",
        out.stderr
    );
    let doc = out.json();
    let mut got = findings_of(&doc);
    got.sort();
    let mut expected: Vec<Expected> = want.to_vec();
    for e in &mut expected {
        e.locs.sort();
    }
    expected.sort();
    assert_eq!(got, expected, "[{name}] findings; stderr:\n{}", out.stderr);
    doc
}

/// The commit id on the first location of the finding whose key ID is `key`.
fn commit_of(doc: &Value, key: &str) -> Option<String> {
    doc["findings"]
        .as_array()?
        .iter()
        .find(|f| f["aws"]["key_id"] == key)?["locations"][0]["commit"]["id"]
        .as_str()
        .map(str::to_string)
}

/// Two commits: A adds `a.env` (a pair), B adds `sub/b.env` (another pair); both stay at
/// HEAD. Returns the repository, the pairs, and the commits.
fn two_commits() -> (GitRepo, Expected, Expected, Commit, Commit) {
    let repo = GitRepo::init();
    let (a_text, a) = pair_text(4101, "a.env");
    let (b_text, b) = pair_text(4102, "sub/b.env");
    repo.write("a.env", &a_text);
    repo.write("notes.txt", "nothing to see\n");
    let ca = repo.commit_all("A");
    repo.write("sub/b.env", &b_text);
    let cb = repo.commit_all("B");
    (repo, a, b, ca, cb)
}

/// The finding `e`, shown where a blob that history could not place is shown.
fn unplaced(mut e: Expected, repo: &GitRepo, file: &str) -> Expected {
    let blob = repo.git(&["hash-object", file]);
    for l in &mut e.locs {
        l.path = format!(".@blob:{blob}");
    }
    e
}

#[test]
fn truncated_loose_tree_is_an_error_and_the_scan_goes_on() {
    let (repo, a, b, ca, cb) = two_commits();
    let tree = repo.rev(&format!("{}^{{tree}}", cb.id));
    truncate(&repo, &tree);
    let out = scan(repo.path(), &["--no-history"]);
    assert_eq!(out.code, 1, "files alone are fine: {}", out.stderr);
    let out = scan(repo.path(), &[]);
    // B's tree cannot be read, so b.env's blob has no known place; it is still reported.
    let b_unplaced = unplaced(b.clone(), &repo, "sub/b.env");
    let doc = check_damaged("history", &out, &tree, &[a.clone(), b_unplaced]);
    assert_eq!(commit_of(&doc, &key_id(4101)), Some(ca.id.clone()));
    // --staged reads HEAD's tree: the error, and everything staged is still scanned.
    let (c_text, c) = pair_text(4103, "c.env");
    repo.write("c.env", &c_text);
    repo.git(&["add", "c.env"]);
    let out = scan(repo.path(), &["--staged"]);
    check_damaged("--staged", &out, &tree, &[a, b, c]);
    let out = scan(repo.path(), &["--since", &ca.id]);
    assert_no_panic(&out);
    assert_eq!(out.code, 2, "--since: {}", out.stderr);
    assert!(out.stderr.contains(&tree), "{}", out.stderr);
}

#[test]
fn staged_reads_no_tree_that_the_index_shows_unchanged() {
    // sub/ is unchanged in the index (its cache tree names HEAD's sub tree): --staged never
    // reads that tree, so a damaged copy of it costs nothing, and the staged key is found.
    let (repo, _, _, _, cb) = two_commits();
    let sub = repo.rev(&format!("{}:sub", cb.id));
    truncate(&repo, &sub);
    let (c_text, c) = pair_text(4105, "c.env");
    repo.write("c.env", &c_text);
    repo.git(&["add", "c.env"]);
    let out = scan(repo.path(), &["--staged"]);
    assert_no_panic(&out);
    assert_eq!(out.code, 1, "stderr:\n{}", out.stderr);
    let mut want = c;
    want.locs.sort();
    assert_eq!(findings_of(&out.json()), vec![want], "{}", out.stderr);
}

#[test]
fn truncated_loose_commit_is_an_error_and_the_scan_goes_on() {
    let (repo, a, b, _, cb) = two_commits();
    truncate(&repo, &cb.id);
    let out = scan(repo.path(), &[]);
    // HEAD's commit cannot be read: nothing can be placed, everything is still reported.
    let want = [
        unplaced(a.clone(), &repo, "a.env"),
        unplaced(b.clone(), &repo, "sub/b.env"),
    ];
    let doc = check_damaged("history", &out, &cb.id, &want);
    assert_eq!(commit_of(&doc, &key_id(4101)), None);
    // --staged compares the index with HEAD's tree: an error, and every entry is scanned.
    let (c_text, c) = pair_text(4104, "c.env");
    repo.write("c.env", &c_text);
    repo.git(&["add", "c.env"]);
    let out = scan(repo.path(), &["--staged"]);
    check_damaged("--staged", &out, &cb.id, &[a, b, c]);
}

#[test]
fn invalid_pack_entry_type_is_an_error_not_a_panic() {
    let (repo, a, b, ca, cb) = two_commits();
    repo.git(&["gc", "-q"]);
    let notes = repo.rev(&format!("{}:notes.txt", ca.id));
    let idx = std::fs::read_dir(repo.path().join(".git/objects/pack"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "idx"))
        .expect("a pack index");
    let listing = repo.git(&["verify-pack", "-v", idx.to_str().unwrap()]);
    let offset: u64 = listing
        .lines()
        .find(|l| l.starts_with(&notes))
        .and_then(|l| l.split_whitespace().nth(4))
        .and_then(|o| o.parse().ok())
        .expect("the blob's offset");
    let pack = idx.with_extension("pack");
    let mut perms = std::fs::metadata(&pack).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&pack, perms).unwrap();
    let mut bytes = std::fs::read(&pack).unwrap();
    let at = usize::try_from(offset).unwrap();
    bytes[at] &= 0x8f; // type 0: invalid
    std::fs::write(&pack, bytes).unwrap();
    let out = scan(repo.path(), &[]);
    let doc = check_damaged("history", &out, &notes, &[a, b]);
    assert_eq!(commit_of(&doc, &key_id(4101)), Some(ca.id));
    assert_eq!(commit_of(&doc, &key_id(4102)), Some(cb.id));
}

/// A commit with `when` as its author and committer time, on top of HEAD.
fn commit_with_time(repo: &GitRepo, when: &str) -> String {
    let tree = repo.rev("HEAD^{tree}");
    let parent = repo.rev("HEAD");
    let text = format!(
        "tree {tree}\nparent {parent}\nauthor T <t@x> {when} +0000\ncommitter T <t@x> {when} +0000\n\nbad time\n"
    );
    let path = repo.write(".git/bad-commit", text);
    let id = repo.git(&[
        "hash-object",
        "-t",
        "commit",
        "-w",
        "--literally",
        path.to_str().unwrap(),
    ]);
    repo.git(&["update-ref", "refs/heads/bad", &id]);
    id
}

#[test]
fn unreadable_commit_timestamps_are_errors_for_their_commit_only() {
    for when in ["99999999999999999999999", "+-x"] {
        let (repo, a, b, ca, cb) = two_commits();
        let bad = commit_with_time(&repo, when);
        let out = scan(repo.path(), &[]);
        let doc = check_damaged(when, &out, &bad, &[a.clone(), b.clone()]);
        // Every finding keeps its place in history.
        assert_eq!(commit_of(&doc, &key_id(4101)), Some(ca.id), "{when}");
        assert_eq!(commit_of(&doc, &key_id(4102)), Some(cb.id), "{when}");
    }
}

#[test]
fn ref_to_a_missing_object_is_an_error_and_the_scan_goes_on() {
    let (repo, a, b, ca, _) = two_commits();
    let ghost = "1234567890abcdef1234567890abcdef12345678";
    std::fs::write(
        repo.path().join(".git/refs/heads/ghost"),
        format!("{ghost}\n"),
    )
    .unwrap();
    let out = scan(repo.path(), &[]);
    let doc = check_damaged("ghost ref", &out, "refs/heads/ghost", &[a, b]);
    assert_eq!(commit_of(&doc, &key_id(4101)), Some(ca.id));
}

#[test]
fn trees_nested_thousands_deep_do_not_overflow_the_stack() {
    let repo = GitRepo::init();
    let depth = 5000;
    let dir = vec!["d"; depth].join("/");
    let (text, _) = pair_text(4105, "x");
    let script = format!(
        "commit refs/heads/main\ncommitter T <t@example.com> 1700000000 +0000\ndata 4\ndeep\nM 100644 inline {dir}/creds.env\ndata {}\n{text}\n",
        text.len()
    );
    let mut child = git_command(repo.path())
        .args(["fast-import", "--quiet"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success(), "git fast-import");
    let out = scan(repo.path(), &[]);
    assert_no_panic(&out);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let doc = out.json();
    let path = doc["findings"][0]["path"].as_str().unwrap_or_default();
    assert!(
        path.ends_with("/d/creds.env") && path.matches("d/").count() == depth,
        "the finding is placed at its deep path: {}...",
        &path[..path.len().min(80)]
    );
}

/// A pair committed, then the commit reset away: its blob and commit stay in the object
/// database, in no commit that any ref reaches.
fn reset_away() -> (GitRepo, Expected, Expected) {
    let repo = GitRepo::init();
    let (a_text, a) = pair_text(4201, "a.env");
    repo.write("a.env", &a_text);
    repo.commit_all("A");
    let (b_text, b) = pair_text(4202, "b.env");
    repo.write("b.env", &b_text);
    repo.commit_all("B: a pair, about to be reset away");
    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    repo.git(&["reflog", "expire", "--expire=now", "--all"]);
    (repo, a, b)
}

#[test]
fn unreachable_objects_are_counted_not_reported() {
    let (repo, a, b) = reset_away();
    let out = scan(repo.path(), &[]);
    assert_no_panic(&out);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let doc = out.json();
    let mut got = findings_of(&doc);
    got.sort();
    assert_eq!(got, vec![a.clone()], "only the reachable pair");
    assert_eq!(doc["summary"]["unreachable_not_reported"], 1);
    assert!(
        out.stderr
            .contains("1 finding in unreachable git objects not reported"),
        "{}",
        out.stderr
    );
    // Asked for, it is reported as an unreachable object, with how to remove it.
    let out = scan(repo.path(), &["--include-unreachable"]);
    let doc = out.json();
    let unreachable: Vec<&Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["aws"]["key_id"] == key_id(4202))
        .collect();
    assert_eq!(unreachable.len(), 1, "{}", out.stdout_str());
    let f = unreachable[0];
    assert_eq!(f["locations"][0]["unreachable"], true);
    assert!(f["present_at_head"].is_null());
    assert!(f["path"].as_str().unwrap_or_default().contains("@blob:"));
    let text = keyhound(repo.path())
        .args(["scan", "--no-verify", "--include-unreachable", "."])
        .run_within(LIMIT);
    assert!(
        text.stdout_str().contains("unreachable")
            && text.stdout_str().contains("git gc --prune=now"),
        "{}",
        text.stdout_str()
    );
    let _ = b;
}
