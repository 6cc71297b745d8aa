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

    /// Whether a client protocol should take its adjacency down: an Up session went Down,
    /// and not because the remote system was taken AdminDown by its operator, which RFC
    /// 5882 §3.2 says is not a forwarding failure.
    pub fn is_path_down(&self) -> bool {
        match self {
            Event::StateChanged { from: State::Up, to: State::Down, diag, remote_diag } => {
                !(*diag == Diagnostic::NEIGHBOR_SIGNALED_SESSION_DOWN
                    && *remote_diag == Diagnostic::ADMINISTRATIVELY_DOWN)
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(from: State, to: State, diag: u8, remote: u8) -> Event {
        let d = |v| Diagnostic::new(v).unwrap_or(Diagnostic::NONE);
        Event::StateChanged { from, to, diag: d(diag), remote_diag: d(remote) }
    }

    #[test]
    fn only_a_failure_takes_the_client_down() {
        // Detection time expired, or the remote said its path is down: a failure.
        assert!(change(State::Up, State::Down, 1, 0).is_path_down());
        assert!(change(State::Up, State::Down, 3, 0).is_path_down());
        // RFC 5882 §3.2: the remote operator's AdminDown is not.
        assert!(!change(State::Up, State::Down, 3, 7).is_path_down());
        // Not from Up, or not to Down.
        assert!(!change(State::Init, State::Down, 1, 0).is_path_down());
        assert!(!change(State::Up, State::AdminDown, 7, 0).is_path_down());
    }
}
