//! The adapter against a real kernel, in network namespaces (needs root and `ip`): routes
//! programmed with every ECMP next hop, IPv4 through IPv6 link-local next hops, blackhole
//! and reject, read back both with our reader and with `ip -j route show` as an
//! independent oracle; routes added by `ip` seen in the stream; stale routes removed at
//! start; graceful restart keeping them; a clean stop removing ours.
//!
//! Every socket is opened on a thread that entered the test's namespace: nothing here
//! touches the namespace the tests run in.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::net::IpAddr;
use std::time::Duration;

use ipnet::IpNet;
use kernel::{
    Event, FibConfig, FibEvent, FibWorker, KernelFib, KernelRoute, Netlink, RtProto, RtType,
    WatchConfig, Watcher,
};
use netlab::{Lab, Netns};
use rib::{FibChange, FibRoute, NextHop, Protocol, RouteChange, RouteKind};

/// Runs `f` on a fresh thread inside `ns`, on a current-thread tokio runtime built there.
fn in_ns<T: Send, F: Future<Output = T>>(ns: &Netns, f: impl FnOnce() -> F + Send) -> T {
    std::thread::scope(|s| {
        s.spawn(|| {
            let _inside = ns.enter().expect("enter the test namespace");
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            rt.block_on(f())
        })
        .join()
        .expect("namespace thread panicked")
    })
}

fn net(s: &str) -> IpNet {
    s.parse().expect("prefix")
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("address")
}

/// The node under test, `r`, with `eth0` to `a` (10.0.1.0/24, fd00:1::/64) and `eth1` to
/// `b` (10.0.2.0/24, fd00:2::/64); `a` and `b` have fixed MACs, so their link-local
/// addresses are `fe80::ff:fe00:a1` and `fe80::ff:fe00:b1`.
struct Topo {
    _lab: Lab,
    r: Netns,
}

const LL_A: &str = "fe80::ff:fe00:a1";
const LL_B: &str = "fe80::ff:fe00:b1";

fn topo(prefix: &str) -> Topo {
    let lab = Lab::new(prefix).expect("lab (needs root and ip)");
    let r = lab.node("r").expect("node r");
    let a = lab.node("a").expect("node a");
    let b = lab.node("b").expect("node b");
    lab.veth_with_macs(&r, "eth0", &a, "eth0", Some(("02:00:00:00:00:a0", "02:00:00:00:00:a1")))
        .expect("veth r-a");
    lab.veth_with_macs(&r, "eth1", &b, "eth0", Some(("02:00:00:00:00:b0", "02:00:00:00:00:b1")))
        .expect("veth r-b");
    for (ns, cidr) in
        [(&r, "10.0.1.1/24"), (&r, "fd00:1::1/64"), (&a, "10.0.1.2/24"), (&a, "fd00:1::2/64")]
    {
        ns.add_addr("eth0", cidr).expect("address");
    }
    for (ns, iface, cidr) in [
        (&r, "eth1", "10.0.2.1/24"),
        (&r, "eth1", "fd00:2::1/64"),
        (&b, "eth0", "10.0.2.2/24"),
        (&b, "eth0", "fd00:2::2/64"),
    ] {
        ns.add_addr(iface, cidr).expect("address");
    }
    Topo { _lab: lab, r }
}

/// Interface indexes by name, read with our reader inside `ns`.
fn ifindexes(ns: &Netns) -> BTreeMap<String, u32> {
    in_ns(ns, || async {
        let mut nl = Netlink::open().expect("netlink");
        nl.links().await.expect("links").into_iter().map(|l| (l.name, l.index)).collect()
    })
}

/// One route as a line, the same from `ip -j` and from our reader:
/// `PREFIX TYPE proto P metric M [via ADDR%DEV ...]`.
fn line(prefix: &str, rtype: &str, proto: &str, metric: u64, mut hops: Vec<String>) -> String {
    let prefix = if prefix == "default" {
        "0.0.0.0/0".to_owned()
    } else if prefix.contains('/') {
        prefix.to_owned()
    } else if prefix.contains(':') {
        format!("{prefix}/128")
    } else {
        format!("{prefix}/32")
    };
    hops.sort();
    let mut s = format!("{prefix} {rtype} proto {proto} metric {metric}");
    for h in hops {
        s.push_str(" via ");
        s.push_str(&h);
    }
    s
}

/// The oracle: `ip -j [-6] route show table N` in `ns`, as lines.
fn ip_routes(ns: &Netns, table: u32, v6: bool) -> BTreeSet<String> {
    let family = if v6 { "-6" } else { "-4" };
    let out = ns
        .ip(&["-j", family, "route", "show", "table", &table.to_string()])
        .expect("ip route show");
    let routes: Vec<serde_json::Value> = serde_json::from_str(&out).expect("ip -j output");
    routes
        .iter()
        .map(|r| {
            let hop = |h: &serde_json::Value| -> Option<String> {
                let addr = h["gateway"].as_str().or_else(|| h["via"]["host"].as_str());
                let dev = h["dev"].as_str();
                match (addr, dev) {
                    (None, None) => None,
                    (a, d) => Some(format!("{}%{}", a.unwrap_or("direct"), d.unwrap_or("?"))),
                }
            };
            let rtype = r["type"].as_str().unwrap_or("unicast");
            let hops: Vec<String> = match r["nexthops"].as_array() {
                Some(list) => list.iter().filter_map(hop).collect(),
                None if rtype == "unicast" => hop(r).into_iter().collect(),
                // IPv6 blackhole and reject routes name `lo`: no next hop.
                None => Vec::new(),
            };
            line(
                r["dst"].as_str().expect("dst"),
                rtype,
                r["protocol"].as_str().unwrap_or("?"),
                r["metric"].as_u64().unwrap_or(0),
                hops,
            )
        })
        .collect()
}

/// Our reader's view of the same table, as lines.
fn our_routes(ns: &Netns, table: u32, v6: bool, names: &BTreeMap<String, u32>) -> BTreeSet<String> {
    let by_index: BTreeMap<u32, &str> = names.iter().map(|(n, i)| (*i, n.as_str())).collect();
    let routes: Vec<KernelRoute> = in_ns(ns, || async {
        let mut nl = Netlink::open().expect("netlink");
        nl.routes(table, None).await.expect("routes")
    });
    routes
        .into_iter()
        .filter(|k| k.prefix.addr().is_ipv6() == v6)
        .map(|k| {
            let rtype = match k.rtype {
                RtType::UNICAST => "unicast".to_owned(),
                RtType::BLACKHOLE => "blackhole".to_owned(),
                RtType::UNREACHABLE => "unreachable".to_owned(),
                other => format!("type{}", other.0),
            };
            let hops = if k.rtype == RtType::UNICAST {
                k.next_hops
                    .iter()
                    .map(|h| {
                        let a = h.addr.map_or("direct".to_owned(), |a| a.to_string());
                        let d = h.ifindex.and_then(|i| by_index.get(&i).copied()).unwrap_or("?");
                        format!("{a}%{d}")
                    })
                    .collect()
            } else {
                Vec::new()
            };
            line(&k.prefix.to_string(), &rtype, &k.protocol.to_string(), u64::from(k.metric), hops)
        })
        .collect()
}

fn fib(prefix: &str, kind: RouteKind, hops: Vec<NextHop>) -> FibRoute {
    FibRoute { prefix: net(prefix), protocol: Protocol::Bgp, kind, next_hops: hops.into() }
}

#[test]
fn ecmp_link_local_blackhole_and_reject_routes_are_programmed_and_read_back() {
    let t = topo("kprog");
    let names = ifindexes(&t.r);
    let (eth0, eth1) = (names["eth0"], names["eth1"]);
    let table = 1000;
    let cfg = FibConfig { table, ..FibConfig::default() };
    let routes = vec![
        // ECMP over two IPv4 neighbours.
        fib(
            "10.244.1.0/24",
            RouteKind::Unicast,
            vec![NextHop::via(ip("10.0.1.2"), eth0), NextHop::via(ip("10.0.2.2"), eth1)],
        ),
        // IPv4 through one IPv6 link-local neighbour (RFC 8950), and through two.
        fib("10.255.0.7/32", RouteKind::Unicast, vec![NextHop::via(ip(LL_A), eth0)]),
        fib(
            "10.244.2.0/24",
            RouteKind::Unicast,
            vec![NextHop::via(ip(LL_A), eth0), NextHop::via(ip(LL_B), eth1)],
        ),
        // IPv6 ECMP over link-locals and over globals.
        fib(
            "fd00:f4:1::/64",
            RouteKind::Unicast,
            vec![NextHop::via(ip(LL_A), eth0), NextHop::via(ip(LL_B), eth1)],
        ),
        fib(
            "fd00:f4:2::/64",
            RouteKind::Unicast,
            vec![NextHop::via(ip("fd00:1::2"), eth0), NextHop::via(ip("fd00:2::2"), eth1)],
        ),
        // A gateway without an interface (the kernel resolves it) and a direct route.
        fib(
            "10.244.3.0/24",
            RouteKind::Unicast,
            vec![NextHop { addr: Some(ip("10.0.2.2")), ifindex: None }],
        ),
        fib("10.244.4.0/24", RouteKind::Unicast, vec![NextHop::direct(eth1)]),
        // Blackhole and reject, both families.
        fib("10.244.0.0/16", RouteKind::Reject, vec![]),
        fib("10.66.0.0/16", RouteKind::Blackhole, vec![]),
        fib("fd00:f4::/48", RouteKind::Reject, vec![]),
        fib("fd00:66::/48", RouteKind::Blackhole, vec![]),
    ];
    let changes: Vec<FibChange> = routes.iter().cloned().map(FibChange::Add).collect();
    let (refused, installed) = in_ns(&t.r, || async {
        let mut k = KernelFib::start(cfg.clone()).await.expect("start");
        k.apply(&changes).await.expect("apply");
        let refused: Vec<FibEvent> = std::iter::from_fn(|| k.poll_event()).collect();
        let installed = k.fib().len();
        (refused, installed)
    });
    assert!(refused.is_empty(), "refused: {refused:?}");
    assert_eq!(installed, routes.len());

    let expected_v4: BTreeSet<String> = [
        "10.244.1.0/24 unicast proto 240 metric 20 via 10.0.1.2%eth0 via 10.0.2.2%eth1",
        "10.255.0.7/32 unicast proto 240 metric 20 via fe80::ff:fe00:a1%eth0",
        "10.244.2.0/24 unicast proto 240 metric 20 via fe80::ff:fe00:a1%eth0 via fe80::ff:fe00:b1%eth1",
        "10.244.3.0/24 unicast proto 240 metric 20 via 10.0.2.2%eth1",
        "10.244.4.0/24 unicast proto 240 metric 20 via direct%eth1",
        "10.244.0.0/16 unreachable proto 240 metric 20",
        "10.66.0.0/16 blackhole proto 240 metric 20",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    let expected_v6: BTreeSet<String> = [
        "fd00:f4:1::/64 unicast proto 240 metric 20 via fe80::ff:fe00:a1%eth0 via fe80::ff:fe00:b1%eth1",
        "fd00:f4:2::/64 unicast proto 240 metric 20 via fd00:1::2%eth0 via fd00:2::2%eth1",
        "fd00:f4::/48 unreachable proto 240 metric 20",
        "fd00:66::/48 blackhole proto 240 metric 20",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(ip_routes(&t.r, table, false), expected_v4, "ip -j route show (oracle), IPv4");
    assert_eq!(ip_routes(&t.r, table, true), expected_v6, "ip -j route show (oracle), IPv6");
    assert_eq!(our_routes(&t.r, table, false, &names), expected_v4, "our reader, IPv4");
    assert_eq!(our_routes(&t.r, table, true, &names), expected_v6, "our reader, IPv6");

    // Replace: the ECMP route loses a next hop, the blackhole becomes unicast; delete one.
    let changes = vec![
        FibChange::Replace(fib(
            "10.244.1.0/24",
            RouteKind::Unicast,
            vec![NextHop::via(ip("10.0.2.2"), eth1)],
        )),
        FibChange::Replace(fib(
            "10.66.0.0/16",
            RouteKind::Unicast,
            vec![NextHop::via(ip(LL_B), eth1)],
        )),
        FibChange::Delete(routes[3].clone()),
    ];
    let stats = in_ns(&t.r, || async {
        let mut k = KernelFib::start(cfg.clone()).await.expect("start");
        // A new start without graceful restart removes what the last one left...
        assert!(k.fib().is_empty());
        // ...so put the table back first, then change it.
        k.apply_table(routes.clone()).await.expect("table");
        k.apply(&changes).await.expect("apply");
        assert_eq!(k.poll_event(), None);
        k.fib().stats()
    });
    assert!(stats.stale_removed >= routes.len() as u64, "{stats:?}");
    let v4 = ip_routes(&t.r, table, false);
    assert!(v4.contains("10.244.1.0/24 unicast proto 240 metric 20 via 10.0.2.2%eth1"), "{v4:#?}");
    assert!(
        v4.contains("10.66.0.0/16 unicast proto 240 metric 20 via fe80::ff:fe00:b1%eth1"),
        "{v4:#?}"
    );
    let v6 = ip_routes(&t.r, table, true);
    assert!(!v6.iter().any(|l| l.starts_with("fd00:f4:1::/64")), "{v6:#?}");
    assert_eq!(v6.len(), 3);
}

#[test]
fn a_refused_route_is_reported_with_the_kernels_reason() {
    let t = topo("krefuse");
    let names = ifindexes(&t.r);
    let changes = vec![
        // No route to 192.0.2.1: the kernel refuses (ENETUNREACH).
        FibChange::Add(fib(
            "10.50.0.0/16",
            RouteKind::Unicast,
            vec![NextHop::via(ip("192.0.2.1"), names["eth0"])],
        )),
        FibChange::Add(fib(
            "10.51.0.0/16",
            RouteKind::Unicast,
            vec![NextHop::via(ip("10.0.1.2"), names["eth0"])],
        )),
    ];
    let (events, len) = in_ns(&t.r, || async {
        let mut k = KernelFib::start(FibConfig::default()).await.expect("start");
        k.apply(&changes).await.expect("apply");
        let events: Vec<FibEvent> = std::iter::from_fn(|| k.poll_event()).collect();
        let len = k.fib().len();
        k.stop().await.expect("stop");
        (events, len)
    });
    assert_eq!(len, 1, "the second route is installed");
    let [FibEvent::Refused { prefix, errno, message, .. }] = &events[..] else {
        panic!("one refusal expected: {events:?}")
    };
    assert_eq!(*prefix, net("10.50.0.0/16"));
    assert_eq!(*errno, 101, "ENETUNREACH");
    assert!(message.as_deref().is_some_and(|m| !m.is_empty()), "extended ack text: {message:?}");
    // The clean stop removed ours from the main table.
    assert!(!ip_routes(&t.r, 254, false).iter().any(|l| l.contains("proto 240")));
}

/// Waits for an event matching `want`, with a deadline.
async fn wait_for(w: &mut Watcher, what: &str, want: impl Fn(&Event) -> bool) -> Event {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        match tokio::time::timeout_at(deadline, w.next_event()).await {
            Ok(Ok(e)) if want(&e) => return e,
            Ok(Ok(_)) => {}
            Ok(Err(e)) => panic!("watcher failed while waiting for {what}: {e}"),
            Err(_) => panic!("no event {what} within 5 s"),
        }
    }
}

fn is_route(e: &Event, add: bool, protocol: Protocol, prefix: &str) -> bool {
    match e {
        Event::Route(RouteChange::Add(r) | RouteChange::Replace(r)) if add => {
            r.protocol == protocol && r.prefix == net(prefix)
        }
        Event::Route(RouteChange::Delete(r)) if !add => {
            r.protocol == protocol && r.prefix == net(prefix)
        }
        _ => false,
    }
}

#[test]
fn routes_added_with_ip_appear_in_the_stream_and_ours_do_not() {
    let t = topo("kwatch");
    let names = ifindexes(&t.r);
    let r = t.r.clone();
    let eth0 = names["eth0"];
    in_ns(&t.r, || async move {
        let mut w = Watcher::start(WatchConfig::default()).await.expect("watcher");
        // The initial state: connected networks of both links, as additions.
        let mut initial = Vec::new();
        while let Ok(Ok(e)) = tokio::time::timeout(Duration::from_millis(300), w.next_event()).await
        {
            initial.push(e);
        }
        for p in ["10.0.1.0/24", "10.0.2.0/24", "fd00:1::/64", "fd00:2::/64"] {
            assert!(
                initial.iter().any(|e| is_route(e, true, Protocol::Connected, p)),
                "{p} in {initial:#?}"
            );
        }
        assert!(
            !initial
                .iter()
                .any(|e| matches!(e, Event::Route(c) if c.route().prefix.addr().is_loopback()
                || c.route().prefix.to_string().starts_with("fe80"))),
            "no loopback or link-local noise: {initial:#?}"
        );
        assert!(initial.iter().any(|e| matches!(e, Event::Link(l) if l.name == "eth0" && l.up)));

        // A CNI's pod route, added with ip: reported as a kernel route.
        r.ip(&["route", "add", "10.244.7.0/24", "via", "10.0.1.2", "dev", "eth0"])
            .expect("ip route add");
        let e = wait_for(&mut w, "kernel route add", |e| {
            is_route(e, true, Protocol::Kernel, "10.244.7.0/24")
        })
        .await;
        let Event::Route(RouteChange::Add(route)) = e else { panic!("{e:?}") };
        assert_eq!(route.next_hops, vec![NextHop::via(ip("10.0.1.2"), eth0)]);
        assert_eq!(route.kind, RouteKind::Unicast);
        r.ip(&["-6", "route", "add", "blackhole", "fd00:99::/48"]).expect("ip route add blackhole");
        wait_for(&mut w, "kernel blackhole", |e| {
            is_route(e, true, Protocol::Kernel, "fd00:99::/48")
        })
        .await;

        // Ours (protocol 240) are not reported: program one, then add a marker after it.
        let mut k = KernelFib::start(FibConfig::default()).await.expect("fib");
        k.apply(&[FibChange::Add(fib("10.77.0.0/16", RouteKind::Blackhole, vec![]))])
            .await
            .expect("apply");
        r.ip(&["route", "add", "10.78.0.0/16", "via", "10.0.1.2"]).expect("ip route add marker");
        let mut seen = Vec::new();
        loop {
            let e = wait_for(&mut w, "marker", |_| true).await;
            let done = is_route(&e, true, Protocol::Kernel, "10.78.0.0/16");
            seen.push(e);
            if done {
                break;
            }
        }
        assert!(
            !seen
                .iter()
                .any(|e| matches!(e, Event::Route(c) if c.route().prefix == net("10.77.0.0/16"))),
            "{seen:#?}"
        );

        // Removal, a new address, and a link going down.
        r.ip(&["route", "del", "10.244.7.0/24"]).expect("ip route del");
        wait_for(&mut w, "kernel route delete", |e| {
            is_route(e, false, Protocol::Kernel, "10.244.7.0/24")
        })
        .await;
        r.add_addr("eth0", "10.0.9.1/24").expect("address");
        wait_for(&mut w, "connected add", |e| {
            is_route(e, true, Protocol::Connected, "10.0.9.0/24")
        })
        .await;
        r.ip(&["link", "set", "eth1", "down"]).expect("link down");
        wait_for(&mut w, "connected delete", |e| {
            is_route(e, false, Protocol::Connected, "10.0.2.0/24")
        })
        .await;
        k.stop().await.expect("stop");
    });
}

/// Routes of ours as a crashed run would leave them, and a route of someone else's.
fn leave_crash_leftovers(r: &Netns) {
    for p in ["10.90.0.0/24", "10.90.1.0/24", "10.90.2.0/24"] {
        r.ip(&["route", "add", p, "via", "10.0.1.2", "proto", "240", "metric", "20"])
            .expect("leftover");
    }
    r.ip(&[
        "-6",
        "route",
        "add",
        "fd00:90::/48",
        "via",
        "fd00:1::2",
        "proto",
        "240",
        "metric",
        "20",
    ])
    .expect("leftover v6");
    r.ip(&["route", "add", "10.91.0.0/24", "via", "10.0.1.2", "proto", "static"]).expect("foreign");
}

fn ours(r: &Netns) -> BTreeSet<String> {
    let mut all = ip_routes(r, 254, false);
    all.extend(ip_routes(r, 254, true));
    all.into_iter().filter(|l| l.contains(" proto 240 ")).collect()
}

#[test]
fn stale_routes_are_removed_on_start() {
    let t = topo("kstale");
    leave_crash_leftovers(&t.r);
    assert_eq!(ours(&t.r).len(), 4);
    let stats = in_ns(&t.r, || async {
        let k = KernelFib::start(FibConfig::default()).await.expect("start");
        k.fib().stats()
    });
    assert_eq!(stats.stale_removed, 4);
    assert!(ours(&t.r).is_empty(), "{:#?}", ours(&t.r));
    assert!(
        ip_routes(&t.r, 254, false).iter().any(|l| l.starts_with("10.91.0.0/24")),
        "foreign route kept"
    );
}

#[test]
fn graceful_restart_keeps_routes_until_reconverged() {
    let t = topo("kgr");
    leave_crash_leftovers(&t.r);
    let names = ifindexes(&t.r);
    let eth0 = names["eth0"];
    let cfg = FibConfig { graceful_restart: true, ..FibConfig::default() };
    let r = t.r.clone();
    in_ns(&t.r, || async move {
        let mut k = KernelFib::start(cfg.clone()).await.expect("start");
        assert_eq!(k.fib().stale(), 4);
        assert_eq!(ours(&r).len(), 4, "kept during the restart");
        // The protocols come back: one route as before, one changed, one new.
        k.apply(&[
            FibChange::Add(fib(
                "10.90.0.0/24",
                RouteKind::Unicast,
                vec![NextHop::via(ip("10.0.1.2"), eth0)],
            )),
            FibChange::Add(fib("10.90.1.0/24", RouteKind::Blackhole, vec![])),
            FibChange::Add(fib(
                "10.92.0.0/24",
                RouteKind::Unicast,
                vec![NextHop::via(ip("10.0.1.2"), eth0)],
            )),
        ])
        .await
        .expect("apply");
        let s = k.fib().stats();
        assert_eq!((s.unchanged, s.requests), (1, 2), "the unchanged route cost no request: {s:?}");
        assert_eq!(ours(&r).len(), 5);
        k.reconverged().await.expect("reconverged");
        let left = ours(&r);
        assert_eq!(
            left,
            [
                "10.90.0.0/24 unicast proto 240 metric 20 via 10.0.1.2%eth0",
                "10.90.1.0/24 blackhole proto 240 metric 20",
                "10.92.0.0/24 unicast proto 240 metric 20 via 10.0.1.2%eth0",
            ]
            .into_iter()
            .map(str::to_owned)
            .collect::<BTreeSet<_>>()
        );
        // A clean stop with graceful restart keeps them for the next start.
        k.stop().await.expect("stop");
        assert_eq!(ours(&r).len(), 3);
        // Without graceful restart, a clean stop removes them.
        let mut k =
            KernelFib::start(FibConfig { graceful_restart: false, ..cfg }).await.expect("start");
        assert!(ours(&r).is_empty(), "stale removed on start");
        k.apply(&[FibChange::Add(fib("10.93.0.0/24", RouteKind::Reject, vec![]))])
            .await
            .expect("apply");
        assert_eq!(ours(&r).len(), 1);
        k.stop().await.expect("stop");
        assert!(ours(&r).is_empty(), "removed on a clean stop");
    });
}

#[test]
fn ten_thousand_routes_go_in_and_out_in_batches() {
    let t = topo("kmany");
    let names = ifindexes(&t.r);
    let hops: Vec<NextHop> = vec![
        NextHop::via(ip("10.0.1.2"), names["eth0"]),
        NextHop::via(ip("10.0.2.2"), names["eth1"]),
    ];
    let routes: Vec<FibRoute> = (0..10_000u32)
        .map(|i| {
            let p = format!("10.{}.{}.0/24", 100 + i / 256, i % 256);
            fib(&p, RouteKind::Unicast, if i % 2 == 0 { hops.clone() } else { hops[..1].to_vec() })
        })
        .collect();
    let cfg = FibConfig { table: 77, ..FibConfig::default() };
    let (stats, read) = in_ns(&t.r, || async {
        let mut k = KernelFib::start(cfg.clone()).await.expect("start");
        k.apply_table(routes.clone()).await.expect("apply");
        assert_eq!(k.poll_event(), None);
        let read = k.kernel_routes().await.expect("read back");
        (k.fib().stats(), read)
    });
    assert_eq!(read.len(), 10_000);
    assert!(stats.datagrams <= 10_000 / 100, "batched: {stats:?}");
    let n =
        t.r.ip(&["route", "show", "table", "77"])
            .expect("ip route")
            .lines()
            .filter(|l| !l.starts_with('\t'))
            .count();
    assert_eq!(n, 10_000, "ip route show table 77");
    in_ns(&t.r, || async {
        let k = KernelFib::start(cfg.clone()).await.expect("start");
        k.stop().await.expect("stop");
    });
    assert_eq!(t.r.ip(&["route", "show", "table", "77"]).expect("ip route"), "");
    // RtProto round-trips.
    assert_eq!(RtProto::DEFAULT.to_string(), "240");
}

#[test]
fn a_resync_puts_back_routes_the_kernel_flushed() {
    let t = topo("kresync");
    let names = ifindexes(&t.r);
    let r = t.r.clone();
    let eth1 = names["eth1"];
    in_ns(&t.r, || async move {
        let mut k = KernelFib::start(FibConfig::default()).await.expect("start");
        k.apply(&[
            FibChange::Add(fib(
                "10.60.0.0/16",
                RouteKind::Unicast,
                vec![NextHop::via(ip("10.0.2.2"), eth1)],
            )),
            FibChange::Add(fib("10.61.0.0/16", RouteKind::Blackhole, vec![])),
        ])
        .await
        .expect("apply");
        assert_eq!(ours(&r).len(), 2);
        // The link goes down and up: the kernel flushes the IPv4 route through it, without
        // telling anyone.
        r.ip(&["link", "set", "eth1", "down"]).expect("down");
        r.ip(&["link", "set", "eth1", "up"]).expect("up");
        assert_eq!(ours(&r).len(), 1, "{:#?}", ours(&r));
        k.resync().await.expect("resync");
        assert_eq!(k.poll_event(), None);
        assert_eq!(
            ours(&r),
            [
                "10.60.0.0/16 unicast proto 240 metric 20 via 10.0.2.2%eth1",
                "10.61.0.0/16 blackhole proto 240 metric 20",
            ]
            .into_iter()
            .map(str::to_owned)
            .collect::<BTreeSet<_>>()
        );
        k.stop().await.expect("stop");
    });
}

#[test]
fn the_worker_thread_programs_resyncs_reports_refusals_and_stops() {
    let t = topo("kworker");
    let names = ifindexes(&t.r);
    let r = t.r.clone();
    let eth1 = names["eth1"];
    in_ns(&t.r, || async move {
        let w = FibWorker::start(FibConfig::default()).await.expect("start");
        // Many batches queued at once: the worker absorbs whatever is queued, then flushes.
        for i in 0..100u32 {
            let p = format!("10.70.{i}.0/24");
            let add = FibChange::Add(fib(
                &p,
                RouteKind::Unicast,
                vec![NextHop::via(ip("10.0.2.2"), eth1)],
            ));
            w.apply(vec![add]).await.expect("apply");
        }
        // A next hop on no link of ours: refused by the kernel, counted, not fatal.
        let bad = FibChange::Add(fib(
            "10.71.0.0/16",
            RouteKind::Unicast,
            vec![NextHop::via(ip("192.0.2.9"), eth1)],
        ));
        w.apply(vec![bad]).await.expect("apply");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while w.routes() < 100 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(ours(&r).len(), 100);
        let refused = w.take_refused();
        assert_eq!(refused.count, 1, "{refused:?}");
        assert!(
            matches!(refused.first, Some(FibEvent::Refused { prefix, .. }) if prefix == net("10.71.0.0/16")),
            "{refused:?}"
        );
        assert_eq!(w.take_refused().count, 0, "taken once");
        // What was queued before a question is done before it is answered.
        let asked = vec![net("10.70.7.0/24"), net("10.71.0.0/16"), net("10.72.0.0/24")];
        assert_eq!(w.installed(asked).await.expect("installed"), vec![true, false, false]);
        assert!(w.is_idle(), "every job done, nothing awaited");
        assert_eq!(w.stats().stale_removed, 0);
        // The kernel flushes the routes through a link that goes down; a resync puts them
        // back.
        r.ip(&["link", "set", "eth1", "down"]).expect("down");
        r.ip(&["link", "set", "eth1", "up"]).expect("up");
        assert_eq!(ours(&r).len(), 0);
        w.resync().await.expect("resync");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while ours(&r).len() < 100 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(ours(&r).len(), 100);
        let stats = w.stop().await.expect("stop");
        assert!(stats.requests >= 200, "{stats:?}");
    });
    assert!(ours(&t.r).is_empty(), "a clean stop removes ours: {:?}", ours(&t.r));
}
