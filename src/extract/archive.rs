//! Opening containers, one top-level file at a time: zip (and its family: jar, apk, whl,
//! nupkg, OOXML, ...), tar, and gzip, bzip2, xz and zstd streams, nested up to the depth
//! limit. Members are read as streams, one after another; a member is held in memory only to
//! be scanned (up to `--max-file-size`), or, for a zip inside another container, to be opened
//! (zip needs its central directory, at the end). Each member becomes a blob whose origin is
//! the top-level file's with the chain of member names; names are labels only, sanitised,
//! never paths that are opened. A damaged container has every member that can be read
//! scanned, and is counted once, with the reason.

use std::cell::{Cell, RefCell};
use std::fs::File;
use std::io::{self, Cursor, Read, Seek, SeekFrom};

use super::budget::{is_stop, Budget, CountIn, Limits, Meter, Stop};
use super::image::Layer;
use super::kind::{is_zip_after_script, sniff, Kind, HEAD};
use crate::source::{Blob, Origin, Stats, Tally};

/// A zip inside another container is read into memory to be opened, up to this size.
const NESTED_ZIP_MAX: u64 = 512 << 20;
/// Compressed streams directly inside one another (`.gz.gz`) opened at most.
const MAX_STREAK: u32 = 2;
/// A member name is shown up to this many characters.
const LABEL_MAX: usize = 512;
/// Memory an xz block may ask for (its dictionary), in KiB.
const XZ_MEM_LIMIT_KB: u32 = 256 * 1024;

/// The bytes of one container level.
pub(crate) enum Input<'d, 'r> {
    /// In memory.
    Mem(&'d [u8]),
    /// A stream read once, front to back.
    Stream(&'r mut dyn Read),
    /// A top-level file too large to hold in memory: read from disk.
    File(&'r mut File),
}

/// The opening of one top-level file.
pub(crate) struct Walk<'a> {
    pub limits: &'a Limits,
    pub tally: &'a Tally,
    pub visit: &'a (dyn Fn(&Blob<'_>) + Sync),
    /// The top-level file's origin (no members); for an image directory, the file being read.
    pub base: RefCell<Origin>,
    pub budget: Budget,
    damaged: Cell<bool>,
    encrypted: Cell<bool>,
    /// Set while a layer of a container image is read.
    pub(crate) layer: RefCell<Option<Layer>>,
}

impl<'a> Walk<'a> {
    pub(crate) fn new(
        limits: &'a Limits,
        tally: &'a Tally,
        visit: &'a (dyn Fn(&Blob<'_>) + Sync),
        base: Origin,
    ) -> Self {
        Walk {
            limits,
            tally,
            visit,
            base: RefCell::new(base),
            budget: Budget::default(),
            damaged: Cell::new(false),
            encrypted: Cell::new(false),
            layer: RefCell::new(None),
        }
    }

    /// Opens `input`, found at `chain` (empty for the top-level file), `depth` containers
    /// down, after `streak` compressed streams in a row.
    pub(crate) fn open(
        &self,
        input: Input<'_, '_>,
        chain: &mut Vec<String>,
        depth: u32,
        streak: u32,
    ) {
        if self.budget.stopped().is_some() {
            return;
        }
        match input {
            Input::Mem(data) => {
                let mut kind = sniff(data.get(..HEAD).unwrap_or(data));
                if kind == Kind::Leaf && is_zip_after_script(data) {
                    kind = Kind::Zip;
                }
                if kind == Kind::Leaf {
                    return self.leaf(data, chain);
                }
                if !self.may_open(kind, chain, depth, streak) {
                    return;
                }
                match kind {
                    Kind::Zip => self.zip(Cursor::new(data), chain, depth),
                    Kind::Tar => self.tar_seekable(&mut Cursor::new(data), chain, depth, false),
                    _ => self.stream(kind, &mut Cursor::new(data), chain, depth, streak),
                }
            }
            Input::File(file) => {
                let mut head = Vec::with_capacity(HEAD);
                let sniffed = file
                    .by_ref()
                    .take(HEAD as u64)
                    .read_to_end(&mut head)
                    .and_then(|_| file.seek(SeekFrom::Start(0)));
                if let Err(e) = sniffed {
                    return self.damage(chain, &e);
                }
                let kind = sniff(&head);
                if kind == Kind::Leaf || !self.may_open(kind, chain, depth, streak) {
                    return;
                }
                match kind {
                    Kind::Zip => self.zip(file, chain, depth),
                    Kind::Tar => self.tar_seekable(file, chain, depth, false),
                    _ => self.stream(kind, file, chain, depth, streak),
                }
            }
            Input::Stream(r) => self.open_stream(r, chain, depth, streak),
        }
    }

    /// A stream: its first bytes decide what it is.
    fn open_stream(&self, r: &mut dyn Read, chain: &mut Vec<String>, depth: u32, streak: u32) {
        let mut head = Vec::with_capacity(HEAD);
        if let Err(e) = r.take(HEAD as u64).read_to_end(&mut head) {
            if is_stop(&e) {
                return;
            }
            self.damage(chain, &e);
            return self.leaf(&head, chain);
        }
        let kind = sniff(&head);
        let mut whole = Cursor::new(head).chain(r);
        if kind == Kind::Leaf {
            let mut data = Vec::new();
            let max = self.limits.max_member_size;
            match read_to_end_capped(&mut whole, max, &mut data) {
                Ok(true) if is_zip_after_script(&data) => {
                    self.open(Input::Mem(&data), chain, depth, streak);
                }
                Ok(true) => self.leaf(&data, chain),
                Ok(false) => Stats::add(&self.tally.stats.skipped_large, 1),
                Err(e) if is_stop(&e) => self.leaf(&data, chain),
                Err(e) => {
                    self.damage(chain, &e);
                    self.leaf(&data, chain);
                }
            }
            return;
        }
        if !self.may_open(kind, chain, depth, streak) {
            return;
        }
        match kind {
            Kind::Zip => {
                // The central directory is at the end: the zip is read whole first.
                let mut data = Vec::new();
                match read_to_end_capped(&mut whole, NESTED_ZIP_MAX, &mut data) {
                    Ok(true) => {}
                    Ok(false) => {
                        Stats::add(&self.tally.stats.skipped_large, 1);
                        return;
                    }
                    Err(e) if is_stop(&e) => return,
                    // A truncated zip: what was read is opened as far as it goes.
                    Err(e) => self.damage(chain, &e),
                }
                self.zip(Cursor::new(data.as_slice()), chain, depth);
            }
            Kind::Tar => self.tar(&mut whole, chain, depth, true),
            _ => self.stream(kind, &mut whole, chain, depth, streak),
        }
    }

    /// Whether a container of `kind` at this depth may be opened; counts it when not.
    fn may_open(&self, kind: Kind, chain: &[String], depth: u32, streak: u32) -> bool {
        let stats = &self.tally.stats;
        if depth >= self.limits.max_depth || (kind.is_compressed() && streak >= MAX_STREAK) {
            Stats::add(&stats.skipped_depth, 1);
            if !chain.is_empty() {
                Stats::add(&stats.members, 1);
            }
            return false;
        }
        Stats::add(&stats.archives, 1);
        true
    }

    /// Content to scan: handed to the same per-blob path a file takes.
    fn leaf(&self, data: &[u8], chain: &[String]) {
        let stats = &self.tally.stats;
        if !chain.is_empty() {
            Stats::add(&stats.members, 1);
            Stats::add(&stats.member_bytes, data.len() as u64);
        }
        let mut origin = self.base.borrow().clone();
        origin.members = chain.to_vec();
        if let Some(layer) = self.layer.borrow().as_ref() {
            origin.deleted = chain.get(layer.at).is_some_and(|p| layer.later.covers(p));
        }
        super::scan_leaf(data, origin, self.limits.extract, self.tally, self.visit);
    }

    /// A gzip, bzip2, xz or zstd stream: its content is opened in turn (a `.tar.gz` is a tar).
    fn stream(
        &self,
        kind: Kind,
        r: &mut dyn Read,
        chain: &mut Vec<String>,
        depth: u32,
        streak: u32,
    ) {
        let compressed = Cell::new(0u64);
        let counted = io::BufReader::new(CountIn {
            inner: r,
            count: &compressed,
        });
        let mut decoder: Box<dyn Read> = match kind {
            Kind::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(counted)),
            Kind::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(counted)),
            Kind::Xz => Box::new(lzma_rust2::XzReader::new_mem_limit(
                counted,
                true,
                XZ_MEM_LIMIT_KB,
            )),
            Kind::Zstd => match ruzstd::StreamingDecoder::new(counted) {
                Ok(d) => Box::new(d),
                Err(e) => return self.damage(chain, &io::Error::other(e.to_string())),
            },
            _ => return,
        };
        let mut meter = Meter::new(&mut decoder, &self.budget, self.limits, Some(&compressed));
        self.open(Input::Stream(&mut meter), chain, depth, streak + 1);
    }

    /// A tar that can be read again from its start: a container image is opened as one,
    /// anything else as a plain tar.
    fn tar_seekable<R: Read + Seek>(
        &self,
        r: &mut R,
        chain: &mut Vec<String>,
        depth: u32,
        metered: bool,
    ) {
        if chain.is_empty() {
            match super::image::open(self, r, depth) {
                Ok(true) => return,
                Ok(false) => {}
                Err(e) => self.damage(chain, &e),
            }
            if let Err(e) = r.seek(SeekFrom::Start(0)) {
                return self.damage(chain, &e);
            }
        }
        self.tar(r, chain, depth, metered);
    }

    /// A tar: each regular file is a member, opened in turn. `metered`: the bytes already
    /// come out of a decompressor that counts them.
    pub(crate) fn tar(&self, r: &mut dyn Read, chain: &mut Vec<String>, depth: u32, metered: bool) {
        let mut archive = tar::Archive::new(r);
        let entries = match archive.entries() {
            Ok(e) => e,
            Err(e) => return self.damage(chain, &e),
        };
        for entry in entries {
            if !self.budget.member(self.limits) {
                return;
            }
            let mut entry = match entry {
                Ok(e) => e,
                Err(e) if is_stop(&e) => return,
                Err(e) => return self.damage(chain, &e),
            };
            let regular = matches!(
                entry.header().entry_type(),
                tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse
            );
            let name = label(&entry.path_bytes());
            if let Some(layer) = self.layer.borrow_mut().as_mut() {
                if chain.len() == layer.at {
                    layer.own.record(&name);
                }
            }
            if !regular {
                continue;
            }
            chain.push(name);
            if metered {
                self.open(Input::Stream(&mut entry), chain, depth + 1, 0);
            } else {
                let mut meter = Meter::new(&mut entry, &self.budget, self.limits, None);
                self.open(Input::Stream(&mut meter), chain, depth + 1, 0);
            }
            chain.pop();
            if self.budget.stopped().is_some() {
                return;
            }
        }
    }

    /// A zip read through its central directory; when that cannot be read (a truncated zip),
    /// through its local headers, front to back.
    fn zip<R: Read + Seek>(&self, mut r: R, chain: &mut Vec<String>, depth: u32) {
        let mut archive = match zip::ZipArchive::new(&mut r) {
            Ok(a) => a,
            Err(e) => {
                self.damage(chain, &io::Error::other(format!("zip: {e}")));
                if r.seek(SeekFrom::Start(0)).is_ok() {
                    self.zip_stream(&mut r, chain, depth);
                }
                return;
            }
        };
        if overlapping(&mut archive) {
            self.budget.stop(Stop::Ratio);
            return;
        }
        for i in 0..archive.len() {
            if !self.budget.member(self.limits) {
                return;
            }
            let (name, skip) = match archive.by_index_raw(i) {
                Ok(f) => (label(f.name_raw()), f.is_dir()),
                Err(e) => {
                    self.damage(chain, &io::Error::other(format!("zip: {e}")));
                    continue;
                }
            };
            if skip {
                continue;
            }
            chain.push(name);
            match archive.by_index(i) {
                Ok(mut f) => {
                    let compressed = Cell::new(f.compressed_size());
                    let mut meter =
                        Meter::new(&mut f, &self.budget, self.limits, Some(&compressed));
                    self.open(Input::Stream(&mut meter), chain, depth + 1, 0);
                }
                Err(zip::result::ZipError::UnsupportedArchive(m))
                    if m == zip::result::ZipError::PASSWORD_REQUIRED =>
                {
                    self.encrypted(chain);
                }
                Err(e) => self.damage(chain, &io::Error::other(format!("zip: {e}"))),
            }
            chain.pop();
            if self.budget.stopped().is_some() {
                return;
            }
        }
    }

    /// A zip without a readable central directory: its entries by their local headers.
    fn zip_stream<R: Read>(&self, r: &mut R, chain: &mut Vec<String>, depth: u32) {
        loop {
            if !self.budget.member(self.limits) {
                return;
            }
            let mut f = match zip::read::read_zipfile_from_stream(r) {
                Ok(Some(f)) => f,
                Ok(None) => return,
                Err(_) => return, // already counted as damaged
            };
            if f.is_dir() {
                continue;
            }
            if f.encrypted() {
                self.encrypted(chain);
                continue;
            }
            chain.push(label(f.name_raw()));
            let compressed = Cell::new(f.compressed_size());
            let mut meter = Meter::new(&mut f, &self.budget, self.limits, Some(&compressed));
            self.open(Input::Stream(&mut meter), chain, depth + 1, 0);
            chain.pop();
            if self.budget.stopped().is_some() {
                return;
            }
        }
    }

    /// Counts the container as damaged (once per top-level file) and says why.
    pub(crate) fn damage(&self, chain: &[String], e: &io::Error) {
        if is_stop(e) || self.damaged.replace(true) {
            return;
        }
        Stats::add(&self.tally.stats.damaged, 1);
        self.tally.warn(format!(
            "{}: damaged archive, every readable member scanned: {}",
            self.shown(chain),
            label(e.to_string().as_bytes())
        ));
    }

    /// Counts an encrypted member (said once per top-level file).
    fn encrypted(&self, chain: &[String]) {
        Stats::add(&self.tally.stats.encrypted, 1);
        if !self.encrypted.replace(true) {
            self.tally.warn(format!(
                "{}: encrypted member not scanned",
                self.shown(chain)
            ));
        }
    }

    /// `path!member!member` for warnings.
    pub(crate) fn shown(&self, chain: &[String]) -> String {
        let mut s = crate::report::text::sanitize(&self.base.borrow().shown_path());
        for m in chain {
            s.push('!');
            s.push_str(m);
        }
        s
    }
}

/// Whether some entries of a zip share their compressed data (the non-recursive zip bombs
/// that overlap one kernel of data in many entries): no zip made by a tool does that.
fn overlapping<R: Read + Seek>(archive: &mut zip::ZipArchive<R>) -> bool {
    let mut spans: Vec<(u64, u64)> = Vec::with_capacity(archive.len());
    for i in 0..archive.len() {
        if let Ok(f) = archive.by_index_raw(i) {
            spans.push((
                f.header_start(),
                f.data_start().saturating_add(f.compressed_size()),
            ));
        }
    }
    spans.sort_unstable();
    spans.windows(2).any(|w| matches!(w, [a, b] if a.1 > b.0))
}

/// A member name as a label: lossy UTF-8, control and bidirectional characters escaped,
/// clipped. It is never used as a path.
pub(crate) fn label(raw: &[u8]) -> String {
    let s = String::from_utf8_lossy(raw);
    let mut out = crate::report::text::sanitize(&s);
    if out.chars().count() > LABEL_MAX {
        out = out.chars().take(LABEL_MAX).collect();
        out.push('…');
    }
    out
}

/// Reads `r` to its end into `buf`, or to one byte past `max`: whether it ended within `max`.
/// On an error, `buf` keeps what was read.
fn read_to_end_capped(r: &mut dyn Read, max: u64, buf: &mut Vec<u8>) -> io::Result<bool> {
    r.take(max.saturating_add(1)).read_to_end(buf)?;
    Ok(buf.len() as u64 <= max)
}
