//! Inline ignore comments: each marker suppresses a finding when it is on any line of it, and
//! only there; markers are counted in `summary.suppressed.inline` and the text summary, and
//! apply to user rules too.

use super::{lone_key_json, lone_secret_env, pair_env, rule_values, rv, suppressed};
use crate::support::*;

const MARKERS: [&str; 3] = [
    "keyhound:allow",
    "gitleaks:allow",
    "pragma: allowlist secret",
];

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
