//! Routing policy: prefix lists, access lists, community lists, AS-path access lists and
//! route maps, built in code or parsed from FRR-like text.
//!
//! A [`Policy`] is plain data: the same value comes out of [`Policy::parse`] on a
//! configuration file and out of the `insert_*` methods in a test. Names are resolved to
//! indices when a route map is inserted (a name mentioned before its list is defined gets
//! its slot then), and regexes are compiled once, so evaluating a route does no name lookup
//! and allocates nothing unless a regex needs a route's text form, which is written into a
//! reusable [`Scratch`].
//!
//! Semantics follow FRR (bgpd, zebra and lib/routemap); each type's documentation says
//! where, and where FRR's documentation and its code disagree, which one is followed.
//! Evaluation is deterministic: no clock, no randomness, fixed hashing.
//!
//! # Text form
//!
//! One statement per line; `!` and `#` begin comments; indentation is free.
//!
//! - `ip prefix-list NAME [seq N] permit|deny PREFIX [ge N] [le N] | any`, and
//!   `ipv6 prefix-list ...` (a separate namespace, as in FRR)
//! - `access-list NAME [seq N] permit|deny PREFIX [exact-match] | any`, and
//!   `ipv6 access-list ...` (zebra style)
//! - `bgp community-list standard NAME [seq N] permit|deny COMMUNITY...` or
//!   `... expanded NAME [seq N] permit|deny REGEX`; likewise `bgp large-community-list`,
//!   and `bgp extcommunity-list standard NAME permit|deny (rt|soo) VALUE...` /
//!   `expanded`. The pre-7.2 spelling with `ip` instead of `bgp` is accepted.
//! - `bgp as-path access-list NAME [seq N] permit|deny REGEX`
//! - `route-map NAME permit|deny SEQ`, then `match ...`, `set ...`, `on-match next`,
//!   `on-match goto N`, `continue [N]`, `call NAME`, `description TEXT` lines, until the
//!   next top-level statement or `exit` / `exit-route-map`. A second clause of the same
//!   kind in one entry replaces the first, as in FRR. [`Match`] and [`Set`] list the
//!   clauses, each with its syntax.
//!
//! Entries without `seq` get the next multiple of five above the highest. A bad line is
//! refused with its line number; so is a clause naming a list or route map that the text
//! does not define anywhere.
//!
//! ```
//! use rib::policy::{Policy, Verdict};
//! use rib::{PolicyRoute, Protocol};
//!
//! let policy = Policy::parse(
//!     "ip prefix-list LOOPBACK seq 5 permit 10.0.0.0/8 ge 32\n\
//!      route-map LOOPBACK permit 10\n\
//!       match ip address prefix-list LOOPBACK\n\
//!       set local-preference 200\n",
//! )
//! .unwrap();
//! let map = policy.route_map_id("LOOPBACK").unwrap();
//! let mut route = PolicyRoute::new("10.0.0.1/32".parse().unwrap(), Protocol::Connected);
//! assert_eq!(policy.apply(map, &mut route), Verdict::Permit);
//! assert_eq!(route.attrs.local_pref, Some(200));
//! ```
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

mod as_path_list;
mod community_list;
mod parse;
mod prefix_list;
mod regex;
mod route_map;
mod table;

use core::fmt;
use std::net::IpAddr;

use bgp_wire::attribute::{Community, ExtendedCommunity, LargeCommunity};
use ipnet::IpNet;

use crate::PolicyRoute;
use table::Table;

pub use as_path_list::{AsPathEntry, AsPathList};
pub use community_list::{
    parse_community, parse_large_community, CommunityList, CommunityListEntry, CommunityListOf,
    CommunityMatcher, CommunityValue, ExtCommunityList, LargeCommunityList,
};
pub use prefix_list::{AccessList, AccessListEntry, PrefixList, PrefixListEntry};
pub use regex::FrrRegex;
pub use route_map::{
    Adjust, CommunityEdit, Exit, ExtCommunityEdit, ListRef, Match, RouteInputs, RouteMap,
    RouteMapEntry, Set, DEFAULT_LOCAL_PREF,
};

/// The outcome of a route map or a list entry's action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Accept (a route map: keep the route, with its set clauses applied).
    Permit,
    /// Reject.
    Deny,
}

/// IPv4 or IPv6: prefix lists and access lists hold one family each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AddrFamily {
    /// IPv4 (`ip prefix-list`, `access-list`).
    Ipv4,
    /// IPv6 (`ipv6 prefix-list`, `ipv6 access-list`).
    Ipv6,
}

impl AddrFamily {
    /// The family of a prefix.
    pub fn of(prefix: &IpNet) -> AddrFamily {
        match prefix {
            IpNet::V4(_) => AddrFamily::Ipv4,
            IpNet::V6(_) => AddrFamily::Ipv6,
        }
    }

    /// The family of an address.
    pub fn of_addr(addr: &IpAddr) -> AddrFamily {
        match addr {
            IpAddr::V4(_) => AddrFamily::Ipv4,
            IpAddr::V6(_) => AddrFamily::Ipv6,
        }
    }
}

impl fmt::Display for AddrFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AddrFamily::Ipv4 => "IPv4",
            AddrFamily::Ipv6 => "IPv6",
        })
    }
}

/// A refused policy: the 1-based line of the text (0 when built in code) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError {
    /// 1-based line number; 0 for a value built in code.
    pub line: usize,
    /// What is wrong, naming the offending token.
    pub reason: String,
}

impl PolicyError {
    /// An error at `line` (0: not from text).
    pub fn new(line: usize, reason: impl Into<String>) -> PolicyError {
        PolicyError { line, reason: reason.into() }
    }

    /// Sets the line when none is set yet.
    pub(crate) fn at(mut self, line: usize) -> PolicyError {
        if self.line == 0 {
            self.line = line;
        }
        self
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

impl std::error::Error for PolicyError {}

/// A route map, resolved: cheap to copy and to apply, no name lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RouteMapId(u32);

/// Reusable buffers for the text forms that regex matches read (AS path, communities).
/// [`Policy::apply`] makes a fresh one per call, which allocates only when a regex runs;
/// keep one per worker and call [`Policy::apply_with`] to allocate nothing in steady state.
#[derive(Clone, Debug, Default)]
pub struct Scratch {
    pub(crate) text: String,
    pub(crate) communities: Vec<Community>,
    pub(crate) large: Vec<LargeCommunity>,
    pub(crate) ext: Vec<ExtendedCommunity>,
}

/// Appends `n` in decimal, without the formatting machinery (text forms are written per
/// route).
pub(crate) fn push_u32(out: &mut String, mut n: u32) {
    let mut digits = [0u8; 10];
    let mut start = digits.len();
    while let Some(slot) = start.checked_sub(1).and_then(|i| digits.get_mut(i)) {
        start -= 1;
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    digits.get(start..).unwrap_or(&[]).iter().for_each(|&d| out.push(char::from(d)));
}

/// Entries kept in seq order.
pub(crate) trait Sequenced {
    fn seq(&self) -> u32;
}

/// Inserts in seq order; an entry with the same seq is replaced.
pub(crate) fn insert_sorted<E: Sequenced>(entries: &mut Vec<E>, entry: E) {
    match entries.binary_search_by_key(&entry.seq(), Sequenced::seq) {
        Ok(i) => {
            if let Some(slot) = entries.get_mut(i) {
                *slot = entry;
            }
        }
        Err(i) => entries.insert(i, entry),
    }
}

/// FRR's automatic sequence number: the next multiple of five above the highest
/// (FRR user guide, "IP Access List": after 2 comes 5, after 2 and 7 comes 10).
pub(crate) fn next_seq<E: Sequenced>(entries: &[E]) -> u32 {
    entries.last().map_or(5, |e| (e.seq() / 5).saturating_add(1).saturating_mul(5))
}

/// Named prefix lists, access lists, community lists, AS-path lists and route maps.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    pub(crate) prefix_v4: Table<PrefixList>,
    pub(crate) prefix_v6: Table<PrefixList>,
    pub(crate) access_v4: Table<AccessList>,
    pub(crate) access_v6: Table<AccessList>,
    pub(crate) communities: Table<CommunityList>,
    pub(crate) large_communities: Table<LargeCommunityList>,
    pub(crate) ext_communities: Table<ExtCommunityList>,
    pub(crate) as_paths: Table<AsPathList>,
    pub(crate) route_maps: Table<RouteMap>,
}

impl Policy {
    /// An empty policy.
    pub fn new() -> Policy {
        Policy::default()
    }

    /// Parses a whole configuration in FRR's syntax (see the [module docs](self) for the
    /// statements). Every list a route map mentions must be defined somewhere in the text.
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        parse::parse(text)
    }

    fn prefix_table(&self, family: AddrFamily) -> &Table<PrefixList> {
        match family {
            AddrFamily::Ipv4 => &self.prefix_v4,
            AddrFamily::Ipv6 => &self.prefix_v6,
        }
    }

    fn access_table(&self, family: AddrFamily) -> &Table<AccessList> {
        match family {
            AddrFamily::Ipv4 => &self.access_v4,
            AddrFamily::Ipv6 => &self.access_v6,
        }
    }

    /// Adds or replaces a prefix list (in its family's namespace).
    pub fn insert_prefix_list(&mut self, mut list: PrefixList) {
        list.optimize();
        let table = match list.family() {
            AddrFamily::Ipv4 => &mut self.prefix_v4,
            AddrFamily::Ipv6 => &mut self.prefix_v6,
        };
        table.insert(list.name().to_owned(), list);
    }

    /// Adds or replaces an access list (in its family's namespace).
    pub fn insert_access_list(&mut self, list: AccessList) {
        let table = match list.family() {
            AddrFamily::Ipv4 => &mut self.access_v4,
            AddrFamily::Ipv6 => &mut self.access_v6,
        };
        table.insert(list.name().to_owned(), list);
    }

    /// Adds or replaces a community list (standard and expanded share one namespace).
    pub fn insert_community_list(&mut self, list: CommunityList) {
        self.communities.insert(list.name().to_owned(), list);
    }

    /// Adds or replaces a large-community list.
    pub fn insert_large_community_list(&mut self, list: LargeCommunityList) {
        self.large_communities.insert(list.name().to_owned(), list);
    }

    /// Adds or replaces an extended-community list.
    pub fn insert_ext_community_list(&mut self, list: ExtCommunityList) {
        self.ext_communities.insert(list.name().to_owned(), list);
    }

    /// Adds or replaces an AS-path access list.
    pub fn insert_as_path_list(&mut self, list: AsPathList) {
        self.as_paths.insert(list.name().to_owned(), list);
    }

    /// Adds or replaces a route map, resolving every list and route map it names. Names not
    /// defined yet get a slot now and are filled by a later insert; [`Policy::check`] reports
    /// those still missing.
    pub fn insert_route_map(&mut self, mut map: RouteMap) -> RouteMapId {
        map.resolve(self);
        RouteMapId(self.route_maps.insert(map.name().to_owned(), map))
    }

    /// The id of a defined route map.
    pub fn route_map_id(&self, name: &str) -> Option<RouteMapId> {
        self.route_maps.id(name).map(RouteMapId)
    }

    /// A route map by name.
    pub fn route_map(&self, name: &str) -> Option<&RouteMap> {
        self.route_maps.by_name(name)
    }

    /// A prefix list by family and name.
    pub fn prefix_list(&self, family: AddrFamily, name: &str) -> Option<&PrefixList> {
        self.prefix_table(family).by_name(name)
    }

    /// An access list by family and name.
    pub fn access_list(&self, family: AddrFamily, name: &str) -> Option<&AccessList> {
        self.access_table(family).by_name(name)
    }

    /// A community list by name.
    pub fn community_list(&self, name: &str) -> Option<&CommunityList> {
        self.communities.by_name(name)
    }

    /// A large-community list by name.
    pub fn large_community_list(&self, name: &str) -> Option<&LargeCommunityList> {
        self.large_communities.by_name(name)
    }

    /// An extended-community list by name.
    pub fn ext_community_list(&self, name: &str) -> Option<&ExtCommunityList> {
        self.ext_communities.by_name(name)
    }

    /// An AS-path access list by name.
    pub fn as_path_list(&self, name: &str) -> Option<&AsPathList> {
        self.as_paths.by_name(name)
    }

    /// Runs route map `map` over `route`, applying its set clauses in place.
    ///
    /// On [`Verdict::Deny`] the route may already carry changes made by earlier entries
    /// (`on-match next`); discard it. An id from another policy denies.
    pub fn apply(&self, map: RouteMapId, route: &mut PolicyRoute) -> Verdict {
        self.apply_with(map, route, &mut Scratch::default())
    }

    /// [`Policy::apply`] with caller-owned buffers.
    pub fn apply_with(
        &self,
        map: RouteMapId,
        route: &mut PolicyRoute,
        scratch: &mut Scratch,
    ) -> Verdict {
        route_map::run(self, map.0, route, scratch, 0)
    }

    /// Applies a route map by name; a name that is not defined denies, as in FRR (bgpd
    /// denies a route when the route map it names does not exist).
    pub fn apply_named(&self, name: &str, route: &mut PolicyRoute) -> Verdict {
        match self.route_map_id(name) {
            Some(id) => self.apply(id, route),
            None => Verdict::Deny,
        }
    }

    /// True when the map (or a map it calls) reads the route's prefix: a `match ip address`
    /// / `match ipv6 address` clause, or a `set ip next-hop` / `set ipv6 next-hop`, which acts
    /// on one family only. When false, the verdict and the changes do not depend on the
    /// prefix, so a caller may cache them per attribute set (see also
    /// [`Policy::route_inputs`] for the other route fields a map reads).
    pub fn depends_on_prefix(&self, map: RouteMapId) -> bool {
        self.route_inputs(map).prefix
    }

    /// Every part of a route besides its path attributes that the map (or a map it calls)
    /// reads.
    pub fn route_inputs(&self, map: RouteMapId) -> RouteInputs {
        let mut inputs = RouteInputs::default();
        let mut seen = vec![false; self.route_maps.len()];
        let mut stack = vec![map.0];
        while let Some(i) = stack.pop() {
            match seen.get_mut(i as usize) {
                Some(s) if !*s => *s = true,
                _ => continue,
            }
            let Some(m) = self.route_maps.get(i) else { continue };
            for e in m.entries() {
                e.matches().iter().for_each(|c| inputs.add_match(c));
                e.sets().iter().for_each(|s| inputs.add_set(s));
                stack.extend(e.call().map(ListRef::index));
            }
        }
        inputs
    }

    /// The verdict of prefix list `name` for `prefix`: `None` when no list of that name
    /// exists; a list of the other family only gives `Some(false)` (it never matches).
    pub fn prefix_list_permits(&self, name: &str, prefix: &IpNet) -> Option<bool> {
        let family = AddrFamily::of(prefix);
        match self.prefix_list(family, name) {
            Some(list) => Some(list.permits(prefix)),
            None => {
                let other = match family {
                    AddrFamily::Ipv4 => AddrFamily::Ipv6,
                    AddrFamily::Ipv6 => AddrFamily::Ipv4,
                };
                self.prefix_list(other, name).map(|_| false)
            }
        }
    }

    /// The verdict of access list `name` for `prefix`, as [`Policy::prefix_list_permits`].
    pub fn access_list_permits(&self, name: &str, prefix: &IpNet) -> Option<bool> {
        let family = AddrFamily::of(prefix);
        match self.access_list(family, name) {
            Some(list) => Some(list.permits(prefix)),
            None => {
                let other = match family {
                    AddrFamily::Ipv4 => AddrFamily::Ipv6,
                    AddrFamily::Ipv6 => AddrFamily::Ipv4,
                };
                self.access_list(other, name).map(|_| false)
            }
        }
    }

    /// Checks that every list and route map a route map names is defined and that no route
    /// map calls itself, directly or through others. Errors carry line 0.
    pub fn check(&self) -> Result<(), PolicyError> {
        let missing = [
            ("ip prefix-list", self.prefix_v4.undefined().next()),
            ("ipv6 prefix-list", self.prefix_v6.undefined().next()),
            ("access-list", self.access_v4.undefined().next()),
            ("ipv6 access-list", self.access_v6.undefined().next()),
            ("community-list", self.communities.undefined().next()),
            ("large-community-list", self.large_communities.undefined().next()),
            ("extcommunity-list", self.ext_communities.undefined().next()),
            ("as-path access-list", self.as_paths.undefined().next()),
            ("route-map", self.route_maps.undefined().next()),
        ];
        if let Some((kind, Some(name))) = missing.into_iter().find(|(_, n)| n.is_some()) {
            return Err(PolicyError::new(0, format!("{kind} {name} is used but not defined")));
        }
        if let Some(&(map, seq)) = self.call_cycles().first() {
            return Err(PolicyError::new(
                0,
                format!("route-map {map} seq {seq}: call loops back to {map}"),
            ));
        }
        Ok(())
    }

    /// The route map entries whose `call` leads back to their own map: (map name, seq).
    pub(crate) fn call_cycles(&self) -> Vec<(&str, u32)> {
        let n = self.route_maps.len();
        let mut found = Vec::new();
        for (start, map) in self.route_maps.iter() {
            for e in map.entries() {
                let Some(target) = e.call().map(ListRef::index) else { continue };
                let mut seen = vec![false; n];
                let mut stack = vec![target];
                while let Some(i) = stack.pop() {
                    if i == start {
                        found.push((map.name(), e.seq()));
                        break;
                    }
                    match seen.get_mut(i as usize) {
                        Some(s) if !*s => *s = true,
                        _ => continue,
                    }
                    if let Some(m) = self.route_maps.get(i) {
                        stack.extend(
                            m.entries().iter().filter_map(|e| e.call()).map(ListRef::index),
                        );
                    }
                }
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Protocol;
    use Verdict::{Deny, Permit};

    fn route(p: &str) -> PolicyRoute {
        PolicyRoute::new(p.parse().unwrap(), Protocol::Bgp)
    }

    /// The seed configuration: a zebra access list and a prefix list, each behind a route
    /// map of the same name.
    #[test]
    fn seed_configuration() {
        let policy = Policy::parse(
            "access-list K8SROUTES permit 10.233.64.0/18\n\
             ip prefix-list LOOPBACK seq 5 permit 10.0.0.0/8 ge 32\n\
             route-map LOOPBACK permit 10\n \
             match ip address prefix-list LOOPBACK\n\
             route-map K8SROUTES permit 10\n \
             match ip address K8SROUTES\n",
        )
        .unwrap();
        policy.check().unwrap();
        let cases = [
            ("K8SROUTES", "10.233.65.0/24", Permit),
            ("K8SROUTES", "10.233.128.0/24", Deny),
            ("LOOPBACK", "10.0.0.1/32", Permit),
            ("LOOPBACK", "10.0.0.0/24", Deny),
        ];
        for (map, prefix, want) in cases {
            assert_eq!(policy.apply_named(map, &mut route(prefix)), want, "{map} {prefix}");
            let id = policy.route_map_id(map).unwrap();
            assert_eq!(policy.apply(id, &mut route(prefix)), want, "{map} {prefix}");
            assert!(policy.depends_on_prefix(id));
        }
        let p = |s: &str| s.parse::<IpNet>().unwrap();
        assert_eq!(policy.prefix_list_permits("LOOPBACK", &p("10.0.0.1/32")), Some(true));
        assert_eq!(policy.prefix_list_permits("LOOPBACK", &p("10.0.0.0/24")), Some(false));
        assert_eq!(policy.prefix_list_permits("LOOPBACK", &p("2001:db8::1/128")), Some(false));
        assert_eq!(policy.prefix_list_permits("NOPE", &p("10.0.0.1/32")), None);
        assert_eq!(policy.access_list_permits("K8SROUTES", &p("10.233.65.0/24")), Some(true));
        assert_eq!(policy.access_list_permits("K8SROUTES", &p("10.233.128.0/24")), Some(false));
    }

    /// The same policy built in code evaluates the same way.
    #[test]
    fn built_in_code_matches_parsed() {
        let mut policy = Policy::new();
        // Route maps may come before the lists they read.
        let mut k8s = RouteMap::new("K8SROUTES");
        k8s.insert(RouteMapEntry::new(10, Permit).with_match(Match::access_list("K8SROUTES")))
            .unwrap();
        let id = policy.insert_route_map(k8s);
        assert!(policy.check().unwrap_err().reason.contains("K8SROUTES"));
        assert_eq!(policy.apply(id, &mut route("10.233.65.0/24")), Deny);
        let mut acl = AccessList::new("K8SROUTES", AddrFamily::Ipv4);
        acl.insert(AccessListEntry::new(5, Permit, "10.233.64.0/18".parse().unwrap(), false))
            .unwrap();
        policy.insert_access_list(acl);
        policy.check().unwrap();
        assert_eq!(policy.apply(id, &mut route("10.233.65.0/24")), Permit);
        assert_eq!(policy.apply(id, &mut route("10.233.128.0/24")), Deny);
        assert_eq!(policy.route_map_id("K8SROUTES"), Some(id));
    }

    /// FRR: a route map name that does not exist denies.
    #[test]
    fn unknown_map_denies() {
        let policy = Policy::new();
        assert_eq!(policy.apply_named("NOPE", &mut route("10.0.0.0/8")), Deny);
        assert_eq!(policy.route_map_id("NOPE"), None);
        assert_eq!(policy.apply(RouteMapId(7), &mut route("10.0.0.0/8")), Deny);
    }

    #[test]
    fn decimal() {
        for n in [0, 7, 10, 65535, 4_200_000_000, u32::MAX] {
            let mut s = String::from("x");
            push_u32(&mut s, n);
            assert_eq!(s, format!("x{n}"));
        }
    }

    #[test]
    fn error_display() {
        let e = PolicyError::new(3, "bad prefix '10.0.0.0/33'");
        assert_eq!(e.to_string(), "line 3: bad prefix '10.0.0.0/33'");
        assert_eq!(PolicyError::new(0, "x").at(4).line, 4);
        assert_eq!(PolicyError::new(2, "x").at(4).line, 2);
    }

    #[test]
    fn call_cycles_are_found() {
        let mut policy = Policy::new();
        let mut a = RouteMap::new("A");
        a.insert(RouteMapEntry::new(10, Permit).with_call("B")).unwrap();
        let mut b = RouteMap::new("B");
        b.insert(RouteMapEntry::new(10, Permit).with_call("A")).unwrap();
        let id = policy.insert_route_map(a);
        policy.insert_route_map(b);
        let e = policy.check().unwrap_err();
        assert!(e.reason.contains("loops"), "{}", e.reason);
        // Evaluation is still bounded: the recursion limit denies.
        assert_eq!(policy.apply(id, &mut route("10.0.0.0/8")), Deny);
    }
}
