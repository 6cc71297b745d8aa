//! A group's Adj-RIB-Out (RFC 4271 §3.2): the outgoing set advertised for each route, in
//! route order, with the routes changed since the last batch marked.
//!
//! Routes are kept under integer keys (address, then length, then path identifier: the
//! order of `IpNet`), one map per address family: a full table is searched a few times per
//! route, and comparing integers is what keeps that cheap.

use std::collections::btree_map::{BTreeMap, Entry};
use std::net::{Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

/// A route of the Adj-RIB-Out: a prefix and its ADD-PATH path identifier (0 in a family
/// without ADD-PATH toward the group).
pub(crate) type RouteKey = (IpNet, u32);

/// An outgoing set id meaning "withdraw" (the withdrawal waits to be sent).
pub(crate) const WITHDRAWN: u32 = 0x7fff_ffff;

/// Marks an entry changed since the last batch (outgoing set ids stay below it).
const PENDING: u32 = 1 << 31;

/// What [`AdjRibOut::set`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Set {
    /// Nothing changed.
    Same,
    /// The entry now holds the new set; `old` was there before (`WITHDRAWN` for a new
    /// entry), `newly_pending` when the route was not already waiting for a batch.
    Changed { old: u32, newly_pending: bool },
}

#[derive(Debug, Default)]
pub(crate) struct AdjRibOut {
    v4: BTreeMap<u128, u32>,
    v6: BTreeMap<(u128, u64), u32>,
}

fn v4_key(p: Ipv4Net, id: u32) -> u128 {
    u128::from(p.addr().to_bits()) << 40 | u128::from(p.prefix_len()) << 32 | u128::from(id)
}

fn v6_key(p: Ipv6Net, id: u32) -> (u128, u64) {
    (p.addr().to_bits(), u64::from(p.prefix_len()) << 32 | u64::from(id))
}

fn v4_route(k: u128) -> Option<RouteKey> {
    let addr = Ipv4Addr::from_bits((k >> 40) as u32);
    let net = Ipv4Net::new(addr, (k >> 32) as u8).ok()?;
    Some((IpNet::V4(net), k as u32))
}

fn v6_route((a, rest): (u128, u64)) -> Option<RouteKey> {
    let net = Ipv6Net::new(Ipv6Addr::from_bits(a), (rest >> 32) as u8).ok()?;
    Some((IpNet::V6(net), rest as u32))
}

fn set_in<K: Ord>(map: &mut BTreeMap<K, u32>, k: K, new: u32) -> Set {
    match map.entry(k) {
        Entry::Occupied(mut e) => {
            let cur = *e.get();
            if cur & !PENDING == new {
                return Set::Same;
            }
            *e.get_mut() = new | PENDING;
            Set::Changed { old: cur & !PENDING, newly_pending: cur & PENDING == 0 }
        }
        Entry::Vacant(_) if new == WITHDRAWN => Set::Same,
        Entry::Vacant(e) => {
            e.insert(new | PENDING);
            Set::Changed { old: WITHDRAWN, newly_pending: true }
        }
    }
}

/// Clears the entry's mark and returns its set; a withdrawal is removed.
fn take_in<K: Ord>(map: &mut BTreeMap<K, u32>, k: K) -> Option<u32> {
    let Entry::Occupied(mut e) = map.entry(k) else { return None };
    let out = *e.get() & !PENDING;
    if out == WITHDRAWN {
        e.remove();
    } else {
        *e.get_mut() = out;
    }
    Some(out)
}

impl AdjRibOut {
    /// Sets the outgoing set of `route` (`WITHDRAWN`: none) and marks it pending when it
    /// changed.
    pub fn set(&mut self, (prefix, id): RouteKey, new: u32) -> Set {
        match prefix {
            IpNet::V4(p) => set_in(&mut self.v4, v4_key(p, id), new),
            IpNet::V6(p) => set_in(&mut self.v6, v6_key(p, id), new),
        }
    }

    /// Takes a pending route for a batch: its set, now unmarked (a withdrawal is forgotten).
    pub fn take(&mut self, (prefix, id): RouteKey) -> Option<u32> {
        match prefix {
            IpNet::V4(p) => take_in(&mut self.v4, v4_key(p, id)),
            IpNet::V6(p) => take_in(&mut self.v6, v6_key(p, id)),
        }
    }

    /// Unmarks a route without sending it.
    pub fn settle(&mut self, (prefix, id): RouteKey) {
        let e = match prefix {
            IpNet::V4(p) => self.v4.get_mut(&v4_key(p, id)),
            IpNet::V6(p) => self.v6.get_mut(&v6_key(p, id)),
        };
        if let Some(e) = e {
            *e &= !PENDING;
        }
    }

    /// Every route with its set (`WITHDRAWN` while a withdrawal waits), IPv4 first, each
    /// family in route order.
    pub fn iter(&self) -> impl Iterator<Item = (RouteKey, u32)> + '_ {
        let v4 = self.v4.iter().filter_map(|(k, v)| Some((v4_route(*k)?, v & !PENDING)));
        let v6 = self.v6.iter().filter_map(|(k, v)| Some((v6_route(*k)?, v & !PENDING)));
        v4.chain(v6)
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    pub fn clear(&mut self) {
        self.v4.clear();
        self.v6.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str, id: u32) -> RouteKey {
        (s.parse().unwrap(), id)
    }

    #[test]
    fn keys_keep_the_order_of_routes() {
        let mut routes = vec![
            r("10.0.0.0/8", 0),
            r("10.0.0.0/16", 0),
            r("10.0.0.0/16", 7),
            r("9.255.0.0/16", 0),
            r("255.255.255.255/32", u32::MAX),
            r("0.0.0.0/0", 0),
            r("2001:db8::/32", 0),
            r("2001:db8::/48", 2),
            r("::/0", 0),
            r("ffff::/16", 1),
        ];
        let mut a = AdjRibOut::default();
        for (i, k) in routes.iter().enumerate() {
            assert_eq!(a.set(*k, i as u32), Set::Changed { old: WITHDRAWN, newly_pending: true });
        }
        routes.sort();
        let back: Vec<RouteKey> = a.iter().map(|(k, _)| k).collect();
        assert_eq!(back, routes, "IpNet's order, routes rebuilt from their keys");
    }

    #[test]
    fn changes_are_marked_once_and_withdrawals_forgotten_when_taken() {
        let mut a = AdjRibOut::default();
        let k = r("192.0.2.0/24", 0);
        assert_eq!(a.set(k, WITHDRAWN), Set::Same, "nothing to withdraw");
        assert_eq!(a.set(k, 5), Set::Changed { old: WITHDRAWN, newly_pending: true });
        assert_eq!(a.set(k, 5), Set::Same);
        assert_eq!(a.set(k, 6), Set::Changed { old: 5, newly_pending: false }, "still pending");
        assert_eq!(a.take(k), Some(6));
        assert_eq!(a.iter().next(), Some((k, 6)), "unmarked, kept");
        assert_eq!(a.set(k, WITHDRAWN), Set::Changed { old: 6, newly_pending: true });
        a.settle(k);
        assert_eq!(a.set(k, 7), Set::Changed { old: WITHDRAWN, newly_pending: true });
        assert_eq!(a.set(k, WITHDRAWN), Set::Changed { old: 7, newly_pending: false });
        assert_eq!(a.take(k), Some(WITHDRAWN));
        assert!(a.is_empty(), "a withdrawal taken is forgotten");
        assert_eq!(a.take(k), None);
    }
}
