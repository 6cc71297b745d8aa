//! A Kubernetes API server for tests, on loopback: just enough of `/api/v1/nodes` and
//! `/api/v1/services` for a real `kube` client to list and watch, with the API's JSON.
//!
//! It keeps a global resource version (as etcd does), a log of watch events, and the
//! current objects. Tests change objects (the change goes to every open watch), lose
//! changes (`*_unseen`: the event never reaches a watch, as when a watch was cut), send
//! bookmarks, end watches, and expire resource versions (410 Gone on the open watches and
//! on any watch resumed from before). Every request is recorded.
//!
//! HTTP/1.1, one request per connection (`Connection: close`); watch responses are
//! chunked, one JSON event per line, as the API server sends them.

#![allow(dead_code)] // each test file uses a different part

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use k8s_openapi::{
    api::core::v1::{
        LoadBalancerIngress, LoadBalancerStatus, Node, NodeSpec, Service, ServicePort, ServiceSpec,
        ServiceStatus,
    },
    apimachinery::pkg::apis::meta::v1::{ManagedFieldsEntry, ObjectMeta},
};
use serde_json::{json, Value};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::watch,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Node,
    Service,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Node => "Node",
            Kind::Service => "Service",
        }
    }
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Request {
    pub path: String,
    pub query: BTreeMap<String, String>,
}

impl Request {
    pub fn kind(&self) -> Option<Kind> {
        match self.path.as_str() {
            "/api/v1/nodes" => Some(Kind::Node),
            "/api/v1/services" => Some(Kind::Service),
            _ => None,
        }
    }

    pub fn is_watch(&self) -> bool {
        self.query.get("watch").map(String::as_str) == Some("true")
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }
}

struct Logged {
    rv: u64,
    kind: Kind,
    ty: &'static str,
    object: Value,
}

#[derive(Default)]
struct State {
    rv: u64,
    nodes: BTreeMap<String, Value>,
    services: BTreeMap<String, Value>,
    log: Vec<Logged>,
    /// Watches from a resource version older than this get 410 Gone.
    compacted: u64,
    /// Bumped to send 410 Gone on the open watches of a kind (index: `Kind as usize`).
    expire_gen: [u64; 2],
    /// Bumped to end every open watch normally (as its timeout would).
    close_gen: u64,
    requests: Vec<Request>,
}

impl State {
    fn objects(&mut self, kind: Kind) -> &mut BTreeMap<String, Value> {
        match kind {
            Kind::Node => &mut self.nodes,
            Kind::Service => &mut self.services,
        }
    }
}

pub struct FakeApiServer {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    changed: watch::Sender<u64>,
}

impl FakeApiServer {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State { rv: 100, ..State::default() }));
        let (changed, _) = watch::channel(0);
        let server = FakeApiServer { addr, state, changed };
        server.accept(listener);
        server
    }

    /// Serves the same objects on another listener too, such as one bound inside a
    /// network namespace (a socket stays in the namespace it was made in).
    pub fn serve_also(&self, listener: std::net::TcpListener) {
        listener.set_nonblocking(true).expect("non-blocking listener");
        self.accept(TcpListener::from_std(listener).expect("tokio listener"));
    }

    fn accept(&self, listener: TcpListener) {
        let (state, changed) = (self.state.clone(), self.changed.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (state, changed) = (state.clone(), changed.subscribe());
                tokio::spawn(async move {
                    // A client that goes away mid-response is not the test's concern.
                    let _ = serve(stream, state, changed).await;
                });
            }
        });
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A client for this server.
    pub fn client(&self) -> kube::Client {
        let config = kube::Config::new(self.url().parse().unwrap());
        kube::Client::try_from(config).unwrap()
    }

    pub fn resource_version(&self) -> u64 {
        self.state.lock().unwrap().rv
    }

    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }

    fn change(&self, kind: Kind, key: String, object: Option<Value>, seen: bool) {
        let mut st = self.state.lock().unwrap();
        st.rv += 1;
        let rv = st.rv;
        let (ty, object) = match object {
            Some(mut obj) => {
                let previous = st.objects(kind).get(&key).cloned();
                obj["metadata"]["resourceVersion"] = json!(rv.to_string());
                obj["metadata"]["uid"] = previous
                    .map(|p| p["metadata"]["uid"].clone())
                    .unwrap_or_else(|| json!(format!("uid-{rv}")));
                let ty = if st.objects(kind).contains_key(&key) { "MODIFIED" } else { "ADDED" };
                st.objects(kind).insert(key, obj.clone());
                (ty, obj)
            }
            None => {
                let mut obj =
                    st.objects(kind).remove(&key).expect("deleting an object that is not there");
                obj["metadata"]["resourceVersion"] = json!(rv.to_string());
                ("DELETED", obj)
            }
        };
        if seen {
            st.log.push(Logged { rv, kind, ty, object });
        }
        drop(st);
        self.changed.send_modify(|n| *n += 1);
    }

    pub fn apply_node(&self, node: Node) {
        let key = node.metadata.name.clone().unwrap();
        self.change(Kind::Node, key, Some(to_json(node)), true);
    }

    pub fn delete_node(&self, name: &str) {
        self.change(Kind::Node, name.to_owned(), None, true);
    }

    pub fn apply_service(&self, service: Service) {
        let key = service_key(&service);
        self.change(Kind::Service, key, Some(to_json(service)), true);
    }

    pub fn delete_service(&self, namespace: &str, name: &str) {
        self.change(Kind::Service, format!("{namespace}/{name}"), None, true);
    }

    /// A change whose watch event is lost.
    pub fn apply_service_unseen(&self, service: Service) {
        let key = service_key(&service);
        self.change(Kind::Service, key, Some(to_json(service)), false);
    }

    /// A delete whose watch event is lost.
    pub fn delete_service_unseen(&self, namespace: &str, name: &str) {
        self.change(Kind::Service, format!("{namespace}/{name}"), None, false);
    }

    /// Writes to other resources: the global resource version moves on.
    pub fn advance(&self, n: u64) {
        self.state.lock().unwrap().rv += n;
    }

    /// A BOOKMARK at the current resource version on every watch that asked for them.
    pub fn bookmark(&self) {
        let mut st = self.state.lock().unwrap();
        let rv = st.rv;
        for kind in [Kind::Node, Kind::Service] {
            let object = json!({"kind": kind.name(), "apiVersion": "v1",
                                "metadata": {"resourceVersion": rv.to_string()}});
            st.log.push(Logged { rv, kind, ty: "BOOKMARK", object });
        }
        drop(st);
        self.changed.send_modify(|n| *n += 1);
    }

    /// Compaction: watches from before the current resource version get 410 Gone.
    pub fn compact(&self) {
        let mut st = self.state.lock().unwrap();
        st.compacted = st.rv;
    }

    /// Compaction, and 410 Gone on the open watches of `kind`.
    pub fn expire(&self, kind: Kind) {
        {
            let mut st = self.state.lock().unwrap();
            st.compacted = st.rv;
            st.expire_gen[kind as usize] += 1;
        }
        self.changed.send_modify(|n| *n += 1);
    }

    /// Ends every open watch normally, as its `timeoutSeconds` would.
    pub fn close_watches(&self) {
        self.state.lock().unwrap().close_gen += 1;
        self.changed.send_modify(|n| *n += 1);
    }
}

fn service_key(s: &Service) -> String {
    format!("{}/{}", s.metadata.namespace.as_deref().unwrap(), s.metadata.name.as_deref().unwrap())
}

fn to_json<T: serde::Serialize>(object: T) -> Value {
    let mut v = serde_json::to_value(object).unwrap();
    v["metadata"]["creationTimestamp"] = json!("2025-01-01T00:00:00Z");
    v
}

// --- objects as the API server has them ----------------------------------------------------

fn meta(namespace: Option<&str>, name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        namespace: namespace.map(Into::into),
        labels: Some([("app".to_string(), name.to_string())].into()),
        annotations: Some(
            [("kubectl.kubernetes.io/last-applied-configuration".to_string(), "{}".repeat(200))]
                .into(),
        ),
        managed_fields: Some(vec![ManagedFieldsEntry {
            manager: Some("kubectl".into()),
            operation: Some("Apply".into()),
            ..ManagedFieldsEntry::default()
        }]),
        ..ObjectMeta::default()
    }
}

fn strings(v: &[&str]) -> Option<Vec<String>> {
    (!v.is_empty()).then(|| v.iter().map(|s| s.to_string()).collect())
}

pub fn node(name: &str, pod_cidrs: &[&str]) -> Node {
    Node {
        metadata: meta(None, name),
        spec: Some(NodeSpec {
            pod_cidr: pod_cidrs.first().map(|s| s.to_string()),
            pod_cidrs: strings(pod_cidrs),
            provider_id: Some(format!("kind://docker/kind/{name}")),
            ..NodeSpec::default()
        }),
        status: None,
    }
}

/// A Node with labels and an `InternalIP`, as the mesh reads it.
pub fn mesh_node(name: &str, internal_ip: &str, labels: &[(&str, &str)]) -> Node {
    use k8s_openapi::api::core::v1::{NodeAddress, NodeStatus};
    let mut n = node(name, &[]);
    n.metadata.labels = Some(labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
    n.status = Some(NodeStatus {
        addresses: Some(vec![
            NodeAddress { type_: "Hostname".into(), address: name.into() },
            NodeAddress { type_: "InternalIP".into(), address: internal_ip.into() },
        ]),
        ..NodeStatus::default()
    });
    n
}

/// A Service of type LoadBalancer (or ClusterIP when it has no load-balancer address).
pub fn service(
    namespace: &str,
    name: &str,
    cluster: &[&str],
    external: &[&str],
    lb: &[&str],
) -> Service {
    let ty = if lb.is_empty() { "ClusterIP" } else { "LoadBalancer" };
    Service {
        metadata: meta(Some(namespace), name),
        spec: Some(ServiceSpec {
            type_: Some(ty.into()),
            cluster_ip: cluster.first().map(|s| s.to_string()),
            cluster_ips: strings(cluster),
            external_ips: strings(external),
            ip_families: Some(vec!["IPv4".into()]),
            ports: Some(vec![ServicePort {
                port: 80,
                protocol: Some("TCP".into()),
                ..ServicePort::default()
            }]),
            selector: Some([("app".to_string(), name.to_string())].into()),
            ..ServiceSpec::default()
        }),
        status: Some(ServiceStatus {
            load_balancer: Some(LoadBalancerStatus {
                ingress: strings(lb).map(|ips| {
                    ips.into_iter()
                        .map(|ip| LoadBalancerIngress {
                            ip: Some(ip),
                            ..LoadBalancerIngress::default()
                        })
                        .collect()
                }),
            }),
            ..ServiceStatus::default()
        }),
    }
}

pub fn headless(namespace: &str, name: &str) -> Service {
    let mut s = service(namespace, name, &["None"], &[], &[]);
    s.spec.as_mut().unwrap().ip_families = None;
    s
}

/// An ExternalName service; `external` is set too, to show it is ignored.
pub fn external_name(namespace: &str, name: &str, external: &[&str]) -> Service {
    let mut s = service(namespace, name, &[], external, &[]);
    let spec = s.spec.as_mut().unwrap();
    spec.type_ = Some("ExternalName".into());
    spec.external_name = Some("db.example.net".into());
    spec.selector = None;
    s
}

// --- HTTP ----------------------------------------------------------------------------------

async fn serve(
    mut stream: TcpStream,
    state: Arc<Mutex<State>>,
    changed: watch::Receiver<u64>,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await?;
        if n == 0 || head.len() > 64 * 1024 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&head);
    let target = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let request = Request { path: path.to_owned(), query: parse_query(query) };
    // Recorded with the state the request is served from, under one lock: once a test
    // sees a list or watch request, that request's view of the objects is fixed.
    let Some(kind) = request.kind() else {
        state.lock().unwrap().requests.push(request.clone());
        let status = json!({"kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Failure", "message": format!("the server could not find {path}"),
            "reason": "NotFound", "code": 404});
        return respond(&mut stream, "404 Not Found", &status).await;
    };
    let name_selector = match request.param("fieldSelector") {
        Some(sel) => match sel.strip_prefix("metadata.name=") {
            Some(name) => Some(name.to_owned()),
            None => {
                state.lock().unwrap().requests.push(request.clone());
                let status = json!({"kind": "Status", "apiVersion": "v1", "metadata": {},
                    "status": "Failure", "message": "unsupported field selector",
                    "reason": "BadRequest", "code": 400});
                return respond(&mut stream, "400 Bad Request", &status).await;
            }
        },
        None => None,
    };
    let selected = |v: &Value| {
        name_selector.as_deref().is_none_or(|n| v["metadata"]["name"].as_str() == Some(n))
    };

    if !request.is_watch() {
        let body = {
            let mut st = state.lock().unwrap();
            st.requests.push(request.clone());
            let rv = st.rv;
            let items: Vec<Value> = st
                .objects(kind)
                .values()
                .filter(|v| selected(v))
                .map(|v| {
                    // List items carry no kind and apiVersion.
                    let mut v = v.clone();
                    let obj = v.as_object_mut().unwrap();
                    obj.remove("kind");
                    obj.remove("apiVersion");
                    v
                })
                .collect();
            json!({"kind": format!("{}List", kind.name()), "apiVersion": "v1",
                   "metadata": {"resourceVersion": rv.to_string()}, "items": items})
        };
        return respond(&mut stream, "200 OK", &body).await;
    }

    // A watch.
    let from: u64 = request.param("resourceVersion").and_then(|v| v.parse().ok()).unwrap_or(0);
    let bookmarks = request.param("allowWatchBookmarks") == Some("true");
    stream
        .write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
              Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        )
        .await?;
    let mut changed = changed;
    let (too_old, mut cursor, expire_gen, close_gen) = {
        let mut st = state.lock().unwrap();
        st.requests.push(request.clone());
        let cursor = st.log.partition_point(|e| e.rv <= from);
        (from < st.compacted, cursor, st.expire_gen[kind as usize], st.close_gen)
    };
    if too_old {
        chunk(&mut stream, &gone(from)).await?;
        return stream.write_all(b"0\r\n\r\n").await;
    }
    loop {
        changed.borrow_and_update();
        let (lines, expired, closed) = {
            let st = state.lock().unwrap();
            let lines: Vec<Value> = st.log[cursor..]
                .iter()
                .filter(|e| e.kind == kind && (e.ty != "BOOKMARK" || bookmarks))
                .filter(|e| e.ty == "BOOKMARK" || selected(&e.object))
                .map(|e| json!({"type": e.ty, "object": e.object}))
                .collect();
            cursor = st.log.len();
            (lines, st.expire_gen[kind as usize] != expire_gen, st.close_gen != close_gen)
        };
        for line in lines {
            chunk(&mut stream, &line).await?;
        }
        if expired {
            chunk(&mut stream, &gone(from)).await?;
        }
        if expired || closed {
            return stream.write_all(b"0\r\n\r\n").await;
        }
        if changed.changed().await.is_err() {
            return Ok(());
        }
    }
}

fn gone(from: u64) -> Value {
    json!({"type": "ERROR", "object": {"kind": "Status", "apiVersion": "v1", "metadata": {},
        "status": "Failure", "message": format!("too old resource version: {from}"),
        "reason": "Expired", "code": 410}})
}

async fn chunk(stream: &mut TcpStream, event: &Value) -> std::io::Result<()> {
    let line = format!("{event}\n");
    stream.write_all(format!("{:x}\r\n{line}\r\n", line.len()).as_bytes()).await?;
    stream.flush().await
}

async fn respond(stream: &mut TcpStream, status: &str, body: &Value) -> std::io::Result<()> {
    let body = body.to_string();
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}

fn parse_query(q: &str) -> BTreeMap<String, String> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
