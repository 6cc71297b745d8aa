//! The routing table at full-table scale: insert and decide, a second peer with multipath,
//! withdraw a peer, the recorded day of churn, exact and longest-prefix lookups, and bytes
//! per path from a counting allocator; with the `prefix-trie` crate and a std `HashMap` of
//! the same prefixes as baselines in the same run. See `README.md`.
//!
//! Environment: `BGP_BENCH_PREFIXES=N` uses only the first N prefixes of each table and
//! `BGP_BENCH_CHURN=N` the first N churn events of each family; `BGP_BENCH_DATA=DIR` reads
//! the data from DIR instead of `../shared/data`.

use std::alloc::System;
use std::collections::HashMap;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

use benches::support::churn::{self, Event, IPV4_CHURN_FILE, IPV6_CHURN_FILE};
use benches::support::prefixes::{self, IPV4_FILE, IPV6_FILE};
use benches::support::raw;
use benches::support::table::{NextHop, Table, TableFamily, PEER_V4};
use benches::support::wire as wire_support;
use bgp_wire::attribute::{Attribute, MpUnreach, NextHop as WireNextHop, PathAttribute};
use bgp_wire::nlri::Nlri;
use bgp_wire::update::builder::{Encoding, UpdateBuilder};
use bgp_wire::update::{OwnedUpdate, Update};
use bgp_wire::{Asn, Family};
use bytes::{Bytes, BytesMut};
use criterion::{Criterion, SamplingMode};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use prefix_trie::PrefixMap;
use rib::{PeerConfig, PeerId, Rib, RibConfig};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const SEED: u64 = 0x0d05_2026_0511;
/// The second peer's attributes: different paths for every prefix.
const SEED_B: u64 = 0x0b0b_2026_0511;

/// One peer's full table as decoded UPDATEs (IPv4, then IPv6): what a session hands the
/// table, decoded once, read in place.
struct Feed {
    updates: Vec<Update>,
    prefixes: Vec<IpNet>,
    groups: Vec<Table>,
}

fn load_prefixes(file: &str, limit: Option<usize>) -> Vec<IpNet> {
    let path = prefixes::data_dir().join(file);
    prefixes::load(&path, limit)
        .unwrap_or_else(|e| panic!("the rib bench needs {}: {e}", path.display()))
}

fn feed(v4: &[IpNet], v6: &[IpNet], seed: u64, second: bool) -> Feed {
    let ctx = wire_support::context();
    let mut tables = vec![
        Table::generate(TableFamily::Ipv4, v4, seed),
        Table::generate(TableFamily::Ipv6, v6, seed),
    ];
    if second {
        // Another neighbour: its own next hop.
        for t in &mut tables {
            for g in &mut t.groups {
                g.attrs.next_hop = match g.attrs.next_hop {
                    NextHop::V4(_) => NextHop::V4(Ipv4Addr::new(193, 0, 0, 57)),
                    NextHop::V6 { link_local, .. } => NextHop::V6 {
                        global: Ipv6Addr::new(0x2001, 0x7f8, 0, 0, 0, 0, 0, 0x57),
                        link_local: link_local
                            .map(|_| Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x57)),
                    },
                };
            }
        }
    }
    let mut updates = Vec::new();
    for t in &tables {
        let corpus = raw::encode_table(t);
        for i in 0..corpus.messages.len() {
            let m = corpus.message(i).expect("message");
            updates.push(Update::decode_message(m, &ctx).expect("generated UPDATE decodes"));
        }
    }
    let prefixes = v4.iter().chain(v6).copied().collect();
    Feed { updates, prefixes, groups: tables }
}

fn config(max_paths: u16) -> RibConfig {
    let mut cfg = RibConfig::new(Asn(65000), Ipv4Addr::new(192, 0, 2, 254));
    cfg.bestpath.maximum_paths_ebgp = max_paths;
    cfg
}

/// The collector's peers: directly connected external neighbours.
fn peer(r: &mut Rib, second: bool) -> PeerId {
    let (v4, last) = if second { (Ipv4Addr::new(193, 0, 0, 57), 0x57) } else { (PEER_V4, 0x56) };
    let mut p = PeerConfig::external(IpAddr::V4(v4), Asn(3333), v4);
    if second {
        p.router_id = Ipv4Addr::new(193, 0, 0, last);
    }
    p.ifindex = Some(2);
    r.add_peer(p)
}

/// Feeds every UPDATE, then takes every best-path and FIB change: the table decided and
/// its forwarding diff produced. Returns the number of FIB changes.
fn load(r: &mut Rib, p: PeerId, f: &Feed, now: Instant) -> usize {
    let ctx = wire_support::context();
    for u in &f.updates {
        black_box(r.handle_update(now, p, u, &ctx));
    }
    drain(r)
}

fn drain(r: &mut Rib) -> usize {
    while r.poll_best().is_some() {}
    let mut n = 0;
    while let Some(c) = r.poll_fib() {
        black_box(&c);
        n += 1;
    }
    n
}

/// Times of one row, kept to print a summary with ratios at the end.
struct Row {
    name: String,
    per: usize,
    times: Vec<Duration>,
}

#[derive(Default)]
struct Rows(std::cell::RefCell<Vec<Row>>);

impl Rows {
    fn time<S>(
        &self,
        c: &mut Criterion,
        group: &str,
        name: &str,
        per: usize,
        mut setup: impl FnMut() -> S,
        mut run: impl FnMut(&mut S),
    ) {
        let idx = {
            let mut rows = self.0.borrow_mut();
            rows.push(Row { name: format!("{group}/{name}"), per, times: Vec::new() });
            rows.len() - 1
        };
        let mut g = c.benchmark_group(group);
        g.sampling_mode(SamplingMode::Flat);
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let mut s = setup();
                    let t = Instant::now();
                    run(&mut s);
                    let e = t.elapsed();
                    total += e;
                    self.0.borrow_mut()[idx].times.push(e);
                    drop(s);
                }
                total
            });
        });
        g.finish();
    }

    fn print(&self) {
        let rows = self.0.borrow();
        let med = |r: &Row| {
            let mut v = r.times.clone();
            v.sort_unstable();
            v.get(v.len() / 2).copied()
        };
        println!("\n{:<44} {:>12} {:>12} {:>10}", "row", "median", "ns/item", "x rib");
        for r in rows.iter() {
            let Some(m) = med(r) else { continue };
            let group = r.name.split('/').next().unwrap_or("");
            let base = rows
                .iter()
                .find(|b| b.name.starts_with(group) && b.name.contains("/rib"))
                .and_then(|b| Some(med(b)?.as_nanos() as f64 / b.per.max(1) as f64));
            let ns = m.as_nanos() as f64 / r.per.max(1) as f64;
            let ratio = base.map_or("-".to_owned(), |b| format!("{:.2}", ns / b));
            println!("{:<44} {:>12.3?} {:>12.1} {:>10}", r.name, m, ns, ratio);
        }
    }
}

/// Net bytes allocated while `f` runs and its result is alive (stats_alloc counts the growth
/// of a reallocation in `bytes_allocated` too, so `bytes_reallocated` is not added).
fn bytes_of<T>(f: impl FnOnce() -> T) -> (T, isize) {
    let region = Region::new(GLOBAL);
    let v = f();
    let s = region.change();
    (v, s.bytes_allocated as isize - s.bytes_deallocated as isize)
}

fn memory(a: &Feed, b: &Feed) {
    let now = Instant::now();
    let paths = a.prefixes.len();
    let ((mut r, p0), bytes) = bytes_of(|| {
        let mut r = Rib::new(config(2));
        let p = peer(&mut r, false);
        load(&mut r, p, a, now);
        (r, p)
    });
    println!(
        "\nmemory: one peer, {paths} paths, {} attribute sets: {bytes} bytes, {:.1} bytes/path",
        r.attribute_sets(),
        bytes as f64 / paths as f64
    );
    println!("memory: by structure: {:?}", r.memory());
    // A session reset and the whole table learnt again: the table must come back to its
    // size, not keep what the withdrawal left behind.
    let (_, relearn) = bytes_of(|| {
        r.withdraw_peer(now, p0);
        drain(&mut r);
        load(&mut r, p0, a, now);
    });
    println!(
        "memory: after withdrawing the peer and learning the table again: {relearn:+} bytes; by structure: {:?}",
        r.memory()
    );
    let (_, more) = bytes_of(|| {
        let p = peer(&mut r, true);
        load(&mut r, p, b, now);
    });
    println!(
        "memory: two peers, {} paths: {} bytes, {:.1} bytes/path",
        2 * paths,
        bytes + more,
        (bytes + more) as f64 / (2 * paths) as f64
    );
    drop(r);
    let (t, trie) = bytes_of(|| trie(&a.prefixes));
    println!(
        "memory: prefix-trie 0.8 PrefixMap<_, u32>: {trie} bytes, {:.1} bytes/prefix",
        trie as f64 / paths as f64
    );
    drop(t);
    let (h, hash) = bytes_of(|| hashmap(&a.prefixes));
    println!(
        "memory: std HashMap<IpNet, u32>: {hash} bytes, {:.1} bytes/prefix",
        hash as f64 / paths as f64
    );
    drop(h);
}

fn trie(ps: &[IpNet]) -> (PrefixMap<Ipv4Net, u32>, PrefixMap<Ipv6Net, u32>) {
    let mut v4 = PrefixMap::new();
    let mut v6 = PrefixMap::new();
    for (i, p) in ps.iter().enumerate() {
        match p {
            IpNet::V4(n) => v4.insert(*n, i as u32),
            IpNet::V6(n) => v6.insert(*n, i as u32),
        };
    }
    (v4, v6)
}

fn hashmap(ps: &[IpNet]) -> HashMap<IpNet, u32> {
    let mut m = HashMap::new();
    for (i, p) in ps.iter().enumerate() {
        m.insert(*p, i as u32);
    }
    m
}

/// An address inside each prefix, host bits from a fixed generator.
fn addresses(ps: &[IpNet]) -> Vec<IpAddr> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    ps.iter()
        .map(|p| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            match p {
                IpNet::V4(n) => {
                    let host = (x as u32) & !u32::from(n.netmask());
                    IpAddr::V4(Ipv4Addr::from(u32::from(n.network()) | host))
                }
                IpNet::V6(n) => {
                    let host = (u128::from(x) << 64 | u128::from(x.rotate_left(17)))
                        & !u128::from(n.netmask());
                    IpAddr::V6(Ipv6Addr::from(u128::from(n.network()) | host))
                }
            }
        })
        .collect()
}

/// Churn UPDATEs, one prefix each, with attributes of the peer's table: encoded once so
/// that the replay times only the table.
fn churn_updates(events: &[Event], tables: &[Table]) -> Vec<Update> {
    let ctx = wire_support::context();
    let sets: Vec<(Vec<PathAttribute>, WireNextHop)> = tables
        .iter()
        .flat_map(|t| t.groups.iter().step_by(97))
        .map(|g| (wire_support::attributes(&g.attrs), wire_support::next_hop(g.attrs.next_hop)))
        .collect();
    let (v4sets, v6sets): (Vec<_>, Vec<_>) =
        sets.into_iter().partition(|(_, nh)| matches!(nh, WireNextHop::Ipv4(_)));
    let mut buf = BytesMut::new();
    let mut out = Vec::with_capacity(events.len());
    for (i, e) in events.iter().enumerate() {
        buf.clear();
        match *e {
            Event::Announce(p) => {
                let (sets, family, enc) = match p {
                    IpNet::V4(_) => (&v4sets, Family::IPV4_UNICAST, Encoding::Classic),
                    IpNet::V6(_) => (&v6sets, Family::IPV6_UNICAST, Encoding::MpReach),
                };
                let (attrs, nh) = &sets[i % sets.len()];
                UpdateBuilder::new(&ctx, attrs).announce(
                    family,
                    nh,
                    &[Nlri::new(p)],
                    enc,
                    &mut buf,
                );
            }
            Event::Withdraw(p) => {
                let u = match p {
                    IpNet::V4(_) => {
                        OwnedUpdate { withdrawn: vec![Nlri::new(p)], ..OwnedUpdate::default() }
                    }
                    IpNet::V6(_) => OwnedUpdate {
                        attributes: vec![PathAttribute::new(Attribute::MpUnreachNlri(
                            MpUnreach::new(Family::IPV6_UNICAST, vec![Nlri::new(p)]),
                        ))],
                        ..OwnedUpdate::default()
                    },
                };
                u.encode(&ctx, &mut buf);
            }
        }
        let bytes: Bytes = buf.split().freeze();
        out.push(Update::decode_message(bytes, &ctx).expect("churn UPDATE decodes"));
    }
    out
}

/// Replays the churn against a loaded table, timing each UPDATE through to its FIB change.
fn churn_replay(a: &Feed, events: &[Event], updates: &[Update]) {
    let ctx = wire_support::context();
    let now = Instant::now();
    let mut r = Rib::new(config(1));
    let p = peer(&mut r, false);
    load(&mut r, p, a, now);
    let mut times: Vec<u32> = Vec::with_capacity(updates.len());
    let (mut fib, mut ann) = (0usize, 0usize);
    let start = Instant::now();
    for u in updates {
        let t = Instant::now();
        let s = r.handle_update(now, p, u, &ctx);
        fib += drain(&mut r);
        times.push(t.elapsed().as_nanos().min(u128::from(u32::MAX)) as u32);
        ann += s.announced as usize;
    }
    let total = start.elapsed();
    times.sort_unstable();
    let q = |f: f64| times.get(((times.len() as f64 - 1.0) * f) as usize).copied().unwrap_or(0);
    println!(
        "\nchurn: {} updates ({} announces, {} FIB changes) in {total:.2?}: p50 {} ns, p99 {} ns, p99.9 {} ns, max {} ns per update",
        events.len(),
        ann,
        fib,
        q(0.5),
        q(0.99),
        q(0.999),
        times.last().copied().unwrap_or(0)
    );
    // The cost of the clock read itself, for reading the figures above.
    let t = Instant::now();
    for _ in 0..1000 {
        black_box(Instant::now());
    }
    println!("churn: one clock read costs {} ns here", t.elapsed().as_nanos() / 1000);
}

fn main() {
    let limit = std::env::var("BGP_BENCH_PREFIXES").ok().and_then(|v| v.parse().ok());
    let churn_limit = std::env::var("BGP_BENCH_CHURN").ok().and_then(|v| v.parse().ok());
    let v4 = load_prefixes(IPV4_FILE, limit);
    let v6 = load_prefixes(IPV6_FILE, limit);
    let a = feed(&v4, &v6, SEED, false);
    let b = feed(&v4, &v6, SEED_B, true);
    let paths = a.prefixes.len();
    let sets: usize = a.groups.iter().map(|t| t.stats().attribute_sets).sum();
    println!(
        "table: {} IPv4 + {} IPv6 prefixes, {} UPDATEs, {} attribute sets",
        v4.len(),
        v6.len(),
        a.updates.len(),
        sets
    );

    memory(&a, &b);

    let events: Vec<Event> = [IPV4_CHURN_FILE, IPV6_CHURN_FILE]
        .iter()
        .flat_map(|f| {
            let path = prefixes::data_dir().join(f);
            churn::load(&path, churn_limit)
                .unwrap_or_else(|e| panic!("the rib bench needs {}: {e}", path.display()))
        })
        .collect();
    let churn = churn_updates(&events, &a.groups);
    churn_replay(&a, &events, &churn);

    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let rows = Rows::default();
    let now = Instant::now();
    rows.time(
        &mut c,
        "insert-one-peer",
        "rib",
        paths,
        || Rib::new(config(1)),
        |r| {
            let p = peer(r, false);
            black_box(load(r, p, &a, now));
        },
    );
    rows.time(
        &mut c,
        "insert-one-peer",
        "prefix-trie 0.8",
        paths,
        || (),
        |_| {
            black_box(trie(&a.prefixes));
        },
    );
    rows.time(
        &mut c,
        "insert-one-peer",
        "std HashMap",
        paths,
        || (),
        |_| {
            black_box(hashmap(&a.prefixes));
        },
    );
    let loaded = |max: u16| {
        let mut r = Rib::new(config(max));
        let p = peer(&mut r, false);
        load(&mut r, p, &a, now);
        (r, p)
    };
    rows.time(
        &mut c,
        "insert-second-peer-multipath",
        "rib",
        paths,
        || loaded(2),
        |(r, _)| {
            let p = peer(r, true);
            black_box(load(r, p, &b, now));
        },
    );
    rows.time(
        &mut c,
        "withdraw-peer",
        "rib",
        paths,
        || loaded(1),
        |(r, p)| {
            black_box(r.withdraw_peer(now, *p));
            black_box(drain(r));
        },
    );
    let (r, _) = loaded(1);
    let (t4, t6) = trie(&a.prefixes);
    let h = hashmap(&a.prefixes);
    rows.time(
        &mut c,
        "exact-lookup",
        "rib",
        paths,
        || (),
        |_| {
            for p in &a.prefixes {
                black_box(r.contains(*p));
            }
        },
    );
    rows.time(
        &mut c,
        "exact-lookup",
        "prefix-trie 0.8",
        paths,
        || (),
        |_| {
            for p in &a.prefixes {
                match p {
                    IpNet::V4(n) => black_box(t4.get(n).is_some()),
                    IpNet::V6(n) => black_box(t6.get(n).is_some()),
                };
            }
        },
    );
    rows.time(
        &mut c,
        "exact-lookup",
        "std HashMap",
        paths,
        || (),
        |_| {
            for p in &a.prefixes {
                black_box(h.get(p));
            }
        },
    );
    let addrs = addresses(&a.prefixes);
    rows.time(
        &mut c,
        "longest-match",
        "rib",
        paths,
        || (),
        |_| {
            for x in &addrs {
                black_box(r.longest_match(*x));
            }
        },
    );
    rows.time(
        &mut c,
        "longest-match",
        "prefix-trie 0.8",
        paths,
        || (),
        |_| {
            for x in &addrs {
                match x {
                    IpAddr::V4(a) => black_box(t4.get_lpm(&Ipv4Net::from(*a)).is_some()),
                    IpAddr::V6(a) => black_box(t6.get_lpm(&Ipv6Net::from(*a)).is_some()),
                };
            }
        },
    );
    c.final_summary();
    rows.print();
}
