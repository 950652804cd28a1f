//! The history walk: every commit reachable from any ref (branches, tags, remotes, the stash, a
//! detached HEAD), oldest first (see `graph`), each distinct tree visited once, recording where
//! each blob first appears (the commit and the path) and reporting tree entries whose object is
//! missing. Every commit, tag and tree is read and parsed by keyhound: a damaged one is an
//! error naming it, and the walk goes on.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use git2::{ObjectType, Oid, Repository};

use super::graph::{Graph, Walked};
use super::store::{Data, Reader, Store};
use super::{parse, with_odb};
use crate::error::Error;
use crate::source::Tally;

/// Tags of tags followed at most this deep.
const MAX_PEEL: usize = 32;

/// Where a blob first appears in history: the oldest commit (by position in an oldest-first
/// walk of every ref) whose tree holds it, and its path there.
#[derive(Debug, Clone)]
pub(crate) struct BlobPlace {
    pub(crate) commit: Oid,
    pub(crate) path: String,
    pub(crate) order: usize,
}

/// Where each blob of history first appears.
#[derive(Debug, Default)]
pub(crate) struct Places {
    pub(crate) places: HashMap<Oid, BlobPlace>,
    /// Every ref, commit and tree could be read: a blob that has no place is in no commit
    /// that a ref reaches.
    pub(crate) complete: bool,
}

/// Walks every commit reachable from any ref, oldest first, visiting each distinct tree once,
/// and records where each blob first appears. A tree entry whose object is missing from the
/// database is an error (the scan of the remaining blobs goes on): listing the database alone
/// would never notice it.
pub(crate) fn walk_history(git_dir: &Path, store: &Store, tally: &Tally) -> Places {
    with_odb(git_dir, tally, |repo, odb| {
        let reader = store.reader(odb);
        let (order, complete) = every_commit(repo, &reader, tally);
        let partial = is_partial_clone(repo);
        let mut visit = TreeVisit {
            reader: &reader,
            seen: HashSet::new(),
            places: HashMap::new(),
            tally,
            complete,
            partial,
            missing: 0,
        };
        for (n, walked) in order.into_iter().enumerate() {
            if let Some(tree) = walked.tree {
                visit.commit(walked.commit, tree, n);
            }
        }
        if visit.missing > 0 {
            // One error for the blobs a partial clone does not hold, not one per blob.
            tally.error(Error::Git {
                object: git_dir.display().to_string(),
                message: format!(
                    "{} blob{} of history {} not in this partial clone (cloned with --filter; \
                     blobs are fetched on demand), so {} not scanned; fetch them with `git \
                     backfill` (git 2.49 or later) or clone without --filter, and scan again",
                    visit.missing,
                    if visit.missing == 1 { "" } else { "s" },
                    if visit.missing == 1 { "is" } else { "are" },
                    if visit.missing == 1 {
                        "it was"
                    } else {
                        "they were"
                    },
                ),
            });
        }
        if repo.is_shallow() {
            tally.warn(format!(
                "{} is a shallow clone: history before its shallow boundary is not in it and \
                 was not scanned (fetch it with `git fetch --unshallow`)",
                git_dir.display()
            ));
        }
        Places {
            places: visit.places,
            complete: visit.complete,
        }
    })
    .unwrap_or_default()
}

/// Every commit reachable from any ref or HEAD, oldest first, and whether every ref and
/// commit could be read.
fn every_commit(repo: &Repository, reader: &Reader<'_, '_>, tally: &Tally) -> (Vec<Walked>, bool) {
    let mut graph = Graph::new(reader, tally, shallow(repo));
    let (tips, mut complete) = ref_tips(repo, tally);
    for (name, oid) in tips {
        match peel_to_commit(reader, oid) {
            Ok(Some(c)) => graph.push(c, false),
            // Tags of trees and blobs have no history.
            Ok(None) => {}
            Err(e) => {
                complete = false;
                tally.error(Error::Git {
                    object: format!("ref {name}"),
                    message: e.to_string(),
                });
            }
        }
    }
    // A detached HEAD is reachable from no ref.
    if let Some(head) = repo.head().ok().and_then(|h| h.resolve().ok()?.target()) {
        if let Ok(Some(c)) = peel_to_commit(reader, head) {
            graph.push(c, false);
        }
    }
    let (walked, all_read) = graph.run();
    (walked, complete && all_read)
}

/// Every ref under `refs/` with the object it points at (symbolic refs resolved), in the
/// order libgit2 lists them, and whether every ref could be read (one that cannot is an
/// error).
pub(crate) fn ref_tips(repo: &Repository, tally: &Tally) -> (Vec<(String, Oid)>, bool) {
    let refs = match repo.references_glob("refs/*") {
        Ok(r) => r,
        Err(e) => {
            tally.error(Error::git("listing refs", &e));
            return (Vec::new(), false);
        }
    };
    let mut out = Vec::new();
    let mut complete = true;
    for r in refs {
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                tally.error(Error::git("listing refs", &e));
                complete = false;
                continue;
            }
        };
        let name = String::from_utf8_lossy(r.name_bytes()).into_owned();
        // A symbolic ref to nothing (an unborn branch) holds no history.
        if let Some(oid) = r.resolve().ok().and_then(|t| t.target()) {
            out.push((name, oid));
        }
    }
    (out, complete)
}

/// The commit `oid` names, through annotated tags; `None` for a tree or a blob.
pub(crate) fn peel_to_commit(reader: &Reader<'_, '_>, oid: Oid) -> Result<Option<Oid>, Error> {
    let mut at = oid;
    for _ in 0..MAX_PEEL {
        match reader.header(at)? {
            Some((ObjectType::Commit, _)) => return Ok(Some(at)),
            Some((ObjectType::Tag, _)) => {
                let data = reader.read_kind(at, ObjectType::Tag)?;
                at = parse::tag_target(data.bytes())
                    .map(|(target, _)| target)
                    .ok_or_else(|| Error::Git {
                        object: format!("git tag {at}"),
                        message: "damaged (no object line)".into(),
                    })?;
            }
            Some(_) => return Ok(None),
            None => {
                return Err(Error::Git {
                    object: format!("git object {at}"),
                    message: "missing from the repository".into(),
                })
            }
        }
    }
    Err(Error::Git {
        object: format!("git tag {oid}"),
        message: format!("more than {MAX_PEEL} tags of tags"),
    })
}

/// Whether the repository is a partial clone (`git clone --filter`), whose missing objects are
/// fetched on demand: a promisor remote, or (older git) `extensions.partialclone`.
pub(crate) fn is_partial_clone(repo: &Repository) -> bool {
    let Ok(config) = repo.config() else {
        return false;
    };
    let promisor = config
        .entries(Some(r"remote\..*\.promisor"))
        .ok()
        .is_some_and(|mut entries| {
            let mut any = false;
            while let Some(Ok(e)) = entries.next() {
                any |= e.value().is_some_and(|v| v.eq_ignore_ascii_case("true"));
            }
            any
        });
    promisor
        || config
            .get_string("extensions.partialclone")
            .is_ok_and(|v| !v.is_empty())
}

/// The commits of a shallow clone's boundary (`shallow`), which git takes to have no parents.
pub(crate) fn shallow(repo: &Repository) -> HashSet<Oid> {
    std::fs::read_to_string(repo.commondir().join("shallow"))
        .map(|text| {
            text.lines()
                .filter_map(|l| Oid::from_str(l.trim()).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// The tree walk of every commit: each distinct tree once, recording each blob's first place.
struct TreeVisit<'a, 's, 'o> {
    reader: &'a Reader<'s, 'o>,
    seen: HashSet<Oid>,
    places: HashMap<Oid, BlobPlace>,
    tally: &'a Tally,
    /// No tree failed to read so far.
    complete: bool,
    /// A partial clone, whose missing blobs are counted instead of reported one by one.
    partial: bool,
    missing: u64,
}

/// A tree being visited: its content, where its next entry starts, and its path.
struct Frame<'o> {
    tree: Oid,
    data: Data<'o>,
    at: usize,
    prefix: String,
}

impl<'o> TreeVisit<'_, '_, 'o> {
    /// Visits the tree of commit `commit` (the `order`-th of the walk), depth first, in the
    /// order of the entries; nested trees cost no stack.
    fn commit(&mut self, commit: Oid, tree: Oid, order: usize) {
        let mut stack: Vec<Frame<'o>> = Vec::new();
        if let Some(f) = self.open(tree, String::new(), commit) {
            stack.push(f);
        }
        while let Some(frame) = stack.last_mut() {
            let (oid, kind, path) = match parse::tree_entry(frame.data.bytes(), frame.at) {
                None => {
                    stack.pop();
                    continue;
                }
                Some(Err(problem)) => {
                    self.complete = false;
                    let object = tree_at(frame.tree, &frame.prefix, commit);
                    self.tally.error(Error::Git {
                        object,
                        message: problem,
                    });
                    stack.pop();
                    continue;
                }
                Some(Ok((entry, next))) => {
                    frame.at = next;
                    // A path is built only for what is new: most entries were seen before.
                    let new = match entry.kind() {
                        ObjectType::Blob => !self.places.contains_key(&entry.oid),
                        ObjectType::Tree => !self.seen.contains(&entry.oid),
                        _ => false,
                    };
                    if !new {
                        continue;
                    }
                    (entry.oid, entry.kind(), join(&frame.prefix, entry.name))
                }
            };
            match kind {
                ObjectType::Blob => self.blob(oid, path, commit, order),
                _ => {
                    if let Some(f) = self.open(oid, path, commit) {
                        stack.push(f);
                    }
                }
            }
        }
    }

    /// Records the first place of a blob, and an error if it is missing.
    fn blob(&mut self, oid: Oid, path: String, commit: Oid, order: usize) {
        if self.places.contains_key(&oid) {
            return;
        }
        if !self.reader.exists(oid) {
            if self.partial {
                self.missing += 1;
            } else {
                self.tally.error(Error::Git {
                    object: format!("git blob {oid} ({path} in commit {commit})"),
                    message: "missing from the repository".into(),
                });
            }
        }
        self.places.insert(
            oid,
            BlobPlace {
                commit,
                path,
                order,
            },
        );
    }

    /// Reads a tree not seen before; a tree that cannot be read is an error.
    fn open(&mut self, oid: Oid, prefix: String, commit: Oid) -> Option<Frame<'o>> {
        if !self.seen.insert(oid) {
            return None;
        }
        match self.reader.read_kind(oid, ObjectType::Tree) {
            Ok(data) => Some(Frame {
                tree: oid,
                data,
                at: 0,
                prefix,
            }),
            Err(e) => {
                self.complete = false;
                let message = match e {
                    Error::Git { message, .. } => message,
                    other => other.to_string(),
                };
                self.tally.error(Error::Git {
                    object: tree_at(oid, &prefix, commit),
                    message,
                });
                None
            }
        }
    }
}

/// How an error names a tree of a commit.
fn tree_at(tree: Oid, prefix: &str, commit: Oid) -> String {
    if prefix.is_empty() {
        format!("git tree {tree} (root of commit {commit})")
    } else {
        format!("git tree {tree} ({prefix} in commit {commit})")
    }
}

pub(crate) fn join(prefix: &str, name: &[u8]) -> String {
    let name = String::from_utf8_lossy(name);
    if prefix.is_empty() {
        name.into_owned()
    } else {
        format!("{prefix}/{name}")
    }
}

/// Blob ids in the tree of HEAD (empty when there is no HEAD or it cannot be read).
pub(crate) fn head_blobs(repo: &Repository, reader: &Reader<'_, '_>) -> HashSet<Oid> {
    let mut out = HashSet::new();
    let Some(commit) = head_commit(repo, reader) else {
        return out;
    };
    let Some(tree) = commit_tree(reader, commit) else {
        return out;
    };
    let mut stack = vec![tree];
    let mut seen = HashSet::new();
    while let Some(t) = stack.pop() {
        if !seen.insert(t) {
            continue;
        }
        let Ok(data) = reader.read_kind(t, ObjectType::Tree) else {
            continue;
        };
        for e in parse::tree(data.bytes()).0 {
            match e.kind() {
                ObjectType::Blob => {
                    out.insert(e.oid);
                }
                ObjectType::Tree => stack.push(e.oid),
                _ => {}
            }
        }
    }
    out
}

/// The commit HEAD names, if any.
pub(crate) fn head_commit(repo: &Repository, reader: &Reader<'_, '_>) -> Option<Oid> {
    let head = repo.head().ok()?.resolve().ok()?.target()?;
    peel_to_commit(reader, head).ok().flatten()
}

/// The tree of a commit, if it can be read.
pub(crate) fn commit_tree(reader: &Reader<'_, '_>, commit: Oid) -> Option<Oid> {
    let data = reader.read_kind(commit, ObjectType::Commit).ok()?;
    parse::commit(data.bytes()).ok().map(|c| c.tree)
}
