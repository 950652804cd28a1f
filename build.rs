//! Embeds every `rules/*.toml` file into the binary, so that the built-in rules and the files
//! in the repository can never drift apart. Each file's rules are also embedded as JSON
//! (`builtin_rules.json`: the `rules` of each file, the `patterns` of `aws.toml`), which a scan
//! reads in a fraction of the time the TOML takes: hundreds of rule files would otherwise cost a
//! pre-commit hook more than the commit it checks. Their examples are in a JSON of their own
//! (`builtin_examples.json`), which only `keyhound rules check` and the tests read. A file that
//! does not parse is left out of the JSON, so that keyhound reads its TOML and reports the
//! error with its line.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=rules");
    // Read when the script runs, not when it is compiled: a build script compiled for one
    // checkout must embed the rules of the checkout it runs for.
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| ".".into());
    let dir = Path::new(&manifest).join("rules");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".toml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut out = String::from("&[\n");
    for f in &files {
        let path = dir.join(f);
        println!("cargo:rerun-if-changed={}", path.display());
        let _ = writeln!(
            out,
            "    ({:?}, include_str!({:?})),",
            format!("rules/{f}"),
            path.display().to_string()
        );
    }
    out.push(']');
    let out_dir = std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into());
    let dest = Path::new(&out_dir).join("embedded_rules.rs");
    if let Err(e) = std::fs::write(&dest, out) {
        println!("cargo:warning=could not write {}: {e}", dest.display());
    }
    let mut json: Vec<(String, serde_json::Value)> = Vec::new();
    let mut examples: Vec<(String, Vec<[serde_json::Value; 2]>)> = Vec::new();
    for f in &files {
        let key = if f == "aws.toml" { "patterns" } else { "rules" };
        let parsed = std::fs::read_to_string(dir.join(f))
            .ok()
            .and_then(|text| text.parse::<toml::Table>().ok())
            .and_then(|mut table| match table.remove(key) {
                Some(rules) => serde_json::to_value(rules).ok(),
                None => Some(serde_json::Value::Array(Vec::new())),
            });
        if let Some(mut rules) = parsed {
            // A scan never reads the examples (a third of the text): they go to a JSON of
            // their own, which `keyhound rules check` and the tests read.
            let mut own = Vec::new();
            if let Some(list) = rules.as_array_mut() {
                for rule in list {
                    // Only a list of strings moves: anything else stays where the scan's
                    // reading of the rules fails on it, so that the file is read from its TOML
                    // and the error reported with its line, as before the split.
                    let mut take = |field: &str| {
                        let fits = |v: &serde_json::Value| {
                            v.as_array()
                                .is_some_and(|a| a.iter().all(|e| e.is_string()))
                        };
                        rule.as_object_mut()
                            .and_then(|o| o.remove_entry(field))
                            .and_then(|(k, v)| {
                                if fits(&v) {
                                    Some(v)
                                } else {
                                    // Put back: the scan's parse of this file fails on it.
                                    rule.as_object_mut().map(|o| o.insert(k, v));
                                    None
                                }
                            })
                            .unwrap_or_else(|| serde_json::Value::Array(Vec::new()))
                    };
                    own.push([take("examples"), take("negative_examples")]);
                }
            }
            json.push((format!("rules/{f}"), rules));
            examples.push((format!("rules/{f}"), own));
        }
    }
    for (name, value) in [
        ("builtin_rules.json", serde_json::to_string(&json)),
        ("builtin_examples.json", serde_json::to_string(&examples)),
    ] {
        let dest = Path::new(&out_dir).join(name);
        if let Err(e) = std::fs::write(&dest, value.unwrap_or_else(|_| "[]".into())) {
            println!("cargo:warning=could not write {}: {e}", dest.display());
        }
    }
}
