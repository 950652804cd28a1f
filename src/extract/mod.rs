//! Extraction turns what a source read into text worth scanning, in one place that files, git
//! blobs, streams and archive members all go through. Containers are opened by their magic
//! bytes (`kind`) and their members scanned like files (`archive`: zip, tar and compressed
//! streams; `image`: container images, layer by layer), within the limits of `budget`. What is
//! not a container goes through `text_content`: text is scanned as it is; UTF-16 text, with or
//! without a byte-order mark, is decoded to UTF-8 (`utf16`: by evidence, not by its first
//! bytes); binary content (anything with NUL bytes that is neither) is read as the printable
//! strings it holds (`strings`, with `sqlite` and `bounds` for the bounds of values in formats
//! that store them back to back), with the byte offset of each string kept for reports, unless
//! `--no-binary` asks to skip it. Each binary file read as strings, or skipped, is counted here.

mod archive;
mod bounds;
pub(crate) mod budget;
mod image;
mod kind;
mod mime;
mod sqlite;
pub(crate) mod strings;
mod utf16;
mod view;

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
        return scan_leaf(data, origin, limits.extract, tally, visit);
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

/// The per-blob path of content that is not a container: text as it is or decoded, binary
/// content as its strings (or skipped and counted, with `--no-binary`; `text_content` counts).
pub(crate) fn scan_leaf(
    data: &[u8],
    origin: Origin,
    extract: Extract,
    tally: &Tally,
    visit: &(dyn Fn(&Blob<'_>) + Sync),
) {
    if let Some(text) = text_content(data, extract, &tally.stats) {
        visit(&text.blob(origin));
    }
}

pub(crate) use view::{Offsets, Place};

/// How many leading bytes are inspected to tell binary from text.
const SNIFF: usize = 8192;

/// What to do with content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Extract {
    /// Read binary content as its printable strings (skip it when false: `--no-binary`).
    pub binary_strings: bool,
}

impl Default for Extract {
    fn default() -> Self {
        Extract {
            binary_strings: true,
        }
    }
}

/// The bytes to scan and, when extraction made them, where each lies in the content.
#[derive(Debug)]
pub(crate) struct Text<'a> {
    pub bytes: Cow<'a, [u8]>,
    pub offsets: Option<Offsets>,
    /// The content the bytes were made from.
    content: &'a [u8],
}

/// Text made by extraction, with the content it was made from and the map between the two.
#[derive(Debug, Clone, Copy)]
pub(crate) struct View<'a> {
    pub map: &'a Offsets,
    pub content: &'a [u8],
}

impl Text<'_> {
    /// A blob of these bytes from `origin`.
    pub(crate) fn blob(&self, origin: Origin) -> Blob<'_> {
        Blob {
            bytes: &self.bytes,
            origin,
            view: self.offsets.as_ref().map(|map| View {
                map,
                content: self.content,
            }),
        }
    }
}

/// The text to scan in `data`, or `None` for binary content skipped (counted in `stats`).
pub(crate) fn text_content<'a>(data: &'a [u8], opts: Extract, stats: &Stats) -> Option<Text<'a>> {
    match classify(data) {
        Kind::Text => Some(match mime::decode(data) {
            Some((bytes, offsets)) => Text {
                bytes: Cow::Owned(bytes),
                offsets: Some(offsets),
                content: data,
            },
            None => Text {
                bytes: Cow::Borrowed(data),
                offsets: None,
                content: data,
            },
        }),
        Kind::Utf16(order, body) => Some(Text {
            bytes: Cow::Owned(utf16::to_utf8(body, order)),
            offsets: None,
            content: data,
        }),
        Kind::Binary if opts.binary_strings => {
            Stats::add(&stats.binary_strings, 1);
            let (bytes, offsets) = strings::strings(data);
            Some(Text {
                bytes: Cow::Owned(bytes),
                offsets: Some(offsets),
                content: data,
            })
        }
        Kind::Binary => {
            Stats::add(&stats.skipped_binary, 1);
            None
        }
    }
}

/// What content is.
#[derive(Debug, PartialEq, Eq)]
enum Kind<'a> {
    Text,
    /// UTF-16 text in this order, the byte-order mark (if any) left out.
    Utf16(utf16::Order, &'a [u8]),
    Binary,
}

/// Text, UTF-16 text or binary, from the first `SNIFF` bytes. Content with no NUL there is
/// text; with a few NULs in what is otherwise text, still text (a stray NUL in a log does not
/// make it binary); with NULs in every other byte that reads as UTF-16, UTF-16 text.
fn classify(data: &[u8]) -> Kind<'_> {
    if let Some((order, body)) = utf16::with_bom(data) {
        return Kind::Utf16(order, body);
    }
    let head = data.get(..SNIFF.min(data.len())).unwrap_or_default();
    if memchr::memchr(0, head).is_none() {
        return Kind::Text;
    }
    if let Some(order) = utf16::without_bom(head) {
        return Kind::Utf16(order, data);
    }
    if utf16::text_with_stray_nuls(head) {
        return Kind::Text;
    }
    Kind::Binary
}

/// Extracts `data`, detects in what it made, and checks that every location lies inside the
/// content: a byte span within it for binary content, lines and columns within it for text.
/// For the fuzzer and the property test.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn check_extracted(
    detector: &crate::detect::Detector,
    data: &[u8],
) -> Result<(), String> {
    let stats = Stats::default();
    let Some(text) = text_content(data, Extract::default(), &stats) else {
        return Ok(());
    };
    let blob = text.blob(Origin::file("f".into()));
    let found = detector.detect(&blob);
    check_blob(&blob, &found.findings)
}

/// Every location of `findings`, made by detecting `blob`, lies inside the content the blob
/// came from: by byte span in binary content, by line and column in text.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn check_blob(
    blob: &Blob<'_>,
    findings: &[crate::finding::Finding],
) -> Result<(), String> {
    match blob.view.map(|v| (v.map.place(), v.content)) {
        Some((Place::Bytes, content)) => {
            for l in findings.iter().flat_map(|f| f.locations.iter()) {
                let Some(s) = l.offset else {
                    return Err(format!("{l:?}: no byte offset in binary content"));
                };
                if s.length == 0 || s.offset.saturating_add(s.length) > content.len() as u64 {
                    return Err(format!(
                        "{l:?}: outside the content ({} bytes)",
                        content.len()
                    ));
                }
            }
            Ok(())
        }
        Some((Place::Lines, content)) => crate::detect::check_locations(content, findings),
        // Text as it is, or UTF-16 text: checked against the text it decodes to, whose lines
        // are the same.
        None => crate::detect::check_locations(blob.bytes, findings),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(data: &[u8]) -> Option<Vec<u8>> {
        let stats = Stats::default();
        text_content(data, Extract::default(), &stats).map(|t| t.bytes.into_owned())
    }

    fn le(text: &str) -> Vec<u8> {
        text.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    #[test]
    fn binary_and_utf16() {
        let stats = Stats::default();
        let skip = Extract {
            binary_strings: false,
        };
        assert!(text_content(b"\x7fELF\0\0\0\0\x01", skip, &stats).is_none());
        assert_eq!(stats.skipped_binary.into_inner(), 1);
        assert_eq!(content(b"plain").as_deref(), Some(&b"plain"[..]));
        let mut u = vec![0xFF, 0xFE];
        u.extend(le("AKIA=1"));
        assert_eq!(content(&u).as_deref(), Some(&b"AKIA=1"[..]));
        // Plain ASCII after `FF FE` is scanned as it is.
        let ascii = b"\xff\xfeAKIA=1\n";
        assert_eq!(content(ascii).as_deref(), Some(&ascii[..]));
    }

    #[test]
    fn utf16_without_a_mark_is_decoded() {
        let text = "Name  Value\r\n----  -----\r\naws_access_key_id AKIAQWERTYUIOPASDFGH\r\n";
        assert_eq!(
            classify(&le(text)),
            Kind::Utf16(utf16::Order::Little, &le(text))
        );
        assert_eq!(content(&le(text)).as_deref(), Some(text.as_bytes()));
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(content(&be).as_deref(), Some(text.as_bytes()));
    }

    /// Mutated binaries, databases, compiled Python, keystores, UTF-16 and e-mails holding
    /// credentials: extraction never panics and every location lies inside the content.
    #[test]
    fn mutated_inputs_locate_inside_the_content() {
        let aws = crate::aws::AwsRules::builtin().unwrap_or_else(|e| panic!("{e}"));
        let rules = crate::detect::patterns::RuleSet::builtin().unwrap_or_else(|e| panic!("{e}"));
        let detector = crate::detect::Detector::new(aws, rules);
        let pair = "AKIAQWERTYUIOPASDFGH\0h3Jq9Vt0Yd/5Lk2Rb8MwZx+4PnC7sGfE1aTuQ6oW\0";
        let mut seeds: Vec<Vec<u8>> = vec![
            format!("\x7fELF\x02\x01\0\0{pair}\x01\x02").into_bytes(),
            [
                &b"\xa7\r\r\n\0\0\0\0\0\0\0\0\0\0\0\0\xe3\xda\x14"[..],
                pair.replace('\0', "z(").as_bytes(),
            ]
            .concat(),
            le("aws_access_key_id = AKIAQWERTYUIOPASDFGH\r\nsecret = x\r\n"),
            b"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Transfer-Encoding: \
              quoted-printable\n\nid=3DAKIAQWERTYUIOPASDFGH secret=3Dh3Jq9Vt0Yd=2F5Lk2Rb8M=\n\
              wZx+4PnC7sGfE1aTuQ6oW\n--b\nContent-Transfer-Encoding: base64\n\n\
              YXdzX2FjY2Vzc19rZXlfaWQ9QUtJQVFXRVJUWVVJT1BBU0RGR0gK\n--b--\n"
                .to_vec(),
        ];
        let mut db = b"SQLite format 3\0\x02\0\x01\x01\0@  ".to_vec();
        db.resize(512, 0);
        db.extend_from_slice(&[0x0D, 0, 0, 0, 1, 1, 0, 0, 1, 0xF0]);
        db.resize(512 + 0xF0, 0);
        db.extend_from_slice(&[62, 1, 3, 53, 93]);
        db.extend_from_slice(pair.replace('\0', "").as_bytes());
        db.resize(1024, 0);
        seeds.push(db);
        // Keystores, whose finding covers the whole content.
        seeds.push(crate::detect::keystore::build::pkcs12(true, 1));
        seeds.push(crate::detect::keystore::build::java(
            false,
            &[(2, "ca"), (1, "k")],
            2,
        ));
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut rnd = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            usize::try_from(state % (n.max(1) as u64)).unwrap_or(0)
        };
        for round in 0..1500 {
            let mut data = seeds.get(rnd(seeds.len())).cloned().unwrap_or_default();
            for _ in 0..=rnd(6) {
                let at = rnd(data.len() + 1);
                match rnd(4) {
                    0 => {
                        if let Some(b) = data.get_mut(at) {
                            *b = u8::try_from(rnd(256)).unwrap_or(0);
                        }
                    }
                    1 => {
                        let b = b"\0\n=\r-z(".get(rnd(7)).copied().unwrap_or(0);
                        data.insert(at.min(data.len()), b);
                    }
                    2 => {
                        let end = (at + rnd(16)).min(data.len());
                        data.drain(at.min(end)..end);
                    }
                    _ => data.truncate(at),
                }
            }
            if let Err(e) = check_extracted(&detector, &data) {
                panic!(
                    "round {round}: {e}\ninput: {:?}",
                    String::from_utf8_lossy(&data)
                );
            }
        }
    }

    #[test]
    fn stray_nuls_in_text_and_binary_strings() {
        // A UTF-8 log with two NULs is text, not UTF-16.
        let log = format!(
            "{}\0{}\0\n",
            "2026-01-01 naïve start\n".repeat(20),
            "line two is here\n".repeat(20)
        );
        assert_eq!(classify(log.as_bytes()), Kind::Text);
        // With many NULs, binary.
        let dense = "2026-01-01 naïve start\0\n".repeat(20);
        assert_eq!(classify(dense.as_bytes()), Kind::Binary);
        // Binary content: its strings, counted.
        let stats = Stats::default();
        let t = text_content(
            b"\x7fELF\x02\x01\0\0\0\0a C string\0\x01",
            Extract::default(),
            &stats,
        );
        assert_eq!(
            t.map(|t| t.bytes.into_owned()),
            Some(b"a C string".to_vec())
        );
        assert_eq!(stats.binary_strings.into_inner(), 1);
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
        // Off: the gzip is binary content (skipped here, with `--no-binary`).
        let off = Limits {
            max_depth: 0,
            extract: Extract {
                binary_strings: false,
            },
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
