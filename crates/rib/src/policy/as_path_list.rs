//! AS-path access lists (`bgp as-path access-list NAME [seq N] permit|deny REGEX`).
//!
//! Each entry's regex runs over the AS path as FRR writes it, `65001 65002 {65003,65004}
//! (65010 65011)`; an empty path is the empty string, so `^$` matches locally originated
//! routes. The first entry whose regex matches decides; none matching denies (bgpd
//! `as_list_apply`).

use bgp_wire::attribute::{AsPath, SegmentType};

use super::{insert_sorted, next_seq, push_u32, FrrRegex, Sequenced, Verdict};

/// Writes `path` as FRR does, the same text as `AsPath`'s `Display` (a test holds them
/// together) but several times faster: segments separated by spaces, an AS_SET as
/// `{a,b}`, an AS_CONFED_SEQUENCE as `(a b)`, an AS_CONFED_SET as `[a,b]`.
pub(crate) fn write_as_path(path: &AsPath, out: &mut String) {
    out.clear();
    for (i, s) in path.segments.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let (open, sep, close) = match s.kind {
            SegmentType::AS_SET => (Some('{'), ',', Some('}')),
            SegmentType::AS_CONFED_SEQUENCE => (Some('('), ' ', Some(')')),
            SegmentType::AS_CONFED_SET => (Some('['), ',', Some(']')),
            _ => (None, ' ', None),
        };
        open.into_iter().for_each(|c| out.push(c));
        for (j, a) in s.asns.iter().enumerate() {
            if j > 0 {
                out.push(sep);
            }
            push_u32(out, a.0);
        }
        close.into_iter().for_each(|c| out.push(c));
    }
}

/// One `bgp as-path access-list` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AsPathEntry {
    seq: u32,
    action: Verdict,
    regex: FrrRegex,
}

impl AsPathEntry {
    /// An entry.
    pub fn new(seq: u32, action: Verdict, regex: FrrRegex) -> AsPathEntry {
        AsPathEntry { seq, action, regex }
    }

    /// Sequence number.
    pub fn seq(&self) -> u32 {
        self.seq
    }

    /// What a match means.
    pub fn action(&self) -> Verdict {
        self.action
    }

    /// The regex.
    pub fn regex(&self) -> &FrrRegex {
        &self.regex
    }
}

impl Sequenced for AsPathEntry {
    fn seq(&self) -> u32 {
        self.seq
    }
}

/// A named AS-path access list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AsPathList {
    name: String,
    entries: Vec<AsPathEntry>,
}

impl AsPathList {
    /// An empty list (it denies everything).
    pub fn new(name: impl Into<String>) -> AsPathList {
        AsPathList { name: name.into(), entries: Vec::new() }
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The entries in seq order.
    pub fn entries(&self) -> &[AsPathEntry] {
        &self.entries
    }

    /// The seq given to an entry written without one (next multiple of five).
    pub fn next_seq(&self) -> u32 {
        next_seq(&self.entries)
    }

    /// Adds an entry, replacing one with the same seq.
    pub fn insert(&mut self, entry: AsPathEntry) {
        insert_sorted(&mut self.entries, entry);
    }

    /// The verdict for `path`.
    pub fn permits(&self, path: &AsPath) -> bool {
        self.permits_with(path, &mut String::new())
    }

    /// The same, writing the text form into `text` (a buffer reused across routes).
    pub(crate) fn permits_with(&self, path: &AsPath, text: &mut String) -> bool {
        write_as_path(path, text);
        self.permits_text(text)
    }

    /// The verdict for an AS path already in text form.
    pub fn permits_text(&self, text: &str) -> bool {
        self.entries
            .iter()
            .find(|e| e.regex.is_match(text))
            .is_some_and(|e| e.action == Verdict::Permit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bgp_wire::attribute::{Segment, SegmentType};
    use bgp_wire::Asn;
    use proptest::prelude::*;
    use Verdict::{Deny, Permit};

    fn list(entries: &[(Verdict, &str)]) -> AsPathList {
        let mut l = AsPathList::new("A");
        for (a, re) in entries {
            l.insert(AsPathEntry::new(l.next_seq(), *a, FrrRegex::new(re).unwrap()));
        }
        l
    }

    fn path() -> AsPath {
        AsPath {
            segments: vec![
                Segment::sequence([65001, 65002]),
                Segment::set([65003, 65004]),
                Segment {
                    kind: SegmentType::AS_CONFED_SEQUENCE,
                    asns: vec![Asn(65010), Asn(65011)],
                },
            ],
        }
    }

    /// (entries, path, permitted)
    type Case = (&'static [(Verdict, &'static str)], AsPath, bool);

    /// bgpd `as_list_apply`: first match decides, none denies; regexes see FRR's text.
    #[test]
    fn verdicts() {
        assert_eq!(path().to_string(), "65001 65002 {65003,65004} (65010 65011)");
        let cases: &[Case] = &[
            (&[(Permit, "^$")], AsPath::new(), true),
            (&[(Permit, "^$")], path(), false),
            (&[(Permit, "^65001_")], path(), true),
            (&[(Permit, "_65004_")], path(), true),
            (&[(Permit, "_65011_")], path(), true),
            (&[(Permit, "_6500_")], path(), false),
            (&[(Deny, "_65002_"), (Permit, ".*")], path(), false),
            (&[(Deny, "_65009_"), (Permit, ".*")], path(), true),
            (&[(Permit, "_65009_")], path(), false),
            (&[], path(), false),
            (&[(Permit, "^65001 65002_")], AsPath::from_sequence([65001, 65002]), true),
        ];
        for (entries, p, want) in cases {
            assert_eq!(list(entries).permits(p), *want, "{entries:?} on {p}");
        }
    }

    #[test]
    fn seq_order_not_insertion_order() {
        let mut l = AsPathList::new("A");
        l.insert(AsPathEntry::new(20, Permit, FrrRegex::new(".*").unwrap()));
        l.insert(AsPathEntry::new(10, Deny, FrrRegex::new("^65001_").unwrap()));
        assert!(!l.permits(&AsPath::from_sequence([65001])));
        assert!(l.permits(&AsPath::from_sequence([65002])));
        assert_eq!(l.next_seq(), 25);
    }

    fn arb_path() -> impl Strategy<Value = AsPath> {
        let segment =
            (1u8..=4, proptest::collection::vec(1u32..8, 1..4)).prop_map(|(kind, asns)| Segment {
                kind: SegmentType(kind),
                asns: asns.into_iter().map(Asn).collect(),
            });
        proptest::collection::vec(segment, 0..4).prop_map(|segments| AsPath { segments })
    }

    proptest! {
        /// The fast writer gives `Display`'s text.
        #[test]
        fn text_form_is_display(path in arb_path()) {
            let mut s = String::from("stale");
            write_as_path(&path, &mut s);
            prop_assert_eq!(s, path.to_string());
        }

        /// FRR's idioms against a plain reading of the segments: `_N_` is "N anywhere"
        /// (but see the confed-set caveat below),
        /// `^N_` "N first in a leading AS_SEQUENCE", `_N$` "N last in a trailing one".
        #[test]
        fn underscore_idioms_match_reference(path in arb_path(), n in 1u32..8) {
            // FRR writes an AS_CONFED_SET as `[a,b]` and its `_` does not cover `[` or `]`
            // (bgpd substitutes `(^|[,{}() ]|$)`), so only the inner members of a confed set
            // are delimited on both sides.
            let anywhere = path.segments.iter().any(|s| {
                s.asns.iter().enumerate().any(|(i, a)| {
                    *a == Asn(n)
                        && (s.kind != SegmentType::AS_CONFED_SET || (i > 0 && i + 1 < s.asns.len()))
                })
            });
            let first = path.segments.first().is_some_and(|s| {
                s.kind == SegmentType::AS_SEQUENCE && s.asns.first() == Some(&Asn(n))
            });
            let last = path.segments.last().is_some_and(|s| {
                s.kind == SegmentType::AS_SEQUENCE && s.asns.last() == Some(&Asn(n))
            });
            for (re, want) in [(format!("_{n}_"), anywhere), (format!("^{n}_"), first), (format!("_{n}$"), last)] {
                let l = list(&[(Permit, re.as_str())]);
                prop_assert_eq!(l.permits(&path), want, "{} on {}", re, path);
            }
        }
    }
}
