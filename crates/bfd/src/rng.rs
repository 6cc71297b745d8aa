//! Transmit jitter on the family's seeded generator ([`sansio::SplitMix64`]); discriminators
//! are drawn from it too. The seed comes from the caller, so a simulation replays exactly.

use core::time::Duration;

pub(crate) use sansio::SplitMix64;

/// The interval to wait before the next periodic packet. RFC 5880 §6.8.7: "The periodic
/// transmission of BFD Control packets MUST be jittered on a per-packet basis by up to 25%,
/// that is, the interval MUST be reduced by a random value of 0 to 25%". With a Detect Mult
/// of 1 a late packet is a lost session, so then the interval is "no more than 90% of the
/// negotiated transmission interval, and MUST be no less than 75%".
pub(crate) fn jitter(rng: &mut SplitMix64, base: Duration, detect_mult: u8) -> Duration {
    let high = if detect_mult == 1 { 900_000 } else { 1_000_000 };
    rng.jitter(base, 750_000, high)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_ranges() {
        let base = Duration::from_millis(300);
        for (mult, hi_factor) in [(3u8, 100u32), (1, 90)] {
            let mut r = SplitMix64::new(42);
            let (mut lo, mut hi) = (base, Duration::ZERO);
            for _ in 0..10_000 {
                let j = jitter(&mut r, base, mult);
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
