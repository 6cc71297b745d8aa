//! One address family's table: destinations in prefix order.
//!
//! Destinations live in sorted leaves of at most [`LEAF`] (a two-level B+-tree: a directory
//! of the leaves' first keys, binary searched, then the leaf, binary searched). There is no
//! separate index: a destination costs its own 16 octets (IPv4) and nothing more. A full
//! table arrives in prefix order, so a load appends to the last leaf and walks memory in
//! order; on a virtual machine where a random access costs 200-400 ns (a small cache, two
//! levels of page tables) that is what makes a table load fast. Lookups at random cost a
//! search of the directory (small enough to stay in cache) and of one leaf.
//!
//! Positions ([`Pos`]) are valid until the table's shape changes (an insertion or a
//! sweep); queues keep prefixes instead. A destination left without paths stays, empty,
//! until a sweep removes such destinations in bulk ([`Table::note_empty`]).

use crate::key::Addr;
use crate::slots::Slots;

/// Most destinations in a leaf: 4 KiB of IPv4 destinations.
pub(crate) const LEAF: usize = 256;
/// At most this many destinations at the head of a leaf move to the leaf before it to make
/// room for an insertion (see `Table::insert_at`).
const SHIFT_LEFT: usize = 8;

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

/// The best path a destination had before a queued change: its neighbour and path
/// identifier (values, not ids that a release could free).
pub(crate) type PrevBest = Option<(u32, u32)>;

/// Destination flag: `paths[0]` is the BGP best path.
pub(crate) const HAS_BEST: u8 = 1;
/// Destination flag: queued for a FIB recomputation.
pub(crate) const FIB_QUEUED: u8 = 2;
/// Destination flag: queued for a best-path change report.
pub(crate) const BEST_QUEUED: u8 = 4;

/// A destination: 16 octets for IPv4, 32 for IPv6.
///
/// With one path, the path is held inline (`one`); with more, `one.rec` names a
/// [`PathList`] and `one.since` is unused. The forwarding state is not stored: it follows
/// from the paths, and the state last reported is kept only while a change is queued.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Dest<A> {
    pub addr: A,
    pub len: u8,
    pub flags: u8,
    pub npaths: u16,
    pub one: Path,
}

impl<A: Addr> Dest<A> {
    #[inline(always)]
    pub fn key(&self) -> (A, u8) {
        (self.addr, self.len)
    }

    pub fn prefix(&self) -> ipnet::IpNet {
        self.addr.to_net(self.len)
    }
}

/// Paths of a destination with more than one: the BGP best first when there is one, then
/// the rest of the multipath set (`nmulti` in all), then the others.
#[derive(Clone, Debug, Default)]
pub(crate) struct PathList {
    pub nmulti: u16,
    pub paths: Vec<Path>,
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
}

/// Where a destination is: its leaf (an id that a split does not change) and its index in
/// the leaf (which insertions before it shift).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Pos {
    leaf: u32,
    idx: u32,
}

#[derive(Debug)]
pub(crate) struct Table<A: Addr> {
    /// Leaves by id (a freed leaf is an empty vector whose id is in `free`).
    leaves: Leaves<A>,
    /// The leaves in order: each one's first key and id.
    dir: Vec<((A, u8), u32)>,
    /// Destinations per prefix length, so longest-prefix match skips absent lengths.
    per_len: Vec<u32>,
    len: usize,
    /// Destinations left empty since the last sweep (an estimate: some may have been
    /// filled again).
    empties: usize,
    /// The place in the directory last found: lookups in prefix order (a table load, the
    /// queues drained after it) stay in one leaf or move to the next.
    cursor: std::cell::Cell<usize>,
    pub lists: Slots<PathList>,
    /// Prefixes whose forwarding state may have changed ([`FIB_QUEUED`] set), where they
    /// were, and the state last reported (a group holding a reference, or `NONE`).
    pub fib_queue: Queue<((A, u8), Pos, u32)>,
    /// No forwarding changes are wanted: nothing goes into `fib_queue`.
    pub no_fib: bool,
    /// Prefixes whose best path changed ([`BEST_QUEUED`] set), where they were, and the
    /// best path before the first change (its neighbour and path identifier).
    pub best_queue: Queue<((A, u8), Pos, PrevBest)>,
}

impl<A: Addr> Default for Table<A> {
    fn default() -> Self {
        Table {
            leaves: Leaves::default(),
            dir: Vec::new(),
            per_len: vec![0; usize::from(A::BITS) + 1],
            len: 0,
            empties: 0,
            cursor: std::cell::Cell::new(0),
            lists: Slots::default(),
            fib_queue: Queue::default(),
            no_fib: false,
            best_queue: Queue::default(),
        }
    }
}

impl<A: Addr> Table<A> {
    /// The place in the directory of the leaf that holds `key` if anything does: the last
    /// whose first key is not above it.
    #[inline]
    fn dir_of(&self, key: (A, u8)) -> Option<usize> {
        // A table load appends: try the last leaf before searching.
        match self.dir.last() {
            Some((last, _)) if *last <= key => return Some(self.dir.len() - 1),
            None => return None,
            _ => {}
        }
        // Then the leaf of the last lookup, and the one after it.
        let c = self.cursor.get();
        for di in [c, c + 1] {
            let starts = self.dir.get(di).is_some_and(|(f, _)| *f <= key);
            if starts && self.dir.get(di + 1).is_some_and(|(f, _)| key < *f) {
                self.cursor.set(di);
                return Some(di);
            }
        }
        let di = self.dir.partition_point(|(f, _)| *f <= key).checked_sub(1)?;
        self.cursor.set(di);
        Some(di)
    }

    #[inline]
    fn search(&self, leaf: u32, key: (A, u8)) -> Result<usize, usize> {
        match self.leaves.get(leaf) {
            Some(l) => l.binary_search_by(|d| d.key().cmp(&key)),
            None => Err(0),
        }
    }

    /// The destination of `key`, looked for first where it was (`hint`): the queues keep
    /// positions, which stay right unless the leaf changed since.
    #[inline]
    pub fn find_hinted(&self, key: (A, u8), hint: Pos) -> Option<Pos> {
        if self.get(hint).is_some_and(|d| d.key() == key) {
            return Some(hint);
        }
        // Shifted inside its leaf.
        if let Ok(idx) = self.search(hint.leaf, key) {
            return Some(Pos { leaf: hint.leaf, idx: idx as u32 });
        }
        self.find(key)
    }

    /// The destination of a canonical prefix.
    #[inline]
    pub fn find(&self, key: (A, u8)) -> Option<Pos> {
        let leaf = self.dir.get(self.dir_of(key)?)?.1;
        let idx = self.search(leaf, key).ok()?;
        Some(Pos { leaf, idx: idx as u32 })
    }

    /// The destination of a canonical prefix, created empty when missing; `true` if new.
    pub fn find_or_insert(&mut self, key: (A, u8)) -> (Pos, bool) {
        let fresh = Dest { addr: key.0, len: key.1, ..Dest::default() };
        let Some(di) = self.dir_of(key) else {
            // Before every leaf (or no leaf yet): into the first one.
            return (self.insert_at(0, 0, fresh), true);
        };
        let leaf = self.dir[di].1;
        // Past the last destination of the last leaf: an append, no search.
        if di + 1 == self.dir.len() {
            if let Some(l) = self.leaves.get(leaf) {
                if l.last().is_some_and(|d| d.key() < key) {
                    return (self.insert_at(di, l.len(), fresh), true);
                }
            }
        }
        match self.search(leaf, key) {
            Ok(idx) => (Pos { leaf, idx: idx as u32 }, false),
            Err(idx) => (self.insert_at(di, idx, fresh), true),
        }
    }

    fn insert_at(&mut self, di: usize, idx: usize, d: Dest<A>) -> Pos {
        self.len += 1;
        if let Some(n) = self.per_len.get_mut(usize::from(d.len)) {
            *n += 1;
        }
        let Some(&(_, leaf)) = self.dir.get(di) else {
            let leaf = self.leaves.insert(leaf_with(d));
            self.dir.insert(0, (d.key(), leaf));
            return Pos { leaf, idx: 0 };
        };
        let n = self.leaves.get(leaf).map_or(0, Vec::len);
        // Just after the first few destinations of a leaf whose lower neighbour has room:
        // those few move to the end of that neighbour, and the new one after them. A table
        // learnt again in order, around what is left of it, then fills the leaf it is
        // loading into instead of stopping at each remaining destination.
        if (1..=SHIFT_LEFT).contains(&idx) && di > 0 {
            let prev = self.dir[di - 1].1;
            if self.leaves.get(prev).is_some_and(|l| l.len() + idx < LEAF) {
                let head: Vec<Dest<A>> =
                    self.leaves.get_mut(leaf).map(|l| l.drain(..idx).collect()).unwrap_or_default();
                if let Some(first) = self.leaves.get(leaf).and_then(|l| l.first()) {
                    self.dir[di].0 = first.key();
                } else {
                    // Emptied: the leaf goes.
                    self.leaves.remove(leaf);
                    self.dir.remove(di);
                }
                let Some(l) = self.leaves.get_mut(prev) else { return Pos { leaf, idx: 0 } };
                l.extend(head);
                l.push(d);
                return Pos { leaf: prev, idx: (l.len() - 1) as u32 };
            }
        }
        if n < LEAF {
            if let Some(l) = self.leaves.get_mut(leaf) {
                l.insert(idx, d);
            }
            if idx == 0 {
                self.dir[di].0 = d.key();
            }
            return Pos { leaf, idx: idx as u32 };
        }
        if idx == LEAF && di + 1 == self.dir.len() {
            // Past the end of a full last leaf (a table arriving in order): a new leaf, so
            // leaves filled in order stay full.
            let new = self.leaves.insert(leaf_with(d));
            self.dir.push((d.key(), new));
            return Pos { leaf: new, idx: 0 };
        }
        // A full leaf with room in the next one (a table arriving nearly in order: the leaf
        // being filled follows): its last destination moves over, the leaf stays full.
        if let Some(&(_, next)) = self.dir.get(di + 1) {
            if self.leaves.get(next).is_some_and(|l| l.len() < LEAF) {
                let moved = if idx == LEAF {
                    d
                } else {
                    let Some(l) = self.leaves.get_mut(leaf) else { return Pos { leaf, idx: 0 } };
                    let last = l.pop().unwrap_or(d);
                    l.insert(idx, d);
                    last
                };
                if let Some(l) = self.leaves.get_mut(next) {
                    l.insert(0, moved);
                }
                self.dir[di + 1].0 = moved.key();
                if idx == 0 {
                    self.dir[di].0 = d.key();
                }
                return if idx == LEAF {
                    Pos { leaf: next, idx: 0 }
                } else {
                    Pos { leaf, idx: idx as u32 }
                };
            }
        }
        // Split the leaf in two halves (the upper half gets a new id), then insert into the
        // half that holds the place. Splits leave half-full leaves behind: when leaves hold
        // less than 70% on average, pack them again first.
        if self.dir.len() * LEAF * 7 > self.len * 10 && self.len > 4 * LEAF {
            self.repack();
            // Counted above, and again by the insertion below.
            self.len -= 1;
            if let Some(n) = self.per_len.get_mut(usize::from(d.len)) {
                *n -= 1;
            }
            let Some(di) = self.dir_of(d.key()) else { return self.insert_at(0, 0, d) };
            let leaf = self.dir[di].1;
            let idx = self.search(leaf, d.key()).unwrap_or_else(|i| i);
            return self.insert_at(di, idx, d);
        }
        // In the upper half, the split is where the insertion goes, and the new destination
        // ends the lower leaf: a table arriving in order into one that still holds some of
        // it (learnt again after a session reset) then appends to that leaf until it is
        // full, and what was left of the table moves ahead of the load in its own leaf.
        let at = idx.max(LEAF / 2);
        let mut upper = Vec::with_capacity(LEAF);
        if let Some(l) = self.leaves.get_mut(leaf) {
            upper.extend(l.drain(at..));
        }
        let first = upper.first().map(Dest::key).unwrap_or(d.key());
        let new = self.leaves.insert(upper);
        self.dir.insert(di + 1, (first, new));
        let (di, leaf, idx) = if idx < LEAF { (di, leaf, idx) } else { (di + 1, new, 0) };
        if let Some(l) = self.leaves.get_mut(leaf) {
            l.insert(idx, d);
        }
        if idx == 0 {
            self.dir[di].0 = d.key();
        }
        Pos { leaf, idx: idx as u32 }
    }

    #[inline(always)]
    pub fn get(&self, pos: Pos) -> Option<&Dest<A>> {
        self.leaves.get(pos.leaf)?.get(pos.idx as usize)
    }

    #[inline(always)]
    pub fn get_mut(&mut self, pos: Pos) -> Option<&mut Dest<A>> {
        self.leaves.get_mut(pos.leaf)?.get_mut(pos.idx as usize)
    }

    /// The longest prefix holding `addr` that `accept` takes, at most `max_len` long.
    pub fn longest_match(
        &self,
        addr: A,
        max_len: u8,
        mut accept: impl FnMut(Pos) -> bool,
    ) -> Option<Pos> {
        for len in (0..=max_len.min(A::BITS)).rev() {
            if self.per_len.get(usize::from(len)).is_none_or(|n| *n == 0) {
                continue;
            }
            if let Some(pos) = self.find((addr.mask(len), len)) {
                if accept(pos) {
                    return Some(pos);
                }
            }
        }
        None
    }

    /// Number of destinations, empty ones not yet swept included.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Octets held on the heap by the leaves and their directory, and by path lists.
    pub fn heap_bytes(&self) -> (usize, usize) {
        let leaves: usize = self.leaves.all.iter().map(|l| l.capacity()).sum::<usize>()
            * std::mem::size_of::<Dest<A>>()
            + self.leaves.all.capacity() * std::mem::size_of::<Vec<Dest<A>>>()
            + self.dir.capacity() * std::mem::size_of::<((A, u8), u32)>();
        let lists = self.lists.heap_bytes()
            + self.lists.iter().map(|(_, l)| l.paths.capacity() * 8).sum::<usize>();
        (leaves, lists)
    }

    /// Number of destinations with at least one path (a walk).
    pub fn live(&self) -> usize {
        self.iter().filter(|d| d.npaths > 0).count()
    }

    /// Calls `f` with every position in prefix order; `f` may change destinations but must
    /// not insert or remove any.
    pub fn walk(&mut self, mut f: impl FnMut(&mut Self, Pos)) {
        let mut di = 0;
        while di < self.dir.len() {
            let leaf = self.dir[di].1;
            let mut idx = 0;
            while idx < self.leaves.get(leaf).map_or(0, Vec::len) {
                f(self, Pos { leaf, idx: idx as u32 });
                idx += 1;
            }
            di += 1;
        }
    }

    /// Every destination in prefix order.
    pub fn iter(&self) -> impl Iterator<Item = &Dest<A>> + '_ {
        self.dir.iter().filter_map(|(_, l)| self.leaves.get(*l)).flatten()
    }

    /// Queues a destination for a best-path report; `prev` is its best path before the
    /// change, kept when it is queued already (the report covers every change since).
    #[inline]
    pub fn queue_best(&mut self, pos: Pos, prev: PrevBest) {
        let Some(d) = self.get_mut(pos) else { return };
        if d.flags & BEST_QUEUED == 0 {
            d.flags |= BEST_QUEUED;
            let k = d.key();
            self.best_queue.push((k, pos, prev));
        }
    }

    /// Notes that a destination may be left with no path and nothing queued. Empty
    /// destinations are removed in bulk, by [`Table::sweep`], once they are many: one
    /// removal shifts up to a leaf, and a peer going down empties a whole table.
    pub fn note_empty(&mut self) {
        self.empties += 1;
        if self.empties > 4096.max(self.len / 8) {
            self.sweep();
        }
    }

    /// Removes every destination left without paths and without a queued report (after a
    /// walk that emptied some), and merges the leaves it leaves small.
    pub fn sweep(&mut self) {
        let gone = |d: &Dest<A>| d.npaths == 0 && d.flags & (FIB_QUEUED | BEST_QUEUED) == 0;
        let mut removed = 0;
        let per_len = &mut self.per_len;
        for &(_, leaf) in &self.dir {
            let Some(l) = self.leaves.get_mut(leaf) else { continue };
            l.retain(|d| {
                let g = gone(d);
                if g {
                    removed += 1;
                    if let Some(n) = per_len.get_mut(usize::from(d.len)) {
                        *n = n.saturating_sub(1);
                    }
                }
                !g
            });
        }
        self.empties = 0;
        if removed == 0 {
            return;
        }
        self.len -= removed;
        let mut kept: Vec<((A, u8), u32)> = Vec::with_capacity(self.dir.len());
        for (_, leaf) in std::mem::take(&mut self.dir) {
            let n = self.leaves.get(leaf).map_or(0, Vec::len);
            let last = kept.last().map(|&(_, l)| l);
            let room = last.map(|l| self.leaves.get(l).map_or(0, Vec::len) + n <= LEAF / 2);
            if n == 0 {
                self.leaves.remove(leaf);
            } else if let (Some(into), Some(true)) = (last, room) {
                let moved = self.leaves.remove(leaf);
                if let Some(l) = self.leaves.get_mut(into) {
                    l.extend(moved);
                }
            } else if let Some(first) = self.leaves.get(leaf).and_then(|l| l.first()) {
                kept.push((first.key(), leaf));
            }
        }
        self.dir = kept;
        if self.len == 0 {
            self.leaves = Leaves::default();
        }
    }

    /// Packs the destinations into leaves 7/8 full (room for a few insertions each), in one
    /// pass; positions change.
    fn repack(&mut self) {
        const FILL: usize = LEAF * 7 / 8;
        let mut dir = Vec::with_capacity(self.len.div_ceil(FILL));
        let mut leaves = Leaves::default();
        let mut cur: Vec<Dest<A>> = Vec::with_capacity(LEAF);
        for (_, id) in std::mem::take(&mut self.dir) {
            for d in self.leaves.remove(id) {
                if cur.len() == FILL {
                    let full = std::mem::replace(&mut cur, Vec::with_capacity(LEAF));
                    let first = full.first().map(Dest::key).unwrap_or(d.key());
                    dir.push((first, leaves.insert(full)));
                }
                cur.push(d);
            }
        }
        if let Some(first) = cur.first().map(Dest::key) {
            dir.push((first, leaves.insert(cur)));
        }
        self.dir = dir;
        self.leaves = leaves;
        self.cursor.set(0);
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

/// Leaves by id: one level of indirection (a leaf's id is its index), freed ids reused.
#[derive(Debug)]
struct Leaves<A> {
    all: Vec<Vec<Dest<A>>>,
    free: Vec<u32>,
}

impl<A> Default for Leaves<A> {
    fn default() -> Self {
        Leaves { all: Vec::new(), free: Vec::new() }
    }
}

impl<A> Leaves<A> {
    #[inline(always)]
    fn get(&self, id: u32) -> Option<&Vec<Dest<A>>> {
        self.all.get(id as usize)
    }

    #[inline(always)]
    fn get_mut(&mut self, id: u32) -> Option<&mut Vec<Dest<A>>> {
        self.all.get_mut(id as usize)
    }

    fn insert(&mut self, leaf: Vec<Dest<A>>) -> u32 {
        match self.free.pop() {
            Some(id) => {
                if let Some(l) = self.all.get_mut(id as usize) {
                    *l = leaf;
                }
                id
            }
            None => {
                self.all.push(leaf);
                self.all.len() as u32 - 1
            }
        }
    }

    fn remove(&mut self, id: u32) -> Vec<Dest<A>> {
        match self.all.get_mut(id as usize) {
            Some(l) => {
                self.free.push(id);
                std::mem::take(l)
            }
            None => Vec::new(),
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.all.len() - self.free.len()
    }
}

fn leaf_with<A: Addr>(d: Dest<A>) -> Vec<Dest<A>> {
    let mut v = Vec::with_capacity(LEAF);
    v.push(d);
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn key(a: u32, l: u8) -> (u32, u8) {
        (a.mask(l), l)
    }

    /// Empties the destination of `k` as the table does (no path, nothing queued).
    fn empty(t: &mut Table<u32>, k: (u32, u8)) -> bool {
        match t.find(k).and_then(|p| t.get_mut(p)) {
            Some(d) if d.npaths > 0 => {
                d.npaths = 0;
                true
            }
            _ => false,
        }
    }

    proptest! {
        /// Insertions and removals in any order keep the table equal to a sorted set.
        #[test]
        fn behaves_like_a_sorted_set(ops in prop::collection::vec((0u8..3, 0u32..4096, 20u8..=32), 1..3000)) {
            let mut t: Table<u32> = Table::default();
            let mut r: BTreeSet<(u32, u8)> = BTreeSet::new();
            for (op, a, l) in ops {
                let k = key(a << 12, l);
                match op {
                    0 | 1 => {
                        let (pos, _) = t.find_or_insert(k);
                        if let Some(d) = t.get_mut(pos) {
                            d.npaths = 1;
                        }
                        prop_assert_eq!(t.get(pos).map(|d| d.key()), Some(k));
                        r.insert(k);
                    }
                    _ => {
                        prop_assert_eq!(empty(&mut t, k), r.remove(&k));
                        t.note_empty();
                    }
                }
                prop_assert_eq!(t.live(), r.len());
            }
            t.sweep();
            let got: Vec<(u32, u8)> = t.iter().map(|d| d.key()).collect();
            let want: Vec<(u32, u8)> = r.iter().copied().collect();
            prop_assert_eq!(got, want);
            prop_assert_eq!(t.len(), r.len());
            for (first, id) in &t.dir {
                let leaf = t.leaves.get(*id).unwrap();
                prop_assert!(!leaf.is_empty() && leaf.len() <= LEAF);
                prop_assert_eq!(*first, leaf[0].key());
            }
            for k in &r {
                prop_assert!(t.find(*k).is_some());
            }
        }
    }

    #[test]
    fn ordered_load_fills_leaves() {
        let mut t: Table<u32> = Table::default();
        for i in 0..10_000u32 {
            t.find_or_insert(key(i << 8, 24));
        }
        assert_eq!(t.dir.len(), 10_000usize.div_ceil(LEAF));
        assert!(t.dir[..t.dir.len() - 1]
            .iter()
            .all(|(_, l)| t.leaves.get(*l).unwrap().len() == LEAF));
        assert!(t.find(key(5 << 8, 24)).is_some());
        assert!(t.find(key(5 << 8, 23)).is_none());
    }

    #[test]
    fn ordered_load_into_what_is_left_fills_leaves() {
        // A session reset: most of the table withdrawn and swept, then all of it learnt
        // again in order.
        let mut t: Table<u32> = Table::default();
        let n = 40_000u32;
        for i in 0..n {
            let (p, _) = t.find_or_insert(key(i << 8, 24));
            t.get_mut(p).unwrap().npaths = 1;
        }
        for i in 0..n {
            if i % 97 != 0 {
                assert!(empty(&mut t, key(i << 8, 24)));
            }
        }
        t.sweep();
        for i in 0..n {
            t.find_or_insert(key(i << 8, 24));
        }
        assert_eq!(t.len(), n as usize);
        let least = (n as usize).div_ceil(LEAF);
        let fills: Vec<usize> =
            t.dir.iter().map(|(_, l)| t.leaves.get(*l).unwrap().len()).collect();
        assert!(t.dir.len() <= least + 2, "{} leaves for {n} destinations: {fills:?}", t.dir.len());
    }

    #[test]
    fn longest_match_skips_absent_lengths() {
        let mut t: Table<u32> = Table::default();
        for (a, l) in [(0x0a00_0000, 8), (0x0a01_0000, 16), (0x0a01_0200, 24)] {
            t.find_or_insert((a, l));
        }
        let get = |t: &Table<u32>, a: u32| {
            t.longest_match(a, 32, |_| true).and_then(|p| t.get(p)).map(|d| d.len)
        };
        assert_eq!(get(&t, 0x0a01_0203), Some(24));
        assert_eq!(get(&t, 0x0a01_0303), Some(16));
        assert_eq!(get(&t, 0x0a02_0000), Some(8));
        assert_eq!(get(&t, 0x0b00_0000), None);
    }

    #[test]
    fn withdrawals_give_leaves_back() {
        let mut t: Table<u32> = Table::default();
        for i in 0..5_000u32 {
            let (p, _) = t.find_or_insert(key(i << 8, 24));
            t.get_mut(p).unwrap().npaths = 1;
        }
        for i in 0..5_000u32 {
            if i % 16 != 0 {
                assert!(empty(&mut t, key(i << 8, 24)));
            }
        }
        t.sweep();
        assert_eq!(t.len(), 313);
        assert!(t.dir.len() <= 3, "{} leaves for 313 destinations", t.dir.len());
        assert_eq!(t.leaves.len(), t.dir.len());
    }
}
