//! What `--aws-triage` learned about a live AWS key, as data for the reports: who the key
//! belongs to (an IAM user, an assumed role, a federated user or the account's root), the key's
//! status, age and last use, the account alias, the policies that apply, the effective access
//! to a fixed list of high-impact actions, and a risk level with its reason. Each part is
//! optional: a call the key may not make leaves its part empty and is named in
//! `not_permitted`, one that failed otherwise is named in `failed`. All text comes from the
//! network and is sanitised of control characters before it gets here. This module depends on
//! nothing above it.

/// What kind of principal a key belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    User,
    /// The account's root user: its keys can do anything and should not exist.
    Root,
    AssumedRole,
    FederatedUser,
    /// An ARN keyhound does not recognise.
    Other,
}

impl PrincipalKind {
    /// Name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::User => "user",
            PrincipalKind::Root => "root",
            PrincipalKind::AssumedRole => "assumed_role",
            PrincipalKind::FederatedUser => "federated_user",
            PrincipalKind::Other => "other",
        }
    }
}

/// The principal, from the ARN that STS returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub kind: PrincipalKind,
    /// User name, role name or federated user name (`root` for root).
    pub name: String,
    /// The session name of an assumed role.
    pub session: Option<String>,
}

impl Principal {
    /// The principal an ARN from `GetCallerIdentity` names.
    pub fn from_arn(arn: &str) -> Principal {
        let resource = arn.splitn(6, ':').nth(5).unwrap_or_default();
        let parts: Vec<&str> = resource.split('/').collect();
        let (kind, name, session) = match parts.as_slice() {
            ["root"] => (PrincipalKind::Root, "root".to_string(), None),
            ["user", .., name] => (PrincipalKind::User, (*name).to_string(), None),
            ["assumed-role", role, session @ ..] if !session.is_empty() => (
                PrincipalKind::AssumedRole,
                (*role).to_string(),
                Some(session.join("/")),
            ),
            ["federated-user", name] => (PrincipalKind::FederatedUser, (*name).to_string(), None),
            _ => (PrincipalKind::Other, resource.to_string(), None),
        };
        Principal {
            kind,
            name,
            session,
        }
    }
}

/// The key's own metadata (`ListAccessKeys`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// `Active` or `Inactive`.
    pub status: String,
    /// ISO 8601, as IAM gave it.
    pub created: String,
    /// Whole days from `created` to the triage.
    pub age_days: Option<u64>,
}

/// `GetAccessKeyLastUsed`; `date` is `None` for a key never used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastUsed {
    pub date: Option<String>,
    pub service: Option<String>,
    pub region: Option<String>,
}

/// A policy that applies to the principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyInfo {
    pub name: String,
    /// Managed policies only.
    pub arn: Option<String>,
    /// `managed` or `inline`.
    pub kind: &'static str,
    /// `user`, `group NAME` or `role NAME`.
    pub via: String,
    /// Whether its document could be read.
    pub document_read: bool,
}

/// How the effective access was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessMethod {
    /// `iam:SimulatePrincipalPolicy` answered.
    Simulation,
    /// Evaluated here from the policy documents that could be read.
    PolicyDocuments,
    /// Neither was possible.
    None,
}

impl AccessMethod {
    /// Name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessMethod::Simulation => "simulation",
            AccessMethod::PolicyDocuments => "policy_documents",
            AccessMethod::None => "none",
        }
    }
}

/// The high-impact actions sorted by what the policies say of them on all resources (`*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub method: AccessMethod,
    /// Allowed on every resource, with no condition.
    pub allowed: Vec<String>,
    /// Denied explicitly, or allowed by nothing.
    pub denied: Vec<String>,
    /// Allowed only under a condition, a permission boundary or a conditional Deny: not
    /// guessed either way.
    pub conditional: Vec<String>,
    /// Allowed on some resources only.
    pub scoped: Vec<String>,
    /// Not decided: the policies that would decide could not all be read.
    pub unknown: Vec<String>,
}

/// How much a key can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Risk {
    /// Root, `AdministratorAccess` or an `Allow` of `*` on `*`.
    Admin,
    /// At least one high-impact action allowed.
    High,
    /// Its permissions were read, and no high-impact action is allowed on everything.
    Limited,
    /// Too little could be read to say.
    Unknown,
}

impl Risk {
    /// Name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Risk::Admin => "admin",
            Risk::High => "high",
            Risk::Limited => "limited",
            Risk::Unknown => "unknown",
        }
    }
}

/// Everything triage found out about one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Triage {
    pub principal: Principal,
    pub key: Option<KeyInfo>,
    pub last_used: Option<LastUsed>,
    /// `Some(None)`: the account has no alias.
    pub account_alias: Option<Option<String>>,
    /// The user's groups (users only; `None` when they could not be listed).
    pub groups: Option<Vec<String>>,
    pub policies: Vec<PolicyInfo>,
    /// A permission boundary's ARN, when the principal has one.
    pub permission_boundary: Option<String>,
    pub access: Access,
    pub risk: Risk,
    pub reason: String,
    /// Calls the key was not permitted to make (`iam:ListAccountAliases`).
    pub not_permitted: Vec<String>,
    /// Calls that failed otherwise, with the reason.
    pub failed: Vec<String>,
}
