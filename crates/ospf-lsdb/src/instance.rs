//! The engine: an OSPF router of either version as a sans-IO state machine.
//!
//! Inputs are `handle_*` methods that take the current time; outputs are
//! pulled with [`Instance::poll_transmit`], [`Instance::poll_timeout`] and
//! [`Instance::poll_event`]. This module holds the instance, interfaces,
//! Hello processing and the neighbour state machine; database exchange and
//! flooding are in `exchange.rs` and `flood.rs`, origination in `origin.rs`.

use std::collections::{BTreeMap, VecDeque};
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::config::{AreaConfig, AreaKind, Config, InterfaceConfig, NetworkType, Redistribute};
use crate::event::{Event, PacketProblem};
use crate::interface::{elect, Candidate, IfEvent, IfState, InstanceCounters, InterfaceCounters};
use crate::lsdb::LinkStateDb;
use crate::neighbor::{NbrKey, NbrState, NbrTimer, Neighbor};
use crate::packet::PacketError;
use crate::rng::SplitMix64;
use crate::route::{AreaInput, LsaChange, RoutingTable};
use crate::spf::RootInterface;
use crate::timer::{earliest, TimerTable};
use crate::types::{AreaId, RouterId};
use crate::version::{HelloFields, KeyOf, Packet, Scope, Version};
use crate::V2;

/// For how many RouterDeadIntervals after the last packet of a source its
/// cryptographic sequence number is kept (at least one: longer than a
/// neighbour it belonged to can be dead and forgotten).
const CRYPTO_SEQ_KEEP: u32 = 2;

/// A packet to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit<A = Ipv4Addr> {
    /// Outgoing interface.
    pub ifindex: u32,
    /// Destination: AllSPFRouters, AllDRouters or a neighbour's address.
    pub dst: A,
    /// The OSPF packet (IP payload, protocol 89), authentication included.
    pub bytes: Vec<u8>,
}

/// Interface timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IfTimer {
    Hello,
    Wait,
    DelayedAck,
}

impl From<IfTimer> for usize {
    fn from(t: IfTimer) -> usize {
        t as usize
    }
}

/// Instance-wide timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GlobalTimer {
    /// Run the routing table calculation.
    Spf,
    /// Age the databases: refresh, MaxAge, removal of flushed LSAs.
    Aging,
    /// A deferred origination (MinLSInterval).
    Originate,
}

impl From<GlobalTimer> for usize {
    fn from(t: GlobalTimer) -> usize {
        t as usize
    }
}

/// An interface and its neighbours (RFC 2328 §9).
#[derive(Debug, Clone)]
pub(crate) struct Interface<V: Version> {
    pub cfg: InterfaceConfig,
    pub addr: Option<V::IfAddr>,
    pub mtu: u16,
    pub link_up: bool,
    pub state: IfState,
    pub dr: u32,
    pub bdr: u32,
    pub neighbors: BTreeMap<NbrKey<V::Addr>, Neighbor<V>>,
    pub timers: TimerTable<IfTimer, 3>,
    pub delayed_acks: Vec<V::LsaHeader>,
    pub counters: InterfaceCounters,
    /// When a Hello last went out early for a new neighbour.
    pub last_triggered_hello: Option<Instant>,
    /// The last cryptographic sequence number per neighbour source, and
    /// when it was seen.
    pub crypto_seqs: BTreeMap<NbrKey<V::Addr>, (u64, Instant)>,
    /// The link-scope database (OSPFv3 link-LSAs and unknown types with
    /// the U bit clear; empty in OSPFv2).
    pub link_lsdb: LinkStateDb<V>,
}

impl<V: Version> Interface<V> {
    /// The attached routers of the network-LSA we originate for this link as
    /// its DR: ourselves and every Full neighbour (RFC 2328 §12.4.2, RFC 5340
    /// §4.4.3.3); `None` when no neighbour is Full, when no network-LSA is
    /// originated.
    pub(crate) fn attached_routers(&self, me: RouterId) -> Option<Vec<RouterId>> {
        let full = self.neighbors.values().filter(|n| n.state == NbrState::Full);
        let routers: Vec<RouterId> = std::iter::once(me).chain(full.map(|n| n.router_id)).collect();
        (routers.len() > 1).then_some(routers)
    }

    /// A configured interface, down, with no address yet.
    pub fn new(cfg: InterfaceConfig) -> Self {
        Interface {
            cfg,
            addr: None,
            mtu: 1500,
            link_up: false,
            state: IfState::Down,
            dr: 0,
            bdr: 0,
            neighbors: BTreeMap::new(),
            timers: TimerTable::default(),
            delayed_acks: Vec::new(),
            counters: InterfaceCounters::default(),
            last_triggered_hello: None,
            crypto_seqs: BTreeMap::new(),
            link_lsdb: LinkStateDb::default(),
        }
    }

    /// OSPFv2: the interface address as a number.
    pub fn addr_u32(&self) -> u32 {
        self.addr.as_ref().map_or(0, |a| V::addr_id(V::source(a)))
    }

    /// OSPFv2: the interface mask as a number.
    pub fn mask_u32(&self) -> u32 {
        self.addr.as_ref().map_or(0, V::mask)
    }

    /// The address packets leave from.
    pub fn source(&self) -> V::Addr {
        self.addr.as_ref().map_or_else(V::unspecified, V::source)
    }

    /// How we are named in the DR and BDR fields: the interface address
    /// (OSPFv2) or the Router ID (OSPFv3, RFC 5340 §4.2.1.2).
    pub fn my_dr_id(&self, me: RouterId) -> u32 {
        if V::BY_ROUTER_ID {
            me.0
        } else {
            self.addr_u32()
        }
    }

    /// How a neighbour is named in the DR and BDR fields.
    pub fn nbr_dr_id(n: &Neighbor<V>) -> u32 {
        if V::BY_ROUTER_ID {
            n.router_id.0
        } else {
            V::addr_id(n.addr)
        }
    }

    pub fn is_broadcast(&self) -> bool {
        self.cfg.network == NetworkType::Broadcast
    }

    /// The Router ID of the neighbour (or us) named `a` in a DR or BDR
    /// field.
    pub fn rid_of(&self, a: u32, me: RouterId) -> Option<RouterId> {
        if a == 0 {
            return None;
        }
        if V::BY_ROUTER_ID {
            return Some(RouterId(a));
        }
        if a == self.addr_u32() {
            return Some(me);
        }
        self.neighbors.values().find(|n| Self::nbr_dr_id(n) == a).map(|n| n.router_id)
    }

    /// How many neighbours the interface may keep: the configured limit,
    /// lowered so that our Hello listing them all fits the MTU (IP header,
    /// OSPF header, 20 octets of Hello fields, 4 per neighbour, the
    /// authentication trailer).
    pub fn neighbor_limit(&self) -> usize {
        let fixed = V::IP_HEADER_LEN + V::HEADER_LEN + V::HELLO_FIXED + V::auth_len(&self.cfg.auth);
        let fit = usize::from(self.mtu).saturating_sub(fixed) / 4;
        self.cfg.max_neighbors.min(fit)
    }

    /// The key of the neighbour that sent a packet from `src` with router
    /// ID `rid` (RFC 2328 §10.5, RFC 5340 §4.2.1.2).
    pub fn nbr_key(&self, src: V::Addr, rid: RouterId) -> NbrKey<V::Addr> {
        if self.is_broadcast() && !V::BY_ROUTER_ID {
            NbrKey::Addr(src)
        } else {
            NbrKey::Id(rid)
        }
    }

    /// Largest OSPF packet that fits the MTU.
    pub fn max_packet(&self) -> usize {
        let auth = V::auth_len(&self.cfg.auth);
        usize::from(self.mtu).saturating_sub(V::IP_HEADER_LEN + auth).max(256)
    }
}

/// An area and its database.
#[derive(Debug, Clone)]
pub(crate) struct Area<V: Version> {
    pub cfg: AreaConfig,
    pub lsdb: LinkStateDb<V>,
}

impl<V: Version> Area<V> {
    /// Whether AS-external-LSAs are flooded into the area (E-bit).
    pub fn external_capable(&self) -> bool {
        self.cfg.kind == AreaKind::Normal
    }

    /// Whether the area is a not-so-stubby area (RFC 3101).
    pub fn is_nssa(&self) -> bool {
        matches!(self.cfg.kind, AreaKind::Nssa { .. })
    }
}

/// An OSPF router of version `V` (see [`crate::Version`]).
///
/// See the crate documentation for the call order.
#[derive(Debug)]
pub struct OspfInstance<V: Version> {
    pub(crate) cfg: Config,
    pub(crate) rng: SplitMix64,
    pub(crate) interfaces: BTreeMap<u32, Interface<V>>,
    pub(crate) areas: BTreeMap<AreaId, Area<V>>,
    pub(crate) as_lsdb: LinkStateDb<V>,
    pub(crate) timers: TimerTable<GlobalTimer, 3>,
    pub(crate) changes: Vec<LsaChange<V::Lsa>>,
    pub(crate) force_full_spf: bool,
    pub(crate) last_spf: Option<Instant>,
    pub(crate) table: V::Table,
    pub(crate) rib: BTreeMap<V::Prefix, rib::Route>,
    pub(crate) transmits: VecDeque<Transmit<V::Addr>>,
    pub(crate) events: VecDeque<Event<V::Addr>>,
    pub(crate) last_originated: BTreeMap<(Scope, KeyOf<V>), Instant>,
    pub(crate) crypto_seq: u32,
    pub(crate) shut_down: bool,
    pub(crate) spf_runs: (u64, u64),
    pub(crate) counters: InstanceCounters,
    /// Set while the databases are full; cleared when they have room.
    pub(crate) lsdb_full: bool,
    /// Extra links of our router-LSA per area (`inject.rs`).
    pub(crate) synthetic_links: BTreeMap<AreaId, Vec<crate::inject::SyntheticLink<V>>>,
}

/// An OSPFv2 router (RFC 2328).
pub type Instance = OspfInstance<V2>;

impl<V: Version> OspfInstance<V> {
    /// A new instance; every interface starts down.
    #[must_use]
    pub fn new(cfg: Config) -> Self {
        let mut areas = BTreeMap::new();
        for a in &cfg.areas {
            areas.insert(a.id, Area { cfg: a.clone(), lsdb: LinkStateDb::default() });
        }
        let mut interfaces = BTreeMap::new();
        for i in &cfg.interfaces {
            areas.entry(i.area).or_insert_with(|| Area {
                cfg: AreaConfig { id: i.area, kind: AreaKind::Normal },
                lsdb: LinkStateDb::default(),
            });
            interfaces.insert(i.ifindex, Interface::new(i.clone()));
        }
        Self {
            rng: SplitMix64::new(cfg.seed),
            crypto_seq: cfg.crypto_seq_start,
            cfg,
            interfaces,
            areas,
            as_lsdb: LinkStateDb::default(),
            timers: TimerTable::default(),
            changes: Vec::new(),
            force_full_spf: true,
            last_spf: None,
            table: V::Table::default(),
            rib: BTreeMap::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            last_originated: BTreeMap::new(),
            shut_down: false,
            spf_runs: (0, 0),
            counters: InstanceCounters::default(),
            lsdb_full: false,
            synthetic_links: BTreeMap::new(),
        }
    }

    /// Our router ID.
    #[must_use]
    pub fn router_id(&self) -> RouterId {
        self.cfg.router_id
    }

    // ----- outputs --------------------------------------------------------

    /// The next packet to send.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit<V::Addr>> {
        self.transmits.pop_front()
    }

    /// When [`Instance::handle_timeout`] must be called next.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.shut_down {
            return None;
        }
        let mut t = self.timers.next_deadline();
        for i in self.interfaces.values() {
            t = earliest(t, i.timers.next_deadline());
            for n in i.neighbors.values() {
                t = earliest(t, n.timers.next_deadline());
            }
        }
        t
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event<V::Addr>> {
        self.events.pop_front()
    }

    // ----- getters --------------------------------------------------------

    /// The OSPF routing table as `rib` routes, by prefix.
    pub fn routes(&self) -> impl Iterator<Item = &rib::Route> {
        self.rib.values()
    }

    /// The full routing table, router routes included.
    #[must_use]
    pub fn routing_table(&self) -> &V::Table {
        &self.table
    }

    /// The database of an area.
    #[must_use]
    pub fn area_lsdb(&self, area: AreaId) -> Option<&LinkStateDb<V>> {
        self.areas.get(&area).map(|a| &a.lsdb)
    }

    /// The AS-scope database (AS-external-LSAs).
    #[must_use]
    pub fn as_lsdb(&self) -> &LinkStateDb<V> {
        &self.as_lsdb
    }

    /// The link-scope database of an interface (OSPFv3 link-LSAs).
    #[must_use]
    pub fn link_lsdb(&self, ifindex: u32) -> Option<&LinkStateDb<V>> {
        self.interfaces.get(&ifindex).map(|i| &i.link_lsdb)
    }

    /// State of an interface, with its DR and BDR router IDs.
    #[must_use]
    pub fn interface_state(
        &self,
        ifindex: u32,
    ) -> Option<(IfState, Option<RouterId>, Option<RouterId>)> {
        let i = self.interfaces.get(&ifindex)?;
        let me = self.cfg.router_id;
        Some((i.state, i.rid_of(i.dr, me), i.rid_of(i.bdr, me)))
    }

    /// Neighbours of an interface with their states.
    #[must_use]
    pub fn neighbors(&self, ifindex: u32) -> Vec<(RouterId, V::Addr, NbrState)> {
        self.interfaces
            .get(&ifindex)
            .map(|i| i.neighbors.values().map(|n| (n.router_id, n.addr, n.state)).collect())
            .unwrap_or_default()
    }

    /// Instance-wide counters.
    #[must_use]
    pub fn counters(&self) -> InstanceCounters {
        self.counters
    }

    /// How many LSAs the databases hold together.
    pub(crate) fn lsdb_total(&self) -> usize {
        self.areas.values().map(|a| a.lsdb.len()).sum::<usize>()
            + self.as_lsdb.len()
            + self.interfaces.values().map(|i| i.link_lsdb.len()).sum::<usize>()
    }

    /// What an interface dropped or refused, by reason.
    #[must_use]
    pub fn interface_counters(&self, ifindex: u32) -> Option<InterfaceCounters> {
        self.interfaces.get(&ifindex).map(|i| i.counters)
    }
    /// Every route of a full recalculation at `now`, as `rib` routes in
    /// prefix order: the reference the incremental updates are checked
    /// against.
    #[must_use]
    pub fn full_calculation_routes(&self, now: Instant) -> Vec<rib::Route> {
        let t = V::compute_table(self, now);
        V::table_prefixes(&t).iter().filter_map(|p| V::rib_route(&t, p)).collect()
    }

    /// How many SPF runs were full and how many incremental.
    #[must_use]
    pub fn spf_runs(&self) -> (u64, u64) {
        self.spf_runs
    }

    // ----- inputs: interfaces -------------------------------------------

    /// The interface's link came up (with its MTU).
    pub fn handle_interface_up(&mut self, now: Instant, ifindex: u32, mtu: u16) {
        if let Some(i) = self.interfaces.get_mut(&ifindex) {
            i.link_up = true;
            i.mtu = mtu;
        }
        self.try_interface_up(now, ifindex);
    }

    /// The interface's link went down.
    pub fn handle_interface_down(&mut self, now: Instant, ifindex: u32) {
        if let Some(i) = self.interfaces.get_mut(&ifindex) {
            i.link_up = false;
        }
        self.if_event(now, ifindex, IfEvent::InterfaceDown);
    }

    /// The interface's addresses changed (`None`: removed): in OSPFv2 its
    /// primary address, in OSPFv3 its link-local address and prefixes.
    pub fn handle_interface_address(
        &mut self,
        now: Instant,
        ifindex: u32,
        addr: Option<V::IfAddr>,
    ) {
        let (changed, prefixes_only) = match self.interfaces.get_mut(&ifindex) {
            Some(i) if i.addr != addr => {
                // OSPFv3 neighbours know us by Router ID and link-local
                // address: new prefixes on the link keep the adjacencies,
                // only our LSAs change (RFC 5340 §2.1: per link, not per
                // subnet).
                let same_source = matches!(
                    (&i.addr, &addr),
                    (Some(a), Some(b)) if V::source(a) == V::source(b)
                );
                i.addr = addr;
                (true, V::BY_ROUTER_ID && same_source && i.state != IfState::Down)
            }
            _ => (false, false),
        };
        if prefixes_only {
            self.force_full_spf = true;
            self.schedule_spf(now);
            self.originate(now);
        } else if changed {
            self.if_event(now, ifindex, IfEvent::InterfaceDown);
            self.try_interface_up(now, ifindex);
        }
    }

    /// The interface's MTU changed.
    pub fn handle_interface_mtu(&mut self, _now: Instant, ifindex: u32, mtu: u16) {
        if let Some(i) = self.interfaces.get_mut(&ifindex) {
            i.mtu = mtu;
        }
    }

    /// Changes an interface's output cost; the router-LSA follows.
    pub fn handle_interface_cost(&mut self, now: Instant, ifindex: u32, cost: u16) {
        if let Some(i) = self.interfaces.get_mut(&ifindex) {
            i.cfg.cost = cost;
        }
        self.originate(now);
    }

    /// Replaces the redistributed routes; the AS-external-LSAs follow (new
    /// ones originated, changed ones re-originated, dropped ones flushed).
    pub fn handle_config(&mut self, now: Instant, redistribute: Vec<Redistribute>) {
        self.cfg.redistribute = redistribute;
        self.originate(now);
    }

    /// Adds an interface at run time (a configuration reload). Like those of
    /// [`Config::interfaces`] it starts down: report its address and link
    /// with [`Instance::handle_interface_address`] and
    /// [`Instance::handle_interface_up`]. An interface already configured
    /// with the same index is removed first (its adjacencies go down);
    /// other interfaces and their adjacencies are not touched.
    pub fn handle_interface_add(&mut self, now: Instant, cfg: InterfaceConfig) {
        if self.interfaces.contains_key(&cfg.ifindex) {
            self.handle_interface_remove(now, cfg.ifindex);
        }
        self.areas.entry(cfg.area).or_insert_with(|| Area {
            cfg: AreaConfig { id: cfg.area, kind: AreaKind::Normal },
            lsdb: LinkStateDb::default(),
        });
        self.cfg.interfaces.push(cfg.clone());
        self.interfaces.insert(cfg.ifindex, Interface::new(cfg));
    }

    /// Removes an interface at run time: it goes down first (RFC 2328 §9.3
    /// InterfaceDown: its neighbours are killed), then our router-LSA is
    /// originated without it and a network-LSA we had for it as DR is
    /// flushed. Unknown interfaces are ignored.
    pub fn handle_interface_remove(&mut self, now: Instant, ifindex: u32) {
        if !self.interfaces.contains_key(&ifindex) {
            return;
        }
        self.if_event(now, ifindex, IfEvent::InterfaceDown);
        self.interfaces.remove(&ifindex);
        self.cfg.interfaces.retain(|i| i.ifindex != ifindex);
        self.force_full_spf = true;
        self.schedule_spf(now);
        self.originate(now);
    }

    /// The configuration of an interface.
    #[must_use]
    pub fn interface_config(&self, ifindex: u32) -> Option<&InterfaceConfig> {
        self.interfaces.get(&ifindex).map(|i| &i.cfg)
    }

    fn try_interface_up(&mut self, now: Instant, ifindex: u32) {
        let ready = self
            .interfaces
            .get(&ifindex)
            .is_some_and(|i| i.link_up && i.addr.is_some() && i.state == IfState::Down);
        if ready && !self.shut_down {
            self.if_event(now, ifindex, IfEvent::InterfaceUp);
        }
    }

    /// Runs the interface state machine (RFC 2328 §9.3).
    pub(crate) fn if_event(&mut self, now: Instant, ifindex: u32, ev: IfEvent) {
        let me = self.cfg.router_id;
        let Some(i) = self.interfaces.get_mut(&ifindex) else {
            return;
        };
        let old = i.state;
        match ev {
            IfEvent::InterfaceUp if old == IfState::Down => {
                // "Start the interval Hello Timer ... If the network is a
                // point-to-point network, transition to Point-to-Point. Else
                // if the router is not eligible to become DR, DROther.
                // Otherwise Waiting, and start the Wait Timer."
                i.dr = 0;
                i.bdr = 0;
                if !i.cfg.passive {
                    i.timers.set(IfTimer::Hello, now);
                }
                i.state = if i.cfg.network == NetworkType::PointToPoint {
                    IfState::PointToPoint
                } else if i.cfg.passive {
                    IfState::Dr
                } else if i.cfg.priority == 0 {
                    IfState::DrOther
                } else {
                    i.timers.set(
                        IfTimer::Wait,
                        now + Duration::from_secs(u64::from(i.cfg.dead_interval.max(1))),
                    );
                    IfState::Waiting
                };
            }
            IfEvent::WaitTimer | IfEvent::BackupSeen if old == IfState::Waiting => {
                i.timers.stop(IfTimer::Wait);
                self.elect_dr(now, ifindex);
            }
            IfEvent::NeighborChange
                if matches!(old, IfState::DrOther | IfState::Backup | IfState::Dr) =>
            {
                self.elect_dr(now, ifindex);
            }
            IfEvent::InterfaceDown if old != IfState::Down => {
                let nbrs: Vec<NbrKey<V::Addr>> = i.neighbors.keys().copied().collect();
                i.timers.stop_all();
                i.delayed_acks.clear();
                i.dr = 0;
                i.bdr = 0;
                i.state = IfState::Down;
                for n in nbrs {
                    self.nbr_down(now, ifindex, n, "KillNbr");
                }
            }
            _ => {}
        }
        self.after_if_change(now, ifindex, old, me);
    }

    fn after_if_change(&mut self, now: Instant, ifindex: u32, old: IfState, me: RouterId) {
        let Some(i) = self.interfaces.get(&ifindex) else {
            return;
        };
        if i.state != old {
            self.events.push_back(Event::InterfaceState {
                ifindex,
                old,
                new: i.state,
                dr: i.rid_of(i.dr, me),
                bdr: i.rid_of(i.bdr, me),
            });
            self.force_full_spf = true;
            self.schedule_spf(now);
            self.originate(now);
        }
    }

    /// DR election (§9.4) and its consequences.
    fn elect_dr(&mut self, now: Instant, ifindex: u32) {
        let me = self.cfg.router_id;
        let Some(i) = self.interfaces.get_mut(&ifindex) else {
            return;
        };
        let my_addr = i.my_dr_id(me);
        let mut cands = vec![Candidate {
            router_id: me,
            addr: my_addr,
            priority: i.cfg.priority,
            dr: i.dr,
            bdr: i.bdr,
        }];
        for n in i.neighbors.values().filter(|n| n.state >= NbrState::TwoWay) {
            cands.push(Candidate {
                router_id: n.router_id,
                addr: Interface::nbr_dr_id(n),
                priority: n.priority,
                dr: n.dr,
                bdr: n.bdr,
            });
        }
        let e = elect(&cands, 0);
        let old_state = i.state;
        let changed = (e.dr, e.bdr) != (i.dr, i.bdr);
        i.dr = e.dr;
        i.bdr = e.bdr;
        i.state = if e.dr == my_addr && my_addr != 0 {
            IfState::Dr
        } else if e.bdr == my_addr && my_addr != 0 {
            IfState::Backup
        } else {
            IfState::DrOther
        };
        if changed && old_state == i.state {
            // DR or BDR moved without a state change (a DROther learning
            // the BDR from the DR's next Hello): still worth an event, or
            // observers keep the first, transient result of the election.
            self.events.push_back(Event::InterfaceState {
                ifindex,
                old: old_state,
                new: old_state,
                dr: i.rid_of(e.dr, me),
                bdr: i.rid_of(e.bdr, me),
            });
        }
        if changed || old_state != i.state {
            // "the router must invoke the event AdjOK? on all neighbors
            // whose state is at least 2-Way" (§9.4 step 7).
            let nbrs: Vec<NbrKey<V::Addr>> = i
                .neighbors
                .iter()
                .filter(|(_, n)| n.state >= NbrState::TwoWay)
                .map(|(k, _)| *k)
                .collect();
            for n in nbrs {
                self.adj_ok(now, ifindex, n);
            }
            self.originate(now);
            self.force_full_spf = true;
            self.schedule_spf(now);
            // Send a Hello promptly so others learn the result.
            if let Some(i) = self.interfaces.get_mut(&ifindex) {
                i.timers.set(IfTimer::Hello, now);
            }
        }
    }

    // ----- inputs: packets ----------------------------------------------

    /// A packet arrived on `ifindex` from `src` to `dst`; `bytes` is the IP
    /// payload. The same as [`Instance::handle_packet_with_ttl`] when the
    /// IP TTL is not known.
    pub fn handle_packet(
        &mut self,
        now: Instant,
        ifindex: u32,
        src: V::Addr,
        dst: V::Addr,
        bytes: &[u8],
    ) {
        self.handle_packet_with_ttl(now, ifindex, src, dst, None, bytes);
    }

    /// A packet arrived on `ifindex` from `src` to `dst` with IP TTL `ttl`
    /// (`None` when the adapter cannot tell); `bytes` is the IP payload.
    pub fn handle_packet_with_ttl(
        &mut self,
        now: Instant,
        ifindex: u32,
        src: V::Addr,
        dst: V::Addr,
        ttl: Option<u8>,
        bytes: &[u8],
    ) {
        if self.shut_down {
            return;
        }
        let me = self.cfg.router_id;
        let Some(i) = self.interfaces.get_mut(&ifindex) else {
            return;
        };
        if i.state == IfState::Down || i.cfg.passive {
            return;
        }
        // §8.2: "the IP destination address must be either the IP address
        // of the receiving interface or one of the IP multicast addresses
        // AllSPFRouters or AllDRouters"; packets to AllDRouters are
        // accepted only by the DR and the BDR.
        let multicast = dst == V::ALL_SPF_ROUTERS || dst == V::ALL_D_ROUTERS;
        if dst == V::ALL_D_ROUTERS && !matches!(i.state, IfState::Dr | IfState::Backup) {
            i.counters.all_d_routers_not_dr += 1;
            return;
        }
        if !multicast && !i.addr.as_ref().is_some_and(|a| V::is_local(a, dst)) {
            i.counters.bad_destination += 1;
            return;
        }
        // Multicast OSPF packets are sent with TTL 1 (RFC 2328 A.1): one
        // that arrives with another TTL was not sent on this link.
        if multicast && ttl.is_some_and(|t| t != 1) {
            i.counters.bad_ttl += 1;
            return;
        }
        // RFC 5340 §4.2.2: "The Instance ID specified in the OSPF header
        // must match the receiving interface's Instance ID. Otherwise, the
        // packet SHOULD be discarded." Checked first: another instance on
        // the link may be in another area or use other keys, and its
        // packets are none of this instance's business, not errors.
        if V::instance_id(bytes).is_some_and(|id| id != i.cfg.instance_id) {
            i.counters.wrong_instance += 1;
            return;
        }
        let (hdr, body) = match V::decode(bytes, &i.cfg.auth, src, dst) {
            Ok(x) => x,
            Err(PacketError::Auth(reason)) => {
                self.events.push_back(Event::AuthFailure { ifindex, src, reason });
                return;
            }
            Err(PacketError::Decode(e)) => {
                self.events.push_back(Event::BadPacket {
                    ifindex,
                    src,
                    error: PacketProblem::Malformed(e),
                });
                return;
            }
        };
        if hdr.area_id != i.cfg.area {
            self.events.push_back(Event::BadPacket {
                ifindex,
                src,
                error: PacketProblem::WrongArea(hdr.area_id.0),
            });
            return;
        }
        // §8.2: a packet for the interface's area "has been sent over a
        // single hop. Therefore, the packet's IP source address is required
        // to be on the same network as the receiving interface ... This
        // comparison should not be performed on point-to-point networks."
        // RFC 5340 §4.2.2: OSPFv3 packets come from link-local addresses.
        if !i.addr.as_ref().is_some_and(|a| V::source_ok(a, src, i.is_broadcast())) {
            i.counters.src_off_subnet += 1;
            return;
        }
        if hdr.router_id == me {
            i.counters.own_router_id += 1;
            return;
        }
        let nbr = i.nbr_key(src, hdr.router_id);
        if let Some(seq) = hdr.crypto_seq {
            // D.3: the cryptographic sequence number "is non-decreasing";
            // D.4.3: "the cryptographic sequence number ... is less than the
            // sequence number stored ... the packet is discarded". The last
            // number is kept per neighbour source, Hellos included, and
            // outlives the neighbour (see `CRYPTO_SEQ_KEEP`), so that old
            // Hellos replayed cannot bring a dead neighbour back.
            if i.crypto_seqs.get(&nbr).is_some_and(|(last, _)| seq < *last) {
                i.counters.replayed += 1;
                self.events.push_back(Event::BadPacket {
                    ifindex,
                    src,
                    error: PacketProblem::Replay,
                });
                return;
            }
            i.crypto_seqs.insert(nbr, (seq, now));
        }
        let rid = hdr.router_id;
        match body {
            Packet::Hello(h) => self.handle_hello(now, ifindex, src, rid, nbr, &h),
            other => {
                if !self.interfaces.get(&ifindex).is_some_and(|i| i.neighbors.contains_key(&nbr)) {
                    return;
                }
                match other {
                    Packet::Dd(d) => self.handle_dd(now, ifindex, nbr, &d),
                    Packet::Lsr(r) => self.handle_lsr(now, ifindex, nbr, &r),
                    Packet::Lsu(u) => self.handle_lsu(now, ifindex, nbr, u),
                    Packet::Ack(a) => self.handle_ack(ifindex, nbr, &a),
                    Packet::Hello(_) => {}
                }
            }
        }
    }

    /// Hello processing (RFC 2328 §10.5, RFC 5340 §4.2.2.1: no network
    /// mask in OSPFv3).
    fn handle_hello(
        &mut self,
        now: Instant,
        ifindex: u32,
        src: V::Addr,
        rid: RouterId,
        nbr: NbrKey<V::Addr>,
        h: &HelloFields,
    ) {
        let me = self.cfg.router_id;
        let h_mask = h.network_mask;
        let (h_dr, h_bdr) = (h.dr, h.bdr);
        let ext = self.area_external_capable(ifindex);
        let nssa = self.area_nssa(ifindex);
        let Some(i) = self.interfaces.get_mut(&ifindex) else {
            return;
        };
        let mut problem = None;
        if !V::BY_ROUTER_ID && i.is_broadcast() && h_mask != i.mask_u32() {
            problem = Some(format!(
                "network mask {} received, {} configured",
                Ipv4Addr::from(h_mask),
                Ipv4Addr::from(i.mask_u32())
            ));
        } else if h.hello_interval != i.cfg.hello_interval {
            problem = Some(format!(
                "HelloInterval {} received, {} configured",
                h.hello_interval, i.cfg.hello_interval
            ));
        } else if h.dead_interval != i.cfg.dead_interval {
            problem = Some(format!(
                "RouterDeadInterval {} received, {} configured",
                h.dead_interval, i.cfg.dead_interval
            ));
        } else if V::e_bit(h.options) != ext {
            problem = Some(format!(
                "E-bit {} received, {} expected",
                u8::from(V::e_bit(h.options)),
                u8::from(ext)
            ));
        } else if V::n_bit(h.options) != nssa {
            // RFC 3101 §2.1: NSSA routers agree on the N-bit.
            problem = Some(format!(
                "N-bit {} received, {} expected",
                u8::from(V::n_bit(h.options)),
                u8::from(nssa)
            ));
        }
        if let Some(detail) = problem {
            self.events.push_back(Event::HelloMismatch { ifindex, src, detail });
            return;
        }
        let dead = Duration::from_secs(u64::from(i.cfg.dead_interval.max(1)));
        let broadcast = i.is_broadcast();
        let state_before = i.state;
        if !i.neighbors.contains_key(&nbr) && i.neighbors.len() >= i.neighbor_limit() {
            // A new router beyond the limit: refused, so that neither the
            // table nor our Hello (which lists every neighbour) grows.
            i.counters.neighbor_limit += 1;
            return;
        }
        let n = i.neighbors.entry(nbr).or_insert_with(|| Neighbor::new(rid, src));
        // On a broadcast network the neighbour is its address: a router
        // that came back with another router ID is the same neighbour.
        n.router_id = rid;
        n.addr = src;
        n.interface_id = h.interface_id;
        let old_prio = n.priority;
        let (old_dr, old_bdr) = (n.dr, n.bdr);
        let first = n.state == NbrState::Down;
        n.priority = h.priority;
        n.dr = h_dr;
        n.bdr = h_bdr;
        n.options = h.options;
        // HelloReceived: restart the Inactivity Timer; Down -> Init.
        n.timers.set(NbrTimer::Inactivity, now + dead);
        if first {
            self.set_nbr_state(ifindex, nbr, NbrState::Init, "HelloReceived");
            // Answer a new neighbour at once rather than a HelloInterval
            // later, so that it sees itself listed and goes to 2-Way; but
            // at most once per HelloInterval, however many routers appear
            // (the regular Hello lists the others).
            if let Some(i) = self.interfaces.get_mut(&ifindex) {
                let interval = Duration::from_secs(u64::from(i.cfg.hello_interval.max(1)));
                if i.last_triggered_hello.is_none_or(|t| now >= t + interval) {
                    i.last_triggered_hello = Some(now);
                    i.timers.set(IfTimer::Hello, now);
                }
            }
        }
        let sees_us = h.neighbors.contains(&me);
        let state = self.nbr_state(ifindex, nbr);
        let mut neighbor_change = false;
        if sees_us {
            if state == NbrState::Init {
                // 2-WayReceived.
                self.set_nbr_state(ifindex, nbr, NbrState::TwoWay, "2-WayReceived");
                neighbor_change = true;
                self.adj_ok(now, ifindex, nbr);
            }
        } else if state >= NbrState::TwoWay {
            // 1-WayReceived.
            if let Some(n) = self.nbr_mut(ifindex, nbr) {
                n.clear_lists();
            }
            self.set_nbr_state(ifindex, nbr, NbrState::Init, "1-WayReceived");
            neighbor_change = true;
            self.originate(now);
        }
        if !broadcast {
            return;
        }
        let addr = if V::BY_ROUTER_ID { rid.0 } else { V::addr_id(src) };
        let two_way = self.nbr_state(ifindex, nbr) >= NbrState::TwoWay;
        if two_way {
            if old_prio != h.priority && !first {
                neighbor_change = true;
            }
            // "If the neighbor is both declaring itself to be Designated
            // Router and the Backup Designated Router field is 0.0.0.0, and
            // the receiving interface is in state Waiting, BackupSeen."
            if state_before == IfState::Waiting && ((h_dr == addr && h_bdr == 0) || h_bdr == addr) {
                self.if_event(now, ifindex, IfEvent::BackupSeen);
                return;
            }
            if (h_dr == addr) != (old_dr == addr)
                || (h_bdr == addr) != (old_bdr == addr)
                || (old_dr != h_dr && !first)
            {
                neighbor_change = true;
            }
        }
        if neighbor_change {
            self.if_event(now, ifindex, IfEvent::NeighborChange);
        }
    }

    pub(crate) fn nbr_mut(
        &mut self,
        ifindex: u32,
        nbr: NbrKey<V::Addr>,
    ) -> Option<&mut Neighbor<V>> {
        self.interfaces.get_mut(&ifindex).and_then(|i| i.neighbors.get_mut(&nbr))
    }

    pub(crate) fn nbr_state(&self, ifindex: u32, nbr: NbrKey<V::Addr>) -> NbrState {
        self.interfaces
            .get(&ifindex)
            .and_then(|i| i.neighbors.get(&nbr))
            .map_or(NbrState::Down, |n| n.state)
    }

    /// Changes a neighbour's state and reports it.
    pub(crate) fn set_nbr_state(
        &mut self,
        ifindex: u32,
        nbr: NbrKey<V::Addr>,
        new: NbrState,
        reason: &'static str,
    ) {
        let Some(n) = self.nbr_mut(ifindex, nbr) else {
            return;
        };
        let old = n.state;
        if old == new {
            return;
        }
        n.state = new;
        if new == NbrState::Full {
            n.timers.stop(NbrTimer::Exchange);
        }
        let (addr, router_id) = (n.addr, n.router_id);
        if new < NbrState::ExStart {
            n.mtu_reported = None;
        }
        self.events.push_back(Event::NeighborState { ifindex, router_id, addr, old, new, reason });
        // RFC 5882 §4.1: the neighbour's path is watched from 2-Way on.
        if let Some(i) = self.interfaces.get(&ifindex).filter(|i| i.cfg.bfd) {
            let local = i.source();
            if old < NbrState::TwoWay && new >= NbrState::TwoWay {
                self.events.push_back(Event::BfdWanted { ifindex, local, peer: addr });
            } else if old >= NbrState::TwoWay && new < NbrState::TwoWay {
                self.events.push_back(Event::BfdNotWanted { ifindex, peer: addr });
            }
        }
        // Reaching or leaving Full changes our router-LSA (and network-LSA).
        if old == NbrState::Full || new == NbrState::Full {
            self.force_full_spf = true;
        }
    }

    /// AdjOK? (§10.4): whether an adjacency should be formed.
    pub(crate) fn adj_ok(&mut self, now: Instant, ifindex: u32, nbr: NbrKey<V::Addr>) {
        let Some(i) = self.interfaces.get(&ifindex) else {
            return;
        };
        let Some(n) = i.neighbors.get(&nbr) else {
            return;
        };
        let should = if i.is_broadcast() {
            let na = Interface::nbr_dr_id(n);
            matches!(i.state, IfState::Dr | IfState::Backup) || na == i.dr || na == i.bdr
        } else {
            true
        };
        match n.state {
            NbrState::TwoWay if should => self.enter_exstart(now, ifindex, nbr, "AdjOK?"),
            s if s >= NbrState::ExStart && !should => {
                if let Some(n) = self.nbr_mut(ifindex, nbr) {
                    n.clear_lists();
                }
                self.set_nbr_state(ifindex, nbr, NbrState::TwoWay, "AdjOK?");
                self.originate(now);
            }
            _ => {}
        }
    }

    /// Kills a neighbour (InactivityTimer, KillNbr, LLDown).
    pub(crate) fn nbr_down(
        &mut self,
        now: Instant,
        ifindex: u32,
        nbr: NbrKey<V::Addr>,
        reason: &'static str,
    ) {
        let was = self.nbr_state(ifindex, nbr);
        self.set_nbr_state(ifindex, nbr, NbrState::Down, reason);
        if let Some(i) = self.interfaces.get_mut(&ifindex) {
            i.neighbors.remove(&nbr);
        }
        if was >= NbrState::TwoWay {
            self.if_event(now, ifindex, IfEvent::NeighborChange);
        }
        self.originate(now);
    }

    // ----- timers -------------------------------------------------------

    /// BFD found the path to the neighbour at `peer` on `ifindex` down: on an interface
    /// configured with BFD the neighbour is killed at once (KillNbr, RFC 2328 §10.2), as if
    /// its RouterDeadInterval had passed. Returns whether one was.
    pub fn bfd_down(&mut self, now: Instant, ifindex: u32, peer: V::Addr) -> bool {
        let Some(i) = self.interfaces.get(&ifindex).filter(|i| i.cfg.bfd) else {
            return false;
        };
        let Some(key) = i.neighbors.iter().find(|(_, n)| n.addr == peer).map(|(k, _)| *k) else {
            return false;
        };
        self.nbr_down(now, ifindex, key, "BFD down");
        true
    }

    /// Processes every timer due at `now`; calling it early does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.shut_down {
            return;
        }
        let ifs: Vec<u32> = self.interfaces.keys().copied().collect();
        for ifindex in ifs {
            let (hello, wait, ack) = match self.interfaces.get_mut(&ifindex) {
                Some(i) => (
                    i.timers.expire(IfTimer::Hello, now),
                    i.timers.expire(IfTimer::Wait, now),
                    i.timers.expire(IfTimer::DelayedAck, now),
                ),
                None => continue,
            };
            if wait {
                self.if_event(now, ifindex, IfEvent::WaitTimer);
            }
            if hello {
                self.send_hello(now, ifindex);
            }
            if ack {
                self.send_delayed_acks(ifindex);
            }
            let nbrs: Vec<NbrKey<V::Addr>> = self
                .interfaces
                .get(&ifindex)
                .map(|i| i.neighbors.keys().copied().collect())
                .unwrap_or_default();
            for nbr in nbrs {
                let Some(n) = self.nbr_mut(ifindex, nbr) else {
                    continue;
                };
                let inactive = n.timers.expire(NbrTimer::Inactivity, now);
                let dd = n.timers.expire(NbrTimer::DdRxmt, now);
                let lsr = n.timers.expire(NbrTimer::LsrRxmt, now);
                let lsu = n.timers.expire(NbrTimer::LsuRxmt, now);
                let stuck = n.timers.expire(NbrTimer::Exchange, now)
                    && matches!(n.state, NbrState::Exchange | NbrState::Loading);
                if inactive {
                    self.nbr_down(now, ifindex, nbr, "InactivityTimer");
                    continue;
                }
                if stuck {
                    // An exchange that does not end is restarted as after a
                    // SeqNumberMismatch (§10.3): the lists are cleared and
                    // ExStart begins again.
                    if let Some(i) = self.interfaces.get_mut(&ifindex) {
                        i.counters.exchange_timeouts += 1;
                    }
                    self.enter_exstart(now, ifindex, nbr, "SeqNumberMismatch");
                    continue;
                }
                if dd {
                    self.retransmit_dd(now, ifindex, nbr);
                }
                if lsr {
                    self.send_lsr(now, ifindex, nbr);
                }
                if lsu {
                    self.retransmit_lsu(now, ifindex, nbr);
                }
            }
        }
        if self.timers.expire(GlobalTimer::Aging, now) {
            self.age_databases(now);
        }
        if self.timers.expire(GlobalTimer::Originate, now) {
            self.originate(now);
        }
        if self.timers.expire(GlobalTimer::Spf, now) {
            self.run_spf(now);
        }
    }

    fn send_hello(&mut self, now: Instant, ifindex: u32) {
        let ext = self.area_external_capable(ifindex);
        let nssa = self.area_nssa(ifindex);
        let jitter = self.rng.below(100);
        let Some(i) = self.interfaces.get_mut(&ifindex) else {
            return;
        };
        if i.state == IfState::Down || i.cfg.passive {
            return;
        }
        let hello = HelloFields {
            network_mask: if i.is_broadcast() { i.mask_u32() } else { 0 },
            interface_id: i.cfg.ifindex,
            hello_interval: i.cfg.hello_interval,
            options: V::packet_options(ext, nssa),
            priority: i.cfg.priority,
            dead_interval: i.cfg.dead_interval,
            dr: i.dr,
            bdr: i.bdr,
            neighbors: i
                .neighbors
                .values()
                .filter(|n| n.state >= NbrState::Init)
                .map(|n| n.router_id)
                .collect(),
        };
        // Sequence numbers of sources silent for CRYPTO_SEQ_KEEP dead
        // intervals are forgotten (a neighbour's own never: it is alive).
        let keep = Duration::from_secs(u64::from(i.cfg.dead_interval.max(1))) * CRYPTO_SEQ_KEEP;
        let nbrs = &i.neighbors;
        i.crypto_seqs.retain(|k, (_, seen)| nbrs.contains_key(k) || now < *seen + keep);
        // Up to 1% of jitter below the interval, from the seeded RNG.
        let interval = Duration::from_secs(u64::from(i.cfg.hello_interval.max(1)));
        let jitter = interval / 100 * u32::try_from(jitter).unwrap_or(0) / 100;
        i.timers.set(IfTimer::Hello, now + interval - jitter);
        self.send(ifindex, V::ALL_SPF_ROUTERS, Packet::Hello(hello));
    }

    /// Encodes and queues a packet.
    pub(crate) fn send(&mut self, ifindex: u32, dst: V::Addr, body: Packet<V>) {
        let Some(i) = self.interfaces.get(&ifindex) else {
            return;
        };
        self.crypto_seq = self.crypto_seq.wrapping_add(1);
        let bytes = V::encode(
            self.cfg.router_id,
            i.cfg.area,
            i.cfg.instance_id,
            body,
            &i.cfg.auth,
            self.crypto_seq,
            i.source(),
            dst,
        );
        self.transmits.push_back(Transmit { ifindex, dst, bytes });
    }

    /// Whether the interface's area is an NSSA.
    pub(crate) fn area_nssa(&self, ifindex: u32) -> bool {
        self.interfaces
            .get(&ifindex)
            .and_then(|i| self.areas.get(&i.cfg.area))
            .is_some_and(Area::is_nssa)
    }

    pub(crate) fn area_external_capable(&self, ifindex: u32) -> bool {
        self.interfaces
            .get(&ifindex)
            .and_then(|i| self.areas.get(&i.cfg.area))
            .is_none_or(Area::external_capable)
    }

    // ----- SPF ----------------------------------------------------------

    /// Records an LSDB change for the next routing table calculation.
    pub(crate) fn record_change(
        &mut self,
        now: Instant,
        area: Option<AreaId>,
        old: Option<Arc<V::Lsa>>,
        new: Option<Arc<V::Lsa>>,
    ) {
        self.changes.push(LsaChange { area, old, new });
        self.schedule_spf(now);
    }

    /// Arms the SPF timer: after `spf_delay`, and not sooner than
    /// `spf_hold` after the previous run.
    pub(crate) fn schedule_spf(&mut self, now: Instant) {
        if self.timers.get(GlobalTimer::Spf).is_some() {
            return;
        }
        let mut at = now + self.cfg.spf_delay;
        if let Some(last) = self.last_spf {
            at = at.max(last + self.cfg.spf_hold);
        }
        self.timers.set(GlobalTimer::Spf, at);
    }

    /// Runs the routing table calculation, incrementally if the pending
    /// changes allow it, and reports the route changes.
    pub(crate) fn run_spf(&mut self, now: Instant) {
        self.last_spf = Some(now);
        let changes = std::mem::take(&mut self.changes);
        let touched =
            if self.force_full_spf { None } else { V::apply_changes(&mut self.table, &changes) };
        let affected: Vec<V::Prefix> = match touched {
            Some(t) => {
                self.spf_runs.1 += 1;
                t
            }
            None => {
                self.spf_runs.0 += 1;
                self.force_full_spf = false;
                self.table = V::compute_table(self, now);
                let mut all: Vec<V::Prefix> = self.rib.keys().copied().collect();
                all.extend(V::table_prefixes(&self.table));
                all.sort_unstable();
                all.dedup();
                all
            }
        };
        for p in affected {
            let new = V::rib_route(&self.table, &p);
            let old = self.rib.get(&p);
            let change = match (old, new) {
                (None, Some(n)) => Some(rib::RouteChange::Add(n)),
                (Some(o), Some(n)) if *o != n => Some(rib::RouteChange::Replace(n)),
                (Some(o), None) => Some(rib::RouteChange::Delete(o.clone())),
                _ => None,
            };
            if let Some(c) = change {
                match &c {
                    rib::RouteChange::Add(r) | rib::RouteChange::Replace(r) => {
                        self.rib.insert(p, r.clone());
                    }
                    rib::RouteChange::Delete(_) => {
                        self.rib.remove(&p);
                    }
                }
                self.events.push_back(Event::Route(c));
            }
        }
        // An ABR's summaries follow the routing table.
        if self.is_abr() {
            self.originate(now);
        }
    }

    /// Whether the router is an area border router (attached to several
    /// areas with interfaces up).
    #[must_use]
    pub fn is_abr(&self) -> bool {
        let mut areas: Vec<AreaId> = self
            .interfaces
            .values()
            .filter(|i| i.state != IfState::Down)
            .map(|i| i.cfg.area)
            .collect();
        areas.sort_unstable();
        areas.dedup();
        areas.len() > 1
    }

    /// Stops the router gracefully: our LSAs are prematurely aged and
    /// flooded (RFC 2328 §14.1) and nothing more happens afterwards.
    pub fn shutdown(&mut self, now: Instant) {
        self.flush_all_own(now);
        self.shut_down = true;
    }
}

impl OspfInstance<V2> {
    pub(crate) fn root_interfaces(&self, area: AreaId) -> Vec<RootInterface> {
        self.interfaces
            .values()
            .filter(|i| i.cfg.area == area && i.state != IfState::Down)
            .map(|i| RootInterface {
                ifindex: i.cfg.ifindex,
                addr: i.addr_u32(),
                mask: i.mask_u32(),
            })
            .collect()
    }

    /// Computes the routing table from scratch (the reference).
    #[must_use]
    pub fn compute_full_table(&self, now: Instant) -> RoutingTable {
        let ifs: Vec<(AreaId, Vec<RootInterface>)> =
            self.areas.keys().map(|a| (*a, self.root_interfaces(*a))).collect();
        let inputs: Vec<AreaInput<'_>> = ifs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .filter_map(|(a, v)| {
                self.areas.get(a).map(|ar| AreaInput { area: *a, lsdb: &ar.lsdb, interfaces: v })
            })
            .collect();
        RoutingTable::compute(self.cfg.router_id, &inputs, &self.as_lsdb, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lsa::{LsSeqNum, LsType, LsaExt, Options};
    use crate::packet::{self, Auth, Body, DatabaseDescription, DdFlags, Hello};
    use crate::types::consts;

    const ME: RouterId = RouterId(0x0101_0101);
    const PEER: RouterId = RouterId(0x0202_0202);

    fn setup(network: NetworkType, priority: u8) -> (Instance, Instant) {
        let mut cfg = Config::new(ME);
        let mut i = InterfaceConfig::new(1, "eth0", AreaId(0));
        i.network = network;
        i.priority = priority;
        cfg.interfaces.push(i);
        let mut inst = Instance::new(cfg);
        let t0 = Instant::now();
        inst.handle_interface_address(t0, 1, "10.0.0.1/24".parse().ok());
        inst.handle_interface_up(t0, 1, 1500);
        (inst, t0)
    }

    fn drain(inst: &mut Instance) -> Vec<Transmit> {
        std::iter::from_fn(|| inst.poll_transmit()).collect()
    }

    fn hello_from(inst: &mut Instance, now: Instant, neighbors: Vec<RouterId>, dr: u32) {
        let h = Body::Hello(Hello {
            network_mask: Ipv4Addr::new(255, 255, 255, 0),
            hello_interval: 10,
            options: Options::E,
            router_priority: 1,
            router_dead_interval: 40,
            designated_router: Ipv4Addr::from(dr),
            backup_designated_router: Ipv4Addr::UNSPECIFIED,
            neighbors,
        });
        let bytes = packet::encode(PEER, AreaId(0), &h, &Auth::Null, 0);
        inst.handle_packet(now, 1, Ipv4Addr::new(10, 0, 0, 2), consts::ALL_SPF_ROUTERS, &bytes);
    }

    fn dd_from(inst: &mut Instance, now: Instant, flags: DdFlags, seq: u32, mtu: u16) {
        let d = Body::DatabaseDescription(DatabaseDescription {
            interface_mtu: mtu,
            options: Options::E,
            flags,
            dd_sequence_number: seq,
            lsa_headers: vec![],
        });
        let bytes = packet::encode(PEER, AreaId(0), &d, &Auth::Null, 0);
        inst.handle_packet(now, 1, Ipv4Addr::new(10, 0, 0, 2), Ipv4Addr::new(10, 0, 0, 1), &bytes);
    }

    fn sent(ts: &[Transmit]) -> Vec<Body> {
        ts.iter().filter_map(|t| packet::decode(&t.bytes, &Auth::Null).ok().map(|x| x.1)).collect()
    }

    #[test]
    fn broadcast_interface_waits_then_elects_itself() {
        let (mut inst, t0) = setup(NetworkType::Broadcast, 1);
        assert_eq!(inst.interface_state(1).map(|s| s.0), Some(IfState::Waiting));
        // The Hello goes out at once; calling early for the Wait timer is a no-op.
        inst.handle_timeout(t0);
        assert_eq!(drain(&mut inst).len(), 1);
        inst.handle_timeout(t0 + Duration::from_secs(5));
        assert!(drain(&mut inst).is_empty());
        assert_eq!(inst.interface_state(1).map(|s| s.0), Some(IfState::Waiting));
        // WaitTimer fires after RouterDeadInterval: alone, we are DR.
        inst.handle_timeout(t0 + Duration::from_secs(40));
        assert_eq!(inst.interface_state(1), Some((IfState::Dr, Some(ME), None)));
        let ev: Vec<Event> = std::iter::from_fn(|| inst.poll_event()).collect();
        assert!(ev.iter().any(|e| matches!(
            e,
            Event::InterfaceState { old: IfState::Waiting, new: IfState::Dr, .. }
        )));
    }

    #[test]
    fn priority_zero_is_drother_and_point_to_point_has_no_election() {
        let (inst, _) = setup(NetworkType::Broadcast, 0);
        assert_eq!(inst.interface_state(1).map(|s| s.0), Some(IfState::DrOther));
        let (inst, _) = setup(NetworkType::PointToPoint, 1);
        assert_eq!(inst.interface_state(1).map(|s| s.0), Some(IfState::PointToPoint));
    }

    #[test]
    fn neighbor_init_two_way_one_way_and_inactivity() {
        let (mut inst, t0) = setup(NetworkType::Broadcast, 1);
        hello_from(&mut inst, t0, vec![], 0);
        assert_eq!(inst.neighbors(1), vec![(PEER, Ipv4Addr::new(10, 0, 0, 2), NbrState::Init)]);
        hello_from(&mut inst, t0, vec![ME], 0);
        // DROther/Waiting routers stay in 2-Way until DR/BDR are known.
        assert_eq!(inst.neighbors(1)[0].2, NbrState::TwoWay);
        hello_from(&mut inst, t0, vec![], 0);
        assert_eq!(inst.neighbors(1)[0].2, NbrState::Init);
        // No Hello for RouterDeadInterval: the neighbour is gone.
        inst.handle_timeout(t0 + Duration::from_secs(41));
        assert!(inst.neighbors(1).is_empty());
    }

    #[test]
    fn point_to_point_goes_to_exstart_and_becomes_slave_to_higher_id() {
        let (mut inst, t0) = setup(NetworkType::PointToPoint, 1);
        inst.handle_timeout(t0);
        drain(&mut inst);
        hello_from(&mut inst, t0, vec![ME], 0);
        assert_eq!(inst.neighbors(1)[0].2, NbrState::ExStart);
        // We first claim to be master: I, M and MS set, no headers.
        let dds: Vec<DatabaseDescription> = sent(&drain(&mut inst))
            .into_iter()
            .filter_map(|b| match b {
                Body::DatabaseDescription(d) => Some(d),
                _ => None,
            })
            .collect();
        assert_eq!(dds.len(), 1);
        assert_eq!(dds[0].flags, DdFlags::I | DdFlags::M | DdFlags::MS);
        // The peer has the higher router ID: we become slave and echo its
        // sequence number with our database summary.
        dd_from(&mut inst, t0, DdFlags::I | DdFlags::M | DdFlags::MS, 4242, 1500);
        assert_eq!(inst.neighbors(1)[0].2, NbrState::Exchange);
        let reply = sent(&drain(&mut inst));
        let Some(Body::DatabaseDescription(d)) = reply.first() else {
            panic!("a DD reply: {reply:?}");
        };
        assert_eq!((d.dd_sequence_number, d.flags.contains(DdFlags::MS)), (4242, false));
        assert!(!d.lsa_headers.is_empty(), "our router-LSA is summarised");
        // The master's next packet (seq + 1, no M): we are done -> Loading
        // or Full (nothing to request from an empty summary).
        dd_from(&mut inst, t0, DdFlags::MS, 4243, 1500);
        assert_eq!(inst.neighbors(1)[0].2, NbrState::Full);
    }

    #[test]
    fn larger_neighbor_mtu_rejects_dd_and_reports_both_mtus() {
        let (mut inst, t0) = setup(NetworkType::PointToPoint, 1);
        hello_from(&mut inst, t0, vec![ME], 0);
        dd_from(&mut inst, t0, DdFlags::I | DdFlags::M | DdFlags::MS, 7, 9000);
        assert_eq!(inst.neighbors(1)[0].2, NbrState::ExStart);
        let ev: Vec<Event> = std::iter::from_fn(|| inst.poll_event()).collect();
        assert!(ev.contains(&Event::MtuMismatch {
            ifindex: 1,
            router_id: PEER,
            neighbor_mtu: 9000,
            local_mtu: 1500
        }));
    }

    #[test]
    fn bad_hello_parameters_and_wrong_area_are_reported() {
        let (mut inst, t0) = setup(NetworkType::Broadcast, 1);
        let h = Body::Hello(Hello {
            network_mask: Ipv4Addr::new(255, 255, 0, 0),
            hello_interval: 10,
            options: Options::E,
            router_priority: 1,
            router_dead_interval: 40,
            designated_router: Ipv4Addr::UNSPECIFIED,
            backup_designated_router: Ipv4Addr::UNSPECIFIED,
            neighbors: vec![],
        });
        let bytes = packet::encode(PEER, AreaId(0), &h, &Auth::Null, 0);
        inst.handle_packet(t0, 1, Ipv4Addr::new(10, 0, 0, 2), consts::ALL_SPF_ROUTERS, &bytes);
        let bytes = packet::encode(PEER, AreaId(9), &h, &Auth::Null, 0);
        inst.handle_packet(t0, 1, Ipv4Addr::new(10, 0, 0, 2), consts::ALL_SPF_ROUTERS, &bytes);
        let ev: Vec<Event> = std::iter::from_fn(|| inst.poll_event()).collect();
        assert!(ev.iter().any(|e| matches!(e, Event::HelloMismatch { detail, .. } if detail.contains("255.255.0.0 received, 255.255.255.0 configured"))));
        assert!(ev
            .iter()
            .any(|e| matches!(e, Event::BadPacket { error: PacketProblem::WrongArea(9), .. })));
        assert!(inst.neighbors(1).is_empty());
    }

    /// The link IDs of our router-LSA in area 0.
    fn router_lsa_links(inst: &Instance) -> Vec<Ipv4Addr> {
        let key = crate::lsa::key(LsType::ROUTER, ME.0, ME);
        match inst.area_lsdb(AreaId(0)).and_then(|d| d.get(&key)).map(|e| e.lsa.body()) {
            Some(crate::lsa::LsaBody::Router(r)) => r.links.iter().map(|l| l.link_id).collect(),
            other => panic!("no router-LSA: {other:?}"),
        }
    }

    #[test]
    fn interfaces_are_added_and_removed_at_run_time() {
        let (mut inst, t0) = setup(NetworkType::PointToPoint, 1);
        hello_from(&mut inst, t0, vec![ME], 0);
        assert_eq!(inst.neighbors(1)[0].2, NbrState::ExStart);
        let mut second = InterfaceConfig::new(2, "eth1", AreaId(0));
        second.network = NetworkType::PointToPoint;
        second.cost = 7;
        inst.handle_interface_add(t0, second);
        inst.handle_interface_address(t0, 2, "10.0.1.1/24".parse().ok());
        inst.handle_interface_up(t0, 2, 1500);
        assert_eq!(inst.interface_state(2).map(|s| s.0), Some(IfState::PointToPoint));
        assert_eq!(inst.interface_config(2).map(|c| c.cost), Some(7));
        // Adding eth1 left eth0's neighbour alone.
        assert_eq!(inst.neighbors(1)[0].2, NbrState::ExStart);
        let _: Vec<Event> = std::iter::from_fn(|| inst.poll_event()).collect();

        let t1 = t0 + Duration::from_secs(1);
        inst.handle_interface_remove(t1, 1);
        assert_eq!(inst.interface_state(1), None);
        let ev: Vec<Event> = std::iter::from_fn(|| inst.poll_event()).collect();
        assert!(
            ev.iter().any(|e| matches!(
                e,
                Event::NeighborState { ifindex: 1, new: NbrState::Down, reason: "KillNbr", .. }
            )),
            "{ev:?}"
        );
        // After MinLSInterval the router-LSA lists eth1's subnet only.
        let mut t = t1;
        while t < t0 + Duration::from_secs(10) {
            t = inst.poll_timeout().map_or(t0 + Duration::from_secs(10), |d| d.max(t));
            inst.handle_timeout(t);
            drain(&mut inst);
        }
        assert_eq!(router_lsa_links(&inst), vec![Ipv4Addr::new(10, 0, 1, 0)]);
        assert_eq!(inst.interface_state(2).map(|s| s.0), Some(IfState::PointToPoint));
        // Removing what is not there is a no-op.
        inst.handle_interface_remove(t, 9);
    }

    #[test]
    fn own_router_lsa_is_originated_and_refreshed() {
        let (mut inst, t0) = setup(NetworkType::PointToPoint, 1);
        let key = crate::lsa::key(LsType::ROUTER, ME.0, ME);
        let seq0 = inst
            .area_lsdb(AreaId(0))
            .and_then(|d| d.get(&key))
            .map(|e| e.lsa.header().ls_sequence_number.0);
        assert_eq!(seq0, Some(LsSeqNum::INITIAL.0));
        // LSRefreshTime later a new instance replaces it.
        let mut t = t0;
        while t < t0 + Duration::from_secs(1801) {
            t = inst
                .poll_timeout()
                .unwrap_or(t0 + Duration::from_secs(1801))
                .min(t0 + Duration::from_secs(1801));
            inst.handle_timeout(t);
            drain(&mut inst);
        }
        let seq1 = inst
            .area_lsdb(AreaId(0))
            .and_then(|d| d.get(&key))
            .map(|e| e.lsa.header().ls_sequence_number.0);
        assert_eq!(seq1, Some(LsSeqNum::INITIAL.0 + 1));
        // Shutdown flushes it (premature aging).
        inst.shutdown(t);
        let age = inst.area_lsdb(AreaId(0)).and_then(|d| d.get(&key)).map(|e| e.lsa.age());
        assert_eq!(age, Some(consts::MAX_AGE));
        assert_eq!(inst.poll_timeout(), None);
    }
}
