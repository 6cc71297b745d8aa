//! A whole OSPFv3 LSA: header, typed body and the original octets.
//!
//! An [`Lsa`] keeps the octets it was decoded from (or built into), so it is
//! flooded unchanged: LSAs of unknown type re-encode identically, and so do
//! typed ones whose reserved fields were not zero.

use bytes::{BufMut, Bytes, BytesMut};

use crate::checksum::{fletcher_compute, fletcher_verify};
use crate::error::DecodeError;
use crate::reader::Reader;
use crate::types::{LsSeqNum, RouterId};
use crate::v3::codepoints::{FloodingScope, LsType};
use crate::v3::lsa_body::{
    AsExternalLsa, InterAreaPrefixLsa, InterAreaRouterLsa, IntraAreaPrefixLsa, LinkLsa, NetworkLsa,
    RouterLsa,
};
use crate::v3::lsa_header::{LsaHeader, LSA_HEADER_LEN};

/// Offset of the LS checksum in the part of the LSA it covers (which starts
/// after the 2-octet LS age), as in OSPFv2.
const CHECKSUM_OFFSET: usize = 14;

/// The typed body of an OSPFv3 LSA.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LsaBody {
    /// LS type 0x2001.
    Router(RouterLsa),
    /// LS type 0x2002.
    Network(NetworkLsa),
    /// LS type 0x2003.
    InterAreaPrefix(InterAreaPrefixLsa),
    /// LS type 0x2004.
    InterAreaRouter(InterAreaRouterLsa),
    /// LS type 0x4005.
    AsExternal(AsExternalLsa),
    /// LS type 0x2007 (RFC 3101), same format as 0x4005.
    Nssa(AsExternalLsa),
    /// LS type 0x0008.
    Link(LinkLsa),
    /// LS type 0x2009.
    IntraAreaPrefix(IntraAreaPrefixLsa),
    /// Any other LS type, kept as raw octets; flooded with the scope
    /// [`LsType::unknown_flooding_scope`] gives.
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
            Self::InterAreaPrefix(_) => LsType::INTER_AREA_PREFIX,
            Self::InterAreaRouter(_) => LsType::INTER_AREA_ROUTER,
            Self::AsExternal(_) => LsType::AS_EXTERNAL,
            Self::Nssa(_) => LsType::NSSA,
            Self::Link(_) => LsType::LINK,
            Self::IntraAreaPrefix(_) => LsType::INTRA_AREA_PREFIX,
            Self::Unknown { ls_type, .. } => *ls_type,
        }
    }

    /// The scope this LSA is flooded with: that of its S1 and S2 bits for
    /// the types this crate knows, [`LsType::unknown_flooding_scope`] for
    /// the others (RFC 5340 A.4.2.1).
    #[must_use]
    pub fn flooding_scope(&self) -> FloodingScope {
        match self {
            Self::Unknown { ls_type, .. } => ls_type.unknown_flooding_scope(),
            known => known.ls_type().scope(),
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
            LsType::INTER_AREA_PREFIX => Self::InterAreaPrefix(InterAreaPrefixLsa::read(&mut r)?),
            LsType::INTER_AREA_ROUTER => Self::InterAreaRouter(InterAreaRouterLsa::read(&mut r)?),
            LsType::AS_EXTERNAL => Self::AsExternal(AsExternalLsa::read(&mut r)?),
            LsType::NSSA => Self::Nssa(AsExternalLsa::read(&mut r)?),
            LsType::LINK => Self::Link(LinkLsa::read(&mut r)?),
            LsType::INTRA_AREA_PREFIX => Self::IntraAreaPrefix(IntraAreaPrefixLsa::read(&mut r)?),
            t => Self::Unknown { ls_type: t, data: r.rest() },
        })
    }

    /// Append the body octets.
    pub fn encode(&self, buf: &mut BytesMut) {
        match self {
            Self::Router(b) => b.encode(buf),
            Self::Network(b) => b.encode(buf),
            Self::InterAreaPrefix(b) => b.encode(buf),
            Self::InterAreaRouter(b) => b.encode(buf),
            Self::AsExternal(b) | Self::Nssa(b) => b.encode(buf),
            Self::Link(b) => b.encode(buf),
            Self::IntraAreaPrefix(b) => b.encode(buf),
            Self::Unknown { data, .. } => buf.put_slice(data),
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
    /// Link State ID.
    pub link_state_id: u32,
    /// Advertising Router.
    pub advertising_router: RouterId,
    /// LS sequence number.
    pub ls_sequence_number: LsSeqNum,
}

/// A whole OSPFv3 LSA. Fields are private so the header, body and octets always agree.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Lsa {
    header: LsaHeader,
    body: LsaBody,
    raw: Bytes,
}

impl Lsa {
    /// Build an LSA from header fields and a body, computing length and the
    /// Fletcher checksum (RFC 5340 §4.4.2 keeps RFC 2328 §12.1.7).
    ///
    /// A body longer than 65515 octets cannot be expressed; its length field
    /// is saturated (such an LSA does not fit in any IPv6 packet either).
    #[must_use]
    pub fn build(fields: LsaFields, body: LsaBody) -> Self {
        let mut buf = BytesMut::with_capacity(LSA_HEADER_LEN + 64);
        let mut header = LsaHeader {
            ls_age: fields.ls_age,
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

    /// The scope this LSA is flooded with (see [`LsaBody::flooding_scope`]).
    #[must_use]
    pub fn flooding_scope(&self) -> FloodingScope {
        self.body.flooding_scope()
    }

    /// Append the LSA octets unchanged.
    pub fn encode(&self, buf: &mut BytesMut) {
        buf.put_slice(&self.raw);
    }

    /// Whether the Fletcher checksum verifies.
    #[must_use]
    pub fn checksum_ok(&self) -> bool {
        self.raw.get(2..).is_some_and(|d| fletcher_verify(d, CHECKSUM_OFFSET))
    }

    /// The same LSA with another LS age; the checksum stays valid since it
    /// does not cover the age.
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
    use crate::v3::codepoints::Options;
    use crate::v3::lsa_body::NetworkLsa;

    fn fields() -> LsaFields {
        LsaFields {
            ls_age: 1,
            link_state_id: 5,
            advertising_router: RouterId(0x0202_0202),
            ls_sequence_number: LsSeqNum::INITIAL,
        }
    }

    #[test]
    fn built_lsa_has_valid_checksum_and_length() {
        let body = LsaBody::Network(NetworkLsa {
            options: Options::V6 | Options::E | Options::R,
            attached_routers: vec![RouterId(1), RouterId(2)],
        });
        let lsa = body.to_lsa(fields());
        assert_eq!(lsa.header().length, 32);
        assert!(lsa.checksum_ok());
        let aged = lsa.with_age(3600);
        assert!(aged.checksum_ok());
        assert_eq!(Lsa::decode(lsa.raw().clone()), Ok(lsa.clone()));
        assert_eq!(lsa.flooding_scope(), FloodingScope::Area);
        let mut raw = BytesMut::from(&lsa.raw()[..]);
        raw[18..20].copy_from_slice(&18u16.to_be_bytes());
        assert_eq!(
            Lsa::decode(raw.freeze()),
            Err(DecodeError::BadLength { offset: 0, length: 18, what: "LSA" })
        );
    }

    #[test]
    fn unknown_types_keep_their_octets_and_scope() {
        for (t, scope) in [
            (0x2020, FloodingScope::LinkLocal),
            (0xa020, FloodingScope::Area),
            (0xc020, FloodingScope::As),
            (0x8020, FloodingScope::LinkLocal),
        ] {
            let body =
                LsaBody::Unknown { ls_type: LsType(t), data: Bytes::from_static(&[1, 2, 3, 4]) };
            let lsa = body.to_lsa(fields());
            let again = Lsa::decode(lsa.raw().clone());
            assert_eq!(again.as_ref().map(Lsa::body), Ok(&body));
            assert_eq!(lsa.flooding_scope(), scope, "LS type 0x{t:04x}");
        }
        // A known function code under a U bit is not the known type.
        let b = LsaBody::decode(LsType(0xa001), Bytes::from_static(&[0; 4]), 20);
        assert!(matches!(b, Ok(LsaBody::Unknown { .. })));
    }
}
