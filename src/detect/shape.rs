//! What a rule's pattern proves about where its matches can be, worked out from its syntax
//! alone: whether every match holds one of its keywords as written (`hir_contains_any`; see
//! `literal`), how long a match can be, and what every match holds besides (a run of
//! secret-shaped bytes, literal bytes, one of a few words in any case: see `near::Needs`).
//!
//! This file uses nothing of keyhound but `regex_syntax`, so that `build.rs` includes it too:
//! the built-in rules' shapes are worked out when keyhound is built (`builtin_shapes.rs`), and a
//! scan whose text names hundreds of providers does not parse hundreds of patterns to learn
//! where to look. Rule files are analysed by the same code while they load.

use regex_syntax::hir::{Class, Hir, HirKind};

/// What `of` works out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Computed {
    /// When every match holds one of the keywords as written and is at most this many bytes
    /// long (see `near`).
    pub(crate) span: Option<usize>,
    /// With `span`: at most how many bytes a match can start before the first keyword (as
    /// written) that it holds (`lead`), so that the stretch around a hit can start that close
    /// to it rather than a whole span before.
    pub(crate) lead: Option<usize>,
    /// The bytes of a run that every match holds, and its least length (`required_run`).
    pub(crate) run: Option<([bool; 256], usize)>,
    /// Literal bytes that every match holds, other than a keyword's (`required_literals`).
    pub(crate) literals: Vec<Vec<u8>>,
    /// Sets of strings, lower-case, of which every match holds one, ignoring ASCII case
    /// (`required_sets`).
    pub(crate) sets: Vec<Vec<Vec<u8>>>,
}

/// The shape of `pattern` with `keywords` and the rule's `[rules.near]` context (its pattern
/// and distance) if it has one; `None` when the pattern does not parse. (For `build.rs` and
/// the tests; a scan parses each pattern once for all it needs.)
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn of(
    pattern: &str,
    keywords: &[String],
    near: Option<(&str, usize)>,
) -> Option<Computed> {
    let hir = parse(pattern)?;
    let c = of_hir(&hir, keywords);
    Some(match near {
        Some((context, within)) => with_near(c, &hir, context, within, keywords),
        None => c,
    })
}

/// A hash of what a shape is worked out from, so that a shape worked out when keyhound was
/// built is used only for the very rule it was worked out for (FNV-1a, 64 bits).
pub(crate) fn fingerprint(pattern: &str, keywords: &[String], near: Option<(&str, usize)>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let within = near.map(|(_, w)| w.to_string());
    let parts = std::iter::once(pattern)
        .chain(keywords.iter().map(String::as_str))
        .chain(near.map(|(p, _)| p))
        .chain(within.as_deref());
    for part in parts {
        for &b in part.as_bytes().iter().chain(std::iter::once(&0xFF)) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The shape of a rule with `[rules.near]` context (`context` within `within` bytes of a match,
/// on either side) whose pattern holds no keyword but whose context always does (the product
/// named near a token, as `jira|Jira|JIRA`): a finding's match then lies near a keyword hit
/// too. Its context starts at most `within` bytes from the match and holds a hit within its
/// longest length (`c`), so a match of at most `m` bytes starts at most `c + within + m`
/// bytes before a hit (`lead`) and ends at most `within + m` bytes after it (`span`). The
/// shape is unchanged when the pattern has a span of its own, or when either length is
/// unbounded or the context does not parse.
pub(crate) fn with_near(
    mut shape: Computed,
    main: &Hir,
    context: &str,
    within: usize,
    keywords: &[String],
) -> Computed {
    if shape.span.is_some() {
        return shape;
    }
    let Some(context) = parse_near(context) else {
        return shape;
    };
    let needles: Vec<&[u8]> = keywords.iter().map(|k| k.as_bytes()).collect();
    if !hir_contains_any(&context, &needles) {
        return shape;
    }
    let reach = (|| {
        let m = main.properties().maximum_len()?;
        let c = context.properties().maximum_len()?;
        let span = within.checked_add(m)?;
        Some((span, span.checked_add(c)?))
    })();
    if let Some((span, lead)) = reach {
        shape.span = Some(span);
        shape.lead = Some(lead);
    }
    shape
}

/// A `[rules.near]` pattern parsed as it is compiled (`regex::bytes::Regex::new`: Unicode
/// mode, so that `(?i)k` also matches the Kelvin sign, which holds no `k`).
fn parse_near(pattern: &str) -> Option<Hir> {
    regex_syntax::ParserBuilder::new()
        .utf8(false)
        .unicode(true)
        .build()
        .parse(pattern)
        .ok()
}

/// `of`, with the pattern already parsed.
pub(crate) fn of_hir(hir: &Hir, keywords: &[String]) -> Computed {
    let needles: Vec<&[u8]> = keywords.iter().map(|k| k.as_bytes()).collect();
    let span = hir_contains_any(hir, &needles)
        .then(|| hir.properties().maximum_len())
        .flatten();
    Computed {
        span,
        lead: span.and_then(|_| lead(hir, &needles)),
        run: required_run(hir),
        literals: required_literals(hir, keywords),
        sets: required_sets(hir, keywords),
    }
}

/// A pattern parsed as the rule runs it: in ASCII mode where the pattern allows it, else in
/// Unicode mode (see `CompiledRule::regex`); `None` when it does not parse.
pub(crate) fn parse(pattern: &str) -> Option<Hir> {
    let parse = |unicode: bool| {
        regex_syntax::ParserBuilder::new()
            .utf8(false)
            .unicode(unicode)
            .build()
            .parse(pattern)
            .ok()
    };
    parse(false).or_else(|| parse(true))
}

/// `always_contains_any` for a parsed pattern. Literal bytes are the same whether the pattern
/// was parsed in Unicode or ASCII mode, and only literals prove anything here, so either parse
/// will do.
pub(crate) fn hir_contains_any(hir: &Hir, needles: &[&[u8]]) -> bool {
    if needles.is_empty() {
        return false;
    }
    needles.iter().any(|n| n.is_empty()) || must_contain(hir, needles)
}

fn must_contain(hir: &Hir, needle: &[&[u8]]) -> bool {
    if let Some(set) = strings(hir) {
        return all_contain(&set, needle);
    }
    match hir.kind() {
        HirKind::Capture(c) => must_contain(&c.sub, needle),
        HirKind::Repetition(r) => r.min >= 1 && must_contain(&r.sub, needle),
        HirKind::Alternation(alts) => alts.iter().all(|a| must_contain(a, needle)),
        HirKind::Concat(parts) => {
            // Adjacent parts that each match one of a few fixed strings form runs of known
            // bytes (every combination of them); zero-width assertions (`\b`, `^`) between
            // them keep the runs together. The parser factors `abc|abd` into `ab(?:c|d)`, so
            // a keyword can be split across parts.
            let mut runs: Vec<Vec<u8>> = vec![Vec::new()];
            for part in parts {
                if matches!(part.kind(), HirKind::Look(_)) {
                    continue;
                }
                if let Some(set) = strings(part) {
                    if let Some(joined) = join(&runs, &set) {
                        runs = joined;
                        continue;
                    }
                }
                if all_contain(&runs, needle) || must_contain(part, needle) {
                    return true;
                }
                runs = match strings(part) {
                    // Too many combinations: start again from this part's strings.
                    Some(set) => set,
                    None => vec![Vec::new()],
                };
            }
            all_contain(&runs, needle)
        }
        _ => false,
    }
}

/// At most this many strings are tracked for one part of a pattern.
const MAX_STRINGS: usize = 256;

/// A repetition is taken as its strings when it has at most this many counts beyond its
/// least (`(?:api_)?` has one).
const MAX_COUNTS: u32 = 4;

/// Every string of `left` followed by every string of `right`, unless there are too many.
fn join(left: &[Vec<u8>], right: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
    if left.len().checked_mul(right.len())? > MAX_STRINGS {
        return None;
    }
    Some(
        left.iter()
            .flat_map(|l| {
                right.iter().map(move |r| {
                    let mut s = l.clone();
                    s.extend_from_slice(r);
                    s
                })
            })
            .collect(),
    )
}

fn all_contain(hays: &[Vec<u8>], needles: &[&[u8]]) -> bool {
    !hays.is_empty() && hays.iter().all(|h| contains(h, needles))
}

/// The few strings `hir` matches, if it matches a finite set of at most `MAX_STRINGS`
/// strings, each at most 1 KiB (`(?:polygon|Polygon)`, `[Pp]assword`, `x{3}`).
fn strings(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    strings_as(hir, false)
}

/// `strings`, each with its ASCII letters in lower case when `fold` (`[Kk]` is one string).
fn strings_as(hir: &Hir, fold: bool) -> Option<Vec<Vec<u8>>> {
    let strings = |hir| strings_as(hir, fold);
    match hir.kind() {
        HirKind::Empty => Some(vec![Vec::new()]),
        HirKind::Literal(l) if fold => Some(vec![l.0.to_ascii_lowercase()]),
        HirKind::Literal(l) => Some(vec![l.0.to_vec()]),
        HirKind::Class(Class::Bytes(c)) if fold => {
            let mut set: Vec<Vec<u8>> = c
                .ranges()
                .iter()
                .flat_map(|r| (r.start()..=r.end()).map(|b| vec![b.to_ascii_lowercase()]))
                .take(64)
                .collect();
            set.sort_unstable();
            set.dedup();
            (set.len() <= 16).then_some(set)
        }
        HirKind::Class(Class::Bytes(c)) => {
            let count: usize = c
                .ranges()
                .iter()
                .map(|r| usize::from(r.end() - r.start()) + 1)
                .sum();
            (count <= 16).then(|| {
                c.ranges()
                    .iter()
                    .flat_map(|r| (r.start()..=r.end()).map(|b| vec![b]))
                    .collect()
            })
        }
        HirKind::Class(Class::Unicode(c)) => {
            let count: usize = c
                .ranges()
                .iter()
                .map(|r| (r.end() as usize).saturating_sub(r.start() as usize) + 1)
                .sum();
            (count <= 16).then(|| {
                let mut set: Vec<Vec<u8>> = c
                    .ranges()
                    .iter()
                    .flat_map(|r| r.start()..=r.end())
                    .map(|ch| {
                        let mut buf = [0u8; 4];
                        let s = ch.encode_utf8(&mut buf).as_bytes();
                        if fold {
                            s.to_ascii_lowercase()
                        } else {
                            s.to_vec()
                        }
                    })
                    .collect();
                if fold {
                    set.sort_unstable();
                    set.dedup();
                }
                set
            })
        }
        HirKind::Capture(c) => strings(&c.sub),
        // `x{3}`, and a repetition with a few counts, such as an optional part
        // (`pd_(?:api_)?key`): the strings of each count.
        HirKind::Repetition(r) if r.max.is_some_and(|max| max - r.min <= MAX_COUNTS) => {
            let one = strings(&r.sub)?;
            let min = usize::try_from(r.min).ok().filter(|&n| n <= 1024)?;
            let max = usize::try_from(r.max?).ok()?;
            let mut times = vec![Vec::new()];
            for _ in 0..min {
                times = join(&times, &one)?;
                if times.iter().any(|s| s.len() > 1024) {
                    return None;
                }
            }
            let mut out = times.clone();
            for _ in min..max {
                times = join(&times, &one)?;
                if times.iter().any(|s| s.len() > 1024) {
                    return None;
                }
                out.extend(times.iter().cloned());
                if out.len() > MAX_STRINGS {
                    return None;
                }
            }
            out.sort_unstable();
            out.dedup();
            Some(out)
        }
        HirKind::Alternation(alts) => {
            let mut out = Vec::new();
            for a in alts {
                out.extend(strings(a)?);
                if out.len() > MAX_STRINGS {
                    return None;
                }
            }
            Some(out)
        }
        HirKind::Concat(parts) => {
            let mut out = vec![Vec::new()];
            for p in parts {
                if matches!(p.kind(), HirKind::Look(_)) {
                    // A zero-width assertion matches no bytes; the strings are still fixed.
                    continue;
                }
                out = join(&out, &strings(p)?)?;
            }
            Some(out)
        }
        HirKind::Look(_) => Some(vec![Vec::new()]),
        _ => None,
    }
}

fn contains(hay: &[u8], needles: &[&[u8]]) -> bool {
    needles
        .iter()
        .any(|n| n.is_empty() || hay.windows(n.len()).any(|w| w == *n))
}

/// At most how many bytes before the first occurrence of one of `needles` that every match of
/// `hir` holds the match can start: 1 for a provider's name after `\b`, `_` or a lowercase
/// letter (`(?:\b|_)(?:name|Name)|[a-z0-9]Name`), 0 for `\bhttps?://…`. `None` when that is
/// beyond this analysis (a keyword split across parts, or after an unbounded part). A match
/// that holds a keyword at offset `k` holds its first one at `k` or before, so the bound of the
/// first part that always holds one, plus the longest the parts before it can be, will do.
fn lead(hir: &Hir, needles: &[&[u8]]) -> Option<usize> {
    if let Some(set) = strings(hir) {
        return worst(set.iter().map(|s| first_at(s, needles)));
    }
    match hir.kind() {
        HirKind::Capture(c) => lead(&c.sub, needles),
        // A match of the repetition starts with one of its part.
        HirKind::Repetition(r) if r.min >= 1 => lead(&r.sub, needles),
        HirKind::Alternation(alts) => worst(alts.iter().map(|a| lead(a, needles))),
        HirKind::Concat(parts) => {
            let mut before = 0usize;
            for part in parts {
                if let Some(l) = lead(part, needles) {
                    return before.checked_add(l);
                }
                before = before.checked_add(part.properties().maximum_len()?)?;
            }
            None
        }
        _ => None,
    }
}

/// The largest of `leads`, if each is known.
fn worst(mut leads: impl Iterator<Item = Option<usize>>) -> Option<usize> {
    leads.try_fold(0usize, |most, l| l.map(|l| most.max(l)))
}

/// Where the first of `needles` starts in `hay`.
fn first_at(hay: &[u8], needles: &[&[u8]]) -> Option<usize> {
    needles
        .iter()
        .filter(|n| !n.is_empty())
        .filter_map(|n| hay.windows(n.len()).position(|w| w == *n))
        .min()
}

/// Runs shorter than this are not worth looking for (most stretches would hold one).
const MIN_RUN: usize = 8;

/// The longest run that the pattern's required parts prove (a class repeated at least `len`
/// times: the 36 `[A-Za-z0-9]` of `ghp_[A-Za-z0-9]{36}`), as (the bytes of the class, `len`),
/// if it is of `MIN_RUN` bytes or more. Parts that may be skipped (`?`, `*`, one side of `|`)
/// prove nothing.
pub(crate) fn required_run(hir: &Hir) -> Option<([bool; 256], usize)> {
    required(hir).filter(|r| r.1 >= MIN_RUN)
}

/// At most this many literals are looked for (the longest ones).
const MAX_LITERALS: usize = 3;

/// The literal bytes of the parts that every match of `hir` goes through, other than those
/// inside a keyword: the longest `MAX_LITERALS`, none inside another (`:` of `://` is found
/// with it).
pub(crate) fn required_literals(hir: &Hir, keywords: &[String]) -> Vec<Vec<u8>> {
    let mut found = Vec::new();
    literals(hir, &mut found);
    found.retain(|l| {
        !keywords
            .iter()
            .any(|k| contains(k.as_bytes(), &[l.as_slice()]))
    });
    found.sort_unstable_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    found.dedup();
    let mut kept: Vec<Vec<u8>> = Vec::new();
    for l in found {
        if !kept.iter().any(|k| contains(k, &[l.as_slice()])) {
            kept.push(l);
        }
    }
    kept.truncate(MAX_LITERALS);
    kept
}

/// A set is tracked while it has at most this many strings.
const MAX_SET: usize = 16;

/// Strings shorter than this prove too little to look for.
const MIN_SET_STRING: usize = 3;

/// At most this many sets are looked for (the most telling: the longest shortest string).
const MAX_SETS: usize = 3;

/// Sets of strings (lower-case) of which every match of `hir` holds one, ignoring ASCII case:
/// the name after a provider's (`secret` after `github`, in any case), the words a context
/// rule wants in a setting's name (`key`, `token`, `secret`…), the other half of a name whose
/// keyword is one word of it (`easy` of `easyinsight`). Parts that may be skipped prove
/// nothing, nor do sets that every keyword holds one of (a hit holds it already); adjacent
/// parts are joined (`[Ee][Aa][Ss][Yy]` is `easy`) while they spell at most `MAX_SET`
/// strings. A string that holds another of its set is dropped (the shorter one is found in
/// it).
pub(crate) fn required_sets(hir: &Hir, keywords: &[String]) -> Vec<Vec<Vec<u8>>> {
    let mut found = Vec::new();
    sets(hir, &mut found);
    let keywords: Vec<Vec<u8>> = keywords
        .iter()
        .map(|k| k.as_bytes().to_ascii_lowercase())
        .collect();
    found.retain(|set| {
        let needles: Vec<&[u8]> = set.iter().map(Vec::as_slice).collect();
        keywords.is_empty() || !keywords.iter().all(|k| contains(k, &needles))
    });
    let shortest = |set: &Vec<Vec<u8>>| set.iter().map(Vec::len).min().unwrap_or(0);
    found.sort_by(|a, b| shortest(b).cmp(&shortest(a)).then_with(|| a.cmp(b)));
    found.dedup();
    found.truncate(MAX_SETS);
    found
}

/// Adds to `out` the sets of `hir` (see `required_sets`).
fn sets(hir: &Hir, out: &mut Vec<Vec<Vec<u8>>>) {
    match hir.kind() {
        HirKind::Capture(c) => sets(&c.sub, out),
        HirKind::Repetition(r) if r.min >= 1 => sets(&r.sub, out),
        HirKind::Concat(parts) => {
            let mut run: Vec<Vec<u8>> = vec![Vec::new()];
            for part in parts {
                if matches!(part.kind(), HirKind::Look(_)) {
                    // Zero-width: the bytes on either side are still adjacent.
                    continue;
                }
                match strings_as(part, true) {
                    Some(set) => match join(&run, &set).filter(|j| j.len() <= MAX_SET) {
                        Some(joined) => run = joined,
                        None => {
                            keep_set(run, out);
                            run = set;
                        }
                    },
                    None => {
                        keep_set(std::mem::replace(&mut run, vec![Vec::new()]), out);
                        sets(part, out);
                    }
                }
            }
            keep_set(run, out);
        }
        HirKind::Alternation(alts) => {
            // One string of the best set of each alternative.
            let mut union = Vec::new();
            for a in alts {
                let mut of_a = Vec::new();
                sets(a, &mut of_a);
                let shortest = |set: &Vec<Vec<u8>>| set.iter().map(Vec::len).min().unwrap_or(0);
                let Some(best) = of_a.into_iter().max_by_key(shortest) else {
                    return;
                };
                union.extend(best);
            }
            keep_set(union, out);
        }
        _ => {
            if let Some(set) = strings_as(hir, true) {
                keep_set(set, out);
            }
        }
    }
}

/// Adds `set` to `out` without its strings that hold another, if what is left has at most
/// `MAX_SET` strings, none shorter than `MIN_SET_STRING`.
fn keep_set(mut set: Vec<Vec<u8>>, out: &mut Vec<Vec<Vec<u8>>>) {
    set.sort_unstable_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    set.dedup();
    let mut kept: Vec<Vec<u8>> = Vec::new();
    for s in set {
        if !kept.iter().any(|k| contains(&s, &[k.as_slice()])) {
            kept.push(s);
        }
    }
    if !kept.is_empty() && kept.len() <= MAX_SET && kept.iter().all(|s| s.len() >= MIN_SET_STRING) {
        out.push(kept);
    }
}

/// The literal bytes of the parts of `hir` that every match goes through.
fn literals(hir: &Hir, out: &mut Vec<Vec<u8>>) {
    match hir.kind() {
        HirKind::Literal(l) => out.push(l.0.to_vec()),
        HirKind::Capture(c) => literals(&c.sub, out),
        HirKind::Concat(parts) => parts.iter().for_each(|p| literals(p, out)),
        HirKind::Repetition(r) if r.min >= 1 => literals(&r.sub, out),
        _ => {}
    }
}

/// The bytes of either.
fn union(a: &[bool; 256], b: &[bool; 256]) -> [bool; 256] {
    let mut out = *a;
    for (o, x) in out.iter_mut().zip(b) {
        *o |= x;
    }
    out
}

/// `required_run` without the floor.
fn required(hir: &Hir) -> Option<([bool; 256], usize)> {
    match hir.kind() {
        HirKind::Capture(c) => required(&c.sub),
        HirKind::Concat(parts) => parts
            .iter()
            .filter_map(required)
            .chain(joined_runs(parts))
            .max_by_key(|r| r.1),
        HirKind::Repetition(r) if r.min >= 1 => match class_of(&r.sub) {
            Some(class) => Some((class, usize::try_from(r.min).unwrap_or(usize::MAX))),
            None => required(&r.sub),
        },
        HirKind::Class(_) => class_of(hir).map(|class| (class, 1)),
        // Each alternative holds a run: every match holds one of all their bytes, as long as
        // the shortest (`[5][HJK][1-9A-HJ-NP-Za-km-z]{49}|[KL][1-9A-HJ-NP-Za-km-z]{51}`).
        HirKind::Alternation(alts) => {
            let mut class = [false; 256];
            let mut len = usize::MAX;
            for a in alts {
                let (c, l) = required(a)?;
                class = union(&class, &c);
                len = len.min(l);
            }
            (len != usize::MAX).then_some((class, len))
        }
        _ => None,
    }
}

/// The runs that adjacent parts of a concatenation make together, each part all of one class
/// (a class, a class repeated at least once, literal bytes): for each such part, it and the
/// parts on either side of it whose bytes lie within its class (`[0-9]`, `Q~` and
/// `[A-Za-z0-9_~.-]{31,34}` are a run of 34 bytes of the last class).
fn joined_runs(parts: &[Hir]) -> Vec<([bool; 256], usize)> {
    const MAX_JOINED: usize = 64;
    // Zero-width parts are left out: the bytes on either side of them are adjacent.
    let classes: Vec<Option<([bool; 256], usize)>> = parts
        .iter()
        .filter(|p| !matches!(p.kind(), HirKind::Look(_)))
        .map(one_class)
        .collect();
    // Each part's class, with the parts on either side of it that lie within it.
    let mut runs = Vec::new();
    for (i, part) in classes.iter().enumerate() {
        let Some((class, _)) = part else { continue };
        let within = |p: &Option<([bool; 256], usize)>| {
            p.as_ref()
                .filter(|(c, _)| subset(c, class))
                .map(|(_, len)| *len)
        };
        // (At most `MAX_JOINED` parts on either side: a pattern of thousands of parts of one
        // class would otherwise cost the square of their number.)
        let before = classes
            .get(..i)
            .unwrap_or_default()
            .iter()
            .rev()
            .take(MAX_JOINED);
        let after = classes
            .get(i..)
            .unwrap_or_default()
            .iter()
            .take(MAX_JOINED + 1);
        let len = before
            .map_while(within)
            .chain(after.map_while(within))
            .fold(0usize, usize::saturating_add);
        runs.push((*class, len));
    }
    runs
}

/// The class of every byte of a match of `hir` and the least length of one, where all of its
/// bytes are of one class.
fn one_class(hir: &Hir) -> Option<([bool; 256], usize)> {
    match hir.kind() {
        HirKind::Capture(c) => one_class(&c.sub),
        HirKind::Class(_) => class_of(hir).map(|class| (class, 1)),
        HirKind::Repetition(r) if r.min >= 1 => {
            let (class, len) = one_class(&r.sub)?;
            let times = usize::try_from(r.min).unwrap_or(usize::MAX);
            Some((class, len.saturating_mul(times)))
        }
        HirKind::Literal(l) if !l.0.is_empty() => {
            let mut class = [false; 256];
            for &b in l.0.iter() {
                *class.get_mut(usize::from(b))? = true;
            }
            Some((class, l.0.len()))
        }
        _ => None,
    }
}

/// Whether every byte of `a` is in `b`.
fn subset(a: &[bool; 256], b: &[bool; 256]) -> bool {
    a.iter().zip(b).all(|(&x, &y)| !x || y)
}

/// The bytes a class matches, for a byte class or a Unicode class of ASCII characters only
/// (a wider one matches sequences of several bytes: no single-byte class holds them).
fn class_of(hir: &Hir) -> Option<[bool; 256]> {
    let mut class = [false; 256];
    let mut set = |from: u32, to: u32| {
        for b in from..=to {
            if let Some(x) = usize::try_from(b).ok().and_then(|b| class.get_mut(b)) {
                *x = true;
            }
        }
    };
    match hir.kind() {
        HirKind::Class(Class::Bytes(c)) => c
            .ranges()
            .iter()
            .for_each(|r| set(r.start().into(), r.end().into())),
        HirKind::Class(Class::Unicode(c)) => {
            if c.ranges().iter().any(|r| u32::from(r.end()) > 0x7F) {
                return None;
            }
            c.ranges()
                .iter()
                .for_each(|r| set(r.start().into(), r.end().into()));
        }
        _ => return None,
    }
    Some(class)
}

#[cfg(test)]
mod tests {
    use super::{of, Computed};

    fn sets_of(pattern: &str, keywords: &[&str]) -> Vec<Vec<String>> {
        shape_of(pattern, keywords, None)
            .sets
            .iter()
            .map(|set| {
                set.iter()
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn sets_are_what_every_match_holds_one_of_in_any_case() {
        let names = ["github", "GitHub", "GITHUB"];
        // The name that follows a provider's, after optional parts, in any case; the
        // provider's own name is what a hit holds already.
        let github = r"(?:github|GitHub|GITHUB)(?i:(?:[_.-]?(?:oauth|app))?[_.-]?(?:client[_.-]?)?secret)[ =:]{1,4}([a-f0-9]{40})";
        assert_eq!(sets_of(github, &names), [["secret"]]);
        // The words a context rule wants, each once (`password` holds `pass`); the other half
        // of a name whose keyword is one of its words, spelt out of case-folded classes.
        let easy = r"(?:\b|_)(?i:easy[_.-]?(?-i:insight|Insight))[A-Za-z0-9_. -]{0,24}?(?i:key|token|pass(?:word|wd)?)[ =:]{1,4}([a-z0-9]{20})";
        assert_eq!(
            sets_of(easy, &["insight", "Insight"]),
            [
                vec![
                    "easyinsight",
                    "easy-insight",
                    "easy.insight",
                    "easy_insight"
                ],
                vec!["key", "pass", "token"]
            ]
        );
        // Alternatives with sets of their own: a string of the best set of each.
        assert_eq!(
            sets_of(r"(?:(?i)alpha|beta[a-z]{2}gammas)=([0-9]{8})", &["="]),
            [["alpha", "gammas"]]
        );
        // Parts that may be skipped, an alternative with no set, and strings too short to
        // look for prove nothing.
        assert!(sets_of(r"tok_(?:secret)?[0-9]{8}", &["tok_"]).is_empty());
        assert!(sets_of(r"tok_(?:secret|[0-9]{4})[0-9]{8}", &["tok_"]).is_empty());
        assert!(sets_of(r"tok_[0-9]{2}(?i:id|pk)[0-9]{8}", &["tok_"]).is_empty());
        // A set that only some keywords hold is kept.
        assert_eq!(
            sets_of(r"(?:acme|ACME)(?:_key)[0-9]{8}", &["acme", "acme_key"]),
            [["acme_key"]]
        );
    }

    fn shape_of(pattern: &str, keywords: &[&str], near: Option<(&str, usize)>) -> Computed {
        let keywords: Vec<String> = keywords.iter().map(|k| k.to_string()).collect();
        of(pattern, &keywords, near).unwrap_or_else(|| panic!("{pattern} does not parse"))
    }

    fn lead_of(pattern: &str, keywords: &[&str]) -> Option<usize> {
        shape_of(pattern, keywords, None).lead
    }

    fn span_of(pattern: &str, keywords: &[&str]) -> Option<usize> {
        shape_of(pattern, keywords, None).span
    }

    #[test]
    fn a_part_with_a_few_counts_is_taken_as_its_strings() {
        // Optional parts of a keyword: every spelling is a keyword, so every match holds one.
        let pd = r"\b(?:pd_(?:api_)?(?:key|token))[ =]{1,3}([a-z0-9]{20})";
        let all = ["pd_key", "pd_api_key", "pd_token", "pd_api_token"];
        assert_eq!(span_of(pd, &all), Some(35));
        // (Its lead is not bounded: the parser spreads the keyword over parts of the pattern.)
        assert_eq!(lead_of(pd, &all), None);
        // One spelling that is not a keyword: a match may hold none.
        assert_eq!(span_of(pd, &all[..3]), None);
        // Counts from two to three, and more counts than are worth listing (the keyword after
        // them still holds).
        assert_eq!(span_of(r"(?:ab){2,3}key[0-9]{4}", &["abab", "x"]), Some(13));
        assert_eq!(span_of(r"(?:ab){0,9}key[0-9]{4}", &["key"]), Some(25));
        assert_eq!(span_of(r"(?:ab){0,9}key[0-9]{4}", &["abkey"]), None);
    }

    #[test]
    fn near_context_that_holds_a_keyword_bounds_where_a_match_lies() {
        let main = r"(?:^|[^A-Za-z0-9])([MNO][A-Za-z0-9]{43})(?:[^A-Za-z0-9]|$)";
        let names = ["jira", "Jira"];
        // A match of at most 46 bytes, a context of at most 4 that starts within 200 bytes of
        // it: the match ends at most 246 bytes after a hit and starts at most 250 before it.
        let s = shape_of(main, &names, Some(("jira|Jira", 200)));
        assert_eq!((s.span, s.lead), (Some(246), Some(250)));
        // No bound: a context that may hold no keyword (in Unicode mode, `(?i)k` is also the
        // Kelvin sign), an unbounded context, an unbounded match.
        for context in ["(?i)jira", "jira|Jira|JIRA", "jira[a-z]*"] {
            let s = shape_of(main, &names, Some((context, 200)));
            assert_eq!((s.span, s.lead), (None, None), "{context}");
        }
        let s = shape_of("([MNO][A-Za-z0-9]{43,})", &names, Some(("jira", 200)));
        assert_eq!(s.span, None);
        // A pattern that holds a keyword keeps its own shape.
        let own = shape_of(r"jira_token=([a-z]{8})", &names, None);
        assert_eq!(
            shape_of(r"jira_token=([a-z]{8})", &names, Some(("Jira", 9))),
            own
        );
        assert_eq!(own.span, Some(19));
    }

    #[test]
    fn lead_bounds_how_far_before_its_first_keyword_a_match_starts() {
        // A provider's name after `\b`, `_` or a letter: the match starts at most one byte
        // before the name.
        let name = r"(?:(?:\b|_)(?:acme|Acme|ACME)|[a-z0-9](?:Acme|ACME))[\w.\-]{0,40}?(?i:key)[ =:]{1,4}([a-z0-9]{32})";
        assert_eq!(lead_of(name, &["acme", "Acme", "ACME"]), Some(1));
        assert_eq!(
            lead_of(r"\bhttps?://[a-z]{1,9}:([^@]{3,9})@[a-z.]{1,40}", &["http"]),
            Some(0)
        );
        // Bounded parts before the keyword count whole; the earliest keyword will do.
        assert_eq!(
            lead_of(r"[a-z]{0,10}(?:tok_|xtok_)[0-9]{8}", &["tok_"]),
            Some(11)
        );
        // A keyword split across parts is beyond it (the stretches are then the wide ones).
        assert_eq!(
            lead_of(r"[a-z]{0,10}(?:tok|xtok)_[0-9]{8}", &["tok_"]),
            None
        );
        assert_eq!(lead_of(r"(?:ab|c)(?:key|k3y)x", &["key", "k3y"]), Some(2));
        // The first of several parts that each hold a keyword.
        assert_eq!(lead_of(r"[0-9]{4}tok_[a-z]{0,99}tok_", &["tok_"]), Some(4));
        // Repeated: the first repetition holds it.
        assert_eq!(lead_of(r"(?:x{2}key){2,3}", &["key"]), Some(2));
        // Unbounded before it, or a keyword a match may lack: no bound (and no span).
        assert_eq!(lead_of(r"[a-z]*key[0-9]{8}", &["key"]), None);
        assert_eq!(lead_of(r"(?:key|other)[0-9]{8}", &["key"]), None);
    }
}
