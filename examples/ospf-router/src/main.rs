//! `ospf-router CONFIG.toml`: an OSPFv2 router on the interfaces of a TOML
//! file (see `ospf-router.toml`), printing neighbour, interface and route
//! changes as JSON lines on stdout and logging to stderr.
//!
//! `ospf-router --inject-topology N --interface IF` instead runs the engine
//! on one point-to-point interface with a synthetic area of N routers
//! injected into its database, which the peer receives by database exchange
//! (see `scripts/lab/frr-spf-bench.sh`); `--ospf-version 3` hands the same
//! area over as OSPFv3.

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use ospf_router::{config, inject, router, topology};

/// An OSPFv2 router from a TOML file; JSON lines on stdout.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// The configuration file.
    #[arg(required_unless_present = "inject_topology")]
    config: Option<PathBuf>,
    /// Check the configuration and exit.
    #[arg(long)]
    check: bool,
    /// On exit (SIGINT/SIGTERM), print the routing table as JSON lines.
    #[arg(long)]
    show_rib: bool,
    /// Instead of routing: hand a synthetic area of N routers (the SPF
    /// benchmark's topology) to the neighbour on --interface.
    #[arg(long, value_name = "N", requires = "interface")]
    inject_topology: Option<u32>,
    /// Interface for --inject-topology (point-to-point).
    #[arg(long)]
    interface: Option<String>,
    /// Router ID for --inject-topology (default: the interface's address).
    #[arg(long)]
    router_id: Option<Ipv4Addr>,
    /// Seed of the synthetic topology.
    #[arg(long, default_value_t = topology::BENCH_SEED)]
    seed: u64,
    /// Area of the synthetic topology.
    #[arg(long, default_value = "0.0.0.0")]
    area: Ipv4Addr,
    /// Hello and dead intervals for --inject-topology.
    #[arg(long, default_values_t = [10, 40], num_args = 2)]
    intervals: Vec<u32>,
    /// The OSPF version of --inject-topology: 2 (to an OSPFv2 neighbour)
    /// or 3 (OSPFv3: the same area as router-LSAs with Interface IDs and
    /// intra-area-prefix-LSAs with /64s).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(2..=3))]
    ospf_version: u8,
    /// Seconds between new instances of the first synthetic router-LSA
    /// while the neighbour is Full (each makes the peer run SPF again).
    #[arg(long, default_value_t = 5)]
    refresh: u64,
}

/// SIGINT or SIGTERM.
async fn stop_signal() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    let result = match (&args.inject_topology, &args.interface, &args.config) {
        (Some(n), Some(iface), _) => {
            let hello = args.intervals.first().copied().unwrap_or(10);
            let Ok(hello) = u16::try_from(hello) else {
                eprintln!("ospf-router: --intervals: HelloInterval {hello} is above 65535");
                std::process::exit(2);
            };
            let cfg = inject::InjectConfig {
                interface: iface.clone(),
                router_id: args.router_id,
                routers: *n,
                seed: args.seed,
                area: ospf_wire::AreaId::from(args.area),
                hello_interval: hello,
                dead_interval: args.intervals.get(1).copied().unwrap_or(40),
                refresh: Duration::from_secs(args.refresh.max(1)),
                version: if args.ospf_version == 3 {
                    inject::OspfVersion::V3
                } else {
                    inject::OspfVersion::V2
                },
            };
            rt.block_on(inject::run(cfg, |v| println!("{v}"), stop_signal()))
                .map_err(|e| e as Box<dyn std::error::Error>)
        }
        (_, _, Some(path)) => {
            let cfg = match config::load(path) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("{e}");
                    std::process::exit(2);
                }
            };
            if args.check {
                println!(
                    "{}",
                    serde_json::json!({"config": "ok", "file": path.display().to_string()})
                );
                return;
            }
            rt.block_on(async {
                router::run(cfg, args.show_rib, |v| println!("{v}"), stop_signal()).await
            })
            .map_err(|e| e as Box<dyn std::error::Error>)
        }
        _ => Err("give a configuration file or --inject-topology N --interface IF".into()),
    };
    if let Err(e) = result {
        eprintln!("ospf-router: {e}");
        std::process::exit(1);
    }
}
