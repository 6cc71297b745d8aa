//! # bgp-dump
//!
//! Reads pcap/pcapng captures (reassembling the TCP streams of BGP sessions per direction) and
//! MRT dumps, and decodes every BGP message with `bgp-wire`. The `bgp-dump` binary prints one
//! JSON object per message; the modules are public so that tests can reuse them.
#![warn(missing_docs)]
#![deny(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod link;
pub mod pcap;
pub mod tcp;
