//! The `ospf-router` example as a library, so tests can run the router
//! in-process on a thread inside a network namespace.
//!
//! - [`config`]: the TOML file, refused with `file:line: reason`.
//! - [`router`]: the configuration as an `ospf-lsdb` instance driven by
//!   `ospf-tokio`, events as JSON objects.
//! - [`output`]: the JSON form of events and routes.
//! - [`show`]: the routing table as `ospfctl show rib` shows it.
//! - [`inject`] and [`topology`]: `--inject-topology N`, the engine with the
//!   SPF benchmark's synthetic area injected, handed to a peer by database
//!   exchange.
#![warn(missing_docs)]

pub mod bfd;
pub mod config;
pub mod inject;
pub mod output;
pub mod router;
pub mod show;
pub mod topology;
