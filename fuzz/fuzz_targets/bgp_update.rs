//! UPDATE decoding under every context: never panics; every prefix and attribute iterates;
//! a clean UPDATE re-encoded from its owned form decodes to the same routes.
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
        let again = Update::decode(buf.freeze(), &ctx);
        // Malformed attributes (RFC 7606) are dropped from the owned form, so only a clean
        // message must come back with the same routes.
        if update.issues().is_empty() {
            let again = again.expect("a clean UPDATE re-encodes to one that decodes");
            assert!(update.announced().eq(again.announced()), "announced routes differ");
            assert!(update.withdrawals().eq(again.withdrawals()), "withdrawn routes differ");
        }
    }
});
