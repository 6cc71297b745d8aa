//! One address family's table: destinations keyed by prefix.
//!
//! Destinations live in a chunked store ([`Slots`]) and are found through one hash index
//! per prefix length holding only their `u32` ids (5 octets a slot with hashbrown's control
//! byte). Per-length indexes make longest-prefix match a probe of each length present,
//! longest first, in tables that are small for the rare lengths; and each index grows on
//! its own, so the table is not stuck at one half-empty power of two.

use hashbrown::HashTable;

use crate::key::Addr;
use crate::slots::Slots;

/// A path to a destination: an attribute record (or, with [`OTHER`] set, a route of
/// another protocol) and when it arrived.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Path {
    pub rec: u32,
    pub since: u32,
}

/// High bit of [`Path::rec`]: the path is a route of another protocol.
pub(crate) const OTHER: u32 = 1 << 31;

impl Path {
    #[inline(always)]
    pub fn is_bgp(&self) -> bool {
        self.rec & OTHER == 0
    }
}

/// Destination flag: `paths[0]` is the BGP best path.
pub(crate) const HAS_BEST: u8 = 1;
/// Destination flag: queued for a FIB recomputation.
pub(crate) const FIB_QUEUED: u8 = 2;
/// Destination flag: queued for a best-path change report.
pub(crate) const BEST_QUEUED: u8 = 4;

/// Length value of a free slot.
const FREE: u8 = u8::MAX;

/// A destination: 16 octets for IPv4, 32 for IPv6.
///
/// With one path, the path is held inline (`one`); with more, `one.rec` names a
/// [`PathList`] and `one.since` is unused. The forwarding state is not stored: it follows
/// from the paths, and the state last reported is kept only while a change is queued
/// ([`Queue`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Dest<A> {
    pub addr: A,
    pub len: u8,
    pub flags: u8,
    pub npaths: u16,
    pub one: Path,
}

impl<A: Addr> Default for Dest<A> {
    fn default() -> Self {
        Dest { addr: A::default(), len: FREE, flags: 0, npaths: 0, one: Path::default() }
    }
}

/// A first-in first-out queue read from a cursor: pushing and taking are a store and a
/// load, and the memory goes back once it is drained.
#[derive(Debug)]
pub(crate) struct Queue<T> {
    items: Vec<T>,
    head: usize,
}

impl<T: Copy> Default for Queue<T> {
    fn default() -> Self {
        Queue { items: Vec::new(), head: 0 }
    }
}

impl<T: Copy> Queue<T> {
    #[inline(always)]
    pub fn push(&mut self, v: T) {
        self.items.push(v);
    }

    #[inline]
    pub fn pop(&mut self) -> Option<T> {
        let v = self.items.get(self.head).copied();
        match v {
            Some(_) => self.head += 1,
            None => {
                // Drained: start over, and give back a large buffer.
                self.head = 0;
                if self.items.capacity() > 4096 {
                    self.items = Vec::new();
                } else {
                    self.items.clear();
                }
            }
        }
        v
    }

    pub fn is_empty(&self) -> bool {
        self.head >= self.items.len()
    }

    /// The items still queued.
    pub fn pending(&self) -> &[T] {
        self.items.get(self.head..).unwrap_or(&[])
    }
}

impl<A> Dest<A> {
    pub fn is_free(&self) -> bool {
        self.len == FREE
    }
}

/// Paths of a destination with more than one: the BGP best first when there is one, then
/// the rest of the multipath set (`nmulti` in all), then the others.
#[derive(Clone, Debug, Default)]
pub(crate) struct PathList {
    pub nmulti: u16,
    pub paths: Vec<Path>,
}

#[derive(Debug)]
pub(crate) struct Table<A: Addr> {
    seed: u64,
    index: Vec<HashTable<u32>>,
    /// Bit `l` set when some prefix of length `l` exists.
    lengths: [u64; 3],
    pub dests: Slots<Dest<A>>,
    pub lists: Slots<PathList>,
    /// Destinations whose forwarding state may have changed ([`FIB_QUEUED`] set), with
    /// the state last reported (a group holding a reference, or `NONE`).
    pub fib_queue: Queue<(u32, u32)>,
    /// Destinations whose best path changed ([`BEST_QUEUED`] set).
    pub best_queue: Queue<u32>,
}

impl<A: Addr> Table<A> {
    pub fn new(seed: u64) -> Table<A> {
        Table {
            seed,
            index: (0..=A::BITS).map(|_| HashTable::new()).collect(),
            lengths: [0; 3],
            dests: Slots::default(),
            lists: Slots::default(),
            fib_queue: Queue::default(),
            best_queue: Queue::default(),
        }
    }

    /// Queues a destination for a best-path report.
    #[inline]
    pub fn queue_best(&mut self, id: u32) {
        let Some(d) = self.dests.get_mut(id) else { return };
        if d.flags & BEST_QUEUED == 0 {
            d.flags |= BEST_QUEUED;
            self.best_queue.push(id);
        }
    }

    /// Removes a destination once it has no path, nothing installed and nothing queued.
    pub fn remove_if_done(&mut self, id: u32) {
        let done = self.dests.get(id).is_some_and(|d| {
            !d.is_free() && d.npaths == 0 && d.flags & (FIB_QUEUED | BEST_QUEUED) == 0
        });
        if done {
            self.remove(id);
        }
    }

    /// The prefix of a destination.
    pub fn prefix(&self, id: u32) -> Option<ipnet::IpNet> {
        self.dests.get(id).filter(|d| !d.is_free()).map(|d| d.addr.to_net(d.len))
    }

    /// The destination of a canonical prefix.
    #[inline]
    pub fn find(&self, addr: A, len: u8) -> Option<u32> {
        let dests = &self.dests;
        self.index
            .get(usize::from(len))?
            .find(addr.hash_with(self.seed), |&id| dests.get(id).is_some_and(|d| d.addr == addr))
            .copied()
    }

    /// The destination of a canonical prefix, created empty when missing; `true` if new.
    #[inline]
    pub fn find_or_insert(&mut self, addr: A, len: u8) -> (u32, bool) {
        let hash = addr.hash_with(self.seed);
        let Some(ix) = self.index.get_mut(usize::from(len)) else {
            return (crate::nexthop::NONE, false);
        };
        let dests = &self.dests;
        if let Some(&id) = ix.find(hash, |&id| dests.get(id).is_some_and(|d| d.addr == addr)) {
            return (id, false);
        }
        let id = self.dests.insert(Dest { addr, len, ..Dest::default() });
        let (dests, seed) = (&self.dests, self.seed);
        ix.insert_unique(hash, id, |&id| dests.get(id).map_or(0, |d| d.addr.hash_with(seed)));
        if let Some(w) = self.lengths.get_mut(usize::from(len / 64)) {
            *w |= 1 << (len % 64);
        }
        (id, true)
    }

    /// Removes an empty destination.
    pub fn remove(&mut self, id: u32) {
        let Some(d) = self.dests.get(id).copied() else { return };
        if d.is_free() {
            return;
        }
        let hash = d.addr.hash_with(self.seed);
        if let Some(ix) = self.index.get_mut(usize::from(d.len)) {
            if let Ok(e) = ix.find_entry(hash, |&x| x == id) {
                e.remove();
            }
            if ix.is_empty() {
                *ix = HashTable::new();
                if let Some(w) = self.lengths.get_mut(usize::from(d.len / 64)) {
                    *w &= !(1 << (d.len % 64));
                }
            }
        }
        self.dests.remove(id);
        self.dests.shrink_if_empty();
        if self.dests.len() == 0 {
            self.lists = Slots::default();
        }
    }

    /// The longest prefix holding `addr` that `accept` takes, at most `max_len` long.
    pub fn longest_match(
        &self,
        addr: A,
        max_len: u8,
        mut accept: impl FnMut(u32) -> bool,
    ) -> Option<u32> {
        for len in (0..=max_len.min(A::BITS)).rev() {
            if self.lengths.get(usize::from(len / 64)).is_none_or(|w| w & (1 << (len % 64)) == 0) {
                continue;
            }
            if let Some(id) = self.find(addr.mask(len), len) {
                if accept(id) {
                    return Some(id);
                }
            }
        }
        None
    }

    /// Number of destinations.
    pub fn len(&self) -> usize {
        self.dests.len()
    }

    /// Ids of the live destinations, in store order.
    pub fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.dests.iter().filter(|(_, d)| !d.is_free()).map(|(id, _)| id)
    }

    /// The paths of a destination.
    #[inline]
    pub fn paths<'a>(&'a self, d: &'a Dest<A>) -> &'a [Path] {
        match d.npaths {
            0 => &[],
            1 => std::slice::from_ref(&d.one),
            _ => self.lists.get(d.one.rec).map_or(&[], |l| &l.paths[..]),
        }
    }
}
