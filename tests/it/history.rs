//! Git history, `--staged` and `--since`, on repositories built at test time with a fixed
//! author and date: each case names the exact findings, the commit each one must be
//! attributed to (id, author, email, date), its path and whether it is still at HEAD.

use std::path::Path;

use serde_json::{json, Value};

use crate::support::*;

// ------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------

/// Where a finding must say it was seen.
#[derive(Debug, Clone)]
enum Src<'a> {
    /// In history: every location names this commit; `present_at_head` is this value.
    History(&'a Commit, bool),
    /// In a commit of a `--since` range: every location names this commit.
    Range(&'a Commit),
    /// In files or the index: no commit, `present_at_head` is null.
    Files,
}

/// A credentials file holding one pair, and the pair as expected at `path`.
fn pair_file(seed: u64, path: &str) -> (String, Expected) {
    let (k, s) = (key_id(seed), secret(seed));
    let text = fill(
        "# deploy user\n[default]\naws_access_key_id = {{K}}\naws_secret_access_key = {{S}}\nregion = eu-west-1\n",
        &[("K", &k), ("S", &s)],
    );
    let e = pair(&k, &s).key_at(3).secret_at(4).in_file(path);
    (text, e)
}

/// The compared form of one finding object.
fn compared(f: &Value) -> Expected {
    findings_of(&json!({ "findings": [f.clone()] })).remove(0)
}

fn sorted(mut e: Expected) -> Expected {
    e.locs.sort();
    e
}

/// Checks a JSON scan: exit status, the exact findings, and the source of each (commit on
/// every location and `present_at_head`). Returns the report.
fn check(name: &str, out: &Output, code: i32, want: &[(Expected, Src<'_>)]) -> Value {
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "[{name}] stdout is not JSON ({e}); exit {}\nstdout:\n{}\nstderr:\n{}",
            out.code,
            out.stdout_str(),
            out.stderr
        )
    });
    let mut problems = Vec::new();
    if out.code != code {
        problems.push(format!("exit status {} (expected {code})", out.code));
    }
    let got = findings_of(&doc);
    let mut expected: Vec<Expected> = want.iter().map(|(e, _)| sorted(e.clone())).collect();
    expected.sort();
    if got != expected {
        let list = |v: &[Expected]| -> String {
            if v.is_empty() {
                "    (none)\n".into()
            } else {
                v.iter().map(|e| format!("    {e}\n")).collect()
            }
        };
        problems.push(format!(
            "findings differ\n  expected:\n{}  actual:\n{}",
            list(&expected),
            list(&got)
        ));
    } else {
        for f in doc["findings"].as_array().into_iter().flatten() {
            let this = compared(f);
            let Some((_, src)) = want.iter().find(|(e, _)| sorted(e.clone()) == this) else {
                continue;
            };
            let (commit, at_head) = match src {
                Src::History(c, h) => (Some(c.json()), Some(json!(h))),
                Src::Range(c) => (Some(c.json()), None),
                Src::Files => (None, Some(Value::Null)),
            };
            for l in f["locations"].as_array().into_iter().flatten() {
                let got_commit = l.get("commit").cloned().unwrap_or(Value::Null);
                let want_commit = commit.clone().unwrap_or(Value::Null);
                if got_commit != want_commit {
                    problems.push(format!(
                        "{this}: location {}:{} has commit {got_commit}, expected {want_commit}",
                        l["path"], l["line"]
                    ));
                }
            }
            if let Some(h) = at_head {
                if f["present_at_head"] != h {
                    problems.push(format!(
                        "{this}: present_at_head is {}, expected {h}",
                        f["present_at_head"]
                    ));
                }
            }
        }
    }
    if let Err(e) = finding_invariants(&doc) {
        problems.push(format!("invariants:\n{e}"));
    }
    assert!(
        !out.stderr.contains("panicked"),
        "[{name}] keyhound panicked:\n{}",
        out.stderr
    );
    assert!(
        problems.is_empty(),
        "[{name}] {}\n  stderr: {}",
        problems.join("\n"),
        out.stderr.trim()
    );
    doc
}

fn summary(doc: &Value, field: &str) -> u64 {
    doc["summary"][field]
        .as_u64()
        .unwrap_or_else(|| panic!("summary.{field} missing in {}", doc["summary"]))
}

/// How long one scan of a small fixture repository may take before it counts as a hang.
const LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

/// `keyhound scan --no-verify --format json --show-secrets EXTRA... .` in `dir`, killed (and
/// the test failed) if it hangs.
fn scan_in(dir: &Path, extra: &[&str]) -> Output {
    json_scan(dir, extra).args(["."]).run_within(LIMIT)
}

/// `scan_in` at the top of the repository.
fn scan(repo: &GitRepo, extra: &[&str]) -> Output {
    scan_in(repo.path(), extra)
}

/// The number of distinct blobs in the repository's object database.
fn blob_count(repo: &GitRepo) -> u64 {
    repo.git(&[
        "cat-file",
        "--batch-all-objects",
        "--batch-check=%(objecttype)",
    ])
    .lines()
    .filter(|l| *l == "blob")
    .count() as u64
}

/// The loose object file of `oid`.
fn loose_object(repo: &GitRepo, oid: &str) -> std::path::PathBuf {
    let p = repo
        .path()
        .join(".git/objects")
        .join(&oid[..2])
        .join(&oid[2..]);
    assert!(p.is_file(), "{} is not a loose object file", p.display());
    p
}

// ------------------------------------------------------------------------------------------
// History: where a leak is and which commit introduced it
// ------------------------------------------------------------------------------------------

#[test]
fn key_added_then_deleted_is_attributed_to_the_adding_commit() {
    let repo = GitRepo::init();
    repo.write("README.md", "# service\n");
    repo.commit_all("A: readme");
    let (text, e) = pair_file(1001, "config/creds.env");
    repo.write("config/creds.env", &text);
    let b = repo.commit_all_as(&BOB, "B: add credentials");
    repo.git(&["rm", "-q", "config/creds.env"]);
    repo.commit_all("C: remove credentials");
    assert_eq!(b.id, repo.rev("HEAD~1"));
    assert_eq!(b.author, BOB.name);

    let out = scan(&repo, &[]);
    let doc = check(
        "deleted key",
        &out,
        1,
        &[(e.clone(), Src::History(&b, false))],
    );
    assert_eq!(
        summary(&doc, "blobs"),
        blob_count(&repo),
        "{}",
        doc["summary"]
    );

    let out = scan(&repo, &["--no-history"]);
    check("deleted key, --no-history", &out, 0, &[]);
}

#[test]
fn linked_worktree_scans_the_shared_history() {
    let repo = GitRepo::init();
    let (text, e) = pair_file(1031, "creds.env");
    repo.write("creds.env", &text);
    let a = repo.commit_all("A: add credentials");
    repo.git(&["rm", "-q", "creds.env"]);
    repo.commit_all("B: remove them");
    let outside = tempfile::tempdir().unwrap();
    let wt = outside.path().join("wt");
    repo.git(&["worktree", "add", "-q", wt.to_str().unwrap()]);
    assert!(
        wt.join(".git").is_file(),
        "a linked worktree's .git is a file"
    );
    // The worktree's objects are in the main repository's common directory.
    let out = scan_in(&wt, &[]);
    let doc = check("linked worktree", &out, 1, &[(e, Src::History(&a, false))]);
    assert_eq!(
        summary(&doc, "blobs"),
        blob_count(&repo),
        "{}",
        doc["summary"]
    );
}

#[test]
fn history_provenance_shows_in_text_and_sarif() {
    let repo = GitRepo::init();
    repo.write("README.md", "# service\n");
    repo.commit_all("A");
    let (text, _) = pair_file(1002, "creds.env");
    repo.write("creds.env", &text);
    let b = repo.commit_all_as(&BOB, "B");
    repo.git(&["rm", "-q", "creds.env"]);
    repo.commit_all("C");

    let out = keyhound(repo.path())
        .args(["scan", "--no-verify", "--color", "never", "."])
        .run_within(LIMIT);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let stdout = out.stdout_str();
    for needle in [
        &b.id[..10],
        b.date.as_str(),
        BOB.name,
        BOB.email,
        "creds.env",
    ] {
        assert!(
            stdout.contains(needle),
            "text report lacks {needle:?}:\n{stdout}"
        );
    }
    // The commit is named once, on its own line, not again on every location.
    assert_eq!(stdout.matches(&b.id[..10]).count(), 1, "{stdout}");
    assert!(
        stdout.contains(&format!(
            "    commit      {} {} <{}> {}",
            b.id, BOB.name, BOB.email, b.date
        )),
        "{stdout}"
    );

    let out = keyhound(repo.path())
        .args(["scan", "--no-verify", "--format", "sarif", "."])
        .run_within(LIMIT);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let sarif = out.json();
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 1, "{sarif}");
    let props = &results[0]["properties"];
    assert_eq!(props["commit"], b.json(), "{props}");
    assert_eq!(props["present_at_head"], json!(false), "{props}");
}

#[test]
fn key_only_on_a_side_branch() {
    let repo = GitRepo::init();
    repo.write("README.md", "# service\n");
    repo.commit_all("A");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    let (text, e) = pair_file(1003, "feature.env");
    repo.write("feature.env", &text);
    let f = repo.commit_all_as(&BOB, "F: feature credentials");
    repo.git(&["checkout", "-q", "main"]);
    assert!(!repo.path().join("feature.env").exists());

    let out = scan(&repo, &[]);
    check("side branch", &out, 1, &[(e, Src::History(&f, false))]);
}

#[test]
fn key_only_in_a_lightweight_tag() {
    let repo = GitRepo::init();
    repo.write("README.md", "# service\n");
    repo.commit_all("A");
    repo.git(&["checkout", "-q", "-b", "tmp"]);
    let (text, e) = pair_file(1004, "tagged.env");
    repo.write("tagged.env", &text);
    let t = repo.commit_all_as(&BOB, "T: tagged credentials");
    repo.git(&["tag", "light"]);
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["branch", "-q", "-D", "tmp"]);
    assert_eq!(repo.rev("light^{commit}"), t.id);

    let out = scan(&repo, &[]);
    check("lightweight tag", &out, 1, &[(e, Src::History(&t, false))]);
}

#[test]
fn key_only_in_an_annotated_tag() {
    let repo = GitRepo::init();
    repo.write("README.md", "# service\n");
    repo.commit_all("A");
    repo.git(&["checkout", "-q", "-b", "tmp"]);
    let (text, e) = pair_file(1005, "release/creds.env");
    repo.write("release/creds.env", &text);
    let t = repo.commit_all_as(&BOB, "T: release credentials");
    repo.git_as(&ALICE, &["tag", "-a", "v1.0", "-m", "release 1.0"]);
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["branch", "-q", "-D", "tmp"]);
    assert_ne!(repo.rev("v1.0"), t.id, "v1.0 is not an annotated tag");
    assert_eq!(repo.rev("v1.0^{commit}"), t.id);

    let out = scan(&repo, &[]);
    check("annotated tag", &out, 1, &[(e, Src::History(&t, false))]);
}

#[test]
fn key_only_in_the_stash() {
    let repo = GitRepo::init();
    repo.write("app.env", "REGION=eu-west-1\n");
    repo.commit_all("A");
    let (text, e) = pair_file(1006, "app.env");
    repo.write("app.env", &text);
    repo.git_as(&BOB, &["stash", "push", "-q", "-m", "wip"]);
    assert_eq!(
        repo.git(&["status", "--porcelain"]),
        "",
        "work tree not clean"
    );
    assert_eq!(
        std::fs::read_to_string(repo.path().join("app.env")).unwrap(),
        "REGION=eu-west-1\n"
    );
    let stash = repo.commit_info("stash@{0}");

    let out = scan(&repo, &[]);
    check("stash", &out, 1, &[(e, Src::History(&stash, false))]);
}

#[test]
fn same_blob_in_many_commits_and_paths_is_one_finding_at_the_earliest_commit() {
    let repo = GitRepo::init();
    repo.write("README.md", "# service\n");
    repo.commit_all("A");
    let (text, e) = pair_file(1007, "a/creds.env");
    repo.write("a/creds.env", &text);
    let first = repo.commit_all_as(&BOB, "B: credentials");
    repo.write("b/creds.env", &text);
    repo.write("README.md", "# service\n\nv2\n");
    repo.commit_all("C: copy");
    repo.write("c/copy.env", &text);
    repo.commit_all("D: another copy");
    repo.write("README.md", "# service\n\nv3\n");
    repo.commit_all("E: readme");

    let out = scan(&repo, &[]);
    let doc = check(
        "same blob everywhere",
        &out,
        1,
        &[(e, Src::History(&first, true))],
    );
    // Every work-tree file holds a blob history already read.
    assert_eq!(
        summary(&doc, "unchanged_files_skipped"),
        4,
        "{}",
        doc["summary"]
    );
    assert_eq!(summary(&doc, "files"), 0, "{}", doc["summary"]);
    assert_eq!(
        summary(&doc, "blobs"),
        blob_count(&repo),
        "{}",
        doc["summary"]
    );
}

#[test]
fn merge_commit_with_the_pair_on_one_side_is_one_finding() {
    let repo = GitRepo::init();
    let base: String = (1..=8).map(|i| format!("setting_{i} = {i}\n")).collect();
    repo.write("config.env", &base);
    let a = repo.commit_all("A: base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    let (k, s) = (key_id(1008), secret(1008));
    let feature_text = format!("{base}aws_access_key_id = {k}\naws_secret_access_key = {s}\n");
    repo.write("config.env", &feature_text);
    let f = repo.commit_all_as(&BOB, "F: credentials at the bottom");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("config.env", format!("# main\n# header\n{base}"));
    repo.commit_all("M: header at the top");
    repo.git_as(
        &ALICE,
        &["merge", "-q", "--no-ff", "-m", "merge feature", "feature"],
    );
    assert_eq!(repo.git(&["rev-list", "--count", "--merges", "HEAD"]), "1");
    let merged = std::fs::read_to_string(repo.path().join("config.env")).unwrap();
    assert_eq!(line_of(&merged, &k), 11, "merge did not combine both sides");
    repo.git(&["branch", "-q", "-D", "feature"]);

    // Attributed to F, with F's lines (9 and 10), not the merge's (11 and 12).
    let e = pair(&k, &s).key_at(9).secret_at(10).in_file("config.env");
    let out = scan(&repo, &[]);
    check("merge", &out, 1, &[(e.clone(), Src::History(&f, true))]);

    let out = scan(&repo, &["--since", &a.id]);
    check("merge, --since A", &out, 1, &[(e, Src::Range(&f))]);
}

#[test]
fn renamed_file_is_attributed_to_the_adding_commit() {
    let repo = GitRepo::init();
    let (text, e) = pair_file(1009, "old/creds.env");
    repo.write("old/creds.env", &text);
    let added = repo.commit_all_as(&BOB, "A: credentials");
    repo.git(&["mv", "old", "new"]);
    repo.commit_all("B: rename");
    assert!(repo.path().join("new/creds.env").is_file());

    let out = scan(&repo, &[]);
    check("renamed", &out, 1, &[(e, Src::History(&added, true))]);
}

#[test]
fn pair_split_across_two_files_is_not_paired() {
    let repo = GitRepo::init();
    let (k1, s1) = (key_id(1010), secret(1010));
    let (k2, s2) = (key_id(1011), secret(1011));
    repo.write("key.env", format!("# id\naws_access_key_id = {k1}\n"));
    repo.write("secret.env", format!("aws_secret_access_key = {s1}\n"));
    // Without AWS context the secret alone is not a finding; the key ID alone is.
    repo.write("k2.txt", format!("deploy id: {k2}\n"));
    repo.write("s2.txt", format!("\n\n{s2}\n"));
    let c = repo.commit_all_as(&BOB, "A: split");

    let out = scan(&repo, &[]);
    check(
        "split across files",
        &out,
        1,
        &[
            (
                lone_key(&k1).key_at(2).in_file("key.env"),
                Src::History(&c, true),
            ),
            (
                lone_secret(&s1).secret_at(1).in_file("secret.env"),
                Src::History(&c, true),
            ),
            (
                lone_key(&k2).key_at(1).in_file("k2.txt"),
                Src::History(&c, true),
            ),
        ],
    );
}

#[test]
fn pair_across_two_commits_of_one_file_is_paired_in_the_later_blob() {
    let repo = GitRepo::init();
    let (k, s) = (key_id(1012), secret(1012));
    let first_text = format!("[default]\naws_access_key_id = {k}\n");
    repo.write("credentials", &first_text);
    let c1 = repo.commit_all("A: key id");
    repo.write(
        "credentials",
        format!("{first_text}aws_secret_access_key = {s}\n"),
    );
    let c2 = repo.commit_all_as(&BOB, "B: secret");

    let out = scan(&repo, &[]);
    check(
        "pair across commits",
        &out,
        1,
        &[
            (
                pair(&k, &s).key_at(2).secret_at(3).in_file("credentials"),
                Src::History(&c2, true),
            ),
            // The key ID alone was leaked one commit earlier, and it is still at HEAD.
            (
                lone_key(&k).key_at(2).in_file("credentials"),
                Src::History(&c1, true),
            ),
        ],
    );
}

#[test]
fn binary_blob_is_skipped_and_counted_with_no_binary() {
    let repo = GitRepo::init();
    let (text, _) = pair_file(1013, "blob.bin");
    let mut bin = vec![0u8, 1, 2, 0, 0xff];
    bin.extend_from_slice(text.as_bytes());
    bin.extend_from_slice(&[0, 0, 0]);
    repo.write("blob.bin", &bin);
    repo.write("README.md", "# service\n");
    repo.commit_all("A: binary");
    repo.git(&["rm", "-q", "blob.bin"]);
    repo.commit_all("B: remove binary");

    let out = scan(&repo, &["--no-binary"]);
    let doc = check("binary blob", &out, 0, &[]);
    assert_eq!(summary(&doc, "skipped_binary"), 1, "{}", doc["summary"]);
    assert_eq!(summary(&doc, "errors"), 0, "{}", doc["summary"]);
}

#[test]
fn blob_over_the_size_limit_is_skipped_and_counted() {
    let repo = GitRepo::init();
    let (big_text, _) = pair_file(1014, "big.env");
    let padding: String = (0..200).map(|i| format!("# padding {i:04}\n")).collect();
    let big = format!("{big_text}{padding}");
    assert!(big.len() > 2048);
    repo.write("big.env", &big);
    let (small_text, e) = pair_file(1015, "small.env");
    repo.write("small.env", &small_text);
    let c = repo.commit_all("A: big and small");
    repo.git(&["rm", "-q", "big.env"]);
    repo.commit_all("B: remove big");

    let out = scan(&repo, &["--max-file-size", "1K"]);
    let doc = check("large blob", &out, 1, &[(e, Src::History(&c, true))]);
    assert_eq!(summary(&doc, "skipped_large"), 1, "{}", doc["summary"]);
}

#[test]
fn empty_repository_is_clean_and_not_an_error() {
    let repo = GitRepo::init();
    let out = scan(&repo, &[]);
    let doc = check("empty repository", &out, 0, &[]);
    assert_eq!(summary(&doc, "errors"), 0, "{}", doc["summary"]);
    assert!(!out.stderr.contains("error"), "{}", out.stderr);

    // An untracked file in it is still scanned, as a file.
    let (text, e) = pair_file(1016, "new.env");
    repo.write("new.env", &text);
    let out = scan(&repo, &[]);
    check("empty repository, new file", &out, 1, &[(e, Src::Files)]);
}

#[test]
fn a_bare_repository_is_scanned_as_history_not_as_files() {
    let repo = GitRepo::init();
    let (text, _) = pair_file(1020, "creds.env");
    repo.write("creds.env", &text);
    let c = repo.commit_all_as(&BOB, "A: credentials");
    let parent = Tree::new();
    let url = format!("file://{}", repo.path().display());
    git_in(parent.path(), &["clone", "-q", "--bare", &url, "bare.git"]);
    // A git internal that happens to hold a pair: hooks, config and packs are not files of
    // the project.
    let (internal, _) = pair_file(1021, "description");
    std::fs::write(parent.path().join("bare.git/description"), internal).unwrap();

    let (_, e) = pair_file(1020, "bare.git/creds.env");
    let out = json_scan(parent.path(), &[])
        .args(["bare.git"])
        .run_within(LIMIT);
    let doc = check("bare", &out, 1, &[(e, Src::History(&c, true))]);
    assert_eq!(summary(&doc, "files"), 0, "{}", doc["summary"]);
    assert!(summary(&doc, "blobs") >= 1, "{}", doc["summary"]);

    // With --no-history nothing of it is scanned, and the summary says why.
    let out = keyhound(parent.path())
        .args(["scan", "--no-verify", "--no-history", "bare.git"])
        .run_within(LIMIT);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("bare.git not scanned: a git directory"),
        "{}",
        out.stderr
    );
}

#[test]
fn repository_whose_head_is_unborn_still_has_its_history_scanned() {
    let repo = GitRepo::init();
    let (text, e) = pair_file(1017, "creds.env");
    repo.write("creds.env", &text);
    let c = repo.commit_all_as(&BOB, "A: credentials");
    repo.git(&["rm", "-q", "creds.env"]);
    repo.commit_all("B: remove");
    repo.git(&["symbolic-ref", "HEAD", "refs/heads/unborn"]);
    let probe = git_command(repo.path())
        .args(["rev-parse", "--verify", "--quiet", "HEAD"])
        .output()
        .unwrap();
    assert!(!probe.status.success(), "HEAD still resolves");

    let out = scan(&repo, &[]);
    check("unborn HEAD", &out, 1, &[(e, Src::History(&c, false))]);
}

/// A repository with two leaked pairs in separate loose blobs, both deleted at HEAD; returns
/// the repository, the pair whose blob stays intact, its commit, and the other blob's id.
fn two_loose_blobs() -> (GitRepo, Expected, Commit, String) {
    let repo = GitRepo::init();
    let (a_text, a) = pair_file(1018, "a.env");
    let (b_text, _) = pair_file(1019, "b.env");
    repo.write("a.env", &a_text);
    repo.write("b.env", &b_text);
    let c = repo.commit_all("A: two files");
    repo.git(&["rm", "-q", "a.env", "b.env"]);
    repo.write("README.md", "# gone\n");
    repo.commit_all("B: remove");
    let b_blob = repo.rev(&format!("{}:b.env", c.id));
    assert!(
        !repo
            .path()
            .join(".git/objects/pack")
            .read_dir()
            .unwrap()
            .any(|_| true),
        "objects are packed"
    );
    (repo, a, c, b_blob)
}

fn assert_reports_object_error(name: &str, out: &Output, doc: &Value, blob: &str) {
    assert!(summary(doc, "errors") >= 1, "[{name}] {}", doc["summary"]);
    assert!(
        out.stderr.contains("error") && (out.stderr.contains(blob) || out.stderr.contains("b.env")),
        "[{name}] stderr names neither the blob {blob} nor b.env:\n{}",
        out.stderr
    );
}

#[test]
fn corrupt_object_is_an_error_and_the_scan_goes_on() {
    let (repo, a, c, b_blob) = two_loose_blobs();
    let file = loose_object(&repo, &b_blob);
    let bytes = std::fs::read(&file).unwrap();
    let mut perms = std::fs::metadata(&file).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&file, perms).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();

    let out = scan(&repo, &[]);
    let doc = check("corrupt object", &out, 2, &[(a, Src::History(&c, false))]);
    assert_reports_object_error("corrupt object", &out, &doc, &b_blob);
}

#[test]
fn missing_object_is_an_error_and_the_scan_goes_on() {
    let (repo, a, c, b_blob) = two_loose_blobs();
    std::fs::remove_file(loose_object(&repo, &b_blob)).unwrap();

    let out = scan(&repo, &[]);
    let doc = check("missing object", &out, 2, &[(a, Src::History(&c, false))]);
    assert_reports_object_error("missing object", &out, &doc, &b_blob);
}

// ------------------------------------------------------------------------------------------
// The work tree next to history
// ------------------------------------------------------------------------------------------

#[test]
fn unchanged_work_tree_file_is_reported_once_from_history() {
    let repo = GitRepo::init();
    let (text, committed) = pair_file(1020, "creds.env");
    repo.write("creds.env", &text);
    repo.write("notes.env", "REGION=eu-west-1\n");
    let c = repo.commit_all_as(&BOB, "A");
    // A new untracked file and a modified tracked file, both with keys.
    let (new_text, untracked) = pair_file(1021, "new.env");
    repo.write("new.env", &new_text);
    let (mod_text, modified) = pair_file(1022, "notes.env");
    repo.write("notes.env", &mod_text);

    let out = scan(&repo, &[]);
    let doc = check(
        "work tree and history",
        &out,
        1,
        &[
            (committed.clone(), Src::History(&c, true)),
            (untracked.clone(), Src::Files),
            (modified.clone(), Src::Files),
        ],
    );
    assert_eq!(
        summary(&doc, "unchanged_files_skipped"),
        1,
        "{}",
        doc["summary"]
    );
    assert_eq!(summary(&doc, "files"), 2, "{}", doc["summary"]);

    let out = scan(&repo, &["--no-history"]);
    let doc = check(
        "work tree, --no-history",
        &out,
        1,
        &[
            (committed, Src::Files),
            (untracked, Src::Files),
            (modified, Src::Files),
        ],
    );
    assert_eq!(summary(&doc, "blobs"), 0, "{}", doc["summary"]);
}

// ------------------------------------------------------------------------------------------
// --staged
// ------------------------------------------------------------------------------------------

#[test]
fn staged_reads_the_index_not_the_work_tree() {
    // Staged with a key, then the work-tree copy cleaned: the commit would still leak it.
    let repo = GitRepo::init();
    repo.write("app.env", "REGION=eu-west-1\n");
    repo.commit_all("A");
    let (k, s) = (key_id(1023), secret(1023));
    repo.write(
        "app.env",
        format!("REGION=eu-west-1\naws_access_key_id = {k}\naws_secret_access_key = {s}\n"),
    );
    repo.git(&["add", "app.env"]);
    repo.write("app.env", "REGION=eu-west-1\n# moved to the vault\n");
    let out = scan(&repo, &["--staged"]);
    let doc = check(
        "partially staged, key staged",
        &out,
        1,
        &[(
            pair(&k, &s).key_at(2).secret_at(3).in_file("app.env"),
            Src::Files,
        )],
    );
    assert_eq!(summary(&doc, "files"), 0, "{}", doc["summary"]);

    // The reverse: a clean change staged, the key only in the work tree (and untracked).
    let repo = GitRepo::init();
    repo.write("app.env", "REGION=eu-west-1\n");
    repo.commit_all("A");
    repo.write("app.env", "REGION=eu-west-1\nDEBUG=0\n");
    repo.git(&["add", "app.env"]);
    let (text, _) = pair_file(1024, "app.env");
    repo.write("app.env", format!("{text}DEBUG=0\n"));
    let (untracked, _) = pair_file(1025, "untracked.env");
    repo.write("untracked.env", &untracked);
    let out = scan(&repo, &["--staged"]);
    check("partially staged, key unstaged", &out, 0, &[]);
}

#[test]
fn staged_deletion_and_unchanged_files_are_not_reported() {
    let repo = GitRepo::init();
    let (a, _) = pair_file(1026, "creds.env");
    let (b, _) = pair_file(1027, "kept.env");
    repo.write("creds.env", &a);
    repo.write("kept.env", &b);
    repo.write("README.md", "# service\n");
    repo.commit_all("A");
    repo.git(&["rm", "-q", "creds.env"]);
    repo.write("README.md", "# service\n\nclean change\n");
    repo.git(&["add", "README.md"]);
    let out = scan(&repo, &["--staged"]);
    check("staged deletion", &out, 0, &[]);
}

#[test]
fn staged_where_the_cache_tree_differs_from_head_and_in_index_version_4() {
    // `git reset --soft` leaves the index's cache tree naming the undone commit's trees,
    // which differ from HEAD's: the entries under them are compared, not skipped.
    let repo = GitRepo::init();
    repo.write("README.md", "# service\n");
    repo.write("deploy/prod/notes.txt", "nothing here\n");
    repo.write("docs/guide.md", "# guide\n");
    repo.commit_all("A");
    let (text, e) = pair_file(1034, "deploy/prod/creds.env");
    repo.write("deploy/prod/creds.env", &text);
    repo.commit_all("B");
    repo.git(&["reset", "-q", "--soft", "HEAD~1"]);
    let out = scan(&repo, &["--staged"]);
    check("after a soft reset", &out, 1, &[(e.clone(), Src::Files)]);

    // Index version 4 (each path written as a change to the one before), a second file
    // staged in another directory, and one unstaged (the work tree only).
    repo.git(&["update-index", "--index-version", "4"]);
    let (text, f) = pair_file(1035, "docs/api/creds.env");
    repo.write("docs/api/creds.env", &text);
    repo.git(&["add", "docs/api/creds.env"]);
    let (text, _) = pair_file(1036, "deploy/later.env");
    repo.write("deploy/later.env", &text);
    let out = scan(&repo, &["--staged"]);
    check(
        "index version 4",
        &out,
        1,
        &[(e, Src::Files), (f, Src::Files)],
    );

    // Everything committed: nothing staged, whatever the work tree holds.
    repo.git(&["commit", "-qm", "C"]);
    let out = scan(&repo, &["--staged"]);
    check("nothing staged", &out, 0, &[]);
}

#[test]
fn staged_in_a_first_commit() {
    let repo = GitRepo::init();
    let (text, e) = pair_file(1028, "creds.env");
    repo.write("creds.env", &text);
    repo.write("README.md", "# service\n");
    repo.git(&["add", "creds.env", "README.md"]);
    let out = scan(&repo, &["--staged"]);
    check("first commit", &out, 1, &[(e, Src::Files)]);
}

#[test]
fn staged_paths_are_repository_relative_with_the_index_lines() {
    let repo = GitRepo::init();
    repo.write("README.md", "# service\n");
    repo.commit_all("A");
    let (text, e) = pair_file(1029, "config/app/creds.env");
    repo.write("config/app/creds.env", &text);
    repo.git(&["add", "config/app/creds.env"]);
    // The work-tree copy has moved on: lines must come from the staged content.
    repo.write(
        "config/app/creds.env",
        format!("# one\n# two\n# three\n# four\n{text}"),
    );

    let out = scan(&repo, &["--staged"]);
    check("staged from the top", &out, 1, &[(e.clone(), Src::Files)]);

    let out = scan_in(&repo.path().join("config"), &["--staged"]);
    check("staged from a subdirectory", &out, 1, &[(e, Src::Files)]);
}

#[test]
fn staged_binary_file_and_submodule_entry_are_not_errors() {
    let repo = GitRepo::init();
    repo.write("README.md", "# service\n");
    repo.commit_all("A");
    let (text, _) = pair_file(1031, "blob.bin");
    let mut bin = vec![0u8, 0, 1, 2];
    bin.extend_from_slice(text.as_bytes());
    repo.write("blob.bin", &bin);
    repo.git(&["add", "blob.bin"]);
    // A submodule (gitlink) entry names a commit of another repository: nothing to read here.
    let gitlink = format!("160000,{},vendor/lib", hex(1032, 40));
    repo.git(&["update-index", "--add", "--cacheinfo", &gitlink]);
    let out = scan(&repo, &["--staged", "--no-binary"]);
    let doc = check("staged binary and gitlink", &out, 0, &[]);
    assert_eq!(summary(&doc, "skipped_binary"), 1, "{}", doc["summary"]);
    assert_eq!(summary(&doc, "errors"), 0, "{}", doc["summary"]);

    // Committed, the gitlink is part of history, which must not fail on it either.
    let (text, e) = pair_file(1033, "creds.env");
    repo.write("creds.env", &text);
    repo.git(&["add", "creds.env"]);
    let c = repo.commit_staged_as(&ALICE, "B: gitlink, binary and credentials");
    assert!(
        repo.git(&["ls-tree", "HEAD", "vendor/lib"])
            .starts_with("160000 commit"),
        "the gitlink was not committed"
    );
    let out = scan(&repo, &["--no-binary"]);
    let doc = check(
        "history with a gitlink",
        &out,
        1,
        &[(e, Src::History(&c, true))],
    );
    assert_eq!(summary(&doc, "errors"), 0, "{}", doc["summary"]);
}

#[test]
fn staged_outside_a_repository_is_an_error() {
    let tree = Tree::new();
    let (text, _) = pair_file(1030, "creds.env");
    tree.write("creds.env", &text);
    let out = scan_in(tree.path(), &["--staged"]);
    assert_eq!(
        out.code,
        2,
        "stdout:\n{}\nstderr:\n{}",
        out.stdout_str(),
        out.stderr
    );
    assert!(
        out.stderr.contains("--staged") && out.stderr.contains("not in a git repository"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
}

// ------------------------------------------------------------------------------------------
// --since
// ------------------------------------------------------------------------------------------

/// Three commits, each adding one pair in its own file.
fn three_commits() -> (GitRepo, Vec<(Commit, Expected)>) {
    let repo = GitRepo::init();
    let mut out = Vec::new();
    for (i, name) in ["old.env", "mid.env", "new.env"].into_iter().enumerate() {
        let (text, e) = pair_file(1040 + i as u64, name);
        repo.write(name, &text);
        let who = if i == 2 { &BOB } else { &ALICE };
        out.push((repo.commit_all_as(who, name), e));
    }
    (repo, out)
}

#[test]
fn since_previous_commit_finds_only_its_key() {
    let (repo, commits) = three_commits();
    let (c3, e3) = &commits[2];
    let out = scan(&repo, &["--since", "HEAD~1"]);
    check("--since HEAD~1", &out, 1, &[(e3.clone(), Src::Range(c3))]);
}

#[test]
fn since_explicit_ranges() {
    let (repo, commits) = three_commits();
    let (c1, _) = &commits[0];
    let (c2, e2) = &commits[1];
    let (c3, e3) = &commits[2];
    let range = format!("{}..{}", c1.id, c2.id);
    let out = scan(&repo, &["--since", &range]);
    check("--since A..B", &out, 1, &[(e2.clone(), Src::Range(c2))]);

    let out = scan(&repo, &["--since", &c1.id]);
    check(
        "--since A",
        &out,
        1,
        &[(e2.clone(), Src::Range(c2)), (e3.clone(), Src::Range(c3))],
    );

    let out = scan(&repo, &["--since", &format!("{}..", c2.id)]);
    check("--since B..", &out, 1, &[(e3.clone(), Src::Range(c3))]);
}

#[test]
fn since_head_scans_nothing() {
    let (repo, _) = three_commits();
    let out = scan(&repo, &["--since", "HEAD"]);
    let doc = check("--since HEAD", &out, 0, &[]);
    assert_eq!(summary(&doc, "blobs"), 0, "{}", doc["summary"]);
    assert_eq!(summary(&doc, "errors"), 0, "{}", doc["summary"]);
}

#[test]
fn since_a_missing_revision_is_an_error() {
    let (repo, _) = three_commits();
    let out = scan(&repo, &["--since", "no-such-branch"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("no-such-branch"), "{}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
}

#[test]
fn since_with_no_history_is_an_error() {
    // `--since` scans history; with `--no-history` it used to scan nothing and exit 0.
    let (repo, _) = three_commits();
    let out = scan(&repo, &["--since", "HEAD~2", "--no-history"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("--since") && out.stderr.contains("--no-history"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "no report: {}", out.stdout_str());
}

#[test]
fn since_in_a_shallow_clone_asks_for_full_history() {
    let (repo, commits) = three_commits();
    let (c1, _) = &commits[0];
    let parent = Tree::new();
    let url = format!("file://{}", repo.path().display());
    git_in(
        parent.path(),
        &["clone", "-q", "--depth", "1", &url, "clone"],
    );
    let clone = parent.path().join("clone");
    assert_eq!(
        git_in(&clone, &["rev-parse", "--is-shallow-repository"]),
        "true"
    );
    assert!(
        git_command(&clone)
            .args(["cat-file", "-e", &c1.id])
            .output()
            .unwrap()
            .status
            .code()
            != Some(0),
        "the shallow clone has the old commit"
    );

    let out = scan_in(&clone, &["--since", &c1.id]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("fetch-depth: 0"), "{}", out.stderr);
    assert!(out.stderr.contains(&c1.id), "{}", out.stderr);
}

#[test]
fn full_scan_of_a_shallow_clone_warns_that_older_history_is_absent() {
    let (repo, _) = three_commits();
    let parent = Tree::new();
    let url = format!("file://{}", repo.path().display());
    git_in(
        parent.path(),
        &["clone", "-q", "--depth", "1", &url, "clone"],
    );
    let clone = parent.path().join("clone");
    let out = scan_in(&clone, &[]);
    assert_ne!(
        out.code, 2,
        "a shallow clone is not an error: {}",
        out.stderr
    );
    assert!(
        out.stderr.contains("warning") && out.stderr.contains("shallow clone"),
        "{}",
        out.stderr
    );
    let full = scan(&repo, &[]);
    assert!(!full.stderr.contains("shallow"), "{}", full.stderr);
}

#[test]
fn partial_clone_says_its_blobs_are_missing_and_how_to_fetch_them() {
    let repo = GitRepo::init();
    let mut commits = Vec::new();
    for (i, seed) in [1061u64, 1062, 1063].iter().enumerate() {
        let (text, _) = pair_file(*seed, &format!("old{i}.env"));
        repo.write(&format!("old{i}.env"), &text);
        commits.push((repo.commit_all(&format!("add old{i}")), ()));
        repo.git(&["rm", "-q", &format!("old{i}.env")]);
        repo.commit_all(&format!("remove old{i}"));
    }
    let (text, _) = pair_file(1064, "now.env");
    repo.write("now.env", &text);
    repo.commit_all("add now");
    repo.git(&["config", "uploadpack.allowfilter", "true"]);
    let parent = Tree::new();
    let url = format!("file://{}", repo.path().display());
    git_in(
        parent.path(),
        &["clone", "-q", "--filter=blob:none", &url, "clone"],
    );
    let clone = parent.path().join("clone");
    let out = scan_in(&clone, &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let errors: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("keyhound: error:"))
        .collect();
    assert_eq!(
        errors.len(),
        1,
        "one error, not one per blob:\n{}",
        out.stderr
    );
    assert!(
        errors[0].contains("3 blobs")
            && errors[0].contains("partial clone")
            && errors[0].contains("git backfill"),
        "{}",
        out.stderr
    );
    // The blob at HEAD is there and scanned.
    assert_eq!(out.json()["findings"].as_array().map(Vec::len), Some(1));
    // What the partial clone holds is still scanned.
    let (c1, _) = &commits[0];
    let out = scan_in(&clone, &["--since", &c1.id]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("partial clone"), "{}", out.stderr);
}

#[test]
fn since_ignores_the_work_tree_and_the_index() {
    let (repo, _) = three_commits();
    let (text, _) = pair_file(1050, "wip.env");
    repo.write("wip.env", &text);
    let (staged, _) = pair_file(1051, "staged.env");
    repo.write("staged.env", &staged);
    repo.git(&["add", "staged.env"]);
    let out = scan(&repo, &["--since", "HEAD"]);
    check("--since HEAD with local changes", &out, 0, &[]);
}

/// A rule limited to some paths (`path`) runs on every blob of history, where a blob's path is
/// known only after matching; its findings in blobs first seen at other paths are dropped then.
#[test]
fn rule_path_limit_applies_to_history_blobs() {
    let repo = GitRepo::init();
    repo.write(
        ".keyhound.toml",
        "[[rules]]\n\
         id = \"acme-deploy-token\"\n\
         name = \"Acme deploy token\"\n\
         severity = \"high\"\n\
         pattern = '''\\b(acmedeploy_[A-Za-z0-9]{24})\\b'''\n\
         keywords = [\"acmedeploy_\"]\n\
         path = '''\\.env$'''\n",
    );
    let mut rng = Rng::new(4711);
    let in_env = format!("acmedeploy_{}", rng.string(b"ABCDEFGHabcdefgh23456789", 24));
    let in_doc = format!("acmedeploy_{}", rng.string(b"ABCDEFGHabcdefgh23456789", 24));
    repo.write("deploy/prod.env", format!("TOKEN={in_env}\n"));
    repo.write("docs/deploy.md", format!("Set TOKEN, e.g. `{in_doc}`.\n"));
    repo.commit_all("A: deploy token");
    repo.git(&["rm", "-q", "deploy/prod.env", "docs/deploy.md"]);
    repo.commit_all("B: remove");

    let out = scan(&repo, &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let doc = out.json();
    let found: Vec<(String, String)> = doc["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            (
                f["secret"].as_str().unwrap_or_default().to_string(),
                f["locations"][0]["path"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(found.len(), 1, "{doc:#}");
    assert_eq!(found[0].0, in_env, "{doc:#}");
    assert!(found[0].1.ends_with("deploy/prod.env"), "{doc:#}");
}
