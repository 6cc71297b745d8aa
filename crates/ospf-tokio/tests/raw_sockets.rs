//! The adapter's sockets in network namespaces (needs root): multicast to
//! AllSPFRouters with TTL 1 and TOS 0xC0, AllDRouters only while the core
//! asks for it, unicast, no loopback of our own packets, the IPv4 header
//! removed, timers from `poll_timeout`, and MTU changes reported; the same
//! over IPv6 from link-local addresses with hop limit 1, and datagrams with
//! a bad IPv6 checksum dropped without holding up the next.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

use netlab::{Lab, Netns};
use ospf_tokio::socket::{OspfSocket, ALL_D_ROUTERS, ALL_SPF_ROUTERS};
use ospf_tokio::socket6::{self, OspfSocket6};
use ospf_tokio::{Driver, Engine, Family, InterfaceState, Received, Transmit};

/// A toy core: every `period` it sends `tag` to each destination in
/// `targets`; it reports packets and interface changes as events. Over
/// IPv6 its packets are 16 octets, room for the checksum the kernel writes
/// at offset 12.
struct Beacon {
    family: Family,
    tag: u8,
    targets: Vec<IpAddr>,
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
    Packet { src: IpAddr, dst: IpAddr, ttl: Option<u8>, payload: Vec<u8> },
    Interface(InterfaceState),
}

impl Beacon {
    fn new(tag: u8, targets: Vec<Ipv4Addr>, member: bool) -> Self {
        Self::with_family(Family::V4, tag, targets.into_iter().map(IpAddr::V4).collect(), member)
    }

    fn v6(tag: u8, targets: Vec<Ipv6Addr>, member: bool) -> Self {
        Self::with_family(Family::V6, tag, targets.into_iter().map(IpAddr::V6).collect(), member)
    }

    fn with_family(family: Family, tag: u8, targets: Vec<IpAddr>, member: bool) -> Self {
        Beacon {
            family,
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

    fn family(&self) -> Family {
        self.family
    }

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
        let payload = p.payload.to_vec();
        self.events.push(Seen::Packet { src: p.src, dst: p.dst, ttl: p.ttl, payload });
    }

    fn handle_timeout(&mut self, now: Instant) {
        // Early calls are no-ops, as the contract says; count real ones.
        if self.next.is_some_and(|d| d <= now) {
            self.ticks += 1;
            for (i, dst) in self.targets.iter().enumerate() {
                let mut payload = vec![self.tag, i as u8];
                if self.family == Family::V6 {
                    payload.resize(16, 0);
                }
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

/// (source, destination, payload) of the packets seen, with their TTL or
/// hop limit checked.
fn packets(seen: &[Seen]) -> Vec<(IpAddr, IpAddr, Vec<u8>)> {
    seen.iter()
        .filter_map(|s| match s {
            Seen::Packet { src, dst, ttl, payload } => {
                // OSPFv2 unicast keeps the default TTL; the rest is sent with 1.
                if dst.is_multicast() || dst.is_ipv6() {
                    assert_eq!(*ttl, Some(1), "TTL or hop limit of {src} -> {dst}");
                }
                Some((*src, *dst, payload.clone()))
            }
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
    let (a_ip, b_ip, spf, drs) = (
        IpAddr::V4(a_ip),
        IpAddr::V4(b_ip),
        IpAddr::V4(ALL_SPF_ROUTERS),
        IpAddr::V4(ALL_D_ROUTERS),
    );

    // a sends to both groups and to b; b is an AllDRouters member, a is
    // not; b sends to both groups too.
    let ha = run_in(
        &a,
        "eth0",
        Beacon::new(0xa, vec![ALL_SPF_ROUTERS, ALL_D_ROUTERS, Ipv4Addr::new(10, 9, 0, 2)], false),
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
    for (i, dst) in [spf, drs, b_ip].into_iter().enumerate() {
        assert!(pb.contains(&(a_ip, dst, vec![0xa, i as u8])), "b missed {dst}: {pb:?}");
    }
    // a heard b on AllSPFRouters, never on AllDRouters (not a member),
    // and never itself (no multicast loopback).
    assert!(pa.contains(&(b_ip, spf, vec![0xb, 0])), "{pa:?}");
    assert!(pa.iter().all(|(_, dst, _)| *dst != drs), "{pa:?}");
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

#[test]
fn ipv6_multicast_unicast_and_membership_from_link_local_addresses() {
    let lab = Lab::new("ospftk").expect("lab");
    let a = lab.node("a").expect("node a");
    let b = lab.node("b").expect("node b");
    lab.veth(&a, "eth0", &b, "eth0").expect("veth");
    // A global address too, which must not become the source.
    a.add_addr("eth0", "2001:db8:9::1/64").expect("addr a");
    let a_ll = a.link_local("eth0").expect("a's link-local");
    let b_ll = b.link_local("eth0").expect("b's link-local");
    let (spf, drs) = (socket6::ALL_SPF_ROUTERS, socket6::ALL_D_ROUTERS);

    // As over IPv4: a sends to both groups and to b's link-local address;
    // b is an AllDRouters member, a is not.
    let ha = run_in(
        &a,
        "eth0",
        Beacon::v6(0xa, vec![spf, drs, b_ll], false),
        Duration::from_millis(1500),
    );
    let hb = run_in(&b, "eth0", Beacon::v6(0xb, vec![spf, drs], true), Duration::from_millis(1500));
    let (seen_a, _) = ha.join().expect("thread a");
    let (seen_b, _) = hb.join().expect("thread b");

    // The interface report carries the IPv6 addresses.
    let Some(Seen::Interface(ia)) = seen_a.first() else {
        panic!("no interface event: {seen_a:?}")
    };
    assert_eq!(ia.link_local(), Some(a_ll));
    assert!(ia.addrs6.contains(&"2001:db8:9::1/64".parse().unwrap()), "{:?}", ia.addrs6);
    assert!(ia.addrs.is_empty(), "no IPv4 address: {:?}", ia.addrs);

    // The first two octets are the beacon's; the kernel wrote a checksum
    // at offset 12, which it verified on the way in.
    let short = |p: Vec<(IpAddr, IpAddr, Vec<u8>)>| -> Vec<(IpAddr, IpAddr, Vec<u8>)> {
        p.into_iter()
            .map(|(s, d, payload)| {
                assert_eq!(payload.len(), 16, "{payload:02x?}");
                assert_ne!(payload[12..14], [0, 0], "checksum filled in: {payload:02x?}");
                (s, d, payload[..2].to_vec())
            })
            .collect()
    };
    let pa = short(packets(&seen_a));
    let pb = short(packets(&seen_b));
    for (i, dst) in [spf, drs, b_ll].into_iter().enumerate() {
        let want = (IpAddr::V6(a_ll), IpAddr::V6(dst), vec![0xa, i as u8]);
        assert!(pb.contains(&want), "b missed {dst}: {pb:?}");
    }
    assert!(pa.contains(&(IpAddr::V6(b_ll), IpAddr::V6(spf), vec![0xb, 0])), "{pa:?}");
    assert!(pa.iter().all(|(_, dst, _)| *dst != IpAddr::V6(drs)), "{pa:?}");
    // Every packet came from the sender's link-local address.
    assert!(pa.iter().all(|(src, _, _)| *src == IpAddr::V6(b_ll)), "{pa:?}");
    assert!(pb.iter().all(|(src, _, _)| *src == IpAddr::V6(a_ll)), "{pb:?}");
}

/// The drops the kernel counted on the raw IPv6 protocol-89 sockets of the
/// calling thread's namespace (the last column of `/proc/net/raw6`).
fn raw6_drops() -> u64 {
    let table = std::fs::read_to_string("/proc/thread-self/net/raw6").expect("raw6 table");
    table
        .lines()
        .skip(1)
        .filter(|l| l.split_whitespace().nth(1).is_some_and(|a| a.ends_with(":0059")))
        .filter_map(|l| l.split_whitespace().last()?.parse::<u64>().ok())
        .sum()
}

#[test]
fn a_bad_ipv6_checksum_is_dropped_by_the_kernel() {
    let lab = Lab::new("ospftk").expect("lab");
    let a = lab.node("a").expect("node a");
    let b = lab.node("b").expect("node b");
    lab.veth(&a, "eth0", &b, "eth0").expect("veth");
    let a_ll = a.link_local("eth0").expect("a's link-local");

    // b's socket is open before anything is sent, and reads once both
    // datagrams have arrived: the bad one first.
    let (opened_tx, opened_rx) = std::sync::mpsc::channel();
    let (sent_tx, sent_rx) = std::sync::mpsc::channel::<()>();
    let b2 = b.clone();
    let reader = std::thread::spawn(move || {
        let _inside = b2.enter().expect("enter b");
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
        rt.block_on(async {
            let ifindex = ospf_tokio::iface::discover("eth0").expect("eth0").ifindex;
            let sock = OspfSocket6::open("eth0", ifindex, None).expect("socket");
            let drops_before = raw6_drops();
            opened_tx.send(()).expect("main thread");
            sent_rx.recv().expect("sender done");
            let mut buf = bytes::BytesMut::new();
            let first = tokio::time::timeout(Duration::from_secs(2), sock.recv(&mut buf))
                .await
                .expect("a datagram")
                .expect("recv");
            (first, raw6_drops() - drops_before)
        })
    });
    opened_rx.recv().expect("socket opened");

    let a2 = a.clone();
    std::thread::spawn(move || {
        let _inside = a2.enter().expect("enter a");
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
        rt.block_on(async {
            // A plain raw socket leaves the checksum field as given: zero.
            let bare = socket2::Socket::new(
                socket2::Domain::IPV6,
                socket2::Type::RAW,
                Some(socket2::Protocol::from(89)),
            )
            .expect("raw socket");
            bare.bind_device(Some(b"eth0")).expect("bind");
            let ifindex = ospf_tokio::iface::discover("eth0").expect("eth0").ifindex;
            bare.set_multicast_if_v6(ifindex).expect("multicast if");
            let to = std::net::SocketAddrV6::new(socket6::ALL_SPF_ROUTERS, 0, 0, ifindex);
            let mut bad = vec![0xbb; 16];
            bad[12..14].copy_from_slice(&[0, 0]);
            bare.send_to(&bad, &to.into()).expect("send the bad datagram");
            let ours = OspfSocket6::open("eth0", ifindex, Some(a_ll)).expect("socket");
            ours.send(socket6::ALL_SPF_ROUTERS, &[0x99; 16]).await.expect("send the good one");
        });
    })
    .join()
    .expect("sender");
    std::thread::sleep(Duration::from_millis(200));
    sent_tx.send(()).expect("reader");
    let (first, drops) = reader.join().expect("reader thread");

    // The good datagram is the first read; the bad one was counted as a
    // drop on the socket.
    assert_eq!(first.src, a_ll);
    assert_eq!(first.dst, Some(socket6::ALL_SPF_ROUTERS));
    assert_eq!(first.hop_limit, Some(1));
    assert_eq!(first.bytes[..12], [0x99; 12]);
    assert_eq!(first.bytes[14..], [0x99; 2]);
    assert_eq!(drops, 1, "the bad datagram dropped by the kernel");
}
