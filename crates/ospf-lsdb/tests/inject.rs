//! A synthetic area handed from one instance to another by the engine's
//! own exchange and flooding (`Instance::inject_lsa`,
//! `Instance::set_synthetic_links`), checked against an independent
//! shortest-path calculation over the same graph.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use ospf_lsdb::lsa::{self, LsSeqNum, LsType, Lsa, LsaBody, Options, RouterLinkType, RouterLsa};
use ospf_lsdb::neighbor::NbrState;
use ospf_lsdb::rng::SplitMix64;
use ospf_lsdb::sim::Sim;
use ospf_lsdb::{AreaId, Config, InterfaceConfig, NetworkType, RouterId, SyntheticLink};

const INJECTOR: RouterId = RouterId(0x0a00_0001);
const RECEIVER: RouterId = RouterId(0x0a00_0002);
/// Our interfaces' cost, and that of the injector's link to synthetic router 0.
const IF_COST: u32 = 10;
const SYNTH_LINK_COST: u16 = 3;
const STUBS: u32 = 3;

fn synth_rid(i: u32) -> u32 {
    u32::from(Ipv4Addr::new(1, 0, 0, 1)) + i
}

fn stub_net(i: u32, s: u32) -> u32 {
    u32::from(Ipv4Addr::new(172, 16, 0, 0)) + ((i * STUBS + s) << 8)
}

/// A ring of `n` routers plus one random chord each, costs 1-20, as
/// adjacency lists of (neighbour, cost).
fn graph(n: u32, seed: u64) -> Vec<Vec<(u32, u16)>> {
    let mut rng = SplitMix64::new(seed);
    let mut adj: Vec<Vec<(u32, u16)>> = vec![Vec::new(); n as usize];
    for i in 0..n {
        for j in [(i + 1) % n, rng.below(u64::from(n)) as u32] {
            let cost = 1 + rng.below(20) as u16;
            if i != j && !adj[i as usize].iter().any(|x| x.0 == j) {
                adj[i as usize].push((j, cost));
                adj[j as usize].push((i, cost));
            }
        }
    }
    adj
}

/// Shortest distances from router 0 (plain Dijkstra).
fn distances(adj: &[Vec<(u32, u16)>]) -> Vec<u32> {
    let mut dist = vec![u32::MAX; adj.len()];
    let mut heap = BinaryHeap::from([Reverse((0u32, 0u32))]);
    dist[0] = 0;
    while let Some(Reverse((d, v))) = heap.pop() {
        if d > dist[v as usize] {
            continue;
        }
        for &(w, c) in &adj[v as usize] {
            let nd = d + u32::from(c);
            if nd < dist[w as usize] {
                dist[w as usize] = nd;
                heap.push(Reverse((nd, w)));
            }
        }
    }
    dist
}

/// The router-LSA of synthetic router `i`; router 0 also links back to the
/// injector, and its first stub costs `first_stub` instead of 1.
fn router_lsa(adj: &[Vec<(u32, u16)>], i: u32, seq: LsSeqNum, first_stub: u16) -> Lsa {
    let mut links = Vec::new();
    if i == 0 {
        links.push(lsa::link(
            RouterLinkType::POINT_TO_POINT,
            INJECTOR.0,
            u32::from(Ipv4Addr::new(10, 254, 0, 2)),
            SYNTH_LINK_COST,
        ));
    }
    for &(j, cost) in &adj[i as usize] {
        let data = u32::from(Ipv4Addr::new(10, 64, 0, 0)) + i * 64 + j % 64;
        links.push(lsa::link(RouterLinkType::POINT_TO_POINT, synth_rid(j), data, cost));
    }
    for s in 0..STUBS {
        let cost = if s == 0 && i == 0 { first_stub } else { 1 + s as u16 };
        links.push(lsa::link(RouterLinkType::STUB, stub_net(i, s), 0xffff_ff00, cost));
    }
    let rid = synth_rid(i);
    lsa::build(
        0,
        Options::E,
        lsa::key(LsType::ROUTER, rid, RouterId(rid)),
        seq,
        LsaBody::Router(RouterLsa { links, ..RouterLsa::default() }),
    )
}

fn config(rid: RouterId) -> Config {
    let mut c = Config::new(rid);
    let mut i = InterfaceConfig::new(1, "eth0", AreaId(0));
    i.network = NetworkType::PointToPoint;
    i.cost = IF_COST as u16;
    c.interfaces.push(i);
    c
}

fn inject(sim: &mut Sim, r: usize, l: Lsa) {
    sim.with_router(r, |x, now| {
        assert_eq!(x.inject_lsa(now, AreaId(0), l), Ok(true));
    });
}

/// The receiver's cost to every synthetic stub (None where it has no route),
/// and whether each route goes through the injector.
fn receiver_costs(sim: &Sim, r: usize, n: u32) -> Vec<Option<u32>> {
    let via = Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
    (0..n)
        .flat_map(|i| (0..STUBS).map(move |s| (i, s)))
        .map(|(i, s)| {
            let p = ipnet::IpNet::new(IpAddr::V4(Ipv4Addr::from(stub_net(i, s))), 24).ok()?;
            let route = sim.routers[r].routes().find(|x| x.prefix == p)?;
            assert!(route.next_hops.iter().all(|nh| nh.addr == via), "{route:?}");
            Some(route.metric)
        })
        .collect()
}

fn expected_costs(dist: &[u32], n: u32, first_stub: u32) -> Vec<Option<u32>> {
    (0..n)
        .flat_map(|i| (0..STUBS).map(move |s| (i, s)))
        .map(|(i, s)| {
            let stub = if i == 0 && s == 0 { first_stub } else { 1 + s };
            Some(IF_COST + u32::from(SYNTH_LINK_COST) + dist[i as usize] + stub)
        })
        .collect()
}

#[test]
fn injected_area_reaches_a_neighbour_by_exchange_and_flooding() {
    let n = 300;
    let adj = graph(n, 0x5eed);
    let dist = distances(&adj);
    assert!(dist.iter().all(|&d| d < u32::MAX), "the ring connects every router");
    let mut sim = Sim::new(Instant::now());
    let a = sim.add_router(config(INJECTOR));
    let b = sim.add_router(config(RECEIVER));
    // Half the area is in the injector's database before the adjacency
    // exists (database exchange carries it), the rest is flooded after.
    for i in 0..n / 2 {
        inject(&mut sim, a, router_lsa(&adj, i, LsSeqNum::INITIAL, 1));
    }
    sim.add_link(&[Sim::port(a, 1, "10.0.0.1/30"), Sim::port(b, 1, "10.0.0.2/30")]);
    let link = SyntheticLink {
        neighbor: RouterId(synth_rid(0)),
        ends: Ipv4Addr::new(10, 254, 0, 1),
        cost: SYNTH_LINK_COST,
    };
    sim.with_router(a, |x, now| {
        assert_eq!(x.set_synthetic_links(now, AreaId(0), vec![link]), Ok(()));
    });
    sim.run_for(Duration::from_secs(60));
    assert!(!sim.stalled);
    assert_eq!(sim.routers[b].neighbors(1)[0].2, NbrState::Full);
    for i in n / 2..n {
        inject(&mut sim, a, router_lsa(&adj, i, LsSeqNum::INITIAL, 1));
    }
    sim.run_for(Duration::from_secs(30));
    assert_eq!(sim.lsdb_digest(a, AreaId(0)), sim.lsdb_digest(b, AreaId(0)));
    assert_eq!(
        sim.routers[b].area_lsdb(AreaId(0)).map(|d| d.len()),
        Some(n as usize + 2),
        "the synthetic routers, the injector and the receiver"
    );
    assert_eq!(receiver_costs(&sim, b, n), expected_costs(&dist, n, 1));

    // A newer instance of router 0 with its first stub at cost 9 is flooded
    // and the receiver's route follows.
    let seq = LsSeqNum(LsSeqNum::INITIAL.0 + 1);
    inject(&mut sim, a, router_lsa(&adj, 0, seq, 9));
    sim.run_for(Duration::from_secs(10));
    assert_eq!(receiver_costs(&sim, b, n), expected_costs(&dist, n, 9));
    // Re-injecting the older instance changes nothing.
    sim.with_router(a, |x, now| {
        assert_eq!(
            x.inject_lsa(now, AreaId(0), router_lsa(&adj, 0, LsSeqNum::INITIAL, 1)),
            Ok(false)
        );
    });
    sim.run_for(Duration::from_secs(10));
    assert_eq!(receiver_costs(&sim, b, n), expected_costs(&dist, n, 9));

    // Without the synthetic link the two-way check (§16.1 step 2b) fails
    // and the synthetic area is unreachable for the receiver.
    sim.with_router(a, |x, now| {
        assert_eq!(x.set_synthetic_links(now, AreaId(0), Vec::new()), Ok(()));
    });
    sim.run_for(Duration::from_secs(10));
    assert!(receiver_costs(&sim, b, n).iter().all(Option::is_none));
    assert!(!sim.stalled);
}
