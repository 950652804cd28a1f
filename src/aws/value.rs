//! Values assigned to a secret or session-token name, in any syntax: `aws_secret_access_key =
//! VALUE`, `"SecretAccessKey": "VALUE"`, `<SecretAccessKey>VALUE`, `secret_key:\n  VALUE`,
//! Kubernetes `name:`/`value:` lists, .NET `key="..." value="..."`, Terraform `default = ...`,
//! and base64-encoded secrets. The name found around the literal says how clearly it is AWS's.

use std::ops::Range;

use super::decode::{
    base64_decode, is_b64, joined_to_longer_token, json_unicode_at, percent_at, read_run,
    run_char_width, Run,
};
use super::keys::{self, NameStrength, Strictness};
use super::nearby::in_wrapped_block;
use super::{Candidate, CandidateKind};
use crate::finding::Encoding;

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
        } else if b == b'%' && matches!(percent_at(data, i), Some(b'=') | Some(b'"') | Some(b':')) {
            i += 3;
        } else if matches!(json_unicode_at(data, i), Some(b'=' | b'"' | b'\'' | b':')) {
            // `\u0022:\u0022` in JSON that an encoder escaped (.NET, HTML-safe encoders).
            i += 6;
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

/// Longest run read after a secret name: a value longer than a base64-encoded secret is no
/// secret, so there is no need to read to the end of it.
const SECRET_RUN: usize = 61;

/// Longest run read after a session token name.
const TOKEN_RUN: usize = 1 << 16;

/// The value assigned to the name around a keyword hit: `aws_secret_access_key = VALUE`,
/// `"SecretAccessKey": "VALUE"`, `<SecretAccessKey>VALUE`, `secret_key:\n  VALUE`, ... Also
/// where the run of value characters read ends (see `candidates::Scan::text`).
pub(crate) fn keyword_value(
    data: &[u8],
    hit: Range<usize>,
    kind: CandidateKind,
) -> (Option<Candidate>, usize) {
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
    let (Some(name), Some(start)) = (data.get(name_start..name_end), value_start(data, name_end))
    else {
        return (None, hit.end);
    };
    if run_char_width(data, start) == 0 {
        return (None, hit.end);
    }
    let longest = match kind {
        CandidateKind::Secret => SECRET_RUN,
        _ => TOKEN_RUN,
    };
    let run = read_run(data, start, true, 8192, longest);
    let read_to = run.end;
    if run.len < keys::SECRET_LEN || joined_to_longer_token(data, run.start, run.end) {
        return (None, read_to);
    }
    let found = match kind {
        CandidateKind::Secret => secret_value(data, run, name),
        CandidateKind::Token => token_value(run),
        CandidateKind::KeyId => None,
    };
    (found, read_to)
}

/// A secret access key in `run`, written as is or base64-encoded.
fn secret_value(data: &[u8], run: Run, name: &[u8]) -> Option<Candidate> {
    let (value, encoding) = if run.len == keys::SECRET_LEN {
        (run.value, run.encoding)
    } else if (52..=60).contains(&run.len) {
        // A base64-encoded secret, as in a Kubernetes Secret's `data:`.
        let decoded = base64_decode(&run.value)?;
        let trimmed = trim_newline(&decoded);
        if trimmed.len() != keys::SECRET_LEN || !trimmed.iter().all(|&b| is_b64(b)) {
            return None;
        }
        (trimmed.to_vec(), Encoding::Base64)
    } else {
        return None;
    };
    let value_text = String::from_utf8_lossy(&value).into_owned();
    let example = keys::is_example(&value_text);
    if !example && !keys::is_secret_shape(&value, Strictness::Keyword) {
        return None;
    }
    if in_wrapped_block(data, run.start, run.end) {
        return None;
    }
    Some(Candidate {
        kind: CandidateKind::Secret,
        value: value_text,
        span: run.start..run.end,
        encoding,
        name: Some(keys::secret_name_strength(name)),
        example,
    })
}

/// A session token in `run`.
fn token_value(run: Run) -> Option<Candidate> {
    if run.len < keys::MIN_TOKEN_LEN
        || run.value.len() < run.len
        || !keys::is_token_shape(&run.value)
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
        kind: CandidateKind::Token,
        example: keys::is_example(&value),
        value,
        span: run.start..run.end,
        encoding: run.encoding,
        name: Some(NameStrength::Aws),
    })
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
