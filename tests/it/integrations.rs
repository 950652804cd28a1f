//! Integrations: GitLab's Secret Detection report (validated against the published schema in
//! `fixtures/schemas/gitlab/`), GitHub workflow annotations and the job summary, shell
//! completions and the man page, the grouped `scan --help`, the spellings gitleaks users
//! bring, and `keyhound pre-commit` in each mode the pre-commit framework runs it (a commit,
//! the files named, the commits of a push).

use std::path::Path;

use serde_json::Value;

use crate::support::*;

fn gitlab_schema() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/schemas/gitlab/secret-detection-report-format.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A repository with a key pair committed, and a work-tree file with another pair that was
/// never committed. Returns the repository, the committed commit and both secrets.
fn leaky_repo() -> (GitRepo, Commit, [String; 2]) {
    let repo = GitRepo::init();
    let (k1, s1) = (key_id(900), secret(900));
    repo.write(
        "deploy/prod.env",
        format!("AWS_ACCESS_KEY_ID={k1}\nAWS_SECRET_ACCESS_KEY={s1}\n"),
    );
    repo.write("README.md", "hello\n");
    let commit = repo.commit_all("add deploy settings");
    let (k2, s2) = (key_id(901), secret(901));
    repo.write(
        "local, notes:1.txt",
        format!("aws_access_key_id = {k2}\naws_secret_access_key = {s2}\n"),
    );
    (repo, commit, [s1, s2])
}

#[test]
fn gitlab_report_matches_the_published_schema() {
    let (repo, commit, secrets) = leaky_repo();
    let out = keyhound(repo.path())
        .args(["scan", "--no-verify", "-q", "--format", "gitlab", "."])
        .run();
    assert_eq!(out.code, 1, "{}", out.stderr);
    let text = out.stdout_str();
    for s in &secrets {
        assert!(!text.contains(s.as_str()), "a secret in the GitLab report");
    }
    let doc = out.json();
    let errors = validate(&gitlab_schema(), &doc);
    assert!(errors.is_empty(), "schema errors: {errors:#?}");
    // The file .ci/run validates again with Python's jsonschema.
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/keyhound-test-gitlab.json");
    std::fs::write(&target, &out.stdout).unwrap();

    assert_eq!(doc["version"], "15.2.4");
    assert_eq!(doc["scan"]["type"], "secret_detection");
    assert_eq!(doc["scan"]["status"], "success");
    let vulns = doc["vulnerabilities"].as_array().unwrap();
    let by_file = |f: &str| {
        vulns
            .iter()
            .find(|v| v["location"]["file"] == f)
            .unwrap_or_else(|| panic!("no vulnerability in {f}: {doc:#}"))
    };
    let committed = by_file("deploy/prod.env");
    assert_eq!(committed["location"]["commit"]["sha"], commit.id.as_str());
    assert_eq!(committed["location"]["start_line"], 1);
    assert_eq!(committed["severity"], "Critical");
    assert_eq!(committed["identifiers"][0]["value"], "aws-access-key-pair");
    let untracked = by_file("local, notes:1.txt");
    assert_eq!(untracked["location"]["commit"]["sha"], "0000000");
    // Identifiers are unique and stable from one run to the next.
    let ids: std::collections::HashSet<&str> =
        vulns.iter().map(|v| v["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), vulns.len());
    let again = keyhound(repo.path())
        .args(["scan", "--no-verify", "-q", "--format", "gitlab", "."])
        .run()
        .json();
    assert_eq!(again["vulnerabilities"], doc["vulnerabilities"]);
}

#[test]
fn gitlab_report_of_a_clean_scan_and_the_validator_itself() {
    let tree = Tree::new();
    tree.write("a.txt", "nothing here\n");
    let out = keyhound(tree.path())
        .args(["scan", "--no-verify", "-q", "-f", "gitlab", "."])
        .run();
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut doc = out.json();
    assert_eq!(doc["vulnerabilities"], serde_json::json!([]));
    let schema = gitlab_schema();
    assert!(validate(&schema, &doc).is_empty());
    // The validator fails what GitLab would refuse.
    doc["scan"].as_object_mut().unwrap().remove("analyzer");
    doc["scan"]["end_time"] = "2026-01-01 10:00".into();
    let errors = validate(&schema, &doc);
    assert!(
        errors.iter().any(|e| e.contains("\"analyzer\" missing")),
        "{errors:?}"
    );
    assert!(errors.iter().any(|e| e.contains("end_time")), "{errors:?}");
}

#[test]
fn github_annotations_escape_and_redact_and_the_job_summary_is_appended() {
    let (repo, _commit, secrets) = leaky_repo();
    let summary = repo.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let out = keyhound(repo.path())
        .args([
            "scan",
            "--no-verify",
            "-q",
            "--show-secrets",
            "-f",
            "github",
            ".",
        ])
        .env("GITHUB_STEP_SUMMARY", summary.to_str().unwrap())
        .run();
    assert_eq!(out.code, 1, "{}", out.stderr);
    let text = out.stdout_str();
    let md = std::fs::read_to_string(&summary).unwrap();
    for s in &secrets {
        assert!(!text.contains(s.as_str()), "a secret in an annotation");
        assert!(!md.contains(s.as_str()), "a secret in the job summary");
    }
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines.iter().any(|l| l.starts_with(
            "::error file=deploy/prod.env,line=1,endLine=1,col=19,endColumn=39,title=keyhound%3A AWS access key pair::"
        )),
        "{text}"
    );
    // `,` and `:` in a property are escaped, so the path cannot add properties.
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("::error file=local%2C notes%3A1.txt,line=1,")),
        "{text}"
    );
    assert!(
        md.starts_with("earlier step\n### keyhound: 2 credentials found"),
        "{md}"
    );
    assert!(md.contains("| `deploy/prod.env` | 1 |"), "{md}");
    assert!(md.contains("keyhound: scanned"), "{md}");

    // Without GITHUB_STEP_SUMMARY nothing else is written; --exit-code sets the status.
    let out = keyhound(repo.path())
        .args([
            "scan",
            "--no-verify",
            "-q",
            "-f",
            "github",
            "--exit-code",
            "7",
            ".",
        ])
        .run();
    assert_eq!(out.code, 7, "{}", out.stderr);
}

#[test]
fn completions_for_every_shell_and_the_man_page() {
    let dir = Tree::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = keyhound(dir.path()).args(["completions", shell]).run();
        assert_eq!(out.code, 0, "{shell}: {}", out.stderr);
        let text = out.stdout_str();
        assert!(text.contains("keyhound"), "{shell}");
        assert!(
            text.contains("no-verify"),
            "{shell}: scan flags are completed"
        );
    }
    let out = keyhound(dir.path()).args(["completions", "tcsh"]).run();
    assert_eq!(out.code, 2);

    let out = keyhound(dir.path()).args(["man"]).run();
    assert_eq!(out.code, 0, "{}", out.stderr);
    let page = out.stdout_str();
    assert!(page.contains(".TH keyhound 1"), "{page}");
    assert!(page.contains("completions"), "subcommands are listed");

    let out = keyhound(dir.path())
        .args(["man", "--out-dir", "pages"])
        .run();
    assert_eq!(out.code, 0, "{}", out.stderr);
    let scan_page = std::fs::read_to_string(dir.path().join("pages/keyhound-scan.1")).unwrap();
    assert!(scan_page.contains("since"), "{scan_page}");
    assert!(dir.path().join("pages/keyhound.1").exists());
}

#[test]
fn scan_help_is_grouped_and_gitleaks_spellings_work() {
    let dir = Tree::new();
    let help = keyhound(dir.path())
        .args(["scan", "--help"])
        .run()
        .stdout_str();
    let mut last = 0;
    for heading in [
        "Input:",
        "What to scan:",
        "Output:",
        "Verification:",
        "Configuration:",
    ] {
        let at = help
            .find(heading)
            .unwrap_or_else(|| panic!("{heading}\n{help}"));
        assert!(at > last, "{heading} out of order");
        last = at;
    }
    let (k, s) = (key_id(910), secret(910));
    dir.write(
        "a.env",
        format!("AWS_ACCESS_KEY_ID={k}\nAWS_SECRET_ACCESS_KEY={s}\n"),
    );
    let out = keyhound(dir.path())
        .args([
            "scan",
            "--no-verify",
            "-q",
            "--redact",
            "--report-format",
            "json",
            "--report-path",
            "out.json",
            "--exit-code",
            "42",
            "a.env",
        ])
        .run();
    assert_eq!(out.code, 42, "{}", out.stderr);
    let report = std::fs::read_to_string(dir.path().join("out.json")).unwrap();
    assert!(report.contains("\"redacted\": true"));
    assert!(!report.contains(&s));
    let out = keyhound(dir.path())
        .args(["scan", "--redact", "--show-secrets", "a.env"])
        .run();
    assert_eq!(out.code, 2, "--redact contradicts --show-secrets");
    let out = keyhound(dir.path())
        .args(["scan", "--exit-code", "256", "a.env"])
        .run();
    assert_eq!(out.code, 2);
}

/// `keyhound pre-commit` as the framework calls it, with its environment.
fn pre_commit(repo: &GitRepo, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut run = keyhound(repo.path())
        .args(["pre-commit"])
        .args(args)
        .args(["--", "--format", "json", "-q"])
        .env("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9");
    for (k, v) in env {
        run = run.env(k, v);
    }
    run.run()
}

fn finding_paths(out: &Output) -> Vec<String> {
    let doc = out.json();
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert_eq!(
                f["verification"]["status"], "skipped",
                "no AWS call by default"
            );
            f["path"].as_str().unwrap().to_string()
        })
        .collect()
}

#[test]
fn pre_commit_scans_the_files_named_under_all_files() {
    let (repo, _commit, _secrets) = leaky_repo();
    // `pre-commit run --all-files` names every tracked file: a secret committed long ago is
    // found, not "0 files scanned".
    let out = pre_commit(&repo, &[], &["README.md", "deploy/prod.env"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(finding_paths(&out), ["deploy/prod.env"]);
    let out = pre_commit(&repo, &[], &["README.md"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn pre_commit_scans_the_index_on_commit() {
    let repo = GitRepo::init();
    repo.write("README.md", "hello\n");
    repo.commit_all("first");
    let (k, s) = (key_id(920), secret(920));
    repo.write(
        "staged.env",
        format!("AWS_ACCESS_KEY_ID={k}\nAWS_SECRET_ACCESS_KEY={s}\n"),
    );
    repo.git(&["add", "staged.env"]);
    // The work tree no longer holds the secret; the index does.
    repo.write("staged.env", "clean now\n");
    let index = repo.path().join(".git/index");
    let out = pre_commit(
        &repo,
        &[("GIT_INDEX_FILE", index.to_str().unwrap())],
        &["staged.env"],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(finding_paths(&out), ["staged.env"]);
    // The same file named outside a commit is read from the work tree.
    let out = pre_commit(&repo, &[], &["staged.env"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn pre_commit_scans_the_pushed_commits_at_pre_push() {
    let repo = GitRepo::init();
    repo.write("README.md", "hello\n");
    let base = repo.commit_all("first");
    let (k, s) = (key_id(930), secret(930));
    repo.write(
        "leak.env",
        format!("AWS_ACCESS_KEY_ID={k}\nAWS_SECRET_ACCESS_KEY={s}\n"),
    );
    let leak = repo.commit_all("leak");
    repo.write("leak.env", "removed\n");
    let fixed = repo.commit_all("remove it");
    // The push holds the commit that added the secret, even though the tip removed it.
    let out = pre_commit(
        &repo,
        &[
            ("PRE_COMMIT_FROM_REF", &base.id),
            ("PRE_COMMIT_TO_REF", &fixed.id),
        ],
        &["leak.env"],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(finding_paths(&out), ["leak.env"]);
    let out = pre_commit(
        &repo,
        &[
            ("PRE_COMMIT_FROM_REF", &leak.id),
            ("PRE_COMMIT_TO_REF", &fixed.id),
        ],
        &["leak.env"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
}

/// The man pages and completions the wheel and the release archives install
/// (`packaging/wheel-data/data/share/`) are what the command line generates now.
#[test]
fn wheel_data_is_current() {
    let dir = Tree::new();
    let share = Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/wheel-data/data/share");
    let out = keyhound(dir.path())
        .args(["man", "--out-dir", "man1"])
        .run();
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut expected: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir.path().join("man1"))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                format!("man/man1/{}", e.file_name().to_string_lossy()),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    for (shell, rel) in [
        ("bash", "bash-completion/completions/keyhound"),
        ("zsh", "zsh/site-functions/_keyhound"),
        ("fish", "fish/vendor_completions.d/keyhound.fish"),
    ] {
        let out = keyhound(dir.path()).args(["completions", shell]).run();
        assert_eq!(out.code, 0, "{}", out.stderr);
        expected.push((rel.to_string(), out.stdout));
    }
    expected.sort();
    let update = std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| !v.is_empty() && v != "0");
    if update {
        let _ = std::fs::remove_dir_all(&share);
    }
    let mut stale = Vec::new();
    for (rel, bytes) in &expected {
        let path = share.join(rel);
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, bytes).unwrap();
        } else if std::fs::read(&path).ok().as_ref() != Some(bytes) {
            stale.push(rel.clone());
        }
    }
    let man_pages = std::fs::read_dir(share.join("man/man1")).map_or(0, |d| d.count());
    let expected_pages = expected
        .iter()
        .filter(|(r, _)| r.starts_with("man/"))
        .count();
    assert!(
        stale.is_empty() && man_pages == expected_pages,
        "stale wheel data {stale:?} ({man_pages} pages, {expected_pages} generated); run \
         `UPDATE_GOLDEN=1 cargo test --test it wheel_data`"
    );
}
