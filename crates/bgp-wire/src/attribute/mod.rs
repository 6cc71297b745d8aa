//! Path attributes (RFC 4271 §4.3, §5 and the RFCs that add attributes).
//!
//! Two representations:
//! - [`Attributes`]: a validated view over the attribute octets of a received UPDATE, with an
//!   index of where each known attribute is. Decoding it does not allocate per attribute.
//! - [`PathAttribute`] / [`Attribute`]: owned, typed values for building messages. A decoded
//!   attribute keeps the flags it was received with, so that re-encoding reproduces the input.

use core::net::Ipv4Addr;

use bytes::{Bytes, BytesMut};

use crate::context::Context;
use crate::error::Reason;
use crate::types::Asn;

pub mod as4;
pub mod as_path;
pub mod community;
pub mod mp;
pub mod rfc7606;
pub mod set;

pub use as_path::{AsPath, AsPathRef, Segment, SegmentRef, SegmentType};
pub use community::{Community, ExtendedCommunity, LargeCommunity};
pub use mp::{MpNlri, MpReach, MpUnreach, NextHop};
pub use set::{Attributes, RawAttribute};

/// Attribute Flags octet (RFC 4271 §4.3).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct Flags(pub u8);

impl Flags {
    /// "the high-order bit (bit 0) ... defines whether the attribute is optional (if set to 1)
    /// or well-known (if set to 0)."
    pub const OPTIONAL: u8 = 0x80;
    /// "The second high-order bit (bit 1) ... defines whether an optional attribute is
    /// transitive (if set to 1) or non-transitive (if set to 0)."
    pub const TRANSITIVE: u8 = 0x40;
    /// "The third high-order bit (bit 2) ... defines whether the information contained in the
    /// optional transitive attribute is partial (if set to 1) or complete (if set to 0)."
    pub const PARTIAL: u8 = 0x20;
    /// "The fourth high-order bit (bit 3) ... defines whether the Attribute Length is one octet
    /// (if set to 0) or two octets (if set to 1)."
    pub const EXTENDED_LENGTH: u8 = 0x10;

    /// Well-known attribute flags: transitive.
    pub const WELL_KNOWN: Flags = Flags(Flags::TRANSITIVE);
    /// Optional transitive.
    pub const OPTIONAL_TRANSITIVE: Flags = Flags(Flags::OPTIONAL | Flags::TRANSITIVE);
    /// Optional non-transitive.
    pub const OPTIONAL_NON_TRANSITIVE: Flags = Flags(Flags::OPTIONAL);

    /// Optional bit.
    pub const fn is_optional(self) -> bool {
        self.0 & Flags::OPTIONAL != 0
    }
    /// Transitive bit.
    pub const fn is_transitive(self) -> bool {
        self.0 & Flags::TRANSITIVE != 0
    }
    /// Partial bit.
    pub const fn is_partial(self) -> bool {
        self.0 & Flags::PARTIAL != 0
    }
    /// Extended Length bit.
    pub const fn is_extended_length(self) -> bool {
        self.0 & Flags::EXTENDED_LENGTH != 0
    }
}

/// Attribute Type Code (IANA "BGP Path Attributes"); unknown codes round-trip.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct AttributeType(pub u8);

impl AttributeType {
    /// RFC 4271 §5.1.1.
    pub const ORIGIN: AttributeType = AttributeType(1);
    /// RFC 4271 §5.1.2.
    pub const AS_PATH: AttributeType = AttributeType(2);
    /// RFC 4271 §5.1.3.
    pub const NEXT_HOP: AttributeType = AttributeType(3);
    /// RFC 4271 §5.1.4.
    pub const MULTI_EXIT_DISC: AttributeType = AttributeType(4);
    /// RFC 4271 §5.1.5.
    pub const LOCAL_PREF: AttributeType = AttributeType(5);
    /// RFC 4271 §5.1.6.
    pub const ATOMIC_AGGREGATE: AttributeType = AttributeType(6);
    /// RFC 4271 §5.1.7.
    pub const AGGREGATOR: AttributeType = AttributeType(7);
    /// RFC 1997.
    pub const COMMUNITIES: AttributeType = AttributeType(8);
    /// RFC 4456.
    pub const ORIGINATOR_ID: AttributeType = AttributeType(9);
    /// RFC 4456.
    pub const CLUSTER_LIST: AttributeType = AttributeType(10);
    /// RFC 4760.
    pub const MP_REACH_NLRI: AttributeType = AttributeType(14);
    /// RFC 4760.
    pub const MP_UNREACH_NLRI: AttributeType = AttributeType(15);
    /// RFC 4360.
    pub const EXTENDED_COMMUNITIES: AttributeType = AttributeType(16);
    /// RFC 6793.
    pub const AS4_PATH: AttributeType = AttributeType(17);
    /// RFC 6793.
    pub const AS4_AGGREGATOR: AttributeType = AttributeType(18);
    /// RFC 8092.
    pub const LARGE_COMMUNITY: AttributeType = AttributeType(32);
    /// Only to Customer, RFC 9234.
    pub const OTC: AttributeType = AttributeType(35);

    /// The name the RFCs use, or `None` for a code this crate does not decode.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            AttributeType::ORIGIN => "ORIGIN",
            AttributeType::AS_PATH => "AS_PATH",
            AttributeType::NEXT_HOP => "NEXT_HOP",
            AttributeType::MULTI_EXIT_DISC => "MULTI_EXIT_DISC",
            AttributeType::LOCAL_PREF => "LOCAL_PREF",
            AttributeType::ATOMIC_AGGREGATE => "ATOMIC_AGGREGATE",
            AttributeType::AGGREGATOR => "AGGREGATOR",
            AttributeType::COMMUNITIES => "COMMUNITIES",
            AttributeType::ORIGINATOR_ID => "ORIGINATOR_ID",
            AttributeType::CLUSTER_LIST => "CLUSTER_LIST",
            AttributeType::MP_REACH_NLRI => "MP_REACH_NLRI",
            AttributeType::MP_UNREACH_NLRI => "MP_UNREACH_NLRI",
            AttributeType::EXTENDED_COMMUNITIES => "EXTENDED_COMMUNITIES",
            AttributeType::AS4_PATH => "AS4_PATH",
            AttributeType::AS4_AGGREGATOR => "AS4_AGGREGATOR",
            AttributeType::LARGE_COMMUNITY => "LARGE_COMMUNITY",
            AttributeType::OTC => "OTC",
            _ => return None,
        })
    }

    /// True for the codes this crate decodes into typed values.
    pub fn is_known(self) -> bool {
        self.name().is_some()
    }

    /// The Optional and Transitive bits the defining RFC gives this attribute, for a known
    /// attribute.
    pub fn expected_flags(self) -> Option<Flags> {
        Some(match self {
            AttributeType::ORIGIN
            | AttributeType::AS_PATH
            | AttributeType::NEXT_HOP
            | AttributeType::LOCAL_PREF
            | AttributeType::ATOMIC_AGGREGATE => Flags::WELL_KNOWN,
            AttributeType::MULTI_EXIT_DISC
            | AttributeType::ORIGINATOR_ID
            | AttributeType::CLUSTER_LIST
            | AttributeType::MP_REACH_NLRI
            | AttributeType::MP_UNREACH_NLRI => Flags::OPTIONAL_NON_TRANSITIVE,
            AttributeType::AGGREGATOR
            | AttributeType::COMMUNITIES
            | AttributeType::EXTENDED_COMMUNITIES
            | AttributeType::AS4_PATH
            | AttributeType::AS4_AGGREGATOR
            | AttributeType::LARGE_COMMUNITY
            | AttributeType::OTC => Flags::OPTIONAL_TRANSITIVE,
            _ => return None,
        })
    }
}

/// ORIGIN value (RFC 4271 §5.1.1).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Origin {
    /// 0: "NLRI is interior to the originating AS".
    Igp,
    /// 1: "NLRI learned via the EGP protocol".
    Egp,
    /// 2: "NLRI learned by some other means".
    Incomplete,
}

impl Origin {
    /// From the wire value; `None` for values RFC 4271 does not define.
    pub fn from_u8(v: u8) -> Option<Origin> {
        match v {
            0 => Some(Origin::Igp),
            1 => Some(Origin::Egp),
            2 => Some(Origin::Incomplete),
            _ => None,
        }
    }

    /// The wire value.
    pub fn to_u8(self) -> u8 {
        match self {
            Origin::Igp => 0,
            Origin::Egp => 1,
            Origin::Incomplete => 2,
        }
    }
}

/// AGGREGATOR or AS4_AGGREGATOR value: the AS and BGP identifier of the aggregating speaker
/// (RFC 4271 §5.1.7, RFC 6793 §3).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Aggregator {
    /// Aggregating AS.
    pub asn: Asn,
    /// Its BGP identifier.
    pub address: Ipv4Addr,
}

/// A typed attribute value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Attribute {
    /// ORIGIN (1).
    Origin(Origin),
    /// AS_PATH (2), 2- or 4-octet AS numbers depending on the context.
    AsPath(AsPath),
    /// NEXT_HOP (3).
    NextHop(Ipv4Addr),
    /// MULTI_EXIT_DISC (4).
    MultiExitDisc(u32),
    /// LOCAL_PREF (5).
    LocalPref(u32),
    /// ATOMIC_AGGREGATE (6).
    AtomicAggregate,
    /// AGGREGATOR (7), 2- or 4-octet AS depending on the context.
    Aggregator(Aggregator),
    /// COMMUNITIES (8, RFC 1997).
    Communities(Vec<Community>),
    /// ORIGINATOR_ID (9, RFC 4456).
    OriginatorId(Ipv4Addr),
    /// CLUSTER_LIST (10, RFC 4456).
    ClusterList(Vec<Ipv4Addr>),
    /// MP_REACH_NLRI (14, RFC 4760).
    MpReachNlri(MpReach),
    /// MP_UNREACH_NLRI (15, RFC 4760).
    MpUnreachNlri(MpUnreach),
    /// EXTENDED_COMMUNITIES (16, RFC 4360).
    ExtendedCommunities(Vec<ExtendedCommunity>),
    /// AS4_PATH (17, RFC 6793): always 4-octet AS numbers.
    As4Path(AsPath),
    /// AS4_AGGREGATOR (18, RFC 6793).
    As4Aggregator(Aggregator),
    /// LARGE_COMMUNITY (32, RFC 8092).
    LargeCommunities(Vec<LargeCommunity>),
    /// Only to Customer (35, RFC 9234).
    Otc(Asn),
    /// Any other attribute, kept as received.
    Unknown {
        /// Its type code.
        type_code: AttributeType,
        /// Its value octets.
        value: Bytes,
    },
}

impl Attribute {
    /// The attribute's type code.
    pub fn type_code(&self) -> AttributeType {
        match self {
            Attribute::Origin(_) => AttributeType::ORIGIN,
            Attribute::AsPath(_) => AttributeType::AS_PATH,
            Attribute::NextHop(_) => AttributeType::NEXT_HOP,
            Attribute::MultiExitDisc(_) => AttributeType::MULTI_EXIT_DISC,
            Attribute::LocalPref(_) => AttributeType::LOCAL_PREF,
            Attribute::AtomicAggregate => AttributeType::ATOMIC_AGGREGATE,
            Attribute::Aggregator(_) => AttributeType::AGGREGATOR,
            Attribute::Communities(_) => AttributeType::COMMUNITIES,
            Attribute::OriginatorId(_) => AttributeType::ORIGINATOR_ID,
            Attribute::ClusterList(_) => AttributeType::CLUSTER_LIST,
            Attribute::MpReachNlri(_) => AttributeType::MP_REACH_NLRI,
            Attribute::MpUnreachNlri(_) => AttributeType::MP_UNREACH_NLRI,
            Attribute::ExtendedCommunities(_) => AttributeType::EXTENDED_COMMUNITIES,
            Attribute::As4Path(_) => AttributeType::AS4_PATH,
            Attribute::As4Aggregator(_) => AttributeType::AS4_AGGREGATOR,
            Attribute::LargeCommunities(_) => AttributeType::LARGE_COMMUNITY,
            Attribute::Otc(_) => AttributeType::OTC,
            Attribute::Unknown { type_code, .. } => *type_code,
        }
    }

    /// Length of the encoded value in `ctx`.
    pub fn value_len(&self, ctx: &Context) -> usize {
        let asn_len = if ctx.four_octet_as { 4 } else { 2 };
        match self {
            Attribute::Origin(_) => 1,
            Attribute::AsPath(p) => p.value_len(ctx.four_octet_as),
            Attribute::NextHop(_)
            | Attribute::MultiExitDisc(_)
            | Attribute::LocalPref(_)
            | Attribute::OriginatorId(_)
            | Attribute::Otc(_) => 4,
            Attribute::AtomicAggregate => 0,
            Attribute::Aggregator(_) => asn_len + 4,
            Attribute::Communities(c) => 4 * c.len(),
            Attribute::ClusterList(c) => 4 * c.len(),
            Attribute::MpReachNlri(m) => m.value_len(ctx),
            Attribute::MpUnreachNlri(m) => m.value_len(ctx),
            Attribute::ExtendedCommunities(c) => 8 * c.len(),
            Attribute::As4Path(p) => p.value_len(true),
            Attribute::As4Aggregator(_) => 8,
            Attribute::LargeCommunities(c) => 12 * c.len(),
            Attribute::Unknown { value, .. } => value.len(),
        }
    }

    /// Writes the value octets (no header).
    pub fn encode_value(&self, ctx: &Context, buf: &mut BytesMut) {
        match self {
            Attribute::Origin(o) => buf.extend_from_slice(&[o.to_u8()]),
            Attribute::AsPath(p) => p.encode_value(ctx.four_octet_as, buf),
            Attribute::NextHop(a) | Attribute::OriginatorId(a) => {
                buf.extend_from_slice(&a.octets())
            }
            Attribute::MultiExitDisc(v) | Attribute::LocalPref(v) => {
                buf.extend_from_slice(&v.to_be_bytes())
            }
            Attribute::AtomicAggregate => {}
            Attribute::Aggregator(a) => {
                if ctx.four_octet_as {
                    buf.extend_from_slice(&(a.asn.0).to_be_bytes());
                } else {
                    buf.extend_from_slice(&(a.asn.to_two_octet()).to_be_bytes());
                }
                buf.extend_from_slice(&a.address.octets());
            }
            Attribute::Communities(c) => {
                c.iter().for_each(|c| buf.extend_from_slice(&c.0.to_be_bytes()))
            }
            Attribute::ClusterList(c) => c.iter().for_each(|a| buf.extend_from_slice(&a.octets())),
            Attribute::MpReachNlri(m) => m.encode_value(ctx, buf),
            Attribute::MpUnreachNlri(m) => m.encode_value(ctx, buf),
            Attribute::ExtendedCommunities(c) => c.iter().for_each(|c| buf.extend_from_slice(&c.0)),
            Attribute::As4Path(p) => p.encode_value(true, buf),
            Attribute::As4Aggregator(a) => {
                buf.extend_from_slice(&(a.asn.0).to_be_bytes());
                buf.extend_from_slice(&a.address.octets());
            }
            Attribute::LargeCommunities(c) => c.iter().for_each(|c| {
                buf.extend_from_slice(&(c.global_admin).to_be_bytes());
                buf.extend_from_slice(&(c.local_data_1).to_be_bytes());
                buf.extend_from_slice(&(c.local_data_2).to_be_bytes());
            }),
            Attribute::Otc(a) => buf.extend_from_slice(&a.0.to_be_bytes()),
            Attribute::Unknown { value, .. } => buf.extend_from_slice(value),
        }
    }

    /// Decodes a value that [`rfc7606::check_value`] accepted. `value` is a slice of the
    /// message, so unknown attributes and raw NLRI share its memory.
    pub fn decode(
        type_code: AttributeType,
        value: &Bytes,
        ctx: &Context,
    ) -> Result<Attribute, Reason> {
        let v = &value[..];
        let u32_at = |i: usize| -> Result<u32, Reason> {
            v.get(i..i + 4)
                .and_then(|s| s.try_into().ok())
                .map(u32::from_be_bytes)
                .ok_or(Reason::Truncated { needed: i + 4, available: v.len() })
        };
        let fixed = |n: usize| -> Result<(), Reason> {
            if v.len() == n {
                Ok(())
            } else {
                Err(Reason::AttributeLength(type_code.0))
            }
        };
        Ok(match type_code {
            AttributeType::ORIGIN => match v {
                [o] => Attribute::Origin(Origin::from_u8(*o).ok_or(Reason::InvalidOrigin(*o))?),
                _ => return Err(Reason::AttributeLength(type_code.0)),
            },

            AttributeType::AS_PATH => Attribute::AsPath(AsPath::decode(v, ctx.four_octet_as)?),
            AttributeType::NEXT_HOP => {
                fixed(4)?;
                Attribute::NextHop(Ipv4Addr::from(u32_at(0)?))
            }
            AttributeType::MULTI_EXIT_DISC => {
                fixed(4)?;
                Attribute::MultiExitDisc(u32_at(0)?)
            }
            AttributeType::LOCAL_PREF => {
                fixed(4)?;
                Attribute::LocalPref(u32_at(0)?)
            }
            AttributeType::ATOMIC_AGGREGATE => {
                fixed(0)?;
                Attribute::AtomicAggregate
            }
            AttributeType::AGGREGATOR => {
                Attribute::Aggregator(decode_aggregator(v, ctx.four_octet_as, type_code)?)
            }
            AttributeType::AS4_AGGREGATOR => {
                Attribute::As4Aggregator(decode_aggregator(v, true, type_code)?)
            }
            AttributeType::COMMUNITIES => Attribute::Communities(
                chunks::<4>(v, type_code)?.map(|c| Community(u32::from_be_bytes(c))).collect(),
            ),
            AttributeType::ORIGINATOR_ID => {
                fixed(4)?;
                Attribute::OriginatorId(Ipv4Addr::from(u32_at(0)?))
            }
            AttributeType::CLUSTER_LIST => {
                Attribute::ClusterList(chunks::<4>(v, type_code)?.map(Ipv4Addr::from).collect())
            }
            AttributeType::MP_REACH_NLRI => Attribute::MpReachNlri(MpReach::decode(value, ctx)?),
            AttributeType::MP_UNREACH_NLRI => {
                Attribute::MpUnreachNlri(MpUnreach::decode(value, ctx)?)
            }
            AttributeType::EXTENDED_COMMUNITIES => Attribute::ExtendedCommunities(
                chunks::<8>(v, type_code)?.map(ExtendedCommunity).collect(),
            ),
            AttributeType::AS4_PATH => Attribute::As4Path(AsPath::decode(v, true)?),
            AttributeType::LARGE_COMMUNITY => Attribute::LargeCommunities(
                chunks::<12>(v, type_code)?.map(|c| LargeCommunity::from_octets(&c)).collect(),
            ),
            AttributeType::OTC => {
                fixed(4)?;
                Attribute::Otc(Asn(u32_at(0)?))
            }
            _ => Attribute::Unknown { type_code, value: value.clone() },
        })
    }
}

fn decode_aggregator(v: &[u8], four: bool, t: AttributeType) -> Result<Aggregator, Reason> {
    match (four, v) {
        (true, [a, b, c, d, e, f, g, h]) => Ok(Aggregator {
            asn: Asn(u32::from_be_bytes([*a, *b, *c, *d])),
            address: Ipv4Addr::new(*e, *f, *g, *h),
        }),
        (false, [a, b, e, f, g, h]) => Ok(Aggregator {
            asn: Asn(u32::from(u16::from_be_bytes([*a, *b]))),
            address: Ipv4Addr::new(*e, *f, *g, *h),
        }),
        _ => Err(Reason::AttributeLength(t.0)),
    }
}

/// Splits `v` into `N`-octet items; the length must be a multiple of `N`.
fn chunks<const N: usize>(
    v: &[u8],
    t: AttributeType,
) -> Result<impl Iterator<Item = [u8; N]> + '_, Reason> {
    if v.len() % N != 0 {
        return Err(Reason::AttributeLength(t.0));
    }
    Ok(v.chunks_exact(N).filter_map(|c| c.try_into().ok()))
}

/// An attribute with its flags: what goes on the wire.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PathAttribute {
    /// Flags as received, or as the defining RFC sets them for a built attribute. On encode,
    /// the Extended Length bit is kept when set and added when the value needs it.
    pub flags: Flags,
    /// The value.
    pub value: Attribute,
}

impl PathAttribute {
    /// A new attribute with the flags its RFC gives it. Unknown attributes get optional
    /// transitive flags; use [`PathAttribute::with_flags`] to choose others.
    pub fn new(value: Attribute) -> PathAttribute {
        let flags = value.type_code().expected_flags().unwrap_or(Flags::OPTIONAL_TRANSITIVE);
        PathAttribute { flags, value }
    }

    /// An attribute with explicit flags.
    pub fn with_flags(flags: Flags, value: Attribute) -> PathAttribute {
        PathAttribute { flags, value }
    }

    /// The type code.
    pub fn type_code(&self) -> AttributeType {
        self.value.type_code()
    }

    /// The attribute as it must be passed to another peer.
    ///
    /// RFC 4271 §5: "If a path with an unrecognized transitive optional attribute is accepted
    /// and passed to other BGP peers, then the unrecognized transitive optional attribute of
    /// that path MUST be passed, along with the path, to other BGP peers with the Partial bit
    /// in the Attribute Flags octet set to 1." Returns `None` for an unrecognized
    /// non-transitive attribute, which "MUST be quietly ignored and not passed along".
    pub fn for_readvertisement(&self) -> Option<PathAttribute> {
        match &self.value {
            Attribute::Unknown { .. } if self.flags.is_optional() && self.flags.is_transitive() => {
                Some(PathAttribute {
                    flags: Flags(self.flags.0 | Flags::PARTIAL),
                    value: self.value.clone(),
                })
            }
            Attribute::Unknown { .. } if self.flags.is_optional() => None,
            _ => Some(self.clone()),
        }
    }

    /// Octets the attribute takes on the wire, header included.
    pub fn wire_len(&self, ctx: &Context) -> usize {
        let len = self.value.value_len(ctx);
        let ext = self.flags.is_extended_length() || len > 255;
        len + if ext { 4 } else { 3 }
    }

    /// Writes the attribute: flags, type, length, value.
    ///
    /// RFC 4271 §4.3: the Extended Length bit "MAY be used only if the length of the
    /// attribute value is greater than 255 octets"; real routers set it on short values too,
    /// so a decoded attribute keeps it as received, and a built one gets it only when needed.
    pub fn encode(&self, ctx: &Context, buf: &mut BytesMut) {
        // The common attributes with a one-octet length, header and value in one write (or
        // one reservation): what the generic path below writes, without its per-field calls.
        let f = self.flags.0;
        if f & Flags::EXTENDED_LENGTH == 0 {
            let t = self.type_code().0;
            match &self.value {
                Attribute::Origin(o) => return buf.extend_from_slice(&[f, t, 1, o.to_u8()]),
                Attribute::NextHop(a) | Attribute::OriginatorId(a) => {
                    let [a, b, c, d] = a.octets();
                    return buf.extend_from_slice(&[f, t, 4, a, b, c, d]);
                }
                Attribute::MultiExitDisc(v) | Attribute::LocalPref(v) | Attribute::Otc(Asn(v)) => {
                    let [a, b, c, d] = v.to_be_bytes();
                    return buf.extend_from_slice(&[f, t, 4, a, b, c, d]);
                }
                Attribute::AtomicAggregate => return buf.extend_from_slice(&[f, t, 0]),
                Attribute::Communities(c) if c.len() <= 63 => {
                    buf.reserve(3 + 4 * c.len());
                    buf.extend_from_slice(&[f, t, (4 * c.len()) as u8]);
                    for group in c.chunks(16) {
                        let mut o = [0u8; 64];
                        for (d, c) in o.chunks_exact_mut(4).zip(group) {
                            d.copy_from_slice(&c.0.to_be_bytes());
                        }
                        buf.extend_from_slice(o.get(..4 * group.len()).unwrap_or(&[]));
                    }
                    return;
                }
                Attribute::AsPath(p) => {
                    let len = p.value_len(ctx.four_octet_as);
                    if len <= 255 {
                        buf.reserve(3 + len);
                        buf.extend_from_slice(&[f, t, len as u8]);
                        p.encode_value(ctx.four_octet_as, buf);
                        return;
                    }
                }
                _ => {}
            }
        }
        let len = self.value.value_len(ctx).min(usize::from(u16::MAX));
        let mut flags = self.flags.0;
        if len > 255 {
            flags |= Flags::EXTENDED_LENGTH;
        }
        buf.extend_from_slice(&[flags]);
        buf.extend_from_slice(&[self.type_code().0]);
        if flags & Flags::EXTENDED_LENGTH != 0 {
            buf.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            buf.extend_from_slice(&[len as u8]);
        }
        self.value.encode_value(ctx, buf);
    }
}

#[cfg(test)]
pub(crate) mod tests;
