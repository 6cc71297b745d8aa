//! Established: UPDATEs in (RFC 7606 applied) and out (RFC 8950 next hops).

use bgp_wire::attribute::{AttributeType, NextHop, PathAttribute};
use bgp_wire::nlri::Nlri;
use bgp_wire::update::builder::{self, Encoding, UpdateBuilder};
use bgp_wire::update::{OwnedUpdate, Update};
use bgp_wire::{Action as Rfc7606, Afi, Context, Family, Safi};
use bytes::{Bytes, BytesMut};
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;
use std::time::Instant;

use super::{CommandError, Session};
use crate::fsm_event::FsmEvent;
use crate::output::{DownReason, Event};
use crate::received::Received;

/// How a next hop made only of a link-local address fills the 32 octets of RFC 2545 §3.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LinkLocalStyle {
    /// The link-local address in both halves, as FRR sends.
    #[default]
    BothHalves,
    /// `::` then the link-local address, as BIRD sends.
    UnspecifiedGlobal,
}

/// The IPv6 next hop to send with routes over an IPv6 session, from our global and/or
/// link-local address: 16 octets for a global address alone, 32 octets (RFC 2545 §3) when a
/// link-local address is given.
pub fn ipv6_next_hop(
    global: Option<Ipv6Addr>,
    link_local: Option<Ipv6Addr>,
    style: LinkLocalStyle,
) -> Option<NextHop> {
    match (global, link_local) {
        (Some(g), Some(l)) => Some(NextHop::Ipv6LinkLocal { global: g, link_local: l }),
        (Some(g), None) => Some(NextHop::Ipv6(g)),
        (None, Some(l)) => Some(NextHop::Ipv6LinkLocal {
            global: match style {
                LinkLocalStyle::BothHalves => l,
                LinkLocalStyle::UnspecifiedGlobal => Ipv6Addr::UNSPECIFIED,
            },
            link_local: l,
        }),
        (None, None) => None,
    }
}

fn is_ipv6(nh: &NextHop) -> bool {
    matches!(nh, NextHop::Ipv6(_) | NextHop::Ipv6LinkLocal { .. })
}

impl Session {
    /// Event 27 UpdateMsg / Event 28 UpdateMsgErr.
    pub(super) fn handle_update(
        &mut self,
        now: Instant,
        id: super::ConnId,
        msg: Bytes,
        ctx: Arc<Context>,
    ) {
        // RFC 4271 §8.2.2 (Established, Event 27): "restarts its HoldTimer".
        self.restart_hold(now, id);
        let update = match Update::decode(msg, &ctx) {
            Ok(u) => u,
            Err(e) => {
                self.fsm_event(FsmEvent::UpdateMsgErr);
                self.protocol_error(now, id, DownReason::UpdateError(e.clone()), &e);
                return;
            }
        };
        self.fsm_event(FsmEvent::UpdateMsg);
        match update.action() {
            Some(Rfc7606::SessionReset) => {
                self.fsm_event(FsmEvent::UpdateMsgErr);
                let issue = update.issues().iter().find(|i| i.action == Rfc7606::SessionReset);
                if let Some(e) = issue.map(|i| i.error.clone()) {
                    self.protocol_error(now, id, DownReason::UpdateError(e.clone()), &e);
                }
            }
            Some(Rfc7606::AfiSafiDisable) => match disabled_family(&update) {
                // RFC 4760 §7: the speaker "MUST delete all the BGP routes received from that
                // neighbor whose AFI/SAFI is the same" (the application's job, on
                // `Event::FamilyDisabled`) and "SHOULD ignore all the subsequent routes with
                // that AFI/SAFI received over that session" (done here). The rest of the
                // message, the classic IPv4 withdrawals and NLRI, is well-formed and goes on.
                Some(family) => {
                    if let Some(c) = self.conn_mut(id) {
                        if let Some(n) = c.negotiated.as_mut() {
                            n.disable_family(family);
                            c.families = Arc::from(n.families.as_slice());
                        }
                    }
                    self.events.push_back(Event::FamilyDisabled(family));
                    self.deliver(id, update, ctx, true);
                }
                None => {
                    let issue =
                        update.issues().iter().find(|i| i.action == Rfc7606::AfiSafiDisable);
                    if let Some(e) = issue.map(|i| i.error.clone()) {
                        self.protocol_error(now, id, DownReason::UpdateError(e.clone()), &e);
                    }
                }
            },
            _ => self.deliver(id, update, ctx, false),
        }
    }

    /// Reports an UPDATE without the routes of families not in use, which are counted.
    /// An UPDATE whose routes were all dropped is not reported; one without routes
    /// (End-of-RIB, attributes alone) is, unless it came with an AFI/SAFI disable.
    fn deliver(&mut self, id: super::ConnId, update: Update, ctx: Arc<Context>, disabled: bool) {
        let Some(families) = self.conn(id).map(|c| Arc::clone(&c.families)) else {
            return;
        };
        let usable = |f: Family| families.contains(&f);
        let mut dropped = 0usize;
        if !usable(Family::IPV4_UNICAST) {
            dropped += update.withdrawn().count() + update.nlri().count();
        }
        if let Some(m) = update.mp_reach().filter(|m| !usable(m.family)) {
            dropped += m.routes().count();
        }
        if let Some(m) = update.mp_unreach().filter(|m| !usable(m.family)) {
            dropped += m.routes().count();
        }
        self.dropped_routes = self.dropped_routes.saturating_add(dropped as u64);
        let had_routes =
            update.withdrawals().next().is_some() || update.announced().next().is_some();
        let external = self.conn(id).and_then(|c| c.negotiated.as_ref()).map(|n| !n.internal);
        // RFC 7606 §7.5: "if the LOCAL_PREF attribute is received from an external neighbor,
        // it SHALL be discarded using the approach of 'attribute discard'" (the codec, which
        // cannot tell, asks for treat-as-withdraw when its length is wrong).
        let codec = update.issues().iter().any(|i| {
            i.action == Rfc7606::TreatAsWithdraw
                && !(external == Some(true) && i.type_code == AttributeType::LOCAL_PREF.0)
        });
        let fault = self.session_fault(&update, id);
        let received =
            Received::new(update, ctx).with_families(families).treating_as_withdraw(codec || fault);
        let kept = received.withdrawn().next().is_some() || received.announced().next().is_some();
        if kept || (!had_routes && !disabled) {
            self.events.push_back(Event::Update(Box::new(received)));
        }
    }

    /// The checks of RFC 4271 §6.3 that need the session's facts, which the codec lacks:
    /// whether the routes of `u` must be withdrawn (RFC 7606 §2 "treat-as-withdraw", which
    /// replaces the NOTIFICATION of RFC 4271).
    fn session_fault(&self, u: &Update, id: super::ConnId) -> bool {
        let local = self.established_addrs().and_then(|(l, _)| l).map(|a| a.ip());
        let attrs = u.attributes();
        let neg = self.conn(id).and_then(|c| c.negotiated.as_ref());
        if let Some(n) = neg.filter(|n| !n.internal) {
            if u.announced().next().is_some() {
                // §6.3 on AS_PATH from an external peer, with RFC 7606 §7.2's
                // treat-as-withdraw for the NOTIFICATION: an empty path has no neighbouring
                // AS at all, and with the check on the leftmost AS must be the peer's.
                let first =
                    attrs.as_path_ref().map(|p| (p.segments().next().is_none(), p.first_as()));
                match first {
                    Some((true, _)) => return true,
                    Some((false, first))
                        if self.cfg.enforce_first_as && first != Some(n.peer_as) =>
                    {
                        return true
                    }
                    _ => {}
                }
            }
        }
        if u.nlri().next().is_some() {
            if let Some(nh) = attrs.next_hop() {
                // §6.3: "Syntactic correctness means that the NEXT_HOP attribute represents
                // a valid IP host address": not 0.0.0.0, multicast, class E or broadcast.
                if nh.is_unspecified() || nh.is_multicast() || nh.octets()[0] >= 240 {
                    return true;
                }
                // §6.3: a NEXT_HOP that is "the IP address of the receiving speaker" is
                // semantically incorrect and "the route SHOULD be ignored".
                if local == Some(IpAddr::V4(nh)) {
                    return true;
                }
            }
        }
        false
    }

    fn tx_context(&self) -> Result<Context, CommandError> {
        self.negotiated().map(|n| n.tx.clone()).ok_or(CommandError::NotEstablished)
    }

    fn send_encoded(&mut self, now: Instant, buf: BytesMut) -> Result<(), CommandError> {
        if buf.is_empty() {
            return Ok(());
        }
        self.send_update_bytes(now, buf.freeze())
    }

    /// Sends an UPDATE built by the application, encoded with the negotiated send context.
    /// Attributes are sent as given: prepending our AS for eBGP is the caller's job.
    pub fn send_update(&mut self, now: Instant, update: &OwnedUpdate) -> Result<(), CommandError> {
        let ctx = self.tx_context()?;
        let mut buf = BytesMut::new();
        update.encode(&ctx, &mut buf);
        self.send_encoded(now, buf)
    }

    /// Announces `routes` of `family` with `next_hop` and `attributes`, packed into as few
    /// UPDATEs as fit; returns how many were sent.
    ///
    /// IPv4 unicast with an IPv4 next hop uses the classic NLRI field. Any other family, and
    /// IPv4 with an IPv6 next hop (RFC 8950 §4, only when the peer advertised extended next
    /// hop for the family), goes in MP_REACH_NLRI.
    pub fn announce(
        &mut self,
        now: Instant,
        family: Family,
        next_hop: &NextHop,
        routes: &[Nlri],
        attributes: &[PathAttribute],
    ) -> Result<usize, CommandError> {
        let n = self.negotiated().ok_or(CommandError::NotEstablished)?;
        if !n.has_family(family) {
            return Err(CommandError::FamilyNotNegotiated(family));
        }
        if family.afi == Afi::IPV4 && is_ipv6(next_hop) && !n.tx.extended_next_hop.contains(family)
        {
            return Err(CommandError::ExtendedNextHopNotNegotiated(family));
        }
        let ctx = n.tx.clone();
        let mut buf = BytesMut::new();
        let count = UpdateBuilder::new(&ctx, attributes).announce(
            family,
            next_hop,
            routes,
            Encoding::Classic,
            &mut buf,
        );
        self.send_encoded(now, buf)?;
        Ok(count)
    }

    /// Withdraws `routes` of `family`; returns how many UPDATEs were sent.
    pub fn withdraw(
        &mut self,
        now: Instant,
        family: Family,
        routes: &[Nlri],
    ) -> Result<usize, CommandError> {
        let n = self.negotiated().ok_or(CommandError::NotEstablished)?;
        if !n.has_family(family) {
            return Err(CommandError::FamilyNotNegotiated(family));
        }
        let ctx = n.tx.clone();
        let mut buf = BytesMut::new();
        let count = builder::withdraw(&ctx, family, routes, Encoding::Classic, &mut buf);
        self.send_encoded(now, buf)?;
        Ok(count)
    }

    /// Sends the End-of-RIB marker of `family` (RFC 4724 §2).
    pub fn end_of_rib(&mut self, now: Instant, family: Family) -> Result<(), CommandError> {
        let ctx = self.tx_context()?;
        let mut buf = BytesMut::new();
        builder::end_of_rib(&ctx, family, &mut buf);
        self.send_encoded(now, buf)
    }

    /// The next hop to announce `family` with, from our end of the Established connection
    /// (plus `global`, an IPv6 global address of ours to add when the session runs over a
    /// link-local address): the local IPv4 address for IPv4 unicast over IPv4; over IPv6, the
    /// RFC 2545 / RFC 8950 next hop of [`ipv6_next_hop`] — for IPv4 unicast only when extended
    /// next hop was negotiated.
    pub fn local_next_hop(
        &self,
        family: Family,
        global: Option<Ipv6Addr>,
        style: LinkLocalStyle,
    ) -> Option<NextHop> {
        let (local, _) = self.established_addrs()?;
        let n = self.negotiated()?;
        match local?.ip() {
            IpAddr::V4(a) if family.afi == Afi::IPV4 => Some(NextHop::Ipv4(a)),
            IpAddr::V4(_) => None,
            IpAddr::V6(a) => {
                if family.afi == Afi::IPV4 && !n.tx.extended_next_hop.contains(family) {
                    return None;
                }
                if crate::ra::is_link_local(a) {
                    ipv6_next_hop(global, Some(a), style)
                } else {
                    ipv6_next_hop(Some(a), None, style)
                }
            }
        }
    }
}

/// The family of the malformed MP attribute behind an "AFI/SAFI disable".
fn disabled_family(u: &Update) -> Option<Family> {
    let issue = u.issues().iter().find(|i| i.action == Rfc7606::AfiSafiDisable)?;
    let raw = u.attributes().iter().find(|a| a.type_code.0 == issue.type_code)?;
    match raw.value {
        [a0, a1, s, ..] => Some(Family::new(Afi(u16::from_be_bytes([*a0, *a1])), Safi(*s))),
        _ => None,
    }
}
