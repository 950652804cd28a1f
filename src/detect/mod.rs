//! Detection in one blob, as steps: one search finds every AWS literal and every rule keyword
//! (`prefilter`); the AWS candidates are paired into findings (`aws`); the rules whose keywords
//! occur run their patterns (`patterns`) and their matches become findings, unless they only
//! repeat an AWS value; binary content that is a keystore with private keys becomes one finding
//! (`keystore`); findings on a line with an inline ignore comment are dropped and counted
//! (`ignore`); and the blob's origin (path, commit) is attached to what is left, which is also
//! where rules limited to some paths are applied (`attach`).

mod buckets;
pub(crate) mod checksum;
mod grams;
pub(crate) mod ignore;
pub(crate) mod keystore;
pub(crate) mod literal;
mod near;
pub(crate) mod patterns;
pub(crate) mod prefilter;
pub(crate) mod shape;
mod sieve;
mod size;

use std::ops::Range;

use crate::aws::candidates::{self, Finder};
use crate::aws::{pair, AwsRules};
use crate::extract::{Place, View};
use crate::finding::{ByteSpan, Encoding, Finding, Location, LocationKind, Secret};
use crate::location::Positions;
use crate::rule::Rule;
use crate::source::{Blob, Origin, Stats};
use patterns::{RuleMatch, RuleSet};
use prefilter::{AwsLiterals, SharedSearch};

/// What detection found in one blob.
#[derive(Debug, Default)]
pub(crate) struct Detected {
    pub findings: Vec<Finding>,
    /// Not reported: AWS documentation examples.
    pub examples: usize,
    /// Not reported: an inline ignore comment on the line.
    pub ignored_inline: usize,
}

impl Detected {
    /// Adds the counts to the scan's statistics and returns the findings.
    pub(crate) fn record(self, stats: &Stats) -> Vec<Finding> {
        Stats::add(&stats.examples, self.examples as u64);
        Stats::add(&stats.ignored_inline, self.ignored_inline as u64);
        self.findings
    }
}

/// The AWS rules and the pattern rules, built once and shared by every thread.
pub(crate) struct Detector {
    aws: AwsRules,
    finder: Finder,
    /// The AWS literals alone: for blobs searched without the rules' keywords, and for text
    /// decoded from base64.
    aws_search: AwsLiterals,
    patterns: RuleSet,
    /// The AWS literals and the rules' exact keywords in one search.
    shared: Option<SharedSearch>,
}

/// The raw results of a blob's search: AWS candidates, inline ignore markers, rule matches.
struct Searched {
    aws: candidates::Found,
    rules: Vec<RuleMatch>,
}

impl Detector {
    pub(crate) fn new(aws: AwsRules, patterns: RuleSet) -> Detector {
        let finder = Finder::new(&aws);
        let aws_search = AwsLiterals::build(finder.literals());
        let shared = SharedSearch::build(
            finder.literals(),
            patterns.exact_needles(),
            patterns.folded_needles(),
        );
        Detector {
            aws,
            finder,
            aws_search,
            patterns,
            shared,
        }
    }

    /// The AWS rules.
    pub(crate) fn aws(&self) -> &AwsRules {
        &self.aws
    }

    /// The pattern rules.
    pub(crate) fn patterns(&self) -> &RuleSet {
        &self.patterns
    }

    /// Every rule's id (without reading the built-in rules a scan has not needed).
    pub(crate) fn rule_ids(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.aws
            .rules()
            .into_iter()
            .map(|r| r.id)
            .chain(self.patterns.rules().iter().map(|r| r.id()))
            .chain(keystore::rules().map(|r| r.id))
    }

    /// Every rule, in report order: the AWS rules, then the pattern and keystore rules, by id.
    pub(crate) fn rules(&self) -> Vec<&'static Rule> {
        let mut others: Vec<&'static Rule> = self
            .patterns
            .rules()
            .iter()
            .map(|r| r.meta())
            .chain(keystore::rules())
            .collect();
        others.sort_by_key(|r| r.id);
        self.aws.rules().into_iter().chain(others).collect()
    }

    /// Finds the credentials in a blob; the findings carry its origin.
    pub(crate) fn detect(&self, blob: &Blob<'_>) -> Detected {
        let data = blob.bytes;
        let mut found = self.search(data, blob.origin.rule_path());
        self.drop_aws_inside_aws_patterns(&mut found);
        let mut out = Detected::default();
        // Binary content that is a keystore with private keys: one finding for the whole of it.
        let keystore = blob
            .view
            .filter(|v| v.map.place() == Place::Bytes)
            .and_then(|v| keystore::recognise(v.content).map(|k| keystore::finding(k, v.content)));
        if found.aws.candidates.is_empty() && found.rules.is_empty() && keystore.is_none() {
            return out;
        }
        // Step 1: AWS candidates, paired.
        if !found.aws.candidates.is_empty() {
            let paired = pair::pair(data, found.aws.candidates, &self.aws);
            out.examples = paired.examples;
            out.findings = paired.findings;
        }
        // Step 2: rule matches that do not repeat an AWS value. Offsets are resolved in one
        // pass, the markers' included.
        let rules = without_aws_values(found.rules, &out.findings);
        let rules = without_generic_repeats(rules, &self.patterns);
        let markers = found.aws.markers;
        let positions = Positions::resolve(
            data,
            rules
                .iter()
                .flat_map(|m| [m.span.start, m.span.end])
                .chain(markers.iter().copied()),
        );
        out.findings.extend(self.rule_findings(&rules, &positions));
        // Step 3: inline ignore comments.
        out.ignored_inline = ignore::apply(&mut out.findings, &markers, &positions);
        // Step 4: where the blob came from: its path and commit (the members it is in stay with
        // the findings when history places the outer blob later), and for strings read out of
        // binary content, the byte offsets in it.
        if let Some(view) = blob.view {
            place_in_content(&mut out.findings, view);
        } else {
            for l in out.findings.iter_mut().flat_map(|f| f.locations.iter_mut()) {
                l.offset = None;
            }
        }
        // Placed in the content already (by byte offset), so added after `place_in_content`.
        out.findings.extend(keystore);
        out.findings = self.attach(out.findings, &blob.origin);
        if !blob.origin.members.is_empty() || blob.origin.deleted {
            for l in out.findings.iter_mut().flat_map(|f| f.locations.iter_mut()) {
                l.members.clone_from(&blob.origin.members);
                l.deleted = blob.origin.deleted;
            }
        }
        out
    }

    /// Gives findings the path and commit of `origin`, and drops those of rules limited to
    /// other paths than its path (when it is known). Detection does this for every blob; the
    /// history scan does it again once it knows where a blob was first committed.
    pub(crate) fn attach(&self, mut findings: Vec<Finding>, origin: &Origin) -> Vec<Finding> {
        if let Some(path) = origin.rule_path() {
            findings.retain(|f| self.patterns.path_allows(f.rule.id, path));
        }
        let shown = origin.shown_path();
        let commit = origin.commit();
        let unreachable = origin.unreachable();
        for l in findings.iter_mut().flat_map(|f| f.locations.iter_mut()) {
            l.path.clone_from(&shown);
            l.commit = commit.cloned();
            l.unreachable = unreachable;
        }
        findings
    }

    /// One search of `data` for both the AWS literals and the rule keywords (or one each when
    /// they cannot share one), then the AWS candidates and the triggered rules' matches.
    fn search(&self, data: &[u8], path: Option<&str>) -> Searched {
        match &self.shared {
            Some(shared) => {
                let hits = shared.run(data);
                Searched {
                    aws: self
                        .finder
                        .candidates(data, hits.aws, &self.aws_search, &self.aws),
                    rules: self.patterns.matches_with(
                        data,
                        path,
                        Some((&hits.keywords, hits.folded, hits.positions)),
                    ),
                }
            }
            None => {
                use candidates::LiteralSearch as _;
                let hits = self.aws_search.find_all(data);
                Searched {
                    aws: self
                        .finder
                        .candidates(data, hits, &self.aws_search, &self.aws),
                    rules: self.patterns.matches_at(data, path),
                }
            }
        }
    }

    /// Drops the AWS candidates inside a match of an AWS-family pattern rule (`rules/aws.toml`'s
    /// `[[patterns]]`): a short-term Amazon Bedrock API key is a base64 presigned URL holding the
    /// key ID and session token that signed it, which the key's own finding already reports.
    fn drop_aws_inside_aws_patterns(&self, found: &mut Searched) {
        let spans: Vec<&std::ops::Range<usize>> = found
            .rules
            .iter()
            .filter(|m| {
                !m.rejected
                    && self
                        .patterns
                        .get(m.rule)
                        .is_some_and(|r| r.source() == crate::aws::FILE)
            })
            .map(|m| &m.span)
            .collect();
        if spans.is_empty() {
            return;
        }
        found.aws.candidates.retain(|c| {
            !spans
                .iter()
                .any(|s| c.span.start < s.end && s.start < c.span.end)
        });
    }

    /// A finding for each rule match.
    fn rule_findings(&self, matches: &[RuleMatch], positions: &Positions) -> Vec<Finding> {
        let mut out = Vec::with_capacity(matches.len());
        for m in matches {
            let Some(rule) = self.patterns.get(m.rule) else {
                continue;
            };
            let (line, column) = positions.at(m.span.start);
            let (end_line, end_column) = positions.at(m.span.end);
            out.push(Finding::new(
                rule.meta(),
                None,
                Some(Secret::new(m.value.clone())),
                None,
                vec![Location {
                    path: String::new(),
                    members: Vec::new(),
                    line,
                    column,
                    end_line,
                    end_column,
                    kind: LocationKind::Secret,
                    encoding: Encoding::Plain,
                    commit: None,
                    unreachable: false,
                    offset: ByteSpan::of(&m.span),
                    deleted: false,
                }],
            ));
        }
        out
    }
}

/// Places locations in the content that extraction made the scanned text from: by byte
/// offset in binary content (with the line it is on, which SARIF needs), by line and column
/// in a decoded e-mail (with the encoding the value was in).
fn place_in_content(findings: &mut [Finding], view: View<'_>) {
    let spans = |l: &Location| {
        let s = l.offset.unwrap_or(ByteSpan {
            offset: 0,
            length: 0,
        });
        let start = usize::try_from(s.offset).unwrap_or(usize::MAX);
        let end = start.saturating_add(usize::try_from(s.length).unwrap_or(0));
        let (offset, length) = view.map.span(start, end);
        let offset = usize::try_from(offset).unwrap_or(usize::MAX);
        let length = usize::try_from(length).unwrap_or(0);
        (start, end, offset, length)
    };
    let positions = match view.map.place() {
        Place::Bytes => None,
        Place::Lines => Some(Positions::resolve(
            view.content,
            findings
                .iter()
                .flat_map(|f| f.locations.iter())
                .flat_map(|l| {
                    let (_, _, offset, length) = spans(l);
                    [offset, offset.saturating_add(length)]
                }),
        )),
    };
    for l in findings.iter_mut().flat_map(|f| f.locations.iter_mut()) {
        let (start, end, offset, length) = spans(l);
        match &positions {
            None => {
                // The lines of the content, not of its strings.
                l.line = view.map.line(start);
                l.end_line = view.map.line(end.saturating_sub(1).max(start));
                l.offset = Some(ByteSpan {
                    offset: offset as u64,
                    length: length as u64,
                });
            }
            Some(p) => {
                (l.line, l.column) = p.at(offset);
                (l.end_line, l.end_column) = p.at(offset.saturating_add(length));
                l.offset = None;
                if l.encoding == Encoding::Plain {
                    if let Some(e) = view.map.encoding(start) {
                        l.encoding = e;
                    }
                }
            }
        }
    }
}

/// Checks that every location of `findings` lies inside `data`: lines and columns 1-based,
/// within the input's lines, and the end not before the start. For the fuzzer and the
/// property test.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn check_locations(data: &[u8], findings: &[Finding]) -> Result<(), String> {
    let lines: Vec<usize> = data
        .split(|&b| b == b'\n')
        .map(|l| l.iter().filter(|&&b| (b & 0xC0) != 0x80).count())
        .collect();
    let width = |line: u32| {
        usize::try_from(line)
            .ok()
            .and_then(|l| l.checked_sub(1))
            .and_then(|l| lines.get(l))
            .copied()
    };
    for l in findings.iter().flat_map(|f| f.locations.iter()) {
        let (Some(w), Some(end_w)) = (width(l.line), width(l.end_line)) else {
            return Err(format!(
                "{l:?}: line outside the input ({} lines)",
                lines.len()
            ));
        };
        let col_ok = |c: u32, w: usize| c >= 1 && usize::try_from(c).is_ok_and(|c| c <= w + 1);
        if !col_ok(l.column, w) || !col_ok(l.end_column, end_w) {
            return Err(format!("{l:?}: column outside its line"));
        }
        if (l.end_line, l.end_column) < (l.line, l.column) {
            return Err(format!("{l:?}: ends before it starts"));
        }
    }
    Ok(())
}

/// The accepted rule matches, less those of the generic rules that another rule's match
/// overlaps, accepted or rejected: `GITHUB_TOKEN=ghp_…` is a GitHub token, which its own rule
/// reports with its provider, revoke link and checksum, and a `ghp_…` whose checksum fails is
/// a made-up token, which its rule knows better than the generic one; the generic rule reports
/// only what no rule knows.
fn without_generic_repeats(matches: Vec<RuleMatch>, patterns: &RuleSet) -> Vec<RuleMatch> {
    let generic = |m: &RuleMatch| patterns.get(m.rule).is_some_and(|r| r.generic());
    if !matches.iter().any(|m| m.rejected || generic(m)) {
        return matches;
    }
    let known = Spans::new(
        matches
            .iter()
            .filter(|m| !generic(m))
            .map(|m| m.span.clone())
            .collect(),
    );
    matches
        .into_iter()
        .filter(|m| !m.rejected && (!generic(m) || !known.overlaps(&m.span)))
        .collect()
}

/// Spans that a span can be tested against for overlap in logarithmic time: a blob with
/// thousands of provider matches and as many generic ones costs their number, not its square.
struct Spans {
    /// Sorted by start.
    spans: Vec<Range<usize>>,
    /// The greatest end among `spans[..=i]`.
    reach: Vec<usize>,
}

impl Spans {
    fn new(mut spans: Vec<Range<usize>>) -> Spans {
        spans.sort_by_key(|s| s.start);
        let reach = spans
            .iter()
            .scan(0, |far, s| {
                *far = s.end.max(*far);
                Some(*far)
            })
            .collect();
        Spans { spans, reach }
    }

    /// Whether a span shares a byte with `span`.
    fn overlaps(&self, span: &Range<usize>) -> bool {
        // The spans that start before `span` ends; one of them overlaps it if the farthest
        // end among them is past its start.
        let before = self.spans.partition_point(|s| s.start < span.end);
        before
            .checked_sub(1)
            .and_then(|i| self.reach.get(i))
            .is_some_and(|&far| far > span.start)
    }
}

/// The rule matches that do not hold a reported AWS value: a URL password that is a secret
/// access key would report the same secret twice, and the AWS finding says more. The values
/// are searched together (one automaton), so a blob with thousands of both costs its matches,
/// not matches times values. A value the AWS detection found encoded (inside a base64 run, in
/// quoted-printable text) is not in a rule match's text as such: a rule match over the bytes
/// of such a location holds it encoded (an `Authorization: Basic` header or a registry `auth`
/// whose user and password are an access key pair), and is dropped too.
fn without_aws_values(matches: Vec<RuleMatch>, aws: &[Finding]) -> Vec<RuleMatch> {
    if matches.is_empty() || aws.is_empty() {
        return matches;
    }
    let encoded = Spans::new(
        aws.iter()
            .flat_map(|f| f.locations.iter())
            .filter(|l| l.encoding != Encoding::Plain)
            .filter_map(|l| l.offset)
            .filter_map(|s| {
                let start = usize::try_from(s.offset).ok()?;
                Some(start..start.saturating_add(usize::try_from(s.length).ok()?))
            })
            .collect(),
    );
    let matches: Vec<RuleMatch> = matches
        .into_iter()
        .filter(|m| !encoded.overlaps(&m.span))
        .collect();
    let values: Vec<&str> = aws
        .iter()
        .flat_map(|f| {
            [
                f.secret.as_ref().map(Secret::expose),
                f.aws.as_ref().map(|a| a.key_id.as_str()),
            ]
        })
        .flatten()
        .collect();
    if values.is_empty() || matches.is_empty() {
        return matches;
    }
    let Ok(search) = aho_corasick::AhoCorasick::new(&values) else {
        // Not expected (a few thousand short values); reporting twice is the safe side.
        return matches;
    };
    matches
        .into_iter()
        .filter(|m| {
            let decoded = m
                .value
                .replace("%2F", "/")
                .replace("%2f", "/")
                .replace("%2B", "+")
                .replace("%2b", "+");
            !search.is_match(&decoded)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_overlap_as_a_scan_of_all_of_them_says() {
        let spans = vec![10..20, 0..5, 30..31, 12..40, 50..50];
        let index = Spans::new(spans.clone());
        for start in 0..60 {
            for end in start..62 {
                let brute = spans.iter().any(|k| k.start < end && start < k.end);
                assert_eq!(index.overlaps(&(start..end)), brute, "{start}..{end}");
            }
        }
        assert!(!Spans::new(Vec::new()).overlaps(&(0..10)));
    }

    fn aws() -> AwsRules {
        AwsRules::builtin().unwrap_or_else(|e| panic!("{e}"))
    }

    fn blob(text: &str) -> Blob<'_> {
        Blob {
            bytes: text.as_bytes(),
            origin: Origin::file("f".into()),
            view: None,
        }
    }

    #[test]
    fn a_secret_in_a_url_is_reported_once() {
        let rules = RuleSet::builtin().unwrap_or_else(|e| panic!("{e}"));
        let d = Detector::new(aws(), rules);
        for secret in [
            "h3Jq9Vt0Yd/5Lk2Rb8MwZx+4PnC7sGfE1aTuQ6oW",
            "h3Jq9Vt0Yd%2F5Lk2Rb8MwZx%2B4PnC7sGfE1aTuQ6oW",
        ] {
            let text =
                format!("s3 = https://AKIAQWERTYUIOPASDFGH:{secret}@bucket.s3.amazonaws.com/key\n");
            let found = d.detect(&blob(&text)).findings;
            let ids: Vec<&str> = found.iter().map(|f| f.rule.id).collect();
            assert_eq!(ids, ["aws-access-key-pair"], "{secret}");
        }
        // The same URL with a non-AWS password is the basic-auth rule's.
        let text = "u = https://deploy:Zq8vN2kL5pR7tW3xY6bC@registry.example.net/v2\n";
        let found = d.detect(&blob(text)).findings;
        assert!(
            found.iter().all(|f| !f.rule.id.starts_with("aws-")),
            "{found:?}"
        );
    }

    #[test]
    fn a_key_pair_in_a_base64_header_is_reported_once_by_the_aws_detection() {
        let d = Detector::new(aws(), RuleSet::builtin().unwrap_or_else(|e| panic!("{e}")));
        // base64 of `AKIAQWERTYUIOPASDFGH:h3Jq9Vt0Yd/5Lk2Rb8MwZx+4PnC7sGfE1aTuQ6oW`.
        let pair =
            "QUtJQVFXRVJUWVVJT1BBU0RGR0g6aDNKcTlWdDBZZC81TGsyUmI4TXdaeCs0UG5DN3NHZkUxYVR1UTZvVw==";
        for text in [
            format!("headers = {{\"Authorization\": \"Basic {pair}\"}}\n"),
            format!("{{\"auths\": {{\"registry.internal\": {{\"auth\": \"{pair}\"}}}}}}\n"),
        ] {
            let found = d.detect(&blob(&text)).findings;
            let ids: Vec<&str> = found.iter().map(|f| f.rule.id).collect();
            assert_eq!(ids, ["aws-access-key-pair"], "{text}");
        }
        // A Basic header holding another password is the header rule's.
        let text = "Authorization: Basic ZGVwbG95Ok96ZmhiYlZpcG8xQ2dlRXVxaQ==\n";
        let ids: Vec<&str> = d
            .detect(&blob(text))
            .findings
            .iter()
            .map(|f| f.rule.id)
            .collect();
        assert_eq!(ids, ["http-basic-auth-header"]);
    }

    /// A property test of the detector: thousands of inputs mutated from realistic ones (byte
    /// flips, insertions, deletions, splices, repeated regions), each scanned without a panic
    /// and with every location inside its input.
    #[test]
    fn the_next_name_in_a_list_of_setting_names_is_no_value() {
        let d = Detector::new(aws(), RuleSet::builtin().unwrap_or_else(|e| panic!("{e}")));
        let ids = |text: &str| -> Vec<&str> {
            d.detect(&blob(text))
                .findings
                .iter()
                .map(|f| f.rule.id)
                .collect()
        };
        // A JSON list of option names: `usersOauth2BitlyAppid` after a Bitbucket secret's name.
        let list = r#"["usersOauth2BitbucketAppid","usersOauth2BitbucketSecret","usersOauth2BitlyAppid","usersOauth2BitlySecret"]"#;
        assert!(ids(list).is_empty(), "{:?}", ids(list));
        // A value that is random, or the same value written twice, is still reported.
        let secret = "hT4mK8pQ2vX6zB0nC3fJ7wL1sD5gR9yA";
        assert_eq!(
            ids(&format!("bitbucket_secret = \"{secret}\"\n")),
            ["bitbucket-oauth-consumer"]
        );
        let twice = format!("x = \"{secret}\"; bitbucket_secret = \"{secret}\"\n");
        assert_eq!(ids(&twice), ["bitbucket-oauth-consumer"]);
    }

    #[test]
    fn a_token_in_a_blob_dense_with_its_keyword_is_found() {
        // Dropbox's keyword `AAAAAAAAAA` occurs at every byte of a run of `A`s (base64 of
        // zeros): past the limit of positions kept, its rule searches the whole blob, and
        // still finds the tokens on either side of the run and after it.
        let d = Detector::new(aws(), RuleSet::builtin().unwrap_or_else(|e| panic!("{e}")));
        let first = "p4QoNSmAo03AAAAAAAAAALXklYtj3nN_XEi6AFbxupU8063U3pu5hHStz1Q4tliN";
        let second = "rxUmEs45iN2AAAAAAAAAAhEyhkRWtHNha5dM3-a-v1Isbw3NXILPU5iQhOs8mxCa";
        let run = "A".repeat(200_000);
        let text = format!("a = {first}\n{run}\nb = {second}\n{run}\n");
        let found = d.detect(&blob(&text)).findings;
        let ids: Vec<&str> = found.iter().map(|f| f.rule.id).collect();
        assert_eq!(ids, ["dropbox-long-lived-token"; 2], "{ids:?}");
    }

    #[test]
    fn mutated_inputs_never_panic_and_locate_inside_the_input() {
        let d = Detector::new(aws(), RuleSet::builtin().unwrap_or_else(|e| panic!("{e}")));
        let seeds: Vec<Vec<u8>> = vec![
            b"[default]\naws_access_key_id = AKIAQWERTYUIOPASDFGH\naws_secret_access_key = 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\n".to_vec(),
            b"{\"AccessKeyId\":\"ASIAQWERTYUIOPASDFGH\",\"SecretAccessKey\":\"h3Jq9Vt0Yd\\/5Lk2Rb8MwZx+4PnC7sGfE1aTuQ6oW\",\"SessionToken\":\"FwoGZXIvYXdzEJr//////////wEaDOs4x8Q2w7u9n3v5ZyKGAcE7x6Lq0Zp1v3Y8k2b9n4m6c1x0z7a5s3d2f8g9h0j4k6l1q3w5e7r9t2y4u6i8o0p\"}".to_vec(),
            "s3://AKIAQWERTYUIOPASDFGH:h3Jq9Vt0Yd%2F5Lk2Rb8MwZx%2B4PnC7sGfE1aTuQ6oW@bucket é ü\r\n".as_bytes().to_vec(),
            b"token = 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 # keyhound:allow\npostgres://u:Zq8vN2kL5pR7tW3@db.example.net/x\n-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END RSA PRIVATE KEY-----\n".to_vec(),
            b"data:\n  credentials: W2RlZmF1bHRdCmF3c19hY2Nlc3Nfa2V5X2lkPUFLSUFRV0VSVFlVSU9QQVNERkdICg==\n".to_vec(),
        ];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut rnd = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            usize::try_from(state % (n.max(1) as u64)).unwrap_or(0)
        };
        for round in 0..3000 {
            let mut data = seeds.get(rnd(seeds.len())).cloned().unwrap_or_default();
            for _ in 0..=rnd(8) {
                let at = rnd(data.len() + 1);
                match rnd(6) {
                    0 => {
                        if let Some(b) = data.get_mut(at) {
                            *b ^= 1 << rnd(8);
                        }
                    }
                    1 => {
                        let b = b"\n=\"':/+%\0\x80\xff".get(rnd(11)).copied().unwrap_or(0);
                        data.insert(at.min(data.len()), b);
                    }
                    2 => {
                        let end = (at + rnd(16)).min(data.len());
                        data.drain(at.min(end)..end);
                    }
                    3 => {
                        let other = seeds.get(rnd(seeds.len())).cloned().unwrap_or_default();
                        let from = rnd(other.len());
                        let piece = other.get(from..(from + rnd(64)).min(other.len()));
                        let tail = data.split_off(at.min(data.len()));
                        data.extend_from_slice(piece.unwrap_or_default());
                        data.extend(tail);
                    }
                    4 => {
                        let end = (at + rnd(32)).min(data.len());
                        let piece = data.get(at.min(end)..end).unwrap_or_default().to_vec();
                        for _ in 0..rnd(50) {
                            data.extend_from_slice(&piece);
                        }
                    }
                    _ => data.truncate(at),
                }
            }
            let found = d.detect(&Blob {
                bytes: &data,
                origin: Origin::file("f".into()),
                view: None,
            });
            if let Err(e) = check_locations(&data, &found.findings) {
                panic!(
                    "round {round}: {e}\ninput: {:?}",
                    String::from_utf8_lossy(&data)
                );
            }
        }
    }

    /// Rule keywords that coincide with, or begin with, the AWS literals: the search that
    /// serves both must still give AWS detection every literal it would find alone.
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
        let with = Detector::new(aws(), rules);
        assert!(with.shared.is_some());
        let alone = Detector::new(aws(), RuleSet::empty());
        // The secret is too far from the key ID to be found without its name.
        let text = "aws_access_key_id = AKIAQWERTYUIOPASDFGH\n\n\n\n\n\n\n\n\
                    aws_secret_access_key_ = 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\n\
                    token: secret_access_key_x12345678\n";
        let aws = |d: &Detector| -> Vec<String> {
            d.detect(&blob(text))
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
            .detect(&blob(text))
            .findings
            .iter()
            .map(|f| f.rule.id)
            .collect();
        assert!(ids.contains(&"demo-secret-access"), "{ids:?}");
    }
}
