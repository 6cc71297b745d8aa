//! Tokio adapter for a sans-IO OSPF core: raw IP protocol 89 sockets, IPv4
//! for OSPFv2 or IPv6 for OSPFv3 as the core's [`Engine::family`] says,
//! multicast membership, timers and interface discovery.
//!
//! The adapter makes no protocol decision. It reads interface state from
//! the OS and feeds it to the core ([`Engine::handle_interface`]), hands
//! every received OSPF packet over with its interface and addresses
//! ([`Engine::handle_packet`]), sends what [`Engine::poll_transmit`]
//! returns, joins AllDRouters when [`Engine::all_d_routers_member`] says
//! so, and sleeps until [`Engine::poll_timeout`]. See [`socket`] (IPv4) and
//! [`socket6`] (IPv6) for the socket options.
//!
//! Call order after every input: `poll_transmit` until empty, AllDRouters
//! membership, `poll_event` (one event returned per
//! [`Driver::next_event`]), then `poll_timeout`.
//!
//! `ospf_lsdb::Instance` implements [`Engine`]; any other core can too.
//!
//! ```no_run
//! # async fn f<E: ospf_tokio::Engine>(engine: E) -> Result<(), ospf_tokio::Error>
//! # where E::Event: std::fmt::Debug {
//! let mut driver = ospf_tokio::Driver::new(engine, &["eth0"])?;
//! loop {
//!     let event = driver.next_event().await?;
//!     println!("{event:?}");
//! }
//! # }
//! ```
#![warn(missing_docs)]

mod driver;
mod engine;
mod error;
pub mod iface;
pub mod ipv4;
mod lsdb;
mod port;
pub mod socket;
pub mod socket6;

pub use driver::{Driver, INTERFACE_POLL};
pub use engine::{Engine, Family, InterfaceState, Received, Transmit};
pub use error::Error;
pub use lsdb::AdapterVersion;
