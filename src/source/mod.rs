//! Sources produce `Blob`s: bytes and the `Origin` that says where they came from. `fs` walks
//! files in parallel, `stream` reads standard input and pipes named on the command line, `git`
//! reads objects, history, the index and ranges of commits. This module also owns what every
//! source shares: the counters of the summary (`Stats`), kept apart from the errors that did
//! not stop the scan (`Problems`).

pub(crate) mod fs;
pub(crate) mod git;
pub(crate) mod stream;

use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Problems};
use crate::finding::CommitInfo;

/// Bytes to scan and where they came from.
#[derive(Debug)]
pub(crate) struct Blob<'a> {
    pub bytes: &'a [u8],
    pub origin: Origin,
    /// When extraction made new text (the printable strings of binary content, a decoded
    /// e-mail): the content it was made from and where each byte came from, so that findings
    /// say where they are in the content, not in the text scanned.
    pub view: Option<crate::extract::View<'a>>,
}

/// Where a blob came from: its source and, for content inside a container (an archive, an
/// image), the chain of members that holds it, outermost first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin {
    pub source: Source,
    pub members: Vec<String>,
    /// For a file in a layer of a container image: a later layer deletes it (it still ships
    /// in the image).
    pub deleted: bool,
}

/// The outermost place a blob was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// A file, by its path as walked.
    File { path: String },
    /// Standard input.
    Stdin,
    /// A git blob of the repository shown as `repo`, with where it is in history once known.
    /// `unreachable`: the walk of every ref was complete and found it in no commit.
    Git {
        repo: String,
        blob: String,
        place: Option<GitPlace>,
        unreachable: bool,
    },
    /// An index entry staged for the next commit, by its path as shown.
    Staged { path: String },
}

/// Where a git blob stands: the path reports show, the path a rule's `path` limit is matched
/// against, and the commit that introduced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GitPlace {
    pub shown: String,
    pub rule_path: String,
    pub commit: Option<CommitInfo>,
}

/// Display name of standard input in reports.
pub(crate) const STDIN_NAME: &str = "<stdin>";

impl Origin {
    fn of(source: Source) -> Origin {
        Origin {
            source,
            members: Vec::new(),
            deleted: false,
        }
    }

    /// A file, by its path as walked (see `fs::display_path`).
    pub(crate) fn file(path: String) -> Origin {
        Origin::of(Source::File { path })
    }

    /// Standard input.
    pub(crate) fn stdin() -> Origin {
        Origin::of(Source::Stdin)
    }

    /// A git blob whose place in history is not known (yet).
    pub(crate) fn git_blob(repo: String, blob: String) -> Origin {
        Origin::of(Source::Git {
            repo,
            blob,
            place: None,
            unreachable: false,
        })
    }

    /// A git blob in no commit that any ref reaches.
    pub(crate) fn git_unreachable(repo: String, blob: String) -> Origin {
        Origin::of(Source::Git {
            repo,
            blob,
            place: None,
            unreachable: true,
        })
    }

    /// A git blob at a known place.
    pub(crate) fn git_placed(repo: String, blob: String, place: GitPlace) -> Origin {
        Origin::of(Source::Git {
            repo,
            blob,
            place: Some(place),
            unreachable: false,
        })
    }

    /// A staged index entry.
    pub(crate) fn staged(path: String) -> Origin {
        Origin::of(Source::Staged { path })
    }

    /// The path reports show.
    pub(crate) fn shown_path(&self) -> String {
        match &self.source {
            Source::File { path } | Source::Staged { path } => path.clone(),
            Source::Stdin => STDIN_NAME.to_string(),
            Source::Git { place: Some(p), .. } => p.shown.clone(),
            Source::Git {
                repo,
                blob,
                place: None,
                ..
            } => format!("{repo}@blob:{blob}"),
        }
    }

    /// The path rules limited to some paths are matched against; `None` when not known.
    pub(crate) fn rule_path(&self) -> Option<&str> {
        match &self.source {
            Source::File { path } | Source::Staged { path } => Some(path),
            Source::Stdin => Some(STDIN_NAME),
            Source::Git { place, .. } => place.as_ref().map(|p| p.rule_path.as_str()),
        }
    }

    /// Whether the content is a git object that no commit of any ref holds.
    pub(crate) fn unreachable(&self) -> bool {
        matches!(
            self.source,
            Source::Git {
                unreachable: true,
                ..
            }
        )
    }

    /// The commit that introduced the content, for git blobs placed in history.
    pub(crate) fn commit(&self) -> Option<&CommitInfo> {
        match &self.source {
            Source::Git { place: Some(p), .. } => p.commit.as_ref(),
            _ => None,
        }
    }
}

/// Counters shared by all sources and threads, for the summary.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub files: AtomicU64,
    pub bytes: AtomicU64,
    /// Git blobs read.
    pub blobs: AtomicU64,
    pub blob_bytes: AtomicU64,
    /// Work-tree files not read because git history already held their content.
    pub unchanged: AtomicU64,
    /// Binary content read as its printable strings.
    pub binary_strings: AtomicU64,
    /// Binary content not read (`--no-binary`).
    pub skipped_binary: AtomicU64,
    pub skipped_large: AtomicU64,
    /// Pipes, sockets and devices met while walking (not opened).
    pub skipped_special: AtomicU64,
    /// keyhound's own reports: the `-o` file, and reports recognised by their content.
    pub skipped_reports: AtomicU64,
    /// Files that disappeared between listing and reading.
    pub vanished: AtomicU64,
    pub examples: AtomicU64,
    /// Findings dropped by an inline ignore comment.
    pub ignored_inline: AtomicU64,
    /// Findings in unreachable git objects, not reported (without `--include-unreachable`).
    pub unreachable: AtomicU64,
    /// Containers opened (zip, tar, compressed streams), at every level.
    pub archives: AtomicU64,
    /// Container images opened.
    pub images: AtomicU64,
    /// Members of containers read, and their bytes.
    pub members: AtomicU64,
    pub member_bytes: AtomicU64,
    /// Containers not opened: deeper than `--max-archive-depth`.
    pub skipped_depth: AtomicU64,
    /// Top-level files whose opening stopped at a limit: decompressed size, ratio (or
    /// overlapping zip entries), member count.
    pub skipped_archive_size: AtomicU64,
    pub skipped_ratio: AtomicU64,
    pub skipped_members: AtomicU64,
    /// Damaged containers (every readable member scanned).
    pub damaged: AtomicU64,
    /// Encrypted members, not scanned.
    pub encrypted: AtomicU64,
}

/// A plain copy of the counters, and how many errors the scan met.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub files: u64,
    pub bytes: u64,
    pub blobs: u64,
    pub blob_bytes: u64,
    pub unchanged: u64,
    pub binary_strings: u64,
    pub skipped_binary: u64,
    pub skipped_large: u64,
    pub skipped_special: u64,
    pub skipped_reports: u64,
    pub vanished: u64,
    pub errors: u64,
    pub examples: u64,
    pub ignored_inline: u64,
    pub unreachable: u64,
    pub archives: u64,
    pub images: u64,
    pub members: u64,
    pub member_bytes: u64,
    pub skipped_depth: u64,
    pub skipped_archive_size: u64,
    pub skipped_ratio: u64,
    pub skipped_members: u64,
    pub damaged: u64,
    pub encrypted: u64,
}

impl Stats {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

/// What a scan records besides its findings: the counters and the errors that did not stop it.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub stats: Stats,
    problems: Problems,
    /// What the user should know about the scan that is not an error (a shallow clone).
    warnings: std::sync::Mutex<Vec<String>>,
}

impl Tally {
    /// Records something the user should know that is not an error.
    pub(crate) fn warn(&self, message: String) {
        match self.warnings.lock() {
            Ok(mut w) => w.push(message),
            Err(p) => p.into_inner().push(message),
        }
    }

    /// The warnings recorded, in order.
    pub(crate) fn warnings(&self) -> Vec<String> {
        self.warnings
            .lock()
            .map_or_else(|p| p.into_inner().clone(), |w| w.clone())
    }

    /// Records an error that does not stop the scan (it makes the exit status 2).
    pub(crate) fn error(&self, e: Error) {
        self.problems.push(e);
    }

    /// The counters now.
    pub(crate) fn counts(&self) -> Counts {
        let s = &self.stats;
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Counts {
            files: get(&s.files),
            bytes: get(&s.bytes),
            blobs: get(&s.blobs),
            blob_bytes: get(&s.blob_bytes),
            unchanged: get(&s.unchanged),
            binary_strings: get(&s.binary_strings),
            skipped_binary: get(&s.skipped_binary),
            skipped_large: get(&s.skipped_large),
            skipped_special: get(&s.skipped_special),
            skipped_reports: get(&s.skipped_reports),
            vanished: get(&s.vanished),
            errors: self.problems.len() as u64,
            examples: get(&s.examples),
            ignored_inline: get(&s.ignored_inline),
            unreachable: get(&s.unreachable),
            archives: get(&s.archives),
            images: get(&s.images),
            members: get(&s.members),
            member_bytes: get(&s.member_bytes),
            skipped_depth: get(&s.skipped_depth),
            skipped_archive_size: get(&s.skipped_archive_size),
            skipped_ratio: get(&s.skipped_ratio),
            skipped_members: get(&s.skipped_members),
            damaged: get(&s.damaged),
            encrypted: get(&s.encrypted),
        }
    }

    /// The counters and the recorded errors as messages, sorted.
    pub(crate) fn finish(self) -> (Counts, Vec<String>) {
        let counts = self.counts();
        (counts, self.problems.messages())
    }
}
