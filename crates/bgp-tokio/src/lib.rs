//! # bgp-tokio
//!
//! A tokio adapter for [`bgp_speaker::Speaker`] and [`bgp_fsm::Session`]: it moves octets
//! between TCP sockets and the sans-IO cores, turns `poll_timeout` into one sleep, and
//! carries Router Advertisements between a raw ICMPv6 socket and unnumbered sessions. It
//! takes no protocol decision: every BGP rule lives in `bgp-fsm` and `bgp-speaker`.
//!
//! - [`Speaker`]: TCP listeners (port 179 by default, IPv4 and IPv6), one task per peer,
//!   and the channel of [`PeerEvent`]s to the application.
//! - [`PeerHandle`]: runs commands on a peer's session inside its task
//!   ([`PeerHandle::with`]), stops and shuts it down.
//! - Sockets ([`sockopt`], [`Transport`]): TCP-MD5 (RFC 2385) for IPv4 and IPv6 peers,
//!   including a prefix key for unnumbered peers; GTSM (RFC 5082) and `ebgp-multihop` TTL;
//!   binding to an interface or a source address; IPv6 link-local peers with scope ids.
//! - Unnumbered peers ([`ra`]): a raw ICMPv6 socket per interface, bound to it, filtered to
//!   Router Advertisements, hop limit 255 sent and required on receipt (RFC 4861 §6.1.2).
//!
//! ## Driving a session
//!
//! After every input the peer's task drains the session in the order `bgp-fsm` documents:
//! `poll_transmit` (queued on the connection's writer, which coalesces queued messages into
//! one `write_all`), `poll_action` (connect, close after the queued writes, send an RA),
//! `poll_event` (sent to the application), then `poll_timeout`, which re-arms the sleep only
//! when the deadline moved; on wake-up the deadline is checked against the clock before
//! `handle_timeout` ([`timer`]). Framing is done by the session (`handle_data` frames by the
//! header's Length field), so readers pass on what they read, as the `Bytes` they read into:
//! the session cuts messages out of them without copying, and an UPDATE event carries the
//! octets read. Before each input the task reports the writers' progress
//! (`handle_write_progress`), which the session's SendHoldTimer (RFC 9687) watches: a peer
//! that stops reading our messages is dropped after the SendHoldTime instead of blocking its
//! queue forever.
//!
//! A session that negotiated hold time 0 sends no KEEPALIVE and runs no hold timer
//! (RFC 4271 §4.2), so nothing in BGP would notice that its peer died. Its connection gets
//! TCP keepalive instead ([`conn::TCP_KEEPALIVE_IDLE`] and the probes after it), and the
//! kernel ends a connection whose peer stopped answering.
//!
//! ## Back-pressure
//!
//! Each connection's writer counts the octets queued for it. While a queue is above
//! [`PeerConfig::send_queue_limit`] the peer's task takes no command from the application,
//! so a peer that reads slowly holds up the application's announcements instead of growing
//! memory, and one that does not read at all is dropped by the SendHoldTimer; the session's
//! own messages (KEEPALIVE, NOTIFICATION) still go
//! out, and a connection being closed gets [`conn::CLOSE_GRACE`] to flush. Readers wait for
//! room in a bounded channel before reading more, and the event channel is bounded: an
//! application that does not read its events stops its peers from reading.
//!
//! ## A router in a few lines
//!
//! [`router::spawn`] runs a whole [`bgp_speaker::Speaker`] (many neighbours on one routing
//! table) on one task:
//!
//! ```no_run
//! use bgp_speaker::{NeighborConfig as N, Speaker, SpeakerConfig};
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let (me, id) = (bgp_wire::Asn(65001), "10.0.0.1".parse()?);
//! let speaker = Speaker::new(SpeakerConfig::new(me, id))?;
//! let (router, mut notices) = bgp_tokio::router::spawn(speaker, Default::default())?;
//! router.add_neighbor(N::external(me, id, "192.0.2.2".parse()?), Default::default()).await?;
//! let eth1 = bgp_tokio::sockopt::if_index("eth1")?;
//! router.add_neighbor(N::unnumbered(me, id, "eth1", eth1), Default::default()).await?;
//! router.announce("10.244.1.0/24".parse()?, Default::default()).await?;
//! while let Some(notice) = notices.recv().await {
//!     if let bgp_tokio::Notice::Route(r) = notice {
//!         println!("{} via {:?} ({:?})", r.prefix, r.best.and_then(|b| b.next_hop), r.reason);
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! ## One session per task
//!
//! [`Speaker`] drives sessions without a routing table, one task each, for programs that
//! handle routes themselves (a route collector, a test harness).
//!
//! ## Example
//!
//! ```no_run
//! use bgp_fsm::{Config, Neighbor, PeerAs, Event};
//! use bgp_tokio::{PeerConfig, PeerEventKind, Speaker, SpeakerConfig};
//! use bgp_wire::Asn;
//! use std::net::{IpAddr, Ipv4Addr};
//!
//! # async fn run() -> Result<(), bgp_tokio::Error> {
//! let (speaker, mut events) = Speaker::new(SpeakerConfig::default())?;
//! let neighbor = Neighbor::Address { addr: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)), scope: None };
//! let session = Config::new(Asn(65001), Ipv4Addr::new(192, 0, 2, 1), PeerAs::External, neighbor);
//! let peer = speaker.add_peer(PeerConfig::new(session))?;
//! while let Some(ev) = events.recv().await {
//!     if let PeerEventKind::Session(Event::Established(n)) = ev.kind {
//!         println!("up with AS {}", n.peer_as.0);
//!         let state = peer.with(|s, _now| s.state()).await?;
//!         println!("{state:?}");
//!     }
//! }
//! # Ok(()) }
//! ```
#![warn(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod config;
pub mod conn;
pub mod connect;
pub mod peer;
pub mod ra;
pub mod refused;
pub mod router;
pub mod sockopt;
pub mod speaker;
pub mod timer;

pub use config::{ListenConfig, PeerConfig, SpeakerConfig, Transport, TransportError};
pub use peer::{PeerEvent, PeerEventKind, PeerId};
pub use router::{Notice, RouterConfig, RouterHandle};
pub use sockopt::{Md5Key, TtlMode};
pub use speaker::{neighbor_matches, Error, PeerHandle, Speaker};
