//! # bgp-wire
//!
//! Every BGP-4 message (RFC 4271 and its extensions), decoded zero-copy from
//! [`bytes::Bytes`] and encoded into [`bytes::BytesMut`].
//!
//! - Decoding takes a [`Context`]: what the session negotiated (4-octet AS, ADD-PATH per
//!   family, extended message, extended next hop). Malformed input gives an [`Error`] carrying
//!   the NOTIFICATION code, subcode and data to send, and the absolute offset of the fault.
//! - Malformed path attributes are classified per RFC 7606 and returned beside the decoded
//!   UPDATE as [`AttributeIssue`]s, not as a failure of the whole message.
//! - Encoding cannot fail: the types are valid by construction.
//! - Unknown codepoints (capabilities, attributes, families) survive a round trip.
//!
//! The crate is sans-IO: no sockets, no clock, no runtime.
#![warn(missing_docs)]
#![deny(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod codes;
pub mod context;
pub mod error;
pub mod header;
pub(crate) mod reader;
pub mod types;

pub mod attribute;
pub mod capability;
pub mod message;
pub mod mrt;
pub mod nlri;
pub mod notification;
pub mod open;
pub mod route_refresh;
pub mod update;

pub use codes::ErrorCode;
pub use context::Context;
pub use error::{Action, AttributeIssue, Error, Reason};
pub use header::{frame, MessageType};
pub use types::{Afi, Asn, Family, FamilySet, Safi};
