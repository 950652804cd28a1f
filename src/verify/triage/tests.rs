//! Triage on canned IAM answers: the simulation (moto does not implement
//! `SimulatePrincipalPolicy`) and a key never used.

use super::gather::{last_used_from, simulation_from};
use super::HIGH_IMPACT;
use crate::triage::AccessMethod;

/// A `SimulatePrincipalPolicy` answer in AWS's shape: `s3:GetObject` allowed, `kms:Decrypt`
/// denied explicitly, `iam:PassRole` depending on a context key that was not supplied, the
/// rest denied implicitly.
fn simulation() -> String {
    let mut members = String::new();
    for action in HIGH_IMPACT {
        let (decision, missing) = match *action {
            "s3:GetObject" => ("allowed", ""),
            "kms:Decrypt" => ("explicitDeny", ""),
            "iam:PassRole" => ("implicitDeny", "<member>iam:PassedToService</member>"),
            _ => ("implicitDeny", ""),
        };
        members.push_str(&format!(
            "<member><EvalDecisionDetails/><EvalResourceName>*</EvalResourceName>\
             <EvalDecision>{decision}</EvalDecision><MatchedStatements><member>\
             <SourcePolicyId>p</SourcePolicyId><StartPosition><Line>1</Line></StartPosition>\
             </member></MatchedStatements><MissingContextValues>{missing}</MissingContextValues>\
             <EvalActionName>{action}</EvalActionName></member>"
        ));
    }
    format!(
        "<SimulatePrincipalPolicyResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
         <SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated>\
         <EvaluationResults>{members}</EvaluationResults></SimulatePrincipalPolicyResult>\
         <ResponseMetadata><RequestId>1</RequestId></ResponseMetadata>\
         </SimulatePrincipalPolicyResponse>"
    )
}

#[test]
fn simulation_answers_sort_the_actions() {
    let a = simulation_from(&simulation()).unwrap();
    assert_eq!(a.method, AccessMethod::Simulation);
    assert_eq!(a.allowed, ["s3:GetObject"]);
    assert_eq!(a.conditional, ["iam:PassRole"]);
    assert!(a.denied.contains(&"kms:Decrypt".to_string()));
    assert_eq!(a.denied.len(), HIGH_IMPACT.len() - 2);
    assert!(a.unknown.is_empty() && a.scoped.is_empty());
    // An answer that leaves actions out: those are unknown, not denied.
    let partial = simulation().replace("<EvalActionName>ec2:RunInstances</EvalActionName>", "");
    let a = simulation_from(&partial).unwrap();
    assert_eq!(a.unknown, ["ec2:RunInstances"]);
    // Not a simulation at all.
    assert!(simulation_from("<html>proxy</html>").is_none());
    assert!(simulation_from("<EvaluationResults></EvaluationResults>").is_none());
}

#[test]
fn last_use_and_never_used() {
    let used = "<GetAccessKeyLastUsedResponse><GetAccessKeyLastUsedResult><AccessKeyLastUsed>\
                <LastUsedDate>2026-11-30T08:15:00Z</LastUsedDate><ServiceName>s3</ServiceName>\
                <Region>eu-west-1</Region></AccessKeyLastUsed><UserName>alice</UserName>\
                </GetAccessKeyLastUsedResult></GetAccessKeyLastUsedResponse>";
    let u = last_used_from(used);
    assert_eq!(u.date.as_deref(), Some("2026-11-30T08:15:00Z"));
    assert_eq!(u.service.as_deref(), Some("s3"));
    assert_eq!(u.region.as_deref(), Some("eu-west-1"));
    // AWS (and moto) for a key never used: no date, N/A for the rest.
    let never = "<GetAccessKeyLastUsedResult><AccessKeyLastUsed><ServiceName>N/A</ServiceName>\
                 <Region>N/A</Region></AccessKeyLastUsed><UserName>bob</UserName>\
                 </GetAccessKeyLastUsedResult>";
    let n = last_used_from(never);
    assert_eq!((n.date, n.service, n.region), (None, None, None));
}
