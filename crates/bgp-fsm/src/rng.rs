//! Timer jitter on the family's seeded generator ([`sansio::SplitMix64`]); the seed comes
//! from [`crate::Config::seed`], so a simulation replays exactly.

use core::time::Duration;

pub(crate) use sansio::SplitMix64;

/// RFC 4271 §10: "The suggested default amount of jitter SHALL be determined by multiplying
/// the base value of the appropriate timer by a random factor, which is uniformly
/// distributed in the range from 0.75 to 1.0."
pub(crate) fn jitter(rng: &mut SplitMix64, base: Duration) -> Duration {
    rng.jitter(base, 750_000, 1_000_000)
}
