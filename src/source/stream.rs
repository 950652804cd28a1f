//! Streams: standard input (`-`, named `<stdin>` in reports), and pipes, process substitutions
//! and devices named on the command line (`keyhound scan <(cat creds.env)`), each read whole as
//! one blob, like ripgrep reads them. A stream has no length to check first, so it is read up to
//! the size limit and no further: a longer one is skipped and counted, and an endless one
//! (`/dev/zero`) cannot grow until memory runs out.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use super::fs::read_capped;
use crate::error::{Error, Result};

/// What reading a stream gave.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Stream {
    /// All of it, within the limit.
    Read(Vec<u8>),
    /// More than `max` bytes: skipped after reading `max + 1`.
    TooLarge,
}

/// Reads `r` to its end, or to one byte past `max`.
fn read_stream(r: impl Read, max: u64) -> io::Result<Stream> {
    let mut buf = Vec::new();
    Ok(if read_capped(r, max, &mut buf)? {
        Stream::Read(buf)
    } else {
        Stream::TooLarge
    })
}

/// Reads standard input, up to `max` bytes.
pub(crate) fn stdin(max: u64) -> Result<Stream> {
    read_stream(io::stdin().lock(), max).map_err(Error::Stdin)
}

/// Opens and reads the pipe or device at `path`, up to `max` bytes.
pub(crate) fn named(path: &Path, max: u64) -> io::Result<Stream> {
    read_stream(File::open(path)?, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_stop_at_the_limit() {
        assert_eq!(
            read_stream(&b"abc"[..], 3).ok(),
            Some(Stream::Read(b"abc".to_vec()))
        );
        assert_eq!(read_stream(&b"abcd"[..], 3).ok(), Some(Stream::TooLarge));
        // An endless stream ends at the limit.
        assert_eq!(
            read_stream(io::repeat(0), 1 << 20).ok(),
            Some(Stream::TooLarge)
        );
        // The largest limit does not wrap to zero.
        assert_eq!(
            read_stream(&b"abc"[..], u64::MAX).ok(),
            Some(Stream::Read(b"abc".to_vec()))
        );
    }
}
