//! OSPFv2 cryptographic authentication: keyed MD5 (RFC 2328 D.4.3) and
//! HMAC-SHA-1/256/384/512 (RFC 5709 §3).
//!
//! The digest is appended after the OSPF packet and is not counted in the
//! packet length; the packet checksum is not computed (set to zero).
//!
//! The algorithms, errors and the HMAC construction are shared with the
//! OSPFv3 authentication trailer (RFC 7166), in
//! [`crate::v3::auth_trailer`].

use bytes::{BufMut, BytesMut};
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use sha1::Sha1;
use sha2::{Sha256, Sha384, Sha512};

use crate::v2::codepoints::AuType;
use crate::v2::header::{AUTH_OFFSET, CHECKSUM_OFFSET, HEADER_LEN};

/// Apad, the constant the HMAC input is padded with (RFC 5709 §3.3):
/// "the hexadecimal value 0x878FE1F3 repeated (L/4) times".
pub const APAD: u32 = 0x878F_E1F3;

/// A cryptographic authentication algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CryptoAlgorithm {
    /// Keyed MD5 (RFC 2328 D.4.3).
    Md5,
    /// HMAC-SHA-1 (RFC 5709).
    HmacSha1,
    /// HMAC-SHA-256 (RFC 5709).
    HmacSha256,
    /// HMAC-SHA-384 (RFC 5709).
    HmacSha384,
    /// HMAC-SHA-512 (RFC 5709).
    HmacSha512,
}

impl CryptoAlgorithm {
    /// Auth Data Len: the length of the digest in octets.
    #[must_use]
    pub fn digest_len(self) -> u8 {
        match self {
            Self::Md5 => 16,
            Self::HmacSha1 => 20,
            Self::HmacSha256 => 32,
            Self::HmacSha384 => 48,
            Self::HmacSha512 => 64,
        }
    }
}

/// Why a packet failed authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The buffer is shorter than its packet header says, or than a header.
    #[error("packet truncated: {needed} octets needed, {available} available")]
    Truncated {
        /// Octets needed (packet plus digest).
        needed: usize,
        /// Octets available.
        available: usize,
    },
    /// The AuType is not cryptographic.
    #[error("AuType {0} is not cryptographic")]
    NotCryptographic(u16),
    /// Auth Data Len does not match the algorithm.
    #[error("Auth Data Len {found}, the algorithm needs {expected}")]
    BadAuthDataLen {
        /// Found in the packet.
        found: u8,
        /// Digest length of the algorithm.
        expected: u8,
    },
    /// The digest does not match.
    #[error("message digest mismatch")]
    DigestMismatch,
    /// The algorithm cannot be used here (keyed MD5 in an OSPFv3
    /// authentication trailer, which is HMAC only).
    #[error("{0:?} is not allowed here")]
    UnsupportedAlgorithm(CryptoAlgorithm),
    /// The Auth Data Len of an OSPFv3 authentication trailer (trailer
    /// header included) does not match the algorithm.
    #[error("authentication trailer length {found}, the algorithm needs {expected}")]
    BadTrailerLength {
        /// Found in the trailer.
        found: u16,
        /// 16 plus the digest length of the algorithm.
        expected: u16,
    },
}

/// Key ID and cryptographic sequence number of a verified packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CryptoInfo {
    /// Key ID.
    pub key_id: u8,
    /// Cryptographic sequence number; the caller checks it does not decrease (D.4.3).
    pub crypto_sequence_number: u32,
}

/// Sign an encoded OSPFv2 packet in place. `packet` holds exactly one packet
/// as written by [`crate::v2::Packet::encode`]; the AuType, checksum and
/// Authentication field are rewritten and the digest appended (D.4.3 items
/// (1) to (6), RFC 5709 §3.3).
///
/// # Errors
/// `Truncated` if `packet` is shorter than an OSPF header.
pub fn sign(
    packet: &mut BytesMut,
    key_id: u8,
    key: &[u8],
    algo: CryptoAlgorithm,
    seq: u32,
) -> Result<(), AuthError> {
    if packet.len() < HEADER_LEN {
        return Err(AuthError::Truncated { needed: HEADER_LEN, available: packet.len() });
    }
    let len = algo.digest_len();
    packet[CHECKSUM_OFFSET..CHECKSUM_OFFSET + 2].copy_from_slice(&[0, 0]);
    packet[14..16].copy_from_slice(&AuType::CRYPTOGRAPHIC.0.to_be_bytes());
    let [s0, s1, s2, s3] = seq.to_be_bytes();
    packet[AUTH_OFFSET..HEADER_LEN].copy_from_slice(&[0, 0, key_id, len, s0, s1, s2, s3]);
    let digest = compute(packet, key, algo);
    packet.put_slice(&digest);
    Ok(())
}

/// Verify a received packet (the IP payload: packet, digest, and possibly
/// further trailing data such as LLS) with `key` under `algo`.
///
/// # Errors
/// See [`AuthError`].
pub fn verify(buf: &[u8], key: &[u8], algo: CryptoAlgorithm) -> Result<CryptoInfo, AuthError> {
    let info = crypto_info(buf)?;
    let expected = algo.digest_len();
    let found = buf.get(AUTH_OFFSET + 3).copied().unwrap_or(0);
    if found != expected {
        return Err(AuthError::BadAuthDataLen { found, expected });
    }
    let length = packet_length(buf)?;
    let needed = length + usize::from(expected);
    let (Some(packet), Some(digest)) = (buf.get(..length), buf.get(length..needed)) else {
        return Err(AuthError::Truncated { needed, available: buf.len() });
    };
    let computed = compute(packet, key, algo);
    if constant_time_eq(&computed, digest) {
        Ok(info)
    } else {
        Err(AuthError::DigestMismatch)
    }
}

/// Read Key ID and sequence number without verifying, so the caller can pick the key.
///
/// # Errors
/// `Truncated` below a header, `NotCryptographic` for another AuType.
pub fn crypto_info(buf: &[u8]) -> Result<CryptoInfo, AuthError> {
    let Some(h) = buf.get(..HEADER_LEN) else {
        return Err(AuthError::Truncated { needed: HEADER_LEN, available: buf.len() });
    };
    let au_type = u16::from_be_bytes([h[14], h[15]]);
    if au_type != AuType::CRYPTOGRAPHIC.0 {
        return Err(AuthError::NotCryptographic(au_type));
    }
    Ok(CryptoInfo {
        key_id: h[18],
        crypto_sequence_number: u32::from_be_bytes([h[20], h[21], h[22], h[23]]),
    })
}

fn packet_length(buf: &[u8]) -> Result<usize, AuthError> {
    let length = buf.get(2..4).map(|b| usize::from(u16::from_be_bytes([b[0], b[1]]))).unwrap_or(0);
    if length < HEADER_LEN {
        return Err(AuthError::Truncated { needed: HEADER_LEN, available: length });
    }
    Ok(length)
}

/// The digest of `packet` (without digest) under `key`.
fn compute(packet: &[u8], key: &[u8], algo: CryptoAlgorithm) -> Vec<u8> {
    match algo {
        CryptoAlgorithm::Md5 => {
            // D.4.3 (6)(b): "the 16 byte MD5 key is appended to the OSPF packet",
            // a shorter key padded with zeros.
            let mut k = [0u8; 16];
            let n = key.len().min(16);
            k[..n].copy_from_slice(&key[..n]);
            let mut h = Md5::new();
            h.update(packet);
            h.update(k);
            h.finalize().to_vec()
        }
        _ => {
            let apad = apad(usize::from(algo.digest_len()));
            hmac_sha(algo, key, &[packet, &apad]).unwrap_or_default()
        }
    }
}

/// Apad for a digest of `l` octets: 0x878FE1F3 repeated (RFC 5709 §3.3).
pub(crate) fn apad(l: usize) -> Vec<u8> {
    APAD.to_be_bytes().iter().copied().cycle().take(l).collect()
}

/// HMAC-SHA of the concatenated `parts` under `key` (RFC 5709 §3.3,
/// RFC 7166 §4.5): Ko is K zero-padded to L octets, or H(K) if K is longer
/// than L. `None` for keyed MD5, which is not an HMAC.
pub(crate) fn hmac_sha(algo: CryptoAlgorithm, key: &[u8], parts: &[&[u8]]) -> Option<Vec<u8>> {
    Some(match algo {
        CryptoAlgorithm::Md5 => return None,
        CryptoAlgorithm::HmacSha1 => hmac_parts::<Hmac<Sha1>, Sha1>(parts, key, 20),
        CryptoAlgorithm::HmacSha256 => hmac_parts::<Hmac<Sha256>, Sha256>(parts, key, 32),
        CryptoAlgorithm::HmacSha384 => hmac_parts::<Hmac<Sha384>, Sha384>(parts, key, 48),
        CryptoAlgorithm::HmacSha512 => hmac_parts::<Hmac<Sha512>, Sha512>(parts, key, 64),
    })
}

fn hmac_parts<M: Mac + hmac::digest::KeyInit, H: Digest>(
    parts: &[&[u8]],
    key: &[u8],
    l: usize,
) -> Vec<u8> {
    let ko: Vec<u8> = if key.len() > l {
        H::digest(key).to_vec()
    } else {
        let mut k = key.to_vec();
        k.resize(l, 0);
        k
    };
    let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(&ko)
        .unwrap_or_else(|_| <M as hmac::digest::KeyInit>::new(&Default::default()));
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().to_vec()
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet() -> BytesMut {
        // A Hello header and body, as Packet::encode would write it.
        let mut b = BytesMut::new();
        b.put_slice(&[2, 1, 0, 44, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
        b.put_slice(&[0; 8]);
        b.put_slice(&[255, 255, 255, 0, 0, 10, 2, 1, 0, 0, 0, 40]);
        b.put_slice(&[0; 8]);
        b
    }

    #[test]
    fn sign_then_verify_every_algorithm() {
        for algo in [
            CryptoAlgorithm::Md5,
            CryptoAlgorithm::HmacSha1,
            CryptoAlgorithm::HmacSha256,
            CryptoAlgorithm::HmacSha384,
            CryptoAlgorithm::HmacSha512,
        ] {
            let mut p = packet();
            sign(&mut p, 7, b"secret", algo, 42).unwrap_or_default();
            assert_eq!(p.len(), 44 + usize::from(algo.digest_len()));
            assert_eq!(
                verify(&p, b"secret", algo),
                Ok(CryptoInfo { key_id: 7, crypto_sequence_number: 42 })
            );
            assert_eq!(verify(&p, b"wrong", algo), Err(AuthError::DigestMismatch));
            let mut lls = p.clone();
            lls.put_slice(&[0, 0, 0, 1]);
            assert!(verify(&lls, b"secret", algo).is_ok(), "trailing LLS data");
            p[30] ^= 1;
            assert_eq!(verify(&p, b"secret", algo), Err(AuthError::DigestMismatch));
        }
    }

    #[test]
    fn wrong_algorithm_is_a_length_error() {
        let mut p = packet();
        sign(&mut p, 1, b"k", CryptoAlgorithm::Md5, 1).unwrap_or_default();
        assert_eq!(
            verify(&p, b"k", CryptoAlgorithm::HmacSha256),
            Err(AuthError::BadAuthDataLen { found: 16, expected: 32 })
        );
        assert_eq!(
            verify(&p[..50], b"k", CryptoAlgorithm::Md5),
            Err(AuthError::Truncated { needed: 60, available: 50 })
        );
    }
}
