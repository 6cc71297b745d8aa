//! Two speakers over the loopback interface: a passive one listening on an ephemeral port
//! and an active one connecting to it.

use bgp_fsm::{Config, DownReason, Event, Initiator, Neighbor, PeerAs, State};
use bgp_tokio::{ListenConfig, PeerConfig, PeerEvent, PeerEventKind, Speaker, SpeakerConfig};
use bgp_wire::attribute::{AsPath, Attribute, NextHop, Origin, PathAttribute};
use bgp_wire::nlri::Nlri;
use bgp_wire::{Asn, Family};
use ipnet::{IpNet, Ipv4Net};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;
use tokio::sync::mpsc;

const LO: Ipv4Addr = Ipv4Addr::LOCALHOST;
/// The next hop announced: not the receiver's own address, which RFC 4271 §6.3 has the
/// receiver ignore (both ends are 127.0.0.1 here).
const NH: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);

fn session(asn: u32, id: u8, port: u16) -> Config {
    let n = Neighbor::Address { addr: IpAddr::V4(LO), scope: None };
    let mut c = Config::new(Asn(asn), Ipv4Addr::new(10, 0, 0, id), PeerAs::External, n);
    c.port = port;
    c.hold_time = 3;
    c.connect_retry_time = Duration::from_secs(1);
    // Short enough for a test to outlive it: the driver's write reports must keep it away.
    c.send_hold_time = Some(SEND_HOLD);
    c
}

const SEND_HOLD: Duration = Duration::from_secs(7);

async fn until<T>(
    rx: &mut mpsc::Receiver<PeerEvent>,
    mut f: impl FnMut(&PeerEventKind) -> Option<T>,
) -> T {
    until_event(rx, |e| f(&e.kind)).await
}

async fn until_event<T>(
    rx: &mut mpsc::Receiver<PeerEvent>,
    mut f: impl FnMut(&PeerEvent) -> Option<T>,
) -> T {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let ev = rx.recv().await.expect("event channel open");
            if let Some(t) = f(&ev) {
                return t;
            }
        }
    })
    .await
    .expect("event within 10 s")
}

#[tokio::test]
async fn establish_exchange_routes_and_shut_down_with_a_message() {
    let listen = ListenConfig { port: 0, addrs: vec![IpAddr::V4(LO)] };
    let (a, mut a_ev) =
        Speaker::new(SpeakerConfig { listen: Some(listen), event_capacity: 64 }).unwrap();
    let port = a.local_addrs()[0].port();
    let mut a_cfg = session(65001, 1, port);
    a_cfg.passive = true;
    let a_peer = a.add_peer(PeerConfig::new(a_cfg)).unwrap();

    let (b, mut b_ev) = Speaker::new(SpeakerConfig { listen: None, event_capacity: 64 }).unwrap();
    let b_peer = b.add_peer(PeerConfig::new(session(65002, 2, port))).unwrap();

    let est = |k: &PeerEventKind| match k {
        PeerEventKind::Session(Event::Established(n)) => Some(n.peer_as),
        _ => None,
    };
    assert_eq!(until(&mut a_ev, est).await, Asn(65002));
    assert_eq!(until(&mut b_ev, est).await, Asn(65001));

    // B announces two prefixes with its own AS in the path.
    let routes = vec![
        Nlri::new("192.0.2.0/24".parse().unwrap()),
        Nlri::new("198.51.100.0/25".parse().unwrap()),
    ];
    let sent = b_peer
        .with(move |s, now| {
            let attrs = vec![
                PathAttribute::new(Attribute::Origin(Origin::Igp)),
                PathAttribute::new(Attribute::AsPath(AsPath::from_sequence([65002]))),
            ];
            s.announce(now, Family::IPV4_UNICAST, &NextHop::Ipv4(NH), &routes, &attrs)
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sent, 1);
    let got = until(&mut a_ev, |k| match k {
        PeerEventKind::Session(Event::Update(r)) if r.announced().next().is_some() => {
            Some((r.announced().collect::<Vec<_>>(), r.update().attributes().as_path()))
        }
        _ => None,
    })
    .await;
    let prefixes: Vec<String> = got.0.iter().map(|(_, n)| n.prefix.to_string()).collect();
    assert_eq!(prefixes, ["192.0.2.0/24", "198.51.100.0/25"]);
    assert_eq!(got.1.and_then(|p| p.origin_as()), Some(Asn(65002)));

    // Keepalives keep it up past the hold time, and their writes, reported to the session,
    // past the SendHoldTime.
    tokio::time::sleep(SEND_HOLD + Duration::from_secs(1)).await;
    assert_eq!(a_peer.with(|s, _| s.state()).await.unwrap(), State::Established);

    // B shuts down with a message: A sees a Cease/Administrative Shutdown with the text.
    b_peer.shutdown(Some("maintenance".into())).await;
    let down = until(&mut a_ev, |k| match k {
        PeerEventKind::Session(Event::Down(d)) => Some(d.clone()),
        _ => None,
    })
    .await;
    assert_eq!(down.reason, DownReason::NotificationReceived);
    assert_eq!(down.initiator, Initiator::Remote);
    let n = down.notification.expect("notification");
    assert_eq!((n.code.0, n.subcode), (6, 2));
    assert_eq!(n.shutdown_communication().and_then(Result::ok), Some("maintenance"));
}

#[tokio::test]
async fn frozen_peer_is_detected_by_the_hold_timer() {
    // The "peer" accepts the TCP connection and then never sends anything.
    let l = tokio::net::TcpListener::bind((LO, 0)).await.unwrap();
    let port = l.local_addr().unwrap().port();
    let (b, mut b_ev) = Speaker::new(SpeakerConfig { listen: None, event_capacity: 64 }).unwrap();
    let mut cfg = session(65002, 2, port);
    // OpenSent waits `open_hold_time` for the OPEN; make it the test's bound.
    cfg.open_hold_time = Duration::from_secs(3);
    let _peer = b.add_peer(PeerConfig::new(cfg)).unwrap();
    let (_held, _) = l.accept().await.unwrap();
    let start = std::time::Instant::now();
    let down = until(&mut b_ev, |k| match k {
        PeerEventKind::Session(Event::Down(d)) => Some(d.clone()),
        _ => None,
    })
    .await;
    assert_eq!(down.reason, DownReason::HoldTimerExpired);
    assert!(start.elapsed() < Duration::from_secs(6), "took {:?}", start.elapsed());
}

/// A receiver that stops reading (its application does not take its events) holds up the
/// sender's application instead of growing the sender's memory: `with` blocks once the
/// connection's queue is over its limit, and resumes when the receiver reads again.
#[tokio::test]
async fn slow_receiver_applies_back_pressure_to_the_sender() {
    let listen = ListenConfig { port: 0, addrs: vec![IpAddr::V4(LO)] };
    let (b, mut b_ev) =
        Speaker::new(SpeakerConfig { listen: Some(listen), event_capacity: 8 }).unwrap();
    let port = b.local_addrs()[0].port();
    let mut b_cfg = session(65002, 2, port);
    b_cfg.passive = true;
    b_cfg.hold_time = 0; // no keepalives, no hold timer: the stall is not a failure
    let _b_peer = b.add_peer(PeerConfig::new(b_cfg)).unwrap();

    let (a, mut a_ev) = Speaker::new(SpeakerConfig { listen: None, event_capacity: 64 }).unwrap();
    let mut a_cfg = PeerConfig::new(session(65001, 1, port));
    a_cfg.session.hold_time = 0;
    a_cfg.send_queue_limit = 256 * 1024;
    let a_peer = a.add_peer(a_cfg).unwrap();

    let est = |k: &PeerEventKind| {
        matches!(k, PeerEventKind::Session(Event::Established(_))).then_some(())
    };
    until(&mut a_ev, est).await;
    until(&mut b_ev, est).await;
    // From now on nobody reads B's events.

    let attrs = vec![
        PathAttribute::new(Attribute::Origin(Origin::Igp)),
        PathAttribute::new(Attribute::AsPath(AsPath::from_sequence([65001]))),
    ];
    let mut next: u32 = 0x0a00_0000;
    let mut sent_octets = 0usize;
    let mut blocked = false;
    for _ in 0..4000 {
        let routes: Vec<Nlri> = (0..5000)
            .map(|i| Nlri::new(IpNet::V4(Ipv4Net::new(Ipv4Addr::from(next + i), 32).unwrap())))
            .collect();
        next += 5000;
        let attrs = attrs.clone();
        let call = a_peer.with(move |s, now| {
            s.announce(now, Family::IPV4_UNICAST, &NextHop::Ipv4(NH), &routes, &attrs).unwrap()
        });
        match tokio::time::timeout(Duration::from_secs(2), call).await {
            Ok(r) => {
                r.unwrap();
                sent_octets += 5000 * 5;
            }
            Err(_) => {
                blocked = true;
                break;
            }
        }
    }
    assert!(blocked, "never blocked after {sent_octets} octets of NLRI");
    eprintln!("sender blocked after {sent_octets} octets of NLRI");
    // Socket buffers, the reader channel and the queue limit hold a few MB, not hundreds.
    assert!(sent_octets < 64 << 20, "{sent_octets}");

    // B's application reads again: the sender's commands are taken again.
    let drain = tokio::spawn(async move { while b_ev.recv().await.is_some() {} });
    let r = tokio::time::timeout(Duration::from_secs(30), a_peer.with(|s, _| s.state())).await;
    assert_eq!(r.unwrap().unwrap(), State::Established);
    drain.abort();
}

/// One speaker, two peers told apart by their source addresses (each connecting from the
/// source address its transport names); each session comes up on its own.
#[tokio::test]
async fn two_peers_on_one_speaker_by_source_address() {
    let listen = ListenConfig { port: 0, addrs: vec![IpAddr::V4(LO)] };
    let (hub, mut hub_ev) =
        Speaker::new(SpeakerConfig { listen: Some(listen), event_capacity: 64 }).unwrap();
    let port = hub.local_addrs()[0].port();
    let mut ids = Vec::new();
    let mut spokes = Vec::new();
    for (i, src) in
        [Ipv4Addr::new(127, 0, 0, 2), Ipv4Addr::new(127, 0, 0, 3)].into_iter().enumerate()
    {
        let n = Neighbor::Address { addr: IpAddr::V4(src), scope: None };
        let mut c = Config::new(Asn(65001), Ipv4Addr::new(10, 0, 0, 1), PeerAs::External, n);
        c.passive = true;
        c.hold_time = 3;
        ids.push(hub.add_peer(PeerConfig::new(c)).unwrap());

        let (s, ev) = Speaker::new(SpeakerConfig { listen: None, event_capacity: 64 }).unwrap();
        let mut cfg = PeerConfig::new(session(65010 + i as u32, 20 + i as u8, port));
        cfg.transport.source = Some(IpAddr::V4(src));
        let p = s.add_peer(cfg).unwrap();
        spokes.push((s, ev, p));
    }
    let mut up = std::collections::BTreeMap::new();
    while up.len() < 2 {
        let (peer, asn) = until_event(&mut hub_ev, |e| match &e.kind {
            PeerEventKind::Session(Event::Established(n)) => Some((e.peer, n.peer_as)),
            _ => None,
        })
        .await;
        up.insert(peer, asn);
    }
    assert_eq!(up.get(&ids[0].id()), Some(&Asn(65010)));
    assert_eq!(up.get(&ids[1].id()), Some(&Asn(65011)));
}

/// RFC 9687: a peer that keeps sending KEEPALIVEs but reads nothing (its receive window
/// closes) is dropped after the SendHoldTime, with the writes' progress reported by the
/// driver. The "peer" is a script with a small receive buffer that never reads.
#[tokio::test]
async fn peer_that_stops_reading_is_dropped_by_the_send_hold_timer() {
    use bgp_wire::capability::Capability;
    use bgp_wire::message::Message;
    use bgp_wire::open::Open;
    use tokio::io::AsyncWriteExt;

    let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    sock.set_recv_buffer_size(4096).unwrap(); // inherited by the accepted socket
    sock.bind(&std::net::SocketAddr::new(IpAddr::V4(LO), 0).into()).unwrap();
    sock.listen(1).unwrap();
    sock.set_nonblocking(true).unwrap();
    let l = tokio::net::TcpListener::from_std(sock.into()).unwrap();
    let port = l.local_addr().unwrap().port();

    let (b, mut b_ev) = Speaker::new(SpeakerConfig { listen: None, event_capacity: 64 }).unwrap();
    let b_peer = b.add_peer(PeerConfig::new(session(65002, 2, port))).unwrap();

    let (mut stream, _) = l.accept().await.unwrap();
    let open = Open::new(
        Asn(65001),
        3,
        Ipv4Addr::new(10, 0, 0, 1),
        vec![Capability::Multiprotocol(Family::IPV4_UNICAST), Capability::FourOctetAs(Asn(65001))],
    );
    let mut hello = bytes::BytesMut::new();
    Message::Open(open).encode(&bgp_wire::Context::legacy(), &mut hello);
    Message::Keepalive.encode(&bgp_wire::Context::legacy(), &mut hello);
    stream.write_all(&hello).await.unwrap();
    let est = |k: &PeerEventKind| {
        matches!(k, PeerEventKind::Session(Event::Established(_))).then_some(())
    };
    until(&mut b_ev, est).await;
    // KEEPALIVEs every second keep B's HoldTimer happy; nothing is ever read.
    let keepalives = tokio::spawn(async move {
        let k = [&[0xff; 16][..], &[0x00, 0x13, 0x04]].concat();
        while stream.write_all(&k).await.is_ok() {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });

    // More than the socket buffers hold: the writes stop progressing.
    let routes: Vec<Nlri> = (0..1_500_000u32)
        .map(|i| Nlri::new(IpNet::V4(Ipv4Net::new(Ipv4Addr::from(0x0a00_0000 + i), 32).unwrap())))
        .collect();
    let attrs = vec![
        PathAttribute::new(Attribute::Origin(Origin::Igp)),
        PathAttribute::new(Attribute::AsPath(AsPath::from_sequence([65002]))),
    ];
    let announced = std::time::Instant::now();
    b_peer
        .with(move |s, now| {
            s.announce(now, Family::IPV4_UNICAST, &NextHop::Ipv4(NH), &routes, &attrs).unwrap()
        })
        .await
        .unwrap();
    let down = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            match b_ev.recv().await.expect("event channel open").kind {
                PeerEventKind::Session(Event::Down(d)) => return d,
                _ => continue,
            }
        }
    })
    .await
    .expect("dropped within 60 s");
    assert_eq!(
        (down.reason.clone(), down.initiator),
        (DownReason::SendHoldTimerExpired, Initiator::Library)
    );
    let n = down.notification.expect("NOTIFICATION attempted");
    assert_eq!((n.code, n.subcode), (bgp_wire::codes::ErrorCode::SEND_HOLD_TIMER_EXPIRED, 0));
    assert!(announced.elapsed() >= SEND_HOLD, "{:?}", announced.elapsed());
    keepalives.abort();
}
