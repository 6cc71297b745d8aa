//! The IPv4 header that raw IPv4 sockets deliver in front of the payload
//! (raw(7): "the IPv4 header is included in received packets").

use std::net::Ipv4Addr;

/// IP protocol number of OSPF (RFC 2328 A.1).
pub const IPPROTO_OSPF: u8 = 89;

/// A received IPv4 datagram split into its addresses and payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Datagram<'a> {
    /// Source address.
    pub src: Ipv4Addr,
    /// Destination address.
    pub dst: Ipv4Addr,
    /// Type of service octet (precedence and DSCP/ECN) as received.
    pub tos: u8,
    /// Time to live as received.
    pub ttl: u8,
    /// The bytes after the header, cut to the header's Total Length.
    pub payload: &'a [u8],
}

/// Why a received datagram was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// Fewer than 20 bytes, or fewer than the header length says.
    #[error("datagram of {len} bytes is shorter than its IPv4 header")]
    Truncated {
        /// Bytes received.
        len: usize,
    },
    /// The version nibble is not 4.
    #[error("IP version {0} is not 4")]
    Version(u8),
    /// IHL below 5 words.
    #[error("IPv4 header length {0} words is below 5")]
    HeaderLength(u8),
    /// Not protocol 89.
    #[error("IP protocol {0} is not OSPF (89)")]
    Protocol(u8),
    /// Total Length outside the header and the received bytes.
    #[error("IPv4 total length {total} does not fit {len} received bytes")]
    TotalLength {
        /// Total Length field.
        total: usize,
        /// Bytes received.
        len: usize,
    },
}

/// Splits a datagram as a raw socket delivers it. On Linux the Total Length
/// field is in network order and counts the header.
pub fn parse(buf: &[u8]) -> Result<Datagram<'_>, HeaderError> {
    let truncated = HeaderError::Truncated { len: buf.len() };
    let fixed: &[u8; 20] = buf.get(..20).and_then(|b| b.try_into().ok()).ok_or(truncated)?;
    let version = fixed[0] >> 4;
    if version != 4 {
        return Err(HeaderError::Version(version));
    }
    let ihl = fixed[0] & 0x0f;
    if ihl < 5 {
        return Err(HeaderError::HeaderLength(ihl));
    }
    let header_len = usize::from(ihl) * 4;
    if buf.len() < header_len {
        return Err(truncated);
    }
    if fixed[9] != IPPROTO_OSPF {
        return Err(HeaderError::Protocol(fixed[9]));
    }
    let total = usize::from(u16::from_be_bytes([fixed[2], fixed[3]]));
    if total < header_len || total > buf.len() {
        return Err(HeaderError::TotalLength { total, len: buf.len() });
    }
    let payload = buf.get(header_len..total).ok_or(truncated)?;
    Ok(Datagram {
        src: Ipv4Addr::new(fixed[12], fixed[13], fixed[14], fixed[15]),
        dst: Ipv4Addr::new(fixed[16], fixed[17], fixed[18], fixed[19]),
        tos: fixed[1],
        ttl: fixed[8],
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(ihl: u8, total: u16, proto: u8) -> Vec<u8> {
        let mut h =
            vec![0x40 | ihl, 0xc0, 0, 0, 0, 0, 0, 0, 1, proto, 0, 0, 10, 0, 0, 2, 224, 0, 0, 5];
        h[2..4].copy_from_slice(&total.to_be_bytes());
        h.resize(usize::from(ihl) * 4, 0x01);
        h
    }

    #[test]
    fn strips_header_and_options() {
        for ihl in [5u8, 6, 15] {
            let mut d = header(ihl, u16::from(ihl) * 4 + 3, 89);
            d.extend_from_slice(&[2, 1, 0]);
            let p = parse(&d).unwrap();
            assert_eq!(p.src, Ipv4Addr::new(10, 0, 0, 2));
            assert_eq!(p.dst, Ipv4Addr::new(224, 0, 0, 5));
            assert_eq!(p.ttl, 1);
            assert_eq!(p.tos, 0xc0);
            assert_eq!(p.payload, &[2, 1, 0]);
        }
    }

    #[test]
    fn cuts_padding_after_total_length() {
        let mut d = header(5, 22, 89);
        d.extend_from_slice(&[7, 8, 0, 0]);
        assert_eq!(parse(&d).unwrap().payload, &[7, 8]);
    }

    #[test]
    fn rejects_bad_headers() {
        assert_eq!(parse(&[0x45; 10]), Err(HeaderError::Truncated { len: 10 }));
        let mut v6 = header(5, 20, 89);
        v6[0] = 0x65;
        assert_eq!(parse(&v6), Err(HeaderError::Version(6)));
        let mut short = header(5, 20, 89);
        short[0] = 0x44;
        assert_eq!(parse(&short), Err(HeaderError::HeaderLength(4)));
        assert_eq!(parse(&header(5, 20, 6)), Err(HeaderError::Protocol(6)));
        assert_eq!(parse(&header(5, 30, 89)), Err(HeaderError::TotalLength { total: 30, len: 20 }));
        assert_eq!(parse(&header(5, 12, 89)), Err(HeaderError::TotalLength { total: 12, len: 20 }));
        let mut opts = header(8, 32, 89);
        opts.truncate(24);
        assert_eq!(parse(&opts), Err(HeaderError::Truncated { len: 24 }));
    }
}
