//! Pairing turns a blob's candidates into findings. Each secret access key is joined with one
//! key ID (and each temporary key's pair with a session token) in the same blob, within a
//! bounded window of lines. The matching keeps the order of appearance (the first key goes with
//! the first secret, so interleaved pairs pair correctly), maximises the number of pairs and,
//! among those, minimises the distances. What is left over becomes lone findings or is dropped.

use crate::finding::{AwsKey, CommitInfo, Finding, Location, LocationKind, Secret};
use crate::matcher::aws::{self, NameStrength};
use crate::matcher::text::{line_end, line_start, Positions};
use crate::matcher::{Candidate, CandidateKind};
use crate::rule;

/// A named secret pairs with a key ID at most this many lines away (`rules/aws.toml`).
fn pair_lines() -> u32 {
    rule::aws::aws().params.pair_lines
}

/// A nameless secret pairs with a key ID at most this many lines away (`rules/aws.toml`).
fn near_lines() -> u32 {
    u32::try_from(rule::aws::aws().params.near_lines).unwrap_or(u32::MAX)
}

/// Lines searched on each side of a lone generic-name secret for a sign that it is AWS's.
const CONTEXT_LINES: usize = 10;
/// Above this many key×secret combinations in one blob, pairing falls back to greedy.
const DP_LIMIT: usize = 1 << 20;

/// Where a blob came from, as reports show it.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    pub path: &'a str,
    pub commit: Option<&'a CommitInfo>,
}

/// The result of pairing one blob.
#[derive(Debug, Default)]
pub struct Paired {
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
    fn location(&self, place: Place<'_>) -> Location {
        Location {
            path: place.path.to_string(),
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
            commit: place.commit.cloned(),
        }
    }
}

/// Pairs the candidates of one blob and builds its findings.
pub fn pair(data: &[u8], candidates: Vec<Candidate>, place: Place<'_>) -> Paired {
    if candidates.is_empty() {
        return Paired::default();
    }
    let located = locate(data, candidates);
    let keys: Vec<usize> = indices(&located, CandidateKind::KeyId);
    let secrets: Vec<usize> = indices(&located, CandidateKind::Secret);
    let tokens: Vec<usize> = indices(&located, CandidateKind::Token);

    let pairs = match_pairs(&located, &keys, &secrets);
    let mut used = vec![false; located.len()];
    let mut token_used = vec![false; located.len()];
    let mut out = Paired::default();
    let mut findings = Vec::new();

    for &(k, s) in &pairs {
        mark(&mut used, k);
        mark(&mut used, s);
        let (Some(key), Some(secret)) = (located.get(k), located.get(s)) else {
            continue;
        };
        let token = if rule::aws::aws().params.is_temporary(&key.cand.value) {
            nearest_token(&located, &tokens, &token_used, key.line)
        } else {
            None
        };
        let mut locations = vec![key.location(place), secret.location(place)];
        let mut token_value = None;
        if let Some(t) = token.and_then(|t| located.get(t).map(|l| (t, l))) {
            mark(&mut token_used, t.0);
            locations.push(t.1.location(place));
            token_value = Some(Secret::new(t.1.cand.value.clone()));
        }
        if key.cand.example || secret.cand.example {
            out.examples += 1;
            continue;
        }
        findings.push(Finding::new(
            rule::aws::aws().pair,
            Some(aws_key(&key.cand.value)),
            Some(Secret::new(secret.cand.value.clone())),
            token_value,
            locations,
        ));
    }
    for &k in &keys {
        let Some(key) = unused(&located, &used, k) else {
            continue;
        };
        if key.cand.example {
            out.examples += 1;
            continue;
        }
        findings.push(Finding::new(
            rule::aws::aws().key_id,
            Some(aws_key(&key.cand.value)),
            None,
            None,
            vec![key.location(place)],
        ));
    }
    for &s in &secrets {
        let Some(secret) = unused(&located, &used, s) else {
            continue;
        };
        let reportable = match secret.cand.name {
            Some(NameStrength::Aws) => true,
            Some(NameStrength::Generic) => has_aws_context(data, &secret.cand.span),
            None => false,
        };
        if !reportable {
            continue;
        }
        if secret.cand.example {
            out.examples += 1;
            continue;
        }
        findings.push(Finding::new(
            rule::aws::aws().secret,
            None,
            Some(Secret::new(secret.cand.value.clone())),
            None,
            vec![secret.location(place)],
        ));
    }
    for &t in &tokens {
        let Some(token) = unused(&located, &token_used, t) else {
            continue;
        };
        if token.cand.example {
            out.examples += 1;
            continue;
        }
        findings.push(Finding::new(
            rule::aws::aws().token,
            None,
            None,
            Some(Secret::new(token.cand.value.clone())),
            vec![token.location(place)],
        ));
    }
    out.findings = merge_same(findings);
    out
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

fn eligible(key: &Located, secret: &Located) -> Option<u64> {
    let window = if secret.cand.name.is_some() {
        pair_lines()
    } else {
        near_lines()
    };
    let lines = key.line.abs_diff(secret.line);
    if lines > window || key.cand.example != secret.cand.example {
        return None;
    }
    let bytes = key.cand.span.start.abs_diff(secret.cand.span.start) as u64;
    Some(u64::from(lines) * 1_000_000 + bytes.min(999_999))
}

/// Order-preserving matching of keys to secrets: most pairs first, then least total distance.
fn match_pairs(located: &[Located], keys: &[usize], secrets: &[usize]) -> Vec<(usize, usize)> {
    if keys.is_empty() || secrets.is_empty() {
        return Vec::new();
    }
    let get = |i: usize| located.get(i);
    let cost = |k: usize, s: usize| match (get(k), get(s)) {
        (Some(kl), Some(sl)) => eligible(kl, sl),
        _ => None,
    };
    let (n, m) = (keys.len(), secrets.len());
    if n.saturating_mul(m) > DP_LIMIT {
        let line = |i: usize| get(i).map_or(0, |l| l.line);
        return greedy_pairs(keys, secrets, cost, line);
    }
    // best[i][j]: (pairs, -cost) using keys[i..] and secrets[j..].
    let w = m + 1;
    let mut best = vec![(0u32, 0u64); (n + 1) * w];
    let at = |i: usize, j: usize| i * w + j;
    let better = |a: (u32, u64), b: (u32, u64)| a.0 > b.0 || (a.0 == b.0 && a.1 < b.1);
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            let mut b = best.get(at(i + 1, j)).copied().unwrap_or_default();
            let skip_s = best.get(at(i, j + 1)).copied().unwrap_or_default();
            if better(skip_s, b) {
                b = skip_s;
            }
            if let (Some(&k), Some(&s)) = (keys.get(i), secrets.get(j)) {
                if let Some(c) = cost(k, s) {
                    let rest = best.get(at(i + 1, j + 1)).copied().unwrap_or_default();
                    let take = (rest.0 + 1, rest.1 + c);
                    if better(take, b) {
                        b = take;
                    }
                }
            }
            if let Some(slot) = best.get_mut(at(i, j)) {
                *slot = b;
            }
        }
    }
    let mut pairs = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n && j < m {
        let here = best.get(at(i, j)).copied().unwrap_or_default();
        if here.0 == 0 {
            break;
        }
        if let (Some(&k), Some(&s)) = (keys.get(i), secrets.get(j)) {
            if let Some(c) = cost(k, s) {
                let rest = best.get(at(i + 1, j + 1)).copied().unwrap_or_default();
                if (rest.0 + 1, rest.1 + c) == here {
                    pairs.push((k, s));
                    i += 1;
                    j += 1;
                    continue;
                }
            }
        }
        if best.get(at(i + 1, j)).copied().unwrap_or_default() == here {
            i += 1;
        } else {
            j += 1;
        }
    }
    pairs
}

/// Nearest-first pairing for blobs with too many candidates for the ordered matching. Only
/// secrets within the pairing window of a key are considered (secrets are sorted by position,
/// so by line), which keeps a file of thousands of pairs linear.
fn greedy_pairs(
    keys: &[usize],
    secrets: &[usize],
    cost: impl Fn(usize, usize) -> Option<u64>,
    line: impl Fn(usize) -> u32,
) -> Vec<(usize, usize)> {
    let mut all: Vec<(u64, usize, usize)> = Vec::new();
    for &k in keys {
        let kl = line(k);
        let from = secrets.partition_point(|&s| line(s) + pair_lines() < kl);
        for &s in secrets.get(from..).unwrap_or_default() {
            if line(s) > kl + pair_lines() {
                break;
            }
            if let Some(c) = cost(k, s) {
                all.push((c, k, s));
            }
        }
    }
    all.sort_unstable();
    let mut used_k = std::collections::HashSet::new();
    let mut used_s = std::collections::HashSet::new();
    let mut pairs = Vec::new();
    for (_, k, s) in all {
        if !used_k.contains(&k) && !used_s.contains(&s) {
            used_k.insert(k);
            used_s.insert(s);
            pairs.push((k, s));
        }
    }
    pairs.sort_unstable();
    pairs
}

fn nearest_token(located: &[Located], tokens: &[usize], used: &[bool], line: u32) -> Option<usize> {
    tokens
        .iter()
        .copied()
        .filter(|&t| !used.get(t).copied().unwrap_or(true))
        .filter_map(|t| located.get(t).map(|l| (l.line.abs_diff(line), t)))
        .filter(|&(d, _)| d <= pair_lines())
        .min()
        .map(|(_, t)| t)
}

/// Is there a sign of AWS (a word or a key ID) within a few lines of `span`, outside the value
/// itself (a random secret may well contain `s3` or `aws`)?
fn has_aws_context(data: &[u8], span: &std::ops::Range<usize>) -> bool {
    let mut start = line_start(data, span.start);
    for _ in 0..CONTEXT_LINES {
        if start == 0 {
            break;
        }
        start = line_start(data, start - 1);
    }
    let mut end = line_end(data, span.end);
    for _ in 0..CONTEXT_LINES {
        if end >= data.len() {
            break;
        }
        end = line_end(data, end + 1);
    }
    let start = start.max(span.start.saturating_sub(4096));
    let end = end.min(span.end + 4096).min(data.len());
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
        account_id: aws::account_id(id),
        key_type: aws::key_type(id),
    }
}

/// Findings of one blob with the same rule and values become one finding with all locations.
fn merge_same(mut findings: Vec<Finding>) -> Vec<Finding> {
    findings.sort_by(|a, b| a.fingerprint.cmp(&b.fingerprint));
    let mut out: Vec<Finding> = Vec::with_capacity(findings.len());
    for f in findings {
        match out.last_mut() {
            Some(last) if last.fingerprint == f.fingerprint => {
                last.locations.extend(f.locations);
                last.locations.sort();
                last.locations.dedup();
            }
            _ => out.push(f),
        }
    }
    // A key ID or secret that also stands in a pair is a location of the pair, not a finding.
    let paired: Vec<(String, String)> = out
        .iter()
        .filter(|f| f.rule.id == rule::aws::aws().pair.id)
        .map(|f| {
            (
                f.aws.as_ref().map(|a| a.key_id.clone()).unwrap_or_default(),
                f.secret
                    .as_ref()
                    .map(|s| s.expose().to_string())
                    .unwrap_or_default(),
            )
        })
        .collect();
    let mut extra: Vec<(usize, Vec<Location>)> = Vec::new();
    out.retain(|f| {
        let key = f.aws.as_ref().map(|a| a.key_id.as_str());
        let secret = f.secret.as_ref().map(Secret::expose);
        let target = match (f.rule.id, key, secret) {
            (id, Some(k), None) if id == rule::aws::aws().key_id.id => {
                paired.iter().position(|p| p.0 == k)
            }
            (id, None, Some(s)) if id == rule::aws::aws().secret.id => {
                paired.iter().position(|p| p.1 == s)
            }
            _ => None,
        };
        match target {
            Some(t) => {
                extra.push((t, f.locations.clone()));
                false
            }
            None => true,
        }
    });
    let mut pair_findings: Vec<usize> = (0..out.len())
        .filter(|&i| {
            out.get(i)
                .is_some_and(|f| f.rule.id == rule::aws::aws().pair.id)
        })
        .collect();
    pair_findings.truncate(paired.len());
    for (t, locs) in extra {
        if let Some(f) = pair_findings.get(t).and_then(|&i| out.get_mut(i)) {
            f.locations.extend(locs);
            f.locations.sort();
            f.locations.dedup();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::Matcher;

    const K1: &str = "AKIAQWERTYUIOPASDFGH";
    const K2: &str = "AKIAZXCVBNMLKJHGFDSA";
    const S1: &str = "h3Jq9Vt0Yd/5Lk2Rb8MwZx+4PnC7sGfE1aTuQ6oW";
    const S2: &str = "Zp4Xk8Wq2Lm6Nt0Rv5Ys9Bh3Cj7Df1Gk+Hl/Qm2R";

    fn run(text: &str) -> Vec<(String, Option<String>, Option<String>)> {
        let cands = Matcher::new().scan(text.as_bytes());
        let out = pair(
            text.as_bytes(),
            cands,
            Place {
                path: "f",
                commit: None,
            },
        );
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
        let cands = Matcher::new().scan(text.as_bytes());
        let out = pair(
            text.as_bytes(),
            cands,
            Place {
                path: "f",
                commit: None,
            },
        );
        assert!(out.findings.is_empty());
        assert_eq!(out.examples, 1);
    }
}
