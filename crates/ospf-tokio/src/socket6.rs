//! One raw IPv6 protocol-89 socket per OSPFv3 interface (RFC 5340).
//!
//! - Bound to its device (`SO_BINDTODEVICE`) and sending multicast out of it
//!   (`IPV6_MULTICAST_IF`).
//! - Member of AllSPFRouters (ff02::5) always, of AllDRouters (ff02::6)
//!   while the core says we are DR or BDR (RFC 5340 A.1).
//! - Hop limit 1 for multicast and unicast (`IPV6_MULTICAST_HOPS`,
//!   `IPV6_UNICAST_HOPS`): on all but virtual links OSPF speaks only to
//!   routers on the link, from and to link-local addresses (RFC 5340 §2.5),
//!   as OSPFv2 sends with TTL 1 (RFC 2328 A.1); a receiver can then drop a
//!   packet that crossed a router.
//! - Multicast loopback off, so we do not hear ourselves.
//! - Traffic class 0xC0, the precedence "internetwork control" that RFC 2328
//!   A.1 asks for, in the IPv6 Traffic Class octet (`IPV6_TCLASS`).
//! - `IPV6_CHECKSUM` at offset 12, the Checksum field of the OSPFv3 header,
//!   unless the core computes and verifies checksums itself
//!   ([`OspfSocket6::set_kernel_checksum`]): OSPFv3 uses the IPv6
//!   upper-layer checksum, over the packet and a pseudo-header of the IPv6
//!   source, destination, length and next header (RFC 5340 A.3.1, RFC 8200
//!   §8.1). The kernel computes it on send over the whole payload (LLS data
//!   and an authentication trailer included, which
//!   `ospf_wire::v3::Packet::decode` accepts), whatever the field held. On
//!   receive Linux verifies it before it queues the datagram on the socket
//!   (`rawv6_rcv_skb`): a datagram that fails is dropped there, counted in
//!   the socket's drops (the last column of `/proc/net/raw6`), and never
//!   reaches `recvmsg`. With an RFC 7166 authentication trailer the kernel
//!   must stay out: it would rewrite the field after the digest was
//!   computed over it, and FRR 8.4 sends such packets with a zero checksum,
//!   which the kernel would drop.
//! - `IPV6_RECVPKTINFO` (arrival interface and destination address) and
//!   `IPV6_RECVHOPLIMIT` (the hop limit as received) on every datagram.
//!   Raw IPv6 sockets deliver the payload only, never the IPv6 header
//!   (RFC 3542 §3), so these control messages and the sender's address are
//!   all that is known of the header.
//! - The source of every packet is the interface's link-local address,
//!   given per packet with `IPV6_PKTINFO` (RFC 5340 §2.5: OSPF for IPv6
//!   sends from link-local addresses on all but virtual links); while the
//!   interface has none the kernel chooses.

use std::io;
use std::net::{Ipv6Addr, SocketAddrV6};
use std::os::fd::{AsRawFd, RawFd};
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use nix::sys::socket::{sendmsg, ControlMessage, MsgFlags, SockaddrIn6};
use socket2::{Domain, Protocol, Socket, Type};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

use crate::error::Error;
use crate::ipv4::IPPROTO_OSPF;

/// AllSPFRouters (RFC 5340 A.1).
pub const ALL_SPF_ROUTERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 5);
/// AllDRouters (RFC 5340 A.1).
pub const ALL_D_ROUTERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 6);
/// Precedence "internetwork control" in the Traffic Class octet.
pub const TCLASS_INTERNETWORK_CONTROL: u32 = 0xc0;
/// Offset of the Checksum field in the OSPFv3 header (RFC 5340 A.3.1).
pub const CHECKSUM_OFFSET: i32 = 12;
/// Largest IPv6 payload without jumbograms.
const MAX_PAYLOAD: usize = 65_535;
/// A datagram read from an IPv6 socket: the OSPF packet and what the
/// control messages said of its IPv6 header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram6 {
    /// Sender's address (a link-local address from an OSPF neighbour).
    pub src: Ipv6Addr,
    /// Destination from `IPV6_PKTINFO`: ff02::5, ff02::6 or one of ours.
    pub dst: Option<Ipv6Addr>,
    /// Arrival interface from `IPV6_PKTINFO`.
    pub ifindex: Option<u32>,
    /// Hop limit as received, from `IPV6_HOPLIMIT`.
    pub hop_limit: Option<u8>,
    /// The payload: the OSPF packet and whatever follows it (a part of the
    /// receive buffer).
    pub bytes: Bytes,
}

/// A raw IPv6 protocol-89 socket bound to one interface.
#[derive(Debug)]
pub struct OspfSocket6 {
    fd: AsyncFd<Socket>,
    name: String,
    ifindex: u32,
    source: Option<Ipv6Addr>,
    all_d_routers: bool,
}

impl OspfSocket6 {
    /// Opens the socket on interface `name` (index `ifindex`) and joins
    /// AllSPFRouters; `source` is the interface's link-local address, the
    /// source of everything sent. Needs `CAP_NET_RAW`.
    ///
    /// # Errors
    ///
    /// [`Error::Socket`] naming the call that failed.
    pub fn open(name: &str, ifindex: u32, source: Option<Ipv6Addr>) -> Result<Self, Error> {
        let err = |call: &'static str| {
            let iface = name.to_owned();
            move |source: io::Error| Error::Socket { call, iface, source }
        };
        let sock =
            Socket::new(Domain::IPV6, Type::RAW, Some(Protocol::from(i32::from(IPPROTO_OSPF))))
                .map_err(err("socket(AF_INET6, SOCK_RAW, 89)"))?;
        sock.bind_device(Some(name.as_bytes())).map_err(err("setsockopt(SO_BINDTODEVICE)"))?;
        set_int(&sock, libc::IPV6_CHECKSUM, CHECKSUM_OFFSET)
            .map_err(err("setsockopt(IPV6_CHECKSUM)"))?;
        sock.set_multicast_if_v6(ifindex).map_err(err("setsockopt(IPV6_MULTICAST_IF)"))?;
        sock.set_multicast_hops_v6(1).map_err(err("setsockopt(IPV6_MULTICAST_HOPS)"))?;
        sock.set_unicast_hops_v6(1).map_err(err("setsockopt(IPV6_UNICAST_HOPS)"))?;
        sock.set_multicast_loop_v6(false).map_err(err("setsockopt(IPV6_MULTICAST_LOOP)"))?;
        sock.set_tclass_v6(TCLASS_INTERNETWORK_CONTROL).map_err(err("setsockopt(IPV6_TCLASS)"))?;
        set_int(&sock, libc::IPV6_RECVPKTINFO, 1).map_err(err("setsockopt(IPV6_RECVPKTINFO)"))?;
        set_int(&sock, libc::IPV6_RECVHOPLIMIT, 1).map_err(err("setsockopt(IPV6_RECVHOPLIMIT)"))?;
        sock.join_multicast_v6(&ALL_SPF_ROUTERS, ifindex)
            .map_err(err("setsockopt(IPV6_ADD_MEMBERSHIP ff02::5)"))?;
        sock.set_nonblocking(true).map_err(err("fcntl(O_NONBLOCK)"))?;
        let fd = crate::socket::register(sock).map_err(err("epoll registration"))?;
        Ok(Self { fd, name: name.to_owned(), ifindex, source, all_d_routers: false })
    }

    /// Interface name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the kernel computes the checksum on send and drops datagrams
    /// whose checksum fails (`IPV6_CHECKSUM` at offset 12, the default), or
    /// leaves both to the core (`IPV6_CHECKSUM` -1).
    ///
    /// # Errors
    ///
    /// [`Error::Socket`] for `setsockopt(IPV6_CHECKSUM)`.
    pub fn set_kernel_checksum(&self, on: bool) -> Result<(), Error> {
        let offset = if on { CHECKSUM_OFFSET } else { -1 };
        set_int(self.fd.get_ref(), libc::IPV6_CHECKSUM, offset).map_err(|source| Error::Socket {
            call: "setsockopt(IPV6_CHECKSUM)",
            iface: self.name.clone(),
            source,
        })
    }

    /// Interface index.
    #[must_use]
    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }

    /// The source address of what is sent: the interface's link-local
    /// address, when it has one.
    #[must_use]
    pub fn source(&self) -> Option<Ipv6Addr> {
        self.source
    }

    /// Sets the source address (the interface's link-local address changed).
    pub fn set_source(&mut self, source: Option<Ipv6Addr>) {
        self.source = source;
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
        let sock = self.fd.get_ref();
        let result = if member {
            sock.join_multicast_v6(&ALL_D_ROUTERS, self.ifindex)
        } else {
            sock.leave_multicast_v6(&ALL_D_ROUTERS, self.ifindex)
        };
        result.map_err(|source| Error::Socket {
            call: if member {
                "setsockopt(IPV6_ADD_MEMBERSHIP ff02::6)"
            } else {
                "setsockopt(IPV6_DROP_MEMBERSHIP ff02::6)"
            },
            iface: self.name.clone(),
            source,
        })?;
        self.all_d_routers = member;
        Ok(())
    }

    /// Sends `payload` (an OSPFv3 packet, any checksum) to `dst` from the
    /// link-local source; the kernel fills in the checksum and prepends the
    /// IPv6 header. A link-local `dst` is scoped to this interface.
    ///
    /// # Errors
    ///
    /// [`Error::Socket`] for `sendmsg`.
    pub async fn send(&self, dst: Ipv6Addr, payload: &[u8]) -> Result<(), Error> {
        let to = SockaddrIn6::from(SocketAddrV6::new(dst, 0, 0, self.ifindex));
        let info = libc::in6_pktinfo {
            ipi6_addr: libc::in6_addr {
                s6_addr: self.source.unwrap_or(Ipv6Addr::UNSPECIFIED).octets(),
            },
            ipi6_ifindex: self.ifindex,
        };
        let iov = [io::IoSlice::new(payload)];
        let cmsg = [ControlMessage::Ipv6PacketInfo(&info)];
        self.fd
            .async_io(Interest::WRITABLE, |s| {
                sendmsg(s.as_raw_fd(), &iov, &cmsg, MsgFlags::empty(), Some(&to))
                    .map_err(io::Error::from)
            })
            .await
            .map(|_| ())
            .map_err(|source| Error::Socket { call: "sendmsg", iface: self.name.clone(), source })
    }

    /// Receives one datagram into `buf`, which is reused from one datagram
    /// to the next: the datagram is split off its front, and `BytesMut`
    /// takes the memory back once the datagram is dropped.
    ///
    /// # Errors
    ///
    /// The `recvmsg` error.
    pub async fn recv(&self, buf: &mut BytesMut) -> io::Result<Datagram6> {
        std::future::poll_fn(|cx| self.poll_recv(cx, buf)).await
    }

    /// Polls for one datagram, read into `buf`.
    pub(crate) fn poll_recv(
        &self,
        cx: &mut Context<'_>,
        buf: &mut BytesMut,
    ) -> Poll<io::Result<Datagram6>> {
        loop {
            let mut guard = match self.fd.poll_read_ready(cx) {
                Poll::Ready(Ok(g)) => g,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            };
            match guard.try_io(|inner| recv_with_info(inner.get_ref().as_raw_fd(), buf)) {
                Ok(result) => return Poll::Ready(result),
                Err(_would_block) => continue,
            }
        }
    }
}

/// `setsockopt(IPPROTO_IPV6, option, value)` for an `int` option.
#[allow(unsafe_code)]
fn set_int(sock: &Socket, option: libc::c_int, value: libc::c_int) -> io::Result<()> {
    // SAFETY: `value` is a live `c_int` and the length passed is its size;
    // the descriptor is open for the call.
    let rc = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            libc::IPPROTO_IPV6,
            option,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// One non-blocking `recvmsg` with the packet-info and hop-limit control
/// messages, into `buf`: the datagram is split off the front as `Bytes`,
/// the room behind it takes the next one, and once the datagram is dropped
/// `BytesMut` takes its memory back, so a steady stream is read without
/// allocating or copying.
#[allow(unsafe_code)]
fn recv_with_info(fd: RawFd, buf: &mut BytesMut) -> io::Result<Datagram6> {
    buf.resize(MAX_PAYLOAD, 0);
    // Room for an `in6_pktinfo` and an `int` with their headers, 8-aligned.
    let mut control = [0u64; 12];
    // SAFETY: all-zero bytes are a valid `sockaddr_in6` and a valid `msghdr`
    // (null pointers, zero lengths).
    let mut addr: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    let mut iov = libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: buf.len() };
    msg.msg_name = (&mut addr as *mut libc::sockaddr_in6).cast();
    msg.msg_namelen = std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t;
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&control) as _;
    // SAFETY: every pointer in `msg` points to a live buffer of the length
    // given beside it (`addr`, `iov` over `buf`, `control`), all of which
    // outlive the call.
    let n = unsafe { libc::recvmsg(fd, &mut msg, libc::MSG_DONTWAIT) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let len = usize::try_from(n).unwrap_or(0).min(buf.len());
    let src = Ipv6Addr::from(addr.sin6_addr.s6_addr);
    let (mut dst, mut ifindex, mut hop_limit) = (None, None, None);
    // SAFETY: `msg` was filled by `recvmsg`; `CMSG_FIRSTHDR`/`CMSG_NXTHDR`
    // only return headers inside `control` (up to `msg_controllen`) or null,
    // and each payload is read with `read_unaligned` only when the header's
    // level and type say what it holds.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(&msg);
        while !c.is_null() {
            let data = libc::CMSG_DATA(c);
            match ((*c).cmsg_level, (*c).cmsg_type) {
                (libc::IPPROTO_IPV6, libc::IPV6_PKTINFO) => {
                    let info = std::ptr::read_unaligned(data.cast::<libc::in6_pktinfo>());
                    ifindex = Some(info.ipi6_ifindex);
                    dst = Some(Ipv6Addr::from(info.ipi6_addr.s6_addr));
                }
                (libc::IPPROTO_IPV6, libc::IPV6_HOPLIMIT) => {
                    let v = std::ptr::read_unaligned(data.cast::<libc::c_int>());
                    hop_limit = u8::try_from(v).ok();
                }
                _ => {}
            }
            c = libc::CMSG_NXTHDR(&msg, c);
        }
    }
    let bytes = buf.split_to(len).freeze();
    Ok(Datagram6 { src, dst, ifindex, hop_limit, bytes })
}
