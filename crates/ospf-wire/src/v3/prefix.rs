//! The IPv6 prefix representation of OSPFv3 LSAs (RFC 5340 A.4.1).
//!
//! ```text
//! | PrefixLength  | PrefixOptions |   (16 bits, use varies)       |
//! |                 Address Prefix (0 to 4 words)                 |
//! ```
//!
//! "The Address Prefix is an even multiple of 32-bit words": a prefix of
//! length L takes (L + 31) / 32 words, the bits after the prefix padded.

use std::fmt;
use std::net::Ipv6Addr;

use bytes::{BufMut, BytesMut};

use crate::error::DecodeError;
use crate::reader::Reader;
use crate::v3::codepoints::PrefixOptions;

/// An IPv6 prefix as OSPFv3 carries it: a length of 0 to 128 and the
/// address words that length needs.
///
/// Octets of the address beyond those words are always zero (they are not
/// sent); bits inside the last word but beyond the length are kept as
/// received, so a prefix re-encodes to the octets it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ipv6Prefix {
    address: Ipv6Addr,
    length: u8,
}

impl Ipv6Prefix {
    /// A prefix of `length` bits of `address`; `None` above 128. Octets past
    /// the 32-bit words the length needs are cleared.
    #[must_use]
    pub fn new(address: Ipv6Addr, length: u8) -> Option<Self> {
        if length > 128 {
            return None;
        }
        let mut octets = address.octets();
        let used = Self::words(length) * 4;
        for o in octets.iter_mut().skip(used) {
            *o = 0;
        }
        Some(Self { address: Ipv6Addr::from(octets), length })
    }

    /// The address; bits after the length may be set if they were received so.
    #[must_use]
    pub fn address(&self) -> Ipv6Addr {
        self.address
    }

    /// The prefix length in bits.
    #[must_use]
    pub fn length(&self) -> u8 {
        self.length
    }

    /// The address with every bit after the prefix length cleared.
    #[must_use]
    pub fn network(&self) -> Ipv6Addr {
        let bits = u128::from(self.address);
        let mask = u128::MAX.checked_shl(128 - u32::from(self.length)).unwrap_or(0);
        Ipv6Addr::from(bits & mask)
    }

    /// 32-bit words of Address Prefix for a prefix of `length` bits.
    #[must_use]
    pub fn words(length: u8) -> usize {
        usize::from(length).div_ceil(32)
    }

    /// Octets of Address Prefix on the wire.
    #[must_use]
    pub fn wire_len(&self) -> usize {
        Self::words(self.length) * 4
    }

    /// Read the Address Prefix words of a prefix of `length` bits.
    pub(crate) fn read_address(r: &mut Reader, length: u8, at: usize) -> Result<Self, DecodeError> {
        if length > 128 {
            return Err(DecodeError::bad_length(at, length.into(), "IPv6 prefix"));
        }
        let n = Self::words(length) * 4;
        let words = r.take(n)?;
        let mut octets = [0u8; 16];
        octets[..n].copy_from_slice(&words);
        Ok(Self { address: Ipv6Addr::from(octets), length })
    }

    /// Write the Address Prefix words.
    pub(crate) fn write_address(&self, buf: &mut BytesMut) {
        let octets = self.address.octets();
        buf.put_slice(&octets[..self.wire_len()]);
    }
}

impl fmt::Display for Ipv6Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.address, self.length)
    }
}

/// A prefix entry: PrefixLength, PrefixOptions, the 16-bit field whose use
/// depends on the LSA (zero, a metric or a referenced LS type), and the
/// Address Prefix.
pub(crate) fn read_entry(r: &mut Reader) -> Result<(Ipv6Prefix, PrefixOptions, u16), DecodeError> {
    let at = r.offset();
    let length = r.u8()?;
    let options = PrefixOptions(r.u8()?);
    let field = r.u16()?;
    let prefix = Ipv6Prefix::read_address(r, length, at)?;
    Ok((prefix, options, field))
}

/// Write a prefix entry as [`read_entry`] reads it.
pub(crate) fn write_entry(
    buf: &mut BytesMut,
    prefix: &Ipv6Prefix,
    options: PrefixOptions,
    field: u16,
) {
    buf.put_u8(prefix.length);
    buf.put_u8(options.0);
    buf.put_u16(field);
    prefix.write_address(buf);
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    fn p(s: &str, len: u8) -> Ipv6Prefix {
        let a: Ipv6Addr = s.parse().unwrap_or(Ipv6Addr::UNSPECIFIED);
        Ipv6Prefix::new(a, len).unwrap_or_else(|| panic!("bad length {len}"))
    }

    #[test]
    fn word_counts() {
        assert_eq!(Ipv6Prefix::words(0), 0);
        assert_eq!(Ipv6Prefix::words(1), 1);
        assert_eq!(Ipv6Prefix::words(32), 1);
        assert_eq!(Ipv6Prefix::words(33), 2);
        assert_eq!(Ipv6Prefix::words(64), 2);
        assert_eq!(Ipv6Prefix::words(128), 4);
        assert_eq!(Ipv6Prefix::new(Ipv6Addr::UNSPECIFIED, 129), None);
    }

    #[test]
    fn entry_round_trip_and_padding() {
        let prefix = p("2001:db8:1:2:3::", 48);
        assert_eq!(
            prefix.address(),
            p("2001:db8:1:2::", 64).address(),
            "words past 48 bits cleared"
        );
        let mut buf = BytesMut::new();
        write_entry(&mut buf, &prefix, PrefixOptions::LA, 10);
        assert_eq!(&buf[..], &[48, 2, 0, 10, 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2]);
        let mut r = Reader::new(buf.freeze(), 0);
        assert_eq!(read_entry(&mut r), Ok((prefix, PrefixOptions::LA, 10)));
        assert!(r.is_empty());
        assert_eq!(prefix.network(), p("2001:db8:1::", 48).address());
        assert_eq!(prefix.to_string(), "2001:db8:1:2::/48");
    }

    #[test]
    fn bad_length_and_truncation() {
        let mut r = Reader::new(Bytes::from_static(&[129, 0, 0, 0]), 40);
        assert_eq!(
            read_entry(&mut r),
            Err(DecodeError::BadLength { offset: 40, length: 129, what: "IPv6 prefix" })
        );
        let mut r = Reader::new(Bytes::from_static(&[64, 0, 0, 0, 1, 2, 3, 4]), 0);
        assert_eq!(read_entry(&mut r), Err(DecodeError::truncated(4, 8, 4)));
    }
}
