//! Running the `keyhound` binary: a `Command` with a hermetic environment, the `Run` builder
//! (arguments, standard input, environment, an optional time limit) and the `Output` it gives,
//! and the JSON scan most tests make.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_keyhound");

/// An empty directory used as HOME and XDG_CONFIG_HOME, so that no user's global gitignore
/// or git configuration changes what the walker skips.
fn empty_home() -> PathBuf {
    let p = Path::new(env!("CARGO_TARGET_TMPDIR")).join("keyhound-empty-home");
    std::fs::create_dir_all(&p).expect("create empty home");
    p
}

/// A `Command` for the binary with a hermetic environment.
pub fn command(cwd: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    let home = empty_home();
    cmd.current_dir(cwd)
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", &home)
        .env_remove("NO_COLOR")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_STS")
        .env_remove("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("PRE_COMMIT_FROM_REF")
        .env_remove("PRE_COMMIT_TO_REF");
    cmd
}

/// What a run of the binary produced.
#[derive(Debug)]
pub struct Output {
    /// Exit status; -1 when killed by a signal.
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Output {
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Parses standard output as one JSON document.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}); exit {}\nstdout:\n{}\nstderr:\n{}",
                self.code,
                self.stdout_str(),
                self.stderr
            )
        })
    }
}

/// Builder for one run of the binary.
pub struct Run {
    cmd: Command,
    stdin: Option<Vec<u8>>,
}

/// Runs `keyhound` in `cwd`.
pub fn keyhound(cwd: &Path) -> Run {
    Run {
        cmd: command(cwd),
        stdin: None,
    }
}

impl Run {
    pub fn args<I, S>(mut self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.cmd.args(args);
        self
    }

    pub fn stdin(mut self, data: impl Into<Vec<u8>>) -> Run {
        self.stdin = Some(data.into());
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Run {
        self.cmd.env(key, value);
        self
    }

    /// Runs the binary to its end and returns what it produced.
    pub fn run(self) -> Output {
        self.finish(None)
    }

    /// Like `run`, but kills the process once `limit` has passed and panics, so that a hang
    /// fails one test instead of stalling the whole suite.
    pub fn run_within(self, limit: Duration) -> Output {
        self.finish(Some(limit))
    }

    /// Spawns the binary (standard input piped when given, else empty), reads standard output
    /// and standard error on threads of their own, and waits for it: without end, or until
    /// `limit` has passed, when it is killed and the test panics.
    fn finish(mut self, limit: Option<Duration>) -> Output {
        let what = format!("{:?}", self.cmd);
        self.cmd
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self.cmd.spawn().expect("spawn keyhound");
        if let Some(data) = self.stdin.take() {
            let mut pipe = child.stdin.take().expect("stdin pipe");
            std::thread::spawn(move || {
                let _ = pipe.write_all(&data);
            });
        }
        let mut out_pipe = child.stdout.take().expect("stdout pipe");
        let mut err_pipe = child.stderr.take().expect("stderr pipe");
        let out_reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = out_pipe.read_to_end(&mut buf);
            buf
        });
        let err_reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = err_pipe.read_to_end(&mut buf);
            buf
        });
        let status = match limit {
            None => child.wait().expect("wait for keyhound"),
            Some(limit) => {
                let deadline = Instant::now() + limit;
                loop {
                    if let Some(status) = child.try_wait().expect("wait for keyhound") {
                        break status;
                    }
                    if Instant::now() >= deadline {
                        let _ = child.kill();
                        let _ = child.wait();
                        let stderr = err_reader.join().unwrap_or_default();
                        panic!(
                            "keyhound did not finish within {limit:?} (killed): {what}\nstderr:\n{}",
                            String::from_utf8_lossy(&stderr)
                        );
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
        };
        Output {
            code: status.code().unwrap_or(-1),
            stdout: out_reader.join().unwrap_or_default(),
            stderr: String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned(),
        }
    }
}

/// Panics with standard error if the binary panicked (a panic message or a backtrace hint).
pub fn assert_no_panic(out: &Output) {
    assert!(
        !out.stderr.contains("panicked") && !out.stderr.contains("RUST_BACKTRACE"),
        "panic:\n{}",
        out.stderr
    );
}

/// `keyhound scan --no-verify --format json --show-secrets EXTRA...` in `dir`, not run yet: the
/// caller adds the paths to scan (none: the current directory), standard input, a time limit.
pub fn json_scan(dir: &Path, extra: &[&str]) -> Run {
    keyhound(dir)
        .args(["scan", "--no-verify", "--format", "json", "--show-secrets"])
        .args(extra)
}

/// `keyhound scan --no-verify --format json --show-secrets EXTRA... .` in `dir`.
pub fn scan_json(dir: &Path, extra: &[&str]) -> Output {
    scan_json_at(dir, extra, ".")
}

/// `keyhound scan --no-verify --format json --show-secrets EXTRA... TARGET` in `dir`.
pub fn scan_json_at(dir: &Path, extra: &[&str], target: &str) -> Output {
    json_scan(dir, extra).args([target]).run()
}
