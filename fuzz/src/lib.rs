//! Shared helpers for the fuzz targets.

use bgp_wire::{Context, Family, FamilySet};

/// A decode context chosen by one input octet, so every negotiated combination is exercised:
/// bit 0 4-octet AS, bit 1 extended message, bit 2 ADD-PATH IPv4, bit 3 ADD-PATH IPv6,
/// bit 4 extended next hop for IPv4.
pub fn context(b: u8) -> Context {
    let mut add_path = FamilySet::new();
    if b & 4 != 0 {
        add_path.insert(Family::IPV4_UNICAST);
    }
    if b & 8 != 0 {
        add_path.insert(Family::IPV6_UNICAST);
    }
    let mut extended_next_hop = FamilySet::new();
    if b & 16 != 0 {
        extended_next_hop.insert(Family::IPV4_UNICAST);
    }
    Context { four_octet_as: b & 1 != 0, extended_message: b & 2 != 0, add_path, extended_next_hop }
}

/// Splits the context octet off the input.
pub fn split(data: &[u8]) -> Option<(Context, bytes::Bytes)> {
    let (&first, rest) = data.split_first()?;
    Some((context(first), bytes::Bytes::copy_from_slice(rest)))
}
