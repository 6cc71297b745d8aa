//! What was negotiated, as the codec needs to know it.

use crate::types::{Family, FamilySet};

/// How the messages of one direction of one session are encoded.
///
/// A session has two: one for what it receives (decode) and one for what it sends (encode),
/// because ADD-PATH is negotiated per direction (RFC 7911 §4). A message encoded with a context
/// decodes with the same context.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context {
    /// Both speakers advertised the 4-octet AS capability (RFC 6793): AS_PATH and AGGREGATOR
    /// carry 4-octet AS numbers.
    pub four_octet_as: bool,
    /// Both speakers advertised extended messages (RFC 8654): up to 65535 octets.
    pub extended_message: bool,
    /// Families whose NLRI carry a 4-octet path identifier in this direction (RFC 7911).
    pub add_path: FamilySet,
    /// Families that may carry an IPv6 next hop for IPv4 NLRI (RFC 8950).
    pub extended_next_hop: FamilySet,
}

impl Context {
    /// A context for a session that negotiated nothing: 2-octet AS, 4096-octet messages.
    pub fn legacy() -> Context {
        Context::default()
    }

    /// What modern speakers (FRR, BIRD, GoBGP) negotiate by default: 4-octet AS only.
    pub fn modern() -> Context {
        Context { four_octet_as: true, ..Context::default() }
    }

    /// The largest message this context allows (RFC 4271 §4.1, RFC 8654 §3).
    pub fn max_message_len(&self) -> usize {
        if self.extended_message {
            crate::header::EXTENDED_MAX_LEN
        } else {
            crate::header::MAX_LEN
        }
    }

    /// Whether NLRI of this family carry path identifiers.
    pub fn has_path_id(&self, family: Family) -> bool {
        self.add_path.contains(family)
    }
}
