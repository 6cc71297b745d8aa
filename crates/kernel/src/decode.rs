//! What the kernel says: netlink datagrams cut into messages, and links, addresses and
//! routes in this crate's terms.

use std::net::IpAddr;

use ipnet::IpNet;
use netlink_packet_core::{
    NetlinkBuffer, NetlinkMessage, NetlinkPayload, NLMSG_DONE, NLMSG_ERROR, NLM_F_DUMP_INTR,
};
use netlink_packet_route::address::AddressMessage;
use netlink_packet_route::address::{AddressAttribute, AddressFlags, AddressHeaderFlags};
use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkMessage};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteFlags, RouteMessage, RouteNextHop, RouteVia,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use rib::{NextHop, RouteKind};

use crate::config::RtProto;

/// A route type (`rtm_type`): what the kernel does with packets matching the route.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RtType(pub u8);

impl RtType {
    /// `RTN_UNICAST`: forwarded through next hops.
    pub const UNICAST: RtType = RtType(1);
    /// `RTN_LOCAL`: an address of this host (local table).
    pub const LOCAL: RtType = RtType(2);
    /// `RTN_BROADCAST`: a broadcast address of an IPv4 subnet (local table).
    pub const BROADCAST: RtType = RtType(3);
    /// `RTN_ANYCAST`: an IPv6 subnet-router anycast address (local table).
    pub const ANYCAST: RtType = RtType(4);
    /// `RTN_MULTICAST`: a multicast route.
    pub const MULTICAST: RtType = RtType(5);
    /// `RTN_BLACKHOLE`: dropped silently.
    pub const BLACKHOLE: RtType = RtType(6);
    /// `RTN_UNREACHABLE`: dropped with ICMP destination unreachable.
    pub const UNREACHABLE: RtType = RtType(7);
    /// `RTN_PROHIBIT`: dropped with ICMP administratively prohibited.
    pub const PROHIBIT: RtType = RtType(8);
    /// `RTN_THROW`: lookup continues in the next table.
    pub const THROW: RtType = RtType(9);

    /// The route kind of a forwarding route; `None` for the kernel's local, broadcast,
    /// anycast, multicast, throw and other entries that are not routes to redistribute.
    #[must_use]
    pub fn kind(self) -> Option<RouteKind> {
        match self {
            RtType::UNICAST => Some(RouteKind::Unicast),
            RtType::BLACKHOLE => Some(RouteKind::Blackhole),
            RtType::UNREACHABLE | RtType::PROHIBIT => Some(RouteKind::Reject),
            _ => None,
        }
    }

    /// The type a route of `kind` is installed with; a reject route is `unreachable`, as
    /// FRR installs it.
    #[must_use]
    pub fn of(kind: RouteKind) -> RtType {
        match kind {
            RouteKind::Unicast => RtType::UNICAST,
            RouteKind::Blackhole => RtType::BLACKHOLE,
            RouteKind::Reject => RtType::UNREACHABLE,
        }
    }
}

/// A network interface.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Link {
    /// Interface index.
    pub index: u32,
    /// Interface name.
    pub name: String,
    /// Administratively up (`IFF_UP`) and operational (`IFF_RUNNING`): its connected
    /// networks are reachable.
    pub up: bool,
    /// The loopback interface.
    pub loopback: bool,
}

impl Link {
    pub(crate) fn from_message(m: &LinkMessage) -> Link {
        let name = m
            .attributes
            .iter()
            .find_map(|a| match a {
                LinkAttribute::IfName(n) => Some(n.clone()),
                _ => None,
            })
            .unwrap_or_default();
        let f = m.header.flags;
        Link {
            index: m.header.index,
            name,
            up: f.contains(LinkFlags::Up) && f.contains(LinkFlags::Running),
            loopback: f.contains(LinkFlags::Loopback),
        }
    }
}

/// An address on an interface, with its prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address {
    /// The interface.
    pub ifindex: u32,
    /// The address and prefix length (`10.0.0.1/24`); for a point-to-point address, the
    /// peer's (`IFA_ADDRESS`).
    pub addr: IpNet,
    /// Duplicate address detection failed: the address is not usable.
    pub dad_failed: bool,
}

impl Address {
    pub(crate) fn from_message(m: &AddressMessage) -> Option<Address> {
        let mut address = None;
        let mut local = None;
        let mut dad_failed = m.header.flags.contains(AddressHeaderFlags::Dadfailed);
        for a in &m.attributes {
            match a {
                AddressAttribute::Address(ip) => address = Some(*ip),
                AddressAttribute::Local(ip) => local = Some(*ip),
                AddressAttribute::Flags(f) => dad_failed |= f.contains(AddressFlags::Dadfailed),
                _ => {}
            }
        }
        let ip = address.or(local)?;
        let addr = IpNet::new(ip, m.header.prefix_len).ok()?;
        Some(Address { ifindex: m.header.index, addr, dad_failed })
    }

    /// The connected network the address makes (`10.0.0.0/24` for `10.0.0.1/24`).
    #[must_use]
    pub fn network(&self) -> IpNet {
        self.addr.trunc()
    }
}

/// A route as the kernel holds it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KernelRoute {
    /// Destination.
    pub prefix: IpNet,
    /// Routing table.
    pub table: u32,
    /// Who installed it.
    pub protocol: RtProto,
    /// What it does with packets.
    pub rtype: RtType,
    /// `RTA_PRIORITY` (IPv4 routes without one have 0).
    pub metric: u32,
    /// Every next hop, as the kernel lists them.
    pub next_hops: Vec<NextHop>,
    /// The route points to a nexthop object (`RTA_NH_ID`) whose next hops are not listed.
    pub nexthop_id: Option<u32>,
    /// A cached clone (IPv6 exception routes), not a configured route.
    pub cloned: bool,
}

impl KernelRoute {
    /// Reads a route message; `None` for a family other than IPv4 and IPv6 or a message
    /// without a usable destination.
    pub fn from_message(m: &RouteMessage) -> Option<KernelRoute> {
        let h = &m.header;
        let unspecified: IpAddr = match h.address_family {
            AddressFamily::Inet => IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
            AddressFamily::Inet6 => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
            _ => return None,
        };
        let mut dst = unspecified;
        let mut table = u32::from(h.table);
        let mut metric = 0;
        let mut gateway = None;
        let mut oif = None;
        let mut multipath: &[RouteNextHop] = &[];
        let mut nexthop_id = None;
        for a in &m.attributes {
            match a {
                RouteAttribute::Destination(d) => dst = route_addr(d)?,
                RouteAttribute::Table(t) => table = *t,
                RouteAttribute::Priority(p) => metric = *p,
                RouteAttribute::Gateway(g) => gateway = route_addr(g),
                RouteAttribute::Via(v) => gateway = via_addr(v),
                RouteAttribute::Oif(i) => oif = Some(*i),
                RouteAttribute::MultiPath(hops) => multipath = hops,
                RouteAttribute::NhId(id) => nexthop_id = Some(*id),
                _ => {}
            }
        }
        if dst.is_ipv4() != unspecified.is_ipv4() {
            return None;
        }
        let prefix = IpNet::new(dst, h.destination_prefix_length).ok()?;
        let mut next_hops: Vec<NextHop> = if multipath.is_empty() {
            if gateway.is_some() || oif.is_some() {
                vec![NextHop { addr: gateway, ifindex: oif }]
            } else {
                Vec::new()
            }
        } else {
            multipath.iter().map(next_hop).collect()
        };
        next_hops.sort_unstable();
        next_hops.dedup();
        Some(KernelRoute {
            prefix,
            table,
            protocol: RtProto(u8::from(h.protocol)),
            rtype: RtType(u8::from(h.kind)),
            metric,
            next_hops,
            nexthop_id,
            cloned: h.flags.contains(RouteFlags::Cloned),
        })
    }

    /// The route in the forwarding table's terms, as [`rib::FibRoute`] carries it. Next
    /// hops are dropped from blackhole and reject routes (IPv6 lists the loopback
    /// interface there).
    #[must_use]
    pub fn to_fib_route(&self, protocol: rib::Protocol) -> Option<rib::FibRoute> {
        let kind = self.rtype.kind()?;
        let next_hops = match kind {
            RouteKind::Unicast => self.next_hops.clone(),
            RouteKind::Blackhole | RouteKind::Reject => Vec::new(),
        };
        Some(rib::FibRoute { prefix: self.prefix, protocol, kind, next_hops: next_hops.into() })
    }
}

fn next_hop(nh: &RouteNextHop) -> NextHop {
    let addr = nh.attributes.iter().find_map(|a| match a {
        RouteAttribute::Gateway(g) => route_addr(g),
        RouteAttribute::Via(v) => via_addr(v),
        _ => None,
    });
    let ifindex = (nh.interface_index != 0).then_some(nh.interface_index);
    NextHop { addr, ifindex }
}

fn route_addr(a: &RouteAddress) -> Option<IpAddr> {
    match a {
        RouteAddress::Inet(v4) => Some(IpAddr::V4(*v4)),
        RouteAddress::Inet6(v6) => Some(IpAddr::V6(*v6)),
        _ => None,
    }
}

fn via_addr(v: &RouteVia) -> Option<IpAddr> {
    match v {
        RouteVia::Inet(v4) => Some(IpAddr::V4(*v4)),
        RouteVia::Inet6(v6) => Some(IpAddr::V6(*v6)),
        _ => None,
    }
}

/// The kernel's answer to one request: `NLMSG_ERROR` with code 0 (an acknowledgement) or
/// a negative errno, and the extended acknowledgement's text when it gave one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Ack {
    pub seq: u32,
    pub code: i32,
    pub message: Option<String>,
}

/// One message of a datagram.
#[derive(Debug)]
pub(crate) enum Frame {
    /// An acknowledgement or an error.
    Ack(Ack),
    /// The end of a dump: its sequence number, its error code (0 or a negative errno), and
    /// whether the dump was interrupted by a change (`NLM_F_DUMP_INTR`) and must be redone.
    Done { seq: u32, code: i32, interrupted: bool },
    /// A routing message: a dump's part (`seq` of the request) or a notification (`seq` 0).
    Message { seq: u32, interrupted: bool, message: Box<RouteNetlinkMessage> },
    /// A message that could not be decoded, with the reason; the rest of the datagram is
    /// still read.
    Undecodable { seq: u32, reason: String },
}

/// `NLM_F_CAPPED`: the error message carries only the request's header.
const NLM_F_CAPPED: u16 = 0x100;
/// `NLM_F_ACK_TLVS`: extended acknowledgement attributes follow.
const NLM_F_ACK_TLVS: u16 = 0x200;
/// `NLMSGERR_ATTR_MSG`: the error text.
const NLMSGERR_ATTR_MSG: u16 = 1;
/// The netlink header's length.
const HEADER_LEN: usize = 16;

/// `RTM_NEWROUTE`.
const RTM_NEWROUTE: u16 = 24;
/// `RTM_DELROUTE`.
const RTM_DELROUTE: u16 = 25;

/// Cuts a datagram into its messages. Stops at the first message whose length field does
/// not fit the datagram (nothing after it can be framed).
pub(crate) fn frames(datagram: &[u8]) -> Vec<Frame> {
    frames_skipping(datagram, None)
}

/// Like [`frames`], but route messages of protocol `skip` are dropped before they are
/// decoded (`rtm_protocol` is byte 5 of `struct rtmsg`): a reader following the table
/// while we program a million routes of our own parses none of them.
pub(crate) fn frames_skipping(datagram: &[u8], skip: Option<RtProto>) -> Vec<Frame> {
    let mut out = Vec::new();
    let mut rest = datagram;
    while rest.len() >= HEADER_LEN {
        let Ok(buf) = NetlinkBuffer::new_checked(rest) else {
            out.push(Frame::Undecodable { seq: 0, reason: "truncated netlink message".into() });
            break;
        };
        let len = buf.length() as usize;
        let seq = buf.sequence_number();
        let flags = buf.flags();
        let kind = buf.message_type();
        // `new_checked` made sure that HEADER_LEN <= len <= rest.len().
        let msg = rest.get(..len).unwrap_or(rest);
        rest = rest.get(align(len)..).unwrap_or(&[]);
        let payload = msg.get(HEADER_LEN..).unwrap_or(&[]);
        let interrupted = flags & NLM_F_DUMP_INTR != 0;
        match kind {
            NLMSG_ERROR => out.push(match ack(seq, flags, payload) {
                Some(a) => Frame::Ack(a),
                None => Frame::Undecodable { seq, reason: "short NLMSG_ERROR".into() },
            }),
            NLMSG_DONE => {
                let code = i32_at(payload, 0).unwrap_or(0);
                out.push(Frame::Done { seq, code, interrupted });
            }
            RTM_NEWROUTE | RTM_DELROUTE if skip.is_some_and(|p| payload.get(5) == Some(&p.0)) => {}
            _ => match NetlinkMessage::<RouteNetlinkMessage>::deserialize(msg) {
                Ok(m) => {
                    if let NetlinkPayload::InnerMessage(message) = m.payload {
                        out.push(Frame::Message { seq, interrupted, message: Box::new(message) });
                    }
                }
                Err(e) => out.push(Frame::Undecodable { seq, reason: e.to_string() }),
            },
        }
    }
    out
}

fn align(len: usize) -> usize {
    (len + 3) & !3
}

fn i32_at(b: &[u8], at: usize) -> Option<i32> {
    let bytes: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(i32::from_ne_bytes(bytes))
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    let bytes: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
    Some(u16::from_ne_bytes(bytes))
}

/// Reads `struct nlmsgerr` and, when present, the extended acknowledgement's text.
fn ack(seq: u32, flags: u16, payload: &[u8]) -> Option<Ack> {
    let code = i32_at(payload, 0)?;
    let mut message = None;
    if flags & NLM_F_ACK_TLVS != 0 {
        // The request's header follows the code; all of the request unless capped.
        let request_len = if flags & NLM_F_CAPPED != 0 {
            HEADER_LEN
        } else {
            payload.get(4..8).and_then(|b| b.try_into().ok()).map(u32::from_ne_bytes)? as usize
        };
        let mut tlvs = payload.get(4 + align(request_len)..).unwrap_or(&[]);
        while tlvs.len() >= 4 {
            let len = usize::from(u16_at(tlvs, 0)?);
            let kind = u16_at(tlvs, 2)? & 0x3fff;
            if len < 4 || len > tlvs.len() {
                break;
            }
            if kind == NLMSGERR_ATTR_MSG {
                let text = tlvs.get(4..len)?;
                let text = text.split(|&b| b == 0).next().unwrap_or(text);
                message = Some(String::from_utf8_lossy(text).into_owned());
            }
            tlvs = tlvs.get(align(len)..).unwrap_or(&[]);
        }
    }
    Some(Ack { seq, code, message })
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_route::route::{RouteHeader, RouteProtocol, RouteType};

    fn v4(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn an_ack_with_extended_text_is_read() {
        // nlmsghdr (len 52, NLMSG_ERROR, CAPPED|ACK_TLVS, seq 7), code -17, the request's
        // header (16 bytes), NLMSGERR_ATTR_MSG "File exists" (4 + 12 = 16 bytes).
        let mut d = Vec::new();
        d.extend_from_slice(&52u32.to_ne_bytes());
        d.extend_from_slice(&2u16.to_ne_bytes());
        d.extend_from_slice(&0x300u16.to_ne_bytes());
        d.extend_from_slice(&7u32.to_ne_bytes());
        d.extend_from_slice(&0u32.to_ne_bytes());
        d.extend_from_slice(&(-17i32).to_ne_bytes());
        d.extend_from_slice(&[0x11; 16]);
        d.extend_from_slice(&16u16.to_ne_bytes());
        d.extend_from_slice(&1u16.to_ne_bytes());
        d.extend_from_slice(b"File exists\0");
        assert_eq!(d.len(), 52);
        // A plain acknowledgement after it.
        d.extend_from_slice(&36u32.to_ne_bytes());
        d.extend_from_slice(&2u16.to_ne_bytes());
        d.extend_from_slice(&0x100u16.to_ne_bytes());
        d.extend_from_slice(&8u32.to_ne_bytes());
        d.extend_from_slice(&0u32.to_ne_bytes());
        d.extend_from_slice(&0i32.to_ne_bytes());
        d.extend_from_slice(&[0; 16]);
        let f = frames(&d);
        assert_eq!(f.len(), 2);
        match &f[..] {
            [Frame::Ack(a), Frame::Ack(b)] => {
                assert_eq!((a.seq, a.code, a.message.as_deref()), (7, -17, Some("File exists")));
                assert_eq!((b.seq, b.code, b.message.as_deref()), (8, 0, None));
            }
            other => panic!("unexpected frames {other:?}"),
        }
    }

    #[test]
    fn a_truncated_datagram_gives_no_panic() {
        let mut d = Vec::new();
        d.extend_from_slice(&100u32.to_ne_bytes());
        d.extend_from_slice(&[0; 12]);
        let f = frames(&d);
        assert!(matches!(f.as_slice(), [Frame::Undecodable { .. }]));
        assert!(frames(&[0; 5]).is_empty());
    }

    fn message(family: AddressFamily, attrs: Vec<RouteAttribute>) -> RouteMessage {
        let mut m = RouteMessage::default();
        m.header = RouteHeader::default();
        m.header.address_family = family;
        m.header.destination_prefix_length = 24;
        m.header.table = 254;
        m.header.protocol = RouteProtocol::Boot;
        m.header.kind = RouteType::Unicast;
        m.attributes = attrs;
        m
    }

    #[test]
    fn a_multipath_route_with_an_ipv6_via_is_read() {
        let mut a = RouteNextHop::default();
        a.interface_index = 3;
        a.attributes = vec![RouteAttribute::Via(RouteVia::Inet6(
            "fe80::1".parse().unwrap_or_else(|_| unreachable!()),
        ))];
        let mut b = RouteNextHop::default();
        b.interface_index = 2;
        b.attributes = vec![RouteAttribute::Gateway(RouteAddress::Inet(
            "192.0.2.1".parse().unwrap_or_else(|_| unreachable!()),
        ))];
        let m = message(
            AddressFamily::Inet,
            vec![
                RouteAttribute::Destination(RouteAddress::Inet(
                    "10.1.2.0".parse().unwrap_or_else(|_| unreachable!()),
                )),
                RouteAttribute::Priority(20),
                RouteAttribute::Table(1000),
                RouteAttribute::MultiPath(vec![a, b]),
            ],
        );
        let r = KernelRoute::from_message(&m).unwrap_or_else(|| unreachable!());
        assert_eq!(r.prefix.to_string(), "10.1.2.0/24");
        assert_eq!(
            (r.table, r.metric, r.protocol, r.rtype),
            (1000, 20, RtProto::BOOT, RtType::UNICAST)
        );
        assert_eq!(
            r.next_hops,
            vec![NextHop::via(v4("192.0.2.1"), 2), NextHop::via(v4("fe80::1"), 3)]
        );
    }

    #[test]
    fn route_types_map_to_kinds() {
        assert_eq!(RtType::UNREACHABLE.kind(), Some(RouteKind::Reject));
        assert_eq!(RtType::PROHIBIT.kind(), Some(RouteKind::Reject));
        assert_eq!(RtType::LOCAL.kind(), None);
        assert_eq!(RtType::BROADCAST.kind(), None);
        for k in [RouteKind::Unicast, RouteKind::Blackhole, RouteKind::Reject] {
            assert_eq!(RtType::of(k).kind(), Some(k));
        }
    }
}
