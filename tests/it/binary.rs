//! Binary content read as its printable strings: C strings in an ELF-like blob, a compiled
//! Python file (written byte for byte, and made by `py_compile` when Python is installed), a
//! SQLite database (written byte for byte, and made by Python's `sqlite3`), UTF-16LE strings in
//! a PE-like blob, and the same in git history; locations as byte offsets in every format;
//! `--no-binary`; UTF-16 text without a byte-order mark; and the negatives: random bytes give
//! no finding, a UTF-8 file with a few NULs is read as the text it is.

use std::collections::HashSet;
use std::process::Command;

use serde_json::Value;

use crate::support::*;

/// Where `needle` starts in `data`.
fn offset_of(data: &[u8], needle: &str) -> usize {
    data.windows(needle.len())
        .position(|w| w == needle.as_bytes())
        .unwrap_or_else(|| panic!("{needle} not in the data"))
}

/// A pair found in binary content `data` of file `path`, by byte offsets.
fn binary_pair(data: &[u8], path: &str, k: &str, s: &str) -> Expected {
    pair(k, s)
        .key_at_offset(offset_of(data, k))
        .secret_at_offset(offset_of(data, s))
        .in_file(path)
}

/// An ELF-like blob whose `.rodata` holds the key ID and the secret as two C strings.
fn elf_with_c_strings(k: &str, s: &str) -> Vec<u8> {
    let mut d = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0\x3e\0\x01\0\0\0".to_vec();
    d.extend_from_slice(&[0x48, 0x89, 0xe5, 0x31, 0xc0, 0xc3, 0, 0, 0x90, 0x90]);
    d.extend_from_slice(b"usage: tool [options]\0");
    d.extend_from_slice(k.as_bytes());
    d.push(0);
    d.extend_from_slice(s.as_bytes());
    d.push(0);
    d.extend_from_slice(&[0xff, 0xfe, 0x01, 0x00, 0x13, 0x37]);
    d
}

/// A compiled Python 3.11 module as `py_compile` writes one for `KEY = "…"` and
/// `SECRET = "…"`: the header, then the marshalled code object, whose constants lie back to back
/// with printable type and length bytes around them (`z(` before the 40-character secret, `c`
/// after it).
fn pyc_bytes(k: &str, s: &str) -> Vec<u8> {
    let mut d = b"\xa7\x0d\x0d\x0a\0\0\0\0\x57\x83\x14\x6b\xca\0\0\0".to_vec();
    d.extend_from_slice(b"\xe3\0\0\0\0\0\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0\xf3\x14\0\0\0");
    d.extend_from_slice(b"\x97\0d\0Z\0d\x01Z\x01d\x02S\0)\x04\xda\x14");
    d.extend_from_slice(k.as_bytes());
    d.extend_from_slice(b"z(");
    d.extend_from_slice(s.as_bytes());
    d.extend_from_slice(b"N)\x02\xda\x11AWS_ACCESS_KEY_ID\xda\x15AWS_SECRET_ACCESS_KEYr\t\0\0\0");
    d
}

/// A SQLite varint.
fn varint(mut v: u64) -> Vec<u8> {
    if v < 0x80 {
        return vec![v as u8];
    }
    let mut out = vec![(v & 0x7f) as u8];
    v >>= 7;
    while v > 0 {
        out.push((v & 0x7f) as u8 | 0x80);
        v >>= 7;
    }
    out.reverse();
    out
}

/// A value of a SQLite record.
enum Val<'a> {
    Null,
    Int(u8),
    Text(&'a str),
}

/// A SQLite record: the header of serial types, then the values back to back.
fn record(values: &[Val<'_>]) -> Vec<u8> {
    let types: Vec<u8> = values
        .iter()
        .flat_map(|v| {
            varint(match v {
                Val::Null => 0,
                Val::Int(_) => 1,
                Val::Text(t) => t.len() as u64 * 2 + 13,
            })
        })
        .collect();
    let mut r = varint(types.len() as u64 + 1);
    r.extend(types);
    for v in values {
        match v {
            Val::Null => {}
            Val::Int(n) => r.push(*n),
            Val::Text(t) => r.extend_from_slice(t.as_bytes()),
        }
    }
    r
}

/// One table-leaf page of `size` bytes holding `rows` (row id, record), its b-tree header at
/// `header` (100 on the first page).
fn leaf_page(size: usize, header: usize, rows: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let mut page = vec![0u8; size];
    let mut end = size;
    let mut pointers = Vec::new();
    for (rowid, rec) in rows {
        let mut cell = varint(rec.len() as u64);
        cell.extend(varint(*rowid));
        cell.extend_from_slice(rec);
        end -= cell.len();
        page[end..end + cell.len()].copy_from_slice(&cell);
        pointers.push(end as u16);
    }
    page[header] = 0x0d;
    page[header + 3..header + 5].copy_from_slice(&(rows.len() as u16).to_be_bytes());
    page[header + 5..header + 7].copy_from_slice(&(end as u16).to_be_bytes());
    for (i, p) in pointers.iter().enumerate() {
        let at = header + 8 + 2 * i;
        page[at..at + 2].copy_from_slice(&p.to_be_bytes());
    }
    page
}

/// A SQLite database, byte for byte as the file format describes it: a `creds` table whose
/// one row holds a name, the key ID, the secret and a note, which SQLite stores back to back.
fn sqlite_bytes(k: &str, s: &str) -> Vec<u8> {
    const PAGE: usize = 1024;
    let sql = "CREATE TABLE creds(id integer primary key, name text, key_id text, secret text, \
               note text)";
    let master = record(&[
        Val::Text("table"),
        Val::Text("creds"),
        Val::Text("creds"),
        Val::Int(2),
        Val::Text(sql),
    ]);
    let mut page1 = leaf_page(PAGE, 100, &[(1, master)]);
    let mut head = b"SQLite format 3\0".to_vec();
    head.extend_from_slice(&(PAGE as u16).to_be_bytes());
    head.extend_from_slice(&[1, 1, 0, 64, 32, 32]);
    head.extend_from_slice(&1u32.to_be_bytes()); // change counter
    head.extend_from_slice(&2u32.to_be_bytes()); // pages
    head.extend_from_slice(&[0; 8]); // freelist
    head.extend_from_slice(&1u32.to_be_bytes()); // schema cookie
    head.extend_from_slice(&4u32.to_be_bytes()); // schema format
    head.extend_from_slice(&[0; 8]);
    head.extend_from_slice(&0u32.to_be_bytes());
    head.extend_from_slice(&1u32.to_be_bytes()); // UTF-8
    head.resize(92, 0);
    head.extend_from_slice(&1u32.to_be_bytes()); // version-valid-for
    head.extend_from_slice(&3_045_000u32.to_be_bytes());
    page1[..100].copy_from_slice(&head);
    let row = record(&[
        Val::Null,
        Val::Text("deploy"),
        Val::Text(k),
        Val::Text(s),
        Val::Text("prod"),
    ]);
    let page2 = leaf_page(PAGE, 0, &[(1, row)]);
    let mut db = page1;
    db.extend(page2);
    db
}

fn python3() -> Option<&'static str> {
    Command::new("python3")
        .arg("-c")
        .arg("import sqlite3, py_compile")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| "python3")
}

#[test]
fn key_pairs_in_binary_files_are_found_at_byte_offsets() {
    let tree = Tree::new();
    let mut expected = Vec::new();
    for (seed, path, make) in [
        (
            9300,
            "bin/tool",
            elf_with_c_strings as fn(&str, &str) -> Vec<u8>,
        ),
        (9301, "app/__pycache__/settings.cpython-311.pyc", pyc_bytes),
        (9302, "data/app.db", sqlite_bytes),
    ] {
        let (k, s) = (key_id(seed), secret(seed));
        let data = make(&k, &s);
        tree.write(path, &data);
        expected.push(binary_pair(&data, path, &k, &s));
    }
    // UTF-16LE strings in a PE-like blob (a Windows resource table).
    let (k, s) = (key_id(9303), secret(9303));
    let mut pe = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0PE\0\0".to_vec();
    for v in ["AccessKeyId", &k, "SecretAccessKey", &s] {
        pe.extend(v.encode_utf16().flat_map(u16::to_le_bytes));
        pe.extend_from_slice(&[0, 0, 0x11, 0x80]);
    }
    tree.write("win/tool.exe", &pe);
    let utf16 = |v: &str| -> Vec<u8> { v.encode_utf16().flat_map(u16::to_le_bytes).collect() };
    expected.push(
        pair(&k, &s)
            .key_at_offset(find(&pe, &utf16(&k)))
            .secret_at_offset(find(&pe, &utf16(&s)))
            .in_file("win/tool.exe"),
    );
    let out = scan_json(tree.path(), &[]);
    let doc = verify("binaries", &out, &expected).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        doc["summary"]["binary_read_as_strings"], 4,
        "{}",
        doc["summary"]
    );
    assert_eq!(doc["summary"]["skipped_binary"], 0, "{}", doc["summary"]);
    // The length of a UTF-16 key ID counts its bytes.
    let lengths: Vec<u64> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["locations"].as_array().unwrap().clone())
        .filter(|l| l["path"] == "win/tool.exe")
        .map(|l| l["length"].as_u64().unwrap())
        .collect();
    assert_eq!(lengths, [40, 80]);

    // `--no-binary`: skipped and counted.
    let out = scan_json(tree.path(), &["--no-binary"]);
    let doc = verify("--no-binary", &out, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(doc["summary"]["skipped_binary"], 4, "{}", doc["summary"]);
    assert_eq!(doc["summary"]["binary_read_as_strings"], 0);
}

fn find(data: &[u8], needle: &[u8]) -> usize {
    data.windows(needle.len())
        .position(|w| w == needle)
        .unwrap_or_else(|| panic!("not in the data"))
}

#[test]
fn files_made_by_python_are_read() {
    let Some(py) = python3() else {
        eprintln!("python3 with sqlite3 not installed: the byte-for-byte fixtures stand in");
        return;
    };
    let tree = Tree::new();
    let (k1, s1) = (key_id(9310), secret(9310));
    let (k2, s2) = (key_id(9311), secret(9311));
    tree.write(
        "settings.py",
        format!("AWS_ACCESS_KEY_ID = \"{k1}\"\nAWS_SECRET_ACCESS_KEY = \"{s1}\"\nN = None\n"),
    );
    let script = format!(
        "import py_compile, sqlite3\n\
         py_compile.compile('settings.py', cfile='settings.pyc', doraise=True)\n\
         c = sqlite3.connect('app.db')\n\
         c.execute('create table creds(id integer primary key, name text, key_id text, \
         secret text, note text)')\n\
         c.execute('create index by_key on creds(key_id)')\n\
         c.execute(\"insert into creds values(1, 'deploy', '{k2}', '{s2}', 'prod')\")\n\
         c.commit()\n"
    );
    let status = Command::new(py)
        .args(["-c", &script])
        .current_dir(tree.path())
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::remove_file(tree.path().join("settings.py")).unwrap();
    let pyc = std::fs::read(tree.path().join("settings.pyc")).unwrap();
    let db = std::fs::read(tree.path().join("app.db")).unwrap();
    // The index repeats the key ID: one more location of the same key, not another finding.
    let mut in_db = pair(&k2, &s2);
    let mut from = 0;
    while let Some(at) = db[from..]
        .windows(k2.len())
        .position(|w| w == k2.as_bytes())
    {
        in_db = in_db.key_at_offset(from + at);
        from += at + 1;
    }
    let in_db = in_db
        .secret_at_offset(offset_of(&db, &s2))
        .in_file("app.db");
    let out = scan_json(tree.path(), &[]);
    verify(
        "python-made files",
        &out,
        &[binary_pair(&pyc, "settings.pyc", &k1, &s1), in_db],
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn binary_locations_in_text_and_sarif() {
    let tree = Tree::new();
    let (k, s) = (key_id(9320), secret(9320));
    let data = elf_with_c_strings(&k, &s);
    tree.write("tool", &data);
    let at = offset_of(&data, &k);
    let out = keyhound(tree.path())
        .args(["scan", "--no-verify", "--color", "never", "."])
        .run();
    assert!(
        out.stdout_str().contains(&format!("tool@{at:#x}")),
        "{}",
        out.stdout_str()
    );
    assert!(
        out.stderr.contains("1 binary file read as strings"),
        "{}",
        out.stderr
    );
    let out = keyhound(tree.path())
        .args(["scan", "--no-verify", "--format", "sarif", "."])
        .run();
    let sarif = out.json();
    let loc = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert_eq!(loc["region"]["byteOffset"], at, "{loc}");
    assert_eq!(loc["region"]["byteLength"], 20, "{loc}");
    // The line the bytes are on: the ELF header holds no line feed before them.
    assert_eq!(loc["region"]["startLine"], 1, "{loc}");
    assert!(loc["region"].get("startColumn").is_none(), "{loc}");
    let validator =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/validate-sarif");
    if validator.exists() && python3().is_some() {
        let file = tree.path().join("out.sarif");
        std::fs::write(&file, out.stdout_str()).unwrap();
        let v = Command::new(validator)
            .arg("--github")
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            v.status.success(),
            "{}{}",
            String::from_utf8_lossy(&v.stdout),
            String::from_utf8_lossy(&v.stderr)
        );
    }
}

#[test]
fn utf16_text_without_a_byte_order_mark_is_decoded() {
    let tree = Tree::new();
    let (k, s, text) = pair_ini(9330);
    // PowerShell's `Out-File` of old, and Windows exports: UTF-16LE, no mark, CRLF.
    let crlf = format!("# exported\r\n{}", text.replace('\n', "\r\n"));
    tree.write(
        "export.txt",
        crlf.encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect::<Vec<u8>>(),
    );
    let out = scan_json(tree.path(), &[]);
    let doc = verify(
        "utf-16le without a mark",
        &out,
        &[pair(&k, &s).key_at(2).secret_at(3).in_file("export.txt")],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(doc["summary"]["binary_read_as_strings"], 0);
}

#[test]
fn random_bytes_and_stray_nuls_give_nothing_false() {
    let tree = Tree::new();
    let mut rng = Rng::new(9340);
    for i in 0..8 {
        tree.write(&format!("random/{i}.bin"), rng.bytes(64 * 1024));
    }
    // A UTF-8 log with two stray NULs: text, read line by line, not UTF-16.
    let (k, s, text) = pair_ini(9341);
    let log = format!(
        "{}naïve \0 entry\n{text}{}tail\0\n",
        "2026-01-01 service started\n".repeat(30),
        "2026-01-01 request ok\n".repeat(30)
    );
    tree.write("service.log", &log);
    let out = scan_json(tree.path(), &[]);
    let doc = verify(
        "random and stray nuls",
        &out,
        &[pair(&k, &s)
            .key_at(line_of(&log, &k))
            .secret_at(line_of(&log, &s))
            .in_file("service.log")],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        doc["summary"]["binary_read_as_strings"], 8,
        "{}",
        doc["summary"]
    );
}

#[test]
fn binary_blobs_in_history_are_read_as_strings() {
    let repo = GitRepo::init();
    let (k, s) = (key_id(9350), secret(9350));
    let data = elf_with_c_strings(&k, &s);
    repo.write("bin/tool", &data);
    repo.write("README.md", "# service\n");
    repo.commit_all("A: a binary");
    repo.git(&["rm", "-q", "bin/tool"]);
    repo.commit_all("B: remove it");
    let out = scan_json(repo.path(), &[]);
    let doc = verify(
        "binary in history",
        &out,
        &[binary_pair(&data, "bin/tool", &k, &s)],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(doc["findings"][0]["present_at_head"], false);
    assert_eq!(doc["summary"]["binary_read_as_strings"], 1);
}

/// The keystore findings of a JSON report as (rule, path with members, byte offset, byte
/// length, fingerprint), sorted.
fn keystore_findings(doc: &Value) -> Vec<(String, String, u64, u64, String)> {
    let mut v: Vec<_> = doc["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| {
            f["rule_id"]
                .as_str()
                .is_some_and(|r| r.starts_with("keystore-"))
        })
        .map(|f| {
            let l = &f["locations"][0];
            let mut path = l["path"].as_str().unwrap_or("?").to_string();
            for m in l["members"].as_array().into_iter().flatten() {
                path.push('!');
                path.push_str(m.as_str().unwrap_or("?"));
            }
            (
                f["rule_id"].as_str().unwrap_or("?").to_string(),
                path,
                l["offset"].as_u64().unwrap_or(u64::MAX),
                l["length"].as_u64().unwrap_or(u64::MAX),
                f["fingerprint"].as_str().unwrap_or("?").to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn keystores_with_private_keys_are_reported_by_structure_not_name() {
    let tree = Tree::new();
    let p12 = pkcs12(true, 9400);
    let jks = java_keystore(false, &[(2, "root-ca"), (1, "tomcat")], 9401);
    let jceks = java_keystore(true, &[(3, "db-encryption-key")], 9402);
    tree.write("ssl/server.p12", &p12);
    // keytool writes PKCS #12 under any name since Java 9.
    tree.write("conf/tomcat.jks", &jks);
    tree.write("secrets/app.keys", &jceks);
    // The same keystore under another name, and inside a jar.
    tree.write("backup/server-copy.bin", &p12);
    tree.write(
        "dist/app.jar",
        archive::zip(
            &[
                (
                    "META-INF/MANIFEST.MF",
                    b"Manifest-Version: 1.0\n".as_slice(),
                ),
                ("BOOT-INF/classes/keystore.p12", &p12),
            ],
            true,
        ),
    );
    // Certificates only: truststores are public material.
    tree.write("ssl/truststore.p12", pkcs12(false, 9403));
    tree.write(
        "conf/cacerts",
        java_keystore(false, &[(2, "ca-one"), (2, "ca-two")], 9404),
    );
    // An empty keystore, and a damaged one cut before its key entry.
    tree.write("conf/empty.jks", java_keystore(false, &[], 9405));
    tree.write("conf/cut.jks", jks.get(..300).unwrap_or_default());

    let out = scan_json(tree.path(), &[]);
    assert_no_panic(&out);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let doc = out.json();
    let found = keystore_findings(&doc);
    let rows: Vec<(&str, &str, u64, u64)> = found
        .iter()
        .map(|(r, p, o, l, _)| (r.as_str(), p.as_str(), *o, *l))
        .collect();
    let n = |d: &[u8]| d.len() as u64;
    assert_eq!(
        rows,
        vec![
            ("keystore-java", "conf/tomcat.jks", 0, n(&jks)),
            ("keystore-java", "secrets/app.keys", 0, n(&jceks)),
            ("keystore-pkcs12", "backup/server-copy.bin", 0, n(&p12)),
            (
                "keystore-pkcs12",
                "dist/app.jar!BOOT-INF/classes/keystore.p12",
                0,
                n(&p12)
            ),
            ("keystore-pkcs12", "ssl/server.p12", 0, n(&p12)),
        ],
        "{doc:#}"
    );
    // The same keystore has the same fingerprint wherever it is.
    let prints: HashSet<&str> = found
        .iter()
        .filter(|f| f.0 == "keystore-pkcs12")
        .map(|f| f.4.as_str())
        .collect();
    assert_eq!(prints.len(), 1, "{found:?}");
    assert_eq!(doc["findings"].as_array().map(Vec::len), Some(5), "{doc:#}");

    // The text report names the kind and no value.
    let text = keyhound(tree.path())
        .args(["scan", "--no-verify", "--no-history", "."])
        .run();
    assert!(
        text.stdout_str().contains("PKCS #12 keystore (redacted)"),
        "{}",
        text.stdout_str()
    );
    // `--no-binary` skips keystores with the other binaries.
    let skipped = scan_json(tree.path(), &["--no-binary"]);
    assert!(keystore_findings(&skipped.json()).is_empty());
    // Each rule can be disabled like any other.
    tree.write(".keyhound.toml", "disable = [\"keystore-java\"]\n");
    let off = scan_json(tree.path(), &[]);
    assert_eq!(keystore_findings(&off.json()).len(), 3, "{}", off.stderr);
}

#[test]
fn a_keystore_deleted_from_history_is_still_reported() {
    let repo = GitRepo::init();
    let jks = java_keystore(false, &[(1, "release")], 9410);
    repo.write("app/release.keystore", &jks);
    repo.write("README.md", "# app\n");
    let added = repo.commit_all("A: the signing key");
    repo.git(&["rm", "-q", "app/release.keystore"]);
    repo.commit_all("B: remove it");
    let out = scan_json(repo.path(), &[]);
    assert_no_panic(&out);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let doc = out.json();
    let found = keystore_findings(&doc);
    assert_eq!(found.len(), 1, "{doc:#}");
    assert_eq!(found[0].1, "app/release.keystore");
    let f = &doc["findings"][0];
    assert_eq!(f["present_at_head"], false);
    assert_eq!(
        f["locations"][0]["commit"]["id"],
        added.id.as_str(),
        "{doc:#}"
    );
}
