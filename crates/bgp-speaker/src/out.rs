//! Interned outgoing attribute sets: what an update group advertises for a prefix.
//! (The same store keeps the received attribute sets of an Adj-RIB-In.)

use bgp_wire::attribute::{NextHop, PathAttribute};
use hashbrown::HashMap;

/// The attributes sent with a route (NEXT_HOP and MP_REACH_NLRI are written by the UPDATE
/// builder from `next_hop`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Out {
    pub attrs: Vec<PathAttribute>,
    pub next_hop: NextHop,
}

/// Outgoing sets stored once, with reference counts held by the Adj-RIB-Out entries.
pub(crate) type OutStore = Interner<Out>;

/// Values stored once, by id, with reference counts.
#[derive(Debug)]
pub(crate) struct Interner<T> {
    slots: Vec<Option<(T, u32)>>,
    free: Vec<u32>,
    index: HashMap<T, u32, foldhash::fast::FixedState>,
}

impl<T> Default for Interner<T> {
    fn default() -> Self {
        Interner { slots: Vec::new(), free: Vec::new(), index: HashMap::default() }
    }
}

impl<T: Clone + Eq + std::hash::Hash> Interner<T> {
    /// The id of `out`, with one more reference.
    pub fn intern(&mut self, out: T) -> u32 {
        if let Some(&id) = self.index.get(&out) {
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
        self.index.insert(out.clone(), id);
        if let Some(slot) = self.slots.get_mut(id as usize) {
            *slot = Some((out, 1));
        }
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
                self.index.remove(&out);
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
