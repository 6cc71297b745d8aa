//! The `show` model: what an operator looks at, as plain data (serialisable with the
//! `serde` feature) that a program prints as text or JSON.

use std::net::Ipv4Addr;
use std::time::Instant;

use bgp_fsm::Neighbor as Where;
use ipnet::IpNet;
use rib::{PathSource, PrefixView};

use crate::{ListenSource, NeighborId, Speaker};

mod text;
pub use text::table;

/// `show bgp summary`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Summary {
    /// Our BGP identifier.
    pub router_id: Ipv4Addr,
    /// Our AS.
    pub local_as: u32,
    /// Prefixes with a path: IPv4, IPv6.
    pub prefixes: (usize, usize),
    /// Distinct attribute sets stored.
    pub attribute_sets: usize,
    /// Octets the table holds.
    pub table_bytes: usize,
    /// Update groups.
    pub update_groups: usize,
    /// Every neighbour, configured and dynamic.
    pub neighbors: Vec<NeighborSummary>,
    /// Where dynamic neighbours come from (`show bgp listen range`).
    pub listen_ranges: Vec<ListenSummary>,
}

/// One listen range of [`Summary`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ListenSummary {
    /// The prefix, or `interface NAME`.
    pub source: String,
    /// Most neighbours at once.
    pub limit: u32,
    /// Dynamic neighbours now.
    pub neighbors: usize,
    /// Dynamic neighbours made so far.
    pub accepted: u64,
    /// Connections refused because the range was full.
    pub refused: u64,
}

/// One line of `show bgp summary`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct NeighborSummary {
    /// Its id.
    pub id: NeighborId,
    /// Its address, or its interface for an unnumbered one.
    pub neighbor: String,
    /// Its AS, once known.
    pub remote_as: Option<u32>,
    /// RFC 4271 state.
    pub state: String,
    /// Seconds since it came up, while up.
    pub up_secs: Option<u64>,
    /// Paths received and kept (after import policy): IPv4, IPv6.
    pub received: (u32, u32),
    /// Prefixes advertised to it.
    pub advertised: usize,
    /// UPDATE messages received.
    pub updates_received: u64,
    /// Its update group.
    pub group: Option<usize>,
    /// Stale paths kept while it restarts.
    pub stale: bool,
    /// Some of them are long-lived stale (RFC 9494).
    pub long_lived_stale: bool,
    /// Made from a listen range, not configured.
    pub dynamic: bool,
}

/// `show bgp PREFIX`: every path, best first, and why each other one lost.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RouteDetail {
    /// The prefix.
    pub prefix: String,
    /// Its paths.
    pub paths: Vec<PathDetail>,
    /// What goes to the forwarding table: protocol and next hops.
    pub fib: Option<String>,
}

/// One path of [`RouteDetail`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PathDetail {
    /// Where it comes from: a neighbour's address, `local`, or another protocol.
    pub from: String,
    /// The neighbour, for BGP paths.
    pub neighbor: Option<NeighborId>,
    /// A BGP path (ours or a neighbour's), not another protocol's route.
    pub bgp: bool,
    /// Best BGP path.
    pub best: bool,
    /// In the multipath set.
    pub multipath: bool,
    /// The step it lost on, in FRR's words.
    pub lost_on: Option<String>,
    /// The path (index in `paths`) it lost to.
    pub lost_to: Option<usize>,
    /// AS path as FRR writes it.
    pub as_path: String,
    /// Next hop as received.
    pub next_hop: Option<String>,
    /// Whether it resolves, and its interior cost.
    pub reachable: bool,
    /// Interior cost to the next hop.
    pub igp_cost: u32,
    /// ORIGIN.
    pub origin: String,
    /// LOCAL_PREF.
    pub local_pref: Option<u32>,
    /// MULTI_EXIT_DISC.
    pub med: Option<u32>,
    /// Weight.
    pub weight: u16,
    /// Communities, large communities.
    pub communities: Vec<String>,
    /// Kept as stale (graceful restart).
    pub stale: bool,
    /// Long-lived stale (RFC 9494): least preferred.
    pub llgr_stale: bool,
    /// Seconds since it arrived.
    pub age_secs: u64,
}

/// One route advertised to a neighbour (`show bgp neighbor X advertised-routes`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Advertised {
    /// The prefix.
    pub prefix: String,
    /// Our path identifier, when the family is sent with ADD-PATH (RFC 7911).
    pub path_id: Option<u32>,
    /// The AS path sent.
    pub as_path: String,
    /// The next hop sent.
    pub next_hop: String,
}

/// One route a neighbour sent, as it was before import policy (`show bgp neighbor X
/// received-routes`, with soft reconfiguration inbound).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ReceivedRoute {
    /// The prefix.
    pub prefix: String,
    /// The neighbour's path identifier, when it sends with ADD-PATH (RFC 7911).
    pub path_id: Option<u32>,
    /// The next hop received.
    pub next_hop: String,
    /// AS path as FRR writes it.
    pub as_path: String,
    /// ORIGIN.
    pub origin: String,
    /// LOCAL_PREF.
    pub local_pref: Option<u32>,
    /// MULTI_EXIT_DISC.
    pub med: Option<u32>,
    /// Communities, large communities.
    pub communities: Vec<String>,
}

impl Speaker {
    /// `show bgp summary`.
    pub fn summary(&self, now: Instant) -> Summary {
        let neighbors = self
            .neighbor_ids()
            .filter_map(|id| {
                let n = self.neighbor(id)?;
                let neighbor = match &n.cfg.session.neighbor {
                    Where::Address { addr, .. } => addr.to_string(),
                    Where::Interface { name, .. } => name.clone(),
                };
                let advertised = n
                    .group
                    .and_then(|g| self.groups.get(g)?.as_ref())
                    .map_or(0, |g| g.advertised());
                Some(NeighborSummary {
                    id,
                    neighbor,
                    remote_as: n.negotiated.as_ref().map(|x| x.peer_as.0),
                    state: format!("{:?}", n.session.state()),
                    up_secs: n.up_since.map(|t| now.saturating_duration_since(t).as_secs()),
                    received: self.rib.path_count(n.rib_peer),
                    advertised,
                    updates_received: n.counters.updates_received,
                    group: n.group,
                    stale: !n.stale.is_empty(),
                    long_lived_stale: n
                        .stale
                        .iter()
                        .any(|s| s.phase == crate::restart::Phase::LongLived),
                    dynamic: n.dynamic.is_some(),
                })
            })
            .collect();
        let listen_ranges = self
            .config()
            .listen_ranges
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let c = self.listen.get(i).copied().unwrap_or_default();
                ListenSummary {
                    source: match &r.source {
                        ListenSource::Prefix(p) => p.to_string(),
                        ListenSource::Interface { name, .. } => format!("interface {name}"),
                    },
                    limit: r.limit,
                    neighbors: self.dynamic_neighbors(i),
                    accepted: c.accepted,
                    refused: c.refused,
                }
            })
            .collect();
        Summary {
            router_id: self.config().router_id,
            local_as: self.config().local_as.0,
            prefixes: self.rib.len(),
            attribute_sets: self.rib.attribute_sets(),
            table_bytes: self.rib.memory().total(),
            update_groups: self.groups.iter().flatten().count(),
            neighbors,
            listen_ranges,
        }
    }

    /// `show bgp PREFIX`.
    pub fn route_detail(&mut self, now: Instant, prefix: IpNet) -> Option<RouteDetail> {
        let v = self.route(now, prefix)?;
        Some(self.detail(&v))
    }

    /// `show ip route`: the forwarding table the routing table chose (every protocol).
    pub fn fib(&mut self) -> Vec<rib::FibRoute> {
        self.rib.fib()
    }

    /// `show bgp ipv4|ipv6 unicast`: every prefix with a best path, in prefix order.
    pub fn routes(&mut self, now: Instant, ipv6: bool) -> Vec<RouteDetail> {
        let mut prefixes = Vec::new();
        self.rib.for_each_best(|p, _| {
            if matches!(p, IpNet::V6(_)) == ipv6 {
                prefixes.push(p);
            }
        });
        prefixes.sort_unstable();
        prefixes.into_iter().filter_map(|p| self.route_detail(now, p)).collect()
    }

    fn detail(&self, v: &PrefixView) -> RouteDetail {
        let paths = v
            .paths
            .iter()
            .map(|p| {
                let (from, neighbor) = match &p.source {
                    PathSource::Bgp { peer, .. } if *peer == rib::PeerId::LOCAL => {
                        ("local".to_owned(), None)
                    }
                    PathSource::Bgp { peer, address, .. } => {
                        (address.to_string(), self.neighbor_of(*peer))
                    }
                    PathSource::Route(r) => (r.protocol.to_string(), None),
                };
                let a = p.attrs.clone().unwrap_or_default();
                let mut communities: Vec<String> =
                    a.communities.iter().map(|c| c.to_string()).collect();
                communities.extend(a.large_communities.iter().map(|c| c.to_string()));
                PathDetail {
                    bgp: matches!(p.source, PathSource::Bgp { .. }),
                    from,
                    neighbor,
                    best: p.best,
                    multipath: p.multipath,
                    lost_on: p.lost.map(|l| l.rule.describe().to_owned()),
                    lost_to: p.lost.and_then(|l| l.to),
                    as_path: a.as_path.to_string(),
                    next_hop: p.next_hop.map(|h| h.to_string()),
                    reachable: p.reachable,
                    igp_cost: p.igp_cost,
                    origin: format!("{:?}", a.origin).to_lowercase(),
                    local_pref: a.local_pref,
                    med: a.med,
                    weight: p.weight,
                    communities,
                    stale: p.stale,
                    llgr_stale: p.llgr_stale,
                    age_secs: p.age.as_secs(),
                }
            })
            .collect();
        let fib = v.fib.as_ref().map(|f| {
            let hops: Vec<String> = f.next_hops.iter().map(|h| h.to_string()).collect();
            format!("{} {} via {}", f.protocol, f.kind, hops.join(", "))
        });
        RouteDetail { prefix: v.prefix.to_string(), paths, fib }
    }

    /// `show bgp neighbor X advertised-routes`: what its update group advertises.
    pub fn advertised(&self, id: NeighborId) -> Vec<Advertised> {
        let Some(g) = self.neighbor(id).and_then(|n| self.groups.get(n.group?)?.as_ref()) else {
            return Vec::new();
        };
        g.entries(&self.outs)
            .map(|((prefix, id), out)| {
                let as_path = out
                    .attrs
                    .attributes(&g.key.tx)
                    .iter()
                    .find_map(|a| match &a.value {
                        bgp_wire::attribute::Attribute::AsPath(p) => Some(p.to_string()),
                        _ => None,
                    })
                    .unwrap_or_default();
                let next_hop = next_hop_text(out.next_hop);
                let path_id = g.key.add_path(crate::group::family_of(&prefix)).map(|_| id);
                Advertised { prefix: prefix.to_string(), path_id, as_path, next_hop }
            })
            .collect()
    }

    /// `show bgp neighbor X received-routes`: what the neighbour sent, before import
    /// policy, in prefix order; `None` without soft reconfiguration inbound.
    pub fn received_routes(&self, id: NeighborId) -> Option<Vec<ReceivedRoute>> {
        let n = self.neighbor(id)?;
        let adj = n.adj_in.as_ref()?;
        let add_path = n.negotiated.as_ref().map(|x| &x.add_path_receive);
        let routes = adj
            .iter()
            .map(|((prefix, id), set)| {
                let a = &set.attrs;
                let mut communities: Vec<String> =
                    a.communities.iter().map(|c| c.to_string()).collect();
                communities.extend(a.large_communities.iter().map(|c| c.to_string()));
                let family = crate::group::family_of(&prefix);
                ReceivedRoute {
                    prefix: prefix.to_string(),
                    path_id: add_path.is_some_and(|s| s.contains(family)).then_some(id),
                    next_hop: next_hop_text(&set.next_hop),
                    as_path: a.as_path.to_string(),
                    origin: format!("{:?}", a.origin).to_lowercase(),
                    local_pref: a.local_pref,
                    med: a.med,
                    communities,
                }
            })
            .collect();
        Some(routes)
    }

    fn neighbor_of(&self, peer: rib::PeerId) -> Option<NeighborId> {
        self.neighbor_ids().find(|id| self.neighbor(*id).is_some_and(|n| n.rib_peer == peer))
    }
}

fn next_hop_text(h: &bgp_wire::attribute::NextHop) -> String {
    match h {
        bgp_wire::attribute::NextHop::Ipv4(a) => a.to_string(),
        bgp_wire::attribute::NextHop::Ipv6(a) => a.to_string(),
        bgp_wire::attribute::NextHop::Ipv6LinkLocal { global, link_local } => {
            format!("{global} {link_local}")
        }
        bgp_wire::attribute::NextHop::Other(_) => "other".to_owned(),
    }
}
