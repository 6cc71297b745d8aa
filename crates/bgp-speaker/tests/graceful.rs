//! Graceful restart between speakers in virtual time: long-lived stale routes (RFC 9494)
//! and restarts on NOTIFICATION (RFC 8538).

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use bgp_fsm::{Config, DownReason, Neighbor, PeerAs};
use bgp_speaker::sim::Net;
use bgp_speaker::{Event, NeighborConfig, NeighborId, Speaker, SpeakerConfig};
use bgp_wire::attribute::{AsPath, Community};
use bgp_wire::capability::{GracefulRestart, GracefulRestartFamily, LongLivedGrFamily};
use bgp_wire::codes::cease;
use bgp_wire::{Asn, ErrorCode, Family};
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

/// Node `i`'s address.
fn addr(i: u8) -> String {
    format!("192.0.2.{i}")
}

fn gr(restart_time: u16) -> GracefulRestart {
    GracefulRestart {
        restart_flags: 0,
        restart_time,
        families: vec![GracefulRestartFamily {
            family: Family::IPV4_UNICAST,
            flags: GracefulRestartFamily::FORWARDING_STATE,
        }],
    }
}

/// A speaker at `192.0.2.me` in `asn` with Graceful Restart (`restart_time`) toward each of
/// `peers` (node number, AS); the LAN is connected.
fn speaker(
    now: Instant,
    me: u8,
    asn: u32,
    peers: &[(u8, u32)],
    restart_time: u16,
    tune: impl Fn(&mut SpeakerConfig),
) -> Speaker {
    let mut cfg = SpeakerConfig::new(Asn(asn), v4(&addr(me)));
    tune(&mut cfg);
    let mut s = Speaker::new(cfg).unwrap();
    s.add_route(
        now,
        &Route {
            prefix: pfx("192.0.2.0/24"),
            protocol: Protocol::Connected,
            path_type: PathType::Other,
            metric: 0,
            type2_cost: None,
            next_hops: vec![NextHop::direct(2)],
            tag: None,
            kind: RouteKind::Unicast,
        },
    );
    for &(p, peer_as) in peers {
        let n = Neighbor::Address { addr: ip(&addr(p)), scope: None };
        let mut c = Config::new(Asn(asn), v4(&addr(me)), PeerAs::Number(Asn(peer_as)), n);
        c.hold_time = 3;
        c.connect_retry_time = Duration::from_secs(1);
        c.graceful_restart = Some(gr(restart_time));
        c.seed = u64::from(me) << 8 | u64::from(p);
        s.add_neighbor(now, NeighborConfig::new(c)).unwrap();
    }
    s
}

fn path(asns: &[u32], communities: &[Community]) -> PathAttrs {
    PathAttrs {
        as_path: AsPath::from_sequence(asns.iter().copied()),
        communities: communities.to_vec(),
        ..PathAttrs::default()
    }
}

/// The neighbour of node `on` at node `to`'s address.
fn neighbor(net: &Net, on: usize, to: u8) -> NeighborId {
    let s = &net.nodes[on].speaker;
    s.neighbor_for(std::net::SocketAddr::new(ip(&addr(to)), 179), None).unwrap()
}

fn hops(net: &Net, node: usize, p: &str) -> Vec<IpAddr> {
    net.nodes[node]
        .fib
        .get(&pfx(p))
        .map(|f| f.next_hops.iter().filter_map(|h| h.addr).collect())
        .unwrap_or_default()
}

const P1: &str = "10.1.0.0/24";
const P2: &str = "10.2.0.0/24";
const P3: &str = "10.3.0.0/24";

/// a (AS 65001) announces P1, P2 and P3 (NO_LLGR) to b (AS 65000), the helper, and offers
/// LLGR for IPv4 (Long-lived Stale Time 60 s) beside GR (Restart Time 5 s); c (AS 65003)
/// announces P1 with a longer path; d is b's internal neighbour and e an external one that
/// offers LLGR, c and d do not.
fn llgr_net() -> (Net, [usize; 5]) {
    let mut net = Net::new(std::time::Instant::now());
    let now = net.now();
    let a = a_speaker(now, false);
    let helper_only = |c: &mut SpeakerConfig| c.graceful_restart.long_lived = Some(vec![]);
    let b =
        speaker(now, 2, 65000, &[(1, 65001), (3, 65003), (4, 65000), (5, 65005)], 120, helper_only);
    let mut c = speaker(now, 3, 65003, &[(2, 65000)], 120, |_| {});
    c.announce(now, pfx(P1), &path(&[65099], &[]));
    let d = speaker(now, 4, 65000, &[(2, 65000)], 120, |_| {});
    let e = speaker(now, 5, 65005, &[(2, 65000)], 120, helper_only);
    let ids = [("a", a), ("b", b), ("c", c), ("d", d), ("e", e)]
        .into_iter()
        .enumerate()
        .map(|(i, (name, s))| net.add(name, s, vec![(ip(&addr(i as u8 + 1)), None)]))
        .collect::<Vec<_>>();
    net.run_for(Duration::from_secs(10));
    (net, [ids[0], ids[1], ids[2], ids[3], ids[4]])
}

fn a_speaker(now: Instant, restarting: bool) -> Speaker {
    let mut a = speaker(now, 1, 65001, &[(2, 65000)], 5, |c| {
        c.graceful_restart.restarting = restarting;
        c.graceful_restart.long_lived = Some(vec![LongLivedGrFamily {
            family: Family::IPV4_UNICAST,
            flags: 0x80,
            stale_time: 60,
        }]);
    });
    a.announce(now, pfx(P1), &PathAttrs::default());
    a.announce(now, pfx(P2), &PathAttrs::default());
    a.announce(now, pfx(P3), &path(&[], &[Community::NO_LLGR]));
    a
}

#[test]
fn long_lived_stale_routes_are_least_preferred_then_swept() {
    let (mut net, [a, b, c, d, e]) = llgr_net();
    let a_ip = ip(&addr(1));
    assert_eq!(hops(&net, b, P1), vec![a_ip], "a's shorter path wins");
    net.stop(a);
    // RFC 4724 §4.2 first: stale, preference unchanged, for the Restart Time (5 s).
    net.run_for(Duration::from_secs(3));
    assert_eq!(hops(&net, b, P1), vec![a_ip]);
    assert!(net.nodes[b].fib.contains_key(&pfx(P3)));
    // RFC 9494 §4.2 then: NO_LLGR routes go, the others become least preferred with
    // LLGR_STALE.
    net.run_for(Duration::from_secs(3));
    assert!(net.nodes[b].events.iter().any(|ev| matches!(
        ev,
        Event::LongLivedStale { family: Family::IPV4_UNICAST, kept: 2, removed: 1, .. }
    )));
    assert!(!net.nodes[b].fib.contains_key(&pfx(P3)), "NO_LLGR: removed");
    assert_eq!(hops(&net, b, P1), vec![ip(&addr(3))], "c's longer path wins now");
    assert_eq!(hops(&net, b, P2), vec![a_ip], "still forwarded through a");
    let now = net.now();
    let v = net.nodes[b].speaker.route_detail(now, pfx(P2)).unwrap();
    assert!(
        v.paths[0].llgr_stale
            && v.paths[0].communities.contains(&Community::LLGR_STALE.to_string())
    );
    // §4.3: to e, which offered LLGR, as it is; e treats it as least preferred too.
    let v = net.nodes[e].speaker.route(now, pfx(P2)).unwrap();
    assert!(v.paths[0].llgr_stale);
    // §4.6: to d, internal without LLGR: NO_EXPORT and LOCAL_PREF 0.
    let v = net.nodes[d].speaker.route(now, pfx(P2)).unwrap();
    let attrs = v.paths[0].attrs.clone().unwrap();
    assert_eq!(attrs.local_pref, Some(0));
    assert!(attrs.communities.contains(&Community::NO_EXPORT));
    assert!(attrs.communities.contains(&Community::LLGR_STALE));
    // §4.3: not to c, external without LLGR: withdrawn.
    assert!(net.nodes[c].speaker.route(now, pfx(P2)).is_none_or(|v| v.paths.is_empty()));
    // The Long-lived Stale Time (60 s) ends: swept everywhere.
    net.run_for(Duration::from_secs(55));
    assert_eq!(hops(&net, b, P2), vec![a_ip], "kept for the whole time");
    net.run_for(Duration::from_secs(6));
    for n in [b, d, e] {
        assert!(!net.nodes[n].fib.contains_key(&pfx(P2)), "{}", net.nodes[n].name);
    }
    let summary = net.nodes[b].speaker.summary(net.now());
    assert!(summary.neighbors.iter().all(|n| !n.stale && !n.long_lived_stale));
}

#[test]
fn a_neighbour_back_during_long_lived_stale_is_preferred_again_after_end_of_rib() {
    let (mut net, [a, b, _c, d, _e]) = llgr_net();
    net.stop(a);
    net.run_for(Duration::from_secs(20));
    let s = net.nodes[b].speaker.summary(net.now());
    let na = neighbor(&net, b, 1);
    assert!(s.neighbors.iter().any(|n| n.id == na && n.stale && n.long_lived_stale));
    let restarted = a_speaker(net.now(), true);
    net.restart(a, restarted);
    net.run_for(Duration::from_secs(10));
    // RFC 9494 §4.2: "Once the session is re-established, the procedures specified in
    // [RFC4724] apply": a sends its routes and End-of-RIB, what is stale goes.
    assert_eq!(hops(&net, b, P1), vec![ip(&addr(1))]);
    let now = net.now();
    for p in [P1, P2, P3] {
        let v = net.nodes[b].speaker.route(now, pfx(p)).unwrap();
        assert!(v.paths.iter().all(|x| !x.stale && !x.llgr_stale), "{p}");
    }
    let v = net.nodes[d].speaker.route(now, pfx(P2)).unwrap();
    let attrs = v.paths[0].attrs.clone().unwrap();
    assert_eq!(attrs.local_pref, Some(100));
    assert!(attrs.communities.is_empty());
}

/// x (AS 65001) announces 10.1.0.0/24 to y (AS 65002), which announces 10.2.0.0/24.
fn pair(notification: bool) -> (Net, usize, usize) {
    let mut net = Net::new(std::time::Instant::now());
    let now = net.now();
    let tune = |c: &mut SpeakerConfig| c.graceful_restart.notification = notification;
    let mut x = speaker(now, 1, 65001, &[(2, 65002)], 120, tune);
    x.announce(now, pfx(P1), &PathAttrs::default());
    let mut y = speaker(now, 2, 65002, &[(1, 65001)], 120, tune);
    y.announce(now, pfx(P2), &PathAttrs::default());
    let x = net.add("x", x, vec![(ip(&addr(1)), None)]);
    let y = net.add("y", y, vec![(ip(&addr(2)), None)]);
    net.run_for(Duration::from_secs(10));
    (net, x, y)
}

/// A session end: why, whether routes were kept, the NOTIFICATION's code and subcode.
type Ended = (DownReason, bool, Option<(ErrorCode, u8)>);

fn downs(net: &Net, node: usize) -> Vec<Ended> {
    net.nodes[node]
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Down { down, graceful, .. } => Some((
                down.reason.clone(),
                *graceful,
                down.notification.as_ref().map(|n| (n.code, n.subcode)),
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn hold_timer_expiry_is_a_restart_with_the_n_bit() {
    // RFC 8538 §4: with the N bit exchanged, the hold timer expiring and the NOTIFICATION it
    // sends keep the routes on both sides; without it (RFC 4724), they go.
    let hold = Some((ErrorCode::HOLD_TIMER_EXPIRED, 0));
    for n_bit in [true, false] {
        let (mut net, x, y) = pair(n_bit);
        assert_eq!(hops(&net, x, P2), vec![ip(&addr(2))]);
        // y's messages stop reaching x: x's hold timer expires, its NOTIFICATION reaches y.
        net.black_hole(y, x, true);
        net.run_for(Duration::from_secs(4));
        assert_eq!(downs(&net, x), vec![(DownReason::HoldTimerExpired, n_bit, hold)], "{n_bit}");
        assert_eq!(
            downs(&net, y),
            vec![(DownReason::NotificationReceived, n_bit, hold)],
            "{n_bit}"
        );
        assert_eq!(net.nodes[x].fib.contains_key(&pfx(P2)), n_bit, "x keeps y's routes");
        assert_eq!(net.nodes[y].fib.contains_key(&pfx(P1)), n_bit, "y keeps x's routes");
        // The path heals: the sessions come back, End-of-RIB, nothing stale is left.
        net.black_hole(y, x, false);
        net.run_for(Duration::from_secs(20));
        assert_eq!(hops(&net, x, P2), vec![ip(&addr(2))]);
        assert_eq!(hops(&net, y, P1), vec![ip(&addr(1))]);
        let now = net.now();
        assert!(net.nodes[x].speaker.route(now, pfx(P2)).unwrap().paths.iter().all(|p| !p.stale));
    }
}

#[test]
fn a_reset_keeps_the_routes_and_a_removal_sends_a_hard_reset() {
    let (mut net, x, y) = pair(true);
    let now = net.now();
    let to_y = neighbor(&net, x, 2);
    // `clear bgp`: Cease, Administrative Reset; RFC 8538 §4: both keep the other's routes.
    net.nodes[x].speaker.reset_neighbor(now, to_y);
    let seen = net.nodes[y].changes.len();
    net.run_for(Duration::from_secs(10));
    let reset = Some((ErrorCode::CEASE, cease::ADMINISTRATIVE_RESET));
    assert_eq!(downs(&net, x), vec![(DownReason::Stopped, true, reset)]);
    assert_eq!(downs(&net, y), vec![(DownReason::NotificationReceived, true, reset)]);
    let lost = net.nodes[y].changes[seen..].iter().any(|c| c.best.is_none());
    assert!(!lost, "y never lost x's route");
    assert_eq!(hops(&net, y, P1), vec![ip(&addr(1))]);
    // Removal: Peer De-configured must flush, so it goes as a Hard Reset (§5.1) carrying
    // the Cease (§3).
    let now = net.now();
    net.nodes[x].speaker.remove_neighbor(now, to_y);
    net.run_for(Duration::from_secs(1));
    let n = net.nodes[y]
        .events
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::Down { down, graceful: false, .. } => down.notification.clone(),
            _ => None,
        })
        .expect("y went down for good");
    assert_eq!((n.code, n.subcode), (ErrorCode::CEASE, cease::HARD_RESET));
    assert_eq!(&n.data[..], &[6, cease::PEER_DECONFIGURED]);
    assert!(!net.nodes[y].fib.contains_key(&pfx(P1)));
}

#[test]
fn failed_attempts_to_come_back_do_not_stretch_the_restart_time() {
    // RFC 4724 §4.2: the Restart Time runs until the session is re-established; sessions
    // that end before (here, OPENs refused for a wrong AS, each ending in a NOTIFICATION
    // that the N bit makes graceful) leave it alone.
    let (mut net, x, y) = pair(true);
    net.stop(x);
    net.run_for(Duration::from_secs(1));
    let now = net.now();
    let mut wrong = speaker(now, 1, 65009, &[(2, 65002)], 120, |_| {});
    wrong.announce(now, pfx(P1), &PathAttrs::default());
    net.restart(x, wrong);
    net.run_for(Duration::from_secs(60));
    assert!(downs(&net, y).len() > 2, "it kept trying: {:?}", downs(&net, y));
    assert!(net.nodes[y].fib.contains_key(&pfx(P1)), "within the restart time");
    net.run_for(Duration::from_secs(61));
    assert!(!net.nodes[y].fib.contains_key(&pfx(P1)), "gone after 120 s");
}
