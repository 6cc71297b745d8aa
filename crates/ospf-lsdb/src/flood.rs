//! Flooding (RFC 2328 §13, RFC 5340 §4.5): receiving Link State Updates,
//! installing LSAs in the database of their scope (link, area or AS),
//! sending them on over the interfaces of that scope, acknowledgements and
//! retransmissions; and the aging of the databases (§14). Both versions.

use std::cmp::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::instance::{GlobalTimer, IfTimer, OspfInstance};
use crate::interface::IfState;
use crate::lsa::LsSeqNum;
use crate::neighbor::{NbrKey, NbrState, NbrTimer};
use crate::types::{consts, AreaId};
use crate::version::{ArcLsa, Header, Key, KeyOf, Packet, Scope, Version, WireLsa};

/// Delay before sending delayed acknowledgements (less than RxmtInterval).
const DELAYED_ACK: Duration = Duration::from_secs(1);

impl<V: Version> OspfInstance<V> {
    /// Whether any neighbour is in Exchange or Loading.
    fn any_exchanging(&self) -> bool {
        self.interfaces.values().any(|i| {
            i.neighbors.values().any(|n| matches!(n.state, NbrState::Exchange | NbrState::Loading))
        })
    }

    /// Whether we originated the LSA (§13.4).
    pub(crate) fn is_self_originated(&self, key: &KeyOf<V>) -> bool {
        key.advertising_router() == self.cfg.router_id
            || V::network_lsa_address(key)
                .is_some_and(|id| id != 0 && self.interfaces.values().any(|i| i.addr_u32() == id))
    }

    /// Receiving Link State Update packets (§13).
    pub(crate) fn handle_lsu(
        &mut self,
        now: Instant,
        ifindex: u32,
        nbr: NbrKey<V::Addr>,
        lsas: Vec<V::Lsa>,
    ) {
        if self.nbr_state(ifindex, nbr) < NbrState::Exchange {
            return;
        }
        if !self.interfaces.contains_key(&ifindex) {
            return;
        }
        let ext = self.area_external_capable(ifindex);
        let mut direct_acks: Vec<V::LsaHeader> = Vec::new();
        for lsa in lsas {
            // Step 1: "Validate the LSA's LS checksum. If the checksum turns
            // out to be invalid, discard the LSA".
            if !lsa.checksum_valid() {
                continue;
            }
            let key = lsa.hdr().key();
            // Steps 2 and 3: unknown types (OSPFv2; OSPFv3 keeps them with
            // the scope of RFC 5340 §4.5.1); AS-scope LSAs in stub areas.
            let Some(scope) = self.scope_for(ifindex, &key) else {
                continue;
            };
            if scope == Scope::As && !ext {
                continue;
            }
            let db = self.lookup(ifindex, &key).map(|e| {
                let mut h = *e.lsa.hdr();
                h.set_age(e.age(now));
                (e.lsa.clone(), h, e.installed, e.flooded)
            });
            // Step 4: a MaxAge LSA we do not have, with nobody exchanging.
            if lsa.hdr().age() >= consts::MAX_AGE && db.is_none() && !self.any_exchanging() {
                direct_acks.push(*lsa.hdr());
                continue;
            }
            let cmp = db.as_ref().map_or(Ordering::Greater, |(_, h, _, _)| lsa.hdr().recency(h));
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
                    direct_acks.push(*lsa.hdr());
                    continue;
                }
                let lsa = Arc::new(lsa);
                // Step 5(c), "remove the current database copy from all
                // neighbors' Link state retransmission lists", before 5(b):
                // the lists are keyed by LSA, and flooding puts the new
                // instance on them, where it must stay until acknowledged.
                self.remove_from_rxmt_lists(&key);
                // Step 5(b): flood out.
                let flooded_back = self.flood(now, scope, &lsa, Some((ifindex, nbr)));
                // Step 5(d): install.
                self.install(now, scope, lsa.clone());
                if !on_request_list {
                    self.mark_flooded(scope, &key);
                }
                // Step 5(e): acknowledge (§13.5: delayed, unless flooded
                // back out of the receiving interface).
                if !flooded_back {
                    if let Some(i) = self.interfaces.get_mut(&ifindex) {
                        i.delayed_acks.push(*lsa.hdr());
                        if i.timers.get(IfTimer::DelayedAck).is_none() {
                            i.timers.set(IfTimer::DelayedAck, now + DELAYED_ACK);
                        }
                    }
                }
                // Step 5(f): a newer instance of one of our own LSAs.
                if self.is_self_originated(&key) {
                    self.self_originated_received(now, scope, &lsa);
                }
                // A neighbour's link-LSA lists the prefixes a DR's
                // intra-area-prefix-LSA carries (RFC 5340 §4.4.3.9).
                if matches!(scope, Scope::Link(_)) && !self.is_self_originated(&key) {
                    self.originate(now);
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
                    direct_acks.push(*lsa.hdr());
                }
            } else if let Some((mine, h, _, _)) = db {
                // Step 8: our copy is newer; send it back, unless it is
                // being flushed at MaxSequenceNumber.
                if !(h.age() >= consts::MAX_AGE && h.seq() == LsSeqNum::MAX) {
                    if let Some(dst) = self.nbr_dst(ifindex, nbr) {
                        self.send_lsu(ifindex, dst, &[(mine, h.age())]);
                    }
                }
            }
        }
        if !direct_acks.is_empty() {
            if let Some(dst) = self.nbr_dst(ifindex, nbr) {
                self.send(ifindex, dst, Packet::Ack(direct_acks));
            }
        }
        // Requests satisfied: more requests or LoadingDone.
        let ifs: Vec<(u32, NbrKey<V::Addr>)> = self
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

    /// Records that the installed instance of `key` arrived by flooding.
    fn mark_flooded(&mut self, scope: Scope, key: &KeyOf<V>) {
        if let Some(db) = self.db_mut(scope) {
            db.set_flooded(key);
        }
    }

    /// The area a change in `scope` is reported under (`None`: AS scope).
    fn change_area(&self, scope: Scope) -> Option<AreaId> {
        match scope {
            Scope::Area(a) => Some(a),
            Scope::As => None,
            Scope::Link(ix) => self.interfaces.get(&ix).map(|i| i.cfg.area),
        }
    }

    /// Installs an LSA (§13.2) and records the change for SPF when the
    /// contents differ.
    pub(crate) fn install(&mut self, now: Instant, scope: Scope, lsa: ArcLsa<V>) {
        let Some(db) = self.db_mut(scope) else {
            return;
        };
        let old = db.install(lsa.clone(), now);
        let live = |l: &ArcLsa<V>| l.hdr().age() < consts::MAX_AGE;
        let flushed = !live(&lsa);
        let differs = old.as_ref().is_none_or(|o| o.differs(&lsa));
        if differs {
            let old = old.filter(live);
            let new = Some(lsa).filter(live);
            if old.is_some() || new.is_some() {
                let area = self.change_area(scope);
                self.record_change(now, area, old, new);
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

    pub(crate) fn remove_from_rxmt_lists(&mut self, key: &KeyOf<V>) {
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
        scope: Scope,
        lsa: &ArcLsa<V>,
        from: Option<(u32, NbrKey<V::Addr>)>,
    ) -> bool {
        let key = lsa.hdr().key();
        let age = lsa.hdr().age();
        let mut flooded_back = false;
        // §13.3 step 1 with RFC 5340 §4.5.2: the interfaces of the scope.
        let eligible: Vec<u32> = self
            .interfaces
            .iter()
            .filter(|(_, i)| i.state != IfState::Down && !i.cfg.passive)
            .filter(|(ix, i)| match scope {
                Scope::Link(l) => **ix == l,
                Scope::Area(a) => i.cfg.area == a,
                Scope::As => self.areas.get(&i.cfg.area).is_none_or(|a| a.external_capable()),
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
                        match lsa.hdr().recency(req) {
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
                    let sender =
                        i.neighbors.get(&fr).map_or(0, crate::instance::Interface::nbr_dr_id);
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
                V::ALL_SPF_ROUTERS
            } else {
                V::ALL_D_ROUTERS
            };
            self.send_lsu(ifindex, dst, &[(lsa.clone(), age)]);
        }
        flooded_back
    }

    /// Receiving Link State Acknowledgment packets (§13.7).
    pub(crate) fn handle_ack(&mut self, ifindex: u32, nbr: NbrKey<V::Addr>, hs: &[V::LsaHeader]) {
        let Some(n) = self.nbr_mut(ifindex, nbr) else {
            return;
        };
        if n.state < NbrState::Exchange {
            return;
        }
        for h in hs {
            if let Some(l) = n.rxmt.get(&h.key()) {
                if h.recency(l.hdr()) == Ordering::Equal {
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
            V::ALL_SPF_ROUTERS
        } else {
            V::ALL_D_ROUTERS
        };
        let room = (i.max_packet() - V::HEADER_LEN) / crate::lsa::LSA_HEADER_LEN;
        for chunk in acks.chunks(room.max(1)) {
            self.send(ifindex, dst, Packet::Ack(chunk.to_vec()));
        }
    }

    /// Retransmits the LSAs of a neighbour's retransmission list (§13.6).
    pub(crate) fn retransmit_lsu(&mut self, now: Instant, ifindex: u32, nbr: NbrKey<V::Addr>) {
        let Some(i) = self.interfaces.get(&ifindex) else {
            return;
        };
        let rxmt = Duration::from_secs(u64::from(i.cfg.retransmit_interval.max(1)));
        let Some(n) = i.neighbors.get(&nbr) else {
            return;
        };
        if n.rxmt.is_empty() || n.state < NbrState::Exchange {
            return;
        }
        let list: Vec<ArcLsa<V>> = n.rxmt.values().cloned().collect();
        let with_age: Vec<(ArcLsa<V>, u16)> = list
            .into_iter()
            .map(|l| {
                let age = self
                    .lookup(ifindex, &l.hdr().key())
                    .filter(|e| Arc::ptr_eq(&e.lsa, &l))
                    .map_or(l.hdr().age(), |e| e.age(now));
                (l, age)
            })
            .collect();
        if let Some(n) = self.nbr_mut(ifindex, nbr) {
            n.timers.set(NbrTimer::LsuRxmt, now + rxmt);
        }
        let Some(n) = self.interfaces.get(&ifindex).and_then(|i| i.neighbors.get(&nbr)) else {
            return;
        };
        let dst = if self.interfaces.get(&ifindex).is_some_and(|i| i.is_broadcast()) {
            n.addr
        } else {
            V::ALL_SPF_ROUTERS
        };
        self.send_lsu(ifindex, dst, &with_age);
    }

    /// Ages the databases (§14): refreshes our LSAs at LSRefreshTime,
    /// flushes LSAs reaching MaxAge and removes flushed ones once every
    /// neighbour acknowledged them.
    pub(crate) fn age_databases(&mut self, now: Instant) {
        let me = self.cfg.router_id;
        let mut next = now + Duration::from_secs(60);
        let mut refresh: Vec<(Scope, ArcLsa<V>)> = Vec::new();
        let mut expire: Vec<(Scope, ArcLsa<V>)> = Vec::new();
        let mut pending: Vec<(Scope, KeyOf<V>)> = Vec::new();
        for scope in self.scopes() {
            let Some(db) = self.db(scope) else {
                continue;
            };
            for (k, e) in db.iter() {
                let stored = e.lsa.hdr().age();
                if stored >= consts::MAX_AGE {
                    pending.push((scope, *k));
                    continue;
                }
                let age = e.age(now);
                let own = k.advertising_router() == me;
                let limit = if own { consts::LS_REFRESH_TIME } else { consts::MAX_AGE };
                if age >= limit {
                    if own {
                        refresh.push((scope, e.lsa.clone()));
                    } else {
                        expire.push((scope, e.lsa.clone()));
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
            match l.hdr().seq().next() {
                Some(seq) => {
                    let new = Arc::new(l.refreshed(seq));
                    self.install(now, scope, new.clone());
                    self.flood(now, scope, &new, None);
                }
                _ => self.flush(now, scope, &l),
            }
        }
        for (scope, l) in expire {
            // §14: "the LSA is ... flooded" when it reaches MaxAge.
            let dead = Arc::new(l.aged(consts::MAX_AGE));
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
            if let Some(db) = self.db_mut(scope) {
                db.remove(&key);
            }
            removed |= key.advertising_router() == me;
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
    pub(crate) fn flush(&mut self, now: Instant, scope: Scope, l: &ArcLsa<V>) {
        let dead = Arc::new(l.aged(consts::MAX_AGE));
        self.install(now, scope, dead.clone());
        self.flood(now, scope, &dead, None);
    }
}
