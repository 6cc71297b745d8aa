//! OSPFv2 packets (RFC 2328 A.3): Hello, Database Description, Link State
//! Request, Link State Update and Link State Acknowledgment.

use std::net::Ipv4Addr;

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::DecodeError;
use crate::reader::Reader;
use crate::types::{AreaId, RouterId};
use crate::v2::codepoints::{DdFlags, LsType, Options, PacketType};
use crate::v2::header::{
    packet_checksum, Authentication, PacketHeader, CHECKSUM_OFFSET, HEADER_LEN, VERSION,
};
use crate::v2::lsa::Lsa;
use crate::v2::lsa_header::{LsaHeader, LsaKey, LSA_HEADER_LEN};

/// Hello packet body (RFC 2328 A.3.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Hello {
    /// Network mask of the sending interface.
    pub network_mask: Ipv4Addr,
    /// HelloInterval in seconds.
    pub hello_interval: u16,
    /// Options.
    pub options: Options,
    /// Rtr Pri.
    pub router_priority: u8,
    /// RouterDeadInterval in seconds.
    pub router_dead_interval: u32,
    /// Designated Router (interface address), 0.0.0.0 if none.
    pub designated_router: Ipv4Addr,
    /// Backup Designated Router (interface address), 0.0.0.0 if none.
    pub backup_designated_router: Ipv4Addr,
    /// Router IDs heard on the network within RouterDeadInterval.
    pub neighbors: Vec<RouterId>,
}

impl Hello {
    fn read(r: &mut Reader) -> Result<Self, DecodeError> {
        let network_mask = r.ipv4()?;
        let hello_interval = r.u16()?;
        let options = Options(r.u8()?);
        let router_priority = r.u8()?;
        let router_dead_interval = r.u32()?;
        let designated_router = r.ipv4()?;
        let backup_designated_router = r.ipv4()?;
        if r.remaining() % 4 != 0 {
            return Err(DecodeError::bad_length(r.offset(), r.remaining(), "Hello neighbor list"));
        }
        let mut neighbors = Vec::with_capacity(r.remaining() / 4);
        while !r.is_empty() {
            neighbors.push(RouterId(r.u32()?));
        }
        Ok(Self {
            network_mask,
            hello_interval,
            options,
            router_priority,
            router_dead_interval,
            designated_router,
            backup_designated_router,
            neighbors,
        })
    }

    fn write(&self, buf: &mut BytesMut) {
        buf.put_slice(&self.network_mask.octets());
        buf.put_u16(self.hello_interval);
        buf.put_u8(self.options.0);
        buf.put_u8(self.router_priority);
        buf.put_u32(self.router_dead_interval);
        buf.put_slice(&self.designated_router.octets());
        buf.put_slice(&self.backup_designated_router.octets());
        for n in &self.neighbors {
            buf.put_u32(n.0);
        }
    }
}

/// Database Description packet body (RFC 2328 A.3.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DatabaseDescription {
    /// Interface MTU: the largest IP datagram the interface can send unfragmented.
    pub interface_mtu: u16,
    /// Options.
    pub options: Options,
    /// I, M and MS bits (the whole octet is kept).
    pub flags: DdFlags,
    /// DD sequence number.
    pub dd_sequence_number: u32,
    /// LSA headers describing the database.
    pub lsa_headers: Vec<LsaHeader>,
}

impl DatabaseDescription {
    fn read(r: &mut Reader) -> Result<Self, DecodeError> {
        let interface_mtu = r.u16()?;
        let options = Options(r.u8()?);
        let flags = DdFlags(r.u8()?);
        let dd_sequence_number = r.u32()?;
        let lsa_headers = read_lsa_headers(r, "Database Description LSA headers")?;
        Ok(Self { interface_mtu, options, flags, dd_sequence_number, lsa_headers })
    }

    fn write(&self, buf: &mut BytesMut) {
        buf.put_u16(self.interface_mtu);
        buf.put_u8(self.options.0);
        buf.put_u8(self.flags.0);
        buf.put_u32(self.dd_sequence_number);
        for h in &self.lsa_headers {
            h.encode(buf);
        }
    }
}

/// Link State Request packet body (RFC 2328 A.3.4).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct LinkStateRequest {
    /// The requested LSAs; LS type is a 32-bit field on the wire.
    pub requests: Vec<LsaKey>,
}

impl LinkStateRequest {
    fn read(r: &mut Reader) -> Result<Self, DecodeError> {
        if r.remaining() % 12 != 0 {
            return Err(DecodeError::bad_length(
                r.offset(),
                r.remaining(),
                "Link State Request entries",
            ));
        }
        let mut requests = Vec::with_capacity(r.remaining() / 12);
        while !r.is_empty() {
            let type_offset = r.offset();
            let ls_type = r.u32()?;
            let ls_type = u8::try_from(ls_type)
                .map_err(|_| DecodeError::BadLsType { offset: type_offset, ls_type })?;
            requests.push(LsaKey {
                ls_type: LsType(ls_type),
                link_state_id: r.ipv4()?,
                advertising_router: RouterId(r.u32()?),
            });
        }
        Ok(Self { requests })
    }

    fn write(&self, buf: &mut BytesMut) {
        for k in &self.requests {
            buf.put_u32(k.ls_type.0.into());
            buf.put_slice(&k.link_state_id.octets());
            buf.put_u32(k.advertising_router.0);
        }
    }
}

/// Link State Update packet body (RFC 2328 A.3.5).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct LinkStateUpdate {
    /// The LSAs (# LSAs is their count).
    pub lsas: Vec<Lsa>,
}

impl LinkStateUpdate {
    /// Pack LSAs, in order, into as few updates as keep each packet within
    /// `max_packet_len` octets (OSPF header included; leave room for a
    /// digest and the IP header yourself). An LSA too large for the limit
    /// travels alone (RFC 2328 §13.3 leaves fragmentation to IP).
    #[must_use]
    pub fn pack(lsas: impl IntoIterator<Item = Lsa>, max_packet_len: usize) -> Vec<Self> {
        let empty = HEADER_LEN + 4;
        let mut out = Vec::new();
        let mut cur = Self::default();
        let mut len = empty;
        for lsa in lsas {
            let n = lsa.raw().len();
            if !cur.lsas.is_empty() && len + n > max_packet_len {
                out.push(std::mem::take(&mut cur));
                len = empty;
            }
            len += n;
            cur.lsas.push(lsa);
        }
        if !cur.lsas.is_empty() {
            out.push(cur);
        }
        out
    }

    fn read(r: &mut Reader) -> Result<Self, DecodeError> {
        let count_offset = r.offset();
        let count = r.u32()?;
        // No preallocation from the count: it is not backed by data yet.
        let mut lsas = Vec::new();
        for _ in 0..count {
            if r.is_empty() {
                return Err(DecodeError::bad_length(
                    count_offset,
                    count as usize,
                    "Link State Update # LSAs",
                ));
            }
            lsas.push(Lsa::read(r)?);
        }
        r.finish()?;
        Ok(Self { lsas })
    }

    fn write(&self, buf: &mut BytesMut) {
        buf.put_u32(self.lsas.len() as u32);
        for l in &self.lsas {
            l.encode(buf);
        }
    }
}

/// Link State Acknowledgment packet body (RFC 2328 A.3.6).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct LinkStateAck {
    /// Headers of the LSAs acknowledged.
    pub lsa_headers: Vec<LsaHeader>,
}

impl LinkStateAck {
    fn read(r: &mut Reader) -> Result<Self, DecodeError> {
        Ok(Self { lsa_headers: read_lsa_headers(r, "Link State Acknowledgment LSA headers")? })
    }

    fn write(&self, buf: &mut BytesMut) {
        for h in &self.lsa_headers {
            h.encode(buf);
        }
    }
}

fn read_lsa_headers(r: &mut Reader, what: &'static str) -> Result<Vec<LsaHeader>, DecodeError> {
    if r.remaining() % LSA_HEADER_LEN != 0 {
        return Err(DecodeError::bad_length(r.offset(), r.remaining(), what));
    }
    let mut out = Vec::with_capacity(r.remaining() / LSA_HEADER_LEN);
    while !r.is_empty() {
        out.push(LsaHeader::read(r)?);
    }
    Ok(out)
}

/// The body of an OSPFv2 packet, one variant per packet type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PacketBody {
    /// Type 1.
    Hello(Hello),
    /// Type 2.
    DatabaseDescription(DatabaseDescription),
    /// Type 3.
    LinkStateRequest(LinkStateRequest),
    /// Type 4.
    LinkStateUpdate(LinkStateUpdate),
    /// Type 5.
    LinkStateAck(LinkStateAck),
}

impl PacketBody {
    /// The packet type of this body.
    #[must_use]
    pub fn packet_type(&self) -> PacketType {
        match self {
            Self::Hello(_) => PacketType::HELLO,
            Self::DatabaseDescription(_) => PacketType::DATABASE_DESCRIPTION,
            Self::LinkStateRequest(_) => PacketType::LINK_STATE_REQUEST,
            Self::LinkStateUpdate(_) => PacketType::LINK_STATE_UPDATE,
            Self::LinkStateAck(_) => PacketType::LINK_STATE_ACK,
        }
    }

    fn write(&self, buf: &mut BytesMut) {
        match self {
            Self::Hello(b) => b.write(buf),
            Self::DatabaseDescription(b) => b.write(buf),
            Self::LinkStateRequest(b) => b.write(buf),
            Self::LinkStateUpdate(b) => b.write(buf),
            Self::LinkStateAck(b) => b.write(buf),
        }
    }
}

/// An OSPFv2 packet. Version, type, length and checksum follow from the
/// contents and are computed by [`Packet::encode`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Packet {
    /// Router ID of the source.
    pub router_id: RouterId,
    /// Area ID.
    pub area_id: AreaId,
    /// AuType and Authentication field. For cryptographic authentication,
    /// [`crate::auth::sign`] sets it and appends the digest.
    pub authentication: Authentication,
    /// The packet body.
    pub body: PacketBody,
}

impl Packet {
    /// Decode an OSPFv2 packet from the IP payload `buf`, verifying the
    /// packet checksum unless the AuType is cryptographic (D.4.3). Octets
    /// after the packet length (a cryptographic digest, RFC 5613 LLS data)
    /// are ignored; see [`Packet::decode_with_trailer`].
    ///
    /// # Errors
    /// Any structural error, or `BadChecksum`.
    pub fn decode(buf: Bytes) -> Result<Self, DecodeError> {
        Self::decode_with_trailer(buf).map(|(p, _)| p)
    }

    /// Like [`Packet::decode`], also returning the octets after the packet length.
    ///
    /// # Errors
    /// Any structural error, or `BadChecksum`.
    pub fn decode_with_trailer(buf: Bytes) -> Result<(Self, Bytes), DecodeError> {
        Self::decode_inner(buf, true)
    }

    /// Decode without checking the packet checksum (fuzzing, captures with
    /// offloaded checksums).
    ///
    /// # Errors
    /// Any structural error.
    pub fn decode_unverified(buf: Bytes) -> Result<(Self, Bytes), DecodeError> {
        Self::decode_inner(buf, false)
    }

    fn decode_inner(buf: Bytes, verify: bool) -> Result<(Self, Bytes), DecodeError> {
        let mut r = Reader::new(buf.clone(), 0);
        let header = PacketHeader::read(&mut r)?;
        let length = usize::from(header.packet_length);
        if length < HEADER_LEN || length % 4 != 0 {
            return Err(DecodeError::bad_length(2, length, "packet"));
        }
        if length > buf.len() {
            return Err(DecodeError::truncated(0, length, buf.len()));
        }
        let packet = buf.slice(..length);
        let trailer = buf.slice(length..);
        if verify && header.authentication.computes_checksum() {
            let computed = packet_checksum(&packet);
            if computed != header.checksum {
                return Err(DecodeError::BadChecksum {
                    offset: CHECKSUM_OFFSET,
                    found: header.checksum,
                    computed,
                });
            }
        }
        let mut r = Reader::new(packet.slice(HEADER_LEN..), HEADER_LEN);
        let body = match header.packet_type {
            PacketType::HELLO => PacketBody::Hello(Hello::read(&mut r)?),
            PacketType::DATABASE_DESCRIPTION => {
                PacketBody::DatabaseDescription(DatabaseDescription::read(&mut r)?)
            }
            PacketType::LINK_STATE_REQUEST => {
                PacketBody::LinkStateRequest(LinkStateRequest::read(&mut r)?)
            }
            PacketType::LINK_STATE_UPDATE => {
                PacketBody::LinkStateUpdate(LinkStateUpdate::read(&mut r)?)
            }
            PacketType::LINK_STATE_ACK => PacketBody::LinkStateAck(LinkStateAck::read(&mut r)?),
            PacketType(packet_type) => {
                return Err(DecodeError::UnknownPacketType { offset: 1, packet_type })
            }
        };
        r.finish()?;
        Ok((
            Self {
                router_id: header.router_id,
                area_id: header.area_id,
                authentication: header.authentication,
                body,
            },
            trailer,
        ))
    }

    /// Append the packet: header with length and checksum (zero under
    /// cryptographic authentication, D.4.3), then the body. Never fails; a
    /// body beyond 65535 octets gets a saturated length field (it cannot be
    /// sent in one IP packet anyway, callers split LSUs by MTU).
    pub fn encode(&self, buf: &mut BytesMut) {
        let start = buf.len();
        let header = PacketHeader {
            version: VERSION,
            packet_type: self.body.packet_type(),
            packet_length: 0,
            router_id: self.router_id,
            area_id: self.area_id,
            checksum: 0,
            authentication: self.authentication,
        };
        header.write(buf);
        self.body.write(buf);
        let length = u16::try_from(buf.len() - start).unwrap_or(u16::MAX);
        buf[start + 2..start + 4].copy_from_slice(&length.to_be_bytes());
        if self.authentication.computes_checksum() {
            let ck = packet_checksum(&buf[start..]);
            buf[start + CHECKSUM_OFFSET..start + CHECKSUM_OFFSET + 2]
                .copy_from_slice(&ck.to_be_bytes());
        }
    }

    /// The number of octets [`Packet::encode`] writes.
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN
            + match &self.body {
                PacketBody::Hello(h) => 20 + 4 * h.neighbors.len(),
                PacketBody::DatabaseDescription(d) => 8 + LSA_HEADER_LEN * d.lsa_headers.len(),
                PacketBody::LinkStateRequest(r) => 12 * r.requests.len(),
                PacketBody::LinkStateUpdate(u) => {
                    4 + u.lsas.iter().map(|l| l.raw().len()).sum::<usize>()
                }
                PacketBody::LinkStateAck(a) => LSA_HEADER_LEN * a.lsa_headers.len(),
            }
    }

    /// Encode into a fresh buffer.
    #[must_use]
    pub fn to_bytes(&self) -> BytesMut {
        let mut buf = BytesMut::with_capacity(128);
        self.encode(&mut buf);
        buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hello() -> Packet {
        Packet {
            router_id: RouterId(0x0101_0101),
            area_id: AreaId(0),
            authentication: Authentication::NULL,
            body: PacketBody::Hello(Hello {
                network_mask: Ipv4Addr::new(255, 255, 255, 0),
                hello_interval: 10,
                options: Options::E,
                router_priority: 1,
                router_dead_interval: 40,
                designated_router: Ipv4Addr::new(10, 0, 0, 1),
                backup_designated_router: Ipv4Addr::UNSPECIFIED,
                neighbors: vec![RouterId(0x0202_0202)],
            }),
        }
    }

    #[test]
    fn hello_round_trip_and_checksum() {
        let p = hello();
        let bytes = p.to_bytes().freeze();
        assert_eq!(bytes.len(), 48);
        assert_eq!(Packet::decode(bytes.clone()), Ok(p));
        let mut bad = BytesMut::from(&bytes[..]);
        bad[30] ^= 0xff;
        assert!(matches!(
            Packet::decode(bad.freeze()),
            Err(DecodeError::BadChecksum { offset: 12, .. })
        ));
    }

    #[test]
    fn pack_respects_the_limit() {
        use crate::types::LsSeqNum;
        use crate::v2::lsa::{LsaBody, LsaFields};
        let lsa = |i: u8| {
            LsaBody::Unknown { ls_type: LsType(6), data: Bytes::from(vec![i; 80]) }.to_lsa(
                LsaFields {
                    ls_age: 0,
                    options: Options::E,
                    link_state_id: Ipv4Addr::new(i, 0, 0, 0),
                    advertising_router: RouterId(1),
                    ls_sequence_number: LsSeqNum::INITIAL,
                },
            )
        };
        // 28 octets of header and count, 100 per LSA: two fit in 228.
        let updates = LinkStateUpdate::pack((0..5).map(lsa), 228);
        let counts: Vec<usize> = updates.iter().map(|u| u.lsas.len()).collect();
        assert_eq!(counts, vec![2, 2, 1]);
        for u in updates {
            let p = Packet { body: PacketBody::LinkStateUpdate(u), ..hello() };
            assert!(p.encoded_len() <= 228);
            assert_eq!(p.encoded_len(), p.to_bytes().len());
        }
        assert_eq!(LinkStateUpdate::pack((0..2).map(lsa), 10).len(), 2);
        assert_eq!(hello().encoded_len(), hello().to_bytes().len());
    }

    #[test]
    fn length_beyond_buffer_is_truncated() {
        let bytes = hello().to_bytes();
        let cut = bytes.freeze().slice(..40);
        assert_eq!(
            Packet::decode(cut),
            Err(DecodeError::Truncated { offset: 0, needed: 48, available: 40 })
        );
    }

    #[test]
    fn lsu_count_beyond_data_is_rejected() {
        let p = Packet { body: PacketBody::LinkStateUpdate(LinkStateUpdate::default()), ..hello() };
        let mut b = p.to_bytes();
        b[24..28].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(
            Packet::decode_unverified(b.freeze()).map(|(p, _)| p),
            Err(DecodeError::BadLength {
                offset: 24,
                length: u32::MAX as usize,
                what: "Link State Update # LSAs"
            })
        );
    }

    #[test]
    fn unknown_packet_type() {
        let mut b = hello().to_bytes();
        b[1] = 9;
        assert_eq!(
            Packet::decode_unverified(b.freeze()).map(|(p, _)| p),
            Err(DecodeError::UnknownPacketType { offset: 1, packet_type: 9 })
        );
    }
}
