//! The same simulations for OSPFv2 and OSPFv3: each test is a function
//! generic over the version, instantiated once per version by `both!`.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use ospf_lsdb::config::AreaConfig;
use ospf_lsdb::event::Event;
use ospf_lsdb::interface::IfState;
use ospf_lsdb::neighbor::NbrState;
use ospf_lsdb::packet::{Auth, ShaAlgorithm};
use ospf_lsdb::sim::{Port, SimOf, SimVersion};
use ospf_lsdb::version::{Key, Version};
use ospf_lsdb::{AreaId, AreaKind, Config, InterfaceConfig, MetricType, NetworkType, RouterId};
use rib::PathType;

fn rid(n: u8) -> RouterId {
    RouterId(u32::from(Ipv4Addr::new(n, n, n, n)))
}

fn iface(ifindex: u32, network: NetworkType) -> InterfaceConfig {
    iface_in(ifindex, 0, network)
}

fn iface_in(ifindex: u32, area: u32, network: NetworkType) -> InterfaceConfig {
    let mut i = InterfaceConfig::new(ifindex, &format!("eth{ifindex}"), AreaId(area));
    i.network = network;
    i
}

/// Router `n` with point-to-point interfaces 1..=p2p and a passive
/// "loopback" interface 100.
fn router(n: u8, p2p: u32) -> Config {
    let mut c = Config::new(rid(n));
    for i in 1..=p2p {
        c.interfaces.push(iface(i, NetworkType::PointToPoint));
    }
    let mut lo = iface(100, NetworkType::Broadcast);
    lo.passive = true;
    c.interfaces.push(lo);
    c
}

/// The loopback link of router `n` (link number 100 + n).
fn lo_link(n: u8) -> u16 {
    100 + u16::from(n)
}

fn lo<V: SimVersion>(sim: &mut SimOf<V>, r: usize, n: u8) {
    sim.add_link(&[SimOf::<V>::port_on(r, 100, lo_link(n), 1)]);
}

fn all_full<V: Version>(sim: &SimOf<V>, r: usize, ifindex: u32) -> bool {
    let n = sim.routers[r].neighbors(ifindex);
    !n.is_empty() && n.iter().all(|x| x.2 == NbrState::Full)
}

/// Every router's area and AS databases are the same.
fn assert_synchronised<V: Version>(sim: &SimOf<V>, routers: &[usize]) {
    let d0 = sim.lsdb_digest(routers[0], AreaId(0));
    assert!(!d0.is_empty());
    for r in &routers[1..] {
        assert_eq!(d0, sim.lsdb_digest(*r, AreaId(0)), "router {r}");
    }
}

fn state<V: Version>(sim: &SimOf<V>, r: usize) -> (IfState, Option<RouterId>, Option<RouterId>) {
    sim.routers[r].interface_state(1).unwrap_or((IfState::Down, None, None))
}

fn point_to_point_adjacency_and_sync<V: SimVersion>() {
    let mut sim = SimOf::<V>::new(Instant::now());
    let a = sim.add_router(router(1, 1));
    let b = sim.add_router(router(2, 1));
    lo(&mut sim, a, 1);
    lo(&mut sim, b, 2);
    sim.add_link(&[SimOf::<V>::port_on(a, 1, 12, 1), SimOf::<V>::port_on(b, 1, 12, 2)]);
    sim.run_for(Duration::from_secs(30));
    assert!(!sim.stalled);
    assert!(all_full(&sim, a, 1) && all_full(&sim, b, 1));
    assert_eq!(state(&sim, a).0, IfState::PointToPoint);
    // Each knows the other by its Router ID at its link address.
    let n = sim.routers[a].neighbors(1);
    assert_eq!((n[0].0, n[0].1.to_string()), (rid(2), V::next_hop(12, 2).to_string()));
    assert_synchronised(&sim, &[a, b]);
    // Both routers' router-LSAs are in the area database.
    let d = sim.lsdb_digest(a, AreaId(0));
    for who in [rid(1), rid(2)] {
        assert!(d.iter().any(|(k, _, _)| k.advertising_router() == who), "{d:?}");
    }
    // The link-scope databases agree too (OSPFv3: both link-LSAs; OSPFv2
    // has no link-scope LSAs).
    assert_eq!(sim.link_digest(a, 1), sim.link_digest(b, 1));
    assert_eq!(sim.link_digest(a, 1).len(), if V::NUMBER == 3 { 2 } else { 0 });
    let full_at = sim
        .events
        .iter()
        .find(|(_, _, e)| matches!(e, Event::NeighborState { new: NbrState::Full, .. }))
        .map(|x| x.1);
    assert!(full_at.is_some_and(|t| t < Duration::from_secs(5)), "{full_at:?}");
}

/// Three routers on one broadcast link (link 1) with the given priorities.
fn lan<V: SimVersion>(prio: [u8; 3]) -> (SimOf<V>, [usize; 3]) {
    let mut sim = SimOf::<V>::new(Instant::now());
    let mut idx = [0; 3];
    for (k, p) in prio.iter().enumerate() {
        let n = k as u8 + 1;
        let mut c = router(n, 0);
        let mut i = iface(1, NetworkType::Broadcast);
        i.priority = *p;
        c.interfaces.push(i);
        idx[k] = sim.add_router(c);
        lo(&mut sim, idx[k], n);
    }
    let ports: Vec<Port<V>> =
        idx.iter().enumerate().map(|(k, r)| SimOf::<V>::port_on(*r, 1, 1, k as u8 + 1)).collect();
    sim.add_link(&ports);
    sim.run_for(Duration::from_secs(90));
    assert!(!sim.stalled);
    (sim, idx)
}

fn broadcast_dr_election_highest_router_id_wins<V: SimVersion>() {
    let (sim, idx) = lan::<V>([1, 1, 1]);
    for r in idx {
        let (_, dr, bdr) = state(&sim, r);
        assert_eq!((dr, bdr), (Some(rid(3)), Some(rid(2))), "router {r}");
    }
    assert_eq!(state(&sim, idx[2]).0, IfState::Dr);
    assert_eq!(state(&sim, idx[1]).0, IfState::Backup);
    assert_eq!(state(&sim, idx[0]).0, IfState::DrOther);
    for r in idx {
        assert!(all_full(&sim, r, 1), "{r}: {:?}", sim.routers[r].neighbors(1));
    }
    // Synchronised, with the DR's network-LSA (LS type 2; 0x2002 in OSPFv3).
    assert_synchronised(&sim, &idx);
    let network = if V::NUMBER == 3 { 0x2002 } else { 2 };
    let d = sim.lsdb_digest(idx[0], AreaId(0));
    assert!(d.iter().any(|(k, _, _)| k.type_code() == network && k.advertising_router() == rid(3)));
    // Every router holds every router's link-LSA of the LAN (OSPFv3).
    for r in idx {
        assert_eq!(sim.link_digest(r, 1), sim.link_digest(idx[0], 1));
        assert_eq!(sim.link_digest(r, 1).len(), if V::NUMBER == 3 { 3 } else { 0 });
    }
}

fn broadcast_dr_election_priority_wins_and_zero_never<V: SimVersion>() {
    let (sim, idx) = lan::<V>([10, 0, 1]);
    for r in idx {
        let (_, dr, bdr) = state(&sim, r);
        assert_eq!((dr, bdr), (Some(rid(1)), Some(rid(3))), "router {r}");
    }
    assert_eq!(state(&sim, idx[1]).0, IfState::DrOther);
    assert_synchronised(&sim, &idx);
}

fn backup_takes_over_when_the_dr_dies<V: SimVersion>() {
    let (mut sim, idx) = lan::<V>([1, 1, 1]);
    sim.kill(idx[2]);
    sim.run_for(Duration::from_secs(90));
    for r in &idx[..2] {
        assert_eq!(state(&sim, *r).1, Some(rid(2)), "router {r}");
        assert!(all_full(&sim, *r, 1), "{:?}", sim.routers[*r].neighbors(1));
    }
    assert_synchronised(&sim, &idx[..2]);
}

/// A ring 1-2-3-4-1 of point-to-point links (links 12, 23, 34, 41), each
/// router with a loopback.
fn ring<V: SimVersion>() -> (SimOf<V>, [usize; 4]) {
    let mut sim = SimOf::<V>::new(Instant::now());
    let r: [usize; 4] = std::array::from_fn(|k| sim.add_router(router(k as u8 + 1, 2)));
    for (k, x) in r.iter().enumerate() {
        lo(&mut sim, *x, k as u8 + 1);
    }
    // Interface 1 toward the next router, 2 toward the previous one.
    for k in 0..4u8 {
        let (a, b) = (k, (k + 1) % 4);
        let link = u16::from(a + 1) * 10 + u16::from(b + 1);
        sim.add_link(&[
            SimOf::<V>::port_on(r[usize::from(a)], 1, link, a + 1),
            SimOf::<V>::port_on(r[usize::from(b)], 2, link, b + 1),
        ]);
    }
    sim.run_for(Duration::from_secs(60));
    assert!(!sim.stalled);
    (sim, r)
}

fn ring_lsdb_sync<V: SimVersion>() {
    let (sim, r) = ring::<V>();
    for x in r {
        assert!(all_full(&sim, x, 1) && all_full(&sim, x, 2));
    }
    assert_synchronised(&sim, &r);
    // A router that leaves gracefully has its LSAs flushed everywhere.
    let mut sim = sim;
    sim.shutdown(r[3]);
    sim.run_for(Duration::from_secs(10));
    assert_synchronised(&sim, &r[..3]);
    let d = sim.lsdb_digest(r[0], AreaId(0));
    assert!(!d.iter().any(|(k, _, _)| k.advertising_router() == rid(4)), "{d:?}");
}

/// Each live router's incrementally maintained routes equal a full
/// recalculation's.
fn assert_tables_match_full<V: Version>(sim: &SimOf<V>) {
    for (i, r) in sim.routers.iter().enumerate().filter(|(i, _)| sim.is_alive(*i)) {
        let mut got: Vec<rib::Route> = r.routes().cloned().collect();
        got.sort_by_key(|x| x.prefix);
        let mut want = r.full_calculation_routes(sim.now);
        want.sort_by_key(|x| x.prefix);
        assert_eq!(got, want, "router {i} differs from the full calculation");
    }
}

/// Router 4's loopback cost changes: the prefix change (a stub link of
/// its OSPFv2 router-LSA, a prefix of its OSPFv3 intra-area-prefix-LSA)
/// is applied without Dijkstra.
fn prefix_cost_change_is_applied_without_dijkstra<V: SimVersion>() {
    let (mut sim, r) = ring::<V>();
    let before = sim.routers[r[0]].spf_runs();
    sim.with_router(r[3], |x, now| x.handle_interface_cost(now, 100, 7));
    sim.run_for(Duration::from_secs(20));
    let after = sim.routers[r[0]].spf_runs();
    assert_eq!(route(&sim, r[0], V::link_prefix(lo_link(4))).map(|x| x.metric), Some(17));
    assert_eq!(after.0, before.0, "no full run");
    assert!(after.1 > before.1, "an incremental run");
    assert_tables_match_full(&sim);
}

/// Router 1's loopback cost changes in area 1: the border router's
/// summary (inter-area-prefix-LSA) changes, and router 3 applies it
/// without Dijkstra.
fn inter_area_change_is_applied_without_dijkstra<V: SimVersion>() {
    let (mut sim, r) = two_areas::<V>(AreaKind::Normal);
    let before = sim.routers[r[2]].spf_runs();
    sim.with_router(r[0], |x, now| x.handle_interface_cost(now, 100, 5));
    sim.run_for(Duration::from_secs(20));
    let after = sim.routers[r[2]].spf_runs();
    let lo1 = V::link_prefix(lo_link(1));
    assert_eq!(typed_route(&sim, r[2], lo1).1, 25, "{:?}", lines(&sim, r[2]));
    assert_eq!(after.0, before.0, "no full run");
    assert!(after.1 > before.1, "an incremental run");
    assert_tables_match_full(&sim);
}

/// Random prefix changes (loopback costs, redistributed metrics and types)
/// across two areas, an NSSA or not: after each, every router's table
/// equals a full calculation's.
fn random_prefix_changes_keep_incremental_equal_to_full<V: SimVersion>() {
    for kind in [AreaKind::Normal, AreaKind::Nssa { default_cost: 3 }] {
        let (mut sim, r) = two_areas_with::<V>(kind, |n, c| {
            if n != 2 {
                V::redistribute(c, 900 + u16::from(n), MetricType::Type2, 20);
            }
        });
        let mut rng = ospf_lsdb::rng::SplitMix64::new(0x5eed);
        let incremental =
            |sim: &SimOf<V>| r.iter().map(|x| sim.routers[*x].spf_runs().1).sum::<u64>();
        let before = incremental(&sim);
        for _ in 0..30 {
            let x = if rng.below(2) == 0 { 0 } else { 2 };
            let n = if x == 0 { 1 } else { 3 };
            if rng.below(2) == 0 {
                let cost = 1 + rng.below(50) as u16;
                sim.with_router(r[x], |i, now| i.handle_interface_cost(now, 100, cost));
            } else {
                let mut c = Config::new(rid(n));
                let ty = if rng.below(2) == 0 { MetricType::Type1 } else { MetricType::Type2 };
                for link in 0..=rng.below(2) as u16 {
                    V::redistribute(
                        &mut c,
                        900 + u16::from(n) + 10 * link,
                        ty,
                        1 + rng.below(99) as u32,
                    );
                }
                sim.with_router(r[x], |i, now| V::reconfigure_redistribution(i, now, &c));
            }
            sim.run_for(Duration::from_secs(5));
            assert_tables_match_full(&sim);
        }
        assert!(incremental(&sim) > before + 30, "incremental runs happened");
    }
}

fn route<V: Version>(sim: &SimOf<V>, r: usize, p: ipnet::IpNet) -> Option<&rib::Route> {
    sim.routers[r].routes().find(|x| x.prefix == p)
}

fn lines<V: SimVersion>(sim: &SimOf<V>, r: usize) -> Vec<String> {
    sim.route_lines(r)
}

/// A next hop as (address, interface).
type Hop = (Option<std::net::IpAddr>, Option<u32>);

/// The intra-area route to `p` at router `r`: its cost and next hops.
fn cost_and_hops<V: SimVersion>(sim: &SimOf<V>, r: usize, p: ipnet::IpNet) -> (u32, Vec<Hop>) {
    let (t, cost, hops) = typed_route(sim, r, p);
    assert_eq!(t, PathType::IntraArea);
    (cost, hops)
}

/// The route to `p` at router `r`: path type, cost and next hops.
fn typed_route<V: SimVersion>(
    sim: &SimOf<V>,
    r: usize,
    p: ipnet::IpNet,
) -> (PathType, u32, Vec<Hop>) {
    let x = route(sim, r, p).unwrap_or_else(|| panic!("no {p} at {r}: {:?}", lines(sim, r)));
    assert_eq!(x.protocol, V::PROTOCOL);
    (x.path_type, x.metric, x.next_hops.iter().map(|h| (h.addr, h.ifindex)).collect())
}

fn ring_routes_cost_and_next_hops<V: SimVersion>() {
    let (sim, r) = ring::<V>();
    // Router 1: links 12 (interface 1, toward 2) and 41 (interface 2, toward 4).
    let via2 = (Some(V::next_hop(12, 2)), Some(1));
    let via4 = (Some(V::next_hop(41, 4)), Some(2));
    assert_eq!(cost_and_hops(&sim, r[0], V::link_prefix(lo_link(2))), (20, vec![via2]));
    assert_eq!(cost_and_hops(&sim, r[0], V::link_prefix(lo_link(4))), (20, vec![via4]));
    // Router 3 is two hops away both ways: equal-cost next hops.
    let (cost, mut hops) = cost_and_hops(&sim, r[0], V::link_prefix(lo_link(3)));
    hops.sort();
    let mut want = vec![via2, via4];
    want.sort();
    assert_eq!((cost, hops), (30, want));
    // Our own links are direct; the far ones one hop on.
    assert_eq!(cost_and_hops(&sim, r[0], V::link_prefix(12)), (10, vec![(None, Some(1))]));
    assert_eq!(cost_and_hops(&sim, r[0], V::link_prefix(23)), (20, vec![via2]));
    assert_eq!(cost_and_hops(&sim, r[0], V::link_prefix(34)), (20, vec![via4]));
    // Every router has every prefix: four links, four loopbacks.
    for x in r {
        assert_eq!(sim.routers[x].routes().count(), 8, "{:?}", lines(&sim, x));
    }
}

fn killed_router_prefixes_disappear<V: SimVersion>() {
    let (mut sim, r) = ring::<V>();
    let lo3 = V::link_prefix(lo_link(3));
    assert!(route(&sim, r[0], lo3).is_some());
    sim.kill(r[2]);
    sim.run_for(Duration::from_secs(60));
    for x in [r[0], r[1], r[3]] {
        assert!(route(&sim, x, lo3).is_none(), "{:?}", lines(&sim, x));
        // The links to router 3 are still the prefixes of routers 2 and 4.
        assert_eq!(sim.routers[x].routes().count(), 7, "{:?}", lines(&sim, x));
    }
    // Router 1 now reaches link 34 over router 4 only.
    let via4 = (Some(V::next_hop(41, 4)), Some(2));
    assert_eq!(cost_and_hops(&sim, r[0], V::link_prefix(34)), (20, vec![via4]));
    let route_deleted = sim.events.iter().any(|(x, _, e)| {
        *x == r[0] && matches!(e, Event::Route(rib::RouteChange::Delete(d)) if d.prefix == lo3)
    });
    assert!(route_deleted);
}

fn broadcast_routes_through_the_network<V: SimVersion>() {
    let (sim, idx) = lan::<V>([1, 1, 1]);
    for (k, x) in idx.iter().enumerate() {
        let me = k as u8 + 1;
        // The LAN itself is direct.
        assert_eq!(cost_and_hops(&sim, *x, V::link_prefix(1)), (10, vec![(None, Some(1))]));
        for other in 1..=3u8 {
            if other == me {
                continue;
            }
            let hop = (Some(V::next_hop(1, other)), Some(1));
            assert_eq!(
                cost_and_hops(&sim, *x, V::link_prefix(lo_link(other))),
                (20, vec![hop]),
                "router {me} to {other}"
            );
        }
        assert_eq!(sim.routers[*x].routes().count(), 4, "{:?}", lines(&sim, *x));
    }
}

/// Router 1 in area 1, router 2 the border router (area 1 and the
/// backbone), router 3 in the backbone; links 12 and 23, loopbacks of 1
/// and 3 in their areas.
fn two_areas<V: SimVersion>(kind: AreaKind) -> (SimOf<V>, [usize; 3]) {
    two_areas_with(kind, |_, _| {})
}

/// `two_areas` with `extra` applied to each router's number and
/// configuration.
fn two_areas_with<V: SimVersion>(
    kind: AreaKind,
    extra: impl Fn(u8, &mut Config),
) -> (SimOf<V>, [usize; 3]) {
    let mut sim = SimOf::<V>::new(Instant::now());
    let lo_in = |area| {
        let mut i = iface_in(100, area, NetworkType::Broadcast);
        i.passive = true;
        i
    };
    let mut c1 = Config::new(rid(1));
    c1.areas.push(AreaConfig { id: AreaId(1), kind });
    c1.interfaces.push(iface_in(1, 1, NetworkType::PointToPoint));
    c1.interfaces.push(lo_in(1));
    extra(1, &mut c1);
    let mut c2 = Config::new(rid(2));
    c2.areas.push(AreaConfig { id: AreaId(1), kind });
    c2.interfaces.push(iface_in(1, 1, NetworkType::PointToPoint));
    c2.interfaces.push(iface_in(2, 0, NetworkType::PointToPoint));
    extra(2, &mut c2);
    let mut c3 = Config::new(rid(3));
    c3.interfaces.push(iface_in(1, 0, NetworkType::PointToPoint));
    c3.interfaces.push(lo_in(0));
    extra(3, &mut c3);
    let r = [sim.add_router(c1), sim.add_router(c2), sim.add_router(c3)];
    lo(&mut sim, r[0], 1);
    lo(&mut sim, r[2], 3);
    sim.add_link(&[SimOf::<V>::port_on(r[0], 1, 12, 1), SimOf::<V>::port_on(r[1], 1, 12, 2)]);
    sim.add_link(&[SimOf::<V>::port_on(r[1], 2, 23, 2), SimOf::<V>::port_on(r[2], 1, 23, 3)]);
    sim.run_for(Duration::from_secs(60));
    assert!(!sim.stalled);
    (sim, r)
}

fn area_border_router_inter_area_routes<V: SimVersion>() {
    let (sim, r) = two_areas::<V>(AreaKind::Normal);
    assert!(sim.routers[r[1]].is_abr());
    let via2 = (Some(V::next_hop(12, 2)), Some(1));
    assert_eq!(
        typed_route(&sim, r[0], V::link_prefix(lo_link(3))),
        (PathType::InterArea, 30, vec![via2])
    );
    assert_eq!(typed_route(&sim, r[0], V::link_prefix(23)), (PathType::InterArea, 20, vec![via2]));
    let via2 = (Some(V::next_hop(23, 2)), Some(1));
    assert_eq!(
        typed_route(&sim, r[2], V::link_prefix(lo_link(1))),
        (PathType::InterArea, 30, vec![via2])
    );
    // The border router has both areas' prefixes as intra-area routes.
    assert_eq!(cost_and_hops(&sim, r[1], V::link_prefix(lo_link(1))).0, 20);
    assert_eq!(cost_and_hops(&sim, r[1], V::link_prefix(lo_link(3))).0, 20);
    // Area 1 knows nothing of the backbone's router-LSAs.
    let d = sim.lsdb_digest(r[0], AreaId(1));
    assert!(!d.iter().any(|(k, _, _)| k.advertising_router() == rid(3)), "{d:?}");
    // Router 3 going away takes its prefix out of area 1 too.
    let mut sim = sim;
    sim.shutdown(r[2]);
    sim.run_for(Duration::from_secs(30));
    assert!(route(&sim, r[0], V::link_prefix(lo_link(3))).is_none(), "{:?}", lines(&sim, r[0]));
}

fn stub_area_gets_a_default_route<V: SimVersion>() {
    let (sim, r) = two_areas::<V>(AreaKind::Stub { default_cost: 1 });
    let via2 = (Some(V::next_hop(12, 2)), Some(1));
    assert_eq!(typed_route(&sim, r[0], V::default_route()), (PathType::InterArea, 11, vec![via2]));
    assert!(route(&sim, r[0], V::link_prefix(lo_link(3))).is_some());
    assert!(sim.routers[r[0]].as_lsdb().is_empty());
}

/// The route to `p` at `r`: path type, cost, type 2 cost, tag, next hops.
fn external<V: SimVersion>(
    sim: &SimOf<V>,
    r: usize,
    p: ipnet::IpNet,
) -> (PathType, u32, Option<u32>, Option<u32>, usize) {
    let x = route(sim, r, p).unwrap_or_else(|| panic!("no {p} at {r}: {:?}", lines(sim, r)));
    assert_eq!(x.protocol, V::PROTOCOL);
    (x.path_type, x.metric, x.type2_cost, x.tag, x.next_hops.len())
}

fn external_routes_type1_and_type2<V: SimVersion>() {
    let mut sim = SimOf::<V>::new(Instant::now());
    let r: [usize; 4] = std::array::from_fn(|k| {
        let mut c = router(k as u8 + 1, 2);
        if k == 2 {
            V::redistribute(&mut c, 900, MetricType::Type2, 20);
            V::redistribute(&mut c, 901, MetricType::Type1, 5);
        }
        sim.add_router(c)
    });
    for k in 0..4u8 {
        let (a, b) = (k, (k + 1) % 4);
        let link = u16::from(a + 1) * 10 + u16::from(b + 1);
        sim.add_link(&[
            SimOf::<V>::port_on(r[usize::from(a)], 1, link, a + 1),
            SimOf::<V>::port_on(r[usize::from(b)], 2, link, b + 1),
        ]);
    }
    sim.run_for(Duration::from_secs(60));
    assert!(!sim.stalled);
    // Router 3 is 20 away from router 1 both ways round the ring.
    let e2 = V::link_prefix(900);
    let e1 = V::link_prefix(901);
    assert_eq!(external(&sim, r[0], e2), (PathType::Type2External, 20, Some(20), Some(7), 2));
    assert_eq!(external(&sim, r[0], e1), (PathType::Type1External, 25, None, Some(7), 2));
    assert_eq!(external(&sim, r[1], e1), (PathType::Type1External, 15, None, Some(7), 1));
    assert!(route(&sim, r[2], e1).is_none(), "our own externals are not routes");
    // Gone with the router that advertised them.
    sim.shutdown(r[2]);
    sim.run_for(Duration::from_secs(10));
    for x in [r[0], r[1], r[3]] {
        assert!(route(&sim, x, e1).is_none() && route(&sim, x, e2).is_none());
    }
    assert_tables_match_full(&sim);
}

fn externals_cross_the_area_border<V: SimVersion>() {
    let with_external = |n: u8, c: &mut Config| {
        if n == 3 {
            V::redistribute(c, 900, MetricType::Type2, 20);
        }
    };
    let (sim, r) = two_areas_with::<V>(AreaKind::Normal, with_external);
    // Router 1 reaches the ASBR (router 3) through the border router.
    assert_eq!(
        external(&sim, r[0], V::link_prefix(900)),
        (PathType::Type2External, 20, Some(20), Some(7), 1)
    );
    // Not into a stub area.
    let (sim, r) = two_areas_with::<V>(AreaKind::Stub { default_cost: 1 }, with_external);
    assert!(route(&sim, r[0], V::link_prefix(900)).is_none());
    assert!(route(&sim, r[1], V::link_prefix(900)).is_some());
}

/// RFC 3101: router 1 redistributes into an NSSA; the border router routes
/// its NSSA-LSA and translates it into an AS-external-LSA for the backbone.
fn nssa_externals_are_translated_at_the_border<V: SimVersion>() {
    let nssa = AreaKind::Nssa { default_cost: 1 };
    let (mut sim, r) = two_areas_with::<V>(nssa, |n, c| {
        if n == 1 {
            V::redistribute(c, 900, MetricType::Type2, 20);
        }
    });
    let e = V::link_prefix(900);
    // The NSSA-LSA's forwarding address is router 1's loopback address
    // (RFC 3101 §2.3), reached at 20 in the NSSA and at 30 from the
    // backbone.
    let (at_abr, at_backbone) = (20, 30);
    assert_eq!(external(&sim, r[1], e), (PathType::Type2External, at_abr, Some(20), Some(7), 1));
    assert_eq!(
        external(&sim, r[2], e),
        (PathType::Type2External, at_backbone, Some(20), Some(7), 1)
    );
    assert_eq!(typed_route(&sim, r[2], e).2, vec![(Some(V::next_hop(23, 2)), Some(1))]);
    let translated =
        sim.routers[r[2]].as_lsdb().iter().filter(|(k, _)| k.advertising_router() == rid(2));
    assert_eq!(translated.count(), 1);
    // Inside the NSSA: a default route and no AS-external-LSAs.
    let via2 = (Some(V::next_hop(12, 2)), Some(1));
    assert_eq!(typed_route(&sim, r[0], V::default_route()), (PathType::InterArea, 11, vec![via2]));
    assert!(sim.routers[r[0]].as_lsdb().is_empty());
    assert!(route(&sim, r[0], e).is_none(), "our own NSSA-LSA is not a route");
    // Router 1 gone: the route and the translation go.
    assert_tables_match_full(&sim);
    // A new metric: the NSSA-LSA at the border router and its translation
    // in the backbone are applied without Dijkstra.
    let runs = |sim: &SimOf<V>| (sim.routers[r[1]].spf_runs(), sim.routers[r[2]].spf_runs());
    let before = runs(&sim);
    let mut c = Config::new(rid(1));
    V::redistribute(&mut c, 900, MetricType::Type2, 40);
    sim.with_router(r[0], |x, now| V::reconfigure_redistribution(x, now, &c));
    sim.run_for(Duration::from_secs(20));
    let after = runs(&sim);
    for x in [r[1], r[2]] {
        assert_eq!(external(&sim, x, e).2, Some(40), "{:?}", lines(&sim, x));
    }
    assert_eq!((after.0 .0, after.1 .0), (before.0 .0, before.1 .0), "no full run");
    assert!(after.0 .1 > before.0 .1 && after.1 .1 > before.1 .1, "incremental runs");
    assert_tables_match_full(&sim);
    sim.shutdown(r[0]);
    sim.run_for(Duration::from_secs(30));
    assert!(route(&sim, r[2], e).is_none(), "{:?}", lines(&sim, r[2]));
    assert_tables_match_full(&sim);
    assert!(sim.routers[r[2]].as_lsdb().iter().all(|(_, x)| x.is_max_age(sim.now)));
}

/// RFC 3101 §2.1: an NSSA router and a stub-area router agree on the E-bit
/// (both clear) but not on the N-bit: no adjacency, the mismatch reported.
fn nssa_and_stub_routers_never_become_neighbours<V: SimVersion>() {
    let mut sim = SimOf::<V>::new(Instant::now());
    let r: [usize; 2] = std::array::from_fn(|k| {
        let kind = if k == 0 {
            AreaKind::Nssa { default_cost: 1 }
        } else {
            AreaKind::Stub { default_cost: 1 }
        };
        let mut c = Config::new(rid(k as u8 + 1));
        c.areas.push(AreaConfig { id: AreaId(1), kind });
        c.interfaces.push(iface_in(1, 1, NetworkType::PointToPoint));
        sim.add_router(c)
    });
    sim.add_link(&[SimOf::<V>::port_on(r[0], 1, 12, 1), SimOf::<V>::port_on(r[1], 1, 12, 2)]);
    sim.run_for(Duration::from_secs(30));
    for x in r {
        assert!(sim.routers[x].neighbors(1).is_empty(), "router {x}");
        let n_bit = sim.events.iter().any(|(at, _, e)| {
            *at == x
                && matches!(e, Event::HelloMismatch { detail, .. } if detail.starts_with("N-bit"))
        });
        assert!(n_bit, "router {x} reports the N-bit mismatch");
    }
}

/// Two routers on a point-to-point link with HMAC-SHA-256 (RFC 5709 for
/// OSPFv2, the RFC 7166 trailer for OSPFv3), keys `ka` and `kb`.
fn hmac_pair<V: SimVersion>(ka: &[u8], kb: &[u8]) -> SimOf<V> {
    let mut sim = SimOf::<V>::new(Instant::now());
    let auth = |key: &[u8]| Auth::HmacSha {
        algorithm: ShaAlgorithm::Sha256,
        key_id: 3,
        key: key.to_vec(),
    };
    let mut ca = router(1, 1);
    ca.interfaces[0].auth = auth(ka);
    let mut cb = router(2, 1);
    cb.interfaces[0].auth = auth(kb);
    let (a, b) = (sim.add_router(ca), sim.add_router(cb));
    sim.add_link(&[SimOf::<V>::port_on(a, 1, 12, 1), SimOf::<V>::port_on(b, 1, 12, 2)]);
    sim.run_for(Duration::from_secs(30));
    sim
}

fn hmac_sha256_authentication_right_key_only<V: SimVersion>() {
    let sim = hmac_pair::<V>(b"right", b"right");
    assert!(all_full(&sim, 0, 1) && all_full(&sim, 1, 1));
    assert!(!sim.events.iter().any(|(_, _, e)| matches!(e, Event::AuthFailure { .. })));
    let sim = hmac_pair::<V>(b"right", b"wrong");
    assert!(sim.routers[0].neighbors(1).is_empty() && sim.routers[1].neighbors(1).is_empty());
    let failed = sim.events.iter().any(
        |(_, _, e)| matches!(e, Event::AuthFailure { reason, .. } if *reason == "digest mismatch"),
    );
    assert!(failed, "{:?}", sim.events);
}

/// Packets of a converged ring, mutated (octets flipped, cut short, the
/// checksum made right again so the parsers see them) and delivered to the
/// router they were for: nothing panics, and the ring converges again.
fn mutated_packets_are_survived<V: SimVersion>() {
    let (mut sim, r) = ring::<V>();
    sim.tap = Some(Vec::new());
    sim.run_for(Duration::from_secs(120));
    let captured = sim.tap.take().unwrap_or_default();
    assert!(captured.len() > 20, "{}", captured.len());
    let mut rng = ospf_lsdb::rng::SplitMix64::new(7);
    let mut pick = |n: usize| (rng.next_u64() % n.max(1) as u64) as usize;
    for _ in 0..5000 {
        let (to, ifindex, src, dst, bytes) = &captured[pick(captured.len())];
        let mut b = bytes.clone();
        for _ in 0..=pick(3) {
            let at = pick(b.len());
            b[at] ^= 1 << pick(8);
        }
        if pick(4) == 0 {
            b.truncate(pick(b.len()));
        }
        V::set_checksum(&mut b, *src, *dst);
        let now = sim.now;
        sim.routers[*to].handle_packet(now, *ifindex, *src, *dst, &b);
        sim.pump();
    }
    sim.run_for(Duration::from_secs(3700));
    assert!(!sim.stalled);
    for x in r {
        assert!(all_full(&sim, x, 1) && all_full(&sim, x, 2), "{x}");
        assert_eq!(sim.routers[x].routes().count(), 8, "{:?}", lines(&sim, x));
    }
    assert_synchronised(&sim, &r);
}

/// RFC 2328 §13.3: an LSA flooded on to a neighbour stays on its
/// retransmission list until acknowledged. A chain 1 — 2 — 3; router 1's
/// loopback goes down, and the first Link State Update router 2 floods on to
/// router 3 is lost: router 3 must have the new LSAs after RxmtInterval.
fn a_lost_update_is_retransmitted<V: SimVersion>() {
    let mut sim = SimOf::<V>::new(Instant::now());
    let r: [usize; 3] = std::array::from_fn(|k| sim.add_router(router(k as u8 + 1, 2)));
    let lo1 = sim.add_link(&[SimOf::<V>::port_on(r[0], 100, lo_link(1), 1)]);
    sim.add_link(&[SimOf::<V>::port_on(r[0], 1, 12, 1), SimOf::<V>::port_on(r[1], 1, 12, 2)]);
    let l23 =
        sim.add_link(&[SimOf::<V>::port_on(r[1], 2, 23, 2), SimOf::<V>::port_on(r[2], 1, 23, 3)]);
    sim.run_for(Duration::from_secs(60));
    assert!(!sim.stalled);
    assert_synchronised(&sim, &r);
    sim.lose_next(l23, 4, 1);
    sim.set_link(lo1, false);
    sim.run_for(Duration::from_secs(1));
    assert_eq!(sim.losses_pending(), 0, "no update was lost");
    assert_ne!(sim.lsdb_digest(r[0], AreaId(0)), sim.lsdb_digest(r[2], AreaId(0)));
    // RxmtInterval is 5 s.
    sim.run_for(Duration::from_secs(10));
    assert_synchronised(&sim, &r);
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod v2 {
            $(#[test] fn $name() { super::$name::<ospf_lsdb::V2>() })*
        }
        mod v3 {
            $(#[test] fn $name() { super::$name::<ospf_lsdb::V3>() })*
        }
    };
}

both!(
    point_to_point_adjacency_and_sync,
    broadcast_dr_election_highest_router_id_wins,
    broadcast_dr_election_priority_wins_and_zero_never,
    backup_takes_over_when_the_dr_dies,
    ring_lsdb_sync,
    ring_routes_cost_and_next_hops,
    killed_router_prefixes_disappear,
    broadcast_routes_through_the_network,
    area_border_router_inter_area_routes,
    stub_area_gets_a_default_route,
    external_routes_type1_and_type2,
    externals_cross_the_area_border,
    nssa_externals_are_translated_at_the_border,
    nssa_and_stub_routers_never_become_neighbours,
    prefix_cost_change_is_applied_without_dijkstra,
    inter_area_change_is_applied_without_dijkstra,
    random_prefix_changes_keep_incremental_equal_to_full,
    hmac_sha256_authentication_right_key_only,
    mutated_packets_are_survived,
    a_lost_update_is_retransmitted,
);

/// OSPFv3 only: LSAs of a type the engine does not know are kept and
/// flooded with the scope of their U, S1 and S2 bits (RFC 5340 §4.5.1).
#[test]
fn v3_unknown_lsa_types_are_flooded_by_the_u_bit() {
    use ospf_lsdb::version::Packet;
    use ospf_lsdb::V3;
    use ospf_wire::v3::{LsType, Lsa, LsaBody, LsaFields};

    let (mut sim, r) = ring::<V3>();
    let lsa = |ty: u16| {
        Lsa::build(
            LsaFields {
                ls_age: 1,
                link_state_id: 7,
                advertising_router: RouterId(99),
                ls_sequence_number: ospf_wire::LsSeqNum::INITIAL,
            },
            LsaBody::Unknown {
                ls_type: LsType(ty),
                data: bytes::Bytes::from_static(&[1, 2, 3, 4]),
            },
        )
    };
    // U set, area scope; U clear (link-local whatever S1/S2 say); U set,
    // AS scope.
    let (area, link, as_) = (0xa0ff, 0x20fe, 0xc0fd);
    // Router 2 sends them to router 1 over link 12 (router 1's interface 1).
    let src = V3::next_hop(12, 2);
    let std::net::IpAddr::V6(src) = src else { panic!("{src}") };
    let bytes = V3::encode(
        rid(2),
        AreaId(0),
        0,
        Packet::Lsu(vec![lsa(area), lsa(link), lsa(as_)]),
        &ospf_lsdb::packet::Auth::Null,
        0,
        src,
        V3::ALL_SPF_ROUTERS,
    );
    let now = sim.now;
    sim.routers[r[0]].handle_packet(now, 1, src, V3::ALL_SPF_ROUTERS, &bytes);
    sim.run_for(Duration::from_secs(10));
    let has = |d: &[(ospf_wire::v3::LsaKey, i32, u16)], ty: u16| {
        d.iter().any(|(k, _, _)| k.ls_type == LsType(ty) && k.advertising_router == RouterId(99))
    };
    for x in r {
        let area_db = sim.lsdb_digest(x, AreaId(0));
        assert!(has(&area_db, area), "router {x}: area scope everywhere");
        assert!(has(&area_db, as_), "router {x}: AS scope everywhere");
        assert!(!has(&area_db, link));
    }
    // The link-scope one stays in router 1's database of link 12 (not
    // flooded back to router 2, which sent it, nor onto other links).
    assert!(has(&sim.link_digest(r[0], 1), link));
    assert!(!has(&sim.link_digest(r[1], 2), link));
    assert!(!has(&sim.link_digest(r[0], 2), link));
    assert!(!has(&sim.link_digest(r[1], 1), link));
    assert!(!has(&sim.link_digest(r[3], 1), link) && !has(&sim.link_digest(r[2], 1), link));
}
