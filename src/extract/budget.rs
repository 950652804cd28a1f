//! What one top-level file may cost once its archives are opened: `Limits` (depth, decompressed
//! bytes, compression ratio, members) and the `Budget` that spends them. Every byte that comes
//! out of a decompressor or an archive member goes through a `Meter`, which stops the reading
//! (an `io::Error` that `Budget::stopped` recognises) the moment a limit is passed, so a zip
//! bomb costs at most the limit in time and one member's buffer in memory.

use std::cell::Cell;
use std::io::{self, Read};

/// Limits on opening archives, per top-level file (a file on disk, a git blob, a stream).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// Containers opened one inside another at most; 0 opens none.
    pub max_depth: u32,
    /// Decompressed bytes at most, all members and levels together.
    pub max_total: u64,
    /// Decompressed bytes per compressed byte at most, once `RATIO_FLOOR` bytes came out.
    pub max_ratio: u64,
    /// Members (files, directories, links) at most, all levels together.
    pub max_members: u64,
    /// A member scanned as text is held in memory up to this size (`--max-file-size`).
    pub max_member_size: u64,
    /// What is done with content that is not a container (binary strings or not): the same
    /// for a top-level file as for a member.
    pub extract: super::Extract,
}

/// Default `--max-archive-depth`.
pub(crate) const DEFAULT_DEPTH: u32 = 3;
/// Default `--max-archive-size`: 1 GiB.
pub(crate) const DEFAULT_TOTAL: u64 = 1 << 30;
/// Default ratio limit. Deflate tops out near 1,032:1 on a run of one byte; source text and
/// logs compress 3:1 to 30:1, the most repetitive data files about 100:1.
pub(crate) const DEFAULT_RATIO: u64 = 200;
/// Default member limit: a tar of a million empty entries is refused, a container image with
/// a large `node_modules` is not.
pub(crate) const DEFAULT_MEMBERS: u64 = 250_000;
/// The ratio is judged only after this many bytes came out of one stream: a small file that
/// compresses very well is no threat.
pub(crate) const RATIO_FLOOR: u64 = 8 << 20;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: DEFAULT_DEPTH,
            max_total: DEFAULT_TOTAL,
            max_ratio: DEFAULT_RATIO,
            max_members: DEFAULT_MEMBERS,
            max_member_size: 25 << 20,
            extract: super::Extract::default(),
        }
    }
}

/// Why the opening of a top-level file was cut short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// More than `max_total` decompressed bytes.
    Size,
    /// A stream past `max_ratio`, or zip entries that share their compressed data.
    Ratio,
    /// More than `max_members` members.
    Members,
}

/// What one top-level file has spent so far. Single-threaded: one file is opened by one
/// thread, files in parallel.
#[derive(Debug, Default)]
pub(crate) struct Budget {
    out: Cell<u64>,
    members: Cell<u64>,
    stop: Cell<Option<Stop>>,
}

/// The message of the error a `Meter` returns when a limit is passed.
const STOPPED: &str = "archive limit reached";

impl Budget {
    /// Why reading stopped, once a limit was passed.
    pub(crate) fn stopped(&self) -> Option<Stop> {
        self.stop.get()
    }

    /// Stops all further reading (the first reason is kept).
    pub(crate) fn stop(&self, why: Stop) {
        if self.stop.get().is_none() {
            self.stop.set(Some(why));
        }
    }

    /// Counts one member; false (and stopped) past the limit.
    pub(crate) fn member(&self, limits: &Limits) -> bool {
        let n = self.members.get() + 1;
        self.members.set(n);
        if n > limits.max_members {
            self.stop(Stop::Members);
        }
        self.stop.get().is_none()
    }

    /// Decompressed bytes so far.
    pub(crate) fn spent(&self) -> u64 {
        self.out.get()
    }

    fn spend(&self, n: u64, limits: &Limits) -> io::Result<()> {
        let total = self.out.get().saturating_add(n);
        self.out.set(total);
        if total > limits.max_total {
            self.stop(Stop::Size);
        }
        match self.stop.get() {
            Some(_) => Err(io::Error::other(STOPPED)),
            None => Ok(()),
        }
    }
}

/// Whether an error is the one a `Meter` returns on a passed limit.
pub(crate) fn is_stop(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::Other && e.to_string() == STOPPED
}

/// Counts the compressed bytes a decompressor reads.
pub(crate) struct CountIn<'c, R> {
    pub inner: R,
    pub count: &'c Cell<u64>,
}

impl<R: Read> Read for CountIn<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get().saturating_add(n as u64));
        Ok(n)
    }
}

/// Meters decompressed bytes against the budget and, when the compressed size is known, the
/// ratio of this stream.
pub(crate) struct Meter<'b, R> {
    inner: R,
    budget: &'b Budget,
    limits: &'b Limits,
    /// Compressed bytes read so far (or declared), when the ratio is judged.
    compressed: Option<&'b Cell<u64>>,
    out: u64,
}

impl<'b, R: Read> Meter<'b, R> {
    pub(crate) fn new(
        inner: R,
        budget: &'b Budget,
        limits: &'b Limits,
        compressed: Option<&'b Cell<u64>>,
    ) -> Self {
        Meter {
            inner,
            budget,
            limits,
            compressed,
            out: 0,
        }
    }
}

impl<R: Read> Read for Meter<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.budget.stopped().is_some() {
            return Err(io::Error::other(STOPPED));
        }
        let n = self.inner.read(buf)?;
        self.out = self.out.saturating_add(n as u64);
        if let Some(c) = self.compressed {
            if self.out > RATIO_FLOOR && self.out / c.get().max(1) > self.limits.max_ratio {
                self.budget.stop(Stop::Ratio);
            }
        }
        self.budget.spend(n as u64, self.limits)?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meter_stops_at_the_size_limit_and_on_ratio() {
        let limits = Limits {
            max_total: 100,
            ..Limits::default()
        };
        let budget = Budget::default();
        let mut m = Meter::new(io::repeat(0).take(1000), &budget, &limits, None);
        let mut out = Vec::new();
        let e = m.read_to_end(&mut out).err();
        assert!(e.as_ref().is_some_and(is_stop), "{e:?}");
        assert_eq!(budget.stopped(), Some(Stop::Size));
        assert!(out.len() <= 100 + 8192);

        let limits = Limits::default();
        let budget = Budget::default();
        let compressed = Cell::new(10);
        let mut m = Meter::new(
            io::repeat(0).take(RATIO_FLOOR * 2),
            &budget,
            &limits,
            Some(&compressed),
        );
        assert!(m.read_to_end(&mut Vec::new()).is_err());
        assert_eq!(budget.stopped(), Some(Stop::Ratio));
    }

    #[test]
    fn members_are_counted() {
        let limits = Limits {
            max_members: 2,
            ..Limits::default()
        };
        let b = Budget::default();
        assert!(b.member(&limits));
        assert!(b.member(&limits));
        assert!(!b.member(&limits));
        assert_eq!(b.stopped(), Some(Stop::Members));
    }
}
