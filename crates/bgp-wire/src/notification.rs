//! NOTIFICATION message (RFC 4271 §4.5), with the shutdown communication of RFC 9003 and the
//! Hard Reset wrapping of RFC 8538.

use bytes::{BufMut, Bytes, BytesMut};
use core::fmt;

use crate::capability::Capability;
use crate::codes::{cease, open, subcode_name, ErrorCode};
use crate::context::Context;
use crate::error::Error;
use crate::header::{begin_message, finish_message, Header, MessageType, HEADER_LEN};

/// Offset of the Error Code in the message.
const CODE_OFFSET: usize = HEADER_LEN;
/// Offset of the Data field.
const DATA_OFFSET: usize = HEADER_LEN + 2;
/// Longest shutdown communication: RFC 9003 §2 raised the limit of RFC 8203 from 128 to 255
/// octets.
pub const MAX_SHUTDOWN_COMMUNICATION: usize = 255;

/// A NOTIFICATION: "Error code (1 octet), Error subcode (1 octet), Data (variable)".
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Notification {
    /// Error Code.
    pub code: ErrorCode,
    /// Error Subcode.
    pub subcode: u8,
    /// Data, whose meaning depends on the code and subcode.
    pub data: Bytes,
}

/// Why a Cease NOTIFICATION's shutdown communication could not be read (RFC 9003 §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ShutdownCommunicationError {
    /// The length octet claims more octets than the data holds.
    #[error("shutdown communication length {length} exceeds the {available} octets present")]
    Truncated {
        /// The length octet.
        length: u8,
        /// Octets after it.
        available: usize,
    },
    /// The message is not UTF-8.
    #[error("shutdown communication is not UTF-8")]
    InvalidUtf8,
    /// Octets after the message.
    #[error("{0} octets after the shutdown communication")]
    TrailingData(usize),
}

impl Notification {
    /// Builds a NOTIFICATION.
    pub fn new(code: ErrorCode, subcode: u8, data: Bytes) -> Notification {
        Notification { code, subcode, data }
    }

    /// The NOTIFICATION that reports a decoding error.
    pub fn from_error(e: &Error) -> Notification {
        Notification { code: e.code, subcode: e.subcode, data: e.data.clone() }
    }

    /// Decodes a whole NOTIFICATION, header included.
    ///
    /// RFC 4271 §6.4: "If a peer sends a NOTIFICATION message, and the receiver of the message
    /// detects an error in that message, the receiver cannot use a NOTIFICATION message to
    /// report this error back to the peer." Apart from the header, nothing can be wrong:
    /// unknown codes and any data are kept.
    pub fn decode(msg: Bytes, ctx: &Context) -> Result<Notification, Error> {
        let h = Header::check(&msg, ctx.max_message_len())?;
        if h.message_type != MessageType::NOTIFICATION {
            return Err(crate::message::wrong_type(h.message_type));
        }
        let end = usize::from(h.length);
        if msg.len() != end {
            return Err(crate::message::length_mismatch(msg.len(), h.length));
        }
        // The header check guarantees at least 21 octets.
        let (Some(&code), Some(&subcode)) = (msg.get(CODE_OFFSET), msg.get(CODE_OFFSET + 1)) else {
            return Err(crate::message::length_mismatch(msg.len(), h.length));
        };
        Ok(Notification { code: ErrorCode(code), subcode, data: msg.slice(DATA_OFFSET..end) })
    }

    /// Length of the encoded message, header included.
    pub fn encoded_len(&self) -> usize {
        DATA_OFFSET + self.data.len()
    }

    /// Writes the whole message. Data beyond what a 65535-octet message holds is cut; the
    /// sender must fit the data to the negotiated maximum (4096 octets without RFC 8654).
    pub fn encode(&self, _ctx: &Context, buf: &mut BytesMut) {
        let start = begin_message(MessageType::NOTIFICATION, buf);
        buf.put_u8(self.code.0);
        buf.put_u8(self.subcode);
        let room = crate::header::EXTENDED_MAX_LEN - DATA_OFFSET;
        buf.put_slice(&self.data[..self.data.len().min(room)]);
        finish_message(start, buf);
    }

    /// A Cease with an RFC 9003 shutdown communication: `subcode` should be
    /// [`cease::ADMINISTRATIVE_SHUTDOWN`] or [`cease::ADMINISTRATIVE_RESET`]. The message is cut
    /// at a character boundary to 255 octets.
    ///
    /// RFC 9003 §2: the data is a one-octet length followed by that many octets of UTF-8.
    pub fn shutdown(subcode: u8, message: &str) -> Notification {
        let mut n = message.len().min(MAX_SHUTDOWN_COMMUNICATION);
        while !message.is_char_boundary(n) {
            n -= 1;
        }
        let mut data = BytesMut::with_capacity(1 + n);
        data.put_u8(n as u8);
        data.put_slice(&message.as_bytes()[..n]);
        Notification { code: ErrorCode::CEASE, subcode, data: data.freeze() }
    }

    /// The shutdown communication of a Cease Administrative Shutdown or Reset (RFC 9003 §2).
    ///
    /// `None` when this is another NOTIFICATION or carries no data (RFC 4486 senders);
    /// `Some(Ok(""))` for a zero length.
    pub fn shutdown_communication(&self) -> Option<Result<&str, ShutdownCommunicationError>> {
        if self.code != ErrorCode::CEASE
            || !matches!(self.subcode, cease::ADMINISTRATIVE_SHUTDOWN | cease::ADMINISTRATIVE_RESET)
        {
            return None;
        }
        let (&length, rest) = self.data.split_first()?;
        let n = usize::from(length);
        let Some(text) = rest.get(..n) else {
            return Some(Err(ShutdownCommunicationError::Truncated {
                length,
                available: rest.len(),
            }));
        };
        if rest.len() > n {
            return Some(Err(ShutdownCommunicationError::TrailingData(rest.len() - n)));
        }
        Some(core::str::from_utf8(text).map_err(|_| ShutdownCommunicationError::InvalidUtf8))
    }

    /// A Cease / Hard Reset wrapping another NOTIFICATION (RFC 8538 §3): its data is the inner
    /// NOTIFICATION's Error Code, Error Subcode and Data, in that order.
    pub fn hard_reset(inner: &Notification) -> Notification {
        let mut data = BytesMut::with_capacity(2 + inner.data.len());
        data.put_u8(inner.code.0);
        data.put_u8(inner.subcode);
        data.put_slice(&inner.data);
        Notification { code: ErrorCode::CEASE, subcode: cease::HARD_RESET, data: data.freeze() }
    }

    /// OPEN Message Error / Unsupported Capability (RFC 5492 §5): "the Data field of the
    /// NOTIFICATION message MUST list the set of (all) capabilities that cause the speaker to
    /// send the message. Each such capability is encoded in the same way as it would be encoded
    /// in the OPEN message."
    pub fn unsupported_capability(capabilities: &[Capability]) -> Notification {
        let mut data = BytesMut::new();
        for c in capabilities {
            c.encode(&mut data);
        }
        Notification {
            code: ErrorCode::OPEN_MESSAGE,
            subcode: open::UNSUPPORTED_CAPABILITY,
            data: data.freeze(),
        }
    }

    /// The NOTIFICATION inside a Cease / Hard Reset, or `None` when this is not one or its data
    /// is shorter than two octets. The inner data is a slice of this one's.
    pub fn hard_reset_inner(&self) -> Option<Notification> {
        if self.code != ErrorCode::CEASE || self.subcode != cease::HARD_RESET {
            return None;
        }
        let (&code, rest) = self.data.split_first()?;
        let (&subcode, _) = rest.split_first()?;
        Some(Notification { code: ErrorCode(code), subcode, data: self.data.slice(2..) })
    }
}

impl fmt::Display for Notification {
    /// `Cease / Administrative Shutdown: "maintenance"`, or the data in hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} / {}", self.code.name(), subcode_name(self.code, self.subcode))?;
        if let Some(inner) = self.hard_reset_inner() {
            return write!(f, " ({inner})");
        }
        match self.shutdown_communication() {
            Some(Ok(text)) => write!(f, ": {text:?}"),
            _ if self.data.is_empty() => Ok(()),
            _ => {
                f.write_str(", data ")?;
                for b in self.data.iter() {
                    write!(f, "{b:02x}")?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod strategies {
    //! proptest strategy for NOTIFICATION.
    use super::*;
    use proptest::prelude::*;

    pub(crate) fn notification() -> impl Strategy<Value = Notification> {
        (any::<u8>(), any::<u8>(), proptest::collection::vec(any::<u8>(), 0..300))
            .prop_map(|(c, s, d)| Notification::new(ErrorCode(c), s, Bytes::from(d)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::testutil::{assert_hex_eq, hex};
    use proptest::prelude::*;

    const M: &str = "ffffffffffffffffffffffffffffffff";

    fn vectors() -> Vec<(String, Notification)> {
        vec![
            (
                format!("{M} 0017 03 02 02 fde8"),
                Notification::new(ErrorCode::OPEN_MESSAGE, 2, Bytes::from_static(&[0xfd, 0xe8])),
            ),
            (
                format!("{M} 0015 03 04 00"),
                Notification::new(ErrorCode::HOLD_TIMER_EXPIRED, 0, Bytes::new()),
            ),
            (format!("{M} 0015 03 06 04"), Notification::new(ErrorCode::CEASE, 4, Bytes::new())),
            (
                format!("{M} 0019 03 06 02 03 62 79 65"),
                Notification::shutdown(cease::ADMINISTRATIVE_SHUTDOWN, "bye"),
            ),
            (
                format!("{M} 0017 03 06 09 04 00"),
                Notification::hard_reset(&Notification::new(
                    ErrorCode::HOLD_TIMER_EXPIRED,
                    0,
                    Bytes::new(),
                )),
            ),
            (format!("{M} 0015 03 63 07"), Notification::new(ErrorCode(99), 7, Bytes::new())),
        ]
    }

    fn encode(n: &Notification) -> Vec<u8> {
        let mut b = BytesMut::new();
        n.encode(&Context::legacy(), &mut b);
        b.to_vec()
    }

    #[test]
    fn vectors_decode() {
        for (h, want) in vectors() {
            assert_eq!(
                Notification::decode(Bytes::from(hex(&h)), &Context::legacy()),
                Ok(want),
                "{h}"
            );
        }
    }

    #[test]
    fn vectors_encode() {
        for (h, n) in vectors() {
            assert_hex_eq(&encode(&n), &hex(&h));
            assert_eq!(n.encoded_len(), hex(&h).len());
        }
    }

    #[test]
    fn shutdown_communication() {
        let n = Notification::shutdown(cease::ADMINISTRATIVE_RESET, "maintenance");
        assert_eq!(n.shutdown_communication(), Some(Ok("maintenance")));
        assert_eq!(n.to_string(), "Cease / Administrative Reset: \"maintenance\"");
        // Cut at a character boundary: 127 two-octet characters fit in 254 octets.
        let long = "é".repeat(200);
        let n = Notification::shutdown(cease::ADMINISTRATIVE_SHUTDOWN, &long);
        assert_eq!(n.data[0], 254);
        assert_eq!(n.shutdown_communication().and_then(Result::ok).map(str::len), Some(254));

        let bad = |d: &'static [u8]| Notification::new(ErrorCode::CEASE, 2, Bytes::from_static(d));
        assert_eq!(
            bad(&[5, b'a']).shutdown_communication(),
            Some(Err(ShutdownCommunicationError::Truncated { length: 5, available: 1 }))
        );
        assert_eq!(
            bad(&[1, 0xff]).shutdown_communication(),
            Some(Err(ShutdownCommunicationError::InvalidUtf8))
        );
        assert_eq!(
            bad(&[1, b'a', b'b']).shutdown_communication(),
            Some(Err(ShutdownCommunicationError::TrailingData(1)))
        );
        assert_eq!(bad(&[]).shutdown_communication(), None);
        assert_eq!(bad(&[0]).shutdown_communication(), Some(Ok("")));
        assert_eq!(
            Notification::new(ErrorCode::CEASE, 3, Bytes::from_static(&[0]))
                .shutdown_communication(),
            None
        );
        assert_eq!(bad(&[1, 0xff]).to_string(), "Cease / Administrative Shutdown, data 01ff");
    }

    #[test]
    fn hard_reset() {
        let inner = Notification::shutdown(cease::ADMINISTRATIVE_RESET, "x");
        let n = Notification::hard_reset(&inner);
        assert_eq!(n.hard_reset_inner(), Some(inner));
        assert_eq!(n.to_string(), "Cease / Hard Reset (Cease / Administrative Reset: \"x\")");
        assert_eq!(
            Notification::new(ErrorCode::CEASE, 9, Bytes::from_static(&[6])).hard_reset_inner(),
            None
        );
    }

    #[test]
    fn unsupported_capability() {
        let n = Notification::unsupported_capability(&[
            Capability::RouteRefresh,
            Capability::FourOctetAs(crate::types::Asn(65536)),
        ]);
        let mut b = BytesMut::new();
        n.encode(&Context::legacy(), &mut b);
        assert_hex_eq(&b, &hex(&format!("{M} 001d 03 02 07 0200 4104 00010000")));
    }

    #[test]
    fn from_error() {
        let e = Error::new(
            ErrorCode::OPEN_MESSAGE,
            1,
            crate::error::Reason::BadVersion(3),
            19,
            Bytes::from_static(&[0, 4]),
        );
        let n = Notification::from_error(&e);
        assert_eq!((n.code, n.subcode, &n.data[..]), (ErrorCode::OPEN_MESSAGE, 1, &[0, 4][..]));
        assert_eq!(n.to_string(), "OPEN Message Error / Unsupported Version Number, data 0004");
    }

    #[test]
    fn wrong_type_and_length() {
        let ka = Bytes::from(hex(&format!("{M} 0013 04")));
        assert!(Notification::decode(ka, &Context::legacy()).is_err());
        let extra = Bytes::from(hex(&format!("{M} 0015 03 06 04 00")));
        assert!(Notification::decode(extra, &Context::legacy()).is_err());
    }

    proptest! {
        #[test]
        fn round_trip(n in strategies::notification(), modern in any::<bool>()) {
            let ctx = if modern { Context::modern() } else { Context::legacy() };
            let mut b = BytesMut::new();
            n.encode(&ctx, &mut b);
            prop_assert_eq!(Notification::decode(b.freeze(), &ctx), Ok(n));
        }
    }
}
