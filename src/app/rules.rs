//! `keyhound rules list` and `keyhound rules check [FILE...]`: the rules with their sources, and
//! every rule's examples run through the production detector. Both take the project
//! configuration's rules with the built-in ones, as a scan does.

use std::io::Write as _;
use std::path::Path;

use crate::aws::AwsRules;
use crate::cli::RulesAction;
use crate::config::project::Project;
use crate::config::ProjectConfig;
use crate::detect::literal::keyword_in;
use crate::detect::patterns::RuleSet;
use crate::detect::Detector;
use crate::error::{Error, Result};
use crate::report::text::sanitize;
use crate::rule::check::{self, Examples, Probe};
use crate::rule::Enabled;
use crate::source::{Blob, Origin};

/// Runs a `rules` subcommand; returns the exit status. `config` says which project
/// configuration's rules join the built-in ones (not for `check FILE...`).
pub(crate) fn run(action: RulesAction, config: &ProjectConfig) -> Result<i32> {
    // The built-in rules' examples only where they are checked.
    let project = |examples: bool| {
        let p = Project::load(config, Path::new("."))?;
        let detector = super::scanner::detector(true, examples, &p, &Enabled::all())?;
        Ok::<_, Error>((p, detector))
    };
    match action {
        RulesAction::List => {
            let (_, detector) = project(false)?;
            let generic = |id: &str| {
                detector
                    .patterns()
                    .rules()
                    .iter()
                    .any(|r| r.id() == id && r.generic())
            };
            let mut out = std::io::stdout().lock();
            for line in check::list(&detector.rules(), &generic) {
                // A closed pipe (`keyhound rules list | head`) ends the listing quietly.
                if writeln!(out, "{}", sanitize(&line)).is_err() {
                    break;
                }
            }
            Ok(0)
        }
        RulesAction::Check { files } if files.is_empty() => {
            // A scan loads the built-in rules without checking them (see `RuleSet::load`):
            // here they are checked and analysed in full, as a rule file is.
            crate::detect::patterns::RuleSet::from_specs(
                crate::rule::builtin::specs_with_examples()?,
            )?;
            let (project, detector) = project(true)?;
            Ok(report(run_checks(detector, true, &project.name())))
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
            let aws = AwsRules::builtin()?;
            Ok(report(run_checks(Detector::new(aws, set), false, "")))
        }
    }
}

/// The number of rules checked and the problems found; with `aws`, the AWS rules of
/// `rules/aws.toml` are checked too. Rules from the project configuration `config` need no
/// examples (those they have must behave).
fn run_checks(detector: Detector, aws: bool, config: &str) -> (usize, Vec<String>) {
    let patterns = detector.patterns();
    let mut problems: Vec<String> = patterns
        .rules()
        .iter()
        .filter(|r| r.regex().is_none())
        .map(|r| {
            format!(
                "{}: rule {:?}: pattern: too large to compile",
                r.source(),
                r.id()
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
            examples_required: true,
        }));
    }
    examples.extend(patterns.rules().iter().map(|r| Examples {
        source: r.source(),
        id: &r.spec().id,
        keywords: Some(&r.spec().keywords),
        examples: &r.spec().examples,
        negative_examples: &r.spec().negative_examples,
        examples_required: config.is_empty() || r.source() != config,
    }));
    problems.extend(check::check(&examples, &DetectorProbe(&detector)));
    (examples.len(), problems)
}

/// Prints the problems and the verdict; returns the exit status.
fn report((n, problems): (usize, Vec<String>)) -> i32 {
    for p in &problems {
        // Problems quote rule files: their ids, names and examples.
        println!("{}", sanitize(p));
    }
    let rules = format!("{n} rule{}", if n == 1 { "" } else { "s" });
    if problems.is_empty() {
        let behave = if n == 1 {
            "its examples behave"
        } else {
            "all examples behave"
        };
        println!("keyhound: {rules} checked, {behave}");
        0
    } else {
        let p = problems.len();
        eprintln!(
            "keyhound: {p} problem{} in {rules}",
            if p == 1 { "" } else { "s" }
        );
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
            view: None,
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
            .is_some_and(|r| keyword_in(r.spec(), text))
    }
}
