//! Reconstructing 4-octet AS information from a 2-octet speaker's attributes, and producing it
//! for one (RFC 6793 §4.2).

use crate::types::Asn;

use super::{Aggregator, AsPath, Segment, SegmentType};

/// Number of AS numbers in a path as RFC 6793 §4.2.3 counts them: as the decision process
/// does (RFC 4271 §9.1.2.2: an AS_SET counts as one), confederation segments not counted
/// (RFC 5065 §5.3).
fn count(p: &AsPath) -> usize {
    p.path_len()
}

/// Merges AS_PATH with AS4_PATH as a NEW speaker does on routes from an OLD speaker.
///
/// RFC 6793 §4.2.3: "If the number of AS numbers in the AS_PATH attribute is less than the
/// number of AS numbers in the AS4_PATH attribute, then the AS4_PATH attribute SHALL be
/// ignored, and the AS_PATH attribute SHALL be taken as the AS path information. If the
/// number of AS numbers in the AS_PATH attribute is larger than or equal to the number of AS
/// numbers in the AS4_PATH attribute, then the AS path information SHALL be constructed by
/// taking as many AS numbers and path segments as necessary from the leading part of the
/// AS_PATH attribute, and then prepending them to the AS4_PATH attribute so that the AS path
/// information has a number of AS numbers identical to that of the AS_PATH attribute. Note
/// that a valid AS_CONFED_SEQUENCE or AS_CONFED_SET path segment SHALL be prepended if it is
/// either the leading path segment or is adjacent to a path segment that is prepended."
///
/// Confederation segments found in AS4_PATH are dropped (RFC 6793 §3 keeps them out of
/// AS4_PATH).
pub fn merge_as_path(as_path: &AsPath, as4_path: Option<&AsPath>) -> AsPath {
    let Some(as4) = as4_path else { return as_path.clone() };
    let as4 =
        AsPath { segments: as4.segments.iter().filter(|s| !s.kind.is_confed()).cloned().collect() };
    let (n, m) = (count(as_path), count(&as4));
    if n < m {
        return as_path.clone();
    }
    let mut need = n - m;
    let mut out: Vec<Segment> = Vec::new();
    for s in &as_path.segments {
        if need == 0 && !s.kind.is_confed() {
            break;
        }
        match s.kind {
            SegmentType::AS_SEQUENCE => {
                let take = need.min(s.asns.len());
                out.push(Segment { kind: s.kind, asns: s.asns[..take].to_vec() });
                need -= take;
                if take < s.asns.len() {
                    break;
                }
            }
            SegmentType::AS_SET => {
                out.push(s.clone());
                need -= 1;
            }
            _ => out.push(s.clone()),
        }
    }
    let mut rest = as4.segments.into_iter();
    if let (Some(last), Some(first)) = (out.last_mut(), rest.as_slice().first()) {
        if last.kind == SegmentType::AS_SEQUENCE
            && first.kind == SegmentType::AS_SEQUENCE
            && last.asns.len() + first.asns.len() <= 255
        {
            last.asns.extend_from_slice(&first.asns);
            rest.next();
        }
    }
    out.extend(rest);
    out.retain(|s| !s.asns.is_empty());
    AsPath { segments: out }
}

/// Chooses the aggregator and the path source as RFC 6793 §4.2.3 says.
///
/// "If the AGGREGATOR attribute carries an AS number other than AS_TRANS, then the
/// AS4_AGGREGATOR attribute and the AS4_PATH attribute SHALL be ignored ... Otherwise, the
/// AGGREGATOR attribute SHALL be ignored, and the AS4_AGGREGATOR attribute SHALL be taken as
/// the information about the aggregating node."
///
/// Returns the aggregator to use and whether AS4_PATH may be used.
pub fn merge_aggregator(
    aggregator: Option<Aggregator>,
    as4: Option<Aggregator>,
) -> (Option<Aggregator>, bool) {
    match (aggregator, as4) {
        (Some(a), _) if a.asn != Asn::AS_TRANS => (Some(a), false),
        (Some(_), Some(b)) => (Some(b), true),
        (a, _) => (a, true),
    }
}

/// Both merges at once: the AS path and aggregator a NEW speaker uses for a route received
/// from an OLD speaker (a session without the 4-octet AS capability).
pub fn merge(
    as_path: &AsPath,
    as4_path: Option<&AsPath>,
    aggregator: Option<Aggregator>,
    as4_aggregator: Option<Aggregator>,
) -> (AsPath, Option<Aggregator>) {
    let (agg, use_as4_path) = merge_aggregator(aggregator, as4_aggregator);
    let path = if use_as4_path { merge_as_path(as_path, as4_path) } else { as_path.clone() };
    (path, agg)
}

/// The AS4_PATH to send beside an AS_PATH to an OLD speaker: `Some` when the path holds an
/// AS that does not fit in two octets (RFC 6793 §4.2.2), without confederation segments.
pub fn as4_path_for(as_path: &AsPath) -> Option<AsPath> {
    if !as_path.has_four_octet() {
        return None;
    }
    Some(AsPath {
        segments: as_path.segments.iter().filter(|s| !s.kind.is_confed()).cloned().collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::Ipv4Addr;

    fn p(s: &[Segment]) -> AsPath {
        AsPath { segments: s.to_vec() }
    }

    #[test]
    fn merge_replaces_trailing_trans() {
        let as_path = AsPath::from_sequence([65001, 23456, 23456]);
        let as4 = AsPath::from_sequence([4_200_000_001, 4_200_000_002]);
        assert_eq!(
            merge_as_path(&as_path, Some(&as4)),
            AsPath::from_sequence([65001, 4_200_000_001, 4_200_000_002])
        );
    }

    #[test]
    fn longer_as4_path_is_ignored() {
        let as_path = AsPath::from_sequence([65001]);
        let as4 = AsPath::from_sequence([1, 2]);
        assert_eq!(merge_as_path(&as_path, Some(&as4)), as_path);
    }

    #[test]
    fn set_counts_as_one_and_confed_kept() {
        let confed = Segment { kind: SegmentType::AS_CONFED_SEQUENCE, asns: vec![Asn(65010)] };
        let as_path = p(&[confed.clone(), Segment::set([1, 2, 3]), Segment::sequence([23456])]);
        let as4 = AsPath::from_sequence([4_200_000_000]);
        let merged = merge_as_path(&as_path, Some(&as4));
        assert_eq!(
            merged,
            p(&[confed, Segment::set([1, 2, 3]), Segment::sequence([4_200_000_000])])
        );
        assert_eq!(merged.path_len(), 2);
    }

    #[test]
    fn aggregator_rules() {
        let addr = Ipv4Addr::new(192, 0, 2, 1);
        let trans = Aggregator { asn: Asn::AS_TRANS, address: addr };
        let real = Aggregator { asn: Asn(65001), address: addr };
        let four = Aggregator { asn: Asn(4_200_000_000), address: addr };
        assert_eq!(merge_aggregator(Some(real), Some(four)), (Some(real), false));
        assert_eq!(merge_aggregator(Some(trans), Some(four)), (Some(four), true));
        let as_path = AsPath::from_sequence([65001, 23456]);
        let as4 = AsPath::from_sequence([4_200_000_000]);
        let (path, agg) = merge(&as_path, Some(&as4), Some(real), Some(four));
        assert_eq!((path, agg), (as_path.clone(), Some(real)));
        let (path, _) = merge(&as_path, Some(&as4), None, None);
        assert_eq!(path, AsPath::from_sequence([65001, 4_200_000_000]));
    }

    #[test]
    fn as4_path_needed_only_for_big_asns() {
        assert_eq!(as4_path_for(&AsPath::from_sequence([1, 2])), None);
        let big = AsPath::from_sequence([1, 4_200_000_000]);
        assert_eq!(as4_path_for(&big), Some(big));
    }
}
