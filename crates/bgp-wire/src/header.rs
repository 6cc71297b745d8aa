//! The 19-octet message header and framing of a byte stream (RFC 4271 §4.1).

use bytes::{BufMut, Bytes, BytesMut};
use core::fmt;

use crate::codes::{header, ErrorCode};
use crate::error::{Error, Reason};

/// Length of the header: marker, length, type.
pub const HEADER_LEN: usize = 19;
/// Largest message without RFC 8654: "The value of the Length field MUST always be at least 19
/// and no greater than 4096".
pub const MAX_LEN: usize = 4096;
/// Largest message with RFC 8654 extended messages.
pub const EXTENDED_MAX_LEN: usize = 65535;
/// The marker: "This 16-octet field is included for compatibility; it MUST be set to all ones."
pub const MARKER: [u8; 16] = [0xff; 16];

/// The message type octet.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageType(pub u8);

impl MessageType {
    /// OPEN (1).
    pub const OPEN: MessageType = MessageType(1);
    /// UPDATE (2).
    pub const UPDATE: MessageType = MessageType(2);
    /// NOTIFICATION (3).
    pub const NOTIFICATION: MessageType = MessageType(3);
    /// KEEPALIVE (4).
    pub const KEEPALIVE: MessageType = MessageType(4);
    /// ROUTE-REFRESH (5, RFC 2918).
    pub const ROUTE_REFRESH: MessageType = MessageType(5);

    /// Name as the RFCs write it.
    pub fn name(self) -> &'static str {
        match self {
            MessageType::OPEN => "OPEN",
            MessageType::UPDATE => "UPDATE",
            MessageType::NOTIFICATION => "NOTIFICATION",
            MessageType::KEEPALIVE => "KEEPALIVE",
            MessageType::ROUTE_REFRESH => "ROUTE-REFRESH",
            _ => "UNKNOWN",
        }
    }

    /// Smallest valid length of a message of this type, header included, or `None` for a type
    /// we do not know (RFC 4271 §6.1, RFC 2918 §3).
    pub fn min_len(self) -> Option<usize> {
        match self {
            MessageType::OPEN => Some(29),
            MessageType::UPDATE => Some(23),
            MessageType::NOTIFICATION => Some(21),
            MessageType::KEEPALIVE => Some(19),
            MessageType::ROUTE_REFRESH => Some(23),
            _ => None,
        }
    }
}

impl fmt::Debug for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.name(), self.0)
    }
}

/// A checked header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Total message length, header included.
    pub length: u16,
    /// Message type.
    pub message_type: MessageType,
}

impl Header {
    /// Checks the header at the start of `buf` (which must hold at least [`HEADER_LEN`] octets).
    ///
    /// RFC 4271 §6.1: a bad marker is "Connection Not Synchronized"; a length below 19, above
    /// the maximum, or wrong for the type is "Bad Message Length" with the length field as
    /// data; an unknown type is "Bad Message Type" with the type as data.
    pub fn check(buf: &[u8], max_len: usize) -> Result<Header, Error> {
        let Some(h) = buf.get(..HEADER_LEN) else {
            return Err(Error::new(
                ErrorCode::MESSAGE_HEADER,
                header::BAD_MESSAGE_LENGTH,
                Reason::Truncated { needed: HEADER_LEN, available: buf.len() },
                buf.len(),
                Bytes::new(),
            ));
        };
        if h[..16] != MARKER {
            return Err(Error::new(
                ErrorCode::MESSAGE_HEADER,
                header::CONNECTION_NOT_SYNCHRONIZED,
                Reason::BadMarker,
                0,
                Bytes::new(),
            ));
        }
        let length = u16::from_be_bytes([h[16], h[17]]);
        let message_type = MessageType(h[18]);
        let bad_length = || {
            Error::new(
                ErrorCode::MESSAGE_HEADER,
                header::BAD_MESSAGE_LENGTH,
                Reason::BadLength(length),
                16,
                Bytes::copy_from_slice(&length.to_be_bytes()),
            )
        };
        if (length as usize) < HEADER_LEN || length as usize > max_len {
            return Err(bad_length());
        }
        let Some(min) = message_type.min_len() else {
            return Err(Error::new(
                ErrorCode::MESSAGE_HEADER,
                header::BAD_MESSAGE_TYPE,
                Reason::BadType(message_type.0),
                18,
                Bytes::copy_from_slice(&[message_type.0]),
            ));
        };
        let exact = message_type == MessageType::KEEPALIVE;
        if (length as usize) < min || (exact && length as usize != min) {
            return Err(bad_length());
        }
        Ok(Header { length, message_type })
    }

    /// Writes a header; `length` is the total length, header included.
    pub fn encode(message_type: MessageType, length: u16, buf: &mut BytesMut) {
        buf.put_slice(&MARKER);
        buf.put_u16(length);
        buf.put_u8(message_type.0);
    }
}

/// Finds the first message in a byte stream.
///
/// Returns `Ok(None)` when more bytes are needed, `Ok(Some(len))` when the first `len` bytes
/// are one whole message, or the header error to send.
pub fn frame(buf: &[u8], max_len: usize) -> Result<Option<usize>, Error> {
    if buf.len() < HEADER_LEN {
        return Ok(None);
    }
    let h = Header::check(buf, max_len)?;
    let len = h.length as usize;
    Ok((buf.len() >= len).then_some(len))
}

/// Starts a message in `buf`: writes a header with a zero length and returns where the
/// message starts, for [`finish_message`] to fill in the length.
pub fn begin_message(message_type: MessageType, buf: &mut BytesMut) -> usize {
    let start = buf.len();
    Header::encode(message_type, 0, buf);
    start
}

/// Fills in the length of the message that [`begin_message`] started at `start`.
///
/// Encoders size messages to the negotiated maximum before writing, so the length fits.
pub fn finish_message(start: usize, buf: &mut BytesMut) {
    let len = (buf.len() - start).min(u16::MAX as usize) as u16;
    buf[start + 16..start + 18].copy_from_slice(&len.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keepalive() -> Vec<u8> {
        let mut v = vec![0xff; 16];
        v.extend_from_slice(&[0x00, 0x13, 0x04]);
        v
    }

    #[test]
    fn frames_a_keepalive() {
        let mut v = keepalive();
        assert_eq!(frame(&v[..10], MAX_LEN), Ok(None));
        v.extend_from_slice(&keepalive());
        assert_eq!(frame(&v, MAX_LEN), Ok(Some(19)));
    }

    #[test]
    fn header_errors() {
        let mut v = keepalive();
        v[3] = 0;
        let e = Header::check(&v, MAX_LEN).unwrap_err();
        assert_eq!((e.code, e.subcode), (ErrorCode::MESSAGE_HEADER, 1));

        let mut v = keepalive();
        v[17] = 0x14;
        let e = Header::check(&v, MAX_LEN).unwrap_err();
        assert_eq!(
            (e.code, e.subcode, &e.data[..]),
            (ErrorCode::MESSAGE_HEADER, 2, &[0, 0x14][..])
        );

        let mut v = keepalive();
        v[18] = 9;
        let e = Header::check(&v, MAX_LEN).unwrap_err();
        assert_eq!((e.code, e.subcode, &e.data[..]), (ErrorCode::MESSAGE_HEADER, 3, &[9][..]));

        let mut v = keepalive();
        v[16] = 0x10;
        v[17] = 0x01;
        v[18] = 2;
        assert!(Header::check(&v, MAX_LEN).is_err());
        assert!(Header::check(&v, EXTENDED_MAX_LEN).is_ok());
    }

    #[test]
    fn begin_finish() {
        let mut b = BytesMut::new();
        let s = begin_message(MessageType::KEEPALIVE, &mut b);
        finish_message(s, &mut b);
        assert_eq!(&b[..], &keepalive()[..]);
    }
}
