//! Octets of BGP messages, well-formed (from `bgp-wire`'s encoders) or not (by hand, where
//! the codec refuses to write something malformed).

use bgp_wire::attribute::{AsPath, Attribute, Community, PathAttribute, Segment};
use bgp_wire::capability::Capability;
use bgp_wire::nlri::Nlri;
use bgp_wire::open::Open;
use bgp_wire::{Asn, Context, Family};
use bytes::BytesMut;
use ipnet::IpNet;
use std::net::Ipv4Addr;

/// Message type codes (RFC 4271 §4.1).
pub const OPEN: u8 = 1;
/// UPDATE.
pub const UPDATE: u8 = 2;
/// NOTIFICATION.
pub const NOTIFICATION: u8 = 3;
/// KEEPALIVE.
pub const KEEPALIVE: u8 = 4;

/// The context every session of this tool negotiates: 4-octet AS, nothing else.
pub fn ctx() -> Context {
    Context::modern()
}

/// A header with any marker, length and type (RFC 4271 §4.1), without a body.
pub fn header(marker: [u8; 16], length: u16, message_type: u8) -> Vec<u8> {
    let mut v = marker.to_vec();
    v.extend_from_slice(&length.to_be_bytes());
    v.push(message_type);
    v
}

/// A whole message: all-ones marker, the right length, `body`.
pub fn message(message_type: u8, body: &[u8]) -> Vec<u8> {
    let len = u16::try_from(19 + body.len()).unwrap_or(u16::MAX);
    let mut v = header([0xff; 16], len, message_type);
    v.extend_from_slice(body);
    v
}

/// An UPDATE from its three fields; the two length fields are computed.
pub fn update(withdrawn: &[u8], attributes: &[u8], nlri: &[u8]) -> Vec<u8> {
    update_with_lengths(withdrawn.len(), withdrawn, attributes.len(), attributes, nlri)
}

/// An UPDATE whose Withdrawn Routes Length and Total Path Attribute Length are given, to
/// say more (or less) than what follows.
pub fn update_with_lengths(
    withdrawn_len: usize,
    withdrawn: &[u8],
    attributes_len: usize,
    attributes: &[u8],
    nlri: &[u8],
) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&u16::try_from(withdrawn_len).unwrap_or(u16::MAX).to_be_bytes());
    body.extend_from_slice(withdrawn);
    body.extend_from_slice(&u16::try_from(attributes_len).unwrap_or(u16::MAX).to_be_bytes());
    body.extend_from_slice(attributes);
    body.extend_from_slice(nlri);
    message(UPDATE, &body)
}

/// One attribute written by hand: flags, type, a one-octet length and the value.
pub fn raw_attr(flags: u8, type_code: u8, value: &[u8]) -> Vec<u8> {
    let mut v = vec![flags, type_code, u8::try_from(value.len()).unwrap_or(u8::MAX)];
    v.extend_from_slice(value);
    v
}

/// One well-formed attribute, as `bgp-wire` encodes it (the flags its RFC gives it).
pub fn attr(value: Attribute) -> Vec<u8> {
    let mut buf = BytesMut::new();
    PathAttribute::new(value).encode(&ctx(), &mut buf);
    buf.to_vec()
}

/// ORIGIN IGP.
pub fn origin_igp() -> Vec<u8> {
    attr(Attribute::Origin(bgp_wire::attribute::Origin::Igp))
}

/// AS_PATH of one AS_SEQUENCE.
pub fn as_path(asns: &[u32]) -> Vec<u8> {
    let mut p = AsPath::new();
    p.segments.push(Segment::sequence(asns.iter().copied()));
    attr(Attribute::AsPath(p))
}

/// NEXT_HOP.
pub fn next_hop(a: Ipv4Addr) -> Vec<u8> {
    attr(Attribute::NextHop(a))
}

/// COMMUNITIES.
pub fn communities(values: &[u32]) -> Vec<u8> {
    attr(Attribute::Communities(values.iter().map(|c| Community(*c)).collect()))
}

/// The NLRI encoding of a prefix (RFC 4271 §4.3), without a path identifier.
pub fn prefix(p: IpNet) -> Vec<u8> {
    let mut buf = BytesMut::new();
    Nlri::new(p).encode(false, &mut buf);
    buf.to_vec()
}

/// The OPEN this tool sends: IPv4 and IPv6 unicast, 4-octet AS, route refresh.
pub fn open(asn: u32, hold_time: u16, bgp_id: Ipv4Addr) -> Vec<u8> {
    let caps = vec![
        Capability::Multiprotocol(Family::IPV4_UNICAST),
        Capability::Multiprotocol(Family::IPV6_UNICAST),
        Capability::FourOctetAs(Asn(asn)),
        Capability::RouteRefresh,
    ];
    let mut buf = BytesMut::new();
    Open::new(Asn(asn), hold_time, bgp_id, caps).encode(&ctx(), &mut buf);
    buf.to_vec()
}

/// Offsets of the OPEN's fixed fields (RFC 4271 §4.2), to make them wrong.
pub mod open_at {
    /// Version.
    pub const VERSION: usize = 19;
    /// My Autonomous System.
    pub const MY_AS: usize = 20;
    /// Hold Time.
    pub const HOLD_TIME: usize = 22;
    /// BGP Identifier.
    pub const BGP_ID: usize = 24;
}

/// A NOTIFICATION, for closing a session politely.
pub fn notification(code: u8, subcode: u8) -> Vec<u8> {
    message(NOTIFICATION, &[code, subcode])
}

/// A KEEPALIVE.
pub fn keepalive() -> Vec<u8> {
    message(KEEPALIVE, &[])
}

#[cfg(test)]
mod tests {
    use super::*;
    use bgp_wire::message::Message;
    use bytes::Bytes;

    #[test]
    fn well_formed_update_decodes() {
        let mut attrs = origin_igp();
        attrs.extend(as_path(&[65010]));
        attrs.extend(next_hop(Ipv4Addr::new(10, 0, 0, 2)));
        attrs.extend(communities(&[0xfc00_0001]));
        let nlri = prefix("198.18.0.0/24".parse().unwrap());
        let m = Message::decode(Bytes::from(update(&[], &attrs, &nlri)), &ctx()).unwrap();
        let Message::Update(u) = m else { panic!("{m:?}") };
        assert!(u.issues().is_empty());
        assert_eq!(u.nlri().count(), 1);
    }

    #[test]
    fn open_decodes() {
        let m = Message::decode(Bytes::from(open(65010, 90, Ipv4Addr::new(10, 0, 0, 2))), &ctx())
            .unwrap();
        assert!(matches!(m, Message::Open(_)));
    }
}
