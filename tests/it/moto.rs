//! The moto STS test server shared by the library-level (`verify`) and binary-level
//! (`verify_cli`) verification tests.
//!
//! `moto_or_skip` (`moto_with_or_skip` with the script's arguments) starts moto's server (IAM authentication on) through
//! `fixtures/sts/moto_sts.py`, with the Python of a venv under `target/moto-venv` created on
//! first use (once per test process, whichever test asks first), and returns it with the keys
//! it minted (`MotoKeys`). The server is stopped by PID when the `Moto` guard drops, even on
//! panic. Without Python or network the caller gets `None` and a message, unless
//! `KEYHOUND_REQUIRE_MOTO=1` (CI), where it panics. `ACCOUNT`, `USER_ARN` and `ROLE_ARN` are
//! the identities the script creates.
//!
//! Every credential the server holds is minted by moto during the test; none is real.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{mpsc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

/// moto's account (`DEFAULT_ACCOUNT_ID`), which its key IDs encode.
pub const ACCOUNT: &str = "123456789012";
/// The identity of moto's long-term key (`fixtures/sts/moto_sts.py` creates the user).
pub const USER_ARN: &str = "arn:aws:iam::123456789012:user/keyhound-test";
/// The identity of the AssumeRole credentials (role `keyhound-test-role`, session `keyhound`).
pub const ROLE_ARN: &str = "arn:aws:sts::123456789012:assumed-role/keyhound-test-role/keyhound";

/// Requirements installed into the venv (moto 5.2.5 is what the notes were written against).
const MOTO_SPEC: &[&str] = &["moto==5.2.5", "flask", "flask-cors", "boto3"];

pub enum MotoError {
    /// Python, venv or the package index is missing: skip unless CI requires moto.
    Unavailable(String),
    /// moto was there but misbehaved: always a failure.
    Broken(String),
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The venv's Python (see `find_or_create_venv`). Tests run on parallel threads of one
/// process: one creates the venv while the others wait, and a venv that could not be created
/// is not tried again by every test.
fn moto_python() -> Result<PathBuf, MotoError> {
    static UNAVAILABLE: Mutex<Option<String>> = Mutex::new(None);
    let mut unavailable = UNAVAILABLE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(why) = unavailable.as_ref() {
        return Err(MotoError::Unavailable(why.clone()));
    }
    let result = find_or_create_venv();
    if let Err(MotoError::Unavailable(why)) = &result {
        *unavailable = Some(why.clone());
    }
    result
}

/// The venv's Python, creating the venv under target/ on first use (or after MOTO_SPEC
/// changed). Built in a temporary folder and renamed into place, so a failed install never
/// leaves a half-made venv behind.
fn find_or_create_venv() -> Result<PathBuf, MotoError> {
    let venv = match std::env::var_os("KEYHOUND_MOTO_VENV") {
        Some(v) => PathBuf::from(v),
        None => repo_root().join("target").join("moto-venv"),
    };
    let python = venv.join("bin").join("python");
    let marker = venv.join("keyhound-moto-spec.txt");
    let spec = MOTO_SPEC.join(" ");
    if python.exists() && std::fs::read_to_string(&marker).ok().as_deref() == Some(&spec) {
        return Ok(python);
    }
    let base = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
    let tmp = venv.with_extension(format!("tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(tmp.parent().unwrap()).unwrap();
    eprintln!(
        "moto: creating {} with {spec} (once; about 20 s)",
        venv.display()
    );
    let started = Instant::now();
    let run = |cmd: &mut Command, what: &str| -> Result<(), MotoError> {
        let out = cmd
            .stdin(Stdio::null())
            .output()
            .map_err(|e| MotoError::Unavailable(format!("{what}: {e}")))?;
        if out.status.success() {
            Ok(())
        } else {
            let _ = std::fs::remove_dir_all(&tmp);
            let stderr = String::from_utf8_lossy(&out.stderr);
            let lines: Vec<&str> = stderr.trim().lines().collect();
            Err(MotoError::Unavailable(format!(
                "{what} failed ({}): {}",
                out.status,
                lines[lines.len().saturating_sub(3)..].join("\n")
            )))
        }
    };
    run(
        Command::new(&base).args(["-m", "venv"]).arg(&tmp),
        &format!("{base} -m venv (on Debian/Ubuntu: apt-get install python3-venv)"),
    )?;
    run(
        Command::new(tmp.join("bin").join("python"))
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(["--retries", "2", "--timeout", "30"])
            .args(MOTO_SPEC),
        "pip install of moto (needs the Python package index)",
    )?;
    std::fs::write(tmp.join("keyhound-moto-spec.txt"), &spec).unwrap();
    let _ = std::fs::remove_dir_all(&venv);
    std::fs::rename(&tmp, &venv).unwrap();
    eprintln!(
        "moto: venv ready in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(python)
}

/// moto's server, running in `fixtures/sts/moto_sts.py`; stopped by PID on drop.
pub struct Moto {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    log: PathBuf,
    info: Value,
}

impl Moto {
    /// Starts a server with the script's arguments (`--triage`: the triage scenario); its
    /// stderr goes to `target/moto-server-LABEL.log`.
    pub fn start_with(label: &str, args: &[&str]) -> Result<Moto, MotoError> {
        let python = moto_python()?;
        let started = Instant::now();
        let log = repo_root()
            .join("target")
            .join(format!("moto-server-{label}.log"));
        let log_file = std::fs::File::create(&log).unwrap();
        let mut child = Command::new(&python)
            .arg(repo_root().join("fixtures/sts/moto_sts.py"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .map_err(|e| MotoError::Unavailable(format!("{}: {e}", python.display())))?;
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut moto = Moto {
            stdin: child.stdin.take(),
            child,
            lines,
            log,
            info: Value::Null,
        };
        let first = moto
            .lines
            .recv_timeout(Duration::from_secs(120))
            .map_err(|_| MotoError::Broken(format!("moto did not start:\n{}", moto.log_tail())))?;
        moto.info = serde_json::from_str(&first)
            .map_err(|e| MotoError::Broken(format!("moto said {first:?}: {e}")))?;
        eprintln!(
            "moto: server pid {} on {} ready in {:.1} s",
            moto.child.id(),
            moto.get("endpoint"),
            started.elapsed().as_secs_f64()
        );
        Ok(moto)
    }

    /// A field of the line the script printed once ready (`endpoint`, `account`, keys).
    pub fn get(&self, field: &str) -> &str {
        self.info[field].as_str().unwrap()
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    fn command(&mut self, cmd: &str) -> Value {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{cmd}").unwrap();
        stdin.flush().unwrap();
        let line = self.lines.recv_timeout(Duration::from_secs(10)).unwrap();
        serde_json::from_str(&line).unwrap()
    }

    /// Requests moto received since the last reset: total and per access key ID.
    pub fn counts(&mut self) -> (u64, HashMap<String, u64>) {
        let v = self.command("counts");
        let by_key = v["by_key"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, n)| (k.clone(), n.as_u64().unwrap()))
            .collect();
        (v["total"].as_u64().unwrap(), by_key)
    }

    /// Requests moto received since the last reset, per action (`GetCallerIdentity`, …).
    pub fn actions(&mut self) -> HashMap<String, u64> {
        let v = self.command("counts");
        v["actions"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, n)| (k.clone(), n.as_u64().unwrap()))
            .collect()
    }

    /// The keys of the triage scenario (`--triage`), by user name: (key ID, secret).
    pub fn triage_keys(&self) -> HashMap<String, (String, String)> {
        self.info["triage"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(name, k)| {
                let get = |f: &str| k[f].as_str().unwrap().to_string();
                (name.clone(), (get("akid"), get("secret")))
            })
            .collect()
    }

    pub fn reset(&mut self) {
        assert_eq!(self.command("reset")["ok"], Value::Bool(true));
    }

    /// Closes stdin (the script then shuts the server down), waits a little, then kills the
    /// process by its PID.
    pub fn stop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.stop();
    }
}

/// moto and the keys it minted, or `None` (with a message) when it cannot be installed and CI
/// does not require it. `label` names the test (and its server log). The server must run in
/// `ACCOUNT`.
pub fn moto_or_skip(label: &str) -> Option<(Moto, MotoKeys)> {
    moto_with_or_skip(label, &[])
}

/// `moto_or_skip` with the script's arguments.
pub fn moto_with_or_skip(label: &str, args: &[&str]) -> Option<(Moto, MotoKeys)> {
    let required = std::env::var("KEYHOUND_REQUIRE_MOTO").is_ok_and(|v| v == "1");
    match Moto::start_with(label, args) {
        Ok(moto) => {
            let keys = MotoKeys::of(&moto);
            assert_eq!(moto.get("account"), ACCOUNT);
            Some((moto, keys))
        }
        Err(MotoError::Broken(why)) => panic!("moto test server failed: {why}"),
        Err(MotoError::Unavailable(why)) if required => {
            panic!("KEYHOUND_REQUIRE_MOTO=1 but moto is unavailable: {why}")
        }
        Err(MotoError::Unavailable(why)) => {
            eprintln!(
                "SKIPPED moto STS tests ({label}): moto is unavailable ({why}). \
                 Set KEYHOUND_REQUIRE_MOTO=1 to make this a failure."
            );
            None
        }
    }
}

/// What moto minted for the test.
pub struct MotoKeys {
    pub akid: String,
    pub secret: String,
    /// The same secret with its last character changed.
    pub wrong_secret: String,
    /// An AKIA ID in moto's account that moto does not know.
    pub unknown: String,
    pub asia: String,
    pub asia_secret: String,
    pub asia_token: String,
}

impl MotoKeys {
    pub fn of(moto: &Moto) -> MotoKeys {
        let secret = moto.get("secret").to_string();
        let mut wrong_secret = secret.clone();
        let last = if secret.ends_with('A') { 'B' } else { 'A' };
        wrong_secret.pop();
        wrong_secret.push(last);
        MotoKeys {
            akid: moto.get("akid").to_string(),
            secret,
            wrong_secret,
            unknown: moto.get("unknown_akid").to_string(),
            asia: moto.get("asia_akid").to_string(),
            asia_secret: moto.get("asia_secret").to_string(),
            asia_token: moto.get("asia_token").to_string(),
        }
    }
}
