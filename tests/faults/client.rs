//! A small BGP peer that misbehaves on purpose: it opens a session with `bgp-wire`'s
//! messages over a tokio socket, announces a few routes, and then resets the connection,
//! sends a Cease, goes silent until the agent's hold timer expires, or stops reading. It
//! needs no state machine: each fault is a straight line of reads and writes.

use bgp_wire::attribute::{AsPath, Attribute, NextHop, Origin, PathAttribute};
use bgp_wire::capability::Capability;
use bgp_wire::codes::cease;
use bgp_wire::message::{decode_next, encode_keepalive, Message};
use bgp_wire::nlri::Nlri;
use bgp_wire::notification::Notification;
use bgp_wire::open::Open;
use bgp_wire::route_refresh::RouteRefresh;
use bgp_wire::update::builder::{Encoding, UpdateBuilder};
use bgp_wire::{Asn, Context, ErrorCode, Family};
use bytes::{Bytes, BytesMut};
use ipnet::{IpNet, Ipv4Net};
use std::collections::BTreeSet;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::timeout;

/// The clients' AS.
pub const CLIENT_AS: u32 = 65100;
/// Hold time the clients offer (the agent offers 3 too).
const HOLD: u16 = 3;
/// Longest wait for one step of the handshake.
const STEP: Duration = Duration::from_secs(5);
/// How long after its last session the agent may still hold a closing socket: bgp-tokio
/// writes what is queued for up to 2 s (`CLOSE_GRACE`) before dropping it.
pub const CLOSE_SETTLE: Duration = Duration::from_secs(3);

fn fault(what: String) -> io::Error {
    io::Error::other(what)
}

/// One Established session.
pub struct Peer {
    stream: TcpStream,
    rx: BytesMut,
    ctx: Context,
    local: Ipv4Addr,
}

/// What the healthy peer's reader saw.
pub enum Received {
    Keepalive,
    Routes,
    Closed(String),
}

impl Peer {
    /// Connects from `local` to `dut`:179 and exchanges OPEN and KEEPALIVE. `rcvbuf` sets a
    /// small receive buffer before the connection exists (so that the window it advertises
    /// is small from the start).
    pub async fn establish(
        local: Ipv4Addr,
        dut: Ipv4Addr,
        rcvbuf: Option<u32>,
    ) -> io::Result<Peer> {
        let socket = TcpSocket::new_v4()?;
        if let Some(size) = rcvbuf {
            socket.set_recv_buffer_size(size)?;
        }
        socket.bind(SocketAddr::from((local, 0)))?;
        let stream = timeout(STEP, socket.connect(SocketAddr::from((dut, 179))))
            .await
            .map_err(|_| fault("connect timed out".into()))??;
        stream.set_nodelay(true)?;
        let mut p = Peer { stream, rx: BytesMut::new(), ctx: Context::modern(), local };
        let open = Open::new(
            Asn(CLIENT_AS),
            HOLD,
            local,
            vec![
                Capability::Multiprotocol(Family::IPV4_UNICAST),
                Capability::RouteRefresh,
                Capability::FourOctetAs(Asn(CLIENT_AS)),
            ],
        );
        let mut out = BytesMut::new();
        Message::Open(open).encode(&p.ctx, &mut out);
        encode_keepalive(&mut out);
        p.stream.write_all(&out).await?;
        match p.recv_within(STEP).await? {
            Some(Message::Open(_)) => {}
            other => return Err(fault(format!("expected an OPEN, got {other:?}"))),
        }
        match p.recv_within(STEP).await? {
            Some(Message::Keepalive) => Ok(p),
            other => Err(fault(format!("expected a KEEPALIVE, got {other:?}"))),
        }
    }

    /// The next message; `None` at the end of the stream.
    pub async fn recv(&mut self) -> io::Result<Option<Message>> {
        loop {
            if let Some(m) =
                decode_next(&mut self.rx, &self.ctx).map_err(|e| fault(format!("decode: {e}")))?
            {
                return Ok(Some(m));
            }
            if self.rx.capacity() - self.rx.len() < 16 * 1024 {
                self.rx.reserve(64 * 1024);
            }
            if self.stream.read_buf(&mut self.rx).await? == 0 {
                return Ok(None);
            }
        }
    }

    async fn recv_within(&mut self, limit: Duration) -> io::Result<Option<Message>> {
        timeout(limit, self.recv()).await.map_err(|_| fault("read timed out".into()))?
    }

    /// Reads one message and applies its routes to `table`. Cancel-safe: a read cut short
    /// loses nothing.
    pub async fn recv_counting(&mut self, table: &mut BTreeSet<Ipv4Net>) -> io::Result<Received> {
        loop {
            match self.recv().await? {
                None => return Ok(Received::Closed("end of stream".into())),
                Some(Message::Keepalive) => return Ok(Received::Keepalive),
                Some(Message::Notification(n)) => {
                    return Ok(Received::Closed(format!("NOTIFICATION {}/{}", n.code.0, n.subcode)))
                }
                Some(Message::Update(u)) => {
                    for (_, r) in u.withdrawals() {
                        if let IpNet::V4(p) = r.prefix {
                            table.remove(&p);
                        }
                    }
                    for (_, r) in u.announced() {
                        if let IpNet::V4(p) = r.prefix {
                            table.insert(p);
                        }
                    }
                    return Ok(Received::Routes);
                }
                Some(_) => {}
            }
        }
    }

    /// Announces `count` /28s of `10.77.<tag>.0/24`, next hop ourselves.
    pub async fn announce(&mut self, tag: u8, count: u8) -> io::Result<()> {
        let attrs = [
            PathAttribute::new(Attribute::Origin(Origin::Igp)),
            PathAttribute::new(Attribute::AsPath(AsPath::from_sequence([CLIENT_AS]))),
        ];
        let routes: Vec<Nlri> = (0..count.min(16))
            .map(|k| {
                Nlri::new(IpNet::V4(
                    Ipv4Net::new(Ipv4Addr::new(10, 77, tag, k * 16), 28).expect("prefix"),
                ))
            })
            .collect();
        let mut out = BytesMut::new();
        UpdateBuilder::new(&self.ctx, &attrs).announce(
            Family::IPV4_UNICAST,
            &NextHop::Ipv4(self.local),
            &routes,
            Encoding::Classic,
            &mut out,
        );
        self.stream.write_all(&out).await
    }

    /// Resets the connection: SO_LINGER 0, so the close sends a RST.
    pub fn reset(self) {
        let _ = socket2::SockRef::from(&self.stream).set_linger(Some(Duration::ZERO));
    }

    /// Sends Cease / Administrative Reset and waits for the agent to close.
    pub async fn cease(mut self) -> io::Result<()> {
        let mut out = BytesMut::new();
        Message::Notification(Notification::new(
            ErrorCode::CEASE,
            cease::ADMINISTRATIVE_RESET,
            Bytes::new(),
        ))
        .encode(&self.ctx, &mut out);
        self.stream.write_all(&out).await?;
        // The agent closes; what it sent meanwhile is read and dropped.
        timeout(STEP, async { while self.recv().await.is_ok_and(|m| m.is_some()) {} })
            .await
            .map_err(|_| fault("the agent kept the connection open after a Cease".into()))
    }

    /// Sends nothing more and reads until the agent gives up: its NOTIFICATION.
    pub async fn fall_silent(mut self) -> Option<Notification> {
        let wait = Duration::from_secs(u64::from(HOLD) * 3);
        loop {
            match timeout(wait, self.recv()).await {
                Ok(Ok(Some(Message::Notification(n)))) => return Some(n),
                Ok(Ok(Some(_))) => {}
                _ => return None,
            }
        }
    }

    /// Sends one KEEPALIVE.
    pub async fn keepalive(&mut self) -> io::Result<()> {
        let mut ka = BytesMut::new();
        encode_keepalive(&mut ka);
        self.stream.write_all(&ka).await
    }

    /// Never reads again; sends a KEEPALIVE and a ROUTE-REFRESH (the whole table again,
    /// please) every second until a write fails, and says why.
    pub async fn demand_without_reading(mut self) -> String {
        let mut out = BytesMut::new();
        encode_keepalive(&mut out);
        Message::RouteRefresh(RouteRefresh::new(Family::IPV4_UNICAST)).encode(&self.ctx, &mut out);
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if let Err(e) = self.stream.write_all(&out).await {
                return format!("write: {e}");
            }
        }
    }
}

/// What the flapping peers did.
#[derive(Clone, Copy, Debug, Default)]
pub struct FlapStats {
    /// Sessions ended by a TCP reset.
    pub resets: u64,
    /// Sessions ended by our Cease.
    pub notifications: u64,
    /// Sessions ended by the agent's hold timer (its NOTIFICATION 4 received).
    pub hold_expiries: u64,
    /// Silent sessions the agent ended without "Hold Timer Expired".
    pub hold_expiries_unconfirmed: u64,
    /// Connection attempts that did not reach Established (retried).
    pub retries: u64,
}

impl FlapStats {
    /// Sessions that reached Established and were then ended.
    pub fn flaps(&self) -> u64 {
        self.resets + self.notifications + self.hold_expiries + self.hold_expiries_unconfirmed
    }

    pub fn add(&mut self, o: FlapStats) {
        self.resets += o.resets;
        self.notifications += o.notifications;
        self.hold_expiries += o.hold_expiries;
        self.hold_expiries_unconfirmed += o.hold_expiries_unconfirmed;
        self.retries += o.retries;
    }
}

/// `peers` peers at once, each from its own address, each making flaps number `flaps` of
/// its sequence: mostly resets and Ceases, one in ten (numbers 5, 15, ...) a hold-timer
/// expiry (the slow kind: 3 s).
pub async fn flap_all(peers: u8, flaps: std::ops::Range<u32>, routes: u8) -> FlapStats {
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..peers {
        tasks.spawn(flapper(i, flaps.clone(), routes));
    }
    let mut total = FlapStats::default();
    while let Some(r) = tasks.join_next().await {
        total.add(r.expect("flapper"));
    }
    total
}

async fn flapper(i: u8, flaps: std::ops::Range<u32>, routes: u8) -> FlapStats {
    let local = super::client_addr(i);
    let mut s = FlapStats::default();
    let mut k = flaps.start;
    while k < flaps.end {
        let mut p = match Peer::establish(local, super::DUT_ADDR, None).await {
            Ok(p) => p,
            Err(e) => {
                // The agent may not have retired this address's previous neighbour yet.
                s.retries += 1;
                assert!(s.retries < 100, "{local}: {} attempts failed, the last: {e}", s.retries);
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if let Err(e) = p.announce(i, routes).await {
            panic!("{local}: announcing: {e}");
        }
        match k % 10 {
            5 => match p.fall_silent().await {
                Some(n) if n.code == ErrorCode::HOLD_TIMER_EXPIRED => s.hold_expiries += 1,
                _ => s.hold_expiries_unconfirmed += 1,
            },
            r if r % 2 == 0 => {
                p.reset();
                s.resets += 1;
            }
            _ => {
                if let Err(e) = p.cease().await {
                    panic!("{local}: Cease: {e}");
                }
                s.notifications += 1;
            }
        }
        k += 1;
    }
    s
}
