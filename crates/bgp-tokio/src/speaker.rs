//! The speaker: listeners, Router Advertisement sockets, and one task per peer.

use bgp_fsm::{Neighbor, Session};
use bytes::Bytes;
use socket2::{Domain, Protocol, SockAddr, SockRef, Socket, Type};
use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::config::{PeerConfig, SpeakerConfig};
use crate::peer::{self, Command, Incoming, PeerEvent, PeerId, PeerTask, RaIn};
use crate::ra::RaSocket;
use crate::sockopt::{self, Md5Key, TtlMode};

/// What can go wrong when setting up a speaker or a peer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A socket could not be opened or configured.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The system's error.
        source: io::Error,
    },
    /// The session's configuration is refused.
    #[error("session configuration: {0}")]
    Config(#[from] bgp_fsm::ConfigError),
    /// The socket settings are refused.
    #[error("socket settings: {0}")]
    Transport(#[from] crate::config::TransportError),
    /// The peer's task has ended.
    #[error("the peer's task has ended")]
    PeerGone,
}

pub(crate) fn io_err(what: impl Into<String>) -> impl FnOnce(io::Error) -> Error {
    let what = what.into();
    move |source| Error::Io { what, source }
}

/// How an accepted connection finds its peer.
struct Route {
    id: PeerId,
    neighbor: Neighbor,
    tx: mpsc::Sender<Incoming>,
}

struct RaEntry {
    socket: Arc<RaSocket>,
    subscribers: Arc<Mutex<Vec<mpsc::Sender<RaIn>>>>,
    task: JoinHandle<()>,
}

struct Listener {
    listener: Arc<TcpListener>,
    v6: bool,
}

struct Inner {
    routes: Mutex<Vec<Route>>,
    listeners: Vec<Listener>,
    ra: Mutex<HashMap<u32, RaEntry>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere while holding the lock leaves plain data behind: keep going.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// An IPv4-mapped IPv6 address as IPv4.
pub(crate) fn canonical(a: IpAddr) -> IpAddr {
    match a {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(a, IpAddr::V4),
        v4 => v4,
    }
}

/// Whether a connection from `remote` is for a peer configured as `n`. The session checks
/// again (RFC 4271 Event 14 or 15); this only picks the session to ask.
pub fn neighbor_matches(n: &Neighbor, remote: SocketAddr) -> bool {
    let scope = match remote {
        SocketAddr::V6(a) => a.scope_id(),
        SocketAddr::V4(_) => 0,
    };
    match n {
        Neighbor::Address { addr, scope: want } => {
            canonical(remote.ip()) == canonical(*addr)
                && (want.is_none() || scope == 0 || *want == Some(scope))
        }
        Neighbor::Interface { ifindex, .. } => match remote.ip() {
            IpAddr::V6(a) => bgp_fsm::ra::is_link_local(a) && scope == *ifindex,
            IpAddr::V4(_) => false,
        },
    }
}

/// A BGP speaker: accepts connections for its peers and runs one task per peer.
///
/// Must be created and used inside a tokio runtime. Dropping it stops the listeners and the
/// RA sockets; each peer's task runs until its [`PeerHandle`] is dropped or shut down.
pub struct Speaker {
    inner: Arc<Inner>,
    tasks: Vec<JoinHandle<()>>,
    events: mpsc::Sender<PeerEvent>,
    next_id: AtomicU64,
}

impl std::fmt::Debug for Speaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Speaker").field("listeners", &self.local_addrs()).finish()
    }
}

impl Drop for Speaker {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
        for (_, e) in lock(&self.inner.ra).drain() {
            e.task.abort();
        }
    }
}

pub(crate) fn bind_listener(addr: SocketAddr) -> io::Result<TcpListener> {
    let s = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    s.set_reuse_address(true)?;
    if addr.is_ipv6() {
        s.set_only_v6(true)?;
    }
    s.set_nonblocking(true)?;
    s.bind(&SockAddr::from(addr))?;
    s.listen(128)?;
    TcpListener::from_std(std::net::TcpListener::from(s))
}

impl Speaker {
    /// Opens the listeners; returns the speaker and the receiver of every peer's events.
    pub fn new(cfg: SpeakerConfig) -> Result<(Speaker, mpsc::Receiver<PeerEvent>), Error> {
        let mut listeners = Vec::new();
        if let Some(l) = &cfg.listen {
            for &ip in &l.addrs {
                let addr = SocketAddr::new(ip, l.port);
                let listener = match bind_listener(addr) {
                    Ok(l) => l,
                    // A host without IPv6 still gets its IPv4 listener.
                    Err(e) if ip.is_ipv6() && e.raw_os_error() == Some(libc::EAFNOSUPPORT) => {
                        tracing::warn!(%addr, "IPv6 unavailable, not listening: {e}");
                        continue;
                    }
                    Err(e) => return Err(io_err(format!("listen on {addr}"))(e)),
                };
                listeners.push(Listener { listener: Arc::new(listener), v6: ip.is_ipv6() });
            }
        }
        let inner = Arc::new(Inner {
            routes: Mutex::new(Vec::new()),
            listeners,
            ra: Mutex::new(HashMap::new()),
        });
        let tasks = inner
            .listeners
            .iter()
            .map(|l| tokio::spawn(accept_loop(inner.clone(), l.listener.clone())))
            .collect();
        let (events, rx) = mpsc::channel(cfg.event_capacity.max(1));
        Ok((Speaker { inner, tasks, events, next_id: AtomicU64::new(1) }, rx))
    }

    /// The addresses the listeners are bound to (with the port the system chose for port 0).
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.inner.listeners.iter().filter_map(|l| l.listener.local_addr().ok()).collect()
    }

    /// Adds a peer and starts its session (ManualStart).
    pub fn add_peer(&self, cfg: PeerConfig) -> Result<PeerHandle, Error> {
        cfg.transport.validate()?;
        let session = Session::new(cfg.session.clone())?;
        let id = PeerId(self.next_id.fetch_add(1, Ordering::Relaxed));
        self.install_md5(&cfg)?;
        self.install_listener_ttl(&cfg)?;
        let (ra_in, ra_socket) = match &cfg.session.neighbor {
            Neighbor::Interface { name, ifindex } => {
                let (rx, s) = self.subscribe_ra(name, *ifindex)?;
                (Some(rx), Some(s))
            }
            Neighbor::Address { .. } => (None, None),
        };
        let (incoming_tx, incoming) = mpsc::channel(4);
        let (cmd_tx, commands) = mpsc::channel(16);
        {
            let mut routes = lock(&self.inner.routes);
            routes.retain(|r| !r.tx.is_closed());
            routes.push(Route { id, neighbor: cfg.session.neighbor.clone(), tx: incoming_tx });
        }
        let task = PeerTask {
            id,
            session,
            transport: cfg.transport,
            limit: cfg.send_queue_limit,
            commands,
            incoming,
            ra_in,
            ra_socket,
            events: self.events.clone(),
        };
        let join = tokio::spawn(task.run());
        Ok(PeerHandle { id, commands: cmd_tx, join })
    }

    /// TCP-MD5 keys on the listeners, so the peer's SYN is accepted (RFC 2385 §2: a segment
    /// whose signature does not verify is dropped, and Linux also drops an unsigned one when a
    /// key is set).
    fn install_md5(&self, cfg: &PeerConfig) -> Result<(), Error> {
        let v: Vec<(Arc<TcpListener>, bool)> =
            self.inner.listeners.iter().map(|l| (l.listener.clone(), l.v6)).collect();
        install_md5(&v, &cfg.session.neighbor, &cfg.transport)
    }
}

/// TCP-MD5 keys on the listeners for a neighbour, so its SYN is accepted (RFC 2385 §2: a
/// segment whose signature does not verify is dropped, and Linux also drops an unsigned one
/// when a key is set).
pub(crate) fn install_md5(
    listeners: &[(Arc<TcpListener>, bool)],
    neighbor: &Neighbor,
    transport: &crate::config::Transport,
) -> Result<(), Error> {
    {
        let Some(password) = &transport.md5_password else {
            return Ok(());
        };
        let key = match neighbor {
            Neighbor::Address { addr, .. } => Md5Key {
                addr: canonical(*addr),
                prefix_len: None,
                ifindex: None,
                key: password.as_bytes().to_vec(),
            },
            // Any link-local address: the neighbour's is not known yet. Linux can restrict a
            // key to a VRF but not to an ordinary interface, so this key holds for link-local
            // peers on every interface.
            Neighbor::Interface { .. } => Md5Key {
                addr: IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0)),
                prefix_len: Some(10),
                ifindex: None,
                key: password.as_bytes().to_vec(),
            },
        };
        for (l, v6) in listeners {
            if *v6 != key.addr.is_ipv6() {
                continue;
            }
            sockopt::set_md5(&SockRef::from(l.as_ref()), *v6, &key)
                .map_err(io_err(format!("TCP-MD5 key for {}", key.addr)))?;
        }
        Ok(())
    }
}

/// GTSM (RFC 5082) for a neighbour on the listeners of its family: a GTSM peer that
/// connects to us drops our SYN-ACK unless it arrives with TTL 255, and the kernel sends it
/// with the listener's TTL, so that is raised (for every peer of the listener, which is
/// harmless); and the listener keeps each connection's SYN, whose TTL is checked after
/// `accept` before a session sees the connection ([`crate::connect::accepted`]). The minimum
/// TTL cannot go on the listener itself, which other peers share. Any failure is an error:
/// GTSM that is not in force must not look as if it were.
pub(crate) fn install_gtsm(
    listeners: &[(Arc<TcpListener>, bool)],
    neighbor: &Neighbor,
    transport: &crate::config::Transport,
) -> Result<(), Error> {
    let TtlMode::Security { .. } = transport.ttl else {
        return Ok(());
    };
    let v6 = match neighbor {
        Neighbor::Address { addr, .. } => canonical(*addr).is_ipv6(),
        Neighbor::Interface { .. } => true,
    };
    for (l, _) in listeners.iter().filter(|(_, l6)| *l6 == v6) {
        let s = SockRef::from(l.as_ref());
        sockopt::set_ttl(&s, v6, 255).map_err(io_err("TTL 255 on a listener"))?;
        sockopt::set_save_syn(&s).map_err(io_err("TCP_SAVE_SYN on a listener"))?;
    }
    Ok(())
}

impl Speaker {
    fn install_listener_ttl(&self, cfg: &PeerConfig) -> Result<(), Error> {
        let v: Vec<(Arc<TcpListener>, bool)> =
            self.inner.listeners.iter().map(|l| (l.listener.clone(), l.v6)).collect();
        install_gtsm(&v, &cfg.session.neighbor, &cfg.transport)
    }

    fn subscribe_ra(
        &self,
        name: &str,
        ifindex: u32,
    ) -> Result<(mpsc::Receiver<RaIn>, Arc<RaSocket>), Error> {
        let (tx, rx) = mpsc::channel(8);
        let mut ra = lock(&self.inner.ra);
        if let Some(e) = ra.get(&ifindex) {
            lock(&e.subscribers).push(tx);
            return Ok((rx, e.socket.clone()));
        }
        let socket = Arc::new(
            RaSocket::open(name, ifindex).map_err(io_err(format!("ICMPv6 socket on {name}")))?,
        );
        let subscribers = Arc::new(Mutex::new(vec![tx]));
        let task = tokio::spawn(ra_loop(socket.clone(), subscribers.clone()));
        ra.insert(ifindex, RaEntry { socket: socket.clone(), subscribers, task });
        Ok((rx, socket))
    }
}

async fn accept_loop(inner: Arc<Inner>, listener: Arc<TcpListener>) {
    let mut refusals = crate::refused::Refusals::default();
    loop {
        let (stream, remote) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!("accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let local = match stream.local_addr() {
            Ok(a) => a,
            Err(_) => continue,
        };
        let route = {
            let routes = lock(&inner.routes);
            routes
                .iter()
                .find(|r| !r.tx.is_closed() && neighbor_matches(&r.neighbor, remote))
                .map(|r| (r.id, r.tx.clone()))
        };
        match route {
            Some((id, tx)) => {
                tracing::debug!(peer = %id, %remote, "accepted");
                if tx.try_send(Incoming { stream, remote, local }).is_err() {
                    tracing::debug!(peer = %id, %remote, "peer busy or gone, connection dropped");
                }
            }
            // Closed at once (the stream is dropped), counted, and logged at most once a
            // second: any host can reach the listener.
            None => {
                if let Some(r) = refusals.refused(crate::timer::now(), remote) {
                    tracing::info!(
                        count = r.count,
                        total = r.total,
                        "connections from unknown peers refused, last from {}",
                        r.last
                    );
                }
            }
        }
    }
}

pub(crate) async fn ra_loop(
    socket: Arc<RaSocket>,
    subscribers: Arc<Mutex<Vec<mpsc::Sender<RaIn>>>>,
) {
    loop {
        let m = match socket.recv().await {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(ifindex = socket.ifindex(), "ICMPv6 receive: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        if !m.hop_limit_valid() {
            tracing::debug!(src = %m.src, hop_limit = ?m.hop_limit, "RA dropped: hop limit");
            continue;
        }
        let ra = RaIn { ifindex: socket.ifindex(), src: m.src, bytes: Bytes::from(m.bytes) };
        let mut subs = lock(&subscribers);
        subs.retain(|s| !s.is_closed());
        for s in subs.iter() {
            // RAs are periodic: one lost to a busy peer is replaced by the next.
            let _ = s.try_send(ra.clone());
        }
    }
}

/// The application's handle on one peer. Dropping every clone of it ends the peer's task
/// (ManualStop first).
#[derive(Debug)]
pub struct PeerHandle {
    id: PeerId,
    commands: mpsc::Sender<Command>,
    join: JoinHandle<()>,
}

impl PeerHandle {
    /// The peer's id, as in its events.
    pub fn id(&self) -> PeerId {
        self.id
    }

    /// Runs `f` on the session inside its task, with the current time, and returns its
    /// result: the way to use any command of [`Session`] (announce, withdraw, route refresh,
    /// getters). Waits while the peer's send queue is full.
    pub async fn with<R, F>(&self, f: F) -> Result<R, Error>
    where
        F: FnOnce(&mut Session, Instant) -> R + Send + 'static,
        R: Send + 'static,
    {
        peer::call(&self.commands, f).await.ok_or(Error::PeerGone)
    }

    /// ManualStop with an optional shutdown communication (RFC 9003); the task stays.
    pub async fn stop(&self, communication: Option<String>) -> Result<(), Error> {
        self.with(move |s, now| s.stop(now, communication.as_deref())).await
    }

    /// ManualStart after a [`PeerHandle::stop`].
    pub async fn start(&self) -> Result<(), Error> {
        self.with(|s, now| s.start(now)).await
    }

    /// Stops the session (NOTIFICATION Cease with the communication, when established) and
    /// waits for the task to end.
    pub async fn shutdown(self, communication: Option<String>) {
        let _ = self.commands.send(Command::Shutdown(communication)).await;
        let _ = self.join.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, SocketAddrV6};

    #[test]
    fn accepted_connections_find_their_peer() {
        let v4 = Neighbor::Address { addr: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), scope: None };
        assert!(neighbor_matches(&v4, "192.0.2.1:40000".parse().unwrap()));
        assert!(neighbor_matches(&v4, "[::ffff:192.0.2.1]:40000".parse().unwrap()));
        assert!(!neighbor_matches(&v4, "192.0.2.2:40000".parse().unwrap()));

        let ll = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 2);
        let from = |scope| SocketAddr::V6(SocketAddrV6::new(ll, 40000, 0, scope));
        let by_if = Neighbor::Interface { name: "eth0".into(), ifindex: 4 };
        assert!(neighbor_matches(&by_if, from(4)));
        assert!(!neighbor_matches(&by_if, from(5)));
        assert!(!neighbor_matches(&by_if, "[2001:db8::1]:40000".parse().unwrap()));

        let scoped = Neighbor::Address { addr: IpAddr::V6(ll), scope: Some(4) };
        assert!(neighbor_matches(&scoped, from(4)));
        assert!(!neighbor_matches(&scoped, from(5)));
    }
}
