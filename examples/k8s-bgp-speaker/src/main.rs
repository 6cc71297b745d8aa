//! `k8s-bgp-speaker`: the BGP node agent. It announces this node's routes (a loopback, the
//! pod CIDR, service IPs: from `network` statements, the kernel table through a route
//! map, or the Kubernetes API), learns the fabric's routes and installs them in the
//! kernel with every ECMP next hop.
//!
//! ```text
//! k8s-bgp-speaker run CONFIG.toml            # or kube-router's flags instead of a file
//! k8s-bgp-speaker check CONFIG.toml          # refuse a bad file with its line, start nothing
//! k8s-bgp-speaker show bgp summary [--json]  # ask the running agent (control socket)
//! ```
//!
//! The program is configuration, route sources and status: sessions, best paths and what
//! goes to whom are `bgp-speaker`'s, sockets `bgp-tokio`'s, the kernel `kernel`'s.

mod bfd;
mod config;
mod flags;
mod memory;
mod metrics;
mod run;
mod show;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "k8s-bgp-speaker",
    version,
    about = "BGP node agent: pod and service routes out, fabric routes into the kernel"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the agent.
    Run {
        /// The configuration file (or kube-router's flags below).
        config: Option<PathBuf>,
        #[command(flatten)]
        flags: flags::KubeRouterFlags,
    },
    /// Checks a configuration file and exits.
    Check {
        /// The configuration file.
        config: PathBuf,
    },
    /// Asks the running agent: `show bgp summary`, `show bgp ipv4 unicast [PREFIX]`,
    /// `show bgp neighbors`, `show ip route`; `--json` for JSON.
    Show {
        /// The control socket.
        #[arg(long, default_value_os_t = config::control_socket())]
        socket: PathBuf,
        /// The command's words.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        words: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { config } => match load(&config) {
            Ok(_) => {
                println!("{}: ok", config.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(2)
            }
        },
        Command::Show { socket, words } => {
            let mut w = vec!["show".to_owned()];
            w.extend(words);
            let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match rt.block_on(agent::control::request(&socket, &w)) {
                Ok(text) => {
                    print!("{text}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("{}: {e} (is the agent running?)", socket.display());
                    ExitCode::FAILURE
                }
            }
        }
        Command::Run { config, flags } => {
            let path = config.clone();
            let loaded = match (config, flags.given()) {
                (Some(_), true) => {
                    Err("give a configuration file or kube-router's flags, not both".into())
                }
                (Some(path), false) => load(&path),
                (None, true) => flags.to_config().and_then(|text| {
                    config::parse(&text)
                        .map(|f| (f, text))
                        .map_err(|e| format!("flags: {}", e.reason))
                }),
                (None, false) => {
                    Err("a configuration file or kube-router's flags are needed".into())
                }
            };
            let loaded = loaded.and_then(|(mut f, text)| {
                f.resolve_router_id(std::env::var("NODE_IP").ok().as_deref())?;
                Ok((f, text))
            });
            let (file, text) = match loaded {
                Ok(x) => x,
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::from(2);
                }
            };
            tracing_subscriber::fmt()
                .with_writer(std::io::stderr)
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_default_env()
                        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
                )
                .init();
            let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match rt.block_on(run::run(file, text, path)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!("{e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// Reads and checks a file; errors say `FILE:LINE: reason`.
fn load(path: &std::path::Path) -> Result<(config::File, String), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file =
        config::parse(&text).map_err(|e| format!("{}:{}: {}", path.display(), e.line, e.reason))?;
    Ok((file, text))
}
