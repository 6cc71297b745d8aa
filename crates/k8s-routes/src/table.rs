//! The sans-IO core: keyed prefixes in, reference-counted add/remove events out.

use std::collections::{hash_map::Entry as MapEntry, BTreeSet, HashMap, VecDeque};

use ipnet::IpNet;

/// A change to the set of prefixes to announce.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RouteSourceEvent {
    /// Announce this prefix: the first object that wants it appeared.
    Add(IpNet),
    /// Withdraw this prefix: the last object that wanted it is gone or changed.
    Remove(IpNet),
    /// Every source has listed its objects once: a route announced before (by an earlier
    /// run, or from another source) and not added since can now be withdrawn. Sent once,
    /// after the adds of the first lists.
    Synced,
}

/// One source of keyed prefixes in a [`RouteTable`], e.g. "the node" or "services".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SourceId(usize);

/// Prefixes wanted by named objects of several sources, reference counted, with the
/// changes to their union as [`RouteSourceEvent`]s.
///
/// Inputs (`handle_*`) say what one object wants now; [`poll_event`](Self::poll_event)
/// tells what changed in the union since the last call. A prefix wanted by two objects
/// (two services sharing an external IP) is removed only when neither wants it. Changes
/// are coalesced per prefix until polled: a prefix removed and added again in between
/// gives no event.
///
/// A re-list ([`handle_list_start`](Self::handle_list_start), the objects again,
/// [`handle_list_done`](Self::handle_list_done)) forgets the objects it did not see, and
/// holds every event back until it is done, so that it reports only what differs from
/// before the list and never a transient withdrawal.
///
/// Only a key and its few prefixes are kept per object, and only for objects that want
/// some prefix.
///
/// ```
/// use k8s_routes::{RouteSourceEvent::*, RouteTable};
///
/// let mut table = RouteTable::new();
/// let services = table.add_source();
/// let vip = "192.0.2.7/32".parse().unwrap();
/// table.handle_list_start(services);
/// table.handle_apply(services, "shop/web", &[vip]);
/// table.handle_apply(services, "shop/api", &[vip]);
/// table.handle_list_done(services);
/// assert_eq!(table.poll_event(), Some(Add(vip)));
/// assert_eq!(table.poll_event(), Some(Synced));
/// table.handle_delete(services, "shop/web");
/// assert_eq!(table.poll_event(), None); // shop/api still has it
/// table.handle_delete(services, "shop/api");
/// assert_eq!(table.poll_event(), Some(Remove(vip)));
/// ```
#[derive(Debug, Default)]
pub struct RouteTable {
    sources: Vec<Source>,
    prefixes: HashMap<IpNet, Slot>,
    /// Prefixes whose reference count went to or from zero since the last flush.
    dirty: BTreeSet<IpNet>,
    queue: VecDeque<RouteSourceEvent>,
    synced_sent: bool,
}

#[derive(Debug, Default)]
struct Source {
    entries: HashMap<Box<str>, Entry>,
    /// Incremented at each list start; entries not applied since are swept at its end.
    generation: u32,
    listing: bool,
    synced: bool,
}

#[derive(Debug)]
struct Entry {
    prefixes: Box<[IpNet]>,
    generation: u32,
}

#[derive(Debug, Default)]
struct Slot {
    refs: u32,
    /// Whether the last event polled for this prefix was an `Add`.
    announced: bool,
}

impl RouteTable {
    /// An empty table with no sources.
    pub fn new() -> Self {
        RouteTable::default()
    }

    /// Registers a source. [`RouteSourceEvent::Synced`] waits for every source registered
    /// before it is sent.
    pub fn add_source(&mut self) -> SourceId {
        self.sources.push(Source::default());
        SourceId(self.sources.len() - 1)
    }

    /// The object `key` of `source` wants exactly `prefixes` now (host bits are cleared,
    /// order and repeats do not matter). An empty list is the same as a delete.
    ///
    /// # Panics
    ///
    /// If `source` was not made by this table's [`add_source`](Self::add_source).
    pub fn handle_apply(&mut self, source: SourceId, key: &str, prefixes: &[IpNet]) {
        let mut new: Vec<IpNet> = prefixes.iter().map(IpNet::trunc).collect();
        new.sort_unstable();
        new.dedup();
        let src = &mut self.sources[source.0];
        let generation = src.generation;
        let old: Box<[IpNet]> = if new.is_empty() {
            match src.entries.remove(key) {
                Some(entry) => entry.prefixes,
                None => return,
            }
        } else {
            match src.entries.get_mut(key) {
                Some(entry) => {
                    entry.generation = generation;
                    if *entry.prefixes == *new {
                        return;
                    }
                    std::mem::replace(&mut entry.prefixes, new.clone().into_boxed_slice())
                }
                None => {
                    let entry = Entry { prefixes: new.clone().into_boxed_slice(), generation };
                    src.entries.insert(key.into(), entry);
                    Box::default()
                }
            }
        };
        self.change(&old, &new);
    }

    /// The object `key` of `source` is gone.
    ///
    /// # Panics
    ///
    /// If `source` was not made by this table.
    pub fn handle_delete(&mut self, source: SourceId, key: &str) {
        if let Some(entry) = self.sources[source.0].entries.remove(key) {
            self.change(&entry.prefixes, &[]);
        }
    }

    /// `source` starts listing all its objects again (a watch could not resume). Events
    /// are held until [`handle_list_done`](Self::handle_list_done).
    ///
    /// # Panics
    ///
    /// If `source` was not made by this table.
    pub fn handle_list_start(&mut self, source: SourceId) {
        let src = &mut self.sources[source.0];
        src.generation = src.generation.wrapping_add(1);
        src.listing = true;
    }

    /// `source` has applied every object it has: those not applied since
    /// [`handle_list_start`](Self::handle_list_start) are deleted.
    ///
    /// # Panics
    ///
    /// If `source` was not made by this table.
    pub fn handle_list_done(&mut self, source: SourceId) {
        let src = &mut self.sources[source.0];
        let generation = src.generation;
        let mut stale = Vec::new();
        src.entries.retain(|_, entry| {
            let keep = entry.generation == generation;
            if !keep {
                stale.push(std::mem::take(&mut entry.prefixes));
            }
            keep
        });
        src.listing = false;
        src.synced = true;
        for prefixes in stale {
            self.change(&prefixes, &[]);
        }
    }

    /// The next change, if any: removes before adds, each in prefix order. `None` while
    /// a source is between list start and done.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<RouteSourceEvent> {
        if let Some(event) = self.queue.pop_front() {
            return Some(event);
        }
        if self.sources.iter().any(|s| s.listing) {
            return None;
        }
        self.flush();
        if let Some(event) = self.queue.pop_front() {
            return Some(event);
        }
        if !self.synced_sent && self.is_synced() {
            self.synced_sent = true;
            return Some(RouteSourceEvent::Synced);
        }
        None
    }

    /// Every source has finished a list (what [`RouteSourceEvent::Synced`] reports).
    pub fn is_synced(&self) -> bool {
        self.sources.iter().all(|s| s.synced)
    }

    /// The prefixes announced so far by polled events, sorted.
    pub fn announced(&self) -> Vec<IpNet> {
        let mut out: Vec<IpNet> =
            self.prefixes.iter().filter(|(_, slot)| slot.announced).map(|(p, _)| *p).collect();
        out.sort_unstable();
        out
    }

    /// How many objects of `source` want some prefix.
    ///
    /// # Panics
    ///
    /// If `source` was not made by this table.
    pub fn objects(&self, source: SourceId) -> usize {
        self.sources[source.0].entries.len()
    }

    /// Reference counts from `old` to `new`, both sorted and without repeats.
    fn change(&mut self, old: &[IpNet], new: &[IpNet]) {
        let (mut i, mut j) = (0, 0);
        loop {
            match (old.get(i), new.get(j)) {
                (Some(a), Some(b)) if a == b => {
                    i += 1;
                    j += 1;
                }
                (Some(a), b) if b.is_none_or(|b| a < b) => {
                    self.release(*a);
                    i += 1;
                }
                (_, Some(b)) => {
                    self.retain(*b);
                    j += 1;
                }
                _ => break,
            }
        }
    }

    fn retain(&mut self, prefix: IpNet) {
        let slot = self.prefixes.entry(prefix).or_default();
        slot.refs += 1;
        if slot.refs == 1 {
            self.dirty.insert(prefix);
        }
    }

    fn release(&mut self, prefix: IpNet) {
        if let MapEntry::Occupied(mut slot) = self.prefixes.entry(prefix) {
            let s = slot.get_mut();
            s.refs = s.refs.saturating_sub(1);
            if s.refs == 0 {
                if !s.announced {
                    slot.remove();
                }
                self.dirty.insert(prefix);
            }
        }
    }

    fn flush(&mut self) {
        let mut adds = Vec::new();
        for prefix in std::mem::take(&mut self.dirty) {
            let MapEntry::Occupied(mut slot) = self.prefixes.entry(prefix) else {
                continue;
            };
            let s = slot.get_mut();
            match (s.refs > 0, s.announced) {
                (true, false) => {
                    s.announced = true;
                    adds.push(RouteSourceEvent::Add(prefix));
                }
                (false, true) => {
                    slot.remove();
                    self.queue.push_back(RouteSourceEvent::Remove(prefix));
                }
                (false, false) => {
                    slot.remove();
                }
                (true, true) => {}
            }
        }
        self.queue.extend(adds);
    }
}

#[cfg(test)]
mod tests {
    use super::{RouteSourceEvent::*, *};

    fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    fn drain(t: &mut RouteTable) -> Vec<RouteSourceEvent> {
        std::iter::from_fn(|| t.poll_event()).collect()
    }

    #[test]
    fn first_list_adds_then_synced_once_every_source_listed() {
        let mut t = RouteTable::new();
        let node = t.add_source();
        let svc = t.add_source();
        t.handle_list_start(node);
        t.handle_apply(node, "node-a", &[net("fd00:244:1::/64"), net("10.244.1.0/24")]);
        assert_eq!(drain(&mut t), [], "held while the node lists");
        t.handle_list_done(node);
        assert_eq!(drain(&mut t), [Add(net("10.244.1.0/24")), Add(net("fd00:244:1::/64"))]);
        assert!(!t.is_synced());
        t.handle_list_start(svc);
        t.handle_apply(svc, "a/b", &[net("10.96.0.10/32")]);
        t.handle_list_done(svc);
        assert_eq!(drain(&mut t), [Add(net("10.96.0.10/32")), Synced]);
        assert!(t.is_synced());
        t.handle_list_start(svc);
        t.handle_list_done(svc);
        assert_eq!(drain(&mut t), [Remove(net("10.96.0.10/32"))], "Synced is sent once");
        assert_eq!(t.announced(), [net("10.244.1.0/24"), net("fd00:244:1::/64")]);
    }

    #[test]
    fn shared_prefix_is_counted() {
        let mut t = RouteTable::new();
        let s = t.add_source();
        let vip = net("192.0.2.7/32");
        t.handle_list_start(s);
        t.handle_list_done(s);
        assert_eq!(drain(&mut t), [Synced]);
        t.handle_apply(s, "a/one", &[vip, net("10.96.0.1/32")]);
        t.handle_apply(s, "a/two", &[vip]);
        assert_eq!(drain(&mut t), [Add(net("10.96.0.1/32")), Add(vip)]);
        t.handle_apply(s, "a/one", &[net("10.96.0.1/32")]);
        assert_eq!(drain(&mut t), []);
        t.handle_delete(s, "a/two");
        assert_eq!(drain(&mut t), [Remove(vip)]);
        assert_eq!(t.objects(s), 1);
    }

    #[test]
    fn changes_coalesce_until_polled() {
        let mut t = RouteTable::new();
        let s = t.add_source();
        t.handle_list_start(s);
        t.handle_list_done(s);
        assert_eq!(drain(&mut t), [Synced]);
        let a = net("192.0.2.1/32");
        t.handle_apply(s, "x/y", &[a]);
        t.handle_delete(s, "x/y");
        assert_eq!(drain(&mut t), [], "added and removed in between: nothing");
        t.handle_apply(s, "x/y", &[a]);
        assert_eq!(drain(&mut t), [Add(a)]);
        t.handle_delete(s, "x/y");
        t.handle_apply(s, "x/z", &[a]);
        assert_eq!(drain(&mut t), [], "moved to another object: nothing");
        t.handle_apply(s, "x/z", &[net("192.0.2.9/32")]);
        assert_eq!(drain(&mut t), [Remove(a), Add(net("192.0.2.9/32"))], "removes first");
    }

    #[test]
    fn relist_reports_only_differences() {
        let mut t = RouteTable::new();
        let s = t.add_source();
        let (a, b, c, d) =
            (net("10.96.0.1/32"), net("10.96.0.2/32"), net("10.96.0.3/32"), net("10.96.0.4/32"));
        t.handle_list_start(s);
        t.handle_apply(s, "ns/a", &[a]);
        t.handle_apply(s, "ns/b", &[b]);
        t.handle_apply(s, "ns/c", &[c]);
        t.handle_list_done(s);
        assert_eq!(drain(&mut t), [Add(a), Add(b), Add(c), Synced]);

        // Relist: a unchanged, b moved to ns/c, c's old address gone, ns/b gone, d new.
        t.handle_list_start(s);
        t.handle_apply(s, "ns/a", &[a]);
        t.handle_apply(s, "ns/c", &[b]);
        assert_eq!(drain(&mut t), [], "nothing while listing");
        t.handle_apply(s, "ns/d", &[d]);
        t.handle_list_done(s);
        assert_eq!(drain(&mut t), [Remove(c), Add(d)]);
        assert_eq!(t.objects(s), 3);
    }

    #[test]
    fn list_restarted_midway_sweeps_what_the_second_list_missed() {
        let mut t = RouteTable::new();
        let s = t.add_source();
        let (a, b) = (net("10.96.0.1/32"), net("10.96.0.2/32"));
        t.handle_list_start(s);
        t.handle_apply(s, "ns/a", &[a]);
        t.handle_apply(s, "ns/b", &[b]);
        t.handle_list_start(s); // the list failed on its second page and starts over
        t.handle_apply(s, "ns/b", &[b]);
        t.handle_list_done(s);
        assert_eq!(drain(&mut t), [Add(b), Synced]);
    }

    #[test]
    fn empty_apply_is_a_delete_and_keeps_nothing() {
        let mut t = RouteTable::new();
        let s = t.add_source();
        t.handle_apply(s, "ns/headless", &[]);
        assert_eq!(t.objects(s), 0);
        t.handle_apply(s, "ns/a", &[net("10.96.0.1/32"), net("10.96.0.1/32")]);
        t.handle_apply(s, "ns/a", &[]);
        assert_eq!(t.objects(s), 0);
        assert_eq!(drain(&mut t), [], "not synced: no Synced; added and gone: nothing");
    }

    #[test]
    fn no_sources_is_synced_at_once() {
        let mut t = RouteTable::new();
        assert_eq!(drain(&mut t), [Synced]);
    }
}
