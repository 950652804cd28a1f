//! Extraction turns what a source read into text worth scanning. Today that is the decision
//! whether bytes are text (binary content is skipped and counted by the caller) and the
//! decoding of UTF-16 text with a byte-order mark into UTF-8.

use std::borrow::Cow;

/// How many leading bytes are inspected to tell binary from text.
const SNIFF: usize = 8192;

/// The bytes to scan, or `None` for binary content. UTF-16 text (with a byte-order mark) is
/// converted to UTF-8 so that its credentials are found too.
pub(crate) fn text_content(data: &[u8]) -> Option<Cow<'_, [u8]>> {
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
