//! The real `kube` client against a loopback API server (tests/support): lists, watches,
//! bookmarks and 410 Gone, with the API's JSON.

mod support;

use std::{collections::VecDeque, time::Duration};

use futures_util::StreamExt;
use k8s_routes::{
    ClientConfig, IpNet, RouteSource, RouteSourceConfig, RouteSourceEvent,
    RouteSourceEvent::{Add, Remove, Synced},
    ServiceOptions,
};
use support::{external_name, headless, node, service, FakeApiServer, Kind};

fn net(s: &str) -> IpNet {
    s.parse().unwrap()
}

struct Harness {
    server: FakeApiServer,
    source: RouteSource,
    /// Events read while waiting for something else.
    pending: VecDeque<RouteSourceEvent>,
    errors: Vec<String>,
    watched: Vec<Kind>,
}

impl Harness {
    /// A source watching node `node-a` and services, with every kind of service address.
    fn start(server: FakeApiServer) -> Self {
        Self::with(server, Some("node-a"), Some(ServiceOptions::all()))
    }

    fn with(server: FakeApiServer, node: Option<&str>, services: Option<ServiceOptions>) -> Self {
        let config = RouteSourceConfig {
            retry_delay: Some(Duration::from_millis(20)),
            ..RouteSourceConfig::default()
        };
        let watched = [(node.is_some(), Kind::Node), (services.is_some(), Kind::Service)]
            .into_iter()
            .filter_map(|(on, kind)| on.then_some(kind))
            .collect();
        let config = RouteSourceConfig { node_name: node.map(Into::into), services, ..config };
        let source = RouteSource::new(server.client(), config);
        Harness { server, source, pending: VecDeque::new(), errors: Vec::new(), watched }
    }

    /// Drives the source (its watchers run only when it is polled) until the requests
    /// the server has seen satisfy `done`.
    async fn wait_for(&mut self, what: &str, done: impl Fn(&[support::Request]) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !done(&self.server.requests()) {
            if tokio::time::Instant::now() > deadline {
                panic!("timed out waiting for {what}; requests: {:#?}", self.server.requests());
            }
            // `next` is cancel-safe: a request in flight stays in the stream.
            match tokio::time::timeout(Duration::from_millis(10), self.source.next()).await {
                Ok(Some(Ok(event))) => self.pending.push_back(event),
                Ok(Some(Err(error))) => self.errors.push(error.to_string()),
                Ok(None) => panic!("the stream ended"),
                Err(_) => {}
            }
        }
    }

    /// Drives the source until every resource it watches has a watch open from at
    /// least `rv`.
    async fn wait_for_watches(&mut self, rv: u64) {
        let watched = self.watched.clone();
        self.wait_for("the watches", |rs| {
            watched.iter().all(|&kind| {
                rs.iter().any(|r| {
                    r.kind() == Some(kind)
                        && r.is_watch()
                        && r.param("resourceVersion").and_then(|v| v.parse().ok()) >= Some(rv)
                })
            })
        })
        .await;
    }

    /// The next event; errors are recorded and skipped.
    async fn next(&mut self) -> RouteSourceEvent {
        if let Some(event) = self.pending.pop_front() {
            return event;
        }
        loop {
            let item = tokio::time::timeout(Duration::from_secs(10), self.source.next())
                .await
                .unwrap_or_else(|_| panic!("no event within 10 s; errors: {:?}", self.errors))
                .expect("the stream ended");
            match item {
                Ok(event) => return event,
                Err(error) => self.errors.push(error.to_string()),
            }
        }
    }

    /// Exactly `expected`, in order, and nothing before a marker change made afterwards.
    async fn expect(&mut self, expected: &[RouteSourceEvent]) {
        let mut got = Vec::new();
        while got.len() < expected.len() {
            got.push(self.next().await);
        }
        assert_eq!(got, expected);
        self.expect_nothing_more().await;
    }

    /// Nothing pending: a marker service added now is the very next event (and goes again).
    /// Its one address is a cluster, external and load-balancer IP, so that any options
    /// announce it.
    async fn expect_nothing_more(&mut self) {
        let marker = net("203.0.113.254/32");
        let ip = &["203.0.113.254"];
        self.server.apply_service(service("test", "marker", ip, ip, ip));
        assert_eq!(self.next().await, Add(marker), "an event came before the marker");
        self.server.delete_service("test", "marker");
        assert_eq!(self.next().await, Remove(marker));
    }

    /// The first events up to `Synced`, sorted (the node's and the services' lists race),
    /// once the watches that follow the lists are open.
    async fn initial(&mut self) -> Vec<RouteSourceEvent> {
        let mut got = Vec::new();
        loop {
            match self.next().await {
                Synced => break,
                event => got.push(event),
            }
        }
        self.wait_for_watches(0).await;
        got.sort_by_key(|e| match e {
            Add(p) | Remove(p) => *p,
            _ => unreachable!(),
        });
        got
    }

    fn list_requests(&self, kind: Kind) -> usize {
        self.server.requests().iter().filter(|r| r.kind() == Some(kind) && !r.is_watch()).count()
    }
}

fn adds(prefixes: &[&str]) -> Vec<RouteSourceEvent> {
    let mut nets: Vec<IpNet> = prefixes.iter().map(|p| net(p)).collect();
    nets.sort();
    nets.into_iter().map(Add).collect()
}

async fn populated() -> FakeApiServer {
    let server = FakeApiServer::start().await;
    server.apply_node(node("node-a", &["10.244.1.0/24", "fd00:244:1::/64"]));
    server.apply_node(node("node-b", &["10.244.2.0/24"]));
    server.apply_service(service("kube-system", "kube-dns", &["10.96.0.10"], &[], &[]));
    server.apply_service(service("shop", "web", &["10.96.3.4"], &["192.0.2.7"], &["198.51.100.1"]));
    server
}

#[tokio::test]
async fn initial_list_adds_then_synced() {
    let mut h = Harness::start(populated().await);
    assert!(!h.source.is_synced());
    assert_eq!(
        h.initial().await,
        adds(&[
            "10.244.1.0/24",
            "fd00:244:1::/64",
            "10.96.0.10/32",
            "10.96.3.4/32",
            "192.0.2.7/32",
            "198.51.100.1/32"
        ]),
        "node-b's pod CIDR is not ours"
    );
    assert!(h.source.is_synced());
    h.expect_nothing_more().await;

    // Only node-a was ever asked for.
    for r in h.server.requests().iter().filter(|r| r.kind() == Some(Kind::Node)) {
        assert_eq!(r.param("fieldSelector"), Some("metadata.name=node-a"), "{r:?}");
    }
    let watches = h.server.requests().iter().filter(|r| r.is_watch()).count();
    assert!(watches >= 2, "both resources are watched after the list");
    assert!(h
        .server
        .requests()
        .iter()
        .filter(|r| r.is_watch())
        .all(|r| { r.param("allowWatchBookmarks") == Some("true") }));
    assert_eq!(h.errors, Vec::<String>::new());
    // What the table keeps: one node and one entry per service with addresses.
    assert_eq!(h.source.table().announced().len(), 6);
}

#[tokio::test]
async fn modified_address_gives_remove_and_add() {
    let mut h = Harness::start(populated().await);
    h.initial().await;
    h.server.apply_service(service(
        "shop",
        "web",
        &["10.96.3.4"],
        &["192.0.2.8"],
        &["198.51.100.1"],
    ));
    h.expect(&[Remove(net("192.0.2.7/32")), Add(net("192.0.2.8/32"))]).await;
    // A change that touches no address (here: ports) gives nothing.
    let mut same = service("shop", "web", &["10.96.3.4"], &["192.0.2.8"], &["198.51.100.1"]);
    same.spec.as_mut().unwrap().ports.as_mut().unwrap()[0].port = 8080;
    h.server.apply_service(same);
    h.expect_nothing_more().await;
}

#[tokio::test]
async fn deleted_service_removes_its_addresses() {
    let mut h = Harness::start(populated().await);
    h.initial().await;
    h.server.delete_service("shop", "web");
    h.expect(&[
        Remove(net("10.96.3.4/32")),
        Remove(net("192.0.2.7/32")),
        Remove(net("198.51.100.1/32")),
    ])
    .await;
}

#[tokio::test]
async fn shared_external_ip_stays_until_the_last_service_goes() {
    let mut h = Harness::start(populated().await);
    h.initial().await;
    // A second service on the same external IP: already announced, nothing to add.
    h.server.apply_service(service("shop", "web-canary", &["10.96.3.5"], &["192.0.2.7"], &[]));
    h.expect(&[Add(net("10.96.3.5/32"))]).await;
    h.server.delete_service("shop", "web");
    h.expect(&[Remove(net("10.96.3.4/32")), Remove(net("198.51.100.1/32"))]).await;
    // The first one moving its external IP away does not withdraw it either.
    h.server.apply_service(service("shop", "web", &["10.96.3.4"], &["192.0.2.7"], &[]));
    h.expect(&[Add(net("10.96.3.4/32"))]).await;
    h.server.apply_service(service("shop", "web-canary", &["10.96.3.5"], &[], &[]));
    h.expect_nothing_more().await;
    h.server.delete_service("shop", "web");
    h.expect(&[Remove(net("10.96.3.4/32")), Remove(net("192.0.2.7/32"))]).await;
}

#[tokio::test]
async fn bookmark_resumes_the_watch_without_a_list() {
    let mut h = Harness::start(populated().await);
    h.initial().await;
    h.expect_nothing_more().await;
    // Other resources are written; the watches hear of it only by a bookmark.
    h.server.advance(50);
    h.server.bookmark();
    let bookmark_rv = h.server.resource_version().to_string();
    // History up to the bookmark is compacted: resuming from the last event seen would
    // be 410 Gone and a list; resuming from the bookmark is not. The watches end (as
    // at their timeout) after the bookmark was sent on them.
    h.server.compact();
    h.server.close_watches();
    let resumed = |rs: &[support::Request]| {
        [Kind::Node, Kind::Service].iter().all(|&kind| {
            rs.iter().any(|r| {
                r.kind() == Some(kind)
                    && r.is_watch()
                    && r.param("resourceVersion") == Some(bookmark_rv.as_str())
            })
        })
    };
    h.wait_for("both watched again from the bookmark", resumed).await;
    h.server.apply_service(service("shop", "api", &["10.96.3.9"], &[], &[]));
    h.expect(&[Add(net("10.96.3.9/32"))]).await;
    assert_eq!(h.list_requests(Kind::Service), 1, "no relist");
    assert_eq!(h.list_requests(Kind::Node), 1, "no relist");
    assert_eq!(h.errors, Vec::<String>::new());
}

#[tokio::test]
async fn gone_410_relists_and_reports_only_the_differences() {
    let mut h = Harness::start(populated().await);
    h.server.apply_service(service("shop", "cart", &["10.96.3.6"], &["192.0.2.7"], &[]));
    h.server.apply_service(service("shop", "old", &["10.96.3.7"], &[], &[]));
    h.server.apply_service(service("shop", "a-first", &[], &["192.0.2.9"], &[]));
    h.initial().await;

    // While the watch is cut: web loses 192.0.2.7 (cart still has it), old is deleted,
    // cart changes its cluster IP, new appears; kube-dns is untouched; 192.0.2.9 moves
    // from a service listed first to one listed last (no withdrawal in between).
    h.server.apply_service_unseen(service("shop", "web", &["10.96.3.4"], &[], &["198.51.100.1"]));
    h.server.apply_service_unseen(service("shop", "a-first", &[], &[], &[]));
    h.server.apply_service_unseen(service("shop", "z-last", &[], &["192.0.2.9"], &[]));
    h.server.delete_service_unseen("shop", "old");
    h.server.apply_service_unseen(service("shop", "cart", &["10.96.3.16"], &["192.0.2.7"], &[]));
    h.server.apply_service_unseen(service("shop", "new", &["10.96.3.8"], &[], &[]));
    h.server.expire(Kind::Service);

    h.expect(&[
        Remove(net("10.96.3.6/32")),
        Remove(net("10.96.3.7/32")),
        Add(net("10.96.3.8/32")),
        Add(net("10.96.3.16/32")),
    ])
    .await;
    assert_eq!(h.list_requests(Kind::Service), 2, "one relist");
    assert_eq!(h.list_requests(Kind::Node), 1, "the node's watch was not affected");
    assert!(h.errors.iter().any(|e| e.contains("410") || e.contains("Expired")), "{:?}", h.errors);

    // A relist that finds nothing changed reports nothing.
    h.server.expire(Kind::Service);
    h.wait_for("a third list", |rs| {
        rs.iter().filter(|r| r.kind() == Some(Kind::Service) && !r.is_watch()).count() == 3
    })
    .await;
    h.expect_nothing_more().await;
}

#[tokio::test]
async fn external_name_and_headless_services_are_skipped() {
    let server = FakeApiServer::start().await;
    server.apply_service(headless("db", "postgres"));
    server.apply_service(external_name("db", "legacy", &["192.0.2.50"]));
    server.apply_service(service("db", "pgbouncer", &["10.96.5.5"], &[], &[]));
    let mut h = Harness::with(server, None, Some(ServiceOptions::all()));
    assert_eq!(h.initial().await, adds(&["10.96.5.5/32"]));
    // Turning a normal service into an ExternalName one withdraws its addresses.
    h.server.apply_service(external_name("db", "pgbouncer", &["192.0.2.51"]));
    h.expect(&[Remove(net("10.96.5.5/32"))]).await;
    assert_eq!(h.source.table().announced(), Vec::<IpNet>::new());
}

#[tokio::test]
async fn pod_cidr_change_and_node_deletion() {
    let server = FakeApiServer::start().await;
    server.apply_node(node("node-a", &[]));
    // Services are watched too (there are none), for the marker of `expect`.
    let cluster_ips = ServiceOptions { cluster_ip: true, ..ServiceOptions::default() };
    let mut h = Harness::with(server, Some("node-a"), Some(cluster_ips));
    assert_eq!(h.initial().await, [], "no pod CIDR assigned yet");
    h.server.apply_node(node("node-a", &["10.244.1.0/24"]));
    h.expect(&[Add(net("10.244.1.0/24"))]).await;
    h.server.apply_node(node("node-a", &["10.244.7.0/24", "fd00:244:7::/64"]));
    h.expect(&[
        Remove(net("10.244.1.0/24")),
        Add(net("10.244.7.0/24")),
        Add(net("fd00:244:7::/64")),
    ])
    .await;
    // Another node's changes are not seen at all.
    h.server.apply_node(node("node-b", &["10.244.2.0/24"]));
    h.server.delete_node("node-a");
    h.expect(&[Remove(net("10.244.7.0/24")), Remove(net("fd00:244:7::/64"))]).await;
}

#[tokio::test]
async fn options_and_aggregates_select_what_is_announced() {
    let server = populated().await;
    let options = ServiceOptions {
        cluster_ip: true,
        external_ip: false,
        load_balancer_ip: true,
        aggregates: vec![net("10.96.0.0/16")],
    };
    let mut h = Harness::with(server, None, Some(options));
    assert_eq!(h.initial().await, adds(&["10.96.0.0/16", "198.51.100.1/32"]));
    // The aggregate stays while any service has an address in it.
    h.server.delete_service("kube-system", "kube-dns");
    h.server.delete_service("shop", "web");
    h.expect(&[Remove(net("10.96.0.0/16")), Remove(net("198.51.100.1/32"))]).await;
}

#[tokio::test]
async fn client_from_a_kubeconfig_file() {
    let server = populated().await;
    let dir = std::env::temp_dir().join(format!("k8s-routes-kubeconfig-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config");
    let kubeconfig = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: other\n\
         clusters:\n- name: test\n  cluster:\n    server: {}\n\
         - name: unreachable\n  cluster:\n    server: http://127.0.0.1:9\n\
         contexts:\n- name: test\n  context:\n    cluster: test\n    user: agent\n\
         - name: other\n  context:\n    cluster: unreachable\n    user: agent\n\
         users:\n- name: agent\n  user:\n    token: not-checked\n",
        server.url()
    );
    std::fs::write(&path, kubeconfig).unwrap();
    let config = ClientConfig::Kubeconfig { path: path.clone(), context: Some("test".into()) };
    let client = config.client().await.expect("a client from the kubeconfig");
    std::fs::remove_dir_all(&dir).unwrap();

    let config = RouteSourceConfig {
        node_name: Some("node-a".into()),
        services: None,
        retry_delay: Some(Duration::from_millis(20)),
    };
    let mut source = RouteSource::new(client, config);
    let mut got = Vec::new();
    while got.last() != Some(&Synced) {
        let event = tokio::time::timeout(Duration::from_secs(10), source.next()).await.unwrap();
        got.push(event.unwrap().unwrap());
    }
    assert_eq!(got, [Add(net("10.244.1.0/24")), Add(net("fd00:244:1::/64")), Synced]);

    let missing = ClientConfig::Kubeconfig { path: dir.join("missing"), context: None };
    let error = missing.client().await.err().expect("no such file");
    assert!(error.to_string().contains("missing"), "{error}");
}
