//! One JSON object per line for each state change and each route received.

use bgp_fsm::{Down, DownReason, Initiator, Negotiated};
use bgp_speaker::{Event, NeighborId};
use bgp_wire::attribute::AsPath;
use bgp_wire::{Afi, Asn, Family, Safi};
use ipnet::IpNet;
use rib::{PathSource, PrefixView};
use serde_json::{json, Value};
use std::net::{IpAddr, Ipv4Addr};

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

/// The line for a prefix whose best path changed: the best path's attributes and the
/// next hops traffic takes (the multipath set), or a withdrawal.
pub fn route_line(prefix: IpNet, view: Option<&PrefixView>) -> Value {
    let family = family_name(match prefix {
        IpNet::V4(_) => Family::IPV4_UNICAST,
        IpNet::V6(_) => Family::IPV6_UNICAST,
    });
    let best = view.and_then(|v| v.paths.iter().find(|p| p.best));
    let Some(best) = best else {
        return json!({ "type": "withdraw", "family": family, "prefix": prefix.to_string() });
    };
    let (from, path_id) = match &best.source {
        PathSource::Bgp { peer, .. } if *peer == rib::PeerId::LOCAL => ("local".into(), 0),
        PathSource::Bgp { address, path_id, .. } => (address.to_string(), *path_id),
        PathSource::Route(r) => (r.protocol.to_string(), 0),
    };
    let mut next_hops: Vec<String> = Vec::new();
    for p in view.into_iter().flat_map(|v| &v.paths).filter(|p| p.best || p.multipath) {
        if let Some(nh) = p.next_hop.map(|a| a.to_string()) {
            if !next_hops.contains(&nh) {
                next_hops.push(nh);
            }
        }
    }
    let a = best.attrs.clone().unwrap_or_default();
    json!({
        "type": "route",
        "family": family,
        "prefix": prefix.to_string(),
        "from": from,
        "path_id": (path_id != 0).then_some(path_id),
        "next_hops": next_hops,
        "as_path": as_path(&a.as_path),
        "communities": a.communities.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "large_communities":
            a.large_communities.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "med": a.med,
        "local_pref": a.local_pref,
        "stale": best.stale,
    })
}

/// The line for a session that came up.
pub fn established(
    neighbor: &str,
    address: IpAddr,
    peer_as: Asn,
    peer_id: Ipv4Addr,
    n: Option<&Negotiated>,
) -> Value {
    let names =
        |fs: &mut dyn Iterator<Item = Family>| -> Vec<String> { fs.map(family_name).collect() };
    let mut v = json!({
        "type": "established",
        "neighbor": neighbor,
        "address": address.to_string(),
        "peer_as": peer_as.0,
        "peer_id": peer_id.to_string(),
    });
    if let Some(n) = n {
        v["hold_time"] = json!(n.hold_time);
        v["families"] = json!(names(&mut n.families.iter().copied()));
        v["extended_nexthop"] = json!(names(&mut n.extended_next_hop.iter()));
        v["add_path_receive"] = json!(names(&mut n.add_path_receive.iter()));
        v["add_path_send"] = json!(names(&mut n.add_path_send.iter()));
        v["graceful_restart"] = json!(n.graceful_restart.is_some());
    }
    v
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

fn down(neighbor: &str, d: &Down, graceful: bool) -> Value {
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
        "neighbor": neighbor,
        "reason": reason(&d.reason),
        "initiator": initiator,
        "notification": notification,
        "graceful": graceful,
    })
}

/// The line for a speaker event but `Up`, which [`established`] writes; `name` gives a
/// neighbour's address or interface.
pub fn event_line(e: &Event, name: impl Fn(NeighborId) -> String) -> Option<Value> {
    Some(match e {
        Event::StateChanged { neighbor, from, to } => json!({
            "type": "state",
            "neighbor": name(*neighbor),
            "from": format!("{from:?}"),
            "to": format!("{to:?}"),
        }),
        Event::Down { neighbor, down: d, graceful } => down(&name(*neighbor), d, *graceful),
        Event::Discovered { neighbor, addr } => json!({
            "type": "neighbor",
            "neighbor": name(*neighbor),
            "address": addr.to_string(),
        }),
        Event::PrefixLimit { neighbor, family, count, limit, teardown } => json!({
            "type": "prefix-limit",
            "neighbor": name(*neighbor),
            "family": family_name(*family),
            "count": count,
            "limit": limit,
            "teardown": teardown,
        }),
        Event::EndOfRib { neighbor, family } => json!({
            "type": "end-of-rib",
            "neighbor": name(*neighbor),
            "family": family_name(*family),
        }),
        Event::FamilyDisabled { neighbor, family } => json!({
            "type": "family-disabled",
            "neighbor": name(*neighbor),
            "family": family_name(*family),
        }),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bgp_wire::attribute::as_path::Segment;

    #[test]
    fn as_path_with_a_set() {
        let p = AsPath { segments: vec![Segment::sequence([65002, 65003]), Segment::set([1, 2])] };
        assert_eq!(as_path(&p), json!([65002, 65003, [1, 2]]));
    }

    /// A prefix we originate, read back from a speaker as the program does.
    #[test]
    fn route_lines_carry_every_field() {
        use bgp_wire::attribute::{Community, LargeCommunity};
        use std::time::Instant;

        let now = Instant::now();
        let cfg = bgp_speaker::SpeakerConfig::new(Asn(65001), Ipv4Addr::new(10, 0, 0, 1));
        let mut s = bgp_speaker::Speaker::new(cfg).unwrap();
        let prefix: IpNet = "192.0.2.0/24".parse().unwrap();
        let attrs = rib::PathAttrs {
            med: Some(5),
            communities: vec![Community::new(65001, 7)],
            large_communities: vec![LargeCommunity::new(65001, 1, 2)],
            ..rib::PathAttrs::default()
        };
        s.announce(now, prefix, &attrs);
        let view = s.route(now, prefix);
        assert_eq!(
            route_line(prefix, view.as_ref()),
            json!({
                "type": "route",
                "family": "ipv4-unicast",
                "prefix": "192.0.2.0/24",
                "from": "local",
                "path_id": null,
                "next_hops": [],
                "as_path": [],
                "communities": ["65001:7"],
                "large_communities": ["65001:1:2"],
                "med": 5,
                "local_pref": null,
                "stale": false,
            })
        );
        s.withdraw(now, prefix);
        let view = s.route(now, prefix);
        assert_eq!(
            route_line(prefix, view.as_ref()),
            json!({ "type": "withdraw", "family": "ipv4-unicast", "prefix": "192.0.2.0/24" })
        );
    }
}
