//! The link-state database of one flooding scope (a link, an area or the
//! AS), keyed by (LS type, Link State ID, Advertising Router) (RFC 2328
//! §12.2, RFC 5340 §4.5.2); the same for both versions.
//!
//! The age of an LSA is not stored as a counter: each entry keeps the age it
//! had and the instant it was installed, and its age at `now` is computed
//! (RFC 2328 §14: "the LS age field is incremented" each second).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use crate::lsa::LsType;
use crate::types::consts::MAX_AGE;
use crate::version::{Header, KeyOf, Version, WireLsa};
use crate::V2;

/// One installed LSA.
#[derive(Debug, Clone)]
pub struct LsdbEntry<V: Version = V2> {
    /// The LSA.
    pub lsa: Arc<V::Lsa>,
    /// When it was installed.
    pub installed: Instant,
    /// Whether it arrived by flooding (§13), rather than as the answer to
    /// one of our Link State Requests or by our own origination: only such
    /// a copy holds newer instances back for MinLSArrival (§13 step 5a).
    pub flooded: bool,
}

impl<V: Version> LsdbEntry<V> {
    /// The LS age at `now`, capped at MaxAge.
    #[must_use]
    pub fn age(&self, now: Instant) -> u16 {
        let age = self.lsa.hdr().age().min(MAX_AGE);
        if age >= MAX_AGE {
            return MAX_AGE;
        }
        let elapsed = now.saturating_duration_since(self.installed).as_secs();
        let total = u64::from(age) + elapsed;
        total.min(u64::from(MAX_AGE)) as u16
    }

    /// Whether the LSA has reached MaxAge at `now`.
    #[must_use]
    pub fn is_max_age(&self, now: Instant) -> bool {
        self.age(now) >= MAX_AGE
    }
}

/// A link-state database of either version.
#[derive(Debug, Clone)]
pub struct LinkStateDb<V: Version> {
    entries: BTreeMap<KeyOf<V>, LsdbEntry<V>>,
}

/// The OSPFv2 database.
pub type Lsdb = LinkStateDb<V2>;

impl<V: Version> Default for LinkStateDb<V> {
    fn default() -> Self {
        Self { entries: BTreeMap::new() }
    }
}

impl<V: Version> LinkStateDb<V> {
    /// An empty database.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Installs `lsa` at `now`, replacing any instance with the same key;
    /// returns the previous instance.
    pub fn install(&mut self, lsa: Arc<V::Lsa>, now: Instant) -> Option<Arc<V::Lsa>> {
        self.entries
            .insert(lsa.hdr().key(), LsdbEntry { lsa, installed: now, flooded: false })
            .map(|e| e.lsa)
    }

    /// Marks the installed instance of `key` as received by flooding.
    pub fn set_flooded(&mut self, key: &KeyOf<V>) {
        if let Some(e) = self.entries.get_mut(key) {
            e.flooded = true;
        }
    }

    /// Removes an LSA.
    pub fn remove(&mut self, key: &KeyOf<V>) -> Option<Arc<V::Lsa>> {
        self.entries.remove(key).map(|e| e.lsa)
    }

    /// Looks an LSA up.
    #[must_use]
    pub fn get(&self, key: &KeyOf<V>) -> Option<&LsdbEntry<V>> {
        self.entries.get(key)
    }

    /// Every entry in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&KeyOf<V>, &LsdbEntry<V>)> {
        self.entries.iter()
    }

    /// The LSAs of the LS type codes `first..=last`, in key order (the
    /// key sorts by type first, so this does not visit other types).
    pub fn iter_codes(
        &self,
        first: u16,
        last: u16,
    ) -> impl Iterator<Item = (&KeyOf<V>, &LsdbEntry<V>)> {
        self.entries.range(V::type_range(first, last))
    }

    /// Number of LSAs.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the database is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// A comparable summary of the database at `now`: each key with its
    /// sequence number and checksum (ages differ between routers).
    #[must_use]
    pub fn digest(&self) -> Vec<(KeyOf<V>, i32, u16)> {
        self.entries
            .iter()
            .map(|(k, e)| (*k, e.lsa.hdr().seq().0, e.lsa.hdr().checksum()))
            .collect()
    }
}

impl LinkStateDb<V2> {
    /// The LSAs of the LS types `first..=last`, in key order (the key
    /// sorts by type first, so this does not visit other types).
    pub fn iter_types(
        &self,
        first: LsType,
        last: LsType,
    ) -> impl Iterator<Item = (&crate::lsa::LsaKey, &LsdbEntry)> {
        self.iter_codes(u16::from(first.0), u16::from(last.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lsa::{LsSeqNum, LsaBody, Options, RouterLsa};
    use crate::types::RouterId;
    use std::time::Duration;

    #[test]
    fn age_grows_with_time_and_caps_at_max_age() {
        let t0 = Instant::now();
        let key = crate::lsa::key(LsType::ROUTER, 1, RouterId(1));
        let body = LsaBody::Router(RouterLsa::default());
        let lsa = Arc::new(crate::lsa::build(100, Options(0), key, LsSeqNum(1), body));
        let mut db = Lsdb::new();
        assert!(db.install(lsa.clone(), t0).is_none());
        let e = db.get(&key).cloned().unwrap_or_else(|| panic!("installed"));
        assert_eq!(e.age(t0), 100);
        assert_eq!(e.age(t0 + Duration::from_millis(2500)), 102);
        assert!(!e.is_max_age(t0 + Duration::from_secs(3499)));
        assert!(e.is_max_age(t0 + Duration::from_secs(3500)));
        assert_eq!(e.age(t0 + Duration::from_secs(99_999)), MAX_AGE);
        assert_eq!(db.len(), 1);
        assert!(db.install(lsa, t0).is_some());
        assert_eq!(db.digest().len(), 1);
        assert!(db.remove(&key).is_some());
        assert!(db.is_empty());
    }
}
