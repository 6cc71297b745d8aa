//! A store of values addressed by dense `u32` ids.
//!
//! Values live in chunks of a fixed size, so growing the store never moves what is stored
//! (no doubling copy of a large array, no transient peak of twice the memory) and never
//! leaves more than one chunk unused. Freed ids are reused, most recently freed first.

const SHIFT: u32 = 12;
const CHUNK: usize = 1 << SHIFT;
const MASK: u32 = (1 << SHIFT) - 1;

#[derive(Debug)]
pub(crate) struct Slots<T> {
    chunks: Vec<Vec<T>>,
    free: Vec<u32>,
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Slots { chunks: Vec::new(), free: Vec::new() }
    }
}

impl<T: Default> Slots<T> {
    /// Stores `value` and returns its id.
    #[inline]
    pub fn insert(&mut self, value: T) -> u32 {
        if let Some(id) = self.free.pop() {
            if let Some(slot) = self.get_mut(id) {
                *slot = value;
                return id;
            }
        }
        let last_full = self.chunks.last().is_none_or(|c| c.len() == CHUNK);
        if last_full {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        let n = self.chunks.len() - 1;
        let chunk = &mut self.chunks[n];
        chunk.push(value);
        ((n as u32) << SHIFT) | (chunk.len() as u32 - 1)
    }

    /// Frees `id`, returning its value; the slot holds `T::default()` until reused.
    pub fn remove(&mut self, id: u32) -> T {
        match self.get_mut(id) {
            Some(slot) => {
                let v = std::mem::take(slot);
                self.free.push(id);
                v
            }
            None => T::default(),
        }
    }
}

impl<T> Slots<T> {
    #[inline(always)]
    pub fn get(&self, id: u32) -> Option<&T> {
        self.chunks.get((id >> SHIFT) as usize)?.get((id & MASK) as usize)
    }

    #[inline(always)]
    pub fn get_mut(&mut self, id: u32) -> Option<&mut T> {
        self.chunks.get_mut((id >> SHIFT) as usize)?.get_mut((id & MASK) as usize)
    }

    /// Number of live values.
    pub fn len(&self) -> usize {
        self.capacity_used() - self.free.len()
    }

    fn capacity_used(&self) -> usize {
        self.chunks.iter().map(Vec::len).sum()
    }

    /// Every slot ever handed out, freed ones included (they hold `T::default()`), in id
    /// order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &T)> + '_ {
        self.chunks.iter().enumerate().flat_map(|(c, chunk)| {
            chunk.iter().enumerate().map(move |(i, v)| (((c as u32) << SHIFT) | i as u32, v))
        })
    }

    /// Octets held on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.chunks.iter().map(|c| c.capacity() * std::mem::size_of::<T>()).sum::<usize>()
            + self.chunks.capacity() * std::mem::size_of::<Vec<T>>()
            + self.free.capacity() * 4
    }

    /// Drops everything once nothing is live, returning the memory.
    pub fn shrink_if_empty(&mut self) {
        if self.len() == 0 {
            self.chunks = Vec::new();
            self.free = Vec::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_dense_stable_and_reused() {
        let mut s: Slots<u64> = Slots::default();
        let ids: Vec<u32> = (0..10_000u64).map(|v| s.insert(v + 1)).collect();
        assert_eq!(ids[4096], 1 << SHIFT);
        assert_eq!(s.get(ids[5000]), Some(&5001));
        assert_eq!(s.remove(ids[7]), 8);
        assert_eq!(s.len(), 9_999);
        assert_eq!(s.insert(42), ids[7]);
        assert_eq!(s.get(ids[7]), Some(&42));
        assert_eq!(s.iter().count(), 10_000);
        assert_eq!(s.get(99_999), None);
    }
}
