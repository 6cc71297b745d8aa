//! Any BGP message: dispatch on the header's type, and reading messages off a byte stream.

use bytes::{Bytes, BytesMut};

use crate::codes::{header, ErrorCode};
use crate::context::Context;
use crate::error::{Error, Reason};
use crate::header::{begin_message, finish_message, frame, Header, MessageType};
use crate::notification::Notification;
use crate::open::Open;
use crate::route_refresh::RouteRefresh;
use crate::update::Update;

#[cfg(test)]
pub(crate) mod testutil;

/// One BGP message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// OPEN (RFC 4271 §4.2).
    Open(Open),
    /// UPDATE (RFC 4271 §4.3).
    Update(Update),
    /// NOTIFICATION (RFC 4271 §4.5).
    Notification(Notification),
    /// KEEPALIVE (RFC 4271 §4.4): the header alone.
    Keepalive,
    /// ROUTE-REFRESH (RFC 2918).
    RouteRefresh(RouteRefresh),
}

impl Message {
    /// Decodes one whole message (`msg` is exactly the message, header included).
    ///
    /// The header is checked against `ctx.max_message_len()` (RFC 4271 §6.1, RFC 8654 §5),
    /// then the message is handed to its type's decoder.
    pub fn decode(msg: Bytes, ctx: &Context) -> Result<Message, Error> {
        let h = Header::check(&msg, ctx.max_message_len())?;
        if msg.len() != usize::from(h.length) {
            return Err(length_mismatch(msg.len(), h.length));
        }
        match h.message_type {
            MessageType::OPEN => Open::decode(msg, ctx).map(Message::Open),
            MessageType::UPDATE => Update::decode(msg, ctx).map(Message::Update),
            MessageType::NOTIFICATION => Notification::decode(msg, ctx).map(Message::Notification),
            // RFC 4271 §4.4: "A KEEPALIVE message consists of only the message header and has a
            // length of 19 octets"; the header check enforces it.
            MessageType::KEEPALIVE => Ok(Message::Keepalive),
            MessageType::ROUTE_REFRESH => RouteRefresh::decode(msg, ctx).map(Message::RouteRefresh),
            other => Err(wrong_type(other)),
        }
    }

    /// Writes the whole message, header included.
    pub fn encode(&self, ctx: &Context, buf: &mut BytesMut) {
        match self {
            Message::Open(o) => o.encode(ctx, buf),
            Message::Update(u) => u.encode(ctx, buf),
            Message::Notification(n) => n.encode(ctx, buf),
            Message::Keepalive => encode_keepalive(buf),
            Message::RouteRefresh(r) => r.encode(ctx, buf),
        }
    }

    /// The message type.
    pub fn message_type(&self) -> MessageType {
        match self {
            Message::Open(_) => MessageType::OPEN,
            Message::Update(_) => MessageType::UPDATE,
            Message::Notification(_) => MessageType::NOTIFICATION,
            Message::Keepalive => MessageType::KEEPALIVE,
            Message::RouteRefresh(_) => MessageType::ROUTE_REFRESH,
        }
    }
}

/// Writes a KEEPALIVE: the 19-octet header alone.
pub fn encode_keepalive(buf: &mut BytesMut) {
    let start = begin_message(MessageType::KEEPALIVE, buf);
    finish_message(start, buf);
}

/// Splits the next whole message off the front of a receive buffer and decodes it.
///
/// Returns `Ok(None)` when the buffer does not yet hold a whole message (nothing is consumed).
/// On a decode error the message is consumed and the error returned: the caller sends its
/// NOTIFICATION and closes the connection. A header error consumes nothing.
///
/// ```
/// use bgp_wire::message::{decode_next, encode_keepalive, Message};
/// use bgp_wire::Context;
/// use bytes::BytesMut;
///
/// let ctx = Context::modern();
/// let mut rx = BytesMut::new();
/// encode_keepalive(&mut rx);
/// rx.extend_from_slice(&[0xff; 10]); // the start of the next message
/// assert_eq!(decode_next(&mut rx, &ctx), Ok(Some(Message::Keepalive)));
/// assert_eq!(decode_next(&mut rx, &ctx), Ok(None));
/// assert_eq!(rx.len(), 10);
/// ```
pub fn decode_next(buf: &mut BytesMut, ctx: &Context) -> Result<Option<Message>, Error> {
    let Some(len) = frame(buf, ctx.max_message_len())? else {
        return Ok(None);
    };
    let msg = buf.split_to(len).freeze();
    Message::decode(msg, ctx).map(Some)
}

/// A decoder was handed a message of another type.
#[cold]
pub(crate) fn wrong_type(t: MessageType) -> Error {
    Error::new(
        ErrorCode::MESSAGE_HEADER,
        header::BAD_MESSAGE_TYPE,
        Reason::BadType(t.0),
        18,
        Bytes::copy_from_slice(&[t.0]),
    )
}

/// A decoder was handed a different number of octets than the header's length.
#[cold]
pub(crate) fn length_mismatch(available: usize, length: u16) -> Error {
    let reason = match available.checked_sub(usize::from(length)) {
        Some(extra) => Reason::TrailingBytes(extra),
        None => Reason::Truncated { needed: usize::from(length), available },
    };
    Error::new(
        ErrorCode::MESSAGE_HEADER,
        header::BAD_MESSAGE_LENGTH,
        reason,
        16,
        Bytes::copy_from_slice(&length.to_be_bytes()),
    )
}

#[cfg(test)]
mod tests {
    use super::testutil::{assert_hex_eq, hex};
    use super::*;
    use crate::types::Family;
    use proptest::prelude::*;

    const M: &str = "ffffffffffffffffffffffffffffffff";

    #[test]
    fn keepalive_vector() {
        let v = hex(&format!("{M} 0013 04"));
        assert_eq!(
            Message::decode(Bytes::from(v.clone()), &Context::legacy()),
            Ok(Message::Keepalive)
        );
        let mut b = BytesMut::new();
        Message::Keepalive.encode(&Context::legacy(), &mut b);
        assert_hex_eq(&b, &v);
        // RFC 4271 §6.1: a KEEPALIVE of any other length is Bad Message Length.
        let long = hex(&format!("{M} 0014 04 00"));
        let e = Message::decode(Bytes::from(long), &Context::legacy()).unwrap_err();
        assert_eq!(
            (e.code, e.subcode, &e.data[..]),
            (ErrorCode::MESSAGE_HEADER, 2, &[0, 0x14][..])
        );
    }

    #[test]
    fn dispatches_by_type() {
        let ctx = Context::modern();
        let msgs = [
            Message::Keepalive,
            Message::RouteRefresh(RouteRefresh::new(Family::IPV6_UNICAST)),
            Message::Notification(Notification::new(ErrorCode::CEASE, 2, Bytes::new())),
        ];
        for m in msgs {
            let mut b = BytesMut::new();
            m.encode(&ctx, &mut b);
            assert_eq!(
                Message::decode(b.freeze(), &ctx).map(|d| d.message_type()),
                Ok(m.message_type())
            );
        }
    }

    #[test]
    fn update_vector() {
        // RFC 4724 §2: the End-of-RIB marker for IPv4 unicast is an UPDATE with no withdrawn
        // routes and no attributes.
        let v = hex(&format!("{M} 0017 02 0000 0000"));
        let m = Message::decode(Bytes::from(v.clone()), &Context::modern()).unwrap();
        assert_eq!(m.message_type(), MessageType::UPDATE);
        let mut b = BytesMut::new();
        m.encode(&Context::modern(), &mut b);
        assert_hex_eq(&b, &v);
    }

    #[test]
    fn trailing_octets_are_rejected() {
        let v = hex(&format!("{M} 0013 04 00"));
        let e = Message::decode(Bytes::from(v), &Context::legacy()).unwrap_err();
        assert_eq!(e.reason, Reason::TrailingBytes(1));
    }

    #[test]
    fn stream_of_messages() {
        let ctx = Context::legacy();
        let mut wire = BytesMut::new();
        encode_keepalive(&mut wire);
        RouteRefresh::eorr(Family::IPV4_UNICAST).encode(&ctx, &mut wire);
        let all = wire.freeze();
        // Feed the stream in 5-octet pieces.
        let mut rx = BytesMut::new();
        let mut got = Vec::new();
        for chunk in all.chunks(5) {
            rx.extend_from_slice(chunk);
            while let Some(m) = decode_next(&mut rx, &ctx).unwrap() {
                got.push(m);
            }
        }
        assert_eq!(
            got,
            vec![
                Message::Keepalive,
                Message::RouteRefresh(RouteRefresh::eorr(Family::IPV4_UNICAST))
            ]
        );
        assert!(rx.is_empty());
        // A bad marker is reported as soon as the header is there.
        let mut rx = BytesMut::from(&hex(&format!("00{} 0013 04", &M[2..]))[..]);
        assert_eq!(
            decode_next(&mut rx, &ctx).unwrap_err().subcode,
            header::CONNECTION_NOT_SYNCHRONIZED
        );
    }

    /// Every captured NOTIFICATION and ROUTE-REFRESH decodes and re-encodes to the same octets
    /// (OPENs are checked field by field in the OPEN tests).
    #[test]
    fn captured_messages_round_trip() {
        let mut seen = [0usize; 6];
        for line in include_str!("message/captured.txt").lines().filter(|l| !l.starts_with('#')) {
            let Some((source, h)) = line.split_once(' ') else { continue };
            let v = hex(h);
            let ctx = Context::modern();
            let m = match Message::decode(Bytes::from(v.clone()), &ctx) {
                Ok(m) => m,
                // OPENs with deprecated parameters are only checked structurally there.
                Err(e) if v.get(18) == Some(&1) => {
                    assert_eq!(
                        e.subcode,
                        crate::codes::open::UNSUPPORTED_OPTIONAL_PARAMETER,
                        "{source}"
                    );
                    continue;
                }
                Err(e) => panic!("{source}: {e}"),
            };
            let mut b = BytesMut::new();
            m.encode(&ctx, &mut b);
            assert_hex_eq(&b, &v);
            seen[usize::from(m.message_type().0)] += 1;
        }
        assert!(seen[3] >= 12 && seen[5] >= 7, "{seen:?}");
    }

    #[test]
    fn captured_notifications_read_as_the_rfcs_say() {
        let find = |source: &str| {
            include_str!("message/captured.txt")
                .lines()
                .filter(|l| l.starts_with(source))
                .filter_map(|l| l.split_once(' '))
                .map(|(_, h)| hex(h))
                .filter(|v| v.get(18) == Some(&3))
                .filter_map(|v| Notification::decode(Bytes::from(v), &Context::legacy()).ok())
                .collect::<Vec<_>>()
        };
        let n = find("tcpdump-frr-extended-shutdown-message");
        assert_eq!(n.len(), 1);
        let text = n[0].shutdown_communication().and_then(Result::ok).unwrap_or_default();
        assert!(text.len() > 128, "RFC 9003 allows up to 255 octets: {text:?}");
        let n = find("tcpdump-arista-cease-hard-reset-gr-n-flag");
        assert_eq!(
            n[0].hard_reset_inner().map(|i| (i.code, i.subcode)),
            Some((ErrorCode::CEASE, crate::codes::cease::PEER_DECONFIGURED))
        );
        // Deliberately malformed ones: what each looks like through the helpers.
        assert_eq!(find("tcpdump-malformed-hard-reset")[0].hard_reset_inner(), None);
        let v: Vec<_> = find("tcpdump-malformed-shutdown-msg-variations")
            .iter()
            .map(|n| n.shutdown_communication().map(|r| r.map(str::len)))
            .collect();
        use crate::notification::ShutdownCommunicationError as S;
        assert_eq!(
            v,
            vec![
                Some(Err(S::TrailingData(9))),
                Some(Ok(0)),
                Some(Err(S::Truncated { length: 64, available: 10 })),
            ]
        );
        let n = find("tcpdump-arista-bfd-cease");
        assert_eq!((n[0].code, n[0].subcode), (ErrorCode::CEASE, crate::codes::cease::BFD_DOWN));
        let n = find("tcpdump-notification-route-refresh-error");
        assert_eq!(
            (n[0].code, n[0].subcode),
            (ErrorCode::ROUTE_REFRESH_MESSAGE, crate::codes::route_refresh::INVALID_MESSAGE_LENGTH)
        );
    }

    proptest! {
        #[test]
        fn arbitrary_octets_never_panic(v in proptest::collection::vec(any::<u8>(), 0..200), t in 1u8..6) {
            // Give most inputs a valid marker, length and type so the body decoders run.
            let mut m = vec![0xff; 16];
            m.extend_from_slice(&((v.len() + 19) as u16).to_be_bytes());
            m.push(t);
            m.extend_from_slice(&v);
            let _ = Message::decode(Bytes::from(m), &Context::modern());
            let _ = Message::decode(Bytes::from(v), &Context::legacy());
        }

        #[test]
        fn round_trip_any_message(
            m in prop_oneof![
                Just(Message::Keepalive),
                crate::open::strategies::open().prop_filter("valid", |o| o.validate_basic().is_ok()).prop_map(Message::Open),
                crate::notification::strategies::notification().prop_map(Message::Notification),
                crate::route_refresh::strategies::route_refresh().prop_map(Message::RouteRefresh),
            ],
            modern in any::<bool>(),
        ) {
            let mut ctx = if modern { Context::modern() } else { Context::legacy() };
            let mut b = BytesMut::new();
            m.encode(&ctx, &mut b);
            ctx.extended_message = b.len() > crate::header::MAX_LEN;
            prop_assert_eq!(Message::decode(b.freeze(), &ctx), Ok(m));
        }
    }
}
