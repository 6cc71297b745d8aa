//! OSPFv2 interop in network namespaces (needs root, FRR and BIRD): our
//! router (the `ospf-router` example, run in-process on a thread inside its
//! namespace) against FRR `ospfd` and BIRD.
//!
//! Every test builds its own lab with `netlab`, which deletes the
//! namespaces and stops the daemons when it drops, also on failure. Hello 1 s
//! and Dead 4 s everywhere keep the waits short; every wait is bounded.

use std::collections::BTreeMap;
use std::time::Duration;

use integration_tests::{bird_neighbor, p2p_pair, OspfRouter as Ours};
use netlab::{wait_until, Bird, Frr, FrrDaemon, Lab, Netns};
use serde_json::Value;

/// Configurations shared with the lab scripts.
const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/ospf-interop");

const POLL: Duration = Duration::from_millis(200);

fn read_data(name: &str) -> String {
    std::fs::read_to_string(format!("{DATA}/{name}"))
        .unwrap_or_else(|e| panic!("{DATA}/{name}: {e}"))
}

/// FRR zebra + ospfd in `ns` with `ospfd.conf` text.
fn frr(lab: &Lab, ns: &Netns, name: &str, ospfd: &str) -> Frr {
    let dir = lab.subdir(name).expect("state folder");
    Frr::start(ns, &dir, &[(FrrDaemon::Ospfd, ospfd)]).expect("FRR starts")
}

/// FRR's state for neighbour `rid` (`Full/DR`, `2-Way/DROther`, ...).
fn frr_neighbor(frr: &Frr, rid: &str) -> Option<String> {
    let v = frr.vtysh_json("show ip ospf neighbor json").ok()?;
    let list = v.get("neighbors")?.get(rid)?.as_array()?;
    list.first()?.get("nbrState")?.as_str().map(str::to_owned)
}

const WAIT_FULL: Duration = Duration::from_secs(30);

// ----- point-to-point --------------------------------------------------------

#[test]
fn point_to_point_full_with_frr() {
    let lab = Lab::new("ospfp").expect("lab");
    let (us, peer) = p2p_pair(&lab);
    peer.add_bridge("stub0").expect("stub bridge");
    peer.add_addr("stub0", "192.0.2.1/24").expect("addr");
    let frr = frr(&lab, &peer, "frr", &read_data("frr-p2p.conf"));
    let ours = Ours::start(&us, &read_data("ours-p2p.toml"));
    let full = wait_until(WAIT_FULL, POLL, "both sides Full", || {
        ours.neighbor_state("10.0.0.2").as_deref() == Some("Full")
            && frr_neighbor(&frr, "10.0.0.1").is_some_and(|s| s.starts_with("Full"))
    });
    ours.assert_no_error();
    full.unwrap_or_else(|e| {
        panic!(
            "{e}: ours {:?}, FRR {:?}",
            ours.events_of("neighbor"),
            frr_neighbor(&frr, "10.0.0.1")
        )
    });
    // FRR's stub network 192.0.2.0/24 (a bridge) reaches us intra-area.
    wait_until(Duration::from_secs(30), POLL, "FRR's stub network in our table", || {
        ours.table().get("192.0.2.0/24").is_some_and(|r| r["path_type"] == "Intra-Area")
    })
    .unwrap_or_else(|e| {
        panic!(
            "{e}: ours {}\nFRR:\n{}",
            ours.timeline(),
            frr.vtysh("show ip ospf database router").unwrap_or_default()
        )
    });
    let r = &ours.table()["192.0.2.0/24"];
    eprintln!("stub route at {} ms", r["t_ms"]);
    assert_eq!(r["cost"], 20, "our cost 10 + FRR's stub cost 10: {r}");
    assert_eq!(r["next_hops"][0]["addr"], "10.0.0.2", "{r}");
}

#[test]
fn point_to_point_full_with_bird() {
    let lab = Lab::new("ospfp").expect("lab");
    let (us, peer) = p2p_pair(&lab);
    peer.add_bridge("stub0").expect("stub bridge");
    peer.add_addr("stub0", "192.0.2.1/24").expect("addr");
    let dir = lab.subdir("bird").expect("state folder");
    let bird = Bird::start(&peer, &dir, &read_data("bird-p2p.conf")).expect("BIRD starts");
    let ours = Ours::start(&us, &read_data("ours-p2p.toml"));
    let full = wait_until(WAIT_FULL, POLL, "both sides Full", || {
        ours.neighbor_state("10.0.0.2").as_deref() == Some("Full")
            && bird_neighbor(&bird, "10.0.0.1").is_some_and(|s| s.starts_with("Full"))
    });
    ours.assert_no_error();
    full.unwrap_or_else(|e| {
        panic!(
            "{e}: ours {:?}, BIRD {:?}",
            ours.events_of("neighbor"),
            bird.birdc("show ospf neighbors")
        )
    });
    // BIRD's stub network reaches us intra-area, cost 10 + 10.
    wait_until(Duration::from_secs(30), POLL, "BIRD's stub network in our table", || {
        ours.table().get("192.0.2.0/24").is_some_and(|r| {
            r["path_type"] == "Intra-Area"
                && r["cost"] == 20
                && r["next_hops"][0]["addr"] == "10.0.0.2"
        })
    })
    .unwrap_or_else(|e| panic!("{e}: {}", ours.timeline()));
}

/// The LSA of FRR's `show ip ospf database KIND` for `id` advertised by
/// `adv`, as text.
fn frr_lsa(frr: &Frr, kind: &str, id: &str, adv: &str) -> Option<String> {
    let db = frr.vtysh(&format!("show ip ospf database {kind}")).ok()?;
    db.split("LS age")
        .find(|l| {
            l.contains(&format!("Link State ID: {id} "))
                && l.contains(&format!("Advertising Router: {adv}\n"))
        })
        .map(str::to_string)
}

#[test]
fn nssa_with_frr_as_translator() {
    let lab = Lab::new("ospfn").expect("lab");
    let (us, peer) = p2p_pair(&lab);
    peer.add_bridge("stub0").expect("stub bridge");
    peer.add_addr("stub0", "192.0.2.1/24").expect("addr");
    let frr = frr(&lab, &peer, "frr", &read_data("frr-nssa.conf"));
    let ours = Ours::start(&us, &read_data("ours-nssa.toml"));
    // RFC 3101 §2.1: both set the N-bit in their Hellos, or no adjacency.
    let full = wait_until(WAIT_FULL, POLL, "both sides Full", || {
        ours.neighbor_state("10.0.0.2").as_deref() == Some("Full")
            && frr_neighbor(&frr, "10.0.0.1").is_some_and(|s| s.starts_with("Full"))
    });
    ours.assert_no_error();
    full.unwrap_or_else(|e| panic!("{e}: ours {:?}", ours.events_of("hello_mismatch")));
    // The backbone's stub network reaches us as an inter-area route.
    wait_until(Duration::from_secs(30), POLL, "FRR's backbone network in our table", || {
        ours.table().get("192.0.2.0/24").is_some_and(|r| r["path_type"] == "Inter-Area")
    })
    .unwrap_or_else(|e| panic!("{e}: {}", ours.timeline()));
    // Our type 7 LSA as FRR decodes it: P-bit, our address as forwarding
    // address; FRR routes it and translates it into a type 5 of its own.
    let translated = wait_until(WAIT_FULL, POLL, "FRR's translation of our type 7", || {
        frr_lsa(&frr, "external", "10.244.7.0", "10.0.0.2").is_some()
    });
    let ours7 = frr_lsa(&frr, "nssa-external", "10.244.7.0", "10.0.0.1");
    translated.unwrap_or_else(|e| panic!("{e}: our type 7 at FRR: {ours7:?}"));
    let ours7 = ours7.unwrap_or_default();
    assert!(ours7.contains("|N/P|"), "{ours7}");
    assert!(ours7.contains("Forward Address: 10.0.0.1"), "{ours7}");
    // FRR 8.4 keeps the forwarding address but writes metric 20 into the
    // translation, where RFC 3101 §3.2 copies the type 7's (30, which FRR
    // decodes above); ospf6d copies it.
    let t5 = frr_lsa(&frr, "external", "10.244.7.0", "10.0.0.2").unwrap_or_default();
    assert!(t5.contains("Forward Address: 10.0.0.1"), "{t5}");
    assert!(ours7.contains("Metric: 30"), "{ours7}");
    let routes = frr.vtysh("show ip ospf route").unwrap_or_default();
    assert!(routes.lines().any(|l| l.contains("10.244.7.0/24") && l.contains("N E2")), "{routes}");
}

// ----- broadcast segment of three ---------------------------------------------

/// FRR's view of its own interface: (state, DR ID, BDR ID).
fn frr_interface(frr: &Frr, iface: &str) -> Option<(String, String, String)> {
    let v = frr.vtysh_json(&format!("show ip ospf interface {iface} json")).ok()?;
    let i = v.get("interfaces")?.get(iface)?;
    let s = |k: &str| i.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
    Some((s("state"), s("drId"), s("bdrId")))
}

#[test]
fn broadcast_segment_elects_the_same_dr_and_bdr_everywhere() {
    let lab = Lab::new("ospfb").expect("lab");
    let us = lab.node("us").expect("node");
    let f = lab.node("frr").expect("node");
    let b = lab.node("bird").expect("node");
    lab.segment("sw", &[(&us, "eth0"), (&f, "eth0"), (&b, "eth0")]).expect("segment");
    us.add_addr("eth0", "192.168.5.1/24").expect("addr");
    f.add_addr("eth0", "192.168.5.2/24").expect("addr");
    b.add_addr("eth0", "192.168.5.3/24").expect("addr");
    let ours = Ours::start(&us, &read_data("ours-broadcast.toml"));
    let frr = frr(&lab, &f, "frr", &read_data("frr-broadcast.conf"));
    let bird_dir = lab.subdir("bird").expect("state folder");
    let bird = Bird::start(&b, &bird_dir, &read_data("bird-broadcast.conf")).expect("BIRD");

    let agreed = wait_until(Duration::from_secs(40), POLL, "DR/BDR agreed and all Full", || {
        let our_if = ours.events_of("interface").last().cloned().unwrap_or_default();
        our_if["new"] == "DR"
            && our_if["dr"] == "10.5.0.1"
            && our_if["bdr"] == "10.5.0.2"
            && ours.neighbor_state("10.5.0.2").as_deref() == Some("Full")
            && ours.neighbor_state("10.5.0.3").as_deref() == Some("Full")
            && frr_interface(&frr, "eth0")
                == Some(("Backup".into(), "10.5.0.1".into(), "10.5.0.2".into()))
            && frr_neighbor(&frr, "10.5.0.1").as_deref() == Some("Full/DR")
            && frr_neighbor(&frr, "10.5.0.3").as_deref() == Some("Full/DROther")
            && bird_neighbor(&bird, "10.5.0.1").as_deref() == Some("Full/DR")
            && bird_neighbor(&bird, "10.5.0.2").as_deref() == Some("Full/BDR")
    });
    ours.assert_no_error();
    agreed.unwrap_or_else(|e| {
        panic!(
            "{e}\nours: {}\nFRR interface {:?}, neighbours {:?}\nBIRD:\n{}",
            ours.timeline(),
            frr_interface(&frr, "eth0"),
            frr.vtysh("show ip ospf neighbor"),
            bird.birdc("show ospf neighbors").unwrap_or_default()
        )
    });
    // Our network-LSA as DR gives everybody the segment, us included.
    wait_until(Duration::from_secs(20), POLL, "the segment in our table", || {
        ours.table().get("192.168.5.0/24").is_some_and(|r| r["cost"] == 10)
    })
    .unwrap_or_else(|e| panic!("{e}: {}", ours.timeline()));
    wait_until(Duration::from_secs(20), POLL, "the segment in FRR's OSPF routes", || {
        frr.vtysh_json("show ip ospf route json").is_ok_and(|v| v["192.168.5.0/24"]["cost"] == 10)
    })
    .unwrap_or_else(|e| panic!("{e}: {:?}", frr.vtysh("show ip ospf route")));
}

#[test]
fn broadcast_segment_as_drother_keeps_the_segment_route() {
    let lab = Lab::new("ospfo").expect("lab");
    let us = lab.node("us").expect("node");
    let f = lab.node("frr").expect("node");
    let b = lab.node("bird").expect("node");
    lab.segment("sw", &[(&us, "eth0"), (&f, "eth0"), (&b, "eth0")]).expect("segment");
    us.add_addr("eth0", "192.168.5.1/24").expect("addr");
    f.add_addr("eth0", "192.168.5.2/24").expect("addr");
    b.add_addr("eth0", "192.168.5.3/24").expect("addr");
    let ours = Ours::start(&us, &read_data("ours-broadcast-drother.toml"));
    let frr = frr(&lab, &f, "frr", &read_data("frr-broadcast-dr.conf"));
    let bird_dir = lab.subdir("bird").expect("state folder");
    let bird = Bird::start(&b, &bird_dir, &read_data("bird-broadcast-bdr.conf")).expect("BIRD");

    // FRR (priority 10) is DR, BIRD (5) BDR, we (1) DROther; our last
    // interface event names both.
    let agreed = wait_until(Duration::from_secs(40), POLL, "DR/BDR agreed and all Full", || {
        let our_if = ours.events_of("interface").last().cloned().unwrap_or_default();
        our_if["new"] == "DR Other"
            && our_if["dr"] == "10.5.0.2"
            && our_if["bdr"] == "10.5.0.3"
            && ours.neighbor_state("10.5.0.2").as_deref() == Some("Full")
            && ours.neighbor_state("10.5.0.3").as_deref() == Some("Full")
            && frr_interface(&frr, "eth0")
                == Some(("DR".into(), "10.5.0.2".into(), "10.5.0.3".into()))
            && frr_neighbor(&frr, "10.5.0.1").as_deref() == Some("Full/DROther")
            && bird_neighbor(&bird, "10.5.0.2").as_deref() == Some("Full/DR")
    });
    ours.assert_no_error();
    agreed.unwrap_or_else(|e| {
        panic!(
            "{e}\nours: {}\nFRR interface {:?}, neighbours {:?}\nBIRD:\n{}",
            ours.timeline(),
            frr_interface(&frr, "eth0"),
            frr.vtysh("show ip ospf neighbor"),
            bird.birdc("show ospf neighbors").unwrap_or_default()
        )
    });
    // FRR's network-LSA as DR gives us the segment through our transit
    // link. Between our transit link and FRR's next network-LSA listing us
    // (MinLSInterval, 5 s) the segment may briefly leave our table (§16.1:
    // the network must link back); it must come back and stay.
    let stable = Duration::from_secs(7);
    wait_until(Duration::from_secs(30), POLL, "the segment in our table, stable", || {
        ours.table().get("192.168.5.0/24").is_some_and(|r| {
            let added = Duration::from_millis(r["t_ms"].as_u64().unwrap_or(u64::MAX));
            r["cost"] == 10 && ours.started().elapsed().saturating_sub(added) >= stable
        })
    })
    .unwrap_or_else(|e| {
        panic!(
            "{e}: {}\nFRR:\n{}",
            ours.timeline(),
            frr.vtysh("show ip ospf database").unwrap_or_default()
        )
    });
}

// ----- MTU mismatch ----------------------------------------------------------

#[test]
fn mtu_mismatch_is_reported_and_blocks_full() {
    let lab = Lab::new("ospfm").expect("lab");
    let (us, peer) = p2p_pair(&lab);
    us.set_mtu("eth0", 1400).expect("mtu");
    peer.add_bridge("stub0").expect("stub bridge");
    peer.add_addr("stub0", "192.0.2.1/24").expect("addr");
    let frr = frr(&lab, &peer, "frr", &read_data("frr-p2p.conf"));
    let ours = Ours::start(&us, &read_data("ours-p2p.toml"));
    wait_until(Duration::from_secs(20), POLL, "an MTU mismatch event", || {
        !ours.events_of("mtu-mismatch").is_empty()
    })
    .unwrap_or_else(|e| panic!("{e}: {}", ours.timeline()));
    let ev = &ours.events_of("mtu-mismatch")[0];
    assert_eq!(ev["neighbor_mtu"], 1500, "{ev}");
    assert_eq!(ev["local_mtu"], 1400, "{ev}");
    assert_eq!(ev["router_id"], "10.0.0.2", "{ev}");
    // Bounded wait: ten more Hello intervals, and still not Full.
    std::thread::sleep(Duration::from_secs(10));
    assert_ne!(ours.neighbor_state("10.0.0.2").as_deref(), Some("Full"), "{}", ours.timeline());
    let theirs = frr_neighbor(&frr, "10.0.0.1").unwrap_or_default();
    assert!(!theirs.starts_with("Full"), "FRR says {theirs}");
    ours.assert_no_error();
}

// ----- MD5 authentication ----------------------------------------------------

#[test]
fn md5_with_frr_comes_up() {
    let lab = Lab::new("ospfa").expect("lab");
    let (us, peer) = p2p_pair(&lab);
    let frr = frr(&lab, &peer, "frr", &read_data("frr-p2p-md5.conf"));
    let ours = Ours::start(&us, &read_data("ours-p2p-md5.toml"));
    let full = wait_until(WAIT_FULL, POLL, "both sides Full with MD5", || {
        ours.neighbor_state("10.0.0.2").as_deref() == Some("Full")
            && frr_neighbor(&frr, "10.0.0.1").is_some_and(|s| s.starts_with("Full"))
    });
    ours.assert_no_error();
    full.unwrap_or_else(|e| panic!("{e}: {}", ours.timeline()));
    assert!(ours.events_of("auth-failure").is_empty(), "{}", ours.timeline());
}

#[test]
fn md5_with_a_wrong_key_stays_down() {
    let lab = Lab::new("ospfa").expect("lab");
    let (us, peer) = p2p_pair(&lab);
    let frr = frr(&lab, &peer, "frr", &read_data("frr-p2p-md5.conf"));
    let wrong = read_data("ours-p2p-md5.toml").replace("s3cr3t-key", "not-the-key");
    let ours = Ours::start(&us, &wrong);
    wait_until(Duration::from_secs(10), POLL, "authentication failures", || {
        ours.events_of("auth-failure").len() >= 3
    })
    .unwrap_or_else(|e| panic!("{e}: {}", ours.timeline()));
    // FRR's Hellos are rejected, so we never even see the neighbour.
    assert_eq!(ours.neighbor_state("10.0.0.2"), None, "{}", ours.timeline());
    assert_eq!(frr_neighbor(&frr, "10.0.0.1"), None, "FRR rejects ours too");
    assert_eq!(ours.events_of("auth-failure")[0]["src"], "10.0.0.2");
    ours.assert_no_error();
}

// ----- seed deployment 3 -----------------------------------------------------

/// A route reduced to what both sides can be compared on: path type,
/// cost, type-2 cost and next hops (`direct:IF` or the address).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Comparable {
    path_type: String,
    cost: u64,
    type2_cost: Option<u64>,
    next_hops: Vec<String>,
}

/// Our table in comparable form.
fn our_comparable(ours: &Ours) -> BTreeMap<String, Comparable> {
    ours.table()
        .into_iter()
        .map(|(prefix, r)| {
            let mut next_hops: Vec<String> = r["next_hops"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|nh| match nh["addr"].as_str() {
                            Some(addr) => addr.to_owned(),
                            None => format!("direct:{}", nh["interface"].as_str().unwrap_or("?")),
                        })
                        .collect()
                })
                .unwrap_or_default();
            next_hops.sort();
            let c = Comparable {
                path_type: r["path_type"].as_str().unwrap_or_default().to_owned(),
                cost: r["cost"].as_u64().unwrap_or(u64::MAX),
                type2_cost: r["type2_cost"].as_u64(),
                next_hops,
            };
            (prefix, c)
        })
        .collect()
}

/// FRR's `show ip ospf route json` in comparable form: network routes only
/// (FRR lists routers under their router ID, without a prefix length).
fn frr_comparable(v: &Value) -> BTreeMap<String, Comparable> {
    let mut out = BTreeMap::new();
    let Some(map) = v.as_object() else { return out };
    for (prefix, r) in map {
        if !prefix.contains('/') {
            continue;
        }
        let path_type = match r["routeType"].as_str().unwrap_or_default().trim() {
            "N" => match r["area"].as_str() {
                Some(_) => "Intra-Area",
                None => "?",
            },
            "N IA" => "Inter-Area",
            "N E1" => "Type 1 ext",
            "N E2" => "Type 2 ext",
            other => other,
        };
        let mut next_hops: Vec<String> = r["nexthops"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|nh| match nh["directlyAttachedTo"].as_str() {
                        Some(iface) => format!("direct:{iface}"),
                        None => nh["ip"].as_str().unwrap_or_default().trim().to_owned(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        next_hops.sort();
        let c = Comparable {
            path_type: path_type.to_owned(),
            cost: r["cost"].as_u64().unwrap_or(u64::MAX),
            type2_cost: r["type2cost"].as_u64(),
            next_hops,
        };
        out.insert(prefix.clone(), c);
    }
    out
}

#[test]
fn deployment_3_externals_reach_frr_and_tables_match() {
    let lab = Lab::new("ospfd").expect("lab");
    let us = lab.node("us").expect("node");
    let r1 = lab.node("r1").expect("node");
    let r2 = lab.node("r2").expect("node");
    let r3 = lab.node("r3").expect("node");
    let twin = lab.node("twin").expect("node");
    lab.segment("vlan", &[(&us, "eth0"), (&r1, "eth0"), (&r3, "eth0"), (&twin, "eth0")])
        .expect("segment");
    lab.veth(&r1, "p2", &r2, "p1").expect("veth");
    lab.veth(&r3, "p2", &r2, "p3").expect("veth");
    for (ns, iface, cidr) in [
        (&us, "eth0", "192.168.2.1/24"),
        (&r1, "eth0", "192.168.2.2/24"),
        (&r3, "eth0", "192.168.2.3/24"),
        (&twin, "eth0", "192.168.2.4/24"),
        (&r1, "p2", "10.0.12.1/30"),
        (&r2, "p1", "10.0.12.2/30"),
        (&r3, "p2", "10.0.32.1/30"),
        (&r2, "p3", "10.0.32.2/30"),
    ] {
        ns.add_addr(iface, cidr).expect("addr");
    }
    for (ns, bridge, cidr) in [
        (&r1, "stub0", "172.20.1.1/24"),
        (&r2, "stub0", "172.20.2.1/24"),
        (&r2, "ext0", "198.51.100.1/24"),
    ] {
        ns.add_bridge(bridge).expect("bridge");
        ns.add_addr(bridge, cidr).expect("addr");
    }
    let f1 = frr(&lab, &r1, "r1", &read_data("deploy3-r1.conf"));
    let _f2 = frr(&lab, &r2, "r2", &read_data("deploy3-r2.conf"));
    let _f3 = frr(&lab, &r3, "r3", &read_data("deploy3-r3.conf"));
    let ft = frr(&lab, &twin, "twin", &read_data("deploy3-twin.conf"));
    let mut ours = Ours::start_with(&us, &read_data("ours-deploy3.toml"), true);

    // FRR r1 installs our pod route as a type-2 external, metric 20, via
    // the forwarding address on the VLAN.
    let pod = "10.244.1.0/24";
    let r1_route = || -> Option<Value> {
        let v = f1.vtysh_json(&format!("show ip route {pod} json")).ok()?;
        v.get(pod)?.as_array()?.iter().find(|r| r["protocol"] == "ospf").cloned()
    };
    wait_until(Duration::from_secs(60), POLL, "our external in FRR's RIB", || r1_route().is_some())
        .unwrap_or_else(|e| {
            panic!(
                "{e}\nours: {}\nr1 database:\n{}",
                ours.timeline(),
                f1.vtysh("show ip ospf database").unwrap_or_default()
            )
        });
    let r = r1_route().unwrap_or_default();
    assert_eq!(r["metric"], 20, "type-2 metric: {r}");
    assert_eq!(r["nexthops"][0]["ip"], "192.168.2.65", "forwarding address: {r}");
    let ext = f1.vtysh_json("show ip ospf route json").expect("r1 routes");
    assert_eq!(ext[pod]["routeType"], "N E2", "{}", ext[pod]);
    assert_eq!(ext[pod]["type2cost"], 20, "{}", ext[pod]);

    // Our table equals the twin's (same place, same cost), our own
    // external aside.
    let expected_prefixes = [
        "10.0.12.0/30",
        "10.0.32.0/30",
        "172.20.1.0/24",
        "172.20.2.0/24",
        "192.168.2.0/24",
        "198.51.100.0/24",
    ];
    let theirs = || {
        let mut t = ft
            .vtysh_json("show ip ospf route json")
            .map(|v| frr_comparable(&v))
            .unwrap_or_default();
        t.remove(pod);
        t
    };
    // Converged: every prefix there and both paths to r2 in use (the
    // tables can agree for a moment before that); then equal.
    let same = wait_until(Duration::from_secs(60), POLL, "our table equals the twin's", || {
        let t = theirs();
        expected_prefixes.iter().all(|p| t.contains_key(*p))
            && t.get("172.20.2.0/24").is_some_and(|r| r.next_hops.len() == 2)
            && our_comparable(&ours) == t
    });
    ours.assert_no_error();
    same.unwrap_or_else(|e| {
        panic!(
            "{e}\nours:  {:#?}\ntwin: {:#?}\nraw twin: {}",
            our_comparable(&ours),
            theirs(),
            ft.vtysh("show ip ospf route json").unwrap_or_default()
        )
    });
    let table = our_comparable(&ours);
    eprintln!("tables agree on {} routes:", table.len());
    for (p, r) in &table {
        eprintln!(
            "  {p:<18} {:<11} cost {:>3} {:?} via {:?}",
            r.path_type, r.cost, r.type2_cost, r.next_hops
        );
    }
    // Two equal-cost paths to r2's stub, through r1 and through r3.
    assert_eq!(table["172.20.2.0/24"].next_hops, vec!["192.168.2.2", "192.168.2.3"]);
    assert_eq!(table["172.20.2.0/24"].cost, 40);
    assert_eq!(table["198.51.100.0/24"].path_type, "Type 1 ext");

    // The final table (`--show-rib`): the same networks, and the route to
    // the AS boundary router r2 equal to the twin's.
    let twin_raw = ft.vtysh_json("show ip ospf route json").expect("twin routes");
    let twin_r2 = twin_raw["10.2.0.2"].clone();
    let events = ours.stop();
    let rib: Vec<&Value> = events.iter().filter(|e| e["event"] == "rib").collect();
    let networks: Vec<&str> = rib
        .iter()
        .filter(|e| e["type"] == "Network")
        .filter_map(|e| e["prefix"].as_str())
        .collect();
    assert_eq!(networks, table.keys().map(String::as_str).collect::<Vec<_>>());
    let r2 = rib
        .iter()
        .find(|e| e["type"] == "Router" && e["destination"] == "10.2.0.2")
        .unwrap_or_else(|| panic!("no route to ASBR r2 in {rib:?}"));
    assert_eq!(r2["path_type"], "Intra-Area Router", "{r2}");
    assert_eq!(r2["asbr"], true, "{r2}");
    assert!(twin_r2["cost"].is_u64(), "the twin routes to r2: {twin_raw}");
    assert_eq!(r2["cost"], twin_r2["cost"], "ours {r2}, twin {twin_r2}");
    let mut ours_nh: Vec<&str> = r2["next_hops"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["addr"].as_str())
        .collect();
    ours_nh.sort_unstable();
    let twin_nh = frr_comparable(&serde_json::json!({ "r2/32": twin_r2 }))
        .remove("r2/32")
        .map(|c| c.next_hops)
        .unwrap_or_default();
    assert_eq!(twin_nh.len(), 2, "r2 through r1 and r3: {twin_r2}");
    assert_eq!(ours_nh, twin_nh, "ours {r2}, twin {twin_r2}");
}

// ----- BFD -------------------------------------------------------------------

/// BFD with FRR (`ip ospf bfd` on both sides, 300 ms x 3) under a RouterDeadInterval of
/// 40 s: when the link is cut behind a bridge (no interface goes down), both sides drop the
/// adjacency within about a second; when it is back, they are Full again.
#[test]
fn bfd_drops_the_adjacency_with_frr_long_before_the_dead_interval() {
    let lab = Lab::new("ospfbfd").expect("lab");
    let us = lab.node("us").expect("node");
    let peer = lab.node("peer").expect("node");
    let switch = lab.segment("sw", &[(&peer, "eth0"), (&us, "eth0")]).expect("segment");
    us.add_addr("eth0", "10.0.0.1/24").expect("addr");
    peer.add_addr("eth0", "10.0.0.2/24").expect("addr");
    let ospfd = "hostname frr-bfd\ninterface eth0\n ip ospf network point-to-point\n \
                 ip ospf hello-interval 10\n ip ospf dead-interval 40\n ip ospf bfd\n!\n\
                 router ospf\n ospf router-id 10.0.0.2\n network 10.0.0.0/24 area 0.0.0.0\n!\n";
    let dir = lab.subdir("frr").expect("state folder");
    let frr = Frr::start(
        &peer,
        &dir,
        &[(FrrDaemon::Zebra, ""), (FrrDaemon::Bfdd, ""), (FrrDaemon::Ospfd, ospfd)],
    )
    .expect("FRR starts");
    let ours = Ours::start(
        &us,
        "router-id = \"10.0.0.1\"\n\n[[interface]]\nname = \"eth0\"\narea = \"0.0.0.0\"\n\
         network = \"point-to-point\"\nhello-interval = 10\ndead-interval = 40\nbfd = true\n",
    );
    let both_full = |ours: &Ours| {
        ours.neighbor_state("10.0.0.2").as_deref() == Some("Full")
            && frr_neighbor(&frr, "10.0.0.1").is_some_and(|s| s.starts_with("Full"))
    };
    wait_until(Duration::from_secs(60), POLL, "both sides Full", || both_full(&ours))
        .unwrap_or_else(|e| panic!("{e}: {}", ours.timeline()));
    wait_until(Duration::from_secs(30), POLL, "FRR's BFD session up", || {
        frr.vtysh_json("show bfd peers json")
            .map(|v| v.as_array().is_some_and(|a| a.iter().any(|p| p["status"] == "up")))
            .unwrap_or(false)
    })
    .unwrap_or_else(|e| panic!("{e}: {}", frr.vtysh("show bfd peers").unwrap_or_default()));
    ours.assert_no_error();

    // The cut: FRR's port leaves the bridge.
    switch.ip(&["link", "set", "p0", "nomaster"]).expect("cut");
    let cut = std::time::Instant::now();
    let (mut mine, mut theirs) = (None, None);
    while cut.elapsed() < Duration::from_secs(10) && (mine.is_none() || theirs.is_none()) {
        if mine.is_none() && ours.neighbor_state("10.0.0.2").as_deref() != Some("Full") {
            mine = Some(cut.elapsed());
        }
        if theirs.is_none() && frr_neighbor(&frr, "10.0.0.1").is_none_or(|s| !s.starts_with("Full"))
        {
            theirs = Some(cut.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    eprintln!("adjacency down after the cut: ours {mine:?}, FRR's {theirs:?} (dead interval 40 s)");
    let mine = mine.unwrap_or_else(|| panic!("ours stayed Full: {}", ours.timeline()));
    let theirs = theirs.expect("FRR's stayed Full");
    // Detection is 900 ms; the rest is polling. The dead interval would take 40 s.
    assert!(mine < Duration::from_secs(2), "ours after {mine:?}");
    assert!(theirs < Duration::from_secs(2), "FRR's after {theirs:?}");
    let killed = ours.events_of("neighbor");
    assert!(killed.iter().any(|e| e["reason"] == "BFD down"), "{}", ours.timeline());

    // The link comes back: Full again on both sides.
    switch.ip(&["link", "set", "p0", "master", "br0"]).expect("repair");
    wait_until(Duration::from_secs(60), POLL, "both sides Full again", || both_full(&ours))
        .unwrap_or_else(|e| panic!("{e}: {}", ours.timeline()));
}

// ----- forged packets ----------------------------------------------------------

/// Sends `count` OSPF Hellos from `ns` to AllSPFRouters out of `iface`, with the source
/// address the kernel gives that interface: a forger on the link, TTL 1 as OSPF sends.
fn send_hellos(ns: &Netns, iface: &str, from: ospf_lsdb::RouterId, count: usize) {
    use ospf_lsdb::lsa::Options;
    use ospf_lsdb::packet::{self, Auth, Body, Hello};
    use socket2::{Domain, Protocol, SockAddr, Socket, Type};
    let _inside = ns.enter().expect("enter");
    let s = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(89))).expect("raw socket");
    s.bind_device(Some(iface.as_bytes())).expect("bind to the interface");
    s.set_multicast_ttl_v4(1).expect("ttl");
    let hello = Body::Hello(Hello {
        network_mask: std::net::Ipv4Addr::new(255, 255, 255, 252),
        hello_interval: 1,
        options: Options::E,
        router_priority: 255,
        router_dead_interval: 4,
        designated_router: std::net::Ipv4Addr::UNSPECIFIED,
        backup_designated_router: std::net::Ipv4Addr::UNSPECIFIED,
        // It claims to see us: on a real neighbour this makes 2-Way at once.
        neighbors: vec![ospf_lsdb::RouterId(0x0a00_0001)],
    });
    let bytes = packet::encode(from, ospf_lsdb::AreaId(0), &hello, &Auth::Null, 0);
    let to = SockAddr::from(std::net::SocketAddrV4::new(std::net::Ipv4Addr::new(224, 0, 0, 5), 0));
    for _ in 0..count {
        s.send_to(&bytes, &to).expect("send");
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// RFC 2328 §8.2 against the running router: Hellos from an address off the link's subnet
/// (192.0.2.0/30, the forger at 198.51.100.7) form no neighbour and are counted; the same
/// Hellos from an address on the subnet do form one (the forger's path works).
#[test]
fn hellos_from_off_the_subnet_form_no_neighbour() {
    let lab = Lab::new("forge").expect("lab");
    let us = lab.node("us").expect("node");
    let forger = lab.node("forger").expect("node");
    lab.veth(&us, "eth0", &forger, "eth0").expect("veth");
    us.add_addr("eth0", "192.0.2.1/30").expect("addr");
    forger.add_addr("eth0", "198.51.100.7/24").expect("addr");
    let mut ours = Ours::start(
        &us,
        "router-id = \"10.0.0.1\"\n\n[[interface]]\nname = \"eth0\"\narea = \"0.0.0.0\"\n\
         hello-interval = 1\ndead-interval = 4\n",
    );
    std::thread::sleep(Duration::from_secs(1));
    send_hellos(&forger, "eth0", ospf_lsdb::RouterId(0xc633_6407), 10);
    std::thread::sleep(Duration::from_secs(1));
    let forged: Vec<Value> = ours
        .events_of("neighbor")
        .into_iter()
        .filter(|e| e["router_id"] == "198.51.100.7")
        .collect();
    assert!(forged.is_empty(), "a neighbour from off the subnet: {forged:?}");

    // The same Hellos from the subnet: a neighbour.
    forger.ip(&["addr", "add", "192.0.2.2/30", "dev", "eth0"]).expect("addr");
    forger.ip(&["addr", "del", "198.51.100.7/24", "dev", "eth0"]).expect("addr");
    send_hellos(&forger, "eth0", ospf_lsdb::RouterId(0xc000_0202), 4);
    wait_until(Duration::from_secs(10), POLL, "a neighbour from the subnet", || {
        ours.events_of("neighbor").iter().any(|e| e["router_id"] == "192.0.2.2")
    })
    .unwrap_or_else(|e| panic!("{e}: {}", ours.timeline()));
    let events = ours.stop();
    let counted = events
        .iter()
        .find(|e| e["event"] == "counters")
        .map(|e| e["src_off_subnet"].as_u64().unwrap_or(0))
        .unwrap_or(0);
    assert!(counted >= 10, "off-subnet packets counted: {counted}\n{events:?}");
}
