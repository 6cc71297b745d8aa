//! The OSPF routing table (RFC 2328 §11, §16): intra-area routes from each
//! area's SPF, inter-area routes from summary-LSAs (§16.2) and AS-external
//! routes (§16.4), plus the routes to area border and AS boundary routers.
//!
//! [`RoutingTable::compute`] is the full calculation and the reference;
//! [`RoutingTable::apply`] applies a batch of LSA changes incrementally when
//! they allow it (stub links of router-LSAs, summary-LSAs, AS-external-LSAs)
//! and reports when a full run is needed instead.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Instant;

use rib::{NextHop, PathType, Protocol, Route};

use crate::hash::{FxHashMap, FxHashSet};
use crate::lsa::{LsType, Lsa, LsaBody, LsaExt, RouterFlags};
use crate::lsdb::Lsdb;
use crate::spf::{merge_next_hops, only_stubs_differ, AreaSpf, NextHops, Prefix, RootInterface};
use crate::types::{consts::LS_INFINITY, AreaId, RouterId};

/// One area's input to the calculation.
#[derive(Debug, Clone, Copy)]
pub struct AreaInput<'a> {
    /// The area.
    pub area: AreaId,
    /// Its database.
    pub lsdb: &'a Lsdb,
    /// The calculating router's interfaces in the area.
    pub interfaces: &'a [RootInterface],
}

/// A route to a network as OSPF sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OspfRoute {
    /// Intra-area, inter-area, type 1 or type 2 external.
    pub path_type: PathType,
    /// Cost (for type 2: cost to the ASBR or forwarding address).
    pub cost: u32,
    /// Type 2 external cost.
    pub type2_cost: Option<u32>,
    /// Equal-cost next hops, sorted.
    pub next_hops: NextHops,
    /// External route tag.
    pub tag: Option<u32>,
    /// Area of an intra- or inter-area route.
    pub area: Option<AreaId>,
}

/// A route to an area border router or AS boundary router
/// ("Intra-Area Router" in `ospfctl show rib`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouterRoute {
    /// Intra-area or inter-area.
    pub path_type: PathType,
    /// Cost.
    pub cost: u32,
    /// Next hops.
    pub next_hops: NextHops,
    /// Area the route was found in.
    pub area: AreaId,
    /// The router is an area border router.
    pub abr: bool,
    /// The router is an AS boundary router.
    pub asbr: bool,
}

/// A change to one LSA seen by the routing calculation: `None` stands for
/// absent or MaxAge.
#[derive(Debug, Clone)]
pub struct LsaChange<L = Lsa> {
    /// The area of an area-scope LSA; `None` for AS scope.
    pub area: Option<AreaId>,
    /// The instance before.
    pub old: Option<Arc<L>>,
    /// The instance after.
    pub new: Option<Arc<L>>,
}

/// The batch cannot be applied incrementally: run [`RoutingTable::compute`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NeedsFull;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SummaryCand {
    area: AreaId,
    adv: RouterId,
    metric: u32,
}

/// The order of AS-external paths (§16.4 step 6), lower preferred: type,
/// type 2 metric, §16.4.1 class of the intra-AS path, cost.
type ExtKey = (u8, u32, u8, u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ExtCand {
    adv: RouterId,
    type2: bool,
    metric: u32,
    forwarding: u32,
    tag: u32,
}

/// The routing table.
#[derive(Debug, Clone, Default)]
pub struct RoutingTable {
    router_id: RouterId,
    abr: bool,
    areas: BTreeMap<AreaId, AreaSpf>,
    summaries: FxHashMap<Prefix, Vec<SummaryCand>>,
    externals: FxHashMap<Prefix, Vec<ExtCand>>,
    fa_externals: FxHashSet<Prefix>,
    net: FxHashMap<Prefix, OspfRoute>,
    ext: FxHashMap<Prefix, OspfRoute>,
    routers: BTreeMap<RouterId, RouterRoute>,
}

/// The preference class of an intra-AS path to an ASBR or a forwarding
/// address (§16.4.1, RFC1583Compatibility disabled, the default of FRR
/// and BIRD): "Intra-area paths using non-backbone areas are always the
/// most preferred. The other paths, intra-area backbone paths and
/// inter-area paths, are of equal preference." Lower is preferred.
fn path_class(path_type: PathType, area: Option<AreaId>) -> u8 {
    let non_backbone_intra =
        path_type == PathType::IntraArea && area.is_some_and(|a| !a.is_backbone());
    u8::from(!non_backbone_intra)
}

/// Orders the routing table entries of one ASBR (lower is preferred): an
/// entry that sees the AS boundary (E) bit first, then §16.4.1: preference
/// class, cost, and "the one having the largest OSPF Area ID".
fn router_route_key(r: &RouterRoute) -> (u8, u8, u32, std::cmp::Reverse<AreaId>) {
    (u8::from(!r.asbr), path_class(r.path_type, Some(r.area)), r.cost, std::cmp::Reverse(r.area))
}

/// Keeps the preferred of `cand` and the entry already in `routers`.
fn prefer_router_route(
    routers: &mut BTreeMap<RouterId, RouterRoute>,
    rid: RouterId,
    cand: RouterRoute,
) {
    match routers.get_mut(&rid) {
        Some(b) => {
            let abr = b.abr || cand.abr;
            match router_route_key(b).cmp(&router_route_key(&cand)) {
                std::cmp::Ordering::Less => {}
                std::cmp::Ordering::Equal => merge_next_hops(&mut b.next_hops, &cand.next_hops),
                std::cmp::Ordering::Greater => *b = cand,
            }
            b.abr = abr;
        }
        None => {
            routers.insert(rid, cand);
        }
    }
}

fn better_or_equal(
    best: &mut Option<OspfRoute>,
    cand: OspfRoute,
    key: impl Fn(&OspfRoute) -> (u8, u32, u32),
) {
    match best {
        Some(b) if key(b) < key(&cand) => {}
        Some(b) if key(b) == key(&cand) => merge_next_hops(&mut b.next_hops, &cand.next_hops),
        _ => *best = Some(cand),
    }
}

impl RoutingTable {
    /// The full calculation (§16.1 per area, then §16.2 and §16.4).
    /// `as_lsdb` holds the AS-external-LSAs.
    #[must_use]
    pub fn compute(
        router_id: RouterId,
        areas: &[AreaInput<'_>],
        as_lsdb: &Lsdb,
        now: Instant,
    ) -> Self {
        let mut t = RoutingTable { router_id, abr: areas.len() > 1, ..RoutingTable::default() };
        for a in areas {
            t.areas.insert(a.area, AreaSpf::compute(a.lsdb, router_id, a.interfaces, now));
        }
        // §16.2: "If the router is an area border router, only backbone
        // summary-LSAs are examined."
        let mut asbr_summaries: Vec<(RouterId, SummaryCand)> = Vec::new();
        for a in areas {
            if t.abr && !a.area.is_backbone() {
                continue;
            }
            for (_, e) in a.lsdb.iter_types(LsType::SUMMARY_NETWORK, LsType::SUMMARY_ASBR) {
                if e.is_max_age(now) {
                    continue;
                }
                if let Some((p, c)) = t.summary_cand(a.area, &e.lsa) {
                    t.summaries.entry(p).or_default().push(c);
                } else if let Some(c) = t.asbr_summary_cand(a.area, &e.lsa) {
                    asbr_summaries.push((RouterId::from(e.lsa.header().link_state_id), c));
                }
            }
        }
        t.compute_router_routes(&asbr_summaries);
        for (_, e) in as_lsdb.iter_types(LsType::AS_EXTERNAL, LsType::AS_EXTERNAL) {
            if !e.is_max_age(now) {
                if let Some((p, c)) = t.ext_cand(&e.lsa) {
                    t.add_ext(p, c);
                }
            }
        }
        // RFC 3101 §2.5: type 7 LSAs of an NSSA are external routes inside it.
        for a in areas {
            for (_, e) in a.lsdb.iter_types(LsType::NSSA, LsType::NSSA) {
                if !e.is_max_age(now) {
                    if let Some((p, c)) = t.ext_cand(&e.lsa) {
                        t.add_ext(p, c);
                    }
                }
            }
        }
        let mut net: FxHashMap<Prefix, OspfRoute> = FxHashMap::default();
        net.reserve(t.areas.values().map(|a| a.intra.len()).sum::<usize>() + t.summaries.len());
        let prefixes = t.areas.values().flat_map(|a| a.intra.keys()).chain(t.summaries.keys());
        for p in prefixes {
            if let std::collections::hash_map::Entry::Vacant(v) = net.entry(*p) {
                if let Some(r) = t.net_route(*p) {
                    v.insert(r);
                }
            }
        }
        t.net = net;
        let ext: Vec<Prefix> = t.externals.keys().copied().collect();
        for p in ext {
            t.recompute_ext(p);
        }
        t
    }

    fn summary_cand(&self, area: AreaId, lsa: &Lsa) -> Option<(Prefix, SummaryCand)> {
        let h = lsa.header();
        if h.advertising_router == self.router_id {
            return None;
        }
        let LsaBody::SummaryNetwork(s) = lsa.body() else {
            return None;
        };
        if s.metric >= LS_INFINITY {
            return None;
        }
        let p = Prefix::from_mask(u32::from(h.link_state_id), u32::from(s.network_mask))?;
        Some((p, SummaryCand { area, adv: h.advertising_router, metric: s.metric }))
    }

    fn asbr_summary_cand(&self, area: AreaId, lsa: &Lsa) -> Option<SummaryCand> {
        let h = lsa.header();
        if h.advertising_router == self.router_id {
            return None;
        }
        let LsaBody::SummaryAsbr(s) = lsa.body() else {
            return None;
        };
        let adv = h.advertising_router;
        (s.metric < LS_INFINITY).then_some(SummaryCand { area, adv, metric: s.metric })
    }

    fn ext_cand(&self, lsa: &Lsa) -> Option<(Prefix, ExtCand)> {
        let h = lsa.header();
        // §16.4 (1)/(2): skip LSInfinity and our own LSAs.
        if h.advertising_router == self.router_id {
            return None;
        }
        let (LsaBody::AsExternal(e) | LsaBody::Nssa(e)) = lsa.body() else {
            return None;
        };
        if e.metric >= LS_INFINITY {
            return None;
        }
        let p = Prefix::from_mask(u32::from(h.link_state_id), u32::from(e.network_mask))?;
        Some((
            p,
            ExtCand {
                adv: h.advertising_router,
                type2: e.e_bit,
                metric: e.metric,
                forwarding: u32::from(e.forwarding_address),
                tag: e.external_route_tag,
            },
        ))
    }

    fn add_ext(&mut self, p: Prefix, c: ExtCand) {
        if c.forwarding != 0 {
            self.fa_externals.insert(p);
        }
        self.externals.entry(p).or_default().push(c);
    }

    fn remove_ext(&mut self, p: Prefix, c: ExtCand) {
        if let Some(list) = self.externals.get_mut(&p) {
            if let Some(pos) = list.iter().position(|x| *x == c) {
                list.swap_remove(pos);
            }
            if list.is_empty() {
                self.externals.remove(&p);
            }
        }
        if !self.externals.get(&p).is_some_and(|l| l.iter().any(|c| c.forwarding != 0)) {
            self.fa_externals.remove(&p);
        }
    }

    fn compute_router_routes(&mut self, asbr_summaries: &[(RouterId, SummaryCand)]) {
        self.routers.clear();
        for (area, spf) in &self.areas {
            for (rid, r) in &spf.routers {
                if *rid == self.router_id || r.flags & (RouterFlags::B.0 | RouterFlags::E.0) == 0 {
                    continue;
                }
                let cand = RouterRoute {
                    path_type: PathType::IntraArea,
                    cost: r.dist,
                    next_hops: r.next_hops.clone(),
                    area: *area,
                    abr: r.flags & RouterFlags::B.0 != 0,
                    asbr: r.flags & RouterFlags::E.0 != 0,
                };
                prefer_router_route(&mut self.routers, *rid, cand);
            }
        }
        // §16.2 for type 4: inter-area routes to AS boundary routers.
        let mut inter: BTreeMap<RouterId, RouterRoute> = BTreeMap::new();
        for (asbr, c) in asbr_summaries {
            if *asbr == self.router_id {
                continue;
            }
            let Some(br) = self.areas.get(&c.area).and_then(|a| a.routers.get(&c.adv)) else {
                continue;
            };
            if br.flags & RouterFlags::B.0 == 0 {
                continue;
            }
            let cand = RouterRoute {
                path_type: PathType::InterArea,
                cost: br.dist.saturating_add(c.metric),
                next_hops: br.next_hops.clone(),
                area: c.area,
                abr: false,
                asbr: true,
            };
            match inter.get_mut(asbr) {
                Some(b) if b.cost < cand.cost => {}
                Some(b) if b.cost == cand.cost => {
                    merge_next_hops(&mut b.next_hops, &cand.next_hops)
                }
                _ => {
                    inter.insert(*asbr, cand);
                }
            }
        }
        for (rid, cand) in inter {
            prefer_router_route(&mut self.routers, rid, cand);
        }
    }

    /// Recomputes the intra- or inter-area route to `p`.
    fn recompute_net(&mut self, p: Prefix) {
        match self.net_route(p) {
            Some(b) => {
                self.net.insert(p, b);
            }
            None => {
                self.net.remove(&p);
            }
        }
    }

    /// The intra- or inter-area route to `p`.
    fn net_route(&self, p: Prefix) -> Option<OspfRoute> {
        let mut best: Option<OspfRoute> = None;
        for (area, spf) in &self.areas {
            if let Some(r) = spf.intra.get(&p) {
                let cand = OspfRoute {
                    path_type: PathType::IntraArea,
                    cost: r.cost,
                    type2_cost: None,
                    next_hops: r.next_hops.clone(),
                    tag: None,
                    area: Some(*area),
                };
                better_or_equal(&mut best, cand, |r| (0, r.cost, 0));
            }
        }
        if best.is_none() {
            for c in self.summaries.get(&p).into_iter().flatten() {
                let Some(br) = self.areas.get(&c.area).and_then(|a| a.routers.get(&c.adv)) else {
                    continue;
                };
                if br.flags & RouterFlags::B.0 == 0 {
                    continue;
                }
                let cand = OspfRoute {
                    path_type: PathType::InterArea,
                    cost: br.dist.saturating_add(c.metric),
                    type2_cost: None,
                    next_hops: br.next_hops.clone(),
                    tag: None,
                    area: Some(c.area),
                };
                better_or_equal(&mut best, cand, |r| (0, r.cost, 0));
            }
        }
        best
    }

    /// The longest-match intra- or inter-area route covering `a`.
    fn lookup_net(&self, a: u32) -> Option<&OspfRoute> {
        (0..=32u8).rev().find_map(|len| {
            let addr = a & crate::lsa::len_to_mask(len);
            self.net.get(&Prefix { addr, len })
        })
    }

    /// Recomputes the AS-external route to `p` (§16.4).
    fn recompute_ext(&mut self, p: Prefix) {
        let mut best: Option<(OspfRoute, ExtKey)> = None;
        if !self.net.contains_key(&p) {
            for c in self.externals.get(&p).into_iter().flatten() {
                let Some(asbr) = self.routers.get(&c.adv).filter(|r| r.asbr) else {
                    continue;
                };
                let (x, next_hops, class) = if c.forwarding == 0 {
                    (asbr.cost, asbr.next_hops.clone(), path_class(asbr.path_type, Some(asbr.area)))
                } else {
                    // §16.4 (3): "look up the routing table entry for the
                    // forwarding address"; it must be intra- or inter-area.
                    let Some(fr) = self.lookup_net(c.forwarding) else {
                        continue;
                    };
                    let fa = IpAddr::V4(Ipv4Addr::from(c.forwarding));
                    let mut nhs: Vec<NextHop> = fr
                        .next_hops
                        .iter()
                        .map(|nh| NextHop { addr: nh.addr.or(Some(fa)), ifindex: nh.ifindex })
                        .collect();
                    nhs.sort_unstable();
                    nhs.dedup();
                    let nhs: NextHops = nhs.into();
                    (fr.cost, nhs, path_class(fr.path_type, fr.area))
                };
                let cand = if c.type2 {
                    OspfRoute {
                        path_type: PathType::Type2External,
                        cost: x,
                        type2_cost: Some(c.metric),
                        next_hops,
                        tag: Some(c.tag),
                        area: None,
                    }
                } else {
                    OspfRoute {
                        path_type: PathType::Type1External,
                        cost: x.saturating_add(c.metric),
                        type2_cost: None,
                        next_hops,
                        tag: Some(c.tag),
                        area: None,
                    }
                };
                // §16.4 (6): type 1 paths are preferred over type 2; type 2
                // paths compare the type 2 metric; then the intra-AS paths
                // to the ASBRs or forwarding addresses by §16.4.1, then the
                // cost.
                let key = match cand.type2_cost {
                    Some(t2) => (1, t2, class, cand.cost),
                    None => (0, 0, class, cand.cost),
                };
                match &mut best {
                    Some((_, k)) if *k < key => {}
                    Some((b, k)) if *k == key => merge_next_hops(&mut b.next_hops, &cand.next_hops),
                    _ => best = Some((cand, key)),
                }
            }
        }
        match best.map(|x| x.0) {
            Some(b) => {
                self.ext.insert(p, b);
            }
            None => {
                self.ext.remove(&p);
            }
        }
    }

    /// Applies a batch of LSA changes without rerunning Dijkstra when every
    /// change allows it; returns the prefixes whose route may have changed,
    /// or [`NeedsFull`] (the table is then unchanged).
    pub fn apply(&mut self, changes: &[LsaChange]) -> Result<Vec<Prefix>, NeedsFull> {
        // First decide, without touching anything.
        for c in changes {
            let ty = c.old.as_ref().or(c.new.as_ref()).map(|l| l.header().ls_type);
            let ok = match ty {
                Some(LsType::ROUTER) => match (&c.old, &c.new, c.area) {
                    (Some(o), Some(n), Some(area)) => {
                        self.areas.contains_key(&area) && only_stubs_differ(o.body(), n.body())
                    }
                    _ => false,
                },
                Some(LsType::SUMMARY_NETWORK) => c.area.is_some(),
                Some(LsType::AS_EXTERNAL) => c.area.is_none(),
                Some(LsType::NSSA) => c.area.is_some_and(|a| self.areas.contains_key(&a)),
                Some(LsType::NETWORK) | Some(LsType::SUMMARY_ASBR) => false,
                // Other types do not take part in the calculation.
                _ => true,
            };
            if !ok {
                return Err(NeedsFull);
            }
        }
        let mut net_touched: Vec<Prefix> = Vec::new();
        let mut ext_touched: Vec<Prefix> = Vec::new();
        for c in changes {
            let Some(ty) = c.old.as_ref().or(c.new.as_ref()).map(|l| l.header().ls_type) else {
                continue;
            };
            match ty {
                LsType::ROUTER => {
                    let (Some(o), Some(n), Some(area)) = (&c.old, &c.new, c.area) else {
                        continue;
                    };
                    let (LsaBody::Router(ol), LsaBody::Router(nl)) = (o.body(), n.body()) else {
                        continue;
                    };
                    if let Some(spf) = self.areas.get_mut(&area) {
                        net_touched.extend(spf.update_stubs(
                            o.key().advertising_router,
                            &ol.links,
                            &nl.links,
                        ));
                    }
                }
                LsType::SUMMARY_NETWORK => {
                    let Some(area) = c.area else { continue };
                    if self.abr && !area.is_backbone() {
                        continue;
                    }
                    if let Some((p, cand)) =
                        c.old.as_deref().and_then(|l| self.summary_cand(area, l))
                    {
                        if let Some(list) = self.summaries.get_mut(&p) {
                            if let Some(pos) = list.iter().position(|x| *x == cand) {
                                list.swap_remove(pos);
                            }
                            if list.is_empty() {
                                self.summaries.remove(&p);
                            }
                        }
                        net_touched.push(p);
                    }
                    if let Some((p, cand)) =
                        c.new.as_deref().and_then(|l| self.summary_cand(area, l))
                    {
                        self.summaries.entry(p).or_default().push(cand);
                        net_touched.push(p);
                    }
                }
                LsType::AS_EXTERNAL | LsType::NSSA => {
                    if let Some((p, cand)) = c.old.as_deref().and_then(|l| self.ext_cand(l)) {
                        self.remove_ext(p, cand);
                        ext_touched.push(p);
                    }
                    if let Some((p, cand)) = c.new.as_deref().and_then(|l| self.ext_cand(l)) {
                        self.add_ext(p, cand);
                        ext_touched.push(p);
                    }
                }
                _ => {}
            }
        }
        net_touched.sort_unstable();
        net_touched.dedup();
        let mut net_changed = false;
        for p in &net_touched {
            let before = self.net.get(p).cloned();
            self.recompute_net(*p);
            net_changed |= before.as_ref() != self.net.get(p);
        }
        // A change of a network route changes which externals it shadows,
        // and may change the route to a forwarding address.
        ext_touched.extend(net_touched.iter().copied());
        if net_changed {
            ext_touched.extend(self.fa_externals.iter().copied());
        }
        ext_touched.sort_unstable();
        ext_touched.dedup();
        for p in &ext_touched {
            self.recompute_ext(*p);
        }
        net_touched.extend(ext_touched);
        net_touched.sort_unstable();
        net_touched.dedup();
        Ok(net_touched)
    }

    /// The route to `p`: an intra/inter-area route wins over an external one.
    #[must_use]
    pub fn route(&self, p: &Prefix) -> Option<&OspfRoute> {
        self.net.get(p).or_else(|| self.ext.get(p))
    }

    /// Every route to a network, in prefix order.
    pub fn routes(&self) -> impl Iterator<Item = (Prefix, &OspfRoute)> {
        let mut all: Vec<(Prefix, &OspfRoute)> = self.net.iter().map(|(p, r)| (*p, r)).collect();
        all.extend(
            self.ext.iter().filter(|(p, _)| !self.net.contains_key(p)).map(|(p, r)| (*p, r)),
        );
        all.sort_by_key(|x| x.0);
        all.into_iter()
    }

    /// Routes to area border and AS boundary routers.
    #[must_use]
    pub fn router_routes(&self) -> &BTreeMap<RouterId, RouterRoute> {
        &self.routers
    }

    /// Intra-area and inter-area routes only (what an ABR summarises).
    #[must_use]
    pub fn network_routes(&self) -> BTreeMap<Prefix, &OspfRoute> {
        self.net.iter().map(|(p, r)| (*p, r)).collect()
    }

    /// The SPF result of one area.
    #[must_use]
    pub fn area(&self, area: AreaId) -> Option<&AreaSpf> {
        self.areas.get(&area)
    }

    /// The route to `p` as a `rib` route.
    #[must_use]
    pub fn rib_route(&self, p: &Prefix) -> Option<Route> {
        self.route(p).map(|r| to_rib(*p, r))
    }
}

/// Converts an OSPF route to a `rib` route.
#[must_use]
pub fn to_rib(p: Prefix, r: &OspfRoute) -> Route {
    let mut route = Route {
        prefix: p.to_ipnet(),
        protocol: Protocol::Ospfv2,
        path_type: r.path_type,
        metric: r.cost,
        type2_cost: r.type2_cost,
        next_hops: r.next_hops.to_vec(),
        tag: r.tag,
        kind: rib::RouteKind::Unicast,
    };
    route.normalize();
    route
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lsa::{
        build, key, link, AsExternalLsa, LsSeqNum, NetworkLsa, Options, RouterLink, RouterLinkType,
        RouterLsa, SummaryLsa,
    };

    fn ip(a: u8, b: u8, c: u8, d: u8) -> u32 {
        u32::from(Ipv4Addr::new(a, b, c, d))
    }

    fn lsa(ty: LsType, id: u32, adv: u32, body: LsaBody) -> Arc<Lsa> {
        Arc::new(build(0, Options::E, key(ty, id, RouterId(adv)), LsSeqNum(1), body))
    }

    fn router(flags: RouterFlags, links: Vec<RouterLink>) -> LsaBody {
        LsaBody::Router(RouterLsa { flags, reserved: 0, links })
    }

    fn p2p(to: u32, data: u32) -> RouterLink {
        link(RouterLinkType::POINT_TO_POINT, to, data, 10)
    }

    fn ext(id: u32, adv: u32, type2: bool, metric: u32, fwd: u32) -> Arc<Lsa> {
        lsa(
            LsType::AS_EXTERNAL,
            id,
            adv,
            LsaBody::AsExternal(AsExternalLsa {
                network_mask: Ipv4Addr::new(255, 255, 255, 0),
                e_bit: type2,
                tos0: 0,
                metric,
                forwarding_address: Ipv4Addr::from(fwd),
                external_route_tag: 7,
                tos_metrics: vec![],
            }),
        )
    }

    /// 1 -- 2 (ASBR, ABR) in area 0; 2 advertises externals and a summary.
    fn setup() -> (Lsdb, Lsdb, Vec<RootInterface>, Instant) {
        let now = Instant::now();
        let mut area = Lsdb::new();
        area.install(
            lsa(LsType::ROUTER, 1, 1, router(RouterFlags(0), vec![p2p(2, ip(10, 0, 0, 1))])),
            now,
        );
        area.install(
            lsa(
                LsType::ROUTER,
                2,
                2,
                router(RouterFlags::E | RouterFlags::B, vec![p2p(1, ip(10, 0, 0, 2))]),
            ),
            now,
        );
        area.install(
            lsa(
                LsType::SUMMARY_NETWORK,
                ip(172, 16, 0, 0),
                2,
                LsaBody::SummaryNetwork(SummaryLsa {
                    network_mask: Ipv4Addr::new(255, 255, 0, 0),
                    tos0: 0,
                    metric: 5,
                    tos_metrics: vec![],
                }),
            ),
            now,
        );
        let mut asdb = Lsdb::new();
        asdb.install(ext(ip(10, 244, 1, 0), 2, true, 20, 0), now);
        asdb.install(ext(ip(10, 244, 2, 0), 2, false, 20, 0), now);
        let ifs = vec![RootInterface { ifindex: 1, addr: ip(10, 0, 0, 1), mask: 0xffff_fffc }];
        (area, asdb, ifs, now)
    }

    fn pfx(a: u32, len: u8) -> Prefix {
        Prefix { addr: a, len }
    }

    #[test]
    fn inter_area_and_external_routes() {
        let (area, asdb, ifs, now) = setup();
        let inputs = [AreaInput { area: AreaId(0), lsdb: &area, interfaces: &ifs }];
        let t = RoutingTable::compute(RouterId(1), &inputs, &asdb, now);
        let nh = vec![NextHop::via(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 1)];
        let s = t.route(&pfx(ip(172, 16, 0, 0), 16)).cloned().unwrap_or_else(|| panic!());
        assert_eq!((s.path_type, s.cost, s.next_hops.to_vec()), (PathType::InterArea, 15, nh));
        let e2 = t.route(&pfx(ip(10, 244, 1, 0), 24)).cloned().unwrap_or_else(|| panic!());
        assert_eq!((e2.path_type, e2.cost, e2.type2_cost), (PathType::Type2External, 10, Some(20)));
        assert_eq!(e2.tag, Some(7));
        let e1 = t.route(&pfx(ip(10, 244, 2, 0), 24)).cloned().unwrap_or_else(|| panic!());
        assert_eq!((e1.path_type, e1.cost), (PathType::Type1External, 30));
        let r2 = t.router_routes().get(&RouterId(2)).cloned().unwrap_or_else(|| panic!());
        assert!(r2.abr && r2.asbr);
        assert_eq!(r2.path_type, PathType::IntraArea);
    }

    #[test]
    fn forwarding_address_needs_a_route() {
        let (area, mut asdb, ifs, now) = setup();
        asdb.install(ext(ip(10, 9, 0, 0), 2, true, 1, ip(10, 0, 0, 2)), now);
        asdb.install(ext(ip(10, 8, 0, 0), 2, true, 1, ip(99, 0, 0, 1)), now);
        let inputs = [AreaInput { area: AreaId(0), lsdb: &area, interfaces: &ifs }];
        let t = RoutingTable::compute(RouterId(1), &inputs, &asdb, now);
        assert!(t.route(&pfx(ip(10, 8, 0, 0), 24)).is_none(), "no route to FA");
        // The FA lies in no advertised network either (no stub for 10.0.0.0/30).
        assert!(t.route(&pfx(ip(10, 9, 0, 0), 24)).is_none());
    }

    #[test]
    fn incremental_external_change_equals_full() {
        let (area, mut asdb, ifs, now) = setup();
        let inputs = [AreaInput { area: AreaId(0), lsdb: &area, interfaces: &ifs }];
        let mut t = RoutingTable::compute(RouterId(1), &inputs, &asdb, now);
        let old = asdb.get(&key(LsType::AS_EXTERNAL, ip(10, 244, 1, 0), RouterId(2)));
        let old = old.map(|e| e.lsa.clone());
        let new = ext(ip(10, 244, 1, 0), 2, false, 3, 0);
        asdb.install(new.clone(), now);
        let touched = t
            .apply(&[LsaChange { area: None, old, new: Some(new) }])
            .unwrap_or_else(|_| panic!("incremental"));
        assert_eq!(touched, vec![pfx(ip(10, 244, 1, 0), 24)]);
        let full = RoutingTable::compute(RouterId(1), &inputs, &asdb, now);
        assert_eq!(t.routes().collect::<Vec<_>>(), full.routes().collect::<Vec<_>>());
        let net_change = LsaChange {
            area: Some(AreaId(0)),
            old: None,
            new: Some(lsa(
                LsType::NETWORK,
                1,
                1,
                LsaBody::Network(NetworkLsa {
                    network_mask: Ipv4Addr::UNSPECIFIED,
                    attached_routers: vec![],
                }),
            )),
        };
        assert_eq!(t.apply(&[net_change]), Err(NeedsFull));
    }

    /// Us (1) as ABR in areas 0 and 1; `in0` and `in1` are the routers we
    /// reach in each area, as (router ID, flags, cost of our link).
    fn two_area_abr(
        in0: (u32, RouterFlags, u16),
        in1: (u32, RouterFlags, u16),
    ) -> (Lsdb, Lsdb, Vec<RootInterface>, Vec<RootInterface>) {
        let link_to = |to: u32, data: u32, metric: u16| {
            link(RouterLinkType::POINT_TO_POINT, to, data, metric)
        };
        let mut a0 = Lsdb::new();
        let mut a1 = Lsdb::new();
        let now = Instant::now();
        let (us0, them0) = (ip(10, 0, 0, 1), ip(10, 0, 0, 2));
        let (us1, them1) = (ip(10, 1, 0, 1), ip(10, 1, 0, 2));
        a0.install(
            lsa(LsType::ROUTER, 1, 1, router(RouterFlags::B, vec![link_to(in0.0, us0, in0.2)])),
            now,
        );
        a0.install(
            lsa(LsType::ROUTER, in0.0, in0.0, router(in0.1, vec![link_to(1, them0, in0.2)])),
            now,
        );
        a1.install(
            lsa(LsType::ROUTER, 1, 1, router(RouterFlags::B, vec![link_to(in1.0, us1, in1.2)])),
            now,
        );
        a1.install(
            lsa(LsType::ROUTER, in1.0, in1.0, router(in1.1, vec![link_to(1, them1, in1.2)])),
            now,
        );
        let if0 = vec![RootInterface { ifindex: 1, addr: us0, mask: 0xffff_fffc }];
        let if1 = vec![RootInterface { ifindex: 2, addr: us1, mask: 0xffff_fffc }];
        (a0, a1, if0, if1)
    }

    #[test]
    fn asbr_entry_prefers_a_non_backbone_intra_area_path_over_a_cheaper_backbone_one() {
        // §16.4.1: router 9 is reachable in both areas; the area 1 path
        // costs 50, the backbone path 10; area 1 wins.
        let asbr = RouterFlags::B | RouterFlags::E;
        let (a0, a1, if0, if1) = two_area_abr((9, asbr, 10), (9, asbr, 50));
        let mut asdb = Lsdb::new();
        let now = Instant::now();
        asdb.install(ext(ip(10, 244, 1, 0), 9, true, 20, 0), now);
        let inputs = [
            AreaInput { area: AreaId(0), lsdb: &a0, interfaces: &if0 },
            AreaInput { area: AreaId(1), lsdb: &a1, interfaces: &if1 },
        ];
        let t = RoutingTable::compute(RouterId(1), &inputs, &asdb, now);
        let r9 = t.router_routes().get(&RouterId(9)).cloned().unwrap_or_else(|| panic!());
        assert_eq!((r9.area, r9.cost, r9.path_type), (AreaId(1), 50, PathType::IntraArea));
        assert!(r9.asbr && r9.abr);
        let e = t.route(&pfx(ip(10, 244, 1, 0), 24)).cloned().unwrap_or_else(|| panic!());
        let via1 = vec![NextHop::via(IpAddr::V4(Ipv4Addr::new(10, 1, 0, 2)), 2)];
        assert_eq!((e.cost, e.type2_cost, e.next_hops.to_vec()), (50, Some(20), via1));
    }

    #[test]
    fn equal_external_paths_prefer_the_asbr_reached_in_a_non_backbone_area() {
        // Two ASBRs announce the same type 2 external with the same metric:
        // 10 in area 0 at cost 10, 11 in area 1 at cost 30. §16.4 step 6
        // defers to §16.4.1, which prefers the non-backbone intra-area path.
        let (a0, a1, if0, if1) = two_area_abr((10, RouterFlags::E, 10), (11, RouterFlags::E, 30));
        let mut asdb = Lsdb::new();
        let now = Instant::now();
        asdb.install(ext(ip(10, 244, 1, 0), 10, true, 20, 0), now);
        asdb.install(ext(ip(10, 244, 1, 0), 11, true, 20, 0), now);
        let inputs = [
            AreaInput { area: AreaId(0), lsdb: &a0, interfaces: &if0 },
            AreaInput { area: AreaId(1), lsdb: &a1, interfaces: &if1 },
        ];
        let t = RoutingTable::compute(RouterId(1), &inputs, &asdb, now);
        let e = t.route(&pfx(ip(10, 244, 1, 0), 24)).cloned().unwrap_or_else(|| panic!());
        let via11 = vec![NextHop::via(IpAddr::V4(Ipv4Addr::new(10, 1, 0, 2)), 2)];
        assert_eq!((e.cost, e.next_hops.to_vec()), (30, via11));
        // With the type 2 metric lower at the backbone ASBR, the metric
        // decides first.
        asdb.install(ext(ip(10, 244, 1, 0), 10, true, 5, 0), now);
        let t = RoutingTable::compute(RouterId(1), &inputs, &asdb, now);
        let e = t.route(&pfx(ip(10, 244, 1, 0), 24)).cloned().unwrap_or_else(|| panic!());
        assert_eq!((e.cost, e.type2_cost), (10, Some(5)));
    }
}
