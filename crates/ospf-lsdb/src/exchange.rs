//! Database exchange (RFC 2328 §10.6, §10.8) and link state requests
//! (§10.7, §10.9): from ExStart to Full.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::instance::Instance;
use crate::lsa::{Lsa, LsaKey, LsaType, HEADER_LEN};
use crate::lsdb::LsdbEntry;
use crate::neighbor::{NbrState, NbrTimer};
use crate::packet::{dd_flags, Body, DatabaseDescription};
use crate::types::{consts, options, AreaId, RouterId};

impl Instance {
    /// The database holding `key` as seen from `area`.
    pub(crate) fn lookup(&self, area: AreaId, key: &LsaKey) -> Option<&LsdbEntry> {
        if key.ty.is_as_scope() {
            self.as_lsdb.get(key)
        } else {
            self.areas.get(&area).and_then(|a| a.lsdb.get(key))
        }
    }

    /// Where to send a packet for one neighbour: its address on broadcast
    /// networks, AllSPFRouters on point-to-point links.
    pub(crate) fn nbr_dst(&self, ifindex: u32, rid: RouterId) -> Option<std::net::Ipv4Addr> {
        let i = self.interfaces.get(&ifindex)?;
        let n = i.neighbors.get(&rid)?;
        Some(if i.is_broadcast() { n.addr } else { consts::ALL_SPF_ROUTERS })
    }

    fn area_of(&self, ifindex: u32) -> AreaId {
        self.interfaces.get(&ifindex).map_or(AreaId::BACKBONE, |i| i.cfg.area)
    }

    /// Enters ExStart (§10.3, "Negotiation of master and slave").
    pub(crate) fn enter_exstart(
        &mut self,
        now: Instant,
        ifindex: u32,
        rid: RouterId,
        reason: &'static str,
    ) {
        let r = self.rng.next_u64() as u32;
        let Some(n) = self.nbr_mut(ifindex, rid) else {
            return;
        };
        n.clear_lists();
        // "increments the DD sequence number ... If this is the first time
        // that an adjacency has been attempted, the DD sequence number
        // should be assigned some unique value".
        n.dd_seq = if n.dd_seq == 0 { r | 1 } else { n.dd_seq.wrapping_add(1) };
        n.master = true;
        let was_full = n.state == NbrState::Full;
        self.set_nbr_state(ifindex, rid, NbrState::ExStart, reason);
        self.send_dd(now, ifindex, rid);
        if was_full {
            self.originate(now);
            self.schedule_spf(now);
        }
    }

    /// Builds and sends the next DD packet of the exchange.
    fn send_dd(&mut self, now: Instant, ifindex: u32, rid: RouterId) {
        let ext = self.area_external_capable(ifindex);
        let Some(i) = self.interfaces.get_mut(&ifindex) else {
            return;
        };
        let mtu = i.mtu;
        let room = (i.max_packet() - 24 - 8) / HEADER_LEN;
        let rxmt = Duration::from_secs(u64::from(i.cfg.retransmit_interval.max(1)));
        let Some(n) = i.neighbors.get_mut(&rid) else {
            return;
        };
        let mut flags = if n.master { dd_flags::MS } else { 0 };
        let mut headers = Vec::new();
        if n.state == NbrState::ExStart {
            flags |= dd_flags::I | dd_flags::M | dd_flags::MS;
        } else {
            while headers.len() < room {
                match n.summary.pop_front() {
                    Some(h) => headers.push(h),
                    None => break,
                }
            }
            if !n.summary.is_empty() {
                flags |= dd_flags::M;
            }
        }
        let dd = DatabaseDescription {
            mtu,
            options: if ext { options::E } else { 0 },
            flags,
            seq: n.dd_seq,
            headers,
        };
        n.last_dd_more = flags & dd_flags::M != 0;
        n.last_dd_sent = Some(dd.clone());
        if n.master {
            n.timers.set(NbrTimer::DdRxmt, now + rxmt);
        }
        if let Some(dst) = self.nbr_dst(ifindex, rid) {
            self.send(ifindex, dst, &Body::DatabaseDescription(dd));
        }
    }

    /// Resends the last DD packet (master's RxmtInterval, or a slave
    /// answering a duplicate).
    pub(crate) fn retransmit_dd(&mut self, now: Instant, ifindex: u32, rid: RouterId) {
        let Some(i) = self.interfaces.get_mut(&ifindex) else {
            return;
        };
        let rxmt = Duration::from_secs(u64::from(i.cfg.retransmit_interval.max(1)));
        let Some(n) = i.neighbors.get_mut(&rid) else {
            return;
        };
        if !matches!(n.state, NbrState::ExStart | NbrState::Exchange) && n.master {
            return;
        }
        let Some(dd) = n.last_dd_sent.clone() else {
            return;
        };
        if n.master {
            n.timers.set(NbrTimer::DdRxmt, now + rxmt);
        }
        if let Some(dst) = self.nbr_dst(ifindex, rid) {
            self.send(ifindex, dst, &Body::DatabaseDescription(dd));
        }
    }

    /// Receiving Database Description packets (§10.6).
    pub(crate) fn handle_dd(
        &mut self,
        now: Instant,
        ifindex: u32,
        rid: RouterId,
        d: &DatabaseDescription,
    ) {
        let me = self.cfg.router_id;
        let Some(i) = self.interfaces.get(&ifindex) else {
            return;
        };
        // "If the Interface MTU field in the Database Description packet
        // indicates an IP datagram size that is larger than the router can
        // accept on the receiving interface without fragmentation, the
        // Database Description packet is rejected."
        if d.mtu > i.mtu {
            let local_mtu = i.mtu;
            if let Some(n) = self.nbr_mut(ifindex, rid) {
                if n.mtu_reported != Some(d.mtu) {
                    n.mtu_reported = Some(d.mtu);
                    self.events.push_back(crate::Event::MtuMismatch {
                        ifindex,
                        router_id: rid,
                        neighbor_mtu: d.mtu,
                        local_mtu,
                    });
                }
            }
            return;
        }
        if self.nbr_state(ifindex, rid) == NbrState::Init {
            // "Init: Generate the neighbor event 2-WayReceived".
            self.set_nbr_state(ifindex, rid, NbrState::TwoWay, "2-WayReceived");
            self.adj_ok(now, ifindex, rid);
        }
        let Some(n) = self.nbr_mut(ifindex, rid) else {
            return;
        };
        let this = (d.flags, d.options, d.seq);
        let duplicate = n.last_dd_recv == Some(this);
        let init_all = dd_flags::I | dd_flags::M | dd_flags::MS;
        match n.state {
            NbrState::ExStart => {
                if d.flags & init_all == init_all && d.headers.is_empty() && rid > me {
                    // "the router is now Slave. Set the master/slave bit to
                    // slave, and set the neighbor data structure's DD
                    // sequence number to that specified by the master."
                    n.master = false;
                    n.dd_seq = d.seq;
                    n.timers.stop(NbrTimer::DdRxmt);
                    n.last_dd_recv = Some(this);
                    n.options = d.options;
                    self.negotiation_done(now, ifindex, rid);
                    self.send_dd(now, ifindex, rid);
                    self.maybe_exchange_done_slave(now, ifindex, rid, d.flags);
                } else if d.flags & (dd_flags::I | dd_flags::MS) == 0
                    && d.seq == n.dd_seq
                    && rid < me
                {
                    n.master = true;
                    n.options = d.options;
                    self.negotiation_done(now, ifindex, rid);
                    self.exchange_dd(now, ifindex, rid, d);
                }
            }
            NbrState::Exchange => {
                if duplicate {
                    if !n.master {
                        self.retransmit_dd(now, ifindex, rid);
                    }
                    return;
                }
                let ms_ok = (d.flags & dd_flags::MS != 0) != n.master;
                if !ms_ok || d.flags & dd_flags::I != 0 || d.options != n.options {
                    self.enter_exstart(now, ifindex, rid, "SeqNumberMismatch");
                    return;
                }
                self.exchange_dd(now, ifindex, rid, d);
            }
            NbrState::Loading | NbrState::Full => {
                // Only duplicates are expected; a slave answers them.
                if duplicate {
                    if !n.master {
                        self.retransmit_dd(now, ifindex, rid);
                    }
                } else {
                    self.enter_exstart(now, ifindex, rid, "SeqNumberMismatch");
                }
            }
            _ => {}
        }
    }

    /// NegotiationDone: build the database summary list (§10.3).
    fn negotiation_done(&mut self, now: Instant, ifindex: u32, rid: RouterId) {
        let area = self.area_of(ifindex);
        let ext = self.area_external_capable(ifindex);
        let mut summary = Vec::new();
        let mut maxage: Vec<Arc<Lsa>> = Vec::new();
        let mut push = |e: &LsdbEntry| {
            if e.is_max_age(now) {
                // "LSAs whose age is equal to MaxAge are instead added to the
                // neighbor's Link state retransmission list."
                maxage.push(e.lsa.clone());
            } else {
                let mut h = e.lsa.header;
                h.age = e.age(now);
                summary.push(h);
            }
        };
        if let Some(a) = self.areas.get(&area) {
            a.lsdb.iter().for_each(|(_, e)| push(e));
        }
        if ext {
            self.as_lsdb.iter().for_each(|(_, e)| push(e));
        }
        let rxmt = self
            .interfaces
            .get(&ifindex)
            .map_or(5, |i| u64::from(i.cfg.retransmit_interval.max(1)));
        if let Some(n) = self.nbr_mut(ifindex, rid) {
            n.summary = summary.into();
            for l in maxage {
                n.rxmt.insert(l.key(), l);
            }
            if !n.rxmt.is_empty() {
                n.timers.set(NbrTimer::LsuRxmt, now + Duration::from_secs(rxmt));
            }
        }
        self.set_nbr_state(ifindex, rid, NbrState::Exchange, "NegotiationDone");
    }

    /// Processes a DD packet in Exchange state (§10.8 and the sequence
    /// checks of §10.6).
    fn exchange_dd(&mut self, now: Instant, ifindex: u32, rid: RouterId, d: &DatabaseDescription) {
        let area = self.area_of(ifindex);
        let ext = self.area_external_capable(ifindex);
        let Some(n) = self.nbr_mut(ifindex, rid) else {
            return;
        };
        let expected = if n.master { n.dd_seq } else { n.dd_seq.wrapping_add(1) };
        if d.seq != expected {
            self.enter_exstart(now, ifindex, rid, "SeqNumberMismatch");
            return;
        }
        n.last_dd_recv = Some((d.flags, d.options, d.seq));
        // For each LSA header: a type we do not know, or an AS-external-LSA
        // in a stub area, is a SeqNumberMismatch; a missing or older copy
        // goes on the request list.
        let mut wanted = Vec::new();
        for h in &d.headers {
            let known = known_type(h.key.ty);
            if !known || (h.key.ty.is_as_scope() && !ext) {
                self.enter_exstart(now, ifindex, rid, "SeqNumberMismatch");
                return;
            }
            let newer = match self.lookup(area, &h.key) {
                None => true,
                Some(e) => {
                    let mut mine = e.lsa.header;
                    mine.age = e.age(now);
                    h.compare_recency(&mine) == std::cmp::Ordering::Greater
                }
            };
            if newer {
                wanted.push(*h);
            }
        }
        let Some(n) = self.nbr_mut(ifindex, rid) else {
            return;
        };
        for h in wanted {
            n.requests.insert(h.key, h);
        }
        if n.master {
            // The slave acknowledged our packet.
            n.dd_seq = n.dd_seq.wrapping_add(1);
            n.timers.stop(NbrTimer::DdRxmt);
            if !n.last_dd_more && d.flags & dd_flags::M == 0 {
                self.exchange_done(now, ifindex, rid);
            } else {
                self.send_dd(now, ifindex, rid);
            }
        } else {
            n.dd_seq = d.seq;
            self.send_dd(now, ifindex, rid);
            self.maybe_exchange_done_slave(now, ifindex, rid, d.flags);
        }
    }

    fn maybe_exchange_done_slave(
        &mut self,
        now: Instant,
        ifindex: u32,
        rid: RouterId,
        their_flags: u8,
    ) {
        let done = self
            .nbr_mut(ifindex, rid)
            .is_some_and(|n| !n.master && !n.last_dd_more && their_flags & dd_flags::M == 0);
        if done {
            self.exchange_done(now, ifindex, rid);
        }
    }

    /// ExchangeDone: Loading if requests remain, else Full.
    fn exchange_done(&mut self, now: Instant, ifindex: u32, rid: RouterId) {
        let empty = self.nbr_mut(ifindex, rid).is_none_or(|n| n.requests.is_empty());
        if empty {
            self.set_nbr_state(ifindex, rid, NbrState::Full, "ExchangeDone");
            self.originate(now);
            self.schedule_spf(now);
        } else {
            self.set_nbr_state(ifindex, rid, NbrState::Loading, "ExchangeDone");
            self.send_lsr(now, ifindex, rid);
        }
    }

    /// LoadingDone when the request list has emptied.
    pub(crate) fn check_loading_done(&mut self, now: Instant, ifindex: u32, rid: RouterId) {
        let done = self
            .nbr_mut(ifindex, rid)
            .is_some_and(|n| n.state == NbrState::Loading && n.requests.is_empty());
        if done {
            if let Some(n) = self.nbr_mut(ifindex, rid) {
                n.timers.stop(NbrTimer::LsrRxmt);
            }
            self.set_nbr_state(ifindex, rid, NbrState::Full, "LoadingDone");
            self.originate(now);
            self.schedule_spf(now);
        }
    }

    /// Sends a Link State Request with as many entries as fit (§10.9).
    pub(crate) fn send_lsr(&mut self, now: Instant, ifindex: u32, rid: RouterId) {
        let Some(i) = self.interfaces.get_mut(&ifindex) else {
            return;
        };
        let room = (i.max_packet() - 24) / 12;
        let rxmt = Duration::from_secs(u64::from(i.cfg.retransmit_interval.max(1)));
        let Some(n) = i.neighbors.get_mut(&rid) else {
            return;
        };
        if n.requests.is_empty() || !matches!(n.state, NbrState::Exchange | NbrState::Loading) {
            n.timers.stop(NbrTimer::LsrRxmt);
            return;
        }
        let keys: Vec<LsaKey> = n.requests.keys().take(room).copied().collect();
        n.lsr_outstanding.clone_from(&keys);
        n.timers.set(NbrTimer::LsrRxmt, now + rxmt);
        if let Some(dst) = self.nbr_dst(ifindex, rid) {
            self.send(ifindex, dst, &Body::LinkStateRequest(keys));
        }
    }

    /// Receiving Link State Request packets (§10.7).
    pub(crate) fn handle_lsr(
        &mut self,
        now: Instant,
        ifindex: u32,
        rid: RouterId,
        keys: &[LsaKey],
    ) {
        if self.nbr_state(ifindex, rid) < NbrState::Exchange {
            return;
        }
        let area = self.area_of(ifindex);
        let mut found = Vec::with_capacity(keys.len());
        for k in keys {
            match self.lookup(area, k) {
                Some(e) => found.push((e.lsa.clone(), e.age(now))),
                None => {
                    // "If an LSA cannot be found in the database, something
                    // has gone wrong with the Database Exchange process, and
                    // neighbor event BadLSReq should be generated."
                    self.enter_exstart(now, ifindex, rid, "BadLSReq");
                    return;
                }
            }
        }
        if let Some(dst) = self.nbr_dst(ifindex, rid) {
            self.send_lsu(ifindex, dst, &found);
        }
    }

    /// Sends LSAs in as many Link State Update packets as needed; ages are
    /// incremented by InfTransDelay (§13.3).
    pub(crate) fn send_lsu(
        &mut self,
        ifindex: u32,
        dst: std::net::Ipv4Addr,
        lsas: &[(Arc<Lsa>, u16)],
    ) {
        let Some(i) = self.interfaces.get(&ifindex) else {
            return;
        };
        let room = i.max_packet() - 24 - 4;
        let delay = i.cfg.transmit_delay;
        let mut batch: Vec<Lsa> = Vec::new();
        let mut size = 0;
        for (l, age) in lsas {
            if size + l.len() > room && !batch.is_empty() {
                self.send(ifindex, dst, &Body::LinkStateUpdate(std::mem::take(&mut batch)));
                size = 0;
            }
            let age = age.saturating_add(delay).min(consts::MAX_AGE);
            batch.push(l.with_age(age));
            size += l.len();
        }
        if !batch.is_empty() {
            self.send(ifindex, dst, &Body::LinkStateUpdate(batch));
        }
    }
}

/// Whether an LS type is known to this implementation.
#[must_use]
pub(crate) fn known_type(ty: LsaType) -> bool {
    matches!(ty.0, 1..=5 | 7 | 9..=11)
}
