//! The adapter's raw IPv6 sockets against FRR `ospf6d` (needs root, FRR and
//! tshark): FRR on one side of a veth, our socket on the other.
//!
//! - FRR's Hellos reach our socket on ff02::5 with the arrival interface,
//!   FRR's link-local source and hop limit 1, and `ospf-wire` accepts their
//!   checksum over the IPv6 pseudo-header.
//! - Hellos that a small OSPFv3 core of this file builds with `ospf-wire`
//!   and sends through the adapter's `Driver` (which opens IPv6 sockets for
//!   a core of `Family::V6`) make FRR list us as a neighbour in ExStart or
//!   beyond, and FRR's Database Description packets come back to our
//!   link-local address: checksum and addressing are right on the wire.
//! - tshark, reading a capture of the link, decodes our packets as OSPFv3
//!   with a correct checksum, link-local source, hop limit 1 and traffic
//!   class 0xC0.
//!
//! Every lab is built with `netlab` (deleted on drop, also on failure) and
//! runs under `integration_tests::serial()`. Hello 1 s, Dead 4 s.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv6Addr};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use netlab::{wait_until, Capture, Frr, FrrDaemon, Lab, Netns};
use ospf_tokio::socket6::{OspfSocket6, ALL_SPF_ROUTERS};
use ospf_tokio::{Driver, Engine, Family, InterfaceState, Received, Transmit};
use ospf_wire::v3::{Hello, Options, Packet, PacketBody};
use ospf_wire::{AreaId, RouterId};

const OUR_ID: RouterId = RouterId(0x0a00_0001);
const FRR_ID: RouterId = RouterId(0x0a00_0002);
const HELLO_INTERVAL: u16 = 1;
const DEAD_INTERVAL: u16 = 4;
const POLL: Duration = Duration::from_millis(200);

/// FRR's ospf6d on its `eth0`: broadcast, area 0, Hello 1 s, Dead 4 s.
/// Broadcast rather than point-to-point because there FRR sends its
/// Database Description packets to the neighbour's link-local address
/// (on point-to-point links it sends them to ff02::5), which tests unicast
/// reception; the price is the Wait timer (the Dead interval) before FRR
/// elects itself DR and starts the adjacency.
const OSPF6D_CONF: &str = "\
interface eth0
 ipv6 ospf6 area 0.0.0.0
 ipv6 ospf6 hello-interval 1
 ipv6 ospf6 dead-interval 4
!
router ospf6
 ospf6 router-id 10.0.0.2
!
";

/// Two nodes, `us` and `frr`, joined by a veth named `eth0` on both sides
/// (link-local addresses only), and FRR's zebra and ospf6d started on its
/// side.
fn frr_lab(lab: &Lab) -> (Netns, Netns, Frr) {
    let us = lab.node("us").expect("node us");
    let peer = lab.node("frr").expect("node frr");
    lab.veth(&us, "eth0", &peer, "eth0").expect("veth");
    let dir = lab.subdir("frr").expect("state folder");
    let frr = Frr::start(&peer, &dir, &[(FrrDaemon::Ospf6d, OSPF6D_CONF)])
        .unwrap_or_else(|e| panic!("FRR zebra and ospf6d must start (is FRR installed?): {e}"));
    (us, peer, frr)
}

/// Runs `f` on a thread inside `ns` with a current-thread tokio runtime.
fn in_namespace<T: Send + 'static>(
    ns: &Netns,
    f: impl FnOnce() -> std::pin::Pin<Box<dyn std::future::Future<Output = T>>> + Send + 'static,
) -> std::thread::JoinHandle<T> {
    let ns = ns.clone();
    std::thread::spawn(move || {
        let _inside = ns.enter().expect("enter namespace");
        let rt =
            tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(f())
    })
}

// ----- (a) FRR's Hellos through our socket -------------------------------------

#[test]
fn frr_hellos_reach_our_ipv6_socket() {
    let _serial = integration_tests::serial();
    let t0 = Instant::now();
    let lab = Lab::new("osix").expect("lab");
    let (us, peer, frr) = frr_lab(&lab);
    let frr_ll = peer.link_local("eth0").expect("FRR's link-local");

    let reader = in_namespace(&us, || {
        Box::pin(async {
            let state = ospf_tokio::iface::discover("eth0").expect("eth0");
            let sock =
                OspfSocket6::open("eth0", state.ifindex, state.link_local()).expect("socket");
            let mut buf = BytesMut::new();
            let d = tokio::time::timeout(Duration::from_secs(15), sock.recv(&mut buf))
                .await
                .expect("a datagram from FRR within 15 s")
                .expect("recv");
            (state.ifindex, d)
        })
    });
    let (ifindex, d) = reader.join().expect("reader thread");
    eprintln!("first Hello from FRR after {} ms", t0.elapsed().as_millis());

    assert_eq!(d.ifindex, Some(ifindex), "arrival interface from IPV6_PKTINFO");
    assert_eq!(d.src, frr_ll, "FRR sends from its link-local address");
    assert_eq!(d.dst, Some(ALL_SPF_ROUTERS), "Hellos go to AllSPFRouters");
    assert_eq!(d.hop_limit, Some(1), "hop limit from IPV6_HOPLIMIT");
    let packet = Packet::decode(d.bytes.clone(), d.src, ALL_SPF_ROUTERS)
        .unwrap_or_else(|e| panic!("FRR's packet decodes with its checksum: {e}"));
    assert_eq!((packet.router_id, packet.area_id, packet.instance_id), (FRR_ID, AreaId(0), 0));
    let PacketBody::Hello(hello) = &packet.body else { panic!("not a Hello: {packet:?}") };
    assert_eq!((hello.hello_interval, hello.router_dead_interval), (1, 4), "{hello:?}");
    // The checksum covers the pseudo-header: the same octets with another
    // destination fail, so the check above was not vacuous.
    let other = "ff02::6".parse().expect("address");
    assert!(Packet::decode(d.bytes, d.src, other).is_err(), "checksum bound to the addresses");
    drop(frr);
}

// ----- (b) and (c) our Hellos through the Driver ---------------------------

/// What the test core saw.
#[derive(Debug, Clone)]
struct Heard {
    src: IpAddr,
    dst: IpAddr,
    ttl: Option<u8>,
    packet: Packet,
}

/// A small OSPFv3 core: once a second it sends a Hello on its interface
/// listing the routers it has heard, with our interface index as Interface
/// ID; it decodes (checksum included) what it receives and keeps it.
struct HelloCore {
    ifindex: u32,
    link_local: Option<Ipv6Addr>,
    next: Option<Instant>,
    heard_ids: BTreeSet<RouterId>,
    out: Vec<Transmit>,
    heard: Arc<Mutex<Vec<Heard>>>,
}

impl Engine for HelloCore {
    type Event = ();

    fn family(&self) -> Family {
        Family::V6
    }

    fn handle_interface(&mut self, now: Instant, _: Option<&InterfaceState>, new: &InterfaceState) {
        self.ifindex = new.ifindex;
        self.link_local = new.link_local();
        self.next.get_or_insert(now);
    }

    fn handle_packet(&mut self, _now: Instant, p: Received<'_>) {
        let (IpAddr::V6(src), IpAddr::V6(dst)) = (p.src, p.dst) else {
            panic!("IPv4 addresses from an IPv6 socket: {p:?}")
        };
        let packet = Packet::decode(Bytes::copy_from_slice(p.payload), src, dst)
            .unwrap_or_else(|e| panic!("FRR's packet from {src} to {dst} decodes: {e}"));
        if matches!(packet.body, PacketBody::Hello(_)) {
            self.heard_ids.insert(packet.router_id);
        }
        self.heard.lock().unwrap_or_else(PoisonError::into_inner).push(Heard {
            src: p.src,
            dst: p.dst,
            ttl: p.ttl,
            packet,
        });
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self.next.is_none_or(|t| t > now) {
            return;
        }
        self.next = Some(now + Duration::from_secs(u64::from(HELLO_INTERVAL)));
        let hello = Packet {
            router_id: OUR_ID,
            area_id: AreaId(0),
            instance_id: 0,
            body: PacketBody::Hello(Hello {
                interface_id: self.ifindex,
                router_priority: 1,
                options: Options::V6 | Options::E | Options::R,
                hello_interval: HELLO_INTERVAL,
                router_dead_interval: DEAD_INTERVAL,
                designated_router: RouterId(0),
                backup_designated_router: RouterId(0),
                neighbors: self.heard_ids.iter().copied().collect(),
            }),
        };
        // A zero checksum: the kernel fills it in (IPV6_CHECKSUM).
        let mut buf = BytesMut::new();
        hello.encode(&mut buf);
        self.out.push(Transmit {
            ifindex: self.ifindex,
            dst: IpAddr::V6(ALL_SPF_ROUTERS),
            payload: buf.to_vec(),
        });
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        (!self.out.is_empty()).then(|| self.out.remove(0))
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.next
    }

    fn poll_event(&mut self) -> Option<()> {
        None
    }

    fn all_d_routers_member(&self, _ifindex: u32) -> bool {
        false
    }
}

/// FRR's state for neighbour `rid` from `show ipv6 ospf6 neighbor json`.
fn frr_neighbor(frr: &Frr, rid: &str) -> Option<String> {
    let v = frr.vtysh_json("show ipv6 ospf6 neighbor json").ok()?;
    let list = v.get("neighbors")?.as_array()?;
    let n = list.iter().find(|n| n.get("neighborId").and_then(|i| i.as_str()) == Some(rid))?;
    n.get("state")?.as_str().map(str::to_owned)
}

/// One packet of a PDML document: (field name, `show`, `showname`) of
/// every field.
type PdmlPacket = Vec<(String, String, String)>;

fn attr(line: &str, name: &str) -> String {
    let key = format!(" {name}=\"");
    line.find(&key)
        .and_then(|i| line[i + key.len()..].split('"').next())
        .unwrap_or_default()
        .to_owned()
}

/// Decodes `file` with `tshark -T pdml` and the display filter.
fn tshark_pdml(file: &Path, filter: &str) -> Vec<PdmlPacket> {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(file)
        .args(["-Y", filter, "-T", "pdml"])
        .output()
        .unwrap_or_else(|e| panic!("tshark could not be run (is it installed?): {e}"));
    assert!(out.status.success(), "tshark: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    text.split("<packet>")
        .skip(1)
        .map(|p| {
            p.lines()
                .map(str::trim)
                .filter(|l| l.starts_with("<field "))
                .map(|l| (attr(l, "name"), attr(l, "show"), attr(l, "showname")))
                .collect()
        })
        .collect()
}

fn field<'a>(p: &'a PdmlPacket, name: &str) -> Option<&'a (String, String, String)> {
    p.iter().find(|(n, _, _)| n == name)
}

#[test]
fn frr_takes_our_hellos_to_exstart_and_tshark_checks_them() {
    let _serial = integration_tests::serial();
    let t0 = Instant::now();
    let lab = Lab::new("osix").expect("lab");
    let (us, peer, frr) = frr_lab(&lab);
    let our_ll = us.link_local("eth0").expect("our link-local");
    let pcap = lab.dir().join("eth0.pcap");
    let mut capture = Capture::start(&peer, "eth0", "ip6 proto 89", &pcap).expect("tcpdump");

    let heard = Arc::new(Mutex::new(Vec::new()));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let sink = Arc::clone(&heard);
    let ours = in_namespace(&us, move || {
        Box::pin(async move {
            let core = HelloCore {
                ifindex: 0,
                link_local: None,
                next: None,
                heard_ids: BTreeSet::new(),
                out: Vec::new(),
                heard: sink,
            };
            let mut driver = Driver::new(core, &["eth0"]).expect("driver on eth0");
            assert_eq!(driver.family(), Family::V6);
            let ifindex = driver.engine().ifindex;
            let link_local = driver.engine().link_local;
            tokio::select! {
                r = driver.next_event() => panic!("the core has no events: {r:?}"),
                _ = stopped => {}
            }
            (ifindex, link_local)
        })
    });

    let exstart = ["ExStart", "Exchange", "Loading", "Full"];
    let reached = wait_until(Duration::from_secs(20), POLL, "FRR lists us in ExStart+", || {
        frr_neighbor(&frr, "10.0.0.1").is_some_and(|s| exstart.contains(&s.as_str()))
    });
    let state = frr_neighbor(&frr, "10.0.0.1");
    eprintln!("FRR lists us as {state:?} after {} ms", t0.elapsed().as_millis());
    // FRR's Database Description packets have time to arrive.
    let dd = wait_until(Duration::from_secs(10), POLL, "a DD packet from FRR", || {
        heard
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .any(|h| matches!(h.packet.body, PacketBody::DatabaseDescription(_)))
    });
    let _ = stop.send(());
    let (ifindex, link_local) = ours.join().expect("our thread");
    capture.stop();
    reached.unwrap_or_else(|e| {
        panic!(
            "{e}: FRR says {state:?}\n{}",
            frr.vtysh("show ipv6 ospf6 interface eth0").unwrap_or_default()
        )
    });
    dd.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(link_local, Some(our_ll), "the interface report carries our link-local");

    // What FRR sent us: Hellos to AllSPFRouters and Database Descriptions
    // to our link-local address, all from its link-local address, all with
    // a good checksum (decoded above). Its multicast has hop limit 1; FRR
    // 8.4 sends unicast with the default hop limit (64 here), so a core
    // must not ask for 1 on unicast.
    let frr_ll = IpAddr::V6(peer.link_local("eth0").expect("FRR's link-local"));
    let heard = heard.lock().unwrap_or_else(PoisonError::into_inner).clone();
    assert!(heard.iter().all(|h| h.src == frr_ll), "{heard:?}");
    assert!(heard.iter().filter(|h| h.dst.is_multicast()).all(|h| h.ttl == Some(1)), "{heard:?}");
    assert!(heard.iter().all(|h| h.ttl.is_some()), "hop limit always reported: {heard:?}");
    let dd_dst: BTreeSet<IpAddr> = heard
        .iter()
        .filter(|h| matches!(h.packet.body, PacketBody::DatabaseDescription(_)))
        .map(|h| h.dst)
        .collect();
    assert_eq!(dd_dst, BTreeSet::from([IpAddr::V6(our_ll)]), "DD packets unicast to us");
    // FRR's Hellos list us once it heard ours.
    assert!(
        heard.iter().any(|h| matches!(&h.packet.body,
            PacketBody::Hello(hello) if hello.neighbors.contains(&OUR_ID))),
        "FRR's Hellos list our router id"
    );

    // tshark on the capture: our packets are OSPFv3 Hellos with a correct
    // checksum, from our link-local address to ff02::5, hop limit 1, traffic
    // class 0xC0, our interface index as Interface ID.
    let ours = tshark_pdml(&pcap, "ospf.srcrouter == 10.0.0.1");
    assert!(!ours.is_empty(), "none of our packets in the capture");
    for p in &ours {
        let show = |name: &str| field(p, name).map(|f| f.1.clone()).unwrap_or_default();
        assert_eq!(show("ipv6.src"), our_ll.to_string(), "{p:?}");
        assert_eq!(show("ipv6.dst"), "ff02::5", "{p:?}");
        assert_eq!(show("ipv6.hlim"), "1", "{p:?}");
        assert_eq!(show("ipv6.tclass.dscp"), "48", "CS6 (0xC0): {p:?}");
        assert_eq!(show("ospf.version"), "3", "{p:?}");
        assert_eq!(show("ospf.msg"), "1", "Hello: {p:?}");
        assert_eq!(show("ospf.hello.interface_id"), ifindex.to_string(), "{p:?}");
        let checksum = field(p, "ospf.checksum").map(|f| f.2.as_str()).unwrap_or_default();
        assert!(checksum.ends_with("[correct]"), "tshark says {checksum:?}");
    }
    eprintln!(
        "{} of our Hellos checked by tshark; test took {} ms",
        ours.len(),
        t0.elapsed().as_millis()
    );
    drop(frr);
}
