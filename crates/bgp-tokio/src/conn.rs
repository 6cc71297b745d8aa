//! One TCP connection: a reader task that forwards octets to the peer's task, and a writer
//! task that writes queued messages in batches.
//!
//! Framing is not done here: `Session::handle_data` frames by the header's Length field
//! (RFC 4271 §4.1), so the reader hands over whatever `read` returned. It reads into one
//! reused `BytesMut` and hands over each read as a frozen [`Bytes`]
//! (`split().freeze()`): the session cuts messages out of it without copying, so the octets
//! read are the octets the application gets.
//!
//! Write progress: the writer counts the octets it wrote ([`SendQueue::take_progress`]); the
//! peer's task passes that on to `Session::handle_write_progress`, which the SendHoldTimer
//! (RFC 9687) watches.
//!
//! Back-pressure: the writer's queue counts its octets; the peer's task looks at that count
//! ([`SendQueue::has_room`]) before it takes more work from the application, and the reader
//! waits for room in a bounded channel before it reads again, so neither a slow peer nor a
//! slow application makes memory grow without bound.

use bgp_fsm::ConnId;
use bytes::{Bytes, BytesMut};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;

/// Largest batch written with one `write_all`.
const BATCH: usize = 64 * 1024;
/// Size of one read.
const READ_SIZE: usize = 64 * 1024;
/// How long a closing connection may take to write what is queued (a NOTIFICATION, usually)
/// before the socket is dropped anyway: a peer that stopped reading must not hold it open.
pub const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// TCP keepalive of a session whose negotiated hold time is 0 (no KEEPALIVE messages, no
/// hold timer): the first probe after this long without traffic...
pub const TCP_KEEPALIVE_IDLE: Duration = Duration::from_secs(30);
/// ...then one probe this often...
pub const TCP_KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);
/// ...and the connection is dropped after this many unanswered probes: a dead peer is
/// found within a minute.
pub const TCP_KEEPALIVE_PROBES: u32 = 3;

/// What a connection reports to its peer's task.
#[derive(Debug)]
pub enum ConnInput {
    /// Octets read.
    Bytes(ConnId, Bytes),
    /// The connection ended (end of stream or an error).
    Closed(ConnId, Option<std::io::Error>),
}

enum WriterCmd {
    Data(Bytes),
    TcpKeepalive,
    Close,
}

/// Octets queued for a connection, shared between the peer's task and the writer.
#[derive(Debug, Default)]
pub struct QueueState {
    queued: AtomicUsize,
    /// Octets written since the connection opened.
    written: AtomicU64,
    drained: Notify,
}

/// The write side of a connection, as the peer's task holds it.
#[derive(Debug)]
pub struct SendQueue {
    tx: mpsc::UnboundedSender<WriterCmd>,
    state: Arc<QueueState>,
    limit: usize,
    /// [`QueueState::written`] when progress was last taken.
    reported: u64,
    /// TCP keepalive was asked for.
    tcp_keepalive: bool,
}

impl std::fmt::Debug for WriterCmd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriterCmd::Data(b) => write!(f, "Data({} octets)", b.len()),
            WriterCmd::TcpKeepalive => f.write_str("TcpKeepalive"),
            WriterCmd::Close => f.write_str("Close"),
        }
    }
}

impl SendQueue {
    /// Queues one message; false when the writer is gone.
    pub fn push(&self, bytes: Bytes) -> bool {
        self.state.queued.fetch_add(bytes.len(), Ordering::AcqRel);
        self.tx.send(WriterCmd::Data(bytes)).is_ok()
    }

    /// Turns on TCP keepalive ([`TCP_KEEPALIVE_IDLE`], [`TCP_KEEPALIVE_INTERVAL`],
    /// [`TCP_KEEPALIVE_PROBES`]): for a session with hold time 0, whose peer would never be
    /// found dead otherwise. A connection the kernel drops ends as any other.
    /// Only the first call does anything.
    pub fn enable_tcp_keepalive(&mut self) {
        if !self.tcp_keepalive {
            self.tcp_keepalive = true;
            let _ = self.tx.send(WriterCmd::TcpKeepalive);
        }
    }

    /// Asks the writer to finish what is queued and close.
    pub fn close(&self) {
        let _ = self.tx.send(WriterCmd::Close);
    }

    /// Octets queued and not yet written.
    pub fn queued(&self) -> usize {
        self.state.queued.load(Ordering::Acquire)
    }

    /// Whether the queue is below its limit.
    pub fn has_room(&self) -> bool {
        self.queued() < self.limit
    }

    /// Resolves when the writer has written a batch (the queue may have room again).
    pub async fn drained(&self) {
        self.state.drained.notified().await;
    }

    /// When the writer wrote something since the last call, the octets still queued (0:
    /// everything pushed so far is written).
    pub fn take_progress(&mut self) -> Option<usize> {
        // The writer lowers `queued` before it raises `written`, so `written` is read first:
        // a write landing between the two loads is seen in `queued` now and reported again
        // next time, and a queue that is empty is never reported as still holding octets.
        let written = self.state.written.load(Ordering::Acquire);
        let queued = self.queued();
        if written == self.reported {
            return None;
        }
        self.reported = written;
        Some(queued)
    }
}

/// The tasks of one connection.
#[derive(Debug)]
pub struct Connection {
    /// The write side.
    pub queue: SendQueue,
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
}

impl Connection {
    /// Splits `stream` and spawns its reader and writer. `input` receives what the reader
    /// read and the end of the connection; `limit` is the writer queue's bound in octets.
    pub fn spawn(
        id: ConnId,
        stream: TcpStream,
        input: mpsc::Sender<ConnInput>,
        limit: usize,
    ) -> Connection {
        let _ = stream.set_nodelay(true);
        let (rd, wr) = stream.into_split();
        let (tx, rx) = mpsc::unbounded_channel();
        let state = Arc::new(QueueState::default());
        let reader = tokio::spawn(read_loop(id, rd, input.clone()));
        let writer = tokio::spawn(write_loop(id, wr, rx, state.clone(), input));
        Connection {
            queue: SendQueue { tx, state, limit, reported: 0, tcp_keepalive: false },
            reader,
            writer,
        }
    }

    /// Stops reading now, writes what is queued (for at most [`CLOSE_GRACE`]) and closes.
    pub fn close(self) {
        self.reader.abort();
        self.queue.close();
        let writer = self.writer;
        tokio::spawn(async move {
            let abort = writer.abort_handle();
            if tokio::time::timeout(CLOSE_GRACE, writer).await.is_err() {
                abort.abort();
            }
        });
    }
}

async fn read_loop(id: ConnId, mut rd: OwnedReadHalf, input: mpsc::Sender<ConnInput>) {
    let mut buf = BytesMut::with_capacity(READ_SIZE);
    loop {
        buf.reserve(READ_SIZE);
        match rd.read_buf(&mut buf).await {
            Ok(0) => {
                let _ = input.send(ConnInput::Closed(id, None)).await;
                return;
            }
            Ok(_) => {
                // Waiting here for room is the receive side's back-pressure.
                if input.send(ConnInput::Bytes(id, buf.split().freeze())).await.is_err() {
                    return;
                }
            }
            Err(e) => {
                let _ = input.send(ConnInput::Closed(id, Some(e))).await;
                return;
            }
        }
    }
}

fn set_tcp_keepalive(wr: &OwnedWriteHalf) -> std::io::Result<()> {
    let ka = socket2::TcpKeepalive::new()
        .with_time(TCP_KEEPALIVE_IDLE)
        .with_interval(TCP_KEEPALIVE_INTERVAL)
        .with_retries(TCP_KEEPALIVE_PROBES);
    socket2::SockRef::from(wr.as_ref()).set_tcp_keepalive(&ka)
}

async fn write_loop(
    id: ConnId,
    mut wr: OwnedWriteHalf,
    mut rx: mpsc::UnboundedReceiver<WriterCmd>,
    state: Arc<QueueState>,
    input: mpsc::Sender<ConnInput>,
) {
    let mut batch = BytesMut::new();
    let mut closing = false;
    while !closing {
        let Some(first) = rx.recv().await else {
            break;
        };
        let push = |cmd: WriterCmd, batch: &mut BytesMut| match cmd {
            WriterCmd::Data(b) => {
                batch.extend_from_slice(&b);
                false
            }
            WriterCmd::TcpKeepalive => {
                if let Err(e) = set_tcp_keepalive(&wr) {
                    tracing::warn!(%id, "TCP keepalive: {e}");
                }
                false
            }
            WriterCmd::Close => true,
        };
        closing = push(first, &mut batch);
        // Coalesce what is already queued into one write.
        while !closing && batch.len() < BATCH {
            match rx.try_recv() {
                Ok(cmd) => closing = push(cmd, &mut batch),
                Err(_) => break,
            }
        }
        if !batch.is_empty() {
            let n = batch.len();
            if let Err(e) = wr.write_all(&batch).await {
                let _ = input.send(ConnInput::Closed(id, Some(e))).await;
                return;
            }
            batch.clear();
            state.queued.fetch_sub(n, Ordering::AcqRel);
            state.written.fetch_add(n as u64, Ordering::AcqRel);
            state.drained.notify_one();
        }
    }
    let _ = wr.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    async fn pair() -> (TcpStream, TcpStream) {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let a = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        let (b, _) = l.accept().await.unwrap();
        (a, b)
    }

    #[tokio::test]
    async fn bytes_in_order_then_close() {
        let (a, mut b) = pair().await;
        let (tx, mut rx) = mpsc::channel(8);
        let c = Connection::spawn(ConnId(7), a, tx, 1 << 20);
        for i in 0..100u8 {
            assert!(c.queue.push(Bytes::from(vec![i; 19])));
        }
        c.close();
        let mut got = Vec::new();
        b.read_to_end(&mut got).await.unwrap();
        let want: Vec<u8> = (0..100u8).flat_map(|i| vec![i; 19]).collect();
        assert_eq!(got, want);
        // Reading was stopped by the close: nothing more is reported but perhaps the end.
        drop(b);
        while let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
            assert!(matches!(m, ConnInput::Closed(ConnId(7), _)));
        }
    }

    #[tokio::test]
    async fn reader_reports_bytes_and_end() {
        let (a, mut b) = pair().await;
        let (tx, mut rx) = mpsc::channel(8);
        let _c = Connection::spawn(ConnId(1), a, tx, 1 << 20);
        b.write_all(b"hello").await.unwrap();
        drop(b);
        let mut got = Vec::new();
        loop {
            match rx.recv().await.unwrap() {
                ConnInput::Bytes(ConnId(1), bytes) => got.extend_from_slice(&bytes),
                ConnInput::Closed(ConnId(1), None) => break,
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(got, b"hello");
    }

    /// With hold time 0 no KEEPALIVE ever comes: the socket's own keepalive finds a dead
    /// peer instead.
    #[tokio::test]
    async fn tcp_keepalive_is_enabled_on_request() {
        use std::os::fd::AsFd;
        let (a, _b) = pair().await;
        // A second descriptor of the same socket, to read its options back.
        let probe = socket2::Socket::from(a.as_fd().try_clone_to_owned().unwrap());
        assert!(!probe.keepalive().unwrap());
        let (tx, _rx) = mpsc::channel(8);
        let mut c = Connection::spawn(ConnId(4), a, tx, 1 << 20);
        c.queue.enable_tcp_keepalive();
        tokio::time::timeout(Duration::from_secs(5), async {
            while !probe.keepalive().unwrap() {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
        .await
        .expect("SO_KEEPALIVE set");
        assert_eq!(probe.keepalive_time().unwrap(), TCP_KEEPALIVE_IDLE);
        assert_eq!(probe.keepalive_interval().unwrap(), TCP_KEEPALIVE_INTERVAL);
        assert_eq!(probe.keepalive_retries().unwrap(), TCP_KEEPALIVE_PROBES);
        c.close();
    }

    #[tokio::test]
    async fn write_progress_is_taken_once() {
        let (a, mut b) = pair().await;
        let (tx, _rx) = mpsc::channel(8);
        let mut c = Connection::spawn(ConnId(3), a, tx, 1 << 20);
        assert_eq!(c.queue.take_progress(), None, "nothing written yet");
        assert!(c.queue.push(Bytes::from_static(&[0xff; 19])));
        let mut got = [0u8; 19];
        b.read_exact(&mut got).await.unwrap();
        // The writer counts once `write_all` returned, which may be a moment after the read.
        let queued = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                match c.queue.take_progress() {
                    Some(q) => return q,
                    None => tokio::time::sleep(Duration::from_millis(1)).await,
                }
            }
        })
        .await
        .unwrap();
        assert_eq!(queued, 0, "everything written");
        assert_eq!(c.queue.take_progress(), None, "reported once");
        c.close();
    }

    #[tokio::test]
    async fn queue_fills_when_the_peer_does_not_read() {
        let (a, b) = pair().await;
        let (tx, _rx) = mpsc::channel(8);
        let limit = 256 * 1024;
        let c = Connection::spawn(ConnId(2), a, tx, limit);
        // The peer never reads: the kernel buffers fill, then the queue.
        let chunk = Bytes::from(vec![0u8; 4096]);
        let mut pushed = 0usize;
        while c.queue.has_room() && pushed < 64 * 1024 * 1024 {
            c.queue.push(chunk.clone());
            pushed += chunk.len();
            tokio::task::yield_now().await;
        }
        assert!(!c.queue.has_room(), "queue never reached its limit");
        assert!(c.queue.queued() >= limit);
        // Once the peer reads, the queue drains and reports it.
        let reader = tokio::spawn(async move {
            let mut b = b;
            let mut sink = vec![0u8; 1 << 16];
            while b.read(&mut sink).await.map(|n| n > 0).unwrap_or(false) {}
        });
        tokio::time::timeout(Duration::from_secs(10), async {
            while !c.queue.has_room() {
                c.queue.drained().await;
            }
        })
        .await
        .unwrap();
        c.close();
        reader.abort();
    }
}
