//! SPF on synthetic OSPF areas at 100, 1,000 and 10,000 routers: `spf` is
//! the area's shortest-path tree with its stub networks (`AreaSpf`),
//! `full` the whole routing table calculation (`RoutingTable::compute`),
//! `incremental_stub` the update for a change in one router's stub links
//! (`RoutingTable::apply`, no Dijkstra).
//!
//! `spf_v3` is the same area as OSPFv3 sees it (RFC 5340): router-LSAs of
//! point-to-point interfaces and one intra-area-prefix-LSA per router with its
//! 3 prefixes, run through the same engine's SPF (`AreaSpf::compute_v3`);
//! `full_v3` the whole OSPFv3 routing table (`RoutingTable6::compute`),
//! `incremental_v3` the update for a change of one router's
//! intra-area-prefix-LSA (`RoutingTable6::apply`, no Dijkstra).
//!
//! Topology, deterministic from a seed: a ring (so the area is connected)
//! plus one random chord per router, giving an average degree of about 4
//! point-to-point links, each router with 3 stub networks. The generator is
//! `ospf-router`'s (`examples/ospf-router/src/topology.rs`, included here),
//! so `ospf-router --inject-topology` hands FRR the very same area.

use std::hint::black_box;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use ospf_lsdb::lsa::{
    self, LsSeqNum, LsType, Lsa, LsaBody, Options, RouterFlags, RouterLink, RouterLinkType,
    RouterLsa,
};
use ospf_lsdb::lsdb::{LinkStateDb, Lsdb};
use ospf_lsdb::route::{AreaInput, LsaChange, RoutingTable};
use ospf_lsdb::route6::{AreaInput6, RoutingTable6};
use ospf_lsdb::spf::{AreaSpf, RootInterface};
use ospf_lsdb::types::{AreaId, RouterId};
use ospf_lsdb::V3;
use ospf_wire::v3;

// Its unit tests run in `ospf-router`; here (`harness = false`) they are
// compiled under `cfg(test)` without a harness to use them.
#[path = "../examples/ospf-router/src/topology.rs"]
#[cfg_attr(test, allow(unused_imports))]
mod topology;

use topology::{SynthLink, STUBS};

fn rid(i: u32) -> u32 {
    u32::from(topology::router_id(i))
}

struct Topo {
    /// Each router's links, from the shared generator.
    links: Vec<Vec<SynthLink>>,
    lsdb: Lsdb,
    routers: Vec<Vec<RouterLink>>,
    root_ifaces: Vec<RootInterface>,
    now: Instant,
}

fn router_lsa(i: u32, links: Vec<RouterLink>) -> Arc<Lsa> {
    Arc::new(lsa::build(
        0,
        Options::E,
        lsa::key(LsType::ROUTER, rid(i), RouterId(rid(i))),
        LsSeqNum::INITIAL,
        LsaBody::Router(RouterLsa { flags: RouterFlags(0), reserved: 0, links }),
    ))
}

fn topology(n: u32, seed: u64) -> Topo {
    let synth = topology::build(n, seed);
    let now = Instant::now();
    let mut lsdb = Lsdb::new();
    let mut routers = Vec::with_capacity(n as usize);
    let mut root_ifaces = Vec::new();
    for (i, synth_links) in (0u32..).zip(&synth) {
        let mut links = Vec::new();
        for l in synth_links {
            match *l {
                SynthLink::PointToPoint { to, addr, cost } => {
                    let data = u32::from(addr);
                    links.push(lsa::link(RouterLinkType::POINT_TO_POINT, rid(to), data, cost));
                    if i == 0 {
                        root_ifaces.push(RootInterface {
                            ifindex: root_ifaces.len() as u32 + 1,
                            addr: data,
                            mask: 0xffff_fffc,
                        });
                    }
                }
                SynthLink::Stub { net, cost } => {
                    links.push(lsa::link(RouterLinkType::STUB, u32::from(net), 0xffff_ff00, cost));
                }
            }
        }
        lsdb.install(router_lsa(i, links.clone()), now);
        routers.push(links);
    }
    Topo { links: synth, lsdb, routers, root_ifaces, now }
}

/// The same area in OSPFv3: Interface IDs from `topology::interface_ids`
/// (link indexes + 1), router `i`'s prefixes `topology::prefix6(i, s)`.
struct Topo6 {
    lsdb: LinkStateDb<V3>,
    root_ifaces: Vec<RootInterface>,
    now: Instant,
}

fn lsa6(ls_type: v3::LsType, id: u32, adv: u32, body: v3::LsaBody) -> Arc<v3::Lsa> {
    debug_assert_eq!(ls_type, body.ls_type());
    let fields = v3::LsaFields {
        ls_age: 0,
        link_state_id: id,
        advertising_router: RouterId(adv),
        ls_sequence_number: LsSeqNum::INITIAL,
    };
    Arc::new(v3::Lsa::build(fields, body))
}

fn topology6(t: &Topo) -> Topo6 {
    let mut lsdb = LinkStateDb::<V3>::new();
    let mut root_ifaces = Vec::new();
    let ids = topology::interface_ids(&t.links);
    for ((links, ids), i) in t.links.iter().zip(&ids).zip(0u32..) {
        let p2p = links.iter().filter_map(|l| match *l {
            SynthLink::PointToPoint { to, cost, .. } => Some((to, cost)),
            SynthLink::Stub { .. } => None,
        });
        let interfaces = p2p
            .zip(ids)
            .map(|((j, cost), &(own, theirs))| v3::RouterInterface {
                link_type: v3::RouterLinkType::POINT_TO_POINT,
                metric: cost,
                interface_id: own,
                neighbor_interface_id: theirs,
                neighbor_router_id: RouterId(rid(j)),
            })
            .collect();
        let options = v3::Options::V6 | v3::Options::E | v3::Options::R;
        let body =
            v3::LsaBody::Router(v3::RouterLsa { flags: v3::RouterFlags(0), options, interfaces });
        lsdb.install(lsa6(v3::LsType::ROUTER, 0, rid(i), body), t.now);
        let stubs = links.iter().filter_map(|l| match *l {
            SynthLink::Stub { cost, .. } => Some(cost),
            SynthLink::PointToPoint { .. } => None,
        });
        let prefixes = stubs
            .zip(0u32..)
            .map(|(cost, s)| v3::IntraAreaPrefix {
                prefix: v3::Ipv6Prefix::new(topology::prefix6(i, s), 64).expect("a /64"),
                options: v3::PrefixOptions(0),
                metric: cost,
            })
            .collect();
        let body = v3::LsaBody::IntraAreaPrefix(v3::IntraAreaPrefixLsa {
            referenced_ls_type: v3::LsType::ROUTER,
            referenced_link_state_id: 0,
            referenced_advertising_router: RouterId(rid(i)),
            prefixes,
        });
        lsdb.install(lsa6(v3::LsType::INTRA_AREA_PREFIX, 0, rid(i), body), t.now);
        if i == 0 {
            for &(own, _) in ids {
                root_ifaces.push(RootInterface { ifindex: own, addr: own, mask: 0 });
            }
        }
    }
    Topo6 { lsdb, root_ifaces, now: t.now }
}

/// A neighbour's link-local address, as its link-LSA would give it.
fn link_local(_ifindex: u32, nbr: RouterId, iface: u32) -> Option<IpAddr> {
    let [a, b, c, d] = nbr.0.to_be_bytes();
    let hi = u16::from_be_bytes([a, b]);
    let lo = u16::from_be_bytes([c, d]);
    Some(IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, hi, lo, 0, iface as u16)))
}

fn spf6(t: &Topo6) -> AreaSpf<ipnet::Ipv6Net> {
    AreaSpf::compute_v3(&t.lsdb, RouterId(rid(0)), &t.root_ifaces, Vec::new(), &link_local, t.now)
}

fn full6(t: &Topo6) -> RoutingTable6 {
    let empty = LinkStateDb::<V3>::new();
    let area = AreaInput6 {
        area: AreaId(0),
        nssa: false,
        lsdb: &t.lsdb,
        interfaces: t.root_ifaces.clone(),
        own: Vec::new(),
    };
    RoutingTable6::compute(RouterId(rid(0)), &[area], &empty, &link_local, t.now)
}

/// Router `victim`'s intra-area-prefix-LSA in `t`, and a newer instance of
/// it with its last prefix's metric 5 higher.
fn prefix_change6(t: &Topo6, victim: u32) -> (Arc<v3::Lsa>, Arc<v3::Lsa>) {
    let key = v3::LsaKey {
        ls_type: v3::LsType::INTRA_AREA_PREFIX,
        link_state_id: 0,
        advertising_router: RouterId(rid(victim)),
    };
    let before = t.lsdb.get(&key).expect("the victim's prefixes").lsa.clone();
    let v3::LsaBody::IntraAreaPrefix(mut body) = before.body().clone() else {
        panic!("an intra-area-prefix-LSA")
    };
    if let Some(p) = body.prefixes.last_mut() {
        p.metric += 5;
    }
    let after =
        lsa6(v3::LsType::INTRA_AREA_PREFIX, 0, rid(victim), v3::LsaBody::IntraAreaPrefix(body));
    (before, after)
}

fn full(t: &Topo) -> RoutingTable {
    let empty = Lsdb::new();
    let inputs = [AreaInput { area: AreaId(0), lsdb: &t.lsdb, interfaces: &t.root_ifaces }];
    RoutingTable::compute(RouterId(rid(0)), &inputs, &empty, t.now)
}

fn bench_spf(c: &mut Criterion) {
    let mut g = c.benchmark_group("ospf_spf");
    for n in [100u32, 1_000, 10_000] {
        let t = topology(n, topology::BENCH_SEED);
        let table = full(&t);
        assert!(table.routes().count() >= (n * STUBS) as usize);
        // Dijkstra and stub networks of one area (§16.1).
        g.bench_with_input(BenchmarkId::new("spf", n), &t, |b, t| {
            b.iter(|| {
                black_box(AreaSpf::compute(&t.lsdb, RouterId(rid(0)), &t.root_ifaces, t.now))
            });
        });
        // The same area as OSPFv3: router-LSAs without prefixes, the
        // prefixes in intra-area-prefix-LSAs, link-local next hops.
        let t6 = topology6(&t);
        let tree6 = spf6(&t6);
        assert_eq!(tree6.intra.len(), (n * STUBS) as usize, "every OSPFv3 prefix reached");
        g.bench_with_input(BenchmarkId::new("spf_v3", n), &t6, |b, t6| {
            b.iter(|| black_box(spf6(t6)));
        });
        // The whole OSPFv3 routing table, and one router's prefix change
        // applied to it without Dijkstra, back and forth.
        let mut table6 = full6(&t6);
        assert_eq!(table6.routes().count(), (n * STUBS) as usize);
        g.bench_with_input(BenchmarkId::new("full_v3", n), &t6, |b, t6| {
            b.iter(|| black_box(full6(t6)));
        });
        let (a6, b6) = prefix_change6(&t6, n / 2);
        let forth6 =
            [LsaChange { area: Some(AreaId(0)), old: Some(a6.clone()), new: Some(b6.clone()) }];
        let back6 = [LsaChange { area: Some(AreaId(0)), old: Some(b6), new: Some(a6) }];
        assert!(table6.apply(&forth6).is_ok() && table6.apply(&back6).is_ok(), "no Dijkstra");
        let mut flip6 = false;
        g.bench_with_input(BenchmarkId::new("incremental_v3", n), &n, |b, _| {
            b.iter(|| {
                flip6 = !flip6;
                let batch = if flip6 { &forth6 } else { &back6 };
                black_box(table6.apply(batch).is_ok())
            });
        });
        // The whole routing table calculation (SPF, then inter-area and
        // external stages, ordered table).
        g.bench_with_input(BenchmarkId::new("full", n), &t, |b, t| {
            b.iter(|| black_box(full(t)));
        });
        // Incremental: the farthest-numbered router changes one stub metric
        // back and forth.
        let victim = n / 2;
        let before = t.routers[victim as usize].clone();
        let mut after = before.clone();
        if let Some(l) = after.iter_mut().rev().find(|l| l.link_type == RouterLinkType::STUB) {
            l.metric += 5;
        }
        let a = router_lsa(victim, before);
        let bb = router_lsa(victim, after);
        let forth =
            [LsaChange { area: Some(AreaId(0)), old: Some(a.clone()), new: Some(bb.clone()) }];
        let back = [LsaChange { area: Some(AreaId(0)), old: Some(bb), new: Some(a) }];
        let mut table = table;
        let mut flip = false;
        g.bench_with_input(BenchmarkId::new("incremental_stub", n), &n, |b, _| {
            b.iter(|| {
                flip = !flip;
                let batch = if flip { &forth } else { &back };
                black_box(table.apply(batch).is_ok())
            });
        });
    }
    g.finish();
}

criterion_group!(benches, bench_spf);
criterion_main!(benches);
