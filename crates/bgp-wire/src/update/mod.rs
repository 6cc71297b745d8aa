//! UPDATE messages (RFC 4271 §4.3), zero-copy.
//!
//! [`Update::decode`] checks the whole message in one pass (withdrawn routes, attribute list,
//! NLRI) and keeps the input [`Bytes`] with the ranges of each part; routes are then iterated
//! lazily from the checked octets. Malformed attributes are classified per RFC 7606 and kept
//! beside the message ([`Update::issues`]); only what leaves the message unusable is an
//! [`Error`]. Re-encoding a decoded message writes the input octets unchanged.
//!
//! [`OwnedUpdate`] is the owned form for building messages; [`builder`] packs many routes
//! into as few messages as fit.
//!
//! ```
//! use bgp_wire::attribute::{AsPath, Attribute, NextHop, Origin, PathAttribute};
//! use bgp_wire::nlri::Nlri;
//! use bgp_wire::update::builder::{Encoding, UpdateBuilder};
//! use bgp_wire::update::Update;
//! use bgp_wire::{Context, Family};
//! use bytes::BytesMut;
//!
//! let ctx = Context::modern();
//! let attrs = [
//!     PathAttribute::new(Attribute::Origin(Origin::Igp)),
//!     PathAttribute::new(Attribute::AsPath(AsPath::from_sequence([64512]))),
//! ];
//! let routes = [Nlri::new("10.244.1.0/24".parse().unwrap())];
//! let next_hop = NextHop::Ipv4("192.0.2.1".parse().unwrap());
//! let mut buf = BytesMut::new();
//! let builder = UpdateBuilder::new(&ctx, &attrs);
//! let n = builder.announce(Family::IPV4_UNICAST, &next_hop, &routes, Encoding::Classic, &mut buf);
//! assert_eq!(n, 1);
//!
//! let update = Update::decode(buf.freeze(), &ctx).unwrap();
//! assert_eq!(update.action(), None); // no RFC 7606 issue
//! assert_eq!(update.nlri().collect::<Vec<_>>(), routes);
//! assert_eq!(update.attributes().as_path_ref().map(|p| p.path_len()), Some(1));
//! ```

use core::ops::Range;

use bytes::{Bytes, BytesMut};

use crate::attribute::set::{Index, MpReachRef, MpUnreachRef, Octets};
use crate::attribute::{Attribute, AttributeType, Attributes, MpNlri, MpUnreach, PathAttribute};
use crate::codes::{header as header_sub, update as sub, ErrorCode};
use crate::context::Context;
use crate::error::{Action, AttributeIssue, Error, Reason};
use crate::header::{begin_message, finish_message, Header, MessageType, HEADER_LEN};
use crate::nlri::{self, Nlri, NlriIter, PrefixAfi};
use crate::types::Family;

pub mod builder;

/// A checked UPDATE message over the received octets.
///
/// `B` holds the octets: [`Bytes`] by default (the message is kept, shared with the buffer it
/// was cut from), or `&[u8]` for [`UpdateRef`], a view that borrows them. Both are decoded and
/// checked by the same code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Update<B = Bytes> {
    /// The attributes; their buffer is the whole message.
    attributes: Attributes<B>,
    /// End of the Withdrawn Routes field (it starts at offset 21).
    withdrawn_end: u32,
    add_path: bool,
    issues: Vec<AttributeIssue>,
}

/// A checked UPDATE message borrowing the received octets: no reference count is touched and
/// nothing is allocated unless an attribute is malformed. Octets handed out as [`Bytes`] (raw
/// next hops and NLRI of untyped families, error data) are copied.
pub type UpdateRef<'a> = Update<&'a [u8]>;

/// Offset of the Withdrawn Routes field.
const WITHDRAWN_START: usize = HEADER_LEN + 2;

#[cold]
fn malformed(subcode: u8, reason: Reason, offset: usize, data: Bytes) -> Error {
    Error::new(ErrorCode::UPDATE_MESSAGE, subcode, reason, offset, data)
}

impl<B: Octets> Update<B> {
    /// Decodes a whole message, header included, whose header was checked (as
    /// [`crate::message::Message::decode`] does), under the receiving context.
    ///
    /// Errors are what RFC 7606 still handles by resetting the session because the message
    /// cannot be used: lengths that overrun the message (RFC 4271 §6.3: "If the Withdrawn
    /// Routes Length or Total Attribute Length is too large ... the Error Subcode MUST be set
    /// to Malformed Attribute List"), and withdrawn routes or NLRI that do not parse (RFC 7606
    /// §5.3; RFC 4271 §6.3 "Invalid Network Field").
    #[inline]
    pub fn decode(msg: B, ctx: &Context) -> Result<Update<B>, Error> {
        let mut issues = Vec::new();
        let (idx, withdrawn_end, add_path) = check(&msg, msg.as_ref(), ctx, &mut issues)?;
        let mut u = Update {
            attributes: Attributes::from_parts(msg, idx),
            withdrawn_end,
            add_path,
            issues,
        };
        u.check_mandatory();
        Ok(u)
    }

    /// Like [`Update::decode`], checking the message header first (marker, length, type):
    /// what [`crate::message::Message::decode`] does for an UPDATE.
    #[inline]
    pub fn decode_message(msg: B, ctx: &Context) -> Result<Update<B>, Error> {
        let h = Header::check(msg.as_ref(), ctx.max_message_len())?;
        if msg.as_ref().len() != usize::from(h.length) {
            return Err(crate::message::length_mismatch(msg.as_ref().len(), h.length));
        }
        if h.message_type != MessageType::UPDATE {
            return Err(crate::message::wrong_type(h.message_type));
        }
        Update::decode(msg, ctx)
    }

    /// RFC 7606 §3 (d): "If any of the well-known mandatory attributes are not present in an
    /// UPDATE message, then 'treat-as-withdraw' MUST be used. (Note that \[RFC4760\]
    /// reclassifies NEXT_HOP as what is effectively discretionary.)" ORIGIN and AS_PATH are
    /// needed when any route is announced; NEXT_HOP when routes are in the NLRI field
    /// (RFC 4760 §3: an UPDATE carrying only MP_REACH_NLRI need not carry it).
    #[inline]
    fn check_mandatory(&mut self) {
        let classic = !self.nlri_range().is_empty();
        let a = &self.attributes;
        // The usual case, decided without looking at the issues.
        if a.contains(AttributeType::ORIGIN)
            && a.contains(AttributeType::AS_PATH)
            && (!classic || a.contains(AttributeType::NEXT_HOP))
        {
            return;
        }
        if !classic && !self.attributes.mp_reach_has_routes() {
            return;
        }
        self.report_missing(classic);
    }

    /// The issues of [`Update::check_mandatory`], for a message that lacks a well-known
    /// attribute it needs (or has it only as a malformed one).
    #[inline(never)]
    fn report_missing(&mut self, classic: bool) {
        let present = |t: AttributeType| {
            self.attributes.contains(t) || self.issues.iter().any(|i| i.type_code == t.0)
        };
        let mut missing = Vec::new();
        if !present(AttributeType::ORIGIN) {
            missing.push(AttributeType::ORIGIN);
        }
        // RFC 8205 §4.1: a BGPsec UPDATE carries BGPsec_PATH (33) "in place of" AS_PATH.
        if !present(AttributeType::AS_PATH) && !self.attributes.iter().any(|a| a.type_code.0 == 33)
        {
            missing.push(AttributeType::AS_PATH);
        }
        if classic && !present(AttributeType::NEXT_HOP) {
            missing.push(AttributeType::NEXT_HOP);
        }
        for t in missing {
            // RFC 4271 §6.3: "the Data field MUST contain the Attribute Type Code of the
            // missing, well-known attribute".
            let error = malformed(
                sub::MISSING_WELL_KNOWN_ATTRIBUTE,
                Reason::MissingWellKnown(t.0),
                self.attributes_range().start,
                Bytes::copy_from_slice(&[t.0]),
            );
            self.issues.push(AttributeIssue {
                type_code: t.0,
                action: Action::TreatAsWithdraw,
                error,
            });
        }
    }

    fn attributes_range(&self) -> Range<usize> {
        self.attributes.range()
    }

    fn withdrawn_range(&self) -> Range<usize> {
        WITHDRAWN_START..self.withdrawn_end as usize
    }

    fn nlri_range(&self) -> Range<usize> {
        self.attributes.range().end..self.attributes.octets().len()
    }

    fn field(&self, r: Range<usize>) -> &[u8] {
        self.attributes.octets().get(r).unwrap_or(&[])
    }

    /// The whole message, header included.
    pub fn octets(&self) -> &[u8] {
        self.attributes.octets()
    }

    /// Writes the message. A decoded message is written exactly as received.
    pub fn encode(&self, _ctx: &Context, buf: &mut BytesMut) {
        buf.extend_from_slice(self.octets());
    }

    /// Withdrawn IPv4 unicast routes of the Withdrawn Routes field.
    pub fn withdrawn(&self) -> NlriIter<'_> {
        NlriIter::new(self.field(self.withdrawn_range()), PrefixAfi::Ipv4, self.add_path)
    }

    /// IPv4 unicast routes of the NLRI field.
    pub fn nlri(&self) -> NlriIter<'_> {
        NlriIter::new(self.field(self.nlri_range()), PrefixAfi::Ipv4, self.add_path)
    }

    /// Octets of the Withdrawn Routes field.
    pub fn withdrawn_bytes(&self) -> &[u8] {
        self.field(self.withdrawn_range())
    }

    /// Octets of the NLRI field.
    pub fn nlri_bytes(&self) -> &[u8] {
        self.field(self.nlri_range())
    }

    /// The path attributes.
    pub fn attributes(&self) -> &Attributes<B> {
        &self.attributes
    }

    /// MP_REACH_NLRI, when present and valid.
    pub fn mp_reach(&self) -> Option<MpReachRef<'_>> {
        self.attributes.mp_reach()
    }

    /// MP_UNREACH_NLRI, when present and valid.
    pub fn mp_unreach(&self) -> Option<MpUnreachRef<'_>> {
        self.attributes.mp_unreach()
    }

    /// Malformed attributes found while decoding, with what RFC 7606 says to do.
    pub fn issues(&self) -> &[AttributeIssue] {
        &self.issues
    }

    /// The harshest action among the issues, if any.
    pub fn action(&self) -> Option<Action> {
        self.issues.iter().map(|i| i.action).max()
    }

    /// The family this message marks the End-of-RIB of, if it is such a marker.
    ///
    /// RFC 4724 §2: "An UPDATE message with no reachable Network Layer Reachability
    /// Information (NLRI) and empty withdrawn NLRI is specified as the End-of-RIB marker that
    /// can be used by a BGP speaker to indicate to its peer the completion of the initial
    /// routing update after the session is established. For the IPv4 unicast address family,
    /// the End-of-RIB marker is an UPDATE message with the minimum length \[RFC4271\]. For any
    /// other address family, it is an UPDATE message that contains only the MP_UNREACH_NLRI
    /// attribute \[RFC4760\] with no withdrawn routes for that <AFI, SAFI>."
    pub fn end_of_rib(&self) -> Option<Family> {
        if !self.withdrawn_range().is_empty() || !self.nlri_range().is_empty() {
            return None;
        }
        if self.attributes.is_empty() {
            return Some(Family::IPV4_UNICAST);
        }
        let mut it = self.attributes.iter();
        let only = it.next()?;
        if it.next().is_some() || only.type_code != AttributeType::MP_UNREACH_NLRI {
            return None;
        }
        let u = self.attributes.mp_unreach()?;
        u.nlri.is_empty().then_some(u.family)
    }

    /// The owned, typed form of the message. Attributes reported as issues are left out;
    /// prefixes are canonical. `ctx` must be the decoding context.
    pub fn to_owned_update(&self, ctx: &Context) -> OwnedUpdate {
        OwnedUpdate {
            withdrawn: self.withdrawn().collect(),
            attributes: self.attributes.to_owned_attributes(ctx),
            nlri: self.nlri().collect(),
        }
    }

    /// Every announced route of a typed family, from the NLRI field and MP_REACH_NLRI.
    pub fn announced(&self) -> impl Iterator<Item = (Family, Nlri)> + '_ {
        let mp = self.mp_reach();
        self.nlri()
            .map(|n| (Family::IPV4_UNICAST, n))
            .chain(mp.into_iter().flat_map(|m| m.routes().map(move |n| (m.family, n))))
    }

    /// Every withdrawn route of a typed family, from the Withdrawn Routes field and
    /// MP_UNREACH_NLRI.
    pub fn withdrawals(&self) -> impl Iterator<Item = (Family, Nlri)> + '_ {
        let mp = self.mp_unreach();
        self.withdrawn()
            .map(|n| (Family::IPV4_UNICAST, n))
            .chain(mp.into_iter().flat_map(|m| m.routes().map(move |n| (m.family, n))))
    }
}

/// Checks a whole UPDATE (`msg`, header included, held by `owner`): the field lengths, the
/// withdrawn routes and NLRI, and every attribute. Returns what was found in the attribute
/// list, the end of the Withdrawn Routes field and whether IPv4 unicast routes carry path
/// identifiers; attribute faults are appended to `issues`.
#[inline]
fn check<B: Octets>(
    owner: &B,
    msg: &[u8],
    ctx: &Context,
    issues: &mut Vec<AttributeIssue>,
) -> Result<(Index, u32, bool), Error> {
    let body = msg.get(HEADER_LEN..).ok_or_else(|| {
        Error::new(
            ErrorCode::MESSAGE_HEADER,
            header_sub::BAD_MESSAGE_LENGTH,
            Reason::Truncated { needed: HEADER_LEN, available: msg.len() },
            0,
            Bytes::new(),
        )
    })?;
    let add_path = ctx.has_path_id(Family::IPV4_UNICAST);
    let list_error = |offset: usize, reason: Reason| {
        malformed(sub::MALFORMED_ATTRIBUTE_LIST, reason, offset, Bytes::new())
    };

    // Withdrawn Routes Length (2) and Withdrawn Routes.
    let w_len = match body {
        [a, b, ..] => usize::from(u16::from_be_bytes([*a, *b])),
        _ => {
            return Err(list_error(
                HEADER_LEN,
                Reason::Truncated { needed: 2, available: body.len() },
            ))
        }
    };
    let w_start = WITHDRAWN_START;
    let w_end = w_start + w_len;
    // Total Path Attribute Length (2).
    let a_len = match msg.get(w_end..w_end + 2) {
        Some([a, b]) => usize::from(u16::from_be_bytes([*a, *b])),
        _ => {
            let available = msg.len().saturating_sub(w_start);
            return Err(list_error(HEADER_LEN, Reason::Truncated { needed: w_len + 2, available }));
        }
    };
    let a_start = w_end + 2;
    let a_end = a_start + a_len;
    if a_end > msg.len() {
        let available = msg.len() - a_start;
        return Err(list_error(w_end, Reason::Truncated { needed: a_len, available }));
    }
    let check_field = |r: Range<usize>| -> Result<(), Error> {
        let field = msg.get(r.clone()).unwrap_or(&[]);
        nlri::check(field, PrefixAfi::Ipv4, add_path).map(|_| ()).map_err(|(pos, reason)| {
            let data = owner.share(msg.get(r.start + pos..r.end).unwrap_or(&[]));
            malformed(sub::INVALID_NETWORK_FIELD, reason, r.start + pos, data)
        })
    };
    check_field(w_start..w_end)?;
    check_field(a_end..msg.len())?;

    let mut idx = Index::EMPTY;
    idx.fill(msg, a_start..a_end, 0, ctx, issues);
    Ok((idx, w_end as u32, add_path))
}

impl Update<Bytes> {
    /// The whole message, header included.
    pub fn as_bytes(&self) -> &Bytes {
        self.attributes.buffer()
    }
}

/// An UPDATE as owned, typed parts: what a speaker builds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OwnedUpdate {
    /// Withdrawn IPv4 unicast routes (Withdrawn Routes field).
    pub withdrawn: Vec<Nlri>,
    /// Path attributes, written in this order.
    pub attributes: Vec<PathAttribute>,
    /// Announced IPv4 unicast routes (NLRI field).
    pub nlri: Vec<Nlri>,
}

impl OwnedUpdate {
    /// The End-of-RIB marker of a family (RFC 4724 §2).
    pub fn end_of_rib(family: Family) -> OwnedUpdate {
        if family == Family::IPV4_UNICAST {
            return OwnedUpdate::default();
        }
        OwnedUpdate {
            attributes: vec![PathAttribute::new(Attribute::MpUnreachNlri(MpUnreach::end_of_rib(
                family,
            )))],
            ..OwnedUpdate::default()
        }
    }

    /// Length of the encoded message, header included.
    pub fn wire_len(&self, ctx: &Context) -> usize {
        let ap = ctx.has_path_id(Family::IPV4_UNICAST);
        HEADER_LEN
            + 4
            + self.withdrawn.iter().map(|n| n.wire_len(ap)).sum::<usize>()
            + self.attributes.iter().map(|a| a.wire_len(ctx)).sum::<usize>()
            + self.nlri.iter().map(|n| n.wire_len(ap)).sum::<usize>()
    }

    /// Writes the message, header included. The caller keeps it within
    /// `ctx.max_message_len()` (the [`builder`] does).
    pub fn encode(&self, ctx: &Context, buf: &mut BytesMut) {
        let ap = ctx.has_path_id(Family::IPV4_UNICAST);
        let start = begin_message(MessageType::UPDATE, buf);
        let at = buf.len();
        buf.extend_from_slice(&[0, 0]);
        self.withdrawn.iter().for_each(|n| n.encode(ap, buf));
        let w_len = buf.len() - at - 2;
        buf[at..at + 2].copy_from_slice(&(w_len.min(0xffff) as u16).to_be_bytes());
        let at = buf.len();
        buf.extend_from_slice(&[0, 0]);
        self.attributes.iter().for_each(|a| a.encode(ctx, buf));
        let a_len = buf.len() - at - 2;
        buf[at..at + 2].copy_from_slice(&(a_len.min(0xffff) as u16).to_be_bytes());
        self.nlri.iter().for_each(|n| n.encode(ap, buf));
        finish_message(start, buf);
    }

    /// Encodes and decodes back: the message as a peer would receive it.
    pub fn to_update(&self, ctx: &Context) -> Result<Update, Error> {
        let mut b = BytesMut::with_capacity(self.wire_len(ctx));
        self.encode(ctx, &mut b);
        Update::decode(b.freeze(), ctx)
    }

    /// The message as it must be passed to another peer: unknown optional transitive
    /// attributes get the Partial bit, unknown non-transitive ones are dropped (RFC 4271 §5).
    pub fn for_readvertisement(&self) -> OwnedUpdate {
        OwnedUpdate {
            withdrawn: self.withdrawn.clone(),
            attributes: self
                .attributes
                .iter()
                .filter_map(PathAttribute::for_readvertisement)
                .collect(),
            nlri: self.nlri.clone(),
        }
    }

    /// Routes of an MP attribute of this message, if any, by type.
    pub fn mp_routes(&self, t: AttributeType) -> Option<(Family, &MpNlri)> {
        self.attributes.iter().find_map(|a| match (&a.value, t) {
            (Attribute::MpReachNlri(m), AttributeType::MP_REACH_NLRI) => Some((m.family, &m.nlri)),
            (Attribute::MpUnreachNlri(m), AttributeType::MP_UNREACH_NLRI) => {
                Some((m.family, &m.nlri))
            }
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests;
