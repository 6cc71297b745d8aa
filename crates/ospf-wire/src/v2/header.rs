//! The 24-octet OSPFv2 packet header (RFC 2328 A.3.1) and its authentication
//! field (appendix D).

use bytes::{BufMut, Bytes, BytesMut};

use crate::checksum::internet_checksum;
use crate::error::DecodeError;
use crate::reader::Reader;
use crate::types::{AreaId, RouterId};
use crate::v2::codepoints::{AuType, PacketType};

/// Length of the OSPFv2 packet header.
pub const HEADER_LEN: usize = 24;
/// The OSPF version this module speaks.
pub const VERSION: u8 = 2;
/// Offset of the 64-bit Authentication field.
pub(crate) const AUTH_OFFSET: usize = 16;
/// Offset of the checksum field.
pub(crate) const CHECKSUM_OFFSET: usize = 12;

/// The AuType and Authentication fields (RFC 2328 D.3 to D.4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Authentication {
    /// Null authentication (AuType 0): the 64-bit field is not examined.
    /// Its octets are kept so the packet re-encodes identically.
    Null([u8; 8]),
    /// Simple password (AuType 1): the 64-bit password.
    SimplePassword([u8; 8]),
    /// Cryptographic authentication (AuType 2, D.3 figure 17). The message
    /// digest is appended after the packet; the checksum is not computed.
    Cryptographic {
        /// The two octets before the Key ID, zero.
        reserved: u16,
        /// Key ID.
        key_id: u8,
        /// Auth Data Len: the length of the appended digest.
        auth_data_len: u8,
        /// Cryptographic sequence number (non-decreasing).
        crypto_sequence_number: u32,
    },
    /// Another AuType, kept as is.
    Other {
        /// The AuType.
        au_type: AuType,
        /// The 64-bit field.
        data: [u8; 8],
    },
}

impl Authentication {
    /// Null authentication with a zero field.
    pub const NULL: Self = Self::Null([0; 8]);

    /// Simple password authentication; passwords longer than 8 octets are
    /// cut, shorter ones padded with zeros (D.3).
    #[must_use]
    pub fn simple(password: &[u8]) -> Self {
        let mut data = [0u8; 8];
        let n = password.len().min(8);
        data[..n].copy_from_slice(&password[..n]);
        Self::SimplePassword(data)
    }

    /// The AuType.
    #[must_use]
    pub fn au_type(&self) -> AuType {
        match self {
            Self::Null(_) => AuType::NULL,
            Self::SimplePassword(_) => AuType::SIMPLE,
            Self::Cryptographic { .. } => AuType::CRYPTOGRAPHIC,
            Self::Other { au_type, .. } => *au_type,
        }
    }

    /// The 64-bit Authentication field.
    #[must_use]
    pub fn field(&self) -> [u8; 8] {
        match *self {
            Self::Null(d) | Self::SimplePassword(d) | Self::Other { data: d, .. } => d,
            Self::Cryptographic { reserved, key_id, auth_data_len, crypto_sequence_number } => {
                let [r0, r1] = reserved.to_be_bytes();
                let [s0, s1, s2, s3] = crypto_sequence_number.to_be_bytes();
                [r0, r1, key_id, auth_data_len, s0, s1, s2, s3]
            }
        }
    }

    fn from_wire(au_type: AuType, d: [u8; 8]) -> Self {
        match au_type {
            AuType::NULL => Self::Null(d),
            AuType::SIMPLE => Self::SimplePassword(d),
            AuType::CRYPTOGRAPHIC => Self::Cryptographic {
                reserved: u16::from_be_bytes([d[0], d[1]]),
                key_id: d[2],
                auth_data_len: d[3],
                crypto_sequence_number: u32::from_be_bytes([d[4], d[5], d[6], d[7]]),
            },
            au_type => Self::Other { au_type, data: d },
        }
    }

    /// Whether the packet checksum is computed under this authentication:
    /// not for cryptographic authentication (D.4.3).
    #[must_use]
    pub fn computes_checksum(&self) -> bool {
        !matches!(self, Self::Cryptographic { .. })
    }
}

/// The OSPFv2 packet header as found on the wire (RFC 2328 A.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PacketHeader {
    /// Version number, 2.
    pub version: u8,
    /// Packet type.
    pub packet_type: PacketType,
    /// Packet length in octets, header included, digest excluded.
    pub packet_length: u16,
    /// Router ID of the source.
    pub router_id: RouterId,
    /// Area ID.
    pub area_id: AreaId,
    /// Checksum.
    pub checksum: u16,
    /// AuType and Authentication.
    pub authentication: Authentication,
}

impl PacketHeader {
    /// Decode the header at the start of `buf` (more octets may follow).
    ///
    /// # Errors
    /// `Truncated` below 24 octets, `BadVersion` for another version.
    pub fn decode(buf: &Bytes) -> Result<Self, DecodeError> {
        let mut r = Reader::new(buf.clone(), 0);
        Self::read(&mut r)
    }

    pub(crate) fn read(r: &mut Reader) -> Result<Self, DecodeError> {
        if r.remaining() < HEADER_LEN {
            return Err(DecodeError::truncated(r.offset(), HEADER_LEN, r.remaining()));
        }
        let version_offset = r.offset();
        let version = r.u8()?;
        if version != VERSION {
            return Err(DecodeError::BadVersion { offset: version_offset, version });
        }
        let packet_type = PacketType(r.u8()?);
        let packet_length = r.u16()?;
        let router_id = RouterId(r.u32()?);
        let area_id = AreaId(r.u32()?);
        let checksum = r.u16()?;
        let au_type = AuType(r.u16()?);
        let data = r.array::<8>()?;
        Ok(Self {
            version,
            packet_type,
            packet_length,
            router_id,
            area_id,
            checksum,
            authentication: Authentication::from_wire(au_type, data),
        })
    }

    pub(crate) fn write(&self, buf: &mut BytesMut) {
        buf.put_u8(self.version);
        buf.put_u8(self.packet_type.0);
        buf.put_u16(self.packet_length);
        buf.put_u32(self.router_id.0);
        buf.put_u32(self.area_id.0);
        buf.put_u16(self.checksum);
        buf.put_u16(self.authentication.au_type().0);
        buf.put_slice(&self.authentication.field());
    }
}

/// The packet checksum (RFC 2328 D.4.1/D.4.2): "the standard IP checksum of
/// the entire contents of the packet, starting with the OSPF packet header
/// but excluding the 64-bit authentication field", with the checksum field
/// itself taken as zero. `packet` is exactly the OSPF packet (length octets).
#[must_use]
pub fn packet_checksum(packet: &[u8]) -> u16 {
    let head = packet.get(..CHECKSUM_OFFSET).unwrap_or(packet);
    let mid = packet.get(CHECKSUM_OFFSET + 2..AUTH_OFFSET).unwrap_or(&[]);
    let tail = packet.get(HEADER_LEN..).unwrap_or(&[]);
    internet_checksum(&[head, &[0, 0], mid, tail])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authentication_field_layout() {
        let a = Authentication::Cryptographic {
            reserved: 0,
            key_id: 1,
            auth_data_len: 16,
            crypto_sequence_number: 0x0102_0304,
        };
        assert_eq!(a.field(), [0, 0, 1, 16, 1, 2, 3, 4]);
        assert_eq!(Authentication::from_wire(AuType::CRYPTOGRAPHIC, a.field()), a);
        assert_eq!(
            Authentication::simple(b"cisco"),
            Authentication::SimplePassword(*b"cisco\0\0\0")
        );
        assert!(!a.computes_checksum());
    }

    #[test]
    fn header_rejects_version_3() {
        let mut b = vec![0u8; 24];
        b[0] = 3;
        assert_eq!(
            PacketHeader::decode(&Bytes::from(b)),
            Err(DecodeError::BadVersion { offset: 0, version: 3 })
        );
    }
}
