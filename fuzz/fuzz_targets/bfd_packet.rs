//! BFD Control packets: decoding never panics, and a decoded packet re-encodes to exactly the
//! octets it was read from (the payload up to its Length field).
#![no_main]
use bfd::packet::ControlPacket;
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let payload = Bytes::copy_from_slice(data);
    if let Ok(packet) = ControlPacket::decode(payload.clone()) {
        let again = packet.to_bytes();
        assert_eq!(&again[..], &data[..packet.len()], "{packet:?}");
        assert_eq!(ControlPacket::decode(again).as_ref(), Ok(&packet));
    }
});
