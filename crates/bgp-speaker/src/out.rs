//! Interned outgoing attribute sets: what an update group advertises for a prefix.
//! (The same store keeps the received attribute sets of an Adj-RIB-In.)

use std::hash::BuildHasher;

use bgp_wire::attribute::NextHop;
use bgp_wire::update::builder::EncodedAttributes;
use hashbrown::HashTable;

/// The attributes sent with a route, encoded once for the group's context (NEXT_HOP and
/// MP_REACH_NLRI are written per message from `next_hop`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Out {
    pub attrs: EncodedAttributes,
    pub next_hop: NextHop,
}

/// Outgoing sets stored once, with reference counts held by the Adj-RIB-Out entries.
pub(crate) type OutStore = Interner<Out>;

/// Values stored once, by id, with reference counts. The index holds ids and hashes, not
/// values: a value is stored in its slot only.
#[derive(Debug)]
pub(crate) struct Interner<T> {
    slots: Vec<Option<(T, u32)>>,
    free: Vec<u32>,
    /// (id, 32 bits of the value's hash), found by that hash.
    index: HashTable<(u32, u32)>,
    hasher: foldhash::fast::FixedState,
}

impl<T> Default for Interner<T> {
    fn default() -> Self {
        Interner {
            slots: Vec::new(),
            free: Vec::new(),
            index: HashTable::new(),
            hasher: foldhash::fast::FixedState::default(),
        }
    }
}

/// The 64-bit hash the table probes with, from the 32 bits kept.
fn spread(h32: u32) -> u64 {
    u64::from(h32) | u64::from(h32) << 32
}

impl<T: Eq + std::hash::Hash> Interner<T> {
    fn hash(&self, out: &T) -> u32 {
        (self.hasher.hash_one(out) >> 32) as u32
    }

    /// The id of `out`, with one more reference.
    pub fn intern(&mut self, out: T) -> u32 {
        let h32 = self.hash(&out);
        let slots = &self.slots;
        let same = |&(id, h): &(u32, u32)| {
            h == h32 && matches!(slots.get(id as usize), Some(Some((o, _))) if *o == out)
        };
        if let Some(&(id, _)) = self.index.find(spread(h32), same) {
            if let Some(Some((_, refs))) = self.slots.get_mut(id as usize) {
                *refs += 1;
            }
            return id;
        }
        let id = match self.free.pop() {
            Some(id) => id,
            None => {
                self.slots.push(None);
                self.slots.len() as u32 - 1
            }
        };
        if let Some(slot) = self.slots.get_mut(id as usize) {
            *slot = Some((out, 1));
        }
        self.index.insert_unique(spread(h32), (id, h32), |&(_, h)| spread(h));
        id
    }

    pub fn add_ref(&mut self, id: u32) {
        if let Some(Some((_, refs))) = self.slots.get_mut(id as usize) {
            *refs += 1;
        }
    }

    pub fn release(&mut self, id: u32) {
        let Some(slot) = self.slots.get_mut(id as usize) else { return };
        let gone = match slot {
            Some((_, refs)) => {
                *refs = refs.saturating_sub(1);
                *refs == 0
            }
            None => false,
        };
        if gone {
            if let Some((out, _)) = slot.take() {
                let h32 = self.hash(&out);
                if let Ok(e) = self.index.find_entry(spread(h32), |x| x.0 == id) {
                    e.remove();
                }
            }
            self.free.push(id);
        }
    }

    pub fn get(&self, id: u32) -> Option<&T> {
        self.slots.get(id as usize)?.as_ref().map(|(o, _)| o)
    }

    /// Values stored.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.index.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bgp_wire::attribute::{Attribute, Origin, PathAttribute};
    use bgp_wire::update::builder::UpdateBuilder;

    fn out(origin: Origin, last: u8) -> Out {
        let attrs = [PathAttribute::new(Attribute::Origin(origin))];
        Out {
            attrs: UpdateBuilder::new(&bgp_wire::Context::modern(), &attrs).encoded(),
            next_hop: NextHop::Ipv4(std::net::Ipv4Addr::new(192, 0, 2, last)),
        }
    }

    #[test]
    fn a_set_is_stored_once_and_freed_with_its_last_reference() {
        let mut s = OutStore::default();
        let a = s.intern(out(Origin::Igp, 1));
        let b = s.intern(out(Origin::Igp, 2));
        assert_ne!(a, b);
        assert_eq!(s.intern(out(Origin::Igp, 1)), a, "the same set, the same id");
        s.add_ref(a);
        assert_eq!(s.get(a), Some(&out(Origin::Igp, 1)));
        for _ in 0..2 {
            s.release(a);
            assert!(s.get(a).is_some(), "references remain");
        }
        s.release(a);
        assert_eq!(s.get(a), None, "freed with its last reference");
        assert_eq!(s.index.len(), 1, "and gone from the index");
        // The id is reused, and the index finds the set there.
        let c = s.intern(out(Origin::Egp, 1));
        assert_eq!(c, a);
        assert_eq!(s.intern(out(Origin::Egp, 1)), c);
        assert_eq!(s.intern(out(Origin::Igp, 2)), b);
        assert_eq!(s.get(c), Some(&out(Origin::Egp, 1)));
    }

    #[test]
    fn many_sets_survive_the_index_growing() {
        let mut s = OutStore::default();
        let ids: Vec<u32> = (0..=255).map(|i| s.intern(out(Origin::Igp, i))).collect();
        for (i, id) in (0..=255).zip(&ids) {
            assert_eq!(s.intern(out(Origin::Igp, i)), *id);
        }
        assert_eq!(s.index.len(), 256);
    }
}
