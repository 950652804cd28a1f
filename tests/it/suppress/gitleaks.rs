//! gitleaks configurations: a `.gitleaks.toml` (or a gitleaks file given to `--config` under
//! any name) is imported when there is no `.keyhound.toml`: its rules, per-rule and global
//! allowlists, one warning per field keyhound cannot honour, and an error for a broken one.

use super::{assert_config_ends_with, lone_key_json, rule_values, rv, suppressed, DISABLE_KEY_IDS};
use crate::support::*;

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn acme_token(seed: u64, infix: &str) -> String {
    let mut rng = Rng::new(seed ^ 0x4143_4D45);
    let body = format!("{}{infix}", rng.string(ALNUM, 6));
    format!("acme_{body}{}", rng.string(ALNUM, 32 - body.len()))
}

fn service_password(seed: u64) -> String {
    Rng::new(seed ^ 0x5057_4421).string(
        b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!@#%^&*",
        24,
    )
}

/// A gitleaks configuration as teams write them: a title, `[extend] useDefault`, two rules (one
/// with a path filter and a secret in group 2), per-rule allowlists (one on the whole match), a
/// global allowlist with `regexTarget = "line"`, and a key gitleaks itself does not have.
const GITLEAKS_TOML: &str = r#"# gitleaks configuration for the acme monorepo.
title = "acme gitleaks config"
owner = "platform-security@acme.test"

# Start from gitleaks' default rule set.
[extend]
useDefault = true

[[rules]]
id = "acme-api-token"
description = "Acme API token"
regex = '''\b(acme_[a-zA-Z0-9]{32})\b'''
secretGroup = 1
entropy = 3.5
keywords = ["acme_"]
tags = ["api", "acme"]

    [[rules.allowlists]]
    description = "test tokens and placeholders"
    regexes = ['''^acme_[a-zA-Z0-9]{6}TEST''']
    stopwords = ["placeholder"]

[[rules]]
id = "internal-service-password"
description = "Password of an internal service account"
regex = '''(?i)(svc_?pass(?:word)?)\s*[:=]\s*["']?([A-Za-z0-9!@#%^&*]{16,40})["']?'''
secretGroup = 2
entropy = 3.0
keywords = ["svc_pass", "svcpass"]
path = '''\.(properties|env|ya?ml)$'''

    # The legacy setting name is a local mock's; the rule's regex match names it.
    [[rules.allowlists]]
    regexTarget = "match"
    regexes = ['''^(?i)svcpass\b''']

[allowlist]
description = "global allowlist"
paths = [
    '''(^|/)vendor/''',
    '''(^|/)third_party/''',
]
regexTarget = "line"
regexes = ['''(?i)changeme''']
"#;

/// The tree of a gitleaks-configured project; returns the values that must be found, as
/// (acme token, service password).
fn gitleaks_project(tree: &Tree) -> (String, String) {
    let token = acme_token(701, "");
    let password = service_password(702);
    tree.write(
        "src/client.py",
        fill(
            "import acme\n\nACME_TOKEN = \"{{T}}\"\nLOW = \"acme_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n",
            &[("T", &token)],
        ),
    );
    tree.write(
        "src/fixtures.py",
        fill(
            "TEST_TOKEN = \"{{T}}\"\nDOC_TOKEN = \"{{P}}\"\n",
            &[
                ("T", &acme_token(703, "TEST")),
                ("P", &acme_token(704, "PlaceHolder")),
            ],
        ),
    );
    tree.write(
        "config/app.properties",
        fill(
            "service.url=https://svc.acme.test\nsvc_password = {{P}}\n",
            &[("P", &password)],
        ),
    );
    tree.write(
        "config/dev.properties",
        "svc_password = ChangeMe7f3Kq9Lx2Vb8Rw\n",
    );
    tree.write(
        "config/mock.properties",
        format!("svcpass = {}\n", service_password(706)),
    );
    tree.write(
        "vendor/acme-sdk/client.py",
        format!("TOKEN = \"{}\"\n", acme_token(705, "")),
    );
    (token, password)
}

/// The warning lines on standard error.
fn warnings(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.contains("warning")).collect()
}

#[test]
fn gitleaks_config_is_discovered_and_imported() {
    let tree = Tree::new();
    tree.write(".gitleaks.toml", GITLEAKS_TOML);
    let (token, password) = gitleaks_project(&tree);
    // The password rule's `path` limits it to properties, env and YAML files.
    tree.write("docs/ops.md", format!("svc_password = {password}\n"));
    let out = scan_json(tree.path(), &[]);
    assert_no_panic(&out);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let doc = out.json();
    assert_config_ends_with(&doc, ".gitleaks.toml");
    // Found: the token (group 1) and the password (group 2, not the name in group 1). Not
    // found: the low-entropy token, the rule allowlists' test token and placeholder, the
    // password whose match the rule allowlist's `regexTarget = "match"` regex allows, the
    // global allowlist's `changeme` password and vendored token.
    assert_eq!(
        rule_values(&doc),
        vec![
            rv("acme-api-token", &token, "src/client.py"),
            rv(
                "internal-service-password",
                &password,
                "config/app.properties"
            ),
        ],
        "{doc:#}"
    );
    // The global allowlist dropped two: the vendored token (path) and `changeme` (regex).
    assert_eq!(suppressed(&doc), [0, 2, 0, 0], "{doc:#}");

    // One warning per unsupported field, each naming the file.
    let w = warnings(&out.stderr);
    for (field, needle) in [
        ("[extend]", "extend"),
        ("regexTarget = \"line\"", "regexTarget"),
        ("the unknown key", "owner"),
    ] {
        let n = w.iter().filter(|l| l.contains(needle)).count();
        assert_eq!(
            n, 1,
            "exactly one warning for {field} ({needle:?}), got {n}:\n{}",
            out.stderr
        );
    }
    assert_eq!(w.len(), 3, "no other warnings:\n{}", out.stderr);
    assert!(
        w.iter().all(|l| l.contains(".gitleaks.toml")),
        "warnings name the file:\n{}",
        out.stderr
    );

    // `--config .gitleaks.toml` gives the same result.
    let out2 = scan_json(tree.path(), &["--config", ".gitleaks.toml"]);
    assert_eq!(out2.code, 1, "{}", out2.stderr);
    assert_eq!(rule_values(&out2.json()), rule_values(&doc));
    assert_eq!(warnings(&out2.stderr).len(), 3, "{}", out2.stderr);

    // A gitleaks configuration under another name is recognised by its content.
    tree.write("ci/secret-scanning.toml", GITLEAKS_TOML);
    let out4 = scan_json(tree.path(), &["--config", "ci/secret-scanning.toml"]);
    assert_eq!(out4.code, 1, "{}", out4.stderr);
    assert_eq!(rule_values(&out4.json()), rule_values(&doc));
    assert_eq!(warnings(&out4.stderr).len(), 3, "{}", out4.stderr);

    // `--quiet` silences the warnings, not the result.
    let out3 = scan_json(tree.path(), &["--quiet"]);
    assert_eq!(out3.code, 1, "{}", out3.stderr);
    assert!(warnings(&out3.stderr).is_empty(), "{}", out3.stderr);
}

#[test]
fn gitleaks_config_in_a_git_repository() {
    let repo = GitRepo::init();
    repo.write(".gitleaks.toml", GITLEAKS_TOML);
    let (token, password) = gitleaks_project(&repo.tree);
    repo.commit_all("acme services");
    let out = scan_json(repo.path(), &[]);
    assert_no_panic(&out);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let doc = out.json();
    assert_config_ends_with(&doc, ".gitleaks.toml");
    assert_eq!(
        rule_values(&doc)
            .into_iter()
            .map(|(r, v, _)| (r, v))
            .collect::<Vec<_>>(),
        vec![
            ("acme-api-token".to_string(), token),
            ("internal-service-password".to_string(), password),
        ],
        "{doc:#}"
    );
}

#[test]
fn keyhound_toml_wins_over_gitleaks_toml() {
    let tree = Tree::new();
    tree.write(".gitleaks.toml", GITLEAKS_TOML);
    tree.write(".keyhound.toml", DISABLE_KEY_IDS);
    gitleaks_project(&tree);
    let lone = key_id(711);
    tree.write("iam.json", lone_key_json(&lone));
    let out = scan_json(tree.path(), &[]);
    assert_no_panic(&out);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_config_ends_with(&doc, ".keyhound.toml");
    assert_eq!(rule_values(&doc), vec![], "{doc:#}");
    assert_eq!(suppressed(&doc), [0, 0, 1, 0], "{doc:#}");
    assert!(warnings(&out.stderr).is_empty(), "{}", out.stderr);
}

#[test]
fn broken_gitleaks_config_is_an_error() {
    let tree = Tree::new();
    tree.write(
        ".gitleaks.toml",
        GITLEAKS_TOML.replace(r"\b(acme_[a-zA-Z0-9]{32})\b", r"\b(acme_[a-zA-Z0-9]{32}\b"),
    );
    tree.write("src/client.py", "print('hello')\n");
    let out = scan_json(tree.path(), &[]);
    assert_no_panic(&out);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(".gitleaks.toml") && out.stderr.contains("acme-api-token"),
        "{}",
        out.stderr
    );
}

#[test]
fn gitleaks_target_rules_keyhound_lacks_are_a_warning() {
    let tree = Tree::new();
    // `targetRules` may name gitleaks' own default rules, which keyhound does not have; the
    // others are spelt as gitleaks spells ids, and name the imported rule.
    let config = format!(
        "{}\n[[allowlists]]\ntargetRules = [\"generic-api-key\", \"Acme_API_Token\"]\npaths = ['''(^|/)src/''']\n",
        GITLEAKS_TOML
    );
    tree.write(".gitleaks.toml", config);
    gitleaks_project(&tree);
    let out = scan_json(tree.path(), &[]);
    assert_no_panic(&out);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let w = warnings(&out.stderr);
    assert_eq!(
        w.iter().filter(|l| l.contains("generic-api-key")).count(),
        1,
        "{}",
        out.stderr
    );
    let doc = out.json();
    assert!(
        rule_values(&doc)
            .iter()
            .all(|(rule, _, _)| rule != "acme-api-token"),
        "the imported rule's allowlist applies: {doc:#}"
    );
}
