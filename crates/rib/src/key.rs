//! Prefixes packed into integers: an IPv4 address is a `u32`, an IPv6 address a `u128`,
//! and the length is kept beside it. Host bits beyond the length are always zero.

use std::fmt::Debug;
use std::hash::Hash;
use std::net::{Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// An address family's address, as an unsigned integer (network byte order read as a
/// big-endian number, so bit 0 of the prefix is the most significant bit).
pub trait Addr: Copy + Eq + Ord + Hash + Debug + Default + 'static {
    /// Address width in bits: 32 or 128.
    const BITS: u8;
    /// The address with every bit past `len` cleared.
    fn mask(self, len: u8) -> Self;
    /// The prefix of `len` bits at this address.
    fn to_net(self, len: u8) -> IpNet;
}

/// splitmix64's finaliser: every output bit depends on every input bit.
#[inline(always)]
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Addr for u32 {
    const BITS: u8 = 32;

    #[inline(always)]
    fn mask(self, len: u8) -> u32 {
        match len {
            0 => 0,
            l if l >= 32 => self,
            l => self & (u32::MAX << (32 - l)),
        }
    }

    fn to_net(self, len: u8) -> IpNet {
        IpNet::V4(Ipv4Net::new(Ipv4Addr::from(self), len.min(32)).unwrap_or_default())
    }
}

impl Addr for u128 {
    const BITS: u8 = 128;

    #[inline(always)]
    fn mask(self, len: u8) -> u128 {
        match len {
            0 => 0,
            l if l >= 128 => self,
            l => self & (u128::MAX << (128 - l)),
        }
    }

    fn to_net(self, len: u8) -> IpNet {
        IpNet::V6(Ipv6Net::new(Ipv6Addr::from(self), len.min(128)).unwrap_or_default())
    }
}

/// An IPv4 prefix as `(address, length)`, canonical.
pub(crate) fn v4(net: &Ipv4Net) -> (u32, u8) {
    let len = net.prefix_len();
    (u32::from(net.addr()).mask(len), len)
}

/// An IPv6 prefix as `(address, length)`, canonical.
pub(crate) fn v6(net: &Ipv6Net) -> (u128, u8) {
    let len = net.prefix_len();
    (u128::from(net.addr()).mask(len), len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_clear_host_bits() {
        assert_eq!(0x0a0b_0c0du32.mask(24), 0x0a0b_0c00);
        assert_eq!(0x0a0b_0c0du32.mask(0), 0);
        assert_eq!(0x0a0b_0c0du32.mask(32), 0x0a0b_0c0d);
        assert_eq!(u128::MAX.mask(64), u128::MAX << 64);
        assert_eq!(v4(&"10.1.2.3/16".parse().unwrap()), (0x0a01_0000, 16));
        assert_eq!(0x0a01_0000u32.to_net(16).to_string(), "10.1.0.0/16");
    }
}
