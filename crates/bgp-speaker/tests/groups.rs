//! Update groups: which neighbours share one Adj-RIB-Out and one encoding.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use bgp_fsm::{Config, Neighbor, PeerAs};
use bgp_speaker::sim::Net;
use bgp_speaker::{NeighborConfig, NeighborId, Speaker, SpeakerConfig};
use bgp_wire::Asn;
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

/// `a` (AS 65001) with three external neighbours on one link, in ASes 65002, 65003 and
/// 65004; `tune` adjusts a's configuration of each.
fn lan(tune: impl Fn(usize, &mut NeighborConfig)) -> Net {
    let mut net = Net::new(std::time::Instant::now());
    let now = net.now();
    let mut a = Speaker::new(SpeakerConfig::new(Asn(65001), v4("192.0.2.1"))).unwrap();
    for i in 0..3 {
        let addr = format!("192.0.2.{}", i + 2);
        let c = Config::new(
            Asn(65001),
            v4("192.0.2.1"),
            PeerAs::External,
            Neighbor::Address { addr: ip(&addr), scope: None },
        );
        let mut n = NeighborConfig::new(c);
        tune(i, &mut n);
        a.add_neighbor(now, n).unwrap();
    }
    for i in 0..3 {
        a.announce(now, pfx(&format!("10.0.{i}.0/24")), &PathAttrs::default());
    }
    net.add("a", a, vec![(ip("192.0.2.1"), None)]);
    for i in 0..3u32 {
        let addr = format!("192.0.2.{}", i + 2);
        let mut s = Speaker::new(SpeakerConfig::new(Asn(65002 + i), v4(&addr))).unwrap();
        let mut c = Config::new(
            Asn(65002 + i),
            v4(&addr),
            PeerAs::External,
            Neighbor::Address { addr: ip("192.0.2.1"), scope: None },
        );
        c.passive = true;
        s.add_neighbor(now, NeighborConfig::new(c)).unwrap();
        net.add(&format!("n{i}"), s, vec![(ip(&addr), None)]);
    }
    net
}

fn groups(net: &Net) -> (usize, Vec<Option<usize>>) {
    let s = net.nodes[0].speaker.summary(net.now());
    (s.update_groups, s.neighbors.iter().map(|n| n.group).collect())
}

#[test]
fn external_neighbours_in_other_ases_share_a_group() {
    // The neighbour's AS changes nothing a's UPDATEs say (it is not in the path a sends),
    // so three neighbours in three ASes are sent the same octets, encoded once.
    let mut net = lan(|_, _| {});
    net.run_for(Duration::from_secs(5));
    let (count, of) = groups(&net);
    assert_eq!(count, 1, "one group for the three: {of:?}");
    assert!(of.iter().all(|g| g.is_some() && *g == of[0]));
    for n in &net.nodes[1..] {
        assert_eq!(n.fib.len(), 3, "{} has a's routes", n.name);
    }
    let sent = |i: u32| net.nodes[0].speaker.counters(NeighborId(i)).unwrap().batches_sent;
    assert!((0..3).all(|i| sent(i) == sent(0)));
}

#[test]
fn as_override_puts_a_neighbour_in_a_group_of_its_own_as() {
    // as-override rewrites the neighbour's AS in paths: what is sent depends on it.
    let mut net = lan(|i, n| n.as_override = i > 0);
    net.run_for(Duration::from_secs(5));
    let (count, of) = groups(&net);
    assert_eq!(count, 3, "{of:?}");
    let mut net = lan(|_, n| n.as_override = true);
    net.run_for(Duration::from_secs(5));
    assert_eq!(groups(&net).0, 3, "as-override toward three ASes: three groups");
}
