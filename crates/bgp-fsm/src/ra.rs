//! ICMPv6 Router Advertisement encoding and decoding (RFC 4861 §4.2, §4.6).
//!
//! Unnumbered BGP learns the neighbour's link-local address from the source of the RAs it
//! receives, and sends RAs so the neighbour learns ours (FRR's `neighbor IF interface` does
//! exactly this). Only the ICMPv6 message is handled here, not the IPv6 header.
//!
//! **Checksum.** On a raw `IPPROTO_ICMPV6` socket the Linux kernel computes the checksum of
//! what is sent and verifies the checksum of what is received (RFC 3542 §3.1), so the adapter
//! hands [`RouterAdvertisement::encode`]'s output (checksum field zero) to the kernel as it is
//! and [`RouterAdvertisement::decode`] does not verify it. An adapter that builds IPv6 packets
//! itself fills the field with [`checksum`].
//!
//! **Hop limit.** RFC 4861 §6.1.2 discards an RA whose IP Hop Limit is not 255; that field is
//! in the IPv6 header, so the adapter checks it (`IPV6_RECVHOPLIMIT`) and sends with 255.

use bytes::{BufMut, Bytes, BytesMut};
use std::net::Ipv6Addr;

/// ICMPv6 type of a Router Advertisement.
pub const ICMPV6_ROUTER_ADVERTISEMENT: u8 = 134;
/// Length of the fixed part: type, code, checksum, hop limit, flags, lifetime, two timers.
pub const FIXED_LEN: usize = 16;

/// Option type: Source Link-Layer Address (RFC 4861 §4.6.1).
pub const OPT_SOURCE_LINK_LAYER_ADDRESS: u8 = 1;
/// Option type: Prefix Information (RFC 4861 §4.6.2).
pub const OPT_PREFIX_INFORMATION: u8 = 3;
/// Option type: MTU (RFC 4861 §4.6.4).
pub const OPT_MTU: u8 = 5;

/// The "Managed address configuration" flag (M).
pub const FLAG_MANAGED: u8 = 0x80;
/// The "Other configuration" flag (O).
pub const FLAG_OTHER: u8 = 0x40;

/// Why an RA could not be decoded. RFC 4861 §6.1.2 says to silently discard such packets; the
/// session does, and the error is there for the adapter's logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RaError {
    /// Fewer than the 16 octets of the fixed part.
    #[error("router advertisement truncated: {0} octets")]
    Truncated(usize),
    /// Not ICMPv6 type 134.
    #[error("ICMPv6 type {0} is not a router advertisement")]
    NotRouterAdvertisement(u8),
    /// RFC 4861 §6.1.2: "ICMP Code is 0."
    #[error("ICMPv6 code {0}, expected 0")]
    BadCode(u8),
    /// RFC 4861 §6.1.2: "All included options have a length that is greater than zero."
    #[error("option at offset {0} has length zero")]
    ZeroLengthOption(usize),
    /// An option runs past the end of the message.
    #[error("option at offset {0} overruns the message")]
    OptionOverrun(usize),
    /// A known option whose length does not fit its definition.
    #[error("option type {kind} at offset {offset} has a bad length")]
    BadOptionLength {
        /// Option type.
        kind: u8,
        /// Offset of the option in the message.
        offset: usize,
    },
}

/// A Prefix Information option (RFC 4861 §4.6.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrefixInformation {
    /// Prefix Length.
    pub prefix_len: u8,
    /// On-link flag (L).
    pub on_link: bool,
    /// Autonomous address-configuration flag (A).
    pub autonomous: bool,
    /// Valid Lifetime, seconds.
    pub valid_lifetime: u32,
    /// Preferred Lifetime, seconds.
    pub preferred_lifetime: u32,
    /// Prefix.
    pub prefix: Ipv6Addr,
}

/// One option of an RA.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RaOption {
    /// Source Link-Layer Address: the sender's MAC address on Ethernet.
    SourceLinkLayerAddress(Bytes),
    /// MTU of the link.
    Mtu(u32),
    /// Prefix Information.
    PrefixInformation(PrefixInformation),
    /// Any other option, kept as it came (type, then the octets after the length field).
    Other {
        /// Option type.
        kind: u8,
        /// Value, the octets after the type and length fields.
        value: Bytes,
    },
}

/// An ICMPv6 Router Advertisement (RFC 4861 §4.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouterAdvertisement {
    /// Cur Hop Limit: 0 means unspecified.
    pub cur_hop_limit: u8,
    /// The flags octet (M, O and the bits later RFCs define), as it came.
    pub flags: u8,
    /// Router Lifetime, seconds: 0 means "not a default router" (RFC 4861 §4.2).
    pub router_lifetime: u16,
    /// Reachable Time, milliseconds: 0 means unspecified.
    pub reachable_time: u32,
    /// Retrans Timer, milliseconds: 0 means unspecified.
    pub retrans_timer: u32,
    /// Options, in order.
    pub options: Vec<RaOption>,
}

impl RouterAdvertisement {
    /// Decodes an ICMPv6 message (starting at the ICMPv6 type) as a Router Advertisement.
    pub fn decode(msg: &[u8]) -> Result<RouterAdvertisement, RaError> {
        let fixed: &[u8; FIXED_LEN] = msg
            .get(..FIXED_LEN)
            .and_then(|s| s.try_into().ok())
            .ok_or(RaError::Truncated(msg.len()))?;
        if fixed[0] != ICMPV6_ROUTER_ADVERTISEMENT {
            return Err(RaError::NotRouterAdvertisement(fixed[0]));
        }
        if fixed[1] != 0 {
            return Err(RaError::BadCode(fixed[1]));
        }
        let mut ra = RouterAdvertisement {
            cur_hop_limit: fixed[4],
            flags: fixed[5],
            router_lifetime: u16::from_be_bytes([fixed[6], fixed[7]]),
            reachable_time: u32::from_be_bytes([fixed[8], fixed[9], fixed[10], fixed[11]]),
            retrans_timer: u32::from_be_bytes([fixed[12], fixed[13], fixed[14], fixed[15]]),
            options: Vec::new(),
        };
        let mut offset = FIXED_LEN;
        while offset < msg.len() {
            let (kind, units) = match msg.get(offset..offset + 2) {
                Some(&[k, l]) => (k, l),
                _ => return Err(RaError::OptionOverrun(offset)),
            };
            if units == 0 {
                return Err(RaError::ZeroLengthOption(offset));
            }
            let len = usize::from(units) * 8;
            let value = msg.get(offset + 2..offset + len).ok_or(RaError::OptionOverrun(offset))?;
            ra.options.push(decode_option(kind, value, offset)?);
            offset += len;
        }
        Ok(ra)
    }

    /// Encodes the message with a zero checksum (see the module docs).
    pub fn encode(&self) -> Bytes {
        let mut b = BytesMut::with_capacity(FIXED_LEN + 8 * self.options.len());
        b.put_u8(ICMPV6_ROUTER_ADVERTISEMENT);
        b.put_u8(0);
        b.put_u16(0);
        b.put_u8(self.cur_hop_limit);
        b.put_u8(self.flags);
        b.put_u16(self.router_lifetime);
        b.put_u32(self.reachable_time);
        b.put_u32(self.retrans_timer);
        for o in &self.options {
            encode_option(o, &mut b);
        }
        b.freeze()
    }

    /// The Source Link-Layer Address option, if present.
    pub fn source_link_layer_address(&self) -> Option<&[u8]> {
        self.options.iter().find_map(|o| match o {
            RaOption::SourceLinkLayerAddress(a) => Some(&a[..]),
            _ => None,
        })
    }

    /// The MTU option, if present.
    pub fn mtu(&self) -> Option<u32> {
        self.options.iter().find_map(|o| match o {
            RaOption::Mtu(m) => Some(*m),
            _ => None,
        })
    }
}

fn decode_option(kind: u8, value: &[u8], offset: usize) -> Result<RaOption, RaError> {
    let bad = RaError::BadOptionLength { kind, offset };
    Ok(match kind {
        OPT_SOURCE_LINK_LAYER_ADDRESS => {
            // The address fills the option; for Ethernet it is 6 octets followed by no padding
            // (8-octet option). Trailing zero padding of other link layers is kept.
            RaOption::SourceLinkLayerAddress(Bytes::copy_from_slice(value))
        }
        OPT_MTU => match value {
            [_, _, a, b, c, d] => RaOption::Mtu(u32::from_be_bytes([*a, *b, *c, *d])),
            _ => return Err(bad),
        },
        OPT_PREFIX_INFORMATION => {
            let v: &[u8; 30] = value.try_into().map_err(|_| bad)?;
            let mut prefix = [0u8; 16];
            prefix.copy_from_slice(&v[14..30]);
            RaOption::PrefixInformation(PrefixInformation {
                prefix_len: v[0],
                on_link: v[1] & 0x80 != 0,
                autonomous: v[1] & 0x40 != 0,
                valid_lifetime: u32::from_be_bytes([v[2], v[3], v[4], v[5]]),
                preferred_lifetime: u32::from_be_bytes([v[6], v[7], v[8], v[9]]),
                prefix: Ipv6Addr::from(prefix),
            })
        }
        _ => RaOption::Other { kind, value: Bytes::copy_from_slice(value) },
    })
}

/// Writes type, length in units of 8 octets and the value padded with zeros to that length.
fn put_padded(kind: u8, value: &[u8], b: &mut BytesMut) {
    let total = (value.len() + 2).div_ceil(8).max(1);
    // An option longer than 255 * 8 octets cannot be expressed; the value is cut there.
    let units = total.min(255);
    let room = units * 8 - 2;
    b.put_u8(kind);
    b.put_u8(units as u8);
    let value = value.get(..room).unwrap_or(value);
    b.put_slice(value);
    b.put_bytes(0, room - value.len());
}

fn encode_option(o: &RaOption, b: &mut BytesMut) {
    match o {
        RaOption::SourceLinkLayerAddress(a) => put_padded(OPT_SOURCE_LINK_LAYER_ADDRESS, a, b),
        RaOption::Mtu(m) => {
            let mut v = [0u8; 6];
            v[2..].copy_from_slice(&m.to_be_bytes());
            put_padded(OPT_MTU, &v, b);
        }
        RaOption::PrefixInformation(p) => {
            let mut v = [0u8; 30];
            v[0] = p.prefix_len;
            v[1] = (if p.on_link { 0x80 } else { 0 }) | (if p.autonomous { 0x40 } else { 0 });
            v[2..6].copy_from_slice(&p.valid_lifetime.to_be_bytes());
            v[6..10].copy_from_slice(&p.preferred_lifetime.to_be_bytes());
            v[14..30].copy_from_slice(&p.prefix.octets());
            put_padded(OPT_PREFIX_INFORMATION, &v, b);
        }
        RaOption::Other { kind, value } => put_padded(*kind, value, b),
    }
}

/// The ICMPv6 checksum of `msg` sent from `src` to `dst` (RFC 4443 §2.3, pseudo-header of
/// RFC 8200 §8.1). The checksum field of `msg` (octets 2 and 3) is taken as zero.
pub fn checksum(src: Ipv6Addr, dst: Ipv6Addr, msg: &[u8]) -> u16 {
    let mut sum: u64 = 0;
    let mut add = |bytes: &[u8]| {
        for pair in bytes.chunks(2) {
            let hi = u64::from(pair.first().copied().unwrap_or(0));
            let lo = u64::from(pair.get(1).copied().unwrap_or(0));
            sum += (hi << 8) | lo;
        }
    };
    add(&src.octets());
    add(&dst.octets());
    add(&(msg.len() as u32).to_be_bytes());
    add(&[0, 0, 0, 58]);
    add(msg.get(..2).unwrap_or(msg));
    add(msg.get(4..).unwrap_or(&[]));
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Whether `addr` is an IPv6 link-local unicast address (fe80::/10).
pub fn is_link_local(addr: Ipv6Addr) -> bool {
    addr.segments()[0] & 0xffc0 == 0xfe80
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An RA as FRR sends it with `ipv6 nd ra-interval 3` and router lifetime 0: hop limit 64,
    /// source link-layer address 02:00:00:00:00:01, MTU 1500.
    const FRR_RA: [u8; 32] = [
        0x86, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, // type, code, cksum, hl, flags, life
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // reachable, retrans
        0x01, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, // SLLA
        0x05, 0x01, 0x00, 0x00, 0x00, 0x00, 0x05, 0xdc, // MTU 1500
    ];

    fn frr_ra() -> RouterAdvertisement {
        RouterAdvertisement {
            cur_hop_limit: 64,
            flags: 0,
            router_lifetime: 0,
            reachable_time: 0,
            retrans_timer: 0,
            options: vec![
                RaOption::SourceLinkLayerAddress(Bytes::from_static(&[2, 0, 0, 0, 0, 1])),
                RaOption::Mtu(1500),
            ],
        }
    }

    #[test]
    fn decode_and_encode_vector() {
        let ra = RouterAdvertisement::decode(&FRR_RA).unwrap();
        assert_eq!(ra, frr_ra());
        assert_eq!(ra.mtu(), Some(1500));
        assert_eq!(ra.source_link_layer_address(), Some(&[2, 0, 0, 0, 0, 1][..]));
        assert_eq!(&frr_ra().encode()[..], &FRR_RA[..]);
    }

    #[test]
    fn prefix_information_and_unknown_round_trip() {
        let ra = RouterAdvertisement {
            cur_hop_limit: 255,
            flags: FLAG_MANAGED | FLAG_OTHER,
            router_lifetime: 1800,
            reachable_time: 30_000,
            retrans_timer: 1000,
            options: vec![
                RaOption::PrefixInformation(PrefixInformation {
                    prefix_len: 64,
                    on_link: true,
                    autonomous: false,
                    valid_lifetime: 2_592_000,
                    preferred_lifetime: 604_800,
                    prefix: "2001:db8:1::".parse().unwrap(),
                }),
                RaOption::Other { kind: 25, value: Bytes::from_static(&[0; 14]) },
            ],
        };
        let wire = ra.encode();
        assert_eq!(wire.len(), 16 + 32 + 16);
        assert_eq!(RouterAdvertisement::decode(&wire).unwrap(), ra);
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(RouterAdvertisement::decode(&FRR_RA[..10]), Err(RaError::Truncated(10)));
        let mut v = FRR_RA;
        v[0] = 135;
        assert_eq!(RouterAdvertisement::decode(&v), Err(RaError::NotRouterAdvertisement(135)));
        let mut v = FRR_RA;
        v[1] = 1;
        assert_eq!(RouterAdvertisement::decode(&v), Err(RaError::BadCode(1)));
        let mut v = FRR_RA;
        v[17] = 0;
        assert_eq!(RouterAdvertisement::decode(&v), Err(RaError::ZeroLengthOption(16)));
        let mut v = FRR_RA;
        v[25] = 2;
        assert_eq!(RouterAdvertisement::decode(&v), Err(RaError::OptionOverrun(24)));
        assert_eq!(RouterAdvertisement::decode(&FRR_RA[..31]), Err(RaError::OptionOverrun(24)));
        let mut v = FRR_RA.to_vec();
        v.extend_from_slice(&[0x03, 0x01, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            RouterAdvertisement::decode(&v),
            Err(RaError::BadOptionLength { kind: 3, offset: 32 })
        );
    }

    #[test]
    fn checksum_verifies_to_zero() {
        let src: Ipv6Addr = "fe80::1".parse().unwrap();
        let dst: Ipv6Addr = "ff02::1".parse().unwrap();
        let mut msg = FRR_RA.to_vec();
        let c = checksum(src, dst, &msg);
        msg[2..4].copy_from_slice(&c.to_be_bytes());
        // Summing a message with its checksum in place gives 0xffff, i.e. a complement of 0.
        let mut sum: u32 = 0;
        let mut words: Vec<u8> = Vec::new();
        words.extend_from_slice(&src.octets());
        words.extend_from_slice(&dst.octets());
        words.extend_from_slice(&(msg.len() as u32).to_be_bytes());
        words.extend_from_slice(&[0, 0, 0, 58]);
        words.extend_from_slice(&msg);
        for p in words.chunks(2) {
            sum += u32::from(u16::from_be_bytes([p[0], p[1]]));
        }
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        assert_eq!(sum, 0xffff);
        // Changing the source changes the checksum.
        assert_ne!(checksum("fe80::2".parse().unwrap(), dst, &FRR_RA), c);
    }

    #[test]
    fn link_local() {
        assert!(is_link_local("fe80::1".parse().unwrap()));
        assert!(is_link_local("febf::1".parse().unwrap()));
        assert!(!is_link_local("fec0::1".parse().unwrap()));
        assert!(!is_link_local("2001:db8::1".parse().unwrap()));
    }
}
