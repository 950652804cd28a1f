//! The command line: `--version`, `--help`, exit codes, standard input, `-o`, and bad input
//! (missing paths, binary, invalid UTF-8, unreadable, empty and oversized files, directories
//! that vanish mid-walk, bad flags, hostile file names).

use std::process::Stdio;

use crate::support::*;

#[test]
fn version() {
    let tree = Tree::new();
    let out = keyhound(tree.path()).args(["--version"]).run();
    assert_eq!(out.code, 0);
    assert_eq!(
        out.stdout_str().trim(),
        format!("keyhound {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn help_documents_every_flag() {
    let tree = Tree::new();
    let top = keyhound(tree.path()).args(["--help"]).run();
    assert_eq!(top.code, 0);
    assert!(top.stdout_str().contains("scan"), "{}", top.stdout_str());
    let out = keyhound(tree.path()).args(["scan", "--help"]).run();
    assert_eq!(out.code, 0, "{}", out.stderr);
    let help = out.stdout_str();
    for flag in [
        "--format",
        "--output",
        "--threads",
        "--no-ignore",
        "--no-history",
        "--no-verify",
        "--max-file-size",
        "--show-secrets",
        "--color",
        "--quiet",
        "--follow",
    ] {
        assert!(
            help.contains(flag),
            "scan --help does not list {flag}:\n{help}"
        );
    }
    for value in ["text", "json", "jsonl", "sarif"] {
        assert!(
            help.contains(value),
            "scan --help does not list format {value}"
        );
    }
}

#[test]
fn exit_codes() {
    let clean = Tree::new();
    clean.write(
        "src/lib.rs",
        "pub fn add(a: u32, b: u32) -> u32 { a + b }\n",
    );
    let out = keyhound(clean.path())
        .args(["scan", "--no-verify", "."])
        .run();
    assert_eq!(out.code, 0, "clean tree\n{}", out.stderr);
    assert!(out.stdout.is_empty() || !out.stdout_str().contains("aws-"));

    let dirty = Tree::new();
    dirty.write("creds.ini", pair_ini(400).2);
    let out = keyhound(dirty.path())
        .args(["scan", "--no-verify", "."])
        .run();
    assert_eq!(out.code, 1, "findings\n{}", out.stderr);

    let out = keyhound(clean.path())
        .args(["scan", "--no-verify", "does-not-exist"])
        .run();
    assert_eq!(out.code, 2, "error\n{}", out.stderr);
    // The summary goes to standard error.
    let out = keyhound(dirty.path())
        .args(["scan", "--no-verify", "."])
        .run();
    assert!(out.stderr.contains("1 finding"), "summary: {}", out.stderr);
}

#[test]
fn default_path_is_the_current_directory() {
    let tree = Tree::new();
    let (k, s, text) = pair_ini(401);
    tree.write("creds.ini", &text);
    let out = json_scan(tree.path(), &[]).run();
    verify(
        "default path",
        &out,
        &[pair(&k, &s).key_at(1).secret_at(2).in_file("creds.ini")],
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn missing_path_is_an_error_but_other_paths_are_reported() {
    let tree = Tree::new();
    let (k, s, text) = pair_ini(402);
    tree.write("real/creds.ini", &text);
    let out = json_scan(tree.path(), &[])
        .args(["no-such-dir/missing.env", "real"])
        .run();
    assert_eq!(out.code, 2, "an error wins over findings\n{}", out.stderr);
    assert!(
        out.stderr.contains("no-such-dir/missing.env"),
        "the error names the path:\n{}",
        out.stderr
    );
    let doc = out.json();
    assert_eq!(
        findings_of(&doc),
        vec![pair(&k, &s)
            .key_at(1)
            .secret_at(2)
            .in_file("real/creds.ini")],
        "the other path is still scanned"
    );
    assert!(doc["summary"]["errors"].as_u64().unwrap() >= 1);
}

#[test]
fn stdin_is_scanned_with_dash() {
    let tree = Tree::new();
    let (k, s, text) = pair_ini(403);
    let out = json_scan(tree.path(), &[])
        .args(["-"])
        .stdin(format!("# piped\n{text}"))
        .run();
    verify(
        "stdin",
        &out,
        &[pair(&k, &s).key_at(2).secret_at(3).in_file("<stdin>")],
    )
    .unwrap_or_else(|e| panic!("{e}"));

    let clean = keyhound(tree.path())
        .args(["scan", "--no-verify", "-"])
        .stdin("nothing to see\n")
        .run();
    assert_eq!(clean.code, 0, "{}", clean.stderr);
}

#[test]
fn output_file() {
    let tree = Tree::new();
    let (k, s, text) = pair_ini(404);
    tree.write("src/creds.ini", &text);
    let report = tree.path().join("report.json");
    let out = scan_json_at(tree.path(), &["-o", report.to_str().unwrap()], "src");
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stdout.is_empty(), "stdout: {}", out.stdout_str());
    let written = std::fs::read(&report).expect("-o wrote the report");
    let as_output = Output {
        code: 1,
        stdout: written,
        stderr: String::new(),
    };
    verify(
        "-o",
        &as_output,
        &[pair(&k, &s).key_at(1).secret_at(2).in_file("src/creds.ini")],
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_missing_file_named_by_a_flag_names_the_flag() {
    let tree = Tree::new();
    tree.write("creds.ini", pair_ini(416).2);
    // (flag, the rest of the command line).
    let cases: [(&str, &[&str]); 3] = [
        ("--baseline", &["--no-verify", "."]),
        ("--config", &["--no-verify", "."]),
        // Only read when verifying: to a closed port, never reached.
        (
            "--skip-aws-account-file",
            &["--sts-endpoint", "http://127.0.0.1:9", "."],
        ),
    ];
    for (flag, rest) in cases {
        let out = keyhound(tree.path())
            .args(["scan", flag, "nosuch"])
            .args(rest)
            .run();
        assert_eq!(out.code, 2, "{flag}: {}", out.stderr);
        assert!(
            out.stderr.contains(&format!("{flag} nosuch: ")),
            "the error names the flag and the file:\n{}",
            out.stderr
        );
        assert!(out.stdout.is_empty(), "{flag}: no report");
    }
}

#[test]
fn an_unwritable_output_fails_before_the_scan() {
    let tree = Tree::new();
    tree.write("creds.ini", pair_ini(417).2);
    // Verification would wait on this listener, which never answers.
    let silent = SilentListener::start();
    for flag in ["-o", "--write-baseline"] {
        let out = keyhound(tree.path())
            .args([
                "scan",
                "--sts-endpoint",
                &silent.url(),
                "--verify-timeout",
                "30",
            ])
            .args([flag, "no-such-dir/report.json", "."])
            .run_within(std::time::Duration::from_secs(20));
        assert_eq!(out.code, 2, "{flag}: {}", out.stderr);
        assert!(
            out.stderr.contains("no-such-dir/report.json"),
            "{flag}: {}",
            out.stderr
        );
        assert!(
            !out.stderr.contains("scanned"),
            "{flag}: the scan ran first:\n{}",
            out.stderr
        );
    }
    assert_eq!(silent.connections(), 0, "verification ran first");
}

#[test]
fn the_output_file_is_never_scanned() {
    let tree = Tree::new();
    tree.write("creds.ini", pair_ini(418).2);
    // A text report with the secrets shown holds the pair in full: scanned, it would be a
    // second finding, and a third the time after.
    for run in 0..3 {
        let out = keyhound(tree.path())
            .args(["scan", "--no-verify", "--show-secrets", "--color", "never"])
            .args(["-o", "report.txt", "."])
            .run();
        assert_eq!(out.code, 1, "run {run}: {}", out.stderr);
        let report = std::fs::read_to_string(tree.path().join("report.txt")).unwrap();
        assert_eq!(
            report.matches("fingerprint").count(),
            1,
            "run {run}:\n{report}"
        );
        assert!(
            out.stderr.contains("skipped 1 keyhound report"),
            "run {run}: {}",
            out.stderr
        );
    }
}

#[test]
fn binary_file_is_skipped_and_counted_with_no_binary() {
    let tree = Tree::new();
    let mut data = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0".to_vec();
    data.extend_from_slice(pair_ini(405).2.as_bytes());
    data.extend_from_slice(&[0, 1, 2, 3, 0xff, 0]);
    tree.write("bin/tool", &data);
    let out = scan_json(tree.path(), &["--no-binary"]);
    let doc = verify("binary", &out, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(doc["summary"]["skipped_binary"], 1, "{}", doc["summary"]);
    assert_eq!(doc["summary"]["errors"], 0);
}

#[test]
fn invalid_utf8_text_is_still_scanned() {
    let tree = Tree::new();
    let (k, s) = (key_id(406), secret(406));
    let mut data = b"caf\xe9 \x80\x81 legacy latin-1 \xfe text\n".to_vec();
    data.extend_from_slice(format!("aws_access_key_id = {k}").as_bytes());
    data.extend_from_slice(b" \xc0\xc1\n");
    data.extend_from_slice(format!("aws_secret_access_key = {s}").as_bytes());
    data.extend_from_slice(b"\xff\xfe\n\xed\xa0\x80 trailing\n");
    tree.write("legacy.cfg", &data);
    let out = scan_json(tree.path(), &[]);
    verify(
        "invalid utf-8",
        &out,
        &[pair(&k, &s).key_at(2).secret_at(3).in_file("legacy.cfg")],
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

#[cfg(unix)]
#[test]
fn unreadable_file_is_an_error_and_the_scan_goes_on() {
    use std::os::unix::fs::PermissionsExt;
    let tree = Tree::new();
    let locked = tree.write("locked.env", pair_ini(407).2);
    let (k, s, text) = pair_ini(408);
    tree.write("open.env", &text);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&locked).is_ok() {
        // Root (or a capability) reads mode-000 files: the condition cannot be created here.
        eprintln!("skipped: this user can read a mode-000 file");
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o644)).unwrap();
        return;
    }
    let out = scan_json(tree.path(), &[]);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(
        out.code, 2,
        "an unreadable file is an error\n{}",
        out.stderr
    );
    assert!(out.stderr.contains("locked.env"), "{}", out.stderr);
    let doc = out.json();
    assert!(doc["summary"]["errors"].as_u64().unwrap() >= 1);
    assert_eq!(
        findings_of(&doc),
        vec![pair(&k, &s).key_at(1).secret_at(2).in_file("open.env")]
    );
}

#[test]
fn empty_file() {
    let tree = Tree::new();
    tree.write("empty.txt", "");
    let out = scan_json(tree.path(), &[]);
    let doc = verify("empty file", &out, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(doc["summary"]["files"], 1);
    assert_eq!(doc["summary"]["errors"], 0);
}

#[test]
fn file_over_max_file_size_is_skipped_and_counted() {
    let tree = Tree::new();
    let mut big = pair_ini(409).2;
    while big.len() <= 2048 {
        big.push_str("# padding line that makes this file larger than one kibibyte\n");
    }
    tree.write("big.ini", &big);
    let (k, s, small) = pair_ini(410);
    tree.write("small.ini", &small);
    let out = scan_json(tree.path(), &["--max-file-size", "1K"]);
    let doc = verify(
        "max-file-size",
        &out,
        &[pair(&k, &s).key_at(1).secret_at(2).in_file("small.ini")],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(doc["summary"]["skipped_large"], 1, "{}", doc["summary"]);
}

#[test]
fn bad_max_file_size_is_a_clear_error() {
    let tree = Tree::new();
    let out = keyhound(tree.path())
        .args(["scan", "--no-verify", "--max-file-size", "12Q", "."])
        .run();
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("12Q") && out.stderr.contains("max-file-size"),
        "message names the flag and the value:\n{}",
        out.stderr
    );
    assert!(out.stdout.is_empty());
    assert_no_panic(&out);
}

#[test]
fn bad_flag_exits_2() {
    let tree = Tree::new();
    let out = keyhound(tree.path())
        .args(["scan", "--no-such-flag", "."])
        .run();
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--no-such-flag"), "{}", out.stderr);
    let out = keyhound(tree.path())
        .args(["scan", "--format", "xml", "."])
        .run();
    assert_eq!(out.code, 2);
    let out = keyhound(tree.path()).args(["scan", "-j", "0", "."]).run();
    assert_eq!(out.code, 2, "zero threads");
    assert_no_panic(&out);
}

#[test]
fn quiet_prints_no_summary() {
    let tree = Tree::new();
    tree.write("creds.ini", pair_ini(411).2);
    let out = keyhound(tree.path())
        .args(["scan", "--no-verify", "--quiet", "."])
        .run();
    assert_eq!(out.code, 1);
    assert!(out.stderr.trim().is_empty(), "stderr: {}", out.stderr);
}

#[test]
fn no_color_and_color_never_have_no_escapes() {
    let tree = Tree::new();
    tree.write("creds.ini", pair_ini(412).2);
    let always = keyhound(tree.path())
        .args(["scan", "--no-verify", "--color", "always", "."])
        .run();
    assert!(
        always.stdout.contains(&0x1b),
        "--color always colours the text report"
    );
    let never = keyhound(tree.path())
        .args(["scan", "--no-verify", "--color", "never", "."])
        .run();
    assert_eq!(never.code, 1);
    assert!(!never.stdout.contains(&0x1b), "ESC with --color never");
    let no_color = keyhound(tree.path())
        .args(["scan", "--no-verify", "."])
        .env("NO_COLOR", "1")
        .run();
    assert_eq!(no_color.code, 1);
    assert!(!no_color.stdout.is_empty());
    assert!(!no_color.stdout.contains(&0x1b), "ESC with NO_COLOR");
    assert!(
        !no_color.stderr.contains('\u{1b}'),
        "ESC on stderr with NO_COLOR"
    );
}

#[cfg(unix)]
#[test]
fn control_characters_in_file_names_are_sanitized() {
    let tree = Tree::new();
    tree.write("evil\u{1b}[2J\u{1b}]0;pwned\u{7}name.env", pair_ini(413).2);
    let out = keyhound(tree.path())
        .args(["scan", "--no-verify", "--color", "never", "."])
        .run();
    assert_eq!(out.code, 1, "{}", out.stderr);
    let text = out.stdout_str();
    assert!(text.contains("evil") && text.contains("name.env"), "{text}");
    assert!(!out.stdout.contains(&0x1b), "raw ESC in stdout: {text:?}");
    assert!(!out.stdout.contains(&0x07), "raw BEL in stdout: {text:?}");
    assert!(!out.stderr.contains('\u{1b}'), "raw ESC in stderr");
}

/// A project rule whose secret may hold any non-space character, as rules that capture a
/// whole value do.
const ANY_VALUE_RULE: &str = "[[rules]]\nid = \"evil-token\"\nname = \"Evil token\"\n\
    severity = \"high\"\npattern = '''evil_token=(\\S{12,})'''\nkeywords = [\"evil_token\"]\n";

#[test]
fn control_characters_in_secrets_are_sanitized() {
    let tree = Tree::new();
    tree.write(".keyhound.toml", ANY_VALUE_RULE);
    // `ESC c` resets the terminal: it used to be among the four characters a redacted secret
    // shows. U+202E reverses what follows it on screen.
    tree.write("app.env", "evil_token=\u{1b}c\u{202e}Zq8vR2mW9xK4pL7nT3\n");
    for extra in [&[][..], &["--show-secrets"][..]] {
        let out = keyhound(tree.path())
            .args(["scan", "--no-verify", "--color", "never"])
            .args(extra)
            .run();
        assert_eq!(out.code, 1, "{}", out.stderr);
        let text = out.stdout_str();
        assert!(text.contains("secret      \\u{1b}c"), "{extra:?}: {text}");
        assert!(!out.stdout.contains(&0x1b), "raw ESC {extra:?}: {text:?}");
        assert!(!text.contains('\u{202e}'), "raw U+202E {extra:?}: {text:?}");
    }
    // JSON keeps the value, escaped.
    let out = scan_json(tree.path(), &[]);
    let raw = out.stdout_str();
    assert!(
        !raw.contains('\u{202e}') && !raw.contains('\u{1b}'),
        "{raw}"
    );
    let doc = out.json();
    let found = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "app.env")
        .unwrap_or_else(|| panic!("{doc:#}"));
    assert_eq!(found["secret"], "\u{1b}c\u{202e}Zq8vR2mW9xK4pL7nT3");
}

#[cfg(unix)]
#[test]
fn bidi_overrides_in_file_names_are_escaped_in_every_format() {
    let tree = Tree::new();
    tree.write("invoice\u{202e}vne.txt", pair_ini(415).2);
    let text = keyhound(tree.path())
        .args(["scan", "--no-verify", "--color", "never", "."])
        .run();
    assert_eq!(text.code, 1, "{}", text.stderr);
    assert!(
        text.stdout_str().contains("invoice\\u{202e}vne.txt"),
        "{}",
        text.stdout_str()
    );
    for format in ["text", "json", "jsonl", "sarif"] {
        let out = keyhound(tree.path())
            .args(["scan", "--no-verify", "--color", "never", "-f", format, "."])
            .run();
        assert_eq!(out.code, 1, "{format}: {}", out.stderr);
        assert!(
            !out.stdout_str().contains('\u{202e}'),
            "{format}: raw U+202E in {}",
            out.stdout_str()
        );
    }
    let json = scan_json(tree.path(), &[]).json();
    assert_eq!(json["findings"][0]["path"], "invoice\u{202e}vne.txt");
}

#[cfg(unix)]
#[test]
fn symlinks_are_followed_only_with_follow() {
    let outside = Tree::new();
    let (k, s, text) = pair_ini(414);
    let target = outside.write("creds.ini", &text);
    let tree = Tree::new();
    tree.write("readme.txt", "hello\n");
    std::os::unix::fs::symlink(&target, tree.path().join("link.ini")).unwrap();
    let out = scan_json(tree.path(), &[]);
    verify("symlink not followed", &out, &[]).unwrap_or_else(|e| panic!("{e}"));
    let out = scan_json(tree.path(), &["--follow"]);
    verify(
        "symlink followed",
        &out,
        &[pair(&k, &s).key_at(1).secret_at(2).in_file("link.ini")],
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn directory_vanishing_mid_walk_does_not_panic() {
    let tree = Tree::new();
    for d in 0..300 {
        for f in 0..8 {
            let content = if f == 0 && d % 10 == 0 {
                format!("owner key {}\n", key_id(2000 + d))
            } else {
                format!("line {d} {f}\n").repeat(50)
            };
            tree.write(&format!("d{d:03}/sub/f{f}.txt"), content);
        }
    }
    let root = tree.path().to_path_buf();
    let child = command(&root)
        .args(["scan", "--no-verify", "--format", "json", "-j", "4", "."])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deleter = std::thread::spawn(move || {
        for d in (0..300).rev().step_by(2) {
            let _ = std::fs::remove_dir_all(root.join(format!("d{d:03}")));
        }
    });
    let out = child.wait_with_output().unwrap();
    deleter.join().unwrap();
    let out = Output {
        code: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(
        (0..=2).contains(&out.code),
        "exit status {}\n{}",
        out.code,
        out.stderr
    );
    assert_no_panic(&out);
    // The report is still complete JSON.
    let doc = out.json();
    assert!(doc["summary"].is_object());
}

#[test]
fn thread_counts_past_what_the_machine_can_use_are_capped_with_a_warning() {
    // `-j 5000` on one small file used to take over a minute (5,000 walker threads, and as
    // many in the pool); `--verify-concurrency` is capped the same way.
    let tree = Tree::new();
    for i in 0..20u64 {
        tree.write(&format!("d{}/creds{i}.env", i % 4), pair_ini(800 + i).2);
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let capped = json_scan(tree.path(), &["-j", "5000", "."]).run();
    assert_no_panic(&capped);
    let want = format!("--threads 5000: using {} (4 per available core", cores * 4);
    assert!(capped.stderr.contains(&want), "{}", capped.stderr);
    let one = json_scan(tree.path(), &["-j", "1", "."]).run();
    assert_eq!(one.code, 1, "{}", one.stderr);
    assert!(!one.stderr.contains("warning"), "{}", one.stderr);
    let findings = |out: &Output| findings_of(&out.json());
    assert_eq!(findings(&capped), findings(&one));
    assert_eq!(findings(&one).len(), 20);
    // Verification (with nothing to verify, so no request is made).
    let empty = Tree::new();
    empty.write("a.txt", "nothing\n");
    let out = keyhound(empty.path())
        .args(["scan", "--verify-concurrency", "100000", "."])
        .run();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("--verify-concurrency 100000: using 256"),
        "{}",
        out.stderr
    );
}
