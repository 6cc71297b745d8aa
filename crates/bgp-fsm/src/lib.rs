//! bgp-fsm
#![warn(missing_docs)]
#![deny(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod collision;
pub mod config;
pub mod damping;
pub mod fsm_event;
pub mod negotiate;
pub mod output;
pub mod ra;
pub mod received;
mod rng;
pub mod session;
pub mod timer;

pub use config::{Config, ConfigError, Neighbor, PeerAs, RaConfig};
pub use damping::DampingConfig;
pub use fsm_event::{FsmEvent, State};
pub use negotiate::Negotiated;
pub use output::{Action, ConnId, Down, DownReason, Event, Initiator, Transmit};
pub use received::Received;
pub use session::{ipv6_next_hop, CommandError, LinkLocalStyle, Session};
pub use timer::Timer;
