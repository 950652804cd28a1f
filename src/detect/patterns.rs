//! `RuleSet`: the pattern rules (built in and from rule files), compiled. The prefilter finds
//! every rule keyword in a blob (see `prefilter`); only the rules whose keywords occur run their
//! regex, so the cost of a blob does not grow with the number of rules that cannot match it. A
//! match becomes a `RuleMatch` only when its captured secret passes the rule's entropy floor
//! (fair to its length and alphabet), is not shaped like a placeholder, and passes the
//! allowlist.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::OnceLock;

use regex::bytes::Regex;

use super::literal::exact_keywords_in;
use super::near::{self, Needs};
use super::prefilter::Needles;
use super::shape;
use super::size;
use crate::error::{Error, Result};
use crate::rule::builtin;
use crate::rule::entropy::passes_floor;
use crate::rule::file::{self, Checksum, RuleSpec};
use crate::rule::placeholder::is_placeholder;
use crate::rule::{Enabled, Rule, Stopwords};

/// A rule ready to run.
pub(crate) struct CompiledRule {
    /// Its id, the file it comes from and its keywords as written: all that loading a rule
    /// needs. A built-in rule's come from the index `build.rs` made (`builtin::index`), and the
    /// rest of it (pattern, allowlist, help) is read only when a scan first needs it: most of a
    /// scan's start was reading every rule in full, and a pre-commit hook waits for it.
    id: &'static str,
    source: &'static str,
    keywords: &'static [&'static str],
    /// The rule as written; a built-in rule's read from `json` on first use.
    spec: OnceLock<RuleSpec>,
    json: Option<&'static str>,
    /// What a finding of it reports (built with `spec`).
    meta: OnceLock<&'static Rule>,
    /// Compiled on first use: most runs (a pre-commit hook above all) trigger few rules, and
    /// compiling every pattern up front would cost more than the scan.
    regex: std::sync::OnceLock<Option<Regex>>,
    /// The allowlist and the path limit: compiled while loading for rule files (an error
    /// there is the file's), on first use for the built-in rules (which the tests compile).
    extras: OnceLock<Extras>,
    /// A checksum the secret must carry: checked while loading for rule files, on first use
    /// for the built-in rules (whose names of checksums the tests check).
    checksum: OnceLock<Option<Checksum>>,
    /// Its keywords are searched as written (`literal::exact_keywords`).
    exact: bool,
    /// Whether its secret may mix upper- and lowercase letters (see `entropy::passes_floor`),
    /// worked out from the pattern when a value first needs it.
    mixed_case: OnceLock<bool>,
    /// Where its matches can be (see `Shape`). Worked out while loading rule files, on first
    /// use for the built-in rules.
    shape: OnceLock<Shape>,
    /// A generic rule (`RuleSpec::generic`), known without reading the rule.
    generic: bool,
}

/// What a rule's pattern proves about where its matches can be.
struct Shape {
    /// When every match holds one of its keywords as written and is at most this many bytes
    /// long: its regex runs only around the keywords' hits (see `near`).
    span: Option<usize>,
    /// With `span`: at most how many bytes a match starts before the first keyword it holds
    /// (see `shape::Computed::lead`).
    lead: Option<usize>,
    /// What every match holds (a run of secret-shaped bytes, literal bytes): stretches
    /// without it are not searched, and a rule whose stretches (or blob) hold none is not even
    /// compiled.
    needs: Option<Needs>,
}

impl Shape {
    fn of(spec: &RuleSpec, hir: &regex_syntax::hir::Hir) -> Shape {
        let c = shape::of_hir(hir, &spec.keywords);
        Shape::from_computed(match near_of(spec) {
            Some((context, within)) => shape::with_near(c, hir, context, within, &spec.keywords),
            None => c,
        })
    }

    fn from_computed(c: shape::Computed) -> Shape {
        Shape {
            span: c.span,
            lead: c.lead,
            needs: Needs::new(c.run, &c.literals, &c.sets),
        }
    }

    /// A built-in rule's shape as worked out when keyhound was built (see `shape`), if it was
    /// worked out for this very pattern and these keywords.
    fn prebuilt(spec: &RuleSpec) -> Option<Shape> {
        prebuilt_shape(spec).map(Shape::from_computed)
    }
}

/// The `[rules.near]` context that a rule's shape is worked out with (`shape::with_near`): only
/// where its keywords are searched as written, so that their hits are known. (Where the pattern
/// holds no keyword, that is where the rule says so; where it holds one, the context changes
/// nothing.)
fn near_of(spec: &RuleSpec) -> Option<(&str, usize)> {
    spec.near
        .as_ref()
        .filter(|_| spec.case_sensitive_keywords)
        .map(|n| (n.pattern.as_str(), n.within))
}

/// What `build.rs` worked out for a built-in rule (see `Shape::prebuilt`).
fn prebuilt_shape(spec: &RuleSpec) -> Option<shape::Computed> {
    let i = BUILTIN_SHAPES
        .binary_search_by(|e| e.0.cmp(spec.id.as_str()))
        .ok()?;
    let &(_, fingerprint, span, lead, run, literals, sets) = BUILTIN_SHAPES.get(i)?;
    if fingerprint != shape::fingerprint(&spec.pattern, &spec.keywords, near_of(spec)) {
        return None;
    }
    let run = run.map(|(bits, len)| {
        let mut class = [false; 256];
        for (b, x) in class.iter_mut().enumerate() {
            *x = bits.get(b / 64).is_some_and(|w| w >> (b % 64) & 1 == 1);
        }
        (class, len)
    });
    Some(shape::Computed {
        span,
        lead,
        run,
        literals: literals.iter().map(|l| l.to_vec()).collect(),
        sets: sets
            .iter()
            .map(|set| set.iter().map(|s| s.to_vec()).collect())
            .collect(),
    })
}

/// The built-in rules' shapes, worked out by `build.rs` (with `shape`): (id, `shape::fingerprint`
/// of its pattern and keywords, span, lead, run as (class bits, least length), literals, sets),
/// by id.
type PrebuiltShape = (
    &'static str,
    u64,
    Option<usize>,
    Option<usize>,
    Option<([u64; 4], usize)>,
    &'static [&'static [u8]],
    &'static [&'static [&'static [u8]]],
);
static BUILTIN_SHAPES: &[PrebuiltShape] = include!(concat!(env!("OUT_DIR"), "/builtin_shapes.rs"));

/// What a rule lets through, and where it runs.
struct Extras {
    /// Paths the rule is limited to.
    path: Option<regex::Regex>,
    stopwords: Stopwords,
    allow: Vec<Regex>,
    /// Matched against the whole match.
    allow_match: Vec<Regex>,
    /// Context that must occur within so many bytes of a match (`near`).
    near: Option<(Regex, usize)>,
}

/// The keyword prefilter: every occurrence of every keyword, in one search per group of
/// needles (see `needles`). Keywords are case-insensitive, but a keyword that every match of its
/// rule's pattern contains in its written spelling (`ghp_`, `-----BEGIN RSA PRIVATE KEY`: see
/// `literal`) is searched exactly as written, on the blob itself; only the others are searched
/// in a lowercased copy, made only when there are such keywords.
struct Keywords {
    /// The exact needles as (bytes, keyword index), for a caller that searches them together
    /// with needles of its own (`Detector`).
    exact_list: Vec<(Vec<u8>, usize)>,
    /// Their own search, built on first use: a caller that searches them itself never needs
    /// it. (If it cannot be built, every exact keyword counts as found: no rule goes unrun.)
    exact: OnceLock<Result<Option<Needles>>>,
    /// The case-insensitive needles, lowercase, as (bytes, keyword index).
    folded_list: Vec<(Vec<u8>, usize)>,
    folded: Option<Needles>,
}

impl Keywords {
    /// `keywords` are (keyword as written, searched exactly).
    fn build(keywords: &[(&str, bool)]) -> Result<Keywords> {
        let (mut exact, mut folded) = (Vec::new(), Vec::new());
        for (i, (k, is_exact)) in keywords.iter().enumerate() {
            if *is_exact {
                exact.push((k.as_bytes().to_vec(), i));
            } else {
                folded.push((k.to_ascii_lowercase().into_bytes(), i));
            }
        }
        Ok(Keywords {
            exact_list: exact,
            exact: OnceLock::new(),
            folded: Needles::build(folded.clone(), true)?,
            folded_list: folded,
        })
    }

    /// Calls `hit(keyword index, start)` for each keyword occurrence found (start `None` when
    /// it is not known); the exact keywords only when `exact` is set, the others only when
    /// `folded` is.
    fn each(
        &self,
        data: &[u8],
        exact: bool,
        folded: bool,
        mut hit: impl FnMut(usize, Option<usize>),
    ) {
        if exact {
            let search = self
                .exact
                .get_or_init(|| Needles::build(self.exact_list.clone(), false));
            match search {
                Ok(Some(n)) => n.each(data, &mut |k, at, _| hit(k, Some(at))),
                Ok(None) => {}
                Err(_) => self.exact_list.iter().for_each(|(_, k)| hit(*k, None)),
            }
        }
        if let Some(n) = self.folded.as_ref().filter(|_| folded) {
            let mut hit = |k: usize, _: usize, _: usize| hit(k, None);
            if n.needs_lowercase() {
                n.each(&data.to_ascii_lowercase(), &mut hit);
            } else {
                n.each(data, &mut hit);
            }
        }
    }
}

/// One rule match in a blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RuleMatch {
    pub rule: usize,
    /// Span of the captured secret.
    pub span: Range<usize>,
    pub value: String,
    /// A match of a provider rule's pattern that the rule rejected for its value (a failed
    /// checksum, a placeholder, an allowlisted value or context): not a finding, but what a
    /// generic rule must not report either. Kept only when a generic rule is loaded.
    pub rejected: bool,
}

/// Every loaded rule, with the keyword prefilter.
pub(crate) struct RuleSet {
    rules: Vec<CompiledRule>,
    keywords: Option<Keywords>,
    /// Rules triggered by each keyword pattern.
    keyword_rules: Vec<Vec<usize>>,
    /// Rules without keywords (imported ones may have none): they run on every blob.
    always: Vec<usize>,
    /// The keyword patterns of each rule (used for a rule whose regex runs near its hits: see
    /// `CompiledRule::span`), and the byte length of each keyword pattern.
    rule_keywords: Vec<Vec<usize>>,
    keyword_len: Vec<usize>,
    /// Whether each keyword pattern is searched as written.
    exact_pattern: Vec<bool>,
    /// Rule index by id.
    by_id: HashMap<&'static str, usize>,
    /// Whether a generic rule is loaded (see `RuleMatch::rejected`).
    any_generic: bool,
}

impl RuleSet {
    /// No rules at all.
    #[cfg(test)]
    pub(crate) fn empty() -> RuleSet {
        RuleSet {
            rules: Vec::new(),
            keywords: None,
            keyword_rules: Vec::new(),
            always: Vec::new(),
            rule_keywords: Vec::new(),
            keyword_len: Vec::new(),
            exact_pattern: Vec::new(),
            by_id: HashMap::new(),
            any_generic: false,
        }
    }

    /// The rules built into the binary (every file in `rules/`).
    #[cfg(test)]
    pub(crate) fn builtin() -> Result<RuleSet> {
        RuleSet::load(crate::rule::builtin::specs_with_examples()?, Vec::new())
    }

    /// Loads and compiles rule files given as (name, text). Ids must be unique across all files
    /// (and must not collide with the AWS rules built into the code).
    pub(crate) fn from_files(files: &[(String, String)]) -> Result<RuleSet> {
        let mut specs = Vec::new();
        for (name, text) in files {
            let parsed = file::parse(name, text).map_err(|e| {
                if toml::from_str::<toml::Table>(text).is_ok_and(|t| t.contains_key("aws")) {
                    Error::config(
                        name,
                        "aws",
                        format!(
                            "AWS rules ([aws]) are built into keyhound and cannot be loaded from \
                             a file; `keyhound rules check` without a file checks the built-in {}",
                            crate::aws::FILE
                        ),
                    )
                } else {
                    e
                }
            })?;
            specs.extend(parsed.rules.into_iter().map(|s| (name.clone(), s)));
        }
        RuleSet::from_specs(specs)
    }

    /// Compiles parsed rules given as (source name, rule).
    pub(crate) fn from_specs(specs: Vec<(String, RuleSpec)>) -> Result<RuleSet> {
        RuleSet::load(Vec::new(), specs)
    }

    /// The built-in rules and rules from files, each as (source name, rule). Rule files are
    /// checked and analysed in full while loading, so that a mistake in one is reported before
    /// the scan. The built-in rules are not: the tests check every one of them (`rules check`,
    /// and that their keywords are all exact: `literal`), and a pre-commit hook must not pay
    /// for parsing hundreds of patterns, most of which never run; what a built-in rule needs
    /// beyond its keywords is worked out when one of them first occurs.
    pub(crate) fn load(
        builtin: Vec<(String, RuleSpec)>,
        files: Vec<(String, RuleSpec)>,
    ) -> Result<RuleSet> {
        let mut rules: Vec<CompiledRule> = Vec::with_capacity(builtin.len() + files.len());
        // The ids of the rules found by code (AWS, keystores) are taken too.
        let mut ids: HashSet<&'static str> = taken_ids();
        for (name, spec) in builtin {
            if ids.contains(spec.id.as_str()) {
                return Err(Error::rule(&name, &spec.id, "id", "defined twice"));
            }
            let rule = CompiledRule::builtin(&name, spec)?;
            ids.insert(rule.id);
            rules.push(rule);
        }
        RuleSet::finish(rules, ids, files)
    }

    /// `load` of every built-in rule from the index `build.rs` made (`builtin::index`), which
    /// reads each built-in rule only when a scan first needs it; `None` when there is no index
    /// (`build.rs` could not make one: `load` then reads every rule).
    pub(crate) fn load_indexed(
        files: Vec<(String, RuleSpec)>,
        enabled: &Enabled,
    ) -> Option<Result<RuleSet>> {
        let index = builtin::index();
        if index.is_empty() {
            return None;
        }
        let mut ids = taken_ids();
        let mut rules: Vec<CompiledRule> = Vec::with_capacity(index.len() + files.len());
        for entry in index {
            // A generic rule left off still takes its id.
            if !ids.insert(entry.1) {
                return Some(Err(Error::rule(entry.0, entry.1, "id", "defined twice")));
            }
            if enabled.runs(entry.1, entry.4) {
                rules.push(CompiledRule::indexed(entry));
            }
        }
        Some(RuleSet::finish(rules, ids, files))
    }

    /// Adds the rules of `files` to `rules` (`ids` those already taken), and builds the set.
    fn finish(
        mut rules: Vec<CompiledRule>,
        mut ids: HashSet<&'static str>,
        files: Vec<(String, RuleSpec)>,
    ) -> Result<RuleSet> {
        for (name, spec) in files {
            let hir = file::validate(&name, &spec)?;
            let exact = exact_keywords_in(&spec, &hir);
            if ids.contains(spec.id.as_str()) {
                return Err(Error::rule(&name, &spec.id, "id", "defined twice"));
            }
            let eager = size::nfa_bound(&hir) > EAGER_BOUND;
            let rule = compile(&name, spec, exact, eager)?;
            ids.insert(rule.id);
            let _ = rule.shape.set(Shape::of(rule.spec(), &hir));
            rules.push(rule);
        }
        // Sorted by id through a list of indices, then put in that order in place: a compiled
        // rule is large, and sorting the rules themselves moved each of them many times (a
        // tenth of a scan's start), as did collecting them into a second list.
        let mut order: Vec<usize> = (0..rules.len()).collect();
        order.sort_by_key(|&i| rules.get(i).map(|r| r.id));
        permute(&mut rules, &order);
        // Distinct (keyword, exact) pairs: a keyword one rule proves exact and another does not
        // is searched both ways, each triggering its own rules.
        // (Keywords as the rules hold them, `&'static`: no string is copied for a key.)
        let mut patterns: Vec<(&'static str, bool)> = Vec::new();
        let mut index: HashMap<(&'static str, bool), usize> = HashMap::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        let mut rule_keywords: Vec<Vec<usize>> = vec![Vec::new(); rules.len()];
        for (i, r) in rules.iter().enumerate() {
            for k in r.keywords {
                let key = if r.exact {
                    (*k, true)
                } else {
                    (file::leak(&k.to_ascii_lowercase()), false)
                };
                let p = match index.get(&key) {
                    Some(&p) => p,
                    None => {
                        patterns.push(key);
                        keyword_rules.push(Vec::new());
                        index.insert(key, patterns.len() - 1);
                        patterns.len() - 1
                    }
                };
                if let Some(v) = keyword_rules.get_mut(p) {
                    if v.last() != Some(&i) {
                        v.push(i);
                    }
                }
                if let Some(ks) = rule_keywords.get_mut(i) {
                    if !ks.contains(&p) {
                        ks.push(p);
                    }
                }
            }
        }
        let keyword_len = patterns.iter().map(|(k, _)| k.len()).collect();
        let exact_pattern = patterns.iter().map(|(_, e)| *e).collect();
        let keywords = if patterns.is_empty() {
            None
        } else {
            Some(Keywords::build(&patterns)?)
        };
        let always = (0..rules.len())
            .filter(|&i| rules.get(i).is_some_and(|r| r.keywords.is_empty()))
            .collect();
        let by_id = rules.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
        let any_generic = rules.iter().any(|r| r.generic);
        Ok(RuleSet {
            rules,
            keywords,
            keyword_rules,
            always,
            rule_keywords,
            keyword_len,
            exact_pattern,
            by_id,
            any_generic,
        })
    }

    /// The rules, sorted by id.
    pub(crate) fn rules(&self) -> &[CompiledRule] {
        &self.rules
    }

    /// Every accepted match in `data`, sorted by position.
    #[cfg(test)]
    fn matches(&self, data: &[u8]) -> Vec<RuleMatch> {
        let mut all = self.matches_at(data, None);
        all.retain(|m| !m.rejected);
        all
    }

    /// Like `matches`, for a blob at `path` (rules limited to other paths do not run).
    pub(crate) fn matches_at(&self, data: &[u8], path: Option<&str>) -> Vec<RuleMatch> {
        self.matches_with(data, path, None)
    }

    /// The keywords searched as written, as (bytes, keyword index): a caller that finds them
    /// itself passes the indices found to `matches_with`.
    pub(crate) fn exact_needles(&self) -> &[(Vec<u8>, usize)] {
        self.keywords
            .as_ref()
            .map_or(&[], |k| k.exact_list.as_slice())
    }

    /// The case-insensitive keywords, lowercase, as (bytes, keyword index): a caller that
    /// finds them itself passes the indices found to `matches_with`.
    pub(crate) fn folded_needles(&self) -> &[(Vec<u8>, usize)] {
        self.keywords
            .as_ref()
            .map_or(&[], |k| k.folded_list.as_slice())
    }

    /// Like `matches_at`; with `found`, the occurrences (keyword index, start) of the exact
    /// keywords in `data` (indices of `exact_needles`), and of the case-insensitive ones too
    /// when its flag is set, are taken from there instead of being searched again.
    pub(crate) fn matches_with(
        &self,
        data: &[u8],
        path: Option<&str>,
        found: Option<FoundKeywords<'_>>,
    ) -> Vec<RuleMatch> {
        if self.rules.is_empty() {
            return Vec::new();
        }
        let (triggered, hits) = self.triggered(data, found);
        let mut out = Vec::new();
        for i in triggered {
            let Some(rule) = self.rules.get(i) else {
                continue;
            };
            // Only a rule limited to paths compiles its extras here: the allowlist of a rule
            // whose keywords occur but whose pattern never matches is never compiled.
            if let (true, Some(p)) = (rule.spec().path.is_some(), path) {
                if rule
                    .extras()
                    .path
                    .as_ref()
                    .is_some_and(|only| !only.is_match(p))
                {
                    continue;
                }
            }
            let near = hits
                .as_ref()
                .and_then(|h| self.stretches(i, rule.span()?, rule.shape().lead, h, data.len()));
            rule.matches(i, data, near.as_deref(), self.any_generic, &mut out);
        }
        out.sort_by_key(|m| (m.span.start, m.rule));
        out.dedup_by(|b, a| a.rule == b.rule && a.span == b.span);
        out
    }

    /// The rules that the keywords in `data` trigger, and those without keywords, in order
    /// and once each: the cost follows the keywords found, not the number of rules. Also the
    /// occurrences of the exact keywords as (keyword, start), sorted (`None` if some are not
    /// known, or more than `prefilter::hit_limit` occurred). The keywords are taken from `found`
    /// when given (see `matches_with`): the occurrences, whether the case-insensitive ones are
    /// among them, and whether all of them are (`Found::positions`).
    fn triggered(
        &self,
        data: &[u8],
        found: Option<FoundKeywords<'_>>,
    ) -> (Vec<usize>, Option<Vec<(usize, usize)>>) {
        let mut triggered: Vec<usize> = self.always.clone();
        let mut seen: Vec<usize> = Vec::new();
        let positions = found.is_none_or(|(_, _, positions)| positions);
        let mut hits: Option<Vec<(usize, usize)>> = positions.then(Vec::new);
        let limit = super::prefilter::hit_limit(data.len());
        let mut trigger = |p: usize, start: Option<usize>| {
            seen.push(p);
            if seen.len() > limit {
                seen.sort_unstable();
                seen.dedup();
            }
            if hits.as_ref().is_some_and(|h| h.len() > limit) {
                // Too many to keep: every triggered rule searches the whole blob.
                hits = None;
            }
            match (start, hits.as_mut()) {
                (Some(s), Some(h)) => h.push((p, s)),
                // An exact keyword found where it is not known (its search could not be
                // built): every rule searches the whole blob.
                (None, Some(_)) if self.exact_pattern.get(p).copied().unwrap_or(true) => {
                    hits = None;
                }
                _ => {}
            }
        };
        if let Some((found, _, _)) = found {
            found.iter().for_each(|&(p, s)| trigger(p, Some(s)));
        }
        if let Some(k) = &self.keywords {
            let folded = found.is_none_or(|(_, folded, _)| !folded);
            k.each(data, found.is_none(), folded, &mut trigger);
        }
        seen.sort_unstable();
        seen.dedup();
        for p in seen {
            if let Some(rs) = self.keyword_rules.get(p) {
                triggered.extend_from_slice(rs);
            }
        }
        triggered.sort_unstable();
        triggered.dedup();
        if let Some(h) = hits.as_mut() {
            h.sort_unstable();
        }
        (triggered, hits)
    }

    /// The stretches of `data` where rule `i` (whose matches are at most `span` bytes) can
    /// match, from the hits of its keywords (as `triggered` gives them); `None` to search all
    /// of it.
    fn stretches(
        &self,
        i: usize,
        span: usize,
        lead: Option<usize>,
        hits: &[(usize, usize)],
        len: usize,
    ) -> Option<Vec<Range<usize>>> {
        let keywords = self.rule_keywords.get(i)?;
        let of = |p: usize| {
            let from = hits.partition_point(|&(q, _)| q < p);
            let to = hits.partition_point(|&(q, _)| q <= p);
            hits.get(from..to).unwrap_or(&[])
        };
        let count: usize = keywords.iter().map(|&p| of(p).len()).sum();
        if count.saturating_mul(span.saturating_mul(2)) >= len {
            return None;
        }
        let mut at = Vec::with_capacity(count);
        for &p in keywords {
            let klen = self.keyword_len.get(p).copied().unwrap_or(0);
            at.extend(of(p).iter().map(|&(_, s)| (s, s + klen)));
        }
        near::stretches(at, span, lead, len)
    }

    /// Whether rule `id` may report a finding in a file at `path`: false only for a rule
    /// limited to other paths. For git history, where a blob's path is known only after it
    /// was matched (see `history`).
    pub(crate) fn path_allows(&self, id: &str, path: &str) -> bool {
        match self
            .by_id(id)
            .filter(|r| r.spec().path.is_some())
            .and_then(|r| r.extras().path.as_ref())
        {
            Some(only) => only.is_match(path),
            None => true,
        }
    }

    /// The rule with this id.
    pub(crate) fn by_id(&self, id: &str) -> Option<&CompiledRule> {
        self.by_id.get(id).and_then(|&i| self.rules.get(i))
    }

    /// The rule behind a match.
    pub(crate) fn get(&self, i: usize) -> Option<&CompiledRule> {
        self.rules.get(i)
    }
}

impl CompiledRule {
    /// The rule's regex, compiled on first use (`None` if it is too large to compile; its
    /// syntax was checked at load time).
    ///
    /// Patterns run in ASCII mode where they allow it (as in gitleaks' Go regexes, `\b`, `\w`
    /// and `\d` are ASCII; a negated class matches any byte): a class such as `[^@/]{3,128}`
    /// in Unicode mode compiles to an automaton over every UTF-8 sequence, which made
    /// compiling the built-in rules cost more than scanning a 200 MB tree. Patterns that need
    /// Unicode (`\p{L}`, non-ASCII classes) run in Unicode mode.
    ///
    /// A pattern that might not fit the size limit was compiled while loading (see `compile`),
    /// and one that did not fit is a load error, so `None` is not expected here.
    pub(crate) fn regex(&self) -> Option<&Regex> {
        self.regex
            .get_or_init(|| build_regex(&self.spec().pattern, self.generic).ok())
            .as_ref()
    }

    /// Adds the accepted matches of this rule (rule `i` of its set) in `data` to `out`; only
    /// those in `near` when given (see `near`). With `rejected`, the matches this rule (not a
    /// generic one) rejects for their value or context are added too, marked so.
    fn matches(
        &self,
        i: usize,
        data: &[u8],
        near: Option<&[Range<usize>]>,
        rejected: bool,
        out: &mut Vec<RuleMatch>,
    ) {
        let rejected = rejected && !self.generic;
        // Only where what a match holds is (a match lies within its stretch and the
        // look-ahead context after it: `near::captures_in`).
        let kept: Vec<Range<usize>>;
        let near = match (near, &self.shape().needs) {
            (Some(stretches), Some(needs)) => {
                kept = stretches
                    .iter()
                    .filter(|s| needs.within(data, s.start..s.end.saturating_add(near::CONTEXT)))
                    .cloned()
                    .collect();
                if kept.is_empty() {
                    return;
                }
                Some(kept.as_slice())
            }
            (None, Some(needs)) if !needs.within(data, 0..data.len()) => return,
            (near, _) => near,
        };
        let Some(regex) = self.regex() else {
            return;
        };
        let mut each = |caps: &regex::bytes::Captures<'_>| {
            let group = match self.spec().secret_group {
                None => 1,
                Some(usize::MAX) => usize::from(caps.len() > 1),
                Some(g) => g,
            };
            let Some(g) = caps.get(group) else {
                return;
            };
            let whole = caps.get(0).map_or(g.range(), |m| m.range());
            let context_allowed = || {
                let text = data.get(whole.clone()).unwrap_or_default();
                self.extras().allow_match.iter().any(|r| r.is_match(text))
            };
            // The context the rule needs near the match, on either side.
            // A context match must start within the distance on either side; it is searched
            // in the blob itself (from the window's start, with what comes before as context
            // for `^` and `\b`, and up to `NEAR_SPILL` bytes past the window for its end).
            let context_near = || match &self.extras().near {
                Some((re, within)) => {
                    let (from, to) = (
                        whole.start.saturating_sub(*within),
                        whole.end.saturating_add(*within),
                    );
                    let hay = data
                        .get(..to.saturating_add(NEAR_SPILL).min(data.len()))
                        .unwrap_or_default();
                    re.find_at(hay, from.min(hay.len()))
                        .is_some_and(|m| m.start() <= to)
                }
                None => true,
            };
            let accepted = if rejected {
                // A match without the context the rule needs is no verdict on its value.
                if !context_near() {
                    return;
                }
                self.accepts(g.as_bytes())
                    && !context_allowed()
                    && !sibling_name(data, g.start(), g.end())
            } else {
                // The cheap checks first: the context is a search of the blob.
                let accepted = self.accepts(g.as_bytes())
                    && !sibling_name(data, g.start(), g.end())
                    && !context_allowed()
                    && context_near();
                if !accepted {
                    return;
                }
                accepted
            };
            out.push(RuleMatch {
                rule: i,
                span: g.range(),
                value: String::from_utf8_lossy(g.as_bytes()).into_owned(),
                rejected: !accepted,
            });
        };
        match near {
            Some(stretches) => near::captures_in(regex, data, stretches, &mut each),
            None => regex.captures_iter(data).for_each(|c| each(&c)),
        }
    }

    /// Checksum, entropy floor (capped by what random values of the secret's length and
    /// alphabet reach: `rule::entropy`; a value that passes only by that cap must also not be
    /// shaped like a placeholder: `rule::placeholder`) and allowlist.
    fn accepts(&self, secret: &[u8]) -> bool {
        if secret.is_empty() {
            return false;
        }
        if let Some(c) = self.checksum() {
            if !super::checksum::valid(c, secret) {
                return false;
            }
        }
        if let Some(min) = self.spec().entropy {
            // A value at the written floor passes as it always did. One under it passes where
            // random values of its length and alphabet fall as low, unless it is shaped like a
            // placeholder: lowering a floor must not let `abcd1234…` through.
            if crate::rule::entropy::shannon_entropy(secret) < min
                && (!passes_floor(secret, min, || self.mixed_case()) || is_placeholder(secret))
            {
                return false;
            }
        }
        let extras = self.extras();
        if extras.stopwords.any_in(secret) {
            return false;
        }
        !extras.allow.iter().any(|r| r.is_match(secret))
    }
}

/// How far before a value `sibling_name` looks for the name it begins like.
const SIBLING_WINDOW: usize = 64;

/// Whether the value at `start..end` of `data` is the next name in a list of setting names
/// (`"usersOauth2BitbucketSecret","usersOauth2BitlyAppid"`), taken for the value of the name
/// before it: a value of 12 letters and digits or more that begins with the same eight as a
/// word of 12 letters and digits or more in the 64 bytes before it, without being a repeat of
/// that word. A random value shares its first eight characters with nothing that close; a
/// value written twice (`key=X … key2=X`) is a repeat, still a value; a token that starts with
/// its provider's name (`rubygems_…` under `rubygems_api_key`) holds other characters than
/// letters and digits, or follows a shorter word.
fn sibling_name(data: &[u8], start: usize, end: usize) -> bool {
    const LONG: usize = 12;
    let (Some(value), Some(before)) = (
        data.get(start..end),
        data.get(start.saturating_sub(SIBLING_WINDOW)..start),
    ) else {
        return false;
    };
    if value.len() < LONG || !value.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let Some(head) = value.get(..8) else {
        return false;
    };
    let from = start - before.len();
    memchr::memmem::find_iter(before, head).any(|at| {
        let p = from + at;
        let word_start = p == 0 || data.get(p - 1).is_some_and(|b| !b.is_ascii_alphanumeric());
        let earlier = data.get(p..start).unwrap_or_default();
        let word = earlier
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        word_start && word >= LONG && !data.get(p..).unwrap_or_default().starts_with(value)
    })
}

/// Keyword occurrences from the shared search (`prefilter::Found`): (keyword, start) pairs,
/// whether the case-insensitive keywords are among them, and whether every occurrence is.
pub(crate) type FoundKeywords<'a> = (&'a [(usize, usize)], bool, bool);

/// How far past a `[rules.near]` window its context may run on (a context that starts in the
/// window and is longer than this is not seen).
const NEAR_SPILL: usize = 256;

/// The size limit of a rule's compiled regex.
const REGEX_SIZE_LIMIT: usize = 32 << 20;

/// The most memory a rule's lazy DFA may hold for the states it has built, per thread: the
/// regex crate's default. Once full, the cache is cleared and states are built again.
const DFA_CACHE: usize = 2 << 20;

/// The same for a generic rule (`generic = true`). Its pattern is broad (a name of any
/// spelling around one of many words, then a value of 16 to 128 characters) and is run around
/// words that occur all through source code, so the states its searches need outgrow
/// `DFA_CACHE`: on the files corpus of `bench/compare.sh` the cache was cleared and refilled
/// throughout, and building states was most of the rule's time. With 8 MiB a scan with the
/// rule on took a third less CPU time (1.75 s against 1.2 s user, two threads) for 9 MB more
/// peak memory; 16 MiB gained nothing more. Provider rules' patterns are narrow and are left at
/// the default (a default scan was measured no faster with the larger cache).
const GENERIC_DFA_CACHE: usize = 8 << 20;

/// Patterns whose NFA could take more than this (by `size::nfa_bound`, an upper bound) are
/// compiled while loading. The built-in patterns are far below it (a test checks), so loading
/// them compiles nothing.
pub(crate) const EAGER_BOUND: u64 = (REGEX_SIZE_LIMIT / 8) as u64;

/// The ids of the rules found by code (AWS, keystores), which no pattern rule may take.
fn taken_ids() -> HashSet<&'static str> {
    crate::aws::IDS
        .iter()
        .copied()
        .chain(super::keystore::rules().map(|r| r.id))
        .collect()
}

/// Puts `v` in the order `order` gives (`v[k]` becomes what was at `order[k]`, `order` a
/// permutation of its indices), in place: each element moves along its cycle, one swap a step.
fn permute<T>(v: &mut [T], order: &[usize]) {
    let mut done = vec![false; v.len()];
    for start in 0..v.len() {
        if done.get(start).copied().unwrap_or(true) {
            continue;
        }
        let mut j = start;
        loop {
            if let Some(d) = done.get_mut(j) {
                *d = true;
            }
            let Some(&k) = order.get(j) else {
                break;
            };
            if k == start || k >= v.len() {
                break;
            }
            v.swap(j, k);
            j = k;
        }
    }
}

/// A rule's regex: in ASCII mode where the pattern allows it, else in Unicode mode. A generic
/// rule's gets a larger lazy-DFA cache (`GENERIC_DFA_CACHE`).
fn build_regex(pattern: &str, generic: bool) -> std::result::Result<Regex, regex::Error> {
    let build = |unicode: bool| {
        regex::bytes::RegexBuilder::new(pattern)
            .unicode(unicode)
            .size_limit(REGEX_SIZE_LIMIT)
            .dfa_size_limit(if generic {
                GENERIC_DFA_CACHE
            } else {
                DFA_CACHE
            })
            .build()
    };
    build(false).or_else(|_| build(true))
}

/// Compiles a rule's allowlist and path limit; its pattern too when `eager` (one that may
/// not fit the size limit: failing is an error now rather than a rule that never runs).
fn compile(name: &str, spec: RuleSpec, exact: bool, eager: bool) -> Result<CompiledRule> {
    let extras = OnceLock::new();
    let _ = extras.set(Extras::compile(name, &spec)?);
    let checksum = checksum_of(name, &spec)?;
    let regex = std::sync::OnceLock::new();
    if eager {
        let compiled = build_regex(&spec.pattern, spec.generic).map_err(|e| {
            let why = match e {
                regex::Error::CompiledTooBig(limit) => format!(
                    "too large to compile: expanded (counted repetitions copy what they \
                     repeat), it needs more than the {} MiB a pattern may take",
                    limit >> 20
                ),
                other => other.to_string(),
            };
            Error::rule(name, &spec.id, "pattern", why)
        })?;
        let _ = regex.set(Some(compiled));
    }
    let source = file::leak(name);
    let generic = spec.generic;
    Ok(CompiledRule {
        id: file::leak(&spec.id),
        source,
        keywords: Box::leak(spec.keywords.iter().map(|k| file::leak(k)).collect()),
        meta: OnceLock::from(file::rule_meta(&spec, name)),
        spec: OnceLock::from(spec),
        json: None,
        regex,
        extras,
        checksum: OnceLock::from(checksum),
        exact,
        shape: OnceLock::new(),
        mixed_case: OnceLock::new(),
        generic,
    })
}

/// The checksum a rule names.
fn checksum_of(name: &str, spec: &RuleSpec) -> Result<Option<Checksum>> {
    match spec.checksum.as_deref() {
        Some(c) => Ok(Some(Checksum::parse(c).ok_or_else(|| {
            Error::rule(name, &spec.id, "checksum", format!("{c:?} is not known"))
        })?)),
        None => Ok(None),
    }
}

impl CompiledRule {
    /// A built-in rule, loaded as cheaply as it can be (see `RuleSet::load`): its keywords are
    /// exact (a test proves it of every built-in rule), and its pattern is neither parsed nor
    /// compiled until one of them occurs.
    fn builtin(name: &str, spec: RuleSpec) -> Result<CompiledRule> {
        let checksum = checksum_of(name, &spec)?;
        let generic = spec.generic;
        Ok(CompiledRule {
            id: file::leak(&spec.id),
            source: file::leak(name),
            keywords: Box::leak(spec.keywords.iter().map(|k| file::leak(k)).collect()),
            meta: OnceLock::new(),
            spec: OnceLock::from(spec),
            json: None,
            checksum: OnceLock::from(checksum),
            regex: OnceLock::new(),
            extras: OnceLock::new(),
            exact: true,
            shape: OnceLock::new(),
            mixed_case: OnceLock::new(),
            generic,
        })
    }

    /// A built-in rule from its entry in the index: nothing of it is read but its id and
    /// keywords, which are exact, as `builtin` says.
    fn indexed(&(file, id, keywords, _, generic, json): &'static builtin::Indexed) -> CompiledRule {
        CompiledRule {
            id,
            source: file,
            keywords,
            meta: OnceLock::new(),
            spec: OnceLock::new(),
            json: Some(json),
            checksum: OnceLock::new(),
            regex: OnceLock::new(),
            extras: OnceLock::new(),
            exact: true,
            shape: OnceLock::new(),
            mixed_case: OnceLock::new(),
            generic,
        }
    }

    /// Whether the rule is generic (`RuleSpec::generic`): it yields to every other rule.
    pub(crate) fn generic(&self) -> bool {
        self.generic
    }

    /// The rule as written (a built-in rule's read from its JSON on first use).
    pub(crate) fn spec(&self) -> &RuleSpec {
        self.spec.get_or_init(|| {
            builtin::read_indexed(self.source, self.id, self.json.unwrap_or_default())
        })
    }

    /// What a finding of this rule reports.
    pub(crate) fn meta(&self) -> &'static Rule {
        self.meta
            .get_or_init(|| file::rule_meta(self.spec(), self.source))
    }

    pub(crate) fn id(&self) -> &'static str {
        self.id
    }

    /// The file the rule comes from.
    pub(crate) fn source(&self) -> &'static str {
        self.source
    }

    /// The checksum its secrets carry (an unknown name, which the tests rule out for the
    /// built-in rules, checks nothing).
    fn checksum(&self) -> Option<Checksum> {
        *self
            .checksum
            .get_or_init(|| self.spec().checksum.as_deref().and_then(Checksum::parse))
    }

    /// The allowlist and path limit (compiled on first use for a built-in rule; one that does
    /// not compile, which the tests rule out, lets everything through and runs everywhere).
    fn extras(&self) -> &Extras {
        self.extras.get_or_init(|| {
            Extras::compile(self.source, self.spec()).unwrap_or(Extras {
                path: None,
                stopwords: Stopwords::default(),
                allow: Vec::new(),
                allow_match: Vec::new(),
                near: None,
            })
        })
    }

    /// Whether the secret's group of the pattern has classes of both lower- and uppercase
    /// letters (a pattern that cannot be parsed, which the tests rule out, says yes: the
    /// stricter answer).
    fn mixed_case(&self) -> bool {
        *self.mixed_case.get_or_init(|| {
            let Some(hir) = super::literal::parse(&self.spec().pattern) else {
                return true;
            };
            let group = match self.spec().secret_group {
                None => Some(1),
                Some(usize::MAX) => None,
                Some(g) => Some(g),
            };
            let secret = match group {
                Some(0) => Some(&hir),
                Some(g) => capture(&hir, g),
                None => capture(&hir, 1).or(Some(&hir)),
            };
            let (mut lower, mut upper) = (false, false);
            if let Some(h) = secret {
                letter_cases(h, &mut lower, &mut upper);
            }
            lower && upper
        })
    }

    /// The longest match, when every match holds one of the rule's keywords as written (then
    /// its regex needs to run only around their hits).
    fn span(&self) -> Option<usize> {
        self.shape().span
    }

    fn shape(&self) -> &Shape {
        self.shape
            .get_or_init(|| match Shape::prebuilt(self.spec()) {
                Some(shape) => shape,
                None => match super::literal::parse(&self.spec().pattern) {
                    Some(hir) => Shape::of(self.spec(), &hir),
                    None => Shape {
                        span: None,
                        lead: None,
                        needs: None,
                    },
                },
            })
    }
}

/// The capture group `index` of `hir`.
fn capture(hir: &regex_syntax::hir::Hir, index: usize) -> Option<&regex_syntax::hir::Hir> {
    use regex_syntax::hir::HirKind;
    match hir.kind() {
        HirKind::Capture(c) if c.index as usize == index => Some(hir),
        HirKind::Capture(c) => capture(&c.sub, index),
        HirKind::Repetition(r) => capture(&r.sub, index),
        HirKind::Concat(hs) | HirKind::Alternation(hs) => hs.iter().find_map(|h| capture(h, index)),
        _ => None,
    }
}

/// Sets `lower` and `upper` when a class in `hir` holds an ASCII letter of that case (the
/// letters of literals are a prefix, not the random part of a value).
fn letter_cases(hir: &regex_syntax::hir::Hir, lower: &mut bool, upper: &mut bool) {
    use regex_syntax::hir::{Class, HirKind};
    let mut range = |start: u32, end: u32| {
        *lower |= start <= u32::from(b'z') && end >= u32::from(b'a');
        *upper |= start <= u32::from(b'Z') && end >= u32::from(b'A');
    };
    match hir.kind() {
        HirKind::Class(Class::Bytes(c)) => c
            .ranges()
            .iter()
            .for_each(|r| range(r.start().into(), r.end().into())),
        HirKind::Class(Class::Unicode(c)) => c
            .ranges()
            .iter()
            .for_each(|r| range(r.start().into(), r.end().into())),
        HirKind::Capture(c) => letter_cases(&c.sub, lower, upper),
        HirKind::Repetition(r) => letter_cases(&r.sub, lower, upper),
        HirKind::Concat(hs) | HirKind::Alternation(hs) => {
            hs.iter().for_each(|h| letter_cases(h, lower, upper))
        }
        _ => {}
    }
}

impl Extras {
    fn compile(name: &str, spec: &RuleSpec) -> Result<Extras> {
        let at = |field: &'static str, e: regex::Error| {
            Error::rule(name, &spec.id, field, e.to_string())
        };
        let (stopwords, allow, allow_match) = match &spec.allowlist {
            Some(a) => (
                Stopwords::new(&a.stopwords)
                    .map_err(|e| Error::rule(name, &spec.id, "allowlist.stopwords", e))?,
                a.regexes
                    .iter()
                    .map(|r| Regex::new(r).map_err(|e| at("allowlist.regexes", e)))
                    .collect::<Result<Vec<_>>>()?,
                a.matches
                    .iter()
                    .map(|r| Regex::new(r).map_err(|e| at("allowlist.matches", e)))
                    .collect::<Result<Vec<_>>>()?,
            ),
            None => (Stopwords::default(), Vec::new(), Vec::new()),
        };
        let path = match &spec.path {
            Some(p) => Some(regex::Regex::new(p).map_err(|e| at("path", e))?),
            None => None,
        };
        let near = match &spec.near {
            Some(n) => Some((
                Regex::new(&n.pattern).map_err(|e| at("near.pattern", e))?,
                n.within,
            )),
            None => None,
        };
        Ok(Extras {
            path,
            stopwords,
            allow,
            allow_match,
            near,
        })
    }
}

#[cfg(test)]
mod tests;
