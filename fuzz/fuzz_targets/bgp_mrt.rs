//! MRT records: never panics; what decodes re-encodes to the same octets.
#![no_main]
use bgp_wire::mrt::Records;
use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for raw in Records::new(Bytes::copy_from_slice(data)).take(64) {
        let Ok(raw) = raw else { break };
        if let Ok(record) = raw.decode() {
            let mut buf = BytesMut::new();
            record.encode(&mut buf);
            let mut read = BytesMut::new();
            raw.encode(&mut read);
            assert_eq!(buf, read, "{record:?}");
        }
    }
});
