//! The BGP node agent (`k8s-bgp-speaker`, the binary) in seed deployment 1, in network
//! namespaces this test creates and deletes: two FRR leaves peering eBGP unnumbered with
//! three nodes whose uplinks have only IPv6 link-local addresses, each node with a /32
//! loopback and a pod namespace behind it. Packets cross: a pod on node 1 pings a pod on
//! node 3 through both leaves, and keeps doing so when a leaf link goes down. The agent's
//! `show` and metrics answer; a SIGKILLed agent comes back and leaves no stale route.
//!
//! And seed deployment 2: nodes peering with a router pair, announcing pod CIDRs and
//! Service IPs read from a Kubernetes API server (the tests' fake one, on each node's
//! loopback).

#[path = "../crates/k8s-routes/tests/support/mod.rs"]
mod support;

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
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
}

impl Agent {
    /// Runs the agent on configuration file `conf`.
    fn with_file(bin: &Path, ns: &Netns, dir: &Path, conf: &str) -> Agent {
        let file = dir.join("agent.toml");
        std::fs::write(&file, conf).expect("config");
        let args = vec!["run".to_owned(), file.to_str().expect("path").to_owned()];
        Agent::spawned(bin, ns, dir, args, Vec::new())
    }

    /// Runs the agent on kube-router's flags, with its environment.
    fn with_flags(
        bin: &Path,
        ns: &Netns,
        dir: &Path,
        flags: &[String],
        env: Vec<(&'static str, String)>,
    ) -> Agent {
        let mut args = vec!["run".to_owned()];
        args.extend(flags.iter().cloned());
        Agent::spawned(bin, ns, dir, args, env)
    }

    fn spawned(
        bin: &Path,
        ns: &Netns,
        dir: &Path,
        args: Vec<String>,
        env: Vec<(&'static str, String)>,
    ) -> Agent {
        let mut a = Agent {
            child: None,
            dir: dir.to_owned(),
            bin: bin.to_owned(),
            ns: ns.clone(),
            args,
            env,
        };
        a.spawn();
        a
    }

    fn spawn(&mut self) {
        let mut cmd = self.ns.command(self.bin.to_str().expect("path"));
        cmd.args(&self.args);
        cmd.env("RUST_LOG", "info");
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
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
            Agent::with_file(&bin, ns, &dir, &node_conf(i as u8 + 1, &dir))
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
    // Forwarding goes on while node2's agent is down: both ways through the leaves.
    assert!(ping(&pods[0], &pod_ip(2)), "pod1 reaches pod2 while node2's agent is down");
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

/// A kubeconfig for the fake API server at `port` on the namespace's loopback.
fn kubeconfig(port: u16) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: lab\n  cluster:\n    server: http://127.0.0.1:{port}\n\
         contexts:\n- name: lab\n  context:\n    cluster: lab\n    user: lab\ncurrent-context: lab\n\
         users:\n- name: lab\n  user: {{}}\n"
    )
}

/// A router of seed deployment 2: AS 64513, iBGP with the other router, eBGP with the
/// nodes (node 3 across a subnet, so multihop on the router that is not its gateway),
/// `maximum-paths 2`, and the host subnet and node 3's subnet announced.
fn router_conf(r: u8) -> String {
    let other = 3 - r;
    let node3 = if r == 1 {
        " neighbor 192.168.2.13 update-source 192.168.1.1\n".to_owned()
    } else {
        " neighbor 192.168.2.13 ebgp-multihop 2\n".to_owned()
    };
    let subnet2 = if r == 1 { "  network 192.168.2.0/24\n" } else { "" };
    format!(
        "hostname r{r}\n!\nrouter bgp 64513\n bgp router-id 192.168.1.{r}\n no bgp ebgp-requires-policy\n \
         timers bgp 1 3\n neighbor 192.168.1.{other} remote-as internal\n \
         neighbor NODES peer-group\n neighbor NODES remote-as 64512\n neighbor NODES timers connect 1\n \
         neighbor NODES advertisement-interval 0\n neighbor 192.168.1.11 peer-group NODES\n \
         neighbor 192.168.1.12 peer-group NODES\n neighbor 192.168.2.13 peer-group NODES\n{node3} \
         address-family ipv4 unicast\n  network 10.1.0.0/24\n{subnet2}  maximum-paths 2\n  \
         maximum-paths ibgp 2\n exit-address-family\n"
    )
}

/// Node 1 of deployment 2 in the configuration file's words; nodes 2 and 3 run on
/// kube-router's flags as seed 004 ran kube-router.
fn router_pair_node_conf(dir: &Path) -> String {
    format!(
        "[bgp]\nasn = 64512\nrouter-id = \"192.168.1.11\"\nmaximum-paths = 2\ntimers = [1, 3]\n\n\
         [peer-group.ROUTERS]\nremote-as = 64513\ntimers-connect = 1\nadvertisement-interval = 0\n\n\
         [[neighbor]]\naddress = \"192.168.1.1\"\npeer-group = \"ROUTERS\"\n\n\
         [[neighbor]]\naddress = \"192.168.1.2\"\npeer-group = \"ROUTERS\"\n\n\
         [kubernetes]\npod-cidr = true\ncluster-ip = true\nnode-name = \"node1\"\nkubeconfig = \"{}\"\n\n\
         [agent]\ncontrol-socket = \"{}\"\nmetrics = \"127.0.0.1:9179\"\n",
        dir.join("kubeconfig").display(),
        dir.join("control.sock").display()
    )
}

/// The next hops of the router's FIB route to `prefix` (`show ip route PREFIX json`).
fn frr_fib_hops(frr: &Frr, prefix: &str) -> Vec<String> {
    let Ok(v) = frr.vtysh_json(&format!("show ip route {prefix} json")) else { return Vec::new() };
    let Some(routes) = v[prefix].as_array() else { return Vec::new() };
    routes
        .iter()
        .filter(|r| r["selected"] == true && r["protocol"] == "bgp")
        .flat_map(|r| r["nexthops"].as_array().cloned().unwrap_or_default())
        .filter(|h| h["fib"] == true)
        .filter_map(|h| h["ip"].as_str().map(str::to_owned))
        .collect()
}

/// Seed deployment 2 (seed 004): two FRR routers in AS 64513 (iBGP between them,
/// `maximum-paths 2`) and three nodes in AS 64512 announcing their pod CIDRs and a
/// Service's cluster IP read from a Kubernetes API server. Node 3 is on another subnet
/// and peers with `ebgp-multihop` (kube-router's `--peer-router-multihop-ttl`). A host
/// behind the routers reaches pods; a Service deleted in the API leaves every router.
#[test]
fn deployment_2_router_pair_with_services() {
    let bin = binary("k8s-bgp-speaker");
    let _s = serial();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let api = rt.block_on(support::FakeApiServer::start());
    let _enter = rt.enter();
    for n in 1..=3 {
        api.apply_node(support::node(&format!("node{n}"), &[&format!("10.244.{n}.0/24")]));
    }
    api.apply_service(support::service("kube-system", "kube-dns", &["10.96.0.10"], &[], &[]));

    let lab = Lab::new("pair").expect("lab");
    let routers: Vec<Netns> =
        (1..=2).map(|r| lab.node(&format!("r{r}")).expect("router")).collect();
    let nodes: Vec<Netns> = (1..=3).map(|n| lab.node(&format!("node{n}")).expect("node")).collect();
    let host = lab.node("host").expect("host");
    // The nodes' subnet, and the host's subnet behind both routers.
    lab.segment(
        "lan",
        &[(&routers[0], "eth0"), (&routers[1], "eth0"), (&nodes[0], "eth0"), (&nodes[1], "eth0")],
    )
    .expect("lan");
    lab.segment("hlan", &[(&routers[0], "eth1"), (&routers[1], "eth1"), (&host, "eth0")])
        .expect("host lan");
    for (r, ns) in routers.iter().enumerate() {
        ns.add_addr("eth0", &format!("192.168.1.{}/24", r + 1)).expect("addr");
        ns.add_addr("eth1", &format!("10.1.0.{}/24", r + 1)).expect("addr");
    }
    host.add_addr("eth0", "10.1.0.100/24").expect("addr");
    host.ip(&["route", "add", "default", "via", "10.1.0.1"]).expect("route");
    for (i, ns) in nodes.iter().enumerate().take(2) {
        ns.add_addr("eth0", &format!("192.168.1.1{}/24", i + 1)).expect("addr");
    }
    // Node 3 hangs off router 1 on a subnet of its own.
    lab.veth(&routers[0], "eth2", &nodes[2], "eth0").expect("veth");
    routers[0].add_addr("eth2", "192.168.2.1/24").expect("addr");
    nodes[2].add_addr("eth0", "192.168.2.13/24").expect("addr");
    nodes[2].ip(&["route", "add", "default", "via", "192.168.2.1"]).expect("route");
    // A pod behind each node, in the node's pod CIDR.
    let mut pods = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        let n = i + 1;
        let pod = lab.node(&format!("pod{n}")).expect("pod");
        lab.veth(node, "cni0", &pod, "eth0").expect("veth");
        node.add_addr("cni0", &format!("10.244.{n}.1/24")).expect("addr");
        pod.add_addr("eth0", &format!("10.244.{n}.10/24")).expect("addr");
        pod.ip(&["route", "add", "default", "via", &format!("10.244.{n}.1")]).expect("route");
        pods.push(pod);
    }
    for ns in routers.iter().chain(&nodes) {
        ns.sysctl("net.ipv4.ip_forward", "1").expect("forwarding");
    }

    let frrs: Vec<Frr> = routers
        .iter()
        .enumerate()
        .map(|(r, ns)| {
            let dir = lab.subdir(&format!("r{}", r + 1)).expect("dir");
            let bgpd = router_conf(r as u8 + 1);
            Frr::start(ns, &dir, &[(FrrDaemon::Zebra, ""), (FrrDaemon::Bgpd, &bgpd)]).expect("frr")
        })
        .collect();

    // The API server, on each node's loopback.
    let mut agents = Vec::new();
    for (i, ns) in nodes.iter().enumerate() {
        let n = i + 1;
        let dir = lab.subdir(&format!("agent{n}")).expect("dir");
        let listener = {
            let _in = ns.enter().expect("enter");
            std::net::TcpListener::bind("127.0.0.1:0").expect("bind in the node")
        };
        let port = listener.local_addr().expect("addr").port();
        api.serve_also(listener);
        std::fs::write(dir.join("kubeconfig"), kubeconfig(port)).expect("kubeconfig");
        let agent = if n == 1 {
            Agent::with_file(&bin, ns, &dir, &router_pair_node_conf(&dir))
        } else {
            let mut flags: Vec<String> = [
                "--cluster-asn=64512",
                "--peer-router-ips=192.168.1.1,192.168.1.2",
                "--peer-router-asns=64513",
                "--advertise-cluster-ip",
                "--metrics=127.0.0.1:9179",
            ]
            .map(str::to_owned)
            .to_vec();
            flags.push(format!("--control-socket={}", dir.join("control.sock").display()));
            if n == 3 {
                flags.push("--peer-router-multihop-ttl=2".to_owned());
            }
            let node_ip =
                if n == 3 { "192.168.2.13".to_owned() } else { format!("192.168.1.1{n}") };
            let env = vec![
                ("NODE_NAME", format!("node{n}")),
                ("NODE_IP", node_ip),
                ("KUBECONFIG", dir.join("kubeconfig").display().to_string()),
            ];
            Agent::with_flags(&bin, ns, &dir, &flags, env)
        };
        agents.push(agent);
    }

    // Both routers: every pod CIDR, and ECMP to the Service's cluster IP through two nodes.
    for (r, frr) in frrs.iter().enumerate() {
        for n in 1..=3 {
            let p = format!("10.244.{n}.0/24");
            wait(
                &format!("r{} has {p} in its FIB", r + 1),
                || !frr_fib_hops(frr, &p).is_empty(),
                &agents,
            );
        }
        wait(
            &format!("r{} has ECMP to 10.96.0.10/32", r + 1),
            || frr_fib_hops(frr, "10.96.0.10/32").len() == 2,
            &agents,
        );
        let kernel = kernel_route(&routers[r], "10.96.0.10/32");
        eprintln!("r{} kernel route to 10.96.0.10/32: {kernel:?}", r + 1);
        assert!(kernel.is_some_and(|(_, hops)| hops.len() == 2), "r{} kernel ECMP", r + 1);
    }
    // Node 3's session to router 2 crosses router 1: multihop, as the seed needed.
    let multihop =
        frrs[1].vtysh_json("show bgp neighbors 192.168.2.13 json").expect("neighbor json");
    assert_eq!(multihop["192.168.2.13"]["bgpState"], "Established", "{multihop}");
    let route = frrs[1].vtysh_json("show ip route 10.244.3.0/24 json").expect("route json");
    let hops = route["10.244.3.0/24"][0]["nexthops"].as_array().cloned().unwrap_or_default();
    assert!(
        hops.iter().any(|h| h["ip"] == "192.168.2.13" && h["recursive"] == true),
        "r2 reaches node 3's pods through node 3, resolved over r1: {route}"
    );
    assert_eq!(frr_fib_hops(&frrs[1], "10.244.3.0/24"), ["192.168.1.1"]);
    // Each node installs the host subnet through both routers.
    for (i, node) in nodes.iter().enumerate().take(2) {
        wait(
            &format!("node{} has 10.1.0.0/24 through both routers", i + 1),
            || kernel_route(node, "10.1.0.0/24").is_some_and(|(p, h)| p == "240" && h.len() == 2),
            &agents,
        );
    }
    // The host behind the routers reaches a pod on each node.
    for n in 1..=3 {
        wait(
            &format!("the host pings the pod on node{n}"),
            || ping(&host, &format!("10.244.{n}.10")),
            &agents,
        );
    }
    let summary = agents[2].show(&["bgp", "summary"]);
    eprintln!("node3# show bgp summary\n{summary}");
    eprintln!(
        "r2# show ip route 10.96.0.10/32\n{}",
        frrs[1].vtysh("show ip route 10.96.0.10/32").unwrap_or_default()
    );

    // A new Service appears on every router; the deleted one leaves every router.
    api.apply_service(support::service("default", "web", &["10.96.0.20"], &[], &[]));
    api.delete_service("kube-system", "kube-dns");
    for (r, frr) in frrs.iter().enumerate() {
        wait(
            &format!("r{} has the new Service and not the deleted one", r + 1),
            || {
                frr_fib_hops(frr, "10.96.0.20/32").len() == 2
                    && frr
                        .vtysh_json("show ip bgp 10.96.0.10/32 json")
                        .map(|v| v.get("paths").is_none())
                        .unwrap_or(false)
            },
            &agents,
        );
        assert!(kernel_route(&routers[r], "10.96.0.10/32").is_none(), "r{} kernel", r + 1);
    }
    drop(agents);
}

/// A node of the route-reflector test: iBGP with the cluster's other nodes, found in the
/// API, and its pod CIDR from its Node.
fn mesh_node_conf(n: u8, dir: &Path) -> String {
    format!(
        "[bgp]\nasn = 64512\nrouter-id = \"192.168.10.1{n}\"\ntimers = [1, 3]\nmaximum-paths-ibgp = 4\n\n\
         [peer-group.MESH]\nremote-as = \"internal\"\ntimers-connect = 1\nadvertisement-interval = 0\n\n\
         [kubernetes]\npod-cidr = true\nnode-name = \"node{n}\"\nkubeconfig = \"{}\"\n\n\
         [kubernetes.mesh]\nroute-reflector-label = \"{RR_LABEL}\"\npeer-group = \"MESH\"\n\n\
         [agent]\ncontrol-socket = \"{}\"\n",
        dir.join("kubeconfig").display(),
        dir.join("control.sock").display()
    )
}

const RR_LABEL: &str = "bgp.example.org/route-reflector";

/// The neighbours `show bgp summary --json` lists as Established.
fn established(agent: &Agent) -> Vec<String> {
    let json = agent.show(&["bgp", "summary", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
    v["neighbors"]
        .as_array()
        .map(|ns| {
            ns.iter()
                .filter(|n| n["state"] == "Established")
                .filter_map(|n| n["neighbor"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Route-reflector mode: four nodes of one cluster in AS 64512 on one subnet. node1
/// carries the route-reflector label, so the others peer with it alone and it reflects
/// their pod CIDRs (next hops unchanged, so pod traffic goes node to node). When the
/// label is removed in the API, every node peers with every other (a full mesh).
#[test]
fn route_reflector_chosen_by_a_node_label() {
    const N: u8 = 4;
    let bin = binary("k8s-bgp-speaker");
    let _s = serial();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let api = rt.block_on(support::FakeApiServer::start());
    let _enter = rt.enter();
    let mesh_node = |n: u8, rr: bool| {
        let mut node = support::mesh_node(
            &format!("node{n}"),
            &format!("192.168.10.1{n}"),
            if rr { &[(RR_LABEL, "true")] } else { &[] },
        );
        let cidr = format!("10.245.{n}.0/24");
        node.spec.get_or_insert_default().pod_cidrs = Some(vec![cidr.clone()]);
        node.spec.get_or_insert_default().pod_cidr = Some(cidr);
        node
    };
    for n in 1..=N {
        api.apply_node(mesh_node(n, n == 1));
    }

    let lab = Lab::new("mesh").expect("lab");
    let nodes: Vec<Netns> = (1..=N).map(|n| lab.node(&format!("node{n}")).expect("node")).collect();
    let members: Vec<(&Netns, &str)> = nodes.iter().map(|ns| (ns, "eth0")).collect();
    lab.segment("lan", &members).expect("lan");
    let mut pods = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        let n = i + 1;
        node.add_addr("eth0", &format!("192.168.10.1{n}/24")).expect("addr");
        node.sysctl("net.ipv4.ip_forward", "1").expect("forwarding");
        let pod = lab.node(&format!("pod{n}")).expect("pod");
        lab.veth(node, "cni0", &pod, "eth0").expect("veth");
        node.add_addr("cni0", &format!("10.245.{n}.1/24")).expect("addr");
        pod.add_addr("eth0", &format!("10.245.{n}.10/24")).expect("addr");
        pod.ip(&["route", "add", "default", "via", &format!("10.245.{n}.1")]).expect("route");
        pods.push(pod);
    }
    let agents: Vec<Agent> = nodes
        .iter()
        .enumerate()
        .map(|(i, ns)| {
            let dir = lab.subdir(&format!("agent{}", i + 1)).expect("dir");
            let listener = {
                let _in = ns.enter().expect("enter");
                std::net::TcpListener::bind("127.0.0.1:0").expect("bind in the node")
            };
            let port = listener.local_addr().expect("addr").port();
            api.serve_also(listener);
            std::fs::write(dir.join("kubeconfig"), kubeconfig(port)).expect("kubeconfig");
            Agent::with_file(&bin, ns, &dir, &mesh_node_conf(i as u8 + 1, &dir))
        })
        .collect();

    // The reflector has every node; the clients have the reflector only.
    wait("node1 reflects for three clients", || established(&agents[0]).len() == 3, &agents);
    for (i, a) in agents.iter().enumerate().skip(1) {
        wait(
            &format!("node{} peers with node1 only", i + 1),
            || established(a) == ["192.168.10.11"],
            &agents,
        );
    }
    // Reflected routes keep their next hop: node2 reaches node4's pods through node4.
    for (i, node) in nodes.iter().enumerate() {
        for m in (1..=N).filter(|m| usize::from(*m) != i + 1) {
            let p = format!("10.245.{m}.0/24");
            let via = format!("192.168.10.1{m} eth0");
            wait(
                &format!("node{} has {p} via node{m}", i + 1),
                || {
                    kernel_route(node, &p)
                        .is_some_and(|(proto, h)| proto == "240" && h == [via.clone()])
                },
                &agents,
            );
        }
    }
    wait("pod2 pings pod4", || ping(&pods[1], "10.245.4.10"), &agents);
    let detail = agents[1].show(&["bgp", "ipv4", "unicast", "10.245.4.0/24"]);
    eprintln!("node2# show bgp ipv4 unicast 10.245.4.0/24\n{detail}");
    assert!(detail.contains("192.168.10.14"), "{detail}");
    eprintln!("node1# show bgp summary\n{}", agents[0].show(&["bgp", "summary"]));

    // The label goes: a full mesh.
    api.apply_node(mesh_node(1, false));
    for (i, a) in agents.iter().enumerate() {
        wait(&format!("node{} in the full mesh", i + 1), || established(a).len() == 3, &agents);
    }
    wait("pod2 still pings pod4", || ping(&pods[1], "10.245.4.10"), &agents);
    eprintln!("node2# show bgp summary\n{}", agents[1].show(&["bgp", "summary"]));
}

/// BFD with FRR (`neighbor X bfd` on both sides, 300 ms x 3) under BGP timers of 10/30 s:
/// when the link is cut behind a bridge (no interface goes down), both BGP sessions end
/// within about a second, long before the hold time; when it is back they come back.
#[test]
fn bfd_takes_bgp_down_with_frr_long_before_the_hold_time() {
    let bin = binary("k8s-bgp-speaker");
    let _s = serial();
    let lab = Lab::new("bfdbgp").expect("lab");
    let frr_ns = lab.node("frr").expect("frr");
    let node = lab.node("node").expect("node");
    let switch = lab.segment("sw", &[(&frr_ns, "eth0"), (&node, "eth0")]).expect("segment");
    frr_ns.add_addr("eth0", "192.0.2.1/24").expect("addr");
    node.add_addr("eth0", "192.0.2.2/24").expect("addr");
    let bgpd = "hostname r1\n!\nrouter bgp 65001\n bgp router-id 192.0.2.1\n no bgp ebgp-requires-policy\n \
                no bgp network import-check\n timers bgp 10 30\n neighbor 192.0.2.2 remote-as 65002\n \
                neighbor 192.0.2.2 timers connect 1\n neighbor 192.0.2.2 bfd\n address-family ipv4 unicast\n  \
                network 10.9.0.0/24\n exit-address-family\n";
    let frr = Frr::start(
        &frr_ns,
        &lab.subdir("frr").expect("dir"),
        &[(FrrDaemon::Zebra, ""), (FrrDaemon::Bfdd, ""), (FrrDaemon::Bgpd, bgpd)],
    )
    .expect("frr");
    let dir = lab.subdir("agent").expect("dir");
    let conf = format!(
        "[bgp]\nasn = 65002\nrouter-id = \"192.0.2.2\"\ntimers = [10, 30]\n\n\
         [[neighbor]]\naddress = \"192.0.2.1\"\nremote-as = 65001\ntimers-connect = 1\nbfd = true\n\n\
         [bfd]\ntransmit-interval = 300\nreceive-interval = 300\ndetect-multiplier = 3\n\n\
         [agent]\ncontrol-socket = \"{}\"\n",
        dir.join("control.sock").display()
    );
    let agents = vec![Agent::with_file(&bin, &node, &dir, &conf)];
    let frr_bgp_up = |frr: &Frr| {
        frr.vtysh_json("show bgp neighbors 192.0.2.2 json")
            .map(|v| v["192.0.2.2"]["bgpState"] == "Established")
            .unwrap_or(false)
    };
    let frr_bfd_up = |frr: &Frr| {
        frr.vtysh_json("show bfd peers json")
            .map(|v| v.as_array().is_some_and(|a| a.iter().any(|p| p["status"] == "up")))
            .unwrap_or(false)
    };
    wait(
        "BGP Established on both sides",
        || frr_bgp_up(&frr) && established(&agents[0]).len() == 1,
        &agents,
    );
    wait(
        "BFD up on both sides",
        || frr_bfd_up(&frr) && agents[0].show(&["bfd", "peers"]).contains("Status: up"),
        &agents,
    );
    wait("the route from FRR installed", || kernel_route(&node, "10.9.0.0/24").is_some(), &agents);
    eprintln!("node# show bfd peers\n{}", agents[0].show(&["bfd", "peers"]));
    eprintln!("r1# show bfd peers\n{}", frr.vtysh("show bfd peers").unwrap_or_default());

    // The cut: FRR's port leaves the bridge.
    switch.ip(&["link", "set", "p0", "nomaster"]).expect("cut");
    let cut = Instant::now();
    let (mut ours, mut theirs) = (None, None);
    while cut.elapsed() < Duration::from_secs(10) && (ours.is_none() || theirs.is_none()) {
        if ours.is_none() && established(&agents[0]).is_empty() {
            ours = Some(cut.elapsed());
        }
        if theirs.is_none() && !frr_bgp_up(&frr) {
            theirs = Some(cut.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    eprintln!("BGP down after the cut: ours {ours:?}, FRR's {theirs:?} (hold time 30 s)");
    let (ours, theirs) = (ours.expect("our session ended"), theirs.expect("FRR's session ended"));
    // Detection is 900 ms; the rest is polling. The hold time would take 30 s.
    assert!(ours < Duration::from_secs(2), "ours after {ours:?}\n{}", agents[0].log());
    assert!(theirs < Duration::from_secs(2), "FRR's after {theirs:?}");
    assert!(kernel_route(&node, "10.9.0.0/24").is_none(), "the route through the dead path left");
    assert!(agents[0].log().contains("BFD: path down"), "{}", agents[0].log());

    // The link comes back: BFD, then BGP, then the route.
    switch.ip(&["link", "set", "p0", "master", "br0"]).expect("repair");
    wait(
        "BGP back on both sides",
        || frr_bgp_up(&frr) && established(&agents[0]).len() == 1,
        &agents,
    );
    wait("the route back", || kernel_route(&node, "10.9.0.0/24").is_some(), &agents);
}
