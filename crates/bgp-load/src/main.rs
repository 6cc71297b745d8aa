//! `bgp-load`: BGP load generator and sink peers, and the side-by-side benchmark.
//!
//! ```text
//! bgp-load generate --remote 10.1.0.1 --local 10.1.0.2 --as 65001 [--sessions 100 --routes 1000] [--churn N]
//! bgp-load sink --remote 10.2.0.1 --local 10.2.0.2 --as 65100 --expect 1042325
//! bgp-load bench --scenario ipv4 --daemon ours,bird,frr,gobgp --runs 3 --out bench-out
//! bgp-load guard                     # CI: 100,000 IPv4 routes, ours against BIRD, 3 runs
//! ```
//!
//! `generate` and `sink` run in the current network namespace and print JSON lines; `bench`
//! and `guard` build their own namespace lab (root needed) and write Markdown, JSON and SVG.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use bgp_load::bench::{self, Daemon, Plan, Scenario, Settings};
use bgp_load::feed::{self, PeerIdentity};
use bgp_load::session::{self, SessionConfig, BGP_PORT};
use bgp_load::sink::Sink;
use bgp_load::table::{Table, TableFamily};
use bgp_load::{churn, prefixes};
use clap::{Parser, Subcommand, ValueEnum};
use serde_json::json;

#[derive(Parser)]
#[command(name = "bgp-load", about = "BGP load generator, sink and side-by-side benchmark")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum FamilyArg {
    Ipv4,
    Ipv6,
}

impl From<FamilyArg> for TableFamily {
    fn from(f: FamilyArg) -> TableFamily {
        match f {
            FamilyArg::Ipv4 => TableFamily::Ipv4,
            FamilyArg::Ipv6 => TableFamily::Ipv6,
        }
    }
}

#[derive(clap::Args)]
struct Common {
    /// The device's address.
    #[arg(long)]
    remote: IpAddr,
    /// Its port.
    #[arg(long, default_value_t = BGP_PORT)]
    port: u16,
    /// Our source address; one session per `--local`.
    #[arg(long, required = true)]
    local: Vec<IpAddr>,
    /// Sessions from consecutive addresses starting at the last `--local` (which the
    /// namespace must have), up to this many in all.
    #[arg(long)]
    sessions: Option<usize>,
    /// Our AS (each sink adds its index).
    #[arg(long = "as")]
    asn: u32,
    /// Family of the sessions and routes.
    #[arg(long, value_enum, default_value = "ipv4")]
    family: FamilyArg,
    /// The data folder (default: `$BGP_BENCH_DATA`, or shared/data beside the checkout).
    #[arg(long)]
    data: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Send the table (then End-of-RIB) from one session per `--local`.
    Generate {
        #[command(flatten)]
        common: Common,
        /// Only the first N prefixes of the table.
        #[arg(long)]
        prefixes: Option<usize>,
        /// Routes per session: session i sends prefixes i*M..(i+1)*M (default: all to each).
        #[arg(long)]
        routes: Option<usize>,
        /// Then withdraw everything and send the table again.
        #[arg(long)]
        relearn: bool,
        /// Then replay the first N churn events (one UPDATE each) from the first session.
        #[arg(long)]
        churn: Option<usize>,
        /// Churn updates per second.
        #[arg(long, default_value_t = 1000)]
        churn_rate: u32,
        /// Stay connected this many seconds after the last write.
        #[arg(long, default_value_t = 5)]
        linger: u64,
    },
    /// Receive and count; report when `--expect` prefixes are held.
    Sink {
        #[command(flatten)]
        common: Common,
        /// Prefixes to wait for.
        #[arg(long)]
        expect: usize,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 600)]
        timeout: u64,
    },
    /// The side-by-side benchmark in a namespace lab.
    Bench {
        #[command(flatten)]
        opts: BenchOpts,
        /// Scenarios (comma-separated): ipv4, ipv6, multipath-4, peers-10, churn,
        /// peers-100x1000, peers-1000x10, relearn, receivers-10, or all.
        #[arg(long, default_value = "ipv4", value_delimiter = ',')]
        scenario: Vec<String>,
        /// Daemons (comma-separated): ours, bird, frr, gobgp.
        #[arg(long, default_value = "ours,bird,frr,gobgp", value_delimiter = ',')]
        daemon: Vec<Daemon>,
        /// Runs of each; the table shows medians.
        #[arg(long, default_value_t = 1)]
        runs: usize,
        /// Only the first N prefixes of the table.
        #[arg(long)]
        prefixes: Option<usize>,
    },
    /// CI guard: 100,000 IPv4 routes, 1 peer -> device -> sink, ours and BIRD, 3 runs; fails
    /// when ours is slower end to end or uses more bytes per route.
    Guard {
        #[command(flatten)]
        opts: BenchOpts,
        /// Runs of each.
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Prefixes.
        #[arg(long, default_value_t = 100_000)]
        prefixes: usize,
    },
}

#[derive(clap::Args)]
struct BenchOpts {
    /// The bgp-peer binary (default: beside this program).
    #[arg(long)]
    bgp_peer: Option<PathBuf>,
    /// Program the kernel FIB where the daemon can (BIRD, FRR).
    #[arg(long)]
    fib: bool,
    /// Status poll interval, milliseconds.
    #[arg(long, default_value_t = 100)]
    poll_ms: u64,
    /// Longest a phase may take, seconds.
    #[arg(long, default_value_t = 900)]
    timeout: u64,
    /// Churn events replayed by the churn scenario.
    #[arg(long, default_value_t = 20_000)]
    churn_events: usize,
    /// Churn updates per second.
    #[arg(long, default_value_t = 1000)]
    churn_rate: u32,
    /// Do not pin the device to CPU 0.
    #[arg(long)]
    no_pin: bool,
    /// Where bench.md, bench.json and the SVG plots go.
    #[arg(long, default_value = "bench-out")]
    out: PathBuf,
    /// The data folder (default: `$BGP_BENCH_DATA`, or shared/data beside the checkout).
    #[arg(long)]
    data: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Generate { common, prefixes, routes, relearn, churn, churn_rate, linger } => {
            runtime().and_then(|rt| {
                rt.block_on(generate(&common, prefixes, routes, relearn, churn, churn_rate, linger))
            })
        }
        Command::Sink { common, expect, timeout } => {
            runtime().and_then(|rt| rt.block_on(sink(&common, expect, timeout)))
        }
        Command::Bench { opts, scenario, daemon, runs, prefixes } => {
            let scenarios = if scenario.iter().any(|s| s == "all") {
                Ok(Scenario::ALL.to_vec())
            } else {
                scenario.iter().map(|s| s.parse()).collect::<Result<Vec<Scenario>, _>>()
            };
            scenarios.and_then(|s| bench_cmd(&opts, s, daemon, runs, prefixes).map(|_| ()))
        }
        Command::Guard { opts, runs, prefixes } => {
            match bench_cmd(
                &opts,
                vec![Scenario::Ipv4],
                vec![Daemon::Ours, Daemon::Bird],
                runs,
                Some(prefixes),
            ) {
                Ok(rows) => {
                    let fail = bench::guard_verdict(&rows);
                    if fail.is_empty() {
                        println!(
                            "guard: ours is no slower than BIRD and uses no more bytes per route"
                        );
                        Ok(())
                    } else {
                        Err(format!("guard failed:\n  {}", fail.join("\n  ")))
                    }
                }
                Err(e) => Err(e),
            }
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bgp-load: {e}");
            ExitCode::FAILURE
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))
}

fn data_dir(d: &Option<PathBuf>) -> PathBuf {
    d.clone().unwrap_or_else(prefixes::data_dir)
}

fn bench_cmd(
    opts: &BenchOpts,
    scenarios: Vec<Scenario>,
    daemons: Vec<Daemon>,
    runs: usize,
    prefixes: Option<usize>,
) -> Result<Vec<bench::Row>, String> {
    let bgp_peer = match &opts.bgp_peer {
        Some(p) => p.clone(),
        None => std::env::current_exe().map_err(|e| e.to_string())?.with_file_name("bgp-peer"),
    };
    let plan = Plan {
        scenarios,
        daemons,
        runs: runs.max(1),
        prefixes,
        churn_events: opts.churn_events,
        data_dir: data_dir(&opts.data),
        settings: Settings {
            lab_prefix: "bench".into(),
            bgp_peer,
            fib: opts.fib,
            poll: Duration::from_millis(opts.poll_ms),
            timeout: Duration::from_secs(opts.timeout),
            churn_rate: opts.churn_rate,
            pin: !opts.no_pin,
        },
    };
    let outcome = bench::execute(&plan, |r| {
        let status = match &r.error {
            None => format!(
                "device RIB {:.2} s, sink {:.2} s, CPU {:.2} s, peak RSS {:.1} MB, {:.0} bytes/route",
                r.rib_secs.unwrap_or(f64::NAN),
                r.sink_secs.unwrap_or(f64::NAN),
                r.cpu_secs,
                r.peak_rss as f64 / 1e6,
                r.bytes_per_route
            ),
            Some(e) => format!("FAILED: {e}"),
        };
        eprintln!("{} {} run {}: {status}", r.scenario, r.daemon, r.run);
    })?;
    let files = bench::write_outputs(&outcome, &opts.out)?;
    println!("{}", bench::report::markdown(&outcome.rows));
    for f in files {
        println!("wrote {}", f.display());
    }
    Ok(outcome.rows)
}

fn load_table(common: &Common, limit: Option<usize>) -> Result<Table, String> {
    let family: TableFamily = common.family.into();
    let file = match family {
        TableFamily::Ipv4 => prefixes::IPV4_FILE,
        TableFamily::Ipv6 => prefixes::IPV6_FILE,
    };
    let p = prefixes::load(&data_dir(&common.data).join(file), limit).map_err(|e| e.to_string())?;
    Ok(Table::generate(family, &p, feed::TABLE_SEED))
}

/// The `--local` addresses, extended to `--sessions` by counting up from the last one.
fn locals(common: &Common) -> Vec<IpAddr> {
    let mut out = common.local.clone();
    let want = common.sessions.unwrap_or(0);
    while out.len() < want {
        let Some(&last) = out.last() else { break };
        out.push(match last {
            IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from(u32::from(a).wrapping_add(1))),
            IpAddr::V6(a) => IpAddr::V6(std::net::Ipv6Addr::from(u128::from(a).wrapping_add(1))),
        });
    }
    out
}

fn configs(common: &Common, asn_step: bool) -> Vec<SessionConfig> {
    locals(common)
        .into_iter()
        .enumerate()
        .map(|(i, local)| SessionConfig {
            local,
            remote: SocketAddr::new(common.remote, common.port),
            asn: common.asn + if asn_step { i as u32 } else { 0 },
            router_id: match local {
                IpAddr::V4(v4) => v4,
                IpAddr::V6(_) => Ipv4Addr::from(0x0a00_0000 + i as u32 + 1),
            },
            family: feed::family(common.family.into()),
        })
        .collect()
}

fn line(v: serde_json::Value) {
    println!("{v}");
}

async fn generate(
    common: &Common,
    limit: Option<usize>,
    routes: Option<usize>,
    relearn: bool,
    churn_n: Option<usize>,
    churn_rate: u32,
    linger: u64,
) -> Result<(), String> {
    let table = load_table(common, limit)?;
    let cfgs = configs(common, false);
    let mut tables = Vec::new();
    let mut streams = Vec::new();
    for (i, c) in cfgs.iter().enumerate() {
        let t = match routes {
            None => table.clone(),
            Some(m) => {
                let all: Vec<_> =
                    table.groups.iter().flat_map(|g| g.prefixes.iter().copied()).collect();
                let part = all.get(i * m..(i + 1) * m).ok_or("not enough prefixes for --routes")?;
                Table::generate(table.family, part, feed::TABLE_SEED ^ i as u64)
            }
        };
        let id = PeerIdentity { asn: c.asn, router_id: c.router_id, next_hop: c.local };
        streams.push(feed::table_stream(&t, &id));
        tables.push(t);
    }
    let start = Instant::now();
    let secs = || start.elapsed().as_secs_f64();
    let mut sessions = Vec::new();
    for c in &cfgs {
        let s = session::establish(session::socket(c).map_err(|e| e.to_string())?, c, |_| {})
            .await
            .map_err(|e| e.to_string())?;
        line(json!({"event": "established", "local": c.local.to_string(), "secs": secs()}));
        sessions.push(s);
    }
    let send_all = |streams: Vec<feed::Stream>| {
        let sessions = &sessions;
        async move {
            for (s, st) in sessions.iter().zip(&streams) {
                for c in st.chunks(256 * 1024) {
                    s.send(c).await.map_err(|e| e.to_string())?;
                }
            }
            for s in sessions {
                s.flush().await.map_err(|e| e.to_string())?;
            }
            Ok::<(), String>(())
        }
    };
    let routes_total: usize = streams.iter().map(|s| s.routes).sum();
    send_all(streams.clone()).await?;
    line(json!({"event": "table-written", "routes": routes_total, "secs": secs()}));
    if relearn {
        send_all(tables.iter().map(feed::withdraw_stream).collect()).await?;
        line(json!({"event": "withdrawn", "secs": secs()}));
        send_all(streams).await?;
        line(json!({"event": "table-written", "routes": routes_total, "secs": secs()}));
    }
    if let (Some(n), Some(first), Some(s)) = (churn_n, tables.first(), sessions.first()) {
        let file = match table.family {
            TableFamily::Ipv4 => churn::IPV4_CHURN_FILE,
            TableFamily::Ipv6 => churn::IPV6_CHURN_FILE,
        };
        let events =
            churn::load(&data_dir(&common.data).join(file), Some(n)).map_err(|e| e.to_string())?;
        let id = PeerIdentity {
            asn: cfgs[0].asn,
            router_id: cfgs[0].router_id,
            next_hop: cfgs[0].local,
        };
        let msgs = feed::churn_messages(first, &events, &id);
        let step = Duration::from_secs_f64(1.0 / f64::from(churn_rate.max(1)));
        let begin = tokio::time::Instant::now();
        for (k, m) in msgs.iter().enumerate() {
            tokio::time::sleep_until(begin + step * k as u32).await;
            s.send(m.bytes.clone()).await.map_err(|e| e.to_string())?;
        }
        s.flush().await.map_err(|e| e.to_string())?;
        line(json!({"event": "churn-written", "updates": msgs.len(), "secs": secs()}));
    }
    tokio::time::sleep(Duration::from_secs(linger)).await;
    for mut s in sessions {
        if let Some(e) = s.down() {
            return Err(e.to_string());
        }
    }
    Ok(())
}

async fn sink(common: &Common, expect: usize, timeout: u64) -> Result<(), String> {
    let start = Instant::now();
    let mut sessions = Vec::new();
    let mut sinks = Vec::new();
    for c in configs(common, true) {
        let sink = Sink::new(start);
        sink.expect(expect);
        let s =
            session::establish(session::socket(&c).map_err(|e| e.to_string())?, &c, sink.handler())
                .await
                .map_err(|e| e.to_string())?;
        line(
            json!({"event": "established", "local": c.local.to_string(), "secs": start.elapsed().as_secs_f64()}),
        );
        sessions.push(s);
        sinks.push(sink);
    }
    let mut ok = true;
    for (c, s) in locals(common).iter().zip(&sinks) {
        let reached = s.wait_reached(Duration::from_secs(timeout)).await;
        ok &= reached.is_some();
        line(json!({"event": "report", "local": c.to_string(), "report": s.report()}));
    }
    if ok {
        Ok(())
    } else {
        Err(format!("not every sink held {expect} prefixes within {timeout} s"))
    }
}
