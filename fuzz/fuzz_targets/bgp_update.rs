//! UPDATE decoding under every context: never panics; every prefix and attribute iterates.
#![no_main]
use bgp_wire::update::Update;
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((ctx, msg)) = routing_fuzz::split(data) else { return };
    if let Ok(update) = Update::decode(msg.clone(), &ctx) {
        let _ = update.announced().count();
        let _ = update.withdrawals().count();
        let _ = update.action();
        let _ = update.end_of_rib();
        let owned = update.to_owned_update(&ctx);
        let mut buf = BytesMut::new();
        owned.encode(&ctx, &mut buf);
        let _ = Update::decode(buf.freeze(), &ctx);
    }
});
