//! The triage of one key, as a list of independent questions: the key's status and age, its
//! last use, the account alias, the policies of the user (and its groups) or of the role,
//! the managed policy documents, and a simulation of the high-impact actions. A question the
//! key may not ask is recorded as not permitted and the next one is asked; once the endpoint
//! is unreachable no further call is made, for this key or any other.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::calls::{Action, CallError, IamClient};
use super::policy::{self, Decision, Statement};
use super::risk::{self, AdminGrant, HIGH_IMPACT};
use super::xml;
use crate::triage::{Access, AccessMethod, KeyInfo, LastUsed, PolicyInfo, PrincipalKind, Triage};
use crate::verify::skip::Job;

/// Most pages read of one list.
const MAX_PAGES: usize = 20;

/// What the workers share: the client, the managed policy documents already read (by ARN and
/// version: the same document for every key of the account), and whether the endpoint is
/// down.
pub(super) struct Shared {
    pub client: IamClient,
    pub documents: Mutex<HashMap<String, Arc<Vec<Statement>>>>,
    pub down: Mutex<Option<String>>,
}

impl Shared {
    fn down(&self) -> Option<String> {
        self.down.lock().ok().and_then(|d| d.clone())
    }
}

/// The permissions found: the policies, the statements of those whose documents were read,
/// and what could not be read.
#[derive(Default)]
struct Permissions {
    policies: Vec<PolicyInfo>,
    statements: Vec<Statement>,
    /// Every list and document was read.
    complete: bool,
    boundary: Option<String>,
    groups: Option<Vec<String>>,
    admin: AdminGrant,
    /// The role's own ARN (with its path), from `GetRole`.
    role_arn: Option<String>,
}

struct Gather<'a> {
    shared: &'a Shared,
    job: &'a Job,
    not_permitted: Vec<String>,
    failed: Vec<String>,
}

impl Gather<'_> {
    /// One call; `None` (recorded) when it gave no answer.
    fn ask(&mut self, action: Action, params: &[(&str, &str)]) -> Option<String> {
        if self.shared.down().is_some() {
            return None;
        }
        match self.shared.client.call(self.job, action, params) {
            Ok(body) => Some(body),
            Err(CallError::NotPermitted) => {
                let name = action.iam_name();
                if !self.not_permitted.contains(&name) {
                    self.not_permitted.push(name);
                }
                None
            }
            Err(CallError::Failed(why)) => {
                self.failed.push(format!("{}: {why}", action.iam_name()));
                None
            }
            Err(CallError::Unreachable(why)) => {
                self.failed.push(format!("{}: {why}", action.iam_name()));
                if let Ok(mut d) = self.shared.down.lock() {
                    d.get_or_insert(why);
                }
                None
            }
        }
    }

    /// Every page of a list call; `None` unless all pages were read.
    fn ask_all(&mut self, action: Action, params: &[(&str, &str)]) -> Option<Vec<String>> {
        let mut pages = Vec::new();
        let mut marker: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut p: Vec<(&str, &str)> = params.to_vec();
            if let Some(m) = &marker {
                p.push(("Marker", m));
            }
            let body = self.ask(action, &p)?;
            marker = xml::next_marker(&body);
            pages.push(body);
            if marker.is_none() {
                return Some(pages);
            }
        }
        self.failed.push(format!(
            "{}: more than {MAX_PAGES} pages",
            action.iam_name()
        ));
        None
    }

    /// `ListAccessKeys`: this key's status and creation date.
    fn key_info(&mut self, user: Option<&str>, now: u64) -> Option<KeyInfo> {
        let params: Vec<(&str, &str)> = user.map(|u| ("UserName", u)).into_iter().collect();
        let pages = self.ask_all(Action::ListAccessKeys, &params)?;
        pages.iter().find_map(|page| {
            let list = xml::element(page, "AccessKeyMetadata")?;
            xml::elements(list, "member").into_iter().find_map(|m| {
                (xml::field(m, "AccessKeyId")? == self.job.key_id).then(|| {
                    let created = xml::field(m, "CreateDate").unwrap_or_default();
                    KeyInfo {
                        status: xml::field(m, "Status").unwrap_or_default(),
                        age_days: risk::age_days(&created, now),
                        created,
                    }
                })
            })
        })
    }

    /// `GetAccessKeyLastUsed`.
    fn last_used(&mut self) -> Option<LastUsed> {
        let key = self.job.key_id.clone();
        let body = self.ask(Action::GetAccessKeyLastUsed, &[("AccessKeyId", &key)])?;
        Some(last_used_from(&body))
    }

    /// `ListAccountAliases`: `Some(None)` when the account has none.
    fn alias(&mut self) -> Option<Option<String>> {
        let body = self.ask(Action::ListAccountAliases, &[])?;
        Some(xml::members(&body, "AccountAliases").into_iter().next())
    }

    /// The attached (managed) and inline policies of one user, group or role.
    fn policies_of(&mut self, perms: &mut Permissions, kind: Holder, name: &str) {
        let (list_attached, list_inline, get_inline, param) = match kind {
            Holder::User => (
                Action::ListAttachedUserPolicies,
                Action::ListUserPolicies,
                Action::GetUserPolicy,
                "UserName",
            ),
            Holder::Group => (
                Action::ListAttachedGroupPolicies,
                Action::ListGroupPolicies,
                Action::GetGroupPolicy,
                "GroupName",
            ),
            Holder::Role => (
                Action::ListAttachedRolePolicies,
                Action::ListRolePolicies,
                Action::GetRolePolicy,
                "RoleName",
            ),
        };
        let via = match kind {
            Holder::User => "user".to_string(),
            Holder::Group => format!("group {name}"),
            Holder::Role => format!("role {name}"),
        };
        match self.ask_all(list_attached, &[(param, name)]) {
            Some(pages) => {
                for page in &pages {
                    let Some(list) = xml::element(page, "AttachedPolicies") else {
                        continue;
                    };
                    for m in xml::elements(list, "member") {
                        let (Some(pname), Some(arn)) =
                            (xml::field(m, "PolicyName"), xml::field(m, "PolicyArn"))
                        else {
                            continue;
                        };
                        let read = self.managed_document(perms, &arn);
                        if risk::is_administrator_access(&arn) {
                            perms.admin.found.get_or_insert(format!(
                                "AdministratorAccess is attached to the {via}"
                            ));
                        }
                        perms.policies.push(PolicyInfo {
                            name: pname,
                            arn: Some(arn),
                            kind: "managed",
                            via: via.clone(),
                            document_read: read,
                        });
                    }
                }
            }
            None => perms.complete = false,
        }
        let Some(pages) = self.ask_all(list_inline, &[(param, name)]) else {
            perms.complete = false;
            return;
        };
        let names: Vec<String> = pages
            .iter()
            .flat_map(|p| xml::members(p, "PolicyNames"))
            .collect();
        for pname in names {
            let doc = self
                .ask(get_inline, &[(param, name), ("PolicyName", &pname)])
                .and_then(|b| xml::document(&b, "PolicyDocument"));
            let read = self.add_document(perms, doc.as_deref(), &pname);
            perms.policies.push(PolicyInfo {
                name: pname,
                arn: None,
                kind: "inline",
                via: via.clone(),
                document_read: read,
            });
        }
    }

    /// A managed policy's default version (`GetPolicy`, `GetPolicyVersion`), read once per
    /// run; whether its statements are in `perms`.
    fn managed_document(&mut self, perms: &mut Permissions, arn: &str) -> bool {
        let cached = self
            .shared
            .documents
            .lock()
            .ok()
            .and_then(|d| d.get(arn).cloned());
        if let Some(statements) = cached {
            perms.statements.extend(statements.iter().cloned());
            note_admin(perms, &statements, arn);
            return true;
        }
        let version = self
            .ask(Action::GetPolicy, &[("PolicyArn", arn)])
            .and_then(|b| xml::field(&b, "DefaultVersionId"));
        let doc = version.and_then(|v| {
            self.ask(
                Action::GetPolicyVersion,
                &[("PolicyArn", arn), ("VersionId", &v)],
            )
            .and_then(|b| xml::document(&b, "Document"))
        });
        let Some(doc) = doc else {
            perms.complete = false;
            return false;
        };
        match policy::parse(&doc) {
            Ok(statements) => {
                note_admin(perms, &statements, arn);
                perms.statements.extend(statements.iter().cloned());
                if let Ok(mut d) = self.shared.documents.lock() {
                    d.insert(arn.to_string(), Arc::new(statements));
                }
                true
            }
            Err(e) => {
                self.failed.push(format!("policy {arn}: {e}"));
                perms.complete = false;
                false
            }
        }
    }

    /// Adds an inline document's statements; whether it could be read and parsed.
    fn add_document(&mut self, perms: &mut Permissions, doc: Option<&str>, name: &str) -> bool {
        let Some(doc) = doc else {
            perms.complete = false;
            return false;
        };
        match policy::parse(doc) {
            Ok(statements) => {
                note_admin(perms, &statements, name);
                perms.statements.extend(statements);
                true
            }
            Err(e) => {
                self.failed.push(format!("policy {name}: {e}"));
                perms.complete = false;
                false
            }
        }
    }

    /// A user's own policies, its groups' and its permission boundary.
    fn user_permissions(&mut self, user: &str, perms: &mut Permissions) {
        match self.ask(Action::GetUser, &[("UserName", user)]) {
            Some(body) => perms.boundary = boundary(&body),
            None => perms.complete = false,
        }
        self.policies_of(perms, Holder::User, user);
        match self.ask_all(Action::ListGroupsForUser, &[("UserName", user)]) {
            Some(pages) => {
                let groups: Vec<String> = pages
                    .iter()
                    .filter_map(|p| xml::element(p, "Groups"))
                    .flat_map(|l| xml::elements(l, "member"))
                    .filter_map(|m| xml::field(m, "GroupName"))
                    .collect();
                for g in &groups {
                    self.policies_of(perms, Holder::Group, g);
                }
                perms.groups = Some(groups);
            }
            None => perms.complete = false,
        }
    }

    /// A role's policies and permission boundary.
    fn role_permissions(&mut self, role: &str, perms: &mut Permissions) {
        match self.ask(Action::GetRole, &[("RoleName", role)]) {
            Some(body) => {
                perms.boundary = boundary(&body);
                perms.role_arn = xml::element(&body, "Role").and_then(|r| xml::field(r, "Arn"));
            }
            None => perms.complete = false,
        }
        self.policies_of(perms, Holder::Role, role);
    }

    /// `SimulatePrincipalPolicy` of the high-impact actions on `*`; `None` when it gave no
    /// usable answer.
    fn simulate(&mut self, source_arn: &str) -> Option<Access> {
        let names: Vec<String> = (1..=HIGH_IMPACT.len())
            .map(|i| format!("ActionNames.member.{i}"))
            .collect();
        let mut params: Vec<(&str, &str)> = vec![("PolicySourceArn", source_arn)];
        params.extend(
            names
                .iter()
                .map(String::as_str)
                .zip(HIGH_IMPACT.iter().copied()),
        );
        let body = self.ask(Action::SimulatePrincipalPolicy, &params)?;
        simulation_from(&body)
    }
}

#[derive(Clone, Copy)]
enum Holder {
    User,
    Group,
    Role,
}

fn note_admin(perms: &mut Permissions, statements: &[Statement], name: &str) {
    if statements.iter().any(Statement::is_admin) {
        perms
            .admin
            .found
            .get_or_insert(format!("policy {name} allows * on *"));
    }
}

/// The permission boundary's ARN in a `GetUser` or `GetRole` answer.
fn boundary(body: &str) -> Option<String> {
    xml::element(body, "PermissionsBoundary").and_then(|b| xml::field(b, "PermissionsBoundaryArn"))
}

/// A `GetAccessKeyLastUsed` answer: no date means never used (IAM then says `N/A`).
pub(super) fn last_used_from(body: &str) -> LastUsed {
    let known = |v: Option<String>| v.filter(|s| s != "N/A");
    LastUsed {
        date: xml::field(body, "LastUsedDate"),
        service: known(xml::field(body, "ServiceName")),
        region: known(xml::field(body, "Region")),
    }
}

/// A `SimulatePrincipalPolicy` answer: one result per high-impact action, or `None`.
pub(super) fn simulation_from(body: &str) -> Option<Access> {
    let list = xml::element(body, "EvaluationResults")?;
    let mut access = empty_access(AccessMethod::Simulation);
    let results: HashMap<String, &str> = xml::elements(list, "member")
        .into_iter()
        .filter_map(|m| Some((xml::field(m, "EvalActionName")?, m)))
        .collect();
    if results.is_empty() {
        return None;
    }
    for &action in HIGH_IMPACT {
        let bucket = match results.get(action) {
            None => &mut access.unknown,
            Some(m) => {
                let missing = !xml::members(m, "MissingContextValues").is_empty();
                match xml::field(m, "EvalDecision").as_deref() {
                    Some("allowed") => &mut access.allowed,
                    Some("explicitDeny") => &mut access.denied,
                    Some("implicitDeny") if missing => &mut access.conditional,
                    Some("implicitDeny") => &mut access.denied,
                    _ => &mut access.unknown,
                }
            }
        };
        bucket.push(action.to_string());
    }
    Some(access)
}

fn empty_access(method: AccessMethod) -> Access {
    Access {
        method,
        allowed: Vec::new(),
        denied: Vec::new(),
        conditional: Vec::new(),
        scoped: Vec::new(),
        unknown: Vec::new(),
    }
}

/// The access the policy documents give, as far as they could be read.
fn from_documents(perms: &Permissions, read_any: bool) -> Access {
    if !read_any {
        let mut a = empty_access(AccessMethod::None);
        a.unknown = HIGH_IMPACT.iter().map(|s| s.to_string()).collect();
        return a;
    }
    let mut a = empty_access(AccessMethod::PolicyDocuments);
    for &action in HIGH_IMPACT {
        let bucket = match policy::decide(&perms.statements, action, perms.boundary.is_some()) {
            Decision::Allowed => &mut a.allowed,
            Decision::Denied => &mut a.denied,
            Decision::Conditional => &mut a.conditional,
            Decision::Scoped => &mut a.scoped,
            Decision::NotAllowed if perms.complete => &mut a.denied,
            Decision::NotAllowed => &mut a.unknown,
        };
        bucket.push(action.to_string());
    }
    a
}

/// Everything triage finds out about the key `job`, whose `GetCallerIdentity` ARN is `arn`;
/// `now` is the time in Unix seconds.
pub(super) fn triage(shared: &Shared, job: &Job, arn: &str, now: u64) -> Triage {
    let principal = risk::principal(arn);
    let mut g = Gather {
        shared,
        job,
        not_permitted: Vec::new(),
        failed: Vec::new(),
    };
    // Temporary (ASIA) credentials have no key metadata: they expire on their own.
    let long_term = !job.key_id.starts_with("ASIA");
    let user = (principal.kind == PrincipalKind::User).then_some(principal.name.as_str());
    let key = if long_term {
        g.key_info(user, now)
    } else {
        None
    };
    let last_used = if long_term { g.last_used() } else { None };
    let account_alias = g.alias();
    let mut perms = Permissions {
        complete: true,
        ..Permissions::default()
    };
    let account = arn.split(':').nth(4).unwrap_or_default().to_string();
    let source_arn = match principal.kind {
        PrincipalKind::User => {
            g.user_permissions(&principal.name, &mut perms);
            Some(arn.to_string())
        }
        PrincipalKind::AssumedRole => {
            g.role_permissions(&principal.name, &mut perms);
            Some(perms.role_arn.clone().unwrap_or_else(|| {
                let partition = arn.split(':').nth(1).unwrap_or("aws");
                format!("arn:{partition}:iam::{account}:role/{}", principal.name)
            }))
        }
        _ => {
            perms.complete = false;
            None
        }
    };
    let read_any = perms.complete || perms.policies.iter().any(|p| p.document_read);
    // AWS's own evaluation where the key may ask for it (it sees boundaries too); else the
    // documents, as far as they could be read.
    let simulated = source_arn.as_deref().and_then(|a| g.simulate(a));
    let access = simulated.unwrap_or_else(|| from_documents(&perms, read_any));
    let (risk, reason) = risk::assess(&principal, &perms.admin, &access);
    Triage {
        principal,
        key,
        last_used,
        account_alias,
        groups: perms.groups,
        policies: perms.policies,
        permission_boundary: perms.boundary,
        access,
        risk,
        reason,
        not_permitted: g.not_permitted,
        failed: g.failed,
    }
}
