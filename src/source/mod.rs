//! Sources produce blobs (bytes plus where they came from) for the matcher: `fs` walks files in
//! parallel, `stdin` reads standard input. This module also owns what is common to every
//! source: the counters of the summary, and the decision whether a blob's bytes are text worth
//! scanning (binary data is skipped and counted; UTF-16 text is converted).

pub mod fs;
pub mod git;
pub mod git_diff;
pub mod stdin;

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Counters shared by all sources and threads, for the summary.
#[derive(Debug, Default)]
pub struct Stats {
    pub files: AtomicU64,
    pub bytes: AtomicU64,
    /// Git blobs read from history.
    pub blobs: AtomicU64,
    pub blob_bytes: AtomicU64,
    /// Work-tree files not read because git history already held their content.
    pub unchanged: AtomicU64,
    pub skipped_binary: AtomicU64,
    pub skipped_large: AtomicU64,
    /// Files that disappeared between listing and reading.
    pub vanished: AtomicU64,
    pub errors: AtomicU64,
    pub examples: AtomicU64,
    /// Findings dropped by an inline ignore comment.
    pub ignored_inline: AtomicU64,
    warnings: Mutex<Vec<String>>,
}

/// A plain copy of the counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub files: u64,
    pub bytes: u64,
    pub blobs: u64,
    pub blob_bytes: u64,
    pub unchanged: u64,
    pub skipped_binary: u64,
    pub skipped_large: u64,
    pub vanished: u64,
    pub errors: u64,
    pub examples: u64,
    pub ignored_inline: u64,
}

impl Stats {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Records an error that does not stop the scan (it makes the exit status 2).
    pub fn error(&self, message: String) {
        Stats::add(&self.errors, 1);
        if let Ok(mut w) = self.warnings.lock() {
            w.push(message);
        }
    }

    /// The recorded error messages, sorted.
    pub fn messages(&self) -> Vec<String> {
        let mut v = self.warnings.lock().map(|w| w.clone()).unwrap_or_default();
        v.sort();
        v
    }

    pub fn counts(&self) -> Counts {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Counts {
            files: get(&self.files),
            bytes: get(&self.bytes),
            blobs: get(&self.blobs),
            blob_bytes: get(&self.blob_bytes),
            unchanged: get(&self.unchanged),
            skipped_binary: get(&self.skipped_binary),
            skipped_large: get(&self.skipped_large),
            vanished: get(&self.vanished),
            errors: get(&self.errors),
            examples: get(&self.examples),
            ignored_inline: get(&self.ignored_inline),
        }
    }
}

/// How many leading bytes are inspected to tell binary from text.
const SNIFF: usize = 8192;

/// The bytes to scan, or `None` for binary content. UTF-16 text (with a byte-order mark) is
/// converted to UTF-8 so that its credentials are found too.
pub fn text_content(data: &[u8]) -> Option<Cow<'_, [u8]>> {
    match data {
        [0xFF, 0xFE, rest @ ..] => {
            return Some(Cow::Owned(utf16_to_utf8(rest, u16::from_le_bytes)))
        }
        [0xFE, 0xFF, rest @ ..] => {
            return Some(Cow::Owned(utf16_to_utf8(rest, u16::from_be_bytes)))
        }
        _ => {}
    }
    let head = data.get(..SNIFF.min(data.len())).unwrap_or_default();
    if memchr::memchr(0, head).is_some() {
        return None;
    }
    Some(Cow::Borrowed(data))
}

fn utf16_to_utf8(data: &[u8], decode: fn([u8; 2]) -> u16) -> Vec<u8> {
    let units = data.chunks_exact(2).map(|c| {
        decode([
            c.first().copied().unwrap_or(0),
            c.get(1).copied().unwrap_or(0),
        ])
    });
    char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect::<String>()
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_and_utf16() {
        assert!(text_content(b"abc\0def").is_none());
        assert_eq!(text_content(b"plain").as_deref(), Some(&b"plain"[..]));
        let mut u = vec![0xFF, 0xFE];
        for c in "AKIA=1".encode_utf16() {
            u.extend_from_slice(&c.to_le_bytes());
        }
        assert_eq!(text_content(&u).as_deref(), Some(&b"AKIA=1"[..]));
    }
}
