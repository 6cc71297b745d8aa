//! ROUTE-REFRESH message (RFC 2918 §3) with the Message Subtype of RFC 7313 §3.

use bytes::{BufMut, Bytes, BytesMut};
use core::fmt;

use crate::codes::{route_refresh, ErrorCode};
use crate::context::Context;
use crate::error::{Error, Reason};
use crate::header::{begin_message, finish_message, Header, MessageType, HEADER_LEN};
use crate::types::{Afi, Family, Safi};

/// Length of a ROUTE-REFRESH without ORF entries: header, AFI (2), subtype (1), SAFI (1).
pub const ROUTE_REFRESH_LEN: usize = HEADER_LEN + 4;

/// Message Subtype (RFC 7313 §3; RFC 2918 calls the octet "Reserved"). Unknown values survive.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RouteRefreshSubtype(pub u8);

impl RouteRefreshSubtype {
    /// 0: Normal route refresh request (RFC 2918), possibly with ORF entries (RFC 5291).
    pub const NORMAL: RouteRefreshSubtype = RouteRefreshSubtype(0);
    /// 1: Demarcation of the beginning of a route refresh (BoRR).
    pub const BORR: RouteRefreshSubtype = RouteRefreshSubtype(1);
    /// 2: Demarcation of the ending of a route refresh (EoRR).
    pub const EORR: RouteRefreshSubtype = RouteRefreshSubtype(2);

    /// The RFC's name.
    pub fn name(self) -> &'static str {
        match self.0 {
            0 => "Normal",
            1 => "BoRR",
            2 => "EoRR",
            255 => "Reserved",
            _ => "Unknown",
        }
    }
}

impl fmt::Debug for RouteRefreshSubtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.name(), self.0)
    }
}

/// A ROUTE-REFRESH: "AFI (2 octets), Res./Subtype (1 octet), SAFI (1 octet)".
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RouteRefresh {
    /// The family whose routes to re-advertise.
    pub family: Family,
    /// Message Subtype.
    pub subtype: RouteRefreshSubtype,
    /// Octets after the fixed part: the When-to-refresh octet and ORF entries of RFC 5291 §4,
    /// kept raw. Empty for BoRR and EoRR (RFC 7313 §5 rejects them otherwise).
    pub orf: Bytes,
}

impl RouteRefresh {
    /// A plain request for `family`.
    pub fn new(family: Family) -> RouteRefresh {
        RouteRefresh { family, subtype: RouteRefreshSubtype::NORMAL, orf: Bytes::new() }
    }

    /// Beginning-of-Route-Refresh for `family` (RFC 7313 §4).
    pub fn borr(family: Family) -> RouteRefresh {
        RouteRefresh { subtype: RouteRefreshSubtype::BORR, ..RouteRefresh::new(family) }
    }

    /// End-of-Route-Refresh for `family` (RFC 7313 §4).
    pub fn eorr(family: Family) -> RouteRefresh {
        RouteRefresh { subtype: RouteRefreshSubtype::EORR, ..RouteRefresh::new(family) }
    }

    /// Decodes a whole ROUTE-REFRESH, header included.
    ///
    /// RFC 7313 §5: "If the length, excluding the fixed-size message header, of the received
    /// ROUTE-REFRESH message with Message Subtype 1 and 2 is not 4, then the BGP speaker MUST
    /// send a NOTIFICATION message with the Error Code of 'ROUTE-REFRESH Message Error' and the
    /// subcode of 'Invalid Message Length'. The Data field of the NOTIFICATION message MUST
    /// contain the complete ROUTE-REFRESH message."
    pub fn decode(msg: Bytes, ctx: &Context) -> Result<RouteRefresh, Error> {
        let h = Header::check(&msg, ctx.max_message_len())?;
        if h.message_type != MessageType::ROUTE_REFRESH {
            return Err(crate::message::wrong_type(h.message_type));
        }
        let end = usize::from(h.length);
        if msg.len() != end {
            return Err(crate::message::length_mismatch(msg.len(), h.length));
        }
        // The header check guarantees at least 23 octets.
        let Some(&[a0, a1, subtype, safi]) =
            msg.get(HEADER_LEN..ROUTE_REFRESH_LEN).and_then(|s| <&[u8; 4]>::try_from(s).ok())
        else {
            return Err(crate::message::length_mismatch(msg.len(), h.length));
        };
        let subtype = RouteRefreshSubtype(subtype);
        if matches!(subtype, RouteRefreshSubtype::BORR | RouteRefreshSubtype::EORR)
            && end != ROUTE_REFRESH_LEN
        {
            return Err(Error::new(
                ErrorCode::ROUTE_REFRESH_MESSAGE,
                route_refresh::INVALID_MESSAGE_LENGTH,
                Reason::BadLength(h.length),
                16,
                msg,
            ));
        }
        Ok(RouteRefresh {
            family: Family::new(Afi(u16::from_be_bytes([a0, a1])), Safi(safi)),
            subtype,
            orf: msg.slice(ROUTE_REFRESH_LEN..end),
        })
    }

    /// Length of the encoded message, header included.
    pub fn encoded_len(&self) -> usize {
        ROUTE_REFRESH_LEN + self.orf.len()
    }

    /// Writes the whole message. ORF octets beyond what a 65535-octet message holds are cut.
    pub fn encode(&self, _ctx: &Context, buf: &mut BytesMut) {
        let start = begin_message(MessageType::ROUTE_REFRESH, buf);
        buf.put_u16(self.family.afi.0);
        buf.put_u8(self.subtype.0);
        buf.put_u8(self.family.safi.0);
        let room = crate::header::EXTENDED_MAX_LEN - ROUTE_REFRESH_LEN;
        buf.put_slice(&self.orf[..self.orf.len().min(room)]);
        finish_message(start, buf);
    }
}

impl fmt::Display for RouteRefresh {
    /// `ipv4/unicast BoRR`, with the ORF octet count when there are any.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.family, self.subtype.name())?;
        if !self.orf.is_empty() {
            write!(f, " ORF {} octets", self.orf.len())?;
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod strategies {
    //! proptest strategy for ROUTE-REFRESH.
    use super::*;
    use proptest::prelude::*;

    pub(crate) fn route_refresh() -> impl Strategy<Value = RouteRefresh> {
        (any::<u16>(), any::<u8>(), any::<u8>(), proptest::collection::vec(any::<u8>(), 0..64))
            .prop_map(|(afi, subtype, safi, orf)| {
                let subtype = RouteRefreshSubtype(subtype);
                let orf = if matches!(subtype.0, 1 | 2) { Bytes::new() } else { Bytes::from(orf) };
                RouteRefresh { family: Family::new(Afi(afi), Safi(safi)), subtype, orf }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::testutil::{assert_hex_eq, hex};
    use proptest::prelude::*;

    const M: &str = "ffffffffffffffffffffffffffffffff";

    fn vectors() -> Vec<(String, RouteRefresh)> {
        vec![
            (format!("{M} 0017 05 0001 00 01"), RouteRefresh::new(Family::IPV4_UNICAST)),
            (format!("{M} 0017 05 0002 01 01"), RouteRefresh::borr(Family::IPV6_UNICAST)),
            (format!("{M} 0017 05 0001 02 01"), RouteRefresh::eorr(Family::IPV4_UNICAST)),
            (
                format!("{M} 0017 05 0001 07 80"),
                RouteRefresh {
                    family: Family::new(Afi::IPV4, Safi::MPLS_VPN),
                    subtype: RouteRefreshSubtype(7),
                    orf: Bytes::new(),
                },
            ),
            (
                // RFC 5291: When-to-refresh IMMEDIATE, ORF type 64 (address prefix), length 0.
                format!("{M} 001b 05 0001 00 01 01 40 0000"),
                RouteRefresh {
                    orf: Bytes::from_static(&[0x01, 0x40, 0x00, 0x00]),
                    ..RouteRefresh::new(Family::IPV4_UNICAST)
                },
            ),
        ]
    }

    #[test]
    fn vectors_decode() {
        for (h, want) in vectors() {
            assert_eq!(
                RouteRefresh::decode(Bytes::from(hex(&h)), &Context::legacy()),
                Ok(want),
                "{h}"
            );
        }
    }

    #[test]
    fn vectors_encode() {
        for (h, r) in vectors() {
            let mut b = BytesMut::new();
            r.encode(&Context::legacy(), &mut b);
            assert_hex_eq(&b, &hex(&h));
            assert_eq!(r.encoded_len(), b.len());
        }
    }

    #[test]
    fn display() {
        assert_eq!(RouteRefresh::borr(Family::IPV6_UNICAST).to_string(), "ipv6/unicast BoRR");
        let (_, orf) = &vectors()[4];
        assert_eq!(orf.to_string(), "ipv4/unicast Normal ORF 4 octets");
    }

    #[test]
    fn borr_with_extra_octets_is_invalid_message_length() {
        let msg = Bytes::from(hex(&format!("{M} 0018 05 0001 01 01 00")));
        let e = RouteRefresh::decode(msg.clone(), &Context::legacy()).unwrap_err();
        assert_eq!((e.code, e.subcode), (ErrorCode::ROUTE_REFRESH_MESSAGE, 1));
        assert_eq!(e.data, msg, "the data is the complete message");
    }

    proptest! {
        #[test]
        fn round_trip(r in strategies::route_refresh(), modern in any::<bool>()) {
            let ctx = if modern { Context::modern() } else { Context::legacy() };
            let mut b = BytesMut::new();
            r.encode(&ctx, &mut b);
            prop_assert_eq!(RouteRefresh::decode(b.freeze(), &ctx), Ok(r));
        }
    }
}
