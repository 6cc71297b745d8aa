//! Network-namespace labs for integration tests.
//!
//! A [`Lab`] creates uniquely named network namespaces, links them with veth
//! pairs or bridged segments, and deletes everything when dropped, also when
//! the test panics. Inside a namespace ([`Netns`]) a test can run commands,
//! spawn processes that are killed when their guard drops, enter the namespace
//! from its own thread ([`Netns::enter`]), run FRR, BIRD and GoBGP with all
//! their state in one folder ([`Frr`], [`Bird`], [`Gobgp`]), and capture
//! traffic ([`Capture`]).
//!
//! Everything here needs root and the tools named in `LAB-NOTES`: `ip`,
//! `ethtool`, `tcpdump`, `tshark`, `frr`, `bird2`, `gobgpd`.
//!
//! ```no_run
//! use netlab::{Lab, wait_until};
//! use std::time::Duration;
//!
//! # fn main() -> Result<(), netlab::Error> {
//! let lab = Lab::new("t")?;
//! let r1 = lab.node("r1")?;
//! let r2 = lab.node("r2")?;
//! lab.veth(&r1, "eth0", &r2, "eth0")?;
//! r1.add_addr("eth0", "10.0.0.1/24")?;
//! r2.add_addr("eth0", "10.0.0.2/24")?;
//! r1.exec(&["ping", "-c1", "-W1", "10.0.0.2"])?;
//! wait_until(Duration::from_secs(5), Duration::from_millis(100), "r2 answers", || {
//!     r1.exec(&["ping", "-c1", "-W1", "10.0.0.2"]).is_ok()
//! })?;
//! # Ok(())
//! # }
//! // Dropping `lab` kills every process in its namespaces and deletes them.
//! ```
//!
//! Drop order: declare the `Lab` before the daemons and captures that use it,
//! so they stop first (locals drop in reverse order); the lab kills whatever
//! is left in its namespaces anyway.

#![warn(missing_docs)]

mod capture;
mod cmd;
mod daemon;
mod enter;
mod error;
mod lab;
mod netns;
mod wait;

pub use capture::{tshark_json, Capture};
pub use cmd::ChildGuard;
pub use daemon::bird::Bird;
pub use daemon::exabgp::Exabgp;
pub use daemon::frr::{Frr, FrrDaemon};
pub use daemon::gobgp::Gobgp;
pub use enter::NetnsGuard;
pub use error::Error;
pub use lab::Lab;
pub use netns::Netns;
pub use wait::wait_until;

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;
