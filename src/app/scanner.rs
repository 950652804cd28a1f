//! The `Scanner`: everything a scan needs that is built once from the settings and the project
//! configuration, before any file is read: the `Detector` (the AWS rules, the built-in rules
//! and the project's own), the suppressions (allowlists, disabled rules, baseline), and the
//! verification limits. Errors here (a bad rule, a bad allowlist regex, a missing baseline)
//! stop the run before it scans anything, and name the file, the field and the line.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::aws::AwsRules;
use crate::config::project::Project;
use crate::config::{ProjectConfig, Settings, VerifySettings};
use crate::detect::patterns::RuleSet;
use crate::detect::Detector;
use crate::error::{Error, Result};
use crate::rule::Enabled;
use crate::source::fs::absolute;
use crate::suppress::{parse_baseline, PathBase, Suppressions};
use crate::verify::{TriageConfig, VerifyConfig};

/// What a scan runs with.
pub(crate) struct Scanner {
    pub detector: Detector,
    /// Allowlists, disabled rules and the baseline.
    pub suppressions: Suppressions,
    /// How to verify key pairs; `None` with `--no-verify`.
    pub verify: Option<VerifyConfig>,
    /// How to triage live keys; `None` without `--aws-triage`.
    pub triage: Option<TriageConfig>,
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
        let (enabled, left_off) = enabled_rules(settings, &project)?;
        let detector = detector(settings.builtin_rules, false, &project, &enabled)?;
        let name = project.name();
        let warnings = check_rule_ids(&project, &detector, &left_off)?;
        let base = path_base(settings, &project, &first);
        let mut suppressions =
            Suppressions::new(&name, &project.config, base).map_err(|e| project.locate(e))?;
        if let Some(b) = &settings.baseline {
            let text =
                std::fs::read_to_string(b).map_err(|e| Error::flag_file("--baseline", b, e))?;
            suppressions.set_baseline(parse_baseline(&b.display().to_string(), &text)?);
        }
        let verify = match &settings.verify {
            Some(v) => Some(verify_config(v)?),
            None => None,
        };
        Ok(Scanner {
            detector,
            suppressions,
            triage: settings.verify.as_ref().and_then(|v| {
                v.triage.as_ref().map(|endpoint| TriageConfig {
                    endpoint: endpoint.clone(),
                    concurrency: v.concurrency,
                    timeout: v.timeout,
                })
            }),
            verify,
            warnings,
            config_file: project.file,
        })
    }
}

/// The detector: the AWS rules, the built-in rules (unless `--no-builtin-rules`) and the
/// project's own rules, the generic ones among them only where `enabled` names them; the
/// built-in rules with their examples only for `examples` (`keyhound rules check`: a scan
/// never reads them).
pub(crate) fn detector(
    builtin_rules: bool,
    examples: bool,
    project: &Project,
    enabled: &Enabled,
) -> Result<Detector> {
    let aws = AwsRules::builtin()?;
    let name = project.name();
    let own: Vec<_> = project
        .config
        .rules
        .iter()
        .filter(|r| enabled.runs(&r.id, r.generic))
        .cloned()
        .map(|r| (name.clone(), r))
        .collect();
    // A scan reads a built-in rule only when it first needs it (from the index `build.rs`
    // made); with examples, or without an index, every rule is read now.
    let indexed = if builtin_rules && !examples {
        RuleSet::load_indexed(own.clone(), enabled)
    } else {
        None
    };
    let rules = match indexed {
        Some(rules) => rules,
        None => {
            let mut builtin = if builtin_rules && examples {
                crate::rule::builtin::specs_with_examples()?
            } else if builtin_rules {
                crate::rule::builtin::specs()?
            } else {
                Vec::new()
            };
            builtin.retain(|(_, r)| enabled.runs(&r.id, r.generic));
            RuleSet::load(builtin, own)
        }
    }
    .map_err(|e| project.locate(e))?;
    Ok(Detector::new(aws, rules))
}

/// The generic rules to run: those `--enable-rule` and the configuration's `enable` name, and
/// the ids of the generic rules left off (which `disable` and per-rule allowlists may still
/// name). Every other rule runs anyway, so a name must name a generic rule that can run (a
/// built-in one unless `--no-builtin-rules`, or one of the configuration's): a misspelt name, or
/// one of a rule `--no-builtin-rules` leaves out, is an error, not a rule that silently stays
/// off. An imported gitleaks configuration has no `enable`.
fn enabled_rules(settings: &Settings, project: &Project) -> Result<(Enabled, Vec<String>)> {
    let builtin = if settings.builtin_rules {
        crate::rule::builtin::generic_ids()?
    } else {
        Vec::new()
    };
    let generic: Vec<String> = builtin
        .into_iter()
        .chain(
            project
                .config
                .rules
                .iter()
                .filter(|r| r.generic)
                .map(|r| r.id.clone()),
        )
        .collect();
    let mut names = settings.enable_rules.clone();
    names.extend(project.config.enable.iter().cloned());
    let enabled = Enabled::named(names);
    let left_off = generic
        .iter()
        .filter(|id| !enabled.runs(id, true))
        .cloned()
        .collect();
    if settings.enable_rules.is_empty() && project.config.enable.is_empty() {
        return Ok((enabled, left_off));
    }
    let known = |name: &str| generic.iter().any(|id| crate::rule::names(name, id));
    let why = |name: &str| {
        let prefix = name.ends_with('*');
        let off = !settings.builtin_rules
            && crate::rule::builtin::generic_ids()
                .unwrap_or_default()
                .iter()
                .any(|id| crate::rule::names(name, id));
        if off {
            "names a built-in rule, which --no-builtin-rules leaves out".to_string()
        } else if prefix {
            format!(
                "no rule that is off by default has an id that starts with {:?}",
                name.trim_end_matches('*')
            )
        } else {
            format!("no rule that is off by default has the id {name:?}")
        }
    };
    for name in &settings.enable_rules {
        if !known(name) {
            return Err(Error::flag(
                "--enable-rule",
                format!("--enable-rule {name}: {}", why(name)),
            ));
        }
    }
    for name in &project.config.enable {
        if !known(name) {
            return Err(project.locate(Error::config(&project.name(), "enable", why(name))));
        }
    }
    Ok((enabled, left_off))
}

/// Every rule id the configuration names (in `disable` and `[allowlist.rule.ID]`) must be a
/// rule's: an unknown one is an error in `.keyhound.toml`, and a warning in an imported gitleaks
/// configuration (its `targetRules` may name gitleaks' own default rules). Returns the
/// configuration's warnings.
fn check_rule_ids(
    project: &Project,
    detector: &Detector,
    left_off: &[String],
) -> Result<Vec<String>> {
    let name = project.name();
    let mut ids: HashSet<&str> = detector.rule_ids().collect();
    ids.extend(left_off.iter().map(String::as_str));
    let known = |id: &str| ids.contains(id);
    let mut warnings = project.config.warnings.clone();
    let per_rule = project.config.allowlist.iter().flat_map(|a| a.rule.keys());
    let named = project
        .config
        .disable
        .iter()
        .map(|id| ("disable".to_string(), id))
        .chain(per_rule.map(|id| (format!("allowlist.rule.{id}"), id)));
    for (field, id) in named {
        if known(id) {
            continue;
        }
        if project.imported {
            warnings.push(format!(
                "{name}: an allowlist names rule {id:?}, which keyhound does not have; ignored"
            ));
        } else {
            return Err(project.locate(Error::config(
                &name,
                field,
                format!("no rule has the id {id:?}"),
            )));
        }
    }
    Ok(warnings)
}

/// What allowlist paths are relative to: the directory of the discovered configuration file
/// (the top of the repository, whichever directory in it is scanned), or with `--config`, the
/// first scanned directory. `--staged` and `--since` show paths relative to the repository, or
/// under the scanned path when it is the repository's top: that path is stripped.
fn path_base(settings: &Settings, project: &Project, first: &Path) -> PathBase {
    let root = scan_root(first);
    if settings.staged || settings.since.is_some() {
        return PathBase::prefix(&root);
    }
    let Ok(cwd) = std::env::current_dir() else {
        return PathBase::prefix(&root);
    };
    let discovered = match (&settings.project, &project.file) {
        (ProjectConfig::Discover, Some(file)) => file.parent().map(absolute),
        _ => None,
    };
    let dir = discovered
        .or_else(|| std::fs::canonicalize(&root).ok())
        .unwrap_or_else(|| absolute(&root));
    PathBase::Dir { cwd, dir }
}

/// The first scanned path, or its directory for a file.
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
        let text = std::fs::read_to_string(file)
            .map_err(|e| Error::flag_file("--skip-aws-account-file", file, e))?;
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
