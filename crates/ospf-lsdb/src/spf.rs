//! The shortest-path tree of one area (RFC 2328 §16.1) with equal-cost
//! multipath next hops (§16.1.1), and the intra-area routes to networks.
//!
//! The first stage runs Dijkstra over router and transit-network vertices;
//! the second stage adds stub networks. Stub links are kept in an index by
//! prefix so that a change confined to the stub links of a router-LSA is
//! applied without rerunning Dijkstra ([`AreaSpf::update_stubs`]).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

use rib::NextHop;

use crate::hash::FxHashMap;
use crate::lsa::{mask_to_len, LinkType, LsaBody, LsaType, RouterLink};
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

/// A router reached by the SPF calculation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouterEntry {
    /// Cost from the root.
    pub dist: u32,
    /// Equal-cost next hops (empty for the root itself).
    pub next_hops: Vec<NextHop>,
    /// The router-LSA's V, E, B bits.
    pub flags: u8,
}

/// An intra-area route to a network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntraRoute {
    /// Cost from the root.
    pub cost: u32,
    /// Equal-cost next hops.
    pub next_hops: Vec<NextHop>,
}

/// The result of SPF in one area.
#[derive(Debug, Clone, Default)]
pub struct AreaSpf {
    root: RouterId,
    interfaces: Vec<RootInterface>,
    /// Routers reached, the root included.
    pub routers: FxHashMap<RouterId, RouterEntry>,
    transit: FxHashMap<Prefix, IntraRoute>,
    stubs: FxHashMap<Prefix, Vec<(RouterId, u32)>>,
    /// Intra-area routes to networks (transit and stub).
    pub intra: FxHashMap<Prefix, IntraRoute>,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Vertex {
    // Networks sort first so that at equal cost they leave the candidate
    // list before routers.
    Network(u32),
    Router(u32),
}

struct VState {
    dist: u32,
    next_hops: Vec<NextHop>,
    done: bool,
    /// For a network the root attaches to: the interface.
    direct: Option<u32>,
}

struct RouterView<'a> {
    flags: u8,
    links: &'a [RouterLink],
}

struct NetworkView<'a> {
    mask: u32,
    routers: &'a [RouterId],
}

/// Merges `add` into the sorted next-hop set `into`.
pub(crate) fn merge_next_hops(into: &mut Vec<NextHop>, add: &[NextHop]) {
    for nh in add {
        if let Err(pos) = into.binary_search(nh) {
            into.insert(pos, *nh);
        }
    }
}

fn v4(a: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(a))
}

impl AreaSpf {
    /// Runs the full calculation of §16.1 for `root` over the router- and
    /// network-LSAs of `lsdb` (MaxAge LSAs at `now` are ignored).
    #[must_use]
    pub fn compute(
        lsdb: &Lsdb,
        root: RouterId,
        interfaces: &[RootInterface],
        now: Instant,
    ) -> Self {
        let mut rlsa: FxHashMap<u32, RouterView<'_>> = FxHashMap::default();
        let mut nlsa: FxHashMap<u32, NetworkView<'_>> = FxHashMap::default();
        for (key, e) in lsdb.iter() {
            if key.ty != LsaType::ROUTER && key.ty != LsaType::NETWORK {
                continue;
            }
            if e.is_max_age(now) {
                continue;
            }
            match &e.lsa.body {
                LsaBody::Router { flags, links } if key.ty == LsaType::ROUTER => {
                    // §16.1: "the Link State ID of a router-LSA is the
                    // router's OSPF Router ID".
                    rlsa.insert(key.adv.0, RouterView { flags: *flags, links });
                }
                LsaBody::Network { mask, routers } if key.ty == LsaType::NETWORK => {
                    nlsa.entry(key.id).or_insert(NetworkView { mask: *mask, routers });
                }
                _ => {}
            }
        }

        let mut spf = AreaSpf { root, interfaces: interfaces.to_vec(), ..AreaSpf::default() };
        let mut state: FxHashMap<Vertex, VState> = FxHashMap::default();
        let mut heap = BinaryHeap::new();
        if rlsa.contains_key(&root.0) {
            state.insert(
                Vertex::Router(root.0),
                VState { dist: 0, next_hops: Vec::new(), done: false, direct: None },
            );
            heap.push(Reverse((0u32, Vertex::Router(root.0))));
        }

        while let Some(Reverse((dist, v))) = heap.pop() {
            let (v_nh, v_direct) = match state.get_mut(&v) {
                Some(s) if !s.done && s.dist == dist => {
                    s.done = true;
                    (s.next_hops.clone(), s.direct)
                }
                _ => continue,
            };
            // Enumerate (w, cost, link data of v's link) for each edge.
            let mut edges: Vec<(Vertex, u32, u32)> = Vec::new();
            match v {
                Vertex::Router(r) => {
                    let Some(view) = rlsa.get(&r) else { continue };
                    for l in view.links {
                        match l.ty {
                            LinkType::PointToPoint => {
                                edges.push((Vertex::Router(l.id), u32::from(l.metric), l.data));
                            }
                            LinkType::Transit => {
                                edges.push((Vertex::Network(l.id), u32::from(l.metric), l.data));
                            }
                            LinkType::Stub | LinkType::Virtual => {}
                        }
                    }
                }
                Vertex::Network(n) => {
                    let Some(view) = nlsa.get(&n) else { continue };
                    for r in view.routers {
                        edges.push((Vertex::Router(r.0), 0, 0));
                    }
                }
            }
            for (w, cost, vdata) in edges {
                // §16.1 step 2(b): the LSA of W must exist and link back to V.
                let back = match (v, w) {
                    (Vertex::Router(r), Vertex::Router(wr)) => rlsa.get(&wr).is_some_and(|x| {
                        x.links.iter().any(|l| l.ty == LinkType::PointToPoint && l.id == r)
                    }),
                    (Vertex::Router(r), Vertex::Network(n)) => {
                        nlsa.get(&n).is_some_and(|x| x.routers.iter().any(|a| a.0 == r))
                    }
                    (Vertex::Network(n), Vertex::Router(wr)) => rlsa.get(&wr).is_some_and(|x| {
                        x.links.iter().any(|l| l.ty == LinkType::Transit && l.id == n)
                    }),
                    (Vertex::Network(_), Vertex::Network(_)) => false,
                };
                if !back {
                    continue;
                }
                let nd = dist.saturating_add(cost);
                if let Some(ws) = state.get(&w) {
                    if ws.done || ws.dist < nd {
                        continue;
                    }
                }
                // §16.1.1: the next hops to W.
                let mut direct = None;
                let nhs: Vec<NextHop> = if v == Vertex::Router(root.0) {
                    let iface = interfaces.iter().find(|i| i.addr == vdata);
                    let ifindex = iface.map(|i| i.ifindex);
                    match w {
                        Vertex::Network(_) => {
                            direct = ifindex;
                            vec![NextHop { addr: None, ifindex }]
                        }
                        Vertex::Router(wr) => {
                            let addr = rlsa.get(&wr).and_then(|x| {
                                let to_root = x
                                    .links
                                    .iter()
                                    .filter(|l| l.ty == LinkType::PointToPoint && l.id == root.0);
                                let mut first = None;
                                for l in to_root {
                                    if iface.is_some_and(|i| l.data & i.mask == i.addr & i.mask) {
                                        return Some(l.data);
                                    }
                                    first = first.or(Some(l.data));
                                }
                                first
                            });
                            vec![NextHop { addr: addr.map(v4), ifindex }]
                        }
                    }
                } else if let (Some(ifindex), Vertex::Network(n), Vertex::Router(wr)) =
                    (v_direct, v, w)
                {
                    // "If the destination is a router connected to a network
                    // directly attached to the root, the next hop is the
                    // router's interface address on that network."
                    let addr = rlsa.get(&wr).and_then(|x| {
                        x.links
                            .iter()
                            .find(|l| l.ty == LinkType::Transit && l.id == n)
                            .map(|l| l.data)
                    });
                    vec![NextHop { addr: addr.map(v4), ifindex: Some(ifindex) }]
                } else {
                    v_nh.clone()
                };
                match state.get_mut(&w) {
                    Some(ws) if ws.dist == nd => {
                        merge_next_hops(&mut ws.next_hops, &nhs);
                        if ws.direct.is_none() {
                            ws.direct = direct;
                        }
                    }
                    _ => {
                        let mut sorted = nhs;
                        sorted.sort_unstable();
                        sorted.dedup();
                        state
                            .insert(w, VState { dist: nd, next_hops: sorted, done: false, direct });
                        heap.push(Reverse((nd, w)));
                    }
                }
            }
        }

        for (v, s) in state {
            if !s.done {
                continue;
            }
            match v {
                Vertex::Router(r) => {
                    let flags = rlsa.get(&r).map_or(0, |x| x.flags);
                    spf.routers.insert(
                        RouterId(r),
                        RouterEntry { dist: s.dist, next_hops: s.next_hops, flags },
                    );
                }
                Vertex::Network(n) => {
                    let Some(view) = nlsa.get(&n) else { continue };
                    let Some(p) = Prefix::from_mask(n, view.mask) else {
                        continue;
                    };
                    let cand = IntraRoute { cost: s.dist, next_hops: s.next_hops };
                    match spf.transit.get_mut(&p) {
                        Some(old) if old.cost < cand.cost => {}
                        Some(old) if old.cost == cand.cost => {
                            merge_next_hops(&mut old.next_hops, &cand.next_hops);
                        }
                        _ => {
                            spf.transit.insert(p, cand);
                        }
                    }
                }
            }
        }

        // §16.1 stage 2: stub networks, indexed by prefix.
        for (rid, view) in &rlsa {
            for l in view.links.iter().filter(|l| l.ty == LinkType::Stub) {
                if let Some(p) = Prefix::from_mask(l.id, l.data) {
                    spf.stubs.entry(p).or_default().push((RouterId(*rid), u32::from(l.metric)));
                }
            }
        }
        let prefixes: Vec<Prefix> = spf.transit.keys().chain(spf.stubs.keys()).copied().collect();
        for p in prefixes {
            spf.recompute_prefix(p);
        }
        spf
    }

    /// The root of the tree.
    #[must_use]
    pub fn root(&self) -> RouterId {
        self.root
    }

    /// Recomputes the intra-area route to `p` from the transit network and
    /// the stub links that lead to it.
    fn recompute_prefix(&mut self, p: Prefix) {
        let mut best: Option<IntraRoute> = self.transit.get(&p).cloned();
        if let Some(list) = self.stubs.get(&p) {
            for (rid, metric) in list {
                let Some(r) = self.routers.get(rid) else {
                    continue;
                };
                let cost = r.dist.saturating_add(*metric);
                let nhs = if *rid == self.root {
                    // A network of our own: reached directly on the interface.
                    let ifindex = self
                        .interfaces
                        .iter()
                        .find(|i| Prefix::from_mask(i.addr, i.mask) == Some(p))
                        .map(|i| i.ifindex);
                    vec![NextHop { addr: None, ifindex }]
                } else {
                    r.next_hops.clone()
                };
                match &mut best {
                    Some(b) if b.cost < cost => {}
                    Some(b) if b.cost == cost => merge_next_hops(&mut b.next_hops, &nhs),
                    _ => {
                        best = Some(IntraRoute { cost, next_hops: nhs });
                    }
                }
            }
        }
        match best {
            Some(b) => {
                self.intra.insert(p, b);
            }
            None => {
                self.intra.remove(&p);
            }
        }
    }

    /// Applies a change limited to the stub links of `router`'s router-LSA
    /// (§16.5 style: no Dijkstra); returns the prefixes whose intra-area
    /// route may have changed.
    pub fn update_stubs(
        &mut self,
        router: RouterId,
        old: &[RouterLink],
        new: &[RouterLink],
    ) -> Vec<Prefix> {
        let mut touched = Vec::new();
        for l in old.iter().filter(|l| l.ty == LinkType::Stub) {
            if let Some(p) = Prefix::from_mask(l.id, l.data) {
                if let Some(list) = self.stubs.get_mut(&p) {
                    if let Some(pos) =
                        list.iter().position(|&(r, m)| r == router && m == u32::from(l.metric))
                    {
                        list.swap_remove(pos);
                    }
                    if list.is_empty() {
                        self.stubs.remove(&p);
                    }
                }
                touched.push(p);
            }
        }
        for l in new.iter().filter(|l| l.ty == LinkType::Stub) {
            if let Some(p) = Prefix::from_mask(l.id, l.data) {
                self.stubs.entry(p).or_default().push((router, u32::from(l.metric)));
                touched.push(p);
            }
        }
        touched.sort_unstable();
        touched.dedup();
        for p in &touched {
            self.recompute_prefix(*p);
        }
        touched
    }
}

/// Whether two router-LSA bodies differ only in their stub links, so that
/// [`AreaSpf::update_stubs`] applies (flags and every other link equal).
#[must_use]
pub fn only_stubs_differ(old: &LsaBody, new: &LsaBody) -> bool {
    match (old, new) {
        (LsaBody::Router { flags: f1, links: l1 }, LsaBody::Router { flags: f2, links: l2 }) => {
            let mut a: Vec<&RouterLink> = l1.iter().filter(|l| l.ty != LinkType::Stub).collect();
            let mut b: Vec<&RouterLink> = l2.iter().filter(|l| l.ty != LinkType::Stub).collect();
            a.sort_unstable();
            b.sort_unstable();
            f1 == f2 && a == b
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lsa::{Lsa, LsaKey};
    use std::sync::Arc;

    fn ip(a: u8, b: u8, c: u8, d: u8) -> u32 {
        u32::from(Ipv4Addr::new(a, b, c, d))
    }

    fn router(db: &mut Lsdb, now: Instant, rid: u32, links: Vec<RouterLink>) {
        let key = LsaKey { ty: LsaType::ROUTER, id: rid, adv: RouterId(rid) };
        db.install(Arc::new(Lsa::new(0, 2, key, 1, LsaBody::Router { flags: 0, links })), now);
    }

    fn p2p(to: u32, data: u32, metric: u16) -> RouterLink {
        RouterLink { ty: LinkType::PointToPoint, id: to, data, metric }
    }

    fn stub(net: u32, mask: u32, metric: u16) -> RouterLink {
        RouterLink { ty: LinkType::Stub, id: net, data: mask, metric }
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
            r4.next_hops,
            vec![NextHop::via(v4(ip(10, 0, 12, 2)), 2), NextHop::via(v4(ip(10, 0, 13, 3)), 3)]
        );
        let p = Prefix::from_mask(ip(192, 168, 4, 0), 0xffff_ff00).unwrap_or_else(|| panic!());
        assert_eq!(spf.intra.get(&p).map(|r| r.cost), Some(21));
        let own = Prefix::from_mask(ip(10, 0, 12, 0), 0xffff_fffc).unwrap_or_else(|| panic!());
        assert_eq!(
            spf.intra.get(&own).map(|r| r.next_hops.clone()),
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
        assert_eq!(r4.next_hops, vec![NextHop::via(v4(ip(10, 0, 12, 2)), 2)]);
        assert_eq!(spf.routers.get(&RouterId(3)).map(|r| r.dist), Some(30));
    }

    #[test]
    fn transit_network_next_hops_use_link_data() {
        let now = Instant::now();
        let mut db = Lsdb::new();
        let net = ip(192, 168, 1, 1);
        let tr = |data| RouterLink { ty: LinkType::Transit, id: net, data, metric: 10 };
        router(&mut db, now, 1, vec![tr(ip(192, 168, 1, 1))]);
        router(
            &mut db,
            now,
            2,
            vec![tr(ip(192, 168, 1, 2)), stub(ip(10, 2, 0, 0), 0xffff_0000, 5)],
        );
        db.install(
            Arc::new(Lsa::new(
                0,
                2,
                LsaKey { ty: LsaType::NETWORK, id: net, adv: RouterId(1) },
                1,
                LsaBody::Network { mask: 0xffff_ff00, routers: vec![RouterId(1), RouterId(2)] },
            )),
            now,
        );
        let ifs = [RootInterface { ifindex: 7, addr: ip(192, 168, 1, 1), mask: 0xffff_ff00 }];
        let spf = AreaSpf::compute(&db, RouterId(1), &ifs, now);
        let p = Prefix::from_mask(ip(10, 2, 0, 0), 0xffff_0000).unwrap_or_else(|| panic!());
        let r = spf.intra.get(&p).cloned().unwrap_or_else(|| panic!("stub reached"));
        assert_eq!(r.cost, 15);
        assert_eq!(r.next_hops, vec![NextHop::via(v4(ip(192, 168, 1, 2)), 7)]);
        let lan = Prefix::from_mask(net, 0xffff_ff00).unwrap_or_else(|| panic!());
        assert_eq!(
            spf.intra.get(&lan).map(|r| r.next_hops.clone()),
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
        let ob = LsaBody::Router { flags: 0, links: old.clone() };
        let nb = LsaBody::Router { flags: 0, links: new.clone() };
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
        let moved = LsaBody::Router { flags: 0, links: vec![p2p(2, ip(10, 0, 24, 4), 11)] };
        assert!(!only_stubs_differ(&nb, &moved));
    }
}
