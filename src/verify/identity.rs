//! The body of a successful `GetCallerIdentity`, checked before a pair is called live: a
//! well-formed `GetCallerIdentityResponse` (the root element, one `GetCallerIdentityResult`
//! holding one `Account`, one `Arn` and one `UserId`), a 12-digit account that the ARN names
//! too. An HTTP 200 from a proxy, a captive portal or a stub that merely contains an
//! `<Account>` element is not an answer from STS. (Whether the account is the one the key ID
//! encodes is the caller's check: see `aws::classify_success`.)

use super::aws::tag_text;

const ROOT: &str = "GetCallerIdentityResponse";
const RESULT: &str = "GetCallerIdentityResult";

/// Who the credentials belong to, as STS said.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Identity {
    pub account: String,
    pub arn: String,
    pub user_id: String,
}

/// What keeps a body from being a `GetCallerIdentityResponse`.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Problem {
    /// No `<Account>` with 12 digits anywhere: not an identity at all.
    NoAccount,
    /// An account, but not in a well-formed response; says what is wrong.
    Malformed(&'static str),
}

/// Parses and checks a 200 response body.
pub(super) fn parse(body: &str) -> Result<Identity, Problem> {
    let account = tag_text(body, "Account")
        .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
        .ok_or(Problem::NoAccount)?;
    let doc = without_prolog(body);
    let inside = root_content(doc).ok_or(Problem::Malformed(
        "the document is not a GetCallerIdentityResponse",
    ))?;
    let result = only_element(inside, RESULT).ok_or(Problem::Malformed(
        "it does not hold exactly one GetCallerIdentityResult",
    ))?;
    for tag in ["Account", "Arn", "UserId"] {
        if only_element(doc, tag).is_none() || only_element(result, tag).is_none() {
            return Err(Problem::Malformed(
                "its result does not hold exactly one Account, Arn and UserId",
            ));
        }
    }
    let arn = tag_text(result, "Arn").ok_or(Problem::Malformed("its Arn is empty"))?;
    let user_id = tag_text(result, "UserId").ok_or(Problem::Malformed("its UserId is empty"))?;
    // arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE
    let fields: Vec<&str> = arn.splitn(6, ':').collect();
    if fields.len() != 6 || fields.first() != Some(&"arn") {
        return Err(Problem::Malformed("its Arn is not an ARN"));
    }
    if fields.get(4) != Some(&account.as_str()) {
        return Err(Problem::Malformed("its Arn names another account"));
    }
    Ok(Identity {
        account,
        arn,
        user_id,
    })
}

/// The document after an optional `<?xml ...?>` declaration, trimmed.
fn without_prolog(body: &str) -> &str {
    let doc = body.trim();
    match doc.strip_prefix("<?xml") {
        Some(rest) => rest
            .find("?>")
            .map_or(doc, |i| rest.get(i + 2..).unwrap_or_default().trim_start()),
        None => doc,
    }
}

/// What the root `GetCallerIdentityResponse` element holds, when it is the whole document.
fn root_content(doc: &str) -> Option<&str> {
    let rest = doc.strip_prefix('<')?.strip_prefix(ROOT)?;
    // `<GetCallerIdentityResponse>` or `<GetCallerIdentityResponse xmlns="...">`.
    if !rest.starts_with(|c: char| c == '>' || c.is_ascii_whitespace()) {
        return None;
    }
    let start = rest.find('>')? + 1;
    let inner = rest.get(start..)?.strip_suffix(&format!("</{ROOT}>"))?;
    // The root closes once, at the end.
    (!inner.contains(&format!("</{ROOT}>"))).then_some(inner)
}

/// The content of the one `tag` element in `text`: `None` when there is none, or more than one.
fn only_element<'a>(text: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    if text.matches(&open).count() != 1 || text.matches(&close).count() != 1 {
        return None;
    }
    let start = text.find(&open)? + open.len();
    let end = text.find(&close)?;
    text.get(start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    const AWS_OK: &str = "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  <GetCallerIdentityResult>\n    <Arn>arn:aws:iam::123456789012:user/Alice</Arn>\n    <UserId>AIDACKCEVSQ6C2EXAMPLE</UserId>\n    <Account>123456789012</Account>\n  </GetCallerIdentityResult>\n  <ResponseMetadata>\n    <RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId>\n  </ResponseMetadata>\n</GetCallerIdentityResponse>\n";

    #[test]
    fn well_formed_responses_parse() {
        let id = parse(AWS_OK);
        assert_eq!(
            id,
            Ok(Identity {
                account: "123456789012".into(),
                arn: "arn:aws:iam::123456789012:user/Alice".into(),
                user_id: "AIDACKCEVSQ6C2EXAMPLE".into(),
            })
        );
        let with_prolog = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{AWS_OK}");
        assert!(parse(&with_prolog).is_ok());
        let bare_root = AWS_OK.replace(" xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"", "");
        assert!(parse(&bare_root).is_ok());
    }

    #[test]
    fn anything_less_is_not_an_identity() {
        let malformed = |body: &str| matches!(parse(body), Err(Problem::Malformed(_)));
        // Only an Account element.
        assert!(malformed("<Account>123456789012</Account>"));
        assert!(malformed(
            "<html><body><Account>123456789012</Account></body></html>"
        ));
        // The right elements inside another document.
        let wrapped = format!("<Envelope>{AWS_OK}</Envelope>");
        assert!(malformed(&wrapped));
        // Truncated, doubled, or with a second account.
        assert!(malformed(
            AWS_OK.get(..AWS_OK.len() - 30).unwrap_or_default()
        ));
        let two = AWS_OK.replace(
            "<Account>123456789012</Account>",
            "<Account>123456789012</Account><Account>210987654321</Account>",
        );
        assert!(malformed(&two));
        // An ARN of another account, or not an ARN.
        let other = AWS_OK.replace("iam::123456789012:", "iam::210987654321:");
        assert_eq!(
            parse(&other),
            Err(Problem::Malformed("its Arn names another account"))
        );
        assert!(malformed(
            &AWS_OK.replace("arn:aws:iam::123456789012:user/Alice", "Alice")
        ));
        // No identity at all.
        assert_eq!(parse("<Account>12345</Account>"), Err(Problem::NoAccount));
        assert_eq!(parse(""), Err(Problem::NoAccount));
    }
}
