//! Container images given as a tar: `docker save` / `podman save` (a `manifest.json` naming
//! the config and the layers) and OCI image layouts (`index.json` and `blobs/sha256/`). The
//! tar is indexed first (headers only), then the image configuration is scanned (its `Env`,
//! `Cmd`, `Labels` and `history[].created_by` are where build arguments leak), then every layer
//! from the last to the first, so that the whiteouts of later layers are known when a layer is
//! read: a file a later layer deletes still ships in the image, and is reported as deleted.
//! Every other member of the tar is scanned too. An image and its layers count as one level
//! of `--max-archive-depth`.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::archive::{label, Input, Walk};
use super::budget::Meter;
use crate::source::fs::display_path;
use crate::source::{Origin, Stats};

/// JSON files of an image (manifests, index) are read up to this size.
const JSON_MAX: u64 = 16 << 20;

/// A regular file of the image tar: where its bytes are and how many.
#[derive(Debug, Clone, Copy)]
struct Span {
    at: u64,
    size: u64,
}

/// The paths a layer deletes from the layers below it: whited-out paths, and directories made
/// opaque (their earlier content hidden).
#[derive(Debug, Default)]
pub(crate) struct Whiteouts {
    paths: HashSet<String>,
    opaque: HashSet<String>,
}

impl Whiteouts {
    /// Records a layer's tar entry if it is a whiteout (`.wh.NAME`, `.wh..wh..opq`).
    pub(crate) fn record(&mut self, entry: &str) {
        let entry = normal(entry);
        let (dir, base) = match entry.rsplit_once('/') {
            Some((d, b)) => (d, b),
            None => ("", entry),
        };
        if base == ".wh..wh..opq" {
            self.opaque.insert(dir.to_string());
        } else if let Some(name) = base.strip_prefix(".wh.") {
            let path = if dir.is_empty() {
                name.to_string()
            } else {
                format!("{dir}/{name}")
            };
            self.paths.insert(path);
        }
    }

    /// Whether `path` (a file of an earlier layer) is deleted.
    pub(crate) fn covers(&self, path: &str) -> bool {
        let path = normal(path);
        if self.paths.contains(path) || self.opaque.contains("") {
            return true;
        }
        path.match_indices('/').any(|(i, _)| {
            let dir = path.get(..i).unwrap_or_default();
            self.paths.contains(dir) || self.opaque.contains(dir)
        })
    }

    fn extend(&mut self, other: Whiteouts) {
        self.paths.extend(other.paths);
        self.opaque.extend(other.opaque);
    }
}

/// A path inside a layer without its leading `./` or `/`.
fn normal(p: &str) -> &str {
    let p = p.trim_start_matches("./");
    p.trim_start_matches('/')
}

/// The layer being read, while it is read.
pub(crate) struct Layer {
    /// Where, in a member chain, the path inside the layer is.
    pub at: usize,
    /// What the layers above this one delete.
    pub later: Whiteouts,
    /// This layer's own whiteouts, collected as it is read.
    pub own: Whiteouts,
}

/// One image: its configuration and its layers, bottom first.
struct Image {
    config: Option<String>,
    layers: Vec<String>,
}

/// Where an image's files are: the members of a tar, or the files of a directory.
trait Files {
    /// Whether the image has the file `name` (`blobs/sha256/HEX`, `manifest.json`, ...).
    fn has(&self, name: &str) -> bool;
    /// Every file name, sorted.
    fn names(&self) -> Vec<String>;
    /// The bytes of `name`, to read once; `None` when there is no such file.
    fn open(&mut self, name: &str) -> io::Result<Option<(Box<dyn Read + '_>, u64)>>;
    /// Before `name` is read: the walk's origin for it (a directory's file is its own file).
    fn enter(&self, _walk: &Walk<'_>, _name: &str) {}
    /// Whether the name of each file read is the first member of the chains under it.
    fn named_in_chain(&self) -> bool {
        true
    }
}

/// The regular files of an image tar, by name.
struct TarFiles<'r, R> {
    r: &'r mut R,
    index: HashMap<String, Span>,
}

impl<R: Read + Seek> Files for TarFiles<'_, R> {
    fn has(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.index.keys().cloned().collect();
        v.sort();
        v
    }

    fn open(&mut self, name: &str) -> io::Result<Option<(Box<dyn Read + '_>, u64)>> {
        let Some(span) = self.index.get(name).copied() else {
            return Ok(None);
        };
        self.r.seek(SeekFrom::Start(span.at))?;
        Ok(Some((Box::new((&mut *self.r).take(span.size)), span.size)))
    }
}

/// The files of an OCI image layout directory, by their paths under it.
struct DirFiles {
    root: PathBuf,
    names: Vec<String>,
}

impl Files for DirFiles {
    fn has(&self, name: &str) -> bool {
        self.names
            .binary_search_by(|n| n.as_str().cmp(name))
            .is_ok()
    }

    fn names(&self) -> Vec<String> {
        self.names.clone()
    }

    fn open(&mut self, name: &str) -> io::Result<Option<(Box<dyn Read + '_>, u64)>> {
        if !self.has(name) {
            return Ok(None);
        }
        let f = File::open(self.root.join(name))?;
        let size = f.metadata()?.len();
        Ok(Some((Box::new(f), size)))
    }

    fn enter(&self, walk: &Walk<'_>, name: &str) {
        walk.base
            .replace(Origin::file(display_path(&self.root.join(name))));
    }

    fn named_in_chain(&self) -> bool {
        false
    }
}

/// Opens the tar `r` as a container image when it is one; false when it is not (nothing was
/// scanned then).
pub(crate) fn open<R: Read + Seek>(walk: &Walk<'_>, r: &mut R, depth: u32) -> io::Result<bool> {
    let Some(index) = index(r, walk.limits.max_members)? else {
        return Ok(false);
    };
    let mut files = TarFiles { r, index };
    read_image(walk, &mut files, depth)
}

/// Whether `dir` is an OCI image layout (an `oci-layout` file and an `index.json`).
pub(crate) fn is_layout_dir(dir: &Path) -> bool {
    dir.join("oci-layout").is_file() && dir.join("index.json").is_file()
}

/// Opens the OCI image layout directory `dir`: its files are read as an image's, each
/// reported at its own path.
pub(crate) fn open_dir(walk: &Walk<'_>, dir: &Path) -> io::Result<bool> {
    let mut names = Vec::new();
    list(dir, dir, &mut names, walk.limits.max_members)?;
    names.sort();
    let mut files = DirFiles {
        root: dir.to_path_buf(),
        names,
    };
    read_image(walk, &mut files, 0)
}

/// The files under `dir`, relative to `root`, with `/` separators (at most `max`).
fn list(root: &Path, dir: &Path, out: &mut Vec<String>, max: u64) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let t = entry.file_type()?;
        let path = entry.path();
        if t.is_dir() {
            list(root, &path, out, max)?;
        } else if t.is_file() && (out.len() as u64) < max {
            if let Ok(rel) = path.strip_prefix(root) {
                out.push(display_path(rel));
            }
        }
    }
    Ok(())
}

/// Reads an image: the configuration, the layers from the last to the first, then every
/// other file.
fn read_image(walk: &Walk<'_>, files: &mut dyn Files, depth: u32) -> io::Result<bool> {
    let images = images(files);
    if images.is_empty() {
        return Ok(false);
    }
    Stats::add(&walk.tally.stats.images, 1);
    let at = usize::from(files.named_in_chain());
    let mut done: HashSet<String> = HashSet::new();
    let mut chain = Vec::new();
    for image in &images {
        if let Some(config) = &image.config {
            if done.insert(config.clone()) {
                member(walk, files, config, &mut chain, depth)?;
            }
        }
        // The last layer first: its whiteouts apply to every layer below it.
        let mut later = Whiteouts::default();
        for layer in image.layers.iter().rev() {
            if !done.insert(layer.clone()) {
                continue;
            }
            if !files.has(layer) {
                walk.damage(
                    &chain,
                    &io::Error::other(format!(
                        "layer {} missing from the image",
                        label(layer.as_bytes())
                    )),
                );
                continue;
            }
            walk.layer.replace(Some(Layer {
                at,
                later: std::mem::take(&mut later),
                own: Whiteouts::default(),
            }));
            let read = member(walk, files, layer, &mut chain, depth);
            if let Some(l) = walk.layer.take() {
                later = l.later;
                later.extend(l.own);
            }
            read?;
            if walk.budget.stopped().is_some() {
                return Ok(true);
            }
        }
    }
    // Everything else: manifests, the index, anything added beside the image.
    for name in files.names() {
        if done.contains(&name) {
            continue;
        }
        member(walk, files, &name, &mut chain, depth)?;
        if walk.budget.stopped().is_some() {
            break;
        }
    }
    Ok(true)
}

/// Opens one file of the image. A layer is opened at the image's own depth: the image and
/// its layers are one level.
fn member(
    walk: &Walk<'_>,
    files: &mut dyn Files,
    name: &str,
    chain: &mut Vec<String>,
    depth: u32,
) -> io::Result<()> {
    if !walk.budget.member(walk.limits) {
        return Ok(());
    }
    files.enter(walk, name);
    let named = files.named_in_chain();
    let Some((mut part, size)) = files.open(name)? else {
        return Ok(());
    };
    if named {
        chain.push(label(name.as_bytes()));
    } else {
        // A file of a layout directory is a file read.
        Stats::add(&walk.tally.stats.files, 1);
        Stats::add(&walk.tally.stats.bytes, size);
    }
    let mut meter = Meter::new(&mut part, &walk.budget, walk.limits, None);
    walk.open(Input::Stream(&mut meter), chain, depth, 0);
    if named {
        chain.pop();
    }
    Ok(())
}

/// The regular files of the tar by name, when it has an image's manifest or index; `None`
/// for any other tar.
fn index<R: Read + Seek>(r: &mut R, max: u64) -> io::Result<Option<HashMap<String, Span>>> {
    let mut archive = tar::Archive::new(&mut *r);
    let mut files = HashMap::new();
    for (n, entry) in archive.entries_with_seek()?.enumerate() {
        if n as u64 > max {
            return Ok(None);
        }
        let entry = entry?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let name = normal(&name).to_string();
        files.insert(
            name,
            Span {
                at: entry.raw_file_position(),
                size: entry.size(),
            },
        );
    }
    let image = files.contains_key("manifest.json")
        || (files.contains_key("index.json") && files.contains_key("oci-layout"));
    Ok(image.then_some(files))
}

/// The images of an image's files: from `manifest.json` (`docker save`), else from
/// `index.json` (an OCI layout).
fn images(files: &mut dyn Files) -> Vec<Image> {
    let docker = json(files, "manifest.json")
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default();
    let mut out: Vec<Image> = docker
        .iter()
        .filter_map(|m| {
            let layers: Vec<String> = m
                .get("Layers")?
                .as_array()?
                .iter()
                .filter_map(|l| l.as_str().map(|s| normal(s).to_string()))
                .collect();
            let config = m
                .get("Config")
                .and_then(Value::as_str)
                .map(|s| normal(s).to_string());
            Some(Image { config, layers })
        })
        .collect();
    if out.is_empty() {
        let mut manifests = Vec::new();
        if let Some(idx) = json(files, "index.json") {
            oci_manifests(files, &idx, &mut manifests, 0);
        }
        for m in manifests {
            let config = m
                .get("config")
                .and_then(|c| c.get("digest"))
                .and_then(Value::as_str)
                .and_then(blob_path);
            let layers = m
                .get("layers")
                .and_then(Value::as_array)
                .map(|ls| {
                    ls.iter()
                        .filter_map(|l| l.get("digest").and_then(Value::as_str).and_then(blob_path))
                        .collect()
                })
                .unwrap_or_default();
            out.push(Image { config, layers });
        }
    }
    out
}

/// The image manifests an OCI index names, following nested indexes a few levels down.
fn oci_manifests(files: &mut dyn Files, idx: &Value, out: &mut Vec<Value>, level: u32) {
    let Some(list) = idx.get("manifests").and_then(Value::as_array) else {
        return;
    };
    for m in list {
        let Some(path) = m.get("digest").and_then(Value::as_str).and_then(blob_path) else {
            continue;
        };
        let Some(v) = json(files, &path) else {
            continue;
        };
        if v.get("manifests").is_some() {
            if level < 4 {
                oci_manifests(files, &v, out, level + 1);
            }
        } else {
            out.push(v);
        }
    }
}

/// `blobs/sha256/HEX` for a digest `sha256:HEX`.
fn blob_path(digest: &str) -> Option<String> {
    let (alg, hex) = digest.split_once(':')?;
    let safe = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric());
    (safe(alg) && safe(hex)).then(|| format!("blobs/{alg}/{hex}"))
}

/// A small JSON file of the image, parsed.
fn json(files: &mut dyn Files, name: &str) -> Option<Value> {
    let (r, size) = files.open(name).ok()??;
    if size > JSON_MAX {
        return None;
    }
    let mut buf = Vec::new();
    r.take(JSON_MAX).read_to_end(&mut buf).ok()?;
    serde_json::from_slice(&buf).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whiteouts_delete_paths_and_opaque_directories() {
        let mut w = Whiteouts::default();
        w.record("./etc/.wh.secret.env");
        w.record("app/.wh..wh..opq");
        w.record(".wh.root.txt");
        assert!(w.covers("etc/secret.env"));
        assert!(w.covers("./etc/secret.env"));
        assert!(!w.covers("etc/other.env"));
        assert!(w.covers("app/config/x.yml"));
        assert!(w.covers("root.txt"));
        assert!(!w.covers("application.yml"));
        let mut d = Whiteouts::default();
        d.record("opt/.wh.tool");
        assert!(d.covers("opt/tool/bin/config"));
        assert!(!d.covers("opt/toolbox"));
    }

    #[test]
    fn digests_become_blob_paths() {
        assert_eq!(
            blob_path("sha256:ab12").as_deref(),
            Some("blobs/sha256/ab12")
        );
        assert_eq!(blob_path("sha256:../../x"), None);
        assert_eq!(blob_path("nodigest"), None);
    }
}
