//! TABLE_DUMP_V2 records (RFC 6396 §4.3) and their ADD-PATH subtypes (RFC 8050 §4).

use bytes::{BufMut, Bytes, BytesMut};
use core::fmt;
use std::net::IpAddr;

use super::{
    prefix_from, read_ip, read_prefix, write_ip, write_prefix, MrtError, MrtRead, MrtReason,
    RecordBody,
};
use crate::context::Context;
use crate::reader::Reader;
use crate::types::{Afi, Asn, Family, Safi};

/// TABLE_DUMP_V2 subtype.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TableDumpV2Subtype(pub u16);

impl TableDumpV2Subtype {
    /// RFC 6396 §4.3.1.
    pub const PEER_INDEX_TABLE: TableDumpV2Subtype = TableDumpV2Subtype(1);
    /// RFC 6396 §4.3.2.
    pub const RIB_IPV4_UNICAST: TableDumpV2Subtype = TableDumpV2Subtype(2);
    /// RFC 6396 §4.3.2.
    pub const RIB_IPV4_MULTICAST: TableDumpV2Subtype = TableDumpV2Subtype(3);
    /// RFC 6396 §4.3.2.
    pub const RIB_IPV6_UNICAST: TableDumpV2Subtype = TableDumpV2Subtype(4);
    /// RFC 6396 §4.3.2.
    pub const RIB_IPV6_MULTICAST: TableDumpV2Subtype = TableDumpV2Subtype(5);
    /// RFC 6396 §4.3.3.
    pub const RIB_GENERIC: TableDumpV2Subtype = TableDumpV2Subtype(6);
    /// RFC 8050 §4.
    pub const RIB_IPV4_UNICAST_ADDPATH: TableDumpV2Subtype = TableDumpV2Subtype(8);
    /// RFC 8050 §4.
    pub const RIB_IPV4_MULTICAST_ADDPATH: TableDumpV2Subtype = TableDumpV2Subtype(9);
    /// RFC 8050 §4.
    pub const RIB_IPV6_UNICAST_ADDPATH: TableDumpV2Subtype = TableDumpV2Subtype(10);
    /// RFC 8050 §4.
    pub const RIB_IPV6_MULTICAST_ADDPATH: TableDumpV2Subtype = TableDumpV2Subtype(11);
    /// RFC 8050 §4.
    pub const RIB_GENERIC_ADDPATH: TableDumpV2Subtype = TableDumpV2Subtype(12);

    /// The family of an AFI/SAFI-specific RIB subtype, and whether it carries path
    /// identifiers.
    pub const fn rib_family(self) -> Option<(Family, bool)> {
        let f = match self.0 {
            2 | 8 => Family::new(Afi::IPV4, Safi::UNICAST),
            3 | 9 => Family::new(Afi::IPV4, Safi::MULTICAST),
            4 | 10 => Family::new(Afi::IPV6, Safi::UNICAST),
            5 | 11 => Family::new(Afi::IPV6, Safi::MULTICAST),
            _ => return None,
        };
        Some((f, self.0 >= 8))
    }

    /// Name as RFC 6396 / RFC 8050 write it.
    pub fn name(self) -> &'static str {
        match self.0 {
            1 => "PEER_INDEX_TABLE",
            2 => "RIB_IPV4_UNICAST",
            3 => "RIB_IPV4_MULTICAST",
            4 => "RIB_IPV6_UNICAST",
            5 => "RIB_IPV6_MULTICAST",
            6 => "RIB_GENERIC",
            8 => "RIB_IPV4_UNICAST_ADDPATH",
            9 => "RIB_IPV4_MULTICAST_ADDPATH",
            10 => "RIB_IPV6_UNICAST_ADDPATH",
            11 => "RIB_IPV6_MULTICAST_ADDPATH",
            12 => "RIB_GENERIC_ADDPATH",
            _ => "UNKNOWN",
        }
    }
}

impl fmt::Debug for TableDumpV2Subtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.name(), self.0)
    }
}

/// Decodes a TABLE_DUMP_V2 body; unknown subtypes are kept as [`RecordBody::Other`].
pub(crate) fn decode(subtype: u16, body: &Bytes, base: usize) -> Result<RecordBody, MrtError> {
    let st = TableDumpV2Subtype(subtype);
    Ok(match st {
        TableDumpV2Subtype::PEER_INDEX_TABLE => {
            RecordBody::PeerIndexTable(PeerIndexTable::decode(body, base)?)
        }
        TableDumpV2Subtype::RIB_GENERIC | TableDumpV2Subtype::RIB_GENERIC_ADDPATH => {
            RecordBody::RibGeneric(RibGeneric::decode(subtype == 12, body, base)?)
        }
        _ => match st.rib_family() {
            Some((family, add_path)) => RecordBody::Rib(Rib::decode(family, add_path, body, base)?),
            None => RecordBody::Other {
                mrt_type: super::MrtType::TABLE_DUMP_V2,
                subtype,
                data: body.clone(),
            },
        },
    })
}

/// One peer of a PEER_INDEX_TABLE (RFC 6396 §4.3.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerEntry {
    /// Peer BGP ID.
    pub bgp_id: [u8; 4],
    /// Peer IP Address (the Peer Type's bit 0 says IPv6).
    pub ip: IpAddr,
    /// Peer AS.
    pub asn: Asn,
    /// Peer Type bit 1: the AS is written in four octets.
    pub as4: bool,
    /// The other six bits of Peer Type, unassigned, kept as read so that a record is
    /// written back to the same octets.
    pub reserved_bits: u8,
}

/// PEER_INDEX_TABLE (RFC 6396 §4.3.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerIndexTable {
    /// Collector BGP ID.
    pub collector_bgp_id: [u8; 4],
    /// View Name (octets as read; RFC 6396 suggests UTF-8 but does not require it).
    pub view_name: Bytes,
    /// The peers; RIB entries refer to them by index.
    pub peers: Vec<PeerEntry>,
}

impl PeerIndexTable {
    fn decode(body: &Bytes, base: usize) -> Result<PeerIndexTable, MrtError> {
        let mut r = Reader::new(body, base);
        let mut collector_bgp_id = [0u8; 4];
        collector_bgp_id.copy_from_slice(r.bytes_m(4)?);
        let name_len = usize::from(r.u16_m()?);
        let name_start = r.position();
        r.bytes_m(name_len)?;
        let view_name = body.slice(name_start..name_start + name_len);
        let count = r.u16_m()?;
        // Each entry is at least 1 + 4 + 4 + 2 octets: bound the allocation by the bytes.
        let mut peers = Vec::with_capacity(usize::from(count).min(r.remaining() / 11));
        for _ in 0..count {
            let peer_type = r.u8_m()?;
            let mut bgp_id = [0u8; 4];
            bgp_id.copy_from_slice(r.bytes_m(4)?);
            let ip = read_ip(&mut r, peer_type & 0x01 != 0)?;
            let as4 = peer_type & 0x02 != 0;
            let asn = if as4 { Asn(r.u32_m()?) } else { Asn(u32::from(r.u16_m()?)) };
            let reserved_bits = peer_type & !0x03;
            peers.push(PeerEntry { bgp_id, ip, asn, as4, reserved_bits });
        }
        r.finish_m()?;
        Ok(PeerIndexTable { collector_bgp_id, view_name, peers })
    }

    /// Writes the body.
    pub fn encode(&self, buf: &mut BytesMut) {
        buf.put_slice(&self.collector_bgp_id);
        let name = self.view_name.get(..usize::from(u16::MAX)).unwrap_or(&self.view_name);
        buf.put_u16(name.len() as u16);
        buf.put_slice(name);
        let n = self.peers.len().min(usize::from(u16::MAX));
        buf.put_u16(n as u16);
        for p in self.peers.iter().take(n) {
            let v6 = p.ip.is_ipv6();
            let as4 = p.as4 || p.asn.is_four_octet();
            buf.put_u8(u8::from(v6) | (u8::from(as4) << 1) | (p.reserved_bits & !0x03));
            buf.put_slice(&p.bgp_id);
            write_ip(p.ip, v6, buf);
            if as4 {
                buf.put_u32(p.asn.0);
            } else {
                buf.put_u16(p.asn.0 as u16);
            }
        }
    }
}

/// One RIB entry (RFC 6396 §4.3.4, with the Path Identifier of RFC 8050 §4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RibEntry {
    /// Index into the PEER_INDEX_TABLE.
    pub peer_index: u16,
    /// Originated Time.
    pub originated_time: u32,
    /// Path Identifier, for the ADDPATH subtypes.
    pub path_id: Option<u32>,
    /// BGP Attributes, as read. RFC 6396 §4.3.4: AS numbers are four octets and an
    /// MP_REACH_NLRI holds only the next hop: see [`expand_mp_reach`].
    pub attributes: Bytes,
}

fn decode_entries(
    r: &mut Reader<'_>,
    body: &Bytes,
    add_path: bool,
) -> Result<Vec<RibEntry>, MrtError> {
    let count = r.u16_m()?;
    let mut entries = Vec::with_capacity(usize::from(count).min(r.remaining() / 8));
    for _ in 0..count {
        let peer_index = r.u16_m()?;
        let originated_time = r.u32_m()?;
        let path_id = if add_path { Some(r.u32_m()?) } else { None };
        let len = usize::from(r.u16_m()?);
        let start = r.position();
        r.bytes_m(len)?;
        entries.push(RibEntry {
            peer_index,
            originated_time,
            path_id,
            attributes: body.slice(start..start + len),
        });
    }
    r.finish_m()?;
    Ok(entries)
}

fn encode_entries(entries: &[RibEntry], add_path: bool, buf: &mut BytesMut) {
    let n = entries.len().min(usize::from(u16::MAX));
    buf.put_u16(n as u16);
    for e in entries.iter().take(n) {
        buf.put_u16(e.peer_index);
        buf.put_u32(e.originated_time);
        if add_path {
            buf.put_u32(e.path_id.unwrap_or(0));
        }
        let a = e.attributes.get(..usize::from(u16::MAX)).unwrap_or(&e.attributes);
        buf.put_u16(a.len() as u16);
        buf.put_slice(a);
    }
}

/// An AFI/SAFI-specific RIB record (RFC 6396 §4.3.2; RFC 8050 §4 for `add_path`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rib {
    /// IPv4/IPv6, unicast/multicast.
    pub family: Family,
    /// The ADDPATH subtype: every entry has a path identifier.
    pub add_path: bool,
    /// Sequence Number.
    pub sequence: u32,
    /// The prefix, octets as read (host bits kept).
    pub prefix: ipnet::IpNet,
    /// RIB Entries.
    pub entries: Vec<RibEntry>,
}

impl Rib {
    fn decode(family: Family, add_path: bool, body: &Bytes, base: usize) -> Result<Rib, MrtError> {
        let mut r = Reader::new(body, base);
        let sequence = r.u32_m()?;
        let len = r.u8_m()?;
        let v6 = family.afi == Afi::IPV6;
        let octets = if v6 {
            read_prefix::<16>(&mut r, len)?
        } else {
            let a = read_prefix::<4>(&mut r, len)?;
            let mut o = [0u8; 16];
            o[..4].copy_from_slice(&a);
            o
        };
        let prefix = prefix_from(v6, &octets, len);
        let entries = decode_entries(&mut r, body, add_path)?;
        Ok(Rib { family, add_path, sequence, prefix, entries })
    }

    /// The subtype this record is written with.
    pub fn subtype(&self) -> TableDumpV2Subtype {
        let v6 = self.family.afi == Afi::IPV6;
        let mc = self.family.safi == Safi::MULTICAST;
        let base = match (v6, mc) {
            (false, false) => 2,
            (false, true) => 3,
            (true, false) => 4,
            (true, true) => 5,
        };
        TableDumpV2Subtype(if self.add_path { base + 6 } else { base })
    }

    /// Writes the body.
    pub fn encode(&self, buf: &mut BytesMut) {
        buf.put_u32(self.sequence);
        write_prefix(&self.prefix, buf);
        encode_entries(&self.entries, self.add_path, buf);
    }

    /// The prefix as NLRI octets (length in bits, then the prefix octets).
    pub fn nlri(&self) -> Bytes {
        let mut b = BytesMut::new();
        write_prefix(&self.prefix, &mut b);
        b.freeze()
    }
}

/// RIB_GENERIC / RIB_GENERIC_ADDPATH (RFC 6396 §4.3.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RibGeneric {
    /// The ADDPATH subtype.
    pub add_path: bool,
    /// Sequence Number.
    pub sequence: u32,
    /// AFI and SAFI.
    pub family: Family,
    /// The single NLRI, octets as read.
    pub nlri: Bytes,
    /// RIB Entries.
    pub entries: Vec<RibEntry>,
}

impl RibGeneric {
    fn decode(add_path: bool, body: &Bytes, base: usize) -> Result<RibGeneric, MrtError> {
        let mut r = Reader::new(body, base);
        let sequence = r.u32_m()?;
        let afi = Afi(r.u16_m()?);
        let safi_at = r.offset();
        let safi = Safi(r.u8_m()?);
        // RFC 6396 §4.3.3: "An implementation that does not recognize particular AFI and
        // SAFI values SHOULD discard the remainder of the MRT record." We know the families
        // whose NLRI is a length in bits followed by that many bits.
        let bit_length_nlri = matches!(safi.0, 1 | 2 | 4 | 128 | 129 | 132);
        if !bit_length_nlri {
            return Err(MrtError::new(safi_at, MrtReason::UnknownSubtype(u16::from(safi.0))));
        }
        let start = r.position();
        let len = r.u8_m()?;
        r.bytes_m(usize::from(len).div_ceil(8))?;
        let nlri = body.slice(start..r.position());
        let entries = decode_entries(&mut r, body, add_path)?;
        Ok(RibGeneric { add_path, sequence, family: Family::new(afi, safi), nlri, entries })
    }

    /// The subtype this record is written with.
    pub fn subtype(&self) -> TableDumpV2Subtype {
        if self.add_path {
            TableDumpV2Subtype::RIB_GENERIC_ADDPATH
        } else {
            TableDumpV2Subtype::RIB_GENERIC
        }
    }

    /// Writes the body.
    pub fn encode(&self, buf: &mut BytesMut) {
        buf.put_u32(self.sequence);
        buf.put_u16(self.family.afi.0);
        buf.put_u8(self.family.safi.0);
        buf.put_slice(&self.nlri);
        encode_entries(&self.entries, self.add_path, buf);
    }
}

/// The context to decode RIB entry attributes with: TABLE_DUMP_V2 carries AS_PATH with
/// 4-octet AS numbers (as the RIB_IPV6_UNICAST example of RFC 6396 Appendix A does), and
/// the record length, not 4096, bounds the attributes.
pub fn attribute_context() -> Context {
    Context { four_octet_as: true, extended_message: true, ..Context::default() }
}

/// Restores a full MP_REACH_NLRI from the abbreviated one of RFC 6396 §4.3.4, so that the
/// attributes decode like those of an UPDATE.
///
/// RFC 6396 §4.3.4: "only the Next Hop Address Length and Next Hop Address fields are
/// included. The Reserved field and the NLRI field are not included." The result carries
/// `family` and the RIB's `nlri`. When no MP_REACH_NLRI is abbreviated (some writers put the
/// whole attribute), or the attributes do not parse, the input is returned unchanged.
pub fn expand_mp_reach(attributes: &Bytes, family: Family, nlri: &[u8]) -> Bytes {
    const MP_REACH_NLRI: u8 = 14;
    let mut r = Reader::new(attributes, 0);
    while !r.is_empty() {
        let at = r.position();
        let Ok(flags) = r.u8() else { break };
        let Ok(type_code) = r.u8() else { break };
        let len =
            if flags & 0x10 != 0 { r.u16().map(usize::from) } else { r.u8().map(usize::from) };
        let Ok(len) = len else { break };
        let value_at = r.position();
        let Ok(value) = r.bytes(len) else { break };
        let abbreviated = value.first().is_some_and(|&nh| usize::from(nh) + 1 == value.len());
        if type_code != MP_REACH_NLRI || !abbreviated {
            continue;
        }
        let mut v = BytesMut::with_capacity(value.len() + 4 + nlri.len());
        v.put_u16(family.afi.0);
        v.put_u8(family.safi.0);
        v.put_slice(value);
        v.put_u8(0);
        v.put_slice(nlri);
        let mut out = BytesMut::with_capacity(attributes.len() + 8 + nlri.len());
        out.put_slice(attributes.get(..at).unwrap_or_default());
        if v.len() > 255 {
            out.put_u8(flags | 0x10);
            out.put_u8(type_code);
            out.put_u16(v.len().min(usize::from(u16::MAX)) as u16);
        } else {
            out.put_u8(flags & !0x10);
            out.put_u8(type_code);
            out.put_u8(v.len() as u8);
        }
        out.put_slice(&v);
        out.put_slice(attributes.get(value_at + len..).unwrap_or_default());
        return out.freeze();
    }
    attributes.clone()
}

/// Writes the MP_REACH_NLRI of a RIB entry in the abbreviated form of RFC 6396 §4.3.4: flags
/// (optional), type 14, length, then "only the Next Hop Address Length and Next Hop Address
/// fields". A next hop longer than 255 octets is cut (none is: 4, 16 or 32 octets in practice).
pub fn write_abbreviated_mp_reach(next_hop: &[u8], buf: &mut BytesMut) {
    const OPTIONAL: u8 = 0x80;
    const MP_REACH_NLRI: u8 = 14;
    let nh = next_hop.get(..254).unwrap_or(next_hop);
    buf.put_u8(OPTIONAL);
    buf.put_u8(MP_REACH_NLRI);
    buf.put_u8(nh.len() as u8 + 1);
    buf.put_u8(nh.len() as u8);
    buf.put_slice(nh);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_index_table_round_trip() {
        let mut body = vec![10, 0, 0, 1, 0x00, 0x02, b'v', b'1', 0x00, 0x02];
        body.extend_from_slice(&[0x00, 1, 1, 1, 1, 192, 0, 2, 1, 0xfd, 0xe9]);
        body.push(0x03);
        body.extend_from_slice(&[2, 2, 2, 2]);
        body.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8].repeat(4));
        body.extend_from_slice(&[0x00, 0x01, 0x00, 0x00]);
        let b = Bytes::from(body.clone());
        let RecordBody::PeerIndexTable(t) = decode(1, &b, 0).unwrap() else { panic!() };
        assert_eq!(t.peers.len(), 2);
        assert_eq!(t.peers[1].asn, Asn(65536));
        let mut out = BytesMut::new();
        t.encode(&mut out);
        assert_eq!(&out[..], &body[..]);
        // Unassigned Peer Type bits, as some collectors set them, are written back.
        let mut odd = body.clone();
        odd[10] = 0xa0;
        let b = Bytes::from(odd.clone());
        let RecordBody::PeerIndexTable(t) = decode(1, &b, 0).unwrap() else { panic!() };
        assert_eq!(t.peers[0].reserved_bits, 0xa0);
        let mut out = BytesMut::new();
        t.encode(&mut out);
        assert_eq!(&out[..], &odd[..]);
    }

    #[test]
    fn rib_addpath_round_trip_and_subtype() {
        let body = [
            0, 0, 0, 7, 23, 192, 0, 3, 0, 1, 0, 0, 0x58, 0x9e, 0xc8, 0xba, 0, 0, 0, 5, 0, 4, 0x40,
            1, 1, 0,
        ];
        let b = Bytes::copy_from_slice(&body);
        let RecordBody::Rib(rib) = decode(8, &b, 0).unwrap() else { panic!() };
        // Host bits are kept as read, for an exact re-encoding.
        assert_eq!(rib.prefix.to_string(), "192.0.3.0/23");
        assert_eq!(rib.entries[0].path_id, Some(5));
        assert_eq!(rib.subtype(), TableDumpV2Subtype::RIB_IPV4_UNICAST_ADDPATH);
        let mut out = BytesMut::new();
        rib.encode(&mut out);
        assert_eq!(&out[..], &body[..]);
        assert_eq!(&rib.nlri()[..], &[23, 192, 0, 3][..]);
    }

    #[test]
    fn rib_errors() {
        let b = Bytes::from_static(&[0, 0, 0, 7, 33, 1, 2, 3, 4, 5]);
        let e = decode(2, &b, 50).unwrap_err();
        assert_eq!((e.offset, e.reason), (55, MrtReason::BadPrefixLength(33)));
        let b = Bytes::from_static(&[0, 0, 0, 7, 8, 10, 0, 2, 0, 1]);
        assert!(matches!(decode(2, &b, 0).unwrap_err().reason, MrtReason::Truncated { .. }));
    }

    #[test]
    fn expands_abbreviated_mp_reach() {
        let mut attrs = vec![0x40, 1, 1, 0];
        attrs.extend_from_slice(&[0x80, 14, 17, 16]);
        attrs.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8].repeat(4));
        let nlri = [32, 0x20, 0x01, 0x0d, 0xb8];
        let out = expand_mp_reach(&Bytes::from(attrs.clone()), Family::IPV6_UNICAST, &nlri);
        assert_eq!(&out[..4], &attrs[..4]);
        assert_eq!(&out[4..10], &[0x80, 14, 26, 0, 2, 1]);
        assert_eq!(out[10], 16);
        assert_eq!(&out[out.len() - 6..], &[0, 32, 0x20, 0x01, 0x0d, 0xb8]);
        // The writer gives the abbreviated form back.
        let mut w = BytesMut::new();
        write_abbreviated_mp_reach(&attrs[8..], &mut w);
        assert_eq!(&w[..], &attrs[4..]);
        // Already complete: unchanged.
        let full = Bytes::from(out.to_vec());
        assert_eq!(expand_mp_reach(&full, Family::IPV6_UNICAST, &nlri), full);
    }
}
