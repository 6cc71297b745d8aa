//! Draws for the table generator on the family's seeded generator (`sansio::SplitMix64`),
//! so generated tables are the same on every machine and every run.

pub use sansio::SplitMix64;

/// What the generator draws. A value in a range is reduced from 64 bits by multiply-shift
/// (not by `SplitMix64::below`'s modulo): the tables, and the figures measured on them, are
/// fixed by this sequence.
pub trait Draws {
    /// A value in `0..n` (`0` when `n` is 0).
    fn uniform(&mut self, n: u64) -> u64;
    /// A value in `lo..=hi`.
    fn range(&mut self, lo: u32, hi: u32) -> u32;
    /// True with probability `num / den`.
    fn chance(&mut self, num: u64, den: u64) -> bool;
    /// A count `>= 1` from the geometric distribution whose mean is `den / (den - num)`:
    /// keep adding one while a `num / den` chance succeeds.
    fn geometric(&mut self, num: u64, den: u64) -> usize;
    /// An index drawn with the given weights (all zero weights give index 0).
    fn weighted(&mut self, weights: &[u32]) -> usize;
}

impl Draws for SplitMix64 {
    fn uniform(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    fn range(&mut self, lo: u32, hi: u32) -> u32 {
        let span = u64::from(hi.saturating_sub(lo)) + 1;
        lo + self.uniform(span) as u32
    }

    fn chance(&mut self, num: u64, den: u64) -> bool {
        self.uniform(den) < num
    }

    fn geometric(&mut self, num: u64, den: u64) -> usize {
        let mut k = 1;
        while self.chance(num, den) {
            k += 1;
        }
        k
    }

    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut pick = self.uniform(total);
        for (i, &w) in weights.iter().enumerate() {
            if pick < u64::from(w) {
                return i;
            }
            pick -= u64::from(w);
        }
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reduction the tables were generated with: a change here changes every table.
    #[test]
    fn the_sequence_of_draws_is_fixed() {
        let mut r = SplitMix64::new(0x0d05_2026_0511);
        let got: Vec<u64> = (0..4).map(|_| r.uniform(1000)).collect();
        let mut again = SplitMix64::new(0x0d05_2026_0511);
        let want: Vec<u64> =
            (0..4).map(|_| ((u128::from(again.next_u64()) * 1000) >> 64) as u64).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn uniform_and_range_stay_in_bounds() {
        let mut r = SplitMix64::new(1);
        for _ in 0..10_000 {
            assert!(r.uniform(13) < 13);
            let v = r.range(5, 9);
            assert!((5..=9).contains(&v));
        }
        assert_eq!(r.uniform(0), 0);
    }

    #[test]
    fn geometric_mean_matches_its_parameters() {
        // Continue with probability 8/13: mean 13/5 = 2.6.
        let mut r = SplitMix64::new(42);
        let n = 200_000;
        let sum: usize = (0..n).map(|_| r.geometric(8, 13)).sum();
        let mean = sum as f64 / n as f64;
        assert!((mean - 2.6).abs() < 0.03, "mean {mean}");
    }

    #[test]
    fn weighted_follows_weights() {
        let mut r = SplitMix64::new(3);
        let mut counts = [0u32; 3];
        for _ in 0..30_000 {
            counts[r.weighted(&[1, 0, 2])] += 1;
        }
        assert_eq!(counts[1], 0);
        assert!(counts[2] > counts[0] * 3 / 2, "{counts:?}");
    }
}
