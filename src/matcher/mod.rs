//! The matcher turns a blob's bytes into `Candidate`s: AWS key IDs, secret access keys and
//! session tokens, each with its span and how it was encoded. One Aho-Corasick pass over the
//! blob finds every literal that can start a match (key-ID prefixes, secret and token keywords,
//! base64 forms of key-ID prefixes); only around those hits does any further work happen, so
//! blobs without them cost one linear scan.

pub mod aws;
pub mod text;

use std::ops::Range;

use crate::rule::needles::Needles;

use crate::finding::Encoding;
use aws::{NameStrength, Strictness};
use text::{is_b64, line_end, line_start, read_run, run_char_width, separator_width};

/// What a candidate is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CandidateKind {
    KeyId,
    Secret,
    Token,
}

/// One value found in a blob, before pairing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub kind: CandidateKind,
    /// Decoded value.
    pub value: String,
    /// Byte span in the blob (for a value inside base64, the whole base64 text).
    pub span: Range<usize>,
    pub encoding: Encoding,
    /// For secrets and tokens found after a name: how clearly the name says AWS.
    pub name: Option<NameStrength>,
    /// An AWS documentation example value.
    pub example: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    /// An inline ignore comment (`keyhound:allow` and the markers of other scanners).
    IgnoreMarker,
    KeyPrefix,
    SecretKeyword,
    TokenKeyword,
    Base64Marker,
}

/// Bytes on each side of a key ID searched for a secret with no keyword, at most.
const NEAR_BYTES: usize = 1024;
/// Longest base64 value decoded and searched.
const MAX_BASE64: usize = 1 << 20;
/// How deep base64 inside base64 is followed.
const MAX_DEPTH: u8 = 2;

/// Inline ignore comments: keyhound's own, and those of gitleaks and detect-secrets so that
/// teams can migrate without editing every suppression.
pub const IGNORE_MARKERS: [&str; 3] = [
    "keyhound:allow",
    "gitleaks:allow",
    "pragma: allowlist secret",
];

/// Bits of a packed hit (`found_hit`) that hold the pattern index (`rule::aws` keeps the
/// number of patterns far below this).
const HIT_PATTERN_BITS: u32 = 16;

/// One occurrence of pattern `pattern` at `start`, packed so that hits sort by position first,
/// then by pattern.
pub fn found_hit(pattern: usize, start: usize) -> u64 {
    ((start as u64) << HIT_PATTERN_BITS) | (pattern as u64 & ((1 << HIT_PATTERN_BITS) - 1))
}

fn unpack_hit(h: u64) -> (usize, usize) {
    (
        usize::try_from(h >> HIT_PATTERN_BITS).unwrap_or(usize::MAX),
        (h & ((1 << HIT_PATTERN_BITS) - 1)) as usize,
    )
}

/// Compiled literal prefilter. Build once, share across threads.
pub struct Matcher {
    /// Every occurrence of every pattern (see `rule::needles`).
    search: Option<Needles>,
    /// Trigger and exact pattern bytes, by pattern index.
    patterns: Vec<(Trigger, Vec<u8>)>,
}

/// The stable substrings of `lit`'s base64 encoding at each of the three byte alignments.
fn base64_markers(lit: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    for offset in 0..3usize {
        let mut buf = vec![0u8; offset];
        buf.extend_from_slice(lit);
        let enc = text::base64_encode(&buf);
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

impl Default for Matcher {
    fn default() -> Self {
        Self::new()
    }
}

impl Matcher {
    /// Builds the prefilter automaton.
    pub fn new() -> Self {
        let mut patterns: Vec<(Trigger, Vec<u8>)> = Vec::new();
        for m in IGNORE_MARKERS {
            patterns.push((Trigger::IgnoreMarker, m.as_bytes().to_vec()));
        }
        // Key ID prefixes, and secret and session-token names, from `rules/aws.toml`; the
        // prefilter is case-sensitive (which keeps it on the fast SIMD path), so the file lists
        // each spelling of a name.
        let params = &crate::rule::aws::aws().params;
        for p in &params.key_id_prefixes {
            patterns.push((Trigger::KeyPrefix, p.as_bytes().to_vec()));
        }
        for k in &params.secret_names {
            patterns.push((Trigger::SecretKeyword, k.as_bytes().to_vec()));
        }
        for k in &params.token_names {
            patterns.push((Trigger::TokenKeyword, k.as_bytes().to_vec()));
        }
        // Base64 values worth decoding are marked by the base64 forms of the prefixes and the
        // secret names.
        let mut markers: Vec<String> = params
            .key_id_prefixes
            .iter()
            .chain(&params.secret_names)
            .flat_map(|lit| base64_markers(lit.as_bytes()))
            .collect();
        markers.sort();
        markers.dedup();
        for m in markers {
            patterns.push((Trigger::Base64Marker, m.into_bytes()));
        }
        let needles = patterns
            .iter()
            .enumerate()
            .map(|(i, (_, p))| (p.clone(), i))
            .collect();
        // Building fails only if the automaton fallback cannot be built for these few dozen
        // literals; the matcher then finds nothing rather than stopping the scan.
        let search = Needles::build(needles, false).ok().flatten();
        Matcher { search, patterns }
    }

    /// Finds every candidate in `data`, sorted by position.
    pub fn scan(&self, data: &[u8]) -> Vec<Candidate> {
        self.scan_with_markers(data).0
    }

    /// Finds every candidate in `data`, sorted by position, and the offsets of inline ignore
    /// markers.
    pub fn scan_with_markers(&self, data: &[u8]) -> (Vec<Candidate>, Vec<usize>) {
        self.scan_found(data, None)
    }

    /// The literals this matcher searches for, by pattern index (for a caller that searches
    /// them together with literals of its own; see `scan_found`).
    pub fn literals(&self) -> impl Iterator<Item = &[u8]> {
        self.patterns.iter().map(|(_, p)| p.as_slice())
    }

    /// Like `scan_with_markers`, with the occurrences of `literals` in `data` found by the
    /// caller, each packed as `found_hit(pattern, start)`: every occurrence, overlapping ones
    /// included, in any order. They are taken as this matcher's own search would: leftmost
    /// first, the earliest pattern first among those at one position, each match skipping those
    /// it overlaps. (Packed into one word each, a blob made of nothing but literals costs at
    /// most 8 bytes per occurrence.)
    pub fn scan_found(&self, data: &[u8], found: Option<Vec<u64>>) -> (Vec<Candidate>, Vec<usize>) {
        let found = found.unwrap_or_else(|| self.find(data));
        self.scan_sorted(data, self.leftmost_first(found))
    }

    /// Every occurrence of the patterns in `data`, packed.
    fn find(&self, data: &[u8]) -> Vec<u64> {
        let mut found = Vec::new();
        if let Some(s) = &self.search {
            s.each(data, &mut |p, start, _| found.push(found_hit(p, start)));
        }
        found
    }

    /// The occurrences an Aho-Corasick leftmost-first search would report, in order: the
    /// leftmost; among those at one position, the earliest pattern; then the next one that
    /// starts after it ends.
    fn leftmost_first(
        &self,
        mut all: Vec<u64>,
    ) -> impl Iterator<Item = (usize, Range<usize>)> + '_ {
        all.sort_unstable();
        let mut end = 0;
        all.into_iter().filter_map(move |h| {
            let (start, p) = unpack_hit(h);
            let (_, bytes) = self.patterns.get(p)?;
            (start >= end).then(|| {
                end = start + bytes.len();
                (p, start..end)
            })
        })
    }

    fn scan_sorted(
        &self,
        data: &[u8],
        hits: impl Iterator<Item = (usize, Range<usize>)>,
    ) -> (Vec<Candidate>, Vec<usize>) {
        let mut out = Vec::new();
        let mut markers = Vec::new();
        self.scan_into(data, 0, &mut out, None, &mut markers, hits);
        out.sort_by(|a, b| {
            (a.span.start, a.kind, a.span.end, &a.value).cmp(&(
                b.span.start,
                b.kind,
                b.span.end,
                &b.value,
            ))
        });
        out.dedup_by(|b, a| {
            if a.kind == b.kind && a.span == b.span && a.value == b.value {
                if a.name < b.name {
                    a.name = b.name;
                }
                true
            } else {
                false
            }
        });
        (out, markers)
    }

    /// Scans `data`; when `outer` is set, the data is a decoded base64 value and every
    /// candidate takes the outer span instead of its own.
    fn scan_into(
        &self,
        data: &[u8],
        depth: u8,
        out: &mut Vec<Candidate>,
        outer: Option<&Range<usize>>,
        markers: &mut Vec<usize>,
        hits: impl Iterator<Item = (usize, Range<usize>)>,
    ) {
        let mut found: Vec<Candidate> = Vec::new();
        let mut decoded_runs: Vec<Range<usize>> = Vec::new();
        for (p, hit) in hits {
            let Some((trigger, pattern)) = self.patterns.get(p) else {
                continue;
            };
            match trigger {
                Trigger::IgnoreMarker => {
                    if outer.is_none() {
                        markers.push(hit.start);
                    }
                }
                Trigger::KeyPrefix => {
                    if data.get(hit.clone()) == Some(pattern.as_slice()) {
                        if let Some(c) = key_id_at(data, hit.start) {
                            found.push(c);
                        }
                    }
                }
                Trigger::SecretKeyword => {
                    if let Some(c) = keyword_value(data, hit, CandidateKind::Secret) {
                        found.push(c);
                    }
                }
                Trigger::TokenKeyword => {
                    if let Some(c) = keyword_value(data, hit, CandidateKind::Token) {
                        found.push(c);
                    }
                }
                Trigger::Base64Marker => {
                    if depth >= MAX_DEPTH
                        || data.get(hit.clone()) != Some(pattern.as_slice())
                        || decoded_runs.iter().any(|r| r.contains(&hit.start))
                    {
                        continue;
                    }
                    let Some(run) = base64_run_around(data, hit.start) else {
                        continue;
                    };
                    decoded_runs.push(run.clone());
                    let Some(decoded) = data.get(run.clone()).and_then(text::base64_decode) else {
                        continue;
                    };
                    if mostly_text(&decoded) {
                        let span = outer.cloned().unwrap_or(run);
                        let mut inner = Vec::new();
                        self.scan_into(
                            &decoded,
                            depth + 1,
                            &mut inner,
                            Some(&span),
                            markers,
                            self.leftmost_first(self.find(&decoded)),
                        );
                        out.extend(inner);
                    }
                }
            }
        }
        // Secrets with no keyword, near each key ID.
        let keys: Vec<Range<usize>> = found
            .iter()
            .filter(|c| c.kind == CandidateKind::KeyId)
            .map(|c| c.span.clone())
            .collect();
        let mut searched_to = 0usize;
        for k in keys {
            let region = near_region(data, &k);
            let from = region.start.max(searched_to);
            if from < region.end {
                secrets_in_region(data, from..region.end, region.start, &mut found);
                searched_to = region.end;
            }
        }
        for mut c in found {
            if let Some(span) = outer {
                c.span = span.clone();
                c.encoding = Encoding::Base64;
            }
            out.push(c);
        }
    }
}

/// A key-ID candidate at `start`, if the text there is one.
fn key_id_at(data: &[u8], start: usize) -> Option<Candidate> {
    let end = start + aws::KEY_ID_LEN;
    let id = data.get(start..end)?;
    if !aws::is_key_id_shape(id) || !text::left_boundary(data, start) {
        return None;
    }
    match data.get(end) {
        Some(&b) if text::is_word(b) => return None,
        Some(&b'+') | Some(&b'/') if data.get(end + 1).is_some_and(|&b| text::is_word(b)) => {
            return None
        }
        _ => {}
    }
    // `REGION_ASIAPACIFICNORTHEAST`, `key.AKIA...x`: part of a longer identifier.
    if text::joined_to_longer_token(data, start, end) {
        return None;
    }
    let value = String::from_utf8_lossy(id).into_owned();
    if aws::is_placeholder_key_id(&value) {
        return None;
    }
    Some(Candidate {
        kind: CandidateKind::KeyId,
        example: aws::is_example(&value),
        value,
        span: start..end,
        encoding: Encoding::Plain,
        name: None,
    })
}

#[inline]
fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.'
}

#[inline]
fn is_separator(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t'
            | b'"'
            | b'\''
            | b'`'
            | b':'
            | b'='
            | b'>'
            | b','
            | b'('
            | b')'
            | b'['
            | b']'
            | b'{'
            | b'|'
    )
}

/// Width of an XML/HTML tag (`</name>`, `<value>`, `<string>`) or character entity (`&quot;`)
/// at `i`.
fn markup_width(data: &[u8], i: usize) -> Option<usize> {
    match data.get(i)? {
        b'<' => {
            let rest = data.get(i + 1..(i + 48).min(data.len()))?;
            let gt = memchr::memchr(b'>', rest)?;
            let inner = rest.get(..gt)?;
            let tag_like = inner.iter().all(|&c| {
                c.is_ascii_alphanumeric()
                    || matches!(
                        c,
                        b'/' | b'_' | b'-' | b'.' | b':' | b' ' | b'=' | b'"' | b'\''
                    )
            });
            tag_like.then_some(gt + 2)
        }
        b'&' => {
            let rest = data.get(i + 1..(i + 9).min(data.len()))?;
            let semi = memchr::memchr(b';', rest)?;
            let inner = rest.get(..semi)?;
            (semi >= 2
                && inner
                    .iter()
                    .all(|&c| c.is_ascii_alphanumeric() || c == b'#'))
            .then_some(semi + 2)
        }
        _ => None,
    }
}

/// Width of a `value`/`default` keyword standing between a name and its value (skipped once).
fn value_word_width(data: &[u8], i: usize, already: u32) -> Option<usize> {
    if already > 0 {
        return None;
    }
    for w in ["value", "Value", "VALUE", "default", "Default"] {
        if data.get(i..i + w.len()) == Some(w.as_bytes())
            && data
                .get(i + w.len())
                .is_some_and(|&c| is_separator(c) || c == b'<')
        {
            return Some(w.len());
        }
    }
    None
}

/// Where the value assigned to a name starts: after separators (`=`, `:`, quotes, `=>`,
/// `>` of an XML tag, escaped quotes) and at most one line break.
fn value_start(data: &[u8], mut i: usize) -> Option<usize> {
    let mut skipped = 0;
    let mut words_skipped = 0;
    let mut crossed_line = false;
    loop {
        let b = *data.get(i)?;
        let next = data.get(i + 1).copied();
        if is_separator(b) {
            i += 1;
        } else if b == b'\\' && matches!(next, Some(b'"') | Some(b'\'')) {
            i += 2;
        } else if b == b'\\' && matches!(next, Some(b'n') | Some(b'r')) && !crossed_line {
            // A line break inside a JSON string (notebooks, escaped configs).
            crossed_line = true;
            i += 2;
        } else if (b == b'\n' || b == b'\r') && !crossed_line {
            crossed_line = true;
            while data.get(i).is_some_and(|&c| c == b'\n' || c == b'\r') {
                i += 1;
            }
            // Indentation and YAML list markers on the next line.
            while data
                .get(i)
                .is_some_and(|&c| c == b' ' || c == b'\t' || c == b'-')
            {
                i += 1;
            }
        } else if b == b'%'
            && matches!(
                text::percent_at(data, i),
                Some(b'=') | Some(b'"') | Some(b':')
            )
        {
            i += 3;
        } else if let Some(w) = markup_width(data, i) {
            // `</name><value>`, `&quot;`: markup between a name and its value.
            i += w;
        } else if let Some(w) = value_word_width(data, i, words_skipped) {
            // `name: AWS_SECRET_ACCESS_KEY\n  value: ...`, `key="AWSSecretKey" value="..."`,
            // `variable "aws_secret_key" { default = "..." }`.
            words_skipped += 1;
            i += w;
        } else {
            return Some(i);
        }
        skipped += 1;
        if skipped > 24 {
            return None;
        }
    }
}

/// The value assigned to the name around a keyword hit: `aws_secret_access_key = VALUE`,
/// `"SecretAccessKey": "VALUE"`, `<SecretAccessKey>VALUE`, `secret_key:\n  VALUE`, ...
fn keyword_value(data: &[u8], hit: Range<usize>, kind: CandidateKind) -> Option<Candidate> {
    let mut name_start = hit.start;
    while name_start > 0
        && hit.start - name_start < 64
        && data.get(name_start - 1).is_some_and(|&b| is_name_char(b))
    {
        name_start -= 1;
    }
    let mut name_end = hit.end;
    while name_end - hit.end < 64 && data.get(name_end).is_some_and(|&b| is_name_char(b)) {
        name_end += 1;
    }
    let name = data.get(name_start..name_end)?;
    let start = value_start(data, name_end)?;
    if run_char_width(data, start) == 0 {
        return None;
    }
    let run = read_run(data, start, true, 8192, 1 << 16);
    if run.len < aws::SECRET_LEN || text::joined_to_longer_token(data, run.start, run.end) {
        return None;
    }
    match kind {
        CandidateKind::Secret => {
            let (value, encoding) = if run.len == aws::SECRET_LEN {
                (run.value, run.encoding)
            } else if (52..=60).contains(&run.len) {
                // A base64-encoded secret, as in a Kubernetes Secret's `data:`.
                let decoded = text::base64_decode(&run.value)?;
                let trimmed = trim_newline(&decoded);
                if trimmed.len() != aws::SECRET_LEN || !trimmed.iter().all(|&b| is_b64(b)) {
                    return None;
                }
                (trimmed.to_vec(), Encoding::Base64)
            } else {
                return None;
            };
            let value_text = String::from_utf8_lossy(&value).into_owned();
            let example = aws::is_example(&value_text);
            if !example && !aws::is_secret_shape(&value, Strictness::Keyword) {
                return None;
            }
            if in_wrapped_block(data, run.start, run.end) {
                return None;
            }
            Some(Candidate {
                kind,
                value: value_text,
                span: run.start..run.end,
                encoding,
                name: Some(aws::secret_name_strength(name)),
                example,
            })
        }
        CandidateKind::Token => {
            if run.len < aws::MIN_TOKEN_LEN
                || run.value.len() < run.len
                || !aws::is_token_shape(&run.value)
            {
                return None;
            }
            // Base64 padding only at the end: `Signature=<hex>` is not a token.
            if let Some(eq) = run.value.iter().position(|&b| b == b'=') {
                if run
                    .value
                    .get(eq..)
                    .is_some_and(|tail| tail.iter().any(|&b| b != b'='))
                {
                    return None;
                }
            }
            let value = String::from_utf8_lossy(&run.value).into_owned();
            Some(Candidate {
                kind,
                example: aws::is_example(&value),
                value,
                span: run.start..run.end,
                encoding: run.encoding,
                name: Some(NameStrength::Aws),
            })
        }
        CandidateKind::KeyId => None,
    }
}

fn trim_newline(v: &[u8]) -> &[u8] {
    let mut v = v;
    while let Some((&last, rest)) = v.split_last() {
        if last == b'\n' || last == b'\r' {
            v = rest;
        } else {
            break;
        }
    }
    v
}

/// Is `[start, end)` a line of a wrapped base64 block (a PEM body, a MIME part)? Such a line
/// stands alone on its line next to another long base64-only line.
fn in_wrapped_block(data: &[u8], start: usize, end: usize) -> bool {
    let ls = line_start(data, start);
    let le = line_end(data, end);
    let blank = |s: usize, e: usize| {
        data.get(s..e).is_some_and(|l| {
            l.iter().all(|&b| {
                b == b' ' || b == b'\t' || b == b'\r' || b == b'"' || b == b'\'' || b == b','
            })
        })
    };
    if !(blank(ls, start) && blank(end, le)) {
        return false;
    }
    let b64_line = |s: usize, e: usize| {
        let l = data.get(s..e).unwrap_or_default();
        let t: Vec<u8> = l
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace() && *b != b'"' && *b != b'\'' && *b != b',')
            .collect();
        t.len() >= 60 && t.iter().all(|&b| is_b64(b) || b == b'=')
    };
    let prev = ls > 0 && {
        let pe = ls - 1;
        b64_line(line_start(data, pe), pe)
    };
    let next = le < data.len() && {
        let ns = le + 1;
        b64_line(ns, line_end(data, ns))
    };
    prev || next
}

/// The lines around a key ID where a secret with no keyword may stand.
fn near_region(data: &[u8], key: &Range<usize>) -> Range<usize> {
    let mut start = line_start(data, key.start);
    let near = crate::rule::aws::aws().params.near_lines;
    for _ in 0..near {
        if start == 0 {
            break;
        }
        start = line_start(data, start - 1);
    }
    let mut end = line_end(data, key.end);
    for _ in 0..near {
        if end >= data.len() {
            break;
        }
        end = line_end(data, end + 1);
    }
    let start = start.max(key.start.saturating_sub(NEAR_BYTES));
    let end = end.min(key.end + NEAR_BYTES).min(data.len());
    start..end
}

/// Every 40-character secret-shaped run in `region`, recorded as a no-keyword candidate.
/// `clip_start` is where the region was cut, so that a run cut in half is not taken whole.
fn secrets_in_region(
    data: &[u8],
    region: Range<usize>,
    clip_start: usize,
    out: &mut Vec<Candidate>,
) {
    let mut i = region.start;
    if i > 0 && i == clip_start && line_start(data, i) != i {
        while i < region.end && run_char_width(data, i) > 0 {
            i += 1;
        }
    }
    while i < region.end {
        if run_char_width(data, i) == 0 {
            i += separator_width(data, i).max(1);
            continue;
        }
        let run = read_run(data, i, false, aws::SECRET_LEN + 1, 1 << 16);
        let end = run.end.max(i + 1);
        if run.len == aws::SECRET_LEN
            && text::left_boundary(data, i)
            && data.get(run.end) != Some(&b'=')
            && !text::joined_to_longer_token(data, i, run.end)
            && !in_wrapped_block(data, i, run.end)
        {
            let value = String::from_utf8_lossy(&run.value).into_owned();
            let example = aws::is_example(&value);
            if example || aws::is_secret_shape(&run.value, Strictness::NoKeyword) {
                out.push(Candidate {
                    kind: CandidateKind::Secret,
                    value,
                    span: i..run.end,
                    encoding: run.encoding,
                    name: None,
                    example,
                });
            }
        }
        i = end;
    }
}

/// The base64 value around a marker hit, with its padding.
fn base64_run_around(data: &[u8], pos: usize) -> Option<Range<usize>> {
    let mut start = pos;
    while start > 0 && pos - start < MAX_BASE64 && data.get(start - 1).is_some_and(|&b| is_b64(b)) {
        start -= 1;
    }
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
fn mostly_text(d: &[u8]) -> bool {
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

    fn kinds(data: &str) -> Vec<(CandidateKind, String)> {
        Matcher::new()
            .scan(data.as_bytes())
            .into_iter()
            .map(|c| (c.kind, c.value))
            .collect()
    }

    const KEY: &str = "AKIAQWERTYUIOPASDFGH";
    const SECRET: &str = "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";

    #[test]
    fn markers_cover_three_alignments() {
        let m = base64_markers(b"AKIA");
        assert!(m.contains(&"QUtJQ".to_string()));
        assert_eq!(m.len(), 3);
        for pre in ["", "x", "xy"] {
            let enc = text::base64_encode(format!("{pre}AKIAQWERTY").as_bytes());
            assert!(m.iter().any(|mk| enc.contains(mk.as_str())), "{pre}: {enc}");
        }
    }

    #[test]
    fn finds_key_and_keyword_secret() {
        let got = kinds(&format!(
            "aws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n"
        ));
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got.first().map(|g| g.0), Some(CandidateKind::KeyId));
        assert_eq!(got.get(1).map(|g| g.1.as_str()), Some(SECRET));
    }

    #[test]
    fn finds_secret_near_key_without_keyword() {
        let got = kinds(&format!(
            "new BasicAWSCredentials(\"{KEY}\", \"{SECRET}\");"
        ));
        assert_eq!(got.len(), 2, "{got:?}");
    }

    #[test]
    fn ignores_identifiers_and_longer_tokens() {
        assert!(kinds("AIDAQWERTYUIOPASDFGH").is_empty());
        assert!(kinds(&format!("x{KEY}")).is_empty());
        assert!(kinds(&format!("{KEY}X")).is_empty());
        assert!(kinds("Asia/Tokyo AKIA").is_empty());
    }

    #[test]
    fn decodes_url_json_and_base64() {
        let url = SECRET.replace('/', "%2F").replace('+', "%2B");
        let got = kinds(&format!("{KEY}&secret={url}"));
        assert!(got.iter().any(|g| g.1 == SECRET), "{got:?}");
        let json = SECRET.replace('/', "\\/");
        let got = kinds(&format!(
            "{{\"id\":\"{KEY}\",\"SecretAccessKey\":\"{json}\"}}"
        ));
        assert!(got.iter().any(|g| g.1 == SECRET), "{got:?}");
        let b64 = text::base64_encode(
            format!("[default]\naws_access_key_id={KEY}\naws_secret_access_key={SECRET}\n")
                .as_bytes(),
        );
        let got = kinds(&format!("data:\n  credentials: {b64}\n"));
        assert!(got.iter().any(|g| g.1 == SECRET), "{got:?}");
        assert!(got.iter().any(|g| g.1 == KEY), "{got:?}");
        let b64s = text::base64_encode(SECRET.as_bytes());
        let got = kinds(&format!("  AWS_SECRET_ACCESS_KEY: {b64s}\n"));
        assert!(got.iter().any(|g| g.1 == SECRET), "{got:?}");
    }
}
