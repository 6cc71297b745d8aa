//! Any message: decode, encode, decode again and compare, under every context.
#![no_main]
use bgp_wire::message::Message;
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((ctx, msg)) = routing_fuzz::split(data) else { return };
    let Ok(Some(len)) = bgp_wire::frame(&msg, ctx.max_message_len()) else { return };
    let msg = msg.slice(..len);
    let Ok(first) = Message::decode(msg.clone(), &ctx) else { return };
    let mut buf = BytesMut::new();
    first.encode(&ctx, &mut buf);
    assert_eq!(&buf[..], &msg[..], "re-encoding differs from the input");
    let second = Message::decode(buf.freeze(), &ctx).expect("re-encoded message decodes");
    assert_eq!(first, second);
});
