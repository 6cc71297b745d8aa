//! # bgp-fsm
//!
//! The BGP-4 neighbour state machine (RFC 4271 §8) as a sans-IO library: one [`Session`] per
//! peer, fed with inputs and drained of outputs by a driver (an async adapter, a simulation, a
//! fuzz target). It covers passive and active modes, DelayOpen, the ConnectRetry, Hold,
//! Keepalive, DelayOpen and IdleHold timers, the SendHoldTimer of RFC 9687 (a peer that stops
//! reading is dropped), collision detection between two connections (§6.8), OPEN validation,
//! capability negotiation into one [`Negotiated`] value, RFC 7606 handling of malformed
//! UPDATEs, peer oscillation damping, and unnumbered peering: an interface peer learns its
//! neighbour's link-local address from IPv6 Router Advertisements ([`ra`]) and sends its own
//! on a schedule. The timers are the [`Timer`] enum.
//!
//! ## Determinism contract
//!
//! The crate never reads a clock, opens a socket, spawns a task or draws ambient randomness.
//! Every input carries `now`; timer jitter (RFC 4271 §10) comes from a splitmix64 generator
//! seeded by [`Config::seed`]. The same configuration and the same sequence of inputs with the
//! same instants produce the same outputs, byte for byte.
//!
//! ## Call order
//!
//! Inputs are `handle_*` methods and commands ([`Session::start`], [`Session::stop`],
//! [`Session::announce`], [`Session::route_refresh`], ...). After each one, drain the outputs
//! in this order:
//!
//! 1. [`Session::poll_transmit`] until `None`: write each message on its connection, in order;
//! 2. [`Session::poll_action`] until `None`: connect, close (after the writes already taken
//!    for that connection), send a Router Advertisement;
//! 3. [`Session::poll_event`] until `None`: state changes, routes, why the session went down;
//! 4. [`Session::poll_timeout`]: arm one timer for that instant and call
//!    [`Session::handle_timeout`] when the clock reaches it (an early call does nothing).
//!
//! Connections are opaque [`ConnId`]s chosen by the driver: it reports an outbound connection
//! with [`Session::handle_connected`] (after an [`Action::Connect`]), an accepted one with
//! [`Session::handle_incoming`], octets read with [`Session::handle_data`] (framing is done
//! here), octets written with [`Session::handle_write_progress`], and the end of a connection
//! with [`Session::handle_closed`].
//!
//! Write progress is what the SendHoldTimer (RFC 9687) watches: whenever the writes of a
//! connection progress, and at the latest before [`Session::handle_timeout`], the driver
//! says how many octets of what it polled for that connection are still unwritten. It
//! changes nothing but that timer, so it may come anywhere in the order above. A driver
//! that cannot tell disables the timer ([`Config::send_hold_time`] `None`); one that never
//! reports has its Established sessions dropped after the SendHoldTime.
//!
//! ## Receive path
//!
//! Octets go from the socket to the application without a copy: [`Session::handle_data`]
//! takes the [`bytes::Bytes`] a read filled, cuts whole messages out of it
//! ([`bytes::Bytes::split_to`]) and decodes an UPDATE in place
//! ([`bgp_wire::update::Update`] keeps the message and the ranges of its parts); the
//! [`Event::Update`] carries that message as a [`Received`], which decodes routes and
//! attributes only when asked. Only a message cut in two by the end of a read is copied aside
//! to be completed by the next. [`Session::handle_bytes`] is the same for a borrowed slice,
//! at the cost of one copy. A message shares its read's buffer, so a [`Received`] kept long
//! keeps that buffer alive: a table stores what it needs and drops the message.
//!
//! ## Example
//!
//! Two sessions wired back to back, with a virtual clock:
//!
//! ```
//! use bgp_fsm::{Action, Config, ConnId, Event, Neighbor, PeerAs, Session, State};
//! use bgp_wire::Asn;
//! use std::net::{IpAddr, Ipv4Addr, SocketAddr};
//! use std::time::{Duration, Instant};
//!
//! let (ip_a, ip_b) = (Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 2));
//! let peer = |ip: Ipv4Addr| Neighbor::Address { addr: IpAddr::V4(ip), scope: None };
//! let mut a = Session::new(Config::new(Asn(65001), ip_a, PeerAs::External, peer(ip_b)))?;
//! let mut cfg_b = Config::new(Asn(65002), ip_b, PeerAs::Number(Asn(65001)), peer(ip_a));
//! cfg_b.passive = true;
//! let mut b = Session::new(cfg_b)?;
//!
//! let mut now = Instant::now();
//! b.start(now);
//! a.start(now);
//! // A asks to connect; the "network" connects it to B at once.
//! while let Some(action) = a.poll_action() {
//!     if let Action::Connect { addr, .. } = action {
//!         assert_eq!(addr, SocketAddr::new(ip_b.into(), 179));
//!         a.handle_connected(now, ConnId(1), SocketAddr::new(ip_a.into(), 40000));
//!         b.handle_incoming(now, ConnId(2), SocketAddr::new(ip_a.into(), 40000),
//!                           SocketAddr::new(ip_b.into(), 179), None);
//!     }
//! }
//! // Shuttle messages until both are Established; the "network" writes everything at once.
//! for _ in 0..10 {
//!     while let Some(t) = a.poll_transmit() {
//!         b.handle_data(now, ConnId(2), t.bytes);
//!         a.handle_write_progress(now, ConnId(1), 0);
//!     }
//!     while let Some(t) = b.poll_transmit() {
//!         a.handle_data(now, ConnId(1), t.bytes);
//!         b.handle_write_progress(now, ConnId(2), 0);
//!     }
//! }
//! assert_eq!(a.state(), State::Established);
//! assert_eq!(b.state(), State::Established);
//! assert!(std::iter::from_fn(|| a.poll_event()).any(|e| matches!(e, Event::Established(_))));
//!
//! // Time only moves when the driver says so: jump to the next deadline, a KEEPALIVE
//! // (hold time 90 s, so every 30 s jittered down to no less than 22.5 s).
//! let start = now;
//! now = a.poll_timeout().expect("keepalive armed");
//! assert!(now - start >= Duration::from_millis(22_500) && now - start <= Duration::from_secs(30));
//! a.handle_timeout(now);
//! assert_eq!(a.poll_transmit().map(|t| t.bytes.len()), Some(19));
//! # Ok::<(), bgp_fsm::ConfigError>(())
//! ```
//!
//! ## Unnumbered peering
//!
//! With [`Neighbor::Interface`], [`Session::start`] asks for a Router Advertisement at once and
//! every [`RaConfig::interval`] ([`Action::SendRa`]; router lifetime 0 by default). Each RA the
//! driver receives on that interface goes to [`Session::handle_router_advertisement`]; its
//! link-local source becomes the peer's address and the session connects to it with the
//! interface as scope. Connections from any link-local address on the interface are accepted.
//! With extended next hop negotiated (RFC 8950), [`Session::local_next_hop`] gives the IPv6
//! next hop for IPv4 routes and [`Received::forwarding_address`] the peer's.
#![warn(missing_docs)]
#![deny(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod collision;
pub mod config;
pub mod damping;
pub mod fsm_event;
pub mod fuzzing;
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
