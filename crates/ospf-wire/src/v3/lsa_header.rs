//! The 20-octet OSPFv3 LSA header (RFC 5340 A.4.2).
//!
//! Unlike OSPFv2 it has no Options octet, and the LS type takes 16 bits
//! (U bit, flooding scope, function code). The "which is newer" rule is the
//! one of OSPFv2 (RFC 5340 §4.6 defers to RFC 2328 §13.1): see
//! [`crate::age::compare_recency`].

use std::cmp::Ordering;

use bytes::{BufMut, Bytes, BytesMut};

use crate::age::compare_recency;
use crate::error::DecodeError;
use crate::reader::Reader;
use crate::types::{LsSeqNum, RouterId};
use crate::v3::codepoints::LsType;

/// Length of an LSA header.
pub const LSA_HEADER_LEN: usize = 20;

/// The key that identifies an LSA in the database (RFC 5340 §4.4.1 keeps
/// RFC 2328 §12.1): LS type, Link State ID and Advertising Router. This is
/// also the entry of a Link State Request packet (A.3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LsaKey {
    /// LS type.
    pub ls_type: LsType,
    /// Link State ID: in OSPFv3 a plain 32-bit number with no addressing
    /// meaning (RFC 5340 §2.8).
    pub link_state_id: u32,
    /// Advertising Router.
    pub advertising_router: RouterId,
}

/// An OSPFv3 LSA header (RFC 5340 A.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LsaHeader {
    /// LS age in seconds (DoNotAge bit included, RFC 1793).
    pub ls_age: u16,
    /// LS type.
    pub ls_type: LsType,
    /// Link State ID.
    pub link_state_id: u32,
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
            ls_type: LsType(r.u16()?),
            link_state_id: r.u32()?,
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
        buf.put_u16(self.ls_type.0);
        buf.put_u32(self.link_state_id);
        buf.put_u32(self.advertising_router.0);
        buf.put_u32(self.ls_sequence_number.to_wire());
        buf.put_u16(self.ls_checksum);
        buf.put_u16(self.length);
    }

    /// Which of two instances of the same LSA is newer (RFC 2328 §13.1,
    /// kept by RFC 5340). `Greater` means `self` is more recent.
    #[must_use]
    pub fn compare_recency(&self, other: &Self) -> Ordering {
        compare_recency(
            (self.ls_sequence_number, self.ls_checksum, self.ls_age),
            (other.ls_sequence_number, other.ls_checksum, other.ls_age),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip_and_recency() {
        let h = LsaHeader {
            ls_age: 7,
            ls_type: LsType::LINK,
            link_state_id: 5,
            advertising_router: RouterId(0x0101_0101),
            ls_sequence_number: LsSeqNum::INITIAL,
            ls_checksum: 0x1234,
            length: 44,
        };
        let mut buf = BytesMut::new();
        h.encode(&mut buf);
        assert_eq!(
            &buf[..],
            &[0, 7, 0, 8, 0, 0, 0, 5, 1, 1, 1, 1, 0x80, 0, 0, 1, 0x12, 0x34, 0, 44]
        );
        assert_eq!(LsaHeader::decode(buf.freeze()), Ok(h));
        let newer = LsaHeader { ls_sequence_number: LsSeqNum::from_wire(0x8000_0002), ..h };
        assert_eq!(newer.compare_recency(&h), Ordering::Greater);
        assert_eq!(h.compare_recency(&LsaHeader { ls_age: 3600, ..h }), Ordering::Less);
    }
}
