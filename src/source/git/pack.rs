//! Pack files as keyhound reads them itself: the version-2 index of each pack (which objects it
//! holds, at which offsets) and the header of each entry (its type and size, through chains of
//! deltas), so that listing objects in disk order and telling blobs from trees never goes
//! through libgit2, which panics on a pack entry with an invalid type. The content of a packed
//! object is still inflated by libgit2 (with its delta cache), once keyhound knows what it is.
//! Entry headers are read with positioned reads, not through a memory map: a map of the pack
//! would count every page the listing touches (all of them) in keyhound's resident memory.
//! A scan of every object reads each index whole; a scan of a few (`--staged`) reads only the
//! fan-out table and looks objects up with positioned reads (git/git's index is 24 MB: reading
//! it whole would cost a pre-commit hook more than the rest of its work).

use std::borrow::Cow;
use std::cell::RefCell;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;

use flate2::{Decompress, FlushDecompress, Status};
use git2::{ObjectType, Oid};

/// Deltas followed to find an object's type, at most (git itself writes chains of 50).
const MAX_DELTA_CHAIN: usize = 10_000;
/// Bytes read at an entry's offset to decode its header (type, size, delta base).
const HEADER_READ: usize = 64;

/// One pack: its index and its data file.
struct Pack {
    /// The `.pack` file, for messages.
    path: PathBuf,
    /// The `.pack` file; `None` when it cannot be opened.
    data: Option<File>,
    /// The `.idx` file's bytes, whole: read when the pack is opened for every object, or on
    /// the first listing of a pack opened for a few (then empty if it cannot be read).
    idx: OnceLock<Vec<u8>>,
    /// The `.idx` file, for the positioned reads of a pack opened for a few objects.
    idx_file: Option<File>,
    /// The index's header and fan-out table (its first 1032 bytes).
    head: Vec<u8>,
    count: usize,
    /// Every entry's offset, sorted, and the resolved type of the entry at each (0 while not
    /// known): a delta chain is followed once, and its entries remembered, whichever thread
    /// gets there first. Built for a scan of the history (`Packs::listing`), which reads every
    /// object; a scan of a few objects (`--staged`) does without it rather than sort the
    /// offsets of a whole pack (git/git's: 30 ms).
    kinds: OnceLock<(Vec<u64>, Vec<AtomicU8>)>,
}

/// Where a packed object is: the pack (by position) and its offset in that pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct PackedAt {
    pub(crate) pack: usize,
    pub(crate) offset: u64,
}

/// How a pack's index is read: whole when it is opened (a scan of every object, or of many), or
/// piece by piece, as objects are looked up (a scan of a few).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IndexReading {
    Whole,
    Lookups,
}

/// Bytes of an index's header (magic and version) and fan-out table.
const IDX_HEAD: usize = 8 + 1024;

/// Every pack of an object database (and of its alternates).
#[derive(Default)]
pub(crate) struct Packs {
    packs: Vec<Pack>,
    /// Index files that could not be read or are not version 2: their objects are unknown
    /// here, and the caller falls back to libgit2 for them.
    pub(crate) unreadable: Vec<PathBuf>,
}

impl Packs {
    /// The packs under each of `objects_dirs` (`pack/*.idx`), in name order, with their
    /// indexes read as `reading` says.
    pub(crate) fn open(objects_dirs: &[PathBuf], reading: IndexReading) -> Packs {
        let mut out = Packs::default();
        for dir in objects_dirs {
            let mut idx_files: Vec<PathBuf> = std::fs::read_dir(dir.join("pack"))
                .map(|rd| {
                    rd.flatten()
                        .map(|e| e.path())
                        .filter(|p| p.extension().is_some_and(|x| x == "idx"))
                        .collect()
                })
                .unwrap_or_default();
            idx_files.sort();
            for idx_path in idx_files {
                let pack = match reading {
                    IndexReading::Whole => std::fs::read(&idx_path)
                        .ok()
                        .and_then(|d| Pack::whole(&idx_path, d)),
                    IndexReading::Lookups => Pack::lookups(&idx_path),
                };
                match pack {
                    Some(p) => out.packs.push(p),
                    None => out.unreadable.push(idx_path),
                }
            }
        }
        out
    }

    /// Every object of every pack with where it is, pack by pack, by offset.
    pub(crate) fn listing(&self) -> Vec<(Oid, PackedAt)> {
        let mut out = Vec::new();
        for (n, p) in self.packs.iter().enumerate() {
            p.load();
            p.remember_kinds();
            let start = out.len();
            for i in 0..p.count {
                if let (Some(oid), Some(offset)) = (p.oid(i), p.offset(i)) {
                    out.push((oid, PackedAt { pack: n, offset }));
                }
            }
            if let Some(mine) = out.get_mut(start..) {
                mine.sort_unstable_by_key(|e| e.1.offset);
            }
        }
        out
    }

    /// Where `oid` is packed, if it is (the first pack that holds it).
    pub(crate) fn find(&self, oid: &Oid) -> Option<PackedAt> {
        self.packs.iter().enumerate().find_map(|(n, p)| {
            p.find(oid.as_bytes())
                .map(|offset| PackedAt { pack: n, offset })
        })
    }

    /// The type of the object at `at` (following deltas to their base, every entry of the chain
    /// checked), and its size: a blob's always, another object's when its entry is not a delta
    /// (the result size of a delta is read from the start of its inflated data, which only blobs
    /// need: their size decides whether they are read at all). An error names what is wrong
    /// with the entry.
    pub(crate) fn header(&self, at: PackedAt) -> Result<(ObjectType, Option<u64>), String> {
        let pack = self.packs.get(at.pack).ok_or("no such pack")?;
        let first = pack.entry(at.offset)?;
        let kind = self.kind_of(at, first)?;
        let size = match first.kind {
            Kind::Object(_) => Some(first.size),
            _ if kind == ObjectType::Blob => Some(pack.delta_result_size(at.offset, first)?),
            _ => None,
        };
        Ok((kind, size))
    }

    /// The type at the end of the delta chain that starts with `first` (at `at`), remembered
    /// for every entry of the chain.
    fn kind_of(&self, at: PackedAt, first: Entry) -> Result<ObjectType, String> {
        let mut chain: Vec<PackedAt> = Vec::new();
        let mut here = at;
        let mut entry = first;
        let kind = loop {
            if let Some(k) = self.known(here) {
                break k;
            }
            chain.push(here);
            if chain.len() > MAX_DELTA_CHAIN {
                return Err(format!(
                    "a chain of more than {MAX_DELTA_CHAIN} deltas (or a cycle)"
                ));
            }
            here = match entry.kind {
                Kind::Object(kind) => break kind,
                Kind::OfsDelta(base) => PackedAt {
                    pack: here.pack,
                    offset: base,
                },
                Kind::RefDelta(base) => self
                    .find(&base)
                    .ok_or_else(|| format!("delta base {base} is not in any pack"))?,
            };
            entry = self
                .packs
                .get(here.pack)
                .ok_or("no such pack")?
                .entry(here.offset)?;
        };
        for c in chain {
            self.remember(c, kind);
        }
        Ok(kind)
    }

    fn slot(&self, at: PackedAt) -> Option<&AtomicU8> {
        let (offsets, kinds) = self.packs.get(at.pack)?.kinds.get()?;
        let i = offsets.binary_search(&at.offset).ok()?;
        kinds.get(i)
    }

    fn known(&self, at: PackedAt) -> Option<ObjectType> {
        match self.slot(at)?.load(Ordering::Relaxed) {
            1 => Some(ObjectType::Commit),
            2 => Some(ObjectType::Tree),
            3 => Some(ObjectType::Blob),
            4 => Some(ObjectType::Tag),
            _ => None,
        }
    }

    fn remember(&self, at: PackedAt, kind: ObjectType) {
        let code = match kind {
            ObjectType::Commit => 1,
            ObjectType::Tree => 2,
            ObjectType::Blob => 3,
            ObjectType::Tag => 4,
            ObjectType::Any => return,
        };
        if let Some(slot) = self.slot(at) {
            slot.store(code, Ordering::Relaxed);
        }
    }

    /// The `.pack` file holding `at`, for messages.
    pub(crate) fn path(&self, at: PackedAt) -> Option<&Path> {
        self.packs.get(at.pack).map(|p| p.path.as_path())
    }
}

/// What a pack entry is.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Object(ObjectType),
    /// A delta against the entry at this offset of the same pack.
    OfsDelta(u64),
    /// A delta against the object with this id.
    RefDelta(Oid),
}

/// A decoded entry header.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    kind: Kind,
    /// The size of the (inflated) entry data: the object's size, or the delta's.
    size: u64,
    /// The length of the entry header: the entry's zlib stream starts this far past its offset.
    header_len: usize,
}

impl Pack {
    /// A pack from its `.idx` path and bytes; `None` unless the index is a version-2 index.
    fn whole(idx_path: &Path, idx: Vec<u8>) -> Option<Pack> {
        let head = idx.get(..IDX_HEAD)?.to_vec();
        let mut pack = Pack::new(idx_path, head, idx.len() as u64, None)?;
        pack.idx = OnceLock::from(idx);
        Some(pack)
    }

    /// A pack whose index is read piece by piece (its header and fan-out table now); `None`
    /// unless the index is a version-2 index.
    fn lookups(idx_path: &Path) -> Option<Pack> {
        let file = File::open(idx_path).ok()?;
        let len = file.metadata().ok()?.len();
        let mut head = vec![0u8; IDX_HEAD];
        if read_at(&file, &mut head, 0).ok()? != IDX_HEAD {
            return None;
        }
        Pack::new(idx_path, head, len, Some(file))
    }

    /// A pack from its index's header and fan-out table (`head`) and length, checked.
    fn new(idx_path: &Path, head: Vec<u8>, len: u64, idx_file: Option<File>) -> Option<Pack> {
        if head.get(0..4) != Some(&[0xff, 0x74, 0x4f, 0x63][..]) || be32(&head, 4)? != 2 {
            return None;
        }
        let count = usize::try_from(be32(&head, 8 + 255 * 4)?).ok()?;
        // The tables must fit: fan-out, ids, CRCs, offsets.
        if len < u64::try_from(IDX_HEAD.checked_add(count.checked_mul(28)?)?).ok()? {
            return None;
        }
        let path = idx_path.with_extension("pack");
        let data = File::open(&path).ok();
        let pack = Pack {
            path,
            data,
            idx: OnceLock::new(),
            idx_file,
            head,
            count,
            kinds: OnceLock::new(),
        };
        Some(pack)
    }

    /// The index read whole (read now if it was not: see `idx`).
    fn load(&self) -> &[u8] {
        self.idx.get_or_init(|| {
            let mut all = Vec::new();
            if let Some(mut f) = self.idx_file.as_ref() {
                use std::io::{Read as _, Seek as _};
                if f.rewind().and_then(|()| f.read_to_end(&mut all)).is_err() {
                    all.clear();
                }
            }
            all
        })
    }

    /// `len` bytes of the index at `at`: from the whole index when it was read, else read now.
    fn idx_bytes(&self, at: usize, len: usize) -> Option<Cow<'_, [u8]>> {
        if let Some(all) = self.idx.get() {
            return all.get(at..at.checked_add(len)?).map(Cow::Borrowed);
        }
        let mut buf = vec![0u8; len];
        let n = read_at(self.idx_file.as_ref()?, &mut buf, at as u64).ok()?;
        (n == len).then_some(Cow::Owned(buf))
    }

    /// Builds the cache of resolved types (see `kinds`).
    fn remember_kinds(&self) {
        self.kinds.get_or_init(|| {
            let mut offsets: Vec<u64> = (0..self.count).filter_map(|i| self.offset(i)).collect();
            offsets.sort_unstable();
            let kinds = (0..offsets.len()).map(|_| AtomicU8::new(0)).collect();
            (offsets, kinds)
        });
    }

    fn oid(&self, i: usize) -> Option<Oid> {
        Oid::from_bytes(&self.idx_bytes(IDX_HEAD + 20 * i, 20)?).ok()
    }

    fn offset(&self, i: usize) -> Option<u64> {
        let offsets = IDX_HEAD + 24 * self.count;
        let off = be32(&self.idx_bytes(offsets + 4 * i, 4)?, 0)?;
        if off & 0x8000_0000 == 0 {
            return Some(u64::from(off));
        }
        let large = offsets + 4 * self.count;
        let at = large + 8 * usize::try_from(off & 0x7fff_ffff).ok()?;
        Some(u64::from_be_bytes(
            self.idx_bytes(at, 8)?.as_ref().try_into().ok()?,
        ))
    }

    /// The offset of `oid` in this pack, by binary search within its fan-out bucket.
    fn find(&self, oid: &[u8]) -> Option<u64> {
        let first = usize::from(*oid.first()?);
        let lo = if first == 0 {
            0
        } else {
            usize::try_from(be32(&self.head, 8 + 4 * (first - 1))?).ok()?
        };
        let hi = usize::try_from(be32(&self.head, 8 + 4 * first)?).ok()?;
        let (mut lo, mut hi) = (lo, hi.min(self.count));
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.idx_bytes(IDX_HEAD + 20 * mid, 20)?.as_ref().cmp(oid) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return self.offset(mid),
            }
        }
        None
    }

    /// Reads up to `buf.len()` bytes at `offset` (fewer at the end of the file); returns how
    /// many.
    fn read(&self, offset: u64, buf: &mut [u8]) -> Result<usize, String> {
        let file = self.data.as_ref().ok_or("the pack file cannot be opened")?;
        read_at(file, buf, offset).map_err(|e| e.to_string())
    }

    /// The entry header at `offset`.
    fn entry(&self, offset: u64) -> Result<Entry, String> {
        let mut buf = [0u8; HEADER_READ];
        let n = self.read(offset, &mut buf)?;
        decode_entry(buf.get(..n).unwrap_or_default(), offset)
    }

    /// The size of the object that the delta entry `entry` (at `offset`) produces: the second
    /// number of the delta's own header, at the start of its inflated data.
    fn delta_result_size(&self, offset: u64, entry: Entry) -> Result<u64, String> {
        let start = offset.saturating_add(entry.header_len as u64);
        let mut head = [0u8; 2 * MAX_VARINT];
        // A deflate block's own header comes first (a few hundred bytes at most for dynamic
        // Huffman codes); read more only when that was not enough.
        for len in [512usize, 8192, 131_072] {
            let mut stream = vec![0u8; len];
            let got = self.read(start, &mut stream)?;
            let stream = stream.get(..got).unwrap_or_default();
            let n = inflate_prefix(stream, &mut head)?;
            // A small delta inflates to fewer bytes than `head` holds: its sizes are all there.
            match delta_sizes(head.get(..n).unwrap_or_default()) {
                Ok((_, result)) => return Ok(result),
                Err(e) if got < len => return Err(e),
                Err(_) => {}
            }
        }
        Err("delta header not found in its first 128 KiB".into())
    }
}

/// Bytes of a delta header's size: 64-bit sizes in 7-bit groups.
const MAX_VARINT: usize = 10;

thread_local! {
    /// One inflater per thread, reset for each delta header: a new one costs an allocation of
    /// tens of kilobytes.
    static INFLATER: RefCell<Decompress> = RefCell::new(Decompress::new(true));
}

/// Inflates the start of the zlib stream `stream` into `out`; returns how many bytes it gave
/// (fewer than `out.len()` only when the stream ends first).
fn inflate_prefix(stream: &[u8], out: &mut [u8]) -> Result<usize, String> {
    INFLATER.with(|z| {
        let mut z = z.borrow_mut();
        z.reset(true);
        let mut filled = 0usize;
        loop {
            let (read, wrote) = (z.total_in(), z.total_out());
            let input = stream
                .get(usize::try_from(read).unwrap_or(usize::MAX)..)
                .unwrap_or_default();
            let rest = out.get_mut(filled..).unwrap_or_default();
            let status = z
                .decompress(input, rest, FlushDecompress::None)
                .map_err(|e| format!("damaged delta: {e}"))?;
            filled += usize::try_from(z.total_out() - wrote).unwrap_or(0);
            let stalled = z.total_in() == read && z.total_out() == wrote;
            if filled == out.len() || status == Status::StreamEnd || stalled {
                return Ok(filled);
            }
        }
    })
}

/// The two sizes a delta starts with: of its base, and of the object it produces.
pub(crate) fn delta_sizes(head: &[u8]) -> Result<(u64, u64), String> {
    let mut it = head.iter().copied();
    let mut size = || -> Result<u64, String> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let b = it.next().ok_or("truncated delta header")?;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("delta header size overflows".into())
    };
    Ok((size()?, size()?))
}

/// Decodes the header of the pack entry at `offset` from its first bytes.
pub(crate) fn decode_entry(bytes: &[u8], offset: u64) -> Result<Entry, String> {
    let mut it = bytes.iter().copied();
    let first = it.next().ok_or("truncated pack entry")?;
    let kind_bits = (first >> 4) & 7;
    let mut size = u64::from(first & 0x0f);
    let mut shift = 4u32;
    let mut byte = first;
    let mut used = 1usize;
    while byte & 0x80 != 0 {
        byte = it.next().ok_or("truncated pack entry header")?;
        used += 1;
        if shift > 57 {
            return Err("pack entry size overflows".into());
        }
        size |= u64::from(byte & 0x7f) << shift;
        shift += 7;
    }
    let kind = match kind_bits {
        1 => Kind::Object(ObjectType::Commit),
        2 => Kind::Object(ObjectType::Tree),
        3 => Kind::Object(ObjectType::Blob),
        4 => Kind::Object(ObjectType::Tag),
        6 => {
            let (distance, ofs_len) = ofs_distance(bytes.get(used..).unwrap_or_default())?;
            if distance == 0 || distance > offset {
                return Err(format!("delta base offset {distance} is out of range"));
            }
            used += ofs_len;
            Kind::OfsDelta(offset - distance)
        }
        7 => {
            let id = bytes
                .get(used..used + 20)
                .ok_or("truncated delta base id")?;
            used += 20;
            Kind::RefDelta(Oid::from_bytes(id).map_err(|e| e.message().to_string())?)
        }
        t => return Err(format!("invalid object type {t}")),
    };
    Ok(Entry {
        kind,
        size,
        header_len: used,
    })
}

/// The distance to an offset delta's base, and how many bytes encode it.
fn ofs_distance(b: &[u8]) -> Result<(u64, usize), String> {
    let mut it = b.iter().copied();
    let mut c = it.next().ok_or("truncated delta base offset")?;
    let mut value = u64::from(c & 0x7f);
    let mut len = 1;
    while c & 0x80 != 0 {
        c = it.next().ok_or("truncated delta base offset")?;
        len += 1;
        value = value
            .checked_add(1)
            .and_then(|v| v.checked_mul(128))
            .map(|v| v | u64::from(c & 0x7f))
            .ok_or("delta base offset overflows")?;
    }
    Ok((value, len))
}

fn be32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    use std::os::unix::fs::FileExt;
    let mut done = 0;
    while done < buf.len() {
        let rest = buf.get_mut(done..).unwrap_or_default();
        match file.read_at(rest, offset + done as u64)? {
            0 => break,
            n => done += n,
        }
    }
    Ok(done)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    use std::os::windows::fs::FileExt;
    let mut done = 0;
    while done < buf.len() {
        let rest = buf.get_mut(done..).unwrap_or_default();
        match file.seek_read(rest, offset + done as u64)? {
            0 => break,
            n => done += n,
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) {
        let out = Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "gc.auto=0",
            ])
            .args(args)
            .current_dir(dir)
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git {args:?}: {out:?}");
    }

    /// Every blob's size read from the pack (deltas included) is the size libgit2 reads.
    #[test]
    fn delta_result_sizes_match_libgit2() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        git(root, &["init", "-q"]);
        let mut text = String::new();
        for i in 0..400 {
            text.push_str(&format!(
                "line {i} of a file that changes a little each commit\n"
            ));
        }
        for round in 0..6 {
            text.push_str(&format!("appended in round {round}\n"));
            text = text.replacen("line 7 ", &format!("line 7.{round} "), 1);
            std::fs::write(root.join("f.txt"), &text).expect("write");
            // A file cut shorter each time: its deltas are a single copy, a few bytes in all
            // (fewer than the two sizes may take).
            let cut: String = text
                .lines()
                .take(300 - 40 * round)
                .collect::<Vec<_>>()
                .join("\n");
            std::fs::write(root.join("g.txt"), cut).expect("write");
            git(root, &["add", "f.txt", "g.txt"]);
            git(root, &["commit", "-q", "-m", &format!("round {round}")]);
        }
        git(root, &["gc", "-q", "--aggressive"]);

        let repo = git2::Repository::open(root).expect("open");
        let odb = repo.odb().expect("odb");
        let packs = Packs::open(&[root.join(".git/objects")], IndexReading::Whole);
        let mut deltas = 0;
        let mut blobs = 0;
        for (oid, at) in packs.listing() {
            let (kind, size) = packs.header(at).expect("sound entry");
            let (len, want) = odb.read_header(oid).expect("libgit2 header");
            assert_eq!(kind, want, "{oid}");
            if kind == ObjectType::Blob {
                blobs += 1;
                assert_eq!(size, Some(len as u64), "{oid}");
                let pack = packs.packs.get(at.pack).expect("pack");
                let entry = pack.entry(at.offset).expect("entry");
                if !matches!(entry.kind, Kind::Object(_)) {
                    deltas += 1;
                }
            }
        }
        assert_eq!(blobs, 12);
        assert!(deltas > 0, "the test repository has deltified blobs");
    }

    #[test]
    fn delta_sizes_reads_two_varints() {
        assert_eq!(delta_sizes(&[0x05, 0x91, 0x01]), Ok((5, 145)));
        assert!(delta_sizes(&[0x80]).is_err());
        assert!(delta_sizes(&[0xff; 20]).is_err());
    }
}
