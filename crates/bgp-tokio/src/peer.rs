//! The task that drives one `Session`: it feeds the session what the sockets, the clock and
//! the application say, and carries out what the session asks, in the order the session's
//! documentation gives (transmits, actions, events, timeout). It takes no protocol decision.
//!
//! Write progress is reported on every wake-up, before the input that woke the task: the
//! writers count what they wrote, and the session hears of it before a SendHoldTimer
//! deadline is checked, which is all that timer needs. Waking up for every write instead
//! would double the wake-ups of a busy connection for nothing.

use bgp_fsm::{Action, ConnId, Session};
use bytes::Bytes;
use std::collections::HashMap;
use std::io;
use std::net::{Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::config::Transport;
use crate::conn::{ConnInput, Connection};
use crate::connect;
use crate::ra::RaSocket;
use crate::timer::{now, Deadline};

/// A peer of a [`crate::Speaker`], numbered in the order it was added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PeerId(pub u64);

impl std::fmt::Display for PeerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "peer#{}", self.0)
    }
}

/// What a peer reports to the application.
#[derive(Debug)]
pub struct PeerEvent {
    /// Which peer.
    pub peer: PeerId,
    /// What happened.
    pub kind: PeerEventKind,
}

/// The kinds of [`PeerEvent`].
#[derive(Debug)]
#[non_exhaustive]
pub enum PeerEventKind {
    /// An event of the session (state change, routes, down, neighbour discovered, ...).
    Session(bgp_fsm::Event),
    /// A TCP connection was set up (either direction), before the session saw it.
    Connected {
        /// Our end.
        local: SocketAddr,
        /// The peer's end.
        remote: SocketAddr,
        /// Whether we connected (true) or accepted (false).
        outbound: bool,
    },
    /// An outbound connection attempt failed.
    ConnectFailed {
        /// Where to.
        addr: SocketAddr,
        /// The system's error.
        error: io::Error,
    },
    /// The peer's task ended (after [`crate::PeerHandle::shutdown`] or when every handle was
    /// dropped).
    Finished,
}

/// A closure run on the session inside its task.
pub(crate) type SessionFn = Box<dyn FnOnce(&mut Session, Instant) + Send>;

/// A command from a [`crate::PeerHandle`].
pub(crate) enum Command {
    /// Run a closure on the session.
    With(SessionFn),
    /// Stop the session (with a shutdown communication) and end the task.
    Shutdown(Option<String>),
}

/// A connection accepted by a listener for this peer.
#[derive(Debug)]
pub(crate) struct Incoming {
    pub stream: TcpStream,
    pub remote: SocketAddr,
    pub local: SocketAddr,
}

/// An ICMPv6 message from the interface of an unnumbered peer (hop limit already checked).
#[derive(Clone, Debug)]
pub(crate) struct RaIn {
    pub ifindex: u32,
    pub src: Ipv6Addr,
    pub bytes: Bytes,
}

struct ConnectDone {
    conn: ConnId,
    addr: SocketAddr,
    result: io::Result<TcpStream>,
}

enum Wake {
    Command(Option<Command>),
    Io(ConnInput),
    Connect(ConnectDone),
    Incoming(Incoming),
    Ra(RaIn),
    Timeout(Instant),
    Drained,
}

/// Everything one peer's task owns.
pub(crate) struct PeerTask {
    pub id: PeerId,
    pub session: Session,
    pub transport: Transport,
    pub limit: usize,
    pub commands: mpsc::Receiver<Command>,
    pub incoming: mpsc::Receiver<Incoming>,
    pub ra_in: Option<mpsc::Receiver<RaIn>>,
    pub ra_socket: Option<Arc<RaSocket>>,
    pub events: mpsc::Sender<PeerEvent>,
}

struct Driver {
    t: PeerTask,
    conns: HashMap<ConnId, Connection>,
    connecting: Option<(ConnId, JoinHandle<()>)>,
    next_conn: u64,
    io_tx: mpsc::Sender<ConnInput>,
    io_rx: mpsc::Receiver<ConnInput>,
    connect_tx: mpsc::Sender<ConnectDone>,
    connect_rx: mpsc::Receiver<ConnectDone>,
    deadline: Deadline,
}

/// Capacity of the channel from the connections' readers: with reads of up to 64 KiB, at
/// most this many are buffered before the readers wait.
const IO_CHANNEL: usize = 16;

async fn recv_ra(rx: &mut Option<mpsc::Receiver<RaIn>>) -> Option<RaIn> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Waits until a connection whose queue is full has written some of it.
async fn any_drained(conns: &HashMap<ConnId, Connection>) {
    match conns.values().find(|c| !c.queue.has_room()) {
        Some(c) => c.queue.drained().await,
        None => std::future::pending().await,
    }
}

impl PeerTask {
    /// Runs the session until shutdown.
    pub(crate) async fn run(self) {
        let (io_tx, io_rx) = mpsc::channel(IO_CHANNEL);
        let (connect_tx, connect_rx) = mpsc::channel(4);
        let mut d = Driver {
            t: self,
            conns: HashMap::new(),
            connecting: None,
            next_conn: 1,
            io_tx,
            io_rx,
            connect_tx,
            connect_rx,
            deadline: Deadline::new(),
        };
        d.t.session.start(now());
        d.run().await;
    }
}

impl Driver {
    async fn run(&mut self) {
        loop {
            self.drain().await;
            let room = self.conns.values().all(|c| c.queue.has_room());
            let wake = tokio::select! {
                // Back-pressure: no new work from the application while a queue is full.
                c = self.t.commands.recv(), if room => Wake::Command(c),
                Some(i) = self.io_rx.recv() => Wake::Io(i),
                Some(c) = self.connect_rx.recv() => Wake::Connect(c),
                Some(i) = self.t.incoming.recv() => Wake::Incoming(i),
                Some(r) = recv_ra(&mut self.t.ra_in) => Wake::Ra(r),
                t = self.deadline.wait() => Wake::Timeout(t),
                () = any_drained(&self.conns), if !room => Wake::Drained,
            };
            self.report_writes();
            match wake {
                Wake::Command(Some(Command::With(f))) => f(&mut self.t.session, now()),
                Wake::Command(Some(Command::Shutdown(msg))) => {
                    self.finish(msg.as_deref()).await;
                    return;
                }
                Wake::Command(None) => {
                    self.finish(None).await;
                    return;
                }
                // The read itself: the session cuts the messages out of it.
                Wake::Io(ConnInput::Bytes(conn, bytes)) => {
                    self.t.session.handle_data(now(), conn, bytes)
                }
                Wake::Io(ConnInput::Closed(conn, err)) => {
                    if let Some(e) = err {
                        tracing::debug!(peer = %self.t.id, %conn, "connection error: {e}");
                    }
                    if let Some(c) = self.conns.remove(&conn) {
                        c.close();
                    }
                    self.t.session.handle_closed(now(), conn);
                }
                Wake::Connect(done) => self.connect_done(done).await,
                Wake::Incoming(i) => self.incoming(i).await,
                Wake::Ra(ra) => {
                    if let Err(e) = self.t.session.handle_router_advertisement(
                        now(),
                        ra.ifindex,
                        ra.src,
                        &ra.bytes,
                    ) {
                        tracing::debug!(peer = %self.t.id, src = %ra.src, "bad RA: {e}");
                    }
                }
                // The deadline was checked against the clock by `Deadline::wait`.
                Wake::Timeout(t) => self.t.session.handle_timeout(t),
                Wake::Drained => {}
            }
        }
    }

    /// Tells the session which connections' writes progressed, and how much is still queued.
    fn report_writes(&mut self) {
        let now = now();
        for (id, c) in &mut self.conns {
            if let Some(queued) = c.queue.take_progress() {
                self.t.session.handle_write_progress(now, *id, queued);
            }
        }
    }

    /// ManualStop, last writes, and the end of the task.
    async fn finish(&mut self, communication: Option<&str>) {
        self.t.session.stop(now(), communication);
        self.drain().await;
        if let Some((_, h)) = self.connecting.take() {
            h.abort();
        }
        for (_, c) in self.conns.drain() {
            c.close();
        }
        self.emit(PeerEventKind::Finished).await;
    }

    /// Drains the session's outputs in the documented order.
    async fn drain(&mut self) {
        while let Some(t) = self.t.session.poll_transmit() {
            match self.conns.get(&t.conn) {
                Some(c) => {
                    if !c.queue.push(t.bytes) {
                        tracing::debug!(peer = %self.t.id, conn = %t.conn, "writer gone");
                    }
                }
                None => {
                    tracing::debug!(peer = %self.t.id, conn = %t.conn, "write on a closed connection")
                }
            }
        }
        while let Some(a) = self.t.session.poll_action() {
            self.action(a);
        }
        // Hold time 0 negotiated: no KEEPALIVE and no hold timer, so TCP keepalive is what
        // finds a dead peer.
        if self.t.session.negotiated().is_some_and(|n| n.hold_time == 0) {
            let conn = self.t.session.established_conn();
            if let Some(c) = conn.and_then(|id| self.conns.get_mut(&id)) {
                c.queue.enable_tcp_keepalive();
            }
        }
        while let Some(e) = self.t.session.poll_event() {
            self.emit(PeerEventKind::Session(e)).await;
        }
        self.deadline.set(self.t.session.poll_timeout());
    }

    async fn emit(&self, kind: PeerEventKind) {
        // A receiver that went away is no reason to stop the session.
        let _ = self.t.events.send(PeerEvent { peer: self.t.id, kind }).await;
    }

    fn new_conn(&mut self) -> ConnId {
        let id = ConnId(self.next_conn);
        self.next_conn += 1;
        id
    }

    fn action(&mut self, a: Action) {
        match a {
            Action::Connect { addr, .. } => {
                // "A new Connect replaces any attempt still in progress."
                if let Some((_, h)) = self.connecting.take() {
                    h.abort();
                }
                let conn = self.new_conn();
                let transport = self.t.transport.clone();
                let tx = self.connect_tx.clone();
                tracing::debug!(peer = %self.t.id, %conn, %addr, "connecting");
                let h = tokio::spawn(async move {
                    let result = connect::connect(addr, &transport).await;
                    let _ = tx.send(ConnectDone { conn, addr, result }).await;
                });
                self.connecting = Some((conn, h));
            }
            Action::Close { conn } => {
                if let Some(c) = self.conns.remove(&conn) {
                    c.close();
                }
                if self.connecting.as_ref().is_some_and(|(id, _)| *id == conn) {
                    if let Some((_, h)) = self.connecting.take() {
                        h.abort();
                    }
                }
            }
            Action::SendRa { ifindex, bytes } => match &self.t.ra_socket {
                Some(s) if s.ifindex() == ifindex => {
                    let s = s.clone();
                    tokio::spawn(async move {
                        if let Err(e) = s.send(&bytes).await {
                            tracing::warn!(ifindex, "sending a router advertisement: {e}");
                        }
                    });
                }
                _ => tracing::warn!(ifindex, "no ICMPv6 socket for this interface"),
            },
            other => tracing::warn!(peer = %self.t.id, "action not supported: {other:?}"),
        }
    }

    async fn connect_done(&mut self, done: ConnectDone) {
        if self.connecting.as_ref().map(|(id, _)| *id) != Some(done.conn) {
            return; // replaced by a newer attempt
        }
        self.connecting = None;
        match done.result {
            Ok(stream) => {
                let local = match stream.local_addr() {
                    Ok(a) => a,
                    Err(e) => {
                        tracing::debug!("local address: {e}");
                        self.t.session.handle_connect_failed(now());
                        return;
                    }
                };
                self.emit(PeerEventKind::Connected { local, remote: done.addr, outbound: true })
                    .await;
                let c = Connection::spawn(done.conn, stream, self.io_tx.clone(), self.t.limit);
                self.conns.insert(done.conn, c);
                self.t.session.handle_connected(now(), done.conn, local);
            }
            Err(error) => {
                tracing::debug!(peer = %self.t.id, addr = %done.addr, "connect failed: {error}");
                self.t.session.handle_connect_failed(now());
                self.emit(PeerEventKind::ConnectFailed { addr: done.addr, error }).await;
            }
        }
    }

    async fn incoming(&mut self, i: Incoming) {
        if let Err(e) = connect::accepted(&i.stream, &self.t.transport) {
            // Dropping the stream closes it; the session never sees it.
            tracing::warn!(peer = %self.t.id, remote = %i.remote, "connection refused: {e}");
            return;
        }
        let conn = self.new_conn();
        self.emit(PeerEventKind::Connected { local: i.local, remote: i.remote, outbound: false })
            .await;
        let c = Connection::spawn(conn, i.stream, self.io_tx.clone(), self.t.limit);
        self.conns.insert(conn, c);
        let ifindex = match i.remote {
            SocketAddr::V6(a) if a.scope_id() != 0 => Some(a.scope_id()),
            _ => None,
        };
        self.t.session.handle_incoming(now(), conn, i.remote, i.local, ifindex);
    }
}

/// Sends a command and waits for the closure's result.
pub(crate) async fn call<R, F>(tx: &mpsc::Sender<Command>, f: F) -> Option<R>
where
    F: FnOnce(&mut Session, Instant) -> R + Send + 'static,
    R: Send + 'static,
{
    let (rtx, rrx) = oneshot::channel();
    let cmd = Command::With(Box::new(move |s, now| {
        let _ = rtx.send(f(s, now));
    }));
    tx.send(cmd).await.ok()?;
    rrx.await.ok()
}
