//! A group's Adj-RIB-Out (RFC 4271 §3.2): the outgoing set advertised for each route, in
//! route order.
//!
//! Routes are kept under integer keys (address, then length, then path identifier: the
//! order of `IpNet`), one map of sorted leaves per address family ([`Leaves`]): a full table
//! is searched for every change, comparing integers keeps that cheap, and leaves filled in
//! order keep an IPv4 route in 24 octets.

use std::net::{Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use crate::leaves::{Leaves, Update};

/// A route of the Adj-RIB-Out: a prefix and its ADD-PATH path identifier (0 in a family
/// without ADD-PATH toward the group).
pub(crate) type RouteKey = (IpNet, u32);

/// An outgoing set id meaning "withdrawn" (no entry).
pub(crate) const WITHDRAWN: u32 = u32::MAX;

/// What [`AdjRibOut::set`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Set {
    /// Nothing changed.
    Same,
    /// The route's set changed; `old` was there before (`WITHDRAWN`: none).
    Changed { old: u32 },
}

/// (address and length, path identifier).
type V4Key = (u64, u32);
/// (address high and low halves, length and path identifier).
type V6Key = (u64, u64, u64);

#[derive(Debug, Default)]
pub(crate) struct AdjRibOut {
    v4: Leaves<V4Key, u32>,
    v6: Leaves<V6Key, u32>,
}

fn v4_key(p: Ipv4Net, id: u32) -> V4Key {
    (u64::from(p.addr().to_bits()) << 8 | u64::from(p.prefix_len()), id)
}

fn v6_key(p: Ipv6Net, id: u32) -> V6Key {
    let a = p.addr().to_bits();
    ((a >> 64) as u64, a as u64, u64::from(p.prefix_len()) << 32 | u64::from(id))
}

fn v4_route((a, id): V4Key) -> Option<RouteKey> {
    let net = Ipv4Net::new(Ipv4Addr::from_bits((a >> 8) as u32), a as u8).ok()?;
    Some((IpNet::V4(net), id))
}

fn v6_route((hi, lo, rest): V6Key) -> Option<RouteKey> {
    let addr = Ipv6Addr::from_bits(u128::from(hi) << 64 | u128::from(lo));
    let net = Ipv6Net::new(addr, (rest >> 32) as u8).ok()?;
    Some((IpNet::V6(net), rest as u32))
}

fn set_in<K: Ord + Copy>(map: &mut Leaves<K, u32>, k: K, new: u32) -> Set {
    let mut changed = false;
    let old = map.update(k, |cur| {
        let cur = cur.unwrap_or(WITHDRAWN);
        changed = cur != new;
        match (changed, new == WITHDRAWN) {
            (false, _) => Update::Keep,
            (true, true) => Update::Remove,
            (true, false) => Update::Put(new),
        }
    });
    if changed {
        Set::Changed { old: old.unwrap_or(WITHDRAWN) }
    } else {
        Set::Same
    }
}

impl AdjRibOut {
    /// Sets the outgoing set of `route` (`WITHDRAWN`: none).
    pub fn set(&mut self, (prefix, id): RouteKey, new: u32) -> Set {
        match prefix {
            IpNet::V4(p) => set_in(&mut self.v4, v4_key(p, id), new),
            IpNet::V6(p) => set_in(&mut self.v6, v6_key(p, id), new),
        }
    }

    /// Every route with its set, IPv4 first, each family in route order.
    pub fn iter(&self) -> impl Iterator<Item = (RouteKey, u32)> + '_ {
        let v4 = self.v4.iter().filter_map(|(k, v)| Some((v4_route(k)?, v)));
        let v6 = self.v6.iter().filter_map(|(k, v)| Some((v6_route(k)?, v)));
        v4.chain(v6)
    }

    /// Routes advertised.
    pub fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
            assert_eq!(a.set(*k, i as u32), Set::Changed { old: WITHDRAWN });
        }
        routes.sort();
        let back: Vec<RouteKey> = a.iter().map(|(k, _)| k).collect();
        assert_eq!(back, routes, "IpNet's order, routes rebuilt from their keys");
    }

    #[test]
    fn a_withdrawal_leaves_no_entry() {
        let mut a = AdjRibOut::default();
        let k = r("192.0.2.0/24", 0);
        assert_eq!(a.set(k, WITHDRAWN), Set::Same, "nothing to withdraw");
        assert_eq!(a.set(k, 5), Set::Changed { old: WITHDRAWN });
        assert_eq!(a.set(k, 5), Set::Same);
        assert_eq!(a.set(k, 6), Set::Changed { old: 5 });
        assert_eq!(a.iter().collect::<Vec<_>>(), vec![(k, 6)]);
        assert_eq!(a.set(k, WITHDRAWN), Set::Changed { old: 6 });
        assert!(a.is_empty());
    }
}
