//! A raw ICMPv6 socket on one interface, to receive the Router Advertisements of an unnumbered
//! peer and send ours.
//!
//! The socket is bound to the interface, filters every ICMPv6 type but Router Advertisement
//! (134), asks for the hop limit of each packet and sends with hop limit 255. The kernel
//! computes and verifies the ICMPv6 checksum of raw ICMPv6 sockets (RFC 3542 §3.1).
#![allow(unsafe_code)]

use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::io;
use std::mem::size_of;
use std::net::{Ipv6Addr, SocketAddrV6};
use std::os::fd::AsRawFd;
use tokio::io::unix::AsyncFd;

use crate::sockopt::setsockopt;

/// `ff02::1`, all nodes: where Router Advertisements go (RFC 4861 §6.2.4).
pub const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);
/// `ff02::2`, all routers.
pub const ALL_ROUTERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 2);
/// The hop limit of every Neighbor Discovery packet (RFC 4861 §6.1.2, §6.2.4).
pub const ND_HOP_LIMIT: u8 = 255;

/// `ICMP6_FILTER` of `<netinet/icmp6.h>` (level `IPPROTO_ICMPV6`).
const ICMP6_FILTER: libc::c_int = 1;
/// ICMPv6 type of a Router Advertisement.
const ROUTER_ADVERTISEMENT: u32 = 134;

/// An ICMPv6 message received on the interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedIcmp {
    /// The IPv6 source address.
    pub src: Ipv6Addr,
    /// The IPv6 Hop Limit it arrived with, when the kernel told.
    pub hop_limit: Option<u8>,
    /// The ICMPv6 message (from its type octet).
    pub bytes: Vec<u8>,
}

impl ReceivedIcmp {
    /// RFC 4861 §6.1.2: "The IP Hop Limit field has a value of 255, i.e., the packet could not
    /// possibly have been forwarded by a router." A missing value is not accepted either.
    pub fn hop_limit_valid(&self) -> bool {
        self.hop_limit == Some(ND_HOP_LIMIT)
    }
}

/// The raw ICMPv6 socket of one interface.
#[derive(Debug)]
pub struct RaSocket {
    fd: AsyncFd<Socket>,
    ifindex: u32,
}

/// The `icmp6_filter` words that pass only `pass` (a set bit blocks the type).
fn icmp6_filter(pass: u32) -> [u32; 8] {
    let mut words = [u32::MAX; 8];
    if let Some(w) = words.get_mut((pass >> 5) as usize) {
        *w &= !(1u32 << (pass & 31));
    }
    words
}

impl RaSocket {
    /// Opens the socket on interface `name` (index `ifindex`). Needs `CAP_NET_RAW`.
    pub fn open(name: &str, ifindex: u32) -> io::Result<RaSocket> {
        let s = Socket::new(Domain::IPV6, Type::RAW, Some(Protocol::ICMPV6))?;
        s.set_nonblocking(true)?;
        s.bind_device(Some(name.as_bytes()))?;
        setsockopt(&s, libc::IPPROTO_ICMPV6, ICMP6_FILTER, &icmp6_filter(ROUTER_ADVERTISEMENT))?;
        let on: libc::c_int = 1;
        setsockopt(&s, libc::IPPROTO_IPV6, libc::IPV6_RECVHOPLIMIT, &on)?;
        s.set_multicast_hops_v6(u32::from(ND_HOP_LIMIT))?;
        s.set_unicast_hops_v6(u32::from(ND_HOP_LIMIT))?;
        s.set_multicast_if_v6(ifindex)?;
        // Our own RAs must not come back to us and be taken for the peer's.
        s.set_multicast_loop_v6(false)?;
        // Routers listen to all-routers; all-nodes is joined by every interface already.
        if let Err(e) = s.join_multicast_v6(&ALL_ROUTERS, ifindex) {
            tracing::debug!(interface = name, "joining ff02::2: {e}");
        }
        // SAFETY: `s` owns its descriptor, which stays open and the same for as long as the
        // `AsyncFd` owns `s` (a `Socket` never replaces its descriptor).
        let fd = unsafe { AsyncFd::register(s) }?;
        Ok(RaSocket { fd, ifindex })
    }

    /// The interface index.
    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }

    /// Sends an ICMPv6 message (checksum left zero: the kernel fills it) to `ff02::1`.
    pub async fn send(&self, bytes: &[u8]) -> io::Result<()> {
        let dst = SockAddr::from(SocketAddrV6::new(ALL_NODES, 0, 0, self.ifindex));
        loop {
            let mut guard = self.fd.writable().await?;
            match guard.try_io(|s| s.get_ref().send_to(bytes, &dst)) {
                Ok(r) => return r.map(|_| ()),
                Err(_would_block) => continue,
            }
        }
    }

    /// Receives the next ICMPv6 message that passed the filter.
    pub async fn recv(&self) -> io::Result<ReceivedIcmp> {
        let mut buf = vec![0u8; 2048];
        loop {
            let mut guard = self.fd.readable().await?;
            match guard.try_io(|s| recv_with_hop_limit(s.get_ref(), &mut buf)) {
                Ok(Ok((n, src, hop_limit))) => {
                    let bytes = buf.get(..n).map(<[u8]>::to_vec).unwrap_or_default();
                    return Ok(ReceivedIcmp { src, hop_limit, bytes });
                }
                Ok(Err(e)) => return Err(e),
                Err(_would_block) => continue,
            }
        }
    }
}

/// Control buffer for one `IPV6_HOPLIMIT` message, aligned for `cmsghdr`.
#[repr(C, align(8))]
struct Control([u8; 64]);

/// `recvmsg(2)` of one datagram with its source address and `IPV6_HOPLIMIT` ancillary data.
fn recv_with_hop_limit(s: &Socket, buf: &mut [u8]) -> io::Result<(usize, Ipv6Addr, Option<u8>)> {
    // SAFETY: `sockaddr_in6` and `msghdr` are plain old data for which all-zero bytes are valid.
    let mut name: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
    let mut control = Control([0; 64]);
    let mut iov = libc::iovec { iov_base: buf.as_mut_ptr().cast(), iov_len: buf.len() };
    // SAFETY: as above.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_name = (&mut name as *mut libc::sockaddr_in6).cast();
    msg.msg_namelen = size_of::<libc::sockaddr_in6>() as libc::socklen_t;
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.0.as_mut_ptr().cast();
    msg.msg_controllen = control.0.len() as _;
    // SAFETY: every pointer in `msg` refers to a live buffer of the length given next to it
    // (`name`, `iov` over `buf`, `control`), all outliving the call.
    let n = unsafe { libc::recvmsg(s.as_raw_fd(), &mut msg, libc::MSG_DONTWAIT) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut hop_limit = None;
    // SAFETY: `msg` was filled by a successful `recvmsg`; the CMSG_* macros walk the control
    // buffer within `msg_controllen`, and the data of an IPV6_HOPLIMIT message is one `c_int`
    // (read unaligned to make no assumption about its alignment).
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
        while !cmsg.is_null() {
            let hdr = &*cmsg;
            if hdr.cmsg_level == libc::IPPROTO_IPV6 && hdr.cmsg_type == libc::IPV6_HOPLIMIT {
                let v = std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast::<libc::c_int>());
                hop_limit = u8::try_from(v).ok();
            }
            cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
        }
    }
    let len = usize::try_from(n).unwrap_or(0).min(buf.len());
    Ok((len, Ipv6Addr::from(name.sin6_addr.s6_addr), hop_limit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_passes_only_router_advertisements() {
        let f = icmp6_filter(134);
        let blocked = |t: u32| f[(t >> 5) as usize] & (1 << (t & 31)) != 0;
        assert!(!blocked(134));
        for t in [0, 1, 128, 129, 133, 135, 136, 137, 255] {
            assert!(blocked(t), "type {t}");
        }
    }

    #[test]
    fn hop_limit_rule() {
        let mut r = ReceivedIcmp { src: Ipv6Addr::LOCALHOST, hop_limit: Some(255), bytes: vec![] };
        assert!(r.hop_limit_valid());
        r.hop_limit = Some(254);
        assert!(!r.hop_limit_valid());
        r.hop_limit = None;
        assert!(!r.hop_limit_valid());
    }
}
