//! OPEN decoding: never panics; what decodes re-encodes to the same octets.
#![no_main]
use bgp_wire::open::Open;
use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ctx = bgp_wire::Context::modern();
    let msg = Bytes::copy_from_slice(data);
    if let Ok(open) = Open::decode(msg.clone(), &ctx) {
        let mut buf = BytesMut::new();
        open.encode(&ctx, &mut buf);
        assert_eq!(&buf[..], &msg[..], "OPEN re-encoding differs");
    }
});
