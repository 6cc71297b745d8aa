//! Session configuration.

use core::num::NonZeroU8;
use core::time::Duration;

use crate::auth::AuthConfig;
use crate::error::ConfigError;
use crate::packet::{Discriminator, Interval};

/// What one session is configured with (RFC 5880 §6.8.1 names in brackets).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Our name for the session [bfd.LocalDiscr]. It must be unique among this system's
    /// sessions; [`crate::Sessions`] chooses it and overrides this field.
    pub local_discriminator: Discriminator,
    /// How often we would like to send once Up [bfd.DesiredMinTxInterval]. While the session
    /// is not Up, at least one second is used (§6.8.3).
    pub desired_min_tx: Duration,
    /// The fastest we accept packets [bfd.RequiredMinRxInterval]. Zero asks the remote
    /// system to send nothing.
    pub required_min_rx: Duration,
    /// The detection time multiplier [bfd.DetectMult].
    pub detect_mult: NonZeroU8,
    /// Authentication sent and required; `None` for none [bfd.AuthType zero].
    pub auth: Option<AuthConfig>,
    /// The Passive role (§6.1): send nothing until the remote system has been heard.
    pub passive: bool,
}

impl Config {
    /// 300 ms both ways, Detect Mult 3, no authentication, Active role: the defaults of FRR's
    /// bfdd, detecting a failure in under a second.
    pub fn new(local_discriminator: Discriminator) -> Config {
        Config {
            local_discriminator,
            desired_min_tx: Duration::from_millis(300),
            required_min_rx: Duration::from_millis(300),
            detect_mult: NonZeroU8::MIN.saturating_add(2),
            auth: None,
            passive: false,
        }
    }

    /// The two intervals in wire form, checked.
    pub(crate) fn intervals(&self) -> Result<(Interval, Interval), ConfigError> {
        check_intervals(self.desired_min_tx, self.required_min_rx)
    }
}

pub(crate) fn check_intervals(
    desired_min_tx: Duration,
    required_min_rx: Duration,
) -> Result<(Interval, Interval), ConfigError> {
    let tx = Interval::from_duration(desired_min_tx).ok_or(ConfigError::IntervalTooLong)?;
    let rx = Interval::from_duration(required_min_rx).ok_or(ConfigError::IntervalTooLong)?;
    // §4.1 Desired Min TX Interval: "The value zero is reserved."
    if tx == Interval::ZERO {
        return Err(ConfigError::DesiredMinTxZero);
    }
    Ok((tx, rx))
}
