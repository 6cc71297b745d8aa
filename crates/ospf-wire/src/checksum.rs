//! The checksums of OSPF: the IP-style one's complement sum over packets
//! (over an IPv6 pseudo-header for OSPFv3) and the Fletcher checksum over LSAs.

use std::net::Ipv6Addr;

/// One's complement of the one's complement sum of 16-bit words
/// (RFC 2328 D.4.1: "the standard IP checksum"). `data` is summed as given;
/// an odd final octet is padded with zero.
#[must_use]
pub fn internet_checksum(chunks: &[&[u8]]) -> u16 {
    let mut sum: u32 = 0;
    let mut carry: Option<u8> = None;
    for chunk in chunks {
        for &b in chunk.iter() {
            match carry.take() {
                Some(hi) => sum += u32::from(u16::from_be_bytes([hi, b])),
                None => carry = Some(b),
            }
        }
    }
    if let Some(hi) = carry {
        sum += u32::from(u16::from_be_bytes([hi, 0]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The IPv6 upper-layer checksum (RFC 8200 §8.1): the one's complement sum
/// of a pseudo-header (source address, destination address, upper-layer
/// packet length as 32 bits, three zero octets and the next header value)
/// followed by `chunks`.
///
/// `length` is the upper-layer packet length to put in the pseudo-header;
/// OSPFv3 uses the packet length field of its header, not the IPv6 payload
/// length (RFC 5340 A.3.1), so octets after the packet (LLS data, an
/// authentication trailer) are not covered.
#[must_use]
pub fn ipv6_upper_layer_checksum(
    source: Ipv6Addr,
    destination: Ipv6Addr,
    next_header: u8,
    length: u32,
    chunks: &[&[u8]],
) -> u16 {
    let [l0, l1, l2, l3] = length.to_be_bytes();
    let tail = [l0, l1, l2, l3, 0, 0, 0, next_header];
    let src = source.octets();
    let dst = destination.octets();
    let mut all: Vec<&[u8]> = Vec::with_capacity(chunks.len() + 3);
    all.extend_from_slice(&[&src[..], &dst[..], &tail[..]]);
    all.extend_from_slice(chunks);
    internet_checksum(&all)
}

/// The two running sums C0 and C1 of the Fletcher algorithm, modulo 255.
fn fletcher_sums(data: &[u8]) -> (u32, u32) {
    let (mut c0, mut c1) = (0u32, 0u32);
    // 4102 octets keep the sums below 2^32 before reduction.
    for block in data.chunks(4096) {
        for &b in block {
            c0 += u32::from(b);
            c1 += c0;
        }
        c0 %= 255;
        c1 %= 255;
    }
    (c0, c1)
}

/// Compute the Fletcher checksum octets to place at `offset` in `data`
/// (RFC 2328 §12.1.7, ISO 8473 Annex C), treating the two octets at `offset`
/// as zero. For an LSA, `data` starts after the LS age field, so the
/// checksum field sits at offset 14.
///
/// Returns `None` when `offset + 2 > data.len()`.
#[must_use]
pub fn fletcher_compute(data: &[u8], offset: usize) -> Option<u16> {
    let len = data.len();
    if offset.checked_add(2)? > len {
        return None;
    }
    let (mut c0, mut c1) = (0u32, 0u32);
    for (i, block) in data.chunks(4096).enumerate() {
        for (j, &b) in block.iter().enumerate() {
            let pos = i * 4096 + j;
            let b = if pos == offset || pos == offset + 1 { 0 } else { u32::from(b) };
            c0 += b;
            c1 += c0;
        }
        c0 %= 255;
        c1 %= 255;
    }
    // ISO 8473 Annex C.2: X = (L - n) * C0 - C1, Y = C1 - (L - n + 1) * C0,
    // with n the 1-based position of the first checksum octet; zero values
    // are written as 255.
    let k = ((len - offset - 1) % 255) as u32;
    let mut x = (k * c0 + 255 * 255 - c1) % 255;
    if x == 0 {
        x = 255;
    }
    let mut y = (c1 + 255 * 255 - ((k + 1) % 255) * c0) % 255;
    if y == 0 {
        y = 255;
    }
    Some(u16::from_be_bytes([x as u8, y as u8]))
}

/// Whether `data` (checksum octets in place) passes the Fletcher check:
/// both sums are zero modulo 255 (ISO 8473 Annex C.4). An all-zero checksum
/// field means "not computed" and fails.
#[must_use]
pub fn fletcher_verify(data: &[u8], offset: usize) -> bool {
    match data.get(offset..offset.saturating_add(2)) {
        Some([0, 0]) | None => false,
        Some(_) => fletcher_sums(data) == (0, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internet_checksum_rfc1071_example() {
        // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(internet_checksum(&[&data]), !0xddf2);
        // Split chunks give the same answer, even on odd boundaries.
        assert_eq!(internet_checksum(&[&data[..3], &data[3..]]), !0xddf2);
    }

    #[test]
    fn fletcher_round_trip_on_arbitrary_data() {
        let mut data: Vec<u8> = (0..200u32).map(|i| (i * 7 + 3) as u8).collect();
        let ck = fletcher_compute(&data, 14).unwrap_or_default();
        data[14..16].copy_from_slice(&ck.to_be_bytes());
        assert!(fletcher_verify(&data, 14));
        data[30] ^= 1;
        assert!(!fletcher_verify(&data, 14));
    }

    #[test]
    fn ipv6_pseudo_header_sum() {
        // UDP from ::1 port 1 to ::1 port 2, no payload: the pseudo-header
        // words are 0x0001 twice (the addresses), the length 8, next header 17;
        // the UDP header adds 1, 2 and 8 (the checksum field taken as zero).
        let udp = [0, 1, 0, 2, 0, 8, 0, 0];
        let sum =
            ipv6_upper_layer_checksum(Ipv6Addr::LOCALHOST, Ipv6Addr::LOCALHOST, 17, 8, &[&udp]);
        assert_eq!(sum, !(1 + 1 + 8 + 17 + 1 + 2 + 8));
    }

    #[test]
    fn fletcher_out_of_range() {
        assert_eq!(fletcher_compute(&[0; 10], 9), None);
        assert!(!fletcher_verify(&[0; 10], 9));
    }
}
