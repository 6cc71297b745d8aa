//! The `ospf-router` binary running OSPFv3, and OSPFv2 beside it from the
//! same configuration, in network namespaces (needs root, FRR and BIRD 2):
//! Full with FRR `ospf6d` on point-to-point and broadcast links and with
//! BIRD, seed deployment 3 for both versions at once (our externals in FRR's
//! kernel table, our tables equal to those of an FRR router in our place),
//! the RFC 7166 authentication trailer, and two OSPFv3 Instance IDs on one
//! segment (FRR on one, BIRD on the other, one `ospf-router` per instance).
//!
//! Each test builds its own lab with `netlab`, which stops the processes
//! and deletes the namespaces when it drops, also on failure. Hello 1 s and
//! Dead 4 s everywhere keep the waits short; every wait is bounded.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use integration_tests::frr6_neighbor;
use netlab::{wait_until, Bird, ChildGuard, Frr, FrrDaemon, Lab, Netns};
use serde_json::Value;

const POLL: Duration = Duration::from_millis(200);
const WAIT: Duration = Duration::from_secs(40);

/// Configurations shared with `tests/ospf_interop.rs` (the OSPFv2 half of
/// deployment 3).
const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/ospf-interop");

fn read_data(name: &str) -> String {
    std::fs::read_to_string(format!("{DATA}/{name}"))
        .unwrap_or_else(|e| panic!("{DATA}/{name}: {e}"))
}

fn ospf_router_binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| integration_tests::binary("ospf-router"))
}

/// The `ospf-router` binary in a namespace; its stdout (JSON lines) and
/// stderr (logs) go to one file, read back as events.
struct Router {
    child: ChildGuard,
    log: PathBuf,
}

impl Router {
    fn start(lab: &Lab, ns: &Netns, name: &str, toml: &str) -> Router {
        let dir = lab.subdir(name).expect("state folder");
        let conf = dir.join("ospf-router.toml");
        std::fs::write(&conf, toml).expect("write the configuration");
        let log = dir.join("ospf-router.log");
        let bin = ospf_router_binary().to_str().expect("UTF-8 path").to_owned();
        let conf = conf.to_str().expect("UTF-8 path").to_owned();
        let child = ns.spawn_logged(&[&bin, "--show-rib", &conf], &log).expect("start ospf-router");
        Router { child, log }
    }

    fn text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn events(&self) -> Vec<Value> {
        self.text()
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(Value::is_object)
            .collect()
    }

    fn events_of(&self, kind: &str, version: u64) -> Vec<Value> {
        self.events()
            .into_iter()
            .filter(|e| e["event"] == kind && e["version"].as_u64() == Some(version))
            .collect()
    }

    /// The last state reported for neighbour `rid` in `version`.
    fn neighbor_state(&self, version: u64, rid: &str) -> Option<String> {
        self.events_of("neighbor", version)
            .iter()
            .rev()
            .find(|e| e["router_id"] == rid)
            .and_then(|e| e["new"].as_str().map(str::to_owned))
    }

    /// The routing table of `version`, replayed from the route events.
    fn table(&self, version: u64) -> BTreeMap<String, Value> {
        let mut t = BTreeMap::new();
        for e in self.events_of("route", version) {
            let prefix = e["prefix"].as_str().unwrap_or_default().to_owned();
            if e["change"] == "delete" {
                t.remove(&prefix);
            } else {
                t.insert(prefix, e);
            }
        }
        t
    }

    /// Still running: a configuration or socket error ends the process.
    fn assert_running(&mut self) {
        assert!(!self.child.has_exited(), "ospf-router exited:\n{}", self.text());
    }

    /// SIGTERM (our LSAs are flushed, the tables printed); every event.
    fn stop(&mut self) -> Vec<Value> {
        let status = self.child.stop_with(libc::SIGTERM, Duration::from_secs(5));
        assert!(status.is_some_and(|s| s.success()), "exit {status:?}:\n{}", self.text());
        self.events()
    }
}

/// FRR with zebra and the given daemons in `ns`.
fn frr(lab: &Lab, ns: &Netns, name: &str, daemons: &[(FrrDaemon, &str)]) -> Frr {
    let dir = lab.subdir(name).expect("state folder");
    Frr::start(ns, &dir, daemons).expect("FRR starts")
}

/// A route reduced to what both sides can be compared on: path type,
/// cost, type-2 cost and next hops (`address%interface`, or
/// `direct:interface`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Comparable {
    path_type: String,
    cost: u64,
    type2_cost: Option<u64>,
    next_hops: Vec<String>,
}

/// Our table in comparable form (the twin's interface has our name).
fn our_comparable(table: &BTreeMap<String, Value>) -> BTreeMap<String, Comparable> {
    table
        .iter()
        .map(|(prefix, r)| {
            let mut next_hops: Vec<String> = r["next_hops"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|nh| {
                    let iface = nh["interface"].as_str().unwrap_or("?");
                    match nh["addr"].as_str() {
                        Some(a) => format!("{a}%{iface}"),
                        None => format!("direct:{iface}"),
                    }
                })
                .collect();
            next_hops.sort();
            let c = Comparable {
                path_type: r["path_type"].as_str().unwrap_or_default().to_owned(),
                cost: r["cost"].as_u64().unwrap_or(u64::MAX),
                type2_cost: r["type2_cost"].as_u64(),
                next_hops,
            };
            (prefix.clone(), c)
        })
        .collect()
}

/// FRR's `show ipv6 ospf6 route detail json` in comparable form. FRR 8.4
/// names a route's `pathType` `Intra-Area`, `Inter-Area`, `External-1` or
/// `External-2`, gives a type-2 route's cost to the ASBR as `metricCost`
/// and its external metric as `metricCostE2`, and a next hop `::` for a
/// prefix reached on the link itself.
fn frr6_comparable(v: &Value) -> BTreeMap<String, Comparable> {
    let mut out = BTreeMap::new();
    let Some(map) = v["routes"].as_object() else { return out };
    for (prefix, r) in map {
        let path_type = match r["pathType"].as_str().unwrap_or_default() {
            "External-1" => "Type 1 ext",
            "External-2" => "Type 2 ext",
            other => other,
        };
        let mut next_hops: Vec<String> = r["nextHops"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|nh| {
                let iface = nh["interfaceName"].as_str().unwrap_or("?");
                match nh["nextHop"].as_str() {
                    Some("::") | None => format!("direct:{iface}"),
                    Some(a) => format!("{a}%{iface}"),
                }
            })
            .collect();
        next_hops.sort();
        next_hops.dedup();
        // Type 2: FRR's `metricCost` is the cost to the ASBR, `metricType2`
        // the external metric.
        let (cost, type2_cost) = match path_type {
            "Type 2 ext" => (r["metricCost"].as_u64(), r["metricCostE2"].as_u64()),
            _ => (r["metricCost"].as_u64(), None),
        };
        let c = Comparable {
            path_type: path_type.to_owned(),
            cost: cost.unwrap_or(u64::MAX),
            type2_cost,
            next_hops,
        };
        out.insert(prefix.clone(), c);
    }
    out
}

// ----- point-to-point with FRR and BIRD ---------------------------------------

/// Ours: `eth0` toward the peer, and `stub0` (a bridge with fd00:1::/64)
/// passive, both in area 0, OSPFv3 only.
const OURS_P2P: &str = r#"
router-id = "1.1.1.1"
versions = [3]
spf-delay-ms = 50

[[interface]]
name = "eth0"
area = "0.0.0.0"
network = "point-to-point"
cost = 10
hello-interval = 1
dead-interval = 4
retransmit-interval = 1

[[interface]]
name = "stub0"
area = "0.0.0.0"
passive = true
cost = 10
"#;

const FRR_P2P: &str = "\
frr defaults traditional
hostname peer
!
interface eth0
 ipv6 ospf6 area 0.0.0.0
 ipv6 ospf6 network point-to-point
 ipv6 ospf6 hello-interval 1
 ipv6 ospf6 dead-interval 4
 ipv6 ospf6 retransmit-interval 1
 ipv6 ospf6 cost 10
AUTH!
interface stub0
 ipv6 ospf6 area 0.0.0.0
 ipv6 ospf6 passive
 ipv6 ospf6 cost 10
!
router ospf6
 ospf6 router-id 2.2.2.2
 timers throttle spf 0 50 1000
!
";

/// `us` and `peer` on a veth pair `eth0` (fd00:12::/64), each with a stub
/// bridge: ours fd00:1::/64, the peer's fd00:2::/64.
fn p2p_lab(prefix: &str) -> (Lab, Netns, Netns) {
    let lab = Lab::new(prefix).expect("lab");
    let us = lab.node("us").expect("node");
    let peer = lab.node("peer").expect("node");
    lab.veth(&us, "eth0", &peer, "eth0").expect("veth");
    us.add_addr("eth0", "fd00:12::1/64").expect("addr");
    peer.add_addr("eth0", "fd00:12::2/64").expect("addr");
    for (ns, cidr) in [(&us, "fd00:1::1/64"), (&peer, "fd00:2::1/64")] {
        ns.add_bridge("stub0").expect("bridge");
        ns.add_addr("stub0", cidr).expect("addr");
    }
    (lab, us, peer)
}

/// Waits until we report `rid` Full in OSPFv3 and `theirs` says the same
/// of us.
fn wait_full(ours: &mut Router, rid: &str, theirs: impl Fn() -> bool, diag: impl Fn() -> String) {
    let full = wait_until(WAIT, POLL, "both sides Full", || {
        ours.neighbor_state(3, rid).as_deref() == Some("Full") && theirs()
    });
    ours.assert_running();
    full.unwrap_or_else(|e| panic!("{e}\nours:\n{}\npeer:\n{}", ours.text(), diag()));
}

#[test]
fn v3_point_to_point_full_and_routes_with_frr_ospf6d() {
    let _serial = integration_tests::serial();
    let (lab, us, peer) = p2p_lab("osrvp");
    let f = frr(&lab, &peer, "frr", &[(FrrDaemon::Ospf6d, &FRR_P2P.replace("AUTH", ""))]);
    let mut ours = Router::start(&lab, &us, "ours", OURS_P2P);
    let peer_ll = peer.link_local("eth0").expect("link-local").to_string();
    let our_ll = us.link_local("eth0").expect("link-local").to_string();
    wait_full(
        &mut ours,
        "2.2.2.2",
        || frr6_neighbor(&f, "1.1.1.1").as_deref() == Some("Full"),
        || f.vtysh("show ipv6 ospf6 neighbor").unwrap_or_default(),
    );
    // FRR's stub through FRR's link-local address, intra-area, cost 20.
    let got = wait_until(WAIT, POLL, "FRR's stub in our table", || {
        ours.table(3).contains_key("fd00:2::/64")
    });
    got.unwrap_or_else(|e| panic!("{e}\n{}", ours.text()));
    let r = &ours.table(3)["fd00:2::/64"];
    assert_eq!((r["path_type"].as_str(), r["cost"].as_u64()), (Some("Intra-Area"), Some(20)));
    assert_eq!(r["next_hops"], serde_json::json!([{"addr": peer_ll, "interface": "eth0"}]));
    // Ours in FRR's kernel table through our link-local address.
    let kernel = || peer.ip(&["-6", "route", "show", "fd00:1::/64"]).unwrap_or_default();
    let installed = wait_until(WAIT, POLL, "our stub in FRR's kernel table", || {
        kernel().contains(&format!("via {our_ll} dev eth0"))
    });
    installed.unwrap_or_else(|e| panic!("{e}: {}", kernel()));
    assert!(ours.table(2).is_empty(), "OSPFv2 does not run");
    let events = ours.stop();
    assert!(events.iter().all(|e| e["version"] == 3), "only OSPFv3 events");
    assert!(!events.iter().any(|e| e["event"] == "bad-packet" || e["event"] == "auth-failure"));
}

/// RFC 5882 §4.1 for OSPFv3: FRR (`ipv6 ospf6 bfd`, bfdd) and us watch the
/// adjacency with single-hop BFD between link-local addresses; a cut behind
/// a bridge drops it on both sides long before the 40 s dead interval.
#[test]
fn v3_bfd_drops_the_adjacency_with_frr_long_before_the_dead_interval() {
    let _serial = integration_tests::serial();
    let lab = Lab::new("osrvbfd").expect("lab");
    let us = lab.node("us").expect("node");
    let peer = lab.node("peer").expect("node");
    let switch = lab.segment("sw", &[(&peer, "eth0"), (&us, "eth0")]).expect("segment");
    let ospf6d = FRR_P2P
        .replace(" ipv6 ospf6 hello-interval 1\n ipv6 ospf6 dead-interval 4\n", "")
        .replace("AUTH", " ipv6 ospf6 hello-interval 10\n ipv6 ospf6 dead-interval 40\n ipv6 ospf6 bfd\n")
        .replace("interface stub0\n ipv6 ospf6 area 0.0.0.0\n ipv6 ospf6 passive\n ipv6 ospf6 cost 10\n!\n", "");
    let f = frr(&lab, &peer, "frr", &[(FrrDaemon::Bfdd, ""), (FrrDaemon::Ospf6d, &ospf6d)]);
    let conf = "router-id = \"1.1.1.1\"\nversions = [3]\n\n[[interface]]\nname = \"eth0\"\n\
                area = \"0.0.0.0\"\nnetwork = \"point-to-point\"\nhello-interval = 10\n\
                dead-interval = 40\nbfd = true\n";
    let mut ours = Router::start(&lab, &us, "ours", conf);
    let frr_full = || frr6_neighbor(&f, "1.1.1.1").as_deref() == Some("Full");
    let diag = || {
        format!(
            "{}\n{}",
            f.vtysh("show ipv6 ospf6 neighbor").unwrap_or_default(),
            f.vtysh("show bfd peers").unwrap_or_default()
        )
    };
    wait_full(&mut ours, "2.2.2.2", frr_full, diag);
    let our_ll = us.link_local("eth0").expect("link-local").to_string();
    let up = wait_until(Duration::from_secs(30), POLL, "FRR's BFD session with us up", || {
        f.vtysh_json("show bfd peers json").is_ok_and(|v| {
            v.as_array().is_some_and(|a| {
                a.iter().any(|p| p["status"] == "up" && p["peer"] == our_ll.as_str())
            })
        })
    });
    up.unwrap_or_else(|e| panic!("{e}: {}\nours:\n{}", diag(), ours.text()));

    // The cut: FRR's port leaves the bridge.
    switch.ip(&["link", "set", "p0", "nomaster"]).expect("cut");
    let cut = std::time::Instant::now();
    let (mut mine, mut theirs) = (None, None);
    while cut.elapsed() < Duration::from_secs(10) && (mine.is_none() || theirs.is_none()) {
        if mine.is_none() && ours.neighbor_state(3, "2.2.2.2").as_deref() != Some("Full") {
            mine = Some(cut.elapsed());
        }
        if theirs.is_none() && !frr_full() {
            theirs = Some(cut.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    eprintln!("OSPFv3 adjacency down after the cut: ours {mine:?}, FRR's {theirs:?} (dead 40 s)");
    let mine = mine.unwrap_or_else(|| panic!("ours stayed Full:\n{}", ours.text()));
    let theirs = theirs.expect("FRR's stayed Full");
    // Detection is 900 ms; the rest is polling. The dead interval would take 40 s.
    assert!(mine < Duration::from_secs(2), "ours after {mine:?}");
    assert!(theirs < Duration::from_secs(2), "FRR's after {theirs:?}");
    let killed = ours.events_of("neighbor", 3);
    assert!(killed.iter().any(|e| e["reason"] == "BFD down"), "{}", ours.text());

    // The link comes back: Full again on both sides.
    switch.ip(&["link", "set", "p0", "master", "br0"]).expect("repair");
    wait_full(&mut ours, "2.2.2.2", frr_full, diag);
    ours.stop();
}

#[test]
fn v3_point_to_point_full_and_routes_with_bird() {
    let _serial = integration_tests::serial();
    let (lab, us, peer) = p2p_lab("osrvb");
    let conf = "\
router id 2.2.2.2;
protocol device {}
protocol kernel { ipv6 { export all; }; }
protocol ospf v3 ospf1 {
  ipv6 { import all; export none; };
  area 0 {
    interface \"eth0\" { type ptp; hello 1; dead 4; cost 10; };
    interface \"stub0\" { stub yes; cost 10; };
  };
}
";
    let dir = lab.subdir("bird").expect("state folder");
    let b = Bird::start(&peer, &dir, conf).expect("BIRD starts");
    let mut ours = Router::start(&lab, &us, "ours", OURS_P2P);
    let our_ll = us.link_local("eth0").expect("link-local").to_string();
    wait_full(
        &mut ours,
        "2.2.2.2",
        || integration_tests::bird_neighbor(&b, "1.1.1.1").is_some_and(|s| s.starts_with("Full")),
        || b.birdc("show ospf neighbors").unwrap_or_default(),
    );
    let got = wait_until(WAIT, POLL, "BIRD's stub in our table", || {
        ours.table(3).get("fd00:2::/64").is_some_and(|r| r["cost"] == 20)
    });
    got.unwrap_or_else(|e| panic!("{e}\n{}", ours.text()));
    let installed = wait_until(WAIT, POLL, "our stub in BIRD's kernel table", || {
        peer.ip(&["-6", "route", "show", "fd00:1::/64"])
            .is_ok_and(|t| t.contains(&format!("via {our_ll} dev eth0")))
    });
    installed.unwrap_or_else(|e| {
        panic!("{e}: {}", b.birdc("show route").unwrap_or_default());
    });
    ours.stop();
}

// ----- the RFC 7166 authentication trailer ------------------------------------

/// Two `ospf-router`s on the point-to-point lab with HMAC-SHA-256 trailers,
/// ours with key `ours_key`, the peer (2.2.2.2) with `tr41ler-key`. FRR
/// 8.4's `ospf6d` has the command (`ipv6 ospf6 authentication key-id 1
/// hash-algo hmac-sha-256 key ...`) but appends the Cryptographic Protocol
/// ID to the key in host byte order (0x01 0x00 on x86), not the 0x00 0x01
/// of RFC 7166 §4.5, so its digests match no conforming implementation.
fn trailer_lab(prefix: &str, ours_key: &str) -> (Lab, Router, Router) {
    let (lab, us, peer) = p2p_lab(prefix);
    let ours = Router::start(&lab, &us, "ours", &ours_with_trailer(ours_key));
    let theirs_conf = ours_with_trailer("tr41ler-key").replace("1.1.1.1", "2.2.2.2");
    let theirs = Router::start(&lab, &peer, "peer", &theirs_conf);
    (lab, ours, theirs)
}

fn ours_with_trailer(key: &str) -> String {
    OURS_P2P.replace(
        "retransmit-interval = 1\n",
        &format!(
            "retransmit-interval = 1\nauth = {{ type = \"hmac-sha\", algorithm = \"sha256\", \
             key-id = 1, key = \"{key}\" }}\n"
        ),
    )
}

#[test]
fn v3_authentication_trailer_between_two_routers_reaches_full() {
    let _serial = integration_tests::serial();
    let (_lab, mut ours, mut theirs) = trailer_lab("osrva", "tr41ler-key");
    let diag = theirs.text();
    wait_full(
        &mut ours,
        "2.2.2.2",
        || theirs.neighbor_state(3, "1.1.1.1").as_deref() == Some("Full"),
        || diag.clone(),
    );
    // Routes both ways, each other's stub at cost 20.
    let routes = wait_until(WAIT, POLL, "each other's stub", || {
        ours.table(3).get("fd00:2::/64").is_some_and(|r| r["cost"] == 20)
            && theirs.table(3).get("fd00:1::/64").is_some_and(|r| r["cost"] == 20)
    });
    routes.unwrap_or_else(|e| panic!("{e}\nours:\n{}\npeer:\n{}", ours.text(), theirs.text()));
    theirs.assert_running();
    for r in [&mut ours, &mut theirs] {
        let events = r.stop();
        assert!(!events.iter().any(|e| e["event"] == "auth-failure"), "{events:?}");
    }
}

#[test]
fn v3_authentication_trailer_with_a_wrong_key_never_reaches_full() {
    let _serial = integration_tests::serial();
    let (_lab, mut ours, mut theirs) = trailer_lab("osrvw", "not-the-key");
    let refused = wait_until(Duration::from_secs(10), POLL, "authentication failures", || {
        ours.events_of("auth-failure", 3).len() >= 3
            && theirs.events_of("auth-failure", 3).len() >= 3
    });
    ours.assert_running();
    theirs.assert_running();
    refused.unwrap_or_else(|e| panic!("{e}\nours:\n{}\npeer:\n{}", ours.text(), theirs.text()));
    // Hello 1 s, Dead 4 s: well past the time Full takes with the right key.
    std::thread::sleep(Duration::from_secs(6));
    assert_eq!(ours.neighbor_state(3, "2.2.2.2"), None, "{}", ours.text());
    assert_eq!(theirs.neighbor_state(3, "1.1.1.1"), None, "{}", theirs.text());
    let failure = &ours.events_of("auth-failure", 3)[0];
    assert_eq!(failure["reason"], "digest mismatch", "{failure}");
    ours.stop();
    theirs.stop();
}

// ----- seed deployment 3, OSPFv2 and OSPFv3 at once ----------------------------

/// The deployment 3 configuration of `tests/data/ospf-interop` with OSPFv3
/// beside OSPFv2: the same area, interface and cost, and the IPv6 pod route
/// and its aggregate redistributed.
fn ours_deploy3_dual() -> String {
    read_data("ours-deploy3.toml").replace(
        "router-id = \"192.168.2.1\"\n",
        "router-id = \"192.168.2.1\"\nversions = [2, 3]\n",
    ) + r#"
# The IPv6 pod route on the segment, and the node's aggregate (a reject
# route here) as "via this router".
[[redistribute]]
prefix = "fd00:f4:1::/64"
forwarding-address = "fd00:52::41"
metric-type = 2
metric = 20

[[redistribute]]
prefix = "fd00:f4::/32"
metric-type = 2
metric = 20
"#
}

/// `ospf6d` for a deployment 3 router: `ifaces` as (name, cost, priority,
/// point-to-point, passive), all in area 0.0.0.2; `extra` in `router ospf6`.
fn ospf6d_conf(
    name: &str,
    rid: &str,
    ifaces: &[(&str, u16, u8, bool, bool)],
    extra: &str,
) -> String {
    let mut s = format!("frr defaults traditional\nhostname {name}\n!\n");
    for (iface, cost, prio, p2p, passive) in ifaces {
        s += &format!("interface {iface}\n ipv6 ospf6 area 0.0.0.2\n ipv6 ospf6 cost {cost}\n");
        if *passive {
            s += " ipv6 ospf6 passive\n";
        } else {
            s += &format!(
                " ipv6 ospf6 hello-interval 1\n ipv6 ospf6 dead-interval 4\n \
                 ipv6 ospf6 retransmit-interval 1\n ipv6 ospf6 priority {prio}\n"
            );
        }
        if *p2p {
            s += " ipv6 ospf6 network point-to-point\n";
        }
        s += "!\n";
    }
    s += &format!(
        "router ospf6\n ospf6 router-id {rid}\n timers throttle spf 0 50 1000\n{extra}!\n"
    );
    s
}

/// One table against the twin's: equal (once converged), shown on success.
fn tables_agree(
    what: &str,
    ours: impl Fn() -> BTreeMap<String, Comparable>,
    theirs: impl Fn() -> BTreeMap<String, Comparable>,
    converged: impl Fn(&BTreeMap<String, Comparable>) -> bool,
    raw: impl Fn() -> String,
) -> BTreeMap<String, Comparable> {
    let same = wait_until(Duration::from_secs(60), POLL, what, || {
        let t = theirs();
        converged(&t) && ours() == t
    });
    same.unwrap_or_else(|e| {
        panic!("{e}\nours:  {:#?}\ntwin: {:#?}\nraw twin: {}", ours(), theirs(), raw())
    });
    let table = ours();
    eprintln!("{what}: {} routes", table.len());
    for (p, r) in &table {
        eprintln!(
            "  {p:<22} {:<11} cost {:>3} {:?} via {:?}",
            r.path_type, r.cost, r.type2_cost, r.next_hops
        );
    }
    table
}

#[test]
fn deployment_3_dual_stack_externals_reach_frr_and_tables_match() {
    let _serial = integration_tests::serial();
    let lab = Lab::new("osrvd").expect("lab");
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
        (&us, "eth0", "fd00:52::1/64"),
        (&r1, "eth0", "fd00:52::2/64"),
        (&r3, "eth0", "fd00:52::3/64"),
        (&twin, "eth0", "fd00:52::4/64"),
    ] {
        ns.add_addr(iface, cidr).expect("addr");
    }
    for (ns, bridge, cidrs) in [
        (&r1, "stub0", ["172.20.1.1/24", "fd00:1721::1/64"]),
        (&r2, "stub0", ["172.20.2.1/24", "fd00:1722::1/64"]),
        (&r2, "ext0", ["198.51.100.1/24", "2001:db8:100::1/64"]),
    ] {
        ns.add_bridge(bridge).expect("bridge");
        for cidr in cidrs {
            ns.add_addr(bridge, cidr).expect("addr");
        }
    }
    // The point-to-point links r1-r2 and r3-r2 carry only link-local
    // addresses in IPv6: FRR 8.4's ospf6d does not take the cheapest of two
    // routers' intra-area-prefix-LSAs for the same prefix (a link prefix
    // advertised by both ends: it routed r1-r2's fd00:12::/64 at cost 40
    // through r2 where r1 offers 30), so such prefixes are kept out of the
    // comparison.
    // The node's aggregate is a reject route in its own kernel.
    us.ip(&["-6", "route", "add", "unreachable", "fd00:f4::/32"]).expect("reject route");

    let r1_6 = ospf6d_conf(
        "r1",
        "10.2.0.1",
        &[("eth0", 10, 10, false, false), ("p2", 10, 1, true, false), ("stub0", 5, 1, false, true)],
        "",
    );
    let r2_6 = ospf6d_conf(
        "r2",
        "10.2.0.2",
        &[("p1", 10, 1, true, false), ("p3", 10, 1, true, false), ("stub0", 10, 1, false, true)],
        " redistribute connected metric-type 1 metric 7 route-map EXT\n",
    );
    let r2_6 = format!("route-map EXT permit 10\n match interface ext0\n!\n{r2_6}");
    let r3_6 = ospf6d_conf(
        "r3",
        "10.2.0.3",
        &[("eth0", 10, 5, false, false), ("p2", 10, 1, true, false)],
        "",
    );
    let twin_6 = ospf6d_conf("twin", "192.168.2.4", &[("eth0", 20, 0, false, false)], "");
    let v2 = |name: &str| read_data(&format!("deploy3-{name}.conf"));
    let f1 = frr(&lab, &r1, "r1", &[(FrrDaemon::Ospfd, &v2("r1")), (FrrDaemon::Ospf6d, &r1_6)]);
    let _f2 = frr(&lab, &r2, "r2", &[(FrrDaemon::Ospfd, &v2("r2")), (FrrDaemon::Ospf6d, &r2_6)]);
    let _f3 = frr(&lab, &r3, "r3", &[(FrrDaemon::Ospfd, &v2("r3")), (FrrDaemon::Ospf6d, &r3_6)]);
    let ft =
        frr(&lab, &twin, "twin", &[(FrrDaemon::Ospfd, &v2("twin")), (FrrDaemon::Ospf6d, &twin_6)]);
    let mut ours = Router::start(&lab, &us, "ours", &ours_deploy3_dual());
    let our_ll = us.link_local("eth0").expect("link-local").to_string();

    // OSPFv3: r1's kernel (zebra) has our pod route as a type-2 external
    // and our aggregate.
    let kernel = |p: &str| r1.ip(&["-6", "route", "show", p]).unwrap_or_default();
    let installed =
        wait_until(Duration::from_secs(60), POLL, "our IPv6 externals in r1's kernel", || {
            kernel("fd00:f4:1::/64").contains("proto ospf")
                && kernel("fd00:f4::/32").contains("proto ospf")
        });
    ours.assert_running();
    installed.unwrap_or_else(|e| {
        panic!(
            "{e}\nours:\n{}\nr1 database:\n{}\nr1 routes:\n{}",
            ours.text(),
            f1.vtysh("show ipv6 ospf6 database").unwrap_or_default(),
            f1.vtysh("show ipv6 ospf6 route").unwrap_or_default()
        )
    });
    let pod = kernel("fd00:f4:1::/64");
    let aggregate = kernel("fd00:f4::/32");
    eprintln!("r1 kernel: {pod}r1 kernel: {aggregate}");
    let r1_json = f1.vtysh_json("show ipv6 ospf6 route detail json").expect("r1 routes");
    let r1_pod = &r1_json["routes"]["fd00:f4:1::/64"];
    assert_eq!(r1_pod["pathType"], "External-2", "{r1_pod}");
    assert_eq!(r1_pod["metricCostE2"], 20, "type-2 metric: {r1_pod}");
    // The forwarding address fd00:52::41 lies on r1's own segment: FRR 8.4
    // installs the route on the link (`dev eth0`, no gateway), not via us.
    assert!(pod.contains("dev eth0") && pod.contains("metric 20"), "{pod}");
    assert!(!pod.contains(&our_ll), "not via us: {pod}");
    // The aggregate has no forwarding address: via our link-local address.
    assert!(aggregate.contains(&format!("via {our_ll} dev eth0")), "{aggregate}");

    // OSPFv2 as in tests/ospf_interop.rs: the pod route installed by r1 as
    // a type-2 external via the forwarding address.
    let v4 = || f1.vtysh_json("show ip route 10.244.1.0/24 json").unwrap_or_default();
    let v4_route = || {
        v4()["10.244.1.0/24"]
            .as_array()
            .and_then(|a| a.iter().find(|r| r["protocol"] == "ospf").cloned())
    };
    wait_until(Duration::from_secs(60), POLL, "our IPv4 external in r1's RIB", || {
        v4_route().is_some()
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", ours.text()));
    let r = v4_route().unwrap_or_default();
    assert_eq!(r["metric"], 20, "{r}");
    assert_eq!(r["nexthops"][0]["ip"], "192.168.2.65", "{r}");

    // Both tables equal the twin's, our own externals aside.
    let v4_twin = || {
        let v = ft.vtysh_json("show ip ospf route json").unwrap_or_default();
        let mut t = frr4_comparable(&v);
        t.remove("10.244.1.0/24");
        t
    };
    let t4 = tables_agree(
        "OSPFv2 table equals the twin's",
        || ours4_comparable(&ours.table(2)),
        v4_twin,
        |t| t.len() == 6 && t.get("172.20.2.0/24").is_some_and(|r| r.next_hops.len() == 2),
        || ft.vtysh("show ip ospf route json").unwrap_or_default(),
    );
    assert_eq!(t4["198.51.100.0/24"].path_type, "Type 1 ext");
    let v6_twin = || {
        let v = ft.vtysh_json("show ipv6 ospf6 route detail json").unwrap_or_default();
        let mut t = frr6_comparable(&v);
        t.remove("fd00:f4:1::/64");
        t.remove("fd00:f4::/32");
        t
    };
    let t6 = tables_agree(
        "OSPFv3 table equals the twin's",
        || our_comparable(&ours.table(3)),
        v6_twin,
        |t| t.len() == 4 && t.get("fd00:1722::/64").is_some_and(|r| r.next_hops.len() == 2),
        || ft.vtysh("show ipv6 ospf6 route detail json").unwrap_or_default(),
    );
    assert_eq!(t6["2001:db8:100::/64"].path_type, "Type 1 ext");
    assert_eq!(t6["fd00:1722::/64"].cost, 40);

    // On the broadcast segment, both versions Full with the DR (r1) and
    // the BDR (r3), and r1 has us Full in OSPFv3.
    for version in [2, 3] {
        for rid in ["10.2.0.1", "10.2.0.3"] {
            let state = ours.neighbor_state(version, rid);
            assert_eq!(state.as_deref(), Some("Full"), "OSPFv{version} {rid}");
        }
    }
    assert_eq!(frr6_neighbor(&f1, "192.168.2.1").as_deref(), Some("Full"));

    // The final tables (`--show-rib`), one per version.
    let events = ours.stop();
    for (version, n) in [(2, t4.len()), (3, t6.len())] {
        let networks = events
            .iter()
            .filter(|e| e["event"] == "rib" && e["type"] == "Network" && e["version"] == version)
            .count();
        assert_eq!(networks, n, "OSPFv{version} networks in the final table");
    }
}

/// Our OSPFv2 table: next hops as addresses or `direct:IF`, as
/// `tests/ospf_interop.rs` compares them.
fn ours4_comparable(table: &BTreeMap<String, Value>) -> BTreeMap<String, Comparable> {
    let mut t = our_comparable(table);
    for r in t.values_mut() {
        for nh in &mut r.next_hops {
            if let Some((addr, _)) = nh.split_once('%') {
                *nh = addr.to_owned();
            }
        }
    }
    t
}

/// FRR's `show ip ospf route json` in comparable form (networks only).
fn frr4_comparable(v: &Value) -> BTreeMap<String, Comparable> {
    let mut out = BTreeMap::new();
    let Some(map) = v.as_object() else { return out };
    for (prefix, r) in map.iter().filter(|(p, _)| p.contains('/')) {
        let path_type = match r["routeType"].as_str().unwrap_or_default().trim() {
            "N" => "Intra-Area",
            "N IA" => "Inter-Area",
            "N E1" => "Type 1 ext",
            "N E2" => "Type 2 ext",
            other => other,
        };
        let mut next_hops: Vec<String> = r["nexthops"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|nh| match nh["directlyAttachedTo"].as_str() {
                Some(iface) => format!("direct:{iface}"),
                None => nh["ip"].as_str().unwrap_or_default().trim().to_owned(),
            })
            .collect();
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

// ----- several Instance IDs on one link (RFC 5340 §2.4) ----------------------

/// One `ospf-router` for OSPFv3 instance `instance` on `eth0` of the shared
/// segment, in `area` with `priority`, and a passive stub.
fn ours_instance(rid: &str, instance: u8, area: &str, priority: u8, stub: &str) -> String {
    format!(
        r#"
router-id = "{rid}"
versions = [3]
spf-delay-ms = 50

[[interface]]
name = "eth0"
area = "{area}"
instance-id = {instance}
priority = {priority}
cost = 10
hello-interval = 1
dead-interval = 4
retransmit-interval = 1

[[interface]]
name = "{stub}"
area = "{area}"
passive = true
cost = 10
"#
    )
}

/// FRR on instance 0 of the segment in area 0, priority 1.
const FRR_INSTANCE0: &str = "\
frr defaults traditional
hostname frr
!
interface eth0
 ipv6 ospf6 area 0.0.0.0
 ipv6 ospf6 instance-id 0
 ipv6 ospf6 network broadcast
 ipv6 ospf6 priority 1
 ipv6 ospf6 hello-interval 1
 ipv6 ospf6 dead-interval 4
 ipv6 ospf6 retransmit-interval 1
 ipv6 ospf6 cost 10
!
interface stub0
 ipv6 ospf6 area 0.0.0.0
 ipv6 ospf6 passive
 ipv6 ospf6 cost 10
!
router ospf6
 ospf6 router-id 2.2.2.2
 timers throttle spf 0 50 1000
!
";

/// BIRD on instance 1 of the segment in area 1, priority 10 (DR). BIRD
/// takes the Instance ID after the interface pattern and wants a
/// retransmission interval above 1 s.
const BIRD_INSTANCE1: &str = "\
router id 3.3.3.3;
protocol device {}
protocol kernel { ipv6 { export all; }; }
protocol ospf v3 ospf1 {
  ipv6 { import all; export none; };
  area 1 {
    interface \"eth0\" instance 1 {
      type broadcast; priority 10; hello 1; wait 4; dead 4; retransmit 2; cost 10;
    };
    interface \"stub0\" { stub yes; cost 10; };
  };
}
";

/// The last DR and BDR an `ospf-router` reported on `eth0`.
fn dr_bdr(r: &Router) -> (String, String) {
    r.events_of("interface", 3)
        .iter()
        .rev()
        .find(|e| e["interface"] == "eth0")
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
            (s("dr"), s("bdr"))
        })
        .unwrap_or_default()
}

/// Every route prefix an `ospf-router` ever reported, and every neighbour.
fn ever_seen(r: &Router) -> (Vec<String>, Vec<String>) {
    let field = |kind: &str, key: &str| {
        let mut v: Vec<String> = r
            .events_of(kind, 3)
            .iter()
            .filter_map(|e| e[key].as_str().map(str::to_owned))
            .collect();
        v.sort();
        v.dedup();
        v
    };
    (field("route", "prefix"), field("neighbor", "router_id"))
}

/// One OSPF packet from a capture, as tshark decodes it.
#[derive(Debug)]
struct WirePacket {
    router_id: String,
    instance_id: u8,
    area_id: String,
    msg: u8,
    hello_neighbors: Vec<String>,
}

/// The OSPF packets of a capture (tshark's `ospf.srcrouter`,
/// `ospf.instance_id`, `ospf.area_id`, `ospf.msg` and
/// `ospf.hello.active_neighbor`).
fn wire_packets(file: &Path) -> Vec<WirePacket> {
    let out = std::process::Command::new("tshark")
        .arg("-r")
        .arg(file)
        .args(["-Y", "ospf", "-T", "fields", "-E", "separator=/t", "-E", "aggregator=,"])
        .args(["-e", "ospf.srcrouter", "-e", "ospf.instance_id", "-e", "ospf.area_id"])
        .args(["-e", "ospf.msg", "-e", "ospf.hello.active_neighbor"])
        .output()
        .expect("tshark runs");
    assert!(out.status.success(), "tshark: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let get = |i: usize| f.get(i).copied().unwrap_or_default();
            WirePacket {
                router_id: get(0).to_owned(),
                instance_id: get(1).parse().unwrap_or_else(|_| panic!("instance ID in {l:?}")),
                area_id: get(2).to_owned(),
                msg: get(3).parse().unwrap_or_else(|_| panic!("message type in {l:?}")),
                hello_neighbors: get(4)
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
            }
        })
        .collect()
}

/// RFC 5340 §2.4 on one broadcast segment: FRR `ospf6d` on Instance ID 0
/// (area 0), BIRD on Instance ID 1 (area 1), and on our node two
/// `ospf-router` processes on the same `eth0`, one per Instance ID, with
/// Router IDs 1.1.1.1 (instance 0, DR) and 1.1.1.2 (instance 1, BDR to
/// BIRD). Each of our raw sockets is bound to `eth0` and receives every
/// OSPF packet on it, the unicast ones to our shared link-local address
/// included: the Instance ID alone keeps the instances apart. (Our two
/// processes do not hear each other: the sockets turn multicast loopback
/// off.)
#[test]
fn v3_two_instance_ids_on_one_segment_with_frr_and_bird() {
    let _serial = integration_tests::serial();
    // Built first: the start order below decides the DR elections.
    ospf_router_binary();
    let t0 = std::time::Instant::now();
    let lab = Lab::new("multiins").expect("lab");
    let us = lab.node("us").expect("node");
    let fr = lab.node("frr").expect("node");
    let bi = lab.node("bird").expect("node");
    let switch =
        lab.segment("lan", &[(&us, "eth0"), (&fr, "eth0"), (&bi, "eth0")]).expect("segment");
    for (ns, cidr) in [(&us, "fd00:30::1/64"), (&fr, "fd00:30::2/64"), (&bi, "fd00:30::3/64")] {
        ns.add_addr("eth0", cidr).expect("addr");
    }
    // A distinct prefix per router: instance 0 has fd00:a0::/64 (FRR) and
    // fd00:b0::/64 (ours), instance 1 fd00:a1::/64 (BIRD) and fd00:b1::/64.
    for (ns, bridge, cidr) in [
        (&fr, "stub0", "fd00:a0::1/64"),
        (&bi, "stub0", "fd00:a1::1/64"),
        (&us, "stub0", "fd00:b0::1/64"),
        (&us, "stub1", "fd00:b1::1/64"),
    ] {
        ns.add_bridge(bridge).expect("bridge");
        ns.add_addr(bridge, cidr).expect("addr");
    }
    let pcap = lab.dir().join("segment.pcap");
    let mut capture = netlab::Capture::start(&switch, "br0", "", &pcap).expect("tcpdump");
    // The DR of each instance starts before the other router of its
    // instance and has the higher priority, so that it is elected (RFC
    // 2328 §9.4 keeps a DR in office) however long the other takes.
    let b = Bird::start(&bi, &lab.subdir("bird").expect("state folder"), BIRD_INSTANCE1)
        .expect("BIRD starts");
    let mut ours0 =
        Router::start(&lab, &us, "ours0", &ours_instance("1.1.1.1", 0, "0.0.0.0", 10, "stub0"));
    let f = frr(&lab, &fr, "frr", &[(FrrDaemon::Ospf6d, FRR_INSTANCE0)]);
    let mut ours1 =
        Router::start(&lab, &us, "ours1", &ours_instance("1.1.1.2", 1, "0.0.0.1", 1, "stub1"));
    let our_ll = us.link_local("eth0").expect("link-local").to_string();
    let frr_ll = fr.link_local("eth0").expect("link-local").to_string();
    let bird_ll = bi.link_local("eth0").expect("link-local").to_string();

    // Each instance Full with its own peer.
    wait_full(
        &mut ours0,
        "2.2.2.2",
        || frr6_neighbor(&f, "1.1.1.1").as_deref() == Some("Full"),
        || f.vtysh("show ipv6 ospf6 neighbor").unwrap_or_default(),
    );
    wait_full(
        &mut ours1,
        "3.3.3.3",
        || integration_tests::bird_neighbor(&b, "1.1.1.2").is_some_and(|s| s.starts_with("Full")),
        || b.birdc("show ospf neighbors").unwrap_or_default(),
    );
    let full = t0.elapsed();

    // Each instance's table: its own peer's stub at 20 through the peer's
    // link-local address, our stub and the segment; nothing of the other.
    let table_of = |r: &Router, want: &[&str]| {
        let t = r.table(3);
        t.keys().map(String::as_str).eq(want.iter().copied())
    };
    let tables = wait_until(WAIT, POLL, "each instance's table", || {
        table_of(&ours0, &["fd00:30::/64", "fd00:a0::/64", "fd00:b0::/64"])
            && table_of(&ours1, &["fd00:30::/64", "fd00:a1::/64", "fd00:b1::/64"])
    });
    tables.unwrap_or_else(|e| {
        panic!("{e}\ninstance 0: {:?}\ninstance 1: {:?}", ours0.table(3), ours1.table(3))
    });
    for (r, prefix, via) in [(&ours0, "fd00:a0::/64", &frr_ll), (&ours1, "fd00:a1::/64", &bird_ll)]
    {
        let t = r.table(3);
        let route = &t[prefix];
        assert_eq!(
            (route["path_type"].as_str(), route["cost"].as_u64()),
            (Some("Intra-Area"), Some(20))
        );
        assert_eq!(route["next_hops"], serde_json::json!([{"addr": via, "interface": "eth0"}]));
        assert_eq!(t["fd00:30::/64"]["cost"], 10, "{t:?}");
    }

    // Ours in each peer's kernel through our link-local address, the other
    // instance's prefixes in neither.
    let kernel = |ns: &Netns, p: &str| ns.ip(&["-6", "route", "show", p]).unwrap_or_default();
    let via_us = format!("via {our_ll} dev eth0");
    let installed = wait_until(WAIT, POLL, "our stubs in the peers' kernels", || {
        kernel(&fr, "fd00:b0::/64").contains(&via_us)
            && kernel(&bi, "fd00:b1::/64").contains(&via_us)
    });
    installed.unwrap_or_else(|e| {
        panic!("{e}\nFRR: {}\nBIRD: {}", kernel(&fr, "fd00:b0::/64"), kernel(&bi, "fd00:b1::/64"))
    });
    let routes_of = |ns: &Netns| ns.ip(&["-6", "route", "show"]).unwrap_or_default();
    for (ns, foreign) in [(&fr, ["fd00:a1::", "fd00:b1::"]), (&bi, ["fd00:a0::", "fd00:b0::"])] {
        let t = routes_of(ns);
        assert!(foreign.iter().all(|p| !t.contains(p)), "another instance's prefix:\n{t}");
    }
    let frr_table = f.vtysh_json("show ipv6 ospf6 route json").expect("FRR's routes");
    let frr_prefixes: Vec<&String> =
        frr_table["routes"].as_object().map(|m| m.keys().collect()).unwrap_or_default();
    assert_eq!(frr_prefixes, ["fd00:30::/64", "fd00:a0::/64", "fd00:b0::/64"]);

    // The DR of each instance: ours for 0, BIRD for 1.
    let drs = wait_until(WAIT, POLL, "each instance's DR", || {
        dr_bdr(&ours0) == ("1.1.1.1".into(), "2.2.2.2".into())
            && dr_bdr(&ours1) == ("3.3.3.3".into(), "1.1.1.2".into())
    });
    drs.unwrap_or_else(|e| panic!("{e}: {:?} {:?}", dr_bdr(&ours0), dr_bdr(&ours1)));
    let bird_if = b.birdc("show ospf interface \"eth0\"").unwrap_or_default();
    assert!(bird_if.contains("Designated router (ID): 3.3.3.3"), "{bird_if}");
    assert!(bird_if.contains("Backup designated router (ID): 1.1.1.2"), "{bird_if}");

    // FRR and BIRD are no neighbours of each other, nor of the other
    // instance of ours.
    let frr_nbrs = f.vtysh_json("show ipv6 ospf6 neighbor json").expect("FRR's neighbours");
    let frr_ids: Vec<&str> = frr_nbrs["neighbors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["neighborId"].as_str())
        .collect();
    assert_eq!(frr_ids, ["1.1.1.1"], "{frr_nbrs}");
    let bird_nbrs = b.birdc("show ospf neighbors").unwrap_or_default();
    assert!(bird_nbrs.contains("1.1.1.2"), "{bird_nbrs}");
    for other in ["1.1.1.1", "2.2.2.2"] {
        assert!(!bird_nbrs.contains(other), "{bird_nbrs}");
    }
    ours0.assert_running();
    ours1.assert_running();
    let routes_done = t0.elapsed();
    capture.stop();
    let events0 = ours0.stop();
    let events1 = ours1.stop();

    // Over the whole run, each instance of ours heard of its own peer and
    // prefixes only, and reported no packet of the other as an error (the
    // other instance is in another area).
    assert_eq!(
        ever_seen(&ours0),
        (
            vec!["fd00:30::/64".into(), "fd00:a0::/64".into(), "fd00:b0::/64".into()],
            vec!["2.2.2.2".into()]
        )
    );
    assert_eq!(
        ever_seen(&ours1),
        (
            vec!["fd00:30::/64".into(), "fd00:a1::/64".into(), "fd00:b1::/64".into()],
            vec!["3.3.3.3".into()]
        )
    );
    for events in [&events0, &events1] {
        let errors: Vec<&Value> = events
            .iter()
            .filter(|e| e["event"] == "bad-packet" || e["event"] == "auth-failure")
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
    }

    // On the wire: each router's packets carry its instance's ID and area,
    // and no Hello ever lists a router of the other instance.
    let packets = wire_packets(&pcap);
    let instance_of = |rid: &str| match rid {
        "1.1.1.1" | "2.2.2.2" => Some((0, "0.0.0.0")),
        "1.1.1.2" | "3.3.3.3" => Some((1, "0.0.0.1")),
        _ => None,
    };
    for p in &packets {
        let want = instance_of(&p.router_id);
        assert_eq!(Some((p.instance_id, p.area_id.as_str())), want, "{p:?}");
        for n in &p.hello_neighbors {
            assert_eq!(instance_of(n), want, "a Hello lists another instance's router: {p:?}");
        }
    }
    // Each of our routers sent Hellos, DD packets, updates and acks.
    for rid in ["1.1.1.1", "1.1.1.2"] {
        let mut kinds: Vec<u8> =
            packets.iter().filter(|p| p.router_id == rid).map(|p| p.msg).collect();
        kinds.sort_unstable();
        kinds.dedup();
        for kind in [1, 2, 4, 5] {
            assert!(kinds.contains(&kind), "{rid} sent no packet of type {kind}: {kinds:?}");
        }
    }
    let count = |id: u8| packets.iter().filter(|p| p.instance_id == id).count();
    eprintln!(
        "both instances Full after {:.1} s, routes and DRs checked after {:.1} s; \
         {} packets of instance 0, {} of instance 1",
        full.as_secs_f64(),
        routes_done.as_secs_f64(),
        count(0),
        count(1)
    );
    // FRR 8.4 checks the Area ID before the Instance ID: it logs every
    // packet of instance 1 (area 1) as an Area-ID mismatch, and drops it.
    let frr_log = f.logs();
    eprintln!(
        "FRR logged {} packets of instance 1 as an Area-ID mismatch",
        frr_log.lines().filter(|l| l.contains("Area-ID mismatch")).count()
    );
}
