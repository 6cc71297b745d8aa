//! The tokio side: a Kubernetes client, two watchers, and a [`RouteTable`] fed from them.

use std::{
    path::PathBuf,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use futures_util::{
    stream::{BoxStream, SelectAll},
    Stream, StreamExt,
};
use kube::{
    config::{InClusterError, InferConfigError, KubeConfigOptions, Kubeconfig, KubeconfigError},
    runtime::{
        utils::Backoff,
        watcher::{self, watcher, Event},
        WatchStreamExt,
    },
    Api, Client,
};

use crate::{
    LabelSelector, Mesh, MeshEvent, NodePeer, NodePodCidrs, RouteSourceEvent, RouteTable,
    ServiceAddresses, ServiceOptions, SourceId,
};

/// Where the Kubernetes client finds the API server and its credentials.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientConfig {
    /// `KUBECONFIG` or `~/.kube/config` if there is one, else the pod's service account
    /// (`kube::Config::infer`).
    #[default]
    Infer,
    /// The pod's service account: `KUBERNETES_SERVICE_HOST`/`_PORT` and the token and CA
    /// under `/var/run/secrets/kubernetes.io/serviceaccount/`.
    InCluster,
    /// A kubeconfig file, with its current context or the one named.
    Kubeconfig {
        /// The file.
        path: PathBuf,
        /// The context to use instead of the file's `current-context`.
        context: Option<String>,
    },
}

impl ClientConfig {
    /// A client for this configuration. Nothing is sent to the server yet.
    pub async fn client(&self) -> Result<Client, Error> {
        let config = match self {
            ClientConfig::Infer => kube::Config::infer().await.map_err(Error::Infer)?,
            ClientConfig::InCluster => kube::Config::incluster().map_err(Error::InCluster)?,
            ClientConfig::Kubeconfig { path, context } => {
                let options = KubeConfigOptions { context: context.clone(), ..Default::default() };
                let file = Kubeconfig::read_from(path)
                    .map_err(|source| Error::Kubeconfig { path: path.clone(), source })?;
                kube::Config::from_custom_kubeconfig(file, &options)
                    .await
                    .map_err(|source| Error::Kubeconfig { path: path.clone(), source })?
            }
        };
        Client::try_from(config).map_err(Error::Client)
    }
}

/// What a [`RouteSource`] watches.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RouteSourceConfig {
    /// This node's name (`spec.nodeName` through the downward API): its pod CIDRs are
    /// routes. Only this Node is listed and watched (`metadata.name` field selector).
    pub node_name: Option<String>,
    /// Service addresses to announce; `None` watches no services.
    pub services: Option<ServiceOptions>,
    /// Wait between a failed request and the next. `None`: kube's default, as client-go
    /// (800 ms doubling to 30 s, with jitter, so that the nodes of a cluster do not all
    /// come back to the API server at once).
    pub retry_delay: Option<Duration>,
}

/// A failure to build a client or to list or watch. Watch failures are not fatal: the
/// [`RouteSource`] retries (after its retry delay) and the stream goes on; they are
/// reported for logs and metrics.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No kubeconfig and no in-cluster configuration.
    #[error("no Kubernetes client configuration: {0}")]
    Infer(#[source] InferConfigError),
    /// The in-cluster configuration is missing or unreadable.
    #[error("in-cluster Kubernetes configuration: {0}")]
    InCluster(#[source] InClusterError),
    /// The kubeconfig file could not be read or used.
    #[error("kubeconfig {}: {source}", path.display())]
    Kubeconfig {
        /// The file.
        path: PathBuf,
        /// Why.
        source: KubeconfigError,
    },
    /// The client could not be built from the configuration.
    #[error("Kubernetes client: {0}")]
    Client(#[source] kube::Error),
    /// Listing or watching this node failed; it is retried.
    #[error("watching node {node}: {source}")]
    Node {
        /// The node's name.
        node: String,
        /// Why.
        source: watcher::Error,
    },
    /// Listing or watching services failed; it is retried.
    #[error("watching services: {0}")]
    Services(#[source] watcher::Error),
    /// Listing or watching the cluster's nodes (for the mesh) failed; it is retried.
    #[error("watching nodes: {0}")]
    Nodes(#[source] watcher::Error),
}

/// Pod CIDR and service routes from the Kubernetes API, as a [`Stream`] of
/// [`RouteSourceEvent`]s (errors are items too, and the stream goes on after them).
///
/// It lists and then watches the Node named in the config and all Services, keeps for
/// each object only its key and prefixes in a [`RouteTable`], and yields that table's
/// events: adds and removes with reference counting, and [`RouteSourceEvent::Synced`]
/// once both lists are in. When a watch cannot resume (410 Gone) the objects are listed
/// again and only the differences are yielded. No copy of the objects is kept.
///
/// The stream does nothing until polled. It never ends unless it watches nothing.
///
/// ```no_run
/// use futures_util::StreamExt;
/// use k8s_routes::{ClientConfig, RouteSource, RouteSourceConfig, RouteSourceEvent, ServiceOptions};
///
/// # async fn run() -> Result<(), k8s_routes::Error> {
/// let client = ClientConfig::Infer.client().await?;
/// let config = RouteSourceConfig {
///     node_name: std::env::var("NODE_NAME").ok(),
///     services: Some(ServiceOptions { cluster_ip: true, ..ServiceOptions::default() }),
///     retry_delay: None,
/// };
/// let mut routes = RouteSource::new(client, config);
/// while let Some(event) = routes.next().await {
///     match event {
///         Ok(RouteSourceEvent::Add(prefix)) => println!("announce {prefix}"),
///         Ok(RouteSourceEvent::Remove(prefix)) => println!("withdraw {prefix}"),
///         Ok(RouteSourceEvent::Synced) => println!("withdraw what was not announced again"),
///         Ok(_) => {}
///         Err(error) => eprintln!("{error}"),
///     }
/// }
/// # Ok(()) }
/// ```
pub struct RouteSource {
    table: RouteTable,
    node: Option<(SourceId, String)>,
    services: Option<(SourceId, ServiceOptions)>,
    inputs: SelectAll<BoxStream<'static, Input>>,
}

enum Input {
    Node(watcher::Result<Event<NodePodCidrs>>),
    Services(watcher::Result<Event<ServiceAddresses>>),
}

impl RouteSource {
    /// Watches what `config` asks for through `client`.
    pub fn new(client: Client, config: RouteSourceConfig) -> Self {
        let mut table = RouteTable::new();
        let mut inputs = SelectAll::new();
        let node = config.node_name.map(|name| {
            let selector = format!("metadata.name={name}");
            let api: Api<NodePodCidrs> = Api::all(client.clone());
            let stream =
                watch(api, watcher::Config::default().fields(&selector), config.retry_delay);
            inputs.push(stream.map(Input::Node).boxed());
            (table.add_source(), name)
        });
        let services = config.services.map(|options| {
            let api: Api<ServiceAddresses> = Api::all(client);
            let stream = watch(api, watcher::Config::default(), config.retry_delay);
            inputs.push(stream.map(Input::Services).boxed());
            (table.add_source(), options)
        });
        RouteSource { table, node, services, inputs }
    }

    /// Every watched resource has been listed once (the agent's readiness):
    /// [`RouteSourceEvent::Synced`] has been yielded, or comes after the adds still pending.
    pub fn is_synced(&self) -> bool {
        self.table.is_synced()
    }

    /// The table: what is announced, how many objects want a route.
    pub fn table(&self) -> &RouteTable {
        &self.table
    }

    fn handle(&mut self, input: Input) -> Result<(), Error> {
        match input {
            Input::Node(event) => {
                let Some((source, name)) = &self.node else { return Ok(()) };
                let event = event.map_err(|source| Error::Node { node: name.clone(), source })?;
                apply(&mut self.table, *source, event, |n| (n.name().to_owned(), n.pod_cidrs));
            }
            Input::Services(event) => {
                let Some((source, options)) = &self.services else { return Ok(()) };
                let event = event.map_err(Error::Services)?;
                apply(&mut self.table, *source, event, |s| (s.key(), options.prefixes(&s)));
            }
        }
        Ok(())
    }
}

impl Stream for RouteSource {
    type Item = Result<RouteSourceEvent, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(event) = this.table.poll_event() {
                return Poll::Ready(Some(Ok(event)));
            }
            match this.inputs.poll_next_unpin(cx) {
                Poll::Ready(Some(input)) => {
                    if let Err(error) = this.handle(input) {
                        return Poll::Ready(Some(Err(error)));
                    }
                }
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

/// The iBGP sessions this node should have with the cluster's other nodes, as a
/// [`Stream`] of [`MeshEvent`]s: a watch on all Nodes feeding a [`Mesh`]. Of each Node
/// only its name, peering address and whether `reflectors` selects it are kept.
pub struct NodeMesh {
    mesh: Mesh,
    reflectors: Option<LabelSelector>,
    nodes: BoxStream<'static, watcher::Result<Event<NodePeer>>>,
}

impl NodeMesh {
    /// The mesh of node `own`; nodes selected by `reflectors` are route reflectors.
    pub fn new(
        client: Client,
        own: &str,
        reflectors: Option<LabelSelector>,
        retry_delay: Option<Duration>,
    ) -> Self {
        let api: Api<NodePeer> = Api::all(client);
        let nodes = watch(api, watcher::Config::default(), retry_delay);
        NodeMesh { mesh: Mesh::new(own), reflectors, nodes }
    }

    /// The sans-IO mesh: the sessions asked for, whether this node reflects.
    pub fn mesh(&self) -> &Mesh {
        &self.mesh
    }

    fn handle(&mut self, event: Event<NodePeer>) {
        let reflects = |n: &NodePeer| {
            let labels = n.labels.iter().map(|(k, v)| (k.as_str(), v.as_str()));
            self.reflectors.as_ref().is_some_and(|s| s.matches(labels))
        };
        match event {
            Event::Init => self.mesh.handle_list_start(),
            Event::InitApply(n) | Event::Apply(n) => {
                let rr = reflects(&n);
                self.mesh.handle_apply(n.name(), n.peering_address(), rr);
            }
            Event::Delete(n) => self.mesh.handle_delete(n.name()),
            Event::InitDone => self.mesh.handle_list_done(),
        }
    }
}

impl Stream for NodeMesh {
    type Item = Result<MeshEvent, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(event) = this.mesh.poll_event() {
                return Poll::Ready(Some(Ok(event)));
            }
            match this.nodes.poll_next_unpin(cx) {
                Poll::Ready(Some(Ok(event))) => this.handle(event),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(Error::Nodes(e)))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

/// One watcher event into the table; `split` gives an object's key and prefixes.
fn apply<K>(
    table: &mut RouteTable,
    source: SourceId,
    event: Event<K>,
    split: impl FnOnce(K) -> (String, Vec<ipnet::IpNet>),
) {
    match event {
        Event::Init => table.handle_list_start(source),
        Event::InitApply(object) | Event::Apply(object) => {
            let (key, prefixes) = split(object);
            table.handle_apply(source, &key, &prefixes);
        }
        Event::Delete(object) => {
            let (key, _) = split(object);
            table.handle_delete(source, &key);
        }
        Event::InitDone => table.handle_list_done(source),
    }
}

fn watch<K>(
    api: Api<K>,
    config: watcher::Config,
    retry_delay: Option<Duration>,
) -> BoxStream<'static, watcher::Result<Event<K>>>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + 'static,
{
    let events = watcher(api, config);
    match retry_delay {
        Some(delay) => events.backoff(Fixed(delay)).boxed(),
        None => events.default_backoff().boxed(),
    }
}

/// The same wait after every failure.
struct Fixed(Duration);

impl Iterator for Fixed {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        Some(self.0)
    }
}

impl Backoff for Fixed {
    fn reset(&mut self) {}
}
