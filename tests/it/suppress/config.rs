//! The project configuration: `.keyhound.toml` found at the top of the scanned directory or
//! of its git repository, `--config` and `--no-config`, disabled rules, the text summary that
//! counts every mechanism, and the errors a configuration file gives (each naming the file,
//! the line and the field).

use super::{
    assert_config_ends_with, config_of, lone_key_json, lone_secret_env, pair_env, rule_values, rv,
    suppressed, DISABLE_KEY_IDS,
};
use crate::support::*;

// ------------------------------------------------------------------------------------------
// Discovery
// ------------------------------------------------------------------------------------------

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

#[test]
fn allowlist_paths_of_the_top_config_apply_from_a_subdirectory() {
    let (k, s) = (key_id(431), secret(431));
    let repo = GitRepo::init();
    repo.write(".keyhound.toml", "[allowlist]\npaths = [\"sub/**\"]\n");
    repo.write("sub/prod.env", pair_env(&k, &s));
    repo.write("README.md", "# service\n");
    repo.commit_all("settings");
    let parent = repo.path().parent().unwrap();
    let name = repo.path().file_name().unwrap().to_str().unwrap();
    let absolute = repo.path().join("sub");
    // (where keyhound runs, the path it scans): the paths are relative to the directory of
    // the configuration file, whichever of its subdirectories is scanned, from wherever.
    let sub_of_parent = format!("{name}/sub");
    let cases = [
        (repo.path().join("sub"), "."),
        (repo.path().to_path_buf(), "sub"),
        (parent.to_path_buf(), sub_of_parent.as_str()),
        (repo.path().join("sub"), absolute.to_str().unwrap()),
    ];
    for (cwd, target) in &cases {
        let out = scan_json_at(cwd, &[], target);
        assert_no_panic(&out);
        assert_eq!(out.code, 0, "{target} in {}: {}", cwd.display(), out.stderr);
        let doc = out.json();
        assert_eq!(rule_values(&doc), vec![], "{target}: {doc:#}");
        assert_eq!(suppressed(&doc), [0, 1, 0, 0], "{target}: {doc:#}");
        // Only the top of a repository has its history scanned; the summary says so.
        assert!(
            out.stderr.contains("history not scanned")
                && out.stderr.contains("is not the top of the git repository"),
            "{target}: {}",
            out.stderr
        );
    }
    // A file of the working directory, named alone.
    let out = scan_json_at(&repo.path().join("sub"), &[], "prod.env");
    assert_eq!(out.code, 0, "prod.env: {}", out.stderr);
    assert_eq!(
        suppressed(&out.json()),
        [0, 1, 0, 0],
        "{}",
        out.stdout_str()
    );
    // The top itself: history scanned, no note.
    let out = scan_json(repo.path(), &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        !out.stderr.contains("history not scanned"),
        "{}",
        out.stderr
    );
    // `--staged` from the subdirectory: the same allowlist.
    repo.write("sub/new.env", pair_env(&key_id(432), &secret(432)));
    repo.git(&["add", "sub/new.env"]);
    let out = json_scan(&repo.path().join("sub"), &["--staged"]).run();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        suppressed(&out.json()),
        [0, 1, 0, 0],
        "{}",
        out.stdout_str()
    );
}

// ------------------------------------------------------------------------------------------
// Disabled rules, and every mechanism in the summary
// ------------------------------------------------------------------------------------------

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
fn user_rule_regex_too_large_to_compile_is_a_load_error() {
    // Valid syntax, but a million states once the counted repetitions are expanded: it used
    // to compile on first use, fail, and leave the rule silently not running.
    let rule = "# big\n[[rules]]\nid = \"huge-token\"\nname = \"Huge\"\nseverity = \"high\"\n\
                pattern = '''hg_((?:[a-z0-9]{1000}){1000})'''\nkeywords = [\"hg_\"]\n";
    let out = scan_with_config(rule);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains(".keyhound.toml: line 6: rule \"huge-token\": pattern: too large")
            && out.stderr.contains("32 MiB"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "no report on a load error");
    // Large but within the limit: loads and runs.
    let ok = rule.replace("{1000})", "{10})");
    let out = scan_with_config(&ok);
    assert!(out.code == 0 || out.code == 1, "{}", out.stderr);
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

#[test]
fn allowlisting_an_unknown_rule_is_an_error() {
    // As `disable` does: a misspelt id would otherwise allowlist nothing, silently.
    let out = scan_with_config(
        "disable = []\n\n[allowlist.rule.aws-acess-key-id]\npaths = [\"iam.json\"]\n",
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(".keyhound.toml")
            && out.stderr.contains("line 3")
            && out.stderr.contains("allowlist.rule.aws-acess-key-id")
            && out.stderr.contains("no rule has the id"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "no report on a config error");
    // A rule the configuration itself adds is known.
    let out = scan_with_config(
        "[[rules]]\nid = \"widget-token\"\nname = \"Widget\"\nseverity = \"high\"\n\
         pattern = '''(wdg_[A-Z0-9]{24})'''\nkeywords = [\"wdg_\"]\n\n\
         [allowlist.rule.widget-token]\npaths = [\"x\"]\n",
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
}
