//! The running agent: the router task, the kernel, the route sources, the control socket,
//! metrics, and the signals (SIGHUP reloads, SIGTERM stops).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bgp_fsm::Neighbor;
use bgp_speaker::{Event, NeighborConfig, NeighborId, Speaker};
use bgp_tokio::{ListenConfig, Notice, RouterConfig, RouterHandle, Transport};
use bgp_wire::Family;
use ipnet::IpNet;
use kernel::{FibConfig, KernelFib, RtProto, WatchConfig, Watcher};
use rib::{FibChange, PathAttrs, RouteChange};
use tokio::signal::unix::{signal, SignalKind};

use crate::config::File;
use crate::metrics::Metrics;

/// How often metrics and readiness are refreshed.
const TICK: Duration = Duration::from_secs(2);

fn ifindex(name: &str) -> Result<u32, String> {
    bgp_tokio::sockopt::if_index(name).map_err(|e| format!("interface {name}: {e}"))
}

/// A configured neighbour: where it is, its id, and its settings as last applied.
struct Configured {
    at: Neighbor,
    id: NeighborId,
    settings: String,
}

fn settings(n: &NeighborConfig, t: &Transport) -> String {
    format!("{n:?} {t:?}")
}

/// Runs until SIGTERM or SIGINT. `path` is where SIGHUP reads the file again (none when
/// the configuration came from flags).
pub async fn run(file: File, text: String, path: Option<PathBuf>) -> Result<(), String> {
    let b = file.bgp.get_ref();
    // The kernel first: routes of ours left by an earlier run tell us we are restarting.
    let mut fib = if file.fib.install {
        let cfg = FibConfig {
            protocol: RtProto(file.fib.protocol),
            table: file.fib.table,
            graceful_restart: b.graceful_restart,
            ..FibConfig::default()
        };
        Some(KernelFib::start(cfg).await.map_err(|e| format!("kernel: {e}"))?)
    } else {
        None
    };
    let restarting = b.graceful_restart && fib.as_ref().is_some_and(|f| f.fib().stale() > 0);
    let mut sc = file.speaker(&text).map_err(|e| e.to_string())?;
    sc.graceful_restart.restarting = restarting;
    sc.listen_ranges = file.listen_ranges(&ifindex)?;
    let speaker = Speaker::new(sc).map_err(|e| e.to_string())?;
    let rc = RouterConfig {
        listen: b.listen.then(|| ListenConfig { port: b.listen_port, ..ListenConfig::default() }),
        fib_notices: fib.is_some(),
        ..RouterConfig::default()
    };
    let (router, mut notices) = bgp_tokio::router::spawn(speaker, rc).map_err(|e| e.to_string())?;
    tracing::info!(listen = ?router.local_addrs(), restarting, "started");
    let mut configured = Vec::new();
    for (n, t) in file.neighbors(&ifindex)? {
        configured.push(add_neighbor(&router, n, t).await?);
    }
    let mut networks: BTreeSet<IpNet> = BTreeSet::new();
    set_networks(&router, &mut networks, file.networks()).await?;
    let watch = file
        .redistribute
        .iter()
        .any(|r| matches!(r.get_ref().protocol.as_str(), "kernel" | "connected"));
    let mut watcher = if watch {
        let cfg = WatchConfig { table: file.fib.table, own_protocol: RtProto(file.fib.protocol) };
        Some(Watcher::start(cfg).await.map_err(|e| format!("kernel routes: {e}"))?)
    } else {
        None
    };
    if file.kubernetes.enabled() {
        return Err("the Kubernetes route source is not part of this build".into());
    }
    let answer = router.clone();
    let _control = agent::control::serve(&file.agent.control_socket, move |req| {
        let r = answer.clone();
        async move {
            r.with(move |s, now| crate::show::answer(s, now, &req))
                .await
                .unwrap_or_else(|e| format!("% {e}\n"))
        }
    })
    .map_err(|e| format!("{}: {e}", file.agent.control_socket.display()))?;
    let (metrics, registry) = Metrics::new();
    let health = agent::http::Health::new();
    if let Some(addr) = file.agent.metrics {
        let (bound, _) = agent::http::serve(addr, registry, health.clone())
            .await
            .map_err(|e| format!("metrics on {addr}: {e}"))?;
        tracing::info!(%bound, "metrics and health");
    }
    let mut hup = signal(SignalKind::hangup()).map_err(|e| e.to_string())?;
    let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut tick = tokio::time::interval(TICK);
    let started = Instant::now();
    let mut reconverged = !restarting;
    let mut end_of_rib: BTreeSet<NeighborId> = BTreeSet::new();
    let mut current = (file, text);
    let mut batch = Vec::new();
    loop {
        tokio::select! {
            n = notices.recv_many(&mut batch, 4096) => {
                if n == 0 {
                    break;
                }
                let mut changes: Vec<FibChange> = Vec::new();
                for notice in batch.drain(..) {
                    match notice {
                        Notice::Fib(c) => changes.push(c),
                        Notice::Event(e) => on_event(&e, &metrics, &mut end_of_rib),
                        _ => {}
                    }
                }
                if let Some(f) = fib.as_mut().filter(|_| !changes.is_empty()) {
                    f.apply(&changes).await.map_err(|e| format!("kernel: {e}"))?;
                }
            }
            ev = next_kernel_event(&mut watcher) => {
                match ev.map_err(|e| format!("kernel routes: {e}"))? {
                    kernel::Event::Route(change) => {
                        let _ = router.with(move |s, now| apply_route(s, now, &change)).await;
                    }
                    // The kernel drops IPv4 routes through a link that went down; put ours back.
                    kernel::Event::LinkGone(_) | kernel::Event::Link(_) => {
                        if let Some(f) = fib.as_mut() {
                            f.resync().await.map_err(|e| format!("kernel: {e}"))?;
                        }
                    }
                    _ => {}
                }
            }
            _ = tick.tick() => {
                let summary = router.with(|s, now| s.summary(now)).await.map_err(|e| e.to_string())?;
                metrics.update(&summary);
                if let Some(f) = fib.as_mut() {
                    while let Some(kernel::FibEvent::Refused { prefix, errno, message, .. }) = f.poll_event() {
                        metrics.fib_errors.inc();
                        tracing::warn!(%prefix, errno, message = message.as_deref().unwrap_or(""), "the kernel refused a route");
                    }
                    metrics.fib_routes.set(f.fib().len() as i64);
                    // Graceful restart: our old routes stay until every neighbour that is up
                    // has sent End-of-RIB, or the restart time has passed.
                    if !reconverged {
                        let up: Vec<NeighborId> = summary.neighbors.iter().filter(|n| n.state == "Established").map(|n| n.id).collect();
                        let all = !up.is_empty() && up.iter().all(|id| end_of_rib.contains(id));
                        let restart_time = Duration::from_secs(u64::from(current.0.bgp.get_ref().restart_time));
                        if all || started.elapsed() > restart_time {
                            f.reconverged().await.map_err(|e| format!("kernel: {e}"))?;
                            reconverged = true;
                            tracing::info!(all_end_of_rib = all, "reconverged: stale kernel routes swept");
                        }
                    }
                }
                let up = summary.neighbors.iter().any(|n| n.state == "Established");
                health.set_ready(reconverged && (up || summary.neighbors.is_empty()));
            }
            _ = hup.recv() => {
                match path.as_deref() {
                    Some(p) => {
                        if let Err(e) = reload(p, &mut current, &router, &mut configured, &mut networks).await {
                            tracing::error!("reload refused, the running configuration stays: {e}");
                        }
                    }
                    None => tracing::warn!("SIGHUP: the configuration came from flags; nothing to reload"),
                }
            }
            _ = term.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    tracing::info!("stopping");
    router.shutdown().await;
    if let Some(f) = fib {
        let stats = f.stop().await.map_err(|e| format!("kernel: {e}"))?;
        tracing::info!(?stats, "kernel routes done");
    }
    Ok(())
}

async fn next_kernel_event(w: &mut Option<Watcher>) -> kernel::Result<kernel::Event> {
    match w {
        Some(w) => w.next_event().await,
        None => std::future::pending().await,
    }
}

fn apply_route(s: &mut Speaker, now: Instant, change: &RouteChange) {
    match change {
        RouteChange::Add(r) | RouteChange::Replace(r) => s.add_route(now, r),
        RouteChange::Delete(r) => s.remove_route(now, r.protocol, r.prefix),
    }
}

fn on_event(e: &Event, metrics: &Metrics, end_of_rib: &mut BTreeSet<NeighborId>) {
    match e {
        Event::Up { neighbor, peer_as, peer_id, address } => {
            tracing::info!(%neighbor, %peer_as, %peer_id, %address, "session Established");
        }
        Event::Down { neighbor, down, graceful } => {
            metrics.session_downs.inc();
            end_of_rib.remove(neighbor);
            tracing::warn!(%neighbor, reason = ?down.reason, graceful, "session down");
        }
        Event::EndOfRib { neighbor, family } => {
            if *family == Family::IPV4_UNICAST {
                end_of_rib.insert(*neighbor);
            }
        }
        Event::Discovered { neighbor, addr } => {
            tracing::info!(%neighbor, %addr, "neighbour found by its Router Advertisements");
        }
        Event::PrefixLimit { neighbor, count, limit, teardown, .. } => {
            tracing::warn!(%neighbor, count, limit, teardown, "maximum-prefix");
        }
        other => tracing::debug!(?other),
    }
}

async fn add_neighbor(
    router: &RouterHandle,
    n: NeighborConfig,
    t: Transport,
) -> Result<Configured, String> {
    let at = n.session.neighbor.clone();
    let s = settings(&n, &t);
    let id = router.add_neighbor(n, t).await.map_err(|e| format!("neighbor {at:?}: {e}"))?;
    Ok(Configured { at, id, settings: s })
}

async fn set_networks(
    router: &RouterHandle,
    current: &mut BTreeSet<IpNet>,
    wanted: Vec<IpNet>,
) -> Result<(), String> {
    let wanted: BTreeSet<IpNet> = wanted.into_iter().collect();
    for p in current.difference(&wanted) {
        router.withdraw(*p).await.map_err(|e| e.to_string())?;
    }
    for p in wanted.difference(current) {
        router.announce(*p, PathAttrs::default()).await.map_err(|e| e.to_string())?;
    }
    *current = wanted;
    Ok(())
}

/// SIGHUP: the file again. Neighbours whose settings did not change keep their sessions;
/// the others are removed and added again; policy, redistribution and networks are
/// applied in place. Settings of the speaker itself need a restart.
async fn reload(
    path: &Path,
    current: &mut (File, String),
    router: &RouterHandle,
    configured: &mut Vec<Configured>,
    networks: &mut BTreeSet<IpNet>,
) -> Result<(), String> {
    let (file, text) = crate::load(path)?;
    let (old, new) = (current.0.bgp.get_ref(), file.bgp.get_ref());
    let global = |b: &crate::config::Bgp| {
        (b.asn, b.router_id, b.listen, b.listen_port, b.maximum_paths, b.maximum_paths_ibgp)
    };
    if global(old) != global(new)
        || old.bestpath != new.bestpath
        || old.cluster_id != new.cluster_id
    {
        return Err("router bgp settings changed: restart the agent to apply them".into());
    }
    let wanted = file.neighbors(&ifindex)?;
    let policy = file.speaker(&text).map_err(|e| e.to_string())?;
    // Neighbours that go or change first, so that the new policy need not keep their maps.
    let keep: Vec<String> = wanted.iter().map(|(n, t)| settings(n, t)).collect();
    let mut kept = Vec::new();
    for c in configured.drain(..) {
        if keep.contains(&c.settings) {
            kept.push(c);
        } else {
            tracing::info!(neighbor = %c.id, at = ?c.at, "neighbour removed or changed");
            router.remove_neighbor(c.id).await.map_err(|e| e.to_string())?;
        }
    }
    let (p, r) = (policy.policy, policy.redistribute);
    router
        .with(move |s, now| {
            s.set_policy(now, p)?;
            s.set_redistribution(now, r)
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    for (n, t) in wanted {
        let s = settings(&n, &t);
        if !kept.iter().any(|c| c.settings == s) {
            let c = add_neighbor(router, n, t).await?;
            tracing::info!(neighbor = %c.id, at = ?c.at, "neighbour added");
            kept.push(c);
        }
    }
    *configured = kept;
    set_networks(router, networks, file.networks()).await?;
    if file.kubernetes != current.0.kubernetes
        || file.fib != current.0.fib
        || file.agent != current.0.agent
    {
        tracing::warn!("kubernetes, fib and agent settings apply at the next start");
    }
    tracing::info!(path = %path.display(), "configuration reloaded");
    *current = (file, text);
    Ok(())
}
