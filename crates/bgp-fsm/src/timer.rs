//! Timers as data: a named enum and a table of deadlines (RFC 4271 §8, §10; RFC 9687).
//!
//! Nothing here reads a clock. The session stores deadlines; the driver asks for the earliest
//! with [`crate::Session::poll_timeout`] and calls [`crate::Session::handle_timeout`] when the
//! clock reaches it.

/// The timers of a session. Per-connection timers (Hold, Keepalive, DelayOpen, SendHold) live
/// in a table of each connection; session timers (ConnectRetry, IdleHold, RouterAdvertisement) in the
/// session's own table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Timer {
    /// ConnectRetryTimer (RFC 4271 §8): time between attempts to open a connection.
    ConnectRetry,
    /// HoldTimer (RFC 4271 §4.2, §6.5): longest silence accepted from the peer.
    Hold,
    /// KeepaliveTimer (RFC 4271 §4.4): when to send the next KEEPALIVE.
    Keepalive,
    /// DelayOpenTimer (RFC 4271 §8.1.1, optional attribute DelayOpen): how long to wait for the
    /// peer's OPEN before sending ours.
    DelayOpen,
    /// IdleHoldTimer (RFC 4271 §8.1.1, optional attribute DampPeerOscillations): how long to
    /// stay Idle before the automatic restart.
    IdleHold,
    /// When to send the next IPv6 Router Advertisement on an unnumbered interface (RFC 4861
    /// §6.2.4; the interval is configured, as FRR's `ipv6 nd ra-interval`).
    RouterAdvertisement,
    /// SendHoldTimer (RFC 9687 §4.1): longest time output may wait unwritten on an
    /// Established connection, a peer that stopped reading, before the connection is
    /// dropped. It runs only while output waits (see
    /// [`crate::Session::handle_write_progress`]).
    SendHold,
}

impl Timer {
    /// Every timer, in table order.
    pub const ALL: [Timer; 7] = [
        Timer::ConnectRetry,
        Timer::Hold,
        Timer::Keepalive,
        Timer::DelayOpen,
        Timer::IdleHold,
        Timer::RouterAdvertisement,
        Timer::SendHold,
    ];

    const fn index(self) -> usize {
        match self {
            Timer::ConnectRetry => 0,
            Timer::Hold => 1,
            Timer::Keepalive => 2,
            Timer::DelayOpen => 3,
            Timer::IdleHold => 4,
            Timer::RouterAdvertisement => 5,
            Timer::SendHold => 6,
        }
    }
}

impl From<Timer> for usize {
    fn from(t: Timer) -> usize {
        t.index()
    }
}

/// A deadline per timer; `None` when the timer is stopped.
pub(crate) type TimerTable = sansio::TimerTable<Timer, { Timer::ALL.len() }>;
