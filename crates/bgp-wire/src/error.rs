//! Decoding errors: each carries the NOTIFICATION to send and where in the message it was found.

use bytes::Bytes;

use crate::codes::ErrorCode;

/// What was wrong, in words; small and `Copy` so that leaf parsers can return it cheaply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Reason {
    /// Fewer octets than a field needs.
    #[error("truncated: needed {needed} octets, {available} available")]
    Truncated {
        /// Octets the field needs.
        needed: usize,
        /// Octets left.
        available: usize,
    },
    /// Octets left over after the last field of a message or attribute.
    #[error("{0} trailing octets")]
    TrailingBytes(usize),
    /// The 16-octet marker is not all ones.
    #[error("marker is not all ones")]
    BadMarker,
    /// The header's length is outside what the message type or context allows.
    #[error("bad message length {0}")]
    BadLength(u16),
    /// Unknown message type.
    #[error("bad message type {0}")]
    BadType(u8),
    /// OPEN version other than 4.
    #[error("unsupported version {0}")]
    BadVersion(u8),
    /// Hold time 1 or 2 (RFC 4271 §6.2).
    #[error("unacceptable hold time {0}")]
    BadHoldTime(u16),
    /// BGP identifier zero or otherwise invalid.
    #[error("bad BGP identifier")]
    BadBgpId,
    /// Peer AS not what was configured.
    #[error("bad peer AS {0}")]
    BadPeerAs(u32),
    /// Optional parameter of a type we do not support.
    #[error("unsupported optional parameter {0}")]
    UnsupportedOptionalParameter(u8),
    /// A capability whose value does not fit its definition.
    #[error("malformed capability {0}")]
    MalformedCapability(u8),
    /// Attribute list does not parse (RFC 4271 §6.3).
    #[error("malformed attribute list")]
    MalformedAttributeList,
    /// Attribute flags conflict with the attribute type.
    #[error("attribute {0} has wrong flags")]
    AttributeFlags(u8),
    /// Attribute length wrong for its type.
    #[error("attribute {0} has wrong length")]
    AttributeLength(u8),
    /// The same attribute twice.
    #[error("attribute {0} appears twice")]
    DuplicateAttribute(u8),
    /// A well-known mandatory attribute is missing.
    #[error("missing well-known attribute {0}")]
    MissingWellKnown(u8),
    /// A well-known attribute we do not recognise.
    #[error("unrecognized well-known attribute {0}")]
    UnrecognizedWellKnown(u8),
    /// ORIGIN value other than 0, 1, 2.
    #[error("invalid ORIGIN {0}")]
    InvalidOrigin(u8),
    /// NEXT_HOP syntactically invalid.
    #[error("invalid NEXT_HOP")]
    InvalidNextHop,
    /// AS_PATH segment malformed.
    #[error("malformed AS_PATH")]
    MalformedAsPath,
    /// An optional attribute's value is malformed.
    #[error("optional attribute {0} malformed")]
    OptionalAttribute(u8),
    /// A prefix length larger than the address, or a prefix that overruns its field.
    #[error("invalid network field")]
    InvalidNetwork,
    /// A NOTIFICATION, ROUTE-REFRESH or MRT field holds a value we cannot accept.
    #[error("invalid field value")]
    InvalidValue,
}

/// A malformed message: the NOTIFICATION to send, and where the fault is.
///
/// `offset` counts from the first octet of the message (the marker), so it points into the
/// same bytes a capture shows.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{reason} at offset {offset} ({code} / {subcode})", code = code.name(),
        subcode = crate::codes::subcode_name(*code, *subcode))]
#[non_exhaustive]
pub struct Error {
    /// NOTIFICATION Error Code.
    pub code: ErrorCode,
    /// NOTIFICATION Error Subcode.
    pub subcode: u8,
    /// NOTIFICATION Data, as the RFC asks for this error.
    pub data: Bytes,
    /// Absolute offset of the fault in the message.
    pub offset: usize,
    /// What was wrong.
    pub reason: Reason,
}

impl Error {
    /// Builds an error. Kept out of line: errors are the cold path.
    #[cold]
    #[inline(never)]
    pub fn new(code: ErrorCode, subcode: u8, reason: Reason, offset: usize, data: Bytes) -> Error {
        Error { code, subcode, data, offset, reason }
    }
}

/// What RFC 7606 §2 says to do about a malformed attribute, from mildest to harshest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// "Attribute discard": the attribute is dropped, the rest of the UPDATE is used.
    AttributeDiscard,
    /// "Treat-as-withdraw": every NLRI of the UPDATE is handled as withdrawn.
    TreatAsWithdraw,
    /// "AFI/SAFI disable": the family is disabled for the session (RFC 4760 §7).
    AfiSafiDisable,
    /// "Session reset": send the NOTIFICATION and close the session.
    SessionReset,
}

/// One malformed attribute found while decoding an UPDATE, and what to do about it.
///
/// Returned beside the message, not instead of it (RFC 7606 §2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttributeIssue {
    /// Attribute type code.
    pub type_code: u8,
    /// What to do.
    pub action: Action,
    /// The NOTIFICATION this would have been under RFC 4271, and where.
    pub error: Error,
}
