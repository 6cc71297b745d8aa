//! A small seeded pseudo-random generator (splitmix64) for transmit jitter and
//! discriminators.
//!
//! The crate draws no ambient randomness: the seed comes from the caller, so a simulation
//! replays exactly. splitmix64 is not cryptographic; jitter only has to keep systems from
//! sending in lockstep (RFC 5880 §6.8.7), and discriminators only have to differ.

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

    /// Next 32 random bits.
    pub(crate) fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    /// The interval to wait before the next periodic packet. RFC 5880 §6.8.7: "The periodic
    /// transmission of BFD Control packets MUST be jittered on a per-packet basis by up to
    /// 25%, that is, the interval MUST be reduced by a random value of 0 to 25%". With a
    /// Detect Mult of 1 a late packet is a lost session, so then the interval is "no more
    /// than 90% of the negotiated transmission interval, and MUST be no less than 75%".
    /// Integer arithmetic in millionths, so every platform computes the same deadline.
    pub(crate) fn jitter(&mut self, base: Duration, detect_mult: u8) -> Duration {
        let high = if detect_mult == 1 { 900_000 } else { 1_000_000 };
        let factor = 750_000 + self.next_u64() % (high - 750_000 + 1);
        let nanos = base.as_nanos().saturating_mul(u128::from(factor)) / 1_000_000;
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_first_output() {
        // Reference value of splitmix64 seeded with 0.
        assert_eq!(SplitMix64::new(0).next_u64(), 0xe220_a839_7b1d_cdaf);
    }

    #[test]
    fn jitter_ranges() {
        let base = Duration::from_millis(300);
        for (mult, hi_factor) in [(3u8, 100u32), (1, 90)] {
            let mut r = SplitMix64::new(42);
            let (mut lo, mut hi) = (base, Duration::ZERO);
            for _ in 0..10_000 {
                let j = r.jitter(base, mult);
                assert!(j >= base * 75 / 100 && j <= base * hi_factor / 100, "{mult}: {j:?}");
                lo = lo.min(j);
                hi = hi.max(j);
            }
            // Uniform: both ends are approached.
            assert!(lo < base * 76 / 100, "{lo:?}");
            assert!(hi > base * (hi_factor - 1) / 100, "{hi:?}");
        }
    }
}
