//! Dynamic neighbours in virtual time: a listen range that takes two nodes and refuses a
//! third, neighbours that go with their session (or with the routes graceful restart kept),
//! and an interface on which any link-local address may peer.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use bgp_fsm::{Config, Neighbor, PeerAs, State};
use bgp_speaker::sim::Net;
use bgp_speaker::{Event, ListenRange, ListenSource, NeighborConfig, Speaker, SpeakerConfig};
use bgp_wire::capability::{GracefulRestart, GracefulRestartFamily};
use bgp_wire::{Asn, Family};
use ipnet::IpNet;
use rib::PathAttrs;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn v4(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

fn pfx(s: &str) -> IpNet {
    s.parse().unwrap()
}

const R: &str = "192.0.2.1";

/// A router (AS 65000) that configures no neighbour and takes up to `limit` from
/// 192.0.2.0/24, any AS but its own.
fn router(now: Instant, limit: u32) -> Speaker {
    let mut cfg = SpeakerConfig::new(Asn(65000), v4(R));
    let mut range = ListenRange::external(Asn(65000), v4(R), pfx("192.0.2.0/24"), limit);
    range.template.session.hold_time = 3;
    cfg.listen_ranges.push(range);
    let mut s = Speaker::new(cfg).unwrap();
    s.announce(now, pfx("10.0.0.0/24"), &PathAttrs::default());
    s
}

/// Node `i` (192.0.2.1i, AS 6510i) peers with the router and announces 10.0.i.0/24.
fn node(now: Instant, i: u8, restart_time: Option<u16>) -> Speaker {
    let me = format!("192.0.2.1{i}");
    let asn = Asn(65100 + u32::from(i));
    let mut s = Speaker::new(SpeakerConfig::new(asn, v4(&me))).unwrap();
    let n = Neighbor::Address { addr: ip(R), scope: None };
    let mut c = Config::new(asn, v4(&me), PeerAs::Number(Asn(65000)), n);
    c.hold_time = 3;
    c.connect_retry_time = Duration::from_secs(2);
    c.seed = u64::from(i);
    c.graceful_restart = restart_time.map(|restart_time| GracefulRestart {
        restart_flags: 0,
        restart_time,
        families: vec![GracefulRestartFamily { family: Family::IPV4_UNICAST, flags: 0x80 }],
    });
    s.add_neighbor(now, NeighborConfig::new(c)).unwrap();
    s.announce(now, pfx(&format!("10.0.{i}.0/24")), &PathAttrs::default());
    s
}

fn setup(limit: u32, restart_time: Option<u16>) -> Net {
    let mut net = Net::new(std::time::Instant::now());
    let now = net.now();
    net.add("r", router(now, limit), vec![(ip(R), None)]);
    for i in 1..=3 {
        let s = node(now, i, restart_time);
        net.add(&format!("n{i}"), s, vec![(ip(&format!("192.0.2.1{i}")), None)]);
    }
    net.run_for(Duration::from_secs(5));
    net
}

fn dynamic_addresses(net: &Net) -> Vec<String> {
    let s = net.nodes[0].speaker.summary(net.now());
    s.neighbors.iter().filter(|n| n.dynamic).map(|n| n.neighbor.clone()).collect()
}

#[test]
fn a_range_takes_two_refuses_a_third_and_forgets_a_session_that_ended() {
    let mut net = setup(2, None);
    let r = &net.nodes[0];
    // The first two to connect became neighbours, Established, their routes in the table.
    assert_eq!(dynamic_addresses(&net), vec!["192.0.2.11", "192.0.2.12"]);
    let s = r.speaker.summary(net.now());
    assert!(s.neighbors.iter().all(|n| n.dynamic && n.state == "Established"));
    assert!(r.fib.contains_key(&pfx("10.0.1.0/24")) && r.fib.contains_key(&pfx("10.0.2.0/24")));
    // The third was refused, each time it tried, and counted.
    assert!(!r.fib.contains_key(&pfx("10.0.3.0/24")));
    let refused = r.speaker.refused_connections(0);
    assert!(refused >= 1);
    assert_eq!(s.listen_ranges[0].neighbors, 2);
    assert_eq!(s.listen_ranges[0].refused, refused);
    assert_eq!(s.listen_ranges[0].source, "192.0.2.0/24");
    assert!(r.events.iter().any(|e| matches!(
        e,
        Event::ConnectionRefused { address, range: 0 } if *address == ip("192.0.2.13")
    )));
    // Our route went to them.
    assert!(net.nodes[1].fib.contains_key(&pfx("10.0.0.0/24")));
    // n1 stops its session: the router withdraws its routes and forgets the neighbour...
    let now = net.now();
    let id = net.nodes[1].speaker.neighbor_ids().next().unwrap();
    net.nodes[1].speaker.remove_neighbor(now, id);
    net.run_for(Duration::from_secs(1));
    let r = &net.nodes[0];
    assert!(!r.fib.contains_key(&pfx("10.0.1.0/24")));
    assert!(r.events.iter().any(|e| matches!(
        e,
        Event::NeighborRemoved { address, .. } if *address == ip("192.0.2.11")
    )));
    assert!(!dynamic_addresses(&net).contains(&"192.0.2.11".to_owned()));
    // ... which makes room for n3 at its next try (it may take n1's number).
    net.run_for(Duration::from_secs(5));
    let mut now_in = dynamic_addresses(&net);
    now_in.sort();
    assert_eq!(now_in, vec!["192.0.2.12", "192.0.2.13"]);
    assert!(net.nodes[0].fib.contains_key(&pfx("10.0.3.0/24")));
}

#[test]
fn a_dynamic_neighbour_restarting_stays_until_its_stale_routes_go() {
    let mut net = setup(3, Some(30));
    assert_eq!(dynamic_addresses(&net).len(), 3);
    // n2 crashes: RFC 4724 §4.2, its routes are kept for its Restart Time (30 s), and so
    // is the neighbour.
    net.stop(2);
    net.run_for(Duration::from_secs(20));
    let s = net.nodes[0].speaker.summary(net.now());
    let n2 = s.neighbors.iter().find(|n| n.neighbor == "192.0.2.12").expect("kept");
    assert!(n2.dynamic && n2.stale);
    assert!(net.nodes[0].fib.contains_key(&pfx("10.0.2.0/24")));
    // The Restart Time ends: the routes go, and the neighbour with them.
    net.run_for(Duration::from_secs(15));
    assert!(!net.nodes[0].fib.contains_key(&pfx("10.0.2.0/24")));
    assert_eq!(dynamic_addresses(&net), vec!["192.0.2.11", "192.0.2.13"]);
}

#[test]
fn an_interface_takes_any_link_local_address_on_it() {
    let mut net = Net::new(std::time::Instant::now());
    let now = net.now();
    let ll = |s: &str| -> Ipv6Addr { s.parse().unwrap() };
    let mut cfg = SpeakerConfig::new(Asn(65000), v4(R));
    let template = NeighborConfig::unnumbered(Asn(65000), v4(R), "eth1", 1);
    let source = ListenSource::Interface { name: "eth1".into(), ifindex: 1 };
    cfg.listen_ranges.push(ListenRange { source, template, limit: 8 });
    let r = net.add("r", Speaker::new(cfg).unwrap(), vec![(ip(R), None)]);
    // n1 and n2 share r's eth1 (fe80::1); n3 reaches r's eth2 (fe80::2), where nothing
    // listens.
    for (i, r_if, r_ll) in [(1u8, 1, "fe80::1"), (2, 1, "fe80::1"), (3, 2, "fe80::2")] {
        let me = format!("192.0.2.1{i}");
        let asn = Asn(65100 + u32::from(i));
        let mut s = Speaker::new(SpeakerConfig::new(asn, v4(&me))).unwrap();
        let n = Neighbor::Address { addr: IpAddr::V6(ll(r_ll)), scope: Some(1) };
        let mut c = Config::new(asn, v4(&me), PeerAs::External, n);
        c.connect_retry_time = Duration::from_secs(2);
        c.families = vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST];
        c.extended_next_hop = vec![Family::IPV4_UNICAST];
        s.add_neighbor(now, NeighborConfig::new(c)).unwrap();
        s.announce(now, pfx(&format!("2001:db8:{i}::/48")), &PathAttrs::default());
        let idx = net.add(&format!("n{i}"), s, vec![(ip(&me), None)]);
        net.link(idx, 1, ll(&format!("fe80::1{i}")), r, r_if, ll(r_ll));
    }
    net.run_for(Duration::from_secs(5));
    assert_eq!(dynamic_addresses(&net), vec!["fe80::11", "fe80::12"]);
    let s = net.nodes[r].speaker.summary(net.now());
    assert!(s.neighbors.iter().all(|n| n.state == "Established"));
    assert_eq!(s.listen_ranges[0].source, "interface eth1");
    // Routes learned over each, next hop the neighbour's link-local address.
    for i in 1..=2 {
        let f = &net.nodes[r].fib[&pfx(&format!("2001:db8:{i}::/48"))];
        assert_eq!(f.next_hops[0].addr, Some(ip(&format!("fe80::1{i}"))));
    }
    // n3 came to the wrong interface: no neighbour, no range counted it.
    assert!(!net.nodes[r].fib.contains_key(&pfx("2001:db8:3::/48")));
    assert_eq!(net.nodes[r].speaker.refused_connections(0), 0);
    let n3 = net.nodes[3].speaker.neighbor_ids().next().unwrap();
    assert_ne!(net.nodes[3].speaker.session(n3).map(|s| s.state()), Some(State::Established));
    // The sessions are link-local, scoped to the interface.
    let from = SocketAddr::new(ip("fe80::11"), 179);
    assert!(net.nodes[r].speaker.neighbor_for(from, Some(1)).is_some());
    assert!(net.nodes[r].speaker.neighbor_for(from, Some(2)).is_none());
}

#[test]
fn a_connection_closed_before_its_open_leaves_no_neighbour() {
    let now = Instant::now();
    let mut r = router(now, 2);
    let local = SocketAddr::new(ip(R), 179);
    let from = |s: &str| SocketAddr::new(ip(s), 40000);
    let conn = bgp_fsm::ConnId(1);
    let id = r.handle_incoming(now, conn, from("192.0.2.11"), local, None).unwrap();
    assert!(r.is_dynamic(id));
    assert!(std::iter::from_fn(|| r.poll_transmit()).any(|(n, _)| n == id), "our OPEN");
    r.handle_closed(now, id, conn);
    assert_eq!(r.neighbor_ids().count(), 0);
    assert!(std::iter::from_fn(|| r.poll_event())
        .any(|e| matches!(e, Event::NeighborRemoved { neighbor, .. } if neighbor == id)));
    // Outside every range: refused, and no range counts it.
    assert!(r.handle_incoming(now, conn, from("198.51.100.1"), local, None).is_none());
    assert_eq!(r.refused_connections(0), 0);
}
