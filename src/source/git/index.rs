//! The index's view of the work tree: for each tracked file, the blob git recorded with the
//! file's size and modification time, so that a work-tree file whose content history already
//! covered need not be read again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use git2::{Oid, Repository};

/// The index's view of the work tree: for each tracked file, its blob id and the size and
/// modification time git recorded. A file whose size and mtime still match holds that blob,
/// so it need not be read again when the blob was scanned from history.
pub(crate) struct IndexStat {
    entries: HashMap<PathBuf, (Oid, u32, i32, u32)>,
}

impl IndexStat {
    /// Reads the index of `repo`; `None` for a bare repository or an unreadable index.
    pub(crate) fn load(repo: &Repository) -> Option<IndexStat> {
        repo.workdir()?;
        let index = repo.index().ok()?;
        let mut entries = HashMap::with_capacity(index.len());
        for e in index.iter() {
            let path = PathBuf::from(String::from_utf8_lossy(&e.path).into_owned());
            entries.insert(
                path,
                (e.id, e.file_size, e.mtime.seconds(), e.mtime.nanoseconds()),
            );
        }
        Some(IndexStat { entries })
    }

    /// The blob a work-tree file holds, when its size and mtime match the index entry.
    /// `rel` is the path relative to the work tree.
    pub(crate) fn unchanged_blob(&self, rel: &Path, meta: &std::fs::Metadata) -> Option<Oid> {
        let &(oid, size, secs, nanos) = self.entries.get(rel)?;
        if u64::from(size) != meta.len() {
            return None;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            if meta.mtime() != i64::from(secs) || meta.mtime_nsec() != i64::from(nanos) {
                return None;
            }
            Some(oid)
        }
        #[cfg(not(unix))]
        {
            let _ = (secs, nanos, oid);
            None
        }
    }
}
