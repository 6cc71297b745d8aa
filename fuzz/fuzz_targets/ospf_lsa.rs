//! OSPFv2 LSAs: never panics; an LSA keeps its octets, its typed body re-encodes to a body
//! that decodes the same, and an LSA rebuilt from it has a good checksum and decodes to the
//! same body.
#![no_main]
use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use ospf_wire::v2::{Lsa, LsaBody, LsaFields, LsaHeader};

fuzz_target!(|data: &[u8]| {
    let _ = LsaHeader::decode(Bytes::copy_from_slice(data));
    if let Ok(lsa) = Lsa::decode(Bytes::copy_from_slice(data)) {
        let _ = lsa.checksum_ok();
        assert_eq!(&lsa.raw()[..], data);
        let h = *lsa.header();
        let mut body = BytesMut::new();
        lsa.body().encode(&mut body);
        let again = LsaBody::decode(h.ls_type, body.freeze(), 20).expect("re-encoded body decodes");
        assert_eq!(&again, lsa.body());
        let rebuilt = lsa.body().to_lsa(LsaFields {
            ls_age: h.ls_age,
            options: h.options,
            link_state_id: h.link_state_id,
            advertising_router: h.advertising_router,
            ls_sequence_number: h.ls_sequence_number,
        });
        assert!(rebuilt.checksum_ok());
        let decoded = Lsa::decode(rebuilt.raw().clone()).expect("rebuilt LSA decodes");
        assert_eq!(decoded.body(), lsa.body());
    }
});
