//! OPEN tests: vectors both ways, real speakers' OPENs, errors, negotiation, round trips.

use super::*;
use crate::capability::{AddPathDirection, GracefulRestartFamily, LongLivedGrFamily};
use crate::message::testutil::{assert_hex_eq, hex};
use proptest::prelude::*;

const M: &str = "ffffffffffffffffffffffffffffffff";

fn encode(o: &Open) -> Vec<u8> {
    let mut b = BytesMut::new();
    o.encode(&Context::legacy(), &mut b);
    b.to_vec()
}

fn decode(h: &str) -> Result<Open, Error> {
    Open::decode(Bytes::from(hex(h)), &Context::legacy())
}

fn id(a: u8, b: u8, c: u8, d: u8) -> Ipv4Addr {
    Ipv4Addr::new(a, b, c, d)
}

/// (hex, value) pairs used both ways.
fn vectors() -> Vec<(String, Open)> {
    vec![
        // No optional parameters (RFC 4271 only).
        (
            format!("{M} 001d 01 04 fe09 00b4 c0a8000f 00"),
            Open::new(Asn(65033), 180, id(192, 168, 0, 15), vec![]),
        ),
        // All capabilities in one parameter, 4-octet AS with AS_TRANS in My AS.
        (
            format!(
                "{M} 0035 01 04 5ba0 005a 0a000001 18 02 16
                 01 04 0001 00 01   41 04 0001 0000   02 00   46 00   45 04 0001 01 03"
            ),
            Open::new(
                Asn(65536),
                90,
                id(10, 0, 0, 1),
                vec![
                    Capability::Multiprotocol(Family::IPV4_UNICAST),
                    Capability::FourOctetAs(Asn(65536)),
                    Capability::RouteRefresh,
                    Capability::EnhancedRouteRefresh,
                    Capability::AddPath(vec![AddPathFamily {
                        family: Family::IPV4_UNICAST,
                        direction: AddPathDirection::BOTH,
                    }]),
                ],
            ),
        ),
        // One capability per parameter, and a raw non-capability parameter.
        (
            format!("{M} 0027 01 04 fde8 0003 01020304 0a 02 02 06 00 01 04 deadbeef"),
            Open {
                my_as: 65000,
                hold_time: 3,
                bgp_id: id(1, 2, 3, 4),
                params: vec![
                    OptionalParameter::Capabilities(vec![Capability::ExtendedMessage]),
                    OptionalParameter::Other {
                        param_type: 1,
                        value: Bytes::from_static(&[0xde, 0xad, 0xbe, 0xef]),
                    },
                ],
                params_encoding: ParamsEncoding::Classic,
            },
        ),
        // RFC 9072 encoding asked for although it is not needed.
        (
            format!("{M} 0026 01 04 fde8 0000 01020304 ff ff 0006 02 0003 09 01 04"),
            Open {
                my_as: 65000,
                hold_time: 0,
                bgp_id: id(1, 2, 3, 4),
                params: vec![OptionalParameter::Capabilities(vec![Capability::Role(
                    BgpRole::PEER,
                )])],
                params_encoding: ParamsEncoding::EXTENDED,
            },
        ),
    ]
}

#[test]
fn vectors_decode() {
    for (h, want) in vectors() {
        let got = Open::decode_unvalidated(Bytes::from(hex(&h)), &Context::legacy());
        assert_eq!(got, Ok(want), "{h}");
    }
}

#[test]
fn vectors_encode() {
    for (h, o) in vectors() {
        assert_hex_eq(&encode(&o), &hex(&h));
        assert_eq!(o.encoded_len(), hex(&h).len());
    }
}

/// An OPEN from the captures, by source file and position among that file's OPENs.
fn captured(source: &str, nth: usize) -> Open {
    let line = include_str!("../message/captured.txt")
        .lines()
        .filter(|l| l.starts_with(source))
        .filter_map(|l| l.split_once(' ').map(|(_, h)| h))
        .filter(|h| h.get(36..38) == Some("01"))
        .nth(nth);
    let Some(h) = line else { panic!("no OPEN {nth} from {source}") };
    let o = Open::decode_unvalidated(Bytes::from(hex(h)), &Context::legacy())
        .unwrap_or_else(|e| panic!("{source}: {e}"));
    assert_hex_eq(&encode(&o), &hex(h));
    o
}

#[test]
fn frr_with_role_hostname_gr_llgr() {
    let o = captured("tcpdump-frr-bgp-role-otc", 0);
    assert_eq!(o.asn(), Asn(65002));
    assert_eq!(o.role(), Some(BgpRole::CUSTOMER));
    assert_eq!(o.fqdn().and_then(Fqdn::hostname_str), Some("donatas-pc"));
    assert_eq!(o.fqdn().and_then(Fqdn::domain_str), Some(""));
    let gr = o.graceful_restart().unwrap();
    assert_eq!((gr.restart_flags, gr.restart_time), (0x4, 120));
    assert_eq!(
        o.long_lived_graceful_restart().collect::<Vec<_>>(),
        vec![&LongLivedGrFamily { family: Family::IPV4_UNICAST, flags: 0x80, stale_time: 0 }]
    );
    assert_eq!(
        o.add_path().map(|a| a.direction).collect::<Vec<_>>(),
        vec![AddPathDirection::RECEIVE]
    );
    assert!(o.extended_message() && o.route_refresh() && o.enhanced_route_refresh());
    // FRR: one capability per Optional Parameter.
    assert!(o
        .params
        .iter()
        .all(|p| matches!(p, OptionalParameter::Capabilities(c) if c.len() == 1)));
    assert_eq!(o.malformed_capabilities().count(), 0);
}

#[test]
fn frr_extended_optional_parameters_length() {
    let o = captured("tcpdump-frr-extended-optional-parameters-length", 0);
    assert_eq!(o.params_encoding, ParamsEncoding::EXTENDED);
    assert_eq!(o.asn(), Asn(174));
    assert_eq!(o.families().collect::<Vec<_>>(), vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST]);
    assert_eq!(o.fqdn().and_then(Fqdn::hostname_str), Some("exit1-debian-11"));
    assert_eq!(o.long_lived_graceful_restart().count(), 2);
    assert!(o.validate_basic().is_ok());
}

#[test]
fn cisco_old_route_refresh_one_capability_per_parameter() {
    let o = captured("netgauze-cisco-paloalto-fortinet-multi-session", 0);
    assert!(o.has_capability(CapabilityCode::ROUTE_REFRESH_CISCO));
    assert_eq!(o.families().collect::<Vec<_>>(), vec![Family::IPV6_UNICAST]);
    assert_eq!(o.params.len(), 4, "Cisco: one capability per parameter");
}

#[test]
fn arista_four_octet_as_with_as_trans() {
    let o = captured("tcpdump-arista-4byte-asn-sessions", 0);
    assert_eq!(o.my_as, 23456);
    assert!(o.asn().is_four_octet());
}

#[test]
fn arista_gr_notification_bit_and_grouped_parameters() {
    let o = captured("tcpdump-arista-cease-hard-reset-gr-n-flag", 0);
    let gr = o.graceful_restart().unwrap();
    assert!(gr.graceful_notification() && !gr.restart_state());
    assert_eq!(gr.restart_time, 60);
    assert_eq!(
        gr.families,
        vec![GracefulRestartFamily { family: Family::IPV4_UNICAST, flags: 0x80 }]
    );
    let o = captured("tcpdump-arista-cease-hard-reset-gr-n-flag", 1);
    assert_eq!(o.params.len(), 1, "Arista: all capabilities in one parameter");
}

#[test]
fn iosxr_extended_next_hop() {
    let o = captured("pmacct-iosxr782-ipv6-extnh-vpnv4-vpnv6", 0);
    assert!(
        o.extended_next_hop()
            .any(|e| e.family == Family::new(Afi::IPV4, Safi::MPLS_VPN)
                && e.next_hop_afi == Afi::IPV6)
    );
}

#[test]
fn bird_add_path_from_mrt() {
    let o = captured("mrtparse-bird-bgp4mp-addpath", 0);
    assert_eq!(o.families().count(), 8);
    assert_eq!(o.add_path().count(), 2);
    let o = captured("mrtparse-bird6-bgp4mp-addpath", 0);
    assert!(o.four_octet_as().is_some());
}

#[test]
fn every_captured_open_round_trips() {
    let mut n = 0;
    for line in include_str!("../message/captured.txt").lines().filter(|l| !l.starts_with('#')) {
        let Some((source, h)) = line.split_once(' ') else { continue };
        if h.get(36..38) != Some("01") {
            continue;
        }
        let o = Open::decode_unvalidated(Bytes::from(hex(h)), &Context::legacy())
            .unwrap_or_else(|e| panic!("{source}: {e}"));
        assert_hex_eq(&encode(&o), &hex(h));
        assert_eq!(o.malformed_capabilities().count(), 0, "{source}");
        n += 1;
    }
    assert!(n >= 40, "only {n} OPENs");
}

#[test]
fn errors() {
    let cases: Vec<(String, u8, u8, usize, &[u8])> = vec![
        // Version 3: Unsupported Version Number with the largest supported version as data.
        (format!("{M} 001d 01 03 fde8 00b4 01020304 00"), 2, 1, 19, &[0, 4]),
        // Hold time 1 and 2: Unacceptable Hold Time.
        (format!("{M} 001d 01 04 fde8 0001 01020304 00"), 2, 6, 22, &[]),
        (format!("{M} 001d 01 04 fde8 0002 01020304 00"), 2, 6, 22, &[]),
        // Identifier zero: Bad BGP Identifier.
        (format!("{M} 001d 01 04 fde8 00b4 00000000 00"), 2, 3, 24, &[]),
        // Parameter type 1 (authentication, deprecated): Unsupported Optional Parameter.
        (format!("{M} 0020 01 04 fde8 00b4 01020304 03 01 01 00"), 2, 4, 29, &[]),
        // Optional Parameters Length beyond the message.
        (format!("{M} 001f 01 04 fde8 00b4 01020304 05 02 00"), 2, 0, 29, &[]),
        // Octets after the parameters.
        (format!("{M} 001f 01 04 fde8 00b4 01020304 00 02 00"), 2, 0, 29, &[]),
        // A parameter overrunning the parameters.
        (format!("{M} 001f 01 04 fde8 00b4 01020304 02 02 05"), 2, 0, 31, &[]),
        // A capability overrunning its parameter.
        (format!("{M} 0021 01 04 fde8 00b4 01020304 04 02 02 41 04"), 2, 0, 31, &[]),
        // RFC 9072 lengths overrunning.
        (format!("{M} 0023 01 04 fde8 00b4 01020304 ff ff 0003 02 0005"), 2, 0, 35, &[]),
        // Header: too short for an OPEN.
        (format!("{M} 001c 01 04 fde8 00b4 01020304"), 1, 2, 16, &[0, 0x1c]),
    ];
    for (h, code, subcode, offset, data) in cases {
        let e = decode(&h).unwrap_err();
        assert_eq!(
            (e.code.0, e.subcode, e.offset, &e.data[..]),
            (code, subcode, offset, data),
            "{h}: {e}"
        );
    }
}

#[test]
fn malformed_capability_does_not_fail_the_open() {
    // 4-octet AS capability with a 2-octet value.
    let o = decode(&format!("{M} 0021 01 04 fde8 00b4 01020304 04 02 02 41 00")).unwrap();
    assert_eq!(o.malformed_capabilities().count(), 1);
    assert_eq!(o.four_octet_as(), None);
    assert_eq!(o.asn(), Asn(65000));
}

#[test]
fn peer_as_check() {
    let o = Open::new(
        Asn(4_200_000_000),
        90,
        id(1, 1, 1, 1),
        vec![Capability::FourOctetAs(Asn(4_200_000_000))],
    );
    assert_eq!(o.my_as, 23456);
    assert!(o.check_peer_as(Asn(4_200_000_000)).is_ok());
    let e = o.check_peer_as(Asn(65000)).unwrap_err();
    assert_eq!((e.code, e.subcode), (ErrorCode::OPEN_MESSAGE, open::BAD_PEER_AS));
}

#[test]
fn large_parameters_switch_to_extended_encoding() {
    let caps =
        (0..100).map(|i| Capability::Multiprotocol(Family::new(Afi(i), Safi::UNICAST))).collect();
    let o = Open::new(Asn(65000), 90, id(1, 1, 1, 1), caps);
    assert!(o.params_encoding == ParamsEncoding::Classic && o.uses_extended_params());
    let b = encode(&o);
    assert_eq!(&b[28..32], &[0xff, 0xff, 0x02, 0x5b], "255, 255, then 603 octets");
    let d = Open::decode(Bytes::from(b), &Context::legacy()).unwrap();
    assert_eq!(d.params_encoding, ParamsEncoding::EXTENDED);
    assert_eq!(d.families().count(), 100);
}

#[test]
fn negotiation() {
    let v4 = Family::IPV4_UNICAST;
    let v6 = Family::IPV6_UNICAST;
    let ap = |family, direction| AddPathFamily { family, direction };
    let local = Open::new(
        Asn(65001),
        90,
        id(1, 1, 1, 1),
        vec![
            Capability::FourOctetAs(Asn(65001)),
            Capability::ExtendedMessage,
            Capability::AddPath(vec![
                ap(v4, AddPathDirection::RECEIVE),
                ap(v6, AddPathDirection::BOTH),
            ]),
            Capability::ExtendedNextHop(vec![ExtendedNextHop {
                family: v4,
                next_hop_afi: Afi::IPV6,
            }]),
        ],
    );
    let remote = Open::new(
        Asn(65002),
        90,
        id(2, 2, 2, 2),
        vec![
            Capability::FourOctetAs(Asn(65002)),
            Capability::AddPath(vec![
                ap(v4, AddPathDirection::BOTH),
                ap(v6, AddPathDirection::RECEIVE),
            ]),
        ],
    );
    let n = negotiate(&local, &remote);
    assert!(n.receive.four_octet_as && n.send.four_octet_as);
    assert!(!n.receive.extended_message);
    assert_eq!(n.receive.add_path, [v4].into_iter().collect());
    assert_eq!(n.send.add_path, [v6].into_iter().collect());
    assert_eq!(n.receive.extended_next_hop, [v4].into_iter().collect());
    assert!(n.send.extended_next_hop.is_empty());
    assert_eq!(local.negotiable_families(), [v4].into_iter().collect());
}

proptest! {
    #[test]
    fn round_trip(o in strategies::open(), modern in any::<bool>()) {
        let mut ctx = if modern { Context::modern() } else { Context::legacy() };
        let mut b = BytesMut::new();
        o.encode(&ctx, &mut b);
        prop_assert_eq!(b.len(), o.encoded_len());
        prop_assert!(b.len() <= MAX_LEN);
        ctx.extended_message = !modern;
        prop_assert_eq!(Open::decode_unvalidated(b.freeze(), &ctx), Ok(o));
    }

    #[test]
    fn arbitrary_parameters_never_panic(v in proptest::collection::vec(any::<u8>(), 0..120)) {
        let mut m = hex(&format!("{M} 0000 01 04 fde8 00b4 01020304"));
        m.extend_from_slice(&v);
        let len = m.len() as u16;
        m[16..18].copy_from_slice(&len.to_be_bytes());
        if let Ok(o) = Open::decode_unvalidated(Bytes::from(m.clone()), &Context::legacy()) {
            // Whatever decodes re-encodes to the same octets.
            prop_assert_eq!(encode(&o), m);
        }
    }
}

#[test]
fn open_is_never_an_extended_message() {
    let caps = (0..1100).map(|i| Capability::FourOctetAs(Asn(i))).collect();
    let o = Open::new(Asn(65000), 90, id(1, 1, 1, 1), caps);
    let mut b = BytesMut::new();
    o.encode(&Context::legacy(), &mut b);
    assert!(b.len() > MAX_LEN);
    let ctx = Context { extended_message: true, ..Context::modern() };
    let e = Open::decode(b.freeze(), &ctx).unwrap_err();
    assert_eq!(
        (e.code, e.subcode),
        (ErrorCode::MESSAGE_HEADER, crate::codes::header::BAD_MESSAGE_LENGTH)
    );
}

/// Fuzzer-made OPENs from tcpdump's tests (`tcpdump-malformed-capabilities-oobr-{1,2}.pcap` in
/// `../shared/vectors/bgp`): version 255, then capability lengths that overrun.
const OOBR: [&str; 2] = [
    "ffffffffffffffffffffffffffffffff003b01fffff810e4900820041d000002084000000041040000000202020202e80302070400080080004000",
    "ffffffffffffffffffffffffffffffff003b01fffff810e4900820041d000002084000000041040000000202020202e80302070400080001000080",
];

#[test]
fn fuzzer_made_opens() {
    for h in OOBR {
        // As sent: the version is checked first.
        let e = decode(h).unwrap_err();
        assert_eq!((e.code, e.subcode, &e.data[..]), (ErrorCode::OPEN_MESSAGE, 1, &[0, 4][..]));
        // With version 4 the lengths are read: Optional Parameters Length 0x1d (29) ends the
        // parameters at offset 58, one octet before the message ends.
        let mut v = hex(h);
        v[19] = 4;
        let e = Open::decode(Bytes::from(v), &Context::legacy()).unwrap_err();
        assert_eq!((e.code, e.subcode), (ErrorCode::OPEN_MESSAGE, open::UNSPECIFIC), "{e}");
        assert_eq!((e.offset, e.reason), (58, Reason::TrailingBytes(1)));
    }
}

#[test]
fn non_ext_op_len_is_ignored_on_receipt_and_kept() {
    // RFC 9072 §2: Non-Ext OP Len "MUST be ignored on receipt" once the marker is seen.
    let h = format!("{M} 0026 01 04 fde8 00b4 01020304 07 ff 0006 02 0003 09 01 04");
    let o = decode(&h).unwrap();
    assert_eq!(o.params_encoding, ParamsEncoding::Extended { non_ext_op_len: 7 });
    assert_eq!(o.role(), Some(BgpRole::PEER));
    assert_hex_eq(&encode(&o), &hex(&h));
}

#[test]
fn multiprotocol_with_reserved_octet_set_still_counts() {
    let h = format!("{M} 0025 01 04 fde8 00b4 01020304 08 02 06 01 04 0002 ff 01");
    let o = decode(&h).unwrap();
    assert_eq!(o.malformed_capabilities().count(), 1);
    assert_eq!(o.families().collect::<Vec<_>>(), vec![Family::IPV6_UNICAST]);
    assert_hex_eq(&encode(&o), &hex(&h));
}

#[test]
fn display() {
    let o = captured("netgauze-cisco-paloalto-fortinet-multi-session", 0);
    assert_eq!(
        o.to_string(),
        "AS 64512 hold 180 id 192.168.255.14 [Multiprotocol ipv6/unicast, Route Refresh (Cisco), \
         Route Refresh, 4-octet AS 64512]"
    );
}

#[test]
fn bird_2_all_capabilities_in_one_parameter() {
    let o = captured("bird-2.0.12-lab", 0);
    assert_eq!(o.params.len(), 1);
    assert_eq!((o.my_as, o.asn()), (23456, Asn(4_200_000_001)));
    assert_eq!(o.role(), Some(BgpRole::CUSTOMER));
    assert_eq!(o.fqdn().and_then(Fqdn::hostname_str), Some("bird-lab"));
    assert_eq!(
        o.extended_next_hop().copied().collect::<Vec<_>>(),
        vec![ExtendedNextHop { family: Family::IPV4_UNICAST, next_hop_afi: Afi::IPV6 }]
    );
    assert!(o.extended_message());
    assert_eq!(
        o.add_path().copied().collect::<Vec<_>>(),
        vec![
            AddPathFamily { family: Family::IPV4_UNICAST, direction: AddPathDirection::BOTH },
            AddPathFamily { family: Family::IPV6_UNICAST, direction: AddPathDirection::RECEIVE },
        ]
    );
    assert!(o.long_lived_graceful_restart().all(|f| f.stale_time == 3600));
    assert_eq!(o.graceful_restart().map(|g| g.restart_time), Some(120));
}

#[test]
fn frr_8_one_capability_per_parameter() {
    let o = captured("frr-8.4-lab", 0);
    assert!(o
        .params
        .iter()
        .all(|p| matches!(p, OptionalParameter::Capabilities(c) if c.len() == 1)));
    assert_eq!(o.role(), Some(BgpRole::PROVIDER));
    assert_eq!(o.fqdn().and_then(Fqdn::hostname_str), Some("frr-lab"));
    assert_eq!(o.families().collect::<Vec<_>>(), vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST]);
    assert!(o.graceful_restart().is_some() && o.long_lived_graceful_restart().count() == 2);
}
