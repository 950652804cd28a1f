//! keyhound's own reports, recognised by how they start, so that a scan does not report the
//! key IDs (and, with `--show-secrets`, the secrets) of an earlier report lying in the tree: a
//! JSON document whose `tool` is keyhound with a `version`, a SARIF log whose first run's
//! `tool.driver.name` is keyhound, a JSONL line with keyhound's finding shape. Only the first
//! few kilobytes are read, whitespace between tokens aside (pretty-printed, compact or
//! re-indented by `jq`); keys must come in the order keyhound writes them, so a file that only
//! mentions keyhound somewhere is scanned as usual.

/// How much of the start of a file is looked at.
const HEAD: usize = 4096;
/// The length of the first key of every shape, with its opening brace, compacted.
const FIRST_KEY: usize = 11;

/// Whether `data` is a JSON, JSONL or SARIF report written by keyhound.
pub(crate) fn is_keyhound_report(data: &[u8]) -> bool {
    // Nearly every file fails here, at its first non-blank byte.
    if data.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return false;
    }
    let head = data.get(..HEAD.min(data.len())).unwrap_or_default();
    // Every shape starts with one of these keys: most JSON files fail here, before the whole
    // head is compacted.
    let start = compact(head, FIRST_KEY);
    if ![&b"{\"version\":"[..], b"{\"$schema\":", b"{\"rule_id\":"]
        .iter()
        .any(|key| start.starts_with(key))
    {
        return false;
    }
    let head = compact(head, HEAD);
    [json_document, sarif_log, jsonl_finding]
        .iter()
        .any(|shape| shape(&mut Cursor(&head)).is_some())
}

/// `{"version":1,"tool":{"name":"keyhound","version":"`
fn json_document(c: &mut Cursor<'_>) -> Option<()> {
    c.lit("{\"version\":")?;
    c.number()?;
    c.lit(",\"tool\":{\"name\":\"keyhound\",\"version\":\"")
}

/// `{"$schema":"...","version":"2.1.0","runs":[{"tool":{"driver":{"name":"keyhound"`
fn sarif_log(c: &mut Cursor<'_>) -> Option<()> {
    c.lit("{")?;
    if c.lit("\"$schema\":").is_some() {
        c.string()?;
        c.lit(",")?;
    }
    c.lit("\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"keyhound\"")
}

/// `{"rule_id":"...","rule_name":"...","severity":"...","fingerprint":"<32 hex digits>"`
fn jsonl_finding(c: &mut Cursor<'_>) -> Option<()> {
    c.lit("{\"rule_id\":")?;
    c.string()?;
    c.lit(",\"rule_name\":")?;
    c.string()?;
    c.lit(",\"severity\":")?;
    let severity = c.string()?;
    if !matches!(severity, b"critical" | b"high" | b"medium" | b"low") {
        return None;
    }
    c.lit(",\"fingerprint\":")?;
    let fp = c.string()?;
    (fp.len() == 32 && fp.iter().all(u8::is_ascii_hexdigit)).then_some(())
}

/// The bytes without JSON whitespace outside strings, at most `limit` of them.
fn compact(data: &[u8], limit: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len().min(limit));
    let (mut in_string, mut escaped) = (false, false);
    for &b in data {
        if out.len() >= limit {
            break;
        }
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if b == b'"' {
            in_string = true;
        } else if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            continue;
        }
        out.push(b);
    }
    out
}

/// A position in compacted JSON.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn lit(&mut self, s: &str) -> Option<()> {
        self.0 = self.0.strip_prefix(s.as_bytes())?;
        Some(())
    }

    /// A string; its raw content (escapes left as written).
    fn string(&mut self) -> Option<&'a [u8]> {
        let rest = self.0.strip_prefix(b"\"")?;
        let mut escaped = false;
        for (i, &b) in rest.iter().enumerate() {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => {
                    self.0 = rest.get(i + 1..)?;
                    return rest.get(..i);
                }
                _ => {}
            }
        }
        None
    }

    fn number(&mut self) -> Option<()> {
        let n = self.0.iter().take_while(|b| b.is_ascii_digit()).count();
        (n > 0).then(|| self.0 = self.0.get(n..).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyhound_reports_are_recognised() {
        let json = "{\n  \"version\": 1,\n  \"tool\": {\n    \"name\": \"keyhound\",\n    \"version\": \"0.1.0\"\n  },\n  \"findings\": []\n}\n";
        assert!(is_keyhound_report(json.as_bytes()));
        let compact_json =
            r#"{"version":1,"tool":{"name":"keyhound","version":"9.9"},"findings":[]}"#;
        assert!(is_keyhound_report(compact_json.as_bytes()));
        let sarif = "{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n  \"version\": \"2.1.0\",\n  \"runs\": [\n    {\n      \"tool\": {\n        \"driver\": {\n          \"name\": \"keyhound\",";
        assert!(is_keyhound_report(sarif.as_bytes()));
        let jsonl = "{\"rule_id\":\"aws-access-key-pair\",\"rule_name\":\"AWS \\\"access\\\" key pair\",\"severity\":\"critical\",\"fingerprint\":\"14d97ab999b704bd0dce5431a2ba83b7\",\"path\":\"x\"}\n";
        assert!(is_keyhound_report(jsonl.as_bytes()));
    }

    #[test]
    fn other_json_is_scanned() {
        for other in [
            "",
            "aws_access_key_id = AKIA",
            r#"{"version":1,"tool":{"name":"gitleaks","version":"8"}}"#,
            r#"{"tool":{"name":"keyhound","version":"1"},"version":1}"#,
            r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"trufflehog"}}}]}"#,
            r#"{"rule_id":"x","rule_name":"y","severity":"urgent","fingerprint":"14d97ab999b704bd0dce5431a2ba83b7"}"#,
            r#"{"rule_id":"x","rule_name":"y","severity":"low","fingerprint":"nothex"}"#,
            r#"{"config": {"note": "keyhound"}}"#,
        ] {
            assert!(!is_keyhound_report(other.as_bytes()), "{other}");
        }
    }
}
