//! The router mode: the configuration becomes an `ospf-lsdb` instance per
//! version (OSPFv2, OSPFv3 or both, from the same areas and interfaces),
//! each driven by its own `ospf-tokio` driver on the named interfaces, in
//! one task.

use std::net::IpAddr;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use ospf_lsdb::packet::Auth as EngineAuth;
use ospf_lsdb::{
    AreaConfig, AreaId, Config, Instance, InterfaceConfig, NetworkType, OspfInstance, RouterId, V3,
};
use ospf_tokio::{AdapterVersion, Driver};
use serde_json::json;

use crate::config::{
    AreaKind, Auth, MetricType, Network, Redistribute, Redistribute6, RouterConfig,
};
use crate::output::Names;
use crate::show::{self, Uptimes};

/// Builds the engine configuration; `ifindex` maps an interface name to
/// its index.
///
/// # Errors
///
/// The error of `ifindex` for an interface the OS does not have.
pub fn engine_config<E>(
    cfg: &RouterConfig,
    mut ifindex: impl FnMut(&str) -> Result<u32, E>,
) -> Result<Config, E> {
    let mut out = Config::new(RouterId::from(cfg.router_id));
    out.spf_delay = cfg.spf_delay;
    out.spf_hold = cfg.spf_hold;
    out.areas = cfg
        .areas
        .iter()
        .map(|a| AreaConfig {
            id: AreaId::from(a.id),
            kind: match a.kind {
                AreaKind::Normal => ospf_lsdb::AreaKind::Normal,
                AreaKind::Stub => ospf_lsdb::AreaKind::Stub { default_cost: a.default_cost },
                AreaKind::Nssa => ospf_lsdb::AreaKind::Nssa { default_cost: a.default_cost },
            },
        })
        .collect();
    for i in &cfg.interfaces {
        let mut e = InterfaceConfig::new(ifindex(&i.name)?, &i.name, AreaId::from(i.area));
        e.network = match i.network {
            Network::Broadcast => NetworkType::Broadcast,
            Network::PointToPoint => NetworkType::PointToPoint,
        };
        e.cost = i.cost;
        e.hello_interval = i.hello_interval;
        e.dead_interval = i.dead_interval;
        e.retransmit_interval = i.retransmit_interval;
        e.priority = i.priority;
        e.passive = i.passive;
        e.max_neighbors = i.max_neighbors;
        e.bfd = i.bfd;
        // Only OSPFv3 reads it; the loader refuses it nonzero without OSPFv3.
        e.instance_id = i.instance_id;
        e.auth = match &i.auth {
            Auth::None => EngineAuth::Null,
            Auth::Simple(pw) => {
                let mut field = [0u8; 8];
                for (d, s) in field.iter_mut().zip(pw) {
                    *d = *s;
                }
                EngineAuth::Simple(field)
            }
            Auth::Md5 { key_id, key } => EngineAuth::Md5 { key_id: *key_id, key: key.clone() },
            Auth::HmacSha { algorithm, key_id, key } => {
                EngineAuth::HmacSha { algorithm: *algorithm, key_id: *key_id, key: key.clone() }
            }
        };
        out.interfaces.push(e);
    }
    out.redistribute = cfg.redistribute.iter().map(redistribute).collect();
    out.redistribute6 = cfg.redistribute6.iter().map(redistribute6).collect();
    Ok(out)
}

fn metric_type(t: MetricType) -> ospf_lsdb::MetricType {
    match t {
        MetricType::Type1 => ospf_lsdb::MetricType::Type1,
        MetricType::Type2 => ospf_lsdb::MetricType::Type2,
    }
}

/// An IPv6 redistributed route as the OSPFv3 engine takes it.
#[must_use]
pub fn redistribute6(r: &Redistribute6) -> ospf_lsdb::Redistribute6 {
    ospf_lsdb::Redistribute6 {
        prefix: r.prefix,
        metric_type: metric_type(r.metric_type),
        metric: r.metric,
        forwarding: r.forwarding_address,
        tag: r.tag,
    }
}

/// A redistributed route as the engine takes it.
#[must_use]
pub fn redistribute(r: &Redistribute) -> ospf_lsdb::Redistribute {
    ospf_lsdb::Redistribute {
        prefix: r.prefix,
        metric_type: metric_type(r.metric_type),
        metric: r.metric,
        forwarding: r.forwarding_address,
        tag: r.tag,
    }
}

/// The OSPFv2 engine for `cfg` on its interfaces, driven by `ospf-tokio`;
/// the interfaces' names go into `names`. Must be called inside a tokio
/// runtime.
///
/// # Errors
///
/// Interface or socket errors.
pub fn start(
    cfg: &RouterConfig,
    names: &mut Names,
) -> Result<Driver<Instance>, Box<dyn std::error::Error + Send + Sync>> {
    start_version(cfg, names)
}

/// The engine of version `V` for `cfg` on its interfaces, as [`start`].
///
/// # Errors
///
/// Interface or socket errors.
pub fn start_version<V: AdapterVersion>(
    cfg: &RouterConfig,
    names: &mut Names,
) -> Result<Driver<OspfInstance<V>>, Box<dyn std::error::Error + Send + Sync>> {
    let mut engine_cfg = engine_config(cfg, |name| {
        ospf_tokio::iface::discover(name).map(|s| {
            names.0.insert(s.ifindex, name.to_owned());
            s.ifindex
        })
    })?;
    // RFC 2328 D.3 and RFC 7166 §4.1: the cryptographic sequence number
    // must not decrease across restarts; seconds since the epoch grow.
    engine_cfg.crypto_seq_start = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX));
    engine_cfg.seed ^= u64::from(engine_cfg.crypto_seq_start) << 32;
    // The loader checked the file; this catches what it does not know of.
    engine_cfg.validate()?;
    let iface_names: Vec<&str> = cfg.interfaces.iter().map(|i| i.name.as_str()).collect();
    Ok(Driver::new(OspfInstance::<V>::new(engine_cfg), &iface_names)?)
}

/// The next event of a driver that may not run (a version not
/// configured): pending for ever then.
async fn next_of<V: AdapterVersion>(
    d: &mut Option<Driver<OspfInstance<V>>>,
) -> Result<ospf_lsdb::Event<V::Addr>, ospf_tokio::Error> {
    match d {
        Some(d) => d.next_event().await,
        None => std::future::pending().await,
    }
}

/// Marks an event line with the OSPF version it comes from.
fn versioned(mut v: serde_json::Value, version: u8) -> serde_json::Value {
    if let serde_json::Value::Object(m) = &mut v {
        m.insert("version".into(), version.into());
    }
    v
}

/// Runs the router until `stop` completes, handing every event to `sink`
/// as a JSON object (with `"version": 2` or `3`); then flushes our LSAs
/// (premature aging, RFC 2328 §14.1) and, with `show_rib`, hands over the
/// routing tables too.
///
/// # Errors
///
/// Interface or socket errors.
pub async fn run(
    cfg: RouterConfig,
    show_rib: bool,
    mut sink: impl FnMut(serde_json::Value),
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut names = Names::default();
    let mut v2 = match cfg.versions.v2 {
        true => Some(start(&cfg, &mut names)?),
        false => None,
    };
    let mut v3 = match cfg.versions.v3 {
        true => Some(start_version::<V3>(&cfg, &mut names)?),
        false => None,
    };
    let iface_names: Vec<&str> = cfg.interfaces.iter().map(|i| i.name.as_str()).collect();
    tracing::info!(router_id = %cfg.router_id, interfaces = ?iface_names,
        ospfv2 = cfg.versions.v2, ospfv3 = cfg.versions.v3, "started");

    let mut uptimes = Uptimes::default();
    // BFD watches the neighbours of both versions (single hop, RFC 5881).
    let mut bfd = match cfg.interfaces.iter().any(|i| i.bfd) {
        true => Some(crate::bfd::OspfBfd::start(cfg.versions.v2, cfg.versions.v3)?),
        false => None,
    };
    tokio::pin!(stop);
    loop {
        tokio::select! {
            ev = next_of(&mut v2) => {
                let ev = ev?;
                if let ospf_lsdb::Event::Route(change) = &ev {
                    uptimes.handle(Instant::now(), change);
                }
                if let Some(b) = bfd.as_mut() {
                    b.on_event(&ev, &names);
                }
                sink(versioned(names.event(&ev), 2));
            }
            ev = next_of(&mut v3) => {
                let ev = ev?;
                if let ospf_lsdb::Event::Route(change) = &ev {
                    uptimes.handle(Instant::now(), change);
                }
                if let Some(b) = bfd.as_mut() {
                    b.on_event(&ev, &names);
                }
                sink(versioned(names.event(&ev), 3));
            }
            down = crate::bfd::next_down(&mut bfd) => {
                let (ifindex, peer) = down?;
                let now = Instant::now();
                let killed = match (peer, v2.as_mut(), v3.as_mut()) {
                    (IpAddr::V4(p), Some(d), _) => {
                        let killed = d.engine_mut().bfd_down(now, ifindex, p);
                        d.flush().await?;
                        killed
                    }
                    (IpAddr::V6(p), _, Some(d)) => {
                        let killed = d.engine_mut().bfd_down(now, ifindex, p);
                        d.flush().await?;
                        killed
                    }
                    _ => false,
                };
                tracing::warn!(ifindex, %peer, killed, "BFD: path down");
            }
            () = &mut stop => break,
        }
    }
    tracing::info!("shutting down: flushing our LSAs");
    if let Some(d) = v2.as_mut() {
        d.engine_mut().shutdown(Instant::now());
        d.flush().await?;
        counters(d, &names, 2, &mut sink);
    }
    if let Some(d) = v3.as_mut() {
        d.engine_mut().shutdown(Instant::now());
        d.flush().await?;
        counters(d, &names, 3, &mut sink);
    }
    if show_rib {
        if let Some(d) = &v2 {
            rib_lines(d.engine(), &names, &uptimes).into_iter().for_each(|v| sink(versioned(v, 2)));
        }
        if let Some(d) = &v3 {
            rib6_lines(d.engine(), &names, &uptimes)
                .into_iter()
                .for_each(|v| sink(versioned(v, 3)));
        }
    }
    Ok(())
}

/// What each interface dropped or refused, when it dropped anything.
fn counters<V: AdapterVersion>(
    d: &Driver<OspfInstance<V>>,
    names: &Names,
    version: u8,
    sink: &mut impl FnMut(serde_json::Value),
) {
    for i in d.interfaces() {
        if let Some(c) = d.engine().interface_counters(i.ifindex) {
            if c.iter().any(|(_, n)| n > 0) {
                sink(versioned(names.counters(i.ifindex, &c), version));
            }
        }
    }
}

/// The OSPFv3 routing table as JSON objects, in the form of [`rib_lines`]:
/// networks, then routes to AS boundary routers.
fn rib6_lines(ospf: &OspfInstance<V3>, names: &Names, uptimes: &Uptimes) -> Vec<serde_json::Value> {
    let now = Instant::now();
    let table = ospf.routing_table();
    let mut out: Vec<serde_json::Value> = table
        .routes()
        .filter_map(|(p, _)| table.rib_route(p))
        .map(|r| {
            let mut v = names.route(&r);
            if let serde_json::Value::Object(m) = &mut v {
                m.insert("event".into(), "rib".into());
                m.insert("type".into(), "Network".into());
                m.insert("destination".into(), r.prefix.to_string().into());
                let up = uptimes.uptime(now, &r.prefix).map(|d| d.as_secs());
                m.insert("uptime_s".into(), up.into());
            }
            v
        })
        .collect();
    out.extend(table.asbr_routes().iter().map(|(rid, r)| {
        json!({
            "event": "rib",
            "type": "Router",
            "destination": rid.to_string(),
            "path_type": format!("{} Router", r.path_type),
            "cost": r.cost,
            "area": r.area.to_string(),
            "asbr": true,
            "next_hops": r.next_hops.iter().map(|n| names.next_hop(n)).collect::<Vec<_>>(),
        })
    }));
    out
}

/// The routing table as JSON objects, like `ospfctl show rib`: networks
/// (with their `prefix`), then routes to area border and AS boundary
/// routers (path type `Intra-Area Router`, ...).
fn rib_lines(ospf: &Instance, names: &Names, uptimes: &Uptimes) -> Vec<serde_json::Value> {
    show::rib(ospf, names, uptimes, Instant::now())
        .into_iter()
        .map(|e| {
            let mut v = json!(e);
            if let serde_json::Value::Object(m) = &mut v {
                m.insert("event".into(), "rib".into());
                if e.kind == "Network" {
                    m.insert("prefix".into(), e.destination.clone().into());
                } else {
                    m.insert("path_type".into(), format!("{} Router", e.path_type).into());
                }
            }
            v
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config;

    #[test]
    fn sample_maps_to_engine_config() {
        let cfg = config::parse("s.toml", include_str!("../ospf-router.toml")).unwrap();
        let e = engine_config(&cfg, |name| if name == "eth0" { Ok(7) } else { Err(()) }).unwrap();
        assert_eq!(e.router_id, RouterId::from(std::net::Ipv4Addr::new(192, 168, 2, 1)));
        let i = &e.interfaces[0];
        assert_eq!((i.ifindex, i.cost, i.area), (7, 20, AreaId(2)));
        assert_eq!(i.auth, EngineAuth::Md5 { key_id: 1, key: b"pod-secret".to_vec() });
        let r = &e.redistribute[0];
        assert_eq!(r.metric_type, ospf_lsdb::MetricType::Type2);
        assert_eq!((r.metric, r.forwarding), (20, Some(std::net::Ipv4Addr::new(192, 168, 2, 65))));
        assert!(engine_config(&cfg, |_| Err::<u32, _>("no such interface")).is_err());
    }
}
