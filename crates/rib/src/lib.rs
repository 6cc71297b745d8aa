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
//! ## Example
//!
//! Two neighbours announce the same prefix; the table picks the shorter AS path and says
//! why the other path lost.
//!
//! ```
//! use std::time::Instant;
//! use bgp_wire::attribute::{AsPath, NextHop};
//! use bgp_wire::{nlri::Nlri, Asn};
//! use rib::{PathAttrs, PeerConfig, Rib, RibConfig};
//!
//! let now = Instant::now();
//! let mut rib = Rib::new(RibConfig::new(Asn(65000), "10.0.0.1".parse()?));
//! let a = rib.add_peer(PeerConfig::external("192.0.2.1".parse()?, Asn(65001), "192.0.2.1".parse()?));
//! let b = rib.add_peer(PeerConfig::external("192.0.2.2".parse()?, Asn(65002), "192.0.2.2".parse()?));
//!
//! let prefix = "10.244.0.0/24".parse()?;
//! let path = |asns: &[u32]| PathAttrs { as_path: AsPath::from_sequence(asns.iter().copied()), ..Default::default() };
//! rib.announce(now, a, Nlri::new(prefix), NextHop::Ipv4("192.0.2.1".parse()?), &path(&[65001, 65100]));
//! rib.announce(now, b, Nlri::new(prefix), NextHop::Ipv4("192.0.2.2".parse()?), &path(&[65002]));
//!
//! let view = rib.get(now, prefix).expect("the prefix has paths");
//! for p in &view.paths {
//!     match p.lost {
//!         None => println!("best: via {:?}", p.next_hop),
//!         Some(l) => println!("via {:?} lost on {} to path {:?}", p.next_hop, l.rule, l.to),
//!     }
//! }
//! assert!(view.paths[0].best);
//! assert_eq!(view.paths[0].next_hop, Some("192.0.2.2".parse()?));
//! assert_eq!(view.paths[1].lost.map(|l| l.rule), Some(rib::Rule::AsPathLength));
//!
//! // The forwarding table, as changes for the kernel.
//! while let Some(change) = rib.poll_fib() {
//!     println!("{change:?}");
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
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
