//! What a stream of bytes is, by its first bytes (never its name): a `.jar`, a `.whl` or an
//! `.apk` is a zip, an npm `.tgz` a gzip, whatever they are called.

/// Bytes to read before deciding (a tar header is 512 bytes, its magic at 257).
pub(crate) const HEAD: usize = 512;

/// The containers keyhound opens, and everything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Zip,
    Tar,
    Gzip,
    Bzip2,
    Xz,
    Zstd,
    /// Content to scan as it is.
    Leaf,
}

impl Kind {
    /// A compressed stream of one file, rather than an archive of members.
    pub(crate) fn is_compressed(self) -> bool {
        matches!(self, Kind::Gzip | Kind::Bzip2 | Kind::Xz | Kind::Zstd)
    }
}

/// What `head` (the first `HEAD` bytes, or all of a shorter stream) starts.
pub(crate) fn sniff(head: &[u8]) -> Kind {
    if head.starts_with(b"PK\x03\x04") {
        Kind::Zip
    } else if head.starts_with(&[0x1f, 0x8b, 0x08]) {
        Kind::Gzip
    } else if is_bzip2(head) {
        Kind::Bzip2
    } else if head.starts_with(&[0xFD, b'7', b'z', b'X', b'Z', 0x00]) {
        Kind::Xz
    } else if head.starts_with(&[0x28, 0xB5, 0x2F, 0xFD]) {
        Kind::Zstd
    } else if is_tar(head) {
        Kind::Tar
    } else {
        Kind::Leaf
    }
}

/// A zip after a script (a Spring Boot "fully executable" jar starts with a shell launcher):
/// `#!` first, and the end-of-central-directory record of a zip in the last 64 KiB.
pub(crate) fn is_zip_after_script(data: &[u8]) -> bool {
    if !data.starts_with(b"#!") {
        return false;
    }
    let tail = data
        .get(data.len().saturating_sub(65_557)..)
        .unwrap_or(data);
    memchr::memmem::rfind(tail, b"PK\x05\x06").is_some()
        && memchr::memmem::find(data, b"PK\x03\x04").is_some()
}

/// `BZh` and a block size, then the magic of a first block (or of the end of an empty stream).
fn is_bzip2(head: &[u8]) -> bool {
    let level = head.get(3).is_some_and(|b| (b'1'..=b'9').contains(b));
    let block = head.get(4..10).is_some_and(|m| {
        m == [0x31, 0x41, 0x59, 0x26, 0x53, 0x59] || m == [0x17, 0x72, 0x45, 0x38, 0x50, 0x90]
    });
    head.starts_with(b"BZh") && level && block
}

/// A POSIX or GNU tar header (`ustar` at 257), or an old-style one whose checksum is right.
fn is_tar(head: &[u8]) -> bool {
    let Some(header) = head.get(..512) else {
        return false;
    };
    if header.get(257..262) == Some(b"ustar") {
        return true;
    }
    // Old-style (v7) tar: a name, and a checksum field that matches the header.
    let named = header.first().is_some_and(|&b| b != 0);
    named && checksum_matches(header)
}

/// The header checksum: the sum of its bytes with the checksum field counted as spaces.
fn checksum_matches(header: &[u8]) -> bool {
    let Some(field) = header.get(148..156) else {
        return false;
    };
    let digits: String = field
        .iter()
        .map(|&b| b as char)
        .filter(|c| ('0'..='7').contains(c))
        .collect();
    let Ok(stored) = u32::from_str_radix(&digits, 8) else {
        return false;
    };
    let sum: u32 = header
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u32::from(b)
            }
        })
        .sum();
    !digits.is_empty() && sum == stored
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes_decide() {
        assert_eq!(sniff(b"PK\x03\x04rest"), Kind::Zip);
        assert_eq!(sniff(&[0x1f, 0x8b, 0x08, 0]), Kind::Gzip);
        assert_eq!(sniff(b"BZh91AY&SYxx"), Kind::Bzip2);
        assert_eq!(sniff(b"BZh9 not a stream"), Kind::Leaf);
        assert_eq!(sniff(&[0xFD, b'7', b'z', b'X', b'Z', 0, 0]), Kind::Xz);
        assert_eq!(sniff(&[0x28, 0xB5, 0x2F, 0xFD, 0]), Kind::Zstd);
        assert_eq!(sniff(b"AKIA... plain text"), Kind::Leaf);
        let mut tar = vec![0u8; 512];
        tar[..4].copy_from_slice(b"a.tx");
        tar[257..263].copy_from_slice(b"ustar\0");
        assert_eq!(sniff(&tar), Kind::Tar);
        // An old-style header is recognised by its checksum.
        let mut v7 = vec![0u8; 512];
        v7[..5].copy_from_slice(b"a.txt");
        let sum: u32 = v7.iter().map(|&b| u32::from(b)).sum::<u32>() + 8 * 32;
        let field = format!("{sum:06o}\0 ");
        v7[148..156].copy_from_slice(field.as_bytes());
        assert_eq!(sniff(&v7), Kind::Tar);
        v7[0] = b'b';
        assert_eq!(sniff(&v7), Kind::Leaf);
        let mut script = b"#!/bin/bash\nexec java -jar \"$0\"\nexit 0\n".to_vec();
        script.extend_from_slice(b"PK\x03\x04....PK\x05\x06\0\0");
        assert!(is_zip_after_script(&script));
        assert!(!is_zip_after_script(b"#!/bin/sh\necho PK\n"));
    }
}
