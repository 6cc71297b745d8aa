//! Errors of the adapter.

use std::io;

/// Why a netlink operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The netlink socket could not be opened, set up, written or read.
    #[error("netlink socket: {0}")]
    Socket(#[source] io::Error),
    /// The kernel refused a dump request.
    #[error("dump of {what} refused: {source}")]
    Dump {
        /// What was dumped.
        what: &'static str,
        /// The errno the kernel answered.
        #[source]
        source: io::Error,
    },
    /// A dump was interrupted by changes too many times in a row to give a consistent view.
    #[error("dump of {what} interrupted by changes {tries} times")]
    Interrupted {
        /// What was dumped.
        what: &'static str,
        /// Attempts made.
        tries: u32,
    },
}

/// Result of this crate's I/O.
pub type Result<T> = std::result::Result<T, Error>;
