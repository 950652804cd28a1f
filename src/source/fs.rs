//! The parallel file walker: `ignore` does the directory walk (gitignore rules, hidden files,
//! symlinks) on one thread per core, and each thread reads and scans the files it is handed,
//! reusing one buffer. The `.git` directory itself is never walked as files. Files over the
//! size limit and binary files are skipped and counted, and so are the pipes, sockets and
//! devices met on the way (never opened: a pipe would block the walk, a device never ends);
//! unreadable files are errors that are counted while the walk goes on.

use std::fs::File;
use std::io::{ErrorKind, Read as _};
use std::path::{Component, Path, PathBuf};

use ignore::{WalkBuilder, WalkState};

use super::{Blob, Origin, Stats, Tally};
use crate::error::Error;
use crate::extract;

/// How to walk.
#[derive(Debug, Clone)]
pub(crate) struct WalkOptions {
    /// Honour `.gitignore`, `.ignore` and git's exclude files.
    pub respect_ignore: bool,
    pub follow_links: bool,
    pub threads: usize,
    /// Larger files are skipped and counted (an archive is opened from disk instead).
    pub max_file_size: u64,
    /// How deep archives are opened, and what they may cost.
    pub archive: crate::extract::Limits,
}

/// Decides, from a file's path and metadata, that it is not to be read, and why.
pub(crate) type Skip<'a> = &'a (dyn Fn(&Path, &std::fs::Metadata) -> Option<Pass> + Sync);

/// Why a walked file is not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pass {
    /// Its content was already scanned as a git blob.
    Unchanged,
    /// It is the report this scan writes (`-o`).
    OwnReport,
}

/// Walks `roots` and calls `visit` with every text file, from many threads.
pub(crate) fn walk<F>(roots: &[&Path], opts: &WalkOptions, tally: &Tally, skip: Skip<'_>, visit: F)
where
    F: Fn(&Blob<'_>) + Sync,
{
    let Some((first, rest)) = roots.split_first() else {
        return;
    };
    let mut builder = WalkBuilder::new(first);
    for r in rest {
        builder.add(r);
    }
    let respect = opts.respect_ignore;
    // Named files alone give no more threads work than there are files.
    let threads = if roots.iter().any(|r| r.is_dir()) {
        opts.threads
    } else {
        opts.threads.min(roots.len())
    };
    builder
        .hidden(false)
        .ignore(respect)
        .git_ignore(respect)
        .git_global(respect)
        .git_exclude(respect)
        .parents(respect)
        .require_git(false)
        .follow_links(opts.follow_links)
        .threads(threads)
        .filter_entry(|e| e.file_name() != ".git");
    let visit = &visit;
    builder.build_parallel().run(|| {
        let mut buf: Vec<u8> = Vec::new();
        Box::new(move |entry| {
            match entry {
                Ok(e) => visit_entry(&e, opts, tally, skip, &mut buf, visit),
                Err(err) if is_not_found(&err) => Stats::add(&tally.stats.vanished, 1),
                Err(err) => tally.error(Error::Walk(format!("walk: {err}"))),
            }
            WalkState::Continue
        })
    });
}

/// Reads one walked entry, if it is a file, and hands it to `visit` when it is text.
fn visit_entry(
    entry: &ignore::DirEntry,
    opts: &WalkOptions,
    tally: &Tally,
    skip: Skip<'_>,
    buf: &mut Vec<u8>,
    visit: &(dyn Fn(&Blob<'_>) + Sync),
) {
    let stats = &tally.stats;
    match entry.file_type() {
        Some(t) if t.is_file() => {}
        // Directories are walked; symbolic links are followed only with `-L` (then the entry
        // has the type of its target).
        Some(t) if t.is_dir() || t.is_symlink() => return,
        // A pipe, socket or device found while walking.
        Some(_) => return Stats::add(&stats.skipped_special, 1),
        None => return,
    }
    let path = entry.path();
    match read_file(path, opts.max_file_size, skip, buf) {
        Ok(Read::Passed(Pass::Unchanged)) => Stats::add(&stats.unchanged, 1),
        Ok(Read::Passed(Pass::OwnReport)) => Stats::add(&stats.skipped_reports, 1),
        Ok(Read::Done) => {
            Stats::add(&stats.files, 1);
            Stats::add(&stats.bytes, buf.len() as u64);
            let origin = Origin::file(display_path(path));
            extract::scan(buf, origin, &opts.archive, tally, visit);
        }
        Ok(Read::TooLarge) => {
            // Too large to hold, but an archive is read from disk, member by member.
            let origin = Origin::file(display_path(path));
            let opened = File::open(path).is_ok_and(|mut f| {
                extract::scan_large_file(&mut f, origin, &opts.archive, tally, visit)
            });
            if opened {
                Stats::add(&stats.files, 1);
                Stats::add(&stats.bytes, entry.metadata().map_or(0, |m| m.len()));
            } else {
                Stats::add(&stats.skipped_large, 1);
            }
        }
        Err(e) if e.kind() == ErrorKind::NotFound => Stats::add(&stats.vanished, 1),
        Err(e) => tally.error(Error::Io {
            path: display_path(path).into(),
            source: e,
        }),
    }
}

fn is_not_found(err: &ignore::Error) -> bool {
    err.io_error()
        .is_some_and(|e| e.kind() == ErrorKind::NotFound)
}

enum Read {
    Done,
    TooLarge,
    Passed(Pass),
}

/// Reads a whole file into `buf`, unless `skip` passes it or it is too large.
fn read_file(path: &Path, max: u64, skip: Skip<'_>, buf: &mut Vec<u8>) -> std::io::Result<Read> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    if let Some(pass) = skip(path, &meta) {
        return Ok(Read::Passed(pass));
    }
    let len = meta.len();
    if len > max {
        return Ok(Read::TooLarge);
    }
    buf.clear();
    buf.reserve(usize::try_from(len).unwrap_or(0));
    // The cap guards against a file that grows while being read.
    Ok(if read_capped(file, max, buf)? {
        Read::Done
    } else {
        Read::TooLarge
    })
}

/// Reads `r` into `buf` to its end or to one byte past `max`; whether it ended within `max`.
pub(crate) fn read_capped(
    r: impl std::io::Read,
    max: u64,
    buf: &mut Vec<u8>,
) -> std::io::Result<bool> {
    // `max + 1` would wrap to 0 for the largest limit.
    r.take(max.saturating_add(1)).read_to_end(buf)?;
    Ok(buf.len() as u64 <= max)
}

/// Lexically normalises an absolute path (`.` and `..` resolved without touching the disk).
pub(crate) fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `p` made absolute against the working directory, lexically normalised.
pub(crate) fn absolute(p: &Path) -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_default();
    normalize(&cwd.join(p))
}

/// The path as reports show it: as walked, without a leading `./`, with `/` separators.
pub(crate) fn display_path(path: &Path) -> String {
    let s = path.to_string_lossy();
    let s = s.strip_prefix("./").unwrap_or(&s);
    if std::path::MAIN_SEPARATOR == '\\' {
        s.replace('\\', "/")
    } else {
        s.to_string()
    }
}
