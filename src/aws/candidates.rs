//! The AWS candidates of a blob: key IDs, secret access keys and session tokens, each with its
//! span and how it was encoded. The search for the literals that can start a candidate (key ID
//! prefixes, secret and token names, the base64 forms of both, and the inline ignore markers)
//! is done by the detector's prefilter; only around those hits does any further work happen,
//! so a blob without them costs one linear search.

use std::ops::Range;

use super::decode::{base64_decode, base64_markers, base64_run_around, mostly_text};
use super::keys::NameStrength;
use super::{keys, nearby, value, AwsRules, Candidate, CandidateKind};
use crate::finding::Encoding;
use crate::rule::INLINE_IGNORE_MARKERS;

/// Why a literal is searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    /// An inline ignore comment (`keyhound:allow` and the markers of other scanners).
    IgnoreMarker,
    KeyPrefix,
    SecretKeyword,
    TokenKeyword,
    /// A name whose value is a token only next to a temporary key pair (`"Token"`).
    PairOnlyTokenKeyword,
    Base64Marker,
}

/// How deep base64 inside base64 is followed.
const MAX_DEPTH: u8 = 2;

/// Bits of a packed hit (`found_hit`) that hold the literal's index (the AWS rules keep the
/// number of literals far below this).
const HIT_PATTERN_BITS: u32 = 16;

/// One occurrence of literal `pattern` at `start`, packed so that hits sort by position first,
/// then by literal.
pub(crate) fn found_hit(pattern: usize, start: usize) -> u64 {
    ((start as u64) << HIT_PATTERN_BITS) | (pattern as u64 & ((1 << HIT_PATTERN_BITS) - 1))
}

fn unpack_hit(h: u64) -> (usize, usize) {
    (
        usize::try_from(h >> HIT_PATTERN_BITS).unwrap_or(usize::MAX),
        (h & ((1 << HIT_PATTERN_BITS) - 1)) as usize,
    )
}

/// A search for the literals of `Finder::literals` (by index): every occurrence, overlapping
/// ones included, each packed by `found_hit`, in any order. The detector's prefilter provides
/// it; the finder uses it for the text it decodes from base64.
pub(crate) trait LiteralSearch: Sync {
    fn find_all(&self, data: &[u8]) -> Vec<u64>;
}

/// The candidates of a blob, and the offsets of its inline ignore markers.
#[derive(Debug, Default)]
pub(crate) struct Found {
    /// Sorted by position.
    pub candidates: Vec<Candidate>,
    pub markers: Vec<usize>,
}

/// Turns literal hits into candidates. Build once, share across threads.
pub(crate) struct Finder {
    /// Trigger and exact bytes, by literal index.
    patterns: Vec<(Trigger, Vec<u8>)>,
}

impl Finder {
    /// The literals of the AWS rules. The search is case-sensitive (which keeps it on the fast
    /// SIMD path), so `rules/aws.toml` lists each spelling of a name.
    pub(crate) fn new(rules: &AwsRules) -> Finder {
        let mut patterns: Vec<(Trigger, Vec<u8>)> = Vec::new();
        for m in INLINE_IGNORE_MARKERS {
            patterns.push((Trigger::IgnoreMarker, m.as_bytes().to_vec()));
        }
        let params = &rules.params;
        for p in &params.key_id_prefixes {
            patterns.push((Trigger::KeyPrefix, p.as_bytes().to_vec()));
        }
        for k in &params.secret_names {
            patterns.push((Trigger::SecretKeyword, k.as_bytes().to_vec()));
        }
        for k in &params.token_names {
            patterns.push((Trigger::TokenKeyword, k.as_bytes().to_vec()));
        }
        for k in &params.pair_only_token_names {
            patterns.push((Trigger::PairOnlyTokenKeyword, k.as_bytes().to_vec()));
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
        Finder { patterns }
    }

    /// The literals to search for, by index.
    pub(crate) fn literals(&self) -> impl Iterator<Item = &[u8]> {
        self.patterns.iter().map(|(_, p)| p.as_slice())
    }

    /// Every candidate in `data`, from `found`, the occurrences of `literals` in it (see
    /// `LiteralSearch`). They are taken as an Aho-Corasick leftmost-first search would:
    /// leftmost first, the earliest literal first among those at one position, each taken hit
    /// skipping those it overlaps. (Packed into one word each, a blob made of nothing but
    /// literals costs at most 8 bytes per occurrence.)
    pub(crate) fn candidates(
        &self,
        data: &[u8],
        found: Vec<u64>,
        search: &dyn LiteralSearch,
        rules: &AwsRules,
    ) -> Found {
        let mut out = Found::default();
        let mut scan = Scan {
            finder: self,
            search,
            rules,
            out: &mut out,
        };
        scan.text(data, 0, None, self.leftmost_first(found));
        sort_and_merge(&mut out.candidates);
        out
    }

    /// The occurrences a leftmost-first search would report, in order: the leftmost; among
    /// those at one position, the earliest literal; then the next one that starts after it
    /// ends.
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
}

/// Sorts candidates by position and merges duplicates (the same value at the same span),
/// keeping the strongest name.
fn sort_and_merge(out: &mut Vec<Candidate>) {
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
}

/// One scan of a blob and of the base64 values decoded from it.
struct Scan<'a> {
    finder: &'a Finder,
    search: &'a dyn LiteralSearch,
    rules: &'a AwsRules,
    out: &'a mut Found,
}

impl Scan<'_> {
    /// Scans `data`; when `outer` is set, the data is a decoded base64 value and every
    /// candidate takes the outer span instead of its own.
    fn text(
        &mut self,
        data: &[u8],
        depth: u8,
        outer: Option<&Range<usize>>,
        hits: impl Iterator<Item = (usize, Range<usize>)>,
    ) {
        let mut found: Vec<Candidate> = Vec::new();
        // Where the last base64 value decoded ends: hits come in order, so a hit before it is
        // inside it.
        let mut decoded_to = 0;
        // Where the last value read after a token name ends: a token name inside that value
        // (`SessionTokenSessionToken...`) would read the rest of the same run again, up to
        // 64 KiB for each hit.
        let mut token_to = 0;
        for (p, hit) in hits {
            let Some((trigger, pattern)) = self.finder.patterns.get(p) else {
                continue;
            };
            let literal_here = data.get(hit.clone()) == Some(pattern.as_slice());
            match trigger {
                Trigger::IgnoreMarker if outer.is_none() => self.out.markers.push(hit.start),
                Trigger::IgnoreMarker => {}
                Trigger::KeyPrefix if literal_here => {
                    found.extend(key_id_at(data, hit.start, self.rules));
                }
                Trigger::KeyPrefix => {}
                Trigger::SecretKeyword => {
                    found.extend(value::keyword_value(data, hit, CandidateKind::Secret).0);
                }
                Trigger::TokenKeyword if hit.start >= token_to => {
                    let (token, read_to) = value::keyword_value(data, hit, CandidateKind::Token);
                    found.extend(token);
                    token_to = read_to;
                }
                Trigger::TokenKeyword => {}
                Trigger::PairOnlyTokenKeyword if hit.start >= token_to => {
                    let (token, read_to) = value::keyword_value(data, hit, CandidateKind::Token);
                    found.extend(token.map(|mut t| {
                        t.name = Some(NameStrength::Generic);
                        t
                    }));
                    token_to = read_to;
                }
                Trigger::PairOnlyTokenKeyword => {}
                Trigger::Base64Marker => {
                    if depth < MAX_DEPTH && literal_here && hit.start >= decoded_to {
                        self.base64(data, hit.start, depth, outer, &mut decoded_to);
                    }
                }
            }
        }
        nearby::secrets_near_keys(data, &mut found, self.rules.params.near_lines);
        for mut c in found {
            if let Some(span) = outer {
                c.span = span.clone();
                c.encoding = Encoding::Base64;
            }
            self.out.candidates.push(c);
        }
    }

    /// Decodes the base64 value around a marker at `at` and scans it, once per value (or per
    /// window of a long value); `decoded_to` is where the last one ended.
    fn base64(
        &mut self,
        data: &[u8],
        at: usize,
        depth: u8,
        outer: Option<&Range<usize>>,
        decoded_to: &mut usize,
    ) {
        let Some(run) = base64_run_around(data, at, *decoded_to) else {
            return;
        };
        *decoded_to = run.end;
        let Some(decoded) = data.get(run.clone()).and_then(base64_decode) else {
            return;
        };
        if mostly_text(&decoded) {
            let span = outer.cloned().unwrap_or(run);
            let hits = self.search.find_all(&decoded);
            let hits = self.finder.leftmost_first(hits);
            self.text(&decoded, depth + 1, Some(&span), hits);
        }
    }
}

/// A key-ID candidate at `start`, if the text there is one.
fn key_id_at(data: &[u8], start: usize, rules: &AwsRules) -> Option<Candidate> {
    use super::decode::{is_word, joined_to_longer_token, left_boundary, sigv4_scope_at};
    let end = start + keys::KEY_ID_LEN;
    let id = data.get(start..end)?;
    if !rules.is_key_id(id) || !left_boundary(data, start) {
        return None;
    }
    match data.get(end) {
        Some(&b) if is_word(b) => return None,
        // `Credential=AKIA…/20260101/us-east-1/s3/aws4_request`: a SigV4 credential scope.
        Some(&b'/') if sigv4_scope_at(data, end) => {}
        Some(&b'+') | Some(&b'/') if data.get(end + 1).is_some_and(|&b| is_word(b)) => return None,
        _ => {}
    }
    // `REGION_ASIAPACIFICNORTHEAST`, `key.AKIA...x`: part of a longer identifier.
    if joined_to_longer_token(data, start, end) {
        return None;
    }
    let value = String::from_utf8_lossy(id).into_owned();
    if keys::is_placeholder_key_id(&value) {
        return None;
    }
    Some(Candidate {
        kind: CandidateKind::KeyId,
        example: keys::is_example(&value),
        value,
        span: start..end,
        encoding: Encoding::Plain,
        name: None,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::aws::decode::base64_encode;

    /// Every occurrence of each literal, by brute force: enough for tests.
    pub(crate) struct Naive(pub(crate) Vec<Vec<u8>>);

    impl LiteralSearch for Naive {
        fn find_all(&self, data: &[u8]) -> Vec<u64> {
            let mut out = Vec::new();
            for (i, lit) in self.0.iter().enumerate() {
                for at in memchr::memmem::find_iter(data, lit) {
                    out.push(found_hit(i, at));
                }
            }
            out
        }
    }

    /// The candidates of `data`, found the way the detector finds them.
    pub(crate) fn scan(data: &[u8], rules: &AwsRules) -> Found {
        let finder = Finder::new(rules);
        let search = Naive(finder.literals().map(<[u8]>::to_vec).collect());
        finder.candidates(data, search.find_all(data), &search, rules)
    }

    fn kinds(data: &str) -> Vec<(CandidateKind, String)> {
        let rules = AwsRules::builtin().unwrap_or_else(|e| panic!("{e}"));
        scan(data.as_bytes(), &rules)
            .candidates
            .into_iter()
            .map(|c| (c.kind, c.value))
            .collect()
    }

    const KEY: &str = "AKIAQWERTYUIOPASDFGH";
    const SECRET: &str = "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";

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
    fn base64_longer_than_a_window_is_read_in_windows() {
        // 1.5 MB of base64 whose text ends with a pair: the window around the key's marker
        // holds the marker, and the next one starts where it ends (before, the window ended
        // at each marker, so the secret after the last one was never decoded, and a value
        // with a marker every few bytes was decoded again at each of them).
        let filler = "lorem ipsum dolor sit amet, consectetur adipiscing elit\n".repeat(20_000);
        let text =
            format!("{filler}[default]\naws_access_key_id={KEY}\naws_secret_access_key={SECRET}\n");
        let got = kinds(&format!("blob: {}\n", base64_encode(text.as_bytes())));
        assert!(got.iter().any(|g| g.1 == KEY), "{got:?}");
        assert!(got.iter().any(|g| g.1 == SECRET), "{got:?}");
        // Markers all along a long value: every key in it, each once (the window boundary
        // falls inside a line's filler).
        const L: &[u8] = b"BCDFGHJKLMNPRSTV";
        let keys: Vec<String> = (0..3000usize)
            .map(|i| {
                let c =
                    |shift: usize| char::from(L.get((i >> shift) & 15).copied().unwrap_or(b'B'));
                format!("AKIAQWERTYUIOP{}{}{}WXZ", c(0), c(4), c(8))
            })
            .collect();
        let text: String = keys
            .iter()
            .map(|k| format!("{filler:.300}id = {k}\n"))
            .collect();
        let got = kinds(&base64_encode(text.as_bytes()));
        assert_eq!(got.len(), keys.len(), "{:?}", got.get(..3));
    }

    #[test]
    fn names_repeated_along_one_run_are_read_once() {
        // `SessionTokenSessionToken...` is one run of value characters with a token name every
        // 12 bytes: each hit used to read the rest of the run, up to 64 KiB (1.5 MB of such
        // names took 19 s). The real values after it are still found.
        let token = format!("IQoJb3JpZ2luX2Vj{}", SECRET.repeat(7).replace('/', "+"));
        let text = format!(
            "{}{} ,\"SessionToken\": \"{token}\", \"SecretAccessKey\": \"{SECRET}\"\n",
            "SessionToken".repeat(20_000),
            "SecretAccessKey".repeat(20_000),
        );
        let got = kinds(&text);
        assert_eq!(
            got,
            [
                (CandidateKind::Token, token.clone()),
                (CandidateKind::Secret, SECRET.to_string())
            ]
        );
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
        let b64 = base64_encode(
            format!("[default]\naws_access_key_id={KEY}\naws_secret_access_key={SECRET}\n")
                .as_bytes(),
        );
        let got = kinds(&format!("data:\n  credentials: {b64}\n"));
        assert!(got.iter().any(|g| g.1 == SECRET), "{got:?}");
        assert!(got.iter().any(|g| g.1 == KEY), "{got:?}");
        let b64s = base64_encode(SECRET.as_bytes());
        let got = kinds(&format!("  AWS_SECRET_ACCESS_KEY: {b64s}\n"));
        assert!(got.iter().any(|g| g.1 == SECRET), "{got:?}");
    }
}
