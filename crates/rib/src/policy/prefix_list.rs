//! Prefix lists (`ip prefix-list`, `ipv6 prefix-list`) and zebra access lists
//! (`access-list`, `ipv6 access-list`).
//!
//! Both are ordered by sequence number and the first entry that matches decides; when none
//! matches the answer is deny (FRR user guide, "Filtering"). They differ in what an entry
//! matches: a prefix-list entry gives a range of prefix lengths, a zebra access-list entry
//! matches every prefix inside its own (or, with `exact-match`, only itself).

use core::fmt;

use foldhash::fast::FixedState;
use hashbrown::HashMap;
use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use super::{insert_sorted, next_seq, AddrFamily, PolicyError, Sequenced, Verdict};

/// Address bits left-aligned in 128 bits, so that both families share one code path.
#[inline]
pub(crate) fn bits(p: &IpNet) -> u128 {
    match p {
        IpNet::V4(n) => u128::from(u32::from(n.addr())) << 96,
        IpNet::V6(n) => u128::from(n.addr()),
    }
}

/// The mask of the leading `len` bits of a left-aligned address.
#[inline]
pub(crate) fn mask(len: u8) -> u128 {
    match len {
        0 => 0,
        n => u128::MAX << (128 - u32::from(n.min(128))),
    }
}

/// The whole address space of a family, `0.0.0.0/0` or `::/0`.
fn everything(family: AddrFamily) -> IpNet {
    match family {
        AddrFamily::Ipv4 => IpNet::V4(Ipv4Net::default()),
        AddrFamily::Ipv6 => IpNet::V6(Ipv6Net::default()),
    }
}

/// One `ip prefix-list` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrefixListEntry {
    seq: u32,
    action: Verdict,
    prefix: IpNet,
    ge: Option<u8>,
    le: Option<u8>,
    min: u8,
    max: u8,
    bits: u128,
}

impl PrefixListEntry {
    /// An entry for `prefix` (host bits are cleared) with optional `ge`/`le` bounds.
    ///
    /// Without bounds only the prefix length itself matches; `ge G` gives `[G, max]`,
    /// `le L` gives `[len, L]`, both give `[G, L]` (FRR user guide, "IP Prefix List"). The
    /// bounds must satisfy `len <= ge <= le <= max`: FRR's northbound check
    /// (`prefix_list_length_validate`) refuses anything else.
    pub fn new(
        seq: u32,
        action: Verdict,
        prefix: IpNet,
        ge: Option<u8>,
        le: Option<u8>,
    ) -> Result<PrefixListEntry, PolicyError> {
        let prefix = prefix.trunc();
        let len = prefix.prefix_len();
        let top = prefix.max_prefix_len();
        let bad = |what: &str, v: u8| {
            PolicyError::new(
                0,
                format!("{what} {v} out of range for {prefix}: need {len} <= ge <= le <= {top}"),
            )
        };
        if let Some(g) = ge {
            if g < len || g > top {
                return Err(bad("ge", g));
            }
        }
        if let Some(l) = le {
            if l < len || l > top || ge.is_some_and(|g| g > l) {
                return Err(bad("le", l));
            }
        }
        let (min, max) = match (ge, le) {
            (None, None) => (len, len),
            (Some(g), None) => (g, top),
            (None, Some(l)) => (len, l),
            (Some(g), Some(l)) => (g, l),
        };
        Ok(PrefixListEntry { seq, action, prefix, ge, le, min, max, bits: bits(&prefix) })
    }

    /// FRR's `any`: every prefix of the family (`0.0.0.0/0 le 32`, `::/0 le 128`).
    pub fn any(seq: u32, action: Verdict, family: AddrFamily) -> PrefixListEntry {
        let prefix = everything(family);
        let max = prefix.max_prefix_len();
        PrefixListEntry { seq, action, prefix, ge: None, le: Some(max), min: 0, max, bits: 0 }
    }

    /// Sequence number.
    pub fn seq(&self) -> u32 {
        self.seq
    }

    /// What a match means.
    pub fn action(&self) -> Verdict {
        self.action
    }

    /// The prefix, host bits cleared.
    pub fn prefix(&self) -> IpNet {
        self.prefix
    }

    /// The `ge` bound as written.
    pub fn ge(&self) -> Option<u8> {
        self.ge
    }

    /// The `le` bound as written.
    pub fn le(&self) -> Option<u8> {
        self.le
    }

    /// The family of the prefix.
    pub fn family(&self) -> AddrFamily {
        AddrFamily::of(&self.prefix)
    }

    /// True when `prefix` falls in this entry (same family, length in range, leading bits
    /// equal).
    pub fn matches(&self, prefix: &IpNet) -> bool {
        AddrFamily::of(prefix) == self.family()
            && self.matches_bits(bits(prefix), prefix.prefix_len())
    }

    #[inline]
    fn matches_bits(&self, b: u128, len: u8) -> bool {
        self.min <= len && len <= self.max && (b ^ self.bits) & mask(self.prefix.prefix_len()) == 0
    }

    fn same_rule(&self, other: &PrefixListEntry) -> bool {
        self.action == other.action
            && self.prefix == other.prefix
            && self.min == other.min
            && self.max == other.max
    }
}

impl Sequenced for PrefixListEntry {
    fn seq(&self) -> u32 {
        self.seq
    }
}

/// Lists at least this long get a hash index; shorter ones are scanned.
const INDEX_FROM: usize = 16;

/// Entries bucketed by their prefix, so that a lookup costs one probe per distinct entry
/// length instead of one comparison per entry (generated lists run to thousands of lines).
#[derive(Clone)]
struct PrefixIndex {
    /// Distinct entry prefix lengths, ascending.
    lens: Vec<u8>,
    /// (masked bits, length) to entry positions, ascending (that is, in seq order).
    buckets: HashMap<(u128, u8), Vec<u32>, FixedState>,
}

impl PrefixIndex {
    fn build(entries: &[PrefixListEntry]) -> PrefixIndex {
        let mut buckets: HashMap<(u128, u8), Vec<u32>, FixedState> =
            HashMap::with_hasher(FixedState::default());
        let mut lens = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            let len = e.prefix.prefix_len();
            buckets.entry((e.bits, len)).or_default().push(i as u32);
            lens.push(len);
        }
        lens.sort_unstable();
        lens.dedup();
        PrefixIndex { lens, buckets }
    }

    /// Position of the first entry (in seq order) that matches.
    fn first_match(&self, entries: &[PrefixListEntry], b: u128, len: u8) -> Option<usize> {
        let mut best: Option<u32> = None;
        for &l in &self.lens {
            if l > len {
                break;
            }
            let Some(positions) = self.buckets.get(&(b & mask(l), l)) else { continue };
            for &i in positions {
                if best.is_some_and(|b| i >= b) {
                    break;
                }
                if entries.get(i as usize).is_some_and(|e| e.min <= len && len <= e.max) {
                    best = Some(i);
                    break;
                }
            }
        }
        best.map(|i| i as usize)
    }
}

/// A named `ip prefix-list` or `ipv6 prefix-list`.
///
/// FRR keeps the two families in separate namespaces: `ip prefix-list X` and
/// `ipv6 prefix-list X` are different lists, and a list of one family never matches a
/// prefix of the other.
#[derive(Clone)]
pub struct PrefixList {
    name: String,
    family: AddrFamily,
    entries: Vec<PrefixListEntry>,
    index: Option<PrefixIndex>,
}

impl PrefixList {
    /// An empty list. FRR: a defined but empty prefix list permits everything.
    pub fn new(name: impl Into<String>, family: AddrFamily) -> PrefixList {
        PrefixList { name: name.into(), family, entries: Vec::new(), index: None }
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The family of every entry.
    pub fn family(&self) -> AddrFamily {
        self.family
    }

    /// The entries in seq order.
    pub fn entries(&self) -> &[PrefixListEntry] {
        &self.entries
    }

    /// The seq FRR gives an entry written without one: the next multiple of five above the
    /// highest (FRR user guide: after 2 comes 5, after 2 and 7 comes 10).
    pub fn next_seq(&self) -> u32 {
        next_seq(&self.entries)
    }

    /// Adds an entry; one with the same seq is replaced (FRR: "the new list will overwrite
    /// the old list").
    ///
    /// Refused: an entry of the other family (FRR refuses mixing families in one list), and
    /// an entry repeating another's rule under a different seq (FRR user guide: "an error
    /// will result").
    pub fn insert(&mut self, entry: PrefixListEntry) -> Result<(), PolicyError> {
        if entry.family() != self.family {
            return Err(PolicyError::new(
                0,
                format!(
                    "{} is not {}: prefix-list {} cannot mix IPv4 and IPv6 entries",
                    entry.prefix, self.family, self.name
                ),
            ));
        }
        if let Some(dup) = self.entries.iter().find(|e| e.seq != entry.seq && e.same_rule(&entry)) {
            return Err(PolicyError::new(
                0,
                format!("prefix-list {}: same rule as seq {}", self.name, dup.seq),
            ));
        }
        insert_sorted(&mut self.entries, entry);
        self.index = None;
        Ok(())
    }

    /// FRR's verdict for `prefix`: the action of the first matching entry, deny when none
    /// matches, permit when the list is empty; always deny for the other family.
    pub fn permits(&self, prefix: &IpNet) -> bool {
        if AddrFamily::of(prefix) != self.family {
            return false;
        }
        if self.entries.is_empty() {
            return true;
        }
        let (b, len) = (bits(prefix), prefix.prefix_len());
        let first = match &self.index {
            Some(ix) => ix.first_match(&self.entries, b, len),
            None => self.entries.iter().position(|e| e.matches_bits(b, len)),
        };
        first.and_then(|i| self.entries.get(i)).is_some_and(|e| e.action == Verdict::Permit)
    }

    /// Builds the hash index when the list is long enough to need it.
    pub(crate) fn optimize(&mut self) {
        if self.entries.len() >= INDEX_FROM && self.index.is_none() {
            self.index = Some(PrefixIndex::build(&self.entries));
        }
    }
}

impl fmt::Debug for PrefixList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrefixList")
            .field("name", &self.name)
            .field("family", &self.family)
            .field("entries", &self.entries)
            .finish_non_exhaustive()
    }
}

impl PartialEq for PrefixList {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.family == other.family && self.entries == other.entries
    }
}

/// One zebra-style `access-list` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessListEntry {
    seq: u32,
    action: Verdict,
    prefix: IpNet,
    exact: bool,
    bits: u128,
}

impl AccessListEntry {
    /// An entry for `prefix` (host bits are cleared). A plain entry matches every prefix
    /// inside it; with `exact_match` only the prefix itself (zebra `filter_match_zebra`).
    pub fn new(seq: u32, action: Verdict, prefix: IpNet, exact_match: bool) -> AccessListEntry {
        let prefix = prefix.trunc();
        AccessListEntry { seq, action, prefix, exact: exact_match, bits: bits(&prefix) }
    }

    /// FRR's `any`: every prefix of the family.
    pub fn any(seq: u32, action: Verdict, family: AddrFamily) -> AccessListEntry {
        AccessListEntry::new(seq, action, everything(family), false)
    }

    /// Sequence number.
    pub fn seq(&self) -> u32 {
        self.seq
    }

    /// What a match means.
    pub fn action(&self) -> Verdict {
        self.action
    }

    /// The prefix, host bits cleared.
    pub fn prefix(&self) -> IpNet {
        self.prefix
    }

    /// True for `exact-match`.
    pub fn exact_match(&self) -> bool {
        self.exact
    }

    /// The family of the prefix.
    pub fn family(&self) -> AddrFamily {
        AddrFamily::of(&self.prefix)
    }

    /// True when `prefix` is inside this entry's prefix (or equal to it, for
    /// `exact-match`).
    pub fn matches(&self, prefix: &IpNet) -> bool {
        let (len, own) = (prefix.prefix_len(), self.prefix.prefix_len());
        AddrFamily::of(prefix) == self.family()
            && if self.exact { len == own } else { len >= own }
            && (bits(prefix) ^ self.bits) & mask(own) == 0
    }
}

impl Sequenced for AccessListEntry {
    fn seq(&self) -> u32 {
        self.seq
    }
}

/// A named zebra `access-list` or `ipv6 access-list` (separate namespaces, as in FRR).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessList {
    name: String,
    family: AddrFamily,
    entries: Vec<AccessListEntry>,
}

impl AccessList {
    /// An empty list (it denies everything: no entry matches).
    pub fn new(name: impl Into<String>, family: AddrFamily) -> AccessList {
        AccessList { name: name.into(), family, entries: Vec::new() }
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The family of every entry.
    pub fn family(&self) -> AddrFamily {
        self.family
    }

    /// The entries in seq order.
    pub fn entries(&self) -> &[AccessListEntry] {
        &self.entries
    }

    /// The seq FRR gives an entry written without one (see [`PrefixList::next_seq`]).
    pub fn next_seq(&self) -> u32 {
        next_seq(&self.entries)
    }

    /// Adds an entry, replacing one with the same seq; an entry of the other family is
    /// refused.
    pub fn insert(&mut self, entry: AccessListEntry) -> Result<(), PolicyError> {
        if entry.family() != self.family {
            return Err(PolicyError::new(
                0,
                format!(
                    "{} is not {}: access-list {} cannot mix IPv4 and IPv6 entries",
                    entry.prefix, self.family, self.name
                ),
            ));
        }
        insert_sorted(&mut self.entries, entry);
        Ok(())
    }

    /// The action of the first entry matching `prefix`; deny when none does.
    pub fn permits(&self, prefix: &IpNet) -> bool {
        self.entries.iter().find(|e| e.matches(prefix)).is_some_and(|e| e.action == Verdict::Permit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use Verdict::{Deny, Permit};

    fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    fn entry(seq: u32, a: Verdict, p: &str, ge: Option<u8>, le: Option<u8>) -> PrefixListEntry {
        PrefixListEntry::new(seq, a, net(p), ge, le).unwrap()
    }

    /// (entry prefix, ge, le, route, matches)
    type RangeCase = (&'static str, Option<u8>, Option<u8>, &'static str, bool);
    /// (seq, permit, prefix, ge, le)
    type Plain = (u32, bool, Ipv4Net, Option<u8>, Option<u8>);

    /// FRR user guide, "IP Prefix List": without `le`/`ge` the length must be equal; `ge`
    /// and `le` bound the length from below and above; the leading bits must match.
    #[test]
    fn entry_ranges() {
        // (entry prefix, ge, le, route, matches)
        let cases: &[RangeCase] = &[
            ("10.0.0.0/8", None, None, "10.0.0.0/8", true),
            ("10.0.0.0/8", None, None, "10.1.0.0/16", false),
            ("10.0.0.0/8", Some(32), None, "10.0.0.1/32", true),
            ("10.0.0.0/8", Some(32), None, "10.0.0.0/24", false),
            ("10.0.0.0/8", Some(16), Some(24), "10.1.0.0/16", true),
            ("10.0.0.0/8", Some(16), Some(24), "10.1.1.0/24", true),
            ("10.0.0.0/8", Some(16), Some(24), "10.1.1.0/25", false),
            ("10.0.0.0/8", Some(16), Some(24), "10.0.0.0/8", false),
            ("10.0.0.0/8", None, Some(24), "10.0.0.0/8", true),
            ("10.0.0.0/8", None, Some(24), "10.9.9.0/24", true),
            ("10.0.0.0/8", None, Some(24), "11.0.0.0/24", false),
            ("10.0.0.0/8", None, Some(24), "2001:db8::/32", false),
            ("2001:db8::/32", None, Some(48), "2001:db8:1::/48", true),
            ("2001:db8::/32", None, Some(48), "2001:db9::/48", false),
            ("0.0.0.0/0", None, None, "0.0.0.0/0", true),
            ("0.0.0.0/0", None, None, "10.0.0.0/8", false),
        ];
        for &(p, ge, le, route, want) in cases {
            assert_eq!(
                entry(5, Permit, p, ge, le).matches(&net(route)),
                want,
                "{p} {ge:?} {le:?} {route}"
            );
        }
        let any = PrefixListEntry::any(5, Permit, AddrFamily::Ipv4);
        assert!(any.matches(&net("0.0.0.0/0")) && any.matches(&net("1.2.3.4/32")));
        assert!(!any.matches(&net("::/0")));
    }

    /// FRR refuses `len <= ge <= le <= max` violations (`prefix_list_length_validate`).
    #[test]
    fn bounds_are_validated() {
        for (p, ge, le) in [
            ("10.0.0.0/8", Some(7), None),
            ("10.0.0.0/8", None, Some(7)),
            ("10.0.0.0/8", Some(33), None),
            ("10.0.0.0/8", None, Some(33)),
            ("10.0.0.0/8", Some(24), Some(16)),
            ("2001:db8::/32", None, Some(129)),
        ] {
            assert!(PrefixListEntry::new(5, Permit, net(p), ge, le).is_err(), "{p} {ge:?} {le:?}");
        }
        assert!(PrefixListEntry::new(5, Permit, net("10.0.0.0/8"), Some(8), Some(8)).is_ok());
        assert_eq!(entry(5, Permit, "10.1.2.3/8", None, None).prefix(), net("10.0.0.0/8"));
    }

    /// FRR: first match decides, no match denies, an empty list permits, a list never
    /// matches the other family.
    #[test]
    fn list_verdicts() {
        let mut l = PrefixList::new("L", AddrFamily::Ipv4);
        assert!(l.permits(&net("192.0.2.0/24")));
        assert!(!l.permits(&net("2001:db8::/32")));
        l.insert(entry(10, Permit, "10.0.0.0/8", None, Some(32))).unwrap();
        l.insert(entry(5, Deny, "10.1.0.0/16", None, Some(32))).unwrap();
        assert!(!l.permits(&net("10.1.2.0/24")));
        assert!(l.permits(&net("10.2.0.0/16")));
        assert!(!l.permits(&net("192.0.2.0/24")));
        assert_eq!(l.entries().iter().map(|e| e.seq()).collect::<Vec<_>>(), [5, 10]);
        // Same seq overwrites.
        l.insert(entry(5, Permit, "10.1.0.0/16", None, Some(32))).unwrap();
        assert!(l.permits(&net("10.1.2.0/24")));
        assert_eq!(l.entries().len(), 2);
    }

    #[test]
    fn insert_refusals() {
        let mut l = PrefixList::new("L", AddrFamily::Ipv4);
        let e = l.insert(entry(5, Permit, "2001:db8::/32", None, None)).unwrap_err();
        assert!(e.reason.contains("mix"), "{}", e.reason);
        l.insert(entry(5, Permit, "10.0.0.0/8", None, None)).unwrap();
        let e = l.insert(entry(10, Permit, "10.0.0.0/8", None, None)).unwrap_err();
        assert!(e.reason.contains("seq 5"), "{}", e.reason);
    }

    /// FRR user guide: automatic numbers step by five from the highest existing one.
    #[test]
    fn automatic_seq() {
        let mut l = PrefixList::new("L", AddrFamily::Ipv4);
        assert_eq!(l.next_seq(), 5);
        l.insert(entry(2, Permit, "10.0.0.0/8", None, None)).unwrap();
        assert_eq!(l.next_seq(), 5);
        l.insert(entry(7, Permit, "11.0.0.0/8", None, None)).unwrap();
        assert_eq!(l.next_seq(), 10);
        l.insert(entry(u32::MAX, Permit, "12.0.0.0/8", None, None)).unwrap();
        assert_eq!(l.next_seq(), u32::MAX);
    }

    /// zebra `filter_match_zebra`: a plain entry matches any prefix inside it, an
    /// `exact-match` entry only itself; no match denies.
    #[test]
    fn access_list_entries() {
        let cases: &[(&str, bool, &str, bool)] = &[
            ("10.233.64.0/18", false, "10.233.65.0/24", true),
            ("10.233.64.0/18", false, "10.233.64.0/18", true),
            ("10.233.64.0/18", false, "10.233.0.0/16", false),
            ("10.233.64.0/18", false, "10.233.128.0/24", false),
            ("10.233.64.0/18", true, "10.233.64.0/18", true),
            ("10.233.64.0/18", true, "10.233.65.0/24", false),
            ("2001:db8::/32", false, "2001:db8:1::/48", true),
            ("2001:db8::/32", false, "10.0.0.0/8", false),
            ("0.0.0.0/0", false, "1.2.3.4/32", true),
        ];
        for &(p, exact, route, want) in cases {
            let e = AccessListEntry::new(5, Permit, net(p), exact);
            assert_eq!(e.matches(&net(route)), want, "{p} {exact} {route}");
        }
        let mut l = AccessList::new("A", AddrFamily::Ipv4);
        assert!(!l.permits(&net("10.0.0.0/8")));
        l.insert(AccessListEntry::new(5, Deny, net("10.1.0.0/16"), false)).unwrap();
        l.insert(AccessListEntry::any(10, Permit, AddrFamily::Ipv4)).unwrap();
        assert!(!l.permits(&net("10.1.1.0/24")));
        assert!(l.permits(&net("10.2.1.0/24")));
        assert!(l.insert(AccessListEntry::any(15, Permit, AddrFamily::Ipv6)).is_err());
    }

    /// The reference: FRR's documented semantics written as plainly as possible.
    fn naive(entries: &[Plain], p: Ipv4Net) -> bool {
        if entries.is_empty() {
            return true;
        }
        let mut sorted = entries.to_vec();
        sorted.sort_by_key(|e| e.0);
        for (_, permit, net, ge, le) in sorted {
            let (lo, hi) = match (ge, le) {
                (None, None) => (net.prefix_len(), net.prefix_len()),
                (Some(g), None) => (g, 32),
                (None, Some(l)) => (net.prefix_len(), l),
                (Some(g), Some(l)) => (g, l),
            };
            let inside = net.contains(&p.network());
            if inside && (lo..=hi).contains(&p.prefix_len()) {
                return permit;
            }
        }
        false
    }

    fn arb_net() -> impl Strategy<Value = Ipv4Net> {
        // A small address space so that entries and routes overlap often.
        (0u32..16, 0u8..=32)
            .prop_map(|(a, len)| Ipv4Net::new((a << 28 | a << 4).into(), len).unwrap().trunc())
    }

    fn arb_entry() -> impl Strategy<Value = Plain> {
        (1u32..200, any::<bool>(), arb_net(), 0u8..=32, 0u8..=32, 0u8..4).prop_filter_map(
            "valid bounds",
            |(seq, permit, net, a, b, mode)| {
                let len = net.prefix_len();
                let (ge, le) = match mode {
                    0 => (None, None),
                    1 => (Some(a), None),
                    2 => (None, Some(a)),
                    _ => (Some(a.min(b)), Some(a.max(b))),
                };
                let ok = ge.is_none_or(|g| g >= len) && le.is_none_or(|l| l >= len);
                ok.then_some((seq, permit, net, ge, le))
            },
        )
    }

    proptest! {
        /// The list (scanned or indexed) agrees with the naive reference.
        #[test]
        fn prefix_list_matches_reference(
            entries in proptest::collection::vec(arb_entry(), 0..40),
            routes in proptest::collection::vec(arb_net(), 1..20),
        ) {
            let mut list = PrefixList::new("P", AddrFamily::Ipv4);
            let mut kept = Vec::new();
            for &(seq, permit, net, ge, le) in &entries {
                let action = if permit { Permit } else { Deny };
                let e = PrefixListEntry::new(seq, action, IpNet::V4(net), ge, le).unwrap();
                if list.insert(e).is_ok() {
                    kept.retain(|k: &Plain| k.0 != seq);
                    kept.push((seq, permit, net, ge, le));
                }
            }
            let mut indexed = list.clone();
            indexed.index = Some(PrefixIndex::build(&indexed.entries));
            for r in routes {
                let want = naive(&kept, r);
                prop_assert_eq!(list.permits(&IpNet::V4(r)), want, "scan {}", r);
                prop_assert_eq!(indexed.permits(&IpNet::V4(r)), want, "index {}", r);
            }
        }
    }
}
