//! OSPFv3 (RFC 5340) beside OSPFv2: the same router ID, areas and
//! interfaces as the `[[area]]` and `[[interface]]` tables, run by
//! `OspfInstance<V3>` on the adapter's IPv6 sockets, with the IPv6 pod CIDRs
//! as AS-external-LSAs (RFC 5340 A.4.7).

use std::time::{SystemTime, UNIX_EPOCH};

use ospf_lsdb::packet::Auth;
use ospf_lsdb::{Config, OspfInstance, V3};
use ospf_router::output::Names;
use ospf_tokio::Driver;

use crate::config::{AgentConfig, PodSource};

/// The OSPFv3 engine on its driver.
pub type Driver6 = Driver<OspfInstance<V3>>;

/// The OSPFv3 engine's configuration: OSPFv2's interfaces (their index from
/// `ifindex`) with the IPv6 pod CIDRs to redistribute. Simple and MD5
/// authentication, which the file refuses with `[ospfv3]`, never reach it.
///
/// # Errors
///
/// What `ifindex` returns for an interface it cannot find.
pub fn engine_config<E>(
    cfg: &AgentConfig,
    ifindex: impl FnMut(&str) -> Result<u32, E>,
) -> Result<Config, E> {
    let mut c = ospf_router::router::engine_config(&cfg.ospf, ifindex)?;
    c.redistribute = Vec::new();
    c.redistribute6 = match cfg.pods.source {
        PodSource::Static => cfg.pods.redistribute6(cfg.pods.prefixes.iter().copied()),
        _ => Vec::new(),
    };
    for i in &mut c.interfaces {
        if matches!(i.auth, Auth::Simple(_) | Auth::Md5 { .. }) {
            i.auth = Auth::Null;
        }
    }
    Ok(c)
}

/// Starts the OSPFv3 engine on the configured interfaces.
///
/// # Errors
///
/// An interface that is missing, a configuration the engine refuses, or
/// the IPv6 sockets.
pub fn start(
    cfg: &AgentConfig,
    names: &mut Names,
) -> Result<Driver6, Box<dyn std::error::Error + Send + Sync>> {
    let mut c = engine_config(cfg, |name| {
        ospf_tokio::iface::discover(name).map(|s| {
            names.0.insert(s.ifindex, name.to_owned());
            s.ifindex
        })
    })?;
    // RFC 7166 §4.1: the sequence number must not decrease across restarts.
    c.crypto_seq_start = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX));
    // Another seed than the OSPFv2 engine's: their jitter and DD sequence
    // numbers need not agree.
    c.seed ^= (u64::from(c.crypto_seq_start) << 32) | 0x6;
    c.validate()?;
    let iface_names: Vec<&str> = cfg.ospf.interfaces.iter().map(|i| i.name.as_str()).collect();
    Ok(Driver::new(OspfInstance::<V3>::new(c), &iface_names)?)
}
