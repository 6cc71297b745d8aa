//! Bytes of interned attribute sets, packed into large chunks.
//!
//! One allocation per attribute set would cost an allocator header and rounding per set
//! (about 16 octets on a 50-octet set); here sets sit back to back in 1 MiB chunks and a set
//! is named by a `u32` offset. Freed space is kept in lists by exact size and reused by the
//! next set of that size.

use hashbrown::HashMap;

const CHUNK_SHIFT: u32 = 20;
const CHUNK: usize = 1 << CHUNK_SHIFT;
const OFF_MASK: u32 = (1 << CHUNK_SHIFT) - 1;

#[derive(Debug, Default)]
pub(crate) struct Arena {
    chunks: Vec<Vec<u8>>,
    /// Free spans by size.
    free: HashMap<u32, Vec<u32>, foldhash::fast::FixedState>,
    live: usize,
}

#[inline]
fn class(len: usize) -> u32 {
    len as u32
}

impl Arena {
    /// Stores `bytes` (at most 64 KiB) and returns their offset.
    pub fn alloc(&mut self, bytes: &[u8]) -> u32 {
        let size = class(bytes.len());
        self.live += size as usize;
        if let Some(off) = self.free.get_mut(&size).and_then(Vec::pop) {
            if let Some(dst) = self.span_mut(off, bytes.len()) {
                dst.copy_from_slice(bytes);
                return off;
            }
        }
        let fits = self.chunks.last().is_some_and(|c| c.len() + size as usize <= CHUNK);
        if !fits {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        let n = self.chunks.len() - 1;
        let chunk = &mut self.chunks[n];
        let off = chunk.len();
        chunk.extend_from_slice(bytes);
        chunk.resize(off + size as usize, 0);
        ((n as u32) << CHUNK_SHIFT) | off as u32
    }

    /// Gives back the span of `len` octets at `off`.
    pub fn free(&mut self, off: u32, len: usize) {
        let size = class(len);
        self.live = self.live.saturating_sub(size as usize);
        self.free.entry(size).or_default().push(off);
        if self.live == 0 {
            *self = Arena::default();
        }
    }

    /// Octets held on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.chunks.iter().map(Vec::capacity).sum::<usize>()
            + self.free.values().map(|v| v.capacity() * 4).sum::<usize>()
    }

    #[inline(always)]
    pub fn get(&self, off: u32, len: usize) -> &[u8] {
        let start = (off & OFF_MASK) as usize;
        self.chunks
            .get((off >> CHUNK_SHIFT) as usize)
            .and_then(|c| c.get(start..start + len))
            .unwrap_or(&[])
    }

    fn span_mut(&mut self, off: u32, len: usize) -> Option<&mut [u8]> {
        let start = (off & OFF_MASK) as usize;
        self.chunks.get_mut((off >> CHUNK_SHIFT) as usize)?.get_mut(start..start + len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_reuses_and_crosses_chunks() {
        let mut a = Arena::default();
        let x = a.alloc(b"hello");
        let y = a.alloc(&[7u8; 300]);
        assert_eq!(a.get(x, 5), b"hello");
        assert_eq!(a.get(y, 300), &[7u8; 300][..]);
        a.free(x, 5);
        // Same size: the span is reused.
        assert_eq!(a.alloc(b"HELLO"), x);
        assert_eq!(a.get(x, 5), b"HELLO");
        // Fill past one chunk: offsets stay valid.
        let offs: Vec<u32> = (0..5000).map(|i| a.alloc(&[i as u8; 250])).collect();
        assert!(offs.iter().any(|o| o >> CHUNK_SHIFT == 1));
        assert_eq!(a.get(offs[4999], 250), &[(4999 % 256) as u8; 250][..]);
    }
}
