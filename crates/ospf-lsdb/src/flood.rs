//! Flooding (RFC 2328 §13): receiving Link State Updates, installing LSAs,
//! sending them on, acknowledgements and retransmissions; and the aging of
//! the databases (§14).

use std::cmp::Ordering;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::exchange::known_type;
use crate::instance::{GlobalTimer, IfTimer, Instance};
use crate::interface::IfState;
use crate::lsa::{is_as_scope, LsSeqNum, LsType, Lsa, LsaExt, LsaHeader, LsaKey};
use crate::neighbor::{NbrKey, NbrState, NbrTimer};
use crate::packet::{Body, LinkStateAck};
use crate::types::{consts, AreaId};

/// Delay before sending delayed acknowledgements (less than RxmtInterval).
const DELAYED_ACK: Duration = Duration::from_secs(1);

impl Instance {
    /// Whether any neighbour is in Exchange or Loading.
    fn any_exchanging(&self) -> bool {
        self.interfaces.values().any(|i| {
            i.neighbors.values().any(|n| matches!(n.state, NbrState::Exchange | NbrState::Loading))
        })
    }

    /// Whether we originated the LSA (§13.4).
    pub(crate) fn is_self_originated(&self, key: &LsaKey) -> bool {
        let id = u32::from(key.link_state_id);
        key.advertising_router == self.cfg.router_id
            || (key.ls_type == LsType::NETWORK
                && id != 0
                && self.interfaces.values().any(|i| i.addr_u32() == id))
    }

    /// Receiving Link State Update packets (§13).
    pub(crate) fn handle_lsu(&mut self, now: Instant, ifindex: u32, nbr: NbrKey, lsas: Vec<Lsa>) {
        if self.nbr_state(ifindex, nbr) < NbrState::Exchange {
            return;
        }
        let Some(area) = self.interfaces.get(&ifindex).map(|i| i.cfg.area) else {
            return;
        };
        let ext = self.area_external_capable(ifindex);
        let mut direct_acks: Vec<LsaHeader> = Vec::new();
        for lsa in lsas {
            // Step 1: "Validate the LSA's LS checksum. If the checksum turns
            // out to be invalid, discard the LSA".
            if !lsa.checksum_ok() {
                continue;
            }
            let key = lsa.key();
            // Steps 2 and 3: unknown types; AS-external-LSAs in stub areas.
            if !known_type(key.ls_type) || (is_as_scope(key.ls_type) && !ext) {
                continue;
            }
            let db = self.lookup(area, &key).map(|e| {
                let mut h = *e.lsa.header();
                h.ls_age = e.age(now);
                (e.lsa.clone(), h, e.installed, e.flooded)
            });
            // Step 4: a MaxAge LSA we do not have, with nobody exchanging.
            if lsa.age() >= consts::MAX_AGE && db.is_none() && !self.any_exchanging() {
                direct_acks.push(*lsa.header());
                continue;
            }
            let cmp = db
                .as_ref()
                .map_or(Ordering::Greater, |(_, h, _, _)| lsa.header().compare_recency(h));
            let on_request_list =
                self.nbr_mut(ifindex, nbr).is_some_and(|n| n.requests.contains_key(&key));
            if cmp == Ordering::Greater {
                // Step 5(a): MinLSArrival, when "the database copy was
                // received via flooding and installed less than
                // MinLSArrival seconds ago". A copy that answered our Link
                // State Request in Loading does not count: the neighbour
                // reaching Full re-originates its router-LSA at once, and
                // discarding that would wait a RxmtInterval.
                if let Some((_, _, installed, true)) = &db {
                    if now.saturating_duration_since(*installed) < consts::MIN_LS_ARRIVAL
                        && !self.is_self_originated(&key)
                        && !on_request_list
                    {
                        continue;
                    }
                }
                // A full database takes no LSA under a new key (but our
                // own). It is acknowledged, so that the neighbour does not
                // retransmit it forever, and no longer requested.
                if db.is_none()
                    && self.lsdb_total() >= self.cfg.max_lsas
                    && !self.is_self_originated(&key)
                {
                    self.counters.lsas_refused += 1;
                    if !self.lsdb_full {
                        self.lsdb_full = true;
                        self.events
                            .push_back(crate::Event::DatabaseFull { limit: self.cfg.max_lsas });
                    }
                    if let Some(n) = self.nbr_mut(ifindex, nbr) {
                        n.requests.remove(&key);
                    }
                    direct_acks.push(*lsa.header());
                    continue;
                }
                let lsa = Arc::new(lsa);
                let scope = (!is_as_scope(key.ls_type)).then_some(area);
                // Step 5(b): flood out.
                let flooded_back = self.flood(now, scope, &lsa, Some((ifindex, nbr)));
                // Step 5(c): remove the old copy from retransmission lists.
                self.remove_from_rxmt_lists(&key);
                // Step 5(d): install.
                self.install(now, scope, lsa.clone());
                if !on_request_list {
                    self.mark_flooded(scope, &key);
                }
                // Step 5(e): acknowledge (§13.5: delayed, unless flooded
                // back out of the receiving interface).
                if !flooded_back {
                    if let Some(i) = self.interfaces.get_mut(&ifindex) {
                        i.delayed_acks.push(*lsa.header());
                        if i.timers.get(IfTimer::DelayedAck).is_none() {
                            i.timers.set(IfTimer::DelayedAck, now + DELAYED_ACK);
                        }
                    }
                }
                // Step 5(f): a newer instance of one of our own LSAs.
                if self.is_self_originated(&key) {
                    self.self_originated_received(now, scope, &lsa);
                }
            } else if on_request_list {
                // Step 6.
                self.enter_exstart(now, ifindex, nbr, "BadLSReq");
                return;
            } else if cmp == Ordering::Equal {
                // Step 7: same instance -- an implied acknowledgement, or
                // a direct one.
                let implied =
                    self.nbr_mut(ifindex, nbr).is_some_and(|n| n.rxmt.remove(&key).is_some());
                if !implied {
                    direct_acks.push(*lsa.header());
                }
            } else if let Some((mine, h, _, _)) = db {
                // Step 8: our copy is newer; send it back, unless it is
                // being flushed at MaxSequenceNumber.
                if !(h.ls_age >= consts::MAX_AGE && h.ls_sequence_number == LsSeqNum::MAX) {
                    if let Some(dst) = self.nbr_dst(ifindex, nbr) {
                        self.send_lsu(ifindex, dst, &[(mine, h.ls_age)]);
                    }
                }
            }
        }
        if !direct_acks.is_empty() {
            if let Some(dst) = self.nbr_dst(ifindex, nbr) {
                let ack = LinkStateAck { lsa_headers: direct_acks };
                self.send(ifindex, dst, &Body::LinkStateAck(ack));
            }
        }
        // Requests satisfied: more requests or LoadingDone.
        let ifs: Vec<(u32, NbrKey)> = self
            .interfaces
            .iter()
            .flat_map(|(ix, i)| i.neighbors.keys().map(move |r| (*ix, *r)))
            .collect();
        for (ix, r) in ifs {
            self.check_loading_done(now, ix, r);
        }
        // §10.9: the next Link State Request goes out once the neighbour
        // has answered every entry of the previous one.
        let answered = self.nbr_mut(ifindex, nbr).is_some_and(|n| {
            n.state == NbrState::Loading
                && !n.lsr_outstanding.iter().any(|k| n.requests.contains_key(k))
        });
        if answered {
            self.send_lsr(now, ifindex, nbr);
        }
    }

    /// Installs an LSA (§13.2) and records the change for SPF when the
    /// contents differ.
    /// Records that the installed instance of `key` arrived by flooding.
    fn mark_flooded(&mut self, scope: Option<AreaId>, key: &LsaKey) {
        match scope {
            None => self.as_lsdb.set_flooded(key),
            Some(a) => {
                if let Some(ar) = self.areas.get_mut(&a) {
                    ar.lsdb.set_flooded(key);
                }
            }
        }
    }

    pub(crate) fn install(&mut self, now: Instant, scope: Option<AreaId>, lsa: Arc<Lsa>) {
        let db = match scope {
            None => &mut self.as_lsdb,
            Some(a) => match self.areas.get_mut(&a) {
                Some(ar) => &mut ar.lsdb,
                None => return,
            },
        };
        let old = db.install(lsa.clone(), now);
        let live = |l: &Arc<Lsa>| l.age() < consts::MAX_AGE;
        let flushed = !live(&lsa);
        let differs = old.as_ref().is_none_or(|o| o.content_differs(&lsa));
        if differs {
            let old = old.filter(live);
            let new = Some(lsa).filter(live);
            if old.is_some() || new.is_some() {
                self.record_change(now, scope, old, new);
            }
        }
        // The aging pass runs at least once a minute; a MaxAge LSA must be
        // looked at within a second so that it is removed once acknowledged.
        let soon = now + Duration::from_secs(1);
        let at = match self.timers.get(GlobalTimer::Aging) {
            Some(t) if flushed => t.min(soon),
            Some(t) => t,
            None => soon,
        };
        self.timers.set(GlobalTimer::Aging, at);
    }

    pub(crate) fn remove_from_rxmt_lists(&mut self, key: &LsaKey) {
        for i in self.interfaces.values_mut() {
            for n in i.neighbors.values_mut() {
                n.rxmt.remove(key);
            }
        }
    }

    /// The flooding procedure (§13.3); `from` is the interface and
    /// neighbour the LSA came from. Returns whether it was flooded back out
    /// of the receiving interface.
    pub(crate) fn flood(
        &mut self,
        now: Instant,
        scope: Option<AreaId>,
        lsa: &Arc<Lsa>,
        from: Option<(u32, NbrKey)>,
    ) -> bool {
        let key = lsa.key();
        let age = lsa.age();
        let mut flooded_back = false;
        let eligible: Vec<u32> = self
            .interfaces
            .iter()
            .filter(|(_, i)| i.state != IfState::Down && !i.cfg.passive)
            .filter(|(_, i)| match scope {
                Some(a) => i.cfg.area == a,
                None => self.areas.get(&i.cfg.area).is_none_or(|a| a.external_capable()),
            })
            .map(|(ix, _)| *ix)
            .collect();
        for ifindex in eligible {
            let Some(i) = self.interfaces.get_mut(&ifindex) else {
                continue;
            };
            let rxmt = Duration::from_secs(u64::from(i.cfg.retransmit_interval.max(1)));
            let mut added = false;
            for (nbr, n) in &mut i.neighbors {
                // Step 1(a).
                if n.state < NbrState::Exchange {
                    continue;
                }
                // Step 1(b).
                if matches!(n.state, NbrState::Exchange | NbrState::Loading) {
                    if let Some(req) = n.requests.get(&key) {
                        match lsa.header().compare_recency(req) {
                            Ordering::Less => continue,
                            Ordering::Equal => {
                                n.requests.remove(&key);
                                continue;
                            }
                            Ordering::Greater => {
                                n.requests.remove(&key);
                            }
                        }
                    }
                }
                // Step 1(c).
                if from == Some((ifindex, *nbr)) {
                    continue;
                }
                // Step 1(d).
                n.rxmt.insert(key, lsa.clone());
                if n.timers.get(NbrTimer::LsuRxmt).is_none() {
                    n.timers.set(NbrTimer::LsuRxmt, now + rxmt);
                }
                added = true;
            }
            // Step 2.
            if !added {
                continue;
            }
            if let Some((fi, fr)) = from {
                if fi == ifindex {
                    // Step 3: received from the DR or BDR: they flood it.
                    let sender = i.neighbors.get(&fr).map_or(0, |n| u32::from(n.addr));
                    if i.is_broadcast() && (sender == i.dr || sender == i.bdr) {
                        continue;
                    }
                    // Step 4: we are the BDR on the receiving interface.
                    if i.state == IfState::Backup {
                        continue;
                    }
                    flooded_back = true;
                }
            }
            // Step 5.
            let dst = if !i.is_broadcast() || matches!(i.state, IfState::Dr | IfState::Backup) {
                consts::ALL_SPF_ROUTERS
            } else {
                consts::ALL_D_ROUTERS
            };
            self.send_lsu(ifindex, dst, &[(lsa.clone(), age)]);
        }
        flooded_back
    }

    /// Receiving Link State Acknowledgment packets (§13.7).
    pub(crate) fn handle_ack(&mut self, ifindex: u32, nbr: NbrKey, hs: &[LsaHeader]) {
        let Some(n) = self.nbr_mut(ifindex, nbr) else {
            return;
        };
        if n.state < NbrState::Exchange {
            return;
        }
        for h in hs {
            if let Some(l) = n.rxmt.get(&h.key()) {
                if h.compare_recency(l.header()) == Ordering::Equal {
                    n.rxmt.remove(&h.key());
                }
            }
        }
        if n.rxmt.is_empty() {
            n.timers.stop(NbrTimer::LsuRxmt);
        }
    }

    /// Sends the delayed acknowledgements of an interface (§13.5).
    pub(crate) fn send_delayed_acks(&mut self, ifindex: u32) {
        let Some(i) = self.interfaces.get_mut(&ifindex) else {
            return;
        };
        if i.delayed_acks.is_empty() {
            return;
        }
        let acks = std::mem::take(&mut i.delayed_acks);
        let dst = if !i.is_broadcast() || matches!(i.state, IfState::Dr | IfState::Backup) {
            consts::ALL_SPF_ROUTERS
        } else {
            consts::ALL_D_ROUTERS
        };
        let room = (i.max_packet() - 24) / crate::lsa::LSA_HEADER_LEN;
        for chunk in acks.chunks(room.max(1)) {
            self.send(
                ifindex,
                dst,
                &Body::LinkStateAck(LinkStateAck { lsa_headers: chunk.to_vec() }),
            );
        }
    }

    /// Retransmits the LSAs of a neighbour's retransmission list (§13.6).
    pub(crate) fn retransmit_lsu(&mut self, now: Instant, ifindex: u32, nbr: NbrKey) {
        let Some(i) = self.interfaces.get(&ifindex) else {
            return;
        };
        let rxmt = Duration::from_secs(u64::from(i.cfg.retransmit_interval.max(1)));
        let scope_area = i.cfg.area;
        let Some(n) = i.neighbors.get(&nbr) else {
            return;
        };
        if n.rxmt.is_empty() || n.state < NbrState::Exchange {
            return;
        }
        let list: Vec<Arc<Lsa>> = n.rxmt.values().cloned().collect();
        let with_age: Vec<(Arc<Lsa>, u16)> = list
            .into_iter()
            .map(|l| {
                let age = self
                    .lookup(scope_area, &l.key())
                    .filter(|e| Arc::ptr_eq(&e.lsa, &l))
                    .map_or(l.age(), |e| e.age(now));
                (l, age)
            })
            .collect();
        if let Some(n) = self.nbr_mut(ifindex, nbr) {
            n.timers.set(NbrTimer::LsuRxmt, now + rxmt);
        }
        let Some(n) = self.interfaces.get(&ifindex).and_then(|i| i.neighbors.get(&nbr)) else {
            return;
        };
        let dst: Ipv4Addr = if self.interfaces.get(&ifindex).is_some_and(|i| i.is_broadcast()) {
            n.addr
        } else {
            consts::ALL_SPF_ROUTERS
        };
        self.send_lsu(ifindex, dst, &with_age);
    }

    /// Ages the databases (§14): refreshes our LSAs at LSRefreshTime,
    /// flushes LSAs reaching MaxAge and removes flushed ones once every
    /// neighbour acknowledged them.
    pub(crate) fn age_databases(&mut self, now: Instant) {
        let me = self.cfg.router_id;
        let mut next = now + Duration::from_secs(60);
        let mut refresh: Vec<(Option<AreaId>, Arc<Lsa>)> = Vec::new();
        let mut expire: Vec<(Option<AreaId>, Arc<Lsa>)> = Vec::new();
        let mut pending: Vec<(Option<AreaId>, LsaKey)> = Vec::new();
        let scopes: Vec<Option<AreaId>> =
            self.areas.keys().map(|a| Some(*a)).chain(std::iter::once(None)).collect();
        for scope in &scopes {
            let db = match scope {
                None => &self.as_lsdb,
                Some(a) => match self.areas.get(a) {
                    Some(ar) => &ar.lsdb,
                    None => continue,
                },
            };
            for (k, e) in db.iter() {
                let stored = e.lsa.age();
                if stored >= consts::MAX_AGE {
                    pending.push((*scope, *k));
                    continue;
                }
                let age = e.age(now);
                let own = k.advertising_router == me;
                let limit = if own { consts::LS_REFRESH_TIME } else { consts::MAX_AGE };
                if age >= limit {
                    if own {
                        refresh.push((*scope, e.lsa.clone()));
                    } else {
                        expire.push((*scope, e.lsa.clone()));
                    }
                } else {
                    let due =
                        e.installed + Duration::from_secs(u64::from(limit.saturating_sub(stored)));
                    next = next.min(due);
                }
            }
        }
        for (scope, l) in refresh {
            // "Whenever the LS age of a self-originated LSA reaches
            // LSRefreshTime, a new instance is originated" (§12.4).
            match l.header().ls_sequence_number.next() {
                Some(seq) => {
                    let h = l.header();
                    let new =
                        Arc::new(crate::lsa::build(0, h.options, l.key(), seq, l.body().clone()));
                    self.install(now, scope, new.clone());
                    self.flood(now, scope, &new, None);
                }
                _ => self.flush(now, scope, &l),
            }
        }
        for (scope, l) in expire {
            // §14: "the LSA is ... flooded" when it reaches MaxAge.
            let dead = Arc::new(l.with_age(consts::MAX_AGE));
            self.install(now, scope, dead.clone());
            self.flood(now, scope, &dead, None);
            next = next.min(now + Duration::from_secs(1));
        }
        let exchanging = self.any_exchanging();
        let mut removed = false;
        for (scope, key) in pending {
            let referenced = self
                .interfaces
                .values()
                .any(|i| i.neighbors.values().any(|n| n.rxmt.contains_key(&key)));
            if referenced || exchanging {
                next = next.min(now + Duration::from_secs(1));
                continue;
            }
            match scope {
                None => {
                    self.as_lsdb.remove(&key);
                }
                Some(a) => {
                    if let Some(ar) = self.areas.get_mut(&a) {
                        ar.lsdb.remove(&key);
                    }
                }
            }
            removed |= key.advertising_router == me;
        }
        self.timers.set(GlobalTimer::Aging, next);
        if self.lsdb_full && self.lsdb_total() < self.cfg.max_lsas {
            self.lsdb_full = false;
        }
        if removed {
            // A flushed LSA of ours may be wanted again (sequence wrap).
            self.originate(now);
        }
    }

    /// Premature aging (§14.1): sets an LSA of ours to MaxAge and floods it.
    pub(crate) fn flush(&mut self, now: Instant, scope: Option<AreaId>, l: &Arc<Lsa>) {
        let dead = Arc::new(l.with_age(consts::MAX_AGE));
        self.install(now, scope, dead.clone());
        self.flood(now, scope, &dead, None);
    }
}
