//! An ordered map kept as sorted leaves of up to [`LEAF`] entries, with a directory of first
//! keys: what an Adj-RIB-Out needs for a full table.
//!
//! Routes mostly arrive in order (a table is sent sorted), and a B-tree filled in order
//! keeps its nodes half full; here an entry appended after a full leaf starts a new leaf
//! instead of splitting it, so leaves filled in order stay full (about 24 octets per IPv4
//! route), and a leaf is halved only when an entry goes into its middle.

use std::collections::BTreeMap;

/// Entries per leaf.
pub(crate) const LEAF: usize = 128;

#[derive(Debug)]
pub(crate) struct Leaves<K, V> {
    /// First key of each leaf → its slot in `leaves`.
    dir: BTreeMap<K, u32>,
    leaves: Vec<Vec<(K, V)>>,
    /// Slots of `leaves` emptied, to reuse.
    free: Vec<u32>,
    len: usize,
}

impl<K, V> Default for Leaves<K, V> {
    fn default() -> Self {
        Leaves { dir: BTreeMap::new(), leaves: Vec::new(), free: Vec::new(), len: 0 }
    }
}

/// What [`Leaves::update`] does with the entry of a key.
pub(crate) enum Update<V> {
    Keep,
    Put(V),
    Remove,
}

impl<K: Ord + Copy, V: Copy> Leaves<K, V> {
    pub fn len(&self) -> usize {
        self.len
    }

    /// The leaf `k` belongs in: the last whose first key is not above it, or the first.
    fn leaf_for(&self, k: &K) -> Option<u32> {
        self.dir.range(..=*k).next_back().or_else(|| self.dir.iter().next()).map(|(_, &i)| i)
    }

    fn new_leaf(&mut self, entries: Vec<(K, V)>) -> u32 {
        let first = entries.first().map(|e| e.0);
        let i = match self.free.pop() {
            Some(i) => {
                if let Some(l) = self.leaves.get_mut(i as usize) {
                    *l = entries;
                }
                i
            }
            None => {
                self.leaves.push(entries);
                self.leaves.len() as u32 - 1
            }
        };
        if let Some(k) = first {
            self.dir.insert(k, i);
        }
        i
    }

    /// Calls `f` with the value of `k` (`None`: absent) and applies what it answers; returns
    /// the value that was there.
    pub fn update(&mut self, k: K, f: impl FnOnce(Option<V>) -> Update<V>) -> Option<V> {
        let Some(li) = self.leaf_for(&k) else {
            if let Update::Put(v) = f(None) {
                let mut leaf = Vec::with_capacity(LEAF);
                leaf.push((k, v));
                self.new_leaf(leaf);
                self.len += 1;
            }
            return None;
        };
        let leaf = self.leaves.get_mut(li as usize)?;
        let first = leaf.first().map(|e| e.0);
        match leaf.binary_search_by(|e| e.0.cmp(&k)) {
            Ok(i) => {
                let old = leaf.get(i).map(|e| e.1);
                match f(old) {
                    Update::Keep => {}
                    Update::Put(v) => {
                        if let Some(e) = leaf.get_mut(i) {
                            e.1 = v;
                        }
                    }
                    Update::Remove => {
                        leaf.remove(i);
                        self.len -= 1;
                        let new_first = leaf.first().map(|e| e.0);
                        self.rekey(li, first, new_first);
                    }
                }
                old
            }
            Err(i) => {
                let Update::Put(v) = f(None) else { return None };
                self.len += 1;
                if leaf.len() < LEAF {
                    leaf.insert(i, (k, v));
                    if i == 0 {
                        self.rekey(li, first, Some(k));
                    }
                } else if i == LEAF {
                    // Appended after a full leaf: a leaf of its own, the others stay full.
                    let mut next = Vec::with_capacity(LEAF);
                    next.push((k, v));
                    self.new_leaf(next);
                } else {
                    let mut upper = Vec::with_capacity(LEAF);
                    upper.extend(leaf.drain(LEAF / 2..));
                    if i < LEAF / 2 {
                        leaf.insert(i, (k, v));
                    } else {
                        upper.insert(i - LEAF / 2, (k, v));
                    }
                    let new_first = leaf.first().map(|e| e.0);
                    self.new_leaf(upper);
                    self.rekey(li, first, new_first);
                }
                None
            }
        }
    }

    /// The first key of leaf `li` went from `old` to `new` (`None`: the leaf is empty).
    fn rekey(&mut self, li: u32, old: Option<K>, new: Option<K>) {
        if old == new {
            return;
        }
        if let Some(o) = old {
            self.dir.remove(&o);
        }
        match new {
            Some(n) => {
                self.dir.insert(n, li);
            }
            None => {
                if let Some(l) = self.leaves.get_mut(li as usize) {
                    *l = Vec::new();
                }
                self.free.push(li);
            }
        }
    }

    /// Every entry, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (K, V)> + '_ {
        self.dir.values().filter_map(|&i| self.leaves.get(i as usize)).flatten().copied()
    }

    pub fn clear(&mut self) {
        *self = Leaves { dir: BTreeMap::new(), leaves: Vec::new(), free: Vec::new(), len: 0 };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn put(m: &mut Leaves<u32, u32>, k: u32, v: Option<u32>) -> Option<u32> {
        m.update(k, |_| v.map_or(Update::Remove, Update::Put))
    }

    #[test]
    fn filled_in_order_the_leaves_are_full() {
        let mut m = Leaves::default();
        for k in 0..(LEAF as u32 * 10) {
            put(&mut m, k, Some(k));
        }
        assert_eq!(m.dir.len(), 10);
        assert!(m.leaves.iter().all(|l| l.len() == LEAF));
        assert_eq!(
            m.iter().map(|e| e.0).collect::<Vec<_>>(),
            (0..LEAF as u32 * 10).collect::<Vec<_>>()
        );
    }

    proptest! {
        /// The same answers, entries and order as a `BTreeMap` after any mix of inserts,
        /// replacements and removals.
        #[test]
        fn behaves_as_a_btree_map(ops in prop::collection::vec((0u32..2000, prop::option::of(any::<u32>())), 0..3000)) {
            let mut m = Leaves::default();
            let mut b = BTreeMap::new();
            for (k, v) in ops {
                let want = match v {
                    Some(v) => b.insert(k, v),
                    None => b.remove(&k),
                };
                prop_assert_eq!(put(&mut m, k, v), want);
                prop_assert_eq!(m.len(), b.len());
            }
            prop_assert_eq!(m.iter().collect::<Vec<_>>(), b.into_iter().collect::<Vec<_>>());
            for l in &m.leaves {
                prop_assert!(l.len() <= LEAF);
            }
        }
    }
}
