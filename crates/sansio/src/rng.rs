//! A seeded pseudo-random generator and timer jitter.

use core::time::Duration;

/// splitmix64 (Steele, Lea and Flood: "Fast splittable pseudorandom number generators"):
/// 64 bits of state, the whole sequence fixed by the seed. Not cryptographic: jitter only
/// has to keep systems from acting in lockstep, identifiers only have to differ.
///
/// ```
/// use sansio::SplitMix64;
/// let mut a = SplitMix64::new(7);
/// let mut b = SplitMix64::new(7);
/// assert_eq!(a.next_u64(), b.next_u64());
/// let j = a.jitter(std::time::Duration::from_secs(30), 750_000, 1_000_000);
/// assert!(j >= std::time::Duration::from_millis(22_500) && j <= std::time::Duration::from_secs(30));
/// ```
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator that replays the same sequence for the same seed.
    #[must_use]
    pub const fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// The next 32 random bits (the high half of the next 64).
    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    /// A number in `0..bound` (0 when `bound` is 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            0
        } else {
            self.next_u64() % bound
        }
    }

    /// `base` times a factor drawn uniformly from `low..=high` millionths (750_000 to
    /// 1_000_000 is RFC 4271 §10's 0.75 to 1.0), in integer arithmetic.
    pub fn jitter(&mut self, base: Duration, low: u64, high: u64) -> Duration {
        let (low, high) = (low.min(high), high.max(low));
        let factor = low + self.below(high - low + 1);
        let nanos = base.as_nanos().saturating_mul(u128::from(factor)) / 1_000_000;
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence_another_differs() {
        let mut a = SplitMix64::new(7);
        let mut b = SplitMix64::new(7);
        let mut c = SplitMix64::new(8);
        let xs: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        let zs: Vec<u64> = (0..8).map(|_| c.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs, zs);
        assert!(a.below(10) < 10);
        assert_eq!(a.below(0), 0);
    }

    #[test]
    fn known_first_output() {
        // Reference value of splitmix64 seeded with 0.
        assert_eq!(SplitMix64::new(0).next_u64(), 0xe220_a839_7b1d_cdaf);
    }

    #[test]
    fn jitter_covers_its_range_and_no_more() {
        let mut r = SplitMix64::new(42);
        let base = Duration::from_secs(30);
        let (mut lo, mut hi) = (base, Duration::ZERO);
        for _ in 0..10_000 {
            let j = r.jitter(base, 750_000, 1_000_000);
            assert!(j >= base * 3 / 4 && j <= base, "{j:?}");
            lo = lo.min(j);
            hi = hi.max(j);
        }
        assert!(lo < Duration::from_millis(22_600));
        assert!(hi > Duration::from_millis(29_900));
        assert_eq!(r.jitter(base, 1_000_000, 1_000_000), base);
        assert_eq!(r.jitter(Duration::MAX, 1_000_000, 1_000_000), Duration::from_nanos(u64::MAX));
    }
}
