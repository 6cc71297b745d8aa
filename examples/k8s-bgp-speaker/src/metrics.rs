//! Prometheus metrics, refreshed from the `show` model and the kernel adapter.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use bgp_speaker::show::Summary;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

type Labels = Vec<(String, String)>;

/// The agent's metrics.
pub struct Metrics {
    /// Sessions Established.
    pub sessions_up: Gauge,
    /// Neighbours configured (and dynamic ones).
    pub neighbors: Gauge,
    /// Paths received and kept, per neighbour and family.
    pub prefixes_received: Family<Labels, Gauge>,
    /// Prefixes advertised, per neighbour.
    pub prefixes_advertised: Family<Labels, Gauge>,
    /// Prefixes with a best path, per family.
    pub rib_prefixes: Family<Labels, Gauge>,
    /// Octets the routing table holds.
    pub rib_bytes: Gauge,
    /// Routes of ours in the kernel.
    pub fib_routes: Gauge,
    /// Routes the kernel refused.
    pub fib_errors: Counter<u64, AtomicU64>,
    /// Session resets (an Established session that went down).
    pub session_downs: Counter<u64, AtomicU64>,
}

impl Metrics {
    /// The metrics, registered.
    pub fn new() -> (Metrics, Arc<Registry>) {
        let mut r = Registry::with_prefix("k8s_bgp_speaker");
        let m = Metrics {
            sessions_up: Gauge::default(),
            neighbors: Gauge::default(),
            prefixes_received: Family::default(),
            prefixes_advertised: Family::default(),
            rib_prefixes: Family::default(),
            rib_bytes: Gauge::default(),
            fib_routes: Gauge::default(),
            fib_errors: Counter::default(),
            session_downs: Counter::default(),
        };
        r.register("sessions_up", "BGP sessions Established", m.sessions_up.clone());
        r.register("neighbors", "BGP neighbours", m.neighbors.clone());
        r.register(
            "prefixes_received",
            "Paths received and kept per neighbour and family",
            m.prefixes_received.clone(),
        );
        r.register(
            "prefixes_advertised",
            "Prefixes advertised per neighbour",
            m.prefixes_advertised.clone(),
        );
        r.register("rib_prefixes", "Prefixes with a best path", m.rib_prefixes.clone());
        r.register("rib_bytes", "Octets held by the routing table", m.rib_bytes.clone());
        r.register("fib_routes", "Routes of ours in the kernel", m.fib_routes.clone());
        r.register("fib_errors", "Routes the kernel refused", m.fib_errors.clone());
        r.register("session_downs", "Established sessions that went down", m.session_downs.clone());
        (m, Arc::new(r))
    }

    /// Refreshes what the summary says.
    pub fn update(&self, s: &Summary) {
        let up = s.neighbors.iter().filter(|n| n.state == "Established").count();
        self.sessions_up.set(up as i64);
        self.neighbors.set(s.neighbors.len() as i64);
        self.prefixes_received.clear();
        self.prefixes_advertised.clear();
        for n in &s.neighbors {
            for (family, count) in [("ipv4", n.received.0), ("ipv6", n.received.1)] {
                let l =
                    vec![("neighbor".into(), n.neighbor.clone()), ("family".into(), family.into())];
                self.prefixes_received.get_or_create(&l).set(i64::from(count));
            }
            let l = vec![("neighbor".into(), n.neighbor.clone())];
            self.prefixes_advertised.get_or_create(&l).set(n.advertised as i64);
        }
        for (family, count) in [("ipv4", s.prefixes.0), ("ipv6", s.prefixes.1)] {
            self.rib_prefixes
                .get_or_create(&vec![("family".into(), family.into())])
                .set(count as i64);
        }
        self.rib_bytes.set(s.table_bytes as i64);
    }
}
