//! `ospf-router CONFIG.toml`: an OSPFv2 router on the interfaces of a TOML
//! file (see `ospf-router.toml`), printing neighbour, interface and route
//! changes as JSON lines on stdout and logging to stderr.
//!
//! `ospf-router --inject-topology N --interface IF` instead acts as one
//! neighbour that hands a synthetic area of N routers to the peer (see
//! `scripts/lab/frr-spf-bench.sh`).

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
    /// Interface for --inject-topology (point-to-point, the peer's router
    /// ID must be higher than 1.0.0.1).
    #[arg(long)]
    interface: Option<String>,
    /// Seed of the synthetic topology.
    #[arg(long, default_value_t = topology::BENCH_SEED)]
    seed: u64,
    /// Area of the synthetic topology.
    #[arg(long, default_value = "0.0.0.0")]
    area: Ipv4Addr,
    /// Hello and dead intervals for --inject-topology.
    #[arg(long, default_values_t = [10, 40], num_args = 2)]
    intervals: Vec<u32>,
    /// Seconds between re-originations of the first synthetic router-LSA
    /// after the exchange (each makes the peer run SPF again).
    #[arg(long, default_value_t = 5)]
    refresh: u64,
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
            let dead = args.intervals.get(1).copied().unwrap_or(40);
            rt.block_on(inject::run(
                iface,
                *n,
                args.seed,
                ospf_wire::AreaId::from(args.area),
                (u16::try_from(hello).unwrap_or(10), dead),
                Duration::from_secs(args.refresh.max(1)),
            ))
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
                let stop = async {
                    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    {
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
                };
                router::run(cfg, args.show_rib, |v| println!("{v}"), stop).await
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
