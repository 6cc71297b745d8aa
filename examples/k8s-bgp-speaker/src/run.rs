//! The running agent: the router task, the kernel, the route sources, the control socket,
//! metrics, and the signals (SIGHUP reloads, SIGTERM stops).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bgp_fsm::Neighbor;
use bgp_speaker::{Event, NeighborConfig, NeighborId, Speaker};
use bgp_tokio::{ListenConfig, Notice, RouterConfig, RouterHandle, Transport};
use bgp_wire::Family;
use ipnet::IpNet;
use kernel::{FibConfig, FibWorker, RtProto, WatchConfig, Watcher};
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
    let fib = if file.fib.install {
        let cfg = FibConfig {
            protocol: RtProto(file.fib.protocol),
            table: file.fib.table,
            graceful_restart: b.graceful_restart,
            ..FibConfig::default()
        };
        Some(FibWorker::start(cfg).await.map_err(|e| format!("kernel: {e}"))?)
    } else {
        None
    };
    let restarting = b.graceful_restart && fib.as_ref().is_some_and(|f| f.stale() > 0);
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
    let mut originated = Originated::default();
    originated.set_networks(&router, file.networks()).await?;
    // Connected and kernel routes feed the table: BGP next hops that are not on a link
    // resolve through them (RFC 4271 §9.1.2.1: iBGP, multihop); they are announced only
    // where `redistribute` says so.
    let cfg = WatchConfig { table: file.fib.table, own_protocol: RtProto(file.fib.protocol) };
    let mut watcher = Some(Watcher::start(cfg).await.map_err(|e| format!("kernel routes: {e}"))?);
    let mut bfd = match file.wants_bfd() {
        true => Some(crate::bfd::BfdPeers::start(&file.bfd_timers())?),
        false => None,
    };
    let (mut kube, mut mesh) = kubernetes(&file.kubernetes).await?;
    let mut mesh_peers: BTreeMap<IpAddr, NeighborId> = BTreeMap::new();
    let answer = router.clone();
    // `show bfd peers` answers from a copy the loop refreshes: the driver is the loop's.
    let bfd_text = std::sync::Arc::new(std::sync::Mutex::new(String::from("BFD Peers:\n")));
    let bfd_answer = bfd_text.clone();
    let _control = agent::control::serve(&file.agent.control_socket, move |req| {
        let r = answer.clone();
        let bfd_now = bfd_answer.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        async move {
            if matches!(req.args().as_slice(), ["show", "bfd", ..]) {
                return bfd_now;
            }
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
    // The kernel thread's request count when free pages were last given back.
    let mut trimmed_at = 0u64;
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
                        Notice::Event(e) => {
                            on_event(&e, &metrics, &mut end_of_rib);
                            if let (Event::BfdWanted { neighbor, local, peer, ifindex, multihop }, Some(b)) = (&e, bfd.as_mut()) {
                                if let Err(err) = b.want(*neighbor, *local, *peer, *ifindex, *multihop) {
                                    tracing::warn!(%neighbor, "{err}");
                                }
                            }
                        }
                        _ => {}
                    }
                }
                if let Some(f) = fib.as_ref().filter(|_| !changes.is_empty()) {
                    f.apply(changes).await.map_err(|e| format!("kernel: {e}"))?;
                }
            }
            ev = next_kernel_event(&mut watcher) => {
                match ev.map_err(|e| format!("kernel routes: {e}"))? {
                    kernel::Event::Route(change) => {
                        let _ = router.with(move |s, now| apply_route(s, now, &change)).await;
                    }
                    // The kernel drops IPv4 routes through a link that went down; put ours back.
                    kernel::Event::LinkGone(_) | kernel::Event::Link(_) => {
                        if let Some(f) = fib.as_ref() {
                            f.resync().await.map_err(|e| format!("kernel: {e}"))?;
                        }
                    }
                    _ => {}
                }
            }
            ev = next_kube_event(&mut kube) => {
                match ev {
                    Some(Ok(k8s_routes::RouteSourceEvent::Add(p))) => originated.set(&router, p, FROM_KUBERNETES, true).await?,
                    Some(Ok(k8s_routes::RouteSourceEvent::Remove(p))) => originated.set(&router, p, FROM_KUBERNETES, false).await?,
                    Some(Ok(k8s_routes::RouteSourceEvent::Synced)) => tracing::info!("routes from the Kubernetes API synced"),
                    Some(Ok(_)) => {}
                    Some(Err(e)) => tracing::warn!("Kubernetes API: {e}"),
                    None => return Err("the Kubernetes route source ended".into()),
                }
            }
            down = next_bfd_down(&mut bfd) => {
                let neighbor = down?;
                let torn = router.with(move |s, now| s.bfd_down(now, neighbor)).await.unwrap_or(false);
                tracing::warn!(%neighbor, torn, "BFD: path down");
                if let Some(b) = bfd.as_ref() {
                    *bfd_text.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = b.show();
                }
            }
            ev = next_mesh_event(&mut mesh) => {
                match ev {
                    Some(Ok(k8s_routes::MeshEvent::Peer { node, addr, client })) => {
                        // A node the file names as a neighbour too keeps that session.
                        let added = match current.0.mesh_neighbor(addr, client) {
                            Ok((n, t)) => add_neighbor(&router, n, t).await,
                            Err(e) => Err(e),
                        };
                        match added {
                            Ok(c) => {
                                tracing::info!(%node, %addr, client, "mesh: peering");
                                mesh_peers.insert(addr, c.id);
                            }
                            Err(e) => tracing::warn!(%node, "mesh: {e}"),
                        }
                    }
                    Some(Ok(k8s_routes::MeshEvent::Unpeer { node, addr })) => {
                        if let Some(id) = mesh_peers.remove(&addr) {
                            router.remove_neighbor(id).await.map_err(|e| e.to_string())?;
                            tracing::info!(%node, %addr, "mesh: no longer peering");
                        }
                    }
                    Some(Ok(k8s_routes::MeshEvent::Synced)) => tracing::info!(peers = mesh_peers.len(), "mesh synced"),
                    Some(Ok(_)) => {}
                    Some(Err(e)) => tracing::warn!("Kubernetes API: {e}"),
                    None => return Err("the Kubernetes node watch ended".into()),
                }
            }
            _ = tick.tick() => {
                if let Some(b) = bfd.as_ref() {
                    *bfd_text.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = b.show();
                }
                let summary = router.with(|s, now| s.summary(now)).await.map_err(|e| e.to_string())?;
                metrics.update(&summary);
                if let Some(f) = fib.as_ref() {
                    // One line a tick, however many were refused: a link going down under a
                    // full table makes the kernel refuse a hundred thousand requests at once.
                    let refused = f.take_refused();
                    metrics.fib_errors.inc_by(refused.count);
                    // After a burst, once the kernel has it all, the heap's free pages go back.
                    let requests = f.stats().requests;
                    if requests >= trimmed_at + crate::memory::AFTER_REQUESTS && f.is_idle() {
                        crate::memory::give_back();
                        trimmed_at = requests;
                    }
                    if let Some(kernel::FibEvent::Refused { prefix, op, errno, message }) = refused.first {
                        tracing::warn!(count = refused.count, %prefix, ?op, errno, message = message.as_deref().unwrap_or(""), "the kernel refused routes (the first shown)");
                    }
                    metrics.fib_routes.set(f.routes() as i64);
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
                let synced = kube.as_ref().is_none_or(k8s_routes::RouteSource::is_synced)
                    && mesh.as_ref().is_none_or(|m| m.mesh().is_synced());
                health.set_ready(reconverged && synced && (up || summary.neighbors.is_empty()));
            }
            _ = hup.recv() => {
                match path.as_deref() {
                    Some(p) => {
                        if let Err(e) = reload(p, &mut current, &router, &mut configured, &mut originated).await {
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

/// Where an originated prefix comes from: `network` statements, the Kubernetes API.
const FROM_NETWORK: u8 = 1;
const FROM_KUBERNETES: u8 = 2;

/// The prefixes we originate, with their sources: announced while any source wants one.
#[derive(Default)]
struct Originated {
    by_prefix: BTreeMap<IpNet, u8>,
}

impl Originated {
    async fn set(
        &mut self,
        router: &RouterHandle,
        p: IpNet,
        source: u8,
        on: bool,
    ) -> Result<(), String> {
        let before = self.by_prefix.get(&p).copied().unwrap_or(0);
        let after = if on { before | source } else { before & !source };
        if after == 0 {
            self.by_prefix.remove(&p);
        } else {
            self.by_prefix.insert(p, after);
        }
        match (before, after) {
            (0, a) if a != 0 => {
                router.announce(p, PathAttrs::default()).await.map_err(|e| e.to_string())
            }
            (b, 0) if b != 0 => router.withdraw(p).await.map_err(|e| e.to_string()),
            _ => Ok(()),
        }
    }

    async fn set_networks(
        &mut self,
        router: &RouterHandle,
        wanted: Vec<IpNet>,
    ) -> Result<(), String> {
        let wanted: BTreeSet<IpNet> = wanted.into_iter().collect();
        let had: Vec<IpNet> = self
            .by_prefix
            .iter()
            .filter(|(p, s)| *s & FROM_NETWORK != 0 && !wanted.contains(p))
            .map(|(p, _)| *p)
            .collect();
        for p in had {
            self.set(router, p, FROM_NETWORK, false).await?;
        }
        for p in wanted {
            self.set(router, p, FROM_NETWORK, true).await?;
        }
        Ok(())
    }
}

/// The route source and the node mesh of the Kubernetes API, as `[kubernetes]` asks
/// (none when it asks for nothing).
async fn kubernetes(
    k: &crate::config::Kubernetes,
) -> Result<(Option<k8s_routes::RouteSource>, Option<k8s_routes::NodeMesh>), String> {
    use k8s_routes::{ClientConfig, NodeMesh, RouteSource, RouteSourceConfig, ServiceOptions};
    if !k.enabled() && k.mesh.is_none() {
        return Ok((None, None));
    }
    let client_config = match &k.kubeconfig {
        Some(path) => ClientConfig::Kubeconfig { path: path.clone(), context: None },
        None => ClientConfig::Infer,
    };
    let client = client_config.client().await.map_err(|e| e.to_string())?;
    let this_node = k.node_name.clone().or_else(|| std::env::var("NODE_NAME").ok());
    let needs_name = |what: &str| format!("kubernetes {what}: node-name or NODE_NAME is needed");
    let node_name = match (k.pod_cidr, &this_node) {
        (false, _) => None,
        (true, Some(n)) => Some(n.clone()),
        (true, None) => return Err(needs_name("pod-cidr")),
    };
    let services = (k.cluster_ip || k.external_ip || k.loadbalancer_ip).then(|| ServiceOptions {
        cluster_ip: k.cluster_ip,
        external_ip: k.external_ip,
        load_balancer_ip: k.loadbalancer_ip,
        aggregates: k.service_aggregates.clone(),
    });
    let routes = k.enabled().then(|| {
        let config = RouteSourceConfig { node_name, services, retry_delay: None };
        RouteSource::new(client.clone(), config)
    });
    let mesh = match &k.mesh {
        Some(m) => {
            let own = this_node.ok_or_else(|| needs_name("mesh"))?;
            let label = m.get_ref().route_reflector_label.as_deref();
            let reflectors = label.map(str::parse).transpose()?;
            Some(NodeMesh::new(client, &own, reflectors, None))
        }
        None => None,
    };
    Ok((routes, mesh))
}

async fn next_bfd_down(b: &mut Option<crate::bfd::BfdPeers>) -> Result<NeighborId, String> {
    match b {
        Some(b) => b.next_down().await,
        None => std::future::pending().await,
    }
}

async fn next_mesh_event(
    m: &mut Option<k8s_routes::NodeMesh>,
) -> Option<Result<k8s_routes::MeshEvent, k8s_routes::Error>> {
    use futures_util::StreamExt;
    match m {
        Some(m) => m.next().await,
        None => std::future::pending().await,
    }
}

async fn next_kube_event(
    k: &mut Option<k8s_routes::RouteSource>,
) -> Option<Result<k8s_routes::RouteSourceEvent, k8s_routes::Error>> {
    use futures_util::StreamExt;
    match k {
        Some(k) => k.next().await,
        None => std::future::pending().await,
    }
}

/// SIGHUP: the file again. Neighbours whose settings did not change keep their sessions;
/// the others are removed and added again; policy, redistribution and networks are
/// applied in place. Settings of the speaker itself need a restart.
async fn reload(
    path: &Path,
    current: &mut (File, String),
    router: &RouterHandle,
    configured: &mut Vec<Configured>,
    originated: &mut Originated,
) -> Result<(), String> {
    let (mut file, text) = crate::load(path)?;
    file.resolve_router_id(std::env::var("NODE_IP").ok().as_deref())?;
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
    originated.set_networks(router, file.networks()).await?;
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
