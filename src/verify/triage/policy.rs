//! IAM policy documents, parsed and evaluated for one question: may the principal perform an
//! action on every resource (`*`)? The rules are IAM's: an explicit `Deny` wins over any
//! `Allow`; nothing allowed is denied; `Action` and `NotAction` patterns match with `*` and `?`
//! wildcards, case-insensitively; a statement with a `Condition` (or a permission boundary
//! around the principal) makes the answer `Conditional`, never a guess; an `Allow` that names
//! particular resources (or uses `NotResource`) is `Scoped`. Service control policies and
//! resource policies are not visible from the principal and are not evaluated.

use serde_json::Value;

/// The answer for one action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Allowed on every resource, unconditionally.
    Allowed,
    /// Explicitly denied on every resource.
    Denied,
    /// Allowed by no statement (denied unless a policy not read allows it).
    NotAllowed,
    /// It depends on a condition (or a boundary, or a conditional Deny).
    Conditional,
    /// Allowed on some resources only.
    Scoped,
}

/// One statement, reduced to what the evaluation needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Statement {
    pub allow: bool,
    /// `Action` patterns, or with `not_action` the `NotAction` patterns.
    pub actions: Vec<String>,
    pub not_action: bool,
    /// The `Resource` patterns; `None` for `NotResource` (some resources excepted).
    pub resources: Option<Vec<String>>,
    pub conditional: bool,
}

impl Statement {
    fn matches_action(&self, action: &str) -> bool {
        let any = self.actions.iter().any(|p| wildcard_match(p, action));
        any != self.not_action
    }

    /// Whether it applies to every resource.
    fn all_resources(&self) -> bool {
        self.resources
            .as_ref()
            .is_some_and(|r| r.iter().any(|p| p == "*"))
    }

    /// `Allow` of `*` on `*` without condition: the administrator statement.
    pub(crate) fn is_admin(&self) -> bool {
        self.allow
            && !self.not_action
            && !self.conditional
            && self.all_resources()
            && self.actions.iter().any(|a| a == "*" || a == "*:*")
    }
}

/// A string or a list of strings, as policies write `Action` and `Resource`.
fn strings(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => None,
    }
}

/// Parses a policy document; an error says what is wrong with it.
pub(crate) fn parse(document: &str) -> Result<Vec<Statement>, String> {
    let doc: Value =
        serde_json::from_str(document).map_err(|e| format!("not a JSON policy document: {e}"))?;
    let statements = match doc.get("Statement") {
        Some(Value::Array(s)) => s.clone(),
        Some(s @ Value::Object(_)) => vec![s.clone()],
        _ => return Err("the policy has no Statement".to_string()),
    };
    statements
        .iter()
        .enumerate()
        .map(|(i, s)| statement(s).map_err(|e| format!("statement {}: {e}", i + 1)))
        .collect()
}

fn statement(s: &Value) -> Result<Statement, String> {
    let allow = match s.get("Effect").and_then(Value::as_str) {
        Some("Allow") => true,
        Some("Deny") => false,
        _ => return Err("Effect is neither Allow nor Deny".to_string()),
    };
    let (actions, not_action) = match (s.get("Action"), s.get("NotAction")) {
        (Some(a), None) => (strings(a), false),
        (None, Some(a)) => (strings(a), true),
        _ => return Err("it needs exactly one of Action and NotAction".to_string()),
    };
    let actions = actions.ok_or("Action is not a string or a list of strings")?;
    let resources = match (s.get("Resource"), s.get("NotResource")) {
        (Some(r), None) => Some(strings(r).ok_or("Resource is not a string or a list")?),
        (None, Some(_)) => None,
        _ => return Err("it needs exactly one of Resource and NotResource".to_string()),
    };
    let conditional = s
        .get("Condition")
        .is_some_and(|c| c.as_object().is_none_or(|o| !o.is_empty()));
    Ok(Statement {
        allow,
        actions,
        not_action,
        resources,
        conditional,
    })
}

/// What the statements say of `action` on every resource; `boundary` is true when a
/// permission boundary also limits the principal.
pub(crate) fn decide(statements: &[Statement], action: &str, boundary: bool) -> Decision {
    let (mut allow_all, mut allow_cond, mut allow_some) = (false, false, false);
    let mut deny_cond = false;
    for s in statements.iter().filter(|s| s.matches_action(action)) {
        match (s.allow, s.conditional, s.all_resources()) {
            // An unconditional Deny on everything: nothing overrides it.
            (false, false, true) => return Decision::Denied,
            // A Deny under a condition, or of some resources: it may apply.
            (false, true, _) => deny_cond = true,
            (false, false, false) => {}
            (true, false, true) => allow_all = true,
            (true, true, _) => allow_cond = true,
            (true, false, false) => allow_some = true,
        }
    }
    if allow_all {
        if deny_cond || boundary {
            Decision::Conditional
        } else {
            Decision::Allowed
        }
    } else if allow_cond {
        Decision::Conditional
    } else if allow_some {
        if boundary || deny_cond {
            Decision::Conditional
        } else {
            Decision::Scoped
        }
    } else {
        Decision::NotAllowed
    }
}

/// IAM's action matching: `*` any run of characters, `?` one character, ASCII case ignored.
pub(crate) fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().map(|c| c.to_ascii_lowercase()).collect();
    let t: Vec<char> = text.chars().map(|c| c.to_ascii_lowercase()).collect();
    // Iterative glob with one backtrack point: linear for these short strings.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || Some(&c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn policy(statements: &str) -> Vec<Statement> {
        parse(&format!(
            "{{\"Version\":\"2012-10-17\",\"Statement\":{statements}}}"
        ))
        .unwrap()
    }

    #[test]
    fn wildcards_in_actions() {
        assert!(wildcard_match("s3:Get*", "s3:GetObject"));
        assert!(wildcard_match("S3:GETOBJECT", "s3:GetObject"));
        assert!(wildcard_match("*", "kms:Decrypt"));
        assert!(wildcard_match("iam:*User*", "iam:CreateUser"));
        assert!(wildcard_match("kms:Decryp?", "kms:Decrypt"));
        assert!(!wildcard_match("s3:Put*", "s3:GetObject"));
        assert!(!wildcard_match("s3:Get", "s3:GetObject"));
        assert!(!wildcard_match("kms:Decryp?", "kms:Decrypts"));
        let p = policy(r#"[{"Effect":"Allow","Action":["s3:Get*","kms:*"],"Resource":"*"}]"#);
        assert_eq!(decide(&p, "s3:GetObject", false), Decision::Allowed);
        assert_eq!(decide(&p, "kms:Decrypt", false), Decision::Allowed);
        assert_eq!(decide(&p, "s3:PutObject", false), Decision::NotAllowed);
    }

    #[test]
    fn explicit_deny_wins() {
        let p = policy(
            r#"[{"Effect":"Allow","Action":"*","Resource":"*"},
                {"Effect":"Deny","Action":"iam:*","Resource":"*"}]"#,
        );
        assert_eq!(decide(&p, "iam:CreateUser", false), Decision::Denied);
        assert_eq!(decide(&p, "s3:GetObject", false), Decision::Allowed);
        // The order of the statements does not matter.
        let mut reversed = p.clone();
        reversed.reverse();
        assert_eq!(decide(&reversed, "iam:CreateUser", false), Decision::Denied);
        assert!(p[0].is_admin() && !p[1].is_admin());
    }

    #[test]
    fn not_action_allows_everything_else() {
        let p =
            policy(r#"{"Effect":"Allow","NotAction":["iam:*","organizations:*"],"Resource":"*"}"#);
        assert_eq!(decide(&p, "s3:PutObject", false), Decision::Allowed);
        assert_eq!(decide(&p, "iam:PassRole", false), Decision::NotAllowed);
        assert_eq!(
            decide(&p, "organizations:CreateAccount", false),
            Decision::NotAllowed
        );
        assert!(!p[0].is_admin(), "NotAction is not the admin statement");
        let deny = policy(
            r#"[{"Effect":"Allow","Action":"*","Resource":"*"},
                {"Effect":"Deny","NotAction":"s3:*","Resource":"*"}]"#,
        );
        assert_eq!(decide(&deny, "s3:GetObject", false), Decision::Allowed);
        assert_eq!(decide(&deny, "kms:Decrypt", false), Decision::Denied);
    }

    #[test]
    fn resources_narrow_an_allow() {
        let p = policy(
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::reports/*"}"#,
        );
        assert_eq!(decide(&p, "s3:GetObject", false), Decision::Scoped);
        let not_res =
            policy(r#"{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::secret/*"}"#);
        assert_eq!(decide(&not_res, "s3:PutObject", false), Decision::Scoped);
        // A Deny of some resources leaves an Allow on `*` standing elsewhere.
        let both = policy(
            r#"[{"Effect":"Allow","Action":"s3:*","Resource":"*"},
                {"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::audit/*"}]"#,
        );
        assert_eq!(decide(&both, "s3:GetObject", false), Decision::Allowed);
        assert_eq!(decide(&[], "s3:GetObject", false), Decision::NotAllowed);
    }

    #[test]
    fn conditions_are_reported_not_guessed() {
        let p = policy(
            r#"{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*",
                "Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}"#,
        );
        assert_eq!(decide(&p, "kms:Decrypt", false), Decision::Conditional);
        assert!(!policy(r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}"#)[0].is_admin());
        let deny_if = policy(
            r#"[{"Effect":"Allow","Action":"*","Resource":"*"},
                {"Effect":"Deny","Action":"*","Resource":"*",
                 "Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]"#,
        );
        assert_eq!(
            decide(&deny_if, "ec2:RunInstances", false),
            Decision::Conditional
        );
        // A permission boundary: allowed by the policies, but not necessarily by the boundary.
        let all = policy(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#);
        assert_eq!(
            decide(&all, "ec2:RunInstances", true),
            Decision::Conditional
        );
        // An empty Condition block is no condition.
        let empty = policy(r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{}}"#);
        assert_eq!(decide(&empty, "kms:Decrypt", false), Decision::Allowed);
    }

    #[test]
    fn malformed_documents_are_errors() {
        assert!(parse("not json").unwrap_err().contains("JSON"));
        assert!(parse("{}").unwrap_err().contains("Statement"));
        let bad = r#"{"Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}"#;
        assert!(parse(bad).unwrap_err().starts_with("statement 1"));
        let both =
            r#"{"Statement":{"Effect":"Allow","Action":"*","NotAction":"x","Resource":"*"}}"#;
        assert!(parse(both).is_err());
        let num = r#"{"Statement":{"Effect":"Allow","Action":5,"Resource":"*"}}"#;
        assert!(parse(num).is_err());
    }
}
