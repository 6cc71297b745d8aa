//! Typed OSPFv2 LSA bodies (RFC 2328 A.4.2 to A.4.5, RFC 3101 §2.3).
//!
//! Every body type keeps all fields it carries on the wire (TOS metrics
//! included), so `decode(encode(x)) == x`.

use std::net::Ipv4Addr;

use bytes::{BufMut, BytesMut};

use crate::error::DecodeError;
use crate::reader::Reader;
use crate::types::RouterId;
use crate::v2::codepoints::{RouterFlags, RouterLinkType};

/// A TOS-specific metric of a router-LSA link (RFC 2328 A.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RouterTosMetric {
    /// IP Type of Service (RFC 2328 §12.3 encoding).
    pub tos: u8,
    /// The octet after TOS, zero on transmission; kept for a faithful round trip.
    pub reserved: u8,
    /// TOS-specific metric.
    pub metric: u16,
}

/// One link of a router-LSA (RFC 2328 A.4.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RouterLink {
    /// Link ID; its meaning depends on the link type (§12.4.1).
    pub link_id: Ipv4Addr,
    /// Link Data: interface address, ifIndex or network mask.
    pub link_data: Ipv4Addr,
    /// Link type, 1 to 4.
    pub link_type: RouterLinkType,
    /// TOS 0 metric, the cost of using this link.
    pub metric: u16,
    /// Additional TOS metrics (# TOS is their count).
    pub tos_metrics: Vec<RouterTosMetric>,
}

/// Router-LSA body (LS type 1, RFC 2328 A.4.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct RouterLsa {
    /// V, E, B (and Nt, W) bits.
    pub flags: RouterFlags,
    /// The octet after the flags, zero on transmission.
    pub reserved: u8,
    /// The links.
    pub links: Vec<RouterLink>,
}

impl RouterLsa {
    pub(crate) fn read(r: &mut Reader) -> Result<Self, DecodeError> {
        let flags = RouterFlags(r.u8()?);
        let reserved = r.u8()?;
        let count_offset = r.offset();
        let count = r.u16()?;
        // Each link is at least 12 octets: never allocate beyond what is backed.
        if usize::from(count) * 12 > r.remaining() {
            return Err(DecodeError::bad_length(count_offset, count.into(), "router-LSA # links"));
        }
        let mut links = Vec::with_capacity(count.into());
        for _ in 0..count {
            let link_id = r.ipv4()?;
            let link_data = r.ipv4()?;
            let link_type = RouterLinkType(r.u8()?);
            let tos_count = r.u8()?;
            let metric = r.u16()?;
            if usize::from(tos_count) * 4 > r.remaining() {
                return Err(DecodeError::truncated(
                    r.offset(),
                    usize::from(tos_count) * 4,
                    r.remaining(),
                ));
            }
            let mut tos_metrics = Vec::with_capacity(tos_count.into());
            for _ in 0..tos_count {
                tos_metrics.push(RouterTosMetric {
                    tos: r.u8()?,
                    reserved: r.u8()?,
                    metric: r.u16()?,
                });
            }
            links.push(RouterLink { link_id, link_data, link_type, metric, tos_metrics });
        }
        r.finish()?;
        Ok(Self { flags, reserved, links })
    }

    /// Append the body. Link and TOS counts above 65535 and 255 are
    /// truncated to those limits (a router-LSA cannot hold more).
    pub fn encode(&self, buf: &mut BytesMut) {
        buf.put_u8(self.flags.0);
        buf.put_u8(self.reserved);
        let links = &self.links[..self.links.len().min(usize::from(u16::MAX))];
        buf.put_u16(links.len() as u16);
        for l in links {
            buf.put_slice(&l.link_id.octets());
            buf.put_slice(&l.link_data.octets());
            buf.put_u8(l.link_type.0);
            let tos = &l.tos_metrics[..l.tos_metrics.len().min(usize::from(u8::MAX))];
            buf.put_u8(tos.len() as u8);
            buf.put_u16(l.metric);
            for t in tos {
                buf.put_u8(t.tos);
                buf.put_u8(t.reserved);
                buf.put_u16(t.metric);
            }
        }
    }
}

/// Network-LSA body (LS type 2, RFC 2328 A.4.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NetworkLsa {
    /// Network Mask.
    pub network_mask: Ipv4Addr,
    /// Attached Router: the routers fully adjacent to the DR, and the DR.
    pub attached_routers: Vec<RouterId>,
}

impl NetworkLsa {
    pub(crate) fn read(r: &mut Reader) -> Result<Self, DecodeError> {
        let network_mask = r.ipv4()?;
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
        Ok(Self { network_mask, attached_routers })
    }

    /// Append the body.
    pub fn encode(&self, buf: &mut BytesMut) {
        buf.put_slice(&self.network_mask.octets());
        for rid in &self.attached_routers {
            buf.put_u32(rid.0);
        }
    }
}

/// A TOS-specific metric of a summary-LSA (RFC 2328 A.4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SummaryTosMetric {
    /// IP Type of Service.
    pub tos: u8,
    /// 24-bit TOS metric.
    pub metric: u32,
}

/// Summary-LSA body (LS types 3 and 4, RFC 2328 A.4.4).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SummaryLsa {
    /// Network Mask (0 for type 4).
    pub network_mask: Ipv4Addr,
    /// The octet before the metric, zero (TOS 0).
    pub tos0: u8,
    /// 24-bit metric; LSInfinity means unreachable.
    pub metric: u32,
    /// Additional TOS metrics.
    pub tos_metrics: Vec<SummaryTosMetric>,
}

impl SummaryLsa {
    pub(crate) fn read(r: &mut Reader) -> Result<Self, DecodeError> {
        let network_mask = r.ipv4()?;
        let tos0 = r.u8()?;
        let metric = r.u24()?;
        if r.remaining() % 4 != 0 {
            return Err(DecodeError::bad_length(
                r.offset(),
                r.remaining(),
                "summary-LSA TOS metrics",
            ));
        }
        let mut tos_metrics = Vec::with_capacity(r.remaining() / 4);
        while !r.is_empty() {
            tos_metrics.push(SummaryTosMetric { tos: r.u8()?, metric: r.u24()? });
        }
        Ok(Self { network_mask, tos0, metric, tos_metrics })
    }

    /// Append the body; metrics are masked to 24 bits.
    pub fn encode(&self, buf: &mut BytesMut) {
        buf.put_slice(&self.network_mask.octets());
        buf.put_u8(self.tos0);
        put_u24(buf, self.metric);
        for t in &self.tos_metrics {
            buf.put_u8(t.tos);
            put_u24(buf, t.metric);
        }
    }
}

/// A TOS entry of an AS-external-LSA (RFC 2328 A.4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExternalTosMetric {
    /// E-bit: type 2 external metric.
    pub e_bit: bool,
    /// 7-bit TOS.
    pub tos: u8,
    /// 24-bit metric.
    pub metric: u32,
    /// Forwarding address.
    pub forwarding_address: Ipv4Addr,
    /// External Route Tag.
    pub external_route_tag: u32,
}

/// AS-external-LSA body (LS type 5, RFC 2328 A.4.5); the NSSA-LSA (type 7,
/// RFC 3101 §2.3) has the same format.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AsExternalLsa {
    /// Network Mask.
    pub network_mask: Ipv4Addr,
    /// E-bit: the metric is a type 2 external metric.
    pub e_bit: bool,
    /// The 7 bits after E (TOS 0 on transmission).
    pub tos0: u8,
    /// 24-bit metric.
    pub metric: u32,
    /// Forwarding address, 0.0.0.0 for "via the originator".
    pub forwarding_address: Ipv4Addr,
    /// External Route Tag.
    pub external_route_tag: u32,
    /// Additional TOS entries.
    pub tos_metrics: Vec<ExternalTosMetric>,
}

impl AsExternalLsa {
    pub(crate) fn read(r: &mut Reader) -> Result<Self, DecodeError> {
        let network_mask = r.ipv4()?;
        let (e_bit, tos0, metric, forwarding_address, external_route_tag) = read_ext_entry(r)?;
        if r.remaining() % 12 != 0 {
            return Err(DecodeError::bad_length(
                r.offset(),
                r.remaining(),
                "AS-external-LSA TOS entries",
            ));
        }
        let mut tos_metrics = Vec::with_capacity(r.remaining() / 12);
        while !r.is_empty() {
            let (e_bit, tos, metric, forwarding_address, external_route_tag) = read_ext_entry(r)?;
            tos_metrics.push(ExternalTosMetric {
                e_bit,
                tos,
                metric,
                forwarding_address,
                external_route_tag,
            });
        }
        Ok(Self {
            network_mask,
            e_bit,
            tos0,
            metric,
            forwarding_address,
            external_route_tag,
            tos_metrics,
        })
    }

    /// Append the body; TOS values are masked to 7 bits, metrics to 24.
    pub fn encode(&self, buf: &mut BytesMut) {
        buf.put_slice(&self.network_mask.octets());
        put_ext_entry(
            buf,
            self.e_bit,
            self.tos0,
            self.metric,
            self.forwarding_address,
            self.external_route_tag,
        );
        for t in &self.tos_metrics {
            put_ext_entry(
                buf,
                t.e_bit,
                t.tos,
                t.metric,
                t.forwarding_address,
                t.external_route_tag,
            );
        }
    }
}

fn read_ext_entry(r: &mut Reader) -> Result<(bool, u8, u32, Ipv4Addr, u32), DecodeError> {
    let e_tos = r.u8()?;
    let metric = r.u24()?;
    let fwd = r.ipv4()?;
    let tag = r.u32()?;
    Ok((e_tos & 0x80 != 0, e_tos & 0x7f, metric, fwd, tag))
}

fn put_ext_entry(buf: &mut BytesMut, e: bool, tos: u8, metric: u32, fwd: Ipv4Addr, tag: u32) {
    buf.put_u8(if e { 0x80 } else { 0 } | (tos & 0x7f));
    put_u24(buf, metric);
    buf.put_slice(&fwd.octets());
    buf.put_u32(tag);
}

fn put_u24(buf: &mut BytesMut, v: u32) {
    let [_, a, b, c] = v.to_be_bytes();
    buf.put_slice(&[a, b, c]);
}
