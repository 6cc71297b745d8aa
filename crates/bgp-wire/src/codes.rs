//! NOTIFICATION error codes and subcodes (RFC 4271 §4.5, §6; RFC 4486; RFC 6608; RFC 7313;
//! RFC 8203/9003; RFC 8538; RFC 9234; RFC 9687).
//!
//! Newtypes with associated constants, so unknown codes survive a round trip.

use core::fmt;

/// The Error Code of a NOTIFICATION.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ErrorCode(pub u8);

impl ErrorCode {
    /// RFC 4271 §6.1.
    pub const MESSAGE_HEADER: ErrorCode = ErrorCode(1);
    /// RFC 4271 §6.2.
    pub const OPEN_MESSAGE: ErrorCode = ErrorCode(2);
    /// RFC 4271 §6.3.
    pub const UPDATE_MESSAGE: ErrorCode = ErrorCode(3);
    /// RFC 4271 §6.5.
    pub const HOLD_TIMER_EXPIRED: ErrorCode = ErrorCode(4);
    /// RFC 4271 §6.6; subcodes from RFC 6608.
    pub const FSM: ErrorCode = ErrorCode(5);
    /// RFC 4271 §6.7; subcodes from RFC 4486.
    pub const CEASE: ErrorCode = ErrorCode(6);
    /// RFC 7313 §5.
    pub const ROUTE_REFRESH_MESSAGE: ErrorCode = ErrorCode(7);
    /// RFC 9687 §5 (no subcode: 0, no data).
    pub const SEND_HOLD_TIMER_EXPIRED: ErrorCode = ErrorCode(8);

    /// The RFC's name of the code.
    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::MESSAGE_HEADER => "Message Header Error",
            ErrorCode::OPEN_MESSAGE => "OPEN Message Error",
            ErrorCode::UPDATE_MESSAGE => "UPDATE Message Error",
            ErrorCode::HOLD_TIMER_EXPIRED => "Hold Timer Expired",
            ErrorCode::FSM => "Finite State Machine Error",
            ErrorCode::CEASE => "Cease",
            ErrorCode::ROUTE_REFRESH_MESSAGE => "ROUTE-REFRESH Message Error",
            ErrorCode::SEND_HOLD_TIMER_EXPIRED => "Send Hold Timer Expired",
            _ => "Unknown",
        }
    }
}

impl fmt::Debug for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.name(), self.0)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Message Header Error subcodes (RFC 4271 §4.5).
pub mod header {
    /// Connection Not Synchronized.
    pub const CONNECTION_NOT_SYNCHRONIZED: u8 = 1;
    /// Bad Message Length.
    pub const BAD_MESSAGE_LENGTH: u8 = 2;
    /// Bad Message Type.
    pub const BAD_MESSAGE_TYPE: u8 = 3;
}

/// OPEN Message Error subcodes (RFC 4271 §4.5, RFC 5492, RFC 9234).
pub mod open {
    /// Unspecific (RFC 4271 §6.2 uses it for errors that have no subcode).
    pub const UNSPECIFIC: u8 = 0;
    /// Unsupported Version Number.
    pub const UNSUPPORTED_VERSION_NUMBER: u8 = 1;
    /// Bad Peer AS.
    pub const BAD_PEER_AS: u8 = 2;
    /// Bad BGP Identifier.
    pub const BAD_BGP_IDENTIFIER: u8 = 3;
    /// Unsupported Optional Parameter.
    pub const UNSUPPORTED_OPTIONAL_PARAMETER: u8 = 4;
    /// Unacceptable Hold Time.
    pub const UNACCEPTABLE_HOLD_TIME: u8 = 6;
    /// Unsupported Capability (RFC 5492 §5).
    pub const UNSUPPORTED_CAPABILITY: u8 = 7;
    /// Role Mismatch (RFC 9234 §4.2).
    pub const ROLE_MISMATCH: u8 = 11;
}

/// UPDATE Message Error subcodes (RFC 4271 §4.5).
pub mod update {
    /// Malformed Attribute List.
    pub const MALFORMED_ATTRIBUTE_LIST: u8 = 1;
    /// Unrecognized Well-known Attribute.
    pub const UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE: u8 = 2;
    /// Missing Well-known Attribute.
    pub const MISSING_WELL_KNOWN_ATTRIBUTE: u8 = 3;
    /// Attribute Flags Error.
    pub const ATTRIBUTE_FLAGS_ERROR: u8 = 4;
    /// Attribute Length Error.
    pub const ATTRIBUTE_LENGTH_ERROR: u8 = 5;
    /// Invalid ORIGIN Attribute.
    pub const INVALID_ORIGIN_ATTRIBUTE: u8 = 6;
    /// Invalid NEXT_HOP Attribute.
    pub const INVALID_NEXT_HOP_ATTRIBUTE: u8 = 8;
    /// Optional Attribute Error.
    pub const OPTIONAL_ATTRIBUTE_ERROR: u8 = 9;
    /// Invalid Network Field.
    pub const INVALID_NETWORK_FIELD: u8 = 10;
    /// Malformed AS_PATH.
    pub const MALFORMED_AS_PATH: u8 = 11;
}

/// Finite State Machine Error subcodes (RFC 6608 §3).
pub mod fsm {
    /// Unspecified Error.
    pub const UNSPECIFIED: u8 = 0;
    /// Receive Unexpected Message in OpenSent State.
    pub const UNEXPECTED_IN_OPENSENT: u8 = 1;
    /// Receive Unexpected Message in OpenConfirm State.
    pub const UNEXPECTED_IN_OPENCONFIRM: u8 = 2;
    /// Receive Unexpected Message in Established State.
    pub const UNEXPECTED_IN_ESTABLISHED: u8 = 3;
}

/// Cease subcodes (RFC 4486 §4, RFC 8538 §5).
pub mod cease {
    /// Maximum Number of Prefixes Reached.
    pub const MAXIMUM_PREFIXES_REACHED: u8 = 1;
    /// Administrative Shutdown (may carry an RFC 9003 shutdown communication).
    pub const ADMINISTRATIVE_SHUTDOWN: u8 = 2;
    /// Peer De-configured.
    pub const PEER_DECONFIGURED: u8 = 3;
    /// Administrative Reset (may carry an RFC 9003 shutdown communication).
    pub const ADMINISTRATIVE_RESET: u8 = 4;
    /// Connection Rejected.
    pub const CONNECTION_REJECTED: u8 = 5;
    /// Other Configuration Change.
    pub const OTHER_CONFIGURATION_CHANGE: u8 = 6;
    /// Connection Collision Resolution.
    pub const CONNECTION_COLLISION_RESOLUTION: u8 = 7;
    /// Out of Resources.
    pub const OUT_OF_RESOURCES: u8 = 8;
    /// Hard Reset (RFC 8538 §5).
    pub const HARD_RESET: u8 = 9;
    /// BFD Down (RFC 9384).
    pub const BFD_DOWN: u8 = 10;
}

/// ROUTE-REFRESH Message Error subcodes (RFC 7313 §5).
pub mod route_refresh {
    /// Invalid Message Length.
    pub const INVALID_MESSAGE_LENGTH: u8 = 1;
}

/// The RFC's name for a (code, subcode) pair, for logs and the decoding tool.
pub fn subcode_name(code: ErrorCode, subcode: u8) -> &'static str {
    match (code, subcode) {
        (ErrorCode::MESSAGE_HEADER, 1) => "Connection Not Synchronized",
        (ErrorCode::MESSAGE_HEADER, 2) => "Bad Message Length",
        (ErrorCode::MESSAGE_HEADER, 3) => "Bad Message Type",
        (ErrorCode::OPEN_MESSAGE, 1) => "Unsupported Version Number",
        (ErrorCode::OPEN_MESSAGE, 2) => "Bad Peer AS",
        (ErrorCode::OPEN_MESSAGE, 3) => "Bad BGP Identifier",
        (ErrorCode::OPEN_MESSAGE, 4) => "Unsupported Optional Parameter",
        (ErrorCode::OPEN_MESSAGE, 5) => "Authentication Failure (deprecated)",
        (ErrorCode::OPEN_MESSAGE, 6) => "Unacceptable Hold Time",
        (ErrorCode::OPEN_MESSAGE, 7) => "Unsupported Capability",
        (ErrorCode::OPEN_MESSAGE, 11) => "Role Mismatch",
        (ErrorCode::UPDATE_MESSAGE, 1) => "Malformed Attribute List",
        (ErrorCode::UPDATE_MESSAGE, 2) => "Unrecognized Well-known Attribute",
        (ErrorCode::UPDATE_MESSAGE, 3) => "Missing Well-known Attribute",
        (ErrorCode::UPDATE_MESSAGE, 4) => "Attribute Flags Error",
        (ErrorCode::UPDATE_MESSAGE, 5) => "Attribute Length Error",
        (ErrorCode::UPDATE_MESSAGE, 6) => "Invalid ORIGIN Attribute",
        (ErrorCode::UPDATE_MESSAGE, 7) => "AS Routing Loop (deprecated)",
        (ErrorCode::UPDATE_MESSAGE, 8) => "Invalid NEXT_HOP Attribute",
        (ErrorCode::UPDATE_MESSAGE, 9) => "Optional Attribute Error",
        (ErrorCode::UPDATE_MESSAGE, 10) => "Invalid Network Field",
        (ErrorCode::UPDATE_MESSAGE, 11) => "Malformed AS_PATH",
        (ErrorCode::FSM, 0) => "Unspecified Error",
        (ErrorCode::FSM, 1) => "Receive Unexpected Message in OpenSent State",
        (ErrorCode::FSM, 2) => "Receive Unexpected Message in OpenConfirm State",
        (ErrorCode::FSM, 3) => "Receive Unexpected Message in Established State",
        (ErrorCode::CEASE, 1) => "Maximum Number of Prefixes Reached",
        (ErrorCode::CEASE, 2) => "Administrative Shutdown",
        (ErrorCode::CEASE, 3) => "Peer De-configured",
        (ErrorCode::CEASE, 4) => "Administrative Reset",
        (ErrorCode::CEASE, 5) => "Connection Rejected",
        (ErrorCode::CEASE, 6) => "Other Configuration Change",
        (ErrorCode::CEASE, 7) => "Connection Collision Resolution",
        (ErrorCode::CEASE, 8) => "Out of Resources",
        (ErrorCode::CEASE, 9) => "Hard Reset",
        (ErrorCode::CEASE, 10) => "BFD Down",
        (ErrorCode::ROUTE_REFRESH_MESSAGE, 1) => "Invalid Message Length",
        (_, 0) => "Unspecific",
        _ => "Unknown",
    }
}
