//! Database exchange (RFC 2328 §10.6, §10.8) and link state requests
//! (§10.7, §10.9): from ExStart to Full, for both versions (RFC 5340 §4.2.2
//! adds the link-scope database of the interface to the summary).

use std::time::{Duration, Instant};

use crate::instance::OspfInstance;
use crate::lsa::LSA_HEADER_LEN;
use crate::lsdb::{LinkStateDb, LsdbEntry};
use crate::neighbor::{NbrKey, NbrState, NbrTimer};
use crate::packet::DdFlags;
use crate::types::consts;
use crate::version::{ArcLsa, DdFields, Header, KeyOf, Packet, Scope, ScopeKind, Version, WireLsa};

impl<V: Version> OspfInstance<V> {
    /// The scope an LSA under `key` has when it arrives on `ifindex`
    /// (`None`: a type that is not stored).
    pub(crate) fn scope_for(&self, ifindex: u32, key: &KeyOf<V>) -> Option<Scope> {
        let i = self.interfaces.get(&ifindex)?;
        Some(match V::scope_of(key)? {
            ScopeKind::Link => Scope::Link(ifindex),
            ScopeKind::Area => Scope::Area(i.cfg.area),
            ScopeKind::As => Scope::As,
        })
    }

    /// The database of a scope.
    pub(crate) fn db(&self, scope: Scope) -> Option<&LinkStateDb<V>> {
        match scope {
            Scope::Link(ix) => self.interfaces.get(&ix).map(|i| &i.link_lsdb),
            Scope::Area(a) => self.areas.get(&a).map(|a| &a.lsdb),
            Scope::As => Some(&self.as_lsdb),
        }
    }

    /// The database of a scope, to change.
    pub(crate) fn db_mut(&mut self, scope: Scope) -> Option<&mut LinkStateDb<V>> {
        match scope {
            Scope::Link(ix) => self.interfaces.get_mut(&ix).map(|i| &mut i.link_lsdb),
            Scope::Area(a) => self.areas.get_mut(&a).map(|a| &mut a.lsdb),
            Scope::As => Some(&mut self.as_lsdb),
        }
    }

    /// Every scope with a database, links last.
    pub(crate) fn scopes(&self) -> Vec<Scope> {
        self.areas
            .keys()
            .map(|a| Scope::Area(*a))
            .chain(std::iter::once(Scope::As))
            .chain(self.interfaces.keys().map(|ix| Scope::Link(*ix)))
            .collect()
    }

    /// The database holding `key` as seen from interface `ifindex`.
    pub(crate) fn lookup(&self, ifindex: u32, key: &KeyOf<V>) -> Option<&LsdbEntry<V>> {
        self.db(self.scope_for(ifindex, key)?)?.get(key)
    }

    /// Where to send a packet for one neighbour: its address on broadcast
    /// networks, AllSPFRouters on point-to-point links.
    pub(crate) fn nbr_dst(&self, ifindex: u32, nbr: NbrKey<V::Addr>) -> Option<V::Addr> {
        let i = self.interfaces.get(&ifindex)?;
        let n = i.neighbors.get(&nbr)?;
        Some(if i.is_broadcast() { n.addr } else { V::ALL_SPF_ROUTERS })
    }

    /// Enters ExStart (§10.3, "Negotiation of master and slave").
    pub(crate) fn enter_exstart(
        &mut self,
        now: Instant,
        ifindex: u32,
        nbr: NbrKey<V::Addr>,
        reason: &'static str,
    ) {
        let r = self.rng.next_u64() as u32;
        let Some(n) = self.nbr_mut(ifindex, nbr) else {
            return;
        };
        n.clear_lists();
        // "increments the DD sequence number ... If this is the first time
        // that an adjacency has been attempted, the DD sequence number
        // should be assigned some unique value".
        n.dd_seq = if n.dd_seq == 0 { r | 1 } else { n.dd_seq.wrapping_add(1) };
        n.master = true;
        let was_full = n.state == NbrState::Full;
        self.set_nbr_state(ifindex, nbr, NbrState::ExStart, reason);
        self.send_dd(now, ifindex, nbr);
        if was_full {
            self.originate(now);
            self.schedule_spf(now);
        }
    }

    /// Builds and sends the next DD packet of the exchange.
    fn send_dd(&mut self, now: Instant, ifindex: u32, nbr: NbrKey<V::Addr>) {
        let ext = self.area_external_capable(ifindex);
        let nssa = self.area_nssa(ifindex);
        let Some(i) = self.interfaces.get_mut(&ifindex) else {
            return;
        };
        let mtu = i.mtu;
        let room = (i.max_packet() - V::HEADER_LEN - V::DD_FIXED) / LSA_HEADER_LEN;
        let rxmt = Duration::from_secs(u64::from(i.cfg.retransmit_interval.max(1)));
        let Some(n) = i.neighbors.get_mut(&nbr) else {
            return;
        };
        let mut flags = if n.master { DdFlags::MS } else { DdFlags(0) };
        let mut headers = Vec::new();
        if n.state == NbrState::ExStart {
            flags = DdFlags::I | DdFlags::M | DdFlags::MS;
        } else {
            while headers.len() < room {
                match n.summary.pop_front() {
                    Some(h) => headers.push(h),
                    None => break,
                }
            }
            if !n.summary.is_empty() {
                flags = flags | DdFlags::M;
            }
        }
        let dd =
            DdFields { mtu, options: V::packet_options(ext, nssa), flags, seq: n.dd_seq, headers };
        n.last_dd_more = flags.contains(DdFlags::M);
        n.last_dd_sent = Some(dd.clone());
        if n.master {
            n.timers.set(NbrTimer::DdRxmt, now + rxmt);
        }
        if let Some(dst) = self.nbr_dst(ifindex, nbr) {
            self.send(ifindex, dst, Packet::Dd(dd));
        }
    }

    /// Resends the last DD packet (master's RxmtInterval, or a slave
    /// answering a duplicate).
    pub(crate) fn retransmit_dd(&mut self, now: Instant, ifindex: u32, nbr: NbrKey<V::Addr>) {
        let Some(i) = self.interfaces.get_mut(&ifindex) else {
            return;
        };
        let rxmt = Duration::from_secs(u64::from(i.cfg.retransmit_interval.max(1)));
        let Some(n) = i.neighbors.get_mut(&nbr) else {
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
        if let Some(dst) = self.nbr_dst(ifindex, nbr) {
            self.send(ifindex, dst, Packet::Dd(dd));
        }
    }

    /// Receiving Database Description packets (§10.6).
    pub(crate) fn handle_dd(
        &mut self,
        now: Instant,
        ifindex: u32,
        nbr: NbrKey<V::Addr>,
        d: &DdFields<V>,
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
            if let Some(n) = self.nbr_mut(ifindex, nbr) {
                if n.mtu_reported != Some(d.mtu) {
                    n.mtu_reported = Some(d.mtu);
                    let router_id = n.router_id;
                    self.events.push_back(crate::Event::MtuMismatch {
                        ifindex,
                        router_id,
                        neighbor_mtu: d.mtu,
                        local_mtu,
                    });
                }
            }
            return;
        }
        if self.nbr_state(ifindex, nbr) == NbrState::Init {
            // "Init: Generate the neighbor event 2-WayReceived".
            self.set_nbr_state(ifindex, nbr, NbrState::TwoWay, "2-WayReceived");
            self.adj_ok(now, ifindex, nbr);
        }
        let Some(n) = self.nbr_mut(ifindex, nbr) else {
            return;
        };
        let this = (d.flags, d.options, d.seq);
        let duplicate = n.last_dd_recv == Some(this);
        let init_all = DdFlags::I | DdFlags::M | DdFlags::MS;
        match n.state {
            NbrState::ExStart => {
                if d.flags.contains(init_all) && d.headers.is_empty() && n.router_id > me {
                    // "the router is now Slave. Set the master/slave bit to
                    // slave, and set the neighbor data structure's DD
                    // sequence number to that specified by the master."
                    n.master = false;
                    n.dd_seq = d.seq;
                    n.timers.stop(NbrTimer::DdRxmt);
                    n.last_dd_recv = Some(this);
                    n.options = d.options;
                    self.negotiation_done(now, ifindex, nbr);
                    self.send_dd(now, ifindex, nbr);
                    self.maybe_exchange_done_slave(now, ifindex, nbr, d.flags);
                } else if !d.flags.contains(DdFlags::I)
                    && !d.flags.contains(DdFlags::MS)
                    && d.seq == n.dd_seq
                    && n.router_id < me
                {
                    n.master = true;
                    n.options = d.options;
                    self.negotiation_done(now, ifindex, nbr);
                    self.exchange_dd(now, ifindex, nbr, d);
                }
            }
            NbrState::Exchange => {
                if duplicate {
                    if !n.master {
                        self.retransmit_dd(now, ifindex, nbr);
                    }
                    return;
                }
                let ms_ok = d.flags.contains(DdFlags::MS) != n.master;
                if !ms_ok || d.flags.contains(DdFlags::I) || d.options != n.options {
                    self.enter_exstart(now, ifindex, nbr, "SeqNumberMismatch");
                    return;
                }
                self.exchange_dd(now, ifindex, nbr, d);
            }
            NbrState::Loading | NbrState::Full => {
                // Only duplicates are expected; a slave answers them.
                if duplicate {
                    if !n.master {
                        self.retransmit_dd(now, ifindex, nbr);
                    }
                } else {
                    self.enter_exstart(now, ifindex, nbr, "SeqNumberMismatch");
                }
            }
            _ => {}
        }
    }

    /// NegotiationDone: build the database summary list (§10.3).
    fn negotiation_done(&mut self, now: Instant, ifindex: u32, nbr: NbrKey<V::Addr>) {
        let ext = self.area_external_capable(ifindex);
        let mut summary = Vec::new();
        let mut maxage: Vec<ArcLsa<V>> = Vec::new();
        let mut push = |e: &LsdbEntry<V>| {
            if e.is_max_age(now) {
                // "LSAs whose age is equal to MaxAge are instead added to the
                // neighbor's Link state retransmission list."
                maxage.push(e.lsa.clone());
            } else {
                let mut h = *e.lsa.hdr();
                h.set_age(e.age(now));
                summary.push(h);
            }
        };
        // RFC 5340 §4.2.2: the summary covers the link-scope database of
        // the interface, the area's and (unless a stub) the AS-scope one.
        if let Some(area) = self.interfaces.get(&ifindex).map(|i| i.cfg.area) {
            if let Some(a) = self.areas.get(&area) {
                a.lsdb.iter().for_each(|(_, e)| push(e));
            }
        }
        if ext {
            self.as_lsdb.iter().for_each(|(_, e)| push(e));
        }
        if let Some(i) = self.interfaces.get(&ifindex) {
            i.link_lsdb.iter().for_each(|(_, e)| push(e));
        }
        let rxmt = self
            .interfaces
            .get(&ifindex)
            .map_or(5, |i| u64::from(i.cfg.retransmit_interval.max(1)));
        let limit = self.cfg.exchange_timeout;
        if let Some(n) = self.nbr_mut(ifindex, nbr) {
            n.timers.set(NbrTimer::Exchange, now + limit);
            n.summary = summary.into();
            for l in maxage {
                n.rxmt.insert(l.hdr().key(), l);
            }
            if !n.rxmt.is_empty() {
                n.timers.set(NbrTimer::LsuRxmt, now + Duration::from_secs(rxmt));
            }
        }
        self.set_nbr_state(ifindex, nbr, NbrState::Exchange, "NegotiationDone");
    }

    /// Processes a DD packet in Exchange state (§10.8 and the sequence
    /// checks of §10.6).
    fn exchange_dd(&mut self, now: Instant, ifindex: u32, nbr: NbrKey<V::Addr>, d: &DdFields<V>) {
        let ext = self.area_external_capable(ifindex);
        let Some(n) = self.nbr_mut(ifindex, nbr) else {
            return;
        };
        let expected = if n.master { n.dd_seq } else { n.dd_seq.wrapping_add(1) };
        if d.seq != expected {
            self.enter_exstart(now, ifindex, nbr, "SeqNumberMismatch");
            return;
        }
        n.last_dd_recv = Some((d.flags, d.options, d.seq));
        // For each LSA header: a type we do not know, or an AS-external-LSA
        // in a stub area, is a SeqNumberMismatch; a missing or older copy
        // goes on the request list.
        let mut wanted = Vec::new();
        for h in &d.headers {
            let scope = V::scope_of(&h.key());
            if scope.is_none() || (scope == Some(ScopeKind::As) && !ext) {
                self.enter_exstart(now, ifindex, nbr, "SeqNumberMismatch");
                return;
            }
            let newer = match self.lookup(ifindex, &h.key()) {
                None => true,
                Some(e) => {
                    let mut mine = *e.lsa.hdr();
                    mine.set_age(e.age(now));
                    h.recency(&mine) == std::cmp::Ordering::Greater
                }
            };
            if newer {
                let held = self.lookup(ifindex, &h.key()).is_some();
                wanted.push((*h, held));
            }
        }
        // Requests for LSAs we do not hold take room in the databases once
        // answered: no more of them than there is room for.
        let room = self.cfg.max_lsas.saturating_sub(self.lsdb_total());
        let Some(n) = self.nbr_mut(ifindex, nbr) else {
            return;
        };
        // (Requests for LSAs we hold count against the room too: a
        // conservative bound that needs no lookups. Those are always
        // taken, and are at most as many as the databases hold.)
        let mut refused = 0u64;
        for (h, held) in wanted {
            if !held && !n.requests.contains_key(&h.key()) && n.requests.len() >= room {
                refused += 1;
                continue;
            }
            n.requests.insert(h.key(), h);
        }
        if refused > 0 {
            if let Some(i) = self.interfaces.get_mut(&ifindex) {
                i.counters.requests_refused += refused;
            }
        }
        let Some(n) = self.nbr_mut(ifindex, nbr) else {
            return;
        };
        if n.master {
            // The slave acknowledged our packet.
            n.dd_seq = n.dd_seq.wrapping_add(1);
            n.timers.stop(NbrTimer::DdRxmt);
            if !n.last_dd_more && !d.flags.contains(DdFlags::M) {
                self.exchange_done(now, ifindex, nbr);
            } else {
                self.send_dd(now, ifindex, nbr);
            }
        } else {
            n.dd_seq = d.seq;
            self.send_dd(now, ifindex, nbr);
            self.maybe_exchange_done_slave(now, ifindex, nbr, d.flags);
        }
    }

    fn maybe_exchange_done_slave(
        &mut self,
        now: Instant,
        ifindex: u32,
        nbr: NbrKey<V::Addr>,
        their_flags: DdFlags,
    ) {
        let done = self
            .nbr_mut(ifindex, nbr)
            .is_some_and(|n| !n.master && !n.last_dd_more && !their_flags.contains(DdFlags::M));
        if done {
            self.exchange_done(now, ifindex, nbr);
        }
    }

    /// ExchangeDone: Loading if requests remain, else Full.
    fn exchange_done(&mut self, now: Instant, ifindex: u32, nbr: NbrKey<V::Addr>) {
        let empty = self.nbr_mut(ifindex, nbr).is_none_or(|n| n.requests.is_empty());
        if empty {
            self.set_nbr_state(ifindex, nbr, NbrState::Full, "ExchangeDone");
            self.originate(now);
            self.schedule_spf(now);
        } else {
            self.set_nbr_state(ifindex, nbr, NbrState::Loading, "ExchangeDone");
            self.send_lsr(now, ifindex, nbr);
        }
    }

    /// LoadingDone when the request list has emptied.
    pub(crate) fn check_loading_done(&mut self, now: Instant, ifindex: u32, nbr: NbrKey<V::Addr>) {
        let done = self
            .nbr_mut(ifindex, nbr)
            .is_some_and(|n| n.state == NbrState::Loading && n.requests.is_empty());
        if done {
            if let Some(n) = self.nbr_mut(ifindex, nbr) {
                n.timers.stop(NbrTimer::LsrRxmt);
            }
            self.set_nbr_state(ifindex, nbr, NbrState::Full, "LoadingDone");
            self.originate(now);
            self.schedule_spf(now);
        }
    }

    /// Sends a Link State Request with as many entries as fit (§10.9).
    pub(crate) fn send_lsr(&mut self, now: Instant, ifindex: u32, nbr: NbrKey<V::Addr>) {
        let Some(i) = self.interfaces.get_mut(&ifindex) else {
            return;
        };
        let room = (i.max_packet() - V::HEADER_LEN) / 12;
        let rxmt = Duration::from_secs(u64::from(i.cfg.retransmit_interval.max(1)));
        let Some(n) = i.neighbors.get_mut(&nbr) else {
            return;
        };
        if n.requests.is_empty() || !matches!(n.state, NbrState::Exchange | NbrState::Loading) {
            n.timers.stop(NbrTimer::LsrRxmt);
            return;
        }
        let keys: Vec<KeyOf<V>> = n.requests.keys().take(room).copied().collect();
        n.lsr_outstanding.clone_from(&keys);
        n.timers.set(NbrTimer::LsrRxmt, now + rxmt);
        if let Some(dst) = self.nbr_dst(ifindex, nbr) {
            self.send(ifindex, dst, Packet::Lsr(keys));
        }
    }

    /// Receiving Link State Request packets (§10.7).
    pub(crate) fn handle_lsr(
        &mut self,
        now: Instant,
        ifindex: u32,
        nbr: NbrKey<V::Addr>,
        keys: &[KeyOf<V>],
    ) {
        if self.nbr_state(ifindex, nbr) < NbrState::Exchange {
            return;
        }
        let mut found = Vec::with_capacity(keys.len());
        for k in keys {
            match self.lookup(ifindex, k) {
                Some(e) => found.push((e.lsa.clone(), e.age(now))),
                None => {
                    // "If an LSA cannot be found in the database, something
                    // has gone wrong with the Database Exchange process, and
                    // neighbor event BadLSReq should be generated."
                    self.enter_exstart(now, ifindex, nbr, "BadLSReq");
                    return;
                }
            }
        }
        if let Some(dst) = self.nbr_dst(ifindex, nbr) {
            self.send_lsu(ifindex, dst, &found);
        }
    }

    /// Sends LSAs in as many Link State Update packets as needed; ages are
    /// incremented by InfTransDelay (§13.3).
    pub(crate) fn send_lsu(&mut self, ifindex: u32, dst: V::Addr, lsas: &[(ArcLsa<V>, u16)]) {
        let Some(i) = self.interfaces.get(&ifindex) else {
            return;
        };
        let room = i.max_packet() - V::HEADER_LEN - 4;
        let delay = i.cfg.transmit_delay;
        let mut batch: Vec<V::Lsa> = Vec::new();
        let mut size = 0;
        for (l, age) in lsas {
            let len = l.wire_len();
            if size + len > room && !batch.is_empty() {
                let lsas = std::mem::take(&mut batch);
                self.send(ifindex, dst, Packet::Lsu(lsas));
                size = 0;
            }
            let age = age.saturating_add(delay).min(consts::MAX_AGE);
            batch.push(l.aged(age));
            size += len;
        }
        if !batch.is_empty() {
            self.send(ifindex, dst, Packet::Lsu(batch));
        }
    }
}
