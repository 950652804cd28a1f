//! UTF-16 text: whether bytes are UTF-16, decided by evidence rather than by their first two
//! bytes, and its conversion to UTF-8. A byte-order mark is only a hint: `FF FE` followed by
//! plain ASCII is an 8-bit file that happens to start with those bytes, and decoding it as
//! UTF-16 would turn every credential in it into CJK characters. The evidence is a sample of
//! the content read both ways: UTF-16 when it decodes cleanly (no unpaired surrogates, almost
//! no control characters, private-use or non-characters) and it is not also clean 8-bit text
//! (text of any script in UTF-16 puts NUL bytes at alternate positions, which 8-bit text never
//! has). Text without a mark can be judged by the same evidence.

/// How much of the content is examined.
const SAMPLE: usize = 8192;

/// The order of the two bytes of each code unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    Little,
    Big,
}

impl Order {
    fn unit(self, pair: [u8; 2]) -> u16 {
        match self {
            Order::Little => u16::from_le_bytes(pair),
            Order::Big => u16::from_be_bytes(pair),
        }
    }
}

/// The UTF-16 text after a byte-order mark, when the content really is UTF-16: its order and
/// the bytes after the mark.
pub(crate) fn with_bom(data: &[u8]) -> Option<(Order, &[u8])> {
    let (order, body) = match data {
        [0xFF, 0xFE, rest @ ..] => (Order::Little, rest),
        [0xFE, 0xFF, rest @ ..] => (Order::Big, rest),
        _ => return None,
    };
    is_utf16(body, order).then_some((order, body))
}

/// The order of UTF-16 text without a byte-order mark (PowerShell output, Windows exports),
/// judged from `head`, its first bytes: text that is mostly ASCII puts a NUL in every other
/// byte, at odd offsets in little-endian order and even ones in big-endian, and almost none at
/// the other parity (binary content has NULs at both); then the content must decode cleanly.
pub(crate) fn without_bom(head: &[u8]) -> Option<Order> {
    let sample = head.get(..SAMPLE.min(head.len()) & !1).unwrap_or_default();
    let units = sample.len() / 2;
    let (mut even, mut odd) = (0usize, 0usize);
    for pair in sample.chunks_exact(2) {
        even += usize::from(pair.first() == Some(&0));
        odd += usize::from(pair.get(1) == Some(&0));
    }
    let (order, nuls, other) = if odd >= even {
        (Order::Little, odd, even)
    } else {
        (Order::Big, even, odd)
    };
    let alternating = units >= 4 && nuls * 4 >= units && other * 16 <= nuls;
    (alternating && is_utf16(sample, order)).then_some(order)
}

/// Whether `head` is 8-bit text with a few stray NUL bytes (at most one byte in a hundred, and
/// text once they are left out): a log or an export that happens to hold a NUL is not binary.
pub(crate) fn text_with_stray_nuls(head: &[u8]) -> bool {
    let sample = head.get(..SAMPLE.min(head.len())).unwrap_or_default();
    let nuls = memchr::memchr_iter(0, sample).count();
    if nuls * 100 > sample.len() {
        return false;
    }
    let rest: Vec<u8> = sample.iter().copied().filter(|&b| b != 0).collect();
    is_8bit_text(&rest)
}

/// Whether `body` reads as UTF-16 in `order` and not as 8-bit text.
fn is_utf16(body: &[u8], order: Order) -> bool {
    let sample = body.get(..SAMPLE.min(body.len())).unwrap_or_default();
    // A mark alone is empty text either way.
    sample.is_empty() || (decodes_cleanly(sample, order) && !is_8bit_text(sample))
}

/// Whether `sample` decodes as UTF-16 into text: no unpaired surrogate (one cut at the end of
/// the sample aside), and at most one unit in 32 that text does not hold.
fn decodes_cleanly(sample: &[u8], order: Order) -> bool {
    let units = sample.chunks_exact(2).map(|c| {
        order.unit([
            c.first().copied().unwrap_or(0),
            c.get(1).copied().unwrap_or(0),
        ])
    });
    let mut total = 0usize;
    let mut odd = 0usize;
    let mut decoded = char::decode_utf16(units).peekable();
    while let Some(r) = decoded.next() {
        total += 1;
        match r {
            Ok(c) if is_texty(c) => {}
            Ok(_) => odd += 1,
            // A high surrogate cut off by the end of the sample is not evidence.
            Err(_) if decoded.peek().is_none() => {}
            Err(_) => return false,
        }
    }
    total > 0 && odd * 32 <= total
}

/// Whether `sample` is already text as bytes: no NUL, valid UTF-8 (a character cut by the end
/// of the sample aside), with as few odd characters as `decodes_cleanly` allows.
fn is_8bit_text(sample: &[u8]) -> bool {
    if memchr::memchr(0, sample).is_some() {
        return false;
    }
    let text = match std::str::from_utf8(sample) {
        Ok(t) => t,
        Err(e) if e.error_len().is_none() => {
            std::str::from_utf8(sample.get(..e.valid_up_to()).unwrap_or_default()).unwrap_or("")
        }
        Err(_) => return false,
    };
    let total = text.chars().count();
    let odd = text.chars().filter(|&c| !is_texty(c)).count();
    odd * 32 <= total
}

/// A character that text holds: not a control character other than the usual whitespace, not
/// private-use, not a non-character.
fn is_texty(c: char) -> bool {
    match c {
        '\t' | '\n' | '\r' | '\x0c' => true,
        c if c.is_control() => false,
        '\u{E000}'..='\u{F8FF}' => false,
        c => !matches!(u32::from(c) & 0xFFFE, 0xFFFE) && !('\u{FDD0}'..='\u{FDEF}').contains(&c),
    }
}

/// Decodes UTF-16 in `order` to UTF-8; unpaired surrogates become U+FFFD.
pub(crate) fn to_utf8(data: &[u8], order: Order) -> Vec<u8> {
    let units = data.chunks_exact(2).map(|c| {
        order.unit([
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

    fn utf16(bom: &[u8], text: &str, order: Order) -> Vec<u8> {
        let mut v = bom.to_vec();
        for u in text.encode_utf16() {
            v.extend_from_slice(&match order {
                Order::Little => u.to_le_bytes(),
                Order::Big => u.to_be_bytes(),
            });
        }
        v
    }

    #[test]
    fn real_utf16_is_recognised_in_both_orders() {
        let text = "aws_access_key_id = AKIA\r\nnaïve Ünïcode, 中文 and emoji 🔑\r\n";
        let le = utf16(&[0xFF, 0xFE], text, Order::Little);
        let be = utf16(&[0xFE, 0xFF], text, Order::Big);
        assert_eq!(with_bom(&le).map(|(o, _)| o), Some(Order::Little));
        assert_eq!(with_bom(&be).map(|(o, _)| o), Some(Order::Big));
        let (o, body) = with_bom(&le).unwrap_or((Order::Big, &[]));
        assert_eq!(to_utf8(body, o), text.as_bytes());
        // CJK text with no ASCII at all has no NUL, but is not valid 8-bit text either.
        let cjk = utf16(&[0xFF, 0xFE], "秘密鍵を管理する", Order::Little);
        assert!(with_bom(&cjk).is_some());
        // A mark alone.
        assert!(with_bom(&[0xFF, 0xFE]).is_some());
    }

    #[test]
    fn ascii_after_a_mark_is_not_utf16() {
        for bom in [[0xFF, 0xFE], [0xFE, 0xFF]] {
            let mut data = bom.to_vec();
            data.extend_from_slice(b"aws_access_key_id = AKIAQWERTYUIOPASDFGH\nx = 1\n");
            assert_eq!(with_bom(&data), None, "{bom:?}");
        }
        // Latin-1 after a mark reads as private-use characters: not UTF-16 either.
        let mut latin1 = vec![0xFF, 0xFE];
        latin1.extend_from_slice(b"caf\xe9 cr\xe8me br\xfbl\xe9e, na\xefve \xe9l\xe8ve\n");
        assert_eq!(with_bom(&latin1), None);
        // Binary after a mark: unpaired surrogates and control characters.
        let binary: Vec<u8> = [0xFF, 0xFE, 0x00, 0xD8, 0x41, 0x00, 0x01, 0x00, 0x02, 0x00].to_vec();
        assert_eq!(with_bom(&binary), None);
        assert_eq!(with_bom(b"no mark"), None);
    }

    #[test]
    fn a_surrogate_cut_by_the_sample_is_not_evidence() {
        let mut data = vec![0xFF, 0xFE];
        while data.len() < SAMPLE {
            data.extend_from_slice(&[b'a', 0]);
        }
        // The sample ends between the two halves of a pair.
        data.truncate(SAMPLE);
        data.extend_from_slice(&[0x3D, 0xD8, 0x11, 0xDD]);
        assert!(with_bom(&data).is_some());
    }
}
