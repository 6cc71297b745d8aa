//! Named slots: a name is given an index the first time anything mentions it, so that a
//! route map can be inserted before the lists it reads and evaluation never looks up a name.

use std::collections::HashMap;

/// Index of a slot that has not been resolved against any table.
pub(crate) const UNRESOLVED: u32 = u32::MAX;

#[derive(Clone, Debug)]
struct Slot<T> {
    name: String,
    value: Option<T>,
}

/// Values by name, each with a stable index; a slot stays empty (a placeholder) while it is
/// only referenced.
#[derive(Clone, Debug)]
pub(crate) struct Table<T> {
    index: HashMap<String, u32>,
    slots: Vec<Slot<T>>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table { index: HashMap::new(), slots: Vec::new() }
    }
}

impl<T> Table<T> {
    /// The index of `name`, creating a placeholder when it is new.
    pub(crate) fn resolve(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.slots.len() as u32;
        self.slots.push(Slot { name: name.to_owned(), value: None });
        self.index.insert(name.to_owned(), i);
        i
    }

    /// Stores `value` under `name`, replacing what was there; returns its index.
    pub(crate) fn insert(&mut self, name: String, value: T) -> u32 {
        let i = self.resolve(&name);
        if let Some(slot) = self.slots.get_mut(i as usize) {
            slot.value = Some(value);
        }
        i
    }

    /// The value at `index`, `None` for a placeholder or an index from elsewhere.
    #[inline]
    pub(crate) fn get(&self, index: u32) -> Option<&T> {
        self.slots.get(index as usize)?.value.as_ref()
    }

    /// The index of a defined value.
    pub(crate) fn id(&self, name: &str) -> Option<u32> {
        let i = *self.index.get(name)?;
        self.get(i).map(|_| i)
    }

    /// A defined value by name.
    pub(crate) fn by_name(&self, name: &str) -> Option<&T> {
        self.get(*self.index.get(name)?)
    }

    /// Defined values with their indices.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, &T)> {
        self.slots.iter().enumerate().filter_map(|(i, s)| Some((i as u32, s.value.as_ref()?)))
    }

    /// Names referenced but never defined.
    pub(crate) fn undefined(&self) -> impl Iterator<Item = &str> {
        self.slots.iter().filter(|s| s.value.is_none()).map(|s| s.name.as_str())
    }

    /// Number of slots, placeholders included.
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_before_definition_keeps_the_index() {
        let mut t: Table<u8> = Table::default();
        let a = t.resolve("A");
        assert_eq!(t.get(a), None);
        assert_eq!(t.id("A"), None);
        assert_eq!(t.undefined().collect::<Vec<_>>(), ["A"]);
        assert_eq!(t.insert("A".into(), 7), a);
        assert_eq!(t.get(a), Some(&7));
        assert_eq!(t.id("A"), Some(a));
        assert_eq!(t.by_name("A"), Some(&7));
        assert_eq!(t.undefined().count(), 0);
        assert_eq!(t.insert("A".into(), 8), a);
        assert_eq!(t.get(a), Some(&8));
        assert_eq!(t.get(UNRESOLVED), None);
        assert_eq!(t.len(), 1);
        assert_eq!(t.iter().collect::<Vec<_>>(), [(a, &8)]);
    }
}
