//! Extraction turns what a source read into text worth scanning. Today that is the decision
//! whether bytes are text (binary content is skipped and counted by the caller) and the
//! decoding of UTF-16 text into UTF-8 (`utf16`: UTF-16 by evidence, not by its first bytes).

mod utf16;

use std::borrow::Cow;

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
