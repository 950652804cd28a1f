//! What a pattern proves about its matches. Keywords are documented as case-insensitive, but
//! searching them case-insensitively costs a lowercased copy of every blob and a prefilter that
//! cannot tell `ghp_` from `GHP_`. When every match of a rule's pattern necessarily contains a
//! keyword spelled exactly as written, searching the exact spelling finds every blob in which
//! the rule can report anything, so the prefilter may search it case-sensitively.

use crate::rule::file::RuleSpec;

pub(crate) use super::shape::{hir_contains_any, parse};

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
