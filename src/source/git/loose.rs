//! Loose objects (`objects/xx/yyyy…`), read by keyhound itself rather than libgit2: libgit2 1.9
//! spins forever inflating a truncated loose object (its zlib loop waits for input that never
//! comes), and a damaged object must be an error that the scan reports and moves past. Every
//! read here is bounded: the header by 32 bytes, the content by the size the header states and
//! by the caller's limit.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::PathBuf;

use git2::{ObjectType, Oid};

use crate::error::Error;

/// The loose objects of one or more object directories (a repository's and its alternates').
#[derive(Default)]
pub(crate) struct LooseObjects {
    dirs: Vec<PathBuf>,
    /// Each object id, with the directory that holds it; `None` when the directories were not
    /// listed (a scan of a few objects), and each object is looked for on disk.
    ids: Option<HashMap<Oid, usize>>,
}

/// An object read: its type and size, and its content unless it was larger than asked for.
pub(crate) struct Object {
    pub(crate) kind: ObjectType,
    pub(crate) size: u64,
    pub(crate) data: Option<Vec<u8>>,
}

impl LooseObjects {
    /// Lists the loose objects under each of `objects_dirs` (the first that holds an object
    /// wins).
    pub(crate) fn list(objects_dirs: &[PathBuf]) -> LooseObjects {
        let mut ids = HashMap::new();
        for (n, dir) in objects_dirs.iter().enumerate() {
            let Ok(fans) = std::fs::read_dir(dir) else {
                continue;
            };
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
                    let Some(rest) = f.file_name().to_str().map(str::to_string) else {
                        continue;
                    };
                    if rest.len() == 38 {
                        if let Ok(oid) = Oid::from_str(&format!("{prefix}{rest}")) {
                            ids.entry(oid).or_insert(n);
                        }
                    }
                }
            }
        }
        LooseObjects {
            dirs: objects_dirs.to_vec(),
            ids: Some(ids),
        }
    }

    /// The loose objects under each of `objects_dirs`, looked for one by one as they are asked
    /// for rather than listed (a repository may hold thousands; `--staged` reads a few).
    pub(crate) fn unlisted(objects_dirs: &[PathBuf]) -> LooseObjects {
        LooseObjects {
            dirs: objects_dirs.to_vec(),
            ids: None,
        }
    }

    pub(crate) fn contains(&self, oid: &Oid) -> bool {
        self.dir_of(oid).is_some()
    }

    /// The directory (by position) that holds `oid` loose: the first that does.
    fn dir_of(&self, oid: &Oid) -> Option<usize> {
        match &self.ids {
            Some(ids) => ids.get(oid).copied(),
            None => self.dirs.iter().position(|d| object_path(d, oid).is_file()),
        }
    }

    /// The ids of every loose object, sorted (none when the directories were not listed).
    pub(crate) fn ids(&self) -> Vec<Oid> {
        let mut v: Vec<Oid> = self.ids.iter().flat_map(|m| m.keys().copied()).collect();
        v.sort_unstable();
        v
    }

    /// The type and size of a loose object, from its header.
    pub(crate) fn header(&self, oid: &Oid) -> Result<(ObjectType, u64), Error> {
        let (kind, size, _) = self.open(oid)?;
        Ok((kind, size))
    }

    /// Reads and inflates one loose object whole; `max` caps the inflated size (a larger
    /// object comes back without its content, after reading only its header).
    pub(crate) fn read(&self, oid: &Oid, max: u64) -> Result<Object, Error> {
        let (kind, size, z) = self.open(oid)?;
        if size > max {
            return Ok(Object {
                kind,
                size,
                data: None,
            });
        }
        let mut data = Vec::with_capacity(usize::try_from(size.min(1 << 24)).unwrap_or(0));
        z.take(size.saturating_add(1))
            .read_to_end(&mut data)
            .map_err(|e| damaged(oid, format!("damaged ({e})")))?;
        if data.len() as u64 != size {
            return Err(damaged(
                oid,
                format!("truncated ({} of {size} bytes)", data.len()),
            ));
        }
        Ok(Object {
            kind,
            size,
            data: Some(data),
        })
    }

    /// Opens an object and reads its header (`<type> <size>\0`); the decoder is left at the
    /// start of the content.
    fn open(&self, oid: &Oid) -> Result<(ObjectType, u64, Decoder), Error> {
        let dir = self
            .dir_of(oid)
            .and_then(|n| self.dirs.get(n))
            .ok_or_else(|| damaged(oid, "not a loose object".into()))?;
        let path = object_path(dir, oid);
        let file = std::fs::File::open(&path).map_err(|e| damaged(oid, e.to_string()))?;
        let mut z = flate2::read::ZlibDecoder::new(std::io::BufReader::new(file));
        let mut header = Vec::with_capacity(32);
        let mut byte = [0u8; 1];
        loop {
            match z.read(&mut byte) {
                Ok(1) => {}
                Ok(_) => return Err(damaged(oid, "truncated header".into())),
                Err(e) => return Err(damaged(oid, format!("damaged ({e})"))),
            }
            let [b] = byte;
            if b == 0 {
                break;
            }
            header.push(b);
            if header.len() > 32 {
                return Err(damaged(oid, "bad header".into()));
            }
        }
        let header = String::from_utf8_lossy(&header).into_owned();
        let (kind, size) = header
            .split_once(' ')
            .and_then(|(k, n)| Some((k, n.parse::<u64>().ok()?)))
            .ok_or_else(|| damaged(oid, format!("bad header {header:?}")))?;
        let kind = match kind {
            "blob" => ObjectType::Blob,
            "tree" => ObjectType::Tree,
            "commit" => ObjectType::Commit,
            "tag" => ObjectType::Tag,
            _ => return Err(damaged(oid, format!("unknown type {kind:?}"))),
        };
        Ok((kind, size, z))
    }
}

/// Where `oid` lies loose under the object directory `dir`.
fn object_path(dir: &std::path::Path, oid: &Oid) -> PathBuf {
    let hex = oid.to_string();
    dir.join(hex.get(..2).unwrap_or_default())
        .join(hex.get(2..).unwrap_or_default())
}

type Decoder = flate2::read::ZlibDecoder<std::io::BufReader<std::fs::File>>;

fn damaged(oid: &Oid, message: String) -> Error {
    Error::Git {
        object: format!("git object {oid}"),
        message,
    }
}
