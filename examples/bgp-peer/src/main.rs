//! `bgp-peer CONFIG.toml`: a BGP speaker from a TOML file (see `bgp-peer.toml` beside this
//! package for every key): its neighbours, the prefixes it originates. Prints each session
//! change and each best-path change as one JSON line on stdout (`print-routes = false`
//! leaves the best paths out); logs go to stderr (`RUST_LOG` sets the level, `info` by
//! default). With `control-socket = PATH`, `show bgp summary [--json]` and `show bgp paths`
//! (paths in the table per family, from counters) are answered there.
//!
//! The program is configuration and output only: sessions, best paths and what is sent to
//! whom are `bgp-speaker`'s, sockets and timers `bgp-tokio`'s.

mod config;
mod output;

use bgp_speaker::{Event, NeighborId, Speaker};
use bgp_tokio::{ListenConfig, Notice, RouterConfig, RouterHandle};
use ipnet::IpNet;
use std::collections::HashMap;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, path] = args.as_slice() else {
        eprintln!("usage: bgp-peer CONFIG.toml");
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(2);
        }
    };
    let file = match config::parse(&text) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{path}:{e}");
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
            eprintln!("tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(&file, &text)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{path}: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(f: &config::File, text: &str) -> Result<(), String> {
    let speaker =
        Speaker::new(f.speaker(text).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    let cfg = RouterConfig {
        listen: f.listen.then(|| ListenConfig { port: f.listen_port, ..ListenConfig::default() }),
        ..RouterConfig::default()
    };
    let (router, mut notices) =
        bgp_tokio::router::spawn(speaker, cfg).map_err(|e| e.to_string())?;
    tracing::info!(listen = ?router.local_addrs(), "started");
    let mut names = HashMap::new();
    for (n, transport) in f.neighbors()? {
        let name = match &n.session.neighbor {
            bgp_fsm::Neighbor::Address { addr, .. } => addr.to_string(),
            bgp_fsm::Neighbor::Interface { name, .. } => name.clone(),
        };
        let id = router.add_neighbor(n, transport).await.map_err(|e| format!("{name}: {e}"))?;
        names.insert(id, name);
    }
    for (prefix, attrs) in f.announcements() {
        router.announce(prefix, attrs).await.map_err(|e| e.to_string())?;
    }
    let control = match &f.control_socket {
        Some(path) => {
            Some(control(path, router.clone()).map_err(|e| format!("{}: {e}", path.display()))?)
        }
        None => None,
    };
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| e.to_string())?;
    let mut batch = Vec::new();
    loop {
        tokio::select! {
            n = notices.recv_many(&mut batch, 1024) => {
                if n == 0 {
                    break;
                }
                let mut notices = std::mem::take(&mut batch);
                if !f.print_routes {
                    notices.retain(|n| !matches!(n, Notice::Route(_)));
                }
                if !notices.is_empty() {
                    print(&router, &names, notices).await;
                }
            }
            _ = tokio::signal::ctrl_c() => break,
            _ = terminate.recv() => break,
        }
    }
    if let Some(task) = control {
        task.abort();
    }
    router.shutdown().await;
    Ok(())
}

/// Serves `show bgp summary [--json]` and `show bgp paths` on the control socket at `path`.
fn control(
    path: &std::path::Path,
    router: RouterHandle,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    agent::control::serve(path, move |req: agent::control::Request| {
        let router = router.clone();
        async move {
            match req.args().as_slice() {
                ["show", "bgp", "summary"] => {}
                ["show", "bgp", "paths"] => {
                    return match router.with(|s, _| paths(s)).await {
                        Ok((v4, v6)) => format!("{{\"ipv4\":{v4},\"ipv6\":{v6}}}\n"),
                        Err(e) => format!("error: {e}\n"),
                    };
                }
                _ => return format!("unknown command: {}\n", req.words.join(" ")),
            }
            match router.with(|s, now| s.summary(now)).await {
                Ok(sum) if req.json => serde_json::to_string(&sum).unwrap_or_default() + "\n",
                Ok(sum) => sum.to_string(),
                Err(e) => format!("error: {e}\n"),
            }
        }
    })
}

/// Paths in the table from all neighbours (IPv4, IPv6): the table's per-neighbour counters,
/// read without walking anything (`show bgp summary` also counts what each update group
/// advertised, a walk of its Adj-RIB-Out). Neighbours of this program are never removed, so
/// their table slots are 1 to the number of neighbours.
fn paths(s: &Speaker) -> (u64, u64) {
    let n = u32::try_from(s.neighbor_ids().count()).unwrap_or(u32::MAX);
    (1..=n)
        .map(|i| s.rib().path_count(rib::PeerId(i)))
        .fold((0, 0), |(a, b), (x, y)| (a + u64::from(x), b + u64::from(y)))
}

/// Prints a batch of notices in order; the best paths of its route changes are read from
/// the speaker in one request.
async fn print(router: &RouterHandle, names: &HashMap<NeighborId, String>, batch: Vec<Notice>) {
    let name = |id: NeighborId| names.get(&id).cloned().unwrap_or_else(|| format!("{id:?}"));
    let prefixes: Vec<IpNet> = batch
        .iter()
        .filter_map(|n| match n {
            Notice::Route(r) => Some(r.prefix),
            _ => None,
        })
        .collect();
    let ups: Vec<NeighborId> = batch
        .iter()
        .filter_map(|n| match n {
            Notice::Event(Event::Up { neighbor, .. }) => Some(*neighbor),
            _ => None,
        })
        .collect();
    let (mut views, mut negotiated) = router
        .with(move |s, now| {
            let views: HashMap<_, _> = prefixes.into_iter().map(|p| (p, s.route(now, p))).collect();
            let neg: HashMap<_, _> = ups
                .into_iter()
                .map(|id| (id, s.session(id).and_then(|x| x.negotiated().cloned())))
                .collect();
            (views, neg)
        })
        .await
        .unwrap_or_default();
    let mut out = std::io::stdout().lock();
    for notice in batch {
        let line = match notice {
            Notice::Route(r) => {
                Some(output::route_line(r.prefix, views.remove(&r.prefix).flatten().as_ref()))
            }
            Notice::Event(Event::Up { neighbor, peer_as, peer_id, address }) => {
                let neg = negotiated.remove(&neighbor).flatten();
                Some(output::established(&name(neighbor), address, peer_as, peer_id, neg.as_ref()))
            }
            Notice::Event(e) => output::event_line(&e, name),
            _ => None,
        };
        if let Some(l) = line {
            let _ = writeln!(out, "{l}");
        }
    }
    let _ = out.flush();
}
