//! BGP Monitoring Protocol (RFC 7854, with the Loc-RIB peer type of RFC 9069): the BGP
//! messages a BMP message carries, and the monitored peer they belong to.
//!
//! Only what bgp-dump needs: the common header, the per-peer header, and the BGP PDUs of Route
//! Monitoring, Peer Down, Peer Up and Route Mirroring messages. Statistics, Initiation and
//! Termination carry no BGP message.

use bytes::Bytes;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use bgp_wire::message::Message;
use bgp_wire::open::{negotiate, Open};
use bgp_wire::Context;

use crate::session::Decoded;

/// RFC 7854 §4.1: "Version (1 byte): Indicates the BMP version. This is set to '3' for all
/// messages defined in this specification."
pub const VERSION: u8 = 3;
/// Common header: version, message length (4), message type.
pub const COMMON_HEADER_LEN: usize = 6;
/// Per-peer header (RFC 7854 §4.2).
pub const PER_PEER_HEADER_LEN: usize = 42;

/// BMP message types (RFC 7854 §4.1).
pub mod msg_type {
    /// Route Monitoring.
    pub const ROUTE_MONITORING: u8 = 0;
    /// Statistics Report.
    pub const STATISTICS_REPORT: u8 = 1;
    /// Peer Down Notification.
    pub const PEER_DOWN: u8 = 2;
    /// Peer Up Notification.
    pub const PEER_UP: u8 = 3;
    /// Initiation.
    pub const INITIATION: u8 = 4;
    /// Termination.
    pub const TERMINATION: u8 = 5;
    /// Route Mirroring.
    pub const ROUTE_MIRRORING: u8 = 6;
}

/// The per-peer header (RFC 7854 §4.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerHeader {
    /// Peer Type: 0 global instance, 1 RD instance, 2 local instance, 3 Loc-RIB (RFC 9069).
    pub peer_type: u8,
    /// Peer Flags: 0x80 V (IPv6), 0x40 L (post-policy), 0x20 A (legacy 2-octet AS_PATH).
    pub flags: u8,
    /// Peer Distinguisher.
    pub distinguisher: [u8; 8],
    /// Peer Address.
    pub address: IpAddr,
    /// Peer AS.
    pub asn: u32,
    /// Peer BGP ID.
    pub bgp_id: Ipv4Addr,
    /// Timestamp seconds and microseconds.
    pub timestamp: (u32, u32),
}

impl PeerHeader {
    /// RFC 7854 §4.2: "The A flag, if set to 1, indicates that the message is formatted using
    /// the legacy 2-byte AS_PATH format." Not defined for Loc-RIB (RFC 9069 §4.1).
    pub fn legacy_as_path(&self) -> bool {
        self.peer_type != 3 && self.flags & 0x20 != 0
    }
}

/// What a BMP message holds, for bgp-dump.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Bmp {
    /// Route Monitoring: one UPDATE from the peer.
    RouteMonitoring {
        /// The monitored peer.
        peer: PeerHeader,
        /// The BGP UPDATE.
        update: Bytes,
    },
    /// Peer Up: the OPEN the monitored router sent and the one it received.
    PeerUp {
        /// The monitored peer.
        peer: PeerHeader,
        /// Local Address and Local Port of the session, and the Remote Port.
        local: (IpAddr, u16, u16),
        /// Sent OPEN Message.
        sent_open: Bytes,
        /// Received OPEN Message.
        received_open: Bytes,
    },
    /// Peer Down, with the NOTIFICATION when the reason carries one (reasons 1 and 3).
    PeerDown {
        /// The monitored peer.
        peer: PeerHeader,
        /// Reason.
        reason: u8,
        /// The NOTIFICATION PDU, if any.
        notification: Option<Bytes>,
    },
    /// Route Mirroring: the BGP messages of its BGP Message TLVs.
    RouteMirroring {
        /// The monitored peer.
        peer: PeerHeader,
        /// BGP PDUs.
        messages: Vec<Bytes>,
    },
    /// Any other type (statistics, initiation, termination, unknown).
    Other(u8),
}

/// Why a BMP message could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BmpError {
    /// Fewer octets than a field needs, at this offset in the BMP message.
    #[error("BMP message truncated at offset {0}")]
    Truncated(usize),
    /// Not version 3.
    #[error("BMP version {0} is not 3")]
    BadVersion(u8),
}

/// The length a BMP common header declares, if `buf` starts with a plausible one.
pub fn frame_len(buf: &[u8]) -> Option<usize> {
    let h = buf.get(..COMMON_HEADER_LEN)?;
    let len = u32::from_be_bytes([h[1], h[2], h[3], h[4]]) as usize;
    (h[0] == VERSION && h[5] <= 6 && (COMMON_HEADER_LEN..=1 << 24).contains(&len)).then_some(len)
}

/// The length of the BGP message at `at` (from its header), if it fits in `msg`.
fn bgp_pdu(msg: &Bytes, at: usize) -> Result<Bytes, BmpError> {
    let len = msg
        .get(at + 16..at + 18)
        .map(|l| usize::from(u16::from_be_bytes([l[0], l[1]])))
        .ok_or(BmpError::Truncated(at))?;
    if len < 19 || msg.len() < at + len {
        return Err(BmpError::Truncated(at));
    }
    Ok(msg.slice(at..at + len))
}

fn peer_header(msg: &[u8]) -> Result<PeerHeader, BmpError> {
    let h = msg
        .get(COMMON_HEADER_LEN..COMMON_HEADER_LEN + PER_PEER_HEADER_LEN)
        .ok_or(BmpError::Truncated(COMMON_HEADER_LEN))?;
    let flags = h[1];
    let mut distinguisher = [0u8; 8];
    distinguisher.copy_from_slice(&h[2..10]);
    let mut a = [0u8; 16];
    a.copy_from_slice(&h[10..26]);
    // RFC 7854 §4.2: an IPv4 address is "in the last 4 bytes" of the 16-byte field.
    let address = if flags & 0x80 != 0 {
        IpAddr::V6(Ipv6Addr::from(a))
    } else {
        IpAddr::V4(Ipv4Addr::new(a[12], a[13], a[14], a[15]))
    };
    let u32_at = |i: usize| u32::from_be_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
    Ok(PeerHeader {
        peer_type: h[0],
        flags,
        distinguisher,
        address,
        asn: u32_at(26),
        bgp_id: Ipv4Addr::from(u32_at(30)),
        timestamp: (u32_at(34), u32_at(38)),
    })
}

/// Decodes one whole BMP message (common header included).
pub fn decode(msg: &Bytes) -> Result<Bmp, BmpError> {
    let h = msg.get(..COMMON_HEADER_LEN).ok_or(BmpError::Truncated(0))?;
    if h[0] != VERSION {
        return Err(BmpError::BadVersion(h[0]));
    }
    let body = COMMON_HEADER_LEN + PER_PEER_HEADER_LEN;
    Ok(match h[5] {
        msg_type::ROUTE_MONITORING => {
            Bmp::RouteMonitoring { peer: peer_header(msg)?, update: bgp_pdu(msg, body)? }
        }
        msg_type::PEER_UP => {
            // Local Address (16), Local Port (2), Remote Port (2), then the two OPENs.
            let peer = peer_header(msg)?;
            let l = msg.get(body..body + 20).ok_or(BmpError::Truncated(body))?;
            let mut a = [0u8; 16];
            a.copy_from_slice(&l[..16]);
            let addr = if peer.flags & 0x80 != 0 {
                IpAddr::V6(Ipv6Addr::from(a))
            } else {
                IpAddr::V4(Ipv4Addr::new(a[12], a[13], a[14], a[15]))
            };
            let local =
                (addr, u16::from_be_bytes([l[16], l[17]]), u16::from_be_bytes([l[18], l[19]]));
            let sent_open = bgp_pdu(msg, body + 20)?;
            let received_open = bgp_pdu(msg, body + 20 + sent_open.len())?;
            Bmp::PeerUp { peer, local, sent_open, received_open }
        }
        msg_type::PEER_DOWN => {
            let reason = *msg.get(body).ok_or(BmpError::Truncated(body))?;
            // RFC 7854 §4.9: reasons 1 and 3 are followed by the NOTIFICATION PDU.
            let notification =
                if matches!(reason, 1 | 3) { Some(bgp_pdu(msg, body + 1)?) } else { None };
            Bmp::PeerDown { peer: peer_header(msg)?, reason, notification }
        }
        msg_type::ROUTE_MIRRORING => {
            let mut messages = Vec::new();
            let mut at = body;
            // TLVs: type (2), length (2), value; type 0 is a BGP Message (RFC 7854 §4.7).
            while let Some(t) = msg.get(at..at + 4) {
                let ty = u16::from_be_bytes([t[0], t[1]]);
                let len = usize::from(u16::from_be_bytes([t[2], t[3]]));
                if ty == 0 {
                    messages.push(bgp_pdu(msg, at + 4)?);
                }
                at += 4 + len;
            }
            Bmp::RouteMirroring { peer: peer_header(msg)?, messages }
        }
        t => Bmp::Other(t),
    })
}

/// What the JSON of a BGP message carried by BMP says about its envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// BMP message type.
    pub msg_type: u8,
    /// The monitored peer.
    pub peer: PeerHeader,
    /// The monitored router's end of the BMP connection.
    pub router: SocketAddr,
}

/// One BGP message taken out of a BMP message.
#[derive(Clone, Debug)]
pub struct Carried {
    /// Sender of the BGP message (the peer, or the router for its own sent OPEN).
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// The message, decoded.
    pub decoded: Decoded,
    /// The BMP envelope.
    pub envelope: Envelope,
}

/// Decode contexts per monitored peer, from the OPENs of its Peer Up message.
#[derive(Default)]
pub struct BmpSessions {
    contexts: HashMap<(SocketAddr, [u8; 8], IpAddr), Context>,
}

impl BmpSessions {
    /// No peer seen yet.
    pub fn new() -> BmpSessions {
        BmpSessions::default()
    }

    fn decode_with(
        &self,
        key: &(SocketAddr, [u8; 8], IpAddr),
        peer: &PeerHeader,
        pdu: Bytes,
    ) -> Decoded {
        match self.contexts.get(key) {
            Some(ctx) => {
                let mut ctx = ctx.clone();
                if peer.legacy_as_path() {
                    ctx.four_octet_as = false;
                }
                let result = Message::decode(pdu.clone(), &ctx);
                Decoded { bytes: pdu, context: ctx, guessed: false, result }
            }
            None => crate::session::guess(pdu),
        }
    }

    /// The BGP messages of one BMP message sent by `router` to `station`.
    pub fn carried(&mut self, router: SocketAddr, station: SocketAddr, msg: &Bmp) -> Vec<Carried> {
        let _ = station;
        let (msg_type, peer, pdus): (u8, &PeerHeader, Vec<(Bytes, bool)>) = match msg {
            Bmp::RouteMonitoring { peer, update } => {
                (msg_type::ROUTE_MONITORING, peer, vec![(update.clone(), false)])
            }
            Bmp::PeerUp { peer, local, sent_open, received_open } => {
                let sent = Open::decode_unvalidated(sent_open.clone(), &Context::modern());
                let received = Open::decode_unvalidated(received_open.clone(), &Context::modern());
                if let (Ok(s), Ok(r)) = (&sent, &received) {
                    let key = (router, peer.distinguisher, peer.address);
                    self.contexts.insert(key, negotiate(s, r).receive);
                }
                let local_addr = SocketAddr::new(local.0, local.1);
                let remote = SocketAddr::new(peer.address, local.2);
                let envelope = Envelope { msg_type: msg_type::PEER_UP, peer: peer.clone(), router };
                // A Loc-RIB Peer Up (RFC 9069 §5.3) carries OPENs the router made up, with a
                // zero BGP Identifier: decode them without the RFC 4271 §6.2 checks.
                let open = |pdu: &Bytes, src, dst| Carried {
                    src,
                    dst,
                    decoded: Decoded {
                        bytes: pdu.clone(),
                        context: Context::modern(),
                        guessed: false,
                        result: Open::decode_unvalidated(pdu.clone(), &Context::modern())
                            .map(Message::Open),
                    },
                    envelope: envelope.clone(),
                };
                return vec![
                    open(sent_open, local_addr, remote),
                    open(received_open, remote, local_addr),
                ];
            }
            Bmp::PeerDown { peer, notification, .. } => (
                msg_type::PEER_DOWN,
                peer,
                notification.iter().map(|n| (n.clone(), false)).collect(),
            ),
            Bmp::RouteMirroring { peer, messages } => (
                msg_type::ROUTE_MIRRORING,
                peer,
                messages.iter().map(|m| (m.clone(), false)).collect(),
            ),
            Bmp::Other(_) => return Vec::new(),
        };
        let key = (router, peer.distinguisher, peer.address);
        let src = SocketAddr::new(peer.address, 0);
        let dst = SocketAddr::new(router.ip(), 0);
        pdus.into_iter()
            .map(|(pdu, _)| Carried {
                src,
                dst,
                decoded: self.decode_with(&key, peer, pdu),
                envelope: Envelope { msg_type, peer: peer.clone(), router },
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keepalive() -> Vec<u8> {
        let mut v = vec![0xff; 16];
        v.extend_from_slice(&[0, 19, 4]);
        v
    }

    fn message(t: u8, body: &[u8]) -> Bytes {
        let mut v = vec![3];
        v.extend_from_slice(&((6 + body.len()) as u32).to_be_bytes());
        v.push(t);
        v.extend_from_slice(body);
        Bytes::from(v)
    }

    fn per_peer(flags: u8) -> Vec<u8> {
        let mut p = vec![0, flags];
        p.extend_from_slice(&[0; 8]);
        p.extend_from_slice(&[0; 12]);
        p.extend_from_slice(&[192, 0, 2, 1]);
        p.extend_from_slice(&65001u32.to_be_bytes());
        p.extend_from_slice(&[192, 0, 2, 1]);
        p.extend_from_slice(&[0; 8]);
        p
    }

    #[test]
    fn route_monitoring_and_peer_down() {
        let mut body = per_peer(0x20);
        body.extend(keepalive());
        let m = message(0, &body);
        assert_eq!(frame_len(&m), Some(m.len()));
        let Bmp::RouteMonitoring { peer, update } = decode(&m).unwrap() else { panic!() };
        assert_eq!(peer.address, IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)));
        assert_eq!((peer.asn, peer.legacy_as_path()), (65001, true));
        assert_eq!(&update[..], &keepalive()[..]);

        let mut body = per_peer(0);
        body.push(4);
        assert!(matches!(
            decode(&message(2, &body)).unwrap(),
            Bmp::PeerDown { reason: 4, notification: None, .. }
        ));
        body.truncate(10);
        assert_eq!(decode(&message(0, &body)), Err(BmpError::Truncated(6)));
        assert_eq!(frame_len(&[2, 0, 0, 0, 6, 0]), None);
    }
}
