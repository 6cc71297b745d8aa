//! Packing many routes that share one attribute set into as few UPDATE messages as fit the
//! negotiated maximum size (RFC 4271 §4.1, RFC 8654 §4).
//!
//! Routes are packed greedily in the order given: a message is closed when the next route
//! would not fit.

use core::net::Ipv4Addr;

use bytes::{Bytes, BytesMut};

use crate::attribute::set::AttributeIter;
use crate::attribute::{as4, Attribute, AttributeType, Flags, NextHop, PathAttribute};
use crate::context::Context;
use crate::header::{begin_message, finish_message, MessageType, HEADER_LEN, MARKER};
use crate::nlri::Nlri;
use crate::types::Family;

/// Where the routes go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// The NLRI / Withdrawn Routes fields of RFC 4271: IPv4 unicast with an IPv4 next hop
    /// only; anything else falls back to [`Encoding::MpReach`].
    Classic,
    /// MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760), for any family.
    MpReach,
}

/// Builds UPDATE messages for one attribute set.
///
/// The attributes are encoded straight into the first message and copied from there into
/// the next ones: building allocates nothing in the usual case (attributes given in
/// ascending type order, or a 4-octet AS session).
#[derive(Clone, Debug)]
pub struct UpdateBuilder<'a> {
    ctx: &'a Context,
    /// The attributes as given; those the builder writes itself are skipped.
    attributes: &'a [PathAttribute],
    /// AS4_PATH / AS4_AGGREGATOR added toward an OLD speaker.
    extras: Vec<PathAttribute>,
    /// Indices into `attributes` followed by `extras`, in ascending type order, when there are
    /// extras; `None` otherwise (`attributes` are then sorted when written, if they need it).
    order: Option<Vec<usize>>,
}

/// Octets of an attribute header for a value of `len` octets, built fresh: Extended Length
/// only when the value needs it.
fn header_len(len: usize) -> usize {
    if len > 255 {
        4
    } else {
        3
    }
}

fn put_header(flags: Flags, t: AttributeType, len: usize, buf: &mut BytesMut) {
    if len > 255 {
        buf.extend_from_slice(&[flags.0 | Flags::EXTENDED_LENGTH]);
        buf.extend_from_slice(&[t.0]);
        buf.extend_from_slice(&(len.min(0xffff) as u16).to_be_bytes());
    } else {
        buf.extend_from_slice(&[flags.0]);
        buf.extend_from_slice(&[t.0]);
        buf.extend_from_slice(&[len as u8]);
    }
}

/// Writes the header (its length left for [`finish_message`]), the Withdrawn Routes Length
/// and the Total Path Attribute Length of a message whose attributes come right after; returns
/// where the message starts. One fixed-size write.
fn start_update(withdrawn_len: usize, attrs_len: usize, buf: &mut BytesMut) -> usize {
    let start = buf.len();
    let mut h = [0u8; HEADER_LEN + 4];
    h[..16].copy_from_slice(&MARKER);
    h[18] = MessageType::UPDATE.0;
    h[19..21].copy_from_slice(&(withdrawn_len.min(0xffff) as u16).to_be_bytes());
    h[21..23].copy_from_slice(&(attrs_len.min(0xffff) as u16).to_be_bytes());
    buf.extend_from_slice(&h);
    start
}

/// Something packed into an NLRI field: a typed route, or the encoded NLRI of a family
/// without typed support.
trait Item {
    fn wire_len(&self, add_path: bool) -> usize;
    fn put(&self, add_path: bool, buf: &mut BytesMut);
}

impl Item for Nlri {
    fn wire_len(&self, add_path: bool) -> usize {
        Nlri::wire_len(self, add_path)
    }
    fn put(&self, add_path: bool, buf: &mut BytesMut) {
        self.encode(add_path, buf);
    }
}

impl Item for Bytes {
    fn wire_len(&self, _: bool) -> usize {
        self.len()
    }
    fn put(&self, _: bool, buf: &mut BytesMut) {
        buf.extend_from_slice(self);
    }
}

/// Splits `items` into runs whose encoded size fits `room` (at least one item per run).
fn runs<T: Item>(
    items: &[T],
    add_path: bool,
    room: usize,
) -> impl Iterator<Item = (&[T], usize)> + '_ {
    let mut rest = items;
    core::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut used = 0;
        let mut n = 0;
        for r in rest {
            let l = r.wire_len(add_path);
            if n > 0 && used + l > room {
                break;
            }
            used += l;
            n += 1;
        }
        let (run, tail) = rest.split_at(n);
        rest = tail;
        Some((run, used))
    })
}

/// Whether the builder writes an attribute of this type itself, or leaves it out.
fn skipped(t: AttributeType, ctx: &Context) -> bool {
    let own = matches!(
        t,
        AttributeType::NEXT_HOP | AttributeType::MP_REACH_NLRI | AttributeType::MP_UNREACH_NLRI
    );
    let as4 = matches!(t, AttributeType::AS4_PATH | AttributeType::AS4_AGGREGATOR);
    own || (as4 && ctx.four_octet_as)
}

/// Indices into `attributes` followed by `extras` of the attributes the builder writes from
/// them, in ascending type order (stable: a duplicate keeps its place).
fn sorted_order(
    attributes: &[PathAttribute],
    extras: &[PathAttribute],
    ctx: &Context,
) -> Vec<usize> {
    let n = attributes.len();
    let mut idx: Vec<usize> = (0..n + extras.len())
        .filter(|&i| attributes.get(i).is_none_or(|a| !skipped(a.type_code(), ctx)))
        .collect();
    idx.sort_by_key(|&i| attributes.get(i).or_else(|| extras.get(i - n)).map(|a| a.type_code()));
    idx
}

impl<'a> UpdateBuilder<'a> {
    /// A builder for `attributes` under the sending context. NEXT_HOP, MP_REACH_NLRI and
    /// MP_UNREACH_NLRI among them are ignored: the builder writes its own.
    ///
    /// RFC 4271 §5: "The sender of an UPDATE message SHOULD order path attributes within the
    /// UPDATE message in ascending order of attribute type"; the builder does (after
    /// MP_REACH_NLRI, which RFC 7606 §5.1 puts first).
    ///
    /// RFC 6793 is applied: toward a speaker without 4-octet AS support (an OLD speaker), AS
    /// numbers that do not fit are written as AS_TRANS and AS4_PATH / AS4_AGGREGATOR carry
    /// the real ones (§4.2.2), added when not given; toward a NEW speaker AS4_PATH and
    /// AS4_AGGREGATOR are not sent (§4.1).
    pub fn new(ctx: &'a Context, attributes: &'a [PathAttribute]) -> UpdateBuilder<'a> {
        let mut extras = Vec::new();
        if !ctx.four_octet_as {
            let has = |t: AttributeType| attributes.iter().any(|a| a.type_code() == t);
            for a in attributes {
                match &a.value {
                    Attribute::AsPath(p) if !has(AttributeType::AS4_PATH) => {
                        let p = as4::as4_path_for(p);
                        extras.extend(p.map(|p| PathAttribute::new(Attribute::As4Path(p))));
                    }
                    Attribute::Aggregator(g)
                        if g.asn.is_four_octet() && !has(AttributeType::AS4_AGGREGATOR) =>
                    {
                        extras.push(PathAttribute::new(Attribute::As4Aggregator(*g)));
                    }
                    _ => {}
                }
            }
        }
        // With AS4 attributes to add, the order is settled here; otherwise the attributes are
        // written as given when they are in ascending type order (see `write_attributes`).
        let order = (!extras.is_empty()).then(|| sorted_order(attributes, &extras, ctx));
        UpdateBuilder { ctx, attributes, extras, order }
    }

    /// Encoded length of every attribute written, NEXT_HOP excepted.
    fn attributes_len(&self) -> usize {
        let mut len = 0;
        for a in self.attributes {
            if !skipped(a.type_code(), self.ctx) {
                len += a.wire_len(self.ctx);
            }
        }
        for a in &self.extras {
            len += a.wire_len(self.ctx);
        }
        len
    }

    /// Writes the attributes in ascending type order, with NEXT_HOP among them when given.
    fn write_attributes(&self, next_hop: Option<Ipv4Addr>, buf: &mut BytesMut) {
        if let Some(order) = &self.order {
            return self.write_in(order, next_hop, buf);
        }
        // The attributes as given, when they already are in ascending type order (the usual
        // case); otherwise what was written is dropped and they are written sorted.
        let start = buf.len();
        let mut pending = next_hop;
        let mut last = AttributeType(0);
        for a in self.attributes {
            let t = a.type_code();
            if skipped(t, self.ctx) {
                continue;
            }
            if t < last {
                buf.truncate(start);
                let order = sorted_order(self.attributes, &self.extras, self.ctx);
                return self.write_in(&order, next_hop, buf);
            }
            last = t;
            if t > AttributeType::NEXT_HOP {
                if let Some(nh) = pending.take() {
                    put_classic_next_hop(nh, buf);
                }
            }
            a.encode(self.ctx, buf);
        }
        if let Some(nh) = pending {
            put_classic_next_hop(nh, buf);
        }
    }

    /// Writes the attributes in `order` (indices into `attributes` followed by `extras`), with
    /// NEXT_HOP among them when given.
    fn write_in(&self, order: &[usize], next_hop: Option<Ipv4Addr>, buf: &mut BytesMut) {
        let mut pending = next_hop;
        let n = self.attributes.len();
        for &i in order {
            if let Some(a) = self.attributes.get(i).or_else(|| self.extras.get(i - n)) {
                if a.type_code() > AttributeType::NEXT_HOP {
                    if let Some(nh) = pending.take() {
                        put_classic_next_hop(nh, buf);
                    }
                }
                a.encode(self.ctx, buf);
            }
        }
        if let Some(nh) = pending {
            put_classic_next_hop(nh, buf);
        }
    }

    /// Writes UPDATEs announcing `routes` of `family` with `next_hop` into `buf`; returns how
    /// many messages were written. Each fits `ctx.max_message_len()` unless the attributes
    /// alone leave no room for a single route.
    pub fn announce(
        &self,
        family: Family,
        next_hop: &NextHop,
        routes: &[Nlri],
        encoding: Encoding,
        buf: &mut BytesMut,
    ) -> usize {
        announce_items(self, self.ctx, family, next_hop, routes, encoding, buf)
    }

    /// Like [`UpdateBuilder::announce`] for a family without typed NLRI (labelled unicast,
    /// VPN, EVPN, flowspec...): each item is one encoded NLRI, path identifier included when
    /// ADD-PATH applies. Always MP_REACH_NLRI.
    pub fn announce_raw(
        &self,
        family: Family,
        next_hop: &NextHop,
        nlri: &[Bytes],
        buf: &mut BytesMut,
    ) -> usize {
        announce_items(self, self.ctx, family, next_hop, nlri, Encoding::MpReach, buf)
    }

    /// The attributes encoded once, to announce many batches of routes with later
    /// ([`EncodedAttributes::announce`]) without encoding them again.
    pub fn encoded(&self) -> EncodedAttributes {
        let mut buf = BytesMut::with_capacity(self.attributes_len());
        self.write_attributes(None, &mut buf);
        EncodedAttributes::from_octets(buf.to_vec())
    }
}

/// What the announcing code needs of an attribute set: its encoded length, NEXT_HOP excepted,
/// and a way to write it with NEXT_HOP among the attributes when given.
trait Writer {
    fn len(&self) -> usize;
    fn write(&self, next_hop: Option<Ipv4Addr>, buf: &mut BytesMut);
}

impl Writer for UpdateBuilder<'_> {
    fn len(&self) -> usize {
        self.attributes_len()
    }
    fn write(&self, next_hop: Option<Ipv4Addr>, buf: &mut BytesMut) {
        self.write_attributes(next_hop, buf)
    }
}

/// Path attributes encoded for one sending context, in ascending type order, without
/// NEXT_HOP, MP_REACH_NLRI or MP_UNREACH_NLRI (written per message): what a speaker keeps
/// for each attribute set it advertises, so that a set sent in many batches is encoded once.
/// Made by [`UpdateBuilder::encoded`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EncodedAttributes {
    octets: Box<[u8]>,
    /// Where a classic NEXT_HOP is inserted (RFC 4271 §5: ascending type order).
    next_hop_at: u32,
}

impl EncodedAttributes {
    /// Attributes already encoded for the context they will be sent in: whole attributes
    /// in ascending type order, without NEXT_HOP, MP_REACH_NLRI or MP_UNREACH_NLRI (what
    /// [`UpdateBuilder::encoded`] makes).
    pub fn from_octets(octets: Vec<u8>) -> EncodedAttributes {
        // Where a classic NEXT_HOP goes: before the first attribute of a higher type.
        let at = AttributeIter::over(&octets)
            .find(|a| a.type_code > AttributeType::NEXT_HOP)
            .map_or(octets.len(), |a| a.offset);
        EncodedAttributes { octets: octets.into_boxed_slice(), next_hop_at: at as u32 }
    }

    /// The encoded attributes.
    pub fn octets(&self) -> &[u8] {
        &self.octets
    }

    /// The attributes back in typed form, decoded under `ctx` (the context they were encoded
    /// for); an attribute that does not decode is left out.
    pub fn attributes(&self, ctx: &Context) -> Vec<PathAttribute> {
        AttributeIter::over(&self.octets)
            .filter_map(|a| {
                let value = Bytes::copy_from_slice(a.value);
                Some(PathAttribute::with_flags(
                    a.flags,
                    Attribute::decode(a.type_code, &value, ctx).ok()?,
                ))
            })
            .collect()
    }

    /// Writes UPDATEs announcing `routes` with these attributes, as
    /// [`UpdateBuilder::announce`] does; `ctx` must be the context they were encoded for.
    pub fn announce(
        &self,
        ctx: &Context,
        family: Family,
        next_hop: &NextHop,
        routes: &[Nlri],
        encoding: Encoding,
        buf: &mut BytesMut,
    ) -> usize {
        announce_items(self, ctx, family, next_hop, routes, encoding, buf)
    }
}

impl Writer for EncodedAttributes {
    fn len(&self) -> usize {
        self.octets.len()
    }
    fn write(&self, next_hop: Option<Ipv4Addr>, buf: &mut BytesMut) {
        let at = (self.next_hop_at as usize).min(self.octets.len());
        let (before, after) = self.octets.split_at(at);
        buf.extend_from_slice(before);
        if let Some(nh) = next_hop {
            put_classic_next_hop(nh, buf);
        }
        buf.extend_from_slice(after);
    }
}

fn announce_items<W: Writer, T: Item>(
    attributes: &W,
    ctx: &Context,
    family: Family,
    next_hop: &NextHop,
    items: &[T],
    encoding: Encoding,
    buf: &mut BytesMut,
) -> usize {
    let max = ctx.max_message_len();
    let add_path = ctx.has_path_id(family);
    let classic_nh = match (encoding, family, next_hop) {
        (Encoding::Classic, Family::IPV4_UNICAST, NextHop::Ipv4(a)) => Some(*a),
        _ => None,
    };
    let mut count = 0;
    // Where the attributes were written in the first message, to copy them from.
    let mut written: Option<core::ops::Range<usize>> = None;
    if let Some(nh) = classic_nh {
        if items.is_empty() {
            return 0;
        }
        // The first message's attributes are written before its routes are chosen: their
        // length, known once written, gives the room left for routes.
        let first = start_update(0, 0, buf);
        let at = buf.len();
        attributes.write(Some(nh), buf);
        let attrs_len = buf.len() - at;
        if let Some(f) = buf.get_mut(first + HEADER_LEN + 2..first + HEADER_LEN + 4) {
            f.copy_from_slice(&(attrs_len.min(0xffff) as u16).to_be_bytes());
        }
        let written = at..buf.len();
        let mut first = Some(first);
        let room = max.saturating_sub(HEADER_LEN + 4 + attrs_len);
        for (run, used) in runs(items, add_path, room) {
            let start = match first.take() {
                Some(start) => {
                    buf.reserve(used);
                    start
                }
                None => {
                    buf.reserve(HEADER_LEN + 4 + attrs_len + used);
                    let start = start_update(0, attrs_len, buf);
                    buf.extend_from_within(written.clone());
                    start
                }
            };
            run.iter().for_each(|r| r.put(add_path, buf));
            finish_message(start, buf);
            count += 1;
        }
        return count;
    }
    // MP_REACH_NLRI: AFI, SAFI, next hop length, next hop, reserved, NLRI.
    let fixed = 5 + next_hop.len();
    let own_len = attributes.len();
    let room = max.saturating_sub(HEADER_LEN + 4 + own_len + 4 + fixed);
    for (run, used) in runs(items, add_path, room) {
        let value_len = fixed + used;
        let attrs_len = own_len + header_len(value_len) + value_len;
        buf.reserve(HEADER_LEN + 4 + attrs_len);
        let start = start_update(0, attrs_len, buf);
        // RFC 7606 §5.1: "the MP_REACH_NLRI or MP_UNREACH_NLRI attribute ... SHALL be
        // encoded as the very first path attribute in an UPDATE message".
        put_header(Flags::OPTIONAL_NON_TRANSITIVE, AttributeType::MP_REACH_NLRI, value_len, buf);
        buf.extend_from_slice(&family.afi.0.to_be_bytes());
        buf.extend_from_slice(&[family.safi.0, next_hop.len() as u8]);
        put_next_hop(next_hop, buf);
        buf.extend_from_slice(&[0]);
        run.iter().for_each(|r| r.put(add_path, buf));
        let at = buf.len();
        match &written {
            Some(r) => buf.extend_from_within(r.clone()),
            None => attributes.write(None, buf),
        }
        written = Some(at..buf.len());
        finish_message(start, buf);
        count += 1;
    }
    count
}

/// NEXT_HOP: well-known transitive, 4 octets (RFC 4271 §5.1.3).
fn put_classic_next_hop(nh: Ipv4Addr, buf: &mut BytesMut) {
    let [a, b, c, d] = nh.octets();
    buf.extend_from_slice(&[Flags::TRANSITIVE, AttributeType::NEXT_HOP.0, 4, a, b, c, d]);
}

fn put_next_hop(nh: &NextHop, buf: &mut BytesMut) {
    match nh {
        NextHop::Ipv4(a) => buf.extend_from_slice(&a.octets()),
        NextHop::Ipv6(a) => buf.extend_from_slice(&a.octets()),
        NextHop::Ipv6LinkLocal { global, link_local } => {
            buf.extend_from_slice(&global.octets());
            buf.extend_from_slice(&link_local.octets());
        }
        NextHop::Other(b) => buf.extend_from_slice(&b[..nh.len()]),
    }
}

/// Writes UPDATEs withdrawing `routes` of `family` into `buf`; returns how many messages were
/// written. Classic encoding is used for IPv4 unicast when asked, MP_UNREACH_NLRI otherwise.
pub fn withdraw(
    ctx: &Context,
    family: Family,
    routes: &[Nlri],
    encoding: Encoding,
    buf: &mut BytesMut,
) -> usize {
    withdraw_items(ctx, family, routes, encoding, buf)
}

/// Like [`withdraw`] for a family without typed NLRI: each item is one encoded NLRI.
pub fn withdraw_raw(ctx: &Context, family: Family, nlri: &[Bytes], buf: &mut BytesMut) -> usize {
    withdraw_items(ctx, family, nlri, Encoding::MpReach, buf)
}

fn withdraw_items<T: Item>(
    ctx: &Context,
    family: Family,
    items: &[T],
    encoding: Encoding,
    buf: &mut BytesMut,
) -> usize {
    let max = ctx.max_message_len();
    let add_path = ctx.has_path_id(family);
    let mut count = 0;
    if encoding == Encoding::Classic && family == Family::IPV4_UNICAST {
        for (run, used) in runs(items, add_path, max - HEADER_LEN - 4) {
            let start = begin_message(MessageType::UPDATE, buf);
            buf.extend_from_slice(&(used as u16).to_be_bytes());
            run.iter().for_each(|r| r.put(add_path, buf));
            buf.extend_from_slice(&[0, 0]);
            finish_message(start, buf);
            count += 1;
        }
        return count;
    }
    for (run, used) in runs(items, add_path, max - HEADER_LEN - 4 - 4 - 3) {
        let value_len = 3 + used;
        let start = start_update(0, header_len(value_len) + value_len, buf);
        put_header(Flags::OPTIONAL_NON_TRANSITIVE, AttributeType::MP_UNREACH_NLRI, value_len, buf);
        buf.extend_from_slice(&(family.afi.0).to_be_bytes());
        buf.extend_from_slice(&[family.safi.0]);
        run.iter().for_each(|r| r.put(add_path, buf));
        finish_message(start, buf);
        count += 1;
    }
    count
}

/// Writes the End-of-RIB marker of `family` (RFC 4724 §2).
pub fn end_of_rib(ctx: &Context, family: Family, buf: &mut BytesMut) {
    super::OwnedUpdate::end_of_rib(family).encode(ctx, buf);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::{AsPath, Community, Origin};
    use crate::update::Update;
    use bytes::Bytes;
    use ipnet::{IpNet, Ipv4Net, Ipv6Net};
    use std::collections::BTreeSet;

    fn split(mut b: Bytes) -> Vec<Bytes> {
        let mut out = Vec::new();
        while b.len() >= HEADER_LEN {
            let len = usize::from(u16::from_be_bytes([b[16], b[17]]));
            out.push(b.split_to(len));
        }
        assert!(b.is_empty());
        out
    }

    fn attrs() -> Vec<PathAttribute> {
        vec![
            PathAttribute::new(Attribute::Origin(Origin::Igp)),
            PathAttribute::new(Attribute::AsPath(AsPath::from_sequence([65001, 65002]))),
            PathAttribute::new(Attribute::Communities(vec![Community::new(65001, 1)])),
        ]
    }

    fn v4_routes(n: u32, path_ids: bool) -> Vec<Nlri> {
        (0..n)
            .map(|i| {
                let p = IpNet::V4(Ipv4Net::new((0x0a00_0000 + (i << 8)).into(), 24).unwrap());
                if path_ids {
                    Nlri::with_path_id(i % 3, p)
                } else {
                    Nlri::new(p)
                }
            })
            .collect()
    }

    fn check_pack(ctx: &Context, family: Family, nh: NextHop, routes: &[Nlri], enc: Encoding) {
        let attributes = attrs();
        let b = UpdateBuilder::new(ctx, &attributes);
        let mut buf = BytesMut::new();
        let n = b.announce(family, &nh, routes, enc, &mut buf);
        // Encoded once and written again: the same octets.
        let mut again = BytesMut::new();
        assert_eq!(b.encoded().announce(ctx, family, &nh, routes, enc, &mut again), n);
        assert_eq!(again, buf);
        let msgs = split(buf.freeze());
        assert_eq!(msgs.len(), n);
        let mut got = BTreeSet::new();
        let add_path = ctx.has_path_id(family);
        let mut prev_len = None;
        for m in &msgs {
            assert!(m.len() <= ctx.max_message_len());
            let u = Update::decode(m.clone(), ctx).unwrap();
            assert_eq!(u.action(), None, "{:?}", u.issues());
            assert_eq!(u.attributes().origin(), Some(Origin::Igp));
            let mut first = None;
            for (f, r) in u.announced() {
                assert_eq!(f, family);
                first.get_or_insert(r);
                got.insert(r);
            }
            // Greedy packing: the previous message had no room for this one's first route.
            if let (Some(prev), Some(first)) = (prev_len, first) {
                assert!(prev + first.wire_len(add_path) > ctx.max_message_len());
            }
            prev_len = Some(m.len());
        }
        assert_eq!(got, routes.iter().copied().collect::<BTreeSet<_>>());
    }

    #[test]
    fn encoded_attributes_match_the_builder_and_decode_back() {
        let mut attributes = attrs();
        attributes.push(PathAttribute::new(Attribute::MultiExitDisc(7)));
        attributes.push(PathAttribute::new(Attribute::Aggregator(crate::attribute::Aggregator {
            asn: crate::Asn(4_200_000_000),
            address: "192.0.2.9".parse().unwrap(),
        })));
        let nh = NextHop::Ipv4("192.0.2.1".parse().unwrap());
        let routes = v4_routes(3, false);
        // An OLD speaker (AS4_PATH and AS4_AGGREGATOR added) and a NEW one.
        for ctx in [Context::legacy(), Context::modern()] {
            let b = UpdateBuilder::new(&ctx, &attributes);
            let e = b.encoded();
            for enc in [Encoding::Classic, Encoding::MpReach] {
                let (mut x, mut y) = (BytesMut::new(), BytesMut::new());
                b.announce(Family::IPV4_UNICAST, &nh, &routes, enc, &mut x);
                e.announce(&ctx, Family::IPV4_UNICAST, &nh, &routes, enc, &mut y);
                assert_eq!(x, y);
            }
            let back = e.attributes(&ctx);
            // Toward an OLD speaker AS4_AGGREGATOR is added (the path fits two octets).
            assert_eq!(back.len(), attributes.len() + usize::from(!ctx.four_octet_as));
            assert_eq!(back.iter().map(|a| &a.value).nth(2), Some(&Attribute::MultiExitDisc(7)));
        }
    }

    #[test]
    fn classic_ipv4() {
        let ctx = Context::modern();
        check_pack(
            &ctx,
            Family::IPV4_UNICAST,
            NextHop::Ipv4("192.0.2.1".parse().unwrap()),
            &v4_routes(5000, false),
            Encoding::Classic,
        );
    }

    #[test]
    fn mp_ipv4_over_ipv6_and_add_path() {
        let mut ctx = Context::modern();
        ctx.add_path.insert(Family::IPV4_UNICAST);
        ctx.extended_next_hop.insert(Family::IPV4_UNICAST);
        let nh = NextHop::Ipv6LinkLocal {
            global: "2001:db8::1".parse().unwrap(),
            link_local: "fe80::1".parse().unwrap(),
        };
        check_pack(&ctx, Family::IPV4_UNICAST, nh, &v4_routes(3000, true), Encoding::MpReach);
    }

    #[test]
    fn ipv6_extended_message() {
        let mut ctx = Context::modern();
        ctx.extended_message = true;
        let routes: Vec<_> = (0..20000u128)
            .map(|i| {
                Nlri::new(IpNet::V6(
                    Ipv6Net::new((0x2001_0db8u128 << 96 | i << 64).into(), 64).unwrap(),
                ))
            })
            .collect();
        check_pack(
            &ctx,
            Family::IPV6_UNICAST,
            NextHop::Ipv6("2001:db8::1".parse().unwrap()),
            &routes,
            Encoding::Classic,
        );
    }

    #[test]
    fn withdraw_both_ways() {
        let ctx = Context::modern();
        let routes = v4_routes(4000, false);
        for enc in [Encoding::Classic, Encoding::MpReach] {
            let mut buf = BytesMut::new();
            let n = withdraw(&ctx, Family::IPV4_UNICAST, &routes, enc, &mut buf);
            let msgs = split(buf.freeze());
            assert_eq!(msgs.len(), n);
            assert_eq!(n, 4, "{enc:?}");
            let mut got = Vec::new();
            for m in msgs {
                assert!(m.len() <= 4096);
                let u = Update::decode(m, &ctx).unwrap();
                assert_eq!(u.action(), None);
                got.extend(u.withdrawals().map(|(_, r)| r));
            }
            assert_eq!(got, routes);
        }
    }

    #[test]
    fn as4_attributes_toward_an_old_speaker() {
        let path = AsPath::from_sequence([65001, 4_200_000_000]);
        let agg = crate::attribute::Aggregator {
            asn: crate::Asn(4_200_000_000),
            address: "192.0.2.9".parse().unwrap(),
        };
        let attrs = vec![
            PathAttribute::new(Attribute::Origin(Origin::Igp)),
            PathAttribute::new(Attribute::AsPath(path.clone())),
            PathAttribute::new(Attribute::Aggregator(agg)),
        ];
        let routes = v4_routes(1, false);
        let nh = NextHop::Ipv4("192.0.2.1".parse().unwrap());
        let legacy = Context::legacy();
        let mut buf = BytesMut::new();
        let b = UpdateBuilder::new(&legacy, &attrs);
        b.announce(Family::IPV4_UNICAST, &nh, &routes, Encoding::Classic, &mut buf);
        let u = Update::decode(buf.freeze(), &legacy).unwrap();
        let a = u.attributes();
        assert_eq!(a.as_path(), Some(AsPath::from_sequence([65001, 23456])));
        let merged = as4::merge(
            &a.as_path().unwrap(),
            a.as4_path().as_ref(),
            a.aggregator(),
            a.as4_aggregator(),
        );
        assert_eq!(merged, (path, Some(agg)));
        // Toward a NEW speaker, no AS4_* attribute is sent even if given.
        let mut with_as4 = attrs.clone();
        with_as4.push(PathAttribute::new(Attribute::As4Path(AsPath::from_sequence([1]))));
        let modern = Context::modern();
        let mut buf = BytesMut::new();
        let b = UpdateBuilder::new(&modern, &with_as4);
        b.announce(Family::IPV4_UNICAST, &nh, &routes, Encoding::Classic, &mut buf);
        let u = Update::decode(buf.freeze(), &modern).unwrap();
        assert!(u.attributes().as4_path().is_none());
    }

    #[test]
    fn raw_family_and_attribute_order() {
        let ctx = Context::modern();
        let vpn = Family::new(crate::Afi::IPV4, crate::Safi::MPLS_VPN);
        // Label 1000 (bottom of stack), RD 65000:1, 10.i.0.0/16.
        let items: Vec<Bytes> = (0..600u16)
            .map(|i| {
                let mut v = vec![88, 0x00, 0x3e, 0x81, 0, 0, 0xfd, 0xe8, 0, 0, 0, 1, 10];
                v.push(i as u8);
                Bytes::from(v)
            })
            .collect();
        let nh = NextHop::Other(Bytes::from_static(&[0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1]));
        // Given out of order: the builder sorts them.
        let mut attrs = attrs();
        attrs.reverse();
        let mut buf = BytesMut::new();
        let n = UpdateBuilder::new(&ctx, &attrs).announce_raw(vpn, &nh, &items, &mut buf);
        let msgs = split(buf.freeze());
        assert_eq!(msgs.len(), n);
        // 14 octets an item: 287 fit beside the attributes in 4096 octets.
        assert_eq!(n, 3);
        let mut total = 0;
        for m in msgs {
            assert!(m.len() <= 4096);
            let u = Update::decode(m, &ctx).unwrap();
            assert_eq!(u.action(), None);
            let types: Vec<u8> = u.attributes().iter().map(|a| a.type_code.0).collect();
            assert_eq!(types, vec![14, 1, 2, 8]);
            let mp = u.mp_reach().unwrap();
            assert_eq!(mp.next_hop(), nh);
            total += mp.nlri.len();
        }
        assert_eq!(total, 600 * 14);
        let mut buf = BytesMut::new();
        assert_eq!(withdraw_raw(&ctx, vpn, &items, &mut buf), 3);
        let mut classic = BytesMut::new();
        let nh4 = NextHop::Ipv4("192.0.2.1".parse().unwrap());
        UpdateBuilder::new(&ctx, &attrs).announce(
            Family::IPV4_UNICAST,
            &nh4,
            &v4_routes(1, false),
            Encoding::Classic,
            &mut classic,
        );
        let u = Update::decode(classic.freeze(), &ctx).unwrap();
        let types: Vec<u8> = u.attributes().iter().map(|a| a.type_code.0).collect();
        assert_eq!(types, vec![1, 2, 3, 8]);
    }

    /// Classic encoding: attributes given out of order are sorted in every message (the first
    /// one writes them, the others copy them), and no route means no message and no octet.
    #[test]
    fn classic_sorted_in_every_message_and_nothing_for_no_route() {
        let ctx = Context::modern();
        let mut attrs = attrs();
        attrs.reverse();
        let nh = NextHop::Ipv4("192.0.2.1".parse().unwrap());
        let routes = v4_routes(2000, false);
        let mut buf = BytesMut::new();
        let b = UpdateBuilder::new(&ctx, &attrs);
        let n = b.announce(Family::IPV4_UNICAST, &nh, &routes, Encoding::Classic, &mut buf);
        let msgs = split(buf.freeze());
        assert_eq!((msgs.len(), n > 1), (n, true));
        let mut got = Vec::new();
        for m in msgs {
            assert!(m.len() <= 4096);
            let u = Update::decode(m, &ctx).unwrap();
            assert_eq!(u.action(), None);
            let types: Vec<u8> = u.attributes().iter().map(|a| a.type_code.0).collect();
            assert_eq!(types, vec![1, 2, 3, 8]);
            got.extend(u.nlri());
        }
        assert_eq!(got, routes);
        let mut buf = BytesMut::new();
        assert_eq!(b.announce(Family::IPV4_UNICAST, &nh, &[], Encoding::Classic, &mut buf), 0);
        assert!(buf.is_empty());
    }

    mod properties {
        use super::*;
        use proptest::collection::vec;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]

            /// Every message fits, the routes come back exactly, and packing is greedy.
            #[test]
            fn packs_every_route(
                v6 in any::<bool>(),
                extended in any::<bool>(),
                add_path in any::<bool>(),
                classic in any::<bool>(),
                n_communities in 1usize..300,
                seeds in vec((any::<u32>(), any::<bool>()), 1..3000),
            ) {
                let family = if v6 { Family::IPV6_UNICAST } else { Family::IPV4_UNICAST };
                let mut ctx = Context::modern();
                ctx.extended_message = extended;
                if add_path {
                    ctx.add_path.insert(family);
                }
                let routes: Vec<Nlri> = seeds
                    .iter()
                    .enumerate()
                    .map(|(i, (s, id))| {
                        let p = if v6 {
                            IpNet::V6(Ipv6Net::new((u128::from(*s) << 64 | (i as u128) << 48).into(), 80).unwrap())
                        } else {
                            IpNet::V4(Ipv4Net::new((*s ^ (i as u32) << 8).into(), 8 + (*s % 25) as u8).unwrap().trunc())
                        };
                        Nlri { path_id: (add_path && *id).then_some(i as u32).or(add_path.then_some(0)), prefix: p }
                    })
                    .collect();
                let mut attributes = attrs();
                // A large COMMUNITIES, sometimes past 255 octets (Extended Length).
                attributes.retain(|a| a.type_code() != AttributeType::COMMUNITIES);
                attributes.push(PathAttribute::new(Attribute::Communities((0..n_communities as u32).map(Community).collect())));
                let nh = if v6 {
                    NextHop::Ipv6("2001:db8::1".parse().unwrap())
                } else {
                    NextHop::Ipv4("192.0.2.1".parse().unwrap())
                };
                let enc = if classic { Encoding::Classic } else { Encoding::MpReach };
                let b = UpdateBuilder::new(&ctx, &attributes);
                let mut buf = BytesMut::new();
                let n = b.announce(family, &nh, &routes, enc, &mut buf);
                let msgs = split(buf.freeze());
                prop_assert_eq!(msgs.len(), n);
                let mut got = Vec::new();
                let mut prev: Option<usize> = None;
                for m in &msgs {
                    prop_assert!(m.len() <= ctx.max_message_len());
                    let u = Update::decode(m.clone(), &ctx).unwrap();
                    prop_assert_eq!(u.action(), None);
                    let mine: Vec<Nlri> = u.announced().map(|(_, r)| r).collect();
                    if let (Some(p), Some(first)) = (prev, mine.first()) {
                        prop_assert!(p + first.wire_len(add_path) > ctx.max_message_len());
                    }
                    prev = Some(m.len());
                    got.extend(mine);
                }
                prop_assert_eq!(got, routes);
            }
        }
    }

    #[test]
    fn end_of_rib_markers() {
        let ctx = Context::modern();
        for f in [
            Family::IPV4_UNICAST,
            Family::IPV6_UNICAST,
            Family::new(crate::Afi::L2VPN, crate::Safi::EVPN),
        ] {
            let mut buf = BytesMut::new();
            end_of_rib(&ctx, f, &mut buf);
            let u = Update::decode(buf.freeze(), &ctx).unwrap();
            assert_eq!(u.end_of_rib(), Some(f));
        }
        let mut buf = BytesMut::new();
        end_of_rib(&ctx, Family::IPV6_UNICAST, &mut buf);
        assert_eq!(hex::encode(&buf), "ffffffffffffffffffffffffffffffff001d0200000006800f03000201");
    }
}
