//! A minimal BGP neighbour on tokio: connect, exchange OPENs, then a reader task that
//! reports every message and a writer task that sends what it is given and a KEEPALIVE every
//! third of the hold time. It checks nothing the device under test sends beyond decoding it:
//! judging the answers is the runner's job.

use super::craft;
use bgp_wire::header::frame;
use bgp_wire::message::Message;
use bgp_wire::notification::Notification;
use bgp_wire::update::Update;
use bytes::{Bytes, BytesMut};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// Who we are on one session.
#[derive(Clone, Debug)]
pub struct Peer {
    /// Source address of the connection.
    pub source: IpAddr,
    /// Our AS.
    pub asn: u32,
    /// Our BGP Identifier.
    pub bgp_id: std::net::Ipv4Addr,
    /// The hold time we offer.
    pub hold_time: u16,
}

/// What the reader saw.
#[derive(Debug)]
pub enum Received {
    /// An UPDATE.
    Update(Update),
    /// A NOTIFICATION.
    Notification(Notification),
    /// Any other well-formed message.
    Other(Message),
    /// Octets the codec refused (the device under test sent something malformed).
    Garbage(String),
    /// The connection ended (end of stream or an error).
    Closed(String),
}

/// A session's two tasks and the channel of what it received.
pub struct Session {
    tx: mpsc::UnboundedSender<Vec<u8>>,
    /// Everything received, in order.
    pub rx: mpsc::UnboundedReceiver<Received>,
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.reader.abort();
        self.writer.abort();
    }
}

impl Session {
    /// Queues octets to send.
    pub fn send(&self, octets: Vec<u8>) {
        // A closed writer is seen by the reader as Closed; nothing to add here.
        let _ = self.tx.send(octets);
    }

    /// Sends a Cease NOTIFICATION (Administrative Shutdown) and ends both tasks once it
    /// is written.
    pub async fn close(mut self) {
        self.send(craft::notification(6, 2));
        // Let the writer flush, then drop the session (which aborts the tasks).
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            match tokio::time::timeout(Duration::from_millis(100), self.rx.recv()).await {
                Ok(Some(Received::Closed(_))) | Ok(None) => break,
                Ok(Some(_)) => {}
                Err(_) => {
                    if self.tx.is_closed() {
                        break;
                    }
                }
            }
        }
    }

    /// Next message, or `None` after `timeout`.
    pub async fn recv(&mut self, timeout: Duration) -> Option<Received> {
        tokio::time::timeout(timeout, self.rx.recv()).await.ok().flatten()
    }
}

/// Connects from `source` to `dut`, retrying until `deadline` (the device under test may
/// refuse connections for a while after a session went down).
pub async fn connect(
    source: IpAddr,
    dut: SocketAddr,
    deadline: Instant,
) -> Result<TcpStream, String> {
    let mut last = String::new();
    while Instant::now() < deadline {
        let sock = match source {
            IpAddr::V4(_) => TcpSocket::new_v4(),
            IpAddr::V6(_) => TcpSocket::new_v6(),
        }
        .map_err(|e| format!("socket: {e}"))?;
        sock.bind(SocketAddr::new(source, 0)).map_err(|e| format!("bind {source}: {e}"))?;
        match tokio::time::timeout(Duration::from_secs(2), sock.connect(dut)).await {
            Ok(Ok(s)) => {
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Ok(Err(e)) => last = e.to_string(),
            Err(_) => last = "connect timed out".into(),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(format!("connect {source} -> {dut}: {last}"))
}

/// Reads one whole message (header checked against 4096 octets) or fails.
async fn read_message(s: &mut TcpStream, buf: &mut BytesMut) -> Result<Bytes, String> {
    loop {
        match frame(buf, 4096) {
            Ok(Some(len)) => return Ok(buf.split_to(len).freeze()),
            Ok(None) => {}
            Err(e) => return Err(format!("bad header from the device under test: {e}")),
        }
        let n = s.read_buf(buf).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed".into());
        }
    }
}

/// Opens a session: connect, OPEN both ways, KEEPALIVE both ways, until `deadline`
/// (retrying while the device under test refuses or closes). Returns the session and the
/// negotiated hold time.
pub async fn establish(peer: &Peer, dut: SocketAddr, deadline: Instant) -> Result<Session, String> {
    let mut last = String::new();
    while Instant::now() < deadline {
        match try_establish(peer, dut, deadline).await {
            Ok(s) => return Ok(s),
            Err(e) => last = e,
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    Err(format!("no session from {} to {dut}: {last}", peer.source))
}

async fn try_establish(peer: &Peer, dut: SocketAddr, deadline: Instant) -> Result<Session, String> {
    let mut s = connect(peer.source, dut, deadline).await?;
    s.write_all(&craft::open(peer.asn, peer.hold_time, peer.bgp_id))
        .await
        .map_err(|e| e.to_string())?;
    let ctx = craft::ctx();
    let mut buf = BytesMut::new();
    let mut hold = None;
    let step = Duration::from_secs(10);
    loop {
        let msg = tokio::time::timeout(step, read_message(&mut s, &mut buf))
            .await
            .map_err(|_| "no answer to our OPEN".to_string())??;
        match Message::decode(msg, &ctx) {
            Ok(Message::Open(o)) => {
                hold = Some(o.hold_time.min(peer.hold_time));
                s.write_all(&craft::keepalive()).await.map_err(|e| e.to_string())?;
            }
            Ok(Message::Keepalive) if hold.is_some() => break,
            Ok(Message::Notification(n)) => {
                return Err(format!("NOTIFICATION {}/{}", n.code.0, n.subcode))
            }
            Ok(other) => return Err(format!("unexpected {:?}", other.message_type())),
            Err(e) => return Err(format!("undecodable message: {e}")),
        }
    }
    Ok(start(s, buf, hold.unwrap_or(0)))
}

/// Starts the reader and writer tasks on a connected stream; `hold_time` 0 sends no
/// KEEPALIVEs.
pub fn start(s: TcpStream, buf: BytesMut, hold_time: u16) -> Session {
    let (r, w) = s.into_split();
    let (tx, wrx) = mpsc::unbounded_channel();
    let (rtx, rx) = mpsc::unbounded_channel();
    let reader = tokio::spawn(read_loop(r, buf, rtx));
    let writer = tokio::spawn(write_loop(w, wrx, hold_time));
    Session { tx, rx, reader, writer }
}

async fn read_loop(mut r: OwnedReadHalf, mut buf: BytesMut, out: mpsc::UnboundedSender<Received>) {
    let ctx = craft::ctx();
    loop {
        loop {
            match frame(&buf, 4096) {
                Ok(Some(len)) => {
                    let msg = buf.split_to(len).freeze();
                    let item = match Message::decode(msg, &ctx) {
                        Ok(Message::Update(u)) => Received::Update(u),
                        Ok(Message::Notification(n)) => Received::Notification(n),
                        Ok(m) => Received::Other(m),
                        Err(e) => Received::Garbage(e.to_string()),
                    };
                    if out.send(item).is_err() {
                        return;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let _ = out.send(Received::Garbage(format!("bad header: {e}")));
                    let _ = out.send(Received::Closed("bad header".into()));
                    return;
                }
            }
        }
        match r.read_buf(&mut buf).await {
            Ok(0) => {
                let _ = out.send(Received::Closed("end of stream".into()));
                return;
            }
            Ok(_) => {}
            Err(e) => {
                let _ = out.send(Received::Closed(e.to_string()));
                return;
            }
        }
    }
}

async fn write_loop(mut w: OwnedWriteHalf, mut rx: mpsc::UnboundedReceiver<Vec<u8>>, hold: u16) {
    let period = Duration::from_secs(u64::from(hold / 3).max(1));
    let mut tick = tokio::time::interval(period);
    tick.tick().await;
    loop {
        tokio::select! {
            m = rx.recv() => {
                let Some(m) = m else { break };
                if w.write_all(&m).await.is_err() {
                    break;
                }
            }
            _ = tick.tick(), if hold > 0 => {
                if w.write_all(&craft::keepalive()).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = w.shutdown().await;
}
