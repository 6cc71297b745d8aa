//! The catalogue: one malformed message per case, when to send it, and what RFC 4271 §6 and
//! RFC 7606 say the receiver must do about it.

use super::craft::{self, open_at, raw_attr, update, update_with_lengths};
use ipnet::IpNet;
use std::fmt;
use std::net::Ipv4Addr;

/// The canary: announced with good attributes before each case, carried by the case's UPDATE.
pub const CANARY: &str = "198.18.0.0/24";
/// The canary's community before the case.
pub const OLD: u32 = 0xfc00_0001;
/// The community the case's UPDATE carries: seeing it means the UPDATE was used.
pub const NEW: u32 = 0xfc00_0002;
/// A community sent in a second, duplicate COMMUNITIES attribute.
pub const DUPLICATE: u32 = 0xfc00_0003;

/// Whether a prefix belongs to this tool's test range (canary, fences), which the full
/// table must not use: 198.18.0.0/15.
pub fn is_test_prefix(p: &IpNet) -> bool {
    let v4: IpNet = "198.18.0.0/15".parse().unwrap_or(*p);
    v4.contains(p)
}

/// What the cases are built from: the session's facts.
#[derive(Clone, Debug)]
pub struct Env {
    /// Our AS (the attacking neighbour's).
    pub asn: u32,
    /// The device under test's AS.
    pub dut_as: u32,
    /// The device under test's address on the session.
    pub dut_addr: Ipv4Addr,
    /// The device under test's BGP Identifier.
    pub dut_id: Ipv4Addr,
    /// Our BGP Identifier.
    pub bgp_id: Ipv4Addr,
    /// Our address, the NEXT_HOP of good routes.
    pub next_hop: Ipv4Addr,
    /// The hold time we offer.
    pub hold_time: u16,
}

/// When the case's octets are sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// On a fresh connection, in place of our OPEN.
    InsteadOfOpen,
    /// The same, from the internal (iBGP) attacker.
    InsteadOfOpenInternal,
    /// Once the session is Established and the canary announced.
    Established,
}

/// What the receiver does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Sends a NOTIFICATION with this code and subcode and closes the connection.
    Notification(u8, u8),
    /// RFC 7606 §2 "treat-as-withdraw": the UPDATE's routes are withdrawn, the session stays.
    TreatAsWithdraw,
    /// RFC 7606 §2 "attribute discard": the UPDATE is used without the attribute.
    AttributeDiscard,
    /// RFC 7606 §2 "AFI/SAFI disable": the family's routes from this peer are gone, the
    /// session stays.
    AfiSafiDisable,
    /// The route is ignored: what was there before stays.
    Ignored,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Notification(c, s) => write!(f, "NOTIFICATION {c}/{s}"),
            Outcome::TreatAsWithdraw => f.write_str("treat-as-withdraw"),
            Outcome::AttributeDiscard => f.write_str("attribute-discard"),
            Outcome::AfiSafiDisable => f.write_str("AFI/SAFI-disable"),
            Outcome::Ignored => f.write_str("ignored"),
        }
    }
}

/// One malformed message and what must follow it.
#[derive(Clone, Copy)]
pub struct Case {
    /// Short name, unique.
    pub name: &'static str,
    /// The section that decides the outcome, quoted.
    pub rfc: &'static str,
    /// When it is sent.
    pub when: When,
    /// The acceptable outcomes (more than one where the RFC leaves a choice).
    pub expect: &'static [Outcome],
    /// The attribute type that must be gone from the canary under attribute discard.
    pub discards: Option<u8>,
    /// The octets.
    pub build: fn(&Env) -> Vec<u8>,
}

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Case").field("name", &self.name).field("when", &self.when).finish()
    }
}

/// Expected outcomes, joined with " or ".
pub fn expected(c: &Case) -> String {
    c.expect.iter().map(Outcome::to_string).collect::<Vec<_>>().join(" or ")
}

fn canary() -> IpNet {
    CANARY.parse().unwrap_or_else(|_| IpNet::default())
}

/// The good attributes of the case's UPDATE, with the NEW community.
fn good(e: &Env) -> Vec<u8> {
    let mut a = craft::origin_igp();
    a.extend(craft::as_path(&[e.asn]));
    a.extend(craft::next_hop(e.next_hop));
    a.extend(craft::communities(&[NEW]));
    a
}

/// The good attributes with the attribute of type `t` replaced by `with` (or left out when
/// `with` is empty).
fn replace(e: &Env, t: u8, with: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    if t != 1 {
        out.extend(craft::origin_igp());
    } else {
        out.extend_from_slice(with);
    }
    if t != 2 {
        out.extend(craft::as_path(&[e.asn]));
    } else {
        out.extend_from_slice(with);
    }
    if t != 3 {
        out.extend(craft::next_hop(e.next_hop));
    } else {
        out.extend_from_slice(with);
    }
    out.extend(craft::communities(&[NEW]));
    out
}

/// An UPDATE of the canary with the good attributes followed by `extra`.
fn canary_with(e: &Env, extra: &[u8]) -> Vec<u8> {
    let mut a = good(e);
    a.extend_from_slice(extra);
    update(&[], &a, &craft::prefix(canary()))
}

/// An UPDATE of the canary with the attribute of type `t` replaced by `with`.
fn canary_replacing(e: &Env, t: u8, with: &[u8]) -> Vec<u8> {
    update(&[], &replace(e, t, with), &craft::prefix(canary()))
}

fn patched_open(e: &Env, at: usize, value: &[u8]) -> Vec<u8> {
    let mut m = craft::open(e.asn, e.hold_time, e.bgp_id);
    if let Some(dst) = m.get_mut(at..at + value.len()) {
        dst.copy_from_slice(value);
    }
    m
}

/// An MP_REACH_NLRI value for IPv4 unicast (RFC 4760 allows it for any family) carrying the
/// canary, with a next hop of `nh_len` octets (4 is right).
fn mp_reach4(e: &Env, nh_len: u8) -> Vec<u8> {
    let mut v = vec![0x00, 0x01, 0x01, nh_len];
    let nh = e.next_hop.octets();
    for i in 0..usize::from(nh_len) {
        v.push(nh.get(i % 4).copied().unwrap_or(0));
    }
    v.push(0); // Reserved
    v.extend(craft::prefix(canary()));
    v
}

/// Every case, in the order they run.
pub fn catalogue() -> Vec<Case> {
    use Outcome::*;
    use When::*;
    vec![
        // ----- Message header (RFC 4271 §6.1) -----
        Case {
            name: "header-bad-marker",
            rfc: "RFC 4271 §6.1: \"If the Marker field of the message header is not as expected, then a synchronization error has occurred and the Error Subcode MUST be set to Connection Not Synchronized.\"",
            when: Established,
            expect: &[Notification(1, 1)],
            discards: None,
            build: |_| {
                let mut m = craft::keepalive();
                if let Some(b) = m.get_mut(3) {
                    *b = 0;
                }
                m
            },
        },
        Case {
            name: "header-length-18",
            rfc: "RFC 4271 §6.1: \"if the Length field of the message header is less than 19 or greater than 4096 ... the Error Subcode MUST be set to Bad Message Length.\"",
            when: Established,
            expect: &[Notification(1, 2)],
            discards: None,
            build: |_| craft::header([0xff; 16], 18, craft::KEEPALIVE),
        },
        Case {
            name: "header-length-4097",
            rfc: "RFC 4271 §6.1: Length \"greater than 4096\" (no extended message negotiated, RFC 8654): Bad Message Length.",
            when: Established,
            expect: &[Notification(1, 2)],
            discards: None,
            build: |_| {
                let mut m = craft::header([0xff; 16], 4097, craft::UPDATE);
                m.resize(4097, 0);
                m
            },
        },
        Case {
            name: "header-keepalive-length-20",
            rfc: "RFC 4271 §6.1: \"if the Length field of a KEEPALIVE message is not equal to 19 ... the Error Subcode MUST be set to Bad Message Length.\"",
            when: Established,
            expect: &[Notification(1, 2)],
            discards: None,
            build: |_| {
                let mut m = craft::header([0xff; 16], 20, craft::KEEPALIVE);
                m.push(0);
                m
            },
        },
        Case {
            name: "header-update-length-22",
            rfc: "RFC 4271 §6.1: \"if the Length field ... is too small for the type\" (an UPDATE is at least 23 octets): Bad Message Length.",
            when: Established,
            expect: &[Notification(1, 2)],
            discards: None,
            build: |_| {
                let mut m = craft::header([0xff; 16], 22, craft::UPDATE);
                m.extend_from_slice(&[0, 0, 0]);
                m
            },
        },
        Case {
            name: "header-open-length-28",
            rfc: "RFC 4271 §6.1: an OPEN is at least 29 octets; a smaller Length is Bad Message Length.",
            when: InsteadOfOpen,
            expect: &[Notification(1, 2)],
            discards: None,
            build: |e| {
                let mut m = craft::open(e.asn, e.hold_time, e.bgp_id);
                m.truncate(28);
                if let Some(l) = m.get_mut(16..18) {
                    l.copy_from_slice(&28u16.to_be_bytes());
                }
                m
            },
        },
        Case {
            name: "header-bad-type-42",
            rfc: "RFC 4271 §6.1: \"If the Type field of the message header is not recognized, then the Error Subcode MUST be set to Bad Message Type.\"",
            when: Established,
            expect: &[Notification(1, 3)],
            discards: None,
            build: |_| craft::message(42, &[]),
        },
        // ----- OPEN (RFC 4271 §6.2) -----
        Case {
            name: "open-version-3",
            rfc: "RFC 4271 §6.2: \"If the version number in the Version field of the received OPEN message is not supported, then the Error Subcode MUST be set to Unsupported Version Number.\"",
            when: InsteadOfOpen,
            expect: &[Notification(2, 1)],
            discards: None,
            build: |e| patched_open(e, open_at::VERSION, &[3]),
        },
        Case {
            name: "open-bad-peer-as",
            rfc: "RFC 4271 §6.2: \"If the Autonomous System field of the OPEN message is unacceptable, then the Error Subcode MUST be set to Bad Peer AS.\"",
            when: InsteadOfOpen,
            expect: &[Notification(2, 2)],
            discards: None,
            build: |e| {
                let other = e.asn.wrapping_add(1);
                let mut m = craft::open(other, e.hold_time, e.bgp_id);
                if let Some(b) = m.get_mut(open_at::MY_AS..open_at::MY_AS + 2) {
                    b.copy_from_slice(&u16::try_from(other).unwrap_or(23456).to_be_bytes());
                }
                m
            },
        },
        Case {
            name: "open-hold-time-1",
            rfc: "RFC 4271 §6.2: \"An implementation MUST reject Hold Time values of one or two seconds.\" (Unacceptable Hold Time)",
            when: InsteadOfOpen,
            expect: &[Notification(2, 6)],
            discards: None,
            build: |e| patched_open(e, open_at::HOLD_TIME, &[0, 1]),
        },
        Case {
            name: "open-hold-time-2",
            rfc: "RFC 4271 §6.2: \"An implementation MUST reject Hold Time values of one or two seconds.\" (Unacceptable Hold Time)",
            when: InsteadOfOpen,
            expect: &[Notification(2, 6)],
            discards: None,
            build: |e| patched_open(e, open_at::HOLD_TIME, &[0, 2]),
        },
        Case {
            name: "open-bgp-id-zero",
            rfc: "RFC 6286 §2.2: \"If the BGP Identifier field of the OPEN message is zero ... the Error Subcode is set to Bad BGP Identifier.\"",
            when: InsteadOfOpen,
            expect: &[Notification(2, 3)],
            discards: None,
            build: |e| patched_open(e, open_at::BGP_ID, &[0, 0, 0, 0]),
        },
        Case {
            name: "open-bgp-id-ours-ibgp",
            rfc: "RFC 6286 §2.2: \"If the BGP Identifier field of the OPEN message is ... the same as the BGP Identifier of the local BGP speaker and the message is from an internal peer, then the Error Subcode is set to \"Bad BGP Identifier\".\"",
            when: InsteadOfOpenInternal,
            expect: &[Notification(2, 3)],
            discards: None,
            build: |e| craft::open(e.dut_as, e.hold_time, e.dut_id),
        },
        Case {
            name: "open-unsupported-optional-parameter",
            rfc: "RFC 4271 §6.2: \"If one of the Optional Parameters in the OPEN message is not recognized, then the Error Subcode MUST be set to Unsupported Optional Parameters.\"",
            when: InsteadOfOpen,
            expect: &[Notification(2, 4)],
            discards: None,
            build: |e| {
                // Version, AS, hold time, identifier, then one parameter of type 42.
                let mut body = vec![4];
                body.extend_from_slice(&u16::try_from(e.asn).unwrap_or(23456).to_be_bytes());
                body.extend_from_slice(&e.hold_time.to_be_bytes());
                body.extend_from_slice(&e.bgp_id.octets());
                body.extend_from_slice(&[4, 42, 2, 0xab, 0xcd]);
                craft::message(craft::OPEN, &body)
            },
        },
        // ----- UPDATE: attribute flags (RFC 7606 §3 (c)) -----
        Case {
            name: "flags-origin-optional",
            rfc: "RFC 7606 §3 (c): \"If the value of either the Optional or Transitive bits in the Attribute Flags is in conflict with their specified values, then the attribute MUST be treated as malformed and the \"treat-as-withdraw\" approach used\"",
            when: Established,
            expect: &[TreatAsWithdraw],
            discards: None,
            build: |e| canary_replacing(e, 1, &raw_attr(0xc0, 1, &[0])),
        },
        Case {
            name: "flags-med-well-known",
            rfc: "RFC 7606 §3 (c): MULTI_EXIT_DISC is optional non-transitive; sent as well-known it is malformed: \"treat-as-withdraw\".",
            when: Established,
            expect: &[TreatAsWithdraw],
            discards: None,
            build: |e| canary_with(e, &raw_attr(0x40, 4, &[0, 0, 0, 10])),
        },
        Case {
            name: "flags-aggregator-non-transitive",
            rfc: "RFC 7606 §3 (c): flags in conflict, \"unless the specification for the attribute mandates different handling for incorrect Attribute Flags\" (§7.7 speaks only of the length): \"treat-as-withdraw\".",
            when: Established,
            expect: &[TreatAsWithdraw],
            discards: None,
            build: |e| {
                let mut v = e.asn.to_be_bytes().to_vec();
                v.extend_from_slice(&e.bgp_id.octets());
                canary_with(e, &raw_attr(0x80, 7, &v))
            },
        },
        // ----- ORIGIN (RFC 7606 §7.1) -----
        Case {
            name: "origin-length-2",
            rfc: "RFC 7606 §7.1: \"The attribute is considered malformed if its length is not 1 or if it has an undefined value\"; \"treat-as-withdraw\".",
            when: Established,
            expect: &[TreatAsWithdraw],
            discards: None,
            build: |e| canary_replacing(e, 1, &raw_attr(0x40, 1, &[0, 0])),
        },
        Case {
            name: "origin-value-7",
            rfc: "RFC 7606 §7.1: an undefined ORIGIN value is malformed; \"treat-as-withdraw\".",
            when: Established,
            expect: &[TreatAsWithdraw],
            discards: None,
            build: |e| canary_replacing(e, 1, &raw_attr(0x40, 1, &[7])),
        },
        // ----- AS_PATH (RFC 7606 §7.2) -----
        Case {
            name: "as-path-segment-overrun",
            rfc: "RFC 7606 §7.2: a segment is malformed if \"the Path Segment Length field of the last segment encountered would cause the Attribute Length to be exceeded\"; \"treat-as-withdraw\".",
            when: Established,
            expect: &[TreatAsWithdraw],
            discards: None,
            build: |e| {
                let mut v = vec![2, 3];
                v.extend_from_slice(&e.asn.to_be_bytes());
                canary_replacing(e, 2, &raw_attr(0x40, 2, &v))
            },
        },
        Case {
            name: "as-path-segment-type-7",
            rfc: "RFC 7606 §7.2: \"An AS_PATH is considered malformed if an unrecognized segment type is encountered\"; \"treat-as-withdraw\".",
            when: Established,
            expect: &[TreatAsWithdraw],
            discards: None,
            build: |e| {
                let mut v = vec![7, 1];
                v.extend_from_slice(&e.asn.to_be_bytes());
                canary_replacing(e, 2, &raw_attr(0x40, 2, &v))
            },
        },
        Case {
            name: "as-path-zero-length-segment",
            rfc: "RFC 7606 §7.2: a segment is malformed if \"It has a Path Segment Length field of zero\"; \"treat-as-withdraw\".",
            when: Established,
            expect: &[TreatAsWithdraw],
            discards: None,
            build: |e| {
                let mut v = vec![2, 1];
                v.extend_from_slice(&e.asn.to_be_bytes());
                v.extend_from_slice(&[2, 0]);
                canary_replacing(e, 2, &raw_attr(0x40, 2, &v))
            },
        },
        Case {
            name: "as-path-confed-from-ebgp",
            rfc: "RFC 7606 §7.2: an AS_PATH with AS_CONFED_SEQUENCE or AS_CONFED_SET from a neighbour outside the confederation is malformed; \"treat-as-withdraw\".",
            when: Established,
            expect: &[TreatAsWithdraw],
            discards: None,
            build: |e| {
                let mut v = vec![3, 1, 0, 0, 0xfd, 0xe9, 2, 1];
                v.extend_from_slice(&e.asn.to_be_bytes());
                canary_replacing(e, 2, &raw_attr(0x40, 2, &v))
            },
        },
        Case {
            name: "as-path-empty-ebgp",
            rfc: "RFC 4271 §6.3 leftmost-AS check from an external peer, revised by RFC 7606 §7.2 to \"treat-as-withdraw\"; an empty AS_PATH has no leftmost AS.",
            when: Established,
            expect: &[TreatAsWithdraw],
            discards: None,
            build: |e| canary_replacing(e, 2, &raw_attr(0x40, 2, &[])),
        },
        Case {
            name: "as-path-first-as-not-peer",
            rfc: "RFC 4271 §6.3: \"the local system MAY check whether the leftmost AS in the AS_PATH attribute is equal to the autonomous system number of the peer\"; RFC 7606 §7.2: \"treat-as-withdraw\".",
            when: Established,
            expect: &[TreatAsWithdraw],
            discards: None,
            build: |e| canary_replacing(e, 2, &craft::as_path(&[e.asn.wrapping_add(7), e.asn])),
        },
        // ----- NEXT_HOP (RFC 7606 §7.3, RFC 4271 §6.3) -----
        Case {
            name: "next-hop-length-5",
            rfc: "RFC 7606 §7.3: \"The NEXT_HOP attribute SHALL be considered malformed if its length is not equal to 4\"; \"treat-as-withdraw\".",
            when: Established,
            expect: &[TreatAsWithdraw],
            discards: None,
            build: |e| {
                let mut v = e.next_hop.octets().to_vec();
                v.push(0);
                canary_replacing(e, 3, &raw_attr(0x40, 3, &v))
            },
        },
        Case {
            name: "next-hop-0.0.0.0",
            rfc: "RFC 4271 §6.3: a NEXT_HOP that is not \"a valid IP host address\" is syntactically incorrect (Invalid NEXT_HOP Attribute); RFC 7606 §7.3 revises NEXT_HOP errors to \"treat-as-withdraw\".",
            when: Established,
            expect: &[TreatAsWithdraw, Notification(3, 8)],
            discards: None,
            build: |e| canary_replacing(e, 3, &craft::next_hop(Ipv4Addr::UNSPECIFIED)),
        },
        Case {
            name: "next-hop-multicast",
            rfc: "RFC 4271 §6.3: a multicast NEXT_HOP is not \"a valid IP host address\" (Invalid NEXT_HOP Attribute); RFC 7606 §7.3: \"treat-as-withdraw\".",
            when: Established,
            expect: &[TreatAsWithdraw, Notification(3, 8)],
            discards: None,
            build: |e| canary_replacing(e, 3, &craft::next_hop(Ipv4Addr::new(224, 0, 0, 5))),
        },
        Case {
            name: "next-hop-receiver-itself",
            rfc: "RFC 4271 §6.3: a NEXT_HOP that is the receiving speaker's own address is semantically incorrect: \"the route SHOULD be ignored. In this case, a NOTIFICATION message SHOULD NOT be sent, and the connection SHOULD NOT be closed.\"",
            when: Established,
            expect: &[Ignored, TreatAsWithdraw],
            discards: None,
            build: |e| canary_replacing(e, 3, &craft::next_hop(e.dut_addr)),
        },
        Case {
            name: "next-hop-overruns-attributes",
            rfc: "RFC 7606 §4: when \"the length of the last encountered path attribute would cause the Total Attribute Length to be exceeded\", \"treat-as-withdraw\".",
            when: Established,
            expect: &[TreatAsWithdraw],
            discards: None,
            build: |e| {
                let mut a = craft::origin_igp();
                a.extend(craft::as_path(&[e.asn]));
                a.extend(craft::communities(&[NEW]));
                a.extend_from_slice(&[0x40, 3, 4, 10, 0]);
                update(&[], &a, &craft::prefix(canary()))
            },
        },
        // ----- Attribute list (RFC 7606 §3, §4) -----
        Case {
            name: "duplicate-communities",
            rfc: "RFC 7606 §3 (g): \"If any other attribute (whether recognized or unrecognized) appears more than once in an UPDATE message, then all the occurrences of the attribute other than the first one SHALL be discarded and the UPDATE message will continue to be processed.\"",
            when: Established,
            expect: &[AttributeDiscard],
            discards: None,
            build: |e| canary_with(e, &craft::communities(&[DUPLICATE])),
        },
        Case {
            name: "duplicate-mp-reach",
            rfc: "RFC 7606 §3 (g): \"If the MP_REACH_NLRI attribute or the MP_UNREACH_NLRI attribute appears more than once in the UPDATE message, then a NOTIFICATION message MUST be sent with the Error Subcode \"Malformed Attribute List\".\"",
            when: Established,
            expect: &[Notification(3, 1)],
            discards: None,
            build: |e| {
                let mp = raw_attr(0x80, 14, &mp_reach4(e, 4));
                let mut a = mp.clone();
                a.extend(mp);
                a.extend(craft::origin_igp());
                a.extend(craft::as_path(&[e.asn]));
                update(&[], &a, &[])
            },
        },
        Case {
            name: "missing-origin",
            rfc: "RFC 7606 §3 (d): \"If any of the well-known mandatory attributes are not present in an UPDATE message, then \"treat-as-withdraw\" MUST be used.\"",
            when: Established,
            expect: &[TreatAsWithdraw],
            discards: None,
            build: |e| canary_replacing(e, 1, &[]),
        },
        Case {
            name: "missing-as-path",
            rfc: "RFC 7606 §3 (d): a missing well-known mandatory attribute: \"treat-as-withdraw\".",
            when: Established,
            expect: &[TreatAsWithdraw],
            discards: None,
            build: |e| canary_replacing(e, 2, &[]),
        },
        Case {
            name: "missing-next-hop",
            rfc: "RFC 7606 §3 (d): NEXT_HOP is mandatory with IPv4 NLRI in the NLRI field; missing: \"treat-as-withdraw\".",
            when: Established,
            expect: &[TreatAsWithdraw],
            discards: None,
            build: |e| canary_replacing(e, 3, &[]),
        },
        Case {
            name: "attributes-trailing-octets",
            rfc: "RFC 7606 §4: when the enclosed attributes end with fewer than 3 octets left of the Total Attribute Length (\"attribute length underrun\"), \"treat-as-withdraw\".",
            when: Established,
            expect: &[TreatAsWithdraw],
            discards: None,
            build: |e| canary_with(e, &[0x40, 99]),
        },
        Case {
            name: "withdrawn-length-overrun",
            rfc: "RFC 4271 §6.3: \"If the Withdrawn Routes Length or Total Attribute Length is too large (i.e., if Withdrawn Routes Length + Total Attribute Length + 23 exceeds the message Length), then the Error Subcode MUST be set to Malformed Attribute List.\"",
            when: Established,
            expect: &[Notification(3, 1)],
            discards: None,
            build: |e| {
                let a = good(e);
                update_with_lengths(200, &[], a.len(), &a, &craft::prefix(canary()))
            },
        },
        Case {
            name: "total-attribute-length-overrun",
            rfc: "RFC 4271 §6.3: Withdrawn Routes Length + Total Attribute Length + 23 exceeding the message Length is Malformed Attribute List.",
            when: Established,
            expect: &[Notification(3, 1)],
            discards: None,
            build: |e| {
                let a = good(e);
                update_with_lengths(0, &[], a.len() + 200, &a, &craft::prefix(canary()))
            },
        },
        // ----- NLRI (RFC 7606 §5.3, RFC 4271 §6.3) -----
        Case {
            name: "nlri-prefix-length-33",
            rfc: "RFC 4271 §6.3: \"If the NLRI field in the UPDATE message is syntactically incorrect, then the Error Subcode MUST be set to Invalid Network Field\"; RFC 7606 §5.3: \"session reset\".",
            when: Established,
            expect: &[Notification(3, 10)],
            discards: None,
            build: |e| update(&[], &good(e), &[33, 198, 18, 0, 0, 0]),
        },
        Case {
            name: "nlri-overrun",
            rfc: "RFC 7606 §5.3: a prefix that overruns the NLRI field is syntactically incorrect (Invalid Network Field, session reset).",
            when: Established,
            expect: &[Notification(3, 10)],
            discards: None,
            build: |e| update(&[], &good(e), &[24, 198, 18]),
        },
        // ----- MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 7606 §7.11, §7.12, RFC 4760 §7) -----
        Case {
            name: "mp-reach-next-hop-length-5",
            rfc: "RFC 7606 §7.11: \"If the Length of Next Hop Network Address field of the MP_REACH attribute is inconsistent with that which was expected, the attribute is considered malformed\"; \"AFI/SAFI disable\" or \"session reset\" (RFC 4760 §7: Optional Attribute Error).",
            when: Established,
            expect: &[AfiSafiDisable, Notification(3, 9)],
            discards: None,
            build: |e| {
                let mut a = raw_attr(0x80, 14, &mp_reach4(e, 5));
                a.extend(craft::origin_igp());
                a.extend(craft::as_path(&[e.asn]));
                update(&[], &a, &[])
            },
        },
        Case {
            name: "mp-unreach-length-2",
            rfc: "RFC 7606 §7.12 and §5.3: an MP_UNREACH_NLRI too short to hold its AFI/SAFI cannot be tied to a family: \"session reset\" (RFC 4760 §7: Optional Attribute Error).",
            when: Established,
            expect: &[Notification(3, 9)],
            discards: None,
            build: |e| {
                let mut a = raw_attr(0x80, 15, &[0, 2]);
                a.extend(craft::origin_igp());
                a.extend(craft::as_path(&[e.asn]));
                update(&[], &a, &[])
            },
        },
        Case {
            name: "mp-unreach-prefix-length-33",
            rfc: "RFC 7606 §7.12 → §5.3: syntactically incorrect NLRI in MP_UNREACH_NLRI: \"AFI/SAFI disable\" or \"session reset\".",
            when: Established,
            expect: &[AfiSafiDisable, Notification(3, 9)],
            discards: None,
            build: |_| update(&[], &raw_attr(0x80, 15, &[0, 1, 1, 33, 198, 18, 0, 0, 0]), &[]),
        },
        // ----- Optional attributes (RFC 7606 §7.4-§7.10, §7.14, RFC 8092) -----
        Case {
            name: "med-length-3",
            rfc: "RFC 7606 §7.4: \"The attribute SHALL be considered malformed if its length is not 4\"; \"treat-as-withdraw\".",
            when: Established,
            expect: &[TreatAsWithdraw],
            discards: None,
            build: |e| canary_with(e, &raw_attr(0x80, 4, &[0, 0, 1])),
        },
        Case {
            name: "local-pref-length-3-from-ebgp",
            rfc: "RFC 7606 §7.5: \"if the LOCAL_PREF attribute is received from an external neighbor, it SHALL be discarded using the approach of \"attribute discard\"\".",
            when: Established,
            expect: &[AttributeDiscard],
            discards: Some(5),
            build: |e| canary_with(e, &raw_attr(0x40, 5, &[0, 0, 1])),
        },
        Case {
            name: "atomic-aggregate-length-1",
            rfc: "RFC 7606 §7.6: \"The ATOMIC_AGGREGATE attribute SHALL be considered malformed if its length is not 0\"; \"attribute discard\".",
            when: Established,
            expect: &[AttributeDiscard],
            discards: Some(6),
            build: |e| canary_with(e, &raw_attr(0x40, 6, &[1])),
        },
        Case {
            name: "aggregator-length-7",
            rfc: "RFC 7606 §7.7: AGGREGATOR is malformed if its length is not 6 (or 8 with 4-octet AS); \"attribute discard\".",
            when: Established,
            expect: &[AttributeDiscard],
            discards: Some(7),
            build: |e| canary_with(e, &raw_attr(0xc0, 7, &[0, 0, 0xfd, 0xea, 10, 0, 0])),
        },
        Case {
            name: "communities-length-5",
            rfc: "RFC 7606 §7.8: \"The error handling of [RFC1997] is revised: ... malformed if its length is not a non-zero multiple of 4\"; \"treat-as-withdraw\".",
            when: Established,
            expect: &[TreatAsWithdraw],
            discards: None,
            build: |e| {
                let mut a = craft::origin_igp();
                a.extend(craft::as_path(&[e.asn]));
                a.extend(craft::next_hop(e.next_hop));
                a.extend(raw_attr(0xc0, 8, &[0xfc, 0, 0, 2, 9]));
                update(&[], &a, &craft::prefix(canary()))
            },
        },
        Case {
            name: "originator-id-from-ebgp",
            rfc: "RFC 7606 §7.9: \"If the ORIGINATOR_ID attribute is received from an external neighbor, it SHALL be discarded using the approach of \"attribute discard\"\".",
            when: Established,
            expect: &[AttributeDiscard],
            discards: Some(9),
            build: |e| canary_with(e, &raw_attr(0x80, 9, &[10, 9, 9, 9])),
        },
        Case {
            name: "cluster-list-from-ebgp",
            rfc: "RFC 7606 §7.10: \"If the CLUSTER_LIST attribute is received from an external neighbor, it SHALL be discarded using the approach of \"attribute discard\"\".",
            when: Established,
            expect: &[AttributeDiscard],
            discards: Some(10),
            build: |e| canary_with(e, &raw_attr(0x80, 10, &[10, 9, 9, 9])),
        },
        Case {
            name: "extended-communities-length-9",
            rfc: "RFC 7606 §7.14: EXTENDED_COMMUNITIES is malformed if its length is not a non-zero multiple of 8; \"treat-as-withdraw\".",
            when: Established,
            expect: &[TreatAsWithdraw],
            discards: None,
            build: |e| canary_with(e, &raw_attr(0xc0, 16, &[0, 2, 0xfd, 0xe8, 0, 0, 0, 1, 0])),
        },
        Case {
            name: "large-community-length-10",
            rfc: "RFC 8092 §6: \"A BGP UPDATE message with a malformed Large Communities attribute SHALL be handled using the approach of \"treat-as-withdraw\"\" (length not a non-zero multiple of 12).",
            when: Established,
            expect: &[TreatAsWithdraw],
            discards: None,
            build: |e| canary_with(e, &raw_attr(0xc0, 32, &[0, 0, 0xfd, 0xe8, 0, 0, 0, 1, 0, 0])),
        },
        Case {
            name: "unknown-well-known-attribute",
            rfc: "RFC 4271 §6.3: \"If any of the well-known mandatory attributes are not recognized, then the Error Subcode MUST be set to Unrecognized Well-known Attribute\" (type 99 with the Optional bit clear).",
            when: Established,
            expect: &[Notification(3, 2)],
            discards: None,
            build: |e| canary_with(e, &raw_attr(0x40, 99, &[1, 2, 3, 4])),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use bgp_wire::message::Message;
    use bytes::Bytes;
    use std::collections::HashSet;

    fn env() -> Env {
        Env {
            asn: 65010,
            dut_as: 65001,
            dut_addr: Ipv4Addr::new(10, 0, 0, 1),
            dut_id: Ipv4Addr::new(10, 0, 0, 1),
            bgp_id: Ipv4Addr::new(10, 0, 0, 2),
            next_hop: Ipv4Addr::new(10, 0, 0, 2),
            hold_time: 90,
        }
    }

    #[test]
    fn names_are_unique_and_every_case_says_why() {
        let mut seen = HashSet::new();
        for c in catalogue() {
            assert!(seen.insert(c.name), "{} twice", c.name);
            assert!(c.rfc.starts_with("RFC "), "{}", c.name);
            assert!(!c.expect.is_empty(), "{}", c.name);
        }
    }

    /// The codec's verdict on each UPDATE case agrees with the outcome the case expects
    /// (the codec is an independent reading of the same RFCs), except for the cases whose
    /// outcome needs the session's facts (peer AS, eBGP, addresses), which the codec lacks.
    #[test]
    fn the_codec_finds_each_update_malformed_as_expected() {
        use bgp_wire::Action;
        const SESSION: &[&str] = &[
            "next-hop-0.0.0.0",
            "next-hop-multicast",
            "next-hop-receiver-itself",
            "as-path-empty-ebgp",
            "as-path-first-as-not-peer",
            "as-path-confed-from-ebgp",
            "local-pref-length-3-from-ebgp",
            "originator-id-from-ebgp",
            "cluster-list-from-ebgp",
        ];
        let e = env();
        let mut wrong = Vec::new();
        for c in catalogue().iter().filter(|c| c.when == When::Established) {
            if SESSION.contains(&c.name) {
                continue;
            }
            let got = match Message::decode(Bytes::from((c.build)(&e)), &craft::ctx()) {
                Err(err) => Some(Outcome::Notification(err.code.0, err.subcode)),
                Ok(Message::Update(u)) => match u.action() {
                    Some(Action::TreatAsWithdraw) => Some(Outcome::TreatAsWithdraw),
                    Some(Action::AttributeDiscard) => Some(Outcome::AttributeDiscard),
                    Some(Action::AfiSafiDisable) => Some(Outcome::AfiSafiDisable),
                    Some(Action::SessionReset) => u
                        .issues()
                        .iter()
                        .find(|i| i.action == Action::SessionReset)
                        .map(|i| Outcome::Notification(i.error.code.0, i.error.subcode)),
                    // Duplicates after the first are dropped without an issue.
                    None if c.name.starts_with("duplicate-") => Some(Outcome::AttributeDiscard),
                    _ => None,
                },
                Ok(_) => None,
            };
            if !got.is_some_and(|o| c.expect.contains(&o)) {
                wrong.push(format!("{}: codec {got:?}, expected {}", c.name, expected(c)));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
