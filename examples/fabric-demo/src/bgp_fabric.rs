//! Seed deployment 1: BGP unnumbered, routing on the host.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use bgp_speaker::sim::Net;
use bgp_speaker::{NeighborConfig, Speaker, SpeakerConfig};
use bgp_wire::Asn;
use ipnet::IpNet;
use rib::policy::Policy;
use rib::{NextHop, PathAttrs, PathType, Protocol, Redistribute, Route, RouteKind};

const LEAF_AS: u32 = 65000;
const NODES: u8 = 3;
const LEAVES: u8 = 2;
/// The CNI's bridge on every node, where pod routes point.
const CNI_IFINDEX: u32 = 10;

fn leaf_port_ll(leaf: u8, node: u8) -> Ipv6Addr {
    Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0x100 * u16::from(leaf), u16::from(node))
}

fn node_port_ll(node: u8, leaf: u8) -> Ipv6Addr {
    Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0x1000 * u16::from(node), u16::from(leaf))
}

fn pod_cidr(node: u8) -> IpNet {
    IpNet::V4(ipnet::Ipv4Net::new(Ipv4Addr::new(10, 233, 63 + node, 0), 24).unwrap_or_default())
}

fn loopback(node: u8) -> IpNet {
    IpNet::V4(ipnet::Ipv4Net::new(Ipv4Addr::new(10, 0, 1, node), 32).unwrap_or_default())
}

/// FRR's `neighbor IFNAME interface remote-as external` with the seed's timers: 1/3,
/// connect 3, advertisement interval 0.
fn uplink(local_as: u32, id: Ipv4Addr, ifname: &str, ifindex: u32, seed: u64) -> NeighborConfig {
    let mut n = NeighborConfig::unnumbered(Asn(local_as), id, ifname, ifindex);
    n.session.hold_time = 3;
    n.session.connect_retry_time = Duration::from_secs(3);
    n.session.ra.interval = Duration::from_secs(3);
    n.session.seed = seed;
    n
}

/// `maximum-paths 64`, `bestpath as-path multipath-relax`, `bestpath compare-routerid`.
fn speaker_config(local_as: u32, id: Ipv4Addr) -> SpeakerConfig {
    let mut c = SpeakerConfig::new(Asn(local_as), id);
    c.bestpath.maximum_paths_ebgp = 64;
    c.bestpath.multipath_relax = true;
    c.bestpath.compare_router_id = true;
    c.seed = u64::from(u32::from(id));
    c
}

/// A node's speaker: its uplinks, its loopback, and its pod CIDR taken from the kernel
/// table through a prefix list (the CNI put the route there).
fn node(net: &mut Net, n: u8) -> usize {
    let now = net.now();
    let id = Ipv4Addr::new(10, 0, 1, n);
    let asn = 4_200_000_000 + u32::from(n);
    let mut cfg = speaker_config(asn, id);
    cfg.policy = Policy::parse(
        "ip prefix-list PODS seq 5 permit 10.233.64.0/18 le 24\n\
         route-map PODS permit 10\n match ip address prefix-list PODS\n",
    )
    .unwrap_or_default();
    cfg.redistribute.push(Redistribute {
        protocol: Protocol::Kernel,
        route_map: Some("PODS".into()),
        metric: None,
    });
    let Ok(mut s) = Speaker::new(cfg) else { unreachable!("a valid configuration") };
    for leaf in 1..=LEAVES {
        let seed = u64::from(n) * 10 + u64::from(leaf);
        let name = format!("eth{leaf}");
        let _ = s.add_neighbor(now, uplink(asn, id, &name, u32::from(leaf), seed));
    }
    s.announce(now, loopback(n), &PathAttrs::default());
    // What the CNI installed: the pod CIDR on its bridge, and a route we must not announce.
    for prefix in [pod_cidr(n), "192.168.122.0/24".parse().unwrap_or(pod_cidr(n))] {
        s.add_route(
            now,
            &Route {
                prefix,
                protocol: Protocol::Kernel,
                path_type: PathType::Other,
                metric: 0,
                type2_cost: None,
                next_hops: vec![NextHop::direct(CNI_IFINDEX)],
                tag: None,
                kind: RouteKind::Unicast,
            },
        );
    }
    net.add(&format!("node{n}"), s, vec![(IpAddr::V4(id), None)])
}

fn leaf(net: &mut Net, l: u8) -> usize {
    let now = net.now();
    let id = Ipv4Addr::new(10, 0, 0, l);
    let Ok(mut s) = Speaker::new(speaker_config(LEAF_AS, id)) else {
        unreachable!("a valid configuration")
    };
    for n in 1..=NODES {
        let seed = 100 + u64::from(l) * 10 + u64::from(n);
        let _ = s.add_neighbor(now, uplink(LEAF_AS, id, &format!("swp{n}"), u32::from(n), seed));
    }
    net.add(&format!("leaf{l}"), s, vec![(IpAddr::V4(id), None)])
}

/// `show ip route` of a node from the forwarding table it programmed.
fn show_ip_route(net: &Net, node: usize) -> String {
    let mut s = String::from("Codes: K - kernel, C - connected, B - BGP; > - selected, * - FIB\n");
    for r in net.nodes[node].fib.values() {
        let code = match r.protocol {
            Protocol::Bgp => 'B',
            Protocol::Connected => 'C',
            _ => 'K',
        };
        for (i, h) in r.next_hops.iter().enumerate() {
            let dev = match h.ifindex {
                Some(CNI_IFINDEX) => "cni0".to_owned(),
                Some(i) => format!("eth{i}"),
                None => "-".to_owned(),
            };
            let via =
                h.addr.map_or_else(|| "directly connected".to_owned(), |a| format!("via {a}"));
            if i == 0 {
                let _ = writeln!(s, "{code}>* {:<18} {via}, {dev}", r.prefix.to_string());
            } else {
                let _ = writeln!(s, "  *  {:<18} {via}, {dev}", "");
            }
        }
    }
    s
}

fn hops(net: &Net, node: usize, prefix: IpNet) -> usize {
    net.nodes[node].fib.get(&prefix).map_or(0, |r| r.next_hops.len())
}

/// Builds the fabric, lets it converge, prints what an operator checks, takes a link down.
pub fn run(out: &mut String) {
    let mut net = Net::new(std::time::Instant::now());
    let leaves: Vec<usize> = (1..=LEAVES).map(|l| leaf(&mut net, l)).collect();
    let nodes: Vec<usize> = (1..=NODES).map(|n| node(&mut net, n)).collect();
    for (ni, &n) in nodes.iter().enumerate() {
        let node_no = ni as u8 + 1;
        for (li, &l) in leaves.iter().enumerate() {
            let leaf_no = li as u8 + 1;
            net.link(
                n,
                u32::from(leaf_no),
                node_port_ll(node_no, leaf_no),
                l,
                u32::from(node_no),
                leaf_port_ll(leaf_no, node_no),
            );
        }
    }
    let start = net.now();
    let far_pods = pod_cidr(NODES);
    while hops(&net, nodes[0], far_pods) < usize::from(LEAVES) {
        net.run_for(Duration::from_millis(100));
        assert!(net.now() - start < Duration::from_secs(60), "the fabric did not converge");
    }
    let converged = net.now() - start;
    net.run_for(Duration::from_secs(5));
    let now = net.now();

    let _ = writeln!(out, "=== Deployment 1: BGP unnumbered fabric, 2 leaves (AS {LEAF_AS}), {NODES} nodes (AS 42000000NN)");
    let _ = writeln!(
        out,
        "    only IPv6 link-local addresses on the links; neighbours found by Router Advertisements;\n    \
         IPv4 routes with IPv6 next hops (RFC 8950); node1 had ECMP to node{NODES}'s pods after {:.1} s\n",
        converged.as_secs_f64()
    );
    let summary = net.nodes[leaves[0]].speaker.summary(now);
    let _ = writeln!(out, "leaf1# show bgp summary\n{summary}");
    let routes = net.nodes[nodes[0]].speaker.routes(now, false);
    let _ = writeln!(out, "node1# show bgp ipv4 unicast\n{}", bgp_speaker::show::table(&routes));
    let _ = writeln!(out, "node1# show ip route\n{}", show_ip_route(&net, nodes[0]));
    if let Some(d) = net.nodes[nodes[0]].speaker.route_detail(now, far_pods) {
        let _ = writeln!(out, "node1# show bgp ipv4 unicast {far_pods}\n{d}");
    }

    // leaf1's link to the last node fails: its sessions end with the interface (as FRR's
    // fast external failover does), and the paths through it go.
    net.set_link(usize::from(NODES - 1) * usize::from(LEAVES), false);
    let down = net.now();
    while hops(&net, nodes[0], far_pods) != 1 {
        net.run_for(Duration::from_millis(100));
        assert!(net.now() - down < Duration::from_secs(60), "the fabric did not converge");
    }
    let _ = writeln!(
        out,
        "--- the link leaf1 swp{NODES} - node{NODES} eth1 goes down; {:.1} s later node1 forwards to {far_pods} through leaf2 only:\n",
        (net.now() - down).as_secs_f64()
    );
    let _ = writeln!(out, "node1# show ip route\n{}", show_ip_route(&net, nodes[0]));
}
