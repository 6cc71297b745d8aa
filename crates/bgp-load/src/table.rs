//! A full routing table: real prefixes with path attributes generated deterministically from a
//! seed, shared the way they are in real tables.
//!
//! Published table statistics give the shape to match: about 2.6 routes share one attribute
//! set, about 6 routes share one AS path, and AS paths average about 4 hops for IPv4 and 3.5
//! for IPv6. The generator walks the prefixes in file order and cuts them into runs:
//!
//! - an *AS-path group* (one origin, one path) covers a geometric number of attribute sets with
//!   mean 6 / 2.6 = 30/13;
//! - each *attribute set* covers a geometric number of consecutive prefixes with mean 2.6, and
//!   differs from the other sets of its group by MED and communities.

use std::collections::HashSet;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use ipnet::IpNet;

use super::rng::{Draws, SplitMix64};

/// ORIGIN values (RFC 4271 §5.1.1).
pub mod origin {
    /// Network Layer Reachability Information is interior to the originating AS.
    pub const IGP: u8 = 0;
    /// Learned via the EGP protocol.
    pub const EGP: u8 = 1;
    /// Learned by some other means.
    pub const INCOMPLETE: u8 = 2;
}

/// Where the routes of an attribute set are sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NextHop {
    /// An IPv4 NEXT_HOP attribute (RFC 4271 §5.1.3).
    V4(Ipv4Addr),
    /// An MP_REACH_NLRI next hop: a global address, and a link-local one when 32 octets long
    /// (RFC 2545 §3).
    V6 {
        /// The global address.
        global: Ipv6Addr,
        /// The link-local address, if any.
        link_local: Option<Ipv6Addr>,
    },
}

/// The path attributes shared by the routes of one group.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PathAttributes {
    /// ORIGIN (one of [`origin`]).
    pub origin: u8,
    /// AS_PATH: one AS_SEQUENCE of 4-octet AS numbers, the neighbour first.
    pub as_path: Arc<[u32]>,
    /// NEXT_HOP, or the MP_REACH_NLRI next hop for IPv6.
    pub next_hop: NextHop,
    /// MULTI_EXIT_DISC.
    pub med: Option<u32>,
    /// ATOMIC_AGGREGATE.
    pub atomic_aggregate: bool,
    /// AGGREGATOR: AS and BGP identifier.
    pub aggregator: Option<(u32, Ipv4Addr)>,
    /// COMMUNITIES (RFC 1997), each `asn << 16 | value`.
    pub communities: Vec<u32>,
    /// LARGE_COMMUNITY (RFC 8092): global administrator, local data 1, local data 2.
    pub large_communities: Vec<[u32; 3]>,
}

/// Routes sharing one attribute set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteGroup {
    /// The attributes.
    pub attrs: PathAttributes,
    /// The prefixes, all of one address family.
    pub prefixes: Vec<IpNet>,
}

/// The address family of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TableFamily {
    /// IPv4 unicast, announced in the classic NLRI field.
    Ipv4,
    /// IPv6 unicast, announced in MP_REACH_NLRI.
    Ipv6,
}

/// A generated table.
#[derive(Clone, Debug)]
pub struct Table {
    /// The family of every prefix.
    pub family: TableFamily,
    /// Attribute sets with their routes, in the order of the input prefixes.
    pub groups: Vec<RouteGroup>,
}

/// Sharing measured on a table (see [`Table::stats`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stats {
    /// Number of routes.
    pub routes: usize,
    /// Distinct attribute sets.
    pub attribute_sets: usize,
    /// Distinct AS paths.
    pub as_paths: usize,
    /// Mean AS path length in hops, over attribute sets.
    pub mean_hops: f64,
}

impl Stats {
    /// Routes per distinct attribute set.
    pub fn routes_per_attribute_set(&self) -> f64 {
        self.routes as f64 / self.attribute_sets.max(1) as f64
    }

    /// Routes per distinct AS path.
    pub fn routes_per_as_path(&self) -> f64 {
        self.routes as f64 / self.as_paths.max(1) as f64
    }
}

/// The collector's peer: AS3333 (RIPE NCC), first hop of every path.
pub const PEER_AS: u32 = 3333;
/// The peer's IPv4 address at the collector, NEXT_HOP of most routes.
pub const PEER_V4: Ipv4Addr = Ipv4Addr::new(193, 0, 0, 56);
/// The peer's IPv6 global address.
pub const PEER_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0x7f8, 0, 0, 0, 0, 0, 0x56);
/// The peer's IPv6 link-local address.
pub const PEER_V6_LL: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x56);

/// Well-known transit networks, drawn for the middle hops of paths.
const TRANSITS: [u32; 32] = [
    174, 209, 701, 1273, 1299, 2497, 2914, 3257, 3320, 3356, 3491, 3549, 4134, 4637, 4766, 4837,
    5511, 6453, 6461, 6762, 6830, 6939, 7018, 7473, 7922, 9002, 9498, 12389, 12956, 20485, 31133,
    262589,
];

/// Weights (per mille) of AS path lengths 1, 2, 3, ...: mean 3.96 hops for IPv4.
const HOPS_V4: [u32; 10] = [20, 120, 270, 290, 160, 80, 40, 15, 4, 1];
/// Mean 3.49 hops for IPv6.
const HOPS_V6: [u32; 7] = [30, 150, 350, 300, 120, 40, 10];

impl Table {
    /// Generates attributes for `prefixes` (all of `family`), the same for the same seed.
    pub fn generate(family: TableFamily, prefixes: &[IpNet], seed: u64) -> Table {
        let mut rng = SplitMix64::new(seed);
        let mut groups = Vec::with_capacity(prefixes.len() * 10 / 26 + 1);
        let mut rest = prefixes;
        while !rest.is_empty() {
            let as_path = Self::as_path(&mut rng, family);
            // 6 routes per AS path / 2.6 routes per set = 30/13 sets per path: continue with
            // probability 17/30.
            let sets = rng.geometric(17, 30);
            for index in 0..sets {
                if rest.is_empty() {
                    break;
                }
                // 2.6 routes per set: continue with probability 8/13.
                let n = rng.geometric(8, 13).min(rest.len());
                let (mine, others) = rest.split_at(n);
                rest = others;
                let attrs = Self::attributes(&mut rng, family, &as_path, index);
                groups.push(RouteGroup { attrs, prefixes: mine.to_vec() });
            }
        }
        Table { family, groups }
    }

    /// Number of routes.
    pub fn routes(&self) -> usize {
        self.groups.iter().map(|g| g.prefixes.len()).sum()
    }

    /// Measures the sharing of attribute sets and AS paths.
    pub fn stats(&self) -> Stats {
        let sets: HashSet<&PathAttributes> = self.groups.iter().map(|g| &g.attrs).collect();
        let paths: HashSet<&[u32]> = self.groups.iter().map(|g| &*g.attrs.as_path).collect();
        let hops: usize = self.groups.iter().map(|g| g.attrs.as_path.len()).sum();
        Stats {
            routes: self.routes(),
            attribute_sets: sets.len(),
            as_paths: paths.len(),
            mean_hops: hops as f64 / self.groups.len().max(1) as f64,
        }
    }

    fn as_path(rng: &mut SplitMix64, family: TableFamily) -> Arc<[u32]> {
        let weights: &[u32] = match family {
            TableFamily::Ipv4 => &HOPS_V4,
            TableFamily::Ipv6 => &HOPS_V6,
        };
        let hops = rng.weighted(weights) + 1;
        if hops == 1 {
            return Arc::from([PEER_AS]);
        }
        // 60% of origins are 2-octet public AS numbers, the others 4-octet ones.
        let origin =
            if rng.chance(6, 10) { rng.range(1, 64_495) } else { rng.range(131_072, 401_308) };
        let origin = if origin == 23_456 { 23_457 } else { origin };
        let mut path = Vec::with_capacity(hops);
        path.push(PEER_AS);
        // One path in ten prepends its origin one to three extra times.
        let middle = hops - 2;
        let prepends = if middle > 0 && rng.chance(1, 10) {
            (rng.uniform(3) as usize + 1).min(middle)
        } else {
            0
        };
        for _ in 0..middle - prepends {
            path.push(TRANSITS[rng.uniform(TRANSITS.len() as u64) as usize]);
        }
        path.extend(std::iter::repeat_n(origin, prepends + 1));
        Arc::from(path)
    }

    fn attributes(
        rng: &mut SplitMix64,
        family: TableFamily,
        as_path: &Arc<[u32]>,
        index_in_group: usize,
    ) -> PathAttributes {
        let origin = match rng.weighted(&[85, 2, 13]) {
            0 => origin::IGP,
            1 => origin::EGP,
            _ => origin::INCOMPLETE,
        };
        let next_hop = match family {
            TableFamily::Ipv4 if rng.chance(1, 20) => {
                NextHop::V4(Ipv4Addr::new(193, 0, 0, rng.range(1, 254) as u8))
            }
            TableFamily::Ipv4 => NextHop::V4(PEER_V4),
            TableFamily::Ipv6 => {
                NextHop::V6 { global: PEER_V6, link_local: rng.chance(3, 10).then_some(PEER_V6_LL) }
            }
        };
        let med = rng.chance(3, 10).then(|| rng.range(0, 1000));
        let origin_as = as_path.last().copied().unwrap_or(PEER_AS);
        let mut communities = Vec::new();
        if rng.chance(65, 100) {
            for _ in 0..rng.range(1, 8) {
                let asn = if rng.chance(1, 2) { PEER_AS } else { origin_as & 0xffff };
                communities.push(asn << 16 | rng.range(1, 65_000));
            }
        }
        if index_in_group > 0 && med.is_none() && communities.is_empty() {
            // Keep the sets of one AS path distinct: only then do they count as separate sets.
            communities.push(PEER_AS << 16 | (1000 + index_in_group as u32));
        }
        let large_communities = if rng.chance(1, 20) {
            (0..rng.range(1, 2)).map(|_| [PEER_AS, 1, rng.range(1, 9999)]).collect()
        } else {
            Vec::new()
        };
        let (atomic_aggregate, aggregator) = if rng.chance(3, 100) {
            (true, Some((origin_as, Ipv4Addr::from(rng.next_u32()))))
        } else {
            (false, None)
        };
        PathAttributes {
            origin,
            as_path: Arc::clone(as_path),
            next_hop,
            med,
            atomic_aggregate,
            aggregator,
            communities,
            large_communities,
        }
    }
}

/// Deterministic synthetic prefixes for tests that must not depend on the data folder:
/// distinct, canonical, lengths spread like a real table (mostly /24 and /48).
pub fn synthetic_prefixes(family: TableFamily, count: usize, seed: u64) -> Vec<IpNet> {
    let mut rng = SplitMix64::new(seed);
    let mut seen = HashSet::with_capacity(count);
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        let prefix = match family {
            TableFamily::Ipv4 => {
                let len = [24, 24, 24, 23, 22, 20, 16, 32, 8][rng.uniform(9) as usize];
                IpNet::new(Ipv4Addr::from(rng.next_u32()).into(), len)
            }
            TableFamily::Ipv6 => {
                let len = [48, 48, 48, 44, 40, 36, 32, 29, 64, 128][rng.uniform(10) as usize];
                let addr =
                    Ipv6Addr::from(u128::from(rng.next_u64()) << 64 | u128::from(rng.next_u64()));
                IpNet::new(addr.into(), len)
            }
        };
        if let Ok(prefix) = prefix {
            let prefix = prefix.trunc();
            if seen.insert(prefix) {
                out.push(prefix);
            }
        }
    }
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_gives_the_same_table() {
        let p = synthetic_prefixes(TableFamily::Ipv4, 2000, 1);
        let a = Table::generate(TableFamily::Ipv4, &p, 9);
        let b = Table::generate(TableFamily::Ipv4, &p, 9);
        let c = Table::generate(TableFamily::Ipv4, &p, 10);
        assert_eq!(a.groups, b.groups);
        assert_ne!(a.groups, c.groups);
    }

    #[test]
    fn every_prefix_is_used_once_in_order() {
        let p = synthetic_prefixes(TableFamily::Ipv6, 5000, 2);
        let t = Table::generate(TableFamily::Ipv6, &p, 3);
        let back: Vec<IpNet> = t.groups.iter().flat_map(|g| g.prefixes.iter().copied()).collect();
        assert_eq!(back, p);
        assert!(t.groups.iter().all(|g| !g.prefixes.is_empty()));
    }

    #[test]
    fn sharing_matches_real_tables() {
        for (family, hops) in [(TableFamily::Ipv4, 4.0), (TableFamily::Ipv6, 3.5)] {
            let p = synthetic_prefixes(family, 200_000, 4);
            let s = Table::generate(family, &p, 5).stats();
            assert_eq!(s.routes, 200_000);
            let per_set = s.routes_per_attribute_set();
            let per_path = s.routes_per_as_path();
            assert!((2.45..2.75).contains(&per_set), "{family:?}: {per_set} routes per set");
            assert!((5.5..6.6).contains(&per_path), "{family:?}: {per_path} routes per path");
            assert!((s.mean_hops - hops).abs() < 0.1, "{family:?}: {} hops", s.mean_hops);
        }
    }

    #[test]
    fn ipv6_tables_have_v6_next_hops_and_ipv4_tables_v4_ones() {
        let p4 = synthetic_prefixes(TableFamily::Ipv4, 500, 6);
        let p6 = synthetic_prefixes(TableFamily::Ipv6, 500, 6);
        let t4 = Table::generate(TableFamily::Ipv4, &p4, 7);
        let t6 = Table::generate(TableFamily::Ipv6, &p6, 7);
        assert!(t4.groups.iter().all(|g| matches!(g.attrs.next_hop, NextHop::V4(_))));
        assert!(t6.groups.iter().all(|g| matches!(g.attrs.next_hop, NextHop::V6 { .. })));
        assert!(p4.iter().all(|p| matches!(p, IpNet::V4(_))));
        assert!(p6.iter().all(|p| matches!(p, IpNet::V6(_))));
    }
}
