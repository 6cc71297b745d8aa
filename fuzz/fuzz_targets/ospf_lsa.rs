//! OSPFv2 LSAs: never panics; checksum verification and re-encoding are consistent.
#![no_main]
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use ospf_wire::v2::{Lsa, LsaHeader};

fuzz_target!(|data: &[u8]| {
    let _ = LsaHeader::decode(Bytes::copy_from_slice(data));
    if let Ok(lsa) = Lsa::decode(Bytes::copy_from_slice(data)) {
        let _ = lsa.checksum_ok();
        let _ = lsa.body();
        assert_eq!(&lsa.raw()[..], &data[..lsa.raw().len()]);
    }
});
