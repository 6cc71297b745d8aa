//! The OSPFv3 routing table (RFC 5340 §4.8): intra-area routes to the
//! prefixes of intra-area-prefix-LSAs over each area's shortest-path tree
//! (the SPF of `spf.rs`, shared with OSPFv2), next hops being the
//! neighbours' link-local addresses from their link-LSAs, and inter-area
//! routes from inter-area-prefix-LSAs (§4.8.3, RFC 2328 §16.2), AS-external
//! routes (§4.8.5, RFC 2328 §16.4) over the routes to AS boundary routers
//! (intra-area, or inter-area from inter-area-router-LSAs).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Instant;

use ipnet::Ipv6Net;
use ospf_wire::v3::{
    Ipv6Prefix, LsType, LsaBody, LsaKey, PrefixOptions, RouterFlags, RouterLinkType,
};
use rib::{PathType, Protocol, Route};

use crate::instance::OspfInstance;
use crate::interface::IfState;
use crate::lsdb::LinkStateDb;
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

/// The OSPFv3 routing table.
#[derive(Debug, Clone, Default)]
pub struct RoutingTable6 {
    routes: BTreeMap<Ipv6Net, Route6>,
    asbrs: BTreeMap<RouterId, RouterRoute6>,
}

impl RoutingTable6 {
    /// The longest-match intra- or inter-area route covering `a`.
    fn lookup(&self, a: std::net::Ipv6Addr) -> Option<&Route6> {
        (0..=128u8).rev().find_map(|len| {
            let p = Ipv6Net::new(a, len).ok()?.trunc();
            self.routes
                .get(&p)
                .filter(|r| matches!(r.path_type, PathType::IntraArea | PathType::InterArea))
        })
    }

    /// Every destination.
    #[must_use]
    pub fn prefixes(&self) -> Vec<Ipv6Net> {
        self.routes.keys().copied().collect()
    }

    /// Every route, in prefix order.
    pub fn routes(&self) -> impl Iterator<Item = (&Ipv6Net, &Route6)> {
        self.routes.iter()
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

impl OspfInstance<V3> {
    /// The full OSPFv3 routing table calculation: per area, the shared SPF
    /// over the graph of the area's router- and network-LSAs, with the
    /// prefixes of its intra-area-prefix-LSAs (RFC 5340 §4.8.1); the best
    /// intra-area route over the areas.
    #[must_use]
    pub fn compute_table_v3(&self, now: Instant) -> RoutingTable6 {
        let me = self.cfg.router_id;
        let mut t = RoutingTable6::default();
        let mut spfs: Vec<(AreaId, AreaSpf<Ipv6Net>)> = Vec::new();
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
            let roots: Vec<RootInterface> = ifs
                .iter()
                .map(|i| RootInterface { ifindex: i.cfg.ifindex, addr: i.cfg.ifindex, mask: 0 })
                .collect();
            let own: Vec<(Ipv6Net, u32)> = ifs
                .iter()
                .flat_map(|i| {
                    let ix = i.cfg.ifindex;
                    i.addr.iter().flat_map(move |x| x.prefixes.iter().map(move |p| (p.trunc(), ix)))
                })
                .collect();
            // §4.8.1: "the next hop ... is the link-local address of the
            // neighbor, found in the neighbor's link-LSA" on that link.
            let resolve = |ifindex: u32, rid: RouterId, iface_id: u32| -> Option<IpAddr> {
                let k = LsaKey {
                    ls_type: LsType::LINK,
                    link_state_id: iface_id,
                    advertising_router: rid,
                };
                let e = self.interfaces.get(&ifindex)?.link_lsdb.get(&k)?;
                match e.lsa.body() {
                    LsaBody::Link(l) if !e.is_max_age(now) => {
                        Some(IpAddr::V6(l.link_local_address))
                    }
                    _ => None,
                }
            };
            let spf = AreaSpf::from_graph(graph(&a.lsdb, now), me, &roots, own, &resolve);
            spfs.push((*area, spf));
        }
        for (area, spf) in &spfs {
            let area = *area;
            for (p, r) in &spf.intra {
                let cand = Route6::new(PathType::IntraArea, r.cost, r.next_hops.clone(), area);
                prefer(&mut t.routes, *p, cand);
            }
        }
        // §4.8.3 (RFC 2328 §16.2): inter-area routes to prefixes with no
        // intra-area route, over the area border router that advertised
        // them; "if the router is an area border router, only backbone
        // summary-LSAs are examined."
        let abr = spfs.len() > 1;
        let mut inter: BTreeMap<Ipv6Net, Route6> = BTreeMap::new();
        for (area, spf) in &spfs {
            if abr && !area.is_backbone() {
                continue;
            }
            let Some(db) = self.areas.get(area).map(|a| &a.lsdb) else { continue };
            let ty = LsType::INTER_AREA_PREFIX.0;
            for (k, e) in db.iter_codes(ty, ty) {
                let LsaBody::InterAreaPrefix(x) = e.lsa.body() else { continue };
                if e.is_max_age(now) || k.advertising_router == me || x.metric >= LS_INFINITY {
                    continue;
                }
                let Some(p) = prefix(&x.prefix.prefix, x.prefix.options) else { continue };
                if t.routes.contains_key(&p) {
                    continue;
                }
                let Some(br) = spf.routers.get(&k.advertising_router) else { continue };
                if br.flags & RouterFlags::B.0 == 0 {
                    continue;
                }
                let cost = br.dist.saturating_add(x.metric);
                let cand = Route6::new(PathType::InterArea, cost, br.next_hops.clone(), *area);
                prefer(&mut inter, p, cand);
            }
        }
        t.routes.extend(inter);
        t.asbrs = self.asbr_routes(&spfs, abr, now);
        self.external_routes(&mut t, now);
        self.nssa_routes(&spfs, &mut t, now);
        t
    }

    /// Routes to AS boundary routers: intra-area from each area's tree
    /// (E bit of their router-LSA), else inter-area from the
    /// inter-area-router-LSAs of area border routers (backbone only at an
    /// ABR).
    fn asbr_routes(
        &self,
        spfs: &[(AreaId, AreaSpf<Ipv6Net>)],
        abr: bool,
        now: Instant,
    ) -> BTreeMap<RouterId, RouterRoute6> {
        let me = self.cfg.router_id;
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
        for (area, spf) in spfs {
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
        for (area, spf) in spfs {
            if abr && !area.is_backbone() {
                continue;
            }
            let Some(db) = self.areas.get(area).map(|a| &a.lsdb) else { continue };
            let ty = LsType::INTER_AREA_ROUTER.0;
            for (k, e) in db.iter_codes(ty, ty) {
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

    /// §4.8.5 (RFC 2328 §16.4): a route per AS-external-LSA over the route
    /// to its ASBR, or to its forwarding address when it has one; intra-
    /// and inter-area routes to the same prefix win.
    fn external_routes(&self, t: &mut RoutingTable6, now: Instant) {
        let me = self.cfg.router_id;
        let mut ext: BTreeMap<Ipv6Net, Route6> = BTreeMap::new();
        let ty = LsType::AS_EXTERNAL.0;
        for (k, e) in self.as_lsdb.iter_codes(ty, ty) {
            let LsaBody::AsExternal(x) = e.lsa.body() else { continue };
            if e.is_max_age(now) || k.advertising_router == me || x.metric >= LS_INFINITY {
                continue;
            }
            let Some(p) = prefix(&x.prefix.prefix, x.prefix.options) else { continue };
            if t.routes.contains_key(&p) {
                continue;
            }
            let Some(asbr) = t.asbrs.get(&k.advertising_router) else { continue };
            let (cost, next_hops) = match x.forwarding_address.filter(|a| !a.is_unspecified()) {
                None => (asbr.cost, asbr.next_hops.clone()),
                Some(fa) => {
                    // "look up the routing table entry for the forwarding
                    // address"; it must be intra- or inter-area.
                    let Some(fr) = t.lookup(fa) else { continue };
                    (fr.cost, via_forwarding(fr, fa))
                }
            };
            let cand = external_route(x.e_bit, cost, x.metric, next_hops, x.external_route_tag);
            prefer(&mut ext, p, cand);
        }
        t.routes.extend(ext);
    }

    /// RFC 3101 §2.5: the routes of the NSSA-LSAs of each NSSA, computed
    /// as AS-external routes but only over intra-area paths in that NSSA,
    /// to the ASBR or the forwarding address. Intra- and inter-area routes
    /// win; an AS-external route wins a tie (§2.5 (6)).
    fn nssa_routes(
        &self,
        spfs: &[(AreaId, AreaSpf<Ipv6Net>)],
        t: &mut RoutingTable6,
        now: Instant,
    ) {
        let me = self.cfg.router_id;
        let mut nssa: BTreeMap<Ipv6Net, Route6> = BTreeMap::new();
        for (area, spf) in spfs {
            let Some(a) = self.areas.get(area) else { continue };
            if !matches!(a.cfg.kind, crate::config::AreaKind::Nssa { .. }) {
                continue;
            }
            let ty = LsType::NSSA.0;
            for (k, e) in a.lsdb.iter_codes(ty, ty) {
                let LsaBody::Nssa(x) = e.lsa.body() else { continue };
                if e.is_max_age(now) || k.advertising_router == me || x.metric >= LS_INFINITY {
                    continue;
                }
                let Some(p) = prefix(&x.prefix.prefix, x.prefix.options) else { continue };
                let Some(asbr) = spf.routers.get(&k.advertising_router) else { continue };
                let (cost, next_hops) = match x.forwarding_address.filter(|a| !a.is_unspecified()) {
                    None => (asbr.dist, asbr.next_hops.clone()),
                    Some(fa) => {
                        let Some(fr) = t.lookup(fa).filter(|r| {
                            r.path_type == PathType::IntraArea && r.area == Some(*area)
                        }) else {
                            continue;
                        };
                        (fr.cost, via_forwarding(fr, fa))
                    }
                };
                prefer(
                    &mut nssa,
                    p,
                    external_route(x.e_bit, cost, x.metric, next_hops, x.external_route_tag),
                );
            }
        }
        for (p, cand) in nssa {
            match t.routes.get(&p) {
                Some(r) if r.rank() <= cand.rank() => {}
                _ => {
                    t.routes.insert(p, cand);
                }
            }
        }
    }
}

/// The next hops of a route through forwarding address `fa`, reached by
/// route `fr`: on a directly attached network, `fa` itself.
fn via_forwarding(fr: &Route6, fa: std::net::Ipv6Addr) -> NextHops {
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

/// Keeps the preferred of `cand` and the route in `routes`, both when equal.
fn prefer(routes: &mut BTreeMap<Ipv6Net, Route6>, p: Ipv6Net, cand: Route6) {
    match routes.get_mut(&p) {
        Some(b) if b.rank() < cand.rank() => {}
        Some(b) if b.rank() == cand.rank() => merge_next_hops(&mut b.next_hops, &cand.next_hops),
        _ => {
            routes.insert(p, cand);
        }
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
    let mut nix: BTreeMap<u64, usize> = BTreeMap::new();
    for (k, e) in lsdb.iter_codes(LsType::NETWORK.0, LsType::NETWORK.0) {
        let LsaBody::Network(n) = e.lsa.body() else { continue };
        if e.is_max_age(now) {
            continue;
        }
        nix.insert(net_id(k.advertising_router, k.link_state_id), networks.len());
        networks.push(&n.attached_routers);
    }
    let mut routers: BTreeMap<u32, (u8, Vec<Link>)> = BTreeMap::new();
    for (k, e) in lsdb.iter_codes(LsType::ROUTER.0, LsType::ROUTER.0) {
        let LsaBody::Router(r) = e.lsa.body() else { continue };
        if e.is_max_age(now) {
            continue;
        }
        let entry = routers.entry(k.advertising_router.0).or_insert((r.flags.0, Vec::new()));
        for i in &r.interfaces {
            let link_id = match i.link_type {
                RouterLinkType::POINT_TO_POINT => i.neighbor_router_id.0,
                RouterLinkType::TRANSIT => nix
                    .get(&net_id(i.neighbor_router_id, i.neighbor_interface_id))
                    .map_or(NO_NETWORK, |j| *j as u32),
                _ => continue,
            };
            entry.1.push(Link {
                link_type: crate::lsa::RouterLinkType(i.link_type.0),
                link_id,
                link_data: i.interface_id,
                nbr_data: i.neighbor_interface_id,
                metric: i.metric,
            });
        }
    }
    let mut g = Graph {
        routers: Vec::with_capacity(routers.len()),
        flat: Vec::new(),
        networks,
        net_prefixes: Vec::new(),
        stubs: Vec::new(),
        by_interface_id: true,
    };
    for (rid, (flags, links)) in routers {
        let start = g.flat.len();
        g.flat.extend(links);
        g.routers.push((rid, flags, start, g.flat.len()));
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
