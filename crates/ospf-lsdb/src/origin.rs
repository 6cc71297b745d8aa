//! Origination of our own LSAs (RFC 2328 §12.4): router-LSAs, network-LSAs
//! as DR, summary-LSAs as ABR and AS-external-LSAs for redistributed routes.
//!
//! Origination is a reconciliation: the LSAs we should have are computed
//! from the current state, compared with the database, and the differences
//! are originated (sequence number + 1) or flushed, subject to MinLSInterval.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use crate::config::{AreaKind, MetricType, NetworkType};
use crate::instance::{GlobalTimer, Instance};
use crate::interface::IfState;
use crate::lsa::{
    router_flags, ExternalBody, LinkType, Lsa, LsaBody, LsaKey, LsaType, RouterLink, SummaryBody,
};
use crate::neighbor::NbrState;
use crate::types::{consts, options, AreaId, RouterId};
use rib::PathType;

/// One LSA we should originate: its scope, key, options and body.
type Desired = (Option<AreaId>, LsaKey, u8, LsaBody);

impl Instance {
    fn area_options(&self, area: AreaId) -> u8 {
        match self.areas.get(&area).map(|a| a.cfg.kind) {
            Some(AreaKind::Normal) | None => options::E,
            Some(AreaKind::Nssa { .. }) => options::NP,
            Some(AreaKind::Stub { .. }) => 0,
        }
    }

    /// The LSAs this router should currently originate.
    fn desired_lsas(&self) -> Vec<Desired> {
        let me = self.cfg.router_id;
        let abr = self.is_abr();
        let mut out = Vec::new();
        let up_areas: BTreeSet<AreaId> = self
            .interfaces
            .values()
            .filter(|i| i.state != IfState::Down)
            .map(|i| i.cfg.area)
            .collect();
        // Summaries, translated NSSA externals and our externals first:
        // whether we originate AS-external-LSAs decides the E-bit.
        let mut tail = Vec::new();
        if abr {
            self.desired_summaries(&up_areas, &mut tail);
        }
        let translating = tail.iter().any(|d: &Desired| d.1.ty == LsaType::AS_EXTERNAL);
        let asbr = !self.cfg.redistribute.is_empty() || translating;
        for area in &up_areas {
            let kind = self.areas.get(area).map(|a| a.cfg.kind).unwrap_or_default();
            let mut flags = 0;
            if abr {
                flags |= router_flags::B;
            }
            if asbr && !matches!(kind, AreaKind::Stub { .. }) {
                flags |= router_flags::E;
            }
            let mut links = Vec::new();
            for i in self.interfaces.values().filter(|i| i.cfg.area == *area) {
                let (addr, mask) = (i.addr_u32(), i.mask_u32());
                let stub = RouterLink {
                    ty: LinkType::Stub,
                    id: addr & mask,
                    data: mask,
                    metric: i.cfg.cost,
                };
                match i.state {
                    IfState::Down => {}
                    _ if i.cfg.passive => links.push(stub),
                    IfState::PointToPoint => {
                        // §12.4.1.1: a type 1 link per Full neighbour, and a
                        // stub link for the subnet.
                        for n in i.neighbors.values().filter(|n| n.state == NbrState::Full) {
                            links.push(RouterLink {
                                ty: LinkType::PointToPoint,
                                id: n.router_id.0,
                                data: addr,
                                metric: i.cfg.cost,
                            });
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
                            links.push(RouterLink {
                                ty: LinkType::Transit,
                                id: i.dr,
                                data: addr,
                                metric: i.cfg.cost,
                            });
                        } else {
                            links.push(stub);
                        }
                    }
                }
            }
            out.push((
                Some(*area),
                LsaKey { ty: LsaType::ROUTER, id: me.0, adv: me },
                self.area_options(*area),
                LsaBody::Router { flags, links },
            ));
        }
        // §12.4.2: network-LSAs for the networks where we are DR.
        for i in self.interfaces.values() {
            if i.cfg.network != NetworkType::Broadcast || i.state != IfState::Dr || i.cfg.passive {
                continue;
            }
            let full: Vec<RouterId> = i
                .neighbors
                .values()
                .filter(|n| n.state == NbrState::Full)
                .map(|n| n.router_id)
                .collect();
            if full.is_empty() {
                continue;
            }
            let mut routers = vec![me];
            routers.extend(full);
            out.push((
                Some(i.cfg.area),
                LsaKey { ty: LsaType::NETWORK, id: i.addr_u32(), adv: me },
                self.area_options(i.cfg.area),
                LsaBody::Network { mask: i.mask_u32(), routers },
            ));
        }
        // §12.4.4: AS-external-LSAs, when some area takes them.
        let any_normal = up_areas
            .iter()
            .any(|a| self.areas.get(a).is_none_or(|x| x.cfg.kind == AreaKind::Normal));
        if any_normal {
            for r in &self.cfg.redistribute {
                let mask = u32::from(r.prefix.netmask());
                out.push((
                    None,
                    LsaKey { ty: LsaType::AS_EXTERNAL, id: u32::from(r.prefix.network()), adv: me },
                    options::E,
                    LsaBody::External(ExternalBody {
                        mask,
                        type2: r.metric_type == MetricType::Type2,
                        metric: r.metric.min(consts::LS_INFINITY - 1),
                        forwarding: r.forwarding.map_or(0, u32::from),
                        tag: r.tag,
                    }),
                ));
            }
        }
        // NSSA: type 7 LSAs for redistributed routes (RFC 3101 §2.4).
        for area in &up_areas {
            if !matches!(self.areas.get(area).map(|a| a.cfg.kind), Some(AreaKind::Nssa { .. })) {
                continue;
            }
            for r in &self.cfg.redistribute {
                out.push((
                    Some(*area),
                    LsaKey { ty: LsaType::NSSA, id: u32::from(r.prefix.network()), adv: me },
                    options::NP,
                    LsaBody::External(ExternalBody {
                        mask: u32::from(r.prefix.netmask()),
                        type2: r.metric_type == MetricType::Type2,
                        metric: r.metric.min(consts::LS_INFINITY - 1),
                        forwarding: r.forwarding.map_or(0, u32::from),
                        tag: r.tag,
                    }),
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
                    Some(*target),
                    LsaKey { ty: LsaType::SUMMARY_NETWORK, id: p.addr, adv: me },
                    opts,
                    LsaBody::Summary(SummaryBody { mask: p.mask(), metric: r.cost }),
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
                            Some(*target),
                            LsaKey { ty: LsaType::SUMMARY_ASBR, id: rid.0, adv: me },
                            opts,
                            LsaBody::Summary(SummaryBody { mask: 0, metric: r.cost }),
                        ));
                    }
                }
                AreaKind::Stub { default_cost } | AreaKind::Nssa { default_cost } => {
                    // §12.4.3.1: the default summary into a stub area.
                    out.push((
                        Some(*target),
                        LsaKey { ty: LsaType::SUMMARY_NETWORK, id: 0, adv: me },
                        opts,
                        LsaBody::Summary(SummaryBody {
                            mask: 0,
                            metric: default_cost.min(consts::LS_INFINITY - 1),
                        }),
                    ));
                }
            }
        }
        // RFC 3101 §3.2: translate type 7 LSAs of our NSSAs into type 5.
        for area in up_areas {
            if !matches!(self.areas.get(area).map(|a| a.cfg.kind), Some(AreaKind::Nssa { .. })) {
                continue;
            }
            let Some(db) = self.areas.get(area).map(|a| &a.lsdb) else {
                continue;
            };
            for (k, e) in db.iter() {
                if k.ty != LsaType::NSSA || k.adv == me || e.lsa.header.age >= consts::MAX_AGE {
                    continue;
                }
                // P-bit: propagate.
                if e.lsa.header.options & options::NP == 0 {
                    continue;
                }
                let LsaBody::External(x) = &e.lsa.body else {
                    continue;
                };
                out.push((
                    None,
                    LsaKey { ty: LsaType::AS_EXTERNAL, id: k.id, adv: me },
                    options::E,
                    LsaBody::External(*x),
                ));
            }
        }
    }

    /// Reconciles our LSAs in the databases with [`Self::desired_lsas`].
    pub(crate) fn originate(&mut self, now: Instant) {
        if self.shut_down {
            return;
        }
        let me = self.cfg.router_id;
        let desired = self.desired_lsas();
        let mut wanted: BTreeSet<(Option<AreaId>, LsaKey)> = BTreeSet::new();
        let mut deferred: Option<Instant> = None;
        for (scope, key, opts, body) in desired {
            if !wanted.insert((scope, key)) {
                continue;
            }
            let existing = self.scoped_get(scope, &key);
            let seq = match &existing {
                None => consts::INITIAL_SEQUENCE_NUMBER,
                Some(l) => {
                    let flushing = l.header.age >= consts::MAX_AGE;
                    if !flushing && l.body == body && l.header.options == opts {
                        continue;
                    }
                    if l.header.seq == consts::MAX_SEQUENCE_NUMBER {
                        // §12.1.6: flush the instance at MaxSequenceNumber
                        // first; origination resumes once it is removed.
                        if !flushing {
                            self.flush(now, scope, l);
                        }
                        continue;
                    }
                    l.header.seq + 1
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
            let lsa = Arc::new(Lsa::new(0, opts, key, seq, body));
            self.install(now, scope, lsa.clone());
            self.flood(now, scope, &lsa, None);
            self.last_originated.insert((scope, key), now);
        }
        // Flush what we originated but no longer want.
        let mut stale: Vec<(Option<AreaId>, Arc<Lsa>)> = Vec::new();
        for (a, ar) in &self.areas {
            for (k, e) in ar.lsdb.iter() {
                if k.adv == me
                    && e.lsa.header.age < consts::MAX_AGE
                    && !wanted.contains(&(Some(*a), *k))
                {
                    stale.push((Some(*a), e.lsa.clone()));
                }
            }
        }
        for (k, e) in self.as_lsdb.iter() {
            if k.adv == me && e.lsa.header.age < consts::MAX_AGE && !wanted.contains(&(None, *k)) {
                stale.push((None, e.lsa.clone()));
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

    fn scoped_get(&self, scope: Option<AreaId>, key: &LsaKey) -> Option<Arc<Lsa>> {
        match scope {
            None => self.as_lsdb.get(key),
            Some(a) => self.areas.get(&a).and_then(|ar| ar.lsdb.get(key)),
        }
        .map(|e| e.lsa.clone())
    }

    /// §13.4: a newer instance of one of our LSAs arrived. If we still
    /// originate it, a new instance with a higher sequence number replaces
    /// it; otherwise it is flushed.
    pub(crate) fn self_originated_received(
        &mut self,
        now: Instant,
        scope: Option<AreaId>,
        lsa: &Arc<Lsa>,
    ) {
        let key = lsa.key();
        let desired = self.desired_lsas().into_iter().find(|(s, k, _, _)| *s == scope && *k == key);
        match desired {
            Some((_, _, opts, body)) => {
                if lsa.header.seq == consts::MAX_SEQUENCE_NUMBER {
                    self.flush(now, scope, lsa);
                    return;
                }
                let new = Arc::new(Lsa::new(0, opts, key, lsa.header.seq + 1, body));
                self.install(now, scope, new.clone());
                self.flood(now, scope, &new, None);
                self.last_originated.insert((scope, key), now);
            }
            None => {
                if lsa.header.age < consts::MAX_AGE {
                    self.flush(now, scope, lsa);
                }
            }
        }
    }

    /// Flushes every LSA we originated (premature aging on shutdown).
    pub(crate) fn flush_all_own(&mut self, now: Instant) {
        let me = self.cfg.router_id;
        let mut own: Vec<(Option<AreaId>, Arc<Lsa>)> = Vec::new();
        for (a, ar) in &self.areas {
            for (k, e) in ar.lsdb.iter() {
                if k.adv == me && e.lsa.header.age < consts::MAX_AGE {
                    own.push((Some(*a), e.lsa.clone()));
                }
            }
        }
        for (k, e) in self.as_lsdb.iter() {
            if k.adv == me && e.lsa.header.age < consts::MAX_AGE {
                own.push((None, e.lsa.clone()));
            }
        }
        for (scope, l) in own {
            self.flush(now, scope, &l);
        }
    }
}
