//! Timers as data: a named enum and a table of deadlines.
//!
//! Nothing here reads a clock. The session stores deadlines; the driver asks for the earliest
//! with [`crate::Session::poll_timeout`] and calls [`crate::Session::handle_timeout`] when the
//! clock reaches it.

use std::time::Instant;

/// The timers of a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Timer {
    /// When to send the next periodic Control packet (RFC 5880 §6.8.7).
    Transmit,
    /// The Detection Time (§6.8.4): when the remote system is declared gone if nothing
    /// arrives.
    Detection,
    /// When to forget the last received authentication sequence number (§6.8.1
    /// bfd.AuthSeqKnown: after twice the Detection Time without packets).
    AuthSequence,
}

impl Timer {
    /// Every timer, in table order.
    pub const ALL: [Timer; 3] = [Timer::Transmit, Timer::Detection, Timer::AuthSequence];

    const fn index(self) -> usize {
        match self {
            Timer::Transmit => 0,
            Timer::Detection => 1,
            Timer::AuthSequence => 2,
        }
    }
}

/// A deadline per timer; `None` when the timer is stopped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct TimerTable {
    deadlines: [Option<Instant>; Timer::ALL.len()],
}

impl TimerTable {
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        self.deadlines[timer.index()] = Some(at);
    }

    pub(crate) fn stop(&mut self, timer: Timer) {
        self.deadlines[timer.index()] = None;
    }

    pub(crate) fn get(&self, timer: Timer) -> Option<Instant> {
        self.deadlines[timer.index()]
    }

    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.iter().flatten().min().copied()
    }

    /// If `timer` is due at `now`, stops it and returns true; an early call changes nothing.
    pub(crate) fn expire(&mut self, timer: Timer, now: Instant) -> bool {
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
    fn minimum_and_early_expiry() {
        let t0 = Instant::now();
        let mut t = TimerTable::default();
        assert_eq!(t.next_deadline(), None);
        t.set(Timer::Detection, t0 + Duration::from_millis(900));
        t.set(Timer::Transmit, t0 + Duration::from_millis(300));
        assert_eq!(t.next_deadline(), Some(t0 + Duration::from_millis(300)));
        assert!(!t.expire(Timer::Transmit, t0 + Duration::from_millis(299)));
        assert!(t.expire(Timer::Transmit, t0 + Duration::from_millis(300)));
        assert_eq!(t.next_deadline(), Some(t0 + Duration::from_millis(900)));
    }
}
