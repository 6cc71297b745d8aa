//! The multi-peer speaker (bgp-speaker on bgp-tokio's router) between real daemons, each
//! test in network namespaces it creates (netlab) and deletes, even when it fails. Needs
//! root and FRR, BIRD and GoBGP.
//!
//! - Transit, numbered and unnumbered: FRR (AS 65001) → us (AS 65002) → BIRD (AS 65003) and
//!   back; every route crosses with the right AS path, next hop and communities, and what
//!   both daemons hold matches what our `show` model says.
//! - ECMP: two FRR routers announce the same prefixes; `maximum-paths 2` puts both in the
//!   multipath set and the forwarding route.
//! - Graceful restart with FRR as helper: our speaker dies without a NOTIFICATION and comes
//!   back restarting; FRR keeps our routes (stale) all along, until our End-of-RIB.
//! - Maximum prefixes: GoBGP sends more than the limit; we close with Cease 6/1 and GoBGP
//!   reports the NOTIFICATION.

use bgp_fsm::{Config, Neighbor, PeerAs, State};
use bgp_speaker::{Event, MaxPrefix, NeighborConfig, NeighborId, Speaker, SpeakerConfig};
use bgp_tokio::{Notice, RouterConfig, RouterHandle, Transport};
use bgp_wire::attribute::{Community, LargeCommunity};
use bgp_wire::capability::{GracefulRestart, GracefulRestartFamily};
use bgp_wire::{Asn, Family};
use integration_tests::serial;
use ipnet::IpNet;
use netlab::{Bird, Frr, FrrDaemon, Gobgp, Lab, Netns};
use rib::PathAttrs;
use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

const OUR_AS: u32 = 65002;
const OUR_ID: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
const WAIT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(200);

/// Our speaker on a runtime whose threads live in a lab namespace.
struct Ours {
    router: Option<RouterHandle>,
    notices: tokio::sync::mpsc::Receiver<Notice>,
    /// Every notice seen, for failure messages.
    log: Vec<String>,
    // Last: dropped after the handle.
    rt: Option<tokio::runtime::Runtime>,
}

impl Ours {
    fn start(
        ns: &Netns,
        cfg: SpeakerConfig,
        neighbors: Vec<NeighborConfig>,
    ) -> (Ours, Vec<NeighborId>) {
        // `RUST_LOG=debug` shows the router's log on a failure.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let guard = ns.enter().expect("enter namespace");
        // Worker threads started under the guard live in the namespace for good.
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let (router, notices, ids) = rt.block_on(async {
            let speaker = Speaker::new(cfg).expect("speaker");
            let rc = RouterConfig { fib_notices: true, ..RouterConfig::default() };
            let (router, notices) = bgp_tokio::router::spawn(speaker, rc).expect("router");
            let mut ids = Vec::new();
            for n in neighbors {
                ids.push(router.add_neighbor(n, Transport::default()).await.expect("neighbor"));
            }
            (router, notices, ids)
        });
        drop(guard);
        (Ours { router: Some(router), notices, log: Vec::new(), rt: Some(rt) }, ids)
    }

    fn rt(&self) -> &tokio::runtime::Runtime {
        self.rt.as_ref().expect("running")
    }

    /// Runs `f` on the speaker.
    fn with<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Speaker, Instant) -> R + Send + 'static,
    ) -> R {
        let router = self.router.as_ref().expect("running");
        self.rt().block_on(router.with(f)).expect("router task")
    }

    fn announce(&self, prefix: &str, attrs: PathAttrs) {
        let router = self.router.as_ref().expect("running");
        let p: IpNet = prefix.parse().expect("prefix");
        self.rt().block_on(router.announce(p, attrs)).expect("announce");
    }

    /// Takes the notices waiting, keeping a line of each.
    fn drain(&mut self) -> Vec<Notice> {
        let mut out = Vec::new();
        while let Ok(n) = self.notices.try_recv() {
            self.log.push(format!("{n:?}"));
            out.push(n);
        }
        out
    }

    /// Asks the speaker until `f` answers; panics with what was seen after [`WAIT`].
    fn wait<T: Send + 'static>(
        &mut self,
        what: &str,
        f: impl Fn(&mut Speaker, Instant) -> Option<T> + Send + Sync + Clone + 'static,
    ) -> T {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(t) = self.with(f.clone()) {
                return t;
            }
            self.drain();
            if Instant::now() >= deadline {
                let summary = self.with(|s, now| s.summary(now));
                panic!(
                    "timed out waiting for {what}; {summary:#?}\nnotices:\n{}",
                    self.log.join("\n")
                );
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; notices:\n{}",
                self.log.join("\n")
            );
            std::thread::sleep(POLL);
        }
    }

    fn wait_established(&mut self, id: NeighborId) {
        self.wait("Established", move |s, _| {
            (s.session(id).map(|x| x.state()) == Some(State::Established)).then_some(())
        });
    }

    /// The best path's AS path, next hop and communities of `prefix`, once it has one.
    fn wait_best(&mut self, prefix: &str) -> Best {
        let p: IpNet = prefix.parse().expect("prefix");
        self.wait(&format!("a best path for {prefix}"), move |s, now| {
            let d = s.route_detail(now, p)?;
            let b = d.paths.iter().find(|x| x.best)?;
            Some(Best {
                as_path: b.as_path.clone(),
                next_hop: b.next_hop.clone(),
                communities: b.communities.clone(),
                multipath: d.paths.iter().filter(|x| x.multipath || x.best).count(),
            })
        })
    }

    /// Dies as a crashed process does: the sockets close (FIN) without a NOTIFICATION.
    fn crash(mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
        self.router = None;
    }
}

impl Drop for Ours {
    fn drop(&mut self) {
        if let (Some(router), Some(rt)) = (self.router.take(), self.rt.as_ref()) {
            rt.block_on(router.shutdown());
        }
    }
}

/// What our `show` says of a prefix's best path.
#[derive(Debug)]
struct Best {
    as_path: String,
    next_hop: Option<String>,
    communities: Vec<String>,
    multipath: usize,
}

fn neighbor(peer: Neighbor, remote_as: u32) -> NeighborConfig {
    let mut c = Config::new(Asn(OUR_AS), OUR_ID, PeerAs::Number(Asn(remote_as)), peer);
    c.hold_time = 3;
    c.connect_retry_time = Duration::from_secs(1);
    NeighborConfig::new(c)
}

fn numbered(addr: &str, remote_as: u32) -> NeighborConfig {
    neighbor(Neighbor::Address { addr: addr.parse().expect("address"), scope: None }, remote_as)
}

fn unnumbered(ns: &Netns, ifname: &str, remote_as: u32) -> NeighborConfig {
    let ifindex = ifindex(ns, ifname);
    let mut n = neighbor(Neighbor::Interface { name: ifname.into(), ifindex }, remote_as);
    n.session.families = vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST];
    n.session.extended_next_hop = vec![Family::IPV4_UNICAST];
    n
}

fn ifindex(ns: &Netns, name: &str) -> u32 {
    let out = ns.exec(&["cat", &format!("/sys/class/net/{name}/ifindex")]).expect("ifindex");
    out.trim().parse().expect("ifindex number")
}

fn our_route() -> PathAttrs {
    PathAttrs {
        communities: vec![Community::new(65002, 1)],
        large_communities: vec![LargeCommunity::new(65002, 0, 1)],
        ..PathAttrs::default()
    }
}

// ----- FRR -----

/// bgpd of AS 65001 with `neighbors` (lines with NBR replaced) announcing `prefixes` with
/// community 65001:7 and large community 65001:1:2.
fn frr_conf(id: &str, neighbors: &[(&str, &str)], prefixes: &[&str], extra: &str) -> String {
    let mut s = format!(
        "frr defaults traditional\nhostname frr\n!\nroute-map TAG permit 10\n set community 65001:7\n \
         set large-community 65001:1:2\n!\nrouter bgp 65001\n bgp router-id {id}\n \
         no bgp ebgp-requires-policy\n no bgp network import-check\n timers bgp 1 3\n{extra}"
    );
    for (nbr, line) in neighbors {
        s.push_str(&format!(" {}\n", line.replace("NBR", nbr)));
    }
    let (v4, v6): (Vec<&str>, Vec<&str>) = prefixes.iter().partition(|p| !p.contains(':'));
    for (afi, list) in [("ipv4", v4), ("ipv6", v6)] {
        s.push_str(&format!(" address-family {afi} unicast\n"));
        for p in list {
            s.push_str(&format!("  network {p} route-map TAG\n"));
        }
        if afi == "ipv6" {
            for (nbr, _) in neighbors {
                s.push_str(&format!("  neighbor {nbr} activate\n"));
            }
        }
        s.push_str(" exit-address-family\n");
    }
    s
}

/// FRR's best path of `prefix` (`show bgp PREFIX json`), once it has one.
fn frr_best(frr: &Frr, afi: &str, prefix: &str) -> serde_json::Value {
    let mut found = None;
    netlab::wait_until(WAIT, POLL, &format!("{prefix} in FRR"), || {
        found =
            frr.vtysh_json(&format!("show bgp {afi} unicast {prefix} json")).ok().and_then(|v| {
                v["paths"].as_array()?.iter().find(|p| p["bestpath"]["overall"] == true).cloned()
            });
        found.is_some()
    })
    .unwrap_or_else(|e| {
        panic!("{e}; FRR has: {:?}", frr.vtysh(&format!("show bgp {afi} unicast")))
    });
    found.unwrap_or_default()
}

/// The prefixes of FRR's BGP table of a family.
fn frr_prefixes(frr: &Frr, afi: &str) -> BTreeSet<String> {
    let v = frr.vtysh_json(&format!("show bgp {afi} unicast json")).expect("FRR table");
    v["routes"].as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default()
}

// ----- BIRD -----

/// BIRD of AS 65003 announcing 203.0.113.0/24 and 2001:db8:203::/48 with community
/// (65003,9) and large community (65003,1,2), to `neighbor` (a BIRD neighbour statement).
fn bird_conf(neighbor: &str, extra: &str) -> String {
    format!(
        "router id 10.0.2.3;\nprotocol device {{ scan time 1; }}\n\
         protocol static s4 {{ ipv4; route 203.0.113.0/24 blackhole; }}\n\
         protocol static s6 {{ ipv6; route 2001:db8:203::/48 blackhole; }}\n\
         filter mark {{ if source = RTS_STATIC then {{ bgp_community.add((65003,9)); \
         bgp_large_community.add((65003,1,2)); }} accept; }}\n{extra}\
         protocol bgp ours {{\n  local as 65003;\n  {neighbor}\n  hold time 3;\n  keepalive time 1;\n  \
         connect retry time 1;\n  ipv4 {{ import all; export filter mark; extended next hop on; }};\n  \
         ipv6 {{ import all; export filter mark; }};\n}}\n"
    )
}

/// `birdc show route PREFIX all` once BIRD has a BGP route for it.
fn bird_route(bird: &Bird, prefix: &str) -> String {
    let mut out = String::new();
    netlab::wait_until(WAIT, POLL, &format!("{prefix} in BIRD"), || {
        out = bird.birdc(&format!("show route {prefix} all")).unwrap_or_default();
        out.contains("BGP.as_path")
    })
    .unwrap_or_else(|e| {
        panic!("{e}: {out}\n{}", bird.birdc("show protocols all ours").unwrap_or_default())
    });
    out
}

/// The prefixes of BIRD's tables.
fn bird_prefixes(bird: &Bird) -> BTreeSet<String> {
    let out = bird.birdc("show route").expect("birdc");
    out.lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.parse::<IpNet>().is_ok())
        .map(str::to_owned)
        .collect()
}

/// The prefixes of our Loc-RIB.
fn our_prefixes(ours: &Ours) -> BTreeSet<String> {
    ours.with(|s, _| {
        let mut v = BTreeSet::new();
        s.rib().for_each_best(|p, _| {
            v.insert(p.to_string());
        });
        v
    })
}

/// Three nodes in a line: `frr` eth0 — eth0 `us` eth1 — eth0 `bird`.
fn line(lab: &Lab) -> (Netns, Netns, Netns) {
    let frr = lab.node("frr").expect("node");
    let us = lab.node("us").expect("node");
    let bird = lab.node("bird").expect("node");
    lab.veth(&frr, "eth0", &us, "eth0").expect("veth");
    lab.veth(&us, "eth1", &bird, "eth0").expect("veth");
    (frr, us, bird)
}

/// Checks the routes that crossed us, each way, against our `show`, FRR and BIRD.
fn check_transit(
    ours: &mut Ours,
    frr: &Frr,
    bird: &Bird,
    v4_from_frr: &str,
    v4_to_frr: &str,
    v4_to_bird: &str,
) {
    // FRR → us → BIRD.
    let b = ours.wait_best("198.51.100.0/24");
    assert_eq!(b.as_path, "65001");
    assert_eq!(b.next_hop.as_deref(), Some(v4_from_frr), "{b:?}");
    assert!(b.communities.iter().any(|c| c == "65001:7"), "{b:?}");
    assert!(b.communities.iter().any(|c| c == "65001:1:2"), "{b:?}");
    let out = bird_route(bird, "198.51.100.0/24");
    let nh = out.lines().find(|l| l.contains("BGP.next_hop:")).unwrap_or_default();
    assert!(nh.contains(v4_to_bird), "{out}");
    assert!(out.contains("(65001,7)") && out.contains("(65001, 1, 2)"), "{out}");
    // BIRD → us → FRR.
    let b = ours.wait_best("203.0.113.0/24");
    assert_eq!(b.as_path, "65003");
    assert!(b.communities.iter().any(|c| c == "65003:9"), "{b:?}");
    let p = frr_best(frr, "ipv4", "203.0.113.0/24");
    assert_eq!(p["aspath"]["string"], "65002 65003", "{p}");
    assert!(p["nexthops"].to_string().contains(v4_to_frr), "{p}");
    assert_eq!(p["community"]["string"], "65003:9", "{p}");
    assert_eq!(p["largeCommunity"]["string"], "65003:1:2", "{p}");
    // Ours, to both.
    let p = frr_best(frr, "ipv4", "192.0.2.0/24");
    assert_eq!(p["aspath"]["string"], "65002", "{p}");
    assert_eq!(p["community"]["string"], "65002:1", "{p}");
    let out = bird_route(bird, "192.0.2.0/24");
    assert!(out.contains("BGP.as_path: 65002\n") || out.contains("BGP.as_path: 65002 \n"), "{out}");
    // The tables agree: what we hold is what each daemon holds, and no more.
    let ours_v4: BTreeSet<String> =
        our_prefixes(ours).into_iter().filter(|p| !p.contains(':')).collect();
    let expect: BTreeSet<String> =
        ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"].map(String::from).into();
    assert_eq!(ours_v4, expect);
    assert_eq!(frr_prefixes(frr, "ipv4"), expect);
    let bird_v4: BTreeSet<String> =
        bird_prefixes(bird).into_iter().filter(|p| !p.contains(':')).collect();
    assert_eq!(bird_v4, expect);
}

#[test]
fn transit_frr_us_bird_numbered() {
    let _s = serial();
    let lab = Lab::new("spkn").expect("lab");
    let (f, us, b) = line(&lab);
    f.add_addr("eth0", "10.0.1.1/24").expect("addr");
    us.add_addr("eth0", "10.0.1.2/24").expect("addr");
    us.add_addr("eth1", "10.0.2.2/24").expect("addr");
    b.add_addr("eth0", "10.0.2.3/24").expect("addr");
    let conf = frr_conf(
        "10.0.1.1",
        &[
            ("10.0.1.2", "neighbor NBR remote-as 65002"),
            ("10.0.1.2", "neighbor NBR timers connect 1"),
        ],
        &["198.51.100.0/24"],
        "",
    );
    let frr =
        Frr::start(&f, &lab.subdir("frr").expect("dir"), &[(FrrDaemon::Bgpd, &conf)]).expect("frr");
    let bird = Bird::start(
        &b,
        &lab.subdir("bird").expect("dir"),
        &bird_conf("neighbor 10.0.2.2 as 65002;", ""),
    )
    .expect("bird");
    let (mut ours, ids) = Ours::start(
        &us,
        SpeakerConfig::new(Asn(OUR_AS), OUR_ID),
        vec![numbered("10.0.1.1", 65001), numbered("10.0.2.3", 65003)],
    );
    ours.announce("192.0.2.0/24", our_route());
    ours.wait_established(ids[0]);
    ours.wait_established(ids[1]);
    check_transit(&mut ours, &frr, &bird, "10.0.1.1", "10.0.1.2", "10.0.2.2");
    // What we say we advertised is what BIRD received.
    let adv = ours.with(move |s, _| s.advertised(ids[1]));
    let a = adv.iter().find(|a| a.prefix == "198.51.100.0/24").expect("advertised to BIRD");
    assert_eq!((a.as_path.as_str(), a.next_hop.as_str()), ("65002 65001", "10.0.2.2"));
}

#[test]
fn transit_frr_us_bird_unnumbered() {
    let _s = serial();
    let lab = Lab::new("spku").expect("lab");
    let (f, us, b) = line(&lab);
    let frr_ll = f.link_local("eth0").expect("ll").to_string();
    let us0 = us.link_local("eth0").expect("ll").to_string();
    let us1 = us.link_local("eth1").expect("ll");
    let zebra = "interface eth0\n ipv6 nd ra-interval 3\n no ipv6 nd suppress-ra\n!\n";
    let conf = frr_conf(
        "10.0.1.1",
        &[
            ("eth0", "neighbor NBR interface remote-as external"),
            ("eth0", "neighbor NBR timers connect 1"),
        ],
        &["198.51.100.0/24", "2001:db8:100::/48"],
        "",
    );
    let frr = Frr::start(
        &f,
        &lab.subdir("frr").expect("dir"),
        &[(FrrDaemon::Zebra, zebra), (FrrDaemon::Bgpd, &conf)],
    )
    .expect("frr");
    // BIRD sends Router Advertisements, so our side needs only the interface's name.
    let radv =
        "protocol radv { ipv6; interface \"eth0\" { min ra interval 3; max ra interval 4; }; }\n";
    let bird = Bird::start(
        &b,
        &lab.subdir("bird").expect("dir"),
        &bird_conf(&format!("neighbor {us1} as 65002;\n  interface \"eth0\";"), radv),
    )
    .expect("bird");
    let (mut ours, ids) = Ours::start(
        &us,
        SpeakerConfig::new(Asn(OUR_AS), OUR_ID),
        vec![unnumbered(&us, "eth0", 65001), unnumbered(&us, "eth1", 65003)],
    );
    ours.announce("192.0.2.0/24", our_route());
    ours.wait_established(ids[0]);
    ours.wait_established(ids[1]);
    check_transit(&mut ours, &frr, &bird, &frr_ll, &us0, &us1.to_string());
    // IPv6 both ways, next hops link-local.
    let b6 = ours.wait_best("2001:db8:100::/48");
    assert_eq!((b6.as_path.as_str(), b6.next_hop.as_deref()), ("65001", Some(frr_ll.as_str())));
    let out = bird_route(&bird, "2001:db8:100::/48");
    assert!(out.contains("BGP.as_path: 65002 65001") && out.contains(&us1.to_string()), "{out}");
    let p = frr_best(&frr, "ipv6", "2001:db8:203::/48");
    assert_eq!(p["aspath"]["string"], "65002 65003", "{p}");
    assert!(p["nexthops"].to_string().contains(&us0), "{p}");
}

#[test]
fn ecmp_over_two_frr_routers() {
    let _s = serial();
    let lab = Lab::new("spke").expect("lab");
    let us = lab.node("us").expect("node");
    let mut frrs = Vec::new();
    let mut neighbors = Vec::new();
    for (i, net) in [(0, "10.0.1"), (1, "10.0.3")] {
        let ns = lab.node(&format!("frr{i}")).expect("node");
        lab.veth(&ns, "eth0", &us, &format!("eth{i}")).expect("veth");
        ns.add_addr("eth0", &format!("{net}.1/24")).expect("addr");
        us.add_addr(&format!("eth{i}"), &format!("{net}.2/24")).expect("addr");
        let conf = frr_conf(
            &format!("{net}.1"),
            &[
                (&format!("{net}.2"), "neighbor NBR remote-as 65002"),
                (&format!("{net}.2"), "neighbor NBR timers connect 1"),
            ],
            &["198.51.100.0/24", "198.51.101.0/24"],
            "",
        );
        let dir = lab.subdir(&format!("frr{i}")).expect("dir");
        frrs.push(Frr::start(&ns, &dir, &[(FrrDaemon::Bgpd, &conf)]).expect("frr"));
        neighbors.push(numbered(&format!("{net}.1"), 65001));
    }
    let mut cfg = SpeakerConfig::new(Asn(OUR_AS), OUR_ID);
    cfg.bestpath.maximum_paths_ebgp = 2;
    let (mut ours, _) = Ours::start(&us, cfg, neighbors);
    for prefix in ["198.51.100.0/24", "198.51.101.0/24"] {
        let p: IpNet = prefix.parse().expect("prefix");
        let fib = ours.wait(&format!("two next hops for {prefix}"), move |s, now| {
            let f = s.route(now, p)?.fib?;
            (f.next_hops.len() == 2).then_some(f)
        });
        let hops: BTreeSet<String> = fib.next_hops.iter().map(|h| h.to_string()).collect();
        assert!(
            hops.iter().any(|h| h.contains("10.0.1.1"))
                && hops.iter().any(|h| h.contains("10.0.3.1")),
            "{hops:?}"
        );
        let b = ours.wait_best(prefix);
        assert_eq!(b.multipath, 2, "{b:?}");
    }
    // The forwarding changes went out as notices too, the last with both next hops.
    let notices = ours.drain();
    let fib_adds = notices.iter().filter(|n| matches!(n, Notice::Fib(_))).count();
    assert!(fib_adds >= 2, "{:?}", ours.log);
}

/// Our GR capability: Restart Time 120 s, forwarding state kept for IPv4 unicast.
fn graceful(n: &mut NeighborConfig) {
    n.session.graceful_restart = Some(GracefulRestart {
        restart_flags: GracefulRestart::NOTIFICATION,
        restart_time: 120,
        families: vec![GracefulRestartFamily {
            family: Family::IPV4_UNICAST,
            flags: GracefulRestartFamily::FORWARDING_STATE,
        }],
    });
}

/// FRR's path of our 192.0.2.0/24: (present, stale).
fn frr_sees_ours(frr: &Frr) -> (bool, bool) {
    let v = frr.vtysh_json("show bgp ipv4 unicast 192.0.2.0/24 json").unwrap_or_default();
    match v["paths"].as_array().and_then(|p| p.first()) {
        Some(p) => (true, p["stale"] == true),
        None => (false, false),
    }
}

#[test]
fn graceful_restart_with_frr_as_helper() {
    let _s = serial();
    let lab = Lab::new("spkg").expect("lab");
    let f = lab.node("frr").expect("node");
    let us = lab.node("us").expect("node");
    lab.veth(&f, "eth0", &us, "eth0").expect("veth");
    f.add_addr("eth0", "10.0.1.1/24").expect("addr");
    us.add_addr("eth0", "10.0.1.2/24").expect("addr");
    let conf = frr_conf(
        "10.0.1.1",
        &[
            ("10.0.1.2", "neighbor NBR remote-as 65002"),
            ("10.0.1.2", "neighbor NBR timers connect 1"),
        ],
        &["198.51.100.0/24"],
        " bgp graceful-restart\n",
    );
    let frr =
        Frr::start(&f, &lab.subdir("frr").expect("dir"), &[(FrrDaemon::Bgpd, &conf)]).expect("frr");
    let mut n = numbered("10.0.1.1", 65001);
    graceful(&mut n);
    let (mut ours, ids) =
        Ours::start(&us, SpeakerConfig::new(Asn(OUR_AS), OUR_ID), vec![n.clone()]);
    ours.announce("192.0.2.0/24", our_route());
    ours.wait_established(ids[0]);
    netlab::wait_until(WAIT, POLL, "our route in FRR", || frr_sees_ours(&frr) == (true, false))
        .expect("route");

    // A crash: no NOTIFICATION. FRR keeps the route, stale, past its hold time.
    ours.crash();
    netlab::wait_until(WAIT, POLL, "our route stale in FRR", || {
        frr_sees_ours(&frr) == (true, true)
    })
    .unwrap_or_else(|e| panic!("{e}: {:?}", frr.vtysh("show bgp ipv4 unicast 192.0.2.0/24")));
    let until = Instant::now() + Duration::from_secs(5);
    while Instant::now() < until {
        assert!(frr_sees_ours(&frr).0, "FRR dropped our route while we restarted");
        std::thread::sleep(POLL);
    }

    // Back, restarting: FRR keeps the route all along, and it is fresh after our End-of-RIB.
    let mut cfg = SpeakerConfig::new(Asn(OUR_AS), OUR_ID);
    cfg.graceful_restart.restarting = true;
    cfg.graceful_restart.select_defer_time = Duration::from_secs(10);
    let (mut ours, ids) = Ours::start(&us, cfg, vec![n]);
    ours.announce("192.0.2.0/24", our_route());
    netlab::wait_until(WAIT, Duration::from_millis(50), "our route fresh in FRR", || {
        let (present, stale) = frr_sees_ours(&frr);
        assert!(present, "FRR dropped our route after we came back");
        !stale
    })
    .expect("fresh");
    ours.wait_established(ids[0]);
    let nbr = frr.vtysh_json("show bgp neighbors 10.0.1.2 json").expect("neighbor");
    let gr = &nbr["10.0.1.2"]["gracefulRestartInfo"];
    assert_eq!(gr["ipv4Unicast"]["endOfRibStatus"]["endOfRibRecv"], true, "{gr}");
    // We came back with FRR's routes too.
    let b = ours.wait_best("198.51.100.0/24");
    assert_eq!(b.as_path, "65001");
}

#[test]
fn maximum_prefix_against_gobgp() {
    let _s = serial();
    let lab = Lab::new("spkm").expect("lab");
    let g = lab.node("gobgp").expect("node");
    let us = lab.node("us").expect("node");
    lab.veth(&g, "eth0", &us, "eth0").expect("veth");
    g.add_addr("eth0", "10.0.1.1/24").expect("addr");
    us.add_addr("eth0", "10.0.1.2/24").expect("addr");
    let toml = "[global.config]\n  as = 65001\n  router-id = \"10.0.1.1\"\n  port = 179\n\n\
         [[neighbors]]\n  [neighbors.config]\n    neighbor-address = \"10.0.1.2\"\n    peer-as = 65002\n\
         \x20 [neighbors.timers.config]\n    connect-retry = 1\n    hold-time = 3\n    keepalive-interval = 1\n";
    let gobgp = Gobgp::start(&g, &lab.subdir("gobgp").expect("dir"), toml).expect("gobgp");
    for i in 0..12 {
        let p = format!("198.51.{i}.0/24");
        gobgp
            .gobgp(&["global", "rib", "-a", "ipv4", "add", &p, "nexthop", "10.0.1.1"])
            .expect("rib add");
    }
    let mut n = numbered("10.0.1.1", 65001);
    n.max_prefix = Some(MaxPrefix::new(10));
    let (mut ours, ids) = Ours::start(&us, SpeakerConfig::new(Asn(OUR_AS), OUR_ID), vec![n]);
    let id = ids[0];
    // We report the limit and close; every route of the neighbour leaves the table.
    let mut limit = None;
    let deadline = Instant::now() + WAIT;
    while limit.is_none() {
        assert!(Instant::now() < deadline, "no prefix limit; notices:\n{}", ours.log.join("\n"));
        for notice in ours.drain() {
            if let Notice::Event(Event::PrefixLimit {
                neighbor, teardown: true, limit: l, ..
            }) = notice
            {
                assert_eq!(neighbor, id);
                limit = Some(l);
            }
        }
        std::thread::sleep(POLL);
    }
    assert_eq!(limit, Some(10));
    ours.wait("the neighbour's routes withdrawn", |s, _| {
        let mut any = false;
        s.rib().for_each_best(|_, _| any = true);
        (!any).then_some(())
    });
    // GoBGP saw our NOTIFICATION: Cease (6), Maximum Number of Prefixes Reached (1), with
    // AFI 1, SAFI 1 and the limit 10 as data (RFC 4486 §4).
    let mut log = String::new();
    netlab::wait_until(WAIT, POLL, "GoBGP's record of our NOTIFICATION", || {
        log = gobgp.logs();
        log.contains("received notification")
    })
    .unwrap_or_else(|e| panic!("{e}: {log}"));
    let line = log.lines().find(|l| l.contains("received notification")).unwrap_or_default();
    assert!(line.contains("Code=6") && line.contains("Subcode=1"), "{line}");
    assert!(line.contains("Data=\"[0 1 1 0 0 0 10]\""), "{line}");
    let nbr = gobgp.gobgp_json(&["neighbor", "10.0.1.2"]).expect("neighbor");
    let state = &nbr["state"];
    assert_eq!(state["messages"]["received"]["notification"], 1, "{nbr}");
    // Not Established (6 in GoBGP's numbering).
    assert!(state["session_state"].as_u64().is_some_and(|s| s != 6), "{nbr}");
}
