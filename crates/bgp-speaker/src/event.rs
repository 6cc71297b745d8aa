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
        /// Prefixes accepted.
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
/// a prefix changed many times before the application looks is reported once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteChange {
    /// The prefix.
    pub prefix: IpNet,
    /// The best path now, or `None` when there is none.
    pub best: Option<BestRoute>,
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
