//! The encodings values hide behind, read at the byte level: runs of base64 characters read
//! through URL and JSON escapes (`%2F`, `\/`, `\u002F`), the boundaries that make a run a token of its
//! own, and base64 (the markers that say a base64 value holds an AWS literal, and decoding).

use std::ops::Range;

use crate::finding::Encoding;

/// True for the 64 characters of standard base64 without padding.
#[inline]
pub(crate) fn is_b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

/// Characters that continue a word: a secret or key ID touching one of these is part of a
/// longer token.
#[inline]
pub(crate) fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

#[inline]
fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes a percent escape at `i` (`%2F` → `/`), if there is one.
#[inline]
pub(crate) fn percent_at(data: &[u8], i: usize) -> Option<u8> {
    if data.get(i) != Some(&b'%') {
        return None;
    }
    let hi = hex_val(*data.get(i + 1)?)?;
    let lo = hex_val(*data.get(i + 2)?)?;
    Some(hi * 16 + lo)
}

/// Decodes a JSON `\uXXXX` escape of an ASCII character at `i` (`\u002F` → `/`, as .NET and
/// other encoders write `/`, `+`, `=` and quotes), if there is one.
#[inline]
pub(crate) fn json_unicode_at(data: &[u8], i: usize) -> Option<u8> {
    if data.get(i) != Some(&b'\\') || data.get(i + 1) != Some(&b'u') {
        return None;
    }
    let digits = data.get(i + 2..i + 6)?;
    let mut v: u32 = 0;
    for &d in digits {
        v = v * 16 + u32::from(hex_val(d)?);
    }
    u8::try_from(v).ok().filter(u8::is_ascii)
}

/// A run of base64 characters read through URL and JSON escapes.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    pub(crate) start: usize,
    pub(crate) end: usize,
    /// Decoded characters, kept up to `keep` of them.
    pub(crate) value: Vec<u8>,
    /// Number of decoded characters, even those not kept.
    pub(crate) len: usize,
    pub(crate) encoding: Encoding,
}

/// Reads the run of base64 characters that starts at `start`. With `padding`, `=` (and `%3D`)
/// count as run characters too, as in session tokens. At most `keep` decoded characters are
/// stored; `len` counts all of them (stopping at `max_len`).
pub(crate) fn read_run(
    data: &[u8],
    start: usize,
    padding: bool,
    keep: usize,
    max_len: usize,
) -> Run {
    let mut i = start;
    let mut value = Vec::with_capacity(keep.min(64));
    let mut len = 0usize;
    let mut encoding = Encoding::Plain;
    while let Some(&b) = data.get(i) {
        if len >= max_len {
            break;
        }
        let (ch, width, enc) = if is_b64(b) || (padding && b == b'=') {
            (b, 1, Encoding::Plain)
        } else if b == b'\\' && data.get(i + 1) == Some(&b'/') {
            (b'/', 2, Encoding::JsonEscaped)
        } else if let Some(c) = json_unicode_at(data, i) {
            if c == b'/' || c == b'+' || (padding && c == b'=') {
                (c, 6, Encoding::JsonEscaped)
            } else {
                break;
            }
        } else if let Some(c) = percent_at(data, i) {
            if c == b'/' || c == b'+' || (padding && c == b'=') {
                (c, 3, Encoding::Url)
            } else {
                break;
            }
        } else {
            break;
        };
        if enc != Encoding::Plain {
            encoding = enc;
        }
        if value.len() < keep {
            value.push(ch);
        }
        len += 1;
        i += width;
    }
    Run {
        start,
        end: i,
        value,
        len,
        encoding,
    }
}

/// Width of the run character (or escape) starting at `i`, or 0 when there is none.
#[inline]
pub(crate) fn run_char_width(data: &[u8], i: usize) -> usize {
    match data.get(i) {
        Some(&b) if is_b64(b) => 1,
        Some(&b'\\') if data.get(i + 1) == Some(&b'/') => 2,
        Some(&b'\\') => match json_unicode_at(data, i) {
            Some(b'/') | Some(b'+') => 6,
            _ => 0,
        },
        Some(&b'%') => match percent_at(data, i) {
            Some(b'/') | Some(b'+') => 3,
            _ => 0,
        },
        _ => 0,
    }
}

/// Width of a `/` at `i`, as is or escaped (`\/`, `%2F`, `\u002F`), or 0.
fn slash_width(data: &[u8], i: usize) -> usize {
    match data.get(i) {
        Some(&b'/') => 1,
        Some(&b'\\') if data.get(i + 1) == Some(&b'/') => 2,
        Some(&b'\\') if json_unicode_at(data, i) == Some(b'/') => 6,
        Some(&b'%') if percent_at(data, i) == Some(b'/') => 3,
        _ => 0,
    }
}

/// Whether a SigV4 credential scope starts at `i`: `/20260101/us-east-1/s3/aws4_request` after
/// the key ID of `Credential=` in an `Authorization` header or `X-Amz-Credential=` in a
/// presigned URL, its slashes as is or escaped. The date is eight digits between two slashes.
pub(crate) fn sigv4_scope_at(data: &[u8], i: usize) -> bool {
    let first = slash_width(data, i);
    if first == 0 {
        return false;
    }
    let date = i + first;
    data.get(date..date + 8)
        .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
        && slash_width(data, date + 8) > 0
}

/// Width of a separator that must be skipped as a whole so that its tail is not mistaken for
/// the start of a run: `%3A`-style escapes and backslash escapes such as `\n`.
#[inline]
pub(crate) fn separator_width(data: &[u8], i: usize) -> usize {
    match data.get(i) {
        Some(&b'%') if percent_at(data, i).is_some() => 3,
        Some(&b'\\') if json_unicode_at(data, i).is_some() => 6,
        Some(&b'\\') if data.get(i + 1).is_some_and(|c| c.is_ascii_alphabetic()) => 2,
        Some(_) => 1,
        None => 0,
    }
}

/// True when the run `[start, end)` is glued to more word characters through a joiner
/// (`-`, `_`, `.`), which makes it part of a longer identifier.
pub(crate) fn joined_to_longer_token(data: &[u8], start: usize, end: usize) -> bool {
    let joiner = |b: u8| b == b'-' || b == b'_' || b == b'.';
    let after = matches!((data.get(end), data.get(end + 1)), (Some(&j), Some(&w)) if joiner(j) && is_word(w));
    let before = start >= 2
        && matches!((data.get(start - 1), data.get(start - 2)), (Some(&j), Some(&w)) if joiner(j) && is_word(w));
    after || before
}

/// Is the byte before `start` a boundary? Backslash escapes (`\n`, `\t`) count as boundaries;
/// `/` and `+` do unless they sit inside a base64-looking run (`s3a://AKIA...` is a boundary,
/// `...Zm9v/AKIA...` is not).
pub(crate) fn left_boundary(data: &[u8], start: usize) -> bool {
    if start == 0 {
        return true;
    }
    let prev = data.get(start - 1).copied().unwrap_or(b' ');
    let prev2 = if start >= 2 {
        data.get(start - 2).copied()
    } else {
        None
    };
    if is_word(prev) {
        // `\u0022AKIA...`: an escaped quote (or other non-word character) just before.
        if start >= 6 && json_unicode_at(data, start - 6).is_some_and(|c| !is_b64(c)) {
            return true;
        }
        // `\nAKIA...` inside a JSON string: the `n` belongs to the escape.
        return prev2 == Some(b'\\') && prev.is_ascii_alphabetic();
    }
    if prev == b'/' || prev == b'+' {
        return !prev2.is_some_and(is_word);
    }
    // `%2F` just before: part of an encoded run.
    if start >= 3 && matches!(percent_at(data, start - 3), Some(b'/') | Some(b'+')) {
        return false;
    }
    true
}

// Evaluated at compile time: an out-of-range index would fail the build, not panic.
#[allow(clippy::indexing_slicing)]
const B64_DECODE: [u8; 256] = {
    let mut t = [0xFFu8; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut i = 0;
    while i < 64 {
        t[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    // URL-safe alphabet decodes too.
    t[b'-' as usize] = 62;
    t[b'_' as usize] = 63;
    t
};

/// Decodes base64 (standard or URL-safe, padding optional). `None` on any invalid character
/// or an impossible length.
pub(crate) fn base64_decode(input: &[u8]) -> Option<Vec<u8>> {
    let trimmed = match input.iter().rposition(|&b| b != b'=') {
        Some(p) => input.get(..=p)?,
        None => return Some(Vec::new()),
    };
    if trimmed.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(trimmed.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for &b in trimmed {
        // A u8 always indexes a 256-entry table.
        #[allow(clippy::indexing_slicing)]
        let v = B64_DECODE[b as usize];
        if v == 0xFF {
            return None;
        }
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Encodes standard base64 with padding (used to derive prefilter markers).
pub(crate) fn base64_encode(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                let idx = ((n >> (18 - 6 * k)) & 63) as usize;
                out.push(char::from(ALPHABET.get(idx).copied().unwrap_or(b'A')));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Longest base64 value decoded and searched.
const MAX_BASE64: usize = 1 << 20;

/// The stable substrings of `lit`'s base64 encoding at each of the three byte alignments.
pub(crate) fn base64_markers(lit: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    for offset in 0..3usize {
        let mut buf = vec![0u8; offset];
        buf.extend_from_slice(lit);
        let enc = base64_encode(&buf);
        // Characters fully determined by `lit`: from ceil(offset*8/6) to floor((offset+len)*8/6).
        let first = (offset * 8).div_ceil(6);
        let last = ((offset + lit.len()) * 8) / 6;
        if let Some(s) = enc.get(first..last) {
            if s.len() >= 4 {
                out.push(s.to_string());
            }
        }
    }
    out
}

/// The base64 value around a marker hit at `pos`, with its padding. `floor` is where the last
/// value decoded from the same text ended: nothing before it is read again. A value longer
/// than `MAX_BASE64` is taken in windows of that size, aligned on its groups of four
/// characters, the first one holding `pos` at most half a window from its start; each window
/// starts where the previous one ended, so each stretch of a long value is read and decoded
/// once, however many markers it holds.
pub(crate) fn base64_run_around(data: &[u8], pos: usize, floor: usize) -> Option<Range<usize>> {
    let mut run_start = pos;
    while run_start > floor && data.get(run_start - 1).is_some_and(|&b| is_b64(b)) {
        run_start -= 1;
    }
    let skip = (pos - run_start).saturating_sub(MAX_BASE64 / 2);
    let start = run_start + skip / 4 * 4;
    let mut end = pos;
    while end - start < MAX_BASE64 && data.get(end).is_some_and(|&b| is_b64(b)) {
        end += 1;
    }
    let mut pad = 0;
    while pad < 2 && data.get(end) == Some(&b'=') {
        end += 1;
        pad += 1;
    }
    if end - start < 20 {
        return None;
    }
    Some(start..end)
}

/// Does decoded data look like text (and so worth scanning)?
pub(crate) fn mostly_text(d: &[u8]) -> bool {
    if d.is_empty() {
        return false;
    }
    let printable = d
        .iter()
        .filter(|&&b| (0x20..0x7F).contains(&b) || b == b'\n' || b == b'\r' || b == b'\t')
        .count();
    printable * 10 >= d.len() * 9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip() {
        for s in [
            &b""[..],
            b"a",
            b"ab",
            b"abc",
            b"AKIAQWERTYUIOPASDFGH",
            b"hello world\n",
        ] {
            let e = base64_encode(s);
            assert_eq!(base64_decode(e.as_bytes()).as_deref(), Some(s));
        }
        assert_eq!(base64_decode(b"QUtJQQ"), Some(b"AKIA".to_vec()));
        assert!(base64_decode(b"QUt!").is_none());
        assert!(base64_decode(b"Q").is_none());
    }

    #[test]
    fn run_reads_through_escapes() {
        let d = br#"x="abc\/def%2Fghi%2bj" "#;
        let r = read_run(d, 3, false, 100, 1000);
        assert_eq!(r.value, b"abc/def/ghi+j");
        assert_eq!(d.get(r.end), Some(&b'"'));
        assert_eq!(r.encoding, Encoding::Url);
    }

    #[test]
    fn sigv4_scopes() {
        for s in [
            "/20260101/us-east-1/s3/aws4_request",
            "%2F20260101%2Fus-east-1%2Fs3%2Faws4_request",
            "\\/20260101\\/us-east-1",
            "\\u002F20260101\\u002Fus-east-1",
        ] {
            assert!(sigv4_scope_at(s.as_bytes(), 0), "{s}");
        }
        for s in ["/2026010/x", "/202601011/x", "/Zm9vYmFy/x", "20260101/"] {
            assert!(!sigv4_scope_at(s.as_bytes(), 0), "{s}");
        }
    }

    #[test]
    fn run_reads_through_json_unicode_escapes() {
        let d = br#"x="abc\u002Fdef\u002bghi\u003D" "#;
        let r = read_run(d, 3, true, 100, 1000);
        assert_eq!(r.value, b"abc/def+ghi=");
        assert_eq!(d.get(r.end), Some(&b'"'));
        assert_eq!(r.encoding, Encoding::JsonEscaped);
        // Other escapes end a run; an escaped quote is a boundary.
        let d = br#"abc\u0022def"#;
        assert_eq!(read_run(d, 0, true, 100, 1000).value, b"abc");
        assert!(left_boundary(d, 9));
        assert!(!left_boundary(br"x\u0041AKIA", 7));
        assert_eq!(json_unicode_at(br"\u00e9", 0), None);
        assert_eq!(json_unicode_at(br"\u002", 0), None);
    }

    #[test]
    fn markers_cover_three_alignments() {
        let m = base64_markers(b"AKIA");
        assert!(m.contains(&"QUtJQ".to_string()));
        assert_eq!(m.len(), 3);
        for pre in ["", "x", "xy"] {
            let enc = base64_encode(format!("{pre}AKIAQWERTY").as_bytes());
            assert!(m.iter().any(|mk| enc.contains(mk.as_str())), "{pre}: {enc}");
        }
    }
}
