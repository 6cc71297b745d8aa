//! The OSPFv2 catalogue: malformed packets and LSAs, each with what RFC 2328 says the
//! receiver does (drop it; the adjacency and the routes stay as they were).
//!
//! Three links of the device under test are used: a broadcast one (strangers' Hellos), one
//! with keyed MD5 (strangers' Hellos), and a point-to-point one where an accomplice router
//! is Full with the device, so that Link State Updates sent in its name reach the LSA checks
//! of §13 instead of being dropped for coming from no neighbour.

use ipnet::IpNet;
use ospf_wire::auth::{self, CryptoAlgorithm};
use ospf_wire::v2::{
    packet_checksum, AsExternalLsa, Authentication, Hello, LsaFields, Options, Packet, PacketBody,
};
use ospf_wire::{AreaId, LsSeqNum, RouterId};
use std::fmt;
use std::net::Ipv4Addr;

/// Which link of the device under test a case is sent on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    /// Broadcast, null authentication: Hellos of strangers.
    Broadcast,
    /// Broadcast with keyed MD5: Hellos of strangers.
    Md5,
    /// Point-to-point with the accomplice Full: LSUs in the accomplice's name.
    Accomplice,
}

/// Facts the packets are built from.
#[derive(Clone, Debug)]
pub struct Env {
    /// The area of every link.
    pub area: AreaId,
    /// Network mask of the broadcast links.
    pub mask: Ipv4Addr,
    /// HelloInterval configured on the device.
    pub hello_interval: u16,
    /// RouterDeadInterval configured on the device.
    pub dead_interval: u32,
    /// Key ID of the MD5 link.
    pub md5_key_id: u8,
    /// Key of the MD5 link.
    pub md5_key: Vec<u8>,
    /// The accomplice's router ID.
    pub accomplice: RouterId,
    /// First octets of the strangers' router IDs: the case's index is the last.
    pub stranger_base: [u8; 3],
}

/// What a case expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Taken: the probe appears (a neighbour, a route). The controls, which show that the
    /// path from us to the device works.
    Accepted,
    /// Dropped: the probe never appears; when a kind is given, the device reports the drop
    /// with one of these (ospf-router's `bad-packet`, `auth-failure`, `hello-mismatch`).
    Dropped(&'static [&'static str]),
    /// The bad LSA is dropped and the good one after it in the same LSU is used
    /// (RFC 2328 §13: "discard the LSA and get the next one").
    NextLsaUsed,
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Accepted => f.write_str("accepted"),
            Expect::Dropped([]) => f.write_str("dropped"),
            Expect::Dropped(kinds) => write!(f, "dropped ({})", kinds.join(" or ")),
            Expect::NextLsaUsed => f.write_str("LSA dropped, next LSA used"),
        }
    }
}

/// What to look for at the device after the case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probe {
    /// A neighbour with this router ID.
    Neighbor(Ipv4Addr),
    /// Routes: the case's bad LSA's prefix, and the good one after it, if any.
    Routes {
        /// Must never appear.
        bad: Ipv4Addr,
        /// Must appear (controls and [`Expect::NextLsaUsed`]).
        good: Option<Ipv4Addr>,
    },
    /// Nothing but the drop report (the replay case: the neighbour exists already).
    None,
}

/// One case.
#[derive(Clone, Copy)]
pub struct Case {
    /// Short name, unique.
    pub name: &'static str,
    /// The RFC 2328 section, quoted.
    pub rfc: &'static str,
    /// Where it is sent.
    pub link: Link,
    /// What must happen.
    pub expect: Expect,
    /// The packets, in order (IP payloads).
    pub build: fn(&Env, usize) -> Vec<Vec<u8>>,
}

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Case").field("name", &self.name).finish()
    }
}

/// The stranger router ID of case `i`.
pub fn stranger(e: &Env, i: usize) -> Ipv4Addr {
    let [a, b, c] = e.stranger_base;
    Ipv4Addr::new(a, b, c, u8::try_from(10 + i).unwrap_or(255))
}

/// The prefixes of case `i`'s LSAs: the bad one, then the good one.
pub fn lsa_prefixes(i: usize) -> (Ipv4Addr, Ipv4Addr) {
    let n = u8::try_from(2 * i).unwrap_or(254);
    (Ipv4Addr::new(203, 0, 113, n), Ipv4Addr::new(203, 0, 113, n.saturating_add(1)))
}

/// What to look for after case `i`.
pub fn probe(c: &Case, e: &Env, i: usize) -> Probe {
    let (bad, good) = lsa_prefixes(i);
    match (c.link, c.expect) {
        (_, Expect::Dropped(_)) if c.name == "md5-replayed-sequence" => Probe::None,
        (Link::Accomplice, Expect::Accepted) => Probe::Routes { bad: good, good: Some(bad) },
        (Link::Accomplice, Expect::NextLsaUsed) => Probe::Routes { bad, good: Some(good) },
        (Link::Accomplice, _) => Probe::Routes { bad, good: None },
        _ => Probe::Neighbor(stranger(e, i)),
    }
}

/// Whether a prefix is in the range the cases' LSAs use, 203.0.113.0/24.
pub fn is_test_prefix(p: &IpNet) -> bool {
    "203.0.113.0/24".parse::<IpNet>().is_ok_and(|r| r.contains(p))
}

fn hello(e: &Env) -> Hello {
    Hello {
        network_mask: e.mask,
        hello_interval: e.hello_interval,
        options: Options::E,
        // Priority 0: a stranger never becomes DR, so the link stays as it was.
        router_priority: 0,
        router_dead_interval: e.dead_interval,
        designated_router: Ipv4Addr::UNSPECIFIED,
        backup_designated_router: Ipv4Addr::UNSPECIFIED,
        neighbors: vec![],
    }
}

fn packet(e: &Env, rid: Ipv4Addr, body: PacketBody) -> Vec<u8> {
    Packet {
        router_id: RouterId(u32::from(rid)),
        area_id: e.area,
        authentication: Authentication::NULL,
        body,
    }
    .to_bytes()
    .to_vec()
}

fn stranger_hello(e: &Env, i: usize) -> Vec<u8> {
    let rid = stranger(e, i);
    packet(e, rid, PacketBody::Hello(hello(e)))
}

/// Rewrites the checksum after a change, so that only the intended fault remains.
fn fix_checksum(p: &mut [u8]) {
    let ck = packet_checksum(p);
    if let Some(f) = p.get_mut(12..14) {
        f.copy_from_slice(&ck.to_be_bytes());
    }
}

fn set(p: &mut [u8], at: usize, v: &[u8]) {
    if let Some(f) = p.get_mut(at..at + v.len()) {
        f.copy_from_slice(v);
    }
}

fn md5_hello(e: &Env, i: usize, key: &[u8], seq: u32) -> Vec<u8> {
    let rid = stranger(e, i);
    let mut b = bytes::BytesMut::from(&packet(e, rid, PacketBody::Hello(hello(e)))[..]);
    // The null-authentication checksum is cleared by `sign` (D.4.3).
    match auth::sign(&mut b, e.md5_key_id, key, CryptoAlgorithm::Md5, seq) {
        Ok(()) => b.to_vec(),
        Err(_) => Vec::new(),
    }
}

/// A type-5 LSA for `prefix`/32 in the accomplice's name, encoded by `ospf-wire`.
fn external(e: &Env, prefix: Ipv4Addr) -> Vec<u8> {
    let body = AsExternalLsa {
        network_mask: Ipv4Addr::new(255, 255, 255, 255),
        e_bit: true,
        tos0: 0,
        metric: 20,
        forwarding_address: Ipv4Addr::UNSPECIFIED,
        external_route_tag: 0,
        tos_metrics: vec![],
    };
    let fields = LsaFields {
        ls_age: 1,
        options: Options::E,
        link_state_id: prefix,
        advertising_router: e.accomplice,
        ls_sequence_number: LsSeqNum::INITIAL,
    };
    body.to_lsa(fields, false).raw().to_vec()
}

/// A Link State Update in the accomplice's name with `lsas` (encoded, possibly broken) and
/// a count of `count`.
fn lsu(e: &Env, count: u32, lsas: &[Vec<u8>]) -> Vec<u8> {
    let mut body = count.to_be_bytes().to_vec();
    for l in lsas {
        body.extend_from_slice(l);
    }
    // An empty LSU from ospf-wire gives the header; the body is ours.
    let mut p = Packet {
        router_id: e.accomplice,
        area_id: e.area,
        authentication: Authentication::NULL,
        body: PacketBody::LinkStateUpdate(ospf_wire::v2::LinkStateUpdate { lsas: vec![] }),
    }
    .to_bytes()
    .to_vec();
    p.truncate(24);
    p.extend_from_slice(&body);
    let len = u16::try_from(p.len()).unwrap_or(u16::MAX);
    set(&mut p, 2, &len.to_be_bytes());
    fix_checksum(&mut p);
    p
}

/// The LSA's Fletcher checksum made wrong.
fn bad_checksum(mut l: Vec<u8>) -> Vec<u8> {
    if let Some(b) = l.get_mut(17) {
        *b ^= 0x5a;
    }
    l
}

/// Every case, in order.
pub fn catalogue() -> Vec<Case> {
    use Expect::*;
    use Link::*;
    vec![
        // ----- Packet checks (§8.2) on the broadcast link -----
        Case {
            name: "hello-control",
            rfc: "RFC 2328 §10.5: a well-formed Hello from a new router creates the neighbour (Init): the control that shows the path works.",
            link: Broadcast,
            expect: Accepted,
            build: |e, i| vec![stranger_hello(e, i)],
        },
        Case {
            name: "bad-packet-checksum",
            rfc: "RFC 2328 §8.2: \"The checksum field in the OSPF packet header must be verified. If the checksum is incorrect, the packet should be discarded.\"",
            link: Broadcast,
            expect: Dropped(&["bad-packet"]),
            build: |e, i| {
                let mut p = stranger_hello(e, i);
                set(&mut p, 12, &[0xde, 0xad]);
                vec![p]
            },
        },
        Case {
            name: "bad-version",
            rfc: "RFC 2328 §8.2: \"The version number field must specify protocol version 2.\"",
            link: Broadcast,
            expect: Dropped(&["bad-packet"]),
            build: |e, i| {
                let mut p = stranger_hello(e, i);
                set(&mut p, 0, &[3]);
                fix_checksum(&mut p);
                vec![p]
            },
        },
        Case {
            name: "length-shorter-than-header",
            rfc: "RFC 2328 §8.2 and A.3.1: the packet length includes the 24-octet header; a shorter one is no OSPF packet.",
            link: Broadcast,
            expect: Dropped(&["bad-packet"]),
            build: |e, i| {
                let mut p = stranger_hello(e, i);
                set(&mut p, 2, &20u16.to_be_bytes());
                fix_checksum(&mut p);
                vec![p]
            },
        },
        Case {
            name: "length-beyond-packet",
            rfc: "RFC 2328 A.3.1: the packet length \"in bytes\" of the protocol packet; one longer than what arrived is malformed and discarded (§8.2).",
            link: Broadcast,
            expect: Dropped(&["bad-packet"]),
            build: |e, i| {
                let mut p = stranger_hello(e, i);
                let len = u16::try_from(p.len() + 8).unwrap_or(u16::MAX);
                set(&mut p, 2, &len.to_be_bytes());
                vec![p]
            },
        },
        Case {
            name: "bad-area-id",
            rfc: "RFC 2328 §8.2: \"the Area ID ... must either: Match the Area ID of the receiving interface ... or indicate the backbone\" (on a virtual link); otherwise discarded.",
            link: Broadcast,
            expect: Dropped(&["bad-packet"]),
            build: |e, i| {
                let mut p = stranger_hello(e, i);
                set(&mut p, 8, &[0, 0, 0, 9]);
                fix_checksum(&mut p);
                vec![p]
            },
        },
        Case {
            name: "bad-auth-type",
            rfc: "RFC 2328 §8.2: \"The AuType specified in the packet must match the AuType specified for the associated area.\"",
            link: Broadcast,
            expect: Dropped(&["auth-failure", "bad-packet"]),
            build: |e, i| {
                let mut p = stranger_hello(e, i);
                set(&mut p, 14, &[0, 7]);
                fix_checksum(&mut p);
                vec![p]
            },
        },
        // ----- Hello checks (§10.5) -----
        Case {
            name: "hello-interval-mismatch",
            rfc: "RFC 2328 §10.5: \"The setting of the HelloInterval ... must match the receiving interface's configuration ... If they do not match, the Hello Packet is discarded.\"",
            link: Broadcast,
            expect: Dropped(&["hello-mismatch"]),
            build: |e, i| {
                let rid = stranger(e, i);
                let mut h = hello(e);
                h.hello_interval = e.hello_interval.saturating_add(1);
                vec![packet(e, rid, PacketBody::Hello(h))]
            },
        },
        Case {
            name: "dead-interval-mismatch",
            rfc: "RFC 2328 §10.5: the RouterDeadInterval \"must match the receiving interface's configuration\"; otherwise the Hello is discarded.",
            link: Broadcast,
            expect: Dropped(&["hello-mismatch"]),
            build: |e, i| {
                let rid = stranger(e, i);
                let mut h = hello(e);
                h.router_dead_interval = e.dead_interval.saturating_add(4);
                vec![packet(e, rid, PacketBody::Hello(h))]
            },
        },
        Case {
            name: "network-mask-mismatch",
            rfc: "RFC 2328 §10.5: \"The Network Mask ... must be checked ... except on point-to-point networks and virtual links\"; a mismatch discards the Hello.",
            link: Broadcast,
            expect: Dropped(&["hello-mismatch"]),
            build: |e, i| {
                let rid = stranger(e, i);
                let mut h = hello(e);
                h.network_mask = Ipv4Addr::new(255, 255, 0, 0);
                vec![packet(e, rid, PacketBody::Hello(h))]
            },
        },
        // ----- Cryptographic authentication (D.4.3) on the MD5 link -----
        Case {
            name: "md5-control",
            rfc: "RFC 2328 D.4.3: a Hello with the right key and a fresh sequence number is accepted: the control.",
            link: Md5,
            expect: Accepted,
            build: |e, i| vec![md5_hello(e, i, &e.md5_key, 1000)],
        },
        Case {
            name: "md5-wrong-key",
            rfc: "RFC 2328 D.4.3: \"If the calculated and received digests do not match, the received OSPF packet is dropped.\"",
            link: Md5,
            expect: Dropped(&["auth-failure"]),
            build: |e, i| vec![md5_hello(e, i, b"not-the-key", 1000)],
        },
        Case {
            name: "md5-replayed-sequence",
            rfc: "RFC 2328 D.4.3: \"if the cryptographic sequence number found in the OSPF header is less than the cryptographic sequence number recorded in the sending neighbor's data structure, the packet must be discarded.\"",
            link: Md5,
            expect: Dropped(&["bad-packet"]),
            build: |e, i| {
                vec![md5_hello(e, i, &e.md5_key, 2000), md5_hello(e, i, &e.md5_key, 1999)]
            },
        },
        Case {
            name: "null-auth-on-md5-link",
            rfc: "RFC 2328 §8.2: the AuType (null) does not match the interface's (cryptographic): discarded.",
            link: Md5,
            expect: Dropped(&["auth-failure", "bad-packet"]),
            build: |e, i| vec![stranger_hello(e, i)],
        },
        // ----- Link State Updates (§13) in the accomplice's name -----
        Case {
            name: "lsu-control",
            rfc: "RFC 2328 §13: a well-formed AS-external-LSA from a Full neighbour is installed and routed: the control.",
            link: Accomplice,
            expect: Accepted,
            build: |e, i| vec![lsu(e, 1, &[external(e, lsa_prefixes(i).0)])],
        },
        Case {
            name: "lsa-bad-checksum",
            rfc: "RFC 2328 §13 (1): \"Validate the LSA's LS checksum. If the checksum turns out to be invalid, discard the LSA and get the next one from the Link State Update packet.\"",
            link: Accomplice,
            expect: NextLsaUsed,
            build: |e, i| {
                let (bad, good) = lsa_prefixes(i);
                vec![lsu(e, 2, &[bad_checksum(external(e, bad)), external(e, good)])]
            },
        },
        Case {
            name: "lsa-unknown-type",
            rfc: "RFC 2328 §13 (2): \"Examine the LSA's LS type. If the LS type is unknown, discard the LSA and get the next one from the Link State Update Packet.\"",
            link: Accomplice,
            expect: NextLsaUsed,
            build: |e, i| {
                let (bad, good) = lsa_prefixes(i);
                let mut l = external(e, bad);
                set(&mut l, 3, &[12]);
                // A valid checksum for the changed type, so that only the type is wrong.
                set(&mut l, 16, &[0, 0]);
                let ck = ospf_wire::checksum::fletcher_compute(&l[2..], 14).unwrap_or(0);
                set(&mut l, 16, &ck.to_be_bytes());
                vec![lsu(e, 2, &[l, external(e, good)])]
            },
        },
        Case {
            name: "lsa-age-beyond-maxage",
            rfc: "RFC 2328 §12.1.1: LS age never exceeds MaxAge (3600); §13 (4): a MaxAge LSA with no instance in the database is acknowledged and discarded, not installed.",
            link: Accomplice,
            expect: Dropped(&[]),
            build: |e, i| {
                let mut l = external(e, lsa_prefixes(i).0);
                set(&mut l, 0, &3700u16.to_be_bytes());
                vec![lsu(e, 1, &[l])]
            },
        },
        Case {
            name: "lsa-length-beyond-lsu",
            rfc: "RFC 2328 A.4.1: the LSA length covers header and body; one running past the packet is a malformed LSU, discarded (§8.2).",
            link: Accomplice,
            expect: Dropped(&[]),
            build: |e, i| {
                let mut l = external(e, lsa_prefixes(i).0);
                set(&mut l, 18, &(36u16 + 40).to_be_bytes());
                vec![lsu(e, 1, &[l])]
            },
        },
        Case {
            name: "lsa-length-below-header",
            rfc: "RFC 2328 A.4.1: an LSA length below the 20-octet header is malformed; the LSA is discarded.",
            link: Accomplice,
            expect: Dropped(&[]),
            build: |e, i| {
                let mut l = external(e, lsa_prefixes(i).0);
                set(&mut l, 18, &16u16.to_be_bytes());
                vec![lsu(e, 1, &[l])]
            },
        },
        Case {
            name: "lsa-truncated",
            rfc: "RFC 2328 A.3.5: the LSU holds \"# LSAs\" whole LSAs; an LSA cut short by the end of the packet is malformed and discarded.",
            link: Accomplice,
            expect: Dropped(&[]),
            build: |e, i| {
                let mut l = external(e, lsa_prefixes(i).0);
                l.truncate(30);
                vec![lsu(e, 1, &[l])]
            },
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn env() -> Env {
        Env {
            area: AreaId(0),
            mask: Ipv4Addr::new(255, 255, 255, 0),
            hello_interval: 1,
            dead_interval: 4,
            md5_key_id: 1,
            md5_key: b"key".to_vec(),
            accomplice: RouterId(u32::from(Ipv4Addr::new(10, 2, 0, 2))),
            stranger_base: [10, 3, 0],
        }
    }

    /// The controls decode; each fault the catalogue claims is one `ospf-wire` sees, where
    /// the packet codec is the one to see it.
    #[test]
    fn controls_decode_and_faults_are_faults() {
        let e = env();
        for (i, c) in catalogue().iter().enumerate() {
            let packets = (c.build)(&e, i);
            assert!(!packets.is_empty(), "{}", c.name);
            let last = Bytes::from(packets.last().cloned().unwrap_or_default());
            let decoded = Packet::decode(last);
            match c.name {
                "hello-control"
                | "lsu-control"
                | "hello-interval-mismatch"
                | "dead-interval-mismatch"
                | "network-mask-mismatch"
                | "bad-area-id" => {
                    assert!(decoded.is_ok(), "{}: {decoded:?}", c.name)
                }
                "bad-packet-checksum"
                | "bad-version"
                | "length-shorter-than-header"
                | "length-beyond-packet"
                | "lsa-length-beyond-lsu"
                | "lsa-truncated" => {
                    assert!(decoded.is_err(), "{}", c.name)
                }
                _ => {}
            }
        }
    }
}
