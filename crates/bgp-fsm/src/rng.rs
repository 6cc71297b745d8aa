//! A tiny seeded pseudo-random generator (splitmix64) for timer jitter.
//!
//! The crate draws no ambient randomness: the seed comes from [`crate::Config::seed`], so a
//! simulation replays exactly. splitmix64 is not cryptographic; jitter only has to decorrelate
//! peers (RFC 4271 §10), not resist prediction.

use core::time::Duration;

/// splitmix64 state (Steele, Lea, Flood: "Fast splittable pseudorandom number generators").
#[derive(Clone, Debug)]
pub(crate) struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator that replays the same sequence for the same seed.
    pub(crate) fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    /// Next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A factor in `[0.75, 1.0]`, as a number of millionths (750_000 ..= 1_000_000).
    fn jitter_millionths(&mut self) -> u64 {
        750_000 + self.next_u64() % 250_001
    }

    /// RFC 4271 §10: "The suggested default amount of jitter SHALL be determined by
    /// multiplying the base value of the appropriate timer by a random factor, which is
    /// uniformly distributed in the range from 0.75 to 1.0." Integer arithmetic, so every
    /// platform computes the same deadline.
    pub(crate) fn jitter(&mut self, base: Duration) -> Duration {
        let factor = self.jitter_millionths();
        let nanos = base.as_nanos().saturating_mul(u128::from(factor)) / 1_000_000;
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let mut a = SplitMix64::new(7);
        let mut b = SplitMix64::new(7);
        let mut c = SplitMix64::new(8);
        let xs: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        let zs: Vec<u64> = (0..8).map(|_| c.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs, zs);
    }

    #[test]
    fn known_first_output() {
        // Reference value of splitmix64 seeded with 0.
        assert_eq!(SplitMix64::new(0).next_u64(), 0xe220_a839_7b1d_cdaf);
    }

    #[test]
    fn jitter_stays_in_range() {
        let mut r = SplitMix64::new(42);
        let base = Duration::from_secs(30);
        let mut lo = base;
        let mut hi = Duration::ZERO;
        for _ in 0..10_000 {
            let j = r.jitter(base);
            assert!(j >= base * 3 / 4 && j <= base, "{j:?}");
            lo = lo.min(j);
            hi = hi.max(j);
        }
        // Uniform over the range: both ends are approached.
        assert!(lo < Duration::from_millis(22_600));
        assert!(hi > Duration::from_millis(29_900));
    }
}
