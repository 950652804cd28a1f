//! The blobs a change introduces: what `git commit` is about to record (`--staged`: index
//! entries that differ from HEAD, read from the index, never from the work tree), and what a
//! range of commits added (`--since REV`, `A..B`). A blob is new in a commit when it differs
//! from every parent's blob at the same path, so merges contribute only what they resolved.

use std::collections::HashSet;

use git2::{Delta, DiffOptions, FileMode, ObjectType, Oid, Repository, Sort, Tree};

use crate::error::Error;
use crate::source::Tally;

/// A blob to scan, with the path and commit it is attributed to.
#[derive(Debug, Clone)]
pub(crate) struct NewBlob {
    pub oid: Oid,
    pub path: String,
    /// `None` for staged content (not committed yet).
    pub commit: Option<Oid>,
}

/// Index entries that differ from HEAD (all of them before the first commit). Deleted files
/// and submodule entries carry nothing to scan and are left out.
pub(crate) fn staged(repo: &Repository) -> Result<Vec<NewBlob>, git2::Error> {
    let head_tree = match repo.head() {
        Ok(h) => Some(h.peel_to_tree()?),
        Err(e)
            if e.code() == git2::ErrorCode::UnbornBranch
                || e.code() == git2::ErrorCode::NotFound =>
        {
            None
        }
        Err(e) => return Err(e),
    };
    let index = repo.index()?;
    let mut opts = DiffOptions::new();
    opts.include_typechange(true).ignore_submodules(true);
    let diff = repo.diff_tree_to_index(head_tree.as_ref(), Some(&index), Some(&mut opts))?;
    let mut out = Vec::new();
    for delta in diff.deltas() {
        match delta.status() {
            Delta::Added | Delta::Modified | Delta::Renamed | Delta::Copied | Delta::Typechange => {
            }
            _ => continue,
        }
        let file = delta.new_file();
        if file.mode() == FileMode::Commit || file.id().is_zero() {
            continue;
        }
        let Some(path) = file.path_bytes() else {
            continue;
        };
        out.push(NewBlob {
            oid: file.id(),
            path: String::from_utf8_lossy(path).into_owned(),
            commit: None,
        });
    }
    Ok(out)
}

/// Resolves `spec` (`REV`, meaning `REV..HEAD`, or `A..B`) to (exclude, include) commits.
fn resolve_range(repo: &Repository, spec: &str) -> Result<(Oid, Oid), Error> {
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
    let peel = |rev: &str| -> Result<Oid, Error> {
        repo.revparse_single(rev)
            .and_then(|o| o.peel_to_commit())
            .map(|c| c.id())
            .map_err(|_| {
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
    Ok((peel(from)?, peel(to)?))
}

/// Blobs introduced by the commits in the range, oldest commit first; each blob once.
pub(crate) fn since(repo: &Repository, spec: &str, tally: &Tally) -> Result<Vec<NewBlob>, Error> {
    let (from, to) = resolve_range(repo, spec)?;
    let mut walk = repo
        .revwalk()
        .map_err(|e| Error::git(format!("--since {spec}"), &e))?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME | Sort::REVERSE)
        .and_then(|()| walk.push(to))
        .and_then(|()| walk.hide(from))
        .map_err(|e| Error::git(format!("--since {spec}"), &e))?;
    let mut seen: HashSet<Oid> = HashSet::new();
    let mut out = Vec::new();
    for id in walk {
        let id = match id {
            Ok(id) => id,
            Err(e) => {
                tally.error(Error::git(format!("--since {spec}"), &e));
                continue;
            }
        };
        let commit = match repo.find_commit(id) {
            Ok(c) => c,
            Err(e) => {
                tally.error(Error::git(format!("commit {id}"), &e));
                continue;
            }
        };
        let tree = match commit.tree() {
            Ok(t) => t,
            Err(e) => {
                tally.error(Error::git(format!("commit {id}"), &e));
                continue;
            }
        };
        let parents: Vec<Tree<'_>> = commit.parents().filter_map(|p| p.tree().ok()).collect();
        let mut found = Vec::new();
        new_in_tree(
            repo,
            &tree,
            &parents.iter().map(Some).collect::<Vec<_>>(),
            "",
            &mut found,
            tally,
        );
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

/// Blobs of `tree` that differ from each parent tree's blob at the same path.
fn new_in_tree(
    repo: &Repository,
    tree: &Tree<'_>,
    parents: &[Option<&Tree<'_>>],
    prefix: &str,
    out: &mut Vec<(Oid, String)>,
    tally: &Tally,
) {
    for entry in tree.iter() {
        let name_bytes = entry.name_bytes();
        let oid = entry.id();
        // Unchanged relative to some parent: not introduced here.
        let parent_entries: Vec<Option<git2::TreeEntry<'_>>> = parents
            .iter()
            .map(|p| p.and_then(|t| t.get_name_bytes(name_bytes)))
            .collect();
        if !parents.is_empty()
            && parent_entries
                .iter()
                .any(|e| e.as_ref().is_some_and(|e| e.id() == oid))
        {
            continue;
        }
        let name = String::from_utf8_lossy(name_bytes);
        let path = if prefix.is_empty() {
            name.into_owned()
        } else {
            format!("{prefix}/{name}")
        };
        match entry.kind() {
            Some(ObjectType::Blob) => out.push((oid, path)),
            Some(ObjectType::Tree) => {
                let sub = match repo.find_tree(oid) {
                    Ok(t) => t,
                    Err(e) => {
                        tally.error(Error::git(format!("tree {oid} ({path})"), &e));
                        continue;
                    }
                };
                let parent_subs: Vec<Option<Tree<'_>>> = parent_entries
                    .iter()
                    .map(|e| {
                        e.as_ref()
                            .filter(|e| e.kind() == Some(ObjectType::Tree))
                            .and_then(|e| repo.find_tree(e.id()).ok())
                    })
                    .collect();
                let refs: Vec<Option<&Tree<'_>>> = if parents.is_empty() {
                    Vec::new()
                } else {
                    parent_subs.iter().map(Option::as_ref).collect()
                };
                new_in_tree(repo, &sub, &refs, &path, out, tally);
            }
            _ => {}
        }
    }
}
