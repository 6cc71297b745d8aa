//! Peer oscillation damping: the IdleHoldTimer grows for a peer that keeps going down
//! (RFC 4271 §8.1.1, optional session attribute DampPeerOscillations).
//!
//! RFC 4271 §8.1.1: DampPeerOscillations "indicates that the BGP connection is using logic
//! that damps BGP peer oscillations in the Idle State"; the logic itself is left to the
//! implementation. Here the IdleHoldTime doubles with each consecutive flap, up to a cap, and
//! a session that stayed Established for the stable period starts again from the initial
//! value.

use core::time::Duration;
use std::time::Instant;

/// How the IdleHoldTimer backs off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DampingConfig {
    /// DampPeerOscillations: when false, the IdleHoldTime stays at `idle_hold_time`.
    pub enabled: bool,
    /// The first IdleHoldTime, and the one used after a stable session.
    pub idle_hold_time: Duration,
    /// The cap of the back-off.
    pub max_idle_hold_time: Duration,
    /// How long the session must stay Established for its next flap to count as the first.
    pub stable_period: Duration,
}

impl Default for DampingConfig {
    /// 1 s doubling up to 120 s; reset after 60 s Established.
    fn default() -> DampingConfig {
        DampingConfig {
            enabled: true,
            idle_hold_time: Duration::from_secs(1),
            max_idle_hold_time: Duration::from_secs(120),
            stable_period: Duration::from_secs(60),
        }
    }
}

/// The back-off state of one session.
#[derive(Clone, Debug)]
pub(crate) struct Damping {
    config: DampingConfig,
    /// Consecutive flaps counted so far.
    flaps: u32,
    /// When the session last reached Established, if it is up.
    established_at: Option<Instant>,
}

impl Damping {
    pub(crate) fn new(config: DampingConfig) -> Damping {
        Damping { config, flaps: 0, established_at: None }
    }

    /// The session reached Established.
    pub(crate) fn established(&mut self, now: Instant) {
        self.established_at = Some(now);
    }

    /// The session went down at `now`: returns the IdleHoldTime to wait before restarting
    /// (before jitter), and counts the flap.
    pub(crate) fn went_down(&mut self, now: Instant) -> Duration {
        let was_stable = self
            .established_at
            .take()
            .is_some_and(|t| now.saturating_duration_since(t) >= self.config.stable_period);
        if was_stable || !self.config.enabled {
            self.flaps = 0;
        }
        let hold = self.current();
        if self.config.enabled {
            self.flaps = self.flaps.saturating_add(1);
        }
        hold
    }

    /// The IdleHoldTime the next flap would get.
    pub(crate) fn current(&self) -> Duration {
        let factor = 1u32.checked_shl(self.flaps.min(31)).unwrap_or(u32::MAX);
        self.config
            .idle_hold_time
            .checked_mul(factor)
            .unwrap_or(self.config.max_idle_hold_time)
            .min(self.config.max_idle_hold_time)
    }

    /// Forget the history (a manual stop and start).
    pub(crate) fn reset(&mut self) {
        self.flaps = 0;
        self.established_at = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn doubles_caps_and_resets() {
        let t0 = Instant::now();
        let mut d = Damping::new(DampingConfig {
            enabled: true,
            idle_hold_time: secs(1),
            max_idle_hold_time: secs(8),
            stable_period: secs(60),
        });
        let holds: Vec<Duration> = (0..6)
            .map(|i| {
                d.established(t0 + secs(i * 10));
                d.went_down(t0 + secs(i * 10 + 5))
            })
            .collect();
        assert_eq!(holds, [secs(1), secs(2), secs(4), secs(8), secs(8), secs(8)]);
        // Up for longer than the stable period: back to the initial value.
        d.established(t0 + secs(100));
        assert_eq!(d.went_down(t0 + secs(161)), secs(1));
        assert_eq!(d.went_down(t0 + secs(170)), secs(2));
    }

    #[test]
    fn disabled_is_constant() {
        let t0 = Instant::now();
        let mut d = Damping::new(DampingConfig { enabled: false, ..DampingConfig::default() });
        for i in 0..5 {
            assert_eq!(d.went_down(t0 + secs(i)), secs(1));
        }
    }
}
