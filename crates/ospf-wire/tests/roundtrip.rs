//! Property tests: `decode(encode(x)) == x` for every packet and LSA type,
//! and decoding arbitrary octets never panics.

use std::cmp::Ordering;
use std::net::Ipv4Addr;

use bytes::Bytes;
use ospf_wire::v2::*;
use ospf_wire::{AreaId, LsSeqNum, RouterId};
use proptest::collection::vec;
use proptest::prelude::*;

fn ipv4() -> impl Strategy<Value = Ipv4Addr> {
    any::<u32>().prop_map(Ipv4Addr::from)
}

fn router_id() -> impl Strategy<Value = RouterId> {
    any::<u32>().prop_map(RouterId)
}

fn u24() -> impl Strategy<Value = u32> {
    0u32..=0x00ff_ffff
}

fn lsa_header() -> impl Strategy<Value = LsaHeader> {
    (
        any::<u16>(),
        any::<u8>(),
        any::<u8>(),
        ipv4(),
        router_id(),
        any::<i32>(),
        any::<u16>(),
        any::<u16>(),
    )
        .prop_map(|(age, opt, t, lsid, adv, seq, ck, len)| LsaHeader {
            ls_age: age,
            options: Options(opt),
            ls_type: LsType(t),
            link_state_id: lsid,
            advertising_router: adv,
            ls_sequence_number: LsSeqNum(seq),
            ls_checksum: ck,
            length: len,
        })
}

fn router_lsa() -> impl Strategy<Value = RouterLsa> {
    let tos = (any::<u8>(), any::<u8>(), any::<u16>())
        .prop_map(|(tos, reserved, metric)| RouterTosMetric { tos, reserved, metric });
    let link = (ipv4(), ipv4(), 1u8..=4, any::<u16>(), vec(tos, 0..3)).prop_map(
        |(link_id, link_data, t, metric, tos_metrics)| RouterLink {
            link_id,
            link_data,
            link_type: RouterLinkType(t),
            metric,
            tos_metrics,
        },
    );
    (any::<u8>(), any::<u8>(), vec(link, 0..6)).prop_map(|(flags, reserved, links)| RouterLsa {
        flags: RouterFlags(flags),
        reserved,
        links,
    })
}

fn network_lsa() -> impl Strategy<Value = NetworkLsa> {
    (ipv4(), vec(router_id(), 0..6))
        .prop_map(|(network_mask, attached_routers)| NetworkLsa { network_mask, attached_routers })
}

fn summary_lsa() -> impl Strategy<Value = SummaryLsa> {
    let tos = (any::<u8>(), u24()).prop_map(|(tos, metric)| SummaryTosMetric { tos, metric });
    (ipv4(), any::<u8>(), u24(), vec(tos, 0..3)).prop_map(
        |(network_mask, tos0, metric, tos_metrics)| SummaryLsa {
            network_mask,
            tos0,
            metric,
            tos_metrics,
        },
    )
}

fn external_lsa() -> impl Strategy<Value = AsExternalLsa> {
    let tos = (any::<bool>(), 0u8..128, u24(), ipv4(), any::<u32>()).prop_map(
        |(e_bit, tos, metric, forwarding_address, external_route_tag)| ExternalTosMetric {
            e_bit,
            tos,
            metric,
            forwarding_address,
            external_route_tag,
        },
    );
    (ipv4(), any::<bool>(), 0u8..128, u24(), ipv4(), any::<u32>(), vec(tos, 0..3)).prop_map(
        |(network_mask, e_bit, tos0, metric, fwd, tag, tos_metrics)| AsExternalLsa {
            network_mask,
            e_bit,
            tos0,
            metric,
            forwarding_address: fwd,
            external_route_tag: tag,
            tos_metrics,
        },
    )
}

fn raw_body() -> impl Strategy<Value = Bytes> {
    vec(any::<u32>(), 0..8).prop_map(|words| {
        Bytes::from(words.into_iter().flat_map(u32::to_be_bytes).collect::<Vec<u8>>())
    })
}

fn lsa_body() -> impl Strategy<Value = LsaBody> {
    prop_oneof![
        router_lsa().prop_map(LsaBody::Router),
        network_lsa().prop_map(LsaBody::Network),
        summary_lsa().prop_map(LsaBody::SummaryNetwork),
        summary_lsa().prop_map(LsaBody::SummaryAsbr),
        external_lsa().prop_map(LsaBody::AsExternal),
        external_lsa().prop_map(LsaBody::Nssa),
        (9u8..=11, raw_body()).prop_map(|(t, data)| LsaBody::Opaque { ls_type: LsType(t), data }),
        (prop_oneof![Just(0u8), Just(6), Just(8), 12u8..=255], raw_body())
            .prop_map(|(t, data)| LsaBody::Unknown { ls_type: LsType(t), data }),
    ]
}

fn lsa_fields() -> impl Strategy<Value = LsaFields> {
    (any::<u16>(), any::<u8>(), ipv4(), router_id(), any::<i32>()).prop_map(
        |(age, opt, lsid, adv, seq)| LsaFields {
            ls_age: age,
            options: Options(opt),
            link_state_id: lsid,
            advertising_router: adv,
            ls_sequence_number: LsSeqNum(seq),
        },
    )
}

fn lsa() -> impl Strategy<Value = Lsa> {
    (lsa_body(), lsa_fields()).prop_map(|(b, f)| b.to_lsa(f))
}

fn authentication() -> impl Strategy<Value = Authentication> {
    prop_oneof![
        any::<[u8; 8]>().prop_map(Authentication::Null),
        any::<[u8; 8]>().prop_map(Authentication::SimplePassword),
        (any::<u16>(), any::<u8>(), any::<u8>(), any::<u32>()).prop_map(|(r, k, l, s)| {
            Authentication::Cryptographic {
                reserved: r,
                key_id: k,
                auth_data_len: l,
                crypto_sequence_number: s,
            }
        }),
        (3u16.., any::<[u8; 8]>())
            .prop_map(|(t, data)| Authentication::Other { au_type: AuType(t), data }),
    ]
}

fn body() -> impl Strategy<Value = PacketBody> {
    let hello = (
        ipv4(),
        any::<u16>(),
        any::<u8>(),
        any::<u8>(),
        any::<u32>(),
        ipv4(),
        ipv4(),
        vec(router_id(), 0..6),
    )
        .prop_map(|(m, hi, o, p, d, dr, bdr, n)| {
            PacketBody::Hello(Hello {
                network_mask: m,
                hello_interval: hi,
                options: Options(o),
                router_priority: p,
                router_dead_interval: d,
                designated_router: dr,
                backup_designated_router: bdr,
                neighbors: n,
            })
        });
    let dd = (any::<u16>(), any::<u8>(), any::<u8>(), any::<u32>(), vec(lsa_header(), 0..5))
        .prop_map(|(mtu, o, f, seq, h)| {
            PacketBody::DatabaseDescription(DatabaseDescription {
                interface_mtu: mtu,
                options: Options(o),
                flags: DdFlags(f),
                dd_sequence_number: seq,
                lsa_headers: h,
            })
        });
    let key = (any::<u8>(), ipv4(), router_id()).prop_map(|(t, lsid, adv)| LsaKey {
        ls_type: LsType(t),
        link_state_id: lsid,
        advertising_router: adv,
    });
    let lsr = vec(key, 0..5)
        .prop_map(|requests| PacketBody::LinkStateRequest(LinkStateRequest { requests }));
    let lsu =
        vec(lsa(), 0..4).prop_map(|lsas| PacketBody::LinkStateUpdate(LinkStateUpdate { lsas }));
    let ack = vec(lsa_header(), 0..5)
        .prop_map(|lsa_headers| PacketBody::LinkStateAck(LinkStateAck { lsa_headers }));
    prop_oneof![hello, dd, lsr, lsu, ack]
}

fn packet() -> impl Strategy<Value = Packet> {
    (router_id(), any::<u32>(), authentication(), body()).prop_map(|(r, a, auth, body)| Packet {
        router_id: r,
        area_id: AreaId(a),
        authentication: auth,
        body,
    })
}

proptest! {
    #[test]
    fn packet_round_trip(p in packet()) {
        let wire = p.to_bytes().freeze();
        prop_assert_eq!(p.encoded_len(), wire.len());
        prop_assert_eq!(Packet::decode(wire.clone()), Ok(p.clone()));
        // With trailing data (digest, LLS) the packet still decodes the same.
        let mut longer = wire.to_vec();
        longer.extend_from_slice(&[0xaa; 16]);
        let (q, trailer) = Packet::decode_with_trailer(Bytes::from(longer))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(q, p);
        prop_assert_eq!(trailer.len(), 16);
    }

    #[test]
    fn lsa_round_trip(l in lsa()) {
        prop_assert!(l.checksum_ok());
        prop_assert_eq!(usize::from(l.header().length), l.raw().len());
        prop_assert_eq!(Lsa::decode(l.raw().clone()), Ok(l.clone()));
        let aged = l.with_age(3600);
        prop_assert!(aged.checksum_ok());
        prop_assert_eq!(aged.body(), l.body());
    }

    #[test]
    fn lsa_header_round_trip(h in lsa_header()) {
        let mut buf = bytes::BytesMut::new();
        h.encode(&mut buf);
        prop_assert_eq!(LsaHeader::decode(buf.freeze()), Ok(h));
    }

    #[test]
    fn arbitrary_octets_never_panic(data in vec(any::<u8>(), 0..200)) {
        let b = Bytes::from(data);
        let _ = Packet::decode_unverified(b.clone());
        let _ = Packet::decode(b.clone());
        let _ = Lsa::decode(b.clone());
        let _ = ospf_wire::auth::verify(&b, b"key", ospf_wire::auth::CryptoAlgorithm::HmacSha256);
    }

    #[test]
    fn mutated_packets_never_panic(
        p in packet(),
        flips in vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut wire = p.to_bytes().to_vec();
        for (i, v) in flips {
            let i = i.index(wire.len());
            wire[i] = v;
        }
        let _ = Packet::decode_unverified(Bytes::from(wire));
    }

    #[test]
    fn recency_is_antisymmetric(a in lsa_header(), b in lsa_header()) {
        prop_assert_eq!(a.compare_recency(&b), b.compare_recency(&a).reverse());
        prop_assert_eq!(a.compare_recency(&a), Ordering::Equal);
    }
}
