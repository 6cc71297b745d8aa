//! The validated path attributes of one UPDATE: the octets, and where each known attribute is.
//!
//! Decoding walks the attribute list once, checks each known attribute (RFC 7606), records
//! its position in a fixed array and reports faults as [`AttributeIssue`]s. Nothing is
//! allocated unless an issue is found. Typed values are decoded on demand from the octets.

use core::net::Ipv4Addr;

use bytes::Bytes;

use crate::codes::{update as sub, ErrorCode};
use crate::context::Context;
use crate::error::{Action, AttributeIssue, Error, Reason};
use crate::nlri::{NlriIter, PrefixAfi};
use crate::types::{Asn, Family};

use super::mp::{split_reach, split_unreach, NextHop};
use super::rfc7606::{self, MpFacts};
use super::{
    Aggregator, AsPath, AsPathRef, Attribute, AttributeType, Community, ExtendedCommunity, Flags,
    LargeCommunity, Origin, PathAttribute,
};

/// Slot in the index of each known type code, or `NO_SLOT`.
const NO_SLOT: u8 = 0xff;
const SLOTS: usize = 17;
const SLOT: [u8; 256] = {
    let mut t = [NO_SLOT; 256];
    let known = [1u8, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14, 15, 16, 17, 18, 32, 35];
    let mut i = 0;
    while i < known.len() {
        t[known[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// One attribute as it sits in the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawAttribute<'a> {
    /// Flags as received.
    pub flags: Flags,
    /// Type code.
    pub type_code: AttributeType,
    /// Value octets.
    pub value: &'a [u8],
    /// Absolute offset of the attribute's first octet (its flags) in the message.
    pub offset: usize,
    /// Length of the header (3, or 4 with Extended Length).
    pub header_len: usize,
}

/// The path attributes of a message, checked once, decoded lazily.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attributes {
    /// A buffer holding the list (for an UPDATE, the whole message).
    buf: Bytes,
    /// The list's range in `buf`.
    start: u32,
    end: u32,
    /// Absolute offset of `buf[0]`, for error offsets.
    base: u32,
    /// For each known type code (by `SLOT`): 1 + position in the list of its first valid
    /// occurrence, or 0.
    index: [u16; SLOTS],
    four_octet_as: bool,
    reach_add_path: bool,
    unreach_add_path: bool,
    reach: Option<MpFacts>,
    unreach: Option<MpFacts>,
}

/// Reads the attribute header at `pos`: flags, type, value range.
#[inline]
fn header(b: &[u8], pos: usize) -> Option<(u8, u8, usize, usize)> {
    let (&flags, &t) = (b.get(pos)?, b.get(pos + 1)?);
    let (len, hl) = if flags & Flags::EXTENDED_LENGTH != 0 {
        (usize::from(u16::from_be_bytes([*b.get(pos + 2)?, *b.get(pos + 3)?])), 4)
    } else {
        (usize::from(*b.get(pos + 2)?), 3)
    };
    Some((flags, t, pos + hl, pos + hl + len))
}

impl Attributes {
    /// An empty list.
    #[inline]
    pub fn empty() -> Attributes {
        Attributes {
            buf: Bytes::new(),
            start: 0,
            end: 0,
            base: 0,
            index: [0; SLOTS],
            four_octet_as: false,
            reach_add_path: false,
            unreach_add_path: false,
            reach: None,
            unreach: None,
        }
    }

    /// Checks the attribute list `bytes`, which starts at absolute offset `base` in its
    /// message, under `ctx`. Faults are appended to `issues`; the list itself is always
    /// returned, holding the attributes that were found valid.
    pub fn decode(
        bytes: Bytes,
        base: usize,
        ctx: &Context,
        issues: &mut Vec<AttributeIssue>,
    ) -> Attributes {
        let end = bytes.len();
        let mut a = Attributes::empty();
        a.fill(bytes, 0..end, base, ctx, issues);
        a
    }

    /// Like [`Attributes::decode`], for the list at `range` of `buf`, whose first octet is at
    /// absolute offset `base`. The list must fit in 65535 octets (an attribute length field).
    /// Fills `self` (which must be [`Attributes::empty`]) in place: the structure is large
    /// enough that returning it by value costs more than decoding a short list.
    pub(crate) fn fill(
        &mut self,
        buf: Bytes,
        range: core::ops::Range<usize>,
        base: usize,
        ctx: &Context,
        issues: &mut Vec<AttributeIssue>,
    ) {
        let a = self;
        a.start = range.start as u32;
        a.end = range.end as u32;
        a.base = base as u32;
        a.four_octet_as = ctx.four_octet_as;
        let b = buf.get(range.clone()).unwrap_or(&[]);
        // Absolute offset of the list's first octet.
        let abs = base + range.start;
        let mut seen = [0u64; 4];
        let mut pos = 0usize;
        while pos < b.len() {
            let start = pos;
            let Some((flags, t, vstart, vend)) = header(b, pos).filter(|h| h.3 <= b.len()) else {
                // RFC 7606 §4: "the length of the last encountered path attribute would cause
                // the Total Attribute Length to be exceeded" or "fewer than three octets
                // remain (or fewer than four octets, if the Attribute Flags field has the
                // Extended Length bit set)": "treat-as-withdraw", relying on the Total
                // Attribute Length to find the NLRI.
                issues.push(issue(
                    b,
                    abs,
                    start,
                    b.len(),
                    b.get(start + 1).copied().unwrap_or(0),
                    Action::TreatAsWithdraw,
                    sub::MALFORMED_ATTRIBUTE_LIST,
                    Reason::MalformedAttributeList,
                ));
                break;
            };
            pos = vend;
            let bit = 1u64 << (t & 63);
            let word = &mut seen[usize::from(t >> 6)];
            if *word & bit != 0 {
                // RFC 7606 §3 (g): "If the MP_REACH_NLRI attribute or the MP_UNREACH_NLRI
                // attribute appears more than once in the UPDATE message, then a NOTIFICATION
                // message MUST be sent with the Error Subcode 'Malformed Attribute List'. If
                // any other attribute (whether recognized or unrecognized) appears more than
                // once in an UPDATE message, then all the occurrences of the attribute other
                // than the first one SHALL be discarded".
                let action = if t == AttributeType::MP_REACH_NLRI.0
                    || t == AttributeType::MP_UNREACH_NLRI.0
                {
                    Action::SessionReset
                } else {
                    Action::AttributeDiscard
                };
                let reason = Reason::DuplicateAttribute(t);
                issues.push(issue(
                    b,
                    abs,
                    start,
                    vend,
                    t,
                    action,
                    sub::MALFORMED_ATTRIBUTE_LIST,
                    reason,
                ));
                continue;
            }
            *word |= bit;
            let slot = SLOT[usize::from(t)];
            if slot == NO_SLOT {
                if flags & Flags::OPTIONAL == 0 {
                    // RFC 4271 §6.3: "If any of the well-known mandatory attributes are not
                    // recognized, then the Error Subcode MUST be set to Unrecognized
                    // Well-known Attribute." RFC 7606 does not revise this.
                    let reason = Reason::UnrecognizedWellKnown(t);
                    let s = sub::UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE;
                    issues.push(issue(b, abs, start, vend, t, Action::SessionReset, s, reason));
                }
                continue;
            }
            let ty = AttributeType(t);
            if let Err(f) = rfc7606::check_flags(ty, Flags(flags)) {
                issues.push(issue(b, abs, start, vend, t, f.action, f.subcode, f.reason));
                if !matches!(ty, AttributeType::MP_REACH_NLRI | AttributeType::MP_UNREACH_NLRI) {
                    continue;
                }
            }
            match rfc7606::check_value(ty, b.get(vstart..vend).unwrap_or(&[]), ctx) {
                Ok(mp) => {
                    // Attribute lists of messages fit in 65535 octets; in a longer list given
                    // to `decode`, attributes beyond that are checked but not indexed.
                    if let (Some(s), Ok(p)) =
                        (a.index.get_mut(usize::from(slot)), u16::try_from(start + 1))
                    {
                        *s = p;
                    }
                    match (ty, mp) {
                        (AttributeType::MP_REACH_NLRI, Some(f)) => {
                            a.reach = Some(f);
                            a.reach_add_path = ctx.has_path_id(f.family);
                        }
                        (AttributeType::MP_UNREACH_NLRI, Some(f)) => {
                            a.unreach = Some(f);
                            a.unreach_add_path = ctx.has_path_id(f.family);
                        }
                        _ => {}
                    }
                }
                Err(f) => {
                    let mut e = issue(b, abs, start, vend, t, f.action, f.subcode, f.reason);
                    // The attribute's first octet, or the faulty route or next hop inside it.
                    if f.at > 0 {
                        e.error.offset = abs + vstart + f.at;
                    }
                    issues.push(e);
                }
            }
        }
        a.buf = buf;
    }

    /// The buffer the list lies in (for an UPDATE, the whole message).
    pub fn buffer(&self) -> &Bytes {
        &self.buf
    }

    /// Position of the list in [`Attributes::buffer`].
    pub fn range(&self) -> core::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The attribute octets.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(self.start as usize..self.end as usize).unwrap_or(&[])
    }

    /// True when there is no attribute at all.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Every attribute in wire order, including unknown, duplicate and malformed ones (but
    /// not a malformed tail of the list).
    pub fn iter(&self) -> AttributeIter<'_> {
        AttributeIter { b: self.as_bytes(), pos: 0, base: self.base as usize + self.start as usize }
    }

    /// Whether a valid occurrence of a known attribute is present.
    #[inline]
    pub fn contains(&self, t: AttributeType) -> bool {
        self.index.get(usize::from(SLOT[usize::from(t.0)])).is_some_and(|s| *s != 0)
    }

    /// The first valid occurrence of a known attribute.
    pub fn get(&self, t: AttributeType) -> Option<RawAttribute<'_>> {
        let slot = usize::from(*self.index.get(usize::from(SLOT[usize::from(t.0)]))?);
        let pos = slot.checked_sub(1)?;
        let list = self.as_bytes();
        let (flags, t, vstart, vend) = header(list, pos)?;
        Some(RawAttribute {
            flags: Flags(flags),
            type_code: AttributeType(t),
            value: list.get(vstart..vend)?,
            offset: self.base as usize + self.start as usize + pos,
            header_len: vstart - pos,
        })
    }

    fn value(&self, t: AttributeType) -> Option<&[u8]> {
        self.get(t).map(|a| a.value)
    }

    fn u32_of(&self, t: AttributeType) -> Option<u32> {
        self.value(t).and_then(|v| <[u8; 4]>::try_from(v).ok()).map(u32::from_be_bytes)
    }

    /// ORIGIN.
    pub fn origin(&self) -> Option<Origin> {
        self.value(AttributeType::ORIGIN).and_then(|v| Origin::from_u8(*v.first()?))
    }

    /// AS_PATH (decoded, so it allocates).
    pub fn as_path(&self) -> Option<AsPath> {
        self.as_path_ref().map(|p| p.to_as_path())
    }

    /// AS_PATH read in place, without allocating.
    pub fn as_path_ref(&self) -> Option<AsPathRef<'_>> {
        Some(AsPathRef::prechecked(self.value(AttributeType::AS_PATH)?, self.four_octet_as))
    }

    /// AS4_PATH read in place.
    pub fn as4_path_ref(&self) -> Option<AsPathRef<'_>> {
        Some(AsPathRef::prechecked(self.value(AttributeType::AS4_PATH)?, true))
    }

    /// AS4_PATH.
    pub fn as4_path(&self) -> Option<AsPath> {
        self.as4_path_ref().map(|p| p.to_as_path())
    }

    /// NEXT_HOP.
    pub fn next_hop(&self) -> Option<Ipv4Addr> {
        self.u32_of(AttributeType::NEXT_HOP).map(Ipv4Addr::from)
    }

    /// MULTI_EXIT_DISC.
    pub fn multi_exit_disc(&self) -> Option<u32> {
        self.u32_of(AttributeType::MULTI_EXIT_DISC)
    }

    /// LOCAL_PREF.
    pub fn local_pref(&self) -> Option<u32> {
        self.u32_of(AttributeType::LOCAL_PREF)
    }

    /// Whether ATOMIC_AGGREGATE is present.
    pub fn atomic_aggregate(&self) -> bool {
        self.get(AttributeType::ATOMIC_AGGREGATE).is_some()
    }

    /// AGGREGATOR.
    pub fn aggregator(&self) -> Option<Aggregator> {
        super::decode_aggregator(
            self.value(AttributeType::AGGREGATOR)?,
            self.four_octet_as,
            AttributeType::AGGREGATOR,
        )
        .ok()
    }

    /// AS4_AGGREGATOR.
    pub fn as4_aggregator(&self) -> Option<Aggregator> {
        super::decode_aggregator(
            self.value(AttributeType::AS4_AGGREGATOR)?,
            true,
            AttributeType::AS4_AGGREGATOR,
        )
        .ok()
    }

    /// COMMUNITIES, lazily.
    pub fn communities(&self) -> impl Iterator<Item = Community> + '_ {
        self.value(AttributeType::COMMUNITIES)
            .unwrap_or(&[])
            .chunks_exact(4)
            .map(|c| Community(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
    }

    /// EXTENDED_COMMUNITIES, lazily.
    pub fn extended_communities(&self) -> impl Iterator<Item = ExtendedCommunity> + '_ {
        self.value(AttributeType::EXTENDED_COMMUNITIES)
            .unwrap_or(&[])
            .chunks_exact(8)
            .filter_map(|c| c.try_into().ok().map(ExtendedCommunity))
    }

    /// LARGE_COMMUNITY, lazily.
    pub fn large_communities(&self) -> impl Iterator<Item = LargeCommunity> + '_ {
        self.value(AttributeType::LARGE_COMMUNITY)
            .unwrap_or(&[])
            .chunks_exact(12)
            .filter_map(|c| c.try_into().ok().map(|a| LargeCommunity::from_octets(&a)))
    }

    /// ORIGINATOR_ID.
    pub fn originator_id(&self) -> Option<Ipv4Addr> {
        self.u32_of(AttributeType::ORIGINATOR_ID).map(Ipv4Addr::from)
    }

    /// CLUSTER_LIST, lazily.
    pub fn cluster_list(&self) -> impl Iterator<Item = Ipv4Addr> + '_ {
        self.value(AttributeType::CLUSTER_LIST)
            .unwrap_or(&[])
            .chunks_exact(4)
            .map(|c| Ipv4Addr::new(c[0], c[1], c[2], c[3]))
    }

    /// OTC (RFC 9234).
    pub fn otc(&self) -> Option<Asn> {
        self.u32_of(AttributeType::OTC).map(Asn)
    }

    /// MP_REACH_NLRI, when present and valid.
    pub fn mp_reach(&self) -> Option<MpReachRef<'_>> {
        let facts = self.reach?;
        let v = self.value(AttributeType::MP_REACH_NLRI)?;
        let p = split_reach(v).ok()?;
        Some(MpReachRef {
            family: facts.family,
            next_hop: p.next_hop,
            nlri: p.nlri,
            add_path: self.reach_add_path,
            buf: &self.buf,
        })
    }

    /// MP_UNREACH_NLRI, when present and valid.
    pub fn mp_unreach(&self) -> Option<MpUnreachRef<'_>> {
        let facts = self.unreach?;
        let (_, nlri) = split_unreach(self.value(AttributeType::MP_UNREACH_NLRI)?).ok()?;
        Some(MpUnreachRef {
            family: facts.family,
            nlri,
            add_path: self.unreach_add_path,
            buf: &self.buf,
        })
    }

    /// Whether MP_REACH_NLRI carries at least one route.
    pub fn mp_reach_has_routes(&self) -> bool {
        self.reach.is_some_and(|f| f.has_routes)
    }

    /// Every attribute as an owned, typed value, in wire order; duplicates and malformed
    /// attributes (those reported as issues) are left out. `ctx` must be the decoding
    /// context.
    pub fn to_owned_attributes(&self, ctx: &Context) -> Vec<PathAttribute> {
        let mut out = Vec::new();
        let mut seen = [0u64; 4];
        for raw in self.iter() {
            let t = raw.type_code;
            let bit = 1u64 << (t.0 & 63);
            let word = &mut seen[usize::from(t.0 >> 6)];
            let first = *word & bit == 0;
            *word |= bit;
            let keep = if t.is_known() {
                self.get(t).is_some_and(|g| g.offset == raw.offset)
            } else {
                first && raw.flags.is_optional()
            };
            if !keep {
                continue;
            }
            let start = raw.offset - self.base as usize + raw.header_len;
            let value = self.buf.slice(start..start + raw.value.len());
            // A known attribute kept despite wrong Optional/Transitive bits (MP_REACH_NLRI and
            // MP_UNREACH_NLRI are, to locate their routes) gets the bits its RFC gives it.
            let flags = match t.expected_flags() {
                Some(e) => Flags(e.0 | raw.flags.0 & !(Flags::OPTIONAL | Flags::TRANSITIVE)),
                None => raw.flags,
            };
            if let Ok(v) = Attribute::decode(t, &value, ctx) {
                out.push(PathAttribute { flags, value: v });
            }
        }
        out
    }
}

#[allow(clippy::too_many_arguments)]
#[cold]
fn issue(
    list: &[u8],
    abs: usize,
    start: usize,
    end: usize,
    t: u8,
    action: Action,
    subcode: u8,
    reason: Reason,
) -> AttributeIssue {
    // RFC 4271 §6.3: the Data field holds "the erroneous attribute (type, length, and value)".
    let data =
        Bytes::copy_from_slice(list.get(start.min(list.len())..end.min(list.len())).unwrap_or(&[]));
    AttributeIssue {
        type_code: t,
        action,
        error: Error::new(ErrorCode::UPDATE_MESSAGE, subcode, reason, abs + start, data),
    }
}

/// Iterator over the attributes of a list, in wire order.
#[derive(Clone, Debug)]
pub struct AttributeIter<'a> {
    b: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Iterator for AttributeIter<'a> {
    type Item = RawAttribute<'a>;

    fn next(&mut self) -> Option<RawAttribute<'a>> {
        let (flags, t, vstart, vend) = header(self.b, self.pos)?;
        let value = self.b.get(vstart..vend)?;
        let offset = self.base + self.pos;
        let header_len = vstart - self.pos;
        self.pos = vend;
        Some(RawAttribute {
            flags: Flags(flags),
            type_code: AttributeType(t),
            value,
            offset,
            header_len,
        })
    }
}

/// A validated MP_REACH_NLRI, not yet decoded.
#[derive(Clone, Copy, Debug)]
pub struct MpReachRef<'a> {
    /// AFI/SAFI.
    pub family: Family,
    /// Next hop octets.
    pub next_hop: &'a [u8],
    /// NLRI octets.
    pub nlri: &'a [u8],
    /// Whether the NLRI carry path identifiers.
    pub add_path: bool,
    buf: &'a Bytes,
}

impl<'a> MpReachRef<'a> {
    /// The next hop, typed for IPv4/IPv6 families; for other families the octets, sharing
    /// the message's memory.
    pub fn next_hop(&self) -> NextHop {
        match PrefixAfi::of(self.family).and_then(|_| NextHop::from_octets(self.next_hop)) {
            Some(n) => n,
            None => NextHop::Other(self.buf.slice_ref(self.next_hop)),
        }
    }

    /// The routes of a typed family (nothing for a raw family: see `nlri`).
    pub fn routes(&self) -> NlriIter<'a> {
        match PrefixAfi::of(self.family) {
            Some(afi) => NlriIter::new(self.nlri, afi, self.add_path),
            None => NlriIter::empty(),
        }
    }

    /// The NLRI octets, sharing the message's memory.
    pub fn nlri_bytes(&self) -> Bytes {
        self.buf.slice_ref(self.nlri)
    }
}

/// A validated MP_UNREACH_NLRI, not yet decoded.
#[derive(Clone, Copy, Debug)]
pub struct MpUnreachRef<'a> {
    /// AFI/SAFI.
    pub family: Family,
    /// Withdrawn routes octets.
    pub nlri: &'a [u8],
    /// Whether the NLRI carry path identifiers.
    pub add_path: bool,
    buf: &'a Bytes,
}

impl<'a> MpUnreachRef<'a> {
    /// The withdrawn routes of a typed family (nothing for a raw family: see `nlri`).
    pub fn routes(&self) -> NlriIter<'a> {
        match PrefixAfi::of(self.family) {
            Some(afi) => NlriIter::new(self.nlri, afi, self.add_path),
            None => NlriIter::empty(),
        }
    }

    /// The withdrawn routes octets, sharing the message's memory.
    pub fn nlri_bytes(&self) -> Bytes {
        self.buf.slice_ref(self.nlri)
    }
}
