//! `keyhound hook install|uninstall`: the hook file it writes (where, with what, executable),
//! that `git commit` really runs it and is stopped by a staged leak, `core.hooksPath`, and
//! that a hook keyhound did not write is never overwritten or removed without `--force`.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::support::*;

const FOREIGN: &str = "#!/bin/sh\n# the team's own hook\necho checking\nexit 0\n";

/// `PATH` without any directory that holds another `keyhound`, so that the hook falls back
/// to the binary under test, which installed it.
fn path_without_keyhound() -> String {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<PathBuf> = std::env::split_paths(&path)
        .filter(|d| !d.join("keyhound").exists())
        .collect();
    std::env::join_paths(dirs)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// `git commit -m MESSAGE` with hooks enabled; returns (success, combined output).
fn try_commit(repo: &GitRepo, message: &str) -> (bool, String) {
    let out = git_command(repo.path())
        .env("PATH", path_without_keyhound())
        // Should the hook's scan ever try to verify the fake pair, it must reach nothing.
        .env("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env_remove("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .env("NO_COLOR", "1")
        .args(["commit", "-q", "-m", message])
        .stdin(Stdio::null())
        .output()
        .expect("run git commit");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn hook_cmd(dir: &Path, args: &[&str]) -> Output {
    keyhound(dir).args(["hook"]).args(args).run()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o111 == 0o111)
        .unwrap_or(false)
}

/// A repository with one clean commit.
fn repo_with_a_commit() -> (GitRepo, Commit) {
    let repo = GitRepo::init();
    repo.write("README.md", "# service\n");
    let c = repo.commit_all("A: readme");
    (repo, c)
}

fn stage_leak(repo: &GitRepo, seed: u64) {
    let text = fill(
        "[default]\naws_access_key_id = {{K}}\naws_secret_access_key = {{S}}\n",
        &[("K", &key_id(seed)), ("S", &secret(seed))],
    );
    repo.write("creds.env", text);
    repo.git(&["add", "creds.env"]);
}

fn assert_ok(name: &str, out: &Output) {
    assert_eq!(
        out.code,
        0,
        "[{name}] exit {}\nstdout:\n{}\nstderr:\n{}",
        out.code,
        out.stdout_str(),
        out.stderr
    );
}

#[test]
fn install_writes_a_hook_that_stops_a_leaking_commit() {
    let (repo, a) = repo_with_a_commit();
    let out = hook_cmd(repo.path(), &["install"]);
    assert_ok("install", &out);
    let hook = repo.path().join(".git/hooks/pre-commit");
    assert!(hook.is_file(), "no {}", hook.display());
    assert!(is_executable(&hook), "{} is not executable", hook.display());
    assert!(
        read(&hook).contains("keyhound scan --staged"),
        "{}",
        read(&hook)
    );
    assert!(read(&hook).starts_with("#!"), "{}", read(&hook));

    stage_leak(&repo, 2001);
    let (ok, output) = try_commit(&repo, "leak");
    assert!(!ok, "the commit of a staged key went through:\n{output}");
    assert_eq!(repo.rev("HEAD"), a.id, "HEAD moved");
    assert!(
        output.contains(&key_id(2001)) || output.contains("creds.env"),
        "the hook said nothing about the leak:\n{output}"
    );

    // A clean commit goes through.
    repo.git(&["rm", "-q", "--cached", "creds.env"]);
    std::fs::remove_file(repo.path().join("creds.env")).unwrap();
    repo.write("src/main.rs", "fn main() {}\n");
    repo.git(&["add", "src/main.rs"]);
    let (ok, output) = try_commit(&repo, "clean");
    assert!(ok, "a clean commit was stopped:\n{output}");
    assert_ne!(repo.rev("HEAD"), a.id, "HEAD did not move");
}

/// `git commit -a` and `git commit PATH` record a temporary index that git names in
/// GIT_INDEX_FILE; the hook scans that one, not the repository's stale index.
#[test]
fn the_hook_scans_what_commit_a_and_commit_paths_record() {
    let (repo, a) = repo_with_a_commit();
    assert_ok("install", &hook_cmd(repo.path(), &["install"]));
    let leak = fill(
        "# service\naws_access_key_id = {{K}}\naws_secret_access_key = {{S}}\n",
        &[("K", &key_id(2101)), ("S", &secret(2101))],
    );
    repo.write("README.md", &leak);
    for args in [&["-a"][..], &["--", "README.md"][..]] {
        let out = git_command(repo.path())
            .env("PATH", path_without_keyhound())
            .env("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")
            .env("NO_COLOR", "1")
            .args(["commit", "-q", "-m", "leak"])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run git commit");
        let output = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "git commit {args:?} recorded a key pair:\n{output}"
        );
        assert!(output.contains(&key_id(2101)), "{args:?}: {output}");
        assert_eq!(repo.rev("HEAD"), a.id, "HEAD moved");
    }
}

#[test]
fn install_twice_keeps_one_hook_and_no_backup() {
    let (repo, _) = repo_with_a_commit();
    assert_ok("install", &hook_cmd(repo.path(), &["install"]));
    let first = read(&repo.path().join(".git/hooks/pre-commit"));
    assert_ok("install again", &hook_cmd(repo.path(), &["install"]));
    assert_eq!(read(&repo.path().join(".git/hooks/pre-commit")), first);
    assert!(!repo
        .path()
        .join(".git/hooks/pre-commit.keyhound-backup")
        .exists());
}

#[test]
fn install_honours_core_hooks_path() {
    let (repo, a) = repo_with_a_commit();
    repo.git(&["config", "core.hooksPath", "myhooks"]);
    repo.write("src/lib.rs", "\n");
    // From a subdirectory: the relative hooks path is relative to the top of the work tree.
    let out = hook_cmd(&repo.path().join("src"), &["install"]);
    assert_ok("install with core.hooksPath", &out);
    let hook = repo.path().join("myhooks/pre-commit");
    assert!(hook.is_file(), "no {}", hook.display());
    assert!(is_executable(&hook));
    assert!(read(&hook).contains("keyhound scan --staged"));
    assert!(!repo.path().join(".git/hooks/pre-commit").exists());
    assert!(!repo.path().join("src/myhooks").exists());

    stage_leak(&repo, 2002);
    let (ok, output) = try_commit(&repo, "leak");
    assert!(!ok, "the commit of a staged key went through:\n{output}");
    assert_eq!(repo.rev("HEAD"), a.id);

    let out = hook_cmd(repo.path(), &["uninstall"]);
    assert_ok("uninstall with core.hooksPath", &out);
    assert!(!hook.exists(), "{} still exists", hook.display());
}

#[test]
fn foreign_hook_is_kept_unless_forced_and_restored_on_uninstall() {
    let (repo, _) = repo_with_a_commit();
    let hooks = repo.path().join(".git/hooks");
    let hook = hooks.join("pre-commit");
    let backup = hooks.join("pre-commit.keyhound-backup");
    std::fs::create_dir_all(&hooks).unwrap();
    std::fs::write(&hook, FOREIGN).unwrap();

    let out = hook_cmd(repo.path(), &["install"]);
    assert_eq!(out.code, 2, "install over a foreign hook: {}", out.stderr);
    assert!(out.stderr.contains("--force"), "{}", out.stderr);
    assert_eq!(read(&hook), FOREIGN, "the foreign hook was changed");
    assert!(!backup.exists());

    let out = hook_cmd(repo.path(), &["install", "--force"]);
    assert_ok("install --force", &out);
    assert!(read(&hook).contains("keyhound scan --staged"));
    assert!(is_executable(&hook));
    assert_eq!(read(&backup), FOREIGN, "the backup is not the foreign hook");

    // Installing again over our own hook must not replace the backup with our hook.
    assert_ok("install again", &hook_cmd(repo.path(), &["install"]));
    assert_eq!(read(&backup), FOREIGN, "the backup was overwritten");

    let out = hook_cmd(repo.path(), &["uninstall"]);
    assert_ok("uninstall", &out);
    assert_eq!(read(&hook), FOREIGN, "the foreign hook was not restored");
    assert!(!backup.exists(), "the backup is still there");
}

#[test]
fn uninstall_refuses_to_remove_a_foreign_hook() {
    let (repo, _) = repo_with_a_commit();
    let hooks = repo.path().join(".git/hooks");
    let hook = hooks.join("pre-commit");
    std::fs::create_dir_all(&hooks).unwrap();
    std::fs::write(&hook, FOREIGN).unwrap();
    let out = hook_cmd(repo.path(), &["uninstall"]);
    assert_eq!(out.code, 2, "uninstall of a foreign hook: {}", out.stderr);
    assert!(
        out.stderr.contains("not written by keyhound"),
        "{}",
        out.stderr
    );
    assert_eq!(read(&hook), FOREIGN, "the foreign hook was changed");
}

#[test]
fn uninstall_removes_the_hook_and_commits_are_no_longer_checked() {
    let (repo, a) = repo_with_a_commit();
    assert_ok("install", &hook_cmd(repo.path(), &["install"]));
    let hook = repo.path().join(".git/hooks/pre-commit");
    assert!(hook.is_file());
    assert_ok("uninstall", &hook_cmd(repo.path(), &["uninstall"]));
    assert!(!hook.exists(), "{} still exists", hook.display());

    stage_leak(&repo, 2003);
    let (ok, output) = try_commit(&repo, "unchecked");
    assert!(ok, "commit failed without a hook:\n{output}");
    assert_ne!(repo.rev("HEAD"), a.id);
}

#[test]
fn hook_outside_a_repository_is_an_error() {
    let tree = Tree::new();
    let out = hook_cmd(tree.path(), &["install"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("not in a git repository"),
        "{}",
        out.stderr
    );
    assert!(!tree.path().join(".git").exists());
    assert!(std::fs::read_dir(tree.path()).unwrap().next().is_none());
}

#[test]
fn a_hostile_core_hooks_path_is_printed_sanitised() {
    let (repo, _) = repo_with_a_commit();
    // `ESC c` resets a terminal; U+202E reverses what follows it on screen.
    repo.git(&["config", "core.hooksPath", "hooks\u{1b}c\u{202e}kcah"]);
    let out = hook_cmd(repo.path(), &["install"]);
    assert_ok("install", &out);
    let text = out.stdout_str();
    assert!(
        text.contains("hooks\\u{1b}c\\u{202e}kcah/pre-commit"),
        "{text:?}"
    );
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{202e}'),
        "{text:?}"
    );
    let out = hook_cmd(repo.path(), &["uninstall"]);
    assert_ok("uninstall", &out);
    assert!(!out.stdout_str().contains('\u{1b}'), "{}", out.stdout_str());
}
