//! ADD-PATH send (RFC 7911) of the multipath set: a router with `maximum-paths 2` learns a
//! prefix from two external neighbours and sends both paths, each under its own path
//! identifier, to neighbours that receive ADD-PATH; the others get the best path only.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use bgp_fsm::{Config, Neighbor, PeerAs};
use bgp_speaker::sim::Net;
use bgp_speaker::{AddPathSend, NeighborConfig, NeighborId, Speaker, SpeakerConfig};
use bgp_wire::capability::{AddPathDirection, AddPathFamily};
use bgp_wire::{Asn, Family};
use ipnet::IpNet;
use rib::{PathAttrs, PathSource};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn v4(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

fn pfx(s: &str) -> IpNet {
    s.parse().unwrap()
}

const SERVICE: &str = "10.96.0.10/32";
const R: &str = "192.0.2.100";

fn session(local_as: u32, me: &str, peer: &str, passive: bool) -> Config {
    let mut c = Config::new(
        Asn(local_as),
        v4(me),
        PeerAs::External,
        Neighbor::Address { addr: ip(peer), scope: None },
    );
    c.connect_retry_time = Duration::from_secs(1);
    c.passive = passive;
    c
}

/// A leaf in `asn` at `me` peering with the router; `announce` originates the service
/// prefix; `add_path` offers to receive ADD-PATH.
fn leaf(net: &mut Net, name: &str, asn: u32, me: &str, announce: bool, add_path: bool) -> usize {
    let now = net.now();
    let mut s = Speaker::new(SpeakerConfig::new(Asn(asn), v4(me))).unwrap();
    let mut c = session(asn, me, R, true);
    if add_path {
        c.add_path = vec![AddPathFamily {
            family: Family::IPV4_UNICAST,
            direction: AddPathDirection::RECEIVE,
        }];
    }
    s.add_neighbor(now, NeighborConfig::new(c)).unwrap();
    if announce {
        s.announce(now, pfx(SERVICE), &PathAttrs::default());
    }
    net.add(name, s, vec![(ip(me), None)])
}

struct Lab {
    net: Net,
    r: usize,
    a: usize,
    /// Receive ADD-PATH, AS 65003.
    c: usize,
    e: usize,
    /// Does not, AS 65003 too.
    d: usize,
}

fn lab() -> Lab {
    let mut net = Net::new(std::time::Instant::now());
    let now = net.now();
    let mut cfg = SpeakerConfig::new(Asn(65000), v4(R));
    cfg.bestpath.maximum_paths_ebgp = 2;
    cfg.bestpath.multipath_relax = true;
    let mut r = Speaker::new(cfg).unwrap();
    for peer in ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5"] {
        let mut n = NeighborConfig::new(session(65000, R, peer, false));
        // Every neighbour is asked for the multipath set; only those that negotiate
        // ADD-PATH receive get more than the best path.
        n.add_path_send = AddPathSend::Multipath;
        r.add_neighbor(now, n).unwrap();
    }
    let r = net.add("r", r, vec![(ip(R), None)]);
    let a = leaf(&mut net, "a", 65001, "192.0.2.1", true, false);
    leaf(&mut net, "b", 65002, "192.0.2.2", true, false);
    let c = leaf(&mut net, "c", 65003, "192.0.2.3", false, true);
    let d = leaf(&mut net, "d", 65003, "192.0.2.4", false, false);
    let e = leaf(&mut net, "e", 65003, "192.0.2.5", false, true);
    net.run_for(Duration::from_secs(5));
    Lab { net, r, a, c, e, d }
}

/// The paths a node has to the service prefix: (AS path, path identifier).
fn paths(net: &mut Net, node: usize) -> Vec<(String, u32)> {
    let now = net.now();
    let Some(v) = net.nodes[node].speaker.route(now, pfx(SERVICE)) else { return Vec::new() };
    let mut out: Vec<(String, u32)> = v
        .paths
        .iter()
        .map(|p| {
            let id = match p.source {
                PathSource::Bgp { path_id, .. } => path_id,
                PathSource::Route(_) => u32::MAX,
            };
            (p.attrs.as_ref().unwrap().as_path.to_string(), id)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn the_multipath_set_goes_with_distinct_path_ids_and_leaves_by_id() {
    let Lab { mut net, r, a, c, e, d } = lab();
    // RFC 7911 §3: each path under a path identifier of its own.
    let before = paths(&mut net, c);
    assert_eq!(before.len(), 2, "{before:?}");
    assert_eq!(before[0].0, "65000 65001");
    assert_eq!(before[1].0, "65000 65002");
    assert_ne!(before[0].1, before[1].1);
    assert_eq!(paths(&mut net, e), before, "e is in c's update group");
    // Without ADD-PATH: the best path alone, without an identifier.
    let plain = paths(&mut net, d);
    assert_eq!(plain.len(), 1, "{plain:?}");
    assert_eq!(plain[0].1, 0);

    // The update groups: c and e share one; d, with the same AS but no ADD-PATH, does not.
    let sum = net.nodes[r].speaker.summary(net.now());
    let group = |id: u32| sum.neighbors.iter().find(|n| n.id == NeighborId(id)).unwrap().group;
    assert_eq!(group(2), group(4));
    assert_ne!(group(2), group(3));
    let adv = net.nodes[r].speaker.advertised(NeighborId(2));
    let mut ids: Vec<Option<u32>> = adv.iter().map(|x| x.path_id).collect();
    ids.sort();
    assert_eq!(ids, vec![Some(1), Some(2)]);
    assert_eq!(net.nodes[r].speaker.advertised(NeighborId(3))[0].path_id, None);

    // a goes down: its path is withdrawn by its identifier; b's keeps its own (RFC 7911 §5).
    net.stop(a);
    net.run_for(Duration::from_secs(2));
    let after = paths(&mut net, c);
    assert_eq!(after, vec![before[1].clone()]);
    assert_eq!(paths(&mut net, e), after);
    let plain = paths(&mut net, d);
    assert_eq!(plain, vec![("65000 65002".to_owned(), 0)]);
}

#[test]
fn a_path_id_freed_is_taken_by_the_next_path() {
    let Lab { mut net, a, c, .. } = lab();
    let before = paths(&mut net, c);
    let a_id = before[0].1;
    net.stop(a);
    net.run_for(Duration::from_secs(2));
    // a comes back: its path joins the set again under the lowest free identifier, which
    // is the one it had.
    let now = net.now();
    let mut s = Speaker::new(SpeakerConfig::new(Asn(65001), v4("192.0.2.1"))).unwrap();
    s.add_neighbor(now, NeighborConfig::new(session(65001, "192.0.2.1", R, true))).unwrap();
    s.announce(now, pfx(SERVICE), &PathAttrs::default());
    net.restart(a, s);
    net.run_for(Duration::from_secs(5));
    let again = paths(&mut net, c);
    assert_eq!(again, before);
    assert_eq!(again[0].1, a_id);
}
