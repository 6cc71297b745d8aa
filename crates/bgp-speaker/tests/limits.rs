//! Maximum-prefix, the advertisement interval and route refresh between two speakers.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use bgp_fsm::{Config, Neighbor, PeerAs};
use bgp_speaker::sim::Net;
use bgp_speaker::{Event, MaxPrefix, NeighborConfig, NeighborId, Speaker, SpeakerConfig};
use bgp_wire::codes::cease;
use bgp_wire::{Asn, ErrorCode, Family};
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

fn pair(tune: impl FnOnce(&mut NeighborConfig)) -> Net {
    let mut net = Net::new(std::time::Instant::now());
    let now = net.now();
    let mut a = Speaker::new(SpeakerConfig::new(Asn(65001), v4("192.0.2.1"))).unwrap();
    let mut c = Config::new(
        Asn(65001),
        v4("192.0.2.1"),
        PeerAs::External,
        Neighbor::Address { addr: ip("192.0.2.2"), scope: None },
    );
    c.connect_retry_time = Duration::from_secs(1);
    a.add_neighbor(now, NeighborConfig::new(c)).unwrap();
    for i in 0..5 {
        a.announce(now, pfx(&format!("10.0.{i}.0/24")), &PathAttrs::default());
    }
    let mut b = Speaker::new(SpeakerConfig::new(Asn(65002), v4("192.0.2.2"))).unwrap();
    let mut c = Config::new(
        Asn(65002),
        v4("192.0.2.2"),
        PeerAs::External,
        Neighbor::Address { addr: ip("192.0.2.1"), scope: None },
    );
    c.connect_retry_time = Duration::from_secs(1);
    c.passive = true;
    let mut n = NeighborConfig::new(c);
    tune(&mut n);
    b.add_neighbor(now, n).unwrap();
    net.add("a", a, vec![(ip("192.0.2.1"), None)]);
    net.add("b", b, vec![(ip("192.0.2.2"), None)]);
    net
}

#[test]
fn maximum_prefix_tears_down_with_cease_and_restarts() {
    let mut mp = MaxPrefix::new(3);
    mp.restart = Some(Duration::from_secs(30));
    let mut net = pair(|n| n.max_prefix = Some(mp));
    net.run_for(Duration::from_secs(3));
    // RFC 4486 §4: Cease, Maximum Number of Prefixes Reached, AFI 1 SAFI 1 and the limit.
    let down = net.nodes[0].events.iter().find_map(|e| match e {
        Event::Down { down, .. } => down.notification.clone(),
        _ => None,
    });
    let n = down.expect("a was sent a NOTIFICATION");
    assert_eq!((n.code, n.subcode), (ErrorCode::CEASE, cease::MAXIMUM_PREFIXES_REACHED));
    assert_eq!(&n.data[..], &[0, 1, 1, 0, 0, 0, 3]);
    assert!(net.nodes[1]
        .events
        .iter()
        .any(|e| matches!(e, Event::PrefixLimit { count: 5, limit: 3, teardown: true, .. })));
    // Nothing of a's is left in b's table.
    assert!(net.nodes[1].fib.is_empty());
    let ups =
        |net: &Net| net.nodes[1].events.iter().filter(|e| matches!(e, Event::Up { .. })).count();
    assert_eq!(ups(&net), 1);
    // Down for 30 s, then up again (and down again: a still sends five).
    net.run_for(Duration::from_secs(20));
    assert_eq!(ups(&net), 1);
    net.run_for(Duration::from_secs(15));
    assert_eq!(ups(&net), 2);
}

#[test]
fn maximum_prefix_warning_only() {
    let mut mp = MaxPrefix::new(3);
    mp.warning_only = true;
    let mut net = pair(|n| n.max_prefix = Some(mp));
    net.run_for(Duration::from_secs(3));
    assert!(net.nodes[1]
        .events
        .iter()
        .any(|e| matches!(e, Event::PrefixLimit { teardown: false, .. })));
    assert_eq!(net.nodes[1].fib.len(), 5);
    assert!(!net.nodes[0].events.iter().any(|e| matches!(e, Event::Down { .. })));
}

#[test]
fn advertisement_interval_batches_changes() {
    // b sends to a at most every 5 s (RFC 4271 §9.2.1.1 MinRouteAdvertisementIntervalTimer).
    let mut net = pair(|n| n.advertisement_interval = Duration::from_secs(5));
    net.run_for(Duration::from_secs(10));
    let learned =
        |net: &Net| net.nodes[0].fib.keys().filter(|p| p.to_string().starts_with("10.9.")).count();
    let mut seen = Vec::new();
    for i in 0..3 {
        let now = net.now();
        net.nodes[1].speaker.announce(now, pfx(&format!("10.9.{i}.0/24")), &PathAttrs::default());
        net.run_for(Duration::from_millis(1500));
        seen.push(learned(&net));
    }
    // The first goes at once; the two after it wait for the end of the interval.
    assert_eq!(seen, vec![1, 1, 1]);
    net.run_for(Duration::from_millis(1000));
    assert_eq!(learned(&net), 3, "together, once the interval passed");
}

#[test]
fn route_refresh_resends_the_table() {
    let mut net = pair(|_| {});
    net.run_for(Duration::from_secs(3));
    let now = net.now();
    let before = net.nodes[0].speaker.session(NeighborId(0)).map(|_| ());
    assert!(before.is_some());
    let sent_before = net.nodes[0].speaker.counters(NeighborId(0)).unwrap().batches_sent;
    net.nodes[1].speaker.route_refresh(now, NeighborId(0), Family::IPV4_UNICAST).unwrap();
    net.run_for(Duration::from_secs(1));
    let sent_after = net.nodes[0].speaker.counters(NeighborId(0)).unwrap().batches_sent;
    assert_eq!(sent_after, sent_before + 1, "a answered the ROUTE-REFRESH from its Adj-RIB-Out");
    assert_eq!(net.nodes[1].fib.len(), 5);
}

#[test]
fn intervals_beyond_what_bgp_can_say_are_refused() {
    use bgp_speaker::{ConfigError, MAX_INTERVAL};
    let too_long = MAX_INTERVAL + Duration::from_secs(1);
    let mut sc = SpeakerConfig::new(Asn(65001), v4("192.0.2.1"));
    sc.graceful_restart.select_defer_time = too_long;
    assert!(matches!(Speaker::new(sc), Err(ConfigError::Interval("select-defer-time", _))));
    let mut sc = SpeakerConfig::new(Asn(65001), v4("192.0.2.1"));
    sc.graceful_restart.stale_time = Duration::MAX;
    assert!(matches!(Speaker::new(sc), Err(ConfigError::Interval("stalepath-time", _))));

    let mut s = Speaker::new(SpeakerConfig::new(Asn(65001), v4("192.0.2.1"))).unwrap();
    let now = std::time::Instant::now();
    let neighbor = || {
        let c = Config::new(
            Asn(65001),
            v4("192.0.2.1"),
            PeerAs::External,
            Neighbor::Address { addr: ip("192.0.2.2"), scope: None },
        );
        NeighborConfig::new(c)
    };
    let mut n = neighbor();
    n.advertisement_interval = Duration::MAX;
    let e = s.add_neighbor(now, n).unwrap_err();
    assert!(matches!(e, ConfigError::Interval("advertisement-interval", _)), "{e}");
    let mut n = neighbor();
    n.max_prefix = Some(MaxPrefix { restart: Some(too_long), ..MaxPrefix::new(10) });
    let e = s.add_neighbor(now, n).unwrap_err();
    assert!(e.to_string().starts_with("maximum-prefix restart: "), "{e}");
    // At the bound, all is well.
    let mut n = neighbor();
    n.advertisement_interval = MAX_INTERVAL;
    n.max_prefix = Some(MaxPrefix { restart: Some(MAX_INTERVAL), ..MaxPrefix::new(10) });
    assert!(s.add_neighbor(now, n).is_ok());
}

/// A speaker whose application reads no best-path changes keeps none waiting; by default
/// they are reported (the FIB side is the table's, tested in `rib`).
#[test]
fn reports_nobody_reads_are_not_kept() {
    let now = std::time::Instant::now();
    for on in [true, false] {
        let mut cfg = SpeakerConfig::new(Asn(65001), Ipv4Addr::new(192, 0, 2, 1));
        cfg.route_changes = on;
        cfg.fib = on;
        let mut s = Speaker::new(cfg).unwrap();
        for i in 0..50u8 {
            let p: IpNet = format!("10.0.{i}.0/24").parse().unwrap();
            s.announce(now, p, &PathAttrs::default());
        }
        let changes = std::iter::from_fn(|| s.poll_route_change()).count();
        assert_eq!(changes, if on { 50 } else { 0 });
        let p: IpNet = "10.0.7.0/24".parse().unwrap();
        assert!(s.route(now, p).is_some(), "the table itself is the same");
    }
}
