//! keyhound: a secret-leak scanner. It walks files (and git history) in parallel, finds AWS
//! access key IDs, secret access keys and session tokens, pairs them into credentials, and
//! reports them as text, JSON, JSONL or SARIF.
//!
//! The scan is a pipeline: `cli` → `config` → `source` (blobs) → `matcher` (candidates) →
//! `pair` (findings) → `report`; `app` runs it as a list of steps.

pub mod app;
pub mod cli;
pub mod config;
pub mod detect;
pub mod error;
pub mod finding;
pub mod gitleaks;
pub mod history;
pub mod hook;
pub mod matcher;
pub mod pair;
pub mod report;
pub mod rule;
pub mod source;
pub mod suppress;
pub mod verify;
