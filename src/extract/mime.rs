//! E-mails (saved `.eml` files, mbox folders, MIME parts pasted into a ticket): the bodies that
//! a `Content-Transfer-Encoding` header declares quoted-printable (`=3D`, `=2F`, soft line
//! breaks) or base64 are decoded in place and the rest is kept as it is, so that a key pair in
//! a mail body is found as the text it is, paired across the lines the encoding wrapped, and
//! placed on the lines of the encoded text. Only content with such a header is touched; a
//! base64 body that does not decode to text (an attachment) is left as it is.

use std::ops::Range;

use memchr::memmem;

use super::view::{Offsets, Place};
use crate::finding::Encoding;

/// The header, lower-cased, that declares how a body is encoded.
const HEADER: &[u8] = b"content-transfer-encoding:";

/// How far after its encoding header a part's body may start (the rest of its headers).
const MAX_HEADERS: usize = 16 * 1024;

/// A body to decode.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Part {
    body: Range<usize>,
    encoding: Encoding,
}

/// The content with its encoded bodies decoded, and where each byte came from; `None` when
/// there is nothing to decode.
pub(crate) fn decode(data: &[u8]) -> Option<(Vec<u8>, Offsets)> {
    let parts = encoded_parts(data);
    if parts.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(data.len());
    let mut map = Offsets::new(Place::Lines);
    let mut pos = 0;
    for part in parts {
        copy(data, pos..part.body.start, &mut out, &mut map);
        let decoded = match part.encoding {
            Encoding::QuotedPrintable => {
                quoted_printable(data, part.body.clone(), &mut out, &mut map);
                true
            }
            _ => base64(data, part.body.clone(), &mut out, &mut map),
        };
        if !decoded {
            copy(data, part.body.clone(), &mut out, &mut map);
        }
        pos = part.body.end;
    }
    copy(data, pos..data.len(), &mut out, &mut map);
    Some((out, map))
}

/// Copies `range` of `data` as it is.
fn copy(data: &[u8], range: Range<usize>, out: &mut Vec<u8>, map: &mut Offsets) {
    if let Some(bytes) = data.get(range.clone()).filter(|b| !b.is_empty()) {
        map.push(out.len(), range.start, (1, 1), 0, None);
        out.extend_from_slice(bytes);
    }
}

/// The bodies declared quoted-printable or base64, in order, none inside another.
fn encoded_parts(data: &[u8]) -> Vec<Part> {
    // Nearly every file has no such header: one search for its most distinctive stretch in
    // the three usual spellings, all three in one pass (a `memmem` pass per spelling cost a
    // tenth of a scan of source code, whose `-` and `:` its rare-byte filter stops at).
    let mut hits: Vec<usize> = match spellings() {
        Some(searcher) => searcher
            .find_iter(data)
            .filter_map(|m| m.start().checked_sub(b"Content-T".len()))
            .collect(),
        None => SPELLINGS
            .iter()
            .flat_map(|s| memmem::find_iter(data, s))
            .filter_map(|h| h.checked_sub(b"Content-T".len()))
            .collect(),
    };
    if hits.is_empty() {
        return Vec::new();
    }
    hits.sort_unstable();
    let boundaries = boundaries(data);
    let mut parts: Vec<Part> = Vec::new();
    for h in hits {
        if parts.last().is_some_and(|p| h < p.body.end) {
            continue;
        }
        if let Some(part) = part_at(data, h, &boundaries) {
            parts.push(part);
        }
    }
    parts
}

/// The stretch of the encoding header searched for, in its three usual spellings.
const SPELLINGS: [&[u8]; 3] = [
    b"ransfer-Encoding:",
    b"ransfer-encoding:",
    b"RANSFER-ENCODING:",
];

/// One search for all of `SPELLINGS` (`None` where it cannot be built: they are then searched
/// one by one).
fn spellings() -> Option<&'static aho_corasick::packed::Searcher> {
    static SEARCHER: std::sync::OnceLock<Option<aho_corasick::packed::Searcher>> =
        std::sync::OnceLock::new();
    SEARCHER
        .get_or_init(|| {
            let mut b = aho_corasick::packed::Config::new().builder();
            for s in SPELLINGS {
                b.add(s);
            }
            b.build()
        })
        .as_ref()
}

/// The part whose encoding header starts at `h`, if it is one at the start of a line and
/// declares an encoding that hides text.
fn part_at(data: &[u8], h: usize, boundaries: &[Vec<u8>]) -> Option<Part> {
    let at_line_start = h == 0 || data.get(h - 1) == Some(&b'\n');
    let name = data.get(h..h + HEADER.len())?;
    if !at_line_start || !name.eq_ignore_ascii_case(HEADER) {
        return None;
    }
    let line_end = memchr::memchr(b'\n', data.get(h..)?).map_or(data.len(), |p| h + p);
    let value = data.get(h + HEADER.len()..line_end)?.trim_ascii();
    let encoding = if value.eq_ignore_ascii_case(b"quoted-printable") {
        Encoding::QuotedPrintable
    } else if value.eq_ignore_ascii_case(b"base64") {
        Encoding::Base64
    } else {
        return None;
    };
    // The body starts after the blank line that ends the part's headers.
    let mut line = line_end + 1;
    let start = loop {
        if line >= data.len() || line - h > MAX_HEADERS {
            return None;
        }
        let end = memchr::memchr(b'\n', data.get(line..)?).map_or(data.len(), |p| line + p);
        if data.get(line..end)?.trim_ascii().is_empty() {
            break (end + 1).min(data.len());
        }
        line = end + 1;
    };
    let mut end = body_end(data, start, boundaries);
    if encoding == Encoding::Base64 {
        // A base64 body ends at its first line that is not base64 even where no boundary is
        // declared (a multipart body saved without the headers that name its boundary), so
        // that the parts after it are found too.
        end = end.min(base64_end(data, start));
    }
    Some(Part {
        body: start..end,
        encoding,
    })
}

/// Where the base64 lines from `start` end: at the first line that is empty or holds a byte
/// outside base64 (the position of that line), or at the end of the content.
fn base64_end(data: &[u8], start: usize) -> usize {
    let mut at = start;
    while at < data.len() {
        let rest = data.get(at..).unwrap_or_default();
        let len = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
        let line = rest.get(..len).unwrap_or_default().trim_ascii();
        if line.is_empty() || !line.iter().all(is_base64) {
            return at;
        }
        at += len + 1;
    }
    data.len()
}

/// Whether `b` is a base64 character (padding included).
fn is_base64(b: &u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')
}

/// The `boundary=` parameters of the content's multipart types.
fn boundaries(data: &[u8]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    for key in [&b"boundary="[..], b"BOUNDARY=", b"Boundary="] {
        for at in memmem::find_iter(data, key) {
            let rest = data.get(at + key.len()..).unwrap_or_default();
            let value: &[u8] = match rest.split_first() {
                Some((b'"', quoted)) => {
                    let end = memchr::memchr(b'"', quoted).unwrap_or(0);
                    quoted.get(..end).unwrap_or_default()
                }
                _ => {
                    let end = rest
                        .iter()
                        .position(|&b| b == b';' || b.is_ascii_whitespace())
                        .unwrap_or(rest.len());
                    rest.get(..end).unwrap_or_default()
                }
            };
            if !value.is_empty() && value.len() <= 200 && !out.iter().any(|b| b == value) {
                out.push(value.to_vec());
            }
        }
    }
    out
}

/// Where a body that starts at `start` ends: at the next line that is a boundary of the
/// message (`--boundary`), or at the end of the content.
fn body_end(data: &[u8], start: usize, boundaries: &[Vec<u8>]) -> usize {
    if boundaries.is_empty() {
        return data.len();
    }
    let rest = data.get(start..).unwrap_or_default();
    let mut line = 0;
    loop {
        let here = rest.get(line..).unwrap_or_default();
        if let Some(tail) = here.strip_prefix(b"--") {
            if boundaries.iter().any(|b| tail.starts_with(b)) {
                return start + line;
            }
        }
        match memchr::memchr(b'\n', here) {
            Some(p) => line += p + 1,
            None => return data.len(),
        }
    }
}

#[inline]
fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes a quoted-printable body: `=XX` is a byte, `=` at the end of a line is a soft line
/// break (the line goes on), anything else is itself.
fn quoted_printable(data: &[u8], body: Range<usize>, out: &mut Vec<u8>, map: &mut Offsets) {
    let qp = Some(Encoding::QuotedPrintable);
    let mut i = body.start;
    while i < body.end {
        let Some(&b) = data.get(i) else { break };
        if b == b'=' {
            match (data.get(i + 1), data.get(i + 2)) {
                (Some(b'\n'), _) => {
                    i += 2;
                    continue;
                }
                (Some(b'\r'), Some(b'\n')) => {
                    i += 3;
                    continue;
                }
                (Some(&h), Some(&l)) if i + 3 <= body.end => {
                    if let (Some(h), Some(l)) = (hex(h), hex(l)) {
                        map.push(out.len(), i, (3, 1), 0, qp);
                        out.push(h * 16 + l);
                        i += 3;
                        continue;
                    }
                }
                _ => {}
            }
        }
        map.push(out.len(), i, (1, 1), 0, qp);
        out.push(b);
        i += 1;
    }
}

/// Decodes a base64 body, up to its first line that is not base64, when it decodes to text;
/// whether it did (nothing is written otherwise).
fn base64(data: &[u8], body: Range<usize>, out: &mut Vec<u8>, map: &mut Offsets) -> bool {
    let text = data.get(body.clone()).unwrap_or_default();
    let mut chars: Vec<u8> = Vec::with_capacity(text.len());
    // (content offset of a line, base64 characters before it)
    let mut lines: Vec<(usize, usize)> = Vec::new();
    let mut at = 0;
    while at < text.len() {
        let rest = text.get(at..).unwrap_or_default();
        let len = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
        let line = rest.get(..len).unwrap_or_default().trim_ascii();
        if line.is_empty() || !line.iter().all(is_base64) {
            break;
        }
        lines.push((body.start + at, chars.len()));
        chars.extend_from_slice(line);
        at += len + 1;
    }
    let Some(decoded) = crate::aws::base64_decode(&chars) else {
        return false;
    };
    let is_text = !decoded.is_empty()
        && memchr::memchr(0, &decoded).is_none()
        && std::str::from_utf8(&decoded).is_ok();
    if !is_text {
        return false;
    }
    let base = out.len();
    for (offset, before) in lines {
        map.push(
            base + before * 3 / 4,
            offset,
            (4, 3),
            0,
            Some(Encoding::Base64),
        );
    }
    out.extend_from_slice(&decoded);
    // A line break after the text, so that its last value does not run into what follows.
    if !decoded.ends_with(b"\n") {
        map.push(out.len(), body.start + at.min(text.len()), (1, 1), 0, None);
        out.push(b'\n');
    }
    // What follows the base64 lines (a blank line, an epilogue) is kept as it is.
    copy(data, body.start + at.min(text.len())..body.end, out, map);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(data: &str) -> Option<String> {
        decode(data.as_bytes()).map(|(d, _)| String::from_utf8_lossy(&d).into_owned())
    }

    #[test]
    fn quoted_printable_bodies_are_decoded() {
        let mail = "From: a@example.com\r\nContent-Type: text/plain\r\n\
                    Content-Transfer-Encoding: quoted-printable\r\n\r\n\
                    key =3D abc=2Fdef=2B=\r\nghi\r\nplain = sign\r\n";
        assert_eq!(
            decoded(mail).as_deref(),
            Some(
                "From: a@example.com\r\nContent-Type: text/plain\r\n\
                 Content-Transfer-Encoding: quoted-printable\r\n\r\n\
                 key = abc/def+ghi\r\nplain = sign\r\n"
            )
        );
        // Mapped back: `ghi` is on the line after the soft break.
        let (d, map) = decode(mail.as_bytes()).unwrap_or_else(|| panic!("not decoded"));
        let at = memmem::find(&d, b"ghi").unwrap_or(0);
        let (off, len) = map.span(at, at + 3);
        let off = usize::try_from(off).unwrap_or(0);
        assert_eq!(mail.get(off..off + 3), Some("ghi"));
        assert_eq!(len, 3);
        assert_eq!(map.encoding(at), Some(Encoding::QuotedPrintable));
    }

    #[test]
    fn base64_parts_are_decoded_up_to_their_boundary() {
        let mail = "Content-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\n\
                    Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n\
                    aGVsbG8g\nd29ybGQ=\n--b1\nContent-Type: text/plain\n\nafter\n--b1--\n";
        let d = decoded(mail).unwrap_or_default();
        assert!(d.contains("\n\nhello world\n--b1\n"), "{d:?}");
        assert!(d.ends_with("after\n--b1--\n"), "{d:?}");
        // An attachment that is not text stays as it is.
        let bin = "Content-Transfer-Encoding: base64\n\nAAECAwQF\n";
        assert_eq!(decoded(bin).as_deref(), Some(bin));
    }

    #[test]
    fn base64_parts_end_at_their_last_base64_line_where_no_boundary_is_declared() {
        // A multipart body saved without its top-level headers: no `boundary=` names the
        // delimiter, and every base64 part is still decoded.
        let body = "--==123==\nContent-Transfer-Encoding: base64\nContent-Type: text/plain\n\n\
                    aGVsbG8g\nd29ybGQ=\n\
                    --==123==\nContent-Transfer-Encoding: base64\n\n\
                    c2Vjb25k\n--==123==--\n";
        assert_eq!(encoded_parts(body.as_bytes()).len(), 2);
        let d = decoded(body).unwrap_or_default();
        assert!(d.contains("hello world\n--==123==\n"), "{d:?}");
        assert!(d.contains("\n\nsecond\n--==123==--\n"), "{d:?}");
    }

    #[test]
    fn the_header_is_found_in_each_usual_spelling() {
        // Four parts of a multipart mail, one per spelling and the second spelling twice: all
        // four decoded.
        let mail = "Content-Type: multipart/mixed; boundary=\"b1\"\n\n\
                    --b1\nContent-Transfer-Encoding: base64\n\naGVsbG8=\n\
                    --b1\ncontent-transfer-encoding: base64\n\nd29ybGQ=\n\
                    --b1\nCONTENT-TRANSFER-ENCODING: quoted-printable\n\na=3Db\n\
                    --b1\ncontent-transfer-encoding: base64\n\nYWdhaW4=\n--b1--\n";
        assert_eq!(encoded_parts(mail.as_bytes()).len(), 4);
        let d = decoded(mail).unwrap_or_default();
        for text in ["hello", "world", "a=b", "again"] {
            assert!(d.contains(text), "{text} in {d:?}");
        }
    }

    #[test]
    fn no_header_nothing_to_decode() {
        assert_eq!(decoded("a =3D b=\nc\n"), None);
        assert_eq!(
            decoded("x Content-Transfer-Encoding: base64\n\nQUJD\n"),
            None
        );
        assert_eq!(decoded("Content-Transfer-Encoding: 8bit\n\n=3D\n"), None);
    }
}
