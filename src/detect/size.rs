//! What compiling a rule's pattern will cost, told from its parsed syntax without compiling
//! it. Patterns are compiled on first use (most runs trigger few rules, and compiling all the
//! built-in ones costs about 45 ms), so a pattern too large for the compiler's size limit
//! would only fail at scan time. `nfa_bound` is an upper bound on the memory the Thompson NFA
//! builder of `regex-automata` (what `RegexBuilder::size_limit` limits) uses for a pattern:
//! the loader compiles up front only the patterns whose bound comes near the limit, and a
//! failure there is a load error.

use regex_syntax::hir::{Class, Hir, HirKind};
use regex_syntax::utf8::Utf8Sequences;

/// Bytes of a state in the builder (`size_of::<thompson::builder::State>()` on 64-bit
/// targets, checked by regex-automata's own tests).
const STATE: u64 = 32;
/// Bytes of one transition of a sparse state.
const TRANSITION: u64 = 8;
/// Bytes of one alternate of a union state.
const ALTERNATE: u64 = 4;

/// An upper bound, in bytes, on the builder memory of the NFA of `hir` (forward; the reverse
/// NFA the lazy DFA needs is bounded by the same count, states being compiled as if nothing
/// were shared). Saturates instead of overflowing.
pub(crate) fn nfa_bound(hir: &Hir) -> u64 {
    // The unanchored prefix `(?s-u:.)*?`, the implicit group around the pattern, the match.
    let frame = 8 * (STATE + ALTERNATE) + TRANSITION;
    frame.saturating_add(bound(hir))
}

fn bound(hir: &Hir) -> u64 {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => STATE,
        // One state per byte, and the empty state a concatenation may add.
        HirKind::Literal(l) => (l.0.len() as u64 + 1) * STATE,
        HirKind::Class(Class::Bytes(c)) => 2 * STATE + c.ranges().len() as u64 * TRANSITION,
        HirKind::Class(Class::Unicode(c)) => {
            // Each UTF-8 sequence of each range: up to four byte ranges, each a state with a
            // transition of its own when nothing is shared.
            let ranges: u64 = c
                .ranges()
                .iter()
                .flat_map(|r| Utf8Sequences::new(r.start(), r.end()))
                .map(|s| s.len() as u64)
                .sum();
            (2 * STATE).saturating_add(ranges.saturating_mul(STATE + TRANSITION))
        }
        HirKind::Capture(c) => bound(&c.sub).saturating_add(2 * STATE),
        HirKind::Repetition(r) => {
            // `{n}` is n copies, `{n,m}` m copies, `{n,}` n + 1 (and `*` of what can match
            // the empty string two), each with its union state and an empty state.
            let copies = match r.max {
                Some(max) => u64::from(max.max(1)),
                None => u64::from(r.min) + 2,
            };
            let one = bound(&r.sub).saturating_add(2 * STATE + 2 * ALTERNATE);
            copies.saturating_mul(one).saturating_add(STATE)
        }
        HirKind::Concat(subs) => subs
            .iter()
            .map(bound)
            .fold(STATE, |a, b| a.saturating_add(b)),
        HirKind::Alternation(subs) => subs
            .iter()
            .map(|s| bound(s).saturating_add(ALTERNATE))
            .fold(2 * STATE, |a, b| a.saturating_add(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A size limit under which `pattern` compiles (as `CompiledRule::regex` builds it) and
    /// within 10% of the smallest one, found by bisection on a log scale.
    fn actual(pattern: &str, unicode: bool) -> u64 {
        let fits = |limit: u64| {
            regex::bytes::RegexBuilder::new(pattern)
                .unicode(unicode)
                .size_limit(usize::try_from(limit).unwrap_or(usize::MAX))
                .build()
                .is_ok()
        };
        let (mut lo, mut hi) = (64u64, 1u64 << 30);
        assert!(fits(hi) && !fits(lo), "{pattern}");
        while hi > lo + lo / 10 {
            let mid = ((lo as f64) * (hi as f64)).sqrt() as u64;
            if fits(mid) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        hi
    }

    #[test]
    fn bound_is_above_what_compiling_takes() {
        let mut patterns: Vec<(String, bool)> = [
            (r"\b(ghp_[A-Za-z0-9]{36})\b", false),
            (r"(?i)secret[_-]?key\s*[:=]\s*([a-z0-9/+]{40})", false),
            (r"[^@/]{3,128}", false),
            (r"[^@/]{3,128}", true),
            (r"\w{20,60}", true),
            (r"\p{L}{2,30}x", true),
            (r"(?i)(?:é|ü|日本){5,9}", true),
            (r"((ab)*c){10}", false),
            (r"(a?){50}b", false),
            (r"(x|yy|zzz|[0-9a-f]{8}){3,40}", false),
            (r"(?:a*)*b", false),
            (r"(\d+)+\.(\w*){0,3}", true),
            (r"^abc$|^(def){2,}$", false),
        ]
        .iter()
        .map(|(p, u)| (p.to_string(), *u))
        .collect();
        // Every fifth built-in pattern (the run is slow in a debug build).
        for spec in crate::rule::builtin::specs()
            .unwrap_or_default()
            .iter()
            .step_by(5)
        {
            patterns.push((spec.1.pattern.clone(), false));
        }
        for (p, unicode) in &patterns {
            let Ok(hir) = regex_syntax::ParserBuilder::new()
                .utf8(false)
                .unicode(*unicode)
                .build()
                .parse(p)
            else {
                continue;
            };
            let (got, want) = (nfa_bound(&hir), actual(p, *unicode));
            assert!(got >= want, "{p} (unicode {unicode}): bound {got} < {want}");
            // And not absurdly loose, so that only large patterns are compiled up front.
            assert!(
                got <= 64 * want + 64 * 1024,
                "{p}: bound {got}, actual {want}"
            );
        }
    }

    #[test]
    fn builtin_patterns_are_far_below_the_limit() {
        for (source, spec) in crate::rule::builtin::specs().unwrap_or_default() {
            let hir = crate::rule::file::validate(&source, &spec).unwrap_or_else(|e| panic!("{e}"));
            assert!(
                nfa_bound(&hir) < super::super::patterns::EAGER_BOUND,
                "{source}: {}: bound {}",
                spec.id,
                nfa_bound(&hir)
            );
        }
    }
}
