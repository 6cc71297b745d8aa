//! A fast, deterministic hasher for integer keys (the multiply-rotate scheme
//! of rustc's FxHash): SPF maps are keyed by router IDs and addresses chosen
//! by the network operator, not by an attacker who could pick collisions at
//! scale, and a fixed hasher keeps the engine deterministic.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// The hasher.
#[derive(Debug, Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            for (d, s) in w.iter_mut().zip(chunk) {
                *d = *s;
            }
            self.add(u64::from_le_bytes(w));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // The multiply only carries low input bits upwards; hashbrown picks
        // buckets from the low bits, so fold the high half down (keys such
        // as /24 network addresses have eight zero low bits).
        let h = self.hash;
        (h ^ (h >> 32)).wrapping_mul(SEED) ^ (h >> 29)
    }
}

/// A `HashMap` with [`FxHasher`].
pub type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;
/// A `HashSet` with [`FxHasher`].
pub type FxHashSet<K> = HashSet<K, BuildHasherDefault<FxHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_spreads() {
        let mut a = FxHasher::default();
        a.write_u32(1);
        let mut b = FxHasher::default();
        b.write_u32(1);
        let mut c = FxHasher::default();
        c.write_u32(2);
        assert_eq!(a.finish(), b.finish());
        assert_ne!(a.finish(), c.finish());
        let mut m: FxHashMap<u32, u32> = FxHashMap::default();
        m.insert(3, 4);
        assert_eq!(m.get(&3), Some(&4));
        // Low bits must vary for keys whose own low bits do not.
        let lows: FxHashSet<u64> = (0..64u32)
            .map(|i| {
                let mut h = FxHasher::default();
                h.write_u32(i << 8);
                h.write_u8(24);
                h.finish() & 0xff
            })
            .collect();
        assert!(lows.len() > 32, "only {} distinct low bytes", lows.len());
    }
}
