//! The parallel file walker: `ignore` does the directory walk (gitignore rules, hidden files,
//! symlinks) on one thread per core, and each thread reads and scans the files it is handed,
//! reusing one buffer. The `.git` directory itself is never walked as files. Files over the
//! size limit and binary files are skipped and counted; unreadable files are errors that are
//! counted while the walk goes on.

use std::fs::File;
use std::io::{ErrorKind, Read as _};
use std::path::Path;

use ignore::{WalkBuilder, WalkState};

use super::{text_content, Stats};
use crate::config::Config;

/// Decides, from a file's path and metadata, that it need not be read (its content was
/// already scanned as a git blob).
pub type Skip<'a> = &'a (dyn Fn(&Path, &std::fs::Metadata) -> bool + Sync);

/// Walks `roots` and calls `visit(display_path, bytes)` for every text file, from many threads.
pub fn walk<F>(roots: &[&Path], config: &Config, stats: &Stats, skip: Skip<'_>, visit: F)
where
    F: Fn(&str, &[u8]) + Sync,
{
    let Some((first, rest)) = roots.split_first() else {
        return;
    };
    let mut builder = WalkBuilder::new(first);
    for r in rest {
        builder.add(r);
    }
    builder
        .hidden(false)
        .ignore(config.respect_ignore)
        .git_ignore(config.respect_ignore)
        .git_global(config.respect_ignore)
        .git_exclude(config.respect_ignore)
        .parents(config.respect_ignore)
        .require_git(false)
        .follow_links(config.follow_links)
        .threads(config.threads)
        .filter_entry(|e| e.file_name() != ".git");
    let visit = &visit;
    builder.build_parallel().run(|| {
        let mut buf: Vec<u8> = Vec::new();
        Box::new(move |entry| {
            let entry = match entry {
                Ok(e) => e,
                Err(err) => {
                    if is_not_found(&err) {
                        Stats::add(&stats.vanished, 1);
                    } else {
                        stats.error(format!("walk: {err}"));
                    }
                    return WalkState::Continue;
                }
            };
            let is_file = entry.file_type().is_some_and(|t| t.is_file());
            if !is_file {
                return WalkState::Continue;
            }
            let path = entry.path();
            let display = display_path(path);
            match read_file(path, config.max_file_size, skip, &mut buf) {
                Ok(Read::AlreadyScanned) => Stats::add(&stats.unchanged, 1),
                Ok(Read::Done) => {
                    Stats::add(&stats.files, 1);
                    Stats::add(&stats.bytes, buf.len() as u64);
                    match text_content(&buf) {
                        Some(text) => visit(&display, &text),
                        None => Stats::add(&stats.skipped_binary, 1),
                    }
                }
                Ok(Read::TooLarge) => Stats::add(&stats.skipped_large, 1),
                Err(e) if e.kind() == ErrorKind::NotFound => Stats::add(&stats.vanished, 1),
                Err(e) => stats.error(format!("{display}: {e}")),
            }
            WalkState::Continue
        })
    });
}

fn is_not_found(err: &ignore::Error) -> bool {
    err.io_error()
        .is_some_and(|e| e.kind() == ErrorKind::NotFound)
}

enum Read {
    Done,
    TooLarge,
    AlreadyScanned,
}

/// Reads a whole file into `buf`, unless it is too large or `skip` says it was scanned.
fn read_file(path: &Path, max: u64, skip: Skip<'_>, buf: &mut Vec<u8>) -> std::io::Result<Read> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    let len = meta.len();
    if len > max {
        return Ok(Read::TooLarge);
    }
    if skip(path, &meta) {
        return Ok(Read::AlreadyScanned);
    }
    buf.clear();
    buf.reserve(usize::try_from(len).unwrap_or(0));
    // `take` guards against a file that grows while being read.
    file.take(max + 1).read_to_end(buf)?;
    Ok(if buf.len() as u64 <= max {
        Read::Done
    } else {
        Read::TooLarge
    })
}

/// The path as reports show it: as walked, without a leading `./`, with `/` separators.
pub fn display_path(path: &Path) -> String {
    let s = path.to_string_lossy();
    let s = s.strip_prefix("./").unwrap_or(&s);
    if std::path::MAIN_SEPARATOR == '\\' {
        s.replace('\\', "/")
    } else {
        s.to_string()
    }
}
