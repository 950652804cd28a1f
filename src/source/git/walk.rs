//! The history walk: every commit reachable from any ref (branches, tags, remotes, the stash, a
//! detached HEAD), oldest first, each distinct tree visited once, recording where each blob
//! first appears (the commit and the path) and reporting tree entries whose object is missing.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use git2::{ObjectType, Oid, Repository, Sort, Tree};

use super::with_odb;
use crate::error::Error;
use crate::source::Tally;

/// A revision walk over every ref (branches, tags, remotes, stash, a detached HEAD), oldest
/// commits first.
fn walk_all(repo: &Repository) -> Result<git2::Revwalk<'_>, git2::Error> {
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME | Sort::REVERSE)?;
    walk.push_glob("*")?;
    if repo.head().is_ok() {
        // A detached HEAD is reachable from no ref.
        let _ = walk.push_head();
    }
    Ok(walk)
}

/// Where a blob first appears in history: the oldest commit (by position in an oldest-first
/// walk of every ref) whose tree holds it, and its path there.
#[derive(Debug, Clone)]
pub(crate) struct BlobPlace {
    pub commit: Oid,
    pub path: String,
    pub order: usize,
}

/// Walks every commit reachable from any ref, oldest first, visiting each distinct tree once,
/// and records where each blob first appears. A tree entry whose object is missing from the
/// database is an error (the scan of the remaining blobs goes on): listing the database alone
/// would never notice it.
pub(crate) fn walk_history(git_dir: &Path, tally: &Tally) -> HashMap<Oid, BlobPlace> {
    with_odb(git_dir, tally, |repo, odb| {
        let mut places = HashMap::new();
        let walk = match walk_all(repo) {
            Ok(w) => w,
            Err(e) => {
                // An empty repository has no refs to walk: nothing to place, not an error.
                if e.code() != git2::ErrorCode::NotFound
                    && e.code() != git2::ErrorCode::UnbornBranch
                {
                    tally.error(Error::git("walking history", &e));
                }
                return places;
            }
        };
        let mut seen_trees: HashSet<Oid> = HashSet::new();
        for (order, id) in walk.enumerate() {
            let id = match id {
                Ok(id) => id,
                Err(e) => {
                    tally.error(Error::git("walking history", &e));
                    continue;
                }
            };
            let tree = match repo.find_commit(id).and_then(|c| c.tree()) {
                Ok(t) => t,
                Err(e) => {
                    tally.error(Error::git(format!("commit {id}"), &e));
                    continue;
                }
            };
            let mut visit = TreeVisit {
                repo,
                odb,
                seen: &mut seen_trees,
                places: &mut places,
                commit: id,
                order,
                tally,
            };
            visit.tree(&tree, "");
        }
        places
    })
    .unwrap_or_default()
}

struct TreeVisit<'a, 'r> {
    repo: &'r Repository,
    odb: &'a git2::Odb<'r>,
    seen: &'a mut HashSet<Oid>,
    places: &'a mut HashMap<Oid, BlobPlace>,
    commit: Oid,
    order: usize,
    tally: &'a Tally,
}

impl TreeVisit<'_, '_> {
    fn tree(&mut self, tree: &Tree<'_>, prefix: &str) {
        if !self.seen.insert(tree.id()) {
            return;
        }
        for entry in tree.iter() {
            let oid = entry.id();
            match entry.kind() {
                Some(ObjectType::Blob) => {
                    if self.places.contains_key(&oid) {
                        continue;
                    }
                    let path = join(prefix, entry.name_bytes());
                    if !self.odb.exists(oid) {
                        self.tally.error(Error::Git {
                            object: format!("git blob {oid} ({path} in commit {})", self.commit),
                            message: "missing from the repository".into(),
                        });
                    }
                    self.places.insert(
                        oid,
                        BlobPlace {
                            commit: self.commit,
                            path,
                            order: self.order,
                        },
                    );
                }
                Some(ObjectType::Tree) => {
                    if self.seen.contains(&oid) {
                        continue;
                    }
                    let path = join(prefix, entry.name_bytes());
                    match self.repo.find_tree(oid) {
                        Ok(sub) => self.tree(&sub, &path),
                        Err(e) => self.tally.error(Error::git(
                            format!("git tree {oid} ({path} in commit {})", self.commit),
                            &e,
                        )),
                    }
                }
                _ => {}
            }
        }
    }
}

fn join(prefix: &str, name: &[u8]) -> String {
    let name = String::from_utf8_lossy(name);
    if prefix.is_empty() {
        name.into_owned()
    } else {
        format!("{prefix}/{name}")
    }
}

/// Blob ids in the tree of HEAD (empty when there is no HEAD).
pub(crate) fn head_blobs(repo: &Repository) -> HashSet<Oid> {
    let mut out = HashSet::new();
    let Ok(tree) = repo.head().and_then(|h| h.peel_to_tree()) else {
        return out;
    };
    let _ = tree.walk(git2::TreeWalkMode::PreOrder, |_, entry| {
        if entry.kind() == Some(ObjectType::Blob) {
            out.insert(entry.id());
        }
        git2::TreeWalkResult::Ok
    });
    out
}
