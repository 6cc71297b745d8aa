//! The hostile-peer OSPFv2 catalogue (`crates/hostile-peer`) against our router (the
//! `ospf-router` example, run in-process on a thread inside its namespace), in network
//! namespaces (needs root and FRR).
//!
//! Lab: `dut` has four links. eth0, point-to-point to FRR `ospfd` (the healthy adjacency,
//! which must stay Full with its routes unchanged); eth1, point-to-point to an accomplice
//! (a second `ospf-router`, Full, in whose name the LSUs are sent, so that they reach the
//! LSA checks of RFC 2328 §13); eth2, broadcast, and eth3, broadcast with keyed MD5, where
//! strangers' Hellos arrive. Every case sends its packets from a raw socket in `hostile`,
//! then reads the router's events: the probe (a neighbour, a route) must appear for the
//! controls and never for the others, and the drop must be reported where the router
//! reports one.

use hostile_peer::ospf::cases::{self, Env, Link, Probe};
use hostile_peer::ospf::{self, Observation, Sender};
use integration_tests::serial;
use integration_tests::OspfRouter as Router;
use ipnet::IpNet;
use netlab::{Frr, FrrDaemon, Lab};
use ospf_wire::{AreaId, RouterId};
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(30);
const MD5_KEY: &str = "hostile-md5-key";

fn wait(what: &str, mut f: impl FnMut() -> bool, detail: impl Fn() -> String) {
    let deadline = Instant::now() + WAIT;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}\n{}", detail());
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn frr_neighbor(frr: &Frr, rid: &str) -> Option<String> {
    let v = frr.vtysh_json("show ip ospf neighbor json").ok()?;
    let list = v.get("neighbors")?.get(rid)?.as_array()?;
    list.first()?.get("nbrState")?.as_str().map(str::to_owned)
}

/// FRR's OSPF routes outside the cases' range, as text to compare.
fn frr_routes(frr: &Frr) -> BTreeMap<String, String> {
    let v = frr.vtysh_json("show ip ospf route json").unwrap_or_default();
    v.as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| k.parse::<IpNet>().is_ok_and(|p| !cases::is_test_prefix(&p)))
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect()
        })
        .unwrap_or_default()
}

const DUT: &str = r#"
router-id = "10.0.0.1"

[[interface]]
name = "eth0"
area = "0.0.0.0"
network = "point-to-point"
hello-interval = 1
dead-interval = 4

[[interface]]
name = "eth1"
area = "0.0.0.0"
network = "point-to-point"
hello-interval = 1
dead-interval = 4

[[interface]]
name = "eth2"
area = "0.0.0.0"
hello-interval = 1
dead-interval = 4

[[interface]]
name = "eth3"
area = "0.0.0.0"
hello-interval = 1
dead-interval = 4
auth = { type = "md5", key-id = 1, key = "hostile-md5-key" }
"#;

const ACCOMPLICE: &str = r#"
router-id = "10.2.0.2"

[[interface]]
name = "eth0"
area = "0.0.0.0"
network = "point-to-point"
hello-interval = 1
dead-interval = 4

[[redistribute]]
prefix = "192.0.2.0/24"
"#;

const FRR_OSPFD: &str = "
interface eth0
 ip ospf network point-to-point
 ip ospf hello-interval 1
 ip ospf dead-interval 4
 ip ospf retransmit-interval 1
!
interface stub0
 ip ospf passive
!
router ospf
 ospf router-id 10.0.0.2
 timers throttle spf 0 50 1000
 timers lsa min-arrival 0
 network 10.0.0.0/30 area 0.0.0.0
 network 198.51.100.0/24 area 0.0.0.0
!
";

#[test]
fn ospf_router_drops_every_malformed_packet() {
    let _s = serial();
    let lab = Lab::new("hosto").expect("lab");
    let dut = lab.node("dut").expect("node");
    let frr_ns = lab.node("frr").expect("node");
    let hostile = lab.node("hostile").expect("node");
    lab.veth(&dut, "eth0", &frr_ns, "eth0").expect("veth");
    lab.veth(&dut, "eth1", &hostile, "eth0").expect("veth");
    lab.veth(&dut, "eth2", &hostile, "eth1").expect("veth");
    lab.veth(&dut, "eth3", &hostile, "eth2").expect("veth");
    for (ns, ifname, addr) in [
        (&dut, "eth0", "10.0.0.1/30"),
        (&frr_ns, "eth0", "10.0.0.2/30"),
        (&dut, "eth1", "10.2.0.1/24"),
        (&hostile, "eth0", "10.2.0.2/24"),
        (&dut, "eth2", "10.3.0.1/24"),
        (&hostile, "eth1", "10.3.0.3/24"),
        (&dut, "eth3", "10.4.0.1/24"),
        (&hostile, "eth2", "10.4.0.3/24"),
    ] {
        ns.add_addr(ifname, addr).expect("addr");
    }
    frr_ns.add_bridge("stub0").expect("bridge");
    frr_ns.add_addr("stub0", "198.51.100.1/24").expect("addr");
    let frr =
        Frr::start(&frr_ns, &lab.subdir("frr").expect("dir"), &[(FrrDaemon::Ospfd, FRR_OSPFD)])
            .expect("FRR starts");
    let router = Router::start(&dut, DUT);
    let accomplice = Router::start(&hostile, ACCOMPLICE);

    let timeline =
        || format!("{:#?}\nFRR: {:?}", router.events(), frr.vtysh("show ip ospf neighbor"));
    wait(
        "both adjacencies Full",
        || {
            router.neighbor_state("10.0.0.2").as_deref() == Some("Full")
                && router.neighbor_state("10.2.0.2").as_deref() == Some("Full")
        },
        timeline,
    );
    wait(
        "the healthy and the accomplice's routes",
        || {
            let t = router.table();
            t.contains_key("198.51.100.0/24") && t.contains_key("192.0.2.0/24")
        },
        timeline,
    );
    wait(
        "FRR Full with us and our routes at FRR",
        || {
            frr_neighbor(&frr, "10.0.0.1").is_some_and(|s| s.starts_with("Full"))
                && frr_routes(&frr).contains_key("192.0.2.0/24")
        },
        timeline,
    );
    // Settled: what must not change from here on.
    std::thread::sleep(Duration::from_secs(2));
    let healthy = |t: BTreeMap<String, Value>| -> BTreeMap<String, String> {
        t.into_iter()
            .filter(|(k, _)| k.parse::<IpNet>().is_ok_and(|p| !cases::is_test_prefix(&p)))
            .map(|(k, v)| (k, v["next_hops"].to_string() + &v["cost"].to_string()))
            .collect()
    };
    let our_routes = healthy(router.table());
    let frr_before = frr_routes(&frr);

    let env = Env {
        area: AreaId(0),
        mask: Ipv4Addr::new(255, 255, 255, 0),
        hello_interval: 1,
        dead_interval: 4,
        md5_key_id: 1,
        md5_key: MD5_KEY.as_bytes().to_vec(),
        accomplice: RouterId(u32::from(Ipv4Addr::new(10, 2, 0, 2))),
        stranger_base: [10, 9, 0],
    };
    let senders = {
        let _inside = hostile.enter().expect("enter");
        [
            (
                Link::Accomplice,
                Sender::new(Ipv4Addr::new(10, 2, 0, 2), "eth0").expect("raw socket"),
                Ipv4Addr::new(10, 2, 0, 1),
            ),
            (
                Link::Broadcast,
                Sender::new(Ipv4Addr::new(10, 3, 0, 3), "eth1").expect("raw socket"),
                Ipv4Addr::new(10, 3, 0, 1),
            ),
            (
                Link::Md5,
                Sender::new(Ipv4Addr::new(10, 4, 0, 3), "eth2").expect("raw socket"),
                Ipv4Addr::new(10, 4, 0, 1),
            ),
        ]
    };
    let mut verdicts = Vec::new();
    for (i, c) in cases::catalogue().iter().enumerate() {
        let (sender, dst, src) = senders
            .iter()
            .find(|(l, _, _)| *l == c.link)
            .map(|(_, s, d)| (s, *d, src_of(c.link)))
            .expect("a sender for every link");
        let mark = router.events().len();
        for p in (c.build)(&env, i) {
            sender.send(dst, &p).expect("send");
        }
        let probe = cases::probe(c, &env, i);
        // Controls and "next LSA used" wait for what must come; the others give the router
        // the time it would have taken (SPF included) to take what must not be taken.
        let deadline = Instant::now() + Duration::from_secs(3);
        let mut o;
        loop {
            o = observe(&router.events()[mark..], probe, src);
            let done = match c.expect {
                cases::Expect::Accepted | cases::Expect::NextLsaUsed => {
                    o.neighbor_seen || o.good_route_seen
                }
                cases::Expect::Dropped(_) => false,
            };
            if done || Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        // The healthy adjacency and its routes.
        for e in &router.events()[mark..] {
            if e["event"] == "neighbor"
                && (e["router_id"] == "10.0.0.2" || e["router_id"] == "10.2.0.2")
            {
                o.health.push(format!("our neighbour {} went {}", e["router_id"], e["new"]));
            }
            if e["event"] == "error" {
                o.health.push(format!("router error {}", e["error"]));
            }
        }
        if healthy(router.table()) != our_routes {
            o.health.push("our routes to the healthy and accomplice networks changed".into());
        }
        if !frr_neighbor(&frr, "10.0.0.1").is_some_and(|s| s.starts_with("Full")) {
            o.health.push(format!("FRR's adjacency: {:?}", frr_neighbor(&frr, "10.0.0.1")));
        }
        if frr_routes(&frr) != frr_before {
            o.health.push("FRR's routes changed".into());
        }
        let v = ospf::judge(c, probe, &o);
        eprintln!("{}", ospf::line(&v));
        verdicts.push(v);
    }
    drop(accomplice);
    let md = ospf::markdown(&verdicts);
    println!("{md}");
    let failed: Vec<&str> = verdicts.iter().filter(|v| !v.pass).map(|v| v.name).collect();
    assert!(failed.is_empty(), "cases failed: {failed:?}\n{md}");
}

/// The source address of each link's packets, as the router reports it.
fn src_of(l: Link) -> Ipv4Addr {
    match l {
        Link::Accomplice => Ipv4Addr::new(10, 2, 0, 2),
        Link::Broadcast => Ipv4Addr::new(10, 3, 0, 3),
        Link::Md5 => Ipv4Addr::new(10, 4, 0, 3),
    }
}

/// What the router's events since the case began say about its probe.
fn observe(events: &[Value], probe: Probe, src: Ipv4Addr) -> Observation {
    let mut o = Observation::default();
    let route = |p: Ipv4Addr| {
        let want = format!("{p}/32");
        events.iter().any(|e| {
            e["event"] == "route" && e["prefix"] == want.as_str() && e["change"] != "delete"
        })
    };
    match probe {
        Probe::Neighbor(rid) => {
            let rid = rid.to_string();
            o.neighbor_seen =
                events.iter().any(|e| e["event"] == "neighbor" && e["router_id"] == rid.as_str());
        }
        Probe::Routes { bad, good } => {
            o.bad_route_seen = route(bad);
            o.good_route_seen = good.is_some_and(route);
        }
        Probe::None => {}
    }
    let src = src.to_string();
    for e in events {
        let kind = e["event"].as_str().unwrap_or_default();
        if matches!(kind, "bad-packet" | "auth-failure" | "hello-mismatch")
            && e["src"] == src.as_str()
        {
            o.drops.push(kind.to_owned());
        }
    }
    o
}
