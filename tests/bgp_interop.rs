//! bgp-tokio against FRR, BIRD and GoBGP, each test in network namespaces it creates (netlab)
//! and deletes, even when it fails. Needs root and the daemons of `LAB-NOTES`.
//!
//! Our speaker runs in its namespace on a tokio runtime built while the test thread is inside
//! it (netlab's setns guard), so its sockets and worker threads live there; one test runs the
//! real `bgp-peer` binary instead. The tests run one at a time: the daemons' 1/3 s timers do
//! not like sharing two cores with several other labs.

use bgp_fsm::{Config, Down, DownReason, Event, Initiator, Neighbor, PeerAs, State};
use bgp_tokio::{
    ListenConfig, PeerConfig, PeerEvent, PeerEventKind, PeerHandle, Speaker, SpeakerConfig,
};
use bgp_wire::attribute::{AsPath, Attribute, Community, NextHop, Origin, PathAttribute};
use bgp_wire::capability::{AddPathDirection, AddPathFamily};
use bgp_wire::nlri::Nlri;
use bgp_wire::{Asn, Family};
use integration_tests::serial;
use netlab::{Bird, Frr, FrrDaemon, Gobgp, Lab, Netns};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const OUR_AS: u32 = 65001;
const PEER_AS: u32 = 65002;
const OUR_ID: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
const WAIT: Duration = Duration::from_secs(30);

/// Who opens the TCP connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Opener {
    /// We connect; the daemon is passive.
    Us,
    /// The daemon connects; we are passive.
    Peer,
}

/// A route as we received it.
#[derive(Clone, Debug)]
struct Seen {
    next_hop: Option<NextHop>,
    as_path: Vec<u32>,
}

/// What our side saw so far.
#[derive(Debug, Default)]
struct Observed {
    log: Vec<String>,
    state: Option<State>,
    established: usize,
    downs: Vec<Down>,
    /// (family, prefix, path id) -> route.
    routes: BTreeMap<(String, String, Option<u32>), Seen>,
    discovered: Option<Ipv6Addr>,
}

impl Observed {
    fn record(&mut self, ev: PeerEvent) {
        self.log.push(format!("{:?}", ev.kind));
        let PeerEventKind::Session(e) = ev.kind else {
            return;
        };
        match e {
            Event::StateChanged { to, .. } => self.state = Some(to),
            Event::Established(_) => self.established += 1,
            Event::Down(d) => self.downs.push(d),
            Event::NeighborDiscovered { addr, .. } => self.discovered = Some(addr),
            Event::Update(r) => {
                let attrs = r.update().attributes();
                let as_path = attrs
                    .as_path()
                    .map(|p| p.segments.iter().flat_map(|s| s.asns.iter().map(|a| a.0)).collect())
                    .unwrap_or_default();
                for (f, n) in r.withdrawn() {
                    self.routes.remove(&(f.to_string(), n.prefix.to_string(), n.path_id));
                }
                for (f, n) in r.announced() {
                    let seen = Seen { next_hop: r.next_hop(f), as_path: Vec::clone(&as_path) };
                    self.routes.insert((f.to_string(), n.prefix.to_string(), n.path_id), seen);
                }
            }
            _ => {}
        }
    }

    fn route(&self, family: Family, prefix: &str) -> Option<&Seen> {
        self.routes
            .iter()
            .find(|((f, p, _), _)| *f == family.to_string() && p == prefix)
            .map(|(_, s)| s)
    }

    fn paths(&self, family: Family, prefix: &str) -> Vec<Option<u32>> {
        self.routes
            .keys()
            .filter(|(f, p, _)| *f == family.to_string() && p == prefix)
            .map(|(_, _, id)| *id)
            .collect()
    }
}

/// Our speaker, running in a lab namespace.
struct Ours {
    // Field order is drop order: the peer and speaker go before the runtime.
    peer: Option<PeerHandle>,
    _speaker: Speaker,
    events: tokio::sync::mpsc::Receiver<PeerEvent>,
    seen: Observed,
    rt: tokio::runtime::Runtime,
}

impl Ours {
    fn start(ns: &Netns, listen: bool, cfg: PeerConfig) -> Ours {
        let guard = ns.enter().expect("enter namespace");
        // Worker threads started under the guard live in the namespace for good.
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let (speaker, events, peer) = rt.block_on(async {
            let listen = listen.then(ListenConfig::default);
            let (speaker, events) =
                Speaker::new(SpeakerConfig { listen, event_capacity: 4096 }).expect("speaker");
            let peer = speaker.add_peer(cfg).expect("peer");
            (speaker, events, peer)
        });
        drop(guard);
        Ours { peer: Some(peer), _speaker: speaker, events, seen: Observed::default(), rt }
    }

    fn peer(&self) -> &PeerHandle {
        self.peer.as_ref().expect("peer running")
    }

    /// Reads events until `f` gives an answer; panics with every event seen after `timeout`.
    fn wait<T>(
        &mut self,
        what: &str,
        timeout: Duration,
        mut f: impl FnMut(&Observed) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(t) = f(&self.seen) {
                return t;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "timed out waiting for {what}; events:\n{}",
                self.seen.log.join("\n")
            );
            let events = &mut self.events;
            match self.rt.block_on(async { tokio::time::timeout(left, events.recv()).await }) {
                Ok(Some(ev)) => self.seen.record(ev),
                Ok(None) => panic!("event channel closed while waiting for {what}"),
                Err(_) => {}
            }
        }
    }

    /// Records every event for `d`, whatever happens (for what must not happen).
    fn watch(&mut self, d: Duration) {
        let deadline = Instant::now() + d;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            let events = &mut self.events;
            match self.rt.block_on(async { tokio::time::timeout(left, events.recv()).await }) {
                Ok(Some(ev)) => self.seen.record(ev),
                Ok(None) | Err(_) => return,
            }
        }
    }

    fn wait_established(&mut self) {
        self.wait("Established", WAIT, |s| (s.state == Some(State::Established)).then_some(()));
    }

    /// Announces `prefixes` of `family` with our next hop for it (from the session's local
    /// address; a link-local one in both halves), AS path [OUR_AS], a community.
    fn announce(&self, family: Family, prefixes: &[&str]) -> NextHop {
        let routes: Vec<Nlri> =
            prefixes.iter().map(|p| Nlri::new(p.parse().expect("prefix"))).collect();
        self.rt
            .block_on(self.peer().with(move |s, now| {
                let nh = s
                    .local_next_hop(family, None, bgp_fsm::LinkLocalStyle::BothHalves)
                    .expect("a next hop for the family");
                let attrs = vec![
                    PathAttribute::new(Attribute::Origin(Origin::Igp)),
                    PathAttribute::new(Attribute::AsPath(AsPath::from_sequence([OUR_AS]))),
                    PathAttribute::new(Attribute::Communities(vec![Community::new(65001, 42)])),
                ];
                s.announce(now, family, &nh, &routes, &attrs).expect("announce");
                nh
            }))
            .expect("peer task")
    }

    fn shutdown(&mut self) {
        if let Some(p) = self.peer.take() {
            self.rt.block_on(p.shutdown(None));
        }
    }
}

impl Drop for Ours {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn session(neighbor: Neighbor, opener: Opener) -> Config {
    let mut c = Config::new(Asn(OUR_AS), OUR_ID, PeerAs::Number(Asn(PEER_AS)), neighbor);
    c.hold_time = 3;
    c.connect_retry_time = Duration::from_secs(1);
    c.passive = opener == Opener::Peer;
    c.seed = 7;
    c
}

fn two_nodes(lab: &Lab) -> (Netns, Netns) {
    let us = lab.node("us").expect("node us");
    let them = lab.node("them").expect("node them");
    lab.veth(&us, "eth0", &them, "eth0").expect("veth");
    (us, them)
}

/// `us` (10.0.1.1) and `them` (10.0.2.1) two hops apart, through router `r`.
fn two_hops(lab: &Lab) -> (Netns, Netns, Netns) {
    let us = lab.node("us").expect("node");
    let r = lab.node("r").expect("node");
    let them = lab.node("them").expect("node");
    lab.veth(&us, "eth0", &r, "eth0").expect("veth");
    lab.veth(&r, "eth1", &them, "eth0").expect("veth");
    us.add_addr("eth0", "10.0.1.1/24").expect("addr");
    r.add_addr("eth0", "10.0.1.2/24").expect("addr");
    r.add_addr("eth1", "10.0.2.2/24").expect("addr");
    them.add_addr("eth0", "10.0.2.1/24").expect("addr");
    us.ip(&["route", "add", "10.0.2.0/24", "via", "10.0.1.2"]).expect("route");
    them.ip(&["route", "add", "10.0.1.0/24", "via", "10.0.2.2"]).expect("route");
    (us, r, them)
}

fn ifindex(ns: &Netns, name: &str) -> u32 {
    let out = ns.exec(&["cat", &format!("/sys/class/net/{name}/ifindex")]).expect("ifindex");
    out.trim().parse().expect("ifindex number")
}

// ----- FRR -----

fn frr_bgpd(neighbor: &str, extra_neighbor: &[&str], families: &str) -> String {
    let mut s = format!(
        "frr defaults traditional\nhostname them\n!\nrouter bgp {PEER_AS}\n bgp router-id 10.0.0.2\n \
         no bgp ebgp-requires-policy\n no bgp network import-check\n timers bgp 1 3\n"
    );
    for l in extra_neighbor {
        s.push_str(&format!(" {}\n", l.replace("NBR", neighbor)));
    }
    s.push_str(families);
    s
}

fn frr_has_route(frr: &Frr, afi: &str, prefix: &str) -> Option<serde_json::Value> {
    let v = frr.vtysh_json(&format!("show bgp {afi} unicast json")).ok()?;
    v.get("routes")?.get(prefix).cloned()
}

fn wait_frr_route(frr: &Frr, afi: &str, prefix: &str) -> serde_json::Value {
    let mut found = None;
    netlab::wait_until(WAIT, Duration::from_millis(200), &format!("{prefix} in FRR"), || {
        found = frr_has_route(frr, afi, prefix);
        found.is_some()
    })
    .unwrap_or_else(|e| {
        panic!("{e}; FRR has: {:?}", frr.vtysh(&format!("show bgp {afi} unicast")))
    });
    found.unwrap_or_default()
}

fn frr_numbered_v4(opener: Opener) {
    let _s = serial();
    let lab = Lab::new("bgpfrr").expect("lab");
    let (us, them) = two_nodes(&lab);
    us.add_addr("eth0", "10.0.0.1/24").expect("addr");
    them.add_addr("eth0", "10.0.0.2/24").expect("addr");
    let passive: &[&str] = if opener == Opener::Us { &["neighbor NBR passive"] } else { &[] };
    let mut lines = vec!["neighbor NBR remote-as 65001", "neighbor NBR timers connect 1"];
    lines.extend_from_slice(passive);
    let conf = frr_bgpd(
        "10.0.0.1",
        &lines,
        " address-family ipv4 unicast\n  network 198.51.100.0/24\n exit-address-family\n",
    );
    let frr = Frr::start(&them, &lab.subdir("frr").expect("dir"), &[(FrrDaemon::Bgpd, &conf)])
        .expect("frr");
    let n = Neighbor::Address { addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), scope: None };
    let mut ours = Ours::start(&us, opener == Opener::Peer, PeerConfig::new(session(n, opener)));
    ours.wait_established();
    let nh = ours.announce(Family::IPV4_UNICAST, &["192.0.2.0/24"]);
    assert_eq!(nh, NextHop::Ipv4(Ipv4Addr::new(10, 0, 0, 1)));
    let r = wait_frr_route(&frr, "ipv4", "192.0.2.0/24");
    assert!(r.to_string().contains("10.0.0.1"), "FRR's next hop: {r}");
    let seen = ours
        .wait("FRR's route", WAIT, |s| s.route(Family::IPV4_UNICAST, "198.51.100.0/24").cloned());
    assert_eq!(seen.next_hop, Some(NextHop::Ipv4(Ipv4Addr::new(10, 0, 0, 2))));
    assert_eq!(seen.as_path, vec![PEER_AS]);
}

#[test]
fn frr_numbered_ipv4_we_connect() {
    frr_numbered_v4(Opener::Us);
}

#[test]
fn frr_numbered_ipv4_frr_connects() {
    frr_numbered_v4(Opener::Peer);
}

fn frr_numbered_v6(opener: Opener) {
    let _s = serial();
    let lab = Lab::new("bgpfrr").expect("lab");
    let (us, them) = two_nodes(&lab);
    us.add_addr("eth0", "fd00::1/64").expect("addr");
    them.add_addr("eth0", "fd00::2/64").expect("addr");
    let mut lines = vec!["neighbor NBR remote-as 65001", "neighbor NBR timers connect 1"];
    if opener == Opener::Us {
        lines.push("neighbor NBR passive");
    }
    let conf = frr_bgpd(
        "fd00::1",
        &lines,
        " address-family ipv6 unicast\n  neighbor fd00::1 activate\n  network 2001:db8:2::/48\n \
         exit-address-family\n",
    );
    let frr = Frr::start(&them, &lab.subdir("frr").expect("dir"), &[(FrrDaemon::Bgpd, &conf)])
        .expect("frr");
    let n = Neighbor::Address { addr: "fd00::2".parse().expect("addr"), scope: None };
    let mut cfg = session(n, opener);
    cfg.families = vec![Family::IPV6_UNICAST];
    let mut ours = Ours::start(&us, opener == Opener::Peer, PeerConfig::new(cfg));
    ours.wait_established();
    let nh = ours.announce(Family::IPV6_UNICAST, &["2001:db8:1::/48"]);
    assert_eq!(nh, NextHop::Ipv6("fd00::1".parse().expect("addr")));
    let r = wait_frr_route(&frr, "ipv6", "2001:db8:1::/48");
    assert!(r.to_string().contains("fd00::1"), "FRR's next hop: {r}");
    let seen = ours
        .wait("FRR's route", WAIT, |s| s.route(Family::IPV6_UNICAST, "2001:db8:2::/48").cloned());
    let global = match seen.next_hop {
        Some(NextHop::Ipv6(a)) => a,
        Some(NextHop::Ipv6LinkLocal { global, .. }) => global,
        other => panic!("next hop {other:?}"),
    };
    assert_eq!(global, "fd00::2".parse::<Ipv6Addr>().expect("addr"));
    assert_eq!(seen.as_path, vec![PEER_AS]);
}

#[test]
fn frr_numbered_ipv6_we_connect() {
    frr_numbered_v6(Opener::Us);
}

#[test]
fn frr_numbered_ipv6_frr_connects() {
    frr_numbered_v6(Opener::Peer);
}

fn frr_unnumbered(opener: Opener) {
    let _s = serial();
    let lab = Lab::new("bgpunn").expect("lab");
    let (us, them) = two_nodes(&lab);
    // A /32 loopback-style address on a stub bridge, to announce; the link has only
    // link-local addresses.
    let zebra = "interface eth0\n ipv6 nd ra-interval 3\n no ipv6 nd suppress-ra\n!\n";
    let mut lines = vec![
        "neighbor eth0 interface remote-as external",
        "neighbor eth0 timers connect 1",
        "neighbor eth0 capability extended-nexthop",
    ];
    if opener == Opener::Us {
        lines.push("neighbor eth0 passive");
    }
    let conf = frr_bgpd(
        "eth0",
        &lines,
        " address-family ipv4 unicast\n  network 198.51.100.0/24\n exit-address-family\n",
    );
    let frr = Frr::start(
        &them,
        &lab.subdir("frr").expect("dir"),
        &[(FrrDaemon::Zebra, zebra), (FrrDaemon::Bgpd, &conf)],
    )
    .expect("frr");
    let frr_ll = them.link_local("eth0").expect("FRR's link-local");
    let our_ll = us.link_local("eth0").expect("our link-local");
    let n = Neighbor::Interface { name: "eth0".into(), ifindex: ifindex(&us, "eth0") };
    let mut cfg = session(n, opener);
    cfg.peer_as = PeerAs::External;
    cfg.families = vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST];
    cfg.extended_next_hop = vec![Family::IPV4_UNICAST];
    let mut ours = Ours::start(&us, opener == Opener::Peer, PeerConfig::new(cfg));
    let learned = ours.wait("an RA from FRR", WAIT, |s| s.discovered);
    assert_eq!(learned, frr_ll);
    ours.wait_established();
    let nh = ours.announce(Family::IPV4_UNICAST, &["192.0.2.0/24"]);
    assert_eq!(nh, NextHop::Ipv6LinkLocal { global: our_ll, link_local: our_ll });
    let r = wait_frr_route(&frr, "ipv4", "192.0.2.0/24");
    assert!(r.to_string().contains(&our_ll.to_string()), "FRR's next hop: {r}");
    // Zebra installs the IPv4 route through our IPv6 link-local address (RFC 8950).
    let mut kernel = String::new();
    netlab::wait_until(WAIT, Duration::from_millis(200), "kernel route in FRR's namespace", || {
        kernel = them.ip(&["route", "show", "192.0.2.0/24"]).unwrap_or_default();
        kernel.contains("inet6")
    })
    .unwrap_or_else(|e| panic!("{e}: {kernel}"));
    assert!(kernel.contains(&format!("via inet6 {our_ll}")), "{kernel}");
    let seen = ours
        .wait("FRR's route", WAIT, |s| s.route(Family::IPV4_UNICAST, "198.51.100.0/24").cloned());
    eprintln!("FRR's IPv4 route over the unnumbered session: next hop {:?}", seen.next_hop);
    match seen.next_hop {
        Some(NextHop::Ipv6LinkLocal { link_local, .. }) => assert_eq!(link_local, frr_ll),
        Some(NextHop::Ipv6(a)) => assert_eq!(a, frr_ll),
        other => panic!("IPv4 route with next hop {other:?}, expected {frr_ll}"),
    }
}

#[test]
fn frr_unnumbered_we_connect() {
    frr_unnumbered(Opener::Us);
}

#[test]
fn frr_unnumbered_frr_connects() {
    frr_unnumbered(Opener::Peer);
}

/// Timers 1/3: a frozen FRR is noticed by our hold timer; a `neighbor shutdown message`
/// arrives as Cease / Administrative Shutdown with its text (RFC 9003).
#[test]
fn frr_hold_timer_and_shutdown_message() {
    let _s = serial();
    let lab = Lab::new("bgphold").expect("lab");
    let (us, them) = two_nodes(&lab);
    us.add_addr("eth0", "10.0.0.1/24").expect("addr");
    them.add_addr("eth0", "10.0.0.2/24").expect("addr");
    let conf = frr_bgpd(
        "10.0.0.1",
        &["neighbor NBR remote-as 65001", "neighbor NBR timers connect 1"],
        "",
    );
    let frr = Frr::start(&them, &lab.subdir("frr").expect("dir"), &[(FrrDaemon::Bgpd, &conf)])
        .expect("frr");
    let n = Neighbor::Address { addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), scope: None };
    let mut ours = Ours::start(&us, true, PeerConfig::new(session(n, Opener::Us)));
    ours.wait_established();
    let neg = ours
        .rt
        .block_on(ours.peer().with(|s, _| s.negotiated().map(|n| n.hold_time)))
        .expect("peer");
    assert_eq!(neg, Some(3));

    let bgpd = frr
        .pids()
        .into_iter()
        .find(|(d, _)| *d == FrrDaemon::Bgpd)
        .map(|(_, p)| p)
        .expect("bgpd pid");
    let downs = ours.seen.downs.len();
    let stop = std::process::Command::new("kill").args(["-STOP", &bgpd.to_string()]).status();
    assert!(stop.is_ok_and(|s| s.success()));
    let frozen = Instant::now();
    // Bounded wait: the last KEEPALIVE came before the freeze, so the HoldTimer expires within
    // the 3 s hold time of it; one more second of slack for a loaded machine.
    let down =
        ours.wait("hold timer expiry", Duration::from_secs(4), |s| s.downs.get(downs).cloned());
    let took = frozen.elapsed();
    let _ = std::process::Command::new("kill").args(["-CONT", &bgpd.to_string()]).status();
    assert_eq!(down.reason, DownReason::HoldTimerExpired, "{down:?}");
    assert_eq!(down.initiator, Initiator::Library);
    assert_eq!(down.notification.map(|n| n.code.0), Some(4));
    eprintln!("hold timer expiry detected {took:?} after SIGSTOP");

    // The session comes back (FRR connects again), then FRR shuts the neighbour down.
    let ups = ours.seen.established;
    ours.wait("re-established", WAIT, |s| {
        (s.established > ups && s.state == Some(State::Established)).then_some(())
    });
    let downs = ours.seen.downs.len();
    frr.configure(&[
        "router bgp 65002",
        "neighbor 10.0.0.1 shutdown message maintenance window 42",
    ])
    .expect("shutdown");
    let down = ours.wait("Cease from FRR", WAIT, |s| s.downs.get(downs).cloned());
    assert_eq!(down.reason, DownReason::NotificationReceived);
    assert_eq!(down.initiator, Initiator::Remote);
    let n = down.notification.expect("the NOTIFICATION");
    assert_eq!((n.code.0, n.subcode), (6, 2));
    assert_eq!(n.shutdown_communication().and_then(Result::ok), Some("maintenance window 42"));
}

/// Packets of `file` matching `filter`, as tshark's JSON layers.
fn captured(file: &Path, filter: &str) -> Vec<serde_json::Value> {
    let v = netlab::tshark_json(file, Some(filter)).expect("tshark");
    v.as_array()
        .map(|a| a.iter().map(|p| p["_source"]["layers"].clone()).collect())
        .unwrap_or_default()
}

/// IPv6 with TCP-MD5 (RFC 2385) and GTSM (RFC 5082) on both sides: FRR accepts our segments
/// (SYN or SYN-ACK included) only with the right signature and a hop limit of 255; the
/// capture shows both on every segment we sent.
fn frr_ipv6_md5_and_gtsm(opener: Opener) {
    let _s = serial();
    let lab = Lab::new("bgpsec").expect("lab");
    let (us, them) = two_nodes(&lab);
    us.add_addr("eth0", "fd00::1/64").expect("addr");
    them.add_addr("eth0", "fd00::2/64").expect("addr");
    let conf = frr_bgpd(
        "fd00::1",
        &[
            "neighbor NBR remote-as 65001",
            "neighbor NBR timers connect 1",
            "neighbor NBR password s3cret",
            "neighbor NBR ttl-security hops 1",
        ],
        " address-family ipv6 unicast\n  neighbor fd00::1 activate\n  network 2001:db8:2::/48\n \
         exit-address-family\n",
    );
    let pcap = lab.dir().join("us.pcap");
    let mut capture = netlab::Capture::start(&us, "eth0", "tcp port 179", &pcap).expect("tcpdump");
    let conf = if opener == Opener::Us {
        conf.replace("ttl-security hops 1\n", "ttl-security hops 1\n neighbor fd00::1 passive\n")
    } else {
        conf
    };
    let frr = Frr::start(&them, &lab.subdir("frr").expect("dir"), &[(FrrDaemon::Bgpd, &conf)])
        .expect("frr");
    let n = Neighbor::Address { addr: "fd00::2".parse().expect("addr"), scope: None };
    let mut cfg = PeerConfig::new({
        let mut c = session(n, opener);
        c.families = vec![Family::IPV6_UNICAST];
        c
    });
    cfg.transport.md5_password = Some("s3cret".into());
    cfg.transport.ttl = bgp_tokio::TtlMode::Security { hops: 1 };
    let mut ours = Ours::start(&us, opener == Opener::Peer, cfg);
    ours.wait_established();
    ours.announce(Family::IPV6_UNICAST, &["2001:db8:1::/48"]);
    wait_frr_route(&frr, "ipv6", "2001:db8:1::/48");
    ours.wait("FRR's route", WAIT, |s| s.route(Family::IPV6_UNICAST, "2001:db8:2::/48").cloned());
    capture.stop();
    let sent = captured(&pcap, "ipv6.src == fd00::1 && tcp");
    assert!(sent.len() >= 4, "{} segments", sent.len());
    for p in &sent {
        assert_eq!(p["ipv6"]["ipv6.hlim"], "255", "{p}");
        assert!(p.to_string().contains("tcp.options.md5"), "segment without an MD5 option: {p}");
    }
}

#[test]
fn frr_ipv6_md5_and_gtsm_we_connect() {
    frr_ipv6_md5_and_gtsm(Opener::Us);
}

#[test]
fn frr_ipv6_md5_and_gtsm_frr_connects() {
    frr_ipv6_md5_and_gtsm(Opener::Peer);
}

fn frr_state(frr: &Frr, neighbor: &str) -> String {
    frr.vtysh_json(&format!("show bgp neighbors {neighbor} json"))
        .ok()
        .and_then(|v| v[neighbor]["bgpState"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// TCP-MD5 with the wrong key: each side drops the other's unsigned-as-expected segments,
/// so the session never comes up, whichever side connects (the right key is above).
#[test]
fn frr_md5_with_a_wrong_key_never_comes_up() {
    let _s = serial();
    let lab = Lab::new("bgpkey").expect("lab");
    let (us, them) = two_nodes(&lab);
    us.add_addr("eth0", "10.0.0.1/24").expect("addr");
    them.add_addr("eth0", "10.0.0.2/24").expect("addr");
    let conf = frr_bgpd(
        "10.0.0.1",
        &[
            "neighbor NBR remote-as 65001",
            "neighbor NBR timers connect 1",
            "neighbor NBR password s3cret",
        ],
        "",
    );
    let frr = Frr::start(&them, &lab.subdir("frr").expect("dir"), &[(FrrDaemon::Bgpd, &conf)])
        .expect("frr");
    let n = Neighbor::Address { addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), scope: None };
    let mut cfg = PeerConfig::new(session(n, Opener::Us));
    cfg.transport.md5_password = Some("not-the-key".into());
    let mut ours = Ours::start(&us, true, cfg);
    ours.watch(Duration::from_secs(8));
    assert_eq!(ours.seen.established, 0, "{}", ours.seen.log.join("\n"));
    assert_ne!(frr_state(&frr, "10.0.0.1"), "Established");
}

/// GTSM (RFC 5082) refuses a neighbour two hops away: FRR behind a router with
/// `ebgp-multihop 2` (its segments reach us with TTL 1) never gets a session with us under
/// `ttl-security hops 1`; with `ttl-security hops 2` on both sides (TTL 255, 254 on arrival)
/// the session comes up.
#[test]
fn gtsm_refuses_a_neighbour_two_hops_away() {
    let _s = serial();
    let lab = Lab::new("bgpgtsm").expect("lab");
    let (us, _r, them) = two_hops(&lab);
    let conf = frr_bgpd(
        "10.0.1.1",
        &[
            "neighbor NBR remote-as 65001",
            "neighbor NBR timers connect 1",
            "neighbor NBR ebgp-multihop 2",
        ],
        "",
    );
    let frr = Frr::start(&them, &lab.subdir("frr").expect("dir"), &[(FrrDaemon::Bgpd, &conf)])
        .expect("frr");
    let n = Neighbor::Address { addr: IpAddr::V4(Ipv4Addr::new(10, 0, 2, 1)), scope: None };
    let mut cfg = PeerConfig::new(session(n.clone(), Opener::Us));
    cfg.transport.ttl = bgp_tokio::TtlMode::Security { hops: 1 };
    let mut ours = Ours::start(&us, true, cfg);
    ours.watch(Duration::from_secs(8));
    assert_eq!(ours.seen.established, 0, "{}", ours.seen.log.join("\n"));
    assert_ne!(frr_state(&frr, "10.0.1.1"), "Established");
    drop(ours);

    // Both sides allow two hops: up.
    frr.configure(&[
        "router bgp 65002",
        "no neighbor 10.0.1.1 ebgp-multihop 2",
        "neighbor 10.0.1.1 ttl-security hops 2",
    ])
    .expect("ttl-security on FRR");
    let mut cfg = PeerConfig::new(session(n, Opener::Us));
    cfg.transport.ttl = bgp_tokio::TtlMode::Security { hops: 2 };
    let mut ours = Ours::start(&us, true, cfg);
    ours.wait_established();
}

/// eBGP multihop: FRR two hops away behind a router; our segments leave with the TTL we set
/// (seen on the router's side of our link).
#[test]
fn frr_multihop_ttl() {
    let _s = serial();
    let lab = Lab::new("bgpmh").expect("lab");
    let (us, r, them) = two_hops(&lab);
    let conf = frr_bgpd(
        "10.0.1.1",
        &[
            "neighbor NBR remote-as 65001",
            "neighbor NBR timers connect 1",
            "neighbor NBR passive",
            "neighbor NBR ebgp-multihop 2",
        ],
        " address-family ipv4 unicast\n  network 198.51.100.0/24\n exit-address-family\n",
    );
    let pcap = lab.dir().join("r.pcap");
    let mut capture = netlab::Capture::start(&r, "eth0", "tcp port 179", &pcap).expect("tcpdump");
    let frr = Frr::start(&them, &lab.subdir("frr").expect("dir"), &[(FrrDaemon::Bgpd, &conf)])
        .expect("frr");
    let n = Neighbor::Address { addr: IpAddr::V4(Ipv4Addr::new(10, 0, 2, 1)), scope: None };
    let mut cfg = PeerConfig::new(session(n, Opener::Us));
    cfg.transport.ttl = bgp_tokio::TtlMode::Multihop(2);
    let mut ours = Ours::start(&us, false, cfg);
    ours.wait_established();
    ours.announce(Family::IPV4_UNICAST, &["192.0.2.0/24"]);
    wait_frr_route(&frr, "ipv4", "192.0.2.0/24");
    let seen = ours
        .wait("FRR's route", WAIT, |s| s.route(Family::IPV4_UNICAST, "198.51.100.0/24").cloned());
    assert_eq!(seen.next_hop, Some(NextHop::Ipv4(Ipv4Addr::new(10, 0, 2, 1))));
    capture.stop();
    let sent = captured(&pcap, "ip.src == 10.0.1.1 && tcp");
    assert!(sent.len() >= 4, "{} segments", sent.len());
    for p in &sent {
        assert_eq!(p["ip"]["ip.ttl"], "2", "{p}");
    }
}

// ----- the bgp-peer binary -----

fn bgp_peer_binary() -> PathBuf {
    integration_tests::binary("bgp-peer")
}

fn json_lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The `bgp-peer` binary running in `ns` with `config`; its stdout and stderr in `dir`.
struct BgpPeerProcess {
    _child: netlab::ChildGuard,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl BgpPeerProcess {
    fn start(bin: &Path, ns: &Netns, dir: &Path, config: &str) -> BgpPeerProcess {
        let file = dir.join("bgp-peer.toml");
        std::fs::write(&file, config).expect("config");
        let stdout = dir.join("out.jsonl");
        let stderr = dir.join("err.log");
        let mut cmd = ns.command("sh");
        let line = format!(
            "exec {} {} >{} 2>{}",
            bin.display(),
            file.display(),
            stdout.display(),
            stderr.display()
        );
        cmd.args(["-c", &line]);
        let child = netlab::ChildGuard::spawn(cmd, None).expect("bgp-peer");
        BgpPeerProcess { _child: child, stdout, stderr }
    }

    /// Waits for a `route` line of `prefix` and returns every line so far.
    fn wait_route(&self, prefix: &str) -> (serde_json::Value, Vec<serde_json::Value>) {
        let mut last = Vec::new();
        let what = format!("{prefix} in bgp-peer's output");
        let got = netlab::wait_until(WAIT, Duration::from_millis(200), &what, || {
            last = json_lines(&self.stdout);
            last.iter().any(|l| l["type"] == "route" && l["prefix"] == prefix)
        });
        if let Err(e) = got {
            let err = std::fs::read_to_string(&self.stderr).unwrap_or_default();
            panic!("{e}; stdout: {last:?}; stderr: {err}");
        }
        let route = last
            .iter()
            .find(|l| l["type"] == "route" && l["prefix"] == prefix)
            .cloned()
            .unwrap_or_default();
        (route, last)
    }
}

#[test]
fn frr_numbered_with_the_bgp_peer_binary() {
    let bin = bgp_peer_binary();
    let _s = serial();
    let lab = Lab::new("bgpbin").expect("lab");
    let (us, them) = two_nodes(&lab);
    us.add_addr("eth0", "10.0.0.1/24").expect("addr");
    them.add_addr("eth0", "10.0.0.2/24").expect("addr");
    let conf = frr_bgpd(
        "10.0.0.1",
        &[
            "neighbor NBR remote-as 65001",
            "neighbor NBR timers connect 1",
            "neighbor NBR password s3cret",
        ],
        " address-family ipv4 unicast\n  network 198.51.100.0/24\n exit-address-family\n",
    );
    let frr = Frr::start(&them, &lab.subdir("frr").expect("dir"), &[(FrrDaemon::Bgpd, &conf)])
        .expect("frr");
    let peer = BgpPeerProcess::start(
        &bin,
        &us,
        &lab.subdir("peer").expect("dir"),
        "local-as = 65001\nrouter-id = \"10.0.0.1\"\n\n[[neighbor]]\naddress = \"10.0.0.2\"\n\
         remote-as = 65002\nhold-time = 3\nconnect-retry = 1\npassive = true\npassword = \"s3cret\"\n\n\
         [[announce]]\nprefix = \"192.0.2.0/24\"\ncommunities = [\"65001:7\"]\nlarge-communities = [\"65001:1:2\"]\n",
    );
    let (route, lines) = peer.wait_route("198.51.100.0/24");
    assert!(lines.iter().any(|l| l["type"] == "state" && l["to"] == "Established"), "{lines:?}");
    assert_eq!(route["next_hops"], serde_json::json!(["10.0.0.2"]));
    assert_eq!(route["as_path"], serde_json::json!([65002]));
    assert_eq!(route["path_id"], serde_json::Value::Null);
    let r = wait_frr_route(&frr, "ipv4", "192.0.2.0/24");
    assert!(r.to_string().contains("10.0.0.1"), "{r}");
    let detail = frr.vtysh_json("show bgp ipv4 unicast 192.0.2.0/24 json").expect("detail");
    let text = detail.to_string();
    assert!(text.contains("65001:7") && text.contains("65001:1:2"), "{text}");
}

/// The binary configured by interface name only: it learns FRR from its RAs, sends its own,
/// and exchanges IPv4 routes with link-local next hops; TCP-MD5 with a key for every
/// link-local address of the interface.
#[test]
fn frr_unnumbered_with_the_bgp_peer_binary() {
    let bin = bgp_peer_binary();
    let _s = serial();
    let lab = Lab::new("bgpbin").expect("lab");
    let (us, them) = two_nodes(&lab);
    let zebra = "interface eth0\n ipv6 nd ra-interval 3\n no ipv6 nd suppress-ra\n!\n";
    let conf = frr_bgpd(
        "eth0",
        &[
            "neighbor eth0 interface remote-as external",
            "neighbor eth0 timers connect 1",
            "neighbor eth0 password s3cret",
        ],
        " address-family ipv4 unicast\n  network 198.51.100.0/24\n exit-address-family\n",
    );
    let frr = Frr::start(
        &them,
        &lab.subdir("frr").expect("dir"),
        &[(FrrDaemon::Zebra, zebra), (FrrDaemon::Bgpd, &conf)],
    )
    .expect("frr");
    let frr_ll = them.link_local("eth0").expect("link-local");
    let our_ll = us.link_local("eth0").expect("link-local");
    let peer = BgpPeerProcess::start(
        &bin,
        &us,
        &lab.subdir("peer").expect("dir"),
        "local-as = 4200000001\nrouter-id = \"10.0.0.1\"\n\n[[neighbor]]\ninterface = \"eth0\"\n\
         remote-as = \"external\"\nextended-nexthop = true\nhold-time = 3\nconnect-retry = 1\n\
         password = \"s3cret\"\n\n\
         [[announce]]\nprefix = \"192.0.2.0/24\"\n",
    );
    let (route, lines) = peer.wait_route("198.51.100.0/24");
    assert!(
        lines.iter().any(|l| l["type"] == "neighbor" && l["address"] == frr_ll.to_string()),
        "{lines:?}"
    );
    assert_eq!(route["next_hops"], serde_json::json!([frr_ll.to_string()]));
    let r = wait_frr_route(&frr, "ipv4", "192.0.2.0/24");
    assert!(r.to_string().contains(&our_ll.to_string()), "{r}");
    assert!(r.to_string().contains("4200000001"), "{r}");
}

// ----- BIRD -----

fn bird_conf(neighbor: &str, ipv4_extra: &str) -> String {
    format!(
        "router id 10.0.0.2;\nprotocol device {{ scan time 1; }}\n\
         protocol static s4 {{ ipv4; route 198.51.100.0/24 blackhole; }}\n\
         protocol static s6 {{ ipv6; route 2001:db8:2::/48 blackhole; }}\n\
         protocol bgp ours {{\n  local as {PEER_AS};\n  {neighbor}\n  hold time 3;\n  keepalive time 1;\n  \
         connect retry time 1;\n  ipv4 {{ import all; export all; {ipv4_extra} }};\n  \
         ipv6 {{ import all; export all; }};\n}}\n"
    )
}

fn wait_bird_route(bird: &Bird, prefix: &str) -> String {
    let mut out = String::new();
    netlab::wait_until(WAIT, Duration::from_millis(200), &format!("{prefix} in BIRD"), || {
        out = bird.birdc(&format!("show route {prefix} all")).unwrap_or_default();
        out.contains(prefix.split('/').next().unwrap_or(prefix)) && out.contains("BGP")
    })
    .unwrap_or_else(|e| {
        panic!("{e}: {out}\n{}", bird.birdc("show protocols all ours").unwrap_or_default())
    });
    eprintln!("birdc show route {prefix} all:\n{out}");
    out
}

#[test]
fn bird_numbered() {
    let _s = serial();
    let lab = Lab::new("bgpbird").expect("lab");
    let (us, them) = two_nodes(&lab);
    us.add_addr("eth0", "10.0.0.1/24").expect("addr");
    them.add_addr("eth0", "10.0.0.2/24").expect("addr");
    let bird = Bird::start(
        &them,
        &lab.subdir("bird").expect("dir"),
        &bird_conf("neighbor 10.0.0.1 as 65001;", ""),
    )
    .expect("bird");
    let n = Neighbor::Address { addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), scope: None };
    let mut ours = Ours::start(&us, true, PeerConfig::new(session(n, Opener::Us)));
    ours.wait_established();
    ours.announce(Family::IPV4_UNICAST, &["192.0.2.0/24"]);
    let out = wait_bird_route(&bird, "192.0.2.0/24");
    assert!(out.contains("10.0.0.1") && out.contains("65001"), "{out}");
    let seen = ours
        .wait("BIRD's route", WAIT, |s| s.route(Family::IPV4_UNICAST, "198.51.100.0/24").cloned());
    assert_eq!(seen.next_hop, Some(NextHop::Ipv4(Ipv4Addr::new(10, 0, 0, 2))));
    assert_eq!(seen.as_path, vec![PEER_AS]);
}

#[test]
fn bird_link_local_extended_next_hop() {
    let _s = serial();
    let lab = Lab::new("bgpbird").expect("lab");
    let (us, them) = two_nodes(&lab);
    let our_ll = us.link_local("eth0").expect("link-local");
    let bird_ll = them.link_local("eth0").expect("link-local");
    let nbr = format!("neighbor {our_ll} as 65001;\n  interface \"eth0\";");
    let bird = Bird::start(
        &them,
        &lab.subdir("bird").expect("dir"),
        &bird_conf(&nbr, "extended next hop on;"),
    )
    .expect("bird");
    let n = Neighbor::Address { addr: IpAddr::V6(bird_ll), scope: Some(ifindex(&us, "eth0")) };
    let mut cfg = session(n, Opener::Us);
    cfg.families = vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST];
    cfg.extended_next_hop = vec![Family::IPV4_UNICAST];
    let mut ours = Ours::start(&us, true, PeerConfig::new(cfg));
    ours.wait_established();
    let nh = ours.announce(Family::IPV4_UNICAST, &["192.0.2.0/24"]);
    assert!(
        matches!(nh, NextHop::Ipv6LinkLocal { link_local, .. } if link_local == our_ll),
        "{nh:?}"
    );
    ours.announce(Family::IPV6_UNICAST, &["2001:db8:1::/48"]);
    let out = wait_bird_route(&bird, "192.0.2.0/24");
    assert!(out.contains(&our_ll.to_string()), "{out}");
    let out6 = wait_bird_route(&bird, "2001:db8:1::/48");
    assert!(out6.contains(&our_ll.to_string()), "{out6}");
    let seen = ours.wait("BIRD's IPv4 route", WAIT, |s| {
        s.route(Family::IPV4_UNICAST, "198.51.100.0/24").cloned()
    });
    eprintln!("BIRD's IPv4 route: next hop {:?}", seen.next_hop);
    match seen.next_hop {
        Some(NextHop::Ipv6LinkLocal { link_local, .. }) => assert_eq!(link_local, bird_ll),
        other => panic!("IPv4 route from BIRD with next hop {other:?}"),
    }
    let seen6 = ours.wait("BIRD's IPv6 route", WAIT, |s| {
        s.route(Family::IPV6_UNICAST, "2001:db8:2::/48").cloned()
    });
    assert!(seen6.next_hop.is_some());
}

// ----- GoBGP -----

#[test]
fn gobgp_add_path_several_paths_for_one_prefix() {
    let _s = serial();
    let lab = Lab::new("bgpgo").expect("lab");
    let (us, them) = two_nodes(&lab);
    us.add_addr("eth0", "10.0.0.1/24").expect("addr");
    them.add_addr("eth0", "10.0.0.2/24").expect("addr");
    let toml = format!(
        "[global.config]\n  as = {PEER_AS}\n  router-id = \"10.0.0.2\"\n  port = 179\n\n\
         [[neighbors]]\n  [neighbors.config]\n    neighbor-address = \"10.0.0.1\"\n    peer-as = {OUR_AS}\n\
         \x20 [neighbors.timers.config]\n    connect-retry = 1\n    hold-time = 3\n    keepalive-interval = 1\n\
         \x20 [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = \"ipv4-unicast\"\n\
         \x20   [neighbors.afi-safis.add-paths.config]\n      send-max = 8\n      receive = true\n"
    );
    let gobgp = Gobgp::start(&them, &lab.subdir("gobgp").expect("dir"), &toml).expect("gobgp");
    for (id, nh) in [(1, "10.0.0.11"), (2, "10.0.0.12"), (3, "10.0.0.13")] {
        gobgp
            .gobgp(&[
                "global",
                "rib",
                "-a",
                "ipv4",
                "add",
                "203.0.113.0/24",
                "identifier",
                &id.to_string(),
                "nexthop",
                nh,
            ])
            .expect("gobgp rib add");
    }
    let n = Neighbor::Address { addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), scope: None };
    let mut cfg = session(n, Opener::Us);
    cfg.add_path =
        vec![AddPathFamily { family: Family::IPV4_UNICAST, direction: AddPathDirection::BOTH }];
    let mut ours = Ours::start(&us, true, PeerConfig::new(cfg));
    ours.wait_established();
    let ids = ours.wait("three paths of 203.0.113.0/24", WAIT, |s| {
        let ids = s.paths(Family::IPV4_UNICAST, "203.0.113.0/24");
        (ids.len() >= 3).then_some(ids)
    });
    eprintln!("GoBGP path ids for 203.0.113.0/24: {ids:?}");
    assert!(ids.iter().all(Option::is_some), "{ids:?}");
    let mut distinct = ids.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), ids.len(), "{ids:?}");
}
