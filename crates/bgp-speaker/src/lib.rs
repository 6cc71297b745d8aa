//! # bgp-speaker
//!
//! A BGP speaker as a sans-IO library: the sessions of many neighbours ([`bgp_fsm`]) on one
//! routing table ([`rib`]), and what turns them into a router: received UPDATEs into the
//! table without a copy, import and export policy, update groups (neighbours that would be
//! sent the same UPDATEs share one Adj-RIB-Out and one encoding), the export rules of
//! RFC 4271, RFC 4456 route reflection, RFC 1997 well-known communities and RFC 9234 roles,
//! End-of-RIB, route refresh, maximum-prefix, graceful restart as a helper and when we
//! restart (RFC 4724), on NOTIFICATION (RFC 8538) and long-lived (RFC 9494), ADD-PATH
//! send of the best path or the multipath set (RFC 7911), soft reconfiguration inbound
//! ([`Speaker::soft_reset_in`]), dynamic neighbours (listen ranges, any link-local address
//! on an interface), and the reason for every best-path change reported
//! ([`ChangeReason`]).
//!
//! ## Determinism contract
//!
//! Like every core of the family it never reads a clock, opens a socket or draws ambient
//! randomness: every input carries `now`, timer jitter comes from the configured seed.
//!
//! ## Call order
//!
//! Inputs are the `handle_*` methods (what the sockets and the clock say) and commands
//! ([`Speaker::add_neighbor`], [`Speaker::announce`], ...). After each, drain:
//! [`Speaker::poll_transmit`] (write each message on its neighbour's connection), then
//! [`Speaker::poll_action`] (connect, close, send a Router Advertisement), then
//! [`Speaker::poll_event`] and [`Speaker::poll_route_change`] (for the application),
//! [`Speaker::poll_fib`] (for the kernel), and arm a timer for [`Speaker::poll_timeout`].
//! Events and route changes wait in bounded, coalescing queues: an application that reads
//! them late never holds up a session.
#![warn(missing_docs)]
#![deny(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod addpath;
mod adj_out;
pub mod config;
mod dynamic;
pub mod event;
mod export;
mod group;
mod leaves;
mod out;
mod reason;
mod restart;
pub mod show;
#[cfg(feature = "sim")]
pub mod sim;
mod soft;
mod speaker;

pub use config::{
    AddPathSend, ConfigError, GracefulRestartConfig, ListenRange, ListenSource, MaxPrefix,
    NeighborConfig, SpeakerConfig, MAX_INTERVAL,
};
pub use event::{BestRoute, ChangeReason, Event, RouteChange, EVENT_LIMIT};
pub use soft::SoftResetIn;
pub use speaker::{Counters, NeighborId, Speaker};
