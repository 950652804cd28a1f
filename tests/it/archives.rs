//! Archives, compressed files and container images, built at test time from generated fake
//! keys: every format with a pair expected as one finding at the right member chain; nesting
//! and `--max-archive-depth`; hostile archives (bombs of each kind, a tar of many entries,
//! hostile member names) as counted skips with a warning; damaged archives scanned as far as
//! they can be read; an archive committed to git history.

use std::time::Duration;

use serde_json::Value;

use crate::support::*;

/// The pair of `seed` as an INI (key on line 1, secret on line 2), and the finding expected
/// at `path` (the outer file and its members, `!`-separated).
fn ini(seed: u64) -> (String, impl Fn(&str) -> Expected) {
    let (k, s, text) = pair_ini(seed);
    (text, move |path: &str| {
        pair(&k, &s).key_at(1).secret_at(2).in_file(path)
    })
}

#[test]
fn every_archive_and_compression_format() {
    let mut cases = Vec::new();
    let mut seed = 7100;
    // Zip family: stored and deflated, and the names zip files go by.
    for (file, member, deflate) in [
        ("plain.zip", "config/app.env", false),
        ("deflated.zip", "config/app.env", true),
        (
            "dist/app.jar",
            "BOOT-INF/classes/application.properties",
            true,
        ),
        ("app-release.apk", "assets/config.ini", true),
        ("pkg-1.0-py3-none-any.whl", "pkg/settings.py", true),
        ("Acme.Lib.1.0.0.nupkg", "content/appsettings.ini", true),
        ("extension.vsix", "extension/config.ini", true),
    ] {
        seed += 1;
        let (text, at) = ini(seed);
        let z = archive::zip(
            &[("README.md", b"# readme\n"), (member, text.as_bytes())],
            deflate,
        );
        cases.push(
            Case::new(file)
                .file(file, z)
                .expect(at(&format!("{file}!{member}"))),
        );
    }
    // Tar and the compressed streams, alone and around a tar.
    type Compress = fn(&[u8]) -> Vec<u8>;
    let compressions: [(&str, Compress); 4] = [
        ("gz", archive::gz),
        ("bz2", archive::bz2),
        ("xz", archive::xz),
        ("zst", archive::zst),
    ];
    for (ext, compress) in compressions {
        seed += 1;
        let (text, at) = ini(seed);
        let file = format!("creds.txt.{ext}");
        cases.push(
            Case::new(&file)
                .file(&file, compress(text.as_bytes()))
                .expect(at(&file)),
        );
        seed += 1;
        let (text, at) = ini(seed);
        let t = archive::tar(&[("etc/app/.env", text.as_bytes())]);
        let file = format!("backup.tar.{ext}");
        cases.push(
            Case::new(&file)
                .file(&file, compress(&t))
                .expect(at(&format!("{file}!etc/app/.env"))),
        );
    }
    seed += 1;
    let (text, at) = ini(seed);
    let t = archive::tar(&[("./conf/aws.ini", text.as_bytes())]);
    cases.push(
        Case::new("tar")
            .file("conf.tar", &t)
            .expect(at("conf.tar!conf/aws.ini")),
    );
    seed += 1;
    let (text, at) = ini(seed);
    let t = archive::tar(&[("package/.npmrc", text.as_bytes())]);
    cases.push(
        Case::new("npm tgz named by nothing")
            .file("package-1.0.0.tgz", archive::gz(&t))
            .expect(at("package-1.0.0.tgz!package/.npmrc")),
    );
    // Recognised by magic bytes, not names: a zip called .txt, a gzip without extension.
    seed += 1;
    let (text, at) = ini(seed);
    cases.push(
        Case::new("zip named txt")
            .file(
                "notes.txt",
                archive::zip(&[("a.ini", text.as_bytes())], true),
            )
            .expect(at("notes.txt!a.ini")),
    );
    // A Spring Boot "fully executable" jar: a launch script, then the zip.
    seed += 1;
    let (text, at) = ini(seed);
    let mut exe = b"#!/bin/bash\n# launch script\nexec java -jar \"$0\" \"$@\"\nexit 0\n".to_vec();
    exe.extend(archive::zip(
        &[("BOOT-INF/classes/application.ini", text.as_bytes())],
        true,
    ));
    cases.push(
        Case::new("executable jar")
            .file("orders.jar", exe)
            .expect(at("orders.jar!BOOT-INF/classes/application.ini")),
    );
    check_all(cases);
}

#[test]
fn office_documents_have_their_xml_scanned() {
    let (k, s) = (key_id(7201), secret(7201));
    let doc = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Deploy user: access key {k} secret key {s}</w:t></w:r></w:p></w:body></w:document>"#
    );
    let docx = archive::zip(
        &[
            ("[Content_Types].xml", b"<Types/>"),
            ("word/document.xml", doc.as_bytes()),
        ],
        true,
    );
    let (k2, s2) = (key_id(7202), secret(7202));
    let shared = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4" uniqueCount="4"><si><t>Access key ID</t></si><si><t>Secret access key</t></si><si><t>{k2}</t></si><si><t>{s2}</t></si></sst>"#
    );
    let xlsx = archive::zip(
        &[
            ("[Content_Types].xml", b"<Types/>"),
            ("xl/sharedStrings.xml", shared.as_bytes()),
        ],
        true,
    );
    check_all(vec![
        Case::new("docx").file("report.docx", docx).expect(
            pair(&k, &s)
                .key_at(1)
                .secret_at(1)
                .in_file("report.docx!word/document.xml"),
        ),
        Case::new("xlsx").file("keys.xlsx", xlsx).expect(
            pair(&k2, &s2)
                .key_at(1)
                .secret_at(1)
                .in_file("keys.xlsx!xl/sharedStrings.xml"),
        ),
    ]);
}

#[test]
fn nesting_follows_max_archive_depth() {
    let (text, at) = ini(7301);
    let inner = archive::zip(&[("WEB-INF/app.ini", text.as_bytes())], true);
    let outer = archive::gz(&archive::tar(&[("lib/app.war", &inner)]));
    let tree = Tree::new();
    tree.write("release.tar.gz", &outer);
    let out = scan_json(tree.path(), &[]);
    verify(
        "default depth",
        &out,
        &[at("release.tar.gz!lib/app.war!WEB-INF/app.ini")],
    )
    .unwrap();
    let doc = out.json();
    let f = &doc["findings"][0];
    assert_eq!(f["path"], "release.tar.gz");
    assert_eq!(
        f["members"],
        serde_json::json!(["lib/app.war", "WEB-INF/app.ini"])
    );
    assert_eq!(f["locations"][0]["members"], f["members"]);
    assert!(doc["summary"]["archives"]["opened"].as_u64().unwrap() >= 3);
    // One level: the war inside is not opened, and that is counted.
    let out = scan_json(tree.path(), &["--max-archive-depth", "1"]);
    let doc = verify("depth 1", &out, &[]).unwrap();
    assert_eq!(doc["summary"]["archives"]["skipped_depth"], 1);
    assert!(
        out.stderr.contains("deeper than --max-archive-depth"),
        "{}",
        out.stderr
    );
    // Off: the file is binary content, nothing is opened.
    let out = scan_json(tree.path(), &["--max-archive-depth", "0"]);
    let doc = verify("off", &out, &[]).unwrap();
    assert_eq!(doc["summary"]["archives"]["opened"], 0);
}

#[test]
fn the_member_chain_in_every_report_format() {
    let (k, s) = (key_id(7401), secret(7401));
    let props = format!("app.name=demo\n\naws.accessKeyId={k}\naws.secretKey={s}\n");
    let jar = archive::zip(
        &[("BOOT-INF/classes/application.properties", props.as_bytes())],
        true,
    );
    let tree = Tree::new();
    tree.write("dist/app.jar", &jar);
    let text = keyhound(tree.path())
        .args(["scan", "--no-verify", "--color", "never", "."])
        .run();
    assert_eq!(text.code, 1, "{}", text.stderr);
    assert!(
        text.stdout_str()
            .contains("dist/app.jar!BOOT-INF/classes/application.properties:3:17"),
        "{}",
        text.stdout_str()
    );
    let sarif = keyhound(tree.path())
        .args(["scan", "--no-verify", "--format", "sarif", "."])
        .run();
    let v: Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let r = &v["runs"][0]["results"][0];
    let loc = &r["locations"][0];
    assert_eq!(
        loc["physicalLocation"]["artifactLocation"]["uri"],
        "dist/app.jar"
    );
    assert_eq!(
        loc["properties"]["members"],
        serde_json::json!(["BOOT-INF/classes/application.properties"])
    );
    let message = r["message"]["text"].as_str().unwrap();
    assert!(
        message.contains("dist/app.jar!BOOT-INF/classes/application.properties, line 3"),
        "{message}"
    );
    // The fingerprint does not depend on where the credential was found.
    let plain = Tree::new();
    plain.write("application.properties", &props);
    let a = scan_json(tree.path(), &[]).json();
    let b = scan_json(plain.path(), &[]).json();
    assert_eq!(
        a["findings"][0]["fingerprint"],
        b["findings"][0]["fingerprint"]
    );
    assert!(b["findings"][0].get("members").is_none());
    assert!(b["findings"][0]["locations"][0].get("members").is_none());
}

#[test]
fn docker_save_image_with_a_zip_in_a_tar_gz_in_a_layer() {
    let (text, at) = ini(7501);
    let zip = archive::zip(&[("conf/aws.ini", text.as_bytes())], true);
    let tgz = archive::gz(&archive::tar(&[("bundle/creds.zip", &zip)]));
    let base = archive::tar(&[("etc/os-release", b"ID=test\n")]);
    let app = archive::tar(&[("opt/app/bundle.tar.gz", &tgz)]);
    let config = r#"{"architecture":"amd64","config":{"Env":["PATH=/usr/bin"]},"history":[]}"#;
    let image = archive::docker_save(config, &[base, app]);
    let tree = Tree::new();
    tree.write("image.tar", &image);
    let out = scan_json(tree.path(), &[]);
    let layer = format!("{:064x}/layer.tar", 2);
    let doc = verify(
        "docker save",
        &out,
        &[at(&format!(
            "image.tar!{layer}!opt/app/bundle.tar.gz!bundle/creds.zip!conf/aws.ini"
        ))],
    )
    .unwrap();
    assert_eq!(doc["summary"]["archives"]["images_opened"], 1);
    assert!(out.stderr.contains("1 image"), "{}", out.stderr);
}

#[test]
fn oci_layout_with_the_key_only_in_the_config_env() {
    let (k, s) = (key_id(7601), secret(7601));
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","config":{{"Env":["PATH=/usr/local/bin","AWS_ACCESS_KEY_ID={k}","AWS_SECRET_ACCESS_KEY={s}"],"Cmd":["/app"]}},"history":[{{"created_by":"ENV PATH=/usr/local/bin"}}]}}"#
    );
    let layer = archive::tar(&[("app/main.py", b"print('hello')\n")]);
    let image = archive::oci_tar(&config, &[layer]);
    let tree = Tree::new();
    tree.write("app-oci.tar", &image);
    let out = scan_json(tree.path(), &[]);
    let config_path = format!("app-oci.tar!blobs/sha256/{:064x}", 100);
    let doc = verify(
        "oci",
        &out,
        &[pair(&k, &s).key_at(1).secret_at(1).in_file(&config_path)],
    )
    .unwrap();
    assert_eq!(doc["summary"]["archives"]["images_opened"], 1);
}

#[test]
fn a_file_deleted_by_a_later_layer_is_reported_as_deleted() {
    let (text, at) = ini(7701);
    let (text2, at2) = ini(7702);
    let l1 = archive::tar(&[
        ("app/.env", text.as_bytes()),
        ("app/keep.ini", text2.as_bytes()),
    ]);
    let l2 = archive::tar(&[("app/.wh..env", b"")]);
    let image = archive::docker_save(r#"{"config":{}}"#, &[l1, l2]);
    let tree = Tree::new();
    tree.write("image.tar", &image);
    let out = scan_json(tree.path(), &[]);
    let layer = format!("{:064x}/layer.tar", 1);
    let doc = verify(
        "whiteout",
        &out,
        &[
            at(&format!("image.tar!{layer}!app/.env")),
            at2(&format!("image.tar!{layer}!app/keep.ini")),
        ],
    )
    .unwrap();
    for f in doc["findings"].as_array().unwrap() {
        let deleted = f["members"][1] == "app/.env";
        assert_eq!(
            f["locations"][0].get("deleted_in_later_layer").is_some(),
            deleted,
            "{f}"
        );
    }
    let text = keyhound(tree.path())
        .args(["scan", "--no-verify", "--color", "never", "."])
        .run();
    assert!(
        text.stdout_str()
            .contains("app/.env:1:21 (deleted in a later layer, still in the image)"),
        "{}",
        text.stdout_str()
    );
}

/// A scan that must end within `secs` seconds; its JSON report.
fn bounded_scan(tree: &Tree, extra: &[&str], secs: u64) -> Output {
    json_scan(tree.path(), extra)
        .args(["."])
        .run_within(Duration::from_secs(secs))
}

#[test]
fn zip_bombs_and_huge_members_are_counted_skips() {
    let (text, at) = ini(7801);
    let tree = Tree::new();
    // Overlapping entries: 2,000 entries over one 1 MiB kernel.
    tree.write(
        "overlap.zip",
        archive::overlapping_zip(&vec![0u8; 1 << 20], 2000),
    );
    // A gzip of zeros: 4 GiB out of 4 MiB.
    tree.write("zeros.gz", archive::gzip_of_zeros(4096));
    // Recursive: zips of zips of a gzip of zeros (the shape of 42.zip).
    let gz = archive::gzip_of_zeros(64);
    let level1 = archive::zip(&[("a.gz", &gz), ("b.gz", &gz), ("c.gz", &gz)], false);
    let level2 = archive::zip(
        &[("1.zip", &level1), ("2.zip", &level1), ("3.zip", &level1)],
        false,
    );
    tree.write("nested.zip", level2);
    // A real finding beside them is still found.
    tree.write(
        "ok.tar.gz",
        archive::gz(&archive::tar(&[("a.ini", text.as_bytes())])),
    );
    let out = bounded_scan(&tree, &[], 60);
    let doc = verify("bombs", &out, &[at("ok.tar.gz!a.ini")]).unwrap();
    let a = &doc["summary"]["archives"];
    assert_eq!(a["skipped_ratio"], 3, "{a}");
    assert_eq!(
        out.stderr.matches("archive not read further").count(),
        3,
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("overlap.zip: archive not read further"));
    assert!(out.stderr.contains("compression ratio over 200:1"));
    // Incompressible members past --max-archive-size: the members before the limit are
    // scanned, the rest is a counted skip.
    let mut rng = Rng::new(7802);
    let noise = rng.bytes(600_000);
    let big = Tree::new();
    big.write(
        "big.zip",
        archive::zip(
            &[
                ("a.ini", text.as_bytes()),
                ("b.bin", &noise),
                ("c.bin", &noise),
                ("d.bin", &noise),
            ],
            true,
        ),
    );
    let out = bounded_scan(&big, &["--max-archive-size", "1M"], 60);
    let doc = verify("size", &out, &[at("big.zip!a.ini")]).unwrap();
    assert_eq!(doc["summary"]["archives"]["skipped_size"], 1);
    assert!(
        out.stderr
            .contains("more than 1 MiB decompressed (--max-archive-size)"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_tar_of_many_empty_entries_stops_at_the_member_limit() {
    // A million empty entries, gzipped: 1,000 gzip members of 1,000 headers each, a few
    // hundred kilobytes on disk.
    let mut h = tar::Header::new_ustar();
    h.set_size(0);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_path("empty").unwrap();
    h.set_cksum();
    let chunk = archive::gz(&h.as_bytes().repeat(1000));
    let tree = Tree::new();
    tree.write("many.tar.gz", chunk.repeat(1000));
    let out = bounded_scan(&tree, &[], 120);
    let doc = verify("many entries", &out, &[]).unwrap();
    assert_eq!(doc["summary"]["archives"]["skipped_members"], 1);
    assert!(
        out.stderr.contains("more than 250000 members"),
        "{}",
        out.stderr
    );
}

#[test]
fn damaged_archives_have_every_readable_member_scanned() {
    let (text, at) = ini(7901);
    let (text2, _) = ini(7902);
    let z = archive::zip(
        &[
            ("first.ini", text.as_bytes()),
            ("second.ini", text2.repeat(50).as_bytes()),
        ],
        true,
    );
    // Cut inside the second member: no central directory.
    let cut = z.len() - 200;
    let (text3, at3) = ini(7903);
    let gz = archive::gz(text3.as_bytes());
    let (text4, at4) = ini(7904);
    let encrypted =
        archive::mark_encrypted(archive::zip(&[("secret.ini", text4.as_bytes())], true));
    let mixed = archive::zip(&[("plain.ini", text4.as_bytes())], true);
    let _ = at4;
    let tree = Tree::new();
    tree.write("truncated.zip", &z[..cut]);
    // A gzip cut short of its trailer: the text is all there.
    tree.write("short.gz", &gz[..gz.len() - 6]);
    tree.write("locked.zip", encrypted);
    tree.write("sub/plain.zip", mixed);
    let out = scan_json(tree.path(), &[]);
    let (k4, s4) = (key_id(7904), secret(7904));
    let doc = verify(
        "damaged",
        &out,
        &[
            at("truncated.zip!first.ini"),
            at3("short.gz"),
            pair(&k4, &s4)
                .key_at(1)
                .secret_at(2)
                .in_file("sub/plain.zip!plain.ini"),
        ],
    )
    .unwrap();
    let a = &doc["summary"]["archives"];
    assert_eq!(a["damaged"], 2, "{a}");
    assert_eq!(a["encrypted_members"], 1, "{a}");
    assert_eq!(doc["summary"]["errors"], 0);
    assert!(
        out.stderr.contains("truncated.zip: damaged archive"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("locked.zip!secret.ini: encrypted member"),
        "{}",
        out.stderr
    );
    // Damage is content, not a failed scan: without findings the exit status is 0.
    let clean = Tree::new();
    clean.write(
        "truncated.zip",
        &archive::zip(&[("a.txt", &[b'x'; 5000][..])], true)[..100],
    );
    let out = scan_json(clean.path(), &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["summary"]["archives"]["damaged"], 1);
}

#[test]
fn hostile_member_names_are_labels_only() {
    let (text, at) = ini(8001);
    let (text2, _) = ini(8002);
    let z = archive::zip(
        &[
            ("../../etc/passwd", text.as_bytes()),
            ("evil\x1b]0;pwned\x07\x1b[2J.ini", text2.as_bytes()),
        ],
        true,
    );
    let tree = Tree::new();
    tree.write("names.zip", z);
    let out = scan_json(tree.path(), &[]);
    let doc = out.json();
    assert!(findings_of(&doc).contains(&at("names.zip!../../etc/passwd")));
    let text = keyhound(tree.path())
        .args(["scan", "--no-verify", "--color", "never", "."])
        .run();
    let shown = text.stdout_str();
    assert!(!shown.contains('\x1b'), "{shown:?}");
    assert!(
        shown.contains("names.zip!evil\\u{1b}]0;pwned\\u{7}\\u{1b}[2J.ini:1:21"),
        "{shown}"
    );
    // Nothing was written: the names were never paths.
    let entries: Vec<_> = std::fs::read_dir(tree.path()).unwrap().collect();
    assert_eq!(entries.len(), 1);
}

#[test]
fn an_archive_in_git_history_keeps_its_commit() {
    let (text, at) = ini(8101);
    let repo = GitRepo::init();
    repo.write("README.md", "# app\n");
    repo.commit_all("start");
    repo.write(
        "dist/app.jar",
        archive::zip(&[("config/app.ini", text.as_bytes())], true),
    );
    let c = repo.commit_all("add the build");
    repo.git(&["rm", "-q", "dist/app.jar"]);
    repo.commit_all("remove the build");
    let out = scan_json(repo.path(), &[]);
    let doc = verify("history", &out, &[at("dist/app.jar!config/app.ini")]).unwrap();
    let l = &doc["findings"][0]["locations"][0];
    assert_eq!(l["commit"], c.json());
    assert_eq!(doc["findings"][0]["present_at_head"], false);
    // --since sees it in the commit that adds it.
    let out = scan_json(repo.path(), &["--since", &format!("{}^", c.id)]);
    verify("since", &out, &[at("dist/app.jar!config/app.ini")]).unwrap();
}

#[test]
fn oci_layout_directory_named_as_a_path() {
    let (k, s) = (key_id(8201), secret(8201));
    let config =
        format!(r#"{{"config":{{"Env":["AWS_ACCESS_KEY_ID={k}","AWS_SECRET_ACCESS_KEY={s}"]}}}}"#);
    let (text, at) = ini(8202);
    let l1 = archive::tar(&[("srv/.env", text.as_bytes())]);
    let l2 = archive::tar(&[("srv/.wh..env", b"")]);
    let image = archive::oci_tar(&config, &[l1, l2]);
    let tree = Tree::new();
    tar::Archive::new(image.as_slice())
        .unpack(tree.path().join("layout"))
        .unwrap();
    let out = scan_json_at(tree.path(), &[], "layout");
    let blob = |n: u32| format!("layout/blobs/sha256/{n:064x}");
    let doc = verify(
        "oci dir",
        &out,
        &[
            pair(&k, &s).key_at(1).secret_at(1).in_file(&blob(100)),
            at(&format!("{}!srv/.env", blob(1))),
        ],
    )
    .unwrap();
    assert_eq!(doc["summary"]["archives"]["images_opened"], 1);
    let layer_finding = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["members"][0] == "srv/.env")
        .unwrap();
    assert_eq!(
        layer_finding["locations"][0]["deleted_in_later_layer"],
        true
    );
    // Each file of the layout is read once: the walk does not read them again.
    assert_eq!(doc["findings"].as_array().unwrap().len(), 2);
}
