//! Interface discovery from the operating system: index
//! (`if_nametoindex(3)`), state, IPv4 and IPv6 addresses (`getifaddrs(3)`),
//! MTU (`SIOCGIFMTU`).
//!
//! All three go through sockets or netlink of the calling thread's network
//! namespace, so discovery is right also on a thread that entered a
//! namespace with `setns(2)` (where `/sys/class/net` would still show the
//! namespace that mounted sysfs). The driver rereads interfaces on a short
//! interval and reports changes; for a router with a few interfaces that
//! is simpler than a netlink subscription.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::fd::AsRawFd;

use ipnet::{Ipv4Net, Ipv6Net};
use nix::ifaddrs::getifaddrs;
use nix::net::if_::{if_nametoindex, InterfaceFlags};

use crate::engine::InterfaceState;
use crate::error::Error;

/// Reads the state of interface `name`.
///
/// # Errors
///
/// [`Error::Interface`] when the interface does not exist or cannot be read.
pub fn discover(name: &str) -> Result<InterfaceState, Error> {
    let fail = |reason: String| Error::Interface { name: name.to_owned(), reason };
    if name.is_empty() || name.len() >= libc::IFNAMSIZ {
        return Err(fail("not an interface name".into()));
    }
    let ifindex = if_nametoindex(name).map_err(|e| fail(format!("if_nametoindex: {e}")))?;
    let mut flags = InterfaceFlags::empty();
    let mut addrs = Vec::new();
    let mut addrs6 = Vec::new();
    for ifa in getifaddrs().map_err(|e| fail(format!("getifaddrs: {e}")))? {
        if ifa.interface_name != name {
            continue;
        }
        flags |= ifa.flags;
        let addr = ifa.address.as_ref().and_then(|a| a.as_sockaddr_in()).map(|a| a.ip());
        let mask = ifa.netmask.as_ref().and_then(|a| a.as_sockaddr_in()).map(|a| a.ip());
        if let Some(net) = addr.zip(mask).and_then(|(a, m)| with_mask(a, m)) {
            addrs.push(net);
        }
        let addr6 = ifa.address.as_ref().and_then(|a| a.as_sockaddr_in6()).map(|a| a.ip());
        let mask6 = ifa.netmask.as_ref().and_then(|a| a.as_sockaddr_in6()).map(|a| a.ip());
        if let Some(net) = addr6.zip(mask6).and_then(|(a, m)| with_mask6(a, m)) {
            addrs6.push(net);
        }
    }
    let mtu = mtu(name).map_err(|e| fail(format!("ioctl(SIOCGIFMTU): {e}")))?;
    Ok(InterfaceState { ifindex, name: name.to_owned(), up: is_up(flags), mtu, addrs, addrs6 })
}

/// Up and running: the administrative flag and the operational state.
fn is_up(flags: InterfaceFlags) -> bool {
    flags.contains(InterfaceFlags::IFF_UP) && flags.contains(InterfaceFlags::IFF_RUNNING)
}

/// `addr/len` from a contiguous netmask; `None` for a non-contiguous one.
fn with_mask(addr: Ipv4Addr, mask: Ipv4Addr) -> Option<Ipv4Net> {
    let m = u32::from(mask);
    let len = m.leading_ones();
    if m.checked_shl(len).unwrap_or(0) != 0 {
        return None;
    }
    Ipv4Net::new(addr, u8::try_from(len).ok()?).ok()
}

/// `addr/len` from a contiguous IPv6 netmask; `None` for a non-contiguous one.
fn with_mask6(addr: Ipv6Addr, mask: Ipv6Addr) -> Option<Ipv6Net> {
    let m = u128::from(mask);
    let len = m.leading_ones();
    if m.checked_shl(len).unwrap_or(0) != 0 {
        return None;
    }
    Ipv6Net::new(addr, u8::try_from(len).ok()?).ok()
}

/// The MTU of `name` from `ioctl(SIOCGIFMTU)` on a datagram socket.
#[allow(unsafe_code)]
fn mtu(name: &str) -> std::io::Result<u32> {
    let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None)?;
    // SAFETY: `ifreq` is plain old data for which all-zero bytes are valid.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    // The caller checked that the name is shorter than IFNAMSIZ, so the
    // zeroed tail keeps the terminating NUL.
    for (dst, src) in req.ifr_name.iter_mut().zip(name.bytes()) {
        *dst = src as libc::c_char;
    }
    // SAFETY: SIOCGIFMTU reads `ifr_name` and writes `ifr_ifru.ifru_mtu`
    // inside `req`, which is a valid, exclusively borrowed `ifreq` for the
    // duration of the call; the descriptor is open for the call.
    let rc = unsafe { libc::ioctl(sock.as_raw_fd(), libc::SIOCGIFMTU, &mut req) };
    if rc < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: after a successful SIOCGIFMTU the kernel has written the
    // `ifru_mtu` member of the union.
    let mtu = unsafe { req.ifr_ifru.ifru_mtu };
    u32::try_from(mtu).map_err(|_| std::io::Error::other(format!("negative MTU {mtu}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_to_prefix_lengths() {
        let a = Ipv4Addr::new(192, 168, 2, 65);
        assert_eq!(with_mask(a, Ipv4Addr::new(255, 255, 255, 0)), "192.168.2.65/24".parse().ok());
        assert_eq!(with_mask(a, Ipv4Addr::new(255, 255, 255, 255)), "192.168.2.65/32".parse().ok());
        assert_eq!(with_mask(a, Ipv4Addr::UNSPECIFIED), "192.168.2.65/0".parse().ok());
        assert_eq!(with_mask(a, Ipv4Addr::new(255, 0, 255, 0)), None);
    }

    #[test]
    fn ipv6_masks_to_prefix_lengths() {
        let a: Ipv6Addr = "fe80::1".parse().unwrap();
        let m = |s: &str| s.parse::<Ipv6Addr>().unwrap();
        assert_eq!(with_mask6(a, m("ffff:ffff:ffff:ffff::")), "fe80::1/64".parse().ok());
        assert_eq!(with_mask6(a, Ipv6Addr::from(u128::MAX)), "fe80::1/128".parse().ok());
        assert_eq!(with_mask6(a, Ipv6Addr::UNSPECIFIED), "fe80::1/0".parse().ok());
        assert_eq!(with_mask6(a, m("ffff::ffff")), None);
    }

    #[test]
    fn up_needs_admin_and_operational_state() {
        assert!(is_up(InterfaceFlags::IFF_UP | InterfaceFlags::IFF_RUNNING));
        assert!(!is_up(InterfaceFlags::IFF_UP));
        assert!(!is_up(InterfaceFlags::IFF_RUNNING));
    }

    #[test]
    fn loopback_is_found() {
        let lo = discover("lo").unwrap();
        assert_eq!(lo.ifindex, 1);
        assert_eq!(
            lo.mtu,
            std::fs::read_to_string("/sys/class/net/lo/mtu")
                .unwrap()
                .trim()
                .parse::<u32>()
                .unwrap()
        );
        assert!(lo.addrs.iter().any(|n| n.addr() == Ipv4Addr::LOCALHOST && n.prefix_len() == 8));
        assert!(lo.addrs6.iter().any(|n| n.addr() == Ipv6Addr::LOCALHOST && n.prefix_len() == 128));
        assert_eq!(lo.link_local(), None, "lo has no link-local address");
        assert!(lo.up);
    }

    #[test]
    fn unknown_and_bad_names_are_errors() {
        let err = discover("nosuchif0").unwrap_err().to_string();
        assert!(err.contains("nosuchif0"), "{err}");
        assert!(discover("").is_err());
        assert!(discover("a-name-longer-than-ifnamsiz").is_err());
    }
}
