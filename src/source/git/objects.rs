//! Every blob of a repository read once, in parallel (one libgit2 handle per worker), however
//! many commits and paths hold it, in the order the bytes lie on disk (see `store`). Object
//! headers are read first, by keyhound, so that trees, commits and oversized blobs cost no
//! decompression and a damaged entry is an error naming the object, never a panic.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Mutex;

use git2::{ObjectType, Oid};
use rayon::prelude::*;

use super::store::{Data, Read, Reader, Store};
use super::with_odb;
use crate::extract::{self, Limits};
use crate::source::{Blob, Origin, Stats, Tally};

/// Reads every blob among `oids` of the repository at `git_dir` (shown in reports as `repo`)
/// in parallel and calls `visit(oid, blob)` for each text blob within the size limit, and for
/// each member of the archives among them (opened within `limits`). Returns the ids of the
/// blobs that were read and scanned.
#[allow(clippy::too_many_arguments)] // the seven things one pass over a database needs
pub(crate) fn scan_blobs<F>(
    git_dir: &Path,
    store: &Store,
    repo: &str,
    oids: &[Oid],
    limits: &Limits,
    tally: &Tally,
    progress: &indicatif::ProgressBar,
    visit: F,
) -> HashSet<Oid>
where
    F: Fn(Oid, &Blob<'_>) + Sync,
{
    progress.set_length(oids.len() as u64);
    let scanned: Mutex<HashSet<Oid>> = Mutex::new(HashSet::new());
    oids.par_chunks(512).for_each(|chunk| {
        let local = with_odb(git_dir, tally, |_, odb| {
            let reader = store.reader(odb);
            let mut local = Vec::new();
            for &oid in chunk {
                let Some(blob) = read_blob(&reader, oid, limits.max_member_size, tally) else {
                    continue;
                };
                let data = blob.bytes();
                Stats::add(&tally.stats.blobs, 1);
                Stats::add(&tally.stats.blob_bytes, data.len() as u64);
                local.push(oid);
                let origin = Origin::git_blob(repo.to_string(), oid.to_string());
                extract::scan(data, origin, limits, tally, &|b: &Blob<'_>| visit(oid, b));
            }
            local
        });
        if let (Some(local), Ok(mut s)) = (local, scanned.lock()) {
            s.extend(local);
        }
        progress.inc(chunk.len() as u64);
    });
    progress.finish_and_clear();
    scanned.into_inner().unwrap_or_default()
}

/// The content of `oid` if it is a blob within `max_size`. Objects of other types give `None`;
/// oversized blobs are counted as skipped; damaged or missing objects are counted as errors.
pub(crate) fn read_blob<'o>(
    reader: &Reader<'_, 'o>,
    oid: Oid,
    max_size: u64,
    tally: &Tally,
) -> Option<Data<'o>> {
    // The header first: a tree or a commit is never inflated here.
    match reader.header(oid) {
        Ok(Some((ObjectType::Blob, _))) => {}
        Ok(Some(_)) => return None,
        Ok(None) => {
            let message = if reader.partial_clone() {
                "not in this partial clone (cloned with --filter; blobs are fetched on demand): \
                 fetch it with `git backfill` (git 2.49 or later) or clone without --filter"
            } else {
                "missing from the repository"
            };
            tally.error(crate::error::Error::Git {
                object: format!("git blob {oid}"),
                message: message.into(),
            });
            return None;
        }
        Err(e) => {
            tally.error(e);
            return None;
        }
    }
    match reader.read(oid, max_size) {
        Ok(Read::Found(ObjectType::Blob, data)) => Some(data),
        Ok(Read::Found(..)) => None,
        Ok(Read::TooLarge(_)) => {
            Stats::add(&tally.stats.skipped_large, 1);
            None
        }
        Ok(Read::Missing) => None,
        Err(e) => {
            tally.error(e);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_order_lists_exactly_the_objects() {
        let r = crate::source::git::testrepo::TestRepo::new();
        for i in 0..30 {
            r.commit(
                &format!("f{}", i % 7),
                &format!("line {i}\n").repeat(i + 1),
                i64::try_from(i).unwrap_or(0),
                &format!("c{i}"),
            );
            if i == 20 {
                r.git(&["gc", "-q"]);
            }
        }
        let repo = git2::Repository::open(r.path()).unwrap_or_else(|e| panic!("{e}"));
        let odb = repo.odb().unwrap_or_else(|e| panic!("{e}"));
        let store = Store::open(&repo);
        let mut ordered = store.listing(&odb).unwrap_or_else(|e| panic!("{e}"));
        let mut all = Vec::new();
        odb.foreach(|o| {
            all.push(*o);
            true
        })
        .unwrap_or_else(|e| panic!("{e}"));
        all.sort_unstable();
        all.dedup();
        assert!(store.packs.unreadable.is_empty());
        assert!(!store.loose.ids().is_empty(), "some objects stay loose");
        // Every packed object's header, read by keyhound, agrees with libgit2's.
        let reader = store.reader(&odb);
        for &oid in &all {
            let ours = reader
                .header(oid)
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_else(|| panic!("{oid} not found"));
            let theirs = odb.read_header(oid).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(ours.0, theirs.1, "{oid}");
            if let Some(size) = ours.1 {
                assert_eq!(size, theirs.0 as u64, "{oid}");
            }
            if ours.0 == ObjectType::Blob {
                assert!(
                    ours.1.is_some(),
                    "{oid}: the size of a blob is always known"
                );
            }
        }
        ordered.sort_unstable();
        assert_eq!(ordered, all);
    }
}
