//! The object database, read once: every object id in the order the bytes lie on disk (pack
//! by pack, by offset, then the loose objects), and every blob among them read in parallel (one
//! repository handle per worker), however many commits and paths hold it. Object headers are
//! read first so that trees, commits and oversized blobs cost no decompression. Loose objects
//! are inflated by keyhound itself: libgit2 1.9 spins forever inflating a truncated loose
//! object, and a damaged object must be an error that the scan reports and moves past.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use git2::{ObjectType, Oid, Repository};
use rayon::prelude::*;

use super::with_odb;
use crate::error::Error;
use crate::extract::text_content;
use crate::source::{Blob, Origin, Stats, Tally};

/// Every object id in the repository's object database, sorted and without duplicates.
pub(crate) fn all_objects(repo: &Repository) -> Result<Vec<Oid>, git2::Error> {
    let odb = repo.odb()?;
    let mut oids = Vec::new();
    odb.foreach(|oid| {
        oids.push(*oid);
        true
    })?;
    oids.sort_unstable();
    oids.dedup();
    Ok(oids)
}

/// The repository's loose objects, read by keyhound itself rather than libgit2.
pub(crate) struct LooseObjects {
    dir: PathBuf,
    ids: HashSet<Oid>,
}

/// An object read from the object database.
pub(crate) struct Object {
    pub kind: ObjectType,
    pub data: Vec<u8>,
}

impl LooseObjects {
    /// Lists the loose objects under `git_dir/objects`.
    pub(crate) fn list(git_dir: &Path) -> LooseObjects {
        let dir = git_dir.join("objects");
        let mut ids = HashSet::new();
        if let Ok(fans) = std::fs::read_dir(&dir) {
            for fan in fans.flatten() {
                let name = fan.file_name();
                let Some(prefix) = name
                    .to_str()
                    .filter(|n| n.len() == 2 && n.bytes().all(|b| b.is_ascii_hexdigit()))
                else {
                    continue;
                };
                let Ok(files) = std::fs::read_dir(fan.path()) else {
                    continue;
                };
                for f in files.flatten() {
                    if let Some(rest) = f.file_name().to_str() {
                        if let Ok(oid) = Oid::from_str(&format!("{prefix}{rest}")) {
                            ids.insert(oid);
                        }
                    }
                }
            }
        }
        LooseObjects { dir, ids }
    }

    pub(crate) fn contains(&self, oid: &Oid) -> bool {
        self.ids.contains(oid)
    }

    /// Reads and inflates one loose object; `max` caps the inflated size (larger objects give
    /// `Ok(None)` after reading only their header).
    pub(crate) fn read(&self, oid: &Oid, max: u64) -> Result<Option<Object>, Error> {
        use std::io::Read as _;
        let err = |message: String| Error::Git {
            object: format!("git object {oid}"),
            message,
        };
        let hex = oid.to_string();
        let path = self
            .dir
            .join(hex.get(..2).unwrap_or_default())
            .join(hex.get(2..).unwrap_or_default());
        let file = std::fs::File::open(&path).map_err(|e| err(e.to_string()))?;
        let mut z = flate2::read::ZlibDecoder::new(std::io::BufReader::new(file));
        let mut header = Vec::with_capacity(32);
        let mut byte = [0u8; 1];
        loop {
            match z.read(&mut byte) {
                Ok(1) => {}
                Ok(_) => return Err(err("truncated header".into())),
                Err(e) => return Err(err(format!("damaged ({e})"))),
            }
            let [b] = byte;
            if b == 0 {
                break;
            }
            header.push(b);
            if header.len() > 32 {
                return Err(err("bad header".into()));
            }
        }
        let header = String::from_utf8_lossy(&header).into_owned();
        let (kind, size) = header
            .split_once(' ')
            .and_then(|(k, n)| Some((k, n.parse::<u64>().ok()?)))
            .ok_or_else(|| err(format!("bad header {header:?}")))?;
        let kind = match kind {
            "blob" => ObjectType::Blob,
            "tree" => ObjectType::Tree,
            "commit" => ObjectType::Commit,
            "tag" => ObjectType::Tag,
            _ => return Err(err(format!("unknown type {kind:?}"))),
        };
        if kind != ObjectType::Blob {
            return Ok(Some(Object {
                kind,
                data: Vec::new(),
            }));
        }
        if size > max {
            return Ok(None);
        }
        let mut data = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        z.take(size + 1)
            .read_to_end(&mut data)
            .map_err(|e| err(format!("damaged ({e})")))?;
        if data.len() as u64 != size {
            return Err(err(format!("truncated ({} of {size} bytes)", data.len())));
        }
        Ok(Some(Object { kind, data }))
    }
}

/// A blob's bytes, owned or held by libgit2 (no copy).
pub(crate) enum BlobData<'o> {
    Owned(Vec<u8>),
    Odb(git2::OdbObject<'o>),
}

impl BlobData<'_> {
    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            BlobData::Owned(v) => v,
            BlobData::Odb(o) => o.data(),
        }
    }
}

/// Every object id in the repository, in the order the bytes lie on disk: pack by pack, by
/// offset, then the loose objects. Reading in this order lets each thread walk its pack window
/// forward instead of jumping around 300 MB of pack, which keeps the mapped windows (and so
/// memory) small without remapping. Falls back to `all_objects` (id order) when a pack index
/// cannot be read or the repository borrows objects from alternates.
pub(crate) fn objects_in_pack_order(repo: &Repository) -> Result<Vec<Oid>, git2::Error> {
    let objects = repo.path().join("objects");
    if objects.join("info").join("alternates").exists() {
        return all_objects(repo);
    }
    let mut idx_files: Vec<PathBuf> = std::fs::read_dir(objects.join("pack"))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "idx"))
                .collect()
        })
        .unwrap_or_default();
    idx_files.sort();
    let mut out: Vec<Oid> = Vec::new();
    for idx in &idx_files {
        let Some(mut entries) = std::fs::read(idx).ok().and_then(|d| parse_pack_index(&d)) else {
            return all_objects(repo);
        };
        entries.sort_unstable_by_key(|e| e.1);
        out.extend(entries.into_iter().map(|e| e.0));
    }
    let loose = LooseObjects::list(repo.path());
    let mut loose_ids: Vec<Oid> = loose.ids.into_iter().collect();
    loose_ids.sort_unstable();
    out.extend(loose_ids);
    if idx_files.len() > 1 || !out.is_empty() {
        let mut seen: HashSet<Oid> = HashSet::with_capacity(out.len());
        out.retain(|o| seen.insert(*o));
    }
    Ok(out)
}

/// (object id, offset) of every object in a version-2 pack index.
fn parse_pack_index(d: &[u8]) -> Option<Vec<(Oid, u64)>> {
    let be32 = |at: usize| -> Option<u32> {
        Some(u32::from_be_bytes(d.get(at..at + 4)?.try_into().ok()?))
    };
    if d.get(0..4) != Some(&[0xff, 0x74, 0x4f, 0x63][..]) || be32(4)? != 2 {
        return None;
    }
    let n = usize::try_from(be32(8 + 255 * 4)?).ok()?;
    let shas = 8 + 1024;
    let offsets = shas + 20 * n + 4 * n;
    let large = offsets + 4 * n;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let oid = Oid::from_bytes(d.get(shas + 20 * i..shas + 20 * (i + 1))?).ok()?;
        let off = be32(offsets + 4 * i)?;
        let offset = if off & 0x8000_0000 == 0 {
            u64::from(off)
        } else {
            let at = large + 8 * usize::try_from(off & 0x7fff_ffff).ok()?;
            u64::from_be_bytes(d.get(at..at + 8)?.try_into().ok()?)
        };
        out.push((oid, offset));
    }
    Some(out)
}

/// Reads every blob among `oids` of the repository at `git_dir` (shown in reports as `repo`)
/// in parallel and calls `visit(oid, blob)` for each text blob within the size limit. Returns
/// the ids of the blobs that were read and scanned.
pub(crate) fn scan_blobs<F>(
    git_dir: &Path,
    repo: &str,
    oids: &[Oid],
    max_size: u64,
    tally: &Tally,
    progress: &indicatif::ProgressBar,
    visit: F,
) -> HashSet<Oid>
where
    F: Fn(Oid, &Blob<'_>) + Sync,
{
    progress.set_length(oids.len() as u64);
    let loose = LooseObjects::list(git_dir);
    let scanned: Mutex<HashSet<Oid>> = Mutex::new(HashSet::new());
    oids.par_chunks(512).for_each(|chunk| {
        let local = with_odb(git_dir, tally, |_, odb| {
            let mut local = Vec::new();
            for &oid in chunk {
                let Some(blob) = read_blob(odb, &loose, oid, max_size, tally) else {
                    continue;
                };
                let data = blob.bytes();
                Stats::add(&tally.stats.blobs, 1);
                Stats::add(&tally.stats.blob_bytes, data.len() as u64);
                local.push(oid);
                match text_content(data) {
                    Some(text) => visit(
                        oid,
                        &Blob {
                            bytes: &text,
                            origin: Origin::git_blob(repo.to_string(), oid.to_string()),
                        },
                    ),
                    None => Stats::add(&tally.stats.skipped_binary, 1),
                }
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
/// Loose objects are read by keyhound, packed ones by libgit2 (header first, so that trees,
/// commits and oversized blobs are never inflated).
pub(crate) fn read_blob<'o>(
    odb: &'o git2::Odb<'_>,
    loose: &LooseObjects,
    oid: Oid,
    max_size: u64,
    tally: &Tally,
) -> Option<BlobData<'o>> {
    if loose.contains(&oid) {
        return match loose.read(&oid, max_size) {
            Ok(Some(obj)) if obj.kind == ObjectType::Blob => Some(BlobData::Owned(obj.data)),
            Ok(Some(_)) => None,
            Ok(None) => {
                Stats::add(&tally.stats.skipped_large, 1);
                None
            }
            Err(e) => {
                tally.error(e);
                None
            }
        };
    }
    let (size, kind) = match odb.read_header(oid) {
        Ok(h) => h,
        Err(e) => {
            tally.error(Error::git(format!("git object {oid}"), &e));
            return None;
        }
    };
    if kind != ObjectType::Blob {
        return None;
    }
    if size as u64 > max_size {
        Stats::add(&tally.stats.skipped_large, 1);
        return None;
    }
    match odb.read(oid) {
        Ok(o) => Some(BlobData::Odb(o)),
        Err(e) => {
            tally.error(Error::git(format!("git blob {oid}"), &e));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_order_lists_exactly_the_objects() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let git = |args: &[&str]| {
            let ok = std::process::Command::new("git")
                .args([
                    "-c",
                    "user.name=t",
                    "-c",
                    "user.email=t@example.com",
                    "-c",
                    "commit.gpgsign=false",
                ])
                .args(args)
                .current_dir(dir.path())
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("HOME", dir.path())
                .output()
                .is_ok_and(|o| o.status.success());
            assert!(ok, "git {args:?}");
        };
        git(&["init", "-q"]);
        for i in 0..30 {
            std::fs::write(
                dir.path().join(format!("f{}", i % 7)),
                format!("line {i}\n").repeat(i + 1),
            )
            .unwrap_or_else(|e| panic!("{e}"));
            git(&["add", "-A"]);
            git(&["commit", "-qm", &format!("c{i}")]);
            if i == 20 {
                git(&["gc", "-q"]);
            }
        }
        let repo = Repository::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let mut ordered = objects_in_pack_order(&repo).unwrap_or_else(|e| panic!("{e}"));
        let all = all_objects(&repo).unwrap_or_else(|e| panic!("{e}"));
        assert!(repo
            .path()
            .join("objects/pack")
            .read_dir()
            .is_ok_and(|mut d| d.next().is_some()));
        assert!(
            !LooseObjects::list(repo.path()).ids.is_empty(),
            "some objects stay loose"
        );
        ordered.sort_unstable();
        assert_eq!(ordered, all);
    }
}
