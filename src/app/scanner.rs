//! The `Scanner`: everything a scan needs that is built once from the settings and the project
//! configuration, before any file is read: the `Detector` (the AWS rules, the built-in rules
//! and the project's own), the suppressions (allowlists, disabled rules, baseline), and the
//! verification limits. Errors here (a bad rule, a bad allowlist regex, a missing baseline)
//! stop the run before it scans anything, and name the file, the field and the line.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::aws::AwsRules;
use crate::config::project::Project;
use crate::config::{Settings, VerifySettings};
use crate::detect::patterns::RuleSet;
use crate::detect::Detector;
use crate::error::{Error, Result};
use crate::suppress::{parse_baseline, Suppressions};
use crate::verify::VerifyConfig;

/// What a scan runs with.
pub(crate) struct Scanner {
    pub detector: Detector,
    /// Allowlists, disabled rules and the baseline.
    pub suppressions: Suppressions,
    /// How to verify key pairs; `None` with `--no-verify`.
    pub verify: Option<VerifyConfig>,
    /// The project configuration file in use, if any.
    pub config_file: Option<PathBuf>,
    /// Problems with the configuration that do not stop the scan.
    pub warnings: Vec<String>,
}

impl Scanner {
    /// Builds the scanner for `settings`.
    pub(crate) fn build(settings: &Settings) -> Result<Scanner> {
        let first = settings.first_path();
        let project = Project::load(&settings.project, &first)?;
        let detector = detector(settings, &project)?;
        let name = project.name();
        let ids: HashSet<&str> = detector.rules().iter().map(|r| r.id).collect();
        for id in &project.config.disable {
            if !ids.contains(id.as_str()) {
                return Err(project.locate(Error::config(
                    &name,
                    "disable",
                    format!("no rule has the id {id:?}"),
                )));
            }
        }
        let mut suppressions = Suppressions::new(&name, &project.config, &scan_root(&first))
            .map_err(|e| project.locate(e))?;
        if let Some(b) = &settings.baseline {
            let text = std::fs::read_to_string(b).map_err(|e| Error::Io {
                path: b.clone(),
                source: e,
            })?;
            suppressions.set_baseline(parse_baseline(&b.display().to_string(), &text)?);
        }
        let verify = match &settings.verify {
            Some(v) => Some(verify_config(v)?),
            None => None,
        };
        Ok(Scanner {
            detector,
            suppressions,
            verify,
            warnings: project.config.warnings.clone(),
            config_file: project.file,
        })
    }
}

/// The detector: the AWS rules, the built-in rules (unless `--no-builtin-rules`) and the
/// project's own rules.
fn detector(settings: &Settings, project: &Project) -> Result<Detector> {
    let aws = AwsRules::builtin()?;
    let mut specs = if settings.builtin_rules {
        crate::rule::builtin::specs()?
    } else {
        Vec::new()
    };
    let name = project.name();
    specs.extend(
        project
            .config
            .rules
            .iter()
            .cloned()
            .map(|r| (name.clone(), r)),
    );
    let rules = RuleSet::from_specs(specs).map_err(|e| project.locate(e))?;
    Ok(Detector::new(aws, rules))
}

/// The directory that allowlist paths are relative to: the first scanned path, or its
/// directory for a file.
fn scan_root(first: &Path) -> PathBuf {
    if first.is_dir() {
        first.to_path_buf()
    } else {
        first.parent().map(PathBuf::from).unwrap_or_default()
    }
}

/// The verification settings, with the accounts of `--skip-aws-account-file` read.
fn verify_config(v: &VerifySettings) -> Result<VerifyConfig> {
    let mut skip: HashSet<String> = v.skip_accounts.iter().cloned().collect();
    if let Some(file) = &v.skip_accounts_file {
        let text = std::fs::read_to_string(file).map_err(|e| Error::Io {
            path: file.clone(),
            source: e,
        })?;
        skip.extend(crate::verify::parse_skip_accounts_file(
            &file.display().to_string(),
            &text,
        )?);
    }
    Ok(VerifyConfig {
        endpoint: v.endpoint.clone(),
        concurrency: v.concurrency,
        timeout: v.timeout,
        skip_accounts: skip,
    })
}
