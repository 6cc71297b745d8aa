//! The OSPFv3 routing table (RFC 5340 §4.8): intra-area routes to the
//! prefixes of intra-area-prefix-LSAs over each area's shortest-path tree
//! (the SPF of `spf.rs`, shared with OSPFv2), next hops being the
//! neighbours' link-local addresses from their link-LSAs, and inter-area
//! routes from inter-area-prefix-LSAs (§4.8.3, RFC 2328 §16.2), AS-external
//! routes (§4.8.5, RFC 2328 §16.4) over the routes to AS boundary routers
//! (intra-area, or inter-area from inter-area-router-LSAs).

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv6Addr};
use std::time::Instant;

use ipnet::Ipv6Net;
use ospf_wire::v3::{
    Ipv6Prefix, LsType, Lsa, LsaBody, LsaKey, PrefixOptions, RouterFlags, RouterLinkType,
};
use rib::{PathType, Protocol, Route};

use crate::hash::FxHashMap;
use crate::instance::OspfInstance;
use crate::interface::IfState;
use crate::lsdb::LinkStateDb;
use crate::route::{LsaChange, NeedsFull};
use crate::spf::{merge_next_hops, AreaSpf, Graph, Link, NextHops, RootInterface, NO_NETWORK};
use crate::types::consts::LS_INFINITY;
use crate::types::{AreaId, RouterId};
use crate::V3;

/// A route to an IPv6 prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route6 {
    /// Intra-area, inter-area, type 1 or type 2 external.
    pub path_type: PathType,
    /// Cost (for type 2: the cost to the ASBR or forwarding address).
    pub cost: u32,
    /// Type 2 external cost.
    pub type2_cost: Option<u32>,
    /// Equal-cost next hops: link-local address and interface.
    pub next_hops: NextHops,
    /// The area of an intra- or inter-area route.
    pub area: Option<AreaId>,
    /// External route tag.
    pub tag: Option<u32>,
}

impl Route6 {
    fn new(path_type: PathType, cost: u32, next_hops: NextHops, area: AreaId) -> Self {
        Self { path_type, cost, type2_cost: None, next_hops, area: Some(area), tag: None }
    }

    /// The order of preference, lower first: intra before inter-area
    /// before type 1 before type 2 (RFC 2328 §11), then the type 2 cost,
    /// then the cost.
    fn rank(&self) -> (u8, u32, u32) {
        let class = match self.path_type {
            PathType::IntraArea => 0,
            PathType::InterArea => 1,
            PathType::Type1External => 2,
            _ => 3,
        };
        (class, self.type2_cost.unwrap_or(0), self.cost)
    }
}

/// A route to an area border or AS boundary router.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouterRoute6 {
    /// Intra-area or inter-area.
    pub path_type: PathType,
    /// Cost.
    pub cost: u32,
    /// Next hops.
    pub next_hops: NextHops,
    /// Area the route was found in.
    pub area: AreaId,
}

/// An inter-area-prefix-LSA's offer of a prefix (§4.8.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct InterCand {
    area: AreaId,
    adv: RouterId,
    metric: u32,
}

/// An AS-external-LSA's (`area` `None`) or an NSSA-LSA's offer of a prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ExtCand {
    area: Option<AreaId>,
    adv: RouterId,
    type2: bool,
    metric: u32,
    forwarding: Option<Ipv6Addr>,
    tag: Option<u32>,
}

/// The OSPFv3 routing table, with what it was computed from, so that
/// prefix-LSA changes update it without Dijkstra ([`RoutingTable6::apply`]).
#[derive(Debug, Clone, Default)]
pub struct RoutingTable6 {
    routes: FxHashMap<Ipv6Net, Route6>,
    asbrs: BTreeMap<RouterId, RouterRoute6>,
    me: RouterId,
    abr: bool,
    /// Each area's tree, and whether the area is an NSSA.
    spfs: Vec<(AreaId, bool, AreaSpf<Ipv6Net>)>,
    inter: BTreeMap<Ipv6Net, Vec<InterCand>>,
    ext: BTreeMap<Ipv6Net, Vec<ExtCand>>,
    /// Prefixes with an external offer through a forwarding address, whose
    /// route follows the route to that address.
    fa_prefixes: BTreeSet<Ipv6Net>,
}

impl RoutingTable6 {
    /// The longest-match intra- or inter-area route covering `a`.
    fn lookup(&self, a: Ipv6Addr) -> Option<&Route6> {
        (0..=128u8).rev().find_map(|len| {
            let p = Ipv6Net::new(a, len).ok()?.trunc();
            self.routes
                .get(&p)
                .filter(|r| matches!(r.path_type, PathType::IntraArea | PathType::InterArea))
        })
    }

    /// Every destination, in no particular order.
    #[must_use]
    pub fn prefixes(&self) -> Vec<Ipv6Net> {
        self.routes.keys().copied().collect()
    }

    /// Every route, in prefix order.
    pub fn routes(&self) -> impl Iterator<Item = (&Ipv6Net, &Route6)> {
        let mut all: Vec<(&Ipv6Net, &Route6)> = self.routes.iter().collect();
        all.sort_unstable_by_key(|x| x.0);
        all.into_iter()
    }

    /// The route to `p`.
    #[must_use]
    pub fn route(&self, p: &Ipv6Net) -> Option<&Route6> {
        self.routes.get(p)
    }

    /// Routes to AS boundary routers.
    #[must_use]
    pub fn asbr_routes(&self) -> &BTreeMap<RouterId, RouterRoute6> {
        &self.asbrs
    }

    /// The route to `p` as a `rib` route.
    #[must_use]
    pub fn rib_route(&self, p: &Ipv6Net) -> Option<Route> {
        let r = self.routes.get(p)?;
        let mut route = Route {
            prefix: ipnet::IpNet::V6(*p),
            protocol: Protocol::Ospfv3,
            path_type: r.path_type,
            metric: r.cost,
            type2_cost: r.type2_cost,
            next_hops: r.next_hops.to_vec(),
            tag: r.tag,
            kind: rib::RouteKind::Unicast,
        };
        route.normalize();
        Some(route)
    }

    fn spf(&self, area: AreaId) -> Option<&AreaSpf<Ipv6Net>> {
        self.spfs.iter().find(|x| x.0 == area).map(|x| &x.2)
    }

    /// The offer of an inter-area-prefix-LSA of `area` (RFC 2328 §16.2 (1)
    /// to (3): not ours, not LSInfinity, not NU).
    fn inter_cand(&self, area: AreaId, lsa: &Lsa) -> Option<(Ipv6Net, InterCand)> {
        let LsaBody::InterAreaPrefix(x) = lsa.body() else { return None };
        let adv = lsa.header().advertising_router;
        if adv == self.me || x.metric >= LS_INFINITY {
            return None;
        }
        let p = prefix(&x.prefix.prefix, x.prefix.options)?;
        Some((p, InterCand { area, adv, metric: x.metric }))
    }

    /// The offer of an AS-external-LSA or of an NSSA-LSA of `area` (RFC
    /// 2328 §16.4 (1), (2)).
    fn ext_cand(&self, area: Option<AreaId>, lsa: &Lsa) -> Option<(Ipv6Net, ExtCand)> {
        let (LsaBody::AsExternal(x) | LsaBody::Nssa(x)) = lsa.body() else { return None };
        let adv = lsa.header().advertising_router;
        if adv == self.me || x.metric >= LS_INFINITY {
            return None;
        }
        let p = prefix(&x.prefix.prefix, x.prefix.options)?;
        let forwarding = x.forwarding_address.filter(|a| !a.is_unspecified());
        let tag = x.external_route_tag;
        Some((p, ExtCand { area, adv, type2: x.e_bit, metric: x.metric, forwarding, tag }))
    }

    fn add_ext(&mut self, p: Ipv6Net, c: ExtCand) {
        if c.forwarding.is_some() {
            self.fa_prefixes.insert(p);
        }
        self.ext.entry(p).or_default().push(c);
    }

    fn remove_ext(&mut self, p: Ipv6Net, c: &ExtCand) {
        if let Some(list) = self.ext.get_mut(&p) {
            if let Some(pos) = list.iter().position(|x| x == c) {
                list.swap_remove(pos);
            }
            if list.is_empty() {
                self.ext.remove(&p);
                self.fa_prefixes.remove(&p);
            }
        }
    }

    /// The intra- or inter-area route to `p`: the best intra-area route
    /// over the areas, else (§4.8.3, RFC 2328 §16.2) over the area border
    /// router of each offer; "if the router is an area border router, only
    /// backbone summary-LSAs are examined."
    fn net_route(&self, p: Ipv6Net) -> Option<Route6> {
        let mut best: Option<Route6> = None;
        for (area, _, spf) in &self.spfs {
            if let Some(r) = spf.intra.get(&p) {
                let cand = Route6::new(PathType::IntraArea, r.cost, r.next_hops.clone(), *area);
                prefer(&mut best, cand);
            }
        }
        if best.is_none() {
            for c in self.inter.get(&p).into_iter().flatten() {
                if self.abr && !c.area.is_backbone() {
                    continue;
                }
                let Some(br) = self.spf(c.area).and_then(|s| s.routers.get(&c.adv)) else {
                    continue;
                };
                if br.flags & RouterFlags::B.0 == 0 {
                    continue;
                }
                let cost = br.dist.saturating_add(c.metric);
                prefer(
                    &mut best,
                    Route6::new(PathType::InterArea, cost, br.next_hops.clone(), c.area),
                );
            }
        }
        best
    }

    /// The external route to `p` (§4.8.5, RFC 2328 §16.4; RFC 3101 §2.5):
    /// an AS-external-LSA over the route to its ASBR or, with a forwarding
    /// address, to that address (intra- or inter-area); an NSSA-LSA only
    /// over intra-area paths in its NSSA. An AS-external route wins a tie
    /// with an NSSA one.
    fn ext_route(&self, p: Ipv6Net) -> Option<Route6> {
        let (mut as_ext, mut nssa): (Option<Route6>, Option<Route6>) = (None, None);
        for c in self.ext.get(&p).into_iter().flatten() {
            let (cost, next_hops) = match (c.area, c.forwarding) {
                (None, None) => {
                    let Some(asbr) = self.asbrs.get(&c.adv) else { continue };
                    (asbr.cost, asbr.next_hops.clone())
                }
                (None, Some(fa)) => {
                    let Some(fr) = self.lookup(fa) else { continue };
                    (fr.cost, via_forwarding(fr, fa))
                }
                (Some(area), None) => {
                    let Some(r) = self.spf(area).and_then(|s| s.routers.get(&c.adv)) else {
                        continue;
                    };
                    (r.dist, r.next_hops.clone())
                }
                (Some(area), Some(fa)) => {
                    let Some(fr) = self
                        .lookup(fa)
                        .filter(|r| r.path_type == PathType::IntraArea && r.area == Some(area))
                    else {
                        continue;
                    };
                    (fr.cost, via_forwarding(fr, fa))
                }
            };
            let cand = external_route(c.type2, cost, c.metric, next_hops, c.tag);
            prefer(if c.area.is_none() { &mut as_ext } else { &mut nssa }, cand);
        }
        match (as_ext, nssa) {
            (Some(a), Some(n)) if n.rank() < a.rank() => Some(n),
            (Some(a), _) => Some(a),
            (None, n) => n,
        }
    }

    /// Recomputes the route to `p`; whether it changed.
    fn recompute(&mut self, p: Ipv6Net) -> bool {
        let new = self.net_route(p).or_else(|| self.ext_route(p));
        match (new, self.routes.get_mut(&p)) {
            (Some(r), Some(old)) if *old == r => false,
            (Some(r), Some(old)) => {
                *old = r;
                true
            }
            (Some(r), None) => {
                self.routes.insert(p, r);
                true
            }
            (None, old) => old.is_some() && self.routes.remove(&p).is_some(),
        }
    }

    /// Recomputes the routes to `net` (prefixes whose intra- or inter-area
    /// offers changed), then to `ext` and, when a route in `net` changed,
    /// to every prefix with a forwarding address; returns every prefix
    /// looked at.
    fn recompute_all(&mut self, mut net: Vec<Ipv6Net>, mut ext: Vec<Ipv6Net>) -> Vec<Ipv6Net> {
        net.sort_unstable();
        net.dedup();
        let mut net_changed = false;
        for p in &net {
            net_changed |= self.recompute(*p);
        }
        // Routes through a forwarding address follow the route to it, which
        // may have changed after them; the others are done once.
        if net_changed {
            ext.extend(self.fa_prefixes.iter().copied());
        }
        ext.sort_unstable();
        ext.dedup();
        ext.retain(|p| net.binary_search(p).is_err() || self.fa_prefixes.contains(p));
        for p in &ext {
            self.recompute(*p);
        }
        net.extend(ext);
        net.sort_unstable();
        net.dedup();
        net
    }

    /// Applies a batch of LSA changes without Dijkstra when each changes
    /// only prefixes: intra-area-prefix-LSAs of other routers referencing
    /// their router-LSA, inter-area-prefix-, AS-external- and NSSA-LSAs
    /// (RFC 2328 §16.5 and §16.6 for OSPFv3's prefix LSAs); returns the
    /// prefixes whose route may have changed, or [`NeedsFull`] (the table is
    /// then unchanged).
    pub fn apply(&mut self, changes: &[LsaChange<Lsa>]) -> Result<Vec<Ipv6Net>, NeedsFull> {
        // Decide first, without touching anything.
        for c in changes {
            let Some(l) = c.old.as_ref().or(c.new.as_ref()) else { continue };
            let h = l.header();
            let in_spf = c.area.is_some_and(|a| self.spf(a).is_some());
            let ok = match h.ls_type {
                LsType::INTRA_AREA_PREFIX => {
                    in_spf
                        && h.advertising_router != self.me
                        && [&c.old, &c.new].into_iter().flatten().all(|l| {
                            matches!(l.body(), LsaBody::IntraAreaPrefix(x)
                                if x.referenced_ls_type == LsType::ROUTER)
                        })
                }
                LsType::INTER_AREA_PREFIX | LsType::NSSA => in_spf,
                LsType::AS_EXTERNAL => c.area.is_none(),
                LsType::ROUTER | LsType::NETWORK | LsType::INTER_AREA_ROUTER | LsType::LINK => {
                    false
                }
                // Other types do not take part in the calculation.
                _ => true,
            };
            if !ok {
                return Err(NeedsFull);
            }
        }
        let mut net: Vec<Ipv6Net> = Vec::new();
        let mut ext: Vec<Ipv6Net> = Vec::new();
        for c in changes {
            let Some(ty) = c.old.as_ref().or(c.new.as_ref()).map(|l| l.header().ls_type) else {
                continue;
            };
            match (ty, c.area) {
                (LsType::INTRA_AREA_PREFIX, Some(area)) => {
                    let old = c.old.as_deref().map(stub_entries).unwrap_or_default();
                    let new = c.new.as_deref().map(stub_entries).unwrap_or_default();
                    if let Some(spf) = self.spfs.iter_mut().find(|x| x.0 == area) {
                        net.extend(spf.2.update_stub_entries(&old, &new));
                    }
                }
                (LsType::INTER_AREA_PREFIX, Some(area)) => {
                    for (l, add) in [(&c.old, false), (&c.new, true)] {
                        let Some((p, cand)) = l.as_deref().and_then(|l| self.inter_cand(area, l))
                        else {
                            continue;
                        };
                        let list = self.inter.entry(p).or_default();
                        if add {
                            list.push(cand);
                        } else if let Some(pos) = list.iter().position(|x| *x == cand) {
                            list.swap_remove(pos);
                        }
                        if list.is_empty() {
                            self.inter.remove(&p);
                        }
                        net.push(p);
                    }
                }
                // As the full calculation: NSSA-LSAs count in NSSAs only.
                (LsType::NSSA, Some(area)) if !self.spfs.iter().any(|x| x.0 == area && x.1) => {}
                (LsType::AS_EXTERNAL | LsType::NSSA, area) => {
                    let area = area.filter(|_| ty == LsType::NSSA);
                    if let Some((p, cand)) = c.old.as_deref().and_then(|l| self.ext_cand(area, l)) {
                        self.remove_ext(p, &cand);
                        ext.push(p);
                    }
                    if let Some((p, cand)) = c.new.as_deref().and_then(|l| self.ext_cand(area, l)) {
                        self.add_ext(p, cand);
                        ext.push(p);
                    }
                }
                _ => {}
            }
        }
        Ok(self.recompute_all(net, ext))
    }
}

/// The prefixes an intra-area-prefix-LSA attaches to its router.
fn stub_entries(lsa: &Lsa) -> Vec<(Ipv6Net, RouterId, u32)> {
    let adv = lsa.header().advertising_router;
    match lsa.body() {
        LsaBody::IntraAreaPrefix(x)
            if x.referenced_ls_type == LsType::ROUTER && x.referenced_advertising_router == adv =>
        {
            x.prefixes
                .iter()
                .filter_map(|p| Some((prefix(&p.prefix, p.options)?, adv, u32::from(p.metric))))
                .collect()
        }
        _ => Vec::new(),
    }
}

impl AreaSpf<Ipv6Net> {
    /// OSPFv3's calculation of one area (RFC 5340 §4.8.1) for `root` over the
    /// router-, network- and intra-area-prefix-LSAs of `lsdb` (MaxAge LSAs at
    /// `now` ignored), the counterpart of OSPFv2's [`AreaSpf::compute`]:
    /// `interfaces` are the root's, named by Interface ID; `own` the
    /// prefixes on them; `resolve(ifindex, neighbour, its Interface ID)` gives
    /// a neighbour's link-local address, which the engine reads from the
    /// neighbour's link-LSA. Public so that SPF can be measured on its own.
    #[must_use]
    pub fn compute_v3(
        lsdb: &LinkStateDb<V3>,
        root: RouterId,
        interfaces: &[RootInterface],
        own: Vec<(Ipv6Net, u32)>,
        resolve: &dyn Fn(u32, RouterId, u32) -> Option<IpAddr>,
        now: Instant,
    ) -> Self {
        AreaSpf::from_graph(graph(lsdb, now), root, interfaces, own, resolve)
    }
}

/// One area's input to [`RoutingTable6::compute`].
pub struct AreaInput6<'a> {
    /// The area.
    pub area: AreaId,
    /// Whether it is an NSSA (its NSSA-LSAs count).
    pub nssa: bool,
    /// Its database.
    pub lsdb: &'a LinkStateDb<V3>,
    /// The root's interfaces in it, named by Interface ID.
    pub interfaces: Vec<RootInterface>,
    /// The prefixes on them, with the interface each is on.
    pub own: Vec<(Ipv6Net, u32)>,
}

impl RoutingTable6 {
    /// The full OSPFv3 routing table calculation for `me`: per area, the
    /// shared SPF over the graph of the area's router- and network-LSAs,
    /// with the prefixes of its intra-area-prefix-LSAs (RFC 5340 §4.8.1);
    /// then the offers of the prefix LSAs, from which each prefix's route
    /// is chosen as [`RoutingTable6::apply`] chooses it after a change.
    /// `resolve(ifindex, neighbour, its Interface ID)` gives a neighbour's
    /// link-local address (the engine reads it from the neighbour's
    /// link-LSA); MaxAge LSAs at `now` are ignored.
    #[must_use]
    pub fn compute(
        me: RouterId,
        areas: &[AreaInput6<'_>],
        as_lsdb: &LinkStateDb<V3>,
        resolve: &dyn Fn(u32, RouterId, u32) -> Option<IpAddr>,
        now: Instant,
    ) -> Self {
        let mut t = RoutingTable6 { me, ..RoutingTable6::default() };
        for a in areas {
            let g = graph(a.lsdb, now);
            let spf = AreaSpf::from_graph(g, me, &a.interfaces, a.own.clone(), resolve);
            t.spfs.push((a.area, a.nssa, spf));
        }
        t.abr = t.spfs.len() > 1;
        t.asbrs = t.compute_asbr_routes(areas, now);
        let mut net: Vec<Ipv6Net> = t.spfs.iter().flat_map(|x| x.2.intra.keys().copied()).collect();
        let mut ext: Vec<Ipv6Net> = Vec::new();
        for a in areas {
            let ty = LsType::INTER_AREA_PREFIX.0;
            for (_, e) in a.lsdb.iter_codes(ty, ty) {
                if let Some((p, c)) = t.inter_cand(a.area, &e.lsa).filter(|_| !e.is_max_age(now)) {
                    t.inter.entry(p).or_default().push(c);
                    net.push(p);
                }
            }
            if a.nssa {
                let ty = LsType::NSSA.0;
                for (_, e) in a.lsdb.iter_codes(ty, ty) {
                    if let Some((p, c)) =
                        t.ext_cand(Some(a.area), &e.lsa).filter(|_| !e.is_max_age(now))
                    {
                        t.add_ext(p, c);
                        ext.push(p);
                    }
                }
            }
        }
        let ty = LsType::AS_EXTERNAL.0;
        for (_, e) in as_lsdb.iter_codes(ty, ty) {
            if let Some((p, c)) = t.ext_cand(None, &e.lsa).filter(|_| !e.is_max_age(now)) {
                t.add_ext(p, c);
                ext.push(p);
            }
        }
        t.routes.reserve(net.len() + ext.len());
        t.recompute_all(net, ext);
        t
    }

    /// Routes to AS boundary routers: intra-area from each area's tree
    /// (E bit of their router-LSA), else inter-area from the
    /// inter-area-router-LSAs of area border routers (backbone only at an
    /// ABR).
    fn compute_asbr_routes(
        &self,
        areas: &[AreaInput6<'_>],
        now: Instant,
    ) -> BTreeMap<RouterId, RouterRoute6> {
        let me = self.me;
        let mut out: BTreeMap<RouterId, RouterRoute6> = BTreeMap::new();
        let keep = |out: &mut BTreeMap<RouterId, RouterRoute6>, rid, cand: RouterRoute6| match out
            .get_mut(&rid)
        {
            Some(b) if (b.path_type, b.cost) < (cand.path_type, cand.cost) => {}
            Some(b) if (b.path_type, b.cost) == (cand.path_type, cand.cost) => {
                merge_next_hops(&mut b.next_hops, &cand.next_hops);
            }
            _ => {
                out.insert(rid, cand);
            }
        };
        for (area, _, spf) in &self.spfs {
            for (rid, r) in &spf.routers {
                if *rid != me && r.flags & RouterFlags::E.0 != 0 {
                    let cand = RouterRoute6 {
                        path_type: PathType::IntraArea,
                        cost: r.dist,
                        next_hops: r.next_hops.clone(),
                        area: *area,
                    };
                    keep(&mut out, *rid, cand);
                }
            }
        }
        for a in areas {
            let area = &a.area;
            let Some(spf) = self.spf(*area) else { continue };
            if self.abr && !area.is_backbone() {
                continue;
            }
            let ty = LsType::INTER_AREA_ROUTER.0;
            for (k, e) in a.lsdb.iter_codes(ty, ty) {
                let LsaBody::InterAreaRouter(x) = e.lsa.body() else { continue };
                let asbr = x.destination_router_id;
                if e.is_max_age(now)
                    || k.advertising_router == me
                    || asbr == me
                    || x.metric >= LS_INFINITY
                    || out.get(&asbr).is_some_and(|r| r.path_type == PathType::IntraArea)
                {
                    continue;
                }
                let Some(br) = spf.routers.get(&k.advertising_router) else { continue };
                if br.flags & RouterFlags::B.0 == 0 {
                    continue;
                }
                let cand = RouterRoute6 {
                    path_type: PathType::InterArea,
                    cost: br.dist.saturating_add(x.metric),
                    next_hops: br.next_hops.clone(),
                    area: *area,
                };
                keep(&mut out, asbr, cand);
            }
        }
        out
    }
}

impl OspfInstance<V3> {
    /// The full OSPFv3 routing table calculation ([`RoutingTable6::compute`])
    /// over the areas with an interface up.
    #[must_use]
    pub fn compute_table_v3(&self, now: Instant) -> RoutingTable6 {
        let mut inputs = Vec::new();
        for (area, a) in &self.areas {
            let ifs: Vec<_> = self
                .interfaces
                .values()
                .filter(|i| i.cfg.area == *area && i.state != IfState::Down)
                .collect();
            if ifs.is_empty() {
                continue;
            }
            // The root's interfaces are named by Interface ID (= ifindex).
            let interfaces = ifs
                .iter()
                .map(|i| RootInterface { ifindex: i.cfg.ifindex, addr: i.cfg.ifindex, mask: 0 })
                .collect();
            let own = ifs
                .iter()
                .flat_map(|i| {
                    let ix = i.cfg.ifindex;
                    i.addr.iter().flat_map(move |x| x.prefixes.iter().map(move |p| (p.trunc(), ix)))
                })
                .collect();
            let nssa = a.is_nssa();
            inputs.push(AreaInput6 { area: *area, nssa, lsdb: &a.lsdb, interfaces, own });
        }
        // §4.8.1: "the next hop ... is the link-local address of the
        // neighbor, found in the neighbor's link-LSA" on that link.
        let resolve = |ifindex: u32, rid: RouterId, iface_id: u32| -> Option<IpAddr> {
            let k =
                LsaKey { ls_type: LsType::LINK, link_state_id: iface_id, advertising_router: rid };
            let e = self.interfaces.get(&ifindex)?.link_lsdb.get(&k)?;
            match e.lsa.body() {
                LsaBody::Link(l) if !e.is_max_age(now) => Some(IpAddr::V6(l.link_local_address)),
                _ => None,
            }
        };
        RoutingTable6::compute(self.cfg.router_id, &inputs, &self.as_lsdb, &resolve, now)
    }
}

/// The next hops of a route through forwarding address `fa`, reached by
/// route `fr`: on a directly attached network, `fa` itself.
fn via_forwarding(fr: &Route6, fa: Ipv6Addr) -> NextHops {
    let mut nhs: Vec<rib::NextHop> = fr
        .next_hops
        .iter()
        .map(|nh| rib::NextHop { addr: nh.addr.or(Some(IpAddr::V6(fa))), ifindex: nh.ifindex })
        .collect();
    nhs.sort_unstable();
    nhs.dedup();
    nhs.into()
}

/// A type 1 route costs the path plus its metric; a type 2 route the path,
/// compared by its type 2 metric first.
fn external_route(
    type2: bool,
    cost: u32,
    metric: u32,
    next_hops: NextHops,
    tag: Option<u32>,
) -> Route6 {
    if type2 {
        Route6 {
            path_type: PathType::Type2External,
            cost,
            type2_cost: Some(metric),
            next_hops,
            area: None,
            tag,
        }
    } else {
        Route6 {
            path_type: PathType::Type1External,
            cost: cost.saturating_add(metric),
            type2_cost: None,
            next_hops,
            area: None,
            tag,
        }
    }
}

/// Keeps the preferred of `cand` and `best`, both when equal.
fn prefer(best: &mut Option<Route6>, cand: Route6) {
    match best {
        Some(b) if b.rank() < cand.rank() => {}
        Some(b) if b.rank() == cand.rank() => merge_next_hops(&mut b.next_hops, &cand.next_hops),
        _ => *best = Some(cand),
    }
}

/// An IPv6 prefix of an LSA as a table key; `None` for NU (no unicast).
fn prefix(p: &Ipv6Prefix, options: PrefixOptions) -> Option<Ipv6Net> {
    if options.contains(PrefixOptions::NU) {
        return None;
    }
    Ipv6Net::new(p.network(), p.length()).ok()
}

/// The graph of one OSPFv3 area (RFC 5340 §4.8.1): a router vertex per
/// Advertising Router of router-LSAs (all of its router-LSAs together), a
/// network vertex per network-LSA named by (DR Router ID, DR Interface
/// ID), and the prefixes of intra-area-prefix-LSAs on the vertices they
/// reference.
fn graph(lsdb: &LinkStateDb<V3>, now: Instant) -> Graph<'_, Ipv6Net> {
    let net_id = |rid: RouterId, iface: u32| (u64::from(rid.0) << 32) | u64::from(iface);
    // Networks first, so that transit links can name theirs by index.
    let mut networks: Vec<&[RouterId]> = Vec::new();
    let mut nix: FxHashMap<u64, usize> = FxHashMap::default();
    for (k, e) in lsdb.iter_codes(LsType::NETWORK.0, LsType::NETWORK.0) {
        let LsaBody::Network(n) = e.lsa.body() else { continue };
        if e.is_max_age(now) {
            continue;
        }
        nix.insert(net_id(k.advertising_router, k.link_state_id), networks.len());
        networks.push(&n.attached_routers);
    }
    // A router vertex per Advertising Router, all its router-LSAs together:
    // they come in (Link State ID, Advertising Router) order, so grouping
    // needs a sort only when some router has several.
    let mut lsas: Vec<(u32, &ospf_wire::v3::RouterLsa)> = Vec::with_capacity(lsdb.len());
    for (k, e) in lsdb.iter_codes(LsType::ROUTER.0, LsType::ROUTER.0) {
        if let LsaBody::Router(r) = e.lsa.body() {
            if !e.is_max_age(now) {
                lsas.push((k.advertising_router.0, r));
            }
        }
    }
    if !lsas.is_sorted_by_key(|x| x.0) {
        lsas.sort_by_key(|x| x.0);
    }
    let mut g = Graph {
        routers: Vec::with_capacity(lsas.len()),
        flat: Vec::with_capacity(lsas.iter().map(|x| x.1.interfaces.len()).sum()),
        networks,
        net_prefixes: Vec::new(),
        stubs: Vec::new(),
        by_interface_id: true,
    };
    for group in lsas.chunk_by(|a, b| a.0 == b.0) {
        let start = g.flat.len();
        for (_, r) in group {
            for i in &r.interfaces {
                let link_id = match i.link_type {
                    RouterLinkType::POINT_TO_POINT => i.neighbor_router_id.0,
                    RouterLinkType::TRANSIT => nix
                        .get(&net_id(i.neighbor_router_id, i.neighbor_interface_id))
                        .map_or(NO_NETWORK, |j| *j as u32),
                    _ => continue,
                };
                g.flat.push(Link {
                    link_type: crate::lsa::RouterLinkType(i.link_type.0),
                    link_id,
                    link_data: i.interface_id,
                    nbr_data: i.neighbor_interface_id,
                    metric: i.metric,
                });
            }
        }
        g.routers.push((group[0].0, group[0].1.flags.0, start, g.flat.len()));
    }
    for (k, e) in lsdb.iter_codes(LsType::INTRA_AREA_PREFIX.0, LsType::INTRA_AREA_PREFIX.0) {
        let LsaBody::IntraAreaPrefix(x) = e.lsa.body() else { continue };
        if e.is_max_age(now) || x.referenced_advertising_router != k.advertising_router {
            continue;
        }
        let entries = x
            .prefixes
            .iter()
            .filter_map(|p| Some((prefix(&p.prefix, p.options)?, u32::from(p.metric))));
        match x.referenced_ls_type {
            LsType::ROUTER => {
                g.stubs.extend(entries.map(|(p, m)| (p, k.advertising_router, m)));
            }
            LsType::NETWORK => {
                let id = net_id(k.advertising_router, x.referenced_link_state_id);
                if let Some(j) = nix.get(&id) {
                    g.net_prefixes.extend(entries.map(|(p, m)| (p, *j, m)));
                }
            }
            _ => {}
        }
    }
    g
}
