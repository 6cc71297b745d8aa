//! Interned BGP attribute sets.
//!
//! A path stores a `u32` naming a [`Record`]: who sent the route (its source), the next hop,
//! a fixed summary of the attributes the decision process reads first (ORIGIN, LOCAL_PREF,
//! MED, AS_PATH length, weight), and the remaining attributes as wire TLVs (4-octet AS
//! numbers) in an [`Arena`]. Identical records are stored once, so memory follows the number
//! of distinct attribute sets, not of paths; a reference count frees a record when its last
//! path goes.
//!
//! The TLVs leave out what is held elsewhere: ORIGIN, MED and LOCAL_PREF (in the summary),
//! NEXT_HOP and the MP_REACH_NLRI next hop (the next-hop table), MP_REACH_NLRI and
//! MP_UNREACH_NLRI NLRI (the table), AS4_PATH and AS4_AGGREGATOR (merged, RFC 6793).

use std::hash::{BuildHasher, Hasher};
use std::net::Ipv4Addr;

use bgp_wire::attribute::{
    as4, AsPath, AsPathRef, Attribute, AttributeType, Attributes, Flags, Origin, PathAttribute,
};
use bgp_wire::{Asn, Context};
use bytes::{Bytes, BytesMut};
use hashbrown::HashTable;

use crate::arena::Arena;
use crate::route_attrs::PathAttrs;
use crate::slots::Slots;

/// Summary flag: MULTI_EXIT_DISC present.
pub(crate) const HAS_MED: u8 = 1;
/// Summary flag: LOCAL_PREF present.
pub(crate) const HAS_LOCAL_PREF: u8 = 2;
/// Summary flag: the route loops back to us (our AS in AS_PATH beyond what allowas-in
/// permits, our router id as ORIGINATOR_ID, or our cluster id in CLUSTER_LIST).
pub(crate) const LOOP: u8 = 4;
/// Summary flag: kept after its session went down, until End-of-RIB or the restart timer
/// (RFC 4724 §4.2). A stale record is not in the intern index.
pub(crate) const STALE: u8 = 8;
/// Summary flag: long-lived stale (RFC 9494 §4.3), least preferred.
pub(crate) const LLGR_STALE: u8 = 16;
/// Summary flag: ATOMIC_AGGREGATE present (kept here, not as a TLV).
pub(crate) const ATOMIC_AGGREGATE: u8 = 32;
/// Summary flag: learned from an internal (or confederation) neighbour: iBGP distance.
pub(crate) const INTERNAL: u8 = 64;
/// Summary flag: our own route: never installed in the FIB.
pub(crate) const LOCAL: u8 = 128;

/// What the decision process reads of an attribute set without decoding it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Summary {
    pub origin: u8,
    pub flags: u8,
    /// AS_PATH length as RFC 4271 §9.1.2.2 (a) counts it: AS_SET 1, confederation
    /// segments 0; saturated at `u16::MAX`.
    pub path_len: u16,
    pub weight: u16,
    pub local_pref: u32,
    pub med: u32,
}

impl Summary {
    pub fn med(&self) -> Option<u32> {
        (self.flags & HAS_MED != 0).then_some(self.med)
    }

    pub fn local_pref(&self) -> Option<u32> {
        (self.flags & HAS_LOCAL_PREF != 0).then_some(self.local_pref)
    }
}

/// One interned attribute set: 32 octets plus its TLVs in the arena.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Record {
    pub source: u32,
    pub nexthop: u32,
    off: u32,
    len: u16,
    pub summary: Summary,
    refs: u32,
}

impl Record {
    #[cfg(test)]
    pub fn refs(&self) -> u32 {
        self.refs
    }
}

/// An entry of the intern index: a record id and 32 bits of its hash, so that growing the
/// index never reads records or hashes attributes again (both random accesses).
type IndexEntry = (u32, u32);

/// The 64-bit hash hashbrown is given for 32 bits kept: the same bits for the position (low)
/// and the tag (top 7).
#[inline(always)]
fn spread(h32: u32) -> u64 {
    u64::from(h32) | u64::from(h32) << 32
}

#[derive(Debug)]
pub(crate) struct AttrStore {
    records: Slots<Record>,
    index: HashTable<IndexEntry>,
    arena: Arena,
    hasher: foldhash::fast::FixedState,
}

impl AttrStore {
    pub fn new(seed: u64) -> AttrStore {
        AttrStore {
            records: Slots::default(),
            index: HashTable::new(),
            arena: Arena::default(),
            hasher: foldhash::fast::FixedState::with_seed(seed),
        }
    }

    fn hash(&self, source: u32, nexthop: u32, s: &Summary, bytes: &[u8]) -> u32 {
        (hash_parts(&self.hasher, source, nexthop, s, bytes) >> 32) as u32
    }

    /// The record for this set, created if new (`true`), with one more reference for the
    /// caller.
    pub fn intern(
        &mut self,
        source: u32,
        nexthop: u32,
        summary: Summary,
        bytes: &[u8],
    ) -> (u32, bool) {
        let h32 = self.hash(source, nexthop, &summary, bytes);
        let (records, arena) = (&self.records, &self.arena);
        let eq = |&(id, h): &IndexEntry| {
            h == h32
                && records.get(id).is_some_and(|r| {
                    r.source == source
                        && r.nexthop == nexthop
                        && r.summary == summary
                        && arena.get(r.off, usize::from(r.len)) == bytes
                })
        };
        if let Some(&(id, _)) = self.index.find(spread(h32), eq) {
            if let Some(r) = self.records.get_mut(id) {
                r.refs += 1;
            }
            return (id, false);
        }
        let len = bytes.len().min(usize::from(u16::MAX));
        let off = self.arena.alloc(bytes.get(..len).unwrap_or(&[]));
        let id =
            self.records.insert(Record { source, nexthop, off, len: len as u16, summary, refs: 1 });
        self.index.insert_unique(spread(h32), (id, h32), |&(_, h)| spread(h));
        (id, true)
    }

    #[inline]
    pub fn add_ref(&mut self, id: u32) {
        if let Some(r) = self.records.get_mut(id) {
            r.refs += 1;
        }
    }

    /// Drops one reference; returns the record when that was the last one (it is freed).
    pub fn release(&mut self, id: u32) -> Option<Record> {
        let r = self.records.get_mut(id)?;
        r.refs = r.refs.saturating_sub(1);
        if r.refs > 0 {
            return None;
        }
        let r = *r;
        if r.summary.flags & STALE == 0 {
            self.unindex(id, &r);
        }
        self.arena.free(r.off, usize::from(r.len));
        self.records.remove(id);
        self.records.shrink_if_empty();
        if self.records.len() == 0 {
            self.index = HashTable::new();
        }
        Some(r)
    }

    fn unindex(&mut self, id: u32, r: &Record) {
        let h32 = self.hash(r.source, r.nexthop, &r.summary, self.arena.get(r.off, r.len.into()));
        if let Ok(e) = self.index.find_entry(spread(h32), |x| x.0 == id) {
            e.remove();
        }
    }

    /// Marks a record stale (RFC 4724 §4.2) or long-lived stale (RFC 9494): it leaves the
    /// intern index, so the same attributes announced again make a fresh record.
    pub fn mark_stale(&mut self, id: u32, flag: u8) {
        let Some(r) = self.records.get(id).copied() else { return };
        if r.summary.flags & STALE == 0 {
            self.unindex(id, &r);
        }
        if let Some(r) = self.records.get_mut(id) {
            r.summary.flags |= STALE | flag;
        }
    }

    /// A stale record made of `bytes`, outside the intern index, with no reference yet (a
    /// long-lived stale copy of a record, RFC 9494 §4.2). The caller holds the next hop
    /// and source for it.
    pub fn insert_stale(
        &mut self,
        source: u32,
        nexthop: u32,
        summary: Summary,
        bytes: &[u8],
    ) -> u32 {
        let len = bytes.len().min(usize::from(u16::MAX));
        let off = self.arena.alloc(bytes.get(..len).unwrap_or(&[]));
        let summary = Summary { flags: summary.flags | STALE, ..summary };
        self.records.insert(Record { source, nexthop, off, len: len as u16, summary, refs: 0 })
    }

    #[inline(always)]
    pub fn get(&self, id: u32) -> Option<&Record> {
        self.records.get(id)
    }

    #[inline(always)]
    pub fn tlvs(&self, r: &Record) -> &[u8] {
        self.arena.get(r.off, usize::from(r.len))
    }

    /// Live records with their ids.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &Record)> + '_ {
        self.records.iter().filter(|(_, r)| r.refs > 0)
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Octets held on the heap: records, their attributes, the intern index.
    pub fn heap_bytes(&self) -> (usize, usize, usize) {
        let index = self.index.capacity().next_power_of_two() * 8 / 7 * (8 + 1);
        (self.records.heap_bytes(), self.arena.heap_bytes(), index)
    }
}

fn hash_parts(
    hasher: &foldhash::fast::FixedState,
    source: u32,
    nexthop: u32,
    s: &Summary,
    bytes: &[u8],
) -> u64 {
    let mut h = hasher.build_hasher();
    h.write_u64(u64::from(source) << 32 | u64::from(nexthop));
    h.write_u64(
        u64::from(s.origin)
            | u64::from(s.flags) << 8
            | u64::from(s.path_len) << 16
            | u64::from(s.weight) << 32,
    );
    h.write_u64(u64::from(s.local_pref) << 32 | u64::from(s.med));
    h.write(bytes);
    h.finish()
}

/// One attribute TLV of a record: flags, type code, value, and the whole TLV.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tlv<'a> {
    pub flags: u8,
    pub code: u8,
    pub value: &'a [u8],
}

/// The TLVs of a record (or of any well-formed attribute list).
pub(crate) fn tlvs(mut b: &[u8]) -> impl Iterator<Item = (Tlv<'_>, &[u8])> {
    std::iter::from_fn(move || {
        let (&flags, &code) = (b.first()?, b.get(1)?);
        let (hl, len) = if flags & Flags::EXTENDED_LENGTH != 0 {
            (4, usize::from(u16::from_be_bytes([*b.get(2)?, *b.get(3)?])))
        } else {
            (3, usize::from(*b.get(2)?))
        };
        let whole = b.get(..hl + len)?;
        let value = whole.get(hl..)?;
        b = b.get(hl + len..)?;
        Some((Tlv { flags, code, value }, whole))
    })
}

/// What the later steps of the decision process read, found in one walk of the TLVs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Scan {
    /// First AS of the first AS_SEQUENCE (the neighbouring AS, RFC 4271 §9.1.2.2 (c)).
    pub first_as: Option<u32>,
    pub originator_id: Option<u32>,
    pub cluster_list_len: u16,
}

pub(crate) fn scan(tlv_bytes: &[u8]) -> Scan {
    let mut s = Scan::default();
    for (t, _) in tlvs(tlv_bytes) {
        match t.code {
            2 => s.first_as = first_as(t.value),
            9 => s.originator_id = t.value.try_into().ok().map(u32::from_be_bytes),
            10 => s.cluster_list_len = (t.value.len() / 4).min(usize::from(u16::MAX)) as u16,
            _ => {}
        }
    }
    s
}

/// First AS of a 4-octet AS_PATH value when it starts with an AS_SEQUENCE.
fn first_as(v: &[u8]) -> Option<u32> {
    match v {
        [2, n, a, b, c, d, ..] if *n > 0 => Some(u32::from_be_bytes([*a, *b, *c, *d])),
        _ => None,
    }
}

/// The AS_PATH value of a record's TLVs (4-octet AS numbers).
pub(crate) fn as_path_value(tlv_bytes: &[u8]) -> &[u8] {
    tlvs(tlv_bytes).find(|(t, _)| t.code == 2).map(|(t, _)| t.value).unwrap_or(&[])
}

/// Path length per RFC 4271 §9.1.2.2 (a) and RFC 5065 §5.3, of a checked AS_PATH value.
pub(crate) fn path_len(p: &AsPathRef<'_>) -> u16 {
    p.path_len().min(usize::from(u16::MAX)) as u16
}

/// How many times `asn` occurs in a 4-octet AS_PATH value (any segment type).
pub(crate) fn count_as(v: &[u8], asn: u32) -> usize {
    let mut n = 0;
    let mut rest = v;
    while let [_, len, tail @ ..] = rest {
        let body = usize::from(*len) * 4;
        let Some((asns, tail)) = tail.split_at_checked(body) else { break };
        n += asns
            .chunks_exact(4)
            .filter(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) == asn)
            .count();
        rest = tail;
    }
    n
}

/// Whether the TLVs carry Only to Customer (RFC 9234).
pub(crate) fn has_otc(tlv_bytes: &[u8]) -> bool {
    tlvs(tlv_bytes).any(|(t, _)| t.code == 35)
}

/// RFC 9494 §3.2 LLGR_STALE, 65535:6.
pub(crate) const LLGR_STALE_COMMUNITY: u32 = 0xFFFF_0006;
/// RFC 9494 §3.3 NO_LLGR, 65535:7.
pub(crate) const NO_LLGR_COMMUNITY: u32 = 0xFFFF_0007;

/// Whether the COMMUNITIES of the TLVs hold `c` (RFC 1997).
pub(crate) fn has_community(tlv_bytes: &[u8], c: u32) -> bool {
    tlvs(tlv_bytes)
        .find(|(t, _)| t.code == 8)
        .is_some_and(|(t, _)| t.value.chunks_exact(4).any(|x| x == c.to_be_bytes()))
}

/// The TLVs with `c` added to COMMUNITIES (made, in type-code order, when absent).
pub(crate) fn with_community(tlv_bytes: &[u8], c: u32, out: &mut Vec<u8>) {
    out.clear();
    let mut done = false;
    for (t, whole) in tlvs(tlv_bytes) {
        if !done && t.code >= 8 {
            let mut v = Vec::with_capacity(t.value.len() + 4);
            if t.code == 8 {
                v.extend_from_slice(t.value);
            }
            v.extend_from_slice(&c.to_be_bytes());
            let flags = if t.code == 8 { t.flags } else { Flags::OPTIONAL_TRANSITIVE.0 };
            push_tlv(out, flags, 8, &v);
            done = true;
            if t.code == 8 {
                continue;
            }
        }
        out.extend_from_slice(whole);
    }
    if !done {
        push_tlv(out, Flags::OPTIONAL_TRANSITIVE.0, 8, &c.to_be_bytes());
    }
}

/// Whether a 4-octet CLUSTER_LIST value holds `id`.
pub(crate) fn cluster_list_has(tlv_bytes: &[u8], id: Ipv4Addr) -> bool {
    tlvs(tlv_bytes)
        .find(|(t, _)| t.code == 10)
        .is_some_and(|(t, _)| t.value.chunks_exact(4).any(|c| c == id.octets()))
}

/// Types the TLVs never hold (see the module docs).
#[inline(always)]
fn held_elsewhere(code: u8) -> bool {
    matches!(code, 1 | 3 | 4 | 5 | 6 | 14 | 15 | 17 | 18)
}

/// The summary and TLVs of a received UPDATE's attributes, under the receive context.
///
/// Only the attributes the decoder accepted are kept: for a known type its first valid
/// occurrence, for an unknown type its first occurrence if optional (RFC 7606 attribute
/// discard already applied, as `Attributes::to_owned_attributes` does). With 4-octet AS
/// numbers negotiated the kept TLVs are copied as received; otherwise AS_PATH and
/// AGGREGATOR are merged with AS4_PATH and AS4_AGGREGATOR (RFC 6793 §4.2.3) and written with
/// 4-octet numbers.
///
/// `clean`: the message had no RFC 7606 issue, so every attribute in the list is valid and
/// appears once; the list is then read in a single pass.
pub(crate) fn from_wire<B: bgp_wire::attribute::set::Octets>(
    attrs: &Attributes<B>,
    ctx: &Context,
    clean: bool,
    out: &mut Vec<u8>,
) -> Summary {
    out.clear();
    if clean && ctx.four_octet_as {
        return from_clean_list(attrs.as_bytes(), out);
    }
    let mut s = Summary {
        origin: attrs.origin().map_or(Origin::Incomplete.to_u8(), Origin::to_u8),
        ..Summary::default()
    };
    if let Some(m) = attrs.multi_exit_disc() {
        s.med = m;
        s.flags |= HAS_MED;
    }
    if let Some(lp) = attrs.local_pref() {
        s.local_pref = lp;
        s.flags |= HAS_LOCAL_PREF;
    }
    if attrs.atomic_aggregate() {
        s.flags |= ATOMIC_AGGREGATE;
    }
    if !ctx.four_octet_as {
        legacy_tlvs(attrs, ctx, &mut s, out);
        return s;
    }
    if let Some(p) = attrs.as_path_ref() {
        s.path_len = path_len(&p);
    }
    let mut seen = [0u64; 4];
    for raw in attrs.iter() {
        let t = raw.type_code;
        if held_elsewhere(t.0) {
            continue;
        }
        let bit = 1u64 << (t.0 & 63);
        let word = &mut seen[usize::from(t.0 >> 6)];
        let first = *word & bit == 0;
        *word |= bit;
        let keep = if t.is_known() {
            attrs.get(t).is_some_and(|g| g.offset == raw.offset)
        } else {
            first && raw.flags.is_optional()
        };
        if keep {
            push_tlv(out, raw.flags.0, t.0, raw.value);
        }
    }
    s
}

/// [`from_wire`] of an attribute list with 4-octet AS numbers and no fault: one pass.
fn from_clean_list(list: &[u8], out: &mut Vec<u8>) -> Summary {
    let mut s = Summary { origin: Origin::Incomplete.to_u8(), ..Summary::default() };
    let u32_of = |v: &[u8]| v.try_into().ok().map(u32::from_be_bytes);
    for (t, whole) in tlvs(list) {
        match t.code {
            1 => s.origin = t.value.first().copied().unwrap_or(2),
            4 => {
                if let Some(v) = u32_of(t.value) {
                    s.med = v;
                    s.flags |= HAS_MED;
                }
            }
            5 => {
                if let Some(v) = u32_of(t.value) {
                    s.local_pref = v;
                    s.flags |= HAS_LOCAL_PREF;
                }
            }
            6 => s.flags |= ATOMIC_AGGREGATE,
            c if held_elsewhere(c) => {}
            c => {
                if c == 2 {
                    s.path_len = path_len_of(t.value);
                }
                out.extend_from_slice(whole);
            }
        }
    }
    s
}

/// Path length per RFC 4271 §9.1.2.2 (a) of a checked 4-octet AS_PATH value.
pub(crate) fn path_len_of(v: &[u8]) -> u16 {
    let mut n = 0usize;
    let mut rest = v;
    while let [t, len, tail @ ..] = rest {
        n += match *t {
            2 => usize::from(*len),
            1 => 1,
            _ => 0,
        };
        rest = tail.get(usize::from(*len) * 4..).unwrap_or(&[]);
    }
    n.min(usize::from(u16::MAX)) as u16
}

/// [`from_wire`] for a session without 4-octet AS numbers: decode, merge, re-encode.
fn legacy_tlvs<B: bgp_wire::attribute::set::Octets>(
    attrs: &Attributes<B>,
    ctx: &Context,
    s: &mut Summary,
    out: &mut Vec<u8>,
) {
    let owned = attrs.to_owned_attributes(ctx);
    let mut pa = PathAttrs::default();
    let mut as_path = None;
    let mut as4_path = None;
    let mut agg = None;
    let mut as4_agg = None;
    for a in owned {
        match a.value {
            Attribute::AsPath(p) => as_path = Some(p),
            Attribute::As4Path(p) => as4_path = Some(p),
            Attribute::Aggregator(x) => agg = Some(x),
            Attribute::As4Aggregator(x) => as4_agg = Some(x),
            _ => absorb(&mut pa, a),
        }
    }
    let (path, aggregator) =
        as4::merge(&as_path.unwrap_or_default(), as4_path.as_ref(), agg, as4_agg);
    pa.as_path = path;
    pa.aggregator = aggregator;
    s.path_len = pa.as_path.path_len().min(usize::from(u16::MAX)) as u16;
    encode_tlvs(&pa, out);
}

/// Puts one decoded attribute into `pa` (the fields [`encode_tlvs`] writes back).
fn absorb(pa: &mut PathAttrs, a: PathAttribute) {
    match a.value {
        Attribute::Origin(o) => pa.origin = o,
        Attribute::AsPath(p) => pa.as_path = p,
        Attribute::MultiExitDisc(m) => pa.med = Some(m),
        Attribute::LocalPref(l) => pa.local_pref = Some(l),
        Attribute::AtomicAggregate => pa.atomic_aggregate = true,
        Attribute::Aggregator(x) => pa.aggregator = Some(x),
        Attribute::Communities(c) => pa.communities = c,
        Attribute::ExtendedCommunities(c) => pa.ext_communities = c,
        Attribute::LargeCommunities(c) => pa.large_communities = c,
        Attribute::OriginatorId(o) => pa.originator_id = Some(o),
        Attribute::ClusterList(c) => pa.cluster_list = c,
        Attribute::Otc(a) => pa.otc = Some(a),
        Attribute::NextHop(_)
        | Attribute::MpReachNlri(_)
        | Attribute::MpUnreachNlri(_)
        | Attribute::As4Path(_)
        | Attribute::As4Aggregator(_) => {}
        _ => pa.other.push(a),
    }
}

fn push_tlv(out: &mut Vec<u8>, flags: u8, code: u8, value: &[u8]) {
    if value.len() > 255 || flags & Flags::EXTENDED_LENGTH != 0 {
        let len = value.len().min(usize::from(u16::MAX)) as u16;
        out.extend_from_slice(&[flags | Flags::EXTENDED_LENGTH, code]);
        out.extend_from_slice(&len.to_be_bytes());
    } else {
        out.extend_from_slice(&[flags, code, value.len() as u8]);
    }
    out.extend_from_slice(value.get(..usize::from(u16::MAX).min(value.len())).unwrap_or(&[]));
}

/// The summary of owned attributes, and their TLVs into `out`; `weight` is local.
pub(crate) fn from_owned(pa: &PathAttrs, weight: u16, out: &mut Vec<u8>) -> Summary {
    let mut s = Summary {
        origin: pa.origin.to_u8(),
        path_len: pa.as_path.path_len().min(usize::from(u16::MAX)) as u16,
        weight,
        ..Summary::default()
    };
    if let Some(m) = pa.med {
        s.med = m;
        s.flags |= HAS_MED;
    }
    if let Some(l) = pa.local_pref {
        s.local_pref = l;
        s.flags |= HAS_LOCAL_PREF;
    }
    if pa.atomic_aggregate {
        s.flags |= ATOMIC_AGGREGATE;
    }
    out.clear();
    encode_tlvs(pa, out);
    s
}

/// Writes the TLVs of `pa` in type-code order (what is not held in the summary).
fn encode_tlvs(pa: &PathAttrs, out: &mut Vec<u8>) {
    let ctx = Context::modern();
    let mut buf = BytesMut::new();
    let mut put = |a: PathAttribute| {
        buf.clear();
        a.encode(&ctx, &mut buf);
        out.extend_from_slice(&buf);
    };
    put(PathAttribute::new(Attribute::AsPath(pa.as_path.clone())));
    if let Some(a) = pa.aggregator {
        put(PathAttribute::new(Attribute::Aggregator(a)));
    }
    if !pa.communities.is_empty() {
        put(PathAttribute::new(Attribute::Communities(pa.communities.clone())));
    }
    if let Some(o) = pa.originator_id {
        put(PathAttribute::new(Attribute::OriginatorId(o)));
    }
    if !pa.cluster_list.is_empty() {
        put(PathAttribute::new(Attribute::ClusterList(pa.cluster_list.clone())));
    }
    if !pa.ext_communities.is_empty() {
        put(PathAttribute::new(Attribute::ExtendedCommunities(pa.ext_communities.clone())));
    }
    if !pa.large_communities.is_empty() {
        put(PathAttribute::new(Attribute::LargeCommunities(pa.large_communities.clone())));
    }
    if let Some(a) = pa.otc {
        put(PathAttribute::new(Attribute::Otc(a)));
    }
    for a in &pa.other {
        put(a.clone());
    }
}

/// The owned attributes of a record.
pub(crate) fn to_owned(s: &Summary, tlv_bytes: &[u8]) -> PathAttrs {
    let ctx = Context::modern();
    let mut pa = PathAttrs {
        origin: Origin::from_u8(s.origin).unwrap_or(Origin::Incomplete),
        med: s.med(),
        local_pref: s.local_pref(),
        atomic_aggregate: s.flags & ATOMIC_AGGREGATE != 0,
        ..PathAttrs::default()
    };
    for (t, _) in tlvs(tlv_bytes) {
        let code = AttributeType(t.code);
        // The path, in every set, decodes from the slice; the others want `Bytes`.
        if code == AttributeType::AS_PATH {
            if let Ok(p) = AsPath::decode(t.value, true) {
                pa.as_path = p;
            }
            continue;
        }
        let value = Bytes::copy_from_slice(t.value);
        match Attribute::decode(code, &value, &ctx) {
            Ok(Attribute::AsPath(p)) => pa.as_path = p,
            Ok(v) => absorb(&mut pa, PathAttribute { flags: Flags(t.flags), value: v }),
            Err(_) => {}
        }
    }
    pa
}

/// Our AS as it would be found in a path, for `allowas-in` counting.
pub(crate) fn loops(tlv_bytes: &[u8], local_as: Asn, allowas_in: u8) -> bool {
    count_as(as_path_value(tlv_bytes), local_as.0) > usize::from(allowas_in)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bgp_wire::attribute::{Aggregator, AsPath, Community};
    use bgp_wire::nlri::Nlri;
    use bgp_wire::update::builder::{Encoding, UpdateBuilder};
    use bgp_wire::update::Update;
    use bgp_wire::Family;

    fn update(ctx: &Context, attrs: &[PathAttribute]) -> Update {
        let mut buf = BytesMut::new();
        let nh = bgp_wire::attribute::NextHop::Ipv4("192.0.2.1".parse().unwrap());
        let routes = [Nlri::new("10.0.0.0/24".parse().unwrap())];
        UpdateBuilder::new(ctx, attrs).announce(
            Family::IPV4_UNICAST,
            &nh,
            &routes,
            Encoding::Classic,
            &mut buf,
        );
        Update::decode(buf.freeze(), ctx).unwrap()
    }

    fn sample() -> Vec<PathAttribute> {
        vec![
            PathAttribute::new(Attribute::Origin(Origin::Egp)),
            PathAttribute::new(Attribute::AsPath(AsPath {
                segments: vec![
                    bgp_wire::attribute::Segment::sequence([65001, 4_200_000_000]),
                    bgp_wire::attribute::Segment::set([1, 2, 3]),
                ],
            })),
            PathAttribute::new(Attribute::MultiExitDisc(42)),
            PathAttribute::new(Attribute::LocalPref(200)),
            PathAttribute::new(Attribute::Communities(vec![Community::new(65001, 7)])),
            PathAttribute::new(Attribute::ClusterList(vec![Ipv4Addr::new(1, 1, 1, 1)])),
            PathAttribute::new(Attribute::OriginatorId(Ipv4Addr::new(9, 9, 9, 9))),
        ]
    }

    /// The AS path of a record, decoded.
    fn as_path(tlv_bytes: &[u8]) -> AsPath {
        AsPath::decode(as_path_value(tlv_bytes), true).unwrap_or_default()
    }

    #[test]
    fn summary_and_tlvs_from_a_received_update() {
        let ctx = Context::modern();
        let u = update(&ctx, &sample());
        let mut out = Vec::new();
        let s = from_wire(u.attributes(), &ctx, true, &mut out);
        assert_eq!(s.origin, 1);
        assert_eq!((s.med(), s.local_pref()), (Some(42), Some(200)));
        // AS_SEQUENCE of 2 plus an AS_SET counting 1.
        assert_eq!(s.path_len, 3);
        // NEXT_HOP, ORIGIN, MED and LOCAL_PREF are not in the TLVs.
        let codes: Vec<u8> = tlvs(&out).map(|(t, _)| t.code).collect();
        assert_eq!(codes, vec![2, 8, 9, 10]);
        let sc = scan(&out);
        assert_eq!(sc.first_as, Some(65001));
        assert_eq!(sc.originator_id, Some(u32::from(Ipv4Addr::new(9, 9, 9, 9))));
        assert_eq!(sc.cluster_list_len, 1);
        let back = to_owned(&s, &out);
        assert_eq!(back.communities, vec![Community::new(65001, 7)]);
        assert_eq!(back.as_path.to_string(), "65001 4200000000 {1,2,3}");
    }

    #[test]
    fn one_pass_and_checked_reading_agree() {
        let ctx = Context::modern();
        let u = update(&ctx, &sample());
        let (mut fast, mut slow) = (Vec::new(), Vec::new());
        assert_eq!(
            from_wire(u.attributes(), &ctx, true, &mut fast),
            from_wire(u.attributes(), &ctx, false, &mut slow)
        );
        assert_eq!(fast, slow);
    }

    #[test]
    fn two_octet_session_merges_as4_path() {
        // RFC 6793 §4.2.3: an OLD speaker's AS_PATH with AS_TRANS, and AS4_PATH.
        let ctx = Context::legacy();
        let mut attrs = vec![
            PathAttribute::new(Attribute::Origin(Origin::Igp)),
            PathAttribute::new(Attribute::AsPath(AsPath::from_sequence([65001, 23456]))),
            PathAttribute {
                flags: Flags::OPTIONAL_TRANSITIVE,
                value: Attribute::As4Path(AsPath::from_sequence([4_200_000_000])),
            },
        ];
        let mut out = Vec::new();
        let s = from_wire(update(&ctx, &attrs).attributes(), &ctx, true, &mut out);
        assert_eq!(s.path_len, 2);
        assert_eq!(as_path(&out).to_string(), "65001 4200000000");
        // "If the AGGREGATOR attribute carries an AS number other than AS_TRANS, then the
        // AS4_AGGREGATOR attribute and the AS4_PATH attribute SHALL be ignored".
        attrs.push(PathAttribute::new(Attribute::Aggregator(Aggregator {
            asn: Asn(65001),
            address: Ipv4Addr::new(1, 2, 3, 4),
        })));
        let s = from_wire(update(&ctx, &attrs).attributes(), &ctx, true, &mut out);
        assert_eq!(as_path(&out).to_string(), "65001 23456");
        assert_eq!(to_owned(&s, &out).aggregator.map(|a| a.asn), Some(Asn(65001)));
    }

    #[test]
    fn owned_round_trip_and_interning() {
        let ctx = Context::modern();
        let u = update(&ctx, &sample());
        let mut out = Vec::new();
        let s = from_wire(u.attributes(), &ctx, true, &mut out);
        let pa = to_owned(&s, &out);
        let mut again = Vec::new();
        let s2 = from_owned(&pa, 0, &mut again);
        assert_eq!(s, s2);
        assert_eq!(to_owned(&s2, &again), pa);

        let mut st = AttrStore::new(1);
        let (a, new) = st.intern(1, 2, s, &out);
        assert!(new);
        let (b, new) = st.intern(1, 2, s, &out);
        assert!(!new);
        let (c, _) = st.intern(1, 3, s, &out);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(st.len(), 2);
        assert!(st.release(a).is_none());
        assert!(st.release(a).is_some());
        // Gone from the index: interning again makes a fresh record.
        let (d, _) = st.intern(1, 2, s, &out);
        assert_eq!(st.get(d).map(|r| r.refs()), Some(1));
        st.mark_stale(d, 0);
        let (e, _) = st.intern(1, 2, s, &out);
        assert_ne!(d, e, "a stale record is not found again");
        assert!(st.release(d).is_some());
        assert!(st.release(e).is_some());
        assert!(st.release(c).is_some());
        assert_eq!(st.len(), 0);
    }

    #[test]
    fn as_counting_for_loops() {
        let p = AsPath {
            segments: vec![
                bgp_wire::attribute::Segment::sequence([65001, 65002, 65001]),
                bgp_wire::attribute::Segment::set([65001]),
            ],
        };
        let mut v = BytesMut::new();
        p.encode_value(true, &mut v);
        assert_eq!(count_as(&v, 65001), 3);
        assert_eq!(count_as(&v, 65003), 0);
    }
}
