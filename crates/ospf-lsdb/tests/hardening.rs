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
