//! # sansio
//!
//! What every sans-IO protocol core of the family (`bgp-fsm`, `ospf-lsdb`, `bfd`) shares
//! instead of keeping a copy each: a seeded pseudo-random generator, timer jitter, and the
//! table that holds a core's timers as deadlines.
//!
//! The cores draw no ambient randomness and read no clock: the seed comes from their
//! configuration, time from the caller, so a simulation replays exactly and every
//! platform computes the same deadlines (integer arithmetic, no floating point). A core
//! keeps its timers as data (a [`TimerTable`] per state machine, indexed by its own enum
//! of timers), offers the earliest deadline in `poll_timeout`, and acts on the ones due in
//! `handle_timeout`, called with the time by the adapter.
#![deny(unsafe_code)]
#![warn(missing_docs)]

mod rng;
mod timer;

pub use rng::SplitMix64;
pub use timer::{earliest, TimerTable};
