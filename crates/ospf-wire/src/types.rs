//! Identifiers shared by OSPFv2 and OSPFv3: router and area IDs, LS sequence numbers.

use std::fmt;
use std::net::Ipv4Addr;

/// A 32-bit router ID (RFC 2328 §1.2), shown as a dotted quad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct RouterId(pub u32);

impl RouterId {
    /// The ID as an IPv4 address.
    #[must_use]
    pub fn to_ipv4(self) -> Ipv4Addr {
        Ipv4Addr::from(self.0)
    }
}

impl From<Ipv4Addr> for RouterId {
    fn from(a: Ipv4Addr) -> Self {
        Self(u32::from(a))
    }
}

impl From<RouterId> for Ipv4Addr {
    fn from(r: RouterId) -> Self {
        r.to_ipv4()
    }
}

impl fmt::Display for RouterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_ipv4().fmt(f)
    }
}

/// A 32-bit area ID (RFC 2328 §3), shown as a dotted quad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct AreaId(pub u32);

impl AreaId {
    /// The backbone area, 0.0.0.0 (RFC 2328 §3.1).
    pub const BACKBONE: Self = Self(0);

    /// Whether this is the backbone.
    #[must_use]
    pub fn is_backbone(self) -> bool {
        self == Self::BACKBONE
    }

    /// The ID as an IPv4 address.
    #[must_use]
    pub fn to_ipv4(self) -> Ipv4Addr {
        Ipv4Addr::from(self.0)
    }
}

impl From<Ipv4Addr> for AreaId {
    fn from(a: Ipv4Addr) -> Self {
        Self(u32::from(a))
    }
}

impl fmt::Display for AreaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_ipv4().fmt(f)
    }
}

/// An LS sequence number: a signed 32-bit integer (RFC 2328 §12.1.6).
///
/// "The sequence number space is linearly ordered ... -N (0x80000000) is
/// reserved (and unused)."  Ordering is that of `i32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LsSeqNum(pub i32);

impl LsSeqNum {
    /// InitialSequenceNumber, 0x80000001 (RFC 2328 appendix B).
    pub const INITIAL: Self = Self(i32::MIN + 1);
    /// MaxSequenceNumber, 0x7fffffff (RFC 2328 appendix B).
    pub const MAX: Self = Self(i32::MAX);

    /// The number as it appears on the wire.
    #[must_use]
    pub fn to_wire(self) -> u32 {
        self.0 as u32
    }

    /// The number from its wire form.
    #[must_use]
    pub fn from_wire(v: u32) -> Self {
        Self(v as i32)
    }

    /// The next sequence number, or `None` at MaxSequenceNumber, where
    /// RFC 2328 §12.1.6 requires the LSA to be flushed first.
    #[must_use]
    pub fn next(self) -> Option<Self> {
        if self == Self::MAX {
            None
        } else {
            Some(Self(self.0 + 1))
        }
    }
}

impl fmt::Display for LsSeqNum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:08x}", self.to_wire())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_quad() {
        assert_eq!(AreaId(2).to_string(), "0.0.0.2");
        assert_eq!(RouterId(0x0a00_0001).to_string(), "10.0.0.1");
        assert_eq!(RouterId::from(Ipv4Addr::new(1, 2, 3, 4)), RouterId(0x0102_0304));
    }

    #[test]
    fn sequence_numbers_are_signed() {
        assert_eq!(LsSeqNum::INITIAL.to_wire(), 0x8000_0001);
        assert_eq!(LsSeqNum::MAX.to_wire(), 0x7fff_ffff);
        assert!(LsSeqNum::INITIAL < LsSeqNum::from_wire(0x8000_0002));
        assert!(LsSeqNum::from_wire(0xffff_ffff) < LsSeqNum::from_wire(0));
        assert_eq!(LsSeqNum::MAX.next(), None);
        assert_eq!(LsSeqNum::INITIAL.next(), Some(LsSeqNum::from_wire(0x8000_0002)));
    }
}
