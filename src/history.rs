//! The history scan of one repository, as steps: read and match every blob once, pair each
//! blob's candidates, trace the blobs with findings to the commit that introduced them, and
//! keep one finding per credential and path (the oldest). It also hands the work-tree walk what
//! it needs to skip files whose content history already covered.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use git2::Oid;

use crate::config::Config;
use crate::finding::Finding;
use crate::pair::Place;
use crate::source::fs::display_path;
use crate::source::git::{self, IndexStat};
use crate::source::{git_diff, text_content, Stats};
use rayon::prelude::*;

/// What the history scan of one repository produced.
pub struct History {
    /// The repository's top directory, as given on the command line.
    pub root: PathBuf,
    pub findings: Vec<Finding>,
    /// Every blob read.
    pub scanned: HashSet<Oid>,
    /// The index, to recognise unchanged work-tree files.
    pub index: Option<IndexStat>,
}

impl History {
    /// Whether the work-tree file `path` (as walked) holds a blob this scan already read.
    pub fn covers(&self, path: &Path, meta: &std::fs::Metadata) -> bool {
        let (Some(index), Ok(rel)) = (&self.index, path.strip_prefix(&self.root)) else {
            return false;
        };
        index
            .unchanged_blob(rel, meta)
            .is_some_and(|oid| self.scanned.contains(&oid))
    }
}

/// Blob findings before they are placed in history.
type BlobFindings = Vec<(Oid, Vec<Finding>)>;

/// Scans every blob of the repository at `root`.
pub fn scan(root: &Path, config: &Config, stats: &Stats) -> Option<History> {
    let repo = match git::open(root) {
        Ok(r) => r,
        Err(e) => {
            stats.error(format!(
                "{}: not a readable git repository: {}",
                root.display(),
                e.message()
            ));
            return None;
        }
    };
    let timing = std::env::var_os("KEYHOUND_TIMING").is_some();
    let t0 = std::time::Instant::now();
    let lap = |what: &str| {
        if timing {
            eprintln!(
                "keyhound: timing: {what}: {:.2}s",
                t0.elapsed().as_secs_f64()
            );
        }
    };
    // Step 1: every object id.
    let oids = match git::objects_in_pack_order(&repo) {
        Ok(o) => o,
        Err(e) => {
            stats.error(format!(
                "{}: listing git objects: {}",
                root.display(),
                e.message()
            ));
            return None;
        }
    };
    lap("objects listed");
    // Step 2: read and match each blob once, in parallel, pairing within each blob; walk the
    // history at the same time.
    let per_blob: Mutex<BlobFindings> = Mutex::new(Vec::new());
    let git_dir = repo.path().to_path_buf();
    let progress = progress_bar(config, root);
    // The walk of every commit's trees (provenance, missing objects) runs beside the reading.
    let (places, scanned) = rayon::join(
        || git::walk_history(&git_dir, stats),
        || {
            git::scan_blobs(
                &git_dir,
                &oids,
                config.max_file_size,
                stats,
                &progress,
                |oid, data| {
                    let found = config
                        .detector
                        .detect(
                            data,
                            Place {
                                path: "",
                                commit: None,
                            },
                        )
                        .record(stats);
                    if !found.is_empty() {
                        if let Ok(mut v) = per_blob.lock() {
                            v.push((oid, found));
                        }
                    }
                },
            )
        },
    );
    let per_blob = per_blob.into_inner().unwrap_or_default();
    lap("blobs read and matched, history walked");
    // Step 3: what HEAD still holds, by value: a key ID reported alone in an old blob is still
    // at HEAD when HEAD's blob pairs it with a secret.
    let at_head = git::head_blobs(&repo);
    let values_at_head: HashSet<String> = per_blob
        .iter()
        .filter(|(oid, _)| at_head.contains(oid))
        .flat_map(|(_, fs)| fs.iter().flat_map(values))
        .collect();
    // Step 4: place the findings and keep the oldest per credential and path.
    let mut commits: HashMap<Oid, crate::finding::CommitInfo> = HashMap::new();
    let mut best: HashMap<(String, String), (usize, Finding)> = HashMap::new();
    for (oid, findings) in per_blob {
        let (path, commit, order) = match places.get(&oid) {
            Some(p) => {
                let info = commits
                    .entry(p.commit)
                    .or_insert_with(|| git::commit_info(&repo, p.commit))
                    .clone();
                (display_path(&root.join(&p.path)), Some(info), p.order)
            }
            None => (
                format!("{}@blob:{oid}", display_path(root)),
                None,
                usize::MAX,
            ),
        };
        let rules = config.detector.rule_set();
        for mut f in findings {
            // A rule limited to some paths ran on every blob: its path is known only now.
            if let Some(p) = places.get(&oid) {
                if !rules.path_allows(f.rule.id, &p.path) {
                    continue;
                }
            }
            for l in &mut f.locations {
                l.path.clone_from(&path);
                l.commit.clone_from(&commit);
            }
            f.present_at_head = Some(values(&f).iter().all(|v| values_at_head.contains(v)));
            let key = (f.fingerprint.clone(), path.clone());
            match best.get(&key) {
                Some((o, _)) if *o <= order => {}
                _ => {
                    best.insert(key, (order, f));
                }
            }
        }
    }
    Some(History {
        root: root.to_path_buf(),
        findings: best.into_values().map(|(_, f)| f).collect(),
        scanned,
        index: IndexStat::load(&repo),
    })
}

/// Scans the blobs a change introduces (`--staged` or `--since`), in parallel.
fn scan_new_blobs(
    repo: &git2::Repository,
    blobs: &[git_diff::NewBlob],
    base: &Path,
    config: &Config,
    stats: &Stats,
) -> Vec<Finding> {
    let git_dir = repo.path().to_path_buf();
    let loose = git::LooseObjects::list(&git_dir);
    let commits: Mutex<HashMap<Oid, crate::finding::CommitInfo>> = Mutex::new(HashMap::new());
    let findings: Mutex<Vec<Finding>> = Mutex::new(Vec::new());
    blobs.par_chunks(64).for_each(|chunk| {
        let repo = match git2::Repository::open(&git_dir) {
            Ok(r) => r,
            Err(e) => {
                stats.error(format!("{}: {}", git_dir.display(), e.message()));
                return;
            }
        };
        let odb = match repo.odb() {
            Ok(o) => o,
            Err(e) => {
                stats.error(format!("{}: {}", git_dir.display(), e.message()));
                return;
            }
        };
        for blob in chunk {
            let path = display_path(&base.join(&blob.path));
            let Some(obj) = git::read_blob(&odb, &loose, blob.oid, config.max_file_size, stats)
            else {
                continue;
            };
            let data = obj.bytes();
            Stats::add(&stats.blobs, 1);
            Stats::add(&stats.blob_bytes, data.len() as u64);
            let Some(text) = text_content(data) else {
                Stats::add(&stats.skipped_binary, 1);
                continue;
            };
            let mut found = config
                .detector
                .detect(
                    &text,
                    Place {
                        path: &path,
                        commit: None,
                    },
                )
                .record(stats);
            if found.is_empty() {
                continue;
            }
            let commit = blob.commit.map(|id| {
                let mut cache = commits.lock().unwrap_or_else(|p| p.into_inner());
                cache
                    .entry(id)
                    .or_insert_with(|| git::commit_info(&repo, id))
                    .clone()
            });
            for f in &mut found {
                for l in &mut f.locations {
                    l.commit.clone_from(&commit);
                }
            }
            if let Ok(mut all) = findings.lock() {
                all.extend(found);
            }
        }
    });
    findings.into_inner().unwrap_or_default()
}

/// The directory that repository-relative paths are shown under: the given path when it is the
/// top of the repository, else nothing (paths stay relative to the repository).
fn display_base(given: &Path, repo: &git2::Repository) -> PathBuf {
    let top = repo.workdir().and_then(|w| std::fs::canonicalize(w).ok());
    let given_abs = std::fs::canonicalize(given).ok();
    match (top, given_abs) {
        (Some(t), Some(g)) if t == g => given.to_path_buf(),
        _ => PathBuf::new(),
    }
}

/// `--staged`: what the next commit will record.
pub fn scan_staged(given: &Path, config: &Config, stats: &Stats) -> Vec<Finding> {
    let repo = match git_diff::discover(given) {
        Ok(r) => r,
        Err(e) => {
            stats.error(format!(
                "--staged: {}: not in a git repository ({})",
                given.display(),
                e.message()
            ));
            return Vec::new();
        }
    };
    let blobs = match git_diff::staged(&repo) {
        Ok(b) => b,
        Err(e) => {
            stats.error(format!("--staged: reading the index: {}", e.message()));
            return Vec::new();
        }
    };
    let base = display_base(given, &repo);
    scan_new_blobs(&repo, &blobs, &base, config, stats)
}

/// `--since REV` / `A..B`: what the commits of the range introduced.
pub fn scan_since(given: &Path, spec: &str, config: &Config, stats: &Stats) -> Vec<Finding> {
    let repo = match git_diff::discover(given) {
        Ok(r) => r,
        Err(e) => {
            stats.error(format!(
                "--since: {}: not in a git repository ({})",
                given.display(),
                e.message()
            ));
            return Vec::new();
        }
    };
    let blobs = match git_diff::since(&repo, spec, stats) {
        Ok(b) => b,
        Err(git_diff::RangeError(msg)) => {
            stats.error(msg);
            return Vec::new();
        }
    };
    let base = display_base(given, &repo);
    let mut findings = scan_new_blobs(&repo, &blobs, &base, config, stats);
    // One finding per credential and path: the oldest commit of the range.
    findings.sort_by(|a, b| {
        let da = a
            .primary()
            .and_then(|l| l.commit.as_ref())
            .map(|c| c.date.clone());
        let db = b
            .primary()
            .and_then(|l| l.commit.as_ref())
            .map(|c| c.date.clone());
        da.cmp(&db)
    });
    let mut seen = HashSet::new();
    findings.retain(|f| seen.insert((f.fingerprint.clone(), f.primary().map(|l| l.path.clone()))));
    findings
}

/// A progress bar on standard error for reading history: shown only when standard error is a
/// terminal and the user did not ask for quiet, so CI logs and hooks never see it.
fn progress_bar(config: &Config, root: &Path) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if config.quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(0);
    let style = indicatif::ProgressStyle::with_template(
        "{prefix} [{bar:30}] {human_pos}/{human_len} objects, {elapsed} ({eta} left)",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
    .progress_chars("=> ");
    bar.set_style(style);
    bar.set_prefix(format!("keyhound: history of {}", display_path(root)));
    bar
}

/// The credential values of a finding (key ID, secret, token).
fn values(f: &Finding) -> Vec<String> {
    let mut v = Vec::new();
    if let Some(a) = &f.aws {
        v.push(a.key_id.clone());
    }
    if let Some(s) = &f.secret {
        v.push(s.expose().to_string());
    }
    if let Some(t) = &f.session_token {
        v.push(t.expose().to_string());
    }
    v
}
