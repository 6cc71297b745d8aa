//! Two routers (whole speakers, one task each) over the loopback interface.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use bgp_fsm::{Config, Neighbor, PeerAs, State};
use bgp_speaker::{Event, ListenRange, NeighborConfig, Speaker, SpeakerConfig};
use bgp_tokio::{ListenConfig, Notice, RouterConfig, Transport};
use bgp_wire::Asn;
use ipnet::IpNet;
use rib::PathAttrs;
use tokio::sync::mpsc;

const LO: Ipv4Addr = Ipv4Addr::LOCALHOST;
/// Router a's address: its own, so that the next hop it announces is not b's (RFC 4271
/// §6.3 has a speaker ignore routes whose next hop is its own address).
const A: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

fn neighbor(asn: u32, id: u8, port: u16, passive: bool) -> NeighborConfig {
    neighbor_at(LO, asn, id, port, passive)
}

/// Router b's configuration of a.
fn neighbor_a(port: u16) -> NeighborConfig {
    neighbor_at(A, 65002, 2, port, true)
}

/// a connects from its own address.
fn from_a() -> Transport {
    Transport { source: Some(IpAddr::V4(A)), ..Transport::default() }
}

fn neighbor_at(peer: Ipv4Addr, asn: u32, id: u8, port: u16, passive: bool) -> NeighborConfig {
    let n = Neighbor::Address { addr: IpAddr::V4(peer), scope: None };
    let mut c = Config::new(Asn(asn), Ipv4Addr::new(10, 0, 0, id), PeerAs::External, n);
    c.port = port;
    c.hold_time = 3;
    c.connect_retry_time = Duration::from_secs(1);
    c.passive = passive;
    NeighborConfig::new(c)
}

fn speaker(asn: u32, id: u8) -> Speaker {
    Speaker::new(SpeakerConfig::new(Asn(asn), Ipv4Addr::new(10, 0, 0, id))).unwrap()
}

async fn until<T>(rx: &mut mpsc::Receiver<Notice>, mut f: impl FnMut(&Notice) -> Option<T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let n = rx.recv().await.expect("notice channel open");
            if let Some(t) = f(&n) {
                return t;
            }
        }
    })
    .await
    .expect("notice within 10 s")
}

fn listen() -> RouterConfig {
    RouterConfig {
        listen: Some(ListenConfig { port: 0, addrs: vec![IpAddr::V4(LO)] }),
        ..RouterConfig::default()
    }
}

#[tokio::test]
async fn two_routers_exchange_routes() {
    let (b, mut b_rx) = bgp_tokio::router::spawn(speaker(65002, 2), listen()).unwrap();
    let port = b.local_addrs()[0].port();
    b.add_neighbor(neighbor_a(179), Transport::default()).await.unwrap();
    let (a, _a_rx) = bgp_tokio::router::spawn(
        speaker(65001, 1),
        RouterConfig { listen: None, ..RouterConfig::default() },
    )
    .unwrap();
    a.add_neighbor(neighbor(65001, 1, port, false), from_a()).await.unwrap();
    let p: IpNet = "10.244.1.0/24".parse().unwrap();
    a.announce(p, PathAttrs::default()).await.unwrap();
    let best = until(&mut b_rx, |n| match n {
        Notice::Route(r) if r.prefix == p => r.best.clone(),
        _ => None,
    })
    .await;
    assert_eq!(best.next_hop, Some(IpAddr::V4(A)));
    let path = b.with(move |s, now| s.route_detail(now, p)).await.unwrap().unwrap();
    assert_eq!(path.paths[0].as_path, "65001");
    a.withdraw(p).await.unwrap();
    until(&mut b_rx, |n| match n {
        Notice::Route(r) if r.prefix == p && r.best.is_none() => Some(()),
        _ => None,
    })
    .await;
    a.shutdown().await;
    until(&mut b_rx, |n| matches!(n, Notice::Event(Event::Down { .. })).then_some(())).await;
}

#[tokio::test]
async fn an_application_that_stops_reading_never_stalls_a_session() {
    // b's application never reads its notices (channel of one); a announces a thousand
    // prefixes one by one. b's sessions must go on: KEEPALIVEs (hold time 3 s), routes into
    // its table, answers to commands.
    let cfg = RouterConfig { notice_capacity: 1, ..listen() };
    let (b, _b_rx_never_read) = bgp_tokio::router::spawn(speaker(65002, 2), cfg).unwrap();
    let port = b.local_addrs()[0].port();
    let nb = b.add_neighbor(neighbor_a(179), Transport::default()).await.unwrap();
    let (a, _a_rx) = bgp_tokio::router::spawn(
        speaker(65001, 1),
        RouterConfig { listen: None, ..RouterConfig::default() },
    )
    .unwrap();
    a.add_neighbor(neighbor(65001, 1, port, false), from_a()).await.unwrap();
    for i in 0..1000u32 {
        let p: IpNet = format!("10.{}.{}.0/24", 100 + i / 256, i % 256).parse().unwrap();
        a.announce(p, PathAttrs::default()).await.unwrap();
    }
    // Three hold times later, still up, every route in, and b answers at once.
    tokio::time::sleep(Duration::from_secs(9)).await;
    let (state, routes) = tokio::time::timeout(
        Duration::from_secs(1),
        b.with(move |s, _| (s.session(nb).map(|x| x.state()), s.rib().len().0)),
    )
    .await
    .expect("b answers while its application does not read")
    .unwrap();
    assert_eq!(state, Some(State::Established));
    assert_eq!(routes, 1000);
    // What waits for the application is bounded: the route changes coalesce per prefix.
    let waiting = b.with(|s, _| s.dropped_events()).await.unwrap();
    assert_eq!(waiting, 0, "a handful of session events fit; routes wait coalesced");
    a.shutdown().await;
}

#[tokio::test]
async fn a_connection_from_a_listen_range_makes_a_neighbour() {
    // b configures no neighbour, only a range; the router hands it a's connection and b
    // makes the neighbour, which goes when a stops.
    let mut cfg = SpeakerConfig::new(Asn(65002), Ipv4Addr::new(10, 0, 0, 2));
    let lo = "127.0.0.0/8".parse().unwrap();
    cfg.listen_ranges.push(ListenRange::external(cfg.local_as, cfg.router_id, lo, 1));
    let (b, mut b_rx) = bgp_tokio::router::spawn(Speaker::new(cfg).unwrap(), listen()).unwrap();
    let port = b.local_addrs()[0].port();
    let (a, _a_rx) = bgp_tokio::router::spawn(
        speaker(65001, 1),
        RouterConfig { listen: None, ..RouterConfig::default() },
    )
    .unwrap();
    a.add_neighbor(neighbor(65001, 1, port, false), from_a()).await.unwrap();
    let made = until(&mut b_rx, |n| match n {
        Notice::Event(Event::NeighborCreated { neighbor, address, .. }) => {
            Some((*neighbor, *address))
        }
        _ => None,
    })
    .await;
    assert_eq!(made.1, IpAddr::V4(A));
    let p: IpNet = "10.244.1.0/24".parse().unwrap();
    a.announce(p, PathAttrs::default()).await.unwrap();
    until(&mut b_rx, |n| match n {
        Notice::Route(r) if r.prefix == p => r.best.clone(),
        _ => None,
    })
    .await;
    let dynamic = b.with(move |s, _| s.is_dynamic(made.0)).await.unwrap();
    assert!(dynamic);
    a.shutdown().await;
    until(&mut b_rx, |n| matches!(n, Notice::Event(Event::NeighborRemoved { .. })).then_some(()))
        .await;
}

/// Socket settings that cannot work are refused when the neighbour is added, before any
/// socket is touched: an empty TCP-MD5 password would delete the kernel's key instead of
/// setting one, and one longer than the kernel's 80 octets cannot be set.
#[tokio::test]
async fn bad_transport_settings_are_refused_when_added() {
    for listen in [RouterConfig { listen: None, ..RouterConfig::default() }, self::listen()] {
        let (r, _rx) = bgp_tokio::router::spawn(speaker(65001, 1), listen).unwrap();
        for (password, ttl) in [
            (Some(String::new()), bgp_tokio::TtlMode::Default),
            (Some("x".repeat(81)), bgp_tokio::TtlMode::Default),
            (None, bgp_tokio::TtlMode::Security { hops: 0 }),
            (None, bgp_tokio::TtlMode::Multihop(0)),
        ] {
            let t = Transport { md5_password: password.clone(), ttl, ..Transport::default() };
            let e = r.add_neighbor(neighbor(65001, 1, 179, false), t).await.unwrap_err();
            assert!(matches!(e, bgp_tokio::Error::Transport(_)), "{password:?} {ttl:?}: {e}");
        }
        let ok = Transport { md5_password: Some("x".repeat(80)), ..Transport::default() };
        r.add_neighbor(neighbor(65001, 1, 179, false), ok).await.unwrap();
        // A session configuration that cannot work is refused too.
        let mut n = neighbor(65001, 1, 179, false);
        n.session.connect_retry_time = Duration::ZERO;
        n.session.neighbor =
            Neighbor::Address { addr: IpAddr::V4(Ipv4Addr::new(127, 0, 0, 9)), scope: None };
        assert!(r.add_neighbor(n, Transport::default()).await.is_err());
    }
}

/// The kernel's timer of each established TCP socket whose local port is `port`, from
/// `/proc/net/tcp`: 2 is the keepalive timer, 0 none.
fn tcp_timers(port: u16) -> Vec<u8> {
    let table = std::fs::read_to_string("/proc/net/tcp").expect("/proc/net/tcp is readable");
    table
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let local_port = u16::from_str_radix(f.get(1)?.rsplit(':').next()?, 16).ok()?;
            let established = *f.get(3)? == "01";
            let timer = u8::from_str_radix(f.get(5)?.split(':').next()?, 16).ok()?;
            (local_port == port && established).then_some(timer)
        })
        .collect()
}

/// Hold time 0 negotiated: no KEEPALIVE messages and no hold timer, so the connection gets
/// TCP keepalive (the kernel's keepalive timer runs on the idle socket); with a hold time it
/// does not.
#[tokio::test]
async fn hold_time_zero_turns_on_tcp_keepalive() {
    for hold in [0u16, 90] {
        let (b, mut b_rx) = bgp_tokio::router::spawn(speaker(65002, 2), listen()).unwrap();
        let port = b.local_addrs()[0].port();
        let mut nb = neighbor(65002, 2, 179, true);
        nb.session.hold_time = hold;
        b.add_neighbor(nb, Transport::default()).await.unwrap();
        let (a, _a_rx) = bgp_tokio::router::spawn(
            speaker(65001, 1),
            RouterConfig { listen: None, ..RouterConfig::default() },
        )
        .unwrap();
        let mut na = neighbor(65001, 1, port, false);
        na.session.hold_time = hold;
        a.add_neighbor(na, Transport::default()).await.unwrap();
        until(&mut b_rx, |n| matches!(n, Notice::Event(Event::Up { .. })).then_some(())).await;
        // The option is set by the connection's writer, a moment after Established; the
        // timer is armed once the socket has been idle since.
        let mut timers = Vec::new();
        for _ in 0..50 {
            timers = tcp_timers(port);
            if timers == [2] {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if hold == 0 {
            assert_eq!(timers, [2], "keepalive timer on b's end of the connection");
        } else {
            assert_eq!(timers, [0], "no keepalive with hold time {hold}");
        }
        a.shutdown().await;
        b.shutdown().await;
    }
}

/// GTSM (RFC 5082) is enforced on accepted connections: a neighbour configured with
/// ttl-security whose SYN arrives with TTL 64 never gets a session; one that sends with
/// TTL 255, as a GTSM speaker does, comes up. Loopback does not decrement the TTL.
#[tokio::test]
async fn gtsm_refuses_a_connection_from_beyond_the_radius() {
    let gtsm = Transport { ttl: bgp_tokio::TtlMode::Security { hops: 1 }, ..Transport::default() };
    for (ttl, comes_up) in [
        (bgp_tokio::TtlMode::Multihop(64), false),
        (bgp_tokio::TtlMode::Security { hops: 1 }, true),
    ] {
        let (b, mut b_rx) = bgp_tokio::router::spawn(speaker(65002, 2), listen()).unwrap();
        let port = b.local_addrs()[0].port();
        b.add_neighbor(neighbor(65002, 2, 179, true), gtsm.clone()).await.unwrap();
        let (a, _a_rx) = bgp_tokio::router::spawn(
            speaker(65001, 1),
            RouterConfig { listen: None, ..RouterConfig::default() },
        )
        .unwrap();
        let t = Transport { ttl, ..Transport::default() };
        a.add_neighbor(neighbor(65001, 1, port, false), t.clone()).await.unwrap();
        let up = tokio::time::timeout(Duration::from_secs(4), async {
            while let Some(n) = b_rx.recv().await {
                if matches!(n, Notice::Event(Event::Up { .. })) {
                    return true;
                }
            }
            false
        })
        .await
        .unwrap_or(false);
        assert_eq!(up, comes_up, "{ttl:?}");
        if !comes_up {
            // The refused connection is closed at once, before an OPEN is sent on it.
            use tokio::io::AsyncReadExt;
            let addr = std::net::SocketAddr::new(IpAddr::V4(LO), port);
            let mut s = bgp_tokio::connect::connect(addr, &t).await.unwrap();
            let mut buf = [0u8; 64];
            let r = tokio::time::timeout(Duration::from_secs(3), s.read(&mut buf)).await;
            assert!(matches!(r, Ok(Ok(0)) | Ok(Err(_))), "no OPEN, closed: {r:?}");
        }
        a.shutdown().await;
        b.shutdown().await;
    }
}

/// A host that is no neighbour and in no listen range is closed at once after accept: no
/// OPEN, no session, however many times it tries.
#[tokio::test]
async fn connections_from_strangers_are_closed_at_once() {
    use tokio::io::AsyncReadExt;
    let (b, _b_rx) = bgp_tokio::router::spawn(speaker(65002, 2), listen()).unwrap();
    let addr = b.local_addrs()[0];
    let mut n = neighbor(65002, 2, 179, true);
    n.session.neighbor =
        Neighbor::Address { addr: IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)), scope: None };
    let id = b.add_neighbor(n, Transport::default()).await.unwrap();
    for _ in 0..20 {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut buf = [0u8; 64];
        let r = tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf)).await;
        assert!(matches!(r, Ok(Ok(0)) | Ok(Err(_))), "closed without an OPEN: {r:?}");
    }
    let conns = b.with(move |s, _| s.session(id).map(|x| x.connections().count())).await.unwrap();
    assert_eq!(conns, Some(0));
}
