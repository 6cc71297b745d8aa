//! One JSON object per line for each state change and each route received.

use bgp_fsm::{Down, DownReason, Event, Initiator, Negotiated, Received};
use bgp_wire::attribute::{AsPath, NextHop};
use bgp_wire::{Afi, Family, Safi};
use serde_json::{json, Value};

/// `ipv4-unicast`, `ipv6-unicast`, else `afi/safi`.
pub fn family_name(f: Family) -> String {
    match (f.afi, f.safi) {
        (Afi::IPV4, Safi::UNICAST) => "ipv4-unicast".into(),
        (Afi::IPV6, Safi::UNICAST) => "ipv6-unicast".into(),
        _ => format!("{}/{}", f.afi.0, f.safi.0),
    }
}

/// AS numbers of sequences in order; an AS_SET as a nested array.
pub fn as_path(p: &AsPath) -> Value {
    let mut out = Vec::new();
    for s in &p.segments {
        let asns: Vec<Value> = s.asns.iter().map(|a| json!(a.0)).collect();
        if s.kind.is_set() {
            out.push(Value::Array(asns));
        } else {
            out.extend(asns);
        }
    }
    Value::Array(out)
}

/// The addresses of a next hop: a 32-octet IPv6 next hop gives its global address (unless
/// it is `::` or the link-local address again) then its link-local address.
pub fn next_hops(nh: Option<NextHop>) -> Vec<String> {
    match nh {
        Some(NextHop::Ipv4(a)) => vec![a.to_string()],
        Some(NextHop::Ipv6(a)) => vec![a.to_string()],
        Some(NextHop::Ipv6LinkLocal { global, link_local }) => {
            if global.is_unspecified() || global == link_local {
                vec![link_local.to_string()]
            } else {
                vec![global.to_string(), link_local.to_string()]
            }
        }
        Some(NextHop::Other(b)) => vec![format!("raw:{}", hex(&b))],
        None => Vec::new(),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The lines for a received UPDATE: one `route` per announced prefix, one `withdraw` per
/// withdrawn one.
pub fn update_lines(r: &Received) -> Vec<Value> {
    let attrs = r.update().attributes();
    let as_path = attrs.as_path().map(|p| as_path(&p)).unwrap_or(json!([]));
    let communities: Vec<String> = attrs.communities().map(|c| c.to_string()).collect();
    let large: Vec<String> = attrs.large_communities().map(|c| c.to_string()).collect();
    let med = attrs.multi_exit_disc();
    let local_pref = attrs.local_pref();
    let mut lines = Vec::new();
    for (family, nlri) in r.announced() {
        lines.push(json!({
            "type": "route",
            "family": family_name(family),
            "prefix": nlri.prefix.to_string(),
            "path_id": nlri.path_id,
            "next_hops": next_hops(r.next_hop(family)),
            "as_path": as_path,
            "communities": communities,
            "large_communities": large,
            "med": med,
            "local_pref": local_pref,
        }));
    }
    for (family, nlri) in r.withdrawn() {
        lines.push(json!({
            "type": "withdraw",
            "family": family_name(family),
            "prefix": nlri.prefix.to_string(),
            "path_id": nlri.path_id,
        }));
    }
    if let Some(f) = r.update().end_of_rib() {
        lines.push(json!({ "type": "end-of-rib", "family": family_name(f) }));
    }
    lines
}

fn established(n: &Negotiated) -> Value {
    let names =
        |fs: &mut dyn Iterator<Item = Family>| -> Vec<String> { fs.map(family_name).collect() };
    json!({
        "type": "established",
        "peer_as": n.peer_as.0,
        "peer_id": n.peer_id.to_string(),
        "hold_time": n.hold_time,
        "families": names(&mut n.families.iter().copied()),
        "extended_nexthop": names(&mut n.extended_next_hop.iter()),
        "add_path_receive": names(&mut n.add_path_receive.iter()),
        "add_path_send": names(&mut n.add_path_send.iter()),
        "four_octet_as": n.four_octet_as,
    })
}

fn reason(r: &DownReason) -> String {
    match r {
        DownReason::Stopped => "stopped".into(),
        DownReason::HoldTimerExpired => "hold-timer-expired".into(),
        DownReason::SendHoldTimerExpired => "send-hold-timer-expired".into(),
        DownReason::NotificationReceived => "notification-received".into(),
        DownReason::MessageError(e) => format!("message-error: {e}"),
        DownReason::OpenRejected => "open-rejected".into(),
        DownReason::UnexpectedMessage(t) => format!("unexpected-message: {t:?}"),
        DownReason::UpdateError(e) => format!("update-error: {e}"),
        DownReason::ConnectionClosed => "connection-closed".into(),
        DownReason::CollisionResolution => "collision-resolution".into(),
        other => format!("{other:?}"),
    }
}

fn down(d: &Down) -> Value {
    let initiator = match d.initiator {
        Initiator::Local => "local",
        Initiator::Library => "library",
        Initiator::Remote => "remote",
    };
    let notification = d.notification.as_ref().map(|n| {
        json!({
            "code": n.code.0,
            "subcode": n.subcode,
            "message": n.shutdown_communication().and_then(Result::ok),
        })
    });
    json!({
        "type": "down",
        "reason": reason(&d.reason),
        "initiator": initiator,
        "notification": notification,
    })
}

/// The lines for a session event.
pub fn event_lines(e: &Event) -> Vec<Value> {
    match e {
        Event::StateChanged { from, to } => {
            vec![json!({ "type": "state", "from": format!("{from:?}"), "to": format!("{to:?}") })]
        }
        Event::Established(n) => vec![established(n)],
        Event::Update(r) => update_lines(r),
        Event::Down(d) => vec![down(d)],
        Event::NeighborDiscovered { addr, ifindex } => {
            vec![json!({ "type": "neighbor", "address": addr.to_string(), "ifindex": ifindex })]
        }
        Event::FamilyDisabled(f) => {
            vec![json!({ "type": "family-disabled", "family": family_name(*f) })]
        }
        Event::RouteRefresh(rr) => {
            vec![json!({ "type": "route-refresh", "family": family_name(rr.family) })]
        }
        other => vec![json!({ "type": "other", "event": format!("{other:?}") })],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bgp_wire::attribute::as_path::Segment;
    use std::net::Ipv6Addr;

    #[test]
    fn as_path_with_a_set() {
        let p = AsPath { segments: vec![Segment::sequence([65002, 65003]), Segment::set([1, 2])] };
        assert_eq!(as_path(&p), json!([65002, 65003, [1, 2]]));
    }

    #[test]
    fn link_local_next_hops() {
        let ll: Ipv6Addr = "fe80::1".parse().unwrap();
        let g: Ipv6Addr = "2001:db8::1".parse().unwrap();
        // FRR: the link-local address in both halves.
        assert_eq!(
            next_hops(Some(NextHop::Ipv6LinkLocal { global: ll, link_local: ll })),
            ["fe80::1"]
        );
        // BIRD: `::` then the link-local address.
        let bird = NextHop::Ipv6LinkLocal { global: Ipv6Addr::UNSPECIFIED, link_local: ll };
        assert_eq!(next_hops(Some(bird)), ["fe80::1"]);
        let both = NextHop::Ipv6LinkLocal { global: g, link_local: ll };
        assert_eq!(next_hops(Some(both)), ["2001:db8::1", "fe80::1"]);
        assert!(next_hops(None).is_empty());
    }

    /// An UPDATE encoded with the codec, decoded as the session would, printed as lines.
    #[test]
    fn route_lines_carry_every_field() {
        use bgp_wire::attribute::{Attribute, Community, LargeCommunity, Origin, PathAttribute};
        use bgp_wire::nlri::Nlri;
        use bgp_wire::update::builder::{Encoding, UpdateBuilder};
        use bgp_wire::update::Update;
        use bgp_wire::Context;
        use std::net::Ipv4Addr;

        let mut ctx = Context::modern();
        ctx.add_path.insert(Family::IPV4_UNICAST);
        let attrs = vec![
            PathAttribute::new(Attribute::Origin(Origin::Igp)),
            PathAttribute::new(Attribute::AsPath(AsPath::from_sequence([65002, 65003]))),
            PathAttribute::new(Attribute::MultiExitDisc(5)),
            PathAttribute::new(Attribute::LocalPref(200)),
            PathAttribute::new(Attribute::Communities(vec![Community::new(65002, 7)])),
            PathAttribute::new(Attribute::LargeCommunities(vec![LargeCommunity::new(65002, 1, 2)])),
        ];
        let routes = [
            Nlri::with_path_id(1, "192.0.2.0/24".parse().unwrap()),
            Nlri::with_path_id(2, "192.0.2.0/24".parse().unwrap()),
        ];
        let mut buf = bytes::BytesMut::new();
        let nh = NextHop::Ipv4(Ipv4Addr::new(10, 0, 0, 2));
        let n = UpdateBuilder::new(&ctx, &attrs).announce(
            Family::IPV4_UNICAST,
            &nh,
            &routes,
            Encoding::Classic,
            &mut buf,
        );
        assert_eq!(n, 1);
        let update = Update::decode(buf.freeze(), &ctx).unwrap();
        let lines = update_lines(&Received::new(update, ctx));
        assert_eq!(lines.len(), 2);
        for (line, id) in lines.iter().zip([1, 2]) {
            assert_eq!(
                *line,
                json!({
                    "type": "route",
                    "family": "ipv4-unicast",
                    "prefix": "192.0.2.0/24",
                    "path_id": id,
                    "next_hops": ["10.0.0.2"],
                    "as_path": [65002, 65003],
                    "communities": ["65002:7"],
                    "large_communities": ["65002:1:2"],
                    "med": 5,
                    "local_pref": 200,
                })
            );
        }
    }
}
