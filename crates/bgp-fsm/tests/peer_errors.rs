//! One session against a scripted peer: every OPEN error, FSM errors, RFC 7606 outcomes.

use bgp_fsm::{
    Action, Config, ConnId, DownReason, Event, FsmEvent, Initiator, Neighbor, PeerAs, Session,
    State,
};
use bgp_wire::capability::{Capability, CapabilityCode};
use bgp_wire::codes::{fsm, header, open, update, ErrorCode};
use bgp_wire::message::Message;
use bgp_wire::notification::Notification;
use bgp_wire::open::Open;
use bgp_wire::{Action as Rfc7606, Asn, Context, Family};
use bytes::{Bytes, BytesMut};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

const OURS: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
const PEER: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
const CONN: ConnId = ConnId(7);

fn config(peer_as: PeerAs) -> Config {
    let mut c = Config::new(
        Asn(65001),
        OURS,
        peer_as,
        Neighbor::Address { addr: IpAddr::V4(PEER), scope: None },
    );
    c.families = vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST];
    c
}

struct Raw {
    s: Session,
    now: Instant,
    transmits: Vec<Bytes>,
    actions: Vec<Action>,
    events: Vec<Event>,
}

impl Raw {
    /// Started, connected, our OPEN sent: OpenSent.
    fn open_sent(cfg: Config) -> Raw {
        let now = Instant::now();
        let mut r = Raw {
            s: Session::new(cfg).unwrap(),
            now,
            transmits: vec![],
            actions: vec![],
            events: vec![],
        };
        r.s.start(now);
        r.drain();
        assert!(matches!(r.actions.as_slice(), [Action::Connect { .. }]));
        r.s.handle_connected(now, CONN, SocketAddr::new(OURS.into(), 40000));
        r.drain();
        assert_eq!(r.transmits.len(), 1);
        assert_eq!(r.transmits[0][18], 1, "our OPEN");
        assert_eq!(r.s.state(), State::OpenSent);
        r.clear();
        r
    }

    fn established(cfg: Config) -> Raw {
        let mut r = Raw::open_sent(cfg);
        r.feed(&open_msg(Open::new(Asn(65002), 90, PEER, peer_caps())));
        r.feed(&keepalive());
        assert_eq!(r.s.state(), State::Established);
        r.clear();
        r
    }

    fn clear(&mut self) {
        self.transmits.clear();
        self.actions.clear();
        self.events.clear();
    }

    /// Drains every output; what is sent counts as written at once.
    fn drain(&mut self) {
        while let Some(t) = self.s.poll_transmit() {
            assert_eq!(t.conn, CONN);
            self.transmits.push(t.bytes);
            self.s.handle_write_progress(self.now, CONN, 0);
        }
        while let Some(a) = self.s.poll_action() {
            self.actions.push(a);
        }
        while let Some(e) = self.s.poll_event() {
            self.events.push(e);
        }
    }

    fn feed(&mut self, b: &[u8]) {
        self.s.handle_bytes(self.now, CONN, b);
        self.drain();
    }

    /// The only NOTIFICATION sent, after which the connection was closed.
    fn notification(&self) -> Notification {
        let n: Vec<Notification> = self
            .transmits
            .iter()
            .filter_map(|b| match Message::decode(b.clone(), &Context::modern()) {
                Ok(Message::Notification(n)) => Some(n),
                _ => None,
            })
            .collect();
        assert_eq!(n.len(), 1, "{:?}", self.transmits);
        assert!(self.actions.contains(&Action::Close { conn: CONN }));
        n[0].clone()
    }

    fn down(&self) -> bgp_fsm::Down {
        self.events
            .iter()
            .find_map(|e| match e {
                Event::Down(d) => Some(d.clone()),
                _ => None,
            })
            .expect("a Down event")
    }
}

fn peer_caps() -> Vec<Capability> {
    vec![
        Capability::Multiprotocol(Family::IPV4_UNICAST),
        Capability::Multiprotocol(Family::IPV6_UNICAST),
        Capability::RouteRefresh,
        Capability::FourOctetAs(Asn(65002)),
    ]
}

fn open_msg(o: Open) -> Vec<u8> {
    let mut b = BytesMut::new();
    o.encode(&Context::legacy(), &mut b);
    b.to_vec()
}

fn keepalive() -> Vec<u8> {
    let mut v = vec![0xff; 16];
    v.extend_from_slice(&[0x00, 0x13, 0x04]);
    v
}

fn update(withdrawn: &[u8], attrs: &[u8], nlri: &[u8]) -> Vec<u8> {
    let len = 19 + 2 + withdrawn.len() + 2 + attrs.len() + nlri.len();
    let mut v = vec![0xff; 16];
    v.extend_from_slice(&(len as u16).to_be_bytes());
    v.push(2);
    v.extend_from_slice(&(withdrawn.len() as u16).to_be_bytes());
    v.extend_from_slice(withdrawn);
    v.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
    v.extend_from_slice(attrs);
    v.extend_from_slice(nlri);
    v
}

fn open_error(cfg: Config, open: Vec<u8>) -> (Notification, bgp_fsm::Down) {
    let mut r = Raw::open_sent(cfg);
    r.feed(&open);
    assert_eq!(r.s.state(), State::Idle);
    let n = r.notification();
    let d = r.down();
    assert_eq!(d.initiator, Initiator::Library);
    assert_eq!(d.notification.as_ref(), Some(&n));
    (n, d)
}

#[test]
fn bad_version_gets_2_1_with_our_version() {
    let mut o = open_msg(Open::new(Asn(65002), 90, PEER, peer_caps()));
    o[19] = 3;
    let (n, d) = open_error(config(PeerAs::External), o);
    assert_eq!((n.code, n.subcode), (ErrorCode::OPEN_MESSAGE, open::UNSUPPORTED_VERSION_NUMBER));
    assert_eq!(&n.data[..], &[0x00, 0x04]);
    assert!(matches!(d.reason, DownReason::MessageError(_)));
}

#[test]
fn bad_peer_as_gets_2_2() {
    let wrong =
        |asn: u32| open_msg(Open::new(Asn(asn), 90, PEER, vec![Capability::FourOctetAs(Asn(asn))]));
    for (cfg, asn) in [
        (PeerAs::Number(Asn(65002)), 65003),
        (PeerAs::External, 65001),
        (PeerAs::Internal, 65002),
        (PeerAs::External, 0),
        // A 4-octet AS that the 2-octet field cannot carry, from a peer without the capability.
        (PeerAs::Number(Asn(4_200_000_000)), 23456),
    ] {
        let o =
            if asn == 23456 { open_msg(Open::new(Asn(asn), 90, PEER, vec![])) } else { wrong(asn) };
        let (n, d) = open_error(config(cfg), o);
        assert_eq!((n.code, n.subcode), (ErrorCode::OPEN_MESSAGE, open::BAD_PEER_AS), "{cfg:?}");
        assert_eq!(d.reason, DownReason::OpenRejected);
    }
}

#[test]
fn bad_hold_time_gets_2_6() {
    for hold in [1, 2] {
        let o = open_msg(Open::new(Asn(65002), hold, PEER, peer_caps()));
        let (n, _) = open_error(config(PeerAs::External), o);
        assert_eq!((n.code, n.subcode), (ErrorCode::OPEN_MESSAGE, open::UNACCEPTABLE_HOLD_TIME));
    }
    // 0 and 3 are fine.
    for hold in [0, 3] {
        let mut r = Raw::open_sent(config(PeerAs::External));
        r.feed(&open_msg(Open::new(Asn(65002), hold, PEER, peer_caps())));
        assert_eq!(r.s.state(), State::OpenConfirm, "hold {hold}");
    }
}

#[test]
fn bad_bgp_identifier_gets_2_3() {
    let o = open_msg(Open::new(Asn(65002), 90, Ipv4Addr::UNSPECIFIED, peer_caps()));
    let (n, _) = open_error(config(PeerAs::External), o);
    assert_eq!((n.code, n.subcode), (ErrorCode::OPEN_MESSAGE, open::BAD_BGP_IDENTIFIER));
    // iBGP with our own identifier.
    let o = open_msg(Open::new(Asn(65001), 90, OURS, vec![Capability::FourOctetAs(Asn(65001))]));
    let (n, d) = open_error(config(PeerAs::Internal), o);
    assert_eq!((n.code, n.subcode), (ErrorCode::OPEN_MESSAGE, open::BAD_BGP_IDENTIFIER));
    assert_eq!(d.reason, DownReason::OpenRejected);
    // eBGP with our identifier is allowed (RFC 6286 §2.2).
    let mut r = Raw::open_sent(config(PeerAs::External));
    r.feed(&open_msg(Open::new(Asn(65002), 90, OURS, peer_caps())));
    assert_eq!(r.s.state(), State::OpenConfirm);
}

#[test]
fn unsupported_optional_parameter_gets_2_4() {
    // Optional parameter type 1 (deprecated Authentication), 2 octets of value.
    let mut o = open_msg(Open::new(Asn(65002), 90, PEER, vec![]));
    o[28] = 4;
    o.extend_from_slice(&[0x01, 0x02, 0xab, 0xcd]);
    let len = o.len() as u16;
    o[16..18].copy_from_slice(&len.to_be_bytes());
    let (n, _) = open_error(config(PeerAs::External), o);
    assert_eq!(
        (n.code, n.subcode),
        (ErrorCode::OPEN_MESSAGE, open::UNSUPPORTED_OPTIONAL_PARAMETER)
    );
}

#[test]
fn unknown_and_malformed_capabilities_are_not_errors() {
    let mut caps = peer_caps();
    caps.push(Capability::Unknown {
        code: CapabilityCode(200),
        value: Bytes::from_static(&[1, 2, 3]),
    });
    // A Graceful Restart capability too short to parse is kept as malformed, not fatal.
    caps.push(Capability::decode(CapabilityCode::GRACEFUL_RESTART.0, Bytes::from_static(&[0x01])));
    let mut r = Raw::open_sent(config(PeerAs::External));
    r.feed(&open_msg(Open::new(Asn(65002), 90, PEER, caps)));
    r.feed(&keepalive());
    assert_eq!(r.s.state(), State::Established);
    let n = r.s.negotiated().unwrap();
    assert!(n.peer_capabilities.iter().any(|c| c.code() == CapabilityCode(200)));
    assert!(r.transmits.iter().all(|b| b[18] != 3), "no NOTIFICATION");
}

#[test]
fn peer_notification_in_opensent() {
    let mut r = Raw::open_sent(config(PeerAs::External));
    let mut b = BytesMut::new();
    Message::Notification(Notification::new(
        ErrorCode::OPEN_MESSAGE,
        1,
        Bytes::from_static(&[0, 4]),
    ))
    .encode(&Context::legacy(), &mut b);
    r.feed(&b);
    assert_eq!(r.s.last_fsm_event(), Some(FsmEvent::NotifMsgVerErr));
    let d = r.down();
    assert_eq!((d.reason, d.initiator), (DownReason::NotificationReceived, Initiator::Remote));
    assert!(r.transmits.is_empty(), "no NOTIFICATION answers a NOTIFICATION");
    assert_eq!(r.s.state(), State::Idle);
}

#[test]
fn unexpected_messages_get_fsm_errors() {
    // KEEPALIVE in OpenSent.
    let mut r = Raw::open_sent(config(PeerAs::External));
    r.feed(&keepalive());
    let n = r.notification();
    assert_eq!((n.code, n.subcode), (ErrorCode::FSM, fsm::UNEXPECTED_IN_OPENSENT));
    // UPDATE in OpenConfirm.
    let mut r = Raw::open_sent(config(PeerAs::External));
    r.feed(&open_msg(Open::new(Asn(65002), 90, PEER, peer_caps())));
    r.clear();
    r.feed(&update(&[], &[], &[]));
    let n = r.notification();
    assert_eq!((n.code, n.subcode), (ErrorCode::FSM, fsm::UNEXPECTED_IN_OPENCONFIRM));
    // OPEN in Established.
    let mut r = Raw::established(config(PeerAs::External));
    r.feed(&open_msg(Open::new(Asn(65002), 90, PEER, peer_caps())));
    let n = r.notification();
    assert_eq!((n.code, n.subcode), (ErrorCode::FSM, fsm::UNEXPECTED_IN_ESTABLISHED));
    assert_eq!(r.down().reason, DownReason::UnexpectedMessage(bgp_wire::MessageType::OPEN));
}

#[test]
fn header_errors_get_1_x() {
    let mut r = Raw::established(config(PeerAs::External));
    let mut k = keepalive();
    k[0] = 0;
    r.feed(&k);
    let n = r.notification();
    assert_eq!(
        (n.code, n.subcode),
        (ErrorCode::MESSAGE_HEADER, header::CONNECTION_NOT_SYNCHRONIZED)
    );
    assert_eq!(r.s.last_fsm_event(), Some(FsmEvent::BgpHeaderErr));
    // A message split across reads is framed once whole.
    let mut r = Raw::established(config(PeerAs::External));
    let k = keepalive();
    r.feed(&k[..5]);
    r.feed(&k[5..]);
    assert!(r.transmits.is_empty());
    assert_eq!(r.s.last_fsm_event(), Some(FsmEvent::KeepAliveMsg));
}

/// ORIGIN IGP, AS_PATH [65002] (4-octet), NEXT_HOP 10.0.0.2.
const GOOD_ATTRS: [u8; 20] = [
    0x40, 0x01, 0x01, 0x00, //
    0x40, 0x02, 0x06, 0x02, 0x01, 0x00, 0x00, 0xfd, 0xea, //
    0x40, 0x03, 0x04, 0x0a, 0x00, 0x00, 0x02,
];
/// 10.244.1.0/24.
const NLRI: [u8; 4] = [0x18, 0x0a, 0xf4, 0x01];

fn received(r: &Raw) -> Vec<bgp_fsm::Received> {
    r.events
        .iter()
        .filter_map(|e| match e {
            Event::Update(u) => Some((**u).clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn update_is_surfaced_and_restarts_the_hold_timer() {
    let mut r = Raw::established(config(PeerAs::External));
    let before = r.s.timer(bgp_fsm::Timer::Hold).unwrap();
    r.now += Duration::from_secs(10);
    r.feed(&update(&[], &GOOD_ATTRS, &NLRI));
    let got = received(&r);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].announced().count(), 1);
    assert!(!got[0].is_treat_as_withdraw());
    assert_eq!(r.s.timer(bgp_fsm::Timer::Hold).unwrap(), before + Duration::from_secs(10));
}

#[test]
fn rfc7606_treat_as_withdraw() {
    let mut r = Raw::established(config(PeerAs::External));
    let mut attrs = GOOD_ATTRS;
    attrs[3] = 5; // ORIGIN 5: RFC 7606 §7.1 treat-as-withdraw.
    r.feed(&update(&[], &attrs, &NLRI));
    let got = received(&r);
    assert_eq!(got.len(), 1);
    assert!(got[0].is_treat_as_withdraw());
    assert!(got[0].announced().next().is_none());
    assert_eq!(got[0].withdrawn().count(), 1);
    assert_eq!(got[0].issues()[0].action, Rfc7606::TreatAsWithdraw);
    assert_eq!(r.s.state(), State::Established);
    assert!(r.transmits.is_empty());
}

#[test]
fn rfc7606_attribute_discard() {
    let mut r = Raw::established(config(PeerAs::External));
    let mut attrs = GOOD_ATTRS.to_vec();
    attrs.extend_from_slice(&[0x40, 0x06, 0x01, 0x00]); // ATOMIC_AGGREGATE of length 1.
    r.feed(&update(&[], &attrs, &NLRI));
    let got = received(&r);
    assert_eq!(got[0].announced().count(), 1);
    assert_eq!(got[0].issues()[0].action, Rfc7606::AttributeDiscard);
    assert!(got[0].owned_attributes().iter().all(|a| a.type_code().0 != 6));
    assert!(got[0].owned_attributes().iter().any(|a| a.type_code().0 == 1));
    assert_eq!(r.s.state(), State::Established);
}

#[test]
fn rfc7606_session_reset() {
    let mut r = Raw::established(config(PeerAs::External));
    // Withdrawn Routes Length runs past the message: Malformed Attribute List (3/1).
    let mut u = update(&[], &[], &[]);
    u[19..21].copy_from_slice(&[0x00, 0x10]);
    r.feed(&u);
    let n = r.notification();
    assert_eq!((n.code, n.subcode), (ErrorCode::UPDATE_MESSAGE, update::MALFORMED_ATTRIBUTE_LIST));
    let d = r.down();
    assert!(matches!(d.reason, DownReason::UpdateError(_)));
    assert_eq!(r.s.last_fsm_event(), Some(FsmEvent::UpdateMsgErr));
    assert_eq!(r.s.state(), State::Idle);
}

#[test]
fn rfc7606_afi_safi_disable() {
    let mut r = Raw::established(config(PeerAs::External));
    // MP_UNREACH_NLRI for IPv6 unicast with a prefix length of 129.
    r.feed(&update(&[], &[0x80, 0x0f, 0x04, 0x00, 0x02, 0x01, 0x81], &[]));
    assert!(r.events.contains(&Event::FamilyDisabled(Family::IPV6_UNICAST)));
    assert_eq!(r.s.state(), State::Established);
    assert!(!r.s.negotiated().unwrap().has_family(Family::IPV6_UNICAST));
    assert!(r.s.negotiated().unwrap().has_family(Family::IPV4_UNICAST));
    assert!(r.transmits.is_empty());
}

#[test]
fn route_refresh_for_an_unnegotiated_family_is_ignored() {
    let mut r = Raw::established(config(PeerAs::External));
    let mut b = BytesMut::new();
    Message::RouteRefresh(bgp_wire::route_refresh::RouteRefresh::new(Family::new(
        bgp_wire::Afi::L2VPN,
        bgp_wire::Safi::EVPN,
    )))
    .encode(&Context::modern(), &mut b);
    r.feed(&b);
    assert!(r.events.is_empty());
    let mut b = BytesMut::new();
    Message::RouteRefresh(bgp_wire::route_refresh::RouteRefresh::new(Family::IPV6_UNICAST))
        .encode(&Context::modern(), &mut b);
    r.feed(&b);
    assert!(
        matches!(r.events.as_slice(), [Event::RouteRefresh(rr)] if rr.family == Family::IPV6_UNICAST)
    );
}

#[test]
fn hold_time_below_the_local_minimum_gets_2_6() {
    let mut cfg = config(PeerAs::External);
    cfg.min_hold_time = Some(9);
    for offered in [0u16, 3, 8] {
        let (n, d) =
            open_error(cfg.clone(), open_msg(Open::new(Asn(65002), offered, PEER, peer_caps())));
        assert_eq!(
            (n.code, n.subcode),
            (ErrorCode::OPEN_MESSAGE, open::UNACCEPTABLE_HOLD_TIME),
            "hold time {offered}"
        );
        assert_eq!(d.reason, DownReason::OpenRejected);
    }
    // At the minimum and above, the session comes up.
    for offered in [9u16, 90] {
        let mut r = Raw::open_sent(cfg.clone());
        r.feed(&open_msg(Open::new(Asn(65002), offered, PEER, peer_caps())));
        assert_eq!(r.s.state(), State::OpenConfirm, "hold time {offered}");
    }
}

/// ORIGIN IGP, an AS_SEQUENCE of `path` (4-octet), NEXT_HOP 10.0.0.2.
fn origin_path_next_hop(path: &[u32]) -> Vec<u8> {
    let mut a = vec![0x40, 0x01, 0x01, 0x00, 0x40, 0x02];
    if path.is_empty() {
        a.push(0);
    } else {
        a.extend_from_slice(&[(2 + 4 * path.len()) as u8, 0x02, path.len() as u8]);
        path.iter().for_each(|x| a.extend_from_slice(&x.to_be_bytes()));
    }
    a.extend_from_slice(&[0x40, 0x03, 0x04, 10, 0, 0, 2]);
    a
}

/// RFC 4271 §6.3 on the AS_PATH of an external peer, with RFC 7606 §7.2's treat-as-withdraw:
/// an empty path, or (unless turned off) a path that does not start with the peer's AS,
/// withdraws the UPDATE's routes and keeps the session. From an internal peer an empty path
/// is the usual case.
#[test]
fn external_paths_must_start_with_the_peers_as() {
    let announced = |cfg: Config, path: &[u32]| {
        let mut r = Raw::established(cfg);
        r.feed(&update(&[], &origin_path_next_hop(path), &[24, 198, 51, 100]));
        assert_eq!(r.s.state(), State::Established);
        let u = updates(&r.events);
        assert_eq!(u.len(), 1, "{:?}", r.events);
        (u[0].announced().count(), u[0].withdrawn().count(), u[0].is_treat_as_withdraw())
    };
    let ext = config(PeerAs::External);
    assert_eq!(announced(ext.clone(), &[65002, 65010]), (1, 0, false));
    assert_eq!(announced(ext.clone(), &[]), (0, 1, true), "empty from eBGP");
    assert_eq!(announced(ext.clone(), &[65010, 65002]), (0, 1, true), "leftmost not the peer");
    let mut rs = ext;
    rs.enforce_first_as = false;
    assert_eq!(announced(rs.clone(), &[65010, 65002]), (1, 0, false), "a route server's");
    assert_eq!(announced(rs, &[]), (0, 1, true), "still not empty");
}

/// RFC 7606 §7.5: a LOCAL_PREF of the wrong length is discarded from an external peer (it
/// would be ignored anyway), where from an internal one it withdraws the routes.
#[test]
fn local_pref_of_the_wrong_length_is_discarded_from_external_peers() {
    let mut attrs = origin_path_next_hop(&[65002]);
    attrs.extend_from_slice(&[0x40, 0x05, 0x03, 0, 0, 1]);
    let mut r = Raw::established(config(PeerAs::External));
    r.feed(&update(&[], &attrs, &[24, 198, 51, 100]));
    let u = updates(&r.events);
    assert_eq!(u.len(), 1, "{:?}", r.events);
    assert_eq!((u[0].announced().count(), u[0].is_treat_as_withdraw()), (1, false));
    assert_eq!(u[0].update().attributes().local_pref(), None, "discarded");
}

fn updates(events: &[Event]) -> Vec<bgp_fsm::Received> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Update(r) => Some((**r).clone()),
            _ => None,
        })
        .collect()
}

/// "AFI/SAFI disable" for a malformed MP_UNREACH_NLRI does not lose the classic IPv4
/// withdrawals and NLRI of the same UPDATE: they are well-formed and reported.
#[test]
fn afi_safi_disable_keeps_the_classic_routes_of_the_update() {
    let mut r = Raw::established(config(PeerAs::External));
    // ORIGIN IGP, AS_PATH 65002, NEXT_HOP 10.0.0.2, then the malformed MP_UNREACH_NLRI.
    let mut attrs = origin_path_next_hop(&[65002]);
    attrs.extend_from_slice(&[0x80, 0x0f, 0x04, 0x00, 0x02, 0x01, 0x81]);
    // Withdrawn 192.0.2.0/24; NLRI 198.51.100.0/24.
    r.feed(&update(&[24, 192, 0, 2], &attrs, &[24, 198, 51, 100]));
    assert!(r.events.contains(&Event::FamilyDisabled(Family::IPV6_UNICAST)));
    assert_eq!(r.s.state(), State::Established);
    let u = updates(&r.events);
    assert_eq!(u.len(), 1, "{:?}", r.events);
    let w: Vec<_> = u[0].withdrawn().map(|(f, n)| (f, n.prefix.to_string())).collect();
    assert_eq!(w, vec![(Family::IPV4_UNICAST, "192.0.2.0/24".to_string())]);
    let a: Vec<_> = u[0].announced().map(|(f, n)| (f, n.prefix.to_string())).collect();
    assert_eq!(a, vec![(Family::IPV4_UNICAST, "198.51.100.0/24".to_string())]);
}

/// Routes of a family that was not negotiated (or was disabled) are not reported to the
/// application: they are dropped and counted.
#[test]
fn routes_of_families_not_negotiated_are_dropped_and_counted() {
    let mut cfg = config(PeerAs::External);
    cfg.families = vec![Family::IPV4_UNICAST];
    let mut r = Raw::established(cfg);
    assert!(!r.s.negotiated().unwrap().has_family(Family::IPV6_UNICAST));
    // MP_REACH_NLRI for IPv6 unicast (next hop 2001:db8::2, 2001:db8:1::/48 and
    // 2001:db8:2::/48) beside a classic IPv4 route.
    let mut mp = vec![0x00, 0x02, 0x01, 16];
    mp.extend_from_slice(&"2001:db8::2".parse::<std::net::Ipv6Addr>().unwrap().octets());
    mp.push(0);
    mp.extend_from_slice(&[48, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01]);
    mp.extend_from_slice(&[48, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02]);
    let mut attrs = origin_path_next_hop(&[65002]);
    attrs.extend_from_slice(&[0x80, 0x0e, mp.len() as u8]);
    attrs.extend_from_slice(&mp);
    r.feed(&update(&[], &attrs, &[24, 198, 51, 100]));
    let u = updates(&r.events);
    assert_eq!(u.len(), 1, "{:?}", r.events);
    let a: Vec<_> = u[0].announced().map(|(f, _)| f).collect();
    assert_eq!(a, vec![Family::IPV4_UNICAST]);
    assert_eq!(r.s.dropped_routes(), 2);
    // An UPDATE made only of such routes is not reported at all.
    r.clear();
    let only_mp = &attrs[..];
    r.feed(&update(&[], only_mp, &[]));
    assert!(updates(&r.events).is_empty(), "{:?}", r.events);
    assert_eq!(r.s.dropped_routes(), 4);
    assert_eq!(r.s.state(), State::Established);
}

/// GOOD_ATTRS with the NEXT_HOP replaced.
fn with_next_hop(a: [u8; 4]) -> Vec<u8> {
    let mut attrs = GOOD_ATTRS.to_vec();
    attrs[16..20].copy_from_slice(&a);
    attrs
}

#[test]
fn next_hop_that_is_no_host_address_withdraws_the_routes() {
    // RFC 4271 §6.3: the NEXT_HOP must be "a valid IP host address"; RFC 7606 §2
    // "treat-as-withdraw" instead of the NOTIFICATION.
    for a in [[0, 0, 0, 0], [224, 0, 0, 5], [240, 0, 0, 1], [255, 255, 255, 255]] {
        let mut r = Raw::established(config(PeerAs::External));
        r.feed(&update(&[], &with_next_hop(a), &NLRI));
        let got = received(&r);
        assert_eq!(got.len(), 1, "{a:?}");
        assert!(got[0].is_treat_as_withdraw(), "{a:?}");
        assert_eq!(got[0].withdrawn().count(), 1, "{a:?}");
        assert_eq!(r.s.state(), State::Established, "{a:?}");
        assert!(r.transmits.is_empty(), "{a:?}");
    }
}

#[test]
fn next_hop_that_is_our_own_address_is_not_used() {
    // RFC 4271 §6.3: a NEXT_HOP that is the receiving speaker's own address is semantically
    // incorrect: "the route SHOULD be ignored ... a NOTIFICATION message SHOULD NOT be sent".
    let mut r = Raw::established(config(PeerAs::External));
    r.feed(&update(&[], &with_next_hop(OURS.octets()), &NLRI));
    let got = received(&r);
    assert_eq!(got.len(), 1);
    assert!(got[0].is_treat_as_withdraw());
    assert!(got[0].announced().next().is_none());
    assert_eq!(r.s.state(), State::Established);
    assert!(r.transmits.is_empty());
}
