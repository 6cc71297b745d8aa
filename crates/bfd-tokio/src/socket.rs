//! Sockets for BFD over UDP and the options they need.
//!
//! - Listeners bind the wildcard address on port 3784 (single hop, RFC 5881 §4) or 4784
//!   (multihop, RFC 5883 §5) and ask for the received TTL or Hop Limit (`IP_RECVTTL`,
//!   `IPV6_RECVHOPLIMIT`) and the destination address and interface (`IP_PKTINFO`,
//!   `IPV6_RECVPKTINFO`) of every datagram.
//! - Each session sends from a socket of its own, bound to its local address and a source
//!   port in 49152..=65535 (RFC 5881 §4: "The same UDP source port number MUST be used for
//!   all BFD Control packets associated with a particular session"), with TTL or Hop Limit
//!   255 and, for a single-hop session, `SO_BINDTODEVICE` on its interface.

use socket2::{Domain, Protocol, Socket, Type};
use std::io;
use std::mem::size_of;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, RawFd};

/// UDP destination port of single-hop Control packets (RFC 5881 §4).
pub const SINGLE_HOP_PORT: u16 = 3784;
/// UDP destination port of multihop Control packets (RFC 5883 §5).
pub const MULTIHOP_PORT: u16 = 4784;
/// The source ports a session may use (RFC 5881 §4).
pub const SOURCE_PORTS: core::ops::RangeInclusive<u16> = 49152..=65535;
/// TTL or Hop Limit sent, and required on single-hop packets received (RFC 5881 §5: "the
/// TTL or Hop Limit value MUST be 255").
pub const TTL: u8 = 255;

/// One datagram as received, with what the kernel said about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Datagram {
    /// Sender.
    pub src: SocketAddr,
    /// The address it was sent to.
    pub dst: Option<IpAddr>,
    /// The interface it arrived on.
    pub ifindex: Option<u32>,
    /// Its TTL or Hop Limit.
    pub ttl: Option<u8>,
    /// Payload length (the start of the caller's buffer).
    pub len: usize,
}

/// A listener on `port` for one address family, non-blocking.
pub fn listener(ipv6: bool, port: u16) -> io::Result<Socket> {
    let (domain, any) = if ipv6 {
        (Domain::IPV6, SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port))
    } else {
        (Domain::IPV4, SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port))
    };
    let s = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))?;
    s.set_reuse_address(true)?;
    if ipv6 {
        s.set_only_v6(true)?;
        set_int(&s, libc::IPPROTO_IPV6, libc::IPV6_RECVHOPLIMIT, 1)?;
        set_int(&s, libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO, 1)?;
    } else {
        set_int(&s, libc::IPPROTO_IP, libc::IP_RECVTTL, 1)?;
        set_int(&s, libc::IPPROTO_IP, libc::IP_PKTINFO, 1)?;
    }
    s.set_nonblocking(true)?;
    s.bind(&any.into())?;
    Ok(s)
}

/// A session's sending socket: bound to `local` and the first free port of
/// [`SOURCE_PORTS`] from `first`, TTL 255, on `device` if given. Non-blocking.
pub fn sender(local: IpAddr, device: Option<&str>, first: u16) -> io::Result<Socket> {
    let domain = if local.is_ipv6() { Domain::IPV6 } else { Domain::IPV4 };
    let s = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))?;
    if let Some(dev) = device {
        s.bind_device(Some(dev.as_bytes()))?;
    }
    if local.is_ipv6() {
        s.set_unicast_hops_v6(u32::from(TTL))?;
    } else {
        s.set_ttl(u32::from(TTL))?;
    }
    s.set_nonblocking(true)?;
    let span = u32::from(SOURCE_PORTS.end() - SOURCE_PORTS.start()) + 1;
    let offset = u32::from(first.saturating_sub(*SOURCE_PORTS.start())) % span;
    let mut last = io::Error::from(io::ErrorKind::AddrInUse);
    for i in 0..span {
        let port = *SOURCE_PORTS.start() as u32 + (offset + i) % span;
        let port = u16::try_from(port).unwrap_or(*SOURCE_PORTS.end());
        match s.bind(&SocketAddr::new(local, port).into()) {
            Ok(()) => return Ok(s),
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

/// The index of a network interface in the calling thread's network namespace
/// (`if_nametoindex`; sysfs would answer for the namespace it was mounted in).
#[allow(unsafe_code)]
pub fn ifindex(name: &str) -> io::Result<u32> {
    let c = std::ffi::CString::new(name)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "interface name with NUL"))?;
    // SAFETY: `c` is a valid NUL-terminated string that outlives the call.
    let index = unsafe { libc::if_nametoindex(c.as_ptr()) };
    if index == 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(index)
    }
}

/// The name of the interface with index `index` (`if_indextoname`).
#[allow(unsafe_code)]
pub fn ifname(index: u32) -> io::Result<String> {
    let mut buf = [0 as libc::c_char; libc::IF_NAMESIZE];
    // SAFETY: `buf` has the IF_NAMESIZE bytes the call may write, and outlives it.
    let p = unsafe { libc::if_indextoname(index, buf.as_mut_ptr()) };
    if p.is_null() {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: on success the buffer holds a NUL-terminated name.
    let name = unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) };
    Ok(name.to_string_lossy().into_owned())
}

/// The interface that holds address `addr`, in the calling thread's network namespace
/// (`getifaddrs`): the one a single-hop session from that address runs on.
#[allow(unsafe_code)]
pub fn interface_of(addr: IpAddr) -> io::Result<String> {
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: `list` receives a list the call allocates; it is freed below.
    if unsafe { libc::getifaddrs(&mut list) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let mut found = None;
    let mut cur = list;
    while !cur.is_null() && found.is_none() {
        // SAFETY: `cur` is a node of the list getifaddrs returned, not yet freed.
        let ifa = unsafe { &*cur };
        cur = ifa.ifa_next;
        if ifa.ifa_addr.is_null() || ifa.ifa_name.is_null() {
            continue;
        }
        // SAFETY: `ifa_addr` points at a sockaddr whose family tells its real type.
        let here = unsafe {
            match i32::from((*ifa.ifa_addr).sa_family) {
                libc::AF_INET => {
                    let sin = &*ifa.ifa_addr.cast::<libc::sockaddr_in>();
                    Some(IpAddr::from(u32::from_be(sin.sin_addr.s_addr).to_be_bytes()))
                }
                libc::AF_INET6 => {
                    let sin6 = &*ifa.ifa_addr.cast::<libc::sockaddr_in6>();
                    Some(IpAddr::from(sin6.sin6_addr.s6_addr))
                }
                _ => None,
            }
        };
        if here == Some(addr) {
            // SAFETY: `ifa_name` is a NUL-terminated string owned by the list.
            let name = unsafe { std::ffi::CStr::from_ptr(ifa.ifa_name) };
            found = Some(name.to_string_lossy().into_owned());
        }
    }
    // SAFETY: `list` came from getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(list) };
    found.ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("no interface has {addr}")))
}

#[allow(unsafe_code)]
fn set_int(
    s: &Socket,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    // SAFETY: `value` is a live `c_int` for the whole call and `len` is its size; the kernel
    // only reads that many bytes. The descriptor is owned by `s`.
    let rc = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            level,
            name,
            (&value as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// One non-blocking `recvmsg` into `buf`, with the TTL and packet-info control messages.
#[allow(unsafe_code)]
pub fn recv(fd: RawFd, buf: &mut [u8]) -> io::Result<Datagram> {
    // Room for a TTL or Hop Limit and a packet-info message, 8-aligned.
    let mut control = [0u64; 16];
    // SAFETY: all-zero bytes are a valid `sockaddr_storage` and a valid `msghdr` (null
    // pointers, zero lengths).
    let mut addr: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    let mut iov = libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: buf.len() };
    msg.msg_name = (&mut addr as *mut libc::sockaddr_storage).cast();
    msg.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = size_of::<[u64; 16]>() as _;
    // SAFETY: every pointer in `msg` points to a live buffer of the length given beside it
    // (`addr`, `iov` over `buf`, `control`), all of which outlive the call.
    let n = unsafe { libc::recvmsg(fd, &mut msg, libc::MSG_DONTWAIT) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let len = usize::try_from(n).unwrap_or(0).min(buf.len());
    let mut d = Datagram { src: sockaddr(&addr)?, dst: None, ifindex: None, ttl: None, len };
    // SAFETY: `msg` was filled by `recvmsg`; `CMSG_FIRSTHDR`/`CMSG_NXTHDR` only return
    // headers inside `control` (up to `msg_controllen`) or null, and each payload is read
    // with `read_unaligned` only when the header's level and type say what it holds.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(&msg);
        while !c.is_null() {
            let data = libc::CMSG_DATA(c);
            match ((*c).cmsg_level, (*c).cmsg_type) {
                (libc::IPPROTO_IP, libc::IP_TTL) | (libc::IPPROTO_IPV6, libc::IPV6_HOPLIMIT) => {
                    let v = std::ptr::read_unaligned(data.cast::<libc::c_int>());
                    d.ttl = u8::try_from(v).ok();
                }
                (libc::IPPROTO_IP, libc::IP_PKTINFO) => {
                    let info = std::ptr::read_unaligned(data.cast::<libc::in_pktinfo>());
                    d.ifindex = u32::try_from(info.ipi_ifindex).ok();
                    d.dst = Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(info.ipi_addr.s_addr))));
                }
                (libc::IPPROTO_IPV6, libc::IPV6_PKTINFO) => {
                    let info = std::ptr::read_unaligned(data.cast::<libc::in6_pktinfo>());
                    d.ifindex = Some(info.ipi6_ifindex);
                    d.dst = Some(IpAddr::V6(Ipv6Addr::from(info.ipi6_addr.s6_addr)));
                }
                _ => {}
            }
            c = libc::CMSG_NXTHDR(&msg, c);
        }
    }
    Ok(d)
}

#[allow(unsafe_code)]
fn sockaddr(addr: &libc::sockaddr_storage) -> io::Result<SocketAddr> {
    match libc::c_int::from(addr.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a `sockaddr_in`, which it is large
            // and aligned enough for.
            let a = unsafe { *(addr as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            let ip = Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr));
            Ok(SocketAddr::V4(SocketAddrV4::new(ip, u16::from_be(a.sin_port))))
        }
        libc::AF_INET6 => {
            // SAFETY: as above, for `sockaddr_in6`.
            let a =
                unsafe { *(addr as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>() };
            let ip = Ipv6Addr::from(a.sin6_addr.s6_addr);
            Ok(SocketAddr::V6(SocketAddrV6::new(
                ip,
                u16::from_be(a.sin6_port),
                a.sin6_flowinfo,
                a.sin6_scope_id,
            )))
        }
        _ => Err(io::Error::new(io::ErrorKind::InvalidData, "unknown address family")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loopback() -> IpAddr {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    }

    #[test]
    fn sender_uses_a_source_port_in_range_and_ttl_255() {
        let s = sender(loopback(), None, 65535).expect("sender");
        let port = s.local_addr().expect("bound").as_socket().expect("inet").port();
        assert!(SOURCE_PORTS.contains(&port), "{port}");
        assert_eq!(s.ttl().expect("ttl"), 255);
        // The next free port is taken when the first choice is busy.
        let t = sender(loopback(), None, port).expect("second sender");
        let other = t.local_addr().expect("bound").as_socket().expect("inet").port();
        assert!(SOURCE_PORTS.contains(&other) && other != port, "{other}");
    }

    #[test]
    fn recv_reports_ttl_destination_and_interface() {
        let l = listener(false, 0).expect("listener");
        let port = l.local_addr().expect("bound").as_socket().expect("inet").port();
        let s = sender(loopback(), None, 50000).expect("sender");
        let payload = [0x20u8, 0x40, 0x03, 0x18];
        s.send_to(&payload, &SocketAddr::new(loopback(), port).into()).expect("send");
        let mut buf = [0u8; 64];
        let d = (0..100)
            .find_map(|_| match recv(l.as_raw_fd(), &mut buf) {
                Ok(d) => Some(d),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                    None
                }
                Err(e) => panic!("recv: {e}"),
            })
            .expect("datagram within a second");
        assert_eq!(d.len, payload.len());
        assert_eq!(&buf[..d.len], &payload);
        assert_eq!(d.ttl, Some(255));
        assert_eq!(d.dst, Some(loopback()));
        assert_eq!(d.ifindex, Some(ifindex("lo").expect("lo")));
        assert_eq!(d.src, s.local_addr().expect("bound").as_socket().expect("inet"));
    }
}
