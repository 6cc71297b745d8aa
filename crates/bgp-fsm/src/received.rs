//! UPDATEs from the peer, with RFC 7606 applied.

use bgp_wire::attribute::{NextHop, PathAttribute};
use bgp_wire::nlri::Nlri;
use bgp_wire::update::Update;
use bgp_wire::{Action, AttributeIssue, Context, Family};
use std::net::IpAddr;
use std::sync::Arc;

/// An UPDATE as the application should use it.
///
/// It is the decoded message, nothing more: [`Received::update`] shares the octets read from
/// the connection (no copy was made between the socket and here), and routes and attributes
/// are decoded when asked for. [`Received::context`] is the receive context the message was
/// decoded with: hand both to whatever reads the message further (a routing table), rather
/// than [`crate::Session::negotiated`], which is gone once the session is down and may have
/// changed since.
///
/// RFC 7606 §2 outcomes are already applied: under "treat-as-withdraw" every route of the
/// message is reported by [`Received::withdrawn`] and none by [`Received::announced`]; under
/// "attribute discard" the malformed attributes are absent from
/// [`Received::owned_attributes`] (the raw [`Update::attributes`] still hold them, flagged in
/// [`Received::issues`]). (A "session reset" never reaches the application: the session sends
/// the NOTIFICATION and goes down instead; an "AFI/SAFI disable" is reported as
/// [`crate::Event::FamilyDisabled`], and the well-formed rest of that UPDATE, the classic
/// IPv4 fields, is reported as usual.)
///
/// A message from a session carries the families the session may use
/// ([`Received::with_families`]): routes of any other family, not negotiated or disabled
/// since, are left out of [`Received::announced`] and [`Received::withdrawn`] (the session
/// counts them, [`crate::Session::dropped_routes`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    update: Update,
    ctx: Arc<Context>,
    treat_as_withdraw: bool,
    families: Option<Arc<[Family]>>,
}

impl Received {
    /// Applies RFC 7606 to an UPDATE decoded with the receive context `ctx`.
    pub fn new(update: Update, ctx: impl Into<Arc<Context>>) -> Received {
        // Any treat-as-withdraw issue, even beside a harsher AFI/SAFI disable whose
        // family is dropped: the classic routes left are withdrawn too.
        let treat_as_withdraw = update.issues().iter().any(|i| i.action == Action::TreatAsWithdraw);
        Received { update, ctx: ctx.into(), treat_as_withdraw, families: None }
    }

    /// Sets whether every route of the message is withdrawn (RFC 7606 §2
    /// "treat-as-withdraw"), as the session judged the codec's findings and its own.
    pub(crate) fn treating_as_withdraw(mut self, yes: bool) -> Received {
        self.treat_as_withdraw = yes;
        self
    }

    /// Restricts the routes reported to these families (those negotiated and not disabled);
    /// without it every family is.
    pub fn with_families(mut self, families: Arc<[Family]>) -> Received {
        self.families = Some(families);
        self
    }

    /// Whether routes of `family` are reported.
    pub fn is_usable(&self, family: Family) -> bool {
        self.families.as_ref().is_none_or(|f| f.contains(&family))
    }

    /// The message as decoded, with its issues; [`Update::as_bytes`] are the octets read.
    pub fn update(&self) -> &Update {
        &self.update
    }

    /// The receive context the message was decoded with (the session's negotiated
    /// [`crate::Negotiated::rx`] when it arrived): what reading its attributes and routes
    /// further needs.
    pub fn context(&self) -> &Context {
        &self.ctx
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
    /// Decoded as the iterator goes; nothing is allocated.
    pub fn announced(&self) -> impl Iterator<Item = (Family, Nlri)> + '_ {
        (!self.treat_as_withdraw)
            .then(|| self.update.announced())
            .into_iter()
            .flatten()
            .filter(|(f, _)| self.is_usable(*f))
    }

    /// Routes withdrawn: the Withdrawn Routes field and MP_UNREACH_NLRI, plus every announced
    /// route under treat-as-withdraw (RFC 7606 §2: the UPDATE "MUST be treated as though all
    /// contained routes had been withdrawn"). Decoded as the iterator goes.
    pub fn withdrawn(&self) -> impl Iterator<Item = (Family, Nlri)> + '_ {
        let as_withdrawn = self.treat_as_withdraw.then(|| self.update.announced());
        self.update
            .withdrawals()
            .chain(as_withdrawn.into_iter().flatten())
            .filter(|(f, _)| self.is_usable(*f))
    }

    /// The path attributes usable for the announced routes, decoded into owned values now
    /// (malformed ones discarded, RFC 7606 "attribute discard"). This allocates: a consumer
    /// that only reads a few attributes uses [`Update::attributes`] instead.
    pub fn owned_attributes(&self) -> Vec<PathAttribute> {
        self.update.attributes().to_owned_attributes(&self.ctx)
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

#[cfg(test)]
mod tests {
    use super::*;
    use bgp_wire::attribute::AttributeType;
    use bytes::Bytes;

    /// An UPDATE withdrawing 10.0.1.0/24 and announcing 10.0.2.0/24 with ORIGIN `origin`.
    fn update(origin: u8) -> Update {
        let mut m = vec![0xff; 16];
        m.extend_from_slice(&[0x00, 0x2d, 0x02]);
        m.extend_from_slice(&[0x00, 0x04, 0x18, 0x0a, 0x00, 0x01]);
        m.extend_from_slice(&[0x00, 0x0e, 0x40, 0x01, 0x01, origin, 0x40, 0x02, 0x00]);
        m.extend_from_slice(&[0x40, 0x03, 0x04, 0x0a, 0x00, 0x00, 0x02]);
        m.extend_from_slice(&[0x18, 0x0a, 0x00, 0x02]);
        Update::decode_message(Bytes::from(m), &Context::modern()).unwrap()
    }

    fn routes(it: impl Iterator<Item = (Family, Nlri)>) -> Vec<String> {
        it.map(|(f, n)| format!("{f} {}", n.prefix)).collect()
    }

    #[test]
    fn routes_as_sent() {
        let r = Received::new(update(0), Context::modern());
        assert!(!r.is_treat_as_withdraw());
        assert_eq!(routes(r.announced()), ["ipv4/unicast 10.0.2.0/24"]);
        assert_eq!(routes(r.withdrawn()), ["ipv4/unicast 10.0.1.0/24"]);
        assert_eq!(r.context(), &Context::modern());
        let types: Vec<AttributeType> =
            r.owned_attributes().iter().map(|a| a.type_code()).collect();
        assert_eq!(types, [AttributeType::ORIGIN, AttributeType::AS_PATH, AttributeType::NEXT_HOP]);
    }

    #[test]
    fn treat_as_withdraw_reports_every_route_withdrawn() {
        // ORIGIN 5: RFC 7606 §7.1 treat-as-withdraw.
        let r = Received::new(update(5), Context::modern());
        assert!(r.is_treat_as_withdraw());
        assert_eq!(r.announced().count(), 0);
        assert_eq!(routes(r.withdrawn()), ["ipv4/unicast 10.0.1.0/24", "ipv4/unicast 10.0.2.0/24"]);
        assert!(r.owned_attributes().iter().all(|a| a.type_code() != AttributeType::ORIGIN));
    }
}
