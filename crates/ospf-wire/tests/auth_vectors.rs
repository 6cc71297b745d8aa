//! Cryptographic authentication against another implementation: Hellos
//! signed by BIRD with keyed MD5 and HMAC-SHA-1/256/384/512 (see
//! `tests/data/auth/README.md`) verify with our code, fail with a wrong key,
//! and re-signing the decoded packet reproduces BIRD's octets.

use std::fs::File;
use std::path::Path;

use bytes::{Bytes, BytesMut};
use ospf_wire::auth::{self, AuthError, CryptoAlgorithm};
use ospf_wire::v2::{Authentication, Packet};
use pcap_file::pcap::PcapReader;

const KEYS: &[(u8, CryptoAlgorithm, &[u8])] = &[
    (1, CryptoAlgorithm::Md5, b"key-keyed-md5"),
    (2, CryptoAlgorithm::HmacSha1, b"key-hmac-sha1"),
    (3, CryptoAlgorithm::HmacSha256, b"key-hmac-sha256"),
    (4, CryptoAlgorithm::HmacSha384, b"key-hmac-sha384"),
    (5, CryptoAlgorithm::HmacSha512, b"key-hmac-sha512"),
];

/// OSPF payloads of a Linux cooked v2 (SLL2, 20-octet header) capture of IPv4.
fn ospf_payloads(path: &Path) -> Vec<Bytes> {
    let file = File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut r = PcapReader::new(file).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(u32::from(r.header().datalink), 276, "Linux cooked capture v2");
    let mut out = Vec::new();
    while let Some(p) = r.next_packet() {
        let p = p.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let ip = &p.data[20..];
        let ihl = usize::from(ip[0] & 0x0f) * 4;
        let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
        if ip[9] == 89 {
            out.push(Bytes::copy_from_slice(&ip[ihl..total]));
        }
    }
    out
}

#[test]
fn bird_signed_hellos_verify_and_re_sign_identically() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/auth/bird-2.0.12-ospfv2-crypto-hellos.pcap");
    let payloads = ospf_payloads(&path);
    let mut seen = [0usize; 5];
    for wire in &payloads {
        let info = auth::crypto_info(wire).unwrap_or_else(|e| panic!("{e}"));
        let (key_id, algo, key) = *KEYS
            .iter()
            .find(|(id, _, _)| *id == info.key_id)
            .unwrap_or_else(|| panic!("unexpected key id {}", info.key_id));
        assert_eq!(auth::verify(wire, key, algo), Ok(info), "key {key_id}");
        assert_eq!(
            auth::verify(wire, b"not-the-key", algo),
            Err(AuthError::DigestMismatch),
            "key {key_id}: wrong key"
        );
        // Decode, re-encode and sign: the same octets as BIRD sent.
        let (packet, trailer) =
            Packet::decode_with_trailer(wire.clone()).unwrap_or_else(|e| panic!("{e}"));
        let Authentication::Cryptographic { auth_data_len, crypto_sequence_number, .. } =
            packet.authentication
        else {
            panic!("key {key_id}: not cryptographic");
        };
        assert_eq!(auth_data_len, algo.digest_len());
        assert_eq!(trailer.len(), usize::from(auth_data_len));
        let mut buf = BytesMut::new();
        packet.encode(&mut buf);
        auth::sign(&mut buf, key_id, key, algo, crypto_sequence_number)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(hex::encode(&buf), hex::encode(wire), "key {key_id}: re-signed");
        seen[usize::from(key_id) - 1] += 1;
    }
    assert!(seen.iter().all(|&n| n > 0), "every algorithm seen: {seen:?}");
}
