//! Typed OSPFv3 LSA bodies (RFC 5340 A.4.3 to A.4.10, RFC 3101 for NSSA).
//!
//! Fields marked 0 in the RFC's figures are ignored on receipt and sent as
//! zero; the [`crate::v3::Lsa`] that carries a body keeps the octets it was
//! decoded from, so an LSA is always flooded unchanged.

use std::net::Ipv6Addr;

use bytes::{BufMut, BytesMut};

use crate::error::DecodeError;
use crate::reader::Reader;
use crate::types::RouterId;
use crate::v3::codepoints::{LsType, Options, PrefixOptions, RouterFlags, RouterLinkType};
use crate::v3::prefix::{read_entry, write_entry, Ipv6Prefix};

/// Smallest prefix entry: PrefixLength, PrefixOptions, 16 bits, no words.
const MIN_PREFIX_ENTRY: usize = 4;

fn put_u24(buf: &mut BytesMut, v: u32) {
    let [_, a, b, c] = v.to_be_bytes();
    buf.put_slice(&[a, b, c]);
}

/// An octet and a 24-bit Options field, the first word of several bodies.
fn read_octet_options(r: &mut Reader) -> Result<(u8, Options), DecodeError> {
    let octet = r.u8()?;
    Ok((octet, Options(r.u24()?)))
}

fn put_octet_options(buf: &mut BytesMut, octet: u8, options: Options) {
    buf.put_u8(octet);
    put_u24(buf, options.0);
}

/// One interface of a router-LSA (RFC 5340 A.4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RouterInterface {
    /// Type: point-to-point, transit or virtual link.
    pub link_type: RouterLinkType,
    /// The cost of using this interface.
    pub metric: u16,
    /// Interface ID of the originator's interface.
    pub interface_id: u32,
    /// The neighbour's Interface ID (the DR's for a transit network).
    pub neighbor_interface_id: u32,
    /// The neighbour's Router ID (the DR's for a transit network).
    pub neighbor_router_id: RouterId,
}

/// Router-LSA body (LS type 0x2001, RFC 5340 A.4.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct RouterLsa {
    /// Nt, V, E and B bits.
    pub flags: RouterFlags,
    /// Options.
    pub options: Options,
    /// The router's interfaces to the area, 16 octets each.
    pub interfaces: Vec<RouterInterface>,
}

impl RouterLsa {
    pub(crate) fn read(r: &mut Reader) -> Result<Self, DecodeError> {
        let (flags, options) = read_octet_options(r)?;
        if r.remaining() % 16 != 0 {
            return Err(DecodeError::bad_length(
                r.offset(),
                r.remaining(),
                "router-LSA interfaces",
            ));
        }
        let mut interfaces = Vec::with_capacity(r.remaining() / 16);
        while !r.is_empty() {
            let link_type = RouterLinkType(r.u8()?);
            let _reserved = r.u8()?;
            interfaces.push(RouterInterface {
                link_type,
                metric: r.u16()?,
                interface_id: r.u32()?,
                neighbor_interface_id: r.u32()?,
                neighbor_router_id: RouterId(r.u32()?),
            });
        }
        Ok(Self { flags: RouterFlags(flags), options, interfaces })
    }

    /// Append the body.
    pub fn encode(&self, buf: &mut BytesMut) {
        put_octet_options(buf, self.flags.0, self.options);
        for i in &self.interfaces {
            buf.put_u8(i.link_type.0);
            buf.put_u8(0);
            buf.put_u16(i.metric);
            buf.put_u32(i.interface_id);
            buf.put_u32(i.neighbor_interface_id);
            buf.put_u32(i.neighbor_router_id.0);
        }
    }
}

/// Network-LSA body (LS type 0x2002, RFC 5340 A.4.4).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct NetworkLsa {
    /// The union of the Options of the link-LSAs of the attached routers.
    pub options: Options,
    /// Attached Router: the routers fully adjacent to the DR, and the DR.
    pub attached_routers: Vec<RouterId>,
}

impl NetworkLsa {
    pub(crate) fn read(r: &mut Reader) -> Result<Self, DecodeError> {
        let (_, options) = read_octet_options(r)?;
        if r.remaining() % 4 != 0 {
            return Err(DecodeError::bad_length(
                r.offset(),
                r.remaining(),
                "network-LSA attached routers",
            ));
        }
        let mut attached_routers = Vec::with_capacity(r.remaining() / 4);
        while !r.is_empty() {
            attached_routers.push(RouterId(r.u32()?));
        }
        Ok(Self { options, attached_routers })
    }

    /// Append the body.
    pub fn encode(&self, buf: &mut BytesMut) {
        put_octet_options(buf, 0, self.options);
        for rid in &self.attached_routers {
            buf.put_u32(rid.0);
        }
    }
}

/// A prefix with its PrefixOptions, as in inter-area-prefix-LSAs and
/// link-LSAs (where the 16 bits after PrefixOptions are zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PrefixEntry {
    /// The prefix.
    pub prefix: Ipv6Prefix,
    /// PrefixOptions.
    pub options: PrefixOptions,
}

/// Inter-area-prefix-LSA body (LS type 0x2003, RFC 5340 A.4.5), the
/// OSPFv3 counterpart of the type 3 summary-LSA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InterAreaPrefixLsa {
    /// 24-bit cost to the prefix; LSInfinity means unreachable.
    pub metric: u32,
    /// The prefix.
    pub prefix: PrefixEntry,
}

impl InterAreaPrefixLsa {
    pub(crate) fn read(r: &mut Reader) -> Result<Self, DecodeError> {
        let _reserved = r.u8()?;
        let metric = r.u24()?;
        let (prefix, options, _) = read_entry(r)?;
        r.finish()?;
        Ok(Self { metric, prefix: PrefixEntry { prefix, options } })
    }

    /// Append the body; the metric is masked to 24 bits.
    pub fn encode(&self, buf: &mut BytesMut) {
        buf.put_u8(0);
        put_u24(buf, self.metric);
        write_entry(buf, &self.prefix.prefix, self.prefix.options, 0);
    }
}

/// Inter-area-router-LSA body (LS type 0x2004, RFC 5340 A.4.6), the
/// OSPFv3 counterpart of the type 4 summary-LSA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InterAreaRouterLsa {
    /// The Options of the destination router's router-LSA.
    pub options: Options,
    /// 24-bit cost to the router.
    pub metric: u32,
    /// Router ID of the AS boundary router described.
    pub destination_router_id: RouterId,
}

impl InterAreaRouterLsa {
    pub(crate) fn read(r: &mut Reader) -> Result<Self, DecodeError> {
        let (_, options) = read_octet_options(r)?;
        let _reserved = r.u8()?;
        let metric = r.u24()?;
        let destination_router_id = RouterId(r.u32()?);
        r.finish()?;
        Ok(Self { options, metric, destination_router_id })
    }

    /// Append the body; the metric is masked to 24 bits.
    pub fn encode(&self, buf: &mut BytesMut) {
        put_octet_options(buf, 0, self.options);
        buf.put_u8(0);
        put_u24(buf, self.metric);
        buf.put_u32(self.destination_router_id.0);
    }
}

/// AS-external-LSA body (LS type 0x4005, RFC 5340 A.4.7); the NSSA-LSA
/// (0x2007, A.4.8) has the same format.
///
/// ```text
/// |           |E|F|T|                Metric                       |
/// | PrefixLength | PrefixOptions |     Referenced LS Type         |
/// |                 Address Prefix                                |
/// |                Forwarding Address (optional, F)               |
/// |              External Route Tag (optional, T)                 |
/// |               Referenced Link State ID (optional)             |
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AsExternalLsa {
    /// E-bit: the metric is a type 2 external metric.
    pub e_bit: bool,
    /// 24-bit metric.
    pub metric: u32,
    /// The prefix.
    pub prefix: PrefixEntry,
    /// Forwarding address, sent when present (F-bit).
    pub forwarding_address: Option<Ipv6Addr>,
    /// External Route Tag, sent when present (T-bit).
    pub external_route_tag: Option<u32>,
    /// Referenced LS Type and Referenced Link State ID: "if non-zero, an
    /// LSA with this LS type is to be associated with this LSA". A
    /// referenced LS type of zero means none and is sent without an ID.
    pub referenced: Option<(LsType, u32)>,
}

impl AsExternalLsa {
    /// E-bit in the first octet.
    const E: u8 = 0x04;
    /// F-bit: a forwarding address is included.
    const F: u8 = 0x02;
    /// T-bit: an external route tag is included.
    const T: u8 = 0x01;

    pub(crate) fn read(r: &mut Reader) -> Result<Self, DecodeError> {
        let bits = r.u8()?;
        let metric = r.u24()?;
        let (prefix, options, referenced_ls_type) = read_entry(r)?;
        let forwarding_address = if bits & Self::F != 0 { Some(r.ipv6()?) } else { None };
        let external_route_tag = if bits & Self::T != 0 { Some(r.u32()?) } else { None };
        let referenced = if referenced_ls_type != 0 {
            Some((LsType(referenced_ls_type), r.u32()?))
        } else {
            None
        };
        r.finish()?;
        Ok(Self {
            e_bit: bits & Self::E != 0,
            metric,
            prefix: PrefixEntry { prefix, options },
            forwarding_address,
            external_route_tag,
            referenced,
        })
    }

    /// Append the body; the metric is masked to 24 bits.
    pub fn encode(&self, buf: &mut BytesMut) {
        let mut bits = 0;
        if self.e_bit {
            bits |= Self::E;
        }
        if self.forwarding_address.is_some() {
            bits |= Self::F;
        }
        if self.external_route_tag.is_some() {
            bits |= Self::T;
        }
        buf.put_u8(bits);
        put_u24(buf, self.metric);
        let referenced = self.referenced.filter(|(t, _)| t.0 != 0);
        let ref_type = referenced.map_or(0, |(t, _)| t.0);
        write_entry(buf, &self.prefix.prefix, self.prefix.options, ref_type);
        if let Some(a) = self.forwarding_address {
            buf.put_slice(&a.octets());
        }
        if let Some(t) = self.external_route_tag {
            buf.put_u32(t);
        }
        if let Some((_, id)) = referenced {
            buf.put_u32(id);
        }
    }
}

/// Link-LSA body (LS type 0x0008, RFC 5340 A.4.9).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LinkLsa {
    /// Router Priority of the interface.
    pub router_priority: u8,
    /// Options to be set in the network-LSA.
    pub options: Options,
    /// The originator's link-local address on the link.
    pub link_local_address: Ipv6Addr,
    /// IPv6 prefixes of the link (# prefixes is 32 bits).
    pub prefixes: Vec<PrefixEntry>,
}

impl LinkLsa {
    pub(crate) fn read(r: &mut Reader) -> Result<Self, DecodeError> {
        let (router_priority, options) = read_octet_options(r)?;
        let link_local_address = r.ipv6()?;
        let count_offset = r.offset();
        let count = r.u32()?;
        let prefixes = read_prefixes(r, count_offset, count as usize, "link-LSA # prefixes")?
            .into_iter()
            .map(|(prefix, options, _)| PrefixEntry { prefix, options })
            .collect();
        Ok(Self { router_priority, options, link_local_address, prefixes })
    }

    /// Append the body.
    pub fn encode(&self, buf: &mut BytesMut) {
        put_octet_options(buf, self.router_priority, self.options);
        buf.put_slice(&self.link_local_address.octets());
        buf.put_u32(u32::try_from(self.prefixes.len()).unwrap_or(u32::MAX));
        for p in &self.prefixes {
            write_entry(buf, &p.prefix, p.options, 0);
        }
    }
}

/// A prefix of an intra-area-prefix-LSA, with its metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IntraAreaPrefix {
    /// The prefix.
    pub prefix: Ipv6Prefix,
    /// PrefixOptions.
    pub options: PrefixOptions,
    /// Cost of the prefix.
    pub metric: u16,
}

/// Intra-area-prefix-LSA body (LS type 0x2009, RFC 5340 A.4.10).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IntraAreaPrefixLsa {
    /// LS type of the router- or network-LSA the prefixes belong to.
    pub referenced_ls_type: LsType,
    /// Its Link State ID (0 for a router-LSA, the DR's Interface ID for a
    /// network-LSA).
    pub referenced_link_state_id: u32,
    /// Its Advertising Router.
    pub referenced_advertising_router: RouterId,
    /// The prefixes (# prefixes is 16 bits; at most 65535 are encoded).
    pub prefixes: Vec<IntraAreaPrefix>,
}

impl IntraAreaPrefixLsa {
    pub(crate) fn read(r: &mut Reader) -> Result<Self, DecodeError> {
        let count_offset = r.offset();
        let count = r.u16()?;
        let referenced_ls_type = LsType(r.u16()?);
        let referenced_link_state_id = r.u32()?;
        let referenced_advertising_router = RouterId(r.u32()?);
        let prefixes =
            read_prefixes(r, count_offset, count.into(), "intra-area-prefix-LSA # prefixes")?
                .into_iter()
                .map(|(prefix, options, metric)| IntraAreaPrefix { prefix, options, metric })
                .collect();
        Ok(Self {
            referenced_ls_type,
            referenced_link_state_id,
            referenced_advertising_router,
            prefixes,
        })
    }

    /// Append the body.
    pub fn encode(&self, buf: &mut BytesMut) {
        let prefixes = &self.prefixes[..self.prefixes.len().min(usize::from(u16::MAX))];
        buf.put_u16(prefixes.len() as u16);
        buf.put_u16(self.referenced_ls_type.0);
        buf.put_u32(self.referenced_link_state_id);
        buf.put_u32(self.referenced_advertising_router.0);
        for p in prefixes {
            write_entry(buf, &p.prefix, p.options, p.metric);
        }
    }
}

/// Read exactly `count` prefix entries filling the rest of the body.
fn read_prefixes(
    r: &mut Reader,
    count_offset: usize,
    count: usize,
    what: &'static str,
) -> Result<Vec<(Ipv6Prefix, PrefixOptions, u16)>, DecodeError> {
    // Never allocate beyond what the data can back.
    if count.saturating_mul(MIN_PREFIX_ENTRY) > r.remaining() {
        return Err(DecodeError::bad_length(count_offset, count, what));
    }
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        out.push(read_entry(r)?);
    }
    r.finish()?;
    Ok(out)
}
