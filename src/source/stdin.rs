//! Standard input as one blob, named `<stdin>` in reports.

use std::io::Read;

use crate::error::{Error, Result};

/// Reads all of standard input.
pub(crate) fn read_all() -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut buf)
        .map_err(Error::Stdin)?;
    Ok(buf)
}
