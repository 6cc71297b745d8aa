//! What follows an OSPFv3 packet inside the IPv6 payload: the LLS data
//! block (RFC 5613 §2, when the L bit is set) and the authentication
//! trailer (RFC 7166 §3, when the AT bit is set), in that order. Neither is
//! counted in the OSPFv3 packet length.
//!
//! ```text
//! |     Authentication Type       |     Auth Data Len             |
//! |     Reserved                  |  Security Association ID      |
//! |   Cryptographic Sequence Number (high-order 32 bits)          |
//! |   Cryptographic Sequence Number (low-order 32 bits)           |
//! |   Authentication Data (variable)                              |
//! ```
//!
//! Auth Data Len counts the whole trailer, its 16-octet header included.
//! The digest is HMAC-SHA over the packet, the LLS block, the trailer
//! header and Apad, where Apad is the IPv6 source address followed by
//! 0x878FE1F3 repeated to the digest length (RFC 7166 §4.5); the key is
//! K followed by the OSPFv3 Cryptographic Protocol ID (0x0001), then
//! prepared as for OSPFv2 (RFC 5709 §3.3), see [`crate::auth`].

use std::net::Ipv6Addr;

use bytes::{BufMut, Bytes, BytesMut};

use crate::auth::{apad, hmac_sha, AuthError, CryptoAlgorithm};
use crate::error::DecodeError;
use crate::reader::Reader;
use crate::v3::header::HEADER_LEN;

/// Length of the authentication trailer header, before the digest.
pub const TRAILER_HEADER_LEN: usize = 16;

/// Authentication Type of the trailer (RFC 7166 §3, IANA "OSPFv3
/// Authentication Trailer Types").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AuthType(pub u16);

impl AuthType {
    /// HMAC cryptographic authentication.
    pub const HMAC_CRYPTOGRAPHIC: Self = Self(1);
}

/// An authentication trailer as found on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AuthTrailer {
    /// Authentication Type.
    pub auth_type: AuthType,
    /// The 16 bits before the SA ID, zero on transmission.
    pub reserved: u16,
    /// Security Association ID: selects the key and algorithm.
    pub sa_id: u16,
    /// The 64-bit cryptographic sequence number; the receiver checks it
    /// does not decrease (RFC 7166 §4.1).
    pub sequence_number: u64,
    /// The digest.
    pub authentication_data: Bytes,
}

impl AuthTrailer {
    /// Decode a trailer occupying exactly `buf`, whose first octet sits at
    /// absolute offset `base`.
    ///
    /// # Errors
    /// `Truncated` below 16 octets or when Auth Data Len runs past the end,
    /// `BadLength` when it is below 16, `TrailingBytes` after it.
    pub fn decode(buf: Bytes, base: usize) -> Result<Self, DecodeError> {
        let mut r = Reader::new(buf, base);
        if r.remaining() < TRAILER_HEADER_LEN {
            return Err(DecodeError::truncated(base, TRAILER_HEADER_LEN, r.remaining()));
        }
        let auth_type = AuthType(r.u16()?);
        let length = usize::from(r.u16()?);
        if length < TRAILER_HEADER_LEN {
            return Err(DecodeError::bad_length(base, length, "authentication trailer"));
        }
        let reserved = r.u16()?;
        let sa_id = r.u16()?;
        let sequence_number = u64::from_be_bytes(r.array()?);
        if length - TRAILER_HEADER_LEN > r.remaining() {
            return Err(DecodeError::truncated(base, length, r.remaining() + TRAILER_HEADER_LEN));
        }
        let authentication_data = r.take(length - TRAILER_HEADER_LEN)?;
        r.finish()?;
        Ok(Self { auth_type, reserved, sa_id, sequence_number, authentication_data })
    }

    /// Append the trailer; Auth Data Len is saturated for a digest that
    /// could not be carried anyway.
    pub fn encode(&self, buf: &mut BytesMut) {
        let length = TRAILER_HEADER_LEN + self.authentication_data.len();
        buf.put_u16(self.auth_type.0);
        buf.put_u16(u16::try_from(length).unwrap_or(u16::MAX));
        buf.put_u16(self.reserved);
        buf.put_u16(self.sa_id);
        buf.put_u64(self.sequence_number);
        buf.put_slice(&self.authentication_data);
    }
}

/// The octets after an OSPFv3 packet, split into LLS data block and
/// authentication trailer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Trailer {
    /// The LLS data block, its 4-octet header (checksum, length in 32-bit
    /// words) included, uninterpreted.
    pub lls: Option<Bytes>,
    /// The authentication trailer.
    pub auth: Option<AuthTrailer>,
}

impl Trailer {
    /// Split `after`, the octets after the packet length, whose first octet
    /// sits at absolute offset `base`. `lls` and `at` say whether LLS data
    /// and an authentication trailer are expected: from the L and AT bits of
    /// a Hello or Database Description packet, and for the other packet
    /// types from what the neighbour's last Hello or DD said.
    ///
    /// # Errors
    /// `Truncated` or `BadLength` when a block runs past the end or is too
    /// short, `TrailingBytes` when octets are left that nothing announced.
    pub fn decode(after: Bytes, lls: bool, at: bool, base: usize) -> Result<Self, DecodeError> {
        let mut r = Reader::new(after, base);
        let lls = if lls {
            let mut peek = r.clone();
            let _checksum = peek.u16()?;
            let words = usize::from(peek.u16()?);
            if words == 0 {
                return Err(DecodeError::bad_length(r.offset(), 0, "LLS data block"));
            }
            Some(r.take(words * 4)?)
        } else {
            None
        };
        let auth = if at {
            let at_base = r.offset();
            Some(AuthTrailer::decode(r.rest(), at_base)?)
        } else {
            r.finish()?;
            None
        };
        Ok(Self { lls, auth })
    }

    /// Append the LLS block and the trailer.
    pub fn encode(&self, buf: &mut BytesMut) {
        if let Some(l) = &self.lls {
            buf.put_slice(l);
        }
        if let Some(a) = &self.auth {
            a.encode(buf);
        }
    }
}

/// SA ID and sequence number of a trailer, read before verification so
/// the caller can pick the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TrailerInfo {
    /// Security Association ID.
    pub sa_id: u16,
    /// Cryptographic sequence number.
    pub sequence_number: u64,
}

/// Where the trailer starts in an IPv6 payload: after the packet and, with
/// `lls`, after the LLS block.
fn trailer_offset(payload: &[u8], lls: bool) -> Result<usize, AuthError> {
    let length = payload.get(2..4).map_or(0, |b| usize::from(u16::from_be_bytes([b[0], b[1]])));
    if length < HEADER_LEN || length > payload.len() {
        return Err(AuthError::Truncated {
            needed: length.max(HEADER_LEN),
            available: payload.len(),
        });
    }
    if !lls {
        return Ok(length);
    }
    let Some(w) = payload.get(length + 2..length + 4) else {
        return Err(AuthError::Truncated { needed: length + 4, available: payload.len() });
    };
    let end = length + 4 * usize::from(u16::from_be_bytes([w[0], w[1]]));
    if end > payload.len() {
        return Err(AuthError::Truncated { needed: end, available: payload.len() });
    }
    Ok(end)
}

/// Read the SA ID and sequence number of the trailer of `payload` (the
/// IPv6 payload: packet, LLS block if `lls`, trailer) without verifying.
///
/// # Errors
/// `Truncated` when the trailer header is not all there,
/// `NotCryptographic` for an Authentication Type other than 1.
pub fn trailer_info(payload: &[u8], lls: bool) -> Result<TrailerInfo, AuthError> {
    let off = trailer_offset(payload, lls)?;
    let Some(h) = payload.get(off..off + TRAILER_HEADER_LEN) else {
        return Err(AuthError::Truncated {
            needed: off + TRAILER_HEADER_LEN,
            available: payload.len(),
        });
    };
    let auth_type = u16::from_be_bytes([h[0], h[1]]);
    if auth_type != AuthType::HMAC_CRYPTOGRAPHIC.0 {
        return Err(AuthError::NotCryptographic(auth_type));
    }
    let mut seq = [0u8; 8];
    seq.copy_from_slice(&h[8..16]);
    Ok(TrailerInfo {
        sa_id: u16::from_be_bytes([h[6], h[7]]),
        sequence_number: u64::from_be_bytes(seq),
    })
}

/// Apad of RFC 7166 §4.5: the IPv6 source address, then 0x878FE1F3
/// repeated, `l` octets in all.
fn apad_v3(source: Ipv6Addr, l: usize) -> Vec<u8> {
    let mut out = source.octets().to_vec();
    out.extend(apad(l.saturating_sub(16)));
    out.truncate(l);
    out
}

fn digest(
    covered: &[u8],
    source: Ipv6Addr,
    key: &[u8],
    algo: CryptoAlgorithm,
) -> Result<Vec<u8>, AuthError> {
    let l = usize::from(algo.digest_len());
    let apad = apad_v3(source, l);
    // RFC 7166 §4.5: the key Ks is K followed by the Cryptographic Protocol
    // ID of OSPFv3 (1, two octets in network order), which keeps a key
    // shared with other protocols from producing OSPFv3 digests.
    let mut ks = Vec::with_capacity(key.len() + 2);
    ks.extend_from_slice(key);
    ks.extend_from_slice(&OSPFV3_CRYPTO_PROTOCOL_ID.to_be_bytes());
    hmac_sha(algo, &ks, &[covered, &apad]).ok_or(AuthError::UnsupportedAlgorithm(algo))
}

/// The Cryptographic Protocol ID of OSPFv3 (RFC 7166 §4.5, IANA "Keying
/// and Authentication for Routing Protocols (KARP) Parameters").
pub const OSPFV3_CRYPTO_PROTOCOL_ID: u16 = 1;

/// Append an authentication trailer to `packet`, which holds exactly one
/// encoded OSPFv3 packet (checksum already in place, AT bit set in a Hello
/// or DD) and its LLS block if any (RFC 7166 §4.5).
///
/// # Errors
/// `UnsupportedAlgorithm` for keyed MD5, `Truncated` below a packet header.
pub fn sign(
    packet: &mut BytesMut,
    source: Ipv6Addr,
    sa_id: u16,
    key: &[u8],
    algo: CryptoAlgorithm,
    sequence_number: u64,
) -> Result<(), AuthError> {
    if packet.len() < HEADER_LEN {
        return Err(AuthError::Truncated { needed: HEADER_LEN, available: packet.len() });
    }
    if algo == CryptoAlgorithm::Md5 {
        return Err(AuthError::UnsupportedAlgorithm(algo));
    }
    let length = TRAILER_HEADER_LEN as u16 + u16::from(algo.digest_len());
    packet.put_u16(AuthType::HMAC_CRYPTOGRAPHIC.0);
    packet.put_u16(length);
    packet.put_u16(0);
    packet.put_u16(sa_id);
    packet.put_u64(sequence_number);
    let d = digest(packet, source, key, algo)?;
    packet.put_slice(&d);
    Ok(())
}

/// Verify the authentication trailer of `payload` (the IPv6 payload:
/// packet, LLS block if `lls`, trailer) sent from `source`, with `key`
/// under `algo`.
///
/// # Errors
/// See [`AuthError`]; `BadTrailerLength` when Auth Data Len does not fit
/// the algorithm.
pub fn verify(
    payload: &[u8],
    source: Ipv6Addr,
    lls: bool,
    key: &[u8],
    algo: CryptoAlgorithm,
) -> Result<TrailerInfo, AuthError> {
    if algo == CryptoAlgorithm::Md5 {
        return Err(AuthError::UnsupportedAlgorithm(algo));
    }
    let info = trailer_info(payload, lls)?;
    let off = trailer_offset(payload, lls)?;
    let expected = TRAILER_HEADER_LEN as u16 + u16::from(algo.digest_len());
    let found = payload.get(off + 2..off + 4).map_or(0, |b| u16::from_be_bytes([b[0], b[1]]));
    if found != expected {
        return Err(AuthError::BadTrailerLength { found, expected });
    }
    let end = off + usize::from(expected);
    let (Some(covered), Some(received)) =
        (payload.get(..off + TRAILER_HEADER_LEN), payload.get(off + TRAILER_HEADER_LEN..end))
    else {
        return Err(AuthError::Truncated { needed: end, available: payload.len() });
    };
    let computed = digest(covered, source, key, algo)?;
    if computed.len() == received.len()
        && computed.iter().zip(received).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    {
        Ok(info)
    } else {
        Err(AuthError::DigestMismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);
    const ALGOS: [CryptoAlgorithm; 4] = [
        CryptoAlgorithm::HmacSha1,
        CryptoAlgorithm::HmacSha256,
        CryptoAlgorithm::HmacSha384,
        CryptoAlgorithm::HmacSha512,
    ];

    fn packet() -> BytesMut {
        // A Hello header and body with the AT bit (0x000400) set.
        let mut b = BytesMut::new();
        b.put_slice(&[3, 1, 0, 36, 1, 1, 1, 1, 0, 0, 0, 0, 0x12, 0x34, 0, 0]);
        b.put_slice(&[0, 0, 0, 3, 1, 0, 0x04, 0x13, 0, 10, 0, 40, 0, 0, 0, 0, 0, 0, 0, 0]);
        b
    }

    #[test]
    fn the_key_is_followed_by_the_ospfv3_protocol_id() {
        // HMAC-SHA-256 under Ks = "secret" || 0x0001 over the packet, the
        // trailer header (SA ID 1, sequence number 5) and Apad for fe80::1,
        // computed independently (Python's hmac).
        let mut p = packet();
        sign(&mut p, SRC, 1, b"secret", CryptoAlgorithm::HmacSha256, 5)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            hex(&p[52..]),
            "efaef8069123b68d9a02baf95b569b14b1d38344103cd42863aad122a1325e39"
        );
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn sign_then_verify_every_algorithm() {
        for algo in ALGOS {
            let mut p = packet();
            sign(&mut p, SRC, 7, b"secret", algo, 0x0102_0304_0506_0708)
                .unwrap_or_else(|e| panic!("{e}"));
            let l = usize::from(algo.digest_len());
            assert_eq!(p.len(), 36 + 16 + l);
            let info = TrailerInfo { sa_id: 7, sequence_number: 0x0102_0304_0506_0708 };
            assert_eq!(verify(&p, SRC, false, b"secret", algo), Ok(info));
            assert_eq!(trailer_info(&p, false), Ok(info));
            assert_eq!(verify(&p, SRC, false, b"wrong", algo), Err(AuthError::DigestMismatch));
            let other = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 2);
            assert_eq!(verify(&p, other, false, b"secret", algo), Err(AuthError::DigestMismatch));
            let t = Trailer::decode(Bytes::copy_from_slice(&p[36..]), false, true, 36)
                .unwrap_or_else(|e| panic!("{e}"));
            let auth = t.auth.unwrap_or_else(|| panic!("no trailer"));
            assert_eq!((auth.sa_id, auth.authentication_data.len()), (7, l));
            let mut again = BytesMut::from(&p[..36]);
            auth.encode(&mut again);
            assert_eq!(again, p);
            p[20] ^= 1;
            assert_eq!(verify(&p, SRC, false, b"secret", algo), Err(AuthError::DigestMismatch));
        }
    }

    #[test]
    fn lls_block_is_covered() {
        let mut p = packet();
        p.put_slice(&[0, 0, 0, 2, 0, 1, 0, 0]);
        sign(&mut p, SRC, 1, b"k", CryptoAlgorithm::HmacSha256, 9)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(verify(&p, SRC, true, b"k", CryptoAlgorithm::HmacSha256).is_ok());
        let t = Trailer::decode(Bytes::copy_from_slice(&p[36..]), true, true, 36)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.lls.as_deref(), Some(&[0, 0, 0, 2, 0, 1, 0, 0][..]));
        p[41] ^= 1;
        assert_eq!(
            verify(&p, SRC, true, b"k", CryptoAlgorithm::HmacSha256),
            Err(AuthError::DigestMismatch)
        );
    }

    #[test]
    fn errors() {
        let mut p = packet();
        assert_eq!(
            sign(&mut p, SRC, 1, b"k", CryptoAlgorithm::Md5, 1),
            Err(AuthError::UnsupportedAlgorithm(CryptoAlgorithm::Md5))
        );
        sign(&mut p, SRC, 1, b"k", CryptoAlgorithm::HmacSha1, 1).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            verify(&p, SRC, false, b"k", CryptoAlgorithm::HmacSha256),
            Err(AuthError::BadTrailerLength { found: 36, expected: 48 })
        );
        assert_eq!(
            verify(&p[..60], SRC, false, b"k", CryptoAlgorithm::HmacSha1),
            Err(AuthError::Truncated { needed: 72, available: 60 })
        );
        assert!(matches!(
            Trailer::decode(Bytes::copy_from_slice(&p[36..60]), false, true, 36),
            Err(DecodeError::Truncated { offset: 36, .. })
        ));
        assert_eq!(
            Trailer::decode(Bytes::from_static(&[1, 2]), false, false, 36),
            Err(DecodeError::TrailingBytes { offset: 36, count: 2 })
        );
        assert_eq!(
            Trailer::decode(Bytes::from_static(&[0, 0, 0, 0]), true, false, 36),
            Err(DecodeError::BadLength { offset: 36, length: 0, what: "LLS data block" })
        );
    }
}
