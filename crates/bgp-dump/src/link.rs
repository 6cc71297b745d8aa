//! From a captured frame to a TCP segment: link layers (Ethernet with VLAN tags, Linux
//! SLL/SLL2, raw IP, BSD null/loopback, Cisco HDLC, Frame Relay, MPLS), IPv4, IPv6 and TCP.

use bytes::Bytes;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// LINKTYPE_ values (tcpdump.org link-layer header types).
pub mod linktype {
    /// BSD loopback: 4-octet address family in host byte order.
    pub const NULL: u32 = 0;
    /// Ethernet.
    pub const ETHERNET: u32 = 1;
    /// Raw IP (the value on disk for DLT_RAW).
    pub const RAW: u32 = 101;
    /// Cisco HDLC.
    pub const C_HDLC: u32 = 104;
    /// Frame Relay.
    pub const FRELAY: u32 = 107;
    /// OpenBSD loopback: 4-octet address family in network byte order.
    pub const LOOP: u32 = 108;
    /// PPP (RFC 1661), optionally with the HDLC-like address and control octets.
    pub const PPP: u32 = 9;
    /// Linux cooked capture v1.
    pub const LINUX_SLL: u32 = 113;
    /// Raw IPv4.
    pub const IPV4: u32 = 228;
    /// Raw IPv6.
    pub const IPV6: u32 = 229;
    /// Linux cooked capture v2.
    pub const LINUX_SLL2: u32 = 276;
    /// Juniper Ethernet: a Juniper pseudo-header, then Ethernet.
    pub const JUNIPER_ETHER: u32 = 178;
}

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERTYPE_QINQ: u16 = 0x88a8;
const ETHERTYPE_MPLS: u16 = 0x8847;

/// A TCP segment with its addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Source address and port.
    pub src: SocketAddr,
    /// Destination address and port.
    pub dst: SocketAddr,
    /// Sequence number.
    pub seq: u32,
    /// SYN flag.
    pub syn: bool,
    /// FIN flag.
    pub fin: bool,
    /// RST flag.
    pub rst: bool,
    /// Payload (bounded by the IP length, so Ethernet padding is not included).
    pub payload: Bytes,
}

fn be16(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*d.get(at)?, *d.get(at + 1)?]))
}

fn be32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([*d.get(at)?, *d.get(at + 1)?, *d.get(at + 2)?, *d.get(at + 3)?]))
}

/// Decodes a frame to a TCP segment; `None` for anything else (ARP, UDP, fragments, ...).
pub fn segment(linktype: u32, frame: &Bytes) -> Option<Segment> {
    let d = &frame[..];
    let (ethertype, off) = match linktype {
        linktype::ETHERNET => ethernet(d, 12)?,
        linktype::RAW | linktype::IPV4 | linktype::IPV6 => (version_ethertype(d.first()?)?, 0),
        linktype::NULL | linktype::LOOP => {
            let fam = d.get(..4)?;
            // Host byte order for NULL, either order seen in practice: take the non-zero end.
            let v = if fam[0] != 0 { fam[0] } else { fam[3] };
            match v {
                2 => (ETHERTYPE_IPV4, 4),
                24 | 28 | 30 => (ETHERTYPE_IPV6, 4),
                _ => return None,
            }
        }
        linktype::LINUX_SLL => (be16(d, 14)?, 16),
        linktype::LINUX_SLL2 => (be16(d, 0)?, 20),
        linktype::C_HDLC => (be16(d, 2)?, 4),
        linktype::FRELAY => frame_relay(d)?,
        linktype::PPP => ppp(d)?,
        linktype::JUNIPER_ETHER => juniper_ether(d)?,
        _ => return None,
    };
    network(frame, ethertype, off)
}

/// Skips VLAN tags; `at` is the offset of the first EtherType field.
fn ethernet(d: &[u8], mut at: usize) -> Option<(u16, usize)> {
    let mut t = be16(d, at)?;
    while t == ETHERTYPE_VLAN || t == ETHERTYPE_QINQ {
        at += 4;
        t = be16(d, at)?;
    }
    Some((t, at + 2))
}

/// PPP protocol field (0x0021 IPv4, 0x0057 IPv6, 0x0281 MPLS), after an optional 0xff03.
fn ppp(d: &[u8]) -> Option<(u16, usize)> {
    let at = if d.get(..2) == Some(&[0xff, 0x03]) { 2 } else { 0 };
    let t = match be16(d, at)? {
        0x0021 => ETHERTYPE_IPV4,
        0x0057 => ETHERTYPE_IPV6,
        0x0281 => ETHERTYPE_MPLS,
        _ => return None,
    };
    Some((t, at + 2))
}

/// Juniper pseudo-header: "MGC", a flags octet, and when flag 0x80 is set a 2-octet length
/// of extensions; then an Ethernet header.
fn juniper_ether(d: &[u8]) -> Option<(u16, usize)> {
    if d.get(..3) != Some(b"MGC") {
        return None;
    }
    let flags = *d.get(3)?;
    let start = if flags & 0x80 != 0 { 6 + usize::from(be16(d, 4)?) } else { 4 };
    ethernet(d, start + 12)
}

/// Q.922 address (2 octets), then either Cisco encapsulation (an EtherType), NLPID encapsulation (RFC 2427: control 0x03,
/// NLPID 0xcc IPv4 / 0x8e IPv6) or SNAP with an EtherType.
fn frame_relay(d: &[u8]) -> Option<(u16, usize)> {
    match (d.get(2)?, d.get(3)?) {
        (0x03, 0xcc) => Some((ETHERTYPE_IPV4, 4)),
        (0x03, 0x8e) => Some((ETHERTYPE_IPV6, 4)),
        (0x03, 0x80) => Some((be16(d, 8)?, 10)),
        (0x03, 0x00) if d.get(4) == Some(&0x80) => Some((be16(d, 9)?, 11)),
        (0x08, 0x00) => Some((ETHERTYPE_IPV4, 4)),
        (0x86, 0xdd) => Some((ETHERTYPE_IPV6, 4)),
        _ => None,
    }
}

fn version_ethertype(first: &u8) -> Option<u16> {
    match first >> 4 {
        4 => Some(ETHERTYPE_IPV4),
        6 => Some(ETHERTYPE_IPV6),
        _ => None,
    }
}

fn network(frame: &Bytes, ethertype: u16, off: usize) -> Option<Segment> {
    match ethertype {
        ETHERTYPE_IPV4 => ipv4(frame, off),
        ETHERTYPE_IPV6 => ipv6(frame, off),
        ETHERTYPE_MPLS => {
            // Pop labels to the bottom of the stack, then guess the payload by its version.
            let mut at = off;
            loop {
                let entry = be32(frame, at)?;
                at += 4;
                if entry & 0x100 != 0 {
                    break;
                }
            }
            network(frame, version_ethertype(frame.get(at)?)?, at)
        }
        _ => None,
    }
}

fn ipv4(frame: &Bytes, off: usize) -> Option<Segment> {
    let h = frame.get(off..)?;
    if h.len() < 20 {
        return None;
    }
    let ihl = usize::from(h[0] & 0x0f) * 4;
    let total = usize::from(be16(h, 2)?);
    let frag = be16(h, 6)?;
    // Fragments after the first are not reassembled; a first fragment (offset 0, More
    // Fragments set) is taken as far as it goes, as tshark does: the stream then has a hole.
    if ihl < 20 || h[9] != 6 || frag & 0x1fff != 0 {
        return None;
    }
    let src = IpAddr::V4(Ipv4Addr::new(h[12], h[13], h[14], h[15]));
    let dst = IpAddr::V4(Ipv4Addr::new(h[16], h[17], h[18], h[19]));
    // A zero total length is what TSO captures show: take the rest of the frame.
    let end = if total == 0 { h.len() } else { total.min(h.len()) };
    tcp(frame, off + ihl, off + end, src, dst)
}

fn ipv6(frame: &Bytes, off: usize) -> Option<Segment> {
    let h = frame.get(off..)?;
    let payload_len = usize::from(be16(h, 4)?);
    let mut next = *h.get(6)?;
    let src: [u8; 16] = h.get(8..24)?.try_into().ok()?;
    let dst: [u8; 16] = h.get(24..40)?.try_into().ok()?;
    let end = off + 40 + payload_len.min(h.len().saturating_sub(40));
    let mut at = off + 40;
    // Extension headers: hop-by-hop (0), routing (43), destination options (60); a fragment
    // header (44) means a fragment, which we do not reassemble.
    loop {
        match next {
            6 => break,
            0 | 43 | 60 => {
                next = *frame.get(at)?;
                at += (usize::from(*frame.get(at + 1)?) + 1) * 8;
            }
            _ => return None,
        }
    }
    let src = IpAddr::V6(Ipv6Addr::from(src));
    let dst = IpAddr::V6(Ipv6Addr::from(dst));
    tcp(frame, at, end, src, dst)
}

fn tcp(frame: &Bytes, off: usize, end: usize, src: IpAddr, dst: IpAddr) -> Option<Segment> {
    let t = frame.get(off..end)?;
    let sport = be16(t, 0)?;
    let dport = be16(t, 2)?;
    let seq = be32(t, 4)?;
    let data_off = usize::from(t.get(12)? >> 4) * 4;
    let flags = *t.get(13)?;
    if data_off < 20 || data_off > t.len() {
        return None;
    }
    Some(Segment {
        src: SocketAddr::new(src, sport),
        dst: SocketAddr::new(dst, dport),
        seq,
        syn: flags & 0x02 != 0,
        fin: flags & 0x01 != 0,
        rst: flags & 0x04 != 0,
        payload: frame.slice(off + data_off..end),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ipv4_tcp(payload: &[u8]) -> Vec<u8> {
        let total = (20 + 20 + payload.len()) as u16;
        let mut v = vec![0x45, 0, (total >> 8) as u8, total as u8, 0, 0, 0x40, 0, 64, 6, 0, 0];
        v.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2]);
        v.extend_from_slice(&[0xc3, 0x50, 0x00, 0xb3, 0, 0, 0, 100, 0, 0, 0, 0, 0x50, 0x18]);
        v.extend_from_slice(&[0xff, 0xff, 0, 0, 0, 0]);
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn ethernet_vlan_ipv4_with_padding() {
        let mut f = vec![0; 12];
        f.extend_from_slice(&[0x81, 0x00, 0x00, 0x0a, 0x08, 0x00]);
        f.extend(ipv4_tcp(&[1, 2, 3]));
        f.extend_from_slice(&[0, 0, 0]); // padding
        let s = segment(linktype::ETHERNET, &Bytes::from(f)).unwrap();
        assert_eq!(s.src.to_string(), "10.0.0.1:50000");
        assert_eq!(s.dst.port(), 179);
        assert_eq!((s.seq, &s.payload[..]), (100, &[1u8, 2, 3][..]));
    }

    #[test]
    fn other_links() {
        let ip = ipv4_tcp(&[9]);
        let raw = segment(linktype::RAW, &Bytes::from(ip.clone())).unwrap();
        let mut null = vec![2, 0, 0, 0];
        null.extend_from_slice(&ip);
        assert_eq!(segment(linktype::NULL, &Bytes::from(null)), Some(raw.clone()));
        let mut hdlc = vec![0x0f, 0, 0x08, 0x00];
        hdlc.extend_from_slice(&ip);
        assert_eq!(segment(linktype::C_HDLC, &Bytes::from(hdlc)), Some(raw.clone()));
        let mut sll2 = vec![0x08, 0x00];
        sll2.extend_from_slice(&[0; 18]);
        sll2.extend_from_slice(&ip);
        assert_eq!(segment(linktype::LINUX_SLL2, &Bytes::from(sll2)), Some(raw));
        assert_eq!(segment(linktype::RAW, &Bytes::from_static(&[0x45, 0, 0])), None);
    }

    /// Every truncation of valid frames, and bytes flipped one at a time, under every link
    /// type: no panic.
    #[test]
    fn truncated_and_damaged_frames_never_panic() {
        let mut eth = vec![0; 12];
        eth.extend_from_slice(&[0x81, 0x00, 0x00, 0x0a, 0x88, 0x47, 0x00, 0x01, 0x01, 0x40]);
        eth.extend(ipv4_tcp(&[1, 2, 3]));
        let types = [0, 1, 9, 101, 104, 107, 108, 113, 178, 228, 229, 276];
        for t in types {
            for n in 0..=eth.len() {
                let _ = segment(t, &Bytes::copy_from_slice(&eth[..n]));
            }
            for i in 0..eth.len() {
                let mut f = eth.clone();
                f[i] ^= 0xff;
                let _ = segment(t, &Bytes::from(f));
            }
        }
    }
}
