//! LSAs as the engine keeps them: `ospf-wire`'s [`Lsa`] (header, typed body
//! and the exact octets, so an LSA is flooded unchanged), with the few
//! engine-side helpers the codec has no reason to carry.

use std::net::Ipv4Addr;

pub use ospf_wire::v2::{
    AsExternalLsa, LsType, Lsa, LsaBody, LsaFields, LsaHeader, LsaKey, NetworkLsa, Options,
    RouterFlags, RouterLink, RouterLinkType, RouterLsa, SummaryLsa, LSA_HEADER_LEN,
};
pub use ospf_wire::LsSeqNum;

use crate::types::consts;

/// Whether LSAs of this type are flooded throughout the AS rather than one
/// area (RFC 2328 §12.1.3: AS-external-LSAs; RFC 5250: type 11).
#[must_use]
pub fn is_as_scope(ty: LsType) -> bool {
    ty == LsType::AS_EXTERNAL || ty == LsType::OPAQUE_AS
}

/// Builds an LSA from the engine's view of its header: the LS type comes
/// from the body; length and Fletcher checksum are computed by `ospf-wire`.
#[must_use]
pub fn build(age: u16, options: Options, key: LsaKey, seq: LsSeqNum, body: LsaBody) -> Lsa {
    debug_assert_eq!(key.ls_type, body.ls_type());
    Lsa::build(
        LsaFields {
            ls_age: age,
            options,
            link_state_id: key.link_state_id,
            advertising_router: key.advertising_router,
            ls_sequence_number: seq,
        },
        body,
    )
}

/// A router-LSA link with its TOS 0 metric only (RFC 2328 §16 uses TOS 0).
#[must_use]
pub fn link(link_type: RouterLinkType, id: u32, data: u32, metric: u16) -> RouterLink {
    RouterLink {
        link_id: Ipv4Addr::from(id),
        link_data: Ipv4Addr::from(data),
        link_type,
        metric,
        tos_metrics: Vec::new(),
    }
}

/// The key of an LSA from its parts, with the Link State ID as a number.
#[must_use]
pub fn key(ls_type: LsType, id: u32, adv: ospf_wire::RouterId) -> LsaKey {
    LsaKey { ls_type, link_state_id: Ipv4Addr::from(id), advertising_router: adv }
}

/// Engine-side views of an [`Lsa`].
pub trait LsaExt {
    /// The database key (LS type, Link State ID, Advertising Router).
    fn key(&self) -> LsaKey;

    /// The LS age as received or originated.
    fn age(&self) -> u16;

    /// Whether the contents differ in a way that requires a new routing
    /// table calculation (RFC 2328 §13.2: options, MaxAge-ness, length or
    /// body).
    fn content_differs(&self, other: &Lsa) -> bool;

    /// The destination (network address and mask) of a network, type 3
    /// summary, AS-external or NSSA LSA.
    fn prefix(&self) -> Option<(Ipv4Addr, u32)>;
}

impl LsaExt for Lsa {
    fn key(&self) -> LsaKey {
        self.header().key()
    }

    fn age(&self) -> u16 {
        self.header().ls_age
    }

    fn content_differs(&self, other: &Lsa) -> bool {
        let (a, b) = (self.header(), other.header());
        a.options != b.options
            || (a.ls_age >= consts::MAX_AGE) != (b.ls_age >= consts::MAX_AGE)
            || self.raw().get(LSA_HEADER_LEN..) != other.raw().get(LSA_HEADER_LEN..)
    }

    fn prefix(&self) -> Option<(Ipv4Addr, u32)> {
        let mask = match self.body() {
            LsaBody::Network(n) => n.network_mask,
            LsaBody::SummaryNetwork(s) => s.network_mask,
            LsaBody::AsExternal(e) | LsaBody::Nssa(e) => e.network_mask,
            _ => return None,
        };
        let mask = u32::from(mask);
        Some((Ipv4Addr::from(u32::from(self.header().link_state_id) & mask), mask))
    }
}

/// Converts a contiguous network mask to a prefix length, `None` when the
/// mask is not contiguous.
#[must_use]
pub fn mask_to_len(mask: u32) -> Option<u8> {
    let len = mask.leading_ones();
    (mask.checked_shl(len).unwrap_or(0) == 0).then_some(len as u8)
}

/// The mask of a prefix length (0..=32).
#[must_use]
pub fn len_to_mask(len: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(len.min(32))).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ospf_wire::RouterId;

    fn external(id: [u8; 4], mask: [u8; 4], metric: u32) -> Lsa {
        AsExternalLsa {
            network_mask: Ipv4Addr::from(mask),
            e_bit: true,
            tos0: 0,
            metric,
            forwarding_address: Ipv4Addr::UNSPECIFIED,
            external_route_tag: 0,
            tos_metrics: vec![],
        }
        .to_lsa(
            LsaFields {
                ls_age: 0,
                options: Options::E,
                link_state_id: Ipv4Addr::from(id),
                advertising_router: RouterId(1),
                ls_sequence_number: LsSeqNum::INITIAL,
            },
            false,
        )
    }

    #[test]
    fn prefix_masks_the_link_state_id() {
        let l = external([10, 244, 1, 7], [255, 255, 255, 0], 20);
        assert_eq!(l.prefix(), Some((Ipv4Addr::new(10, 244, 1, 0), 0xffff_ff00)));
        assert_eq!(l.key().ls_type, LsType::AS_EXTERNAL);
        assert!(is_as_scope(l.key().ls_type));
    }

    #[test]
    fn content_differs_ignores_age_below_max_age_but_not_the_body() {
        let a = external([10, 0, 0, 0], [255, 0, 0, 0], 20);
        assert!(!a.content_differs(&a.with_age(100)));
        assert!(a.content_differs(&a.with_age(consts::MAX_AGE)));
        assert!(a.content_differs(&external([10, 0, 0, 0], [255, 0, 0, 0], 30)));
    }

    #[test]
    fn masks_and_lengths() {
        assert_eq!(mask_to_len(0xffff_ff00), Some(24));
        assert_eq!(mask_to_len(0xff00_ff00), None);
        assert_eq!(len_to_mask(0), 0);
        assert_eq!(len_to_mask(32), u32::MAX);
    }
}
