//! The line index: byte offsets of a blob turned into 1-based lines and columns (columns count
//! characters), computed only for the offsets of matches. All offsets of a blob are resolved in
//! one forward pass, and all offsets of one line in one pass over that line, so the cost is
//! linear in the blob whatever the number of matches on a line. Also the lines around a
//! position, bounded in bytes, so that looking around each of many matches on one long line
//! does not read the whole line each time.

/// Start of the line `lines` lines above the one holding `pos`, or `floor` if that is later:
/// the start of the line before it, `lines` times, reading no byte before `floor`.
pub(crate) fn lines_before(data: &[u8], pos: usize, lines: usize, floor: usize) -> usize {
    let pos = pos.min(data.len());
    let floor = floor.min(pos);
    data.get(floor..pos)
        .and_then(|d| memchr::memrchr_iter(b'\n', d).nth(lines))
        .map_or(floor, |p| floor + p + 1)
}

/// End of the line `lines` lines below the one holding `pos`, or `ceil` if that is earlier:
/// the end of the line after it, `lines` times, reading no byte from `ceil` on.
pub(crate) fn lines_after(data: &[u8], pos: usize, lines: usize, ceil: usize) -> usize {
    let ceil = ceil.min(data.len());
    let pos = pos.min(ceil);
    data.get(pos..ceil)
        .and_then(|d| memchr::memchr_iter(b'\n', d).nth(lines))
        .map_or(ceil, |p| pos + p)
}

/// Maps byte offsets to 1-based (line, column) pairs, columns in characters. Offsets are
/// resolved in one forward pass, so callers pass them sorted for linear cost.
pub(crate) struct LineIndex<'a> {
    data: &'a [u8],
    /// Where the scan for line breaks stopped.
    pos: usize,
    line: u32,
    line_start: usize,
    /// Characters from `line_start` to `pos`, so that the next offset on the same line is
    /// counted from `pos`, not from the start of the line.
    column: usize,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        LineIndex {
            data,
            pos: 0,
            line: 1,
            line_start: 0,
            column: 0,
        }
    }

    /// Line and column of `offset`. Offsets given in increasing order cost one pass in all.
    pub(crate) fn locate(&mut self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.data.len());
        if offset < self.pos {
            self.pos = 0;
            self.line = 1;
            self.line_start = 0;
            self.column = 0;
        }
        if let Some(chunk) = self.data.get(self.pos..offset) {
            if let Some(last) = memchr::memrchr(b'\n', chunk) {
                let breaks = memchr::memchr_iter(b'\n', chunk).count();
                self.line = self
                    .line
                    .saturating_add(u32::try_from(breaks).unwrap_or(u32::MAX));
                self.line_start = self.pos + last + 1;
                self.pos = self.line_start;
                self.column = 0;
            }
        }
        let counted = self
            .data
            .get(self.pos..offset)
            .map_or(0, |s| s.iter().filter(|&&b| (b & 0xC0) != 0x80).count());
        self.column += counted;
        self.pos = offset;
        (
            self.line,
            u32::try_from(self.column + 1).unwrap_or(u32::MAX),
        )
    }
}

/// Lines and columns of a set of offsets, resolved in one forward pass and then looked up.
pub(crate) struct Positions(Vec<(usize, (u32, u32))>);

impl Positions {
    /// Resolves every offset of `offsets` in `data`.
    pub(crate) fn resolve(data: &[u8], offsets: impl IntoIterator<Item = usize>) -> Positions {
        let mut sorted: Vec<usize> = offsets.into_iter().collect();
        sorted.sort_unstable();
        sorted.dedup();
        let mut index = LineIndex::new(data);
        Positions(sorted.into_iter().map(|o| (o, index.locate(o))).collect())
    }

    /// The (line, column) of an offset given to `resolve` ((1, 1) for any other).
    pub(crate) fn at(&self, offset: usize) -> (u32, u32) {
        self.0
            .binary_search_by_key(&offset, |p| p.0)
            .ok()
            .and_then(|i| self.0.get(i))
            .map_or((1, 1), |p| p.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Start of the line holding `pos`.
    fn line_start(data: &[u8], pos: usize) -> usize {
        let pos = pos.min(data.len());
        data.get(..pos)
            .and_then(|d| memchr::memrchr(b'\n', d))
            .map_or(0, |p| p + 1)
    }

    /// End of the line holding `pos` (index of its `\n`, or the end of data).
    fn line_end(data: &[u8], pos: usize) -> usize {
        let pos = pos.min(data.len());
        data.get(pos..)
            .and_then(|d| memchr::memchr(b'\n', d))
            .map_or(data.len(), |p| pos + p)
    }

    #[test]
    fn line_index_counts_lines_and_chars() {
        let d = "ab\ncé d\r\nxyz".as_bytes();
        let mut li = LineIndex::new(d);
        assert_eq!(li.locate(0), (1, 1));
        assert_eq!(li.locate(4), (2, 2));
        let z = d.iter().position(|&b| b == b'z').unwrap_or(0);
        assert_eq!(li.locate(z), (3, 3));
        assert_eq!(li.locate(1), (1, 2));
    }

    #[test]
    fn lines_around_a_position_within_bounds() {
        let d = b"a\nbb\nccc\ndddd\neeeee";
        let c = 6; // the first `c`
        for lines in 0..5 {
            // As many `line_start` / `line_end` steps as asked, then the bound.
            let mut start = line_start(d, c);
            let mut end = line_end(d, c);
            for _ in 0..lines {
                if start > 0 {
                    start = line_start(d, start - 1);
                }
                if end < d.len() {
                    end = line_end(d, end + 1);
                }
            }
            for bound in 0..d.len() {
                let floor = bound.min(c);
                assert_eq!(
                    lines_before(d, c, lines, floor),
                    start.max(floor),
                    "{lines} {bound}"
                );
                let ceil = bound.max(c);
                assert_eq!(
                    lines_after(d, c, lines, ceil),
                    end.min(ceil),
                    "{lines} {bound}"
                );
            }
        }
    }

    #[test]
    fn offsets_on_one_long_line_cost_one_pass() {
        // 200,000 offsets on one 2 MB line: counted from the previous offset, not the line
        // start (quadratic before), and still exact.
        let line = "é".repeat(1_000_000);
        let data = line.as_bytes();
        let mut li = LineIndex::new(data);
        for (i, off) in (0..data.len()).step_by(10).enumerate() {
            assert_eq!(li.locate(off), (1, u32::try_from(i * 5 + 1).unwrap_or(0)));
        }
        let mut li = LineIndex::new(b"ab\ncd\nef");
        assert_eq!(li.locate(7), (3, 2));
        assert_eq!(li.locate(8), (3, 3));
        assert_eq!(li.locate(2), (1, 3));
    }
}
