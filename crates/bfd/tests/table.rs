//! Two systems, each with a session table, over a virtual link: demultiplexing, shared
//! sessions, reports to each client, removal.

use bfd::packet::ControlPacket;
use bfd::{ClientId, Config, ConfigError, Diagnostic, Discard, Discriminator, Event, Report};
use bfd::{SessionKey, Sessions, State};
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

const BGP: ClientId = ClientId(179);
const OSPF: ClientId = ClientId(89);

fn ip(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, last))
}

fn key(local: u8, peer: u8) -> SessionKey {
    SessionKey { local: ip(local), peer: ip(peer), interface: Some(2) }
}

fn config() -> Config {
    Config::new(Discriminator::new(1).expect("non-zero"))
}

/// Systems X (10.0.0.1) and Y (10.0.0.2); packets go from one to the other at once.
struct Net {
    x: Sessions,
    y: Sessions,
    start: Instant,
    now: Instant,
    reports_x: Vec<(Instant, Report)>,
    reports_y: Vec<(Instant, Report)>,
    discards: Vec<Discard>,
}

impl Net {
    fn new() -> Net {
        let start = Instant::now();
        Net {
            x: Sessions::new(8, 1),
            y: Sessions::new(8, 2),
            start,
            now: start,
            reports_x: Vec::new(),
            reports_y: Vec::new(),
            discards: Vec::new(),
        }
    }

    fn settle(&mut self) {
        loop {
            let mut moved = false;
            while let Some(t) = self.x.poll_transmit() {
                moved = true;
                // What Y sees: the key from its side.
                let k = SessionKey { local: t.key.peer, peer: t.key.local, ..t.key };
                if let Err(e) = self.y.handle_packet(self.now, &k, t.payload) {
                    self.discards.push(e);
                }
            }
            while let Some(t) = self.y.poll_transmit() {
                moved = true;
                let k = SessionKey { local: t.key.peer, peer: t.key.local, ..t.key };
                if let Err(e) = self.x.handle_packet(self.now, &k, t.payload) {
                    self.discards.push(e);
                }
            }
            while let Some(r) = self.x.poll_event() {
                self.reports_x.push((self.now, r));
            }
            while let Some(r) = self.y.poll_event() {
                self.reports_y.push((self.now, r));
            }
            if !moved {
                return;
            }
        }
    }

    fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        self.settle();
        loop {
            let next = self.x.poll_timeout().into_iter().chain(self.y.poll_timeout()).min();
            match next {
                Some(t) if t <= end => {
                    self.now = t;
                    self.x.handle_timeout(t);
                    self.y.handle_timeout(t);
                    self.settle();
                }
                _ => break,
            }
        }
        self.now = end;
    }
}

fn ups(reports: &[(Instant, Report)], client: ClientId) -> usize {
    reports.iter().filter(|(_, r)| r.client == client && r.event.is_up()).count()
}

#[test]
fn two_clients_share_one_session_and_both_hear_of_it() {
    let mut n = Net::new();
    let now = n.now;
    let id_bgp = n.x.add(now, key(1, 2), config(), BGP).expect("room");
    let id_ospf = n.x.add(now, key(1, 2), config(), OSPF).expect("room");
    assert_eq!(id_bgp, id_ospf, "one session per key");
    assert_eq!(n.x.len(), 1);
    assert_eq!(n.x.clients(id_bgp), &[BGP, OSPF]);
    let id_y = n.y.add(now, key(2, 1), config(), BGP).expect("room");
    n.run_for(Duration::from_secs(4));

    assert_eq!(n.x.session(id_bgp).map(|s| s.state()), Some(State::Up));
    assert_eq!(n.y.session(id_y).map(|s| s.state()), Some(State::Up));
    assert_eq!(ups(&n.reports_x, BGP), 1);
    assert_eq!(ups(&n.reports_x, OSPF), 1);
    assert_eq!(ups(&n.reports_y, BGP), 1);
    assert!(n.reports_x.iter().all(|(_, r)| r.key == key(1, 2) && r.session == id_bgp));
    // The discriminators the tables chose are what each side now sends as Your
    // Discriminator.
    let x = n.x.session(id_bgp).expect("session");
    let y = n.y.session(id_y).expect("session");
    assert_eq!(x.remote_discriminator(), Some(y.local_discriminator()));
    assert_eq!(y.remote_discriminator(), Some(x.local_discriminator()));
    assert!(n.discards.is_empty(), "{:?}", n.discards);

    // BGP lets go: the session stays for OSPF, nothing is reported.
    let before = n.reports_x.len();
    assert!(n.x.remove(n.now, &key(1, 2), BGP));
    n.run_for(Duration::from_secs(2));
    assert_eq!(n.reports_x.len(), before);
    assert_eq!(n.x.clients(id_bgp), &[OSPF]);

    // OSPF lets go: X says AdminDown, Y reports the neighbour went down administratively,
    // and X forgets the session after a while.
    let t = n.now;
    assert!(n.x.remove(t, &key(1, 2), OSPF));
    n.run_for(Duration::from_secs(6));
    let down: Vec<&Report> = n.reports_y.iter().filter(|(at, _)| *at > t).map(|(_, r)| r).collect();
    assert_eq!(down.len(), 1, "{down:?}");
    assert_eq!(
        down[0].event,
        Event::StateChanged {
            from: State::Up,
            to: State::Down,
            diag: Diagnostic::NEIGHBOR_SIGNALED_SESSION_DOWN,
            remote_diag: Diagnostic::ADMINISTRATIVELY_DOWN,
        }
    );
    assert!(n.x.is_empty());
    assert_eq!(n.x.id(&key(1, 2)), None);
    // Y keeps sending Down: X discarded that while AdminDown, and has no session for it now.
    assert!(n.discards.iter().all(|d| matches!(d, Discard::AdminDown | Discard::NoSession)));
    assert_eq!(n.discards.last(), Some(&Discard::NoSession));
}

#[test]
fn demultiplexing_by_discriminator_and_by_key() {
    let mut n = Net::new();
    let now = n.now;
    // Two sessions on X: to Y's two addresses.
    let to_2 = n.x.add(now, key(1, 2), config(), BGP).expect("room");
    let to_3 = n.x.add(now, key(1, 3), config(), BGP).expect("room");
    assert_ne!(to_2, to_3);
    // Y has a session only for 10.0.0.2.
    n.y.add(now, key(2, 1), config(), BGP).expect("room");
    n.run_for(Duration::from_secs(4));
    assert_eq!(n.x.session(to_2).map(|s| s.state()), Some(State::Up));
    assert_eq!(n.x.session(to_3).map(|s| s.state()), Some(State::Down));

    // A Down packet with Your Discriminator zero from 10.0.0.3 finds its session by key.
    let hello = ControlPacket::decode(bytes::Bytes::from_static(&[
        0x20, 0x40, 0x03, 0x18, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0x0f, 0x42, 0x40, 0, 0x04, 0x93, 0xe0,
        0, 0, 0, 0,
    ]))
    .expect("valid");
    let t = n.now;
    assert_eq!(n.x.handle_packet(t, &key(1, 3), hello.to_bytes()), Ok(to_3));
    assert_eq!(n.x.session(to_3).map(|s| s.state()), Some(State::Init));
    // From an address nobody asked for: no session.
    assert_eq!(n.x.handle_packet(t, &key(1, 4), hello.to_bytes()), Err(Discard::NoSession));

    // A packet naming session to_2 by discriminator, but arriving from 10.0.0.3: refused.
    let mut p = hello.clone();
    p.your_discriminator = Some(to_2.0);
    p.state = State::Up;
    assert_eq!(n.x.handle_packet(t, &key(1, 3), p.to_bytes()), Err(Discard::NoSession));
    // An unknown discriminator: refused.
    p.your_discriminator = Discriminator::new(to_2.0.get() ^ to_3.0.get());
    assert_eq!(n.x.handle_packet(t, &key(1, 2), p.to_bytes()), Err(Discard::NoSession));
    // Garbage: refused by the codec.
    assert!(matches!(
        n.x.handle_packet(t, &key(1, 2), bytes::Bytes::from_static(b"hello")),
        Err(Discard::Decode(_))
    ));
    assert_eq!(n.x.session(to_2).map(|s| s.state()), Some(State::Up));
}

#[test]
fn limit_is_kept() {
    let mut t = Sessions::new(2, 7);
    let now = Instant::now();
    t.add(now, key(1, 2), config(), BGP).expect("room");
    t.add(now, key(1, 3), config(), BGP).expect("room");
    // The same key again is a subscription, not a new session.
    t.add(now, key(1, 3), config(), OSPF).expect("shared");
    assert_eq!(t.add(now, key(1, 4), config(), BGP), Err(ConfigError::TableFull { limit: 2 }));
    assert_eq!(t.len(), 2);
}

#[test]
fn readding_a_retiring_session_brings_it_back() {
    let mut n = Net::new();
    let now = n.now;
    let id = n.x.add(now, key(1, 2), config(), BGP).expect("room");
    n.y.add(now, key(2, 1), config(), BGP).expect("room");
    n.run_for(Duration::from_secs(4));
    n.x.remove(n.now, &key(1, 2), BGP);
    n.run_for(Duration::from_millis(500));
    assert_eq!(n.x.session(id).map(|s| s.state()), Some(State::AdminDown));
    let again = n.x.add(n.now, key(1, 2), config(), OSPF).expect("room");
    assert_eq!(again, id);
    n.run_for(Duration::from_secs(8));
    assert_eq!(n.x.session(id).map(|s| s.state()), Some(State::Up));
    assert_eq!(n.x.clients(id), &[OSPF]);
    let _ = n.start;
}
