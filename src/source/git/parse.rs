//! Commits, trees and tags, parsed by keyhound the way libgit2 parses them, but never giving up
//! on a whole history for one bad object: a commit with an unreadable timestamp still has its
//! tree and parents, and the caller reports what was wrong with it.

use git2::{ObjectType, Oid};

/// A commit's fields that keyhound uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Commit {
    pub(crate) tree: Oid,
    pub(crate) parents: Vec<Oid>,
    pub(crate) author: Option<Signature>,
    pub(crate) committer: Option<Signature>,
    /// What is wrong with the commit's header, if anything (it is still used).
    pub(crate) problem: Option<String>,
}

/// An author or committer line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Signature {
    pub(crate) name: String,
    pub(crate) email: String,
    /// Seconds since the epoch (0 when the line has none); `None` when it is unreadable.
    pub(crate) time: Option<i64>,
    /// Minutes east of UTC.
    pub(crate) offset: i32,
}

impl Commit {
    /// The committer's time, which orders history (0 when unreadable).
    pub(crate) fn time(&self) -> i64 {
        self.committer.as_ref().and_then(|c| c.time).unwrap_or(0)
    }
}

/// Parses a commit object. Without a `tree` line it is not a commit at all (an error).
pub(crate) fn commit(data: &[u8]) -> Result<Commit, String> {
    let mut rest = data;
    let tree = oid_header(&mut rest, b"tree ").ok_or("no tree line")?;
    let mut parents = Vec::new();
    while let Some(p) = oid_header(&mut rest, b"parent ") {
        parents.push(p);
    }
    let mut problems = Vec::new();
    let author = signature(&mut rest, b"author ", &mut problems);
    // Some tools write several author lines; the first counts.
    while rest.starts_with(b"author ") {
        let _ = signature(&mut rest, b"author ", &mut problems);
    }
    let committer = signature(&mut rest, b"committer ", &mut problems);
    if committer.is_none() {
        problems.push("no committer line".into());
    }
    Ok(Commit {
        tree,
        parents,
        author,
        committer,
        problem: (!problems.is_empty()).then(|| problems.join("; ")),
    })
}

/// `<header><40 hex digits>\n` at the start of `rest`, consumed.
fn oid_header(rest: &mut &[u8], header: &[u8]) -> Option<Oid> {
    let hex = rest.strip_prefix(header)?.get(..41)?;
    let (id, nl) = hex.split_at(40);
    if nl != b"\n" {
        return None;
    }
    let oid = Oid::from_str(std::str::from_utf8(id).ok()?).ok()?;
    *rest = rest.get(header.len() + 41..)?;
    Some(oid)
}

/// A signature line (`author Name <email> 1700000000 +0100`), consumed (to the end of the data
/// when it has no line break); problems with it are added to `problems`.
fn signature(rest: &mut &[u8], header: &[u8], problems: &mut Vec<String>) -> Option<Signature> {
    let body = rest.strip_prefix(header)?;
    let what = String::from_utf8_lossy(header.strip_suffix(b" ").unwrap_or(header)).into_owned();
    let (line, after) = match memchr::memchr(b'\n', body) {
        Some(end) => (body.get(..end)?, body.get(end + 1..)?),
        None => {
            problems.push(format!("the {what} line does not end"));
            (body, &b""[..])
        }
    };
    *rest = after;
    let (Some(lt), Some(gt)) = (memchr::memrchr(b'<', line), memchr::memrchr(b'>', line)) else {
        problems.push(format!("malformed e-mail in the {what} line"));
        return None;
    };
    if gt <= lt {
        problems.push(format!("malformed e-mail in the {what} line"));
        return None;
    }
    let name = trimmed(line.get(..lt).unwrap_or_default());
    let email = trimmed(line.get(lt + 1..gt).unwrap_or_default());
    let mut sig = Signature {
        name: String::from_utf8_lossy(name).into_owned(),
        email: String::from_utf8_lossy(email).into_owned(),
        time: None,
        offset: 0,
    };
    // A time, if anything follows "> " (libgit2 takes none as 0).
    sig.time = Some(0);
    if let Some(after) = line.get(gt + 2..).filter(|a| !a.is_empty()) {
        match number(after) {
            Some((time, used)) => {
                sig.time = Some(time);
                sig.offset = timezone(after.get(used + 1..).unwrap_or_default());
            }
            None => {
                sig.time = None;
                problems.push(format!("invalid timestamp in the {what} line"));
            }
        }
    }
    Some(sig)
}

/// libgit2 trims these from both ends of a name or an e-mail.
fn trimmed(mut s: &[u8]) -> &[u8] {
    let crud = |c: u8| c <= 32 || b",:;<>\"\\'".contains(&c);
    while let Some((&c, rest)) = s.split_first() {
        if !crud(c) {
            break;
        }
        s = rest;
    }
    while let Some((&c, rest)) = s.split_last() {
        if !crud(c) {
            break;
        }
        s = rest;
    }
    s
}

/// A decimal number at the start of `s` (after white space and a sign), with the bytes it
/// took; `None` without digits or on overflow.
fn number(s: &[u8]) -> Option<(i64, usize)> {
    let mut i = s.iter().take_while(|c| c.is_ascii_whitespace()).count();
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let digits = s
        .get(i..)?
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    if digits == 0 {
        return None;
    }
    let mut n: i64 = 0;
    for &c in s.get(i..i + digits)? {
        let d = i64::from(c - b'0');
        n = n.checked_mul(10)?;
        n = if neg {
            n.checked_sub(d)?
        } else {
            n.checked_add(d)?
        };
    }
    Some((n, i + digits))
}

/// A `+hhmm` / `-hhmm` offset in minutes; 0 when malformed or out of range (as libgit2).
fn timezone(s: &[u8]) -> i32 {
    let (sign, digits) = match s.split_first() {
        Some((b'+', d)) => (1, d),
        Some((b'-', d)) => (-1, d),
        _ => return 0,
    };
    let Some((v, _)) = number(digits) else {
        return 0;
    };
    let Ok(v) = i32::try_from(v) else {
        return 0;
    };
    let (hours, mins) = (v / 100, v % 100);
    if hours <= 14 && mins <= 59 {
        sign * (hours * 60 + mins)
    } else {
        0
    }
}

/// One entry of a tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TreeEntry<'a> {
    pub(crate) mode: u32,
    pub(crate) name: &'a [u8],
    pub(crate) oid: Oid,
}

impl TreeEntry<'_> {
    /// What the entry's mode says it is: a directory, a submodule commit, or a blob.
    pub(crate) fn kind(&self) -> ObjectType {
        match self.mode & 0o170000 {
            0o040000 => ObjectType::Tree,
            0o160000 => ObjectType::Commit,
            _ => ObjectType::Blob,
        }
    }
}

/// The entries of a tree object, in order, and what is wrong with the rest of it if it is
/// damaged (the entries before the damage are kept).
pub(crate) fn tree(data: &[u8]) -> (Vec<TreeEntry<'_>>, Option<String>) {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(next) = tree_entry(data, at) {
        match next {
            Ok((entry, after)) => {
                out.push(entry);
                at = after;
            }
            Err(problem) => return (out, Some(problem)),
        }
    }
    (out, None)
}

/// The tree entry that starts at byte `at` of `data` and where the next one starts; `None` at
/// the end, an error for a damaged entry.
pub(crate) fn tree_entry(data: &[u8], at: usize) -> Option<Result<(TreeEntry<'_>, usize), String>> {
    let rest = data.get(at..).filter(|r| !r.is_empty())?;
    Some(entry_in(rest).map(|(e, used)| (e, at + used)))
}

fn entry_in(rest: &[u8]) -> Result<(TreeEntry<'_>, usize), String> {
    let sp = memchr::memchr(b' ', rest).ok_or("truncated tree entry")?;
    let mode = octal(rest.get(..sp).unwrap_or_default()).ok_or("bad mode in a tree entry")?;
    let after = rest.get(sp + 1..).unwrap_or_default();
    let nul = memchr::memchr(0, after).ok_or("truncated tree entry")?;
    let name = after.get(..nul).unwrap_or_default();
    let id = after.get(nul + 1..nul + 21).ok_or("truncated tree entry")?;
    let oid = Oid::from_bytes(id).map_err(|_| "bad object id in a tree entry")?;
    if name.is_empty() {
        return Err("a tree entry without a name".into());
    }
    Ok((TreeEntry { mode, name, oid }, sp + 1 + nul + 21))
}

fn octal(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || digits.len() > 7 {
        return None;
    }
    digits.iter().try_fold(0u32, |acc, &c| {
        (b'0'..=b'7')
            .contains(&c)
            .then(|| acc * 8 + u32::from(c - b'0'))
    })
}

/// The object an annotated tag points at, and its type.
pub(crate) fn tag_target(data: &[u8]) -> Option<(Oid, ObjectType)> {
    let mut rest = data;
    let target = oid_header(&mut rest, b"object ")?;
    let line = rest.strip_prefix(b"type ")?;
    let end = memchr::memchr(b'\n', line)?;
    let kind = match line.get(..end)? {
        b"commit" => ObjectType::Commit,
        b"tree" => ObjectType::Tree,
        b"blob" => ObjectType::Blob,
        b"tag" => ObjectType::Tag,
        _ => return None,
    };
    Some((target, kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
    const PARENT: &str = "5ef1186a2181b0c86a4821eb13f818f18868845d";

    fn text(author: &str, committer: &str) -> String {
        format!("tree {TREE}\nparent {PARENT}\nauthor {author}\ncommitter {committer}\n\nmessage\n")
    }

    #[test]
    fn commits_parse_like_libgit2() {
        let c = commit(
            text(
                "  A. U. Thor <a@example.com> 1700000000 +0130",
                "C <c@example.com> 1700000100 -0500",
            )
            .as_bytes(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.tree.to_string(), TREE);
        assert_eq!(c.parents.len(), 1);
        let a = c.author.clone().unwrap_or_else(|| panic!("author"));
        assert_eq!(
            (a.name.as_str(), a.email.as_str()),
            ("A. U. Thor", "a@example.com")
        );
        assert_eq!((a.time, a.offset), (Some(1_700_000_000), 90));
        assert_eq!(c.time(), 1_700_000_100);
        assert_eq!(c.committer.map(|s| s.offset), Some(-300));
        assert!(c.problem.is_none());
    }

    #[test]
    fn bad_timestamps_are_problems_not_failures() {
        for bad in ["99999999999999999999999", "", "x"] {
            let line = format!("T <t@x> {bad} +0000");
            let c = commit(text(&line, &line).as_bytes()).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(c.parents.len(), 1, "{bad:?}");
            assert_eq!(c.time(), 0, "{bad:?}");
            if !bad.is_empty() {
                assert!(c.problem.is_some(), "{bad:?}");
            }
        }
        assert!(commit(b"parent x\n").is_err());
    }

    /// Found by the fuzzer: author lines without a final line break once looped forever.
    #[test]
    fn a_signature_without_a_line_break_ends_the_header() {
        let text = format!("tree {TREE}\nauthor A <a@x> 1 +0000\nauthor B <b@x");
        let c = commit(text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert!(c.problem.is_some());
        let text = format!("tree {TREE}\nauthor A <a@x> 1 +0000\nauthor B");
        assert!(commit(text.as_bytes()).is_ok());
        let c = commit(format!("tree {TREE}\ncommitter C <c@x> 5").as_bytes());
        assert_eq!(c.map(|c| c.time()).ok(), Some(5));
    }

    #[test]
    fn trees_keep_entries_before_damage() {
        let mut data = Vec::new();
        for (mode, name) in [("100644", "a.txt"), ("40000", "dir"), ("160000", "sub")] {
            data.extend_from_slice(format!("{mode} {name}\0").as_bytes());
            data.extend_from_slice(&[7u8; 20]);
        }
        let (entries, problem) = tree(&data);
        let kinds: Vec<ObjectType> = entries.iter().map(TreeEntry::kind).collect();
        assert_eq!(
            kinds,
            [ObjectType::Blob, ObjectType::Tree, ObjectType::Commit]
        );
        assert!(problem.is_none());
        let (entries, problem) = tree(data.get(..data.len() - 5).unwrap_or_default());
        assert_eq!(entries.len(), 2);
        assert!(problem.is_some());
    }
}
