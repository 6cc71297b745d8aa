//! What a session asks its driver to do, and what it reports.

use bgp_wire::notification::Notification;
use bgp_wire::route_refresh::RouteRefresh;
use bgp_wire::{Family, MessageType};
use bytes::Bytes;
use core::fmt;
use std::net::{Ipv6Addr, SocketAddr};

use crate::fsm_event::State;
use crate::negotiate::Negotiated;
use crate::received::Received;

/// A connection, named by the driver. The session never sees a socket: the driver picks a
/// number for each TCP connection and passes it with every input about that connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(pub u64);

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conn#{}", self.0)
    }
}

/// Octets to write on a connection: one or more whole BGP messages (an announcement packs
/// its UPDATEs into one `Transmit`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// The connection to write on.
    pub conn: ConnId,
    /// The message.
    pub bytes: Bytes,
}

/// Something the driver must do besides writing octets.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Open a TCP connection to `addr` (its IPv6 scope id is set for a link-local address,
    /// and repeated in `scope`). Report the outcome with
    /// [`crate::Session::handle_connected`] or [`crate::Session::handle_connect_failed`]. A new
    /// `Connect` replaces any attempt still in progress.
    Connect {
        /// The peer's address and port.
        addr: SocketAddr,
        /// The interface index of a link-local address.
        scope: Option<u32>,
    },
    /// Close a connection, after writing every [`Transmit`] already polled for it (a
    /// NOTIFICATION is usually the last of them). The driver bounds how long it waits for
    /// those writes: a peer that stopped reading must not keep the socket open (a close
    /// after the SendHoldTimer expired is the usual case).
    Close {
        /// The connection.
        conn: ConnId,
    },
    /// Send an ICMPv6 Router Advertisement on an interface, to `ff02::1` with hop limit 255
    /// (RFC 4861 §6.2.4); the checksum is left to the kernel (see [`crate::ra`]).
    SendRa {
        /// Interface index.
        ifindex: u32,
        /// The ICMPv6 message.
        bytes: Bytes,
    },
}

/// Who brought a session down.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Initiator {
    /// The application ([`crate::Session::stop`]).
    Local,
    /// This library: a timer expired or the peer sent something invalid.
    Library,
    /// The peer: it sent a NOTIFICATION or closed the connection.
    Remote,
}

/// Why a session went down.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DownReason {
    /// [`crate::Session::stop`] (RFC 4271 Event 2 ManualStop).
    Stopped,
    /// No KEEPALIVE or UPDATE within the hold time (Event 10).
    HoldTimerExpired,
    /// Our output waited unwritten for the SendHoldTime: the peer stopped reading (RFC 9687,
    /// Event 29). A NOTIFICATION "Send Hold Timer Expired" was attempted; it rarely gets
    /// through.
    SendHoldTimerExpired,
    /// The peer sent a NOTIFICATION (Events 24, 25); it is in [`Down::notification`].
    NotificationReceived,
    /// The peer sent a message that does not decode (Events 21, 22, 28).
    MessageError(bgp_wire::Error),
    /// The peer's OPEN decoded but is not acceptable here (Bad Peer AS, Bad BGP Identifier).
    OpenRejected,
    /// A message the state does not allow (RFC 6608 Finite State Machine Error).
    UnexpectedMessage(MessageType),
    /// An UPDATE's attribute error that RFC 7606 says resets the session.
    UpdateError(bgp_wire::Error),
    /// The TCP connection closed or failed (Event 18).
    ConnectionClosed,
    /// This connection lost the collision resolution of RFC 4271 §6.8 (Event 23).
    CollisionResolution,
}

/// A session left the states where it was trying to, or did, exchange routes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Down {
    /// Why.
    pub reason: DownReason,
    /// Who.
    pub initiator: Initiator,
    /// The NOTIFICATION sent (initiator `Local` or `Library`) or received (`Remote`).
    pub notification: Option<Notification>,
}

/// What a session reports to the application.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The RFC 4271 state changed.
    StateChanged {
        /// The old state.
        from: State,
        /// The new state.
        to: State,
    },
    /// The session reached Established; what was negotiated.
    Established(Box<Negotiated>),
    /// Routes from the peer, with RFC 7606 already applied.
    Update(Box<Received>),
    /// The peer asked us to resend a family (RFC 2918; RFC 7313 subtypes included).
    RouteRefresh(RouteRefresh),
    /// RFC 7606 "AFI/SAFI disable": the peer's UPDATE for this family was malformed. RFC 4760
    /// §7: the application deletes every route of the family learned from this peer; the
    /// session ignores the family's routes from now on.
    FamilyDisabled(Family),
    /// The session went down (to Idle); a restart follows after the IdleHoldTimer unless it was
    /// stopped.
    Down(Down),
    /// An unnumbered peer's link-local address was learned from a Router Advertisement.
    NeighborDiscovered {
        /// The peer's link-local address.
        addr: Ipv6Addr,
        /// The interface.
        ifindex: u32,
    },
}
