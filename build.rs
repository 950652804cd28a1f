//! Embeds every `rules/*.toml` file into the binary, so that the built-in rules and the files
//! in the repository can never drift apart. Each rule is also embedded as JSON, in an index of
//! the rules by id with their keywords (`builtin_index.rs`): a scan loads each rule from its id
//! and keywords and reads its JSON only when one of its keywords occurs, since reading every
//! rule was most of a scan's start and a pre-commit hook waits for it. Their examples are in a
//! JSON of their own (`builtin_examples.json`), which only `keyhound rules check` and the tests
//! read. A file that does not parse is left out of the JSON; the index is then empty, and the
//! rules are read at the start from the JSON of whole files (`builtin_rules_1.json` and `_2.json`,
//! each half of the files: the `rules` of each file, the `patterns` of `aws.toml`) or, for the
//! file that does not parse, from its TOML, which reports the error with its line.

use std::fmt::Write as _;
use std::path::Path;

// The analysis of what a pattern proves about its matches, shared with the scanner: the
// built-in rules' shapes are worked out here, once, rather than in every scan that needs them.
#[path = "src/detect/shape.rs"]
#[allow(dead_code)]
mod shape;

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
    write_shapes(&json, &out_dir);
    if write_index(&files, &json, &out_dir) {
        // Every rule is in the index, which is read instead.
        json.clear();
    }
    // The rules in two halves of about the same size, which a scan reads at the same time on
    // two threads (reading the JSON is most of a scan's start).
    let total: usize = json.iter().map(|(_, v)| v.to_string().len()).sum();
    let mut half = 0;
    let mut size = 0;
    for (_, v) in &json {
        if size * 2 >= total {
            break;
        }
        size += v.to_string().len();
        half += 1;
    }
    let (first, second) = json.split_at(half);
    for (name, value) in [
        ("builtin_rules_1.json", serde_json::to_string(first)),
        ("builtin_rules_2.json", serde_json::to_string(second)),
        ("builtin_examples.json", serde_json::to_string(&examples)),
    ] {
        let dest = Path::new(&out_dir).join(name);
        if let Err(e) = std::fs::write(&dest, value.unwrap_or_else(|_| "[]".into())) {
            println!("cargo:warning=could not write {}: {e}", dest.display());
        }
    }
}

/// `builtin_index.rs`: each built-in rule as (file, id, keywords, its place in its file, whether
/// it is generic (off unless enabled), its JSON), sorted by id, so
/// that a scan loads a rule from its id and keywords alone and reads the rest of it (pattern,
/// allowlist, help: nine tenths of the text) only when one of its keywords occurs
/// (`rule::builtin::index`). Empty unless every file parsed and every rule has a string id and
/// a list of string keywords: a scan then reads every rule at its start, as before the index,
/// and a file that does not parse is reported with its line.
/// Returns whether it holds every rule (the JSON of whole files is then not needed).
fn write_index(files: &[String], json: &[(String, serde_json::Value)], out_dir: &str) -> bool {
    let mut entries: Vec<(String, String, Vec<String>, usize, bool, String)> = Vec::new();
    let mut complete = json.len() == files.len();
    for (file, rules) in json {
        for (at, rule) in rules
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let id = rule.get("id").and_then(|v| v.as_str());
            let keywords: Option<Vec<String>> = rule.get("keywords").and_then(|k| {
                k.as_array()
                    .and_then(|a| a.iter().map(|e| e.as_str().map(str::to_string)).collect())
            });
            let generic = rule
                .get("generic")
                .and_then(|g| g.as_bool())
                .unwrap_or(false);
            match (id, keywords) {
                (Some(id), Some(keywords)) => {
                    entries.push((
                        id.to_string(),
                        file.clone(),
                        keywords,
                        at,
                        generic,
                        rule.to_string(),
                    ));
                }
                _ => complete = false,
            }
        }
    }
    entries.sort();
    let mut out = String::from("&[\n");
    if complete {
        for (id, file, keywords, at, generic, text) in &entries {
            let _ = writeln!(
                out,
                "    ({file:?}, {id:?}, &{keywords:?}, {at}, {generic}, {text:?}),"
            );
        }
    }
    out.push(']');
    let dest = Path::new(out_dir).join("builtin_index.rs");
    if let Err(e) = std::fs::write(&dest, out) {
        println!("cargo:warning=could not write {}: {e}", dest.display());
        return false;
    }
    complete
}

/// `builtin_shapes.rs`: each built-in rule's shape (see `shape` and `patterns::Shape`), as
/// (id, fingerprint, span, lead, run as (class bits, least length), literals, sets), sorted by
/// id. A rule
/// whose pattern does not parse, or whose fields are not as expected, is left out: the scanner
/// then works its shape out itself, as it did before.
fn write_shapes(json: &[(String, serde_json::Value)], out_dir: &str) {
    let mut rows: Vec<(String, String)> = Vec::new();
    // (The `patterns` of `aws.toml` are rules like any other file's.)
    for (_, rules) in json {
        for rule in rules.as_array().into_iter().flatten() {
            let (Some(id), Some(pattern)) = (
                rule.get("id").and_then(|v| v.as_str()),
                rule.get("pattern").and_then(|v| v.as_str()),
            ) else {
                continue;
            };
            let keywords: Option<Vec<String>> = match rule.get("keywords") {
                None => Some(Vec::new()),
                Some(v) => v.as_array().and_then(|a| {
                    a.iter()
                        .map(|k| k.as_str().map(str::to_owned))
                        .collect::<Option<Vec<_>>>()
                }),
            };
            let Some(keywords) = keywords else { continue };
            // As `patterns::near_of` takes it: only for keywords searched as written.
            let exact = rule
                .get("case_sensitive_keywords")
                .and_then(|v| v.as_bool())
                == Some(true);
            let near = match rule.get("near").filter(|_| exact) {
                None => None,
                Some(n) => {
                    let (Some(context), Some(within)) = (
                        n.get("pattern").and_then(|v| v.as_str()),
                        // `NearSpec::DEFAULT_WITHIN` where it is not given (the test of the
                        // prebuilt shapes fails should the two differ).
                        n.get("within").map_or(Some(256), |v| v.as_u64()),
                    ) else {
                        continue;
                    };
                    Some((context, usize::try_from(within).unwrap_or(usize::MAX)))
                }
            };
            let Some(c) = shape::of(pattern, &keywords, near) else {
                continue;
            };
            let run = match &c.run {
                Some((class, len)) => {
                    let mut bits = [0u64; 4];
                    for (b, _) in class.iter().enumerate().filter(|(_, &x)| x) {
                        if let Some(w) = bits.get_mut(b / 64) {
                            *w |= 1 << (b % 64);
                        }
                    }
                    let [a, b, c, d] = bits;
                    format!("Some(([{a:#x}, {b:#x}, {c:#x}, {d:#x}], {len}))")
                }
                None => "None".to_owned(),
            };
            let literals: Vec<String> = c.literals.iter().map(|l| format!("&{l:?}")).collect();
            let sets: Vec<String> = c
                .sets
                .iter()
                .map(|set| {
                    let strings: Vec<String> = set.iter().map(|s| format!("&{s:?}")).collect();
                    format!("&[{}]", strings.join(", "))
                })
                .collect();
            let row = format!(
                "    ({id:?}, {:#x}, {:?}, {:?}, {run}, &[{}], &[{}]),",
                shape::fingerprint(pattern, &keywords, near),
                c.span,
                c.lead,
                literals.join(", "),
                sets.join(", ")
            );
            rows.push((id.to_owned(), row));
        }
    }
    rows.sort();
    rows.dedup_by(|a, b| a.0 == b.0);
    let mut out = String::from("&[\n");
    for (_, row) in &rows {
        out.push_str(row);
        out.push('\n');
    }
    out.push(']');
    let dest = Path::new(out_dir).join("builtin_shapes.rs");
    if let Err(e) = std::fs::write(&dest, out) {
        println!("cargo:warning=could not write {}: {e}", dest.display());
    }
}
