//! OSPFv3 interop in network namespaces (needs root, FRR and BIRD): the
//! engine's `OspfInstance<V3>`, driven on a thread inside its namespace by a
//! plain loop over a raw IPv6 socket (protocol 89), against FRR `ospf6d`
//! and BIRD 2.
//!
//! The lab deletes its namespaces and stops FRR when it drops, also on
//! failure. Hello 1 s and Dead 4 s keep the waits short; every wait is
//! bounded.

use std::collections::BTreeMap;
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddrV6};
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

/// BIRD 2's configuration: the same as FRR's, `network` (`ptp` or
/// `broadcast`) with `priority`, its routes exported to its kernel table.
/// BIRD refuses a retransmission interval of 1 s: 2 s here.
fn bird_ospf3(network: &str, priority: u8, area: u32) -> String {
    format!(
        "\
router id 2.2.2.2;
protocol device {{}}
protocol kernel {{ ipv6 {{ export all; }}; }}
protocol ospf v3 ospf1 {{
  ipv6 {{ import all; export none; }};
  area {area} {{
    interface \"eth0\" {{
      type {network}; priority {priority}; hello 1; wait 4; dead 4; retransmit 2; cost 10;
    }};
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

    /// The DR and BDR it has elected on `eth0`: FRR's `show ipv6 ospf6
    /// interface` prints `DR: A BDR: B`, BIRD's `show ospf interface`
    /// `Designated router (ID): A` and `Backup designated router (ID): B`.
    fn dr_bdr(&self) -> (Option<RouterId>, Option<RouterId>) {
        let rid = |s: Option<&str>| s.and_then(|s| s.parse::<Ipv4Addr>().ok()).map(RouterId::from);
        match self {
            Peer::Frr(f) => {
                let t = f.vtysh("show ipv6 ospf6 interface eth0").unwrap_or_default();
                let Some(line) = t.lines().find(|l| l.trim_start().starts_with("DR:")) else {
                    return (None, None);
                };
                let f: Vec<&str> = line.split_whitespace().collect();
                (rid(f.get(1).copied()), rid(f.get(3).copied()))
            }
            Peer::Bird(b) => {
                let t = b.birdc("show ospf interface \"eth0\"").unwrap_or_default();
                let field = |key: &str| {
                    t.lines()
                        .find_map(|l| l.trim().strip_prefix(key).map(str::trim).map(str::to_owned))
                };
                (
                    rid(field("Designated router (ID):").as_deref()),
                    rid(field("Backup designated router (ID):").as_deref()),
                )
            }
        }
    }

    /// Whether its database holds a network-LSA originated by `dr`: FRR
    /// lists it as `Net`, BIRD by its LS type, 2002.
    fn has_network_lsa(&self, dr: RouterId) -> bool {
        let dr = Ipv4Addr::from(dr.0).to_string();
        let db = self.database();
        match self {
            Peer::Frr(_) => db.lines().any(|l| l.starts_with("Net") && l.contains(&dr)),
            Peer::Bird(_) => db.lines().any(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                f.first() == Some(&"2002") && f.get(2) == Some(&dr.as_str())
            }),
        }
    }
}

const OURS: RouterId = RouterId(0x0101_0101);
const THEIRS: RouterId = RouterId(0x0202_0202);

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
    peer_ns: Netns,
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
        peer_priority: u8,
        area: u32,
        ours: impl FnOnce(&mut Config),
        frr_extra: &str,
    ) -> Pair {
        let serial = integration_tests::serial();
        let prefix = match (kind, network) {
            (Kind::Bird, NetworkType::Broadcast) => "birdbc",
            _ => "ospfsix",
        };
        let lab = Lab::new(prefix).expect("lab");
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
        let daemon = match kind {
            Kind::Frr => {
                let net = match network {
                    NetworkType::PointToPoint => "point-to-point",
                    NetworkType::Broadcast => "broadcast",
                };
                let conf = frr_ospf6d(net, peer_priority, area, frr_extra);
                Peer::Frr(Frr::start(&peer, &dir, &[(FrrDaemon::Ospf6d, &conf)]).expect("FRR"))
            }
            Kind::Bird => {
                let net = match network {
                    NetworkType::PointToPoint => "ptp",
                    NetworkType::Broadcast => "broadcast",
                };
                let conf = bird_ospf3(net, peer_priority, area);
                Peer::Bird(Bird::start(&peer, &dir, &conf).expect("BIRD"))
            }
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
            peer_ns: peer,
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
            self.seen().neighbors.iter().any(|n| n.0 == THEIRS && n.2 == NbrState::Full)
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

    /// Waits until the peer's kernel routes `prefix` through our
    /// link-local address.
    fn wait_peer_kernel_via_us(&self, prefix: &str) {
        let via = format!("via {} dev eth0", self.our_ll);
        let kernel = || self.peer_ns.ip(&["-6", "route", "show", prefix]).unwrap_or_default();
        let installed =
            wait_until(WAIT, POLL, "our prefix in the peer's kernel", || kernel().contains(&via));
        if let Err(e) = installed {
            self.fail(&format!("{e}: {}", kernel()));
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
fn broadcast_with(kind: Kind, our_priority: u8, peer_priority: u8) -> Pair {
    let pair =
        Pair::start_with(kind, NetworkType::Broadcast, our_priority, peer_priority, 0, |_| {}, "");
    // From the start of the peer and our engine, the lab lock taken.
    let t0 = Instant::now();
    pair.wait_full();
    let full = t0.elapsed();
    let (dr, bdr) = if our_priority > peer_priority { (OURS, THEIRS) } else { (THEIRS, OURS) };
    let agreed = wait_until(WAIT, POLL, "DR and BDR agreed", || {
        pair.seen().interface.is_some_and(|(_, d, b)| (d, b) == (Some(dr), Some(bdr)))
            && pair.peer.dr_bdr() == (Some(dr), Some(bdr))
    });
    if let Err(e) = agreed {
        pair.fail(&format!("{e}: the peer's {:?}", pair.peer.dr_bdr()));
    }
    // The DR's network-LSA is in the peer's database.
    let has_net = wait_until(WAIT, POLL, "the DR's network-LSA at the peer", || {
        pair.peer.has_network_lsa(dr)
    });
    if let Err(e) = has_net {
        pair.fail(&e.to_string());
    }
    let r = pair.our_route("2001:db8:2::/64");
    assert_eq!(r.metric, 20, "{r:?}");
    let hop = rib::NextHop { addr: Some(IpAddr::V6(pair.peer_ll)), ifindex: Some(pair.eth0) };
    assert_eq!(r.next_hops, vec![hop]);
    // The segment itself, from the DR's intra-area-prefix-LSA.
    let lan = pair.our_route("2001:db8:12::/64");
    assert_eq!(lan.metric, 10, "{lan:?}");
    pair.wait_peer_route_via_us("2001:db8:1::/64");
    pair.wait_peer_kernel_via_us("2001:db8:1::/64");
    pair.assert_no_error();
    eprintln!(
        "{kind:?}, priorities {our_priority}/{peer_priority}: Full after {:.1} s, routes both \
         ways after {:.1} s",
        full.as_secs_f64(),
        t0.elapsed().as_secs_f64()
    );
    pair
}

#[test]
fn broadcast_with_frr_ospf6d_as_dr() {
    broadcast_with(Kind::Frr, 1, 10);
}

#[test]
fn broadcast_with_us_as_dr() {
    broadcast_with(Kind::Frr, 10, 1);
}

/// Both routing tables against each other: BIRD's OSPF routes (`show route
/// protocol ospf1`) are ours mirrored, each side's stub at 20 through the
/// other's link-local address and the segment at 10 on the link.
fn bird_tables_mirror_ours(pair: &Pair) {
    let Peer::Bird(b) = &pair.peer else { panic!("a BIRD check on FRR") };
    let eth0 = |addr: Ipv6Addr| format!("{addr}%eth0");
    let theirs_want = BTreeMap::from([
        ("2001:db8:1::/64".to_owned(), (20, vec![eth0(pair.our_ll)])),
        ("2001:db8:12::/64".to_owned(), (10, vec!["direct:eth0".to_owned()])),
        ("2001:db8:2::/64".to_owned(), (10, vec!["direct:stub0".to_owned()])),
    ]);
    let agreed = wait_until(WAIT, POLL, "BIRD's OSPF table", || bird_ospf_routes(b) == theirs_want);
    if let Err(e) = agreed {
        pair.fail(&format!("{e}: {:?}", bird_ospf_routes(b)));
    }
    // BIRD's graph (`show ospf state`): us with the transit link to the
    // DR's network and only our stub as a prefix of our own; the segment's
    // prefix with the network, from the DR's intra-area-prefix-LSA. Until
    // MinLSInterval lets us replace the intra-area-prefix-LSA we sent while
    // the link was not yet transit, BIRD also lists the segment as our stub.
    let dr = match pair.seen().interface {
        Some((_, Some(dr), _)) => Ipv4Addr::from(dr.0),
        other => pair.fail(&format!("no DR: {other:?}")),
    };
    let state = || b.birdc("show ospf state").unwrap_or_default();
    let graph_ok = || {
        let t = state();
        let us = bird_state_block(&t, "router 1.1.1.1");
        let net = t
            .lines()
            .find(|l| l.trim().starts_with(&format!("network [{dr}-")) && !l.contains("metric"))
            .map(|l| bird_state_block(&t, l.trim()))
            .unwrap_or_default();
        us.len() == 3
            && us[1].starts_with(&format!("network [{dr}-"))
            && us[1].ends_with("] metric 10")
            && us[2] == "stubnet 2001:db8:1::/64 metric 10"
            && net.contains(&"router 1.1.1.1".to_owned())
            && net.contains(&"router 2.2.2.2".to_owned())
            && net.contains(&"address 2001:db8:12::/64".to_owned())
    };
    if let Err(e) = wait_until(WAIT, POLL, "BIRD's graph of the segment", graph_ok) {
        pair.fail(&format!("{e}:\n{}", state()));
    }
    let ours: BTreeMap<String, (u32, Vec<String>)> = pair
        .seen()
        .routes
        .iter()
        .map(|r| {
            let hops = r
                .next_hops
                .iter()
                .map(|h| match (h.addr, h.ifindex) {
                    (Some(IpAddr::V6(a)), Some(i)) if i == pair.eth0 => eth0(a),
                    (None, Some(i)) if i == pair.eth0 => "direct:eth0".to_owned(),
                    (None, Some(1000)) => "direct:stub0".to_owned(),
                    other => format!("{other:?}"),
                })
                .collect();
            (r.prefix.to_string(), (r.metric, hops))
        })
        .collect();
    // Ours is BIRD's with the two stubs and the two link-local addresses
    // swapped.
    let mirrored: BTreeMap<String, (u32, Vec<String>)> = theirs_want
        .iter()
        .map(|(p, (cost, hops))| {
            let p = match p.as_str() {
                "2001:db8:1::/64" => "2001:db8:2::/64",
                "2001:db8:2::/64" => "2001:db8:1::/64",
                other => other,
            };
            let hops = hops
                .iter()
                .map(|h| if *h == eth0(pair.our_ll) { eth0(pair.peer_ll) } else { h.clone() })
                .collect();
            (p.to_owned(), (*cost, hops))
        })
        .collect();
    assert_eq!(ours, mirrored, "ours against BIRD's mirrored");
}

/// The lines under `header` (`router 1.1.1.1`, `network [2.2.2.2-5]`) in
/// BIRD's `show ospf state`, which indents a node's links one tab deeper
/// than the node and ends the node with an empty line.
fn bird_state_block(text: &str, header: &str) -> Vec<String> {
    text.lines()
        .skip_while(|l| l.trim() != header)
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_owned())
        .collect()
}

/// BIRD's routes from protocol `ospf1`: prefix to cost and next hops
/// (`address%interface`, or `direct:interface`). BIRD prints a route as
/// `PREFIX unicast [ospf1 TIME] * I (150/COST) [ROUTER-ID]` followed by
/// indented `via ADDR on IF` or `dev IF` lines.
fn bird_ospf_routes(b: &Bird) -> BTreeMap<String, (u32, Vec<String>)> {
    let text = b.birdc("show route protocol ospf1").unwrap_or_default();
    let mut out: BTreeMap<String, (u32, Vec<String>)> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let t = line.trim();
        if line.starts_with(char::is_whitespace) {
            let Some(p) = &current else { continue };
            let mut f = t.split_whitespace();
            let hop = match (f.next(), f.next(), f.next(), f.next()) {
                (Some("via"), Some(a), Some("on"), Some(i)) => format!("{a}%{i}"),
                (Some("dev"), Some(i), ..) => format!("direct:{i}"),
                _ => continue,
            };
            if let Some(r) = out.get_mut(p) {
                r.1.push(hop);
                r.1.sort();
            }
        } else if t.contains("[ospf1") {
            let prefix = t.split_whitespace().next().unwrap_or_default().to_owned();
            let cost = t
                .split_once("(150/")
                .and_then(|(_, rest)| rest.split(')').next())
                .and_then(|c| c.parse().ok())
                .unwrap_or(u32::MAX);
            out.insert(prefix.clone(), (cost, Vec::new()));
            current = Some(prefix);
        } else {
            current = None;
        }
    }
    out
}

#[test]
fn broadcast_with_bird_as_dr() {
    let pair = broadcast_with(Kind::Bird, 1, 10);
    bird_tables_mirror_ours(&pair);
}

#[test]
fn broadcast_with_us_as_dr_and_bird() {
    let pair = broadcast_with(Kind::Bird, 10, 1);
    bird_tables_mirror_ours(&pair);
}
