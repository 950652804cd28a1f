//! Rule files: `keyhound rules check` over every built-in rule, every file of `rules/` embedded
//! in the binary, `keyhound rules list`, the errors `rules check FILE` gives for broken user rule
//! files (failing example, bad regex, unknown field, duplicate id, wrong number of capture
//! groups), and a user rule added through `.keyhound.toml` at scan time, keyword prefilter
//! included.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use crate::support::*;

/// The four AWS rules, whose detection lives in code.
const AWS_IDS: [&str; 4] = [PAIR, SECRET, TOKEN, KEY];
/// The keystore rules: found by code (binary structure), listed with the others.
const KEYSTORE_IDS: [&str; 2] = ["keystore-java", "keystore-pkcs12"];

/// A widget token: `wdg_` and 24 characters of a seeded random alphanumeric body.
fn widget_token(seed: u64) -> String {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    format!(
        "wdg_{}",
        Rng::new(seed ^ 0x5749_4447_4554).string(ALNUM, 24)
    )
}

/// A well-formed user rule file with one rule (`widget-token`) whose examples behave.
fn good_rule_file() -> String {
    fill(
        r#"# Rules for the tokens of our in-house widget service.
[[rules]]
id = "widget-token"
name = "Widget service token"
description = "A token for the in-house widget service."
severity = "high"
pattern = '''\b(wdg_[A-Za-z0-9]{24})\b'''
keywords = ["wdg_"]
entropy = 3.0
references = ["https://widgets.keyhound.test/docs/tokens"]
examples = ['''WIDGET_TOKEN = "{{T1}}"''', '''widget: {{T2}}''']
negative_examples = ['''WIDGET_TOKEN = "wdg_aaaaaaaaaaaaaaaaaaaaaaaa"''', '''wdg_short''']
[rules.allowlist]
stopwords = ["example"]
"#,
        &[("T1", &widget_token(1)), ("T2", &widget_token(2))],
    )
}

/// `keyhound rules ARGS...` in `dir`.
fn rules_cmd(dir: &Path, args: &[&str]) -> Output {
    keyhound(dir).args(["rules"]).args(args).run()
}

/// Standard output and standard error together, for messages that may go to either.
fn all_output(out: &Output) -> String {
    format!("{}\n{}", out.stdout_str(), out.stderr)
}

/// The ids of the built-in rule files, as the library parses them.
fn builtin_file_ids() -> Vec<String> {
    keyhound::rule::builtin::specs()
        .unwrap_or_else(|e| panic!("built-in rules do not parse: {e}"))
        .into_iter()
        .map(|(_, spec)| spec.id)
        .collect()
}

// ------------------------------------------------------------------------------------------
// Built-in rules
// ------------------------------------------------------------------------------------------

#[test]
fn rules_check_passes_over_every_builtin_rule() {
    let tree = Tree::new();
    let out = rules_cmd(tree.path(), &["check"]);
    assert_no_panic(&out);
    assert_eq!(
        out.code,
        0,
        "`keyhound rules check` found problems in the built-in rules:\n{}",
        all_output(&out)
    );
    // The rule files' rules and the four of rules/aws.toml.
    let n = builtin_file_ids().len() + AWS_IDS.len();
    let want = format!("{n} rules checked");
    assert!(
        out.stdout_str().contains(&want),
        "expected {want:?} in the output:\n{}",
        all_output(&out)
    );
}

#[test]
fn every_file_in_rules_dir_is_embedded() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let on_disk: BTreeMap<String, String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry"))
        .filter(|e| e.path().is_file())
        // The directory's guide to writing rules is the one file that is not a rule file.
        .filter(|e| e.file_name() != "README.md")
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            assert!(
                name.ends_with(".toml"),
                "rules/{name}: every file in rules/ but README.md must be a .toml rule file (only those are embedded)"
            );
            let text = std::fs::read_to_string(e.path())
                .unwrap_or_else(|err| panic!("read rules/{name}: {err}"));
            (format!("rules/{name}"), text)
        })
        .collect();
    let embedded: BTreeMap<String, String> = keyhound::rule::builtin::embedded()
        .iter()
        .map(|(name, text)| ((*name).to_string(), (*text).to_string()))
        .collect();
    assert_eq!(
        keyhound::rule::builtin::embedded().len(),
        embedded.len(),
        "a rule file is embedded twice"
    );
    let disk_names: BTreeSet<&String> = on_disk.keys().collect();
    let embedded_names: BTreeSet<&String> = embedded.keys().collect();
    assert_eq!(
        disk_names, embedded_names,
        "the files in rules/ and the rule files embedded in the binary differ"
    );
    for (name, text) in &on_disk {
        assert!(
            embedded.get(name) == Some(text),
            "{name}: the embedded text differs from the file (a stale build?)"
        );
    }
}

#[test]
fn rules_list_lists_every_builtin_rule_once() {
    let tree = Tree::new();
    let out = rules_cmd(tree.path(), &["list"]);
    assert_no_panic(&out);
    assert_eq!(out.code, 0, "{}", all_output(&out));
    let stdout = out.stdout_str();
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut listed: BTreeMap<&str, usize> = BTreeMap::new();
    for l in &lines {
        let id = l.split_whitespace().next().unwrap_or("");
        *listed.entry(id).or_default() += 1;
    }
    let mut want: Vec<String> = AWS_IDS
        .iter()
        .chain(KEYSTORE_IDS.iter())
        .map(|s| (*s).to_string())
        .collect();
    want.extend(builtin_file_ids());
    for id in &want {
        assert_eq!(
            listed.get(id.as_str()).copied().unwrap_or(0),
            1,
            "rule {id:?} must be listed exactly once:\n{stdout}"
        );
    }
    assert_eq!(
        lines.len(),
        want.len(),
        "`rules list` lists rules that are not built in:\n{stdout}"
    );
    for id in AWS_IDS {
        let line = lines
            .iter()
            .find(|l| l.split_whitespace().next() == Some(id))
            .expect("listed");
        assert!(line.contains("rules/aws.toml"), "source of {id}: {line}");
    }
    for id in KEYSTORE_IDS {
        let line = lines
            .iter()
            .find(|l| l.split_whitespace().next() == Some(id))
            .expect("listed");
        assert!(
            line.contains("src/detect/keystore.rs"),
            "source of {id}: {line}"
        );
    }
    assert!(
        lines
            .iter()
            .find(|l| l.split_whitespace().next() == Some(PAIR))
            .is_some_and(|l| l.contains("critical")),
        "severity of {PAIR}:\n{stdout}"
    );
    for (source, spec) in keyhound::rule::builtin::specs().expect("built-in rules") {
        let line = lines
            .iter()
            .find(|l| l.split_whitespace().next() == Some(spec.id.as_str()))
            .expect("listed");
        assert!(
            line.contains(&source) && line.contains(spec.severity.as_str()),
            "rule {:?} must be listed with its severity {:?} and source {source:?}: {line}",
            spec.id,
            spec.severity
        );
    }
}

// ------------------------------------------------------------------------------------------
// `rules check FILE` on user rule files
// ------------------------------------------------------------------------------------------

#[test]
fn rules_check_accepts_a_good_user_file() {
    let tree = Tree::new();
    tree.write("widget.toml", good_rule_file());
    let out = rules_cmd(tree.path(), &["check", "widget.toml"]);
    assert_no_panic(&out);
    assert_eq!(out.code, 0, "{}", all_output(&out));
    assert!(
        out.stdout_str()
            .contains("keyhound: 1 rule checked, its examples behave"),
        "{}",
        all_output(&out)
    );
}

#[test]
fn rules_check_reports_an_example_that_does_not_match() {
    let tree = Tree::new();
    // The second example's token is one character short: the pattern cannot match it.
    let t2 = widget_token(2);
    let text = good_rule_file().replace(&t2, &t2[..t2.len() - 1]);
    assert_ne!(text, good_rule_file());
    tree.write("widget.toml", &text);
    let out = rules_cmd(tree.path(), &["check", "widget.toml"]);
    assert_no_panic(&out);
    assert_eq!(out.code, 1, "{}", all_output(&out));
    let all = all_output(&out);
    assert!(
        all.lines().any(|l| l.contains("widget.toml")
            && l.contains("widget-token")
            && l.contains("example 2")
            && l.contains("got 0")),
        "the problem must name the file, the rule and the example:\n{all}"
    );
    assert!(
        !all.contains("example 1:"),
        "only example 2 is wrong:\n{all}"
    );
}

#[test]
fn rules_check_reports_a_negative_example_that_matches() {
    let tree = Tree::new();
    let text = good_rule_file().replace("wdg_aaaaaaaaaaaaaaaaaaaaaaaa", &widget_token(3));
    tree.write("widget.toml", &text);
    let out = rules_cmd(tree.path(), &["check", "widget.toml"]);
    assert_no_panic(&out);
    assert_eq!(out.code, 1, "{}", all_output(&out));
    let all = all_output(&out);
    assert!(
        all.lines()
            .any(|l| l.contains("widget-token") && l.contains("negative example 1")),
        "{all}"
    );
}

#[test]
fn rules_check_reports_an_example_without_a_keyword() {
    let tree = Tree::new();
    // The pattern still matches, but the prefilter keyword (`token`) occurs only in the first
    // example (`WIDGET_TOKEN = ...`), not in the second (`widget: ...`).
    let text = good_rule_file().replace(r#"keywords = ["wdg_"]"#, r#"keywords = ["token"]"#);
    tree.write("widget.toml", &text);
    let out = rules_cmd(tree.path(), &["check", "widget.toml"]);
    assert_no_panic(&out);
    assert_eq!(out.code, 1, "{}", all_output(&out));
    let all = all_output(&out);
    assert!(
        all.lines().any(|l| l.contains("widget-token")
            && l.contains("example 2")
            && l.contains("keywords")),
        "{all}"
    );
    assert!(
        !all.contains("example 1:"),
        "example 1 holds the keyword:\n{all}"
    );
}

#[test]
fn rules_check_rejects_a_bad_regex() {
    let tree = Tree::new();
    let text = good_rule_file().replace(r"(wdg_[A-Za-z0-9]{24})", r"(wdg_[A-Za-z0-9{24})");
    assert_ne!(text, good_rule_file());
    tree.write("broken.toml", &text);
    let out = rules_cmd(tree.path(), &["check", "broken.toml"]);
    assert_no_panic(&out);
    assert_eq!(out.code, 2, "{}", all_output(&out));
    assert!(
        out.stderr.contains("broken.toml")
            && out.stderr.contains("widget-token")
            && out.stderr.contains("pattern"),
        "the error must name the file, the rule and the field:\n{}",
        out.stderr
    );
}

#[test]
fn rules_check_rejects_a_regex_too_large_to_compile() {
    let tree = Tree::new();
    let text = good_rule_file().replace(
        r"(wdg_[A-Za-z0-9]{24})",
        r"(wdg_(?:[A-Za-z0-9]{1000}){1000})",
    );
    assert_ne!(text, good_rule_file());
    tree.write("huge.toml", &text);
    let out = rules_cmd(tree.path(), &["check", "huge.toml"]);
    assert_no_panic(&out);
    assert_eq!(out.code, 2, "{}", all_output(&out));
    assert!(
        out.stderr
            .contains("huge.toml: rule \"widget-token\": pattern: too large to compile"),
        "{}",
        out.stderr
    );
}

#[test]
fn rules_check_rejects_an_unknown_field() {
    let tree = Tree::new();
    let text = good_rule_file().replace("entropy = 3.0", "entropy = 3.0\nconfidence = \"high\"");
    tree.write("typo.toml", &text);
    let out = rules_cmd(tree.path(), &["check", "typo.toml"]);
    assert_no_panic(&out);
    assert_eq!(out.code, 2, "{}", all_output(&out));
    assert!(
        out.stderr.contains("typo.toml") && out.stderr.contains("confidence"),
        "the error must name the file and the field:\n{}",
        out.stderr
    );
}

#[test]
fn rules_check_rejects_a_duplicate_id() {
    let tree = Tree::new();
    let one = good_rule_file();
    // Twice in one file.
    tree.write(
        "twice.toml",
        format!(
            "{one}\n{}",
            one.replace("[rules.allowlist]\nstopwords = [\"example\"]\n", "")
        ),
    );
    let out = rules_cmd(tree.path(), &["check", "twice.toml"]);
    assert_no_panic(&out);
    assert_eq!(out.code, 2, "{}", all_output(&out));
    assert!(
        out.stderr.contains("widget-token") && out.stderr.contains("defined twice"),
        "{}",
        out.stderr
    );
    // Once in each of two files.
    tree.write("a.toml", &one);
    tree.write("b.toml", &one);
    let out = rules_cmd(tree.path(), &["check", "a.toml", "b.toml"]);
    assert_no_panic(&out);
    assert_eq!(out.code, 2, "{}", all_output(&out));
    assert!(
        out.stderr.contains("b.toml") && out.stderr.contains("widget-token"),
        "{}",
        out.stderr
    );
    // The id of an AWS rule built into the code.
    tree.write(
        "aws.toml",
        one.replace("id = \"widget-token\"", &format!("id = \"{KEY}\"")),
    );
    let out = rules_cmd(tree.path(), &["check", "aws.toml"]);
    assert_no_panic(&out);
    assert_eq!(out.code, 2, "{}", all_output(&out));
    assert!(out.stderr.contains(KEY), "{}", out.stderr);
}

#[test]
fn rules_check_rejects_zero_or_two_capture_groups() {
    let tree = Tree::new();
    for (name, pattern) in [
        ("none.toml", r"\bwdg_[A-Za-z0-9]{24}\b"),
        ("two.toml", r"\b(wdg_)([A-Za-z0-9]{24})\b"),
    ] {
        let text = good_rule_file().replace(r"\b(wdg_[A-Za-z0-9]{24})\b", pattern);
        assert_ne!(text, good_rule_file());
        tree.write(name, &text);
        let out = rules_cmd(tree.path(), &["check", name]);
        assert_no_panic(&out);
        assert_eq!(out.code, 2, "{name}: {}", all_output(&out));
        assert!(
            out.stderr.contains(name)
                && out.stderr.contains("widget-token")
                && out.stderr.contains("pattern")
                && out.stderr.contains("capture group"),
            "{name}: {}",
            out.stderr
        );
    }
}

#[test]
fn rules_list_and_check_take_the_project_rules() {
    let tree = GitRepo::init();
    tree.write(".keyhound.toml", widget_config());
    tree.write("src/lib.rs", "\n");
    let builtin = builtin_file_ids().len() + AWS_IDS.len() + KEYSTORE_IDS.len();
    // From a subdirectory of the repository, as a scan finds it.
    let out = rules_cmd(&tree.path().join("src"), &["list"]);
    assert_eq!(out.code, 0, "{}", all_output(&out));
    let stdout = out.stdout_str();
    let line = stdout
        .lines()
        .find(|l| l.starts_with("widget-token "))
        .unwrap_or_else(|| panic!("the project's rule is not listed:\n{stdout}"));
    assert!(
        line.contains("Widget service token") && line.contains(".keyhound.toml"),
        "{line}"
    );
    assert_eq!(stdout.lines().count(), builtin + 1, "{stdout}");
    let out = rules_cmd(tree.path(), &["list", "--no-config"]);
    assert!(!out.stdout_str().contains("widget-token"), "--no-config");

    // `check`: the project rule is checked too; it needs no examples, but those it has must
    // behave.
    // (The keystore rules have no text examples: their tests build keystores.)
    let checked = builtin - KEYSTORE_IDS.len() + 1;
    let out = rules_cmd(tree.path(), &["check"]);
    assert_eq!(out.code, 0, "{}", all_output(&out));
    assert!(
        out.stdout_str()
            .contains(&format!("{checked} rules checked")),
        "{}",
        all_output(&out)
    );
    let short = format!(
        "{}\nexamples = ['''WIDGET = wdg_short''']\n",
        widget_config()
    );
    tree.write("ci/rules.toml", short);
    let out = rules_cmd(tree.path(), &["--config", "ci/rules.toml", "check"]);
    assert_eq!(out.code, 1, "{}", all_output(&out));
    let all = all_output(&out);
    assert!(
        all.lines().any(|l| l.contains("ci/rules.toml")
            && l.contains("widget-token")
            && l.contains("example 1")),
        "{all}"
    );
    assert!(
        out.stderr
            .contains(&format!("keyhound: 1 problem in {} rules", checked)),
        "{}",
        out.stderr
    );
}

// ------------------------------------------------------------------------------------------
// User rules at scan time
// ------------------------------------------------------------------------------------------

/// `.keyhound.toml` adding a rule whose keyword (`widget`) is not part of its pattern, so that
/// the prefilter is what decides whether the pattern runs. (No examples: the configuration file
/// is scanned too, and examples are optional outside rule files.)
fn widget_config() -> String {
    r#"# Project configuration.
[[rules]]
id = "widget-token"
name = "Widget service token"
severity = "medium"
pattern = '''\b(wdg_[A-Za-z0-9]{24})\b'''
keywords = ["widget"]
entropy = 3.0
"#
    .to_string()
}

fn findings(doc: &Value) -> Vec<Value> {
    doc["findings"].as_array().cloned().unwrap_or_default()
}

#[test]
fn user_rule_from_project_config_finds_its_token() {
    let tree = Tree::new();
    tree.write(".keyhound.toml", widget_config());
    let token = widget_token(10);
    let text = fill(
        "# service settings\nname = \"widgets\"\nWIDGET_TOKEN = \"{{T}}\"\n",
        &[("T", &token)],
    );
    tree.write("app/settings.py", &text);
    let out = scan_json(tree.path(), &[]);
    assert_no_panic(&out);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let doc = out.json();
    let found = findings(&doc);
    assert_eq!(found.len(), 1, "{doc:#}");
    let f = &found[0];
    assert_eq!(f["rule_id"], "widget-token", "{f:#}");
    assert_eq!(f["rule_name"], "Widget service token", "{f:#}");
    assert_eq!(f["severity"], "medium", "{f:#}");
    assert_eq!(f["secret"], token.as_str(), "{f:#}");
    assert_eq!(f["path"], "app/settings.py", "{f:#}");
    assert_eq!(f["line"], line_of(&text, &token), "{f:#}");
    assert!(
        doc["summary"]["config"]
            .as_str()
            .is_some_and(|c| c.ends_with(".keyhound.toml")),
        "{doc:#}"
    );
}

#[test]
fn user_rule_runs_only_where_its_keyword_occurs() {
    let tree = Tree::new();
    tree.write(".keyhound.toml", widget_config());
    // The pattern matches in both files; only one holds the keyword (in another case).
    let (with, without) = (widget_token(11), widget_token(12));
    tree.write(
        "with_keyword.env",
        format!("# WIDGET service\nTOKEN={with}\n"),
    );
    tree.write("without_keyword.env", format!("TOKEN={without}\n"));
    let out = scan_json(tree.path(), &[]);
    assert_no_panic(&out);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let doc = out.json();
    let found = findings(&doc);
    let secrets: Vec<&str> = found.iter().filter_map(|f| f["secret"].as_str()).collect();
    assert_eq!(secrets, vec![with.as_str()], "{doc:#}");
    assert_eq!(found[0]["path"], "with_keyword.env");

    // The file without the keyword on its own: nothing at all, with the rule loaded.
    let out = scan_json_at(tree.path(), &[], "without_keyword.env");
    assert_no_panic(&out);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert!(findings(&doc).is_empty(), "{doc:#}");
    assert!(
        doc["summary"]["config"]
            .as_str()
            .is_some_and(|c| c.ends_with(".keyhound.toml")),
        "the rule must have been loaded: {doc:#}"
    );
}

#[test]
fn a_rules_help_line_reaches_sarif() {
    let tree = Tree::new();
    let help = "Revoke it under Settings > Tokens, then issue a new one: https://widgets.example/docs/tokens";
    tree.write(
        ".keyhound.toml",
        format!("{}help = \"{help}\"\n", widget_config()),
    );
    tree.write(
        "app/settings.py",
        format!("WIDGET_TOKEN = \"{}\"\n", widget_token(11)),
    );
    let out = keyhound(tree.path())
        .args([
            "scan",
            "--no-history",
            "--no-verify",
            "--format",
            "sarif",
            ".",
        ])
        .run();
    assert_no_panic(&out);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let doc = out.json();
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let rule = rules
        .iter()
        .find(|r| r["id"] == "widget-token")
        .unwrap_or_else(|| panic!("{doc:#}"));
    assert_eq!(rule["help"]["text"], help, "{rule:#}");
    let message = doc["runs"][0]["results"][0]["message"]["text"]
        .as_str()
        .unwrap_or_default();
    assert!(message.ends_with(help), "{message}");
}

// ------------------------------------------------------------------------------------------
// Generic rules: off unless enabled, and yielding to every other rule
// ------------------------------------------------------------------------------------------

/// A settings file with a password no provider rule knows, a GitHub token, and a GitHub token
/// whose checksum fails (a made-up one); the first two.
fn generic_tree() -> (Tree, String, String) {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let tree = Tree::new();
    let password = Rng::new(0x6E6E_7269_6301).string(ALNUM, 32);
    let github = github_pat(0x6E6E_7269_6302);
    let other = github_pat(0x6E6E_7269_6303);
    let (body, last) = other.split_at(other.len() - 1);
    let made_up = format!("{body}{}", if last == "A" { "B" } else { "A" });
    tree.write(
        "deploy/settings.env",
        format!(
            "DB_PASSWORD=\"{password}\"\nexport GITHUB_TOKEN={github}\nexport CI_GITHUB_TOKEN={made_up}\n"
        ),
    );
    (tree, password, github)
}

/// The (rule, secret) pairs of a JSON report.
fn rule_secrets(doc: &Value) -> BTreeSet<(String, String)> {
    findings(doc)
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap_or_default().to_string(),
                f["secret"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn generic_rules_run_only_where_enabled_and_yield_to_provider_rules() {
    let (tree, password, github) = generic_tree();
    let pat = ("github-pat-classic".to_string(), github.clone());
    let generic = ("generic-secret".to_string(), password.clone());

    // Off by default: the GitHub token only (once: no generic finding of the same value).
    let out = scan_json(tree.path(), &[]);
    assert_no_panic(&out);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(rule_secrets(&out.json()), BTreeSet::from([pat.clone()]));

    // By id, by a prefix, and from the configuration: the password too, the token still once,
    // and not the made-up token, which the GitHub rule knows by its checksum.
    for flags in [
        &["--enable-rule", "generic-secret"][..],
        &["--enable-rule", "generic-*"][..],
    ] {
        let out = scan_json(tree.path(), flags);
        assert_no_panic(&out);
        assert_eq!(out.code, 1, "{flags:?}: {}", out.stderr);
        let doc = out.json();
        assert_eq!(
            rule_secrets(&doc),
            BTreeSet::from([pat.clone(), generic.clone()]),
            "{flags:?}: {doc:#}"
        );
    }
    tree.write(".keyhound.toml", "enable = [\"generic-*\"]\n");
    let out = scan_json(tree.path(), &[]);
    assert_eq!(
        rule_secrets(&out.json()),
        BTreeSet::from([pat.clone(), generic.clone()])
    );

    // `disable` still wins.
    tree.write(
        ".keyhound.toml",
        "enable = [\"generic-*\"]\ndisable = [\"generic-secret\"]\n",
    );
    let out = scan_json(tree.path(), &[]);
    assert_eq!(rule_secrets(&out.json()), BTreeSet::from([pat]));
}

#[test]
fn enabling_a_rule_that_does_not_exist_is_an_error() {
    let (tree, _, _) = generic_tree();
    for (flags, message) in [
        (
            &["--enable-rule", "generic-secrets"][..],
            "--enable-rule generic-secrets: no rule that is off by default has the id \"generic-secrets\"",
        ),
        (
            &["--enable-rule", "nope-*"][..],
            "no rule that is off by default has an id that starts with \"nope-\"",
        ),
        // A rule that is always on is not one to enable.
        (
            &["--enable-rule", "github-pat-classic"][..],
            "no rule that is off by default has the id \"github-pat-classic\"",
        ),
        // Not a scan that silently runs without the rule asked for.
        (
            &["--no-builtin-rules", "--enable-rule", "generic-*"][..],
            "--enable-rule generic-*: names a built-in rule, which --no-builtin-rules leaves out",
        ),
    ] {
        let out = scan_json(tree.path(), flags);
        assert_no_panic(&out);
        assert_eq!(out.code, 2, "{flags:?}: {}", out.stderr);
        assert!(out.stderr.contains(message), "{flags:?}: {}", out.stderr);
    }
    tree.write(".keyhound.toml", "enable = [\"generic\"]\n");
    let out = scan_json(tree.path(), &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("enable: no rule that is off by default has the id \"generic\""),
        "{}",
        out.stderr
    );
}

#[test]
fn a_generic_rule_left_off_may_still_be_disabled_and_allowlisted() {
    // A configuration shared by projects that do and do not enable it is not an error.
    let (tree, _, github) = generic_tree();
    tree.write(
        ".keyhound.toml",
        "disable = [\"generic-secret\"]\n\n[allowlist.rule.generic-secret]\npaths = [\"deploy/**\"]\n",
    );
    let out = scan_json(tree.path(), &[]);
    assert_no_panic(&out);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(
        rule_secrets(&out.json()),
        BTreeSet::from([("github-pat-classic".to_string(), github)])
    );
}

#[test]
fn rules_list_says_which_rules_are_off_by_default() {
    let tree = Tree::new();
    let out = rules_cmd(tree.path(), &["list"]);
    assert_eq!(out.code, 0, "{}", all_output(&out));
    let stdout = out.stdout_str();
    let generic: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("off unless"))
        .collect();
    assert_eq!(generic.len(), 1, "{stdout}");
    assert!(
        generic[0].starts_with("generic-secret ")
            && generic[0].contains("--enable-rule generic-secret"),
        "{stdout}"
    );
}
