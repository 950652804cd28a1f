//! A JSON Schema (draft 7) validator for the keywords GitLab's security report schemas use:
//! `$ref` (local), `type`, `required`, `properties`, `patternProperties`,
//! `additionalProperties: false`, `items`, `enum`, `const`, `pattern`, `minLength`,
//! `maxLength`, `minimum`, `minItems`, `maxItems`, `allOf`, `anyOf`, `oneOf` and the array form
//! of `dependencies`. An unknown keyword is ignored only if it is an annotation
//! (`description`, `examples`, ...); any other makes the check fail, so a schema update that
//! brings a new keyword cannot pass unchecked.

use serde_json::Value;

const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$id",
    "title",
    "description",
    "examples",
    "default",
    "definitions",
    "self",
    "format",
];

/// Validates `doc` against `schema`; every error, with its JSON pointer.
pub fn validate(schema: &Value, doc: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check(schema, schema, doc, "", &mut errors);
    errors
}

fn resolve<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    root.pointer(reference.strip_prefix('#')?)
}

fn type_ok(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        _ => false,
    }
}

fn check(root: &Value, s: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(s) = s.as_object() else {
        return;
    };
    for (key, want) in s {
        let mut fail = |msg: String| errors.push(format!("{at}: {msg}"));
        match key.as_str() {
            "$ref" => match want.as_str().and_then(|r| resolve(root, r)) {
                Some(target) => check(root, target, v, at, errors),
                None => fail(format!("unresolvable $ref {want}")),
            },
            "type" => {
                let ok = match want {
                    Value::String(t) => type_ok(t, v),
                    Value::Array(ts) => {
                        ts.iter().any(|t| t.as_str().is_some_and(|t| type_ok(t, v)))
                    }
                    _ => false,
                };
                if !ok {
                    fail(format!("type {want} expected, got {v}"));
                }
            }
            "required" => {
                for name in want
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    if v.is_object() && v.get(name).is_none() {
                        fail(format!("required property {name:?} missing"));
                    }
                }
            }
            "properties" => {
                if let (Some(props), Some(obj)) = (want.as_object(), v.as_object()) {
                    for (name, sub) in props {
                        if let Some(val) = obj.get(name) {
                            check(root, sub, val, &format!("{at}/{name}"), errors);
                        }
                    }
                }
            }
            "patternProperties" => {
                if let (Some(pats), Some(obj)) = (want.as_object(), v.as_object()) {
                    for (pat, sub) in pats {
                        let re = regex::Regex::new(pat).expect("schema pattern");
                        for (name, val) in obj.iter().filter(|(n, _)| re.is_match(n)) {
                            check(root, sub, val, &format!("{at}/{name}"), errors);
                        }
                    }
                }
            }
            "additionalProperties" => {
                if want == &Value::Bool(false) {
                    let known = s.get("properties").and_then(Value::as_object);
                    for name in v.as_object().into_iter().flat_map(|o| o.keys()) {
                        if !known.is_some_and(|k| k.contains_key(name)) {
                            fail(format!("property {name:?} not allowed"));
                        }
                    }
                }
            }
            "items" => {
                for (i, item) in v.as_array().into_iter().flatten().enumerate() {
                    check(root, want, item, &format!("{at}/{i}"), errors);
                }
            }
            "enum" => {
                if !want.as_array().is_some_and(|e| e.contains(v)) {
                    fail(format!("{v} not one of {want}"));
                }
            }
            "const" => {
                if want != v {
                    fail(format!("{v} is not {want}"));
                }
            }
            "pattern" => {
                if let (Some(p), Some(text)) = (want.as_str(), v.as_str()) {
                    if !regex::Regex::new(p).expect("schema pattern").is_match(text) {
                        fail(format!("{text:?} does not match {p}"));
                    }
                }
            }
            "minLength" | "maxLength" => {
                if let (Some(n), Some(text)) = (want.as_u64(), v.as_str()) {
                    let len = text.chars().count() as u64;
                    if (key == "minLength" && len < n) || (key == "maxLength" && len > n) {
                        fail(format!("length {len} breaks {key} {n}"));
                    }
                }
            }
            "minItems" | "maxItems" => {
                if let (Some(n), Some(a)) = (want.as_u64(), v.as_array()) {
                    let len = a.len() as u64;
                    if (key == "minItems" && len < n) || (key == "maxItems" && len > n) {
                        fail(format!("{len} items break {key} {n}"));
                    }
                }
            }
            "minimum" => {
                if let (Some(n), Some(x)) = (want.as_f64(), v.as_f64()) {
                    if x < n {
                        fail(format!("{x} below minimum {n}"));
                    }
                }
            }
            "allOf" | "anyOf" | "oneOf" => {
                let subs = want.as_array().map(Vec::as_slice).unwrap_or_default();
                let results: Vec<Vec<String>> = subs
                    .iter()
                    .map(|sub| {
                        let mut e = Vec::new();
                        check(root, sub, v, at, &mut e);
                        e
                    })
                    .collect();
                let passed = results.iter().filter(|e| e.is_empty()).count();
                match key.as_str() {
                    "allOf" => errors.extend(results.into_iter().flatten()),
                    "anyOf" if passed == 0 => fail("matches no anyOf branch".into()),
                    "oneOf" if passed != 1 => {
                        fail(format!("matches {passed} oneOf branches, not exactly one"))
                    }
                    _ => {}
                }
            }
            "dependencies" => {
                for (name, needs) in want.as_object().into_iter().flatten() {
                    if v.get(name).is_some() {
                        for need in needs
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(Value::as_str)
                        {
                            if v.get(need).is_none() {
                                fail(format!("{name:?} needs {need:?}"));
                            }
                        }
                    }
                }
            }
            k if ANNOTATIONS.contains(&k) => {}
            k => fail(format!(
                "schema keyword {k:?} is not checked by this validator"
            )),
        }
    }
}
