//! The synthetic area of the SPF benchmark (`benches/ospf_spf.rs`, which
//! includes this file), so FRR and our engine compute over the same graph:
//! a ring of `n` routers (so the area is connected) plus one random chord
//! per router, costs 1 to 20, each router with three /24 stub networks.
//!
//! The same area in OSPFv3 (RFC 5340): the k-th point-to-point link of a
//! router has Interface ID k + 1 ([`interface_ids`]), and stub `s` of
//! router `i` is the /64 [`prefix6`] instead of a /24.

use std::net::{Ipv4Addr, Ipv6Addr};

use ospf_lsdb::rng::SplitMix64;

/// The seed the benchmark uses.
pub const BENCH_SEED: u64 = 0x5eed;

/// Stub networks per router.
pub const STUBS: u32 = 3;

/// One link of a synthetic router.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SynthLink {
    /// Point-to-point to router `to` with this interface address and cost.
    PointToPoint {
        /// Neighbour index.
        to: u32,
        /// Our interface address on the /30.
        addr: Ipv4Addr,
        /// Cost.
        cost: u16,
    },
    /// A /24 stub network.
    Stub {
        /// Network address.
        net: Ipv4Addr,
        /// Cost.
        cost: u16,
    },
}

/// Router ID of synthetic router `i` (1.0.0.1 upwards).
#[must_use]
pub fn router_id(i: u32) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(Ipv4Addr::new(1, 0, 0, 0)).wrapping_add(i).wrapping_add(1))
}

/// The interface address of the link between `a` and `b`, `side` 1 or 2,
/// in a /30 numbered from the unordered pair.
fn link_addr(a: u32, b: u32, side: u32) -> Ipv4Addr {
    let (lo, hi) = (a.min(b), a.max(b));
    let idx = lo.wrapping_mul(7919).wrapping_add(hi) & 0x003f_ffff;
    Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 0, 0, 0)).wrapping_add(idx * 4 + side))
}

/// The links of each of the `n` routers.
#[must_use]
pub fn build(n: u32, seed: u64) -> Vec<Vec<SynthLink>> {
    let mut rng = SplitMix64::new(seed);
    let mut adj: Vec<Vec<(u32, u16)>> = vec![Vec::new(); n as usize];
    let mut add = |a: u32, b: u32, cost: u16| {
        if a == b {
            return;
        }
        let (Some(la), true) = (adj.get(a as usize), (b as usize) < adj.len()) else { return };
        if la.iter().any(|x| x.0 == b) {
            return;
        }
        if let Some(l) = adj.get_mut(a as usize) {
            l.push((b, cost));
        }
        if let Some(l) = adj.get_mut(b as usize) {
            l.push((a, cost));
        }
    };
    let cost = |rng: &mut SplitMix64| 1 + rng.below(20) as u16;
    for i in 0..n {
        let c = cost(&mut rng);
        add(i, (i + 1) % n, c);
        let j = rng.below(u64::from(n)) as u32;
        let c = cost(&mut rng);
        add(i, j, c);
    }
    adj.iter()
        .zip(0u32..)
        .map(|(nbrs, i)| {
            let mut links: Vec<SynthLink> = nbrs
                .iter()
                .map(|&(j, cost)| SynthLink::PointToPoint {
                    to: j,
                    addr: link_addr(i, j, if i < j { 1 } else { 2 }),
                    cost,
                })
                .collect();
            for s in 0..STUBS {
                let net =
                    u32::from(Ipv4Addr::new(172, 16, 0, 0)).wrapping_add((i * STUBS + s) << 8);
                links.push(SynthLink::Stub { net: Ipv4Addr::from(net), cost: 1 + s as u16 });
            }
            links
        })
        .collect()
}

/// OSPFv3: the Interface IDs of each router's point-to-point links, in the
/// order of its links: (its own, the neighbour's). A router's k-th
/// point-to-point link has Interface ID k + 1, so the neighbour's is the
/// position of the link back among the neighbour's links, plus 1.
#[must_use]
pub fn interface_ids(topo: &[Vec<SynthLink>]) -> Vec<Vec<(u32, u32)>> {
    let p2p = |links: &[SynthLink]| -> Vec<(u32, u16)> {
        links
            .iter()
            .filter_map(|l| match *l {
                SynthLink::PointToPoint { to, cost, .. } => Some((to, cost)),
                SynthLink::Stub { .. } => None,
            })
            .collect()
    };
    let nbrs: Vec<Vec<(u32, u16)>> = topo.iter().map(|l| p2p(l)).collect();
    nbrs.iter()
        .zip(0u32..)
        .map(|(mine, i)| {
            mine.iter()
                .zip(1u32..)
                .map(|(&(j, _), id)| {
                    let back = nbrs
                        .get(j as usize)
                        .and_then(|theirs| theirs.iter().position(|x| x.0 == i))
                        .map_or(0, |k| k as u32 + 1);
                    (id, back)
                })
                .collect()
        })
        .collect()
}

/// OSPFv3: stub `s` of router `i` as a /64, `fd00:0:<hi>:<lo>::` where
/// `hi:lo` is `i * STUBS + s`.
#[must_use]
pub fn prefix6(i: u32, s: u32) -> Ipv6Addr {
    let n = i.wrapping_mul(STUBS).wrapping_add(s);
    Ipv6Addr::new(0xfd00, 0, (n >> 16) as u16, n as u16, 0, 0, 0, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_plus_chords_with_stubs() {
        let t = build(100, BENCH_SEED);
        assert_eq!(t.len(), 100);
        let mut p2p = 0;
        for (i, links) in t.iter().enumerate() {
            let stubs = links.iter().filter(|l| matches!(l, SynthLink::Stub { .. })).count();
            assert_eq!(stubs, STUBS as usize);
            for l in links {
                if let SynthLink::PointToPoint { to, cost, .. } = *l {
                    p2p += 1;
                    assert!((1..=20).contains(&cost));
                    // Every link is bidirectional with the same cost.
                    let back = t[to as usize].iter().any(|m| {
                        matches!(*m, SynthLink::PointToPoint { to: k, cost: c, .. } if k as usize == i && c == cost)
                    });
                    assert!(back, "{i} -> {to} has no way back");
                }
            }
            // The ring: i is linked to i+1.
            let next = (i as u32 + 1) % 100;
            assert!(links
                .iter()
                .any(|l| matches!(*l, SynthLink::PointToPoint { to, .. } if to == next)));
        }
        // About degree 4: between the ring's 2 and the ring plus chords' 4.
        let degree = p2p as f64 / 100.0;
        assert!((3.0..=4.0).contains(&degree), "{degree}");
    }

    #[test]
    fn deterministic_and_seed_dependent() {
        assert_eq!(build(50, 1), build(50, 1));
        assert_ne!(build(50, 1), build(50, 2));
        assert_eq!(router_id(0), Ipv4Addr::new(1, 0, 0, 1));
        assert_eq!(link_addr(3, 5, 1), link_addr(5, 3, 1));
    }

    #[test]
    fn interface_ids_name_the_link_back() {
        let t = build(200, BENCH_SEED);
        let ids = interface_ids(&t);
        for (i, links) in t.iter().enumerate() {
            let p2p: Vec<u32> = links
                .iter()
                .filter_map(|l| match *l {
                    SynthLink::PointToPoint { to, .. } => Some(to),
                    SynthLink::Stub { .. } => None,
                })
                .collect();
            assert_eq!(ids[i].len(), p2p.len());
            for (k, (&j, &(own, theirs))) in p2p.iter().zip(&ids[i]).enumerate() {
                assert_eq!(own, k as u32 + 1);
                // The neighbour's link with that Interface ID leads back.
                let back = ids[j as usize][theirs as usize - 1];
                assert_eq!(back, (theirs, own), "{i} -> {j}");
            }
        }
        assert_eq!(prefix6(0, 1).to_string(), "fd00:0:0:1::");
        assert_eq!(prefix6(30_000, 2).to_string(), "fd00:0:1:5f92::");
    }
}
