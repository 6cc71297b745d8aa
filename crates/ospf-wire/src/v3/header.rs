//! The 16-octet OSPFv3 packet header (RFC 5340 A.3.1) and its checksum.

use std::net::Ipv6Addr;

use bytes::{BufMut, Bytes, BytesMut};

use crate::checksum::ipv6_upper_layer_checksum;
use crate::error::DecodeError;
use crate::reader::Reader;
use crate::types::{AreaId, RouterId};
use crate::v3::codepoints::PacketType;

/// Length of the OSPFv3 packet header.
pub const HEADER_LEN: usize = 16;
/// The OSPF version this module speaks.
pub const VERSION: u8 = 3;
/// IPv6 next header (protocol) number of OSPF.
pub const IP_PROTOCOL: u8 = 89;
/// Offset of the checksum field, for `IPV6_CHECKSUM` on a raw socket.
pub const CHECKSUM_OFFSET: usize = 12;

/// The OSPFv3 packet header as found on the wire (RFC 5340 A.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PacketHeader {
    /// Version number, 3.
    pub version: u8,
    /// Packet type.
    pub packet_type: PacketType,
    /// Packet length in octets, header included; LLS data and an
    /// authentication trailer are not counted.
    pub packet_length: u16,
    /// Router ID of the source.
    pub router_id: RouterId,
    /// Area ID.
    pub area_id: AreaId,
    /// Checksum (IPv6 upper-layer checksum, see [`packet_checksum`]).
    pub checksum: u16,
    /// Instance ID: several OSPFv3 instances may run on one link (RFC 5340 §2.4).
    pub instance_id: u8,
    /// The last octet, zero on transmission; kept for a faithful round trip.
    pub reserved: u8,
}

impl PacketHeader {
    /// Decode the header at the start of `buf` (more octets may follow).
    ///
    /// # Errors
    /// `Truncated` below 16 octets, `BadVersion` for another version.
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
        Ok(Self {
            version,
            packet_type: PacketType(r.u8()?),
            packet_length: r.u16()?,
            router_id: RouterId(r.u32()?),
            area_id: AreaId(r.u32()?),
            checksum: r.u16()?,
            instance_id: r.u8()?,
            reserved: r.u8()?,
        })
    }

    pub(crate) fn write(&self, buf: &mut BytesMut) {
        buf.put_u8(self.version);
        buf.put_u8(self.packet_type.0);
        buf.put_u16(self.packet_length);
        buf.put_u32(self.router_id.0);
        buf.put_u32(self.area_id.0);
        buf.put_u16(self.checksum);
        buf.put_u8(self.instance_id);
        buf.put_u8(self.reserved);
    }
}

/// The checksum of an OSPFv3 packet (RFC 5340 A.3.1): "the standard
/// checksum calculation for IPv6 applications", the one's complement sum
/// over an IPv6 pseudo-header (RFC 8200 §8.1, next header 89) and the
/// packet, with "the 'Upper-Layer Packet Length' in the pseudo-header ...
/// set to the value of the OSPF packet header's length field".
///
/// `packet` is exactly the OSPFv3 packet (its length field's worth of
/// octets); the checksum field is taken as zero. `source` and `destination`
/// are the addresses of the IPv6 header.
#[must_use]
pub fn packet_checksum(source: Ipv6Addr, destination: Ipv6Addr, packet: &[u8]) -> u16 {
    let head = packet.get(..CHECKSUM_OFFSET).unwrap_or(packet);
    let tail = packet.get(CHECKSUM_OFFSET + 2..).unwrap_or(&[]);
    let length = u32::try_from(packet.len()).unwrap_or(u32::MAX);
    ipv6_upper_layer_checksum(source, destination, IP_PROTOCOL, length, &[head, &[0, 0], tail])
}

/// The checksum as a raw socket with `IPV6_CHECKSUM` computes it: over the
/// whole IPv6 payload, LLS data and authentication trailer included, with
/// the payload length in the pseudo-header. Linux senders that append an
/// authentication trailer and let the kernel checksum produce this, so
/// [`crate::v3::Packet::decode`] accepts it when octets follow the packet.
#[must_use]
pub fn payload_checksum(source: Ipv6Addr, destination: Ipv6Addr, payload: &[u8]) -> u16 {
    packet_checksum(source, destination, payload)
}

/// Whether the checksum field of `packet` (exactly one OSPFv3 packet)
/// matches [`packet_checksum`].
#[must_use]
pub fn checksum_ok(source: Ipv6Addr, destination: Ipv6Addr, packet: &[u8]) -> bool {
    match packet.get(CHECKSUM_OFFSET..CHECKSUM_OFFSET + 2) {
        Some(&[a, b]) => u16::from_be_bytes([a, b]) == packet_checksum(source, destination, packet),
        _ => false,
    }
}

/// Compute and write the checksum field of an encoded packet in place.
/// Does nothing if `packet` is shorter than a header.
pub fn set_checksum(source: Ipv6Addr, destination: Ipv6Addr, packet: &mut [u8]) {
    let ck = packet_checksum(source, destination, packet);
    if let Some(field) = packet.get_mut(CHECKSUM_OFFSET..CHECKSUM_OFFSET + 2) {
        field.copy_from_slice(&ck.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_rejects_version_2() {
        let mut b = vec![0u8; 16];
        b[0] = 2;
        assert_eq!(
            PacketHeader::decode(&Bytes::from(b)),
            Err(DecodeError::BadVersion { offset: 0, version: 2 })
        );
        assert_eq!(
            PacketHeader::decode(&Bytes::from_static(&[3, 1, 0])),
            Err(DecodeError::Truncated { offset: 0, needed: 16, available: 3 })
        );
    }

    #[test]
    fn checksum_set_then_verified() {
        let src: Ipv6Addr = "fe80::1".parse().unwrap_or(Ipv6Addr::UNSPECIFIED);
        let dst: Ipv6Addr = "ff02::5".parse().unwrap_or(Ipv6Addr::UNSPECIFIED);
        let mut p = [3, 5, 0, 16, 1, 1, 1, 1, 0, 0, 0, 0, 0xaa, 0xbb, 0, 0];
        assert!(!checksum_ok(src, dst, &p));
        set_checksum(src, dst, &mut p);
        assert!(checksum_ok(src, dst, &p));
        // Swapping the addresses gives the same sum; another address does not.
        assert!(checksum_ok(dst, src, &p));
        assert!(!checksum_ok(src, Ipv6Addr::LOCALHOST, &p));
        p[4] ^= 1;
        assert!(!checksum_ok(src, dst, &p));
    }
}
