//! Every step of the decision process in a table, and the properties of the order.

use super::*;
use proptest::prelude::*;
use std::net::Ipv4Addr;

fn base() -> Candidate {
    Candidate {
        ineligible: None,
        llgr_stale: false,
        weight: 0,
        local_pref: None,
        kind: PeerKind::External,
        as_path_len: 2,
        origin: 0,
        med: None,
        neighbor_as: 65001,
        igp_cost: 0,
        since: 100,
        router_id: 0x0a00_0001,
        cluster_list_len: 0,
        peer_addr: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
        path_id: 0,
    }
}

/// (rule, the preferred path, the other path, the source of the rule).
fn cases() -> Vec<(Rule, Candidate, Candidate, &'static str)> {
    let b = base();
    let other = Candidate { peer_addr: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)), ..b };
    vec![
        (Rule::LlgrStale, b, Candidate { llgr_stale: true, ..other }, "RFC 9494 §4.3"),
        (Rule::Weight, Candidate { weight: 10, ..b }, other, "FRR: higher weight"),
        (Rule::LocalPref, Candidate { local_pref: Some(200), ..b }, other, "RFC 4271 §9.1.1"),
        // A missing LOCAL_PREF counts as the default (100).
        (
            Rule::LocalPref,
            b,
            Candidate { local_pref: Some(50), ..other },
            "FRR default local-preference",
        ),
        (
            Rule::LocallyOriginated,
            Candidate { kind: PeerKind::Local, ..b },
            other,
            "FRR: local routes",
        ),
        (Rule::AsPathLength, Candidate { as_path_len: 1, ..b }, other, "RFC 4271 §9.1.2.2 (a)"),
        (Rule::Origin, b, Candidate { origin: 2, ..other }, "RFC 4271 §9.1.2.2 (b)"),
        (
            Rule::Med,
            Candidate { med: Some(5), ..b },
            Candidate { med: Some(10), ..other },
            "RFC 4271 §9.1.2.2 (c)",
        ),
        // A missing MED is the lowest value.
        (Rule::Med, b, Candidate { med: Some(1), ..other }, "RFC 4271 §9.1.2.2 (c)"),
        (
            Rule::PeerType,
            b,
            Candidate { kind: PeerKind::Internal, ..other },
            "RFC 4271 §9.1.2.2 (d)",
        ),
        (
            Rule::PeerType,
            b,
            Candidate { kind: PeerKind::ConfedExternal, ..other },
            "FRR: confed-eBGP as iBGP",
        ),
        (
            Rule::IgpCost,
            Candidate { igp_cost: 5, ..b },
            Candidate { igp_cost: 10, ..other },
            "RFC 4271 §9.1.2.2 (e)",
        ),
        (
            Rule::Oldest,
            Candidate { since: 5, router_id: 9, ..b },
            Candidate { since: 6, router_id: 1, ..other },
            "RFC 5004",
        ),
        (
            Rule::RouterId,
            Candidate { router_id: 1, ..b },
            Candidate { router_id: 2, ..other },
            "RFC 4271 §9.1.2.2 (f)",
        ),
        (
            Rule::RouterId,
            Candidate { kind: PeerKind::Internal, since: 9, router_id: 1, ..b },
            Candidate { kind: PeerKind::Internal, since: 1, router_id: 2, ..other },
            "FRR: no oldest-path step between internal paths",
        ),
        (Rule::ClusterListLength, b, Candidate { cluster_list_len: 1, ..other }, "RFC 4456 §9"),
        (Rule::NeighborAddress, b, other, "RFC 4271 §9.1.2.2 (g)"),
        (
            Rule::PathId,
            Candidate { path_id: 1, ..b },
            Candidate { path_id: 2, ..b },
            "RFC 7911: one neighbour, two paths",
        ),
    ]
}

#[test]
fn every_step_decides_in_order() {
    let cfg = BestPathConfig::default();
    for (rule, better, worse, why) in cases() {
        assert_eq!(compare(&better, &worse, &cfg), (Ordering::Less, rule), "{why}");
        assert_eq!(compare(&worse, &better, &cfg), (Ordering::Greater, rule), "{why}");
        let s = select(&[worse, better], &cfg);
        assert_eq!(s.best, Some(1), "{why}");
        assert_eq!(s.lost[0], Some((rule, Some(1))), "{why}");
    }
}

#[test]
fn options_change_the_steps() {
    let b = base();
    let other = Candidate { peer_addr: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)), ..b };
    // as-path ignore: the length no longer decides.
    let cfg = BestPathConfig { as_path_ignore: true, ..BestPathConfig::default() };
    let (o, r) = compare(&Candidate { as_path_len: 5, ..b }, &other, &cfg);
    assert_eq!((o, r), (Ordering::Less, Rule::NeighborAddress));
    // MED between different neighbouring ASes: not compared unless always-compare-med.
    let x = Candidate { med: Some(50), ..b };
    let y = Candidate { med: Some(10), neighbor_as: 65002, ..other };
    assert_eq!(compare(&x, &y, &BestPathConfig::default()).1, Rule::NeighborAddress);
    let always = BestPathConfig { always_compare_med: true, ..BestPathConfig::default() };
    assert_eq!(compare(&x, &y, &always), (Ordering::Greater, Rule::Med));
    // missing-as-worst: no MED loses to any MED.
    let worst = BestPathConfig { med_missing_as_worst: true, ..BestPathConfig::default() };
    assert_eq!(
        compare(&b, &Candidate { med: Some(7), ..other }, &worst),
        (Ordering::Greater, Rule::Med)
    );
    // compare-routerid: no oldest-path step between external paths.
    let rid = BestPathConfig { compare_router_id: true, ..BestPathConfig::default() };
    let old = Candidate { since: 1, router_id: 9, ..b };
    let new = Candidate { since: 2, router_id: 1, ..other };
    assert_eq!(compare(&old, &new, &BestPathConfig::default()).1, Rule::Oldest);
    assert_eq!(compare(&old, &new, &rid), (Ordering::Greater, Rule::RouterId));
}

#[test]
fn ineligible_paths_never_win() {
    let b = base();
    let bad = Candidate { ineligible: Some(Rule::NextHopUnreachable), weight: 100, ..b };
    let s = select(
        &[bad, Candidate { peer_addr: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 9)), ..b }],
        &BestPathConfig::default(),
    );
    assert_eq!(s.best, Some(1));
    assert_eq!(s.lost[0], Some((Rule::NextHopUnreachable, None)));
    let only_bad = select(&[bad], &BestPathConfig::default());
    assert_eq!(only_bad.best, None);
    assert!(only_bad.multipath.is_empty());
}

#[test]
fn deterministic_med_groups_by_neighbouring_as() {
    // The classic case (RFC 3345 §2): without deterministic MED the result depends on the
    // order; with it, AS 1's best (MED 10) and AS 2's path compete without MED.
    let b = base();
    let p = |asn: u32, med: u32, igp: u32, last: u8| Candidate {
        neighbor_as: asn,
        med: Some(med),
        igp_cost: igp,
        kind: PeerKind::Internal,
        peer_addr: IpAddr::V4(Ipv4Addr::new(192, 0, 2, last)),
        ..b
    };
    let paths = [p(1, 20, 1, 1), p(2, 5, 10, 2), p(1, 10, 20, 3)];
    let cfg = BestPathConfig::default();
    let s = select(&paths, &cfg);
    // Group AS 1: MED 10 (index 2) beats MED 20. Against AS 2 (IGP 10): index 2 has IGP 20.
    assert_eq!(s.best, Some(1));
    assert_eq!(s.lost[0], Some((Rule::Med, Some(2))));
    assert_eq!(s.lost[2], Some((Rule::IgpCost, Some(1))));
    for perm in [[0, 1, 2], [2, 1, 0], [1, 0, 2], [2, 0, 1]] {
        let shuffled: Vec<Candidate> = perm.iter().map(|&i| paths[i]).collect();
        let s = select(&shuffled, &cfg);
        assert_eq!(shuffled[s.best.unwrap()], paths[1]);
    }
}

#[test]
fn multipath_limits_and_kinds() {
    let b = base();
    let ext = |last: u8, asn: u32| Candidate {
        neighbor_as: asn,
        peer_addr: IpAddr::V4(Ipv4Addr::new(192, 0, 2, last)),
        router_id: u32::from(last),
        ..b
    };
    let paths = [
        ext(1, 1),
        ext(2, 1),
        ext(3, 1),
        ext(4, 2),
        Candidate { kind: PeerKind::Internal, ..ext(5, 1) },
    ];
    let mut cfg = BestPathConfig { maximum_paths_ebgp: 8, ..BestPathConfig::default() };
    let s = select(&paths, &cfg);
    // Same neighbouring AS only, no internal path in an external set.
    assert_eq!(s.multipath, vec![0, 1, 2]);
    cfg.multipath_relax = true;
    assert_eq!(select(&paths, &cfg).multipath, vec![0, 1, 2, 3]);
    cfg.maximum_paths_ebgp = 2;
    assert_eq!(select(&paths, &cfg).multipath, vec![0, 1]);
    // A worse IGP cost is not equal enough.
    let mut p2 = paths;
    p2[1].igp_cost = 7;
    cfg.maximum_paths_ebgp = 8;
    assert_eq!(select(&p2, &cfg).multipath, vec![0, 2, 3]);
}

fn candidate() -> impl Strategy<Value = Candidate> {
    (
        (
            any::<bool>(),
            0u16..3,
            prop::option::of(90u32..110),
            prop_oneof![Just(PeerKind::External), Just(PeerKind::Internal), Just(PeerKind::Local)],
        ),
        (0u16..4, 0u8..3, prop::option::of(0u32..4), 65001u32..65004),
        (0u32..3, 0u32..3, 0u32..4, 0u16..2, 0u8..8, 0u32..2),
    )
        .prop_map(
            |(
                (llgr, weight, lp, kind),
                (len, origin, med, nas),
                (igp, since, rid, cl, addr, pid),
            )| Candidate {
                ineligible: None,
                llgr_stale: llgr,
                weight,
                local_pref: lp,
                kind,
                as_path_len: len,
                origin,
                med,
                neighbor_as: nas,
                igp_cost: igp,
                since,
                router_id: rid,
                cluster_list_len: cl,
                peer_addr: IpAddr::V4(Ipv4Addr::new(192, 0, 2, addr)),
                path_id: pid,
            },
        )
}

/// Distinct paths: two paths differ at least in (neighbour address, path id).
fn distinct(v: Vec<Candidate>) -> Vec<Candidate> {
    let mut seen = std::collections::HashSet::new();
    v.into_iter().filter(|c| seen.insert((c.peer_addr, c.path_id))).collect()
}

fn configs() -> impl Strategy<Value = BestPathConfig> {
    (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>(), 1u16..4).prop_map(
        |(ignore, relax, always, worst, rid, maxp)| BestPathConfig {
            as_path_ignore: ignore,
            multipath_relax: relax,
            always_compare_med: always,
            deterministic_med: true,
            med_missing_as_worst: worst,
            compare_router_id: rid,
            default_local_pref: 100,
            maximum_paths_ebgp: maxp,
            maximum_paths_ibgp: maxp,
        },
    )
}

proptest! {
    /// With always-compare-med the pairwise comparison is a strict weak order (here total:
    /// distinct paths never compare equal): irreflexive, antisymmetric, transitive.
    #[test]
    fn pairwise_order_is_strict_weak(a in candidate(), b in candidate(), c in candidate(), cfg in configs()) {
        let cfg = BestPathConfig { always_compare_med: true, ..cfg };
        prop_assert_eq!(compare(&a, &a, &cfg).0, Ordering::Equal);
        prop_assert_eq!(compare(&a, &b, &cfg).0, compare(&b, &a, &cfg).0.reverse());
        if compare(&a, &b, &cfg).0 == Ordering::Less && compare(&b, &c, &cfg).0 == Ordering::Less {
            prop_assert_eq!(compare(&a, &c, &cfg).0, Ordering::Less);
        }
        if (a.peer_addr, a.path_id) != (b.peer_addr, b.path_id) {
            prop_assert_ne!(compare(&a, &b, &cfg).0, Ordering::Equal);
        }
    }

    /// The best path is the first of the full order (`ranked`), the ranked order is
    /// transitive, and neither the best, the multipath set nor the reasons depend on the
    /// order paths arrived in (deterministic MED or always-compare-med).
    #[test]
    fn best_is_first_of_sort_and_order_free(v in prop::collection::vec(candidate(), 1..7), cfg in configs(), seed in any::<u64>()) {
        let v = distinct(v);
        let s = select(&v, &cfg);
        let order = ranked(&v, &cfg);
        prop_assert_eq!(s.best, order.first().copied());
        // Every path that is not best lost to something.
        for i in 0..v.len() {
            prop_assert_eq!(s.lost[i].is_none(), Some(i) == s.best);
        }
        let mut perm: Vec<usize> = (0..v.len()).collect();
        let mut x = seed | 1;
        for i in (1..perm.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            perm.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let shuffled: Vec<Candidate> = perm.iter().map(|&i| v[i]).collect();
        let s2 = select(&shuffled, &cfg);
        prop_assert_eq!(s.best.map(|i| v[i]), s2.best.map(|i| shuffled[i]));
        let mp1: Vec<Candidate> = s.multipath.iter().map(|&i| v[i]).collect();
        let mp2: Vec<Candidate> = s2.multipath.iter().map(|&i| shuffled[i]).collect();
        prop_assert_eq!(mp1, mp2);
        // The ranked order is consistent: sorting the shuffled input gives the same paths.
        let r2: Vec<Candidate> = ranked(&shuffled, &cfg).into_iter().map(|i| shuffled[i]).collect();
        let r1: Vec<Candidate> = order.into_iter().map(|i| v[i]).collect();
        prop_assert_eq!(r1, r2);
    }
}
