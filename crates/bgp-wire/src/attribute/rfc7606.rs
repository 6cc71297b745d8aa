//! Revised error handling for path attributes (RFC 7606): what is malformed, and what to do
//! about it, attribute by attribute.

use crate::codes::update as sub;
use crate::context::Context;
use crate::error::{Action, Reason};
use crate::nlri::{self, PrefixAfi};
use crate::types::Family;

use super::mp::{next_hop_len_ok, split_reach, split_unreach};
use super::{as_path, AttributeType, Flags};

/// A malformed attribute: the approach to use and the RFC 4271 NOTIFICATION subcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    /// RFC 7606 approach.
    pub action: Action,
    /// UPDATE Message Error subcode (RFC 4271 §6.3).
    pub subcode: u8,
    /// What was wrong.
    pub reason: Reason,
    /// Position of the fault within the attribute value, when it is not the value itself.
    pub at: usize,
}

#[cold]
fn fault(action: Action, subcode: u8, reason: Reason) -> Fault {
    Fault { action, subcode, reason, at: 0 }
}

/// The approach for a malformed attribute of type `t`, per RFC 7606 §7.
pub fn malformed_action(t: AttributeType) -> Action {
    match t {
        // §7.1 ORIGIN, §7.2 AS_PATH, §7.3 NEXT_HOP, §7.4 MULTI_EXIT_DISC, §7.5 LOCAL_PREF,
        // §7.8 COMMUNITIES, §7.9 ORIGINATOR_ID, §7.10 CLUSTER_LIST, §7.14 EXTENDED
        // COMMUNITIES: a malformed one is handled by "treat-as-withdraw".
        // RFC 8092 §5 (LARGE_COMMUNITY) and RFC 9234 §5 (OTC) say the same.
        AttributeType::ORIGIN
        | AttributeType::AS_PATH
        | AttributeType::NEXT_HOP
        | AttributeType::MULTI_EXIT_DISC
        | AttributeType::LOCAL_PREF
        | AttributeType::COMMUNITIES
        | AttributeType::ORIGINATOR_ID
        | AttributeType::CLUSTER_LIST
        | AttributeType::EXTENDED_COMMUNITIES
        | AttributeType::LARGE_COMMUNITY
        | AttributeType::OTC => Action::TreatAsWithdraw,
        // §7.6 ATOMIC_AGGREGATE and §7.7 AGGREGATOR: a malformed one is handled by "attribute
        // discard". RFC 6793 §6: a malformed AS4_PATH or AS4_AGGREGATOR is discarded.
        AttributeType::ATOMIC_AGGREGATE
        | AttributeType::AGGREGATOR
        | AttributeType::AS4_PATH
        | AttributeType::AS4_AGGREGATOR => Action::AttributeDiscard,
        // §7.11: "AFI/SAFI disable" or "session reset".
        AttributeType::MP_REACH_NLRI | AttributeType::MP_UNREACH_NLRI => Action::AfiSafiDisable,
        // §3 (c) for anything else this crate decodes.
        _ => Action::TreatAsWithdraw,
    }
}

/// Checks the Optional and Transitive bits of a known attribute.
///
/// RFC 7606 §3 (c): "If the value of either the Optional or Transitive bits in the Attribute
/// Flags is in conflict with their specified values, then the attribute MUST be treated as
/// malformed and the 'treat-as-withdraw' approach used, unless the specification for the
/// attribute mandates different handling for incorrect Attribute Flags."
#[inline]
pub fn check_flags(t: AttributeType, flags: Flags) -> Result<(), Fault> {
    let Some(expected) = t.expected_flags() else { return Ok(()) };
    let mask = Flags::OPTIONAL | Flags::TRANSITIVE;
    if flags.0 & mask == expected.0 & mask {
        Ok(())
    } else {
        Err(fault(Action::TreatAsWithdraw, sub::ATTRIBUTE_FLAGS_ERROR, Reason::AttributeFlags(t.0)))
    }
}

/// Facts about an MP attribute found while checking it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MpFacts {
    /// AFI/SAFI.
    pub family: Family,
    /// Whether the attribute carries at least one route.
    pub has_routes: bool,
}

/// Checks the value of a known attribute (RFC 7606 §7). Returns what the caller needs to
/// know about MP attributes.
#[inline]
pub fn check_value(t: AttributeType, v: &[u8], ctx: &Context) -> Result<Option<MpFacts>, Fault> {
    let length = |ok: bool, action: Action| {
        if ok {
            Ok(None)
        } else {
            Err(fault(action, sub::ATTRIBUTE_LENGTH_ERROR, Reason::AttributeLength(t.0)))
        }
    };
    let taw = Action::TreatAsWithdraw;
    let discard = Action::AttributeDiscard;
    match t {
        // §7.1: malformed when its length is not 1 or its value is undefined.
        AttributeType::ORIGIN => match v {
            [0..=2] => Ok(None),
            [o] => Err(fault(taw, sub::INVALID_ORIGIN_ATTRIBUTE, Reason::InvalidOrigin(*o))),
            _ => length(false, taw),
        },
        // §7.2 (see `as_path::check`).
        AttributeType::AS_PATH => as_path::check(v, ctx.four_octet_as)
            .map(|()| None)
            .map_err(|r| fault(taw, sub::MALFORMED_AS_PATH, r)),
        // §7.3: malformed when its length is not 4.
        // §7.4, §7.5, §7.9 say the same of MULTI_EXIT_DISC, LOCAL_PREF and ORIGINATOR_ID;
        // RFC 9234 §5 of OTC.
        AttributeType::NEXT_HOP
        | AttributeType::MULTI_EXIT_DISC
        | AttributeType::LOCAL_PREF
        | AttributeType::ORIGINATOR_ID
        | AttributeType::OTC => length(v.len() == 4, taw),
        // §7.6: malformed when its length is not 0.
        AttributeType::ATOMIC_AGGREGATE => length(v.is_empty(), discard),
        // §7.7: malformed when its length is not 6 (without the 4-octet AS capability on
        // both sides) or 8 (with it).
        AttributeType::AGGREGATOR => {
            length(v.len() == if ctx.four_octet_as { 8 } else { 6 }, discard)
        }
        // RFC 6793 §3: AS4_AGGREGATOR is always 8 octets.
        AttributeType::AS4_AGGREGATOR => length(v.len() == 8, discard),
        // RFC 6793 §6: AS4_PATH is checked like AS_PATH, with 4-octet AS numbers.
        AttributeType::AS4_PATH => as_path::check(v, true)
            .map(|()| None)
            .map_err(|r| fault(discard, sub::OPTIONAL_ATTRIBUTE_ERROR, r)),
        // §7.8: malformed when its length is not a non-zero multiple of 4.
        // §7.10 says the same of CLUSTER_LIST.
        AttributeType::COMMUNITIES | AttributeType::CLUSTER_LIST => {
            length(!v.is_empty() && v.len() % 4 == 0, taw)
        }
        // §7.14: malformed when its length is not a non-zero multiple of 8.
        AttributeType::EXTENDED_COMMUNITIES => length(!v.is_empty() && v.len() % 8 == 0, taw),
        // RFC 8092 §5: malformed when its length is not a non-zero multiple of 12.
        AttributeType::LARGE_COMMUNITY => length(!v.is_empty() && v.len() % 12 == 0, taw),
        AttributeType::MP_REACH_NLRI => check_reach(v, ctx).map(Some),
        AttributeType::MP_UNREACH_NLRI => check_unreach(v, ctx).map(Some),
        _ => Ok(None),
    }
}

/// RFC 7606 §7.11 for MP_REACH_NLRI. A value too short to name its AFI/SAFI cannot be tied to
/// a family, so the session is reset (§5.3: the NLRI cannot be located); next hop length
/// errors and NLRI syntax errors disable the family.
pub(crate) fn check_reach(v: &[u8], ctx: &Context) -> Result<MpFacts, Fault> {
    let p = split_reach(v).map_err(|r| {
        let action = if v.len() < 3 { Action::SessionReset } else { Action::AfiSafiDisable };
        fault(action, sub::OPTIONAL_ATTRIBUTE_ERROR, r)
    })?;
    if !next_hop_len_ok(p.family, p.next_hop.len()) {
        let mut f =
            fault(Action::AfiSafiDisable, sub::OPTIONAL_ATTRIBUTE_ERROR, Reason::InvalidNextHop);
        f.at = 3;
        return Err(f);
    }
    let has_routes = check_family_nlri(p.family, p.nlri, p.nlri_at, ctx)?;
    Ok(MpFacts { family: p.family, has_routes })
}

/// RFC 7606 §7.12 (MP_UNREACH_NLRI) refers to §5.3 and §7.11.
pub(crate) fn check_unreach(v: &[u8], ctx: &Context) -> Result<MpFacts, Fault> {
    let (family, nlri) = split_unreach(v)
        .map_err(|r| fault(Action::SessionReset, sub::OPTIONAL_ATTRIBUTE_ERROR, r))?;
    let has_routes = check_family_nlri(family, nlri, 3, ctx)?;
    Ok(MpFacts { family, has_routes })
}

/// §5.3: NLRI whose prefix length exceeds the address, or that overrun the field, are
/// syntactically incorrect; the family is disabled.
fn check_family_nlri(family: Family, nlri: &[u8], at: usize, ctx: &Context) -> Result<bool, Fault> {
    match PrefixAfi::of(family) {
        Some(afi) => match nlri::check(nlri, afi, ctx.has_path_id(family)) {
            Ok(n) => Ok(n > 0),
            Err((pos, reason)) => {
                let mut f = fault(Action::AfiSafiDisable, sub::OPTIONAL_ATTRIBUTE_ERROR, reason);
                f.at = at + pos;
                Err(f)
            }
        },
        None => Ok(!nlri.is_empty()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(t: AttributeType, hex: &str) -> Result<Option<MpFacts>, Fault> {
        check_value(t, &hex::decode(hex).unwrap(), &Context::modern())
    }

    #[test]
    fn per_attribute_table() {
        use Action::*;
        type Case = (AttributeType, &'static str, Option<(Action, u8)>);
        let cases: &[Case] = &[
            (AttributeType::ORIGIN, "00", None),
            (AttributeType::ORIGIN, "03", Some((TreatAsWithdraw, sub::INVALID_ORIGIN_ATTRIBUTE))),
            (AttributeType::ORIGIN, "0000", Some((TreatAsWithdraw, sub::ATTRIBUTE_LENGTH_ERROR))),
            (AttributeType::AS_PATH, "020100000001", None),
            (AttributeType::AS_PATH, "0201000001", Some((TreatAsWithdraw, sub::MALFORMED_AS_PATH))),
            (AttributeType::NEXT_HOP, "0a000001", None),
            (
                AttributeType::NEXT_HOP,
                "0a0000",
                Some((TreatAsWithdraw, sub::ATTRIBUTE_LENGTH_ERROR)),
            ),
            (
                AttributeType::MULTI_EXIT_DISC,
                "00",
                Some((TreatAsWithdraw, sub::ATTRIBUTE_LENGTH_ERROR)),
            ),
            (AttributeType::LOCAL_PREF, "", Some((TreatAsWithdraw, sub::ATTRIBUTE_LENGTH_ERROR))),
            (
                AttributeType::ATOMIC_AGGREGATE,
                "00",
                Some((AttributeDiscard, sub::ATTRIBUTE_LENGTH_ERROR)),
            ),
            (
                AttributeType::AGGREGATOR,
                "fde80a000001",
                Some((AttributeDiscard, sub::ATTRIBUTE_LENGTH_ERROR)),
            ),
            (AttributeType::AGGREGATOR, "0000fde80a000001", None),
            (AttributeType::COMMUNITIES, "", Some((TreatAsWithdraw, sub::ATTRIBUTE_LENGTH_ERROR))),
            (
                AttributeType::COMMUNITIES,
                "fde80001ff",
                Some((TreatAsWithdraw, sub::ATTRIBUTE_LENGTH_ERROR)),
            ),
            (AttributeType::ORIGINATOR_ID, "01020304", None),
            (
                AttributeType::CLUSTER_LIST,
                "010203",
                Some((TreatAsWithdraw, sub::ATTRIBUTE_LENGTH_ERROR)),
            ),
            (
                AttributeType::EXTENDED_COMMUNITIES,
                "0002",
                Some((TreatAsWithdraw, sub::ATTRIBUTE_LENGTH_ERROR)),
            ),
            (
                AttributeType::LARGE_COMMUNITY,
                "00000001",
                Some((TreatAsWithdraw, sub::ATTRIBUTE_LENGTH_ERROR)),
            ),
            (
                AttributeType::AS4_PATH,
                "0201",
                Some((AttributeDiscard, sub::OPTIONAL_ATTRIBUTE_ERROR)),
            ),
            (
                AttributeType::AS4_AGGREGATOR,
                "0000",
                Some((AttributeDiscard, sub::ATTRIBUTE_LENGTH_ERROR)),
            ),
            (AttributeType::OTC, "0000fde8", None),
            (
                AttributeType::MP_REACH_NLRI,
                "00",
                Some((SessionReset, sub::OPTIONAL_ATTRIBUTE_ERROR)),
            ),
            (
                AttributeType::MP_REACH_NLRI,
                "000101030a00000100",
                Some((AfiSafiDisable, sub::OPTIONAL_ATTRIBUTE_ERROR)),
            ),
            (
                AttributeType::MP_REACH_NLRI,
                "000101040a0000010021",
                Some((AfiSafiDisable, sub::OPTIONAL_ATTRIBUTE_ERROR)),
            ),
            (
                AttributeType::MP_UNREACH_NLRI,
                "00020181",
                Some((AfiSafiDisable, sub::OPTIONAL_ATTRIBUTE_ERROR)),
            ),
            (AttributeType::MP_UNREACH_NLRI, "000201", None),
            (AttributeType(99), "ff", None),
        ];
        for (t, hex, want) in cases {
            let got = check(*t, hex).err().map(|f| (f.action, f.subcode));
            assert_eq!(got, *want, "{t:?} {hex}");
        }
    }

    #[test]
    fn flags() {
        assert!(check_flags(AttributeType::ORIGIN, Flags(0x40)).is_ok());
        assert!(check_flags(AttributeType::ORIGIN, Flags(0x50)).is_ok());
        assert_eq!(
            check_flags(AttributeType::ORIGIN, Flags(0xc0)).unwrap_err().action,
            Action::TreatAsWithdraw
        );
        assert!(check_flags(AttributeType::MULTI_EXIT_DISC, Flags(0x40)).is_err());
        assert!(check_flags(AttributeType(200), Flags(0)).is_ok());
    }

    #[test]
    fn mp_facts() {
        let f = check(AttributeType::MP_REACH_NLRI, "000201100000000000000000000000000000000100")
            .unwrap();
        assert_eq!(f, Some(MpFacts { family: Family::IPV6_UNICAST, has_routes: false }));
    }
}
