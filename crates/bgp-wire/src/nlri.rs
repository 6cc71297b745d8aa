//! Network Layer Reachability Information: IPv4 and IPv6 prefixes, with the optional path
//! identifier of ADD-PATH (RFC 4271 §4.3, RFC 4760 §5, RFC 7911 §3).
//!
//! Decoding is split in two: [`check`] validates a whole field in one pass without allocating,
//! then [`NlriIter`] yields the prefixes of the validated bytes. Encoding writes the shortest
//! form: the prefix length and `ceil(length / 8)` address octets.

use core::net::{Ipv4Addr, Ipv6Addr};

use bytes::BytesMut;
use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use crate::error::Reason;
use crate::types::{Afi, Family, Safi};

/// One announced or withdrawn route: a prefix, and its path identifier when ADD-PATH was
/// negotiated for the family in this direction (RFC 7911 §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Nlri {
    /// The ADD-PATH path identifier, present exactly when the context says so.
    pub path_id: Option<u32>,
    /// The prefix, canonical (host bits beyond the length cleared).
    pub prefix: IpNet,
}

impl Nlri {
    /// A route without a path identifier.
    pub fn new(prefix: IpNet) -> Nlri {
        Nlri { path_id: None, prefix: prefix.trunc() }
    }

    /// A route with a path identifier (RFC 7911).
    pub fn with_path_id(path_id: u32, prefix: IpNet) -> Nlri {
        Nlri { path_id: Some(path_id), prefix: prefix.trunc() }
    }

    /// Octets this route takes on the wire, given whether path identifiers are carried.
    pub fn wire_len(&self, add_path: bool) -> usize {
        let id = if add_path { 4 } else { 0 };
        id + 1 + usize::from(self.prefix.prefix_len()).div_ceil(8)
    }

    /// Writes the route; the path identifier is written when `add_path` (as 0 when absent).
    pub fn encode(&self, add_path: bool, buf: &mut BytesMut) {
        // Fixed-size writes then a truncation: cheaper than copies of a variable length.
        let len = self.prefix.prefix_len();
        let n = usize::from(len).div_ceil(8);
        let id = self.path_id.unwrap_or(0).to_be_bytes();
        let unused = match self.prefix {
            IpNet::V4(p) => {
                let [a, b, c, d] = p.addr().octets();
                if add_path {
                    buf.extend_from_slice(&[id[0], id[1], id[2], id[3], len, a, b, c, d]);
                } else {
                    buf.extend_from_slice(&[len, a, b, c, d]);
                }
                4 - n.min(4)
            }
            IpNet::V6(p) => {
                if add_path {
                    buf.extend_from_slice(&id);
                }
                let mut o = [0u8; 17];
                o[0] = len;
                o[1..].copy_from_slice(&p.addr().octets());
                buf.extend_from_slice(&o);
                16 - n.min(16)
            }
        };
        buf.truncate(buf.len() - unused);
    }
}

/// The address family of prefixes in an NLRI field, as far as this module decodes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PrefixAfi {
    /// 32-bit prefixes.
    Ipv4,
    /// 128-bit prefixes.
    Ipv6,
}

impl PrefixAfi {
    /// The family's prefix kind, when its NLRI are plain prefixes (unicast and multicast of
    /// IPv4 and IPv6); `None` for families carried as raw octets.
    pub fn of(family: Family) -> Option<PrefixAfi> {
        match (family.afi, family.safi) {
            (Afi::IPV4, Safi::UNICAST | Safi::MULTICAST) => Some(PrefixAfi::Ipv4),
            (Afi::IPV6, Safi::UNICAST | Safi::MULTICAST) => Some(PrefixAfi::Ipv6),
            _ => None,
        }
    }

    /// Longest prefix length in bits.
    pub const fn max_len(self) -> u8 {
        match self {
            PrefixAfi::Ipv4 => 32,
            PrefixAfi::Ipv6 => 128,
        }
    }
}

/// Validates an NLRI (or withdrawn routes) field and counts its routes.
///
/// RFC 7606 §5.3: the field is syntactically incorrect when a prefix length exceeds the
/// address size or the last route overruns the field. On error, returns the position of the
/// faulty route relative to the start of `buf`.
#[inline]
pub fn check(buf: &[u8], afi: PrefixAfi, add_path: bool) -> Result<usize, (usize, Reason)> {
    let max = afi.max_len();
    let id = if add_path { 4 } else { 0 };
    let mut pos = 0usize;
    let mut count = 0usize;
    while pos < buf.len() {
        let start = pos;
        let Some(&len) = buf.get(pos + id) else {
            return Err((start, Reason::Truncated { needed: id + 1, available: buf.len() - pos }));
        };
        if len > max {
            return Err((start, Reason::InvalidNetwork));
        }
        pos += id + 1 + usize::from(len).div_ceil(8);
        if pos > buf.len() {
            return Err((start, Reason::InvalidNetwork));
        }
        count += 1;
    }
    Ok(count)
}

/// Iterator over the routes of an NLRI field. Meant for bytes that [`check`] accepted; on
/// anything malformed it stops rather than fail.
#[derive(Clone, Debug)]
pub struct NlriIter<'a> {
    buf: &'a [u8],
    afi: PrefixAfi,
    add_path: bool,
}

impl<'a> NlriIter<'a> {
    /// Iterates `buf`, routes of kind `afi`, with path identifiers when `add_path`.
    pub fn new(buf: &'a [u8], afi: PrefixAfi, add_path: bool) -> NlriIter<'a> {
        NlriIter { buf, afi, add_path }
    }

    /// An iterator that yields nothing.
    pub fn empty() -> NlriIter<'static> {
        NlriIter { buf: &[], afi: PrefixAfi::Ipv4, add_path: false }
    }

    /// The octets not yet iterated.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }
}

impl Iterator for NlriIter<'_> {
    type Item = Nlri;

    #[inline]
    fn next(&mut self) -> Option<Nlri> {
        let mut b = self.buf;
        let path_id = if self.add_path {
            let (id, rest) = b.split_first_chunk::<4>()?;
            b = rest;
            Some(u32::from_be_bytes(*id))
        } else {
            None
        };
        let (&len, rest) = b.split_first()?;
        let n = usize::from(len).div_ceil(8);
        let (addr, tail) = (rest.get(..n)?, rest.get(n..)?);
        // The address is read as a whole word from the field when enough octets follow (the
        // octets past the prefix are masked off): no copy of a variable length.
        let prefix = match self.afi {
            PrefixAfi::Ipv4 => {
                if len > 32 {
                    self.buf = &[];
                    return None;
                }
                let word = match rest.first_chunk::<4>() {
                    Some(w) => *w,
                    None => {
                        let mut o = [0u8; 4];
                        o.get_mut(..n)?.copy_from_slice(addr);
                        o
                    }
                };
                let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
                let a = Ipv4Addr::from(u32::from_be_bytes(word) & mask);
                IpNet::V4(Ipv4Net::new(a, len).ok()?)
            }
            PrefixAfi::Ipv6 => {
                if len > 128 {
                    self.buf = &[];
                    return None;
                }
                let word = match rest.first_chunk::<16>() {
                    Some(w) => *w,
                    None => {
                        let mut o = [0u8; 16];
                        o.get_mut(..n)?.copy_from_slice(addr);
                        o
                    }
                };
                let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
                let a = Ipv6Addr::from(u128::from_be_bytes(word) & mask);
                IpNet::V6(Ipv6Net::new(a, len).ok()?)
            }
        };
        let rest = tail;
        self.buf = rest;
        Some(Nlri { path_id, prefix })
    }
}

/// True when every route of a validated field is in canonical form (no host bits set beyond
/// the prefix length), so that re-encoding the typed routes gives the same octets.
pub fn is_canonical(buf: &[u8], add_path: bool) -> bool {
    let id = if add_path { 4 } else { 0 };
    let mut pos = 0usize;
    while let Some(&len) = buf.get(pos + id) {
        let n = usize::from(len).div_ceil(8);
        pos += id + 1 + n;
        let rem = len % 8;
        if rem != 0 {
            match buf.get(pos - 1) {
                Some(last) if last & (0xff >> rem) != 0 => return false,
                _ => {}
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(hex: &str, afi: PrefixAfi, add_path: bool) -> Vec<Nlri> {
        let b = hex::decode(hex).unwrap();
        let n = check(&b, afi, add_path).unwrap();
        let v: Vec<_> = NlriIter::new(&b, afi, add_path).collect();
        assert_eq!(v.len(), n);
        v
    }

    fn encode(v: &[Nlri], add_path: bool) -> String {
        let mut b = BytesMut::new();
        for n in v {
            n.encode(add_path, &mut b);
        }
        hex::encode(&b)
    }

    #[test]
    fn ipv4_vectors() {
        let cases: &[(&str, &str)] = &[
            ("18c0a801", "192.168.1.0/24"),
            ("00", "0.0.0.0/0"),
            ("200a000001", "10.0.0.1/32"),
            ("0d0a08", "10.8.0.0/13"),
        ];
        for (hex, p) in cases {
            let v = decode(hex, PrefixAfi::Ipv4, false);
            assert_eq!(v, vec![Nlri::new(p.parse().unwrap())], "{hex}");
            assert_eq!(encode(&v, false), *hex);
        }
    }

    #[test]
    fn ipv6_and_add_path() {
        let hex = "0000000120200104b8";
        let v = decode(hex, PrefixAfi::Ipv6, true);
        assert_eq!(v, vec![Nlri::with_path_id(1, "2001:4b8::/32".parse().unwrap())]);
        assert_eq!(encode(&v, true), hex);
        let hex = "0000000218c0a801";
        let v = decode(hex, PrefixAfi::Ipv4, true);
        assert_eq!(v, vec![Nlri::with_path_id(2, "192.168.1.0/24".parse().unwrap())]);
        assert_eq!(encode(&v, true), hex);
    }

    #[test]
    fn non_canonical_is_truncated() {
        let b = hex::decode("170a0101").unwrap();
        let v = decode("170a0101", PrefixAfi::Ipv4, false);
        assert_eq!(v[0].prefix, "10.1.0.0/23".parse::<IpNet>().unwrap());
        assert!(!is_canonical(&b, false));
        assert!(is_canonical(&hex::decode("170a0100").unwrap(), false));
    }

    #[test]
    fn errors() {
        assert_eq!(
            check(&[33, 1, 2, 3, 4, 5], PrefixAfi::Ipv4, false),
            Err((0, Reason::InvalidNetwork))
        );
        assert_eq!(
            check(&[8, 10, 24, 1], PrefixAfi::Ipv4, false),
            Err((2, Reason::InvalidNetwork))
        );
        assert!(check(&[0, 0, 0], PrefixAfi::Ipv4, true).is_err());
        assert_eq!(check(&[129], PrefixAfi::Ipv6, false), Err((0, Reason::InvalidNetwork)));
        assert_eq!(check(&[128; 17], PrefixAfi::Ipv6, false), Ok(1));
    }
}
