//! What differs between OSPFv2 (RFC 2328) and OSPFv3 (RFC 5340), behind one
//! trait, so that the interface and neighbour state machines, database
//! exchange, flooding, the databases, the aging, origination's
//! reconciliation and SPF are written once.
//!
//! A [`Version`] names the address family (`Addr`, `IfAddr`), the codec's
//! LSA types (`Lsa` with its header and key), how packets are encoded and
//! decoded into the engine's version-neutral [`Packet`], how an LS type
//! maps to a flooding scope, and the version's own origination and routing
//! calculation. [`V2`] and [`V3`] are the two implementations.
//!
//! The items marked hidden are the engine's hooks into a version: public
//! only because the trait is, not meant to be called from outside.

use std::cmp::Ordering;
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::Arc;
use std::time::Instant;

use crate::instance::OspfInstance;
use crate::lsa::LsSeqNum;
use crate::packet::{Auth, DdFlags, PacketError, PacketHeader};
use crate::route::LsaChange;
use crate::types::{AreaId, RouterId};

pub use crate::v2::V2;
pub use crate::v3::V3;

/// Where an LSA is flooded and kept (RFC 5340 §4.5.2; OSPFv2 knows the
/// last two only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Link-local: the database of one interface.
    Link(u32),
    /// The database of one area.
    Area(AreaId),
    /// The AS-scope database.
    As,
}

/// The flooding scope an LS type asks for, before it is tied to an
/// interface or area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    /// Link-local.
    Link,
    /// Area.
    Area,
    /// AS.
    As,
}

/// An LSA header as the engine reads it.
pub trait Header: Copy + Debug + PartialEq + Send + Sync + 'static {
    /// The database key.
    type Key: Key;
    /// (LS type, Link State ID, Advertising Router).
    fn key(&self) -> Self::Key;
    /// LS age.
    fn age(&self) -> u16;
    /// Sets the LS age.
    fn set_age(&mut self, age: u16);
    /// LS sequence number.
    fn seq(&self) -> LsSeqNum;
    /// LS checksum.
    fn checksum(&self) -> u16;
    /// Which instance is newer (RFC 2328 §13.1).
    fn recency(&self, other: &Self) -> Ordering;
}

/// An LSA database key.
pub trait Key: Copy + Ord + Hash + Debug + Send + Sync + 'static {
    /// The originating router.
    fn advertising_router(&self) -> RouterId;
    /// The LS type as a number (16 bits for OSPFv3, 8 for OSPFv2).
    fn type_code(&self) -> u16;
}

/// An LSA as the engine keeps it: header, body and the exact octets.
pub trait WireLsa: Clone + Debug + PartialEq + Send + Sync + 'static {
    /// Its header type.
    type Header: Header;
    /// The header.
    fn hdr(&self) -> &Self::Header;
    /// The encoded length.
    fn wire_len(&self) -> usize;
    /// A copy with another LS age (checksum unchanged: age is not covered).
    fn aged(&self, age: u16) -> Self;
    /// Whether the LS checksum is right.
    fn checksum_valid(&self) -> bool;
    /// Whether the contents differ in a way that requires a new routing
    /// table calculation (RFC 2328 §13.2: options, MaxAge-ness, length or
    /// body).
    fn differs(&self, other: &Self) -> bool;
    /// A new instance with the same contents, LS age 0 and `seq` (a
    /// refresh, RFC 2328 §12.4).
    fn refreshed(&self, seq: LsSeqNum) -> Self;
}

/// The engine's view of the two packet formats (RFC 2328 A.3, RFC 5340
/// A.3): the fields both share, and the few that one of them has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet<V: Version> {
    /// Hello.
    Hello(HelloFields),
    /// Database Description.
    Dd(DdFields<V>),
    /// Link State Request.
    Lsr(Vec<<V::LsaHeader as Header>::Key>),
    /// Link State Update.
    Lsu(Vec<V::Lsa>),
    /// Link State Acknowledgment.
    Ack(Vec<V::LsaHeader>),
}

/// A Hello's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelloFields {
    /// OSPFv2: the network mask; OSPFv3: 0.
    pub network_mask: u32,
    /// OSPFv3: the sender's Interface ID; OSPFv2: 0.
    pub interface_id: u32,
    /// HelloInterval.
    pub hello_interval: u16,
    /// Options (8 bits in OSPFv2, 24 in OSPFv3).
    pub options: u32,
    /// Router priority.
    pub priority: u8,
    /// RouterDeadInterval.
    pub dead_interval: u32,
    /// The DR: an interface address in OSPFv2, a Router ID in OSPFv3.
    pub dr: u32,
    /// The BDR, likewise.
    pub bdr: u32,
    /// Router IDs of the neighbours seen.
    pub neighbors: Vec<RouterId>,
}

/// A Database Description packet's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DdFields<V: Version> {
    /// Interface MTU.
    pub mtu: u16,
    /// Options.
    pub options: u32,
    /// I, M and MS bits.
    pub flags: DdFlags,
    /// DD sequence number.
    pub seq: u32,
    /// LSA headers.
    pub headers: Vec<V::LsaHeader>,
}

/// One LSA a router should originate: where, under which key, and what
/// the version needs to build it.
pub type Desired<V> = (Scope, <<V as Version>::LsaHeader as Header>::Key, <V as Version>::Template);

/// An OSPF version. See the module documentation.
pub trait Version: Sized + Debug + Clone + Copy + PartialEq + Eq + Send + Sync + 'static {
    /// 2 or 3.
    const NUMBER: u8;
    /// The `rib` protocol of its routes.
    const PROTOCOL: rib::Protocol;
    /// AllSPFRouters.
    const ALL_SPF_ROUTERS: Self::Addr;
    /// AllDRouters.
    const ALL_D_ROUTERS: Self::Addr;
    /// Length of the IP header under the packet.
    const IP_HEADER_LEN: usize;
    /// Length of the OSPF packet header.
    const HEADER_LEN: usize;
    /// Length of the Hello fields before the neighbour list.
    const HELLO_FIXED: usize;
    /// Length of the DD fields before the LSA headers.
    const DD_FIXED: usize;
    /// OSPFv3 (RFC 5340 §4.2.1.2): neighbours are identified by Router ID
    /// on every network type, and the DR and BDR by Router ID.
    const BY_ROUTER_ID: bool;

    /// An IP address.
    type Addr: Copy + Ord + Hash + Debug + std::fmt::Display + Send + Sync + 'static;
    /// What the interface's addresses are: a primary address and prefix
    /// (OSPFv2), or a link-local address and the prefixes (OSPFv3).
    type IfAddr: Clone + PartialEq + Debug + Send + Sync + 'static;
    /// The codec's LSA header.
    type LsaHeader: Header;
    /// The codec's LSA.
    type Lsa: WireLsa<Header = Self::LsaHeader>;
    /// What origination needs to build one of our LSAs.
    type Template: Clone + PartialEq + Debug;
    /// A destination of the routing table.
    type Prefix: Copy + Ord + Hash + Debug + Send + Sync + 'static;
    /// The routing table.
    type Table: Default + Debug + Clone;
    /// How a router-LSA names the ends of a synthetic point-to-point link
    /// ([`crate::inject::SyntheticLink`]): OSPFv2's Link Data (an address),
    /// OSPFv3's Interface IDs ([`crate::inject::InterfaceIds`]).
    type LinkEnds: Copy + Debug + PartialEq + Eq + Send + Sync + 'static;

    /// The unspecified address.
    fn unspecified() -> Self::Addr;
    /// The address we send from on an interface.
    fn source(a: &Self::IfAddr) -> Self::Addr;
    /// An address of the interface that routes beyond the link (OSPFv2 its
    /// address; OSPFv3 its first global one), for a forwarding address.
    fn routable(a: &Self::IfAddr) -> Option<Self::Addr>;
    /// The interface mask as a number (OSPFv2; 0 for OSPFv3).
    fn mask(a: &Self::IfAddr) -> u32;
    /// The address as a DR identifier (OSPFv2 interface address; unused in
    /// OSPFv3, where the DR is a Router ID).
    fn addr_id(a: Self::Addr) -> u32;
    /// Whether a unicast packet to `dst` is for this interface.
    fn is_local(a: &Self::IfAddr, dst: Self::Addr) -> bool;
    /// Whether a packet from `src` may come from this link (RFC 2328 §8.2:
    /// the same subnet on broadcast networks; RFC 5340 §4.2.2: a
    /// link-local source).
    fn source_ok(a: &Self::IfAddr, src: Self::Addr, broadcast: bool) -> bool;

    /// The flooding scope of an LS type; `None` for a type that is not
    /// stored at all (an unknown OSPFv2 type).
    fn scope_of(key: &<Self::LsaHeader as Header>::Key) -> Option<ScopeKind>;
    /// The key range of the LS types `first..=last` (raw type codes).
    fn type_range(
        first: u16,
        last: u16,
    ) -> std::ops::RangeInclusive<<Self::LsaHeader as Header>::Key>;
    /// OSPFv2: the Link State ID of a network-LSA, which is the DR's
    /// interface address (§13.4: ours if it is one of our addresses).
    fn network_lsa_address(key: &<Self::LsaHeader as Header>::Key) -> Option<u32>;

    /// Octets the interface's authentication adds after the packet.
    fn auth_len(auth: &Auth) -> usize;
    /// Options of Hellos and DD packets: `external` when the area takes
    /// AS-external-LSAs, `nssa` in an NSSA (RFC 3101 §2.1: the N-bit).
    fn packet_options(external: bool, nssa: bool) -> u32;
    /// The E-bit of an Options field.
    fn e_bit(options: u32) -> bool;
    /// The N-bit of a Hello's Options field.
    fn n_bit(options: u32) -> bool;

    /// Encodes a packet: the interface's authentication and `crypto_seq`
    /// (OSPFv2), the Instance ID and the addresses of the checksum
    /// (OSPFv3).
    #[allow(clippy::too_many_arguments)]
    fn encode(
        router_id: RouterId,
        area_id: AreaId,
        instance_id: u8,
        packet: Packet<Self>,
        auth: &Auth,
        crypto_seq: u32,
        src: Self::Addr,
        dst: Self::Addr,
    ) -> Vec<u8>;
    /// The Instance ID of a received packet, read from its header before
    /// anything else is checked (RFC 5340 §2.4); `None` in OSPFv2, which has
    /// none, and for a packet too short to hold one.
    fn instance_id(bytes: &[u8]) -> Option<u8>;
    /// Decodes and authenticates a packet.
    ///
    /// # Errors
    ///
    /// [`PacketError`] for a malformed packet or failed authentication.
    fn decode(
        bytes: &[u8],
        auth: &Auth,
        src: Self::Addr,
        dst: Self::Addr,
    ) -> Result<(PacketHeader, Packet<Self>), PacketError>;

    /// Whether `lsa` already carries what `t` describes (no new instance).
    fn same_content(lsa: &Self::Lsa, t: &Self::Template) -> bool;
    /// Builds one of our LSAs with LS age 0.
    fn build(key: <Self::LsaHeader as Header>::Key, seq: LsSeqNum, t: Self::Template) -> Self::Lsa;

    #[doc(hidden)]
    /// Our Interface ID on a synthetic link (OSPFv3), which none of our
    /// interfaces may have; `None` in OSPFv2.
    fn synthetic_interface_id(ends: &Self::LinkEnds) -> Option<u32>;
    #[doc(hidden)]
    /// The LSAs the router should originate now.
    fn desired_lsas(inst: &OspfInstance<Self>) -> Vec<Desired<Self>>;
    #[doc(hidden)]
    /// The full routing table calculation.
    fn compute_table(inst: &OspfInstance<Self>, now: Instant) -> Self::Table;
    #[doc(hidden)]
    /// Applies changes incrementally; `None` when a full run is needed.
    fn apply_changes(
        table: &mut Self::Table,
        changes: &[LsaChange<Self::Lsa>],
    ) -> Option<Vec<Self::Prefix>>;
    #[doc(hidden)]
    /// Every destination of the table.
    fn table_prefixes(table: &Self::Table) -> Vec<Self::Prefix>;
    #[doc(hidden)]
    /// The route to a destination as a `rib` route.
    fn rib_route(table: &Self::Table, p: &Self::Prefix) -> Option<rib::Route>;
}

/// The key type of a version.
pub type KeyOf<V> = <<V as Version>::LsaHeader as Header>::Key;

/// A shared LSA of a version.
pub type ArcLsa<V> = Arc<<V as Version>::Lsa>;
