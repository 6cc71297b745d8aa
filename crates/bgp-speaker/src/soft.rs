//! Soft reconfiguration inbound and policy changes.
//!
//! RFC 4271 §3.2: "Adj-RIBs-In: The Adj-RIBs-In contains unprocessed routing information
//! that has been advertised to the local BGP speaker by its peers." With
//! `soft-reconfiguration inbound` a neighbour's Adj-RIB-In is kept as received, before
//! import policy, and [`Speaker::soft_reset_in`] runs the policy over it again. Without it,
//! a soft reset asks the neighbour to send its routes again (RFC 2918 ROUTE-REFRESH), as
//! FRR's `clear bgp X soft in` does.
//!
//! A neighbour kept this way has its routes go into the table through the same owned path
//! as a soft reset (one attribute set per UPDATE), so that a reset that changes nothing
//! leaves the table as it was.

use std::collections::BTreeMap;
use std::time::Instant;

use bgp_fsm::CommandError;
use bgp_wire::attribute::NextHop;
use bgp_wire::nlri::Nlri;
use bgp_wire::Family;
use hashbrown::HashMap;
use ipnet::IpNet;
use rib::policy::Policy;
use rib::{PathAttrs, UpdateSummary};

use crate::config::ConfigError;
use crate::out::Interner;
use crate::{NeighborId, Speaker};

/// A received attribute set with its next hop, as kept before import policy.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct InSet {
    pub attrs: PathAttrs,
    pub next_hop: NextHop,
}

/// A neighbour's routes as it sent them: prefix and its path identifier (0 without
/// ADD-PATH) to an interned attribute set.
#[derive(Debug, Default)]
pub(crate) struct AdjRibIn {
    routes: BTreeMap<(IpNet, u32), u32>,
    sets: Interner<InSet>,
    /// Routes kept, per family (IPv4, IPv6).
    kept: [u32; 2],
    /// Routes not kept because the limit was reached, per family: the Adj-RIB-In is
    /// incomplete while any are counted.
    left_out: [u32; 2],
}

fn fam(p: &IpNet) -> usize {
    usize::from(matches!(p, IpNet::V6(_)))
}

impl AdjRibIn {
    /// Keeps a route with set `set` (one reference, taken over); past `limit` routes of
    /// its family a new route is left out.
    fn put(&mut self, key: (IpNet, u32), set: u32, limit: Option<u32>) {
        let f = fam(&key.0);
        match self.routes.get_mut(&key) {
            Some(old) => {
                let old = std::mem::replace(old, set);
                self.sets.release(old);
            }
            None if limit.is_some_and(|l| self.kept[f] >= l) => {
                self.sets.release(set);
                self.left_out[f] = self.left_out[f].saturating_add(1);
            }
            None => {
                self.routes.insert(key, set);
                self.kept[f] += 1;
            }
        }
    }

    fn remove(&mut self, key: (IpNet, u32)) {
        if let Some(set) = self.routes.remove(&key) {
            self.sets.release(set);
            let f = fam(&key.0);
            self.kept[f] = self.kept[f].saturating_sub(1);
        }
    }

    /// Forgets the routes of one family (RFC 7606 AFI/SAFI disable).
    pub fn clear_family(&mut self, ipv6: bool) {
        let f = usize::from(ipv6);
        let gone: Vec<(IpNet, u32)> =
            self.routes.keys().filter(|(p, _)| fam(p) == f).copied().collect();
        for k in gone {
            self.remove(k);
        }
        self.left_out[f] = 0;
    }

    /// Routes received (IPv4, IPv6): those kept and those left out past the limit.
    pub fn received(&self) -> (u32, u32) {
        (
            self.kept[0].saturating_add(self.left_out[0]),
            self.kept[1].saturating_add(self.left_out[1]),
        )
    }

    /// Whether every route received is kept.
    pub fn complete(&self) -> bool {
        self.left_out == [0, 0]
    }

    /// Every route kept, in prefix order.
    pub fn iter(&self) -> impl Iterator<Item = ((IpNet, u32), &InSet)> + '_ {
        self.routes.iter().filter_map(|(k, s)| Some((*k, self.sets.get(*s)?)))
    }

    /// Attribute sets kept.
    #[cfg(test)]
    pub fn sets(&self) -> usize {
        self.sets.len()
    }
}

/// What [`Speaker::soft_reset_in`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SoftResetIn {
    /// The import policy ran again over the routes kept from the neighbour (soft
    /// reconfiguration inbound); this many routes.
    Reapplied {
        /// Routes the policy ran over.
        routes: usize,
    },
    /// The neighbour was sent a ROUTE-REFRESH for each family of the session (RFC 2918
    /// §3); its routes go through the import policy as they come back.
    RouteRefresh {
        /// Families asked for.
        families: usize,
    },
}

fn unicast(f: Family) -> bool {
    f == Family::IPV4_UNICAST || f == Family::IPV6_UNICAST
}

impl Speaker {
    /// `clear bgp NEIGHBOR soft in`: the neighbour's routes go through its import policy
    /// again, without resetting the session (e.g. after [`Speaker::set_policy`] or
    /// [`Speaker::set_import`]). With soft reconfiguration inbound it runs over the routes
    /// kept; otherwise (or when routes were left out past the maximum-prefix limit and the
    /// neighbour supports it) the neighbour is sent ROUTE-REFRESH.
    pub fn soft_reset_in(
        &mut self,
        now: Instant,
        id: NeighborId,
    ) -> Result<SoftResetIn, CommandError> {
        let n = self.neighbor(id).ok_or(CommandError::NotEstablished)?;
        if n.session.state() != bgp_fsm::State::Established {
            return Err(CommandError::NotEstablished);
        }
        let neg = n.negotiated.as_ref().ok_or(CommandError::NotEstablished)?;
        let peer = n.rib_peer;
        let refresh = match n.adj_in.as_ref() {
            None => true,
            Some(a) => !a.complete() && neg.route_refresh,
        };
        if refresh {
            let families: Vec<Family> = neg.families.clone();
            let r = families.iter().try_for_each(|f| match self.neighbor_mut(id) {
                Some(n) => n.session.route_refresh(now, *f),
                None => Err(CommandError::NotEstablished),
            });
            self.process(now);
            return r.map(|()| SoftResetIn::RouteRefresh { families: families.len() });
        }
        let Some(adj) = self.neighbor_mut(id).and_then(|n| n.adj_in.take()) else {
            return Err(CommandError::NotEstablished);
        };
        // One call per attribute set and family, as the routes came in UPDATEs.
        let mut by_set: HashMap<(u32, usize), Vec<Nlri>, foldhash::fast::FixedState> =
            HashMap::default();
        for (&(prefix, path_id), &set) in &adj.routes {
            let nlri = Nlri { path_id: (path_id != 0).then_some(path_id), prefix };
            by_set.entry((set, fam(&prefix))).or_default().push(nlri);
        }
        let routes = adj.routes.len();
        let mut denied = 0;
        for ((set, _), nlri) in by_set {
            let Some(set) = adj.sets.get(set) else { continue };
            let sum = self.rib.announce_routes(now, peer, &nlri, set.next_hop.clone(), &set.attrs);
            denied += u64::from(sum.denied);
        }
        if let Some(n) = self.neighbor_mut(id) {
            n.adj_in = Some(adj);
            n.counters.denied += denied;
        }
        self.check_prefix_limit(now, id);
        self.process(now);
        Ok(SoftResetIn::Reapplied { routes })
    }

    /// Replaces the routing policy. Export policy applies at once: every update group's
    /// Adj-RIB-Out is worked out again and the differences are sent. Import policy applies
    /// to routes as they arrive; [`Speaker::soft_reset_in`] applies it to a neighbour's
    /// routes already in the table.
    pub fn set_policy(&mut self, now: Instant, policy: Policy) -> Result<(), ConfigError> {
        let neighbours = self.neighbors.iter().flatten().map(|n| &n.cfg);
        let redistributed = self.cfg.redistribute.iter().map(|r| &r.route_map);
        let names = neighbours.flat_map(|c| [&c.import, &c.export]).chain(redistributed);
        for name in names.flatten() {
            if policy.route_map_id(name).is_none() {
                return Err(ConfigError::UnknownRouteMap(name.clone()));
            }
        }
        self.rib.set_policy(policy.clone());
        self.cfg.policy = policy;
        // Route map ids may differ in the new policy: look the groups' maps up again by
        // name (members of a group share it).
        for gi in 0..self.groups.len() {
            let Some(Some(g)) = self.groups.get(gi) else { continue };
            let name = g
                .members
                .first()
                .and_then(|m| self.neighbor(*m))
                .and_then(|n| n.cfg.export.as_deref());
            let export = name.and_then(|m| self.cfg.policy.route_map_id(m));
            if let Some(Some(g)) = self.groups.get_mut(gi) {
                g.key.export = export;
            }
        }
        let mut best = Vec::new();
        self.rib.for_each_best(|p, s| best.push((p, s)));
        let mut cache = crate::addpath::ExportCache::default();
        for (p, s) in best {
            for gi in 0..self.groups.len() {
                self.export_prefix(gi, p, Some(&s), &mut cache);
            }
        }
        cache.release(&mut self.outs);
        self.process(now);
        Ok(())
    }

    /// Changes a neighbour's import route map (`None`: none). It applies to routes as they
    /// arrive; [`Speaker::soft_reset_in`] applies it to the neighbour's routes already in
    /// the table.
    pub fn set_import(
        &mut self,
        id: NeighborId,
        import: Option<String>,
    ) -> Result<(), ConfigError> {
        if let Some(name) = &import {
            if self.cfg.policy.route_map_id(name).is_none() {
                return Err(ConfigError::UnknownRouteMap(name.clone()));
            }
        }
        let Some(n) = self.neighbor_mut(id) else { return Ok(()) };
        n.cfg.import = import.clone();
        let peer = n.rib_peer;
        if let Some(mut pc) = self.rib.peer(peer).cloned() {
            pc.import = import;
            self.rib.set_peer(peer, pc);
        }
        Ok(())
    }

    /// A received UPDATE from a neighbour with soft reconfiguration inbound: kept before
    /// policy, then into the table.
    pub(crate) fn received_soft(
        &mut self,
        now: Instant,
        id: NeighborId,
        received: &bgp_fsm::Received,
    ) -> UpdateSummary {
        let (update, ctx) = (received.update(), received.context());
        // The session's judgement: the families it may use, RFC 7606 treat-as-withdraw.
        let usable = |f: Family| unicast(f) && received.is_usable(f);
        let mut sum = UpdateSummary::default();
        let Some(n) = self.neighbors.get_mut(id.0 as usize).and_then(Option::as_mut) else {
            return sum;
        };
        let peer = n.rib_peer;
        let limit = n.cfg.max_prefix.map(|m| m.limit);
        let Some(adj) = n.adj_in.as_mut() else { return sum };
        let mut withdrawn: Vec<Nlri> = Vec::new();
        for (family, nlri) in update.withdrawals() {
            if usable(family) {
                withdrawn.push(nlri);
            }
        }
        // RFC 7606 §2 treat-as-withdraw: the routes of the UPDATE are withdrawn.
        let treat_as_withdraw = received.is_treat_as_withdraw();
        if treat_as_withdraw {
            withdrawn.extend(update.announced().filter(|(f, _)| usable(*f)).map(|(_, n)| n));
        }
        for nlri in &withdrawn {
            let pid = nlri.path_id.unwrap_or(0);
            adj.remove((nlri.prefix, pid));
            self.rib.withdraw(peer, nlri.prefix, pid);
            sum.withdrawn += 1;
        }
        if treat_as_withdraw {
            return sum;
        }
        let mut announced: Vec<(NextHop, Vec<Nlri>)> = Vec::new();
        if let Some(nh) = update.attributes().next_hop().filter(|_| usable(Family::IPV4_UNICAST)) {
            let routes: Vec<Nlri> = update.nlri().collect();
            if !routes.is_empty() {
                announced.push((NextHop::Ipv4(nh), routes));
            }
        }
        if let Some(m) = update.mp_reach().filter(|m| usable(m.family)) {
            let routes: Vec<Nlri> = m.routes().collect();
            if !routes.is_empty() {
                announced.push((m.next_hop(), routes));
            }
        }
        if announced.is_empty() {
            return sum;
        }
        let attrs = PathAttrs::from_update(update, ctx);
        for (next_hop, routes) in announced {
            let set = adj.sets.intern(InSet { attrs: attrs.clone(), next_hop: next_hop.clone() });
            for nlri in &routes {
                adj.sets.add_ref(set);
                adj.put((nlri.prefix, nlri.path_id.unwrap_or(0)), set, limit);
            }
            adj.sets.release(set);
            let s = self.rib.announce_routes(now, peer, &routes, next_hop, &attrs);
            sum.announced += s.announced;
            sum.denied += s.denied;
            sum.refused += s.refused;
            sum.ignored += s.ignored;
        }
        sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(adj: &mut AdjRibIn, med: u32) -> u32 {
        let attrs = PathAttrs { med: Some(med), ..PathAttrs::default() };
        let next_hop = NextHop::Ipv4("192.0.2.1".parse().unwrap());
        adj.sets.intern(InSet { attrs, next_hop })
    }

    fn key(p: &str) -> (IpNet, u32) {
        (p.parse().unwrap(), 0)
    }

    #[test]
    fn routes_share_sets_and_free_them() {
        let mut adj = AdjRibIn::default();
        for p in ["10.0.0.0/24", "10.0.1.0/24"] {
            let s = set(&mut adj, 1);
            adj.put(key(p), s, None);
        }
        assert_eq!((adj.received(), adj.sets()), ((2, 0), 1));
        // A route sent again with other attributes replaces the one kept.
        let s = set(&mut adj, 2);
        adj.put(key("10.0.0.0/24"), s, None);
        assert_eq!((adj.received(), adj.sets()), ((2, 0), 2));
        adj.remove(key("10.0.1.0/24"));
        assert_eq!((adj.received(), adj.sets()), ((1, 0), 1));
        let s = set(&mut adj, 3);
        adj.put(key("2001:db8::/32"), s, None);
        adj.clear_family(false);
        assert_eq!((adj.received(), adj.sets()), ((0, 1), 1));
    }

    #[test]
    fn the_limit_bounds_what_is_kept() {
        let mut adj = AdjRibIn::default();
        for i in 0..5 {
            let s = set(&mut adj, 1);
            adj.put(key(&format!("10.0.{i}.0/24")), s, Some(3));
        }
        // Three kept, two left out: five received, and a reset cannot rebuild from it.
        assert_eq!(adj.iter().count(), 3);
        assert_eq!(adj.received(), (5, 0));
        assert!(!adj.complete());
        // A route already kept is still replaced.
        let s = set(&mut adj, 2);
        adj.put(key("10.0.0.0/24"), s, Some(3));
        assert_eq!(adj.iter().next().map(|(_, s)| s.attrs.med), Some(Some(2)));
        adj.clear_family(false);
        assert!(adj.complete());
        assert_eq!(adj.sets(), 0);
    }
}
