//! Events the engine reports through `poll_event`.

use std::net::Ipv4Addr;

use crate::interface::IfState;
use crate::neighbor::NbrState;
use crate::types::RouterId;
use ospf_wire::DecodeError as WireError;

/// Something the application may want to log, show or act on; `A` is the
/// address family (IPv4 for OSPFv2, IPv6 for OSPFv3).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event<A = Ipv4Addr> {
    /// A neighbour on an interface with BFD reached 2-Way: watch the path to it with a
    /// single-hop BFD session (RFC 5882 §4.1) and call [`crate::Instance::bfd_down`]
    /// when that reports Down.
    BfdWanted {
        /// Interface.
        ifindex: u32,
        /// Our address on it.
        local: A,
        /// The neighbour's.
        peer: A,
    },
    /// The neighbour left 2-Way: its BFD session is no longer needed.
    BfdNotWanted {
        /// Interface.
        ifindex: u32,
        /// The neighbour's address.
        peer: A,
    },
    /// A neighbour changed state (RFC 2328 §10.3).
    NeighborState {
        /// Interface.
        ifindex: u32,
        /// Neighbour router ID.
        router_id: RouterId,
        /// Neighbour interface address.
        addr: A,
        /// State before.
        old: NbrState,
        /// State after.
        new: NbrState,
        /// The RFC event that caused it.
        reason: &'static str,
    },
    /// An interface changed state (RFC 2328 §9.3), or its DR or BDR changed
    /// (then `old == new`).
    InterfaceState {
        /// Interface.
        ifindex: u32,
        /// State before.
        old: IfState,
        /// State after.
        new: IfState,
        /// Designated router after the change.
        dr: Option<RouterId>,
        /// Backup designated router after the change.
        bdr: Option<RouterId>,
    },
    /// The routing table changed.
    Route(rib::RouteChange),
    /// A Database Description packet was rejected because the neighbour's
    /// interface MTU is larger than ours (RFC 2328 §10.6): the neighbour
    /// stays in ExStart.
    MtuMismatch {
        /// Interface.
        ifindex: u32,
        /// Neighbour.
        router_id: RouterId,
        /// MTU in the neighbour's Database Description packet.
        neighbor_mtu: u16,
        /// Our interface MTU.
        local_mtu: u16,
    },
    /// A packet failed authentication.
    AuthFailure {
        /// Interface.
        ifindex: u32,
        /// Source address.
        src: A,
        /// What was wrong.
        reason: &'static str,
    },
    /// A Hello was rejected because its parameters differ from ours
    /// (RFC 2328 §10.5).
    HelloMismatch {
        /// Interface.
        ifindex: u32,
        /// Source address.
        src: A,
        /// Which parameter and both values.
        detail: String,
    },
    /// The databases reached `Config::max_lsas`: LSAs under new keys are
    /// refused until there is room again (reported once each time).
    DatabaseFull {
        /// The limit.
        limit: usize,
    },
    /// A packet could not be decoded or was for another area.
    BadPacket {
        /// Interface.
        ifindex: u32,
        /// Source address.
        src: A,
        /// Why.
        error: PacketProblem,
    },
}

/// Why a packet was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PacketProblem {
    /// Decoding failed.
    Malformed(WireError),
    /// Area ID does not match the interface's area.
    WrongArea(u32),
    /// The cryptographic sequence number went backwards (replay).
    Replay,
}
