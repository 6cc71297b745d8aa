//! What the speaker reports to the application.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bgp_fsm::{Down, State};
use bgp_wire::{Asn, Family};
use ipnet::IpNet;

use crate::NeighborId;

/// Something that happened to a neighbour. These are few (a handful per session change);
/// at most [`EVENT_LIMIT`] wait for the application, the oldest dropped past that
/// (counted in [`crate::Speaker::dropped_events`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The session's RFC 4271 state changed.
    StateChanged {
        /// Which neighbour.
        neighbor: NeighborId,
        /// Old state.
        from: State,
        /// New state.
        to: State,
    },
    /// The session is Established and the neighbour's routes are coming in.
    Up {
        /// Which neighbour.
        neighbor: NeighborId,
        /// Its AS.
        peer_as: Asn,
        /// Its BGP identifier.
        peer_id: Ipv4Addr,
        /// Its address on the session.
        address: IpAddr,
    },
    /// The session went down.
    Down {
        /// Which neighbour.
        neighbor: NeighborId,
        /// Why, who, and the NOTIFICATION if any.
        down: Down,
        /// Its routes are kept as stale while it restarts (RFC 4724 §4.2).
        graceful: bool,
    },
    /// A neighbour configured with BFD is Established: the application should run a BFD
    /// session for this path (RFC 5881 single hop, RFC 5883 multihop) and call
    /// [`crate::Speaker::bfd_down`] when it reports Down.
    BfdWanted {
        /// Which neighbour.
        neighbor: NeighborId,
        /// Our address on the session.
        local: IpAddr,
        /// The neighbour's.
        peer: IpAddr,
        /// The interface of a link-local (unnumbered) session.
        ifindex: Option<u32>,
        /// The neighbour is more than one hop away (eBGP multihop, or iBGP not on a
        /// connected subnet as configured): BFD multihop.
        multihop: bool,
    },
    /// An unnumbered neighbour's link-local address was learned.
    Discovered {
        /// Which neighbour.
        neighbor: NeighborId,
        /// Its link-local address.
        addr: Ipv6Addr,
    },
    /// A neighbour reached the warning threshold or the limit of `maximum-prefix`.
    PrefixLimit {
        /// Which neighbour.
        neighbor: NeighborId,
        /// The family counted.
        family: Family,
        /// Prefixes accepted (received, with soft reconfiguration inbound).
        count: u32,
        /// The limit.
        limit: u32,
        /// The session was torn down (Cease, Maximum Number of Prefixes Reached).
        teardown: bool,
    },
    /// The neighbour sent End-of-RIB for a family (RFC 4724 §2).
    EndOfRib {
        /// Which neighbour.
        neighbor: NeighborId,
        /// The family.
        family: Family,
    },
    /// A restarting neighbour's routes of a family became long-lived stale (RFC 9494 §4.2):
    /// least preferred, with LLGR_STALE, kept until its Long-lived Stale Time ends.
    LongLivedStale {
        /// Which neighbour.
        neighbor: NeighborId,
        /// The family.
        family: Family,
        /// Paths kept as long-lived stale.
        kept: usize,
        /// Paths removed because they carried NO_LLGR.
        removed: usize,
    },
    /// A connection from an address of a listen range made a dynamic neighbour.
    NeighborCreated {
        /// The new neighbour.
        neighbor: NeighborId,
        /// Its address.
        address: IpAddr,
        /// The listen range (index in [`crate::SpeakerConfig::listen_ranges`]).
        range: usize,
    },
    /// A dynamic neighbour went: its session ended, and no stale route is kept for it.
    NeighborRemoved {
        /// The neighbour (its id may be given to another one).
        neighbor: NeighborId,
        /// Its address.
        address: IpAddr,
    },
    /// A connection from a listen range was refused: the range has its limit of
    /// neighbours.
    ConnectionRefused {
        /// Where it came from.
        address: IpAddr,
        /// The listen range.
        range: usize,
    },
    /// A malformed UPDATE disabled a family for the session (RFC 7606); the neighbour's
    /// routes of the family were withdrawn.
    FamilyDisabled {
        /// Which neighbour.
        neighbor: NeighborId,
        /// The family.
        family: Family,
    },
}

/// Most events kept for the application.
pub const EVENT_LIMIT: usize = 4096;

/// A prefix whose best path changed (Loc-RIB), as it is now. Changes coalesce per prefix:
/// a prefix changed many times before the application looks is reported once, with the
/// reason for the whole change (from the best path the application was last told of).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteChange {
    /// The prefix.
    pub prefix: IpNet,
    /// The best path now, or `None` when there is none.
    pub best: Option<BestRoute>,
    /// Why the best path is not the one reported before.
    pub reason: ChangeReason,
}

/// Why a prefix's best path changed, measured from the best path last reported for it (or
/// none) to the best path now. Worked out when the change is taken
/// ([`crate::Speaker::poll_route_change`]), so a change nobody reads costs nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChangeReason {
    /// The prefix had no best path: it is new, or none of its paths could be used.
    New,
    /// No best path is left: every path was withdrawn or cannot be used.
    Withdrawn,
    /// The same path (same neighbour, same ADD-PATH path identifier) is still the best;
    /// its attributes or the multipath set changed.
    Updated,
    /// The previous best path was withdrawn; the best of the paths left took its place.
    PreviousBestWithdrawn,
    /// The previous best path is still in the table and lost to the new one at this step
    /// of the decision process (RFC 4271 §9.1.2.2 and the steps implementations add, as
    /// `show bgp` reports it), or can no longer be used (next hop unreachable, AS loop,
    /// route leak).
    Lost(rib::Rule),
}

/// A best path, briefly (the whole story: [`crate::Speaker::route`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BestRoute {
    /// The neighbour it came from; `None` for our own routes.
    pub neighbor: Option<NeighborId>,
    /// Its next hop as received.
    pub next_hop: Option<IpAddr>,
    /// Paths in the multipath set, the best included.
    pub multipath: u16,
}
