//! The table: configuration, neighbours, time, and the public inputs and outputs.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use bgp_wire::Asn;
use hashbrown::HashMap;
use ipnet::IpNet;

use crate::attrs::AttrStore;
use crate::decision::{BestPathConfig, Candidate, PeerKind};
use crate::nexthop::{Groups, NextHopMode, NextHops};
use crate::policy::{Policy, RouteMapId};
use crate::route::{PathType, Protocol, RouteKind};
use crate::route_attrs::IfName;
use crate::slots::Slots;
use crate::table::Table;

mod fib;
mod ingest;
mod other;
mod select;
mod show;
#[cfg(test)]
mod tests;

pub use fib::{FibChange, FibRoute};
pub use ingest::{LongLivedStale, UpdateSummary};
pub use other::Redistribute;
pub use show::{Lost, PathSource, PathView, PrefixView};

/// Administrative distance per source: across protocols, the route with the lowest
/// distance goes to the FIB. Defaults are FRR's.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Distance {
    /// Directly connected networks (0).
    pub connected: u8,
    /// Static routes (1).
    pub static_: u8,
    /// Routes other programs put in the kernel (0, as FRR's `kernel` routes).
    pub kernel: u8,
    /// External BGP (20).
    pub ebgp: u8,
    /// OSPF (110).
    pub ospf: u8,
    /// Internal BGP (200).
    pub ibgp: u8,
}

impl Default for Distance {
    fn default() -> Self {
        Distance { connected: 0, static_: 1, kernel: 0, ebgp: 20, ospf: 110, ibgp: 200 }
    }
}

impl Distance {
    /// The distance of `protocol`'s routes (eBGP's for BGP).
    #[must_use]
    pub fn of(&self, protocol: Protocol) -> u8 {
        match protocol {
            Protocol::Connected => self.connected,
            Protocol::Static => self.static_,
            Protocol::Kernel => self.kernel,
            Protocol::Ospfv2 | Protocol::Ospfv3 => self.ospf,
            Protocol::Bgp => self.ebgp,
        }
    }
}

/// Configuration of a [`Rib`].
#[derive(Clone, Debug)]
pub struct RibConfig {
    /// Our AS (for loop detection and locally originated routes).
    pub local_as: Asn,
    /// Our BGP identifier (locally originated routes; ORIGINATOR_ID loop check).
    pub router_id: Ipv4Addr,
    /// Our route-reflection cluster id, when we reflect (CLUSTER_LIST loop check,
    /// RFC 4456 §8).
    pub cluster_id: Option<Ipv4Addr>,
    /// The decision process options.
    pub bestpath: BestPathConfig,
    /// Administrative distances.
    pub distance: Distance,
    /// Let a default route resolve BGP next hops (FRR `ip nht resolve-via-default`).
    pub resolve_via_default: bool,
    /// Most paths kept per destination; a path beyond it is refused (counted in
    /// [`UpdateSummary::refused`]). Every table a peer can grow has a limit.
    pub max_paths_per_prefix: u16,
    /// Seed of the hash tables (so their layout, and a peer's ability to aim collisions at
    /// them, depend on the configuration).
    pub seed: u64,
    /// Whether forwarding changes are produced ([`Rib::poll_fib`]): `false` for a table
    /// that programs no FIB, which then queues none (a queue nobody drains grows with the
    /// table).
    pub fib: bool,
}

impl RibConfig {
    /// Defaults for `local_as` and `router_id`.
    pub fn new(local_as: Asn, router_id: Ipv4Addr) -> RibConfig {
        RibConfig {
            local_as,
            router_id,
            cluster_id: None,
            bestpath: BestPathConfig::default(),
            distance: Distance::default(),
            resolve_via_default: false,
            max_paths_per_prefix: 1024,
            seed: 0x5eed_5eed_0fb1_b0b0,
            fib: true,
        }
    }
}

/// A BGP neighbour as the table needs to know it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerConfig {
    /// Its address (the session's remote address).
    pub address: IpAddr,
    /// Its AS.
    pub asn: Asn,
    /// Its BGP identifier.
    pub router_id: Ipv4Addr,
    /// External, internal or confederation external.
    pub kind: PeerKind,
    /// The interface of the session, for link-local next hops.
    pub ifindex: Option<u32>,
    /// How its next hops are reached.
    pub next_hop: NextHopMode,
    /// How many times our AS may appear in its AS paths (`allowas-in`, 0 by default).
    pub allowas_in: u8,
    /// Import route map, by name in the table's [`Policy`].
    pub import: Option<String>,
    /// The neighbour is our route-reflection client (RFC 4456).
    pub rr_client: bool,
    /// Our BGP role on the session (RFC 9234), for the OTC rules on ingress.
    pub role: Option<bgp_wire::capability::BgpRole>,
}

impl PeerConfig {
    /// An external neighbour on a shared link (next hops on the link).
    pub fn external(address: IpAddr, asn: Asn, router_id: Ipv4Addr) -> PeerConfig {
        PeerConfig {
            address,
            asn,
            router_id,
            kind: PeerKind::External,
            ifindex: None,
            next_hop: NextHopMode::OnLink,
            allowas_in: 0,
            import: None,
            rr_client: false,
            role: None,
        }
    }

    /// An internal neighbour (next hops resolved through the table).
    pub fn internal(address: IpAddr, asn: Asn, router_id: Ipv4Addr) -> PeerConfig {
        PeerConfig {
            kind: PeerKind::Internal,
            next_hop: NextHopMode::Resolve,
            ..PeerConfig::external(address, asn, router_id)
        }
    }
}

/// Octets held by each structure of a [`Rib`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Memory {
    /// Destinations (16 octets each for IPv4, 32 for IPv6) in their leaves.
    pub destinations: usize,
    /// Lists of the destinations with more than one path.
    pub path_lists: usize,
    /// Interned attribute records (32 octets each).
    pub records: usize,
    /// Their attributes, as TLVs.
    pub attributes: usize,
    /// The index that finds an attribute set again.
    pub attribute_index: usize,
    /// Next hops, sources, routes of other protocols.
    pub other: usize,
}

impl Memory {
    /// The sum.
    pub fn total(&self) -> usize {
        self.destinations
            + self.path_lists
            + self.records
            + self.attributes
            + self.attribute_index
            + self.other
    }
}

/// A neighbour of the table; [`PeerId::LOCAL`] stands for ourselves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeerId(pub u32);

impl PeerId {
    /// Routes we originate: announced by the application or redistributed.
    pub const LOCAL: PeerId = PeerId(0);
}

/// An interned attribute set, valid while a path uses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AttrId(pub(crate) u32);

/// The best path of a prefix, as [`Rib::poll_best`] reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Selected {
    /// Who sent it.
    pub peer: PeerId,
    /// Its ADD-PATH path identifier (0 without).
    pub path_id: u32,
    /// Its attributes ([`Rib::attributes`]).
    pub attrs: AttrId,
    /// Size of the multipath set, the best included.
    pub multipath: u16,
}

/// A prefix whose best path changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BestChange {
    /// The prefix.
    pub prefix: IpNet,
    /// The best path now, or `None` when no eligible path is left.
    pub best: Option<Selected>,
    /// The best path before the first of the changes this report covers, as its neighbour
    /// and path identifier; `None` when there was none. It may be the same path as `best`
    /// (its attributes or the multipath set changed), or one no longer in the table.
    pub previous: Option<(PeerId, u32)>,
}

pub(crate) struct PeerState {
    pub cfg: PeerConfig,
    pub import: Option<RouteMapId>,
}

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Source {
    pub peer: u32,
    pub path_id: u32,
    pub refs: u32,
}

/// A route of another protocol held by a destination.
#[derive(Clone, Debug, Default)]
pub(crate) struct OtherRoute {
    pub protocol: Option<Protocol>,
    pub path_type: Option<PathType>,
    pub metric: u32,
    pub type2_cost: Option<u32>,
    pub tag: Option<u32>,
    pub kind: RouteKind,
    pub distance: u8,
    /// Forwarding group (holding a reference).
    pub group: u32,
}

/// Everything but the per-family tables.
pub(crate) struct Shared {
    pub cfg: RibConfig,
    pub attrs: AttrStore,
    pub nexthops: NextHops,
    pub groups: Groups,
    pub others: Slots<OtherRoute>,
    pub peers: Vec<Option<PeerState>>,
    pub sources: Slots<Source>,
    /// Paths of each neighbour (IPv4, IPv6), by peer id.
    pub counts: Vec<[u32; 2]>,
    pub source_index: HashMap<(u32, u32), u32, foldhash::fast::FixedState>,
    /// The source last looked up (checked before hashing).
    pub last_source: u32,
    pub policy: Policy,
    pub redistribute: Vec<Redistribute>,
    pub ifnames: HashMap<u32, IfName, foldhash::fast::FixedState>,
    pub origin: Option<Instant>,
    pub scratch: Vec<u8>,
    pub scratch_since: Vec<u32>,
    pub cands: Vec<Candidate>,
}

/// The routing information base. See the crate documentation.
pub struct Rib {
    pub(crate) v4: Table<u32>,
    pub(crate) v6: Table<u128>,
    pub(crate) sh: Shared,
}

/// An interned attribute set as stored: the attributes the decision process reads, and the
/// others as encoded (flags, type, length, value; 4-octet AS numbers; in the order
/// received). NEXT_HOP and MP_REACH_NLRI are not among them.
#[derive(Clone, Copy, Debug)]
pub struct StoredAttributes<'a> {
    /// ORIGIN's value.
    pub origin: u8,
    /// MULTI_EXIT_DISC.
    pub med: Option<u32>,
    /// LOCAL_PREF.
    pub local_pref: Option<u32>,
    /// ATOMIC_AGGREGATE is present.
    pub atomic_aggregate: bool,
    /// The other attributes.
    pub tlvs: &'a [u8],
}

impl Rib {
    /// An empty table.
    pub fn new(cfg: RibConfig) -> Rib {
        let local = PeerConfig {
            address: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            asn: cfg.local_as,
            router_id: cfg.router_id,
            kind: PeerKind::Local,
            ifindex: None,
            next_hop: NextHopMode::OnLink,
            allowas_in: u8::MAX,
            import: None,
            rr_client: false,
            role: None,
        };
        let seed = cfg.seed;
        let (mut v4, mut v6) = (Table::default(), Table::default());
        v4.no_fib = !cfg.fib;
        v6.no_fib = !cfg.fib;
        Rib {
            v4,
            v6,
            sh: Shared {
                attrs: AttrStore::new(seed),
                nexthops: NextHops::default(),
                groups: Groups::default(),
                others: Slots::default(),
                peers: vec![Some(PeerState { cfg: local, import: None })],
                sources: Slots::default(),
                counts: vec![[0; 2]],
                source_index: HashMap::default(),
                last_source: u32::MAX,
                policy: Policy::new(),
                redistribute: Vec::new(),
                ifnames: HashMap::default(),
                origin: None,
                scratch: Vec::new(),
                scratch_since: Vec::new(),
                cands: Vec::new(),
                cfg,
            },
        }
    }

    /// The configuration.
    pub fn config(&self) -> &RibConfig {
        &self.sh.cfg
    }

    /// Registers a neighbour; its routes go in with [`Rib::handle_update`].
    pub fn add_peer(&mut self, cfg: PeerConfig) -> PeerId {
        let import = cfg.import.as_deref().and_then(|n| self.sh.policy.route_map_id(n));
        let state = Some(PeerState { cfg, import });
        match self.sh.peers.iter().skip(1).position(Option::is_none) {
            Some(i) => {
                self.sh.peers[i + 1] = state;
                self.sh.counts[i + 1] = [0; 2];
                PeerId(i as u32 + 1)
            }
            None => {
                self.sh.peers.push(state);
                self.sh.counts.push([0; 2]);
                PeerId(self.sh.peers.len() as u32 - 1)
            }
        }
    }

    /// Changes what the table knows of a neighbour (its address, AS, identifier, policy...
    /// as its session came up): paths already in the table keep what was decided with the
    /// old values until they are received again.
    pub fn set_peer(&mut self, peer: PeerId, cfg: PeerConfig) {
        let import = cfg.import.as_deref().and_then(|n| self.sh.policy.route_map_id(n));
        if let Some(Some(p)) = self.sh.peers.get_mut(peer.0 as usize) {
            *p = PeerState { cfg, import };
        }
    }

    /// How many paths a neighbour has in the table: (IPv4, IPv6). What `maximum-prefix`
    /// counts (after import policy, as FRR counts).
    pub fn path_count(&self, peer: PeerId) -> (u32, u32) {
        self.sh.counts.get(peer.0 as usize).map_or((0, 0), |c| (c[0], c[1]))
    }

    /// Withdraws everything a neighbour sent and forgets it.
    pub fn remove_peer(&mut self, now: Instant, peer: PeerId) {
        if peer == PeerId::LOCAL {
            return;
        }
        self.withdraw_peer(now, peer);
        if let Some(p) = self.sh.peers.get_mut(peer.0 as usize) {
            *p = None;
        }
    }

    /// A neighbour's configuration.
    pub fn peer(&self, peer: PeerId) -> Option<&PeerConfig> {
        self.sh.peers.get(peer.0 as usize)?.as_ref().map(|p| &p.cfg)
    }

    /// Replaces the policy (prefix lists, route maps, ...). Import maps are looked up again
    /// by name; routes already in the table keep what the old policy made of them until
    /// they are received again (a speaker re-applies policy from its Adj-RIB-In or with a
    /// route refresh).
    pub fn set_policy(&mut self, policy: Policy) {
        for p in self.sh.peers.iter_mut().flatten() {
            p.import = p.cfg.import.as_deref().and_then(|n| policy.route_map_id(n));
        }
        self.sh.policy = policy;
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.sh.policy
    }

    /// Names an interface, for `match interface` on redistributed routes.
    pub fn set_interface_name(&mut self, ifindex: u32, name: IfName) {
        self.sh.ifnames.insert(ifindex, name);
    }

    /// Number of prefixes (IPv4, IPv6) with at least one path (a walk of the table).
    pub fn len(&self) -> (usize, usize) {
        (self.v4.live(), self.v6.live())
    }

    /// True when no prefix has a path.
    pub fn is_empty(&self) -> bool {
        self.len() == (0, 0)
    }

    /// Octets the table holds on the heap, by structure (`show memory`): an estimate from
    /// capacities, without the allocator's own overhead.
    pub fn memory(&self) -> Memory {
        let (v4, v4_lists) = self.v4.heap_bytes();
        let (v6, v6_lists) = self.v6.heap_bytes();
        let (records, attributes, attribute_index) = self.sh.attrs.heap_bytes();
        Memory {
            destinations: v4 + v6,
            path_lists: v4_lists + v6_lists,
            records,
            attributes,
            attribute_index,
            other: self.sh.nexthops.entries.heap_bytes()
                + self.sh.sources.heap_bytes()
                + self.sh.others.heap_bytes(),
        }
    }

    /// Number of distinct attribute sets stored.
    pub fn attribute_sets(&self) -> usize {
        self.sh.attrs.len()
    }

    /// The owned attributes of an interned set.
    pub fn attributes(&self, id: AttrId) -> Option<crate::PathAttrs> {
        let r = self.sh.attrs.get(id.0)?;
        Some(crate::attrs::to_owned(&r.summary, self.sh.attrs.tlvs(r)))
    }

    /// An interned set as the table keeps it, read in place ([`Rib::attributes`] gives the
    /// owned, typed form).
    pub fn stored_attributes(&self, id: AttrId) -> Option<StoredAttributes<'_>> {
        let r = self.sh.attrs.get(id.0)?;
        let s = &r.summary;
        Some(StoredAttributes {
            origin: s.origin,
            med: s.med(),
            local_pref: s.local_pref(),
            atomic_aggregate: s.flags & crate::attrs::ATOMIC_AGGREGATE != 0,
            tlvs: self.sh.attrs.tlvs(r),
        })
    }

    /// The next hop an interned set carries, as received.
    pub fn attributes_next_hop(&self, id: AttrId) -> Option<IpAddr> {
        let r = self.sh.attrs.get(id.0)?;
        let k = self.sh.nexthops.get(r.nexthop)?.key?;
        (!k.is_local()).then_some(k.global)
    }

    /// Time on the table's clock: whole seconds since the first input.
    pub(crate) fn secs(&mut self, now: Instant) -> u32 {
        let origin = *self.sh.origin.get_or_insert(now);
        now.saturating_duration_since(origin).as_secs().min(u64::from(u32::MAX)) as u32
    }

    pub(crate) fn age(&self, now: Instant, since: u32) -> Duration {
        let at = self.sh.origin.map(|o| o + Duration::from_secs(u64::from(since)));
        at.map_or(Duration::ZERO, |at| now.saturating_duration_since(at))
    }
}

/// Runs `$body` with `$t` bound to the family table of `$net` and `$a`, `$l` to its packed
/// address and length.
macro_rules! with_family {
    ($self:expr, $net:expr, |$t:ident, $a:ident, $l:ident| $body:expr) => {
        match $net {
            ipnet::IpNet::V4(n) => {
                let ($a, $l) = crate::key::v4(&n);
                let $t = &mut $self.v4;
                $body
            }
            ipnet::IpNet::V6(n) => {
                let ($a, $l) = crate::key::v6(&n);
                let $t = &mut $self.v6;
                $body
            }
        }
    };
}
pub(crate) use with_family;
