//! OSPFv2 packets (RFC 2328 appendix A.3) and their authentication
//! (appendix D, RFC 5709): the five packet types, encoded into a `Vec<u8>`
//! and decoded with bounds checks. Cryptographic digests are computed and
//! verified by `ospf-wire`'s `auth` module.

use ospf_wire::auth::{self as wire_auth, CryptoAlgorithm};

use crate::lsa::{Lsa, LsaHeader, LsaKey, LsaType, HEADER_LEN};
use crate::types::{AreaId, RouterId};
use crate::wire::{Reader, WireError};

/// Length of the OSPF packet header.
pub const OSPF_HEADER_LEN: usize = 24;

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
    fn autype(&self) -> u16 {
        match self {
            Auth::Null => 0,
            Auth::Simple(_) => 1,
            Auth::Md5 { .. } | Auth::HmacSha { .. } => 2,
        }
    }

    /// Key ID, key and algorithm of cryptographic authentication.
    fn crypto(&self) -> Option<(u8, &[u8], CryptoAlgorithm)> {
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

/// Hello packet body (RFC 2328 A.3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    /// Network mask of the sending interface.
    pub mask: u32,
    /// HelloInterval in seconds.
    pub hello_interval: u16,
    /// Options.
    pub options: u8,
    /// Router priority.
    pub priority: u8,
    /// RouterDeadInterval in seconds.
    pub dead_interval: u32,
    /// Designated router (interface address), 0 if none.
    pub dr: u32,
    /// Backup designated router, 0 if none.
    pub bdr: u32,
    /// Router IDs of neighbours heard from recently.
    pub neighbors: Vec<RouterId>,
}

/// DD flag bits (RFC 2328 A.3.3).
pub mod dd_flags {
    /// I: init.
    pub const I: u8 = 0x04;
    /// M: more.
    pub const M: u8 = 0x02;
    /// MS: master.
    pub const MS: u8 = 0x01;
}

/// Database Description packet body (RFC 2328 A.3.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseDescription {
    /// Interface MTU of the sender.
    pub mtu: u16,
    /// Options.
    pub options: u8,
    /// I, M and MS bits.
    pub flags: u8,
    /// DD sequence number.
    pub seq: u32,
    /// LSA headers summarised.
    pub headers: Vec<LsaHeader>,
}

/// The body of an OSPF packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// Type 1.
    Hello(Hello),
    /// Type 2.
    DatabaseDescription(DatabaseDescription),
    /// Type 3: the LSAs requested.
    LinkStateRequest(Vec<LsaKey>),
    /// Type 4: the LSAs sent.
    LinkStateUpdate(Vec<Lsa>),
    /// Type 5: the headers acknowledged.
    LinkStateAck(Vec<LsaHeader>),
}

impl Body {
    fn ty(&self) -> u8 {
        match self {
            Body::Hello(_) => 1,
            Body::DatabaseDescription(_) => 2,
            Body::LinkStateRequest(_) => 3,
            Body::LinkStateUpdate(_) => 4,
            Body::LinkStateAck(_) => 5,
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Body::Hello(h) => {
                out.extend_from_slice(&h.mask.to_be_bytes());
                out.extend_from_slice(&h.hello_interval.to_be_bytes());
                out.push(h.options);
                out.push(h.priority);
                out.extend_from_slice(&h.dead_interval.to_be_bytes());
                out.extend_from_slice(&h.dr.to_be_bytes());
                out.extend_from_slice(&h.bdr.to_be_bytes());
                for n in &h.neighbors {
                    out.extend_from_slice(&n.0.to_be_bytes());
                }
            }
            Body::DatabaseDescription(d) => {
                out.extend_from_slice(&d.mtu.to_be_bytes());
                out.push(d.options);
                out.push(d.flags);
                out.extend_from_slice(&d.seq.to_be_bytes());
                for h in &d.headers {
                    h.encode(out);
                }
            }
            Body::LinkStateRequest(keys) => {
                for k in keys {
                    out.extend_from_slice(&u32::from(k.ty.0).to_be_bytes());
                    out.extend_from_slice(&k.id.to_be_bytes());
                    out.extend_from_slice(&k.adv.0.to_be_bytes());
                }
            }
            Body::LinkStateUpdate(lsas) => {
                // Ages are patched by the caller through `encode_update`.
                out.extend_from_slice(&(lsas.len() as u32).to_be_bytes());
                for l in lsas {
                    l.encode_with_age(l.header.age, out);
                }
            }
            Body::LinkStateAck(hs) => {
                for h in hs {
                    h.encode(out);
                }
            }
        }
    }
}

/// The fields of a received packet header the engine needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketHeader {
    /// Router ID of the sender.
    pub router_id: RouterId,
    /// Area ID.
    pub area_id: AreaId,
    /// Cryptographic sequence number when MD5 authentication is used.
    pub crypto_seq: Option<u32>,
}

/// Encodes a packet with the given authentication; `crypto_seq` is used for
/// cryptographic authentication only.
#[must_use]
pub fn encode(
    router_id: RouterId,
    area_id: AreaId,
    body: &Body,
    auth: &Auth,
    crypto_seq: u32,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    out.push(2);
    out.push(body.ty());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&router_id.0.to_be_bytes());
    out.extend_from_slice(&area_id.0.to_be_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&auth.autype().to_be_bytes());
    out.extend_from_slice(&[0; 8]);
    body.encode(&mut out);
    let len = out.len().min(usize::from(u16::MAX)) as u16;
    out[2..4].copy_from_slice(&len.to_be_bytes());
    match auth {
        Auth::Null | Auth::Simple(_) => {
            // D.4.1/D.4.2: checksum over the packet excluding the
            // authentication field, then the password.
            let sum = internet_checksum(&out);
            out[12..14].copy_from_slice(&sum.to_be_bytes());
            if let Auth::Simple(pw) = auth {
                out[16..24].copy_from_slice(pw);
            }
        }
        Auth::Md5 { .. } | Auth::HmacSha { .. } => {
            // D.4.3 and RFC 5709: no checksum; key ID, digest length and
            // sequence number in the header, the digest appended (computed
            // by ospf-wire, which was checked against BIRD and FRR).
            if let Some((key_id, key, algo)) = auth.crypto() {
                let mut buf = bytes::BytesMut::from(&out[..]);
                if wire_auth::sign(&mut buf, key_id, key, algo, crypto_seq).is_ok() {
                    out = buf.to_vec();
                }
            }
        }
    }
    out
}

/// The one's complement checksum of RFC 2328 D.4.1, over the packet with the
/// 8-byte authentication field (bytes 16..24) left out.
fn internet_checksum(packet: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    let mut words = packet.chunks(2).enumerate();
    for (i, w) in &mut words {
        if (8..12).contains(&i) {
            continue;
        }
        let v = match w {
            [a, b] => u16::from_be_bytes([*a, *b]),
            [a] => u16::from_be_bytes([*a, 0]),
            _ => 0,
        };
        sum += u32::from(v);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Decodes and authenticates an OSPFv2 packet (the IP payload).
pub fn decode(bytes: &[u8], auth: &Auth) -> Result<(PacketHeader, Body), WireError> {
    let mut r = Reader::new(bytes);
    let version = r.u8()?;
    if version != 2 {
        return Err(WireError::Invalid { offset: 0, what: "version" });
    }
    let ty = r.u8()?;
    let len = usize::from(r.u16()?);
    if len < OSPF_HEADER_LEN || len > bytes.len() {
        return Err(WireError::Invalid { offset: 2, what: "packet length" });
    }
    let router_id = RouterId(r.u32()?);
    let area_id = AreaId(r.u32()?);
    let _checksum = r.u16()?;
    let autype = r.u16()?;
    let auth_field = r.take(8)?;
    let packet = bytes.get(..len).unwrap_or_default();
    if autype != auth.autype() {
        return Err(WireError::Auth("authentication type mismatch"));
    }
    let mut crypto_seq = None;
    match auth {
        Auth::Null | Auth::Simple(_) => {
            if internet_checksum(packet) != 0 {
                return Err(WireError::Checksum { offset: 12 });
            }
            if let Auth::Simple(pw) = auth {
                if auth_field != pw {
                    return Err(WireError::Auth("simple password mismatch"));
                }
            }
        }
        Auth::Md5 { .. } | Auth::HmacSha { .. } => {
            let Some((key_id, key, algo)) = auth.crypto() else {
                return Err(WireError::Auth("no key"));
            };
            let info = wire_auth::verify(bytes, key, algo).map_err(|e| match e {
                wire_auth::AuthError::DigestMismatch => WireError::Auth("digest mismatch"),
                wire_auth::AuthError::Truncated { .. } => WireError::Auth("digest missing"),
                _ => WireError::Auth("wrong algorithm or digest length"),
            })?;
            if info.key_id != key_id {
                return Err(WireError::Auth("unknown key id"));
            }
            crypto_seq = Some(info.crypto_sequence_number);
        }
    }
    let mut r = Reader::new_at(packet.get(OSPF_HEADER_LEN..).unwrap_or_default(), OSPF_HEADER_LEN);
    let body = match ty {
        1 => {
            let mask = r.u32()?;
            let hello_interval = r.u16()?;
            let options = r.u8()?;
            let priority = r.u8()?;
            let dead_interval = r.u32()?;
            let dr = r.u32()?;
            let bdr = r.u32()?;
            let mut neighbors = Vec::with_capacity(r.remaining() / 4);
            while r.remaining() >= 4 {
                neighbors.push(RouterId(r.u32()?));
            }
            Body::Hello(Hello {
                mask,
                hello_interval,
                options,
                priority,
                dead_interval,
                dr,
                bdr,
                neighbors,
            })
        }
        2 => {
            let mtu = r.u16()?;
            let options = r.u8()?;
            let flags = r.u8()?;
            let seq = r.u32()?;
            let mut headers = Vec::with_capacity(r.remaining() / HEADER_LEN);
            while r.remaining() >= HEADER_LEN {
                headers.push(LsaHeader::decode(&mut r)?);
            }
            Body::DatabaseDescription(DatabaseDescription { mtu, options, flags, seq, headers })
        }
        3 => {
            let mut keys = Vec::with_capacity(r.remaining() / 12);
            while r.remaining() >= 12 {
                let ty = r.u32()?;
                let id = r.u32()?;
                let adv = RouterId(r.u32()?);
                let ty = u8::try_from(ty)
                    .map_err(|_| WireError::Invalid { offset: r.offset() - 12, what: "LS type" })?;
                keys.push(LsaKey { ty: LsaType(ty), id, adv });
            }
            Body::LinkStateRequest(keys)
        }
        4 => {
            let n = r.u32()?;
            let mut lsas = Vec::with_capacity((n as usize).min(r.remaining() / HEADER_LEN));
            for _ in 0..n {
                lsas.push(Lsa::decode(&mut r)?);
            }
            Body::LinkStateUpdate(lsas)
        }
        5 => {
            let mut hs = Vec::with_capacity(r.remaining() / HEADER_LEN);
            while r.remaining() >= HEADER_LEN {
                hs.push(LsaHeader::decode(&mut r)?);
            }
            Body::LinkStateAck(hs)
        }
        _ => return Err(WireError::Invalid { offset: 1, what: "packet type" }),
    };
    Ok((PacketHeader { router_id, area_id, crypto_seq }, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hello() -> Body {
        Body::Hello(Hello {
            mask: 0xffff_ff00,
            hello_interval: 10,
            options: 0x02,
            priority: 1,
            dead_interval: 40,
            dr: 0xc0a8_0001,
            bdr: 0,
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
        assert_eq!(decode(&bad, &Auth::Null), Err(WireError::Checksum { offset: 12 }));
    }

    #[test]
    fn md5_auth_accepts_right_key_rejects_wrong_key() {
        let a = Auth::Md5 { key_id: 1, key: b"secret".to_vec() };
        let b = encode(RouterId(9), AreaId(2), &hello(), &a, 77);
        assert_eq!(b.len(), 24 + 28 + 16);
        let (h, _) = decode(&b, &a).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(h.crypto_seq, Some(77));
        let wrong = Auth::Md5 { key_id: 1, key: b"other".to_vec() };
        assert_eq!(decode(&b, &wrong), Err(WireError::Auth("digest mismatch")));
        assert!(matches!(decode(&b, &Auth::Null), Err(WireError::Auth(_))));
    }

    #[test]
    fn hmac_sha_256() {
        let a = Auth::HmacSha { algorithm: ShaAlgorithm::Sha256, key_id: 5, key: b"k".to_vec() };
        let b = encode(RouterId(9), AreaId(0), &hello(), &a, 9);
        assert_eq!(b.len(), 24 + 28 + 32);
        assert_eq!(decode(&b, &a).map(|x| x.0.crypto_seq), Ok(Some(9)));
        let other_id =
            Auth::HmacSha { algorithm: ShaAlgorithm::Sha256, key_id: 6, key: b"k".to_vec() };
        assert_eq!(decode(&b, &other_id), Err(WireError::Auth("unknown key id")));
    }

    #[test]
    fn simple_password() {
        let a = Auth::Simple(*b"pass\0\0\0\0");
        let b = encode(RouterId(9), AreaId(2), &hello(), &a, 0);
        assert!(decode(&b, &a).is_ok());
        assert!(decode(&b, &Auth::Simple(*b"nope\0\0\0\0")).is_err());
    }

    #[test]
    fn dd_lsr_ack_round_trip() {
        let h = LsaHeader {
            age: 3,
            options: 2,
            key: LsaKey { ty: LsaType::ROUTER, id: 1, adv: RouterId(1) },
            seq: i32::MIN + 1,
            checksum: 0x1234,
            length: 36,
        };
        for body in [
            Body::DatabaseDescription(DatabaseDescription {
                mtu: 1500,
                options: 2,
                flags: dd_flags::I | dd_flags::M | dd_flags::MS,
                seq: 42,
                headers: vec![h],
            }),
            Body::LinkStateRequest(vec![h.key]),
            Body::LinkStateAck(vec![h, h]),
        ] {
            let b = encode(RouterId(9), AreaId(0), &body, &Auth::Null, 0);
            let (_, back) = decode(&b, &Auth::Null).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(back, body);
        }
    }

    #[test]
    fn garbage_gives_errors_not_panics() {
        for n in 0..60 {
            let junk: Vec<u8> = (0..n).map(|i| (i * 37 + 2) as u8).collect();
            let _ = decode(&junk, &Auth::Null);
        }
        let mut b = encode(RouterId(9), AreaId(0), &hello(), &Auth::Null, 0);
        b[1] = 9;
        assert!(decode(&b, &Auth::Null).is_err());
    }
}
