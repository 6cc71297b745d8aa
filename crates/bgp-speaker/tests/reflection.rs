//! Route reflection (RFC 4456) in one process: one reflector, three clients, one
//! non-client, all internal.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use bgp_fsm::{Config, Neighbor, PeerAs};
use bgp_speaker::sim::Net;
use bgp_speaker::{NeighborConfig, Speaker, SpeakerConfig};
use bgp_wire::Asn;
use ipnet::IpNet;
use rib::{NextHop, PathAttrs, PathSource, PathType, Protocol, Route, RouteKind};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn v4(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

fn pfx(s: &str) -> IpNet {
    s.parse().unwrap()
}

fn speaker(now: std::time::Instant, me: &str, peers: &[(&str, bool)], own: &str) -> Speaker {
    let mut s = Speaker::new(SpeakerConfig::new(Asn(65000), v4(me))).unwrap();
    s.add_route(
        now,
        &Route {
            prefix: pfx("10.0.0.0/24"),
            protocol: Protocol::Connected,
            path_type: PathType::Other,
            metric: 0,
            type2_cost: None,
            next_hops: vec![NextHop::direct(2)],
            tag: None,
            kind: RouteKind::Unicast,
        },
    );
    for (i, (p, client)) in peers.iter().enumerate() {
        let mut c = Config::new(
            Asn(65000),
            v4(me),
            PeerAs::Internal,
            Neighbor::Address { addr: ip(p), scope: None },
        );
        c.hold_time = 9;
        c.connect_retry_time = Duration::from_secs(2);
        c.seed = i as u64 + u64::from(u32::from(v4(me)));
        let mut n = NeighborConfig::new(c);
        n.rr_client = *client;
        s.add_neighbor(now, n).unwrap();
    }
    if !own.is_empty() {
        s.announce(now, pfx(own), &PathAttrs::default());
    }
    s
}

const RR: &str = "10.0.0.1";
const CLIENTS: [&str; 3] = ["10.0.0.11", "10.0.0.12", "10.0.0.13"];
const NONCLIENT: &str = "10.0.0.20";

#[test]
fn every_client_gets_every_route_once() {
    let mut net = Net::new(std::time::Instant::now());
    let now = net.now();
    let rr_peers: Vec<(&str, bool)> =
        CLIENTS.iter().map(|c| (*c, true)).chain([(NONCLIENT, false)]).collect();
    let rr = net.add("rr", speaker(now, RR, &rr_peers, ""), vec![(ip(RR), None)]);
    let mut clients = Vec::new();
    for (i, c) in CLIENTS.iter().enumerate() {
        let own = format!("10.1.{i}.0/24");
        clients.push(net.add(c, speaker(now, c, &[(RR, false)], &own), vec![(ip(c), None)]));
    }
    let nc = net.add(
        "nonclient",
        speaker(now, NONCLIENT, &[(RR, false)], "10.2.0.0/24"),
        vec![(ip(NONCLIENT), None)],
    );
    net.run_for(Duration::from_secs(10));
    let now = net.now();

    for (i, &c) in clients.iter().enumerate() {
        for (j, origin) in CLIENTS.iter().enumerate() {
            let v = net.nodes[c].speaker.route(now, pfx(&format!("10.1.{j}.0/24"))).unwrap();
            let bgp: Vec<_> =
                v.paths.iter().filter(|p| matches!(p.source, PathSource::Bgp { .. })).collect();
            if i == j {
                // Its own route, and its reflection back refused: ORIGINATOR_ID is its id
                // (RFC 4456 §8).
                assert!(bgp.iter().any(|p| p.best
                    && matches!(p.source, PathSource::Bgp { peer: rib::PeerId::LOCAL, .. })));
                assert!(bgp
                    .iter()
                    .filter(|p| !matches!(
                        p.source,
                        PathSource::Bgp { peer: rib::PeerId::LOCAL, .. }
                    ))
                    .all(|p| !p.best));
                continue;
            }
            assert_eq!(bgp.len(), 1, "{} has one path to {origin}'s route", net.nodes[c].name);
            let a = bgp[0].attrs.as_ref().unwrap();
            assert_eq!(a.originator_id, Some(v4(origin)));
            assert_eq!(a.cluster_list, vec![v4(RR)]);
            assert_eq!(bgp[0].next_hop, Some(ip(origin)), "next hop unchanged when reflecting");
            assert!(net.nodes[c].fib.contains_key(&pfx(&format!("10.1.{j}.0/24"))));
        }
        // The non-client's route reaches the clients.
        assert!(net.nodes[c].fib.contains_key(&pfx("10.2.0.0/24")));
    }
    // The non-client gets every client's route.
    for j in 0..3 {
        assert!(net.nodes[nc].fib.contains_key(&pfx(&format!("10.1.{j}.0/24"))));
    }
    // The reflector itself has each route once, from its originator.
    let v = net.nodes[rr].speaker.route(now, pfx("10.1.0.0/24")).unwrap();
    assert_eq!(v.paths.len(), 1);

    // Nothing keeps moving: no UPDATE in ten more seconds (only KEEPALIVEs).
    let before: u64 = net.nodes.iter().map(|n| n.changes.len() as u64).sum();
    net.run_for(Duration::from_secs(10));
    let after: u64 = net.nodes.iter().map(|n| n.changes.len() as u64).sum();
    assert_eq!(before, after, "no best-path change once converged");

    // A client withdraws: gone everywhere.
    let now = net.now();
    net.nodes[clients[0]].speaker.withdraw(now, pfx("10.1.0.0/24"));
    net.run_for(Duration::from_secs(2));
    for n in [clients[1], clients[2], nc, rr] {
        assert!(!net.nodes[n].fib.contains_key(&pfx("10.1.0.0/24")), "{}", net.nodes[n].name);
    }
}
