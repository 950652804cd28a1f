//! Git fixtures: `git` with a hermetic configuration and a fixed identity and date, and
//! `GitRepo`, a repository built at test time whose commits get reproducible ids (`Person`
//! authors, one day of March 2021 per commit), with `Commit` as a history finding names it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use super::Tree;

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
    run_git(git_command(cwd), args)
}

/// Runs `cmd` (a `git_command`) with `args` and no standard input; returns its trimmed
/// standard output, or panics with its output when it fails.
fn run_git(mut cmd: Command, args: &[&str]) -> String {
    let out = cmd
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
        let mut cmd = git_command(self.path());
        cmd.env("GIT_AUTHOR_NAME", who.name)
            .env("GIT_AUTHOR_EMAIL", who.email)
            .env("GIT_COMMITTER_NAME", who.name)
            .env("GIT_COMMITTER_EMAIL", who.email)
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date);
        run_git(cmd, args)
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
