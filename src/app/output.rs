//! Files a scan writes (the `-o` report, the `--write-baseline` file): opened before anything
//! is scanned, so that a path that cannot be written fails at once rather than after a long
//! scan and its verification, and replaced only when the scan is done. The report file is also
//! recognised by identity, so that the walk never scans keyhound's own output.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A file opened for writing, not yet truncated.
#[derive(Debug)]
pub(crate) struct OutputFile {
    pub path: PathBuf,
    file: File,
    /// Its identity, to recognise it while walking.
    id: FileId,
}

impl OutputFile {
    /// Opens (creating it if needed, truncating nothing yet) the file `flag` names.
    pub(crate) fn open(flag: &'static str, path: &Path) -> Result<OutputFile> {
        let err = |e| Error::flag_file(flag, path, e);
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(err)?;
        let meta = file.metadata().map_err(err)?;
        Ok(OutputFile {
            path: path.to_path_buf(),
            id: FileId::of(path, &meta),
            file,
        })
    }

    /// Whether the walked file at `path` with `meta` is this file.
    pub(crate) fn is(&self, path: &Path, meta: &Metadata) -> bool {
        self.id.same(&FileId::of(path, meta))
    }

    /// Replaces the content with what `write` writes.
    pub(crate) fn replace(
        &mut self,
        write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> io::Result<()> {
        // A regular file is emptied first; `-o /dev/stdout` or a pipe cannot be, nor need be.
        if self.file.metadata()?.is_file() {
            self.file.set_len(0)?;
        }
        let mut w = BufWriter::new(&self.file);
        write(&mut w)?;
        w.flush()
    }
}

/// What makes two paths the same file.
#[derive(Debug)]
enum FileId {
    #[cfg(unix)]
    Inode { dev: u64, ino: u64 },
    #[cfg(not(unix))]
    Path(Option<PathBuf>),
}

impl FileId {
    #[cfg(unix)]
    fn of(_path: &Path, meta: &Metadata) -> FileId {
        use std::os::unix::fs::MetadataExt;
        FileId::Inode {
            dev: meta.dev(),
            ino: meta.ino(),
        }
    }

    #[cfg(not(unix))]
    fn of(path: &Path, _meta: &Metadata) -> FileId {
        FileId::Path(std::fs::canonicalize(path).ok())
    }

    fn same(&self, other: &FileId) -> bool {
        match (self, other) {
            #[cfg(unix)]
            (FileId::Inode { dev, ino }, FileId::Inode { dev: d, ino: i }) => dev == d && ino == i,
            #[cfg(not(unix))]
            (FileId::Path(Some(a)), FileId::Path(Some(b))) => a == b,
            #[cfg(not(unix))]
            _ => false,
        }
    }
}
