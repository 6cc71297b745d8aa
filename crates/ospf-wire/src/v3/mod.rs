//! OSPFv3 (RFC 5340 appendix A): packets, LSAs, the IPv6 prefix encoding,
//! the authentication trailer (RFC 7166) and their codepoints.
//!
//! What does not change from OSPFv2 is shared rather than repeated: the
//! Fletcher checksum ([`crate::checksum`]), LS age rules and the "which is
//! newer" comparison ([`crate::age`]), identifiers ([`crate::types`]),
//! errors ([`crate::DecodeError`], [`crate::auth::AuthError`]) and the
//! HMAC-SHA construction ([`crate::auth`]).
//!
//! The packet checksum covers an IPv6 pseudo-header, so decoding and
//! encoding with a checksum take the source and destination addresses
//! ([`Packet::decode`], [`Packet::to_bytes`]).
//!
//! ```
//! use std::net::Ipv6Addr;
//! use ospf_wire::{v3::*, AreaId, RouterId};
//!
//! let src: Ipv6Addr = "fe80::1".parse().unwrap();
//! let dst: Ipv6Addr = "ff02::5".parse().unwrap();
//! let hello = Packet {
//!     router_id: RouterId(0x0101_0101),
//!     area_id: AreaId::BACKBONE,
//!     instance_id: 0,
//!     body: PacketBody::Hello(Hello {
//!         interface_id: 2,
//!         router_priority: 1,
//!         options: Options::V6 | Options::E | Options::R,
//!         hello_interval: 10,
//!         router_dead_interval: 40,
//!         designated_router: RouterId(0),
//!         backup_designated_router: RouterId(0),
//!         neighbors: vec![],
//!     }),
//! };
//! let wire = hello.to_bytes(src, dst).freeze();
//! assert_eq!(Packet::decode(wire, src, dst), Ok(hello));
//! ```

pub mod auth_trailer;
pub mod codepoints;
pub mod header;
pub mod lsa;
pub mod lsa_body;
pub mod lsa_header;
pub mod packet;
pub mod prefix;

pub use auth_trailer::{AuthTrailer, AuthType, Trailer, TrailerInfo};
pub use codepoints::{
    DdFlags, FloodingScope, LsType, Options, PacketType, PrefixOptions, RouterFlags, RouterLinkType,
};
pub use header::{
    checksum_ok, packet_checksum, payload_checksum, set_checksum, PacketHeader, HEADER_LEN,
};
pub use lsa::{Lsa, LsaBody, LsaFields};
pub use lsa_body::{
    AsExternalLsa, InterAreaPrefixLsa, InterAreaRouterLsa, IntraAreaPrefix, IntraAreaPrefixLsa,
    LinkLsa, NetworkLsa, PrefixEntry, RouterInterface, RouterLsa,
};
pub use lsa_header::{LsaHeader, LsaKey, LSA_HEADER_LEN};
pub use packet::{
    DatabaseDescription, Hello, LinkStateAck, LinkStateRequest, LinkStateUpdate, Packet, PacketBody,
};
pub use prefix::Ipv6Prefix;
