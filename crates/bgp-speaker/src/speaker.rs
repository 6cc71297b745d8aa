//! The speaker: many sessions on one routing table.

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::time::Instant;

use bgp_fsm::{
    Action, ConnId, Event as SessionEvent, Negotiated, Neighbor as Where, Session, State, Transmit,
};
use bgp_wire::codes::cease;
use bgp_wire::route_refresh::{RouteRefresh, RouteRefreshSubtype};
use bgp_wire::Family;
use bytes::Bytes;
use hashbrown::HashMap;
use ipnet::IpNet;
use rib::{FibChange, NextHopMode, PathAttrs, PeerConfig, PeerKind, Rib, RibConfig, Route};

use crate::addpath::ExportCache;
use crate::config::{AddPathSend, ConfigError, NeighborConfig, SpeakerConfig};
use crate::event::{BestRoute, Event, RouteChange, EVENT_LIMIT};
use crate::export::{self, Local, Origin};
use crate::group::{Group, GroupKey};
use crate::out::OutStore;
use crate::restart::{self, StaleFamily};
use crate::soft::AdjRibIn;

/// A neighbour of a [`Speaker`], numbered in the order it was added (numbers of removed
/// neighbours are reused).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct NeighborId(pub u32);

impl std::fmt::Display for NeighborId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "neighbor#{}", self.0)
    }
}

/// Counters of one neighbour.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Counters {
    /// UPDATE messages received.
    pub updates_received: u64,
    /// Batches of UPDATEs sent (one batch may hold many messages).
    pub batches_sent: u64,
    /// Routes withdrawn because a policy denied them.
    pub denied: u64,
    /// Times the session came up.
    pub established: u32,
    /// ROUTE-REFRESH requests received (and answered).
    pub route_refresh_received: u64,
    /// Beginning- and End-of-Route-Refresh markers received (RFC 7313).
    pub refresh_markers_received: u64,
}

pub(crate) struct Neighbor {
    pub cfg: NeighborConfig,
    pub session: Session,
    pub rib_peer: rib::PeerId,
    pub group: Option<usize>,
    /// What the session negotiated, kept after it goes down (graceful restart needs it).
    pub negotiated: Option<Negotiated>,
    pub up_since: Option<Instant>,
    /// Families whose routes are kept stale while it restarts (RFC 4724, RFC 9494).
    pub stale: Vec<StaleFamily>,
    /// Made from this listen range (a dynamic neighbour).
    pub dynamic: Option<usize>,
    /// After a maximum-prefix teardown: when to start again.
    pub restart_at: Option<Instant>,
    pub limit_warned: [bool; 2],
    pub eor_received: Vec<Family>,
    pub counters: Counters,
    /// The routes received, before import policy, with soft reconfiguration inbound.
    pub adj_in: Option<AdjRibIn>,
}

/// A BGP speaker, sans-IO: many neighbours' sessions on one [`Rib`], update groups, the
/// export rules, graceful restart, maximum-prefix. See the [crate documentation](crate).
pub struct Speaker {
    pub(crate) cfg: SpeakerConfig,
    pub(crate) rib: Rib,
    pub(crate) neighbors: Vec<Option<Neighbor>>,
    by_rib_peer: HashMap<rib::PeerId, NeighborId, foldhash::fast::FixedState>,
    pub(crate) groups: Vec<Option<Group>>,
    pub(crate) outs: OutStore,
    transmits: VecDeque<(NeighborId, Transmit)>,
    actions: VecDeque<(NeighborId, Action)>,
    events: VecDeque<Event>,
    dropped_events: u64,
    /// Prefixes whose best path changed, for the application, in order; with the best path
    /// it was last told of (the table's report of the first change since).
    changed: VecDeque<IpNet>,
    changed_prev: HashMap<IpNet, Option<(rib::PeerId, u32)>, foldhash::fast::FixedState>,
    /// Restarting (RFC 4724 §4.1): best-path reports and advertisements wait until this
    /// instant or every neighbour's End-of-RIB.
    defer_until: Option<Instant>,
    deferring: bool,
    /// Neighbours that came up while best-path selection was deferred: they get their
    /// table once it ends.
    pending_initial: Vec<(NeighborId, usize, Vec<Family>)>,
    /// Per listen range: dynamic neighbours made, connections refused.
    pub(crate) listen: Vec<crate::dynamic::ListenCounters>,
    /// Dynamic neighbours whose session may have ended: removed once it has and no stale
    /// route is kept for them.
    pub(crate) retire: Vec<NeighborId>,
}

impl Speaker {
    /// A speaker with no neighbour.
    pub fn new(cfg: SpeakerConfig) -> Result<Speaker, ConfigError> {
        let gr = &cfg.graceful_restart;
        for (what, d) in
            [("select-defer-time", gr.select_defer_time), ("stalepath-time", gr.stale_time)]
        {
            if d > crate::config::MAX_INTERVAL {
                return Err(ConfigError::Interval(what, d));
            }
        }
        for r in &cfg.redistribute {
            if let Some(name) = &r.route_map {
                if cfg.policy.route_map_id(name).is_none() {
                    return Err(ConfigError::UnknownRouteMap(name.clone()));
                }
            }
        }
        let mut rc = RibConfig::new(cfg.local_as, cfg.router_id);
        rc.cluster_id = Some(cfg.cluster_id.unwrap_or(cfg.router_id));
        rc.bestpath = cfg.bestpath.clone();
        rc.distance = cfg.distance.clone();
        rc.seed = cfg.seed;
        rc.fib = cfg.fib;
        let mut rib = Rib::new(rc).with_redistribution(cfg.redistribute.clone());
        rib.set_policy(cfg.policy.clone());
        for r in &cfg.listen_ranges {
            crate::dynamic::check(&cfg, r)?;
        }
        let deferring = cfg.graceful_restart.restarting;
        Ok(Speaker {
            listen: vec![Default::default(); cfg.listen_ranges.len()],
            retire: Vec::new(),
            rib,
            neighbors: Vec::new(),
            by_rib_peer: HashMap::default(),
            groups: Vec::new(),
            outs: OutStore::default(),
            transmits: VecDeque::new(),
            actions: VecDeque::new(),
            events: VecDeque::new(),
            dropped_events: 0,
            changed: VecDeque::new(),
            changed_prev: HashMap::default(),
            defer_until: None,
            deferring,
            pending_initial: Vec::new(),
            cfg,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &SpeakerConfig {
        &self.cfg
    }

    /// The routing table (Loc-RIB and every neighbour's paths).
    pub fn rib(&self) -> &Rib {
        &self.rib
    }

    /// A neighbour's counters.
    pub fn counters(&self, id: NeighborId) -> Option<Counters> {
        self.neighbor(id).map(|n| n.counters)
    }

    /// Asks a neighbour to send a family again (RFC 2918), e.g. after its import policy
    /// changed.
    pub fn route_refresh(
        &mut self,
        now: Instant,
        id: NeighborId,
        family: Family,
    ) -> Result<(), bgp_fsm::CommandError> {
        let r = match self.neighbor_mut(id) {
            Some(n) => n.session.route_refresh(now, family),
            None => Err(bgp_fsm::CommandError::NotEstablished),
        };
        self.process(now);
        r
    }

    /// Every path to `prefix`, with the reason each BGP path is not the best (`show bgp
    /// PREFIX`).
    pub fn route(&mut self, now: Instant, prefix: IpNet) -> Option<rib::PrefixView> {
        self.rib.get(now, prefix)
    }

    /// Events dropped because the application did not take them (see [`EVENT_LIMIT`]).
    pub fn dropped_events(&self) -> u64 {
        self.dropped_events
    }

    // ----- configuration -----

    /// Adds a neighbour and starts its session. A dynamic neighbour at the same address
    /// gives way to it.
    pub fn add_neighbor(
        &mut self,
        now: Instant,
        cfg: NeighborConfig,
    ) -> Result<NeighborId, ConfigError> {
        check_neighbor(&self.cfg, &cfg)?;
        let same = |n: &Neighbor| n.cfg.session.neighbor == cfg.session.neighbor;
        if let Some(i) = self.neighbors.iter().position(|n| n.as_ref().is_some_and(same)) {
            if self.neighbors[i].as_ref().is_some_and(|n| n.dynamic.is_none()) {
                return Err(ConfigError::Duplicate(format!("{:?}", cfg.session.neighbor)));
            }
            self.remove_neighbor(now, NeighborId(i as u32));
        }
        self.insert_neighbor(now, cfg, None)
    }

    /// Starts a checked neighbour's session.
    pub(crate) fn insert_neighbor(
        &mut self,
        now: Instant,
        mut cfg: NeighborConfig,
        dynamic: Option<usize>,
    ) -> Result<NeighborId, ConfigError> {
        restart::offer(&self.cfg.graceful_restart, &mut cfg.session);
        if self.deferring {
            if let Some(gr) = cfg.session.graceful_restart.as_mut() {
                gr.restart_flags |= bgp_wire::capability::GracefulRestart::RESTART_STATE;
            }
            let wait = self.cfg.graceful_restart.select_defer_time;
            self.defer_until.get_or_insert(now + wait);
        }
        if cfg.add_path_send == AddPathSend::Multipath {
            crate::addpath::offer_send(&mut cfg.session);
        }
        let mut session = Session::new(cfg.session.clone())?;
        let rib_peer = self.rib.add_peer(self.rib_peer_config(&cfg, None));
        let slot = self.neighbors.iter().position(Option::is_none).unwrap_or(self.neighbors.len());
        let id = NeighborId(slot as u32);
        session.start(now);
        let adj_in = cfg.soft_reconfiguration_inbound.then(AdjRibIn::default);
        let n = Neighbor {
            cfg,
            session,
            rib_peer,
            group: None,
            negotiated: None,
            up_since: None,
            stale: Vec::new(),
            dynamic,
            restart_at: None,
            limit_warned: [false; 2],
            eor_received: Vec::new(),
            counters: Counters::default(),
            adj_in,
        };
        if slot == self.neighbors.len() {
            self.neighbors.push(Some(n));
        } else {
            self.neighbors[slot] = Some(n);
        }
        self.by_rib_peer.insert(rib_peer, id);
        self.process(now);
        Ok(id)
    }

    /// Stops a neighbour's session (Cease, Peer De-configured; a Hard Reset where both
    /// sides set the N bit, RFC 8538 §5.1), withdraws its routes and forgets it.
    pub fn remove_neighbor(&mut self, now: Instant, id: NeighborId) {
        let bye = self.cease(id, cease::PEER_DECONFIGURED, Bytes::new());
        let Some(n) = self.neighbor_mut(id) else { return };
        n.session.stop_with(now, bye);
        self.process(now);
        if self.forget(now, id) {
            self.process(now);
        }
    }

    /// Takes a neighbour out: its group, its paths; `true` when there was one.
    pub(crate) fn forget(&mut self, now: Instant, id: NeighborId) -> bool {
        let Some(n) = self.neighbors.get_mut(id.0 as usize).and_then(Option::take) else {
            return false;
        };
        self.leave_group(id, n.group);
        self.by_rib_peer.remove(&n.rib_peer);
        self.rib.remove_peer(now, n.rib_peer);
        true
    }

    /// The neighbours' ids.
    pub fn neighbor_ids(&self) -> impl Iterator<Item = NeighborId> + '_ {
        self.neighbors
            .iter()
            .enumerate()
            .filter(|(_, n)| n.is_some())
            .map(|(i, _)| NeighborId(i as u32))
    }

    /// A neighbour's session (state, negotiated capabilities, timers).
    pub fn session(&self, id: NeighborId) -> Option<&Session> {
        self.neighbor(id).map(|n| &n.session)
    }

    pub(crate) fn neighbor(&self, id: NeighborId) -> Option<&Neighbor> {
        self.neighbors.get(id.0 as usize)?.as_ref()
    }

    pub(crate) fn neighbor_mut(&mut self, id: NeighborId) -> Option<&mut Neighbor> {
        self.neighbors.get_mut(id.0 as usize)?.as_mut()
    }

    fn rib_peer_config(
        &self,
        cfg: &NeighborConfig,
        n: Option<(&Negotiated, Option<SocketAddr>)>,
    ) -> PeerConfig {
        let (address, asn, router_id, internal) = match n {
            Some((neg, remote)) => (
                remote.map_or(IpAddr::V4(neg.peer_id), |r| r.ip()),
                neg.peer_as,
                neg.peer_id,
                neg.internal,
            ),
            None => (
                IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
                cfg.session.local_as,
                self.cfg.router_id,
                false,
            ),
        };
        let ifindex = match (&cfg.session.neighbor, n.and_then(|(_, r)| r)) {
            (Where::Interface { ifindex, .. }, _) => Some(*ifindex),
            (_, Some(SocketAddr::V6(a))) if a.scope_id() != 0 => Some(a.scope_id()),
            (Where::Address { scope, .. }, _) => *scope,
        };
        PeerConfig {
            address,
            asn,
            router_id,
            kind: if internal { PeerKind::Internal } else { PeerKind::External },
            ifindex,
            next_hop: if internal || cfg.multihop {
                NextHopMode::Resolve
            } else {
                NextHopMode::OnLink
            },
            allowas_in: cfg.allowas_in,
            import: cfg.import.clone(),
            rr_client: cfg.rr_client,
            role: cfg.role,
        }
    }

    // ----- routes of our own and of other protocols -----

    /// Originates `prefix` with `attrs` (FRR's `network`).
    pub fn announce(&mut self, now: Instant, prefix: IpNet, attrs: &PathAttrs) {
        self.rib.originate(now, prefix, attrs);
        self.process(now);
    }

    /// Stops originating `prefix`.
    pub fn withdraw(&mut self, now: Instant, prefix: IpNet) {
        self.rib.withdraw_originated(prefix);
        self.process(now);
    }

    /// A route of another protocol (connected, static, kernel, OSPF): it resolves next
    /// hops, competes by administrative distance for the FIB, and is redistributed if
    /// configured.
    pub fn add_route(&mut self, now: Instant, route: &Route) {
        self.rib.add_route(now, route);
        self.process(now);
    }

    /// Removes a route of another protocol.
    pub fn remove_route(&mut self, now: Instant, protocol: rib::Protocol, prefix: IpNet) {
        self.rib.remove_route(now, protocol, prefix);
        self.process(now);
    }

    /// Changes what other protocols' routes are announced as ours (`redistribute PROTOCOL
    /// [route-map NAME]`); routes in the table now are announced or withdrawn to match.
    pub fn set_redistribution(
        &mut self,
        now: Instant,
        list: Vec<rib::Redistribute>,
    ) -> Result<(), ConfigError> {
        for name in list.iter().filter_map(|r| r.route_map.as_ref()) {
            if self.cfg.policy.route_map_id(name).is_none() {
                return Err(ConfigError::UnknownRouteMap(name.clone()));
            }
        }
        self.cfg.redistribute.clone_from(&list);
        self.rib.set_redistribution(now, list);
        self.process(now);
        Ok(())
    }

    // ----- driver inputs -----

    /// An outbound connection asked for by [`Action::Connect`] is up.
    pub fn handle_connected(
        &mut self,
        now: Instant,
        id: NeighborId,
        conn: ConnId,
        local: SocketAddr,
    ) {
        if let Some(n) = self.neighbor_mut(id) {
            n.session.handle_connected(now, conn, local);
        }
        self.process(now);
    }

    /// An outbound connection attempt failed.
    pub fn handle_connect_failed(&mut self, now: Instant, id: NeighborId) {
        if let Some(n) = self.neighbor_mut(id) {
            n.session.handle_connect_failed(now);
        }
        self.process(now);
    }

    /// A connection was accepted: it goes to the neighbour configured for `remote` (an
    /// address, or any link-local address on an unnumbered interface), or to a dynamic
    /// neighbour made for it from the listen range it comes from; `None` when there is
    /// none (or the range is full), and the driver closes it.
    pub fn handle_incoming(
        &mut self,
        now: Instant,
        conn: ConnId,
        remote: SocketAddr,
        local: SocketAddr,
        ifindex: Option<u32>,
    ) -> Option<NeighborId> {
        let id = match self.neighbor_for(remote, ifindex) {
            Some(id) => id,
            None => self.accept_dynamic(now, remote, ifindex)?,
        };
        if let Some(n) = self.neighbor_mut(id) {
            n.session.handle_incoming(now, conn, remote, local, ifindex);
        }
        self.process(now);
        Some(id)
    }

    /// The neighbour a connection from `remote` belongs to.
    pub fn neighbor_for(&self, remote: SocketAddr, ifindex: Option<u32>) -> Option<NeighborId> {
        self.neighbor_ids().find(|id| {
            self.neighbor(*id).is_some_and(|n| match &n.cfg.session.neighbor {
                Where::Address { addr, scope } => {
                    *addr == remote.ip()
                        && (scope.is_none() || ifindex.is_none() || *scope == ifindex)
                }
                Where::Interface { ifindex: i, .. } => {
                    matches!(remote.ip(), IpAddr::V6(a) if is_link_local(a)) && ifindex == Some(*i)
                }
            })
        })
    }

    /// A connection ended.
    pub fn handle_closed(&mut self, now: Instant, id: NeighborId, conn: ConnId) {
        if let Some(n) = self.neighbor_mut(id) {
            n.session.handle_closed(now, conn);
            if n.dynamic.is_some() {
                self.retire.push(id);
            }
        }
        self.process(now);
    }

    /// Octets read from a connection: complete messages are cut out of `bytes` without a
    /// copy and reach the table as they are.
    pub fn handle_data(&mut self, now: Instant, id: NeighborId, conn: ConnId, bytes: Bytes) {
        if let Some(n) = self.neighbor_mut(id) {
            n.session.handle_data(now, conn, bytes);
        }
        self.process(now);
    }

    /// How many octets written to a connection are still queued (the send hold timer,
    /// RFC 9687, runs while some are).
    pub fn handle_write_progress(
        &mut self,
        now: Instant,
        id: NeighborId,
        conn: ConnId,
        unwritten: usize,
    ) {
        if let Some(n) = self.neighbor_mut(id) {
            n.session.handle_write_progress(now, conn, unwritten);
        }
    }

    /// An ICMPv6 message on interface `ifindex` (Router Advertisements teach unnumbered
    /// neighbours their peer's address).
    pub fn handle_router_advertisement(
        &mut self,
        now: Instant,
        ifindex: u32,
        src: Ipv6Addr,
        bytes: &[u8],
    ) {
        for n in self.neighbors.iter_mut().flatten() {
            if matches!(n.cfg.session.neighbor, Where::Interface { ifindex: i, .. } if i == ifindex)
            {
                let _ = n.session.handle_router_advertisement(now, ifindex, src, bytes);
            }
        }
        self.process(now);
    }

    /// A deadline passed (an early call does nothing).
    pub fn handle_timeout(&mut self, now: Instant) {
        for i in 0..self.neighbors.len() {
            let id = NeighborId(i as u32);
            let Some(n) = self.neighbor_mut(id) else { continue };
            n.session.handle_timeout(now);
            if n.restart_at.is_some_and(|t| t <= now) {
                n.restart_at = None;
                n.limit_warned = [false; 2];
                n.session.start(now);
            }
            if n.stale.iter().any(|s| s.until.is_some_and(|t| t <= now)) {
                self.helper_timeout(now, id);
                self.retire.push(id);
            }
        }
        if self.defer_until.is_some_and(|t| t <= now) {
            self.end_deferral();
        }
        self.process(now);
    }

    // ----- outputs -----

    /// The next message to write, with its neighbour. Drain first after every input.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<(NeighborId, Transmit)> {
        self.transmits.pop_front()
    }

    /// The next action (connect, close, send a Router Advertisement).
    #[must_use]
    pub fn poll_action(&mut self) -> Option<(NeighborId, Action)> {
        self.actions.pop_front()
    }

    /// The next event for the application.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The next prefix whose best path changed, as it is now, and why.
    #[must_use]
    pub fn poll_route_change(&mut self) -> Option<RouteChange> {
        let prefix = self.changed.pop_front()?;
        let prev = self.changed_prev.remove(&prefix).flatten();
        if self.changed.is_empty() {
            self.changed = VecDeque::new();
            self.changed_prev = HashMap::default();
        }
        let selected = self.rib.best(prefix);
        let reason = crate::reason::change_reason(&self.rib, prefix, prev, selected.as_ref());
        let best = selected.map(|s| BestRoute {
            neighbor: self.by_rib_peer.get(&s.peer).copied(),
            next_hop: self.rib.attributes_next_hop(s.attrs),
            multipath: s.multipath,
        });
        Some(RouteChange { prefix, best, reason })
    }

    /// The next change to the forwarding table (none while a restart defers best-path
    /// selection).
    #[must_use]
    pub fn poll_fib(&mut self) -> Option<FibChange> {
        if self.deferring {
            return None;
        }
        self.rib.poll_fib()
    }

    /// When to call [`Speaker::handle_timeout`] next.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let n = self.neighbors.iter().flatten().flat_map(|n| {
            let stale = n.stale.iter().filter_map(|s| s.until).min();
            [n.session.poll_timeout(), stale, n.restart_at]
        });
        let g = self.groups.iter().flatten().map(|g| {
            if g.pending.is_empty() {
                None
            } else {
                g.next_batch
            }
        });
        n.chain(g).chain([self.defer_until]).flatten().min()
    }

    // ----- the work after every input -----

    /// Session events into the table, table changes into the groups, batches out, and the
    /// sessions' output into the speaker's queues.
    pub(crate) fn process(&mut self, now: Instant) {
        loop {
            self.process_once(now);
            if !self.retire_ended(now) {
                return;
            }
        }
    }

    fn process_once(&mut self, now: Instant) {
        loop {
            let mut any = false;
            for i in 0..self.neighbors.len() {
                let id = NeighborId(i as u32);
                while let Some(ev) = self.neighbor_mut(id).and_then(|n| n.session.poll_event()) {
                    any = true;
                    self.on_session_event(now, id, ev);
                }
            }
            if !any {
                break;
            }
        }
        self.export_changes();
        self.send_batches(now);
        for (i, n) in self.neighbors.iter_mut().enumerate() {
            let Some(n) = n else { continue };
            let id = NeighborId(i as u32);
            while let Some(t) = n.session.poll_transmit() {
                self.transmits.push_back((id, t));
            }
            while let Some(a) = n.session.poll_action() {
                self.actions.push_back((id, a));
            }
        }
    }

    pub(crate) fn event(&mut self, e: Event) {
        if self.events.len() >= EVENT_LIMIT {
            self.events.pop_front();
            self.dropped_events += 1;
        }
        self.events.push_back(e);
    }

    fn on_session_event(&mut self, now: Instant, id: NeighborId, ev: SessionEvent) {
        match ev {
            SessionEvent::StateChanged { from, to } => {
                if from >= State::OpenSent && to < State::OpenSent {
                    self.retire.push(id);
                }
                self.event(Event::StateChanged { neighbor: id, from, to })
            }
            SessionEvent::Established(neg) => self.established(now, id, *neg),
            SessionEvent::Update(received) => self.received(now, id, &received),
            SessionEvent::RouteRefresh(rr) if rr.subtype != RouteRefreshSubtype::NORMAL => {
                // RFC 7313 §4: BoRR and EoRR bracket the peer's own re-advertisement;
                // they ask for nothing. (Stale marking between them is optional, "SHOULD",
                // and not done: routes not sent again stay until withdrawn.)
                if let Some(n) = self.neighbor_mut(id) {
                    n.counters.refresh_markers_received += 1;
                }
            }
            SessionEvent::RouteRefresh(rr) => {
                // RFC 2918 §4: "the BGP speaker MUST re-advertise to that peer the
                // Adj-RIB-Out of the BGP speaker for the AFI/SAFI carried in the message".
                let family = rr.family;
                let bytes = self
                    .neighbor(id)
                    .and_then(|n| self.groups.get(n.group?)?.as_ref())
                    .map(|g| g.dump(&[family], false, &self.outs));
                let Some(n) = self.neighbor_mut(id) else { return };
                n.counters.route_refresh_received += 1;
                n.counters.batches_sent += 1;
                // RFC 7313 §4: with enhanced route refresh, "the BGP speaker MUST send a
                // BoRR message before it starts re-advertisement of the Adj-RIB-Out ...
                // [and] an EoRR message after it completes".
                let enhanced = n.negotiated.as_ref().is_some_and(|x| x.enhanced_route_refresh);
                if enhanced {
                    let _ = n.session.send_route_refresh(now, RouteRefresh::borr(family));
                }
                if let Some(bytes) = bytes.filter(|b| !b.is_empty()) {
                    let _ = n.session.send_update_bytes(now, bytes);
                }
                if enhanced {
                    let _ = n.session.send_route_refresh(now, RouteRefresh::eorr(family));
                }
            }
            SessionEvent::FamilyDisabled(family) => {
                if let Some(n) = self.neighbor_mut(id) {
                    if let Some(a) = n.adj_in.as_mut() {
                        a.clear_family(family == Family::IPV6_UNICAST);
                    }
                    let peer = n.rib_peer;
                    self.rib.withdraw_peer_family(peer, family == Family::IPV6_UNICAST);
                }
                self.event(Event::FamilyDisabled { neighbor: id, family });
            }
            SessionEvent::Down(down) => self.down(now, id, down),
            SessionEvent::NeighborDiscovered { addr, .. } => {
                self.event(Event::Discovered { neighbor: id, addr })
            }
            _ => {}
        }
    }

    fn established(&mut self, now: Instant, id: NeighborId, neg: Negotiated) {
        let Some(n) = self.neighbor(id) else { return };
        let remote = n.session.established_addrs().and_then(|(_, r)| r);
        let pc = self.rib_peer_config(&n.cfg, Some((&neg, remote)));
        let peer = n.rib_peer;
        let address = pc.address;
        self.rib.set_peer(peer, pc);
        let key = self.group_key(id, &neg);
        if let Some(n) = self.neighbor_mut(id) {
            n.up_since = Some(now);
            n.counters.established += 1;
            n.eor_received.clear();
            n.limit_warned = [false; 2];
            n.negotiated = Some(neg.clone());
        }
        self.helper_up(now, id, &neg);
        self.event(Event::Up { neighbor: id, peer_as: neg.peer_as, peer_id: neg.peer_id, address });
        self.want_bfd(id);
        // The neighbour joins its update group and gets the group's whole Adj-RIB-Out,
        // then End-of-RIB for each family (RFC 4724 §4.1).
        let gi = self.join_group(id, key);
        let families = neg.families.clone();
        if self.deferring {
            self.pending_initial.push((id, gi, families));
        } else {
            self.send_table(now, id, gi, &families);
        }
    }

    /// RFC 5882 §4.3: a session configured with BFD asks for one once its addresses are
    /// known.
    fn want_bfd(&mut self, id: NeighborId) {
        let Some(n) = self.neighbor(id).filter(|n| n.cfg.bfd) else { return };
        let Some((Some(local), Some(peer))) = n.session.established_addrs() else { return };
        let ifindex = match (peer.ip(), &n.cfg.session.neighbor) {
            (IpAddr::V6(a), Where::Interface { ifindex, .. }) if is_link_local(a) => Some(*ifindex),
            (IpAddr::V6(a), Where::Address { scope, .. }) if is_link_local(a) => *scope,
            _ => None,
        };
        let multihop = n.cfg.multihop;
        self.event(Event::BfdWanted {
            neighbor: id,
            local: local.ip(),
            peer: peer.ip(),
            ifindex,
            multihop,
        });
    }

    fn send_table(&mut self, now: Instant, id: NeighborId, gi: usize, families: &[Family]) {
        // Whatever the group still has pending goes to the members first.
        self.flush(now, gi);
        let bytes = self
            .groups
            .get(gi)
            .and_then(Option::as_ref)
            .map(|g| g.dump(families, true, &self.outs));
        if let (Some(bytes), Some(n)) = (bytes, self.neighbor_mut(id)) {
            if !bytes.is_empty() && n.session.send_update_bytes(now, bytes).is_ok() {
                n.counters.batches_sent += 1;
            }
        }
    }

    fn received(&mut self, now: Instant, id: NeighborId, received: &bgp_fsm::Received) {
        let Some(n) = self.neighbor_mut(id) else { return };
        n.counters.updates_received += 1;
        let peer = n.rib_peer;
        let soft = n.adj_in.is_some();
        let update = received.update();
        if let Some(family) = update.end_of_rib() {
            self.end_of_rib(id, family);
            return;
        }
        let sum = if soft {
            self.received_soft(now, id, received)
        } else {
            // The session's judgement: families it may use, RFC 7606 treat-as-withdraw.
            let taw = received.is_treat_as_withdraw();
            let usable = |f| received.is_usable(f);
            self.rib.handle_update_of(now, peer, update, received.context(), taw, usable)
        };
        if let Some(n) = self.neighbor_mut(id) {
            n.counters.denied += u64::from(sum.denied);
        }
        self.check_prefix_limit(now, id);
    }

    fn end_of_rib(&mut self, id: NeighborId, family: Family) {
        let Some(n) = self.neighbor_mut(id) else { return };
        if !n.eor_received.contains(&family) {
            n.eor_received.push(family);
        }
        self.helper_end_of_rib(id, family);
        self.event(Event::EndOfRib { neighbor: id, family });
        if self.deferring && self.all_eor() {
            self.end_deferral();
        }
    }

    /// Every configured neighbour is up and has sent End-of-RIB for its families.
    fn all_eor(&self) -> bool {
        self.neighbors.iter().flatten().all(|n| {
            n.negotiated
                .as_ref()
                .is_some_and(|neg| neg.families.iter().all(|f| n.eor_received.contains(f)))
                && n.session.state() == bgp_fsm::State::Established
        })
    }

    /// The restart is over (RFC 4724 §4.1): decide, advertise, program.
    fn end_deferral(&mut self) {
        self.deferring = false;
        self.defer_until = None;
        // Groups made while deferring were filled from a table still being decided: the
        // changes since are in the best-path queue, taken now; the neighbours waiting get
        // their tables with the next batches (`send_batches`).
        self.export_changes();
    }

    pub(crate) fn check_prefix_limit(&mut self, now: Instant, id: NeighborId) {
        let Some(n) = self.neighbor(id) else { return };
        let Some(mp) = n.cfg.max_prefix else { return };
        // With soft reconfiguration the routes kept before policy count (FRR's
        // `maximum-prefix ... force`): the limit bounds the Adj-RIB-In too.
        let (v4, v6) = match &n.adj_in {
            Some(a) => a.received(),
            None => self.rib.path_count(n.rib_peer),
        };
        for (i, (count, family)) in
            [(v4, Family::IPV4_UNICAST), (v6, Family::IPV6_UNICAST)].into_iter().enumerate()
        {
            let warn =
                u64::from(count) * 100 >= u64::from(mp.limit) * u64::from(mp.warn_at_percent);
            let over = count > mp.limit;
            if over && !mp.warning_only {
                // RFC 4486 §4: Cease, Maximum Number of Prefixes Reached; "the Data field
                // MAY contain ... AFI ... SAFI ... the upper bound on the number of prefixes".
                let mut data = Vec::with_capacity(7);
                data.extend_from_slice(&family.afi.0.to_be_bytes());
                data.push(family.safi.0);
                data.extend_from_slice(&mp.limit.to_be_bytes());
                // RFC 8538 §5.1: a Hard Reset where the N bit was exchanged.
                let cease = self.cease(id, cease::MAXIMUM_PREFIXES_REACHED, Bytes::from(data));
                let Some(n) = self.neighbor_mut(id) else { return };
                n.session.stop_with(now, cease);
                n.restart_at = mp.restart.map(|d| now + d);
                self.event(Event::PrefixLimit {
                    neighbor: id,
                    family,
                    count,
                    limit: mp.limit,
                    teardown: true,
                });
                return;
            }
            let Some(n) = self.neighbor_mut(id) else { return };
            if (warn || over) && !n.limit_warned[i] {
                n.limit_warned[i] = true;
                self.event(Event::PrefixLimit {
                    neighbor: id,
                    family,
                    count,
                    limit: mp.limit,
                    teardown: false,
                });
            }
        }
    }

    fn down(&mut self, now: Instant, id: NeighborId, down: bgp_fsm::Down) {
        let Some(n) = self.neighbor(id) else { return };
        let group = n.group;
        self.leave_group(id, group);
        let graceful = self.helper_down(now, id, &down);
        if let Some(n) = self.neighbor_mut(id) {
            n.up_since = None;
            n.group = None;
            // Stale routes (graceful restart) stay in the table as they were; what the
            // neighbour sends once it is back is kept again.
            if let Some(a) = n.adj_in.as_mut() {
                *a = AdjRibIn::default();
            }
        }
        self.event(Event::Down { neighbor: id, down, graceful });
    }

    // ----- update groups -----

    fn group_key(&self, id: NeighborId, neg: &Negotiated) -> GroupKey {
        let n = self.neighbor(id);
        let cfg = n.map(|n| &n.cfg);
        let local_nh = |family| {
            let n = n?;
            n.session.local_next_hop(family, n.cfg.ipv6_global, n.cfg.link_local_style)
        };
        GroupKey {
            external: !neg.internal,
            rr_client: cfg.is_some_and(|c| c.rr_client),
            // The neighbour's AS reaches the UPDATEs only through as-override: without it,
            // external neighbours in other ASes are sent the same octets and share a group.
            remote_as: (!neg.internal && cfg.is_some_and(|c| c.as_override)).then_some(neg.peer_as),
            export: cfg
                .and_then(|c| c.export.as_deref())
                .and_then(|m| self.cfg.policy.route_map_id(m)),
            tx: neg.tx.clone(),
            add_path: match cfg {
                Some(c) if !neg.tx.add_path.is_empty() => c.add_path_send,
                _ => AddPathSend::Best,
            },
            families: neg
                .families
                .iter()
                .copied()
                .filter(|f| *f == Family::IPV4_UNICAST || *f == Family::IPV6_UNICAST)
                .collect(),
            self_v4: local_nh(Family::IPV4_UNICAST),
            self_v6: local_nh(Family::IPV6_UNICAST),
            next_hop_self: cfg.is_some_and(|c| c.next_hop_self),
            next_hop_unchanged: cfg.is_some_and(|c| c.next_hop_unchanged),
            remove_private_as: cfg.is_some_and(|c| c.remove_private_as),
            as_override: cfg.is_some_and(|c| c.as_override),
            role: cfg.and_then(|c| c.role),
            llgr: neg.long_lived_graceful_restart.is_some(),
            mrai: cfg.map_or(std::time::Duration::ZERO, |c| c.advertisement_interval),
        }
    }

    /// Puts a neighbour in the group of its key, made (and filled from the Loc-RIB) when
    /// new.
    fn join_group(&mut self, id: NeighborId, key: GroupKey) -> usize {
        let found = self.groups.iter().position(|g| g.as_ref().is_some_and(|g| g.key == key));
        let gi = match found {
            Some(gi) => gi,
            None => {
                let slot =
                    self.groups.iter().position(Option::is_none).unwrap_or(self.groups.len());
                if slot == self.groups.len() {
                    self.groups.push(Some(Group::new(key)));
                } else {
                    self.groups[slot] = Some(Group::new(key));
                }
                let mut best = Vec::new();
                self.rib.for_each_best(|p, s| best.push((p, s)));
                let mut cache = ExportCache::default();
                for (p, s) in best {
                    self.export_prefix(slot, p, Some(&s), &mut cache);
                }
                cache.release(&mut self.outs);
                if let Some(Some(g)) = self.groups.get_mut(slot) {
                    g.settle();
                }
                slot
            }
        };
        if let Some(Some(g)) = self.groups.get_mut(gi) {
            g.members.push(id);
        }
        if let Some(n) = self.neighbor_mut(id) {
            n.group = Some(gi);
        }
        gi
    }

    fn leave_group(&mut self, id: NeighborId, group: Option<usize>) {
        let Some(gi) = group else { return };
        let Some(Some(g)) = self.groups.get_mut(gi) else { return };
        g.members.retain(|m| *m != id);
        if g.members.is_empty() {
            if let Some(mut g) = self.groups[gi].take() {
                g.clear(&mut self.outs);
            }
        }
    }

    /// What `best` becomes toward a group; `None` when it is not advertised.
    pub(crate) fn export_one(
        &self,
        key: &GroupKey,
        prefix: IpNet,
        best: &rib::Selected,
    ) -> Option<crate::out::Out> {
        let peer = self.rib.peer(best.peer)?;
        let from = Origin { kind: peer.kind, rr_client: peer.rr_client, router_id: peer.router_id };
        let me = Local {
            asn: self.cfg.local_as,
            cluster_id: self.cfg.cluster_id.unwrap_or(self.cfg.router_id),
            default_local_pref: self.cfg.bestpath.default_local_pref,
            policy: &self.cfg.policy,
            long_lived_to_internal: self.cfg.graceful_restart.long_lived_to_internal,
        };
        let nh = self.rib.attributes_next_hop(best.attrs);
        let stored = self.rib.stored_attributes(best.attrs)?;
        if let Some(out) = export::export_stored(key, &me, prefix, from, &stored, nh) {
            return out;
        }
        let attrs = self.rib.attributes(best.attrs)?;
        export::export(key, &me, prefix, from, attrs, 0, nh)
    }

    /// Takes the table's best-path changes into every group's Adj-RIB-Out (once per group,
    /// whatever its number of members), and into the application's change queue.
    fn export_changes(&mut self) {
        if self.deferring {
            return;
        }
        let mut cache = ExportCache::default();
        while let Some(bc) = self.rib.poll_best() {
            if self.cfg.route_changes {
                if let hashbrown::hash_map::Entry::Vacant(e) = self.changed_prev.entry(bc.prefix) {
                    e.insert(bc.previous);
                    self.changed.push_back(bc.prefix);
                }
            }
            for gi in 0..self.groups.len() {
                self.export_prefix(gi, bc.prefix, bc.best.as_ref(), &mut cache);
            }
        }
        cache.release(&mut self.outs);
    }

    /// Sends every group's pending changes whose advertisement interval allows.
    fn send_batches(&mut self, now: Instant) {
        if self.deferring {
            return;
        }
        for gi in 0..self.groups.len() {
            let due = self.groups[gi]
                .as_ref()
                .is_some_and(|g| !g.pending.is_empty() && g.next_batch.is_none_or(|t| t <= now));
            if due {
                self.flush(now, gi);
            }
        }
        for (id, gi, families) in std::mem::take(&mut self.pending_initial) {
            self.send_table(now, id, gi, &families);
        }
    }

    /// Encodes a group's pending changes once and sends them to every member.
    fn flush(&mut self, now: Instant, gi: usize) {
        let Some(Some(g)) = self.groups.get_mut(gi) else { return };
        if g.pending.is_empty() {
            return;
        }
        let bytes = g.take_batch(&self.outs);
        g.next_batch = (!g.key.mrai.is_zero()).then(|| now + g.key.mrai);
        let members = g.members.clone();
        if bytes.is_empty() {
            return;
        }
        for m in members {
            if let Some(n) = self.neighbor_mut(m) {
                if n.session.send_update_bytes(now, bytes.clone()).is_ok() {
                    n.counters.batches_sent += 1;
                }
            }
        }
    }
}

fn is_link_local(a: Ipv6Addr) -> bool {
    a.segments()[0] & 0xffc0 == 0xfe80
}

/// What a neighbour's configuration must satisfy, whatever its address.
pub(crate) fn check_neighbor(sc: &SpeakerConfig, cfg: &NeighborConfig) -> Result<(), ConfigError> {
    if cfg.session.local_as != sc.local_as || cfg.session.router_id != sc.router_id {
        return Err(ConfigError::LocalIdentity(cfg.session.local_as));
    }
    for name in [&cfg.import, &cfg.export].into_iter().flatten() {
        if sc.policy.route_map_id(name).is_none() {
            return Err(ConfigError::UnknownRouteMap(name.clone()));
        }
    }
    if let Some(m) = cfg.max_prefix {
        if m.limit == 0 || m.warn_at_percent > 100 {
            return Err(ConfigError::MaxPrefix(m.limit));
        }
        if let Some(d) = m.restart.filter(|d| *d > crate::config::MAX_INTERVAL) {
            return Err(ConfigError::Interval("maximum-prefix restart", d));
        }
    }
    if cfg.advertisement_interval > crate::config::MAX_INTERVAL {
        return Err(ConfigError::Interval("advertisement-interval", cfg.advertisement_interval));
    }
    Ok(())
}
