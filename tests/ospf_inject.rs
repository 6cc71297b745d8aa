//! `ospf-router --inject-topology` against FRR ospfd in network namespaces
//! (needs root and FRR): our engine, with a synthetic area of 500 routers
//! injected into its database, hands it to FRR over one point-to-point
//! adjacency. FRR must hold every router-LSA, route to every synthetic stub
//! network at the cost an independent shortest-path calculation over the
//! same topology gives, run SPF again on each toggled instance of router
//! 0, and drop the area when the injector stops and flushes it.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use integration_tests::{p2p_pair, serial};
use netlab::{wait_until, Frr, FrrDaemon, Lab, Netns};
use ospf_router::inject::{self, InjectConfig};
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

#[test]
fn frr_takes_an_injected_area_of_500_routers() {
    let _serial = serial();
    let t0 = Instant::now();
    let mark = |what: &str| eprintln!("{:>6} ms  {what}", t0.elapsed().as_millis());
    let lab = Lab::new("oinj").expect("lab");
    let (us, peer) = p2p_pair(&lab);
    let dir = lab.subdir("frr").expect("state folder");
    let frr = Frr::start(&peer, &dir, &[(FrrDaemon::Ospfd, FRR_CONF)]).expect("FRR starts");
    let mut injector = Injector::start(
        &us,
        InjectConfig {
            interface: "eth0".into(),
            router_id: None,
            routers: ROUTERS,
            seed: topology::BENCH_SEED,
            area: ospf_lsdb::AreaId(0),
            hello_interval: 1,
            dead_interval: 4,
            refresh: Duration::from_secs(2),
        },
    );

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
    let dist = distances(&topo);
    let mut want: Vec<(String, u64)> = Vec::new();
    for (i, links) in topo.iter().enumerate() {
        for l in links {
            if let SynthLink::Stub { net, cost } = *l {
                let c = FRR_COST + u32::from(inject::LINK_COST) + dist[i] + u32::from(cost);
                want.push((format!("{net}/24"), u64::from(c)));
            }
        }
    }
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
