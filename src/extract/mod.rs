//! Extraction turns what a source read into text worth scanning: containers are opened by
//! their magic bytes (`kind`) and their members scanned like files (`archive`: zip, tar and
//! compressed streams; `image`: container images, layer by layer), within the limits of
//! `budget`; what is not a container is scanned when it is text (binary content is skipped and
//! counted), with UTF-16 text decoded into UTF-8 (`utf16`: UTF-16 by evidence, not by its
//! first bytes).

mod archive;
pub(crate) mod budget;
mod image;
mod kind;
mod utf16;

use std::borrow::Cow;
use std::fs::File;

use crate::source::{Blob, Origin, Stats, Tally};
use archive::{Input, Walk};
pub(crate) use budget::Limits;
use budget::Stop;

/// Scans `data`, read whole from the top-level file `origin`: a container is opened and its
/// members scanned, anything else goes to `scan_leaf`.
pub(crate) fn scan(
    data: &[u8],
    origin: Origin,
    limits: &Limits,
    tally: &Tally,
    visit: &(dyn Fn(&Blob<'_>) + Sync),
) {
    let head = data.get(..kind::HEAD).unwrap_or(data);
    let leaf = kind::sniff(head) == kind::Kind::Leaf && !kind::is_zip_after_script(data);
    if limits.max_depth == 0 || leaf {
        return scan_leaf(data, origin, tally, visit);
    }
    let walk = Walk::new(limits, tally, visit, origin);
    walk.open(Input::Mem(data), &mut Vec::new(), 0, 0);
    finish(&walk);
}

/// Opens a top-level file too large to read whole, when it is a container (read from disk,
/// member after member). False when it is not one: the caller skips it as too large.
pub(crate) fn scan_large_file(
    file: &mut File,
    origin: Origin,
    limits: &Limits,
    tally: &Tally,
    visit: &(dyn Fn(&Blob<'_>) + Sync),
) -> bool {
    if limits.max_depth == 0 {
        return false;
    }
    let mut head = Vec::with_capacity(kind::HEAD);
    let read = std::io::Read::read_to_end(
        &mut std::io::Read::take(&mut *file, kind::HEAD as u64),
        &mut head,
    );
    let seek = std::io::Seek::seek(file, std::io::SeekFrom::Start(0));
    if read.is_err() || seek.is_err() || kind::sniff(&head) == kind::Kind::Leaf {
        return false;
    }
    let walk = Walk::new(limits, tally, visit, origin);
    walk.open(Input::File(file), &mut Vec::new(), 0, 0);
    finish(&walk);
    true
}

/// Scans the OCI image layout directory `dir` as an image (named on the command line: its
/// files are not walked one by one). False when it is not one.
pub(crate) fn scan_image_dir(
    dir: &std::path::Path,
    limits: &Limits,
    tally: &Tally,
    visit: &(dyn Fn(&Blob<'_>) + Sync),
) -> bool {
    if limits.max_depth == 0 || !image::is_layout_dir(dir) {
        return false;
    }
    let origin = Origin::file(crate::source::fs::display_path(dir));
    let walk = Walk::new(limits, tally, visit, origin);
    let opened = match image::open_dir(&walk, dir) {
        Ok(opened) => opened,
        Err(e) => {
            walk.damage(&[], &e);
            true
        }
    };
    finish(&walk);
    opened
}

/// Counts and reports a top-level file whose opening a limit cut short.
fn finish(walk: &Walk<'_>) {
    let Some(why) = walk.budget.stopped() else {
        return;
    };
    let stats = &walk.tally.stats;
    let l = walk.limits;
    let (counter, what) = match why {
        Stop::Size => (
            &stats.skipped_archive_size,
            format!(
                "more than {} decompressed (--max-archive-size)",
                human(l.max_total)
            ),
        ),
        Stop::Ratio => (
            &stats.skipped_ratio,
            format!(
                "compression ratio over {}:1 or overlapping zip entries (a zip bomb?)",
                l.max_ratio
            ),
        ),
        Stop::Members => (
            &stats.skipped_members,
            format!("more than {} members", l.max_members),
        ),
    };
    Stats::add(counter, 1);
    walk.tally.warn(format!(
        "{}: archive not read further: {what}; {} decompressed, the members before scanned",
        walk.shown(&[]),
        human(walk.budget.spent())
    ));
}

/// `1.0 GiB`, `12 MiB`, `300 bytes`.
fn human(n: u64) -> String {
    if n >= 1 << 30 {
        format!("{:.1} GiB", n as f64 / f64::from(1u32 << 30))
    } else if n >= 1 << 20 {
        format!("{} MiB", n >> 20)
    } else {
        format!("{n} bytes")
    }
}

/// The per-blob path of content that is not a container: scanned when it is text, counted as
/// binary otherwise.
pub(crate) fn scan_leaf(
    data: &[u8],
    origin: Origin,
    tally: &Tally,
    visit: &(dyn Fn(&Blob<'_>) + Sync),
) {
    match text_content(data) {
        Some(text) => visit(&Blob {
            bytes: &text,
            origin,
        }),
        None => Stats::add(&tally.stats.skipped_binary, 1),
    }
}

/// How many leading bytes are inspected to tell binary from text.
const SNIFF: usize = 8192;

/// The bytes to scan, or `None` for binary content. UTF-16 text (with a byte-order mark and
/// content that is UTF-16) is converted to UTF-8 so that its credentials are found too.
pub(crate) fn text_content(data: &[u8]) -> Option<Cow<'_, [u8]>> {
    if let Some((order, body)) = utf16::with_bom(data) {
        return Some(Cow::Owned(utf16::to_utf8(body, order)));
    }
    let head = data.get(..SNIFF.min(data.len())).unwrap_or_default();
    if memchr::memchr(0, head).is_some() {
        return None;
    }
    Some(Cow::Borrowed(data))
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
        // Plain ASCII after `FF FE` is scanned as it is.
        let ascii = b"\xff\xfeAKIA=1\n";
        assert_eq!(text_content(ascii).as_deref(), Some(&ascii[..]));
    }
}

#[cfg(test)]
mod archive_tests {
    use std::io::Write as _;
    use std::sync::Mutex;

    use super::*;

    fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in members {
            w.start_file(*name, opts).unwrap_or_else(|e| panic!("{e}"));
            w.write_all(data).unwrap_or_else(|e| panic!("{e}"));
        }
        w.finish().unwrap_or_else(|e| panic!("{e}")).into_inner()
    }

    /// A member chain and the text handed on for it.
    type Seen = (Vec<String>, Vec<u8>);

    /// Scans `data` as a file's content; what was handed on.
    fn scan_all(data: &[u8], limits: &Limits) -> (Vec<Seen>, Tally) {
        let tally = Tally::default();
        let seen = Mutex::new(Vec::new());
        let visit = |b: &Blob<'_>| {
            if let Ok(mut s) = seen.lock() {
                s.push((b.origin.members.clone(), b.bytes.to_vec()));
            }
        };
        scan(data, Origin::file("t".into()), limits, &tally, &visit);
        (seen.into_inner().unwrap_or_default(), tally)
    }

    #[test]
    fn members_in_a_zip_in_a_gzip() {
        let inner = zip_of(&[("a/b.txt", b"hello"), ("c.txt", b"world")]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&inner).unwrap_or_else(|e| panic!("{e}"));
        let gz = gz.finish().unwrap_or_else(|e| panic!("{e}"));
        let (seen, tally) = scan_all(&gz, &Limits::default());
        assert_eq!(
            seen,
            vec![
                (vec!["a/b.txt".to_string()], b"hello".to_vec()),
                (vec!["c.txt".to_string()], b"world".to_vec()),
            ]
        );
        let c = tally.counts();
        assert_eq!((c.archives, c.members, c.member_bytes), (2, 2, 10));
        // Off: the gzip is binary content.
        let off = Limits {
            max_depth: 0,
            ..Limits::default()
        };
        let (seen, tally) = scan_all(&gz, &off);
        assert!(seen.is_empty());
        assert_eq!(tally.counts().skipped_binary, 1);
    }

    #[test]
    fn damaged_bytes_never_panic() {
        let zip = zip_of(&[("a.txt", &b"some text ".repeat(200)), ("b.txt", b"more")]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&zip).unwrap_or_else(|e| panic!("{e}"));
        let gz = gz.finish().unwrap_or_else(|e| panic!("{e}"));
        let limits = Limits {
            max_total: 1 << 20,
            ..Limits::default()
        };
        for original in [&zip, &gz] {
            for i in 0..original.len() {
                let mut bad = original.clone();
                if let Some(b) = bad.get_mut(i) {
                    *b ^= 0x5A;
                }
                scan_all(&bad, &limits);
                scan_all(original.get(..i).unwrap_or_default(), &limits);
            }
        }
    }
}
