//! The hostile-peer catalogue (`crates/hostile-peer`) against a BGP speaker in network
//! namespaces (needs root; FRR for the comparison). Three neighbours of the device under
//! test live in one namespace: the attacker (a fresh session per case), the observer (only
//! receives) and a healthy neighbour carrying the full IPv4 table, which must stay
//! Established with its routes unchanged through every case.
//!
//! - `bgp_peer_answers_every_case_as_the_rfcs_say`: our speaker (the `bgp-peer` binary,
//!   release build); fails with the table if any case's outcome is not the RFC's.
//! - `frr_bgpd_answers`: the same run against FRR's bgpd, an independent reading of the
//!   same RFCs; its outcomes are printed (crates/hostile-peer/README.md records them) and
//!   only the healthy neighbour's and the observer's fate is asserted.

use hostile_peer::bgp::{cases, runner, session::Peer, table};
use hostile_peer::report;
use integration_tests::serial;
use ipnet::IpNet;
use netlab::{Frr, FrrDaemon, Lab, Netns};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

const DUT_AS: u32 = 65001;
const ATTACKER_AS: u32 = 65010;
const OBSERVER_AS: u32 = 65020;
const HEALTHY_AS: u32 = 65030;

/// The full IPv4 table: `HOSTILE_TABLE` or the shared data folder beside the workspace.
fn full_table() -> Vec<IpNet> {
    let path = match std::env::var_os("HOSTILE_TABLE") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/data/ris-rrc00-as3333-20260511-ipv4.txt.gz"),
    };
    assert!(path.exists(), "the full table is missing: {} (set HOSTILE_TABLE)", path.display());
    let (t, _) = table::load(&path, None).expect("table");
    assert!(t.len() > 1_000_000, "{}: only {} prefixes", path.display(), t.len());
    t
}

/// `dut` (10.0.0.1) and `peers` (10.0.0.2 attacker, .3 observer, .4 healthy, .5 internal
/// attacker) on one link.
fn lab(prefix: &str) -> (Lab, Netns, Netns) {
    let lab = Lab::new(prefix).expect("lab");
    let dut = lab.node("dut").expect("node");
    let peers = lab.node("peers").expect("node");
    lab.veth(&dut, "eth0", &peers, "eth0").expect("veth");
    dut.add_addr("eth0", "10.0.0.1/24").expect("addr");
    for a in ["10.0.0.2/24", "10.0.0.3/24", "10.0.0.4/24", "10.0.0.5/24"] {
        peers.add_addr("eth0", a).expect("addr");
    }
    (lab, dut, peers)
}

fn setup(table: Vec<IpNet>) -> runner::Setup {
    let peer = |last: u8, asn| {
        let a = Ipv4Addr::new(10, 0, 0, last);
        Peer { source: IpAddr::V4(a), asn, bgp_id: a, hold_time: 90 }
    };
    runner::Setup {
        dut: SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 179),
        dut_as: DUT_AS,
        dut_id: Ipv4Addr::new(10, 0, 0, 1),
        attacker: peer(2, ATTACKER_AS),
        internal_attacker: Some(peer(5, DUT_AS)),
        observer: peer(3, OBSERVER_AS),
        healthy: peer(4, HEALTHY_AS),
        table,
        case_timeout: Duration::from_secs(5),
        load_timeout: Duration::from_secs(120),
    }
}

/// Runs the whole catalogue from inside `peers`.
fn run_catalogue(peers: &Netns, table: Vec<IpNet>) -> Result<Vec<runner::CaseResult>, String> {
    let guard = peers.enter().expect("enter namespace");
    // Worker threads started under the guard live in the namespace.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let t0 = std::time::Instant::now();
    let out = rt.block_on(runner::run(setup(table), &cases::catalogue(), |r| {
        eprintln!("{:>6.1}s {}", t0.elapsed().as_secs_f64(), report::line(r))
    }));
    drop(rt);
    drop(guard);
    out
}

const BGP_PEER_CONFIG: &str = r#"
local-as = 65001
router-id = "10.0.0.1"
listen-port = 179
listen = true
graceful-restart = false
policy = """
route-map NONE deny 10
"""

[[neighbor]]
address = "10.0.0.2"
remote-as = 65010
families = ["ipv4-unicast", "ipv6-unicast"]
hold-time = 90
passive = true
damp-peer-oscillations = false
export = "NONE"

[[neighbor]]
address = "10.0.0.3"
remote-as = 65020
families = ["ipv4-unicast", "ipv6-unicast"]
hold-time = 90
passive = true

[[neighbor]]
address = "10.0.0.4"
remote-as = 65030
families = ["ipv4-unicast", "ipv6-unicast"]
hold-time = 90
passive = true
export = "NONE"

[[neighbor]]
address = "10.0.0.5"
remote-as = "internal"
families = ["ipv4-unicast"]
hold-time = 90
passive = true
damp-peer-oscillations = false
export = "NONE"
"#;

#[test]
fn bgp_peer_answers_every_case_as_the_rfcs_say() {
    let bin = integration_tests::binary_release("bgp-peer");
    let table = full_table();
    let _s = serial();
    let (lab, dut, peers) = lab("hostb");
    let dir = lab.subdir("bgp-peer").expect("dir");
    let conf = dir.join("bgp-peer.toml");
    std::fs::write(&conf, BGP_PEER_CONFIG).expect("config");
    let log = dir.join("bgp-peer.log");
    // The route lines (a million of them) are not needed: stdout is dropped; the log says
    // why sessions went down.
    let mut cmd = dut.command("sh");
    let line = format!("exec {} {} >/dev/null 2>{}", bin.display(), conf.display(), log.display());
    cmd.args(["-c", &line]);
    let _child = netlab::ChildGuard::spawn(cmd, None).expect("bgp-peer");
    let results = run_catalogue(&peers, table).unwrap_or_else(|e| {
        panic!("{e}\nbgp-peer log:\n{}", std::fs::read_to_string(&log).unwrap_or_default())
    });
    let md = report::markdown(&results);
    println!("{md}");
    let failed: Vec<&str> = results.iter().filter(|r| !r.pass).map(|r| r.name).collect();
    assert!(failed.is_empty(), "cases failed: {failed:?}\n{md}");
}

const FRR_CONFIG: &str = "
router bgp 65001
 bgp router-id 10.0.0.1
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 neighbor 10.0.0.2 remote-as 65010
 neighbor 10.0.0.2 passive
 neighbor 10.0.0.2 timers connect 1
 neighbor 10.0.0.3 remote-as 65020
 neighbor 10.0.0.3 passive
 neighbor 10.0.0.4 remote-as 65030
 neighbor 10.0.0.4 passive
 neighbor 10.0.0.5 remote-as 65001
 neighbor 10.0.0.5 passive
 address-family ipv4 unicast
  neighbor 10.0.0.2 activate
  neighbor 10.0.0.2 route-map NONE out
  neighbor 10.0.0.3 activate
  neighbor 10.0.0.4 activate
  neighbor 10.0.0.4 route-map NONE out
  neighbor 10.0.0.5 activate
  neighbor 10.0.0.5 route-map NONE out
 exit-address-family
route-map NONE deny 10
";

#[test]
fn frr_bgpd_answers() {
    let table = full_table();
    let _s = serial();
    let (lab, dut, peers) = lab("hostf");
    let frr = Frr::start(&dut, &lab.subdir("frr").expect("dir"), &[(FrrDaemon::Bgpd, FRR_CONFIG)])
        .expect("frr");
    let results =
        run_catalogue(&peers, table).unwrap_or_else(|e| panic!("{e}\nFRR logs:\n{}", frr.logs()));
    let md = report::markdown(&results);
    println!("{md}");
    let broken: Vec<String> = results
        .iter()
        .filter(|r| !r.health.is_empty())
        .map(|r| format!("{}: {}", r.name, r.health.join("; ")))
        .collect();
    assert!(
        broken.is_empty(),
        "FRR disturbed the healthy neighbour or the observer: {broken:?}\n{md}"
    );
    let errors: Vec<String> = results
        .iter()
        .filter(|r| matches!(r.observed, runner::Observed::Error(_)))
        .map(|r| format!("{}: {}", r.name, r.observed))
        .collect();
    assert!(errors.is_empty(), "cases that could not run: {errors:?}\n{md}");
}
