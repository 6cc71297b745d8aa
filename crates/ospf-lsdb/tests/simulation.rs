//! Deterministic simulations of several OSPF routers over virtual links.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use ospf_lsdb::config::AreaConfig;
use ospf_lsdb::event::Event;
use ospf_lsdb::interface::IfState;
use ospf_lsdb::neighbor::NbrState;
use ospf_lsdb::packet::Auth;
use ospf_lsdb::sim::{Port, Sim};
use ospf_lsdb::{
    AreaId, AreaKind, Config, InterfaceConfig, MetricType, NetworkType, Redistribute, RouterId,
};
use rib::{NextHop, PathType};

fn rid(n: u8) -> RouterId {
    RouterId(u32::from(Ipv4Addr::new(n, n, n, n)))
}

fn iface(ifindex: u32, area: u32, network: NetworkType) -> InterfaceConfig {
    let mut i = InterfaceConfig::new(ifindex, &format!("eth{ifindex}"), AreaId(area));
    i.network = network;
    i
}

fn passive(ifindex: u32, area: u32) -> InterfaceConfig {
    let mut i = iface(ifindex, area, NetworkType::Broadcast);
    i.passive = true;
    i
}

/// A router with point-to-point interfaces 1..=p2p in area 0 and a passive
/// "loopback" interface 100.
fn router(n: u8, p2p: u32) -> Config {
    let mut c = Config::new(rid(n));
    for i in 1..=p2p {
        c.interfaces.push(iface(i, 0, NetworkType::PointToPoint));
    }
    c.interfaces.push(passive(100, 0));
    c
}

fn lo(sim: &mut Sim, r: usize, n: u8) {
    sim.add_link(&[Sim::port(r, 100, &format!("192.168.{n}.1/24"))]);
}

fn route<'a>(sim: &'a Sim, r: usize, prefix: &str) -> Option<&'a rib::Route> {
    let p: ipnet::IpNet = prefix.parse().ok()?;
    sim.routers[r].routes().find(|x| x.prefix == p)
}

fn v4(s: &str) -> Option<IpAddr> {
    s.parse().ok()
}

fn all_full(sim: &Sim, r: usize, ifindex: u32) -> bool {
    let n = sim.routers[r].neighbors(ifindex);
    !n.is_empty() && n.iter().all(|x| x.2 == NbrState::Full)
}

/// Each router's incrementally maintained table equals a full recomputation.
fn assert_tables_match_reference(sim: &Sim) {
    assert!(!sim.stalled, "the simulation livelocked: {:?}", sim.last_storm);
    for (i, r) in sim.routers.iter().enumerate() {
        if !sim.is_alive(i) {
            continue;
        }
        let reference = r.compute_full_table(sim.now);
        let mut want: Vec<rib::Route> =
            reference.routes().map(|(p, x)| ospf_lsdb::route::to_rib(p, x)).collect();
        let mut got: Vec<rib::Route> = r.routes().cloned().collect();
        want.sort_by_key(|x| x.prefix);
        got.sort_by_key(|x| x.prefix);
        assert_eq!(got, want, "router {i} differs from the full calculation");
    }
}

#[test]
fn point_to_point_adjacency_and_routes() {
    let mut sim = Sim::new(Instant::now());
    let a = sim.add_router(router(1, 1));
    let b = sim.add_router(router(2, 1));
    lo(&mut sim, a, 1);
    lo(&mut sim, b, 2);
    sim.add_link(&[Sim::port(a, 1, "10.0.12.1/30"), Sim::port(b, 1, "10.0.12.2/30")]);
    sim.run_for(Duration::from_secs(30));
    assert!(all_full(&sim, a, 1) && all_full(&sim, b, 1));
    assert_eq!(sim.routers[a].interface_state(1).map(|s| s.0), Some(IfState::PointToPoint));
    let r = route(&sim, a, "192.168.2.0/24").unwrap_or_else(|| panic!("{:?}", sim.route_lines(a)));
    assert_eq!(r.path_type, PathType::IntraArea);
    assert_eq!(r.metric, 20);
    assert_eq!(r.next_hops, vec![NextHop { addr: v4("10.0.12.2"), ifindex: Some(1) }]);
    let own = route(&sim, a, "10.0.12.0/30").unwrap_or_else(|| panic!("connected"));
    assert_eq!((own.metric, own.next_hops.clone()), (10, vec![NextHop::direct(1)]));
    assert_eq!(sim.lsdb_digest(a, AreaId(0)), sim.lsdb_digest(b, AreaId(0)));
    assert_tables_match_reference(&sim);
    // Full within a few seconds (Hellos at once, no Wait timer on p2p).
    let full_at = sim
        .events
        .iter()
        .find(|(_, _, e)| matches!(e, Event::NeighborState { new: NbrState::Full, .. }))
        .map(|x| x.1);
    assert!(full_at.is_some_and(|t| t < Duration::from_secs(5)), "{full_at:?}");
}

fn lan(prio: [u8; 3]) -> (Sim, [usize; 3]) {
    let mut sim = Sim::new(Instant::now());
    let mut idx = [0; 3];
    for (k, p) in prio.iter().enumerate() {
        let n = k as u8 + 1;
        let mut c = Config::new(rid(n));
        let mut i = iface(1, 0, NetworkType::Broadcast);
        i.priority = *p;
        c.interfaces.push(i);
        c.interfaces.push(passive(100, 0));
        idx[k] = sim.add_router(c);
        lo(&mut sim, idx[k], n);
    }
    let ports: Vec<Port> = idx
        .iter()
        .enumerate()
        .map(|(k, r)| Sim::port(*r, 1, &format!("10.0.0.{}/24", k + 1)))
        .collect();
    sim.add_link(&ports);
    sim.run_for(Duration::from_secs(90));
    (sim, idx)
}

#[test]
fn broadcast_dr_election_highest_router_id_wins() {
    let (sim, idx) = lan([1, 1, 1]);
    for r in idx {
        let (_, dr, bdr) = sim.routers[r].interface_state(1).unwrap_or((IfState::Down, None, None));
        assert_eq!((dr, bdr), (Some(rid(3)), Some(rid(2))), "router {r}");
    }
    assert_eq!(sim.routers[idx[2]].interface_state(1).map(|s| s.0), Some(IfState::Dr));
    assert_eq!(sim.routers[idx[1]].interface_state(1).map(|s| s.0), Some(IfState::Backup));
    assert_eq!(sim.routers[idx[0]].interface_state(1).map(|s| s.0), Some(IfState::DrOther));
    // Every router is adjacent with DR and BDR.
    for r in idx {
        assert!(all_full(&sim, r, 1), "{r}: {:?}", sim.routers[r].neighbors(1));
    }
    // LSDBs synchronised, with the DR's network-LSA.
    let d0 = sim.lsdb_digest(idx[0], AreaId(0));
    assert_eq!(d0, sim.lsdb_digest(idx[1], AreaId(0)));
    assert_eq!(d0, sim.lsdb_digest(idx[2], AreaId(0)));
    assert!(d0.iter().any(|(k, _, _)| k.ls_type.0 == 2 && k.advertising_router == rid(3)));
    let r = route(&sim, idx[0], "192.168.3.0/24")
        .unwrap_or_else(|| panic!("{:?}", sim.route_lines(idx[0])));
    assert_eq!(r.metric, 20);
    assert_eq!(r.next_hops, vec![NextHop { addr: v4("10.0.0.3"), ifindex: Some(1) }]);
    assert_tables_match_reference(&sim);
}

#[test]
fn broadcast_dr_election_priority_wins_and_zero_never() {
    let (sim, idx) = lan([10, 0, 1]);
    for r in idx {
        let (_, dr, bdr) = sim.routers[r].interface_state(1).unwrap_or((IfState::Down, None, None));
        assert_eq!((dr, bdr), (Some(rid(1)), Some(rid(3))), "router {r}");
    }
    // Router 2 (priority 0) is DROther, adjacent with DR and BDR only.
    assert_eq!(sim.routers[idx[1]].interface_state(1).map(|s| s.0), Some(IfState::DrOther));
}

/// A square: 1-2, 1-3, 2-4, 3-4 point-to-point, 4 has 192.168.4.0/24.
fn square() -> (Sim, [usize; 4], Vec<usize>) {
    let mut sim = Sim::new(Instant::now());
    let r = [
        sim.add_router(router(1, 2)),
        sim.add_router(router(2, 2)),
        sim.add_router(router(3, 2)),
        sim.add_router(router(4, 2)),
    ];
    for (k, x) in r.iter().enumerate() {
        lo(&mut sim, *x, k as u8 + 1);
    }
    let links = vec![
        sim.add_link(&[Sim::port(r[0], 1, "10.0.12.1/30"), Sim::port(r[1], 1, "10.0.12.2/30")]),
        sim.add_link(&[Sim::port(r[0], 2, "10.0.13.1/30"), Sim::port(r[2], 1, "10.0.13.2/30")]),
        sim.add_link(&[Sim::port(r[1], 2, "10.0.24.1/30"), Sim::port(r[3], 1, "10.0.24.2/30")]),
        sim.add_link(&[Sim::port(r[2], 2, "10.0.34.1/30"), Sim::port(r[3], 2, "10.0.34.2/30")]),
    ];
    sim.run_for(Duration::from_secs(30));
    (sim, r, links)
}

#[test]
fn square_ecmp_lsdb_sync_and_same_prefixes_everywhere() {
    let (sim, r, _) = square();
    let nh = |a: &str, i: u32| NextHop { addr: v4(a), ifindex: Some(i) };
    let x = route(&sim, r[0], "192.168.4.0/24")
        .unwrap_or_else(|| panic!("{:?}", sim.route_lines(r[0])));
    assert_eq!(x.metric, 30);
    assert_eq!(x.next_hops, vec![nh("10.0.12.2", 1), nh("10.0.13.2", 2)]);
    let d = sim.lsdb_digest(r[0], AreaId(0));
    assert_eq!(d.len(), 4, "four router-LSAs");
    for k in r {
        assert_eq!(sim.lsdb_digest(k, AreaId(0)), d);
        let prefixes: Vec<_> = sim.routers[k].routes().map(|x| x.prefix).collect();
        assert_eq!(prefixes.len(), 8, "4 loopbacks + 4 links on router {k}");
    }
    // The routers compute the same costs: the table seen from 1 and from 4
    // is symmetric (1 reaches 4's loopback at the cost 4 reaches 1's).
    let back = route(&sim, r[3], "192.168.1.0/24").map(|x| x.metric);
    assert_eq!(back, Some(30));
    assert_tables_match_reference(&sim);
}

#[test]
fn link_cost_change_moves_routes_everywhere() {
    let (mut sim, r, _) = square();
    sim.with_router(r[0], |x, now| x.handle_interface_cost(now, 1, 50));
    sim.run_for(Duration::from_secs(10));
    let x = route(&sim, r[0], "192.168.4.0/24").unwrap_or_else(|| panic!());
    assert_eq!(x.metric, 30);
    assert_eq!(x.next_hops, vec![NextHop { addr: v4("10.0.13.2"), ifindex: Some(2) }]);
    // Router 2 now reaches router 1's loopback via 4 and 3? No: the cost is
    // taken on the outgoing interface, so 2 -> 1 is unchanged (10 + 10).
    assert_eq!(route(&sim, r[1], "192.168.1.0/24").map(|x| x.metric), Some(20));
    // And router 1 reaches 2's loopback through 3 and 4 (10+10+10+10 = 40 < 60).
    let y = route(&sim, r[0], "192.168.2.0/24").unwrap_or_else(|| panic!());
    assert_eq!(y.metric, 40);
    assert_tables_match_reference(&sim);
    let d = sim.lsdb_digest(r[0], AreaId(0));
    assert!(r.iter().all(|k| sim.lsdb_digest(*k, AreaId(0)) == d));
}

#[test]
fn router_going_away_routes_removed_and_lsa_aged_out() {
    let (mut sim, r, _) = square();
    assert!(route(&sim, r[0], "192.168.4.0/24").is_some());
    sim.kill(r[3]);
    // RouterDeadInterval (40 s) later the neighbours drop it.
    sim.run_for(Duration::from_secs(60));
    for k in &r[..3] {
        assert!(
            route(&sim, *k, "192.168.4.0/24").is_none(),
            "router {k}: {:?}",
            sim.route_lines(*k)
        );
        assert!(route(&sim, *k, "192.168.1.0/24").is_some() || *k == r[0]);
    }
    let key_of_4 = |s: &Sim, k: usize| {
        s.lsdb_digest(k, AreaId(0)).iter().any(|(key, _, _)| key.advertising_router == rid(4))
    };
    assert!(key_of_4(&sim, r[0]), "still in the database before MaxAge");
    // Its router-LSA reaches MaxAge and is flushed from every database.
    sim.run_for(Duration::from_secs(3700));
    for k in &r[..3] {
        assert!(!key_of_4(&sim, *k), "router {k} still holds 4.4.4.4's LSA");
    }
    assert_tables_match_reference(&sim);
}

#[test]
fn graceful_shutdown_flushes_lsas_at_once() {
    let (mut sim, r, _) = square();
    sim.shutdown(r[3]);
    sim.run_for(Duration::from_secs(5));
    for k in &r[..3] {
        assert!(route(&sim, *k, "192.168.4.0/24").is_none(), "router {k}");
    }
}

#[test]
fn mtu_mismatch_keeps_exstart_and_names_both_mtus() {
    let mut sim = Sim::new(Instant::now());
    let a = sim.add_router(router(1, 1));
    let b = sim.add_router(router(2, 1));
    let mut pa = Sim::port(a, 1, "10.0.12.1/30");
    pa.mtu = 1500;
    let mut pb = Sim::port(b, 1, "10.0.12.2/30");
    pb.mtu = 1400;
    sim.add_link(&[pa, pb]);
    sim.run_for(Duration::from_secs(60));
    let ev = sim.events.iter().find_map(|(r, _, e)| match e {
        Event::MtuMismatch { neighbor_mtu, local_mtu, router_id, .. } => {
            Some((*r, *neighbor_mtu, *local_mtu, *router_id))
        }
        _ => None,
    });
    assert_eq!(ev, Some((b, 1500, 1400, rid(1))));
    assert_eq!(sim.routers[b].neighbors(1).first().map(|n| n.2), Some(NbrState::ExStart));
    assert!(!all_full(&sim, a, 1));
    // Reported once, not on every retransmission.
    let count = sim.events.iter().filter(|e| matches!(e.2, Event::MtuMismatch { .. })).count();
    assert_eq!(count, 1);
}

fn md5_pair(key_a: &[u8], key_b: &[u8]) -> Sim {
    let mut sim = Sim::new(Instant::now());
    let mut ca = router(1, 1);
    let mut cb = router(2, 1);
    ca.interfaces[0].auth = Auth::Md5 { key_id: 1, key: key_a.to_vec() };
    cb.interfaces[0].auth = Auth::Md5 { key_id: 1, key: key_b.to_vec() };
    let a = sim.add_router(ca);
    let b = sim.add_router(cb);
    sim.add_link(&[Sim::port(a, 1, "10.0.12.1/30"), Sim::port(b, 1, "10.0.12.2/30")]);
    sim.run_for(Duration::from_secs(30));
    sim
}

#[test]
fn md5_authentication_right_key_comes_up_wrong_key_does_not() {
    let good = md5_pair(b"s3cret", b"s3cret");
    assert!(all_full(&good, 0, 1) && all_full(&good, 1, 1));
    let bad = md5_pair(b"s3cret", b"wrong");
    assert!(bad.routers[0].neighbors(1).is_empty());
    assert!(bad
        .events
        .iter()
        .any(|(_, _, e)| matches!(e, Event::AuthFailure { reason: "digest mismatch", .. })));
}

#[test]
fn hello_parameter_mismatch_is_reported() {
    let mut sim = Sim::new(Instant::now());
    let a = sim.add_router(router(1, 1));
    let mut cb = router(2, 1);
    cb.interfaces[0].hello_interval = 5;
    let b = sim.add_router(cb);
    sim.add_link(&[Sim::port(a, 1, "10.0.12.1/30"), Sim::port(b, 1, "10.0.12.2/30")]);
    sim.run_for(Duration::from_secs(20));
    assert!(sim.routers[a].neighbors(1).is_empty());
    assert!(sim.events.iter().any(|(r, _, e)| *r == a
        && matches!(e, Event::HelloMismatch { detail, .. } if detail.contains("HelloInterval 5 received, 10 configured"))));
}

#[test]
fn external_routes_type1_and_type2() {
    let (mut sim, r, _) = square();
    sim.with_router(r[3], |x, now| {
        x.handle_config(
            now,
            vec![
                Redistribute {
                    prefix: "10.244.1.0/24".parse().unwrap_or_default(),
                    metric_type: MetricType::Type2,
                    metric: 20,
                    forwarding: None,
                    tag: 7,
                },
                Redistribute {
                    prefix: "10.244.2.0/24".parse().unwrap_or_default(),
                    metric_type: MetricType::Type1,
                    metric: 5,
                    forwarding: None,
                    tag: 0,
                },
            ],
        )
    });
    sim.run_for(Duration::from_secs(20));
    let e2 =
        route(&sim, r[0], "10.244.1.0/24").unwrap_or_else(|| panic!("{:?}", sim.route_lines(r[0])));
    assert_eq!(
        (e2.path_type, e2.metric, e2.type2_cost, e2.tag),
        (PathType::Type2External, 20, Some(20), Some(7))
    );
    assert_eq!(e2.next_hops.len(), 2, "ECMP to the ASBR");
    let e1 = route(&sim, r[0], "10.244.2.0/24").unwrap_or_else(|| panic!());
    assert_eq!((e1.path_type, e1.metric), (PathType::Type1External, 25));
    let asbr = sim.routers[r[0]].routing_table().router_routes().get(&rid(4)).cloned();
    assert!(asbr.is_some_and(|x| x.asbr && x.path_type == PathType::IntraArea && x.cost == 20));
    // Changing the external metric is applied without a full SPF.
    let (full_before, inc_before) = sim.routers[r[0]].spf_runs();
    sim.with_router(r[3], |x, now| {
        x.handle_config(
            now,
            vec![Redistribute {
                prefix: "10.244.1.0/24".parse().unwrap_or_default(),
                metric_type: MetricType::Type2,
                metric: 30,
                forwarding: None,
                tag: 7,
            }],
        )
    });
    sim.run_for(Duration::from_secs(20));
    let (full_after, inc_after) = sim.routers[r[0]].spf_runs();
    assert_eq!(route(&sim, r[0], "10.244.1.0/24").and_then(|x| x.type2_cost), Some(30));
    assert!(route(&sim, r[0], "10.244.2.0/24").is_none(), "withdrawn");
    assert_eq!(full_after, full_before);
    assert!(inc_after > inc_before);
    assert_tables_match_reference(&sim);
}

/// 1 (area 1) -- 2 (ABR, areas 1 and 0) -- 3 (area 0).
fn two_areas(kind: AreaKind) -> (Sim, [usize; 3]) {
    let mut sim = Sim::new(Instant::now());
    let mut c1 = Config::new(rid(1));
    c1.areas.push(AreaConfig { id: AreaId(1), kind });
    c1.interfaces.push(iface(1, 1, NetworkType::PointToPoint));
    c1.interfaces.push(passive(100, 1));
    let mut c2 = Config::new(rid(2));
    c2.areas.push(AreaConfig { id: AreaId(1), kind });
    c2.interfaces.push(iface(1, 1, NetworkType::PointToPoint));
    c2.interfaces.push(iface(2, 0, NetworkType::PointToPoint));
    let mut c3 = Config::new(rid(3));
    c3.interfaces.push(iface(1, 0, NetworkType::PointToPoint));
    c3.interfaces.push(passive(100, 0));
    c3.redistribute.push(Redistribute {
        prefix: "10.244.3.0/24".parse().unwrap_or_default(),
        metric_type: MetricType::Type2,
        metric: 20,
        forwarding: None,
        tag: 0,
    });
    let r = [sim.add_router(c1), sim.add_router(c2), sim.add_router(c3)];
    lo(&mut sim, r[0], 1);
    lo(&mut sim, r[2], 3);
    sim.add_link(&[Sim::port(r[0], 1, "10.0.12.1/30"), Sim::port(r[1], 1, "10.0.12.2/30")]);
    sim.add_link(&[Sim::port(r[1], 2, "10.0.23.1/30"), Sim::port(r[2], 1, "10.0.23.2/30")]);
    sim.run_for(Duration::from_secs(60));
    (sim, r)
}

#[test]
fn area_border_router_summaries() {
    let (sim, r) = two_areas(AreaKind::Normal);
    let x = route(&sim, r[0], "192.168.3.0/24")
        .unwrap_or_else(|| panic!("{:?}", sim.route_lines(r[0])));
    assert_eq!((x.path_type, x.metric), (PathType::InterArea, 30));
    let y = route(&sim, r[2], "192.168.1.0/24")
        .unwrap_or_else(|| panic!("{:?}", sim.route_lines(r[2])));
    assert_eq!((y.path_type, y.metric), (PathType::InterArea, 30));
    // The external crosses the ABR with a type 4 summary for the ASBR.
    let e =
        route(&sim, r[0], "10.244.3.0/24").unwrap_or_else(|| panic!("{:?}", sim.route_lines(r[0])));
    assert_eq!((e.path_type, e.metric, e.type2_cost), (PathType::Type2External, 20, Some(20)));
    let asbr = sim.routers[r[0]].routing_table().router_routes().get(&rid(3)).cloned();
    assert!(asbr.is_some_and(|a| a.path_type == PathType::InterArea));
    assert!(sim.routers[r[1]].is_abr());
    assert_tables_match_reference(&sim);
}

#[test]
fn stub_area_gets_default_and_no_externals() {
    let (sim, r) = two_areas(AreaKind::Stub { default_cost: 1 });
    assert!(route(&sim, r[0], "10.244.3.0/24").is_none());
    let d = route(&sim, r[0], "0.0.0.0/0").unwrap_or_else(|| panic!("{:?}", sim.route_lines(r[0])));
    assert_eq!((d.path_type, d.metric), (PathType::InterArea, 11));
    assert!(route(&sim, r[0], "192.168.3.0/24").is_some());
    assert!(sim.routers[r[0]].as_lsdb().is_empty());
}

#[test]
fn same_seed_same_run() {
    let (a, _) = lan([1, 1, 1]);
    let (b, _) = lan([1, 1, 1]);
    let strip = |s: &Sim| -> Vec<String> {
        s.events.iter().map(|(r, t, e)| format!("{r} {t:?} {e:?}")).collect()
    };
    assert_eq!(strip(&a), strip(&b));
    assert_eq!(a.delivered, b.delivered);
}

#[test]
fn sequence_number_wrap_flushes_then_restarts_at_initial() {
    use ospf_lsdb::lsa::{self, LsSeqNum, LsType, LsaBody, Options, RouterLsa};
    use ospf_lsdb::packet::{self, Body, LinkStateUpdate};
    let mut sim = Sim::new(Instant::now());
    let a = sim.add_router(router(1, 1));
    let b = sim.add_router(router(2, 1));
    sim.add_link(&[Sim::port(a, 1, "10.0.12.1/30"), Sim::port(b, 1, "10.0.12.2/30")]);
    sim.run_for(Duration::from_secs(30));
    assert!(all_full(&sim, a, 1));
    // An instance of a's router-LSA at MaxSequenceNumber arrives from b
    // (as after a long life of refreshes).
    let key = lsa::key(LsType::ROUTER, rid(1).0, rid(1));
    let body = LsaBody::Router(RouterLsa::default());
    let lsa = lsa::build(0, Options::E, key, LsSeqNum::MAX, body);
    let lsu = Body::LinkStateUpdate(LinkStateUpdate { lsas: vec![lsa] });
    let bytes = packet::encode(rid(2), AreaId(0), &lsu, &Auth::Null, 0);
    sim.with_router(a, |x, now| {
        x.handle_packet(now, 1, Ipv4Addr::new(10, 0, 12, 2), Ipv4Addr::new(224, 0, 0, 5), &bytes)
    });
    sim.run_for(Duration::from_secs(30));
    let seq_of = |s: &Sim, r: usize| {
        s.lsdb_digest(r, AreaId(0)).iter().find(|(k, _, _)| *k == key).map(|x| x.1)
    };
    assert_eq!(seq_of(&sim, a), Some(LsSeqNum::INITIAL.0));
    assert_eq!(seq_of(&sim, b), Some(LsSeqNum::INITIAL.0));
    assert!(all_full(&sim, a, 1));
    assert_eq!(sim.lsdb_digest(a, AreaId(0)), sim.lsdb_digest(b, AreaId(0)));
}

#[test]
fn backup_takes_over_when_the_dr_dies() {
    let (mut sim, idx) = lan([1, 1, 1]);
    sim.kill(idx[2]);
    sim.run_for(Duration::from_secs(90));
    for r in &idx[..2] {
        let (_, dr, _) = sim.routers[*r].interface_state(1).unwrap_or((IfState::Down, None, None));
        assert_eq!(dr, Some(rid(2)), "router {r}");
        assert!(all_full(&sim, *r, 1), "{:?}", sim.routers[*r].neighbors(1));
    }
    // The new DR's network-LSA replaced the old one's in the routes.
    let x = route(&sim, idx[0], "192.168.2.0/24")
        .unwrap_or_else(|| panic!("{:?}", sim.route_lines(idx[0])));
    assert_eq!(x.next_hops, vec![NextHop { addr: v4("10.0.0.2"), ifindex: Some(1) }]);
    assert!(route(&sim, idx[0], "192.168.3.0/24").is_none());
    assert_eq!(sim.lsdb_digest(idx[0], AreaId(0)), sim.lsdb_digest(idx[1], AreaId(0)));
    assert_tables_match_reference(&sim);
}

#[test]
fn hmac_sha256_authentication_comes_up() {
    use ospf_lsdb::packet::ShaAlgorithm;
    let mut sim = Sim::new(Instant::now());
    let mut ca = router(1, 1);
    let mut cb = router(2, 1);
    for c in [&mut ca, &mut cb] {
        c.interfaces[0].auth =
            Auth::HmacSha { algorithm: ShaAlgorithm::Sha256, key_id: 1, key: b"k3y".to_vec() };
    }
    let a = sim.add_router(ca);
    let b = sim.add_router(cb);
    sim.add_link(&[Sim::port(a, 1, "10.0.12.1/30"), Sim::port(b, 1, "10.0.12.2/30")]);
    sim.run_for(Duration::from_secs(30));
    assert!(all_full(&sim, a, 1) && all_full(&sim, b, 1));
}

#[test]
fn stub_cost_change_is_applied_without_dijkstra() {
    let (mut sim, r, _) = square();
    let before = sim.routers[r[0]].spf_runs();
    // Router 4's loopback (a stub link) gets a new cost.
    sim.with_router(r[3], |x, now| x.handle_interface_cost(now, 100, 7));
    sim.run_for(Duration::from_secs(20));
    let after = sim.routers[r[0]].spf_runs();
    assert_eq!(route(&sim, r[0], "192.168.4.0/24").map(|x| x.metric), Some(27));
    assert_eq!(after.0, before.0, "no full run");
    assert!(after.1 > before.1, "an incremental run");
    assert_tables_match_reference(&sim);
}

/// The last interface event of router `r` on `ifindex`: (state, DR, BDR).
fn last_interface_event(
    sim: &Sim,
    r: usize,
    ifindex: u32,
) -> Option<(IfState, Option<RouterId>, Option<RouterId>)> {
    sim.events.iter().rev().find_map(|(who, _, e)| match e {
        Event::InterfaceState { ifindex: i, new, dr, bdr, .. } if *who == r && *i == ifindex => {
            Some((*new, *dr, *bdr))
        }
        _ => None,
    })
}

#[test]
fn broadcast_as_drother_keeps_the_segment_route_and_reports_dr_and_bdr() {
    // Router 1 has the lowest priority: DR is router 2, BDR router 3.
    let (sim, idx) = lan([1, 10, 5]);
    let me = idx[0];
    assert_eq!(
        sim.routers[me].interface_state(1),
        Some((IfState::DrOther, Some(rid(2)), Some(rid(3))))
    );
    // The last interface event tells the same, even though DR and BDR
    // changed after the state left Waiting.
    assert_eq!(
        last_interface_event(&sim, me, 1),
        Some((IfState::DrOther, Some(rid(2)), Some(rid(3)))),
        "{:?}",
        sim.events.iter().filter(|x| x.0 == me).collect::<Vec<_>>()
    );
    for r in idx {
        assert!(all_full(&sim, r, 1), "{r}: {:?}", sim.routers[r].neighbors(1));
        let seg = route(&sim, r, "10.0.0.0/24")
            .unwrap_or_else(|| panic!("router {r}: {:?}", sim.route_lines(r)));
        assert_eq!((seg.metric, seg.next_hops.clone()), (10, vec![NextHop::direct(1)]), "{r}");
        for n in 1..=3u8 {
            assert!(route(&sim, r, &format!("192.168.{n}.0/24")).is_some(), "{r} to {n}");
        }
    }
    // Between our transit link (Full with the DR) and the DR's next
    // network-LSA listing us, which MinLSInterval may hold back 5 s, the
    // segment is not reachable through the graph (§16.1: the network must
    // link back); it must come back right after, and stay.
    let seg: ipnet::IpNet = "10.0.0.0/24".parse().unwrap_or_else(|e| panic!("{e}"));
    let seg_changes: Vec<(Duration, bool)> = sim
        .events
        .iter()
        .filter(|(who, _, _)| *who == me)
        .filter_map(|(_, t, e)| match e {
            Event::Route(rib::RouteChange::Delete(r)) if r.prefix == seg => Some((*t, false)),
            Event::Route(rib::RouteChange::Add(r)) if r.prefix == seg => Some((*t, true)),
            _ => None,
        })
        .collect();
    assert_eq!(seg_changes.last().map(|x| x.1), Some(true), "{seg_changes:?}");
    for w in seg_changes.windows(2) {
        if let [(gone, false), (back, true)] = w {
            assert!(*back - *gone <= Duration::from_secs(6), "{seg_changes:?}");
        }
    }
    assert_tables_match_reference(&sim);
}

#[test]
fn point_to_point_routes_follow_full_within_min_ls_interval_and_spf_delay() {
    let mut sim = Sim::new(Instant::now());
    let a = sim.add_router(router(1, 1));
    let b = sim.add_router(router(2, 1));
    lo(&mut sim, a, 1);
    lo(&mut sim, b, 2);
    sim.add_link(&[Sim::port(a, 1, "10.0.12.1/30"), Sim::port(b, 1, "10.0.12.2/30")]);
    sim.run_for(Duration::from_secs(30));
    let at = |r: usize, f: &dyn Fn(&Event) -> bool| {
        sim.events.iter().find(|(who, _, e)| *who == r && f(e)).map(|x| x.1)
    };
    for (me, peer) in [(a, 2u8), (b, 1u8)] {
        let full = at(me, &|e| matches!(e, Event::NeighborState { new: NbrState::Full, .. }));
        let want: ipnet::IpNet =
            format!("192.168.{peer}.0/24").parse().unwrap_or_else(|e| panic!("{e}"));
        let routed =
            at(me, &|e| matches!(e, Event::Route(rib::RouteChange::Add(r)) if r.prefix == want));
        let (Some(full), Some(routed)) = (full, routed) else {
            panic!("router {me}: Full {full:?}, route {routed:?}: {:?}", sim.route_lines(me))
        };
        // Our router-LSA may wait MinLSInterval (5 s) after the previous
        // origination, then SPF waits its initial delay; nothing else.
        let bound = Duration::from_secs(5) + ospf_lsdb::Config::new(rid(1)).spf_delay;
        assert!(
            routed.saturating_sub(full) <= bound,
            "router {me}: Full at {full:?}, route at {routed:?}"
        );
    }
}

#[test]
fn routes_follow_full_at_once_when_no_origination_is_held_back() {
    // An MTU mismatch holds the adjacency in ExStart for 30 s, so when it
    // is fixed both router-LSAs are older than MinLSInterval: each router
    // floods a new one right at Full, just after the other installed the
    // previous instance during Loading. That instance did not arrive by
    // flooding, so MinLSArrival must not discard the new one (§13 step 5a).
    let mut sim = Sim::new(Instant::now());
    let a = sim.add_router(router(1, 1));
    let b = sim.add_router(router(2, 1));
    lo(&mut sim, a, 1);
    lo(&mut sim, b, 2);
    let mut small = Sim::port(a, 1, "10.0.12.1/30");
    small.mtu = 1400;
    sim.add_link(&[small, Sim::port(b, 1, "10.0.12.2/30")]);
    sim.run_for(Duration::from_secs(30));
    assert!(!all_full(&sim, a, 1));
    sim.with_router(a, |r, now| r.handle_interface_mtu(now, 1, 1500));
    sim.run_for(Duration::from_secs(30));
    let spf_delay = Config::new(rid(1)).spf_delay;
    for (me, peer) in [(a, 2u8), (b, 1u8)] {
        let at = |f: &dyn Fn(&Event) -> bool| {
            sim.events.iter().find(|(who, _, e)| *who == me && f(e)).map(|x| x.1)
        };
        let full = at(&|e| matches!(e, Event::NeighborState { new: NbrState::Full, .. }));
        let want: ipnet::IpNet =
            format!("192.168.{peer}.0/24").parse().unwrap_or_else(|e| panic!("{e}"));
        let routed =
            at(&|e| matches!(e, Event::Route(rib::RouteChange::Add(r)) if r.prefix == want));
        let (Some(full), Some(routed)) = (full, routed) else {
            panic!("router {me}: Full {full:?}, route {routed:?}: {:?}", sim.route_lines(me))
        };
        assert!(
            routed.saturating_sub(full) <= spf_delay,
            "router {me}: Full at {full:?}, route at {routed:?}"
        );
    }
    assert_tables_match_reference(&sim);
}
