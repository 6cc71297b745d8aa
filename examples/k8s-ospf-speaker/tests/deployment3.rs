//! Seed deployment 3 in network namespaces (needs root, FRR, iproute2,
//! ping): an FRR router (zebra and ospfd) and nodes running the
//! `k8s-ospf-speaker` binary in area 0.0.0.2 on one broadcast segment, cost
//! 20, each node's pod CIDR redistributed as a type-2 external, pods in
//! namespaces of their own behind a bridge on their node, a host behind the
//! router.
//!
//! ```text
//!   host 10.0.9.2 ── h0 r1 (FRR, 10.2.0.1) eth0 192.168.2.1 ──┐
//!                                                            [vlan]
//!   pod1 10.244.1.10 ── cni0 n1 (static source) eth0 .11 ────┤
//!   pod2 10.244.2.10 ── cni0 n2 (kernel source) eth0 .12 ────┤
//!                          n3 (MTU 1400)        eth0 .13 ────┘
//! ```
//!
//! The lab (`netlab`) deletes its namespaces and kills what runs in them when
//! it drops, also on failure; the agents are child processes stopped when
//! their guards drop. Labs run one at a time (`integration_tests::serial`).

mod support;

use std::path::Path;
use std::time::Duration;

use netlab::{Frr, FrrDaemon, Lab, Netns};
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
interface h0
 ip ospf passive
!
router ospf
 ospf router-id 10.2.0.1
 timers throttle spf 0 50 1000
 timers lsa min-arrival 0
 network 192.168.2.0/24 area 0.0.0.2
 network 10.0.9.0/24 area 0.0.0.2
!
";

/// Node 2: the pod routes are what the kernel table holds inside the
/// aggregate (here the connected route of the pod bridge).
const NODE2: &str = r#"
router-id = "192.168.2.12"
control-socket = "SOCKET"
metrics-address = "127.0.0.1:9342"
reject-aggregate = "10.244.0.0/16"

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
metric = 20
"#;

/// Node 3: its VLAN interface has a smaller MTU than the segment's others.
const NODE3: &str = r#"
router-id = "192.168.2.13"
control-socket = "SOCKET"
reject-aggregate = "10.244.0.0/16"

[[interface]]
name = "eth0"
area = "0.0.0.2"
cost = 20
hello-interval = 1
dead-interval = 4
priority = 0

[pod-routes]
prefixes = ["10.244.3.0/24"]
"#;

fn our_routes(node: &Node) -> Vec<Value> {
    kernel_routes(&node.ns, "-4").into_iter().filter(|r| r["protocol"] == "240").collect()
}

fn our_route(node: &Node, dst: &str) -> Option<Value> {
    our_routes(node).into_iter().find(|r| r["dst"] == dst)
}

fn frr_route(ns: &Netns, dst: &str) -> Option<Value> {
    route(ns, "-4", dst, "ospf")
}

/// Everything a failure message needs: agents' logs and tables, FRR's view.
fn context(frr: &Frr, nodes: &[&Node]) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "FRR neighbours:\n{}\nFRR routes:\n{}\n",
        frr.vtysh("show ip ospf neighbor").unwrap_or_default(),
        frr.vtysh("show ip route").unwrap_or_default()
    ));
    for n in nodes {
        out.push_str(&format!(
            "--- {} log:\n{}\n--- {} kernel:\n{}\n",
            n.name,
            n.log(),
            n.name,
            n.ns.ip(&["route", "show", "table", "main"]).unwrap_or_default()
        ));
    }
    out
}

fn pod(lab: &Lab, node: &Netns, name: &str, bridge_cidr: &str, pod_cidr: &str, gw: &str) -> Netns {
    node.add_bridge("cni0").expect("pod bridge");
    node.add_addr("cni0", bridge_cidr).expect("bridge address");
    let pod = lab.node(name).expect("pod namespace");
    lab.veth(node, "vpod", &pod, "eth0").expect("pod veth");
    node.set_master("vpod", "cni0").expect("bridge port");
    pod.add_addr("eth0", pod_cidr).expect("pod address");
    pod.ip(&["route", "add", "default", "via", gw]).expect("pod default route");
    pod
}

#[test]
fn deployment_3_pods_reach_each_other_through_frr() {
    let _serial = integration_tests::serial();
    for tool in ["/usr/lib/frr/ospfd", "/usr/lib/frr/zebra", "/usr/bin/ping"] {
        assert!(Path::new(tool).exists(), "{tool} is missing: install frr and iputils-ping");
    }
    let lab = Lab::new("kospf").expect("lab (needs root)");
    let r1 = lab.node("r1").expect("node");
    let host = lab.node("host").expect("node");
    let n1 = lab.node("n1").expect("node");
    let n2 = lab.node("n2").expect("node");
    let n3 = lab.node("n3").expect("node");
    lab.segment("vlan", &[(&r1, "eth0"), (&n1, "eth0"), (&n2, "eth0"), (&n3, "eth0")])
        .expect("segment");
    lab.veth(&r1, "h0", &host, "eth0").expect("veth");
    for (ns, iface, cidr) in [
        (&r1, "eth0", "192.168.2.1/24"),
        (&n1, "eth0", "192.168.2.11/24"),
        (&n2, "eth0", "192.168.2.12/24"),
        (&n3, "eth0", "192.168.2.13/24"),
        (&r1, "h0", "10.0.9.1/24"),
        (&host, "eth0", "10.0.9.2/24"),
    ] {
        ns.add_addr(iface, cidr).expect("addr");
    }
    host.ip(&["route", "add", "default", "via", "10.0.9.1"]).expect("host default route");
    n3.set_mtu("eth0", 1400).expect("mtu");
    let pod1 = pod(&lab, &n1, "pod1", "10.244.1.1/24", "10.244.1.10/24", "10.244.1.1");
    let pod2 = pod(&lab, &n2, "pod2", "10.244.2.1/24", "10.244.2.10/24", "10.244.2.1");

    let frr_dir = lab.subdir("r1").expect("state folder");
    let frr = Frr::start(&r1, &frr_dir, &[(FrrDaemon::Ospfd, FRR_OSPFD)]).expect("FRR starts");

    // Node 1 runs the sample file as shipped, only its socket and metrics
    // address moved into the lab.
    let sample = std::fs::read_to_string(SAMPLE).expect("the sample configuration");
    let n1_text = sample
        .replace("/run/k8s-ospf-speaker/control.sock", "SOCKET")
        .replace("0.0.0.0:9342", "127.0.0.1:9342");
    assert_ne!(n1_text, sample, "the sample names a socket and a metrics address");
    let mut node1 = Node::new(&lab, n1.clone(), "node1", &n1_text);
    let mut node2 = Node::new(&lab, n2.clone(), "node2", NODE2);
    let mut node3 = Node::new(&lab, n3.clone(), "node3", NODE3);
    node1.start();
    node2.start();
    node3.start();
    let ctx = |nodes: &[&Node]| context(&frr, nodes);

    // FRR's kernel holds both pod routes (zebra installed them), type-2
    // externals of metric 20 through the nodes.
    wait(
        "both pod routes in FRR's kernel",
        60,
        || frr_route(&r1, "10.244.1.0/24").is_some() && frr_route(&r1, "10.244.2.0/24").is_some(),
        || ctx(&[&node1, &node2, &node3]),
    );
    let r = frr_route(&r1, "10.244.1.0/24").unwrap_or_default();
    assert_eq!(r["gateway"], "192.168.2.11", "{r}");
    assert_eq!(r["metric"], 20, "{r}");
    let r = frr_route(&r1, "10.244.2.0/24").unwrap_or_default();
    assert_eq!(r["gateway"], "192.168.2.12", "{r}");
    let e2 = frr.vtysh_json("show ip ospf route json").expect("FRR's OSPF routes");
    assert_eq!(e2["10.244.1.0/24"]["routeType"], "N E2", "{}", e2["10.244.1.0/24"]);
    assert_eq!(e2["10.244.2.0/24"]["type2cost"], 20, "{}", e2["10.244.2.0/24"]);

    // Each node's kernel holds the other node's pod route, installed by its
    // agent (protocol 240), the router's host network, and the reject route.
    wait(
        "each node has the other's pod route",
        30,
        || {
            our_route(&node1, "10.244.2.0/24").is_some()
                && our_route(&node2, "10.244.1.0/24").is_some()
        },
        || ctx(&[&node1, &node2]),
    );
    let r = our_route(&node1, "10.244.2.0/24").unwrap_or_default();
    assert_eq!(r["gateway"], "192.168.2.12", "{r}");
    assert_eq!(r["dev"], "eth0", "{r}");
    assert_eq!(r["metric"], 20, "{r}");
    for node in [&node1, &node2] {
        let agg = our_route(node, "10.244.0.0/16").unwrap_or_default();
        assert_eq!(agg["type"], "unreachable", "{}: {agg}", node.name);
        wait(
            "the host network through FRR",
            20,
            || our_route(node, "10.0.9.0/24").is_some(),
            || ctx(&[node]),
        );
        // The segment is the kernel's own connected route, not installed again.
        assert!(our_route(node, "192.168.2.0/24").is_none(), "{:?}", our_routes(node));
    }

    // Pod to pod across the segment, and from the host behind the router.
    wait("pod1 reaches pod2", 20, || ping(&pod1, "10.244.2.10"), || ctx(&[&node1, &node2]));
    assert!(ping(&pod2, "10.244.1.10"), "pod2 reaches pod1");
    wait("the host reaches pod1", 20, || ping(&host, "10.244.1.10"), || ctx(&[&node1]));
    assert!(ping(&host, "10.244.2.10"), "the host reaches pod2");
    // An unassigned pod address is refused by the node, not looped.
    let refused = n1.ip(&["route", "get", "10.244.77.7"]);
    assert!(refused.is_err(), "10.244.77.7 must hit the reject route: {refused:?}");
    assert!(!ping(&pod1, "10.244.77.7"), "no answer from an unassigned pod address");

    // Node 3's MTU is too small: it says so in FRR's words and never gets
    // to Full with the router.
    let mtu_line =
        "Packet[DD]: Neighbor 10.2.0.1 MTU 1500 is larger than [eth0:192.168.2.13]'s MTU 1400";
    wait(
        "node 3 reports the MTU mismatch",
        30,
        || node3.log().contains(mtu_line),
        || ctx(&[&node3]),
    );
    std::thread::sleep(Duration::from_secs(5));
    let n3_nbrs = node3.show_json("ip ospf neighbor");
    let frr_nbr = n3_nbrs["neighbors"]
        .as_array()
        .and_then(|a| a.iter().find(|n| n["neighbor_id"] == "10.2.0.1"))
        .cloned()
        .unwrap_or_default();
    println!(
        "node3$ k8s-ospf-speaker show ip ospf neighbor\n{}\nnode3 log: {}\n",
        node3.show("ip ospf neighbor"),
        node3.log().lines().find(|l| l.contains(mtu_line)).unwrap_or_default()
    );
    assert_eq!(frr_nbr["state"], "ExStart", "{n3_nbrs}");
    assert_eq!(frr_nbr["mtu_mismatch"]["neighbor_mtu"], 1500, "{n3_nbrs}");
    assert!(!node3.log().contains("-> Full"), "node 3 reached Full:\n{}", node3.log());
    let frr_view = frr.vtysh_json("show ip ospf neighbor json").expect("FRR neighbours");
    let state = frr_view["neighbors"]["192.168.2.13"][0]["nbrState"].as_str().unwrap_or("");
    assert!(!state.starts_with("Full"), "FRR has node 3 {state}");

    // show over the control socket.
    let nbr = node1.show("ip ospf neighbor");
    println!("node1$ k8s-ospf-speaker show ip ospf neighbor\n{nbr}");
    assert!(nbr.starts_with("Neighbor ID"), "{nbr}");
    let line = nbr.lines().find(|l| l.starts_with("10.2.0.1")).unwrap_or_default();
    assert!(
        line.contains("Full/DR")
            && line.contains("192.168.2.1 ")
            && line.contains("eth0:192.168.2.11"),
        "{nbr}"
    );
    let rib = node1.show("rib");
    println!("node1$ k8s-ospf-speaker show rib\n{rib}");
    assert!(
        rib.starts_with(
            "Destination          Nexthop           Path Type    Type      Cost    Uptime"
        ),
        "{rib}"
    );
    let ext = rib.lines().find(|l| l.starts_with("10.244.2.0/24")).unwrap_or_default();
    assert!(
        ext.contains("192.168.2.12") && ext.contains("Type 2 ext") && ext.contains("Network"),
        "{rib}"
    );
    let seg = rib.lines().find(|l| l.starts_with("10.0.9.0/24")).unwrap_or_default();
    assert!(seg.contains("Intra-Area"), "{rib}");
    let route = node1.show("ip route");
    println!("node1$ k8s-ospf-speaker show ip route\n{route}");
    assert!(route.contains("O>* 10.244.2.0/24 [110/20] via 192.168.2.12, eth0"), "{route}");
    assert!(route.contains("S>* 10.244.0.0/16 [1/0] unreachable (reject)"), "{route}");
    assert!(route.contains("C>  10.244.1.0/24 is directly connected, cni0"), "{route}");
    let db = node1.show("ip ospf database");
    println!("node1$ k8s-ospf-speaker show ip ospf database\n{db}");
    assert!(db.contains("Router Link States (Area 0.0.0.2)"), "{db}");
    assert!(db.contains("AS External Link States"), "{db}");
    assert!(db.contains("E2 10.244.2.0/24 [0x0]"), "{db}");
    let rib_json = node1.show_json("rib");
    assert!(
        rib_json.as_array().is_some_and(|a| a.iter().any(|e| e["destination"] == "10.244.2.0/24"
            && e["path_type"] == "Type 2 ext"
            && e["type2_cost"] == 20)),
        "{rib_json}"
    );
    let routes_json = node1.show_json("ip route");
    assert!(routes_json["routes"].as_array().is_some_and(|a| !a.is_empty()), "{routes_json}");

    // Metrics and probes.
    let ready = node1.http_get("/readyz");
    assert!(ready.starts_with("HTTP/1.1 200"), "{ready}");
    // The kernel thread's route count is published once it has programmed them.
    let installed = |scrape: &str| {
        scrape.lines().any(|l| {
            l.strip_prefix("kernel_routes_installed ")
                .is_some_and(|n| n.trim().parse::<u32>().is_ok_and(|n| n >= 3))
        })
    };
    wait(
        "the kernel routes in the metrics",
        10,
        || installed(&node1.http_get("/metrics")),
        || node1.http_get("/metrics"),
    );
    let scrape = node1.http_get("/metrics");
    println!("node1$ curl 127.0.0.1:9342/metrics\n{scrape}");
    for metric in [
        "ospf_neighbors_full 1",
        "ospf_spf_runs_total{kind=\"full\"}",
        "ospf_errors_total{kind=\"mtu_mismatch\"} 0",
        "pod_routes_announced 1",
    ] {
        assert!(scrape.contains(metric), "{metric} missing:\n{scrape}");
    }
    assert!(installed(&scrape), "{scrape}");

    // SIGHUP: node 1 gains a pod CIDR; it is announced without its
    // adjacency going down.
    let more = std::fs::read_to_string(&node1.config).expect("read").replace(
        "pod-cidrs = [\"10.244.1.0/24\", \"fd00:f4:1::/64\"]",
        "pod-cidrs = [\"10.244.1.0/24\", \"fd00:f4:1::/64\", \"10.244.11.0/24\"]",
    );
    std::fs::write(&node1.config, more).expect("write");
    if let Some(a) = &node1.agent {
        a.signal(libc::SIGHUP);
    }
    wait(
        "the new pod CIDR in FRR's kernel",
        30,
        || frr_route(&r1, "10.244.11.0/24").is_some(),
        || ctx(&[&node1]),
    );
    assert!(node1.log().contains("configuration reloaded"), "{}", node1.log());

    // SIGHUP: an interface added (the pod bridge, passive: the pod CIDR
    // becomes an intra-area stub), then removed again.
    let before = std::fs::read_to_string(&node1.config).expect("read");
    let with_cni0 = before.replace(
        "[pod-routes]",
        "[[interface]]\nname = \"cni0\"\narea = \"0.0.0.2\"\npassive = true\n\n[pod-routes]",
    );
    std::fs::write(&node1.config, &with_cni0).expect("write");
    let frr_type = |p: &str| {
        frr.vtysh_json("show ip ospf route json")
            .ok()
            .and_then(|v| v[p]["routeType"].as_str().map(str::to_owned))
    };
    if let Some(a) = &node1.agent {
        a.signal(libc::SIGHUP);
    }
    wait(
        "node 1's pod bridge intra-area at FRR",
        30,
        || frr_type("10.244.1.0/24").as_deref() == Some("N"),
        || ctx(&[&node1]),
    );
    assert!(node1.log().contains("reload: interface added"), "{}", node1.log());
    std::fs::write(&node1.config, &before).expect("write");
    if let Some(a) = &node1.agent {
        a.signal(libc::SIGHUP);
    }
    wait(
        "node 1's pod CIDR a type-2 external again",
        30,
        || frr_type("10.244.1.0/24").as_deref() == Some("N E2"),
        || ctx(&[&node1]),
    );
    assert!(node1.log().contains("reload: interface removed"), "{}", node1.log());
    // Three reloads, one adjacency: eth0's settings never changed.
    assert_eq!(
        node1.log().matches("-> Full").count(),
        1,
        "the adjacency stayed up:\n{}",
        node1.log()
    );

    // SIGKILL of node 2's agent, a stale route of ours left in its kernel,
    // then a restart: the stale route goes, the live ones come back.
    let mut killed = node2.agent.take().expect("node 2 runs");
    killed.stop_with(libc::SIGKILL, Duration::from_secs(2));
    assert!(our_route(&node2, "10.244.1.0/24").is_some(), "a killed agent leaves its routes");
    n2.ip(&[
        "route",
        "add",
        "10.244.99.0/24",
        "via",
        "192.168.2.1",
        "proto",
        "240",
        "metric",
        "20",
    ])
    .expect("a stale route of ours");
    node2.start();
    wait(
        "node 2 reconciled its kernel routes",
        30,
        || {
            let ours = our_routes(&node2);
            ours.iter().all(|r| r["dst"] != "10.244.99.0/24")
                && ours.iter().filter(|r| r["dst"] == "10.244.0.0/16").count() == 1
                && ours.iter().any(|r| r["dst"] == "10.244.1.0/24")
        },
        || ctx(&[&node2]),
    );
    let last_start = node2.log().rsplit("stale_removed=").next().unwrap_or_default().to_owned();
    let removed: u32 =
        last_start.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(0);
    assert!(removed >= 1, "the restart found our routes of the killed run:\n{}", node2.log());
    wait("pod1 reaches pod2 again", 30, || ping(&pod1, "10.244.2.10"), || ctx(&[&node1, &node2]));

    // SIGTERM: node 1 flushes its LSAs and removes its kernel routes.
    if let Some(mut a) = node1.agent.take() {
        a.stop_with(libc::SIGTERM, Duration::from_secs(5));
    }
    assert!(our_routes(&node1).is_empty(), "{:?}", our_routes(&node1));
    wait(
        "FRR forgets node 1's pods",
        10,
        || frr_route(&r1, "10.244.1.0/24").is_none(),
        || ctx(&[&node1]),
    );
    assert!(node1.log().contains("stopped"), "{}", node1.log());
    drop(node3);
    drop(node2);
}
