//! Fixture files: `{{NAME}}` templates filled with generated values, the line of a value in a
//! text, and `Tree`, a temporary directory that test files are written into.

use std::path::{Path, PathBuf};

use tempfile::TempDir;

/// Replaces `{{NAME}}` placeholders; panics if one is left unfilled.
pub fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (name, value) in vars {
        out = out.replace(&format!("{{{{{name}}}}}"), value);
    }
    let mut rest = out.as_str();
    while let Some(i) = rest.find("{{") {
        let after = &rest[i + 2..];
        if let Some(j) = after.find("}}") {
            let inner = &after[..j];
            assert!(
                inner.is_empty()
                    || !inner
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'),
                "unfilled placeholder {{{{{inner}}}}} in template:\n{out}"
            );
        }
        rest = after;
    }
    out
}

/// A two-line INI holding the generated pair of `seed` (key ID on line 1, secret on line 2):
/// (key ID, secret, text).
pub fn pair_ini(seed: u64) -> (String, String, String) {
    let (k, s) = (super::key_id(seed), super::secret(seed));
    let text = fill(
        "aws_access_key_id = {{K}}\naws_secret_access_key = {{S}}\n",
        &[("K", &k), ("S", &s)],
    );
    (k, s, text)
}

/// 1-based line of the first occurrence of `needle`.
pub fn line_of(text: &str, needle: &str) -> u64 {
    nth_line_of(text, needle, 0)
}

/// 1-based line of occurrence `n` (0-based) of `needle`.
pub fn nth_line_of(text: &str, needle: &str, n: usize) -> u64 {
    let (pos, _) = text
        .match_indices(needle)
        .nth(n)
        .unwrap_or_else(|| panic!("{needle:?} occurs fewer than {} times", n + 1));
    text[..pos].matches('\n').count() as u64 + 1
}

/// A temporary directory holding fixture files written at test time.
pub struct Tree {
    dir: TempDir,
}

impl Default for Tree {
    fn default() -> Self {
        Tree::new()
    }
}

impl Tree {
    /// A fresh directory in the system temporary directory (outside any git repository, so
    /// that no parent `.gitignore` applies).
    pub fn new() -> Tree {
        let dir = tempfile::Builder::new()
            .prefix("keyhound-it-")
            .tempdir()
            .expect("create a temporary directory");
        Tree { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `rel` (creating parent directories) and returns its full path.
    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create fixture directory");
        }
        std::fs::write(&path, content.as_ref()).expect("write fixture file");
        path
    }
}
