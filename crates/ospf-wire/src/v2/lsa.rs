//! A whole OSPFv2 LSA: header, typed body and the original octets.
//!
//! An [`Lsa`] keeps the octets it was decoded from (or built into), so it is
//! flooded unchanged: unknown and opaque types re-encode identically, and so
//! do typed ones whose reserved fields were not zero.

use std::net::Ipv4Addr;

use bytes::{BufMut, Bytes, BytesMut};

use crate::checksum::{fletcher_compute, fletcher_verify};
use crate::error::DecodeError;
use crate::reader::Reader;
use crate::types::{LsSeqNum, RouterId};
use crate::v2::codepoints::{LsType, Options};
use crate::v2::lsa_body::{AsExternalLsa, NetworkLsa, RouterLsa, SummaryLsa};
use crate::v2::lsa_header::{LsaHeader, LSA_HEADER_LEN};

/// Offset of the LS checksum in the part of the LSA it covers (which starts
/// after the 2-octet LS age).
const CHECKSUM_OFFSET: usize = 14;

/// The typed body of an LSA.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LsaBody {
    /// LS type 1.
    Router(RouterLsa),
    /// LS type 2.
    Network(NetworkLsa),
    /// LS type 3.
    SummaryNetwork(SummaryLsa),
    /// LS type 4.
    SummaryAsbr(SummaryLsa),
    /// LS type 5.
    AsExternal(AsExternalLsa),
    /// LS type 7 (RFC 3101), same format as type 5.
    Nssa(AsExternalLsa),
    /// LS types 9, 10, 11 (RFC 5250): the octets after the header, uninterpreted.
    Opaque {
        /// 9, 10 or 11.
        ls_type: LsType,
        /// The body octets.
        data: Bytes,
    },
    /// Any other LS type, kept as raw octets.
    Unknown {
        /// The LS type.
        ls_type: LsType,
        /// The body octets.
        data: Bytes,
    },
}

impl LsaBody {
    /// The LS type this body is carried under.
    #[must_use]
    pub fn ls_type(&self) -> LsType {
        match self {
            Self::Router(_) => LsType::ROUTER,
            Self::Network(_) => LsType::NETWORK,
            Self::SummaryNetwork(_) => LsType::SUMMARY_NETWORK,
            Self::SummaryAsbr(_) => LsType::SUMMARY_ASBR,
            Self::AsExternal(_) => LsType::AS_EXTERNAL,
            Self::Nssa(_) => LsType::NSSA,
            Self::Opaque { ls_type, .. } | Self::Unknown { ls_type, .. } => *ls_type,
        }
    }

    /// Decode a body of the given type; `base` is the absolute offset of its first octet.
    ///
    /// # Errors
    /// Any structural error of the body format.
    pub fn decode(ls_type: LsType, data: Bytes, base: usize) -> Result<Self, DecodeError> {
        let mut r = Reader::new(data, base);
        Ok(match ls_type {
            LsType::ROUTER => Self::Router(RouterLsa::read(&mut r)?),
            LsType::NETWORK => Self::Network(NetworkLsa::read(&mut r)?),
            LsType::SUMMARY_NETWORK => Self::SummaryNetwork(SummaryLsa::read(&mut r)?),
            LsType::SUMMARY_ASBR => Self::SummaryAsbr(SummaryLsa::read(&mut r)?),
            LsType::AS_EXTERNAL => Self::AsExternal(AsExternalLsa::read(&mut r)?),
            LsType::NSSA => Self::Nssa(AsExternalLsa::read(&mut r)?),
            t if t.is_opaque() => Self::Opaque { ls_type: t, data: r.rest() },
            t => Self::Unknown { ls_type: t, data: r.rest() },
        })
    }

    /// Append the body octets.
    pub fn encode(&self, buf: &mut BytesMut) {
        match self {
            Self::Router(b) => b.encode(buf),
            Self::Network(b) => b.encode(buf),
            Self::SummaryNetwork(b) | Self::SummaryAsbr(b) => b.encode(buf),
            Self::AsExternal(b) | Self::Nssa(b) => b.encode(buf),
            Self::Opaque { data, .. } | Self::Unknown { data, .. } => buf.put_slice(data),
        }
    }

    /// Build a whole LSA with this body: length and Fletcher checksum are filled in.
    #[must_use]
    pub fn to_lsa(&self, fields: LsaFields) -> Lsa {
        Lsa::build(fields, self.clone())
    }
}

/// The header fields an originator chooses; LS type, length and checksum
/// follow from the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LsaFields {
    /// LS age, normally 0 on origination (MaxAge to flush).
    pub ls_age: u16,
    /// Options.
    pub options: Options,
    /// Link State ID.
    pub link_state_id: Ipv4Addr,
    /// Advertising Router.
    pub advertising_router: RouterId,
    /// LS sequence number.
    pub ls_sequence_number: LsSeqNum,
}

macro_rules! to_lsa {
    ($ty:ty, $variant:ident, $doc:literal) => {
        impl $ty {
            #[doc = $doc]
            #[must_use]
            pub fn to_lsa(&self, fields: LsaFields) -> Lsa {
                Lsa::build(fields, LsaBody::$variant(self.clone()))
            }
        }
    };
}

to_lsa!(RouterLsa, Router, "Build a router-LSA (type 1) with length and checksum filled in.");
to_lsa!(NetworkLsa, Network, "Build a network-LSA (type 2) with length and checksum filled in.");

impl SummaryLsa {
    /// Build a summary-LSA, type 3 (`asbr == false`) or type 4, with length and checksum filled in.
    #[must_use]
    pub fn to_lsa(&self, fields: LsaFields, asbr: bool) -> Lsa {
        let body = if asbr {
            LsaBody::SummaryAsbr(self.clone())
        } else {
            LsaBody::SummaryNetwork(self.clone())
        };
        Lsa::build(fields, body)
    }
}

impl AsExternalLsa {
    /// Build an AS-external-LSA (type 5) or, with `nssa`, an NSSA-LSA (type 7),
    /// with length and checksum filled in.
    #[must_use]
    pub fn to_lsa(&self, fields: LsaFields, nssa: bool) -> Lsa {
        let body =
            if nssa { LsaBody::Nssa(self.clone()) } else { LsaBody::AsExternal(self.clone()) };
        Lsa::build(fields, body)
    }
}

/// A whole LSA. Fields are private so the header, body and octets always agree.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Lsa {
    header: LsaHeader,
    body: LsaBody,
    raw: Bytes,
}

impl Lsa {
    /// Build an LSA from header fields and a body, computing length and the
    /// Fletcher checksum (RFC 2328 §12.1.7).
    ///
    /// A body longer than 65515 octets cannot be expressed; its length field
    /// is saturated (such an LSA does not fit in any IP packet either).
    #[must_use]
    pub fn build(fields: LsaFields, body: LsaBody) -> Self {
        let mut buf = BytesMut::with_capacity(LSA_HEADER_LEN + 64);
        let mut header = LsaHeader {
            ls_age: fields.ls_age,
            options: fields.options,
            ls_type: body.ls_type(),
            link_state_id: fields.link_state_id,
            advertising_router: fields.advertising_router,
            ls_sequence_number: fields.ls_sequence_number,
            ls_checksum: 0,
            length: 0,
        };
        header.encode(&mut buf);
        body.encode(&mut buf);
        let length = u16::try_from(buf.len()).unwrap_or(u16::MAX);
        header.length = length;
        buf[18..20].copy_from_slice(&length.to_be_bytes());
        let checksum = fletcher_compute(&buf[2..], CHECKSUM_OFFSET).unwrap_or(0);
        header.ls_checksum = checksum;
        buf[16..18].copy_from_slice(&checksum.to_be_bytes());
        Self { header, body, raw: buf.freeze() }
    }

    /// Decode one LSA occupying exactly `buf` (fuzz entry point).
    ///
    /// # Errors
    /// Structural errors; the checksum is not checked here, see [`Lsa::checksum_ok`].
    pub fn decode(buf: Bytes) -> Result<Self, DecodeError> {
        let mut r = Reader::new(buf, 0);
        let lsa = Self::read(&mut r)?;
        r.finish()?;
        Ok(lsa)
    }

    /// Read one LSA from the cursor, using its length field.
    pub(crate) fn read(r: &mut Reader) -> Result<Self, DecodeError> {
        let start = r.offset();
        let mut peek = r.clone();
        let header = LsaHeader::read(&mut peek)?;
        let length = usize::from(header.length);
        if length < LSA_HEADER_LEN || length % 4 != 0 {
            return Err(DecodeError::bad_length(start, length, "LSA"));
        }
        if length > r.remaining() {
            return Err(DecodeError::truncated(start, length, r.remaining()));
        }
        let raw = r.take(length)?;
        let body =
            LsaBody::decode(header.ls_type, raw.slice(LSA_HEADER_LEN..), start + LSA_HEADER_LEN)?;
        Ok(Self { header, body, raw })
    }

    /// The header.
    #[must_use]
    pub fn header(&self) -> &LsaHeader {
        &self.header
    }

    /// The typed body.
    #[must_use]
    pub fn body(&self) -> &LsaBody {
        &self.body
    }

    /// The LSA octets, header included, as received or built.
    #[must_use]
    pub fn raw(&self) -> &Bytes {
        &self.raw
    }

    /// Append the LSA octets unchanged.
    pub fn encode(&self, buf: &mut BytesMut) {
        buf.put_slice(&self.raw);
    }

    /// Whether the Fletcher checksum verifies (RFC 2328 §13 step 1).
    #[must_use]
    pub fn checksum_ok(&self) -> bool {
        self.raw.get(2..).is_some_and(|d| fletcher_verify(d, CHECKSUM_OFFSET))
    }

    /// The same LSA with another LS age; the checksum stays valid since it
    /// does not cover the age (RFC 2328 §12.1.7).
    #[must_use]
    pub fn with_age(&self, ls_age: u16) -> Self {
        let mut buf = BytesMut::from(&self.raw[..]);
        buf[0..2].copy_from_slice(&ls_age.to_be_bytes());
        Self {
            header: LsaHeader { ls_age, ..self.header },
            body: self.body.clone(),
            raw: buf.freeze(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v2::codepoints::{RouterFlags, RouterLinkType};
    use crate::v2::lsa_body::RouterLink;

    fn fields() -> LsaFields {
        LsaFields {
            ls_age: 1,
            options: Options::E,
            link_state_id: Ipv4Addr::new(2, 2, 2, 2),
            advertising_router: RouterId(0x0202_0202),
            ls_sequence_number: LsSeqNum::INITIAL,
        }
    }

    #[test]
    fn built_lsa_has_valid_checksum_and_length() {
        let body = RouterLsa {
            flags: RouterFlags::E,
            reserved: 0,
            links: vec![RouterLink {
                link_id: Ipv4Addr::new(10, 0, 0, 0),
                link_data: Ipv4Addr::new(255, 255, 255, 0),
                link_type: RouterLinkType::STUB,
                metric: 10,
                tos_metrics: vec![],
            }],
        };
        let lsa = body.to_lsa(fields());
        assert_eq!(lsa.header().length, 36);
        assert_eq!(lsa.raw().len(), 36);
        assert!(lsa.checksum_ok());
        let aged = lsa.with_age(3600);
        assert!(aged.checksum_ok());
        assert_eq!(aged.header().ls_checksum, lsa.header().ls_checksum);
        assert_eq!(Lsa::decode(lsa.raw().clone()), Ok(lsa));
    }

    #[test]
    fn bad_lsa_length_is_rejected_with_offset() {
        let lsa = NetworkLsa {
            network_mask: Ipv4Addr::new(255, 255, 255, 0),
            attached_routers: vec![RouterId(1)],
        }
        .to_lsa(fields());
        let mut raw = BytesMut::from(&lsa.raw()[..]);
        raw[18..20].copy_from_slice(&19u16.to_be_bytes());
        assert_eq!(
            Lsa::decode(raw.freeze()),
            Err(DecodeError::BadLength { offset: 0, length: 19, what: "LSA" })
        );
    }
}
