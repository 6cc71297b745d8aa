//! Errors of the adapter.

use std::io;
use std::net::IpAddr;

/// What can fail while driving an OSPF core over the operating system.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An interface is missing or unreadable.
    #[error("interface {name}: {reason}")]
    Interface {
        /// Interface name.
        name: String,
        /// What went wrong.
        reason: String,
    },
    /// A socket call failed.
    #[error("{call} on {iface}: {source}")]
    Socket {
        /// The call (`socket`, `setsockopt(IP_PKTINFO)`, `sendto`, ...).
        call: &'static str,
        /// Interface name.
        iface: String,
        /// The OS error.
        source: io::Error,
    },
    /// The core asked to send to an address of the other IP version than
    /// the interface's socket.
    #[error("destination {dst} is not of the address family of {iface}'s socket")]
    Family {
        /// Interface name.
        iface: String,
        /// The destination.
        dst: IpAddr,
    },
    /// The core asked to send on an interface the driver has no socket for.
    #[error("no socket for interface index {0}")]
    UnknownInterface(u32),
}
