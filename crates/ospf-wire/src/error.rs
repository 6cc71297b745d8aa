//! Structured decode errors with absolute offsets.
//!
//! Every offset is counted from the first octet handed to the decoder (the
//! OSPF packet header for [`crate::v2::Packet::decode`], the LSA header for
//! [`crate::v2::Lsa::decode`]).

/// An OSPF packet or LSA could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Fewer octets were available than the structure needs.
    #[error("truncated at offset {offset}: needed {needed} octets, {available} available")]
    Truncated {
        /// Where the missing structure starts.
        offset: usize,
        /// Octets needed from `offset`.
        needed: usize,
        /// Octets available from `offset`.
        available: usize,
    },
    /// The version field is not the one this decoder handles.
    #[error("unsupported OSPF version {version} at offset {offset}")]
    BadVersion {
        /// Offset of the version field.
        offset: usize,
        /// The version found.
        version: u8,
    },
    /// The packet type is not one of the five of RFC 2328 A.3.1.
    #[error("unknown OSPF packet type {packet_type} at offset {offset}")]
    UnknownPacketType {
        /// Offset of the type field.
        offset: usize,
        /// The type found.
        packet_type: u8,
    },
    /// A length field is inconsistent with the data or the format.
    #[error("bad {what} length {length} at offset {offset}")]
    BadLength {
        /// Offset of the structure whose length is wrong.
        offset: usize,
        /// The length found.
        length: usize,
        /// Which length.
        what: &'static str,
    },
    /// The packet checksum (RFC 2328 D.4.1) does not verify.
    #[error("bad packet checksum 0x{found:04x} at offset {offset}, computed 0x{computed:04x}")]
    BadChecksum {
        /// Offset of the checksum field.
        offset: usize,
        /// Checksum in the packet.
        found: u16,
        /// Checksum computed over the packet.
        computed: u16,
    },
    /// Octets were left over inside a structure after its last field.
    #[error("{count} trailing octets at offset {offset}")]
    TrailingBytes {
        /// Offset of the first unexpected octet.
        offset: usize,
        /// How many octets were left over.
        count: usize,
    },
    /// A 32-bit LS type field (Link State Request) holds a value above 255.
    #[error("LS type {ls_type} out of range at offset {offset}")]
    BadLsType {
        /// Offset of the LS type field.
        offset: usize,
        /// The value found.
        ls_type: u32,
    },
}

impl DecodeError {
    /// The absolute offset the error refers to.
    #[must_use]
    pub fn offset(&self) -> usize {
        match *self {
            Self::Truncated { offset, .. }
            | Self::BadVersion { offset, .. }
            | Self::UnknownPacketType { offset, .. }
            | Self::BadLength { offset, .. }
            | Self::BadChecksum { offset, .. }
            | Self::TrailingBytes { offset, .. }
            | Self::BadLsType { offset, .. } => offset,
        }
    }

    #[cold]
    pub(crate) fn truncated(offset: usize, needed: usize, available: usize) -> Self {
        Self::Truncated { offset, needed, available }
    }

    #[cold]
    pub(crate) fn bad_length(offset: usize, length: usize, what: &'static str) -> Self {
        Self::BadLength { offset, length, what }
    }

    #[cold]
    pub(crate) fn trailing(offset: usize, count: usize) -> Self {
        Self::TrailingBytes { offset, count }
    }
}
