//! Seed deployment 3: OSPF in area 0.0.0.2 with the nodes' pod CIDRs as type-2 externals.

use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use ospf_lsdb::sim::Sim;
use ospf_lsdb::{AreaId, Config, InterfaceConfig, MetricType, NetworkType, Redistribute, RouterId};
use rib::NextHop;

const AREA: AreaId = AreaId(2);
const VLAN_IFINDEX: u32 = 1;

fn rid(a: Ipv4Addr) -> RouterId {
    RouterId(u32::from(a))
}

/// One interface on the VLAN, broadcast, cost 20, hello 1 s / dead 4 s.
fn vlan() -> InterfaceConfig {
    let mut i = InterfaceConfig::new(VLAN_IFINDEX, "vlan2", AREA);
    i.network = NetworkType::Broadcast;
    i.cost = 20;
    i.hello_interval = 1;
    i.dead_interval = 4;
    i
}

fn next_hops(hops: &[NextHop]) -> String {
    let v: Vec<String> = hops
        .iter()
        .map(|h| h.addr.map_or_else(|| "directly attached".to_owned(), |a| a.to_string()))
        .collect();
    v.join(", ")
}

/// Builds the area, lets it converge, prints the router's routing table.
pub fn run(out: &mut String) {
    let mut sim = Sim::new(Instant::now());
    let router_id = Ipv4Addr::new(192, 168, 2, 1);
    let mut rc = Config::new(rid(router_id));
    rc.interfaces.push(vlan());
    let router = sim.add_router(rc);
    let mut ports = vec![Sim::port(router, VLAN_IFINDEX, "192.168.2.1/24")];
    for (n, addr) in [(1u8, Ipv4Addr::new(192, 168, 2, 65)), (2, Ipv4Addr::new(192, 168, 2, 66))] {
        let mut c = Config::new(rid(addr));
        c.interfaces.push(vlan());
        // The node's pod CIDR, as a type-2 external with metric 20 (the node also installs
        // a reject route for 10.244.0.0/16 in its kernel, so unassigned pod addresses are
        // dropped rather than sent back to the router).
        c.redistribute.push(Redistribute {
            prefix: format!("10.244.{n}.0/24").parse().unwrap_or_default(),
            metric_type: MetricType::Type2,
            metric: 20,
            forwarding: None,
            tag: 0,
        });
        c.seed = u64::from(n);
        let r = sim.add_router(c);
        ports.push(Sim::port(r, VLAN_IFINDEX, &format!("{addr}/24")));
    }
    sim.add_link(&ports);
    sim.run_for(Duration::from_secs(30));

    let _ =
        writeln!(out, "=== Deployment 3: OSPFv2 area 0.0.0.2 on one VLAN, a router and two nodes");
    let _ =
        writeln!(out, "    each node redistributes its pod CIDR as a type-2 external, metric 20\n");
    let _ = writeln!(out, "router# show rib");
    let _ = writeln!(
        out,
        "{:<18} {:<22} {:<18} {:<8} {:>5} {:>7}",
        "DESTINATION", "NEXT HOP", "PATH TYPE", "TYPE", "COST", "T2COST"
    );
    let r = &sim.routers[router];
    for x in r.routes() {
        let t2 = x.type2_cost.map_or_else(|| "-".to_owned(), |c| c.to_string());
        let _ = writeln!(
            out,
            "{:<18} {:<22} {:<18} {:<8} {:>5} {:>7}",
            x.prefix.to_string(),
            next_hops(&x.next_hops),
            x.path_type.to_string(),
            "Network",
            x.metric,
            t2
        );
    }
    for (id, x) in r.routing_table().router_routes() {
        let _ = writeln!(
            out,
            "{:<18} {:<22} {:<18} {:<8} {:>5} {:>7}",
            Ipv4Addr::from(id.0).to_string(),
            next_hops(&x.next_hops),
            format!("{} Router", x.path_type),
            if x.asbr { "ASBR" } else { "Router" },
            x.cost,
            "-"
        );
    }
    let _ = writeln!(out);
}
