//! The adapter's sockets in network namespaces (needs root): multicast to
//! AllSPFRouters with TTL 1 and TOS 0xC0, AllDRouters only while the core
//! asks for it, unicast, no loopback of our own packets, the IPv4 header
//! removed, timers from `poll_timeout`, and MTU changes reported.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use netlab::{Lab, Netns};
use ospf_tokio::socket::{OspfSocket, ALL_D_ROUTERS, ALL_SPF_ROUTERS};
use ospf_tokio::{Driver, Engine, InterfaceState, Received, Transmit};

/// A toy core: every `period` it sends `tag` to each destination in
/// `targets`; it reports packets and interface changes as events.
struct Beacon {
    tag: u8,
    targets: Vec<Ipv4Addr>,
    period: Duration,
    member: bool,
    ifindex: u32,
    next: Option<Instant>,
    out: Vec<Transmit>,
    events: Vec<Seen>,
    ticks: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Packet { src: Ipv4Addr, dst: Ipv4Addr, payload: Vec<u8> },
    Interface(InterfaceState),
}

impl Beacon {
    fn new(tag: u8, targets: Vec<Ipv4Addr>, member: bool) -> Self {
        Beacon {
            tag,
            targets,
            period: Duration::from_millis(50),
            member,
            ifindex: 0,
            next: None,
            out: Vec::new(),
            events: Vec::new(),
            ticks: 0,
        }
    }
}

impl Engine for Beacon {
    type Event = Seen;

    fn handle_interface(
        &mut self,
        now: Instant,
        _old: Option<&InterfaceState>,
        iface: &InterfaceState,
    ) {
        self.ifindex = iface.ifindex;
        self.next.get_or_insert(now);
        self.events.push(Seen::Interface(iface.clone()));
    }

    fn handle_packet(&mut self, _now: Instant, p: Received<'_>) {
        self.events.push(Seen::Packet { src: p.src, dst: p.dst, payload: p.payload.to_vec() });
    }

    fn handle_timeout(&mut self, now: Instant) {
        // Early calls are no-ops, as the contract says; count real ones.
        if self.next.is_some_and(|d| d <= now) {
            self.ticks += 1;
            for (i, dst) in self.targets.iter().enumerate() {
                let payload = vec![self.tag, i as u8];
                self.out.push(Transmit { ifindex: self.ifindex, dst: *dst, payload });
            }
            self.next = Some(now + self.period);
        }
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        if self.out.is_empty() {
            None
        } else {
            Some(self.out.remove(0))
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.next
    }

    fn poll_event(&mut self) -> Option<Seen> {
        if self.events.is_empty() {
            None
        } else {
            Some(self.events.remove(0))
        }
    }

    fn all_d_routers_member(&self, _ifindex: u32) -> bool {
        self.member
    }
}

/// Runs `engine` on `iface` inside `ns` for `duration` on a thread of its
/// own, and returns the events and the timer ticks.
fn run_in(
    ns: &Netns,
    iface: &'static str,
    engine: Beacon,
    duration: Duration,
) -> std::thread::JoinHandle<(Vec<Seen>, u32)> {
    let ns = ns.clone();
    std::thread::spawn(move || {
        let _inside = ns.enter().expect("enter namespace");
        let rt =
            tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async move {
            let mut driver = Driver::new(engine, &[iface]).expect("driver");
            let mut seen = Vec::new();
            let end = tokio::time::Instant::now() + duration;
            while let Ok(ev) = tokio::time::timeout_at(end, driver.next_event()).await {
                seen.push(ev.expect("driver error"));
            }
            (seen, driver.engine().ticks)
        })
    })
}

fn packets(seen: &[Seen]) -> Vec<(Ipv4Addr, Ipv4Addr, Vec<u8>)> {
    seen.iter()
        .filter_map(|s| match s {
            Seen::Packet { src, dst, payload } => Some((*src, *dst, payload.clone())),
            Seen::Interface(_) => None,
        })
        .collect()
}

#[test]
fn multicast_unicast_and_membership_over_a_veth() {
    let lab = Lab::new("ospftk").expect("lab");
    let a = lab.node("a").expect("node a");
    let b = lab.node("b").expect("node b");
    lab.veth(&a, "eth0", &b, "eth0").expect("veth");
    a.add_addr("eth0", "10.9.0.1/24").expect("addr a");
    b.add_addr("eth0", "10.9.0.2/24").expect("addr b");
    let a_ip = Ipv4Addr::new(10, 9, 0, 1);
    let b_ip = Ipv4Addr::new(10, 9, 0, 2);

    // a sends to both groups and to b; b is an AllDRouters member, a is
    // not; b sends to both groups too.
    let ha = run_in(
        &a,
        "eth0",
        Beacon::new(0xa, vec![ALL_SPF_ROUTERS, ALL_D_ROUTERS, b_ip], false),
        Duration::from_millis(1500),
    );
    let hb = run_in(
        &b,
        "eth0",
        Beacon::new(0xb, vec![ALL_SPF_ROUTERS, ALL_D_ROUTERS], true),
        Duration::from_millis(1500),
    );
    let (seen_a, ticks_a) = ha.join().expect("thread a");
    let (seen_b, ticks_b) = hb.join().expect("thread b");

    // Timers from poll_timeout: about 30 ticks of 50 ms in 1.5 s.
    for ticks in [ticks_a, ticks_b] {
        assert!((15..=35).contains(&ticks), "ticks {ticks}");
    }

    // The interface was reported with its index, MTU and address.
    let Some(Seen::Interface(ia)) = seen_a.first() else {
        panic!("no interface event: {seen_a:?}")
    };
    assert_eq!((ia.name.as_str(), ia.mtu, ia.up), ("eth0", 1500, true));
    assert_eq!(ia.addrs, vec!["10.9.0.1/24".parse().unwrap()]);

    let pa = packets(&seen_a);
    let pb = packets(&seen_b);
    // b heard all three kinds from a, header stripped.
    for (i, dst) in [ALL_SPF_ROUTERS, ALL_D_ROUTERS, b_ip].into_iter().enumerate() {
        assert!(pb.contains(&(a_ip, dst, vec![0xa, i as u8])), "b missed {dst}: {pb:?}");
    }
    // a heard b on AllSPFRouters, never on AllDRouters (not a member),
    // and never itself (no multicast loopback).
    assert!(pa.contains(&(b_ip, ALL_SPF_ROUTERS, vec![0xb, 0])), "{pa:?}");
    assert!(pa.iter().all(|(_, dst, _)| *dst != ALL_D_ROUTERS), "{pa:?}");
    assert!(pa.iter().all(|(src, _, _)| *src == b_ip), "{pa:?}");
    assert!(pb.iter().all(|(src, _, _)| *src == a_ip), "{pb:?}");
}

#[test]
fn header_fields_and_mtu_changes() {
    let lab = Lab::new("ospftk").expect("lab");
    let a = lab.node("a").expect("node a");
    let b = lab.node("b").expect("node b");
    lab.veth(&a, "eth0", &b, "eth0").expect("veth");
    a.add_addr("eth0", "10.9.1.1/24").expect("addr a");
    b.add_addr("eth0", "10.9.1.2/24").expect("addr b");

    let ha =
        run_in(&a, "eth0", Beacon::new(0xa, vec![ALL_SPF_ROUTERS], false), Duration::from_secs(3));

    // A bare socket in b sees the IPv4 header the kernel built for a.
    let b2 = b.clone();
    let header = std::thread::spawn(move || {
        let _inside = b2.enter().expect("enter b");
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
        rt.block_on(async {
            let ifindex = ospf_tokio::iface::discover("eth0").expect("eth0").ifindex;
            let sock = OspfSocket::open("eth0", ifindex).expect("socket");
            let mut buf = bytes::BytesMut::new();
            let d = tokio::time::timeout(Duration::from_secs(2), sock.recv(&mut buf))
                .await
                .expect("a datagram within 2 s")
                .expect("recv");
            assert_eq!(d.ifindex, Some(ifindex));
            let ip = ospf_tokio::ipv4::parse(&d.bytes).expect("IPv4 header");
            (ip.src, ip.dst, ip.ttl, ip.tos, ip.payload.to_vec())
        })
    })
    .join()
    .expect("thread b");
    assert_eq!(
        header,
        (Ipv4Addr::new(10, 9, 1, 1), ALL_SPF_ROUTERS, 1, 0xc0, vec![0xa, 0]),
        "src, dst, TTL, TOS, payload"
    );

    std::thread::sleep(Duration::from_millis(500));
    a.set_mtu("eth0", 1400).expect("mtu");
    let (seen_a, _) = ha.join().expect("thread a");
    let mtus: Vec<u32> = seen_a
        .iter()
        .filter_map(|s| match s {
            Seen::Interface(i) => Some(i.mtu),
            Seen::Packet { .. } => None,
        })
        .collect();
    assert_eq!(mtus, vec![1500, 1400], "the MTU change is reported once");
}
