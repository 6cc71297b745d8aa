//! A network of speakers in one process with a virtual clock (feature `sim`): connections,
//! links for Router Advertisements, and each node's forwarding table as its FIB changes
//! make it. For simulations, tests and demonstrations; nothing here touches the system.
//!
//! ```
//! # use bgp_speaker::sim::Net;
//! let mut net = Net::new(std::time::Instant::now());
//! // net.add(...) nodes, net.link(...) them, then:
//! net.run_for(std::time::Duration::from_secs(5));
//! ```

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::{IpAddr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::time::{Duration, Instant};

use bgp_fsm::{Action, ConnId};
use ipnet::IpNet;
use rib::{FibChange, FibRoute};

use crate::{Event, NeighborId, RouteChange, Speaker};

/// One router of the network.
pub struct Node {
    /// Its name, for output.
    pub name: String,
    /// The speaker.
    pub speaker: Speaker,
    /// Addresses it owns: (address, interface index for a link-local one).
    pub addrs: Vec<(IpAddr, Option<u32>)>,
    /// Its forwarding table, from the FIB changes it reported.
    pub fib: BTreeMap<IpNet, FibRoute>,
    /// Events it reported.
    pub events: Vec<Event>,
    /// Best-path changes it reported.
    pub changes: Vec<RouteChange>,
    /// Whether it runs (a stopped node drops what it is sent and has no timers).
    pub up: bool,
}

/// An end of a connection: node, neighbour, connection id there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct End {
    node: usize,
    neighbor: NeighborId,
    conn: ConnId,
}

/// A point-to-point link between two interfaces.
#[derive(Clone, Copy, Debug)]
struct Link {
    a: (usize, u32, Ipv6Addr),
    b: (usize, u32, Ipv6Addr),
    up: bool,
}

enum Pending {
    Bytes(End, bytes::Bytes),
    Closed(End),
}

/// The network.
pub struct Net {
    /// The nodes, by index.
    pub nodes: Vec<Node>,
    peers: HashMap<(usize, ConnId), End>,
    links: Vec<Link>,
    next_conn: u64,
    now: Instant,
    /// One-way delay of every message and connection.
    pub delay: Duration,
    wire: VecDeque<(Instant, Pending)>,
    /// (from, to): what `from` writes to `to` is lost, the connections stay up.
    black_holes: Vec<(usize, usize)>,
}

impl Net {
    /// An empty network whose virtual clock starts at `t0` (the caller's: this crate reads
    /// no clock).
    pub fn new(t0: Instant) -> Net {
        Net {
            nodes: Vec::new(),
            peers: HashMap::new(),
            links: Vec::new(),
            next_conn: 1,
            now: t0,
            delay: Duration::from_millis(1),
            wire: VecDeque::new(),
            black_holes: Vec::new(),
        }
    }

    /// The virtual time now.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Adds a node owning `addrs`; returns its index.
    pub fn add(
        &mut self,
        name: &str,
        speaker: Speaker,
        addrs: Vec<(IpAddr, Option<u32>)>,
    ) -> usize {
        self.nodes.push(Node {
            name: name.to_owned(),
            speaker,
            addrs,
            fib: BTreeMap::new(),
            events: Vec::new(),
            changes: Vec::new(),
            up: true,
        });
        self.nodes.len() - 1
    }

    /// Links interface `ia` of node `a` (link-local `lla`) with interface `ib` of node `b`.
    pub fn link(&mut self, a: usize, ia: u32, lla: Ipv6Addr, b: usize, ib: u32, llb: Ipv6Addr) {
        self.links.push(Link { a: (a, ia, lla), b: (b, ib, llb), up: true });
        if let Some(n) = self.nodes.get_mut(a) {
            n.addrs.push((IpAddr::V6(lla), Some(ia)));
        }
        if let Some(n) = self.nodes.get_mut(b) {
            n.addrs.push((IpAddr::V6(llb), Some(ib)));
        }
    }

    /// Runs for `d` of virtual time.
    pub fn run_for(&mut self, d: Duration) {
        let until = self.now + d;
        self.run_until(until);
    }

    /// Runs until the virtual clock reaches `until`.
    pub fn run_until(&mut self, until: Instant) {
        loop {
            self.drain();
            let next_wire = self.wire.front().map(|(t, _)| *t);
            let next_timer =
                self.nodes.iter().filter(|n| n.up).filter_map(|n| n.speaker.poll_timeout()).min();
            let next = [next_wire, next_timer].into_iter().flatten().min();
            match next {
                Some(t) if t <= until => {
                    self.now = self.now.max(t);
                    if next_wire.is_some_and(|w| w <= self.now) {
                        self.deliver();
                    } else {
                        let now = self.now;
                        for n in self.nodes.iter_mut().filter(|n| n.up) {
                            n.speaker.handle_timeout(now);
                        }
                    }
                }
                _ => {
                    self.now = until;
                    return;
                }
            }
        }
    }

    /// Takes every node's output: messages onto the wire, actions carried out, events and
    /// FIB changes recorded.
    fn drain(&mut self) {
        loop {
            let mut any = false;
            for i in 0..self.nodes.len() {
                if !self.nodes[i].up {
                    continue;
                }
                while let Some((nb, t)) = self.nodes[i].speaker.poll_transmit() {
                    any = true;
                    if let Some(&to) = self.peers.get(&(i, t.conn)) {
                        if !self.black_holes.contains(&(i, to.node)) {
                            let at = self.now + self.delay;
                            self.wire.push_back((at, Pending::Bytes(to, t.bytes)));
                        }
                    }
                    // The wire takes everything at once.
                    let now = self.now;
                    self.nodes[i].speaker.handle_write_progress(now, nb, t.conn, 0);
                }
                while let Some((nb, a)) = self.nodes[i].speaker.poll_action() {
                    any = true;
                    self.action(i, nb, a);
                }
                let node = &mut self.nodes[i];
                while let Some(e) = node.speaker.poll_event() {
                    node.events.push(e);
                }
                while let Some(c) = node.speaker.poll_route_change() {
                    node.changes.push(c);
                }
                while let Some(c) = node.speaker.poll_fib() {
                    apply(&mut node.fib, c);
                }
            }
            if !any {
                return;
            }
        }
    }

    fn deliver(&mut self) {
        while self.wire.front().is_some_and(|(t, _)| *t <= self.now) {
            let Some((_, p)) = self.wire.pop_front() else { return };
            let now = self.now;
            match p {
                Pending::Bytes(to, bytes) => {
                    if let Some(n) = self.nodes.get_mut(to.node).filter(|n| n.up) {
                        n.speaker.handle_data(now, to.neighbor, to.conn, bytes);
                    }
                }
                Pending::Closed(to) => {
                    self.peers.remove(&(to.node, to.conn));
                    if let Some(n) = self.nodes.get_mut(to.node).filter(|n| n.up) {
                        n.speaker.handle_closed(now, to.neighbor, to.conn);
                    }
                }
            }
        }
    }

    fn action(&mut self, i: usize, nb: NeighborId, a: Action) {
        let now = self.now;
        match a {
            Action::Connect { addr, scope } => match self.accept(i, addr, scope) {
                Some((j, local, remote_ifindex)) => {
                    let c1 = ConnId(self.next_conn);
                    let c2 = ConnId(self.next_conn + 1);
                    self.next_conn += 2;
                    let Some(other) = self.nodes.get_mut(j) else { return };
                    match other.speaker.handle_incoming(now, c2, local, addr, remote_ifindex) {
                        Some(nb2) => {
                            self.peers.insert((i, c1), End { node: j, neighbor: nb2, conn: c2 });
                            self.peers.insert((j, c2), End { node: i, neighbor: nb, conn: c1 });
                            if let Some(n) = self.nodes.get_mut(i) {
                                n.speaker.handle_connected(now, nb, c1, local);
                            }
                        }
                        None => {
                            if let Some(n) = self.nodes.get_mut(i) {
                                n.speaker.handle_connect_failed(now, nb);
                            }
                        }
                    }
                }
                None => {
                    if let Some(n) = self.nodes.get_mut(i) {
                        n.speaker.handle_connect_failed(now, nb);
                    }
                }
            },
            Action::Close { conn } => {
                if let Some(to) = self.peers.remove(&(i, conn)) {
                    self.wire.push_back((now + self.delay, Pending::Closed(to)));
                }
            }
            Action::SendRa { ifindex, bytes } => {
                let targets: Vec<(usize, u32, Ipv6Addr)> = self
                    .links
                    .iter()
                    .filter(|l| l.up)
                    .filter_map(|l| {
                        if l.a.0 == i && l.a.1 == ifindex {
                            Some((l.b.0, l.b.1, l.a.2))
                        } else if l.b.0 == i && l.b.1 == ifindex {
                            Some((l.a.0, l.a.1, l.b.2))
                        } else {
                            None
                        }
                    })
                    .collect();
                for (j, jif, src) in targets {
                    if let Some(n) = self.nodes.get_mut(j).filter(|n| n.up) {
                        n.speaker.handle_router_advertisement(now, jif, src, &bytes);
                    }
                }
            }
            _ => {}
        }
    }

    /// Who answers a connection from node `i` to `addr`: the node owning the address (on
    /// the link, for a link-local one), our local address, and the interface it arrives on.
    fn accept(
        &self,
        i: usize,
        addr: SocketAddr,
        scope: Option<u32>,
    ) -> Option<(usize, SocketAddr, Option<u32>)> {
        if let (IpAddr::V6(ll), Some(ifx)) = (addr.ip(), scope) {
            let l = self.links.iter().find(|l| {
                l.up && ((l.a.0 == i && l.a.1 == ifx && l.b.2 == ll)
                    || (l.b.0 == i && l.b.1 == ifx && l.a.2 == ll))
            })?;
            let (mine, theirs) = if l.a.0 == i { (l.a, l.b) } else { (l.b, l.a) };
            let local = SocketAddr::V6(SocketAddrV6::new(
                mine.2,
                40000 + (self.next_conn % 20000) as u16,
                0,
                theirs.1,
            ));
            return Some((theirs.0, local, Some(theirs.1)));
        }
        let j = self
            .nodes
            .iter()
            .position(|n| n.up && n.addrs.iter().any(|(a, s)| *a == addr.ip() && s.is_none()))?;
        let local_ip = self
            .nodes
            .get(i)?
            .addrs
            .iter()
            .find(|(a, s)| s.is_none() && a.is_ipv4() == addr.is_ipv4())?
            .0;
        Some((j, SocketAddr::new(local_ip, 40000 + (self.next_conn % 20000) as u16), None))
    }

    /// Takes a link down or up: RAs stop, and the connections over it break.
    pub fn set_link(&mut self, index: usize, up: bool) {
        let Some(l) = self.links.get_mut(index) else { return };
        l.up = up;
        if up {
            return;
        }
        let (a, b) = (l.a.0, l.b.0);
        let gone: Vec<(usize, ConnId)> = self
            .peers
            .iter()
            .filter(|((n, _), e)| (*n == a && e.node == b) || (*n == b && e.node == a))
            .map(|(k, _)| *k)
            .collect();
        for (n, c) in gone {
            if let Some(e) = self.peers.remove(&(n, c)) {
                self.wire.push_back((self.now, Pending::Closed(e)));
            }
        }
    }

    /// Loses (`true`) or delivers again (`false`) what node `from` writes to node `to`,
    /// leaving the connections up: a one-way black hole, for hold timers to find.
    pub fn black_hole(&mut self, from: usize, to: usize, on: bool) {
        self.black_holes.retain(|&x| x != (from, to));
        if on {
            self.black_holes.push((from, to));
        }
    }

    /// Stops a node at once (a crash): its connections break, it drops what it is sent.
    pub fn stop(&mut self, node: usize) {
        if let Some(n) = self.nodes.get_mut(node) {
            n.up = false;
        }
        let gone: Vec<(usize, ConnId)> = self
            .peers
            .iter()
            .filter(|((n, _), e)| *n == node || e.node == node)
            .map(|(k, _)| *k)
            .collect();
        for (n, c) in gone {
            if let Some(e) = self.peers.remove(&(n, c)) {
                if e.node != node {
                    self.wire.push_back((self.now, Pending::Closed(e)));
                }
            }
        }
    }

    /// Replaces a stopped node's speaker (a restart) and runs it again.
    pub fn restart(&mut self, node: usize, speaker: Speaker) {
        if let Some(n) = self.nodes.get_mut(node) {
            n.speaker = speaker;
            n.up = true;
            n.fib.clear();
        }
    }
}

fn apply(fib: &mut BTreeMap<IpNet, FibRoute>, c: FibChange) {
    match c {
        FibChange::Add(r) | FibChange::Replace(r) => {
            fib.insert(r.prefix, r);
        }
        FibChange::Delete(r) => {
            fib.remove(&r.prefix);
        }
    }
}
