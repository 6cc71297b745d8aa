//! BGP load for benchmarks: a full routing table (real prefixes, attributes generated from a
//! seed) encoded once into UPDATEs, generator peers that send it to a device under test at
//! line rate, sink peers that count what the device passes on, and a runner that measures our
//! speaker, BIRD 2, FRR and GoBGP side by side in a namespace lab (`bench`).
//!
//! The data modules (`prefixes`, `table`, `raw`, `wire`, `churn`, `rng`) are also what the
//! criterion benches of `benches/` read, so every measurement uses the same table: same
//! prefixes, same seed ([`feed::TABLE_SEED`]).
//!
//! A peer's table as the octets it sends, and a sink counting them:
//!
//! ```
//! use bgp_load::feed::{table_stream, PeerIdentity, TABLE_SEED};
//! use bgp_load::sink::Sink;
//! use bgp_load::table::{synthetic_prefixes, Table, TableFamily};
//! use bgp_wire::message::{decode_next, Message};
//!
//! let prefixes = synthetic_prefixes(TableFamily::Ipv4, 1000, 1);
//! let table = Table::generate(TableFamily::Ipv4, &prefixes, TABLE_SEED);
//! let me = [10, 1, 0, 2];
//! let peer = PeerIdentity { asn: 65001, router_id: me.into(), next_hop: me.into() };
//! let stream = table_stream(&table, &peer); // UPDATEs, then End-of-RIB
//! assert_eq!(stream.routes, 1000);
//!
//! let sink = Sink::new(std::time::Instant::now());
//! sink.expect(1000);
//! let mut handle = sink.handler();
//! let mut rx = bytes::BytesMut::from(&stream.bytes[..]);
//! while let Some(Message::Update(u)) = decode_next(&mut rx, &bgp_wire::Context::modern()).unwrap() {
//!     handle(u);
//! }
//! assert!(sink.reached().is_some());
//! assert_eq!(sink.report().held, 1000);
//! ```
#![warn(missing_docs)]

pub mod bench;
pub mod churn;
pub mod feed;
pub mod prefixes;
pub mod raw;
pub mod rng;
pub mod session;
pub mod sink;
pub mod table;
pub mod wire;
