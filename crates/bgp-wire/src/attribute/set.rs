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
    as_path, Aggregator, AsPath, AsPathRef, Attribute, AttributeType, Community, ExtendedCommunity,
    Flags, LargeCommunity, Origin, PathAttribute,
};

/// Slot in the index of each known type code, or `NO_SLOT`.
const NO_SLOT: u8 = 0xff;
const SLOTS: usize = 17;
const SLOT: [u8; 256] = {
    let mut t = [NO_SLOT; 256];
    let mut i = 0;
    while i < KNOWN.len() {
        t[KNOWN[i].0 as usize] = i as u8;
        i += 1;
    }
    t
};

/// What the fast path of [`Attributes::fill`] checks of a value.
#[derive(Clone, Copy)]
enum Shape {
    /// Nothing: always the full checks.
    Slow,
    /// ORIGIN: one octet, 0 to 2.
    Origin,
    /// Exactly this many octets.
    Exact(u8),
    /// A non-zero multiple of this many octets.
    Multiple(u8),
    /// AGGREGATOR: 8 octets with 4-octet AS numbers, 6 without.
    Aggregator,
    /// AS_PATH: the segment structure, AS numbers as the context says.
    AsPath,
    /// MP_REACH_NLRI or MP_UNREACH_NLRI: checked in full (RFC 7606 §7.11), and their family
    /// and whether they carry routes recorded.
    Mp,
}

/// Known type codes in slot order, with the Optional and Transitive bits their RFC gives
/// them and what the fast path checks of their value (RFC 7606 §7; `rfc7606::check_value` is
/// the reference: the fast path accepts a subset of what it accepts).
const KNOWN: [(u8, u8, Shape); SLOTS] = {
    const WK: u8 = Flags::TRANSITIVE;
    const ON: u8 = Flags::OPTIONAL;
    const OT: u8 = Flags::OPTIONAL | Flags::TRANSITIVE;
    [
        (1, WK, Shape::Origin),
        (2, WK, Shape::AsPath),
        (3, WK, Shape::Exact(4)),
        (4, ON, Shape::Exact(4)),
        (5, WK, Shape::Exact(4)),
        (6, WK, Shape::Exact(0)),
        (7, OT, Shape::Aggregator),
        (8, OT, Shape::Multiple(4)),
        (9, ON, Shape::Exact(4)),
        (10, ON, Shape::Multiple(4)),
        (14, ON, Shape::Mp),
        (15, ON, Shape::Mp),
        (16, OT, Shape::Multiple(8)),
        (17, OT, Shape::Slow),
        (18, OT, Shape::Exact(8)),
        (32, OT, Shape::Multiple(12)),
        (35, OT, Shape::Exact(4)),
    ]
};

/// One entry of the fast-path table, by type code.
#[derive(Clone, Copy)]
struct Fast {
    slot: u8,
    /// Expected Optional and Transitive bits.
    flags: u8,
    shape: Shape,
}

const FAST: [Fast; 256] = {
    let mut t = [Fast { slot: NO_SLOT, flags: 0, shape: Shape::Slow }; 256];
    let mut i = 0;
    while i < KNOWN.len() {
        let (code, flags, shape) = KNOWN[i];
        t[code as usize] = Fast { slot: i as u8, flags, shape };
        i += 1;
    }
    t
};

impl Fast {
    /// True when the attribute is certainly well-formed; false means "check fully".
    #[inline(always)]
    fn accepts(self, flags: u8, v: &[u8], four_octet_as: bool) -> bool {
        if flags & (Flags::OPTIONAL | Flags::TRANSITIVE) != self.flags {
            return false;
        }
        match self.shape {
            Shape::Slow | Shape::Mp => false,
            Shape::Origin => matches!(v, [0..=2]),
            Shape::Exact(n) => v.len() == usize::from(n),
            Shape::Multiple(n) => !v.is_empty() && v.len() % usize::from(n) == 0,
            Shape::Aggregator => v.len() == if four_octet_as { 8 } else { 6 },
            Shape::AsPath => as_path::check(v, four_octet_as).is_ok(),
        }
    }
}

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

/// The octets a decoded message or attribute list is read from: [`Bytes`] (the message is kept
/// and shared) or `&[u8]` (a borrowed view that touches no reference count). Implemented for
/// these two only.
pub trait Octets: AsRef<[u8]> + Clone + sealed::Sealed {
    /// The whole buffer as [`Bytes`] when it is one, to share sub-slices of it.
    #[doc(hidden)]
    fn shared(&self) -> Option<&Bytes>;

    /// `sub` (a slice of this buffer) as [`Bytes`]: shared with the buffer when it is
    /// [`Bytes`], copied otherwise.
    #[doc(hidden)]
    #[inline]
    fn share(&self, sub: &[u8]) -> Bytes {
        share(self.shared(), sub)
    }
}

/// `sub`, a slice of `buf`, shared with it when there is one, copied otherwise.
#[inline]
fn share(buf: Option<&Bytes>, sub: &[u8]) -> Bytes {
    match buf {
        Some(b) if sub.is_empty() => b.slice(0..0),
        Some(b) => b.slice_ref(sub),
        None => Bytes::copy_from_slice(sub),
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for bytes::Bytes {}
    impl Sealed for &[u8] {}
}

impl Octets for Bytes {
    #[inline]
    fn shared(&self) -> Option<&Bytes> {
        Some(self)
    }
}

impl Octets for &[u8] {
    #[inline]
    fn shared(&self) -> Option<&Bytes> {
        None
    }
}

/// The path attributes of a message, checked once, decoded lazily.
///
/// `B` is the buffer holding them: [`Bytes`] by default, or `&[u8]` for a borrowed view (see
/// [`crate::update::UpdateRef`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attributes<B = Bytes> {
    /// A buffer holding the list (for an UPDATE, the whole message).
    buf: B,
    /// Where the list is and what was found in it.
    idx: Index,
}

/// What checking an attribute list finds: where the list is, and where each known attribute
/// is. Holds no octets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Index {
    /// The list's range in the buffer.
    start: u32,
    end: u32,
    /// Absolute offset of the buffer's first octet, for error offsets.
    base: u32,
    /// For each known type code (by `SLOT`): 1 + position in the list of its first valid
    /// occurrence, or 0.
    slots: [u16; SLOTS],
    four_octet_as: bool,
    reach_add_path: bool,
    unreach_add_path: bool,
    reach: Option<MpFacts>,
    unreach: Option<MpFacts>,
}

impl Index {
    /// Nothing found yet.
    pub(crate) const EMPTY: Index = Index {
        start: 0,
        end: 0,
        base: 0,
        slots: [0; SLOTS],
        four_octet_as: false,
        reach_add_path: false,
        unreach_add_path: false,
        reach: None,
        unreach: None,
    };
}

/// Reads the attribute header at `pos`: flags, type, value range.
#[inline]
fn header(b: &[u8], pos: usize) -> Option<(u8, u8, usize, usize)> {
    let (flags, t, len, hl) = match *b.get(pos..)? {
        [f, t, l, ..] if f & Flags::EXTENDED_LENGTH == 0 => (f, t, usize::from(l), 3),
        [f, t, h, l, ..] if f & Flags::EXTENDED_LENGTH != 0 => {
            (f, t, usize::from(u16::from_be_bytes([h, l])), 4)
        }
        _ => return None,
    };
    Some((flags, t, pos + hl, pos + hl + len))
}

impl Attributes<Bytes> {
    /// An empty list.
    #[inline]
    pub fn empty() -> Attributes {
        Attributes { buf: Bytes::new(), idx: Index::EMPTY }
    }

    /// The buffer the list lies in (for an UPDATE, the whole message).
    pub fn buffer(&self) -> &Bytes {
        &self.buf
    }
}

impl<B: Octets> Attributes<B> {
    /// A list over `buf` with what [`Index::fill`] found.
    #[inline]
    pub(crate) fn from_parts(buf: B, idx: Index) -> Attributes<B> {
        Attributes { buf, idx }
    }

    /// The octets of the buffer the list lies in (for an UPDATE, the whole message).
    #[inline]
    pub fn octets(&self) -> &[u8] {
        self.buf.as_ref()
    }

    /// Checks the attribute list `bytes`, which starts at absolute offset `base` in its
    /// message, under `ctx`. Faults are appended to `issues`; the list itself is always
    /// returned, holding the attributes that were found valid.
    pub fn decode(
        bytes: B,
        base: usize,
        ctx: &Context,
        issues: &mut Vec<AttributeIssue>,
    ) -> Attributes<B> {
        let mut idx = Index::EMPTY;
        let b = bytes.as_ref();
        idx.fill(b, 0..b.len(), base, ctx, issues);
        Attributes { buf: bytes, idx }
    }
}

impl Index {
    /// Like [`Attributes::decode`], for the list at `range` of `buf`, whose first octet is at
    /// absolute offset `base`. Fills `self` (which must be [`Index::EMPTY`]) in place: the
    /// structure is large enough that returning it by value costs more than decoding a short
    /// list.
    pub(crate) fn fill(
        &mut self,
        buf: &[u8],
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
        // Type codes seen: known ones by slot, others in a 256-bit map.
        let mut seen_known = 0u32;
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
            let fast = FAST[usize::from(t)];
            let slot = fast.slot;
            let first = if slot == NO_SLOT {
                let bit = 1u64 << (t & 63);
                let word = &mut seen[usize::from(t >> 6)];
                let first = *word & bit == 0;
                *word |= bit;
                first
            } else {
                let bit = 1u32 << slot;
                let first = seen_known & bit == 0;
                seen_known |= bit;
                first
            };
            if !first {
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
            // Fast path: the common attributes, with the right flags and a well-formed value,
            // are accepted here; anything else (and MP_REACH_NLRI / MP_UNREACH_NLRI) takes the
            // full checks below, which accept the same values and classify the others.
            if fast.accepts(flags, b.get(vstart..vend).unwrap_or(&[]), ctx.four_octet_as) {
                // Attribute lists of messages fit in 65535 octets; in a longer list given
                // to `decode`, attributes beyond that are checked but not indexed.
                if let (Some(s), Ok(p)) =
                    (a.slots.get_mut(usize::from(slot)), u16::try_from(start + 1))
                {
                    *s = p;
                }
                continue;
            }
            if let (Shape::Mp, true) =
                (fast.shape, flags & (Flags::OPTIONAL | Flags::TRANSITIVE) == fast.flags)
            {
                let ty = AttributeType(t);
                let v = b.get(vstart..vend).unwrap_or(&[]);
                // RFC 7606 §7.11 (see `rfc7606::check_value`).
                let checked = if ty == AttributeType::MP_REACH_NLRI {
                    rfc7606::check_reach(v, ctx)
                } else {
                    rfc7606::check_unreach(v, ctx)
                };
                if let Ok(f) = checked {
                    if let (Some(s), Ok(p)) =
                        (a.slots.get_mut(usize::from(slot)), u16::try_from(start + 1))
                    {
                        *s = p;
                    }
                    let add_path = ctx.has_path_id(f.family);
                    if ty == AttributeType::MP_REACH_NLRI {
                        (a.reach, a.reach_add_path) = (Some(f), add_path);
                    } else {
                        (a.unreach, a.unreach_add_path) = (Some(f), add_path);
                    }
                    continue;
                }
            }
            a.check_fully(b, abs, start, vstart, slot, ctx, issues);
        }
    }

    /// The full RFC 7606 checks of the known attribute at `start` of the list `b` (whose
    /// value starts at `vstart`), for what the fast path of [`Index::fill`] did not accept:
    /// indexes it when valid, reports it otherwise.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn check_fully(
        &mut self,
        b: &[u8],
        abs: usize,
        start: usize,
        vstart: usize,
        slot: u8,
        ctx: &Context,
        issues: &mut Vec<AttributeIssue>,
    ) {
        let a = self;
        let Some((flags, t, _, vend)) = header(b, start) else { return };
        let ty = AttributeType(t);
        if let Err(f) = rfc7606::check_flags(ty, Flags(flags)) {
            issues.push(issue(b, abs, start, vend, t, f.action, f.subcode, f.reason));
            if !matches!(ty, AttributeType::MP_REACH_NLRI | AttributeType::MP_UNREACH_NLRI) {
                return;
            }
        }
        match rfc7606::check_value(ty, b.get(vstart..vend).unwrap_or(&[]), ctx) {
            Ok(mp) => {
                // Attribute lists of messages fit in 65535 octets; in a longer list given
                // to `decode`, attributes beyond that are checked but not indexed.
                if let (Some(s), Ok(p)) =
                    (a.slots.get_mut(usize::from(slot)), u16::try_from(start + 1))
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
}

impl<B: Octets> Attributes<B> {
    /// Position of the list in [`Attributes::buffer`].
    pub fn range(&self) -> core::ops::Range<usize> {
        self.idx.start as usize..self.idx.end as usize
    }

    /// The attribute octets.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.as_ref().get(self.idx.start as usize..self.idx.end as usize).unwrap_or(&[])
    }

    /// True when there is no attribute at all.
    pub fn is_empty(&self) -> bool {
        self.idx.start == self.idx.end
    }

    /// Every attribute in wire order, including unknown, duplicate and malformed ones (but
    /// not a malformed tail of the list).
    pub fn iter(&self) -> AttributeIter<'_> {
        AttributeIter {
            b: self.as_bytes(),
            pos: 0,
            base: self.idx.base as usize + self.idx.start as usize,
        }
    }

    /// Whether a valid occurrence of a known attribute is present.
    #[inline]
    pub fn contains(&self, t: AttributeType) -> bool {
        self.idx.slots.get(usize::from(SLOT[usize::from(t.0)])).is_some_and(|s| *s != 0)
    }

    /// The first valid occurrence of a known attribute.
    pub fn get(&self, t: AttributeType) -> Option<RawAttribute<'_>> {
        let slot = usize::from(*self.idx.slots.get(usize::from(SLOT[usize::from(t.0)]))?);
        let pos = slot.checked_sub(1)?;
        let list = self.as_bytes();
        let (flags, t, vstart, vend) = header(list, pos)?;
        Some(RawAttribute {
            flags: Flags(flags),
            type_code: AttributeType(t),
            value: list.get(vstart..vend)?,
            offset: self.idx.base as usize + self.idx.start as usize + pos,
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
        Some(AsPathRef::prechecked(self.value(AttributeType::AS_PATH)?, self.idx.four_octet_as))
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
            self.idx.four_octet_as,
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
        let facts = self.idx.reach?;
        let v = self.value(AttributeType::MP_REACH_NLRI)?;
        let p = split_reach(v).ok()?;
        Some(MpReachRef {
            family: facts.family,
            next_hop: p.next_hop,
            nlri: p.nlri,
            add_path: self.idx.reach_add_path,
            buf: self.buf.shared(),
        })
    }

    /// MP_UNREACH_NLRI, when present and valid.
    pub fn mp_unreach(&self) -> Option<MpUnreachRef<'_>> {
        let facts = self.idx.unreach?;
        let (_, nlri) = split_unreach(self.value(AttributeType::MP_UNREACH_NLRI)?).ok()?;
        Some(MpUnreachRef {
            family: facts.family,
            nlri,
            add_path: self.idx.unreach_add_path,
            buf: self.buf.shared(),
        })
    }

    /// Whether MP_REACH_NLRI carries at least one route.
    pub fn mp_reach_has_routes(&self) -> bool {
        self.idx.reach.is_some_and(|f| f.has_routes)
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
            let value = self.buf.share(raw.value);
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

impl<'a> AttributeIter<'a> {
    /// The attributes of an encoded list (flags, type, length, value, one after another),
    /// up to the first that overruns it; offsets are from the list's start.
    pub fn over(list: &'a [u8]) -> AttributeIter<'a> {
        AttributeIter { b: list, pos: 0, base: 0 }
    }
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
    /// The message, when it is kept as [`Bytes`].
    buf: Option<&'a Bytes>,
}

impl<'a> MpReachRef<'a> {
    /// The next hop, typed for IPv4/IPv6 families; for other families the octets, sharing
    /// the message's memory (copied from a borrowed message).
    pub fn next_hop(&self) -> NextHop {
        match PrefixAfi::of(self.family).and_then(|_| NextHop::from_octets(self.next_hop)) {
            Some(n) => n,
            None => NextHop::Other(share(self.buf, self.next_hop)),
        }
    }

    /// The routes of a typed family (nothing for a raw family: see `nlri`).
    pub fn routes(&self) -> NlriIter<'a> {
        match PrefixAfi::of(self.family) {
            Some(afi) => NlriIter::new(self.nlri, afi, self.add_path),
            None => NlriIter::empty(),
        }
    }

    /// The NLRI octets, sharing the message's memory (copied from a borrowed message).
    pub fn nlri_bytes(&self) -> Bytes {
        share(self.buf, self.nlri)
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
    /// The message, when it is kept as [`Bytes`].
    buf: Option<&'a Bytes>,
}

impl<'a> MpUnreachRef<'a> {
    /// The withdrawn routes of a typed family (nothing for a raw family: see `nlri`).
    pub fn routes(&self) -> NlriIter<'a> {
        match PrefixAfi::of(self.family) {
            Some(afi) => NlriIter::new(self.nlri, afi, self.add_path),
            None => NlriIter::empty(),
        }
    }

    /// The withdrawn routes octets, sharing the message's memory (copied from a borrowed
    /// message).
    pub fn nlri_bytes(&self) -> Bytes {
        share(self.buf, self.nlri)
    }
}
