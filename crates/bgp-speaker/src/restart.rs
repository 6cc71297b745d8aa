//! Graceful restart as a helper, family by family: the routes of a neighbour that restarts
//! are kept stale (RFC 4724 §4.2), then long-lived stale and least preferred (RFC 9494
//! §4.2), until it is back and sends End-of-RIB or a timer ends; where both sides set the
//! N bit, a NOTIFICATION other than a Hard Reset is a restart too (RFC 8538 §4), and the
//! teardowns that must flush are sent as Hard Resets (§3, §5.1).

use std::time::{Duration, Instant};

use bgp_fsm::{Down, DownReason, Negotiated};
use bgp_wire::capability::GracefulRestart;
use bgp_wire::codes::cease;
use bgp_wire::notification::Notification;
use bgp_wire::{ErrorCode, Family};
use bytes::Bytes;

use crate::config::GracefulRestartConfig;
use crate::event::Event;
use crate::speaker::{NeighborId, Speaker};

/// Where a family's stale routes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// RFC 4724: kept, preference unchanged, until the Restart Time (down) or our
    /// stale-path time (back, waiting for End-of-RIB).
    Restart,
    /// RFC 9494: long-lived stale, with LLGR_STALE, least preferred, until the Long-lived
    /// Stale Time.
    LongLived,
    /// The Long-lived Stale Time ended before End-of-RIB: the stale routes are gone, and a
    /// reset before End-of-RIB removes the family's routes at once.
    Expired,
}

/// A family of a neighbour whose routes are kept stale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StaleFamily {
    pub family: Family,
    pub phase: Phase,
    /// When the phase ends.
    pub until: Option<Instant>,
    /// The Long-lived Stale Time that follows the Restart Time (zero: none).
    pub long_lived: Duration,
    /// The session is back; End-of-RIB of the family ends it.
    pub syncing: bool,
}

/// The graceful restart capabilities a neighbour offers, from the speaker's settings: the
/// N bit (RFC 8538 §2) as configured, the speaker's LLGR capability when the neighbour
/// has none of its own, and a Graceful Restart capability with a Restart Time of 0 and no
/// family beside an LLGR one that would be alone (RFC 9494 §4.1, §4.5).
pub(crate) fn offer(gr: &GracefulRestartConfig, session: &mut bgp_fsm::Config) {
    if session.long_lived_graceful_restart.is_none() {
        session.long_lived_graceful_restart.clone_from(&gr.long_lived);
    }
    if session.long_lived_graceful_restart.is_some() && session.graceful_restart.is_none() {
        session.graceful_restart =
            Some(GracefulRestart { restart_flags: 0, restart_time: 0, families: Vec::new() });
    }
    if let Some(cap) = session.graceful_restart.as_mut() {
        if gr.notification {
            cap.restart_flags |= GracefulRestart::NOTIFICATION;
        } else {
            cap.restart_flags &= !GracefulRestart::NOTIFICATION;
        }
    }
}

/// RFC 4724 §4.2 (and RFC 8538 §4): whether the routes of a neighbour whose session went
/// down are kept as stale: it advertised Graceful Restart, and the session did not end by
/// a NOTIFICATION (sent or received), unless both sides support graceful notification (the
/// N bit) and the NOTIFICATION was not a Hard Reset.
pub(crate) fn helper_applies(neg: Option<&Negotiated>, ours_n_bit: bool, down: &Down) -> bool {
    let Some(gr) = neg.and_then(|n| n.graceful_restart.as_ref()) else { return false };
    match &down.notification {
        // The connection was lost: a restart. A session we stopped before it sent an OPEN
        // had nothing to keep.
        None => down.reason != DownReason::Stopped,
        // RFC 8538 §4: "When a BGP speaker sends or receives a NOTIFICATION message other
        // than Hard Reset [with the N bit exchanged], it MUST follow the rules for the
        // Receiving Speaker"; a Hard Reset ends the session as RFC 4271 does.
        Some(n) => {
            ours_n_bit
                && gr.graceful_notification()
                && !(n.code == ErrorCode::CEASE && n.subcode == cease::HARD_RESET)
        }
    }
}

/// RFC 9494 §4.2: "If the Graceful Restart Capability that was received does not list all
/// AFI/SAFI supported by the session, then for those non-listed AFI/SAFI the GR 'Restart
/// Time' shall be deemed zero. Similarly, if the received LLGR Capability does not list
/// all AFI/SAFI supported by the session, then for those non-listed AFI/SAFI the
/// 'Long-lived Stale Time' shall be deemed zero." The long-lived time also needs our own
/// capability (§4.3: the procedures are those of a speaker "that has advertised" it).
pub(crate) fn stale_times(neg: &Negotiated, offered_llgr: bool, family: Family) -> (u32, u32) {
    let restart = neg
        .graceful_restart
        .as_ref()
        .filter(|g| g.families.iter().any(|f| f.family == family))
        .map_or(0, |g| u32::from(g.restart_time));
    let long_lived = neg
        .long_lived_graceful_restart
        .iter()
        .flatten()
        .find(|f| f.family == family && offered_llgr)
        .map_or(0, |f| f.stale_time);
    (restart, long_lived)
}

/// RFC 4724 §4.2, once the session is back: "If the F bit for an address family is not set
/// in the newly received Graceful Restart Capability, or if the address family is not
/// included in the newly received Graceful Restart Capability ... the Receiving Speaker MUST
/// immediately remove all the stale routes from the peer that it is retaining for that
/// address family." The LLGR capability's F bit counts the same (RFC 9494 §4.2: "Once the
/// session is re-established, the procedures specified in [RFC4724] apply").
fn forwarding_kept(neg: &Negotiated, family: Family) -> bool {
    const F: u8 = 0x80;
    let gr = neg.graceful_restart.iter().flat_map(|g| &g.families);
    let llgr = neg.long_lived_graceful_restart.iter().flatten();
    neg.families.contains(&family)
        && (gr.filter(|f| f.family == family).any(|f| f.flags & F != 0)
            || llgr.filter(|f| f.family == family).any(|f| f.flags & F != 0))
}

fn secs(s: u32) -> Duration {
    Duration::from_secs(u64::from(s))
}

fn is_v6(family: Family) -> bool {
    family == Family::IPV6_UNICAST
}

/// RFC 8538 §5.1: the Cease subcodes whose NOTIFICATION goes as a Hard Reset where the N bit
/// was exchanged: Maximum Number of Prefixes Reached, Administrative Shutdown, Peer
/// De-configured. Other Cease subcodes (Administrative Reset, Other Configuration
/// Change, Connection Rejected, ...) are left as they are: the neighbour keeps our routes.
const HARD_RESET_SUBCODES: [u8; 4] = [
    cease::MAXIMUM_PREFIXES_REACHED,
    cease::ADMINISTRATIVE_SHUTDOWN,
    cease::PEER_DECONFIGURED,
    // BFD Down (RFC 9384): the forwarding path failed, so routes through it must not be
    // kept stale on either side.
    cease::BFD_DOWN,
];

impl Speaker {
    /// Restarts a neighbour's session (FRR's `clear bgp NEIGHBOR`): Cease, Administrative
    /// Reset, then the session starts again. Where both sides set the N bit, each keeps the
    /// other's routes stale until End-of-RIB (RFC 8538 §4), so forwarding goes on.
    pub fn reset_neighbor(&mut self, now: Instant, id: NeighborId) {
        let bye = self.cease(id, cease::ADMINISTRATIVE_RESET, Bytes::new());
        let Some(n) = self.neighbor_mut(id) else { return };
        n.session.stop_with(now, bye);
        n.session.start(now);
        self.process(now);
    }

    /// BFD reports the path to neighbour `id` down: a neighbour configured with
    /// [`NeighborConfig::bfd`](crate::NeighborConfig::bfd) that is in session gets Cease
    /// "BFD Down" (RFC 9384; a Hard Reset where both sides set the N bit, so that neither
    /// keeps the other's routes), its routes are withdrawn, and the session starts again
    /// (it comes back when the path does). Returns whether a session was torn down.
    pub fn bfd_down(&mut self, now: Instant, id: NeighborId) -> bool {
        let up = self.neighbor(id).is_some_and(|n| n.cfg.bfd && n.up_since.is_some());
        if !up {
            return false;
        }
        let bye = self.cease(id, cease::BFD_DOWN, Bytes::new());
        let Some(n) = self.neighbor_mut(id) else { return false };
        n.session.stop_with(now, bye);
        n.session.start(now);
        self.process(now);
        true
    }

    /// The Cease we send when we end a neighbour's session: a Hard Reset carrying it
    /// (RFC 8538 §3) where both sides set the N bit and the subcode must flush our routes
    /// at the neighbour; the Cease itself otherwise ("A BGP speaker SHOULD NOT send a Hard
    /// Reset to a peer from which it has not received the 'N' bit").
    pub(crate) fn cease(&self, id: NeighborId, subcode: u8, data: Bytes) -> Notification {
        let inner = Notification::new(ErrorCode::CEASE, subcode, data);
        let Some(n) = self.neighbor(id) else { return inner };
        let ours =
            n.cfg.session.graceful_restart.as_ref().is_some_and(|g| g.graceful_notification());
        let theirs = n
            .session
            .negotiated()
            .and_then(|neg| neg.graceful_restart.as_ref())
            .is_some_and(GracefulRestart::graceful_notification);
        if ours && theirs && HARD_RESET_SUBCODES.contains(&subcode) {
            Notification::hard_reset(&inner)
        } else {
            inner
        }
    }

    /// The session of `id` went down: its routes are kept stale, family by family, or
    /// withdrawn. Whether any are kept. A session that ends before it was Established
    /// changes nothing.
    pub(crate) fn helper_down(&mut self, now: Instant, id: NeighborId, down: &Down) -> bool {
        let Some(n) = self.neighbor_mut(id) else { return false };
        if n.up_since.is_none() {
            // It never came back (an OPEN refused, a connection lost before
            // Established): RFC 4724 §4.2, the timers run on until "the session ... gets
            // re-established"; nothing else to do.
            return !n.stale.is_empty();
        }
        let peer = n.rib_peer;
        let previous = std::mem::take(&mut n.stale);
        let ours = n.cfg.session.graceful_restart.as_ref();
        let ours_n = ours.is_some_and(GracefulRestart::graceful_notification);
        let offered_llgr = n.cfg.session.long_lived_graceful_restart.is_some();
        let neg = n.negotiated.clone();
        let graceful =
            self.config().graceful_restart.helper && helper_applies(neg.as_ref(), ours_n, down);
        let Some(neg) = neg.filter(|_| graceful) else {
            self.rib.withdraw_peer(now, peer);
            return false;
        };
        // RFC 4724 §4.2: "the Receiving Speaker MUST retain the routes received from the
        // peer for all the address families that were previously received in the Graceful
        // Restart Capability and MUST mark them as stale routing information".
        self.rib.mark_stale(peer, false);
        let mut kept = Vec::new();
        let families = neg.families.iter().copied();
        for family in families.filter(|f| *f == Family::IPV4_UNICAST || is_v6(*f)) {
            match previous.iter().find(|s| s.family == family) {
                // RFC 9494 §4.2: "in the case of consecutive restarts, the previously marked
                // stale routes MUST NOT be deleted before the timer for the 'Long-lived Stale
                // Time' expires"; the timer "MUST NOT be updated ... until the peer has
                // established and synchronized a new session".
                Some(s) if s.phase == Phase::LongLived => {
                    self.enter_long_lived(id, family);
                    kept.push(StaleFamily { syncing: false, ..*s });
                    continue;
                }
                // "If the session subsequently resets prior to becoming synchronized, any
                // remaining routes (for the AFI/SAFI whose LLST timer expired) MUST be
                // removed immediately."
                Some(s) if s.phase == Phase::Expired => {
                    self.rib.withdraw_peer_family(peer, is_v6(family));
                    continue;
                }
                _ => {}
            }
            let (restart, long_lived) = stale_times(&neg, offered_llgr, family);
            if restart == 0 && long_lived == 0 {
                self.rib.withdraw_peer_family(peer, is_v6(family));
                continue;
            }
            let mut s = StaleFamily {
                family,
                phase: Phase::Restart,
                until: Some(now + secs(restart)),
                long_lived: secs(long_lived),
                syncing: false,
            };
            if restart == 0 {
                // "if the 'Restart Time' is zero and the 'Long-lived Stale Time' is nonzero,
                // only the procedures particular to LLGR would apply."
                self.enter_long_lived(id, family);
                s.phase = Phase::LongLived;
                s.until = Some(now + s.long_lived);
            }
            kept.push(s);
        }
        let any = !kept.is_empty();
        if let Some(n) = self.neighbor_mut(id) {
            n.stale = kept;
        }
        any
    }

    /// RFC 9494 §4.2, when the Restart Time ends (or at once with none): routes with
    /// NO_LLGR go, the others get LLGR_STALE and become the least preferred.
    fn enter_long_lived(&mut self, id: NeighborId, family: Family) {
        let Some(peer) = self.neighbor(id).map(|n| n.rib_peer) else { return };
        let r = self.rib.mark_long_lived_stale(peer, is_v6(family));
        self.event(Event::LongLivedStale {
            neighbor: id,
            family,
            kept: r.marked,
            removed: r.removed,
        });
    }

    /// The session is back: each family's stale routes wait for its End-of-RIB (at most our
    /// stale-path time while they are only stale; the Long-lived Stale Time runs on,
    /// RFC 9494 §4.2: "the timer continues to run once the session has re-established"),
    /// unless the neighbour no longer keeps its forwarding state for it.
    pub(crate) fn helper_up(&mut self, now: Instant, id: NeighborId, neg: &Negotiated) {
        let stale_time = self.config().graceful_restart.stale_time;
        let Some(n) = self.neighbor_mut(id) else { return };
        let peer = n.rib_peer;
        let mut gone = Vec::new();
        for s in &mut n.stale {
            if !forwarding_kept(neg, s.family) {
                gone.push(s.family);
                continue;
            }
            s.syncing = true;
            if s.phase == Phase::Restart {
                s.until = Some(now + stale_time);
            }
        }
        n.stale.retain(|s| !gone.contains(&s.family));
        for family in gone {
            self.rib.sweep_stale_family(peer, is_v6(family));
        }
    }

    /// End-of-RIB of a family: RFC 4724 §4.2 "Once the End-of-RIB marker for an address
    /// family is received from the peer, it MUST immediately remove any routes from the peer
    /// that are still marked as stale for that address family." The family is synchronised
    /// (RFC 9494 §4.2).
    pub(crate) fn helper_end_of_rib(&mut self, id: NeighborId, family: Family) {
        let Some(n) = self.neighbor_mut(id) else { return };
        if !n.stale.iter().any(|s| s.family == family) {
            return;
        }
        n.stale.retain(|s| s.family != family);
        let peer = n.rib_peer;
        self.rib.sweep_stale_family(peer, is_v6(family));
    }

    /// The families' timers that are due: the Restart Time ends in long-lived stale or in
    /// removal, our stale-path time and the Long-lived Stale Time in removal.
    pub(crate) fn helper_timeout(&mut self, now: Instant, id: NeighborId) {
        let Some(n) = self.neighbor(id) else { return };
        let peer = n.rib_peer;
        let due: Vec<StaleFamily> =
            n.stale.iter().filter(|s| s.until.is_some_and(|t| t <= now)).copied().collect();
        for s in due {
            let next = match s.phase {
                // RFC 9494 §4.2: the two periods "would be applied serially -- first those
                // of GR, then those of LLGR".
                Phase::Restart if !s.syncing && !s.long_lived.is_zero() => {
                    self.enter_long_lived(id, s.family);
                    Some(StaleFamily {
                        phase: Phase::LongLived,
                        until: Some(now + s.long_lived),
                        ..s
                    })
                }
                // RFC 4724 §4.2: "If the session does not get re-established within the
                // 'Restart Time' ... the Receiving Speaker MUST delete all the stale routes";
                // or the stale-path time passed without End-of-RIB.
                Phase::Restart => {
                    self.rib.sweep_stale_family(peer, is_v6(s.family));
                    None
                }
                // RFC 9494 §4.2: "If the timer expires during synchronization with the
                // peer, any stale routes that the peer has not refreshed, are removed."
                Phase::LongLived => {
                    self.rib.sweep_stale_family(peer, is_v6(s.family));
                    s.syncing.then_some(StaleFamily { phase: Phase::Expired, until: None, ..s })
                }
                Phase::Expired => Some(s),
            };
            if let Some(n) = self.neighbor_mut(id) {
                n.stale.retain(|x| x.family != s.family);
                n.stale.extend(next);
            }
        }
    }
}

#[cfg(test)]
mod tests;
