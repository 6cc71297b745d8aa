//! The family's seeded generator ([`sansio::SplitMix64`]), for timer jitter and DD sequence
//! numbers: the engine never uses ambient randomness; the seed is in the configuration.

pub use sansio::SplitMix64;
