//! The Prometheus metrics the agent serves on `/metrics`: `ospf_*` and
//! `pod_routes_announced` are OSPFv2's (IPv4), `ospfv3_*` OSPFv3's (IPv6).

use std::sync::Arc;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

type Labels = Vec<(&'static str, &'static str)>;

/// What a scrape shows; gauges are set after every change.
#[derive(Debug)]
pub struct Metrics {
    registry: Arc<Registry>,
    neighbors: Gauge,
    neighbors_full: Gauge,
    lsas: Gauge,
    ospf_routes: Gauge,
    kernel_routes: Gauge,
    pod_routes: Gauge,
    v3: [Gauge; 5],
    spf_runs: Family<Labels, Counter>,
    spf_runs6: Family<Labels, Counter>,
    errors: Family<Labels, Counter>,
    reloads: Family<Labels, Counter>,
}

/// The gauges' values.
#[derive(Debug, Clone, Copy, Default)]
pub struct Gauges {
    /// Neighbours in any state.
    pub neighbors: usize,
    /// Neighbours in state Full.
    pub neighbors_full: usize,
    /// LSAs in every database.
    pub lsas: usize,
    /// Routes in the OSPF routing table.
    pub ospf_routes: usize,
    /// Our routes in the kernel.
    pub kernel_routes: usize,
    /// Pod CIDRs announced.
    pub pod_routes: usize,
}

fn gauge(v: usize) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Metrics {
    /// The metrics, registered and at zero.
    #[must_use]
    pub fn new() -> Metrics {
        let mut r = Registry::default();
        let m = Metrics {
            registry: Arc::new(Registry::default()),
            neighbors: Gauge::default(),
            neighbors_full: Gauge::default(),
            lsas: Gauge::default(),
            ospf_routes: Gauge::default(),
            kernel_routes: Gauge::default(),
            pod_routes: Gauge::default(),
            v3: Default::default(),
            spf_runs: Family::default(),
            spf_runs6: Family::default(),
            errors: Family::default(),
            reloads: Family::default(),
        };
        r.register("ospf_neighbors", "OSPF neighbours in any state", m.neighbors.clone());
        r.register(
            "ospf_neighbors_full",
            "OSPF neighbours in state Full",
            m.neighbors_full.clone(),
        );
        r.register("ospf_lsas", "LSAs in the link-state databases", m.lsas.clone());
        r.register("ospf_routes", "Routes in the OSPF routing table", m.ospf_routes.clone());
        r.register(
            "kernel_routes_installed",
            "Routes this agent has installed in the kernel (its protocol number)",
            m.kernel_routes.clone(),
        );
        r.register(
            "pod_routes_announced",
            "Pod CIDRs announced as AS-external-LSAs",
            m.pod_routes.clone(),
        );
        r.register("ospf_spf_runs", "SPF runs, full or incremental", m.spf_runs.clone());
        for (g, (name, help)) in m.v3.iter().zip([
            ("ospfv3_neighbors", "OSPFv3 neighbours in any state"),
            ("ospfv3_neighbors_full", "OSPFv3 neighbours in state Full"),
            ("ospfv3_lsas", "LSAs in the OSPFv3 link-state databases"),
            ("ospfv3_routes", "Routes in the OSPFv3 routing table"),
            ("ospfv3_pod_routes_announced", "IPv6 pod CIDRs announced as AS-external-LSAs"),
        ]) {
            r.register(name, help, g.clone());
        }
        r.register("ospfv3_spf_runs", "OSPFv3 SPF runs, full or incremental", m.spf_runs6.clone());
        r.register(
            "ospf_errors",
            "Problems by kind: mtu_mismatch, auth_failure, hello_mismatch, bad_packet, kernel_refused",
            m.errors.clone(),
        );
        r.register(
            "config_reloads",
            "Configuration reloads (SIGHUP), by result",
            m.reloads.clone(),
        );
        // Make the error kinds visible at zero, so alerts can be written on them.
        for kind in
            ["mtu_mismatch", "auth_failure", "hello_mismatch", "bad_packet", "kernel_refused"]
        {
            let _ = m.errors.get_or_create(&vec![("kind", kind)]);
        }
        for kind in ["full", "incremental"] {
            let _ = m.spf_runs.get_or_create(&vec![("kind", kind)]);
            let _ = m.spf_runs6.get_or_create(&vec![("kind", kind)]);
        }
        Metrics { registry: Arc::new(r), ..m }
    }

    /// The registry, for `agent::http::serve`.
    #[must_use]
    pub fn registry(&self) -> Arc<Registry> {
        self.registry.clone()
    }

    /// Sets every gauge.
    pub fn set_gauges(&self, g: Gauges) {
        self.neighbors.set(gauge(g.neighbors));
        self.neighbors_full.set(gauge(g.neighbors_full));
        self.lsas.set(gauge(g.lsas));
        self.ospf_routes.set(gauge(g.ospf_routes));
        self.kernel_routes.set(gauge(g.kernel_routes));
        self.pod_routes.set(gauge(g.pod_routes));
    }

    /// Sets the OSPFv3 gauges (its `kernel_routes` is not used: one FIB
    /// holds both families).
    pub fn set_gauges6(&self, g: Gauges) {
        for (gauge_, v) in
            self.v3.iter().zip([g.neighbors, g.neighbors_full, g.lsas, g.ospf_routes, g.pod_routes])
        {
            gauge_.set(gauge(v));
        }
    }

    /// Counts OSPFv3 SPF runs since the last call.
    pub fn spf6(&self, full: u64, incremental: u64) {
        self.spf_runs6.get_or_create(&vec![("kind", "full")]).inc_by(full);
        self.spf_runs6.get_or_create(&vec![("kind", "incremental")]).inc_by(incremental);
    }

    /// Counts SPF runs since the last call.
    pub fn spf(&self, full: u64, incremental: u64) {
        self.spf_runs.get_or_create(&vec![("kind", "full")]).inc_by(full);
        self.spf_runs.get_or_create(&vec![("kind", "incremental")]).inc_by(incremental);
    }

    /// Counts a problem of `kind`.
    pub fn error(&self, kind: &'static str) {
        self.errors.get_or_create(&vec![("kind", kind)]).inc();
    }

    /// Counts a reload.
    pub fn reload(&self, ok: bool) {
        let result = if ok { "ok" } else { "refused" };
        self.reloads.get_or_create(&vec![("result", result)]).inc();
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrape_names_every_metric() {
        let m = Metrics::new();
        m.set_gauges(Gauges { neighbors_full: 2, kernel_routes: 3, ..Gauges::default() });
        m.spf(1, 0);
        m.error("mtu_mismatch");
        m.set_gauges6(Gauges { neighbors_full: 1, pod_routes: 1, ..Gauges::default() });
        m.spf6(2, 0);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &m.registry()).unwrap();
        for line in [
            "ospf_neighbors_full 2",
            "kernel_routes_installed 3",
            "ospf_spf_runs_total{kind=\"full\"} 1",
            "ospf_errors_total{kind=\"mtu_mismatch\"} 1",
            "ospf_errors_total{kind=\"auth_failure\"} 0",
            "ospfv3_neighbors_full 1",
            "ospfv3_pod_routes_announced 1",
            "ospfv3_spf_runs_total{kind=\"full\"} 2",
            "pod_routes_announced 0",
        ] {
            assert!(text.contains(line), "{line} missing in\n{text}");
        }
    }
}
