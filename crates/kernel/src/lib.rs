//! # kernel
//!
//! The Linux kernel adapter of the routing crates, over rtnetlink: it reads links,
//! addresses and routes (the sources of `redistribute connected` and `redistribute
//! kernel`) and follows their changes, and it programs the forwarding table from `rib`'s
//! diff stream, with every ECMP next hop, IPv4 routes through IPv6 link-local next hops
//! (`RTA_VIA`), blackhole and reject routes, under a route protocol number of its own.
//!
//! ## Layers
//!
//! The decisions are sans-IO and tested without a kernel:
//!
//! - [`Fib`]: which routes to add, replace and delete given what the kernel has and what
//!   the RIB wants, stale routes after a crash and graceful restart, packing many requests
//!   into one datagram, and the kernel's answers. See its module for the call order.
//! - [`Tracker`]: connected and kernel routes ([`rib::RouteChange`]) from link, address
//!   and route messages, with what is filtered out and why.
//! - [`encode`]: a [`rib::FibRoute`] as `RTM_NEWROUTE`/`RTM_DELROUTE` attributes.
//!
//! The socket is the only I/O, in a thin tokio layer: [`KernelFib`] drives a [`Fib`],
//! [`Watcher`] a [`Tracker`], and [`Netlink`] reads tables once. Sockets belong to the
//! network namespace of the thread that opens them.
//!
//! ## Our routes
//!
//! Every route we install carries [`FibConfig::protocol`] ([`RtProto::DEFAULT`], 240:
//! see there why) and [`FibConfig::metric`] (20) in [`FibConfig::table`] (main). Routes
//! of that protocol found at start are ours from an earlier run.
//!
//! ## Example
//!
//! ```no_run
//! # async fn f(rib: &mut rib::Rib) -> Result<(), kernel::Error> {
//! use std::time::Instant;
//! let mut watcher = kernel::Watcher::start(kernel::WatchConfig::default()).await?;
//! let mut fib = kernel::KernelFib::start(kernel::FibConfig::default()).await?;
//! loop {
//!     if let kernel::Event::Route(change) = watcher.next_event().await? {
//!         rib.apply(Instant::now(), &change); // redistribute connected / kernel
//!     }
//!     let changes: Vec<_> = std::iter::from_fn(|| rib.poll_fib()).collect();
//!     fib.apply(&changes).await?;
//! }
//! # }
//! ```
#![warn(missing_docs)]

mod config;
mod decode;
pub mod encode;
mod error;
pub mod fib;
mod netlink;
mod program;
mod socket;
pub mod tracker;
mod watch;
mod worker;

pub use config::{FibConfig, RtProto, WatchConfig, TABLE_MAIN};
pub use decode::{Address, KernelRoute, Link, RtType};
pub use error::{Error, Result};
pub use fib::{Fib, FibEvent, FibStats, Op, Transmit};
pub use netlink::Netlink;
pub use program::KernelFib;
pub use tracker::{Event, Tracker};
pub use watch::Watcher;
pub use worker::{FibWorker, Refused};
