//! Seed deployment 2 in one process with virtual time: two routers (AS 64513, iBGP between
//! them, `maximum-paths 2`) and two Kubernetes nodes (AS 64512) announcing their pod CIDRs
//! and the service IPs.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use bgp_fsm::{Config, Neighbor, PeerAs};
use bgp_speaker::sim::Net;
use bgp_speaker::{NeighborConfig, Speaker, SpeakerConfig};
use bgp_wire::capability::{GracefulRestart, GracefulRestartFamily};
use bgp_wire::{Asn, Family};
use ipnet::IpNet;
use rib::{NextHop, PathAttrs, PathType, Protocol, Route, RouteKind};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn v4(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

fn pfx(s: &str) -> IpNet {
    s.parse().unwrap()
}

const LAN: &str = "192.168.1.0/24";

fn gr() -> GracefulRestart {
    GracefulRestart {
        restart_flags: 0,
        restart_time: 120,
        families: vec![GracefulRestartFamily {
            family: Family::IPV4_UNICAST,
            flags: GracefulRestartFamily::FORWARDING_STATE,
        }],
    }
}

fn neighbor(local_as: u32, me: &str, peer_as: PeerAs, peer: &str, seed: u64) -> NeighborConfig {
    let mut s = Config::new(
        Asn(local_as),
        v4(me),
        peer_as,
        Neighbor::Address { addr: ip(peer), scope: None },
    );
    s.hold_time = 3;
    s.connect_retry_time = Duration::from_secs(2);
    s.graceful_restart = Some(gr());
    s.seed = seed;
    NeighborConfig::new(s)
}

fn router(net: &mut Net, name: &str, me: &str, other: &str, nodes: &[&str]) -> usize {
    let now = net.now();
    let mut cfg = SpeakerConfig::new(Asn(64513), v4(me));
    cfg.bestpath.maximum_paths_ebgp = 2;
    cfg.bestpath.maximum_paths_ibgp = 2;
    let mut s = Speaker::new(cfg).unwrap();
    // The LAN, for the next hops of the other router's routes.
    s.add_route(
        now,
        &Route {
            prefix: pfx(LAN),
            protocol: Protocol::Connected,
            path_type: PathType::Other,
            metric: 0,
            type2_cost: None,
            next_hops: vec![NextHop::direct(2)],
            tag: None,
            kind: RouteKind::Unicast,
        },
    );
    s.add_neighbor(now, neighbor(64513, me, PeerAs::Internal, other, 1)).unwrap();
    for (i, n) in nodes.iter().enumerate() {
        s.add_neighbor(now, neighbor(64513, me, PeerAs::Number(Asn(64512)), n, 10 + i as u64))
            .unwrap();
    }
    net.add(name, s, vec![(ip(me), None)])
}

fn node_speaker(now: std::time::Instant, me: &str, pod: &str, restarting: bool) -> Speaker {
    let mut cfg = SpeakerConfig::new(Asn(64512), v4(me));
    cfg.graceful_restart.restarting = restarting;
    let mut s = Speaker::new(cfg).unwrap();
    for r in ["192.168.1.1", "192.168.1.2"] {
        s.add_neighbor(now, neighbor(64512, me, PeerAs::Number(Asn(64513)), r, 20)).unwrap();
    }
    for p in [pod, "10.96.0.1/32", "10.96.0.10/32"] {
        s.announce(now, pfx(p), &PathAttrs::default());
    }
    s
}

fn node(net: &mut Net, name: &str, me: &str, pod: &str) -> usize {
    let s = node_speaker(net.now(), me, pod, false);
    net.add(name, s, vec![(ip(me), None)])
}

fn hops(net: &Net, node: usize, p: &str) -> Vec<IpAddr> {
    net.nodes[node]
        .fib
        .get(&pfx(p))
        .map(|f| f.next_hops.iter().filter_map(|h| h.addr).collect())
        .unwrap_or_default()
}

fn setup() -> (Net, [usize; 4]) {
    let mut net = Net::new(std::time::Instant::now());
    let nodes = ["192.168.1.11", "192.168.1.12"];
    let r1 = router(&mut net, "r1", "192.168.1.1", "192.168.1.2", &nodes);
    let r2 = router(&mut net, "r2", "192.168.1.2", "192.168.1.1", &nodes);
    let n1 = node(&mut net, "n1", "192.168.1.11", "10.244.0.0/24");
    let n2 = node(&mut net, "n2", "192.168.1.12", "10.244.1.0/24");
    net.run_for(Duration::from_secs(10));
    (net, [r1, r2, n1, n2])
}

#[test]
fn routers_get_ecmp_for_services_and_one_path_per_pod_cidr() {
    let (net, [r1, r2, n1, n2]) = setup();
    for r in [r1, r2] {
        let name = &net.nodes[r].name;
        assert_eq!(
            hops(&net, r, "10.96.0.1/32"),
            vec![ip("192.168.1.11"), ip("192.168.1.12")],
            "{name}"
        );
        assert_eq!(
            hops(&net, r, "10.96.0.10/32"),
            vec![ip("192.168.1.11"), ip("192.168.1.12")],
            "{name}"
        );
        assert_eq!(hops(&net, r, "10.244.0.0/24"), vec![ip("192.168.1.11")], "{name}");
        assert_eq!(hops(&net, r, "10.244.1.0/24"), vec![ip("192.168.1.12")], "{name}");
    }
    // Each node learns the other's pod CIDR through both routers (the AS path has its own
    // AS: the node's loop check refuses it, as FRR's would).
    assert!(!net.nodes[n1].fib.contains_key(&pfx("10.244.1.0/24")));
    let v = net.nodes[n1].speaker.rib().peer(rib::PeerId(1)).map(|p| p.asn);
    assert_eq!(v, Some(Asn(64513)));
    let _ = n2;
}

#[test]
fn a_node_that_goes_down_leaves_every_table() {
    let (mut net, [r1, r2, n1, _n2]) = setup();
    // A clean shutdown: Cease, no graceful restart.
    let now = net.now();
    let ids: Vec<_> = net.nodes[n1].speaker.neighbor_ids().collect();
    for id in ids {
        net.nodes[n1].speaker.remove_neighbor(now, id);
    }
    net.run_for(Duration::from_secs(5));
    for r in [r1, r2] {
        assert!(!net.nodes[r].fib.contains_key(&pfx("10.244.0.0/24")));
        assert_eq!(hops(&net, r, "10.96.0.1/32"), vec![ip("192.168.1.12")]);
    }
}

#[test]
fn a_restarting_node_keeps_being_forwarded_to() {
    let (mut net, [r1, r2, n1, _n2]) = setup();
    // A crash: the connections break, no NOTIFICATION. The routers keep the node's routes
    // as stale (RFC 4724 §4.2) and keep forwarding through it.
    net.stop(n1);
    net.run_for(Duration::from_secs(10));
    for r in [r1, r2] {
        assert_eq!(
            hops(&net, r, "10.244.0.0/24"),
            vec![ip("192.168.1.11")],
            "{}",
            net.nodes[r].name
        );
        assert_eq!(hops(&net, r, "10.96.0.1/32"), vec![ip("192.168.1.11"), ip("192.168.1.12")]);
    }
    // It comes back, sends its routes and End-of-RIB: nothing changed for the routers.
    let s = node_speaker(net.now(), "192.168.1.11", "10.244.0.0/24", true);
    net.restart(n1, s);
    net.run_for(Duration::from_secs(10));
    for r in [r1, r2] {
        assert_eq!(hops(&net, r, "10.244.0.0/24"), vec![ip("192.168.1.11")]);
        let now = net.now();
        let v = net.nodes[r].speaker.route(now, pfx("10.244.0.0/24")).unwrap();
        assert!(v.paths.iter().all(|p| !p.stale), "stale paths swept after End-of-RIB");
    }
    // Had it not come back, the restart time (120 s) would have removed them: check with
    // the other node.
}

#[test]
fn stale_routes_go_when_the_restart_time_passes() {
    let (mut net, [r1, _r2, _n1, n2]) = setup();
    net.stop(n2);
    net.run_for(Duration::from_secs(60));
    assert_eq!(
        hops(&net, r1, "10.244.1.0/24"),
        vec![ip("192.168.1.12")],
        "kept within the restart time"
    );
    net.run_for(Duration::from_secs(70));
    assert!(!net.nodes[r1].fib.contains_key(&pfx("10.244.1.0/24")), "swept after 120 s");
}
