//! One task for a whole [`bgp_speaker::Speaker`]: listeners, outbound connections, the
//! connections' readers and writers, Router Advertisement sockets and one timer, feeding
//! the speaker and carrying out what it asks. It takes no protocol decision.
//!
//! The application talks to the task through a [`RouterHandle`] and hears from it through
//! a channel of [`Notice`]s. The task never waits for the application: when the channel is
//! full, what is still to be said stays in the speaker, where events are bounded and route
//! changes coalesce per prefix, and the sessions go on (KEEPALIVEs, timers, other
//! neighbours) while the application catches up.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bgp_fsm::{Action, ConnId, Neighbor};
use bgp_speaker::{Event, NeighborConfig, NeighborId, RouteChange, Speaker};
use ipnet::IpNet;
use rib::{FibChange, PathAttrs, Route};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::config::{ListenConfig, Transport, DEFAULT_SEND_QUEUE_LIMIT};
use crate::conn::{ConnInput, Connection};
use crate::connect;
use crate::peer::RaIn;
use crate::ra::RaSocket;
use crate::refused::Refusals;
use crate::speaker::{bind_listener, install_gtsm, install_md5, io_err, ra_loop, Error};
use crate::timer::{now, Deadline};

/// What the router tells the application.
#[derive(Debug)]
#[non_exhaustive]
pub enum Notice {
    /// Something happened to a neighbour.
    Event(Event),
    /// A prefix's best path changed (coalesced per prefix).
    Route(RouteChange),
    /// A change to the forwarding table, for whoever programs the kernel.
    Fib(FibChange),
}

/// The router's settings besides the speaker.
#[derive(Clone, Debug)]
pub struct RouterConfig {
    /// Listeners; `None` accepts no connection.
    pub listen: Option<ListenConfig>,
    /// Capacity of the notice channel (when full, notices wait inside the speaker).
    pub notice_capacity: usize,
    /// Octets a connection may have queued before it is reported to the speaker as stuck
    /// (the send hold timer, RFC 9687, then decides).
    pub send_queue_limit: usize,
    /// Send forwarding changes as notices (a program that does not program the kernel can
    /// leave them off).
    pub fib_notices: bool,
}

impl Default for RouterConfig {
    fn default() -> Self {
        RouterConfig {
            listen: Some(ListenConfig::default()),
            notice_capacity: 1024,
            send_queue_limit: DEFAULT_SEND_QUEUE_LIMIT,
            fib_notices: false,
        }
    }
}

type Job = Box<dyn FnOnce(&mut Task, Instant) + Send>;

/// The application's handle on the router; clones share the task, which ends when the last
/// one is dropped or [`RouterHandle::shutdown`] is called.
#[derive(Clone)]
pub struct RouterHandle {
    jobs: mpsc::Sender<Job>,
    local_addrs: Arc<Vec<SocketAddr>>,
}

impl std::fmt::Debug for RouterHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouterHandle").field("listening", &self.local_addrs).finish()
    }
}

/// Starts the router's task for `speaker`; returns its handle and the channel of notices.
/// Must be called inside a tokio runtime.
pub fn spawn(
    speaker: Speaker,
    cfg: RouterConfig,
) -> Result<(RouterHandle, mpsc::Receiver<Notice>), Error> {
    let mut listeners = Vec::new();
    if let Some(l) = &cfg.listen {
        for &ip in &l.addrs {
            let addr = SocketAddr::new(ip, l.port);
            match bind_listener(addr) {
                Ok(s) => listeners.push((Arc::new(s), ip.is_ipv6())),
                Err(e) if ip.is_ipv6() && e.raw_os_error() == Some(libc::EAFNOSUPPORT) => {
                    tracing::warn!(%addr, "IPv6 unavailable, not listening: {e}");
                }
                Err(e) => return Err(io_err(format!("listen on {addr}"))(e)),
            }
        }
    }
    let local_addrs = Arc::new(listeners.iter().filter_map(|(l, _)| l.local_addr().ok()).collect());
    let (accept_tx, accept_rx) = mpsc::channel(64);
    let accept_tasks = listeners
        .iter()
        .map(|(l, _)| tokio::spawn(accept_loop(l.clone(), accept_tx.clone())))
        .collect();
    let (io_tx, io_rx) = mpsc::channel(64);
    let (connect_tx, connect_rx) = mpsc::channel(64);
    let (ra_tx, ra_rx) = mpsc::channel(64);
    let (jobs_tx, jobs_rx) = mpsc::channel(64);
    let (notice_tx, notice_rx) = mpsc::channel(cfg.notice_capacity.max(1));
    let task = Task {
        speaker,
        cfg,
        listeners,
        accept_tasks,
        conns: HashMap::new(),
        connecting: HashMap::new(),
        next_conn: 1,
        transports: HashMap::new(),
        ra: HashMap::new(),
        io_tx,
        connect_tx,
        ra_tx,
        notices: notice_tx,
        stash: None,
        stopping: false,
        refusals: Refusals::default(),
    };
    tokio::spawn(task.run(jobs_rx, accept_rx, io_rx, connect_rx, ra_rx));
    Ok((RouterHandle { jobs: jobs_tx, local_addrs }, notice_rx))
}

impl RouterHandle {
    /// The addresses the listeners are bound to.
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.local_addrs
    }

    /// Runs `f` on the speaker inside the task, with the current time: any command or
    /// getter of [`Speaker`].
    pub async fn with<R, F>(&self, f: F) -> Result<R, Error>
    where
        F: FnOnce(&mut Speaker, Instant) -> R + Send + 'static,
        R: Send + 'static,
    {
        self.job(move |t, now| f(&mut t.speaker, now)).await
    }

    async fn job<R, F>(&self, f: F) -> Result<R, Error>
    where
        F: FnOnce(&mut Task, Instant) -> R + Send + 'static,
        R: Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |t, now| {
            let _ = tx.send(f(t, now));
        });
        self.jobs.send(job).await.map_err(|_| Error::PeerGone)?;
        rx.await.map_err(|_| Error::PeerGone)
    }

    /// Adds a neighbour with its socket settings and starts its session.
    pub async fn add_neighbor(
        &self,
        cfg: NeighborConfig,
        transport: Transport,
    ) -> Result<NeighborId, Error> {
        self.job(move |t, now| t.add_neighbor(now, cfg, transport)).await?
    }

    /// Removes a neighbour (Cease, Peer De-configured); the others are not touched.
    pub async fn remove_neighbor(&self, id: NeighborId) -> Result<(), Error> {
        self.job(move |t, now| {
            t.speaker.remove_neighbor(now, id);
            // Its number may go to another neighbour, a dynamic one without socket settings.
            t.transports.remove(&id);
        })
        .await
    }

    /// Originates a prefix.
    pub async fn announce(&self, prefix: IpNet, attrs: PathAttrs) -> Result<(), Error> {
        self.with(move |s, now| s.announce(now, prefix, &attrs)).await
    }

    /// Stops originating a prefix.
    pub async fn withdraw(&self, prefix: IpNet) -> Result<(), Error> {
        self.with(move |s, now| s.withdraw(now, prefix)).await
    }

    /// A route of another protocol (connected, static, kernel, OSPF).
    pub async fn add_route(&self, route: Route) -> Result<(), Error> {
        self.with(move |s, now| s.add_route(now, &route)).await
    }

    /// Stops the task: every session is stopped (Cease, Administrative Shutdown).
    pub async fn shutdown(self) {
        let _ = self
            .job(|t, now| {
                let ids: Vec<NeighborId> = t.speaker.neighbor_ids().collect();
                for id in ids {
                    t.speaker.remove_neighbor(now, id);
                }
                t.pump();
                t.stopping = true;
            })
            .await;
    }
}

struct ConnectDone {
    neighbor: NeighborId,
    conn: ConnId,
    result: std::io::Result<TcpStream>,
}

struct Accepted {
    stream: TcpStream,
    remote: SocketAddr,
    local: SocketAddr,
}

struct Task {
    speaker: Speaker,
    cfg: RouterConfig,
    listeners: Vec<(Arc<TcpListener>, bool)>,
    accept_tasks: Vec<JoinHandle<()>>,
    conns: HashMap<ConnId, (NeighborId, Connection)>,
    connecting: HashMap<NeighborId, (ConnId, JoinHandle<()>)>,
    next_conn: u64,
    transports: HashMap<NeighborId, Transport>,
    ra: HashMap<u32, (Arc<RaSocket>, JoinHandle<()>)>,
    io_tx: mpsc::Sender<ConnInput>,
    connect_tx: mpsc::Sender<ConnectDone>,
    ra_tx: mpsc::Sender<RaIn>,
    notices: mpsc::Sender<Notice>,
    /// A notice the full channel did not take; nothing more is taken from the speaker
    /// until it goes.
    stash: Option<Notice>,
    stopping: bool,
    /// Connections closed after accept without reaching a session.
    refusals: Refusals,
}

impl Drop for Task {
    fn drop(&mut self) {
        for t in &self.accept_tasks {
            t.abort();
        }
        for (_, (_, h)) in self.ra.drain() {
            h.abort();
        }
        for (_, (_, h)) in self.connecting.drain() {
            h.abort();
        }
    }
}

impl Task {
    async fn run(
        mut self,
        mut jobs: mpsc::Receiver<Job>,
        mut accepts: mpsc::Receiver<Accepted>,
        mut io: mpsc::Receiver<ConnInput>,
        mut connects: mpsc::Receiver<ConnectDone>,
        mut ras: mpsc::Receiver<RaIn>,
    ) {
        let mut deadline = Deadline::new();
        loop {
            self.pump();
            if self.stopping {
                for (_, (_, c)) in self.conns.drain() {
                    c.close();
                }
                return;
            }
            deadline.set(self.speaker.poll_timeout());
            let notices = self.notices.clone();
            let waiting = self.stash.is_some();
            tokio::select! {
                j = jobs.recv() => match j {
                    Some(j) => j(&mut self, now()),
                    None => {
                        self.stopping = true;
                    }
                },
                Some(a) = accepts.recv() => self.accepted(a),
                Some(i) = io.recv() => self.io(i),
                Some(c) = connects.recv() => self.connected(c),
                Some(r) = ras.recv() => self.speaker.handle_router_advertisement(now(), r.ifindex, r.src, &r.bytes),
                t = deadline.wait() => self.speaker.handle_timeout(t),
                permit = notices.reserve(), if waiting => {
                    if let (Ok(p), Some(n)) = (permit, self.stash.take()) {
                        p.send(n);
                    }
                }
            }
        }
    }

    /// Carries out what the speaker asks, reports write progress, and hands the
    /// application what its channel can take.
    fn pump(&mut self) {
        let now = now();
        for (conn, (nb, c)) in &mut self.conns {
            if let Some(unwritten) = c.queue.take_progress() {
                self.speaker.handle_write_progress(now, *nb, *conn, unwritten);
            }
        }
        while let Some((_, t)) = self.speaker.poll_transmit() {
            match self.conns.get(&t.conn) {
                Some((_, c)) => {
                    if !c.queue.push(t.bytes) {
                        tracing::debug!(conn = %t.conn, "writer gone");
                    }
                }
                None => tracing::debug!(conn = %t.conn, "write on a closed connection"),
            }
        }
        while let Some((nb, a)) = self.speaker.poll_action() {
            self.action(nb, a);
        }
        // Hold time 0 negotiated: no KEEPALIVE and no hold timer, so TCP keepalive is what
        // finds a dead peer.
        for (conn, (nb, c)) in &mut self.conns {
            let hold_zero = self.speaker.session(*nb).is_some_and(|s| {
                s.established_conn() == Some(*conn)
                    && s.negotiated().is_some_and(|n| n.hold_time == 0)
            });
            if hold_zero {
                c.queue.enable_tcp_keepalive();
            }
        }
        while self.stash.is_none() {
            let n = match self.speaker.poll_event() {
                Some(e) => Notice::Event(e),
                None => match self.speaker.poll_route_change() {
                    Some(r) => Notice::Route(r),
                    None if self.cfg.fib_notices => match self.speaker.poll_fib() {
                        Some(f) => Notice::Fib(f),
                        None => break,
                    },
                    None => break,
                },
            };
            match self.notices.try_send(n) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(n)) => self.stash = Some(n),
                Err(mpsc::error::TrySendError::Closed(_)) => break,
            }
        }
    }

    fn add_neighbor(
        &mut self,
        now: Instant,
        mut cfg: NeighborConfig,
        transport: Transport,
    ) -> Result<NeighborId, Error> {
        // Everything is checked before a socket is touched.
        transport.validate()?;
        cfg.session.validate()?;
        install_md5(&self.listeners, &cfg.session.neighbor, &transport)?;
        install_gtsm(&self.listeners, &cfg.session.neighbor, &transport)?;
        if let Neighbor::Interface { name, ifindex } = &cfg.session.neighbor {
            self.open_ra(name, *ifindex)?;
            // Our RAs carry the interface's link-layer address (RFC 4861 §4.2), a fact of
            // the host the session cannot know.
            let ra = &mut cfg.session.ra;
            if ra.source_link_layer_address.is_none() {
                ra.source_link_layer_address = crate::sockopt::if_hardware_address(name).ok();
            }
        }
        let id = self.speaker.add_neighbor(now, cfg).map_err(|e| Error::Io {
            what: "neighbor configuration".into(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()),
        })?;
        self.transports.insert(id, transport);
        Ok(id)
    }

    fn open_ra(&mut self, name: &str, ifindex: u32) -> Result<(), Error> {
        if self.ra.contains_key(&ifindex) {
            return Ok(());
        }
        let socket = Arc::new(
            RaSocket::open(name, ifindex).map_err(io_err(format!("ICMPv6 socket on {name}")))?,
        );
        let subs = Arc::new(Mutex::new(vec![self.ra_tx.clone()]));
        let task = tokio::spawn(ra_loop(socket.clone(), subs));
        self.ra.insert(ifindex, (socket, task));
        Ok(())
    }

    fn action(&mut self, nb: NeighborId, a: Action) {
        match a {
            Action::Connect { addr, .. } => {
                if let Some((_, h)) = self.connecting.remove(&nb) {
                    h.abort();
                }
                let conn = ConnId(self.next_conn);
                self.next_conn += 1;
                let transport = self.transports.get(&nb).cloned().unwrap_or_default();
                let tx = self.connect_tx.clone();
                let h = tokio::spawn(async move {
                    let result = connect::connect(addr, &transport).await;
                    let _ = tx.send(ConnectDone { neighbor: nb, conn, result }).await;
                });
                self.connecting.insert(nb, (conn, h));
            }
            Action::Close { conn } => {
                if let Some((_, c)) = self.conns.remove(&conn) {
                    c.close();
                }
                if self.connecting.get(&nb).is_some_and(|(c, _)| *c == conn) {
                    if let Some((_, h)) = self.connecting.remove(&nb) {
                        h.abort();
                    }
                }
            }
            Action::SendRa { ifindex, bytes } => match self.ra.get(&ifindex) {
                Some((s, _)) => {
                    let s = s.clone();
                    tokio::spawn(async move {
                        if let Err(e) = s.send(&bytes).await {
                            tracing::warn!(ifindex, "sending a router advertisement: {e}");
                        }
                    });
                }
                None => tracing::warn!(ifindex, "no ICMPv6 socket for this interface"),
            },
            other => tracing::warn!(neighbor = %nb, "action not supported: {other:?}"),
        }
    }

    fn connected(&mut self, done: ConnectDone) {
        if self.connecting.get(&done.neighbor).map(|(c, _)| *c) != Some(done.conn) {
            return;
        }
        self.connecting.remove(&done.neighbor);
        let now = now();
        match done.result.and_then(|s| s.local_addr().map(|l| (s, l))) {
            Ok((stream, local)) => {
                let c = Connection::spawn(
                    done.conn,
                    stream,
                    self.io_tx.clone(),
                    self.cfg.send_queue_limit,
                );
                self.conns.insert(done.conn, (done.neighbor, c));
                self.speaker.handle_connected(now, done.neighbor, done.conn, local);
            }
            Err(e) => {
                tracing::debug!(neighbor = %done.neighbor, "connect failed: {e}");
                self.speaker.handle_connect_failed(now, done.neighbor);
            }
        }
    }

    fn accepted(&mut self, a: Accepted) {
        let ifindex = match a.remote {
            SocketAddr::V6(x) if x.scope_id() != 0 => Some(x.scope_id()),
            _ => None,
        };
        let remote = SocketAddr::new(crate::speaker::canonical(a.remote.ip()), a.remote.port());
        // A configured neighbour's socket settings are checked first (GTSM fails closed):
        // a connection that fails them is dropped before the speaker sees it.
        let known = self.speaker.neighbor_for(remote, ifindex);
        if let Some(t) = known.and_then(|nb| self.transports.get(&nb)) {
            if let Err(e) = connect::accepted(&a.stream, t) {
                if let Some(r) = self.refusals.refused(now(), remote) {
                    tracing::warn!(
                        count = r.count,
                        total = r.total,
                        "connection from {remote} refused: {e}"
                    );
                }
                return;
            }
        }
        // The speaker decides: a configured neighbour, a dynamic one it makes from a listen
        // range, or none (the stream is dropped, which closes it). What it queued for the
        // connection is written once the connection is in `conns`, by the next `pump`.
        let conn = ConnId(self.next_conn);
        self.next_conn += 1;
        let Some(nb) = self.speaker.handle_incoming(now(), conn, remote, a.local, ifindex) else {
            // Closed at once (the stream is dropped), counted, and logged at most once a
            // second: any host can reach the listener.
            if let Some(r) = self.refusals.refused(now(), remote) {
                tracing::info!(
                    count = r.count,
                    total = r.total,
                    "connections refused (no neighbour, or its listen range is full), last from {}",
                    r.last
                );
            }
            return;
        };
        let c = Connection::spawn(conn, a.stream, self.io_tx.clone(), self.cfg.send_queue_limit);
        self.conns.insert(conn, (nb, c));
    }

    fn io(&mut self, i: ConnInput) {
        let now = now();
        match i {
            ConnInput::Bytes(conn, bytes) => {
                if let Some((nb, _)) = self.conns.get(&conn) {
                    let nb = *nb;
                    self.speaker.handle_data(now, nb, conn, bytes);
                }
            }
            ConnInput::Closed(conn, err) => {
                if let Some(e) = err {
                    tracing::debug!(%conn, "connection error: {e}");
                }
                if let Some((nb, c)) = self.conns.remove(&conn) {
                    c.close();
                    self.speaker.handle_closed(now, nb, conn);
                }
            }
        }
    }
}

async fn accept_loop(listener: Arc<TcpListener>, tx: mpsc::Sender<Accepted>) {
    loop {
        let (stream, remote) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!("accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(local) = stream.local_addr() else { continue };
        if tx.send(Accepted { stream, remote, local }).await.is_err() {
            return;
        }
    }
}
