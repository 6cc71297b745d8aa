//! A deterministic two-speaker simulation: two `Session`s over in-memory TCP connections, a
//! virtual clock that jumps to the earliest `poll_timeout`, and Router Advertisements carried
//! between the two ends of one link.

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

    /// Drains one node's outputs into the wire. Returns whether anything happened.
    fn drain(&mut self, side: Side) -> bool {
        let mut busy = false;
        let at = self.elapsed();
        while let Some(t) = self.node(side).session.poll_transmit() {
            busy = true;
            self.node(side).sent.push((at, t.conn, t.bytes.clone()));
            if self.node(side).frozen {
                continue;
            }
            if let Some(p) = self.pipe_of(side, t.conn) {
                if self.pipes[p].closed_by.is_none() {
                    let to = self.peer_conn(p, side);
                    self.queue.push_back((side.other(), to, Delivery::Bytes(t.bytes)));
                }
            }
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
                            if !self.node(side).frozen {
                                self.queue.push_back((side.other(), to, Delivery::Closed));
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
                    Delivery::Bytes(b) => node.session.handle_bytes(now, conn, &b),
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
