//! # bfd
//!
//! Bidirectional Forwarding Detection (RFC 5880) as a sans-IO library: the Control packet
//! codec ([`packet`]), one session's state machine ([`Session`]) and a table of sessions
//! that demultiplexes received packets and reports state changes to the protocols that
//! asked for them ([`Sessions`]). UDP sockets, TTL checks (RFC 5881, RFC 5883) and clocks
//! belong to an adapter.
//!
//! What is implemented: Asynchronous mode; the Down, Init, Up and AdminDown states with
//! their diagnostics; negotiation of Desired Min TX and Required Min RX with Poll Sequences
//! when they change; the one-second transmit rate while not Up; jittered transmission; the
//! Active and Passive roles; Simple Password, Keyed SHA1 and Meticulous Keyed SHA1
//! authentication with sequence number checks. What is not: Demand mode is never asked for
//! (a remote system in Demand mode is honoured: periodic transmission stops, §6.8.7), the
//! Echo function is absent (Required Min Echo RX is always sent as zero), and Keyed MD5
//! sections decode but cannot be configured.
//!
//! ## Determinism contract
//!
//! The crate never reads a clock, opens a socket or draws ambient randomness. Every input
//! carries `now`; transmit jitter and the first authentication sequence number come from a
//! splitmix64 generator seeded by the caller. The same seed and the same inputs at the same
//! instants give the same outputs, byte for byte.
//!
//! ## Call order
//!
//! After creating a session and after each input ([`Session::handle_packet`],
//! [`Session::handle_timeout`], [`Session::set_admin_down`], [`Session::set_intervals`])
//! drain the outputs in this order:
//!
//! 1. [`Session::poll_transmit`] until `None`: send each payload to the remote system;
//! 2. [`Session::poll_event`] until `None`: state changes;
//! 3. [`Session::poll_timeout`]: call [`Session::handle_timeout`] when the clock reaches it
//!    (an early call does nothing).
//!
//! [`Sessions`] has the same shape, with a session id and key on each output.
//!
//! ## Example
//!
//! Two sessions wired back to back, with a virtual clock:
//!
//! ```
//! use bfd::{Config, Discriminator, Session, State};
//! use std::time::{Duration, Instant};
//!
//! let disc = |v| Discriminator::new(v).expect("non-zero");
//! let start = Instant::now();
//! let mut a = Session::new(Config::new(disc(1)), 1, start)?;
//! let mut b = Session::new(Config::new(disc(2)), 2, start)?;
//! let mut now = start;
//! while now < start + Duration::from_secs(5) {
//!     // Deliver what each side sent, then move time to the earliest deadline.
//!     while let Some(p) = a.poll_transmit() {
//!         let _ = b.handle_packet(now, p);
//!     }
//!     while let Some(p) = b.poll_transmit() {
//!         let _ = a.handle_packet(now, p);
//!     }
//!     now = a.poll_timeout().into_iter().chain(b.poll_timeout()).min().expect("timers run");
//!     a.handle_timeout(now);
//!     b.handle_timeout(now);
//! }
//! assert_eq!((a.state(), b.state()), (State::Up, State::Up));
//! // Once Up, each side sends every 300 ms less up to 25 % jitter.
//! assert_eq!(a.transmit_interval(), Some(Duration::from_millis(300)));
//! assert_eq!(a.detection_time(), Some(Duration::from_millis(900)));
//! # Ok::<(), bfd::ConfigError>(())
//! ```
#![warn(missing_docs)]

pub mod auth;
mod config;
mod error;
mod event;
pub mod packet;
mod rng;
mod session;
mod table;
mod timer;

pub use auth::{AuthConfig, AuthMode};
pub use config::Config;
pub use error::{AuthError, ConfigError, DecodeError, Discard};
pub use event::Event;
pub use packet::{ControlPacket, Diagnostic, Discriminator, Interval, State};
pub use session::{Session, EVENT_LIMIT, SLOW_TX, TRANSMIT_LIMIT};
pub use table::{ClientId, Report, SessionId, SessionKey, Sessions, Transmit, REPORT_LIMIT};
pub use timer::Timer;
