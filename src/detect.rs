//! Detection in one blob, as steps: the AWS matcher's candidates are paired into findings, the
//! rule set's matches become findings of their rules, and findings on a line that carries an
//! inline ignore comment (`keyhound:allow`, `gitleaks:allow`, `pragma: allowlist secret`) are
//! dropped and counted.

use std::collections::HashSet;

use crate::finding::{Encoding, Finding, Location, LocationKind, Secret};
use crate::matcher::text::Positions;
use crate::matcher::{found_hit, Matcher};
use crate::pair::{self, Place};
use crate::rule::needles::Needles;
use crate::rule::set::RuleSet;
use crate::rule::{aws_rules, Rule};

/// What detection found in one blob.
#[derive(Debug, Default)]
pub struct Detected {
    pub findings: Vec<Finding>,
    /// Not reported: AWS documentation examples.
    pub examples: usize,
    /// Not reported: an inline ignore comment on the line.
    pub ignored_inline: usize,
}

impl Detected {
    /// Adds the counts to the scan's statistics and returns the findings.
    pub fn record(self, stats: &crate::source::Stats) -> Vec<Finding> {
        crate::source::Stats::add(&stats.examples, self.examples as u64);
        crate::source::Stats::add(&stats.ignored_inline, self.ignored_inline as u64);
        self.findings
    }
}

/// The AWS matcher and the rule set, built once and shared by every thread.
pub struct Detector {
    matcher: Matcher,
    rules: RuleSet,
    together: Option<Together>,
}

/// The AWS literals and the rules' exact keywords in one search, so that a blob is searched
/// once for both. Teddy, the SIMD search behind it, costs about the same per pass whatever it
/// holds up to a point, and the AWS literals alone fill half a pass.
struct Together {
    /// Ids: AWS pattern `i` is `i`, rule keyword `k` is `aws + k`.
    search: Needles,
    /// The number of AWS patterns.
    aws: usize,
    /// One more than the largest rule keyword index.
    keywords: usize,
}

impl Detector {
    pub fn new(rules: RuleSet) -> Detector {
        let matcher = Matcher::new();
        let aws: Vec<(Vec<u8>, usize)> = matcher
            .literals()
            .enumerate()
            .map(|(i, l)| (l.to_vec(), i))
            .collect();
        let n = aws.len();
        let exact = rules.exact_needles();
        let together = if exact.is_empty() {
            None
        } else {
            let all = aws
                .into_iter()
                .chain(exact.iter().map(|(b, k)| (b.clone(), n + k)))
                .collect();
            // A search that cannot be built leaves each part to search for itself.
            Needles::build(all, false)
                .ok()
                .flatten()
                .map(|search| Together {
                    search,
                    aws: n,
                    keywords: exact.iter().map(|(_, k)| k + 1).max().unwrap_or(0),
                })
        };
        Detector {
            matcher,
            rules,
            together,
        }
    }

    /// Every rule, in report order: the AWS rules, then the rule set's, by id.
    pub fn rules(&self) -> Vec<&'static Rule> {
        aws_rules()
            .into_iter()
            .chain(self.rules.rules().iter().map(|r| r.meta))
            .collect()
    }

    /// The rule set (for `rules list` and `rules check`).
    pub fn rule_set(&self) -> &RuleSet {
        &self.rules
    }

    /// Finds the credentials in `data`.
    pub fn detect(&self, data: &[u8], place: Place<'_>) -> Detected {
        let path = Some(place.path).filter(|p| !p.is_empty());
        let ((candidates, markers), rule_matches) = match &self.together {
            Some(t) => {
                let mut aws = Vec::new();
                let mut seen = vec![false; t.keywords];
                t.search
                    .each(data, &mut |id, start, _| match id.checked_sub(t.aws) {
                        None => aws.push(found_hit(id, start)),
                        Some(k) => {
                            if let Some(s) = seen.get_mut(k) {
                                *s = true;
                            }
                        }
                    });
                let keywords: Vec<usize> = (0..seen.len())
                    .filter(|&k| seen.get(k).copied().unwrap_or(false))
                    .collect();
                (
                    self.matcher.scan_found(data, Some(aws)),
                    self.rules.matches_with(data, path, Some(&keywords)),
                )
            }
            None => (
                self.matcher.scan_with_markers(data),
                self.rules.matches_at(data, path),
            ),
        };
        let mut out = Detected::default();
        if candidates.is_empty() && rule_matches.is_empty() {
            return out;
        }
        // Step 1: AWS candidates, paired.
        if !candidates.is_empty() {
            let paired = pair::pair(data, candidates, place);
            out.examples = paired.examples;
            out.findings = paired.findings;
        }
        // A rule match that holds a reported AWS value (a URL password that is a secret access
        // key) would report the same secret twice: the AWS finding says more.
        let aws_values: Vec<&str> = out
            .findings
            .iter()
            .flat_map(|f| {
                [
                    f.secret.as_ref().map(Secret::expose),
                    f.aws.as_ref().map(|a| a.key_id.as_str()),
                ]
            })
            .flatten()
            .collect();
        let rule_matches: Vec<_> = if aws_values.is_empty() {
            rule_matches
        } else {
            rule_matches
                .into_iter()
                .filter(|m| {
                    let decoded = m
                        .value
                        .replace("%2F", "/")
                        .replace("%2f", "/")
                        .replace("%2B", "+")
                        .replace("%2b", "+");
                    !aws_values.iter().any(|v| decoded.contains(v))
                })
                .collect()
        };
        // Step 2: rule matches. Offsets are resolved in order, markers included.
        let positions = Positions::resolve(
            data,
            rule_matches
                .iter()
                .flat_map(|m| [m.span.start, m.span.end])
                .chain(markers.iter().copied()),
        );
        let at = |o: usize| positions.at(o);
        for m in &rule_matches {
            let Some(rule) = self.rules.get(m.rule) else {
                continue;
            };
            let (line, column) = at(m.span.start);
            let (end_line, end_column) = at(m.span.end);
            out.findings.push(Finding::new(
                rule.meta,
                None,
                Some(Secret::new(m.value.clone())),
                None,
                vec![Location {
                    path: place.path.to_string(),
                    line,
                    column,
                    end_line,
                    end_column,
                    kind: LocationKind::Secret,
                    encoding: Encoding::Plain,
                    commit: place.commit.cloned(),
                }],
            ));
        }
        // Step 3: inline ignore comments.
        if !markers.is_empty() {
            let lines: HashSet<u32> = markers.iter().map(|&o| at(o).0).collect();
            let before = out.findings.len();
            out.findings
                .retain(|f| !f.locations.iter().any(|l| lines.contains(&l.line)));
            out.ignored_inline = before - out.findings.len();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_in_a_url_is_reported_once() {
        let rules = RuleSet::builtin().unwrap_or_else(|e| panic!("{e}"));
        let d = Detector::new(rules);
        for secret in [
            "h3Jq9Vt0Yd/5Lk2Rb8MwZx+4PnC7sGfE1aTuQ6oW",
            "h3Jq9Vt0Yd%2F5Lk2Rb8MwZx%2B4PnC7sGfE1aTuQ6oW",
        ] {
            let text =
                format!("s3 = https://AKIAQWERTYUIOPASDFGH:{secret}@bucket.s3.amazonaws.com/key\n");
            let found = d
                .detect(
                    text.as_bytes(),
                    Place {
                        path: "f",
                        commit: None,
                    },
                )
                .findings;
            let ids: Vec<&str> = found.iter().map(|f| f.rule.id).collect();
            assert_eq!(ids, ["aws-access-key-pair"], "{secret}");
        }
        // The same URL with a non-AWS password is the basic-auth rule's.
        let text = "u = https://deploy:Zq8vN2kL5pR7tW3xY6bC@registry.example.net/v2\n";
        let found = d
            .detect(
                text.as_bytes(),
                Place {
                    path: "f",
                    commit: None,
                },
            )
            .findings;
        assert!(
            found.iter().all(|f| !f.rule.id.starts_with("aws-")),
            "{found:?}"
        );
    }

    /// Rule keywords that coincide with, or begin with, the AWS literals: the search that
    /// serves both must still give the AWS matcher every literal it would find alone.
    #[test]
    fn shared_search_keeps_aws_literals_shadowed_by_rule_keywords() {
        let file = r#"
[[rules]]
id = "demo-secret-access"
name = "Demo"
severity = "low"
pattern = '''secret_access_key_(x[0-9]{8})'''
keywords = ["secret_access_key_", "AKIA"]
case_sensitive_keywords = true
examples = ["secret_access_key_x12345678 AKIA"]
negative_examples = ["nothing"]
"#;
        let rules = RuleSet::from_files(&[("demo.toml".into(), file.into())])
            .unwrap_or_else(|e| panic!("{e}"));
        let with = Detector::new(rules);
        assert!(with.together.is_some());
        let alone = Detector::new(RuleSet::empty());
        // The secret is too far from the key ID to be found without its name.
        let text = "aws_access_key_id = AKIAQWERTYUIOPASDFGH\n\n\n\n\n\n\n\n\
                    aws_secret_access_key_ = 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\n\
                    token: secret_access_key_x12345678\n";
        let place = Place {
            path: "f",
            commit: None,
        };
        let aws = |d: &Detector| -> Vec<String> {
            d.detect(text.as_bytes(), place)
                .findings
                .iter()
                .filter(|f| f.rule.id.starts_with("aws-"))
                .map(|f| format!("{} {:?}", f.rule.id, f.aws.as_ref().map(|a| &a.key_id)))
                .collect()
        };
        let expected = aws(&alone);
        assert_eq!(
            expected,
            ["aws-access-key-pair Some(\"AKIAQWERTYUIOPASDFGH\")"]
        );
        assert_eq!(aws(&with), expected);
        let ids: Vec<&str> = with
            .detect(text.as_bytes(), place)
            .findings
            .iter()
            .map(|f| f.rule.id)
            .collect();
        assert!(ids.contains(&"demo-secret-access"), "{ids:?}");
    }
}
