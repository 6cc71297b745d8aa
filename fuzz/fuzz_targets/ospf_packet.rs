//! OSPFv2 packets: never panics; what decodes re-encodes to a packet that decodes the same.
#![no_main]
use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use ospf_wire::v2::Packet;

fuzz_target!(|data: &[u8]| {
    let _ = Packet::decode(Bytes::copy_from_slice(data));
    if let Ok((packet, _trailer)) = Packet::decode_unverified(Bytes::copy_from_slice(data)) {
        let mut buf = BytesMut::new();
        packet.encode(&mut buf);
        let (again, _) =
            Packet::decode_unverified(buf.freeze()).expect("re-encoded packet decodes");
        assert_eq!(packet, again);
    }
});
