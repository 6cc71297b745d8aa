//! Small codepoint newtypes shared by every message.

use core::fmt;

/// Address Family Identifier (IANA "Address Family Numbers").
///
/// A newtype so that unknown values survive a round trip.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Afi(pub u16);

impl Afi {
    /// IP version 4.
    pub const IPV4: Afi = Afi(1);
    /// IP version 6.
    pub const IPV6: Afi = Afi(2);
    /// Layer-2 VPN (EVPN uses AFI 25).
    pub const L2VPN: Afi = Afi(25);
}

impl fmt::Debug for Afi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Afi::IPV4 => f.write_str("ipv4"),
            Afi::IPV6 => f.write_str("ipv6"),
            Afi::L2VPN => f.write_str("l2vpn"),
            Afi(n) => write!(f, "afi{n}"),
        }
    }
}

/// Subsequent Address Family Identifier (IANA "SAFI Values").
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Safi(pub u8);

impl Safi {
    /// Unicast forwarding.
    pub const UNICAST: Safi = Safi(1);
    /// Multicast forwarding.
    pub const MULTICAST: Safi = Safi(2);
    /// NLRI with MPLS labels (RFC 8277).
    pub const LABELED_UNICAST: Safi = Safi(4);
    /// EVPN (RFC 7432).
    pub const EVPN: Safi = Safi(70);
    /// MPLS-labelled VPN address (RFC 4364).
    pub const MPLS_VPN: Safi = Safi(128);
    /// Route target constraint (RFC 4684).
    pub const RT_CONSTRAINT: Safi = Safi(132);
    /// Flow specification (RFC 8955).
    pub const FLOWSPEC: Safi = Safi(133);
    /// Flow specification for VPNs (RFC 8955).
    pub const FLOWSPEC_VPN: Safi = Safi(134);
}

impl fmt::Debug for Safi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Safi::UNICAST => f.write_str("unicast"),
            Safi::MULTICAST => f.write_str("multicast"),
            Safi::LABELED_UNICAST => f.write_str("labeled-unicast"),
            Safi::EVPN => f.write_str("evpn"),
            Safi::MPLS_VPN => f.write_str("mpls-vpn"),
            Safi::RT_CONSTRAINT => f.write_str("rt-constraint"),
            Safi::FLOWSPEC => f.write_str("flowspec"),
            Safi::FLOWSPEC_VPN => f.write_str("flowspec-vpn"),
            Safi(n) => write!(f, "safi{n}"),
        }
    }
}

/// An AFI/SAFI pair: the unit of capability negotiation.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Family {
    /// Address family.
    pub afi: Afi,
    /// Subsequent address family.
    pub safi: Safi,
}

impl Family {
    /// IPv4 unicast, the family of classic (non-MP) NLRI.
    pub const IPV4_UNICAST: Family = Family { afi: Afi::IPV4, safi: Safi::UNICAST };
    /// IPv6 unicast.
    pub const IPV6_UNICAST: Family = Family { afi: Afi::IPV6, safi: Safi::UNICAST };

    /// Builds a family from its two codepoints.
    pub const fn new(afi: Afi, safi: Safi) -> Family {
        Family { afi, safi }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}/{:?}", self.afi, self.safi)
    }
}

/// An Autonomous System number; always held as four octets (RFC 6793).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Asn(pub u32);

impl Asn {
    /// RFC 6793 §9: "AS_TRANS ... 23456", placed where a 4-octet AS does not fit in two.
    pub const AS_TRANS: Asn = Asn(23456);

    /// True when the number does not fit in two octets.
    pub const fn is_four_octet(self) -> bool {
        self.0 > 0xffff
    }

    /// The number to put in a 2-octet field: itself, or AS_TRANS when it does not fit.
    pub const fn to_two_octet(self) -> u16 {
        if self.is_four_octet() {
            Asn::AS_TRANS.0 as u16
        } else {
            self.0 as u16
        }
    }
}

impl fmt::Display for Asn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A small set of families (a session negotiates a handful), kept in a short list.
/// Used for ADD-PATH and extended next hop per family.
#[derive(Clone, Default, PartialEq, Eq, Debug)]
pub struct FamilySet {
    families: Vec<Family>,
}

impl FamilySet {
    /// The empty set.
    pub const fn new() -> FamilySet {
        FamilySet { families: Vec::new() }
    }

    /// Adds a family (no-op when present).
    pub fn insert(&mut self, family: Family) {
        if !self.contains(family) {
            self.families.push(family);
        }
    }

    /// Removes a family.
    pub fn remove(&mut self, family: Family) {
        self.families.retain(|f| *f != family);
    }

    /// Whether the family is in the set.
    pub fn contains(&self, family: Family) -> bool {
        self.families.contains(&family)
    }

    /// Iterates the families in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = Family> + '_ {
        self.families.iter().copied()
    }

    /// True when no family is in the set.
    pub fn is_empty(&self) -> bool {
        self.families.is_empty()
    }
}

impl FromIterator<Family> for FamilySet {
    fn from_iter<T: IntoIterator<Item = Family>>(iter: T) -> Self {
        let mut s = FamilySet::new();
        for f in iter {
            s.insert(f);
        }
        s
    }
}
