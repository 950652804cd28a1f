//! `keyhound scan PATH...`: the files under each path and, for a path that is the top of a git
//! repository, its whole history. As steps: check the paths, scan the history of each
//! repository (every blob once, in parallel, beside a walk that places each blob at the commit
//! and path that introduced it), walk the files (skipping those whose content history already
//! covered), read the streams (standard input, and pipes or devices named as paths), and merge
//! the findings.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use git2::Oid;

use super::output::OutputFile;
use super::Scanner;
use crate::config::{Settings, Target};
use crate::error::Error;
use crate::extract::{self, Limits};
use crate::finding::{CommitInfo, Finding};
use crate::report::own::is_keyhound_report;
use crate::source::fs::{display_path, Pass};
use crate::source::git::index::IndexStat;
use crate::source::git::store::{Reader, Store};
use crate::source::git::walk::Places;
use crate::source::git::{self, commit, objects, walk};
use crate::source::stream::{self, Stream};
use crate::source::{fs, Blob, GitPlace, Origin, Stats, Tally};

/// Scans the files and histories `settings` names; the findings, unsorted. `report` is the
/// file this scan's report goes to, never scanned.
pub(crate) fn scan(
    settings: &Settings,
    scanner: &Scanner,
    report: Option<&OutputFile>,
    tally: &Tally,
) -> Vec<Finding> {
    // Step 1: every named path must exist; a missing one is an error, the others are scanned.
    let Roots {
        walk: roots,
        streams,
    } = roots(settings, tally);
    // Step 2: the git history of each root that is a repository (a path inside one that is
    // not its top has its files scanned only, and a warning says so).
    let mut histories = Vec::new();
    if settings.history {
        warn_of_histories_left_out(&roots, tally);
        if let Err(e) = git::configure() {
            tally.error(Error::git("configuring git", &e));
        }
        for root in roots.iter().filter(|r| git::is_repository(r)) {
            histories.extend(history(root, settings, scanner, tally));
        }
    }
    // Step 3: walk and scan the files, skipping those whose content history covered. The
    // files of a git directory (a bare repository) are git internals: its history is what
    // holds its content.
    let roots = without_git_dirs(roots, settings.history, tally);
    let files = Files {
        scanner,
        tally,
        findings: Mutex::new(Vec::new()),
    };
    let scan_blob = |blob: &Blob<'_>| files.scan(blob);
    // An OCI image layout directory named as a path is read as one image.
    let roots: Vec<&Path> = roots
        .into_iter()
        .filter(|r| {
            !(r.is_dir() && extract::scan_image_dir(r, &settings.walk.archive, tally, &scan_blob))
        })
        .collect();
    let skip = |path: &Path, meta: &std::fs::Metadata| {
        if report.is_some_and(|r| r.is(path, meta)) {
            Some(Pass::OwnReport)
        } else if histories.iter().any(|h| h.covers(path, meta)) {
            Some(Pass::Unchanged)
        } else {
            None
        }
    };
    fs::walk(&roots, &settings.walk, tally, &skip, scan_blob);
    // Step 4: the streams: pipes and devices named as paths, and standard input.
    let max = settings.walk.max_file_size;
    for path in streams {
        let read = stream::named(path, max).map_err(|e| Error::Io {
            path: path.to_path_buf(),
            source: e,
        });
        scan_stream(
            read,
            Origin::file(display_path(path)),
            &settings.walk.archive,
            tally,
            &scan_blob,
        );
    }
    if settings.targets.contains(&Target::Stdin) {
        scan_stream(
            stream::stdin(max),
            Origin::stdin(),
            &settings.walk.archive,
            tally,
            &scan_blob,
        );
    }
    // Step 5: a file finding that history already reports at the same path is the same leak.
    let findings = files.findings.into_inner().unwrap_or_default();
    merge(findings, histories.into_iter().flat_map(|h| h.findings))
}

/// The findings of files and streams, from many threads.
struct Files<'a> {
    scanner: &'a Scanner,
    tally: &'a Tally,
    findings: Mutex<Vec<Finding>>,
}

impl Files<'_> {
    /// Scans one file or stream; keyhound's own reports (an earlier `-o` under another name)
    /// name the key IDs they found, and are skipped and counted.
    fn scan(&self, blob: &Blob<'_>) {
        if is_keyhound_report(blob.bytes) {
            Stats::add(&self.tally.stats.skipped_reports, 1);
            return;
        }
        let found = self.scanner.detector.detect(blob).record(&self.tally.stats);
        if !found.is_empty() {
            if let Ok(mut all) = self.findings.lock() {
                all.extend(found);
            }
        }
    }
}

/// The named paths that exist: the files and directories to walk, and the streams (a pipe, a
/// process substitution, a device) to read whole, as the user named them.
struct Roots<'a> {
    walk: Vec<&'a Path>,
    streams: Vec<&'a Path>,
}

/// The named paths that exist, sorted into `Roots`; the others are errors.
fn roots<'a>(settings: &'a Settings, tally: &Tally) -> Roots<'a> {
    let mut roots = Roots {
        walk: Vec::new(),
        streams: Vec::new(),
    };
    for t in &settings.targets {
        if let Target::Path(p) = t {
            // Following symbolic links: `<(cmd)` names `/dev/fd/N`, a link to a pipe.
            match std::fs::metadata(p) {
                Ok(m) if m.is_file() || m.is_dir() => roots.walk.push(p.as_path()),
                Ok(_) => roots.streams.push(p.as_path()),
                Err(e) => tally.error(Error::Path {
                    path: p.clone(),
                    source: e,
                }),
            }
        }
    }
    roots
}

/// Warns of the roots inside a git work tree that are not its top: their history is not
/// scanned (only a path that is the top of a repository has it scanned); one warning per
/// repository.
fn warn_of_histories_left_out(roots: &[&Path], tally: &Tally) {
    let mut left_out: Vec<(PathBuf, Vec<String>)> = Vec::new();
    for root in roots.iter().filter(|r| !git::is_repository(r)) {
        let dir = if root.is_dir() {
            root.to_path_buf()
        } else {
            root.parent().map(Path::to_path_buf).unwrap_or_default()
        };
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        let Some(top) = git2::Repository::discover(&dir)
            .ok()
            .and_then(|r| r.workdir().map(Path::to_path_buf))
        else {
            continue;
        };
        let shown = display_path(root);
        match left_out.iter_mut().find(|(t, _)| *t == top) {
            Some((_, paths)) => paths.push(shown),
            None => left_out.push((top, vec![shown])),
        }
    }
    for (top, paths) in left_out {
        let top = display_path(&top);
        let top = top.trim_end_matches('/');
        let (what, is) = match paths.as_slice() {
            [one] => (one.clone(), "is not"),
            many => (many.join(", "), "are not"),
        };
        tally.warn(format!(
            "history not scanned: {what} {is} the top of the git repository {top} (scan {top} \
             for its history)"
        ));
    }
}

/// The roots to walk: all but git directories (a bare repository, or a `.git` directory
/// named as a path), whose history is scanned instead (a warning says so when `--no-history`
/// leaves nothing of them to scan).
fn without_git_dirs<'a>(roots: Vec<&'a Path>, history: bool, tally: &Tally) -> Vec<&'a Path> {
    let (git_dirs, walk): (Vec<&Path>, Vec<&Path>) = roots
        .into_iter()
        .partition(|r| git::is_repository(r) && !r.join(".git").exists());
    if !history {
        for dir in git_dirs {
            tally.warn(format!(
                "{} not scanned: a git directory holds git internals, not files, and \
                 --no-history leaves out its history",
                display_path(dir)
            ));
        }
    }
    walk
}

/// A stream read whole (standard input, a named pipe), scanned as one blob.
fn scan_stream(
    read: crate::error::Result<Stream>,
    origin: Origin,
    limits: &Limits,
    tally: &Tally,
    scan_blob: &(dyn Fn(&Blob<'_>) + Sync),
) {
    match read {
        Ok(Stream::Read(data)) => {
            Stats::add(&tally.stats.files, 1);
            Stats::add(&tally.stats.bytes, data.len() as u64);
            extract::scan(&data, origin, limits, tally, scan_blob);
        }
        Ok(Stream::TooLarge) => Stats::add(&tally.stats.skipped_large, 1),
        Err(e) => tally.error(e),
    }
}

/// File findings, less those that history reports at the same path, and history findings.
fn merge(mut files: Vec<Finding>, history: impl Iterator<Item = Finding>) -> Vec<Finding> {
    let history: Vec<Finding> = history.collect();
    let known: HashSet<(&str, &str)> = history
        .iter()
        .filter_map(|f| {
            f.primary()
                .map(|l| (f.fingerprint.as_str(), l.path.as_str()))
        })
        .collect();
    files.retain(|f| {
        !f.primary()
            .is_some_and(|l| known.contains(&(f.fingerprint.as_str(), l.path.as_str())))
    });
    files.extend(history);
    files
}

/// What the history scan of one repository produced.
struct History {
    /// The repository's top directory, as given on the command line.
    root: PathBuf,
    findings: Vec<Finding>,
    /// Every blob read.
    scanned: HashSet<Oid>,
    /// The index, to recognise unchanged work-tree files.
    index: Option<IndexStat>,
}

impl History {
    /// Whether the work-tree file `path` (as walked) holds a blob this scan already read.
    fn covers(&self, path: &Path, meta: &std::fs::Metadata) -> bool {
        let (Some(index), Ok(rel)) = (&self.index, path.strip_prefix(&self.root)) else {
            return false;
        };
        index
            .unchanged_blob(rel, meta)
            .is_some_and(|oid| self.scanned.contains(&oid))
    }
}

/// Scans every blob of the repository at `root`: reads and matches each blob once, places the
/// blobs with findings in history, and keeps one finding per credential and path (the oldest).
fn history(root: &Path, settings: &Settings, scanner: &Scanner, tally: &Tally) -> Option<History> {
    let repo = match git2::Repository::open(root) {
        Ok(r) => r,
        Err(e) => {
            tally.error(Error::git(
                format!("{}: not a readable git repository", root.display()),
                &e,
            ));
            return None;
        }
    };
    let timing = Timing::new();
    // Step 1: every object id.
    let store = Store::open(&repo);
    let oids = match repo.odb().and_then(|odb| store.listing(&odb)) {
        Ok(o) => o,
        Err(e) => {
            tally.error(Error::git(
                format!("{}: listing git objects", root.display()),
                &e,
            ));
            return None;
        }
    };
    timing.lap("objects listed");
    // Step 2: read and match each blob once, in parallel, with the walk of every commit's
    // trees (provenance, missing objects) beside it.
    let read = read_all_blobs(&repo, &store, root, &oids, settings, scanner, tally);
    timing.lap("blobs read and matched, history walked");
    // Step 3: place the findings and keep the oldest per credential and path.
    let findings = match repo.odb() {
        Ok(odb) => {
            let placing = Placing {
                repo: &repo,
                reader: &store.reader(&odb),
                root,
                places: &read.places,
                detector: &scanner.detector,
                include_unreachable: settings.include_unreachable,
                tally,
            };
            placing.place(read.per_blob)
        }
        Err(e) => {
            tally.error(Error::git(root.display().to_string(), &e));
            Vec::new()
        }
    };
    Some(History {
        root: root.to_path_buf(),
        findings,
        scanned: read.scanned,
        index: IndexStat::load(&repo),
    })
}

/// `KEYHOUND_TIMING=1` prints how long each step of a history scan took.
struct Timing(Option<std::time::Instant>);

impl Timing {
    fn new() -> Timing {
        Timing(std::env::var_os("KEYHOUND_TIMING").map(|_| std::time::Instant::now()))
    }

    fn lap(&self, what: &str) {
        if let Some(t0) = self.0 {
            eprintln!(
                "keyhound: timing: {what}: {:.2}s",
                t0.elapsed().as_secs_f64()
            );
        }
    }
}

/// Findings of each blob, before they are placed in history.
type BlobFindings = Vec<(Oid, Vec<Finding>)>;

/// What reading a repository's blobs produced.
struct Read {
    per_blob: BlobFindings,
    places: Places,
    scanned: HashSet<Oid>,
}

/// Reads and matches every blob among `oids`, and walks history beside it.
fn read_all_blobs(
    repo: &git2::Repository,
    store: &Store,
    root: &Path,
    oids: &[Oid],
    settings: &Settings,
    scanner: &Scanner,
    tally: &Tally,
) -> Read {
    let per_blob: Mutex<BlobFindings> = Mutex::new(Vec::new());
    let git_dir = repo.path().to_path_buf();
    let shown_root = display_path(root);
    let progress = super::progress::history_bar(settings.quiet, root);
    let (places, scanned) = rayon::join(
        || walk::walk_history(&git_dir, store, tally),
        || {
            objects::scan_blobs(
                &git_dir,
                store,
                &shown_root,
                oids,
                &settings.walk.archive,
                tally,
                &progress,
                |oid, blob| {
                    let found = scanner.detector.detect(blob).record(&tally.stats);
                    if !found.is_empty() {
                        if let Ok(mut v) = per_blob.lock() {
                            v.push((oid, found));
                        }
                    }
                },
            )
        },
    );
    Read {
        per_blob: per_blob.into_inner().unwrap_or_default(),
        places,
        scanned,
    }
}

/// What placing a repository's findings in its history needs.
struct Placing<'a, 's, 'o> {
    repo: &'a git2::Repository,
    reader: &'a Reader<'s, 'o>,
    root: &'a Path,
    places: &'a Places,
    detector: &'a crate::detect::Detector,
    include_unreachable: bool,
    tally: &'a Tally,
}

impl Placing<'_, '_, '_> {
    /// Gives each blob's findings the commit and path that introduced the blob and whether
    /// their values are still at HEAD, and keeps the oldest finding per credential and path.
    /// Findings of unreachable blobs are counted, and kept only when asked for.
    fn place(&self, per_blob: BlobFindings) -> Vec<Finding> {
        // What HEAD still holds, by value: a key ID reported alone in an old blob is still at
        // HEAD when HEAD's blob pairs it with a secret.
        let at_head = walk::head_blobs(self.repo, self.reader);
        let values_at_head: HashSet<String> = per_blob
            .iter()
            .filter(|(oid, _)| at_head.contains(oid))
            .flat_map(|(_, fs)| fs.iter().flat_map(values))
            .collect();
        let mut commits: HashMap<Oid, CommitInfo> = HashMap::new();
        let mut best: HashMap<(String, String), (usize, Finding)> = HashMap::new();
        for (oid, findings) in per_blob {
            let (origin, order) = self.origin(oid, &mut commits);
            if origin.unreachable() && !self.include_unreachable {
                Stats::add(&self.tally.stats.unreachable, findings.len() as u64);
                continue;
            }
            for mut f in self.detector.attach(findings, &origin) {
                f.present_at_head = (!origin.unreachable())
                    .then(|| values(&f).iter().all(|v| values_at_head.contains(v)));
                let path = f.primary().map(|l| l.path.clone()).unwrap_or_default();
                let key = (f.fingerprint.clone(), path);
                match best.get(&key) {
                    Some((o, _)) if *o <= order => {}
                    _ => {
                        best.insert(key, (order, f));
                    }
                }
            }
        }
        best.into_values().map(|(_, f)| f).collect()
    }

    /// Where blob `oid` is in history, and the position of its commit in the walk.
    fn origin(&self, oid: Oid, commits: &mut HashMap<Oid, CommitInfo>) -> (Origin, usize) {
        let shown_root = display_path(self.root);
        match self.places.places.get(&oid) {
            Some(p) => {
                let info = commits
                    .entry(p.commit)
                    .or_insert_with(|| commit::commit_info(self.reader, p.commit))
                    .clone();
                let place = GitPlace {
                    shown: display_path(&self.root.join(&p.path)),
                    rule_path: p.path.clone(),
                    commit: Some(info),
                };
                let origin = Origin::git_placed(shown_root, oid.to_string(), place);
                (origin, p.order)
            }
            // Every ref, commit and tree was read, and none holds it.
            None if self.places.complete => (
                Origin::git_unreachable(shown_root, oid.to_string()),
                usize::MAX,
            ),
            // History could not be read whole: where it is is unknown.
            None => (Origin::git_blob(shown_root, oid.to_string()), usize::MAX),
        }
    }
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
