//! Requests to the kernel: forwarding routes as `RTM_NEWROUTE`/`RTM_DELROUTE` messages, and
//! dump requests, serialised back to back into one buffer.

use std::net::IpAddr;

use ipnet::IpNet;
use netlink_packet_core::{
    NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP,
    NLM_F_REPLACE, NLM_F_REQUEST,
};
use netlink_packet_route::address::AddressMessage;
use netlink_packet_route::link::LinkMessage;
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteNextHop, RouteProtocol,
    RouteScope, RouteType, RouteVia,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use rib::{FibRoute, NextHop, RouteKind};

use crate::config::{FibConfig, RtProto};
use crate::decode::RtType;

/// `RTM_NEWROUTE` for `route`: created, or replacing the route of the same prefix and
/// metric in the table (which makes add and replace one idempotent request).
///
/// - Every next hop goes in: one as `RTA_GATEWAY`/`RTA_OIF`, several as `RTA_MULTIPATH`.
/// - A next hop of the other family (an IPv4 route through an IPv6 link-local neighbour,
///   RFC 8950) goes as `RTA_VIA`, which the kernel takes since Linux 5.2; no fake IPv4
///   neighbour is needed.
/// - Blackhole and reject routes (`RTN_BLACKHOLE`, `RTN_UNREACHABLE`) have no next hop.
/// - An IPv4 route whose next hops are all interfaces without addresses gets link scope, as
///   `ip route add P dev X` does.
#[must_use]
pub fn new_route(cfg: &FibConfig, route: &FibRoute) -> RouteMessage {
    let mut m = base(cfg, route.prefix);
    m.header.kind = RouteType::from(RtType::of(route.kind).0);
    let direct = !route.next_hops.is_empty() && route.next_hops.iter().all(|h| h.addr.is_none());
    m.header.scope = if route.kind == RouteKind::Unicast && direct && route.prefix.addr().is_ipv4()
    {
        RouteScope::Link
    } else {
        RouteScope::Universe
    };
    if route.kind != RouteKind::Unicast {
        return m;
    }
    let v4 = route.prefix.addr().is_ipv4();
    match &route.next_hops[..] {
        [] => {}
        [one] => {
            if let Some(a) = one.addr {
                m.attributes.push(gateway(v4, a));
            }
            if let Some(i) = one.ifindex {
                m.attributes.push(RouteAttribute::Oif(i));
            }
        }
        many => {
            m.attributes.push(RouteAttribute::MultiPath(many.iter().map(|h| rtnh(v4, h)).collect()))
        }
    }
    m
}

/// `RTM_DELROUTE` for our route to `prefix`: matched by table, protocol and metric, any
/// scope, type and next hops (all of a multipath route go).
#[must_use]
pub fn del_route(cfg: &FibConfig, prefix: IpNet) -> RouteMessage {
    let mut m = base(cfg, prefix);
    m.header.scope = RouteScope::NoWhere;
    m.header.kind = RouteType::Unspec;
    m
}

fn base(cfg: &FibConfig, prefix: IpNet) -> RouteMessage {
    let mut m = RouteMessage::default();
    m.header = RouteHeader::default();
    m.header.address_family = family(prefix.addr());
    m.header.destination_prefix_length = prefix.prefix_len();
    m.header.table = table_byte(cfg.table);
    m.header.protocol = RouteProtocol::from(cfg.protocol.0);
    m.attributes = vec![
        RouteAttribute::Destination(RouteAddress::from(prefix.network())),
        RouteAttribute::Table(cfg.table),
        RouteAttribute::Priority(cfg.metric),
    ];
    m
}

/// `rtm_table` holds 8 bits: a larger table id goes only in `RTA_TABLE`.
fn table_byte(table: u32) -> u8 {
    u8::try_from(table).unwrap_or(RouteHeader::RT_TABLE_UNSPEC)
}

fn family(a: IpAddr) -> AddressFamily {
    if a.is_ipv4() {
        AddressFamily::Inet
    } else {
        AddressFamily::Inet6
    }
}

fn gateway(route_v4: bool, a: IpAddr) -> RouteAttribute {
    match (route_v4, a) {
        (true, IpAddr::V4(g)) => RouteAttribute::Gateway(RouteAddress::Inet(g)),
        (false, IpAddr::V6(g)) => RouteAttribute::Gateway(RouteAddress::Inet6(g)),
        (_, IpAddr::V4(g)) => RouteAttribute::Via(RouteVia::Inet(g)),
        (_, IpAddr::V6(g)) => RouteAttribute::Via(RouteVia::Inet6(g)),
    }
}

fn rtnh(route_v4: bool, h: &NextHop) -> RouteNextHop {
    let mut nh = RouteNextHop::default();
    nh.interface_index = h.ifindex.unwrap_or(0);
    nh.attributes = h.addr.map(|a| gateway(route_v4, a)).into_iter().collect();
    nh
}

/// A dump of the routes of one family, filtered by the kernel to `table` and, when given,
/// `protocol` (the socket must have `NETLINK_GET_STRICT_CHK` on for the filter to apply;
/// the reader filters again anyway).
#[must_use]
pub fn dump_routes(v6: bool, table: u32, protocol: Option<RtProto>) -> RouteNetlinkMessage {
    let mut m = RouteMessage::default();
    m.header = RouteHeader::default();
    m.header.address_family = if v6 { AddressFamily::Inet6 } else { AddressFamily::Inet };
    m.header.table = table_byte(table);
    m.header.protocol = RouteProtocol::from(protocol.map_or(0, |p| p.0));
    m.header.kind = RouteType::Unspec;
    m.attributes = vec![RouteAttribute::Table(table)];
    RouteNetlinkMessage::GetRoute(m)
}

/// A dump of every link.
#[must_use]
pub fn dump_links() -> RouteNetlinkMessage {
    RouteNetlinkMessage::GetLink(LinkMessage::default())
}

/// A dump of the addresses of one family.
#[must_use]
pub fn dump_addresses(v6: bool) -> RouteNetlinkMessage {
    let mut m = AddressMessage::default();
    m.header.family = if v6 { AddressFamily::Inet6 } else { AddressFamily::Inet };
    RouteNetlinkMessage::GetAddress(m)
}

/// Flags of a dump request.
pub(crate) const DUMP: u16 = NLM_F_REQUEST | NLM_F_DUMP;
/// Flags of a route change: create, or replace the route of the same key.
pub(crate) const CHANGE: u16 = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE;
/// Flags of a route deletion.
pub(crate) const DELETE: u16 = NLM_F_REQUEST;
/// Asks for an acknowledgement even on success.
pub(crate) const ACK: u16 = NLM_F_ACK;

/// Appends `message` to `buf` as a netlink message with `flags` and `seq`; returns where it
/// starts.
pub(crate) fn push(buf: &mut Vec<u8>, message: RouteNetlinkMessage, flags: u16, seq: u32) -> usize {
    let mut header = NetlinkHeader::default();
    header.flags = flags;
    header.sequence_number = seq;
    let mut msg = NetlinkMessage::new(header, NetlinkPayload::InnerMessage(message));
    msg.finalize();
    let start = buf.len();
    let len = msg.buffer_len();
    // Messages are padded to 4 bytes, so the next one starts aligned.
    buf.resize(start + ((len + 3) & !3), 0);
    if let Some(dst) = buf.get_mut(start..start + len) {
        msg.serialize(dst);
    }
    start
}

/// Sets more flags on the message that starts at `start` in `buf`.
pub(crate) fn add_flags(buf: &mut [u8], start: usize, flags: u16) {
    if let Some(f) = buf.get_mut(start + 6..start + 8) {
        let old = u16::from_ne_bytes([f[0], f[1]]);
        f.copy_from_slice(&(old | flags).to_ne_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::KernelRoute;
    use rib::Protocol;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|_| unreachable!())
    }

    fn net(s: &str) -> IpNet {
        s.parse().unwrap_or_else(|_| unreachable!())
    }

    fn fib(prefix: &str, kind: RouteKind, hops: Vec<NextHop>) -> FibRoute {
        FibRoute { prefix: net(prefix), protocol: Protocol::Bgp, kind, next_hops: hops.into() }
    }

    /// Encodes, decodes with the kernel's framing, and reads the route back.
    fn round_trip(cfg: &FibConfig, r: &FibRoute) -> (KernelRoute, Vec<u8>) {
        let mut buf = Vec::new();
        push(&mut buf, RouteNetlinkMessage::NewRoute(new_route(cfg, r)), CHANGE, 1);
        let frames = crate::decode::frames(&buf);
        let [crate::decode::Frame::Message { message, .. }] = &frames[..] else {
            panic!("one message expected, got {frames:?}")
        };
        let RouteNetlinkMessage::NewRoute(m) = &**message else { panic!("not a route") };
        (KernelRoute::from_message(m).unwrap_or_else(|| panic!("unreadable")), buf)
    }

    #[test]
    fn an_ecmp_route_goes_as_multipath_and_reads_back() {
        let cfg = FibConfig { table: 1000, ..FibConfig::default() };
        let r = fib(
            "10.244.1.0/24",
            RouteKind::Unicast,
            vec![NextHop::via(ip("192.0.2.1"), 2), NextHop::via(ip("192.0.2.2"), 3)],
        );
        let m = new_route(&cfg, &r);
        assert_eq!(m.header.table, 0, "1000 does not fit rtm_table");
        assert_eq!(m.header.protocol, RouteProtocol::Other(240));
        assert!(m
            .attributes
            .iter()
            .any(|a| matches!(a, RouteAttribute::MultiPath(h) if h.len() == 2)));
        let (k, _) = round_trip(&cfg, &r);
        assert_eq!((k.table, k.metric, k.protocol), (1000, 20, RtProto::DEFAULT));
        assert_eq!(k.to_fib_route(Protocol::Bgp), Some(r));
    }

    #[test]
    fn an_ipv4_route_through_a_link_local_uses_rta_via() {
        let cfg = FibConfig::default();
        let r =
            fib("10.0.0.1/32", RouteKind::Unicast, vec![NextHop::via(ip("fe80::ff:fe00:2"), 7)]);
        let m = new_route(&cfg, &r);
        assert!(m.attributes.iter().any(|a| *a
            == RouteAttribute::Via(RouteVia::Inet6(
                "fe80::ff:fe00:2".parse().unwrap_or_else(|_| unreachable!())
            ))));
        assert!(!m.attributes.iter().any(|a| matches!(a, RouteAttribute::Gateway(_))));
        assert!(m.attributes.contains(&RouteAttribute::Oif(7)));
        let (k, buf) = round_trip(&cfg, &r);
        assert_eq!(k.next_hops, r.next_hops.to_vec());
        // RTA_VIA (type 18), length 4 + 2 + 16: family AF_INET6 then the address.
        let via = [22u8, 0, 18, 0, 10, 0, 0xfe, 0x80];
        assert!(buf.windows(via.len()).any(|w| w == via), "no RTA_VIA in {buf:02x?}");
    }

    #[test]
    fn blackhole_and_reject_routes_have_no_next_hop() {
        let cfg = FibConfig::default();
        for (kind, rtype) in
            [(RouteKind::Blackhole, RtType::BLACKHOLE), (RouteKind::Reject, RtType::UNREACHABLE)]
        {
            let r = fib("fd00:f4::/48", kind, vec![]);
            let (k, _) = round_trip(&cfg, &r);
            assert_eq!(k.rtype, rtype);
            assert!(k.next_hops.is_empty());
            assert_eq!(k.to_fib_route(Protocol::Bgp), Some(r));
        }
    }

    #[test]
    fn a_direct_ipv4_route_has_link_scope() {
        let cfg = FibConfig::default();
        let r = fib("10.9.0.0/16", RouteKind::Unicast, vec![NextHop::direct(4)]);
        assert_eq!(new_route(&cfg, &r).header.scope, RouteScope::Link);
        let r = fib("10.9.0.0/16", RouteKind::Unicast, vec![NextHop::via(ip("10.0.0.1"), 4)]);
        assert_eq!(new_route(&cfg, &r).header.scope, RouteScope::Universe);
    }

    #[test]
    fn a_delete_names_table_protocol_and_metric_only() {
        let cfg =
            FibConfig { table: 100, protocol: RtProto(201), metric: 7, ..FibConfig::default() };
        let m = del_route(&cfg, net("2001:db8::/32"));
        assert_eq!(m.header.table, 100);
        assert_eq!(m.header.protocol, RouteProtocol::Other(201));
        assert_eq!(m.header.scope, RouteScope::NoWhere);
        assert_eq!(m.header.kind, RouteType::Unspec);
        assert_eq!(m.attributes.len(), 3);
        assert!(m.attributes.contains(&RouteAttribute::Priority(7)));
    }

    #[test]
    fn our_route_notifications_are_skipped_undecoded() {
        let ours = FibConfig::default();
        let theirs = FibConfig { protocol: RtProto::STATIC, ..FibConfig::default() };
        let r = fib("10.1.0.0/16", RouteKind::Blackhole, vec![]);
        let mut buf = Vec::new();
        push(&mut buf, RouteNetlinkMessage::NewRoute(new_route(&ours, &r)), 0, 0);
        push(&mut buf, RouteNetlinkMessage::DelRoute(del_route(&ours, r.prefix)), 0, 0);
        push(&mut buf, RouteNetlinkMessage::NewRoute(new_route(&theirs, &r)), 0, 0);
        assert_eq!(crate::decode::frames(&buf).len(), 3);
        let kept = crate::decode::frames_skipping(&buf, Some(RtProto::DEFAULT));
        let [crate::decode::Frame::Message { message, .. }] = &kept[..] else { panic!("{kept:?}") };
        let RouteNetlinkMessage::NewRoute(m) = &**message else { panic!("not a route") };
        assert_eq!(m.header.protocol, RouteProtocol::Static);
    }

    #[test]
    fn messages_are_packed_aligned_and_flags_can_be_added() {
        let cfg = FibConfig::default();
        let mut buf = Vec::new();
        let a = push(
            &mut buf,
            RouteNetlinkMessage::DelRoute(del_route(&cfg, net("10.0.0.0/8"))),
            DELETE,
            1,
        );
        let b =
            push(&mut buf, RouteNetlinkMessage::DelRoute(del_route(&cfg, net("::/0"))), DELETE, 2);
        assert_eq!(a, 0);
        assert_eq!(b % 4, 0);
        add_flags(&mut buf, b, ACK);
        assert_eq!(u16::from_ne_bytes([buf[b + 6], buf[b + 7]]), DELETE | ACK);
        assert_eq!(u16::from_ne_bytes([buf[6], buf[7]]), DELETE);
        assert_eq!(crate::decode::frames(&buf).len(), 2);
    }
}
