//! AS_PATH and AS4_PATH (RFC 4271 §4.3 and §5.1.2, RFC 5065 §3, RFC 6793 §3).

use bytes::BytesMut;
use core::fmt;

use crate::error::Reason;
use crate::types::Asn;

/// Path segment type.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SegmentType(pub u8);

impl SegmentType {
    /// RFC 4271 §4.3: "AS_SET: unordered set of ASes a route in the UPDATE message has
    /// traversed".
    pub const AS_SET: SegmentType = SegmentType(1);
    /// RFC 4271 §4.3: "AS_SEQUENCE: ordered set of ASes a route in the UPDATE message has
    /// traversed".
    pub const AS_SEQUENCE: SegmentType = SegmentType(2);
    /// RFC 5065 §3: AS_CONFED_SEQUENCE, the ordered set of Member ASes of the local
    /// confederation the UPDATE message has traversed.
    pub const AS_CONFED_SEQUENCE: SegmentType = SegmentType(3);
    /// RFC 5065 §3: AS_CONFED_SET, the unordered set of Member ASes of the local
    /// confederation the UPDATE message has traversed.
    pub const AS_CONFED_SET: SegmentType = SegmentType(4);

    /// True for the two confederation segment types.
    pub fn is_confed(self) -> bool {
        self == SegmentType::AS_CONFED_SEQUENCE || self == SegmentType::AS_CONFED_SET
    }

    /// True for the two set types.
    pub fn is_set(self) -> bool {
        self == SegmentType::AS_SET || self == SegmentType::AS_CONFED_SET
    }
}

impl fmt::Debug for SegmentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SegmentType::AS_SET => f.write_str("AS_SET"),
            SegmentType::AS_SEQUENCE => f.write_str("AS_SEQUENCE"),
            SegmentType::AS_CONFED_SEQUENCE => f.write_str("AS_CONFED_SEQUENCE"),
            SegmentType::AS_CONFED_SET => f.write_str("AS_CONFED_SET"),
            SegmentType(n) => write!(f, "segment{n}"),
        }
    }
}

/// One path segment.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Segment {
    /// Segment type.
    pub kind: SegmentType,
    /// The AS numbers, in wire order.
    pub asns: Vec<Asn>,
}

impl Segment {
    /// An AS_SEQUENCE.
    pub fn sequence(asns: impl IntoIterator<Item = u32>) -> Segment {
        Segment { kind: SegmentType::AS_SEQUENCE, asns: asns.into_iter().map(Asn).collect() }
    }

    /// An AS_SET.
    pub fn set(asns: impl IntoIterator<Item = u32>) -> Segment {
        Segment { kind: SegmentType::AS_SET, asns: asns.into_iter().map(Asn).collect() }
    }
}

/// An AS path: a list of segments.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct AsPath {
    /// The segments, in wire order.
    pub segments: Vec<Segment>,
}

/// Checks the segment structure of an AS_PATH value without allocating.
///
/// RFC 7606 §7.2: an AS_PATH is malformed when a segment type is unrecognized or a segment
/// is malformed: its Path Segment Length overruns the attribute, a single octet is left after
/// the last segment, or its Path Segment Length is zero.
#[inline]
pub fn check(v: &[u8], four_octet: bool) -> Result<(), Reason> {
    let w = if four_octet { 4 } else { 2 };
    let mut pos = 0;
    while pos < v.len() {
        let (Some(&t), Some(&n)) = (v.get(pos), v.get(pos + 1)) else {
            return Err(Reason::MalformedAsPath);
        };
        if !(1..=4).contains(&t) || n == 0 {
            return Err(Reason::MalformedAsPath);
        }
        pos += 2 + usize::from(n) * w;
        if pos > v.len() {
            return Err(Reason::MalformedAsPath);
        }
    }
    Ok(())
}

impl AsPath {
    /// An empty path (what an iBGP speaker sends for its own routes).
    pub fn new() -> AsPath {
        AsPath::default()
    }

    /// A path of one AS_SEQUENCE.
    pub fn from_sequence(asns: impl IntoIterator<Item = u32>) -> AsPath {
        let s = Segment::sequence(asns);
        if s.asns.is_empty() {
            AsPath::new()
        } else {
            AsPath { segments: vec![s] }
        }
    }

    /// Decodes and checks a value (see [`check`]).
    pub fn decode(v: &[u8], four_octet: bool) -> Result<AsPath, Reason> {
        check(v, four_octet)?;
        let w = if four_octet { 4 } else { 2 };
        let mut segments = Vec::new();
        let mut rest = v;
        while let [t, n, tail @ ..] = rest {
            let len = usize::from(*n) * w;
            let (body, tail) = tail.split_at_checked(len).ok_or(Reason::MalformedAsPath)?;
            let asns = body
                .chunks_exact(w)
                .map(|c| match c {
                    [a, b, c, d] => Asn(u32::from_be_bytes([*a, *b, *c, *d])),
                    [a, b] => Asn(u32::from(u16::from_be_bytes([*a, *b]))),
                    _ => Asn(0),
                })
                .collect();
            segments.push(Segment { kind: SegmentType(*t), asns });
            rest = tail;
        }
        Ok(AsPath { segments })
    }

    /// Length of the encoded value. Segments longer than 255 AS numbers are written as
    /// several segments of the same type.
    pub fn value_len(&self, four_octet: bool) -> usize {
        let w = if four_octet { 4 } else { 2 };
        self.segments.iter().map(|s| s.asns.len() * w + 2 * s.asns.len().div_ceil(255).max(1)).sum()
    }

    /// Writes the value. In a 2-octet context, an AS that does not fit is written as AS_TRANS
    /// (RFC 6793 §4.2.2); the caller adds AS4_PATH (see [`super::as4::as4_path_for`]).
    pub fn encode_value(&self, four_octet: bool, buf: &mut BytesMut) {
        for s in &self.segments {
            if s.asns.is_empty() {
                buf.extend_from_slice(&[s.kind.0, 0]);
                continue;
            }
            for chunk in s.asns.chunks(255) {
                buf.reserve(2 + chunk.len() * if four_octet { 4 } else { 2 });
                buf.extend_from_slice(&[s.kind.0, chunk.len() as u8]);
                // AS numbers gathered 16 at a time on the stack: one copy per group rather
                // than one call per AS.
                for group in chunk.chunks(16) {
                    let mut o = [0u8; 64];
                    let n = if four_octet {
                        for (d, a) in o.chunks_exact_mut(4).zip(group) {
                            d.copy_from_slice(&a.0.to_be_bytes());
                        }
                        4 * group.len()
                    } else {
                        for (d, a) in o.chunks_exact_mut(2).zip(group) {
                            d.copy_from_slice(&a.to_two_octet().to_be_bytes());
                        }
                        2 * group.len()
                    };
                    buf.extend_from_slice(o.get(..n).unwrap_or(&[]));
                }
            }
        }
    }

    /// The path length used by the decision process.
    ///
    /// RFC 4271 §9.1.2.2 (a): "a) AS_SET counts as 1, no matter how many ASes are in the
    /// set." RFC 5065 §5.3: confederation segments are not counted.
    pub fn path_len(&self) -> usize {
        self.segments
            .iter()
            .map(|s| match s.kind {
                SegmentType::AS_SEQUENCE => s.asns.len(),
                SegmentType::AS_SET => 1,
                _ => 0,
            })
            .sum()
    }

    /// The AS that originated the route: the last AS of a trailing AS_SEQUENCE.
    pub fn origin_as(&self) -> Option<Asn> {
        match self.segments.last() {
            Some(s) if s.kind == SegmentType::AS_SEQUENCE => s.asns.last().copied(),
            _ => None,
        }
    }

    /// The first AS of the path (the neighbour's AS for an eBGP route).
    pub fn first_as(&self) -> Option<Asn> {
        match self.segments.first() {
            Some(s) if s.kind == SegmentType::AS_SEQUENCE => s.asns.first().copied(),
            _ => None,
        }
    }

    /// True when some AS does not fit in two octets.
    pub fn has_four_octet(&self) -> bool {
        self.segments.iter().any(|s| s.asns.iter().any(|a| a.is_four_octet()))
    }

    /// Prepends `asn` `count` times (RFC 4271 §5.1.2 when advertising to an external peer).
    pub fn prepend(&mut self, asn: Asn, count: usize) {
        match self.segments.first_mut() {
            Some(s) if s.kind == SegmentType::AS_SEQUENCE && s.asns.len() + count <= 255 => {
                s.asns.splice(0..0, core::iter::repeat_n(asn, count));
            }
            _ => self
                .segments
                .insert(0, Segment { kind: SegmentType::AS_SEQUENCE, asns: vec![asn; count] }),
        }
    }
}

/// A checked AS_PATH or AS4_PATH value, read in place: nothing is allocated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AsPathRef<'a> {
    bytes: &'a [u8],
    four_octet: bool,
}

/// One segment of an [`AsPathRef`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmentRef<'a> {
    /// Segment type.
    pub kind: SegmentType,
    bytes: &'a [u8],
    four_octet: bool,
}

impl<'a> SegmentRef<'a> {
    /// Number of AS numbers.
    pub fn len(&self) -> usize {
        self.bytes.len() / if self.four_octet { 4 } else { 2 }
    }

    /// True for a segment without AS numbers (never the case in a checked path).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The AS numbers, in wire order.
    pub fn asns(&self) -> impl Iterator<Item = Asn> + 'a {
        let w = if self.four_octet { 4 } else { 2 };
        self.bytes.chunks_exact(w).map(|c| match c {
            [a, b, c, d] => Asn(u32::from_be_bytes([*a, *b, *c, *d])),
            [a, b] => Asn(u32::from(u16::from_be_bytes([*a, *b]))),
            _ => Asn(0),
        })
    }
}

/// Iterator over the segments of an [`AsPathRef`].
#[derive(Clone, Debug)]
pub struct SegmentIter<'a> {
    rest: &'a [u8],
    four_octet: bool,
}

impl<'a> Iterator for SegmentIter<'a> {
    type Item = SegmentRef<'a>;

    #[inline]
    fn next(&mut self) -> Option<SegmentRef<'a>> {
        let [t, n, tail @ ..] = self.rest else { return None };
        let len = usize::from(*n) * if self.four_octet { 4 } else { 2 };
        let (bytes, tail) = tail.split_at_checked(len)?;
        self.rest = tail;
        Some(SegmentRef { kind: SegmentType(*t), bytes, four_octet: self.four_octet })
    }
}

impl<'a> AsPathRef<'a> {
    /// Checks `bytes` (see [`check`]).
    pub fn new(bytes: &'a [u8], four_octet: bool) -> Result<AsPathRef<'a>, Reason> {
        check(bytes, four_octet)?;
        Ok(AsPathRef { bytes, four_octet })
    }

    /// A view over bytes already checked (reading unchecked bytes cannot panic either: the
    /// segment iterator stops at the first overrun).
    pub(crate) fn prechecked(bytes: &'a [u8], four_octet: bool) -> AsPathRef<'a> {
        AsPathRef { bytes, four_octet }
    }

    /// The segments.
    pub fn segments(&self) -> SegmentIter<'a> {
        SegmentIter { rest: self.bytes, four_octet: self.four_octet }
    }

    /// Number of AS numbers in all segments.
    pub fn asn_count(&self) -> usize {
        self.segments().map(|s| s.len()).sum()
    }

    /// The decision-process path length (see [`AsPath::path_len`]).
    pub fn path_len(&self) -> usize {
        self.segments()
            .map(|s| match s.kind {
                SegmentType::AS_SEQUENCE => s.len(),
                SegmentType::AS_SET => 1,
                _ => 0,
            })
            .sum()
    }

    /// The first AS of a leading AS_SEQUENCE.
    pub fn first_as(&self) -> Option<Asn> {
        self.segments().next().filter(|s| s.kind == SegmentType::AS_SEQUENCE)?.asns().next()
    }

    /// The last AS of a trailing AS_SEQUENCE.
    pub fn origin_as(&self) -> Option<Asn> {
        self.segments().last().filter(|s| s.kind == SegmentType::AS_SEQUENCE)?.asns().last()
    }

    /// The owned form.
    pub fn to_as_path(&self) -> AsPath {
        AsPath {
            segments: self
                .segments()
                .map(|s| Segment { kind: s.kind, asns: s.asns().collect() })
                .collect(),
        }
    }
}

impl fmt::Display for AsPath {
    /// The usual text form: `65001 65002 {65003,65004} (65010 65011) [65020]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for s in &self.segments {
            if !first {
                f.write_str(" ")?;
            }
            first = false;
            let (open, sep, close) = match s.kind {
                SegmentType::AS_SET => ("{", ",", "}"),
                SegmentType::AS_CONFED_SEQUENCE => ("(", " ", ")"),
                SegmentType::AS_CONFED_SET => ("[", ",", "]"),
                _ => ("", " ", ""),
            };
            f.write_str(open)?;
            for (i, a) in s.asns.iter().enumerate() {
                if i > 0 {
                    f.write_str(sep)?;
                }
                write!(f, "{a}")?;
            }
            f.write_str(close)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_two_and_four_octet() {
        let p =
            AsPath { segments: vec![Segment::sequence([65001, 65002]), Segment::set([10, 20])] };
        let two = "0202fde9fdea0102000a0014";
        let four = "02020000fde90000fdea01020000000a00000014";
        for (hex, four_octet) in [(two, false), (four, true)] {
            let b = hex::decode(hex).unwrap();
            assert_eq!(AsPath::decode(&b, four_octet).unwrap(), p);
            let mut out = BytesMut::new();
            p.encode_value(four_octet, &mut out);
            assert_eq!(hex::encode(&out), hex);
            assert_eq!(p.value_len(four_octet), b.len());
        }
        assert_eq!(p.to_string(), "65001 65002 {10,20}");
        assert_eq!(p.path_len(), 3);
    }

    #[test]
    fn borrowed_view() {
        let b = hex::decode("02020000fde90000fdea01020000000a00000014").unwrap();
        let r = AsPathRef::new(&b, true).unwrap();
        assert_eq!(r.asn_count(), 4);
        assert_eq!(r.path_len(), 3);
        assert_eq!(r.first_as(), Some(Asn(65001)));
        assert_eq!(r.origin_as(), None);
        assert_eq!(r.to_as_path(), AsPath::decode(&b, true).unwrap());
        assert!(AsPathRef::new(&b[..5], true).is_err());
    }

    #[test]
    fn malformed() {
        for hex in ["02", "0200", "050100", "020300010002", "0201000100"] {
            let b = hex::decode(hex).unwrap();
            assert_eq!(check(&b, false), Err(Reason::MalformedAsPath), "{hex}");
        }
        assert_eq!(check(&[], true), Ok(()));
    }

    #[test]
    fn long_segment_is_split_and_trans() {
        let p = AsPath::from_sequence(0..300);
        let mut out = BytesMut::new();
        p.encode_value(true, &mut out);
        assert_eq!(out.len(), p.value_len(true));
        let d = AsPath::decode(&out, true).unwrap();
        assert_eq!(d.segments.len(), 2);
        assert_eq!(d.path_len(), 300);
        let p = AsPath::from_sequence([4_200_000_000]);
        let mut out = BytesMut::new();
        p.encode_value(false, &mut out);
        assert_eq!(hex::encode(&out), "02015ba0");
    }

    #[test]
    fn prepend_and_confed() {
        let mut p = AsPath {
            segments: vec![Segment {
                kind: SegmentType::AS_CONFED_SEQUENCE,
                asns: vec![Asn(65010)],
            }],
        };
        p.prepend(Asn(65000), 2);
        assert_eq!(p.to_string(), "65000 65000 (65010)");
        assert_eq!(p.path_len(), 2);
        assert_eq!(p.first_as(), Some(Asn(65000)));
    }
}
