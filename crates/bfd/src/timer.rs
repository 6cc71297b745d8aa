//! Timers as data: a named enum and a table of deadlines.
//!
//! Nothing here reads a clock. The session stores deadlines; the driver asks for the earliest
//! with [`crate::Session::poll_timeout`] and calls [`crate::Session::handle_timeout`] when the
//! clock reaches it.

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

impl From<Timer> for usize {
    fn from(t: Timer) -> usize {
        t.index()
    }
}

/// A deadline per timer; `None` when the timer is stopped.
pub(crate) type TimerTable = sansio::TimerTable<Timer, { Timer::ALL.len() }>;
