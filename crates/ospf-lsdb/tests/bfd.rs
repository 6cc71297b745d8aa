//! BFD and OSPF (RFC 5882 §4.1): on an interface with `bfd`, a neighbour is watched from
//! 2-Way on, and a BFD Down kills it at once instead of after RouterDeadInterval.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use ospf_lsdb::neighbor::NbrState;
use ospf_lsdb::sim::Sim;
use ospf_lsdb::{AreaId, Config, Event, InterfaceConfig, RouterId};

fn pair(bfd: bool) -> Sim {
    let mut sim = Sim::new(Instant::now());
    let mut rs = Vec::new();
    for n in 1..=2u32 {
        let mut cfg = Config::new(RouterId(n));
        let mut i = InterfaceConfig::new(1, "eth0", AreaId(0));
        i.bfd = bfd && n == 1;
        cfg.interfaces.push(i);
        rs.push(sim.add_router(cfg));
    }
    sim.add_link(&[Sim::port(rs[0], 1, "192.0.2.1/24"), Sim::port(rs[1], 1, "192.0.2.2/24")]);
    sim.run_for(Duration::from_secs(60));
    sim
}

fn full(sim: &Sim, r: usize) -> bool {
    sim.routers[r].neighbors(1).iter().any(|(_, _, s)| *s == NbrState::Full)
}

#[test]
fn a_bfd_down_kills_the_neighbour_at_once() {
    let mut sim = pair(true);
    assert!(full(&sim, 0) && full(&sim, 1));
    let peer = Ipv4Addr::new(192, 0, 2, 2);
    let wanted: Vec<&Event> = sim
        .events
        .iter()
        .filter(|(r, _, e)| *r == 0 && matches!(e, Event::BfdWanted { .. }))
        .map(|(_, _, e)| e)
        .collect();
    assert_eq!(
        wanted,
        [&Event::BfdWanted { ifindex: 1, local: Ipv4Addr::new(192, 0, 2, 1), peer }],
        "one session, asked for once"
    );
    // The other router has no BFD on its interface.
    assert!(!sim.events.iter().any(|(r, _, e)| *r == 1 && matches!(e, Event::BfdWanted { .. })));

    let mut killed = false;
    sim.with_router(0, |x, now| killed = x.bfd_down(now, 1, peer));
    assert!(killed);
    assert!(sim.routers[0].neighbors(1).is_empty(), "killed without waiting for Dead");
    assert!(sim.events.iter().any(|(r, _, e)| *r == 0
        && matches!(e, Event::NeighborState { new: NbrState::Down, reason: "BFD down", .. })));
    assert!(sim.events.iter().any(|(r, _, e)| *r == 0
        && matches!(e, Event::BfdNotWanted { ifindex: 1, peer: p } if *p == peer)));
    // An address that is no neighbour, and an interface without BFD, change nothing.
    sim.with_router(0, |x, now| killed = x.bfd_down(now, 1, Ipv4Addr::new(192, 0, 2, 9)));
    assert!(!killed);
    sim.with_router(1, |x, now| killed = x.bfd_down(now, 1, Ipv4Addr::new(192, 0, 2, 1)));
    assert!(!killed);
    // The link is fine in the simulation: the adjacency comes back.
    sim.run_for(Duration::from_secs(60));
    assert!(full(&sim, 0) && full(&sim, 1));
}

#[test]
fn without_bfd_nothing_is_asked_for() {
    let mut sim = pair(false);
    assert!(!sim.events.iter().any(|(_, _, e)| matches!(e, Event::BfdWanted { .. })));
    let mut killed = true;
    sim.with_router(0, |x, now| killed = x.bfd_down(now, 1, Ipv4Addr::new(192, 0, 2, 2)));
    assert!(!killed);
    assert!(full(&sim, 0));
}
