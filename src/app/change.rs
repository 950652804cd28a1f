//! `keyhound scan --staged` and `keyhound scan --since REV`: a change, not a tree. As steps:
//! find the repository holding the path, list the blobs the change introduces (the index
//! entries that differ from HEAD, or what each commit of the range added), scan them (in
//! parallel when there are more than a few), attach the commit that introduced each blob with a finding, and (for a range)
//! keep one finding per credential and path, from the oldest commit.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use git2::{Oid, Repository};
use rayon::prelude::*;

use super::Scanner;
use crate::config::Settings;
use crate::error::Error;
use crate::extract::{self, Limits};
use crate::finding::{CommitInfo, Finding};
use crate::source::fs::display_path;
use crate::source::git::change::{self, NewBlob};
use crate::source::git::objects::read_blob;
use crate::source::git::store::{Reader, Store};
use crate::source::git::{commit, with_odb};
use crate::source::{Blob, GitPlace, Origin, Stats, Tally};

/// `--staged`: what the next commit will record. A pre-commit hook reads a few objects, so
/// the object database is opened for a few (see `Store::open_for_few`) until the list shows
/// many.
pub(crate) fn staged(
    given: &Path,
    settings: &Settings,
    scanner: &Scanner,
    tally: &Tally,
) -> Vec<Finding> {
    let list = |repo: &Repository, reader: &Reader<'_, '_>| change::staged(repo, reader, tally);
    let change = Change {
        flag: "--staged",
        few: true,
    };
    scan_change(given, change, list, settings, scanner, tally)
}

/// `--since REV` / `A..B`: what the commits of the range introduced.
pub(crate) fn since(
    given: &Path,
    spec: &str,
    settings: &Settings,
    scanner: &Scanner,
    tally: &Tally,
) -> Vec<Finding> {
    let list =
        |repo: &Repository, reader: &Reader<'_, '_>| change::since(repo, reader, spec, tally);
    let change = Change {
        flag: "--since",
        few: false,
    };
    let findings = scan_change(given, change, list, settings, scanner, tally);
    oldest_per_path(findings)
}

/// What kind of change is scanned: its flag (for messages), and whether its objects are
/// opened for reading a few (`Store::open_for_few`) or many (`Store::open`).
struct Change {
    flag: &'static str,
    few: bool,
}

/// Finds the repository, lists the blobs of the change with `list`, and scans them.
fn scan_change(
    given: &Path,
    change: Change,
    list: impl FnOnce(&Repository, &Reader<'_, '_>) -> Result<Vec<NewBlob>, Error>,
    settings: &Settings,
    scanner: &Scanner,
    tally: &Tally,
) -> Vec<Finding> {
    let Some(repo) = discover(given, change.flag, tally) else {
        return Vec::new();
    };
    let store = if change.few {
        Store::open_for_few(&repo)
    } else {
        Store::open(&repo)
    };
    let odb = match repo.odb() {
        Ok(o) => o,
        Err(e) => {
            tally.error(Error::git(repo.path().display().to_string(), &e));
            return Vec::new();
        }
    };
    let reader = store.reader(&odb);
    let blobs = match list(&repo, &reader) {
        Ok(b) => b,
        Err(e) => {
            tally.error(e);
            return Vec::new();
        }
    };
    let base = display_base(given, &repo);
    let job = Job {
        base: &base,
        max_size: settings.walk.max_file_size,
        limits: &settings.walk.archive,
        scanner,
        tally,
        commits: Mutex::new(HashMap::new()),
    };
    if blobs.len() <= CHUNK {
        // A few blobs (a commit's worth, usually): scanned here, with the handle that listed
        // them, rather than by a pool of threads each opening the repository again.
        return job.scan_all(&reader, &blobs);
    }
    super::start_threads(settings.threads);
    // Many blobs: the pack indexes read whole cost less than a lookup by reads for each.
    let store = if change.few {
        Store::open(&repo)
    } else {
        store
    };
    scan_in_parallel(repo.path(), &store, &blobs, &job)
}

/// Blobs scanned by one thread, with one handle on the repository.
const CHUNK: usize = 64;

/// The repository holding `given` (the path itself or a parent), like git finds it.
fn discover(given: &Path, flag: &str, tally: &Tally) -> Option<Repository> {
    match Repository::discover(given) {
        Ok(r) => Some(r),
        Err(e) => {
            tally.error(Error::Git {
                object: format!("{flag}: {}", given.display()),
                message: format!("not in a git repository ({})", e.message()),
            });
            None
        }
    }
}

/// The directory that repository-relative paths are shown under: the given path when it is the
/// top of the repository, else nothing (paths stay relative to the repository).
fn display_base(given: &Path, repo: &Repository) -> PathBuf {
    let top = repo.workdir().and_then(|w| std::fs::canonicalize(w).ok());
    let given_abs = std::fs::canonicalize(given).ok();
    match (top, given_abs) {
        (Some(t), Some(g)) if t == g => given.to_path_buf(),
        _ => PathBuf::new(),
    }
}

/// Scans the blobs of a change in parallel, each thread with its own handle on the repository
/// at `git_dir`.
fn scan_in_parallel(
    git_dir: &Path,
    store: &Store,
    blobs: &[NewBlob],
    job: &Job<'_>,
) -> Vec<Finding> {
    let findings: Mutex<Vec<Finding>> = Mutex::new(Vec::new());
    blobs.par_chunks(CHUNK).for_each(|chunk| {
        with_odb(git_dir, job.tally, |_, odb| {
            let found = job.scan_all(&store.reader(odb), chunk);
            if !found.is_empty() {
                if let Ok(mut all) = findings.lock() {
                    all.extend(found);
                }
            }
        });
    });
    findings.into_inner().unwrap_or_default()
}

/// What every blob of a change is scanned with.
struct Job<'a> {
    base: &'a Path,
    max_size: u64,
    limits: &'a Limits,
    scanner: &'a Scanner,
    tally: &'a Tally,
    /// Commits already looked up.
    commits: Mutex<HashMap<Oid, CommitInfo>>,
}

impl Job<'_> {
    /// Reads and scans each of `blobs`, one after the other.
    fn scan_all(&self, reader: &Reader<'_, '_>, blobs: &[NewBlob]) -> Vec<Finding> {
        blobs
            .iter()
            .flat_map(|new| self.scan(reader, new))
            .collect()
    }

    /// Reads and scans one blob; its findings carry the commit that introduced it.
    fn scan(&self, reader: &Reader<'_, '_>, new: &NewBlob) -> Vec<Finding> {
        let stats = &self.tally.stats;
        let Some(obj) = read_blob(reader, new.oid, self.max_size, self.tally) else {
            return Vec::new();
        };
        let data = obj.bytes();
        Stats::add(&stats.blobs, 1);
        Stats::add(&stats.blob_bytes, data.len() as u64);
        let path = display_path(&self.base.join(&new.path));
        let place = |commit: Option<CommitInfo>| GitPlace {
            shown: path.clone(),
            rule_path: path.clone(),
            commit,
        };
        let origin = match new.commit {
            None => Origin::staged(path.clone()),
            Some(_) => Origin::git_placed(String::new(), new.oid.to_string(), place(None)),
        };
        // The blob, or each member of the archive it is.
        let found: Mutex<Vec<Finding>> = Mutex::new(Vec::new());
        let visit = |blob: &Blob<'_>| {
            let f = self.scanner.detector.detect(blob).record(stats);
            if !f.is_empty() {
                found.lock().unwrap_or_else(|p| p.into_inner()).extend(f);
            }
        };
        extract::scan(data, origin, self.limits, self.tally, &visit);
        let found = found.into_inner().unwrap_or_else(|p| p.into_inner());
        match new.commit {
            // Only a blob with findings costs the lookup of its commit.
            Some(id) if !found.is_empty() => {
                let info = commit_info(&self.commits, reader, id);
                let origin =
                    Origin::git_placed(String::new(), new.oid.to_string(), place(Some(info)));
                self.scanner.detector.attach(found, &origin)
            }
            _ => found,
        }
    }
}

/// The author and date of commit `id`, looked up once per commit.
fn commit_info(
    cache: &Mutex<HashMap<Oid, CommitInfo>>,
    reader: &Reader<'_, '_>,
    id: Oid,
) -> CommitInfo {
    let mut cache = cache.lock().unwrap_or_else(|p| p.into_inner());
    cache
        .entry(id)
        .or_insert_with(|| commit::commit_info(reader, id))
        .clone()
}

/// One finding per credential and path: the one of the oldest commit.
fn oldest_per_path(mut findings: Vec<Finding>) -> Vec<Finding> {
    let date = |f: &Finding| {
        f.primary()
            .and_then(|l| l.commit.as_ref())
            .map(|c| c.date.clone())
    };
    findings.sort_by_key(date);
    let mut seen = HashSet::new();
    findings.retain(|f| seen.insert((f.fingerprint.clone(), f.primary().map(|l| l.path.clone()))));
    findings
}
