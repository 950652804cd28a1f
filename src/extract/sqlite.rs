//! Where the text values of a SQLite database begin and end. A record stores its values back to
//! back after a header of type codes (which are often printable bytes themselves), so a row's
//! columns read by `strings` come out as one run: `deployAKIA…h3Jq…prod`. Reading the b-tree
//! leaf pages gives the bounds of each text value, and the strings pass cuts its runs there.
//! Only what is on the leaf pages is read (a value spilled to overflow pages is left to the
//! plain strings pass); anything malformed ends the reading of that page, never the scan.

/// The file header every SQLite 3 database starts with.
const MAGIC: &[u8] = b"SQLite format 3\0";

/// Pages read at most, so a hostile header cannot make the bounds cost more than the file.
const MAX_CELLS: usize = 1 << 22;

/// The content offsets where a text value starts or ends, unsorted; empty for anything but a
/// SQLite database.
pub(crate) fn value_bounds(data: &[u8]) -> Vec<usize> {
    if !data.starts_with(MAGIC) {
        return Vec::new();
    }
    let Some(page_size) = be(data, 16, 2).map(|s| if s == 1 { 65536 } else { s }) else {
        return Vec::new();
    };
    let reserved = data.get(20).copied().map_or(0, usize::from);
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Vec::new();
    }
    let usable = page_size.saturating_sub(reserved);
    let mut out = Vec::new();
    let mut cells = 0usize;
    for (n, page) in data.chunks(page_size).enumerate() {
        let base = n * page_size;
        // The first page holds the 100-byte file header before its b-tree header.
        let header = if n == 0 { 100 } else { 0 };
        leaf_page(page, base, header, usable, &mut out, &mut cells);
        if cells > MAX_CELLS {
            break;
        }
    }
    out
}

/// A big-endian number of `len` bytes at `at`.
fn be(data: &[u8], at: usize, len: usize) -> Option<usize> {
    let bytes = data.get(at..at + len)?;
    Some(bytes.iter().fold(0usize, |n, &b| (n << 8) | usize::from(b)))
}

/// A SQLite varint at `at`: its value and its length.
fn varint(data: &[u8], at: usize) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    for i in 0..9 {
        let b = *data.get(at + i)?;
        if i == 8 {
            return Some(((v << 8) | u64::from(b), 9));
        }
        v = (v << 7) | u64::from(b & 0x7F);
        if b & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

/// The text bounds of the records on one page, when it is a leaf of a table (0x0D) or an
/// index (0x0A).
fn leaf_page(
    page: &[u8],
    base: usize,
    header: usize,
    usable: usize,
    out: &mut Vec<usize>,
    cells: &mut usize,
) {
    let kind = page.get(header).copied();
    if !matches!(kind, Some(0x0D | 0x0A)) {
        return;
    }
    let Some(count) = be(page, header + 3, 2) else {
        return;
    };
    for c in 0..count {
        *cells += 1;
        if *cells > MAX_CELLS {
            return;
        }
        let Some(at) = be(page, header + 8 + 2 * c, 2) else {
            return;
        };
        let Some((payload, n)) = varint(page, at) else {
            continue;
        };
        let mut pos = at + n;
        if kind == Some(0x0D) {
            // The row id.
            let Some((_, n)) = varint(page, pos) else {
                continue;
            };
            pos += n;
        }
        let local = local_payload(payload, usable, kind == Some(0x0D));
        let end = pos.saturating_add(local).min(page.len());
        if let Some(record) = page.get(pos..end) {
            record_bounds(record, base + pos, out);
        }
    }
}

/// How much of a payload of `p` bytes is on the leaf page (the rest is on overflow pages).
fn local_payload(p: u64, usable: usize, table: bool) -> usize {
    let p = usize::try_from(p).unwrap_or(usize::MAX);
    let x = if table {
        usable.saturating_sub(35)
    } else {
        (usable.saturating_sub(12) * 64 / 255).saturating_sub(23)
    };
    if p <= x {
        return p;
    }
    let m = (usable.saturating_sub(12) * 32 / 255).saturating_sub(23);
    let k = m + (p - m) % usable.saturating_sub(4).max(1);
    if k <= x {
        k
    } else {
        m
    }
}

/// The bounds of the text values of one record (as much of it as is on the page), at content
/// offset `base`.
fn record_bounds(record: &[u8], base: usize, out: &mut Vec<usize>) {
    let Some((header_len, n)) = varint(record, 0) else {
        return;
    };
    let Ok(header_len) = usize::try_from(header_len) else {
        return;
    };
    let mut pos = n;
    let mut body = header_len;
    while pos < header_len {
        let Some((serial, n)) = varint(record, pos) else {
            return;
        };
        pos += n;
        let len = match serial {
            0 | 8 | 9 => 0,
            1..=4 => serial as usize,
            5 => 6,
            6 | 7 => 8,
            10 | 11 => return,
            s => usize::try_from((s - 12) / 2).unwrap_or(usize::MAX),
        };
        let end = body.saturating_add(len);
        // Text (odd codes from 13) and blobs (even codes from 12) are cut apart.
        if serial >= 12 && end <= record.len() {
            out.push(base + body);
            out.push(base + end);
        }
        if end > record.len() {
            return;
        }
        body = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints() {
        assert_eq!(varint(&[0x05], 0), Some((5, 1)));
        assert_eq!(varint(&[0x81, 0x00], 0), Some((128, 2)));
        assert_eq!(varint(&[0xFF; 9], 0).map(|v| v.1), Some(9));
        assert_eq!(varint(&[0x81], 0), None);
    }

    #[test]
    fn a_record_gives_its_values_bounds() {
        // Header: length 4, then types: integer (1 byte), text of 6, text of 4.
        let rec = [
            4, 1, 25, 21, 7, b'd', b'e', b'p', b'l', b'o', b'y', b'p', b'r', b'o', b'd',
        ];
        let mut out = Vec::new();
        record_bounds(&rec, 1000, &mut out);
        assert_eq!(out, [1005, 1011, 1011, 1015]);
        // Cut short: what is there.
        let mut out = Vec::new();
        record_bounds(rec.get(..12).unwrap_or_default(), 0, &mut out);
        assert_eq!(out, [5, 11]);
    }

    #[test]
    fn not_sqlite_or_malformed_gives_nothing_and_never_panics() {
        assert!(value_bounds(b"plain text").is_empty());
        let mut db = MAGIC.to_vec();
        db.resize(4096, 0xFF);
        assert!(value_bounds(&db).is_empty());
        // A page size of 512 and pages full of 0x0D claims.
        db.splice(16..18, [2, 0]);
        for p in db.chunks_mut(512).skip(1) {
            p.fill(0x0D);
        }
        let _ = value_bounds(&db);
    }
}
