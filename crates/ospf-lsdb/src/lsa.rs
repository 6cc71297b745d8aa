//! LSAs as the engine keeps them: the 20-byte header, a decoded body for the
//! types SPF reads, and the exact wire bytes so that an LSA is flooded
//! unchanged (RFC 2328 §12 and appendix A.4).
//!
//! This is a compact local codec; it covers what the engine needs (router,
//! network, summary, AS-external and NSSA bodies, any other type kept raw).

use std::cmp::Ordering;
use std::net::Ipv4Addr;
use std::sync::Arc;

use crate::types::{consts, RouterId};
use crate::wire::{Reader, WireError};

/// The LS type field (RFC 2328 A.4.1), kept open so unknown types round-trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LsaType(pub u8);

impl LsaType {
    /// Router-LSA.
    pub const ROUTER: Self = Self(1);
    /// Network-LSA.
    pub const NETWORK: Self = Self(2);
    /// Summary-LSA for an IP network.
    pub const SUMMARY_NETWORK: Self = Self(3);
    /// Summary-LSA for an AS boundary router.
    pub const SUMMARY_ASBR: Self = Self(4);
    /// AS-external-LSA.
    pub const AS_EXTERNAL: Self = Self(5);
    /// NSSA-LSA (RFC 3101).
    pub const NSSA: Self = Self(7);
    /// AS-scope opaque LSA (RFC 5250).
    pub const OPAQUE_AS: Self = Self(11);

    /// Whether the LSA is flooded throughout the AS rather than one area.
    #[must_use]
    pub fn is_as_scope(self) -> bool {
        self == Self::AS_EXTERNAL || self == Self::OPAQUE_AS
    }
}

/// The triple that identifies an LSA (RFC 2328 §12.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LsaKey {
    /// LS type.
    pub ty: LsaType,
    /// Link State ID.
    pub id: u32,
    /// Advertising Router.
    pub adv: RouterId,
}

/// The LSA header (RFC 2328 A.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LsaHeader {
    /// LS age in seconds.
    pub age: u16,
    /// Options.
    pub options: u8,
    /// LS type, Link State ID and Advertising Router.
    pub key: LsaKey,
    /// LS sequence number (signed, RFC 2328 §12.1.6).
    pub seq: i32,
    /// Fletcher checksum.
    pub checksum: u16,
    /// Length of the whole LSA in bytes.
    pub length: u16,
}

/// Length of the LSA header.
pub const HEADER_LEN: usize = 20;

impl LsaHeader {
    /// Decodes a header from the next 20 bytes.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            age: r.u16()?,
            options: r.u8()?,
            key: LsaKey { ty: LsaType(r.u8()?), id: r.u32()?, adv: RouterId(r.u32()?) },
            seq: r.u32()? as i32,
            checksum: r.u16()?,
            length: r.u16()?,
        })
    }

    /// Appends the 20-byte header.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.age.to_be_bytes());
        out.push(self.options);
        out.push(self.key.ty.0);
        out.extend_from_slice(&self.key.id.to_be_bytes());
        out.extend_from_slice(&self.key.adv.0.to_be_bytes());
        out.extend_from_slice(&(self.seq as u32).to_be_bytes());
        out.extend_from_slice(&self.checksum.to_be_bytes());
        out.extend_from_slice(&self.length.to_be_bytes());
    }

    /// Which of two instances of the same LSA is more recent
    /// (RFC 2328 §13.1); `Greater` means `self` is newer.
    #[must_use]
    pub fn compare_recency(&self, other: &LsaHeader) -> Ordering {
        // "The LSA having the newer LS sequence number is more recent."
        match self.seq.cmp(&other.seq) {
            Ordering::Equal => {}
            o => return o,
        }
        // "If the two instances have different LS checksums, then the
        // instance having the larger LS checksum ... is considered more recent."
        match self.checksum.cmp(&other.checksum) {
            Ordering::Equal => {}
            o => return o,
        }
        // "If only one of the instances has its LS age field set to MaxAge,
        // the instance of age MaxAge is considered to be more recent."
        let (a, b) = (self.age.min(consts::MAX_AGE), other.age.min(consts::MAX_AGE));
        if a == consts::MAX_AGE && b != consts::MAX_AGE {
            return Ordering::Greater;
        }
        if b == consts::MAX_AGE && a != consts::MAX_AGE {
            return Ordering::Less;
        }
        // "Else, if the LS ages of the two instances differ by more than
        // MaxAgeDiff, the instance having the smaller (younger) LS age is
        // considered to be more recent."
        if a.abs_diff(b) > consts::MAX_AGE_DIFF {
            return b.cmp(&a);
        }
        Ordering::Equal
    }
}

/// The kind of a router-LSA link (RFC 2328 A.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LinkType {
    /// 1: point-to-point connection to another router.
    PointToPoint,
    /// 2: connection to a transit network.
    Transit,
    /// 3: connection to a stub network.
    Stub,
    /// 4: virtual link.
    Virtual,
}

impl LinkType {
    fn from_u8(v: u8) -> Option<Self> {
        Some(match v {
            1 => Self::PointToPoint,
            2 => Self::Transit,
            3 => Self::Stub,
            4 => Self::Virtual,
            _ => return None,
        })
    }

    fn to_u8(self) -> u8 {
        match self {
            Self::PointToPoint => 1,
            Self::Transit => 2,
            Self::Stub => 3,
            Self::Virtual => 4,
        }
    }
}

/// One link of a router-LSA (TOS metrics are dropped, RFC 2328 §16 uses TOS 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RouterLink {
    /// Link type.
    pub ty: LinkType,
    /// Link ID: neighbour router ID, DR address or network number.
    pub id: u32,
    /// Link Data: interface address (or ifindex) or network mask for stubs.
    pub data: u32,
    /// TOS 0 metric.
    pub metric: u16,
}

/// Router-LSA flag bits (RFC 2328 A.4.2, RFC 3101 Nt).
pub mod router_flags {
    /// B: area border router.
    pub const B: u8 = 0x01;
    /// E: AS boundary router.
    pub const E: u8 = 0x02;
    /// V: endpoint of a full virtual link.
    pub const V: u8 = 0x04;
    /// Nt: NSSA translator (RFC 3101).
    pub const NT: u8 = 0x10;
}

/// Body of a summary-LSA (types 3 and 4, RFC 2328 A.4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SummaryBody {
    /// Network mask (0 for type 4).
    pub mask: u32,
    /// TOS 0 metric (24 bits).
    pub metric: u32,
}

/// Body of an AS-external or NSSA LSA (types 5 and 7, RFC 2328 A.4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExternalBody {
    /// Network mask.
    pub mask: u32,
    /// E-bit: the metric is a type 2 external metric.
    pub type2: bool,
    /// TOS 0 metric (24 bits).
    pub metric: u32,
    /// Forwarding address (0: via the advertising router).
    pub forwarding: u32,
    /// External route tag.
    pub tag: u32,
}

/// The decoded body of an LSA.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LsaBody {
    /// Router-LSA: flags and links.
    Router {
        /// V, E, B (and Nt) bits.
        flags: u8,
        /// The router's links.
        links: Vec<RouterLink>,
    },
    /// Network-LSA.
    Network {
        /// Network mask.
        mask: u32,
        /// Attached routers (including the DR).
        routers: Vec<RouterId>,
    },
    /// Summary-LSA (type 3 or 4).
    Summary(SummaryBody),
    /// AS-external-LSA or NSSA-LSA.
    External(ExternalBody),
    /// Any other type, kept as the raw body bytes.
    Raw(Vec<u8>),
}

impl LsaBody {
    fn decode(ty: LsaType, r: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(match ty {
            LsaType::ROUTER => {
                let flags = r.u8()?;
                let _ = r.u8()?;
                let n = r.u16()?;
                let mut links = Vec::with_capacity(usize::from(n).min(r.remaining() / 12));
                for _ in 0..n {
                    let id = r.u32()?;
                    let data = r.u32()?;
                    let ty = r.u8()?;
                    let tos = r.u8()?;
                    let metric = r.u16()?;
                    r.skip(usize::from(tos) * 4)?;
                    let ty = LinkType::from_u8(ty).ok_or(WireError::Invalid {
                        offset: r.offset(),
                        what: "router-LSA link type",
                    })?;
                    links.push(RouterLink { ty, id, data, metric });
                }
                Self::Router { flags, links }
            }
            LsaType::NETWORK => {
                let mask = r.u32()?;
                let mut routers = Vec::with_capacity(r.remaining() / 4);
                while r.remaining() >= 4 {
                    routers.push(RouterId(r.u32()?));
                }
                Self::Network { mask, routers }
            }
            LsaType::SUMMARY_NETWORK | LsaType::SUMMARY_ASBR => {
                let mask = r.u32()?;
                let metric = r.u32()? & 0x00ff_ffff;
                r.skip(r.remaining())?;
                Self::Summary(SummaryBody { mask, metric })
            }
            LsaType::AS_EXTERNAL | LsaType::NSSA => {
                let mask = r.u32()?;
                let m = r.u32()?;
                let forwarding = r.u32()?;
                let tag = r.u32()?;
                r.skip(r.remaining())?;
                Self::External(ExternalBody {
                    mask,
                    type2: m & 0x8000_0000 != 0,
                    metric: m & 0x00ff_ffff,
                    forwarding,
                    tag,
                })
            }
            _ => Self::Raw(r.rest().to_vec()),
        })
    }

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Self::Router { flags, links } => {
                out.push(*flags);
                out.push(0);
                out.extend_from_slice(
                    &(links.len().min(usize::from(u16::MAX)) as u16).to_be_bytes(),
                );
                for l in links.iter().take(usize::from(u16::MAX)) {
                    out.extend_from_slice(&l.id.to_be_bytes());
                    out.extend_from_slice(&l.data.to_be_bytes());
                    out.push(l.ty.to_u8());
                    out.push(0);
                    out.extend_from_slice(&l.metric.to_be_bytes());
                }
            }
            Self::Network { mask, routers } => {
                out.extend_from_slice(&mask.to_be_bytes());
                for r in routers {
                    out.extend_from_slice(&r.0.to_be_bytes());
                }
            }
            Self::Summary(s) => {
                out.extend_from_slice(&s.mask.to_be_bytes());
                out.extend_from_slice(&(s.metric & 0x00ff_ffff).to_be_bytes());
            }
            Self::External(e) => {
                out.extend_from_slice(&e.mask.to_be_bytes());
                let m = (e.metric & 0x00ff_ffff) | if e.type2 { 0x8000_0000 } else { 0 };
                out.extend_from_slice(&m.to_be_bytes());
                out.extend_from_slice(&e.forwarding.to_be_bytes());
                out.extend_from_slice(&e.tag.to_be_bytes());
            }
            Self::Raw(b) => out.extend_from_slice(b),
        }
    }
}

/// An LSA: header, decoded body and its exact wire bytes (shared).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lsa {
    /// The header as received or originated (the age is the one at that time).
    pub header: LsaHeader,
    /// The decoded body.
    pub body: LsaBody,
    raw: Arc<[u8]>,
}

impl Lsa {
    /// Builds an LSA from its parts, computing length and Fletcher checksum.
    #[must_use]
    pub fn new(age: u16, options: u8, key: LsaKey, seq: i32, body: LsaBody) -> Self {
        let mut header = LsaHeader { age, options, key, seq, checksum: 0, length: 0 };
        let mut raw = Vec::with_capacity(64);
        header.encode(&mut raw);
        body.encode(&mut raw);
        header.length = raw.len().min(usize::from(u16::MAX)) as u16;
        raw[18..20].copy_from_slice(&header.length.to_be_bytes());
        header.checksum = fletcher_checksum(&raw[2..], 14);
        raw[16..18].copy_from_slice(&header.checksum.to_be_bytes());
        Self { header, body, raw: raw.into() }
    }

    /// Decodes one LSA from the reader, verifying its length and checksum
    /// (RFC 2328 §13 step 1).
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let start = r.offset();
        let bytes = r.peek_rest();
        let mut hr = Reader::new_at(bytes, start);
        let header = LsaHeader::decode(&mut hr)?;
        let len = usize::from(header.length);
        if len < HEADER_LEN {
            return Err(WireError::Invalid { offset: start + 18, what: "LSA length" });
        }
        let raw = r.take(len)?;
        if !fletcher_verify(raw.get(2..).unwrap_or_default()) {
            return Err(WireError::Checksum { offset: start + 16 });
        }
        let mut br = Reader::new_at(raw.get(HEADER_LEN..).unwrap_or_default(), start + HEADER_LEN);
        let body = LsaBody::decode(header.key.ty, &mut br)?;
        Ok(Self { header, body, raw: raw.into() })
    }

    /// The key of this LSA.
    #[must_use]
    pub fn key(&self) -> LsaKey {
        self.header.key
    }

    /// The wire bytes with the LS age field set to `age` (the age is not
    /// covered by the checksum, RFC 2328 §12.1.7).
    pub fn encode_with_age(&self, age: u16, out: &mut Vec<u8>) {
        let at = out.len();
        out.extend_from_slice(&self.raw);
        if let Some(f) = out.get_mut(at..at + 2) {
            f.copy_from_slice(&age.to_be_bytes());
        }
    }

    /// A copy with another LS age (header and wire bytes).
    #[must_use]
    pub fn with_age(&self, age: u16) -> Lsa {
        let mut raw = self.raw.to_vec();
        if let Some(f) = raw.get_mut(0..2) {
            f.copy_from_slice(&age.to_be_bytes());
        }
        Lsa { header: LsaHeader { age, ..self.header }, body: self.body.clone(), raw: raw.into() }
    }

    /// Length on the wire.
    #[must_use]
    pub fn len(&self) -> usize {
        self.raw.len()
    }

    /// Always false: an LSA has at least its header.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Whether the contents differ in a way that requires a new routing
    /// table calculation (RFC 2328 §13.2: options, MaxAge-ness, length or body).
    #[must_use]
    pub fn content_differs(&self, other: &Lsa) -> bool {
        self.header.options != other.header.options
            || (self.header.age >= consts::MAX_AGE) != (other.header.age >= consts::MAX_AGE)
            || self.raw.get(HEADER_LEN..) != other.raw.get(HEADER_LEN..)
    }

    /// The destination prefix (address and mask) of a summary, external or
    /// network LSA.
    #[must_use]
    pub fn prefix(&self) -> Option<(Ipv4Addr, u32)> {
        let mask = match &self.body {
            LsaBody::Network { mask, .. } => *mask,
            LsaBody::Summary(s) if self.header.key.ty == LsaType::SUMMARY_NETWORK => s.mask,
            LsaBody::External(e) => e.mask,
            _ => return None,
        };
        Some((Ipv4Addr::from(self.header.key.id & mask), mask))
    }
}

/// Computes the Fletcher checksum to store at `offset` of `data`
/// (RFC 2328 §12.1.7, the algorithm of ISO 8473 annex C); `data` starts
/// after the LS age field so the checksum sits at offset 14.
#[must_use]
pub fn fletcher_checksum(data: &[u8], offset: usize) -> u16 {
    let (mut c0, mut c1) = (0i64, 0i64);
    for (i, &b) in data.iter().enumerate() {
        let b = if i == offset || i == offset + 1 { 0 } else { i64::from(b) };
        c0 = (c0 + b) % 255;
        c1 = (c1 + c0) % 255;
    }
    let len = data.len() as i64;
    let pos = offset as i64;
    let mut x = ((len - pos - 1) * c0 - c1) % 255;
    if x <= 0 {
        x += 255;
    }
    let mut y = 510 - c0 - x;
    if y > 255 {
        y -= 255;
    }
    ((x as u16) << 8) | (y as u16 & 0xff)
}

/// Whether `data` (an LSA without its age field) checks: both Fletcher sums
/// are zero, and the checksum field is not zero.
#[must_use]
pub fn fletcher_verify(data: &[u8]) -> bool {
    let (mut c0, mut c1) = (0u32, 0u32);
    for &b in data {
        c0 = (c0 + u32::from(b)) % 255;
        c1 = (c1 + c0) % 255;
    }
    let stored = data.get(14..16).is_some_and(|c| c != [0, 0]);
    stored && c0 == 0 && c1 == 0
}

/// Converts a contiguous network mask to a prefix length, `None` when the
/// mask is not contiguous.
#[must_use]
pub fn mask_to_len(mask: u32) -> Option<u8> {
    let len = mask.leading_ones();
    (mask.checked_shl(len).unwrap_or(0) == 0).then_some(len as u8)
}

/// The mask of a prefix length (0..=32).
#[must_use]
pub fn len_to_mask(len: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(len.min(32))).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(ty: u8) -> LsaKey {
        LsaKey { ty: LsaType(ty), id: 0x0a00_0001, adv: RouterId(0x0a00_0001) }
    }

    #[test]
    fn router_lsa_round_trips_and_checks() {
        let body = LsaBody::Router {
            flags: router_flags::E,
            links: vec![
                RouterLink {
                    ty: LinkType::PointToPoint,
                    id: 0x0a00_0002,
                    data: 0xc0a8_0001,
                    metric: 10,
                },
                RouterLink { ty: LinkType::Stub, id: 0xc0a8_0000, data: 0xffff_ff00, metric: 10 },
            ],
        };
        let lsa = Lsa::new(1, 0x02, key(1), consts::INITIAL_SEQUENCE_NUMBER, body);
        let mut buf = Vec::new();
        lsa.encode_with_age(7, &mut buf);
        assert_eq!(buf.len(), 20 + 4 + 24);
        assert!(fletcher_verify(&buf[2..]));
        let back = Lsa::decode(&mut Reader::new(&buf)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.body, lsa.body);
        assert_eq!(back.header.age, 7);
        assert_eq!(back.header.checksum, lsa.header.checksum);
    }

    #[test]
    fn corrupted_lsa_is_rejected() {
        let lsa = Lsa::new(
            0,
            0,
            key(5),
            5,
            LsaBody::External(ExternalBody {
                mask: 0xffff_ff00,
                type2: true,
                metric: 20,
                forwarding: 0,
                tag: 0,
            }),
        );
        let mut buf = Vec::new();
        lsa.encode_with_age(0, &mut buf);
        buf[30] ^= 0x10;
        assert!(matches!(
            Lsa::decode(&mut Reader::new(&buf)),
            Err(WireError::Checksum { offset: 16 })
        ));
    }

    #[test]
    fn computed_checksum_verifies() {
        let lsa_hex = "0001020100000001000000018000000100000024010000010a000000ffffff000300000a";
        let mut bytes: Vec<u8> = (0..lsa_hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&lsa_hex[i..i + 2], 16).unwrap_or(0))
            .collect();
        let c = fletcher_checksum(&bytes[2..], 14);
        bytes[16..18].copy_from_slice(&c.to_be_bytes());
        assert!(fletcher_verify(&bytes[2..]));
    }

    #[test]
    fn recency_rules_of_13_1() {
        let base =
            LsaHeader { age: 10, options: 0, key: key(1), seq: 5, checksum: 100, length: 24 };
        let newer_seq = LsaHeader { seq: 6, ..base };
        assert_eq!(newer_seq.compare_recency(&base), Ordering::Greater);
        let bigger_sum = LsaHeader { checksum: 101, ..base };
        assert_eq!(bigger_sum.compare_recency(&base), Ordering::Greater);
        let maxage = LsaHeader { age: 3600, ..base };
        assert_eq!(maxage.compare_recency(&base), Ordering::Greater);
        assert_eq!(base.compare_recency(&maxage), Ordering::Less);
        let old = LsaHeader { age: 1000, ..base };
        assert_eq!(base.compare_recency(&old), Ordering::Greater);
        let close = LsaHeader { age: 800, ..base };
        assert_eq!(base.compare_recency(&close), Ordering::Equal);
        let wrapped = LsaHeader { seq: i32::MIN + 1, ..base };
        assert_eq!(wrapped.compare_recency(&base), Ordering::Less, "signed order");
    }

    #[test]
    fn masks() {
        assert_eq!(mask_to_len(0xffff_ff00), Some(24));
        assert_eq!(mask_to_len(0), Some(0));
        assert_eq!(mask_to_len(u32::MAX), Some(32));
        assert_eq!(mask_to_len(0xff00_ff00), None);
        assert_eq!(len_to_mask(24), 0xffff_ff00);
        assert_eq!(len_to_mask(0), 0);
        assert_eq!(len_to_mask(32), u32::MAX);
    }
}
