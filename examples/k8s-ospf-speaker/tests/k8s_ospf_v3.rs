//! Seed deployment 3 with both versions, in network namespaces (needs root,
//! FRR, iproute2, ping): node 1 running the `k8s-ospf-speaker` binary with
//! the sample file as shipped (OSPFv2 and OSPFv3 on `eth0`, area 0.0.0.2,
//! cost 20, pod CIDRs 10.244.1.0/24 and fd00:f4:1::/64 as type-2 externals
//! of metric 20), node 2 announcing the IPv6 pod range its kernel holds
//! (the `kernel` source), and an FRR router (zebra, ospfd, ospf6d) with a
//! host behind it, on one broadcast segment.
//!
//! ```text
//!   host fd00:9::2 ── h0 r1 (FRR, 10.2.0.1) eth0 fd00:52::1 ──┐
//!                                                            [vlan]
//!   pods0 fd00:f4:1::1   n1 (sample file)   eth0 fd00:52::11 ─┤
//!   pods0 fd00:f4:2::1   n2 (kernel source) eth0 fd00:52::12 ─┘
//! ```
//!
//! The lab (`netlab`, prefix `kosix`) deletes its namespaces and kills what
//! runs in them when it drops, also on failure; the agent is a child
//! process stopped when its guard drops. Labs run one at a time
//! (`integration_tests::serial`).

mod support;

use std::path::Path;
use std::time::Duration;

use netlab::{Frr, FrrDaemon, Lab};
use serde_json::Value;
use support::{kernel_routes, ping, route, wait, Node, SAMPLE};

const FRR_OSPFD: &str = "\
hostname r1
interface eth0
 ip ospf hello-interval 1
 ip ospf dead-interval 4
 ip ospf retransmit-interval 1
 ip ospf priority 10
!
router ospf
 ospf router-id 10.2.0.1
 timers throttle spf 0 50 1000
 timers lsa min-arrival 0
 network 192.168.2.0/24 area 0.0.0.2
 network 10.0.9.0/24 area 0.0.0.2
 passive-interface h0
!
";

/// FRR's OSPFv3 on the same VLAN interface, priority 10 (the node's is 0),
/// and the host network `fd00:9::/64` as a passive interface: an
/// intra-area prefix the node must install via FRR's link-local address.
const FRR_OSPF6D: &str = "\
hostname r1
interface eth0
 ipv6 ospf6 area 0.0.0.2
 ipv6 ospf6 hello-interval 1
 ipv6 ospf6 dead-interval 4
 ipv6 ospf6 retransmit-interval 1
 ipv6 ospf6 priority 10
!
interface h0
 ipv6 ospf6 area 0.0.0.2
 ipv6 ospf6 passive
 ipv6 ospf6 cost 10
!
router ospf6
 ospf6 router-id 10.2.0.1
 timers throttle spf 0 50 1000
!
";

/// Node 2: OSPFv3 with the kernel source (the pod bridge's connected
/// route inside the IPv6 aggregate).
const NODE2: &str = r#"
router-id = "192.168.2.12"
control-socket = "SOCKET"
reject-aggregate6 = "fd00:f4::/32"

[ospfv3]

[[interface]]
name = "eth0"
area = "0.0.0.2"
cost = 20
hello-interval = 1
dead-interval = 4
retransmit-interval = 1
priority = 0

[pod-routes]
source = "kernel"
"#;

fn context(frr: &Frr, nodes: &[&Node]) -> String {
    let mut out = format!(
        "FRR OSPFv3 neighbours:\n{}\nFRR OSPFv3 routes:\n{}\nFRR kernel (IPv6):\n{}\n",
        frr.vtysh("show ipv6 ospf6 neighbor").unwrap_or_default(),
        frr.vtysh("show ipv6 ospf6 route").unwrap_or_default(),
        frr.vtysh("show ipv6 route").unwrap_or_default(),
    );
    for n in nodes {
        out.push_str(&format!(
            "--- {} log:\n{}\n--- {} kernel (IPv6):\n{}\n",
            n.ns.name(),
            n.log(),
            n.ns.name(),
            n.ns.ip(&["-6", "route", "show", "table", "main"]).unwrap_or_default()
        ));
    }
    out
}

#[test]
fn deployment_3_ospfv3_pod_routes_and_fabric_routes_with_frr_ospf6d() {
    let _serial = integration_tests::serial();
    let started = std::time::Instant::now();
    for tool in ["/usr/lib/frr/ospf6d", "/usr/lib/frr/ospfd", "/usr/lib/frr/zebra", "/usr/bin/ping"]
    {
        assert!(Path::new(tool).exists(), "{tool} is missing: install frr and iputils-ping");
    }
    let lab = Lab::new("kosix").expect("lab (needs root)");
    let r1 = lab.node("r1").expect("node");
    let host = lab.node("host").expect("node");
    let n1 = lab.node("n1").expect("node");
    let n2 = lab.node("n2").expect("node");
    lab.segment("vlan", &[(&r1, "eth0"), (&n1, "eth0"), (&n2, "eth0")]).expect("segment");
    lab.veth(&r1, "h0", &host, "eth0").expect("veth");
    for (ns, iface, cidr) in [
        (&r1, "eth0", "192.168.2.1/24"),
        (&r1, "eth0", "fd00:52::1/64"),
        (&n1, "eth0", "192.168.2.11/24"),
        (&n1, "eth0", "fd00:52::11/64"),
        (&n2, "eth0", "192.168.2.12/24"),
        (&n2, "eth0", "fd00:52::12/64"),
        (&r1, "h0", "10.0.9.1/24"),
        (&r1, "h0", "fd00:9::1/64"),
        (&host, "eth0", "10.0.9.2/24"),
        (&host, "eth0", "fd00:9::2/64"),
    ] {
        ns.add_addr(iface, cidr).expect("addr");
    }
    host.ip(&["-6", "route", "add", "default", "via", "fd00:9::1"]).expect("host route");
    // The nodes' pods: an address of each IPv6 pod range on a stub
    // interface (an empty bridge: this kernel has no dummy links).
    for (n, cidr) in [(&n1, "fd00:f4:1::1/64"), (&n2, "fd00:f4:2::1/64")] {
        n.add_bridge("pods0").expect("pod bridge");
        n.add_addr("pods0", cidr).expect("pod address");
    }
    let r1_ll = r1.link_local("eth0").expect("FRR's link-local address").to_string();
    let n1_ll = n1.link_local("eth0").expect("node 1's link-local address").to_string();
    let n2_ll = n2.link_local("eth0").expect("node 2's link-local address").to_string();

    let frr_dir = lab.subdir("r1").expect("state folder");
    let frr = Frr::start(
        &r1,
        &frr_dir,
        &[(FrrDaemon::Ospfd, FRR_OSPFD), (FrrDaemon::Ospf6d, FRR_OSPF6D)],
    )
    .expect("FRR starts");

    // The sample file as shipped, only its socket and metrics address moved
    // into the lab.
    let sample = std::fs::read_to_string(SAMPLE).expect("the sample configuration");
    assert!(sample.contains("[ospfv3]") && sample.contains("fd00:f4:1::/64"), "{sample}");
    let text = sample
        .replace("/run/k8s-ospf-speaker/control.sock", "SOCKET")
        .replace("0.0.0.0:9342", "127.0.0.1:9342");
    let mut node = Node::new(&lab, n1.clone(), "node1", &text);
    node.start();
    let mut agent = node.agent.take().expect("node 1 runs");
    let config = node.config.clone();
    let mut node2 = Node::new(&lab, n2.clone(), "node2", NODE2);
    node2.start();
    let ctx = || context(&frr, &[&node, &node2]);

    // FRR's ospf6d has both nodes Full (they are DROthers, priority 0).
    wait(
        "FRR's ospf6d has both nodes Full",
        60,
        || {
            frr.vtysh("show ipv6 ospf6 neighbor").is_ok_and(|t| {
                ["192.168.2.11", "192.168.2.12"]
                    .iter()
                    .all(|n| t.lines().any(|l| l.starts_with(n) && l.contains("Full")))
            })
        },
        ctx,
    );

    // The IPv6 pod CIDR in FRR's kernel, installed by zebra for ospf6d, via
    // the node's link-local address, metric 20; a type-2 external in ospf6d.
    wait(
        "fd00:f4:1::/64 in FRR's kernel",
        30,
        || route(&r1, "-6", "fd00:f4:1::/64", "ospf").is_some(),
        ctx,
    );
    let r = route(&r1, "-6", "fd00:f4:1::/64", "ospf").unwrap_or_default();
    println!("r1$ ip -6 -j route (the pod route)\n{r}");
    assert_eq!(r["gateway"], n1_ll.as_str(), "{r}");
    assert_eq!(r["dev"], "eth0", "{r}");
    assert_eq!(r["metric"], 20, "{r}");
    let ospf6 = frr.vtysh("show ipv6 ospf6 route external-2 detail").expect("ospf6d's routes");
    println!("r1# show ipv6 ospf6 route external-2 detail\n{ospf6}");
    // FRR prints "Metric: COST-TO-ASBR (TYPE-2-METRIC)".
    let entry = ospf6.split("Destination: ").find(|e| e.starts_with("fd00:f4:1::/64"));
    let entry = entry.unwrap_or_else(|| panic!("not a type-2 external at FRR:\n{ospf6}"));
    assert!(entry.contains("Path Type: External-2\n"), "{entry}");
    assert!(entry.contains("Adv: 192.168.2.11\n"), "{entry}");
    assert!(
        entry.lines().any(|l| l.starts_with("Metric: ") && l.ends_with(" (20)")),
        "type-2 metric 20: {entry}"
    );
    // OSPFv2 beside it: the IPv4 pod CIDR the same way.
    wait(
        "10.244.1.0/24 in FRR's kernel",
        30,
        || route(&r1, "-4", "10.244.1.0/24", "ospf").is_some(),
        ctx,
    );

    // FRR's host network in the node's kernel, installed by the agent
    // (protocol 240) via FRR's link-local address out of eth0.
    wait(
        "fd00:9::/64 in the node's kernel",
        30,
        || route(&n1, "-6", "fd00:9::/64", "240").is_some(),
        ctx,
    );
    let r = route(&n1, "-6", "fd00:9::/64", "240").unwrap_or_default();
    println!("n1$ ip -6 -j route (FRR's prefix)\n{r}");
    assert_eq!(r["gateway"], r1_ll.as_str(), "{r}");
    assert_eq!(r["dev"], "eth0", "{r}");
    assert_eq!(r["metric"], 20, "{r}");
    let agg = kernel_routes(&n1, "-6")
        .into_iter()
        .find(|r| r["dst"] == "fd00:f4::/32")
        .unwrap_or_default();
    assert_eq!(agg["type"], "unreachable", "the IPv6 reject aggregate: {agg}");
    // OSPFv2's adjacency runs on its own timers (its DR election may finish later).
    wait("OSPFv2's route too", 30, || route(&n1, "-4", "10.0.9.0/24", "240").is_some(), ctx);

    // A host behind FRR reaches the node's pod range across the fabric.
    wait("the host pings fd00:f4:1::1", 20, || ping(&host, "fd00:f4:1::1"), ctx);

    // Node 2's kernel source: its pod bridge's IPv6 range reaches FRR, and
    // node 1 installs it straight via node 2's link-local address (a
    // DROther's next hop from its link-LSA, RFC 5340 §4.8.1), not via FRR.
    wait(
        "fd00:f4:2::/64 at FRR and node 1",
        30,
        || {
            route(&r1, "-6", "fd00:f4:2::/64", "ospf").is_some()
                && route(&n1, "-6", "fd00:f4:2::/64", "240").is_some()
        },
        ctx,
    );
    let r = route(&r1, "-6", "fd00:f4:2::/64", "ospf").unwrap_or_default();
    assert_eq!(r["gateway"], n2_ll.as_str(), "{r}");
    let r = route(&n1, "-6", "fd00:f4:2::/64", "240").unwrap_or_default();
    println!("n1$ ip -6 -j route (node 2's pods)\n{r}");
    assert_eq!(r["gateway"], n2_ll.as_str(), "{r}");
    assert_eq!(r["dev"], "eth0", "{r}");
    let pod_to_pod =
        || n1.exec(&["ping", "-c", "1", "-W", "1", "-I", "fd00:f4:1::1", "fd00:f4:2::1"]);
    wait("node 1's pod range pings node 2's", 20, || pod_to_pod().is_ok(), ctx);

    // show, both versions.
    let nbr = node.show("ipv6 ospf6 neighbor");
    println!("n1$ k8s-ospf-speaker show ipv6 ospf6 neighbor\n{nbr}");
    let line = nbr.lines().find(|l| l.starts_with("10.2.0.1")).unwrap_or_default();
    assert!(
        line.contains("Full/DR") && line.contains(&r1_ll) && line.contains("eth0:fe80::"),
        "{nbr}"
    );
    let v2 = node.show("ip ospf neighbor");
    assert!(v2.lines().any(|l| l.starts_with("10.2.0.1") && l.contains("Full/DR")), "{v2}");
    let rib6 = node.show("ipv6 rib");
    println!("n1$ k8s-ospf-speaker show ipv6 rib\n{rib6}");
    let l = rib6.lines().find(|l| l.starts_with("fd00:9::/64")).unwrap_or_default();
    assert!(l.contains(&r1_ll) && l.contains("Intra-Area"), "{rib6}");
    let rib6_json = node.show_json("ipv6 rib");
    assert!(
        rib6_json.as_array().is_some_and(|a| a.iter().any(|e| e["destination"] == "fd00:9::/64"
            && e["cost"] == 30
            && e["next_hops"][0]["interface"] == "eth0")),
        "{rib6_json}"
    );
    let route6 = node.show("ipv6 route");
    println!("n1$ k8s-ospf-speaker show ipv6 route\n{route6}");
    assert!(route6.contains(&format!("O>* fd00:9::/64 [110/30] via {r1_ll}, eth0")), "{route6}");
    assert!(route6.contains("S>* fd00:f4::/32 [1/0] unreachable (reject)"), "{route6}");
    assert!(!route6.contains("10.0.9.0/24"), "IPv4 in show ipv6 route:\n{route6}");
    let route4 = node.show("ip route");
    assert!(!route4.contains("fd00:"), "IPv6 in show ip route:\n{route4}");
    let db6 = node.show("ipv6 ospf6 database");
    println!("n1$ k8s-ospf-speaker show ipv6 ospf6 database\n{db6}");
    assert!(db6.contains("Area 0.0.0.2 Scoped Link State Database"), "{db6}");
    assert!(
        db6.lines().any(|l| l.starts_with("AS-External") && l.contains("192.168.2.11")),
        "{db6}"
    );
    assert!(db6.lines().any(|l| l.starts_with("Link") && l.contains("10.2.0.1")), "{db6}");
    let pods = node.show("pods");
    println!("n1$ k8s-ospf-speaker show pods\n{pods}");
    assert!(
        pods.contains("fd00:f4:1::/64 announced as an OSPFv3 type-2 external, metric 20"),
        "{pods}"
    );

    // Metrics of both versions.
    let scrape = node.http_get("/metrics");
    for metric in [
        "ospf_neighbors_full 1",
        "ospfv3_neighbors_full 1",
        "pod_routes_announced 1",
        "ospfv3_pod_routes_announced 1",
    ] {
        assert!(scrape.contains(metric), "{metric} missing:\n{scrape}");
    }
    assert!(
        scrape.lines().any(|l| l
            .strip_prefix("ospfv3_spf_runs_total{kind=\"full\"} ")
            .is_some_and(|n| n.trim().parse::<u32>().is_ok_and(|n| n >= 1))),
        "{scrape}"
    );

    // SIGHUP: a new IPv6 pod CIDR is announced without the adjacency
    // going down.
    let before = std::fs::read_to_string(&config).expect("read");
    let more = before.replace(
        "pod-cidrs = [\"10.244.1.0/24\", \"fd00:f4:1::/64\"]",
        "pod-cidrs = [\"10.244.1.0/24\", \"fd00:f4:1::/64\", \"fd00:f4:11::/64\"]",
    );
    assert_ne!(more, before, "the sample's node1 pod-cidrs line");
    std::fs::write(&config, more).expect("write");
    agent.signal(libc::SIGHUP);
    wait(
        "the new IPv6 pod CIDR in FRR's kernel",
        30,
        || route(&r1, "-6", "fd00:f4:11::/64", "ospf").is_some(),
        ctx,
    );
    assert!(node.log().contains("configuration reloaded"), "{}", node.log());
    let adjacencies = node.log().lines().filter(|l| l.contains("-> Full")).count();
    assert_eq!(adjacencies, 2, "one Full per version, none again:\n{}", node.log());
    let log = node.log();
    let warnings: Vec<&str> =
        log.lines().filter(|l| l.contains(" WARN ") || l.contains(" ERROR ")).collect();
    assert!(warnings.is_empty(), "{warnings:#?}");

    // SIGTERM: the agent flushes its OSPFv3 LSAs too and removes its IPv6
    // kernel routes.
    agent.stop_with(libc::SIGTERM, Duration::from_secs(5));
    let ours: Vec<Value> =
        kernel_routes(&n1, "-6").into_iter().filter(|r| r["protocol"] == "240").collect();
    assert!(ours.is_empty(), "IPv6 routes of ours left: {ours:?}");
    wait(
        "FRR forgets the IPv6 pod routes",
        10,
        || {
            route(&r1, "-6", "fd00:f4:1::/64", "ospf").is_none()
                && route(&r1, "-6", "fd00:f4:11::/64", "ospf").is_none()
        },
        ctx,
    );
    assert!(node.log().contains("stopped"), "{}", node.log());
    println!("lab run: {} ms", started.elapsed().as_millis());
}
