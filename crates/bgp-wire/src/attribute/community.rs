//! Communities (RFC 1997), extended communities (RFC 4360) and large communities (RFC 8092).

use core::fmt;
use core::net::Ipv4Addr;

/// A community: 32 bits, conventionally `AS:value`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Community(pub u32);

impl Community {
    /// RFC 1997: "All routes received carrying a communities attribute containing this value
    /// MUST NOT be advertised outside a BGP confederation boundary".
    pub const NO_EXPORT: Community = Community(0xFFFF_FF01);
    /// RFC 1997: "MUST NOT be advertised to other BGP peers".
    pub const NO_ADVERTISE: Community = Community(0xFFFF_FF02);
    /// RFC 1997: "MUST NOT be advertised to external BGP peers" (including confederation
    /// sub-AS peers).
    pub const NO_EXPORT_SUBCONFED: Community = Community(0xFFFF_FF03);
    /// RFC 3765: do not advertise to bilateral peers.
    pub const NO_PEER: Community = Community(0xFFFF_FF04);
    /// RFC 7999: remote triggered blackholing.
    pub const BLACKHOLE: Community = Community(0xFFFF_029A);
    /// RFC 8326: graceful shutdown.
    pub const GRACEFUL_SHUTDOWN: Community = Community(0xFFFF_0000);
    /// RFC 7611: accept own.
    pub const ACCEPT_OWN: Community = Community(0xFFFF_0001);
    /// RFC 9494: long-lived graceful restart stale route.
    pub const LLGR_STALE: Community = Community(0xFFFF_0006);
    /// RFC 9494: do not treat as long-lived stale.
    pub const NO_LLGR: Community = Community(0xFFFF_0007);

    /// Builds `asn:value`.
    pub const fn new(asn: u16, value: u16) -> Community {
        Community(((asn as u32) << 16) | value as u32)
    }

    /// The high 16 bits.
    pub const fn asn(self) -> u16 {
        (self.0 >> 16) as u16
    }

    /// The low 16 bits.
    pub const fn value(self) -> u16 {
        self.0 as u16
    }

    /// The registered name of a well-known community.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Community::NO_EXPORT => "NO_EXPORT",
            Community::NO_ADVERTISE => "NO_ADVERTISE",
            Community::NO_EXPORT_SUBCONFED => "NO_EXPORT_SUBCONFED",
            Community::NO_PEER => "NO_PEER",
            Community::BLACKHOLE => "BLACKHOLE",
            Community::GRACEFUL_SHUTDOWN => "GRACEFUL_SHUTDOWN",
            Community::ACCEPT_OWN => "ACCEPT_OWN",
            Community::LLGR_STALE => "LLGR_STALE",
            Community::NO_LLGR => "NO_LLGR",
            _ => return None,
        })
    }
}

impl fmt::Display for Community {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "{}:{}", self.asn(), self.value()),
        }
    }
}

impl fmt::Debug for Community {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A large community `global:local1:local2` (RFC 8092 §3).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct LargeCommunity {
    /// Global Administrator (an ASN).
    pub global_admin: u32,
    /// Local Data Part 1.
    pub local_data_1: u32,
    /// Local Data Part 2.
    pub local_data_2: u32,
}

impl LargeCommunity {
    /// Builds one.
    pub const fn new(global_admin: u32, local_data_1: u32, local_data_2: u32) -> LargeCommunity {
        LargeCommunity { global_admin, local_data_1, local_data_2 }
    }

    pub(crate) fn from_octets(o: &[u8; 12]) -> LargeCommunity {
        let w = |i: usize| u32::from_be_bytes([o[i], o[i + 1], o[i + 2], o[i + 3]]);
        LargeCommunity::new(w(0), w(4), w(8))
    }
}

impl fmt::Display for LargeCommunity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.global_admin, self.local_data_1, self.local_data_2)
    }
}

/// An extended community: eight octets, the first one or two giving its type (RFC 4360 §2).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct ExtendedCommunity(pub [u8; 8]);

/// An extended community decoded as far as this crate knows its type.
#[derive(Clone, Copy, PartialEq, Debug)]
#[non_exhaustive]
pub enum ExtendedCommunityKind {
    /// Route Target (sub-type 0x02): RFC 4360 §4, RFC 5668.
    RouteTarget(ExtAdmin),
    /// Route Origin (sub-type 0x03).
    RouteOrigin(ExtAdmin),
    /// Link bandwidth (type 0x40 or 0x00, sub-type 0x04): AS and IEEE float octets per second
    /// (draft-ietf-idr-link-bandwidth).
    LinkBandwidth {
        /// The AS.
        asn: u16,
        /// Bandwidth in octets per second.
        bandwidth: f32,
    },
    /// Anything else: type, sub-type and the six value octets.
    Other {
        /// Type high octet.
        type_high: u8,
        /// Sub-type (meaningful for the regular types).
        sub_type: u8,
        /// Value octets.
        value: [u8; 6],
    },
}

/// The global/local administrator of a route target or origin.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ExtAdmin {
    /// Two-octet AS specific (type 0x00): `asn:u32`.
    As2(u16, u32),
    /// IPv4 address specific (type 0x01): `a.b.c.d:u16`.
    Ipv4(Ipv4Addr, u16),
    /// Four-octet AS specific (type 0x02, RFC 5668): `asn:u16`.
    As4(u32, u16),
}

impl fmt::Display for ExtAdmin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExtAdmin::As2(a, v) => write!(f, "{a}:{v}"),
            ExtAdmin::Ipv4(a, v) => write!(f, "{a}:{v}"),
            ExtAdmin::As4(a, v) => write!(f, "{a}:{v}"),
        }
    }
}

impl ExtendedCommunity {
    /// Type high octet. Bit 0x40 clear means transitive (RFC 4360 §2).
    pub const fn type_high(self) -> u8 {
        self.0[0]
    }

    /// Sub-type octet.
    pub const fn sub_type(self) -> u8 {
        self.0[1]
    }

    /// True when the community may be passed across AS boundaries (RFC 4360 §2).
    pub const fn is_transitive(self) -> bool {
        self.0[0] & 0x40 == 0
    }

    /// A route target.
    pub fn route_target(admin: ExtAdmin) -> ExtendedCommunity {
        Self::admin(admin, 0x02)
    }

    /// A route origin.
    pub fn route_origin(admin: ExtAdmin) -> ExtendedCommunity {
        Self::admin(admin, 0x03)
    }

    fn admin(admin: ExtAdmin, sub: u8) -> ExtendedCommunity {
        let mut o = [0u8; 8];
        o[1] = sub;
        match admin {
            ExtAdmin::As2(a, v) => {
                o[2..4].copy_from_slice(&a.to_be_bytes());
                o[4..8].copy_from_slice(&v.to_be_bytes());
            }
            ExtAdmin::Ipv4(a, v) => {
                o[0] = 0x01;
                o[2..6].copy_from_slice(&a.octets());
                o[6..8].copy_from_slice(&v.to_be_bytes());
            }
            ExtAdmin::As4(a, v) => {
                o[0] = 0x02;
                o[2..6].copy_from_slice(&a.to_be_bytes());
                o[6..8].copy_from_slice(&v.to_be_bytes());
            }
        }
        ExtendedCommunity(o)
    }

    /// Decodes the kinds this crate names.
    pub fn kind(self) -> ExtendedCommunityKind {
        let o = self.0;
        let u16_at = |i: usize| u16::from_be_bytes([o[i], o[i + 1]]);
        let u32_at = |i: usize| u32::from_be_bytes([o[i], o[i + 1], o[i + 2], o[i + 3]]);
        let admin = match o[0] {
            0x00 => Some(ExtAdmin::As2(u16_at(2), u32_at(4))),
            0x01 => Some(ExtAdmin::Ipv4(Ipv4Addr::new(o[2], o[3], o[4], o[5]), u16_at(6))),
            0x02 => Some(ExtAdmin::As4(u32_at(2), u16_at(6))),
            _ => None,
        };
        match (o[0], o[1], admin) {
            (0x00 | 0x40, 0x04, _) => ExtendedCommunityKind::LinkBandwidth {
                asn: u16_at(2),
                bandwidth: f32::from_bits(u32_at(4)),
            },
            (_, 0x02, Some(a)) => ExtendedCommunityKind::RouteTarget(a),
            (_, 0x03, Some(a)) => ExtendedCommunityKind::RouteOrigin(a),
            _ => ExtendedCommunityKind::Other {
                type_high: o[0],
                sub_type: o[1],
                value: [o[2], o[3], o[4], o[5], o[6], o[7]],
            },
        }
    }
}

impl fmt::Display for ExtendedCommunity {
    /// `rt:65000:100`, `ro:192.0.2.1:7`, `lb:65000:1.25e8`, or `0xTT:0xSS:hex`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind() {
            ExtendedCommunityKind::RouteTarget(a) => write!(f, "rt:{a}"),
            ExtendedCommunityKind::RouteOrigin(a) => write!(f, "ro:{a}"),
            ExtendedCommunityKind::LinkBandwidth { asn, bandwidth } => {
                write!(f, "lb:{asn}:{bandwidth}")
            }
            ExtendedCommunityKind::Other { type_high, sub_type, value } => {
                write!(f, "0x{type_high:02x}:0x{sub_type:02x}:")?;
                value.iter().try_for_each(|b| write!(f, "{b:02x}"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_names() {
        assert_eq!(Community::NO_EXPORT.to_string(), "NO_EXPORT");
        assert_eq!(Community::new(65000, 100).to_string(), "65000:100");
        assert_eq!(Community(0xFFFF029A).to_string(), "BLACKHOLE");
    }

    #[test]
    fn extended_kinds() {
        let rt = ExtendedCommunity(hex::decode("0002fde800000064").unwrap().try_into().unwrap());
        assert_eq!(rt, ExtendedCommunity::route_target(ExtAdmin::As2(65000, 100)));
        assert_eq!(rt.to_string(), "rt:65000:100");
        let ro = ExtendedCommunity::route_origin(ExtAdmin::Ipv4(Ipv4Addr::new(192, 0, 2, 1), 7));
        assert_eq!(hex::encode(ro.0), "0103c000020100".to_string() + "07");
        assert_eq!(ro.to_string(), "ro:192.0.2.1:7");
        let rt4 = ExtendedCommunity::route_target(ExtAdmin::As4(4_200_000_000, 1));
        assert_eq!(rt4.kind(), ExtendedCommunityKind::RouteTarget(ExtAdmin::As4(4_200_000_000, 1)));
        let lb = ExtendedCommunity(hex::decode("4004fde84cee6b28").unwrap().try_into().unwrap());
        assert_eq!(
            lb.kind(),
            ExtendedCommunityKind::LinkBandwidth { asn: 65000, bandwidth: 125_000_000.0 }
        );
        assert!(!lb.is_transitive());
        let other = ExtendedCommunity(hex::decode("030c000000000008").unwrap().try_into().unwrap());
        assert_eq!(other.to_string(), "0x03:0x0c:000000000008");
        let lc = LargeCommunity::from_octets(
            &hex::decode("0000fde8000000010000000a").unwrap().try_into().unwrap(),
        );
        assert_eq!(lc.to_string(), "65000:1:10");
    }
}
