//! Origination of our own LSAs (RFC 2328 §12.4).
//!
//! Origination is a reconciliation, shared by both versions: the LSAs we
//! should have are computed from the current state ([`Version`]'s
//! `desired_lsas`), compared with the databases, and the differences are
//! originated (sequence number + 1) or flushed, subject to MinLSInterval.
//! The OSPFv2 LSAs are here: router-LSAs, network-LSAs as DR, summary-LSAs
//! as ABR, AS-external-LSAs for redistributed routes and NSSA LSAs; the
//! OSPFv3 ones are in `v3.rs`.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use crate::config::{AreaKind, MetricType, NetworkType};
use crate::instance::{GlobalTimer, OspfInstance};
use crate::interface::IfState;
use crate::lsa::{
    key, link, AsExternalLsa, LsSeqNum, LsType, LsaBody, LsaExt, NetworkLsa, Options, RouterFlags,
    RouterLinkType, RouterLsa, SummaryLsa,
};
use crate::neighbor::NbrState;
use crate::types::{consts, AreaId};
use crate::version::{ArcLsa, Header, Key, KeyOf, Scope, Version, WireLsa};
use crate::V2;
use rib::PathType;
use std::net::Ipv4Addr;

/// One OSPFv2 LSA we should originate: its scope, key, options and body.
type Desired = crate::version::Desired<V2>;

/// The body of an AS-external or NSSA LSA for a redistributed route
/// (RFC 2328 A.4.5).
fn external(r: &crate::config::Redistribute) -> AsExternalLsa {
    AsExternalLsa {
        network_mask: r.prefix.netmask(),
        e_bit: r.metric_type == MetricType::Type2,
        tos0: 0,
        metric: r.metric.min(consts::LS_INFINITY - 1),
        forwarding_address: r.forwarding.unwrap_or(Ipv4Addr::UNSPECIFIED),
        external_route_tag: r.tag,
        tos_metrics: Vec::new(),
    }
}

/// The body of a summary-LSA (RFC 2328 A.4.4; mask 0 for type 4).
fn summary(mask: u32, metric: u32) -> SummaryLsa {
    SummaryLsa { network_mask: Ipv4Addr::from(mask), tos0: 0, metric, tos_metrics: Vec::new() }
}

impl OspfInstance<V2> {
    fn area_options(&self, area: AreaId) -> Options {
        match self.areas.get(&area).map(|a| a.cfg.kind) {
            Some(AreaKind::Normal) | None => Options::E,
            Some(AreaKind::Nssa { .. }) => Options::NP,
            Some(AreaKind::Stub { .. }) => Options(0),
        }
    }

    /// The OSPFv2 LSAs this router should currently originate.
    pub(crate) fn desired_lsas_v2(&self) -> Vec<Desired> {
        let me = self.cfg.router_id;
        let abr = self.is_abr();
        let mut out = Vec::new();
        let up_areas = self.up_areas();
        // Summaries, translated NSSA externals and our externals first:
        // whether we originate AS-external-LSAs decides the E-bit.
        let mut tail = Vec::new();
        if abr {
            self.desired_summaries(&up_areas, &mut tail);
        }
        let translating = tail.iter().any(|d: &Desired| d.1.ls_type == LsType::AS_EXTERNAL);
        let asbr = !self.cfg.redistribute.is_empty() || translating;
        for area in &up_areas {
            let (b, e) = self.border_bits(*area, abr, asbr);
            let flags =
                RouterFlags((u8::from(b) * RouterFlags::B.0) | (u8::from(e) * RouterFlags::E.0));
            let mut links = Vec::new();
            for i in self.interfaces.values().filter(|i| i.cfg.area == *area) {
                let (addr, mask) = (i.addr_u32(), i.mask_u32());
                let stub = link(RouterLinkType::STUB, addr & mask, mask, i.cfg.cost);
                match i.state {
                    IfState::Down => {}
                    _ if i.cfg.passive => links.push(stub),
                    IfState::PointToPoint => {
                        // §12.4.1.1: a type 1 link per Full neighbour, and a
                        // stub link for the subnet.
                        for n in i.neighbors.values().filter(|n| n.state == NbrState::Full) {
                            links.push(link(
                                RouterLinkType::POINT_TO_POINT,
                                n.router_id.0,
                                addr,
                                i.cfg.cost,
                            ));
                        }
                        links.push(stub);
                    }
                    _ => {
                        // §12.4.1.2: a transit link when "the router is fully
                        // adjacent to the Designated Router" (or is the DR
                        // with at least one Full neighbour), else a stub.
                        let full_with_dr = if i.state == IfState::Dr {
                            i.neighbors.values().any(|n| n.state == NbrState::Full)
                        } else {
                            i.neighbors
                                .values()
                                .any(|n| n.state == NbrState::Full && u32::from(n.addr) == i.dr)
                        };
                        if i.state != IfState::Waiting && full_with_dr && i.dr != 0 {
                            links.push(link(RouterLinkType::TRANSIT, i.dr, addr, i.cfg.cost));
                        } else {
                            links.push(stub);
                        }
                    }
                }
            }
            links.extend(self.synthetic_router_links(*area));
            out.push((
                Scope::Area(*area),
                key(LsType::ROUTER, me.0, me),
                (
                    self.area_options(*area),
                    LsaBody::Router(RouterLsa { flags, reserved: 0, links }),
                ),
            ));
        }
        // §12.4.2: network-LSAs for the networks where we are DR.
        for i in self.interfaces.values() {
            if i.cfg.network != NetworkType::Broadcast || i.state != IfState::Dr || i.cfg.passive {
                continue;
            }
            let Some(routers) = i.attached_routers(me) else { continue };
            out.push((
                Scope::Area(i.cfg.area),
                key(LsType::NETWORK, i.addr_u32(), me),
                (
                    self.area_options(i.cfg.area),
                    LsaBody::Network(NetworkLsa {
                        network_mask: Ipv4Addr::from(i.mask_u32()),
                        attached_routers: routers,
                    }),
                ),
            ));
        }
        // §12.4.4: AS-external-LSAs, when some area takes them.
        let any_normal = up_areas
            .iter()
            .any(|a| self.areas.get(a).is_none_or(|x| x.cfg.kind == AreaKind::Normal));
        if any_normal {
            for r in &self.cfg.redistribute {
                out.push((
                    Scope::As,
                    key(LsType::AS_EXTERNAL, u32::from(r.prefix.network()), me),
                    (Options::E, LsaBody::AsExternal(external(r))),
                ));
            }
        }
        // NSSA: type 7 LSAs for redistributed routes (RFC 3101 §2.4), with
        // the P-bit clear from a border router, which originates the type 5
        // itself.
        let p_bit = if abr { Options(0) } else { Options::NP };
        for area in &up_areas {
            if !self.areas.get(area).is_some_and(|a| a.is_nssa()) {
                continue;
            }
            let fa = self.nssa_forwarding(*area);
            for r in &self.cfg.redistribute {
                let mut body = external(r);
                if body.forwarding_address.is_unspecified() {
                    body.forwarding_address = fa.unwrap_or(Ipv4Addr::UNSPECIFIED);
                }
                out.push((
                    Scope::Area(*area),
                    key(LsType::NSSA, u32::from(r.prefix.network()), me),
                    (p_bit, LsaBody::Nssa(body)),
                ));
            }
        }
        out.extend(tail);
        out
    }

    /// §12.4.3: summary-LSAs of an area border router.
    fn desired_summaries(&self, up_areas: &BTreeSet<AreaId>, out: &mut Vec<Desired>) {
        let me = self.cfg.router_id;
        for target in up_areas {
            let kind = self.areas.get(target).map(|a| a.cfg.kind).unwrap_or_default();
            let opts = self.area_options(*target);
            for (p, r) in self.table.network_routes() {
                let Some(from) = r.area else { continue };
                if from == *target || r.cost >= consts::LS_INFINITY {
                    continue;
                }
                // "Inter-area routes ... are advertised only into
                // non-backbone areas" -- and only those learned from the
                // backbone.
                if r.path_type == PathType::InterArea
                    && (target.is_backbone() || !from.is_backbone())
                {
                    continue;
                }
                if r.path_type != PathType::IntraArea && r.path_type != PathType::InterArea {
                    continue;
                }
                out.push((
                    Scope::Area(*target),
                    key(LsType::SUMMARY_NETWORK, p.addr, me),
                    (opts, LsaBody::SummaryNetwork(summary(p.mask(), r.cost))),
                ));
            }
            match kind {
                AreaKind::Normal => {
                    for (rid, r) in self.table.router_routes() {
                        if !r.asbr || r.area == *target || r.cost >= consts::LS_INFINITY {
                            continue;
                        }
                        if r.path_type == PathType::InterArea && target.is_backbone() {
                            continue;
                        }
                        out.push((
                            Scope::Area(*target),
                            key(LsType::SUMMARY_ASBR, rid.0, me),
                            (opts, LsaBody::SummaryAsbr(summary(0, r.cost))),
                        ));
                    }
                }
                AreaKind::Stub { default_cost } | AreaKind::Nssa { default_cost } => {
                    // §12.4.3.1: the default summary into a stub area.
                    out.push((
                        Scope::Area(*target),
                        key(LsType::SUMMARY_NETWORK, 0, me),
                        (
                            opts,
                            LsaBody::SummaryNetwork(summary(
                                0,
                                default_cost.min(consts::LS_INFINITY - 1),
                            )),
                        ),
                    ));
                }
            }
        }
        // RFC 3101 §3.2: translate type 7 LSAs of our NSSAs into type 5.
        for area in up_areas {
            if !self.areas.get(area).is_some_and(|a| a.is_nssa()) {
                continue;
            }
            let Some(db) = self.areas.get(area).map(|a| &a.lsdb) else {
                continue;
            };
            for (k, e) in db.iter() {
                if k.ls_type != LsType::NSSA
                    || k.advertising_router == me
                    || e.lsa.age() >= consts::MAX_AGE
                {
                    continue;
                }
                // P-bit: propagate.
                if !e.lsa.header().options.contains(Options::NP) {
                    continue;
                }
                let LsaBody::Nssa(x) = e.lsa.body() else {
                    continue;
                };
                out.push((
                    Scope::As,
                    key(LsType::AS_EXTERNAL, u32::from(k.link_state_id), me),
                    (Options::E, LsaBody::AsExternal(x.clone())),
                ));
            }
        }
    }
}

impl<V: Version> OspfInstance<V> {
    /// The areas with an interface that is up: those we originate a
    /// router-LSA into.
    pub(crate) fn up_areas(&self) -> BTreeSet<AreaId> {
        self.interfaces.values().filter(|i| i.state != IfState::Down).map(|i| i.cfg.area).collect()
    }

    /// The B and E bits of our router-LSA in `area` (RFC 2328 A.4.2, RFC
    /// 5340 A.4.3): B as an area border router; E as an AS boundary router,
    /// except in a stub area, which carries no AS-external routes.
    pub(crate) fn border_bits(&self, area: AreaId, abr: bool, asbr: bool) -> (bool, bool) {
        let kind = self.areas.get(&area).map(|a| a.cfg.kind).unwrap_or_default();
        (abr, asbr && !matches!(kind, AreaKind::Stub { .. }))
    }

    /// RFC 3101 §2.3: the forwarding address of our NSSA-LSAs in `area`,
    /// an address of ours in it that routes beyond its link, stub (passive)
    /// interfaces first. Translators need one: FRR's ospf6d translates no
    /// NSSA-LSA without it.
    pub(crate) fn nssa_forwarding(&self, area: AreaId) -> Option<V::Addr> {
        let mut ifs: Vec<_> = self
            .interfaces
            .values()
            .filter(|i| i.cfg.area == area && i.state != IfState::Down)
            .collect();
        ifs.sort_by_key(|i| (!i.cfg.passive, i.cfg.ifindex));
        ifs.iter().filter_map(|i| i.addr.as_ref()).find_map(V::routable)
    }

    /// Reconciles our LSAs in the databases with [`Self::desired_lsas`].
    pub(crate) fn originate(&mut self, now: Instant) {
        if self.shut_down {
            return;
        }
        let me = self.cfg.router_id;
        let desired = V::desired_lsas(self);
        let mut wanted: BTreeSet<(Scope, KeyOf<V>)> = BTreeSet::new();
        let mut deferred: Option<Instant> = None;
        for (scope, key, template) in desired {
            if !wanted.insert((scope, key)) {
                continue;
            }
            let existing = self.scoped_get(scope, &key);
            let seq = match &existing {
                None => LsSeqNum::INITIAL,
                Some(l) => {
                    let flushing = l.hdr().age() >= consts::MAX_AGE;
                    if !flushing && V::same_content(l, &template) {
                        continue;
                    }
                    let seq = l.hdr().seq();
                    if seq == LsSeqNum::MAX {
                        // §12.1.6: flush the instance at MaxSequenceNumber
                        // first; origination resumes once it is removed.
                        if !flushing {
                            self.flush(now, scope, l);
                        }
                        continue;
                    }
                    LsSeqNum(seq.0 + 1)
                }
            };
            // MinLSInterval.
            if let Some(t) = self.last_originated.get(&(scope, key)) {
                let ready = *t + consts::MIN_LS_INTERVAL;
                if now < ready {
                    deferred = Some(deferred.map_or(ready, |d: Instant| d.min(ready)));
                    continue;
                }
            }
            let lsa = Arc::new(V::build(key, seq, template));
            self.install(now, scope, lsa.clone());
            self.flood(now, scope, &lsa, None);
            self.last_originated.insert((scope, key), now);
        }
        // Flush what we originated but no longer want.
        let mut stale: Vec<(Scope, ArcLsa<V>)> = Vec::new();
        for scope in self.scopes() {
            for (k, e) in self.db(scope).into_iter().flat_map(|d| d.iter()) {
                if k.advertising_router() == me
                    && e.lsa.hdr().age() < consts::MAX_AGE
                    && !wanted.contains(&(scope, *k))
                {
                    stale.push((scope, e.lsa.clone()));
                }
            }
        }
        for (scope, l) in stale {
            self.flush(now, scope, &l);
        }
        if let Some(d) = deferred {
            let at = self.timers.get(GlobalTimer::Originate).map_or(d, |t| t.min(d));
            self.timers.set(GlobalTimer::Originate, at);
        }
    }

    fn scoped_get(&self, scope: Scope, key: &KeyOf<V>) -> Option<ArcLsa<V>> {
        self.db(scope).and_then(|d| d.get(key)).map(|e| e.lsa.clone())
    }

    /// §13.4: a newer instance of one of our LSAs arrived. If we still
    /// originate it, a new instance with a higher sequence number replaces
    /// it; otherwise it is flushed.
    pub(crate) fn self_originated_received(&mut self, now: Instant, scope: Scope, lsa: &ArcLsa<V>) {
        let key = lsa.hdr().key();
        let desired = V::desired_lsas(self).into_iter().find(|(s, k, _)| *s == scope && *k == key);
        match desired {
            Some((_, _, template)) => {
                let Some(seq) = lsa.hdr().seq().next() else {
                    // §12.1.6: a copy at MaxSequenceNumber cannot be
                    // followed: it is flushed, and origination starts again
                    // at InitialSequenceNumber once it is gone.
                    self.flush(now, scope, lsa);
                    return;
                };
                // MinLSInterval (§12.4): "the minimum time between distinct
                // originations of any particular LSA". A stream of newer
                // copies gets one new instance per interval; the copy
                // received stays installed until then.
                if let Some(t) = self.last_originated.get(&(scope, key)) {
                    let ready = *t + consts::MIN_LS_INTERVAL;
                    if now < ready {
                        let at =
                            self.timers.get(GlobalTimer::Originate).map_or(ready, |t| t.min(ready));
                        self.timers.set(GlobalTimer::Originate, at);
                        return;
                    }
                }
                let new = Arc::new(V::build(key, seq, template));
                self.install(now, scope, new.clone());
                self.flood(now, scope, &new, None);
                self.last_originated.insert((scope, key), now);
            }
            None => {
                if lsa.hdr().age() < consts::MAX_AGE {
                    self.flush(now, scope, lsa);
                }
            }
        }
    }

    /// Flushes every LSA we originated (premature aging on shutdown).
    pub(crate) fn flush_all_own(&mut self, now: Instant) {
        let me = self.cfg.router_id;
        let mut own: Vec<(Scope, ArcLsa<V>)> = Vec::new();
        for scope in self.scopes() {
            for (k, e) in self.db(scope).into_iter().flat_map(|d| d.iter()) {
                if k.advertising_router() == me && e.lsa.hdr().age() < consts::MAX_AGE {
                    own.push((scope, e.lsa.clone()));
                }
            }
        }
        for (scope, l) in own {
            self.flush(now, scope, &l);
        }
    }
}
