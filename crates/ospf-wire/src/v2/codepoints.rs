//! OSPFv2 codepoints as newtypes with associated constants, so that unknown
//! values survive a round trip.

use std::fmt;

/// OSPF packet type (RFC 2328 A.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PacketType(pub u8);

impl PacketType {
    /// Hello.
    pub const HELLO: Self = Self(1);
    /// Database Description.
    pub const DATABASE_DESCRIPTION: Self = Self(2);
    /// Link State Request.
    pub const LINK_STATE_REQUEST: Self = Self(3);
    /// Link State Update.
    pub const LINK_STATE_UPDATE: Self = Self(4);
    /// Link State Acknowledgment.
    pub const LINK_STATE_ACK: Self = Self(5);
}

/// Authentication type, AuType (RFC 2328 D.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AuType(pub u16);

impl AuType {
    /// Null authentication.
    pub const NULL: Self = Self(0);
    /// Simple password.
    pub const SIMPLE: Self = Self(1);
    /// Cryptographic authentication.
    pub const CRYPTOGRAPHIC: Self = Self(2);
}

/// LS type (RFC 2328 A.4.1, RFC 3101, RFC 5250).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LsType(pub u8);

impl LsType {
    /// Router-LSA.
    pub const ROUTER: Self = Self(1);
    /// Network-LSA.
    pub const NETWORK: Self = Self(2);
    /// Summary-LSA (IP network).
    pub const SUMMARY_NETWORK: Self = Self(3);
    /// Summary-LSA (ASBR).
    pub const SUMMARY_ASBR: Self = Self(4);
    /// AS-external-LSA.
    pub const AS_EXTERNAL: Self = Self(5);
    /// NSSA-LSA (RFC 3101).
    pub const NSSA: Self = Self(7);
    /// Link-local opaque LSA (RFC 5250).
    pub const OPAQUE_LINK: Self = Self(9);
    /// Area-local opaque LSA (RFC 5250).
    pub const OPAQUE_AREA: Self = Self(10);
    /// AS-scope opaque LSA (RFC 5250).
    pub const OPAQUE_AS: Self = Self(11);

    /// Whether this is one of the three opaque types.
    #[must_use]
    pub fn is_opaque(self) -> bool {
        matches!(self.0, 9..=11)
    }
}

impl fmt::Display for LsType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The Options field of Hello, DD and LSA headers (RFC 2328 A.2, RFC 5250 A.1,
/// RFC 4576 for DN).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Options(pub u8);

impl Options {
    /// MT/T bit (multi-topology, RFC 4915).
    pub const MT: Self = Self(0x01);
    /// E-bit: AS-external-LSAs are flooded (not a stub area).
    pub const E: Self = Self(0x02);
    /// MC-bit: multicast (MOSPF).
    pub const MC: Self = Self(0x04);
    /// N/P-bit: NSSA support (Hello/DD), propagate (type-7 LSA).
    pub const NP: Self = Self(0x08);
    /// EA-bit: External-Attributes-LSAs.
    pub const EA: Self = Self(0x10);
    /// DC-bit: demand circuits.
    pub const DC: Self = Self(0x20);
    /// O-bit: opaque LSAs (RFC 5250).
    pub const O: Self = Self(0x40);
    /// DN-bit: down bit (RFC 4576).
    pub const DN: Self = Self(0x80);

    /// Whether all bits of `other` are set.
    #[must_use]
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for Options {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

/// The flags octet of a Database Description packet (RFC 2328 A.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DdFlags(pub u8);

impl DdFlags {
    /// MS-bit: the sender is the master.
    pub const MS: Self = Self(0x01);
    /// M-bit: more DD packets follow.
    pub const M: Self = Self(0x02);
    /// I-bit: the first packet of the exchange.
    pub const I: Self = Self(0x04);
    /// O-bit: LSDB resynchronisation (RFC 4811).
    pub const OOB_RESYNC: Self = Self(0x08);

    /// Whether all bits of `other` are set.
    #[must_use]
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for DdFlags {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

/// The flags octet of a router-LSA (RFC 2328 A.4.2, RFC 3101 for Nt).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RouterFlags(pub u8);

impl RouterFlags {
    /// B-bit: area border router.
    pub const B: Self = Self(0x01);
    /// E-bit: AS boundary router.
    pub const E: Self = Self(0x02);
    /// V-bit: endpoint of a fully adjacent virtual link.
    pub const V: Self = Self(0x04);
    /// W-bit: wildcard multicast receiver (RFC 1584).
    pub const W: Self = Self(0x08);
    /// Nt-bit: NSSA translator (RFC 3101).
    pub const NT: Self = Self(0x10);

    /// Whether all bits of `other` are set.
    #[must_use]
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for RouterFlags {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

/// Router-LSA link type (RFC 2328 A.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RouterLinkType(pub u8);

impl RouterLinkType {
    /// Point-to-point connection to another router.
    pub const POINT_TO_POINT: Self = Self(1);
    /// Connection to a transit network.
    pub const TRANSIT: Self = Self(2);
    /// Connection to a stub network.
    pub const STUB: Self = Self(3);
    /// Virtual link.
    pub const VIRTUAL: Self = Self(4);
}
