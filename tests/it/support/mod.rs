//! Helpers for the integration tests, one file per job:
//!
//! - `creds`: the seeded generator of fake credentials (key IDs, secrets, session tokens, hex,
//!   UUIDs, encodings) and the account a key ID encodes.
//! - `tree`: fixture trees in temporary directories, `{{NAME}}` templates, lines of values.
//! - `run`: running the `keyhound` binary (hermetic environment, standard input, time limit)
//!   and the JSON scan most tests make.
//! - `expect`: the exact findings a case expects, and their comparison with a JSON report.
//! - `git`: `git` with a fixed identity and date, and repositories built at test time.
//! - `archive`: archives, compressed files and container images built at test time.
//! - `keystore`: JKS, JCEKS and PKCS #12 keystores built at test time.
//! - `net`: loopback network helpers (a closed port, a listener that never answers).
//! - `schema`: a JSON Schema validator for the keywords GitLab's report schemas use.
//!
//! Everything is re-exported here: test files `use crate::support::*` or name
//! `crate::support::X` without caring which file holds `X`.

pub mod archive;
mod creds;
mod expect;
mod git;
mod keystore;
mod net;
mod run;
mod schema;
mod tree;

pub use creds::*;
pub use expect::*;
pub use git::*;
pub use keystore::*;
pub use net::*;
pub use run::*;
pub use schema::*;
pub use tree::*;
