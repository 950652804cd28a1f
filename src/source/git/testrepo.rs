//! Repositories built with the `git` command for the unit tests of this module (fixed author,
//! no user or system configuration).

use std::path::Path;

use tempfile::TempDir;

/// A scratch repository.
pub(crate) struct TestRepo {
    pub(crate) dir: TempDir,
}

impl TestRepo {
    /// `git init` in a new temporary directory.
    pub(crate) fn new() -> TestRepo {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let repo = TestRepo { dir };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs git in the repository; panics when it fails. Returns its standard output, trimmed.
    pub(crate) fn git(&self, args: &[&str]) -> String {
        self.git_at(args, "1700000000 +0000")
    }

    /// Runs git with the author and committer date `date` (`"<seconds> <offset>"`).
    pub(crate) fn git_at(&self, args: &[&str], date: &str) -> String {
        let out = std::process::Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@example.com",
                "-c",
                "commit.gpgsign=false",
                "-c",
                "gc.auto=0",
            ])
            .args(args)
            .current_dir(self.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", self.path())
            .env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_DATE", date)
            .output()
            .unwrap_or_else(|e| panic!("git {args:?}: {e}"));
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Writes `file` and commits everything at `time` (seconds) with message `msg`.
    pub(crate) fn commit(&self, file: &str, text: &str, time: i64, msg: &str) -> String {
        std::fs::write(self.path().join(file), text).unwrap_or_else(|e| panic!("{e}"));
        self.git(&["add", "-A"]);
        self.git_at(
            &["commit", "-qm", msg],
            &format!("@{} +0000", 1_700_000_000 + time),
        );
        self.git(&["rev-parse", "HEAD"])
    }
}
