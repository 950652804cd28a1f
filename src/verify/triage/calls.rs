//! The IAM calls triage may make, and the one way to make them. `Action` is the allowlist:
//! read-only `Get*`/`List*` actions and `SimulatePrincipalPolicy`, nothing else, and
//! `IamClient::call` takes an `Action`, so no other action can be written into a request. Each
//! call is a SigV4-signed form POST (the signer of `verify`) to the IAM endpoint, signed for
//! `us-east-1`, with the same agent as STS (no redirects, bounded time, bounded body). An
//! `AccessDenied` answer is `NotPermitted`; throttling is retried with backoff; a transport
//! failure is `Unreachable`, which stops the triage of every key (the endpoint is down).

use std::thread;
use std::time::{Duration, Instant, SystemTime};

use super::super::aws::{self, clip, describe_body, is_throttling, transport_reason};
use super::super::endpoint::Endpoint;
use super::super::sigv4::{self, AmzDate, SigningInput, STS_CONTENT_TYPE, STS_REGION};
use super::super::skip::Job;
use super::xml;

/// IAM's API version.
const VERSION: &str = "2010-05-08";
/// Signing service name.
const SERVICE: &str = "iam";
/// Largest answer read: a managed policy document (ReadOnlyAccess is about 100 KB encoded)
/// fits many times over.
const BODY_LIMIT: u64 = 4 * 1024 * 1024;
/// Attempts per call when throttled (the first included).
const THROTTLE_ATTEMPTS: u32 = 3;
const BACKOFF: Duration = Duration::from_millis(300);

/// Every action triage may send: read-only, and none changes anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Action {
    GetUser,
    GetRole,
    ListAccessKeys,
    GetAccessKeyLastUsed,
    ListAccountAliases,
    ListAttachedUserPolicies,
    ListUserPolicies,
    GetUserPolicy,
    ListGroupsForUser,
    ListAttachedGroupPolicies,
    ListGroupPolicies,
    GetGroupPolicy,
    ListAttachedRolePolicies,
    ListRolePolicies,
    GetRolePolicy,
    GetPolicy,
    GetPolicyVersion,
    SimulatePrincipalPolicy,
}

impl Action {
    /// The whole allowlist.
    pub(crate) const ALL: [Action; 18] = [
        Action::GetUser,
        Action::GetRole,
        Action::ListAccessKeys,
        Action::GetAccessKeyLastUsed,
        Action::ListAccountAliases,
        Action::ListAttachedUserPolicies,
        Action::ListUserPolicies,
        Action::GetUserPolicy,
        Action::ListGroupsForUser,
        Action::ListAttachedGroupPolicies,
        Action::ListGroupPolicies,
        Action::GetGroupPolicy,
        Action::ListAttachedRolePolicies,
        Action::ListRolePolicies,
        Action::GetRolePolicy,
        Action::GetPolicy,
        Action::GetPolicyVersion,
        Action::SimulatePrincipalPolicy,
    ];

    /// The API action name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Action::GetUser => "GetUser",
            Action::GetRole => "GetRole",
            Action::ListAccessKeys => "ListAccessKeys",
            Action::GetAccessKeyLastUsed => "GetAccessKeyLastUsed",
            Action::ListAccountAliases => "ListAccountAliases",
            Action::ListAttachedUserPolicies => "ListAttachedUserPolicies",
            Action::ListUserPolicies => "ListUserPolicies",
            Action::GetUserPolicy => "GetUserPolicy",
            Action::ListGroupsForUser => "ListGroupsForUser",
            Action::ListAttachedGroupPolicies => "ListAttachedGroupPolicies",
            Action::ListGroupPolicies => "ListGroupPolicies",
            Action::GetGroupPolicy => "GetGroupPolicy",
            Action::ListAttachedRolePolicies => "ListAttachedRolePolicies",
            Action::ListRolePolicies => "ListRolePolicies",
            Action::GetRolePolicy => "GetRolePolicy",
            Action::GetPolicy => "GetPolicy",
            Action::GetPolicyVersion => "GetPolicyVersion",
            Action::SimulatePrincipalPolicy => "SimulatePrincipalPolicy",
        }
    }

    /// `iam:Name`, as reports and policies write it.
    pub(crate) fn iam_name(self) -> String {
        format!("iam:{}", self.name())
    }
}

/// Why a call gave no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CallError {
    /// `AccessDenied`: the key may not make this call.
    NotPermitted,
    /// Any other answer (a server error, an unexpected code), with a short reason.
    Failed(String),
    /// The endpoint could not be reached, or the time budget is spent: no further call is
    /// worth making.
    Unreachable(String),
}

/// The form body of a call: `Action`, `Version`, then the parameters, percent-encoded.
pub(crate) fn form_body(action: Action, params: &[(&str, &str)]) -> String {
    let mut body = format!("Action={}&Version={VERSION}", action.name());
    for (k, v) in params {
        body.push('&');
        body.push_str(&encode(k));
        body.push('=');
        body.push_str(&encode(v));
    }
    body
}

/// Percent-encodes all but RFC 3986's unreserved characters.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An HTTP client bound to the IAM endpoint.
pub(crate) struct IamClient {
    agent: ureq::Agent,
    timeout: Duration,
    endpoint: Endpoint,
    url: String,
    host_header: String,
    /// No call starts after it.
    deadline: Instant,
}

impl IamClient {
    pub(crate) fn new(endpoint: &Endpoint, timeout: Duration, deadline: Instant) -> IamClient {
        IamClient {
            agent: aws::agent(endpoint, timeout),
            timeout,
            endpoint: endpoint.clone(),
            url: endpoint.to_string(),
            host_header: endpoint.host_header(),
            deadline,
        }
    }

    /// Makes one call with `job`'s credentials (retrying throttling); the answer's body.
    pub(crate) fn call(
        &self,
        job: &Job,
        action: Action,
        params: &[(&str, &str)],
    ) -> Result<String, CallError> {
        let body = form_body(action, params);
        let mut attempt = 1;
        loop {
            if Instant::now() >= self.deadline {
                return Err(CallError::Unreachable(
                    "the triage time budget is spent".to_string(),
                ));
            }
            match self.send(job, &body) {
                Err(Retryable::Throttled(why)) if attempt < THROTTLE_ATTEMPTS => {
                    let pause = BACKOFF.saturating_mul(1 << (attempt - 1));
                    if Instant::now() + pause >= self.deadline {
                        return Err(CallError::Failed(why));
                    }
                    thread::sleep(pause);
                    attempt += 1;
                }
                Err(Retryable::Throttled(why)) => {
                    return Err(CallError::Failed(format!("{why} after {attempt} attempts")))
                }
                Err(Retryable::Final(e)) => return Err(e),
                Ok(text) => return Ok(text),
            }
        }
    }

    fn send(&self, job: &Job, body: &str) -> Result<String, Retryable> {
        let date = AmzDate::from_system_time(SystemTime::now());
        let mut headers: Vec<(&str, &str)> = vec![
            ("Content-Type", STS_CONTENT_TYPE),
            ("Host", &self.host_header),
            ("X-Amz-Date", &date.stamp),
        ];
        if let Some(t) = &job.token {
            headers.push(("X-Amz-Security-Token", t.expose()));
        }
        let sig = sigv4::sign(&SigningInput {
            method: "POST",
            path: self.endpoint.path(),
            headers: &headers,
            payload: body.as_bytes(),
            key_id: &job.key_id,
            secret: &job.secret,
            region: STS_REGION,
            service: SERVICE,
            date: &date,
        });
        let mut req = self
            .agent
            .post(&self.url)
            .header("Content-Type", STS_CONTENT_TYPE)
            .header("X-Amz-Date", &date.stamp)
            .header("Authorization", &sig.authorization);
        if let Some(t) = &job.token {
            req = req.header("X-Amz-Security-Token", t.expose());
        }
        let https = self.endpoint.is_https();
        let mut resp = req.send(body).map_err(|e| {
            Retryable::Final(CallError::Unreachable(transport_reason(
                &e,
                self.timeout,
                https,
            )))
        })?;
        let status = resp.status().as_u16();
        let text = resp
            .body_mut()
            .with_config()
            .limit(BODY_LIMIT)
            .lossy_utf8(true)
            .read_to_string()
            .map_err(|e| {
                Retryable::Final(CallError::Unreachable(format!(
                    "HTTP {status}, then reading the body failed: {}",
                    transport_reason(&e, self.timeout, https)
                )))
            })?;
        classify(status, text)
    }
}

/// A failure, and whether trying again may help.
#[derive(Debug)]
enum Retryable {
    Throttled(String),
    Final(CallError),
}

/// An IAM answer: the body of a 200, `NotPermitted` for access denied, a retry for
/// throttling, `Failed` with the code and message otherwise.
fn classify(status: u16, text: String) -> Result<String, Retryable> {
    if status == 200 {
        return Ok(text);
    }
    let code = xml::field(&text, "Code").unwrap_or_default();
    let message = xml::field(&text, "Message").unwrap_or_default();
    if matches!(
        code.as_str(),
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation"
    ) && (400..500).contains(&status)
    {
        return Err(Retryable::Final(CallError::NotPermitted));
    }
    if status == 429 || status == 503 || is_throttling(&code) {
        let code_part = if code.is_empty() {
            String::new()
        } else {
            format!(" {code}")
        };
        return Err(Retryable::Throttled(format!(
            "throttled (HTTP {status}{code_part})"
        )));
    }
    let why = if code.is_empty() {
        format!("HTTP {status}{}", describe_body(&text))
    } else if message.is_empty() {
        format!("HTTP {status} {code}")
    } else {
        format!("HTTP {status} {code}: {}", clip(&message, 200))
    };
    Err(Retryable::Final(CallError::Failed(why)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn the_allowlist_is_read_only() {
        let mut names: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
        for n in &names {
            assert!(
                n.starts_with("Get") || n.starts_with("List") || *n == "SimulatePrincipalPolicy",
                "{n} is not a read-only action"
            );
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Action::ALL.len(), "each action once");
        // The request builder writes exactly the action it is given, first.
        for a in Action::ALL {
            let body = form_body(a, &[("UserName", "a b&c=d")]);
            assert!(body.starts_with(&format!("Action={}&Version=2010-05-08&", a.name())));
            assert!(body.ends_with("UserName=a%20b%26c%3Dd"), "{body}");
            assert_eq!(body.matches("Action=").count(), 1);
        }
    }

    #[test]
    fn answers_are_classified() {
        let denied = "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error>\
                      <Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/x \
                      is not authorized to perform: iam:ListAccountAliases</Message></Error></ErrorResponse>";
        assert!(matches!(
            classify(403, denied.to_string()),
            Err(Retryable::Final(CallError::NotPermitted))
        ));
        assert_eq!(classify(200, "<ok/>".into()).unwrap(), "<ok/>");
        let throttled = "<Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error>";
        assert!(matches!(
            classify(400, throttled.into()),
            Err(Retryable::Throttled(_))
        ));
        match classify(500, "<!doctype html><html>boom</html>".into()) {
            Err(Retryable::Final(CallError::Failed(why))) => {
                assert!(why.contains("HTTP 500") && why.contains("HTML"), "{why}")
            }
            other => panic!("{other:?}"),
        }
        match classify(
            404,
            "<Error><Code>NoSuchEntity</Code><Message>gone</Message></Error>".into(),
        ) {
            Err(Retryable::Final(CallError::Failed(why))) => {
                assert_eq!(why, "HTTP 404 NoSuchEntity: gone")
            }
            other => panic!("{other:?}"),
        }
    }
}
