//! The driver: a [`bfd::Sessions`] table, its sockets and one timer.

use bfd::{ClientId, Config, Discard, Report, SessionId, SessionKey, Sessions};
use bytes::Bytes;
use std::collections::HashMap;
use std::future::poll_fn;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsRawFd;
use std::task::Poll;
use tokio::io::Interest;
use tokio::net::UdpSocket;

use sansio_tokio::{now, Deadline};

use crate::error::Error;
use crate::socket::{self, Datagram, MULTIHOP_PORT, SINGLE_HOP_PORT, TTL};

/// What the driver listens on and how many sessions it takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DriverConfig {
    /// Most sessions at once.
    pub limit: usize,
    /// Seed of discriminators, jitter and source ports.
    pub seed: u64,
    /// Listen for IPv4.
    pub ipv4: bool,
    /// Listen for IPv6.
    pub ipv6: bool,
    /// Listen on port 4784 for multihop sessions.
    pub multihop: bool,
    /// Lowest TTL accepted on a multihop packet. RFC 5883 §5 leaves the check to the
    /// configuration ("the expected minimum TTL"); 1 accepts everything.
    pub multihop_min_ttl: u8,
}

impl Default for DriverConfig {
    fn default() -> DriverConfig {
        DriverConfig {
            limit: 256,
            seed: 0,
            ipv4: true,
            ipv6: false,
            multihop: false,
            multihop_min_ttl: 1,
        }
    }
}

/// How a session reaches its peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hop {
    /// Directly connected on this interface (RFC 5881).
    Single {
        /// Interface name.
        interface: String,
    },
    /// Through routers (RFC 5883).
    Multi,
}

/// A session to add.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerConfig {
    /// Our address.
    pub local: IpAddr,
    /// The peer's address.
    pub peer: IpAddr,
    /// Single hop (with its interface) or multihop.
    pub hop: Hop,
    /// Timers, authentication, role.
    pub session: Config,
}

/// Counters of what was dropped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Packets received.
    pub received: u64,
    /// Single-hop packets with a TTL other than 255, multihop ones below the minimum.
    pub bad_ttl: u64,
    /// Packets without the control messages needed to find their session.
    pub no_pktinfo: u64,
    /// Packets the table discarded (malformed, failed authentication, no session, ...).
    pub discarded: u64,
    /// Packets sent.
    pub sent: u64,
    /// Sends that failed (an interface down, a full queue).
    pub send_errors: u64,
}

struct Listener {
    sock: UdpSocket,
    multihop: bool,
}

struct Sender {
    sock: UdpSocket,
    dest: SocketAddr,
}

/// Runs a table of sessions over UDP. Call [`Driver::next_report`] in a loop: it receives,
/// sends and serves the timer until a session changes state.
pub struct Driver {
    sessions: Sessions,
    listeners: Vec<Listener>,
    senders: HashMap<SessionId, Sender>,
    multihop_min_ttl: u8,
    deadline: Deadline,
    next_port: u16,
    buf: Vec<u8>,
    stats: Stats,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("sessions", &self.sessions.len())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Driver {
    /// Binds the listeners. Must run inside a tokio runtime.
    pub fn new(config: DriverConfig) -> Result<Driver, Error> {
        let mut listeners = Vec::new();
        let families = [(false, config.ipv4), (true, config.ipv6)];
        for (ipv6, wanted) in families {
            if !wanted {
                continue;
            }
            let mut ports = vec![(SINGLE_HOP_PORT, false)];
            if config.multihop {
                ports.push((MULTIHOP_PORT, true));
            }
            for (port, multihop) in ports {
                let s =
                    socket::listener(ipv6, port).map_err(|e| Error::Listen { port, source: e })?;
                let sock =
                    UdpSocket::from_std(s.into()).map_err(|e| Error::Listen { port, source: e })?;
                listeners.push(Listener { sock, multihop });
            }
        }
        let span = u64::from(socket::SOURCE_PORTS.end() - socket::SOURCE_PORTS.start());
        let next_port =
            socket::SOURCE_PORTS.start() + u16::try_from(config.seed % span).unwrap_or(0);
        Ok(Driver {
            sessions: Sessions::new(config.limit, config.seed),
            listeners,
            senders: HashMap::new(),
            multihop_min_ttl: config.multihop_min_ttl,
            deadline: Deadline::new(),
            next_port,
            buf: vec![0; 1500],
            stats: Stats::default(),
        })
    }

    /// Subscribes `client` to a session, creating it (and its socket) if needed.
    pub fn add(&mut self, peer: PeerConfig, client: ClientId) -> Result<SessionId, Error> {
        let (interface, device, port) = match &peer.hop {
            Hop::Single { interface } => {
                let index = socket::ifindex(interface)
                    .map_err(|e| Error::Interface { name: interface.clone(), source: e })?;
                (Some(index), Some(interface.as_str()), SINGLE_HOP_PORT)
            }
            Hop::Multi => (None, None, MULTIHOP_PORT),
        };
        let key = SessionKey { local: peer.local, peer: peer.peer, interface };
        let id = self.sessions.add(now(), key, peer.session, client)?;
        if !self.senders.contains_key(&id) {
            let s = socket::sender(peer.local, device, self.next_port).map_err(Error::Socket)?;
            if let Some(used) = s.local_addr().ok().and_then(|a| a.as_socket()) {
                self.next_port = used.port().wrapping_add(1).max(*socket::SOURCE_PORTS.start());
            }
            let sock = UdpSocket::from_std(s.into()).map_err(Error::Socket)?;
            self.senders.insert(id, Sender { sock, dest: SocketAddr::new(peer.peer, port) });
        }
        Ok(id)
    }

    /// Unsubscribes `client`; the session says AdminDown for a while and then goes.
    pub fn remove(&mut self, key: &SessionKey, client: ClientId) -> bool {
        self.sessions.remove(now(), key, client)
    }

    /// Takes a session AdminDown or back.
    pub fn set_admin_down(&mut self, id: SessionId, admin_down: bool) -> bool {
        self.sessions.set_admin_down(now(), id, admin_down)
    }

    /// The table, for its getters.
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// Counters.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Runs until a session changes state, and returns that report. Dropping the future
    /// (in a `select!`) loses no report and no timer; at most the one packet being written
    /// at that moment.
    pub async fn next_report(&mut self) -> Result<Report, Error> {
        loop {
            self.flush().await;
            if let Some(r) = self.sessions.poll_event() {
                return Ok(r);
            }
            self.senders.retain(|id, _| self.sessions.session(*id).is_some());
            self.deadline.set(self.sessions.poll_timeout());
            tokio::select! {
                got = recv_any(&self.listeners, &mut self.buf) => match got {
                    Ok((multihop, d)) => {
                        let payload = Bytes::copy_from_slice(self.buf.get(..d.len).unwrap_or_default());
                        self.receive(multihop, d, payload);
                    }
                    // A failed read (an ICMP error queued on the socket) loses one datagram.
                    Err(e) => tracing::debug!(error = %e, "BFD receive failed"),
                },
                // `Deadline` checked the clock: the deadline has been reached.
                now = self.deadline.wait() => self.sessions.handle_timeout(now),
            }
        }
    }

    fn receive(&mut self, multihop: bool, d: Datagram, payload: Bytes) {
        self.stats.received += 1;
        let ttl_ok = match (multihop, d.ttl) {
            // RFC 5881 §5: "If [...] the TTL or Hop Limit value MUST be 255 [...] received
            // packets with any other value MUST be discarded."
            (false, Some(ttl)) => ttl == TTL,
            (true, Some(ttl)) => ttl >= self.multihop_min_ttl,
            (_, None) => false,
        };
        if !ttl_ok {
            self.stats.bad_ttl += 1;
            tracing::debug!(src = %d.src, ttl = ?d.ttl, "BFD packet with a bad TTL dropped");
            return;
        }
        let Some(local) = d.dst else {
            self.stats.no_pktinfo += 1;
            return;
        };
        let interface = if multihop { None } else { d.ifindex };
        let key = SessionKey { local, peer: d.src.ip(), interface };
        if let Err(e) = self.sessions.handle_packet(now(), &key, payload) {
            self.stats.discarded += 1;
            if !matches!(e, Discard::AdminDown) {
                tracing::debug!(src = %d.src, error = %e, "BFD packet discarded");
            }
        }
    }

    async fn flush(&mut self) {
        while let Some(t) = self.sessions.poll_transmit() {
            let Some(s) = self.senders.get(&t.session) else { continue };
            match s.sock.send_to(&t.payload, s.dest).await {
                Ok(_) => self.stats.sent += 1,
                Err(e) => {
                    self.stats.send_errors += 1;
                    tracing::debug!(dest = %s.dest, error = %e, "BFD send failed");
                }
            }
        }
    }
}

/// Waits for a datagram on any listener.
async fn recv_any(listeners: &[Listener], buf: &mut [u8]) -> Result<(bool, Datagram), Error> {
    poll_fn(|cx| {
        for l in listeners {
            loop {
                match l.sock.poll_recv_ready(cx) {
                    Poll::Ready(Ok(())) => {}
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(Error::Socket(e))),
                    Poll::Pending => break,
                }
                let fd = l.sock.as_raw_fd();
                match l.sock.try_io(Interest::READABLE, || socket::recv(fd, buf)) {
                    Ok(d) => return Poll::Ready(Ok((l.multihop, d))),
                    // Readiness was stale; tokio cleared it, so poll again.
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                    Err(e) => return Poll::Ready(Err(Error::Socket(e))),
                }
            }
        }
        Poll::Pending
    })
    .await
}
