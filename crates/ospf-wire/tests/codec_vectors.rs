//! Codec vectors: (hex, value) pairs taken from real captures, each used for
//! a decode test and an encode test with a hex diff on mismatch.

use std::net::Ipv4Addr;

use bytes::Bytes;
use ospf_wire::checksum::{fletcher_compute, fletcher_verify};
use ospf_wire::v2::*;
use ospf_wire::{AreaId, LsSeqNum, RouterId};

fn ip(a: u8, b: u8, c: u8, d: u8) -> Ipv4Addr {
    Ipv4Addr::new(a, b, c, d)
}

fn rid(a: u8, b: u8, c: u8, d: u8) -> RouterId {
    RouterId::from(ip(a, b, c, d))
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

fn check_packet(what: &str, hex: &str, value: &Packet) {
    let wire = unhex(hex);
    assert_eq!(Packet::decode(wire.clone()).as_ref(), Ok(value), "{what}: decode");
    assert_hex_eq(what, &wire, &value.to_bytes());
}

fn fields(age: u16, options: u8, lsid: Ipv4Addr, adv: RouterId, seq: u32) -> LsaFields {
    LsaFields {
        ls_age: age,
        options: Options(options),
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
        (h.ls_age, h.options, h.link_state_id, h.advertising_router, h.ls_sequence_number),
        (
            fields.ls_age,
            fields.options,
            fields.link_state_id,
            fields.advertising_router,
            fields.ls_sequence_number
        ),
        "{what}: header"
    );
    assert_eq!(h.ls_type, body.ls_type(), "{what}: LS type");
    assert!(lsa.checksum_ok(), "{what}: Fletcher checksum");
    let built = body.to_lsa(fields);
    assert_hex_eq(what, &wire, built.raw());
    assert_eq!(built, lsa, "{what}: built value");
    lsa
}

fn null_auth() -> Authentication {
    Authentication::NULL
}

// ------------------------------------------------------------------ packets

#[test]
fn hello_null_auth() {
    // packetlife lsa-types-1-to-5: router 4.4.4.4 in area 0.0.0.20, LLS bit (0x10) in options.
    check_packet(
        "Hello",
        "0201002c 04040404 00000014 e386 0000 0000000000000000
         fffffffc 000a 12 01 00000028 00000000 00000000",
        &Packet {
            router_id: rid(4, 4, 4, 4),
            area_id: AreaId(20),
            authentication: null_auth(),
            body: PacketBody::Hello(Hello {
                network_mask: ip(255, 255, 255, 252),
                hello_interval: 10,
                options: Options(0x12),
                router_priority: 1,
                router_dead_interval: 40,
                designated_router: Ipv4Addr::UNSPECIFIED,
                backup_designated_router: Ipv4Addr::UNSPECIFIED,
                neighbors: vec![],
            }),
        },
    );
}

#[test]
fn hello_simple_password() {
    // packetlife simple-password: password "cisco".
    check_packet(
        "Hello simple password",
        "0201002c c0a86701 00000001 b9f8 0001 636973636f000000
         fffffff8 000a 12 01 00000028 0a000002 00000000",
        &Packet {
            router_id: rid(192, 168, 103, 1),
            area_id: AreaId(1),
            authentication: Authentication::simple(b"cisco"),
            body: PacketBody::Hello(Hello {
                network_mask: ip(255, 255, 255, 248),
                hello_interval: 10,
                options: Options(0x12),
                router_priority: 1,
                router_dead_interval: 40,
                designated_router: ip(10, 0, 0, 2),
                backup_designated_router: Ipv4Addr::UNSPECIFIED,
                neighbors: vec![],
            }),
        },
    );
}

#[test]
fn hello_cryptographic_with_neighbor() {
    // packetlife md5-auth: checksum zero, key 1, 16-octet digest follows (not part of the packet).
    check_packet(
        "Hello MD5",
        "02010030 0a000002 00000000 0000 0002 0000 01 10 3c7ec505
         fffffffc 000a 12 01 00000028 0a000001 0a000002 0a000001",
        &Packet {
            router_id: rid(10, 0, 0, 2),
            area_id: AreaId::BACKBONE,
            authentication: Authentication::Cryptographic {
                reserved: 0,
                key_id: 1,
                auth_data_len: 16,
                crypto_sequence_number: 0x3c7e_c505,
            },
            body: PacketBody::Hello(Hello {
                network_mask: ip(255, 255, 255, 252),
                hello_interval: 10,
                options: Options(0x12),
                router_priority: 1,
                router_dead_interval: 40,
                designated_router: ip(10, 0, 0, 1),
                backup_designated_router: ip(10, 0, 0, 2),
                neighbors: vec![rid(10, 0, 0, 1)],
            }),
        },
    );
}

#[test]
fn database_description_with_header() {
    check_packet(
        "Database Description",
        "02020034 01010101 00000000 19c2 0000 0000000000000000
         05c4 52 02 0000248a
         0028 22 01 01010101 01010101 80000001 bf62 0024",
        &Packet {
            router_id: rid(1, 1, 1, 1),
            area_id: AreaId::BACKBONE,
            authentication: null_auth(),
            body: PacketBody::DatabaseDescription(DatabaseDescription {
                interface_mtu: 1476,
                options: Options(0x52),
                flags: DdFlags::M,
                dd_sequence_number: 0x248a,
                lsa_headers: vec![LsaHeader {
                    ls_age: 40,
                    options: Options(0x22),
                    ls_type: LsType::ROUTER,
                    link_state_id: ip(1, 1, 1, 1),
                    advertising_router: rid(1, 1, 1, 1),
                    ls_sequence_number: LsSeqNum::INITIAL,
                    ls_checksum: 0xbf62,
                    length: 36,
                }],
            }),
        },
    );
}

#[test]
fn link_state_request() {
    check_packet(
        "Link State Request",
        "02030024 03030303 00000000 f3cd 0000 0000000000000000
         00000001 01010101 01010101",
        &Packet {
            router_id: rid(3, 3, 3, 3),
            area_id: AreaId::BACKBONE,
            authentication: null_auth(),
            body: PacketBody::LinkStateRequest(LinkStateRequest {
                requests: vec![LsaKey {
                    ls_type: LsType::ROUTER,
                    link_state_id: ip(1, 1, 1, 1),
                    advertising_router: rid(1, 1, 1, 1),
                }],
            }),
        },
    );
}

#[test]
fn link_state_update_with_router_lsa() {
    let lsa = RouterLsa {
        flags: RouterFlags::default(),
        reserved: 0,
        links: vec![RouterLink {
            link_id: ip(192, 168, 123, 3),
            link_data: ip(192, 168, 123, 3),
            link_type: RouterLinkType::TRANSIT,
            metric: 10,
            tos_metrics: vec![],
        }],
    }
    .to_lsa(fields(1, 0x22, ip(3, 3, 3, 3), rid(3, 3, 3, 3), 0x8000_0009));
    check_packet(
        "Link State Update",
        "02040040 03030303 00000000 9714 0000 0000000000000000
         00000001
         0001 22 01 03030303 03030303 80000009 3901 0024
         00 00 0001 c0a87b03 c0a87b03 02 00 000a",
        &Packet {
            router_id: rid(3, 3, 3, 3),
            area_id: AreaId::BACKBONE,
            authentication: null_auth(),
            body: PacketBody::LinkStateUpdate(LinkStateUpdate { lsas: vec![lsa] }),
        },
    );
}

#[test]
fn link_state_ack() {
    check_packet(
        "Link State Acknowledgment",
        "0205002c c0a80301 00000000 258d 0000 0000000000000000
         0075 22 01 c0a80301 c0a80301 80000006 ea97 0030",
        &Packet {
            router_id: rid(192, 168, 3, 1),
            area_id: AreaId::BACKBONE,
            authentication: null_auth(),
            body: PacketBody::LinkStateAck(LinkStateAck {
                lsa_headers: vec![LsaHeader {
                    ls_age: 117,
                    options: Options(0x22),
                    ls_type: LsType::ROUTER,
                    link_state_id: ip(192, 168, 3, 1),
                    advertising_router: rid(192, 168, 3, 1),
                    ls_sequence_number: LsSeqNum::from_wire(0x8000_0006),
                    ls_checksum: 0xea97,
                    length: 48,
                }],
            }),
        },
    );
}

// --------------------------------------------------------------------- LSAs

fn link(id: Ipv4Addr, data: Ipv4Addr, t: RouterLinkType, metric: u16) -> RouterLink {
    RouterLink { link_id: id, link_data: data, link_type: t, metric, tos_metrics: vec![] }
}

#[test]
fn router_lsa_point_to_point_and_stub() {
    check_lsa(
        "router-LSA p2p + stub",
        "0001 22 01 01010101 01010101 80000002 ec10 0030
         00 00 0002
         03030303 c0a80d01 01 00 2b67
         c0a80d00 ffffff00 03 00 2b67",
        fields(1, 0x22, ip(1, 1, 1, 1), rid(1, 1, 1, 1), 0x8000_0002),
        &LsaBody::Router(RouterLsa {
            flags: RouterFlags::default(),
            reserved: 0,
            links: vec![
                link(ip(3, 3, 3, 3), ip(192, 168, 13, 1), RouterLinkType::POINT_TO_POINT, 11111),
                link(ip(192, 168, 13, 0), ip(255, 255, 255, 0), RouterLinkType::STUB, 11111),
            ],
        }),
    );
}

#[test]
fn router_lsa_abr_with_virtual_link_and_do_not_age() {
    // Age 0x8001: the DoNotAge bit of RFC 1793 over a virtual link.
    check_lsa(
        "router-LSA virtual link",
        "8001 22 01 01010101 01010101 80000004 92f5 0030
         01 00 0002
         01010101 ffffffff 03 00 0001
         02020202 c0a80c01 04 00 000a",
        fields(0x8001, 0x22, ip(1, 1, 1, 1), rid(1, 1, 1, 1), 0x8000_0004),
        &LsaBody::Router(RouterLsa {
            flags: RouterFlags::B,
            reserved: 0,
            links: vec![
                link(ip(1, 1, 1, 1), ip(255, 255, 255, 255), RouterLinkType::STUB, 1),
                link(ip(2, 2, 2, 2), ip(192, 168, 12, 1), RouterLinkType::VIRTUAL, 10),
            ],
        }),
    );
}

#[test]
fn network_lsa() {
    check_lsa(
        "network-LSA",
        "0001 22 02 c0a80c01 c0a80c01 80000001 5e70 0020
         ffffff00 c0a80c01 02020202",
        fields(1, 0x22, ip(192, 168, 12, 1), rid(192, 168, 12, 1), 0x8000_0001),
        &LsaBody::Network(NetworkLsa {
            network_mask: ip(255, 255, 255, 0),
            attached_routers: vec![rid(192, 168, 12, 1), rid(2, 2, 2, 2)],
        }),
    );
}

#[test]
fn summary_lsa_at_max_age() {
    check_lsa(
        "summary-LSA type 3",
        "0e10 22 03 c0a80c00 01010101 80000001 9920 001c
         ffffff00 00 00000a",
        fields(3600, 0x22, ip(192, 168, 12, 0), rid(1, 1, 1, 1), 0x8000_0001),
        &LsaBody::SummaryNetwork(SummaryLsa {
            network_mask: ip(255, 255, 255, 0),
            tos0: 0,
            metric: 10,
            tos_metrics: vec![],
        }),
    );
}

#[test]
fn asbr_summary_lsa() {
    check_lsa(
        "summary-LSA type 4",
        "0001 22 04 01010101 02020202 80000001 75b0 001c
         00000000 00 00000a",
        fields(1, 0x22, ip(1, 1, 1, 1), rid(2, 2, 2, 2), 0x8000_0001),
        &LsaBody::SummaryAsbr(SummaryLsa {
            network_mask: Ipv4Addr::UNSPECIFIED,
            tos0: 0,
            metric: 10,
            tos_metrics: vec![],
        }),
    );
}

#[test]
fn as_external_lsa_type_2() {
    check_lsa(
        "AS-external-LSA",
        "0001 02 05 c0827800 c0a8aa03 80000001 cd1e 0024
         ffffff00 80 000014 00000000 00000000",
        fields(1, 0x02, ip(192, 130, 120, 0), rid(192, 168, 170, 3), 0x8000_0001),
        &LsaBody::AsExternal(AsExternalLsa {
            network_mask: ip(255, 255, 255, 0),
            e_bit: true,
            tos0: 0,
            metric: 20,
            forwarding_address: Ipv4Addr::UNSPECIFIED,
            external_route_tag: 0,
            tos_metrics: vec![],
        }),
    );
}

#[test]
fn nssa_lsa_with_forwarding_address() {
    check_lsa(
        "NSSA-LSA",
        "0066 28 07 ac100300 02020202 80000001 54b5 0024
         ffffff00 80 000064 c0a80a01 00000000",
        fields(0x66, 0x28, ip(172, 16, 3, 0), rid(2, 2, 2, 2), 0x8000_0001),
        &LsaBody::Nssa(AsExternalLsa {
            network_mask: ip(255, 255, 255, 0),
            e_bit: true,
            tos0: 0,
            metric: 100,
            forwarding_address: ip(192, 168, 10, 1),
            external_route_tag: 0,
            tos_metrics: vec![],
        }),
    );
}

#[test]
fn opaque_lsas_are_kept_raw() {
    check_lsa(
        "area opaque (type 10) TE router address",
        "0e10 20 0a 01000000 01010101 8000002a 06fa 001c
         0001 0004 01010101",
        fields(3600, 0x20, ip(1, 0, 0, 0), rid(1, 1, 1, 1), 0x8000_002a),
        &LsaBody::Opaque { ls_type: LsType::OPAQUE_AREA, data: unhex("0001000401010101") },
    );
    check_lsa(
        "link-local opaque (type 9) grace LSA",
        "0e10 20 09 03000000 02020202 80000001 f67e 002c
         00010004 0000012c 00020001 03000000 00030004 c0a801fe",
        fields(3600, 0x20, ip(3, 0, 0, 0), rid(2, 2, 2, 2), 0x8000_0001),
        &LsaBody::Opaque {
            ls_type: LsType::OPAQUE_LINK,
            data: unhex("000100040000012c000200010300000000030004c0a801fe"),
        },
    );
}

#[test]
fn unknown_lsa_type_round_trips() {
    let body = LsaBody::Unknown { ls_type: LsType(6), data: unhex("deadbeef") };
    let lsa = body.to_lsa(fields(0, 0, ip(1, 2, 3, 4), rid(5, 6, 7, 8), 0x8000_0001));
    let again = Lsa::decode(lsa.raw().clone());
    assert_eq!(again.as_ref(), Ok(&lsa));
    assert!(lsa.checksum_ok());
}

// ------------------------------------------------------- Fletcher checksums

/// LSAs from the captures with the checksum their originator computed.
const FLETCHER_VECTORS: &[&str] = &[
    // router-LSA with five links (packetlife broadcast DR/BDR).
    "000122010a0404040a04040480000003f9370054000000050a010101c0a8030201000040c0a80300ffffff0003000040c0a81702c0a817010200000a0a040404ffffffff030000010a00fa03ffffffff03000001",
    "00012201010101010101010180000002ec1000300000000203030303c0a80d0101002b67c0a80d00ffffff0003002b67",
    "0001220101010101010101018000000d63cf00300000000201010101ffffffff03000001c0a87b03c0a87b010200000a",
    "000122010a0000020a000002800000026a8f0024000000010a0000010a0000020200000a",
    "00132201c0a80c01c0a80c01800000034786002400000001c0a80c00ffffff0003000001",
    "00012202c0a80c01c0a80c01800000015e700020ffffff00c0a80c0102020202",
    "0e102203c0a80c0001010101800000019920001cffffff000000000a",
    "00010205c0827800c0a8aa0380000001cd1e0024ffffff00800000140000000000000000",
    "00662807ac100300020202028000000154b50024ffffff0080000064c0a80a0100000000",
    "0e10200a01000000010101018000002a06fa001c0001000401010101",
];

#[test]
fn fletcher_checksum_of_real_lsas() {
    for v in FLETCHER_VECTORS {
        let wire = unhex(v);
        let found = u16::from_be_bytes([wire[16], wire[17]]);
        // The checksum covers the LSA from the Options field on (RFC 2328 §12.1.7).
        assert!(fletcher_verify(&wire[2..], 14), "{v}: verify");
        assert_eq!(fletcher_compute(&wire[2..], 14), Some(found), "{v}: compute");
        let mut aged = wire.to_vec();
        aged[0] = 0x0e;
        aged[1] = 0x10;
        assert!(fletcher_verify(&aged[2..], 14), "{v}: LS age is not covered");
        let mut corrupt = wire.to_vec();
        let last = corrupt.len() - 1;
        corrupt[last] ^= 0x01;
        assert!(!fletcher_verify(&corrupt[2..], 14), "{v}: corruption detected");
    }
}
