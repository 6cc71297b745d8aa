//! Route maps: entries with match and set clauses, an exit policy and an optional call,
//! evaluated as FRR's `route_map_apply` does.
//!
//! FRR user guide, "Route Maps": entries run in seq order; an entry matches when all its
//! match clauses do (none: it always matches). A matching `deny` entry denies at once. A
//! matching `permit` entry applies its set clauses, then its `call` (a deny there denies),
//! then its exit policy: by default stop and permit; `on-match next` / `continue` go on with
//! the next entry, `on-match goto N` / `continue N` with the first entry whose seq is at
//! least N, later matches seeing the route as already changed. Running past the last entry
//! permits when some permit entry matched and denies otherwise (the implicit deny).
//!
//! Jumps only go forward (FRR refuses `goto` to a seq not above the entry's own), so a map
//! always terminates; calls are bounded by FRR's recursion limit of 10.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bgp_wire::attribute::{Community, ExtendedCommunity, LargeCommunity, Origin};
use bgp_wire::Asn;
use ipnet::IpNet;

use super::table::UNRESOLVED;
use super::{insert_sorted, Policy, PolicyError, Scratch, Sequenced, Verdict};
use crate::{IfName, NextHopAction, PolicyRoute, Protocol};

/// LOCAL_PREF assumed for a route that has none, for `match local-preference` and for
/// `set local-preference +N/-N`: FRR's `bgp default local-preference` (RFC 4271 §5.1.5
/// leaves the value to local policy).
pub const DEFAULT_LOCAL_PREF: u32 = 100;

/// The parts of a route, besides its path attributes, that a route map reads: what a
/// caller caching verdicts per attribute set must add to its key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RouteInputs {
    /// The prefix or just its family: `match ip[v6] address ...`, and `set ip next-hop` /
    /// `set ipv6 next-hop`, which act on one family only.
    pub prefix: bool,
    /// The next hop: `match ip[v6] next-hop ...`.
    pub next_hop: bool,
    /// The peer: `match peer`.
    pub peer: bool,
    /// Where the route comes from: `match source-protocol`, `match interface`,
    /// `match tag`, `match metric` (the route metric for a non-BGP route).
    pub source: bool,
}

impl RouteInputs {
    /// Adds what `m` reads.
    pub(crate) fn add_match(&mut self, m: &Match) {
        match m {
            Match::IpAddressPrefixList(_)
            | Match::IpAddressAccessList(_)
            | Match::Ipv6AddressPrefixList(_)
            | Match::Ipv6AddressAccessList(_) => self.prefix = true,
            Match::IpNextHopPrefixList(_)
            | Match::IpNextHopAccessList(_)
            | Match::IpNextHopAddress(_)
            | Match::Ipv6NextHopPrefixList(_)
            | Match::Ipv6NextHopAddress(_) => self.next_hop = true,
            Match::Peer(_) => self.peer = true,
            Match::SourceProtocol(_) | Match::Interface(_) | Match::Tag(_) | Match::Metric(_) => {
                self.source = true
            }
            Match::Community { .. }
            | Match::LargeCommunity { .. }
            | Match::ExtCommunity(_)
            | Match::AsPath(_)
            | Match::Origin(_)
            | Match::LocalPreference(_) => {}
        }
    }

    /// Adds what `s` reads besides the attributes it changes.
    pub(crate) fn add_set(&mut self, s: &Set) {
        if matches!(s, Set::IpNextHop(_) | Set::Ipv6NextHop(_)) {
            self.prefix = true;
        }
    }
}

/// bgpd's `RMAP_RECURSION_LIMIT`: deeper `call` chains deny.
const MAX_DEPTH: u8 = 10;

/// Which table a reference points into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RefKind {
    PrefixV4,
    PrefixV6,
    AccessV4,
    AccessV6,
    Community,
    Large,
    Ext,
    AsPath,
    RouteMap,
}

impl RefKind {
    /// The statement that defines such a list, for error messages.
    pub(crate) fn statement(self) -> &'static str {
        match self {
            RefKind::PrefixV4 => "ip prefix-list",
            RefKind::PrefixV6 => "ipv6 prefix-list",
            RefKind::AccessV4 => "access-list",
            RefKind::AccessV6 => "ipv6 access-list",
            RefKind::Community => "bgp community-list",
            RefKind::Large => "bgp large-community-list",
            RefKind::Ext => "bgp extcommunity-list",
            RefKind::AsPath => "bgp as-path access-list",
            RefKind::RouteMap => "route-map",
        }
    }

    fn resolve(self, p: &mut Policy, name: &str) -> u32 {
        match self {
            RefKind::PrefixV4 => p.prefix_v4.resolve(name),
            RefKind::PrefixV6 => p.prefix_v6.resolve(name),
            RefKind::AccessV4 => p.access_v4.resolve(name),
            RefKind::AccessV6 => p.access_v6.resolve(name),
            RefKind::Community => p.communities.resolve(name),
            RefKind::Large => p.large_communities.resolve(name),
            RefKind::Ext => p.ext_communities.resolve(name),
            RefKind::AsPath => p.as_paths.resolve(name),
            RefKind::RouteMap => p.route_maps.resolve(name),
        }
    }
}

/// A list or route map named by a clause; resolved to an index when its route map is
/// inserted into a [`Policy`].
#[derive(Clone, Debug)]
pub struct ListRef {
    name: String,
    index: u32,
}

impl ListRef {
    /// A reference to `name`.
    pub fn new(name: impl Into<String>) -> ListRef {
        ListRef { name: name.into(), index: UNRESOLVED }
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn index(&self) -> u32 {
        self.index
    }
}

impl PartialEq for ListRef {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for ListRef {}

/// A match clause.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Match {
    /// `match ip address prefix-list NAME`: an IPv4 prefix the list permits.
    IpAddressPrefixList(ListRef),
    /// `match ip address NAME`: an IPv4 prefix the access list permits.
    IpAddressAccessList(ListRef),
    /// `match ipv6 address prefix-list NAME`.
    Ipv6AddressPrefixList(ListRef),
    /// `match ipv6 address NAME`.
    Ipv6AddressAccessList(ListRef),
    /// `match ip next-hop prefix-list NAME`: the next hop, as a /32, permitted by the list.
    IpNextHopPrefixList(ListRef),
    /// `match ip next-hop NAME`: the next hop permitted by the access list.
    IpNextHopAccessList(ListRef),
    /// `match ip next-hop address A.B.C.D`.
    IpNextHopAddress(Ipv4Addr),
    /// `match ipv6 next-hop prefix-list NAME`.
    Ipv6NextHopPrefixList(ListRef),
    /// `match ipv6 next-hop X:X::X:X`.
    Ipv6NextHopAddress(Ipv6Addr),
    /// `match community NAME [exact-match]`.
    Community {
        /// The community list.
        list: ListRef,
        /// `exact-match`: the route's set must equal a standard entry's.
        exact: bool,
    },
    /// `match large-community NAME [exact-match]`.
    LargeCommunity {
        /// The large-community list.
        list: ListRef,
        /// `exact-match`.
        exact: bool,
    },
    /// `match extcommunity NAME`.
    ExtCommunity(ListRef),
    /// `match as-path NAME`.
    AsPath(ListRef),
    /// `match source-protocol PROTO`.
    SourceProtocol(Protocol),
    /// `match tag N`: the route's tag equals N (a route without a tag never matches).
    Tag(u32),
    /// `match interface IFNAME`: the outgoing interface of a redistributed route.
    Interface(IfName),
    /// `match metric N`: the MED of a BGP route (0 when it has none, as bgpd compares its
    /// zeroed field), [`PolicyRoute::metric`] for any other protocol.
    Metric(u32),
    /// `match peer ADDR`: the neighbour the route was learned from.
    Peer(IpAddr),
    /// `match origin igp|egp|incomplete`.
    Origin(Origin),
    /// `match local-preference N` ([`DEFAULT_LOCAL_PREF`] when the route has none).
    LocalPreference(u32),
}

impl Match {
    /// `match ip address prefix-list NAME`.
    pub fn prefix_list(name: impl Into<String>) -> Match {
        Match::IpAddressPrefixList(ListRef::new(name))
    }

    /// `match ipv6 address prefix-list NAME`.
    pub fn ipv6_prefix_list(name: impl Into<String>) -> Match {
        Match::Ipv6AddressPrefixList(ListRef::new(name))
    }

    /// `match ip address NAME`.
    pub fn access_list(name: impl Into<String>) -> Match {
        Match::IpAddressAccessList(ListRef::new(name))
    }

    /// `match ipv6 address NAME`.
    pub fn ipv6_access_list(name: impl Into<String>) -> Match {
        Match::Ipv6AddressAccessList(ListRef::new(name))
    }

    /// `match community NAME [exact-match]`.
    pub fn community(name: impl Into<String>, exact: bool) -> Match {
        Match::Community { list: ListRef::new(name), exact }
    }

    /// `match large-community NAME [exact-match]`.
    pub fn large_community(name: impl Into<String>, exact: bool) -> Match {
        Match::LargeCommunity { list: ListRef::new(name), exact }
    }

    /// `match extcommunity NAME`.
    pub fn ext_community(name: impl Into<String>) -> Match {
        Match::ExtCommunity(ListRef::new(name))
    }

    /// `match as-path NAME`.
    pub fn as_path(name: impl Into<String>) -> Match {
        Match::AsPath(ListRef::new(name))
    }

    /// The list the clause names, with the table it lives in.
    pub(crate) fn list_ref(&self) -> Option<(RefKind, &ListRef)> {
        Some(match self {
            Match::IpAddressPrefixList(r) | Match::IpNextHopPrefixList(r) => (RefKind::PrefixV4, r),
            Match::IpAddressAccessList(r) | Match::IpNextHopAccessList(r) => (RefKind::AccessV4, r),
            Match::Ipv6AddressPrefixList(r) | Match::Ipv6NextHopPrefixList(r) => {
                (RefKind::PrefixV6, r)
            }
            Match::Ipv6AddressAccessList(r) => (RefKind::AccessV6, r),
            Match::Community { list, .. } => (RefKind::Community, list),
            Match::LargeCommunity { list, .. } => (RefKind::Large, list),
            Match::ExtCommunity(r) => (RefKind::Ext, r),
            Match::AsPath(r) => (RefKind::AsPath, r),
            _ => return None,
        })
    }

    fn list_ref_mut(&mut self) -> Option<(RefKind, &mut ListRef)> {
        Some(match self {
            Match::IpAddressPrefixList(r) | Match::IpNextHopPrefixList(r) => (RefKind::PrefixV4, r),
            Match::IpAddressAccessList(r) | Match::IpNextHopAccessList(r) => (RefKind::AccessV4, r),
            Match::Ipv6AddressPrefixList(r) | Match::Ipv6NextHopPrefixList(r) => {
                (RefKind::PrefixV6, r)
            }
            Match::Ipv6AddressAccessList(r) => (RefKind::AccessV6, r),
            Match::Community { list, .. } => (RefKind::Community, list),
            Match::LargeCommunity { list, .. } => (RefKind::Large, list),
            Match::ExtCommunity(r) => (RefKind::Ext, r),
            Match::AsPath(r) => (RefKind::AsPath, r),
            _ => return None,
        })
    }

    /// True when `route` satisfies the clause. A list that is not defined matches nothing
    /// (bgpd returns `RMAP_NOMATCH` when the list lookup fails).
    fn eval(&self, p: &Policy, r: &PolicyRoute, s: &mut Scratch) -> bool {
        let host = |a: &IpAddr| IpNet::from(*a);
        match self {
            Match::IpAddressPrefixList(l) => {
                p.prefix_v4.get(l.index).is_some_and(|x| x.permits(&r.prefix))
            }
            Match::Ipv6AddressPrefixList(l) => {
                p.prefix_v6.get(l.index).is_some_and(|x| x.permits(&r.prefix))
            }
            Match::IpAddressAccessList(l) => {
                p.access_v4.get(l.index).is_some_and(|x| x.permits(&r.prefix))
            }
            Match::Ipv6AddressAccessList(l) => {
                p.access_v6.get(l.index).is_some_and(|x| x.permits(&r.prefix))
            }
            Match::IpNextHopPrefixList(l) => r
                .next_hop
                .is_some_and(|nh| p.prefix_v4.get(l.index).is_some_and(|x| x.permits(&host(&nh)))),
            Match::Ipv6NextHopPrefixList(l) => r
                .next_hop
                .is_some_and(|nh| p.prefix_v6.get(l.index).is_some_and(|x| x.permits(&host(&nh)))),
            Match::IpNextHopAccessList(l) => r
                .next_hop
                .is_some_and(|nh| p.access_v4.get(l.index).is_some_and(|x| x.permits(&host(&nh)))),
            Match::IpNextHopAddress(a) => r.next_hop == Some(IpAddr::V4(*a)),
            Match::Ipv6NextHopAddress(a) => r.next_hop == Some(IpAddr::V6(*a)),
            Match::Community { list, exact } => p
                .communities
                .get(list.index)
                .is_some_and(|x| x.matches_with(&r.attrs.communities, *exact, s)),
            Match::LargeCommunity { list, exact } => p
                .large_communities
                .get(list.index)
                .is_some_and(|x| x.matches_with(&r.attrs.large_communities, *exact, s)),
            Match::ExtCommunity(l) => p
                .ext_communities
                .get(l.index)
                .is_some_and(|x| x.matches_with(&r.attrs.ext_communities, false, s)),
            Match::AsPath(l) => p
                .as_paths
                .get(l.index)
                .is_some_and(|x| x.permits_with(&r.attrs.as_path, &mut s.text)),
            Match::SourceProtocol(proto) => r.protocol == *proto,
            Match::Tag(t) => r.tag == Some(*t),
            Match::Interface(name) => r.interface == Some(*name),
            Match::Metric(m) => match r.protocol {
                Protocol::Bgp => r.attrs.med.unwrap_or(0) == *m,
                _ => r.metric == *m,
            },
            Match::Peer(a) => r.peer == Some(*a),
            Match::Origin(o) => r.attrs.origin == *o,
            Match::LocalPreference(v) => r.attrs.local_pref.unwrap_or(DEFAULT_LOCAL_PREF) == *v,
        }
    }
}

/// A new value, or a change to the current one (`set local-preference +10`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Adjust {
    /// `N`.
    To(u32),
    /// `+N`, saturating at `u32::MAX`.
    Add(u32),
    /// `-N`, saturating at 0.
    Sub(u32),
}

impl Adjust {
    /// The adjusted value.
    pub fn apply(self, current: u32) -> u32 {
        match self {
            Adjust::To(v) => v,
            Adjust::Add(v) => current.saturating_add(v),
            Adjust::Sub(v) => current.saturating_sub(v),
        }
    }
}

/// `set community` / `set large-community`: what to do with the route's values.
///
/// The result is kept sorted and without duplicates, as bgpd keeps them
/// (`community_uniq_sort`; FRR user guide: duplicate values are ignored and the values are
/// sorted in numerical order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommunityEdit<T> {
    /// `none`: remove them all (the attribute is not sent).
    Clear,
    /// Replace them with these.
    Replace(Vec<T>),
    /// `additive`: add these to them.
    Additive(Vec<T>),
}

impl<T: Copy + Ord> CommunityEdit<T> {
    fn apply_to(&self, values: &mut Vec<T>) {
        match self {
            CommunityEdit::Clear => {
                values.clear();
                return;
            }
            CommunityEdit::Replace(v) => {
                values.clear();
                values.extend_from_slice(v);
            }
            CommunityEdit::Additive(v) => values.extend_from_slice(v),
        }
        values.sort_unstable();
        values.dedup();
    }
}

/// `set extcommunity`.
///
/// FRR's `set extcommunity rt|soo` adds to the route's extended communities rather than
/// replacing them (bgpd `route_set_ecommunity`: "We assume additive for Extended
/// Community"); the user guide only says it "sets" the value, and we follow the code. The
/// result is sorted and without duplicates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExtCommunityEdit {
    /// `set extcommunity none`: remove them all.
    Clear,
    /// `set extcommunity rt VALUE...`: add these route targets.
    Rt(Vec<ExtendedCommunity>),
    /// `set extcommunity soo VALUE...`: add these route origins (site of origin).
    Soo(Vec<ExtendedCommunity>),
}

/// A set clause.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Set {
    /// `set local-preference N|+N|-N` (from [`DEFAULT_LOCAL_PREF`] when absent).
    LocalPreference(Adjust),
    /// `set metric N|+N|-N`: the MED (from 0 when absent), whatever the route's protocol:
    /// the route leaves policy as a BGP route.
    Metric(Adjust),
    /// `set weight N`.
    Weight(u16),
    /// `set origin igp|egp|incomplete`.
    Origin(Origin),
    /// `set community ...`.
    Community(CommunityEdit<Community>),
    /// `set comm-list NAME delete`.
    CommListDelete(ListRef),
    /// `set large-community ...`.
    LargeCommunity(CommunityEdit<LargeCommunity>),
    /// `set large-comm-list NAME delete`.
    LargeCommListDelete(ListRef),
    /// `set extcommunity ...`.
    ExtCommunity(ExtCommunityEdit),
    /// `set as-path prepend ASN...`: the path then starts with these, in this order.
    AsPathPrepend(Vec<Asn>),
    /// `set as-path prepend last-as N` (1..=10): prepend the leftmost AS N more times (FRR
    /// user guide); a path that does not start with an AS_SEQUENCE is left alone.
    AsPathPrependLastAs(u8),
    /// `set as-path exclude ASN...`: remove every occurrence, dropping emptied segments.
    AsPathExclude(Vec<Asn>),
    /// `set ip next-hop ...`; acts on IPv4 routes only (it sets the IPv4 next hop).
    IpNextHop(NextHopAction),
    /// `set ipv6 next-hop global X:X::X:X` / `set ipv6 next-hop peer-address`; acts on IPv6
    /// routes only.
    Ipv6NextHop(NextHopAction),
    /// `set tag N`.
    Tag(u32),
}

impl Set {
    pub(crate) fn list_ref(&self) -> Option<(RefKind, &ListRef)> {
        match self {
            Set::CommListDelete(r) => Some((RefKind::Community, r)),
            Set::LargeCommListDelete(r) => Some((RefKind::Large, r)),
            _ => None,
        }
    }

    fn list_ref_mut(&mut self) -> Option<(RefKind, &mut ListRef)> {
        match self {
            Set::CommListDelete(r) => Some((RefKind::Community, r)),
            Set::LargeCommListDelete(r) => Some((RefKind::Large, r)),
            _ => None,
        }
    }

    /// True when both are the same FRR rule, of which an entry holds one: a second
    /// `set community` replaces the first. `rt` and `soo` are distinct rules, and so is
    /// `extcommunity none`; `prepend` and `prepend last-as` are one rule.
    fn same_rule(&self, other: &Set) -> bool {
        use ExtCommunityEdit as E;
        match (self, other) {
            (Set::ExtCommunity(a), Set::ExtCommunity(b)) => matches!(
                (a, b),
                (E::Clear, E::Clear) | (E::Rt(_), E::Rt(_)) | (E::Soo(_), E::Soo(_))
            ),
            (
                Set::AsPathPrepend(_) | Set::AsPathPrependLastAs(_),
                Set::AsPathPrepend(_) | Set::AsPathPrependLastAs(_),
            ) => true,
            _ => core::mem::discriminant(self) == core::mem::discriminant(other),
        }
    }

    fn apply(&self, p: &Policy, r: &mut PolicyRoute, s: &mut Scratch) {
        match self {
            Set::LocalPreference(adj) => {
                r.attrs.local_pref =
                    Some(adj.apply(r.attrs.local_pref.unwrap_or(DEFAULT_LOCAL_PREF)));
            }
            Set::Metric(adj) => r.attrs.med = Some(adj.apply(r.attrs.med.unwrap_or(0))),
            Set::Weight(w) => r.weight = *w,
            Set::Origin(o) => r.attrs.origin = *o,
            Set::Community(edit) => edit.apply_to(&mut r.attrs.communities),
            Set::CommListDelete(l) => {
                if let Some(list) = p.communities.get(l.index) {
                    list.delete_with(&mut r.attrs.communities, s);
                }
            }
            Set::LargeCommunity(edit) => edit.apply_to(&mut r.attrs.large_communities),
            Set::LargeCommListDelete(l) => {
                if let Some(list) = p.large_communities.get(l.index) {
                    list.delete_with(&mut r.attrs.large_communities, s);
                }
            }
            Set::ExtCommunity(edit) => {
                let ext = &mut r.attrs.ext_communities;
                match edit {
                    ExtCommunityEdit::Clear => ext.clear(),
                    ExtCommunityEdit::Rt(v) | ExtCommunityEdit::Soo(v) => {
                        ext.extend_from_slice(v);
                        ext.sort_unstable();
                        ext.dedup();
                    }
                }
            }
            Set::AsPathPrepend(asns) => {
                for asn in asns.iter().rev() {
                    r.attrs.as_path.prepend(*asn, 1);
                }
            }
            Set::AsPathPrependLastAs(n) => {
                if let Some(first) = r.attrs.as_path.first_as() {
                    r.attrs.as_path.prepend(first, usize::from(*n));
                }
            }
            Set::AsPathExclude(asns) => {
                let path = &mut r.attrs.as_path;
                for seg in &mut path.segments {
                    seg.asns.retain(|a| !asns.contains(a));
                }
                path.segments.retain(|seg| !seg.asns.is_empty());
            }
            Set::IpNextHop(action) => {
                if matches!(r.prefix, IpNet::V4(_)) {
                    r.next_hop_action = Some(*action);
                }
            }
            Set::Ipv6NextHop(action) => {
                if matches!(r.prefix, IpNet::V6(_)) {
                    r.next_hop_action = Some(*action);
                }
            }
            Set::Tag(t) => r.tag = Some(*t),
        }
    }
}

/// What a matching permit entry does next.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Exit {
    /// Stop and permit (no exit clause).
    #[default]
    Stop,
    /// `on-match next` / `continue`: go on with the next entry.
    Next,
    /// `on-match goto N` / `continue N`: go on with the first entry whose seq is at least N;
    /// N must be above the entry's own seq.
    Goto(u32),
}

/// One `route-map NAME permit|deny SEQ` block.
#[derive(Clone, Debug)]
pub struct RouteMapEntry {
    pub(crate) seq: u32,
    pub(crate) action: Verdict,
    pub(crate) matches: Vec<Match>,
    pub(crate) sets: Vec<Set>,
    pub(crate) exit: Exit,
    pub(crate) call: Option<ListRef>,
    pub(crate) description: Option<String>,
    /// Index of the entry the exit policy continues with, set by [`RouteMap::resolve`].
    next: usize,
}

impl PartialEq for RouteMapEntry {
    fn eq(&self, o: &Self) -> bool {
        self.seq == o.seq
            && self.action == o.action
            && self.matches == o.matches
            && self.sets == o.sets
            && self.exit == o.exit
            && self.call == o.call
            && self.description == o.description
    }
}

impl Eq for RouteMapEntry {}

impl RouteMapEntry {
    /// An entry without clauses (it matches every route).
    pub fn new(seq: u32, action: Verdict) -> RouteMapEntry {
        RouteMapEntry {
            seq,
            action,
            matches: Vec::new(),
            sets: Vec::new(),
            exit: Exit::Stop,
            call: None,
            description: None,
            next: usize::MAX,
        }
    }

    /// Adds a match clause.
    pub fn with_match(mut self, m: Match) -> RouteMapEntry {
        self.matches.push(m);
        self
    }

    /// Adds a set clause; set clauses run in the order given.
    pub fn with_set(mut self, s: Set) -> RouteMapEntry {
        self.sets.push(s);
        self
    }

    /// Sets the exit policy.
    pub fn with_exit(mut self, exit: Exit) -> RouteMapEntry {
        self.exit = exit;
        self
    }

    /// `call NAME`.
    pub fn with_call(mut self, name: impl Into<String>) -> RouteMapEntry {
        self.call = Some(ListRef::new(name));
        self
    }

    /// `description TEXT`.
    pub fn with_description(mut self, text: impl Into<String>) -> RouteMapEntry {
        self.description = Some(text.into());
        self
    }

    /// Sequence number.
    pub fn seq(&self) -> u32 {
        self.seq
    }

    /// Permit or deny.
    pub fn action(&self) -> Verdict {
        self.action
    }

    /// The match clauses.
    pub fn matches(&self) -> &[Match] {
        &self.matches
    }

    /// The set clauses.
    pub fn sets(&self) -> &[Set] {
        &self.sets
    }

    /// The exit policy.
    pub fn exit(&self) -> Exit {
        self.exit
    }

    /// The route map called after the set clauses.
    pub fn call(&self) -> Option<&ListRef> {
        self.call.as_ref()
    }

    /// The description.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Adds a match clause as a configuration line does: it replaces a clause of the same
    /// kind (FRR keeps one rule of each kind per entry).
    pub(crate) fn put_match(&mut self, m: Match) {
        let d = core::mem::discriminant(&m);
        match self.matches.iter_mut().find(|x| core::mem::discriminant(*x) == d) {
            Some(slot) => *slot = m,
            None => self.matches.push(m),
        }
    }

    /// Adds a set clause as a configuration line does (see [`RouteMapEntry::put_match`]).
    pub(crate) fn put_set(&mut self, s: Set) {
        match self.sets.iter_mut().find(|x| x.same_rule(&s)) {
            Some(slot) => *slot = s,
            None => self.sets.push(s),
        }
    }
}

impl Sequenced for RouteMapEntry {
    fn seq(&self) -> u32 {
        self.seq
    }
}

/// A named route map. A defined route map without entries denies every route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteMap {
    name: String,
    entries: Vec<RouteMapEntry>,
}

impl RouteMap {
    /// An empty route map.
    pub fn new(name: impl Into<String>) -> RouteMap {
        RouteMap { name: name.into(), entries: Vec::new() }
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The entries in seq order.
    pub fn entries(&self) -> &[RouteMapEntry] {
        &self.entries
    }

    /// Adds an entry, replacing one with the same seq. A `goto N` / `continue N` must jump
    /// forward, N above the entry's seq (FRR refuses it otherwise).
    pub fn insert(&mut self, entry: RouteMapEntry) -> Result<(), PolicyError> {
        if let Exit::Goto(n) = entry.exit {
            if n <= entry.seq {
                return Err(PolicyError::new(
                    0,
                    format!(
                        "route-map {} seq {}: goto {n} does not jump forward",
                        self.name, entry.seq
                    ),
                ));
            }
        }
        insert_sorted(&mut self.entries, entry);
        Ok(())
    }

    /// The entry with seq `seq`, created with `action` when missing; an existing entry takes
    /// the new action (as re-entering `route-map NAME deny 10` in FRR does).
    pub(crate) fn open_entry(&mut self, seq: u32, action: Verdict) {
        match self.entries.iter_mut().find(|e| e.seq == seq) {
            Some(e) => e.action = action,
            None => insert_sorted(&mut self.entries, RouteMapEntry::new(seq, action)),
        }
    }

    pub(crate) fn entry_mut(&mut self, seq: u32) -> Option<&mut RouteMapEntry> {
        self.entries.iter_mut().find(|e| e.seq == seq)
    }

    /// Resolves every name against `p` and every exit policy to an entry index. Jumps are
    /// made to go forward whatever the entries say, so evaluation always ends.
    pub(crate) fn resolve(&mut self, p: &mut Policy) {
        for e in &mut self.entries {
            for m in &mut e.matches {
                if let Some((kind, r)) = m.list_ref_mut() {
                    r.index = kind.resolve(p, &r.name);
                }
            }
            for s in &mut e.sets {
                if let Some((kind, r)) = s.list_ref_mut() {
                    r.index = kind.resolve(p, &r.name);
                }
            }
            if let Some(r) = &mut e.call {
                r.index = RefKind::RouteMap.resolve(p, &r.name);
            }
        }
        let next: Vec<usize> = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| match e.exit {
                Exit::Stop => usize::MAX,
                Exit::Next => i + 1,
                Exit::Goto(n) => self.entries.partition_point(|x| x.seq < n).max(i + 1),
            })
            .collect();
        for (e, n) in self.entries.iter_mut().zip(next) {
            e.next = n;
        }
    }
}

/// Evaluates route map `map` (see the module docs for the flow).
pub(crate) fn run(
    p: &Policy,
    map: u32,
    r: &mut PolicyRoute,
    s: &mut Scratch,
    depth: u8,
) -> Verdict {
    if depth > MAX_DEPTH {
        return Verdict::Deny;
    }
    let Some(m) = p.route_maps.get(map) else { return Verdict::Deny };
    let mut i = 0;
    let mut permitted = false;
    while let Some(e) = m.entries.get(i) {
        if !e.matches.iter().all(|c| c.eval(p, r, s)) {
            i += 1;
            continue;
        }
        if e.action == Verdict::Deny {
            return Verdict::Deny;
        }
        for set in &e.sets {
            set.apply(p, r, s);
        }
        if let Some(c) = &e.call {
            if run(p, c.index, r, s, depth + 1) == Verdict::Deny {
                return Verdict::Deny;
            }
        }
        permitted = true;
        match e.exit {
            Exit::Stop => return Verdict::Permit,
            Exit::Next | Exit::Goto(_) => i = e.next.max(i + 1),
        }
    }
    if permitted {
        Verdict::Permit
    } else {
        Verdict::Deny
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{
        AccessList, AccessListEntry, AddrFamily, AsPathEntry, AsPathList, CommunityList,
        CommunityListEntry, ExtCommunityList, FrrRegex, LargeCommunityList, PrefixList,
        PrefixListEntry,
    };
    use bgp_wire::attribute::community::ExtAdmin;
    use bgp_wire::attribute::{AsPath, Segment, SegmentType};
    use Verdict::{Deny, Permit};

    fn route(p: &str) -> PolicyRoute {
        PolicyRoute::new(p.parse().unwrap(), Protocol::Bgp)
    }

    fn comm(a: u16, v: u16) -> Community {
        Community::new(a, v)
    }

    /// A policy with one list of each kind, all named `L`.
    fn lists() -> Policy {
        let mut p = Policy::new();
        let mut pl = PrefixList::new("L", AddrFamily::Ipv4);
        pl.insert(
            PrefixListEntry::new(5, Permit, "10.0.0.0/8".parse().unwrap(), None, Some(32)).unwrap(),
        )
        .unwrap();
        p.insert_prefix_list(pl);
        let mut pl6 = PrefixList::new("L", AddrFamily::Ipv6);
        pl6.insert(
            PrefixListEntry::new(5, Permit, "2001:db8::/32".parse().unwrap(), None, Some(128))
                .unwrap(),
        )
        .unwrap();
        p.insert_prefix_list(pl6);
        let mut al = AccessList::new("L", AddrFamily::Ipv4);
        al.insert(AccessListEntry::new(5, Permit, "192.0.2.0/24".parse().unwrap(), false)).unwrap();
        p.insert_access_list(al);
        let mut al6 = AccessList::new("L", AddrFamily::Ipv6);
        al6.insert(AccessListEntry::new(5, Permit, "2001:db8:1::/48".parse().unwrap(), false))
            .unwrap();
        p.insert_access_list(al6);
        let mut cl = CommunityList::new("L");
        cl.insert(CommunityListEntry::standard(5, Permit, vec![comm(65000, 1)])).unwrap();
        p.insert_community_list(cl);
        let mut ll = LargeCommunityList::new("L");
        ll.insert(CommunityListEntry::standard(5, Permit, vec![LargeCommunity::new(65000, 1, 1)]))
            .unwrap();
        p.insert_large_community_list(ll);
        let mut el = ExtCommunityList::new("L");
        let rt = ExtendedCommunity::route_target(ExtAdmin::As2(65000, 1));
        el.insert(CommunityListEntry::standard(5, Permit, vec![rt])).unwrap();
        p.insert_ext_community_list(el);
        let mut ap = AsPathList::new("L");
        ap.insert(AsPathEntry::new(5, Permit, FrrRegex::new("^65001_").unwrap()));
        p.insert_as_path_list(ap);
        p
    }

    /// Runs a one-entry permit map holding `m` over `r`.
    fn matches(p: &Policy, m: Match, r: &PolicyRoute) -> bool {
        let mut p = p.clone();
        let mut map = RouteMap::new("T");
        map.insert(RouteMapEntry::new(10, Permit).with_match(m)).unwrap();
        let id = p.insert_route_map(map);
        p.apply(id, &mut r.clone()) == Permit
    }

    /// Each match clause against a route that satisfies it and one that does not; the
    /// comments give the FRR behaviour followed.
    #[test]
    fn match_clauses() {
        let p = lists();
        let v4 = route("10.1.0.0/16");
        let v6 = route("2001:db8:1::/48");
        let with = |f: &dyn Fn(&mut PolicyRoute)| {
            let mut r = route("10.1.0.0/16");
            f(&mut r);
            r
        };
        let rt = ExtendedCommunity::route_target(ExtAdmin::As2(65000, 1));
        let nh4 = |a: [u8; 4]| with(&|r| r.next_hop = Some(IpAddr::from(a)));
        let nh6 = |s: &str| with(&|r| r.next_hop = Some(s.parse().unwrap()));
        let ospf = with(&|r| {
            r.protocol = Protocol::Ospfv2;
            r.metric = 20;
        });
        let eth0 = IfName::new("eth0").unwrap();
        // (clause, matching route, non-matching route)
        let cases: Vec<(Match, PolicyRoute, PolicyRoute)> = vec![
            // bgpd: `match ip address prefix-list` reads only IPv4 prefixes.
            (Match::prefix_list("L"), v4.clone(), v6.clone()),
            (Match::ipv6_prefix_list("L"), v6.clone(), v4.clone()),
            // zebra access list: any prefix inside 192.0.2.0/24.
            (Match::access_list("L"), route("192.0.2.128/25"), v4.clone()),
            (Match::ipv6_access_list("L"), v6.clone(), route("2001:db8:2::/48")),
            // Next hop as a host prefix against the list.
            (Match::IpNextHopPrefixList(ListRef::new("L")), nh4([10, 0, 0, 1]), nh4([11, 0, 0, 1])),
            (
                Match::IpNextHopAccessList(ListRef::new("L")),
                nh4([192, 0, 2, 1]),
                nh4([10, 0, 0, 1]),
            ),
            (
                Match::IpNextHopAddress(Ipv4Addr::new(10, 0, 0, 1)),
                nh4([10, 0, 0, 1]),
                nh4([10, 0, 0, 2]),
            ),
            (
                Match::Ipv6NextHopPrefixList(ListRef::new("L")),
                nh6("2001:db8::1"),
                nh6("2001:db9::1"),
            ),
            (
                Match::Ipv6NextHopAddress("2001:db8::1".parse().unwrap()),
                nh6("2001:db8::1"),
                nh4([10, 0, 0, 1]),
            ),
            // Community lists: the route carries every listed value.
            (
                Match::community("L", false),
                with(&|r| r.attrs.communities = vec![comm(1, 1), comm(65000, 1)]),
                with(&|r| r.attrs.communities = vec![comm(1, 1)]),
            ),
            // exact-match: the sets are equal.
            (
                Match::community("L", true),
                with(&|r| r.attrs.communities = vec![comm(65000, 1)]),
                with(&|r| r.attrs.communities = vec![comm(1, 1), comm(65000, 1)]),
            ),
            (
                Match::large_community("L", false),
                with(&|r| r.attrs.large_communities = vec![LargeCommunity::new(65000, 1, 1)]),
                v4.clone(),
            ),
            (
                Match::large_community("L", true),
                with(&|r| r.attrs.large_communities = vec![LargeCommunity::new(65000, 1, 1)]),
                with(&|r| {
                    r.attrs.large_communities =
                        vec![LargeCommunity::new(65000, 1, 1), LargeCommunity::new(1, 1, 1)]
                }),
            ),
            (Match::ext_community("L"), with(&|r| r.attrs.ext_communities = vec![rt]), v4.clone()),
            (
                Match::as_path("L"),
                with(&|r| r.attrs.as_path = AsPath::from_sequence([65001, 3])),
                with(&|r| r.attrs.as_path = AsPath::from_sequence([3, 65001])),
            ),
            (Match::SourceProtocol(Protocol::Bgp), v4.clone(), ospf.clone()),
            (Match::SourceProtocol(Protocol::Ospfv2), ospf.clone(), v4.clone()),
            (Match::Tag(7), with(&|r| r.tag = Some(7)), v4.clone()),
            (Match::Interface(eth0), with(&|r| r.interface = Some(eth0)), v4.clone()),
            // `match metric`: MED for BGP (absent counts as 0), the route metric otherwise.
            (Match::Metric(0), v4.clone(), with(&|r| r.attrs.med = Some(5))),
            (Match::Metric(5), with(&|r| r.attrs.med = Some(5)), with(&|r| r.metric = 5)),
            (Match::Metric(20), ospf.clone(), with(&|r| r.protocol = Protocol::Ospfv2)),
            (
                Match::Peer(IpAddr::from([192, 0, 2, 1])),
                with(&|r| r.peer = Some(IpAddr::from([192, 0, 2, 1]))),
                v4.clone(),
            ),
            (
                Match::Origin(Origin::Incomplete),
                with(&|r| r.attrs.origin = Origin::Incomplete),
                v4.clone(),
            ),
            // Absent LOCAL_PREF compares as FRR's default 100.
            (Match::LocalPreference(100), v4.clone(), with(&|r| r.attrs.local_pref = Some(200))),
            (Match::LocalPreference(200), with(&|r| r.attrs.local_pref = Some(200)), v4.clone()),
        ];
        for (m, yes, no) in cases {
            assert!(matches(&p, m.clone(), &yes), "{m:?} should match {yes:?}");
            assert!(!matches(&p, m.clone(), &no), "{m:?} should not match {no:?}");
        }
    }

    /// bgpd: a clause naming a list that does not exist matches nothing.
    #[test]
    fn undefined_lists_match_nothing() {
        let p = Policy::new();
        for m in [Match::prefix_list("X"), Match::community("X", false), Match::as_path("X")] {
            assert!(!matches(&p, m, &route("10.0.0.0/8")));
        }
    }

    /// Applies a one-entry map holding `s` to `r`.
    fn set(p: &Policy, s: Set, mut r: PolicyRoute) -> PolicyRoute {
        let mut p = p.clone();
        let mut map = RouteMap::new("T");
        map.insert(RouteMapEntry::new(10, Permit).with_set(s)).unwrap();
        let id = p.insert_route_map(map);
        assert_eq!(p.apply(id, &mut r), Permit);
        r
    }

    /// Each set clause: (clause, route before, route after).
    #[test]
    fn set_clauses() {
        let mut p = lists();
        let mut del = CommunityList::new("DEL");
        del.insert(CommunityListEntry::standard(5, Permit, vec![comm(100, 1), comm(100, 2)]))
            .unwrap();
        p.insert_community_list(del);
        let base = route("10.0.0.0/8");
        let v6 = route("2001:db8::/32");
        let with = |r: &PolicyRoute, f: &dyn Fn(&mut PolicyRoute)| {
            let mut r = r.clone();
            f(&mut r);
            r
        };
        let lc = LargeCommunity::new;
        let rt = |v| ExtendedCommunity::route_target(ExtAdmin::As2(65000, v));
        let soo = ExtendedCommunity::route_origin(ExtAdmin::As2(65000, 9));
        let seq = |v: &[u32]| AsPath::from_sequence(v.iter().copied());
        let peer = NextHopAction::PeerAddress;
        let cases: Vec<(Set, PolicyRoute, PolicyRoute)> = vec![
            (
                Set::LocalPreference(Adjust::To(200)),
                base.clone(),
                with(&base, &|r| r.attrs.local_pref = Some(200)),
            ),
            // +N/-N start from FRR's default 100 when absent, and saturate.
            (
                Set::LocalPreference(Adjust::Add(10)),
                base.clone(),
                with(&base, &|r| r.attrs.local_pref = Some(110)),
            ),
            (
                Set::LocalPreference(Adjust::Sub(10)),
                with(&base, &|r| r.attrs.local_pref = Some(5)),
                with(&base, &|r| r.attrs.local_pref = Some(0)),
            ),
            (
                Set::LocalPreference(Adjust::Add(10)),
                with(&base, &|r| r.attrs.local_pref = Some(u32::MAX - 1)),
                with(&base, &|r| r.attrs.local_pref = Some(u32::MAX)),
            ),
            // `set metric` is the MED, from 0 when absent.
            (Set::Metric(Adjust::To(50)), base.clone(), with(&base, &|r| r.attrs.med = Some(50))),
            (Set::Metric(Adjust::Add(5)), base.clone(), with(&base, &|r| r.attrs.med = Some(5))),
            (
                Set::Metric(Adjust::Sub(5)),
                with(&base, &|r| r.attrs.med = Some(3)),
                with(&base, &|r| r.attrs.med = Some(0)),
            ),
            (Set::Weight(300), base.clone(), with(&base, &|r| r.weight = 300)),
            (
                Set::Origin(Origin::Egp),
                base.clone(),
                with(&base, &|r| r.attrs.origin = Origin::Egp),
            ),
            // set community replaces; additive merges; both sorted and deduplicated.
            (
                Set::Community(CommunityEdit::Replace(vec![comm(2, 2), comm(1, 1)])),
                with(&base, &|r| r.attrs.communities = vec![comm(9, 9)]),
                with(&base, &|r| r.attrs.communities = vec![comm(1, 1), comm(2, 2)]),
            ),
            (
                Set::Community(CommunityEdit::Additive(vec![comm(2, 2), comm(1, 1)])),
                with(&base, &|r| r.attrs.communities = vec![comm(9, 9), comm(1, 1)]),
                with(&base, &|r| r.attrs.communities = vec![comm(1, 1), comm(2, 2), comm(9, 9)]),
            ),
            (
                Set::Community(CommunityEdit::Clear),
                with(&base, &|r| r.attrs.communities = vec![comm(9, 9)]),
                base.clone(),
            ),
            (
                Set::CommListDelete(ListRef::new("DEL")),
                with(&base, &|r| {
                    r.attrs.communities = vec![comm(100, 1), comm(100, 3), comm(100, 2)]
                }),
                with(&base, &|r| r.attrs.communities = vec![comm(100, 3)]),
            ),
            (
                Set::LargeCommunity(CommunityEdit::Additive(vec![lc(1, 2, 3)])),
                with(&base, &|r| r.attrs.large_communities = vec![lc(9, 9, 9), lc(1, 2, 3)]),
                with(&base, &|r| r.attrs.large_communities = vec![lc(1, 2, 3), lc(9, 9, 9)]),
            ),
            (
                Set::LargeCommunity(CommunityEdit::Replace(vec![lc(1, 2, 3)])),
                with(&base, &|r| r.attrs.large_communities = vec![lc(9, 9, 9)]),
                with(&base, &|r| r.attrs.large_communities = vec![lc(1, 2, 3)]),
            ),
            (
                Set::LargeCommunity(CommunityEdit::Clear),
                with(&base, &|r| r.attrs.large_communities = vec![lc(9, 9, 9)]),
                base.clone(),
            ),
            (
                Set::LargeCommListDelete(ListRef::new("L")),
                with(&base, &|r| r.attrs.large_communities = vec![lc(65000, 1, 1), lc(9, 9, 9)]),
                with(&base, &|r| r.attrs.large_communities = vec![lc(9, 9, 9)]),
            ),
            // bgpd: set extcommunity adds (it does not replace).
            (
                Set::ExtCommunity(ExtCommunityEdit::Rt(vec![rt(2), rt(1)])),
                with(&base, &|r| r.attrs.ext_communities = vec![soo, rt(1)]),
                with(&base, &|r| r.attrs.ext_communities = vec![rt(1), rt(2), soo]),
            ),
            (
                Set::ExtCommunity(ExtCommunityEdit::Soo(vec![soo])),
                base.clone(),
                with(&base, &|r| r.attrs.ext_communities = vec![soo]),
            ),
            (
                Set::ExtCommunity(ExtCommunityEdit::Clear),
                with(&base, &|r| r.attrs.ext_communities = vec![soo]),
                base.clone(),
            ),
            (
                Set::AsPathPrepend(vec![Asn(1), Asn(2)]),
                with(&base, &|r| r.attrs.as_path = seq(&[3])),
                with(&base, &|r| r.attrs.as_path = seq(&[1, 2, 3])),
            ),
            (
                Set::AsPathPrepend(vec![Asn(1)]),
                base.clone(),
                with(&base, &|r| r.attrs.as_path = seq(&[1])),
            ),
            (
                Set::AsPathPrependLastAs(2),
                with(&base, &|r| r.attrs.as_path = seq(&[7, 8])),
                with(&base, &|r| r.attrs.as_path = seq(&[7, 7, 7, 8])),
            ),
            (Set::AsPathPrependLastAs(2), base.clone(), base.clone()),
            (
                Set::AsPathExclude(vec![Asn(7), Asn(9)]),
                with(&base, &|r| {
                    r.attrs.as_path =
                        AsPath { segments: vec![Segment::sequence([7, 8, 7]), Segment::set([9])] }
                }),
                with(&base, &|r| r.attrs.as_path = seq(&[8])),
            ),
            (
                Set::IpNextHop(NextHopAction::Address(IpAddr::from([192, 0, 2, 1]))),
                base.clone(),
                with(&base, &|r| {
                    r.next_hop_action = Some(NextHopAction::Address(IpAddr::from([192, 0, 2, 1])))
                }),
            ),
            (Set::IpNextHop(peer), base.clone(), with(&base, &|r| r.next_hop_action = Some(peer))),
            (
                Set::IpNextHop(NextHopAction::Unchanged),
                base.clone(),
                with(&base, &|r| r.next_hop_action = Some(NextHopAction::Unchanged)),
            ),
            // `set ip next-hop` sets the IPv4 next hop: an IPv6 route keeps its own.
            (Set::IpNextHop(peer), v6.clone(), v6.clone()),
            (Set::Ipv6NextHop(peer), v6.clone(), with(&v6, &|r| r.next_hop_action = Some(peer))),
            (Set::Ipv6NextHop(peer), base.clone(), base.clone()),
            (Set::Tag(9), base.clone(), with(&base, &|r| r.tag = Some(9))),
        ];
        for (s, before, after) in cases {
            assert_eq!(set(&p, s.clone(), before.clone()), after, "{s:?} on {before:?}");
        }
    }

    #[test]
    fn confed_first_segment_keeps_last_as_alone() {
        let r = {
            let mut r = route("10.0.0.0/8");
            r.attrs.as_path = AsPath {
                segments: vec![Segment {
                    kind: SegmentType::AS_CONFED_SEQUENCE,
                    asns: vec![Asn(1)],
                }],
            };
            r
        };
        assert_eq!(set(&Policy::new(), Set::AsPathPrependLastAs(3), r.clone()), r);
    }

    fn map(entries: Vec<RouteMapEntry>) -> (Policy, crate::policy::RouteMapId) {
        let mut p = lists();
        let mut m = RouteMap::new("M");
        for e in entries {
            m.insert(e).unwrap();
        }
        let id = p.insert_route_map(m);
        (p, id)
    }

    fn tag(n: u32) -> Set {
        Set::Tag(n)
    }

    /// FRR user guide, "Route Maps": the flow of entries and exit policies.
    #[test]
    fn flow() {
        let pl = || Match::prefix_list("L");
        let lp = |v| Set::LocalPreference(Adjust::To(v));
        let in_l = "10.0.0.0/8";
        let out_l = "11.0.0.0/8";
        // (entries, prefix, verdict, tag, local pref)
        type Case = (Vec<RouteMapEntry>, &'static str, Verdict, Option<u32>, Option<u32>);
        let cases: Vec<Case> = vec![
            // No entry matches: implicit deny.
            (vec![RouteMapEntry::new(10, Permit).with_match(pl())], out_l, Deny, None, None),
            // An empty map denies.
            (vec![], in_l, Deny, None, None),
            // An entry without match clauses matches everything.
            (vec![RouteMapEntry::new(10, Permit).with_set(tag(1))], out_l, Permit, Some(1), None),
            // A matching deny entry denies at once; its sets do not run.
            (
                vec![
                    RouteMapEntry::new(10, Deny).with_match(pl()).with_set(tag(1)),
                    RouteMapEntry::new(20, Permit),
                ],
                in_l,
                Deny,
                None,
                None,
            ),
            // Not matching the deny entry falls through to the next.
            (
                vec![
                    RouteMapEntry::new(10, Deny).with_match(pl()),
                    RouteMapEntry::new(20, Permit).with_set(tag(2)),
                ],
                out_l,
                Permit,
                Some(2),
                None,
            ),
            // The first matching permit stops evaluation.
            (
                vec![
                    RouteMapEntry::new(10, Permit).with_set(tag(1)),
                    RouteMapEntry::new(20, Permit).with_set(tag(2)),
                ],
                in_l,
                Permit,
                Some(1),
                None,
            ),
            // on-match next: both entries apply; the later set wins.
            (
                vec![
                    RouteMapEntry::new(10, Permit)
                        .with_set(tag(1))
                        .with_set(lp(50))
                        .with_exit(Exit::Next),
                    RouteMapEntry::new(20, Permit).with_set(tag(2)),
                ],
                in_l,
                Permit,
                Some(2),
                Some(50),
            ),
            // on-match next then nothing else matches: still permitted.
            (
                vec![
                    RouteMapEntry::new(10, Permit).with_set(tag(1)).with_exit(Exit::Next),
                    RouteMapEntry::new(20, Permit).with_match(Match::Tag(99)).with_set(tag(2)),
                ],
                in_l,
                Permit,
                Some(1),
                None,
            ),
            // on-match next into a matching deny entry: denied.
            (
                vec![
                    RouteMapEntry::new(10, Permit).with_set(tag(1)).with_exit(Exit::Next),
                    RouteMapEntry::new(20, Deny).with_match(Match::Tag(1)),
                ],
                in_l,
                Deny,
                Some(1),
                None,
            ),
            // Later matches see earlier sets (continue, then match on the new tag).
            (
                vec![
                    RouteMapEntry::new(10, Permit).with_set(tag(5)).with_exit(Exit::Next),
                    RouteMapEntry::new(20, Permit).with_match(Match::Tag(5)).with_set(lp(300)),
                ],
                in_l,
                Permit,
                Some(5),
                Some(300),
            ),
            // goto skips entries below N and lands on the first seq >= N.
            (
                vec![
                    RouteMapEntry::new(10, Permit).with_set(tag(1)).with_exit(Exit::Goto(25)),
                    RouteMapEntry::new(20, Permit).with_set(tag(2)),
                    RouteMapEntry::new(30, Permit).with_set(lp(30)),
                ],
                in_l,
                Permit,
                Some(1),
                Some(30),
            ),
            // goto exactly onto an entry's seq.
            (
                vec![
                    RouteMapEntry::new(10, Permit).with_exit(Exit::Goto(30)),
                    RouteMapEntry::new(20, Deny),
                    RouteMapEntry::new(30, Permit).with_set(tag(3)),
                ],
                in_l,
                Permit,
                Some(3),
                None,
            ),
            // goto past the last entry: permitted, nothing more applies.
            (
                vec![
                    RouteMapEntry::new(10, Permit).with_set(tag(1)).with_exit(Exit::Goto(100)),
                    RouteMapEntry::new(20, Deny),
                ],
                in_l,
                Permit,
                Some(1),
                None,
            ),
            // A chain of continues through several entries.
            (
                vec![
                    RouteMapEntry::new(10, Permit).with_set(tag(1)).with_exit(Exit::Next),
                    RouteMapEntry::new(20, Permit)
                        .with_match(Match::Tag(1))
                        .with_set(tag(2))
                        .with_exit(Exit::Next),
                    RouteMapEntry::new(30, Permit).with_match(Match::Tag(2)).with_set(lp(7)),
                ],
                in_l,
                Permit,
                Some(2),
                Some(7),
            ),
        ];
        for (i, (entries, prefix, verdict, want_tag, want_lp)) in cases.into_iter().enumerate() {
            let (p, id) = map(entries);
            let mut r = route(prefix);
            assert_eq!(p.apply(id, &mut r), verdict, "case {i}");
            assert_eq!((r.tag, r.attrs.local_pref), (want_tag, want_lp), "case {i}");
        }
    }

    #[test]
    fn goto_must_jump_forward() {
        let mut m = RouteMap::new("M");
        for n in [5, 10] {
            let e = m.insert(RouteMapEntry::new(10, Permit).with_exit(Exit::Goto(n))).unwrap_err();
            assert!(e.reason.contains("forward"), "{}", e.reason);
        }
        m.insert(RouteMapEntry::new(10, Permit).with_exit(Exit::Goto(11))).unwrap();
    }

    /// FRR user guide: `call` runs after the sets; a deny there denies; a permit carries on
    /// with the caller's exit policy.
    #[test]
    fn call() {
        let mut p = lists();
        let mut sub = RouteMap::new("SUB");
        sub.insert(RouteMapEntry::new(10, Deny).with_match(Match::Tag(66))).unwrap();
        sub.insert(RouteMapEntry::new(20, Permit).with_set(Set::Weight(7))).unwrap();
        let mut top = RouteMap::new("TOP");
        top.insert(
            RouteMapEntry::new(10, Permit).with_set(tag(1)).with_call("SUB").with_exit(Exit::Next),
        )
        .unwrap();
        top.insert(
            RouteMapEntry::new(20, Permit)
                .with_match(Match::Tag(1))
                .with_set(Set::Metric(Adjust::To(9))),
        )
        .unwrap();
        let id = p.insert_route_map(top);
        // Called before it exists: the call denies.
        assert_eq!(p.apply(id, &mut route("10.0.0.0/8")), Deny);
        p.insert_route_map(sub);
        let mut r = route("10.0.0.0/8");
        assert_eq!(p.apply(id, &mut r), Permit);
        assert_eq!((r.tag, r.weight, r.attrs.med), (Some(1), 7, Some(9)));
        assert!(!p.depends_on_prefix(id));
        // The called map's deny wins.
        let mut top2 = RouteMap::new("TOP2");
        top2.insert(RouteMapEntry::new(10, Permit).with_set(tag(66)).with_call("SUB")).unwrap();
        let id2 = p.insert_route_map(top2);
        assert_eq!(p.apply(id2, &mut route("10.0.0.0/8")), Deny);
        // A prefix match inside a called map counts.
        let mut sub2 = RouteMap::new("SUB");
        sub2.insert(RouteMapEntry::new(10, Permit).with_match(Match::prefix_list("L"))).unwrap();
        p.insert_route_map(sub2);
        assert!(p.depends_on_prefix(id));
    }

    #[test]
    fn configuration_lines_replace_same_kind() {
        let mut e = RouteMapEntry::new(10, Permit);
        e.put_match(Match::prefix_list("A"));
        e.put_match(Match::Tag(1));
        e.put_match(Match::prefix_list("B"));
        assert_eq!(e.matches(), [Match::prefix_list("B"), Match::Tag(1)]);
        e.put_set(Set::ExtCommunity(ExtCommunityEdit::Rt(vec![])));
        e.put_set(Set::ExtCommunity(ExtCommunityEdit::Soo(vec![])));
        e.put_set(Set::AsPathPrepend(vec![Asn(1)]));
        e.put_set(Set::AsPathPrependLastAs(2));
        e.put_set(Set::Community(CommunityEdit::Clear));
        e.put_set(Set::Community(CommunityEdit::Additive(vec![])));
        assert_eq!(
            e.sets(),
            [
                Set::ExtCommunity(ExtCommunityEdit::Rt(vec![])),
                Set::ExtCommunity(ExtCommunityEdit::Soo(vec![])),
                Set::AsPathPrependLastAs(2),
                Set::Community(CommunityEdit::Additive(vec![])),
            ]
        );
    }

    /// What a caller caching per attribute set must add to its key.
    #[test]
    fn route_inputs() {
        let inputs = |e: RouteMapEntry| {
            let (p, id) = map(vec![e]);
            (p.route_inputs(id), p.depends_on_prefix(id))
        };
        let none = RouteInputs::default();
        let cases: Vec<(RouteMapEntry, RouteInputs)> = vec![
            (RouteMapEntry::new(10, Permit).with_match(Match::community("L", false)), none),
            (
                RouteMapEntry::new(10, Permit).with_match(Match::prefix_list("L")),
                RouteInputs { prefix: true, ..none },
            ),
            // `set ip next-hop` acts on IPv4 routes only: the family matters.
            (
                RouteMapEntry::new(10, Permit).with_set(Set::IpNextHop(NextHopAction::Unchanged)),
                RouteInputs { prefix: true, ..none },
            ),
            (
                RouteMapEntry::new(10, Permit)
                    .with_match(Match::IpNextHopAddress(Ipv4Addr::LOCALHOST)),
                RouteInputs { next_hop: true, ..none },
            ),
            (
                RouteMapEntry::new(10, Permit).with_match(Match::Peer(IpAddr::from([1, 1, 1, 1]))),
                RouteInputs { peer: true, ..none },
            ),
            (
                RouteMapEntry::new(10, Permit)
                    .with_match(Match::Tag(1))
                    .with_match(Match::Metric(1)),
                RouteInputs { source: true, ..none },
            ),
        ];
        for (e, want) in cases {
            assert_eq!(inputs(e.clone()), (want, want.prefix), "{e:?}");
        }
    }

    #[test]
    fn regex_clauses_reuse_scratch() {
        let mut p = Policy::new();
        let mut ap = AsPathList::new("A");
        ap.insert(AsPathEntry::new(5, Permit, FrrRegex::new("_65002$").unwrap()));
        p.insert_as_path_list(ap);
        let mut m = RouteMap::new("M");
        m.insert(RouteMapEntry::new(10, Permit).with_match(Match::as_path("A"))).unwrap();
        let id = p.insert_route_map(m);
        let mut scratch = Scratch::default();
        for (path, want) in [(vec![1, 65002], Permit), (vec![65002, 1], Deny), (vec![], Deny)] {
            let mut r = route("10.0.0.0/8");
            r.attrs.as_path = AsPath::from_sequence(path);
            assert_eq!(p.apply_with(id, &mut r, &mut scratch), want);
        }
    }
}
