//! Forged and abusive input against one router on the virtual clock: the
//! receive checks of RFC 2328 §8.2, bounds on neighbours and databases,
//! MinLSInterval, replayed authentication.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use ospf_lsdb::interface::IfState;
use ospf_lsdb::lsa::Options;
use ospf_lsdb::packet::{self, Auth, Body, Hello};
use ospf_lsdb::sim::Sim;
use ospf_lsdb::types::consts;
use ospf_lsdb::{AreaId, Config, InterfaceConfig, NetworkType, RouterId};

const ME: RouterId = RouterId(0xc000_0201);

fn rid(n: u32) -> RouterId {
    RouterId(n)
}

/// One router whose interface 1 is on `subnet` (broadcast unless told).
fn one_router(addr: &str, network: NetworkType) -> (Sim, usize) {
    let mut cfg = Config::new(ME);
    let mut i = InterfaceConfig::new(1, "eth0", AreaId(0));
    i.network = network;
    cfg.interfaces.push(i);
    let mut sim = Sim::new(Instant::now());
    let r = sim.add_router(cfg);
    sim.add_link(&[Sim::port(r, 1, addr)]);
    (sim, r)
}

/// A Hello as a forger would send it: priority 255, declaring `dr` as DR,
/// listing `seen` as neighbours.
fn hello(mask: Ipv4Addr, dr: Ipv4Addr, seen: Vec<RouterId>) -> Body {
    Body::Hello(Hello {
        network_mask: mask,
        hello_interval: 10,
        options: Options::E,
        router_priority: 255,
        router_dead_interval: 40,
        designated_router: dr,
        backup_designated_router: Ipv4Addr::UNSPECIFIED,
        neighbors: seen,
    })
}

fn inject(
    sim: &mut Sim,
    r: usize,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    ttl: Option<u8>,
    from: RouterId,
    body: &Body,
) {
    let bytes = packet::encode(from, AreaId(0), body, &Auth::Null, 0);
    sim.with_router(r, |x, now| x.handle_packet_with_ttl(now, 1, src, dst, ttl, &bytes));
}

#[test]
fn off_subnet_hellos_form_no_neighbour_and_win_no_election() {
    let (mut sim, r) = one_router("192.0.2.1/30", NetworkType::Broadcast);
    let forged = Ipv4Addr::new(198, 51, 100, 7);
    let mask = Ipv4Addr::new(255, 255, 255, 252);
    for _ in 0..12 {
        let h = hello(mask, forged, vec![ME]);
        inject(&mut sim, r, forged, consts::ALL_SPF_ROUTERS, Some(1), rid(0xc633_6407), &h);
        sim.run_for(Duration::from_secs(5));
    }
    assert!(sim.routers[r].neighbors(1).is_empty(), "{:?}", sim.routers[r].neighbors(1));
    assert_eq!(sim.routers[r].interface_state(1), Some((IfState::Dr, Some(ME), None)));
    let c = sim.routers[r].interface_counters(1).unwrap_or_default();
    assert_eq!(c.src_off_subnet, 12);
}

#[test]
fn destination_ttl_and_own_router_id_are_checked() {
    let (mut sim, r) = one_router("192.0.2.1/30", NetworkType::Broadcast);
    let peer = Ipv4Addr::new(192, 0, 2, 2);
    let mask = Ipv4Addr::new(255, 255, 255, 252);
    let h = hello(mask, Ipv4Addr::UNSPECIFIED, vec![]);
    // Unicast to an address that is not ours.
    inject(&mut sim, r, peer, Ipv4Addr::new(192, 0, 2, 3), Some(64), rid(9), &h);
    // AllDRouters while Waiting (neither DR nor BDR).
    inject(&mut sim, r, peer, consts::ALL_D_ROUTERS, Some(1), rid(9), &h);
    // Multicast that crossed a router.
    inject(&mut sim, r, peer, consts::ALL_SPF_ROUTERS, Some(2), rid(9), &h);
    // Our own router ID from another address.
    inject(&mut sim, r, peer, consts::ALL_SPF_ROUTERS, Some(1), ME, &h);
    assert!(sim.routers[r].neighbors(1).is_empty(), "{:?}", sim.routers[r].neighbors(1));
    let c = sim.routers[r].interface_counters(1).unwrap_or_default();
    assert_eq!(
        (c.bad_destination, c.all_d_routers_not_dr, c.bad_ttl, c.own_router_id),
        (1, 1, 1, 1)
    );
    // The same Hello, unicast to us, to AllSPFRouters with TTL 1, or with
    // no TTL known, is accepted.
    inject(&mut sim, r, peer, Ipv4Addr::new(192, 0, 2, 1), Some(64), rid(9), &h);
    inject(&mut sim, r, peer, consts::ALL_SPF_ROUTERS, None, rid(9), &h);
    assert_eq!(sim.routers[r].neighbors(1).len(), 1);
}

#[test]
fn point_to_point_does_not_check_the_source_subnet() {
    let (mut sim, r) = one_router("192.0.2.1/30", NetworkType::PointToPoint);
    let src = Ipv4Addr::new(198, 51, 100, 7);
    let h = hello(Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED, vec![]);
    inject(&mut sim, r, src, consts::ALL_SPF_ROUTERS, Some(1), rid(9), &h);
    assert_eq!(sim.routers[r].neighbors(1).len(), 1);
    assert_eq!(sim.routers[r].interface_counters(1).unwrap_or_default().src_off_subnet, 0);
}

/// One router driven by hand, keeping everything it sends.
struct Solo {
    inst: ospf_lsdb::Instance,
    now: Instant,
    sent: Vec<ospf_lsdb::Transmit>,
}

impl Solo {
    fn new(cfg: Config, addr: &str) -> Self {
        let now = Instant::now();
        let mut inst = ospf_lsdb::Instance::new(cfg);
        inst.handle_interface_address(now, 1, addr.parse().ok());
        inst.handle_interface_up(now, 1, 1500);
        let mut s = Solo { inst, now, sent: Vec::new() };
        s.drain();
        s
    }

    fn drain(&mut self) {
        while let Some(t) = self.inst.poll_transmit() {
            self.sent.push(t);
        }
        while self.inst.poll_event().is_some() {}
    }

    /// Runs the timers up to `t`.
    fn advance_to(&mut self, t: Instant) {
        while let Some(d) = self.inst.poll_timeout().filter(|d| *d <= t) {
            self.now = self.now.max(d);
            self.inst.handle_timeout(self.now);
            self.drain();
        }
        self.now = self.now.max(t);
    }

    fn packet(
        &mut self,
        src: Ipv4Addr,
        dst: Ipv4Addr,
        from: RouterId,
        body: &Body,
        auth: &Auth,
        seq: u32,
    ) {
        let bytes = packet::encode(from, AreaId(0), body, auth, seq);
        self.inst.handle_packet_with_ttl(self.now, 1, src, dst, Some(1), &bytes);
        self.drain();
    }

    /// What was sent, decoded, with the time it was sent is not kept: the
    /// bodies in order.
    fn bodies(&self, auth: &Auth) -> Vec<Body> {
        self.sent.iter().filter_map(|t| packet::decode(&t.bytes, auth).ok().map(|x| x.1)).collect()
    }
}

#[test]
fn thousands_of_forged_neighbours_are_bounded_and_hellos_are_not_multiplied() {
    let mut cfg = Config::new(ME);
    cfg.interfaces.push(InterfaceConfig::new(1, "eth0", AreaId(0)));
    let mut solo = Solo::new(cfg, "10.1.0.1/16");
    let mask = Ipv4Addr::new(255, 255, 0, 0);
    let t0 = solo.now;
    // 2,000 router IDs from 2,000 addresses of the subnet, 300 Hellos/s.
    for k in 0..2000u32 {
        solo.advance_to(t0 + Duration::from_micros(u64::from(k) * 3333));
        let src = Ipv4Addr::from(0x0a01_1000 + k);
        let h = hello(mask, Ipv4Addr::UNSPECIFIED, vec![ME]);
        solo.packet(src, consts::ALL_SPF_ROUTERS, rid(0x6400_0000 + k), &h, &Auth::Null, 0);
    }
    let end = solo.now;
    let n = solo.inst.neighbors(1).len();
    assert!((1..=64).contains(&n), "{n} neighbours");
    let c = solo.inst.interface_counters(1).unwrap_or_default();
    assert_eq!(c.neighbor_limit, 2000 - n as u64);
    // Our Hellos: within the MTU, and not one per new neighbour (6.7 s at
    // HelloInterval 10 s: the first, at most one triggered reply per
    // HelloInterval, and those after an election).
    let hellos: Vec<usize> =
        solo.sent.iter().filter(|t| t.bytes.get(1) == Some(&1)).map(|t| t.bytes.len()).collect();
    assert!(hellos.iter().all(|len| len + 20 <= 1500), "{hellos:?}");
    assert!(hellos.len() <= 6, "{} Hellos in {:?}", hellos.len(), end - t0);
}

#[test]
fn the_neighbour_limit_also_keeps_the_hello_within_a_small_mtu() {
    let mut cfg = Config::new(ME);
    let mut i = InterfaceConfig::new(1, "eth0", AreaId(0));
    i.max_neighbors = 10_000;
    cfg.interfaces.push(i);
    let mut solo = Solo::new(cfg, "10.1.0.1/16");
    solo.inst.handle_interface_mtu(solo.now, 1, 576);
    let mask = Ipv4Addr::new(255, 255, 0, 0);
    for k in 0..300u32 {
        let src = Ipv4Addr::from(0x0a01_1000 + k);
        let h = hello(mask, Ipv4Addr::UNSPECIFIED, vec![ME]);
        solo.packet(src, consts::ALL_SPF_ROUTERS, rid(0x6400_0000 + k), &h, &Auth::Null, 0);
    }
    solo.advance_to(solo.now + Duration::from_secs(30));
    // 576 - 20 (IP) - 24 (OSPF header) - 20 (Hello fields): 128 neighbours.
    assert_eq!(solo.inst.neighbors(1).len(), 128);
    let longest =
        solo.sent.iter().filter(|t| t.bytes.get(1) == Some(&1)).map(|t| t.bytes.len()).max();
    assert_eq!(longest, Some(576 - 20));
    let _ = solo.bodies(&Auth::Null);
}

#[test]
fn broadcast_neighbours_are_keyed_by_source_address_point_to_point_by_router_id() {
    let (mut sim, r) = one_router("192.0.2.1/29", NetworkType::Broadcast);
    let mask = Ipv4Addr::new(255, 255, 255, 248);
    let h = hello(mask, Ipv4Addr::UNSPECIFIED, vec![]);
    let (a, b) = (Ipv4Addr::new(192, 0, 2, 2), Ipv4Addr::new(192, 0, 2, 3));
    // A router comes back on the same address with another router ID: the
    // same neighbour, not a second one next to a stale first.
    inject(&mut sim, r, a, consts::ALL_SPF_ROUTERS, Some(1), rid(7), &h);
    inject(&mut sim, r, a, consts::ALL_SPF_ROUTERS, Some(1), rid(8), &h);
    assert_eq!(sim.routers[r].neighbors(1), vec![(rid(8), a, ospf_lsdb::neighbor::NbrState::Init)]);
    // Two addresses claiming one router ID are two neighbours.
    inject(&mut sim, r, b, consts::ALL_SPF_ROUTERS, Some(1), rid(8), &h);
    let mut addrs: Vec<Ipv4Addr> = sim.routers[r].neighbors(1).iter().map(|n| n.1).collect();
    addrs.sort_unstable();
    assert_eq!(addrs, vec![a, b]);

    // On a point-to-point link the router ID is the key, whatever the source.
    let (mut sim, r) = one_router("192.0.2.1/30", NetworkType::PointToPoint);
    let h = hello(Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED, vec![]);
    inject(&mut sim, r, a, consts::ALL_SPF_ROUTERS, Some(1), rid(7), &h);
    inject(&mut sim, r, b, consts::ALL_SPF_ROUTERS, Some(1), rid(7), &h);
    assert_eq!(sim.routers[r].neighbors(1), vec![(rid(7), b, ospf_lsdb::neighbor::NbrState::Init)]);
}

const PEER: RouterId = RouterId(0xc000_02fe);

/// A point-to-point router with `cfg` changes, and a forged neighbour
/// (with a higher router ID, so it is master) taken to Exchange; the DD
/// sequence number of the exchange is returned.
fn to_exchange(change: impl FnOnce(&mut Config)) -> (Solo, u32) {
    use ospf_lsdb::packet::{DatabaseDescription, DdFlags};
    let mut cfg = Config::new(ME);
    let mut i = InterfaceConfig::new(1, "eth0", AreaId(0));
    i.network = NetworkType::PointToPoint;
    cfg.interfaces.push(i);
    change(&mut cfg);
    let mut solo = Solo::new(cfg, "192.0.2.1/30");
    let peer = Ipv4Addr::new(192, 0, 2, 2);
    let h = hello(Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED, vec![ME]);
    solo.packet(peer, consts::ALL_SPF_ROUTERS, PEER, &h, &Auth::Null, 0);
    let dd = Body::DatabaseDescription(DatabaseDescription {
        interface_mtu: 1500,
        options: Options::E,
        flags: DdFlags::I | DdFlags::M | DdFlags::MS,
        dd_sequence_number: 1000,
        lsa_headers: vec![],
    });
    solo.packet(peer, consts::ALL_SPF_ROUTERS, PEER, &dd, &Auth::Null, 0);
    assert_eq!(solo.inst.neighbors(1)[0].2, ospf_lsdb::neighbor::NbrState::Exchange);
    (solo, 1000)
}

/// Summary-LSAs of made-up prefixes from `adv`.
fn summaries(adv: RouterId, n: u32, seq: i32) -> Vec<ospf_lsdb::lsa::Lsa> {
    use ospf_lsdb::lsa::{self, LsSeqNum, LsType, LsaBody, SummaryLsa};
    (0..n)
        .map(|k| {
            let body = LsaBody::SummaryNetwork(SummaryLsa {
                network_mask: Ipv4Addr::new(255, 255, 255, 0),
                tos0: 0,
                metric: 10,
                tos_metrics: vec![],
            });
            let key = lsa::key(LsType::SUMMARY_NETWORK, 0x0a00_0000 + (k << 8), adv);
            lsa::build(1, Options::E, key, LsSeqNum(seq), body)
        })
        .collect()
}

fn db_len(solo: &Solo) -> usize {
    solo.inst.area_lsdb(AreaId(0)).map_or(0, |d| d.len()) + solo.inst.as_lsdb().len()
}

#[test]
fn a_full_database_refuses_new_lsas_acknowledges_them_and_counts() {
    use ospf_lsdb::lsa::LsaExt;
    use ospf_lsdb::packet::{DatabaseDescription, DdFlags, LinkStateUpdate};
    let (mut solo, seq) = to_exchange(|c| c.max_lsas = 20);
    let peer = Ipv4Addr::new(192, 0, 2, 2);
    let dd = Body::DatabaseDescription(DatabaseDescription {
        interface_mtu: 1500,
        options: Options::E,
        flags: DdFlags::MS,
        dd_sequence_number: seq + 1,
        lsa_headers: vec![],
    });
    solo.packet(peer, consts::ALL_SPF_ROUTERS, PEER, &dd, &Auth::Null, 0);
    assert_eq!(solo.inst.neighbors(1)[0].2, ospf_lsdb::neighbor::NbrState::Full);
    let before = db_len(&solo);
    let lsas = summaries(PEER, 50, 0x8000_0001u32 as i32);
    let sent_keys: Vec<_> = lsas.iter().map(|l| l.key()).collect();
    let lsu = Body::LinkStateUpdate(LinkStateUpdate { lsas });
    solo.packet(peer, consts::ALL_SPF_ROUTERS, PEER, &lsu, &Auth::Null, 0);
    assert_eq!(db_len(&solo), 20);
    assert_eq!(solo.inst.counters().lsas_refused, 50 - (20 - before) as u64);
    // Every one is acknowledged, installed or not: the neighbour stops
    // retransmitting.
    solo.advance_to(solo.now + Duration::from_secs(2));
    let mut acked: Vec<_> = solo
        .bodies(&Auth::Null)
        .into_iter()
        .filter_map(|b| match b {
            Body::LinkStateAck(a) => Some(a.lsa_headers),
            _ => None,
        })
        .flatten()
        .map(|h| h.key())
        .collect();
    acked.sort_unstable();
    acked.dedup();
    let mut want = sent_keys.clone();
    want.sort_unstable();
    assert_eq!(acked, want);
    // A newer instance of an LSA already installed is still taken.
    let installed = sent_keys
        .iter()
        .find(|k| solo.inst.area_lsdb(AreaId(0)).is_some_and(|d| d.get(k).is_some()))
        .copied();
    let newer =
        summaries(PEER, 50, 0x8000_0002u32 as i32).into_iter().find(|l| Some(l.key()) == installed);
    let lsu = Body::LinkStateUpdate(LinkStateUpdate { lsas: newer.into_iter().collect() });
    solo.packet(peer, consts::ALL_SPF_ROUTERS, PEER, &lsu, &Auth::Null, 0);
    let seq_now = installed
        .and_then(|k| solo.inst.area_lsdb(AreaId(0)).and_then(|d| d.get(&k)))
        .map(|e| e.lsa.header().ls_sequence_number.0);
    assert_eq!(seq_now, Some(0x8000_0002u32 as i32));
}

#[test]
fn the_request_list_is_bounded_by_the_database_limit() {
    use ospf_lsdb::packet::{DatabaseDescription, DdFlags};
    let (mut solo, seq) = to_exchange(|c| c.max_lsas = 20);
    let peer = Ipv4Addr::new(192, 0, 2, 2);
    let headers = summaries(PEER, 60, 0x8000_0001u32 as i32).iter().map(|l| *l.header()).collect();
    let dd = Body::DatabaseDescription(DatabaseDescription {
        interface_mtu: 1500,
        options: Options::E,
        flags: DdFlags::MS,
        dd_sequence_number: seq + 1,
        lsa_headers: headers,
    });
    solo.packet(peer, consts::ALL_SPF_ROUTERS, PEER, &dd, &Auth::Null, 0);
    assert_eq!(solo.inst.neighbors(1)[0].2, ospf_lsdb::neighbor::NbrState::Loading);
    let requested: usize = solo
        .bodies(&Auth::Null)
        .into_iter()
        .filter_map(|b| match b {
            Body::LinkStateRequest(r) => Some(r.requests.len()),
            _ => None,
        })
        .sum();
    assert!((1..=20).contains(&requested), "{requested} requested");
    assert_eq!(
        solo.inst.interface_counters(1).unwrap_or_default().requests_refused,
        60 - requested as u64
    );
}

#[test]
fn an_exchange_that_never_ends_goes_back_to_exstart() {
    let (mut solo, _) = to_exchange(|c| c.exchange_timeout = Duration::from_secs(30));
    // The master goes quiet but keeps saying Hello.
    let peer = Ipv4Addr::new(192, 0, 2, 2);
    let h = hello(Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED, vec![ME]);
    let t0 = solo.now;
    for s in (10..=60).step_by(10) {
        solo.advance_to(t0 + Duration::from_secs(s));
        solo.packet(peer, consts::ALL_SPF_ROUTERS, PEER, &h, &Auth::Null, 0);
        let state = solo.inst.neighbors(1)[0].2;
        if s < 30 {
            assert_eq!(state, ospf_lsdb::neighbor::NbrState::Exchange, "at {s} s");
        }
    }
    assert_eq!(solo.inst.neighbors(1)[0].2, ospf_lsdb::neighbor::NbrState::ExStart);
    assert!(solo.inst.interface_counters(1).unwrap_or_default().exchange_timeouts >= 1);
}

/// The sequence numbers of our router-LSA in the updates we sent.
fn own_router_lsa_seqs(solo: &Solo) -> Vec<i32> {
    use ospf_lsdb::lsa::LsaExt;
    solo.bodies(&Auth::Null)
        .into_iter()
        .filter_map(|b| match b {
            Body::LinkStateUpdate(u) => Some(u.lsas),
            _ => None,
        })
        .flatten()
        .filter(|l| l.key().advertising_router == ME && l.key().ls_type.0 == 1)
        .map(|l| l.header().ls_sequence_number.0)
        .collect()
}

#[test]
fn forged_newer_copies_of_our_lsa_are_answered_once_per_min_ls_interval() {
    use ospf_lsdb::lsa::{self, LsSeqNum, LsType, LsaBody, RouterLsa};
    use ospf_lsdb::packet::{DatabaseDescription, DdFlags, LinkStateUpdate};
    let (mut solo, seq) = to_exchange(|_| {});
    let peer = Ipv4Addr::new(192, 0, 2, 2);
    let dd = Body::DatabaseDescription(DatabaseDescription {
        interface_mtu: 1500,
        options: Options::E,
        flags: DdFlags::MS,
        dd_sequence_number: seq + 1,
        lsa_headers: vec![],
    });
    solo.packet(peer, consts::ALL_SPF_ROUTERS, PEER, &dd, &Auth::Null, 0);
    solo.advance_to(solo.now + Duration::from_secs(10));
    solo.sent.clear();
    let key = lsa::key(LsType::ROUTER, ME.0, ME);
    let forged_seqs: Vec<i32> = (1..=10).map(|k| LsSeqNum::INITIAL.0 + 100 * k).collect();
    let t0 = solo.now;
    for (k, s) in forged_seqs.iter().enumerate() {
        solo.advance_to(t0 + Duration::from_millis(100 * k as u64));
        let forged =
            lsa::build(0, Options::E, key, LsSeqNum(*s), LsaBody::Router(RouterLsa::default()));
        let lsu = Body::LinkStateUpdate(LinkStateUpdate { lsas: vec![forged] });
        solo.packet(peer, consts::ALL_SPF_ROUTERS, PEER, &lsu, &Auth::Null, 0);
    }
    solo.advance_to(t0 + Duration::from_secs(7));
    let mut ours: Vec<i32> =
        own_router_lsa_seqs(&solo).into_iter().filter(|s| !forged_seqs.contains(s)).collect();
    ours.dedup();
    // One new instance at once, one more at MinLSInterval, not ten.
    assert_eq!(ours.len(), 2, "{ours:?}");
    let held = solo
        .inst
        .area_lsdb(AreaId(0))
        .and_then(|d| d.get(&key))
        .map(|e| e.lsa.header().ls_sequence_number.0);
    assert_eq!(held, ours.last().copied());
    assert!(held > forged_seqs.last().copied());
}

#[test]
fn old_hellos_cannot_be_replayed_even_after_the_neighbour_is_gone() {
    let md5 = Auth::Md5 { key_id: 1, key: b"secret".to_vec() };
    let mut cfg = Config::new(ME);
    let mut i = InterfaceConfig::new(1, "eth0", AreaId(0));
    i.auth = md5.clone();
    cfg.interfaces.push(i);
    let mut solo = Solo::new(cfg, "192.0.2.1/24");
    let peer = Ipv4Addr::new(192, 0, 2, 2);
    let h = hello(Ipv4Addr::new(255, 255, 255, 0), Ipv4Addr::UNSPECIFIED, vec![]);
    let t0 = solo.now;
    let old = packet::encode(PEER, AreaId(0), &h, &md5, 100);
    let deliver = |solo: &mut Solo, bytes: &[u8]| {
        solo.inst.handle_packet_with_ttl(
            solo.now,
            1,
            peer,
            consts::ALL_SPF_ROUTERS,
            Some(1),
            bytes,
        );
        solo.drain();
    };
    deliver(&mut solo, &old);
    assert_eq!(solo.inst.neighbors(1).len(), 1);
    solo.advance_to(t0 + Duration::from_secs(10));
    deliver(&mut solo, &packet::encode(PEER, AreaId(0), &h, &md5, 200));
    // RFC 2328 D.3: non-decreasing; an equal number is accepted.
    deliver(&mut solo, &packet::encode(PEER, AreaId(0), &h, &md5, 200));
    assert_eq!(solo.inst.interface_counters(1).unwrap_or_default().replayed, 0);
    // Going back is refused.
    deliver(&mut solo, &old);
    assert_eq!(solo.inst.interface_counters(1).unwrap_or_default().replayed, 1);
    // The neighbour dies (RouterDeadInterval without a Hello); the old
    // Hello replayed a little later does not bring it back.
    solo.advance_to(t0 + Duration::from_secs(55));
    assert!(solo.inst.neighbors(1).is_empty());
    deliver(&mut solo, &old);
    assert!(solo.inst.neighbors(1).is_empty(), "{:?}", solo.inst.neighbors(1));
    assert_eq!(solo.inst.interface_counters(1).unwrap_or_default().replayed, 2);
    // The real router, carrying on, is welcome.
    deliver(&mut solo, &packet::encode(PEER, AreaId(0), &h, &md5, 300));
    assert_eq!(solo.inst.neighbors(1).len(), 1);
}
