//! BFD and BGP (RFC 5882 §4.3): a neighbour configured with BFD asks for a BFD session once
//! Established, and a BFD Down tears the BGP session down with Cease "BFD Down" (RFC 9384).

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use bgp_fsm::{Config, Neighbor, PeerAs};
use bgp_speaker::sim::Net;
use bgp_speaker::{Event, NeighborConfig, NeighborId, Speaker, SpeakerConfig};
use bgp_wire::codes::{cease, ErrorCode};
use bgp_wire::Asn;
use rib::PathAttrs;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn v4(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

fn speaker(asn: u32, me: &str, peer: &str, bfd: bool, net: &Net) -> Speaker {
    let mut s = Speaker::new(SpeakerConfig::new(Asn(asn), v4(me))).unwrap();
    let mut c = Config::new(
        Asn(asn),
        v4(me),
        PeerAs::External,
        Neighbor::Address { addr: ip(peer), scope: None },
    );
    c.connect_retry_time = Duration::from_secs(1);
    let mut n = NeighborConfig::new(c);
    n.bfd = bfd;
    s.add_neighbor(net.now(), n).unwrap();
    s
}

const PEER: NeighborId = NeighborId(0);

#[test]
fn bfd_down_tears_the_session_down_and_it_comes_back() {
    let mut net = Net::new(std::time::Instant::now());
    let a = speaker(65001, "192.0.2.1", "192.0.2.2", true, &net);
    let mut b = speaker(65002, "192.0.2.2", "192.0.2.1", false, &net);
    b.announce(net.now(), "10.0.2.0/24".parse().unwrap(), &PathAttrs::default());
    net.add("a", a, vec![(ip("192.0.2.1"), None)]);
    net.add("b", b, vec![(ip("192.0.2.2"), None)]);
    net.run_for(Duration::from_secs(3));

    // a asks for BFD on the session's addresses; b, without `bfd`, does not.
    let wanted: Vec<&Event> =
        net.nodes[0].events.iter().filter(|e| matches!(e, Event::BfdWanted { .. })).collect();
    assert!(
        matches!(
            wanted.as_slice(),
            [Event::BfdWanted { neighbor: PEER, local, peer, ifindex: None, multihop: false }]
                if *local == ip("192.0.2.1") && *peer == ip("192.0.2.2")
        ),
        "{wanted:?}"
    );
    assert!(!net.nodes[1].events.iter().any(|e| matches!(e, Event::BfdWanted { .. })));
    assert!(net.nodes[0].speaker.rib().best("10.0.2.0/24".parse().unwrap()).is_some());

    // b's side has no BFD configured: a BFD report there changes nothing.
    let now = net.now();
    assert!(!net.nodes[1].speaker.bfd_down(now, PEER));

    assert!(net.nodes[0].speaker.bfd_down(now, PEER));
    // At once: the route through the failed path is gone.
    assert!(net.nodes[0].speaker.rib().best("10.0.2.0/24".parse().unwrap()).is_none());
    net.run_for(Duration::from_millis(100));
    let cease_at_b = net.nodes[1].events.iter().find_map(|e| match e {
        Event::Down { down, .. } => down.notification.clone(),
        _ => None,
    });
    let n = cease_at_b.expect("b got a NOTIFICATION");
    assert_eq!((n.code, n.subcode), (ErrorCode::CEASE, cease::BFD_DOWN));

    // The path is fine in the simulation: the session comes back, and the route with it.
    net.run_for(Duration::from_secs(5));
    let ups = net.nodes[0].events.iter().filter(|e| matches!(e, Event::Up { .. })).count();
    assert_eq!(ups, 2);
    assert!(net.nodes[0].speaker.rib().best("10.0.2.0/24".parse().unwrap()).is_some());
}
