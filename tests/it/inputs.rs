//! What is read, and how: pipes, process substitutions and devices named as paths (read as
//! streams), the ones met while walking (skipped and counted), `--max-file-size` on files and
//! streams alike, text decoding (UTF-16 by evidence, not by its first two bytes), and
//! keyhound's own reports in the tree (skipped and counted).

use std::process::Stdio;
use std::time::Duration;

use crate::support::*;

/// Makes a named pipe at `path` with `mkfifo`.
#[cfg(unix)]
fn mkfifo(path: &std::path::Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo")
        .success();
    assert!(ok, "mkfifo {}", path.display());
}

#[cfg(unix)]
#[test]
fn a_named_pipe_given_as_a_path_is_read_as_a_stream() {
    let tree = Tree::new();
    let (k, s, text) = pair_ini(9001);
    let fifo = tree.path().join("creds.pipe");
    mkfifo(&fifo);
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, text))
    };
    let out = json_scan(tree.path(), &[])
        .args(["creds.pipe"])
        .run_within(Duration::from_secs(60));
    // A scan that never opened the pipe leaves the writer waiting for a reader: be that reader.
    let waited = std::time::Instant::now();
    while !writer.is_finished() && waited.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(10));
    }
    if !writer.is_finished() {
        let _ = std::fs::read(&fifo);
    }
    writer.join().unwrap().unwrap();
    let doc = verify(
        "fifo",
        &out,
        &[pair(&k, &s).key_at(1).secret_at(2).in_file("creds.pipe")],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(doc["summary"]["files"], 1, "{}", doc["summary"]);
}

#[cfg(unix)]
#[test]
fn a_process_substitution_is_scanned() {
    let tree = Tree::new();
    let (k, s, text) = pair_ini(9002);
    tree.write("creds.env", &text);
    // `keyhound scan <(cat creds.env)`, as a shell runs it.
    let script =
        format!("exec '{BIN}' scan --no-verify --format json --show-secrets <(cat creds.env)");
    // The hermetic environment of `command`, for the shell.
    let env = command(tree.path());
    let out = std::process::Command::new("bash")
        .current_dir(tree.path())
        .envs(
            env.get_envs()
                .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned()))),
        )
        .args(["-c", &script])
        .stdin(Stdio::null())
        .output()
        .expect("run bash");
    let out = Output {
        code: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_eq!(out.code, 1, "{}", out.stderr);
    let doc = out.json();
    let found = findings_of(&doc);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].key_id.as_deref(), Some(k.as_str()));
    assert_eq!(found[0].secret.as_deref(), Some(s.as_str()));
    assert!(
        found[0].locs[0].path.starts_with("/dev/fd/"),
        "{:?}",
        found[0].locs
    );
}

#[cfg(unix)]
#[test]
fn pipes_met_while_walking_are_skipped_and_counted() {
    let tree = Tree::new();
    let (k, s, text) = pair_ini(9003);
    tree.write("a/creds.env", &text);
    // Nobody writes to it: opening it would block the walk forever.
    mkfifo(&tree.path().join("a/stuck.pipe"));
    let out = json_scan(tree.path(), &[])
        .args(["."])
        .run_within(Duration::from_secs(60));
    let doc = verify(
        "walked fifo",
        &out,
        &[pair(&k, &s).key_at(1).secret_at(2).in_file("a/creds.env")],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(doc["summary"]["skipped_special"], 1, "{}", doc["summary"]);
    let text = keyhound(tree.path())
        .args(["scan", "--no-verify", "."])
        .run_within(Duration::from_secs(60));
    assert!(
        text.stderr.contains("1 special file"),
        "the summary counts it:\n{}",
        text.stderr
    );
}

#[cfg(unix)]
#[test]
fn an_endless_device_stops_at_the_size_limit() {
    let tree = Tree::new();
    let out = json_scan(tree.path(), &["--max-file-size", "1M"])
        .args(["/dev/zero"])
        .run_within(Duration::from_secs(60));
    let doc = verify("dev zero", &out, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(doc["summary"]["skipped_large"], 1, "{}", doc["summary"]);
}

#[cfg(unix)]
#[test]
fn endless_standard_input_stops_at_the_size_limit() {
    let tree = Tree::new();
    let zero = std::fs::File::open("/dev/zero").unwrap();
    let mut child = command(tree.path())
        .args(["scan", "--no-verify", "--format", "json"])
        .args(["--max-file-size", "1M", "-"])
        .stdin(zero)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Without the limit it reads until memory runs out: stop it long before.
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("keyhound kept reading an endless standard input");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["summary"]["skipped_large"], 1, "{}", doc["summary"]);
}

#[test]
fn standard_input_honours_max_file_size() {
    let tree = Tree::new();
    let mut big = pair_ini(9004).2;
    while big.len() <= 2048 {
        big.push_str("# padding line that makes this input larger than one kibibyte\n");
    }
    let out = json_scan(tree.path(), &["--max-file-size", "1K"])
        .args(["-"])
        .stdin(big)
        .run();
    let doc = verify("big stdin", &out, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(doc["summary"]["skipped_large"], 1, "{}", doc["summary"]);
    assert_eq!(doc["summary"]["files"], 0, "{}", doc["summary"]);
}

#[test]
fn the_largest_max_file_size_reads_files_whole() {
    let tree = Tree::new();
    let (k, s, text) = pair_ini(9005);
    tree.write("creds.ini", &text);
    let max = u64::MAX.to_string();
    let out = scan_json(tree.path(), &["--max-file-size", &max]);
    verify(
        "u64::MAX",
        &out,
        &[pair(&k, &s).key_at(1).secret_at(2).in_file("creds.ini")],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = json_scan(tree.path(), &["--max-file-size", &max])
        .args(["-"])
        .stdin(text)
        .run();
    verify(
        "u64::MAX stdin",
        &out,
        &[pair(&k, &s).key_at(1).secret_at(2).in_file("<stdin>")],
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

fn utf16(bom: [u8; 2], text: &str, big_endian: bool) -> Vec<u8> {
    let mut v = bom.to_vec();
    for u in text.encode_utf16() {
        v.extend_from_slice(&if big_endian {
            u.to_be_bytes()
        } else {
            u.to_le_bytes()
        });
    }
    v
}

#[test]
fn utf16_files_with_a_byte_order_mark_are_decoded() {
    let tree = Tree::new();
    let (k1, s1, t1) = pair_ini(9010);
    let (k2, s2, t2) = pair_ini(9011);
    tree.write("le.ini", utf16([0xFF, 0xFE], &t1, false));
    tree.write("be.ini", utf16([0xFE, 0xFF], &t2, true));
    let out = scan_json(tree.path(), &[]);
    verify(
        "utf-16",
        &out,
        &[
            pair(&k1, &s1).key_at(1).secret_at(2).in_file("le.ini"),
            pair(&k2, &s2).key_at(1).secret_at(2).in_file("be.ini"),
        ],
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn ascii_that_starts_with_ff_fe_is_not_read_as_utf16() {
    let tree = Tree::new();
    let (k1, s1, t1) = pair_ini(9012);
    let (k2, s2, t2) = pair_ini(9013);
    let mut le = vec![0xFF, 0xFE];
    le.extend_from_slice(t1.as_bytes());
    let mut be = vec![0xFE, 0xFF];
    be.extend_from_slice(t2.as_bytes());
    tree.write("ff-fe.ini", le);
    tree.write("fe-ff.ini", be);
    let out = scan_json(tree.path(), &[]);
    verify(
        "ascii after a mark",
        &out,
        &[
            pair(&k2, &s2).key_at(1).secret_at(2).in_file("fe-ff.ini"),
            pair(&k1, &s1).key_at(1).secret_at(2).in_file("ff-fe.ini"),
        ],
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn keyhound_reports_in_the_tree_are_skipped_and_counted() {
    let tree = Tree::new();
    let (k, s, text) = pair_ini(9020);
    tree.write("src/creds.ini", &text);
    // The README's CI step, run twice: the second run finds the first one's report.
    let sarif = keyhound(tree.path())
        .args([
            "scan",
            "--no-verify",
            "--format",
            "sarif",
            "-o",
            "keyhound.sarif",
            ".",
        ])
        .run();
    assert_eq!(sarif.code, 1, "{}", sarif.stderr);
    // Reports of the other formats, secrets shown, under names of their own.
    std::fs::create_dir_all(tree.path().join("out")).unwrap();
    for (format, name) in [("json", "out/report.json"), ("jsonl", "out/findings.jsonl")] {
        let out = keyhound(tree.path())
            .args(["scan", "--no-verify", "--show-secrets", "--format", format])
            .args(["-o", name, "src"])
            .run();
        assert_eq!(out.code, 1, "{format}: {}", out.stderr);
    }
    let out = scan_json(tree.path(), &[]);
    let doc = verify(
        "reports in the tree",
        &out,
        &[pair(&k, &s).key_at(1).secret_at(2).in_file("src/creds.ini")],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(doc["summary"]["skipped_reports"], 3, "{}", doc["summary"]);
    let text = keyhound(tree.path())
        .args(["scan", "--no-verify", "."])
        .run();
    assert!(
        text.stderr.contains("3 keyhound reports"),
        "{}",
        text.stderr
    );
    // A file that merely mentions keyhound is scanned as usual.
    let (k2, s2, text2) = pair_ini(9021);
    tree.write(
        "notes.json",
        format!("{{\"tool\": \"keyhound\", \"notes\": {:?}}}\n", text2),
    );
    let out = scan_json(tree.path(), &[]);
    let found = findings_of(&out.json());
    assert!(
        found
            .iter()
            .any(|f| f.key_id.as_deref() == Some(k2.as_str())
                && f.secret.as_deref() == Some(s2.as_str())),
        "{found:?}"
    );
}
