//! Revisions as CI and users write them for `--since`: a ref (`origin/main`, `v1.2`, `HEAD`), a
//! full or abbreviated commit id, followed by `~N`, `^N`, `^{commit}` or `^{}`. Refs are
//! resolved by libgit2 (reading ref files only); commits and tags are read by keyhound, so a
//! damaged object cannot hang the resolution. Other syntax (`@{upstream}`, `:/text`) goes to
//! libgit2's parser.

use git2::{ObjectType, Oid, Repository};

use super::parse;
use super::store::Reader;
use super::walk::peel_to_commit;

/// The commit `rev` names, if it names one.
pub(crate) fn resolve(repo: &Repository, reader: &Reader<'_, '_>, rev: &str) -> Option<Oid> {
    let split = rev.find(['~', '^']).unwrap_or(rev.len());
    let (base, ops) = rev.split_at(split);
    let Some(mut at) = base_object(repo, base) else {
        // Syntax keyhound does not read itself.
        let id = repo.revparse_single(rev).ok()?.id();
        return peel_to_commit(reader, id).ok().flatten();
    };
    let mut ops = ops;
    while !ops.is_empty() {
        let (op, rest) = ops.split_at(1);
        let rest_digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (digits, after) = rest.split_at(rest_digits);
        match op {
            "~" => {
                let n: usize = if digits.is_empty() {
                    1
                } else {
                    digits.parse().ok()?
                };
                for _ in 0..n {
                    at = nth_parent(reader, at, 1)?;
                }
                ops = after;
            }
            "^" if rest.starts_with("{commit}") || rest.starts_with("{}") => {
                at = peel_to_commit(reader, at).ok().flatten()?;
                ops = rest.get(rest.find('}')? + 1..)?;
            }
            "^" => {
                let n: usize = if digits.is_empty() {
                    1
                } else {
                    digits.parse().ok()?
                };
                at = if n == 0 {
                    peel_to_commit(reader, at).ok().flatten()?
                } else {
                    nth_parent(reader, at, n)?
                };
                ops = after;
            }
            _ => return None,
        }
    }
    peel_to_commit(reader, at).ok().flatten()
}

/// What the part before any `~` or `^` names: a full commit id, a ref (as git finds one from a
/// short name), or an abbreviated id.
fn base_object(repo: &Repository, base: &str) -> Option<Oid> {
    let hex = !base.is_empty() && base.bytes().all(|b| b.is_ascii_hexdigit());
    if hex && base.len() == 40 {
        return Oid::from_str(base).ok();
    }
    if let Some(oid) = repo
        .resolve_reference_from_short_name(base)
        .ok()
        .and_then(|r| r.resolve().ok()?.target())
    {
        return Some(oid);
    }
    if hex && base.len() >= 4 {
        let short = Oid::from_str(base).ok()?;
        return repo.odb().ok()?.exists_prefix(short, base.len()).ok();
    }
    None
}

/// The `n`-th parent (1-based) of the commit `oid` names.
fn nth_parent(reader: &Reader<'_, '_>, oid: Oid, n: usize) -> Option<Oid> {
    let commit = peel_to_commit(reader, oid).ok().flatten()?;
    let data = reader.read_kind(commit, ObjectType::Commit).ok()?;
    let parsed = parse::commit(data.bytes()).ok()?;
    parsed.parents.get(n.checked_sub(1)?).copied()
}
