//! Pairing turns a blob's candidates into findings. Each secret access key is joined with one
//! key ID (and each temporary key's pair with a session token) in the same blob, within a
//! bounded window of lines. The matching keeps the order of appearance (the first key goes with
//! the first secret, so interleaved pairs pair correctly), maximises the number of pairs and,
//! among those, minimises the distances. What is left over becomes lone findings or is dropped.
//! Findings come out without provenance: the detector attaches the blob's origin.

mod tokens;

use std::collections::HashMap;

use super::keys::{self, NameStrength};
use super::matching::{self, Side};
use super::AwsRules;
use super::{Candidate, CandidateKind};
use crate::finding::{AwsKey, ByteSpan, Finding, Location, LocationKind, Secret};
use crate::location::{lines_after, lines_before, Positions};
use tokens::FreeTokens;

/// Lines searched on each side of a lone generic-name secret for a sign that it is AWS's.
const CONTEXT_LINES: usize = 10;

/// The result of pairing one blob.
#[derive(Debug, Default)]
pub(crate) struct Paired {
    pub findings: Vec<Finding>,
    /// Findings not reported because a part is an AWS documentation example.
    pub examples: usize,
}

struct Located {
    cand: Candidate,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
}

impl Located {
    /// What decides whether and at what cost it pairs.
    fn side(&self) -> Side {
        Side {
            line: self.line,
            start: self.cand.span.start,
            named: self.cand.name.is_some(),
            example: self.cand.example,
        }
    }

    /// Where it is in the blob (the blob's path and commit are attached later).
    fn location(&self) -> Location {
        Location {
            path: String::new(),
            members: Vec::new(),
            line: self.line,
            column: self.column,
            end_line: self.end_line,
            end_column: self.end_column,
            kind: match self.cand.kind {
                CandidateKind::KeyId => LocationKind::KeyId,
                CandidateKind::Secret => LocationKind::Secret,
                CandidateKind::Token => LocationKind::SessionToken,
            },
            encoding: self.cand.encoding,
            commit: None,
            unreachable: false,
            offset: ByteSpan::of(&self.cand.span),
            deleted: false,
        }
    }
}

/// The candidates of a blob, located, by kind, and which of them pairs took.
struct Pairing<'a> {
    data: &'a [u8],
    rules: &'a AwsRules,
    located: Vec<Located>,
    keys: Vec<usize>,
    secrets: Vec<usize>,
    tokens: Vec<usize>,
    used: Vec<bool>,
    token_used: Vec<bool>,
    free_tokens: FreeTokens,
    out: Paired,
    findings: Vec<Finding>,
}

/// Pairs the candidates of one blob and builds its findings.
pub(crate) fn pair(data: &[u8], candidates: Vec<Candidate>, rules: &AwsRules) -> Paired {
    if candidates.is_empty() {
        return Paired::default();
    }
    let located = locate(data, candidates);
    let n = located.len();
    let tokens = indices(&located, CandidateKind::Token);
    let token_lines = tokens
        .iter()
        .filter_map(|&t| located.get(t).map(|l| l.line))
        .collect();
    let mut p = Pairing {
        data,
        rules,
        keys: indices(&located, CandidateKind::KeyId),
        secrets: indices(&located, CandidateKind::Secret),
        tokens,
        located,
        used: vec![false; n],
        token_used: vec![false; n],
        free_tokens: FreeTokens::new(token_lines),
        out: Paired::default(),
        findings: Vec::new(),
    };
    let pairs = matching::pairs(&p.keys, &p.secrets, &rules.params, |i| {
        p.located.get(i).map(Located::side)
    });
    for (k, s) in pairs {
        p.key_pair(k, s);
    }
    p.lone_keys();
    p.lone_secrets();
    p.lone_tokens();
    let mut out = p.out;
    out.findings = merge_same(p.findings, rules);
    out
}

impl Pairing<'_> {
    /// A key pair (with the nearest free session token, for a temporary key).
    fn key_pair(&mut self, k: usize, s: usize) {
        mark(&mut self.used, k);
        mark(&mut self.used, s);
        let (Some(key), Some(secret)) = (self.located.get(k), self.located.get(s)) else {
            return;
        };
        let token = if self.rules.is_temporary(&key.cand.value) {
            let within = self.rules.params.pair_lines;
            self.free_tokens.nearest(key.line, within).and_then(|t| {
                self.free_tokens.take(t);
                self.tokens.get(t).copied()
            })
        } else {
            None
        };
        let mut locations = vec![key.location(), secret.location()];
        let mut token_value = None;
        if let Some((t, located)) = token.and_then(|t| self.located.get(t).map(|l| (t, l))) {
            mark(&mut self.token_used, t);
            locations.push(located.location());
            token_value = Some(Secret::new(located.cand.value.clone()));
        }
        if key.cand.example || secret.cand.example {
            self.out.examples += 1;
            return;
        }
        self.findings.push(Finding::new(
            self.rules.pair,
            Some(aws_key(&key.cand.value)),
            Some(Secret::new(secret.cand.value.clone())),
            token_value,
            locations,
        ));
    }

    fn lone_keys(&mut self) {
        for &k in &self.keys {
            let Some(key) = unused(&self.located, &self.used, k) else {
                continue;
            };
            if key.cand.example {
                self.out.examples += 1;
                continue;
            }
            self.findings.push(Finding::new(
                self.rules.key_id,
                Some(aws_key(&key.cand.value)),
                None,
                None,
                vec![key.location()],
            ));
        }
    }

    /// Secrets no pair took: reported when their name says AWS, or says secret with AWS
    /// context nearby.
    fn lone_secrets(&mut self) {
        for &s in &self.secrets {
            let Some(secret) = unused(&self.located, &self.used, s) else {
                continue;
            };
            let reportable = match secret.cand.name {
                Some(NameStrength::Aws) => true,
                Some(NameStrength::Generic) => has_aws_context(self.data, &secret.cand.span),
                None => false,
            };
            if !reportable {
                continue;
            }
            if secret.cand.example {
                self.out.examples += 1;
                continue;
            }
            self.findings.push(Finding::new(
                self.rules.secret,
                None,
                Some(Secret::new(secret.cand.value.clone())),
                None,
                vec![secret.location()],
            ));
        }
    }

    /// Session tokens no pair took, but those after a name that says "token" only next to a
    /// temporary key pair (`"Token"`).
    fn lone_tokens(&mut self) {
        for &t in &self.tokens {
            let Some(token) = unused(&self.located, &self.token_used, t) else {
                continue;
            };
            if token.cand.name == Some(NameStrength::Generic) {
                continue;
            }
            if token.cand.example {
                self.out.examples += 1;
                continue;
            }
            self.findings.push(Finding::new(
                self.rules.token,
                None,
                None,
                Some(Secret::new(token.cand.value.clone())),
                vec![token.location()],
            ));
        }
    }
}

/// Candidate `i`, if no pair took it.
fn unused<'a>(located: &'a [Located], used: &[bool], i: usize) -> Option<&'a Located> {
    located
        .get(i)
        .filter(|_| !used.get(i).copied().unwrap_or(true))
}

fn mark(v: &mut [bool], i: usize) {
    if let Some(slot) = v.get_mut(i) {
        *slot = true;
    }
}

fn indices(located: &[Located], kind: CandidateKind) -> Vec<usize> {
    (0..located.len())
        .filter(|&i| located.get(i).is_some_and(|l| l.cand.kind == kind))
        .collect()
}

/// Resolves lines and columns of every candidate in one forward pass.
fn locate(data: &[u8], candidates: Vec<Candidate>) -> Vec<Located> {
    let positions = Positions::resolve(
        data,
        candidates.iter().flat_map(|c| [c.span.start, c.span.end]),
    );
    let find = |o: usize| positions.at(o);
    candidates
        .into_iter()
        .map(|cand| {
            let (line, column) = find(cand.span.start);
            let (end_line, end_column) = find(cand.span.end);
            Located {
                cand,
                line,
                column,
                end_line,
                end_column,
            }
        })
        .collect()
}

/// Is there a sign of AWS (a word or a key ID) within a few lines of `span`, and no more than
/// 4 KiB from it, outside the value itself (a random secret may well contain `s3` or `aws`)?
fn has_aws_context(data: &[u8], span: &std::ops::Range<usize>) -> bool {
    let start = lines_before(
        data,
        span.start,
        CONTEXT_LINES,
        span.start.saturating_sub(4096),
    );
    let end = lines_after(data, span.end, CONTEXT_LINES, span.end + 4096);
    let has = |from: usize, to: usize| {
        let window = data.get(from..to).unwrap_or_default().to_ascii_lowercase();
        ["aws", "amazon", "s3", "akia", "asia"]
            .iter()
            .any(|w| memchr::memmem::find(&window, w.as_bytes()).is_some())
    };
    has(start, span.start.max(start)) || has(span.end.min(end), end)
}

fn aws_key(id: &str) -> AwsKey {
    AwsKey {
        key_id: id.to_string(),
        account_id: keys::account_id(id),
        key_type: keys::key_type(id),
    }
}

/// Findings of one blob with the same rule and values become one finding with all locations;
/// a key ID or secret that also stands in a pair becomes a location of the pair.
fn merge_same(mut findings: Vec<Finding>, rules: &AwsRules) -> Vec<Finding> {
    findings.sort_by(|a, b| a.fingerprint.cmp(&b.fingerprint));
    let mut out: Vec<Finding> = Vec::with_capacity(findings.len());
    let mut merged = Vec::new();
    for f in findings {
        match out.last_mut() {
            Some(last) if last.fingerprint == f.fingerprint => {
                last.locations.extend(f.locations);
                merged.push(out.len() - 1);
            }
            _ => out.push(f),
        }
    }
    sort_locations(&mut out, merged);
    fold_into_pairs(out, rules)
}

/// Sorts and dedups the locations of the findings at `touched` (once each, however many
/// locations were added to them).
fn sort_locations(findings: &mut [Finding], mut touched: Vec<usize>) {
    touched.sort_unstable();
    touched.dedup();
    for i in touched {
        if let Some(f) = findings.get_mut(i) {
            f.locations.sort();
            f.locations.dedup();
        }
    }
}

/// Moves the locations of lone key IDs and secrets that a pair of the same blob also holds
/// into that pair's finding (the first such pair).
fn fold_into_pairs(mut out: Vec<Finding>, rules: &AwsRules) -> Vec<Finding> {
    let is_pair = |f: &Finding| f.rule.id == rules.pair.id;
    let mut by_key: HashMap<String, usize> = HashMap::new();
    let mut by_secret: HashMap<String, usize> = HashMap::new();
    for (n, f) in out.iter().filter(|f| is_pair(f)).enumerate() {
        let key = f.aws.as_ref().map(|a| a.key_id.clone()).unwrap_or_default();
        let secret = f.secret.as_ref().map(|s| s.expose().to_string());
        by_key.entry(key).or_insert(n);
        by_secret.entry(secret.unwrap_or_default()).or_insert(n);
    }
    let mut extra: Vec<(usize, Vec<Location>)> = Vec::new();
    out.retain(|f| {
        let key = f.aws.as_ref().map(|a| a.key_id.as_str());
        let secret = f.secret.as_ref().map(Secret::expose);
        let target = match (f.rule.id, key, secret) {
            (id, Some(k), None) if id == rules.key_id.id => by_key.get(k),
            (id, None, Some(s)) if id == rules.secret.id => by_secret.get(s),
            _ => None,
        };
        match target {
            Some(&t) => {
                extra.push((t, f.locations.clone()));
                false
            }
            None => true,
        }
    });
    let pair_findings: Vec<usize> = (0..out.len())
        .filter(|&i| out.get(i).is_some_and(is_pair))
        .collect();
    let mut touched = Vec::new();
    for (t, locs) in extra {
        if let Some(&i) = pair_findings.get(t) {
            if let Some(f) = out.get_mut(i) {
                f.locations.extend(locs);
                touched.push(i);
            }
        }
    }
    sort_locations(&mut out, touched);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::candidates::tests::scan;

    fn rules() -> AwsRules {
        AwsRules::builtin().unwrap_or_else(|e| panic!("{e}"))
    }

    const K1: &str = "AKIAQWERTYUIOPASDFGH";
    const K2: &str = "AKIAZXCVBNMLKJHGFDSA";
    const S1: &str = "h3Jq9Vt0Yd/5Lk2Rb8MwZx+4PnC7sGfE1aTuQ6oW";
    const S2: &str = "Zp4Xk8Wq2Lm6Nt0Rv5Ys9Bh3Cj7Df1Gk+Hl/Qm2R";

    fn run(text: &str) -> Vec<(String, Option<String>, Option<String>)> {
        let rules = rules();
        let cands = scan(text.as_bytes(), &rules).candidates;
        let out = pair(text.as_bytes(), cands, &rules);
        let mut v: Vec<_> = out
            .findings
            .iter()
            .map(|f| {
                (
                    f.rule.id.to_string(),
                    f.aws.as_ref().map(|a| a.key_id.clone()),
                    f.secret.as_ref().map(|s| s.expose().to_string()),
                )
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn interleaved_pairs_pair_in_order() {
        let text = format!("k1 = {K1}\nk2 = {K2}\nsecret_key_1 = {S1}\nsecret_key_2 = {S2}\naws\n");
        let got = run(&text);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(
            got.contains(&(
                "aws-access-key-pair".into(),
                Some(K1.into()),
                Some(S1.into())
            )),
            "{got:?}"
        );
        assert!(got.contains(&(
            "aws-access-key-pair".into(),
            Some(K2.into()),
            Some(S2.into())
        )));
    }

    #[test]
    fn secret_before_key_pairs() {
        let text = format!("aws_secret_access_key={S1}\n\n\naws_access_key_id={K1}\n");
        let got = run(&text);
        assert_eq!(
            got,
            vec![(
                "aws-access-key-pair".into(),
                Some(K1.into()),
                Some(S1.into())
            )]
        );
    }

    #[test]
    fn lone_key_and_lone_generic_secret() {
        assert_eq!(
            run(&format!("id: {K1}\n")),
            vec![("aws-access-key-id".into(), Some(K1.into()), None)]
        );
        // A generic name with no AWS anywhere near is not reported.
        assert!(run(&format!("client_secret = \"{S1}\"\n")).is_empty());
        assert_eq!(run(&format!("# aws\nsecret_key = \"{S1}\"\n")).len(), 1);
    }

    #[test]
    fn repeated_key_joins_the_pair() {
        let text = format!(
            "# old: {K1}\n{}\naws_access_key_id={K1}\naws_secret_access_key={S1}\n",
            "\n".repeat(60)
        );
        let got = run(&text);
        assert_eq!(got.len(), 1, "{got:?}");
    }

    #[test]
    fn examples_are_not_reported() {
        let text = "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n";
        let rules = rules();
        let cands = scan(text.as_bytes(), &rules).candidates;
        let out = pair(text.as_bytes(), cands, &rules);
        assert!(out.findings.is_empty());
        assert_eq!(out.examples, 1);
    }
}
