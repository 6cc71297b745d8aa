//! The `ospf-router` example as a library, so tests can run the router
//! in-process on a thread inside a network namespace.
//!
//! - [`config`]: the TOML file, refused with `file:line: reason`.
//! - [`router`]: the configuration as an `ospf-lsdb` instance driven by
//!   `ospf-tokio`, events as JSON objects.
//! - [`output`]: the JSON form of events and routes.
//! - [`show`]: the routing table as `ospfctl show rib` shows it.
//! - [`inject`] and [`topology`]: `--inject-topology N`, a neighbour that
//!   hands the SPF benchmark's synthetic area to a peer.
#![warn(missing_docs)]

pub mod bfd;
pub mod config;
pub mod inject;
pub mod output;
pub mod router;
pub mod show;
pub mod topology;

use std::net::Ipv4Addr;

/// AllSPFRouters (RFC 2328 A.1).
pub const ALL_SPF_ROUTERS: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 5);
