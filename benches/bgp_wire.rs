//! Decode and encode of a full BGP table with bgp-wire, against other Rust BGP parsers on the
//! same bytes in the same run. See `README.md` for the data, the method and the figures.
//!
//! Environment: `BGP_BENCH_PREFIXES=N` uses only the first N prefixes of each table;
//! `BGP_BENCH_DATA=DIR` reads the prefix files from DIR instead of `../shared/data`;
//! `BGP_BENCH_ONCE=NAME[/TABLE]` runs the decoder whose name starts with NAME once over each
//! table (or only TABLE, `ipv4` or `ipv6`) and exits, without criterion: for instruction counts
//! with `valgrind --tool=callgrind --toggle-collect=...` (see `README.md`).

use std::cell::RefCell;
use std::hint::black_box;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use benches::support::prefixes::{self, IPV4_FILE, IPV6_FILE};
use benches::support::raw::{self, Corpus};
use benches::support::table::{NextHop, Table, TableFamily};
use benches::support::wire::{self as wire_support, WireTable};
use bytes::{Bytes, BytesMut};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput};

#[path = "bgp/others.rs"]
mod others;
#[path = "bgp/touch.rs"]
mod touch;
#[path = "bgp/wire.rs"]
mod wire;

use touch::Touch;

/// The seed of the generated attributes: fixed, so every run measures the same bytes.
const SEED: u64 = 0x0d05_2026_0511;

/// The name bgp-wire's rows carry; ratios are given against it.
const BGP_WIRE: &str = "bgp-wire";

/// A decoder under test: its name and the function that decodes a whole corpus.
type Decoder = (&'static str, fn(&Corpus) -> Touch);

fn bgp_wire_decode(corpus: &Corpus) -> Touch {
    wire::decode(corpus, &wire_support::context())
}

fn bgp_wire_decode_borrowed(corpus: &Corpus) -> Touch {
    wire::decode_borrowed(corpus, &wire_support::context())
}

const DECODERS: [Decoder; 5] = [
    (BGP_WIRE, bgp_wire_decode),
    ("bgp-wire borrowed (UpdateRef)", bgp_wire_decode_borrowed),
    ("bgpkit-parser 0.23", others::bgpkit),
    ("netgauze-bgp-pkt 0.13", others::netgauze),
    ("zettabgp 0.6", others::zettabgp),
];

/// One table with its messages and the figures a correct decoder must reproduce.
struct Workload {
    name: &'static str,
    table: Table,
    wire: WireTable,
    corpus: Corpus,
    expected: Touch,
}

fn workload(
    name: &'static str,
    family: TableFamily,
    file: &str,
    limit: Option<usize>,
) -> Option<Workload> {
    let path = prefixes::data_dir().join(file);
    let prefixes = match prefixes::load(&path, limit) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("skipping {name}: {e}");
            return None;
        }
    };
    let table = Table::generate(family, &prefixes, SEED);
    let corpus = raw::encode_table(&table);
    let expected = expected_touch(&table);
    let s = table.stats();
    println!(
        "{name}: {} prefixes, {} attribute sets ({:.2} routes/set), {} AS paths \
         ({:.2} routes/path), {:.2} hops/path, {} UPDATEs, {} octets",
        s.routes,
        s.attribute_sets,
        s.routes_per_attribute_set(),
        s.as_paths,
        s.routes_per_as_path(),
        s.mean_hops,
        corpus.messages.len(),
        corpus.bytes.len()
    );
    let wire = WireTable::new(&table);
    Some(Workload { name, table, wire, corpus, expected })
}

/// What decoding the corpus must yield, computed from the table and the message split.
fn expected_touch(table: &Table) -> Touch {
    let mut t = Touch::default();
    let mut scratch = BytesMut::new();
    for group in &table.groups {
        let mut extents = Vec::new();
        scratch.clear();
        raw::encode_group(table.family, group, &mut scratch, &mut extents);
        for _ in &extents {
            t.path(group.attrs.as_path.len());
            match group.attrs.next_hop {
                NextHop::V4(a) => t.next_hop(IpAddr::V4(a)),
                NextHop::V6 { global, .. } => t.next_hop(IpAddr::V6(global)),
            }
        }
        for p in &group.prefixes {
            t.prefix(*p);
        }
    }
    t
}

/// One measured implementation in one group.
struct Row {
    group: String,
    name: String,
    prefixes: usize,
    octets: usize,
    /// Time per iteration of each batch criterion ran (warm-up included).
    times: Vec<Duration>,
}

/// Per-iteration times seen by criterion, kept to print ns/prefix and ratios at the end.
#[derive(Default)]
struct Record {
    rows: RefCell<Vec<Row>>,
}

impl Record {
    fn add(&self, group: &str, name: &str, w: &Workload) -> usize {
        let mut rows = self.rows.borrow_mut();
        rows.push(Row {
            group: group.to_owned(),
            name: name.to_owned(),
            prefixes: w.corpus.prefixes,
            octets: w.corpus.bytes.len(),
            times: Vec::new(),
        });
        rows.len() - 1
    }

    fn push(&self, row: usize, t: Duration) {
        if let Some(r) = self.rows.borrow_mut().get_mut(row) {
            r.times.push(t);
        }
    }

    fn print(&self) {
        let rows = self.rows.borrow();
        // Median and minimum time per iteration: the minimum is the least disturbed by other
        // load on the machine.
        let stats = |r: &Row| {
            let mut v = r.times.clone();
            v.sort_unstable();
            Some((*v.get(v.len() / 2)?, *v.first()?))
        };
        let per_prefix = |t: Duration, r: &Row| t.as_nanos() as f64 / r.prefixes.max(1) as f64;
        println!(
            "\n{:<12} {:<22} {:>10} {:>9} {:>11} {:>9} {:>9}",
            "group", "implementation", "ns/prefix", "MB/s", "x bgp-wire", "best ns", "best x"
        );
        for r in rows.iter() {
            let Some((median, best)) = stats(r) else { continue };
            let ns = per_prefix(median, r);
            let best_ns = per_prefix(best, r);
            let mbs = r.octets as f64 / median.as_secs_f64() / 1e6;
            let base = rows
                .iter()
                .find(|b| b.group == r.group && b.name == BGP_WIRE)
                .and_then(|b| Some((b, stats(b)?)))
                .map(|(b, (m, f))| (per_prefix(m, b), per_prefix(f, b)));
            let (ratio, best_ratio) = base.map_or(("-".to_owned(), "-".to_owned()), |(m, f)| {
                (format!("{:.2}", ns / m), format!("{:.2}", best_ns / f))
            });
            println!(
                "{:<12} {:<22} {ns:>10.2} {mbs:>9.1} {ratio:>11} {best_ns:>9.2} {best_ratio:>9}",
                r.group, r.name
            );
        }
    }
}

/// Times `f` under criterion and keeps the per-iteration times in `record`.
fn bench(
    group: &mut BenchmarkGroup<'_, WallTime>,
    record: &Record,
    row: usize,
    name: &str,
    mut f: impl FnMut(),
) {
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                f();
            }
            let elapsed = start.elapsed();
            record.push(row, elapsed / u32::try_from(iters.max(1)).unwrap_or(u32::MAX));
            elapsed
        });
    });
}

fn group<'a>(c: &'a mut Criterion, name: &str, w: &Workload) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Bytes(w.corpus.bytes.len() as u64));
    g
}

fn decode_benches(c: &mut Criterion, record: &Record, w: &Workload) {
    let name = format!("decode/{}", w.name);
    let mut g = group(c, &name, w);
    for (decoder, decode) in DECODERS {
        let got = decode(&w.corpus);
        if got != w.expected {
            eprintln!(
                "{decoder} on {}: got {got:?}, expected {:?}; not measured",
                w.name, w.expected
            );
            continue;
        }
        let row = record.add(&name, decoder, w);
        bench(&mut g, record, row, decoder, || {
            black_box(decode(black_box(&w.corpus)));
        });
    }
    // Floors no decoder can go below on this machine: reading the corpus from memory (one load
    // per 8 octets), and one `Bytes::slice` per message (bgp-wire's zero-copy input).
    let row = record.add(&name, FLOOR_READ, w);
    bench(&mut g, record, row, FLOOR_READ, || {
        let sum = w.corpus.bytes.chunks(8).fold(0u64, |a, c| a.wrapping_add(u64::from(c[0])));
        black_box(sum);
    });
    let row = record.add(&name, FLOOR_SLICE, w);
    bench(&mut g, record, row, FLOOR_SLICE, || {
        for r in &w.corpus.messages {
            black_box(w.corpus.bytes.slice(r.clone()));
        }
    });
    g.finish();
}

/// Row name of the memory-read floor.
const FLOOR_READ: &str = "floor: read corpus";
/// Row name of the per-message `Bytes::slice` floor.
const FLOOR_SLICE: &str = "floor: Bytes::slice";

fn encode_benches(c: &mut Criterion, record: &Record, w: &Workload) {
    let ctx = wire_support::context();
    let name = format!("encode/{}", w.name);
    // The builder's output must carry the same routes and attributes: every decoder must read
    // from it what it reads from the reference stream.
    let mut built = BytesMut::new();
    let count = w.wire.encode(&ctx, &mut built);
    let built = built.freeze();
    let rebuilt = reframe(w.corpus.family, built, count, w.corpus.prefixes);
    for (decoder, decode) in DECODERS {
        let got = rebuilt.as_ref().map(decode);
        if got != Some(w.expected) {
            eprintln!(
                "{decoder} on the builder's {} output: got {got:?}, expected {:?}",
                w.name, w.expected
            );
        }
    }

    let mut g = group(c, &name, w);
    let row = record.add(&name, BGP_WIRE, w);
    let mut buf = BytesMut::with_capacity(w.corpus.bytes.len());
    bench(&mut g, record, row, BGP_WIRE, || {
        black_box(w.wire.encode(&ctx, &mut buf));
        black_box(&buf);
    });
    let row = record.add(&name, "reference encoder", w);
    let mut buf = BytesMut::with_capacity(w.corpus.bytes.len());
    let mut extents = Vec::with_capacity(w.corpus.messages.len());
    bench(&mut g, record, row, "reference encoder", || {
        buf.clear();
        extents.clear();
        for group in &w.table.groups {
            raw::encode_group(w.table.family, group, &mut buf, &mut extents);
        }
        black_box(&buf);
    });
    g.finish();
}

/// A stream of `count` messages as a [`Corpus`], split by the length in each header.
fn reframe(family: TableFamily, bytes: Bytes, count: usize, prefixes: usize) -> Option<Corpus> {
    let mut messages = Vec::with_capacity(count);
    let mut at = 0;
    while at < bytes.len() {
        let len = usize::from(u16::from_be_bytes([*bytes.get(at + 16)?, *bytes.get(at + 17)?]));
        if len < raw::HEADER_LEN || at + len > bytes.len() {
            return None;
        }
        messages.push(at..at + len);
        at += len;
    }
    (messages.len() == count).then_some(Corpus { family, bytes, messages, prefixes })
}

/// Runs one decoder once over each table, for instruction counts.
fn once(spec: &str, loads: &[Option<Workload>]) {
    let (name, table) = spec.split_once('/').unwrap_or((spec, ""));
    let decoder = DECODERS.iter().find(|(n, _)| n.starts_with(name));
    for w in loads.iter().flatten().filter(|w| table.is_empty() || w.name == table) {
        let got = decoder.map(|(_, decode)| decode(black_box(&w.corpus)));
        println!("{}: {name}: {got:?}", w.name);
    }
}

fn main() {
    let limit = std::env::var("BGP_BENCH_PREFIXES").ok().and_then(|v| v.parse().ok());
    let loads = [
        workload("ipv4", TableFamily::Ipv4, IPV4_FILE, limit),
        workload("ipv6", TableFamily::Ipv6, IPV6_FILE, limit),
    ];
    if let Ok(name) = std::env::var("BGP_BENCH_ONCE") {
        once(&name, &loads);
        return;
    }
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    let record = Record::default();
    for w in loads.iter().flatten() {
        decode_benches(&mut c, &record, w);
        encode_benches(&mut c, &record, w);
    }
    c.final_summary();
    record.print();
}
