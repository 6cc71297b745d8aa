//! OSPF packet and LSA codec, sans-IO.
//!
//! OSPFv2 (RFC 2328 appendix A) lives in [`v2`], OSPFv3 (RFC 5340 appendix
//! A, RFC 7166 authentication trailer) in [`v3`]; the version-independent
//! parts (identifiers, LS age rules, checksums, errors, HMAC-SHA) sit at the
//! top and both share them.
//!
//! Decoding is zero-copy over [`bytes::Bytes`] and never panics on any
//! input; errors carry the absolute offset of the fault. Encoding appends to
//! a [`bytes::BytesMut`] and cannot fail. The crate reads no clock and draws
//! no random numbers.
//!
//! Entry points for arbitrary input (fuzzing): [`v2::Packet::decode_unverified`]
//! (no checksum check), [`v2::Packet::decode`], [`v2::Lsa::decode`],
//! [`v2::LsaHeader::decode`], [`auth::verify`], and their OSPFv3
//! counterparts [`v3::Packet::decode_unverified`], [`v3::Lsa::decode`],
//! [`v3::LsaHeader::decode`], [`v3::Trailer::decode`] and
//! [`v3::auth_trailer::verify`]. None of them panics or
//! allocates in proportion to a count field that the input does not back.
//!
//! For the engine: [`v2::LsaHeader::compare_recency`] is the §13.1 "which
//! instance is newer" rule, [`age`] holds the architectural constants and
//! the InfTransDelay increment, and the `to_lsa` builders on the body types
//! fill in LS type, length and the Fletcher checksum.
//!
//! ```
//! use std::net::Ipv4Addr;
//! use ospf_wire::{v2::*, AreaId, RouterId};
//!
//! let hello = Packet {
//!     router_id: RouterId::from(Ipv4Addr::new(1, 1, 1, 1)),
//!     area_id: AreaId(2),
//!     authentication: Authentication::NULL,
//!     body: PacketBody::Hello(Hello {
//!         network_mask: Ipv4Addr::new(255, 255, 255, 0),
//!         hello_interval: 10,
//!         options: Options::E,
//!         router_priority: 1,
//!         router_dead_interval: 40,
//!         designated_router: Ipv4Addr::UNSPECIFIED,
//!         backup_designated_router: Ipv4Addr::UNSPECIFIED,
//!         neighbors: vec![],
//!     }),
//! };
//! let wire = hello.to_bytes().freeze();
//! assert_eq!(Packet::decode(wire), Ok(hello));
//! ```
#![warn(missing_docs)]

pub mod age;
pub mod auth;
pub mod checksum;
pub mod error;
mod reader;
pub mod types;
pub mod v2;
pub mod v3;

pub use error::DecodeError;
pub use types::{AreaId, LsSeqNum, RouterId};
