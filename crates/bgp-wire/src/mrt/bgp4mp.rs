//! BGP4MP and BGP4MP_ET records (RFC 6396 §4.4), with the ADD-PATH subtypes of RFC 8050 §3.

use bytes::{BufMut, Bytes, BytesMut};
use core::fmt;
use std::net::IpAddr;

use super::{read_ip, write_ip, MrtError, MrtRead, MrtReason};
use crate::context::Context;
use crate::reader::Reader;
use crate::types::{Afi, Asn, Family, FamilySet, Safi};

/// BGP4MP subtype.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bgp4mpSubtype(pub u16);

impl Bgp4mpSubtype {
    /// RFC 6396 §4.4.1.
    pub const STATE_CHANGE: Bgp4mpSubtype = Bgp4mpSubtype(0);
    /// RFC 6396 §4.4.2.
    pub const MESSAGE: Bgp4mpSubtype = Bgp4mpSubtype(1);
    /// RFC 6396 §4.4.3.
    pub const MESSAGE_AS4: Bgp4mpSubtype = Bgp4mpSubtype(4);
    /// RFC 6396 §4.4.4.
    pub const STATE_CHANGE_AS4: Bgp4mpSubtype = Bgp4mpSubtype(5);
    /// RFC 6396 §4.4.5.
    pub const MESSAGE_LOCAL: Bgp4mpSubtype = Bgp4mpSubtype(6);
    /// RFC 6396 §4.4.6.
    pub const MESSAGE_AS4_LOCAL: Bgp4mpSubtype = Bgp4mpSubtype(7);
    /// RFC 8050 §3.
    pub const MESSAGE_ADDPATH: Bgp4mpSubtype = Bgp4mpSubtype(8);
    /// RFC 8050 §3.
    pub const MESSAGE_AS4_ADDPATH: Bgp4mpSubtype = Bgp4mpSubtype(9);
    /// RFC 8050 §3.
    pub const MESSAGE_LOCAL_ADDPATH: Bgp4mpSubtype = Bgp4mpSubtype(10);
    /// RFC 8050 §3.
    pub const MESSAGE_AS4_LOCAL_ADDPATH: Bgp4mpSubtype = Bgp4mpSubtype(11);

    /// Whether the AS fields (and the AS numbers inside the message) are four octets.
    pub const fn is_as4(self) -> bool {
        matches!(self.0, 4 | 5 | 7 | 9 | 11)
    }

    /// Whether the record holds a state change rather than a message.
    pub const fn is_state_change(self) -> bool {
        matches!(self.0, 0 | 5)
    }

    /// Whether the message was sent by the collector rather than received (`_LOCAL`).
    pub const fn is_local(self) -> bool {
        matches!(self.0, 6 | 7 | 10 | 11)
    }

    /// RFC 8050 §3: the NLRI of the message carry path identifiers.
    pub const fn is_add_path(self) -> bool {
        matches!(self.0, 8..=11)
    }

    /// Whether this crate knows the subtype.
    pub const fn is_known(self) -> bool {
        matches!(self.0, 0 | 1 | 4..=11)
    }

    /// Name as RFC 6396 / RFC 8050 write it.
    pub fn name(self) -> &'static str {
        match self.0 {
            0 => "STATE_CHANGE",
            1 => "MESSAGE",
            4 => "MESSAGE_AS4",
            5 => "STATE_CHANGE_AS4",
            6 => "MESSAGE_LOCAL",
            7 => "MESSAGE_AS4_LOCAL",
            8 => "MESSAGE_ADDPATH",
            9 => "MESSAGE_AS4_ADDPATH",
            10 => "MESSAGE_LOCAL_ADDPATH",
            11 => "MESSAGE_AS4_LOCAL_ADDPATH",
            _ => "UNKNOWN",
        }
    }
}

impl fmt::Debug for Bgp4mpSubtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.name(), self.0)
    }
}

/// What a BGP4MP record carries after the peer fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Bgp4mpBody {
    /// RFC 6396 §4.4.1: the FSM moved from `old_state` to `new_state` (1 Idle ... 6
    /// Established; collectors also write their own values, kept as read).
    StateChange {
        /// Old State.
        old_state: u16,
        /// New State.
        new_state: u16,
    },
    /// RFC 6396 §4.4.2: "the entire BGP message ... including the BGP header".
    Message(Bytes),
}

/// A BGP4MP / BGP4MP_ET record body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bgp4mp {
    /// Subtype; decides the width of the AS fields.
    pub subtype: Bgp4mpSubtype,
    /// Peer AS Number.
    pub peer_as: Asn,
    /// Local AS Number.
    pub local_as: Asn,
    /// Interface Index.
    pub interface_index: u16,
    /// Peer IP Address; its family gives the Address Family field.
    pub peer_ip: IpAddr,
    /// Local IP Address (written in the peer address's family).
    pub local_ip: IpAddr,
    /// State change or message.
    pub body: Bgp4mpBody,
}

impl Bgp4mp {
    /// Decodes the body of a BGP4MP record; `base` is the body's offset in the dump.
    pub fn decode(subtype: u16, body: &Bytes, base: usize) -> Result<Bgp4mp, MrtError> {
        let subtype = Bgp4mpSubtype(subtype);
        if !subtype.is_known() {
            return Err(MrtError::new(base, MrtReason::UnknownSubtype(subtype.0)));
        }
        let mut r = Reader::new(body, base);
        let (peer_as, local_as) = if subtype.is_as4() {
            (Asn(r.u32_m()?), Asn(r.u32_m()?))
        } else {
            (Asn(u32::from(r.u16_m()?)), Asn(u32::from(r.u16_m()?)))
        };
        let interface_index = r.u16_m()?;
        let afi_at = r.offset();
        let v6 = match Afi(r.u16_m()?) {
            Afi::IPV4 => false,
            Afi::IPV6 => true,
            Afi(n) => return Err(MrtError::new(afi_at, MrtReason::UnsupportedAfi(n))),
        };
        let peer_ip = read_ip(&mut r, v6)?;
        let local_ip = read_ip(&mut r, v6)?;
        let body = if subtype.is_state_change() {
            let old_state = r.u16_m()?;
            let new_state = r.u16_m()?;
            r.finish_m()?;
            Bgp4mpBody::StateChange { old_state, new_state }
        } else {
            let start = r.position();
            Bgp4mpBody::Message(body.slice(start..))
        };
        Ok(Bgp4mp { subtype, peer_as, local_as, interface_index, peer_ip, local_ip, body })
    }

    /// Writes the body.
    pub fn encode(&self, buf: &mut BytesMut) {
        if self.subtype.is_as4() {
            buf.put_u32(self.peer_as.0);
            buf.put_u32(self.local_as.0);
        } else {
            buf.put_u16(self.peer_as.to_two_octet());
            buf.put_u16(self.local_as.to_two_octet());
        }
        buf.put_u16(self.interface_index);
        let v6 = self.peer_ip.is_ipv6();
        buf.put_u16(if v6 { Afi::IPV6.0 } else { Afi::IPV4.0 });
        write_ip(self.peer_ip, v6, buf);
        write_ip(self.local_ip, v6, buf);
        match &self.body {
            Bgp4mpBody::StateChange { old_state, new_state } => {
                buf.put_u16(*old_state);
                buf.put_u16(*new_state);
            }
            Bgp4mpBody::Message(m) => buf.put_slice(m),
        }
    }

    /// The context to decode the message with.
    ///
    /// RFC 6396 §4.4.3: in MESSAGE_AS4 "the AS numbers in the BGP message ... are encoded as
    /// 4-octet"; RFC 8050 §3: the ADDPATH subtypes carry path identifiers in every NLRI.
    /// Extended message is allowed: the record length, not 4096, bounds the message.
    pub fn context(&self) -> Context {
        let add_path: FamilySet = if self.subtype.is_add_path() {
            [Afi::IPV4, Afi::IPV6]
                .into_iter()
                .flat_map(|afi| [Safi::UNICAST, Safi::MULTICAST].map(|s| Family::new(afi, s)))
                .collect()
        } else {
            FamilySet::new()
        };
        Context {
            four_octet_as: self.subtype.is_as4(),
            extended_message: true,
            add_path,
            extended_next_hop: FamilySet::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_change_as4_round_trip() {
        let body = [
            0x00, 0x00, 0xfd, 0xe9, 0x00, 0x00, 0xfd, 0xea, 0x00, 0x00, 0x00, 0x01, 10, 0, 0, 2,
            10, 0, 0, 1, 0x00, 0x01, 0x00, 0x02,
        ];
        let b = Bytes::copy_from_slice(&body);
        let m = Bgp4mp::decode(5, &b, 0).unwrap();
        assert_eq!(m.peer_as, Asn(65001));
        assert_eq!(m.body, Bgp4mpBody::StateChange { old_state: 1, new_state: 2 });
        let mut out = BytesMut::new();
        m.encode(&mut out);
        assert_eq!(&out[..], &body[..]);
    }

    #[test]
    fn message_ipv6_and_context() {
        let mut body = vec![0xfd, 0xe9, 0xfd, 0xea, 0x00, 0x03, 0x00, 0x02];
        body.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8].repeat(8));
        body.extend_from_slice(&[0xff; 16]);
        body.extend_from_slice(&[0x00, 0x13, 0x04]);
        let b = Bytes::from(body.clone());
        let m = Bgp4mp::decode(8, &b, 12).unwrap();
        assert!(matches!(&m.body, Bgp4mpBody::Message(x) if x.len() == 19));
        let ctx = m.context();
        assert!(!ctx.four_octet_as);
        assert!(ctx.has_path_id(Family::IPV6_UNICAST));
        let mut out = BytesMut::new();
        m.encode(&mut out);
        assert_eq!(&out[..], &body[..]);
    }

    #[test]
    fn errors_carry_offsets() {
        let b = Bytes::from_static(&[0, 1, 0, 2, 0, 0, 0, 9]);
        let e = Bgp4mp::decode(1, &b, 100).unwrap_err();
        assert_eq!((e.offset, e.reason), (106, MrtReason::UnsupportedAfi(9)));
        let e = Bgp4mp::decode(0, &b.slice(..5), 100).unwrap_err();
        assert_eq!(e.offset, 104);
        assert_eq!(Bgp4mp::decode(3, &b, 0).unwrap_err().reason, MrtReason::UnknownSubtype(3));
    }
}
