//! Packets as the engine sends and accepts them: `ospf-wire` encodes and
//! decodes, this module applies an interface's authentication (RFC 2328
//! appendix D, RFC 5709) on the way out and checks it on the way in.

use bytes::Bytes;
use ospf_wire::auth::{self as wire_auth, CryptoAlgorithm};
use ospf_wire::v2::{Authentication, Packet};
use thiserror::Error;

pub use ospf_wire::v2::{
    DatabaseDescription, DdFlags, Hello, LinkStateAck, LinkStateRequest, LinkStateUpdate,
    PacketBody as Body,
};

use crate::types::{AreaId, RouterId};

/// Authentication of an interface (RFC 2328 appendix D).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Auth {
    /// AuType 0: none.
    #[default]
    Null,
    /// AuType 1: a clear-text password of up to 8 bytes.
    Simple([u8; 8]),
    /// AuType 2: keyed MD5 (RFC 2328 D.3).
    Md5 {
        /// Key ID.
        key_id: u8,
        /// The secret, up to 16 bytes (padded with zeros).
        key: Vec<u8>,
    },
    /// AuType 2 with HMAC-SHA (RFC 5709).
    HmacSha {
        /// HMAC-SHA-1, -256, -384 or -512.
        algorithm: ShaAlgorithm,
        /// Key ID.
        key_id: u8,
        /// The secret.
        key: Vec<u8>,
    },
}

/// The hash of RFC 5709 authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShaAlgorithm {
    /// HMAC-SHA-1.
    Sha1,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-384.
    Sha384,
    /// HMAC-SHA-512.
    Sha512,
}

impl Auth {
    /// The AuType and Authentication fields before signing.
    fn header_field(&self) -> Authentication {
        match self {
            Auth::Null => Authentication::NULL,
            Auth::Simple(pw) => Authentication::SimplePassword(*pw),
            Auth::Md5 { .. } | Auth::HmacSha { .. } => Authentication::Cryptographic {
                reserved: 0,
                key_id: 0,
                auth_data_len: 0,
                crypto_sequence_number: 0,
            },
        }
    }

    /// Key ID, key and algorithm of cryptographic authentication.
    pub(crate) fn crypto(&self) -> Option<(u8, &[u8], CryptoAlgorithm)> {
        match self {
            Auth::Md5 { key_id, key } => Some((*key_id, key, CryptoAlgorithm::Md5)),
            Auth::HmacSha { algorithm, key_id, key } => Some((
                *key_id,
                key,
                match algorithm {
                    ShaAlgorithm::Sha1 => CryptoAlgorithm::HmacSha1,
                    ShaAlgorithm::Sha256 => CryptoAlgorithm::HmacSha256,
                    ShaAlgorithm::Sha384 => CryptoAlgorithm::HmacSha384,
                    ShaAlgorithm::Sha512 => CryptoAlgorithm::HmacSha512,
                },
            )),
            _ => None,
        }
    }

    /// Bytes appended after the packet (the message digest).
    #[must_use]
    pub fn trailer_len(&self) -> usize {
        self.crypto().map_or(0, |(_, _, a)| usize::from(a.digest_len()))
    }
}

/// Why a received packet was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PacketError {
    /// Malformed, or a bad packet checksum.
    #[error(transparent)]
    Decode(#[from] ospf_wire::DecodeError),
    /// Authentication failed (type, password, key or digest mismatch).
    #[error("authentication failure: {0}")]
    Auth(&'static str),
}

/// The fields of a received packet header the engine needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketHeader {
    /// Router ID of the sender.
    pub router_id: RouterId,
    /// Area ID.
    pub area_id: AreaId,
    /// Cryptographic sequence number under cryptographic authentication
    /// (32 bits in OSPFv2, 64 in the OSPFv3 trailer).
    pub crypto_seq: Option<u64>,
    /// OSPFv3 Instance ID (RFC 5340 A.3.1); 0 in OSPFv2.
    pub instance_id: u8,
}

/// Encodes a packet with the given authentication; `crypto_seq` is used for
/// cryptographic authentication only (D.4.3: no checksum, the digest
/// appended).
#[must_use]
pub fn encode(
    router_id: RouterId,
    area_id: AreaId,
    body: &Body,
    auth: &Auth,
    crypto_seq: u32,
) -> Vec<u8> {
    let packet =
        Packet { router_id, area_id, authentication: auth.header_field(), body: body.clone() };
    let mut buf = packet.to_bytes();
    if let Some((key_id, key, algo)) = auth.crypto() {
        // Only fails on a buffer shorter than a header, which `to_bytes`
        // never returns.
        let _ = wire_auth::sign(&mut buf, key_id, key, algo, crypto_seq);
    }
    buf.to_vec()
}

/// Decodes and authenticates an OSPFv2 packet (the IP payload).
///
/// # Errors
///
/// [`PacketError::Decode`] for a malformed packet or a bad checksum,
/// [`PacketError::Auth`] when the authentication does not match `auth`.
pub fn decode(bytes: &[u8], auth: &Auth) -> Result<(PacketHeader, Body), PacketError> {
    let (packet, _trailer) = Packet::decode_with_trailer(Bytes::copy_from_slice(bytes))?;
    if packet.authentication.au_type() != auth.header_field().au_type() {
        return Err(PacketError::Auth("authentication type mismatch"));
    }
    let mut crypto_seq = None;
    match auth {
        Auth::Null => {}
        Auth::Simple(pw) => {
            if packet.authentication != Authentication::SimplePassword(*pw) {
                return Err(PacketError::Auth("simple password mismatch"));
            }
        }
        Auth::Md5 { .. } | Auth::HmacSha { .. } => {
            let Some((key_id, key, algo)) = auth.crypto() else {
                return Err(PacketError::Auth("no key"));
            };
            let info = wire_auth::verify(bytes, key, algo).map_err(|e| match e {
                wire_auth::AuthError::DigestMismatch => PacketError::Auth("digest mismatch"),
                wire_auth::AuthError::Truncated { .. } => PacketError::Auth("digest missing"),
                _ => PacketError::Auth("wrong algorithm or digest length"),
            })?;
            if info.key_id != key_id {
                return Err(PacketError::Auth("unknown key id"));
            }
            crypto_seq = Some(u64::from(info.crypto_sequence_number));
        }
    }
    let header = PacketHeader {
        router_id: packet.router_id,
        area_id: packet.area_id,
        crypto_seq,
        instance_id: 0,
    };
    Ok((header, packet.body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ospf_wire::v2::Options;
    use std::net::Ipv4Addr;

    fn hello() -> Body {
        Body::Hello(Hello {
            network_mask: Ipv4Addr::new(255, 255, 255, 0),
            hello_interval: 10,
            options: Options::E,
            router_priority: 1,
            router_dead_interval: 40,
            designated_router: Ipv4Addr::new(192, 168, 0, 1),
            backup_designated_router: Ipv4Addr::UNSPECIFIED,
            neighbors: vec![RouterId(1), RouterId(2)],
        })
    }

    #[test]
    fn null_auth_round_trip_and_checksum() {
        let b = encode(RouterId(9), AreaId(0), &hello(), &Auth::Null, 0);
        assert_eq!(b.len(), 24 + 20 + 8);
        let (h, body) = decode(&b, &Auth::Null).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(h.router_id, RouterId(9));
        assert_eq!(body, hello());
        let mut bad = b.clone();
        bad[30] ^= 1;
        assert!(matches!(decode(&bad, &Auth::Null), Err(PacketError::Decode(_))));
    }

    #[test]
    fn md5_auth_accepts_right_key_rejects_wrong_key() {
        let a = Auth::Md5 { key_id: 1, key: b"secret".to_vec() };
        let b = encode(RouterId(9), AreaId(2), &hello(), &a, 77);
        assert_eq!(b.len(), 24 + 28 + 16);
        let (h, _) = decode(&b, &a).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(h.crypto_seq, Some(77));
        let wrong = Auth::Md5 { key_id: 1, key: b"other".to_vec() };
        assert_eq!(decode(&b, &wrong), Err(PacketError::Auth("digest mismatch")));
        assert!(matches!(decode(&b, &Auth::Null), Err(PacketError::Auth(_))));
    }

    #[test]
    fn hmac_sha_256() {
        let a = Auth::HmacSha { algorithm: ShaAlgorithm::Sha256, key_id: 5, key: b"k".to_vec() };
        let b = encode(RouterId(9), AreaId(0), &hello(), &a, 9);
        assert_eq!(b.len(), 24 + 28 + 32);
        assert_eq!(decode(&b, &a).map(|x| x.0.crypto_seq), Ok(Some(9)));
        let other_id =
            Auth::HmacSha { algorithm: ShaAlgorithm::Sha256, key_id: 6, key: b"k".to_vec() };
        assert_eq!(decode(&b, &other_id), Err(PacketError::Auth("unknown key id")));
    }

    #[test]
    fn simple_password() {
        let a = Auth::Simple(*b"pass\0\0\0\0");
        let b = encode(RouterId(9), AreaId(2), &hello(), &a, 0);
        assert!(decode(&b, &a).is_ok());
        assert_eq!(
            decode(&b, &Auth::Simple(*b"nope\0\0\0\0")),
            Err(PacketError::Auth("simple password mismatch"))
        );
    }
}
