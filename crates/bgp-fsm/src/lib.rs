//! bgp-fsm
#![warn(missing_docs)]
#![deny(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod collision;
#[allow(dead_code)]
pub mod damping;
pub mod fsm_event;
pub mod ra;
#[allow(dead_code)] // used by the session, which lands next
mod rng;
pub mod timer;
