//! Entry points for the fuzz targets in `fuzz/` (built with the `fuzzing` feature only): each
//! takes arbitrary input, runs one parser or the detector on it the way a scan does, and
//! panics only when an invariant is broken (a location outside its input). Errors are expected
//! results, never failures.

use std::sync::OnceLock;

use crate::aws::AwsRules;
use crate::detect::patterns::RuleSet;
use crate::detect::Detector;
use crate::source::{Blob, Origin};

/// The production detector: the AWS rules and every built-in rule.
fn detector() -> &'static Detector {
    static D: OnceLock<Detector> = OnceLock::new();
    D.get_or_init(|| {
        let aws = AwsRules::builtin().unwrap_or_else(|e| panic!("built-in AWS rules: {e}"));
        let specs = crate::rule::builtin::specs().unwrap_or_else(|e| panic!("built-in rules: {e}"));
        let rules =
            RuleSet::load(specs, Vec::new()).unwrap_or_else(|e| panic!("built-in rules: {e}"));
        Detector::new(aws, rules)
    })
}

/// Detection over arbitrary bytes: every location must lie inside the input.
pub fn detect(data: &[u8]) {
    let found = detector().detect(&Blob {
        bytes: data,
        origin: Origin::file("fuzz".into()),
        view: None,
    });
    if let Err(e) = crate::detect::check_locations(data, &found.findings) {
        panic!("{e}");
    }
}

/// Extraction, then detection of what it made, the way a file is scanned: every location must
/// lie inside the content (by byte span in binary content, by line and column in text).
pub fn extract(data: &[u8]) {
    if let Err(e) = crate::extract::check_extracted(detector(), data) {
        panic!("{e}");
    }
}

/// A rule file, parsed and compiled.
pub fn rule_file(text: &str) {
    let _ = RuleSet::from_files(&[("fuzz.toml".into(), text.into())]);
}

/// A `.keyhound.toml`, parsed, with its allowlists compiled and its errors located.
pub fn project_config(text: &str) {
    if let Ok(config) = crate::config::project::parse("fuzz.toml", text) {
        let base = crate::suppress::PathBase::default();
        let _ = crate::suppress::Suppressions::new("fuzz.toml", &config, base);
    }
    let _ = crate::config::project::line_for_fuzzing(text);
}

/// A `.gitleaks.toml`, imported.
pub fn gitleaks(text: &str) {
    let _ = crate::config::gitleaks::looks_like(text);
    let _ = crate::config::gitleaks::import("fuzz.toml", text);
}

/// An STS response, classified, for a key that encodes an account and for one that does not.
pub fn sts_response(status: u16, body: &str) {
    let _ = crate::verify::classify_for_fuzzing(status, body, Some("123456789012"));
    let _ = crate::verify::classify_for_fuzzing(status, body, None);
}

/// Git objects as keyhound parses them: a commit, a tree, a tag, a pack entry header.
pub fn git_objects(data: &[u8]) {
    let _ = crate::source::git::parse::commit(data);
    let _ = crate::source::git::parse::tree(data);
    let _ = crate::source::git::parse::tag_target(data);
    let _ = crate::source::git::pack::decode_entry(data, u64::MAX / 2);
    let _ = crate::source::git::pack::delta_sizes(data);
}

/// An archive (or anything) opened as a file's content is, with small limits so that a run
/// stays short: no panic, and every member's findings lie inside the member.
pub fn archive(data: &[u8]) {
    let limits = crate::extract::Limits {
        max_total: 16 << 20,
        max_member_size: 4 << 20,
        ..crate::extract::Limits::default()
    };
    let tally = crate::source::Tally::default();
    let visit = |blob: &Blob<'_>| {
        let found = detector().detect(blob);
        if let Err(e) = crate::extract::check_blob(blob, &found.findings) {
            panic!("{e}");
        }
    };
    crate::extract::scan(data, Origin::file("fuzz".into()), &limits, &tally, &visit);
}
