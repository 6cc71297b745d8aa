//! bfd-tokio against FRR's bfdd (single hop over IPv4 and IPv6, multihop over IPv4), in
//! network namespaces the test creates (netlab) and deletes even when it fails. Needs root,
//! iproute2, tcpdump and FRR (`/usr/lib/frr/bfdd`).
//!
//! The two systems share a switch namespace (a bridge): the link is cut by taking FRR's port
//! out of the bridge, so both interfaces keep their carrier and neither side hears of the
//! cut from its kernel. Only BFD can notice.

use bfd::{ClientId, Config, Diagnostic, Discriminator, Event, Report, State};
use bfd_tokio::{Driver, DriverConfig, Hop, PeerConfig, Stats};
use integration_tests::serial;
use netlab::{Frr, FrrDaemon, Lab, Netns};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::{mpsc, oneshot};

const US: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
const FRR: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
const CLIENT: ClientId = ClientId(1);

/// The driver's counters and, for our session, its state, transmit interval and detection
/// time.
type Snapshot = (Stats, Option<bfd::State>, Option<Duration>, Option<Duration>);

enum Command {
    Stats(oneshot::Sender<Snapshot>),
}

/// Our driver, running on a runtime built inside our namespace.
struct Ours {
    // Field order is drop order: channels first, then the runtime (which ends the task).
    commands: mpsc::UnboundedSender<Command>,
    reports: mpsc::UnboundedReceiver<(Instant, Report)>,
    log: Vec<(Instant, Report)>,
    rt: tokio::runtime::Runtime,
}

impl Ours {
    fn start(ns: &Netns, driver: DriverConfig, peer: PeerConfig) -> Ours {
        let guard = ns.enter().expect("enter namespace");
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let (report_tx, reports) = mpsc::unbounded_channel();
        let (commands, mut command_rx) = mpsc::unbounded_channel::<Command>();
        rt.block_on(async {
            let mut driver = Driver::new(driver).expect("driver");
            let id = driver.add(peer, CLIENT).expect("session");
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        r = driver.next_report() => {
                            let r = r.expect("driver runs");
                            if report_tx.send((Instant::now(), r)).is_err() {
                                return;
                            }
                        }
                        c = command_rx.recv() => match c {
                            Some(Command::Stats(reply)) => {
                                let s = driver.sessions().session(id);
                                let _ = reply.send((
                                    driver.stats(),
                                    s.map(|s| s.state()),
                                    s.and_then(|s| s.transmit_interval()),
                                    s.and_then(|s| s.detection_time()),
                                ));
                            }
                            None => return,
                        },
                    }
                }
            });
        });
        drop(guard);
        Ours { commands, reports, log: Vec::new(), rt }
    }

    /// Waits for a report matching `f`; panics with everything seen after `timeout`.
    fn wait(&mut self, what: &str, timeout: Duration, f: impl Fn(&Report) -> bool) -> Instant {
        let end = Instant::now() + timeout;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            let got =
                self.rt.block_on(async { tokio::time::timeout(left, self.reports.recv()).await });
            match got {
                Ok(Some((at, r))) => {
                    self.log.push((at, r));
                    if f(&r) {
                        return at;
                    }
                }
                Ok(None) => panic!("driver task ended; seen {:?}", self.log),
                Err(_) => {
                    panic!(
                        "{what}: not within {timeout:?}; seen {:?}; {:?}",
                        self.log,
                        self.stats()
                    )
                }
            }
        }
    }

    /// Reports that arrived so far without waiting.
    fn drain(&mut self) {
        while let Ok((at, r)) = self.reports.try_recv() {
            self.log.push((at, r));
        }
    }

    fn stats(&self) -> Snapshot {
        let (tx, rx) = oneshot::channel();
        self.commands.send(Command::Stats(tx)).expect("driver task runs");
        self.rt.block_on(rx).expect("driver answers")
    }
}

/// FRR's view of its session to `peer` (our address).
fn frr_peer_at(frr: &Frr, peer: &str) -> serde_json::Value {
    let v = frr.vtysh_json("show bfd peers json").expect("show bfd peers json");
    v.as_array()
        .and_then(|a| a.iter().find(|p| p["peer"] == peer).cloned())
        .unwrap_or(serde_json::Value::Null)
}

fn frr_peer(frr: &Frr) -> serde_json::Value {
    frr_peer_at(frr, "10.0.0.1")
}

fn frr_status(frr: &Frr) -> String {
    frr_status_at(frr, "10.0.0.1")
}

fn frr_status_at(frr: &Frr, peer: &str) -> String {
    frr_peer_at(frr, peer)["status"].as_str().unwrap_or("absent").to_owned()
}

/// State changes in bfdd's log (printed if the test fails).
const BFDD_CONF: &str = "debug bfd peer\n";

fn configure_peer(frr: &Frr, peer: &str, ours: &str) {
    netlab::wait_until(Duration::from_secs(10), Duration::from_millis(200), "bfdd peer", || {
        frr.configure(&[
            "bfd",
            peer,
            "detect-multiplier 3",
            "receive-interval 300",
            "transmit-interval 300",
        ])
        .is_ok()
            && frr_peer_at(frr, ours).is_object()
    })
    .unwrap_or_else(|e| panic!("{e}: {}", frr.logs()));
}

/// A BFD packet from a capture: when, the IPv4 TTL, UDP ports, and the packet.
#[derive(Debug)]
struct Captured {
    at: SystemTime,
    src: Ipv4Addr,
    ttl: u8,
    src_port: u16,
    dst_port: u16,
    packet: bfd::ControlPacket,
}

/// Reads the BFD packets of an Ethernet pcap, decoding each with our codec (so the capture
/// also checks that FRR's packets decode).
fn read_capture(file: &Path) -> Vec<Captured> {
    let data = std::fs::read(file).expect("pcap file");
    let mut reader = pcap_file::pcap::PcapReader::new(&data[..]).expect("pcap header");
    let mut out = Vec::new();
    while let Some(p) = reader.next_packet() {
        let p = p.expect("pcap record");
        let d = &p.data[..];
        // Ethernet, IPv4 (any header length), UDP.
        if d.len() < 14 + 20 + 8 || d[12..14] != [0x08, 0x00] || d[14 + 9] != 17 {
            continue;
        }
        let ihl = usize::from(d[14] & 0x0f) * 4;
        let udp = 14 + ihl;
        let payload = bytes::Bytes::copy_from_slice(&d[udp + 8..]);
        let packet = bfd::ControlPacket::decode(payload)
            .unwrap_or_else(|e| panic!("undecodable BFD packet in {}: {e}", file.display()));
        out.push(Captured {
            at: SystemTime::UNIX_EPOCH + p.timestamp,
            src: Ipv4Addr::new(d[26], d[27], d[28], d[29]),
            ttl: d[14 + 8],
            src_port: u16::from_be_bytes([d[udp], d[udp + 1]]),
            dst_port: u16::from_be_bytes([d[udp + 2], d[udp + 3]]),
            packet,
        });
    }
    out
}

fn after(a: SystemTime, b: SystemTime) -> Duration {
    a.duration_since(b).unwrap_or_else(|e| panic!("{a:?} before {b:?} by {:?}", e.duration()))
}

fn is_state(r: &Report, to: State) -> bool {
    matches!(r.event, Event::StateChanged { to: t, .. } if t == to)
}

#[test]
fn frr_bfdd_up_and_link_cut_detected() {
    let _s = serial();
    let lab = Lab::new("bfd").expect("lab");
    let us = lab.node("us").expect("node");
    let them = lab.node("frr").expect("node");
    let switch = lab.segment("sw", &[(&us, "eth0"), (&them, "eth0")]).expect("segment");
    us.add_addr("eth0", "10.0.0.1/24").expect("addr");
    them.add_addr("eth0", "10.0.0.2/24").expect("addr");
    netlab::wait_until(Duration::from_secs(10), Duration::from_millis(100), "ping", || {
        us.exec(&["ping", "-c1", "-W1", "10.0.0.2"]).is_ok()
    })
    .expect("link works");

    // The peer is configured once bfdd runs: a session configured at start-up names an
    // interface bfdd has not heard of from zebra yet, and stays disabled.
    let frr = Frr::start(&them, &lab.subdir("frr").expect("dir"), &[(FrrDaemon::Bfdd, BFDD_CONF)])
        .expect("FRR bfdd");
    configure_peer(&frr, &format!("peer {US} local-address {FRR} interface eth0"), "10.0.0.1");
    let mut config = Config::new(Discriminator::new(1).expect("non-zero"));
    config.desired_min_tx = Duration::from_millis(300);
    config.required_min_rx = Duration::from_millis(300);
    // Captures on both ends: FRR's interface keeps sending after the cut (the bridge drops
    // its packets), so its first Down packet times its detection.
    let our_pcap = lab.dir().join("us.pcap");
    let frr_pcap = lab.dir().join("frr.pcap");
    let mut our_capture =
        netlab::Capture::start(&us, "eth0", "udp port 3784", &our_pcap).expect("tcpdump");
    let mut frr_capture =
        netlab::Capture::start(&them, "eth0", "udp port 3784", &frr_pcap).expect("tcpdump");
    let peer = PeerConfig {
        local: IpAddr::V4(US),
        peer: IpAddr::V4(FRR),
        hop: Hop::Single { interface: "eth0".into() },
        session: config,
    };
    let mut ours = Ours::start(&us, DriverConfig { seed: 7, ..DriverConfig::default() }, peer);

    // --- bring-up ------------------------------------------------------------------------
    let started = Instant::now();
    let up_at = ours.wait("our session Up", Duration::from_secs(20), |r| is_state(r, State::Up));
    netlab::wait_until(Duration::from_secs(10), Duration::from_millis(50), "FRR up", || {
        frr_status(&frr) == "up"
    })
    .unwrap_or_else(|e| panic!("{e}: {}", frr_peer(&frr)));
    eprintln!("session Up on our side after {:?}", up_at - started);
    // Let the poll sequence that follows Up finish, then compare both views.
    std::thread::sleep(Duration::from_secs(2));
    let peer = frr_peer(&frr);
    let (stats, state, tx, detect) = ours.stats();
    assert_eq!(state, Some(State::Up));
    assert_eq!(tx, Some(Duration::from_millis(300)), "{peer}");
    assert_eq!(detect, Some(Duration::from_millis(900)), "{peer}");
    assert_eq!(peer["remote-receive-interval"], 300, "{peer}");
    assert_eq!(peer["remote-transmit-interval"], 300, "{peer}");
    assert_eq!(peer["remote-detect-multiplier"], 3, "{peer}");
    assert_eq!(stats.bad_ttl, 0, "{stats:?}");
    assert_eq!(stats.discarded, 0, "{stats:?}");
    assert!(stats.received >= 5 && stats.sent >= 5, "{stats:?}");

    // Stable: three seconds without a flap on either side.
    std::thread::sleep(Duration::from_secs(3));
    ours.drain();
    let flaps: Vec<_> = ours.log.iter().filter(|(_, r)| r.event.is_down()).collect();
    assert!(flaps.is_empty(), "{flaps:?}");
    assert_eq!(frr_status(&frr), "up");

    // --- link cut ------------------------------------------------------------------------
    let cut_wall = SystemTime::now();
    let cut = Instant::now();
    switch.ip(&["link", "set", "p1", "nomaster"]).expect("cut");
    let cut_done = Instant::now();
    // FRR: poll as fast as vtysh answers until it says down; the time seen is an upper bound
    // of its detection (by one vtysh round trip).
    let mut frr_down = None;
    let mut polls = Vec::new();
    while Instant::now() < cut + Duration::from_secs(3) {
        let asked = Instant::now();
        let status = frr_status(&frr);
        polls.push(Instant::now() - asked);
        if status == "down" {
            frr_down = Some(Instant::now());
            break;
        }
    }
    let slowest = polls.iter().max().copied().unwrap_or_default();
    let our_down = ours.wait("our session Down", Duration::from_secs(3), |r| r.event.is_down());
    let frr_down = frr_down.unwrap_or_else(|| panic!("FRR still up: {}", frr_peer(&frr)));
    let ours_after = our_down - cut;
    let frr_after = frr_down - cut;
    eprintln!(
        "link cut (took {:?}): detected by us after {ours_after:?}, seen down in FRR after \
         {frr_after:?} (polled {} times, slowest poll {slowest:?})",
        cut_done - cut,
        polls.len()
    );
    let down = ours.log.last().map(|(_, r)| r.event);
    assert!(
        matches!(
            down,
            Some(Event::StateChanged {
                from: State::Up,
                to: State::Down,
                diag: Diagnostic::CONTROL_DETECTION_TIME_EXPIRED,
                ..
            })
        ),
        "{down:?}"
    );
    // Detection is 3 x 300 ms after the last packet, which came at most 300 ms before the
    // cut: between 600 ms and 900 ms after it, under a second with scheduling slack.
    assert!(ours_after < Duration::from_secs(1), "{ours_after:?}");
    assert!(ours_after >= Duration::from_millis(550), "{ours_after:?}");
    // (FRR's time is timed from the capture below; polling vtysh only bounds it.)
    assert!(frr_after < Duration::from_secs(2), "{frr_after:?}");
    let peer = frr_peer(&frr);
    assert_eq!(peer["diagnostic"], "control detection time expired", "{peer}");

    // What the wire says: FRR sent Down (diag 1) at once when its detection time expired,
    // 3 x 300 ms after the last packet it got from us.
    std::thread::sleep(Duration::from_millis(300));
    frr_capture.stop();
    our_capture.stop();
    let at_frr = read_capture(&frr_pcap);
    let at_us = read_capture(&our_pcap);
    let frr_first_down = at_frr
        .iter()
        .find(|c| c.src == FRR && c.at > cut_wall && c.packet.state == State::Down)
        .unwrap_or_else(|| panic!("no Down from FRR after the cut: {at_frr:?}"));
    assert_eq!(frr_first_down.packet.diag, Diagnostic::CONTROL_DETECTION_TIME_EXPIRED);
    let last_heard_by_frr = at_frr
        .iter()
        .filter(|c| c.src == US && c.at < frr_first_down.at)
        .map(|c| c.at)
        .max()
        .expect("FRR heard us");
    let frr_detect = after(frr_first_down.at, cut_wall);
    let frr_since_last = after(frr_first_down.at, last_heard_by_frr);
    eprintln!(
        "FRR sent Down {frr_detect:?} after the cut, {frr_since_last:?} after the last packet \
         it received from us"
    );
    assert!(frr_detect < Duration::from_secs(1), "{frr_detect:?}");
    assert!(
        frr_since_last >= Duration::from_millis(880) && frr_since_last < Duration::from_secs(1),
        "{frr_since_last:?}"
    );
    // Ours on the wire: TTL 255 (RFC 5881 §5), one source port from 49152-65535, port 3784.
    let ours_sent: Vec<&Captured> = at_us.iter().filter(|c| c.src == US).collect();
    assert!(ours_sent.len() > 10, "{ours_sent:?}");
    let port = ours_sent[0].src_port;
    assert!(port >= 49152, "{port}");
    for c in &ours_sent {
        assert_eq!((c.ttl, c.src_port, c.dst_port), (255, port, 3784), "{c:?}");
    }
    assert!(at_us.iter().filter(|c| c.src == FRR).all(|c| c.ttl == 255));
    let our_first_down = ours_sent
        .iter()
        .find(|c| c.at > cut_wall && c.packet.state == State::Down)
        .expect("our Down packet");
    // It leaves with the next periodic packet: up to one interval after the detection.
    let ours_wire = after(our_first_down.at, cut_wall);
    eprintln!("our first Down packet left {ours_wire:?} after the cut");
    assert_eq!(our_first_down.packet.diag, Diagnostic::CONTROL_DETECTION_TIME_EXPIRED);
    // Our detection against the last packet from FRR that reached our interface.
    let our_down_wall = cut_wall + ours_after;
    let last_heard_by_us = at_us
        .iter()
        .filter(|c| c.src == FRR && c.at < our_down_wall)
        .map(|c| c.at)
        .max()
        .expect("we heard FRR");
    let ours_since_last = after(our_down_wall, last_heard_by_us);
    eprintln!("we reported Down {ours_since_last:?} after the last packet from FRR");
    assert!(
        ours_since_last >= Duration::from_millis(880) && ours_since_last < Duration::from_secs(1),
        "{ours_since_last:?}"
    );

    // --- repair --------------------------------------------------------------------------
    switch.ip(&["link", "set", "p1", "master", "br0"]).expect("repair");
    ours.wait("our session Up again", Duration::from_secs(20), |r| is_state(r, State::Up));
    netlab::wait_until(Duration::from_secs(10), Duration::from_millis(50), "FRR up again", || {
        frr_status(&frr) == "up"
    })
    .unwrap_or_else(|e| panic!("{e}: {}", frr_peer(&frr)));

    // --- TTL check (RFC 5881 §5) ---------------------------------------------------------
    // A Control packet from FRR's namespace with TTL 254 is dropped before it reaches the
    // session; the same packet with TTL 255 gets past the check.
    let before = ours.stats().0;
    let packet = bfd::ControlPacket::decode(bytes::Bytes::from_static(&[
        0x20, 0x40, 0x03, 0x18, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0x0f, 0x42, 0x40, 0, 0x04, 0x93, 0xe0,
        0, 0, 0, 0,
    ]))
    .expect("valid packet");
    {
        let _in = them.enter().expect("enter FRR's namespace");
        let sock = UdpSocket::bind(SocketAddr::new(IpAddr::V4(FRR), 0)).expect("socket");
        for ttl in [254, 255] {
            sock.set_ttl(ttl).expect("ttl");
            sock.send_to(&packet.to_bytes(), SocketAddr::new(IpAddr::V4(US), 3784)).expect("send");
        }
    }
    let mut after = ours.stats().0;
    let deadline = Instant::now() + Duration::from_secs(2);
    while after.received < before.received + 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        after = ours.stats().0;
    }
    assert_eq!(after.bad_ttl, before.bad_ttl + 1, "{before:?} -> {after:?}");
    // The TTL-255 copy reached the table, which found the Up session by key (Your
    // Discriminator zero) and accepted it: a Down from the peer takes the session down.
    assert!(after.received >= before.received + 2, "{before:?} -> {after:?}");
    assert_eq!(after.discarded, before.discarded, "{before:?} -> {after:?}");
    ours.wait("Down signalled by the TTL-255 packet", Duration::from_secs(2), |r| {
        matches!(
            r.event,
            Event::StateChanged {
                from: State::Up,
                to: State::Down,
                diag: Diagnostic::NEIGHBOR_SIGNALED_SESSION_DOWN,
                ..
            }
        )
    });
    drop(ours);
    drop(frr);
    drop(lab);
}

/// The lab of the first test with FRR's session configured by `frr_peer_line` (FRR shows it
/// under `frr_peer_addr`) and ours by `driver` and `ours_cfg`: Up on both sides, then a cut
/// detected on both (ours timed, FRR's polled).
fn up_and_cut(
    v6: bool,
    frr_peer_line: &str,
    frr_peer_addr: &str,
    driver: DriverConfig,
    ours_cfg: PeerConfig,
) {
    let _s = serial();
    let lab = Lab::new("bfd").expect("lab");
    let us = lab.node("us").expect("node");
    let them = lab.node("frr").expect("node");
    let switch = lab.segment("sw", &[(&us, "eth0"), (&them, "eth0")]).expect("segment");
    if v6 {
        us.add_addr("eth0", "fd00::1/64").expect("addr");
        them.add_addr("eth0", "fd00::2/64").expect("addr");
    } else {
        us.add_addr("eth0", "10.0.0.1/24").expect("addr");
        them.add_addr("eth0", "10.0.0.2/24").expect("addr");
    }
    let target = if v6 { "fd00::2" } else { "10.0.0.2" };
    // Until duplicate address detection is over the addresses cannot be bound.
    netlab::wait_until(Duration::from_secs(10), Duration::from_millis(100), "ping", || {
        us.exec(&["ping", "-c1", "-W1", target]).is_ok()
    })
    .expect("link works");
    let frr = Frr::start(&them, &lab.subdir("frr").expect("dir"), &[(FrrDaemon::Bfdd, BFDD_CONF)])
        .expect("FRR bfdd");
    configure_peer(&frr, frr_peer_line, frr_peer_addr);
    let mut ours = Ours::start(&us, driver, ours_cfg);
    ours.wait("our session Up", Duration::from_secs(20), |r| is_state(r, State::Up));
    netlab::wait_until(Duration::from_secs(10), Duration::from_millis(50), "FRR up", || {
        frr_status_at(&frr, frr_peer_addr) == "up"
    })
    .unwrap_or_else(|e| panic!("{e}: {}", frr_peer_at(&frr, frr_peer_addr)));
    std::thread::sleep(Duration::from_secs(2));
    let (stats, state, tx, detect) = ours.stats();
    assert_eq!(state, Some(State::Up));
    assert_eq!(tx, Some(Duration::from_millis(300)));
    assert_eq!(detect, Some(Duration::from_millis(900)));
    assert_eq!((stats.bad_ttl, stats.discarded), (0, 0), "{stats:?}");

    let cut = Instant::now();
    switch.ip(&["link", "set", "p1", "nomaster"]).expect("cut");
    let our_down = ours.wait("our session Down", Duration::from_secs(3), |r| r.event.is_down());
    let detected = our_down - cut;
    eprintln!("link cut: detected by us after {detected:?}");
    assert!(detected < Duration::from_secs(1), "{detected:?}");
    assert!(matches!(
        ours.log.last().map(|(_, r)| r.event),
        Some(Event::StateChanged { diag: Diagnostic::CONTROL_DETECTION_TIME_EXPIRED, .. })
    ));
    netlab::wait_until(Duration::from_secs(2), Duration::from_millis(20), "FRR down", || {
        frr_status_at(&frr, frr_peer_addr) == "down"
    })
    .unwrap_or_else(|e| panic!("{e}: {}", frr_peer_at(&frr, frr_peer_addr)));
    eprintln!("FRR down seen {:?} after the cut", cut.elapsed());
    drop(ours);
    drop(frr);
    drop(lab);
}

#[test]
fn frr_bfdd_ipv6_single_hop() {
    let config = Config::new(Discriminator::new(1).expect("non-zero"));
    up_and_cut(
        true,
        "peer fd00::1 local-address fd00::2 interface eth0",
        "fd00::1",
        DriverConfig { seed: 8, ipv4: false, ipv6: true, ..DriverConfig::default() },
        PeerConfig {
            local: "fd00::1".parse().expect("address"),
            peer: "fd00::2".parse().expect("address"),
            hop: Hop::Single { interface: "eth0".into() },
            session: config,
        },
    );
}

#[test]
fn frr_bfdd_multihop_ipv4() {
    let config = Config::new(Discriminator::new(1).expect("non-zero"));
    up_and_cut(
        false,
        "peer 10.0.0.1 multihop local-address 10.0.0.2",
        "10.0.0.1",
        DriverConfig { seed: 9, multihop: true, ..DriverConfig::default() },
        PeerConfig {
            local: IpAddr::V4(US),
            peer: IpAddr::V4(FRR),
            hop: Hop::Multi,
            session: config,
        },
    );
}
