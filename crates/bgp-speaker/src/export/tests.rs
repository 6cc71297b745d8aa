//! Every export rule in a table, each with the RFC it follows.

use super::*;
use bgp_wire::attribute::{AsPath, Attribute, AttributeType, Flags, Segment};
use bgp_wire::{Context, Family};
use bytes::Bytes;

fn key(external: bool) -> GroupKey {
    GroupKey {
        external,
        rr_client: false,
        remote_as: external.then_some(Asn(65002)),
        export: None,
        tx: Context::modern(),
        add_path: crate::config::AddPathSend::Best,
        families: vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST],
        self_v4: Some(NextHop::Ipv4("192.0.2.1".parse().unwrap())),
        self_v6: Some(NextHop::Ipv6("2001:db8::1".parse().unwrap())),
        next_hop_self: false,
        next_hop_unchanged: false,
        remove_private_as: false,
        as_override: false,
        role: None,
        llgr: false,
        mrai: std::time::Duration::ZERO,
    }
}

fn from(kind: PeerKind) -> Origin {
    Origin { kind, rr_client: false, router_id: "10.9.9.9".parse().unwrap() }
}

fn attrs(path: &[u32]) -> PathAttrs {
    PathAttrs {
        as_path: AsPath::from_sequence(path.iter().copied()),
        med: Some(50),
        local_pref: Some(300),
        ..PathAttrs::default()
    }
}

/// Us: AS 65000, cluster id 10.0.0.1, default LOCAL_PREF 100.
fn local(policy: &Policy) -> Local<'_> {
    Local {
        asn: Asn(65000),
        cluster_id: "10.0.0.1".parse().unwrap(),
        default_local_pref: 100,
        policy,
        long_lived_to_internal: true,
    }
}

fn run(g: &GroupKey, policy: &Policy, from: Origin, a: PathAttrs) -> Option<Out> {
    let me = local(policy);
    export(
        g,
        &me,
        "10.1.0.0/16".parse().unwrap(),
        from,
        a,
        0,
        Some("198.51.100.9".parse().unwrap()),
    )
}

fn get(o: &Out, t: AttributeType) -> Option<Attribute> {
    decoded(o).into_iter().find(|a| a.type_code() == t).map(|a| a.value)
}

fn decoded(o: &Out) -> Vec<PathAttribute> {
    o.attrs.attributes(&Context::modern())
}

#[test]
fn external_neighbours() {
    let p = Policy::new();
    let o = run(&key(true), &p, from(PeerKind::External), attrs(&[65010])).unwrap();
    // RFC 4271 §5.1.2: our AS prepended.
    assert_eq!(
        get(&o, AttributeType::AS_PATH),
        Some(Attribute::AsPath(AsPath::from_sequence([65000, 65010])))
    );
    // §5.1.3: ourselves as next hop.
    assert_eq!(o.next_hop, NextHop::Ipv4("192.0.2.1".parse().unwrap()));
    // §5.1.5: no LOCAL_PREF; §5.1.4: a MED from another AS does not go on.
    assert_eq!(get(&o, AttributeType::LOCAL_PREF), None);
    assert_eq!(get(&o, AttributeType::MULTI_EXIT_DISC), None);
    // Our own route's MED goes.
    let o = run(&key(true), &p, from(PeerKind::Local), attrs(&[])).unwrap();
    assert_eq!(get(&o, AttributeType::MULTI_EXIT_DISC), Some(Attribute::MultiExitDisc(50)));
    assert_eq!(
        get(&o, AttributeType::AS_PATH),
        Some(Attribute::AsPath(AsPath::from_sequence([65000])))
    );
    // A route server keeps the next hop (`attribute-unchanged next-hop`).
    let mut g = key(true);
    g.next_hop_unchanged = true;
    let o = run(&g, &p, from(PeerKind::External), attrs(&[65010])).unwrap();
    assert_eq!(o.next_hop, NextHop::Ipv4("198.51.100.9".parse().unwrap()));
}

#[test]
fn internal_neighbours_and_split_horizon() {
    let p = Policy::new();
    let g = key(false);
    // From an external neighbour: no prepend, next hop unchanged, LOCAL_PREF kept.
    let o = run(&g, &p, from(PeerKind::External), attrs(&[65010])).unwrap();
    assert_eq!(
        get(&o, AttributeType::AS_PATH),
        Some(Attribute::AsPath(AsPath::from_sequence([65010])))
    );
    assert_eq!(o.next_hop, NextHop::Ipv4("198.51.100.9".parse().unwrap()));
    assert_eq!(get(&o, AttributeType::LOCAL_PREF), Some(Attribute::LocalPref(300)));
    // A missing LOCAL_PREF gets the default.
    let mut a = attrs(&[65010]);
    a.local_pref = None;
    let o = run(&g, &p, from(PeerKind::External), a).unwrap();
    assert_eq!(get(&o, AttributeType::LOCAL_PREF), Some(Attribute::LocalPref(100)));
    // Our own routes: next hop self.
    let o = run(&g, &p, from(PeerKind::Local), attrs(&[])).unwrap();
    assert_eq!(o.next_hop, NextHop::Ipv4("192.0.2.1".parse().unwrap()));
    // next-hop-self.
    let mut nhs = key(false);
    nhs.next_hop_self = true;
    assert_eq!(
        run(&nhs, &p, from(PeerKind::External), attrs(&[65010])).unwrap().next_hop,
        NextHop::Ipv4("192.0.2.1".parse().unwrap())
    );
    // RFC 4271 §9.1.3: internal routes are not sent to internal peers.
    assert!(run(&g, &p, from(PeerKind::Internal), attrs(&[65010])).is_none());
    // ...but go to external ones.
    assert!(run(&key(true), &p, from(PeerKind::Internal), attrs(&[65010])).is_some());
}

#[test]
fn route_reflection() {
    let p = Policy::new();
    let client = Origin { rr_client: true, ..from(PeerKind::Internal) };
    let nonclient = from(PeerKind::Internal);
    let mut to_client = key(false);
    to_client.rr_client = true;
    let to_nonclient = key(false);
    // RFC 4456 §6: a client's route goes to clients and non-clients; a non-client's to
    // clients only.
    for (f, g, go) in [
        (client, &to_client, true),
        (client, &to_nonclient, true),
        (nonclient, &to_client, true),
        (nonclient, &to_nonclient, false),
    ] {
        let o = run(g, &p, f, attrs(&[65010]));
        assert_eq!(o.is_some(), go);
        if let Some(o) = o {
            // §8: ORIGINATOR_ID set, our cluster id first in CLUSTER_LIST.
            assert_eq!(
                get(&o, AttributeType::ORIGINATOR_ID),
                Some(Attribute::OriginatorId("10.9.9.9".parse().unwrap()))
            );
            assert_eq!(
                get(&o, AttributeType::CLUSTER_LIST),
                Some(Attribute::ClusterList(vec!["10.0.0.1".parse().unwrap()]))
            );
        }
    }
    // An ORIGINATOR_ID already there stays; the cluster list grows at the front.
    let mut a = attrs(&[65010]);
    a.originator_id = Some("10.5.5.5".parse().unwrap());
    a.cluster_list = vec!["10.0.0.7".parse().unwrap()];
    let o = run(&to_client, &p, client, a).unwrap();
    assert_eq!(
        get(&o, AttributeType::ORIGINATOR_ID),
        Some(Attribute::OriginatorId("10.5.5.5".parse().unwrap()))
    );
    assert_eq!(
        get(&o, AttributeType::CLUSTER_LIST),
        Some(Attribute::ClusterList(vec![
            "10.0.0.1".parse().unwrap(),
            "10.0.0.7".parse().unwrap()
        ]))
    );
    // Neither goes to external neighbours.
    let mut a = attrs(&[65010]);
    a.originator_id = Some("10.5.5.5".parse().unwrap());
    a.cluster_list = vec!["10.0.0.7".parse().unwrap()];
    let o = run(&key(true), &p, client, a).unwrap();
    assert!(
        get(&o, AttributeType::ORIGINATOR_ID).is_none()
            && get(&o, AttributeType::CLUSTER_LIST).is_none()
    );
}

#[test]
fn well_known_communities() {
    let p = Policy::new();
    let with = |c: Community| PathAttrs { communities: vec![c], ..attrs(&[65010]) };
    // RFC 1997.
    for (c, to_ebgp, to_ibgp) in [
        (Community::NO_ADVERTISE, false, false),
        (Community::NO_EXPORT, false, true),
        (Community::NO_EXPORT_SUBCONFED, false, true),
        (Community::new(65000, 1), true, true),
    ] {
        assert_eq!(
            run(&key(true), &p, from(PeerKind::External), with(c)).is_some(),
            to_ebgp,
            "{c} to eBGP"
        );
        assert_eq!(
            run(&key(false), &p, from(PeerKind::External), with(c)).is_some(),
            to_ibgp,
            "{c} to iBGP"
        );
    }
}

#[test]
fn roles_and_only_to_customer() {
    let p = Policy::new();
    let to = |role| GroupKey { role: Some(role), ..key(true) };
    // RFC 9234 §5: a route with OTC never goes up or sideways.
    let leaked = PathAttrs { otc: Some(Asn(65099)), ..attrs(&[65010]) };
    for role in [BgpRole::CUSTOMER, BgpRole::PEER, BgpRole::ROUTE_SERVER_CLIENT] {
        assert!(run(&to(role), &p, from(PeerKind::External), leaked.clone()).is_none());
    }
    assert!(run(&to(BgpRole::PROVIDER), &p, from(PeerKind::External), leaked).is_some());
    // Down or sideways it gets OTC with our AS when it has none.
    for role in [BgpRole::PROVIDER, BgpRole::PEER, BgpRole::ROUTE_SERVER] {
        let o = run(&to(role), &p, from(PeerKind::External), attrs(&[65010])).unwrap();
        assert_eq!(get(&o, AttributeType::OTC), Some(Attribute::Otc(Asn(65000))));
    }
    let o = run(&to(BgpRole::CUSTOMER), &p, from(PeerKind::External), attrs(&[65010])).unwrap();
    assert_eq!(get(&o, AttributeType::OTC), None);
}

#[test]
fn as_override_and_private_as_removal() {
    let p = Policy::new();
    let mut g = key(true);
    g.as_override = true;
    let o = run(&g, &p, from(PeerKind::External), attrs(&[65010, 65002])).unwrap();
    assert_eq!(
        get(&o, AttributeType::AS_PATH),
        Some(Attribute::AsPath(AsPath::from_sequence([65000, 65010, 65000])))
    );
    let mut g = key(true);
    g.remove_private_as = true;
    // Only private: removed (FRR's default form).
    let o = run(&g, &p, from(PeerKind::External), attrs(&[65010, 64512])).unwrap();
    assert_eq!(
        get(&o, AttributeType::AS_PATH),
        Some(Attribute::AsPath(AsPath::from_sequence([65000])))
    );
    // Mixed: kept.
    let o = run(&g, &p, from(PeerKind::External), attrs(&[65010, 3333])).unwrap();
    assert_eq!(
        get(&o, AttributeType::AS_PATH),
        Some(Attribute::AsPath(AsPath::from_sequence([65000, 65010, 3333])))
    );
    // AS_SET segments are kept as they are.
    let mut a = attrs(&[]);
    a.as_path = AsPath { segments: vec![Segment::set([1, 2])] };
    let o = run(&key(true), &p, from(PeerKind::External), a).unwrap();
    assert_eq!(
        get(&o, AttributeType::AS_PATH),
        Some(Attribute::AsPath(AsPath {
            segments: vec![Segment::sequence([65000]), Segment::set([1, 2])]
        }))
    );
}

#[test]
fn unknown_attributes() {
    let p = Policy::new();
    let mut a = attrs(&[65010]);
    let value = Bytes::from_static(&[1, 2, 3]);
    a.other = vec![
        PathAttribute {
            flags: Flags::OPTIONAL_TRANSITIVE,
            value: Attribute::Unknown { type_code: AttributeType(99), value: value.clone() },
        },
        PathAttribute {
            flags: Flags::OPTIONAL_NON_TRANSITIVE,
            value: Attribute::Unknown { type_code: AttributeType(98), value },
        },
    ];
    let o = run(&key(true), &p, from(PeerKind::External), a).unwrap();
    // RFC 4271 §5: transitive ones go on with the Partial bit; non-transitive ones stop.
    let u: Vec<_> =
        decoded(&o).into_iter().filter(|x| matches!(x.value, Attribute::Unknown { .. })).collect();
    assert_eq!(u.len(), 1);
    assert!(u[0].flags.is_partial());
}

#[test]
fn export_route_map() {
    let p = Policy::parse(
        "ip prefix-list DENY seq 5 permit 10.1.0.0/16\n\
         route-map OUT deny 10\n match ip address prefix-list DENY\n\
         route-map OUT permit 20\n set metric 7\n set ip next-hop 192.0.2.99\n\
         route-map PASS permit 10\n set metric 7\n set ip next-hop 192.0.2.99\n",
    )
    .unwrap();
    let mut g = key(true);
    g.export = p.route_map_id("OUT");
    assert!(run(&g, &p, from(PeerKind::External), attrs(&[65010])).is_none());
    g.export = p.route_map_id("PASS");
    let o = run(&g, &p, from(PeerKind::External), attrs(&[65010])).unwrap();
    assert_eq!(get(&o, AttributeType::MULTI_EXIT_DISC), Some(Attribute::MultiExitDisc(7)));
    assert_eq!(o.next_hop, NextHop::Ipv4("192.0.2.99".parse().unwrap()));
}

#[test]
fn families_and_next_hops() {
    let p = Policy::new();
    // A family the group did not negotiate is not sent.
    let mut g = key(true);
    g.families = vec![Family::IPV6_UNICAST];
    assert!(run(&g, &p, from(PeerKind::External), attrs(&[65010])).is_none());
    // IPv4 routes toward an unnumbered neighbour: the link-local next hop of RFC 8950.
    let mut g = key(true);
    g.self_v4 = Some(NextHop::Ipv6LinkLocal {
        global: "fe80::1".parse().unwrap(),
        link_local: "fe80::1".parse().unwrap(),
    });
    let o = run(&g, &p, from(PeerKind::External), attrs(&[65010])).unwrap();
    assert!(matches!(o.next_hop, NextHop::Ipv6LinkLocal { .. }));
    // No usable next hop at all: not sent.
    let mut g = key(false);
    g.self_v4 = None;
    let me = local(&p);
    assert!(export(
        &g,
        &me,
        "10.1.0.0/16".parse().unwrap(),
        from(PeerKind::Local),
        attrs(&[]),
        0,
        None
    )
    .is_none());
}

#[test]
fn long_lived_stale_routes() {
    // RFC 9494 §4.3 and §4.6, each row: the group, whether partial deployment is allowed,
    // and what goes out (None: not advertised; Some((LOCAL_PREF, NO_EXPORT added))).
    let stale = || {
        let mut a = attrs(&[65010]);
        a.communities = vec![Community::LLGR_STALE];
        a
    };
    let llgr = |external: bool| {
        let mut g = key(external);
        g.llgr = true;
        g
    };
    type Row = (&'static str, GroupKey, bool, Option<(Option<u32>, bool)>);
    let rows: Vec<Row> = vec![
        // §4.3: to a neighbour that sent the capability, as it is, LLGR_STALE kept.
        ("llgr ebgp", llgr(true), false, Some((None, false))),
        ("llgr ibgp", llgr(false), false, Some((Some(300), false))),
        // §4.3: "SHOULD NOT be advertised to any neighbor from which the Long-lived
        // Graceful Restart Capability has not been received".
        ("ebgp", key(true), true, None),
        // §4.6: internal neighbours, NO_EXPORT attached, LOCAL_PREF zero.
        ("ibgp, partial deployment", key(false), true, Some((Some(0), true))),
        ("ibgp, partial deployment off", key(false), false, None),
    ];
    let p = Policy::new();
    for (name, g, partial, want) in rows {
        let me = Local { long_lived_to_internal: partial, ..local(&p) };
        let o = export(
            &g,
            &me,
            "10.1.0.0/16".parse().unwrap(),
            from(PeerKind::External),
            stale(),
            0,
            Some("198.51.100.9".parse().unwrap()),
        );
        let got = o.as_ref().map(|o| {
            let lp = match get(o, AttributeType::LOCAL_PREF) {
                Some(Attribute::LocalPref(l)) => Some(l),
                _ => None,
            };
            let Some(Attribute::Communities(c)) = get(o, AttributeType::COMMUNITIES) else {
                panic!("{name}: LLGR_STALE was removed")
            };
            assert!(c.contains(&Community::LLGR_STALE), "{name}: §4.3 keeps LLGR_STALE");
            (lp, c.contains(&Community::NO_EXPORT))
        });
        assert_eq!(got, want, "{name}");
    }
    // A route that is not stale goes to everyone as before.
    assert!(run(&key(true), &p, from(PeerKind::External), attrs(&[65010])).is_some());
}

/// The octet path (`export_stored`) gives what the typed path gives, for every set the
/// table can hold with the attributes it handles: read back from a real table, exported
/// to an external group both ways.
mod stored {
    use super::*;
    use bgp_wire::attribute::{Aggregator, ExtendedCommunity, LargeCommunity, NextHop as Nh};
    use bgp_wire::nlri::Nlri;
    use proptest::prelude::*;
    use rib::{PeerConfig, Rib, RibConfig};

    fn community() -> impl Strategy<Value = Community> {
        prop_oneof![
            6 => any::<u32>().prop_map(Community),
            1 => Just(Community::NO_EXPORT),
            1 => Just(Community::NO_ADVERTISE),
            1 => Just(Community::NO_EXPORT_SUBCONFED),
            1 => Just(Community::LLGR_STALE),
        ]
    }

    fn segment() -> impl Strategy<Value = Segment> {
        (any::<bool>(), prop::collection::vec(1u32..64_000, 1..=255)).prop_map(|(set, asns)| {
            if set {
                Segment::set(asns)
            } else {
                Segment::sequence(asns)
            }
        })
    }

    prop_compose! {
        fn attributes()(
            origin in 0u8..3,
            segments in prop::collection::vec(segment(), 0..3),
            med in proptest::option::of(any::<u32>()),
            local_pref in proptest::option::of(any::<u32>()),
            atomic_aggregate in any::<bool>(),
            aggregator in proptest::option::of((any::<u32>(), any::<u32>())),
            communities in prop::collection::vec(community(), 0..4),
            ext in prop::collection::vec(any::<[u8; 8]>(), 0..3),
            large in prop::collection::vec(any::<(u32, u32, u32)>(), 0..3),
            originator in proptest::option::of(any::<u32>()),
            cluster in prop::collection::vec(any::<u32>(), 0..3),
            otc in proptest::option::of(any::<u32>()),
        ) -> PathAttrs {
            let mut as_path = AsPath { segments };
            // The neighbour's AS first, as received from it.
            as_path.prepend(Asn(65001), 1);
            PathAttrs {
                origin: bgp_wire::attribute::Origin::from_u8(origin).unwrap(),
                as_path,
                med,
                local_pref,
                atomic_aggregate,
                aggregator: aggregator.map(|(a, b)| Aggregator { asn: Asn(a), address: b.into() }),
                communities,
                ext_communities: ext.into_iter().map(ExtendedCommunity).collect(),
                large_communities: large
                    .into_iter()
                    .map(|(g, a, b)| LargeCommunity { global_admin: g, local_data_1: a, local_data_2: b })
                    .collect(),
                originator_id: originator.map(Into::into),
                cluster_list: cluster.into_iter().map(Into::into).collect(),
                otc: otc.map(Asn),
                other: Vec::new(),
            }
        }
    }

    proptest! {
        #[test]
        fn stored_octets_export_as_the_typed_attributes(
            a in attributes(),
            kind in prop_oneof![Just(PeerKind::External), Just(PeerKind::Internal), Just(PeerKind::Local)],
            llgr in any::<bool>(),
            next_hop_self in any::<bool>(),
            v6 in any::<bool>(),
        ) {
            let now = std::time::Instant::now();
            let mut r = Rib::new(RibConfig::new(Asn(65000), "10.0.0.1".parse().unwrap()));
            let addr = "192.0.2.2".parse().unwrap();
            let peer = r.add_peer(PeerConfig::external(addr, Asn(65001), "192.0.2.2".parse().unwrap()));
            let (prefix, nh): (IpNet, Nh) = if v6 {
                ("2001:db8:5::/48".parse().unwrap(), Nh::Ipv6("2001:db8::2".parse().unwrap()))
            } else {
                ("10.5.0.0/16".parse().unwrap(), Nh::Ipv4("192.0.2.2".parse().unwrap()))
            };
            r.announce_routes(now, peer, &[Nlri::new(prefix)], nh, &a);
            let best = r.best(prefix);
            prop_assume!(best.is_some());
            let id = best.unwrap().attrs;
            let mut g = key(true);
            g.llgr = llgr;
            g.next_hop_self = next_hop_self;
            let p = Policy::new();
            let me = local(&p);
            let o = from(kind);
            let original = r.attributes_next_hop(id);
            let typed = export(&g, &me, prefix, o, r.attributes(id).unwrap(), 0, original);
            let fast = export_stored(&g, &me, prefix, o, &r.stored_attributes(id).unwrap(), original);
            prop_assert_eq!(fast, Some(typed));
        }
    }

    #[test]
    fn groups_and_attributes_it_does_not_handle_take_the_typed_path() {
        let now = std::time::Instant::now();
        let mut r = Rib::new(RibConfig::new(Asn(65000), "10.0.0.1".parse().unwrap()));
        let addr = "192.0.2.2".parse().unwrap();
        let peer = r.add_peer(PeerConfig::external(addr, Asn(65001), "192.0.2.2".parse().unwrap()));
        let prefix: IpNet = "10.5.0.0/16".parse().unwrap();
        let mut a = attrs(&[65001]);
        a.other.push(PathAttribute {
            flags: Flags::OPTIONAL_TRANSITIVE,
            value: Attribute::Unknown {
                type_code: AttributeType(99),
                value: Bytes::from_static(b"x"),
            },
        });
        let nh = Nh::Ipv4("192.0.2.2".parse().unwrap());
        r.announce_routes(now, peer, &[Nlri::new(prefix)], nh, &a);
        let id = r.best(prefix).unwrap().attrs;
        let p = Policy::new();
        let me = local(&p);
        let stored = r.stored_attributes(id).unwrap();
        let o = from(PeerKind::External);
        assert_eq!(export_stored(&key(true), &me, prefix, o, &stored, None), None, "unknown type");
        let plain: IpNet = "10.6.0.0/16".parse().unwrap();
        let nh = Nh::Ipv4("192.0.2.2".parse().unwrap());
        r.announce_routes(now, peer, &[Nlri::new(plain)], nh, &attrs(&[65001]));
        let id = r.best(plain).unwrap().attrs;
        let stored = r.stored_attributes(id).unwrap();
        assert!(export_stored(&key(true), &me, prefix, o, &stored, None).is_some());
        for g in [
            key(false),
            GroupKey { as_override: true, ..key(true) },
            GroupKey { remove_private_as: true, ..key(true) },
            GroupKey { role: Some(BgpRole::CUSTOMER), ..key(true) },
            GroupKey { tx: Context::legacy(), ..key(true) },
        ] {
            assert_eq!(export_stored(&g, &me, prefix, o, &stored, None), None, "{g:?}");
        }
    }
}
