//! # hostile-peer
//!
//! A neighbour that misbehaves on purpose. For BGP, a catalogue of malformed messages
//! ([`bgp::cases::catalogue`]), each with the RFC 4271 §6 / RFC 7606 outcome the receiver
//! owes it, and a runner ([`bgp::runner`]) that sends each one to a device under test on a
//! fresh session and observes the answer: the NOTIFICATION and the close, or what a second
//! neighbour (the observer) is told about the canary route; all the while a third
//! neighbour carrying a full table must stay Established and its routes unchanged.
//!
//! For OSPFv2, [`ospf::cases::catalogue`]: packets that RFC 2328 §8.2, §10.5, §13 and
//! appendix D say to drop, sent from a raw socket ([`ospf::Sender`]), each beside a control
//! that must be accepted; [`ospf::judge`] turns what the device reported into a verdict.
//!
//! The device under test is any BGP speaker reachable over TCP: ours (`bgp-peer`), FRR,
//! BIRD... The `hostile-peer` binary runs it and prints one line per case and a Markdown
//! table.
#![warn(missing_docs)]
#![deny(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod bgp;
pub mod ospf;
pub mod report;
