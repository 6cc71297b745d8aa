//! Community lists: `bgp community-list`, `bgp large-community-list` and
//! `bgp extcommunity-list`, standard (explicit values) or expanded (a regex over the text
//! form).
//!
//! The three share their semantics (bgpd `bgp_clist.c`): entries in seq order, the first
//! that matches decides, none matching denies. A standard entry matches when the route
//! carries every value it lists; with `exact-match` the route's set must equal the entry's.
//! An expanded entry's regex runs over the route's values written as FRR writes them,
//! lowest first, separated by spaces; a route without any is the empty string.

use core::fmt::{self, Write as _};

use bgp_wire::attribute::community::ExtendedCommunityKind;
use bgp_wire::attribute::{Community, ExtendedCommunity, LargeCommunity};

use super::{
    insert_sorted, next_seq, push_u32, FrrRegex, PolicyError, Scratch, Sequenced, Verdict,
};

mod sealed {
    pub trait Sealed {}
    impl Sealed for bgp_wire::attribute::Community {}
    impl Sealed for bgp_wire::attribute::LargeCommunity {}
    impl Sealed for bgp_wire::attribute::ExtendedCommunity {}
}

/// A value a community list holds: a community, a large community or an extended
/// community.
pub trait CommunityValue: Copy + Ord + fmt::Debug + sealed::Sealed {
    /// Appends the value as FRR writes it in `show` output and regex input.
    fn write_frr(&self, out: &mut String);

    #[doc(hidden)]
    fn buffers(scratch: &mut Scratch) -> (&mut Vec<Self>, &mut String);
}

/// FRR's names for well-known communities (bgpd `community_str`, `bgp_clist.c`), by value.
const COMMUNITY_NAMES: &[(u32, &str)] = &[
    (0xFFFF_0000, "graceful-shutdown"),
    (0xFFFF_0001, "accept-own"),
    (0xFFFF_0002, "route-filter-translated-v4"),
    (0xFFFF_0003, "route-filter-v4"),
    (0xFFFF_0004, "route-filter-translated-v6"),
    (0xFFFF_0005, "route-filter-v6"),
    (0xFFFF_0006, "llgr-stale"),
    (0xFFFF_0007, "no-llgr"),
    (0xFFFF_0008, "accept-own-nexthop"),
    (0xFFFF_029A, "blackhole"),
    (0xFFFF_FF01, "no-export"),
    (0xFFFF_FF02, "no-advertise"),
    (0xFFFF_FF03, "local-AS"),
    (0xFFFF_FF04, "no-peer"),
];

/// Parses `AA:NN` or one of FRR's names. `internet` is 0:0: FRR once treated it as a
/// wildcard in standard lists, but removed that meaning (FRRouting/frr PR #14141), so here it
/// is a plain value.
pub fn parse_community(s: &str) -> Option<Community> {
    if s == "internet" {
        return Some(Community(0));
    }
    if let Some(&(v, _)) = COMMUNITY_NAMES.iter().find(|(_, n)| *n == s) {
        return Some(Community(v));
    }
    let (a, n) = s.split_once(':')?;
    Some(Community::new(a.parse().ok()?, n.parse().ok()?))
}

/// Parses `GLOBAL:LOCAL1:LOCAL2` (RFC 8092 §3, each part 32 bits).
pub fn parse_large_community(s: &str) -> Option<LargeCommunity> {
    let mut parts = s.split(':');
    let g = parts.next()?.parse().ok()?;
    let l1 = parts.next()?.parse().ok()?;
    let l2 = parts.next()?.parse().ok()?;
    parts.next().is_none().then_some(LargeCommunity::new(g, l1, l2))
}

impl CommunityValue for Community {
    /// `no-export`, `blackhole`, ... for well-known values, `AA:NN` otherwise. Zero is
    /// written `0:0` (FRR stopped writing `internet` with PR #14141).
    fn write_frr(&self, out: &mut String) {
        match COMMUNITY_NAMES.iter().find(|(v, _)| *v == self.0) {
            Some((_, name)) => out.push_str(name),
            None => {
                push_u32(out, u32::from(self.asn()));
                out.push(':');
                push_u32(out, u32::from(self.value()));
            }
        }
    }

    fn buffers(scratch: &mut Scratch) -> (&mut Vec<Self>, &mut String) {
        (&mut scratch.communities, &mut scratch.text)
    }
}

impl CommunityValue for LargeCommunity {
    /// `G:L1:L2`.
    fn write_frr(&self, out: &mut String) {
        push_u32(out, self.global_admin);
        out.push(':');
        push_u32(out, self.local_data_1);
        out.push(':');
        push_u32(out, self.local_data_2);
    }

    fn buffers(scratch: &mut Scratch) -> (&mut Vec<Self>, &mut String) {
        (&mut scratch.large, &mut scratch.text)
    }
}

impl CommunityValue for ExtendedCommunity {
    /// FRR's display form: `RT:65000:1`, `SoO:192.0.2.1:7`, `LB:65000:125000000`; other
    /// kinds in bgp-wire's form (`0xTT:0xSS:hex`).
    fn write_frr(&self, out: &mut String) {
        let _ = match self.kind() {
            ExtendedCommunityKind::RouteTarget(a) => write!(out, "RT:{a}"),
            ExtendedCommunityKind::RouteOrigin(a) => write!(out, "SoO:{a}"),
            ExtendedCommunityKind::LinkBandwidth { asn, bandwidth } => {
                write!(out, "LB:{asn}:{}", bandwidth as u64)
            }
            _ => write!(out, "{self}"),
        };
    }

    fn buffers(scratch: &mut Scratch) -> (&mut Vec<Self>, &mut String) {
        (&mut scratch.ext, &mut scratch.text)
    }
}

/// What a community-list entry compares with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommunityMatcher<T> {
    /// Explicit values, sorted and without duplicates. Empty matches every route (FRR user
    /// guide: "When COMMUNITY is empty it matches to any routes").
    Standard(Vec<T>),
    /// A regex over the text form.
    Expanded(FrrRegex),
}

/// One community-list line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommunityListEntry<T> {
    seq: u32,
    action: Verdict,
    matcher: CommunityMatcher<T>,
}

impl<T: CommunityValue> CommunityListEntry<T> {
    /// A standard entry; the values are sorted and deduplicated.
    pub fn standard(seq: u32, action: Verdict, mut values: Vec<T>) -> Self {
        values.sort_unstable();
        values.dedup();
        CommunityListEntry { seq, action, matcher: CommunityMatcher::Standard(values) }
    }

    /// An expanded entry.
    pub fn expanded(seq: u32, action: Verdict, regex: FrrRegex) -> Self {
        CommunityListEntry { seq, action, matcher: CommunityMatcher::Expanded(regex) }
    }

    /// Sequence number.
    pub fn seq(&self) -> u32 {
        self.seq
    }

    /// What a match means.
    pub fn action(&self) -> Verdict {
        self.action
    }

    /// The values or regex.
    pub fn matcher(&self) -> &CommunityMatcher<T> {
        &self.matcher
    }

    fn is_expanded(&self) -> bool {
        matches!(self.matcher, CommunityMatcher::Expanded(_))
    }
}

impl<T> Sequenced for CommunityListEntry<T> {
    fn seq(&self) -> u32 {
        self.seq
    }
}

/// A named community list of one kind of value; see [`CommunityList`],
/// [`LargeCommunityList`] and [`ExtCommunityList`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommunityListOf<T> {
    name: String,
    entries: Vec<CommunityListEntry<T>>,
}

/// `bgp community-list` (RFC 1997 communities).
pub type CommunityList = CommunityListOf<Community>;
/// `bgp large-community-list` (RFC 8092).
pub type LargeCommunityList = CommunityListOf<LargeCommunity>;
/// `bgp extcommunity-list` (RFC 4360).
pub type ExtCommunityList = CommunityListOf<ExtendedCommunity>;

/// The route's values in the order FRR holds them: ascending, without duplicates. Borrows
/// them as they are when they already are in that order (the usual case).
fn ordered<'a, T: CommunityValue>(values: &'a [T], buf: &'a mut Vec<T>) -> &'a [T] {
    if values.windows(2).all(|w| matches!(w, [a, b] if a < b)) {
        return values;
    }
    buf.clear();
    buf.extend_from_slice(values);
    buf.sort_unstable();
    buf.dedup();
    buf
}

/// Writes `values` (already ordered) space separated into `out`.
fn write_all<T: CommunityValue>(values: &[T], out: &mut String) {
    out.clear();
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        v.write_frr(out);
    }
}

impl<T: CommunityValue> CommunityListOf<T> {
    /// An empty list (it denies everything).
    pub fn new(name: impl Into<String>) -> Self {
        CommunityListOf { name: name.into(), entries: Vec::new() }
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The entries in seq order.
    pub fn entries(&self) -> &[CommunityListEntry<T>] {
        &self.entries
    }

    /// The seq given to an entry written without one (next multiple of five).
    pub fn next_seq(&self) -> u32 {
        next_seq(&self.entries)
    }

    /// Adds an entry, replacing one with the same seq. A list is either standard or
    /// expanded: bgpd refuses the other style once the list has entries
    /// (`COMMUNITY_LIST_ERR_STANDARD_CONFLICT`).
    pub fn insert(&mut self, entry: CommunityListEntry<T>) -> Result<(), PolicyError> {
        if let Some(first) = self.entries.iter().find(|e| e.seq != entry.seq) {
            if first.is_expanded() != entry.is_expanded() {
                let style = if first.is_expanded() { "expanded" } else { "standard" };
                return Err(PolicyError::new(
                    0,
                    format!("list {} is {style}; it cannot take the other style", self.name),
                ));
            }
        }
        insert_sorted(&mut self.entries, entry);
        Ok(())
    }

    /// True when the first entry matching `values` permits.
    pub fn matches(&self, values: &[T]) -> bool {
        self.matches_with(values, false, &mut Scratch::default())
    }

    /// The same with `exact-match`: a standard entry matches only when the route's set of
    /// values equals the entry's. An expanded entry matches as without it (bgpd
    /// `community_list_exact_match`).
    pub fn matches_exact(&self, values: &[T]) -> bool {
        self.matches_with(values, true, &mut Scratch::default())
    }

    pub(crate) fn matches_with(&self, values: &[T], exact: bool, scratch: &mut Scratch) -> bool {
        let mut text_ready = false;
        for e in &self.entries {
            let hit = match &e.matcher {
                CommunityMatcher::Standard(want) if exact => {
                    want.iter().all(|w| values.contains(w))
                        && values.iter().all(|v| want.binary_search(v).is_ok())
                }
                CommunityMatcher::Standard(want) => want.iter().all(|w| values.contains(w)),
                CommunityMatcher::Expanded(re) => {
                    let (buf, text) = T::buffers(scratch);
                    if !text_ready {
                        write_all(ordered(values, buf), text);
                        text_ready = true;
                    }
                    re.is_match(text)
                }
            };
            if hit {
                return e.action == Verdict::Permit;
            }
        }
        false
    }

    /// `set comm-list NAME delete`: removes each value whose first matching entry permits.
    /// A standard entry matches a single value when it lists it; an expanded one when its
    /// regex matches that value's text. Deny entries keep what they match (FRR user guide:
    /// "only permit community-list is used"; bgpd `community_list_match_delete`).
    pub fn delete_from(&self, values: &mut Vec<T>) {
        self.delete_with(values, &mut Scratch::default());
    }

    pub(crate) fn delete_with(&self, values: &mut Vec<T>, scratch: &mut Scratch) {
        let text = &mut scratch.text;
        values.retain(|v| {
            for e in &self.entries {
                let hit = match &e.matcher {
                    CommunityMatcher::Standard(want) => want.binary_search(v).is_ok(),
                    CommunityMatcher::Expanded(re) => {
                        text.clear();
                        v.write_frr(text);
                        re.is_match(text)
                    }
                };
                if hit {
                    return e.action != Verdict::Permit;
                }
            }
            true
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bgp_wire::attribute::community::ExtAdmin;
    use std::net::Ipv4Addr;
    use Verdict::{Deny, Permit};

    fn c(s: &str) -> Community {
        parse_community(s).unwrap()
    }

    fn cs(s: &str) -> Vec<Community> {
        s.split_whitespace().map(c).collect()
    }

    fn std_list(entries: &[(Verdict, &str)]) -> CommunityList {
        let mut l = CommunityList::new("C");
        for (i, (a, vals)) in entries.iter().enumerate() {
            l.insert(CommunityListEntry::standard(5 * (i as u32 + 1), *a, cs(vals))).unwrap();
        }
        l
    }

    fn exp_list(entries: &[(Verdict, &str)]) -> CommunityList {
        let mut l = CommunityList::new("E");
        for (i, (a, re)) in entries.iter().enumerate() {
            let e =
                CommunityListEntry::expanded(5 * (i as u32 + 1), *a, FrrRegex::new(re).unwrap());
            l.insert(e).unwrap();
        }
        l
    }

    /// FRR user guide, "Communities Attribute": the names and their values.
    #[test]
    fn names_parse_and_print() {
        let cases = [
            ("internet", 0, "0:0"),
            ("graceful-shutdown", 0xFFFF_0000, "graceful-shutdown"),
            ("accept-own", 0xFFFF_0001, "accept-own"),
            ("llgr-stale", 0xFFFF_0006, "llgr-stale"),
            ("no-llgr", 0xFFFF_0007, "no-llgr"),
            ("blackhole", 0xFFFF_029A, "blackhole"),
            ("no-export", 0xFFFF_FF01, "no-export"),
            ("no-advertise", 0xFFFF_FF02, "no-advertise"),
            ("local-AS", 0xFFFF_FF03, "local-AS"),
            ("no-peer", 0xFFFF_FF04, "no-peer"),
            ("65000:100", 0xFDE8_0064, "65000:100"),
            ("65535:666", 0xFFFF_029A, "blackhole"),
        ];
        for (text, value, printed) in cases {
            let v = c(text);
            assert_eq!(v.0, value, "{text}");
            let mut out = String::new();
            v.write_frr(&mut out);
            assert_eq!(out, printed);
        }
        for bad in ["65536:1", "1:65536", "1", "a:b", "no_export", "1:2:3"] {
            assert_eq!(parse_community(bad), None, "{bad}");
        }
        assert_eq!(
            parse_large_community("4200000000:1:2"),
            Some(LargeCommunity::new(4_200_000_000, 1, 2))
        );
        for bad in ["1:2", "1:2:3:4", "1:2:x", "4294967296:1:1"] {
            assert_eq!(parse_large_community(bad), None, "{bad}");
        }
    }

    /// (list, route communities, permitted)
    type Case = (&'static [(Verdict, &'static str)], &'static str, bool);

    /// bgpd `community_match`: a standard entry matches when the route carries all its
    /// communities; first matching entry decides; none denies.
    #[test]
    fn standard_matching() {
        // (list, route communities, permitted)
        let cases: &[Case] = &[
            (&[(Permit, "65000:1")], "65000:1", true),
            (&[(Permit, "65000:1")], "65000:2 65000:1", true),
            (&[(Permit, "65000:1")], "", false),
            (&[(Permit, "65000:1 65000:2")], "65000:1", false),
            (&[(Permit, "65000:1 65000:2")], "65000:2 65000:3 65000:1", true),
            (&[(Deny, "65000:1"), (Permit, "")], "65000:1", false),
            (&[(Deny, "65000:1"), (Permit, "")], "65000:2", true),
            (&[(Deny, "65000:1"), (Permit, "")], "", true),
            (&[(Permit, "no-export")], "no-export", true),
            // `internet` is plain 0:0 (FRR PR #14141), not a wildcard.
            (&[(Permit, "internet")], "65000:1", false),
            (&[(Permit, "internet")], "0:0", true),
        ];
        for &(entries, route, want) in cases {
            assert_eq!(std_list(entries).matches(&cs(route)), want, "{entries:?} on {route:?}");
        }
    }

    /// FRR: `exact-match` matches only when the route has exactly the entry's set.
    #[test]
    fn exact_matching() {
        let l = std_list(&[(Permit, "65000:1 65000:2")]);
        assert!(l.matches_exact(&cs("65000:2 65000:1")));
        assert!(l.matches_exact(&cs("65000:2 65000:1 65000:1")));
        assert!(!l.matches_exact(&cs("65000:2 65000:1 65000:3")));
        assert!(!l.matches_exact(&cs("65000:1")));
        let e = exp_list(&[(Permit, "65000:1")]);
        assert!(e.matches_exact(&cs("65000:1 65000:3")));
    }

    /// bgpd `community_regexp_match`: the regex runs over the sorted text, names included;
    /// no communities is the empty string.
    #[test]
    fn expanded_matching() {
        let cases: &[(&str, &str, bool)] = &[
            ("^$", "", true),
            ("^$", "65000:1", false),
            ("^65000:1 65000:2$", "65000:2 65000:1", true),
            ("^65000:1 65000:2$", "65000:2 65000:1 65000:2", true),
            ("65000:[0-9]+", "1:1 65000:77", true),
            ("no-export", "65000:1 no-export", true),
            ("^65000:1 no-export$", "no-export 65000:1", true),
            ("^65001:", "65000:1", false),
        ];
        for &(re, route, want) in cases {
            assert_eq!(exp_list(&[(Permit, re)]).matches(&cs(route)), want, "{re} on {route:?}");
        }
        assert!(!exp_list(&[(Deny, ".*"), (Permit, ".*")]).matches(&cs("1:1")));
    }

    /// FRR user guide: `set comm-list NAME delete` removes what permit entries match; deny
    /// entries keep theirs.
    #[test]
    fn delete() {
        let cases: &[(CommunityList, &str, &str)] = &[
            (std_list(&[(Permit, "100:1 100:2")]), "100:1 100:2 100:3", "100:3"),
            (std_list(&[(Permit, "100:1")]), "100:2 100:1 100:1", "100:2"),
            (std_list(&[(Deny, "100:1"), (Permit, "100:1 100:2")]), "100:1 100:2", "100:1"),
            (exp_list(&[(Permit, "^100:")]), "100:1 1100:2 100:3 no-export", "1100:2 no-export"),
            (exp_list(&[(Deny, "^100:1$"), (Permit, "^100:")]), "100:1 100:2", "100:1"),
            (exp_list(&[(Permit, "^no-")]), "no-export no-advertise 1:1", "1:1"),
            (std_list(&[(Permit, "1:1")]), "", ""),
        ];
        for (list, route, want) in cases {
            let mut v = cs(route);
            list.delete_from(&mut v);
            assert_eq!(v, cs(want), "{list:?} on {route:?}");
        }
    }

    #[test]
    fn styles_do_not_mix() {
        let mut l = std_list(&[(Permit, "1:1")]);
        let e = CommunityListEntry::expanded(10, Permit, FrrRegex::new(".*").unwrap());
        assert!(l.insert(e.clone()).unwrap_err().reason.contains("standard"));
        // Replacing the only entry with the other style is allowed.
        l.insert(CommunityListEntry::expanded(5, Permit, FrrRegex::new(".*").unwrap())).unwrap();
        l.insert(e).unwrap();
        assert_eq!(l.entries().len(), 2);
    }

    /// RFC 8092 large communities: standard lists need all values; the regex sees them
    /// lowest first (FRR user guide, "Large Community Lists").
    #[test]
    fn large_lists() {
        let lc = LargeCommunity::new;
        let mut l = LargeCommunityList::new("L");
        l.insert(CommunityListEntry::standard(5, Permit, vec![lc(65000, 1, 1), lc(65000, 1, 2)]))
            .unwrap();
        assert!(l.matches(&[lc(65000, 1, 2), lc(65000, 1, 1)]));
        assert!(!l.matches(&[lc(65000, 1, 2)]));
        assert!(l.matches_exact(&[lc(65000, 1, 2), lc(65000, 1, 1)]));
        assert!(!l.matches_exact(&[lc(65000, 1, 2), lc(65000, 1, 1), lc(1, 1, 1)]));
        let mut e = LargeCommunityList::new("E");
        let re = FrrRegex::new("^1:2:3 65000:1:1$").unwrap();
        e.insert(CommunityListEntry::expanded(5, Permit, re)).unwrap();
        assert!(e.matches(&[lc(65000, 1, 1), lc(1, 2, 3)]));
        let mut v = vec![lc(65000, 1, 1), lc(1, 2, 3), lc(65000, 1, 2)];
        l.delete_from(&mut v);
        assert_eq!(v, [lc(1, 2, 3)]);
    }

    /// RFC 4360 extended communities in FRR's text form (`RT:`, `SoO:`).
    #[test]
    fn ext_lists() {
        let rt = |a, v| ExtendedCommunity::route_target(ExtAdmin::As2(a, v));
        let soo = ExtendedCommunity::route_origin(ExtAdmin::Ipv4(Ipv4Addr::new(192, 0, 2, 1), 7));
        let rt4 = ExtendedCommunity::route_target(ExtAdmin::As4(4_200_000_000, 1));
        let mut out = String::new();
        write_all(&[rt(65000, 1), soo, rt4], &mut out);
        assert_eq!(out, "RT:65000:1 SoO:192.0.2.1:7 RT:4200000000:1");
        let mut l = ExtCommunityList::new("X");
        l.insert(CommunityListEntry::standard(5, Permit, vec![rt(65000, 1), soo])).unwrap();
        assert!(l.matches(&[soo, rt(65000, 2), rt(65000, 1)]));
        assert!(!l.matches(&[rt(65000, 1)]));
        let mut e = ExtCommunityList::new("Y");
        e.insert(CommunityListEntry::expanded(5, Permit, FrrRegex::new("^RT:65000:").unwrap()))
            .unwrap();
        assert!(e.matches(&[rt(65000, 9)]));
        assert!(!e.matches(&[soo]));
    }
}
