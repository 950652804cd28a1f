//! Integration tests for the `keyhound` binary: one test binary, split by topic.
//!
//! - `support/`: test helpers, one file per job: the fake-credential generator (`creds`),
//!   fixture trees (`tree`), running the binary (`run`), the comparison of a JSON report with
//!   the exact findings a case expects (`expect`), git fixtures (`git`), loopback servers
//!   (`net`).
//! - `detect`: every family of leak the scanner must find, with exact findings.
//! - `encodings`: quoted-printable and base64 MIME parts of e-mails, JSON `\uXXXX` escapes,
//!   SigV4 credential scopes (headers, presigned URLs, HAR), the `Token` of instance metadata.
//! - `traps`: look-alikes that must produce no finding at all.
//! - `reports`: golden files for every format (in `fixtures/golden/`), SARIF checks,
//!   redaction, determinism, and the exact findings of the demo inputs in `fixtures/demo/`.
//! - `rules`: `keyhound rules list|check`, the embedded `rules/` files, user rules at scan time.
//! - `suppress/`: what keeps a finding out of the report, one file per mechanism: inline
//!   ignore comments (`inline`), `.keyhound.toml` discovery, disabled rules and configuration
//!   errors (`config`), allowlists (`allowlist`), baselines (`baseline`), and the import of
//!   `.gitleaks.toml` (`gitleaks`).
//! - `binary`: binary content read as its printable strings (ELF, .pyc, SQLite, UTF-16LE
//!   strings, git blobs), byte offsets in every format, `--no-binary`, UTF-16 without a mark.
//! - `archives`: archives, compressed files and container images: every format, nesting,
//!   the member chain in every report, hostile and damaged archives, archives in history.
//! - `cli`: flags, exit codes and bad input.
//! - `damaged`: damaged repositories (truncated loose trees and commits, an invalid pack
//!   entry, unreadable timestamps, refs to missing objects, deep trees) and unreachable objects.
//! - `inputs`: what is read and how: pipes and devices named as paths or met while walking,
//!   size limits on files and streams, UTF-16 by evidence, keyhound's own reports skipped.
//! - `limits`: hostile shapes whose cost could grow with the square of their size (thousands
//!   of matches on one line, more records than the pairing table takes, thousands of rules),
//!   with exact findings and columns.
//! - `history`: git history (every ref, provenance, corrupt objects), `--staged` and `--since`
//!   on repositories built at test time with `git` and a fixed author and date.
//! - `hook`: `keyhound hook install|uninstall` and a real `git commit` through the hook.
//! - `integrations`: the `gitlab` and `github` formats, completions, the man page, grouped
//!   help, gitleaks spellings, and `keyhound pre-commit` in each of its modes.
//! - `verify`: verification (the library) against moto's STS server and misbehaving loopback
//!   servers; `verify_cli`: verification through the binary (flags, environment, reports).
//! - `triage`: `--aws-triage` and the remediation against moto's IAM (users with attached,
//!   inline and group policies, no permission, an Inactive key, a role session).
//! - `moto`: the moto STS server they start (a venv under `target/`, stopped by PID).
//!
//! Every credential in these tests is generated at test time by a seeded generator; none is
//! real. The only ones committed are those of `fixtures/` (the golden reports and the demo
//! inputs), made by the same generator.

// Test code may unwrap: a failure is a test failure, with the message the panic gives.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod archives;
mod binary;
mod cli;
mod damaged;
mod detect;
mod encodings;
mod history;
mod hook;
mod inputs;
mod integrations;
mod limits;
mod moto;
mod reports;
mod rules;
mod support;
mod suppress;
mod traps;
mod triage;
mod verify;
mod verify_cli;
