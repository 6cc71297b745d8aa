//! A deterministic two-speaker simulation: two `Session`s over in-memory TCP connections, a
//! virtual clock that jumps to the earliest `poll_timeout`, and Router Advertisements carried
//! between the two ends of one link. Writes complete at once (and are reported to the
//! writer's session) unless the reading end stopped reading.

#![allow(dead_code)]

use bgp_fsm::{Action, Config, ConnId, Event, Session};
use bytes::Bytes;
use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// One side of the simulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    A,
    B,
}

impl Side {
    pub fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }
}

/// One speaker: its session, its address and interface, and what it reported.
pub struct Node {
    pub session: Session,
    pub addr: IpAddr,
    pub ifindex: u32,
    /// Events with the virtual time they were polled at.
    pub events: Vec<(Duration, Event)>,
    /// Messages written, with time and connection.
    pub sent: Vec<(Duration, ConnId, Bytes)>,
    /// Connect actions, with time.
    pub connects: Vec<(Duration, SocketAddr)>,
    /// When false, nothing this node writes reaches the peer (a frozen process).
    pub frozen: bool,
    /// When false, this node reads nothing: what is written to it waits on the wire and the
    /// writer's writes make no progress (a receive window of zero). Change it with
    /// [`Sim::set_reading`].
    reading: bool,
}

impl Node {
    pub fn new(cfg: Config, addr: IpAddr, ifindex: u32) -> Node {
        Node {
            session: Session::new(cfg).expect("valid config"),
            addr,
            ifindex,
            events: Vec::new(),
            sent: Vec::new(),
            connects: Vec::new(),
            frozen: false,
            reading: true,
        }
    }
}

#[derive(Debug)]
struct Pipe {
    a: ConnId,
    b: ConnId,
    /// Initiator of the connection.
    from: Side,
    closed_by: Option<Side>,
}

enum Delivery {
    Bytes(Bytes),
    Closed,
}

/// Two nodes and the wire between them.
pub struct Sim {
    pub t0: Instant,
    pub now: Instant,
    pub a: Node,
    pub b: Node,
    pipes: Vec<Pipe>,
    queue: VecDeque<(Side, ConnId, Delivery)>,
    /// Written to a node that does not read: (to, its connection, what, the writer's
    /// connection).
    stalled: VecDeque<(Side, ConnId, Delivery, ConnId)>,
    next_id: u64,
    /// When false, connection attempts to this side fail (nothing listens).
    pub a_listening: bool,
    pub b_listening: bool,
}

impl Sim {
    pub fn new(a: Node, b: Node) -> Sim {
        let t0 = Instant::now();
        Sim {
            t0,
            now: t0,
            a,
            b,
            pipes: Vec::new(),
            queue: VecDeque::new(),
            stalled: VecDeque::new(),
            next_id: 1,
            a_listening: true,
            b_listening: true,
        }
    }

    pub fn node(&mut self, side: Side) -> &mut Node {
        match side {
            Side::A => &mut self.a,
            Side::B => &mut self.b,
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.now - self.t0
    }

    pub fn start(&mut self, side: Side) {
        let now = self.now;
        self.node(side).session.start(now);
    }

    /// Connections currently open (not closed by either side).
    pub fn open_pipes(&self) -> usize {
        self.pipes.iter().filter(|p| p.closed_by.is_none()).count()
    }

    /// The initiator of the only open connection.
    pub fn open_pipe_initiator(&self) -> Option<Side> {
        let open: Vec<&Pipe> = self.pipes.iter().filter(|p| p.closed_by.is_none()).collect();
        match open.as_slice() {
            [p] => Some(p.from),
            _ => None,
        }
    }

    fn id(&mut self) -> ConnId {
        self.next_id += 1;
        ConnId(self.next_id * 10)
    }

    fn pipe_of(&self, side: Side, conn: ConnId) -> Option<usize> {
        self.pipes.iter().position(|p| match side {
            Side::A => p.a == conn,
            Side::B => p.b == conn,
        })
    }

    fn peer_conn(&self, pipe: usize, side: Side) -> ConnId {
        match side {
            Side::A => self.pipes[pipe].b,
            Side::B => self.pipes[pipe].a,
        }
    }

    /// Stops or resumes reading at `side`. Resuming delivers what waited, in order, and
    /// reports the writes as done.
    pub fn set_reading(&mut self, side: Side, reading: bool) {
        self.node(side).reading = reading;
        if !reading {
            return;
        }
        let now = self.now;
        let (waited, rest): (VecDeque<_>, VecDeque<_>) =
            self.stalled.drain(..).partition(|(to, ..)| *to == side);
        self.stalled = rest;
        for (to, conn, d, from_conn) in waited {
            self.queue.push_back((to, conn, d));
            self.node(side.other()).session.handle_write_progress(now, from_conn, 0);
        }
    }

    /// Drains one node's outputs into the wire. Returns whether anything happened.
    fn drain(&mut self, side: Side) -> bool {
        let mut busy = false;
        let at = self.elapsed();
        let now = self.now;
        let mut written = Vec::new();
        while let Some(t) = self.node(side).session.poll_transmit() {
            busy = true;
            self.node(side).sent.push((at, t.conn, t.bytes.clone()));
            if self.node(side).frozen {
                continue;
            }
            if let Some(p) = self.pipe_of(side, t.conn) {
                if self.pipes[p].closed_by.is_none() {
                    let to = self.peer_conn(p, side);
                    if self.node(side.other()).reading {
                        self.queue.push_back((side.other(), to, Delivery::Bytes(t.bytes)));
                        written.push(t.conn);
                    } else {
                        self.stalled.push_back((
                            side.other(),
                            to,
                            Delivery::Bytes(t.bytes),
                            t.conn,
                        ));
                    }
                }
            }
        }
        // The in-memory socket took everything for a reading peer at once.
        written.dedup();
        for conn in written {
            self.node(side).session.handle_write_progress(now, conn, 0);
        }
        while let Some(a) = self.node(side).session.poll_action() {
            busy = true;
            match a {
                Action::Connect { addr, .. } => {
                    self.node(side).connects.push((at, addr));
                    self.connect(side, addr);
                }
                Action::Close { conn } => {
                    if let Some(p) = self.pipe_of(side, conn) {
                        if self.pipes[p].closed_by.is_none() {
                            self.pipes[p].closed_by = Some(side);
                            let to = self.peer_conn(p, side);
                            if self.node(side).frozen {
                                // A stopped process closes nothing.
                            } else if self.node(side.other()).reading {
                                self.queue.push_back((side.other(), to, Delivery::Closed));
                            } else {
                                let d = Delivery::Closed;
                                self.stalled.push_back((side.other(), to, d, conn));
                            }
                        }
                    }
                }
                Action::SendRa { bytes, .. } => {
                    if self.node(side).frozen {
                        continue;
                    }
                    let src = match self.node(side).addr {
                        IpAddr::V6(a) => a,
                        IpAddr::V4(_) => continue,
                    };
                    let now = self.now;
                    let peer = self.node(side.other());
                    let ifindex = peer.ifindex;
                    peer.session
                        .handle_router_advertisement(now, ifindex, src, &bytes)
                        .expect("our own RA decodes");
                }
                other => panic!("unexpected action {other:?}"),
            }
        }
        while let Some(e) = self.node(side).session.poll_event() {
            busy = true;
            self.node(side).events.push((at, e));
        }
        busy
    }

    fn connect(&mut self, from: Side, addr: SocketAddr) {
        let now = self.now;
        let listening = match from.other() {
            Side::A => self.a_listening,
            Side::B => self.b_listening,
        };
        let target = self.node(from.other()).addr;
        if !listening || addr.ip() != target {
            self.node(from).session.handle_connect_failed(now);
            return;
        }
        let (ia, ib) = (self.id(), self.id());
        let (local_port, remote_port) = (40000 + self.next_id as u16, 179);
        self.pipes.push(Pipe { a: ia, b: ib, from, closed_by: None });
        let from_addr = self.node(from).addr;
        let from_if = self.node(from).ifindex;
        let to_if = self.node(from.other()).ifindex;
        let (cf, ct) = match from {
            Side::A => (ia, ib),
            Side::B => (ib, ia),
        };
        let scoped = |ip: IpAddr, port: u16, scope: u32| match ip {
            IpAddr::V6(v6) => SocketAddr::V6(std::net::SocketAddrV6::new(v6, port, 0, scope)),
            v4 => SocketAddr::new(v4, port),
        };
        let local = scoped(from_addr, local_port, from_if);
        self.node(from).session.handle_connected(now, cf, local);
        let remote = scoped(from_addr, local_port, to_if);
        let local_to = scoped(target, remote_port, to_if);
        self.node(from.other()).session.handle_incoming(now, ct, remote, local_to, Some(to_if));
    }

    /// Runs everything due at the current instant until nothing moves.
    pub fn settle(&mut self) {
        for _ in 0..10_000 {
            let mut busy = self.drain(Side::A);
            busy |= self.drain(Side::B);
            // Deliver what is on the wire now, in order.
            let pending: Vec<_> = self.queue.drain(..).collect();
            busy |= !pending.is_empty();
            for (to, conn, d) in pending {
                let now = self.now;
                let node = self.node(to);
                if node.frozen {
                    continue;
                }
                match d {
                    Delivery::Bytes(b) => node.session.handle_data(now, conn, b),
                    Delivery::Closed => node.session.handle_closed(now, conn),
                }
            }
            if !busy {
                return;
            }
        }
        panic!("simulation does not settle");
    }

    /// The earliest deadline of the nodes that are not frozen.
    pub fn next_timeout(&self) -> Option<Instant> {
        [&self.a, &self.b]
            .into_iter()
            .filter(|n| !n.frozen)
            .filter_map(|n| n.session.poll_timeout())
            .min()
    }

    /// Advances the virtual clock from timeout to timeout until `d` has passed.
    pub fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        loop {
            self.settle();
            let next = self.next_timeout();
            match next {
                Some(t) if t <= end => {
                    self.now = self.now.max(t);
                    let now = self.now;
                    if !self.a.frozen {
                        self.a.session.handle_timeout(now);
                    }
                    if !self.b.frozen {
                        self.b.session.handle_timeout(now);
                    }
                }
                _ => {
                    self.now = end;
                    self.settle();
                    return;
                }
            }
        }
    }

    /// Runs until `pred` holds (checked after each step) or `limit` passes.
    pub fn run_until(&mut self, limit: Duration, mut pred: impl FnMut(&Sim) -> bool) -> bool {
        let end = self.now + limit;
        loop {
            self.settle();
            if pred(self) {
                return true;
            }
            let next = self.next_timeout();
            match next {
                Some(t) if t <= end => {
                    self.now = self.now.max(t);
                    let now = self.now;
                    if !self.a.frozen {
                        self.a.session.handle_timeout(now);
                    }
                    if !self.b.frozen {
                        self.b.session.handle_timeout(now);
                    }
                }
                _ => {
                    self.now = end;
                    self.settle();
                    return pred(self);
                }
            }
        }
    }
}

/// How the socket of a [`Solo`] session takes what the session writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Writes {
    /// Everything at once: the session is told its output is all written.
    Complete,
    /// Nothing (the peer's receive window is zero): the session is never told of progress.
    Stalled,
    /// A little at every step but never all of it: progress with octets still waiting.
    Trickle,
}

/// The address of a [`Solo`] session's scripted peer.
pub const SOLO_PEER: std::net::Ipv4Addr = std::net::Ipv4Addr::new(10, 0, 0, 2);

/// One session against a scripted peer (AS 65002 at [`SOLO_PEER`]) on one connection, with a
/// virtual clock: the test decides what the peer sends and how the socket takes the
/// session's writes. For what two real sessions cannot show, like a peer whose KEEPALIVEs
/// keep coming while it reads nothing.
pub struct Solo {
    pub session: Session,
    pub t0: Instant,
    pub now: Instant,
    pub conn: ConnId,
    /// Messages the session wrote, with the virtual time.
    pub sent: Vec<(Duration, Bytes)>,
    pub actions: Vec<(Duration, Action)>,
    pub events: Vec<(Duration, Event)>,
    pub writes: Writes,
    /// The peer sends a KEEPALIVE this often while the connection is open.
    pub peer_keepalive: Option<Duration>,
    next_peer_keepalive: Option<Instant>,
    /// Octets polled and not reported written.
    pub unwritten: usize,
    closed: bool,
}

impl Solo {
    /// Connected to the scripted peer, which offers `peer_hold` seconds of hold time, and
    /// Established; the OPEN and KEEPALIVE written as `writes` says.
    pub fn established(cfg: Config, peer_hold: u16, writes: Writes) -> Solo {
        use bgp_wire::capability::Capability;
        use bgp_wire::message::Message;
        let t0 = Instant::now();
        let mut s = Solo {
            session: Session::new(cfg).expect("valid config"),
            t0,
            now: t0,
            conn: ConnId(1),
            sent: Vec::new(),
            actions: Vec::new(),
            events: Vec::new(),
            writes,
            peer_keepalive: None,
            next_peer_keepalive: None,
            unwritten: 0,
            closed: false,
        };
        s.session.start(t0);
        let local = SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1)), 40000);
        s.session.handle_connected(t0, s.conn, local);
        s.drain();
        let open = bgp_wire::open::Open::new(
            bgp_wire::Asn(65002),
            peer_hold,
            SOLO_PEER,
            vec![
                Capability::Multiprotocol(bgp_wire::Family::IPV4_UNICAST),
                Capability::FourOctetAs(bgp_wire::Asn(65002)),
                Capability::RouteRefresh,
            ],
        );
        s.peer_sends(&Message::Open(open));
        s.peer_sends(&Message::Keepalive);
        assert_eq!(s.session.state(), bgp_fsm::State::Established);
        s
    }

    pub fn elapsed(&self) -> Duration {
        self.now - self.t0
    }

    /// The peer's message arrives.
    pub fn peer_sends(&mut self, m: &bgp_wire::message::Message) {
        let mut b = bytes::BytesMut::new();
        m.encode(&bgp_wire::Context::legacy(), &mut b);
        self.session.handle_data(self.now, self.conn, b.freeze());
        self.drain();
    }

    /// Drains the session's outputs and lets the socket take what `writes` says.
    pub fn drain(&mut self) {
        let at = self.elapsed();
        while let Some(t) = self.session.poll_transmit() {
            assert_eq!(t.conn, self.conn);
            self.unwritten += t.bytes.len();
            self.sent.push((at, t.bytes));
        }
        match self.writes {
            Writes::Complete if self.unwritten > 0 => {
                self.unwritten = 0;
                self.session.handle_write_progress(self.now, self.conn, 0);
            }
            Writes::Trickle if self.unwritten > 0 => {
                self.unwritten = self.unwritten.div_ceil(2);
                self.session.handle_write_progress(self.now, self.conn, self.unwritten);
            }
            _ => {}
        }
        while let Some(a) = self.session.poll_action() {
            if a == (Action::Close { conn: self.conn }) {
                self.closed = true;
            }
            self.actions.push((at, a));
        }
        while let Some(e) = self.session.poll_event() {
            self.events.push((at, e));
        }
    }

    /// Advances the virtual clock from deadline to deadline (the session's, the peer's
    /// next KEEPALIVE) until `d` has passed.
    pub fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        loop {
            self.drain();
            if self.next_peer_keepalive.is_none() {
                self.next_peer_keepalive = self.peer_keepalive.map(|p| self.now + p);
            }
            let peer = self.next_peer_keepalive.filter(|_| !self.closed);
            let next = [self.session.poll_timeout(), peer].into_iter().flatten().min();
            match next {
                Some(t) if t <= end => {
                    self.now = self.now.max(t);
                    if peer.is_some_and(|p| p <= self.now) {
                        self.next_peer_keepalive = self.peer_keepalive.map(|p| self.now + p);
                        self.peer_sends(&bgp_wire::message::Message::Keepalive);
                    }
                    self.session.handle_timeout(self.now);
                }
                _ => {
                    self.now = end;
                    self.drain();
                    return;
                }
            }
        }
    }
}
