//! Timers as data: a named enum and a table of deadlines (RFC 4271 §8, §10; RFC 9687).
//!
//! Nothing here reads a clock. The session stores deadlines; the driver asks for the earliest
//! with [`crate::Session::poll_timeout`] and calls [`crate::Session::handle_timeout`] when the
//! clock reaches it.

use std::time::Instant;

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

/// A deadline per timer; `None` when the timer is stopped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TimerTable {
    deadlines: [Option<Instant>; Timer::ALL.len()],
}

impl TimerTable {
    /// Starts (or restarts) `timer` to fire at `at`.
    pub fn set(&mut self, timer: Timer, at: Instant) {
        self.deadlines[timer.index()] = Some(at);
    }

    /// Starts (or restarts) `timer` to fire `after` `now`. A deadline the clock cannot
    /// represent is never reached, so the timer is stopped instead of overflowing.
    pub fn set_after(&mut self, timer: Timer, now: Instant, after: std::time::Duration) {
        self.deadlines[timer.index()] = now.checked_add(after);
    }

    /// Stops `timer`.
    pub fn stop(&mut self, timer: Timer) {
        self.deadlines[timer.index()] = None;
    }

    /// The deadline of `timer`, if running.
    pub fn get(&self, timer: Timer) -> Option<Instant> {
        self.deadlines[timer.index()]
    }

    /// Whether `timer` is running.
    pub fn is_running(&self, timer: Timer) -> bool {
        self.get(timer).is_some()
    }

    /// Stops every timer.
    pub fn stop_all(&mut self) {
        self.deadlines = Default::default();
    }

    /// The earliest deadline of any running timer.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.iter().flatten().min().copied()
    }

    /// If `timer` is due at `now`, stops it and returns true. A timer that is not yet due is
    /// left alone, so calling early is a no-op.
    pub fn expire(&mut self, timer: Timer, now: Instant) -> bool {
        match self.get(timer) {
            Some(at) if at <= now => {
                self.stop(timer);
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn next_deadline_is_the_minimum() {
        let t0 = Instant::now();
        let mut t = TimerTable::default();
        assert_eq!(t.next_deadline(), None);
        t.set(Timer::Hold, t0 + Duration::from_secs(90));
        t.set(Timer::Keepalive, t0 + Duration::from_secs(30));
        t.set(Timer::ConnectRetry, t0 + Duration::from_secs(120));
        assert_eq!(t.next_deadline(), Some(t0 + Duration::from_secs(30)));
        t.stop(Timer::Keepalive);
        assert_eq!(t.next_deadline(), Some(t0 + Duration::from_secs(90)));
    }

    #[test]
    fn a_deadline_past_the_clock_range_never_fires() {
        let t0 = Instant::now();
        let mut t = TimerTable::default();
        t.set_after(Timer::Keepalive, t0, Duration::from_secs(30));
        assert_eq!(t.get(Timer::Keepalive), Some(t0 + Duration::from_secs(30)));
        t.set_after(Timer::Keepalive, t0, Duration::MAX);
        assert_eq!(t.get(Timer::Keepalive), None);
        assert_eq!(t.next_deadline(), None);
    }

    #[test]
    fn expire_early_is_a_no_op() {
        let t0 = Instant::now();
        let mut t = TimerTable::default();
        t.set(Timer::Hold, t0 + Duration::from_secs(3));
        assert!(!t.expire(Timer::Hold, t0 + Duration::from_secs(2)));
        assert!(t.is_running(Timer::Hold));
        assert!(t.expire(Timer::Hold, t0 + Duration::from_secs(3)));
        assert!(!t.is_running(Timer::Hold));
        assert!(!t.expire(Timer::Hold, t0 + Duration::from_secs(4)));
    }
}
