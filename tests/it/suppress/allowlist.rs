//! Allowlists in `.keyhound.toml`: path globs (gitignore-style, relative to the scanned
//! directory), path regexes, regexes on the secret or a lone key ID, stopwords, and per-rule
//! allowlists that apply only to their rule.

use super::{
    assert_config_ends_with, lone_key_json, lone_secret_env, pair_env, rule_values, rv, suppressed,
};
use crate::support::*;

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
fn allowlist_of_thousands_of_path_globs() {
    // As many globs as allowed, each needing a regex (as one set, they failed with "error
    // building NFA"): compiled in sets, and a file's path is matched once however many
    // findings it holds. A directory glob covers the files below it.
    let keys: Vec<String> = (0..4).map(|i| key_id(570 + i)).collect();
    let mut globs: Vec<String> = (0..9999).map(|i| format!("build{i}/**/*.min.js")).collect();
    globs.push("vendor/*/dist".into());
    let config = format!("[allowlist]\npaths = [\n{}]\n", {
        let quoted: Vec<String> = globs.iter().map(|g| format!("  '{g}',\n")).collect();
        quoted.concat()
    });
    let many = keys[0..2]
        .iter()
        .map(|k| lone_key_json(k))
        .collect::<Vec<_>>()
        .join("\n");
    let case = Case::new("thousands of globs")
        .file("build9998/js/app.min.js", &many)
        .file("vendor/lib/dist/deep/x.json", lone_key_json(&keys[2]))
        .file("build9998/js/app.js", lone_key_json(&keys[3]))
        .expect(lone_key(&keys[3]).key_at(3).in_file("build9998/js/app.js"));
    case.tree.write(".keyhound.toml", config);
    let doc = case.check();
    assert_eq!(suppressed(&doc), [0, 3, 0, 0], "{doc:#}");
}

#[test]
fn allowlist_past_the_entry_limit_is_a_clear_error() {
    for field in ["paths", "regexes", "path_regexes"] {
        let entries: Vec<String> = (0..10_001).map(|i| format!("  'x{i}y',\n")).collect();
        let tree = Tree::new();
        tree.write(
            ".keyhound.toml",
            format!(
                "disable = []\n\n[allowlist]\n{field} = [\n{}]\n",
                entries.concat()
            ),
        );
        tree.write("a.txt", "nothing\n");
        let out = scan_json(tree.path(), &[]);
        assert_no_panic(&out);
        assert_eq!(out.code, 2, "{field}: {}", out.stderr);
        let want =
            format!(".keyhound.toml: line 4: allowlist.{field}: 10001 entries; at most 10000");
        assert!(out.stderr.contains(&want), "{field}: {}", out.stderr);
    }
}
