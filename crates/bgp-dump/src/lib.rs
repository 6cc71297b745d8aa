//! # bgp-dump
//!
//! Reads pcap/pcapng captures (reassembling the TCP streams of BGP sessions per direction) and
//! MRT dumps, and decodes every BGP message with `bgp-wire`, tracking per session what the two
//! OPENs negotiated. The `bgp-dump` binary prints one JSON object per message; the modules are
//! public so that tests reuse them.
#![warn(missing_docs)]
#![deny(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod bmp;
pub mod capture;
pub mod json;
pub mod link;
pub mod mrt_input;
pub mod mrt_output;
pub mod pcap;
pub mod session;
pub mod tcp;
