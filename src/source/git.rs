//! Git history as a source, read with git2. Every blob in the object database is read once, in
//! parallel (one repository handle per worker), no matter how many commits and paths hold it:
//! object headers are read first so that trees, commits and oversized blobs cost no
//! decompression. Only blobs that yield candidates are traced back to the commit that first
//! introduced them (oldest first, each distinct tree visited once), so a clean history costs
//! one pass over its blobs and nothing more.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use git2::{ObjectType, Oid, Repository, Sort, Tree};
use rayon::prelude::*;

use super::{text_content, Stats};
use crate::finding::CommitInfo;

/// Where a blob first appeared in history.
#[derive(Debug, Clone)]
pub struct Provenance {
    pub commit: CommitInfo,
    pub path: String,
    /// Position of the commit in the oldest-first walk: lower is older.
    pub order: usize,
}

/// Tunes libgit2's process-wide options for reading every object once: no object cache, at
/// most 256 MiB of mapped pack windows so that memory stays bounded on large histories, and no
/// SHA-1 re-hashing of every object read (a third of the CPU time; a damaged object still fails
/// to inflate and is reported).
pub fn configure() -> Result<(), git2::Error> {
    git2::opts::strict_hash_verification(false);
    // SAFETY: these setters are unsafe only because they must not race with other libgit2
    // calls; they run once, before any repository is opened.
    unsafe {
        // Every object is read once (the history walk visits each tree once too), so
        // libgit2's object cache would only hold memory.
        git2::opts::enable_caching(false);
        git2::opts::set_mwindow_mapped_limit(256 << 20)?;
        git2::opts::set_mwindow_size(64 << 20)?;
    }
    Ok(())
}

/// Opens the repository at `path` (a work tree, its `.git` directory, or a bare repository).
pub fn open(path: &Path) -> Result<Repository, git2::Error> {
    Repository::open(path)
}

/// Is `path` the top of a git repository (work tree or bare)?
pub fn is_repository(path: &Path) -> bool {
    path.join(".git").exists() || (path.join("HEAD").is_file() && path.join("objects").is_dir())
}

/// Every object id in the repository's object database, sorted and without duplicates.
pub fn all_objects(repo: &Repository) -> Result<Vec<Oid>, git2::Error> {
    let odb = repo.odb()?;
    let mut oids = Vec::new();
    odb.foreach(|oid| {
        oids.push(*oid);
        true
    })?;
    oids.sort_unstable();
    oids.dedup();
    Ok(oids)
}

/// The repository's loose objects, read by keyhound itself rather than libgit2: libgit2 1.9
/// spins forever inflating a truncated loose object, and a damaged object must be an error
/// that the scan reports and moves past.
pub struct LooseObjects {
    dir: PathBuf,
    ids: HashSet<Oid>,
}

/// An object read from the object database.
pub struct Object {
    pub kind: ObjectType,
    pub data: Vec<u8>,
}

impl LooseObjects {
    /// Lists the loose objects under `git_dir/objects`.
    pub fn list(git_dir: &Path) -> LooseObjects {
        let dir = git_dir.join("objects");
        let mut ids = HashSet::new();
        if let Ok(fans) = std::fs::read_dir(&dir) {
            for fan in fans.flatten() {
                let name = fan.file_name();
                let Some(prefix) = name
                    .to_str()
                    .filter(|n| n.len() == 2 && n.bytes().all(|b| b.is_ascii_hexdigit()))
                else {
                    continue;
                };
                let Ok(files) = std::fs::read_dir(fan.path()) else {
                    continue;
                };
                for f in files.flatten() {
                    if let Some(rest) = f.file_name().to_str() {
                        if let Ok(oid) = Oid::from_str(&format!("{prefix}{rest}")) {
                            ids.insert(oid);
                        }
                    }
                }
            }
        }
        LooseObjects { dir, ids }
    }

    pub fn contains(&self, oid: &Oid) -> bool {
        self.ids.contains(oid)
    }

    /// Reads and inflates one loose object; `max` caps the inflated size (larger objects give
    /// `Ok(None)` after reading only their header).
    pub fn read(&self, oid: &Oid, max: u64) -> Result<Option<Object>, String> {
        use std::io::Read as _;
        let hex = oid.to_string();
        let path = self
            .dir
            .join(hex.get(..2).unwrap_or_default())
            .join(hex.get(2..).unwrap_or_default());
        let file = std::fs::File::open(&path).map_err(|e| format!("git object {oid}: {e}"))?;
        let mut z = flate2::read::ZlibDecoder::new(std::io::BufReader::new(file));
        let mut header = Vec::with_capacity(32);
        let mut byte = [0u8; 1];
        loop {
            match z.read(&mut byte) {
                Ok(1) => {}
                Ok(_) => return Err(format!("git object {oid}: truncated header")),
                Err(e) => return Err(format!("git object {oid}: damaged ({e})")),
            }
            let [b] = byte;
            if b == 0 {
                break;
            }
            header.push(b);
            if header.len() > 32 {
                return Err(format!("git object {oid}: bad header"));
            }
        }
        let header = String::from_utf8_lossy(&header).into_owned();
        let (kind, size) = header
            .split_once(' ')
            .and_then(|(k, n)| Some((k, n.parse::<u64>().ok()?)))
            .ok_or_else(|| format!("git object {oid}: bad header {header:?}"))?;
        let kind = match kind {
            "blob" => ObjectType::Blob,
            "tree" => ObjectType::Tree,
            "commit" => ObjectType::Commit,
            "tag" => ObjectType::Tag,
            _ => return Err(format!("git object {oid}: unknown type {kind:?}")),
        };
        if kind != ObjectType::Blob {
            return Ok(Some(Object {
                kind,
                data: Vec::new(),
            }));
        }
        if size > max {
            return Ok(None);
        }
        let mut data = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        z.take(size + 1)
            .read_to_end(&mut data)
            .map_err(|e| format!("git object {oid}: damaged ({e})"))?;
        if data.len() as u64 != size {
            return Err(format!(
                "git object {oid}: truncated ({} of {size} bytes)",
                data.len()
            ));
        }
        Ok(Some(Object { kind, data }))
    }
}

/// A blob's bytes, owned or held by libgit2 (no copy).
pub enum BlobData<'o> {
    Owned(Vec<u8>),
    Odb(git2::OdbObject<'o>),
}

impl BlobData<'_> {
    pub fn bytes(&self) -> &[u8] {
        match self {
            BlobData::Owned(v) => v,
            BlobData::Odb(o) => o.data(),
        }
    }
}

/// Every object id in the repository, in the order the bytes lie on disk: pack by pack, by
/// offset, then the loose objects. Reading in this order lets each thread walk its pack window
/// forward instead of jumping around 300 MB of pack, which keeps the mapped windows (and so
/// memory) small without remapping. Falls back to `all_objects` (id order) when a pack index
/// cannot be read or the repository borrows objects from alternates.
pub fn objects_in_pack_order(repo: &Repository) -> Result<Vec<Oid>, git2::Error> {
    let objects = repo.path().join("objects");
    if objects.join("info").join("alternates").exists() {
        return all_objects(repo);
    }
    let mut idx_files: Vec<PathBuf> = std::fs::read_dir(objects.join("pack"))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "idx"))
                .collect()
        })
        .unwrap_or_default();
    idx_files.sort();
    let mut out: Vec<Oid> = Vec::new();
    for idx in &idx_files {
        let Some(mut entries) = std::fs::read(idx).ok().and_then(|d| parse_pack_index(&d)) else {
            return all_objects(repo);
        };
        entries.sort_unstable_by_key(|e| e.1);
        out.extend(entries.into_iter().map(|e| e.0));
    }
    let loose = LooseObjects::list(repo.path());
    let mut loose_ids: Vec<Oid> = loose.ids.into_iter().collect();
    loose_ids.sort_unstable();
    out.extend(loose_ids);
    if idx_files.len() > 1 || !out.is_empty() {
        let mut seen: HashSet<Oid> = HashSet::with_capacity(out.len());
        out.retain(|o| seen.insert(*o));
    }
    Ok(out)
}

/// (object id, offset) of every object in a version-2 pack index.
fn parse_pack_index(d: &[u8]) -> Option<Vec<(Oid, u64)>> {
    let be32 = |at: usize| -> Option<u32> {
        Some(u32::from_be_bytes(d.get(at..at + 4)?.try_into().ok()?))
    };
    if d.get(0..4) != Some(&[0xff, 0x74, 0x4f, 0x63][..]) || be32(4)? != 2 {
        return None;
    }
    let n = usize::try_from(be32(8 + 255 * 4)?).ok()?;
    let shas = 8 + 1024;
    let offsets = shas + 20 * n + 4 * n;
    let large = offsets + 4 * n;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let oid = Oid::from_bytes(d.get(shas + 20 * i..shas + 20 * (i + 1))?).ok()?;
        let off = be32(offsets + 4 * i)?;
        let offset = if off & 0x8000_0000 == 0 {
            u64::from(off)
        } else {
            let at = large + 8 * usize::try_from(off & 0x7fff_ffff).ok()?;
            u64::from_be_bytes(d.get(at..at + 8)?.try_into().ok()?)
        };
        out.push((oid, offset));
    }
    Some(out)
}

/// Reads every blob among `oids` in parallel and calls `visit(oid, text)` for each text blob
/// within the size limit. Returns the ids of the blobs that were read and scanned.
pub fn scan_blobs<F>(
    repo_path: &Path,
    oids: &[Oid],
    max_size: u64,
    stats: &Stats,
    progress: &indicatif::ProgressBar,
    visit: F,
) -> HashSet<Oid>
where
    F: Fn(Oid, &[u8]) + Sync,
{
    progress.set_length(oids.len() as u64);
    let loose = LooseObjects::list(repo_path);
    let scanned: Mutex<HashSet<Oid>> = Mutex::new(HashSet::new());
    oids.par_chunks(512).for_each(|chunk| {
        let repo = match Repository::open(repo_path) {
            Ok(r) => r,
            Err(e) => {
                stats.error(format!("{}: {}", repo_path.display(), e.message()));
                return;
            }
        };
        let odb = match repo.odb() {
            Ok(o) => o,
            Err(e) => {
                stats.error(format!("{}: {}", repo_path.display(), e.message()));
                return;
            }
        };
        let mut local = Vec::new();
        for &oid in chunk {
            let Some(blob) = read_blob(&odb, &loose, oid, max_size, stats) else {
                continue;
            };
            let data = blob.bytes();
            Stats::add(&stats.blobs, 1);
            Stats::add(&stats.blob_bytes, data.len() as u64);
            local.push(oid);
            match text_content(data) {
                Some(text) => visit(oid, &text),
                None => Stats::add(&stats.skipped_binary, 1),
            }
        }
        if let Ok(mut s) = scanned.lock() {
            s.extend(local);
        }
        progress.inc(chunk.len() as u64);
    });
    progress.finish_and_clear();
    scanned.into_inner().unwrap_or_default()
}

/// The content of `oid` if it is a blob within `max_size`. Objects of other types give `None`;
/// oversized blobs are counted as skipped; damaged or missing objects are counted as errors.
/// Loose objects are read by keyhound, packed ones by libgit2 (header first, so that trees,
/// commits and oversized blobs are never inflated).
pub fn read_blob<'o>(
    odb: &'o git2::Odb<'_>,
    loose: &LooseObjects,
    oid: Oid,
    max_size: u64,
    stats: &Stats,
) -> Option<BlobData<'o>> {
    if loose.contains(&oid) {
        return match loose.read(&oid, max_size) {
            Ok(Some(obj)) if obj.kind == ObjectType::Blob => Some(BlobData::Owned(obj.data)),
            Ok(Some(_)) => None,
            Ok(None) => {
                Stats::add(&stats.skipped_large, 1);
                None
            }
            Err(e) => {
                stats.error(e);
                None
            }
        };
    }
    let (size, kind) = match odb.read_header(oid) {
        Ok(h) => h,
        Err(e) => {
            stats.error(format!("git object {oid}: {}", e.message()));
            return None;
        }
    };
    if kind != ObjectType::Blob {
        return None;
    }
    if size as u64 > max_size {
        Stats::add(&stats.skipped_large, 1);
        return None;
    }
    match odb.read(oid) {
        Ok(o) => Some(BlobData::Odb(o)),
        Err(e) => {
            stats.error(format!("git blob {oid}: {}", e.message()));
            None
        }
    }
}

/// Formats a git time as ISO 8601 with its offset.
pub fn iso_date(time: git2::Time) -> String {
    let offset_min = time.offset_minutes();
    let local = time.seconds() + i64::from(offset_min) * 60;
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let sign = if offset_min < 0 { '-' } else { '+' };
    let off = offset_min.unsigned_abs();
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60,
        off / 60,
        off % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (Howard Hinnant's method).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The author and date of a commit, as reports show them.
pub fn commit_info(repo: &Repository, id: Oid) -> CommitInfo {
    match repo.find_commit(id) {
        Ok(c) => {
            let a = c.author();
            CommitInfo {
                id: id.to_string(),
                author: String::from_utf8_lossy(a.name_bytes()).into_owned(),
                email: String::from_utf8_lossy(a.email_bytes()).into_owned(),
                date: iso_date(a.when()),
            }
        }
        Err(_) => CommitInfo {
            id: id.to_string(),
            author: String::new(),
            email: String::new(),
            date: String::new(),
        },
    }
}

/// A revision walk over every ref (branches, tags, remotes, stash, a detached HEAD), oldest
/// commits first.
fn walk_all(repo: &Repository) -> Result<git2::Revwalk<'_>, git2::Error> {
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME | Sort::REVERSE)?;
    walk.push_glob("*")?;
    if repo.head().is_ok() {
        // A detached HEAD is reachable from no ref.
        let _ = walk.push_head();
    }
    Ok(walk)
}

/// Where a blob first appears in history: the oldest commit (by position in an oldest-first
/// walk of every ref) whose tree holds it, and its path there.
#[derive(Debug, Clone)]
pub struct BlobPlace {
    pub commit: Oid,
    pub path: String,
    pub order: usize,
}

/// Walks every commit reachable from any ref, oldest first, visiting each distinct tree once,
/// and records where each blob first appears. A tree entry whose object is missing from the
/// database is an error (the scan of the remaining blobs goes on): listing the database alone
/// would never notice it.
pub fn walk_history(git_dir: &Path, stats: &Stats) -> HashMap<Oid, BlobPlace> {
    let mut places: HashMap<Oid, BlobPlace> = HashMap::new();
    let repo = match Repository::open(git_dir) {
        Ok(r) => r,
        Err(e) => {
            stats.error(format!("{}: {}", git_dir.display(), e.message()));
            return places;
        }
    };
    let odb = match repo.odb() {
        Ok(o) => o,
        Err(e) => {
            stats.error(format!("{}: {}", git_dir.display(), e.message()));
            return places;
        }
    };
    let walk = match walk_all(&repo) {
        Ok(w) => w,
        Err(e) => {
            // An empty repository has no refs to walk: nothing to place, not an error.
            if e.code() != git2::ErrorCode::NotFound && e.code() != git2::ErrorCode::UnbornBranch {
                stats.error(format!("walking history: {}", e.message()));
            }
            return places;
        }
    };
    let mut seen_trees: HashSet<Oid> = HashSet::new();
    for (order, id) in walk.enumerate() {
        let id = match id {
            Ok(id) => id,
            Err(e) => {
                stats.error(format!("walking history: {}", e.message()));
                continue;
            }
        };
        let tree = match repo.find_commit(id).and_then(|c| c.tree()) {
            Ok(t) => t,
            Err(e) => {
                stats.error(format!("commit {id}: {}", e.message()));
                continue;
            }
        };
        let mut visit = TreeVisit {
            repo: &repo,
            odb: &odb,
            seen: &mut seen_trees,
            places: &mut places,
            commit: id,
            order,
            stats,
        };
        visit.tree(&tree, "");
    }
    places
}

struct TreeVisit<'a, 'r> {
    repo: &'r Repository,
    odb: &'a git2::Odb<'r>,
    seen: &'a mut HashSet<Oid>,
    places: &'a mut HashMap<Oid, BlobPlace>,
    commit: Oid,
    order: usize,
    stats: &'a Stats,
}

impl TreeVisit<'_, '_> {
    fn tree(&mut self, tree: &Tree<'_>, prefix: &str) {
        if !self.seen.insert(tree.id()) {
            return;
        }
        for entry in tree.iter() {
            let oid = entry.id();
            match entry.kind() {
                Some(ObjectType::Blob) => {
                    if self.places.contains_key(&oid) {
                        continue;
                    }
                    let path = join(prefix, entry.name_bytes());
                    if !self.odb.exists(oid) {
                        self.stats.error(format!(
                            "git blob {oid} ({path} in commit {}) is missing from the repository",
                            self.commit
                        ));
                    }
                    self.places.insert(
                        oid,
                        BlobPlace {
                            commit: self.commit,
                            path,
                            order: self.order,
                        },
                    );
                }
                Some(ObjectType::Tree) => {
                    if self.seen.contains(&oid) {
                        continue;
                    }
                    let path = join(prefix, entry.name_bytes());
                    match self.repo.find_tree(oid) {
                        Ok(sub) => self.tree(&sub, &path),
                        Err(e) => self.stats.error(format!(
                            "git tree {oid} ({path} in commit {}): {}",
                            self.commit,
                            e.message()
                        )),
                    }
                }
                _ => {}
            }
        }
    }
}

fn join(prefix: &str, name: &[u8]) -> String {
    let name = String::from_utf8_lossy(name);
    if prefix.is_empty() {
        name.into_owned()
    } else {
        format!("{prefix}/{name}")
    }
}

/// Blob ids in the tree of HEAD (empty when there is no HEAD).
pub fn head_blobs(repo: &Repository) -> HashSet<Oid> {
    let mut out = HashSet::new();
    let Ok(tree) = repo.head().and_then(|h| h.peel_to_tree()) else {
        return out;
    };
    let _ = tree.walk(git2::TreeWalkMode::PreOrder, |_, entry| {
        if entry.kind() == Some(ObjectType::Blob) {
            out.insert(entry.id());
        }
        git2::TreeWalkResult::Ok
    });
    out
}

/// The index's view of the work tree: for each tracked file, its blob id and the size and
/// modification time git recorded. A file whose size and mtime still match holds that blob,
/// so it need not be read again when the blob was scanned from history.
pub struct IndexStat {
    workdir: PathBuf,
    entries: HashMap<PathBuf, (Oid, u32, i32, u32)>,
}

impl IndexStat {
    /// Reads the index of `repo`; `None` for a bare repository or an unreadable index.
    pub fn load(repo: &Repository) -> Option<IndexStat> {
        let workdir = std::fs::canonicalize(repo.workdir()?).ok()?;
        let index = repo.index().ok()?;
        let mut entries = HashMap::with_capacity(index.len());
        for e in index.iter() {
            let path = PathBuf::from(String::from_utf8_lossy(&e.path).into_owned());
            entries.insert(
                path,
                (e.id, e.file_size, e.mtime.seconds(), e.mtime.nanoseconds()),
            );
        }
        Some(IndexStat { workdir, entries })
    }

    /// The work tree this index describes.
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// The blob a work-tree file holds, when its size and mtime match the index entry.
    /// `rel` is the path relative to the work tree.
    pub fn unchanged_blob(&self, rel: &Path, meta: &std::fs::Metadata) -> Option<Oid> {
        let &(oid, size, secs, nanos) = self.entries.get(rel)?;
        if u64::from(size) != meta.len() {
            return None;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            if meta.mtime() != i64::from(secs) || meta.mtime_nsec() != i64::from(nanos) {
                return None;
            }
            Some(oid)
        }
        #[cfg(not(unix))]
        {
            let _ = (secs, nanos, oid);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_order_lists_exactly_the_objects() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let git = |args: &[&str]| {
            let ok = std::process::Command::new("git")
                .args([
                    "-c",
                    "user.name=t",
                    "-c",
                    "user.email=t@example.com",
                    "-c",
                    "commit.gpgsign=false",
                ])
                .args(args)
                .current_dir(dir.path())
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("HOME", dir.path())
                .output()
                .is_ok_and(|o| o.status.success());
            assert!(ok, "git {args:?}");
        };
        git(&["init", "-q"]);
        for i in 0..30 {
            std::fs::write(
                dir.path().join(format!("f{}", i % 7)),
                format!("line {i}\n").repeat(i + 1),
            )
            .unwrap_or_else(|e| panic!("{e}"));
            git(&["add", "-A"]);
            git(&["commit", "-qm", &format!("c{i}")]);
            if i == 20 {
                git(&["gc", "-q"]);
            }
        }
        let repo = Repository::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let mut ordered = objects_in_pack_order(&repo).unwrap_or_else(|e| panic!("{e}"));
        let all = all_objects(&repo).unwrap_or_else(|e| panic!("{e}"));
        assert!(repo
            .path()
            .join("objects/pack")
            .read_dir()
            .is_ok_and(|mut d| d.next().is_some()));
        assert!(
            !LooseObjects::list(repo.path()).ids.is_empty(),
            "some objects stay loose"
        );
        ordered.sort_unstable();
        assert_eq!(ordered, all);
    }

    #[test]
    fn dates_format_with_offset() {
        assert_eq!(iso_date(git2::Time::new(0, 0)), "1970-01-01T00:00:00+00:00");
        assert_eq!(
            iso_date(git2::Time::new(1_700_000_000, 60)),
            "2023-11-14T23:13:20+01:00"
        );
        assert_eq!(
            iso_date(git2::Time::new(951_782_400, -300)),
            "2000-02-28T19:00:00-05:00"
        );
    }
}
