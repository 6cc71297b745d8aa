//! UPDATE test vectors, real captures and round-trip properties.

use core::net::{Ipv4Addr, Ipv6Addr};

use bytes::{Bytes, BytesMut};
use ipnet::IpNet;

use super::*;
use crate::attribute::tests::assert_hex_eq;
use crate::attribute::{
    AsPath, Attribute, Community, ExtendedCommunity, Flags, LargeCommunity, MpNlri, MpReach,
    MpUnreach, NextHop, Origin, PathAttribute,
};
use crate::types::{Afi, Asn, Safi};

fn message(body_hex: &str) -> Bytes {
    let body = hex::decode(body_hex.replace(' ', "")).unwrap();
    let mut v = vec![0xff; 16];
    v.extend_from_slice(&((body.len() + 19) as u16).to_be_bytes());
    v.push(2);
    v.extend_from_slice(&body);
    Bytes::from(v)
}

fn net(s: &str) -> Nlri {
    Nlri::new(s.parse::<IpNet>().unwrap())
}

fn pa(a: Attribute) -> PathAttribute {
    PathAttribute::new(a)
}

fn ctx_add_path(families: &[Family]) -> Context {
    let mut c = Context::modern();
    families.iter().for_each(|f| c.add_path.insert(*f));
    c
}

/// Decodes `body_hex` and compares with `want`; encodes `want` and compares with the bytes.
fn vector(body_hex: &str, ctx: &Context, want: &OwnedUpdate) -> Update {
    let bytes = message(body_hex);
    let u = Update::decode(bytes.clone(), ctx).unwrap();
    assert_eq!(&u.to_owned_update(ctx), want, "{body_hex}");
    let mut b = BytesMut::new();
    want.encode(ctx, &mut b);
    assert_hex_eq(&b, &bytes, body_hex);
    assert_eq!(want.wire_len(ctx), bytes.len());
    let mut b = BytesMut::new();
    u.encode(ctx, &mut b);
    assert_hex_eq(&b, &bytes, "re-encode of the decoded message");
    u
}

fn basic_attrs(nh: bool) -> Vec<PathAttribute> {
    let mut v = vec![
        pa(Attribute::Origin(Origin::Igp)),
        pa(Attribute::AsPath(AsPath::from_sequence([65001, 65002]))),
    ];
    if nh {
        v.push(pa(Attribute::NextHop(Ipv4Addr::new(192, 0, 2, 1))));
    }
    v
}

const BASIC_4: &str = "40010100 40020a02020000fde90000fdea 400304c0000201";

#[test]
fn ipv4_announce() {
    let mut attrs = basic_attrs(true);
    attrs.push(pa(Attribute::MultiExitDisc(10)));
    let want = OwnedUpdate {
        withdrawn: vec![],
        attributes: attrs,
        nlri: vec![net("10.0.0.0/8"), net("192.168.1.0/24")],
    };
    let u = vector(
        &format!("0000 001f {BASIC_4} 8004040000000a 080a 18c0a801"),
        &Context::modern(),
        &want,
    );
    assert_eq!(u.action(), None);
    assert_eq!(u.end_of_rib(), None);
    assert_eq!(u.attributes().multi_exit_disc(), Some(10));
}

#[test]
fn ipv4_two_octet_as() {
    let want = OwnedUpdate {
        attributes: basic_attrs(true),
        nlri: vec![net("10.0.0.0/8")],
        ..Default::default()
    };
    vector("0000 0014 40010100 4002060202fde9fdea 400304c0000201 080a", &Context::legacy(), &want);
}

#[test]
fn ipv4_withdraw_and_end_of_rib() {
    let want = OwnedUpdate { withdrawn: vec![net("10.1.0.0/16")], ..Default::default() };
    let u = vector("0003 100a01 0000", &Context::modern(), &want);
    assert_eq!(u.end_of_rib(), None);
    let u = vector("0000 0000", &Context::modern(), &OwnedUpdate::default());
    assert_eq!(u.end_of_rib(), Some(Family::IPV4_UNICAST));
}

#[test]
fn ipv6_mp_reach_and_unreach() {
    let nh = NextHop::Ipv6LinkLocal {
        global: "2001:db8::1".parse().unwrap(),
        link_local: "fe80::1".parse().unwrap(),
    };
    let mut attrs = vec![pa(Attribute::MpReachNlri(MpReach::new(
        Family::IPV6_UNICAST,
        nh,
        vec![net("2001:db8:1::/48"), net("::/0")],
    )))];
    attrs.extend(basic_attrs(false));
    let want = OwnedUpdate { attributes: attrs, ..Default::default() };
    let reach = [
        "800e2d 000201 20 20010db8000000000000000000000001 fe800000000000000000000000000001 00",
        "3020010db80001 00",
    ]
    .concat();
    let u = vector(
        &format!("0000 0041 {reach} 40010100 40020a02020000fde90000fdea"),
        &Context::modern(),
        &want,
    );
    let routes: Vec<_> = u.announced().collect();
    assert_eq!(
        routes,
        vec![(Family::IPV6_UNICAST, net("2001:db8:1::/48")), (Family::IPV6_UNICAST, net("::/0"))]
    );

    let want = OwnedUpdate {
        attributes: vec![pa(Attribute::MpUnreachNlri(MpUnreach::new(
            Family::IPV6_UNICAST,
            vec![net("2001:db8::/32")],
        )))],
        ..Default::default()
    };
    let u = vector("0000 000b 800f08 000201 2020010db8", &Context::modern(), &want);
    assert_eq!(u.withdrawals().count(), 1);
    assert_eq!(u.end_of_rib(), None);
    let u = vector(
        "0000 0006 800f03 000201",
        &Context::modern(),
        &OwnedUpdate::end_of_rib(Family::IPV6_UNICAST),
    );
    assert_eq!(u.end_of_rib(), Some(Family::IPV6_UNICAST));
}

#[test]
fn add_path_ipv4_and_ipv6() {
    let ctx = ctx_add_path(&[Family::IPV4_UNICAST, Family::IPV6_UNICAST]);
    let want = OwnedUpdate {
        withdrawn: vec![Nlri::with_path_id(7, "10.9.0.0/16".parse().unwrap())],
        attributes: basic_attrs(true),
        nlri: vec![
            Nlri::with_path_id(1, "10.0.0.0/8".parse().unwrap()),
            Nlri::with_path_id(2, "10.0.0.0/8".parse().unwrap()),
        ],
    };
    vector(&format!("0007 00000007100a09 0018 {BASIC_4} 00000001080a 00000002080a"), &ctx, &want);
    let want = OwnedUpdate {
        attributes: vec![pa(Attribute::MpUnreachNlri(MpUnreach::new(
            Family::IPV6_UNICAST,
            vec![Nlri::with_path_id(3, "2001:db8::/32".parse().unwrap())],
        )))],
        ..Default::default()
    };
    vector("0000 000f 800f0c 000201 000000032020010db8", &ctx, &want);
}

#[test]
fn ipv4_with_ipv6_next_hop_rfc8950() {
    let mut ctx = Context::modern();
    ctx.extended_next_hop.insert(Family::IPV4_UNICAST);
    let nh = NextHop::Ipv6("fe80::1".parse().unwrap());
    let mut attrs = vec![pa(Attribute::MpReachNlri(MpReach::new(
        Family::IPV4_UNICAST,
        nh,
        vec![net("10.233.64.0/24")],
    )))];
    attrs.extend(basic_attrs(false));
    let want = OwnedUpdate { attributes: attrs, ..Default::default() };
    let u = vector(
        "0000 002d 800e19 000101 10 fe800000000000000000000000000001 00 180ae940 40010100 40020a02020000fde90000fdea",
        &ctx,
        &want,
    );
    assert!(matches!(u.mp_reach().map(|m| m.next_hop()), Some(NextHop::Ipv6(_))));
    assert_eq!(u.action(), None);
}

#[test]
fn other_families_are_raw() {
    // VPNv4 (SAFI 128) reach with an RD + IPv4 next hop, and a flowspec unreach.
    let vpn = Family::new(Afi::IPV4, Safi::MPLS_VPN);
    let reach = MpReach {
        family: vpn,
        next_hop: NextHop::Other(Bytes::from(hex::decode("0000000000000000c0000201").unwrap())),
        nlri: MpNlri::Raw(Bytes::from(hex::decode("7000064100000001000000010a0000").unwrap())),
    };
    let mut attrs = vec![pa(Attribute::MpReachNlri(reach))];
    attrs.extend(basic_attrs(false));
    let body = "0000 0034 800e20 000180 0c 0000000000000000c0000201 00 7000064100000001000000010a0000 40010100 40020a02020000fde90000fdea";
    let u =
        vector(body, &Context::modern(), &OwnedUpdate { attributes: attrs, ..Default::default() });
    let m = u.mp_reach().unwrap();
    assert_eq!(
        m.next_hop(),
        NextHop::Other(Bytes::from(hex::decode("0000000000000000c0000201").unwrap()))
    );
    assert_eq!(&m.nlri_bytes()[..], &hex::decode("7000064100000001000000010a0000").unwrap()[..]);
    assert_eq!(m.routes().count(), 0);
    let fs = Family::new(Afi::IPV4, Safi::FLOWSPEC);
    let unreach = MpUnreach {
        family: fs,
        nlri: MpNlri::Raw(Bytes::from_static(&[0x05, 0x01, 0x18, 0x0a, 0x00, 0x00])),
    };
    vector(
        "0000 000c 800f09 000185 050118 0a0000",
        &Context::modern(),
        &OwnedUpdate {
            attributes: vec![pa(Attribute::MpUnreachNlri(unreach))],
            ..Default::default()
        },
    );
}

#[test]
fn every_attribute_in_one_update() {
    let attrs = vec![
        pa(Attribute::Origin(Origin::Incomplete)),
        pa(Attribute::AsPath(AsPath::from_sequence([23456]))),
        pa(Attribute::NextHop(Ipv4Addr::new(10, 0, 0, 1))),
        pa(Attribute::MultiExitDisc(0)),
        pa(Attribute::LocalPref(100)),
        pa(Attribute::AtomicAggregate),
        pa(Attribute::Aggregator(crate::attribute::Aggregator {
            asn: Asn(23456),
            address: Ipv4Addr::new(1, 1, 1, 1),
        })),
        pa(Attribute::Communities(vec![Community::NO_EXPORT, Community::new(1, 2)])),
        pa(Attribute::OriginatorId(Ipv4Addr::new(2, 2, 2, 2))),
        pa(Attribute::ClusterList(vec![Ipv4Addr::new(3, 3, 3, 3)])),
        pa(Attribute::ExtendedCommunities(vec![ExtendedCommunity([0, 2, 0, 1, 0, 0, 0, 2])])),
        pa(Attribute::As4Path(AsPath::from_sequence([4_200_000_000]))),
        pa(Attribute::As4Aggregator(crate::attribute::Aggregator {
            asn: Asn(4_200_000_000),
            address: Ipv4Addr::new(1, 1, 1, 1),
        })),
        pa(Attribute::LargeCommunities(vec![LargeCommunity::new(4_200_000_000, 1, 2)])),
        pa(Attribute::Otc(Asn(65000))),
        PathAttribute::with_flags(
            Flags(0xe0),
            Attribute::Unknown {
                type_code: crate::attribute::AttributeType(200),
                value: Bytes::from_static(b"x"),
            },
        ),
    ];
    let want =
        OwnedUpdate { attributes: attrs, nlri: vec![net("10.0.0.0/24")], ..Default::default() };
    let body = [
        "0000 007e",
        "40010102 400204 02015ba0 4003040a000001 80040400000000 40050400000064 400600",
        "c007065ba001010101 c00808ffffff0100010002 80090402020202 800a0403030303",
        "c010080002000100000002 c01106 0201fa56ea00 c01208fa56ea0001010101",
        "c0200cfa56ea000000000100000002 c023040000fde8 e0c80178",
        "180a0000",
    ]
    .concat();
    let ctx = Context::legacy();
    let u = vector(&body, &ctx, &want);
    let (path, agg) = crate::attribute::as4::merge(
        &u.attributes().as_path().unwrap(),
        u.attributes().as4_path().as_ref(),
        u.attributes().aggregator(),
        u.attributes().as4_aggregator(),
    );
    assert_eq!(path, AsPath::from_sequence([4_200_000_000]));
    assert_eq!(agg.map(|a| a.asn), Some(Asn(4_200_000_000)));
}

#[test]
fn non_canonical_prefix_keeps_bytes() {
    // 10.1.1.0/23 has a host bit set: the typed prefix is 10.1.0.0/23, the octets stay.
    let bytes = message(&format!("0000 0018 {BASIC_4} 170a0101"));
    let u = Update::decode(bytes.clone(), &Context::modern()).unwrap();
    assert_eq!(u.nlri().collect::<Vec<_>>(), vec![net("10.1.0.0/23")]);
    let mut b = BytesMut::new();
    u.encode(&Context::modern(), &mut b);
    assert_eq!(&b[..], &bytes[..]);
    assert!(!nlri::is_canonical(u.nlri_bytes(), false));
}

#[test]
fn session_reset_errors() {
    let m = Context::modern();
    let cases: &[(&str, u8, usize)] = &[
        // Withdrawn Routes Length overruns the message.
        ("0005 0a", sub::MALFORMED_ATTRIBUTE_LIST, 19),
        // Total Path Attribute Length overruns the message.
        ("0000 0010 40010100", sub::MALFORMED_ATTRIBUTE_LIST, 21),
        // Only one octet of Withdrawn Routes Length.
        ("00", sub::MALFORMED_ATTRIBUTE_LIST, 19),
        // A withdrawn prefix longer than 32 bits.
        ("0002 2101 0000", sub::INVALID_NETWORK_FIELD, 21),
        // An NLRI prefix that overruns the field.
        ("0000 0000 180a00", sub::INVALID_NETWORK_FIELD, 23),
    ];
    for (body, subcode, offset) in cases {
        let e = Update::decode(message(body), &m).unwrap_err();
        assert_eq!(
            (e.code, e.subcode, e.offset),
            (ErrorCode::UPDATE_MESSAGE, *subcode, *offset),
            "{body}"
        );
    }
    assert!(Update::decode(Bytes::from_static(&[0xff; 10]), &m).is_err());
}

#[test]
fn rfc7606_outcomes_beside_the_message() {
    let m = Context::modern();
    // Missing NEXT_HOP with NLRI: treat-as-withdraw, data = the missing type code.
    let u =
        Update::decode(message("0000 0011 40010100 40020a02020000fde90000fdea 080a"), &m).unwrap();
    assert_eq!(u.action(), Some(Action::TreatAsWithdraw));
    assert_eq!(u.issues()[0].error.subcode, sub::MISSING_WELL_KNOWN_ATTRIBUTE);
    assert_eq!(&u.issues()[0].error.data[..], &[3]);
    assert_eq!(u.nlri().count(), 1);
    // A withdraw-only UPDATE needs no attribute.
    let u = Update::decode(message("0002 080a 0000"), &m).unwrap();
    assert_eq!(u.action(), None);
    // Malformed ATOMIC_AGGREGATE: discarded, the rest is used.
    let u = Update::decode(message(&format!("0000 001c {BASIC_4} 40060100 080a")), &m).unwrap();
    assert_eq!(u.action(), Some(Action::AttributeDiscard));
    assert!(!u.attributes().atomic_aggregate());
    assert_eq!(u.issues()[0].error.offset, 19 + 4 + 24);
    // MP_REACH with a 3-octet next hop for IPv6: AFI/SAFI disable.
    let u = Update::decode(message("0000 0009 800e06 000201 03 000000"), &m).unwrap();
    assert_eq!(u.action(), Some(Action::AfiSafiDisable));
    assert!(u.mp_reach().is_none());
    // Two MP_UNREACH: session reset, yet decoded.
    let u = Update::decode(message("0000 000c 800f03000201 800f03000201"), &m).unwrap();
    assert_eq!(u.action(), Some(Action::SessionReset));
    // Attribute list overrun inside the Total Path Attribute Length: treat-as-withdraw.
    let u = Update::decode(message("0000 0006 40010100 4002 080a"), &m).unwrap();
    assert_eq!(u.action(), Some(Action::TreatAsWithdraw));
    assert_eq!(u.attributes().origin(), Some(Origin::Igp));
}

/// Contexts to try on a capture whose OPENs are not at hand.
fn candidate_contexts() -> Vec<Context> {
    let both = [Family::IPV4_UNICAST, Family::IPV6_UNICAST];
    let mut legacy_ap = Context::legacy();
    both.iter().for_each(|f| legacy_ap.add_path.insert(*f));
    vec![Context::modern(), Context::legacy(), ctx_add_path(&both), legacy_ap]
}

/// Decodes a real message under the first context that takes it without issue, checks that
/// the owned form re-encodes to the same octets (or names the non-canonical difference), and
/// returns the context used and whether the message is non-canonical.
fn check_capture(name: &str, bytes: Bytes) -> Option<(Context, bool)> {
    // Without the OPENs at hand, a context is right when the message decodes without issue
    // and its typed form re-encodes to the same octets; a wrong ADD-PATH guess can decode
    // but reads path identifiers as prefixes.
    let mut fallback = None;
    for ctx in candidate_contexts() {
        let Ok(u) = Update::decode(bytes.clone(), &ctx) else { continue };
        if u.action().is_some() {
            continue;
        }
        let mut b = BytesMut::new();
        u.to_owned_update(&ctx).encode(&ctx, &mut b);
        if b[..] == bytes[..] {
            return Some((ctx, false));
        }
        // The one accepted difference: host bits set beyond a prefix length, which the typed
        // prefix clears.
        let non_canonical = !nlri::is_canonical(u.nlri_bytes(), u.add_path)
            || !nlri::is_canonical(u.withdrawn_bytes(), u.add_path);
        if non_canonical && fallback.is_none() {
            fallback = Some((ctx, true));
        }
    }
    if fallback.is_none() {
        eprintln!("{name}: no context decodes and re-encodes {}", hex::encode(&bytes));
    }
    fallback
}

/// Checks every `name hex` line; returns how many were clean, the names of those that were
/// not, and the names of non-canonical ones.
fn run_captures(lines: &str) -> (usize, Vec<String>, Vec<String>) {
    let mut ok = 0;
    let mut failed = Vec::new();
    let mut non_canonical = Vec::new();
    for line in lines.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let (name, hex) = line.split_once(' ').unwrap();
        let bytes = Bytes::from(hex::decode(hex).unwrap());
        match check_capture(name, bytes) {
            Some((_, nc)) => {
                ok += 1;
                if nc {
                    non_canonical.push(name.to_string());
                }
            }
            None => failed.push(name.to_string()),
        }
    }
    (ok, failed, non_canonical)
}

/// Captures whose UPDATEs are malformed: deliberately (the vector collection's README names
/// the `tcpdump-malformed-*` ones) or not. They must decode to an error or to issues, never
/// panic.
const MALFORMED: &[(&str, &str)] = &[
    ("tcpdump-malformed-as-path-oobr.pcap", "AS_PATH segment overrun"),
    ("tcpdump-malformed-infinite-loop.pcap", "attribute list overrun"),
    ("tcpdump-malformed-vpn-rt-oobr.pcap", "MP_REACH NLRI overrun"),
    ("tcpdump-malformed-mvpn-oobr.pcap", "MP_REACH NLRI overrun"),
    ("tcpdump-malformed-pmsi-tunnel-oobr.pcap", "attribute overrun"),
    ("tcpdump-malformed-aigp-oobr.pcap", "attribute overrun"),
    ("tcpdump-malformed-bgpsec-signature-block-length.pcap", "attribute overrun"),
    // A hand-made test UPDATE with a zero-length NEXT_HOP: RFC 7606 §7.3 treat-as-withdraw.
    ("tcpdump-addpath-ipv4-ipv6.pcap", "NEXT_HOP length 0"),
];

#[test]
fn real_captures_round_trip() {
    let (ok, failed, non_canonical) = run_captures(include_str!("testdata/captures.txt"));
    assert_eq!(non_canonical, Vec::<String>::new());
    let unexpected: Vec<_> =
        failed.iter().filter(|n| !MALFORMED.iter().any(|(m, _)| m == n)).collect();
    assert!(unexpected.is_empty(), "not decoded cleanly: {unexpected:?}");
    assert!(ok > 300, "{ok}");
}

#[test]
fn malformed_captures_are_classified() {
    for line in include_str!("testdata/captures.txt").lines().filter(|l| !l.starts_with('#')) {
        let Some((name, hex)) = line.split_once(' ') else { continue };
        if !MALFORMED.iter().any(|(m, _)| *m == name) {
            continue;
        }
        let bytes = Bytes::from(hex::decode(hex).unwrap());
        for ctx in candidate_contexts() {
            match Update::decode(bytes.clone(), &ctx) {
                Ok(u) => {
                    let _ = u.to_owned_update(&ctx);
                    let _ = u.announced().count() + u.withdrawals().count();
                }
                Err(e) => assert_eq!(e.code, ErrorCode::UPDATE_MESSAGE),
            }
        }
    }
}

/// Decodes `bytes` both ways, kept ([`Update`]) and borrowed ([`UpdateRef`]), and checks that
/// both give the same result: the same error, or the same issues, routes and attributes.
fn same_when_borrowed(bytes: &Bytes, ctx: &Context) {
    let kept = Update::decode(bytes.clone(), ctx);
    let borrowed = UpdateRef::decode(&bytes[..], ctx);
    match (&kept, &borrowed) {
        (Err(a), Err(b)) => assert_eq!(a, b, "{}", hex::encode(bytes)),
        (Ok(a), Ok(b)) => {
            assert_eq!(a.issues(), b.issues(), "{}", hex::encode(bytes));
            assert_eq!(a.to_owned_update(ctx), b.to_owned_update(ctx));
            assert_eq!(a.announced().collect::<Vec<_>>(), b.announced().collect::<Vec<_>>());
            assert_eq!(a.withdrawals().collect::<Vec<_>>(), b.withdrawals().collect::<Vec<_>>());
            assert_eq!(a.end_of_rib(), b.end_of_rib());
            assert_eq!(a.attributes().as_path(), b.attributes().as_path());
            assert_eq!(a.mp_reach().map(|m| m.next_hop()), b.mp_reach().map(|m| m.next_hop()));
            assert_eq!(
                a.mp_unreach().map(|m| m.nlri_bytes()),
                b.mp_unreach().map(|m| m.nlri_bytes())
            );
            let (mut x, mut y) = (BytesMut::new(), BytesMut::new());
            a.encode(ctx, &mut x);
            b.encode(ctx, &mut y);
            assert_eq!(x, y);
            assert_eq!(b.octets(), &bytes[..]);
        }
        _ => panic!("kept {kept:?}, borrowed {borrowed:?}"),
    }
}

#[test]
fn borrowed_view_agrees_on_every_capture() {
    let mut n = 0;
    for line in include_str!("testdata/captures.txt").lines().filter(|l| !l.starts_with('#')) {
        let Some((_, hex)) = line.split_once(' ') else { continue };
        let bytes = Bytes::from(hex::decode(hex).unwrap());
        for ctx in candidate_contexts() {
            same_when_borrowed(&bytes, &ctx);
        }
        n += 1;
    }
    assert!(n > 300, "{n}");
}

#[test]
fn decode_message_checks_the_header() {
    let msg = message("0000 0000");
    let u = UpdateRef::decode_message(&msg[..], &Context::modern()).unwrap();
    assert_eq!(u.end_of_rib(), Some(Family::IPV4_UNICAST));
    // Marker, length field and type are those of the message header (RFC 4271 §4.1).
    let mut bad_marker = msg.to_vec();
    bad_marker[0] = 0;
    let e = UpdateRef::decode_message(&bad_marker, &Context::modern()).unwrap_err();
    assert_eq!(e.code, ErrorCode::MESSAGE_HEADER);
    let e = UpdateRef::decode_message(&msg[..msg.len() - 1], &Context::modern()).unwrap_err();
    assert_eq!(e.code, ErrorCode::MESSAGE_HEADER);
    // A well-formed ROUTE-REFRESH header (23 octets, like this message).
    let mut refresh = msg.to_vec();
    refresh[18] = 5;
    let e = Update::decode_message(Bytes::from(refresh), &Context::modern()).unwrap_err();
    assert_eq!((e.code, e.subcode), (ErrorCode::MESSAGE_HEADER, header_sub::BAD_MESSAGE_TYPE));
}

/// The `n`th UPDATE of capture `name` in the copied test data.
fn copied(name: &str, n: usize) -> Bytes {
    let line = include_str!("testdata/captures.txt")
        .lines()
        .filter(|l| l.split_once(' ').is_some_and(|(f, _)| f == name))
        .nth(n)
        .unwrap();
    Bytes::from(hex::decode(line.split_once(' ').unwrap().1).unwrap())
}

#[test]
fn real_large_communities() {
    let u = Update::decode(copied("tcpdump-large-community.pcap", 0), &Context::modern()).unwrap();
    let lc: Vec<_> = u.attributes().large_communities().collect();
    assert_eq!(
        lc,
        vec![LargeCommunity::new(65535, 1, 1), LargeCommunity::new(u32::MAX, u32::MAX, u32::MAX)]
    );
    assert_eq!(u.attributes().as_path(), Some(AsPath::from_sequence([65536])));
}

#[test]
fn real_link_bandwidth_and_otc() {
    use crate::attribute::community::ExtendedCommunityKind;
    let u =
        Update::decode(copied("tcpdump-frr-link-bandwidth-extcomm.pcapng", 0), &Context::modern())
            .unwrap();
    let ec: Vec<_> = u.attributes().extended_communities().map(|e| e.kind()).collect();
    assert_eq!(ec, vec![ExtendedCommunityKind::LinkBandwidth { asn: 65000, bandwidth: 125_000.0 }]);
    // FRR sends an empty AS_PATH with the Extended Length bit; it is kept.
    assert_eq!(
        u.attributes().get(crate::attribute::AttributeType::AS_PATH).unwrap().flags,
        Flags(0x50)
    );
    let otc = (0..9)
        .map(|i| {
            Update::decode(copied("tcpdump-frr-bgp-role-otc.pcapng", i), &Context::modern())
                .unwrap()
        })
        .find_map(|u| u.attributes().otc());
    assert_eq!(otc, Some(Asn(65001)));
}

#[test]
fn real_ipv6_link_local_next_hop() {
    let u =
        Update::decode(copied("tcpdump-mpbgp-ipv6-linklocal-nexthop.pcap", 0), &Context::legacy())
            .unwrap();
    let m = u.mp_reach().unwrap();
    assert_eq!(
        m.next_hop(),
        NextHop::Ipv6LinkLocal {
            global: "dead:beef::1".parse().unwrap(),
            link_local: "fe80::1ff:fe01:0".parse().unwrap()
        }
    );
    assert_eq!(m.routes().collect::<Vec<_>>(), vec![net("4:5::/64")]);
}

/// AS4 mixed, AS_SET and confederation captures from the shared collection (not copied
/// here: GPL or no licence), with the values a reader of the capture sees.
#[test]
fn shared_as4_as_set_confed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors/bgp");
    let read = |name: &str| {
        let path = dir.join(name);
        if !path.exists() {
            eprintln!("SKIPPED: {} is absent", path.display());
            return None;
        }
        tshark_updates(&path)
    };
    let legacy = Context::legacy();
    if let Some(msgs) = read("packetlife-cisco-ios-4byte-as-mixed-2byte-peer.pcap") {
        let merged: Vec<_> = msgs
            .iter()
            .map(|m| {
                let a = Update::decode(m.clone(), &legacy).unwrap();
                let a = a.attributes();
                crate::attribute::as4::merge(
                    &a.as_path().unwrap(),
                    a.as4_path().as_ref(),
                    a.aggregator(),
                    None,
                )
                .0
            })
            .collect();
        // 10.1 and 40.1 in asdot.
        assert!(merged.contains(&AsPath::from_sequence([655_361, 2_621_441])), "{merged:?}");
        assert!(merged.contains(&AsPath::from_sequence([2, 2_621_441])), "{merged:?}");
    }
    if let Some(msgs) = read("packetlife-cisco-ios-as-set.pcap") {
        let paths: Vec<_> = msgs
            .iter()
            .filter_map(|m| Update::decode(m.clone(), &legacy).ok()?.attributes().as_path())
            .map(|p| p.to_string())
            .collect();
        assert!(paths.contains(&"30 {10,20}".to_string()), "{paths:?}");
    }
    if let Some(msgs) = read("packetlife-confed-sequence.pcapng") {
        let paths: Vec<_> = msgs
            .iter()
            .filter_map(|m| Update::decode(m.clone(), &legacy).ok()?.attributes().as_path())
            .map(|p| p.to_string())
            .collect();
        assert!(paths.contains(&"(65522 65511)".to_string()), "{paths:?}");
    }
}

/// The UPDATE messages of a capture: tshark lists every TCP segment, the segments of each
/// direction of each connection are put back in sequence order (retransmissions dropped), and
/// the byte stream is cut into messages. `None` when tshark cannot be run.
fn tshark_updates(path: &std::path::Path) -> Option<Vec<Bytes>> {
    use std::collections::BTreeMap;
    let out = std::process::Command::new("tshark")
        .arg("-r")
        .arg(path)
        .args(["-Y", "tcp.len > 0", "-T", "fields", "-e", "tcp.stream", "-e", "tcp.srcport"])
        .args(["-e", "tcp.seq_raw", "-e", "tcp.payload"])
        .output()
        .ok()?;
    let mut flows: BTreeMap<(u32, u32), BTreeMap<u32, Vec<u8>>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let f: Vec<_> = line.split('\t').collect();
        let (Some(stream), Some(port), Some(seq), Some(payload)) =
            (f.first(), f.get(1), f.get(2), f.get(3))
        else {
            continue;
        };
        let (Ok(stream), Ok(port), Ok(seq), Ok(payload)) =
            (stream.parse(), port.parse(), seq.parse(), hex::decode(payload.replace(':', "")))
        else {
            continue;
        };
        flows.entry((stream, port)).or_default().entry(seq).or_insert(payload);
    }
    let mut msgs = Vec::new();
    for segments in flows.values() {
        let mut stream = Vec::new();
        let mut next: Option<u32> = None;
        for (&seq, payload) in segments {
            let skip = match next {
                Some(n) if seq.wrapping_sub(n) as i32 > 0 => break, // a gap: stop this flow
                Some(n) => n.wrapping_sub(seq) as usize,
                None => 0,
            };
            if let Some(new) = payload.get(skip..) {
                stream.extend_from_slice(new);
                next = Some(seq.wrapping_add(payload.len() as u32));
            }
        }
        let mut rest = &stream[..];
        while rest.len() >= 19 && rest[..16] == [0xff; 16] {
            let len = usize::from(u16::from_be_bytes([rest[16], rest[17]]));
            if len < 19 || len > rest.len() {
                break;
            }
            if rest[18] == 2 {
                msgs.push(Bytes::copy_from_slice(&rest[..len]));
            }
            rest = &rest[len..];
        }
    }
    Some(msgs)
}

/// Runs [`check_capture`] over every UPDATE of every capture in `dir` (skipping names that
/// `skip` accepts); returns how many were checked, or `None` when the folder or tshark is
/// missing.
fn sweep(dir: &std::path::Path, skip: impl Fn(&str) -> bool) -> Option<usize> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        eprintln!("SKIPPED: {} is absent", dir.display());
        return None;
    };
    let mut lines = String::new();
    let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    files.sort();
    for path in files {
        let name = path.file_name()?.to_string_lossy().into_owned();
        if skip(&name) || !(name.ends_with(".pcap") || name.ends_with(".pcapng")) {
            continue;
        }
        let Some(msgs) = tshark_updates(&path) else {
            eprintln!("SKIPPED: tshark is not installed");
            return None;
        };
        for m in msgs {
            lines.push_str(&format!("{name} {}\n", hex::encode(&m)));
        }
    }
    let (ok, failed, non_canonical) = run_captures(&lines);
    assert_eq!(non_canonical, Vec::<String>::new(), "non-canonical prefixes");
    let unexpected: Vec<_> =
        failed.iter().filter(|n| !MALFORMED.iter().any(|(m, _)| m == n)).collect();
    assert!(unexpected.is_empty(), "not decoded cleanly: {unexpected:?}");
    Some(ok)
}

/// Every UPDATE of the captures of the shared vector collection (`../shared/vectors/bgp`)
/// that are not copied here (their licences do not allow it), extracted with tshark.
#[test]
fn shared_vector_collection() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors/bgp");
    let copied = |n: &str| ["tcpdump-", "pmacct-", "netgauze-"].iter().any(|p| n.starts_with(p));
    if let Some(n) = sweep(&dir, copied) {
        eprintln!("{n} UPDATEs of the shared collection decoded and re-encoded");
    }
}

/// Every UPDATE of the project's own captures (FRR, BIRD, GoBGP; `tests/data/captures`).
#[test]
fn project_captures() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/captures");
    if let Some(n) = sweep(&dir, |_| false) {
        eprintln!("{n} UPDATEs of the project captures decoded and re-encoded");
        assert!(n > 500, "{n}");
    }
}

mod properties {
    use super::*;
    use crate::attribute::{Aggregator, AttributeType, Segment, SegmentType};
    use proptest::collection::vec;
    use proptest::option;
    use proptest::prelude::*;

    fn context() -> impl Strategy<Value = Context> {
        (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
            |(four, ext, ap4, ap6)| {
                let mut c =
                    Context { four_octet_as: four, extended_message: ext, ..Context::default() };
                if ap4 {
                    c.add_path.insert(Family::IPV4_UNICAST);
                }
                if ap6 {
                    c.add_path.insert(Family::IPV6_UNICAST);
                }
                c
            },
        )
    }

    fn route(v6: bool, add_path: bool) -> impl Strategy<Value = Nlri> {
        let prefix = if v6 {
            (any::<u128>(), 0..=128u8)
                .prop_map(|(a, l)| IpNet::new(Ipv6Addr::from(a).into(), l).unwrap().trunc())
                .boxed()
        } else {
            (any::<u32>(), 0..=32u8)
                .prop_map(|(a, l)| IpNet::new(Ipv4Addr::from(a).into(), l).unwrap().trunc())
                .boxed()
        };
        let id = if add_path { any::<u32>().prop_map(Some).boxed() } else { Just(None).boxed() };
        (id, prefix).prop_map(|(path_id, prefix)| Nlri { path_id, prefix })
    }

    fn asn(four: bool) -> BoxedStrategy<Asn> {
        if four {
            any::<u32>().prop_map(Asn).boxed()
        } else {
            (0..=0xffffu32).prop_map(Asn).boxed()
        }
    }

    fn as_path(four: bool) -> impl Strategy<Value = AsPath> {
        vec((1..=4u8, vec(asn(four), 1..6)), 0..4).prop_map(|segs| AsPath {
            segments: segs
                .into_iter()
                .map(|(k, asns)| Segment { kind: SegmentType(k), asns })
                .collect(),
        })
    }

    fn aggregator(four: bool) -> impl Strategy<Value = Aggregator> {
        (asn(four), any::<u32>())
            .prop_map(|(asn, a)| Aggregator { asn, address: Ipv4Addr::from(a) })
    }

    fn v6_next_hop() -> impl Strategy<Value = NextHop> {
        prop_oneof![
            any::<u128>().prop_map(|a| NextHop::Ipv6(Ipv6Addr::from(a))),
            (any::<u128>(), any::<u128>()).prop_map(|(g, l)| NextHop::Ipv6LinkLocal {
                global: Ipv6Addr::from(g),
                link_local: Ipv6Addr::from(l)
            }),
        ]
    }

    fn mp_reach(ctx: &Context) -> impl Strategy<Value = Attribute> {
        let ap4 = ctx.has_path_id(Family::IPV4_UNICAST);
        let ap6 = ctx.has_path_id(Family::IPV6_UNICAST);
        let evpn = Family::new(Afi::L2VPN, Safi::EVPN);
        prop_oneof![
            (v6_next_hop(), vec(route(true, ap6), 0..8)).prop_map(|(nh, r)| MpReach::new(
                Family::IPV6_UNICAST,
                nh,
                r
            )),
            (
                prop_oneof![any::<u32>().prop_map(|a| NextHop::Ipv4(a.into())), v6_next_hop()],
                vec(route(false, ap4), 0..8)
            )
                .prop_map(|(nh, r)| MpReach::new(Family::IPV4_UNICAST, nh, r)),
            (vec(any::<u8>(), 0..24), vec(any::<u8>(), 0..40)).prop_map(move |(nh, raw)| MpReach {
                family: evpn,
                next_hop: NextHop::Other(nh.into()),
                nlri: MpNlri::Raw(raw.into()),
            }),
        ]
        .prop_map(Attribute::MpReachNlri)
    }

    fn mp_unreach(ctx: &Context) -> impl Strategy<Value = Attribute> {
        let ap6 = ctx.has_path_id(Family::IPV6_UNICAST);
        let fs = Family::new(Afi::IPV4, Safi::FLOWSPEC);
        prop_oneof![
            vec(route(true, ap6), 0..8).prop_map(|r| MpUnreach::new(Family::IPV6_UNICAST, r)),
            vec(any::<u8>(), 0..40)
                .prop_map(move |raw| MpUnreach { family: fs, nlri: MpNlri::Raw(raw.into()) }),
        ]
        .prop_map(Attribute::MpUnreachNlri)
    }

    fn attributes(ctx: &Context) -> impl Strategy<Value = Vec<PathAttribute>> {
        let four = ctx.four_octet_as;
        let ip = || any::<u32>().prop_map(Ipv4Addr::from);
        let well_known = (
            option::of(prop_oneof![Just(Origin::Igp), Just(Origin::Egp), Just(Origin::Incomplete)]),
            option::of(as_path(four)),
            option::of(ip()),
            option::of(any::<u32>()),
            option::of(any::<u32>()),
            any::<bool>(),
            option::of(aggregator(four)),
        )
            .prop_map(|(o, p, nh, med, lp, atomic, agg)| {
                let mut v = Vec::new();
                v.extend(o.map(Attribute::Origin));
                v.extend(p.map(Attribute::AsPath));
                v.extend(nh.map(Attribute::NextHop));
                v.extend(med.map(Attribute::MultiExitDisc));
                v.extend(lp.map(Attribute::LocalPref));
                if atomic {
                    v.push(Attribute::AtomicAggregate);
                }
                v.extend(agg.map(Attribute::Aggregator));
                v
            });
        let optional = (
            option::of(vec(any::<u32>().prop_map(Community), 1..6)),
            option::of(ip()),
            option::of(vec(ip(), 1..4)),
            option::of(vec(any::<[u8; 8]>().prop_map(ExtendedCommunity), 1..4)),
            option::of(as_path(true)),
            option::of(aggregator(true)),
            option::of(vec(
                (any::<u32>(), any::<u32>(), any::<u32>())
                    .prop_map(|(a, b, c)| LargeCommunity::new(a, b, c)),
                1..4,
            )),
            option::of(any::<u32>().prop_map(Asn)),
            option::of(mp_reach(ctx)),
            option::of(mp_unreach(ctx)),
        )
            .prop_map(|(c, oid, cl, ec, p4, a4, lc, otc, reach, unreach)| {
                let mut v = Vec::new();
                v.extend(reach);
                v.extend(unreach);
                v.extend(c.map(Attribute::Communities));
                v.extend(oid.map(Attribute::OriginatorId));
                v.extend(cl.map(Attribute::ClusterList));
                v.extend(ec.map(Attribute::ExtendedCommunities));
                v.extend(p4.map(Attribute::As4Path));
                v.extend(a4.map(Attribute::As4Aggregator));
                v.extend(lc.map(Attribute::LargeCommunities));
                v.extend(otc.map(Attribute::Otc));
                v
            });
        let unknown = vec((100..110u8, 0..8u8, vec(any::<u8>(), 0..10)), 0..3).prop_map(|v| {
            let mut seen = 0u32;
            v.into_iter()
                .filter(|(t, _, _)| {
                    let first = seen & (1 << (t - 100)) == 0;
                    seen |= 1 << (t - 100);
                    first
                })
                .map(|(t, f, value)| {
                    PathAttribute::with_flags(
                        Flags(Flags::OPTIONAL | (f << 4) & 0x70),
                        Attribute::Unknown { type_code: AttributeType(t), value: value.into() },
                    )
                })
                .collect::<Vec<_>>()
        });
        (well_known, optional, unknown, vec(any::<bool>(), 20)).prop_map(|(w, o, u, ext)| {
            let mut v: Vec<_> = w.into_iter().chain(o).map(PathAttribute::new).collect();
            for (a, e) in v.iter_mut().zip(ext) {
                if e {
                    a.flags.0 |= Flags::EXTENDED_LENGTH;
                }
            }
            v.extend(u);
            v
        })
    }

    fn update() -> impl Strategy<Value = (Context, OwnedUpdate)> {
        context().prop_flat_map(|ctx| {
            let ap = ctx.has_path_id(Family::IPV4_UNICAST);
            (vec(route(false, ap), 0..20), attributes(&ctx), vec(route(false, ap), 0..20)).prop_map(
                move |(withdrawn, attributes, nlri)| {
                    (ctx.clone(), OwnedUpdate { withdrawn, attributes, nlri })
                },
            )
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn decode_encode_round_trip((ctx, u) in update()) {
            let mut b = BytesMut::new();
            u.encode(&ctx, &mut b);
            prop_assert_eq!(b.len(), u.wire_len(&ctx));
            let bytes = b.freeze();
            let d = Update::decode(bytes.clone(), &ctx).unwrap();
            prop_assert!(
                d.issues().iter().all(|i| i.error.subcode == sub::MISSING_WELL_KNOWN_ATTRIBUTE),
                "{:?}", d.issues()
            );
            prop_assert_eq!(d.to_owned_update(&ctx), u);
            let mut again = BytesMut::new();
            d.encode(&ctx, &mut again);
            prop_assert_eq!(&again[..], &bytes[..]);
        }

        #[test]
        fn arbitrary_bytes_never_panic(body in vec(any::<u8>(), 0..300), ctx in context()) {
            let mut v = vec![0xff; 16];
            v.extend_from_slice(&((body.len() + 19) as u16).to_be_bytes());
            v.push(2);
            v.extend_from_slice(&body);
            if let Ok(u) = Update::decode(Bytes::from(v), &ctx) {
                let o = u.to_owned_update(&ctx);
                let _ = o.wire_len(&ctx);
                let _ = u.announced().count() + u.withdrawals().count() + u.attributes().iter().count();
                let _ = (u.end_of_rib(), u.action(), u.attributes().as_path(), u.attributes().aggregator());
            }
        }

        /// Messages of random attributes (known type codes, random flags and short values):
        /// decoding never panics, every issue points inside the message, and the owned form
        /// of what was kept re-encodes into a message without attribute faults.
        #[test]
        fn random_attributes_sanitize(
            ctx in context(),
            attrs in vec((any::<u8>(), prop_oneof![1..=18u8, Just(32u8), Just(35u8), any::<u8>()], vec(any::<u8>(), 0..14)), 0..8),
            nlri in vec(route(false, false), 0..3),
        ) {
            let mut body = vec![0u8, 0];
            let mut list = Vec::new();
            for (flags, t, value) in &attrs {
                let flags = flags & !Flags::EXTENDED_LENGTH;
                list.extend_from_slice(&[flags, *t, value.len() as u8]);
                list.extend_from_slice(value);
            }
            body.extend_from_slice(&(list.len() as u16).to_be_bytes());
            body.extend_from_slice(&list);
            let ap = ctx.has_path_id(Family::IPV4_UNICAST);
            let mut n = BytesMut::new();
            nlri.iter().for_each(|r| {
                let r = Nlri { path_id: ap.then_some(1), ..*r };
                r.encode(ap, &mut n)
            });
            body.extend_from_slice(&n);
            let msg = message(&hex::encode(&body));
            same_when_borrowed(&msg, &ctx);
            let Ok(u) = Update::decode(msg.clone(), &ctx) else { return Ok(()) };
            for i in u.issues() {
                prop_assert!(i.error.offset <= msg.len(), "{:?}", i);
            }
            let owned = u.to_owned_update(&ctx);
            let again = owned.to_update(&ctx).unwrap();
            prop_assert!(
                again.issues().iter().all(|i| i.error.subcode == sub::MISSING_WELL_KNOWN_ATTRIBUTE),
                "{:?}", again.issues()
            );
            prop_assert_eq!(again.to_owned_update(&ctx), owned);
        }

        #[test]
        fn mutated_real_messages_never_panic(i in 0usize..400, pos in any::<usize>(), byte in any::<u8>()) {
            let lines: Vec<_> = include_str!("testdata/captures.txt").lines().filter(|l| !l.starts_with('#')).collect();
            let (_, hex) = lines[i % lines.len()].split_once(' ').unwrap();
            let mut v = hex::decode(hex).unwrap();
            let at = 19 + pos % (v.len() - 19).max(1);
            if at < v.len() {
                v[at] = byte;
            }
            for ctx in candidate_contexts() {
                if let Ok(u) = Update::decode(Bytes::from(v.clone()), &ctx) {
                    let _ = u.to_owned_update(&ctx);
                    let _ = u.announced().count() + u.withdrawals().count();
                }
                same_when_borrowed(&Bytes::from(v.clone()), &ctx);
            }
        }
    }
}
