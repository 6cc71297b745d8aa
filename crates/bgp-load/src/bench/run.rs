//! One run of one scenario against one daemon, in a lab of its own:
//!
//! ```text
//!   gen (generators) --eth0--- dut (device, one CPU) ---eth1-- snk (sinks)
//! ```
//!
//! The generators' UPDATE streams are encoded before the lab exists. The sinks connect and
//! are Established first, then the generators; after a second of quiet the clock starts and
//! every generator writes its table, then End-of-RIB. The device's own count of received
//! paths is polled; the sinks note when they hold every prefix. The generators and sinks
//! run in this process on one thread (their sockets opened inside their namespaces); the
//! device is pinned to CPU 0 and this process to the others when there are two or more.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use ipnet::IpNet;
use netlab::{Lab, Netns};
use serde::Serialize;

use super::dut::{Daemon, Poller, Running};
use super::procfs::{self, Usage};
use super::scenario::{addr, Phase, Scenario, Shape, GENERATOR_AS, SINK_AS};
use crate::churn::Event;
use crate::feed::{self, ChurnMessage, PeerIdentity, Stream};
use crate::session::{self, Session, SessionConfig, BGP_PORT};
use crate::sink::{Sink, SinkReport};
use crate::table::{Table, TableFamily};

/// Status polls that may fail in a row before the run is given up.
const POLL_FAILURES: u32 = 20;

/// Writes are handed to the session in slices of this size.
const CHUNK: usize = 256 * 1024;

/// Settings of a benchmark.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Lab name prefix (1-8 lowercase letters).
    pub lab_prefix: String,
    /// The `bgp-peer` binary.
    pub bgp_peer: PathBuf,
    /// Program the kernel FIB where the daemon can.
    pub fib: bool,
    /// How often the device's status command is run.
    pub poll: Duration,
    /// Longest a phase may take before the run is given up.
    pub timeout: Duration,
    /// Churn updates sent per second.
    pub churn_rate: u32,
    /// Pin the device to CPU 0 and the load to the other CPUs.
    pub pin: bool,
}

/// Everything a scenario sends, built once for all runs.
pub struct Workload {
    /// The scenario.
    pub scenario: Scenario,
    /// Its numbers.
    pub shape: Shape,
    /// Each generator's table as UPDATEs, then End-of-RIB.
    pub tables: Vec<Stream>,
    /// Each generator's withdrawal of its table (relearn only).
    pub withdrawals: Vec<Stream>,
    /// Churn from generator 0 (churn only).
    pub churn: Vec<ChurnMessage>,
    /// The prefixes every sink must hold after the load.
    pub expected: HashSet<IpNet>,
    /// Paths the device receives.
    pub paths: u64,
}

impl Workload {
    /// Builds the streams of `scenario` over `prefixes` (the table's, in file order) and
    /// `churn` events.
    pub fn new(
        scenario: Scenario,
        prefixes: &[IpNet],
        churn: &[Event],
    ) -> Result<Workload, String> {
        let shape = scenario.shape();
        let f = shape.family;
        let identity = |i: usize| PeerIdentity {
            asn: GENERATOR_AS,
            router_id: addr::generator_id(i),
            next_hop: addr::generator(f, i),
        };
        let mut tables = Vec::with_capacity(shape.peers);
        let mut withdrawals = Vec::new();
        let mut expected = HashSet::new();
        let mut paths = 0;
        let whole =
            shape.routes_per_peer.is_none().then(|| Table::generate(f, prefixes, feed::TABLE_SEED));
        let mut first_table = None;
        for i in 0..shape.peers {
            let part;
            let table = match (&whole, shape.routes_per_peer) {
                (Some(t), _) => t,
                (None, m) => {
                    let m = m.unwrap_or(prefixes.len());
                    let slice = prefixes.get(i * m..(i + 1) * m).ok_or_else(|| {
                        format!(
                            "{scenario}: {} peers x {m} routes needs {} prefixes, have {}",
                            shape.peers,
                            shape.peers * m,
                            prefixes.len()
                        )
                    })?;
                    part = Table::generate(f, slice, feed::TABLE_SEED ^ i as u64);
                    &part
                }
            };
            let stream = feed::table_stream(table, &identity(i));
            paths += stream.routes as u64;
            expected.extend(table.groups.iter().flat_map(|g| g.prefixes.iter().copied()));
            if shape.phase == Phase::WithdrawRelearn {
                withdrawals.push(feed::withdraw_stream(table));
            }
            tables.push(stream);
            if i == 0 && shape.phase == Phase::Churn {
                first_table = Some(table.clone());
            }
        }
        let churn = match (shape.phase, &first_table) {
            (Phase::Churn, Some(t)) => feed::churn_messages(t, churn, &identity(0)),
            _ => Vec::new(),
        };
        Ok(Workload { scenario, shape, tables, withdrawals, churn, expected, paths })
    }
}

/// Latency from a churn UPDATE sent to its prefix arriving at the sink.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ChurnResult {
    /// Updates sent.
    pub sent: usize,
    /// Updates that reached the sink (an update the device had no reason to pass on, such
    /// as the withdrawal of a prefix it does not have, or one overtaken by the next update
    /// of its prefix, is not counted).
    pub matched: usize,
    /// Median latency, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile, milliseconds.
    pub p99_ms: f64,
    /// Largest, milliseconds.
    pub max_ms: f64,
}

/// The figures of one run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RunResult {
    /// Scenario name.
    pub scenario: String,
    /// Daemon name.
    pub daemon: String,
    /// Run number, from 1.
    pub run: usize,
    /// Whether the kernel FIB was programmed.
    pub fib: bool,
    /// Paths the device received.
    pub paths: u64,
    /// Prefixes each sink should hold.
    pub prefixes: usize,
    /// Seconds until the device reported every path (its status command, polled).
    pub rib_secs: Option<f64>,
    /// Seconds until every sink held every prefix.
    pub sink_secs: Option<f64>,
    /// Seconds the generators took to write their tables.
    pub write_secs: Option<f64>,
    /// The device's resident set before the load, octets.
    pub rss_before: u64,
    /// Its peak resident set (`VmHWM`) after the load, octets.
    pub peak_rss: u64,
    /// (Peak − before) / paths.
    pub bytes_per_route: f64,
    /// CPU seconds the device spent on the load.
    pub cpu_secs: f64,
    /// Median time the status command took, milliseconds.
    pub poll_ms: f64,
    /// Withdraw phase: seconds until the sinks held nothing.
    pub withdraw_secs: Option<f64>,
    /// Relearn phase: seconds until the sinks held everything again.
    pub relearn_secs: Option<f64>,
    /// Churn phase.
    pub churn: Option<ChurnResult>,
    /// Each sink's counters.
    pub sinks: Vec<SinkReport>,
    /// Prefixes expected but not held by some sink, summed over sinks.
    pub missing: usize,
    /// Prefixes held but not expected, summed over sinks.
    pub unexpected: usize,
    /// Sink 0's routes held over time: (seconds, routes).
    pub series: Vec<(f64, usize)>,
    /// Why the run failed, if it did.
    pub error: Option<String>,
}

/// Runs `work` once against `daemon`.
pub fn run_once(
    rt: &tokio::runtime::Runtime,
    settings: &Settings,
    work: &Workload,
    daemon: Daemon,
    run: usize,
) -> RunResult {
    let mut r = RunResult {
        scenario: work.scenario.name().into(),
        daemon: daemon.name().into(),
        run,
        fib: settings.fib && daemon.has_fib(),
        paths: work.paths,
        prefixes: work.expected.len(),
        ..RunResult::default()
    };
    if let Err(e) = rt.block_on(measure(settings, work, daemon, &mut r)) {
        r.error = Some(e);
    }
    r
}

struct Nodes {
    dut: Netns,
    gen: Netns,
    snk: Netns,
}

fn lab_err(e: netlab::Error) -> String {
    e.to_string()
}

/// The three namespaces, linked, with every address (in one `ip -batch` per node).
fn build_lab(lab: &Lab, shape: &Shape) -> Result<Nodes, String> {
    let dut = lab.node("dut").map_err(lab_err)?;
    let gen = lab.node("gen").map_err(lab_err)?;
    let snk = lab.node("snk").map_err(lab_err)?;
    lab.veth(&gen, "eth0", &dut, "eth0").map_err(lab_err)?;
    lab.veth(&snk, "eth0", &dut, "eth1").map_err(lab_err)?;
    let f = shape.family;
    let len = addr::prefix_len(f);
    let nodad = if f == TableFamily::Ipv6 { " nodad" } else { "" };
    let batch = |ns: &Netns, lines: Vec<String>| -> Result<(), String> {
        let file = lab.dir().join(format!("{}.ip", ns.name()));
        std::fs::write(&file, lines.join("\n") + "\n").map_err(|e| e.to_string())?;
        ns.ip(&["-batch", &file.to_string_lossy()]).map(drop).map_err(lab_err)
    };
    batch(
        &dut,
        vec![
            format!("addr add {}/{len} dev eth0{nodad}", addr::dut(f, 1)),
            format!("addr add {}/{len} dev eth1{nodad}", addr::dut(f, 2)),
        ],
    )?;
    batch(
        &gen,
        (0..shape.peers)
            .map(|i| format!("addr add {}/{len} dev eth0{nodad}", addr::generator(f, i)))
            .collect(),
    )?;
    batch(
        &snk,
        (0..shape.sinks)
            .map(|j| format!("addr add {}/{len} dev eth0{nodad}", addr::sink(f, j)))
            .collect(),
    )?;
    Ok(Nodes { dut, gen, snk })
}

/// Attempts at a session during setup: a device that has just started may refuse or reset
/// the first connections (FRR answers an OPEN that arrives before the neighbour is ready
/// with an FSM Error NOTIFICATION).
const ATTEMPTS: u32 = 40;

/// Opens sessions from `ns`, all at once, each retried every 250 ms until Established;
/// `handler` gives each its UPDATE handler.
async fn connect<H>(
    ns: &Netns,
    cfgs: Vec<SessionConfig>,
    mut handler: impl FnMut(usize) -> H,
    limit: Duration,
) -> Result<Vec<Session>, String>
where
    H: FnMut(bgp_wire::update::Update) + Clone + Send + 'static,
{
    let mut tasks = Vec::with_capacity(cfgs.len());
    for (i, cfg) in cfgs.into_iter().enumerate() {
        let h = handler(i);
        let ns = ns.clone();
        tasks.push(tokio::spawn(async move {
            let mut last = String::new();
            for _ in 0..ATTEMPTS {
                let socket = {
                    let _in_ns = ns.enter().map_err(lab_err)?;
                    session::socket(&cfg).map_err(|e| e.to_string())?
                };
                match session::establish(socket, &cfg, h.clone()).await {
                    Ok(s) => return Ok(s),
                    Err(e) => last = e.to_string(),
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(format!("{last} ({ATTEMPTS} attempts)"))
        }));
    }
    let mut out = Vec::with_capacity(tasks.len());
    let deadline = tokio::time::Instant::now() + limit;
    for t in tasks {
        match tokio::time::timeout_at(deadline, t).await {
            Ok(Ok(Ok(s))) => out.push(s),
            Ok(Ok(Err(e))) => return Err(e),
            Ok(Err(e)) => return Err(e.to_string()),
            Err(_) => return Err("sessions not Established in time".into()),
        }
    }
    Ok(out)
}

async fn measure(
    settings: &Settings,
    work: &Workload,
    daemon: Daemon,
    r: &mut RunResult,
) -> Result<(), String> {
    let shape = &work.shape;
    let lab = Lab::new(&settings.lab_prefix).map_err(lab_err)?;
    let nodes = build_lab(&lab, shape)?;
    let dir = lab.subdir(daemon.name()).map_err(lab_err)?;
    let result = measure_in(settings, work, daemon, r, &nodes, &dir).await;
    if let Err(e) = result {
        // The lab folder goes with the lab: keep the device's files for the post-mortem.
        let keep = std::env::temp_dir().join(format!(
            "bgp-load-{}-{}-run{}",
            work.scenario,
            daemon.name(),
            r.run
        ));
        let _ = std::fs::create_dir_all(&keep);
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for e in entries.flatten() {
                let _ = std::fs::copy(e.path(), keep.join(e.file_name()));
            }
        }
        return Err(format!("{e} (device files in {})", keep.display()));
    }
    drop(lab);
    Ok(())
}

async fn measure_in(
    settings: &Settings,
    work: &Workload,
    daemon: Daemon,
    r: &mut RunResult,
    nodes: &Nodes,
    dir: &std::path::Path,
) -> Result<(), String> {
    let shape = &work.shape;
    let f = shape.family;
    let running = Running::start(daemon, &nodes.dut, dir, shape, r.fib, &settings.bgp_peer)?;
    let pids = running.pids();
    if pids.is_empty() {
        return Err(format!("{}: no pid", daemon.name()));
    }
    if settings.pin && procfs::cpus() >= 2 {
        for &p in &pids {
            procfs::pin(p, 0)?;
        }
    }
    let poller = running.poller(f);
    let start = Instant::now();
    let port = BGP_PORT;
    let dut_addr = |link| std::net::SocketAddr::new(addr::dut(f, link), port);
    let sinks: Vec<Sink> = (0..shape.sinks).map(|_| Sink::new(start)).collect();
    let sink_cfgs = (0..shape.sinks)
        .map(|j| SessionConfig {
            local: addr::sink(f, j),
            remote: dut_addr(2),
            asn: SINK_AS + j as u32,
            router_id: addr::sink_id(j),
            family: feed::family(f),
        })
        .collect();
    let setup = Duration::from_secs(30 + shape.peers as u64 / 10);
    let mut sink_sessions = connect(&nodes.snk, sink_cfgs, |j| sinks[j].handler(), setup).await?;
    let gen_cfgs = (0..shape.peers)
        .map(|i| SessionConfig {
            local: addr::generator(f, i),
            remote: dut_addr(1),
            asn: GENERATOR_AS,
            router_id: addr::generator_id(i),
            family: feed::family(f),
        })
        .collect();
    let mut generators = connect(&nodes.gen, gen_cfgs, |_| |_u| {}, setup).await?;
    // Let the device finish its own start-up work (End-of-RIB to the sinks and so on).
    tokio::time::sleep(Duration::from_secs(1)).await;

    let before = procfs::usage(&pids);
    r.rss_before = before.rss;
    let t0 = Instant::now();
    for s in &sinks {
        s.expect(work.expected.len());
    }
    let (rib, sink_at, write_at, polls) =
        load(settings, &generators, &work.tables, &sinks, &poller, work.paths).await?;
    let after = procfs::usage(&pids);
    let secs = |t: Instant| t.duration_since(t0).as_secs_f64();
    r.rib_secs = rib.map(secs);
    r.sink_secs = sink_at.map(secs);
    r.write_secs = write_at.map(secs);
    r.poll_ms = median(&polls);
    r.peak_rss = after.peak_rss;
    r.bytes_per_route = after.peak_rss.saturating_sub(before.rss) as f64 / work.paths.max(1) as f64;
    r.cpu_secs = cpu(&before, &after);
    for s in &sinks {
        s.with(|t| {
            r.missing += work.expected.iter().filter(|p| !t.holds(p)).count();
            r.unexpected += t.held_set().iter().filter(|p| !work.expected.contains(p)).count();
        });
    }
    if r.unexpected > 0 {
        r.error = Some(format!("sinks hold {} prefixes that were not sent", r.unexpected));
    }
    if r.missing > 0 {
        r.error = Some(format!("sinks lack {} expected prefixes", r.missing));
    }

    match shape.phase {
        Phase::Load => {}
        Phase::WithdrawRelearn => {
            for s in &sinks {
                s.expect(0);
            }
            let t1 = Instant::now();
            let (_, gone, _, _) =
                load(settings, &generators, &work.withdrawals, &sinks, &poller, 0).await?;
            r.withdraw_secs = gone.map(|t| t.duration_since(t1).as_secs_f64());
            for s in &sinks {
                s.expect(work.expected.len());
            }
            let t2 = Instant::now();
            let (_, back, _, _) =
                load(settings, &generators, &work.tables, &sinks, &poller, work.paths).await?;
            r.relearn_secs = back.map(|t| t.duration_since(t2).as_secs_f64());
        }
        Phase::Churn => {
            r.churn = Some(churn(settings, &generators, &work.churn, &sinks).await?);
        }
    }
    for (what, list) in [("generator", &mut generators), ("sink", &mut sink_sessions)] {
        for s in list.iter_mut() {
            if let Some(e) = s.down() {
                return Err(format!("{what} session went down: {e}"));
            }
        }
    }
    r.sinks = sinks.iter().map(Sink::report).collect();
    r.series = sinks.first().map(|s| s.with(|t| t.series.clone())).unwrap_or_default();
    // The series counts from `start`; make it count from t0.
    let shift = t0.duration_since(start).as_secs_f64();
    for p in &mut r.series {
        p.0 -= shift;
    }
    drop(generators);
    drop(sink_sessions);
    drop(running);
    Ok(())
}

/// Sends `streams` (one per generator) and waits for the device's count to reach `paths`
/// and every sink its target. Returns when each happened and the poll durations.
async fn load(
    settings: &Settings,
    generators: &[Session],
    streams: &[Stream],
    sinks: &[Sink],
    poller: &Poller,
    paths: u64,
) -> Result<(Option<Instant>, Option<Instant>, Option<Instant>, Vec<f64>), String> {
    let send = async {
        let mut writes = Vec::new();
        for (g, s) in generators.iter().zip(streams) {
            writes.push(async move {
                for c in s.chunks(CHUNK) {
                    g.send(c).await?;
                }
                g.flush().await
            });
        }
        for w in writes {
            w.await.map_err(|e| e.to_string())?;
        }
        Ok::<Instant, String>(Instant::now())
    };
    let poll = async {
        let mut durations = Vec::new();
        let mut failures = 0;
        loop {
            let p = poller.clone();
            let t = Instant::now();
            let answer =
                tokio::task::spawn_blocking(move || p.paths()).await.map_err(|e| e.to_string())?;
            let now = Instant::now();
            durations.push(now.duration_since(t).as_secs_f64() * 1000.0);
            // A busy device may fail a status command now and then (GoBGP's client times
            // out under 1,000 sessions): only a run of failures ends the run.
            match answer {
                Ok(n) if n == paths => return Ok::<_, String>((now, durations)),
                Ok(_) => failures = 0,
                Err(e) => {
                    failures += 1;
                    if failures >= POLL_FAILURES {
                        return Err(format!("{POLL_FAILURES} status polls failed in a row: {e}"));
                    }
                }
            }
            tokio::time::sleep(settings.poll.saturating_sub(now.duration_since(t))).await;
        }
    };
    let wait_sinks = async {
        let mut last = None;
        for s in sinks {
            last = last.max(s.wait_reached(settings.timeout).await);
            if last.is_none() {
                break;
            }
        }
        last
    };
    let all = async { tokio::join!(send, poll, wait_sinks) };
    let (written, polled, reached) = tokio::time::timeout(settings.timeout, all)
        .await
        .map_err(|_| format!("not done within {} s", settings.timeout.as_secs()))?;
    let written = written?;
    let (rib, polls) = polled?;
    Ok((Some(rib), reached, Some(written), polls))
}

/// Replays `messages` from generator 0 at the configured rate and measures each update's
/// latency to sink 0.
async fn churn(
    settings: &Settings,
    generators: &[Session],
    messages: &[ChurnMessage],
    sinks: &[Sink],
) -> Result<ChurnResult, String> {
    let (Some(g), Some(sink)) = (generators.first(), sinks.first()) else {
        return Err("churn needs a generator and a sink".into());
    };
    sink.record_receipts(true);
    let step = Duration::from_secs_f64(1.0 / f64::from(settings.churn_rate.max(1)));
    let begin = tokio::time::Instant::now();
    let mut sent = Vec::with_capacity(messages.len());
    for (k, m) in messages.iter().enumerate() {
        tokio::time::sleep_until(begin + step * k as u32).await;
        let at = Instant::now();
        g.send(m.bytes.clone()).await.map_err(|e| e.to_string())?;
        sent.push(at);
    }
    // Quiet for two seconds (or the timeout): everything the device will send has come.
    let mut last = sink.with(|t| t.updates);
    let end = Instant::now() + settings.timeout;
    loop {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let now = sink.with(|t| t.updates);
        if now == last || Instant::now() > end {
            break;
        }
        last = now;
    }
    let receipts = sink.take_receipts();
    Ok(churn_latency(messages, &sent, &receipts))
}

/// For each update, the first receipt of its prefix at or after it was sent and before the
/// next update of the same prefix was sent.
fn churn_latency(
    messages: &[ChurnMessage],
    sent: &[Instant],
    receipts: &HashMap<IpNet, Vec<Instant>>,
) -> ChurnResult {
    let prefix = |e: &Event| match *e {
        Event::Announce(p) | Event::Withdraw(p) => p,
    };
    let mut next_same: HashMap<IpNet, Instant> = HashMap::new();
    let mut lat = Vec::new();
    for (m, &at) in messages.iter().zip(sent).rev() {
        let p = prefix(&m.event);
        let until = next_same.insert(p, at);
        let hit = receipts
            .get(&p)
            .and_then(|rs| rs.iter().find(|&&r| r >= at && until.is_none_or(|u| r < u)));
        if let Some(r) = hit {
            lat.push(r.duration_since(at).as_secs_f64() * 1000.0);
        }
    }
    lat.sort_by(f64::total_cmp);
    let q = |x: f64| {
        lat.get(((lat.len() as f64 * x).ceil() as usize).saturating_sub(1)).copied().unwrap_or(0.0)
    };
    ChurnResult {
        sent: sent.len(),
        matched: lat.len(),
        p50_ms: q(0.5),
        p99_ms: q(0.99),
        max_ms: lat.last().copied().unwrap_or(0.0),
    }
}

fn cpu(before: &Usage, after: &Usage) -> f64 {
    (after.cpu_secs - before.cpu_secs).max(0.0)
}

/// The median of `v` (0 when empty).
pub fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    match s.len() {
        0 => 0.0,
        n if n % 2 == 1 => s[n / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
    }
}
