//! `fabric-demo`: what the node agent does, without a machine to do it on. The speakers'
//! sans-IO cores are wired together in one process on virtual time, and the tables an
//! operator would look at are printed:
//!
//! 1. A BGP unnumbered fabric (routing on the host): two leaves and three Kubernetes nodes,
//!    each node peering over two links that have only IPv6 link-local addresses, announcing
//!    its loopback and, from the kernel table through a prefix list, its pod CIDR. Every
//!    node ends with ECMP routes to the other nodes' pods through both leaves; a link goes
//!    down and the fabric converges around it.
//! 2. OSPF in area 0.0.0.2: a router and two nodes on one VLAN, each node redistributing
//!    its pod CIDR as a type-2 external with metric 20, with a reject route for the
//!    covering aggregate; the router's routing table as `ospfctl show rib` prints it.
//!
//! Nothing is installed, no privilege is needed, and nothing touches the network.

mod bgp_fabric;
mod ospf_area;

fn main() {
    let started = std::time::Instant::now();
    let mut out = String::new();
    bgp_fabric::run(&mut out);
    ospf_area::run(&mut out);
    print!("{out}");
    println!("(both deployments simulated in {} ms of real time)", started.elapsed().as_millis());
}

#[cfg(test)]
mod tests {
    /// What the demo prints is what the fabric computed: ECMP through both leaves, one path
    /// after the link failure, the externals in the OSPF table.
    #[test]
    fn the_demo_shows_ecmp_failover_and_externals() {
        let mut out = String::new();
        super::bgp_fabric::run(&mut out);
        super::ospf_area::run(&mut out);
        let (before, after) = out.split_once("--- the link").unwrap();
        let ecmp =
            before.find("B>* 10.233.66.0/24     via fe80::100:1, eth1\n  *").unwrap_or(usize::MAX);
        assert!(ecmp != usize::MAX, "{before}");
        assert!(after.contains("B>* 10.233.66.0/24     via fe80::200:1, eth2\nK>*"), "{after}");
        let bgp = before.split("node1# show bgp ipv4 unicast\n").nth(1).unwrap();
        let bgp = bgp.split("node1# show ip route").next().unwrap();
        assert!(bgp.contains("10.233.64.0/24"), "{bgp}");
        assert!(!bgp.contains("192.168.122.0/24"), "the prefix list keeps it out: {bgp}");
        let line = out.lines().find(|l| l.starts_with("10.244.2.0/24")).unwrap();
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            cols,
            ["10.244.2.0/24", "192.168.2.66", "Type", "2", "ext", "Network", "20", "20"]
        );
    }
}
