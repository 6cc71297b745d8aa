//! The 20-octet LSA header (RFC 2328 A.4.1) and the "which is newer" rule
//! (RFC 2328 §13.1).

use std::cmp::Ordering;
use std::net::Ipv4Addr;

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::DecodeError;
use crate::reader::Reader;
use crate::types::{LsSeqNum, RouterId};
use crate::v2::codepoints::{LsType, Options};

/// Length of an LSA header.
pub const LSA_HEADER_LEN: usize = 20;

/// The key that identifies an LSA in the database (RFC 2328 §12.1):
/// LS type, Link State ID and Advertising Router. This is also the entry of
/// a Link State Request packet (A.3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LsaKey {
    /// LS type.
    pub ls_type: LsType,
    /// Link State ID.
    pub link_state_id: Ipv4Addr,
    /// Advertising Router.
    pub advertising_router: RouterId,
}

/// An LSA header (RFC 2328 A.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LsaHeader {
    /// LS age in seconds.
    pub ls_age: u16,
    /// Options.
    pub options: Options,
    /// LS type.
    pub ls_type: LsType,
    /// Link State ID.
    pub link_state_id: Ipv4Addr,
    /// Advertising Router.
    pub advertising_router: RouterId,
    /// LS sequence number.
    pub ls_sequence_number: LsSeqNum,
    /// LS checksum (Fletcher, over the LSA except LS age).
    pub ls_checksum: u16,
    /// Length of the whole LSA, header included.
    pub length: u16,
}

impl LsaHeader {
    /// The database key of this LSA.
    #[must_use]
    pub fn key(&self) -> LsaKey {
        LsaKey {
            ls_type: self.ls_type,
            link_state_id: self.link_state_id,
            advertising_router: self.advertising_router,
        }
    }

    /// Decode a header from exactly 20 octets.
    ///
    /// # Errors
    /// `Truncated` if fewer than 20 octets are given, `TrailingBytes` if more.
    pub fn decode(buf: Bytes) -> Result<Self, DecodeError> {
        let mut r = Reader::new(buf, 0);
        let h = Self::read(&mut r)?;
        r.finish()?;
        Ok(h)
    }

    pub(crate) fn read(r: &mut Reader) -> Result<Self, DecodeError> {
        if r.remaining() < LSA_HEADER_LEN {
            return Err(DecodeError::truncated(r.offset(), LSA_HEADER_LEN, r.remaining()));
        }
        Ok(Self {
            ls_age: r.u16()?,
            options: Options(r.u8()?),
            ls_type: LsType(r.u8()?),
            link_state_id: r.ipv4()?,
            advertising_router: RouterId(r.u32()?),
            ls_sequence_number: LsSeqNum::from_wire(r.u32()?),
            ls_checksum: r.u16()?,
            length: r.u16()?,
        })
    }

    /// Append the 20-octet header.
    pub fn encode(&self, buf: &mut BytesMut) {
        buf.reserve(LSA_HEADER_LEN);
        buf.put_u16(self.ls_age);
        buf.put_u8(self.options.0);
        buf.put_u8(self.ls_type.0);
        buf.put_slice(&self.link_state_id.octets());
        buf.put_u32(self.advertising_router.0);
        buf.put_u32(self.ls_sequence_number.to_wire());
        buf.put_u16(self.ls_checksum);
        buf.put_u16(self.length);
    }

    /// Which of two instances of the same LSA is newer (RFC 2328 §13.1).
    ///
    /// `Greater` means `self` is more recent, `Equal` that both are
    /// considered the same instance.
    ///
    /// "The LSA having the newer LS sequence number is more recent ... If the
    /// two instances have different LS checksums, then the instance having
    /// the larger LS checksum (when considered as a 16-bit unsigned integer)
    /// is considered more recent. ... If only one of the instances has its LS
    /// age field set to MaxAge, the instance of age MaxAge is considered to be
    /// more recent. Else, if the LS age fields of the two instances differ by
    /// more than MaxAgeDiff, the instance having the smaller (younger) LS age
    /// is considered to be more recent. Else, the two instances are
    /// considered to be identical."
    #[must_use]
    pub fn compare_recency(&self, other: &Self) -> Ordering {
        compare_recency(
            (self.ls_sequence_number, self.ls_checksum, self.ls_age),
            (other.ls_sequence_number, other.ls_checksum, other.ls_age),
        )
    }
}

pub use crate::age::compare_recency;

#[cfg(test)]
mod tests {
    use super::*;

    fn hdr(seq: u32, ck: u16, age: u16) -> LsaHeader {
        LsaHeader {
            ls_age: age,
            options: Options::E,
            ls_type: LsType::ROUTER,
            link_state_id: Ipv4Addr::new(1, 1, 1, 1),
            advertising_router: RouterId(0x0101_0101),
            ls_sequence_number: LsSeqNum::from_wire(seq),
            ls_checksum: ck,
            length: 36,
        }
    }

    #[test]
    fn newer_by_sequence_number_signed() {
        assert_eq!(
            hdr(0x8000_0002, 0, 0).compare_recency(&hdr(0x8000_0001, 0xffff, 0)),
            Ordering::Greater
        );
        assert_eq!(
            hdr(0x0000_0001, 0, 0).compare_recency(&hdr(0xffff_ffff, 0, 0)),
            Ordering::Greater
        );
    }

    #[test]
    fn newer_by_checksum_then_age() {
        assert_eq!(hdr(5, 2, 0).compare_recency(&hdr(5, 1, 0)), Ordering::Greater);
        assert_eq!(hdr(5, 1, 3600).compare_recency(&hdr(5, 1, 10)), Ordering::Greater);
        assert_eq!(hdr(5, 1, 10).compare_recency(&hdr(5, 1, 3600)), Ordering::Less);
        assert_eq!(hdr(5, 1, 10).compare_recency(&hdr(5, 1, 911)), Ordering::Greater);
        assert_eq!(hdr(5, 1, 10).compare_recency(&hdr(5, 1, 910)), Ordering::Equal);
        assert_eq!(hdr(5, 1, 3600).compare_recency(&hdr(5, 1, 3600)), Ordering::Equal);
    }

    #[test]
    fn header_round_trip() {
        let h = hdr(0x8000_0001, 0x1234, 7);
        let mut buf = BytesMut::new();
        h.encode(&mut buf);
        assert_eq!(buf.len(), LSA_HEADER_LEN);
        assert_eq!(LsaHeader::decode(buf.freeze()), Ok(h));
    }
}
