//! OSPFv3 packets: never panics; what decodes re-encodes to the same packet
//! octets (checksum aside), which decode to the same value; the octets
//! after the packet split into LLS block and trailer that re-encode exactly.
#![no_main]
use std::net::Ipv6Addr;

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use ospf_wire::auth::CryptoAlgorithm;
use ospf_wire::v3::{auth_trailer, Options, Packet, Trailer};

fuzz_target!(|data: &[u8]| {
    let src = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);
    let _ = Packet::decode(Bytes::copy_from_slice(data), src, src);
    let _ = auth_trailer::verify(data, src, false, b"k", CryptoAlgorithm::HmacSha1);
    if let Ok((packet, trailer)) = Packet::decode_unverified(Bytes::copy_from_slice(data)) {
        let mut buf = BytesMut::new();
        packet.encode(&mut buf);
        let length = data.len() - trailer.len();
        // Reserved octets are sent as zero; everything else comes back.
        let (again, rest) =
            Packet::decode_unverified(buf.clone().freeze()).expect("re-encoded packet decodes");
        assert_eq!(packet, again);
        assert!(rest.is_empty());
        assert_eq!(buf.len(), length);
        let (lls, at) = packet.options().map_or((false, !trailer.is_empty()), |o| {
            (o.contains(Options::L), o.contains(Options::AT))
        });
        if let Ok(t) = Trailer::decode(trailer.clone(), lls, at, length) {
            let mut out = BytesMut::new();
            t.encode(&mut out);
            assert_eq!(&out[..], &trailer[..]);
        }
    }
});
