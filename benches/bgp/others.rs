//! The other Rust BGP parsers, each made to decode the same corpus and touch the same data as
//! bgp-wire: every announced prefix, the AS path length and the next hop of every message.
//!
//! Each parses the whole message (header included) the way its public API offers it; none is
//! given a shortcut that skips attributes or prefixes.

use std::net::{IpAddr, Ipv4Addr};

use benches::support::raw::Corpus;

use super::touch::Touch;

/// bgpkit-parser: `parse_bgp_message` on a `Bytes` of the message (header included), 4-octet
/// AS, no ADD-PATH. It builds a `BgpUpdateMessage` with a `Vec` of prefixes and a `Vec` of
/// decoded attributes.
pub fn bgpkit(corpus: &Corpus) -> Touch {
    use bgpkit_parser::models::{AsnLength, BgpMessage, NextHopAddress};
    use bgpkit_parser::parser::bgp::messages::parse_bgp_message;

    let mut touch = Touch::default();
    for range in &corpus.messages {
        let mut msg = corpus.bytes.slice(range.clone());
        let Ok(BgpMessage::Update(update)) = parse_bgp_message(&mut msg, false, &AsnLength::Bits32)
        else {
            touch.errors += 1;
            continue;
        };
        let attrs = &update.attributes;
        touch.path(attrs.as_path().map_or(0, |p| p.route_len()));
        if let Some(nh) = attrs.next_hop() {
            touch.next_hop(nh);
        }
        for p in &update.announced_prefixes {
            touch.prefix(p.prefix);
        }
        if let Some(mp) = attrs.get_reachable_nlri() {
            match mp.next_hop {
                Some(NextHopAddress::Ipv4(a)) => touch.next_hop(IpAddr::V4(a)),
                Some(NextHopAddress::Ipv6(a) | NextHopAddress::Ipv6LinkLocal(a, _)) => {
                    touch.next_hop(IpAddr::V6(a));
                }
                _ => {}
            }
            for p in &mp.prefixes {
                touch.prefix(p.prefix);
            }
        }
    }
    touch
}

/// netgauze-bgp-pkt: `BgpMessage::parse` on a `SliceReader` over the message (header included)
/// with the default parsing context (4-octet AS, no ADD-PATH). It builds a `BgpUpdateMessage`
/// with boxed slices of prefixes and attributes.
pub fn netgauze(corpus: &Corpus) -> Touch {
    use netgauze_bgp_pkt::path_attribute::{AsPath, MpReach, PathAttributeValue};
    use netgauze_bgp_pkt::wire::deserializer::BgpParsingContext;
    use netgauze_bgp_pkt::BgpMessage;
    use netgauze_parse_utils::reader::SliceReader;
    use netgauze_parse_utils::traits::ParseFromWithOneInput;

    let mut ctx = BgpParsingContext::default();
    let mut touch = Touch::default();
    for range in &corpus.messages {
        let Some(bytes) = corpus.bytes.get(range.clone()) else {
            touch.errors += 1;
            continue;
        };
        let mut reader = SliceReader::new(bytes);
        let Ok(BgpMessage::Update(update)) = BgpMessage::parse(&mut reader, &mut ctx) else {
            touch.errors += 1;
            continue;
        };
        for attr in update.path_attributes() {
            match attr.value() {
                PathAttributeValue::AsPath(AsPath::As4PathSegments(segs)) => {
                    touch.path(segs.iter().map(|s| s.as_numbers().len()).sum());
                }
                PathAttributeValue::AsPath(AsPath::As2PathSegments(segs)) => {
                    touch.path(segs.iter().map(|s| s.as_numbers().len()).sum());
                }
                PathAttributeValue::NextHop(nh) => touch.next_hop(IpAddr::V4(nh.next_hop())),
                PathAttributeValue::MpReach(MpReach::Ipv6Unicast {
                    next_hop_global, nlri, ..
                }) => {
                    touch.next_hop(IpAddr::V6(*next_hop_global));
                    for p in nlri.iter() {
                        touch.prefix(p.network().address().into());
                    }
                }
                _ => {}
            }
        }
        for p in update.nlri() {
            touch.prefix(p.network().address().into());
        }
    }
    touch
}

/// zettabgp: `decode_message_head` then `BgpUpdateMessage::decode_from` on the body, session
/// parameters saying 4-octet AS and no ADD-PATH (its path-identifier guessing turned off, as the
/// session says there are none). It builds `Vec`s of prefixes and attributes.
pub fn zettabgp(corpus: &Corpus) -> Touch {
    use zettabgp::prelude::{
        BgpASitem, BgpAddr, BgpAddrs, BgpAttrItem, BgpCapability, BgpMessage, BgpSessionParams,
        BgpTransportMode, BgpUpdateMessage,
    };

    let mut params = BgpSessionParams::new(
        64_512,
        180,
        BgpTransportMode::IPv4,
        Ipv4Addr::new(192, 0, 2, 1),
        vec![BgpCapability::SafiIPv4u, BgpCapability::SafiIPv6u, BgpCapability::CapASN32(64_512)],
    );
    params.fuzzy_pathid = false;
    let mut touch = Touch::default();
    for range in &corpus.messages {
        let Some(bytes) = corpus.bytes.get(range.clone()) else {
            touch.errors += 1;
            continue;
        };
        let Ok((_, len)) = params.decode_message_head(bytes) else {
            touch.errors += 1;
            continue;
        };
        let Some(body) = bytes.get(19..19 + len) else {
            touch.errors += 1;
            continue;
        };
        let mut update = BgpUpdateMessage::new();
        if update.decode_from(&params, body).is_err() {
            touch.errors += 1;
            continue;
        }
        for attr in &update.attrs {
            match attr {
                BgpAttrItem::ASPath(path) => touch.path(
                    path.value
                        .iter()
                        .map(|item| match item {
                            BgpASitem::Seq(s) => s.value.len(),
                            BgpASitem::Set(s) => s.value.len(),
                        })
                        .sum(),
                ),
                BgpAttrItem::NextHop(nh) => touch.next_hop(nh.value),
                BgpAttrItem::MPUpdates(mp) => {
                    match mp.nexthop {
                        BgpAddr::V4(a) => touch.next_hop(IpAddr::V4(a)),
                        BgpAddr::V6(a) => touch.next_hop(IpAddr::V6(a)),
                        _ => {}
                    }
                    if let BgpAddrs::IPV6U(v) = &mp.addrs {
                        for p in v {
                            touch.prefix_parts(IpAddr::V6(p.addr), p.prefixlen);
                        }
                    }
                }
                _ => {}
            }
        }
        if let BgpAddrs::IPV4U(v) = &update.updates {
            for p in v {
                touch.prefix_parts(IpAddr::V4(p.addr), p.prefixlen);
            }
        }
    }
    touch
}
