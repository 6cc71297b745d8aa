//! One BGP session: the RFC 4271 §8 state machine over up to two connections.

use bgp_wire::codes::{cease, fsm, open as open_codes, ErrorCode};
use bgp_wire::header::{Header, HEADER_LEN, MAX_LEN};
use bgp_wire::message::Message;
use bgp_wire::notification::Notification;
use bgp_wire::open::Open;
use bgp_wire::route_refresh::{RouteRefresh, RouteRefreshSubtype};
use bgp_wire::{frame, Context, Family, MessageType};
use bytes::{Bytes, BytesMut};
use std::collections::VecDeque;
use std::net::{IpAddr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::collision::{self, Direction};
use crate::config::{Config, ConfigError, Neighbor};
use crate::damping::Damping;
use crate::fsm_event::{FsmEvent, State};
use crate::negotiate::{self, Negotiated};
use crate::output::{Action, ConnId, Down, DownReason, Event, Initiator, Transmit};
use crate::ra::{self, RaError, RaOption, RouterAdvertisement};
use crate::rng::SplitMix64;
use crate::timer::{Timer, TimerTable};

mod updates;
pub use updates::{ipv6_next_hop, LinkLocalStyle};

/// Most connections a session holds at once: ours and the peer's (RFC 4271 §6.8), and one
/// more from the peer while an earlier one of its is still being resolved.
const MAX_CONNS: usize = 3;

/// Where a connection is in its own exchange of OPENs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum ConnState {
    /// TCP is up, the DelayOpenTimer runs, our OPEN is not sent yet.
    Connected,
    /// Our OPEN is sent.
    OpenSent,
    /// Both OPENs exchanged, our KEEPALIVE sent.
    OpenConfirm,
    /// KEEPALIVE received.
    Established,
}

#[derive(Debug)]
struct Conn {
    id: ConnId,
    dir: Direction,
    state: ConnState,
    timers: TimerTable,
    /// A message whose first octets arrived and whose rest has not: the only octets of the
    /// receive path that are copied.
    partial: BytesMut,
    /// The receive context, shared with every [`crate::Received`] decoded with it: before
    /// the OPEN exchange what any OPEN can be decoded with (RFC 8654 §3: extended messages
    /// only after it), then the negotiated one.
    rx: Arc<Context>,
    /// Output was polled for this connection that the driver has not reported written.
    unwritten: bool,
    local: Option<SocketAddr>,
    remote: Option<SocketAddr>,
    negotiated: Option<Negotiated>,
    /// The families of `negotiated` still in use, shared with every [`crate::Received`].
    families: Arc<[Family]>,
}

impl Conn {
    fn new(id: ConnId, dir: Direction) -> Conn {
        Conn {
            id,
            dir,
            state: ConnState::Connected,
            timers: TimerTable::default(),
            partial: BytesMut::new(),
            rx: Arc::default(),
            unwritten: false,
            local: None,
            remote: None,
            negotiated: None,
            families: Arc::from(Vec::new()),
        }
    }

    fn max_len(&self) -> usize {
        self.negotiated.as_ref().map_or(MAX_LEN, |n| n.rx.max_message_len())
    }

    /// SendHoldTime (RFC 9687) of this connection, once Established: the configured value
    /// but at least twice the negotiated hold time, which with the default of 8 minutes is
    /// RFC 9687 §6's default. None when disabled or when the negotiated hold time is zero
    /// (RFC 9687 §4.3: "unless the SendHoldTime value is zero or the negotiated HoldTime
    /// value is zero, in which case the SendHoldTimer is stopped").
    fn send_hold_time(&self, cfg: &Config) -> Option<Duration> {
        if self.state != ConnState::Established {
            return None;
        }
        let hold = self.negotiated.as_ref()?.hold_duration()?;
        Some(cfg.send_hold_time?.max(hold * 2))
    }
}

/// Why a command could not be carried out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// The session is not Established.
    #[error("session is not established")]
    NotEstablished,
    /// The family was not negotiated (or was disabled).
    #[error("family {0} was not negotiated")]
    FamilyNotNegotiated(Family),
    /// IPv4 routes with an IPv6 next hop need the peer's extended next hop capability for
    /// the family (RFC 8950 §4).
    #[error("extended next hop was not negotiated for {0}")]
    ExtendedNextHopNotNegotiated(Family),
    /// The peer did not advertise the Route Refresh capability.
    #[error("peer does not support route refresh")]
    RouteRefreshNotNegotiated,
    /// Beginning- and End-of-Route-Refresh markers need the Enhanced Route Refresh
    /// capability on both sides (RFC 7313 §4).
    #[error("enhanced route refresh was not negotiated")]
    EnhancedRouteRefreshNotNegotiated,
}

/// A BGP session with one peer (RFC 4271 §8), sans-IO.
///
/// See the [crate documentation](crate) for the call order and the determinism contract.
#[derive(Debug)]
pub struct Session {
    cfg: Config,
    local_open: Open,
    rng: SplitMix64,
    damping: Damping,
    /// ManualStart happened and no ManualStop since.
    started: bool,
    /// The state when no connection has got past TCP setup: Idle, Connect or Active.
    base: State,
    /// An `Action::Connect` is outstanding.
    connecting: bool,
    conns: Vec<Conn>,
    timers: TimerTable,
    /// The peer's link-local address learned from a Router Advertisement.
    learned: Option<Ipv6Addr>,
    connect_retry_counter: u32,
    /// Routes of families not negotiated or disabled, dropped.
    dropped_routes: u64,
    reported: State,
    last_fsm_event: Option<FsmEvent>,
    transmits: VecDeque<Transmit>,
    actions: VecDeque<Action>,
    events: VecDeque<Event>,
}

impl Session {
    /// A session in Idle. Nothing happens until [`Session::start`].
    pub fn new(cfg: Config) -> Result<Session, ConfigError> {
        cfg.validate()?;
        let local_open = Open::new(
            cfg.local_as,
            cfg.hold_time,
            cfg.router_id,
            negotiate::local_capabilities(&cfg),
        );
        Ok(Session {
            rng: SplitMix64::new(cfg.seed),
            damping: Damping::new(cfg.damping.clone()),
            local_open,
            cfg,
            started: false,
            base: State::Idle,
            connecting: false,
            conns: Vec::new(),
            timers: TimerTable::default(),
            learned: None,
            connect_retry_counter: 0,
            dropped_routes: 0,
            reported: State::Idle,
            last_fsm_event: None,
            transmits: VecDeque::new(),
            actions: VecDeque::new(),
            events: VecDeque::new(),
        })
    }

    // ----- getters -----

    /// The RFC 4271 state: that of the most advanced connection, or Idle/Connect/Active.
    pub fn state(&self) -> State {
        self.conns.iter().map(|c| self.conn_state(c)).max().unwrap_or(self.base)
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// What was negotiated, while Established.
    pub fn negotiated(&self) -> Option<&Negotiated> {
        self.established().and_then(|c| c.negotiated.as_ref())
    }

    /// The connection carrying the Established session.
    pub fn established_conn(&self) -> Option<ConnId> {
        self.established().map(|c| c.id)
    }

    /// Local and remote addresses of the Established connection, as the driver reported them.
    pub fn established_addrs(&self) -> Option<(Option<SocketAddr>, Option<SocketAddr>)> {
        self.established().map(|c| (c.local, c.remote))
    }

    /// The connections the session currently holds.
    pub fn connections(&self) -> impl Iterator<Item = ConnId> + '_ {
        self.conns.iter().map(|c| c.id)
    }

    /// The last RFC 4271 event the state machine acted on.
    pub fn last_fsm_event(&self) -> Option<FsmEvent> {
        self.last_fsm_event
    }

    /// ConnectRetryCounter (RFC 4271 §8): how many times the session went down since start.
    pub fn connect_retry_counter(&self) -> u32 {
        self.connect_retry_counter
    }

    /// Routes received in families that were not negotiated, or were disabled since
    /// (RFC 7606 "AFI/SAFI disable"): dropped, not reported to the application.
    pub fn dropped_routes(&self) -> u64 {
        self.dropped_routes
    }

    /// The unnumbered peer's link-local address, once a Router Advertisement taught it.
    pub fn learned_neighbor(&self) -> Option<Ipv6Addr> {
        self.learned
    }

    /// The deadline of a session timer (ConnectRetry, IdleHold, RouterAdvertisement) or, for
    /// Hold, Keepalive, DelayOpen and SendHold, the earliest among the connections.
    pub fn timer(&self, timer: Timer) -> Option<Instant> {
        self.conns.iter().filter_map(|c| c.timers.get(timer)).chain(self.timers.get(timer)).min()
    }

    // ----- outputs -----

    /// The next message to write. Drain this first after every input.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next action (connect, close, send an RA). Drain after [`Session::poll_transmit`].
    #[must_use]
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// The next event for the application. Drain after [`Session::poll_action`].
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When to call [`Session::handle_timeout`] next: the earliest deadline of every timer.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.conns
            .iter()
            .filter_map(|c| c.timers.next_deadline())
            .chain(self.timers.next_deadline())
            .min()
    }

    // ----- administrative inputs -----

    /// ManualStart (Event 1), or ManualStart_with_PassiveTcpEstablishment (Event 4) when the
    /// configuration is passive. A started session is left alone.
    pub fn start(&mut self, now: Instant) {
        if self.started {
            return;
        }
        self.fsm_event(if self.cfg.passive {
            FsmEvent::ManualStartWithPassiveTcpEstablishment
        } else {
            FsmEvent::ManualStart
        });
        self.started = true;
        self.damping.reset();
        self.timers.stop(Timer::IdleHold);
        if let Neighbor::Interface { .. } = self.cfg.neighbor {
            self.send_ra(now);
        }
        self.connect_or_listen(now);
        self.sync_state();
    }

    /// ManualStop (Event 2): sends a Cease NOTIFICATION on every connection that has sent its
    /// OPEN — "Administrative Shutdown" (6/2) carrying `communication` as the RFC 9003
    /// Shutdown Communication when given — closes everything and stays Idle until the next
    /// [`Session::start`].
    pub fn stop(&mut self, now: Instant, communication: Option<&str>) {
        let notification = match communication {
            Some(text) => Notification::shutdown(cease::ADMINISTRATIVE_SHUTDOWN, text),
            None => {
                Notification::new(ErrorCode::CEASE, cease::ADMINISTRATIVE_SHUTDOWN, Bytes::new())
            }
        };
        self.stop_with(now, notification);
    }

    /// Like [`Session::stop`] with the NOTIFICATION to send: a Cease with another subcode
    /// (RFC 4486), such as "Maximum Number of Prefixes Reached" with its data.
    pub fn stop_with(&mut self, now: Instant, notification: Notification) {
        self.fsm_event(FsmEvent::ManualStop);
        let was = self.state();
        let mut sent = None;
        for id in self.conns.iter().map(|c| c.id).collect::<Vec<_>>() {
            if self.conn(id).is_some_and(|c| c.state >= ConnState::OpenSent) {
                self.send_notification(now, id, &notification);
                sent = Some(notification.clone());
            }
            self.drop_conn(id);
        }
        self.started = false;
        self.connecting = false;
        self.timers.stop_all();
        self.base = State::Idle;
        self.sync_state();
        if was != State::Idle {
            self.events.push_back(Event::Down(Down {
                reason: DownReason::Stopped,
                initiator: Initiator::Local,
                notification: sent,
            }));
        }
    }

    // ----- connection inputs -----

    /// Our outbound connection (asked for by [`Action::Connect`]) is up: Tcp_CR_Acked
    /// (Event 16). `local` is our end's address, kept for next-hop selection.
    pub fn handle_connected(&mut self, now: Instant, conn: ConnId, local: SocketAddr) {
        self.fsm_event(FsmEvent::TcpCrAcked);
        if !self.started
            || !self.connecting
            || self.base == State::Idle
            || self.conn(conn).is_some()
            || self.established().is_some()
        {
            self.actions.push_back(Action::Close { conn });
            return;
        }
        self.connecting = false;
        let remote = self.peer_addr();
        self.add_conn(now, conn, Direction::Outbound, Some(local), remote);
        self.sync_state();
    }

    /// Our outbound connection attempt failed: TcpConnectionFails (Event 18) in Connect.
    ///
    /// RFC 4271 §8.2.2 (Connect) goes to Active only while the DelayOpenTimer runs and to Idle
    /// otherwise. Like FRR and BIRD, this session always goes to Active, restarts the
    /// ConnectRetryTimer and keeps listening: a peer that is not up yet is not a flapping
    /// peer, so it does not feed the IdleHold back-off.
    pub fn handle_connect_failed(&mut self, now: Instant) {
        self.fsm_event(FsmEvent::TcpConnectionFails);
        if !self.connecting {
            return;
        }
        self.connecting = false;
        if self.base == State::Connect {
            self.base = State::Active;
            // With an inbound connection under way, no retry: ConnectRetry stays stopped.
            if self.conns.is_empty() {
                self.restart_connect_retry(now);
            }
        }
        self.sync_state();
    }

    /// The peer connected to us: TcpConnection_Valid (Event 14) and TcpConnectionConfirmed
    /// (Event 17), or Tcp_CR_Invalid (Event 15) when `remote` is not this peer, in which case
    /// the connection is closed. `ifindex` is the interface the connection arrived on (the
    /// scope id of a link-local address); an unnumbered peer accepts any link-local address
    /// on its interface.
    pub fn handle_incoming(
        &mut self,
        now: Instant,
        conn: ConnId,
        remote: SocketAddr,
        local: SocketAddr,
        ifindex: Option<u32>,
    ) {
        if !self.acceptable(remote, ifindex) {
            self.fsm_event(FsmEvent::TcpCrInvalid);
            self.actions.push_back(Action::Close { conn });
            return;
        }
        self.fsm_event(FsmEvent::TcpConnectionValid);
        // RFC 4271 §8.2.2 (Idle): "BGP FSM refuses all incoming BGP connections for this
        // peer".
        // §6.8: "a connection collision with an existing BGP connection that is in the
        // Established state causes closing of the newly created connection."
        if !self.started || self.base == State::Idle || self.established().is_some() {
            self.actions.push_back(Action::Close { conn });
            return;
        }
        self.fsm_event(FsmEvent::TcpConnectionConfirmed);
        // A further connection does not replace one whose exchange of OPENs is under way:
        // they go on side by side and §6.8 decides when OPENs arrive (see
        // `resolve_collision`). Beyond a few, the newest is refused, so that a host that
        // keeps connecting cannot push out the one that was there first.
        if self.conns.len() >= MAX_CONNS {
            self.actions.push_back(Action::Close { conn });
            return;
        }
        // The first connection of an unnumbered peer teaches its address; one arriving
        // while another is under way does not move it.
        if let (Neighbor::Interface { ifindex: ours, .. }, IpAddr::V6(a), true) =
            (&self.cfg.neighbor, remote.ip(), self.conns.is_empty() && !self.connecting)
        {
            if self.learned != Some(a) {
                self.learned = Some(a);
                let ifindex = *ours;
                self.events.push_back(Event::NeighborDiscovered { addr: a, ifindex });
            }
        }
        self.add_conn(now, conn, Direction::Inbound, Some(local), Some(remote));
        self.sync_state();
    }

    /// The connection closed or failed: TcpConnectionFails (Event 18). Unknown ids (already
    /// closed by the session) are ignored.
    pub fn handle_closed(&mut self, now: Instant, conn: ConnId) {
        let Some(state) = self.conn(conn).map(|c| c.state) else {
            return;
        };
        self.fsm_event(FsmEvent::TcpConnectionFails);
        self.conn_failed(now, conn, DownReason::ConnectionClosed, Initiator::Remote, None, state);
    }

    /// Octets read from a connection, in order. Messages are framed here by the header's
    /// Length field (RFC 4271 §4.1) and cut out of `data` without a copy: the message an
    /// [`Event::Update`] carries shares `data`'s buffer. Only a message that is not whole
    /// at the end of `data` is copied aside, and completed from the next call.
    pub fn handle_data(&mut self, now: Instant, conn: ConnId, mut data: Bytes) {
        if self.complete_partial(now, conn, &mut data) {
            while !data.is_empty() {
                let Some(c) = self.conn_mut(conn) else {
                    break;
                };
                match frame(&data, c.max_len()) {
                    Ok(Some(len)) => {
                        let msg = data.split_to(len);
                        self.handle_message(now, conn, msg);
                        self.sync_state();
                    }
                    Ok(None) => {
                        c.partial.extend_from_slice(&data);
                        break;
                    }
                    Err(e) => {
                        self.header_error(now, conn, &e);
                        break;
                    }
                }
            }
        }
        self.sync_state();
    }

    /// [`Session::handle_data`] for octets in a borrowed buffer: they are copied once into a
    /// [`Bytes`] first. For fuzz targets, tests and drivers whose reads do not land in one.
    pub fn handle_bytes(&mut self, now: Instant, conn: ConnId, bytes: &[u8]) {
        self.handle_data(now, conn, Bytes::copy_from_slice(bytes));
    }

    /// Completes the message left partial by an earlier read with the first octets of
    /// `data`, copying them, and handles it. Returns whether the rest of `data` is to be
    /// framed: no partial message is left and the connection is still there.
    fn complete_partial(&mut self, now: Instant, conn: ConnId, data: &mut Bytes) -> bool {
        let Some(c) = self.conn_mut(conn) else {
            return false;
        };
        if c.partial.is_empty() {
            return true;
        }
        if c.partial.len() < HEADER_LEN {
            let take = (HEADER_LEN - c.partial.len()).min(data.len());
            c.partial.extend_from_slice(&data.split_to(take));
            if c.partial.len() < HEADER_LEN {
                return false;
            }
        }
        let len = match Header::check(&c.partial, c.max_len()) {
            Ok(h) => usize::from(h.length),
            Err(e) => {
                self.header_error(now, conn, &e);
                return false;
            }
        };
        let missing = len.saturating_sub(c.partial.len());
        c.partial.reserve(missing);
        c.partial.extend_from_slice(&data.split_to(missing.min(data.len())));
        if c.partial.len() < len {
            return false;
        }
        let msg = c.partial.split().freeze();
        self.handle_message(now, conn, msg);
        self.sync_state();
        self.conn(conn).is_some()
    }

    /// Event 21 BGPHeaderErr: a header that does not check ends the connection.
    fn header_error(&mut self, now: Instant, conn: ConnId, e: &bgp_wire::Error) {
        self.fsm_event(FsmEvent::BgpHeaderErr);
        self.protocol_error(now, conn, DownReason::MessageError(e.clone()), e);
    }

    /// The driver wrote octets that were polled for `conn` (the socket took them);
    /// `unwritten` octets of them are still waiting (0 when everything polled so far is
    /// written). Call it whenever writes progress, or at least before
    /// [`Session::handle_timeout`] once they have: it only moves the SendHoldTimer, so it
    /// can come at any point of the call order.
    ///
    /// RFC 9687 §4.3: "Each time the local system sends a BGP message, it restarts the
    /// SendHoldTimer". Here the timer runs only while output waits: it starts when output is
    /// polled for an Established connection that had everything written, restarts on each
    /// progress, and stops once everything is written.
    pub fn handle_write_progress(&mut self, now: Instant, conn: ConnId, unwritten: usize) {
        let cfg = &self.cfg;
        let Some(c) = self.conns.iter_mut().find(|c| c.id == conn) else {
            return;
        };
        c.unwritten = unwritten > 0;
        match c.send_hold_time(cfg).filter(|_| c.unwritten) {
            Some(d) => c.timers.set_after(Timer::SendHold, now, d),
            None => c.timers.stop(Timer::SendHold),
        }
    }

    /// A deadline passed. Timers not yet due are left alone, so an early call does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.timers.expire(Timer::IdleHold, now) {
            self.fsm_event(FsmEvent::IdleHoldTimerExpires);
            if self.started && self.base == State::Idle && self.conns.is_empty() {
                self.fsm_event(if self.cfg.passive {
                    FsmEvent::AutomaticStartWithDampPeerOscillationsAndPassiveTcpEstablishment
                } else {
                    FsmEvent::AutomaticStartWithDampPeerOscillations
                });
                self.connect_or_listen(now);
            }
        }
        if self.timers.expire(Timer::ConnectRetry, now) {
            self.fsm_event(FsmEvent::ConnectRetryTimerExpires);
            if self.started
                && self.conns.is_empty()
                && matches!(self.base, State::Connect | State::Active)
            {
                self.connect_or_listen(now);
            }
        }
        if self.timers.expire(Timer::RouterAdvertisement, now) {
            self.send_ra(now);
        }
        for id in self.conns.iter().map(|c| c.id).collect::<Vec<_>>() {
            self.conn_timeouts(now, id);
        }
        self.sync_state();
    }

    /// An ICMPv6 message received on interface `ifindex` from `src`. When it is a Router
    /// Advertisement from a link-local address on this unnumbered peer's interface, its
    /// source becomes the peer's address and, if the session was waiting for one, it
    /// connects. Returns the decoding error of a malformed RA (which is otherwise ignored, as
    /// RFC 4861 §6.1.2 asks).
    pub fn handle_router_advertisement(
        &mut self,
        now: Instant,
        ifindex: u32,
        src: Ipv6Addr,
        bytes: &[u8],
    ) -> Result<(), RaError> {
        let Neighbor::Interface { ifindex: ours, .. } = self.cfg.neighbor else {
            return Ok(());
        };
        if ours != ifindex {
            return Ok(());
        }
        RouterAdvertisement::decode(bytes)?;
        // RFC 4861 §6.1.2: "IP Source Address is a link-local address."
        if !ra::is_link_local(src) || self.learned == Some(src) {
            return Ok(());
        }
        // While an attempt with the neighbour already discovered is under way (a connect
        // outstanding, OPENs being exchanged, or Established), RAs from other link-local
        // addresses change nothing: any host on the link can send them, and restarting
        // the attempt for each would keep the session from ever coming up.
        if self.learned.is_some() && (self.connecting || !self.conns.is_empty()) {
            return Ok(());
        }
        self.learned = Some(src);
        self.events.push_back(Event::NeighborDiscovered { addr: src, ifindex });
        // The first address discovered is connected to at once; after a failed attempt a
        // new one waits for the ConnectRetryTimer, so RAs cannot pace our SYNs.
        if self.started
            && !self.cfg.passive
            && self.conns.is_empty()
            && matches!(self.base, State::Active | State::Connect)
            && !self.timers.is_running(Timer::ConnectRetry)
        {
            self.connect_or_listen(now);
        }
        self.sync_state();
        Ok(())
    }

    // ----- commands -----

    /// Sends an encoded UPDATE (whole message, header included) on the Established
    /// connection and restarts the KeepaliveTimer (RFC 4271 §4.4).
    pub fn send_update_bytes(&mut self, now: Instant, update: Bytes) -> Result<(), CommandError> {
        let id = self.established().map(|c| c.id).ok_or(CommandError::NotEstablished)?;
        self.transmit(now, id, update);
        self.restart_keepalive(now, id);
        Ok(())
    }

    /// Asks the peer to resend a family (RFC 2918 §3).
    pub fn route_refresh(&mut self, now: Instant, family: Family) -> Result<(), CommandError> {
        self.send_route_refresh(now, RouteRefresh::new(family))
    }

    /// Sends a ROUTE-REFRESH: a request (subtype 0, RFC 2918 §3), or the Beginning- or
    /// End-of-Route-Refresh marker that brackets our re-advertisement of a family when
    /// enhanced route refresh was negotiated (RFC 7313 §4).
    pub fn send_route_refresh(
        &mut self,
        now: Instant,
        rr: RouteRefresh,
    ) -> Result<(), CommandError> {
        let n = self.negotiated().ok_or(CommandError::NotEstablished)?;
        if rr.subtype == RouteRefreshSubtype::NORMAL && !n.route_refresh {
            return Err(CommandError::RouteRefreshNotNegotiated);
        }
        if rr.subtype != RouteRefreshSubtype::NORMAL && !n.enhanced_route_refresh {
            return Err(CommandError::EnhancedRouteRefreshNotNegotiated);
        }
        if !n.has_family(rr.family) {
            return Err(CommandError::FamilyNotNegotiated(rr.family));
        }
        let ctx = n.tx.clone();
        let id = self.established().map(|c| c.id).ok_or(CommandError::NotEstablished)?;
        self.send_message(now, id, &Message::RouteRefresh(rr), &ctx);
        Ok(())
    }

    // ----- internals: connections -----

    fn conn(&self, id: ConnId) -> Option<&Conn> {
        self.conns.iter().find(|c| c.id == id)
    }

    fn conn_mut(&mut self, id: ConnId) -> Option<&mut Conn> {
        self.conns.iter_mut().find(|c| c.id == id)
    }

    fn established(&self) -> Option<&Conn> {
        self.conns.iter().find(|c| c.state == ConnState::Established)
    }

    fn conn_state(&self, c: &Conn) -> State {
        match c.state {
            ConnState::Connected => match c.dir {
                Direction::Outbound => State::Connect,
                Direction::Inbound => State::Active,
            },
            ConnState::OpenSent => State::OpenSent,
            ConnState::OpenConfirm => State::OpenConfirm,
            ConnState::Established => State::Established,
        }
    }

    fn fsm_event(&mut self, e: FsmEvent) {
        self.last_fsm_event = Some(e);
    }

    fn sync_state(&mut self) {
        let now_state = self.state();
        if now_state != self.reported {
            self.events.push_back(Event::StateChanged { from: self.reported, to: now_state });
            self.reported = now_state;
        }
    }

    /// The address to connect to, if known.
    fn peer_addr(&self) -> Option<SocketAddr> {
        match &self.cfg.neighbor {
            Neighbor::Address { addr: IpAddr::V6(a), scope } => {
                Some(SocketAddr::V6(SocketAddrV6::new(*a, self.cfg.port, 0, scope.unwrap_or(0))))
            }
            Neighbor::Address { addr, .. } => Some(SocketAddr::new(*addr, self.cfg.port)),
            Neighbor::Interface { ifindex, .. } => self
                .learned
                .map(|a| SocketAddr::V6(SocketAddrV6::new(a, self.cfg.port, 0, *ifindex))),
        }
    }

    fn scope(&self) -> Option<u32> {
        match &self.cfg.neighbor {
            Neighbor::Address { scope, .. } => *scope,
            Neighbor::Interface { ifindex, .. } => Some(*ifindex),
        }
    }

    /// Event 14 vs 15: is `remote` this peer?
    fn acceptable(&self, remote: SocketAddr, ifindex: Option<u32>) -> bool {
        let arrived_on = ifindex.or(match remote {
            SocketAddr::V6(a) if a.scope_id() != 0 => Some(a.scope_id()),
            _ => None,
        });
        match &self.cfg.neighbor {
            Neighbor::Address { addr, scope } => {
                canonical(remote.ip()) == canonical(*addr)
                    && (scope.is_none() || arrived_on.is_none() || *scope == arrived_on)
            }
            Neighbor::Interface { ifindex: ours, .. } => match canonical(remote.ip()) {
                IpAddr::V6(a) => ra::is_link_local(a) && arrived_on == Some(*ours),
                IpAddr::V4(_) => false,
            },
        }
    }

    /// Idle/Active → Connect (or Active for a passive or not-yet-discovered peer).
    ///
    /// RFC 4271 §8.2.2 (Idle, Event 1): "initializes all BGP resources for the peer
    /// connection, sets ConnectRetryCounter to zero, starts the ConnectRetryTimer with the
    /// initial value, initiates a TCP connection to the other BGP peer, listens for a
    /// connection that may be initiated by the remote BGP peer, and changes its state to
    /// Connect." A passive session only listens (Event 4: "changes its state to Active");
    /// unlike the RFC's Active state it never connects on ConnectRetryTimer expiry.
    fn connect_or_listen(&mut self, now: Instant) {
        match self.peer_addr().filter(|_| !self.cfg.passive) {
            Some(addr) => {
                self.base = State::Connect;
                self.connecting = true;
                self.actions.push_back(Action::Connect { addr, scope: self.scope() });
                self.restart_connect_retry(now);
            }
            None => {
                self.base = State::Active;
                self.timers.stop(Timer::ConnectRetry);
            }
        }
    }

    fn restart_connect_retry(&mut self, now: Instant) {
        if self.cfg.passive {
            return;
        }
        let d = crate::rng::jitter(&mut self.rng, self.cfg.connect_retry_time);
        self.timers.set_after(Timer::ConnectRetry, now, d);
    }

    fn add_conn(
        &mut self,
        now: Instant,
        id: ConnId,
        dir: Direction,
        local: Option<SocketAddr>,
        remote: Option<SocketAddr>,
    ) {
        let mut c = Conn::new(id, dir);
        c.local = local;
        c.remote = remote;
        self.conns.push(c);
        // RFC 4271 §8.2.2 (Connect, Event 16/17): "stops the ConnectRetryTimer".
        self.timers.stop(Timer::ConnectRetry);
        match self.cfg.delay_open_time {
            // RFC 4271 §8.2.2 (Connect, Event 16/17): "If the DelayOpen attribute is set to
            // TRUE, the local system: ... sets the DelayOpenTimer to the initial value".
            Some(d) => {
                if let Some(c) = self.conn_mut(id) {
                    c.timers.set_after(Timer::DelayOpen, now, d);
                }
            }
            None => self.send_open(now, id),
        }
    }

    /// Sends our OPEN; "sets the HoldTimer to a large value" and moves to OpenSent.
    fn send_open(&mut self, now: Instant, id: ConnId) {
        let open = Message::Open(self.local_open.clone());
        self.send_message(now, id, &open, &Context::legacy());
        let hold = self.cfg.open_hold_time;
        if let Some(c) = self.conn_mut(id) {
            c.state = ConnState::OpenSent;
            c.timers.stop(Timer::DelayOpen);
            c.timers.set_after(Timer::Hold, now, hold);
        }
    }

    /// Queues octets for `id`; with nothing of `id` waiting before, this output starts the
    /// SendHoldTimer of an Established connection (see [`Session::handle_write_progress`]).
    fn transmit(&mut self, now: Instant, id: ConnId, bytes: Bytes) {
        self.transmits.push_back(Transmit { conn: id, bytes });
        let cfg = &self.cfg;
        if let Some(c) = self.conns.iter_mut().find(|c| c.id == id) {
            if !c.unwritten {
                c.unwritten = true;
                if let Some(d) = c.send_hold_time(cfg) {
                    c.timers.set_after(Timer::SendHold, now, d);
                }
            }
        }
    }

    fn send_message(&mut self, now: Instant, id: ConnId, msg: &Message, ctx: &Context) {
        let mut buf = BytesMut::new();
        msg.encode(ctx, &mut buf);
        self.transmit(now, id, buf.freeze());
    }

    fn send_notification(&mut self, now: Instant, id: ConnId, n: &Notification) {
        self.send_message(now, id, &Message::Notification(n.clone()), &Context::legacy());
    }

    fn send_keepalive(&mut self, now: Instant, id: ConnId) {
        self.send_message(now, id, &Message::Keepalive, &Context::legacy());
        self.restart_keepalive(now, id);
    }

    /// RFC 4271 §4.4: the KeepaliveTimer restarts whenever a KEEPALIVE or UPDATE is sent.
    fn restart_keepalive(&mut self, now: Instant, id: ConnId) {
        let interval = self.conn(id).and_then(|c| c.negotiated.as_ref()?.keepalive_duration());
        let jittered = interval.map(|d| crate::rng::jitter(&mut self.rng, d));
        if let Some(c) = self.conn_mut(id) {
            match jittered {
                Some(d) => c.timers.set_after(Timer::Keepalive, now, d),
                None => c.timers.stop(Timer::Keepalive),
            }
        }
    }

    /// Restarts the HoldTimer with the negotiated hold time (RFC 4271 §6.5); a hold time of
    /// zero stops it.
    fn restart_hold(&mut self, now: Instant, id: ConnId) {
        if let Some(c) = self.conn_mut(id) {
            match c.negotiated.as_ref().and_then(|n| n.hold_duration()) {
                Some(d) => c.timers.set_after(Timer::Hold, now, d),
                None => c.timers.stop(Timer::Hold),
            }
        }
    }

    /// Closes a connection and forgets it.
    fn drop_conn(&mut self, id: ConnId) {
        if let Some(i) = self.conns.iter().position(|c| c.id == id) {
            self.conns.remove(i);
            self.actions.push_back(Action::Close { conn: id });
        }
    }

    /// Per-connection timers: DelayOpen (Event 12), Hold (Event 10), SendHold (Event 29,
    /// RFC 9687), Keepalive (Event 11).
    fn conn_timeouts(&mut self, now: Instant, id: ConnId) {
        let Some(c) = self.conn_mut(id) else {
            return;
        };
        let delay_open = c.timers.expire(Timer::DelayOpen, now);
        let hold = c.timers.expire(Timer::Hold, now);
        let send_hold = c.timers.expire(Timer::SendHold, now) && c.unwritten;
        let keepalive = c.timers.expire(Timer::Keepalive, now);
        let state = c.state;
        if delay_open && state == ConnState::Connected {
            self.fsm_event(FsmEvent::DelayOpenTimerExpires);
            self.send_open(now, id);
        }
        if hold {
            // RFC 4271 §6.5: "If a system does not receive successive KEEPALIVE, UPDATE, and/or
            // NOTIFICATION messages within the period specified in the Hold Time field of the
            // OPEN message, then the NOTIFICATION message with the Hold Timer Expired Error Code
            // is sent and the BGP connection is closed."
            self.fsm_event(FsmEvent::HoldTimerExpires);
            let n = Notification::new(ErrorCode::HOLD_TIMER_EXPIRED, 0, Bytes::new());
            self.send_notification(now, id, &n);
            let reason = DownReason::HoldTimerExpired;
            self.conn_failed(now, id, reason, Initiator::Library, Some(n), state);
            return;
        }
        if send_hold && state == ConnState::Established {
            // RFC 9687 §4.3 (Established, Event 29): "(optionally) sends a NOTIFICATION
            // message with the BGP Error Code 'Send Hold Timer Expired' if the local system can
            // determine that doing so will not delay the following actions", then releases
            // all BGP resources, sets the ConnectRetryTimer to zero, drops the TCP connection,
            // increments the ConnectRetryCounter, may damp, and goes to Idle. The NOTIFICATION
            // is queued behind what the peer did not read and the Close follows at once: the
            // driver bounds how long a Close waits for queued writes, so the attempt cannot
            // hold the connection open. The "error message" to log is the Down event.
            self.fsm_event(FsmEvent::SendHoldTimerExpires);
            let n = Notification::new(ErrorCode::SEND_HOLD_TIMER_EXPIRED, 0, Bytes::new());
            self.send_notification(now, id, &n);
            let reason = DownReason::SendHoldTimerExpired;
            self.conn_failed(now, id, reason, Initiator::Library, Some(n), state);
            return;
        }
        if keepalive && state >= ConnState::OpenConfirm {
            self.fsm_event(FsmEvent::KeepaliveTimerExpires);
            self.send_keepalive(now, id);
        }
    }

    /// A connection ends. With another connection still going and this one not Established,
    /// only this one is dropped; otherwise the session leaves the exchange of OPENs or
    /// Established.
    fn conn_failed(
        &mut self,
        now: Instant,
        id: ConnId,
        reason: DownReason,
        initiator: Initiator,
        notification: Option<Notification>,
        state: ConnState,
    ) {
        self.drop_conn(id);
        if state != ConnState::Established && !self.conns.is_empty() {
            return;
        }
        // RFC 4271 §8.2.2 (OpenSent, Event 18): "closes the BGP connection, restarts the
        // ConnectRetryTimer, continues to listen for a connection that may be initiated by
        // the remote BGP peer, and changes its state to Active."
        if reason == DownReason::ConnectionClosed && state <= ConnState::OpenSent {
            self.base = State::Active;
            self.restart_connect_retry(now);
            return;
        }
        self.session_down(now, reason, initiator, notification);
    }

    /// To Idle: closes every connection, increments the ConnectRetryCounter and starts the
    /// IdleHoldTimer (backed off by peer oscillation damping) for the automatic restart.
    fn session_down(
        &mut self,
        now: Instant,
        reason: DownReason,
        initiator: Initiator,
        notification: Option<Notification>,
    ) {
        for id in self.conns.iter().map(|c| c.id).collect::<Vec<_>>() {
            if self.conn(id).is_some_and(|c| c.state >= ConnState::OpenSent) {
                // The other connection of a collision pair: tell the peer why it goes too.
                let n =
                    Notification::new(ErrorCode::CEASE, cease::CONNECTION_REJECTED, Bytes::new());
                self.send_notification(now, id, &n);
            }
            self.drop_conn(id);
        }
        self.connecting = false;
        self.timers.stop(Timer::ConnectRetry);
        self.base = State::Idle;
        self.connect_retry_counter = self.connect_retry_counter.saturating_add(1);
        let hold = self.damping.went_down(now);
        let hold = crate::rng::jitter(&mut self.rng, hold);
        self.timers.set_after(Timer::IdleHold, now, hold);
        self.sync_state();
        self.events.push_back(Event::Down(Down { reason, initiator, notification }));
    }

    /// Sends the NOTIFICATION for `e` and ends the connection.
    fn protocol_error(
        &mut self,
        now: Instant,
        id: ConnId,
        reason: DownReason,
        e: &bgp_wire::Error,
    ) {
        let n = Notification::from_error(e);
        self.notify_and_fail(now, id, reason, n);
    }

    fn notify_and_fail(&mut self, now: Instant, id: ConnId, reason: DownReason, n: Notification) {
        let Some(state) = self.conn(id).map(|c| c.state) else {
            return;
        };
        self.send_notification(now, id, &n);
        self.conn_failed(now, id, reason, Initiator::Library, Some(n), state);
    }

    /// RFC 6608 §4: an unexpected message gets a Finite State Machine Error whose subcode
    /// names the state.
    fn unexpected(&mut self, now: Instant, id: ConnId, t: MessageType) {
        let Some(state) = self.conn(id).map(|c| c.state) else {
            return;
        };
        let subcode = match state {
            ConnState::Connected => fsm::UNSPECIFIED,
            ConnState::OpenSent => fsm::UNEXPECTED_IN_OPENSENT,
            ConnState::OpenConfirm => fsm::UNEXPECTED_IN_OPENCONFIRM,
            ConnState::Established => fsm::UNEXPECTED_IN_ESTABLISHED,
        };
        let n = Notification::new(ErrorCode::FSM, subcode, Bytes::new());
        self.notify_and_fail(now, id, DownReason::UnexpectedMessage(t), n);
    }

    // ----- internals: messages -----

    fn handle_message(&mut self, now: Instant, id: ConnId, msg: Bytes) {
        let Some(c) = self.conn(id) else {
            return;
        };
        let state = c.state;
        let ctx = Arc::clone(&c.rx);
        let t = MessageType(msg.get(18).copied().unwrap_or(0));
        if t == MessageType::UPDATE {
            if state == ConnState::Established {
                self.handle_update(now, id, msg, ctx);
            } else {
                self.unexpected(now, id, t);
            }
            return;
        }
        let decoded = Message::decode(msg, &ctx);
        match decoded {
            Err(e) => {
                self.fsm_event(if t == MessageType::OPEN {
                    FsmEvent::BgpOpenMsgErr
                } else {
                    FsmEvent::BgpHeaderErr
                });
                self.protocol_error(now, id, DownReason::MessageError(e.clone()), &e);
            }
            Ok(Message::Open(open)) => self.handle_open(now, id, open),
            Ok(Message::Keepalive) => self.handle_keepalive(now, id),
            Ok(Message::Notification(n)) => {
                // RFC 4271 §8.2.2 (OpenSent): "If a NOTIFICATION message is received with a
                // version error, the local system ... changes its state to Idle" (Event 24);
                // any other NOTIFICATION (Event 25) likewise ends the connection.
                self.fsm_event(
                    if n.code == ErrorCode::OPEN_MESSAGE
                        && n.subcode == open_codes::UNSUPPORTED_VERSION_NUMBER
                    {
                        FsmEvent::NotifMsgVerErr
                    } else {
                        FsmEvent::NotifMsg
                    },
                );
                let reason = DownReason::NotificationReceived;
                self.conn_failed(now, id, reason, Initiator::Remote, Some(n), state);
            }
            Ok(Message::RouteRefresh(rr)) => {
                if state != ConnState::Established {
                    self.unexpected(now, id, t);
                    return;
                }
                self.restart_hold(now, id);
                // RFC 2918 §4: "If a BGP speaker receives ... a ROUTE-REFRESH message with the
                // <AFI, SAFI> that the speaker didn't advertise ... the speaker shall ignore
                // such a message."
                if self.negotiated().is_some_and(|n| n.has_family(rr.family)) {
                    self.events.push_back(Event::RouteRefresh(rr));
                }
            }
            #[allow(unreachable_patterns)]
            Ok(_) => self.unexpected(now, id, t),
        }
    }

    fn handle_keepalive(&mut self, now: Instant, id: ConnId) {
        let Some(state) = self.conn(id).map(|c| c.state) else {
            return;
        };
        self.fsm_event(FsmEvent::KeepAliveMsg);
        match state {
            ConnState::OpenConfirm => {
                // RFC 4271 §8.2.2 (OpenConfirm, Event 26): "restarts the HoldTimer and changes
                // its state to Established." RFC 9687 §4.3 adds "starts the SendHoldTimer if
                // the SendHoldTime is non-zero": here, if our OPEN or KEEPALIVE still waits
                // to be written.
                self.restart_hold(now, id);
                let cfg = &self.cfg;
                if let Some(c) = self.conns.iter_mut().find(|c| c.id == id) {
                    c.state = ConnState::Established;
                    if let Some(d) = c.send_hold_time(cfg).filter(|_| c.unwritten) {
                        c.timers.set_after(Timer::SendHold, now, d);
                    }
                }
                self.damping.established(now);
                self.sync_state();
                if let Some(n) = self.conn(id).and_then(|c| c.negotiated.clone()) {
                    self.events.push_back(Event::Established(Box::new(n)));
                }
            }
            ConnState::Established => self.restart_hold(now, id),
            ConnState::Connected | ConnState::OpenSent => {
                self.unexpected(now, id, MessageType::KEEPALIVE)
            }
        }
    }

    fn handle_open(&mut self, now: Instant, id: ConnId, open: Open) {
        let Some(state) = self.conn(id).map(|c| c.state) else {
            return;
        };
        let delay_open_running = state == ConnState::Connected
            && self.conn(id).is_some_and(|c| c.timers.is_running(Timer::DelayOpen));
        if !(state == ConnState::OpenSent || delay_open_running) {
            self.unexpected(now, id, MessageType::OPEN);
            return;
        }
        self.fsm_event(if delay_open_running {
            FsmEvent::BgpOpenWithDelayOpenTimerRunning
        } else {
            FsmEvent::BgpOpen
        });
        if let Err(n) = self.check_open(&open) {
            self.fsm_event(FsmEvent::BgpOpenMsgErr);
            self.notify_and_fail(now, id, DownReason::OpenRejected, n);
            return;
        }
        if !self.resolve_collision(now, id, open.bgp_id) {
            return;
        }
        let negotiated = negotiate::negotiate(&self.cfg, &self.local_open, &open);
        if delay_open_running {
            // RFC 4271 §8.2.2 (Active, Event 20): "sends an OPEN message, sends a KEEPALIVE
            // message, ... changes its state to OpenConfirm."
            self.send_open(now, id);
        }
        if let Some(c) = self.conn_mut(id) {
            c.rx = Arc::new(negotiated.rx.clone());
            c.families = Arc::from(negotiated.families.as_slice());
            c.negotiated = Some(negotiated);
            c.state = ConnState::OpenConfirm;
        }
        // RFC 4271 §8.2.2 (OpenSent, Event 19): "sends a KEEPALIVE message, sets a
        // KeepaliveTimer ..., sets the HoldTimer according to the negotiated value".
        self.send_keepalive(now, id);
        self.restart_hold(now, id);
    }

    /// The checks of RFC 4271 §6.2 that need our configuration (the codec did the rest).
    fn check_open(&self, open: &Open) -> Result<(), Notification> {
        let asn = open.asn();
        if !self.cfg.peer_as.accepts(self.cfg.local_as, asn) {
            // "If the Autonomous System field of the OPEN message is unacceptable, then the
            // Error Subcode MUST be set to Bad Peer AS."
            return Err(Notification::new(
                ErrorCode::OPEN_MESSAGE,
                open_codes::BAD_PEER_AS,
                Bytes::new(),
            ));
        }
        // RFC 6286 §2.2: "If the BGP Identifier field of the OPEN message is zero, or if it is
        // the same as the BGP Identifier of the local BGP speaker and the message is from an
        // internal peer, then the Error Subcode is set to 'Bad BGP Identifier'." (Zero is
        // rejected by the codec.)
        if self.cfg.is_internal(asn) && open.bgp_id == self.cfg.router_id {
            return Err(Notification::new(
                ErrorCode::OPEN_MESSAGE,
                open_codes::BAD_BGP_IDENTIFIER,
                Bytes::new(),
            ));
        }
        // RFC 4271 §6.2: "An implementation MAY reject connections on the basis of the Hold
        // Time." A peer offering less than our minimum (or zero, no liveness check at all)
        // gets "Unacceptable Hold Time".
        if self.cfg.min_hold_time.is_some_and(|min| open.hold_time < min) {
            return Err(Notification::new(
                ErrorCode::OPEN_MESSAGE,
                open_codes::UNACCEPTABLE_HOLD_TIME,
                Bytes::new(),
            ));
        }
        Ok(())
    }

    /// RFC 4271 §6.8 on receipt of a valid OPEN on `id`. Returns whether `id` survives.
    fn resolve_collision(&mut self, now: Instant, id: ConnId, peer_id: std::net::Ipv4Addr) -> bool {
        let Some(dir) = self.conn(id).map(|c| c.dir) else {
            return false;
        };
        let others: Vec<(ConnId, ConnState, Option<std::net::Ipv4Addr>)> = self
            .conns
            .iter()
            .filter(|c| c.id != id)
            .map(|c| (c.id, c.state, c.negotiated.as_ref().map(|n| n.peer_id)))
            .collect();
        for (other, state, other_peer) in others {
            let (loser, subcode) = match state {
                // "a connection collision with an existing BGP connection that is in the
                // Established state causes closing of the newly created connection."
                ConnState::Established => (id, cease::CONNECTION_COLLISION_RESOLUTION),
                // A collision is between connections to the same speaker: "a connection to
                // a remote BGP speaker whose BGP Identifier equals the one in the OPEN
                // message". An OPEN from another speaker while one is in OpenConfirm is
                // refused: the session keeps the speaker it is talking to.
                ConnState::OpenConfirm if other_peer != Some(peer_id) => {
                    (id, cease::CONNECTION_REJECTED)
                }
                // "the local system MUST examine all of its connections that are in the
                // OpenConfirm state".
                ConnState::OpenConfirm => {
                    let loser = if collision::loser(self.cfg.router_id, peer_id) == dir {
                        id
                    } else {
                        other
                    };
                    (loser, cease::CONNECTION_COLLISION_RESOLUTION)
                }
                ConnState::Connected | ConnState::OpenSent => continue,
            };
            self.fsm_event(FsmEvent::OpenCollisionDump);
            let Some(state) = self.conn(loser).map(|c| c.state) else {
                continue;
            };
            let n = Notification::new(ErrorCode::CEASE, subcode, Bytes::new());
            self.send_notification(now, loser, &n);
            let reason = if subcode == cease::CONNECTION_REJECTED {
                DownReason::OpenRejected
            } else {
                DownReason::CollisionResolution
            };
            self.conn_failed(now, loser, reason, Initiator::Library, Some(n), state);
            if loser == id {
                return false;
            }
        }
        true
    }

    // ----- internals: router advertisements -----

    fn send_ra(&mut self, now: Instant) {
        let Neighbor::Interface { ifindex, .. } = self.cfg.neighbor else {
            return;
        };
        let mut options = Vec::new();
        if let Some(lla) = &self.cfg.ra.source_link_layer_address {
            options.push(RaOption::SourceLinkLayerAddress(Bytes::copy_from_slice(lla)));
        }
        if let Some(mtu) = self.cfg.ra.mtu {
            options.push(RaOption::Mtu(mtu));
        }
        let ra = RouterAdvertisement {
            cur_hop_limit: self.cfg.ra.cur_hop_limit,
            flags: 0,
            router_lifetime: self.cfg.ra.router_lifetime,
            reachable_time: 0,
            retrans_timer: 0,
            options,
        };
        self.actions.push_back(Action::SendRa { ifindex, bytes: ra.encode() });
        self.timers.set_after(Timer::RouterAdvertisement, now, self.cfg.ra.interval);
    }
}

/// An IPv4-mapped IPv6 address as IPv4, so a dual-stack listener matches an IPv4 neighbour.
fn canonical(a: IpAddr) -> IpAddr {
    match a {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(a, IpAddr::V4),
        v4 => v4,
    }
}
