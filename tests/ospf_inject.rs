//! `ospf-router --inject-topology` against FRR ospfd and ospf6d in network
//! namespaces (needs root and FRR): our engine, with a synthetic area of 500
//! routers injected into its database, hands it to FRR over one
//! point-to-point adjacency, in OSPFv2 and in OSPFv3. FRR must hold every
//! injected LSA, route to every synthetic stub network (a /24, or a /64 in
//! OSPFv3) at the cost an independent shortest-path calculation over the
//! same topology gives, run SPF again on each toggled instance of router 0,
//! and drop the area when the injector stops and flushes it.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use integration_tests::{frr6_neighbor, p2p_pair, serial};
use netlab::{wait_until, Frr, FrrDaemon, Lab, Netns};
use ospf_router::inject::{self, InjectConfig, OspfVersion};
use ospf_router::topology::{self, SynthLink};
use serde_json::Value;

const ROUTERS: u32 = 500;
const POLL: Duration = Duration::from_millis(250);
/// FRR's cost on its interface toward us.
const FRR_COST: u32 = 10;

const FRR_CONF: &str = "\
hostname frr-inject
interface eth0
 ip ospf network point-to-point
 ip ospf hello-interval 1
 ip ospf dead-interval 4
 ip ospf cost 10
 ip ospf retransmit-interval 1
!
router ospf
 ospf router-id 10.0.0.2
 timers throttle spf 0 50 1000
 timers lsa min-arrival 0
 network 10.0.0.0/30 area 0.0.0.0
!
";

/// The injector on a thread inside `ns`; its JSON lines collected; stopped
/// (synthetic area flushed) by [`Injector::stop`] or on drop.
struct Injector {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    lines: Arc<Mutex<Vec<Value>>>,
}

impl Injector {
    fn start(ns: &Netns, cfg: InjectConfig) -> Injector {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&lines);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let ns = ns.clone();
        let thread = std::thread::spawn(move || {
            let _inside = ns.enter().expect("enter the namespace");
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            let push = |v: Value| sink.lock().unwrap_or_else(PoisonError::into_inner).push(v);
            let result = rt.block_on(inject::run(cfg, push, async {
                let _ = stopped.await;
            }));
            if let Err(e) = result {
                push(serde_json::json!({"event": "error", "error": e.to_string()}));
            }
        });
        Injector { stop: Some(stop), thread: Some(thread), lines }
    }

    fn lines(&self) -> Vec<Value> {
        self.lines.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn has(&self, key: &str, value: &str) -> bool {
        self.lines().iter().any(|l| l[key] == value)
    }

    fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Injector {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Distances from synthetic router 0 over the topology (plain Dijkstra).
fn distances(topo: &[Vec<SynthLink>]) -> Vec<u32> {
    let mut dist = vec![u32::MAX; topo.len()];
    let mut heap = BinaryHeap::from([Reverse((0u32, 0u32))]);
    dist[0] = 0;
    while let Some(Reverse((d, v))) = heap.pop() {
        if d > dist[v as usize] {
            continue;
        }
        for l in &topo[v as usize] {
            if let SynthLink::PointToPoint { to, cost, .. } = *l {
                let nd = d + u32::from(cost);
                if nd < dist[to as usize] {
                    dist[to as usize] = nd;
                    heap.push(Reverse((nd, to)));
                }
            }
        }
    }
    dist
}

/// The cost of every synthetic stub from FRR, by router and stub index:
/// FRR -> us (`FRR_COST`) -> router 0 (`LINK_COST`) -> router i -> stub.
fn stub_costs(topo: &[Vec<SynthLink>]) -> Vec<(u32, u32, u64)> {
    let dist = distances(topo);
    let mut out = Vec::new();
    for ((links, d), i) in topo.iter().zip(&dist).zip(0u32..) {
        let stubs = links.iter().filter_map(|l| match *l {
            SynthLink::Stub { cost, .. } => Some(cost),
            SynthLink::PointToPoint { .. } => None,
        });
        for (cost, s) in stubs.zip(0u32..) {
            let c = FRR_COST + u32::from(inject::LINK_COST) + d + u32::from(cost);
            out.push((i, s, u64::from(c)));
        }
    }
    out
}

/// FRR's state for neighbour `rid`.
fn frr_neighbor(frr: &Frr, rid: &str) -> Option<String> {
    let v = frr.vtysh_json("show ip ospf neighbor json").ok()?;
    let list = v.get("neighbors")?.get(rid)?.as_array()?;
    list.first()?.get("nbrState")?.as_str().map(str::to_owned)
}

/// A field of area 0.0.0.0 in FRR's `show ip ospf json`.
fn frr_area_field(frr: &Frr, key: &str) -> Option<u64> {
    let v = frr.vtysh_json("show ip ospf json").ok()?;
    v.get("areas")?.get("0.0.0.0")?.get(key)?.as_u64()
}

/// The router-LSAs of area 0.0.0.0 in FRR's `show ip ospf database json`:
/// advertising router and LS age.
fn frr_router_lsas(frr: &Frr) -> Vec<(Ipv4Addr, u64)> {
    let Ok(v) = frr.vtysh_json("show ip ospf database json") else {
        return Vec::new();
    };
    v["areas"]["0.0.0.0"]["routerLinkStates"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|l| {
                    let adv = l["advertisedRouter"].as_str()?.parse().ok()?;
                    Some((adv, l["lsaAge"].as_u64()?))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// How many of FRR's router-LSAs are synthetic routers' (1.0.0.1 up),
/// live and at MaxAge.
fn synthetic_in_frr(frr: &Frr) -> (usize, usize) {
    let synthetic =
        |a: &Ipv4Addr| u32::from(*a).wrapping_sub(u32::from(topology::router_id(0))) < ROUTERS;
    let lsas = frr_router_lsas(frr);
    let live = lsas.iter().filter(|(a, age)| synthetic(a) && *age < 3600).count();
    let dead = lsas.iter().filter(|(a, age)| synthetic(a) && *age >= 3600).count();
    (live, dead)
}

/// FRR's OSPF network routes under 172.16.0.0/12 (the synthetic stubs):
/// prefix to (cost, next-hop addresses).
fn frr_stub_routes(frr: &Frr) -> Vec<(String, u64, Vec<String>)> {
    let Ok(Value::Object(v)) = frr.vtysh_json("show ip ospf route json") else {
        return Vec::new();
    };
    v.iter()
        .filter(|(p, _)| p.starts_with("172.") && p.contains('/'))
        .map(|(p, r)| {
            let hops = r["nexthops"]
                .as_array()
                .map(|a| a.iter().filter_map(|h| h["ip"].as_str().map(str::to_owned)).collect())
                .unwrap_or_default();
            (p.clone(), r["cost"].as_u64().unwrap_or(u64::MAX), hops)
        })
        .collect()
}

/// The benchmark's area of `ROUTERS` routers on `eth0`, Hello 1 s, Dead 4 s,
/// a newer router-LSA of router 0 every 2 s.
fn inject_config(version: OspfVersion) -> InjectConfig {
    InjectConfig {
        interface: "eth0".into(),
        router_id: None,
        routers: ROUTERS,
        seed: topology::BENCH_SEED,
        area: ospf_lsdb::AreaId(0),
        hello_interval: 1,
        dead_interval: 4,
        refresh: Duration::from_secs(2),
        version,
    }
}

#[test]
fn frr_takes_an_injected_area_of_500_routers() {
    let _serial = serial();
    let t0 = Instant::now();
    let mark = |what: &str| eprintln!("{:>6} ms  {what}", t0.elapsed().as_millis());
    let lab = Lab::new("oinj").expect("lab");
    let (us, peer) = p2p_pair(&lab);
    let dir = lab.subdir("frr").expect("state folder");
    let frr = Frr::start(&peer, &dir, &[(FrrDaemon::Ospfd, FRR_CONF)]).expect("FRR starts");
    let mut injector = Injector::start(&us, inject_config(OspfVersion::V2));

    wait_until(Duration::from_secs(60), POLL, "both sides Full", || {
        injector.has("inject", "full")
            && frr_neighbor(&frr, "10.0.0.1").is_some_and(|s| s.starts_with("Full"))
    })
    .unwrap_or_else(|e| panic!("{e}: {:?}", injector.lines()));
    mark("both sides Full");
    // Every synthetic router, ours and FRR's.
    wait_until(Duration::from_secs(60), POLL, "every router-LSA in FRR", || {
        let all = frr_router_lsas(&frr);
        synthetic_in_frr(&frr) == (ROUTERS as usize, 0)
            && all.len() == ROUTERS as usize + 2
            && all.iter().any(|l| l.0 == Ipv4Addr::new(10, 0, 0, 1))
    })
    .unwrap_or_else(|e| panic!("{e}: FRR has (live, MaxAge) {:?}", synthetic_in_frr(&frr)));
    mark("every router-LSA in FRR");

    // Routes: FRR -> us (10) -> router 0 (LINK_COST) -> router i -> stub.
    let topo = topology::build(ROUTERS, topology::BENCH_SEED);
    let nets: Vec<Vec<Ipv4Addr>> = topo
        .iter()
        .map(|links| {
            links
                .iter()
                .filter_map(|l| match *l {
                    SynthLink::Stub { net, .. } => Some(net),
                    SynthLink::PointToPoint { .. } => None,
                })
                .collect()
        })
        .collect();
    let mut want: Vec<(String, u64)> = stub_costs(&topo)
        .into_iter()
        .map(|(i, s, c)| (format!("{}/24", nets[i as usize][s as usize]), c))
        .collect();
    want.sort();
    // Router 0's first stub is toggled between its cost and one more.
    let toggled = format!("{}/24", Ipv4Addr::new(172, 16, 0, 0));
    let matches = |got: &[(String, u64, Vec<String>)]| {
        got.len() == want.len()
            && got.iter().zip(&want).all(|((p, c, hops), (wp, wc))| {
                p == wp
                    && (*c == *wc || (*p == toggled && *c == wc + 1))
                    && hops == &["10.0.0.1".to_owned()]
            })
    };
    wait_until(Duration::from_secs(60), POLL, "FRR's routes to every synthetic stub", || {
        let mut got = frr_stub_routes(&frr);
        got.sort();
        matches(&got)
    })
    .unwrap_or_else(|e| {
        let mut got = frr_stub_routes(&frr);
        got.sort();
        let wrong: Vec<_> = got
            .iter()
            .zip(&want)
            .filter(|((p, c, _), (wp, wc))| p != wp || c != wc)
            .take(5)
            .collect();
        panic!("{e}: {} routes of {}, first differences {wrong:?}", got.len(), want.len())
    });
    mark("FRR's routes to every synthetic stub");
    let cost_of = |p: &str| frr_stub_routes(&frr).into_iter().find(|r| r.0 == p).map(|r| r.1);
    // A few spelled out: router 0's second stub is one hop past us.
    assert_eq!(cost_of("172.16.1.0/24"), Some(u64::from(FRR_COST) + 1 + 2));
    for p in ["172.16.100.0/24", "172.17.0.0/24", "172.21.219.0/24"] {
        let w = want.iter().find(|w| w.0 == p).map(|w| w.1);
        assert!(w.is_some(), "{p} is a synthetic stub");
        assert_eq!(cost_of(p), w, "{p}");
    }
    // zebra installed them in FRR's kernel table.
    wait_until(Duration::from_secs(30), POLL, "the stub routes in FRR's kernel", || {
        peer.ip(&["-4", "route", "show", "proto", "ospf"])
            .is_ok_and(|t| t.lines().filter(|l| l.starts_with("172.")).count() == want.len())
    })
    .unwrap_or_else(|e| panic!("{e}"));
    mark("the stub routes in FRR's kernel");

    // The toggled instances of router 0 are flooded: FRR runs SPF again
    // and its route to the toggled stub follows.
    let runs = frr_area_field(&frr, "spfExecutedCounter").unwrap_or(0);
    let seen_costs = Mutex::new(std::collections::BTreeSet::new());
    wait_until(Duration::from_secs(30), POLL, "two more SPF runs and both toggled costs", || {
        if let Some(c) = cost_of(&toggled) {
            seen_costs.lock().unwrap_or_else(PoisonError::into_inner).insert(c);
        }
        frr_area_field(&frr, "spfExecutedCounter").is_some_and(|n| n >= runs + 2)
            && seen_costs.lock().unwrap_or_else(PoisonError::into_inner).len() == 2
    })
    .unwrap_or_else(|e| panic!("{e}: costs seen {seen_costs:?}"));
    mark("two more SPF runs and both toggled costs");
    assert!(injector.has("inject", "refresh"));
    assert!(!injector.lines().iter().any(|l| l["event"] == "error"), "{:?}", injector.lines());

    // Stopping flushes the synthetic area (§14.1): FRR holds every
    // synthetic router-LSA at MaxAge (until it removes them) rather than
    // for the rest of the hour, and has no route into the area.
    injector.stop();
    wait_until(Duration::from_secs(30), POLL, "the synthetic router-LSAs flushed in FRR", || {
        let (live, dead) = synthetic_in_frr(&frr);
        live == 0 && (dead == 0 || dead == ROUTERS as usize)
    })
    .unwrap_or_else(|e| panic!("{e}: FRR has (live, MaxAge) {:?}", synthetic_in_frr(&frr)));
    mark("the synthetic router-LSAs flushed in FRR");
    wait_until(Duration::from_secs(30), POLL, "no route into the synthetic area", || {
        frr_stub_routes(&frr).is_empty()
    })
    .unwrap_or_else(|e| panic!("{e}"));
    mark("no route into the synthetic area");
}

// ----- OSPFv3 -------------------------------------------------------------

const FRR6_CONF: &str = "\
hostname frr-inject6
interface eth0
 ipv6 ospf6 area 0.0.0.0
 ipv6 ospf6 network point-to-point
 ipv6 ospf6 hello-interval 1
 ipv6 ospf6 dead-interval 4
 ipv6 ospf6 cost 10
 ipv6 ospf6 retransmit-interval 1
!
router ospf6
 ospf6 router-id 10.0.0.2
 timers throttle spf 0 50 1000
 timers lsa min-arrival 0
!
";

/// The area-scope LSAs in FRR's `show ipv6 ospf6 database json`: type
/// ("Rtr", "INP", ...), advertising router and LS age.
fn frr6_area_lsas(frr: &Frr) -> Vec<(String, Ipv4Addr, u64)> {
    let Ok(v) = frr.vtysh_json("show ipv6 ospf6 database json") else {
        return Vec::new();
    };
    let Some(areas) = v["areaScopedLinkStateDb"].as_array() else {
        return Vec::new();
    };
    areas
        .iter()
        .filter(|a| a["areaId"] == "0.0.0.0")
        .filter_map(|a| a["lsa"].as_array())
        .flatten()
        .filter_map(|l| {
            let ty = l["type"].as_str()?.to_owned();
            let adv = l["advRouter"].as_str()?.parse().ok()?;
            Some((ty, adv, l["age"].as_u64()?))
        })
        .collect()
}

fn is_synthetic(a: &Ipv4Addr) -> bool {
    u32::from(*a).wrapping_sub(u32::from(topology::router_id(0))) < ROUTERS
}

/// FRR's live synthetic LSAs as (type, advertising router), sorted, and how
/// many synthetic ones are at MaxAge. FRR's JSON lists an LSA once per line
/// of its payload (an interface, a prefix): duplicates are merged.
fn synthetic6_in_frr(frr: &Frr) -> (Vec<(String, Ipv4Addr)>, usize) {
    use std::collections::BTreeSet;
    let lsas = frr6_area_lsas(frr);
    let live: BTreeSet<(String, Ipv4Addr)> = lsas
        .iter()
        .filter(|(_, a, age)| is_synthetic(a) && *age < 3600)
        .map(|(t, a, _)| (t.clone(), *a))
        .collect();
    let dead: BTreeSet<(&String, &Ipv4Addr)> = lsas
        .iter()
        .filter(|(_, a, age)| is_synthetic(a) && *age >= 3600)
        .map(|(t, a, _)| (t, a))
        .collect();
    (live.into_iter().collect(), dead.len())
}

/// FRR ospf6d's routes under fd00::/16 (the synthetic /64s): prefix to
/// (cost, next hops as `address%interface`).
fn frr6_stub_routes(frr: &Frr) -> Vec<(String, u64, Vec<String>)> {
    let Ok(v) = frr.vtysh_json("show ipv6 ospf6 route detail json") else {
        return Vec::new();
    };
    let Some(routes) = v["routes"].as_object() else {
        return Vec::new();
    };
    routes
        .iter()
        .filter(|(p, _)| p.starts_with("fd00:"))
        .map(|(p, r)| {
            let hops = r["nextHops"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|h| {
                            Some(format!(
                                "{}%{}",
                                h["nextHop"].as_str()?,
                                h["interfaceName"].as_str()?
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default();
            (p.clone(), r["metricCost"].as_u64().unwrap_or(u64::MAX), hops)
        })
        .collect()
}

/// How long ago ospf6d last ran SPF for area 0.0.0.0, in microseconds
/// (`show ipv6 ospf6 json` has no run counter: a run shows as this
/// dropping).
fn frr6_spf_ago_us(frr: &Frr) -> Option<u64> {
    let v = frr.vtysh_json("show ipv6 ospf6 json").ok()?;
    let a = &v["areas"]["0.0.0.0"];
    Some(a["spfLastExecutedSecs"].as_u64()? * 1_000_000 + a["spfLastExecutedMicroSecs"].as_u64()?)
}

#[test]
fn frr_ospf6d_takes_an_injected_ospfv3_area_of_500_routers() {
    let _serial = serial();
    let t0 = Instant::now();
    let mark = |what: &str| eprintln!("{:>6} ms  {what}", t0.elapsed().as_millis());
    let lab = Lab::new("injsix").expect("lab");
    let (us, peer) = p2p_pair(&lab);
    let dir = lab.subdir("frr").expect("state folder");
    let frr = Frr::start(&peer, &dir, &[(FrrDaemon::Ospf6d, FRR6_CONF)]).expect("FRR starts");
    let our_ll = us.link_local("eth0").expect("our link-local address");
    let mut injector = Injector::start(&us, inject_config(OspfVersion::V3));

    wait_until(Duration::from_secs(60), POLL, "both sides Full", || {
        injector.has("inject", "full")
            && frr6_neighbor(&frr, "10.0.0.1").is_some_and(|s| s.starts_with("Full"))
    })
    .unwrap_or_else(|e| panic!("{e}: {:?}", injector.lines()));
    mark("both sides Full");
    // Every synthetic router's router-LSA and intra-area-prefix-LSA, and
    // our router-LSA with the link to router 0.
    let mut want_lsas: Vec<(String, Ipv4Addr)> = (0..ROUTERS)
        .flat_map(|i| ["INP", "Rtr"].map(|t| (t.to_owned(), topology::router_id(i))))
        .collect();
    want_lsas.sort();
    wait_until(Duration::from_secs(60), POLL, "every injected LSA in FRR", || {
        synthetic6_in_frr(&frr) == (want_lsas.clone(), 0)
            && frr6_area_lsas(&frr)
                .iter()
                .any(|(t, a, _)| t == "Rtr" && *a == Ipv4Addr::new(10, 0, 0, 1))
    })
    .unwrap_or_else(|e| {
        let (live, dead) = synthetic6_in_frr(&frr);
        panic!(
            "{e}: FRR has {} live synthetic LSAs of {}, {dead} MaxAge",
            live.len(),
            want_lsas.len()
        )
    });
    mark("every injected LSA in FRR");

    // Routes, from an independent Dijkstra over the same topology.
    let topo = topology::build(ROUTERS, topology::BENCH_SEED);
    let mut want: Vec<(String, u64)> = stub_costs(&topo)
        .into_iter()
        .map(|(i, s, c)| (format!("{}/64", topology::prefix6(i, s)), c))
        .collect();
    want.sort();
    assert_eq!(want.len(), (ROUTERS * topology::STUBS) as usize);
    let hop = format!("{our_ll}%eth0");
    // Router 0's first prefix is toggled between its cost and one more.
    let toggled = format!("{}/64", topology::prefix6(0, 0));
    let matches = |got: &[(String, u64, Vec<String>)]| {
        got.len() == want.len()
            && got.iter().zip(&want).all(|((p, c, hops), (wp, wc))| {
                p == wp
                    && (*c == *wc || (*p == toggled && *c == wc + 1))
                    && hops.as_slice() == std::slice::from_ref(&hop)
            })
    };
    let sorted = || {
        let mut got = frr6_stub_routes(&frr);
        got.sort();
        got
    };
    wait_until(Duration::from_secs(60), POLL, "FRR's routes to every synthetic /64", || {
        matches(&sorted())
    })
    .unwrap_or_else(|e| {
        let got = sorted();
        let wrong: Vec<_> = got
            .iter()
            .zip(&want)
            .filter(|((p, c, h), (wp, wc))| {
                p != wp || c != wc || h.as_slice() != std::slice::from_ref(&hop)
            })
            .take(5)
            .collect();
        panic!("{e}: {} routes of {}, first differences {wrong:?}", got.len(), want.len())
    });
    mark("FRR's routes to every synthetic /64");
    let cost_of = |p: &str| frr6_stub_routes(&frr).into_iter().find(|r| r.0 == p).map(|r| r.1);
    // Router 0's second prefix is one hop past us: 10 + 1 + 2.
    assert_eq!(cost_of("fd00:0:0:1::/64"), Some(u64::from(FRR_COST) + 1 + 2));
    for p in ["fd00:0:0:64::/64", "fd00:0:0:1a0::/64", "fd00:0:0:5db::/64"] {
        let w = want.iter().find(|w| w.0 == p).map(|w| w.1);
        assert!(w.is_some(), "{p} is a synthetic prefix");
        assert_eq!(cost_of(p), w, "{p}");
    }
    // zebra installed them in FRR's kernel table.
    wait_until(Duration::from_secs(30), POLL, "the /64s in FRR's kernel", || {
        peer.ip(&["-6", "route", "show", "proto", "ospf"])
            .is_ok_and(|t| t.lines().filter(|l| l.starts_with("fd00:")).count() == want.len())
    })
    .unwrap_or_else(|e| panic!("{e}"));
    mark("the /64s in FRR's kernel");

    // Each toggled router-LSA of router 0 makes ospf6d run SPF again, and
    // the toggled prefix's cost follows.
    let mut last_ago = frr6_spf_ago_us(&frr).unwrap_or(0);
    let runs = Mutex::new((0u32, std::collections::BTreeSet::new()));
    wait_until(Duration::from_secs(30), POLL, "two more SPF runs and both toggled costs", || {
        let mut r = runs.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(ago) = frr6_spf_ago_us(&frr) {
            if ago < last_ago {
                r.0 += 1;
            }
            last_ago = ago;
        }
        if let Some(c) = cost_of(&toggled) {
            r.1.insert(c);
        }
        r.0 >= 2 && r.1.len() == 2
    })
    .unwrap_or_else(|e| panic!("{e}: (runs, costs) seen {runs:?}"));
    mark("two more SPF runs and both toggled costs");
    assert!(injector.has("inject", "refresh"));
    assert!(!injector.lines().iter().any(|l| l["event"] == "error"), "{:?}", injector.lines());

    // Stopping flushes the synthetic area (§14.1, RFC 5340 §4.4.4).
    injector.stop();
    wait_until(Duration::from_secs(30), POLL, "the synthetic LSAs flushed in FRR", || {
        let (live, dead) = synthetic6_in_frr(&frr);
        live.is_empty() && (dead == 0 || dead == want_lsas.len())
    })
    .unwrap_or_else(|e| {
        let (live, dead) = synthetic6_in_frr(&frr);
        panic!("{e}: FRR has {} live synthetic LSAs, {dead} MaxAge", live.len())
    });
    mark("the synthetic LSAs flushed in FRR");
    wait_until(Duration::from_secs(30), POLL, "no route into the synthetic area", || {
        frr6_stub_routes(&frr).is_empty()
    })
    .unwrap_or_else(|e| panic!("{e}"));
    mark("no route into the synthetic area");
}
