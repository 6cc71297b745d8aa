//! OSPFv3 packets (RFC 5340 A.3): Hello, Database Description, Link State
//! Request, Link State Update and Link State Acknowledgment.

use std::net::Ipv6Addr;

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::DecodeError;
use crate::reader::Reader;
use crate::types::{AreaId, RouterId};
use crate::v3::codepoints::{DdFlags, LsType, Options, PacketType};
use crate::v3::header::{
    packet_checksum, payload_checksum, set_checksum, PacketHeader, CHECKSUM_OFFSET, HEADER_LEN,
    VERSION,
};
use crate::v3::lsa::Lsa;
use crate::v3::lsa_header::{LsaHeader, LsaKey, LSA_HEADER_LEN};

fn put_u24(buf: &mut BytesMut, v: u32) {
    let [_, a, b, c] = v.to_be_bytes();
    buf.put_slice(&[a, b, c]);
}

/// Hello packet body (RFC 5340 A.3.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Hello {
    /// Interface ID of the sending interface, unique among the router's interfaces.
    pub interface_id: u32,
    /// Router Priority.
    pub router_priority: u8,
    /// Options.
    pub options: Options,
    /// HelloInterval in seconds.
    pub hello_interval: u16,
    /// RouterDeadInterval in seconds (16 bits in OSPFv3).
    pub router_dead_interval: u16,
    /// Designated Router, by Router ID; 0.0.0.0 if none.
    pub designated_router: RouterId,
    /// Backup Designated Router, by Router ID; 0.0.0.0 if none.
    pub backup_designated_router: RouterId,
    /// Router IDs heard on the link within RouterDeadInterval.
    pub neighbors: Vec<RouterId>,
}

impl Hello {
    fn read(r: &mut Reader) -> Result<Self, DecodeError> {
        let interface_id = r.u32()?;
        let router_priority = r.u8()?;
        let options = Options(r.u24()?);
        let hello_interval = r.u16()?;
        let router_dead_interval = r.u16()?;
        let designated_router = RouterId(r.u32()?);
        let backup_designated_router = RouterId(r.u32()?);
        if r.remaining() % 4 != 0 {
            return Err(DecodeError::bad_length(r.offset(), r.remaining(), "Hello neighbor list"));
        }
        let mut neighbors = Vec::with_capacity(r.remaining() / 4);
        while !r.is_empty() {
            neighbors.push(RouterId(r.u32()?));
        }
        Ok(Self {
            interface_id,
            router_priority,
            options,
            hello_interval,
            router_dead_interval,
            designated_router,
            backup_designated_router,
            neighbors,
        })
    }

    fn write(&self, buf: &mut BytesMut) {
        buf.put_u32(self.interface_id);
        buf.put_u8(self.router_priority);
        put_u24(buf, self.options.0);
        buf.put_u16(self.hello_interval);
        buf.put_u16(self.router_dead_interval);
        buf.put_u32(self.designated_router.0);
        buf.put_u32(self.backup_designated_router.0);
        for n in &self.neighbors {
            buf.put_u32(n.0);
        }
    }
}

/// Database Description packet body (RFC 5340 A.3.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DatabaseDescription {
    /// Options.
    pub options: Options,
    /// Interface MTU: the largest IPv6 packet the interface can send unfragmented.
    pub interface_mtu: u16,
    /// I, M and MS bits (the whole octet is kept).
    pub flags: DdFlags,
    /// DD sequence number.
    pub dd_sequence_number: u32,
    /// LSA headers describing the database.
    pub lsa_headers: Vec<LsaHeader>,
}

impl DatabaseDescription {
    fn read(r: &mut Reader) -> Result<Self, DecodeError> {
        let _reserved = r.u8()?;
        let options = Options(r.u24()?);
        let interface_mtu = r.u16()?;
        let _reserved = r.u8()?;
        let flags = DdFlags(r.u8()?);
        let dd_sequence_number = r.u32()?;
        let lsa_headers = read_lsa_headers(r, "Database Description LSA headers")?;
        Ok(Self { options, interface_mtu, flags, dd_sequence_number, lsa_headers })
    }

    fn write(&self, buf: &mut BytesMut) {
        buf.put_u8(0);
        put_u24(buf, self.options.0);
        buf.put_u16(self.interface_mtu);
        buf.put_u8(0);
        buf.put_u8(self.flags.0);
        buf.put_u32(self.dd_sequence_number);
        for h in &self.lsa_headers {
            h.encode(buf);
        }
    }
}

/// Link State Request packet body (RFC 5340 A.3.4).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct LinkStateRequest {
    /// The requested LSAs; on the wire LS type is preceded by 16 zero bits.
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
            let ls_type = u16::try_from(ls_type)
                .map_err(|_| DecodeError::BadLsType { offset: type_offset, ls_type })?;
            requests.push(LsaKey {
                ls_type: LsType(ls_type),
                link_state_id: r.u32()?,
                advertising_router: RouterId(r.u32()?),
            });
        }
        Ok(Self { requests })
    }

    fn write(&self, buf: &mut BytesMut) {
        for k in &self.requests {
            buf.put_u32(k.ls_type.0.into());
            buf.put_u32(k.link_state_id);
            buf.put_u32(k.advertising_router.0);
        }
    }
}

/// Link State Update packet body (RFC 5340 A.3.5).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct LinkStateUpdate {
    /// The LSAs (# LSAs is their count).
    pub lsas: Vec<Lsa>,
}

impl LinkStateUpdate {
    /// Pack LSAs, in order, into as few updates as keep each packet within
    /// `max_packet_len` octets (OSPFv3 header included; leave room for an
    /// authentication trailer and the IPv6 header yourself). An LSA too
    /// large for the limit travels alone.
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
        buf.put_u32(u32::try_from(self.lsas.len()).unwrap_or(u32::MAX));
        for l in &self.lsas {
            l.encode(buf);
        }
    }
}

/// Link State Acknowledgment packet body (RFC 5340 A.3.6).
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

/// The body of an OSPFv3 packet, one variant per packet type.
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

/// An OSPFv3 packet. Version, type, length and checksum follow from the
/// contents and the IPv6 addresses and are computed when encoding.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Packet {
    /// Router ID of the source.
    pub router_id: RouterId,
    /// Area ID.
    pub area_id: AreaId,
    /// Instance ID.
    pub instance_id: u8,
    /// The packet body.
    pub body: PacketBody,
}

impl Packet {
    /// Decode an OSPFv3 packet from the IPv6 payload `buf` sent from
    /// `source` to `destination`, verifying the checksum: over the packet
    /// as RFC 5340 A.3.1 defines it or, when octets follow the packet, over
    /// the whole payload as `IPV6_CHECKSUM` computes it. Octets after the
    /// packet length (LLS data, an authentication trailer) are ignored; see
    /// [`Packet::decode_with_trailer`].
    ///
    /// # Errors
    /// Any structural error, or `BadChecksum`.
    pub fn decode(
        buf: Bytes,
        source: Ipv6Addr,
        destination: Ipv6Addr,
    ) -> Result<Self, DecodeError> {
        Self::decode_with_trailer(buf, source, destination).map(|(p, _)| p)
    }

    /// Like [`Packet::decode`], also returning the octets after the packet
    /// length (see [`crate::v3::auth_trailer::Trailer::decode`]).
    ///
    /// # Errors
    /// Any structural error, or `BadChecksum`.
    pub fn decode_with_trailer(
        buf: Bytes,
        source: Ipv6Addr,
        destination: Ipv6Addr,
    ) -> Result<(Self, Bytes), DecodeError> {
        Self::decode_inner(buf, Some((source, destination)))
    }

    /// Decode without checking the checksum (fuzzing, or when the kernel
    /// verified it: a raw socket with `IPV6_CHECKSUM` drops bad packets).
    ///
    /// # Errors
    /// Any structural error.
    pub fn decode_unverified(buf: Bytes) -> Result<(Self, Bytes), DecodeError> {
        Self::decode_inner(buf, None)
    }

    fn decode_inner(
        buf: Bytes,
        addresses: Option<(Ipv6Addr, Ipv6Addr)>,
    ) -> Result<(Self, Bytes), DecodeError> {
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
        if let Some((source, destination)) = addresses {
            let computed = packet_checksum(source, destination, &packet);
            // With LLS data or a trailer after the packet, a sender that
            // left the checksum to the kernel covered the whole payload;
            // FRR 8.4 sends packets with an authentication trailer with the
            // field zero, the trailer's digest protecting them instead.
            let whole = || {
                !trailer.is_empty()
                    && (header.checksum == 0
                        || payload_checksum(source, destination, &buf) == header.checksum)
            };
            if computed != header.checksum && !whole() {
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
                instance_id: header.instance_id,
                body,
            },
            trailer,
        ))
    }

    /// The Options of a Hello or Database Description packet, whose L and
    /// AT bits say whether LLS data and an authentication trailer follow.
    /// The other packet types carry no Options: the receiver goes by what
    /// the neighbour's last Hello or DD said (RFC 7166 §2.1).
    #[must_use]
    pub fn options(&self) -> Option<Options> {
        match &self.body {
            PacketBody::Hello(h) => Some(h.options),
            PacketBody::DatabaseDescription(d) => Some(d.options),
            _ => None,
        }
    }

    /// Append the packet with a zero checksum, for a raw socket where the
    /// kernel fills it in (`IPV6_CHECKSUM` at offset [`CHECKSUM_OFFSET`]).
    /// Never fails; a body beyond 65535 octets gets a saturated length field.
    pub fn encode(&self, buf: &mut BytesMut) {
        let start = buf.len();
        let header = PacketHeader {
            version: VERSION,
            packet_type: self.body.packet_type(),
            packet_length: 0,
            router_id: self.router_id,
            area_id: self.area_id,
            checksum: 0,
            instance_id: self.instance_id,
            reserved: 0,
        };
        header.write(buf);
        self.body.write(buf);
        let length = u16::try_from(buf.len() - start).unwrap_or(u16::MAX);
        buf[start + 2..start + 4].copy_from_slice(&length.to_be_bytes());
    }

    /// Append the packet with its checksum computed for `source` and `destination`.
    pub fn encode_with_checksum(
        &self,
        buf: &mut BytesMut,
        source: Ipv6Addr,
        destination: Ipv6Addr,
    ) {
        let start = buf.len();
        self.encode(buf);
        set_checksum(source, destination, &mut buf[start..]);
    }

    /// The number of octets [`Packet::encode`] writes.
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN
            + match &self.body {
                PacketBody::Hello(h) => 20 + 4 * h.neighbors.len(),
                PacketBody::DatabaseDescription(d) => 12 + LSA_HEADER_LEN * d.lsa_headers.len(),
                PacketBody::LinkStateRequest(r) => 12 * r.requests.len(),
                PacketBody::LinkStateUpdate(u) => {
                    4 + u.lsas.iter().map(|l| l.raw().len()).sum::<usize>()
                }
                PacketBody::LinkStateAck(a) => LSA_HEADER_LEN * a.lsa_headers.len(),
            }
    }

    /// Encode into a fresh buffer with the checksum for `source` and `destination`.
    #[must_use]
    pub fn to_bytes(&self, source: Ipv6Addr, destination: Ipv6Addr) -> BytesMut {
        let mut buf = BytesMut::with_capacity(self.encoded_len());
        self.encode_with_checksum(&mut buf, source, destination);
        buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::LsSeqNum;
    use crate::v3::lsa::{LsaBody, LsaFields};

    const SRC: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);
    const DST: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 5);

    fn hello() -> Packet {
        Packet {
            router_id: RouterId(0x0101_0101),
            area_id: AreaId(0),
            instance_id: 0,
            body: PacketBody::Hello(Hello {
                interface_id: 3,
                router_priority: 1,
                options: Options::V6 | Options::E | Options::R,
                hello_interval: 10,
                router_dead_interval: 40,
                designated_router: RouterId(0x0101_0101),
                backup_designated_router: RouterId(0),
                neighbors: vec![RouterId(0x0202_0202)],
            }),
        }
    }

    #[test]
    fn hello_round_trip_and_checksum() {
        let p = hello();
        let bytes = p.to_bytes(SRC, DST).freeze();
        assert_eq!(bytes.len(), 40);
        assert_eq!(p.encoded_len(), 40);
        assert_eq!(Packet::decode(bytes.clone(), SRC, DST), Ok(p.clone()));
        assert!(matches!(
            Packet::decode(bytes.clone(), SRC, SRC),
            Err(DecodeError::BadChecksum { offset: 12, .. })
        ));
        let mut bad = BytesMut::from(&bytes[..]);
        bad[30] ^= 0xff;
        assert!(matches!(
            Packet::decode(bad.freeze(), SRC, DST),
            Err(DecodeError::BadChecksum { offset: 12, .. })
        ));
        let mut zero = BytesMut::new();
        p.encode(&mut zero);
        assert_eq!(&zero[12..14], &[0, 0]);
        assert_eq!(Packet::decode_unverified(zero.freeze()).map(|(q, _)| q), Ok(p));
    }

    #[test]
    fn a_zero_checksum_passes_only_with_octets_after_the_packet() {
        let p = hello();
        let mut zero = BytesMut::new();
        p.encode(&mut zero);
        assert!(matches!(
            Packet::decode(zero.clone().freeze(), SRC, DST),
            Err(DecodeError::BadChecksum { found: 0, .. })
        ));
        // As FRR 8.4 and Cisco IOSv send a packet with a trailer.
        zero.put_slice(&[0, 1, 0, 48]);
        assert_eq!(Packet::decode(zero.freeze(), SRC, DST), Ok(p));
    }

    #[test]
    fn trailer_octets_are_returned() {
        let mut b = hello().to_bytes(SRC, DST);
        b.put_slice(&[0, 0, 0, 1]);
        let (_, trailer) = Packet::decode_with_trailer(b.freeze(), SRC, DST).unwrap_or_else(|e| {
            panic!("{e}");
        });
        assert_eq!(&trailer[..], &[0, 0, 0, 1]);
    }

    #[test]
    fn pack_and_lengths() {
        let lsa = |i: u32| {
            LsaBody::Unknown { ls_type: LsType(0x2020), data: Bytes::from(vec![0; 80]) }.to_lsa(
                LsaFields {
                    ls_age: 0,
                    link_state_id: i,
                    advertising_router: RouterId(1),
                    ls_sequence_number: LsSeqNum::INITIAL,
                },
            )
        };
        // 20 octets of header and count, 100 per LSA: two fit in 220.
        let updates = LinkStateUpdate::pack((0..5).map(lsa), 220);
        let counts: Vec<usize> = updates.iter().map(|u| u.lsas.len()).collect();
        assert_eq!(counts, vec![2, 2, 1]);
        for u in updates {
            let p = Packet { body: PacketBody::LinkStateUpdate(u), ..hello() };
            assert!(p.encoded_len() <= 220);
            assert_eq!(p.encoded_len(), p.to_bytes(SRC, DST).len());
            let b = p.to_bytes(SRC, DST).freeze();
            assert_eq!(Packet::decode(b, SRC, DST), Ok(p));
        }
    }

    #[test]
    fn structural_errors() {
        let b = hello().to_bytes(SRC, DST).freeze();
        assert_eq!(
            Packet::decode(b.slice(..36), SRC, DST),
            Err(DecodeError::Truncated { offset: 0, needed: 40, available: 36 })
        );
        let mut t = BytesMut::from(&b[..]);
        t[1] = 9;
        assert_eq!(
            Packet::decode_unverified(t.freeze()).map(|(p, _)| p),
            Err(DecodeError::UnknownPacketType { offset: 1, packet_type: 9 })
        );
        let p = Packet { body: PacketBody::LinkStateUpdate(LinkStateUpdate::default()), ..hello() };
        let mut u = p.to_bytes(SRC, DST);
        u[16..20].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(
            Packet::decode_unverified(u.freeze()).map(|(p, _)| p),
            Err(DecodeError::BadLength {
                offset: 16,
                length: u32::MAX as usize,
                what: "Link State Update # LSAs"
            })
        );
        let p = Packet {
            body: PacketBody::LinkStateRequest(LinkStateRequest {
                requests: vec![LsaKey {
                    ls_type: LsType::ROUTER,
                    link_state_id: 0,
                    advertising_router: RouterId(1),
                }],
            }),
            ..hello()
        };
        let mut q = p.to_bytes(SRC, DST);
        q[16] = 1;
        assert_eq!(
            Packet::decode_unverified(q.freeze()).map(|(p, _)| p),
            Err(DecodeError::BadLsType { offset: 16, ls_type: 0x0100_2001 })
        );
    }
}
