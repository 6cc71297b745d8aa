//! Deterministic simulations of two sessions (no sockets, no sleeps): a virtual clock jumps
//! to the earliest deadline of either side.

#[path = "sim/harness.rs"]
mod harness;

use bgp_fsm::{
    Config, DampingConfig, DownReason, Event, FsmEvent, Initiator, LinkLocalStyle, Neighbor,
    PeerAs, State,
};
use bgp_wire::attribute::{AsPath, Attribute, NextHop, Origin, PathAttribute};
use bgp_wire::codes::{cease, ErrorCode};
use bgp_wire::nlri::Nlri;
use bgp_wire::{Asn, Family};
use harness::{Node, Side, Sim, Solo, Writes, SOLO_PEER};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

const A_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
const B_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// Timers as in the routing-on-the-host configs: keepalive 1, hold 3, connect retry 3.
fn numbered(local_as: u32, id: Ipv4Addr, peer_as: PeerAs, peer: Ipv4Addr) -> Config {
    let mut c = Config::new(
        Asn(local_as),
        id,
        peer_as,
        Neighbor::Address { addr: IpAddr::V4(peer), scope: None },
    );
    c.hold_time = 3;
    c.connect_retry_time = secs(3);
    c.seed = u64::from(u32::from(id));
    c
}

fn pair(a_passive: bool, b_passive: bool) -> Sim {
    let mut a = numbered(65001, A_IP, PeerAs::Number(Asn(65002)), B_IP);
    a.passive = a_passive;
    let mut b = numbered(65002, B_IP, PeerAs::External, A_IP);
    b.passive = b_passive;
    Sim::new(Node::new(a, A_IP.into(), 0), Node::new(b, B_IP.into(), 0))
}

fn established(sim: &Sim) -> bool {
    sim.a.session.state() == State::Established && sim.b.session.state() == State::Established
}

fn downs(n: &Node) -> Vec<(Duration, bgp_fsm::Down)> {
    n.events
        .iter()
        .filter_map(|(t, e)| match e {
            Event::Down(d) => Some((*t, d.clone())),
            _ => None,
        })
        .collect()
}

fn states(n: &Node) -> Vec<State> {
    n.events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::StateChanged { to, .. } => Some(*to),
            _ => None,
        })
        .collect()
}

#[test]
fn active_to_passive_establishes() {
    let mut sim = pair(false, true);
    sim.start(Side::B);
    sim.start(Side::A);
    assert!(sim.run_until(secs(1), established));
    assert_eq!(
        states(&sim.a),
        [State::Connect, State::OpenSent, State::OpenConfirm, State::Established]
    );
    assert_eq!(
        states(&sim.b),
        [State::Active, State::OpenSent, State::OpenConfirm, State::Established]
    );
    let n = sim.a.session.negotiated().expect("negotiated");
    assert_eq!((n.peer_as, n.peer_id, n.hold_time, n.keepalive_time), (Asn(65002), B_IP, 3, 1));
    assert!(n.four_octet_as && n.route_refresh);
    assert_eq!(n.families, vec![Family::IPV4_UNICAST]);
    assert!(sim.a.events.iter().any(|(_, e)| matches!(e, Event::Established(_))));
    assert_eq!(sim.open_pipes(), 1);
    // Keepalives keep it up: a minute later nothing went down.
    sim.run_for(secs(60));
    assert!(established(&sim));
    assert!(downs(&sim.a).is_empty() && downs(&sim.b).is_empty());
    // Keepalive every 0.75..1 s for 60 s (RFC 4271 §10 jitter).
    let keepalives = sim.a.sent.iter().filter(|(_, _, b)| b.len() == 19).count();
    assert!((60..=81).contains(&keepalives), "{keepalives}");
}

#[test]
fn passive_waits_for_active() {
    let mut sim = pair(true, true);
    sim.start(Side::A);
    sim.start(Side::B);
    sim.run_for(secs(30));
    assert_eq!(sim.a.session.state(), State::Active);
    assert_eq!(sim.b.session.state(), State::Active);
    assert!(sim.a.connects.is_empty() && sim.b.connects.is_empty());
}

#[test]
fn connect_retry_until_peer_listens() {
    let mut sim = pair(false, true);
    sim.b_listening = false;
    sim.start(Side::A);
    sim.run_for(secs(10));
    assert_eq!(sim.a.session.state(), State::Active);
    // First attempt at 0, then every ConnectRetry (3 s, jittered 0.75..1).
    let times: Vec<Duration> = sim.a.connects.iter().map(|(t, _)| *t).collect();
    assert!(times.len() >= 4, "{times:?}");
    for w in times.windows(2) {
        let gap = w[1] - w[0];
        assert!(gap >= Duration::from_millis(2250) && gap <= secs(3), "{gap:?}");
    }
    sim.b_listening = true;
    sim.start(Side::B);
    assert!(sim.run_until(secs(4), established));
}

fn collision(a_id: Ipv4Addr, b_id: Ipv4Addr) -> Sim {
    let mut a = numbered(65001, a_id, PeerAs::Number(Asn(65002)), B_IP);
    let mut b = numbered(65002, b_id, PeerAs::Number(Asn(65001)), A_IP);
    a.router_id = a_id;
    b.router_id = b_id;
    let mut sim = Sim::new(Node::new(a, A_IP.into(), 0), Node::new(b, B_IP.into(), 0));
    // Both connect at the same instant: two connections, OPENs crossing on both.
    sim.start(Side::A);
    sim.start(Side::B);
    assert!(sim.run_until(secs(2), established));
    sim
}

#[test]
fn collision_at_the_same_instant_keeps_the_higher_id_connection() {
    for (a_id, b_id, winner) in
        [(A_IP, B_IP, Side::B), (Ipv4Addr::new(192, 0, 2, 9), B_IP, Side::A)]
    {
        let mut sim = collision(a_id, b_id);
        // RFC 4271 §6.8: the connection opened by the higher BGP Identifier survives.
        assert_eq!(sim.open_pipes(), 1);
        assert_eq!(sim.open_pipe_initiator(), Some(winner));
        // The loser got Cease / Connection Collision Resolution, from both ends.
        let cease7 = |n: &Node| {
            n.sent.iter().any(|(_, _, b)| {
                b.len() == 21
                    && b[18] == 3
                    && b[19] == 6
                    && b[20] == cease::CONNECTION_COLLISION_RESOLUTION
            })
        };
        assert!(cease7(&sim.a) && cease7(&sim.b));
        // The collision is not a session failure.
        assert!(downs(&sim.a).is_empty() && downs(&sim.b).is_empty());
        sim.run_for(secs(20));
        assert!(established(&sim));
        assert_eq!(sim.a.session.connections().count(), 1);
    }
}

#[test]
fn incoming_while_established_is_closed() {
    let mut sim = pair(false, true);
    sim.start(Side::B);
    sim.start(Side::A);
    assert!(sim.run_until(secs(1), established));
    // The peer opens a second connection to an Established session (RFC 4271 §6.8: the new
    // one is closed), and a stranger connects (Event 15, Tcp_CR_Invalid).
    let now = sim.now;
    let peer = std::net::SocketAddr::new(B_IP.into(), 50000);
    let stranger = std::net::SocketAddr::new(Ipv4Addr::new(10, 9, 9, 9).into(), 50000);
    let local = std::net::SocketAddr::new(A_IP.into(), 179);
    sim.a.session.handle_incoming(now, bgp_fsm::ConnId(900), peer, local, None);
    assert_eq!(
        sim.a.session.poll_action(),
        Some(bgp_fsm::Action::Close { conn: bgp_fsm::ConnId(900) })
    );
    sim.a.session.handle_incoming(now, bgp_fsm::ConnId(901), stranger, local, None);
    assert_eq!(sim.a.session.last_fsm_event(), Some(FsmEvent::TcpCrInvalid));
    assert_eq!(
        sim.a.session.poll_action(),
        Some(bgp_fsm::Action::Close { conn: bgp_fsm::ConnId(901) })
    );
    assert!(sim.a.session.poll_transmit().is_none());
    sim.run_for(secs(5));
    assert!(established(&sim));
    assert_eq!(sim.open_pipes(), 1);
}

#[test]
fn hold_timer_expiry_sends_4_0() {
    let mut sim = pair(false, true);
    sim.start(Side::B);
    sim.start(Side::A);
    assert!(sim.run_until(secs(1), established));
    sim.run_for(secs(5));
    // B's process freezes (SIGSTOP): it sends nothing more.
    sim.b.frozen = true;
    let frozen_at = sim.elapsed();
    assert!(sim.run_until(secs(10), |s| s.a.session.state() == State::Idle));
    let d = downs(&sim.a);
    assert_eq!(d.len(), 1);
    let (t, down) = &d[0];
    assert_eq!(down.reason, DownReason::HoldTimerExpired);
    assert_eq!(down.initiator, Initiator::Library);
    let n = down.notification.as_ref().expect("notification sent");
    assert_eq!((n.code, n.subcode), (ErrorCode::HOLD_TIMER_EXPIRED, 0));
    // Detected within the 3 s hold time of the last KEEPALIVE received.
    let waited = *t - frozen_at;
    assert!(waited <= secs(3) && waited >= Duration::from_millis(2000), "{waited:?}");
    assert_eq!(sim.a.session.last_fsm_event(), Some(FsmEvent::HoldTimerExpires));
}

#[test]
fn shutdown_notification_reaches_the_peer_with_its_text() {
    let mut sim = pair(false, true);
    sim.start(Side::B);
    sim.start(Side::A);
    assert!(sim.run_until(secs(1), established));
    let now = sim.now;
    sim.b.session.stop(now, Some("maintenance window"));
    sim.settle();
    let (_, down_b) = downs(&sim.b).pop().expect("b down");
    assert_eq!((down_b.reason.clone(), down_b.initiator), (DownReason::Stopped, Initiator::Local));
    let (_, down_a) = downs(&sim.a).pop().expect("a down");
    assert_eq!(down_a.reason, DownReason::NotificationReceived);
    assert_eq!(down_a.initiator, Initiator::Remote);
    let n = down_a.notification.expect("notification");
    assert_eq!((n.code, n.subcode), (ErrorCode::CEASE, cease::ADMINISTRATIVE_SHUTDOWN));
    assert_eq!(n.shutdown_communication(), Some(Ok("maintenance window")));
    // B stays down; A retries after its IdleHold and sits in Active/Connect.
    sim.run_for(secs(30));
    assert_eq!(sim.b.session.state(), State::Idle);
    assert_ne!(sim.a.session.state(), State::Established);
}

#[test]
fn flapping_peer_is_damped_and_the_back_off_resets() {
    // B insists on AS 65099, so every OPEN from A is refused with Bad Peer AS.
    let mut a = numbered(65001, A_IP, PeerAs::Number(Asn(65002)), B_IP);
    a.damping = DampingConfig {
        enabled: true,
        idle_hold_time: secs(2),
        max_idle_hold_time: secs(16),
        stable_period: secs(30),
    };
    let b = numbered(65002, B_IP, PeerAs::Number(Asn(65099)), A_IP);
    let mut sim = Sim::new(Node::new(a, A_IP.into(), 0), Node::new(b, B_IP.into(), 0));
    sim.b.session.config();
    sim.start(Side::B);
    sim.start(Side::A);
    sim.run_for(secs(120));
    let d = downs(&sim.a);
    assert!(d.len() >= 5, "{}", d.len());
    assert!(d.iter().all(|(_, x)| x.reason == DownReason::NotificationReceived));
    // The wait between a Down and the next connection attempt doubles up to the cap.
    let gaps: Vec<f64> = d
        .iter()
        .map(|(t, _)| {
            let next = sim.a.connects.iter().find(|(c, _)| c > t).expect("retried").0;
            (next - *t).as_secs_f64()
        })
        .collect();
    let expected = [2.0, 4.0, 8.0, 16.0, 16.0];
    for (g, e) in gaps.iter().zip(expected) {
        // Jitter: 0.75 to 1.0 of the value.
        assert!(*g >= e * 0.75 - 1e-9 && *g <= e + 1e-9, "{gaps:?}");
    }
    assert!(sim.a.session.connect_retry_counter() >= 5);

    // B is fixed; the session comes up and stays up past the stable period...
    let mut fixed = numbered(65002, B_IP, PeerAs::Number(Asn(65001)), A_IP);
    fixed.passive = true;
    sim.b = Node::new(fixed, B_IP.into(), 0);
    sim.start(Side::B);
    assert!(sim.run_until(secs(40), established));
    sim.run_for(secs(31));
    // ...so the next flap waits the initial IdleHoldTime again.
    let now = sim.now;
    sim.b.session.stop(now, None);
    sim.settle();
    let down_at = sim.elapsed();
    sim.start(Side::B);
    assert!(sim.run_until(secs(10), |s| s.a.connects.last().is_some_and(|(t, _)| *t > down_at)));
    let gap = (sim.a.connects.last().expect("connect").0 - down_at).as_secs_f64();
    assert!((1.5..=2.0).contains(&gap), "{gap}");
}

#[test]
fn early_timeout_is_a_no_op() {
    let mut sim = pair(false, true);
    sim.start(Side::B);
    sim.start(Side::A);
    assert!(sim.run_until(secs(1), established));
    let deadline = sim.a.session.poll_timeout().expect("keepalive or hold armed");
    let early = deadline - Duration::from_millis(1);
    let sent = sim.a.sent.len();
    sim.a.session.handle_timeout(early);
    assert!(sim.a.session.poll_transmit().is_none());
    assert!(sim.a.session.poll_event().is_none());
    assert_eq!(sim.a.session.poll_timeout(), Some(deadline));
    assert_eq!(sim.a.sent.len(), sent);
}

#[test]
fn delay_open_waits_for_the_peers_open() {
    let mut sim = pair(false, true);
    let mut b = numbered(65002, B_IP, PeerAs::External, A_IP);
    b.passive = true;
    b.delay_open_time = Some(secs(5));
    sim.b = Node::new(b, B_IP.into(), 0);
    sim.start(Side::B);
    sim.start(Side::A);
    assert!(sim.run_until(secs(1), established));
    // B never sent an OPEN before receiving A's: Event 20.
    assert!(sim
        .b
        .events
        .iter()
        .all(|(_, e)| !matches!(e, Event::StateChanged { to: State::OpenSent, .. })));
    // A peer that also delays: both wait, then the DelayOpenTimer fires and OPENs go.
    let mut a = numbered(65001, A_IP, PeerAs::Number(Asn(65002)), B_IP);
    a.delay_open_time = Some(secs(2));
    let mut b = numbered(65002, B_IP, PeerAs::External, A_IP);
    b.passive = true;
    b.delay_open_time = Some(secs(2));
    let mut sim = Sim::new(Node::new(a, A_IP.into(), 0), Node::new(b, B_IP.into(), 0));
    sim.start(Side::B);
    sim.start(Side::A);
    assert!(!sim.run_until(Duration::from_millis(1900), established));
    assert!(sim.run_until(secs(1), established));
}

#[test]
fn route_refresh_is_surfaced() {
    let mut sim = pair(false, true);
    sim.start(Side::B);
    sim.start(Side::A);
    assert!(sim.run_until(secs(1), established));
    let now = sim.now;
    sim.a.session.route_refresh(now, Family::IPV4_UNICAST).expect("negotiated");
    assert!(sim.a.session.route_refresh(now, Family::IPV6_UNICAST).is_err());
    sim.settle();
    let rr: Vec<_> = sim
        .b
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::RouteRefresh(r) => Some(r.family),
            _ => None,
        })
        .collect();
    assert_eq!(rr, vec![Family::IPV4_UNICAST]);
}

#[test]
fn ipv4_routes_exchanged_numbered() {
    let mut sim = pair(false, true);
    sim.start(Side::B);
    sim.start(Side::A);
    assert!(sim.run_until(secs(1), established));
    let now = sim.now;
    let nh = sim
        .a
        .session
        .local_next_hop(Family::IPV4_UNICAST, None, LinkLocalStyle::default())
        .expect("next hop");
    assert_eq!(nh, NextHop::Ipv4(A_IP));
    let attrs = [
        PathAttribute::new(Attribute::Origin(Origin::Igp)),
        PathAttribute::new(Attribute::AsPath(AsPath::from_sequence([65001]))),
    ];
    let routes =
        [Nlri::new("10.244.1.0/24".parse().unwrap()), Nlri::new("10.96.0.10/32".parse().unwrap())];
    assert_eq!(sim.a.session.announce(now, Family::IPV4_UNICAST, &nh, &routes, &attrs), Ok(1));
    sim.settle();
    let got = received(&sim.b);
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(r.announced().count(), 2);
    assert_eq!(r.forwarding_address(Family::IPV4_UNICAST), Some(IpAddr::V4(A_IP)));
    assert_eq!(r.update().attributes().as_path(), Some(AsPath::from_sequence([65001])));
    // Withdraw one.
    let now = sim.now;
    assert_eq!(sim.a.session.withdraw(now, Family::IPV4_UNICAST, &routes[..1]), Ok(1));
    sim.settle();
    let got = received(&sim.b);
    assert_eq!(got[1].withdrawn().collect::<Vec<_>>(), vec![(Family::IPV4_UNICAST, routes[0])]);
}

fn received(n: &Node) -> Vec<bgp_fsm::Received> {
    n.events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Update(r) => Some((**r).clone()),
            _ => None,
        })
        .collect()
}

fn unnumbered(local_as: u32, id: Ipv4Addr, ifindex: u32) -> Config {
    let mut c = Config::new(
        Asn(local_as),
        id,
        PeerAs::External,
        Neighbor::Interface { name: format!("eth{ifindex}"), ifindex },
    );
    c.hold_time = 3;
    c.connect_retry_time = secs(3);
    c.families = vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST];
    c.extended_next_hop = vec![Family::IPV4_UNICAST];
    c.seed = u64::from(local_as);
    c
}

#[test]
fn unnumbered_learns_the_neighbour_from_ras_and_exchanges_ipv4_over_ipv6() {
    let a_ll: Ipv6Addr = "fe80::a".parse().unwrap();
    let b_ll: Ipv6Addr = "fe80::b".parse().unwrap();
    let a = unnumbered(4_200_000_001, A_IP, 2);
    let b = unnumbered(4_200_000_002, B_IP, 7);
    let mut sim = Sim::new(Node::new(a, a_ll.into(), 2), Node::new(b, b_ll.into(), 7));
    sim.start(Side::A);
    // Nothing to connect to before an RA: Active, and an RA went out at once.
    sim.settle();
    assert_eq!(sim.a.session.state(), State::Active);
    assert!(sim.a.connects.is_empty());
    sim.start(Side::B);
    assert!(sim.run_until(secs(5), established));
    assert_eq!(sim.a.session.learned_neighbor(), Some(b_ll));
    assert_eq!(sim.b.session.learned_neighbor(), Some(a_ll));
    // The connection went to the link-local address with the interface as scope.
    let (_, addr) = sim.b.connects[0];
    assert_eq!(addr.ip(), IpAddr::V6(a_ll));
    match addr {
        std::net::SocketAddr::V6(v6) => assert_eq!(v6.scope_id(), 7),
        v4 => panic!("{v4}"),
    }
    let n = sim.a.session.negotiated().expect("up");
    assert!(n.extended_next_hop.contains(Family::IPV4_UNICAST));
    assert_eq!(n.peer_as, Asn(4_200_000_002));

    // A announces its pod CIDR with its link-local next hop (FRR style: both halves).
    let now = sim.now;
    let nh = sim
        .a
        .session
        .local_next_hop(Family::IPV4_UNICAST, None, LinkLocalStyle::BothHalves)
        .expect("extended next hop");
    assert_eq!(nh, NextHop::Ipv6LinkLocal { global: a_ll, link_local: a_ll });
    let attrs = [
        PathAttribute::new(Attribute::Origin(Origin::Igp)),
        PathAttribute::new(Attribute::AsPath(AsPath::from_sequence([4_200_000_001]))),
    ];
    let pod = Nlri::new("10.233.64.0/24".parse().unwrap());
    sim.a.session.announce(now, Family::IPV4_UNICAST, &nh, &[pod], &attrs).expect("sent");
    // B answers BIRD style (:: then link-local).
    let now = sim.now;
    let nh_b = sim
        .b
        .session
        .local_next_hop(Family::IPV4_UNICAST, None, LinkLocalStyle::UnspecifiedGlobal)
        .expect("extended next hop");
    let lo = Nlri::new("10.0.0.2/32".parse().unwrap());
    let attrs_b = [
        PathAttribute::new(Attribute::Origin(Origin::Igp)),
        PathAttribute::new(Attribute::AsPath(AsPath::from_sequence([4_200_000_002]))),
    ];
    sim.b.session.announce(now, Family::IPV4_UNICAST, &nh_b, &[lo], &attrs_b).expect("sent");
    sim.settle();
    let at_b = received(&sim.b);
    assert_eq!(at_b[0].announced().collect::<Vec<_>>(), vec![(Family::IPV4_UNICAST, pod)]);
    assert_eq!(at_b[0].forwarding_address(Family::IPV4_UNICAST), Some(IpAddr::V6(a_ll)));
    let at_a = received(&sim.a);
    assert_eq!(at_a[0].announced().collect::<Vec<_>>(), vec![(Family::IPV4_UNICAST, lo)]);
    assert_eq!(
        at_a[0].next_hop(Family::IPV4_UNICAST),
        Some(NextHop::Ipv6LinkLocal { global: Ipv6Addr::UNSPECIFIED, link_local: b_ll })
    );
    // RAs keep going every 3 s.
    let ras_before = sim.a.session.timer(bgp_fsm::Timer::RouterAdvertisement);
    sim.run_for(secs(3));
    assert_ne!(sim.a.session.timer(bgp_fsm::Timer::RouterAdvertisement), ras_before);
}

#[test]
fn ipv4_next_hop_without_extended_next_hop_is_refused() {
    let a_ll: Ipv6Addr = "fe80::a".parse().unwrap();
    let b_ll: Ipv6Addr = "fe80::b".parse().unwrap();
    let a = unnumbered(65001, A_IP, 2);
    let mut b = unnumbered(65002, B_IP, 2);
    b.extended_next_hop.clear();
    let mut sim = Sim::new(Node::new(a, a_ll.into(), 2), Node::new(b, b_ll.into(), 2));
    sim.start(Side::A);
    sim.start(Side::B);
    assert!(sim.run_until(secs(5), established));
    assert!(sim.a.session.negotiated().expect("up").extended_next_hop.is_empty());
    assert_eq!(
        sim.a.session.local_next_hop(Family::IPV4_UNICAST, None, LinkLocalStyle::default()),
        None
    );
    let nh = NextHop::Ipv6LinkLocal { global: a_ll, link_local: a_ll };
    let now = sim.now;
    let pod = Nlri::new("10.233.64.0/24".parse().unwrap());
    assert_eq!(
        sim.a.session.announce(now, Family::IPV4_UNICAST, &nh, &[pod], &[]),
        Err(bgp_fsm::CommandError::ExtendedNextHopNotNegotiated(Family::IPV4_UNICAST))
    );
}

/// The determinism contract: same seeds, same inputs, same instants → same bytes at the same
/// virtual times; another seed moves the jittered timers.
#[test]
fn replays_exactly() {
    let transcript = |seed_a: u64| {
        let mut a = numbered(65001, A_IP, PeerAs::Number(Asn(65002)), B_IP);
        a.seed = seed_a;
        let b = numbered(65002, B_IP, PeerAs::Number(Asn(65001)), A_IP);
        let mut sim = Sim::new(Node::new(a, A_IP.into(), 0), Node::new(b, B_IP.into(), 0));
        sim.start(Side::A);
        sim.start(Side::B);
        sim.run_for(secs(20));
        sim.a.frozen = true;
        sim.run_for(secs(10));
        let mut out: Vec<(Duration, u64, Vec<u8>)> =
            sim.a.sent.iter().map(|(t, c, b)| (*t, c.0, b.to_vec())).collect();
        out.extend(sim.b.sent.iter().map(|(t, c, b)| (*t, c.0 + 1_000_000, b.to_vec())));
        out
    };
    let first = transcript(1);
    assert!(first.len() > 20);
    assert_eq!(first, transcript(1));
    assert_ne!(first, transcript(2));
}

/// No new connection attempt while Established; RAs that are not from this peer's link, or
/// not from a link-local address, teach nothing.
#[test]
fn no_reconnect_while_established_and_foreign_ras_are_ignored() {
    let mut sim = pair(false, true);
    sim.start(Side::B);
    sim.start(Side::A);
    assert!(sim.run_until(secs(1), established));
    let connects = sim.a.connects.len();
    sim.run_for(secs(30));
    assert_eq!(sim.a.connects.len(), connects, "no new attempt while Established");
    // An RA from another interface is not this peer's business.
    let now = sim.now;
    let ra = bgp_fsm::ra::RouterAdvertisement {
        cur_hop_limit: 64,
        flags: 0,
        router_lifetime: 0,
        reachable_time: 0,
        retrans_timer: 0,
        options: vec![],
    }
    .encode();
    let a_ll: Ipv6Addr = "fe80::a".parse().unwrap();
    let mut s = bgp_fsm::Session::new(unnumbered(65001, A_IP, 2)).unwrap();
    s.start(now);
    s.handle_router_advertisement(now, 3, "fe80::99".parse().unwrap(), &ra).unwrap();
    assert_eq!(s.learned_neighbor(), None);
    // A global source is not a router on the link (RFC 4861 §6.1.2).
    s.handle_router_advertisement(now, 2, "2001:db8::1".parse().unwrap(), &ra).unwrap();
    assert_eq!(s.learned_neighbor(), None);
    s.handle_router_advertisement(now, 2, a_ll, &ra).unwrap();
    assert_eq!(s.learned_neighbor(), Some(a_ll));
    assert!(s.handle_router_advertisement(now, 2, a_ll, &ra[..4]).is_err());
}

/// Inbound connection first, our attempt fails afterwards.
#[test]
fn inbound_then_outbound_failure() {
    let mut cfg = numbered(65001, A_IP, PeerAs::Number(Asn(65002)), B_IP);
    cfg.passive = false;
    let mut s = bgp_fsm::Session::new(cfg).unwrap();
    let t0 = std::time::Instant::now();
    s.start(t0);
    assert!(matches!(s.poll_action(), Some(bgp_fsm::Action::Connect { .. })));
    let peer = std::net::SocketAddr::new(B_IP.into(), 50000);
    let local = std::net::SocketAddr::new(A_IP.into(), 179);
    s.handle_incoming(t0, bgp_fsm::ConnId(5), peer, local, None);
    assert_eq!(s.state(), State::OpenSent);
    s.handle_connect_failed(t0 + secs(1));
    assert_eq!(s.timer(bgp_fsm::Timer::ConnectRetry), None);
    s.handle_timeout(t0 + secs(100));
    // The OpenSent hold timer (240 s) has not run out; no new Connect.
    while let Some(a) = s.poll_action() {
        assert!(!matches!(a, bgp_fsm::Action::Connect { .. }), "{a:?}");
    }
    assert_eq!(s.state(), State::OpenSent);
}

// ----- RFC 9687 SendHoldTimer -----

/// A session to the scripted peer with timers as in `numbered` (hold 3 s, keepalive 1 s).
fn solo_config() -> Config {
    numbered(65001, A_IP, PeerAs::Number(Asn(65002)), SOLO_PEER)
}

const SEND_HOLD: Duration = Duration::from_secs(480);

/// The peer keeps sending KEEPALIVEs (our HoldTimer never runs out) but stops reading: our
/// output piles up unwritten. RFC 9687: the session gives up after the SendHoldTime.
#[test]
fn send_hold_timer_drops_a_peer_that_stops_reading() {
    let mut solo = Solo::established(solo_config(), 3, Writes::Complete);
    solo.peer_keepalive = Some(secs(1));
    solo.run_for(secs(10));
    assert_eq!(solo.session.timer(bgp_fsm::Timer::SendHold), None);
    // The peer's receive window goes to zero.
    solo.writes = Writes::Stalled;
    let stalled_at = solo.elapsed();
    solo.run_for(secs(600));
    // The first message that could not be written started the timer.
    let first_unwritten = solo.sent.iter().find(|(t, _)| *t > stalled_at).expect("a KEEPALIVE").0;
    let downs: Vec<_> = solo
        .events
        .iter()
        .filter_map(|(t, e)| match e {
            Event::Down(d) => Some((*t, d.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(downs.len(), 1, "{downs:?}");
    let (at, down) = &downs[0];
    assert_eq!(*at - first_unwritten, SEND_HOLD, "exactly the SendHoldTime");
    assert_eq!(
        (down.reason.clone(), down.initiator),
        (DownReason::SendHoldTimerExpired, Initiator::Library)
    );
    let n = down.notification.as_ref().expect("NOTIFICATION attempted");
    assert_eq!((n.code, n.subcode, n.data.len()), (ErrorCode::SEND_HOLD_TIMER_EXPIRED, 0, 0));
    // The NOTIFICATION (8/0) was the last write, then the connection was dropped.
    let (last_at, last) = solo.sent.last().expect("sent");
    assert_eq!(
        (*last_at, last.as_ref()),
        (*at, &[&[0xff; 16][..], &[0x00, 0x15, 0x03, 0x08, 0x00]].concat()[..])
    );
    assert!(solo
        .actions
        .iter()
        .any(|(t, a)| t == at && *a == bgp_fsm::Action::Close { conn: solo.conn }));
    // Idle, ConnectRetryCounter incremented, no timer of the connection left.
    assert_eq!(solo.session.connect_retry_counter(), 1);
    assert_eq!(solo.session.connections().count(), 0);
    assert_eq!(solo.session.timer(bgp_fsm::Timer::SendHold), None);
    assert!(solo
        .events
        .iter()
        .any(|(t, e)| t == at
            && *e == Event::StateChanged { from: State::Established, to: State::Idle }));
    // Until then the session was up: the HoldTimer never ran out.
    assert!(solo.events.iter().all(
        |(t, e)| t >= at || !matches!(e, Event::StateChanged { from: State::Established, .. })
    ));
}

#[test]
fn send_hold_expiry_is_event_29() {
    let mut solo = Solo::established(solo_config(), 3, Writes::Stalled);
    solo.peer_keepalive = Some(secs(1));
    // Our OPEN and KEEPALIVE were never written: the timer started on Established (Event 26).
    assert_eq!(solo.session.timer(bgp_fsm::Timer::SendHold), Some(solo.now + SEND_HOLD));
    solo.run_for(SEND_HOLD - Duration::from_millis(1));
    assert_eq!(solo.session.state(), State::Established);
    solo.run_for(Duration::from_millis(1));
    assert_eq!(solo.session.state(), State::Idle);
    assert_eq!(solo.session.last_fsm_event(), Some(FsmEvent::SendHoldTimerExpires));
    assert_eq!(FsmEvent::SendHoldTimerExpires.to_string(), "Event 29: SendHoldTimer_Expires");
}

/// Writes that progress, even without the queue ever emptying, restart the timer: a slow
/// reader is not a stalled one.
#[test]
fn writes_that_progress_never_trip_the_send_hold_timer() {
    let mut solo = Solo::established(solo_config(), 3, Writes::Trickle);
    solo.peer_keepalive = Some(secs(1));
    solo.run_for(secs(1800));
    assert!(solo.unwritten > 0, "output waited the whole time");
    assert_eq!(solo.session.state(), State::Established);
    assert!(solo.events.iter().all(|(_, e)| !matches!(e, Event::Down(_))));
    let deadline = solo.session.timer(bgp_fsm::Timer::SendHold).expect("armed: output waits");
    assert!(deadline > solo.now, "restarted by the last progress");

    // Two sessions whose writes complete: KEEPALIVEs flow for half an hour, nothing goes down.
    let mut sim = pair(false, true);
    sim.start(Side::B);
    sim.start(Side::A);
    assert!(sim.run_until(secs(1), established));
    sim.run_for(secs(1800));
    assert!(established(&sim));
    assert!(downs(&sim.a).is_empty() && downs(&sim.b).is_empty());
}

/// The timer runs only while output waits on an Established connection whose negotiated hold
/// time is not zero, and only when enabled.
#[test]
fn send_hold_timer_is_not_armed_when_nothing_is_pending() {
    let send_hold = |s: &bgp_fsm::Session| s.timer(bgp_fsm::Timer::SendHold);
    let mut solo = Solo::established(solo_config(), 3, Writes::Complete);
    solo.peer_keepalive = Some(secs(1));
    for _ in 0..30 {
        solo.run_for(Duration::from_millis(700));
        assert_eq!(send_hold(&solo.session), None, "everything written");
    }
    // Output polled and not yet written arms it; the report that it was written stops it.
    let now = solo.now;
    solo.session.route_refresh(now, Family::IPV4_UNICAST).expect("negotiated");
    assert_eq!(send_hold(&solo.session), Some(now + SEND_HOLD));
    // More output while some waits does not restart it: only progress does.
    solo.session.route_refresh(now + secs(5), Family::IPV4_UNICAST).expect("negotiated");
    assert_eq!(send_hold(&solo.session), Some(now + SEND_HOLD));
    solo.session.handle_write_progress(now + secs(6), solo.conn, 23);
    assert_eq!(send_hold(&solo.session), Some(now + secs(6) + SEND_HOLD));
    solo.session.handle_write_progress(now + secs(7), solo.conn, 0);
    assert_eq!(send_hold(&solo.session), None);

    // Before Established there is no SendHoldTimer, written or not.
    let mut s = bgp_fsm::Session::new(solo_config()).unwrap();
    let t0 = std::time::Instant::now();
    s.start(t0);
    s.handle_connected(t0, bgp_fsm::ConnId(1), std::net::SocketAddr::new(A_IP.into(), 40000));
    assert!(s.poll_transmit().is_some(), "our OPEN");
    assert_eq!(s.state(), State::OpenSent);
    assert_eq!(send_hold(&s), None);

    // Negotiated hold time zero: no KEEPALIVEs, and RFC 9687 stops the timer.
    let mut cfg = solo_config();
    cfg.hold_time = 0;
    let mut solo = Solo::established(cfg, 0, Writes::Stalled);
    assert_eq!(send_hold(&solo.session), None);
    solo.run_for(secs(3600));
    assert_eq!(solo.session.state(), State::Established);

    // Disabled by configuration.
    let mut cfg = solo_config();
    cfg.send_hold_time = None;
    let mut solo = Solo::established(cfg, 3, Writes::Stalled);
    solo.peer_keepalive = Some(secs(1));
    solo.run_for(secs(3600));
    assert_eq!(send_hold(&solo.session), None);
    assert_eq!(solo.session.state(), State::Established);
}

/// A long hold time lifts the SendHoldTime to twice the negotiated hold time (RFC 9687 §6's
/// default, "the greater of 8 minutes or 2 times the negotiated HoldTime").
#[test]
fn send_hold_time_is_at_least_twice_the_negotiated_hold_time() {
    let mut cfg = solo_config();
    cfg.hold_time = 300;
    let solo = Solo::established(cfg.clone(), 400, Writes::Stalled);
    assert_eq!(solo.session.timer(bgp_fsm::Timer::SendHold), Some(solo.now + secs(600)));
    // The peer offering less brings the negotiated hold time, and the floor, down.
    let solo = Solo::established(cfg.clone(), 200, Writes::Stalled);
    assert_eq!(solo.session.timer(bgp_fsm::Timer::SendHold), Some(solo.now + SEND_HOLD));
    cfg.send_hold_time = Some(secs(900));
    let solo = Solo::established(cfg, 300, Writes::Stalled);
    assert_eq!(solo.session.timer(bgp_fsm::Timer::SendHold), Some(solo.now + secs(900)));
}

/// In the two-speaker simulation: B stops reading for a moment (shorter than its own hold
/// time), then reads again. A's timer runs while its KEEPALIVEs wait and stops once they are
/// written; the session stays up.
#[test]
fn a_pause_in_reading_arms_then_stops_the_send_hold_timer() {
    let mut sim = pair(false, true);
    sim.start(Side::B);
    sim.start(Side::A);
    assert!(sim.run_until(secs(1), established));
    sim.run_for(secs(5));
    assert_eq!(sim.a.session.timer(bgp_fsm::Timer::SendHold), None);
    sim.set_reading(Side::B, false);
    let paused = sim.now;
    sim.run_for(secs(2));
    let deadline = sim.a.session.timer(bgp_fsm::Timer::SendHold).expect("output waits");
    assert!(deadline > paused + SEND_HOLD && deadline <= paused + secs(1) + SEND_HOLD);
    sim.set_reading(Side::B, true);
    sim.settle();
    assert_eq!(sim.a.session.timer(bgp_fsm::Timer::SendHold), None);
    sim.run_for(secs(60));
    assert!(established(&sim));
    assert!(downs(&sim.a).is_empty() && downs(&sim.b).is_empty());
}

// ----- unnumbered peering under a flood of Router Advertisements -----

fn ra_bytes() -> Vec<u8> {
    bgp_fsm::ra::RouterAdvertisement {
        cur_hop_limit: 64,
        flags: 0,
        router_lifetime: 0,
        reachable_time: 0,
        retrans_timer: 0,
        options: vec![],
    }
    .encode()
    .to_vec()
}

fn connects(s: &mut bgp_fsm::Session) -> Vec<std::net::SocketAddr> {
    std::iter::from_fn(|| s.poll_action())
        .filter_map(|a| match a {
            bgp_fsm::Action::Connect { addr, .. } => Some(addr),
            _ => None,
        })
        .collect()
}

/// RAs from ever new link-local addresses (ten a second) neither restart the connection
/// attempt to the neighbour first discovered nor move it while it is in progress, and after
/// a failed attempt a new address waits for the ConnectRetryTimer.
#[test]
fn rotating_ra_sources_do_not_restart_a_session_attempt() {
    let b_ll: Ipv6Addr = "fe80::b".parse().unwrap();
    let mut s = bgp_fsm::Session::new(unnumbered(65001, A_IP, 2)).unwrap();
    let t0 = std::time::Instant::now();
    s.start(t0);
    assert!(connects(&mut s).is_empty());
    let ra = ra_bytes();
    s.handle_router_advertisement(t0, 2, b_ll, &ra).unwrap();
    let first = connects(&mut s);
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].ip(), IpAddr::V6(b_ll));
    let flood = |s: &mut bgp_fsm::Session, from: Duration, n: u16| {
        for i in 0..n {
            let src = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0x1000, i);
            let at = t0 + from + Duration::from_millis(100 * u64::from(i));
            s.handle_router_advertisement(at, 2, src, &ra).unwrap();
            s.handle_timeout(at);
        }
    };
    // While connecting.
    flood(&mut s, Duration::ZERO, 20);
    assert!(connects(&mut s).is_empty(), "the attempt in progress was not replaced");
    assert_eq!(s.learned_neighbor(), Some(b_ll));
    // Connected, OpenSent.
    let at = t0 + secs(2);
    s.handle_connected(at, bgp_fsm::ConnId(1), "[fe80::a%2]:40000".parse().unwrap());
    assert_eq!(s.state(), State::OpenSent);
    flood(&mut s, secs(2), 20);
    assert!(connects(&mut s).is_empty());
    assert_eq!(s.learned_neighbor(), Some(b_ll));
    assert_eq!(s.state(), State::OpenSent);
    // The attempt fails: a new address is learned but waits for ConnectRetry (3 s).
    let at = t0 + secs(5);
    s.handle_closed(at, bgp_fsm::ConnId(1));
    assert_eq!(s.state(), State::Active);
    let c_ll: Ipv6Addr = "fe80::c".parse().unwrap();
    s.handle_router_advertisement(at, 2, c_ll, &ra).unwrap();
    assert!(connects(&mut s).is_empty(), "no attempt before the ConnectRetryTimer");
    let retry = s.timer(bgp_fsm::Timer::ConnectRetry).expect("ConnectRetry runs");
    s.handle_timeout(retry);
    let again = connects(&mut s);
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].ip(), IpAddr::V6(c_ll));
}

/// A second connection does not replace one whose exchange of OPENs is under way: RFC 4271
/// §6.8 decides by BGP Identifier, and an OPEN from another speaker altogether is refused.
#[test]
fn a_second_inbound_connection_does_not_replace_the_first() {
    use bgp_wire::message::Message;
    use bgp_wire::open::Open;
    let open = |id: Ipv4Addr| {
        let mut b = bytes::BytesMut::new();
        Message::Open(Open::new(Asn(65002), 90, id, vec![]))
            .encode(&bgp_wire::Context::legacy(), &mut b);
        b.freeze()
    };
    let local: std::net::SocketAddr = "[fe80::a%2]:179".parse().unwrap();
    for (second_id, first_survives) in [
        // Another speaker: refused whatever its identifier.
        (Ipv4Addr::new(10, 9, 9, 9), true),
        (Ipv4Addr::new(1, 1, 1, 1), true),
        // The same speaker (B, above our A): §6.8 keeps the connection it opened last.
        (B_IP, false),
    ] {
        let mut cfg = unnumbered(65001, A_IP, 2);
        cfg.passive = true;
        let mut s = bgp_fsm::Session::new(cfg).unwrap();
        let t0 = std::time::Instant::now();
        s.start(t0);
        let (c1, c2) = (bgp_fsm::ConnId(1), bgp_fsm::ConnId(2));
        s.handle_incoming(t0, c1, "[fe80::b%2]:50000".parse().unwrap(), local, Some(2));
        s.handle_data(t0, c1, open(B_IP));
        assert_eq!(s.state(), State::OpenConfirm);
        while s.poll_action().is_some() {}
        s.handle_incoming(t0, c2, "[fe80::66%2]:50001".parse().unwrap(), local, Some(2));
        let closed: Vec<_> = std::iter::from_fn(|| s.poll_action()).collect();
        assert!(!closed.contains(&bgp_fsm::Action::Close { conn: c1 }), "{closed:?}");
        assert_eq!(s.learned_neighbor(), Some("fe80::b".parse().unwrap()));
        s.handle_data(t0, c2, open(second_id));
        let conns: Vec<_> = s.connections().collect();
        if first_survives {
            assert_eq!(conns, vec![c1], "{second_id}");
        } else {
            assert_eq!(conns, vec![c2], "{second_id}");
        }
        assert_eq!(s.state(), State::OpenConfirm);
    }
}
