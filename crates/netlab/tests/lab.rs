//! Tests of netlab itself against the real system: namespaces, links,
//! daemons and captures, each checking that nothing is left behind. They
//! need root and the packages listed in the crate docs.

use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

use netlab::{tshark_json, wait_until, Bird, Capture, Exabgp, Frr, FrrDaemon, Gobgp, Lab, Netns};

const WAIT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(100);

fn namespaces() -> String {
    let out = Command::new("ip").args(["netns", "list"]).output().expect("ip netns list runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn assert_gone(names: &[String]) {
    let list = namespaces();
    for name in names {
        assert!(
            !list.lines().any(|l| l.split_whitespace().next() == Some(name)),
            "{name} left in:\n{list}"
        );
    }
}

/// Forked daemons are re-parented to init, which may reap them late: a
/// zombie has exited.
fn gone_or_zombie(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
        }
        Err(_) => true,
    }
}

fn names(lab: &Lab) -> Vec<String> {
    lab.nodes().iter().map(|n| n.name().to_owned()).collect()
}

fn pair(lab: &Lab) -> (Netns, Netns) {
    let r1 = lab.node("r1").expect("r1");
    let r2 = lab.node("r2").expect("r2");
    lab.veth(&r1, "eth0", &r2, "eth0").expect("veth");
    (r1, r2)
}

#[test]
fn ping_across_veth_v4_v6_and_link_local_then_cleaned() {
    let lab = Lab::new("nlping").expect("lab");
    let (r1, r2) = pair(&lab);
    r1.add_addr("eth0", "10.0.0.1/30").expect("addr");
    r2.add_addr("eth0", "10.0.0.2/30").expect("addr");
    r1.add_addr("eth0", "fd00::1/64").expect("addr");
    r2.add_addr("eth0", "fd00::2/64").expect("addr");
    r1.set_mtu("eth0", 1400).expect("mtu");
    r1.exec(&["ping", "-c1", "-W2", "10.0.0.2"]).expect("IPv4 ping");
    r1.exec(&["ping", "-c1", "-W2", "fd00::2"]).expect("IPv6 ping");
    let ll = r2.link_local("eth0").expect("link-local");
    r1.exec(&["ping", "-c1", "-W2", &format!("{ll}%eth0")]).expect("link-local ping");
    assert_eq!(r1.exec(&["sysctl", "-n", "net.ipv4.ip_forward"]).expect("sysctl").trim(), "1");
    let link = r1.ip(&["-o", "link", "show", "eth0"]).expect("link");
    assert!(link.contains("mtu 1400"), "{link}");
    let all = names(&lab);
    let dir = lab.dir().to_owned();
    drop(lab);
    assert_gone(&all);
    assert!(!dir.exists());
}

#[test]
fn fixed_macs_give_predictable_link_locals() {
    let lab = Lab::new("nlmac").expect("lab");
    let r1 = lab.node("r1").expect("r1");
    let r2 = lab.node("r2").expect("r2");
    lab.veth_with_macs(&r1, "eth0", &r2, "eth0", Some(("02:00:00:00:00:01", "02:00:00:00:00:02")))
        .expect("veth");
    assert_eq!(r1.link_local("eth0").expect("ll").to_string(), "fe80::ff:fe00:1");
    assert_eq!(r2.link_local("eth0").expect("ll").to_string(), "fe80::ff:fe00:2");
}

#[test]
fn segment_of_three_is_one_broadcast_domain() {
    let lab = Lab::new("nlseg").expect("lab");
    let r: Vec<Netns> = ["r1", "r2", "r3"].iter().map(|n| lab.node(n).expect("node")).collect();
    lab.segment("sw", &[(&r[0], "eth0"), (&r[1], "eth0"), (&r[2], "eth0")]).expect("segment");
    for (i, ns) in r.iter().enumerate() {
        ns.add_addr("eth0", &format!("10.1.0.{}/24", i + 1)).expect("addr");
    }
    r[0].exec(&["ping", "-c1", "-W2", "10.1.0.2"]).expect("r1 to r2");
    r[0].exec(&["ping", "-c1", "-W2", "10.1.0.3"]).expect("r1 to r3");
    r[2].exec(&["ping", "-c1", "-W2", "10.1.0.2"]).expect("r3 to r2");
    assert_eq!(lab.nodes().len(), 4);
}

#[test]
fn enter_puts_the_threads_sockets_in_the_namespace() {
    let lab = Lab::new("nlenter").expect("lab");
    let (r1, _r2) = pair(&lab);
    r1.add_addr("eth0", "10.0.0.1/30").expect("addr");
    {
        let _in_ns = r1.enter().expect("enter");
        let listener = TcpListener::bind("10.0.0.1:0").expect("bind to the lab address");
        // A thread spawned here starts in the namespace too.
        let port = listener.local_addr().expect("addr").port();
        let connected =
            std::thread::spawn(move || std::net::TcpStream::connect(("10.0.0.1", port)).is_ok())
                .join()
                .expect("thread");
        assert!(connected);
    }
    // Back in the original namespace, which does not hold 10.0.0.1.
    assert!(TcpListener::bind("10.0.0.1:0").is_err());
}

#[test]
fn stale_namespaces_of_dead_processes_are_removed() {
    // pid_max is at most 4194304, so this pid cannot exist.
    let stale = "nlstale9999999-0-r1".to_owned();
    let made = Command::new("ip").args(["netns", "add", &stale]).status().expect("ip runs");
    assert!(made.success());
    let lab = Lab::new("nlstale").expect("lab");
    assert_gone(&[stale]);
    drop(lab);
}

#[test]
fn panic_inside_a_test_still_cleans_up() {
    let result = std::panic::catch_unwind(|| {
        let lab = Lab::new("nlpanic").expect("lab");
        let (r1, _r2) = pair(&lab);
        let _sleeper = r1.spawn(&["sleep", "60"]).expect("spawn");
        std::panic::panic_any((names(&lab), lab.dir().to_owned()));
    });
    let payload = result.expect_err("the closure panics");
    let (names, dir) = *payload.downcast::<(Vec<String>, std::path::PathBuf)>().expect("payload");
    assert_eq!(names.len(), 2);
    assert_gone(&names);
    // The state folder is kept for inspection after a failure.
    assert!(dir.exists());
    std::fs::remove_dir_all(&dir).expect("remove kept folder");
}

#[test]
fn capture_sees_ping_and_tshark_decodes_it() {
    let lab = Lab::new("nlcap").expect("lab");
    let (r1, r2) = pair(&lab);
    r1.add_addr("eth0", "10.0.0.1/30").expect("addr");
    r2.add_addr("eth0", "10.0.0.2/30").expect("addr");
    let file = lab.dir().join("ping.pcap");
    let mut capture = Capture::start(&r1, "eth0", "icmp", &file).expect("tcpdump");
    r1.exec(&["ping", "-c3", "-i0.2", "-W2", "10.0.0.2"]).expect("ping");
    let summary = capture.stop();
    assert!(summary.contains("6 packets captured"), "{summary}");
    let packets = tshark_json(&file, Some("icmp.type == 0")).expect("tshark");
    assert_eq!(packets.as_array().map(Vec::len), Some(3));
}

fn frr_bgp_conf(asn: u32, id: &str, neighbor: &str, remote: u32) -> String {
    format!(
        "router bgp {asn}\n bgp router-id {id}\n no bgp ebgp-requires-policy\n no bgp network import-check\n \
         neighbor {neighbor} remote-as {remote}\n neighbor {neighbor} timers connect 1\n \
         address-family ipv4 unicast\n  network 172.16.0.0/24\n exit-address-family\nexit\n"
    )
}

#[test]
fn frr_and_bird_answer_and_peer() {
    let lab = Lab::new("nlfb").expect("lab");
    let (r1, r2) = pair(&lab);
    r1.add_addr("eth0", "10.0.0.1/30").expect("addr");
    r2.add_addr("eth0", "10.0.0.2/30").expect("addr");
    let frr_dir = lab.subdir("frr").expect("dir");
    let frr = Frr::start(
        &r1,
        &frr_dir,
        &[(FrrDaemon::Bgpd, &frr_bgp_conf(65001, "10.0.0.1", "10.0.0.2", 65002))],
    )
    .expect("FRR starts");
    let bird_conf = "router id 10.0.0.2;\nprotocol device {}\n\
        protocol static { ipv4; route 10.20.0.0/24 blackhole; }\n\
        protocol bgp frr { local 10.0.0.2 as 65002; neighbor 10.0.0.1 as 65001; connect retry time 1;\n\
          ipv4 { import all; export all; }; }\n";
    let bird = Bird::start(&r2, &lab.subdir("bird").expect("dir"), bird_conf).expect("BIRD starts");
    assert!(bird.birdc("show status").expect("birdc").contains("Daemon is up and running"));
    let version = frr.vtysh("show version").expect("vtysh");
    assert!(version.contains("FRRouting"), "{version}");
    wait_until(WAIT, POLL, "FRR to get BIRD's route", || {
        frr.vtysh_json("show bgp ipv4 unicast summary json")
            .is_ok_and(|v| v["peers"]["10.0.0.2"]["pfxRcd"].as_u64() == Some(1))
    })
    .expect("session with a route");
    wait_until(WAIT, POLL, "BIRD to get FRR's route", || {
        bird.birdc("show route 172.16.0.0/24").is_ok_and(|out| out.contains("172.16.0.0/24"))
    })
    .expect("route in BIRD");
    let pids: Vec<i32> = frr.pids().iter().map(|(_, p)| *p).chain(bird.pid()).collect();
    assert_eq!(pids.len(), 3);
    let all = names(&lab);
    drop(frr);
    drop(bird);
    drop(lab);
    for pid in pids {
        assert!(gone_or_zombie(pid), "daemon {pid} survived");
    }
    assert_gone(&all);
}

#[test]
fn gobgp_answers_and_peers_with_frr() {
    let lab = Lab::new("nlgo").expect("lab");
    let (r1, r2) = pair(&lab);
    r1.add_addr("eth0", "10.0.0.1/30").expect("addr");
    r2.add_addr("eth0", "10.0.0.2/30").expect("addr");
    let frr = Frr::start(
        &r1,
        &lab.subdir("frr").expect("dir"),
        &[(FrrDaemon::Bgpd, &frr_bgp_conf(65001, "10.0.0.1", "10.0.0.2", 65003))],
    )
    .expect("FRR starts");
    let toml = "[global.config]\n  as = 65003\n  router-id = \"10.0.0.2\"\n\
        [[neighbors]]\n  [neighbors.config]\n    neighbor-address = \"10.0.0.1\"\n    peer-as = 65001\n";
    let gobgp = Gobgp::start(&r2, &lab.subdir("gobgp").expect("dir"), toml).expect("gobgpd starts");
    gobgp.gobgp(&["global", "rib", "-a", "ipv4", "add", "10.30.0.0/24"]).expect("add route");
    wait_until(WAIT, POLL, "GoBGP to get FRR's route", || {
        gobgp.gobgp(&["global", "rib", "-a", "ipv4"]).is_ok_and(|out| out.contains("172.16.0.0/24"))
    })
    .expect("route in GoBGP");
    wait_until(WAIT, POLL, "FRR to get GoBGP's route", || {
        frr.vtysh_json("show bgp ipv4 unicast 10.30.0.0/24 json")
            .is_ok_and(|v| v["paths"].as_array().is_some_and(|p| !p.is_empty()))
    })
    .expect("route in FRR");
    let neighbors = gobgp.gobgp_json(&["neighbor"]).expect("json");
    assert_eq!(neighbors[0]["state"]["session_state"].as_u64(), Some(6), "{neighbors}");
}

#[test]
fn frr_and_bird_reach_ospf_full_on_a_broadcast_segment() {
    let lab = Lab::new("nlospf").expect("lab");
    let r1 = lab.node("r1").expect("r1");
    let r2 = lab.node("r2").expect("r2");
    let r3 = lab.node("r3").expect("r3");
    lab.segment("sw", &[(&r1, "eth0"), (&r2, "eth0"), (&r3, "eth0")]).expect("segment");
    for (i, ns) in [&r1, &r2, &r3].iter().enumerate() {
        ns.add_addr("eth0", &format!("10.1.0.{}/24", i + 1)).expect("addr");
    }
    let ospfd = "interface eth0\n ip ospf hello-interval 1\n ip ospf dead-interval 4\nexit\n\
        router ospf\n ospf router-id 10.1.0.1\n network 10.1.0.0/24 area 0\nexit\n";
    let frr = Frr::start(&r1, &lab.subdir("frr").expect("dir"), &[(FrrDaemon::Ospfd, ospfd)])
        .expect("FRR starts");
    let bird_conf = |id: &str| {
        format!(
            "router id {id};\nprotocol device {{}}\nprotocol ospf v2 {{ ipv4 {{ import all; export none; }};\n\
             area 0 {{ interface \"eth0\" {{ hello 1; dead 4; }}; }}; }}\n"
        )
    };
    let b2 =
        Bird::start(&r2, &lab.subdir("bird2").expect("dir"), &bird_conf("10.1.0.2")).expect("BIRD");
    let b3 =
        Bird::start(&r3, &lab.subdir("bird3").expect("dir"), &bird_conf("10.1.0.3")).expect("BIRD");
    wait_until(WAIT, POLL, "FRR to be Full with both BIRDs", || {
        frr.vtysh("show ip ospf neighbor").is_ok_and(|out| out.matches("Full").count() == 2)
    })
    .expect("adjacencies");
    for bird in [&b2, &b3] {
        let out = bird.birdc("show ospf neighbors").expect("birdc");
        assert!(out.contains("10.1.0.1"), "{out}");
    }
}

#[test]
fn frr_and_bird_peer_over_link_local_with_extended_next_hop() {
    let lab = Lab::new("nlunnum").expect("lab");
    let r1 = lab.node("r1").expect("r1");
    let r2 = lab.node("r2").expect("r2");
    lab.veth_with_macs(&r1, "eth0", &r2, "eth0", Some(("02:00:00:00:00:01", "02:00:00:00:00:02")))
        .expect("veth");
    let zebra = "interface eth0\n no ipv6 nd suppress-ra\n ipv6 nd ra-interval 3\nexit\n";
    let bgpd = "router bgp 65001\n bgp router-id 192.0.2.1\n no bgp ebgp-requires-policy\n\
        no bgp network import-check\n neighbor eth0 interface remote-as external\n\
        neighbor eth0 capability extended-nexthop\n address-family ipv4 unicast\n\
        network 172.16.0.0/24\n exit-address-family\nexit\n";
    let frr = Frr::start(
        &r1,
        &lab.subdir("frr").expect("dir"),
        &[(FrrDaemon::Zebra, zebra), (FrrDaemon::Bgpd, bgpd)],
    )
    .expect("FRR starts");
    let bird_conf = "router id 192.0.2.2;\nprotocol device {}\n\
        protocol radv { interface \"eth0\" { min ra interval 3; max ra interval 4; default lifetime 0; }; }\n\
        protocol static { ipv4; route 10.20.0.0/24 blackhole; }\n\
        protocol bgp frr { local as 65002; neighbor fe80::ff:fe00:1 as 65001; interface \"eth0\";\n\
          connect retry time 1; ipv4 { import all; export all; extended next hop on; }; }\n";
    let bird = Bird::start(&r2, &lab.subdir("bird").expect("dir"), bird_conf).expect("BIRD");
    wait_until(WAIT, POLL, "FRR to get 10.20.0.0/24 via BIRD's link-local", || {
        frr.vtysh_json("show bgp ipv4 unicast 10.20.0.0/24 json").is_ok_and(|v| {
            v["paths"][0]["nexthops"]
                .as_array()
                .is_some_and(|hops| hops.iter().any(|h| h["ip"] == "fe80::ff:fe00:2"))
        })
    })
    .expect("route with link-local next hop");
    wait_until(WAIT, POLL, "BIRD to get 172.16.0.0/24", || {
        bird.birdc("show route 172.16.0.0/24").is_ok_and(|out| out.contains("fe80::ff:fe00:1"))
    })
    .expect("route in BIRD");
}

#[test]
fn exabgp_announces_to_frr() {
    let lab = Lab::new("nlexa").expect("lab");
    let (r1, r2) = pair(&lab);
    r1.add_addr("eth0", "10.0.0.1/30").expect("addr");
    r2.add_addr("eth0", "10.0.0.2/30").expect("addr");
    let frr = Frr::start(
        &r1,
        &lab.subdir("frr").expect("dir"),
        &[(FrrDaemon::Bgpd, &frr_bgp_conf(65001, "10.0.0.1", "10.0.0.2", 65004))],
    )
    .expect("FRR starts");
    let config = "neighbor 10.0.0.1 {\n  router-id 10.0.0.2;\n  local-address 10.0.0.2;\n  \
        local-as 65004;\n  peer-as 65001;\n  static {\n    route 10.40.0.0/24 next-hop 10.0.0.2;\n  }\n}\n";
    let _exabgp = Exabgp::start(&r2, &lab.subdir("exabgp").expect("dir"), config).expect("ExaBGP");
    wait_until(WAIT, POLL, "FRR to get ExaBGP's route", || {
        frr.vtysh_json("show bgp ipv4 unicast 10.40.0.0/24 json")
            .is_ok_and(|v| v["paths"].as_array().is_some_and(|p| !p.is_empty()))
    })
    .expect("route in FRR");
}
