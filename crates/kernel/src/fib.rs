//! The forwarding table we keep in the kernel, as a sans-IO state machine: what to add,
//! replace and delete given what the kernel has and what the RIB wants, packed into
//! datagrams of many requests, and the kernel's answers.
//!
//! ## Call order
//!
//! 1. At start, dump the kernel's routes of our protocol in our table and hand them to
//!    [`Fib::handle_kernel_routes`] (also later, to resynchronise).
//! 2. Inputs: [`Fib::handle_change`] for every [`FibChange`] of `rib`'s diff stream, or
//!    [`Fib::handle_table`] with a whole table; [`Fib::handle_reconverged`] when graceful
//!    restart is over; [`Fib::handle_stop`] on a clean stop.
//! 3. Output: [`Fib::poll_transmit`] fills a buffer with one datagram of requests; send it,
//!    read datagrams and give each to [`Fib::handle_datagram`] until
//!    [`Fib::awaiting_ack`] is false; repeat until `poll_transmit` has nothing. The kernel
//!    handles the requests of a datagram one after the other during the `sendmsg` call, so
//!    their answers are waiting by the time it returns: one datagram of hundreds of routes
//!    costs two system calls, not one round trip per route.
//! 4. [`Fib::poll_event`] for requests the kernel refused.
//!
//! Only the last request of a datagram asks for an acknowledgement (`NLM_F_ACK`); the
//! kernel answers the others only when they fail, and its answer to the last says that all
//! before it were handled. If the socket lost answers (`ENOBUFS`),
//! [`Fib::handle_answers_lost`] puts the datagram's changes back and asks for a resync
//! ([`Fib::needs_resync`]).

use std::collections::VecDeque;

use hashbrown::HashMap;
use ipnet::IpNet;
use netlink_packet_route::RouteNetlinkMessage;
use rib::{FibChange, FibRoute, Protocol};

use crate::config::FibConfig;
use crate::decode::{frames, Frame};
use crate::encode;

type Map<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// `ENOENT`: no such route.
const ENOENT: i32 = 2;
/// `ESRCH`: no such route (IPv4 delete).
const ESRCH: i32 = 3;

/// What a request did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// Install a route for a prefix that had none of ours.
    Add,
    /// Replace our route to a prefix.
    Replace,
    /// Remove our route to a prefix.
    Delete,
}

/// Something to tell the application.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FibEvent {
    /// The kernel refused a request; the route stays as it was.
    Refused {
        /// The route's prefix.
        prefix: IpNet,
        /// What was asked.
        op: Op,
        /// The errno, positive (`EEXIST` is 17).
        errno: i32,
        /// The kernel's extended acknowledgement text, when it gave one.
        message: Option<String>,
    },
}

/// Counters since the start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FibStats {
    /// Requests sent.
    pub requests: u64,
    /// Datagrams sent.
    pub datagrams: u64,
    /// Requests the kernel refused.
    pub refused: u64,
    /// Changes that needed no request, the kernel already having the route.
    pub unchanged: u64,
    /// Routes of ours found in the kernel that nothing wanted, removed.
    pub stale_removed: u64,
}

/// Our route as installed in the kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Installed {
    route: FibRoute,
    /// Found in the kernel at start (or a resync) and not yet wanted by the RIB.
    stale: bool,
}

/// One request of the datagram in flight.
#[derive(Debug)]
struct Sent {
    prefix: IpNet,
    /// The route asked for; `None` for a delete.
    route: Option<FibRoute>,
    op: Op,
    refused: bool,
}

#[derive(Debug)]
struct InFlight {
    first_seq: u32,
    last_seq: u32,
    sent: Vec<Sent>,
}

/// One datagram ready to send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// Requests in it.
    pub requests: usize,
    /// Its length in bytes.
    pub bytes: usize,
}

/// The forwarding routes we own in the kernel, and the changes still to make. See the
/// module documentation for the call order.
#[derive(Debug)]
pub struct Fib {
    cfg: FibConfig,
    installed: Map<IpNet, Installed>,
    /// Wanted state of prefixes with a change not yet sent: `Some` route, or `None` for none.
    pending: Map<IpNet, Option<FibRoute>>,
    /// Prefixes of `pending`, in the order they first changed.
    queue: VecDeque<IpNet>,
    /// Routes the RIB wants that the kernel refused (a next hop through a link that is
    /// down: `ENETUNREACH`), tried again at the next resync.
    refused: Map<IpNet, FibRoute>,
    in_flight: Option<InFlight>,
    next_seq: u32,
    /// Graceful restart is on and the protocols have not reconverged yet: stale routes stay.
    holding: bool,
    resync: bool,
    events: VecDeque<FibEvent>,
    stats: FibStats,
}

impl Fib {
    /// An adapter that knows of no route in the kernel yet.
    #[must_use]
    pub fn new(cfg: FibConfig) -> Fib {
        let holding = cfg.graceful_restart;
        Fib {
            cfg,
            installed: Map::default(),
            pending: Map::default(),
            queue: VecDeque::new(),
            refused: Map::default(),
            in_flight: None,
            next_seq: 1,
            holding,
            resync: false,
            events: VecDeque::new(),
            stats: FibStats::default(),
        }
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &FibConfig {
        &self.cfg
    }

    /// The kernel's routes of our protocol in our table (a dump, converted with
    /// [`KernelRoute::to_fib_route`](crate::KernelRoute::to_fib_route)), taken as the
    /// truth about what is installed:
    ///
    /// - a route we did not know of is stale: removed, unless graceful restart holds it
    ///   until [`Fib::handle_reconverged`] (or the RIB wants that prefix);
    /// - a route of ours that is missing or differs is put back as we had it;
    /// - a route the kernel refused earlier is asked for again.
    pub fn handle_kernel_routes(&mut self, routes: impl IntoIterator<Item = FibRoute>) {
        // Routes move from the old map, none is copied: after a link flap under a full
        // table every one of them is lost and goes to `pending`, and a million copies
        // made at once only grow the heap.
        let mut old = std::mem::take(&mut self.installed);
        let mut seen: Map<IpNet, Installed> = Map::default();
        for r in routes {
            let prefix = r.prefix;
            if seen.contains_key(&prefix) {
                continue;
            }
            let known = old.remove(&prefix);
            let entry = match known {
                Some(i) if same(&i.route, &r) => i,
                Some(i) => {
                    if !i.stale {
                        self.want_if_idle(prefix, Some(i.route));
                    }
                    Installed { route: r, stale: i.stale }
                }
                None => {
                    if !self.holding {
                        self.want_if_idle(prefix, None);
                    }
                    Installed { route: r, stale: true }
                }
            };
            seen.insert(prefix, entry);
        }
        // What is left of the old map is lost: put back what is ours to keep.
        for (prefix, i) in old.drain() {
            if !i.stale {
                self.want_if_idle(prefix, Some(i.route));
            }
        }
        // What the kernel refused is tried again: the link its next hop needed may be back
        // (the kernel drops IPv4 routes through a link that goes down, and refuses to put
        // them back until it is up).
        for (prefix, route) in std::mem::take(&mut self.refused) {
            self.want_if_idle(prefix, Some(route));
        }
        self.installed = seen;
        self.resync = false;
    }

    /// One change of the RIB's forwarding table. A route the kernel itself holds (a
    /// connected or kernel route that won the prefix) is not ours to install: ours for
    /// the prefix, if any, goes.
    pub fn handle_change(&mut self, change: &FibChange) {
        match change {
            FibChange::Add(r) | FibChange::Replace(r) if owned_by_kernel(r) => {
                self.want(r.prefix, None);
            }
            FibChange::Add(r) | FibChange::Replace(r) => self.want(r.prefix, Some(r.clone())),
            FibChange::Delete(r) => self.want(r.prefix, None),
        }
    }

    /// The whole table the RIB wants (`Rib::fib`): what differs is replaced, what is not
    /// in it is removed (stale routes included: the table is complete).
    pub fn handle_table(&mut self, routes: impl IntoIterator<Item = FibRoute>) {
        let mut wanted: Map<IpNet, ()> = Map::default();
        for r in routes.into_iter().filter(|r| !owned_by_kernel(r)) {
            wanted.insert(r.prefix, ());
            self.want(r.prefix, Some(r));
        }
        let gone: Vec<IpNet> =
            self.installed.keys().filter(|p| !wanted.contains_key(*p)).copied().collect();
        for p in gone {
            self.want(p, None);
        }
        let unsent: Vec<IpNet> = self
            .pending
            .iter()
            .filter(|(p, w)| w.is_some() && !wanted.contains_key(*p))
            .map(|(p, _)| *p)
            .collect();
        for p in unsent {
            self.want(p, None);
        }
        self.refused.retain(|p, _| wanted.contains_key(p));
    }

    /// The protocols have reconverged after a restart: stale routes that the RIB has not
    /// asked for since are removed.
    pub fn handle_reconverged(&mut self) {
        self.holding = false;
        let stale: Vec<IpNet> = self
            .installed
            .iter()
            .filter(|(p, i)| i.stale && !self.pending.contains_key(*p))
            .map(|(p, _)| *p)
            .collect();
        for p in stale {
            self.want(p, None);
        }
    }

    /// A clean stop: every route of ours is removed, or, with graceful restart, left in
    /// place for the next start (unsent changes are dropped then).
    pub fn handle_stop(&mut self) {
        self.refused.clear();
        if self.cfg.graceful_restart {
            self.pending.clear();
            self.queue.clear();
            return;
        }
        let all: Vec<IpNet> = self.installed.keys().chain(self.pending.keys()).copied().collect();
        for p in all {
            self.want(p, None);
        }
    }

    /// Gives back the memory of `pending` and `queue` once drained, when a table's worth
    /// of changes made them large: they hold nothing until the next burst.
    fn release_drained(&mut self) {
        const KEEP: usize = 4096;
        if self.pending.is_empty() && self.pending.capacity() > KEEP {
            self.pending = Map::default();
        }
        if self.queue.capacity() > KEEP {
            self.queue = VecDeque::new();
        }
    }

    fn want(&mut self, prefix: IpNet, route: Option<FibRoute>) {
        self.refused.remove(&prefix);
        if self.pending.insert(prefix, route).is_none() {
            self.queue.push_back(prefix);
        }
    }

    /// Like [`Fib::want`] unless the prefix already has a change waiting, which wins.
    fn want_if_idle(&mut self, prefix: IpNet, route: Option<FibRoute>) {
        if !self.pending.contains_key(&prefix) && !self.is_in_flight(prefix) {
            self.want(prefix, route);
        }
    }

    fn is_in_flight(&self, prefix: IpNet) -> bool {
        self.in_flight.as_ref().is_some_and(|f| f.sent.iter().any(|s| s.prefix == prefix))
    }

    /// Fills `buf` (cleared first) with the next datagram of requests; `None` when there
    /// is nothing to send or the last datagram's answers are still awaited.
    #[must_use]
    pub fn poll_transmit(&mut self, buf: &mut Vec<u8>) -> Option<Transmit> {
        buf.clear();
        if self.in_flight.is_some() {
            return None;
        }
        // A datagram's sequence numbers never wrap inside it (0 is never used).
        if self.next_seq
            > u32::MAX - u32::try_from(self.cfg.batch_max.max(1)).unwrap_or(u32::MAX / 2)
        {
            self.next_seq = 1;
        }
        let first_seq = self.next_seq;
        let mut sent = Vec::new();
        let mut last_start = 0;
        while sent.len() < self.cfg.batch_max.max(1) && buf.len() < self.cfg.batch_bytes {
            let Some(prefix) = self.queue.pop_front() else { break };
            let Some(route) = self.pending.remove(&prefix) else { continue };
            let installed = self.installed.get_mut(&prefix);
            let (op, message, flags) = match (route.as_ref(), installed) {
                (Some(r), Some(i)) if same(r, &i.route) => {
                    i.route = r.clone();
                    i.stale = false;
                    self.stats.unchanged += 1;
                    continue;
                }
                (Some(r), i) => {
                    let op = if i.is_some() { Op::Replace } else { Op::Add };
                    (
                        op,
                        RouteNetlinkMessage::NewRoute(encode::new_route(&self.cfg, r)),
                        encode::CHANGE,
                    )
                }
                (None, Some(_)) => (
                    Op::Delete,
                    RouteNetlinkMessage::DelRoute(encode::del_route(&self.cfg, prefix)),
                    encode::DELETE,
                ),
                (None, None) => continue,
            };
            let seq = self.next_seq;
            self.next_seq += 1;
            last_start = encode::push(buf, message, flags, seq);
            sent.push(Sent { prefix, route, op, refused: false });
        }
        if self.queue.is_empty() {
            self.release_drained();
        }
        if sent.is_empty() {
            return None;
        }
        encode::add_flags(buf, last_start, encode::ACK);
        let last_seq = self.next_seq - 1;
        let requests = sent.len();
        self.stats.requests += requests as u64;
        self.stats.datagrams += 1;
        self.in_flight = Some(InFlight { first_seq, last_seq, sent });
        Some(Transmit { requests, bytes: buf.len() })
    }

    /// The sequence number of the last request sent (the one that asks for an
    /// acknowledgement).
    #[must_use]
    pub fn last_seq(&self) -> u32 {
        self.next_seq.wrapping_sub(1).max(1)
    }

    /// Whether a datagram's answers are awaited.
    #[must_use]
    pub fn awaiting_ack(&self) -> bool {
        self.in_flight.is_some()
    }

    /// A datagram from the socket: acknowledgements and errors of our requests (anything
    /// else is ignored).
    pub fn handle_datagram(&mut self, datagram: &[u8]) {
        for f in frames(datagram) {
            if let Frame::Ack(a) = f {
                self.handle_ack(a.seq, a.code, a.message);
            }
        }
    }

    /// The kernel's answer to request `seq`: `code` 0 or a negative errno.
    pub fn handle_ack(&mut self, seq: u32, code: i32, message: Option<String>) {
        let Some(f) = self.in_flight.as_mut() else { return };
        let index = seq.wrapping_sub(f.first_seq) as usize;
        let last = seq == f.last_seq;
        if let Some(s) = f.sent.get_mut(index) {
            if code != 0 && !s.refused {
                s.refused = true;
                let errno = code.saturating_neg();
                let gone = s.op == Op::Delete && (errno == ENOENT || errno == ESRCH);
                if gone {
                    // Already gone: what we wanted.
                    s.refused = false;
                } else {
                    self.stats.refused += 1;
                    self.events.push_back(FibEvent::Refused {
                        prefix: s.prefix,
                        op: s.op,
                        errno,
                        message,
                    });
                }
            }
        }
        if last {
            if let Some(f) = self.in_flight.take() {
                for s in f.sent {
                    if s.refused {
                        // Unless a newer change for the prefix is already waiting.
                        if let Some(route) =
                            s.route.filter(|_| !self.pending.contains_key(&s.prefix))
                        {
                            self.refused.insert(s.prefix, route);
                        }
                        continue;
                    }
                    match s.route {
                        Some(route) => {
                            self.installed.insert(s.prefix, Installed { route, stale: false });
                        }
                        None => {
                            if self.installed.remove(&s.prefix).is_some_and(|i| i.stale) {
                                self.stats.stale_removed += 1;
                            }
                        }
                    }
                }
            }
        }
    }

    /// The socket lost answers (`ENOBUFS`): what the datagram in flight did is unknown.
    /// Its changes are wanted again (unless newer ones are waiting) and a resync is due.
    pub fn handle_answers_lost(&mut self) {
        if let Some(f) = self.in_flight.take() {
            for s in f.sent {
                if !self.pending.contains_key(&s.prefix) {
                    self.want(s.prefix, s.route);
                }
            }
        }
        self.resync = true;
    }

    /// Whether the kernel's routes should be dumped again and given to
    /// [`Fib::handle_kernel_routes`].
    #[must_use]
    pub fn needs_resync(&self) -> bool {
        self.resync
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<FibEvent> {
        self.events.pop_front()
    }

    /// Prefixes with a change not sent yet.
    #[must_use]
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Whether there is nothing to send and nothing awaited.
    #[must_use]
    pub fn is_idle(&self) -> bool {
        self.pending.is_empty() && self.in_flight.is_none()
    }

    /// Our route to `prefix` as installed, if any.
    #[must_use]
    pub fn installed(&self, prefix: IpNet) -> Option<&FibRoute> {
        self.installed.get(&prefix).map(|i| &i.route)
    }

    /// Number of our routes installed (stale ones included).
    #[must_use]
    pub fn len(&self) -> usize {
        self.installed.len()
    }

    /// Whether none of our routes is installed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.installed.is_empty()
    }

    /// Routes of ours found in the kernel and kept for graceful restart, not yet wanted.
    #[must_use]
    pub fn stale(&self) -> usize {
        self.installed.values().filter(|i| i.stale).count()
    }

    /// Counters.
    #[must_use]
    pub fn stats(&self) -> FibStats {
        self.stats
    }
}

/// Whether the kernel's route `have` forwards as `want` asks: same kind and next hops,
/// a next hop without an interface matching the interface the kernel resolved for it (the
/// protocol is not compared: the kernel knows only ours).
#[must_use]
pub fn same(want: &FibRoute, have: &FibRoute) -> bool {
    if want.kind != have.kind {
        return false;
    }
    if want.kind != rib::RouteKind::Unicast {
        return true;
    }
    want.next_hops.len() == have.next_hops.len()
        && want
            .next_hops
            .iter()
            .zip(have.next_hops.iter())
            .all(|(w, h)| w.addr == h.addr && (w.ifindex.is_none() || w.ifindex == h.ifindex))
}

/// Routes that the kernel has already, because they came from it: `redistribute
/// connected` and `redistribute kernel` feed the RIB with them, and the RIB reports them
/// when they win a prefix.
fn owned_by_kernel(r: &FibRoute) -> bool {
    matches!(r.protocol, Protocol::Connected | Protocol::Kernel)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::KernelRoute;
    use rib::{NextHop, RouteKind};
    use std::net::IpAddr;

    fn net(s: &str) -> IpNet {
        s.parse().unwrap_or_else(|_| unreachable!())
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|_| unreachable!())
    }

    fn route(prefix: &str, gw: &str) -> FibRoute {
        FibRoute {
            prefix: net(prefix),
            protocol: Protocol::Bgp,
            kind: RouteKind::Unicast,
            next_hops: vec![NextHop::via(ip(gw), 2)].into(),
        }
    }

    /// What a datagram asks, decoded: (op, prefix, ack requested).
    fn requests(buf: &[u8]) -> Vec<(Op, IpNet, bool)> {
        let mut out = Vec::new();
        let mut rest = buf;
        while rest.len() >= 16 {
            let len = u32::from_ne_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
            let flags = u16::from_ne_bytes([rest[6], rest[7]]);
            for f in frames(&rest[..len]) {
                if let Frame::Message { message, .. } = f {
                    let (op, m) = match *message {
                        RouteNetlinkMessage::NewRoute(m) => (
                            if flags & encode::CHANGE == encode::CHANGE {
                                Op::Replace
                            } else {
                                Op::Add
                            },
                            m,
                        ),
                        RouteNetlinkMessage::DelRoute(m) => (Op::Delete, m),
                        _ => continue,
                    };
                    let k = KernelRoute::from_message(&m).unwrap_or_else(|| unreachable!());
                    out.push((op, k.prefix, flags & encode::ACK != 0));
                }
            }
            rest = &rest[(len + 3) & !3..];
        }
        out
    }

    /// Sends everything, the kernel accepting all but `refuse` (seq → errno); returns the
    /// requests made.
    fn drain(fib: &mut Fib, refuse: &[(IpNet, i32)]) -> Vec<(Op, IpNet, bool)> {
        let mut all = Vec::new();
        let mut buf = Vec::new();
        while let Some(t) = fib.poll_transmit(&mut buf) {
            let reqs = requests(&buf);
            assert_eq!(reqs.len(), t.requests);
            let first = fib.in_flight.as_ref().map_or(0, |f| f.first_seq);
            for (i, (_, p, ack)) in reqs.iter().enumerate() {
                let seq = first + i as u32;
                if let Some((_, e)) = refuse.iter().find(|(q, _)| q == p) {
                    fib.handle_ack(seq, -e, Some("no".into()));
                }
                if *ack {
                    fib.handle_ack(seq, 0, None);
                }
            }
            assert!(!fib.awaiting_ack());
            all.extend(reqs);
        }
        all
    }

    fn cfg() -> FibConfig {
        FibConfig { batch_max: 3, ..FibConfig::default() }
    }

    #[test]
    fn changes_are_batched_with_one_ack_per_datagram() {
        let mut fib = Fib::new(cfg());
        for i in 0..7 {
            fib.handle_change(&FibChange::Add(route(&format!("10.0.{i}.0/24"), "192.0.2.1")));
        }
        let reqs = drain(&mut fib, &[]);
        assert_eq!(reqs.len(), 7);
        let acks: Vec<bool> = reqs.iter().map(|r| r.2).collect();
        assert_eq!(acks, [false, false, true, false, false, true, true]);
        assert_eq!(fib.len(), 7);
        assert_eq!(fib.stats().datagrams, 3);
    }

    #[test]
    fn queues_are_given_back_once_a_burst_is_drained() {
        let mut fib = Fib::new(FibConfig::default());
        for i in 0..20_000u32 {
            let p = format!("10.{}.{}.0/24", i >> 8, i & 255);
            fib.handle_change(&FibChange::Add(route(&p, "192.0.2.1")));
        }
        assert!(fib.pending.capacity() >= 20_000 && fib.queue.capacity() >= 20_000);
        assert_eq!(drain(&mut fib, &[]).len(), 20_000);
        assert_eq!(fib.len(), 20_000);
        assert!(fib.pending.capacity() <= 4096, "{}", fib.pending.capacity());
        assert!(fib.queue.capacity() <= 4096, "{}", fib.queue.capacity());
        // A link flap: every route lost, put back, moved rather than copied.
        fib.handle_kernel_routes(std::iter::empty());
        assert_eq!(drain(&mut fib, &[]).len(), 20_000);
        assert_eq!(fib.len(), 20_000);
    }

    #[test]
    fn changes_to_one_prefix_coalesce() {
        let mut fib = Fib::new(cfg());
        fib.handle_change(&FibChange::Add(route("10.0.0.0/24", "192.0.2.1")));
        fib.handle_change(&FibChange::Replace(route("10.0.0.0/24", "192.0.2.2")));
        let reqs = drain(&mut fib, &[]);
        assert_eq!(reqs.len(), 1);
        assert_eq!(fib.installed(net("10.0.0.0/24")), Some(&route("10.0.0.0/24", "192.0.2.2")));
        // Added then deleted before being sent: nothing to do.
        fib.handle_change(&FibChange::Add(route("10.0.1.0/24", "192.0.2.1")));
        fib.handle_change(&FibChange::Delete(route("10.0.1.0/24", "192.0.2.1")));
        assert!(drain(&mut fib, &[]).is_empty());
        // The same route again: no request.
        fib.handle_change(&FibChange::Replace(route("10.0.0.0/24", "192.0.2.2")));
        assert!(drain(&mut fib, &[]).is_empty());
        assert_eq!(fib.stats().unchanged, 1);
    }

    #[test]
    fn routes_the_kernel_owns_are_not_installed_and_take_ours_away() {
        let mut fib = Fib::new(cfg());
        fib.handle_change(&FibChange::Add(route("10.0.0.0/24", "192.0.2.1")));
        drain(&mut fib, &[]);
        // A connected route wins the prefix: it is the kernel's already, ours goes.
        let mut connected = route("10.0.0.0/24", "192.0.2.1");
        connected.protocol = Protocol::Connected;
        fib.handle_change(&FibChange::Replace(connected.clone()));
        assert_eq!(drain(&mut fib, &[]), [(Op::Delete, net("10.0.0.0/24"), true)]);
        let mut kernel = route("10.1.0.0/24", "192.0.2.1");
        kernel.protocol = Protocol::Kernel;
        fib.handle_change(&FibChange::Add(kernel.clone()));
        fib.handle_table([connected, kernel]);
        assert!(drain(&mut fib, &[]).is_empty());
        assert_eq!(fib.len(), 0);
    }

    #[test]
    fn a_refused_request_is_reported_and_the_rest_installed() {
        let mut fib = Fib::new(cfg());
        for i in 0..3 {
            fib.handle_change(&FibChange::Add(route(&format!("10.0.{i}.0/24"), "192.0.2.1")));
        }
        drain(&mut fib, &[(net("10.0.1.0/24"), 101)]);
        assert_eq!(fib.len(), 2);
        assert!(fib.installed(net("10.0.1.0/24")).is_none());
        assert_eq!(
            fib.poll_event(),
            Some(FibEvent::Refused {
                prefix: net("10.0.1.0/24"),
                op: Op::Add,
                errno: 101,
                message: Some("no".into())
            })
        );
        assert_eq!(fib.poll_event(), None);
        // Deleting what is already gone is no error.
        fib.handle_change(&FibChange::Delete(route("10.0.0.0/24", "192.0.2.1")));
        drain(&mut fib, &[(net("10.0.0.0/24"), ESRCH)]);
        assert_eq!(fib.poll_event(), None);
        assert!(fib.installed(net("10.0.0.0/24")).is_none());
    }

    /// A link goes down: the kernel drops our routes through it and refuses them back
    /// (`ENETUNREACH`) until the link is up again; the next resync asks again.
    #[test]
    fn a_refused_route_is_asked_for_again_at_the_next_resync() {
        let mut fib = Fib::new(cfg());
        fib.handle_change(&FibChange::Add(route("10.0.0.0/24", "192.0.2.1")));
        fib.handle_change(&FibChange::Add(route("10.0.1.0/24", "192.0.2.9")));
        drain(&mut fib, &[]);
        // Link down: a resync finds both gone and the kernel refuses them.
        fib.handle_kernel_routes([]);
        let reqs = drain(&mut fib, &[(net("10.0.0.0/24"), 101), (net("10.0.1.0/24"), 101)]);
        assert_eq!(reqs.len(), 2);
        assert_eq!(fib.len(), 0);
        // Link up: the next resync puts them back.
        fib.handle_kernel_routes([]);
        let mut asked: Vec<IpNet> = drain(&mut fib, &[]).iter().map(|r| r.1).collect();
        asked.sort();
        assert_eq!(asked, [net("10.0.0.0/24"), net("10.0.1.0/24")]);
        assert_eq!(fib.len(), 2);
        assert_eq!(fib.installed(net("10.0.1.0/24")), Some(&route("10.0.1.0/24", "192.0.2.9")));
        // A refused route the RIB no longer wants is not asked for again.
        fib.handle_kernel_routes([]);
        drain(&mut fib, &[(net("10.0.0.0/24"), 101), (net("10.0.1.0/24"), 101)]);
        fib.handle_change(&FibChange::Delete(route("10.0.1.0/24", "192.0.2.9")));
        assert!(drain(&mut fib, &[]).is_empty());
        fib.handle_kernel_routes([]);
        let asked: Vec<IpNet> = drain(&mut fib, &[]).iter().map(|r| r.1).collect();
        assert_eq!(asked, [net("10.0.0.0/24")]);
    }

    #[test]
    fn stale_routes_are_removed_at_start_without_graceful_restart() {
        let mut fib = Fib::new(cfg());
        fib.handle_kernel_routes([
            route("10.0.0.0/24", "192.0.2.1"),
            route("10.0.1.0/24", "192.0.2.1"),
        ]);
        fib.handle_change(&FibChange::Add(route("10.0.0.0/24", "192.0.2.1")));
        let reqs = drain(&mut fib, &[]);
        assert_eq!(
            reqs.iter().map(|r| (r.0, r.1)).collect::<Vec<_>>(),
            [(Op::Delete, net("10.0.1.0/24"))]
        );
        assert_eq!(fib.len(), 1);
        assert_eq!(fib.stale(), 0);
        assert_eq!(fib.stats().stale_removed, 1);
        assert_eq!(fib.stats().unchanged, 1);
    }

    #[test]
    fn graceful_restart_keeps_stale_routes_until_reconverged() {
        let mut fib = Fib::new(FibConfig { graceful_restart: true, ..cfg() });
        fib.handle_kernel_routes([
            route("10.0.0.0/24", "192.0.2.1"),
            route("10.0.1.0/24", "192.0.2.1"),
            route("10.0.2.0/24", "192.0.2.1"),
        ]);
        assert!(drain(&mut fib, &[]).is_empty());
        assert_eq!(fib.stale(), 3);
        // The RIB wants one as it is and another changed.
        fib.handle_change(&FibChange::Add(route("10.0.0.0/24", "192.0.2.1")));
        fib.handle_change(&FibChange::Add(route("10.0.1.0/24", "192.0.2.9")));
        let reqs = drain(&mut fib, &[]);
        assert_eq!(
            reqs.iter().map(|r| (r.0, r.1)).collect::<Vec<_>>(),
            [(Op::Replace, net("10.0.1.0/24"))]
        );
        assert_eq!(fib.stale(), 1);
        fib.handle_reconverged();
        let reqs = drain(&mut fib, &[]);
        assert_eq!(
            reqs.iter().map(|r| (r.0, r.1)).collect::<Vec<_>>(),
            [(Op::Delete, net("10.0.2.0/24"))]
        );
        assert_eq!(fib.len(), 2);
        // A clean stop with graceful restart leaves ours in place.
        fib.handle_stop();
        assert!(drain(&mut fib, &[]).is_empty());
        assert_eq!(fib.len(), 2);
    }

    #[test]
    fn a_clean_stop_removes_ours() {
        let mut fib = Fib::new(cfg());
        fib.handle_change(&FibChange::Add(route("10.0.0.0/24", "192.0.2.1")));
        fib.handle_change(&FibChange::Add(route("2001:db8::/32", "fe80::1")));
        drain(&mut fib, &[]);
        fib.handle_change(&FibChange::Add(route("10.0.9.0/24", "192.0.2.1")));
        fib.handle_stop();
        let reqs = drain(&mut fib, &[]);
        assert_eq!(reqs.len(), 2);
        assert!(reqs.iter().all(|r| r.0 == Op::Delete));
        assert!(fib.is_empty() && fib.is_idle());
    }

    #[test]
    fn a_whole_table_replaces_what_differs_and_removes_the_rest() {
        let mut fib = Fib::new(cfg());
        fib.handle_change(&FibChange::Add(route("10.0.0.0/24", "192.0.2.1")));
        fib.handle_change(&FibChange::Add(route("10.0.1.0/24", "192.0.2.1")));
        drain(&mut fib, &[]);
        fib.handle_table([route("10.0.0.0/24", "192.0.2.1"), route("10.0.2.0/24", "192.0.2.1")]);
        let mut reqs: Vec<_> = drain(&mut fib, &[]).into_iter().map(|r| (r.0, r.1)).collect();
        reqs.sort_by_key(|r| r.1);
        assert_eq!(reqs, [(Op::Delete, net("10.0.1.0/24")), (Op::Replace, net("10.0.2.0/24"))]);
    }

    #[test]
    fn a_resync_puts_back_what_the_kernel_lost() {
        let mut fib = Fib::new(cfg());
        fib.handle_change(&FibChange::Add(route("10.0.0.0/24", "192.0.2.1")));
        fib.handle_change(&FibChange::Add(route("10.0.1.0/24", "192.0.2.1")));
        drain(&mut fib, &[]);
        // The kernel flushed one (its interface went down) and changed the other.
        fib.handle_kernel_routes([route("10.0.1.0/24", "192.0.2.7")]);
        let mut reqs: Vec<_> = drain(&mut fib, &[]).into_iter().map(|r| (r.0, r.1)).collect();
        reqs.sort_by_key(|r| r.1);
        assert_eq!(reqs, [(Op::Replace, net("10.0.0.0/24")), (Op::Replace, net("10.0.1.0/24"))]);
        assert_eq!(fib.installed(net("10.0.1.0/24")), Some(&route("10.0.1.0/24", "192.0.2.1")));
    }

    #[test]
    fn lost_answers_requeue_the_datagram_and_ask_for_a_resync() {
        let mut fib = Fib::new(cfg());
        fib.handle_change(&FibChange::Add(route("10.0.0.0/24", "192.0.2.1")));
        let mut buf = Vec::new();
        assert!(fib.poll_transmit(&mut buf).is_some());
        assert!(fib.poll_transmit(&mut buf).is_none(), "one datagram at a time");
        fib.handle_answers_lost();
        assert!(fib.needs_resync());
        fib.handle_kernel_routes([route("10.0.0.0/24", "192.0.2.1")]);
        assert!(!fib.needs_resync());
        // It was installed after all: nothing more to send.
        assert!(drain(&mut fib, &[]).is_empty());
        assert_eq!(fib.len(), 1);
    }
}
