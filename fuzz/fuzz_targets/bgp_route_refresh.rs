//! ROUTE-REFRESH decoding: never panics; round trip is exact.
#![no_main]
use bgp_wire::route_refresh::RouteRefresh;
use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ctx = bgp_wire::Context::modern();
    let msg = Bytes::copy_from_slice(data);
    if let Ok(rr) = RouteRefresh::decode(msg.clone(), &ctx) {
        let mut buf = BytesMut::new();
        rr.encode(&ctx, &mut buf);
        assert_eq!(&buf[..], &msg[..], "ROUTE-REFRESH re-encoding differs");
    }
});
