//! Legacy TABLE_DUMP records (RFC 6396 §4.2): one RIB entry per record, 2-octet AS.

use bytes::{BufMut, Bytes, BytesMut};
use std::net::IpAddr;

use super::{read_ip, MrtError, MrtRead, MrtReason};
use crate::context::Context;
use crate::reader::Reader;
use crate::types::{Afi, Asn};

/// A TABLE_DUMP record; its subtype is the AFI of the prefix and peer address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableDump {
    /// View Number.
    pub view: u16,
    /// Sequence Number.
    pub sequence: u16,
    /// Prefix address; its family gives the subtype.
    pub prefix: IpAddr,
    /// Prefix Length.
    pub prefix_len: u8,
    /// Status ("unused ... SHOULD be set to 1").
    pub status: u8,
    /// Originated Time.
    pub originated_time: u32,
    /// Peer IP Address (written in the prefix's family).
    pub peer_ip: IpAddr,
    /// Peer AS (two octets).
    pub peer_as: Asn,
    /// BGP Attributes, as read (2-octet AS numbers).
    pub attributes: Bytes,
}

impl TableDump {
    /// Decodes the body; `subtype` is the AFI (RFC 6396 §4.2: "AFI_IPv4 = 1, AFI_IPv6 = 2").
    pub fn decode(subtype: u16, body: &Bytes, base: usize) -> Result<TableDump, MrtError> {
        let v6 = match Afi(subtype) {
            Afi::IPV4 => false,
            Afi::IPV6 => true,
            Afi(n) => return Err(MrtError::new(base, MrtReason::UnsupportedAfi(n))),
        };
        let mut r = Reader::new(body, base);
        let view = r.u16_m()?;
        let sequence = r.u16_m()?;
        let prefix = read_ip(&mut r, v6)?;
        let len_at = r.offset();
        let prefix_len = r.u8_m()?;
        if prefix_len > if v6 { 128 } else { 32 } {
            return Err(MrtError::new(len_at, MrtReason::BadPrefixLength(prefix_len)));
        }
        let status = r.u8_m()?;
        let originated_time = r.u32_m()?;
        let peer_ip = read_ip(&mut r, v6)?;
        let peer_as = Asn(u32::from(r.u16_m()?));
        let len = usize::from(r.u16_m()?);
        let start = r.position();
        r.bytes_m(len)?;
        r.finish_m()?;
        Ok(TableDump {
            view,
            sequence,
            prefix,
            prefix_len,
            status,
            originated_time,
            peer_ip,
            peer_as,
            attributes: body.slice(start..start + len),
        })
    }

    /// The subtype: the AFI of the prefix.
    pub fn subtype(&self) -> u16 {
        if self.prefix.is_ipv6() {
            Afi::IPV6.0
        } else {
            Afi::IPV4.0
        }
    }

    /// Writes the body.
    pub fn encode(&self, buf: &mut BytesMut) {
        let v6 = self.prefix.is_ipv6();
        buf.put_u16(self.view);
        buf.put_u16(self.sequence);
        super::write_ip(self.prefix, v6, buf);
        buf.put_u8(self.prefix_len);
        buf.put_u8(self.status);
        buf.put_u32(self.originated_time);
        super::write_ip(self.peer_ip, v6, buf);
        buf.put_u16(self.peer_as.to_two_octet());
        let a = self.attributes.get(..usize::from(u16::MAX)).unwrap_or(&self.attributes);
        buf.put_u16(a.len() as u16);
        buf.put_slice(a);
    }

    /// The context to decode the attributes with: 2-octet AS numbers.
    pub fn attribute_context() -> Context {
        Context { four_octet_as: false, extended_message: true, ..Context::default() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_ipv4() {
        let body = [
            0, 0, 0, 3, 10, 0, 0, 0, 8, 1, 0x38, 0x7a, 0x5e, 0x10, 192, 0, 2, 9, 0x1b, 0x1b, 0, 4,
            0x40, 1, 1, 0,
        ];
        let b = Bytes::copy_from_slice(&body);
        let t = TableDump::decode(1, &b, 0).unwrap();
        assert_eq!((t.prefix_len, t.peer_as, t.attributes.len()), (8, Asn(6939), 4));
        let mut out = BytesMut::new();
        t.encode(&mut out);
        assert_eq!(&out[..], &body[..]);
        assert_eq!(TableDump::decode(3, &b, 7).unwrap_err().reason, MrtReason::UnsupportedAfi(3));
        assert!(TableDump::decode(1, &b.slice(..20), 0).is_err());
    }
}
