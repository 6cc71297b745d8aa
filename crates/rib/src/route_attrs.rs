//! Owned, typed BGP path attributes and the route as policy sees it.
//!
//! The table keeps attributes interned in a compact form of its own; these owned
//! values are what policy reads and rewrites, what an application builds to announce a
//! prefix, and what a speaker starts from when it writes an UPDATE.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

use bgp_wire::attribute::{
    Aggregator, AsPath, Community, ExtendedCommunity, LargeCommunity, Origin, PathAttribute,
};
use bgp_wire::Asn;
use ipnet::IpNet;

use crate::Protocol;

/// The path attributes of a BGP route, owned and typed.
///
/// NEXT_HOP and MP_REACH_NLRI are not here: the next hop belongs to the route
/// ([`PolicyRoute::next_hop`]), and the NLRI to the table.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PathAttrs {
    /// ORIGIN (RFC 4271 §5.1.1).
    pub origin: Origin,
    /// AS_PATH with 4-octet AS numbers (RFC 6793 merge already applied).
    pub as_path: AsPath,
    /// MULTI_EXIT_DISC (RFC 4271 §5.1.4).
    pub med: Option<u32>,
    /// LOCAL_PREF (RFC 4271 §5.1.5).
    pub local_pref: Option<u32>,
    /// ATOMIC_AGGREGATE (RFC 4271 §5.1.6).
    pub atomic_aggregate: bool,
    /// AGGREGATOR with a 4-octet AS (RFC 4271 §5.1.7, RFC 6793).
    pub aggregator: Option<Aggregator>,
    /// COMMUNITIES (RFC 1997), in received order.
    pub communities: Vec<Community>,
    /// EXTENDED_COMMUNITIES (RFC 4360).
    pub ext_communities: Vec<ExtendedCommunity>,
    /// LARGE_COMMUNITY (RFC 8092).
    pub large_communities: Vec<LargeCommunity>,
    /// ORIGINATOR_ID (RFC 4456).
    pub originator_id: Option<Ipv4Addr>,
    /// CLUSTER_LIST (RFC 4456), most recent cluster first.
    pub cluster_list: Vec<Ipv4Addr>,
    /// Only to Customer (RFC 9234).
    pub otc: Option<Asn>,
    /// Every other attribute, as received (unknown optional transitive ones, ...).
    pub other: Vec<PathAttribute>,
}

impl PathAttrs {
    /// The attributes of a received UPDATE as the table reads them under the session's
    /// receive context `ctx`: RFC 7606 attribute discard applied, and without 4-octet AS
    /// numbers AS_PATH and AGGREGATOR merged with AS4_PATH and AS4_AGGREGATOR
    /// (RFC 6793 §4.2.3). What a speaker keeps of a route before import policy.
    pub fn from_update<B: bgp_wire::attribute::set::Octets>(
        update: &bgp_wire::update::Update<B>,
        ctx: &bgp_wire::Context,
    ) -> PathAttrs {
        let mut tlvs = Vec::new();
        let clean = update.issues().is_empty();
        let s = crate::attrs::from_wire(update.attributes(), ctx, clean, &mut tlvs);
        crate::attrs::to_owned(&s, &tlvs)
    }
}

impl Default for PathAttrs {
    fn default() -> Self {
        PathAttrs {
            origin: Origin::Igp,
            as_path: AsPath::new(),
            med: None,
            local_pref: None,
            atomic_aggregate: false,
            aggregator: None,
            communities: Vec::new(),
            ext_communities: Vec::new(),
            large_communities: Vec::new(),
            originator_id: None,
            cluster_list: Vec::new(),
            otc: None,
            other: Vec::new(),
        }
    }
}

/// What `set ip next-hop` / `set ipv6 next-hop global` asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NextHopAction {
    /// This address.
    Address(IpAddr),
    /// On import the neighbour's address; on export our address on the session.
    PeerAddress,
    /// On export, leave the next hop as it is (no next-hop-self).
    Unchanged,
}

/// An interface name, at most 15 octets as on Linux (`IFNAMSIZ` 16 with the NUL), kept
/// inline so that a route carries it without allocating.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IfName {
    len: u8,
    bytes: [u8; 15],
}

impl IfName {
    /// The name, or `None` when it is empty or longer than 15 octets.
    pub fn new(name: &str) -> Option<IfName> {
        let b = name.as_bytes();
        if b.is_empty() || b.len() > 15 {
            return None;
        }
        let mut bytes = [0u8; 15];
        bytes.get_mut(..b.len())?.copy_from_slice(b);
        Some(IfName { len: b.len() as u8, bytes })
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        let b = self.bytes.get(..usize::from(self.len)).unwrap_or(&[]);
        std::str::from_utf8(b).unwrap_or("")
    }
}

impl fmt::Display for IfName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for IfName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

/// A route as policy matches and changes it: on import from a peer, on export to a peer,
/// and on redistribution from another protocol into BGP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyRoute {
    /// The destination.
    pub prefix: IpNet,
    /// Where the route comes from (`match source-protocol`).
    pub protocol: Protocol,
    /// The neighbour it was learned from (BGP), for `set ip next-hop peer-address` and
    /// `match peer`.
    pub peer: Option<IpAddr>,
    /// Its next hop (`match ip next-hop`).
    pub next_hop: Option<IpAddr>,
    /// The outgoing interface of a redistributed route (`match interface`).
    pub interface: Option<IfName>,
    /// A route tag (`match tag`, `set tag`); OSPF external tags and static route tags.
    pub tag: Option<u32>,
    /// The metric of a redistributed route (`match metric`); MED is in `attrs`.
    pub metric: u32,
    /// BGP weight (local to this router; higher is preferred).
    pub weight: u16,
    /// The BGP path attributes.
    pub attrs: PathAttrs,
    /// A next-hop change asked for by `set ip next-hop`, applied by whoever uses the
    /// result (the table on import, a speaker on export).
    pub next_hop_action: Option<NextHopAction>,
}

impl PolicyRoute {
    /// A route to `prefix` from `protocol`, with empty attributes.
    pub fn new(prefix: IpNet, protocol: Protocol) -> PolicyRoute {
        PolicyRoute {
            prefix,
            protocol,
            peer: None,
            next_hop: None,
            interface: None,
            tag: None,
            metric: 0,
            weight: 0,
            attrs: PathAttrs::default(),
            next_hop_action: None,
        }
    }
}
