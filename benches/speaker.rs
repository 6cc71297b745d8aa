//! The multi-peer speaker at full-table scale: a full table arriving as UPDATE octets from one
//! external peer, through the sessions into the Loc-RIB; and the same table going on to the
//! Adj-RIB-Out of 1, 10 and 100 external peers, in one update group or in one group each,
//! until every peer's UPDATE octets are produced. Bytes per path from a counting allocator;
//! the routing table alone (as `rib.rs` measures it) as the baseline in the same run. See
//! `README.md`.
//!
//! Environment: `BGP_BENCH_PREFIXES=N` uses only the first N prefixes of each table,
//! `BGP_BENCH_PEERS=1,10` only these numbers of peers; `BGP_BENCH_DATA=DIR` reads the data
//! from DIR instead of `../shared/data`.

use std::alloc::System;
use std::cell::RefCell;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use benches::support::prefixes::{self, IPV4_FILE, IPV6_FILE};
use benches::support::raw;
use benches::support::table::{Table, TableFamily, PEER_AS, PEER_V4, PEER_V6};
use benches::support::wire as wire_support;
use bgp_fsm::{Action, ConnId, Neighbor, PeerAs, Session, State};
use bgp_speaker::{NeighborConfig, NeighborId, Speaker, SpeakerConfig};
use bgp_wire::update::builder;
use bgp_wire::update::Update;
use bgp_wire::{Asn, Family};
use bytes::{Bytes, BytesMut};
use criterion::{Criterion, SamplingMode};
use ipnet::IpNet;
use rib::{PeerConfig, PeerId, Rib, RibConfig};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The table's attributes, as in `rib.rs` and `bgp_wire.rs`.
const SEED: u64 = 0x0d05_2026_0511;
const LOCAL_AS: Asn = Asn(65000);
const ROUTER_ID: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
/// Our addresses on the source peer's link (the collector's exchange). Not among the
/// third-party next hops of the table (193.0.0.1-254): RFC 4271 §6.3 has a speaker ignore
/// routes whose next hop is its own address.
const SOURCE_LAN_V4: Ipv4Addr = Ipv4Addr::new(193, 0, 1, 254);
const SOURCE_LAN_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0x7f8, 0, 0, 0, 0, 0, 0xfe);
/// Our addresses on the link shared with the peers we export to.
const PEER_LAN_V4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 254);
const PEER_LAN_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0xfe);
/// The AS of the peers we export to; with [`Groups::Ases`], peer `n` (from 1) is in
/// `FIRST_AS + n`.
const FIRST_AS: u32 = 64600;
/// One read from a socket, as `bgp-tokio` does them.
const READ: usize = 64 * 1024;

/// The source peer's table as the octets of its two sessions (IPv4 unicast on one, IPv6
/// unicast on the other, each ending with End-of-RIB), encoded once.
struct Feed {
    v4: Bytes,
    v6: Bytes,
    /// The same UPDATEs decoded, for the table alone.
    updates: Vec<Update>,
    v4_paths: usize,
    v6_paths: usize,
}

impl Feed {
    fn paths(&self) -> usize {
        self.v4_paths + self.v6_paths
    }
}

fn load_prefixes(file: &str, limit: Option<usize>) -> Vec<IpNet> {
    let path = prefixes::data_dir().join(file);
    prefixes::load(&path, limit)
        .unwrap_or_else(|e| panic!("the speaker bench needs {}: {e}", path.display()))
}

fn feed(v4: &[IpNet], v6: &[IpNet]) -> Feed {
    let ctx = wire_support::context();
    let mut updates = Vec::new();
    let mut stream = |family: TableFamily, prefixes: &[IpNet], f: Family| {
        let corpus = raw::encode_table(&Table::generate(family, prefixes, SEED));
        for i in 0..corpus.messages.len() {
            let m = corpus.message(i).expect("message");
            updates.push(Update::decode_message(m, &ctx).expect("generated UPDATE decodes"));
        }
        let mut buf = BytesMut::with_capacity(corpus.bytes.len() + 64);
        buf.extend_from_slice(&corpus.bytes);
        builder::end_of_rib(&ctx, f, &mut buf);
        buf.freeze()
    };
    let v4_bytes = stream(TableFamily::Ipv4, v4, Family::IPV4_UNICAST);
    let v6_bytes = stream(TableFamily::Ipv6, v6, Family::IPV6_UNICAST);
    Feed { v4: v4_bytes, v6: v6_bytes, updates, v4_paths: v4.len(), v6_paths: v6.len() }
}

/// One of the speaker's sessions, with a `bgp_fsm::Session` as the neighbour's end.
struct Link {
    id: NeighborId,
    conn: ConnId,
    remote: Session,
}

/// A speaker with its sessions Established: the source peer's two, then two per peer we
/// export to.
struct Setup {
    speaker: Speaker,
    links: Vec<Link>,
    now: Instant,
}

/// How the peers we export to are configured. Every export route map permits everything, so
/// that what each peer is sent is the same and only the grouping differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Groups {
    /// Same AS, capabilities and export route map (`PEERS`), on one link: one update group
    /// per family.
    Shared,
    /// The same, but each peer in an AS of its own: still one group per family.
    Ases,
    /// Same AS, each peer its own export route map (`PEER-i`): a group per peer and family.
    Separate,
}

impl Groups {
    /// Update groups made for `peers` peers (two sessions each).
    fn count(self, peers: usize) -> usize {
        match self {
            _ if peers == 0 => 0,
            Groups::Shared | Groups::Ases => 2,
            Groups::Separate => 2 * peers,
        }
    }
}

/// The export route maps: `PEERS` and `PEER-0`.. `PEER-{n-1}` permit everything, `NONE`
/// denies everything.
fn policy(peers: usize) -> rib::policy::Policy {
    let mut text = String::from("route-map PEERS permit 10\nroute-map NONE deny 10\n");
    for i in 0..peers {
        text.push_str(&format!("route-map PEER-{i} permit 10\n"));
    }
    rib::policy::Policy::parse(&text).expect("route maps")
}

/// Adds a neighbour at `remote` (AS `asn`) for `family`, the session to it connected from
/// its side; the exchange of OPENs and KEEPALIVEs is left to [`Setup::pump`].
fn connect(
    s: &mut Setup,
    (asn, router_id): (Asn, Ipv4Addr),
    remote: IpAddr,
    local: IpAddr,
    family: Family,
    export: Option<&str>,
) {
    let now = s.now;
    let mut ours =
        bgp_fsm::Config::new(LOCAL_AS, ROUTER_ID, PeerAs::Number(asn), neighbor_at(remote));
    ours.passive = true;
    ours.families = vec![family];
    let mut cfg = NeighborConfig::new(ours);
    cfg.export = export.map(str::to_owned);
    let id = s.speaker.add_neighbor(now, cfg).expect("neighbour config");
    assert_eq!(id.0 as usize, s.links.len(), "neighbour ids are given in order");
    let mut theirs =
        bgp_fsm::Config::new(asn, router_id, PeerAs::Number(LOCAL_AS), neighbor_at(local));
    theirs.families = vec![family];
    let mut peer = Session::new(theirs).expect("peer config");
    peer.start(now);
    assert!(
        matches!(peer.poll_action(), Some(Action::Connect { .. })),
        "the peer's session asks to connect"
    );
    let conn = ConnId(s.links.len() as u64 + 1);
    let (remote, local) = (SocketAddr::new(remote, 40000), SocketAddr::new(local, 179));
    peer.handle_connected(now, conn, remote);
    let accepted = s.speaker.handle_incoming(now, conn, remote, local, None);
    assert_eq!(accepted, Some(id), "the speaker takes the connection");
    s.links.push(Link { id, conn, remote: peer });
}

fn neighbor_at(addr: IpAddr) -> Neighbor {
    Neighbor::Address { addr, scope: None }
}

impl Setup {
    /// The source peer (AS3333, both families; `source_export` its export route map), and
    /// `peers` peers to export to.
    fn new(peers: usize, groups: Groups, source_export: Option<&str>) -> Setup {
        let mut cfg = SpeakerConfig::new(LOCAL_AS, ROUTER_ID);
        cfg.policy = policy(peers);
        let speaker = Speaker::new(cfg).expect("speaker config");
        let mut s = Setup { speaker, links: Vec::new(), now: Instant::now() };
        let source = (Asn(PEER_AS), Ipv4Addr::new(193, 0, 0, 56));
        let (v4, v6) = (IpAddr::V4(PEER_V4), IpAddr::V6(PEER_V6));
        let (l4, l6) = (IpAddr::V4(SOURCE_LAN_V4), IpAddr::V6(SOURCE_LAN_V6));
        connect(&mut s, source, v4, l4, Family::IPV4_UNICAST, source_export);
        connect(&mut s, source, v6, l6, Family::IPV6_UNICAST, source_export);
        for i in 0..peers {
            let n = i as u32 + 1;
            let asn = Asn(if groups == Groups::Ases { FIRST_AS + n } else { FIRST_AS });
            let export = match groups {
                Groups::Shared | Groups::Ases => "PEERS".to_owned(),
                Groups::Separate => format!("PEER-{i}"),
            };
            let peer = (asn, Ipv4Addr::from(0x0a00_0000 | n));
            let v4 = IpAddr::V4(Ipv4Addr::from(u32::from(PEER_LAN_V4) & !0xff | n));
            let v6 = IpAddr::V6(Ipv6Addr::from(u128::from(PEER_LAN_V6) & !0xffff | u128::from(n)));
            let (l4, l6) = (IpAddr::V4(PEER_LAN_V4), IpAddr::V6(PEER_LAN_V6));
            connect(&mut s, peer, v4, l4, Family::IPV4_UNICAST, Some(&export));
            connect(&mut s, peer, v6, l6, Family::IPV6_UNICAST, Some(&export));
        }
        s.pump();
        for l in &s.links {
            let ours = s.speaker.session(l.id).map(Session::state);
            assert_eq!(ours, Some(State::Established), "{} is up", l.id);
            assert_eq!(l.remote.state(), State::Established, "{}'s peer is up", l.id);
        }
        let made = s.speaker.summary(s.now).update_groups;
        assert_eq!(made, 2 + groups.count(peers), "{groups:?}: update groups for {peers} peers");
        s
    }

    /// Carries messages both ways until both ends are quiet.
    fn pump(&mut self) {
        let now = self.now;
        loop {
            let mut moved = false;
            for l in &mut self.links {
                while let Some(t) = l.remote.poll_transmit() {
                    moved = true;
                    self.speaker.handle_data(now, l.id, l.conn, t.bytes);
                }
                while l.remote.poll_event().is_some() {}
                while l.remote.poll_action().is_some() {}
            }
            while let Some((id, t)) = self.speaker.poll_transmit() {
                moved = true;
                if let Some(l) = self.links.get_mut(id.0 as usize) {
                    l.remote.handle_data(now, t.conn, t.bytes);
                }
            }
            drain_app(&mut self.speaker, &mut Tally::default());
            if !moved {
                return;
            }
        }
    }

    /// The source peer's table arrives, one 64 KiB read at a time on each of its two
    /// sessions in turn; after each read the speaker's output is taken as a driver takes it:
    /// the octets to write (the wire takes them whole), then events, best-path changes and
    /// FIB changes for the application.
    fn feed(&mut self, f: &Feed, tally: &mut Tally) {
        let now = self.now;
        let (a, b) = (&self.links[0], &self.links[1]);
        let (mut i, mut j) = (0, 0);
        while i < f.v4.len() || j < f.v6.len() {
            if i < f.v4.len() {
                let end = (i + READ).min(f.v4.len());
                self.speaker.handle_data(now, a.id, a.conn, f.v4.slice(i..end));
                i = end;
                drain(&mut self.speaker, now, tally);
            }
            if j < f.v6.len() {
                let end = (j + READ).min(f.v6.len());
                self.speaker.handle_data(now, b.id, b.conn, f.v6.slice(j..end));
                j = end;
                drain(&mut self.speaker, now, tally);
            }
        }
    }
}

/// What came out of the speaker.
#[derive(Default)]
struct Tally {
    /// Octets written, per neighbour.
    octets: Vec<u64>,
    /// What was written to these neighbours, kept for checking.
    keep: Vec<(NeighborId, Vec<Bytes>)>,
    events: usize,
    route_changes: usize,
    fib_changes: usize,
}

fn drain(sp: &mut Speaker, now: Instant, t: &mut Tally) {
    while let Some((id, tx)) = sp.poll_transmit() {
        let i = id.0 as usize;
        if t.octets.len() <= i {
            t.octets.resize(i + 1, 0);
        }
        t.octets[i] += tx.bytes.len() as u64;
        if let Some((_, kept)) = t.keep.iter_mut().find(|(k, _)| *k == id) {
            kept.push(tx.bytes.clone());
        }
        // The socket took it all.
        sp.handle_write_progress(now, id, tx.conn, 0);
    }
    drain_app(sp, t);
}

fn drain_app(sp: &mut Speaker, t: &mut Tally) {
    while let Some(a) = sp.poll_action() {
        black_box(a);
    }
    while let Some(e) = sp.poll_event() {
        black_box(e);
        t.events += 1;
    }
    while let Some(c) = sp.poll_route_change() {
        black_box(c);
        t.route_changes += 1;
    }
    while let Some(c) = sp.poll_fib() {
        black_box(c);
        t.fib_changes += 1;
    }
}

/// Reads UPDATEs written to a peer: (routes announced, UPDATE messages), checking that each
/// route carries our AS first.
fn announced(chunks: &[Bytes]) -> (usize, usize) {
    let ctx = wire_support::context();
    let (mut routes, mut messages) = (0, 0);
    for chunk in chunks {
        let mut rest = chunk.clone();
        while rest.len() >= 19 {
            let len = usize::from(u16::from_be_bytes([rest[16], rest[17]]));
            assert!((19..=rest.len()).contains(&len), "a whole message");
            let msg = rest.split_to(len);
            if msg[18] != 2 {
                continue;
            }
            let u = Update::decode_message(msg, &ctx).expect("the speaker's UPDATE decodes");
            messages += 1;
            if u.end_of_rib().is_some() {
                continue;
            }
            let n = u.nlri().count() + u.mp_reach().map_or(0, |m| m.routes().count());
            if n > 0 {
                let first = u.attributes().as_path_ref().and_then(|p| p.first_as());
                assert_eq!(first, Some(LOCAL_AS), "our AS leads the path");
            }
            routes += n;
        }
    }
    (routes, messages)
}

/// Runs the table through a speaker with two peers and reads what the first was sent.
fn check(f: &Feed) {
    for groups in [Groups::Shared, Groups::Ases, Groups::Separate] {
        let mut s = Setup::new(2, groups, None);
        let keep = vec![(NeighborId(2), Vec::new()), (NeighborId(3), Vec::new())];
        let mut t = Tally { keep, ..Tally::default() };
        s.feed(f, &mut t);
        let (r4, m4) = announced(&t.keep[0].1);
        let (r6, m6) = announced(&t.keep[1].1);
        assert_eq!(r4, f.v4_paths, "{groups:?}: every IPv4 route went to the first peer");
        assert_eq!(r6, f.v6_paths, "{groups:?}: every IPv6 route went to the first peer");
        assert_eq!(t.route_changes, f.paths(), "one best-path change per prefix");
        assert_eq!(t.fib_changes, f.paths(), "one FIB change per prefix");
        let same = t.octets.get(2) == t.octets.get(4) && t.octets.get(3) == t.octets.get(5);
        assert!(same, "{groups:?}: both peers were sent as many octets");
        println!(
            "check {groups:?}: a peer was sent {r4} IPv4 routes in {m4} UPDATEs ({} octets), {r6} IPv6 routes in {m6} ({} octets); back to the source: {} + {} octets; {} events",
            t.octets[2], t.octets[3], t.octets[0], t.octets[1], t.events
        );
    }
}

/// The table alone, as `rib.rs` measures it: decoded UPDATEs into a `Rib`, every best-path
/// and FIB change taken.
fn rib_alone(r: &mut Rib, f: &Feed, now: Instant) -> usize {
    let ctx = wire_support::context();
    let mut p = PeerConfig::external(IpAddr::V4(PEER_V4), Asn(PEER_AS), PEER_V4);
    p.ifindex = Some(2);
    let peer: PeerId = r.add_peer(p);
    for u in &f.updates {
        black_box(r.handle_update(now, peer, u, &ctx));
    }
    while r.poll_best().is_some() {}
    let mut n = 0;
    while let Some(c) = r.poll_fib() {
        black_box(&c);
        n += 1;
    }
    n
}

/// The same with decoding: each UPDATE cut out of the stream and decoded, then inserted.
fn rib_decoding(r: &mut Rib, f: &Feed, now: Instant) -> usize {
    let ctx = wire_support::context();
    let mut p = PeerConfig::external(IpAddr::V4(PEER_V4), Asn(PEER_AS), PEER_V4);
    p.ifindex = Some(2);
    let peer: PeerId = r.add_peer(p);
    for stream in [&f.v4, &f.v6] {
        let mut rest = stream.clone();
        while rest.len() >= 19 {
            let len = usize::from(u16::from_be_bytes([rest[16], rest[17]]));
            assert!((19..=rest.len()).contains(&len), "a whole message");
            let u = Update::decode_message(rest.split_to(len), &ctx).expect("UPDATE");
            black_box(r.handle_update(now, peer, &u, &ctx));
        }
    }
    while r.poll_best().is_some() {}
    let mut n = 0;
    while let Some(c) = r.poll_fib() {
        black_box(&c);
        n += 1;
    }
    n
}

fn rib_config() -> RibConfig {
    RibConfig::new(LOCAL_AS, ROUTER_ID)
}

/// A row whose first run takes longer than this is run [`LONG_RUNS`] times in all, by the
/// bench itself rather than criterion (which would want at least 11).
const LONG: Duration = Duration::from_secs(20);
const LONG_RUNS: usize = 3;

/// Times and bytes of one row, kept to print a summary with ratios at the end.
struct Row {
    name: String,
    paths: usize,
    /// Peers exported to, for the cost per peer over `first`.
    peers: usize,
    /// Index of the row this one is compared with.
    base: Option<usize>,
    times: Vec<Duration>,
    /// Net bytes allocated by the timed part, with its result alive.
    bytes: Vec<isize>,
}

impl Row {
    fn median(&self) -> Option<Duration> {
        let mut v = self.times.clone();
        v.sort_unstable();
        v.get(v.len() / 2).copied()
    }

    fn ns_per_path(&self, d: Duration) -> f64 {
        d.as_nanos() as f64 / self.paths.max(1) as f64
    }

    fn bytes(&self) -> isize {
        self.bytes.iter().min().copied().unwrap_or(0)
    }
}

#[derive(Default)]
struct Rows(RefCell<Vec<Row>>);

impl Rows {
    /// Times `run` on a fresh `setup()` each iteration (setup and the drop untimed); also
    /// counts the bytes `run` leaves allocated. Returns the row's index.
    #[allow(clippy::too_many_arguments)]
    fn time<S>(
        &self,
        c: &mut Criterion,
        (group, name): (&str, &str),
        paths: usize,
        peers: usize,
        base: Option<usize>,
        mut setup: impl FnMut() -> S,
        mut run: impl FnMut(&mut S),
    ) -> usize {
        let idx = {
            let mut rows = self.0.borrow_mut();
            rows.push(Row {
                name: format!("{group}/{name}"),
                paths,
                peers,
                base,
                times: Vec::new(),
                bytes: Vec::new(),
            });
            rows.len() - 1
        };
        let mut once = || {
            let mut s = setup();
            let region = Region::new(GLOBAL);
            let t = Instant::now();
            run(&mut s);
            let e = t.elapsed();
            let a = region.change();
            let mut rows = self.0.borrow_mut();
            rows[idx].times.push(e);
            rows[idx].bytes.push(a.bytes_allocated as isize - a.bytes_deallocated as isize);
            drop(rows);
            drop(s);
            e
        };
        let id = format!("{group}/{name}");
        if selected(&id) && once() > LONG {
            for _ in 1..LONG_RUNS {
                once();
            }
            return idx;
        }
        let mut g = c.benchmark_group(group);
        g.sampling_mode(SamplingMode::Flat);
        g.bench_function(name, |b| {
            b.iter_custom(|iters| (0..iters).map(|_| once()).sum());
        });
        g.finish();
        idx
    }

    fn print(&self) {
        let rows = self.0.borrow();
        println!(
            "\n{:<36} {:>4} {:>10} {:>9} {:>9} {:>7} {:>11} {:>12} {:>7} {:>9}",
            "row",
            "runs",
            "median",
            "ns/path",
            "best",
            "x base",
            "+ns/path/pr",
            "bytes",
            "B/path",
            "+B/path/pr"
        );
        let first = rows.iter().find(|r| r.name == "table-in/speaker");
        for r in rows.iter() {
            let (Some(m), Some(b)) = (r.median(), r.times.iter().min().copied()) else { continue };
            let ratio = r
                .base
                .and_then(|i| rows.get(i))
                .and_then(|base| Some(r.ns_per_path(m) / base.ns_per_path(base.median()?)))
                .map_or("-".to_owned(), |x| format!("{x:.2}"));
            // What each peer adds to taking the table in.
            let per_peer = first.filter(|_| r.peers > 0).and_then(|f| {
                let t = (r.ns_per_path(m) - f.ns_per_path(f.median()?)) / r.peers as f64;
                let b = (r.bytes() - f.bytes()) as f64 / r.paths.max(1) as f64 / r.peers as f64;
                Some((format!("{t:.1}"), format!("{b:.1}")))
            });
            let (pt, pb) = per_peer.unwrap_or(("-".to_owned(), "-".to_owned()));
            println!(
                "{:<36} {:>4} {:>10.3?} {:>9.1} {:>9.1} {:>7} {:>11} {:>12} {:>7.1} {:>9}",
                r.name,
                r.times.len(),
                m,
                r.ns_per_path(m),
                r.ns_per_path(b),
                ratio,
                pt,
                r.bytes(),
                r.bytes() as f64 / r.paths.max(1) as f64,
                pb
            );
        }
    }
}

/// Whether criterion will run the benchmark `id`: the command line's filter (the first
/// argument that is neither an option nor an option's value) is absent, or one of its
/// `|`-separated alternatives is part of `id`.
fn selected(id: &str) -> bool {
    const VALUED: [&str; 14] = [
        "--save-baseline",
        "--baseline",
        "--load-baseline",
        "--baseline-lenient",
        "--profile-time",
        "--sample-size",
        "--warm-up-time",
        "--measurement-time",
        "--nresamples",
        "--noise-threshold",
        "--confidence-level",
        "--significance-level",
        "--output-format",
        "--color",
    ];
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if VALUED.contains(&a.as_str()) {
            args.next();
        } else if !a.starts_with('-') {
            return a.split('|').any(|alt| id.contains(alt));
        }
    }
    true
}

fn main() {
    let limit = std::env::var("BGP_BENCH_PREFIXES").ok().and_then(|v| v.parse().ok());
    let peer_counts: Vec<usize> = std::env::var("BGP_BENCH_PEERS")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 10, 100]);
    let v4 = load_prefixes(IPV4_FILE, limit);
    let v6 = load_prefixes(IPV6_FILE, limit);
    let f = feed(&v4, &v6);
    let paths = f.paths();
    println!(
        "table: {} IPv4 + {} IPv6 prefixes, {} UPDATEs, {} + {} octets",
        v4.len(),
        v6.len(),
        f.updates.len(),
        f.v4.len(),
        f.v6.len()
    );
    check(&f);

    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let rows = Rows::default();
    let now = Instant::now();
    let rib = rows.time(
        &mut c,
        ("table-in", "rib alone"),
        paths,
        0,
        None,
        || Rib::new(rib_config()),
        |r| {
            black_box(rib_alone(r, &f, now));
        },
    );
    rows.time(
        &mut c,
        ("table-in", "rib with decoding"),
        paths,
        0,
        Some(rib),
        || Rib::new(rib_config()),
        |r| {
            black_box(rib_decoding(r, &f, now));
        },
    );
    let speaker = rows.time(
        &mut c,
        ("table-in", "speaker"),
        paths,
        0,
        Some(rib),
        || (Setup::new(0, Groups::Shared, None), Tally::default()),
        |(s, t)| s.feed(&f, t),
    );
    rows.time(
        &mut c,
        ("table-in", "speaker, nothing sent back"),
        paths,
        0,
        Some(rib),
        || (Setup::new(0, Groups::Shared, Some("NONE")), Tally::default()),
        |(s, t)| s.feed(&f, t),
    );
    for &n in &peer_counts {
        let mut shared = speaker;
        for groups in [Groups::Shared, Groups::Ases, Groups::Separate] {
            if n == 1 && groups != Groups::Shared {
                continue;
            }
            let name = match (n, groups) {
                (1, _) => "1 peer".to_owned(),
                (n, Groups::Shared) => format!("{n} peers, one group"),
                (n, Groups::Ases) => format!("{n} peers in {n} ASes"),
                (n, Groups::Separate) => format!("{n} peers, {n} groups"),
            };
            let base = if groups == Groups::Shared { speaker } else { shared };
            let i = rows.time(
                &mut c,
                ("table-out", &name),
                paths,
                n,
                Some(base),
                || (Setup::new(n, groups, None), Tally::default()),
                |(s, t)| s.feed(&f, t),
            );
            if groups == Groups::Shared {
                shared = i;
            }
        }
    }
    c.final_summary();
    rows.print();
}
