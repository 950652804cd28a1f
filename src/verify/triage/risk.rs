//! The judgement part of triage: who an ARN names, the fixed list of high-impact actions
//! whose effective access is reported, the risk level with its reason, and a key's age.

use crate::triage::{Access, AccessMethod, Principal, PrincipalKind, Risk};

/// The principal an ARN names.
pub(crate) fn principal(arn: &str) -> Principal {
    Principal::from_arn(arn)
}

/// Actions whose access makes a leaked key dangerous: IAM writes that escalate privilege,
/// assuming roles, reading and writing any S3 object, decrypting, reading secrets and
/// parameters, starting instances, replacing function code, and changing the organization.
pub const HIGH_IMPACT: &[&str] = &[
    "iam:CreateUser",
    "iam:CreateAccessKey",
    "iam:AttachUserPolicy",
    "iam:PutUserPolicy",
    "iam:AttachRolePolicy",
    "iam:CreatePolicyVersion",
    "iam:UpdateAssumeRolePolicy",
    "iam:PassRole",
    "sts:AssumeRole",
    "s3:GetObject",
    "s3:PutObject",
    "kms:Decrypt",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "ec2:RunInstances",
    "lambda:UpdateFunctionCode",
    "organizations:CreateAccount",
];

/// The ARN of AWS's managed administrator policy, in any partition.
pub(crate) fn is_administrator_access(arn: &str) -> bool {
    arn.split(':').nth(4) == Some("aws")
        && arn.ends_with(":policy/AdministratorAccess")
        && arn.starts_with("arn:")
}

/// What was learned about administrator grants: where one is, and whether anything
/// restricts it.
#[derive(Debug, Default)]
pub(crate) struct AdminGrant {
    /// `AdministratorAccess attached to the user`, `policy P allows * on *`.
    pub found: Option<String>,
}

/// The risk level and its reason.
pub(crate) fn assess(principal: &Principal, admin: &AdminGrant, access: &Access) -> (Risk, String) {
    if principal.kind == PrincipalKind::Root {
        return (
            Risk::Admin,
            "the account's root user: its key can do anything, no IAM policy limits it, and \
             root access keys should not exist"
                .to_string(),
        );
    }
    let restricted = access.denied.len() + access.conditional.len() + access.scoped.len();
    if let Some(grant) = &admin.found {
        if restricted == 0 {
            return (Risk::Admin, grant.clone());
        }
    }
    if !access.allowed.is_empty() {
        let mut reason = format!("allows {}", list(&access.allowed));
        if let Some(grant) = &admin.found {
            reason.push_str(&format!(" ({grant}, but not everything is allowed)"));
        }
        return (Risk::High, reason);
    }
    if access.method == AccessMethod::None {
        let why = match principal.kind {
            PrincipalKind::FederatedUser => {
                "a federated user's permissions are its session policy within those of the \
                 IAM user that created it, which IAM cannot list"
            }
            _ => "neither the policies nor a simulation could be read with this key",
        };
        return (Risk::Unknown, format!("nothing could be read: {why}"));
    }
    if !access.unknown.is_empty() {
        return (
            Risk::Unknown,
            format!(
                "only part of the policies could be read; what was read allows no high-impact \
                 action on every resource ({} undecided)",
                access.unknown.len()
            ),
        );
    }
    let mut reason = "no high-impact action is allowed on every resource".to_string();
    if !access.scoped.is_empty() {
        reason.push_str(&format!(
            "; on some resources only: {}",
            list(&access.scoped)
        ));
    }
    if !access.conditional.is_empty() {
        reason.push_str(&format!(
            "; under conditions: {}",
            list(&access.conditional)
        ));
    }
    (Risk::Limited, reason)
}

/// `a, b, c and 4 more`.
fn list(items: &[String]) -> String {
    const SHOWN: usize = 4;
    let mut s = items
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > SHOWN {
        s.push_str(&format!(" and {} more", items.len() - SHOWN));
    }
    s
}

/// Whole days from an ISO 8601 instant (`2026-01-02T03:04:05Z`, fractions and offsets
/// allowed; only the date counts) to `now` (Unix seconds); `None` when it does not parse or
/// lies in the future.
pub(crate) fn age_days(created: &str, now_secs: u64) -> Option<u64> {
    let date = created.get(..10)?;
    let mut parts = date.split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let then = days_from_civil(y, m, d);
    let now = i64::try_from(now_secs / 86_400).ok()?;
    u64::try_from(now - then).ok()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn access(allowed: &[&str], denied: &[&str], method: AccessMethod) -> Access {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect();
        Access {
            method,
            allowed: v(allowed),
            denied: v(denied),
            conditional: Vec::new(),
            scoped: Vec::new(),
            unknown: Vec::new(),
        }
    }

    #[test]
    fn principals_from_arns() {
        let p = principal("arn:aws:iam::123456789012:user/dev/ops/alice");
        assert_eq!((p.kind, p.name.as_str()), (PrincipalKind::User, "alice"));
        let p = principal("arn:aws:iam::123456789012:root");
        assert_eq!(p.kind, PrincipalKind::Root);
        let p = principal("arn:aws:sts::123456789012:assumed-role/deploy/ci-run-7");
        assert_eq!(p.kind, PrincipalKind::AssumedRole);
        assert_eq!(
            (p.name.as_str(), p.session.as_deref()),
            ("deploy", Some("ci-run-7"))
        );
        let p = principal("arn:aws-cn:sts::123456789012:federated-user/bob");
        assert_eq!(
            (p.kind, p.name.as_str()),
            (PrincipalKind::FederatedUser, "bob")
        );
        assert_eq!(
            principal("arn:aws:iam::1:weird/x").kind,
            PrincipalKind::Other
        );
        assert_eq!(principal("garbage").kind, PrincipalKind::Other);
    }

    #[test]
    fn risk_levels() {
        let root = principal("arn:aws:iam::123456789012:root");
        let user = principal("arn:aws:iam::123456789012:user/a");
        let none = access(&[], &[], AccessMethod::None);
        assert_eq!(assess(&root, &AdminGrant::default(), &none).0, Risk::Admin);
        let all: Vec<&str> = HIGH_IMPACT.to_vec();
        let admin = AdminGrant {
            found: Some("AdministratorAccess is attached to the user".into()),
        };
        let every = access(&all, &[], AccessMethod::PolicyDocuments);
        let (r, why) = assess(&user, &admin, &every);
        assert_eq!(
            (r, why.as_str()),
            (Risk::Admin, "AdministratorAccess is attached to the user")
        );
        // An admin grant with an explicit Deny beside it is high, not admin.
        let denied = access(&all[1..], &all[..1], AccessMethod::PolicyDocuments);
        let (r, why) = assess(&user, &admin, &denied);
        assert_eq!(r, Risk::High);
        assert!(why.contains("and 12 more"), "{why}");
        let some = access(&["kms:Decrypt"], &all[1..], AccessMethod::Simulation);
        assert_eq!(
            assess(&user, &AdminGrant::default(), &some),
            (Risk::High, "allows kms:Decrypt".into())
        );
        let nothing = access(&[], &all, AccessMethod::PolicyDocuments);
        assert_eq!(
            assess(&user, &AdminGrant::default(), &nothing).0,
            Risk::Limited
        );
        let (r, why) = assess(&user, &AdminGrant::default(), &none);
        assert_eq!(r, Risk::Unknown);
        assert!(why.starts_with("nothing could be read"), "{why}");
        let mut partial = nothing.clone();
        partial.unknown = vec!["kms:Decrypt".into()];
        assert_eq!(
            assess(&user, &AdminGrant::default(), &partial).0,
            Risk::Unknown
        );
    }

    #[test]
    fn ages() {
        // 2026-12-06T00:00:00Z
        let now = 1_796_515_200;
        assert_eq!(age_days("2026-12-06T00:00:00Z", now), Some(0));
        assert_eq!(age_days("2026-12-05T23:59:59Z", now), Some(1));
        assert_eq!(age_days("2025-12-06T10:00:00.123Z", now), Some(365));
        assert_eq!(age_days("2024-02-29T00:00:00+00:00", now), Some(1011));
        assert_eq!(age_days("2027-01-01T00:00:00Z", now), None);
        assert_eq!(age_days("yesterday", now), None);
        assert!(is_administrator_access(
            "arn:aws:iam::aws:policy/AdministratorAccess"
        ));
        assert!(!is_administrator_access(
            "arn:aws:iam::123456789012:policy/AdministratorAccess"
        ));
    }
}
