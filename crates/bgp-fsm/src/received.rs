//! UPDATEs from the peer, with RFC 7606 applied.

use bgp_wire::attribute::{NextHop, PathAttribute};
use bgp_wire::nlri::Nlri;
use bgp_wire::update::Update;
use bgp_wire::{Action, AttributeIssue, Context, Family};
use std::net::IpAddr;

/// An UPDATE as the application should use it.
///
/// RFC 7606 §2 outcomes are already applied: under "treat-as-withdraw" every route of the
/// message is reported by [`Received::withdrawn`] and none by [`Received::announced`]; under
/// "attribute discard" the malformed attributes are absent from [`Received::attributes`].
/// (A "session reset" never reaches the application: the session sends the NOTIFICATION and
/// goes down instead; an "AFI/SAFI disable" is reported as [`crate::Event::FamilyDisabled`].)
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    update: Update,
    treat_as_withdraw: bool,
    attributes: Vec<PathAttribute>,
}

impl Received {
    /// Applies RFC 7606 to a decoded UPDATE; `ctx` is the receive context it was decoded with.
    pub fn new(update: Update, ctx: &Context) -> Received {
        let treat_as_withdraw = update.action() == Some(Action::TreatAsWithdraw);
        // The owned form leaves out the attributes reported as issues (attribute discard).
        let attributes = update.to_owned_update(ctx).attributes;
        Received { update, treat_as_withdraw, attributes }
    }

    /// The message as decoded, with its issues.
    pub fn update(&self) -> &Update {
        &self.update
    }

    /// RFC 7606 "treat-as-withdraw" applied: every route of the message is withdrawn.
    pub fn is_treat_as_withdraw(&self) -> bool {
        self.treat_as_withdraw
    }

    /// The malformed attributes found, with what RFC 7606 made of each.
    pub fn issues(&self) -> &[AttributeIssue] {
        self.update.issues()
    }

    /// Routes announced: the NLRI field and MP_REACH_NLRI; none under treat-as-withdraw.
    pub fn announced(&self) -> Vec<(Family, Nlri)> {
        if self.treat_as_withdraw {
            return Vec::new();
        }
        self.update.announced().collect()
    }

    /// Routes withdrawn: the Withdrawn Routes field and MP_UNREACH_NLRI, plus every announced
    /// route under treat-as-withdraw (RFC 7606 §2: the UPDATE "MUST be treated as though all
    /// contained routes had been withdrawn").
    pub fn withdrawn(&self) -> Vec<(Family, Nlri)> {
        let mut v: Vec<(Family, Nlri)> = self.update.withdrawals().collect();
        if self.treat_as_withdraw {
            v.extend(self.update.announced());
        }
        v
    }

    /// Path attributes usable for the announced routes (malformed ones discarded).
    pub fn attributes(&self) -> &[PathAttribute] {
        &self.attributes
    }

    /// The next hop of the routes of `family`: MP_REACH_NLRI's for its family (for IPv4
    /// unicast under extended next hop, RFC 8950, an IPv6 address), else the NEXT_HOP
    /// attribute for IPv4 unicast.
    pub fn next_hop(&self, family: Family) -> Option<NextHop> {
        if let Some(m) = self.update.mp_reach().filter(|m| m.family == family) {
            return Some(m.next_hop());
        }
        (family == Family::IPV4_UNICAST)
            .then(|| self.update.attributes().next_hop())
            .flatten()
            .map(NextHop::Ipv4)
    }

    /// The next hop of `family` as the address to forward to: the link-local half of a
    /// 32-octet IPv6 next hop (what FRR installs for unnumbered peers), else the address.
    pub fn forwarding_address(&self, family: Family) -> Option<IpAddr> {
        match self.next_hop(family)? {
            NextHop::Ipv4(a) => Some(IpAddr::V4(a)),
            NextHop::Ipv6(a) => Some(IpAddr::V6(a)),
            NextHop::Ipv6LinkLocal { link_local, .. } => Some(IpAddr::V6(link_local)),
            NextHop::Other(_) => None,
        }
    }
}
