//! OSPFv3 property tests: `decode(encode(x)) == x` for every packet and LSA
//! type, the prefix encoding and the authentication trailer; decoding
//! arbitrary octets never panics.

use std::net::Ipv6Addr;

use bytes::{Bytes, BytesMut};
use ospf_wire::auth::CryptoAlgorithm;
use ospf_wire::v3::auth_trailer;
use ospf_wire::v3::*;
use ospf_wire::{AreaId, LsSeqNum, RouterId};
use proptest::collection::vec;
use proptest::prelude::*;

fn router_id() -> impl Strategy<Value = RouterId> {
    any::<u32>().prop_map(RouterId)
}

fn ipv6() -> impl Strategy<Value = Ipv6Addr> {
    any::<u128>().prop_map(Ipv6Addr::from)
}

fn options() -> impl Strategy<Value = Options> {
    (0u32..=Options::MASK).prop_map(Options)
}

fn u24() -> impl Strategy<Value = u32> {
    0u32..=0x00ff_ffff
}

fn prefix() -> impl Strategy<Value = Ipv6Prefix> {
    (ipv6(), 0u8..=128).prop_map(|(a, l)| Ipv6Prefix::new(a, l).unwrap_or_else(|| unreachable!()))
}

fn prefix_entry() -> impl Strategy<Value = PrefixEntry> {
    (prefix(), any::<u8>())
        .prop_map(|(prefix, o)| PrefixEntry { prefix, options: PrefixOptions(o) })
}

fn lsa_header() -> impl Strategy<Value = LsaHeader> {
    (
        any::<u16>(),
        any::<u16>(),
        any::<u32>(),
        router_id(),
        any::<i32>(),
        any::<u16>(),
        any::<u16>(),
    )
        .prop_map(|(age, t, lsid, adv, seq, ck, len)| LsaHeader {
            ls_age: age,
            ls_type: LsType(t),
            link_state_id: lsid,
            advertising_router: adv,
            ls_sequence_number: LsSeqNum(seq),
            ls_checksum: ck,
            length: len,
        })
}

fn known_type() -> impl Strategy<Value = LsType> {
    prop::sample::select(vec![
        LsType::ROUTER,
        LsType::NETWORK,
        LsType::INTER_AREA_PREFIX,
        LsType::INTER_AREA_ROUTER,
        LsType::AS_EXTERNAL,
        LsType::NSSA,
        LsType::LINK,
        LsType::INTRA_AREA_PREFIX,
    ])
}

fn external() -> impl Strategy<Value = AsExternalLsa> {
    (
        any::<bool>(),
        u24(),
        prefix_entry(),
        prop::option::of(ipv6()),
        prop::option::of(any::<u32>()),
        prop::option::of((1u16..=u16::MAX, any::<u32>())),
    )
        .prop_map(|(e_bit, metric, prefix, fwd, tag, r)| AsExternalLsa {
            e_bit,
            metric,
            prefix,
            forwarding_address: fwd,
            external_route_tag: tag,
            referenced: r.map(|(t, id)| (LsType(t), id)),
        })
}

fn body() -> impl Strategy<Value = LsaBody> {
    let iface = (1u8..=4, any::<u16>(), any::<u32>(), any::<u32>(), router_id()).prop_map(
        |(t, metric, interface_id, neighbor_interface_id, neighbor_router_id)| RouterInterface {
            link_type: RouterLinkType(t),
            metric,
            interface_id,
            neighbor_interface_id,
            neighbor_router_id,
        },
    );
    let intra = (prefix(), any::<u8>(), any::<u16>()).prop_map(|(prefix, o, metric)| {
        IntraAreaPrefix { prefix, options: PrefixOptions(o), metric }
    });
    let unknown_type = any::<u16>().prop_filter("an unknown LS type", |t| {
        ![0x2001, 0x2002, 0x2003, 0x2004, 0x4005, 0x2007, 0x0008, 0x2009].contains(t)
    });
    prop_oneof![
        (any::<u8>(), options(), vec(iface, 0..5)).prop_map(|(f, options, interfaces)| {
            LsaBody::Router(RouterLsa { flags: RouterFlags(f), options, interfaces })
        }),
        (options(), vec(router_id(), 0..5)).prop_map(|(options, attached_routers)| {
            LsaBody::Network(NetworkLsa { options, attached_routers })
        }),
        (u24(), prefix_entry()).prop_map(|(metric, prefix)| LsaBody::InterAreaPrefix(
            InterAreaPrefixLsa { metric, prefix }
        )),
        (options(), u24(), router_id()).prop_map(|(options, metric, destination_router_id)| {
            LsaBody::InterAreaRouter(InterAreaRouterLsa { options, metric, destination_router_id })
        }),
        external().prop_map(LsaBody::AsExternal),
        external().prop_map(LsaBody::Nssa),
        (any::<u8>(), options(), ipv6(), vec(prefix_entry(), 0..4)).prop_map(
            |(router_priority, options, link_local_address, prefixes)| {
                LsaBody::Link(LinkLsa { router_priority, options, link_local_address, prefixes })
            }
        ),
        (known_type(), any::<u32>(), router_id(), vec(intra, 0..4)).prop_map(
            |(t, id, adv, prefixes)| {
                LsaBody::IntraAreaPrefix(IntraAreaPrefixLsa {
                    referenced_ls_type: t,
                    referenced_link_state_id: id,
                    referenced_advertising_router: adv,
                    prefixes,
                })
            }
        ),
        (unknown_type, vec(any::<u8>(), 0..10)).prop_map(|(t, mut data)| {
            data.truncate(data.len() / 4 * 4);
            LsaBody::Unknown { ls_type: LsType(t), data: Bytes::from(data) }
        }),
    ]
}

fn lsa() -> impl Strategy<Value = Lsa> {
    (any::<u16>(), any::<u32>(), router_id(), any::<i32>(), body()).prop_map(
        |(ls_age, link_state_id, advertising_router, seq, body)| {
            body.to_lsa(LsaFields {
                ls_age,
                link_state_id,
                advertising_router,
                ls_sequence_number: LsSeqNum(seq),
            })
        },
    )
}

fn packet_body() -> impl Strategy<Value = PacketBody> {
    prop_oneof![
        (
            any::<u32>(),
            any::<u8>(),
            options(),
            any::<u16>(),
            any::<u16>(),
            router_id(),
            router_id(),
            vec(router_id(), 0..5)
        )
            .prop_map(
                |(interface_id, router_priority, options, hi, dead, dr, bdr, neighbors)| {
                    PacketBody::Hello(Hello {
                        interface_id,
                        router_priority,
                        options,
                        hello_interval: hi,
                        router_dead_interval: dead,
                        designated_router: dr,
                        backup_designated_router: bdr,
                        neighbors,
                    })
                }
            ),
        (options(), any::<u16>(), any::<u8>(), any::<u32>(), vec(lsa_header(), 0..4)).prop_map(
            |(options, interface_mtu, f, dd_sequence_number, lsa_headers)| {
                PacketBody::DatabaseDescription(DatabaseDescription {
                    options,
                    interface_mtu,
                    flags: DdFlags(f),
                    dd_sequence_number,
                    lsa_headers,
                })
            }
        ),
        vec((any::<u16>(), any::<u32>(), router_id()), 0..5).prop_map(|keys| {
            PacketBody::LinkStateRequest(LinkStateRequest {
                requests: keys
                    .into_iter()
                    .map(|(t, link_state_id, advertising_router)| LsaKey {
                        ls_type: LsType(t),
                        link_state_id,
                        advertising_router,
                    })
                    .collect(),
            })
        }),
        vec(lsa(), 0..4).prop_map(|lsas| PacketBody::LinkStateUpdate(LinkStateUpdate { lsas })),
        vec(lsa_header(), 0..4)
            .prop_map(|lsa_headers| PacketBody::LinkStateAck(LinkStateAck { lsa_headers })),
    ]
}

fn packet() -> impl Strategy<Value = Packet> {
    (router_id(), any::<u32>(), any::<u8>(), packet_body()).prop_map(
        |(router_id, area, instance_id, body)| Packet {
            router_id,
            area_id: AreaId(area),
            instance_id,
            body,
        },
    )
}

proptest! {
    #[test]
    fn packets_round_trip(p in packet(), src in ipv6(), dst in ipv6()) {
        let wire = p.to_bytes(src, dst).freeze();
        prop_assert_eq!(wire.len(), p.encoded_len());
        prop_assert_eq!(Packet::decode(wire, src, dst), Ok(p));
    }

    #[test]
    fn lsas_round_trip(l in lsa()) {
        prop_assert!(l.checksum_ok());
        let again = Lsa::decode(l.raw().clone());
        prop_assert_eq!(again.as_ref(), Ok(&l));
        let mut buf = BytesMut::new();
        l.body().encode(&mut buf);
        prop_assert_eq!(&buf[..], &l.raw()[LSA_HEADER_LEN..]);
    }

    #[test]
    fn lsa_headers_round_trip(h in lsa_header()) {
        let mut buf = BytesMut::new();
        h.encode(&mut buf);
        prop_assert_eq!(LsaHeader::decode(buf.freeze()), Ok(h));
    }

    #[test]
    fn trailers_round_trip(
        lls in prop::option::of(vec(any::<u8>(), 0..3)),
        auth in prop::option::of((any::<u16>(), any::<u16>(), any::<u64>(), vec(any::<u8>(), 0..64))),
    ) {
        let t = Trailer {
            lls: lls.map(|words| {
                // Checksum, length in words, then the words.
                let mut b = vec![0, 0, 0, words.len() as u8 + 1];
                b.extend(words.iter().flat_map(|w| [*w; 4]));
                Bytes::from(b)
            }),
            auth: auth.map(|(reserved, sa_id, sequence_number, data)| AuthTrailer {
                auth_type: AuthType::HMAC_CRYPTOGRAPHIC,
                reserved,
                sa_id,
                sequence_number,
                authentication_data: Bytes::from(data),
            }),
        };
        let mut buf = BytesMut::new();
        t.encode(&mut buf);
        prop_assert_eq!(Trailer::decode(buf.freeze(), t.lls.is_some(), t.auth.is_some(), 0), Ok(t));
    }

    #[test]
    fn signed_packets_verify(p in packet(), src in ipv6(), key in vec(any::<u8>(), 0..100), seq in any::<u64>()) {
        for algo in [CryptoAlgorithm::HmacSha1, CryptoAlgorithm::HmacSha256, CryptoAlgorithm::HmacSha384, CryptoAlgorithm::HmacSha512] {
            let mut wire = p.to_bytes(src, src);
            prop_assert!(auth_trailer::sign(&mut wire, src, 3, &key, algo, seq).is_ok());
            let info = auth_trailer::verify(&wire, src, false, &key, algo);
            prop_assert_eq!(info, Ok(TrailerInfo { sa_id: 3, sequence_number: seq }));
        }
    }

    #[test]
    fn arbitrary_octets_never_panic(data in vec(any::<u8>(), 0..300), lls: bool, at: bool) {
        let b = Bytes::from(data);
        let _ = Packet::decode_unverified(b.clone());
        let _ = Packet::decode(b.clone(), Ipv6Addr::LOCALHOST, Ipv6Addr::LOCALHOST);
        let _ = Lsa::decode(b.clone());
        let _ = LsaHeader::decode(b.clone());
        let _ = Trailer::decode(b.clone(), lls, at, 0);
        let _ = auth_trailer::verify(&b, Ipv6Addr::LOCALHOST, lls, b"k", CryptoAlgorithm::HmacSha256);
        let _ = auth_trailer::trailer_info(&b, lls);
    }

    #[test]
    fn arbitrary_lsa_bodies_never_panic(t in known_type(), data in vec(any::<u8>(), 0..120)) {
        if let Ok(b) = LsaBody::decode(t, Bytes::from(data), 20) {
            let mut buf = BytesMut::new();
            b.encode(&mut buf);
            prop_assert_eq!(LsaBody::decode(t, buf.freeze(), 20), Ok(b));
        }
    }
}
