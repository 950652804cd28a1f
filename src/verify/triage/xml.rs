//! Reading IAM's XML answers the way `verify` reads STS's: by searching the text for elements,
//! not by a fixed path (AWS and moto nest and decorate them differently). IAM answers hold
//! lists (`<member>` elements, which nest in `SimulatePrincipalPolicy`), a few scalar fields,
//! and URL-encoded JSON policy documents; nothing here needs a general XML parser.

use super::super::aws::clip;

/// Longest scalar value kept (names, dates, ARNs).
const MAX_FIELD: usize = 300;

/// The contents of every `tag` element directly or indirectly in `text`, outermost first, in
/// order; an element nested in one of the same name is part of its parent's content. A
/// self-closing `<tag/>` is an empty element.
pub(super) fn elements<'a>(text: &'a str, tag: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some((_, after_open, empty)) = find_open(rest, tag) {
        if empty {
            out.push("");
            offset += after_open;
            rest = text.get(offset..).unwrap_or_default();
            continue;
        }
        let body_start = offset + after_open;
        match find_close(text.get(body_start..).unwrap_or_default(), tag) {
            Some((end, after_close)) => {
                out.push(text.get(body_start..body_start + end).unwrap_or_default());
                offset = body_start + after_close;
            }
            // Unclosed: the document is cut short; what it holds is not trusted.
            None => break,
        }
        rest = text.get(offset..).unwrap_or_default();
    }
    out
}

/// The first `tag` element's content.
pub(super) fn element<'a>(text: &'a str, tag: &str) -> Option<&'a str> {
    elements(text, tag).into_iter().next()
}

/// The first `tag` element as text: unescaped, without control characters, trimmed and
/// clipped; `None` when absent or empty.
pub(super) fn field(text: &str, tag: &str) -> Option<String> {
    let raw = element(text, tag)?;
    let clean: String = unescape(raw.trim())
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    let clean = clip(&clean, MAX_FIELD);
    (!clean.is_empty()).then_some(clean)
}

/// The text of every `member` of the first `list` element (`<AccountAliases><member>…`).
pub(super) fn members(text: &str, list: &str) -> Vec<String> {
    element(text, list)
        .map(|l| {
            elements(l, "member")
                .into_iter()
                .map(|m| clip(&clean(&unescape(m.trim())), MAX_FIELD))
                .filter(|m| !m.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// A policy document as IAM returns it (URL-encoded JSON inside XML text), decoded; `None`
/// when absent. Not clipped: the document is evaluated, not shown.
pub(super) fn document(text: &str, tag: &str) -> Option<String> {
    let raw = unescape(element(text, tag)?.trim());
    // IAM URL-encodes the JSON (RFC 3986); a document that is already JSON is taken as is.
    if raw.starts_with('{') {
        Some(raw)
    } else {
        percent_decode(&raw)
    }
}

/// `true` when the answer says more pages follow; the marker to ask for them.
pub(super) fn next_marker(text: &str) -> Option<String> {
    let truncated = field(text, "IsTruncated").is_some_and(|t| t.eq_ignore_ascii_case("true"));
    if truncated {
        element(text, "Marker").map(|m| unescape(m.trim()))
    } else {
        None
    }
}

fn clean(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

/// Where `<tag>` or `<tag attr…>` or `<tag/>` starts, where its opening tag ends, and
/// whether it is self-closing.
fn find_open(text: &str, tag: &str) -> Option<(usize, usize, bool)> {
    let needle = format!("<{tag}");
    let mut from = 0;
    loop {
        let at = from + text.get(from..)?.find(&needle)?;
        let after = at + needle.len();
        let rest = text.get(after..)?;
        let next = rest.chars().next()?;
        if next == '>' || next == '/' || next.is_ascii_whitespace() {
            let close = rest.find('>')?;
            let self_closing = rest.get(..close)?.ends_with('/');
            return Some((at, after + close + 1, self_closing));
        }
        from = after;
    }
}

/// In `text` (just after an opening `tag`), where the matching `</tag>` starts and ends,
/// counting nested elements of the same name.
fn find_close(text: &str, tag: &str) -> Option<(usize, usize)> {
    let close = format!("</{tag}>");
    let mut depth = 0usize;
    let mut pos = 0;
    loop {
        let rest = text.get(pos..)?;
        let c = rest.find(&close)?;
        match find_open(rest, tag) {
            Some((o, after, empty)) if o < c => {
                if !empty {
                    depth += 1;
                }
                pos += after;
            }
            _ => {
                if depth == 0 {
                    return Some((pos + c, pos + c + close.len()));
                }
                depth -= 1;
                pos += c + close.len();
            }
        }
    }
}

/// XML's five named entities and numeric character references.
pub(super) fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(rest.get(..i).unwrap_or_default());
        let after = rest.get(i + 1..).unwrap_or_default();
        let semi = after.find(';').filter(|&n| n <= 10);
        let decoded = semi.and_then(|n| {
            let name = after.get(..n)?;
            let c = match name {
                "lt" => '<',
                "gt" => '>',
                "amp" => '&',
                "quot" => '"',
                "apos" => '\'',
                _ => {
                    let num = name.strip_prefix('#')?;
                    let code = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => num.parse().ok()?,
                    };
                    char::from_u32(code)?
                }
            };
            Some((c, n))
        });
        match decoded {
            Some((c, n)) => {
                out.push(c);
                rest = after.get(n + 1..).unwrap_or_default();
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Decodes `%XX` escapes (RFC 3986, as IAM writes documents: `+` stays `+`); `None` when the
/// result is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = |j: usize| {
            bytes
                .get(j)
                .and_then(|h| char::from(*h).to_digit(16))
                .and_then(|d| u8::try_from(d).ok())
        };
        match (b, hex(i + 1), hex(i + 2)) {
            (b'%', Some(hi), Some(lo)) => {
                out.push(hi * 16 + lo);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn nested_members_stay_with_their_parent() {
        let xml = "<R><EvaluationResults><member><EvalActionName>s3:GetObject</EvalActionName>\
                   <MatchedStatements><member><SourcePolicyId>p</SourcePolicyId></member></MatchedStatements>\
                   <EvalDecision>allowed</EvalDecision></member><member><EvalActionName>kms:Decrypt</EvalActionName>\
                   <MissingContextValues/><EvalDecision>implicitDeny</EvalDecision></member></EvaluationResults></R>";
        let list = element(xml, "EvaluationResults").unwrap();
        let ms = elements(list, "member");
        assert_eq!(ms.len(), 2);
        assert_eq!(field(ms[0], "EvalDecision").as_deref(), Some("allowed"));
        assert_eq!(
            field(ms[1], "EvalActionName").as_deref(),
            Some("kms:Decrypt")
        );
        assert_eq!(element(ms[1], "MissingContextValues"), Some(""));
        assert_eq!(
            members(ms[0], "MatchedStatements"),
            ["<SourcePolicyId>p</SourcePolicyId>"]
        );
    }

    #[test]
    fn fields_lists_and_pages() {
        let xml = "<ListAccountAliasesResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
                   <ListAccountAliasesResult><IsTruncated>true</IsTruncated><Marker>m&amp;1</Marker>\
                   <AccountAliases><member>acme-prod</member><member> a&#x1b;b </member></AccountAliases>\
                   </ListAccountAliasesResult></ListAccountAliasesResponse>";
        assert_eq!(members(xml, "AccountAliases"), ["acme-prod", "ab"]);
        assert_eq!(next_marker(xml).as_deref(), Some("m&1"));
        assert_eq!(next_marker("<IsTruncated>false</IsTruncated>"), None);
        assert_eq!(field(xml, "Missing"), None);
        // Cut short: nothing from the unclosed element.
        assert!(elements("<a>1</a><a>2", "a") == ["1"]);
        assert_eq!(elements("<ab>x</ab>", "a"), Vec::<&str>::new());
    }

    #[test]
    fn documents_are_url_decoded() {
        let xml = "<PolicyDocument>%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D</PolicyDocument>";
        assert_eq!(
            document(xml, "PolicyDocument").as_deref(),
            Some("{\"Version\":\"2012-10-17\",\"Statement\":[]}")
        );
        let plain = "<Document>{&quot;Statement&quot;: []}</Document>";
        assert_eq!(
            document(plain, "Document").as_deref(),
            Some("{\"Statement\": []}")
        );
        assert_eq!(document("<Document>%FF</Document>", "Document"), None);
        assert_eq!(unescape("&lt;&#65;&bogus;&"), "<A&bogus;&");
    }
}
