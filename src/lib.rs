//! keyhound: a secret-leak scanner. It walks files and git history in parallel, finds AWS
//! access key IDs, secret access keys and session tokens (and other credentials described by
//! rule files), pairs them into credentials, verifies live pairs against AWS STS, and reports
//! them as text, JSON, JSONL or SARIF.
//!
//! The scan is a pipeline, one module per stage: `cli` (flags) → `config` (settings and the
//! project configuration) → `app` (the commands as steps, and the `Scanner` they build) →
//! `source` (`Blob`s with their `Origin`: files, standard input, git objects, history, the
//! index) → `extract` (text out of what was read) → `detect` (the prefilter, pattern rules and
//! inline ignores, with `aws` for AWS key IDs, secrets, tokens and their pairing) → `suppress`
//! (allowlists, baseline) → `verify` (STS, and IAM triage of live keys) → `report`. Data types
//! sit at the bottom and depend on nothing above them: `rule` (rules as data), `finding`,
//! `triage` (what triage learned), `location`, `error`.
//!
//! The library exists for the binary and the integration tests; only what they use is public.

#![warn(unreachable_pub)]

pub mod app;
pub mod aws;
pub mod cli;
mod config;
mod detect;
pub mod error;
mod extract;
pub mod finding;
#[cfg(feature = "fuzzing")]
pub mod fuzz;
mod location;
mod report;
pub mod rule;
mod source;
mod suppress;
pub mod triage;
pub mod verify;

/// A small deterministic generator for the unit tests' random cases (xorshift64): the same
/// cases on every run, so that a failure can be replayed.
#[cfg(test)]
mod test_rng {
    /// Numbers below `n` (which must not be 0), from `seed` (which must not be 0).
    pub(crate) fn xorshift(mut seed: u64) -> impl FnMut(u64) -> u64 {
        move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        }
    }
}
