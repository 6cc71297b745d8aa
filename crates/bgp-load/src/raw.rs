//! A plain, independent RFC 4271 / RFC 4760 UPDATE encoder for generated tables.
//!
//! It is written from the RFCs without using bgp-wire, so that the bytes every parser decodes
//! in the benches do not come from the parser under test, and so that bgp-wire's own UPDATE
//! builder can be checked against it. Sessions are assumed to have negotiated 4-octet AS
//! numbers (RFC 6793) and nothing else: no ADD-PATH, no extended messages.

use std::ops::Range;

use bytes::{BufMut, Bytes, BytesMut};
use ipnet::IpNet;

use super::table::{NextHop, PathAttributes, RouteGroup, Table, TableFamily};

/// Largest BGP message without the extended message capability (RFC 4271 §4.1).
pub const MAX_MESSAGE_LEN: usize = 4096;
/// Marker, Length and Type (RFC 4271 §4.1).
pub const HEADER_LEN: usize = 19;
/// Message type code of UPDATE (RFC 4271 §4.1).
pub const UPDATE: u8 = 2;

/// Attribute flags (RFC 4271 §4.3).
const OPTIONAL: u8 = 0x80;
const TRANSITIVE: u8 = 0x40;
const EXTENDED_LENGTH: u8 = 0x10;

/// Attribute type codes (RFC 4271 §5, RFC 1997, RFC 4760, RFC 8092).
const ORIGIN: u8 = 1;
const AS_PATH: u8 = 2;
const NEXT_HOP: u8 = 3;
const MULTI_EXIT_DISC: u8 = 4;
const ATOMIC_AGGREGATE: u8 = 6;
const AGGREGATOR: u8 = 7;
const COMMUNITIES: u8 = 8;
const MP_REACH_NLRI: u8 = 14;
const LARGE_COMMUNITY: u8 = 32;
/// AS_SEQUENCE path segment type (RFC 4271 §4.3).
const AS_SEQUENCE: u8 = 2;

/// A stream of UPDATE messages, as a peer would send them back to back.
#[derive(Clone, Debug)]
pub struct Corpus {
    /// The family of the routes.
    pub family: TableFamily,
    /// Every message, header included, one after the other.
    pub bytes: Bytes,
    /// The extent of each message in `bytes`.
    pub messages: Vec<Range<usize>>,
    /// Number of announced prefixes over all messages.
    pub prefixes: usize,
}

impl Corpus {
    /// Each message as its own `Bytes`, sharing the corpus' buffer.
    pub fn message(&self, index: usize) -> Option<Bytes> {
        self.messages.get(index).map(|r| self.bytes.slice(r.clone()))
    }
}

/// Encodes the whole table: each attribute set in as few UPDATEs of at most
/// [`MAX_MESSAGE_LEN`] octets as its prefixes need.
pub fn encode_table(table: &Table) -> Corpus {
    let mut buf = BytesMut::with_capacity(table.routes() * 8 + table.groups.len() * 80);
    let mut messages = Vec::with_capacity(table.groups.len() * 11 / 10);
    for group in &table.groups {
        encode_group(table.family, group, &mut buf, &mut messages);
    }
    Corpus { family: table.family, bytes: buf.freeze(), messages, prefixes: table.routes() }
}

/// Encodes one attribute set with its prefixes, appending messages to `buf` and their extents
/// to `messages`.
pub fn encode_group(
    family: TableFamily,
    group: &RouteGroup,
    buf: &mut BytesMut,
    messages: &mut Vec<Range<usize>>,
) {
    let mut prefixes = group.prefixes.as_slice();
    while !prefixes.is_empty() {
        let n = prefixes_that_fit(family, &group.attrs, prefixes);
        let (now, later) = prefixes.split_at(n);
        let start = buf.len();
        encode_update(family, &group.attrs, now, buf);
        messages.push(start..buf.len());
        prefixes = later;
    }
}

/// How many of `prefixes` (at least one) fit in one message with `attrs`.
pub fn prefixes_that_fit(family: TableFamily, attrs: &PathAttributes, prefixes: &[IpNet]) -> usize {
    let fixed = HEADER_LEN + 2 + 2 + common_attributes_len(attrs);
    let mut nlri = 0;
    for (i, p) in prefixes.iter().enumerate() {
        let next = nlri + prefix_len(p);
        let total = match family {
            TableFamily::Ipv4 => fixed + next,
            TableFamily::Ipv6 => fixed + attribute_len(mp_reach_value_len(attrs, next)),
        };
        if total > MAX_MESSAGE_LEN {
            return i.max(1);
        }
        nlri = next;
    }
    prefixes.len()
}

/// Writes one UPDATE message (RFC 4271 §4.3) announcing `prefixes` with `attrs`.
pub fn encode_update(
    family: TableFamily,
    attrs: &PathAttributes,
    prefixes: &[IpNet],
    buf: &mut BytesMut,
) {
    let start = buf.len();
    buf.put_bytes(0xff, 16);
    buf.put_u16(0); // Length, patched below.
    buf.put_u8(UPDATE);
    buf.put_u16(0); // Withdrawn Routes Length.
    let attrs_len_at = buf.len();
    buf.put_u16(0); // Total Path Attribute Length, patched below.
    let attrs_start = buf.len();
    // Type code order (RFC 4271 §5: "SHOULD be ordered by type code"), MP_REACH_NLRI in its
    // place between COMMUNITIES and LARGE_COMMUNITY.
    put_attribute(buf, TRANSITIVE, ORIGIN, &[attrs.origin]);
    // RFC 4271 §4.3: segments of at most 255 AS numbers: type, count, numbers.
    let segments = attrs.as_path.len().div_ceil(255);
    put_attribute_header(buf, TRANSITIVE, AS_PATH, 2 * segments + 4 * attrs.as_path.len());
    for chunk in attrs.as_path.chunks(255) {
        buf.put_u8(AS_SEQUENCE);
        buf.put_u8(chunk.len() as u8);
        chunk.iter().for_each(|&asn| buf.put_u32(asn));
    }
    if let NextHop::V4(addr) = attrs.next_hop {
        if family == TableFamily::Ipv4 {
            put_attribute(buf, TRANSITIVE, NEXT_HOP, &addr.octets());
        }
    }
    if let Some(med) = attrs.med {
        put_attribute(buf, OPTIONAL, MULTI_EXIT_DISC, &med.to_be_bytes());
    }
    if attrs.atomic_aggregate {
        put_attribute(buf, TRANSITIVE, ATOMIC_AGGREGATE, &[]);
    }
    if let Some((asn, id)) = attrs.aggregator {
        let mut value = [0u8; 8];
        value[..4].copy_from_slice(&asn.to_be_bytes());
        value[4..].copy_from_slice(&id.octets());
        put_attribute(buf, OPTIONAL | TRANSITIVE, AGGREGATOR, &value);
    }
    if !attrs.communities.is_empty() {
        let len = 4 * attrs.communities.len();
        put_attribute_header(buf, OPTIONAL | TRANSITIVE, COMMUNITIES, len);
        attrs.communities.iter().for_each(|&c| buf.put_u32(c));
    }
    if family == TableFamily::Ipv6 {
        let nlri_len: usize = prefixes.iter().map(prefix_len).sum();
        let value_len = mp_reach_value_len(attrs, nlri_len);
        put_attribute_header(buf, OPTIONAL, MP_REACH_NLRI, value_len);
        // RFC 4760 §3: AFI, SAFI, Length of Next Hop, Next Hop, Reserved, NLRI.
        buf.put_u16(2);
        buf.put_u8(1);
        match attrs.next_hop {
            NextHop::V6 { global, link_local } => {
                buf.put_u8(if link_local.is_some() { 32 } else { 16 });
                buf.put_slice(&global.octets());
                if let Some(ll) = link_local {
                    buf.put_slice(&ll.octets());
                }
            }
            NextHop::V4(addr) => {
                buf.put_u8(4);
                buf.put_slice(&addr.octets());
            }
        }
        buf.put_u8(0);
        put_prefixes(buf, prefixes);
    }
    if !attrs.large_communities.is_empty() {
        let len = 12 * attrs.large_communities.len();
        put_attribute_header(buf, OPTIONAL | TRANSITIVE, LARGE_COMMUNITY, len);
        attrs.large_communities.iter().flatten().for_each(|&v| buf.put_u32(v));
    }
    let attrs_len = buf.len() - attrs_start;
    buf[attrs_len_at..attrs_len_at + 2].copy_from_slice(&(attrs_len as u16).to_be_bytes());
    if family == TableFamily::Ipv4 {
        put_prefixes(buf, prefixes);
    }
    let len = buf.len() - start;
    buf[start + 16..start + 18].copy_from_slice(&(len as u16).to_be_bytes());
}

/// Octets of every attribute but MP_REACH_NLRI, headers included.
fn common_attributes_len(attrs: &PathAttributes) -> usize {
    let segments = attrs.as_path.len().div_ceil(255);
    let mut len = attribute_len(1) + attribute_len(2 * segments + 4 * attrs.as_path.len());
    if matches!(attrs.next_hop, NextHop::V4(_)) {
        len += attribute_len(4);
    }
    if attrs.med.is_some() {
        len += attribute_len(4);
    }
    if attrs.atomic_aggregate {
        len += attribute_len(0);
    }
    if attrs.aggregator.is_some() {
        len += attribute_len(8);
    }
    if !attrs.communities.is_empty() {
        len += attribute_len(4 * attrs.communities.len());
    }
    if !attrs.large_communities.is_empty() {
        len += attribute_len(12 * attrs.large_communities.len());
    }
    len
}

/// The value length of MP_REACH_NLRI with `nlri_len` octets of NLRI.
fn mp_reach_value_len(attrs: &PathAttributes, nlri_len: usize) -> usize {
    let next_hop = match attrs.next_hop {
        NextHop::V4(_) => 4,
        NextHop::V6 { link_local: None, .. } => 16,
        NextHop::V6 { link_local: Some(_), .. } => 32,
    };
    2 + 1 + 1 + next_hop + 1 + nlri_len
}

/// An attribute with its header, the length octet doubled past 255 (RFC 4271 §4.3).
fn attribute_len(value_len: usize) -> usize {
    value_len + if value_len > 255 { 4 } else { 3 }
}

fn put_attribute_header(buf: &mut BytesMut, flags: u8, code: u8, value_len: usize) {
    if value_len > 255 {
        buf.put_u8(flags | EXTENDED_LENGTH);
        buf.put_u8(code);
        buf.put_u16(value_len as u16);
    } else {
        buf.put_u8(flags);
        buf.put_u8(code);
        buf.put_u8(value_len as u8);
    }
}

fn put_attribute(buf: &mut BytesMut, flags: u8, code: u8, value: &[u8]) {
    put_attribute_header(buf, flags, code, value.len());
    buf.put_slice(value);
}

/// Octets of one prefix in NLRI encoding (RFC 4271 §4.3).
pub fn prefix_len(p: &IpNet) -> usize {
    1 + usize::from(p.prefix_len()).div_ceil(8)
}

/// Length in bits then the significant octets of the address (RFC 4271 §4.3).
fn put_prefixes(buf: &mut BytesMut, prefixes: &[IpNet]) {
    for p in prefixes {
        let n = prefix_len(p) - 1;
        buf.put_u8(p.prefix_len());
        match p {
            IpNet::V4(v4) => buf.put_slice(&v4.addr().octets()[..n]),
            IpNet::V6(v6) => buf.put_slice(&v6.addr().octets()[..n]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{origin, synthetic_prefixes};
    use std::net::{Ipv4Addr, Ipv6Addr};
    use std::sync::Arc;

    fn attrs(next_hop: NextHop) -> PathAttributes {
        PathAttributes {
            origin: origin::IGP,
            as_path: Arc::from([3333u32, 65_551]),
            next_hop,
            med: Some(7),
            atomic_aggregate: false,
            aggregator: None,
            communities: vec![0x0d05_0001],
            large_communities: vec![],
        }
    }

    #[test]
    fn ipv4_update_bytes_follow_rfc_4271() {
        let a = attrs(NextHop::V4(Ipv4Addr::new(192, 0, 2, 1)));
        let p: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap(), "192.0.2.128/25".parse().unwrap()];
        let mut buf = BytesMut::new();
        encode_update(TableFamily::Ipv4, &a, &p, &mut buf);
        let expected = [
            &[0xff; 16][..],
            &[0x00, 0x44, 0x02], // length 68, UPDATE
            &[0x00, 0x00],       // no withdrawn routes
            &[0x00, 0x26],       // 38 octets of attributes
            &[0x40, 0x01, 0x01, 0x00],
            &[0x40, 0x02, 0x0a, 0x02, 0x02, 0x00, 0x00, 0x0d, 0x05, 0x00, 0x01, 0x00, 0x0f],
            &[0x40, 0x03, 0x04, 0xc0, 0x00, 0x02, 0x01],
            &[0x80, 0x04, 0x04, 0x00, 0x00, 0x00, 0x07],
            &[0xc0, 0x08, 0x04, 0x0d, 0x05, 0x00, 0x01],
            &[0x08, 0x0a, 0x19, 0xc0, 0x00, 0x02, 0x80],
        ]
        .concat();
        assert_eq!(hex::encode(&buf), hex::encode(expected));
    }

    #[test]
    fn ipv6_update_carries_mp_reach_nlri() {
        let ll = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);
        let a = PathAttributes {
            med: None,
            communities: vec![],
            ..attrs(NextHop::V6 {
                global: Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1),
                link_local: Some(ll),
            })
        };
        let p: Vec<IpNet> = vec!["2001:db8:1::/48".parse().unwrap()];
        let mut buf = BytesMut::new();
        encode_update(TableFamily::Ipv6, &a, &p, &mut buf);
        let mp = [
            &[0x80, 0x0e, 0x2c, 0x00, 0x02, 0x01, 0x20][..],
            &Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1).octets(),
            &ll.octets(),
            &[0x00, 0x30, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01],
        ]
        .concat();
        assert!(buf.windows(mp.len()).any(|w| w == mp.as_slice()), "{}", hex::encode(&buf));
        assert_eq!(usize::from(u16::from_be_bytes([buf[16], buf[17]])), buf.len());
    }

    #[test]
    fn messages_stay_within_4096_octets_and_carry_every_prefix() {
        for family in [TableFamily::Ipv4, TableFamily::Ipv6] {
            let prefixes = synthetic_prefixes(family, 3000, 11);
            // One attribute set for all: forces many full messages.
            let table = Table::generate(family, &prefixes, 1);
            let group = RouteGroup { attrs: table.groups[0].attrs.clone(), prefixes };
            let big = Table { family, groups: vec![group] };
            let corpus = encode_table(&big);
            assert!(corpus.messages.len() > 1);
            let mut total = 0;
            for (i, r) in corpus.messages.iter().enumerate() {
                let m = &corpus.bytes[r.clone()];
                assert!(m.len() <= MAX_MESSAGE_LEN);
                assert_eq!(usize::from(u16::from_be_bytes([m[16], m[17]])), m.len());
                // All but the last are full: one more /128 or /32 would not have fit.
                if i + 1 < corpus.messages.len() {
                    assert!(m.len() + 17 > MAX_MESSAGE_LEN, "message {i} is {} octets", m.len());
                }
                total += m.len();
            }
            assert_eq!(total, corpus.bytes.len());
            assert_eq!(corpus.prefixes, 3000);
        }
    }
}
