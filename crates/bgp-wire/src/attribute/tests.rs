//! Test vectors for every attribute kind: each pair is decoded and encoded.

use super::*;
use crate::error::Action;
use crate::nlri::Nlri;
use crate::types::{Afi, Family, Safi};
use community::{ExtAdmin, ExtendedCommunityKind};

/// Compares two byte strings and on mismatch shows both in hex with the first difference.
pub(crate) fn assert_hex_eq(got: &[u8], want: &[u8], what: &str) {
    if got != want {
        let at =
            got.iter().zip(want).position(|(a, b)| a != b).unwrap_or(got.len().min(want.len()));
        panic!(
            "{what}: encodings differ at octet {at}\n got:  {}\n want: {}\n        {}^",
            hex::encode(got),
            hex::encode(want),
            "  ".repeat(at)
        );
    }
}

fn decode_one(hex: &str, ctx: &Context) -> (Vec<PathAttribute>, Vec<crate::AttributeIssue>) {
    let b = Bytes::from(hex::decode(hex).unwrap());
    let mut issues = Vec::new();
    let a = Attributes::decode(b, 0, ctx, &mut issues);
    (a.to_owned_attributes(ctx), issues)
}

fn vector(hex: &str, ctx: &Context, want: PathAttribute) {
    let (got, issues) = decode_one(hex, ctx);
    assert!(issues.is_empty(), "{hex}: {issues:?}");
    assert_eq!(got, vec![want.clone()], "{hex}");
    let mut b = BytesMut::new();
    want.encode(ctx, &mut b);
    assert_hex_eq(&b, &hex::decode(hex).unwrap(), hex);
    assert_eq!(want.wire_len(ctx), b.len());
}

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

#[test]
fn well_known_vectors() {
    let m = Context::modern();
    let l = Context::legacy();
    vector("40010100", &m, PathAttribute::new(Attribute::Origin(Origin::Igp)));
    vector("40010102", &m, PathAttribute::new(Attribute::Origin(Origin::Incomplete)));
    vector(
        "4002040201fde8",
        &l,
        PathAttribute::new(Attribute::AsPath(AsPath::from_sequence([65000]))),
    );
    vector(
        "40020a02020000fde800000001",
        &m,
        PathAttribute::new(Attribute::AsPath(AsPath::from_sequence([65000, 1]))),
    );
    vector("400200", &m, PathAttribute::new(Attribute::AsPath(AsPath::new())));
    // Confederation segments (RFC 5065 §3) and a set, 4-octet.
    let confed = AsPath {
        segments: vec![
            Segment { kind: SegmentType::AS_CONFED_SEQUENCE, asns: vec![Asn(65010), Asn(65011)] },
            Segment { kind: SegmentType::AS_CONFED_SET, asns: vec![Asn(65012)] },
            Segment::sequence([65001]),
            Segment::set([64512, 64513]),
        ],
    };
    vector(
        &["400220", "03020000fdf20000fdf3", "04010000fdf4", "02010000fde9", "01020000fc000000fc01"]
            .concat(),
        &m,
        PathAttribute::new(Attribute::AsPath(confed.clone())),
    );
    assert_eq!(confed.to_string(), "(65010 65011) [65012] 65001 {64512,64513}");
    assert_eq!(confed.path_len(), 2);
    vector("4003040a000001", &m, PathAttribute::new(Attribute::NextHop(ip("10.0.0.1"))));
    vector("80040400000064", &m, PathAttribute::new(Attribute::MultiExitDisc(100)));
    vector("400504000000c8", &m, PathAttribute::new(Attribute::LocalPref(200)));
    vector("400600", &m, PathAttribute::new(Attribute::AtomicAggregate));
}

#[test]
fn optional_vectors() {
    let m = Context::modern();
    let l = Context::legacy();
    let agg = Aggregator { asn: Asn(65000), address: ip("192.0.2.1") };
    vector("c007080000fde8c0000201", &m, PathAttribute::new(Attribute::Aggregator(agg)));
    vector("c00706fde8c0000201", &l, PathAttribute::new(Attribute::Aggregator(agg)));
    vector(
        "c0080cfde80064ffffff01ffff029a",
        &m,
        PathAttribute::new(Attribute::Communities(vec![
            Community::new(65000, 100),
            Community::NO_EXPORT,
            Community::BLACKHOLE,
        ])),
    );
    vector("80090401020304", &m, PathAttribute::new(Attribute::OriginatorId(ip("1.2.3.4"))));
    vector(
        "800a080a0000010a000002",
        &m,
        PathAttribute::new(Attribute::ClusterList(vec![ip("10.0.0.1"), ip("10.0.0.2")])),
    );
    let rt = ExtendedCommunity::route_target(ExtAdmin::As2(65000, 100));
    vector(
        "c010080002fde800000064",
        &m,
        PathAttribute::new(Attribute::ExtendedCommunities(vec![rt])),
    );
    vector(
        "c011060201fba00001",
        &l,
        PathAttribute::new(Attribute::As4Path(AsPath::from_sequence([0xfba0_0001]))),
    );
    vector(
        "c01208fba00001c0000201",
        &l,
        PathAttribute::new(Attribute::As4Aggregator(Aggregator {
            asn: Asn(0xfba0_0001),
            address: ip("192.0.2.1"),
        })),
    );
    vector(
        "c0200c0000fde8000000010000000a",
        &m,
        PathAttribute::new(Attribute::LargeCommunities(vec![LargeCommunity::new(65000, 1, 10)])),
    );
    vector("c023040000fde8", &m, PathAttribute::new(Attribute::Otc(Asn(65000))));
}

#[test]
fn mp_vectors() {
    let m = Context::modern();
    vector(
        &["800e1a", "000201", "10", "20010000000000000000000000000001", "00", "2020010db8"]
            .concat(),
        &m,
        PathAttribute::new(Attribute::MpReachNlri(MpReach::new(
            Family::IPV6_UNICAST,
            NextHop::Ipv6("2001::1".parse().unwrap()),
            vec![Nlri::new("2001:db8::/32".parse().unwrap())],
        ))),
    );
    vector(
        "800f0800020120200 10db8".replace(' ', "").as_str(),
        &m,
        PathAttribute::new(Attribute::MpUnreachNlri(MpUnreach::new(
            Family::IPV6_UNICAST,
            vec![Nlri::new("2001:db8::/32".parse().unwrap())],
        ))),
    );
    // EVPN is carried raw.
    let evpn = Family::new(Afi::L2VPN, Safi::EVPN);
    vector(
        "800f06001946020100",
        &m,
        PathAttribute::new(Attribute::MpUnreachNlri(MpUnreach {
            family: evpn,
            nlri: MpNlri::Raw(Bytes::from_static(&[0x02, 0x01, 0x00])),
        })),
    );
}

#[test]
fn extended_length_is_reproduced() {
    let m = Context::modern();
    // Extended Length set on a 1-octet ORIGIN, as some routers send it.
    vector(
        "5001000100",
        &m,
        PathAttribute::with_flags(Flags(0x50), Attribute::Origin(Origin::Igp)),
    );
    // A built attribute longer than 255 octets gets Extended Length.
    let a = PathAttribute::new(Attribute::Communities((0..70).map(Community).collect()));
    let mut b = BytesMut::new();
    a.encode(&m, &mut b);
    assert_eq!(&b[..4], &[0xd0, 0x08, 0x01, 0x18]);
    let (got, _) = decode_one(&hex::encode(&b), &m);
    assert_eq!(got[0].value, a.value);
}

#[test]
fn unknown_attribute_and_partial_bit() {
    let m = Context::modern();
    let unknown = PathAttribute::with_flags(
        Flags::OPTIONAL_TRANSITIVE,
        Attribute::Unknown { type_code: AttributeType(99), value: Bytes::from_static(&[1, 2, 3]) },
    );
    vector("c06303010203", &m, unknown.clone());
    let re = unknown.for_readvertisement().unwrap();
    assert_eq!(re.flags, Flags(0xe0));
    let mut b = BytesMut::new();
    re.encode(&m, &mut b);
    assert_eq!(hex::encode(&b), "e06303010203");
    let non_transitive =
        PathAttribute::with_flags(Flags::OPTIONAL_NON_TRANSITIVE, unknown.value.clone());
    assert_eq!(non_transitive.for_readvertisement(), None);
    let known = PathAttribute::new(Attribute::MultiExitDisc(1));
    assert_eq!(known.for_readvertisement(), Some(known));
}

#[test]
fn list_issues() {
    let m = Context::modern();
    // Duplicate MED: second discarded.
    let (got, issues) = decode_one("800404000000018004040000000 2".replace(' ', "").as_str(), &m);
    assert_eq!(got, vec![PathAttribute::new(Attribute::MultiExitDisc(1))]);
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].action, Action::AttributeDiscard);
    assert_eq!(issues[0].error.offset, 7);
    // Duplicate MP_UNREACH: session reset.
    let (_, issues) = decode_one("800f03000201800f03000201", &m);
    assert_eq!(issues[0].action, Action::SessionReset);
    // Overrun of the list: treat-as-withdraw.
    let (got, issues) = decode_one("40010100400304", &m);
    assert_eq!(got.len(), 1);
    assert_eq!((issues[0].action, issues[0].error.subcode), (Action::TreatAsWithdraw, 1));
    // Unrecognized well-known attribute.
    let (_, issues) = decode_one("406300", &m);
    assert_eq!((issues[0].action, issues[0].error.subcode), (Action::SessionReset, 2));
    // Wrong flags on ORIGIN.
    let (got, issues) = decode_one("c0010100", &m);
    assert!(got.is_empty());
    assert_eq!((issues[0].action, issues[0].error.subcode), (Action::TreatAsWithdraw, 4));
    // Malformed AGGREGATOR: discarded, with the attribute as data.
    let (got, issues) = decode_one("c00703000000", &m);
    assert!(got.is_empty());
    assert_eq!(issues[0].action, Action::AttributeDiscard);
    assert_eq!(&issues[0].error.data[..], &hex::decode("c00703000000").unwrap()[..]);
}

#[test]
fn typed_getters() {
    let m = Context::modern();
    let hex = "40010101400206020100000001400304c0000201c0080400010002c0100800020001000000 02c0200c000000010000000200000003";
    let b = Bytes::from(hex::decode(hex.replace(' ', "")).unwrap());
    let mut issues = Vec::new();
    let a = Attributes::decode(b, 0, &m, &mut issues);
    assert!(issues.is_empty(), "{issues:?}");
    assert_eq!(a.origin(), Some(Origin::Egp));
    assert_eq!(a.as_path(), Some(AsPath::from_sequence([1])));
    assert_eq!(a.next_hop(), Some(ip("192.0.2.1")));
    assert_eq!(a.communities().collect::<Vec<_>>(), vec![Community::new(1, 2)]);
    let ec: Vec<_> = a.extended_communities().map(|e| e.kind()).collect();
    assert_eq!(ec, vec![ExtendedCommunityKind::RouteTarget(ExtAdmin::As2(1, 2))]);
    assert_eq!(a.large_communities().collect::<Vec<_>>(), vec![LargeCommunity::new(1, 2, 3)]);
    assert_eq!(a.multi_exit_disc(), None);
    assert!(!a.atomic_aggregate());
}

/// Long AS paths and community lists (past the 16-item groups of the encoder, a segment past
/// 255 AS numbers, a value past 255 octets): the octets are the ones RFC 4271 §4.3 describes,
/// written here item by item, and they decode back.
#[test]
fn long_values_encode_item_by_item() {
    for four in [true, false] {
        let ctx = Context { four_octet_as: four, ..Context::modern() };
        for n in [1usize, 15, 16, 17, 33, 63, 64, 255, 300] {
            let asns: Vec<u32> = (0..n as u32).map(|i| 64_000 + i * 7).collect();
            let path = AsPath::from_sequence(asns.iter().copied());
            let mut value = Vec::new();
            for chunk in asns.chunks(255) {
                value.extend_from_slice(&[2, chunk.len() as u8]);
                for a in chunk {
                    if four {
                        value.extend_from_slice(&a.to_be_bytes());
                    } else {
                        // RFC 6793 §4.2.2: an AS that does not fit is written as AS_TRANS.
                        let two = u16::try_from(*a).unwrap_or(23456);
                        value.extend_from_slice(&two.to_be_bytes());
                    }
                }
            }
            let mut want = Vec::new();
            if value.len() > 255 {
                want.extend_from_slice(&[0x50, 2]);
                want.extend_from_slice(&(value.len() as u16).to_be_bytes());
            } else {
                want.extend_from_slice(&[0x40, 2, value.len() as u8]);
            }
            want.extend_from_slice(&value);
            let attr = PathAttribute::new(Attribute::AsPath(path.clone()));
            let mut b = BytesMut::new();
            attr.encode(&ctx, &mut b);
            assert_hex_eq(&b, &want, &format!("AS_PATH of {n}, four-octet {four}"));
            assert_eq!(attr.wire_len(&ctx), b.len());
            let (got, issues) = decode_one(&hex::encode(&b), &ctx);
            assert!(issues.is_empty(), "{issues:?}");
            assert_eq!(got.len(), 1);
            if let Attribute::AsPath(p) = &got[0].value {
                let flat: Vec<u32> = p.segments.iter().flat_map(|s| &s.asns).map(|a| a.0).collect();
                let sent: Vec<u32> =
                    asns.iter().map(|a| if four || *a <= 0xffff { *a } else { 23456 }).collect();
                assert_eq!(flat, sent);
            } else {
                panic!("{got:?}");
            }

            let communities: Vec<Community> =
                (0..n as u32).map(|i| Community(0xfde8_0000 | i)).collect();
            let value: Vec<u8> = communities.iter().flat_map(|c| c.0.to_be_bytes()).collect();
            let mut want = Vec::new();
            if value.len() > 255 {
                want.extend_from_slice(&[0xd0, 8]);
                want.extend_from_slice(&(value.len() as u16).to_be_bytes());
            } else {
                want.extend_from_slice(&[0xc0, 8, value.len() as u8]);
            }
            want.extend_from_slice(&value);
            let attr = PathAttribute::new(Attribute::Communities(communities));
            let mut b = BytesMut::new();
            attr.encode(&ctx, &mut b);
            assert_hex_eq(&b, &want, &format!("{n} COMMUNITIES"));
            assert_eq!(attr.wire_len(&ctx), b.len());
            // Decoded, the Extended Length bit is kept as received.
            let got = decode_one(&hex::encode(&b), &ctx).0;
            assert_eq!(got.iter().map(|a| &a.value).collect::<Vec<_>>(), vec![&attr.value]);
        }
    }
}

/// Fixed-size attributes keep an Extended Length bit they were given (a decoded attribute
/// re-encodes as received).
#[test]
fn fixed_values_keep_extended_length() {
    let ctx = Context::modern();
    for hex in
        ["5001000100", "5003000400000001", "90040004000000ff", "50060000", "d023000400000001"]
    {
        let (got, issues) = decode_one(hex, &ctx);
        assert!(issues.is_empty(), "{hex}: {issues:?}");
        let mut b = BytesMut::new();
        got.iter().for_each(|a| a.encode(&ctx, &mut b));
        assert_hex_eq(&b, &hex::decode(hex).unwrap(), hex);
    }
}
