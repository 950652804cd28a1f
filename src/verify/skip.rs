//! What is never sent to AWS, decided with no network: AWS documentation examples, keys of
//! known canary-token accounts (using one sets off its alarm) and of the accounts the user
//! lists, key types STS cannot check, and temporary keys without their session token. What
//! passes becomes a `Job`, normalised (a long-term key is sent without a token).

use std::collections::HashSet;

use super::{Credential, Verdict};
use crate::aws::{keys, AwsRules};
use crate::error::Error;
use crate::finding::Secret;

/// AWS accounts known to belong to canary-token services: using one of their keys sets off an
/// alarm, so they are never sent. The union of trufflehog's `thinkstCanaryList` and
/// `thinkstKnockoffsCanaryList` and kingfisher's `BUILTIN_SKIP_ACCOUNT_IDS` (sorted). Not
/// exhaustive: users add their own with `VerifyConfig::skip_accounts`.
pub const BUILTIN_CANARY_ACCOUNTS: &[&str] = &[
    "044858866125",
    "052310077262",
    "171436882533",
    "251535659677",
    "266735846894",
    "344043088457",
    "351906852752",
    "390477818340",
    "426127672474",
    "427150556519",
    "439872796651",
    "445142720921",
    "465867158099",
    "528757803018",
    "534261010715",
    "538784191382",
    "595918472158",
    "637958123769",
    "693412236332",
    "717712589309",
    "729780141977",
    "730335385048",
    "732624840810",
    "735421457923",
    "819147034852",
    "893192397702",
    "959235150393",
    "982842642351",
    "992382622183",
];

/// A credential that will be sent, normalised (a long-term key carries no token). `Debug`
/// redacts the secret and the token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Job {
    pub(crate) key_id: String,
    pub(crate) secret: Secret,
    pub(crate) token: Option<Secret>,
}

/// Decides without any network whether a credential is sent, and in what form.
pub(crate) fn precheck(
    c: &Credential,
    skip_accounts: &HashSet<String>,
    rules: &AwsRules,
) -> Result<Job, Verdict> {
    let token = c.session_token.as_ref();
    if keys::is_example(&c.key_id)
        || keys::is_example(c.secret.expose())
        || token.is_some_and(|t| keys::is_example(t.expose()))
    {
        return Err(Verdict::skipped("AWS documentation example"));
    }
    if !rules.is_key_id(c.key_id.as_bytes()) {
        return Err(Verdict::skipped("not a well-formed access key ID"));
    }
    if let Some(account) = keys::account_id(&c.key_id) {
        if BUILTIN_CANARY_ACCOUNTS.contains(&account.as_str()) {
            return Err(Verdict::skipped(format!(
                "canary: account {account} belongs to a known canary-token service"
            )));
        }
        if skip_accounts.contains(&account) {
            return Err(Verdict::skipped(format!(
                "canary: account {account} is in the list of accounts to skip"
            )));
        }
    }
    let temporary = rules.is_temporary(&c.key_id);
    let token = match (c.key_id.get(..4), temporary, token) {
        // Temporary keys (`temporary_prefixes` of rules/aws.toml) are signed with their token.
        (_, true, Some(t)) => Some(t.clone()),
        (_, true, None) => {
            return Err(Verdict::skipped("temporary key without session token"));
        }
        // Long-term keys take no session token; a token found near one belongs to something
        // else, and sending it would make AWS reject a live key.
        (Some("AKIA"), false, _) => None,
        _ => return Err(Verdict::skipped("key type cannot be verified")),
    };
    if let Some(t) = &token {
        // It goes into a header: printable ASCII without spaces only.
        if t.expose().is_empty() || !t.expose().bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Verdict::skipped("session token is not well-formed"));
        }
    }
    Ok(Job {
        key_id: c.key_id.clone(),
        secret: c.secret.clone(),
        token,
    })
}

/// Parses a skip-account file (`name` in errors): one 12-digit account ID per line; `#` starts a
/// comment; blank lines are ignored. An error names the first bad line (1-based).
pub(crate) fn parse_skip_accounts_file(name: &str, text: &str) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let value = line.split('#').next().unwrap_or("").trim();
        if value.is_empty() {
            continue;
        }
        if value.len() != 12 || !value.bytes().all(|b| b.is_ascii_digit()) {
            let shown: String = value.chars().take(40).filter(|c| !c.is_control()).collect();
            return Err(Error::Config {
                file: name.to_string(),
                field: String::new(),
                line: Some(n + 1),
                message: format!("expected a 12-digit AWS account ID, found {shown:?}"),
            });
        }
        out.push(value.to_string());
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::finding::Status;
    use crate::verify::tests::{cred, SECRET};

    #[test]
    fn canary_list_is_sorted_unique_and_decodable() {
        let mut sorted = BUILTIN_CANARY_ACCOUNTS.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, BUILTIN_CANARY_ACCOUNTS);
        assert!(BUILTIN_CANARY_ACCOUNTS
            .iter()
            .all(|a| parse_skip_accounts_file("f", a).is_ok()));
        // The canarytokens.org key from trufflehog's tests decodes into the list.
        let acc = keys::account_id("AKIASP2TPHJSQH3FJRUX").unwrap();
        assert!(BUILTIN_CANARY_ACCOUNTS.contains(&acc.as_str()));
    }

    #[test]
    fn skip_file() {
        let text = "# canaries\n\n123456789012\n  210987654321  # ours\n#999\n";
        assert_eq!(
            parse_skip_accounts_file("f", text).unwrap(),
            ["123456789012", "210987654321"]
        );
        let err = parse_skip_accounts_file("f", "123456789012\n\n1234-5678-9012\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("f: line 3:"), "{err}");
        assert!(parse_skip_accounts_file("f", "12345678901\n").is_err());
        assert!(parse_skip_accounts_file("f", "1234567890123").is_err());
        assert_eq!(
            parse_skip_accounts_file("f", "").unwrap(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn prechecks() {
        let none = HashSet::new();
        let rules = AwsRules::builtin().unwrap();
        let skip = |c: Credential, set: &HashSet<String>| precheck(&c, set, &rules).unwrap_err();
        let v = skip(
            cred(
                "AKIAIOSFODNN7EXAMPLE",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                None,
            ),
            &none,
        );
        assert_eq!(
            (v.status, v.reason.as_str()),
            (Status::Skipped, "AWS documentation example")
        );
        let v = skip(cred("AKIASP2TPHJSQH3FJRUX", SECRET, None), &none);
        assert!(
            v.reason.starts_with("canary: account 171436882533"),
            "{}",
            v.reason
        );
        let v = skip(cred("ABIASP2TPHJSQH3FJRUX", SECRET, None), &none);
        assert!(v.reason.starts_with("canary"), "{}", v.reason);
        let v = skip(cred("ABIAQAAAAAAAGMKEM7X5", SECRET, None), &none);
        assert_eq!(v.reason, "key type cannot be verified");
        let v = skip(cred("A3TQAAAAAAAAGMKEM7X5", SECRET, None), &none);
        assert_eq!(v.reason, "key type cannot be verified");
        let v = skip(cred("AIDAQAAAAAAAGMKEM7X5", SECRET, None), &none);
        assert_eq!(v.reason, "not a well-formed access key ID");
        let v = skip(cred("AKIAQAAAAAAAGMKEM7X\r", SECRET, None), &none);
        assert_eq!(v.reason, "not a well-formed access key ID");
        let v = skip(cred("ASIAQAAAAAAAGMKEM7X5", SECRET, None), &none);
        assert_eq!(v.reason, "temporary key without session token");
        let v = skip(
            cred("ASIAQAAAAAAAGMKEM7X5", SECRET, Some("FQoG ZXIv\r\nX: y")),
            &none,
        );
        assert_eq!(v.reason, "session token is not well-formed");
        let mine: HashSet<String> = ["000000000000".to_string()].into();
        let v = skip(
            cred("ASIAQAAAAAAAGMKEM7X5", SECRET, Some("FQoGZXIvYXdz")),
            &mine,
        );
        assert!(
            v.reason.contains("list of accounts to skip"),
            "{}",
            v.reason
        );

        let job = precheck(
            &cred("AKIAQAAAAAAAGMKEM7X5", SECRET, Some("FQoGZXIvYXdz")),
            &none,
            &rules,
        )
        .unwrap();
        assert!(
            job.token.is_none(),
            "a long-term key is sent without a token"
        );
        let job = precheck(
            &cred("ASIAQAAAAAAAGMKEM7X5", SECRET, Some("FQoGZXIvYXdz")),
            &none,
            &rules,
        )
        .unwrap();
        assert_eq!(job.token.unwrap().expose(), "FQoGZXIvYXdz");
    }
}
