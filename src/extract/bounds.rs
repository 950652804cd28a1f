//! Where the strings of some binary formats begin and end, read from the format itself: the
//! constants of a compiled Python file, the string table of an Android `.dex`, the strings of a
//! binary property list. Each of them puts printable type or length bytes right before or after
//! a string, which would otherwise glue onto it. Anything malformed gives fewer bounds, never
//! an error: the plain strings pass still runs.

use super::strings::{printable, MIN_LEN};

/// Whether `data` is compiled Python: a magic number ending in `\r\n`, then flags, and a
/// marshalled code object.
fn is_pyc(data: &[u8]) -> bool {
    matches!(data.get(2..4), Some(b"\r\n")) && data.len() >= 16
}

/// Where the string constants of a compiled Python file begin and end. Marshal writes a type
/// byte and a length before each string (`z`/`Z` with one length byte, `a`/`A`/`u`/`t`/`s`
/// with four), often printable, and the next object's type right after it: without these
/// bounds two constants read as one string glued to those bytes.
pub(crate) fn pyc(data: &[u8]) -> Vec<usize> {
    if !is_pyc(data) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, &b) in data.iter().enumerate() {
        let (len, head) = match b & 0x7F {
            b'z' | b'Z' => (data.get(i + 1).map(|&n| usize::from(n)), 2),
            b'a' | b'A' | b'u' | b't' | b's' => (
                data.get(i + 1..i + 5)
                    .and_then(|s| <[u8; 4]>::try_from(s).ok())
                    .and_then(|s| usize::try_from(u32::from_le_bytes(s)).ok()),
                5,
            ),
            _ => continue,
        };
        let Some(len) = len.filter(|&n| n >= MIN_LEN) else {
            continue;
        };
        let start = i + head;
        if data
            .get(start..start + len)
            .is_some_and(|s| s.iter().all(|&c| printable(c)))
        {
            out.push(start);
            out.push(start + len);
        }
    }
    out
}

/// The start of every string of an Android `.dex` file: its string table points at each
/// string's data, a ULEB128 length (a printable byte for lengths from 32 to 126) then the
/// characters.
pub(crate) fn dex(data: &[u8]) -> Vec<usize> {
    if !data.starts_with(b"dex\n") {
        return Vec::new();
    }
    let (Some(count), Some(table)) = (u32_le(data, 0x38), u32_le(data, 0x3C)) else {
        return Vec::new();
    };
    // Each entry takes 4 bytes: a count the file cannot hold is a damaged header.
    let count = count.min(data.len() / 4);
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let Some(at) = u32_le(data, table + 4 * i) else {
            break;
        };
        // The ULEB128 length: bytes with the high bit set, then one without.
        let mut start = at;
        while data.get(start).is_some_and(|&b| b & 0x80 != 0) && start - at < 5 {
            start += 1;
        }
        if start < data.len() {
            out.push(start + 1);
        }
    }
    out
}

fn u32_le(data: &[u8], at: usize) -> Option<usize> {
    let b: [u8; 4] = data.get(at..at + 4)?.try_into().ok()?;
    usize::try_from(u32::from_le_bytes(b)).ok()
}

/// A big-endian number of `len` bytes (1 to 8) at `at`.
fn be(data: &[u8], at: usize, len: usize) -> Option<usize> {
    if !(1..=8).contains(&len) {
        return None;
    }
    let bytes = data.get(at..at + len)?;
    usize::try_from(bytes.iter().fold(0u64, |n, &b| (n << 8) | u64::from(b))).ok()
}

/// The start and end of every ASCII string of a binary property list (`bplist00`): its offset
/// table points at each object, whose marker byte (`0x5N`, printable for short strings) holds
/// the length or is followed by an integer object that does.
pub(crate) fn bplist(data: &[u8]) -> Vec<usize> {
    if !data.starts_with(b"bplist00") || data.len() < 40 {
        return Vec::new();
    }
    let trailer = data.len() - 32;
    let (Some(&int_size), Some(count), Some(table)) = (
        data.get(trailer + 6),
        be(data, trailer + 8, 8),
        be(data, trailer + 24, 8),
    ) else {
        return Vec::new();
    };
    let int_size = usize::from(int_size);
    let count = count.min(data.len() / int_size.max(1));
    let mut out = Vec::new();
    for i in 0..count {
        let Some(at) = be(data, table + i * int_size, int_size) else {
            break;
        };
        let Some(&marker) = data.get(at) else {
            continue;
        };
        if marker >> 4 != 0x5 {
            continue;
        }
        let (len, start) = match marker & 0x0F {
            0x0F => {
                // An integer object: `0x1N` then 2^N bytes.
                let Some(&int) = data.get(at + 1) else {
                    continue;
                };
                if int >> 4 != 0x1 {
                    continue;
                }
                let n = 1usize << (int & 0x0F).min(3);
                let Some(len) = be(data, at + 2, n) else {
                    continue;
                };
                (len, at + 2 + n)
            }
            n => (usize::from(n), at + 1),
        };
        if len >= MIN_LEN && start.saturating_add(len) <= data.len() {
            out.push(start);
            out.push(start + len);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dex_string_table() {
        let mut d = b"dex\n035\0".to_vec();
        d.resize(0x70, 0);
        d.splice(0x38..0x3C, 2u32.to_le_bytes());
        d.splice(0x3C..0x40, 0x70u32.to_le_bytes());
        d.extend_from_slice(&0x78u32.to_le_bytes());
        d.extend_from_slice(&0x81u32.to_le_bytes());
        d.extend_from_slice(b"\x07keys id\0\x41rest");
        assert_eq!(dex(&d), [0x79, 0x82]);
        assert!(dex(b"dex\n").is_empty());
    }

    #[test]
    fn bplist_strings() {
        let mut d = b"bplist00".to_vec();
        // Object 0: a short string of 9; object 1: a long one of 20 through an integer.
        d.extend_from_slice(b"\x59AccessKey");
        let long_at = d.len();
        d.extend_from_slice(b"\x5f\x10\x14AKIAQWERTYUIOPASDFGH");
        let table = d.len();
        d.extend_from_slice(&[8, long_at as u8]);
        let mut trailer = vec![0u8; 6];
        trailer.extend_from_slice(&[1, 1]);
        trailer.extend_from_slice(&2u64.to_be_bytes());
        trailer.extend_from_slice(&0u64.to_be_bytes());
        trailer.extend_from_slice(&(table as u64).to_be_bytes());
        d.extend(trailer);
        assert_eq!(bplist(&d), [9, 18, long_at + 3, long_at + 23]);
        // Damaged: a table past the end.
        if let Some(last) = d.last_mut() {
            *last = 0xFF;
        }
        assert!(bplist(&d).is_empty());
    }
}
