//! Socket options a BGP speaker needs that the standard library does not offer: TCP-MD5
//! signatures (RFC 2385), GTSM (RFC 5082) and the TTL of multihop eBGP, for IPv4 and IPv6.
//!
//! Every function takes the socket and whether it is an IPv6 (`AF_INET6`) socket: the option
//! level follows the socket's family, not the address's.
#![allow(unsafe_code)]

use socket2::{SockAddr, Socket};
use std::io;
use std::mem::size_of;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsRawFd;

/// Longest key the kernel accepts (`TCP_MD5SIG_MAXKEYLEN`).
pub const MD5_MAX_KEY_LEN: usize = 80;

/// `TCP_MD5SIG_FLAG_PREFIX`: the key applies to a prefix of addresses.
const TCP_MD5SIG_FLAG_PREFIX: u8 = 0x1;
/// `TCP_MD5SIG_FLAG_IFINDEX`: the key applies only in one VRF, named by its L3 master device
/// (Linux 5.6 and later; the kernel refuses any other kind of interface).
const TCP_MD5SIG_FLAG_IFINDEX: u8 = 0x2;

/// `struct tcp_md5sig` of `<linux/tcp.h>`.
#[repr(C)]
struct TcpMd5Sig {
    addr: libc::sockaddr_storage,
    flags: u8,
    prefixlen: u8,
    keylen: u16,
    ifindex: libc::c_int,
    key: [u8; MD5_MAX_KEY_LEN],
}

/// How the IP TTL (IPv6 hop limit) of a session is handled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TtlMode {
    /// The system's default TTL, no check on receipt.
    #[default]
    Default,
    /// `ebgp-multihop`: send with this TTL, no check on receipt.
    Multihop(u8),
    /// GTSM (RFC 5082): send with TTL 255 and drop segments that arrive with a TTL below
    /// `256 - hops` (`hops` 1 for a directly connected peer).
    Security {
        /// How many hops away the peer may be (1 to 254).
        hops: u8,
    },
}

/// A TCP-MD5 key and the peers it applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Md5Key {
    /// The peer's address (or the start of `prefix_len`).
    pub addr: IpAddr,
    /// When set, the key applies to every address of this prefix.
    pub prefix_len: Option<u8>,
    /// When set, the key applies only to connections in this VRF: the index of its L3 master
    /// device (the kernel refuses an ordinary interface with `EINVAL`).
    pub ifindex: Option<u32>,
    /// The password; empty removes the key.
    pub key: Vec<u8>,
}

/// `setsockopt(2)` with a plain value.
pub(crate) fn setsockopt<T>(
    socket: &Socket,
    level: libc::c_int,
    name: libc::c_int,
    value: &T,
) -> io::Result<()> {
    let len = libc::socklen_t::try_from(size_of::<T>())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "option too large"))?;
    // SAFETY: `value` is a live, initialised `T` of exactly `len` bytes for the whole call; the
    // kernel only reads `len` bytes from it, and the descriptor is owned by `socket`.
    let rc = unsafe {
        libc::setsockopt(socket.as_raw_fd(), level, name, (value as *const T).cast(), len)
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// `getsockopt(2)` of a plain value.
#[cfg(test)]
pub(crate) fn getsockopt<T: Copy + Default>(
    socket: &Socket,
    level: libc::c_int,
    name: libc::c_int,
) -> io::Result<T> {
    let mut value = T::default();
    let mut len = libc::socklen_t::try_from(size_of::<T>())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "option too large"))?;
    // SAFETY: `value` is a live `T` of `len` bytes that the kernel may write; `len` is
    // updated with the length written; the descriptor is owned by `socket`.
    let rc = unsafe {
        libc::getsockopt(socket.as_raw_fd(), level, name, (&mut value as *mut T).cast(), &mut len)
    };
    if rc == 0 {
        Ok(value)
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Makes a listening socket keep the SYN of each connection (`TCP_SAVE_SYN`), so that its
/// TTL can be checked after `accept` ([`saved_syn_ttl`]).
pub fn set_save_syn(socket: &Socket) -> io::Result<()> {
    setsockopt(socket, libc::IPPROTO_TCP, libc::TCP_SAVE_SYN, &(1 as libc::c_int))
}

/// The IPv4 TTL or IPv6 hop limit of the SYN that opened an accepted connection
/// (`TCP_SAVED_SYN`; the listener must have [`set_save_syn`]). The kernel gives it once.
pub fn saved_syn_ttl(socket: &Socket) -> io::Result<u8> {
    // The IP header and the TCP header with its options: at most 40 + 60 octets for IPv6
    // without extension headers; the kernel refuses a buffer too small for what it saved.
    let mut buf = [0u8; 512];
    let mut len = libc::socklen_t::try_from(buf.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "buffer too large"))?;
    // SAFETY: `buf` is a live buffer of `len` bytes the kernel may write; `len` is updated
    // with the length written; the descriptor is owned by `socket`.
    let rc = unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_SAVED_SYN,
            buf.as_mut_ptr().cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    let header = buf.get(..usize::try_from(len).unwrap_or(0)).unwrap_or(&[]);
    let no_syn = || io::Error::new(io::ErrorKind::NotFound, "no saved SYN");
    // IPv4: TTL at octet 8; IPv6: Hop Limit at octet 7.
    match header.first().map(|b| b >> 4) {
        Some(4) => header.get(8).copied().ok_or_else(no_syn),
        Some(6) => header.get(7).copied().ok_or_else(no_syn),
        _ => Err(no_syn()),
    }
}

/// Whether a segment that arrived with `ttl` may come from a peer `hops` away under GTSM
/// (RFC 5082 §3): at least `256 - hops`.
pub fn gtsm_accepts(ttl: u8, hops: u8) -> bool {
    u16::from(ttl) + u16::from(hops) >= 256
}

/// The address in the socket's family: an IPv4 address on an IPv6 socket is IPv4-mapped
/// (the kernel then files the key as an IPv4 key).
fn family_addr(addr: IpAddr, ipv6_socket: bool) -> SocketAddr {
    match (addr, ipv6_socket) {
        (IpAddr::V4(a), true) => SocketAddr::new(IpAddr::V6(a.to_ipv6_mapped()), 0),
        (a, _) => SocketAddr::new(a, 0),
    }
}

/// Installs (or, with an empty key, removes) a TCP-MD5 key on a socket: on a listening
/// socket before the peer connects, on a connecting socket before `connect`.
///
/// RFC 2385 §2: "Every segment sent on a TCP connection to be protected against spoofing will
/// contain the 16-byte MD5 digest". Linux keys are per peer address (`TCP_MD5SIG`), or per
/// prefix and VRF (`TCP_MD5SIG_EXT`), as here when `prefix_len` or `ifindex` is set. Keys are
/// looked up by address only: a link-local peer's key holds on every interface.
pub fn set_md5(socket: &Socket, ipv6_socket: bool, key: &Md5Key) -> io::Result<()> {
    if key.key.len() > MD5_MAX_KEY_LEN {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("TCP-MD5 key longer than {MD5_MAX_KEY_LEN} octets"),
        ));
    }
    let sockaddr = SockAddr::from(family_addr(key.addr, ipv6_socket));
    let mut sig = TcpMd5Sig {
        addr: sockaddr_storage(&sockaddr),
        flags: 0,
        prefixlen: 0,
        keylen: 0,
        ifindex: 0,
        key: [0; MD5_MAX_KEY_LEN],
    };
    sig.keylen = u16::try_from(key.key.len()).unwrap_or(0);
    if let Some(dst) = sig.key.get_mut(..key.key.len()) {
        dst.copy_from_slice(&key.key);
    }
    let mut name = libc::TCP_MD5SIG;
    if let Some(len) = key.prefix_len {
        sig.flags |= TCP_MD5SIG_FLAG_PREFIX;
        // For an IPv4-mapped address the kernel takes the IPv4 prefix length (at most 32).
        sig.prefixlen = len;
        name = libc::TCP_MD5SIG_EXT;
    }
    if let Some(ifindex) = key.ifindex {
        sig.flags |= TCP_MD5SIG_FLAG_IFINDEX;
        sig.ifindex = libc::c_int::try_from(ifindex)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "interface index"))?;
        name = libc::TCP_MD5SIG_EXT;
    }
    setsockopt(socket, libc::IPPROTO_TCP, name, &sig)
}

/// A `sockaddr_storage` holding `addr`.
fn sockaddr_storage(addr: &SockAddr) -> libc::sockaddr_storage {
    // SAFETY: `sockaddr_storage` is plain old data for which all-zero bytes are a valid value.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = (addr.len() as usize).min(size_of::<libc::sockaddr_storage>());
    // SAFETY: `addr.as_ptr()` points to `addr.len()` initialised bytes, `storage` has room for
    // `len <= size_of::<sockaddr_storage>()` bytes, and the two do not overlap.
    unsafe {
        std::ptr::copy_nonoverlapping(
            addr.as_ptr().cast::<u8>(),
            (&mut storage as *mut libc::sockaddr_storage).cast::<u8>(),
            len,
        );
    }
    storage
}

/// Applies a [`TtlMode`] to a TCP socket (before `connect`, or right after `accept`).
///
/// GTSM (RFC 5082 §3): the sender sets the TTL (hop limit) of the packets of the protected
/// session to 255, and the receiver discards those that arrive with less than 255 minus the
/// trusted radius — here a minimum of `256 - hops`, `hops` counting the peer itself as FRR's
/// `ttl-security hops` does, so `hops = 1` accepts only 255.
pub fn set_ttl_mode(socket: &Socket, ipv6_socket: bool, mode: TtlMode) -> io::Result<()> {
    match mode {
        TtlMode::Default => Ok(()),
        TtlMode::Multihop(ttl) => set_ttl(socket, ipv6_socket, u32::from(ttl)),
        TtlMode::Security { hops } => {
            if hops == 0 || hops == 255 {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "ttl-security hops must be 1 to 254",
                ));
            }
            set_ttl(socket, ipv6_socket, 255)?;
            let min = libc::c_int::from(256 - u16::from(hops));
            if ipv6_socket {
                setsockopt(socket, libc::IPPROTO_IPV6, libc::IPV6_MINHOPCOUNT, &min)?;
            }
            // On an IPv6 socket carrying IPv4-mapped traffic the IPv4 option is the one that
            // applies; setting it too is harmless for native IPv6.
            match setsockopt(socket, libc::IPPROTO_IP, libc::IP_MINTTL, &min) {
                Err(e) if ipv6_socket => {
                    tracing::debug!("IP_MINTTL on an IPv6 socket: {e}");
                    Ok(())
                }
                r => r,
            }
        }
    }
}

/// The unicast TTL (IPv4) or hop limit (IPv6) of what the socket sends.
pub fn set_ttl(socket: &Socket, ipv6_socket: bool, ttl: u32) -> io::Result<()> {
    if ipv6_socket {
        socket.set_unicast_hops_v6(ttl)?;
        // Mapped IPv4 traffic on the same socket uses the IPv4 TTL.
        if let Err(e) = socket.set_ttl(ttl) {
            tracing::debug!("IP_TTL on an IPv6 socket: {e}");
        }
        Ok(())
    } else {
        socket.set_ttl(ttl)
    }
}

/// The interface index of `name` (`if_nametoindex(3)`).
pub fn if_index(name: &str) -> io::Result<u32> {
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

/// The link-layer (MAC) address of an interface, for the Source Link-Layer Address option
/// of our Router Advertisements. Asked of the kernel through a socket (`SIOCGIFHWADDR`), so
/// the answer is the calling thread's network namespace's even when the thread entered it
/// with `setns` (sysfs would still show the namespace it was mounted in).
pub fn if_hardware_address(name: &str) -> io::Result<Vec<u8>> {
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.len() >= libc::IFNAMSIZ || bytes.contains(&0) {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "bad interface name"));
    }
    let socket = Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None)?;
    // SAFETY: `ifreq` is plain old data; all zeroes is a valid value.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (d, s) in req.ifr_name.iter_mut().zip(bytes) {
        *d = *s as libc::c_char;
    }
    // SAFETY: SIOCGIFHWADDR reads `ifr_name` and writes `ifr_hwaddr` of `req`, which lives
    // across the call; the descriptor is owned by `socket`.
    let rc = unsafe { libc::ioctl(socket.as_raw_fd(), libc::SIOCGIFHWADDR, &mut req) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel filled the `ifru_hwaddr` member of the union.
    let addr = unsafe { req.ifr_ifru.ifru_hwaddr };
    let len = match addr.sa_family {
        libc::ARPHRD_ETHER | libc::ARPHRD_LOOPBACK => 6,
        _ => return Err(io::Error::new(io::ErrorKind::Unsupported, "not an Ethernet interface")),
    };
    Ok(addr.sa_data[..len].iter().map(|b| *b as u8).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use socket2::{Domain, Protocol, Type};
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn tcp(domain: Domain) -> Socket {
        Socket::new(domain, Type::STREAM, Some(Protocol::TCP)).unwrap()
    }

    #[test]
    fn md5_struct_matches_the_kernel_layout() {
        // 128 (sockaddr_storage) + 1 + 1 + 2 + 4 + 80.
        assert_eq!(size_of::<TcpMd5Sig>(), 216);
    }

    #[test]
    fn md5_key_set_and_removed_v4_and_v6() {
        let s4 = tcp(Domain::IPV4);
        let mut key = Md5Key {
            addr: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
            prefix_len: None,
            ifindex: None,
            key: b"secret".to_vec(),
        };
        set_md5(&s4, false, &key).unwrap();
        key.key.clear();
        set_md5(&s4, false, &key).unwrap();

        let s6 = tcp(Domain::IPV6);
        let key6 = Md5Key {
            addr: IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
            prefix_len: None,
            ifindex: None,
            key: b"secret".to_vec(),
        };
        set_md5(&s6, true, &key6).unwrap();
        // An IPv4 peer on an IPv6 socket, as a mapped address.
        let mapped = Md5Key { addr: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7)), ..key6.clone() };
        set_md5(&s6, true, &mapped).unwrap();
        // A prefix key, as for an unnumbered peer (every link-local address).
        let prefix = Md5Key {
            addr: IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0)),
            prefix_len: Some(10),
            ..key6
        };
        set_md5(&s6, true, &prefix).unwrap();
        // An IPv4 prefix on an IPv6 socket.
        let v4_prefix = Md5Key {
            addr: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 0)),
            prefix_len: Some(24),
            ..prefix.clone()
        };
        set_md5(&s6, true, &v4_prefix).unwrap();
        // The loopback interface is no VRF: the kernel refuses it.
        let on_lo = Md5Key { ifindex: Some(if_index("lo").unwrap()), ..prefix };
        assert_eq!(set_md5(&s6, true, &on_lo).unwrap_err().raw_os_error(), Some(libc::EINVAL));
    }

    #[test]
    fn md5_key_too_long_is_refused() {
        let s = tcp(Domain::IPV4);
        let key = Md5Key {
            addr: IpAddr::V4(Ipv4Addr::LOCALHOST),
            prefix_len: None,
            ifindex: None,
            key: vec![b'x'; 81],
        };
        assert_eq!(set_md5(&s, false, &key).unwrap_err().kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn ttl_modes_v4_and_v6() {
        let s4 = tcp(Domain::IPV4);
        set_ttl_mode(&s4, false, TtlMode::Multihop(5)).unwrap();
        assert_eq!(s4.ttl().unwrap(), 5);
        set_ttl_mode(&s4, false, TtlMode::Security { hops: 1 }).unwrap();
        assert_eq!(s4.ttl().unwrap(), 255);

        let s6 = tcp(Domain::IPV6);
        set_ttl_mode(&s6, true, TtlMode::Multihop(7)).unwrap();
        assert_eq!(s6.unicast_hops_v6().unwrap(), 7);
        set_ttl_mode(&s6, true, TtlMode::Security { hops: 2 }).unwrap();
        assert_eq!(s6.unicast_hops_v6().unwrap(), 255);
        assert!(set_ttl_mode(&s6, true, TtlMode::Security { hops: 0 }).is_err());
    }

    #[test]
    fn loopback_index_and_address() {
        assert!(if_index("lo").unwrap() > 0);
        assert!(if_index("no-such-if0").is_err());
        assert_eq!(if_hardware_address("lo").unwrap(), vec![0; 6]);
        assert!(if_hardware_address("../x").is_err());
    }
}
