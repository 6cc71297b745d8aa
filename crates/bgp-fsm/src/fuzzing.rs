//! Entry points for fuzz targets (`fuzz/` drives them with arbitrary bytes).
//!
//! [`established_session`] builds a session that has completed a valid OPEN exchange with a
//! scripted peer; [`run`] then feeds it arbitrary bytes as if they came from that peer, in
//! chunks of one buffer whose size the first input byte chooses (so framing across reads is
//! exercised, both the messages cut out of a read and those completed from the next),
//! advances time past every timer, and drains every output. It returns what happened so a
//! target can check invariants: no panic, at most one NOTIFICATION, and a connection that is
//! closed after one.
//!
//! ```
//! let outcome = bgp_fsm::fuzzing::run(std::time::Instant::now(), &[0x03, 0xff, 0x00]);
//! assert!(outcome.notifications <= 1);
//! ```

use bgp_wire::capability::Capability;
use bgp_wire::message::Message;
use bgp_wire::open::Open;
use bgp_wire::{Asn, Context, Family};
use bytes::{Bytes, BytesMut};
use core::time::Duration;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Instant;

use crate::config::{Config, Neighbor, PeerAs};
use crate::fsm_event::State;
use crate::output::{Action, ConnId, Event};
use crate::session::Session;

/// The connection id the scripted peer uses.
pub const CONN: ConnId = ConnId(1);

/// What [`run`] observed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// State at the end.
    pub state: Option<State>,
    /// NOTIFICATIONs the session sent.
    pub notifications: usize,
    /// Whether the session closed the connection.
    pub closed: bool,
    /// Events reported.
    pub events: usize,
    /// UPDATEs surfaced.
    pub updates: usize,
}

fn config() -> Config {
    let mut c = Config::new(
        Asn(65001),
        Ipv4Addr::new(10, 0, 0, 1),
        PeerAs::External,
        Neighbor::Address { addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), scope: None },
    );
    c.families = vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST];
    c.extended_next_hop = vec![Family::IPV4_UNICAST];
    c.extended_message = true;
    c.hold_time = 9;
    c
}

/// A session Established with a scripted peer on [`CONN`] at `now`, outputs drained. The peer
/// (AS 65002, 10.0.0.2) offered IPv4 and IPv6 unicast, 4-octet AS, route refresh, extended
/// message and extended next hop for IPv4.
pub fn established_session(now: Instant) -> Option<Session> {
    let mut s = Session::new(config()).ok()?;
    s.start(now);
    s.handle_connected(now, CONN, SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 40000));
    let peer = Open::new(
        Asn(65002),
        9,
        Ipv4Addr::new(10, 0, 0, 2),
        vec![
            Capability::Multiprotocol(Family::IPV4_UNICAST),
            Capability::Multiprotocol(Family::IPV6_UNICAST),
            Capability::FourOctetAs(Asn(65002)),
            Capability::RouteRefresh,
            Capability::ExtendedMessage,
            Capability::ExtendedNextHop(vec![bgp_wire::capability::ExtendedNextHop {
                family: Family::IPV4_UNICAST,
                next_hop_afi: bgp_wire::Afi::IPV6,
            }]),
        ],
    );
    let mut b = BytesMut::new();
    Message::Open(peer).encode(&Context::legacy(), &mut b);
    Message::Keepalive.encode(&Context::legacy(), &mut b);
    s.handle_data(now, CONN, b.freeze());
    drain(&mut s, now, &mut Outcome::default());
    (s.state() == State::Established).then_some(s)
}

/// Drains every output; what is sent counts as written at once.
fn drain(s: &mut Session, now: Instant, o: &mut Outcome) {
    while let Some(t) = s.poll_transmit() {
        if t.bytes.get(18) == Some(&3) {
            o.notifications += 1;
        }
        s.handle_write_progress(now, t.conn, 0);
    }
    while let Some(a) = s.poll_action() {
        if a == (Action::Close { conn: CONN }) {
            o.closed = true;
        }
    }
    while let Some(e) = s.poll_event() {
        o.events += 1;
        if matches!(e, Event::Update(_)) {
            o.updates += 1;
        }
    }
}

/// Feeds `data` to an Established session and drains everything; see the module docs.
pub fn run(now: Instant, data: &[u8]) -> Outcome {
    let mut o = Outcome::default();
    let Some(mut s) = established_session(now) else {
        return o;
    };
    let (chunk, body) = match data.split_first() {
        Some((c, rest)) => (usize::from(*c % 64) + 1, rest),
        None => (1, data),
    };
    let body = Bytes::copy_from_slice(body);
    for at in (0..body.len()).step_by(chunk) {
        s.handle_data(now, CONN, body.slice(at..body.len().min(at + chunk)));
        drain(&mut s, now, &mut o);
    }
    // Let every timer run once or twice: keepalives, hold expiry, the restart.
    let mut t = now;
    for _ in 0..8 {
        match s.poll_timeout() {
            Some(d) => t = t.max(d),
            None => t += Duration::from_secs(1),
        }
        s.handle_timeout(t);
        drain(&mut s, t, &mut o);
    }
    o.state = Some(s.state());
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_gets_one_notification_and_a_close() {
        let o = run(Instant::now(), &[0x00, 0x01, 0x02, 0x03]);
        // A bad marker: one NOTIFICATION (1/1), connection closed; later timers send none.
        assert_eq!(o.notifications, 1);
        assert!(o.closed);
    }

    #[test]
    fn keepalives_keep_it_up_until_the_hold_timer() {
        let mut k = vec![0x05];
        k.extend_from_slice(&[0xff; 16]);
        k.extend_from_slice(&[0x00, 0x13, 0x04]);
        let o = run(Instant::now(), &k);
        // Nothing more arrives, so the hold timer (9 s) ends it with 4/0.
        assert_eq!(o.notifications, 1);
        assert!(o.closed);
        assert_ne!(o.state, Some(State::Established));
    }

    /// Mutated valid messages, thousands of them: no panic, never more than one NOTIFICATION,
    /// and a NOTIFICATION always comes with a close.
    #[test]
    fn mutated_messages_keep_the_invariants() {
        let seeds: [&[u8]; 5] = [
            &[0xff; 16],
            // UPDATE: ORIGIN, AS_PATH, NEXT_HOP, one /24.
            &[
                0x00, 0x33, 0x02, 0x00, 0x00, 0x00, 0x14, 0x40, 0x01, 0x01, 0x00, 0x40, 0x02, 0x06,
                0x02, 0x01, 0x00, 0x00, 0xfd, 0xea, 0x40, 0x03, 0x04, 0x0a, 0x00, 0x00, 0x02, 0x18,
                0x0a, 0xf4, 0x01,
            ],
            // ROUTE-REFRESH IPv4 unicast.
            &[0x00, 0x17, 0x05, 0x00, 0x01, 0x00, 0x01],
            // NOTIFICATION Cease/2 with a communication.
            &[0x00, 0x18, 0x03, 0x06, 0x02, 0x02, 0x68, 0x69],
            // MP_UNREACH IPv6 unicast, one /64.
            &[
                0x00, 0x24, 0x02, 0x00, 0x00, 0x00, 0x0d, 0x80, 0x0f, 0x0a, 0x00, 0x02, 0x01, 0x40,
                0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
            ],
        ];
        let mut rng = crate::rng::SplitMix64::new(99);
        let now = Instant::now();
        let mut notified = 0;
        for i in 0..3000 {
            let mut data = vec![(rng.next_u64() % 256) as u8];
            for _ in 0..1 + rng.next_u64() % 3 {
                let seed = seeds[(rng.next_u64() % seeds.len() as u64) as usize];
                let mut m = vec![0xff; 16];
                m.extend_from_slice(if seed.len() == 16 { &[0x00, 0x13, 0x04] } else { seed });
                for _ in 0..rng.next_u64() % 4 {
                    let at = (rng.next_u64() % m.len() as u64) as usize;
                    m[at] = (rng.next_u64() % 256) as u8;
                }
                if i % 7 == 0 {
                    m.truncate((rng.next_u64() % m.len() as u64) as usize);
                }
                data.extend_from_slice(&m);
            }
            let o = run(now, &data);
            assert!(o.notifications <= 1, "{data:02x?} {o:?}");
            assert!(o.notifications == 0 || o.closed, "{data:02x?} {o:?}");
            notified += o.notifications;
        }
        // The mutations do hit errors (and not only errors).
        assert!(notified > 300 && notified < 3000, "{notified}");
    }

    #[test]
    fn established_session_is_established() {
        assert!(established_session(Instant::now()).is_some());
    }
}
