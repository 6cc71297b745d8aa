//! # rib
//!
//! The routing information base every protocol of the family shares: routes of every
//! source in one table per address family, the BGP decision process step by step with the
//! reason each path lost, multipath, administrative distance across protocols, routing
//! policy, and the forwarding table as a stream of changes.
//!
//! Written by the crates that compute routes (`ospf-lsdb` hands over [`RouteChange`]s;
//! a BGP speaker hands over received UPDATEs with [`Rib::handle_update`]) and read by
//! whatever programs the kernel ([`Rib::poll_fib`]) or advertises routes
//! ([`Rib::poll_best`]).
//!
//! ## Determinism contract
//!
//! The crate is sans-IO: it never reads a clock, opens a socket or draws ambient
//! randomness. Inputs that record time take `now`; hash tables are keyed from
//! [`RibConfig::seed`]. The same configuration and inputs give the same outputs in the same
//! order.
//!
//! ## Call order
//!
//! Inputs ([`Rib::handle_update`], [`Rib::announce`], [`Rib::withdraw`],
//! [`Rib::withdraw_peer`], [`Rib::add_route`], ...) update the table and decide at once.
//! Changes are reported by polling, in any order and as late as suits the caller:
//! [`Rib::poll_best`] until `None` (best-path changes, for a speaker to advertise), then
//! [`Rib::poll_fib`] until `None` (forwarding changes, for the kernel). Both coalesce per
//! prefix: a prefix changed many times between two polls is reported once, in its latest
//! state, so a slow consumer costs at most one queued entry per prefix.
//!
//! With the `serde` feature the route types derive `Serialize` and `Deserialize`.
#![warn(missing_docs)]
#![deny(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod arena;
mod attrs;
pub mod decision;
mod key;
mod nexthop;
pub mod policy;
mod rib;
mod route;
pub mod route_attrs;
mod slots;
mod table;

pub use decision::{BestPathConfig, PeerKind, Rule};
pub use ipnet::IpNet;
pub use nexthop::NextHopMode;
pub use rib::*;
pub use route::{NextHop, PathType, Protocol, Route, RouteChange, RouteKind};
pub use route_attrs::{IfName, NextHopAction, PathAttrs, PolicyRoute};
