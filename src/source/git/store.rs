//! The object database as keyhound reads it: the loose objects (inflated by keyhound), the
//! packs (indexes and entry headers parsed by keyhound, content inflated by libgit2), of the
//! repository's common directory (so that a linked worktree reads the objects of its main
//! repository) and of its alternates. `Store` is shared by every thread; a `Reader` pairs it
//! with one thread's libgit2 handle.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use git2::{ObjectType, Odb, Oid};

use super::loose::{LooseObjects, Object};
use super::pack::{IndexReading, Packs};
use crate::error::Error;

/// Alternates followed at most this deep (git's own limit).
const MAX_ALTERNATE_DEPTH: usize = 5;

/// The objects of one repository.
pub(crate) struct Store {
    pub(crate) loose: LooseObjects,
    pub(crate) packs: Packs,
    /// A partial clone (`git clone --filter`): missing blobs are expected, and fetchable.
    pub(crate) partial: bool,
}

/// An object's content: owned (inflated by keyhound) or held by libgit2 (no copy).
pub(crate) enum Data<'o> {
    Owned(Vec<u8>),
    Odb(git2::OdbObject<'o>),
}

impl Data<'_> {
    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            Data::Owned(v) => v,
            Data::Odb(o) => o.data(),
        }
    }
}

/// What reading an object gave.
pub(crate) enum Read<'o> {
    Found(ObjectType, Data<'o>),
    /// Larger than the limit (its size).
    TooLarge(u64),
    /// In no loose file and no pack.
    Missing,
}

impl Store {
    /// The objects of `repo` (of its common directory, for a linked worktree), for reading
    /// many of them: the loose objects listed and the pack indexes read whole.
    pub(crate) fn open(repo: &git2::Repository) -> Store {
        let dirs = objects_dirs(&repo.commondir().join("objects"));
        Store {
            loose: LooseObjects::list(&dirs),
            packs: Packs::open(&dirs, IndexReading::Whole),
            partial: super::walk::is_partial_clone(repo),
        }
    }

    /// The objects of `repo`, for reading a few of them (`--staged`): each loose object looked
    /// for when asked for, and each pack index read only where a lookup needs it. `listing`
    /// finds no loose object in such a store.
    pub(crate) fn open_for_few(repo: &git2::Repository) -> Store {
        let dirs = objects_dirs(&repo.commondir().join("objects"));
        Store {
            loose: LooseObjects::unlisted(&dirs),
            packs: Packs::open(&dirs, IndexReading::Lookups),
            partial: super::walk::is_partial_clone(repo),
        }
    }

    /// Every object id, in the order the bytes lie on disk: pack by pack, by offset, then the
    /// loose objects; each id once. Reading in this order lets each thread walk its pack window
    /// forward instead of jumping around hundreds of megabytes of pack, which keeps libgit2's
    /// mapped windows (and so memory) small without remapping. `odb` lists what the packs
    /// keyhound cannot parse hold.
    pub(crate) fn listing(&self, odb: &Odb<'_>) -> Result<Vec<Oid>, git2::Error> {
        let mut out: Vec<Oid> = self.packs.listing().into_iter().map(|(o, _)| o).collect();
        out.extend(self.loose.ids());
        if !self.packs.unreadable.is_empty() {
            odb.foreach(|oid| {
                out.push(*oid);
                true
            })?;
        }
        let mut seen: HashSet<Oid> = HashSet::with_capacity(out.len());
        out.retain(|o| seen.insert(*o));
        Ok(out)
    }

    /// A reader over this store with one thread's libgit2 object database.
    pub(crate) fn reader<'s, 'o>(&'s self, odb: &'o Odb<'o>) -> Reader<'s, 'o> {
        Reader { store: self, odb }
    }
}

/// Reads objects: loose ones by keyhound, packed ones through libgit2 once keyhound has checked
/// their headers.
pub(crate) struct Reader<'s, 'o> {
    store: &'s Store,
    odb: &'o Odb<'o>,
}

impl<'o> Reader<'_, 'o> {
    /// Whether the repository is a partial clone.
    pub(crate) fn partial_clone(&self) -> bool {
        self.store.partial
    }

    /// Whether the object exists (without reading it).
    pub(crate) fn exists(&self, oid: Oid) -> bool {
        self.store.loose.contains(&oid) || self.store.packs.find(&oid).is_some() || {
            !self.store.packs.unreadable.is_empty() && self.odb.exists(oid)
        }
    }

    /// The type and size of an object (the size is not known for a deltified tree, commit or
    /// tag); `None` when it is in no loose file and no pack.
    pub(crate) fn header(&self, oid: Oid) -> Result<Option<(ObjectType, Option<u64>)>, Error> {
        if self.store.loose.contains(&oid) {
            return self
                .store
                .loose
                .header(&oid)
                .map(|(k, s)| Some((k, Some(s))));
        }
        if let Some(at) = self.store.packs.find(&oid) {
            let (kind, size) = self.store.packs.header(at).map_err(|m| {
                let pack = self
                    .store
                    .packs
                    .path(at)
                    .and_then(Path::file_name)
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                Error::Git {
                    object: format!("git object {oid}"),
                    message: format!("damaged pack entry at offset {} of {pack}: {m}", at.offset),
                }
            })?;
            return Ok(Some((kind, size)));
        }
        if self.store.packs.unreadable.is_empty() {
            return Ok(None);
        }
        // In a pack keyhound cannot parse: libgit2 must tell.
        match self.odb.read_header(oid) {
            Ok((size, kind)) => Ok(Some((kind, Some(size as u64)))),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(Error::git(format!("git object {oid}"), &e)),
        }
    }

    /// Reads an object whole, unless it is larger than `max`.
    pub(crate) fn read(&self, oid: Oid, max: u64) -> Result<Read<'o>, Error> {
        if self.store.loose.contains(&oid) {
            let Object { kind, size, data } = self.store.loose.read(&oid, max)?;
            return Ok(match data {
                Some(data) => Read::Found(kind, Data::Owned(data)),
                None => Read::TooLarge(size),
            });
        }
        let Some((kind, size)) = self.header(oid)? else {
            return Ok(Read::Missing);
        };
        if let Some(size) = size.filter(|&s| s > max) {
            return Ok(Read::TooLarge(size));
        }
        match self.odb.read(oid) {
            Ok(o) => Ok(Read::Found(kind, Data::Odb(o))),
            Err(e) => Err(Error::git(format!("git {} {oid}", kind_name(kind)), &e)),
        }
    }

    /// Reads an object of the given kind whole (commits, trees and tags). A missing object or
    /// one of another kind is an error. A packed one goes straight to libgit2, which reads a
    /// damaged entry as an error (only its header reading panics, which this avoids), so the
    /// history walk pays no extra header reads.
    pub(crate) fn read_kind(&self, oid: Oid, want: ObjectType) -> Result<Data<'o>, Error> {
        let wrong = |kind: ObjectType| Error::Git {
            object: format!("git object {oid}"),
            message: format!("is a {}, not a {}", kind_name(kind), kind_name(want)),
        };
        if !self.store.loose.contains(&oid) {
            return match self.odb.read(oid) {
                // A successful read has a valid type.
                Ok(o) if o.kind() == want => Ok(Data::Odb(o)),
                Ok(o) => Err(wrong(o.kind())),
                Err(e) if e.code() == git2::ErrorCode::NotFound => Err(Error::Git {
                    object: format!("git {} {oid}", kind_name(want)),
                    message: "missing from the repository".into(),
                }),
                Err(e) => Err(Error::git(format!("git {} {oid}", kind_name(want)), &e)),
            };
        }
        match self.read(oid, MAX_METADATA)? {
            Read::Found(kind, data) if kind == want => Ok(data),
            Read::Found(kind, _) => Err(wrong(kind)),
            Read::TooLarge(size) => Err(Error::Git {
                object: format!("git {} {oid}", kind_name(want)),
                message: format!("too large to read ({size} bytes)"),
            }),
            Read::Missing => Err(Error::Git {
                object: format!("git {} {oid}", kind_name(want)),
                message: "missing from the repository".into(),
            }),
        }
    }
}

/// Commits, trees and tags larger than this are damaged or hostile (git's largest real trees
/// are a few megabytes).
const MAX_METADATA: u64 = 1 << 30;

pub(crate) fn kind_name(kind: ObjectType) -> &'static str {
    match kind {
        ObjectType::Commit => "commit",
        ObjectType::Tree => "tree",
        ObjectType::Blob => "blob",
        ObjectType::Tag => "tag",
        ObjectType::Any => "object",
    }
}

/// `objects` and the object directories of its alternates (`objects/info/alternates`, one
/// path per line, relative to the directory that names them), without repeats.
fn objects_dirs(objects: &Path) -> Vec<PathBuf> {
    let mut out = vec![objects.to_path_buf()];
    let mut frontier = vec![(objects.to_path_buf(), 0usize)];
    while let Some((dir, depth)) = frontier.pop() {
        if depth >= MAX_ALTERNATE_DEPTH {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(dir.join("info").join("alternates")) else {
            continue;
        };
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let alt = dir.join(line);
            let alt = std::fs::canonicalize(&alt).unwrap_or(alt);
            if !out.contains(&alt) {
                out.push(alt.clone());
                frontier.push((alt, depth + 1));
            }
        }
    }
    out
}
