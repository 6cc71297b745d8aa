//! Tokio adapter for the sans-IO [`bfd`] core: BFD over UDP for single-hop (RFC 5881) and
//! multihop (RFC 5883) sessions.
//!
//! The adapter makes no protocol decision. It owns a [`bfd::Sessions`] table, listens on
//! UDP 3784 (and 4784 for multihop), drops single-hop packets whose TTL or Hop Limit is not
//! 255 (multihop ones below a configured minimum), hands the rest to the table keyed by their
//! destination address, source address and interface, sends what the table polls from each
//! session's own socket (source port 49152–65535, TTL 255, bound to the interface), and
//! sleeps until the table's next deadline with one timer, re-armed only when the deadline
//! moves and checked against the clock when it fires. See [`socket`] for the options.
//!
//! ```no_run
//! # async fn f() -> Result<(), bfd_tokio::Error> {
//! use bfd_tokio::{Driver, DriverConfig, Hop, PeerConfig};
//! let mut driver = Driver::new(DriverConfig::default())?;
//! let config = bfd::Config::new(bfd::Discriminator::new(1).expect("non-zero"));
//! driver.add(
//!     PeerConfig {
//!         local: "10.0.0.1".parse().expect("address"),
//!         peer: "10.0.0.2".parse().expect("address"),
//!         hop: Hop::Single { interface: "eth0".into() },
//!         session: config,
//!     },
//!     bfd::ClientId(179),
//! )?;
//! loop {
//!     let report = driver.next_report().await?;
//!     println!("{:?} {:?}", report.key, report.event);
//! }
//! # }
//! ```
#![warn(missing_docs)]

mod driver;
mod error;
pub mod socket;

pub use driver::{Driver, DriverConfig, Hop, PeerConfig, Stats};
pub use error::Error;
