//! The engine's packets are understood by the project's `ospf-wire` codec
//! (checksums, Fletcher checksums and MD5 digests), and the other way round.

use std::net::Ipv4Addr;

use bytes::Bytes;
use ospf_lsdb::lsa::{
    router_flags, ExternalBody, LinkType, Lsa, LsaBody, LsaKey, LsaType, RouterLink, SummaryBody,
};
use ospf_lsdb::packet::{self, Auth, Body, Hello};
use ospf_lsdb::{AreaId, RouterId};
use ospf_wire::auth::{verify, CryptoAlgorithm};
use ospf_wire::v2::{Packet, PacketBody};

fn lsas() -> Vec<Lsa> {
    let k = |ty: LsaType, id: u32| LsaKey { ty, id, adv: RouterId(0x0101_0101) };
    let ext = ExternalBody { mask: 0xffff_ff00, type2: true, metric: 20, forwarding: 0, tag: 9 };
    vec![
        Lsa::new(
            1,
            0x02,
            k(LsaType::ROUTER, 0x0101_0101),
            i32::MIN + 1,
            LsaBody::Router {
                flags: router_flags::E | router_flags::B,
                links: vec![
                    RouterLink {
                        ty: LinkType::PointToPoint,
                        id: 0x0202_0202,
                        data: 0x0a00_0001,
                        metric: 10,
                    },
                    RouterLink {
                        ty: LinkType::Transit,
                        id: 0xc0a8_0101,
                        data: 0xc0a8_0102,
                        metric: 1,
                    },
                    RouterLink {
                        ty: LinkType::Stub,
                        id: 0x0a00_0000,
                        data: 0xffff_fffc,
                        metric: 10,
                    },
                ],
            },
        ),
        Lsa::new(
            1,
            0x02,
            k(LsaType::NETWORK, 0xc0a8_0101),
            7,
            LsaBody::Network { mask: 0xffff_ff00, routers: vec![RouterId(1), RouterId(2)] },
        ),
        Lsa::new(
            1,
            0x02,
            k(LsaType::SUMMARY_NETWORK, 0xac10_0000),
            8,
            LsaBody::Summary(SummaryBody { mask: 0xffff_0000, metric: 30 }),
        ),
        Lsa::new(1, 0x02, k(LsaType::AS_EXTERNAL, 0x0af4_0100), 9, LsaBody::External(ext)),
        Lsa::new(1, 0x08, k(LsaType::NSSA, 0x0af4_0200), 10, LsaBody::External(ext)),
    ]
}

#[test]
fn engine_updates_decode_with_ospf_wire() {
    let body = Body::LinkStateUpdate(lsas());
    let bytes = packet::encode(RouterId(0x0101_0101), AreaId(2), &body, &Auth::Null, 0);
    let p = Packet::decode(Bytes::from(bytes)).unwrap_or_else(|e| panic!("{e:?}"));
    let PacketBody::LinkStateUpdate(u) = p.body else {
        panic!("not an update");
    };
    assert_eq!(u.lsas.len(), 5);
    for (theirs, ours) in u.lsas.iter().zip(lsas()) {
        assert!(theirs.checksum_ok());
        assert_eq!(theirs.header().ls_checksum, ours.header.checksum);
        let mut raw = Vec::new();
        ours.encode_with_age(1, &mut raw);
        assert_eq!(theirs.raw().as_ref(), &raw[..]);
    }
}

#[test]
fn engine_md5_digest_verifies_with_ospf_wire() {
    let hello = Body::Hello(Hello {
        mask: 0xffff_ff00,
        hello_interval: 10,
        options: 0x02,
        priority: 1,
        dead_interval: 40,
        dr: 0,
        bdr: 0,
        neighbors: vec![RouterId(2)],
    });
    let auth = Auth::Md5 { key_id: 3, key: b"s3cret".to_vec() };
    let bytes = packet::encode(RouterId(1), AreaId(0), &hello, &auth, 1234);
    let info = verify(&bytes, b"s3cret", CryptoAlgorithm::Md5).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!((info.key_id, info.crypto_sequence_number), (3, 1234));
    assert!(verify(&bytes, b"other", CryptoAlgorithm::Md5).is_err());
}

#[test]
fn ospf_wire_hello_decodes_in_the_engine() {
    use ospf_wire::v2::{Authentication, Hello as WHello, Options};
    let p = Packet {
        router_id: ospf_wire::RouterId::from(Ipv4Addr::new(1, 1, 1, 1)),
        area_id: ospf_wire::AreaId(2),
        authentication: Authentication::NULL,
        body: PacketBody::Hello(WHello {
            network_mask: Ipv4Addr::new(255, 255, 255, 0),
            hello_interval: 10,
            options: Options::E,
            router_priority: 7,
            router_dead_interval: 40,
            designated_router: Ipv4Addr::new(10, 0, 0, 1),
            backup_designated_router: Ipv4Addr::UNSPECIFIED,
            neighbors: vec![ospf_wire::RouterId::from(Ipv4Addr::new(2, 2, 2, 2))],
        }),
    };
    let wire = p.to_bytes();
    let (hdr, body) = packet::decode(&wire, &Auth::Null).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((hdr.router_id, hdr.area_id), (RouterId(0x0101_0101), AreaId(2)));
    let Body::Hello(h) = body else { panic!("not a Hello") };
    assert_eq!(
        (h.priority, h.dr, h.neighbors.clone()),
        (7, 0x0a00_0001, vec![RouterId(0x0202_0202)])
    );
}
