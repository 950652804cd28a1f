//! What a pattern proves about its matches. Keywords are documented as case-insensitive, but
//! searching them case-insensitively costs a lowercased copy of every blob and a prefilter that
//! cannot tell `ghp_` from `GHP_`. When every match of a rule's pattern necessarily contains a
//! keyword spelled exactly as written, searching the exact spelling finds every blob in which
//! the rule can report anything, so the prefilter may search it case-sensitively.

use regex_syntax::hir::{Class, Hir, HirKind};

use crate::rule::file::RuleSpec;

/// Whether the prefilter may search `spec`'s keywords as written, on the blob itself: when the
/// rule says so, or when every match of the pattern contains one of them as written (then a
/// blob without that spelling cannot give a finding; see `literal`).
pub(crate) fn exact_keywords(spec: &RuleSpec) -> bool {
    spec.case_sensitive_keywords || {
        let needles: Vec<&[u8]> = spec.keywords.iter().map(|k| k.as_bytes()).collect();
        always_contains_any(&spec.pattern, &needles)
    }
}

/// `exact_keywords`, with the pattern already parsed.
pub(crate) fn exact_keywords_in(spec: &RuleSpec, hir: &regex_syntax::hir::Hir) -> bool {
    spec.case_sensitive_keywords || {
        let needles: Vec<&[u8]> = spec.keywords.iter().map(|k| k.as_bytes()).collect();
        hir_contains_any(hir, &needles)
    }
}

/// Whether `text` holds one of `spec`'s keywords, as the prefilter would see it.
pub(crate) fn keyword_in(spec: &RuleSpec, text: &str) -> bool {
    if exact_keywords(spec) {
        spec.keywords.iter().any(|k| text.contains(k.as_str()))
    } else {
        let lower = text.to_ascii_lowercase();
        spec.keywords
            .iter()
            .any(|k| lower.contains(&k.to_ascii_lowercase()))
    }
}

/// Whether every match of `pattern` contains `needle` byte for byte. Conservative: `false`
/// when the pattern cannot be parsed or when the proof is beyond this analysis.
#[cfg(test)]
fn always_contains(pattern: &str, needle: &[u8]) -> bool {
    always_contains_any(pattern, &[needle])
}

/// Whether every match of `pattern` contains at least one of `needles` byte for byte
/// (`(?:mysql|mariadb)://` holds `mysql` or `mariadb`). Conservative, like `always_contains`.
pub(crate) fn always_contains_any(pattern: &str, needles: &[&[u8]]) -> bool {
    if needles.is_empty() {
        return false;
    }
    if needles.iter().any(|n| n.is_empty()) {
        return true;
    }
    match parse(pattern) {
        Some(hir) => hir_contains_any(&hir, needles),
        None => false,
    }
}

/// A pattern parsed as the rule runs it: in ASCII mode where the pattern allows it, else in
/// Unicode mode (see `CompiledRule::regex`); `None` when it does not parse.
pub(crate) fn parse(pattern: &str) -> Option<Hir> {
    let parse = |unicode: bool| {
        regex_syntax::ParserBuilder::new()
            .utf8(false)
            .unicode(unicode)
            .build()
            .parse(pattern)
            .ok()
    };
    parse(false).or_else(|| parse(true))
}

/// `always_contains_any` for a parsed pattern. Literal bytes are the same whether the pattern
/// was parsed in Unicode or ASCII mode, and only literals prove anything here, so either parse
/// will do.
pub(crate) fn hir_contains_any(hir: &Hir, needles: &[&[u8]]) -> bool {
    if needles.is_empty() {
        return false;
    }
    needles.iter().any(|n| n.is_empty()) || must_contain(hir, needles)
}

fn must_contain(hir: &Hir, needle: &[&[u8]]) -> bool {
    if let Some(set) = strings(hir) {
        return all_contain(&set, needle);
    }
    match hir.kind() {
        HirKind::Capture(c) => must_contain(&c.sub, needle),
        HirKind::Repetition(r) => r.min >= 1 && must_contain(&r.sub, needle),
        HirKind::Alternation(alts) => alts.iter().all(|a| must_contain(a, needle)),
        HirKind::Concat(parts) => {
            // Adjacent parts that each match one of a few fixed strings form runs of known
            // bytes (every combination of them); zero-width assertions (`\b`, `^`) between
            // them keep the runs together. The parser factors `abc|abd` into `ab(?:c|d)`, so
            // a keyword can be split across parts.
            let mut runs: Vec<Vec<u8>> = vec![Vec::new()];
            for part in parts {
                if matches!(part.kind(), HirKind::Look(_)) {
                    continue;
                }
                if let Some(set) = strings(part) {
                    if let Some(joined) = join(&runs, &set) {
                        runs = joined;
                        continue;
                    }
                }
                if all_contain(&runs, needle) || must_contain(part, needle) {
                    return true;
                }
                runs = match strings(part) {
                    // Too many combinations: start again from this part's strings.
                    Some(set) => set,
                    None => vec![Vec::new()],
                };
            }
            all_contain(&runs, needle)
        }
        _ => false,
    }
}

/// At most this many strings are tracked for one part of a pattern.
const MAX_STRINGS: usize = 256;

/// Every string of `left` followed by every string of `right`, unless there are too many.
fn join(left: &[Vec<u8>], right: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
    if left.len().checked_mul(right.len())? > MAX_STRINGS {
        return None;
    }
    Some(
        left.iter()
            .flat_map(|l| {
                right.iter().map(move |r| {
                    let mut s = l.clone();
                    s.extend_from_slice(r);
                    s
                })
            })
            .collect(),
    )
}

fn all_contain(hays: &[Vec<u8>], needles: &[&[u8]]) -> bool {
    !hays.is_empty() && hays.iter().all(|h| contains(h, needles))
}

/// The few strings `hir` matches, if it matches a finite set of at most `MAX_STRINGS`
/// strings, each at most 1 KiB (`(?:polygon|Polygon)`, `[Pp]assword`, `x{3}`).
fn strings(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    match hir.kind() {
        HirKind::Empty => Some(vec![Vec::new()]),
        HirKind::Literal(l) => Some(vec![l.0.to_vec()]),
        HirKind::Class(Class::Bytes(c)) => {
            let count: usize = c
                .ranges()
                .iter()
                .map(|r| usize::from(r.end() - r.start()) + 1)
                .sum();
            (count <= 16).then(|| {
                c.ranges()
                    .iter()
                    .flat_map(|r| (r.start()..=r.end()).map(|b| vec![b]))
                    .collect()
            })
        }
        HirKind::Class(Class::Unicode(c)) => {
            let count: usize = c
                .ranges()
                .iter()
                .map(|r| (r.end() as usize).saturating_sub(r.start() as usize) + 1)
                .sum();
            (count <= 16).then(|| {
                c.ranges()
                    .iter()
                    .flat_map(|r| r.start()..=r.end())
                    .map(|ch| {
                        let mut buf = [0u8; 4];
                        ch.encode_utf8(&mut buf).as_bytes().to_vec()
                    })
                    .collect()
            })
        }
        HirKind::Capture(c) => strings(&c.sub),
        HirKind::Repetition(r) if r.max == Some(r.min) => {
            let one = strings(&r.sub)?;
            let n = usize::try_from(r.min).ok().filter(|&n| n <= 1024)?;
            let mut out = vec![Vec::new()];
            for _ in 0..n {
                out = join(&out, &one)?;
                if out.iter().any(|s| s.len() > 1024) {
                    return None;
                }
            }
            Some(out)
        }
        HirKind::Alternation(alts) => {
            let mut out = Vec::new();
            for a in alts {
                out.extend(strings(a)?);
                if out.len() > MAX_STRINGS {
                    return None;
                }
            }
            Some(out)
        }
        HirKind::Concat(parts) => {
            let mut out = vec![Vec::new()];
            for p in parts {
                if matches!(p.kind(), HirKind::Look(_)) {
                    // A zero-width assertion matches no bytes; the strings are still fixed.
                    continue;
                }
                out = join(&out, &strings(p)?)?;
            }
            Some(out)
        }
        HirKind::Look(_) => Some(vec![Vec::new()]),
        _ => None,
    }
}

fn contains(hay: &[u8], needles: &[&[u8]]) -> bool {
    needles
        .iter()
        .any(|n| hay.len() >= n.len() && hay.windows(n.len()).any(|w| w == *n))
}

#[cfg(test)]
mod tests {
    use super::{always_contains, always_contains_any, exact_keywords};

    /// Every built-in keyword is searched in its written spelling: a keyword that needs the
    /// lowercased copy of every blob would make the default scan pay for it.
    #[test]
    fn builtin_keywords_are_exact() {
        let specs = crate::rule::builtin::specs().unwrap_or_else(|e| panic!("{e}"));
        let folded: Vec<String> = specs
            .iter()
            .filter(|(_, s)| !exact_keywords(s))
            .map(|(_, s)| format!("{}: {:?}", s.id, s.keywords))
            .collect();
        assert!(folded.is_empty(), "keywords not proven exact: {folded:#?}");
    }

    #[test]
    fn literal_prefixes_and_inner_literals() {
        assert!(always_contains(r"\b(ghp_[A-Za-z0-9]{36})\b", b"ghp_"));
        assert!(always_contains(r"\b(ghp_[A-Za-z0-9]{36})\b", b"hp_"));
        assert!(!always_contains(r"\b(ghp_[A-Za-z0-9]{36})\b", b"GHP_"));
        assert!(always_contains(r"sk-[a-z]{4}T3BlbkFJ[a-z]{4}", b"T3BlbkFJ"));
        assert!(always_contains(
            r"(?:https?)://hooks\.slack\.com/x",
            b"hooks.slack.com/"
        ));
        // Every branch holds it.
        assert!(always_contains(r"(?:postgres|postgresql)://", b"postgres"));
        assert!(always_contains(r"(?:xoxb|xoxp)-[0-9]+", b"xox"));
        assert!(!always_contains(r"(?:xoxb|abcd)-[0-9]+", b"xox"));
        // Optional parts prove nothing.
        assert!(!always_contains(r"(?:ghp_)?[A-Z]{4}", b"ghp_"));
        assert!(always_contains(r"(?:ghp_){1,3}[A-Z]{4}", b"ghp_"));
        // Case-insensitive text is not an exact spelling.
        assert!(!always_contains(r"(?i)twilio[a-z]{4}", b"twilio"));
        assert!(!always_contains(r"(?i:Account)Key=", b"AccountKey"));
        assert!(always_contains(r"(?i:Account)Key=", b"Key="));
        // A run spans zero-width assertions.
        assert!(always_contains(r"foo\b:bar", b"o:b"));
        assert!(always_contains(
            r"-----BEGIN RSA PRIVATE KEY-----",
            b"BEGIN RSA"
        ));
        assert!(!always_contains(r"[unclosed", b"x"));
        // One of several keywords.
        let db = r"\b(?:mysql|mariadb)(?:x)?://[a-z]+:([a-z]+)@";
        assert!(!always_contains(db, b"mysql"));
        assert!(always_contains_any(db, &[b"mysql", b"mariadb"]));
        assert!(!always_contains_any(db, &[b"mysql", b"MARIADB"]));
    }

    /// The parser factors alternatives (`polygon|Polygon|POLYGON` becomes `p(?:olygon)|P(?:…)`):
    /// a keyword split across parts is still proven, and small classes count as their bytes.
    #[test]
    fn factored_alternatives_and_small_classes() {
        let spellings: [&[u8]; 3] = [b"polygon", b"Polygon", b"POLYGON"];
        let p = r"(?:(?:\b|_)(?:polygon|Polygon|POLYGON)|[a-z0-9](?:Polygon|POLYGON))[\w.-]{0,24}?(?i:key)=([a-z]{8})";
        assert!(always_contains_any(p, &spellings));
        assert!(!always_contains_any(p, &spellings[..2]));
        assert!(!always_contains(
            r"snow(?:[Pp]assword|PASSWORD)",
            b"assword"
        ));
        assert!(always_contains_any(
            r"x(?:[Pp]assword|PASSWORD)=",
            &[b"password", b"Password", b"PASSWORD"]
        ));
        assert!(always_contains(r"(?:ab|ac)(?:cd|ce)", b"a"));
        assert!(!always_contains(r"(?:ab|cd)x", b"ab"));
        assert!(always_contains(r"(?:ab){2}", b"abab"));
        // Long exact repetitions are not spelled out (the proof stays conservative).
        assert!(!always_contains(r"(?:z){5000}", b"zzz"));
        assert!(always_contains(r"ab(?:z){5000}", b"ab"));
    }
}
