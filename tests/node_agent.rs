//! The BGP node agent (`k8s-bgp-speaker`, the binary) in seed deployment 1, in network
//! namespaces this test creates and deletes: two FRR leaves peering eBGP unnumbered with
//! three nodes whose uplinks have only IPv6 link-local addresses, each node with a /32
//! loopback and a pod namespace behind it. Packets cross: a pod on node 1 pings a pod on
//! node 3 through both leaves, and keeps doing so when a leaf link goes down. The agent's
//! `show` and metrics answer; a SIGKILLed agent comes back and leaves no stale route.

use integration_tests::{binary, serial};
use netlab::{ChildGuard, Frr, FrrDaemon, Lab, Netns};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(200);
const NODES: u8 = 3;

fn pod_cidr(n: u8) -> String {
    format!("10.233.{}.0/24", 64 + n)
}

fn pod_ip(n: u8) -> String {
    format!("10.233.{}.10", 64 + n)
}

/// A leaf: FRR with Router Advertisements on every node port and an unnumbered eBGP
/// session on each (`maximum-paths 64`, `as-path multipath-relax`, timers 1/3).
fn leaf_conf(l: u8) -> (String, String) {
    let mut zebra = String::new();
    let mut ports = String::new();
    for n in 1..=NODES {
        zebra.push_str(&format!(
            "interface swp{n}\n ipv6 nd ra-interval 3\n no ipv6 nd suppress-ra\n!\n"
        ));
        ports.push_str(&format!(" neighbor swp{n} interface peer-group NODES\n"));
    }
    let bgpd = format!(
        "frr defaults datacenter\nhostname leaf{l}\n!\nrouter bgp 6510{l}\n bgp router-id 10.0.0.{l}\n \
         no bgp ebgp-requires-policy\n bgp bestpath as-path multipath-relax\n timers bgp 1 3\n \
         neighbor NODES peer-group\n neighbor NODES remote-as external\n neighbor NODES timers connect 1\n \
         neighbor NODES advertisement-interval 0\n{ports} address-family ipv4 unicast\n  maximum-paths 64\n \
         exit-address-family\n"
    );
    (zebra, bgpd)
}

/// A node's configuration file: seed deployment 1's words.
fn node_conf(n: u8, dir: &Path) -> String {
    format!(
        "network = [\"10.0.0.1{n}/32\"]\n\
         policy = \"\"\"\nip prefix-list PODS seq 5 permit 10.233.64.0/18 le 24\nroute-map PODS permit 10\n match ip address prefix-list PODS\n\"\"\"\n\n\
         [bgp]\nasn = 420000000{n}\nrouter-id = \"10.0.0.1{n}\"\n\
         bestpath = [\"as-path multipath-relax\", \"compare-routerid\"]\nmaximum-paths = 64\n\
         timers = [1, 3]\ngraceful-restart = true\n\n\
         [peer-group.TOR]\nremote-as = \"external\"\ncapability = [\"extended-nexthop\"]\n\
         timers-connect = 1\nadvertisement-interval = 0\n\n\
         [[neighbor]]\ninterface = \"eth1\"\npeer-group = \"TOR\"\n\n\
         [[neighbor]]\ninterface = \"eth2\"\npeer-group = \"TOR\"\n\n\
         [[redistribute]]\nprotocol = \"connected\"\nroute-map = \"PODS\"\n\n\
         [agent]\ncontrol-socket = \"{}\"\nmetrics = \"127.0.0.1:9179\"\n",
        dir.join("control.sock").display()
    )
}

/// One node's agent process.
struct Agent {
    child: Option<ChildGuard>,
    dir: PathBuf,
    bin: PathBuf,
    ns: Netns,
}

impl Agent {
    fn start(bin: &Path, ns: &Netns, dir: &Path, n: u8) -> Agent {
        std::fs::write(dir.join("agent.toml"), node_conf(n, dir)).expect("config");
        let mut a = Agent { child: None, dir: dir.to_owned(), bin: bin.to_owned(), ns: ns.clone() };
        a.spawn();
        a
    }

    fn spawn(&mut self) {
        let mut cmd = self.ns.command(self.bin.to_str().expect("path"));
        cmd.args(["run", self.dir.join("agent.toml").to_str().expect("path")]);
        cmd.env("RUST_LOG", "info");
        let log = self.dir.join("agent.log");
        self.child = Some(ChildGuard::spawn(cmd, Some(&log)).expect("agent"));
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("agent.log")).unwrap_or_default()
    }

    /// `k8s-bgp-speaker show WORDS` against this agent's socket.
    fn show(&self, words: &[&str]) -> String {
        let out = std::process::Command::new(&self.bin)
            .arg("show")
            .arg("--socket")
            .arg(self.dir.join("control.sock"))
            .args(words)
            .output()
            .expect("show");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// The node's route to `prefix` from the kernel: (protocol, next hops as `via dev`).
fn kernel_route(ns: &Netns, prefix: &str) -> Option<(String, Vec<String>)> {
    let out = ns.exec(&["ip", "-j", "route", "show", prefix]).ok()?;
    let v: serde_json::Value = serde_json::from_str(&out).ok()?;
    let r = v.as_array()?.first()?;
    let hop = |h: &serde_json::Value| {
        let via = h["via"]["host"].as_str().or(h["gateway"].as_str()).unwrap_or("-");
        format!("{via} {}", h["dev"].as_str().unwrap_or("-"))
    };
    let hops = match r["nexthops"].as_array() {
        Some(list) => list.iter().map(hop).collect(),
        None => vec![hop(r)],
    };
    Some((r["protocol"].to_string().trim_matches('"').to_owned(), hops))
}

fn ping(from: &Netns, to: &str) -> bool {
    from.exec(&["ping", "-c", "1", "-W", "1", to]).is_ok()
}

/// GET `path` on the agent's metrics port, from inside its namespace.
fn scrape(ns: &Netns, path: &str) -> String {
    let _guard = ns.enter().expect("enter");
    let Ok(mut s) = std::net::TcpStream::connect("127.0.0.1:9179") else { return String::new() };
    let _ = write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

fn wait(what: &str, mut f: impl FnMut() -> bool, agents: &[Agent]) {
    if let Err(e) = netlab::wait_until(WAIT, POLL, what, &mut f) {
        let logs: Vec<String> = agents.iter().map(|a| a.log()).collect();
        panic!("{e}\nagent logs:\n{}", logs.join("\n-----\n"));
    }
}

#[test]
fn deployment_1_unnumbered_fabric_with_pods() {
    let bin = binary("k8s-bgp-speaker");
    let _s = serial();
    let lab = Lab::new("dep").expect("lab");
    let leaves: Vec<Netns> =
        (1..=2).map(|l| lab.node(&format!("leaf{l}")).expect("leaf")).collect();
    let mut nodes = Vec::new();
    let mut pods = Vec::new();
    for n in 1..=NODES {
        let node = lab.node(&format!("node{n}")).expect("node");
        for (l, leaf) in leaves.iter().enumerate() {
            lab.veth(leaf, &format!("swp{n}"), &node, &format!("eth{}", l + 1)).expect("veth");
        }
        node.add_addr("lo", &format!("10.0.0.1{n}/32")).expect("loopback");
        let pod = lab.node(&format!("pod{n}")).expect("pod");
        lab.veth(&node, "cni0", &pod, "eth0").expect("veth");
        node.add_addr("cni0", &format!("10.233.{}.1/24", 64 + n)).expect("addr");
        pod.add_addr("eth0", &format!("{}/24", pod_ip(n))).expect("addr");
        pod.ip(&["route", "add", "default", "via", &format!("10.233.{}.1", 64 + n)])
            .expect("route");
        nodes.push(node);
        pods.push(pod);
    }
    let mut frrs = Vec::new();
    for (l, leaf) in leaves.iter().enumerate() {
        let (zebra, bgpd) = leaf_conf(l as u8 + 1);
        let dir = lab.subdir(&format!("leaf{}", l + 1)).expect("dir");
        frrs.push(
            Frr::start(leaf, &dir, &[(FrrDaemon::Zebra, &zebra), (FrrDaemon::Bgpd, &bgpd)])
                .expect("frr"),
        );
    }
    let mut agents: Vec<Agent> = nodes
        .iter()
        .enumerate()
        .map(|(i, ns)| {
            let dir = lab.subdir(&format!("agent{}", i + 1)).expect("dir");
            Agent::start(&bin, ns, &dir, i as u8 + 1)
        })
        .collect();

    // Every leaf: ECMP to every pod CIDR through the nodes' link-local addresses... one
    // node each, so one next hop per pod CIDR, via the node's link-local address.
    for (l, frr) in frrs.iter().enumerate() {
        for n in 1..=NODES {
            let p = pod_cidr(n);
            wait(
                &format!("leaf{} has {p}", l + 1),
                || {
                    frr.vtysh_json(&format!("show ip route {p} json"))
                        .map(|v| v[&p].to_string().contains("fe80::"))
                        .unwrap_or(false)
                },
                &agents,
            );
        }
    }
    // Each node's kernel: the other nodes' pod CIDRs through both leaves, installed by us.
    for (i, node) in nodes.iter().enumerate() {
        for n in (1..=NODES).filter(|n| usize::from(*n) != i + 1) {
            let p = pod_cidr(n);
            wait(
                &format!("node{} has {p} over both uplinks", i + 1),
                || {
                    kernel_route(node, &p).is_some_and(|(proto, hops)| {
                        proto == "240"
                            && hops.len() == 2
                            && hops.iter().all(|h| h.starts_with("fe80::"))
                    })
                },
                &agents,
            );
        }
    }
    eprintln!("node1 kernel route to {}: {:?}", pod_cidr(3), kernel_route(&nodes[0], &pod_cidr(3)));
    // Packets cross: pod on node 1 to pod on node 3, and node loopback to loopback.
    wait("a ping from pod1 to pod3", || ping(&pods[0], &pod_ip(3)), &agents);
    assert!(ping(&nodes[0], "10.0.0.13"), "node1 reaches node3's loopback");

    // The operator's view.
    let summary = agents[0].show(&["bgp", "summary"]);
    eprintln!("node1# show bgp summary\n{summary}");
    for port in ["eth1", "eth2"] {
        let line = summary.lines().find(|l| l.starts_with(port)).unwrap_or_default();
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert!(
            cols.len() >= 5 && cols[3].parse::<u32>().is_ok(),
            "{port} not Established: {summary}"
        );
    }
    let detail = agents[0].show(&["bgp", "ipv4", "unicast", &pod_cidr(3)]);
    eprintln!("node1# show bgp ipv4 unicast {}\n{detail}", pod_cidr(3));
    assert!(
        detail.contains("Paths: (2 available, best #1)") && detail.contains("multipath"),
        "{detail}"
    );
    let json = agents[0].show(&["bgp", "summary", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).expect("summary JSON");
    assert_eq!(v["local_as"], 4_200_000_001_u32);
    // Metrics are refreshed every 2 s: wait for the routes to show.
    let mut metrics = String::new();
    wait(
        "metrics with the routes received",
        || {
            metrics = scrape(&nodes[0], "/metrics");
            metrics.contains("k8s_bgp_speaker_sessions_up 2")
                && metrics.contains(
                    "k8s_bgp_speaker_prefixes_received{neighbor=\"eth1\",family=\"ipv4\"} 4",
                )
                && metrics.contains("k8s_bgp_speaker_fib_routes 4")
        },
        &agents,
    );
    eprintln!("node1 metrics:\n{metrics}");
    assert!(scrape(&nodes[0], "/readyz").starts_with("HTTP/1.1 200"));

    // leaf1's link to node3 goes down: node1 forwards to node3's pods through leaf2 only,
    // within 3 s, and the ping goes on.
    leaves[0].ip(&["link", "set", "swp3", "down"]).expect("link down");
    let down = Instant::now();
    wait(
        "node1's route to pod3 through leaf2 only",
        || kernel_route(&nodes[0], &pod_cidr(3)).is_some_and(|(_, hops)| hops.len() == 1),
        &agents,
    );
    let took = down.elapsed();
    eprintln!("converged {took:?} after the link went down");
    assert!(took < Duration::from_secs(4), "converged after {took:?}");
    wait("a ping from pod1 to pod3 after the failure", || ping(&pods[0], &pod_ip(3)), &agents);
    leaves[0].ip(&["link", "set", "swp3", "up"]).expect("link up");

    // node2's agent is killed: the leaves keep its routes (graceful restart helper) and
    // its kernel keeps ours; meanwhile node3's agent stops cleanly, so node2 holds a route
    // to pod3 that is no longer in the fabric. node2's agent comes back: the stale route
    // goes once the fabric has sent End-of-RIB, and the others are still there.
    if let Some(mut c) = agents[1].child.take() {
        c.stop_with(libc::SIGKILL, Duration::from_secs(1));
    }
    if let Some(mut c) = agents[2].child.take() {
        c.stop();
    }
    std::thread::sleep(Duration::from_secs(4));
    assert!(
        frrs[0]
            .vtysh_json(&format!("show ip route {} json", pod_cidr(2)))
            .map(|v| v.get(pod_cidr(2)).is_some())
            .unwrap_or(false),
        "leaf1 kept node2's pod route while node2's agent restarts"
    );
    assert!(kernel_route(&nodes[1], &pod_cidr(3)).is_some(), "the killed agent's routes stay");
    agents[1].spawn();
    wait(
        "node2's stale route to pod3 swept",
        || kernel_route(&nodes[1], &pod_cidr(3)).is_none(),
        &agents,
    );
    wait(
        "node2 still reaches pod1",
        || {
            kernel_route(&nodes[1], &pod_cidr(1))
                .is_some_and(|(proto, h)| proto == "240" && h.len() == 2)
        },
        &agents,
    );
    let ours = nodes[1].exec(&["ip", "route", "show", "proto", "240"]).unwrap_or_default();
    eprintln!("node2's routes after the restart:\n{ours}");
    assert!(!ours.contains(&pod_cidr(3)), "{ours}");
    assert!(ping(&pods[1], &pod_ip(1)), "pod2 reaches pod1 after the restart");
}
