//! The events of the BGP finite state machine, numbered as in RFC 4271 §8.1 (and RFC 9687
//! §4.2 for Event 29).
//!
//! Every input method of [`crate::Session`] is translated into one of these before the state
//! machine acts on it; [`crate::Session::last_fsm_event`] tells which one ran last, which is what
//! a log line or a test wants to see.

use core::fmt;

/// An FSM event of RFC 4271 §8.1 (Event 29: RFC 9687 §4.2), with the RFC's number and name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FsmEvent {
    /// Event 1: ManualStart. [`crate::Session::start`] on an active-mode session.
    ManualStart,
    /// Event 2: ManualStop. [`crate::Session::stop`].
    ManualStop,
    /// Event 3: AutomaticStart. Not generated: every automatic restart here goes through the
    /// IdleHoldTimer (Events 6 and 7).
    AutomaticStart,
    /// Event 4: ManualStart_with_PassiveTcpEstablishment. [`crate::Session::start`] on a
    /// passive session.
    ManualStartWithPassiveTcpEstablishment,
    /// Event 5: AutomaticStart_with_PassiveTcpEstablishment. Not generated (see Event 7).
    AutomaticStartWithPassiveTcpEstablishment,
    /// Event 6: AutomaticStart_with_DampPeerOscillations. The restart of an active session
    /// when the IdleHoldTimer expires.
    AutomaticStartWithDampPeerOscillations,
    /// Event 7: AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment. The
    /// restart of a passive session when the IdleHoldTimer expires.
    AutomaticStartWithDampPeerOscillationsAndPassiveTcpEstablishment,
    /// Event 8: AutomaticStop. Not generated: this session has no automatic stop condition
    /// (a prefix limit, for one, belongs to the speaker above it, which calls
    /// [`crate::Session::stop`]).
    AutomaticStop,
    /// Event 9: ConnectRetryTimer_Expires.
    ConnectRetryTimerExpires,
    /// Event 10: HoldTimer_Expires.
    HoldTimerExpires,
    /// Event 11: KeepaliveTimer_Expires.
    KeepaliveTimerExpires,
    /// Event 12: DelayOpenTimer_Expires.
    DelayOpenTimerExpires,
    /// Event 13: IdleHoldTimer_Expires.
    IdleHoldTimerExpires,
    /// Event 14: TcpConnection_Valid. An inbound connection from an acceptable address.
    TcpConnectionValid,
    /// Event 15: Tcp_CR_Invalid. An inbound connection from an address or interface this
    /// session does not peer with; it is closed.
    TcpCrInvalid,
    /// Event 16: Tcp_CR_Acked. Our outbound connection completed
    /// ([`crate::Session::handle_connected`]).
    TcpCrAcked,
    /// Event 17: TcpConnectionConfirmed. An inbound connection was accepted
    /// ([`crate::Session::handle_incoming`]).
    TcpConnectionConfirmed,
    /// Event 18: TcpConnectionFails ([`crate::Session::handle_closed`],
    /// [`crate::Session::handle_connect_failed`]).
    TcpConnectionFails,
    /// Event 19: BGPOpen. A valid OPEN.
    BgpOpen,
    /// Event 20: BGPOpen with DelayOpenTimer running.
    BgpOpenWithDelayOpenTimerRunning,
    /// Event 21: BGPHeaderErr. A message header that does not check.
    BgpHeaderErr,
    /// Event 22: BGPOpenMsgErr. An OPEN that does not decode or validate.
    BgpOpenMsgErr,
    /// Event 23: OpenCollisionDump. This connection lost the collision resolution of §6.8.
    OpenCollisionDump,
    /// Event 24: NotifMsgVerErr. A NOTIFICATION "Unsupported Version Number".
    NotifMsgVerErr,
    /// Event 25: NotifMsg. Any other NOTIFICATION.
    NotifMsg,
    /// Event 26: KeepAliveMsg.
    KeepAliveMsg,
    /// Event 27: UpdateMsg.
    UpdateMsg,
    /// Event 28: UpdateMsgErr. An UPDATE whose error resets the session.
    UpdateMsgErr,
    /// Event 29: SendHoldTimer_Expires (RFC 9687 §4.2). Output waited unwritten for the
    /// SendHoldTime: the peer stopped reading.
    SendHoldTimerExpires,
}

impl FsmEvent {
    /// The event number of RFC 4271 §8.1 (29: RFC 9687).
    pub const fn number(self) -> u8 {
        match self {
            FsmEvent::ManualStart => 1,
            FsmEvent::ManualStop => 2,
            FsmEvent::AutomaticStart => 3,
            FsmEvent::ManualStartWithPassiveTcpEstablishment => 4,
            FsmEvent::AutomaticStartWithPassiveTcpEstablishment => 5,
            FsmEvent::AutomaticStartWithDampPeerOscillations => 6,
            FsmEvent::AutomaticStartWithDampPeerOscillationsAndPassiveTcpEstablishment => 7,
            FsmEvent::AutomaticStop => 8,
            FsmEvent::ConnectRetryTimerExpires => 9,
            FsmEvent::HoldTimerExpires => 10,
            FsmEvent::KeepaliveTimerExpires => 11,
            FsmEvent::DelayOpenTimerExpires => 12,
            FsmEvent::IdleHoldTimerExpires => 13,
            FsmEvent::TcpConnectionValid => 14,
            FsmEvent::TcpCrInvalid => 15,
            FsmEvent::TcpCrAcked => 16,
            FsmEvent::TcpConnectionConfirmed => 17,
            FsmEvent::TcpConnectionFails => 18,
            FsmEvent::BgpOpen => 19,
            FsmEvent::BgpOpenWithDelayOpenTimerRunning => 20,
            FsmEvent::BgpHeaderErr => 21,
            FsmEvent::BgpOpenMsgErr => 22,
            FsmEvent::OpenCollisionDump => 23,
            FsmEvent::NotifMsgVerErr => 24,
            FsmEvent::NotifMsg => 25,
            FsmEvent::KeepAliveMsg => 26,
            FsmEvent::UpdateMsg => 27,
            FsmEvent::UpdateMsgErr => 28,
            FsmEvent::SendHoldTimerExpires => 29,
        }
    }

    /// The event's name as RFC 4271 §8.1 (or RFC 9687) spells it.
    pub const fn rfc_name(self) -> &'static str {
        match self {
            FsmEvent::ManualStart => "ManualStart",
            FsmEvent::ManualStop => "ManualStop",
            FsmEvent::AutomaticStart => "AutomaticStart",
            FsmEvent::ManualStartWithPassiveTcpEstablishment => {
                "ManualStart_with_PassiveTcpEstablishment"
            }
            FsmEvent::AutomaticStartWithPassiveTcpEstablishment => {
                "AutomaticStart_with_PassiveTcpEstablishment"
            }
            FsmEvent::AutomaticStartWithDampPeerOscillations => {
                "AutomaticStart_with_DampPeerOscillations"
            }
            FsmEvent::AutomaticStartWithDampPeerOscillationsAndPassiveTcpEstablishment => {
                "AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment"
            }
            FsmEvent::AutomaticStop => "AutomaticStop",
            FsmEvent::ConnectRetryTimerExpires => "ConnectRetryTimer_Expires",
            FsmEvent::HoldTimerExpires => "HoldTimer_Expires",
            FsmEvent::KeepaliveTimerExpires => "KeepaliveTimer_Expires",
            FsmEvent::DelayOpenTimerExpires => "DelayOpenTimer_Expires",
            FsmEvent::IdleHoldTimerExpires => "IdleHoldTimer_Expires",
            FsmEvent::TcpConnectionValid => "TcpConnection_Valid",
            FsmEvent::TcpCrInvalid => "Tcp_CR_Invalid",
            FsmEvent::TcpCrAcked => "Tcp_CR_Acked",
            FsmEvent::TcpConnectionConfirmed => "TcpConnectionConfirmed",
            FsmEvent::TcpConnectionFails => "TcpConnectionFails",
            FsmEvent::BgpOpen => "BGPOpen",
            FsmEvent::BgpOpenWithDelayOpenTimerRunning => "BGPOpen with DelayOpenTimer running",
            FsmEvent::BgpHeaderErr => "BGPHeaderErr",
            FsmEvent::BgpOpenMsgErr => "BGPOpenMsgErr",
            FsmEvent::OpenCollisionDump => "OpenCollisionDump",
            FsmEvent::NotifMsgVerErr => "NotifMsgVerErr",
            FsmEvent::NotifMsg => "NotifMsg",
            FsmEvent::KeepAliveMsg => "KeepAliveMsg",
            FsmEvent::UpdateMsg => "UpdateMsg",
            FsmEvent::UpdateMsgErr => "UpdateMsgErr",
            FsmEvent::SendHoldTimerExpires => "SendHoldTimer_Expires",
        }
    }
}

impl fmt::Display for FsmEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Event {}: {}", self.number(), self.rfc_name())
    }
}

/// The six states of RFC 4271 §8.2.2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    /// Idle: refuses connections; waits for a start event (or the IdleHoldTimer).
    Idle,
    /// Connect: waits for our outbound connection to complete.
    Connect,
    /// Active: listens for an inbound connection (and retries outbound on ConnectRetry).
    Active,
    /// OpenSent: our OPEN is sent, waiting for the peer's.
    OpenSent,
    /// OpenConfirm: OPENs exchanged, waiting for a KEEPALIVE.
    OpenConfirm,
    /// Established: UPDATEs flow.
    Established,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_one_to_twenty_nine() {
        let all = [
            FsmEvent::ManualStart,
            FsmEvent::ManualStop,
            FsmEvent::AutomaticStart,
            FsmEvent::ManualStartWithPassiveTcpEstablishment,
            FsmEvent::AutomaticStartWithPassiveTcpEstablishment,
            FsmEvent::AutomaticStartWithDampPeerOscillations,
            FsmEvent::AutomaticStartWithDampPeerOscillationsAndPassiveTcpEstablishment,
            FsmEvent::AutomaticStop,
            FsmEvent::ConnectRetryTimerExpires,
            FsmEvent::HoldTimerExpires,
            FsmEvent::KeepaliveTimerExpires,
            FsmEvent::DelayOpenTimerExpires,
            FsmEvent::IdleHoldTimerExpires,
            FsmEvent::TcpConnectionValid,
            FsmEvent::TcpCrInvalid,
            FsmEvent::TcpCrAcked,
            FsmEvent::TcpConnectionConfirmed,
            FsmEvent::TcpConnectionFails,
            FsmEvent::BgpOpen,
            FsmEvent::BgpOpenWithDelayOpenTimerRunning,
            FsmEvent::BgpHeaderErr,
            FsmEvent::BgpOpenMsgErr,
            FsmEvent::OpenCollisionDump,
            FsmEvent::NotifMsgVerErr,
            FsmEvent::NotifMsg,
            FsmEvent::KeepAliveMsg,
            FsmEvent::UpdateMsg,
            FsmEvent::UpdateMsgErr,
            FsmEvent::SendHoldTimerExpires,
        ];
        for (i, e) in all.iter().enumerate() {
            assert_eq!(usize::from(e.number()), i + 1, "{e}");
        }
        assert_eq!(FsmEvent::TcpCrAcked.to_string(), "Event 16: Tcp_CR_Acked");
    }
}
