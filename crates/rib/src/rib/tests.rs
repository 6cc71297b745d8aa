//! Scenario tests of the table: decision, multipath, FIB diffs, resolution, stale routes.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use bgp_wire::attribute::{AsPath, Attribute, NextHop as WireNextHop, Origin, PathAttribute};
use bgp_wire::nlri::Nlri;
use bgp_wire::update::builder::{Encoding, UpdateBuilder};
use bgp_wire::update::Update;
use bgp_wire::{Asn, Context, Family};
use bytes::BytesMut;

use super::*;
use crate::route::{NextHop, Route};
use crate::{PathAttrs, Rule};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn net(s: &str) -> IpNet {
    s.parse().unwrap()
}

fn v4(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

pub(crate) fn attrs(path: &[u32]) -> PathAttrs {
    PathAttrs { as_path: AsPath::from_sequence(path.iter().copied()), ..PathAttrs::default() }
}

fn rib(max_paths: u16) -> Rib {
    let mut cfg = RibConfig::new(Asn(65000), v4("10.0.0.1"));
    cfg.bestpath.maximum_paths_ebgp = max_paths;
    cfg.bestpath.maximum_paths_ibgp = max_paths;
    Rib::new(cfg)
}

fn ebgp(r: &mut Rib, addr: &str, asn: u32) -> PeerId {
    r.add_peer(PeerConfig::external(ip(addr), Asn(asn), v4(addr)))
}

fn nh4(s: &str) -> WireNextHop {
    WireNextHop::Ipv4(v4(s))
}

fn drain_fib(r: &mut Rib) -> Vec<FibChange> {
    std::iter::from_fn(|| r.poll_fib()).collect()
}

fn drain_best(r: &mut Rib) -> Vec<BestChange> {
    std::iter::from_fn(|| r.poll_best()).collect()
}

#[test]
fn two_peers_shorter_path_wins_and_the_other_says_why() {
    let now = Instant::now();
    let mut r = rib(1);
    let a = ebgp(&mut r, "192.0.2.1", 65001);
    let b = ebgp(&mut r, "192.0.2.2", 65002);
    let p = net("10.1.0.0/16");
    r.announce(now, a, Nlri::new(p), nh4("192.0.2.1"), &attrs(&[65001, 65100, 65200]));
    r.announce(now, b, Nlri::new(p), nh4("192.0.2.2"), &attrs(&[65002, 65200]));
    let v = r.get(now, p).unwrap();
    assert_eq!(v.paths.len(), 2);
    assert!(v.paths[0].best);
    assert_eq!(v.paths[0].next_hop, Some(ip("192.0.2.2")));
    assert_eq!(v.paths[1].lost, Some(Lost { rule: Rule::AsPathLength, to: Some(0) }));
    let fib = drain_fib(&mut r);
    assert_eq!(fib.len(), 1);
    assert_eq!(
        fib[0].route().next_hops.as_ref(),
        &[NextHop { addr: Some(ip("192.0.2.2")), ifindex: None }]
    );
    let best = drain_best(&mut r);
    assert_eq!(best.len(), 1, "coalesced: one report for the prefix");
    assert_eq!(best[0].best.map(|s| s.peer), Some(b));
}

#[test]
fn without_a_fib_nothing_is_queued_and_the_decision_is_the_same() {
    let now = Instant::now();
    let mut cfg = RibConfig::new(Asn(65000), v4("10.0.0.1"));
    cfg.fib = false;
    let mut r = Rib::new(cfg);
    let a = ebgp(&mut r, "192.0.2.1", 65001);
    let b = ebgp(&mut r, "192.0.2.2", 65002);
    for i in 0..100u32 {
        let p = net(&format!("10.{}.{}.0/24", i / 256, i % 256));
        r.announce(now, a, Nlri::new(p), nh4("192.0.2.1"), &attrs(&[65001, 65100]));
        r.announce(now, b, Nlri::new(p), nh4("192.0.2.2"), &attrs(&[65002]));
    }
    r.withdraw(b, net("10.0.5.0/24"), 0);
    assert!(drain_fib(&mut r).is_empty());
    assert!(r.v4.fib_queue.is_empty() && r.v6.fib_queue.is_empty());
    assert_eq!(drain_best(&mut r).len(), 100);
    assert_eq!(r.best(net("10.0.7.0/24")).map(|s| s.peer), Some(b));
    assert_eq!(r.best(net("10.0.5.0/24")).map(|s| s.peer), Some(a));
}

#[test]
fn multipath_installs_every_next_hop_and_withdrawal_shrinks_it() {
    let now = Instant::now();
    let mut r = rib(4);
    let a = ebgp(&mut r, "192.0.2.1", 65001);
    let b = ebgp(&mut r, "192.0.2.2", 65001);
    let c = ebgp(&mut r, "192.0.2.3", 65003);
    let p = net("10.96.0.10/32");
    r.announce(now, a, Nlri::new(p), nh4("192.0.2.1"), &attrs(&[65001]));
    r.announce(now, b, Nlri::new(p), nh4("192.0.2.2"), &attrs(&[65001]));
    // Another neighbouring AS: not multipath without multipath-relax.
    r.announce(now, c, Nlri::new(p), nh4("192.0.2.3"), &attrs(&[65003]));
    let fib = drain_fib(&mut r);
    assert_eq!(fib.len(), 1);
    let hops: Vec<_> = fib[0].route().next_hops.iter().map(|h| h.addr.unwrap()).collect();
    assert_eq!(hops, vec![ip("192.0.2.1"), ip("192.0.2.2")]);
    assert!(r.withdraw(a, p, 0));
    let fib = drain_fib(&mut r);
    assert!(matches!(&fib[..], [FibChange::Replace(f)] if f.next_hops.len() == 1));
    assert!(r.withdraw(b, p, 0));
    assert!(r.withdraw(c, p, 0));
    let fib = drain_fib(&mut r);
    assert!(matches!(&fib[..], [FibChange::Delete(_)]), "{fib:?}");
    drain_best(&mut r);
    assert!(r.is_empty());
    assert_eq!(r.attribute_sets(), 0, "every record freed with its last path");
}

#[test]
fn multipath_relax_joins_other_neighbouring_ases() {
    let now = Instant::now();
    let mut r = rib(4);
    r.sh.cfg.bestpath.multipath_relax = true;
    let a = ebgp(&mut r, "192.0.2.1", 65001);
    let c = ebgp(&mut r, "192.0.2.3", 65003);
    let p = net("10.96.0.10/32");
    r.announce(now, a, Nlri::new(p), nh4("192.0.2.1"), &attrs(&[65001]));
    r.announce(now, c, Nlri::new(p), nh4("192.0.2.3"), &attrs(&[65003]));
    let fib = drain_fib(&mut r);
    assert_eq!(fib[0].route().next_hops.len(), 2);
}

#[test]
fn routes_of_families_the_session_cannot_use_are_ignored() {
    let now = Instant::now();
    let mut r = rib(1);
    let a = ebgp(&mut r, "192.0.2.1", 65001);
    let ctx = Context::modern();
    let pa = vec![
        PathAttribute::new(Attribute::Origin(Origin::Igp)),
        PathAttribute::new(Attribute::AsPath(AsPath::from_sequence([65001]))),
    ];
    let v6 = [Nlri::new(net("2001:db8:1::/48"))];
    let mut buf = BytesMut::new();
    let nh = WireNextHop::Ipv6("2001:db8::1".parse().unwrap());
    UpdateBuilder::new(&ctx, &pa).announce(
        Family::IPV6_UNICAST,
        &nh,
        &v6,
        Encoding::MpReach,
        &mut buf,
    );
    let u = Update::decode(buf.freeze(), &ctx).unwrap();
    // A session that negotiated IPv4 unicast only.
    let v4_only = |f: Family| f == Family::IPV4_UNICAST;
    let s = r.handle_update_of(now, a, &u, &ctx, false, v4_only);
    assert_eq!((s.announced, s.ignored), (0, 1));
    assert!(!r.contains(net("2001:db8:1::/48")));
    // The same UPDATE where IPv6 is usable goes in.
    let s = r.handle_update(now, a, &u, &ctx);
    assert_eq!(s.announced, 1);
    assert!(r.contains(net("2001:db8:1::/48")));
}

#[test]
fn update_bytes_go_in_once_per_attribute_set() {
    let now = Instant::now();
    let mut r = rib(1);
    let a = ebgp(&mut r, "192.0.2.1", 65001);
    let ctx = Context::modern();
    let pa = vec![
        PathAttribute::new(Attribute::Origin(Origin::Igp)),
        PathAttribute::new(Attribute::AsPath(AsPath::from_sequence([65001, 65010]))),
    ];
    let routes: Vec<Nlri> =
        (0..100u32).map(|i| Nlri::new(net(&format!("10.{}.{}.0/24", i / 256, i % 256)))).collect();
    let mut buf = BytesMut::new();
    let n = UpdateBuilder::new(&ctx, &pa).announce(
        Family::IPV4_UNICAST,
        &nh4("192.0.2.1"),
        &routes,
        Encoding::Classic,
        &mut buf,
    );
    assert_eq!(n, 1);
    let u = Update::decode(buf.freeze(), &ctx).unwrap();
    let s = r.handle_update(now, a, &u, &ctx);
    assert_eq!(s.announced, 100);
    assert_eq!(r.attribute_sets(), 1);
    assert_eq!(drain_fib(&mut r).len(), 100);
    // The same message again changes nothing.
    let s = r.handle_update(now, a, &u, &ctx);
    assert_eq!(s.announced, 100);
    assert!(drain_fib(&mut r).is_empty());
    assert_eq!(r.withdraw_peer(now, a), 100);
    assert_eq!(drain_fib(&mut r).len(), 100);
    drain_best(&mut r);
    assert!(r.is_empty());
    assert_eq!(r.attribute_sets(), 0);
}

#[test]
fn ibgp_next_hop_resolves_through_ospf_and_cost_decides() {
    let now = Instant::now();
    let mut r = rib(1);
    let i1 = r.add_peer(PeerConfig::internal(ip("10.0.0.2"), Asn(65000), v4("10.0.0.2")));
    let i2 = r.add_peer(PeerConfig::internal(ip("10.0.0.3"), Asn(65000), v4("10.0.0.3")));
    let p = net("203.0.113.0/24");
    r.announce(now, i1, Nlri::new(p), nh4("10.255.0.2"), &attrs(&[65100]));
    r.announce(now, i2, Nlri::new(p), nh4("10.255.0.3"), &attrs(&[65100]));
    // Nothing resolves the next hops yet: no best path, nothing to install.
    assert!(drain_fib(&mut r).is_empty());
    let v = r.get(now, p).unwrap();
    assert!(v.paths.iter().all(|x| x.lost.map(|l| l.rule) == Some(Rule::NextHopUnreachable)));
    let ospf = |dest: &str, cost: u32, via: &str| Route {
        prefix: net(dest),
        protocol: Protocol::Ospfv2,
        path_type: PathType::IntraArea,
        metric: cost,
        type2_cost: None,
        next_hops: vec![NextHop::via(ip(via), 2)],
        tag: None,
        kind: RouteKind::Unicast,
    };
    r.add_route(now, &ospf("10.255.0.2/32", 30, "10.1.1.1"));
    r.add_route(now, &ospf("10.255.0.3/32", 10, "10.1.1.9"));
    let v = r.get(now, p).unwrap();
    assert_eq!(v.paths[0].next_hop, Some(ip("10.255.0.3")));
    assert_eq!(v.paths[1].lost.map(|l| l.rule), Some(Rule::IgpCost));
    let fib: Vec<_> = drain_fib(&mut r).into_iter().filter(|c| c.route().prefix == p).collect();
    // Recursive: the OSPF route's next hop, distance of iBGP.
    assert_eq!(fib[0].route().next_hops.as_ref(), &[NextHop::via(ip("10.1.1.9"), 2)]);
    // The IGP changes: the other path becomes cheaper and best.
    r.add_route(now, &ospf("10.255.0.2/32", 5, "10.1.1.1"));
    let fib: Vec<_> = drain_fib(&mut r).into_iter().filter(|c| c.route().prefix == p).collect();
    assert!(
        matches!(&fib[..], [FibChange::Replace(f)] if f.next_hops[0] == NextHop::via(ip("10.1.1.1"), 2))
    );
    // The resolving route goes: that path is unreachable again.
    r.remove_route(now, Protocol::Ospfv2, net("10.255.0.2/32"));
    let v = r.get(now, p).unwrap();
    assert_eq!(v.paths[0].next_hop, Some(ip("10.255.0.3")));
}

#[test]
fn connected_resolution_forwards_to_the_bgp_next_hop() {
    let now = Instant::now();
    let mut r = rib(1);
    let i1 = r.add_peer(PeerConfig::internal(ip("192.0.2.9"), Asn(65000), v4("192.0.2.9")));
    r.add_route(
        now,
        &Route {
            prefix: net("192.0.2.0/24"),
            protocol: Protocol::Connected,
            path_type: PathType::Other,
            metric: 0,
            type2_cost: None,
            next_hops: vec![NextHop::direct(3)],
            tag: None,
            kind: RouteKind::Unicast,
        },
    );
    r.announce(now, i1, Nlri::new(net("198.51.100.0/24")), nh4("192.0.2.9"), &attrs(&[65100]));
    let f = r.route_to(ip("198.51.100.7")).unwrap();
    assert_eq!(f.next_hops.as_ref(), &[NextHop::via(ip("192.0.2.9"), 3)]);
    assert_eq!(f.protocol, Protocol::Bgp);
}

#[test]
fn administrative_distance_picks_across_protocols() {
    let now = Instant::now();
    let mut r = rib(1);
    let a = ebgp(&mut r, "192.0.2.1", 65001);
    let p = net("10.244.0.0/16");
    r.announce(now, a, Nlri::new(p), nh4("192.0.2.1"), &attrs(&[65001]));
    r.add_route(
        now,
        &Route {
            prefix: p,
            protocol: Protocol::Ospfv2,
            path_type: PathType::Type2External,
            metric: 20,
            type2_cost: Some(20),
            next_hops: vec![NextHop::via(ip("10.1.1.1"), 2)],
            tag: None,
            kind: RouteKind::Unicast,
        },
    );
    // eBGP (20) beats OSPF (110).
    assert_eq!(r.route_to(ip("10.244.1.1")).unwrap().protocol, Protocol::Bgp);
    // A static reject route (1) beats both: the seed's covering aggregate.
    r.add_route(
        now,
        &Route {
            prefix: p,
            protocol: Protocol::Static,
            path_type: PathType::Other,
            metric: 0,
            type2_cost: None,
            next_hops: vec![],
            tag: None,
            kind: RouteKind::Reject,
        },
    );
    let f = r.route_to(ip("10.244.1.1")).unwrap();
    assert_eq!((f.protocol, f.kind), (Protocol::Static, RouteKind::Reject));
    let changes = drain_fib(&mut r);
    assert!(
        matches!(&changes[..], [FibChange::Add(f)] if f.kind == RouteKind::Reject),
        "{changes:?}"
    );
}

#[test]
fn a_looped_route_is_not_kept_and_replaces_the_earlier_path() {
    let now = Instant::now();
    let mut r = rib(1);
    let a = ebgp(&mut r, "192.0.2.1", 65001);
    let p = net("10.9.0.0/16");
    r.announce(now, a, Nlri::new(p), nh4("192.0.2.1"), &attrs(&[65001, 65200]));
    assert!(r.best(p).is_some());
    drain_fib(&mut r);
    // RFC 4271 §9.1.2: our AS (65000) in the path: excluded, and the earlier path is gone.
    let s = r.announce(now, a, Nlri::new(p), nh4("192.0.2.1"), &attrs(&[65001, 65000, 65200]));
    assert_eq!(s.looped, 1);
    assert!(r.get(now, p).is_none_or(|v| v.paths.is_empty()));
    assert_eq!(r.path_count(a), (0, 0));
    assert!(matches!(&drain_fib(&mut r)[..], [FibChange::Delete(_)]));
}

#[test]
fn graceful_restart_keeps_stale_paths_until_swept() {
    let now = Instant::now();
    let mut r = rib(1);
    let a = ebgp(&mut r, "192.0.2.1", 65001);
    let (p, q) = (net("10.1.0.0/24"), net("10.2.0.0/24"));
    r.announce(now, a, Nlri::new(p), nh4("192.0.2.1"), &attrs(&[65001]));
    r.announce(now, a, Nlri::new(q), nh4("192.0.2.1"), &attrs(&[65001]));
    drain_fib(&mut r);
    assert_eq!(r.mark_stale(a, false), 1);
    assert!(drain_fib(&mut r).is_empty(), "forwarding goes on through stale paths");
    assert!(r.get(now, p).unwrap().paths[0].stale);
    // The peer comes back and sends only p again.
    let later = now + Duration::from_secs(5);
    r.announce(later, a, Nlri::new(p), nh4("192.0.2.1"), &attrs(&[65001]));
    assert!(!r.get(later, p).unwrap().paths[0].stale);
    // End-of-RIB: q was not refreshed and goes.
    assert_eq!(r.sweep_stale(a), 1);
    let fib = drain_fib(&mut r);
    assert!(matches!(&fib[..], [FibChange::Delete(f)] if f.prefix == q), "{fib:?}");
    assert!(r.get(later, p).is_some());
}

#[test]
fn long_lived_stale_is_least_preferred() {
    let now = Instant::now();
    let mut r = rib(1);
    let a = ebgp(&mut r, "192.0.2.1", 65001);
    let b = ebgp(&mut r, "192.0.2.2", 65002);
    let p = net("10.1.0.0/24");
    r.announce(now, a, Nlri::new(p), nh4("192.0.2.1"), &attrs(&[65001]));
    r.announce(now, b, Nlri::new(p), nh4("192.0.2.2"), &attrs(&[65002, 65001]));
    assert_eq!(r.get(now, p).unwrap().paths[0].next_hop, Some(ip("192.0.2.1")));
    r.mark_stale(a, true);
    let v = r.get(now, p).unwrap();
    assert_eq!(v.paths[0].next_hop, Some(ip("192.0.2.2")));
    assert_eq!(v.paths[1].lost.map(|l| l.rule), Some(Rule::LlgrStale));
}

#[test]
fn local_routes_win_and_are_not_installed() {
    let now = Instant::now();
    let mut r = rib(1);
    let a = ebgp(&mut r, "192.0.2.1", 65001);
    let p = net("10.244.1.0/24");
    r.announce(now, a, Nlri::new(p), nh4("192.0.2.1"), &attrs(&[65001]));
    r.originate(now, p, &PathAttrs::default());
    let v = r.get(now, p).unwrap();
    assert!(matches!(v.paths[0].source, PathSource::Bgp { peer: PeerId::LOCAL, .. }));
    assert_eq!(v.paths[1].lost.map(|l| l.rule), Some(Rule::Weight));
    assert!(drain_fib(&mut r).is_empty());
    assert!(r.withdraw_originated(p));
    assert_eq!(drain_fib(&mut r).len(), 1);
}

#[test]
fn path_limit_per_prefix() {
    let now = Instant::now();
    let mut r = rib(1);
    r.sh.cfg.max_paths_per_prefix = 2;
    let p = net("10.1.0.0/24");
    let peers: Vec<PeerId> =
        (1..=3).map(|i| ebgp(&mut r, &format!("192.0.2.{i}"), 65000 + i)).collect();
    let mut refused = 0;
    for (i, &peer) in peers.iter().enumerate() {
        let s = r.announce(
            now,
            peer,
            Nlri::new(p),
            nh4(&format!("192.0.2.{}", i + 1)),
            &attrs(&[65001 + i as u32]),
        );
        refused += s.refused;
    }
    assert_eq!(refused, 1);
    assert_eq!(r.get(now, p).unwrap().paths.len(), 2);
}

#[test]
fn add_path_ids_are_separate_paths() {
    let now = Instant::now();
    let mut r = rib(1);
    let a = ebgp(&mut r, "192.0.2.1", 65001);
    let p = net("10.1.0.0/24");
    r.announce(now, a, Nlri::with_path_id(1, p), nh4("192.0.2.1"), &attrs(&[65001, 1]));
    r.announce(now, a, Nlri::with_path_id(2, p), nh4("192.0.2.1"), &attrs(&[65001]));
    let v = r.get(now, p).unwrap();
    assert_eq!(v.paths.len(), 2);
    assert!(matches!(v.paths[0].source, PathSource::Bgp { path_id: 2, .. }));
    assert!(r.withdraw(a, p, 2));
    let v = r.get(now, p).unwrap();
    assert!(matches!(v.paths[..], [PathView { source: PathSource::Bgp { path_id: 1, .. }, .. }]));
}

mod properties {
    //! The table against its contract, on random inputs.

    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// One input: a peer (0..3) announcing a prefix (0..6) with a path length and MED, or
    /// withdrawing it; an OSPF route to a prefix; a peer going down.
    #[derive(Clone, Debug)]
    enum Op {
        Announce { peer: usize, prefix: usize, len: u8, med: Option<u32> },
        Withdraw { peer: usize, prefix: usize },
        Ospf { prefix: usize, cost: u32, add: bool },
        Down { peer: usize },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (0usize..3, 0usize..6, 1u8..4, prop::option::of(0u32..3))
                .prop_map(|(peer, prefix, len, med)| Op::Announce { peer, prefix, len, med }),
            2 => (0usize..3, 0usize..6).prop_map(|(peer, prefix)| Op::Withdraw { peer, prefix }),
            1 => (0usize..6, 1u32..3, any::<bool>()).prop_map(|(prefix, cost, add)| Op::Ospf { prefix, cost, add }),
            1 => (0usize..3).prop_map(|peer| Op::Down { peer }),
        ]
    }

    fn prefix(i: usize) -> IpNet {
        // Nested prefixes, IPv4 and IPv6.
        [
            "10.0.0.0/8",
            "10.1.0.0/16",
            "10.1.1.0/24",
            "192.0.2.0/24",
            "2001:db8::/32",
            "2001:db8:1::/48",
        ][i]
            .parse()
            .unwrap()
    }

    fn setup() -> (Rib, Vec<PeerId>) {
        let mut cfg = RibConfig::new(Asn(65000), v4("10.0.0.1"));
        cfg.bestpath.maximum_paths_ebgp = 2;
        cfg.bestpath.multipath_relax = true;
        let mut r = Rib::new(cfg);
        let peers = (0..3)
            .map(|i| {
                let a = format!("192.0.2.{}", i + 1);
                let mut p = PeerConfig::external(ip(&a), Asn(65001 + i as u32), v4(&a));
                p.ifindex = Some(2);
                r.add_peer(p)
            })
            .collect();
        (r, peers)
    }

    fn apply(r: &mut Rib, peers: &[PeerId], now: Instant, op: &Op) {
        match *op {
            Op::Announce { peer, prefix: i, len, med } => {
                let path: Vec<u32> =
                    (0..len).map(|k| 65001 + peer as u32 + 10 * u32::from(k)).collect();
                let mut a = attrs(&path);
                a.med = med;
                let p = prefix(i);
                let nh = match p {
                    IpNet::V4(_) => WireNextHop::Ipv4(v4(&format!("192.0.2.{}", peer + 1))),
                    IpNet::V6(_) => {
                        WireNextHop::Ipv6(format!("2001:db8:ffff::{}", peer + 1).parse().unwrap())
                    }
                };
                r.announce(now, peers[peer], Nlri::new(p), nh, &a);
            }
            Op::Withdraw { peer, prefix: i } => {
                r.withdraw(peers[peer], prefix(i), 0);
            }
            Op::Ospf { prefix: i, cost, add } => {
                let route = Route {
                    prefix: prefix(i),
                    protocol: Protocol::Ospfv2,
                    path_type: PathType::IntraArea,
                    metric: cost,
                    type2_cost: None,
                    next_hops: vec![NextHop::via(ip("10.9.9.9"), 3)],
                    tag: None,
                    kind: RouteKind::Unicast,
                };
                if add {
                    r.add_route(now, &route);
                } else {
                    r.remove_route(now, Protocol::Ospfv2, route.prefix);
                }
            }
            Op::Down { peer } => {
                r.withdraw_peer(now, peers[peer]);
            }
        }
    }

    /// Applies FIB changes to a model of the kernel's table, checking each is valid there.
    fn apply_fib(model: &mut BTreeMap<IpNet, FibRoute>, c: FibChange) -> Result<(), TestCaseError> {
        match c {
            FibChange::Add(f) => {
                prop_assert!(model.insert(f.prefix, f).is_none(), "add of an installed prefix")
            }
            FibChange::Replace(f) => {
                let old = model.insert(f.prefix, f.clone());
                prop_assert!(old.is_some(), "replace of a missing prefix");
                prop_assert_ne!(old, Some(f), "replace with no change");
            }
            FibChange::Delete(f) => {
                prop_assert_eq!(model.remove(&f.prefix), Some(f), "delete of another route")
            }
        }
        Ok(())
    }

    proptest! {
        /// Applying every FIB change in order, polling at any points, reproduces the full
        /// dump; every change is valid against what was applied before; the last best-path
        /// report of every prefix is its best path.
        #[test]
        fn fib_diffs_reproduce_the_dump(ops in prop::collection::vec((op(), any::<bool>()), 1..60)) {
            let (mut r, peers) = setup();
            let now = Instant::now();
            let mut model = BTreeMap::new();
            let mut bests = BTreeMap::new();
            for (op, poll) in &ops {
                apply(&mut r, &peers, now, op);
                if *poll {
                    while let Some(c) = r.poll_fib() {
                        apply_fib(&mut model, c)?;
                    }
                    while let Some(b) = r.poll_best() {
                        bests.insert(b.prefix, b.best);
                    }
                }
            }
            while let Some(c) = r.poll_fib() {
                apply_fib(&mut model, c)?;
            }
            while let Some(b) = r.poll_best() {
                bests.insert(b.prefix, b.best);
            }
            for i in 0..6 {
                let p = prefix(i);
                prop_assert_eq!(bests.get(&p).copied().flatten(), r.best(p), "best of {}", p);
            }
            let dump: BTreeMap<IpNet, FibRoute> = r.fib().into_iter().map(|f| (f.prefix, f)).collect();
            prop_assert_eq!(model, dump);
            // Withdrawing everything empties the table and frees every record.
            for &p in &peers {
                r.withdraw_peer(now, p);
            }
            for i in 0..6 {
                r.remove_route(now, Protocol::Ospfv2, prefix(i));
            }
            while r.poll_fib().is_some() {}
            while r.poll_best().is_some() {}
            prop_assert!(r.fib().is_empty());
            prop_assert!(r.is_empty());
            prop_assert_eq!(r.attribute_sets(), 0);
        }

        /// The best path, the multipath set and the FIB do not depend on the order the
        /// paths arrived in (same arrival time, so the oldest-path step cannot decide).
        #[test]
        fn outcome_does_not_depend_on_arrival_order(
            ops in prop::collection::vec(op(), 1..25),
            seed in any::<u64>(),
        ) {
            // Only announcements: the final state of each (peer, prefix) is its last one.
            let mut last: BTreeMap<(usize, usize), Op> = BTreeMap::new();
            for o in ops {
                if let Op::Announce { peer, prefix, .. } = o {
                    last.insert((peer, prefix), o);
                }
            }
            let forward: Vec<Op> = last.values().cloned().collect();
            let mut shuffled = forward.clone();
            let mut x = seed | 1;
            for i in (1..shuffled.len()).rev() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                shuffled.swap(i, (x % (i as u64 + 1)) as usize);
            }
            let now = Instant::now();
            let outcome = |ops: &[Op]| {
                let (mut r, peers) = setup();
                for o in ops {
                    apply(&mut r, &peers, now, o);
                }
                let views: Vec<_> = (0..6)
                    .filter_map(|i| r.get(now, prefix(i)))
                    .map(|v| {
                        let best = v.paths.iter().find(|p| p.best).map(|p| p.source.clone());
                        let mut mp: Vec<_> = v.paths.iter().filter(|p| p.multipath).map(|p| p.source.clone()).collect();
                        mp.sort_by_key(|s| format!("{s:?}"));
                        (v.prefix, best, mp)
                    })
                    .collect();
                (views, r.fib())
            };
            prop_assert_eq!(outcome(&forward), outcome(&shuffled));
        }
    }
}

mod policy {
    //! Policy applied by the table: on import per peer, and on redistribution.

    use super::*;
    use crate::policy::Policy;

    fn kernel(prefix: &str, via: &str) -> Route {
        Route {
            prefix: net(prefix),
            protocol: Protocol::Kernel,
            path_type: PathType::Other,
            metric: 0,
            type2_cost: None,
            next_hops: vec![NextHop::via(ip(via), 5)],
            tag: None,
            kind: RouteKind::Unicast,
        }
    }

    #[test]
    fn import_map_sets_local_pref_and_denies() {
        let now = Instant::now();
        let mut r = rib(1);
        r.set_policy(
            Policy::parse(
                "ip prefix-list BOGONS seq 5 permit 10.0.0.0/8 le 32\n\
                 route-map IN deny 10\n match ip address prefix-list BOGONS\n\
                 route-map IN permit 20\n set local-preference 300\n",
            )
            .unwrap(),
        );
        let mut cfg = PeerConfig::external(ip("192.0.2.1"), Asn(65001), v4("192.0.2.1"));
        cfg.import = Some("IN".into());
        let a = r.add_peer(cfg);
        let b = ebgp(&mut r, "192.0.2.2", 65002);
        let p = net("203.0.113.0/24");
        // A longer path wins through LOCAL_PREF set on import.
        r.announce(now, a, Nlri::new(p), nh4("192.0.2.1"), &attrs(&[65001, 65100, 65200]));
        r.announce(now, b, Nlri::new(p), nh4("192.0.2.2"), &attrs(&[65002]));
        let v = r.get(now, p).unwrap();
        assert_eq!(v.paths[0].attrs.as_ref().unwrap().local_pref, Some(300));
        assert_eq!(v.paths[1].lost.map(|l| l.rule), Some(Rule::LocalPref));
        // A denied prefix never enters, and withdraws what the peer sent before.
        let s =
            r.announce(now, a, Nlri::new(net("10.1.0.0/16")), nh4("192.0.2.1"), &attrs(&[65001]));
        assert_eq!((s.announced, s.denied), (0, 1));
        assert!(!r.contains(net("10.1.0.0/16")));
        // The same through a received UPDATE: the map is evaluated per prefix.
        let ctx = Context::modern();
        let pa = vec![
            PathAttribute::new(Attribute::Origin(Origin::Igp)),
            PathAttribute::new(Attribute::AsPath(AsPath::from_sequence([65001]))),
        ];
        let routes = [Nlri::new(net("10.2.0.0/16")), Nlri::new(net("198.51.100.0/24"))];
        let mut buf = BytesMut::new();
        UpdateBuilder::new(&ctx, &pa).announce(
            Family::IPV4_UNICAST,
            &nh4("192.0.2.1"),
            &routes,
            Encoding::Classic,
            &mut buf,
        );
        let s = r.handle_update(now, a, &Update::decode(buf.freeze(), &ctx).unwrap(), &ctx);
        assert_eq!((s.announced, s.denied), (1, 1));
        assert!(r.contains(net("198.51.100.0/24")));
    }

    #[test]
    fn seed_redistribution_of_kernel_and_connected_routes() {
        // The seed's node configuration: pod routes from the kernel filtered by an access
        // list, loopbacks from connected routes filtered by a prefix list.
        let now = Instant::now();
        let mut r = rib(1);
        r.set_policy(
            Policy::parse(
                "access-list K8SROUTES permit 10.233.64.0/18\n\
                 ip prefix-list LOOPBACK seq 5 permit 10.0.0.0/8 ge 32\n\
                 route-map LOOPBACK permit 10\n match ip address prefix-list LOOPBACK\n\
                 route-map K8SROUTES permit 10\n match ip address K8SROUTES\n",
            )
            .unwrap(),
        );
        r.add_route(now, &kernel("10.233.65.0/24", "10.233.65.1"));
        r.add_route(now, &kernel("10.233.128.0/24", "10.233.128.1"));
        r.set_redistribution(
            now,
            vec![
                Redistribute {
                    protocol: Protocol::Kernel,
                    route_map: Some("K8SROUTES".into()),
                    metric: None,
                },
                Redistribute {
                    protocol: Protocol::Connected,
                    route_map: Some("LOOPBACK".into()),
                    metric: None,
                },
            ],
        );
        let local = |r: &mut Rib, p: &str| {
            r.get(now, net(p)).is_some_and(|v| {
                v.paths
                    .iter()
                    .any(|x| matches!(x.source, PathSource::Bgp { peer: PeerId::LOCAL, .. }))
            })
        };
        assert!(local(&mut r, "10.233.65.0/24"));
        assert!(!local(&mut r, "10.233.128.0/24"), "outside the access list");
        // Connected routes that come later are redistributed as they come.
        let connected = |p: &str| Route {
            prefix: net(p),
            protocol: Protocol::Connected,
            path_type: PathType::Other,
            metric: 0,
            type2_cost: None,
            next_hops: vec![NextHop::direct(1)],
            tag: None,
            kind: RouteKind::Unicast,
        };
        r.add_route(now, &connected("10.0.0.11/32"));
        r.add_route(now, &connected("192.168.2.0/24"));
        assert!(local(&mut r, "10.0.0.11/32"));
        assert!(!local(&mut r, "192.168.2.0/24"));
        // Redistributed paths carry ORIGIN incomplete and the route's metric as MED (FRR).
        let v = r.get(now, net("10.233.65.0/24")).unwrap();
        let bgp = v.paths.iter().find(|x| x.attrs.is_some()).unwrap();
        assert_eq!(bgp.attrs.as_ref().unwrap().origin, bgp_wire::attribute::Origin::Incomplete);
        assert_eq!(bgp.attrs.as_ref().unwrap().med, Some(0));
        // The kernel route goes: so does the BGP path made from it. The kernel keeps
        // forwarding through its own route meanwhile (our own paths are never installed).
        r.remove_route(now, Protocol::Kernel, net("10.233.65.0/24"));
        assert!(!r.contains(net("10.233.65.0/24")));
        let best: Vec<_> = std::iter::from_fn(|| r.poll_best())
            .filter(|b| b.prefix == net("10.233.65.0/24"))
            .collect();
        assert_eq!(best.last().map(|b| b.best), Some(None));
        // Turning redistribution off withdraws what it announced.
        r.set_redistribution(now, vec![]);
        assert!(!local(&mut r, "10.0.0.11/32"));
    }
}

#[test]
fn path_counts_per_neighbour_and_family() {
    let now = Instant::now();
    let mut r = rib(1);
    let a = ebgp(&mut r, "192.0.2.1", 65001);
    r.announce(now, a, Nlri::new(net("10.1.0.0/24")), nh4("192.0.2.1"), &attrs(&[65001]));
    r.announce(now, a, Nlri::new(net("10.2.0.0/24")), nh4("192.0.2.1"), &attrs(&[65001]));
    // A replacement is not a new path.
    r.announce(now, a, Nlri::new(net("10.2.0.0/24")), nh4("192.0.2.1"), &attrs(&[65001, 7]));
    let v6 = WireNextHop::Ipv6("2001:db8::1".parse().unwrap());
    r.announce(now, a, Nlri::new(net("2001:db8:1::/48")), v6, &attrs(&[65001]));
    assert_eq!(r.path_count(a), (2, 1));
    r.withdraw(a, net("10.1.0.0/24"), 0);
    assert_eq!(r.path_count(a), (1, 1));
    r.withdraw_peer(now, a);
    assert_eq!(r.path_count(a), (0, 0));
}

#[test]
fn only_to_customer_on_ingress() {
    // RFC 9234 §5: OTC added on routes from a provider; a route with OTC from a customer is
    // a leak and cannot be used.
    use bgp_wire::capability::BgpRole;
    let now = Instant::now();
    let mut r = rib(1);
    let mut up = PeerConfig::external(ip("192.0.2.1"), Asn(65001), v4("192.0.2.1"));
    up.role = Some(BgpRole::CUSTOMER);
    let up = r.add_peer(up);
    let mut down = PeerConfig::external(ip("192.0.2.2"), Asn(65002), v4("192.0.2.2"));
    down.role = Some(BgpRole::PROVIDER);
    let down = r.add_peer(down);
    let p = net("10.1.0.0/24");
    r.announce(now, up, Nlri::new(p), nh4("192.0.2.1"), &attrs(&[65001]));
    let v = r.get(now, p).unwrap();
    assert_eq!(v.paths[0].attrs.as_ref().unwrap().otc, Some(Asn(65001)));
    let q = net("10.2.0.0/24");
    let mut leaked = attrs(&[65002]);
    leaked.otc = Some(Asn(65010));
    let s = r.announce(now, down, Nlri::new(q), nh4("192.0.2.2"), &leaked);
    assert_eq!(s.looped, 1, "a leak is not kept");
    assert!(r.get(now, q).is_none_or(|v| v.paths.is_empty()));
    // The same from a customer without OTC is fine.
    r.announce(now, down, Nlri::new(q), nh4("192.0.2.2"), &attrs(&[65002]));
    assert!(r.get(now, q).unwrap().paths[0].best);
}

#[test]
fn best_change_reports_the_previous_best_once_per_report() {
    let now = Instant::now();
    let mut r = rib(1);
    let a = ebgp(&mut r, "192.0.2.1", 65001);
    let b = ebgp(&mut r, "192.0.2.2", 65002);
    let p = net("10.1.0.0/16");
    r.announce(now, a, Nlri::new(p), nh4("192.0.2.1"), &attrs(&[65001, 65100]));
    let c = drain_best(&mut r);
    assert_eq!(c[0].previous, None, "a new prefix had no best path");
    // b wins, then a is withdrawn: one report, measured from a.
    r.announce(now, b, Nlri::new(p), nh4("192.0.2.2"), &attrs(&[65002]));
    assert!(r.withdraw(a, p, 0));
    let c = drain_best(&mut r);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].previous, Some((a, 0)));
    assert_eq!(c[0].best.map(|s| s.peer), Some(b));
    assert!(r.withdraw(b, p, 0));
    let c = drain_best(&mut r);
    assert_eq!((c[0].previous, c[0].best), (Some((b, 0)), None));
}

#[test]
fn multipath_set_and_why_a_path_lost() {
    let now = Instant::now();
    let mut r = rib(2);
    let a = ebgp(&mut r, "192.0.2.1", 65001);
    let b = ebgp(&mut r, "192.0.2.2", 65001);
    let c = ebgp(&mut r, "192.0.2.3", 65003);
    let p = net("10.96.0.10/32");
    r.announce(now, a, Nlri::new(p), nh4("192.0.2.1"), &attrs(&[65001]));
    r.announce(now, b, Nlri::new(p), nh4("192.0.2.2"), &attrs(&[65001]));
    r.announce(now, c, Nlri::new(p), nh4("192.0.2.3"), &attrs(&[65003, 65004]));
    let set = r.multipath(p);
    assert_eq!(set.iter().map(|s| s.peer).collect::<Vec<_>>(), vec![a, b]);
    assert!(set.iter().all(|s| s.multipath == 2));
    assert_eq!(set.first().copied(), r.best(p));
    assert_eq!(r.lost_on(p, a, 0), None, "the best did not lose");
    assert_eq!(r.lost_on(p, b, 0), Some(Rule::RouterId), "same age: the lower router id");
    assert_eq!(r.lost_on(p, c, 0), Some(Rule::AsPathLength));
    assert_eq!(r.lost_on(p, c, 7), None, "no such path");
    assert!(r.multipath(net("10.0.0.0/8")).is_empty());
}

#[test]
fn routes_announced_together_share_one_record() {
    let now = Instant::now();
    let mut r = rib(1);
    let a = ebgp(&mut r, "192.0.2.1", 65001);
    let routes = [Nlri::new(net("10.1.0.0/24")), Nlri::new(net("10.2.0.0/24"))];
    let s = r.announce_routes(now, a, &routes, nh4("192.0.2.1"), &attrs(&[65001]));
    assert_eq!(s.announced, 2);
    assert_eq!(r.attribute_sets(), 1);
    assert_eq!(r.path_count(a), (2, 0));
}

#[test]
fn attributes_of_a_received_update() {
    let ctx = Context::modern();
    let pa = vec![
        PathAttribute::new(Attribute::Origin(Origin::Egp)),
        PathAttribute::new(Attribute::AsPath(AsPath::from_sequence([65001, 65010]))),
        PathAttribute::new(Attribute::MultiExitDisc(7)),
    ];
    let mut buf = BytesMut::new();
    UpdateBuilder::new(&ctx, &pa).announce(
        Family::IPV4_UNICAST,
        &nh4("192.0.2.1"),
        &[Nlri::new(net("10.1.0.0/24"))],
        Encoding::Classic,
        &mut buf,
    );
    let u = Update::decode(buf.freeze(), &ctx).unwrap();
    let got = PathAttrs::from_update(&u, &ctx);
    let want = PathAttrs { origin: Origin::Egp, med: Some(7), ..attrs(&[65001, 65010]) };
    assert_eq!(got, want);
}

#[test]
fn a_second_path_that_does_not_win_is_no_best_change() {
    let now = Instant::now();
    let mut r = rib(1);
    let a = ebgp(&mut r, "192.0.2.1", 65001);
    let b = ebgp(&mut r, "192.0.2.2", 65002);
    let p = net("10.1.0.0/16");
    r.announce(now, a, Nlri::new(p), nh4("192.0.2.1"), &attrs(&[65001]));
    assert_eq!(drain_best(&mut r).len(), 1);
    r.announce(now, b, Nlri::new(p), nh4("192.0.2.2"), &attrs(&[65002, 65100]));
    assert!(drain_best(&mut r).is_empty());
    // And its leaving is none either.
    assert!(r.withdraw(b, p, 0));
    assert!(drain_best(&mut r).is_empty());
}

#[test]
fn long_lived_stale_per_family_with_the_community_and_no_llgr_removed() {
    use bgp_wire::attribute::Community;
    let now = Instant::now();
    let mut r = rib(1);
    let a = ebgp(&mut r, "192.0.2.1", 65001);
    let b = ebgp(&mut r, "192.0.2.2", 65002);
    let (p4, p6, gone) = (net("10.1.0.0/24"), net("2001:db8:1::/48"), net("10.9.0.0/24"));
    // One attribute set for an IPv4 and an IPv6 route (an IPv6 next hop for both, RFC 8950):
    // the record is shared by the two tables.
    let v6 = WireNextHop::Ipv6("2001:db8::1".parse().unwrap());
    let mut shared = attrs(&[65001]);
    shared.communities = vec![Community::new(65001, 1)];
    r.announce(now, a, Nlri::new(p4), v6.clone(), &shared);
    r.announce(now, a, Nlri::new(p6), v6, &shared);
    r.announce(now, b, Nlri::new(p4), nh4("192.0.2.2"), &attrs(&[65002, 65001]));
    let mut no_llgr = attrs(&[65001]);
    no_llgr.communities = vec![Community::NO_LLGR];
    r.announce(now, a, Nlri::new(gone), nh4("192.0.2.1"), &no_llgr);
    assert_eq!(r.attribute_sets(), 3, "one set for both families of a");
    assert_eq!(r.best(p4).map(|s| s.peer), Some(a));
    drain_best(&mut r);
    r.mark_stale(a, false);
    // RFC 9494 §4.2, IPv4 only: NO_LLGR routes go, the rest get LLGR_STALE and lose to
    // anything else (§4.3, §4.4).
    let done = r.mark_long_lived_stale(a, false);
    assert_eq!(done, LongLivedStale { marked: 1, removed: 1 });
    assert!(r.get(now, gone).is_none_or(|v| v.paths.is_empty()));
    let v = r.get(now, p4).unwrap();
    assert_eq!(v.paths[0].next_hop, Some(ip("192.0.2.2")));
    assert!(v.paths[1].llgr_stale && v.paths[1].stale);
    assert_eq!(v.paths[1].lost.map(|l| l.rule), Some(Rule::LlgrStale));
    let c = &v.paths[1].attrs.as_ref().unwrap().communities;
    assert_eq!(c, &vec![Community::new(65001, 1), Community::LLGR_STALE]);
    let best: Vec<IpNet> = drain_best(&mut r).iter().map(|c| c.prefix).collect();
    assert!(best.contains(&p4), "the best path changed: {best:?}");
    // The IPv6 route of the same set is only stale.
    let v = r.get(now, p6).unwrap();
    assert!(v.paths[0].stale && !v.paths[0].llgr_stale && v.paths[0].best);
    assert_eq!(v.paths[0].attrs.as_ref().unwrap().communities, vec![Community::new(65001, 1)]);
    // Again: nothing more to do.
    assert_eq!(r.mark_long_lived_stale(a, false), LongLivedStale::default());
    // The IPv4 sweep leaves IPv6 alone.
    assert_eq!(r.sweep_stale_family(a, false), 1);
    assert_eq!(r.get(now, p4).unwrap().paths.len(), 1);
    assert!(r.get(now, p6).unwrap().paths[0].stale);
    assert_eq!(r.path_count(a), (0, 1));
    assert_eq!(r.sweep_stale_family(a, true), 1);
    assert_eq!(r.path_count(a), (0, 0));
    assert_eq!(r.attribute_sets(), 1, "only b's set is left");
}

#[test]
fn received_llgr_stale_is_least_preferred() {
    use bgp_wire::attribute::Community;
    // RFC 9494 §4.3: "upon receiving a route from that neighbor with the LLGR_STALE
    // community ... Treat the route as the least-preferred in route selection".
    let now = Instant::now();
    let mut r = rib(1);
    let a = ebgp(&mut r, "192.0.2.1", 65001);
    let b = ebgp(&mut r, "192.0.2.2", 65002);
    let p = net("10.1.0.0/24");
    let mut stale = attrs(&[65001]);
    stale.communities = vec![Community::LLGR_STALE];
    r.announce(now, a, Nlri::new(p), nh4("192.0.2.1"), &stale);
    r.announce(now, b, Nlri::new(p), nh4("192.0.2.2"), &attrs(&[65002, 65100, 65001]));
    let v = r.get(now, p).unwrap();
    assert_eq!(v.paths[0].next_hop, Some(ip("192.0.2.2")));
    assert!(v.paths[1].llgr_stale && !v.paths[1].stale);
    assert_eq!(v.paths[1].lost.map(|l| l.rule), Some(Rule::LlgrStale));
}
