//! What a session reports to its driver.

use crate::packet::{Diagnostic, State};

/// An output of [`crate::Session::poll_event`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The local session state changed.
    StateChanged {
        /// The state before.
        from: State,
        /// The state now.
        to: State,
        /// Our diagnostic for the change (bfd.LocalDiag): 1 when the detection time expired,
        /// 3 when the remote system said it went down, 7 when we were set AdminDown.
        diag: Diagnostic,
        /// The diagnostic in the last packet received. With `diag` 3 and this 7 the remote
        /// system was taken down by its operator, which RFC 5882 §3.2 asks clients not to
        /// treat as a forwarding failure.
        remote_diag: Diagnostic,
    },
}

impl Event {
    /// Whether this event says the session went Up.
    pub fn is_up(&self) -> bool {
        matches!(self, Event::StateChanged { to: State::Up, .. })
    }

    /// Whether this event says an Up session went down.
    pub fn is_down(&self) -> bool {
        matches!(self, Event::StateChanged { from: State::Up, to, .. } if *to != State::Up)
    }
}
