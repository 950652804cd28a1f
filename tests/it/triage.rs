//! `--aws-triage` through the binary, against moto's IAM with authentication on (the harness
//! in `crate::moto`, started with `--triage`: `fixtures/sts/moto_sts.py` builds the users).
//! moto enforces the users' policies on every IAM call, so what triage can read depends on
//! the key exactly as it would on AWS. Each case resets moto's counters and checks every
//! request that reached it against the read-only allowlist.
//!
//! What moto cannot show is covered by unit tests beside the code: `SimulatePrincipalPolicy`
//! (moto answers HTTP 500, so here the policy documents decide), a key never used (moto
//! records every request as a use, triage's own included), and a deactivated key rejected by
//! STS (moto accepts Inactive keys; `retired` shows the status triage reads instead).

use std::collections::HashMap;
use std::time::Duration;

use keyhound::verify::{allowed_actions, HIGH_IMPACT};
use serde_json::Value;

use crate::moto::{moto_with_or_skip, Moto, MotoKeys};
use crate::support::{keyhound, Tree};

const LIMIT: Duration = Duration::from_secs(90);

fn env_file(key: &str, secret: &str, token: Option<&str>) -> String {
    let mut s = format!("AWS_ACCESS_KEY_ID={key}\nAWS_SECRET_ACCESS_KEY={secret}\n");
    if let Some(t) = token {
        s.push_str(&format!("AWS_SESSION_TOKEN={t}\n"));
    }
    s
}

/// One `.env` file per user (`admin.env`, …), `session.env` for the role session.
fn fixture(moto: &Moto, keys: &MotoKeys) -> Tree {
    let tree = Tree::new();
    for (name, (akid, secret)) in moto.triage_keys() {
        tree.write(&format!("{name}.env"), env_file(&akid, &secret, None));
    }
    tree.write(
        "session.env",
        env_file(&keys.asia, &keys.asia_secret, Some(&keys.asia_token)),
    );
    tree
}

/// The finding of `file` in a JSON report.
fn finding<'a>(doc: &'a Value, file: &str) -> &'a Value {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with(file))
        .unwrap_or_else(|| panic!("no finding in {file}"))
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

/// Every request moto received is GetCallerIdentity or in the allowlist; returns the counts.
fn only_allowed_actions(moto: &mut Moto) -> HashMap<String, u64> {
    let actions = moto.actions();
    let allowed = allowed_actions();
    for a in actions.keys() {
        assert!(
            a == "GetCallerIdentity" || allowed.contains(&a.as_str()),
            "{a} reached the server: {actions:?}"
        );
    }
    for a in &allowed {
        assert!(a.starts_with("Get") || a.starts_with("List") || *a == "SimulatePrincipalPolicy");
    }
    actions
}

#[test]
fn moto_triage() {
    let Some((mut moto, keys)) = moto_with_or_skip("triage", &["--triage"]) else {
        return;
    };
    let endpoint = moto.get("endpoint").to_string();
    let tree = fixture(&moto, &keys);
    each_user_is_triaged(&mut moto, &tree, &endpoint);
    nothing_is_triaged_without_the_flag(&mut moto, &tree, &endpoint);
    text_puts_admin_and_high_risk_first(&mut moto, &tree, &endpoint);
    sarif_carries_the_triage(&mut moto, &tree, &endpoint);
    keys_that_are_not_live_are_not_triaged(&mut moto, &keys, &endpoint);
    an_unreachable_iam_endpoint_leaves_the_scan_whole(&mut moto, &tree, &endpoint);
}

/// JSON: every part of the triage of each user, through `--iam-endpoint`.
fn each_user_is_triaged(moto: &mut Moto, tree: &Tree, endpoint: &str) {
    let ids = moto.triage_keys();
    moto.reset();
    let out = keyhound(tree.path())
        .args([
            "scan",
            "--format",
            "json",
            "--aws-triage",
            "--sts-endpoint",
            endpoint,
        ])
        .args(["--iam-endpoint", endpoint, "."])
        .run_within(LIMIT);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let doc = out.json();
    let all: Vec<&str> = HIGH_IMPACT.to_vec();
    let triage = |file: &str| finding(&doc, file)["verification"]["triage"].clone();

    let admin = triage("admin.env");
    assert_eq!(admin["risk"], "admin", "{admin:#}");
    assert!(admin["reason"].as_str().unwrap().contains("allows * on *"));
    assert_eq!(admin["principal"]["type"], "user");
    assert_eq!(admin["principal"]["name"], "admin");
    assert_eq!(admin["key"]["status"], "Active");
    assert_eq!(admin["key"]["age_days"], 0);
    assert_eq!(admin["last_used"]["never_used"], false);
    assert!(admin["last_used"]["date"]
        .as_str()
        .unwrap()
        .starts_with("20"));
    assert_eq!(admin["last_used"]["region"], "us-east-1");
    assert_eq!(admin["account_alias"], Value::Null);
    assert_eq!(admin["account_alias_read"], true);
    assert_eq!(admin["policies"][0]["name"], "KeyhoundAdministratorAccess");
    assert_eq!(admin["policies"][0]["kind"], "managed");
    assert_eq!(admin["policies"][0]["document_read"], true);
    assert_eq!(admin["access"]["method"], "policy_documents");
    assert_eq!(strings(&admin["access"]["allowed"]), all);
    assert!(strings(&admin["not_permitted"]).is_empty());
    // moto has no SimulatePrincipalPolicy: recorded, and the documents decide.
    let failed = strings(&admin["failed"]);
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(
        failed[0].starts_with("iam:SimulatePrincipalPolicy: HTTP 500"),
        "{failed:?}"
    );
    let remedy = &finding(&doc, "admin.env")["verification"]["remediation"];
    let (akid, _) = &ids["admin"];
    assert_eq!(
        strings(&remedy["steps"])[0],
        format!(
            "aws iam update-access-key --user-name admin --access-key-id {akid} --status Inactive"
        )
    );
    assert_eq!(
        strings(&remedy["steps"])[2],
        format!("aws iam delete-access-key --user-name admin --access-key-id {akid}")
    );
    assert!(remedy["cloudtrail"].as_str().unwrap().starts_with(&format!(
        "aws cloudtrail lookup-events --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={akid} --region us-east-1"
    )));
    assert!(remedy["docs"]
        .as_str()
        .unwrap()
        .starts_with("https://docs.aws.amazon.com/IAM/"));

    let readonly = triage("readonly.env");
    assert_eq!(readonly["risk"], "limited", "{readonly:#}");
    assert_eq!(strings(&readonly["access"]["denied"]), all);
    assert!(strings(&readonly["access"]["allowed"]).is_empty());

    let bucket = triage("bucket.env");
    assert_eq!(bucket["risk"], "limited", "{bucket:#}");
    assert_eq!(strings(&bucket["access"]["scoped"]), ["s3:GetObject"]);
    assert_eq!(bucket["policies"][0]["name"], "reports");
    assert_eq!(bucket["policies"][0]["kind"], "inline");
    assert!(bucket["reason"].as_str().unwrap().contains("s3:GetObject"));

    let grouped = triage("grouped.env");
    assert_eq!(grouped["risk"], "high", "{grouped:#}");
    assert_eq!(
        strings(&grouped["access"]["allowed"]),
        ["ec2:RunInstances", "lambda:UpdateFunctionCode"]
    );
    assert_eq!(strings(&grouped["groups"]), ["deployers"]);
    let via: Vec<&str> = grouped["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["via"].as_str().unwrap())
        .collect();
    assert_eq!(via, ["group deployers", "group deployers"]);

    // No IAM permission at all: every call denied, nothing invented.
    let nobody = triage("nobody.env");
    assert_eq!(nobody["risk"], "unknown", "{nobody:#}");
    assert!(nobody["reason"]
        .as_str()
        .unwrap()
        .starts_with("nothing could be read"));
    for part in [
        "key",
        "last_used",
        "account_alias",
        "groups",
        "permission_boundary",
    ] {
        assert_eq!(nobody[part], Value::Null, "{part}");
    }
    assert_eq!(nobody["account_alias_read"], false);
    assert!(nobody["policies"].as_array().unwrap().is_empty());
    assert_eq!(nobody["access"]["method"], "none");
    assert!(strings(&nobody["access"]["allowed"]).is_empty());
    assert!(strings(&nobody["access"]["denied"]).is_empty());
    assert_eq!(strings(&nobody["access"]["unknown"]), all);
    let denied = strings(&nobody["not_permitted"]);
    for call in [
        "iam:ListAccessKeys",
        "iam:GetAccessKeyLastUsed",
        "iam:ListAccountAliases",
        "iam:ListAttachedUserPolicies",
        "iam:SimulatePrincipalPolicy",
    ] {
        assert!(denied.contains(&call), "{call}: {denied:?}");
    }
    assert!(strings(&nobody["failed"]).is_empty());

    let retired = triage("retired.env");
    assert_eq!(retired["key"]["status"], "Inactive", "{retired:#}");

    let session = triage("session.env");
    assert_eq!(session["principal"]["type"], "assumed_role", "{session:#}");
    assert_eq!(session["principal"]["name"], "keyhound-test-role");
    assert_eq!(session["principal"]["session"], "keyhound");
    assert_eq!(
        session["key"],
        Value::Null,
        "temporary keys have no key metadata"
    );
    assert_eq!(session["risk"], "high");
    assert_eq!(strings(&session["access"]["allowed"]), ["kms:Decrypt"]);
    let steps = strings(&finding(&doc, "session.env")["verification"]["remediation"]["steps"]);
    assert!(steps[0].contains("Revoke active sessions"), "{steps:?}");

    let actions = only_allowed_actions(moto);
    assert_eq!(actions["GetCallerIdentity"], 7, "{actions:?}");
    // One managed document is read once for the three keys it is attached to.
    assert_eq!(actions["GetPolicyVersion"], 2, "{actions:?}");
    assert_eq!(actions["ListAccountAliases"], 7, "{actions:?}");
}

/// Without `--aws-triage`: only GetCallerIdentity reaches the server, there is no triage, and
/// the remediation is there all the same.
fn nothing_is_triaged_without_the_flag(moto: &mut Moto, tree: &Tree, endpoint: &str) {
    moto.reset();
    let out = keyhound(tree.path())
        .env("AWS_ENDPOINT_URL_IAM", endpoint)
        .args(["scan", "--format", "json", "--sts-endpoint", endpoint, "."])
        .run_within(LIMIT);
    let doc = out.json();
    for f in doc["findings"].as_array().unwrap() {
        assert_eq!(f["verification"]["status"], "live");
        assert_eq!(f["verification"]["triage"], Value::Null);
        assert!(!f["verification"]["remediation"]["steps"]
            .as_array()
            .unwrap()
            .is_empty());
    }
    let user = &finding(&doc, "grouped.env")["verification"]["remediation"];
    assert!(strings(&user["steps"])[0].contains("--user-name grouped"));
    let actions = only_allowed_actions(moto);
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert_eq!(actions["GetCallerIdentity"], 7);
}

/// Text: the admin key comes first, then the high-risk ones, each with its risk and remedy.
fn text_puts_admin_and_high_risk_first(moto: &mut Moto, tree: &Tree, endpoint: &str) {
    moto.reset();
    let out = keyhound(tree.path())
        .env("AWS_ENDPOINT_URL", endpoint)
        .args(["scan", "--aws-triage", "--color", "never", "."])
        .run_within(LIMIT);
    let text = out.stdout_str();
    let heads: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with(' ') && l.contains(".env:"))
        .map(|l| l.split(".env:").next().unwrap())
        .collect();
    // admin; then the high-risk keys in report order; then the rest in report order.
    assert_eq!(
        heads,
        ["admin", "grouped", "session", "bucket", "nobody", "readonly", "retired"],
        "{text}"
    );
    assert!(text.contains("    risk        ADMIN  policy "), "{text}");
    assert!(
        text.contains("    risk        UNKNOWN  nothing could be read"),
        "{text}"
    );
    assert!(
        text.contains("    key         Inactive, created "),
        "{text}"
    );
    assert!(text.contains("    remedy      1. aws iam update-access-key --user-name admin "));
    assert!(text.contains("    cloudtrail  aws cloudtrail lookup-events "));
    only_allowed_actions(moto);
}

/// SARIF: the triage in the result's properties, security-severity 10.0 for the admin key
/// only, and the remediation in the message.
fn sarif_carries_the_triage(moto: &mut Moto, tree: &Tree, endpoint: &str) {
    moto.reset();
    let out = keyhound(tree.path())
        .env("AWS_ENDPOINT_URL", endpoint)
        .args(["scan", "--aws-triage", "--format", "sarif", "."])
        .run_within(LIMIT);
    let sarif: Value = serde_json::from_str(&out.stdout_str()).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 7);
    for r in results {
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        let props = &r["properties"];
        let risk = props["verification"]["triage"]["risk"].as_str().unwrap();
        let severity = props.get("security-severity");
        if uri == "admin.env" {
            assert_eq!(risk, "admin");
            assert_eq!(severity, Some(&Value::from("10.0")));
        } else {
            assert_eq!(severity, None, "{uri}");
        }
        let message = r["message"]["text"].as_str().unwrap();
        assert!(message.contains(&format!(" Risk {risk}: ")), "{message}");
        assert!(message.contains("To shut it off: 1. "), "{message}");
        assert!(props["verification"]["remediation"]["cloudtrail"].is_string());
    }
    only_allowed_actions(moto);
}

/// A key STS rejects is never triaged: no IAM call at all.
fn keys_that_are_not_live_are_not_triaged(moto: &mut Moto, keys: &MotoKeys, endpoint: &str) {
    let tree = Tree::new();
    tree.write("dead.env", env_file(&keys.unknown, &keys.secret, None));
    moto.reset();
    let out = keyhound(tree.path())
        .env("AWS_ENDPOINT_URL", endpoint)
        .args(["scan", "--aws-triage", "--format", "json", "."])
        .run_within(LIMIT);
    let doc = out.json();
    let v = &finding(&doc, "dead.env")["verification"];
    assert_eq!(v["status"], "invalid");
    assert_eq!(v["triage"], Value::Null);
    assert_eq!(v["remediation"], Value::Null);
    let actions = only_allowed_actions(moto);
    assert_eq!(actions.keys().collect::<Vec<_>>(), ["GetCallerIdentity"]);
}

/// An IAM endpoint with nothing listening: each key's triage records the failure, the scan
/// and its findings are whole, and the run does not wait a timeout per call.
fn an_unreachable_iam_endpoint_leaves_the_scan_whole(moto: &mut Moto, tree: &Tree, endpoint: &str) {
    let dead = format!("http://127.0.0.1:{}", crate::support::closed_port());
    moto.reset();
    let out = keyhound(tree.path())
        .args([
            "scan",
            "--aws-triage",
            "--format",
            "json",
            "--sts-endpoint",
            endpoint,
        ])
        .args(["--iam-endpoint", &dead, "--verify-timeout", "2", "."])
        .run_within(LIMIT);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let doc = out.json();
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 7);
    let mut failures = 0;
    for f in findings {
        let t = &f["verification"]["triage"];
        assert_eq!(f["verification"]["status"], "live");
        assert_eq!(
            t["risk"],
            if t["principal"]["type"] == "root" {
                "admin"
            } else {
                "unknown"
            }
        );
        failures += t["failed"].as_array().unwrap().len();
        assert!(f["verification"]["remediation"].is_object());
    }
    // The first failure stops the triage of every key: at most one failed call each.
    assert!((1..=7).contains(&failures), "{failures}");
    let actions = only_allowed_actions(moto);
    assert_eq!(actions.keys().collect::<Vec<_>>(), ["GetCallerIdentity"]);
}
