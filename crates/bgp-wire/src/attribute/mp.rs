//! MP_REACH_NLRI and MP_UNREACH_NLRI (RFC 4760 §3, §4), with the IPv6 next hops of RFC 2545
//! §3 and IPv4 NLRI over an IPv6 next hop (RFC 8950 §3).
//!
//! IPv4 and IPv6 unicast and multicast NLRI are typed; every other family is carried as the
//! raw NLRI octets of its AFI/SAFI and re-encoded exactly.

use core::net::{Ipv4Addr, Ipv6Addr};

use bytes::{Bytes, BytesMut};

use crate::context::Context;
use crate::error::Reason;
use crate::nlri::{self, Nlri, NlriIter, PrefixAfi};
use crate::types::{Afi, Family, Safi};

/// The next hop of an MP_REACH_NLRI.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum NextHop {
    /// 4 octets: an IPv4 address.
    Ipv4(Ipv4Addr),
    /// 16 octets: a global IPv6 address (RFC 2545 §3), or for IPv4 NLRI the RFC 8950 next hop.
    Ipv6(Ipv6Addr),
    /// 32 octets: a global IPv6 address followed by a link-local one (RFC 2545 §3). Some speakers put `::` or the link-local address in the first half.
    Ipv6LinkLocal {
        /// The first address (global, or whatever the sender put there).
        global: Ipv6Addr,
        /// The link-local address.
        link_local: Ipv6Addr,
    },
    /// Any other next hop (e.g. route distinguisher + address of VPN families), as received.
    Other(Bytes),
}

impl NextHop {
    /// Octets on the wire.
    pub fn len(&self) -> usize {
        match self {
            NextHop::Ipv4(_) => 4,
            NextHop::Ipv6(_) => 16,
            NextHop::Ipv6LinkLocal { .. } => 32,
            NextHop::Other(b) => b.len().min(255),
        }
    }

    /// True for an empty `Other` next hop.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn encode(&self, buf: &mut BytesMut) {
        match self {
            NextHop::Ipv4(a) => buf.extend_from_slice(&a.octets()),
            NextHop::Ipv6(a) => buf.extend_from_slice(&a.octets()),
            NextHop::Ipv6LinkLocal { global, link_local } => {
                buf.extend_from_slice(&global.octets());
                buf.extend_from_slice(&link_local.octets());
            }
            NextHop::Other(b) => buf.extend_from_slice(&b[..self.len()]),
        }
    }

    /// Decodes a next hop of a typed family by its length; `None` when the length is not 4,
    /// 16 or 32.
    pub fn from_octets(v: &[u8]) -> Option<NextHop> {
        if let Ok(a) = <[u8; 4]>::try_from(v) {
            return Some(NextHop::Ipv4(Ipv4Addr::from(a)));
        }
        if let Ok(a) = <[u8; 16]>::try_from(v) {
            return Some(NextHop::Ipv6(Ipv6Addr::from(a)));
        }
        let a = <[u8; 32]>::try_from(v).ok()?;
        let (g, l) = a.split_at(16);
        Some(NextHop::Ipv6LinkLocal {
            global: Ipv6Addr::from(<[u8; 16]>::try_from(g).ok()?),
            link_local: Ipv6Addr::from(<[u8; 16]>::try_from(l).ok()?),
        })
    }
}

/// NLRI of an MP attribute: typed routes, or raw octets for families without typed support.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MpNlri {
    /// IPv4/IPv6 unicast or multicast routes.
    Routes(Vec<Nlri>),
    /// The NLRI octets of any other family, as received.
    Raw(Bytes),
}

impl MpNlri {
    fn len(&self, add_path: bool) -> usize {
        match self {
            MpNlri::Routes(r) => r.iter().map(|n| n.wire_len(add_path)).sum(),
            MpNlri::Raw(b) => b.len(),
        }
    }

    fn encode(&self, add_path: bool, buf: &mut BytesMut) {
        match self {
            MpNlri::Routes(r) => r.iter().for_each(|n| n.encode(add_path, buf)),
            MpNlri::Raw(b) => buf.extend_from_slice(b),
        }
    }

    /// True when there is no route.
    pub fn is_empty(&self) -> bool {
        match self {
            MpNlri::Routes(r) => r.is_empty(),
            MpNlri::Raw(b) => b.is_empty(),
        }
    }

    fn decode(family: Family, v: &Bytes, ctx: &Context) -> Result<MpNlri, Reason> {
        match PrefixAfi::of(family) {
            Some(afi) => {
                let add_path = ctx.has_path_id(family);
                nlri::check(v, afi, add_path).map_err(|(_, r)| r)?;
                Ok(MpNlri::Routes(NlriIter::new(v, afi, add_path).collect()))
            }
            None => Ok(MpNlri::Raw(v.clone())),
        }
    }
}

/// MP_REACH_NLRI: routes of one family with their next hop.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MpReach {
    /// AFI/SAFI of the routes.
    pub family: Family,
    /// Network Address of Next Hop.
    pub next_hop: NextHop,
    /// The routes.
    pub nlri: MpNlri,
}

/// MP_UNREACH_NLRI: withdrawn routes of one family.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MpUnreach {
    /// AFI/SAFI of the routes.
    pub family: Family,
    /// The withdrawn routes.
    pub nlri: MpNlri,
}

/// The fields of an MP_REACH_NLRI value, split but not decoded.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReachParts<'a> {
    pub family: Family,
    pub next_hop: &'a [u8],
    /// Position of the NLRI within the value.
    pub nlri_at: usize,
    pub nlri: &'a [u8],
}

/// Splits an MP_REACH_NLRI value: AFI (2), SAFI (1), next hop length (1), next hop, reserved
/// (1), NLRI (RFC 4760 §3).
pub(crate) fn split_reach(v: &[u8]) -> Result<ReachParts<'_>, Reason> {
    let [a0, a1, safi, nh_len, rest @ ..] = v else {
        return Err(Reason::Truncated { needed: 5, available: v.len() });
    };
    let family = Family::new(Afi(u16::from_be_bytes([*a0, *a1])), Safi(*safi));
    let n = usize::from(*nh_len);
    let next_hop = rest.get(..n).ok_or(Reason::Truncated { needed: n + 5, available: v.len() })?;
    let nlri = rest.get(n + 1..).ok_or(Reason::Truncated { needed: n + 5, available: v.len() })?;
    Ok(ReachParts { family, next_hop, nlri_at: 5 + n, nlri })
}

/// Splits an MP_UNREACH_NLRI value: AFI (2), SAFI (1), withdrawn routes (RFC 4760 §4).
pub(crate) fn split_unreach(v: &[u8]) -> Result<(Family, &[u8]), Reason> {
    let [a0, a1, safi, rest @ ..] = v else {
        return Err(Reason::Truncated { needed: 3, available: v.len() });
    };
    Ok((Family::new(Afi(u16::from_be_bytes([*a0, *a1])), Safi(*safi)), rest))
}

/// Checks a typed family's next hop length (RFC 7606 §7.11: a Length of Next Hop Network
/// Address inconsistent with what the family expects makes the attribute malformed).
pub(crate) fn next_hop_len_ok(family: Family, len: usize) -> bool {
    match PrefixAfi::of(family) {
        // RFC 4760 and RFC 8950 §3: 4 for IPv4, or 16/32 for an IPv6 next hop.
        Some(PrefixAfi::Ipv4) => matches!(len, 4 | 16 | 32),
        // RFC 2545 §3: 16, or 32 with a link-local address.
        Some(PrefixAfi::Ipv6) => matches!(len, 16 | 32),
        None => true,
    }
}

impl MpReach {
    /// Routes of a typed family with a next hop.
    pub fn new(family: Family, next_hop: NextHop, routes: Vec<Nlri>) -> MpReach {
        MpReach { family, next_hop, nlri: MpNlri::Routes(routes) }
    }

    pub(crate) fn value_len(&self, ctx: &Context) -> usize {
        5 + self.next_hop.len() + self.nlri.len(ctx.has_path_id(self.family))
    }

    pub(crate) fn encode_value(&self, ctx: &Context, buf: &mut BytesMut) {
        buf.extend_from_slice(&(self.family.afi.0).to_be_bytes());
        buf.extend_from_slice(&[self.family.safi.0]);
        buf.extend_from_slice(&[self.next_hop.len() as u8]);
        self.next_hop.encode(buf);
        // RFC 4760 §3: "Reserved: A 1 octet field that MUST be set to 0".
        buf.extend_from_slice(&[0]);
        self.nlri.encode(ctx.has_path_id(self.family), buf);
    }

    /// Decodes a value; `value` is a slice of the message (raw NLRI share its memory).
    pub fn decode(value: &Bytes, ctx: &Context) -> Result<MpReach, Reason> {
        let p = split_reach(value)?;
        let next_hop = match PrefixAfi::of(p.family) {
            Some(_) => NextHop::from_octets(p.next_hop).ok_or(Reason::InvalidNextHop)?,
            None => NextHop::Other(value.slice(4..4 + p.next_hop.len())),
        };
        let nlri = MpNlri::decode(p.family, &value.slice(p.nlri_at..), ctx)?;
        Ok(MpReach { family: p.family, next_hop, nlri })
    }
}

impl MpUnreach {
    /// Withdrawn routes of a typed family.
    pub fn new(family: Family, routes: Vec<Nlri>) -> MpUnreach {
        MpUnreach { family, nlri: MpNlri::Routes(routes) }
    }

    /// The End-of-RIB marker of a family other than IPv4 unicast: an empty MP_UNREACH_NLRI
    /// (RFC 4724 §2).
    pub fn end_of_rib(family: Family) -> MpUnreach {
        let nlri = match PrefixAfi::of(family) {
            Some(_) => MpNlri::Routes(Vec::new()),
            None => MpNlri::Raw(Bytes::new()),
        };
        MpUnreach { family, nlri }
    }

    pub(crate) fn value_len(&self, ctx: &Context) -> usize {
        3 + self.nlri.len(ctx.has_path_id(self.family))
    }

    pub(crate) fn encode_value(&self, ctx: &Context, buf: &mut BytesMut) {
        buf.extend_from_slice(&(self.family.afi.0).to_be_bytes());
        buf.extend_from_slice(&[self.family.safi.0]);
        self.nlri.encode(ctx.has_path_id(self.family), buf);
    }

    /// Decodes a value; `value` is a slice of the message.
    pub fn decode(value: &Bytes, ctx: &Context) -> Result<MpUnreach, Reason> {
        let (family, _) = split_unreach(value)?;
        let nlri = MpNlri::decode(family, &value.slice(3..), ctx)?;
        Ok(MpUnreach { family, nlri })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_reach_link_local() {
        let hex = &[
            "000201",
            "20",
            "20010000000000000000000000000001",
            "fe800000000000000000000000000001",
            "00",
            "2020010db8",
        ]
        .concat();
        let v = Bytes::from(hex::decode(hex).unwrap());
        let m = MpReach::decode(&v, &Context::modern()).unwrap();
        assert_eq!(
            m,
            MpReach::new(
                Family::IPV6_UNICAST,
                NextHop::Ipv6LinkLocal {
                    global: "2001::1".parse().unwrap(),
                    link_local: "fe80::1".parse().unwrap()
                },
                vec![Nlri::new("2001:db8::/32".parse().unwrap())],
            )
        );
        let mut b = BytesMut::new();
        m.encode_value(&Context::modern(), &mut b);
        assert_eq!(&hex::encode(&b), hex);
    }

    #[test]
    fn ipv4_over_ipv6_next_hop_rfc8950() {
        let hex = "00010110fe800000000000000000000000000001001864400a";
        let v = Bytes::from(hex::decode(hex).unwrap());
        let m = MpReach::decode(&v, &Context::modern()).unwrap();
        assert_eq!(m.next_hop, NextHop::Ipv6("fe80::1".parse().unwrap()));
        assert_eq!(m.nlri, MpNlri::Routes(vec![Nlri::new("100.64.10.0/24".parse().unwrap())]));
        let mut b = BytesMut::new();
        m.encode_value(&Context::modern(), &mut b);
        assert_eq!(hex::encode(&b), hex);
    }

    #[test]
    fn vpn_is_raw() {
        // VPNv4: next hop RD (8 zero octets) + IPv4; NLRI kept as octets.
        let hex = "0001800c000000000000000001020304007000064100000001000000010a0000";
        let v = Bytes::from(hex::decode(hex).unwrap());
        let m = MpReach::decode(&v, &Context::modern()).unwrap();
        assert!(matches!(m.next_hop, NextHop::Other(ref b) if b.len() == 12));
        assert!(matches!(m.nlri, MpNlri::Raw(ref b) if b.len() == 15));
        let mut b = BytesMut::new();
        m.encode_value(&Context::modern(), &mut b);
        assert_eq!(hex::encode(&b), hex);
    }

    #[test]
    fn unreach_end_of_rib() {
        let m = MpUnreach::end_of_rib(Family::IPV6_UNICAST);
        let mut b = BytesMut::new();
        m.encode_value(&Context::modern(), &mut b);
        assert_eq!(hex::encode(&b), "000201");
        let d = MpUnreach::decode(&b.freeze(), &Context::modern()).unwrap();
        assert_eq!(d.nlri, MpNlri::Routes(vec![]));
    }
}
