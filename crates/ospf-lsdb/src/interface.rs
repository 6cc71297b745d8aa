//! The interface state machine (RFC 2328 §9.1, §9.3) and the election of
//! the designated router and backup designated router (§9.4).

use std::fmt;

use crate::types::RouterId;

/// Interface states (RFC 2328 §9.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IfState {
    /// "This is the initial interface state."
    Down,
    /// The interface is looped back (unused here, kept for the RFC's list).
    Loopback,
    /// Waiting to learn the DR and BDR before electing (WaitTimer running).
    Waiting,
    /// A point-to-point interface that is up.
    PointToPoint,
    /// On a broadcast network, neither DR nor BDR.
    DrOther,
    /// The backup designated router.
    Backup,
    /// The designated router.
    Dr,
}

impl fmt::Display for IfState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IfState::Down => "Down",
            IfState::Loopback => "Loopback",
            IfState::Waiting => "Waiting",
            IfState::PointToPoint => "Point-to-point",
            IfState::DrOther => "DR Other",
            IfState::Backup => "Backup",
            IfState::Dr => "DR",
        })
    }
}

/// Interface events (RFC 2328 §9.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfEvent {
    /// InterfaceUp.
    InterfaceUp,
    /// WaitTimer: the Wait Timer fired.
    WaitTimer,
    /// BackupSeen: a BDR (or a DR without BDR) was seen while Waiting.
    BackupSeen,
    /// NeighborChange: bidirectional neighbours or their declarations changed.
    NeighborChange,
    /// InterfaceDown.
    InterfaceDown,
}

/// What an interface dropped or refused, by reason (each a count of
/// packets, or of neighbours for the limits).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct InterfaceCounters {
    /// Packets whose IP source is not on the interface's subnet, on a
    /// network where it must be (RFC 2328 §8.2).
    pub src_off_subnet: u64,
    /// Packets to an address that is neither the interface's nor
    /// AllSPFRouters nor AllDRouters (RFC 2328 §8.2).
    pub bad_destination: u64,
    /// Packets to AllDRouters while we are neither DR nor BDR.
    pub all_d_routers_not_dr: u64,
    /// Multicast packets with a TTL other than 1: they crossed a router.
    pub bad_ttl: u64,
    /// Packets carrying our own router ID.
    pub own_router_id: u64,
    /// Hellos from new routers refused because the interface had as many
    /// neighbours as it may keep.
    pub neighbor_limit: u64,
    /// LSA headers of Database Description packets not put on a link
    /// state request list because it had reached the database limit.
    pub requests_refused: u64,
    /// Exchanges that did not reach Full in time and started again.
    pub exchange_timeouts: u64,
    /// Packets whose cryptographic sequence number was lower than the last
    /// one seen from the same neighbour (RFC 2328 D.3): replays.
    pub replayed: u64,
    /// OSPFv3 packets of another Instance ID (RFC 5340 §4.2.2).
    pub wrong_instance: u64,
}

impl InterfaceCounters {
    /// Every counter with its name, in declaration order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, u64)> {
        [
            ("src_off_subnet", self.src_off_subnet),
            ("bad_destination", self.bad_destination),
            ("all_d_routers_not_dr", self.all_d_routers_not_dr),
            ("bad_ttl", self.bad_ttl),
            ("own_router_id", self.own_router_id),
            ("neighbor_limit", self.neighbor_limit),
            ("requests_refused", self.requests_refused),
            ("exchange_timeouts", self.exchange_timeouts),
            ("replayed", self.replayed),
            ("wrong_instance", self.wrong_instance),
        ]
        .into_iter()
    }
}

/// Instance-wide counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct InstanceCounters {
    /// LSAs refused because the databases held `Config::max_lsas`.
    pub lsas_refused: u64,
}

/// A router taking part in the election: the calculating router itself or
/// a neighbour in state 2-Way or higher (§9.4 step 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// Router ID.
    pub router_id: RouterId,
    /// Interface address (the DR/BDR fields of Hellos carry addresses).
    pub addr: u32,
    /// Router priority; 0 never takes part.
    pub priority: u8,
    /// The DR it declares (address, 0 for none).
    pub dr: u32,
    /// The BDR it declares.
    pub bdr: u32,
}

/// The result of an election: addresses of DR and BDR (0 for none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Elected {
    /// Designated router address.
    pub dr: u32,
    /// Backup designated router address.
    pub bdr: u32,
}

fn best<'a>(it: impl Iterator<Item = &'a Candidate>) -> Option<&'a Candidate> {
    // "the one having the highest Router Priority ... If there is a tie, the
    // one having the highest Router ID is chosen."
    it.max_by_key(|c| (c.priority, c.router_id))
}

fn elect_once(cands: &[Candidate]) -> Elected {
    let eligible: Vec<&Candidate> = cands.iter().filter(|c| c.priority > 0).collect();
    // Step 2: the BDR, among routers not declaring themselves DR; those
    // declaring themselves BDR first.
    let not_dr = eligible.iter().copied().filter(|c| c.dr != c.addr);
    let declared_bdr = best(not_dr.clone().filter(|c| c.bdr == c.addr));
    let bdr = declared_bdr.or_else(|| best(not_dr)).map_or(0, |c| c.addr);
    // Step 3: the DR among routers declaring themselves DR; else the new BDR.
    let dr = best(eligible.iter().copied().filter(|c| c.dr == c.addr)).map_or(bdr, |c| c.addr);
    Elected { dr, bdr }
}

/// Elects DR and BDR (§9.4). `me` is the index of the calculating router in
/// `cands`; its `dr`/`bdr` are the interface's current values.
#[must_use]
pub fn elect(cands: &[Candidate], me: usize) -> Elected {
    let Some(self_before) = cands.get(me).copied() else {
        return Elected::default();
    };
    let first = elect_once(cands);
    // Step 4: if the calculating router's role changed, repeat steps 2 and 3
    // with its new declarations.
    let was = (self_before.dr == self_before.addr, self_before.bdr == self_before.addr);
    let now = (first.dr == self_before.addr, first.bdr == self_before.addr);
    if was == now {
        return first;
    }
    let mut again = cands.to_vec();
    if let Some(c) = again.get_mut(me) {
        c.dr = first.dr;
        c.bdr = first.bdr;
    }
    elect_once(&again)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: u32, prio: u8, dr: u32, bdr: u32) -> Candidate {
        Candidate { router_id: RouterId(id), addr: 100 + id, priority: prio, dr, bdr }
    }

    #[test]
    fn fresh_segment_highest_priority_then_router_id() {
        // Nobody declares anything yet (after the Wait timer). Router 3
        // promotes itself from BDR to DR, then elects 2 as BDR (step 4).
        let cands = [c(3, 1, 0, 0), c(1, 1, 0, 0), c(2, 1, 0, 0)];
        assert_eq!(elect(&cands, 0), Elected { dr: 103, bdr: 102 });
        // Router 1 sees 3 as both until 3's Hello declares it DR.
        let cands = [c(1, 1, 0, 0), c(2, 1, 0, 0), c(3, 1, 0, 0)];
        assert_eq!(elect(&cands, 0), Elected { dr: 103, bdr: 103 });
        let cands = [c(1, 1, 0, 0), c(2, 1, 0, 0), c(3, 1, 103, 102)];
        assert_eq!(elect(&cands, 0), Elected { dr: 103, bdr: 102 });
        let cands = [c(1, 5, 0, 0), c(2, 1, 0, 0), c(3, 1, 0, 0)];
        assert_eq!(elect(&cands, 0), Elected { dr: 101, bdr: 103 });
    }

    #[test]
    fn an_existing_dr_is_not_preempted() {
        // 1 is DR and 2 BDR; 3 with a higher ID joins declaring nothing.
        let cands = [c(3, 1, 0, 0), c(1, 1, 101, 102), c(2, 1, 101, 102)];
        assert_eq!(elect(&cands, 0), Elected { dr: 101, bdr: 102 });
    }

    #[test]
    fn bdr_takes_over_when_dr_leaves() {
        let cands = [c(2, 1, 101, 102), c(3, 1, 101, 102)];
        let e = elect(&cands, 0);
        assert_eq!(e, Elected { dr: 102, bdr: 103 });
    }

    #[test]
    fn priority_zero_never_elected() {
        let cands = [c(1, 0, 0, 0), c(2, 0, 0, 0)];
        assert_eq!(elect(&cands, 0), Elected { dr: 0, bdr: 0 });
        // A bystander sees the only eligible router as both until it
        // declares itself DR; then it is DR alone.
        let cands = [c(9, 0, 0, 0), c(2, 1, 0, 0)];
        assert_eq!(elect(&cands, 0), Elected { dr: 102, bdr: 102 });
        let cands = [c(9, 0, 0, 0), c(2, 1, 102, 0)];
        assert_eq!(elect(&cands, 0), Elected { dr: 102, bdr: 0 });
    }
}
