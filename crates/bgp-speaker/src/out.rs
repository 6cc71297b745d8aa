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

/// An outgoing set as stored: its next hop by id (a group has one or a few next hops for
/// all its sets, and a next hop takes as much room as a set's other fields together).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Stored {
    attrs: EncodedAttributes,
    next_hop: u32,
}

/// An outgoing set read from the store.
#[derive(Clone, Copy, Debug)]
pub(crate) struct OutRef<'a> {
    pub attrs: &'a EncodedAttributes,
    pub next_hop: &'a NextHop,
}

/// Outgoing sets stored once, with reference counts held by the Adj-RIB-Out entries; their
/// next hops stored once too, referenced by the sets.
#[derive(Debug, Default)]
pub(crate) struct OutStore {
    sets: Interner<Stored>,
    hops: Interner<NextHop>,
}

impl OutStore {
    /// The id of `out`, with one more reference.
    pub fn intern(&mut self, out: Out) -> u32 {
        let next_hop = self.hops.intern(out.next_hop);
        let (id, new) = self.sets.intern_new(Stored { attrs: out.attrs, next_hop });
        if !new {
            // The set stored holds its own reference to the next hop.
            self.hops.release(next_hop);
        }
        id
    }

    pub fn add_ref(&mut self, id: u32) {
        self.sets.add_ref(id);
    }

    pub fn release(&mut self, id: u32) {
        if let Some(s) = self.sets.release(id) {
            self.hops.release(s.next_hop);
        }
    }

    pub fn get(&self, id: u32) -> Option<OutRef<'_>> {
        let s = self.sets.get(id)?;
        Some(OutRef { attrs: &s.attrs, next_hop: self.hops.get(s.next_hop)? })
    }

    /// Sets stored.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.sets.len()
    }
}

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
        self.intern_new(out).0
    }

    /// The id of `out`, with one more reference, and whether it was stored just now.
    pub fn intern_new(&mut self, out: T) -> (u32, bool) {
        let h32 = self.hash(&out);
        let slots = &self.slots;
        let same = |&(id, h): &(u32, u32)| {
            h == h32 && matches!(slots.get(id as usize), Some(Some((o, _))) if *o == out)
        };
        if let Some(&(id, _)) = self.index.find(spread(h32), same) {
            if let Some(Some((_, refs))) = self.slots.get_mut(id as usize) {
                *refs += 1;
            }
            return (id, false);
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
        (id, true)
    }

    pub fn add_ref(&mut self, id: u32) {
        if let Some(Some((_, refs))) = self.slots.get_mut(id as usize) {
            *refs += 1;
        }
    }

    /// Drops one reference; returns the value when that was the last (it is freed).
    pub fn release(&mut self, id: u32) -> Option<T> {
        let slot = self.slots.get_mut(id as usize)?;
        let gone = match slot {
            Some((_, refs)) => {
                *refs = refs.saturating_sub(1);
                *refs == 0
            }
            None => false,
        };
        if !gone {
            return None;
        }
        let (out, _) = slot.take()?;
        let h32 = self.hash(&out);
        if let Ok(e) = self.index.find_entry(spread(h32), |x| x.0 == id) {
            e.remove();
        }
        self.free.push(id);
        Some(out)
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

    fn owned(r: Option<OutRef<'_>>) -> Option<Out> {
        r.map(|r| Out { attrs: r.attrs.clone(), next_hop: r.next_hop.clone() })
    }

    #[test]
    fn a_set_is_stored_once_and_freed_with_its_last_reference() {
        let mut s = OutStore::default();
        let a = s.intern(out(Origin::Igp, 1));
        let b = s.intern(out(Origin::Igp, 2));
        assert_ne!(a, b);
        assert_eq!(s.intern(out(Origin::Igp, 1)), a, "the same set, the same id");
        s.add_ref(a);
        assert_eq!(owned(s.get(a)), Some(out(Origin::Igp, 1)));
        for _ in 0..2 {
            s.release(a);
            assert!(s.get(a).is_some(), "references remain");
        }
        s.release(a);
        assert!(s.get(a).is_none(), "freed with its last reference");
        assert_eq!(s.sets.index.len(), 1, "and gone from the index");
        assert_eq!(s.hops.len(), 1, "its next hop too");
        // The id is reused, and the index finds the set there.
        let c = s.intern(out(Origin::Egp, 1));
        assert_eq!(c, a);
        assert_eq!(s.intern(out(Origin::Egp, 1)), c);
        assert_eq!(s.intern(out(Origin::Igp, 2)), b);
        assert_eq!(owned(s.get(c)), Some(out(Origin::Egp, 1)));
    }

    #[test]
    fn sets_share_their_next_hop() {
        let mut s = OutStore::default();
        let ids = [s.intern(out(Origin::Igp, 1)), s.intern(out(Origin::Egp, 1))];
        s.intern(out(Origin::Igp, 1));
        assert_eq!((s.len(), s.hops.len()), (2, 1));
        s.release(ids[0]);
        s.release(ids[0]);
        assert_eq!((s.len(), s.hops.len()), (1, 1), "still used by the other set");
        s.release(ids[1]);
        assert_eq!((s.len(), s.hops.len()), (0, 0));
    }

    #[test]
    fn many_sets_survive_the_index_growing() {
        let mut s = OutStore::default();
        let ids: Vec<u32> = (0..=255).map(|i| s.intern(out(Origin::Igp, i))).collect();
        for (i, id) in (0..=255).zip(&ids) {
            assert_eq!(s.intern(out(Origin::Igp, i)), *id);
        }
        assert_eq!(s.sets.index.len(), 256);
    }
}
