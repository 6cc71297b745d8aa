//! Errors of the adapter.

use std::io;

/// What can go wrong outside the protocol.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A listener could not be set up.
    #[error("listen on UDP port {port}: {source}")]
    Listen {
        /// The port.
        port: u16,
        /// Why.
        source: io::Error,
    },
    /// An interface name that does not resolve.
    #[error("interface {name}: {source}")]
    Interface {
        /// The name.
        name: String,
        /// Why.
        source: io::Error,
    },
    /// A socket call failed.
    #[error("socket: {0}")]
    Socket(#[source] io::Error),
    /// The session table refused the session.
    #[error(transparent)]
    Config(#[from] bfd::ConfigError),
}
