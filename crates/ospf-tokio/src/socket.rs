//! One raw IPv4 protocol-89 socket per OSPF interface.
//!
//! - Bound to its device (`SO_BINDTODEVICE`), so it receives only that
//!   interface's packets and sends multicast out of it.
//! - Member of AllSPFRouters (224.0.0.5) always, of AllDRouters (224.0.0.6)
//!   while the core says we are DR or BDR (RFC 2328 A.1).
//! - Multicast TTL 1 ("IP multicast datagrams ... with TTL set to 1",
//!   RFC 2328 A.1), multicast loopback off so we do not hear ourselves.
//! - IP precedence internetwork control: TOS 0xC0 (RFC 2328 A.1: "OSPF
//!   packets should be sent with IP precedence set to Internetwork Control").
//! - `IP_PKTINFO` on, giving the arrival interface and the header's
//!   destination.
//! - No `IP_HDRINCL`: the kernel builds the IPv4 header (source address,
//!   protocol 89, TTL, TOS from the options above). Received datagrams carry
//!   the header, which [`crate::ipv4::parse`] removes.

use bytes::{Bytes, BytesMut};
use std::io::{self, IoSliceMut};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::AsRawFd;

use nix::sys::socket::{recvmsg, setsockopt, sockopt, ControlMessageOwned, MsgFlags, SockaddrIn};
use socket2::{Domain, InterfaceIndexOrAddress, Protocol, SockAddr, Socket, Type};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

use crate::error::Error;
use crate::ipv4::IPPROTO_OSPF;

/// AllSPFRouters (RFC 2328 A.1).
pub const ALL_SPF_ROUTERS: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 5);
/// AllDRouters (RFC 2328 A.1).
pub const ALL_D_ROUTERS: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 6);
/// IP precedence "internetwork control" in the TOS octet.
pub const TOS_INTERNETWORK_CONTROL: u32 = 0xc0;
/// Largest IPv4 datagram.
const MAX_DATAGRAM: usize = 65_535;

/// A datagram read from a socket, IPv4 header included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawDatagram {
    /// Arrival interface from `IP_PKTINFO`, when the kernel gave it.
    pub ifindex: Option<u32>,
    /// The bytes, starting with the IPv4 header (a part of the receive buffer).
    pub bytes: Bytes,
}

/// A protocol-89 socket bound to one interface.
#[derive(Debug)]
pub struct OspfSocket {
    fd: AsyncFd<Socket>,
    name: String,
    ifindex: u32,
    all_d_routers: bool,
}

impl OspfSocket {
    /// Opens the socket on interface `name` (index `ifindex`) and joins
    /// AllSPFRouters. Needs `CAP_NET_RAW`.
    ///
    /// # Errors
    ///
    /// [`Error::Socket`] naming the call that failed.
    pub fn open(name: &str, ifindex: u32) -> Result<Self, Error> {
        let err = |call: &'static str| {
            let iface = name.to_owned();
            move |source: io::Error| Error::Socket { call, iface, source }
        };
        let sock =
            Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(i32::from(IPPROTO_OSPF))))
                .map_err(err("socket(AF_INET, SOCK_RAW, 89)"))?;
        sock.bind_device(Some(name.as_bytes())).map_err(err("setsockopt(SO_BINDTODEVICE)"))?;
        sock.set_multicast_ttl_v4(1).map_err(err("setsockopt(IP_MULTICAST_TTL)"))?;
        sock.set_multicast_loop_v4(false).map_err(err("setsockopt(IP_MULTICAST_LOOP)"))?;
        sock.set_tos(TOS_INTERNETWORK_CONTROL).map_err(err("setsockopt(IP_TOS)"))?;
        setsockopt(&sock, sockopt::Ipv4PacketInfo, &true)
            .map_err(|e| err("setsockopt(IP_PKTINFO)")(io::Error::from(e)))?;
        sock.join_multicast_v4_n(&ALL_SPF_ROUTERS, &InterfaceIndexOrAddress::Index(ifindex))
            .map_err(err("setsockopt(IP_ADD_MEMBERSHIP 224.0.0.5)"))?;
        sock.set_nonblocking(true).map_err(err("fcntl(O_NONBLOCK)"))?;
        let fd = register(sock).map_err(err("epoll registration"))?;
        Ok(Self { fd, name: name.to_owned(), ifindex, all_d_routers: false })
    }

    /// Interface name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Interface index.
    #[must_use]
    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }

    /// Whether the socket is a member of AllDRouters.
    #[must_use]
    pub fn all_d_routers(&self) -> bool {
        self.all_d_routers
    }

    /// Joins or leaves AllDRouters; nothing happens when already so.
    ///
    /// # Errors
    ///
    /// [`Error::Socket`] when the membership change fails.
    pub fn set_all_d_routers(&mut self, member: bool) -> Result<(), Error> {
        if member == self.all_d_routers {
            return Ok(());
        }
        let iface = InterfaceIndexOrAddress::Index(self.ifindex);
        let result = if member {
            self.fd.get_ref().join_multicast_v4_n(&ALL_D_ROUTERS, &iface)
        } else {
            self.fd.get_ref().leave_multicast_v4_n(&ALL_D_ROUTERS, &iface)
        };
        result.map_err(|source| Error::Socket {
            call: if member {
                "setsockopt(IP_ADD_MEMBERSHIP 224.0.0.6)"
            } else {
                "setsockopt(IP_DROP_MEMBERSHIP 224.0.0.6)"
            },
            iface: self.name.clone(),
            source,
        })?;
        self.all_d_routers = member;
        Ok(())
    }

    /// Sends `payload` (an OSPF packet) to `dst`; the kernel prepends the
    /// IPv4 header.
    ///
    /// # Errors
    ///
    /// [`Error::Socket`] for `sendto`.
    pub async fn send(&self, dst: Ipv4Addr, payload: &[u8]) -> Result<(), Error> {
        let to = SockAddr::from(SocketAddrV4::new(dst, 0));
        self.fd
            .async_io(Interest::WRITABLE, |s| s.send_to(payload, &to))
            .await
            .map(|_| ())
            .map_err(|source| Error::Socket { call: "sendto", iface: self.name.clone(), source })
    }

    /// Receives one datagram (IPv4 header included) into `buf`, which is reused from one
    /// datagram to the next: the datagram is split off its front, and `BytesMut` takes the
    /// memory back once the datagram is dropped.
    ///
    /// # Errors
    ///
    /// The `recvmsg` error.
    pub async fn recv(&self, buf: &mut BytesMut) -> io::Result<RawDatagram> {
        std::future::poll_fn(|cx| self.poll_recv(cx, buf)).await
    }

    /// Polls for one datagram, read into `buf`.
    pub(crate) fn poll_recv(
        &self,
        cx: &mut std::task::Context<'_>,
        buf: &mut BytesMut,
    ) -> std::task::Poll<io::Result<RawDatagram>> {
        loop {
            let mut guard = match self.fd.poll_read_ready(cx) {
                std::task::Poll::Ready(Ok(g)) => g,
                std::task::Poll::Ready(Err(e)) => return std::task::Poll::Ready(Err(e)),
                std::task::Poll::Pending => return std::task::Poll::Pending,
            };
            match guard.try_io(|inner| recv_pktinfo(inner.get_ref(), buf)) {
                Ok(result) => return std::task::Poll::Ready(result),
                Err(_would_block) => continue,
            }
        }
    }
}

/// Registers the socket with the runtime's reactor.
#[allow(unsafe_code)]
pub(crate) fn register(sock: Socket) -> io::Result<AsyncFd<Socket>> {
    // SAFETY: `AsyncFd::register` requires that the descriptor stays open
    // and is not replaced while registered. The `Socket` owns it, is moved
    // into the `AsyncFd`, and is only ever borrowed from there (`get_ref`);
    // nothing closes or `dup2`s over it before the `AsyncFd` drops.
    unsafe { AsyncFd::register(sock) }.map_err(|e| e.into_parts().1)
}

/// One non-blocking `recvmsg` with the `IP_PKTINFO` control message, into `buf`: the
/// datagram is split off the front as `Bytes`, and the room behind it takes the next one;
/// once the datagram is dropped, `BytesMut` takes its memory back, so a steady stream of
/// packets is read without allocating or copying.
fn recv_pktinfo(sock: &Socket, buf: &mut BytesMut) -> io::Result<RawDatagram> {
    buf.resize(MAX_DATAGRAM, 0);
    let mut cmsg = nix::cmsg_space!(libc::in_pktinfo);
    let (len, ifindex) = {
        let mut iov = [IoSliceMut::new(&mut buf[..])];
        let msg = recvmsg::<SockaddrIn>(
            sock.as_raw_fd(),
            &mut iov,
            Some(&mut cmsg),
            MsgFlags::MSG_DONTWAIT,
        )
        .map_err(io::Error::from)?;
        let mut ifindex = None;
        if let Ok(cmsgs) = msg.cmsgs() {
            for c in cmsgs {
                if let ControlMessageOwned::Ipv4PacketInfo(info) = c {
                    ifindex = u32::try_from(info.ipi_ifindex).ok();
                }
            }
        }
        (msg.bytes, ifindex)
    };
    let bytes = buf.split_to(len.min(buf.len())).freeze();
    Ok(RawDatagram { ifindex, bytes })
}
