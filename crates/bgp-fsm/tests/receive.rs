//! The receive path: whole messages are cut out of the caller's buffer without a copy, and a
//! message cut by the end of a read is completed from the next.

use bgp_fsm::fuzzing::{established_session, CONN};
use bgp_fsm::{Action, Event, Received, Session, State};
use bgp_wire::attribute::{AsPath, Attribute, NextHop, Origin, PathAttribute};
use bgp_wire::codes::{header, ErrorCode};
use bgp_wire::message::Message;
use bgp_wire::nlri::Nlri;
use bgp_wire::update::builder::{Encoding, UpdateBuilder};
use bgp_wire::{Context, Family};
use bytes::{Bytes, BytesMut};
use std::net::Ipv4Addr;
use std::ops::Range;
use std::time::Instant;

fn session() -> (Session, Instant) {
    let now = Instant::now();
    (established_session(now).expect("established"), now)
}

/// One UPDATE announcing `prefix`, as the peer encodes it for us.
fn update(s: &Session, prefix: &str) -> Bytes {
    let ctx = s.negotiated().expect("established").rx.clone();
    let attrs = [
        PathAttribute::new(Attribute::Origin(Origin::Igp)),
        PathAttribute::new(Attribute::AsPath(AsPath::from_sequence([65002]))),
    ];
    let mut buf = BytesMut::new();
    let nh = NextHop::Ipv4(Ipv4Addr::new(10, 0, 0, 2));
    let routes = [Nlri::new(prefix.parse().expect("prefix"))];
    let n = UpdateBuilder::new(&ctx, &attrs).announce(
        Family::IPV4_UNICAST,
        &nh,
        &routes,
        Encoding::Classic,
        &mut buf,
    );
    assert_eq!(n, 1);
    buf.freeze()
}

fn keepalive() -> Bytes {
    let mut buf = BytesMut::new();
    Message::Keepalive.encode(&Context::legacy(), &mut buf);
    buf.freeze()
}

fn concat(parts: &[&Bytes]) -> Bytes {
    let mut buf = BytesMut::new();
    for p in parts {
        buf.extend_from_slice(p);
    }
    buf.freeze()
}

/// The UPDATEs reported since the last call; nothing may have been sent.
fn received(s: &mut Session) -> Vec<Received> {
    assert_eq!(s.poll_transmit(), None);
    std::iter::from_fn(|| s.poll_event())
        .filter_map(|e| match e {
            Event::Update(r) => Some(*r),
            _ => None,
        })
        .collect()
}

fn prefixes(r: &Received) -> Vec<String> {
    r.announced().map(|(_, n)| n.prefix.to_string()).collect()
}

/// Where `inner` lies in `outer`, if it does.
fn offset_in(outer: &Bytes, inner: &Bytes) -> Option<Range<usize>> {
    let (o, i) = (outer.as_ptr() as usize, inner.as_ptr() as usize);
    (i >= o && i + inner.len() <= o + outer.len()).then(|| i - o..i - o + inner.len())
}

#[test]
fn messages_of_one_read_share_its_buffer() {
    let (mut s, now) = session();
    let (u1, u2, u3) =
        (update(&s, "10.1.0.0/16"), update(&s, "10.2.0.0/24"), update(&s, "192.0.2.0/25"));
    let k = keepalive();
    let read = concat(&[&u1, &k, &u2, &u3]);
    s.handle_data(now, CONN, read.clone());
    let got = received(&mut s);
    assert_eq!(got.len(), 3);
    let mut at = 0;
    for (r, (u, prefix)) in
        got.iter().zip([(&u1, "10.1.0.0/16"), (&u2, "10.2.0.0/24"), (&u3, "192.0.2.0/25")])
    {
        let msg = r.update().as_bytes();
        // The message is the octets of the read, not a copy of them.
        let range = offset_in(&read, msg).expect("message points into the read");
        if at == u1.len() {
            at += k.len();
        }
        assert_eq!(range, at..at + u.len());
        assert_eq!(msg, u);
        assert_eq!(prefixes(r), [prefix]);
        assert_eq!(r.context(), &s.negotiated().expect("established").rx);
        at += u.len();
    }
    assert_eq!(s.state(), State::Established);
}

#[test]
fn a_message_split_across_two_reads_at_every_point() {
    let (probe, _) = session();
    let (u1, u2) = (update(&probe, "10.1.0.0/16"), update(&probe, "10.2.0.0/24"));
    let stream = concat(&[&u1, &u2]);
    // Cuts inside the header (a partial header, then the rest) and inside the body.
    for cut in 1..u1.len() {
        let (mut s, now) = session();
        let (first, second) = (stream.slice(..cut), stream.slice(cut..));
        s.handle_data(now, CONN, first);
        assert!(received(&mut s).is_empty(), "cut {cut}: nothing whole yet");
        s.handle_data(now, CONN, second.clone());
        let got = received(&mut s);
        assert_eq!(got.len(), 2, "cut {cut}");
        // The completed message was copied aside; the next one is the second read's octets.
        assert_eq!(got[0].update().as_bytes(), &u1);
        assert_eq!(offset_in(&second, got[0].update().as_bytes()), None);
        assert_eq!(
            offset_in(&second, got[1].update().as_bytes()),
            Some(u1.len() - cut..second.len())
        );
        assert_eq!(prefixes(&got[0]), ["10.1.0.0/16"]);
        assert_eq!(prefixes(&got[1]), ["10.2.0.0/24"]);
    }
}

#[test]
fn a_header_in_pieces_then_the_body() {
    let (mut s, now) = session();
    let u = update(&s, "10.9.0.0/16");
    for piece in [u.slice(..5), u.slice(5..12), u.slice(12..19), u.slice(19..20)] {
        s.handle_data(now, CONN, piece);
        assert!(received(&mut s).is_empty());
    }
    s.handle_data(now, CONN, u.slice(20..));
    let got = received(&mut s);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].update().as_bytes(), &u);
    // An empty read changes nothing.
    s.handle_data(now, CONN, Bytes::new());
    assert!(received(&mut s).is_empty());
}

#[test]
fn a_bad_marker_in_a_partial_header_is_found_once_the_header_is_whole() {
    let (mut s, now) = session();
    let mut bad = keepalive().to_vec();
    bad[3] = 0;
    s.handle_data(now, CONN, Bytes::copy_from_slice(&bad[..10]));
    assert_eq!(s.poll_transmit(), None);
    s.handle_data(now, CONN, Bytes::copy_from_slice(&bad[10..]));
    let sent = s.poll_transmit().expect("NOTIFICATION");
    match Message::decode(sent.bytes, &Context::legacy()) {
        Ok(Message::Notification(n)) => {
            assert_eq!(
                (n.code, n.subcode),
                (ErrorCode::MESSAGE_HEADER, header::CONNECTION_NOT_SYNCHRONIZED)
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.poll_action(), Some(Action::Close { conn: CONN }));
    assert_eq!(s.state(), State::Idle);
}

#[test]
fn handle_bytes_copies_once_and_frames_the_same() {
    let (mut s, now) = session();
    let (u1, u2) = (update(&s, "10.1.0.0/16"), update(&s, "10.2.0.0/24"));
    let stream = concat(&[&u1, &u2]);
    s.handle_bytes(now, CONN, &stream[..30]);
    s.handle_bytes(now, CONN, &stream[30..]);
    let got = received(&mut s);
    assert_eq!(got.iter().map(|r| r.update().as_bytes().clone()).collect::<Vec<_>>(), [u1, u2]);
}
