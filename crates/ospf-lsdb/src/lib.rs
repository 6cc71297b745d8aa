//! A sans-IO OSPF engine: interfaces, neighbours, database exchange,
//! flooding, the link-state database, SPF and the routing table.
//!
//! One engine, [`OspfInstance<V>`], serves OSPFv2 (RFC 2328, [`V2`];
//! [`Instance`] is `OspfInstance<V2>`) and OSPFv3 (RFC 5340, [`V3`]:
//! IPv6 link-local addresses, interfaces described by [`LinkAddrs`]). What
//! differs between the versions sits behind the [`Version`] trait
//! ([`version`]); the state machines, exchange, flooding, databases (link,
//! area and AS scope), aging and SPF are shared. The OSPFv2 routing table
//! is [`route::RoutingTable`]; the OSPFv3 one, [`route6::RoutingTable6`],
//! holds intra-area, inter-area and external routes with link-local next
//! hops.
//!
//! # Determinism
//!
//! The engine never reads a clock, opens a socket or draws ambient random
//! numbers: every input carries `now` (a [`std::time::Instant`] the caller
//! supplies), every output is pulled, and jitter and DD sequence numbers
//! come from a generator seeded by [`Config::seed`]. The same inputs give
//! the same outputs, which the simulation tests rely on.
//!
//! # Call order
//!
//! 1. Build an [`Instance`] from a [`Config`].
//! 2. Feed inputs: [`Instance::handle_interface_up`],
//!    [`Instance::handle_interface_address`], [`Instance::handle_packet`]
//!    (the IP payload of protocol 89 packets; [`Instance::handle_packet_with_ttl`]
//!    when the IP TTL is known), [`Instance::handle_config`],
//!    [`Instance::handle_interface_add`] and
//!    [`Instance::handle_interface_remove`] (a configuration reload), and
//!    [`Instance::handle_timeout`] when the deadline is reached
//!    (calling it early is a no-op).
//! 3. After each input, drain the outputs in the family's order (the runtime
//!    contract of `ARCHITECTURE.md`): [`Instance::poll_transmit`] until `None`
//!    (send each packet on its interface to its destination, TTL 1), then
//!    [`Instance::poll_event`] until `None` (neighbour and interface states,
//!    route changes for the FIB, MTU mismatches, authentication failures),
//!    then [`Instance::poll_timeout`] (re-arm the timer).
//! 4. [`Instance::shutdown`] flushes our LSAs before stopping.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use ospf_lsdb::{Config, Instance, InterfaceConfig, AreaId, RouterId};
//!
//! let mut cfg = Config::new(RouterId(0x0a00_0001));
//! cfg.interfaces.push(InterfaceConfig::new(2, "eth0", AreaId(0)));
//! let mut ospf = Instance::new(cfg);
//! let t0 = Instant::now();
//! ospf.handle_interface_address(t0, 2, Some("192.168.1.1/24".parse().unwrap()));
//! ospf.handle_interface_up(t0, 2, 1500);
//! ospf.handle_timeout(t0);
//! let hello = ospf.poll_transmit().expect("a Hello right away");
//! assert_eq!(hello.dst, ospf_lsdb::types::consts::ALL_SPF_ROUTERS);
//! assert!(ospf.poll_timeout().is_some());
//! while let Some(event) = ospf.poll_event() {
//!     println!("{event:?}");
//! }
//! ```
//!
//! OSPFv3 takes the same calls with IPv6 addresses; an interface is its
//! link-local address and prefixes ([`LinkAddrs`]), and packets go from
//! the link-local address (the checksum covers it):
//!
//! ```
//! use std::time::Instant;
//! use ospf_lsdb::{AreaId, Config, InterfaceConfig, LinkAddrs, OspfInstance, RouterId};
//! use ospf_lsdb::{Version, V3};
//!
//! let mut cfg = Config::new(RouterId(0x0a00_0001));
//! cfg.interfaces.push(InterfaceConfig::new(2, "eth0", AreaId(0)));
//! let mut ospf = OspfInstance::<V3>::new(cfg);
//! let t0 = Instant::now();
//! let link_local = "fe80::1".parse().unwrap();
//! let addrs = LinkAddrs::new(link_local, vec!["2001:db8::1/64".parse().unwrap()]);
//! ospf.handle_interface_address(t0, 2, Some(addrs));
//! ospf.handle_interface_up(t0, 2, 1500);
//! ospf.handle_timeout(t0);
//! let hello = ospf.poll_transmit().expect("a Hello right away");
//! assert_eq!(hello.dst, V3::ALL_SPF_ROUTERS); // ff02::5
//! ```
//!
//! # Modules
//!
//! Packets and LSAs are `ospf-wire`'s (`packet` adds the interface's
//! authentication, `lsa` a few engine-side helpers); [`lsdb::Lsdb`],
//! [`spf::AreaSpf`] and [`route::RoutingTable`] are public so that SPF can
//! be used and measured on its own. [`inject`] hands synthetic topologies
//! to neighbours through the engine's own exchange and flooding (test labs
//! and benchmarks only).
#![warn(missing_docs)]
#![deny(unsafe_code)]

pub mod config;
pub mod event;
mod exchange;
mod flood;
pub mod hash;
pub mod inject;
mod instance;
pub mod interface;
pub mod lsa;
pub mod lsdb;
pub mod neighbor;
mod nssa;
mod origin;
pub mod packet;
pub mod rng;
pub mod route;
pub mod route6;
#[cfg(feature = "sim")]
pub mod sim;
pub mod spf;
pub mod timer;
pub mod types;
mod v2;
pub mod v3;
pub mod version;

pub use config::{
    AreaConfig, AreaKind, Config, InterfaceConfig, MetricType, NetworkType, Redistribute,
    Redistribute6,
};
pub use event::Event;
pub use inject::{InjectError, InterfaceIds, SyntheticLink};
pub use instance::{Instance, OspfInstance, Transmit};
pub use types::{AreaId, RouterId};
pub use v2::V2;
pub use v3::{LinkAddrs, V3};
pub use version::Version;
