//! OSPFv3 interop in network namespaces (needs root, FRR and BIRD): the
//! engine's `OspfInstance<V3>`, driven on a thread inside its namespace by a
//! plain loop over a raw IPv6 socket (protocol 89), against FRR `ospf6d`
//! and BIRD 2.
//!
//! The lab deletes its namespaces and stops FRR when it drops, also on
//! failure. Hello 1 s and Dead 4 s keep the waits short; every wait is
//! bounded.

use std::io::Read;
use std::net::{IpAddr, Ipv6Addr, SocketAddrV6};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use integration_tests::bird_neighbor;
use netlab::{wait_until, Bird, Frr, FrrDaemon, Lab, Netns};
use ospf_lsdb::interface::IfState;
use ospf_lsdb::neighbor::NbrState;
use ospf_lsdb::{
    AreaConfig, AreaId, AreaKind, Config, InterfaceConfig, LinkAddrs, MetricType, NetworkType,
    OspfInstance, Redistribute6, RouterId, Version, V3,
};
use socket2::{Domain, Protocol, Socket, Type};

const POLL: Duration = Duration::from_millis(200);
const WAIT: Duration = Duration::from_secs(30);

/// FRR's ospf6d configuration: `eth0` toward us in area 0.0.0.`area` with
/// `network` and `priority`, a passive stub network 2001:db8:2::/64 in the
/// backbone, and `extra` lines in `router ospf6`.
fn frr_ospf6d(network: &str, priority: u8, area: u32, extra: &str) -> String {
    format!(
        "\
frr defaults traditional
hostname peer
!
interface eth0
 ipv6 ospf6 area 0.0.0.{area}
 ipv6 ospf6 network {network}
 ipv6 ospf6 priority {priority}
 ipv6 ospf6 hello-interval 1
 ipv6 ospf6 dead-interval 4
 ipv6 ospf6 retransmit-interval 1
 ipv6 ospf6 cost 10
!
interface stub0
 ipv6 ospf6 area 0.0.0.0
 ipv6 ospf6 passive
 ipv6 ospf6 cost 10
!
router ospf6
 ospf6 router-id 2.2.2.2
 timers throttle spf 0 50 1000
{extra}!
"
    )
}

/// What the driver thread publishes.
#[derive(Debug, Default, Clone)]
struct Seen {
    neighbors: Vec<(RouterId, Ipv6Addr, NbrState)>,
    interface: Option<(IfState, Option<RouterId>, Option<RouterId>)>,
    routes: Vec<rib::Route>,
    events: Vec<String>,
}

fn ifindex(ns: &Netns, iface: &str) -> u32 {
    let out = ns.ip(&["-o", "link", "show", "dev", iface]).expect("ip link");
    out.split(':').next().and_then(|n| n.trim().parse().ok()).expect("ifindex")
}

/// The destination a packet from `src` was sent to: the one its checksum
/// verifies with (the socket does not report it without ancillary data).
fn destination(src: Ipv6Addr, own: Ipv6Addr, bytes: &[u8]) -> Ipv6Addr {
    [V3::ALL_SPF_ROUTERS, V3::ALL_D_ROUTERS, own]
        .into_iter()
        .find(|d| ospf_wire::v3::checksum_ok(src, *d, bytes))
        .unwrap_or(V3::ALL_SPF_ROUTERS)
}

/// Runs the engine on a thread inside `ns` until `stop`.
fn run_ours(
    ns: Netns,
    cfg: Config,
    eth0: (u32, LinkAddrs),
    stub: (u32, LinkAddrs),
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Seen>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let _in_ns = ns.enter().expect("enter namespace");
        let (ix, addrs) = eth0;
        let own = addrs.link_local;
        let s = Socket::new(Domain::IPV6, Type::RAW, Some(Protocol::from(89))).expect("raw socket");
        s.bind_device(Some(b"eth0")).expect("bind device");
        s.bind(&SocketAddrV6::new(own, 0, 0, ix).into()).expect("bind link-local");
        s.join_multicast_v6(&V3::ALL_SPF_ROUTERS, ix).expect("join ff02::5");
        s.join_multicast_v6(&V3::ALL_D_ROUTERS, ix).expect("join ff02::6");
        s.set_multicast_if_v6(ix).expect("multicast if");
        s.set_multicast_hops_v6(1).expect("hops");
        s.set_unicast_hops_v6(1).expect("hops");
        s.set_multicast_loop_v6(false).expect("no loop");
        s.set_read_timeout(Some(Duration::from_millis(20))).expect("timeout");
        let mut ospf = OspfInstance::<V3>::new(cfg);
        let t0 = Instant::now();
        ospf.handle_interface_address(t0, stub.0, Some(stub.1));
        ospf.handle_interface_up(t0, stub.0, 1500);
        ospf.handle_interface_address(t0, ix, Some(addrs));
        ospf.handle_interface_up(t0, ix, 1500);
        let mut buf = vec![0u8; 65536];
        let mut s_read = &s;
        while !stop.load(Ordering::Relaxed) {
            let now = Instant::now();
            if ospf.poll_timeout().is_some_and(|t| t <= now) {
                ospf.handle_timeout(now);
            }
            if let Ok(from) = s.peek_sender() {
                if let Ok(n) = s_read.read(&mut buf) {
                    if let Some(src) = from.as_socket_ipv6().map(|a| *a.ip()) {
                        let bytes = &buf[..n];
                        let dst = destination(src, own, bytes);
                        ospf.handle_packet(Instant::now(), ix, src, dst, bytes);
                    }
                }
            }
            while let Some(t) = ospf.poll_transmit() {
                let to = SocketAddrV6::new(t.dst, 0, 0, t.ifindex);
                if let Err(e) = s.send_to(&t.bytes, &to.into()) {
                    seen.lock().expect("lock").events.push(format!("send to {to}: {e}"));
                }
            }
            let mut g = seen.lock().expect("lock");
            while let Some(e) = ospf.poll_event() {
                g.events.push(format!("{e:?}"));
            }
            g.neighbors = ospf.neighbors(ix);
            g.interface = ospf.interface_state(ix);
            g.routes = ospf.routes().cloned().collect();
        }
    })
}

/// BIRD 2's configuration: the same as FRR's, point-to-point.
fn bird_ospf3(area: u32) -> String {
    format!(
        "\
router id 2.2.2.2;
protocol device {{}}
protocol ospf v3 ospf1 {{
  ipv6 {{ import all; export none; }};
  area {area} {{
    interface \"eth0\" {{ type ptp; hello 1; dead 4; cost 10; }};
    interface \"stub0\" {{ stub yes; cost 10; }};
  }};
}}
"
    )
}

/// Which daemon faces us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Frr,
    Bird,
}

/// The daemon facing us.
enum Peer {
    Frr(Frr),
    Bird(Bird),
}

impl Peer {
    fn neighbors(&self) -> String {
        match self {
            Peer::Frr(f) => f.vtysh("show ipv6 ospf6 neighbor").unwrap_or_default(),
            Peer::Bird(b) => b.birdc("show ospf neighbors").unwrap_or_default(),
        }
    }

    /// Whether it has us (1.1.1.1) Full.
    fn sees_us_full(&self) -> bool {
        match self {
            Peer::Frr(_) => {
                self.neighbors().lines().any(|l| l.starts_with("1.1.1.1") && l.contains("Full"))
            }
            Peer::Bird(b) => bird_neighbor(b, "1.1.1.1").is_some_and(|s| s.starts_with("Full")),
        }
    }

    fn database(&self) -> String {
        match self {
            Peer::Frr(f) => f.vtysh("show ipv6 ospf6 database").unwrap_or_default(),
            Peer::Bird(b) => b.birdc("show ospf lsadb").unwrap_or_default(),
        }
    }

    fn routes(&self) -> String {
        match self {
            Peer::Frr(f) => f.vtysh("show ipv6 ospf6 route").unwrap_or_default(),
            Peer::Bird(b) => b.birdc("show route").unwrap_or_default(),
        }
    }

    /// Whether it routes `prefix` through `via`.
    fn routes_via(&self, prefix: &str, via: Ipv6Addr) -> bool {
        let via = via.to_string();
        match self {
            Peer::Frr(_) => self.routes().lines().any(|l| l.contains(prefix) && l.contains(&via)),
            Peer::Bird(b) => b
                .birdc(&format!("show route {prefix}"))
                .is_ok_and(|t| t.contains("ospf1") && t.contains(&via)),
        }
    }

    fn frr(&self) -> &Frr {
        match self {
            Peer::Frr(f) => f,
            Peer::Bird(_) => panic!("an FRR check on BIRD"),
        }
    }
}

const OURS: RouterId = RouterId(0x0101_0101);
const FRRS: RouterId = RouterId(0x0202_0202);

/// Our engine and FRR on one veth, each with a stub prefix: ours
/// 2001:db8:1::/64, FRR's 2001:db8:2::/64.
struct Pair {
    peer: Peer,
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Seen>>,
    driver: Option<std::thread::JoinHandle<()>>,
    our_ll: Ipv6Addr,
    peer_ll: Ipv6Addr,
    eth0: u32,
    // Last: the lab goes after FRR and the driver.
    _lab: Lab,
    _serial: integration_tests::Serial,
}

impl Pair {
    fn start(network: NetworkType, our_priority: u8, frr_priority: u8) -> Pair {
        Self::start_with(Kind::Frr, network, our_priority, frr_priority, 0, |_| {}, "")
    }

    /// `start` with `ours` applied to our configuration and `frr_extra`
    /// added to FRR's `router ospf6`.
    fn start_with(
        kind: Kind,
        network: NetworkType,
        our_priority: u8,
        frr_priority: u8,
        area: u32,
        ours: impl FnOnce(&mut Config),
        frr_extra: &str,
    ) -> Pair {
        let serial = integration_tests::serial();
        let lab = Lab::new("ospfsix").expect("lab");
        let us = lab.node("us").expect("node");
        let peer = lab.node("peer").expect("node");
        lab.veth(&us, "eth0", &peer, "eth0").expect("veth");
        us.add_addr("eth0", "2001:db8:12::1/64").expect("addr");
        peer.add_addr("eth0", "2001:db8:12::2/64").expect("addr");
        peer.add_bridge("stub0").expect("stub bridge");
        peer.add_addr("stub0", "2001:db8:2::1/64").expect("addr");
        // Outside OSPF: what `redistribute connected` exports.
        peer.add_bridge("ext0").expect("ext bridge");
        peer.add_addr("ext0", "2001:db8:99::1/64").expect("addr");
        let dir = lab.subdir("frr").expect("state folder");
        let net = match network {
            NetworkType::PointToPoint => "point-to-point",
            NetworkType::Broadcast => "broadcast",
        };
        let daemon = match kind {
            Kind::Frr => {
                let conf = frr_ospf6d(net, frr_priority, area, frr_extra);
                Peer::Frr(Frr::start(&peer, &dir, &[(FrrDaemon::Ospf6d, &conf)]).expect("FRR"))
            }
            Kind::Bird => Peer::Bird(Bird::start(&peer, &dir, &bird_ospf3(area)).expect("BIRD")),
        };
        let our_ll = us.link_local("eth0").expect("our link-local");
        let peer_ll = peer.link_local("eth0").expect("FRR's link-local");
        let eth0 = ifindex(&us, "eth0");
        let mut cfg = Config::new(OURS);
        let mut i = InterfaceConfig::new(eth0, "eth0", AreaId(area));
        i.network = network;
        i.priority = our_priority;
        i.hello_interval = 1;
        i.dead_interval = 4;
        i.retransmit_interval = 1;
        cfg.interfaces.push(i);
        // A passive "loopback" with our prefix; its link-local is never used.
        let mut lo = InterfaceConfig::new(1000, "stub", AreaId(area));
        lo.passive = true;
        cfg.interfaces.push(lo);
        cfg.spf_delay = Duration::from_millis(50);
        ours(&mut cfg);
        let stub_net = "2001:db8:1::1/64".parse().expect("prefix");
        let stub = (1000, LinkAddrs::new("fe80::1".parse().expect("ll"), vec![stub_net]));
        let link = (eth0, LinkAddrs::new(our_ll, vec!["2001:db8:12::1/64".parse().expect("p")]));
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Seen::default()));
        let driver = run_ours(us, cfg, link, stub, stop.clone(), seen.clone());
        Pair {
            peer: daemon,
            stop,
            seen,
            driver: Some(driver),
            our_ll,
            peer_ll,
            eth0,
            _lab: lab,
            _serial: serial,
        }
    }

    fn seen(&self) -> Seen {
        self.seen.lock().expect("lock").clone()
    }

    fn fail(&self, what: &str) -> ! {
        panic!(
            "{what}: ours {:?}\npeer:\n{}\n{}\n{}",
            self.seen(),
            self.peer.neighbors(),
            self.peer.database(),
            self.peer.routes()
        )
    }

    /// Both sides Full.
    fn wait_full(&self) {
        let full = wait_until(WAIT, POLL, "both sides Full", || {
            self.seen().neighbors.iter().any(|n| n.0 == FRRS && n.2 == NbrState::Full)
                && self.peer.sees_us_full()
        });
        if let Err(e) = full {
            self.fail(&e.to_string());
        }
    }

    /// Our route to `prefix` once it is there.
    fn our_route(&self, prefix: &str) -> rib::Route {
        let want: ipnet::IpNet = prefix.parse().expect("prefix");
        let got = wait_until(WAIT, POLL, "the prefix in our table", || {
            self.seen().routes.iter().any(|r| r.prefix == want)
        });
        if let Err(e) = got {
            self.fail(&format!("{e}: {prefix}"));
        }
        self.seen().routes.into_iter().find(|r| r.prefix == want).expect("route")
    }

    /// Waits until FRR routes `prefix` through our link-local address.
    fn wait_peer_route_via_us(&self, prefix: &str) {
        let theirs = wait_until(WAIT, POLL, "our prefix in the peer's table", || {
            self.peer.routes_via(prefix, self.our_ll)
        });
        if let Err(e) = theirs {
            self.fail(&e.to_string());
        }
    }

    /// No packet refused, no send failed, on our side.
    fn assert_no_error(&self) {
        let errors: Vec<String> = self
            .seen()
            .events
            .into_iter()
            .filter(|e| {
                e.contains("BadPacket") || e.contains("AuthFailure") || e.contains("send to")
            })
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(d) = self.driver.take() {
            let _ = d.join();
        }
    }
}

#[test]
fn point_to_point_full_and_routes_with_frr_ospf6d() {
    let pair = Pair::start(NetworkType::PointToPoint, 1, 1);
    pair.wait_full();
    // FRR's stub prefix reaches us intra-area, via FRR's link-local address.
    let r = pair.our_route("2001:db8:2::/64");
    assert_eq!(r.protocol, rib::Protocol::Ospfv3);
    assert_eq!(r.path_type, rib::PathType::IntraArea);
    assert_eq!(r.metric, 20, "our cost 10 + FRR's stub cost 10: {r:?}");
    let hop = rib::NextHop { addr: Some(IpAddr::V6(pair.peer_ll)), ifindex: Some(pair.eth0) };
    assert_eq!(r.next_hops, vec![hop]);
    // Our prefix reaches FRR, via our link-local address.
    pair.wait_peer_route_via_us("2001:db8:1::/64");
    // FRR holds our router-LSA, link-LSA and intra-area-prefix-LSA.
    let db = pair.peer.database();
    for kind in ["Rtr", "Lnk", "INP"] {
        assert!(db.lines().any(|l| l.contains(kind) && l.contains("1.1.1.1")), "{kind}: {db}");
    }
    pair.assert_no_error();
}

/// Redistributes 2001:db8:77::/64, type 2, metric 30.
fn our_77(c: &mut Config) {
    c.redistribute6.push(Redistribute6 {
        prefix: "2001:db8:77::/64".parse().expect("prefix"),
        metric_type: MetricType::Type2,
        metric: 30,
        forwarding: None,
        tag: 0,
    });
}

#[test]
fn external_routes_both_ways_with_frr_ospf6d() {
    let frr_extra = " redistribute connected\n";
    let pair = Pair::start_with(Kind::Frr, NetworkType::PointToPoint, 1, 1, 0, our_77, frr_extra);
    pair.wait_full();
    // FRR's connected ext0 prefix, an AS-external-LSA of type 2 (FRR's
    // default metric 20), over FRR's link-local address.
    let r = pair.our_route("2001:db8:99::/64");
    assert_eq!(r.path_type, rib::PathType::Type2External, "{r:?}");
    assert_eq!((r.metric, r.type2_cost), (10, Some(20)), "{r:?}");
    let hop = rib::NextHop { addr: Some(IpAddr::V6(pair.peer_ll)), ifindex: Some(pair.eth0) };
    assert_eq!(r.next_hops, vec![hop]);
    // Ours reaches FRR as an external route via our link-local address.
    pair.wait_peer_route_via_us("2001:db8:77::/64");
    let t = pair.peer.routes();
    assert!(t.lines().any(|l| l.contains("2001:db8:77::/64") && l.contains("E2")), "{t}");
    pair.assert_no_error();
}

#[test]
fn inter_area_routes_through_frr_ospf6d_as_border_router() {
    // We are in area 1 only; FRR joins area 1 (eth0) to the backbone (stub0).
    let pair = Pair::start_with(Kind::Frr, NetworkType::PointToPoint, 1, 1, 1, |_| {}, "");
    pair.wait_full();
    let r = pair.our_route("2001:db8:2::/64");
    assert_eq!(r.path_type, rib::PathType::InterArea, "{r:?}");
    assert_eq!(r.metric, 20, "{r:?}");
    let hop = rib::NextHop { addr: Some(IpAddr::V6(pair.peer_ll)), ifindex: Some(pair.eth0) };
    assert_eq!(r.next_hops, vec![hop]);
    pair.wait_peer_route_via_us("2001:db8:1::/64");
    pair.assert_no_error();
}

#[test]
fn nssa_with_frr_ospf6d_as_translator() {
    // We are in NSSA 0.0.0.1 only and redistribute a prefix; FRR joins it
    // to the backbone, redistributes its connected ext0 and translates.
    let ours = |c: &mut Config| {
        c.areas.push(AreaConfig { id: AreaId(1), kind: AreaKind::Nssa { default_cost: 1 } });
        our_77(c);
    };
    let frr_extra = " area 0.0.0.1 nssa\n redistribute connected\n";
    let pair = Pair::start_with(Kind::Frr, NetworkType::PointToPoint, 1, 1, 1, ours, frr_extra);
    pair.wait_full();
    // FRR's ext0 prefix as its NSSA-LSA (type 2, FRR's default metric 20),
    // through its forwarding address, FRR's address on the link.
    let r = pair.our_route("2001:db8:99::/64");
    assert_eq!(r.path_type, rib::PathType::Type2External, "{r:?}");
    assert_eq!((r.metric, r.type2_cost), (10, Some(20)), "{r:?}");
    let fa: Ipv6Addr = "2001:db8:12::2".parse().expect("address");
    let hop = rib::NextHop { addr: Some(IpAddr::V6(fa)), ifindex: Some(pair.eth0) };
    assert_eq!(r.next_hops, vec![hop]);
    // Our NSSA-LSA: FRR routes it through us, decodes its P-bit and our
    // loopback as forwarding address, and, as the NSSA's only border
    // router, translates it into an AS-external-LSA of its own with that
    // forwarding address.
    pair.wait_peer_route_via_us("2001:db8:77::/64");
    let frr = pair.peer.frr();
    let lsa_of = |kind: &str, adv: &str| -> Option<String> {
        let db = frr.vtysh(&format!("show ipv6 ospf6 database {kind} detail")).ok()?;
        db.split("Age:")
            .find(|l| {
                l.contains(&format!("Advertising Router: {adv}"))
                    && l.contains("Prefix: 2001:db8:77::/64")
            })
            .map(str::to_string)
    };
    let ours = lsa_of("type-7", "1.1.1.1").unwrap_or_else(|| pair.fail("our NSSA-LSA at FRR"));
    assert!(ours.contains("Prefix Options: --|P|"), "{ours}");
    assert!(ours.contains("Forwarding-Address: 2001:db8:1::1"), "{ours}");
    let translated = wait_until(WAIT, POLL, "FRR's translation of our NSSA-LSA", || {
        lsa_of("as-external", "2.2.2.2").is_some()
    });
    if let Err(e) = translated {
        pair.fail(&e.to_string());
    }
    let t5 = lsa_of("as-external", "2.2.2.2").unwrap_or_default();
    assert!(
        t5.contains("Forwarding-Address: 2001:db8:1::1") && t5.contains("Metric:    30"),
        "{t5}"
    );
    // No AS-external-LSA reaches us in the NSSA.
    let t = pair.seen().routes;
    assert!(t.iter().all(|r| r.path_type != rib::PathType::Type1External), "{t:?}");
    pair.assert_no_error();
}

#[test]
fn point_to_point_full_and_routes_with_bird() {
    let pair = Pair::start_with(Kind::Bird, NetworkType::PointToPoint, 1, 1, 0, |_| {}, "");
    pair.wait_full();
    let r = pair.our_route("2001:db8:2::/64");
    assert_eq!((r.path_type, r.metric), (rib::PathType::IntraArea, 20), "{r:?}");
    let hop = rib::NextHop { addr: Some(IpAddr::V6(pair.peer_ll)), ifindex: Some(pair.eth0) };
    assert_eq!(r.next_hops, vec![hop]);
    pair.wait_peer_route_via_us("2001:db8:1::/64");
    pair.assert_no_error();
}

/// A broadcast link: the higher-priority router is DR, its network-LSA
/// and the intra-area-prefix-LSA for the link's prefix carry the segment.
fn broadcast_with_frr(our_priority: u8, frr_priority: u8) {
    let pair = Pair::start(NetworkType::Broadcast, our_priority, frr_priority);
    pair.wait_full();
    let (dr, bdr) = if our_priority > frr_priority { (OURS, FRRS) } else { (FRRS, OURS) };
    let agreed = wait_until(WAIT, POLL, "DR and BDR agreed", || {
        pair.seen().interface.is_some_and(|(_, d, b)| (d, b) == (Some(dr), Some(bdr)))
    });
    if let Err(e) = agreed {
        pair.fail(&e.to_string());
    }
    let frr_if = pair.peer.frr().vtysh("show ipv6 ospf6 interface eth0").unwrap_or_default();
    let dr_line = format!("DR: {}", if dr == OURS { "1.1.1.1" } else { "2.2.2.2" });
    assert!(frr_if.contains(&dr_line), "{frr_if}");
    // The DR's network-LSA is in FRR's database.
    let db = pair.peer.database();
    let dr_id = if dr == OURS { "1.1.1.1" } else { "2.2.2.2" };
    assert!(db.lines().any(|l| l.starts_with("Net") && l.contains(dr_id)), "{db}");
    let r = pair.our_route("2001:db8:2::/64");
    assert_eq!(r.metric, 20, "{r:?}");
    let hop = rib::NextHop { addr: Some(IpAddr::V6(pair.peer_ll)), ifindex: Some(pair.eth0) };
    assert_eq!(r.next_hops, vec![hop]);
    // The segment itself, from the DR's intra-area-prefix-LSA.
    let lan = pair.our_route("2001:db8:12::/64");
    assert_eq!(lan.metric, 10, "{lan:?}");
    pair.wait_peer_route_via_us("2001:db8:1::/64");
    pair.assert_no_error();
}

#[test]
fn broadcast_with_frr_ospf6d_as_dr() {
    broadcast_with_frr(1, 10);
}

#[test]
fn broadcast_with_us_as_dr() {
    broadcast_with_frr(10, 1);
}
