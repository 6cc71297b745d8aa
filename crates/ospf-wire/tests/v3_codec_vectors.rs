//! OSPFv3 codec vectors: (hex, value) pairs, each used for a decode test and
//! an encode test with a hex diff on mismatch. Packets and most LSAs come
//! from `packetlife-cisco-ios-ospfv3-broadcast.pcap` (Cisco IOS, frame
//! numbers given); the inter-area-router, AS-external and NSSA LSAs, which
//! no capture here carries, were written by hand from RFC 5340 A.4.6 to
//! A.4.8, their Fletcher checksums computed independently.

use std::net::Ipv6Addr;

use bytes::Bytes;
use ospf_wire::v3::*;
use ospf_wire::{AreaId, LsSeqNum, RouterId};

fn rid(a: u8, b: u8, c: u8, d: u8) -> RouterId {
    RouterId(u32::from_be_bytes([a, b, c, d]))
}

fn v6(s: &str) -> Ipv6Addr {
    s.parse().unwrap_or_else(|e| panic!("bad address {s}: {e}"))
}

fn prefix(s: &str, len: u8) -> Ipv6Prefix {
    Ipv6Prefix::new(v6(s), len).unwrap_or_else(|| panic!("bad prefix length {len}"))
}

fn unhex(s: &str) -> Bytes {
    let clean: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    Bytes::from(hex::decode(clean).unwrap_or_else(|e| panic!("bad hex in vector: {e}")))
}

fn assert_hex_eq(what: &str, want: &[u8], got: &[u8]) {
    if want != got {
        let first =
            want.iter().zip(got).position(|(a, b)| a != b).unwrap_or(want.len().min(got.len()));
        panic!(
            "{what}: encoding differs at offset {first} (lengths {} vs {})\nwant {}\ngot  {}",
            want.len(),
            got.len(),
            hex::encode(want),
            hex::encode(got)
        );
    }
}

fn check_packet(what: &str, hex: &str, src: &str, dst: &str, value: &Packet) {
    let wire = unhex(hex);
    let (src, dst) = (v6(src), v6(dst));
    assert_eq!(Packet::decode(wire.clone(), src, dst).as_ref(), Ok(value), "{what}: decode");
    assert_hex_eq(what, &wire, &value.to_bytes(src, dst));
}

fn fields(age: u16, lsid: u32, adv: RouterId, seq: u32) -> LsaFields {
    LsaFields {
        ls_age: age,
        link_state_id: lsid,
        advertising_router: adv,
        ls_sequence_number: LsSeqNum::from_wire(seq),
    }
}

fn check_lsa(what: &str, hex: &str, fields: LsaFields, body: &LsaBody) -> Lsa {
    let wire = unhex(hex);
    let lsa = Lsa::decode(wire.clone()).unwrap_or_else(|e| panic!("{what}: decode: {e}"));
    assert_eq!(lsa.body(), body, "{what}: body");
    let h = lsa.header();
    assert_eq!(
        (h.ls_age, h.link_state_id, h.advertising_router, h.ls_sequence_number),
        (fields.ls_age, fields.link_state_id, fields.advertising_router, fields.ls_sequence_number),
        "{what}: header"
    );
    assert_eq!(h.ls_type, body.ls_type(), "{what}: LS type");
    assert!(lsa.checksum_ok(), "{what}: Fletcher checksum");
    let built = body.to_lsa(fields);
    assert_hex_eq(what, &wire, built.raw());
    assert_eq!(built, lsa, "{what}: built value");
    lsa
}

const OPTS: Options = Options(0x13); // V6, E, R

// ------------------------------------------------------------------ packets

#[test]
fn hello() {
    // Frame 23: 2.2.2.2 (BDR) to AllSPFRouters, area 1, DR 1.1.1.1.
    check_packet(
        "Hello",
        "03010028 02020202 00000001 f173 00 00
         00000005 01 000013 000a 0028 01010101 02020202 01010101",
        "fe80::2",
        "ff02::5",
        &Packet {
            router_id: rid(2, 2, 2, 2),
            area_id: AreaId(1),
            instance_id: 0,
            body: PacketBody::Hello(Hello {
                interface_id: 5,
                router_priority: 1,
                options: OPTS,
                hello_interval: 10,
                router_dead_interval: 40,
                designated_router: rid(1, 1, 1, 1),
                backup_designated_router: rid(2, 2, 2, 2),
                neighbors: vec![rid(1, 1, 1, 1)],
            }),
        },
    );
}

#[test]
fn database_description() {
    // Frame 8: the first DD, I, M and MS set, MTU 1500.
    check_packet(
        "Database Description",
        "0302001c 01010101 00000001 d342 00 00  00 000013 05dc 00 07 0000242c",
        "fe80::1",
        "fe80::2",
        &Packet {
            router_id: rid(1, 1, 1, 1),
            area_id: AreaId(1),
            instance_id: 0,
            body: PacketBody::DatabaseDescription(DatabaseDescription {
                options: OPTS,
                interface_mtu: 1500,
                flags: DdFlags::I | DdFlags::M | DdFlags::MS,
                dd_sequence_number: 0x242c,
                lsa_headers: vec![],
            }),
        },
    );
}

#[test]
fn link_state_request() {
    // Frame 12: seven LSAs requested from 1.1.1.1.
    let key = |t: u16, id: u32| LsaKey {
        ls_type: LsType(t),
        link_state_id: id,
        advertising_router: rid(1, 1, 1, 1),
    };
    check_packet(
        "Link State Request",
        "03030064 02020202 00000001 2c9a 00 00
         00002001 00000000 01010101  00002003 00000003 01010101
         00002003 00000002 01010101  00002003 00000001 01010101
         00002003 00000000 01010101  00000008 00000005 01010101
         00002009 00000000 01010101",
        "fe80::2",
        "fe80::1",
        &Packet {
            router_id: rid(2, 2, 2, 2),
            area_id: AreaId(1),
            instance_id: 0,
            body: PacketBody::LinkStateRequest(LinkStateRequest {
                requests: vec![
                    key(0x2001, 0),
                    key(0x2003, 3),
                    key(0x2003, 2),
                    key(0x2003, 1),
                    key(0x2003, 0),
                    key(0x0008, 5),
                    key(0x2009, 0),
                ],
            }),
        },
    );
}

const NETWORK: &str = "0001 2002 00000005 01010101 80000001 27cc 0020  00 000033 01010101 02020202";
const INTRA_NETWORK: &str = "0001 2009 00001400 01010101 80000001 8f1c 002c
     0001 2002 00000005 01010101  40 00 0000 20010db8 00000012";
const INTRA_EMPTY: &str =
    "0e10 2009 00000000 01010101 80000002 14f6 0020  0000 2001 00000000 01010101";
const ROUTER: &str = "0001 2001 00000000 01010101 80000003 558b 0028
     01 000033  02 00 000a 00000005 00000005 01010101";

fn network_lsa() -> Lsa {
    check_lsa(
        "network-LSA",
        NETWORK,
        fields(1, 5, rid(1, 1, 1, 1), 0x8000_0001),
        &LsaBody::Network(NetworkLsa {
            options: Options(0x33),
            attached_routers: vec![rid(1, 1, 1, 1), rid(2, 2, 2, 2)],
        }),
    )
}

fn intra_area_prefix_lsas() -> (Lsa, Lsa) {
    let a = check_lsa(
        "intra-area-prefix-LSA (network)",
        INTRA_NETWORK,
        fields(1, 0x1400, rid(1, 1, 1, 1), 0x8000_0001),
        &LsaBody::IntraAreaPrefix(IntraAreaPrefixLsa {
            referenced_ls_type: LsType::NETWORK,
            referenced_link_state_id: 5,
            referenced_advertising_router: rid(1, 1, 1, 1),
            prefixes: vec![IntraAreaPrefix {
                prefix: prefix("2001:db8:0:12::", 64),
                options: PrefixOptions(0),
                metric: 0,
            }],
        }),
    );
    // At MaxAge, no prefixes left: being flushed.
    let b = check_lsa(
        "intra-area-prefix-LSA (flushed)",
        INTRA_EMPTY,
        fields(3600, 0, rid(1, 1, 1, 1), 0x8000_0002),
        &LsaBody::IntraAreaPrefix(IntraAreaPrefixLsa {
            referenced_ls_type: LsType::ROUTER,
            referenced_link_state_id: 0,
            referenced_advertising_router: rid(1, 1, 1, 1),
            prefixes: vec![],
        }),
    );
    (a, b)
}

fn router_lsa() -> Lsa {
    check_lsa(
        "router-LSA",
        ROUTER,
        fields(1, 0, rid(1, 1, 1, 1), 0x8000_0003),
        &LsaBody::Router(RouterLsa {
            flags: RouterFlags::B,
            options: Options(0x33),
            interfaces: vec![RouterInterface {
                link_type: RouterLinkType::TRANSIT,
                metric: 10,
                interface_id: 5,
                neighbor_interface_id: 5,
                neighbor_router_id: rid(1, 1, 1, 1),
            }],
        }),
    )
}

#[test]
fn link_state_update() {
    // Frame 19: network, two intra-area-prefix and router LSAs from the DR.
    let (intra_a, intra_b) = intra_area_prefix_lsas();
    let lsas = vec![network_lsa(), intra_a, intra_b, router_lsa()];
    check_packet(
        "Link State Update",
        &format!(
            "030400a8 01010101 00000001 722a 00 00 00000004 {NETWORK} {INTRA_NETWORK} {INTRA_EMPTY} {ROUTER}"
        ),
        "fe80::1",
        "ff02::5",
        &Packet {
            router_id: rid(1, 1, 1, 1),
            area_id: AreaId(1),
            instance_id: 0,
            body: PacketBody::LinkStateUpdate(LinkStateUpdate { lsas }),
        },
    );
}

#[test]
fn link_state_ack() {
    // Frame 33.
    check_packet(
        "Link State Acknowledgment",
        "03050024 02020202 00000001 0509 00 00  0005 2001 00000000 01010101 80000004 538c 0028",
        "fe80::2",
        "ff02::5",
        &Packet {
            router_id: rid(2, 2, 2, 2),
            area_id: AreaId(1),
            instance_id: 0,
            body: PacketBody::LinkStateAck(LinkStateAck {
                lsa_headers: vec![LsaHeader {
                    ls_age: 5,
                    ls_type: LsType::ROUTER,
                    link_state_id: 0,
                    advertising_router: rid(1, 1, 1, 1),
                    ls_sequence_number: LsSeqNum::from_wire(0x8000_0004),
                    ls_checksum: 0x538c,
                    length: 0x28,
                }],
            }),
        },
    );
}

// --------------------------------------------------------------------- LSAs

#[test]
fn router_network_and_intra_area_prefix_lsas() {
    assert_eq!(router_lsa().flooding_scope(), FloodingScope::Area);
    network_lsa();
    intra_area_prefix_lsas();
}

#[test]
fn inter_area_prefix_lsa() {
    // Frame 15.
    check_lsa(
        "inter-area-prefix-LSA",
        "0029 2003 00000003 01010101 80000001 6259 0024  00 00004a  40 00 0000 20010db8 00000003",
        fields(0x29, 3, rid(1, 1, 1, 1), 0x8000_0001),
        &LsaBody::InterAreaPrefix(InterAreaPrefixLsa {
            metric: 74,
            prefix: PrefixEntry { prefix: prefix("2001:db8:0:3::", 64), options: PrefixOptions(0) },
        }),
    );
}

#[test]
fn link_lsa() {
    // Frame 15.
    let lsa = check_lsa(
        "link-LSA",
        "0023 0008 00000005 01010101 80000002 3d08 0038  01 000033
         fe800000 00000000 00000000 00000001  00000001  40 00 0000 20010db8 00000012",
        fields(0x23, 5, rid(1, 1, 1, 1), 0x8000_0002),
        &LsaBody::Link(LinkLsa {
            router_priority: 1,
            options: Options(0x33),
            link_local_address: v6("fe80::1"),
            prefixes: vec![PrefixEntry {
                prefix: prefix("2001:db8:0:12::", 64),
                options: PrefixOptions(0),
            }],
        }),
    );
    assert_eq!(lsa.flooding_scope(), FloodingScope::LinkLocal);
}

#[test]
fn inter_area_router_lsa() {
    check_lsa(
        "inter-area-router-LSA",
        "0001 2004 00000007 03030303 80000001 a059 0020  00 000013  00 00000a  04040404",
        fields(1, 7, rid(3, 3, 3, 3), 0x8000_0001),
        &LsaBody::InterAreaRouter(InterAreaRouterLsa {
            options: OPTS,
            metric: 10,
            destination_router_id: rid(4, 4, 4, 4),
        }),
    );
}

#[test]
fn as_external_lsa_with_every_optional_field() {
    // E, F and T set, metric 20; a /48 takes two words; referenced LS type
    // 0x2001 brings the Referenced Link State ID.
    let lsa = check_lsa(
        "AS-external-LSA",
        "0001 4005 00000001 03030303 80000001 33fd 003c  07 000014  30 00 2001 20010db8 00010000
         20010db8 00000000 00000000 00000001  0000abcd  00000009",
        fields(1, 1, rid(3, 3, 3, 3), 0x8000_0001),
        &LsaBody::AsExternal(AsExternalLsa {
            e_bit: true,
            metric: 20,
            prefix: PrefixEntry { prefix: prefix("2001:db8:1::", 48), options: PrefixOptions(0) },
            forwarding_address: Some(v6("2001:db8::1")),
            external_route_tag: Some(0xabcd),
            referenced: Some((LsType::ROUTER, 9)),
        }),
    );
    assert_eq!(lsa.flooding_scope(), FloodingScope::As);
}

#[test]
fn nssa_lsa_default_route() {
    // ::/0 takes no words; P bit set; no optional fields.
    check_lsa(
        "NSSA-LSA",
        "0001 2007 00000002 03030303 80000001 47dc 001c  00 000001  00 08 0000",
        fields(1, 2, rid(3, 3, 3, 3), 0x8000_0001),
        &LsaBody::Nssa(AsExternalLsa {
            e_bit: false,
            metric: 1,
            prefix: PrefixEntry { prefix: prefix("::", 0), options: PrefixOptions::P },
            forwarding_address: None,
            external_route_tag: None,
            referenced: None,
        }),
    );
}

#[test]
fn unknown_lsa_keeps_octets() {
    // Function code 0x1f with the U bit and AS scope: flooded AS-wide.
    let lsa = check_lsa(
        "unknown LSA",
        "0001 c01f 00000001 03030303 80000001 f449 0018  deadbeef",
        fields(1, 1, rid(3, 3, 3, 3), 0x8000_0001),
        &LsaBody::Unknown {
            ls_type: LsType(0xc01f),
            data: Bytes::from_static(&[0xde, 0xad, 0xbe, 0xef]),
        },
    );
    assert_eq!(lsa.flooding_scope(), FloodingScope::As);
}
