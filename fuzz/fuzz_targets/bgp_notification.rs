//! NOTIFICATION decoding: never panics; round trip is exact.
#![no_main]
use bgp_wire::notification::Notification;
use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ctx = bgp_wire::Context::modern();
    let msg = Bytes::copy_from_slice(data);
    if let Ok(n) = Notification::decode(msg.clone(), &ctx) {
        let _ = n.to_string();
        let mut buf = BytesMut::new();
        n.encode(&ctx, &mut buf);
        assert_eq!(&buf[..], &msg[..], "NOTIFICATION re-encoding differs");
    }
});
