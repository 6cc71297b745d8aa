//! Errors: why a packet was discarded, why a configuration was refused.

use crate::packet::{AuthType, State, HEADER_LEN};

/// Why a payload is not a valid Control packet (RFC 5880 §6.8.6). Offsets are from the
/// start of the payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Fewer octets than the mandatory section.
    #[error("truncated: {needed} octets needed at offset {offset}, {available} available")]
    Truncated {
        /// Where the missing octets start.
        offset: usize,
        /// How many are needed from there.
        needed: usize,
        /// How many the payload has.
        available: usize,
    },
    /// Version other than 1.
    #[error("version {version} (offset {offset}), only 1 is known")]
    Version {
        /// The version received.
        version: u8,
        /// Offset of the field.
        offset: usize,
    },
    /// Length below 24, or below 26 with the A bit.
    #[error("length {length} below the minimum {minimum} (offset {offset})")]
    LengthTooShort {
        /// The Length field.
        length: u8,
        /// The minimum for this A bit.
        minimum: usize,
        /// Offset of the field.
        offset: usize,
    },
    /// Length beyond the payload.
    #[error("length {length} exceeds the {payload} octet payload (offset {offset})")]
    LengthExceedsPayload {
        /// The Length field.
        length: u8,
        /// The payload size.
        payload: usize,
        /// Offset of the field.
        offset: usize,
    },
    /// Detect Mult zero.
    #[error("detect mult is zero (offset {offset})")]
    DetectMultZero {
        /// Offset of the field.
        offset: usize,
    },
    /// The Multipoint bit is set.
    #[error("multipoint bit set (offset {offset})")]
    Multipoint {
        /// Offset of the field.
        offset: usize,
    },
    /// My Discriminator zero.
    #[error("my discriminator is zero (offset {offset})")]
    MyDiscriminatorZero {
        /// Offset of the field.
        offset: usize,
    },
    /// Your Discriminator zero in a state other than Down or AdminDown.
    #[error("your discriminator is zero in state {state} (offset {offset})")]
    YourDiscriminatorZero {
        /// The State field.
        state: State,
        /// Offset of the field.
        offset: usize,
    },
    /// Octets after the mandatory section without the A bit.
    #[error("length {length} leaves room for an authentication section, but the A bit is clear (offset {offset})")]
    UnexpectedAuth {
        /// The Length field.
        length: u8,
        /// Offset of the field.
        offset: usize,
    },
    /// An authentication section whose Auth Len disagrees with the packet or its type.
    #[error("auth type {auth_type} with auth len {auth_len} (offset {offset})")]
    AuthLen {
        /// The Auth Type.
        auth_type: u8,
        /// The Auth Len.
        auth_len: u8,
        /// Offset of the Auth Len field.
        offset: usize,
    },
}

impl DecodeError {
    #[cold]
    pub(crate) fn truncated(available: usize) -> DecodeError {
        DecodeError::Truncated { offset: available, needed: HEADER_LEN - available, available }
    }

    #[cold]
    pub(crate) fn short_auth(available: usize) -> DecodeError {
        DecodeError::Truncated { offset: available, needed: HEADER_LEN + 2 - available, available }
    }
}

/// Why a received packet that decoded was still discarded by an authentication check
/// (RFC 5880 §6.7, §6.8.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// Authentication is configured but the packet has no section.
    #[error("authentication required, packet has none")]
    Missing,
    /// The packet has a section but no authentication is configured.
    #[error("packet authenticated with type {0:?}, none configured")]
    Unexpected(AuthType),
    /// The section's type is not the configured one.
    #[error("auth type {received:?}, expected {expected:?}")]
    WrongType {
        /// Type in the packet.
        received: AuthType,
        /// Type configured.
        expected: AuthType,
    },
    /// The key id is not the configured one.
    #[error("key id {received}, expected {expected}")]
    WrongKeyId {
        /// Key id in the packet.
        received: u8,
        /// Key id configured.
        expected: u8,
    },
    /// Password or digest does not match.
    #[error("password or digest does not match")]
    Mismatch,
    /// The sequence number is outside the window accepted (a replay, or too far ahead).
    #[error("sequence number {received} outside {low}..={high}")]
    Sequence {
        /// Sequence number in the packet.
        received: u32,
        /// Lowest accepted.
        low: u32,
        /// Highest accepted (circular).
        high: u32,
    },
}

/// Why [`crate::Session::handle_packet`] or [`crate::Sessions::handle_packet`] dropped a
/// packet. Dropping is the whole handling: nothing else changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Discard {
    /// Not a valid Control packet.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// Authentication failed.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// Your Discriminator names another session (§6.8.6: "If the Your Discriminator field
    /// is nonzero, it MUST be used to select the session").
    #[error("your discriminator {received} is not ours ({local})")]
    WrongDiscriminator {
        /// Your Discriminator in the packet.
        received: u32,
        /// Our discriminator.
        local: u32,
    },
    /// No session matches.
    #[error("no session for this packet")]
    NoSession,
    /// The session is AdminDown (§6.8.6: "If bfd.SessionState is AdminDown, discard the
    /// packet").
    #[error("session is AdminDown")]
    AdminDown,
}

/// A configuration that cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Desired Min TX Interval zero: §4.1 reserves that value.
    #[error("desired min tx interval must be above zero")]
    DesiredMinTxZero,
    /// An interval beyond 32 bits of microseconds.
    #[error("interval does not fit in 32 bits of microseconds")]
    IntervalTooLong,
    /// A password outside 1 to 16 octets or a SHA1 key outside 1 to 20.
    #[error("key of {len} octets, allowed 1 to {max}")]
    KeyLength {
        /// Its length.
        len: usize,
        /// The longest allowed for this type.
        max: usize,
    },
    /// The session table is full.
    #[error("session table full ({limit} sessions)")]
    TableFull {
        /// The limit.
        limit: usize,
    },
}
