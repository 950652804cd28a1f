//! Where the bytes scanned lie in the content they were made from, when extraction made new
//! text: the printable strings of binary content (reported by byte offset), or an e-mail with
//! its quoted-printable and base64 parts decoded (reported by the line and column of the
//! encoded text). The map is a list of pieces, each a stretch of the scanned bytes that comes
//! from one stretch of the content at a fixed ratio of bytes (1 for ASCII, 2 for UTF-16, 3 for a
//! `=3D` escape, 4 for 3 of base64).

use crate::finding::Encoding;

/// How reports place what is found in a view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// By byte offset in the content (binary content has no lines worth the name).
    Bytes,
    /// By the line and column of the content.
    Lines,
}

/// A stretch of the view that comes from one stretch of the content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Piece {
    /// Start in the view.
    at: usize,
    /// Start in the content.
    offset: usize,
    /// `num` bytes of content make `den` bytes of the view.
    num: u8,
    den: u8,
    /// The 1-based line of the content it starts on, when known (`Place::Bytes`).
    line: u32,
    /// How the content of the piece is encoded, when it is not as it is.
    encoding: Option<Encoding>,
}

/// Where the bytes of a view lie in its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Offsets {
    pieces: Vec<Piece>,
    place: Place,
}

impl Offsets {
    pub(crate) fn new(place: Place) -> Offsets {
        Offsets {
            pieces: Vec::new(),
            place,
        }
    }

    /// How reports place what is found.
    pub(crate) fn place(&self) -> Place {
        self.place
    }

    /// Starts a piece at view position `at`, content offset `offset`, where `num` bytes of
    /// content make `den` bytes of view. A piece that only continues the last one (same ratio,
    /// contiguous on both sides) is merged into it.
    pub(crate) fn push(
        &mut self,
        at: usize,
        offset: usize,
        (num, den): (u8, u8),
        line: u32,
        encoding: Option<Encoding>,
    ) {
        if let Some(last) = self.pieces.last() {
            let continues = last.num == num
                && last.den == den
                && last.encoding == encoding
                && num == den
                && last.offset + (at - last.at) == offset;
            if continues {
                return;
            }
        }
        self.pieces.push(Piece {
            at,
            offset,
            num,
            den,
            line,
            encoding,
        });
    }

    /// The piece holding view position `pos`.
    fn piece(&self, pos: usize) -> Option<&Piece> {
        let i = self.pieces.partition_point(|p| p.at <= pos);
        i.checked_sub(1).and_then(|i| self.pieces.get(i))
    }

    /// The content offset of view position `pos`.
    fn content_offset(&self, pos: usize) -> usize {
        match self.piece(pos) {
            Some(p) => p.offset + (pos - p.at) * usize::from(p.num) / usize::from(p.den.max(1)),
            None => pos,
        }
    }

    /// The line of the content (line feeds counted) that view position `pos` is on, for
    /// `Place::Bytes`.
    pub(crate) fn line(&self, pos: usize) -> u32 {
        self.piece(pos).map_or(1, |p| p.line)
    }

    /// How the content at view position `pos` is encoded, when it is not as it is.
    pub(crate) fn encoding(&self, pos: usize) -> Option<Encoding> {
        self.piece(pos).and_then(|p| p.encoding)
    }

    /// The byte offset and length in the content of the view span `start..end`.
    pub(crate) fn span(&self, start: usize, end: usize) -> (u64, u64) {
        let from = self.content_offset(start);
        let to = match end.checked_sub(1) {
            Some(last) if end > start => {
                let width = self.piece(last).map_or(1, |p| {
                    usize::from(p.num).div_ceil(usize::from(p.den.max(1)))
                });
                self.content_offset(last) + width
            }
            _ => from,
        };
        (from as u64, to.saturating_sub(from) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_map_through_pieces() {
        let mut o = Offsets::new(Place::Lines);
        // View "ab=cd": `ab` from 10, `=` from a `=3D` at 12, `cd` from 15.
        o.push(0, 10, (1, 1), 0, None);
        o.push(1, 11, (1, 1), 0, None); // merged
        o.push(2, 12, (3, 1), 0, Some(Encoding::QuotedPrintable));
        o.push(3, 15, (1, 1), 0, None);
        assert_eq!(o.pieces.len(), 3);
        assert_eq!(o.span(0, 5), (10, 7));
        assert_eq!(o.span(2, 3), (12, 3));
        assert_eq!(o.encoding(2), Some(Encoding::QuotedPrintable));
        // Base64: 4 bytes of content for 3 of view.
        let mut b = Offsets::new(Place::Lines);
        b.push(0, 100, (4, 3), 0, Some(Encoding::Base64));
        assert_eq!(b.span(3, 6), (104, 4));
    }
}
