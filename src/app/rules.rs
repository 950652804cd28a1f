//! `keyhound rules list` and `keyhound rules check [FILE...]`: the rules with their sources, and
//! every rule's examples run through the production detector.

use std::io::Write as _;

use crate::aws::AwsRules;
use crate::cli::RulesAction;
use crate::detect::literal::keyword_in;
use crate::detect::patterns::RuleSet;
use crate::detect::Detector;
use crate::error::{Error, Result};
use crate::rule::check::{self, Examples, Probe};
use crate::source::{Blob, Origin};

/// Runs a `rules` subcommand; returns the exit status.
pub(crate) fn run(action: RulesAction) -> Result<i32> {
    let aws = AwsRules::builtin()?;
    match action {
        RulesAction::List => {
            let set = RuleSet::from_specs(crate::rule::builtin::specs()?)?;
            let detector = Detector::new(aws, set);
            let mut out = std::io::stdout().lock();
            for line in check::list(&detector.rules()) {
                // A closed pipe (`keyhound rules list | head`) ends the listing quietly.
                if writeln!(out, "{line}").is_err() {
                    break;
                }
            }
            Ok(0)
        }
        RulesAction::Check { files } if files.is_empty() => {
            let set = RuleSet::from_specs(crate::rule::builtin::specs()?)?;
            Ok(report(run_checks(Detector::new(aws, set), true)))
        }
        RulesAction::Check { files } => {
            let mut loaded = Vec::new();
            for f in files {
                let text = std::fs::read_to_string(&f).map_err(|e| Error::Io {
                    path: f.clone(),
                    source: e,
                })?;
                loaded.push((f.display().to_string(), text));
            }
            let set = RuleSet::from_files(&loaded)?;
            Ok(report(run_checks(Detector::new(aws, set), false)))
        }
    }
}

/// The number of rules checked and the problems found; with `aws`, the AWS rules of
/// `rules/aws.toml` are checked too.
fn run_checks(detector: Detector, aws: bool) -> (usize, Vec<String>) {
    let patterns = detector.patterns();
    let mut problems: Vec<String> = patterns
        .rules()
        .iter()
        .filter(|r| r.regex().is_none())
        .map(|r| {
            format!(
                "{}: rule {:?}: pattern: too large to compile",
                r.meta.source, r.meta.id
            )
        })
        .collect();
    let mut examples: Vec<Examples<'_>> = Vec::new();
    if aws {
        examples.extend(detector.aws().specs.iter().map(|s| Examples {
            source: crate::aws::FILE,
            id: &s.id,
            keywords: None,
            examples: &s.examples,
            negative_examples: &s.negative_examples,
        }));
    }
    examples.extend(patterns.rules().iter().map(|r| Examples {
        source: r.meta.source,
        id: &r.spec.id,
        keywords: Some(&r.spec.keywords),
        examples: &r.spec.examples,
        negative_examples: &r.spec.negative_examples,
    }));
    problems.extend(check::check(&examples, &DetectorProbe(&detector)));
    (examples.len(), problems)
}

/// Prints the problems and the verdict; returns the exit status.
fn report((n, problems): (usize, Vec<String>)) -> i32 {
    for p in &problems {
        println!("{p}");
    }
    if problems.is_empty() {
        println!("keyhound: {n} rules checked, all examples behave");
        0
    } else {
        eprintln!("keyhound: {} problem(s) in {n} rules", problems.len());
        1
    }
}

/// The production detector, as the checks see it.
struct DetectorProbe<'a>(&'a Detector);

impl Probe for DetectorProbe<'_> {
    fn finding_rules(&self, text: &str) -> Vec<&'static str> {
        let blob = Blob {
            bytes: text.as_bytes(),
            origin: Origin::file("example".into()),
        };
        self.0
            .detect(&blob)
            .findings
            .iter()
            .map(|f| f.rule.id)
            .collect()
    }

    fn has_keyword(&self, id: &str, text: &str) -> bool {
        self.0
            .patterns()
            .by_id(id)
            .is_some_and(|r| keyword_in(&r.spec, text))
    }
}
