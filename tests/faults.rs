//! Faults against the node agent (`k8s-bgp-speaker`, release build) in network namespaces
//! this test creates and deletes: FRR on one side, and on the other a small BGP client of
//! the test's own (`bgp-wire` messages over tokio) that does what a real peer should not:
//! flaps its sessions by the thousand, stops reading. And link flaps under the full table
//! of `shared/data`, sent by a `bgp-load` peer in FRR's place. Each test reads the agent's
//! memory (`VmRSS`) and open descriptors from `/proc` before and after, and checks that
//! what it still holds (the FRR session, its routes in the kernel) is whole.
//!
//! The agent is `dut` with two links: `eth1` to FRR or the full-table peer (`10.8.0.0/24`,
//! AS 65200, FRR routes from `network` statements) and `eth2` to the client's namespace
//! (`10.9.0.0/24`, accepted by a listen range, AS 65100, one address per simulated peer).

#[path = "faults/client.rs"]
mod client;

use bgp_load::feed::{self, PeerIdentity};
use bgp_load::session::{self, SessionConfig};
use bgp_load::table::{Table, TableFamily};
use client::{Peer, CLIENT_AS};
use integration_tests::{binary_release, serial};
use netlab::{ChildGuard, Frr, FrrDaemon, Lab, Netns};
use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(250);
const DUT_ADDR: Ipv4Addr = Ipv4Addr::new(10, 9, 0, 1);
/// The routing protocol number of the agent's kernel routes (its default).
const PROTO: &str = "240";

/// The agent under test and where it keeps its files.
struct Dut {
    child: ChildGuard,
    bin: PathBuf,
    dir: PathBuf,
    pid: u32,
}

impl Dut {
    fn start(bin: &Path, ns: &Netns, dir: &Path, conf: &str) -> Dut {
        let file = dir.join("agent.toml");
        std::fs::write(&file, conf).expect("config");
        let mut cmd = ns.command(bin.to_str().expect("path"));
        cmd.args(["run", file.to_str().expect("path")]).env("RUST_LOG", "info");
        let child = ChildGuard::spawn(cmd, Some(&dir.join("agent.log"))).expect("agent");
        let pid = child.pid().expect("the agent's pid");
        Dut { child, bin: bin.to_owned(), dir: dir.to_owned(), pid }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("agent.log")).unwrap_or_default()
    }

    /// `show bgp summary --json` (`Null` while the agent does not answer).
    fn summary(&self) -> serde_json::Value {
        let out = std::process::Command::new(&self.bin)
            .arg("show")
            .arg("--socket")
            .arg(self.dir.join("control.sock"))
            .args(["bgp", "summary", "--json"])
            .output()
            .expect("show");
        serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
    }

    /// The summary's line for `neighbor`.
    fn neighbor(&self, neighbor: &str) -> Option<serde_json::Value> {
        self.summary()["neighbors"]
            .as_array()?
            .iter()
            .find(|n| n["neighbor"].as_str() == Some(neighbor))
            .cloned()
    }

    fn established(&self, neighbor: &str) -> bool {
        self.neighbor(neighbor).is_some_and(|n| n["state"] == "Established")
    }

    /// How many neighbours the listen ranges made that still exist.
    fn dynamic_neighbors(&self) -> usize {
        let s = self.summary();
        s["neighbors"]
            .as_array()
            .map_or(usize::MAX, |n| n.iter().filter(|n| n["dynamic"] == true).count())
    }

    fn rss_kib(&self) -> u64 {
        rss_kib(self.pid)
    }

    fn fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid)).expect("/proc/PID/fd").count()
    }

    fn wait(&mut self, what: &str, mut f: impl FnMut(&Dut) -> bool) {
        let start = Instant::now();
        loop {
            assert!(!self.child.has_exited(), "the agent exited\n{}", self.log());
            if f(self) {
                return;
            }
            if start.elapsed() > WAIT {
                let log = self.log();
                let tail: Vec<&str> = log.lines().rev().take(40).collect();
                panic!(
                    "timed out waiting for {what}\nsummary: {}\nagent log (last lines, newest first):\n{}",
                    self.summary(),
                    tail.join("\n")
                );
            }
            std::thread::sleep(POLL);
        }
    }
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc/PID/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// The prefixes of the agent's kernel routes (its protocol number), main table.
fn kernel_routes(ns: &Netns) -> BTreeSet<String> {
    let out = ns.exec(&["ip", "-4", "-o", "route", "show", "proto", PROTO]).unwrap_or_default();
    out.lines().filter_map(|l| l.split_whitespace().next()).map(str::to_owned).collect()
}

/// FRR's prefixes: `count` /24s from 30.0.0.0 on.
fn frr_prefixes(count: u32) -> Vec<String> {
    (0..count)
        .map(|i| {
            let n = (30u32 << 24) + (i << 8);
            format!("{}/24", Ipv4Addr::from(n))
        })
        .collect()
}

/// FRR (AS 65200) announcing `prefixes` to the agent, timers 1/3. Without
/// `fast-external-failover` FRR keeps the session when its interface goes down, so that a
/// link blip shorter than the hold time is one for the agent too.
fn frr_bgpd(prefixes: &[String]) -> String {
    let mut networks = String::with_capacity(prefixes.len() * 24);
    for p in prefixes {
        networks.push_str("  network ");
        networks.push_str(p);
        networks.push('\n');
    }
    format!(
        "hostname frr\n!\nrouter bgp 65200\n bgp router-id 10.8.0.2\n no bgp ebgp-requires-policy\n \
         no bgp network import-check\n no bgp fast-external-failover\n timers bgp 1 3\n neighbor 10.8.0.1 remote-as 65000\n \
         neighbor 10.8.0.1 timers connect 1\n neighbor 10.8.0.1 advertisement-interval 0\n \
         address-family ipv4 unicast\n{networks} exit-address-family\n"
    )
}

/// The agent: FRR as a configured neighbour, the client's subnet as a listen range
/// (`limit` neighbours), two prefixes of its own, the kernel table programmed.
fn dut_conf(dir: &Path, limit: u32, send_hold: u64) -> String {
    format!(
        "network = [\"10.200.0.0/24\", \"10.200.1.0/24\"]\n\n\
         [bgp]\nasn = 65000\nrouter-id = \"10.8.0.1\"\ntimers = [1, 3]\n\n\
         [peer-group.CLIENTS]\nremote-as = {CLIENT_AS}\nadvertisement-interval = 0\n\
         timers-send-hold = {send_hold}\n\n\
         [[neighbor]]\naddress = \"10.8.0.2\"\nremote-as = 65200\ntimers-connect = 1\n\
         advertisement-interval = 0\n\n\
         [[listen-range]]\nprefix = \"10.9.0.0/24\"\npeer-group = \"CLIENTS\"\nlimit = {limit}\n\n\
         [fib]\ninstall = true\n\n\
         [agent]\ncontrol-socket = \"{}\"\n",
        dir.join("control.sock").display()
    )
}

/// The three namespaces, linked, with `clients` addresses for the client from 10.9.0.10 on.
struct Topology {
    lab: Lab,
    dut: Netns,
    frr_ns: Netns,
    cli: Netns,
}

fn topology(prefix: &str, clients: u8) -> Topology {
    let lab = Lab::new(prefix).expect("lab");
    let dut = lab.node("dut").expect("dut");
    let frr_ns = lab.node("frr").expect("frr");
    let cli = lab.node("cli").expect("cli");
    lab.veth(&dut, "eth1", &frr_ns, "eth0").expect("veth");
    lab.veth(&dut, "eth2", &cli, "eth0").expect("veth");
    dut.add_addr("eth1", "10.8.0.1/24").expect("addr");
    frr_ns.add_addr("eth0", "10.8.0.2/24").expect("addr");
    dut.add_addr("eth2", &format!("{DUT_ADDR}/24")).expect("addr");
    for i in 0..clients {
        cli.add_addr("eth0", &format!("{}/24", client_addr(i))).expect("addr");
    }
    Topology { lab, dut, frr_ns, cli }
}

fn client_addr(i: u8) -> Ipv4Addr {
    Ipv4Addr::new(10, 9, 0, 10 + i)
}

fn start_frr(t: &Topology, prefixes: &[String]) -> Frr {
    let dir = t.lab.subdir("frr").expect("dir");
    Frr::start(
        &t.frr_ns,
        &dir,
        &[(FrrDaemon::Zebra, "hostname frr\n"), (FrrDaemon::Bgpd, &frr_bgpd(prefixes))],
    )
    .expect("frr")
}

/// FRR's view of its session with the agent: (state, connections established so far).
fn frr_session(frr: &Frr) -> (String, u64) {
    let v = frr.vtysh_json("show bgp neighbors 10.8.0.1 json").unwrap_or_default();
    let n = &v["10.8.0.1"];
    (
        n["bgpState"].as_str().unwrap_or("-").to_owned(),
        n["connectionsEstablished"].as_u64().unwrap_or(0),
    )
}

/// Runs `f` on a runtime of its own on a thread inside `ns`, so that the client's sockets
/// live there.
fn in_ns<T: Send>(ns: &Netns, f: impl std::future::Future<Output = T> + Send) -> T {
    std::thread::scope(|s| {
        s.spawn(|| {
            let _inside = ns.enter().expect("enter the client's namespace");
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime")
                .block_on(f)
        })
        .join()
        .expect("client thread")
    })
}

// ----- 1,000 session flaps ---------------------------------------------------------------

/// Concurrent flapping peers, each from an address of its own.
const FLAPPERS: u8 = 50;
/// Flaps per peer after the warm-up, in rounds: 50 × 4 × 5 = 1,000.
const ROUNDS: u32 = 4;
const FLAPS_EACH: u32 = 5;
/// Routes each flapping peer announces in each session.
const FLAP_ROUTES: u8 = 8;
/// How much the agent's resident memory may have grown after the flaps, KiB: allocator
/// slack (freed pages an allocator keeps), not memory per flap...
const FLAP_RSS_SLACK_KIB: u64 = 4 * 1024;
/// ...and from the second round's end to the last's (500 flaps, once the first rounds have
/// set the allocator's high-water mark): a leak of 2 KiB a flap would exceed it.
const FLAP_RSS_TREND_KIB: u64 = 1024;

#[test]
fn thousand_session_flaps_leak_nothing() {
    let bin = binary_release("k8s-bgp-speaker");
    let _s = serial();
    let t = topology("fflap", FLAPPERS);
    let frr_routes = frr_prefixes(20);
    let frr = start_frr(&t, &frr_routes);
    let dir = t.lab.subdir("dut").expect("dir");
    let mut dut = Dut::start(&bin, &t.dut, &dir, &dut_conf(&dir, 200, 0));
    let want: BTreeSet<String> = frr_routes.iter().cloned().collect();
    dut.wait("FRR's routes in the kernel", |d| {
        d.established("10.8.0.2") && kernel_routes(&t.dut) == want
    });

    // Warm-up: two flaps per peer (a reset and a NOTIFICATION), so that every structure a
    // session needs has had its peak size once; then the baseline.
    let warm = in_ns(&t.cli, client::flap_all(FLAPPERS, 0..2, FLAP_ROUTES));
    eprintln!("warm-up: {warm:?}");
    dut.wait("the warm-up's neighbours gone", |d| d.dynamic_neighbors() == 0);
    std::thread::sleep(client::CLOSE_SETTLE);
    let (rss0, fds0) = (dut.rss_kib(), dut.fds());
    let (frr_state0, frr_conns0) = frr_session(&frr);
    assert_eq!(frr_state0, "Established");

    let start = Instant::now();
    let mut stats = client::FlapStats::default();
    let mut rss = Vec::new();
    for round in 0..ROUNDS {
        let flaps = round * FLAPS_EACH..(round + 1) * FLAPS_EACH;
        stats.add(in_ns(&t.cli, client::flap_all(FLAPPERS, flaps, FLAP_ROUTES)));
        // Everything the flapping peers made is gone: neighbours, descriptors (exactly).
        dut.wait("the flapping neighbours gone", |d| d.dynamic_neighbors() == 0);
        dut.wait("the descriptors back to the baseline", |d| d.fds() <= fds0);
        std::thread::sleep(client::CLOSE_SETTLE);
        let (r, f) = (dut.rss_kib(), dut.fds());
        eprintln!("after {} flaps: VmRSS {r} KiB, {f} fds", stats.flaps());
        assert_eq!(f, fds0, "descriptors before and after the flaps");
        rss.push(r);
    }
    let took = start.elapsed();
    eprintln!("flaps: {stats:?} in {took:?} (with {ROUNDS} pauses of {:?})", client::CLOSE_SETTLE);
    assert_eq!(stats.flaps(), u64::from(FLAPPERS) * u64::from(ROUNDS * FLAPS_EACH), "{stats:?}");
    assert!(stats.hold_expiries >= u64::from(FLAPPERS), "{stats:?}");
    assert_eq!(
        stats.hold_expiries_unconfirmed, 0,
        "the agent sent no Hold Timer Expired: {stats:?}"
    );
    eprintln!("listen range: {}", dut.summary()["listen_ranges"][0]);
    let (second, last) = (rss[1], rss[rss.len() - 1]);
    eprintln!("agent after warm-up: VmRSS {rss0} KiB, {fds0} fds; after the rounds: {rss:?} KiB");
    assert!(
        last <= rss0 + FLAP_RSS_SLACK_KIB,
        "VmRSS grew from {rss0} KiB to {last} KiB over 1,000 flaps"
    );
    assert!(
        last <= second + FLAP_RSS_TREND_KIB,
        "VmRSS grew from {second} KiB to {last} KiB over the last 500 flaps"
    );
    assert_eq!(kernel_routes(&t.dut), want, "the kernel holds FRR's routes and nothing else");

    // The FRR session never went down, and still carries routes both ways.
    let (frr_state1, frr_conns1) = frr_session(&frr);
    assert_eq!(
        (frr_state1.as_str(), frr_conns1),
        ("Established", frr_conns0),
        "FRR's session flapped"
    );
    let theirs = frr.vtysh_json("show ip route 10.200.1.0/24 json").expect("frr route");
    assert!(theirs.get("10.200.1.0/24").is_some(), "FRR lost the agent's route: {theirs}");
    let summary = dut.summary();
    let n = dut.neighbor("10.8.0.2").expect("FRR in the summary");
    assert_eq!(n["received"][0], frr_routes.len(), "{summary}");
    let ranges = &summary["listen_ranges"][0];
    assert!(
        ranges["accepted"].as_u64().unwrap_or(0) >= stats.flaps(),
        "the listen range counted fewer connections than flaps: {summary}"
    );
}

// ----- A peer that stops reading ---------------------------------------------------------

/// FRR's table in the stuck-peer and link-flap tests.
const TABLE: u32 = 100_000;
/// The agent's SendHoldTime toward the listen range's peers, seconds.
const SEND_HOLD: u64 = 10;
/// How much the agent's resident memory may grow while a peer is stuck with the table to
/// send, KiB: the second member's Adj-RIB-Out view and the writer queue of each peer
/// (1 MiB by default), with allocator slack.
const STUCK_RSS_SLACK_KIB: u64 = 24 * 1024;

#[test]
fn a_peer_that_stops_reading_is_dropped_by_the_send_hold_timer() {
    let bin = binary_release("k8s-bgp-speaker");
    let _s = serial();
    let t = topology("fstuck", 2);
    let table = frr_prefixes(TABLE);
    let frr = start_frr(&t, &table);
    let dir = t.lab.subdir("dut").expect("dir");
    let mut dut = Dut::start(&bin, &t.dut, &dir, &dut_conf(&dir, 10, SEND_HOLD));
    let loaded = Instant::now();
    dut.wait("FRR's table in the agent", |d| {
        d.neighbor("10.8.0.2").is_some_and(|n| n["received"][0] == TABLE)
    });
    // And in the kernel: the kernel thread programs it after the table is in, and its
    // memory belongs to the baseline, not to the stuck peer.
    dut.wait("FRR's table in the kernel", |_| kernel_route_count(&t.dut) == TABLE as usize);
    eprintln!("agent has FRR's {TABLE} routes after {:?}", loaded.elapsed());
    let rss_before = dut.rss_kib();

    let pid = dut.pid;
    let frr_ref = &frr;
    let (bin_ref, sock) = (&dut.bin, dut.dir.join("control.sock"));
    // The agent's view of a peer: Established?
    let established = move |addr: Ipv4Addr| {
        let out = std::process::Command::new(bin_ref)
            .arg("show")
            .arg("--socket")
            .arg(&sock)
            .args(["bgp", "summary", "--json"])
            .output()
            .expect("show");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        v["neighbors"].as_array().is_some_and(|ns| {
            ns.iter().any(|n| {
                n["neighbor"].as_str() == Some(addr.to_string().as_str())
                    && n["state"] == "Established"
            })
        })
    };
    let report = in_ns(&t.cli, async move {
        // The stuck peer: a receive buffer of a few KiB, never read after Established; it
        // goes on sending KEEPALIVEs, so that only the SendHoldTimer can find it, and asks
        // for the whole table again every second (ROUTE-REFRESH), which must not pile up.
        let stuck =
            Peer::establish(client_addr(0), DUT_ADDR, Some(4096)).await.expect("stuck peer");
        let stuck_up = Instant::now();
        let stuck_task = tokio::spawn(stuck.demand_without_reading());
        // The healthy peer, in the same update group.
        let mut healthy =
            Peer::establish(client_addr(1), DUT_ADDR, None).await.expect("healthy peer");
        let mut rss_peak = rss_kib(pid);
        let mut got = BTreeSet::new();
        let mut keepalives = 0u32;
        let mut announced_at = None;
        let mut new_route_after = None;
        let mut stuck_for = None;
        let new_route: ipnet::Ipv4Net = "10.250.0.0/24".parse().expect("prefix");
        let mut sample = tokio::time::interval(Duration::from_millis(200));
        let mut keepalive = tokio::time::interval(Duration::from_secs(1));
        while stuck_for.is_none() {
            tokio::select! {
                m = healthy.recv_counting(&mut got) => match m.expect("healthy peer") {
                    client::Received::Keepalive => keepalives += 1,
                    client::Received::Routes => {
                        if got.contains(&new_route) && new_route_after.is_none() {
                            new_route_after = announced_at.map(|a: Instant| a.elapsed());
                        }
                    }
                    client::Received::Closed(why) => panic!("the healthy peer's session ended: {why}"),
                },
                _ = keepalive.tick() => healthy.keepalive().await.expect("healthy peer's KEEPALIVE"),
                _ = sample.tick() => {
                    rss_peak = rss_peak.max(rss_kib(pid));
                    // The table reached the healthy peer: FRR announces one more route.
                    if announced_at.is_none() && got.len() >= TABLE as usize {
                        frr_ref
                            .configure(&["router bgp 65200", "address-family ipv4 unicast", "network 10.250.0.0/24"])
                            .expect("frr network");
                        announced_at = Some(Instant::now());
                    }
                    if !established(client_addr(0)) {
                        stuck_for = Some(stuck_up.elapsed());
                    }
                    assert!(stuck_up.elapsed() < Duration::from_secs(SEND_HOLD + 30), "the stuck peer is still up");
                }
            }
        }
        // The healthy peer is still up (asked before it stops being served here).
        let healthy_up = established(client_addr(1));
        // The stuck peer's socket: the agent closed it (a write fails).
        let stuck_end = tokio::time::timeout(Duration::from_secs(10), stuck_task)
            .await
            .map(|r| r.expect("stuck task"))
            .unwrap_or_else(|_| "still open 10 s after the agent dropped the session".into());
        StuckReport {
            healthy_up,
            stuck_for: stuck_for.unwrap_or_default(),
            stuck_end,
            got: got.len(),
            keepalives,
            new_route_after,
            rss_peak,
        }
    });
    let rss_after = dut.rss_kib();
    eprintln!("{report:?}; agent VmRSS {rss_before} KiB before the peers, peak {} KiB, {rss_after} KiB after", report.rss_peak);
    let log = dut.log();
    assert!(report.healthy_up, "the healthy peer's session went down");
    assert!(report.got > TABLE as usize, "the healthy peer got {} routes", report.got);
    assert!(
        report.new_route_after.is_some_and(|d| d < Duration::from_secs(3)),
        "the route FRR added reached the healthy peer after {:?}",
        report.new_route_after
    );
    assert!(
        report.keepalives >= SEND_HOLD as u32 - 2,
        "the healthy peer got {} KEEPALIVEs in {:?}",
        report.keepalives,
        report.stuck_for
    );
    // RFC 9687: dropped after the SendHoldTime (measured from Established, so a little more
    // than the timer: the buffers fill first) and not before.
    assert!(
        report.stuck_for >= Duration::from_secs(SEND_HOLD)
            && report.stuck_for <= Duration::from_secs(SEND_HOLD + 5),
        "the stuck peer was dropped after {:?} (SendHoldTime {SEND_HOLD} s)",
        report.stuck_for
    );
    assert!(
        log.contains("SendHoldTimerExpired"),
        "no send hold expiry in the agent's log:\n{}",
        log.lines().filter(|l| l.contains("session down")).collect::<Vec<_>>().join("\n")
    );
    assert!(
        report.rss_peak <= rss_before + STUCK_RSS_SLACK_KIB,
        "VmRSS went from {rss_before} KiB to {} KiB while a peer was stuck",
        report.rss_peak
    );
    assert!(report.stuck_end.starts_with("write"), "the stuck peer's socket: {}", report.stuck_end);
}

#[derive(Debug)]
struct StuckReport {
    healthy_up: bool,
    stuck_for: Duration,
    stuck_end: String,
    got: usize,
    keepalives: u32,
    new_route_after: Option<Duration>,
    rss_peak: u64,
}

// ----- Link flaps under a full table -----------------------------------------------------

/// The feeder's AS and address (the agent's configured neighbour on `eth1`).
const FEEDER_AS: u32 = 65200;
const FEEDER_ADDR: Ipv4Addr = Ipv4Addr::new(10, 8, 0, 2);

/// A neighbour carrying the whole IPv4 table of `shared/data` (1,042,325 prefixes with
/// `bgp-load`'s generated attributes), on a thread of its own inside its namespace. Like a
/// router whose session was reset, it connects again whenever its session ends and sends
/// the table again. It counts its sessions and watches for the agent's own prefix.
struct Feeder {
    stop: tokio::sync::watch::Sender<bool>,
    state: Arc<FeederState>,
    thread: Option<std::thread::JoinHandle<()>>,
}

#[derive(Default)]
struct FeederState {
    /// Sessions that reached Established.
    sessions: AtomicU64,
    /// The agent announced 10.200.0.0/24 on the current session.
    agent_route: AtomicBool,
    /// Why each session (or attempt) ended.
    ended: Mutex<Vec<String>>,
}

impl Feeder {
    fn start(ns: &Netns, table: &Table) -> Feeder {
        let id = PeerIdentity {
            asn: FEEDER_AS,
            router_id: FEEDER_ADDR,
            next_hop: IpAddr::V4(FEEDER_ADDR),
        };
        let chunks = feed::table_stream(table, &id).chunks(256 * 1024);
        let cfg = SessionConfig {
            local: IpAddr::V4(FEEDER_ADDR),
            remote: SocketAddr::from((Ipv4Addr::new(10, 8, 0, 1), 179)),
            asn: FEEDER_AS,
            router_id: FEEDER_ADDR,
            family: bgp_wire::Family::IPV4_UNICAST,
        };
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        let state = Arc::new(FeederState::default());
        let st = state.clone();
        let ns = ns.clone();
        let thread = std::thread::spawn(move || {
            let _inside = ns.enter().expect("enter the feeder's namespace");
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime")
                .block_on(feed_forever(cfg, chunks, st, stop_rx));
        });
        Feeder { stop, state, thread: Some(thread) }
    }

    fn sessions(&self) -> u64 {
        self.state.sessions.load(Ordering::SeqCst)
    }

    fn ended(&self) -> Vec<String> {
        self.state.ended.lock().map(|e| e.clone()).unwrap_or_default()
    }
}

impl Drop for Feeder {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Connects, sends the table, waits for the session to end; again, until told to stop.
async fn feed_forever(
    cfg: SessionConfig,
    chunks: Vec<bytes::Bytes>,
    st: Arc<FeederState>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    while !*stop.borrow() {
        let why = tokio::select! {
            why = one_session(&cfg, &chunks, &st) => why,
            _ = stop.changed() => return,
        };
        if let Ok(mut e) = st.ended.lock() {
            e.push(why);
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stop.changed() => return,
        }
    }
}

/// One session of the feeder: why it ended.
async fn one_session(
    cfg: &SessionConfig,
    chunks: &[bytes::Bytes],
    st: &Arc<FeederState>,
) -> String {
    let socket = match session::socket(cfg) {
        Ok(s) => s,
        Err(e) => return e.to_string(),
    };
    st.agent_route.store(false, Ordering::SeqCst);
    let seen = st.clone();
    let agent_prefix =
        ipnet::IpNet::V4(ipnet::Ipv4Net::new(Ipv4Addr::new(10, 200, 0, 0), 24).expect("prefix"));
    let on_update = move |u: bgp_wire::update::Update| {
        if u.announced().any(|(_, n)| n.prefix == agent_prefix) {
            seen.agent_route.store(true, Ordering::SeqCst);
        }
    };
    let establish = session::establish(socket, cfg, on_update);
    let mut s = match tokio::time::timeout(Duration::from_secs(10), establish).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return e.to_string(),
        Err(_) => return "no session within 10 s".into(),
    };
    st.sessions.fetch_add(1, Ordering::SeqCst);
    for c in chunks {
        if let Err(e) = s.send(c.clone()).await {
            return format!("while sending the table: {e}");
        }
    }
    loop {
        if let Some(e) = s.down() {
            return e.to_string();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How many of the agent's routes the kernel holds (counted by `wc`, not copied here).
fn kernel_route_count(ns: &Netns) -> usize {
    let cmd = format!("ip -4 -o route show proto {PROTO} | wc -l");
    ns.exec(&["sh", "-c", &cmd]).ok().and_then(|n| n.trim().parse().ok()).unwrap_or(usize::MAX)
}

/// The agent's kernel routes as prefixes (`ip` prints a /32 without its length).
fn kernel_prefixes(ns: &Netns) -> BTreeSet<ipnet::Ipv4Net> {
    let out = ns.exec(&["ip", "-4", "-o", "route", "show", "proto", PROTO]).unwrap_or_default();
    out.lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter_map(|p| {
            if p.contains('/') {
                p.parse().ok()
            } else {
                p.parse::<Ipv4Addr>().ok().map(ipnet::Ipv4Net::from)
            }
        })
        .collect()
}

/// How much larger than after the first load the table may be once it was withdrawn and
/// learnt again, percent: the destinations' leaves are filled in a different order the
/// second time (7.8% measured with the full table).
const RELOAD_TABLE_GROWTH_PERCENT: u64 = 10;
/// How large the agent's resident memory may be after a withdrawal and a reload of the
/// whole table, percent of its size with the table: what a reload leaves is mostly heap
/// the allocator keeps after the transient work (a million withdrawals, then a million
/// adds), which varies with timing. Two runs measured 108 to 125% with the agent giving
/// free pages back once the kernel thread is idle; 154 to 174% (three runs) before it may
/// have done so; 220 to 250% while the kernel FIB kept its queues. A table's worth kept per
/// flap would pass 200% by the second flap.
const RELOAD_RSS_LIMIT_PERCENT: u64 = 200;

#[test]
fn link_flaps_under_a_full_table() {
    let bin = binary_release("k8s-bgp-speaker");
    let _s = serial();
    let data = bgp_load::prefixes::data_dir().join(bgp_load::prefixes::IPV4_FILE);
    let prefixes = bgp_load::prefixes::load(&data, None)
        .unwrap_or_else(|e| panic!("the full table {}: {e}", data.display()));
    let want: BTreeSet<ipnet::Ipv4Net> = prefixes
        .iter()
        .filter_map(|p| match p {
            ipnet::IpNet::V4(v4) => Some(*v4),
            ipnet::IpNet::V6(_) => None,
        })
        .collect();
    assert!(want.len() > 1_000_000, "{} IPv4 prefixes in {}", want.len(), data.display());
    let table = Table::generate(TableFamily::Ipv4, &prefixes, feed::TABLE_SEED);

    let t = topology("flink", 0);
    let dir = t.lab.subdir("dut").expect("dir");
    let mut dut = Dut::start(&bin, &t.dut, &dir, &dut_conf(&dir, 10, 0));
    let feeder = Feeder::start(&t.frr_ns, &table);
    let n = want.len();
    let start = Instant::now();
    dut.wait("the full table in the kernel", |d| {
        d.established("10.8.0.2") && kernel_route_count(&t.dut) == n
    });
    eprintln!("{n} routes in the kernel after {:?}", start.elapsed());
    assert_eq!(kernel_prefixes(&t.dut), want);
    std::thread::sleep(Duration::from_secs(1));
    let (rss0, fds0) = (dut.rss_kib(), dut.fds());
    let table_bytes = |d: &Dut| d.summary()["table_bytes"].as_u64().expect("table_bytes");
    let bytes0 = table_bytes(&dut);
    let sessions0 = feeder.sessions();
    assert_eq!(sessions0, 1, "the feeder's session went down while loading: {:?}", feeder.ended());

    // A flap shorter than the hold time: the session survives, but the kernel dropped every
    // route through the link when it went down; they must come back.
    t.dut.ip(&["link", "set", "eth1", "down"]).expect("down");
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        kernel_route_count(&t.dut),
        0,
        "the kernel keeps routes through a link that is down"
    );
    t.dut.ip(&["link", "set", "eth1", "up"]).expect("up");
    let up = Instant::now();
    dut.wait("the table back in the kernel after a 1 s flap", |d| {
        d.established("10.8.0.2") && kernel_route_count(&t.dut) == n
    });
    eprintln!("short flap: table back in the kernel after {:?}", up.elapsed());
    assert_eq!(kernel_prefixes(&t.dut), want);
    assert_eq!(
        feeder.sessions(),
        sessions0,
        "the session went down in a flap shorter than the hold time: {:?}",
        feeder.ended()
    );

    // Flaps longer than the hold time: the session goes down, the routes are withdrawn;
    // then the feeder connects again and sends the whole table.
    let mut after = Vec::new();
    for round in 1..=2u64 {
        t.dut.ip(&["link", "set", "eth1", "down"]).expect("down");
        dut.wait("the session down after the hold time", |d| !d.established("10.8.0.2"));
        dut.wait("no route of the feeder left in the agent", |d| {
            d.neighbor("10.8.0.2").is_some_and(|n| n["received"][0] == 0)
        });
        assert_eq!(kernel_route_count(&t.dut), 0);
        t.dut.ip(&["link", "set", "eth1", "up"]).expect("up");
        let up = Instant::now();
        dut.wait("the table back in the kernel after a long flap", |d| {
            d.established("10.8.0.2") && kernel_route_count(&t.dut) == n
        });
        eprintln!("long flap {round}: table back in the kernel after {:?}", up.elapsed());
        assert_eq!(kernel_prefixes(&t.dut), want);
        assert_eq!(feeder.sessions(), sessions0 + round, "{:?}", feeder.ended());
        dut.wait("the descriptors back to the baseline", |d| d.fds() <= fds0);
        std::thread::sleep(Duration::from_secs(1));
        after.push((dut.rss_kib(), dut.fds(), table_bytes(&dut)));
    }
    let nbr = dut.neighbor("10.8.0.2").expect("the feeder in the summary");
    assert_eq!(nbr["received"][0], n, "{nbr}");
    eprintln!(
        "agent with the table: VmRSS {rss0} KiB, {fds0} fds, table {bytes0} bytes; after each \
         long flap (VmRSS KiB, fds, table bytes): {after:?}; the feeder's sessions ended: {:?}",
        feeder.ended()
    );
    for &(_, fds, bytes) in &after {
        assert_eq!(fds, fds0, "descriptors");
        assert!(
            bytes <= bytes0 + bytes0 * RELOAD_TABLE_GROWTH_PERCENT / 100,
            "the table grew from {bytes0} to {bytes} bytes"
        );
    }
    // Nothing accumulates from one reload to the next.
    let ((_, _, bytes1), (_, _, bytes2)) = (after[0], after[1]);
    assert!(bytes2 <= bytes1 + bytes1 / 100, "the table grew from {bytes1} to {bytes2} bytes");
    for &(rss, _, _) in &after {
        assert!(
            rss * 100 <= rss0 * RELOAD_RSS_LIMIT_PERCENT,
            "VmRSS {rss} KiB after a reload, {rss0} KiB with the table before"
        );
    }
    // The kernel's refusals (routes through the link that went down) are summed up, not
    // logged one by one.
    let log = dut.log();
    let refusals: Vec<&str> = log.lines().filter(|l| l.contains("the kernel refused")).collect();
    eprintln!("the agent's lines about refused routes:\n{}", refusals.join("\n"));
    assert!(refusals.len() <= 30, "{} log lines about refused routes", refusals.len());
    // The agent's own routes reached the feeder on its last session.
    dut.wait("the agent's prefix at the feeder", |_| {
        feeder.state.agent_route.load(Ordering::SeqCst)
    });
}

// ----- Graceful restart: forwarding across a killed agent ---------------------------------

/// Pings every 200 ms for the whole restart: none may be lost.
#[test]
fn graceful_restart_keeps_forwarding_across_a_killed_agent() {
    let bin = binary_release("k8s-bgp-speaker");
    let _s = serial();
    let t = topology("fgrace", 0);
    let hostd = t.lab.node("hostd").expect("host");
    let hostf = t.lab.node("hostf").expect("host");
    t.lab.veth(&t.dut, "eth3", &hostd, "eth0").expect("veth");
    t.lab.veth(&t.frr_ns, "eth1", &hostf, "eth0").expect("veth");
    t.dut.add_addr("eth3", "10.61.0.1/24").expect("addr");
    hostd.add_addr("eth0", "10.61.0.10/24").expect("addr");
    hostd.ip(&["route", "add", "default", "via", "10.61.0.1"]).expect("route");
    t.frr_ns.add_addr("eth1", "10.60.0.1/24").expect("addr");
    hostf.add_addr("eth0", "10.60.0.10/24").expect("addr");
    hostf.ip(&["route", "add", "default", "via", "10.60.0.1"]).expect("route");
    let frr = start_frr(&t, &["10.60.0.0/24".to_owned()]);
    let dir = t.lab.subdir("dut").expect("dir");
    let conf = dut_conf(&dir, 10, 0)
        .replace("network = [\"10.200.0.0/24\", \"10.200.1.0/24\"]", "network = [\"10.61.0.0/24\"]")
        .replace(
            "timers = [1, 3]\n",
            "timers = [1, 3]\ngraceful-restart = true\nrestart-time = 30\n",
        );
    let mut dut = Dut::start(&bin, &t.dut, &dir, &conf);
    dut.wait("FRR's route in the kernel", |d| {
        d.established("10.8.0.2") && kernel_routes(&t.dut).contains("10.60.0.0/24")
    });
    let reaches = || hostd.exec(&["ping", "-c", "1", "-W", "1", "10.60.0.10"]).is_ok();
    dut.wait("a ping across", |_| reaches());
    let (_, conns0) = frr_session(&frr);

    // 15 s of pings, 5 a second; the agent is killed at 2 s and started again at 5 s.
    let pinger = {
        let hostd = hostd.clone();
        std::thread::spawn(move || {
            hostd
                .command("ping")
                .args(["-i", "0.2", "-c", "75", "-W", "1", "10.60.0.10"])
                .output()
                .expect("ping")
        })
    };
    std::thread::sleep(Duration::from_secs(2));
    dut.child.stop_with(libc::SIGKILL, Duration::from_secs(1));
    std::thread::sleep(Duration::from_secs(1));
    let helper = frr.vtysh_json("show ip route 10.61.0.0/24 json").unwrap_or_default();
    assert!(
        helper.get("10.61.0.0/24").is_some(),
        "FRR dropped the agent's route at once: {helper}"
    );
    std::thread::sleep(Duration::from_secs(2));
    let mut dut = Dut::start(&bin, &t.dut, &dir, &conf);
    let out = pinger.join().expect("ping thread");
    let text = String::from_utf8_lossy(&out.stdout);
    let summary =
        text.lines().find(|l| l.contains("packets transmitted")).unwrap_or_default().to_owned();
    eprintln!("across the restart: {summary}");
    assert!(summary.starts_with("75 packets transmitted, 75 received"), "{text}");
    // The restart happened (FRR saw a second session) and converged.
    dut.wait("the session back", |d| d.established("10.8.0.2"));
    let (state, conns1) = frr_session(&frr);
    assert_eq!((state.as_str(), conns1), ("Established", conns0 + 1));
    dut.wait("FRR's route still in the kernel", |_| kernel_routes(&t.dut).contains("10.60.0.0/24"));
}
