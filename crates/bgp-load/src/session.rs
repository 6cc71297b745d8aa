//! One BGP session over TCP, kept as small as a load tool can: we connect, send OPEN, answer
//! the peer's OPEN with KEEPALIVE (RFC 4271 §8.2.2, OpenSent and OpenConfirm), and once
//! Established send KEEPALIVEs every third of the hold time and hand every UPDATE received to
//! the caller. 4-octet AS numbers (RFC 6793) and one multiprotocol family (RFC 4760) are
//! offered; nothing else.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use bgp_wire::capability::Capability;
use bgp_wire::message::{decode_next, encode_keepalive, Message};
use bgp_wire::notification::Notification;
use bgp_wire::open::Open;
use bgp_wire::update::Update;
use bgp_wire::{Asn, Context, Family};
use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// The BGP port (RFC 4271 §8.2.1).
pub const BGP_PORT: u16 = 179;

/// Hold time we offer (RFC 4271 §4.2: the smaller of both is used).
const HOLD_TIME: u16 = 90;

/// How long the OPEN exchange may take.
const OPEN_TIMEOUT: Duration = Duration::from_secs(30);

/// Size of each read from the socket.
const READ_SIZE: usize = 64 * 1024;

/// Why a session could not be set up or went down.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// A socket call failed.
    #[error("{peer}: {what}: {source}")]
    Io {
        /// The remote address.
        peer: SocketAddr,
        /// What was being done.
        what: &'static str,
        /// The error.
        source: std::io::Error,
    },
    /// The peer sent something we could not decode.
    #[error("{peer}: malformed message: {error}")]
    Decode {
        /// The remote address.
        peer: SocketAddr,
        /// The decoder's error.
        error: bgp_wire::Error,
    },
    /// The peer sent a NOTIFICATION.
    #[error("{peer}: NOTIFICATION {code}/{subcode}")]
    Notification {
        /// The remote address.
        peer: SocketAddr,
        /// Error code.
        code: u8,
        /// Error subcode.
        subcode: u8,
    },
    /// The peer closed the connection or broke the OPEN exchange.
    #[error("{peer}: {reason}")]
    Protocol {
        /// The remote address.
        peer: SocketAddr,
        /// What happened.
        reason: String,
    },
}

/// What a session offers in its OPEN.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    /// Our source address (port 0: any).
    pub local: IpAddr,
    /// The peer's address and port.
    pub remote: SocketAddr,
    /// Our AS number.
    pub asn: u32,
    /// Our BGP Identifier.
    pub router_id: Ipv4Addr,
    /// The family offered (IPv4 unicast or IPv6 unicast).
    pub family: Family,
}

/// What the writer task is asked to do.
enum Out {
    Data(Bytes),
    /// Answered once everything queued before it is written.
    Mark(oneshot::Sender<()>),
}

/// An Established session: the writer queue and the peer's OPEN. UPDATEs go to the handler
/// given to [`establish`]; the reader and the writer are tasks that end with the connection.
pub struct Session {
    /// The peer's address.
    pub peer: SocketAddr,
    /// The OPEN the peer sent.
    pub peer_open: Open,
    out: mpsc::Sender<Out>,
    closed: oneshot::Receiver<SessionError>,
}

impl Session {
    /// Queues octets (whole messages) to be written in order.
    pub async fn send(&self, bytes: Bytes) -> Result<(), SessionError> {
        self.out.send(Out::Data(bytes)).await.map_err(|_| self.gone())
    }

    /// Waits until everything queued so far is written to the socket.
    pub async fn flush(&self) -> Result<(), SessionError> {
        let (tx, rx) = oneshot::channel();
        self.out.send(Out::Mark(tx)).await.map_err(|_| self.gone())?;
        rx.await.map_err(|_| self.gone())
    }

    /// Why the connection ended, if it has.
    pub fn down(&mut self) -> Option<SessionError> {
        self.closed.try_recv().ok()
    }

    fn gone(&self) -> SessionError {
        SessionError::Protocol { peer: self.peer, reason: "connection closed".into() }
    }
}

/// Makes the session's socket, bound to its source address. A socket belongs to the network
/// namespace of the thread that made it: call this inside the namespace (synchronously),
/// then [`establish`] from anywhere.
pub fn socket(cfg: &SessionConfig) -> Result<TcpSocket, SessionError> {
    let peer = cfg.remote;
    let io = |what| move |source| SessionError::Io { peer, what, source };
    let socket = match cfg.local {
        IpAddr::V4(_) => TcpSocket::new_v4(),
        IpAddr::V6(_) => TcpSocket::new_v6(),
    }
    .map_err(io("socket"))?;
    socket.bind(SocketAddr::new(cfg.local, 0)).map_err(io("bind"))?;
    socket.set_send_buffer_size(4 << 20).map_err(io("SO_SNDBUF"))?;
    Ok(socket)
}

/// Connects `socket` (from [`socket`]), exchanges OPEN and KEEPALIVE, and returns once
/// Established. Every UPDATE received from then on is passed to `on_update` (on the reader
/// task).
pub async fn establish<F>(
    socket: TcpSocket,
    cfg: &SessionConfig,
    mut on_update: F,
) -> Result<Session, SessionError>
where
    F: FnMut(Update) + Send + 'static,
{
    let peer = cfg.remote;
    let io = |what| move |source| SessionError::Io { peer, what, source };
    let stream = socket.connect(peer).await.map_err(io("connect"))?;
    stream.set_nodelay(true).map_err(io("TCP_NODELAY"))?;
    let (mut read, mut write) = stream.into_split();

    let ctx = Context::modern();
    let caps = vec![Capability::Multiprotocol(cfg.family), Capability::FourOctetAs(Asn(cfg.asn))];
    let open = Open::new(Asn(cfg.asn), HOLD_TIME, cfg.router_id, caps);
    let mut buf = BytesMut::new();
    Message::Open(open).encode(&ctx, &mut buf);
    write.write_all(&buf).await.map_err(io("write OPEN"))?;

    let mut rx = BytesMut::with_capacity(READ_SIZE);
    let exchange = async {
        // OpenSent: the peer's OPEN; OpenConfirm: its KEEPALIVE.
        let peer_open = match next_message(&mut read, &mut rx, &ctx, peer).await? {
            Message::Open(o) => o,
            other => return Err(unexpected(peer, &other)),
        };
        let mut ka = BytesMut::new();
        encode_keepalive(&mut ka);
        write.write_all(&ka).await.map_err(io("write KEEPALIVE"))?;
        match next_message(&mut read, &mut rx, &ctx, peer).await? {
            Message::Keepalive => Ok(peer_open),
            other => Err(unexpected(peer, &other)),
        }
    };
    let peer_open = tokio::time::timeout(OPEN_TIMEOUT, exchange).await.map_err(|_| {
        SessionError::Protocol { peer, reason: "no OPEN/KEEPALIVE within 30 s".into() }
    })??;

    // RFC 4271 §4.4: KEEPALIVEs at a third of the negotiated hold time; none when it is 0.
    let hold = peer_open.hold_time.min(HOLD_TIME);
    let keepalive = (hold > 0).then(|| Duration::from_secs(u64::from(hold / 3).max(1)));
    let (out_tx, out_rx) = mpsc::channel(8);
    let (closed_tx, closed_rx) = oneshot::channel();
    let closed_tx = std::sync::Arc::new(std::sync::Mutex::new(Some(closed_tx)));
    let report = move |e: SessionError| {
        if let Some(tx) = closed_tx.lock().ok().and_then(|mut g| g.take()) {
            let _ = tx.send(e);
        }
    };
    let report_w = report.clone();
    tokio::spawn(async move {
        if let Err(e) = writer(write, out_rx, keepalive, peer).await {
            report_w(e);
        }
    });
    tokio::spawn(async move {
        let e = loop {
            match next_message(&mut read, &mut rx, &ctx, peer).await {
                Ok(Message::Update(u)) => on_update(u),
                Ok(Message::Keepalive) | Ok(Message::RouteRefresh(_)) => {}
                Ok(other) => break unexpected(peer, &other),
                Err(e) => break e,
            }
        };
        report(e);
    });
    Ok(Session { peer, peer_open, out: out_tx, closed: closed_rx })
}

/// Writes queued octets, and a KEEPALIVE whenever the interval passed since the last one.
/// Large writes are queued in slices (see [`chunks`]) so that KEEPALIVEs go out between them.
async fn writer(
    mut write: OwnedWriteHalf,
    mut queue: mpsc::Receiver<Out>,
    keepalive: Option<Duration>,
    peer: SocketAddr,
) -> Result<(), SessionError> {
    let io = |what| move |source| SessionError::Io { peer, what, source };
    let mut ka = BytesMut::new();
    encode_keepalive(&mut ka);
    let period = keepalive.unwrap_or(Duration::from_secs(3600));
    let mut next = Instant::now() + period;
    loop {
        tokio::select! {
            biased;
            _ = tokio::time::sleep_until(next), if keepalive.is_some() => {
                write.write_all(&ka).await.map_err(io("write KEEPALIVE"))?;
                next = Instant::now() + period;
            }
            item = queue.recv() => match item {
                Some(Out::Data(b)) => {
                    write.write_all(&b).await.map_err(io("write"))?;
                    if keepalive.is_some() && Instant::now() >= next {
                        write.write_all(&ka).await.map_err(io("write KEEPALIVE"))?;
                        next = Instant::now() + period;
                    }
                }
                Some(Out::Mark(done)) => {
                    let _ = done.send(());
                }
                None => return Ok(()),
            },
        }
    }
}

/// Reads until a whole message is buffered and decodes it.
async fn next_message(
    read: &mut OwnedReadHalf,
    rx: &mut BytesMut,
    ctx: &Context,
    peer: SocketAddr,
) -> Result<Message, SessionError> {
    loop {
        match decode_next(rx, ctx) {
            Ok(Some(Message::Notification(n))) => return Err(notification(peer, &n)),
            Ok(Some(m)) => return Ok(m),
            Ok(None) => {}
            Err(error) => return Err(SessionError::Decode { peer, error }),
        }
        rx.reserve(READ_SIZE);
        let n = read.read_buf(rx).await.map_err(|source| SessionError::Io {
            peer,
            what: "read",
            source,
        })?;
        if n == 0 {
            return Err(SessionError::Protocol {
                peer,
                reason: "connection closed by peer".into(),
            });
        }
    }
}

fn notification(peer: SocketAddr, n: &Notification) -> SessionError {
    SessionError::Notification { peer, code: n.code.0, subcode: n.subcode }
}

fn unexpected(peer: SocketAddr, m: &Message) -> SessionError {
    SessionError::Protocol { peer, reason: format!("unexpected {:?} message", m.message_type()) }
}

/// Cuts a stream of whole messages into slices of about `size` octets, each ending at a
/// message boundary (`ends` are the end offsets of the messages, ascending).
pub fn chunks(bytes: &Bytes, ends: &[usize], size: usize) -> Vec<Bytes> {
    let mut out = Vec::with_capacity(bytes.len() / size.max(1) + 1);
    let mut start = 0;
    for &end in ends {
        if end - start >= size {
            out.push(bytes.slice(start..end));
            start = end;
        }
    }
    if start < bytes.len() {
        out.push(bytes.slice(start..));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_end_on_message_boundaries() {
        let bytes = Bytes::from(vec![0u8; 100]);
        let ends = [30, 60, 90, 100];
        let c = chunks(&bytes, &ends, 50);
        let lens: Vec<usize> = c.iter().map(Bytes::len).collect();
        assert_eq!(lens, [60, 40]);
        assert_eq!(chunks(&bytes, &ends, 10).len(), 4);
    }
}
