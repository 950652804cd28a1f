//! Verification of AWS credentials: is a found key pair live? Each distinct (key ID, secret,
//! token) is sent once, as a SigV4-signed STS `GetCallerIdentity` (no permission needed, changes
//! nothing), from a few worker threads with timeouts, retries on throttling and a bounded total
//! time. Credentials that must not or cannot be sent are `skipped` without any request:
//! documentation examples, known canary-token accounts (their alarm fires on use), key types
//! STS cannot check, and temporary keys without their session token. A verdict is `invalid` only
//! when AWS says so; timeouts, throttling, server errors, clock skew and anything unexpected
//! are `unknown`. This module owns the worker pool, the cache of distinct credentials and the
//! limits; `skip` decides what is never sent, `endpoint` where requests go, `aws` the HTTP
//! call and the response table, `identity` what a success must hold to be believed, `sigv4`
//! the signature, `triage` the opt-in read-only IAM questions asked of live keys.

mod aws;
mod endpoint;
mod identity;
mod sigv4;
mod skip;
mod triage;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub use crate::finding::{Status, Verdict};
pub use endpoint::Endpoint;
pub(crate) use skip::parse_skip_accounts_file;
use skip::Job;
pub use skip::BUILTIN_CANARY_ACCOUNTS;
pub(crate) use triage::findings as triage_findings;
pub use triage::{allowed_actions, TriageConfig, HIGH_IMPACT};

/// The classification of an STS response, for the fuzzer.
#[cfg(feature = "fuzzing")]
pub(crate) fn classify_for_fuzzing(status: u16, body: &str, account: Option<&str>) -> Verdict {
    aws::classify_with_retry(status, body, account).0
}

use crate::aws::AwsRules;
use crate::finding::{Finding, Secret};

/// Timeouts above this are treated as this.
const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 3600);
/// Attempts per credential when throttled (the first try included).
const THROTTLE_ATTEMPTS: u32 = 3;
/// First backoff after throttling; doubled each time, plus jitter.
const BACKOFF: Duration = Duration::from_millis(300);
/// Pause before resubmitting after SignatureDoesNotMatch.
const SIGNATURE_RETRY_DELAY: Duration = Duration::from_millis(500);

/// A credential to verify. `Debug` redacts the secret and the token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Credential {
    pub key_id: String,
    pub secret: Secret,
    pub session_token: Option<Secret>,
}

/// How to verify.
#[derive(Debug, Clone)]
pub struct VerifyConfig {
    pub endpoint: Endpoint,
    /// Worker threads (at least one is used).
    pub concurrency: usize,
    /// Connect timeout, and the limit for each whole request (capped at a day).
    pub timeout: Duration,
    /// Extra canary accounts (12 digits) never sent, besides `BUILTIN_CANARY_ACCOUNTS`.
    pub skip_accounts: HashSet<String>,
}

/// Verifies each credential; the result has the same length and order as `creds`. Identical
/// credentials are sent once; a long-term (AKIA) key is sent without any session token paired
/// with it. Skips need no network; the rest run on `cfg.concurrency` threads, and an empty or
/// all-skipped input makes no request at all. After a run of indeterminate answers (the endpoint down or throttling everything),
/// or once the time budget (60 × timeout, at least a minute) is spent, the remaining
/// credentials are not sent and come back `unknown`.
pub fn verify_all(creds: &[Credential], cfg: &VerifyConfig, rules: &AwsRules) -> Vec<Verdict> {
    let mut jobs: Vec<Job> = Vec::new();
    let mut index: HashMap<Job, usize> = HashMap::new();
    let plan: Vec<Result<usize, Verdict>> = creds
        .iter()
        .map(|c| {
            skip::precheck(c, &cfg.skip_accounts, rules).map(|job| {
                *index.entry(job.clone()).or_insert_with(|| {
                    jobs.push(job);
                    jobs.len() - 1
                })
            })
        })
        .collect();
    let results = run_jobs(&jobs, cfg);
    plan.into_iter()
        .map(|p| match p {
            Ok(i) => results
                .get(i)
                .cloned()
                .flatten()
                .unwrap_or_else(|| Verdict::unknown("internal error: verification did not run")),
            Err(v) => v,
        })
        .collect()
}

/// Records the verdict of every key pair among `findings` (each distinct pair is sent once).
/// With no configuration (`--no-verify`) the pairs are marked skipped; a scan with no pair
/// makes no request.
pub(crate) fn findings(findings: &mut [Finding], cfg: Option<&VerifyConfig>, rules: &AwsRules) {
    let pairs: Vec<&mut Finding> = findings
        .iter_mut()
        .filter(|f| f.rule.id == rules.pair.id)
        .collect();
    let Some(cfg) = cfg else {
        for f in pairs {
            f.verification = Some(Verdict::skipped("--no-verify"));
        }
        return;
    };
    // A pair finding always has both parts; one that did not would be `unknown`, never a
    // reason to leave the others unverified.
    let creds: Vec<Option<Credential>> = pairs
        .iter()
        .map(|f| {
            Some(Credential {
                key_id: f.aws.as_ref()?.key_id.clone(),
                secret: f.secret.clone()?,
                session_token: f.session_token.clone(),
            })
        })
        .collect();
    let sendable: Vec<Credential> = creds.iter().flatten().cloned().collect();
    let mut verdicts = verify_all(&sendable, cfg, rules).into_iter();
    for (f, c) in pairs.into_iter().zip(&creds) {
        f.verification = Some(match c {
            Some(_) => verdicts
                .next()
                .unwrap_or_else(|| Verdict::unknown("internal error: verification did not run")),
            None => Verdict::unknown("not a complete key pair"),
        });
    }
}

/// Runs the jobs on worker threads; one verdict per job, in order.
fn run_jobs(jobs: &[Job], cfg: &VerifyConfig) -> Vec<Option<Verdict>> {
    if jobs.is_empty() {
        return Vec::new();
    }
    let workers = cfg.concurrency.clamp(1, jobs.len());
    // Longer limits only risk overflowing instant arithmetic; nobody waits a day per request.
    let timeout = cfg.timeout.min(MAX_TIMEOUT);
    let budget = timeout.saturating_mul(60).max(Duration::from_secs(60));
    let pool = Pool {
        jobs,
        client: aws::Client::new(&cfg.endpoint, timeout),
        next: AtomicUsize::new(0),
        deadline: Instant::now() + budget,
        breaker: (2 * workers).max(5),
        failures_in_a_row: AtomicUsize::new(0),
        last_failure: Mutex::new(String::new()),
    };
    let mut results: Vec<Option<Verdict>> = vec![None; jobs.len()];
    thread::scope(|s| {
        let handles: Vec<_> = (0..workers).map(|_| s.spawn(|| pool.work())).collect();
        for h in handles {
            // A worker that panicked leaves its jobs unset; they become `unknown`.
            for (i, v) in h.join().unwrap_or_default() {
                if let Some(slot) = results.get_mut(i) {
                    *slot = Some(v);
                }
            }
        }
    });
    results
}

/// What the workers share: the job list and a cursor into it, the HTTP client, and the limits
/// on total time.
struct Pool<'a> {
    jobs: &'a [Job],
    client: aws::Client,
    next: AtomicUsize,
    /// No request starts after it.
    deadline: Instant,
    /// After this many indeterminate answers in a row (endpoint down, everything throttled,
    /// clock skew), the remaining jobs are not sent.
    breaker: usize,
    failures_in_a_row: AtomicUsize,
    last_failure: Mutex<String>,
}

impl Pool<'_> {
    /// One worker: takes jobs until none are left; returns (job index, verdict) pairs.
    fn work(&self) -> Vec<(usize, Verdict)> {
        let mut done = Vec::new();
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(job) = self.jobs.get(i) else {
                return done;
            };
            let in_a_row = self.failures_in_a_row.load(Ordering::Relaxed);
            let verdict = if in_a_row >= self.breaker {
                let last = self
                    .last_failure
                    .lock()
                    .map(|l| l.clone())
                    .unwrap_or_default();
                Verdict::unknown(format!(
                    "not sent: {in_a_row} verifications in a row were indeterminate (last: {last})"
                ))
            } else if Instant::now() >= self.deadline {
                Verdict::unknown("not sent: the verification time budget is spent")
            } else {
                let v = verify_one(&self.client, job, self.deadline);
                if v.status == Status::Unknown {
                    if let Ok(mut l) = self.last_failure.lock() {
                        l.clone_from(&v.reason);
                    }
                    self.failures_in_a_row.fetch_add(1, Ordering::Relaxed);
                } else {
                    self.failures_in_a_row.store(0, Ordering::Relaxed);
                }
                v
            };
            done.push((i, verdict));
        }
    }
}

/// One credential: the request, then retries on throttling (with backoff) and one resubmission
/// after SignatureDoesNotMatch, never past `deadline`.
fn verify_one(client: &aws::Client, job: &Job, deadline: Instant) -> Verdict {
    let mut attempt = 1;
    let mut resubmitted = false;
    loop {
        let (mut verdict, retry) =
            client.get_caller_identity(&job.key_id, &job.secret, job.token.as_ref());
        let pause = match retry {
            aws::Retry::Throttled if attempt < THROTTLE_ATTEMPTS => {
                Some(BACKOFF.saturating_mul(1 << (attempt - 1)) + jitter())
            }
            aws::Retry::Signature if !resubmitted => {
                resubmitted = true;
                Some(SIGNATURE_RETRY_DELAY)
            }
            _ => None,
        };
        let Some(pause) = pause.filter(|p| Instant::now() + *p < deadline) else {
            if retry == aws::Retry::Throttled && attempt > 1 {
                verdict.reason = format!("{} after {attempt} attempts", verdict.reason);
            }
            if job.token.is_some() && verdict.reason.starts_with("key ID does not exist") {
                verdict
                    .reason
                    .push_str(", or the session token is not valid");
            }
            return verdict;
        };
        thread::sleep(pause);
        attempt += 1;
    }
}

/// Up to 100 ms, from the clock: enough to spread retries of concurrent workers apart.
fn jitter() -> Duration {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    Duration::from_millis(u64::from(nanos % 100))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
pub(crate) mod tests {
    use super::*;

    /// A credential from its parts (for the tests of this module and `skip`).
    pub(crate) fn cred(key: &str, secret: &str, token: Option<&str>) -> Credential {
        Credential {
            key_id: key.to_string(),
            secret: Secret::new(secret),
            session_token: token.map(Secret::new),
        }
    }

    /// A made-up secret access key.
    pub(crate) const SECRET: &str = "hV3kq9Zp0sLw4Rt7Yx2Bn5Mc8Vd1Fg6Hj0Kl3Qw";

    #[test]
    fn status_names() {
        let all = [
            Status::Live,
            Status::Invalid,
            Status::Unknown,
            Status::Skipped,
        ];
        let names: Vec<_> = all.iter().map(|s| s.as_str()).collect();
        assert_eq!(names, ["live", "invalid", "unknown", "skipped"]);
        assert_eq!(Status::Live.to_string(), "live");
    }

    #[test]
    fn skips_need_no_endpoint_and_keep_order() {
        // Port 9 on loopback: nothing is sent anyway, and nothing listens there.
        let cfg = VerifyConfig {
            endpoint: Endpoint::parse("http://127.0.0.1:9").unwrap(),
            concurrency: 2,
            timeout: Duration::from_millis(200),
            skip_accounts: HashSet::new(),
        };
        let creds = [
            cred("ASIAQAAAAAAAGMKEM7X5", SECRET, None),
            cred("AKIAIOSFODNN7EXAMPLE", SECRET, None),
            cred("ACCAQAAAAAAAGMKEM7X5", SECRET, None),
        ];
        let rules = AwsRules::builtin().unwrap();
        let out = verify_all(&creds, &cfg, &rules);
        let reasons: Vec<_> = out.iter().map(|v| v.reason.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "temporary key without session token",
                "AWS documentation example",
                "key type cannot be verified"
            ]
        );
        assert!(out.iter().all(|v| v.status == Status::Skipped));
        assert!(verify_all(&[], &cfg, &rules).is_empty());
    }

    #[test]
    fn credential_debug_redacts() {
        let c = cred(
            "ASIAQAAAAAAAGMKEM7X5",
            SECRET,
            Some("FQoGZXIvYXdzEXAMPLETOKENVALUE"),
        );
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("Zp0sLw4Rt7"), "{dbg}");
        assert!(!dbg.contains("EXAMPLETOKEN"), "{dbg}");
    }
}
