//! The node agent's one loop: the OSPF engine (`ospf-lsdb` on `ospf-tokio`),
//! the node's routing table (`rib`: OSPF routes, the reject aggregate and the
//! kernel's connected and kernel routes, which win their prefixes), the
//! kernel FIB (`kernel::FibWorker`, on a thread of its own), the pod route source, `show` requests,
//! metrics, SIGHUP (reload) and SIGTERM (flush our LSAs and our kernel
//! routes). With `[ospfv3]` an OSPFv3 engine runs beside the OSPFv2 one and
//! its IPv6 routes (link-local next hops out of an interface) share the
//! table and the kernel FIB. No protocol decision is taken here.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{Debug, Display};
use std::net::{Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use agent::control::Request;
use agent::http::Health;
use ipnet::IpNet;
use ospf_lsdb::neighbor::NbrState;
use ospf_lsdb::{Event, Instance, OspfInstance, RouterId};
use ospf_router::output::Names;
use ospf_router::show::Uptimes;
use ospf_tokio::{AdapterVersion, Driver};
use rib::{PathType, Protocol, Rib, RibConfig, Route, RouteChange, RouteKind};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{mpsc, oneshot};

use crate::config::{self, AgentConfig, PodSource};
use crate::metrics::Metrics;
use crate::ospf3::Driver6;

/// Why the agent stopped or could not start.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// The hook for a pod CIDR source run by the embedding program, such as a
/// watch of the Kubernetes node's `spec.podCIDRs` (`PodSource::Kubernetes`):
/// each message is the whole set of this node's pod CIDRs, IPv4 and IPv6
/// (the IPv6 ones are announced with `[ospfv3]` only).
pub type PodFeed = mpsc::Receiver<Vec<IpNet>>;

/// A `show` request and where its answer goes.
type Ask = (Request, oneshot::Sender<String>);

/// What the agent remembers of a neighbour for `show`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NbrInfo {
    /// When it entered its current state.
    pub since: Instant,
    /// The last MTU mismatch reported: (neighbour's, ours).
    pub mtu_mismatch: Option<(u16, u16)>,
}

/// The running agent's state.
pub(crate) struct Speaker {
    pub cfg: AgentConfig,
    path: PathBuf,
    pub driver: Driver<Instance>,
    /// The OSPFv3 engine, with `[ospfv3]`.
    pub driver6: Option<Driver6>,
    pub names: Names,
    pub uptimes: Uptimes,
    pub rib: Rib,
    pub fib: kernel::FibWorker,
    /// Connected and kernel routes in the table now (for the kernel source).
    kernel_seen: BTreeSet<IpNet>,
    /// Pod CIDRs from the embedding program (the Kubernetes hook).
    fed: Vec<IpNet>,
    /// The pod CIDRs announced now, IPv4 (OSPFv2) and IPv6 (OSPFv3).
    pub announced: BTreeSet<IpNet>,
    /// OSPFv2 neighbours.
    pub neighbors: BTreeMap<(u32, RouterId), NbrInfo>,
    /// OSPFv3 neighbours.
    pub neighbors6: BTreeMap<(u32, RouterId), NbrInfo>,
    pub metrics: Metrics,
    health: Arc<Health>,
    spf_seen: (u64, u64),
    spf_seen6: (u64, u64),
    pub started: Instant,
}

/// Runs the agent for `cfg` (read from `path`, which SIGHUP reads again)
/// until SIGTERM or SIGINT; `feed` is the hook for a pod CIDR source of the
/// embedding program.
///
/// # Errors
///
/// What keeps it from starting: an interface, a socket, the kernel; or a
/// socket that fails for good later.
pub async fn run(cfg: AgentConfig, path: PathBuf, feed: Option<PodFeed>) -> Result<(), Error> {
    // The kernel watcher's task is not `Send`: it runs on this thread.
    tokio::task::LocalSet::new().run_until(run_local(cfg, path, feed)).await
}

async fn run_local(cfg: AgentConfig, path: PathBuf, feed: Option<PodFeed>) -> Result<(), Error> {
    let kcfg = kernel::FibConfig {
        protocol: kernel::RtProto(cfg.kernel.protocol),
        table: cfg.kernel.table,
        metric: cfg.kernel.metric,
        ..kernel::FibConfig::default()
    };
    // Our routes left by an earlier run (a crash, SIGKILL) are removed here.
    let fib = kernel::FibWorker::start(kcfg.clone()).await?;
    let stale = fib.stats().stale_removed;
    tracing::info!(
        table = kcfg.table,
        protocol = kcfg.protocol.0,
        stale_removed = stale,
        "kernel FIB"
    );
    let watcher = kernel::Watcher::start(kernel::WatchConfig::from(&kcfg)).await?;

    let mut names = Names::default();
    let driver = ospf_router::router::start(&cfg.ospf, &mut names)?;
    let driver6 = match cfg.ospfv3 {
        true => Some(crate::ospf3::start(&cfg, &mut names)?),
        false => None,
    };
    let iface_names: Vec<String> = cfg.ospf.interfaces.iter().map(|i| i.name.clone()).collect();

    let metrics = Metrics::new();
    let health = Health::new();
    let (ask_tx, mut asks) = mpsc::channel::<Ask>(16);
    let control = agent::control::serve(&cfg.control_socket, move |req: Request| {
        let tx = ask_tx.clone();
        async move {
            let (reply, answer) = oneshot::channel();
            if tx.send((req, reply)).await.is_err() {
                return "the agent is stopping\n".to_owned();
            }
            answer.await.unwrap_or_else(|_| "no answer\n".to_owned())
        }
    })?;
    let http = match cfg.metrics_address {
        Some(addr) => Some(serve_metrics(addr, &metrics, &health).await?),
        None => None,
    };

    let (kev_tx, mut kernel_events) = mpsc::channel::<kernel::Event>(4096);
    let watch_task = tokio::task::spawn_local(async move {
        let mut watcher = watcher;
        loop {
            match watcher.next_event().await {
                Ok(e) => {
                    if kev_tx.send(e).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    tracing::error!("kernel watcher: {e}");
                    return;
                }
            }
        }
    });

    let rib = Rib::new(RibConfig::new(bgp_wire::Asn(0), cfg.ospf.router_id));
    let mut s = Speaker {
        cfg,
        path,
        driver,
        driver6,
        names,
        uptimes: Uptimes::default(),
        rib,
        fib,
        kernel_seen: BTreeSet::new(),
        fed: Vec::new(),
        announced: BTreeSet::new(),
        neighbors: BTreeMap::new(),
        neighbors6: BTreeMap::new(),
        metrics,
        health,
        spf_seen: (0, 0),
        spf_seen6: (0, 0),
        started: Instant::now(),
    };
    if let Some(agg) = s.cfg.reject_aggregate {
        s.rib.add_route(Instant::now(), &reject_route(IpNet::V4(agg)));
    }
    if let Some(agg) = s.cfg.reject_aggregate6 {
        s.rib.add_route(Instant::now(), &reject_route(IpNet::V6(agg)));
    }
    s.announced = s.cfg.pods.prefixes.iter().copied().collect();
    tracing::info!(
        node = %s.cfg.node_name,
        router_id = %s.cfg.ospf.router_id,
        interfaces = ?iface_names,
        pod_cidrs = ?s.announced,
        reject_aggregate = ?s.cfg.reject_aggregate,
        reject_aggregate6 = ?s.cfg.reject_aggregate6,
        ospfv3 = s.cfg.ospfv3,
        control_socket = %s.cfg.control_socket.display(),
        "started"
    );
    s.sync_fib().await?;

    // RFC 5882 §4.1: neighbours on interfaces with `bfd` are watched by BFD.
    let mut bfd = match s.cfg.ospf.interfaces.iter().any(|i| i.bfd) {
        true => Some(ospf_router::bfd::OspfBfd::start(true, s.driver6.is_some())?),
        false => None,
    };
    let mut hup = signal(SignalKind::hangup())?;
    // The kernel thread finishes after the change that started it: its route count,
    // refusals and idleness (readiness) are looked at again every second.
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut feed = feed;
    let result: Result<(), Error> = loop {
        tokio::select! {
            ev = s.driver.next_event() => match ev {
                Ok(ev) => {
                    if let Some(b) = bfd.as_mut() {
                        b.on_event(&ev, &s.names);
                    }
                    s.handle_event(false, &ev);
                    if let Err(e) = s.sync_fib().await {
                        break Err(e);
                    }
                }
                Err(e) => break Err(e.into()),
            },
            ev = next_event6(&mut s.driver6) => match ev {
                Ok(ev) => {
                    if let Some(b) = bfd.as_mut() {
                        b.on_event(&ev, &s.names);
                    }
                    s.handle_event(true, &ev);
                    if let Err(e) = s.sync_fib().await {
                        break Err(e);
                    }
                }
                Err(e) => break Err(e.into()),
            },
            ev = kernel_events.recv() => {
                let Some(ev) = ev else {
                    // The watcher logged why; without it connected routes and
                    // the kernel pod source would go stale.
                    break Err("the kernel watcher stopped".into());
                };
                s.handle_kernel(ev);
                if let Err(e) = s.sync_fib().await {
                    break Err(e);
                }
            }
            Some(set) = async { match feed.as_mut() { Some(f) => f.recv().await, None => None } } => {
                s.fed = set;
                s.update_pods(false);
            }
            down = ospf_router::bfd::next_down(&mut bfd) => {
                let (ifindex, peer) = match down {
                    Ok(d) => d,
                    Err(e) => break Err(e.into()),
                };
                let now = Instant::now();
                let (killed, flushed) = match (peer, s.driver6.as_mut()) {
                    (std::net::IpAddr::V4(p), _) => {
                        (s.driver.engine_mut().bfd_down(now, ifindex, p), s.driver.flush().await)
                    }
                    (std::net::IpAddr::V6(p), Some(d)) => {
                        (d.engine_mut().bfd_down(now, ifindex, p), d.flush().await)
                    }
                    (std::net::IpAddr::V6(_), None) => (false, Ok(())),
                };
                tracing::warn!(ifindex, %peer, killed, "BFD: path down");
                if let Err(e) = flushed {
                    break Err(e.into());
                }
            }
            Some((req, reply)) = asks.recv() => {
                let answer = match (req.args().as_slice(), bfd.as_ref()) {
                    (["show", "bfd", ..], Some(b)) => b.show(&s.names),
                    (["show", "bfd", ..], None) => "BFD Peers:\n".to_owned(),
                    _ => s.show(&req).await,
                };
                let _ = reply.send(answer);
            }
            _ = hup.recv() => {
                s.reload().await;
                if let Err(e) = s.sync_fib().await {
                    break Err(e);
                }
            }
            _ = tick.tick() => {
                if let Err(e) = s.sync_fib().await {
                    break Err(e);
                }
            }
            _ = term.recv() => break Ok(()),
            _ = int.recv() => break Ok(()),
        }
    };
    if let Err(e) = &result {
        tracing::error!("stopping on error: {e}");
    }
    s.health.set_ready(false);
    tracing::info!("shutting down: flushing our LSAs and removing our kernel routes");
    s.driver.engine_mut().shutdown(Instant::now());
    if let Err(e) = s.driver.flush().await {
        tracing::warn!("flushing our LSAs: {e}");
    }
    if let Some(d) = s.driver6.as_mut() {
        d.engine_mut().shutdown(Instant::now());
        if let Err(e) = d.flush().await {
            tracing::warn!("flushing our OSPFv3 LSAs: {e}");
        }
    }
    let installed = s.fib.routes();
    match s.fib.stop().await {
        Ok(stats) => {
            tracing::info!(removed = installed, requests = stats.requests, "kernel routes removed")
        }
        Err(e) => tracing::warn!("removing our kernel routes: {e}"),
    }
    control.abort();
    watch_task.abort();
    if let Some(t) = http {
        t.abort();
    }
    let _ = std::fs::remove_file(&s.cfg.control_socket);
    tracing::info!("stopped");
    result
}

async fn serve_metrics(
    addr: SocketAddr,
    metrics: &Metrics,
    health: &Arc<Health>,
) -> Result<tokio::task::JoinHandle<()>, Error> {
    let (bound, task) = agent::http::serve(addr, metrics.registry(), health.clone()).await?;
    tracing::info!(address = %bound, "metrics and health served");
    Ok(task)
}

/// The OSPFv3 engine's next event; never, without one.
async fn next_event6(d: &mut Option<Driver6>) -> Result<Event<Ipv6Addr>, ospf_tokio::Error> {
    match d {
        Some(d) => d.next_event().await,
        None => std::future::pending().await,
    }
}

/// The reject route for the covering aggregate of the pod CIDRs.
fn reject_route(prefix: IpNet) -> Route {
    Route {
        prefix,
        protocol: Protocol::Static,
        path_type: PathType::Other,
        metric: 0,
        type2_cost: None,
        next_hops: Vec::new(),
        tag: None,
        kind: RouteKind::Reject,
    }
}

impl Speaker {
    /// The interface name and address FRR's messages name it by (`eth0:192.168.2.11`).
    pub(crate) fn if_label(&self, ifindex: u32) -> String {
        let name = self.names.0.get(&ifindex).cloned().unwrap_or_else(|| format!("if{ifindex}"));
        match self.driver.interfaces().find(|i| i.ifindex == ifindex).and_then(|i| i.addrs.first())
        {
            Some(a) => format!("{name}:{}", a.addr()),
            None => name,
        }
    }

    /// The same for OSPFv3, named by the link-local address (`eth0:fe80::1`).
    pub(crate) fn if_label6(&self, ifindex: u32) -> String {
        let name = self.names.0.get(&ifindex).cloned().unwrap_or_else(|| format!("if{ifindex}"));
        let ll = self
            .driver6
            .as_ref()
            .and_then(|d| d.interfaces().find(|i| i.ifindex == ifindex))
            .and_then(|i| i.link_local());
        match ll {
            Some(a) => format!("{name}:{a}"),
            None => name,
        }
    }

    /// Logs an event of the OSPFv2 engine or (`v3`) the OSPFv3 one, counts
    /// it, and feeds route changes to the table.
    fn handle_event<A: Display + Debug>(&mut self, v3: bool, ev: &Event<A>) {
        let now = Instant::now();
        let label = |s: &Self, ifindex: u32| match v3 {
            true => s.if_label6(ifindex),
            false => s.if_label(ifindex),
        };
        let version = if v3 { "OSPFv3" } else { "OSPFv2" };
        match ev {
            Event::NeighborState { ifindex, router_id, addr, old, new, reason } => {
                // FRR's words: "AdjChg: Nbr 10.2.0.1(...) on eth0:192.168.2.11: Loading -> Full (LoadingDone)".
                tracing::info!(
                    interface = %label(self, *ifindex), neighbor = %router_id, address = %addr,
                    version,
                    "AdjChg: Nbr {router_id} on {}: {old} -> {new} ({reason})",
                    label(self, *ifindex)
                );
                let neighbors = if v3 { &mut self.neighbors6 } else { &mut self.neighbors };
                if *new == NbrState::Down {
                    neighbors.remove(&(*ifindex, *router_id));
                } else {
                    let e = neighbors
                        .entry((*ifindex, *router_id))
                        .or_insert(NbrInfo { since: now, mtu_mismatch: None });
                    e.since = now;
                }
            }
            Event::InterfaceState { ifindex, old, new, dr, bdr } => {
                tracing::info!(
                    interface = %label(self, *ifindex), dr = ?dr.map(|r| r.to_string()),
                    bdr = ?bdr.map(|r| r.to_string()), version,
                    "interface {}: {old} -> {new}", label(self, *ifindex)
                );
            }
            Event::Route(change) => {
                self.uptimes.handle(now, change);
                self.rib.apply(now, change);
                let (what, r) = match change {
                    RouteChange::Add(r) => ("add", r),
                    RouteChange::Replace(r) => ("replace", r),
                    RouteChange::Delete(r) => ("delete", r),
                };
                tracing::debug!(prefix = %r.prefix, path_type = %r.path_type, cost = r.metric,
                    next_hops = r.next_hops.len(), version, "OSPF route {what}");
            }
            Event::MtuMismatch { ifindex, router_id, neighbor_mtu, local_mtu } => {
                // FRR ospfd's line (ospf_packet.c, ospf_db_desc): the neighbour
                // stays in ExStart until the MTUs agree.
                tracing::warn!(
                    interface = %label(self, *ifindex), neighbor = %router_id,
                    neighbor_mtu, local_mtu, version,
                    "Packet[DD]: Neighbor {router_id} MTU {neighbor_mtu} is larger than [{}]'s MTU {local_mtu}",
                    label(self, *ifindex)
                );
                self.metrics.error("mtu_mismatch");
                let neighbors = if v3 { &mut self.neighbors6 } else { &mut self.neighbors };
                let e = neighbors
                    .entry((*ifindex, *router_id))
                    .or_insert(NbrInfo { since: now, mtu_mismatch: None });
                e.mtu_mismatch = Some((*neighbor_mtu, *local_mtu));
            }
            Event::AuthFailure { ifindex, src, reason } => {
                tracing::warn!(interface = %label(self, *ifindex), source = %src, version,
                    "authentication failure from {src}: {reason}");
                self.metrics.error("auth_failure");
            }
            Event::HelloMismatch { ifindex, src, detail } => {
                tracing::warn!(interface = %label(self, *ifindex), source = %src, version,
                    "Hello from {src} refused: {detail}");
                self.metrics.error("hello_mismatch");
            }
            Event::BadPacket { ifindex, src, error } => {
                tracing::warn!(interface = %label(self, *ifindex), source = %src, version,
                    "packet from {src} dropped: {error:?}");
                self.metrics.error("bad_packet");
            }
            other => tracing::debug!(version, "{other:?}"),
        }
    }

    /// A link, connected or kernel route from the kernel.
    fn handle_kernel(&mut self, ev: kernel::Event) {
        match ev {
            kernel::Event::Link(link) => {
                self.names.0.insert(link.index, link.name);
            }
            kernel::Event::LinkGone(_) => {}
            kernel::Event::Route(change) => {
                let p = change.route().prefix;
                match change {
                    RouteChange::Delete(_) => self.kernel_seen.remove(&p),
                    _ => self.kernel_seen.insert(p),
                };
                self.rib.apply(Instant::now(), &change);
                if matches!(self.cfg.pods.source, PodSource::Kernel { .. }) {
                    self.update_pods(false);
                }
            }
            _ => {}
        }
    }

    /// The pod CIDRs the source gives now; IPv6 ones only with OSPFv3.
    fn wanted_pods(&self) -> BTreeSet<IpNet> {
        let aggregates =
            [self.cfg.reject_aggregate.map(IpNet::V4), self.cfg.reject_aggregate6.map(IpNet::V6)];
        let all: BTreeSet<IpNet> = match &self.cfg.pods.source {
            PodSource::Static => self.cfg.pods.prefixes.iter().copied().collect(),
            PodSource::Kernel { within } => self
                .kernel_seen
                .iter()
                .filter(|p| within.iter().any(|w| w.contains(*p)))
                .filter(|p| !aggregates.contains(&Some(**p)))
                .copied()
                .collect(),
            PodSource::Kubernetes => self.fed.iter().copied().collect(),
        };
        all.into_iter().filter(|p| matches!(p, IpNet::V4(_)) || self.driver6.is_some()).collect()
    }

    /// Re-originates the pod routes when the set changed.
    fn update_pods(&mut self, force: bool) {
        let wanted = self.wanted_pods();
        if wanted == self.announced && !force {
            return;
        }
        let added: Vec<&IpNet> = wanted.difference(&self.announced).collect();
        let removed: Vec<&IpNet> = self.announced.difference(&wanted).collect();
        tracing::info!(?added, ?removed, "pod CIDRs changed: AS-external-LSAs follow");
        let changed = |v6: bool| {
            force || added.iter().chain(&removed).any(|p| matches!(p, IpNet::V6(_)) == v6)
        };
        let (v4_changed, v6_changed) = (changed(false), changed(true));
        let now = Instant::now();
        if v4_changed {
            let list = self.cfg.pods.redistribute(wanted.iter().copied());
            let engine_list = list.iter().map(ospf_router::router::redistribute).collect();
            self.driver.engine_mut().handle_config(now, engine_list);
        }
        if let (true, Some(d)) = (v6_changed, self.driver6.as_mut()) {
            d.engine_mut().handle_config6(now, self.cfg.pods.redistribute6(wanted.iter().copied()));
        }
        self.announced = wanted;
    }

    /// Programs what the table changed into the kernel; updates the metrics
    /// and readiness.
    async fn sync_fib(&mut self) -> Result<(), Error> {
        let changes: Vec<_> = std::iter::from_fn(|| self.rib.poll_fib()).collect();
        if !changes.is_empty() {
            self.fib.apply(changes).await?;
        }
        // One line however many were refused (a link going down refuses them all at once).
        let refused = self.fib.take_refused();
        for _ in 0..refused.count {
            self.metrics.error("kernel_refused");
        }
        if let Some(kernel::FibEvent::Refused { prefix, op, errno, message }) = refused.first {
            tracing::warn!(count = refused.count, %prefix, ?op, errno,
                message = message.as_deref().unwrap_or(""),
                "the kernel refused routes (the first shown)");
        }
        let spf = self.driver.engine().spf_runs();
        self.metrics.spf(spf.0 - self.spf_seen.0.min(spf.0), spf.1 - self.spf_seen.1.min(spf.1));
        self.spf_seen = spf;
        if let Some(d) = &self.driver6 {
            let spf6 = d.engine().spf_runs();
            let seen = self.spf_seen6;
            self.metrics.spf6(spf6.0 - seen.0.min(spf6.0), spf6.1 - seen.1.min(spf6.1));
            self.spf_seen6 = spf6;
        }
        self.update_gauges();
        if !self.health.is_ready() && spf != (0, 0) && self.fib.is_idle() {
            self.health.set_ready(true);
            tracing::info!(
                kernel_routes = self.fib.routes(),
                after_ms = self.started.elapsed().as_millis() as u64,
                "ready: the first SPF's routes are in the kernel"
            );
        }
        Ok(())
    }

    fn update_gauges(&self) {
        let kernel_routes = self.fib.routes();
        let pods =
            |v6: bool| self.announced.iter().filter(|p| matches!(p, IpNet::V6(_)) == v6).count();
        self.metrics.set_gauges(gauges(&self.driver, &self.cfg, kernel_routes, pods(false)));
        if let Some(d) = &self.driver6 {
            self.metrics.set_gauges6(gauges(d, &self.cfg, kernel_routes, pods(true)));
        }
    }

    /// SIGHUP: reads the file again and applies what changed; a bad file is
    /// logged and the running configuration kept.
    async fn reload(&mut self) {
        let new = match config::load(&self.path, &self.cfg.node_name) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!("reload refused, configuration kept: {e}");
                self.metrics.reload(false);
                return;
            }
        };
        let now = Instant::now();
        let old = std::mem::replace(&mut self.cfg, new.clone());
        if new.ospf.router_id != old.ospf.router_id {
            tracing::warn!(old = %old.ospf.router_id, new = %new.ospf.router_id,
                "a new router-id takes a restart; keeping the old one");
            self.cfg.ospf.router_id = old.ospf.router_id;
        }
        for (what, changed) in [
            ("[ospfv3]", new.ospfv3 != old.ospfv3),
            ("control-socket", new.control_socket != old.control_socket),
            ("metrics-address", new.metrics_address != old.metrics_address),
            ("[kernel]", new.kernel != old.kernel),
        ] {
            if changed {
                tracing::warn!("a new {what} takes a restart; keeping the old one");
            }
        }
        self.cfg.control_socket = old.control_socket.clone();
        self.cfg.metrics_address = old.metrics_address;
        self.cfg.kernel = old.kernel;
        self.cfg.ospfv3 = old.ospfv3;

        // Interfaces: removed, added, or changed (cost alone is changed in
        // place; other settings take the interface down and up again).
        // Unchanged interfaces and their adjacencies are not touched.
        let wanted = ospf_router::router::engine_config(&self.cfg.ospf, |name| {
            ospf_tokio::iface::discover(name).map(|s| s.ifindex)
        });
        let wanted = match wanted {
            Ok(w) => w,
            Err(e) => {
                tracing::error!("reload: {e}; interfaces kept as they were");
                self.cfg.ospf.interfaces = old.ospf.interfaces.clone();
                self.apply_pods_and_aggregate(&old, now);
                self.metrics.reload(false);
                return;
            }
        };
        reload_interfaces(&mut self.driver, &wanted, &mut self.names, &mut self.neighbors, now)
            .await;
        if let Some(d) = self.driver6.as_mut() {
            let wanted6 = crate::ospf3::engine_config(&self.cfg, |name| {
                ospf_tokio::iface::discover(name).map(|s| s.ifindex)
            });
            match wanted6 {
                Ok(w) => {
                    reload_interfaces(d, &w, &mut self.names, &mut self.neighbors6, now).await;
                }
                Err(e) => tracing::error!("reload: OSPFv3: {e}; interfaces kept as they were"),
            }
        }
        self.apply_pods_and_aggregate(&old, now);
        self.metrics.reload(true);
        tracing::info!(path = %self.path.display(), "configuration reloaded");
    }

    fn apply_pods_and_aggregate(&mut self, old: &AgentConfig, now: Instant) {
        let olds = [old.reject_aggregate.map(IpNet::V4), old.reject_aggregate6.map(IpNet::V6)];
        let news =
            [self.cfg.reject_aggregate.map(IpNet::V4), self.cfg.reject_aggregate6.map(IpNet::V6)];
        for (was, is) in olds.into_iter().zip(news) {
            if was == is {
                continue;
            }
            if let Some(a) = was {
                self.rib.remove_route(now, Protocol::Static, a);
            }
            if let Some(a) = is {
                self.rib.add_route(now, &reject_route(a));
            }
            tracing::info!(old = ?was, new = ?is, "reload: reject aggregate changed");
        }
        // A new metric or forwarding address changes every LSA.
        self.update_pods(self.cfg.pods != old.pods);
    }
}

/// The gauges of one engine, OSPFv2's or OSPFv3's.
fn gauges<V: AdapterVersion>(
    driver: &Driver<OspfInstance<V>>,
    cfg: &AgentConfig,
    kernel_routes: usize,
    pod_routes: usize,
) -> crate::metrics::Gauges {
    let ospf = driver.engine();
    let mut full = 0;
    let mut all = 0;
    for i in driver.interfaces() {
        for (_, _, st) in ospf.neighbors(i.ifindex) {
            all += 1;
            if st == NbrState::Full {
                full += 1;
            }
        }
    }
    let lsas = cfg
        .ospf
        .areas
        .iter()
        .filter_map(|a| ospf.area_lsdb(a.id.into()))
        .map(|d| d.len())
        .sum::<usize>()
        + ospf.as_lsdb().len()
        + driver
            .interfaces()
            .filter_map(|i| ospf.link_lsdb(i.ifindex))
            .map(|d| d.len())
            .sum::<usize>();
    crate::metrics::Gauges {
        neighbors: all,
        neighbors_full: full,
        lsas,
        ospf_routes: ospf.routes().count(),
        kernel_routes,
        pod_routes,
    }
}

/// SIGHUP for one engine: interfaces removed, added, or changed (cost alone
/// is changed in place; other settings take the interface down and up
/// again). Unchanged interfaces and their adjacencies are not touched.
async fn reload_interfaces<V: AdapterVersion>(
    driver: &mut Driver<OspfInstance<V>>,
    wanted: &ospf_lsdb::Config,
    names: &mut Names,
    neighbors: &mut BTreeMap<(u32, RouterId), NbrInfo>,
    now: Instant,
) {
    let running: Vec<u32> = driver.interfaces().map(|i| i.ifindex).collect();
    for ifindex in running {
        if !wanted.interfaces.iter().any(|i| i.ifindex == ifindex) {
            let name = names.0.get(&ifindex).cloned().unwrap_or_else(|| format!("if{ifindex}"));
            tracing::info!(interface = %name, version = V::NUMBER, "reload: interface removed");
            driver.engine_mut().handle_interface_remove(now, ifindex);
            if let Err(e) = driver.remove_interface(ifindex).await {
                tracing::warn!("reload: {e}");
            }
            neighbors.retain(|(i, _), _| *i != ifindex);
        }
    }
    for want in &wanted.interfaces {
        let have = driver.engine().interface_config(want.ifindex).cloned();
        match have {
            Some(h) if h == *want => {}
            Some(h) if ospf_lsdb::InterfaceConfig { cost: want.cost, ..h.clone() } == *want => {
                tracing::info!(interface = %want.name, old = h.cost, new = want.cost, version = V::NUMBER, "reload: cost changed");
                driver.engine_mut().handle_interface_cost(now, want.ifindex, want.cost);
            }
            had => {
                if had.is_some() {
                    tracing::info!(interface = %want.name, version = V::NUMBER, "reload: interface settings changed: restarting it");
                    driver.engine_mut().handle_interface_remove(now, want.ifindex);
                    if let Err(e) = driver.remove_interface(want.ifindex).await {
                        tracing::warn!("reload: {e}");
                    }
                    neighbors.retain(|(i, _), _| *i != want.ifindex);
                } else {
                    tracing::info!(interface = %want.name, version = V::NUMBER, "reload: interface added");
                }
                driver.engine_mut().handle_interface_add(now, want.clone());
                match driver.add_interface(&want.name) {
                    Ok(st) => {
                        names.0.insert(st.ifindex, st.name);
                    }
                    Err(e) => tracing::error!("reload: {e}"),
                }
            }
        }
    }
}
