//! Metrics and health over HTTP: `GET /metrics` (OpenMetrics text from a
//! `prometheus-client` registry), `GET /healthz` (the process works) and `GET /readyz`
//! (it has done its job once: sessions configured, routes programmed), as a Kubernetes
//! liveness and readiness probe expects (200, or 503 while not).

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// What the probes report; set by the agent.
#[derive(Debug)]
pub struct Health {
    live: AtomicBool,
    ready: AtomicBool,
}

impl Health {
    /// Live, not ready yet.
    pub fn new() -> Arc<Health> {
        Arc::new(Health { live: AtomicBool::new(true), ready: AtomicBool::new(false) })
    }

    /// Ready (or no longer).
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Relaxed);
    }

    /// Live (or no longer: the agent is stuck and should be restarted).
    pub fn set_live(&self, live: bool) {
        self.live.store(live, Ordering::Relaxed);
    }

    /// Whether ready.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }
}

/// Serves metrics and health on `addr`; returns the address bound (port 0 picks one) and
/// the task.
pub async fn serve(
    addr: SocketAddr,
    registry: Arc<Registry>,
    health: Arc<Health>,
) -> io::Result<(SocketAddr, JoinHandle<()>)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let task = tokio::spawn(async move {
        loop {
            let stream = match listener.accept().await {
                Ok((s, _)) => s,
                Err(e) => {
                    tracing::warn!("metrics listener: {e}");
                    continue;
                }
            };
            let (registry, health) = (registry.clone(), health.clone());
            tokio::spawn(async move {
                let svc = service_fn(move |req| {
                    let r = respond(&req, &registry, &health);
                    async move { Ok::<_, Infallible>(r) }
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc);
                if let Err(e) = conn.await {
                    tracing::debug!("metrics connection: {e}");
                }
            });
        }
    });
    Ok((local, task))
}

fn text(status: StatusCode, body: String, content_type: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    if let Ok(v) = content_type.parse() {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    r
}

fn respond(req: &Request<Incoming>, registry: &Registry, health: &Health) -> Response<Full<Bytes>> {
    const PLAIN: &str = "text/plain; charset=utf-8";
    if req.method() != Method::GET {
        return text(StatusCode::METHOD_NOT_ALLOWED, "GET only\n".into(), PLAIN);
    }
    let probe = |ok: bool| {
        if ok {
            text(StatusCode::OK, "ok\n".into(), PLAIN)
        } else {
            text(StatusCode::SERVICE_UNAVAILABLE, "not yet\n".into(), PLAIN)
        }
    };
    match req.uri().path() {
        "/metrics" => {
            let mut body = String::new();
            match prometheus_client::encoding::text::encode(&mut body, registry) {
                Ok(()) => text(
                    StatusCode::OK,
                    body,
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                ),
                Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n"), PLAIN),
            }
        }
        "/healthz" => probe(health.live.load(Ordering::Relaxed)),
        "/readyz" => probe(health.is_ready()),
        _ => text(StatusCode::NOT_FOUND, "not found\n".into(), PLAIN),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::metrics::gauge::Gauge;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn get(addr: SocketAddr, path: &str) -> String {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        s.write_all(req.as_bytes()).await.unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    }

    #[tokio::test]
    async fn metrics_and_probes() {
        let mut registry = Registry::default();
        let sessions = Gauge::<i64>::default();
        registry.register("bgp_sessions_up", "Sessions Established", sessions.clone());
        sessions.set(3);
        let health = Health::new();
        let (addr, task) =
            serve("127.0.0.1:0".parse().unwrap(), Arc::new(registry), health.clone())
                .await
                .unwrap();
        let m = get(addr, "/metrics").await;
        assert!(m.starts_with("HTTP/1.1 200"), "{m}");
        assert!(m.contains("bgp_sessions_up 3"), "{m}");
        assert!(get(addr, "/healthz").await.starts_with("HTTP/1.1 200"));
        assert!(get(addr, "/readyz").await.starts_with("HTTP/1.1 503"));
        health.set_ready(true);
        assert!(get(addr, "/readyz").await.starts_with("HTTP/1.1 200"));
        assert!(get(addr, "/nope").await.starts_with("HTTP/1.1 404"));
        task.abort();
    }
}
