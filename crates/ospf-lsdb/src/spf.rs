//! The shortest-path tree of one area (RFC 2328 §16.1, RFC 5340 §4.8.1)
//! with equal-cost multipath next hops (§16.1.1), and the intra-area routes
//! to networks, for both versions.
//!
//! Each version builds a graph from its LSAs; the first stage runs
//! Dijkstra over its router and transit-network vertices, the second stage
//! adds the prefixes of routers (OSPFv2 stub links, OSPFv3
//! intra-area-prefix-LSAs). Stub links are kept in an index by
//! prefix so that a change confined to the stub links of a router-LSA is
//! applied without rerunning Dijkstra ([`AreaSpf::update_stubs`]).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Instant;

use rib::NextHop;

use crate::hash::FxHashMap;
use crate::lsa::{mask_to_len, LsType, LsaBody, RouterLink, RouterLinkType};
use crate::lsdb::Lsdb;
use crate::types::RouterId;

/// An IPv4 prefix with its host bits cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Prefix {
    /// Network address.
    pub addr: u32,
    /// Prefix length.
    pub len: u8,
}

impl Prefix {
    /// The prefix of `addr` under a contiguous `mask`; `None` otherwise.
    #[must_use]
    pub fn from_mask(addr: u32, mask: u32) -> Option<Self> {
        let len = mask_to_len(mask)?;
        Some(Self { addr: addr & mask, len })
    }

    /// The mask.
    #[must_use]
    pub fn mask(self) -> u32 {
        crate::lsa::len_to_mask(self.len)
    }

    /// Whether `a` falls inside the prefix.
    #[must_use]
    pub fn contains(self, a: u32) -> bool {
        a & self.mask() == self.addr
    }

    /// As an `ipnet::IpNet`.
    #[must_use]
    pub fn to_ipnet(self) -> ipnet::IpNet {
        ipnet::IpNet::V4(
            ipnet::Ipv4Net::new(Ipv4Addr::from(self.addr), self.len.min(32))
                .unwrap_or_else(|_| ipnet::Ipv4Net::default()),
        )
    }
}

impl std::fmt::Display for Prefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", Ipv4Addr::from(self.addr), self.len)
    }
}

/// One of the calculating router's own interfaces in the area: how SPF
/// turns the root's links into outgoing interfaces (§16.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RootInterface {
    /// Interface index.
    pub ifindex: u32,
    /// Interface address (the Link Data of the root's links).
    pub addr: u32,
    /// Interface mask.
    pub mask: u32,
}

/// A shared, sorted set of equal-cost next hops (cheap to clone: most
/// destinations share the next hops of the router they hang off).
pub type NextHops = Arc<[NextHop]>;

/// A router reached by the SPF calculation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouterEntry {
    /// Cost from the root.
    pub dist: u32,
    /// Equal-cost next hops (empty for the root itself).
    pub next_hops: NextHops,
    /// The router-LSA's V, E, B bits.
    pub flags: u8,
}

/// An intra-area route to a network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntraRoute {
    /// Cost from the root.
    pub cost: u32,
    /// Equal-cost next hops.
    pub next_hops: NextHops,
}

/// The result of SPF in one area; `P` is the destination type (an IPv4
/// [`Prefix`] for OSPFv2, an `Ipv6Net` for OSPFv3).
#[derive(Debug, Clone)]
pub struct AreaSpf<P = Prefix> {
    root: RouterId,
    /// The root's own prefixes, reached directly on an interface.
    own: Vec<(P, u32)>,
    /// Routers reached, the root included.
    pub routers: FxHashMap<RouterId, RouterEntry>,
    transit: FxHashMap<P, IntraRoute>,
    /// Prefixes attached to routers (OSPFv2 stub links, OSPFv3 prefixes of
    /// intra-area-prefix-LSAs referencing a router-LSA), sorted.
    stubs: Vec<(P, RouterId, u32)>,
    /// Intra-area routes to networks (transit and stub).
    pub intra: FxHashMap<P, IntraRoute>,
}

impl<P> Default for AreaSpf<P> {
    fn default() -> Self {
        Self {
            root: RouterId::default(),
            own: Vec::new(),
            routers: FxHashMap::default(),
            transit: FxHashMap::default(),
            stubs: Vec::new(),
            intra: FxHashMap::default(),
        }
    }
}

/// A router-LSA link as Dijkstra reads it, for both versions: compact, so
/// that the back-link scans stay in cache.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Link {
    pub link_type: RouterLinkType,
    /// The neighbour's Router ID (point-to-point) or the index of the
    /// network in [`Graph::networks`] (transit; [`NO_NETWORK`] when it has
    /// no network-LSA); OSPFv2 stub links keep their network here.
    pub link_id: u32,
    /// OSPFv2: the originator's interface address (or a stub's mask);
    /// OSPFv3: the originator's Interface ID.
    pub link_data: u32,
    /// OSPFv3: the neighbour's Interface ID; 0 in OSPFv2.
    pub nbr_data: u32,
    pub metric: u16,
}

impl From<&RouterLink> for Link {
    fn from(l: &RouterLink) -> Self {
        Self {
            link_type: l.link_type,
            link_id: u32::from(l.link_id),
            link_data: u32::from(l.link_data),
            nbr_data: 0,
            metric: l.metric,
        }
    }
}

/// One area's graph as each version builds it from its LSAs (§16.1; RFC
/// 5340 §4.8.1), and the prefixes hanging off its vertices (stage 2).
pub(crate) struct Graph<'a, P> {
    /// Router vertices: Router ID, flags, range of their links in `flat`.
    pub routers: Vec<(u32, u8, usize, usize)>,
    pub flat: Vec<Link>,
    /// Transit network vertices: their attached routers.
    pub networks: Vec<&'a [RouterId]>,
    /// Prefixes of networks: the network's index in `networks`, metric.
    pub net_prefixes: Vec<(P, usize, u32)>,
    /// Prefixes of routers.
    pub stubs: Vec<(P, RouterId, u32)>,
    /// Point-to-point back links are matched by the neighbour's Interface
    /// ID (OSPFv3) rather than by the interface's subnet (OSPFv2).
    pub by_interface_id: bool,
}

struct RouterView<'a> {
    flags: u8,
    links: &'a [Link],
}

/// Merges `add` into the sorted next-hop set `into`.
pub(crate) fn merge_next_hops(into: &mut NextHops, add: &[NextHop]) {
    if add.iter().all(|nh| into.binary_search(nh).is_ok()) {
        return;
    }
    let mut v: Vec<NextHop> = into.to_vec();
    for nh in add {
        if let Err(pos) = v.binary_search(nh) {
            v.insert(pos, *nh);
        }
    }
    *into = v.into();
}

fn v4(a: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(a))
}

/// The `link_id` of a transit link whose network is not in the graph.
pub(crate) const NO_NETWORK: u32 = u32::MAX;

/// Dense vertex numbering: routers first, then networks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum V {
    Router(usize),
    Network(usize),
}

impl AreaSpf<Prefix> {
    /// Runs the full calculation of §16.1 for `root` over the router- and
    /// network-LSAs of `lsdb` (MaxAge LSAs at `now` are ignored).
    #[must_use]
    pub fn compute(
        lsdb: &Lsdb,
        root: RouterId,
        interfaces: &[RootInterface],
        now: Instant,
    ) -> Self {
        let mut rix: FxHashMap<u32, usize> = FxHashMap::default();
        let mut nix: FxHashMap<u32, usize> = FxHashMap::default();
        let mut g = Graph {
            routers: Vec::new(),
            flat: Vec::with_capacity(lsdb.len() * 8),
            networks: Vec::new(),
            net_prefixes: Vec::new(),
            stubs: Vec::new(),
            by_interface_id: false,
        };
        rix.reserve(lsdb.len());
        for (key, e) in lsdb.iter_types(LsType::ROUTER, LsType::NETWORK) {
            if e.is_max_age(now) {
                continue;
            }
            match e.lsa.body() {
                LsaBody::Router(r) if key.ls_type == LsType::ROUTER => {
                    // §16.1: "the Link State ID of a router-LSA is the
                    // router's OSPF Router ID".
                    let adv = key.advertising_router.0;
                    if let std::collections::hash_map::Entry::Vacant(v) = rix.entry(adv) {
                        v.insert(g.routers.len());
                        let start = g.flat.len();
                        g.flat.extend(r.links.iter().map(Link::from));
                        g.routers.push((adv, r.flags.0, start, g.flat.len()));
                    }
                }
                LsaBody::Network(n) if key.ls_type == LsType::NETWORK => {
                    let lsid = u32::from(key.link_state_id);
                    if let std::collections::hash_map::Entry::Vacant(v) = nix.entry(lsid) {
                        let j = g.networks.len();
                        v.insert(j);
                        g.networks.push(&n.attached_routers);
                        if let Some(p) = Prefix::from_mask(lsid, u32::from(n.network_mask)) {
                            g.net_prefixes.push((p, j, 0));
                        }
                    }
                }
                _ => {}
            }
        }
        // Transit links name their network by index (the DR's address is
        // looked up once here, not at every relaxation).
        for l in &mut g.flat {
            if l.link_type == RouterLinkType::TRANSIT {
                l.link_id = nix.get(&l.link_id).map_or(NO_NETWORK, |j| *j as u32);
            }
        }
        // §16.1 stage 2: stub networks.
        for &(rid, _, a, b) in &g.routers {
            for l in g.flat.get(a..b).unwrap_or_default() {
                if l.link_type != RouterLinkType::STUB {
                    continue;
                }
                if let Some(p) = Prefix::from_mask(l.link_id, l.link_data) {
                    g.stubs.push((p, RouterId(rid), u32::from(l.metric)));
                }
            }
        }
        let own: Vec<(Prefix, u32)> = interfaces
            .iter()
            .filter_map(|i| Prefix::from_mask(i.addr, i.mask).map(|p| (p, i.ifindex)))
            .collect();
        Self::from_graph(g, root, interfaces, own, &|_, _, data| Some(v4(data)))
    }
}

impl<P: Copy + Ord + std::hash::Hash> AreaSpf<P> {
    /// Dijkstra over `g` from `root` (§16.1) with the next hops of §16.1.1,
    /// then the routes to the prefixes of stage 2. `resolve(ifindex,
    /// router, data)` gives the address of `router` on the root's
    /// interface `ifindex` from the `link_data` of its link there (OSPFv2:
    /// that address; OSPFv3: its Interface ID, whose link-LSA holds the
    /// link-local address, RFC 5340 §4.8.1).
    pub(crate) fn from_graph(
        g: Graph<'_, P>,
        root: RouterId,
        interfaces: &[RootInterface],
        own: Vec<(P, u32)>,
        resolve: &dyn Fn(u32, RouterId, u32) -> Option<IpAddr>,
    ) -> Self {
        let rix: FxHashMap<u32, usize> =
            g.routers.iter().enumerate().map(|(i, r)| (r.0, i)).collect();
        let rv: Vec<(u32, RouterView<'_>)> = g
            .routers
            .iter()
            .map(|&(rid, flags, a, b)| {
                (rid, RouterView { flags, links: g.flat.get(a..b).unwrap_or_default() })
            })
            .collect();
        let nv = &g.networks;
        let (nr, nn) = (rv.len(), nv.len());
        let slot = |v: V| match v {
            V::Router(i) => i,
            V::Network(j) => nr + j,
        };
        let mut dist = vec![u32::MAX; nr + nn];
        let mut done = vec![false; nr + nn];
        let empty: NextHops = Arc::from(Vec::new());
        let mut nhs: Vec<NextHops> = vec![empty.clone(); nr + nn];
        let mut direct: Vec<Option<u32>> = vec![None; nr + nn];
        // Heap entries pack (distance, 0 for networks / 1 for routers, slot)
        // into one u64: at equal cost networks leave the candidate list
        // first. Areas have far fewer than 2^31 vertices.
        let pack = |d: u32, kind: u64, slot: usize| {
            (u64::from(d) << 32) | (kind << 31) | (slot as u64 & 0x7fff_ffff)
        };
        let mut heap: BinaryHeap<Reverse<u64>> = BinaryHeap::with_capacity(nr + nn);
        let root_ix = rix.get(&root.0).copied();
        if let Some(r) = root_ix {
            dist[r] = 0;
            heap.push(Reverse(pack(0, 1, r)));
        }
        let is_root = |v: V| matches!(v, V::Router(i) if Some(i) == root_ix);
        let by_id = g.by_interface_id;

        while let Some(Reverse(key)) = heap.pop() {
            let (d, kind, s) = ((key >> 32) as u32, (key >> 31) & 1, (key & 0x7fff_ffff) as usize);
            if done[s] || dist[s] != d {
                continue;
            }
            done[s] = true;
            let v = if kind == 1 { V::Router(s) } else { V::Network(s - nr) };
            let v_nh = nhs[s].clone();
            let v_direct = direct[s];
            let mut relax =
                |w: V, cost: u32, vdata: u32, dist: &mut Vec<u32>, nhs: &mut Vec<NextHops>| {
                    let ws = slot(w);
                    let nd = d.saturating_add(cost);
                    if done[ws] || dist[ws] < nd {
                        return;
                    }
                    // §16.1.1: the next hops to W.
                    let mut dir = None;
                    let new_nh: NextHops = if is_root(v) {
                        let iface = interfaces.iter().find(|i| i.addr == vdata);
                        let ifindex = iface.map(|i| i.ifindex);
                        match w {
                            V::Network(_) => {
                                dir = ifindex;
                                Arc::from([NextHop { addr: None, ifindex }])
                            }
                            V::Router(wi) => {
                                let root_id = root.0;
                                let mut first = None;
                                let mut found = None;
                                for l in rv[wi].1.links.iter().filter(|l| {
                                    l.link_type == RouterLinkType::POINT_TO_POINT
                                        && l.link_id == root_id
                                }) {
                                    let here = iface.is_some_and(|i| {
                                        if by_id {
                                            l.nbr_data == i.addr
                                        } else {
                                            l.link_data & i.mask == i.addr & i.mask
                                        }
                                    });
                                    if here {
                                        found = Some(l.link_data);
                                        break;
                                    }
                                    first = first.or(Some(l.link_data));
                                }
                                let w_rid = RouterId(rv[wi].0);
                                let addr = found
                                    .or(first)
                                    .and_then(|data| resolve(ifindex.unwrap_or(0), w_rid, data));
                                Arc::from([NextHop { addr, ifindex }])
                            }
                        }
                    } else if let (Some(ifindex), V::Network(j), V::Router(wi)) = (v_direct, v, w) {
                        // "If the destination is a router connected to a network
                        // directly attached to the root, the next hop is the
                        // router's interface address on that network."
                        let lsid = j as u32;
                        let addr = rv[wi]
                            .1
                            .links
                            .iter()
                            .find(|l| l.link_type == RouterLinkType::TRANSIT && l.link_id == lsid)
                            .and_then(|l| resolve(ifindex, RouterId(rv[wi].0), l.link_data));
                        Arc::from([NextHop { addr, ifindex: Some(ifindex) }])
                    } else {
                        v_nh.clone()
                    };
                    if dist[ws] == nd {
                        merge_next_hops(&mut nhs[ws], &new_nh);
                        if direct[ws].is_none() {
                            direct[ws] = dir;
                        }
                    } else {
                        dist[ws] = nd;
                        nhs[ws] = new_nh;
                        direct[ws] = dir;
                        let k = if matches!(w, V::Router(_)) { 1 } else { 0 };
                        heap.push(Reverse(pack(nd, k, ws)));
                    }
                };
            match v {
                V::Router(i) => {
                    let rid = rv[i].0;
                    for l in rv[i].1.links.iter() {
                        match l.link_type {
                            RouterLinkType::POINT_TO_POINT => {
                                let Some(&wi) = rix.get(&l.link_id) else { continue };
                                // Cheap test first: W already in the tree or
                                // reached more cheaply.
                                if done[wi] || dist[wi] < d.saturating_add(u32::from(l.metric)) {
                                    continue;
                                }
                                // §16.1 step 2(b): W must link back to V.
                                let back = rv[wi].1.links.iter().any(|x| {
                                    x.link_type == RouterLinkType::POINT_TO_POINT
                                        && x.link_id == rid
                                });
                                if back {
                                    relax(
                                        V::Router(wi),
                                        u32::from(l.metric),
                                        l.link_data,
                                        &mut dist,
                                        &mut nhs,
                                    );
                                }
                            }
                            RouterLinkType::TRANSIT => {
                                let wj = l.link_id as usize;
                                if wj >= nn {
                                    continue;
                                }
                                if done[nr + wj]
                                    || dist[nr + wj] < d.saturating_add(u32::from(l.metric))
                                {
                                    continue;
                                }
                                let back = nv[wj].iter().any(|a| a.0 == rid);
                                if back {
                                    relax(
                                        V::Network(wj),
                                        u32::from(l.metric),
                                        l.link_data,
                                        &mut dist,
                                        &mut nhs,
                                    );
                                }
                            }
                            _ => {}
                        }
                    }
                }
                V::Network(j) => {
                    let lsid = j as u32;
                    for r in nv[j] {
                        let Some(&wi) = rix.get(&r.0) else { continue };
                        if done[wi] || dist[wi] < d {
                            continue;
                        }
                        let back =
                            rv[wi].1.links.iter().any(|x| {
                                x.link_type == RouterLinkType::TRANSIT && x.link_id == lsid
                            });
                        if back {
                            relax(V::Router(wi), 0, 0, &mut dist, &mut nhs);
                        }
                    }
                }
            }
        }

        let mut spf = AreaSpf { root, own, ..AreaSpf::default() };
        spf.routers.reserve(nr);
        for (i, (rid, view)) in rv.iter().enumerate() {
            if done[i] {
                spf.routers.insert(
                    RouterId(*rid),
                    RouterEntry { dist: dist[i], next_hops: nhs[i].clone(), flags: view.flags },
                );
            }
        }
        for &(p, j, metric) in &g.net_prefixes {
            let s = nr + j;
            if !done.get(s).copied().unwrap_or(false) {
                continue;
            }
            let cand =
                IntraRoute { cost: dist[s].saturating_add(metric), next_hops: nhs[s].clone() };
            match spf.transit.get_mut(&p) {
                Some(old) if old.cost < cand.cost => {}
                Some(old) if old.cost == cand.cost => {
                    merge_next_hops(&mut old.next_hops, &cand.next_hops)
                }
                _ => {
                    spf.transit.insert(p, cand);
                }
            }
        }

        // §16.1 stage 2: prefixes of routers, kept sorted for updates.
        let mut stubs = g.stubs;
        stubs.sort_unstable();
        spf.stubs = stubs;
        spf.intra.reserve(spf.stubs.len() + spf.transit.len());
        let transit_only: Vec<P> =
            spf.transit.keys().filter(|p| spf.stub_range(**p).is_empty()).copied().collect();
        let stubs = std::mem::take(&mut spf.stubs);
        for group in stubs.chunk_by(|a, b| a.0 == b.0) {
            let p = group[0].0;
            if let Some(r) = spf.route_for(p, group) {
                spf.intra.insert(p, r);
            }
        }
        spf.stubs = stubs;
        for p in transit_only {
            spf.recompute_prefix(p);
        }
        spf
    }

    /// The root of the tree.
    #[must_use]
    pub fn root(&self) -> RouterId {
        self.root
    }

    fn stub_range(&self, p: P) -> &[(P, RouterId, u32)] {
        let lo = self.stubs.partition_point(|x| x.0 < p);
        let hi = lo + self.stubs[lo..].partition_point(|x| x.0 == p);
        &self.stubs[lo..hi]
    }

    /// Recomputes the intra-area route to `p` from the transit network and
    /// the stub links that lead to it.
    fn recompute_prefix(&mut self, p: P) {
        match self.route_for(p, self.stub_range(p)) {
            Some(b) => {
                self.intra.insert(p, b);
            }
            None => {
                self.intra.remove(&p);
            }
        }
    }

    /// The best route to `p` over its transit network and `stubs` (the
    /// stub links to `p`).
    fn route_for(&self, p: P, stubs: &[(P, RouterId, u32)]) -> Option<IntraRoute> {
        let mut best: Option<IntraRoute> = self.transit.get(&p).cloned();
        for (_, rid, metric) in stubs {
            let Some(r) = self.routers.get(rid) else {
                continue;
            };
            let cost = r.dist.saturating_add(*metric);
            if best.as_ref().is_some_and(|b| b.cost < cost) {
                continue;
            }
            let nhs: NextHops = if *rid == self.root {
                // A network of our own: reached directly on the interface.
                let ifindex = self.own.iter().find(|(q, _)| *q == p).map(|(_, ix)| *ix);
                Arc::from([NextHop { addr: None, ifindex }])
            } else {
                r.next_hops.clone()
            };
            match &mut best {
                Some(b) if b.cost == cost => merge_next_hops(&mut b.next_hops, &nhs),
                _ => {
                    best = Some(IntraRoute { cost, next_hops: nhs });
                }
            }
        }
        best
    }
}

impl<P: Copy + Ord + std::hash::Hash> AreaSpf<P> {
    /// Replaces the prefixes `old` of routers by `new` (§16.5 style: no
    /// Dijkstra); returns the prefixes whose intra-area route may have
    /// changed.
    pub(crate) fn update_stub_entries(
        &mut self,
        old: &[(P, RouterId, u32)],
        new: &[(P, RouterId, u32)],
    ) -> Vec<P> {
        for entry in old {
            if let Ok(pos) = self.stubs.binary_search(entry) {
                self.stubs.remove(pos);
            }
        }
        for entry in new {
            let pos = self.stubs.partition_point(|x| x < entry);
            self.stubs.insert(pos, *entry);
        }
        let mut touched: Vec<P> = old.iter().chain(new).map(|e| e.0).collect();
        touched.sort_unstable();
        touched.dedup();
        for p in &touched {
            self.recompute_prefix(*p);
        }
        touched
    }
}

impl AreaSpf<Prefix> {
    /// Applies a change limited to the stub links of `router`'s router-LSA
    /// (§16.5 style: no Dijkstra); returns the prefixes whose intra-area
    /// route may have changed.
    pub fn update_stubs(
        &mut self,
        router: RouterId,
        old: &[RouterLink],
        new: &[RouterLink],
    ) -> Vec<Prefix> {
        let entries = |links: &[RouterLink]| -> Vec<(Prefix, RouterId, u32)> {
            links
                .iter()
                .filter(|l| l.link_type == RouterLinkType::STUB)
                .filter_map(|l| {
                    let p = Prefix::from_mask(u32::from(l.link_id), u32::from(l.link_data))?;
                    Some((p, router, u32::from(l.metric)))
                })
                .collect()
        };
        self.update_stub_entries(&entries(old), &entries(new))
    }
}

/// Whether two router-LSA bodies differ only in their stub links, so that
/// [`AreaSpf::update_stubs`] applies (flags and every other link equal).
#[must_use]
pub fn only_stubs_differ(old: &LsaBody, new: &LsaBody) -> bool {
    match (old, new) {
        (LsaBody::Router(o), LsaBody::Router(n)) => {
            let not_stub = |l: &&RouterLink| l.link_type != RouterLinkType::STUB;
            let order = |l: &&RouterLink| (l.link_type.0, l.link_id, l.link_data, l.metric);
            let mut a: Vec<&RouterLink> = o.links.iter().filter(not_stub).collect();
            let mut b: Vec<&RouterLink> = n.links.iter().filter(not_stub).collect();
            a.sort_unstable_by_key(order);
            b.sort_unstable_by_key(order);
            o.flags == n.flags && a == b
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lsa::{build, key, link, LsSeqNum, NetworkLsa, Options, RouterFlags, RouterLsa};
    use std::sync::Arc;

    fn ip(a: u8, b: u8, c: u8, d: u8) -> u32 {
        u32::from(Ipv4Addr::new(a, b, c, d))
    }

    fn router(db: &mut Lsdb, now: Instant, rid: u32, links: Vec<RouterLink>) {
        let k = key(LsType::ROUTER, rid, RouterId(rid));
        let body = LsaBody::Router(RouterLsa { flags: RouterFlags(0), reserved: 0, links });
        db.install(Arc::new(build(0, Options::E, k, LsSeqNum(1), body)), now);
    }

    fn p2p(to: u32, data: u32, metric: u16) -> RouterLink {
        link(RouterLinkType::POINT_TO_POINT, to, data, metric)
    }

    fn stub(net: u32, mask: u32, metric: u16) -> RouterLink {
        link(RouterLinkType::STUB, net, mask, metric)
    }

    /// A square 1-2-4 and 1-3-4 of cost 10 each: ECMP from 1 to 4.
    fn square() -> (Lsdb, Instant) {
        let now = Instant::now();
        let mut db = Lsdb::new();
        let m30 = 0xffff_fffc;
        router(
            &mut db,
            now,
            1,
            vec![
                p2p(2, ip(10, 0, 12, 1), 10),
                p2p(3, ip(10, 0, 13, 1), 10),
                stub(ip(10, 0, 12, 0), m30, 10),
                stub(ip(10, 0, 13, 0), m30, 10),
            ],
        );
        router(&mut db, now, 2, vec![p2p(1, ip(10, 0, 12, 2), 10), p2p(4, ip(10, 0, 24, 2), 10)]);
        router(&mut db, now, 3, vec![p2p(1, ip(10, 0, 13, 3), 10), p2p(4, ip(10, 0, 34, 3), 10)]);
        router(
            &mut db,
            now,
            4,
            vec![
                p2p(2, ip(10, 0, 24, 4), 10),
                p2p(3, ip(10, 0, 34, 4), 10),
                stub(ip(192, 168, 4, 0), 0xffff_ff00, 1),
            ],
        );
        (db, now)
    }

    fn ifaces() -> Vec<RootInterface> {
        vec![
            RootInterface { ifindex: 2, addr: ip(10, 0, 12, 1), mask: 0xffff_fffc },
            RootInterface { ifindex: 3, addr: ip(10, 0, 13, 1), mask: 0xffff_fffc },
        ]
    }

    #[test]
    fn equal_cost_paths_give_two_next_hops() {
        let (db, now) = square();
        let spf = AreaSpf::compute(&db, RouterId(1), &ifaces(), now);
        let r4 = spf.routers.get(&RouterId(4)).cloned().unwrap_or_else(|| panic!("4 reached"));
        assert_eq!(r4.dist, 20);
        assert_eq!(
            r4.next_hops.to_vec(),
            vec![NextHop::via(v4(ip(10, 0, 12, 2)), 2), NextHop::via(v4(ip(10, 0, 13, 3)), 3)]
        );
        let p = Prefix::from_mask(ip(192, 168, 4, 0), 0xffff_ff00).unwrap_or_else(|| panic!());
        assert_eq!(spf.intra.get(&p).map(|r| r.cost), Some(21));
        let own = Prefix::from_mask(ip(10, 0, 12, 0), 0xffff_fffc).unwrap_or_else(|| panic!());
        assert_eq!(
            spf.intra.get(&own).map(|r| r.next_hops.to_vec()),
            Some(vec![NextHop::direct(2)])
        );
    }

    #[test]
    fn one_way_link_is_not_used() {
        let (mut db, now) = square();
        // 3 no longer lists 1: the 1-3 edge fails the two-way check.
        router(&mut db, now, 3, vec![p2p(4, ip(10, 0, 34, 3), 10)]);
        let spf = AreaSpf::compute(&db, RouterId(1), &ifaces(), now);
        let r4 = spf.routers.get(&RouterId(4)).cloned().unwrap_or_else(|| panic!("4 reached"));
        assert_eq!(r4.next_hops.to_vec(), vec![NextHop::via(v4(ip(10, 0, 12, 2)), 2)]);
        assert_eq!(spf.routers.get(&RouterId(3)).map(|r| r.dist), Some(30));
    }

    #[test]
    fn transit_network_next_hops_use_link_data() {
        let now = Instant::now();
        let mut db = Lsdb::new();
        let net = ip(192, 168, 1, 1);
        let tr = |data| link(RouterLinkType::TRANSIT, net, data, 10);
        router(&mut db, now, 1, vec![tr(ip(192, 168, 1, 1))]);
        router(
            &mut db,
            now,
            2,
            vec![tr(ip(192, 168, 1, 2)), stub(ip(10, 2, 0, 0), 0xffff_0000, 5)],
        );
        db.install(
            Arc::new(build(
                0,
                Options::E,
                key(LsType::NETWORK, net, RouterId(1)),
                LsSeqNum(1),
                LsaBody::Network(NetworkLsa {
                    network_mask: Ipv4Addr::new(255, 255, 255, 0),
                    attached_routers: vec![RouterId(1), RouterId(2)],
                }),
            )),
            now,
        );
        let ifs = [RootInterface { ifindex: 7, addr: ip(192, 168, 1, 1), mask: 0xffff_ff00 }];
        let spf = AreaSpf::compute(&db, RouterId(1), &ifs, now);
        let p = Prefix::from_mask(ip(10, 2, 0, 0), 0xffff_0000).unwrap_or_else(|| panic!());
        let r = spf.intra.get(&p).cloned().unwrap_or_else(|| panic!("stub reached"));
        assert_eq!(r.cost, 15);
        assert_eq!(r.next_hops.to_vec(), vec![NextHop::via(v4(ip(192, 168, 1, 2)), 7)]);
        let lan = Prefix::from_mask(net, 0xffff_ff00).unwrap_or_else(|| panic!());
        assert_eq!(
            spf.intra.get(&lan).map(|r| r.next_hops.to_vec()),
            Some(vec![NextHop::direct(7)])
        );
    }

    #[test]
    fn stub_update_matches_full_recompute() {
        let (mut db, now) = square();
        let mut spf = AreaSpf::compute(&db, RouterId(1), &ifaces(), now);
        let old = vec![
            p2p(2, ip(10, 0, 24, 4), 10),
            p2p(3, ip(10, 0, 34, 4), 10),
            stub(ip(192, 168, 4, 0), 0xffff_ff00, 1),
        ];
        let new = vec![
            p2p(2, ip(10, 0, 24, 4), 10),
            p2p(3, ip(10, 0, 34, 4), 10),
            stub(ip(192, 168, 5, 0), 0xffff_ff00, 3),
        ];
        let body = |links| LsaBody::Router(RouterLsa { flags: RouterFlags(0), reserved: 0, links });
        let ob = body(old.clone());
        let nb = body(new.clone());
        assert!(only_stubs_differ(&ob, &nb));
        let touched = spf.update_stubs(RouterId(4), &old, &new);
        assert_eq!(touched.len(), 2);
        router(&mut db, now, 4, new);
        let full = AreaSpf::compute(&db, RouterId(1), &ifaces(), now);
        let mut a: Vec<_> = spf.intra.iter().map(|(k, v)| (*k, v.clone())).collect();
        let mut b: Vec<_> = full.intra.iter().map(|(k, v)| (*k, v.clone())).collect();
        a.sort_by_key(|x| x.0);
        b.sort_by_key(|x| x.0);
        assert_eq!(a, b);
        let moved = body(vec![p2p(2, ip(10, 0, 24, 4), 11)]);
        assert!(!only_stubs_differ(&nb, &moved));
    }
}
