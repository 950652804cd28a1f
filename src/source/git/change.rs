//! The blobs a change introduces: what `git commit` is about to record (`--staged`: index
//! entries that differ from HEAD, read from the index, never from the work tree), and what a
//! range of commits added (`--since REV`, `A..B`). A blob is new in a commit when it differs
//! from every parent's blob at the same path, so merges contribute only what they resolved.
//! Commits and trees are read by keyhound (see `store`), so a damaged one is an error.

use std::collections::{HashMap, HashSet};

use git2::{ObjectType, Oid, Repository};

use super::graph::Graph;
use super::index_file::{self, CacheTree, IndexEntry, IndexFile};
use super::parse;
use super::store::Reader;
use super::walk::{commit_tree, peel_to_commit, shallow};
use crate::error::Error;
use crate::source::Tally;

/// A blob to scan, with the path and commit it is attributed to.
#[derive(Debug, Clone)]
pub(crate) struct NewBlob {
    pub(crate) oid: Oid,
    pub(crate) path: String,
    /// `None` for staged content (not committed yet).
    pub(crate) commit: Option<Oid>,
}

/// The gitlink mode of a submodule entry.
const GITLINK: u32 = 0o160000;

/// Index entries that differ from HEAD (all of them before the first commit). Deleted files,
/// conflicted entries and submodules carry nothing to scan and are left out. When HEAD's tree
/// cannot be read (a damaged repository), that is an error and every staged entry is scanned.
/// HEAD's trees are read only where the index's cache tree does not already show them
/// unchanged (see `HeadView`).
pub(crate) fn staged(
    repo: &Repository,
    reader: &Reader<'_, '_>,
    tally: &Tally,
) -> Result<Vec<NewBlob>, Error> {
    let index = read_index(repo);
    let cache_tree = index.as_ref().ok().and_then(|i| i.cache_tree.as_ref());
    let head = match head_view(repo, reader, cache_tree) {
        Ok(h) => h,
        Err(e) => {
            tally.error(e);
            HeadView::default()
        }
    };
    let index = index?;
    if head.unchanged {
        return Ok(Vec::new());
    }
    let conflicted: HashSet<&[u8]> = index
        .entries
        .iter()
        .filter(|e| e.stage != 0)
        .map(|e| e.path.as_slice())
        .collect();
    let mut out = Vec::new();
    // The last unchanged directory an entry was found in (with its slash): the entries after
    // it in the index's order are in it too, until one is not.
    let mut inside: &[u8] = &[];
    for e in &index.entries {
        if e.stage != 0
            || conflicted.contains(e.path.as_slice())
            || e.mode == GITLINK
            || e.id.is_zero()
        {
            continue;
        }
        if !inside.is_empty() && e.path.starts_with(inside) {
            continue;
        }
        if let Some(dir) = head.unchanged_dir(&e.path) {
            inside = dir;
            continue;
        }
        if head.blobs.get(&e.path) == Some(&(e.id, e.mode)) {
            continue;
        }
        out.push(NewBlob {
            oid: e.id,
            path: String::from_utf8_lossy(&e.path).into_owned(),
            commit: None,
        });
    }
    Ok(out)
}

/// The index the next commit records, read by keyhound, or by libgit2 when keyhound's reader
/// does not understand it (then without its cache tree). `git commit -a` and `git commit
/// PATHS` stage into a temporary index and name it to their hooks in GIT_INDEX_FILE (git's own
/// variable, which every git command honours); the repository's index is used otherwise.
fn read_index(repo: &Repository) -> Result<IndexFile, Error> {
    let named = std::env::var_os("GIT_INDEX_FILE").filter(|v| !v.is_empty());
    let path = match &named {
        Some(p) => std::path::PathBuf::from(p),
        None => repo.path().join("index"),
    };
    if let Some(index) = std::fs::read(&path)
        .ok()
        .and_then(|d| index_file::parse(&d))
    {
        return Ok(index);
    }
    let index = match &named {
        Some(p) => git2::Index::open(std::path::Path::new(p)),
        None => repo.index(),
    }
    .map_err(|e| Error::git("--staged: reading the index", &e))?;
    let entries = index
        .iter()
        .map(|e| IndexEntry {
            stage: (e.flags >> 12) & 3,
            path: e.path,
            mode: e.mode,
            id: e.id,
        })
        .collect();
    Ok(IndexFile {
        entries,
        cache_tree: None,
    })
}

/// HEAD's tree as far as `--staged` needs it: the blobs of its directories that the index's
/// cache tree does not show unchanged, and the directories it does. A directory whose cache
/// tree names the same tree as HEAD holds exactly HEAD's entries in the index, so neither its
/// tree nor its entries need be read.
#[derive(Default)]
struct HeadView {
    /// Every blob path of the trees read, with its id and mode.
    blobs: HashMap<Vec<u8>, (Oid, u32)>,
    /// The directories the index has unchanged, with a trailing slash.
    unchanged_dirs: HashSet<Vec<u8>>,
    /// The whole index is HEAD's tree: nothing is staged.
    unchanged: bool,
}

impl HeadView {
    /// The unchanged directory `path` is in (as a prefix of `path`, with its slash), if any.
    fn unchanged_dir<'p>(&self, path: &'p [u8]) -> Option<&'p [u8]> {
        if self.unchanged_dirs.is_empty() {
            return None;
        }
        memchr::memchr_iter(b'/', path)
            .filter_map(|i| path.get(..=i))
            .find(|dir| self.unchanged_dirs.contains(*dir))
    }
}

/// HEAD's view (nothing before the first commit), read along `cache_tree`.
fn head_view(
    repo: &Repository,
    reader: &Reader<'_, '_>,
    cache_tree: Option<&CacheTree>,
) -> Result<HeadView, Error> {
    let target = match repo.head() {
        Ok(h) => h.resolve().ok().and_then(|r| r.target()),
        Err(e)
            if e.code() == git2::ErrorCode::UnbornBranch
                || e.code() == git2::ErrorCode::NotFound =>
        {
            return Ok(HeadView::default())
        }
        Err(e) => return Err(Error::git("HEAD", &e)),
    };
    let commit = target
        .map(|t| peel_to_commit(reader, t))
        .transpose()?
        .flatten()
        .ok_or_else(|| Error::Git {
            object: "HEAD".into(),
            message: "does not name a commit".into(),
        })?;
    let data = reader.read_kind(commit, ObjectType::Commit)?;
    let parsed = parse::commit(data.bytes()).map_err(|m| Error::Git {
        object: format!("git commit {commit}"),
        message: m,
    })?;
    if cache_tree.is_some_and(|c| c.id == Some(parsed.tree)) {
        return Ok(HeadView {
            unchanged: true,
            ..HeadView::default()
        });
    }
    read_changed(reader, parsed.tree, cache_tree)
}

/// The blob paths of `tree` with their ids and modes, except under the directories that
/// `cache_tree` shows unchanged (which are listed instead).
fn read_changed(
    reader: &Reader<'_, '_>,
    tree: Oid,
    cache_tree: Option<&CacheTree>,
) -> Result<HeadView, Error> {
    let mut out = HeadView::default();
    let mut stack: Vec<(Oid, Vec<u8>, Option<&CacheTree>)> = vec![(tree, Vec::new(), cache_tree)];
    while let Some((t, prefix, cached)) = stack.pop() {
        let data = reader.read_kind(t, ObjectType::Tree)?;
        let (entries, problem) = parse::tree(data.bytes());
        if let Some(p) = problem {
            return Err(Error::Git {
                object: format!("git tree {t}"),
                message: p,
            });
        }
        for e in entries {
            let mut path = prefix.clone();
            path.extend_from_slice(e.name);
            match e.kind() {
                ObjectType::Tree => {
                    let sub = cached.and_then(|c| c.child(e.name));
                    path.push(b'/');
                    if sub.is_some_and(|s| s.id == Some(e.oid)) {
                        out.unchanged_dirs.insert(path);
                    } else {
                        stack.push((e.oid, path, sub));
                    }
                }
                _ => {
                    out.blobs.insert(path, (e.oid, e.mode));
                }
            }
        }
    }
    Ok(out)
}

/// Resolves `spec` (`REV`, meaning `REV..HEAD`, or `A..B`) to (exclude, include) commits.
fn resolve_range(
    repo: &Repository,
    reader: &Reader<'_, '_>,
    spec: &str,
) -> Result<(Oid, Oid), Error> {
    let (from, to) = match spec.split_once("..") {
        Some((a, b)) => (a, if b.is_empty() { "HEAD" } else { b }),
        None => (spec, "HEAD"),
    };
    if from.starts_with('.') || to.starts_with('.') {
        return Err(Error::Git {
            object: format!("--since {spec}"),
            message: "three-dot ranges are not supported; use A..B".into(),
        });
    }
    let commit = |rev: &str| -> Result<Oid, Error> {
        super::revision::resolve(repo, reader, rev).ok_or_else(|| {
            let shallow = if repo.is_shallow() {
                " This is a shallow clone: fetch the full history (with actions/checkout, set \
                 `fetch-depth: 0`; otherwise run `git fetch --unshallow`) and run again."
            } else {
                " Fetch it first (for example `git fetch origin`), or check the name."
            };
            Error::Git {
                object: "--since".into(),
                message: format!("revision '{rev}' not found in this repository.{shallow}"),
            }
        })
    };
    Ok((commit(from)?, commit(to)?))
}

/// Blobs introduced by the commits in the range, oldest commit first; each blob once.
pub(crate) fn since(
    repo: &Repository,
    reader: &Reader<'_, '_>,
    spec: &str,
    tally: &Tally,
) -> Result<Vec<NewBlob>, Error> {
    let (from, to) = resolve_range(repo, reader, spec)?;
    let boundary = shallow(repo);
    let mut graph = Graph::new(reader, tally, boundary.clone());
    graph.push(to, false);
    graph.push(from, true);
    let mut seen: HashSet<Oid> = HashSet::new();
    let mut out = Vec::new();
    for walked in graph.run().0 {
        let id = walked.commit;
        let Some(tree) = walked.tree else {
            continue;
        };
        let parents = if boundary.contains(&id) {
            Vec::new()
        } else {
            parent_trees(reader, id)
        };
        let mut found = Vec::new();
        new_in_tree(reader, tree, &parents, &mut found, tally);
        for (oid, path) in found {
            if seen.insert(oid) {
                out.push(NewBlob {
                    oid,
                    path,
                    commit: Some(id),
                });
            }
        }
    }
    Ok(out)
}

/// The trees of a commit's parents (those that can be read).
fn parent_trees(reader: &Reader<'_, '_>, commit: Oid) -> Vec<Oid> {
    reader
        .read_kind(commit, ObjectType::Commit)
        .ok()
        .and_then(|d| parse::commit(d.bytes()).ok())
        .map(|c| {
            c.parents
                .iter()
                .filter_map(|&p| commit_tree(reader, p))
                .collect()
        })
        .unwrap_or_default()
}

/// A tree's entries, with their mode and id (empty when it cannot be read).
type Entries = Vec<(Vec<u8>, u32, Oid)>;
/// A tree's entries by name.
type ByName = HashMap<Vec<u8>, (u32, Oid)>;

fn entries(reader: &Reader<'_, '_>, tree: Oid, tally: &Tally, path: &str) -> Entries {
    match reader.read_kind(tree, ObjectType::Tree) {
        Ok(d) => {
            let (entries, problem) = parse::tree(d.bytes());
            if let Some(p) = problem {
                tally.error(Error::Git {
                    object: format!("tree {tree} ({path})"),
                    message: p,
                });
            }
            entries
                .into_iter()
                .map(|e| (e.name.to_vec(), e.mode, e.oid))
                .collect()
        }
        Err(e) => {
            tally.error(Error::Git {
                object: format!("tree {tree} ({path})"),
                message: match e {
                    Error::Git { message, .. } => message,
                    other => other.to_string(),
                },
            });
            Vec::new()
        }
    }
}

/// One tree being compared: its entries, the next one, its path, and its parents' trees at
/// that path (`None` where a parent has nothing there).
struct Frame {
    entries: Entries,
    next: usize,
    prefix: String,
    parents: Vec<Option<ByName>>,
}

/// Blobs of `tree` that differ from each parent tree's blob at the same path, depth first in
/// the order of the entries.
fn new_in_tree(
    reader: &Reader<'_, '_>,
    tree: Oid,
    parents: &[Oid],
    out: &mut Vec<(Oid, String)>,
    tally: &Tally,
) {
    let by_name = |t: Oid, path: &str| -> ByName {
        entries(reader, t, tally, path)
            .into_iter()
            .map(|(n, m, o)| (n, (m, o)))
            .collect()
    };
    let mut stack = vec![Frame {
        entries: entries(reader, tree, tally, ""),
        next: 0,
        prefix: String::new(),
        parents: parents.iter().map(|&p| Some(by_name(p, ""))).collect(),
    }];
    while let Some(frame) = stack.last_mut() {
        let Some((name, mode, oid)) = frame.entries.get(frame.next).cloned() else {
            stack.pop();
            continue;
        };
        frame.next += 1;
        let in_parents: Vec<Option<(u32, Oid)>> = frame
            .parents
            .iter()
            .map(|p| p.as_ref().and_then(|m| m.get(&name).copied()))
            .collect();
        // Unchanged relative to some parent: not introduced here.
        if in_parents.iter().any(|e| e.is_some_and(|(_, o)| o == oid)) {
            continue;
        }
        let path = super::walk::join(&frame.prefix, &name);
        let entry = parse::TreeEntry {
            mode,
            name: &name,
            oid,
        };
        match entry.kind() {
            ObjectType::Blob => out.push((oid, path)),
            ObjectType::Tree => {
                let sub_parents = if frame.parents.is_empty() {
                    Vec::new()
                } else {
                    in_parents
                        .iter()
                        .map(|e| {
                            e.filter(|(m, _)| m & 0o170000 == 0o040000)
                                .map(|(_, o)| by_name(o, &path))
                        })
                        .collect()
                };
                stack.push(Frame {
                    entries: entries(reader, oid, tally, &path),
                    next: 0,
                    prefix: path,
                    parents: sub_parents,
                });
            }
            _ => {}
        }
    }
}
