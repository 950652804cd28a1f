//! Git as a source. The object database (`store`: loose objects in `loose`, packs in `pack`) is
//! read by keyhound, with libgit2 only inflating the content of packed objects whose headers
//! keyhound has checked; commits, trees and tags are parsed by keyhound (`parse`), and history
//! is ordered by keyhound (`graph`) the way libgit2's revision walk orders it. On top of that:
//! every blob read once (`objects`), where each blob first appears in the history of every ref
//! (`walk`), the blobs a change introduces (`change`: the index for `--staged`, read with its
//! cache tree by `index_file`, a range of commits for `--since`), the index's view of the work
//! tree (`index`), and who made a commit and when (`commit`). A damaged object is an error
//! naming it; nothing hangs or panics on one.

pub(crate) mod change;
pub(crate) mod commit;
mod graph;
pub(crate) mod index;
pub(crate) mod index_file;
mod loose;
pub(crate) mod objects;
pub(crate) mod pack;
pub(crate) mod parse;
mod revision;
pub(crate) mod store;
#[cfg(test)]
pub(crate) mod testrepo;
pub(crate) mod walk;

use std::path::Path;

use git2::{Odb, Repository};

use super::Tally;
use crate::error::Error;

/// Tunes libgit2's process-wide options for reading every object once: no object cache, at
/// most 256 MiB of mapped pack windows so that memory stays bounded on large histories, and no
/// SHA-1 re-hashing of every object read (a third of the CPU time; a damaged object still fails
/// to inflate and is reported).
pub(crate) fn configure() -> Result<(), git2::Error> {
    git2::opts::strict_hash_verification(false);
    // SAFETY: these setters are unsafe only because they must not race with other libgit2
    // calls; they run once, before any repository is opened.
    unsafe {
        // Every object is read once (the history walk visits each tree once too), so
        // libgit2's object cache would only hold memory.
        git2::opts::enable_caching(false);
        git2::opts::set_mwindow_mapped_limit(256 << 20)?;
        git2::opts::set_mwindow_size(64 << 20)?;
    }
    Ok(())
}

/// Is `path` the top of a git repository (work tree or bare)?
pub(crate) fn is_repository(path: &Path) -> bool {
    path.join(".git").exists() || (path.join("HEAD").is_file() && path.join("objects").is_dir())
}

/// Opens the repository at `git_dir` with its object database and runs `f` on them; a
/// repository that cannot be opened is an error recorded in `tally` (and `None`). Each worker
/// thread opens its own handle: git2 handles are not shared between threads.
pub(crate) fn with_odb<R>(
    git_dir: &Path,
    tally: &Tally,
    f: impl FnOnce(&Repository, &Odb<'_>) -> R,
) -> Option<R> {
    let opened = Repository::open(git_dir).and_then(|repo| {
        let odb = repo.odb()?;
        Ok(f(&repo, &odb))
    });
    match opened {
        Ok(r) => Some(r),
        Err(e) => {
            tally.error(Error::git(git_dir.display().to_string(), &e));
            None
        }
    }
}
