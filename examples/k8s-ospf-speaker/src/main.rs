//! `k8s-ospf-speaker run CONFIG`: the OSPF node agent (see the README).
//! `k8s-ospf-speaker check CONFIG`: checks the file and exits.
//! `k8s-ospf-speaker show ...`: asks a running agent over its control socket.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use k8s_ospf_speaker::config;

/// OSPF node agent: pod routes as type-2 externals, OSPF routes in the
/// node's kernel.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs the agent until SIGTERM or SIGINT; SIGHUP reloads the file.
    Run {
        /// The configuration file.
        config: PathBuf,
        /// The node's name (default: $NODE_NAME, else the host name).
        #[arg(long)]
        node_name: Option<String>,
    },
    /// Checks the configuration file and exits.
    Check {
        /// The configuration file.
        config: PathBuf,
        /// The node's name (default: $NODE_NAME, else the host name).
        #[arg(long)]
        node_name: Option<String>,
    },
    /// Asks the running agent: `show ip ospf neighbor`, `show ip ospf
    /// database`, `show ip route`, `show rib`, their OSPFv3 forms `show ipv6
    /// ospf6 neighbor`, `show ipv6 ospf6 database`, `show ipv6 route`, `show
    /// ipv6 rib`, and `show pods`, each with `--json`.
    Show {
        /// The control socket (default: the one of --config, else the default path).
        #[arg(long)]
        socket: Option<PathBuf>,
        /// Read the control socket's path from this configuration file.
        #[arg(long)]
        config: Option<PathBuf>,
        /// The command's words, e.g. `ip ospf neighbor --json`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        words: Vec<String>,
    },
}

fn load(path: &Path, node_name: Option<String>) -> Result<config::AgentConfig, ExitCode> {
    let node = node_name.unwrap_or_else(config::default_node_name);
    config::load(path, &node).map_err(|e| {
        eprintln!("{e}");
        ExitCode::from(2)
    })
}

fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| {
        eprintln!("cannot start the runtime: {e}");
        ExitCode::FAILURE
    })
}

fn main() -> ExitCode {
    let args = Args::parse();
    match real_main(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}

fn real_main(args: Args) -> Result<(), ExitCode> {
    match args.command {
        Command::Check { config, node_name } => {
            let cfg = load(&config, node_name)?;
            println!(
                "{}: ok (node {}, router-id {}, {} interface(s), pod routes {:?}, {})",
                config.display(),
                cfg.node_name,
                cfg.ospf.router_id,
                cfg.ospf.interfaces.len(),
                cfg.pods.prefixes.iter().map(ToString::to_string).collect::<Vec<_>>(),
                if cfg.ospfv3 { "OSPFv2 and OSPFv3" } else { "OSPFv2" },
            );
            Ok(())
        }
        Command::Run { config, node_name } => {
            let cfg = load(&config, node_name)?;
            tracing_subscriber::fmt()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal())
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_default_env()
                        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
                )
                .init();
            let rt = runtime()?;
            rt.block_on(async {
                let feed = match cfg.pods.source {
                    config::PodSource::Kubernetes => Some(pod_cidrs(&cfg.node_name).await?),
                    _ => None,
                };
                k8s_ospf_speaker::speaker::run(cfg, config, feed).await.map_err(|e| e.to_string())
            })
            .map_err(|e| {
                eprintln!("k8s-ospf-speaker: {e}");
                ExitCode::FAILURE
            })
        }
        Command::Show { socket, config: cfg_path, words } => {
            let socket = match (socket, cfg_path) {
                (Some(s), _) => s,
                (None, Some(c)) => load(&c, None)?.control_socket,
                (None, None) => PathBuf::from(config::DEFAULT_CONTROL_SOCKET),
            };
            let mut line = vec!["show".to_owned()];
            line.extend(words);
            let rt = runtime()?;
            match rt.block_on(agent::control::request(&socket, &line)) {
                Ok(answer) => {
                    print!("{answer}");
                    if answer.starts_with("unknown command") {
                        return Err(ExitCode::from(2));
                    }
                    Ok(())
                }
                Err(e) => {
                    eprintln!("{}: {e} (is the agent running?)", socket.display());
                    Err(ExitCode::FAILURE)
                }
            }
        }
    }
}

/// This node's `spec.podCIDRs` (IPv4, and IPv6 for OSPFv3), as sets sent each time they change, from a watch of
/// the Node (`k8s-routes`, credentials from the pod's service account or `KUBECONFIG`).
async fn pod_cidrs(node: &str) -> Result<k8s_ospf_speaker::speaker::PodFeed, String> {
    use futures_util::StreamExt;
    use k8s_routes::{ClientConfig, RouteSource, RouteSourceConfig, RouteSourceEvent};
    let client = ClientConfig::Infer.client().await.map_err(|e| e.to_string())?;
    let config = RouteSourceConfig { node_name: Some(node.to_owned()), ..Default::default() };
    let mut source = RouteSource::new(client, config);
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    tokio::spawn(async move {
        let mut cidrs = std::collections::BTreeSet::new();
        while let Some(ev) = source.next().await {
            match ev {
                Ok(RouteSourceEvent::Add(p)) => {
                    cidrs.insert(p);
                }
                Ok(RouteSourceEvent::Remove(p)) => {
                    cidrs.remove(&p);
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!("Kubernetes API: {e}");
                    continue;
                }
            }
            if source.is_synced() && tx.send(cidrs.iter().copied().collect()).await.is_err() {
                return;
            }
        }
    });
    Ok(rx)
}
