//! What to do about a live AWS key, for every report format, with or without `--aws-triage`
//! (it needs no call): deactivate it, then delete it (the exact `aws iam` commands, with the
//! user name when the verdict's ARN or the triage names it), look for its use in CloudTrail,
//! and AWS's documentation on rotating keys. A root key gets the console steps, since root
//! access keys should not exist; temporary credentials get how to revoke the role's sessions.

use crate::finding::{Finding, Status};
use crate::triage::{Principal, PrincipalKind};

/// AWS's documentation on rotating (updating) access keys.
pub(crate) const ROTATE_DOCS: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/id-credentials-access-keys-update.html";
/// AWS's documentation on deleting the root user's access keys.
pub(crate) const ROOT_DOCS: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user_manage_delete-key.html";
/// AWS's documentation on revoking a role's temporary credentials.
pub(crate) const REVOKE_DOCS: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html";

/// The remediation of one live key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Remedy {
    /// The principal's kind (`user`, `root`, `assumed_role`, …).
    pub principal: &'static str,
    /// The steps, in order: commands to run or console steps.
    pub steps: Vec<String>,
    /// Look for what the key did.
    pub cloudtrail: String,
    pub docs: &'static str,
}

/// The remediation of a live AWS key pair; `None` for anything else.
pub(crate) fn remedy(f: &Finding) -> Option<Remedy> {
    let v = f
        .verification
        .as_ref()
        .filter(|v| v.status == Status::Live)?;
    let key = &f.aws.as_ref()?.key_id;
    let principal = match &v.triage {
        Some(t) => t.principal.clone(),
        None => Principal::from_arn(v.arn.as_deref().unwrap_or_default()),
    };
    let region = v
        .triage
        .as_ref()
        .and_then(|t| t.last_used.as_ref())
        .and_then(|l| l.region.clone())
        .filter(|r| is_plain(r))
        .map(|r| format!(" --region {r}"))
        .unwrap_or_default();
    let cloudtrail = format!(
        "aws cloudtrail lookup-events --lookup-attributes \
         AttributeKey=AccessKeyId,AttributeValue={key}{region} (CloudTrail keeps 90 days of \
         events per region; repeat in each region the key may have been used in)"
    );
    let (steps, docs) = match principal.kind {
        PrincipalKind::Root => (
            vec![
                "sign in to the AWS console as the root user of the account".to_string(),
                format!(
                    "open Security credentials, then Access keys: deactivate {key}, then \
                     delete it (root access keys should not exist)"
                ),
                "enable MFA on the root user and change its password if the key may have \
                 been used"
                    .to_string(),
            ],
            ROOT_DOCS,
        ),
        PrincipalKind::AssumedRole => (
            vec![
                format!(
                    "temporary credentials of role {} expire on their own; to cut them off \
                     now, revoke the role's active sessions (IAM console: Roles, {}, Revoke \
                     active sessions)",
                    principal.name, principal.name
                ),
                "find and rotate the long-term credential that assumed the role (CloudTrail \
                 AssumeRole events)"
                    .to_string(),
            ],
            REVOKE_DOCS,
        ),
        PrincipalKind::FederatedUser => (
            vec![format!(
                "temporary credentials of federated user {} last at most 36 hours; deactivate \
                 the access key of the IAM user that called GetFederationToken (CloudTrail \
                 GetFederationToken events) to end them",
                principal.name
            )],
            ROTATE_DOCS,
        ),
        PrincipalKind::User | PrincipalKind::Other => {
            let user = if principal.kind == PrincipalKind::User && is_plain(&principal.name) {
                format!("--user-name {} ", principal.name)
            } else {
                String::new()
            };
            (
                vec![
                    format!(
                        "aws iam update-access-key {user}--access-key-id {key} --status Inactive"
                    ),
                    "replace the key where it is legitimately used (a new key, or better a \
                     role), and check that nothing broke"
                        .to_string(),
                    format!("aws iam delete-access-key {user}--access-key-id {key}"),
                ],
                ROTATE_DOCS,
            )
        }
    };
    Some(Remedy {
        principal: principal.kind.as_str(),
        steps,
        cloudtrail,
        docs,
    })
}

/// The triage and the remediation of a live key as sentences, for reports whose only room is
/// a message (SARIF, GitHub annotations, GitLab's solution); empty for anything else.
pub(crate) fn sentences(f: &Finding) -> String {
    let mut s = String::new();
    if let Some(t) = f.verification.as_ref().and_then(|v| v.triage.as_deref()) {
        s.push_str(&format!(" Risk {}: {}.", t.risk.as_str(), t.reason));
    }
    if let Some(r) = remedy(f) {
        let steps: Vec<String> = r
            .steps
            .iter()
            .enumerate()
            .map(|(i, step)| format!("{}. {step}", i + 1))
            .collect();
        s.push_str(&format!(
            " To shut it off: {}. Look for its use: {}. See {}",
            steps.join("; "),
            r.cloudtrail,
            r.docs
        ));
    }
    s
}

/// Safe to paste into a shell unquoted: IAM names and region names are made of these.
fn is_plain(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::aws::AwsRules;
    use crate::finding::{AwsKey, Secret, Verdict};

    /// A live pair finding whose GetCallerIdentity ARN is `arn`.
    fn live(key: &str, arn: &str) -> Finding {
        let rules = AwsRules::builtin().unwrap();
        let aws = AwsKey {
            key_id: key.to_string(),
            account_id: Some("123456789012".into()),
            key_type: "long-term",
        };
        let mut f = Finding::new(
            rules.pair,
            Some(aws),
            Some(Secret::new("hV3kq9Zp0sLw4Rt7Yx2Bn5Mc8Vd1Fg6Hj0Kl3Qw")),
            None,
            Vec::new(),
        );
        let mut v = Verdict::unknown("x");
        v.status = Status::Live;
        v.arn = Some(arn.to_string());
        f.verification = Some(v);
        f
    }

    const KEY: &str = "AKIARZPUZDIKDIYHSO4Z";

    #[test]
    fn user_keys_get_the_commands_with_the_user_name() {
        let r = remedy(&live(KEY, "arn:aws:iam::123456789012:user/dev/alice")).unwrap();
        assert_eq!(r.principal, "user");
        assert_eq!(
            r.steps[0],
            format!("aws iam update-access-key --user-name alice --access-key-id {KEY} --status Inactive")
        );
        assert_eq!(
            r.steps[2],
            format!("aws iam delete-access-key --user-name alice --access-key-id {KEY}")
        );
        assert!(r.cloudtrail.starts_with(&format!(
            "aws cloudtrail lookup-events --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={KEY} ("
        )));
        assert_eq!(r.docs, ROTATE_DOCS);
        // A name that is not safe to paste into a shell is left out, not quoted wrongly.
        let odd = remedy(&live(KEY, "arn:aws:iam::123456789012:user/a$(id)")).unwrap();
        assert!(odd.steps[0].starts_with("aws iam update-access-key --access-key-id "));
    }

    #[test]
    fn root_sessions_and_dead_keys() {
        let root = remedy(&live(KEY, "arn:aws:iam::123456789012:root")).unwrap();
        assert_eq!((root.principal, root.docs), ("root", ROOT_DOCS));
        assert!(
            root.steps.iter().all(|s| !s.starts_with("aws iam")),
            "{:?}",
            root.steps
        );
        assert!(root.steps[1].contains(KEY));
        let role = remedy(&live(
            "ASIARZPUZDIKDZY3BOML",
            "arn:aws:sts::123456789012:assumed-role/deploy/ci",
        ))
        .unwrap();
        assert_eq!((role.principal, role.docs), ("assumed_role", REVOKE_DOCS));
        assert!(role.steps[0].contains("Revoke active sessions"));
        let fed = remedy(&live(KEY, "arn:aws:sts::123456789012:federated-user/bob")).unwrap();
        assert!(fed.steps[0].contains("GetFederationToken"));
        let mut dead = live(KEY, "arn:aws:iam::123456789012:user/alice");
        if let Some(v) = dead.verification.as_mut() {
            v.status = Status::Invalid;
        }
        assert_eq!(remedy(&dead), None);
        assert_eq!(sentences(&dead), "");
        let s = sentences(&live(KEY, "arn:aws:iam::123456789012:user/alice"));
        assert!(
            s.starts_with(" To shut it off: 1. aws iam update-access-key"),
            "{s}"
        );
    }

    #[test]
    fn shell_safety() {
        assert!(is_plain("alice.smith+ops@corp"));
        assert!(!is_plain("a b"));
        assert!(!is_plain("$(rm -rf ~)"));
        assert!(!is_plain(""));
    }
}
