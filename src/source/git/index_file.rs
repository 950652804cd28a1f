//! The index file (`.git/index`) read by keyhound for `--staged`: each entry's path, mode, blob
//! id and stage, and the cache tree (the `TREE` extension: the tree id each directory of the
//! index would be written as, for the directories nothing has been staged in since). With the
//! cache tree, HEAD is compared with the index only where they can differ, rather than
//! tree by tree over the whole repository.
//!
//! Versions 2, 3 and 4 are read. An index this reader does not understand (another version, a
//! split or sparse index, an extension git requires readers to know, or damage) gives `None`,
//! and the caller reads it with libgit2 instead. Like git, the reader does not check the
//! file's trailing checksum.

use git2::Oid;

/// One index entry, as `--staged` needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IndexEntry {
    pub(crate) path: Vec<u8>,
    pub(crate) mode: u32,
    pub(crate) id: Oid,
    /// 0 for a merged entry, 1 to 3 for the sides of a conflict.
    pub(crate) stage: u16,
}

/// A directory of the cache tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CacheTree {
    /// Its name in its parent (empty for the top).
    pub(crate) name: Vec<u8>,
    /// The tree the index's entries under it make; `None` when something under it was staged
    /// since the tree was computed.
    pub(crate) id: Option<Oid>,
    /// Its subdirectories, sorted by name.
    pub(crate) children: Vec<CacheTree>,
}

impl CacheTree {
    /// The subdirectory called `name`.
    pub(crate) fn child(&self, name: &[u8]) -> Option<&CacheTree> {
        self.children
            .binary_search_by(|c| c.name.as_slice().cmp(name))
            .ok()
            .and_then(|i| self.children.get(i))
    }
}

/// An index file's entries and its cache tree (if it has one).
#[derive(Debug)]
pub(crate) struct IndexFile {
    pub(crate) entries: Vec<IndexEntry>,
    pub(crate) cache_tree: Option<CacheTree>,
}

/// Bytes of an entry before its flags: ctime, mtime, dev, ino, mode, uid, gid, size, id.
const STAT_AND_ID: usize = 40 + 20;
/// The flag of an entry with a second flags field (version 3 and later).
const EXTENDED: u16 = 0x4000;
/// The length of a path as the flags give it, when it is this long or longer.
const NAME_MASK: u16 = 0x0fff;
/// The trailing checksum.
const CHECKSUM: usize = 20;

/// Parses an index file; `None` when it is not one this reader understands (see the module's
/// documentation).
pub(crate) fn parse(data: &[u8]) -> Option<IndexFile> {
    if data.get(0..4)? != b"DIRC" {
        return None;
    }
    let version = be32(data, 4)?;
    if !(2..=4).contains(&version) {
        return None;
    }
    let count = usize::try_from(be32(data, 8)?).ok()?;
    let end = data.len().checked_sub(CHECKSUM)?;
    let body = data.get(..end)?;
    let mut at = 12usize;
    // Bounded by the data: every entry takes more than 60 bytes.
    let mut entries = Vec::with_capacity(count.min(body.len() / STAT_AND_ID));
    let mut previous: Vec<u8> = Vec::new();
    for _ in 0..count {
        let (entry, next) = parse_entry(body, at, version, &previous)?;
        previous.clone_from(&entry.path);
        entries.push(entry);
        at = next;
    }
    let mut cache_tree = None;
    while at < body.len() {
        let signature = body.get(at..at + 4)?;
        let size = usize::try_from(be32(body, at + 4)?).ok()?;
        let content = body.get(at + 8..(at + 8).checked_add(size)?)?;
        match signature {
            b"TREE" => cache_tree = Some(parse_cache_tree(content)?),
            // An extension whose name starts with a capital letter is optional; any other (a
            // split index's `link`, a sparse index's `sdir`) changes what the entries mean.
            [first, ..] if first.is_ascii_uppercase() => {}
            _ => return None,
        }
        at += 8 + size;
    }
    Some(IndexFile {
        entries,
        cache_tree,
    })
}

/// The entry at `at` and where the next one starts; `previous` is the path of the entry
/// before (version 4 writes each path as a change to it).
fn parse_entry(
    body: &[u8],
    at: usize,
    version: u32,
    previous: &[u8],
) -> Option<(IndexEntry, usize)> {
    let mode = be32(body, at + 24)?;
    let id = Oid::from_bytes(body.get(at + 40..at + STAT_AND_ID)?).ok()?;
    let flags = be16(body, at + STAT_AND_ID)?;
    let mut name_at = at + STAT_AND_ID + 2;
    if flags & EXTENDED != 0 {
        if version < 3 {
            return None;
        }
        name_at += 2;
    }
    let (path, next) = if version == 4 {
        let (strip, used) = varint(body.get(name_at..)?)?;
        let keep = previous.len().checked_sub(usize::try_from(strip).ok()?)?;
        let suffix_at = name_at + used;
        let nul = memchr::memchr(0, body.get(suffix_at..)?)?;
        let mut path = previous.get(..keep)?.to_vec();
        path.extend_from_slice(body.get(suffix_at..suffix_at + nul)?);
        (path, suffix_at + nul + 1)
    } else {
        let len = match flags & NAME_MASK {
            NAME_MASK => memchr::memchr(0, body.get(name_at..)?)?,
            n => usize::from(n),
        };
        let path = body.get(name_at..name_at + len)?.to_vec();
        // The entry is padded with one to eight NULs to a multiple of eight bytes.
        let next = at + ((name_at - at + len + 8) & !7);
        if body.get(name_at + len..next)?.iter().any(|&b| b != 0) {
            return None;
        }
        (path, next)
    };
    let entry = IndexEntry {
        path,
        mode,
        id,
        stage: (flags >> 12) & 3,
    };
    Some((entry, next))
}

/// The cache tree: each directory as `name NUL entries SP subdirectories LF [id]`, in
/// preorder (an invalidated directory has -1 entries and no id).
fn parse_cache_tree(mut data: &[u8]) -> Option<CacheTree> {
    let top = parse_node(&mut data, 0)?;
    data.is_empty().then_some(top)
}

/// Directories nest at most this deep (git's paths are at most 4096 bytes).
const MAX_DEPTH: usize = 4096;

fn parse_node(data: &mut &[u8], depth: usize) -> Option<CacheTree> {
    if depth > MAX_DEPTH {
        return None;
    }
    let nul = memchr::memchr(0, data)?;
    let name = data.get(..nul)?.to_vec();
    let rest = data.get(nul + 1..)?;
    let lf = memchr::memchr(b'\n', rest)?;
    let numbers = std::str::from_utf8(rest.get(..lf)?).ok()?;
    let (entries, subtrees) = numbers.split_once(' ')?;
    let entries: i64 = entries.parse().ok()?;
    let subtrees: usize = subtrees.parse().ok()?;
    let mut rest = rest.get(lf + 1..)?;
    let id = if entries >= 0 {
        let id = Oid::from_bytes(rest.get(..20)?).ok()?;
        rest = rest.get(20..)?;
        Some(id)
    } else {
        None
    };
    *data = rest;
    // Bounded by the data: each subdirectory takes at least four bytes.
    let mut children = Vec::with_capacity(subtrees.min(data.len() / 4));
    for _ in 0..subtrees {
        children.push(parse_node(data, depth + 1)?);
    }
    children.sort_by(|a, b| a.name.cmp(&b.name));
    Some(CacheTree { name, id, children })
}

/// A version-4 path's varint: seven bits a byte, most significant first, each continuation
/// adding one (git's `decode_varint`). Returns the value and its length.
fn varint(b: &[u8]) -> Option<(u64, usize)> {
    let mut it = b.iter().copied();
    let mut c = it.next()?;
    let mut value = u64::from(c & 0x7f);
    let mut len = 1;
    while c & 0x80 != 0 {
        c = it.next()?;
        len += 1;
        value = value
            .checked_add(1)?
            .checked_mul(128)
            .map(|v| v | u64::from(c & 0x7f))?;
    }
    Some((value, len))
}

fn be32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

fn be16(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(d.get(at..at + 2)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::git::testrepo::TestRepo;

    const GITLINK_MODE: u32 = 0o160000;

    /// The entries as libgit2 reads them.
    fn libgit2_entries(repo: &TestRepo, version: &str) -> Vec<IndexEntry> {
        let index = git2::Index::open(&repo.path().join(".git/index"))
            .unwrap_or_else(|e| panic!("version {version}: {e}"));
        index
            .iter()
            .map(|e| IndexEntry {
                path: e.path.clone(),
                mode: e.mode,
                id: e.id,
                stage: (e.flags >> 12) & 3,
            })
            .collect()
    }

    fn ours(repo: &TestRepo) -> IndexFile {
        let data = std::fs::read(repo.path().join(".git/index")).unwrap_or_else(|e| panic!("{e}"));
        parse(&data).unwrap_or_else(|| panic!("the index was not read"))
    }

    /// Runs `git update-index --index-info` with `info` on its standard input.
    fn index_info(r: &TestRepo, info: &str) {
        use std::io::Write as _;
        let mut child = std::process::Command::new("git")
            .args(["update-index", "--index-info"])
            .current_dir(r.path())
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        child
            .stdin
            .take()
            .unwrap_or_else(|| panic!("stdin"))
            .write_all(info.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(child.wait().unwrap_or_else(|e| panic!("{e}")).success());
    }

    /// A repository with nested directories, a path longer than the flags can say, an
    /// executable, a gitlink, an intent-to-add entry and a conflict.
    fn busy_repo() -> (TestRepo, String) {
        let r = TestRepo::new();
        r.commit("README.md", "# top\n", 0, "a");
        for p in ["src/a.rs", "src/deep/er/b.rs", "docs/c.md"] {
            let path = r.path().join(p);
            std::fs::create_dir_all(path.parent().unwrap_or_else(|| r.path()))
                .unwrap_or_else(|e| panic!("{e}"));
            std::fs::write(&path, p).unwrap_or_else(|e| panic!("{e}"));
        }
        r.git(&["add", "-A"]);
        r.git(&["commit", "-qm", "b"]);
        r.git(&["update-index", "--chmod=+x", "src/a.rs"]);
        let blob = r.git(&["rev-parse", "HEAD:README.md"]);
        // A path as long as the flags cannot say (libgit2 reads none longer).
        let long = format!("long/{}", vec!["n".repeat(200); 21].join("/"));
        let long = long.get(..0xfff).unwrap_or_default().trim_end_matches('/');
        let long = format!("{long}x");
        index_info(&r, &format!("100644 {blob} 0\t{long}\n"));
        r.git(&[
            "update-index",
            "--add",
            "--cacheinfo",
            "160000,1111111111111111111111111111111111111111,vendor/lib",
        ]);
        std::fs::write(r.path().join("new.txt"), "new\n").unwrap_or_else(|e| panic!("{e}"));
        r.git(&["add", "-N", "new.txt"]);
        // A conflict on docs/c.md: three stages.
        r.git(&["update-index", "--force-remove", "docs/c.md"]);
        index_info(
            &r,
            &(1..=3)
                .map(|stage| format!("100644 {blob} {stage}\tdocs/c.md\n"))
                .collect::<String>(),
        );
        (r, long)
    }

    #[test]
    fn entries_match_libgit2_in_every_version() {
        let (r, long) = busy_repo();
        for version in ["2", "3", "4"] {
            if version == "4" {
                // libgit2 1.9 reads no version-4 index with a path this long.
                r.git(&["update-index", "--force-remove", &long]);
            }
            r.git(&["update-index", "--index-version", version]);
            let ours = ours(&r);
            assert_eq!(
                ours.entries,
                libgit2_entries(&r, version),
                "version {version}"
            );
            assert!(ours.entries.iter().any(|e| e.stage == 2), "the conflict");
            let long_read = ours.entries.iter().any(|e| e.path == long.as_bytes());
            assert_eq!(long_read, version != "4", "the long path");
            assert!(
                ours.entries.iter().any(|e| e.mode == GITLINK_MODE),
                "the gitlink"
            );
        }
    }

    #[test]
    fn cache_tree_names_the_trees_of_unchanged_directories() {
        let r = TestRepo::new();
        std::fs::create_dir_all(r.path().join("a/b")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir_all(r.path().join("c")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(r.path().join("a/b/f"), "f\n").unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(r.path().join("c/g"), "g\n").unwrap_or_else(|e| panic!("{e}"));
        r.git(&["add", "-A"]);
        r.git(&["commit", "-qm", "one"]);
        // A commit writes the whole cache tree.
        let top = ours(&r)
            .cache_tree
            .unwrap_or_else(|| panic!("no cache tree"));
        let tree = |rev: &str| Oid::from_str(&r.git(&["rev-parse", rev])).ok();
        assert_eq!(top.id, tree("HEAD^{tree}"));
        let a = top.child(b"a").unwrap_or_else(|| panic!("a"));
        assert_eq!(a.id, tree("HEAD:a"));
        assert_eq!(a.child(b"b").and_then(|b| b.id), tree("HEAD:a/b"));
        // Staging under a/b invalidates a/b, a and the top, not c.
        std::fs::write(r.path().join("a/b/f"), "changed\n").unwrap_or_else(|e| panic!("{e}"));
        r.git(&["add", "a/b/f"]);
        let top = ours(&r)
            .cache_tree
            .unwrap_or_else(|| panic!("no cache tree"));
        assert_eq!(top.id, None);
        let a = top.child(b"a").unwrap_or_else(|| panic!("a"));
        assert_eq!(a.id, None);
        assert_eq!(a.child(b"b").and_then(|b| b.id), None);
        assert_eq!(top.child(b"c").and_then(|c| c.id), tree("HEAD:c"));
    }

    #[test]
    fn split_index_and_damage_are_left_to_libgit2() {
        let r = TestRepo::new();
        r.commit("a.txt", "a\n", 0, "a");
        let data = std::fs::read(r.path().join(".git/index")).unwrap_or_else(|e| panic!("{e}"));
        assert!(parse(&data).is_some());
        // Cut anywhere, it is not read (and nothing panics).
        for cut in 0..data.len() - CHECKSUM {
            let mut damaged = data.get(..cut).unwrap_or_default().to_vec();
            damaged.extend_from_slice(&[0u8; CHECKSUM]);
            let _ = parse(&damaged);
        }
        assert!(parse(b"DIRC").is_none());
        r.git(&["update-index", "--split-index"]);
        let data = std::fs::read(r.path().join(".git/index")).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            parse(&data).is_none(),
            "a split index has a `link` extension"
        );
    }
}
