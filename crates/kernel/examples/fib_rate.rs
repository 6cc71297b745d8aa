//! Routes per second into the kernel, inside a network namespace (needs root and `ip`):
//! this crate's batched [`KernelFib`] against `ip -batch -` with the same routes, in the
//! same run, into the same empty table.
//!
//! ```sh
//! cargo run --release -p kernel --example fib_rate               # first 100,000 IPv4 prefixes
//! cargo run --release -p kernel --example fib_rate -- --full     # the whole table (1,042,325)
//! cargo run --release -p kernel --example fib_rate -- --routes 20000 --ecmp --batch 64
//! ```
//!
//! The prefixes are the real IPv4 table of `shared/data` (`$BGP_BENCH_DATA` to point
//! elsewhere), each routed via `10.0.1.2 dev eth0` (with `--ecmp`, also via `10.0.2.2 dev
//! eth1`). Each side adds every route, then deletes every route; the table is checked
//! full and then empty between steps.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use flate2::read::GzDecoder;
use ipnet::IpNet;
use kernel::{FibConfig, KernelFib, Netlink};
use netlab::{Lab, Netns};
use rib::{FibRoute, NextHop, Protocol, RouteKind};

const TABLE: u32 = 100;
const FILE: &str = "ris-rrc00-as3333-20260511-ipv4.txt.gz";

fn data_dir() -> PathBuf {
    match std::env::var_os("BGP_BENCH_DATA") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    }
}

fn load(limit: Option<usize>) -> Vec<IpNet> {
    let path = data_dir().join(FILE);
    let file = File::open(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (the table file is needed; set BGP_BENCH_DATA to its folder)",
            path.display()
        )
    });
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for line in BufReader::new(GzDecoder::new(file)).lines() {
        if limit.is_some_and(|n| out.len() >= n) {
            break;
        }
        let line = line.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let Ok(p) = line.trim().parse::<IpNet>() else { continue };
        let p = p.trunc();
        if seen.insert(p) {
            out.push(p);
        }
    }
    out
}

/// Runs `f` on a thread inside `ns` with a current-thread runtime.
fn in_ns<T: Send, F: std::future::Future<Output = T>>(
    ns: &Netns,
    f: impl FnOnce() -> F + Send,
) -> T {
    std::thread::scope(|s| {
        s.spawn(|| {
            let _inside = ns.enter().expect("enter namespace");
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(f())
        })
        .join()
        .expect("namespace thread")
    })
}

fn count(ns: &Netns) -> usize {
    in_ns(ns, || async {
        let mut nl = Netlink::open().expect("netlink");
        nl.routes(TABLE, None).await.expect("dump").len()
    })
}

fn ip_batch(ns: &Netns, lines: &str) -> Duration {
    let start = Instant::now();
    let mut child = Command::new("ip")
        .args(["-n", ns.name(), "-batch", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("ip -batch");
    child.stdin.take().expect("stdin").write_all(lines.as_bytes()).expect("write batch");
    let status = child.wait().expect("ip -batch");
    let took = start.elapsed();
    assert!(status.success(), "ip -batch failed");
    took
}

fn rate(n: usize, d: Duration) -> String {
    format!("{:>9.0}", n as f64 / d.as_secs_f64())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let full = args.iter().any(|a| a == "--full");
    let ecmp = args.iter().any(|a| a == "--ecmp");
    let limit = args
        .iter()
        .position(|a| a == "--routes")
        .and_then(|i| args.get(i + 1))
        .map(|n| n.parse().expect("--routes N"))
        .or(if full { None } else { Some(100_000) });
    let prefixes = load(limit);
    let n = prefixes.len();

    let lab = Lab::new("krate").expect("lab (needs root)");
    let r = lab.node("r").expect("node");
    let a = lab.node("a").expect("node");
    let b = lab.node("b").expect("node");
    lab.veth(&r, "eth0", &a, "eth0").expect("veth");
    lab.veth(&r, "eth1", &b, "eth0").expect("veth");
    r.add_addr("eth0", "10.0.1.1/24").expect("addr");
    r.add_addr("eth1", "10.0.2.1/24").expect("addr");
    a.add_addr("eth0", "10.0.1.2/24").expect("addr");
    b.add_addr("eth0", "10.0.2.2/24").expect("addr");
    let links: std::collections::BTreeMap<String, u32> = in_ns(&r, || async {
        let mut nl = Netlink::open().expect("netlink");
        nl.links().await.expect("links").into_iter().map(|l| (l.name, l.index)).collect()
    });

    // ip -batch: one request and one wait for its answer per route.
    let via = if ecmp {
        "nexthop via 10.0.1.2 dev eth0 nexthop via 10.0.2.2 dev eth1".to_owned()
    } else {
        "via 10.0.1.2 dev eth0".to_owned()
    };
    let adds: String = prefixes
        .iter()
        .map(|p| format!("route add {p} proto 241 metric 20 table {TABLE} {via}\n"))
        .collect();
    let dels: String = prefixes
        .iter()
        .map(|p| format!("route del {p} proto 241 metric 20 table {TABLE}\n"))
        .collect();
    let ip_add = ip_batch(&r, &adds);
    assert_eq!(count(&r), n, "ip -batch installed every route");
    let ip_del = ip_batch(&r, &dels);
    assert_eq!(count(&r), 0);

    // This crate: many requests per datagram, one acknowledgement per datagram.
    let mut hops = vec![NextHop::via("10.0.1.2".parse().expect("ip"), links["eth0"])];
    if ecmp {
        hops.push(NextHop::via("10.0.2.2".parse().expect("ip"), links["eth1"]));
    }
    let hops: Arc<[NextHop]> = hops.into();
    let routes: Vec<FibRoute> = prefixes
        .iter()
        .map(|p| FibRoute {
            prefix: *p,
            protocol: Protocol::Bgp,
            kind: RouteKind::Unicast,
            next_hops: hops.clone(),
        })
        .collect();
    let mut cfg = FibConfig { table: TABLE, ..FibConfig::default() };
    if let Some(b) = args.iter().position(|a| a == "--batch").and_then(|i| args.get(i + 1)) {
        cfg.batch_max = b.parse().expect("--batch N");
        cfg.batch_bytes = 200_000;
    }

    // The sans-IO part alone: deciding and encoding every request, answers made up.
    let start = Instant::now();
    let mut fib = kernel::Fib::new(cfg.clone());
    fib.handle_table(routes.iter().cloned());
    let mut buf = Vec::new();
    while fib.poll_transmit(&mut buf).is_some() {
        fib.handle_ack(fib.last_seq(), 0, None);
    }
    assert_eq!(fib.len(), n);
    let encode = start.elapsed();

    let (our_add, our_del, stats) = in_ns(&r, || async {
        let mut k = KernelFib::start(cfg.clone()).await.expect("start");
        let start = Instant::now();
        k.apply_table(routes).await.expect("apply");
        let add = start.elapsed();
        let stats = k.fib().stats();
        assert_eq!(k.poll_event(), None, "no route refused");
        assert_eq!(k.kernel_routes().await.expect("dump").len(), n);
        let start = Instant::now();
        k.stop().await.expect("stop");
        (add, start.elapsed(), stats)
    });
    assert_eq!(count(&r), 0);

    println!(
        "{n} IPv4 routes{} into table {TABLE} of a namespace ({} datagrams, {:.0} routes each)",
        if ecmp { " with 2 ECMP next hops" } else { "" },
        stats.datagrams,
        stats.requests as f64 / stats.datagrams.max(1) as f64
    );
    println!("{:<22} {:>9} {:>10} {:>9} {:>10}", "", "add s", "add/s", "del s", "del/s");
    println!(
        "{:<22} {:>9.3} {} {:>9.3} {}",
        "kernel::KernelFib",
        our_add.as_secs_f64(),
        rate(n, our_add),
        our_del.as_secs_f64(),
        rate(n, our_del)
    );
    println!(
        "{:<22} {:>9.3} {} {:>9.3} {}",
        "ip -batch -",
        ip_add.as_secs_f64(),
        rate(n, ip_add),
        ip_del.as_secs_f64(),
        rate(n, ip_del)
    );
    println!(
        "{:<22} {:>9.3} {} (deciding and encoding only, no kernel)",
        "kernel::Fib sans-IO",
        encode.as_secs_f64(),
        rate(n, encode)
    );
    println!(
        "speed-up: add {:.1}x, delete {:.1}x",
        ip_add.as_secs_f64() / our_add.as_secs_f64(),
        ip_del.as_secs_f64() / our_del.as_secs_f64()
    );
    drop(lab);
}
