//! Routes of other protocols (connected, static, kernel, OSPF), BGP next-hop resolution
//! through them, and their redistribution into BGP.

use std::net::IpAddr;
use std::time::Instant;

use bgp_wire::attribute::Origin;
use ipnet::IpNet;

use super::{select, with_family, OtherRoute, PeerId, Rib, Shared};
use crate::key::Addr;
use crate::nexthop::{NhKey, Resolution, NONE};
use crate::policy::Verdict;
use crate::route::{NextHop, Protocol, Route, RouteChange, RouteKind};
use crate::route_attrs::{PathAttrs, PolicyRoute};
use crate::table::{Path, Table, OTHER};

/// `redistribute PROTOCOL [route-map NAME] [metric N]`: routes of another protocol
/// announced into BGP as our own (ORIGIN incomplete, MED the route's metric unless `metric`
/// is given, as FRR does).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redistribute {
    /// The protocol whose routes are taken.
    pub protocol: Protocol,
    /// Route map in the table's policy; a route it denies is not announced.
    pub route_map: Option<String>,
    /// MED to set instead of the route's metric.
    pub metric: Option<u32>,
}

/// ADD-PATH-style identifier of our own paths: 0 for routes the application originates,
/// one per protocol for redistributed ones, so that both can exist for one prefix.
fn redistribution_path_id(p: Protocol) -> u32 {
    match p {
        Protocol::Connected => 1,
        Protocol::Static => 2,
        Protocol::Kernel => 3,
        Protocol::Ospfv2 => 4,
        Protocol::Ospfv3 => 5,
        Protocol::Bgp => 6,
    }
}

impl Rib {
    /// Adds or replaces `route.protocol`'s route to `route.prefix` (one route per protocol
    /// and prefix; equal-cost next hops are one route).
    pub fn add_route(&mut self, now: Instant, route: &Route) {
        let since = self.secs(now);
        let prefix = route.prefix.trunc();
        let protocol = route.protocol;
        let group = self.sh.groups.intern_hops(protocol, route.kind, route.next_hops.clone());
        let distance = self.sh.cfg.distance.of(protocol);
        let oid = self.sh.others.insert(OtherRoute {
            protocol: Some(protocol),
            path_type: Some(route.path_type),
            metric: route.metric,
            type2_cost: route.type2_cost,
            tag: route.tag,
            kind: route.kind,
            distance,
            group,
        });
        let path = Path { rec: OTHER | oid, since };
        let old = with_family!(self, prefix, |t, a, l| {
            let (pos, _) = t.find_or_insert((a, l));
            select::put_other(t, &mut self.sh, pos, path, |sh, p| same_protocol(sh, p, protocol))
        });
        if let Some(old) = old {
            self.free_other(old.rec);
        }
        self.after_other_change(now, prefix, Some(route));
    }

    /// Removes `protocol`'s route to `prefix`.
    pub fn remove_route(&mut self, now: Instant, protocol: Protocol, prefix: IpNet) -> bool {
        let prefix = prefix.trunc();
        let mut removed = Vec::new();
        with_family!(self, prefix, |t, a, l| {
            if let Some(pos) = t.find((a, l)) {
                if let Some(d) = t.get(pos) {
                    removed.extend(
                        t.paths(d).iter().filter(|p| same_protocol(&self.sh, p, protocol)).copied(),
                    );
                }
                select::remove_paths(t, &mut self.sh, pos, |sh, p| same_protocol(sh, p, protocol));
            }
        });
        for p in &removed {
            self.free_other(p.rec);
        }
        if removed.is_empty() {
            return false;
        }
        self.after_other_change(now, prefix, None);
        true
    }

    /// Applies a protocol's route change (what `ospf-lsdb` reports).
    pub fn apply(&mut self, now: Instant, change: &RouteChange) {
        match change {
            RouteChange::Add(r) | RouteChange::Replace(r) => self.add_route(now, r),
            RouteChange::Delete(r) => {
                self.remove_route(now, r.protocol, r.prefix);
            }
        }
    }

    /// A new table that redistributes `list` (no route is in it yet, so nothing is to be
    /// announced now; [`Rib::set_redistribution`] changes it later).
    #[must_use]
    pub fn with_redistribution(mut self, list: Vec<Redistribute>) -> Rib {
        debug_assert!(self.sh.others.len() == 0, "with_redistribution on a table in use");
        self.sh.redistribute = list;
        self
    }

    /// Sets what is redistributed into BGP, announcing and withdrawing our own paths to
    /// match the routes in the table now.
    pub fn set_redistribution(&mut self, now: Instant, list: Vec<Redistribute>) {
        let old: Vec<Protocol> = self.sh.redistribute.iter().map(|r| r.protocol).collect();
        self.sh.redistribute = list;
        let mut routes: Vec<Route> = Vec::new();
        collect_others(&self.v4, &self.sh, &mut routes);
        collect_others(&self.v6, &self.sh, &mut routes);
        for r in routes {
            if old.contains(&r.protocol)
                || self.sh.redistribute.iter().any(|x| x.protocol == r.protocol)
            {
                self.redistribute(now, r.prefix, r.protocol, Some(&r));
            }
        }
    }

    fn free_other(&mut self, rec: u32) {
        let o = self.sh.others.remove(rec & !OTHER);
        if o.group != NONE {
            self.sh.groups.release(o.group);
        }
    }

    /// After a route of another protocol changed: resolve again the BGP next hops it may
    /// cover, and redistribute it.
    fn after_other_change(&mut self, now: Instant, prefix: IpNet, route: Option<&Route>) {
        self.renew_next_hops(prefix);
        if let Some(p) = route.map(|r| r.protocol) {
            self.redistribute(now, prefix, p, route);
        } else {
            let protocols: Vec<Protocol> =
                self.sh.redistribute.iter().map(|r| r.protocol).collect();
            for p in protocols {
                self.redistribute(now, prefix, p, None);
            }
        }
    }

    /// Announces or withdraws our own path for `prefix` from `protocol`'s route.
    fn redistribute(
        &mut self,
        now: Instant,
        prefix: IpNet,
        protocol: Protocol,
        route: Option<&Route>,
    ) {
        let path_id = redistribution_path_id(protocol);
        let rule = self.sh.redistribute.iter().find(|r| r.protocol == protocol).cloned();
        let current = match route {
            Some(r) => Some(r.clone()),
            None => self.other_route(prefix, protocol),
        };
        let announce = match (rule, current) {
            (Some(rule), Some(r)) => self.redistributed_attrs(&rule, &r),
            _ => None,
        };
        match announce {
            Some(attrs) => {
                let nh = match prefix {
                    IpNet::V4(_) => {
                        bgp_wire::attribute::NextHop::Ipv4(std::net::Ipv4Addr::UNSPECIFIED)
                    }
                    IpNet::V6(_) => {
                        bgp_wire::attribute::NextHop::Ipv6(std::net::Ipv6Addr::UNSPECIFIED)
                    }
                };
                let nlri = bgp_wire::nlri::Nlri::with_path_id(path_id, prefix);
                let _ = self.announce(now, PeerId::LOCAL, nlri, nh, &attrs);
            }
            None => {
                self.withdraw(PeerId::LOCAL, prefix, path_id);
            }
        }
    }

    /// The attributes of a redistributed route, through the route map; `None` if denied.
    fn redistributed_attrs(&self, rule: &Redistribute, r: &Route) -> Option<PathAttrs> {
        let mut pr = PolicyRoute::new(r.prefix, r.protocol);
        let first = r.next_hops.first();
        pr.next_hop = first.and_then(|h| h.addr);
        pr.interface = first.and_then(|h| h.ifindex).and_then(|i| self.sh.ifnames.get(&i).copied());
        pr.tag = r.tag;
        pr.metric = r.metric;
        pr.weight = super::ingest::LOCAL_WEIGHT;
        pr.attrs.origin = Origin::Incomplete;
        pr.attrs.med = Some(rule.metric.unwrap_or(r.metric));
        if let Some(name) = &rule.route_map {
            let map = self.sh.policy.route_map_id(name)?;
            if self.sh.policy.apply(map, &mut pr) == Verdict::Deny {
                return None;
            }
        }
        Some(pr.attrs)
    }

    /// `protocol`'s route to `prefix`, if the table holds one.
    pub(crate) fn other_route(&self, prefix: IpNet, protocol: Protocol) -> Option<Route> {
        fn find<A: Addr>(
            t: &Table<A>,
            sh: &Shared,
            a: A,
            l: u8,
            protocol: Protocol,
        ) -> Option<Route> {
            let d = t.get(t.find((a, l))?)?;
            let p = t.paths(d).iter().find(|p| same_protocol(sh, p, protocol))?;
            to_route(sh, d.addr.to_net(d.len), p)
        }
        match prefix.trunc() {
            IpNet::V4(n) => {
                let (a, l) = crate::key::v4(&n);
                find(&self.v4, &self.sh, a, l, protocol)
            }
            IpNet::V6(n) => {
                let (a, l) = crate::key::v6(&n);
                find(&self.v6, &self.sh, a, l, protocol)
            }
        }
    }

    /// Resolves next hop `nh` again; `true` when its reachability, cost or forwarding next
    /// hops changed.
    pub(crate) fn resolve(&mut self, nh: u32) -> bool {
        let Some(e) = self.sh.nexthops.get(nh) else { return false };
        let Some(key) = e.key else { return false };
        let old = e.res;
        let new = if key.is_local() {
            Resolution { reachable: true, metric: 0, group: NONE }
        } else if let Some(hop) = key.on_link() {
            let group = self.sh.groups.intern_hops(Protocol::Bgp, RouteKind::Unicast, vec![hop]);
            Resolution { reachable: true, metric: 0, group }
        } else {
            self.resolve_through_table(&key)
        };
        if new == old {
            if new.group != NONE {
                self.sh.groups.release(new.group);
            }
            return false;
        }
        if old.group != NONE {
            self.sh.groups.release(old.group);
        }
        if let Some(e) = self.sh.nexthops.entries.get_mut(nh) {
            e.res = new;
        }
        true
    }

    /// RFC 4271 §9.1.2.1: the next hop resolves through the longest matching route of
    /// another protocol (not BGP, so a route never resolves through itself or another BGP
    /// route; not the default route unless configured). Forwarding next hops are the
    /// route's; a directly connected route forwards to the BGP next hop itself.
    fn resolve_through_table(&mut self, key: &NhKey) -> Resolution {
        let via_default = self.sh.cfg.resolve_via_default;
        let found = match key.global {
            IpAddr::V4(a) => best_covering(&self.v4, &self.sh, u32::from(a), via_default),
            IpAddr::V6(a) => best_covering(&self.v6, &self.sh, u128::from(a), via_default),
        };
        let unreachable = Resolution { reachable: false, metric: 0, group: NONE };
        let Some((metric, kind, group)) = found.map(|o| (o.metric, o.kind, o.group)) else {
            return unreachable;
        };
        let Some(g) = self.sh.groups.get(group) else { return unreachable };
        if kind != RouteKind::Unicast {
            return unreachable;
        }
        let hops: Vec<NextHop> = g
            .hops
            .iter()
            .map(|h| match h.addr {
                None => NextHop { addr: Some(key.global), ifindex: h.ifindex },
                Some(_) => *h,
            })
            .collect();
        let group = self.sh.groups.intern_hops(Protocol::Bgp, RouteKind::Unicast, hops);
        Resolution { reachable: true, metric, group }
    }

    /// After a change of another protocol's route to `prefix`: resolve again every next hop
    /// inside it, and decide again the destinations whose paths use one that changed.
    fn renew_next_hops(&mut self, prefix: IpNet) {
        let mut changed: Vec<bool> = Vec::new();
        for nh in self.sh.nexthops.ids() {
            let Some(key) = self.sh.nexthops.get(nh).and_then(|e| e.key) else { continue };
            if key.is_local() || key.on_link().is_some() || !prefix.contains(&key.global) {
                continue;
            }
            if self.resolve(nh) {
                if changed.len() <= nh as usize {
                    changed.resize(nh as usize + 1, false);
                }
                changed[nh as usize] = true;
            }
        }
        if changed.is_empty() {
            return;
        }
        let recs: Vec<bool> = {
            let mut v = Vec::new();
            for (id, r) in self.sh.attrs.iter() {
                if changed.get(r.nexthop as usize).copied().unwrap_or(false) {
                    if v.len() <= id as usize {
                        v.resize(id as usize + 1, false);
                    }
                    v[id as usize] = true;
                }
            }
            v
        };
        let uses = |p: &Path| p.is_bgp() && recs.get(p.rec as usize).copied().unwrap_or(false);
        select::reselect_where(&mut self.v4, &mut self.sh, uses);
        select::reselect_where(&mut self.v6, &mut self.sh, uses);
    }
}

/// Whether path `p` is `protocol`'s route.
fn same_protocol(sh: &Shared, p: &Path, protocol: Protocol) -> bool {
    !p.is_bgp() && sh.others.get(p.rec & !OTHER).is_some_and(|o| o.protocol == Some(protocol))
}

/// The route of another protocol a path stands for.
pub(crate) fn to_route(sh: &Shared, prefix: IpNet, p: &Path) -> Option<Route> {
    let o = sh.others.get(p.rec & !OTHER)?;
    let g = sh.groups.get(o.group)?;
    Some(Route {
        prefix,
        protocol: o.protocol?,
        path_type: o.path_type?,
        metric: o.metric,
        type2_cost: o.type2_cost,
        next_hops: g.hops.to_vec(),
        tag: o.tag,
        kind: o.kind,
    })
}

/// The preferred route of another protocol at a destination: lowest distance, then metric.
pub(crate) fn best_other<'a, A: Addr>(
    t: &Table<A>,
    sh: &'a Shared,
    d: &crate::table::Dest<A>,
) -> Option<&'a OtherRoute> {
    t.paths(d)
        .iter()
        .filter(|p| !p.is_bgp())
        .filter_map(|p| sh.others.get(p.rec & !OTHER))
        .min_by_key(|o| (o.distance, o.protocol, o.metric))
}

fn best_covering<'a, A: Addr>(
    t: &Table<A>,
    sh: &'a Shared,
    addr: A,
    via_default: bool,
) -> Option<&'a OtherRoute> {
    let pos = t.longest_match(addr, A::BITS, |pos| {
        t.get(pos).is_some_and(|d| (d.len > 0 || via_default) && best_other(t, sh, d).is_some())
    })?;
    best_other(t, sh, t.get(pos)?)
}

fn collect_others<A: Addr>(t: &Table<A>, sh: &Shared, out: &mut Vec<Route>) {
    for d in t.iter() {
        for p in t.paths(d).iter().filter(|p| !p.is_bgp()) {
            if let Some(r) = to_route(sh, d.addr.to_net(d.len), p) {
                out.push(r);
            }
        }
    }
}
