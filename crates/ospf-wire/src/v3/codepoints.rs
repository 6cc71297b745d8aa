//! OSPFv3 codepoints (RFC 5340 A.2 to A.4) as newtypes with associated
//! constants, so that unknown values survive a round trip.
//!
//! The packet types and the Database Description flags are those of OSPFv2
//! and are re-exported from [`crate::v2::codepoints`].

use std::fmt;

pub use crate::v2::codepoints::{DdFlags, PacketType};

macro_rules! bit_ops {
    ($ty:ty) => {
        impl $ty {
            /// Whether all bits of `other` are set.
            #[must_use]
            pub fn contains(self, other: Self) -> bool {
                self.0 & other.0 == other.0
            }
        }

        impl std::ops::BitOr for $ty {
            type Output = Self;
            fn bitor(self, rhs: Self) -> Self {
                Self(self.0 | rhs.0)
            }
        }
    };
}

/// The 24-bit Options field of Hello, Database Description, router-,
/// network-, inter-area-router- and link-LSAs (RFC 5340 A.2, RFC 5838 for
/// AF, RFC 5613 for L, RFC 7166 for AT). Only the low 24 bits are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Options(pub u32);

impl Options {
    /// V6-bit: the router takes part in IPv6 routing (clear: not a transit router).
    pub const V6: Self = Self(0x01);
    /// E-bit: AS-external-LSAs are flooded (not a stub area).
    pub const E: Self = Self(0x02);
    /// x-bit, formerly MC (MOSPF), no longer used.
    pub const MC: Self = Self(0x04);
    /// N-bit: NSSA support (RFC 3101).
    pub const N: Self = Self(0x08);
    /// R-bit: the originator is an active router (clear: a host or a
    /// multi-homed device that must not forward).
    pub const R: Self = Self(0x10);
    /// DC-bit: demand circuits (RFC 1793).
    pub const DC: Self = Self(0x20);
    /// AF-bit: address families (RFC 5838).
    pub const AF: Self = Self(0x100);
    /// L-bit: the packet carries an LLS data block (RFC 5613).
    pub const L: Self = Self(0x200);
    /// AT-bit: packets on this link carry an authentication trailer (RFC 7166 §2.1).
    pub const AT: Self = Self(0x400);
    /// The bits that fit the field.
    pub const MASK: u32 = 0x00ff_ffff;
}

bit_ops!(Options);

/// The flags octet of a router-LSA (RFC 5340 A.4.3, RFC 3101 for Nt).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RouterFlags(pub u8);

impl RouterFlags {
    /// B-bit: area border router.
    pub const B: Self = Self(0x01);
    /// E-bit: AS boundary router.
    pub const E: Self = Self(0x02);
    /// V-bit: endpoint of a fully adjacent virtual link.
    pub const V: Self = Self(0x04);
    /// x-bit, formerly W (wildcard multicast receiver).
    pub const W: Self = Self(0x08);
    /// Nt-bit: NSSA translator (RFC 3101).
    pub const NT: Self = Self(0x10);
}

bit_ops!(RouterFlags);

/// Router-LSA interface type (RFC 5340 A.4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RouterLinkType(pub u8);

impl RouterLinkType {
    /// Point-to-point connection to another router.
    pub const POINT_TO_POINT: Self = Self(1);
    /// Connection to a transit network.
    pub const TRANSIT: Self = Self(2);
    /// Virtual link (3 is reserved).
    pub const VIRTUAL: Self = Self(4);
}

/// The PrefixOptions octet of an IPv6 prefix (RFC 5340 A.4.1.1, RFC 8362 for N).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PrefixOptions(pub u8);

impl PrefixOptions {
    /// NU-bit: not to be included in IPv6 unicast calculations.
    pub const NU: Self = Self(0x01);
    /// LA-bit: the prefix is an address of the advertising router (a /128).
    pub const LA: Self = Self(0x02);
    /// x-bit, formerly MC.
    pub const MC: Self = Self(0x04);
    /// P-bit: an NSSA prefix to be propagated by the translator.
    pub const P: Self = Self(0x08);
    /// DN-bit: the prefix came from a PE in a BGP/MPLS VPN (RFC 4576, RFC 6565).
    pub const DN: Self = Self(0x10);
    /// N-bit: a host address that identifies the router (RFC 8362).
    pub const N: Self = Self(0x20);
}

bit_ops!(PrefixOptions);

/// The flooding scope of an LSA, from the S1 and S2 bits of its LS type
/// (RFC 5340 A.4.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FloodingScope {
    /// S2 S1 = 00: flooded only on the originating link.
    LinkLocal,
    /// S2 S1 = 01: flooded throughout the area.
    Area,
    /// S2 S1 = 10: flooded throughout the routing domain.
    As,
    /// S2 S1 = 11: reserved.
    Reserved,
}

/// The 16-bit OSPFv3 LS type (RFC 5340 A.4.2.1): the U bit, the S2 and S1
/// bits, and a 13-bit LSA function code.
///
/// ```text
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5
/// |U |S2|S1|    LSA Function Code   |
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LsType(pub u16);

impl LsType {
    /// Router-LSA, area scope.
    pub const ROUTER: Self = Self(0x2001);
    /// Network-LSA, area scope.
    pub const NETWORK: Self = Self(0x2002);
    /// Inter-area-prefix-LSA, area scope.
    pub const INTER_AREA_PREFIX: Self = Self(0x2003);
    /// Inter-area-router-LSA, area scope.
    pub const INTER_AREA_ROUTER: Self = Self(0x2004);
    /// AS-external-LSA, AS scope.
    pub const AS_EXTERNAL: Self = Self(0x4005);
    /// Deprecated group-membership-LSA (MOSPF), area scope.
    pub const GROUP_MEMBERSHIP: Self = Self(0x2006);
    /// NSSA-LSA (RFC 3101), area scope.
    pub const NSSA: Self = Self(0x2007);
    /// Link-LSA, link-local scope.
    pub const LINK: Self = Self(0x0008);
    /// Intra-area-prefix-LSA, area scope.
    pub const INTRA_AREA_PREFIX: Self = Self(0x2009);

    /// The U bit: how a router that does not recognise the function code
    /// handles the LSA.
    #[must_use]
    pub fn u_bit(self) -> bool {
        self.0 & 0x8000 != 0
    }

    /// The 13-bit LSA function code.
    #[must_use]
    pub fn function_code(self) -> u16 {
        self.0 & 0x1fff
    }

    /// The scope the S2 and S1 bits encode.
    #[must_use]
    pub fn scope(self) -> FloodingScope {
        match (self.0 >> 13) & 0x3 {
            0 => FloodingScope::LinkLocal,
            1 => FloodingScope::Area,
            2 => FloodingScope::As,
            _ => FloodingScope::Reserved,
        }
    }

    /// The scope an LSA of this type is flooded with by a router that does
    /// not understand its function code (RFC 5340 A.4.2.1): with the U bit
    /// clear, "treat the LSA as if it had link-local flooding scope"; with
    /// it set, "store and flood the LSA as if the type is understood", that
    /// is with the scope of S1 and S2.
    #[must_use]
    pub fn unknown_flooding_scope(self) -> FloodingScope {
        if self.u_bit() {
            self.scope()
        } else {
            FloodingScope::LinkLocal
        }
    }
}

impl fmt::Display for LsType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:04x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ls_type_bits() {
        assert_eq!(LsType::ROUTER.scope(), FloodingScope::Area);
        assert_eq!(LsType::AS_EXTERNAL.scope(), FloodingScope::As);
        assert_eq!(LsType::LINK.scope(), FloodingScope::LinkLocal);
        assert_eq!(LsType::INTRA_AREA_PREFIX.function_code(), 9);
        assert!(!LsType::ROUTER.u_bit());
        // Unknown function code 0x1f, area scope: link-local without U, area with U.
        assert_eq!(LsType(0x201f).unknown_flooding_scope(), FloodingScope::LinkLocal);
        assert_eq!(LsType(0xa01f).unknown_flooding_scope(), FloodingScope::Area);
        assert_eq!(LsType(0xc01f).unknown_flooding_scope(), FloodingScope::As);
        assert_eq!(LsType(0xe01f).scope(), FloodingScope::Reserved);
        assert_eq!(LsType(0x4005).to_string(), "0x4005");
    }
}
