//! What keeps a finding out of the report: inline ignore comments, the project configuration
//! (`.keyhound.toml`: discovery, `--config`, `--no-config`, every allowlist kind, disabled
//! rules, and its errors), the baseline (write, rescan, new secret, moved file, malformed file),
//! and the import of a gitleaks configuration (`.gitleaks.toml`) with its warnings. Every
//! mechanism's count in `summary.suppressed` is checked along with the findings.

use std::path::Path;

use serde_json::Value;

use crate::support::*;

const MARKERS: [&str; 3] = [
    "keyhound:allow",
    "gitleaks:allow",
    "pragma: allowlist secret",
];

/// `summary.suppressed` as `[inline, allowlist, disabled_rules, baseline]`.
fn suppressed(doc: &Value) -> [u64; 4] {
    let s = &doc["summary"]["suppressed"];
    let n = |k: &str| {
        s[k].as_u64()
            .unwrap_or_else(|| panic!("summary.suppressed.{k} missing: {doc:#}"))
    };
    [
        n("inline"),
        n("allowlist"),
        n("disabled_rules"),
        n("baseline"),
    ]
}

/// `summary.config`: the configuration file used, or `None`.
fn config_of(doc: &Value) -> Option<String> {
    doc["summary"]["config"].as_str().map(str::to_string)
}

fn assert_config_ends_with(doc: &Value, name: &str) {
    let c = config_of(doc);
    assert!(
        c.as_deref().is_some_and(|c| c.ends_with(name)),
        "summary.config must name {name}, got {c:?}"
    );
}

/// A finding as (rule id, secret or key ID, primary path), for reports with user rules (whose
/// severities `support::verify` does not know).
fn rule_values(doc: &Value) -> Vec<(String, String, String)> {
    let mut v: Vec<(String, String, String)> = doc["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings in {doc:#}"))
        .iter()
        .map(|f| {
            let value = f["secret"]
                .as_str()
                .or_else(|| f["aws"]["key_id"].as_str())
                .unwrap_or("?");
            (
                f["rule_id"].as_str().unwrap_or("?").to_string(),
                value.to_string(),
                f["path"].as_str().unwrap_or("?").to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn rv(rule: &str, value: &str, path: &str) -> (String, String, String) {
    (rule.into(), value.into(), path.into())
}

/// The lines of a key pair in an env file.
fn pair_env(k: &str, s: &str) -> String {
    fill(
        "AWS_REGION=eu-west-1\nAWS_ACCESS_KEY_ID={{K}}\nAWS_SECRET_ACCESS_KEY={{S}}\n",
        &[("K", k), ("S", s)],
    )
}

/// A key ID alone (in an IAM listing), at line 3.
fn lone_key_json(k: &str) -> String {
    fill(
        "{\n  \"UserName\": \"deploy\",\n  \"AccessKeyId\": \"{{K}}\",\n  \"Status\": \"Active\"\n}\n",
        &[("K", k)],
    )
}

/// A secret alone, named as an AWS secret, at line 2.
fn lone_secret_env(s: &str) -> String {
    fill(
        "AWS_REGION=us-east-1\nAWS_SECRET_ACCESS_KEY={{S}}\n",
        &[("S", s)],
    )
}

/// A substring of `s` (upper-cased, to check case-insensitivity) that none of `others`
/// contains, ignoring case.
fn distinctive_part(s: &str, others: &[&str]) -> String {
    for start in 0..s.len() - 8 {
        let part = s[start..start + 8].to_ascii_lowercase();
        if part.bytes().all(|b| b.is_ascii_alphanumeric())
            && part.bytes().any(|b| b.is_ascii_alphabetic())
            && others
                .iter()
                .all(|o| !o.to_ascii_lowercase().contains(&part))
        {
            return part.to_ascii_uppercase();
        }
    }
    panic!("no distinctive part in {s}");
}

// ------------------------------------------------------------------------------------------
// Inline ignore comments
// ------------------------------------------------------------------------------------------

#[test]
fn each_inline_marker_suppresses_on_any_line_of_a_finding() {
    let mut failures = Vec::new();
    for (m, marker) in MARKERS.iter().enumerate() {
        let seed = 100 + 10 * m as u64;
        let (k, s) = (key_id(seed), secret(seed));
        let lone = key_id(seed + 1);
        let cases = [
            (
                "on the key line of a pair",
                fill(
                    "[default]\naws_access_key_id = {{K}}  # {{M}}\naws_secret_access_key = {{S}}\n",
                    &[("K", &k), ("S", &s), ("M", marker)],
                ),
            ),
            (
                "on the secret line of a pair",
                fill(
                    "[default]\naws_access_key_id = {{K}}\naws_secret_access_key = {{S}}  # {{M}}\n",
                    &[("K", &k), ("S", &s), ("M", marker)],
                ),
            ),
            (
                "on a lone key line",
                fill(
                    "deploy:\n  user: ci\n  access_key_id: {{K}}  # {{M}}\n",
                    &[("K", &lone), ("M", marker)],
                ),
            ),
        ];
        for (what, text) in cases {
            let name = format!("{marker:?} {what}");
            let case = Case::new(&name).file("creds.cfg", &text);
            match case.run() {
                Ok(doc) => {
                    if suppressed(&doc) != [1, 0, 0, 0] {
                        failures.push(format!(
                            "[{name}] summary.suppressed {:?}, expected inline 1",
                            suppressed(&doc)
                        ));
                    }
                }
                Err(e) => failures.push(e),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn inline_marker_on_another_line_does_not_suppress() {
    let mut failures = Vec::new();
    for (m, marker) in MARKERS.iter().enumerate() {
        let seed = 200 + 10 * m as u64;
        let (k, s) = (key_id(seed), secret(seed));
        let lone = key_id(seed + 1);
        let cases = [
            (
                "on a comment line above the pair",
                fill(
                    "# {{M}}\n\n[default]\naws_access_key_id = {{K}}\naws_secret_access_key = {{S}}\n",
                    &[("K", &k), ("S", &s), ("M", marker)],
                ),
                pair(&k, &s).key_at(4).secret_at(5),
            ),
            (
                "between the key line and the secret line",
                fill(
                    "[default]\naws_access_key_id = {{K}}\n# {{M}}\naws_secret_access_key = {{S}}\n",
                    &[("K", &k), ("S", &s), ("M", marker)],
                ),
                pair(&k, &s).key_at(2).secret_at(4),
            ),
            (
                "on the line below a lone key",
                fill(
                    "deploy:\n  access_key_id: {{K}}\n  note: rotated  # {{M}}\n",
                    &[("K", &lone), ("M", marker)],
                ),
                lone_key(&lone).key_at(2),
            ),
        ];
        for (what, text, want) in cases {
            let name = format!("{marker:?} {what}");
            let case = Case::new(&name).file("creds.cfg", &text).expect(want);
            match case.run() {
                Ok(doc) => {
                    if suppressed(&doc) != [0, 0, 0, 0] {
                        failures.push(format!(
                            "[{name}] summary.suppressed {:?}, expected none",
                            suppressed(&doc)
                        ));
                    }
                }
                Err(e) => failures.push(e),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn inline_markers_are_counted_and_summarised() {
    // Three findings in one scan, one per marker; a fourth is reported.
    let (k1, s1) = (key_id(301), secret(301));
    let k2 = key_id(302);
    let s3 = secret(303);
    let (k4, s4) = (key_id(304), secret(304));
    let doc = Case::new("three markers")
        .file(
            "a.ini",
            fill(
                "[prod]\naws_access_key_id = {{K}} ; keyhound:allow\naws_secret_access_key = {{S}}\n",
                &[("K", &k1), ("S", &s1)],
            ),
        )
        .file("b.json", lone_key_json(&k2).replace("\"Active\"", "\"Active\" // gitleaks:allow").replace(
            &format!("\"{k2}\","),
            &format!("\"{k2}\", // pragma: allowlist secret"),
        ))
        .file(
            "c.env",
            lone_secret_env(&s3).replace(&s3, &format!("{s3} # keyhound:allow")),
        )
        .file("d.env", pair_env(&k4, &s4))
        .expect(pair(&k4, &s4).key_at(2).secret_at(3).in_file("d.env"))
        .check();
    assert_eq!(suppressed(&doc), [3, 0, 0, 0], "{doc:#}");

    // The text summary says the same.
    let tree = Tree::new();
    tree.write(
        "a.ini",
        fill(
            "[prod]\naws_access_key_id = {{K}} ; keyhound:allow\naws_secret_access_key = {{S}}\n",
            &[("K", &k1), ("S", &s1)],
        ),
    );
    let out = keyhound(tree.path())
        .args(["scan", "--no-verify", "."])
        .run();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("suppressed 1 by inline comments"),
        "{}",
        out.stderr
    );
}

#[test]
fn inline_marker_suppresses_a_user_rule_finding() {
    let tree = Tree::new();
    tree.write(
        ".keyhound.toml",
        r#"[[rules]]
id = "widget-token"
name = "Widget service token"
severity = "high"
pattern = '''\b(wdg_[A-Za-z0-9]{24})\b'''
keywords = ["wdg_"]
"#,
    );
    let kept = "wdg_Q3vLx9TzK2mWp7RbN4cJh8Ys";
    let ignored = "wdg_Fh2Kd8QpZ5wLs3XrB9nTc6Vm";
    tree.write(
        "widgets.py",
        format!("KEPT = \"{kept}\"\nTEST_TOKEN = \"{ignored}\"  # keyhound:allow\n"),
    );
    let out = scan_json(tree.path(), &[]);
    assert_no_panic(&out);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(
        rule_values(&doc),
        vec![rv("widget-token", kept, "widgets.py")],
        "{doc:#}"
    );
    assert_eq!(suppressed(&doc), [1, 0, 0, 0], "{doc:#}");
}

// ------------------------------------------------------------------------------------------
// Configuration discovery
// ------------------------------------------------------------------------------------------

const DISABLE_KEY_IDS: &str =
    "# Lone key IDs are noise in this project.\ndisable = [\"aws-access-key-id\"]\n";
const DISABLE_SECRETS: &str = "disable = [\"aws-secret-access-key\"]\n";

#[test]
fn keyhound_toml_at_top_of_scanned_dir_is_used() {
    let (k, s) = (key_id(401), secret(401));
    let case = Case::new("discovered")
        .file("iam.json", lone_key_json(&k))
        .file("prod.env", lone_secret_env(&s))
        .expect(lone_secret(&s).secret_at(2).in_file("prod.env"));
    case.tree.write(".keyhound.toml", DISABLE_KEY_IDS);
    let doc = case.check();
    assert_config_ends_with(&doc, ".keyhound.toml");
    assert_eq!(suppressed(&doc), [0, 0, 1, 0], "{doc:#}");

    // `--no-config` ignores it.
    let case = Case::new("--no-config")
        .file("iam.json", lone_key_json(&k))
        .file("prod.env", lone_secret_env(&s))
        .arg("--no-config")
        .expect(lone_key(&k).key_at(3).in_file("iam.json"))
        .expect(lone_secret(&s).secret_at(2).in_file("prod.env"));
    case.tree.write(".keyhound.toml", DISABLE_KEY_IDS);
    let doc = case.check();
    assert_eq!(config_of(&doc), None, "{doc:#}");
    assert_eq!(suppressed(&doc), [0, 0, 0, 0], "{doc:#}");

    // Scanning the directory from its parent finds it too.
    let tree = Tree::new();
    tree.write("proj/.keyhound.toml", DISABLE_KEY_IDS);
    tree.write("proj/iam.json", lone_key_json(&k));
    let out = scan_json_at(tree.path(), &[], "proj");
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(rule_values(&doc), vec![], "{doc:#}");
    assert_config_ends_with(&doc, "proj/.keyhound.toml");
    assert_eq!(suppressed(&doc), [0, 0, 1, 0], "{doc:#}");

    // No configuration at all: none reported.
    let tree = Tree::new();
    tree.write("iam.json", lone_key_json(&k));
    let out = scan_json(tree.path(), &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(config_of(&out.json()), None);
}

#[test]
fn config_flag_replaces_the_discovered_file() {
    let (k, s) = (key_id(411), secret(411));
    let case = Case::new("--config")
        .file("iam.json", lone_key_json(&k))
        .file("prod.env", lone_secret_env(&s))
        .arg("--config")
        .arg("ci/keyhound-ci.toml")
        .expect(lone_key(&k).key_at(3).in_file("iam.json"));
    case.tree.write(".keyhound.toml", DISABLE_KEY_IDS);
    case.tree.write("ci/keyhound-ci.toml", DISABLE_SECRETS);
    let doc = case.check();
    assert_config_ends_with(&doc, "ci/keyhound-ci.toml");
    assert_eq!(suppressed(&doc), [0, 0, 1, 0], "{doc:#}");

    // A configuration file that does not exist is an error.
    let tree = Tree::new();
    tree.write("iam.json", lone_key_json(&k));
    let out = scan_json(tree.path(), &["--config", "missing.toml"]);
    assert_no_panic(&out);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("missing.toml"), "{}", out.stderr);
}

#[test]
fn keyhound_toml_at_top_of_git_repo_is_used() {
    let (k, s) = (key_id(421), secret(421));
    let repo = GitRepo::init();
    repo.write(".keyhound.toml", DISABLE_KEY_IDS);
    repo.write("deploy/iam.json", lone_key_json(&k));
    repo.write("deploy/prod.env", lone_secret_env(&s));
    repo.commit_all("deploy settings");

    let out = scan_json(repo.path(), &[]);
    assert_no_panic(&out);
    let doc = out.json();
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(
        rule_values(&doc),
        vec![rv(SECRET, &s, "deploy/prod.env")],
        "{doc:#}"
    );
    assert_config_ends_with(&doc, ".keyhound.toml");
    assert!(suppressed(&doc)[2] >= 1, "{doc:#}");

    // A subdirectory of the repository: the configuration at the top still applies.
    let out = scan_json_at(repo.path(), &[], "deploy");
    assert_no_panic(&out);
    let doc = out.json();
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(
        rule_values(&doc)
            .into_iter()
            .map(|(r, v, _)| (r, v))
            .collect::<Vec<_>>(),
        vec![(SECRET.to_string(), s.clone())],
        "{doc:#}"
    );
    let config = config_of(&doc).unwrap_or_default();
    assert!(
        config.ends_with(".keyhound.toml") && !config.contains("deploy"),
        "{config:?}"
    );

    // `--no-config` in the repository.
    let out = scan_json(repo.path(), &["--no-config"]);
    let doc = out.json();
    assert_eq!(config_of(&doc), None);
    assert_eq!(
        rule_values(&doc)
            .into_iter()
            .map(|(r, _, _)| r)
            .collect::<Vec<_>>(),
        vec![KEY.to_string(), SECRET.to_string()],
        "{doc:#}"
    );
}

// ------------------------------------------------------------------------------------------
// Allowlists and disabled rules
// ------------------------------------------------------------------------------------------

#[test]
fn allowlist_path_globs() {
    let keys: Vec<String> = (0..6).map(|i| key_id(500 + i)).collect();
    let config = "[allowlist]\npaths = [\"fixtures/**\", \"*.md\"]\n";
    let case = Case::new("path globs")
        .file("fixtures/aws/iam.json", lone_key_json(&keys[0]))
        .file("fixtures/iam.json", lone_key_json(&keys[1]))
        .file("README.md", lone_key_json(&keys[2]))
        .file("docs/guide/setup.md", lone_key_json(&keys[3]))
        // Not under the top-level fixtures/, and not markdown.
        .file("src/fixtures/iam.json", lone_key_json(&keys[4]))
        .file("docs/setup.md.txt", lone_key_json(&keys[5]))
        .expect(
            lone_key(&keys[4])
                .key_at(3)
                .in_file("src/fixtures/iam.json"),
        )
        .expect(lone_key(&keys[5]).key_at(3).in_file("docs/setup.md.txt"));
    case.tree.write(".keyhound.toml", config);
    let doc = case.check();
    assert_eq!(suppressed(&doc), [0, 4, 0, 0], "{doc:#}");

    // Globs are relative to the scanned directory, wherever the scan is run from.
    let tree = Tree::new();
    tree.write("proj/.keyhound.toml", config);
    tree.write("proj/fixtures/iam.json", lone_key_json(&keys[0]));
    tree.write("proj/NOTES.md", lone_key_json(&keys[2]));
    tree.write("proj/src/iam.json", lone_key_json(&keys[4]));
    let out = scan_json_at(tree.path(), &[], "proj");
    assert_no_panic(&out);
    let doc = out.json();
    assert_eq!(
        rule_values(&doc),
        vec![rv(KEY, &keys[4], "proj/src/iam.json")],
        "{doc:#}"
    );
    assert_eq!(suppressed(&doc), [0, 2, 0, 0], "{doc:#}");
}

#[test]
fn allowlist_path_globs_are_gitignore_style() {
    // In a gitignore pattern `*` does not match `/`, a pattern with a slash is anchored at the
    // root, and a bare name matches a directory at any depth.
    let keys: Vec<String> = (0..5).map(|i| key_id(520 + i)).collect();
    let case = Case::new("gitignore-style globs")
        .file("docs/index.md", lone_key_json(&keys[0]))
        .file("docs/api/index.md", lone_key_json(&keys[1]))
        .file("testdata/iam.json", lone_key_json(&keys[2]))
        .file("pkg/testdata/iam.json", lone_key_json(&keys[3]))
        .file("pkg/data/iam.json", lone_key_json(&keys[4]))
        .expect(lone_key(&keys[1]).key_at(3).in_file("docs/api/index.md"))
        .expect(lone_key(&keys[4]).key_at(3).in_file("pkg/data/iam.json"));
    case.tree.write(
        ".keyhound.toml",
        "[allowlist]\npaths = [\"docs/*.md\", \"testdata\"]\n",
    );
    let doc = case.check();
    assert_eq!(suppressed(&doc), [0, 3, 0, 0], "{doc:#}");
}

#[test]
fn allowlist_path_regexes() {
    let keys: Vec<String> = (0..3).map(|i| key_id(530 + i)).collect();
    let case = Case::new("path regexes")
        .file("generated/aws/iam.json", lone_key_json(&keys[0]))
        .file("src/iam_test.json", lone_key_json(&keys[1]))
        .file("src/iam.json", lone_key_json(&keys[2]))
        .expect(lone_key(&keys[2]).key_at(3).in_file("src/iam.json"));
    case.tree.write(
        ".keyhound.toml",
        "[allowlist]\npath_regexes = ['''^generated/''', '''_test\\.json$''']\n",
    );
    let doc = case.check();
    assert_eq!(suppressed(&doc), [0, 2, 0, 0], "{doc:#}");
}

#[test]
fn allowlist_regexes_match_the_secret_or_a_lone_key_id() {
    let (k1, s1) = (key_id(541), secret(541));
    let (k2, s2) = (key_id(542), secret(542));
    let lone = key_id(543);
    let (k4, s4) = (key_id(544), secret(544));
    let config = fill(
        "[allowlist]\nregexes = [\n  '''^{{S1}}''',\n  '''^{{LONE}}$''',\n  '''^{{K4}}$''',\n]\n",
        &[
            ("S1", &regex::escape(&s1[..12])),
            ("LONE", &regex::escape(&lone)),
            ("K4", &regex::escape(&k4)),
        ],
    );
    // The configuration lives outside the scanned tree: it holds key IDs itself.
    let elsewhere = Tree::new();
    let config_path = elsewhere.write("keyhound.toml", &config);
    let case = Case::new("regexes")
        .arg("--config")
        .arg(config_path.to_str().expect("UTF-8 path"))
        .file("one.env", pair_env(&k1, &s1))
        .file("two.env", pair_env(&k2, &s2))
        .file("iam.json", lone_key_json(&lone))
        // A regex on the key ID of a pair does not apply: a pair's value is its secret.
        .file("four.env", pair_env(&k4, &s4))
        .expect(pair(&k2, &s2).key_at(2).secret_at(3).in_file("two.env"))
        .expect(pair(&k4, &s4).key_at(2).secret_at(3).in_file("four.env"));
    let doc = case.check();
    assert_eq!(suppressed(&doc), [0, 2, 0, 0], "{doc:#}");
    assert_config_ends_with(&doc, "keyhound.toml");
}

#[test]
fn allowlist_stopwords() {
    let (k1, s1) = (key_id(551), secret(551));
    let (k2, s2) = (key_id(552), secret(552));
    let stop = distinctive_part(&s1, &[&s2, &k1, &k2]);
    let case = Case::new("stopwords")
        .file("one.env", pair_env(&k1, &s1))
        .file("two.env", pair_env(&k2, &s2))
        .expect(pair(&k2, &s2).key_at(2).secret_at(3).in_file("two.env"));
    case.tree.write(
        ".keyhound.toml",
        format!("[allowlist]\nstopwords = [\"{stop}\"]\n"),
    );
    let doc = case.check();
    assert_eq!(suppressed(&doc), [0, 1, 0, 0], "{doc:#}");
}

#[test]
fn per_rule_allowlist_applies_only_to_its_rule() {
    // The same secret alone (aws-secret-access-key) and in a pair (aws-access-key-pair).
    let s = secret(561);
    let k = key_id(561);
    let stop = distinctive_part(&s, &[&k]);
    let lone_k = key_id(562);
    let (k3, s3) = (key_id(563), secret(563));
    let config = fill(
        "[allowlist.rule.aws-secret-access-key]\nstopwords = [\"{{STOP}}\"]\n\n\
         [allowlist.rule.aws-access-key-id]\npaths = [\"tests/**\"]\n",
        &[("STOP", &stop)],
    );
    let case = Case::new("per-rule allowlists")
        .file("lone.env", lone_secret_env(&s))
        .file("pair.env", pair_env(&k, &s))
        .file("tests/iam.json", lone_key_json(&lone_k))
        .file("tests/pair.env", pair_env(&k3, &s3))
        .expect(pair(&k, &s).key_at(2).secret_at(3).in_file("pair.env"))
        .expect(
            pair(&k3, &s3)
                .key_at(2)
                .secret_at(3)
                .in_file("tests/pair.env"),
        );
    case.tree.write(".keyhound.toml", &config);
    let doc = case.check();
    assert_eq!(suppressed(&doc), [0, 2, 0, 0], "{doc:#}");

    // The same entries as a global allowlist drop all four.
    let case = Case::new("the same, global")
        .file("lone.env", lone_secret_env(&s))
        .file("pair.env", pair_env(&k, &s))
        .file("tests/iam.json", lone_key_json(&lone_k))
        .file("tests/pair.env", pair_env(&k3, &s3));
    case.tree.write(
        ".keyhound.toml",
        format!("[allowlist]\nstopwords = [\"{stop}\"]\npaths = [\"tests/**\"]\n"),
    );
    let doc = case.check();
    assert_eq!(suppressed(&doc), [0, 4, 0, 0], "{doc:#}");
}

#[test]
fn disabled_rule_drops_lone_key_ids_but_keeps_pairs() {
    let (k, s) = (key_id(571), secret(571));
    let lone = key_id(572);
    let case = Case::new("disable aws-access-key-id")
        .file("prod.env", pair_env(&k, &s))
        .file("iam.json", lone_key_json(&lone))
        .expect(pair(&k, &s).key_at(2).secret_at(3).in_file("prod.env"));
    case.tree.write(".keyhound.toml", DISABLE_KEY_IDS);
    let doc = case.check();
    assert_eq!(suppressed(&doc), [0, 0, 1, 0], "{doc:#}");
    assert_config_ends_with(&doc, ".keyhound.toml");
}

#[test]
fn text_summary_counts_every_mechanism() {
    let (k1, s1) = (key_id(581), secret(581));
    let k2 = key_id(582);
    let k3 = key_id(583);
    let tree = Tree::new();
    tree.write(
        ".keyhound.toml",
        "disable = [\"aws-access-key-id\"]\n[allowlist]\npaths = [\"vendor/**\"]\n",
    );
    tree.write(
        "a.env",
        pair_env(&k1, &s1).replace(&s1, &format!("{s1}  # keyhound:allow")),
    );
    tree.write("iam.json", lone_key_json(&k2));
    tree.write("vendor/pair.env", pair_env(&k3, &secret(583)));
    let out = keyhound(tree.path())
        .args(["scan", "--no-verify", "."])
        .run();
    assert_no_panic(&out);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("suppressed 1 by inline comments, 1 by allowlists, 1 of disabled rules"),
        "{}",
        out.stderr
    );
}

// ------------------------------------------------------------------------------------------
// Configuration errors
// ------------------------------------------------------------------------------------------

/// Scans a tree holding `.keyhound.toml` with `config` and a lone key; returns the run.
fn scan_with_config(config: &str) -> Output {
    let tree = Tree::new();
    tree.write(".keyhound.toml", config);
    tree.write("iam.json", lone_key_json(&key_id(590)));
    let out = scan_json(tree.path(), &[]);
    assert_no_panic(&out);
    out
}

#[test]
fn bad_allowlist_regex_is_a_clear_error() {
    let out = scan_with_config("[allowlist]\nregexes = ['''^fine$''', '''(unclosed''']\n");
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(".keyhound.toml")
            && out.stderr.contains("line 2: allowlist.regexes")
            && out.stderr.contains("(unclosed"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "no report on a config error");

    // The same in a per-rule allowlist, and in `path_regexes`.
    let out = scan_with_config("[allowlist.rule.aws-access-key-id]\nregexes = ['''[z-a]''']\n");
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(".keyhound.toml")
            && out
                .stderr
                .contains("line 2: allowlist.rule.aws-access-key-id.regexes"),
        "{}",
        out.stderr
    );
    let out = scan_with_config("[allowlist]\npath_regexes = ['''***''']\n");
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(".keyhound.toml")
            && out.stderr.contains("line 2: allowlist.path_regexes"),
        "{}",
        out.stderr
    );
}

#[test]
fn bad_user_rule_regex_is_a_clear_error() {
    let out = scan_with_config(
        "[[rules]]\nid = \"widget-token\"\nname = \"Widget\"\nseverity = \"high\"\n\
         pattern = '''(wdg_[A-Z'''\nkeywords = [\"wdg_\"]\n",
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(".keyhound.toml")
            && out
                .stderr
                .contains("line 5: rule \"widget-token\": pattern"),
        "{}",
        out.stderr
    );
}

#[test]
fn unknown_config_field_names_the_field_and_line() {
    let out = scan_with_config("# settings\ndisable = []\ncolour = \"blue\"\n");
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(".keyhound.toml")
            && out.stderr.contains("colour")
            && out.stderr.contains("line 3"),
        "{}",
        out.stderr
    );

    // Inside the allowlist table.
    let out = scan_with_config("disable = []\n\n[allowlist]\npaths = [\"a/**\"]\npath = \"b\"\n");
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(".keyhound.toml")
            && out.stderr.contains("path")
            && out.stderr.contains("line 5"),
        "{}",
        out.stderr
    );

    // A field of the wrong type.
    let out = scan_with_config("\ndisable = \"aws-access-key-id\"\n");
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(".keyhound.toml")
            && out.stderr.contains("disable")
            && out.stderr.contains("line 2"),
        "{}",
        out.stderr
    );
}

#[test]
fn disabling_an_unknown_rule_is_an_error() {
    let out = scan_with_config("disable = [\"aws-access-key-id\", \"no-such-rule\"]\n");
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(".keyhound.toml") && out.stderr.contains("no-such-rule"),
        "{}",
        out.stderr
    );
}

// ------------------------------------------------------------------------------------------
// Baseline
// ------------------------------------------------------------------------------------------

/// The fingerprints of a report's findings, sorted and deduplicated.
fn fingerprints(doc: &Value) -> Vec<String> {
    let mut v: Vec<String> = doc["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| f["fingerprint"].as_str().unwrap_or("?").to_string())
        .collect();
    v.sort();
    v.dedup();
    v
}

/// Checks a baseline file's form: comment lines, then one `FINGERPRINT RULE` line per finding,
/// sorted, with no timestamp; returns its fingerprints.
fn check_baseline_file(text: &str, doc: &Value) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let first_entry = lines
        .iter()
        .position(|l| !l.starts_with('#'))
        .unwrap_or(lines.len());
    assert!(
        first_entry >= 1,
        "the baseline starts with a comment:\n{text}"
    );
    let entries = &lines[first_entry..];
    assert!(
        entries
            .iter()
            .all(|l| !l.starts_with('#') && !l.trim().is_empty()),
        "comment lines come first, then one fingerprint per line:\n{text}"
    );
    let mut sorted = entries.to_vec();
    sorted.sort();
    assert_eq!(entries, &sorted[..], "the baseline is sorted:\n{text}");
    let mut fps = Vec::new();
    for e in entries {
        let mut parts = e.split_whitespace();
        let fp = parts.next().unwrap_or("");
        assert!(
            fp.len() == 32 && fp.bytes().all(|b| b.is_ascii_hexdigit()),
            "not a fingerprint: {e:?}"
        );
        let rule = parts.next().unwrap_or("");
        assert!(
            doc["findings"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|f| f["fingerprint"] == fp && f["rule_id"] == rule),
            "{e:?} is not a finding of the scan"
        );
        fps.push(fp.to_string());
    }
    for l in &lines {
        let digits_dash = l
            .as_bytes()
            .windows(5)
            .any(|w| w[..4].iter().all(u8::is_ascii_digit) && w[4] == b'-');
        assert!(
            !(l.contains("UTC") || (digits_dash && l.contains(':'))),
            "the baseline holds no timestamp: {l:?}"
        );
    }
    assert!(
        !text.contains(".env") && !text.contains(".json"),
        "the baseline holds no paths:\n{text}"
    );
    assert_eq!(fps, fingerprints(doc), "one line per finding");
    fps
}

/// The baseline round trip in `dir`, which holds `baseline_fixture`'s three findings. `extra`
/// is passed to every scan; `commit` records the work tree (a no-op outside git); `rename`
/// moves a file.
fn baseline_round_trip(
    dir: &Path,
    extra: &[&str],
    commit: &dyn Fn(&str),
    rename: &dyn Fn(&str, &str),
) {
    let args = |more: &[&str]| -> Vec<String> {
        extra
            .iter()
            .chain(more.iter())
            .map(|s| (*s).to_string())
            .collect()
    };
    let run = |more: &[&str]| {
        let a = args(more);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let out = scan_json(dir, &a);
        assert_no_panic(&out);
        out
    };

    // 1. Write the baseline: the findings are reported (exit 1) and written.
    let out = run(&["--write-baseline", "base.txt"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let first = out.json();
    let n = fingerprints(&first).len();
    assert_eq!(n, 3, "pair, lone key and lone secret: {first:#}");
    let text = std::fs::read_to_string(dir.join("base.txt")).expect("baseline written");
    let fps = check_baseline_file(&text, &first);
    assert_eq!(fps.len(), n);

    // Writing it again gives the same bytes.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let out = run(&["--write-baseline", "base-again.txt"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let again = std::fs::read_to_string(dir.join("base-again.txt")).expect("baseline written");
    assert_eq!(text, again, "the baseline does not change between runs");
    std::fs::remove_file(dir.join("base-again.txt")).expect("remove");
    commit("add the baseline");

    // 2. Rescan with it: nothing new.
    let out = run(&["--baseline", "base.txt"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(rule_values(&doc), vec![], "{doc:#}");
    assert_eq!(suppressed(&doc)[3], n as u64, "{doc:#}");
    assert!(
        out.stderr.contains(&format!("{n} by the baseline")),
        "{}",
        out.stderr
    );

    // 3. Move the files holding baselined secrets: still nothing new.
    rename("config/prod.env", "deploy/production.env");
    rename("iam.json", "docs/iam-listing.json");
    commit("move settings");
    let out = run(&["--baseline", "base.txt"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_eq!(rule_values(&doc), vec![], "{doc:#}");
    assert!(suppressed(&doc)[3] >= n as u64, "{doc:#}");

    // 4. A new secret: only it is reported.
    let (k, s) = (key_id(699), secret(699));
    std::fs::write(dir.join("new.env"), pair_env(&k, &s)).expect("write");
    commit("new settings");
    let out = run(&["--baseline", "base.txt"]);
    let doc = verify(
        "baseline + new secret",
        &out,
        &[pair(&k, &s).key_at(2).secret_at(3).in_file("new.env")],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(suppressed(&doc)[3] >= n as u64, "{doc:#}");

    // 5. A malformed baseline is an error naming the line.
    std::fs::write(
        dir.join("bad-base.txt"),
        format!(
            "# keyhound baseline\n{} {PAIR}\nnot-a-fingerprint {KEY}\n",
            fps[0]
        ),
    )
    .expect("write");
    let out = run(&["--baseline", "bad-base.txt"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("bad-base.txt:3") && out.stderr.contains("not-a-fingerprint"),
        "{}",
        out.stderr
    );
    // A baseline that does not exist is an error too.
    let out = run(&["--baseline", "no-such-base.txt"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("no-such-base.txt"), "{}", out.stderr);
}

fn baseline_fixture(write: &dyn Fn(&str, &str)) {
    let (k, s) = (key_id(601), secret(601));
    write("config/prod.env", &pair_env(&k, &s));
    write("iam.json", &lone_key_json(&key_id(602)));
    write("ops/secret.env", &lone_secret_env(&secret(603)));
}

#[test]
fn baseline_round_trip_in_a_plain_directory() {
    let tree = Tree::new();
    baseline_fixture(&|rel, text| {
        tree.write(rel, text);
    });
    let dir = tree.path().to_path_buf();
    baseline_round_trip(tree.path(), &["--no-history"], &|_| {}, &|from, to| {
        let dest = dir.join(to);
        std::fs::create_dir_all(dest.parent().expect("parent")).expect("mkdir");
        std::fs::rename(dir.join(from), dest).expect("rename");
    });
}

#[test]
fn baseline_round_trip_in_a_git_repository() {
    let repo = GitRepo::init();
    baseline_fixture(&|rel, text| {
        repo.write(rel, text);
    });
    repo.commit_all("settings");
    baseline_round_trip(
        repo.path(),
        &[],
        &|msg| {
            repo.commit_all(msg);
        },
        &|from, to| {
            std::fs::create_dir_all(repo.path().join(to).parent().expect("parent")).expect("mkdir");
            repo.git(&["mv", from, to]);
        },
    );
}

#[test]
fn baseline_written_after_allowlists() {
    // A finding the configuration suppresses is not written to the baseline.
    let (k, s) = (key_id(611), secret(611));
    let tree = Tree::new();
    tree.write(".keyhound.toml", DISABLE_KEY_IDS);
    tree.write("prod.env", pair_env(&k, &s));
    tree.write("iam.json", lone_key_json(&key_id(612)));
    let out = scan_json(tree.path(), &["--write-baseline", "base.txt"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let doc = out.json();
    let text = std::fs::read_to_string(tree.path().join("base.txt")).expect("baseline");
    let fps = check_baseline_file(&text, &doc);
    assert_eq!(fps.len(), 1, "{text}");
    assert!(!text.contains(KEY), "{text}");
}

// ------------------------------------------------------------------------------------------
// gitleaks configurations
// ------------------------------------------------------------------------------------------

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
/// with a path filter and a secret in group 2), per-rule allowlists, a global allowlist with
/// `regexTarget = "line"`, and a key gitleaks itself does not have.
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
        "svc_password = ChangeMe0123456789xyzQ\n",
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
