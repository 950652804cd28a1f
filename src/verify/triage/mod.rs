//! `--aws-triage`: for each key pair that verified `live`, read-only IAM calls made with that
//! key (they show up in the owner's CloudTrail) answer who it belongs to, how old it is, when
//! and where it was last used, the account alias, its policies and what it can do, and give
//! it a risk level. Each distinct credential is triaged once, on `concurrency` threads, with
//! the same endpoint rules and limits as verification (plain http only on loopback, no
//! redirects, a timeout per call and a time budget for the run); a managed policy document is
//! read once per run. Keys that did not verify live (canaries and examples among them) are
//! never triaged. `calls` holds the allowlist of actions and the client, `gather` the
//! questions asked of one key, `policy` the evaluation of policy documents, `risk` the
//! verdict, `xml` the reading of IAM's answers.

mod calls;
mod gather;
mod policy;
mod risk;
mod xml;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::skip::Job;
use super::{Endpoint, Status, MAX_TIMEOUT};
use crate::finding::Finding;
use crate::triage::Triage;

pub use risk::HIGH_IMPACT;

/// The names of every action triage may send (`GetUser`, …): the allowlist, for tests that
/// check what reached a server.
pub fn allowed_actions() -> Vec<&'static str> {
    calls::Action::ALL.iter().map(|a| a.name()).collect()
}

/// How to triage.
#[derive(Debug, Clone)]
pub struct TriageConfig {
    pub endpoint: Endpoint,
    /// Keys triaged at once (at least one).
    pub concurrency: usize,
    /// The limit for each call (capped at a day).
    pub timeout: Duration,
}

/// Triages every live AWS key pair among `findings` and records the result in its verdict.
pub(crate) fn findings(findings: &mut [Finding], cfg: &TriageConfig) {
    let mut jobs: Vec<(Job, String)> = Vec::new();
    let mut index: HashMap<Job, usize> = HashMap::new();
    let mut plan: Vec<(usize, usize)> = Vec::new();
    for (fi, f) in findings.iter().enumerate() {
        let Some(v) = f.verification.as_ref().filter(|v| v.status == Status::Live) else {
            continue;
        };
        let (Some(aws), Some(secret), Some(arn)) = (&f.aws, &f.secret, &v.arn) else {
            continue;
        };
        // As verification sent it: a long-term key without a token.
        let token = f
            .session_token
            .clone()
            .filter(|_| aws.key_id.starts_with("ASIA"));
        let job = Job {
            key_id: aws.key_id.clone(),
            secret: secret.clone(),
            token,
        };
        let ji = *index.entry(job.clone()).or_insert_with(|| {
            jobs.push((job, arn.clone()));
            jobs.len() - 1
        });
        plan.push((fi, ji));
    }
    let results = run(&jobs, cfg);
    for (fi, ji) in plan {
        if let (Some(f), Some(Some(t))) = (findings.get_mut(fi), results.get(ji)) {
            if let Some(v) = f.verification.as_mut() {
                v.triage = Some(Box::new(t.clone()));
            }
        }
    }
}

/// Triages each (credential, ARN) on worker threads; one result per job, in order.
pub(crate) fn run(jobs: &[(Job, String)], cfg: &TriageConfig) -> Vec<Option<Triage>> {
    if jobs.is_empty() {
        return Vec::new();
    }
    let timeout = cfg.timeout.min(MAX_TIMEOUT);
    let budget = timeout.saturating_mul(120).max(Duration::from_secs(120));
    let shared = gather::Shared {
        client: calls::IamClient::new(&cfg.endpoint, timeout, Instant::now() + budget),
        documents: Mutex::new(HashMap::new()),
        down: Mutex::new(None),
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let next = AtomicUsize::new(0);
    let workers = cfg.concurrency.clamp(1, jobs.len());
    let mut results: Vec<Option<Triage>> = vec![None; jobs.len()];
    thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some((job, arn)) = jobs.get(i) else {
                            return done;
                        };
                        done.push((i, gather::triage(&shared, job, arn, now)));
                    }
                })
            })
            .collect();
        for h in handles {
            // A worker that panicked leaves its keys without triage, never the scan.
            for (i, t) in h.join().unwrap_or_default() {
                if let Some(slot) = results.get_mut(i) {
                    *slot = Some(t);
                }
            }
        }
    });
    results
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests;
