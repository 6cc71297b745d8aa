//! `bgp-peer CONFIG.toml`: one BGP session from a TOML file (see `bgp-peer.toml` beside this
//! package for every key). Prints each session state change and each route received as one
//! JSON line on stdout; logs go to stderr (`RUST_LOG` sets the level, `info` by default).

mod config;
mod output;

use bgp_fsm::{Config, Event, LinkLocalStyle, Neighbor, RaConfig};
use bgp_tokio::{
    ListenConfig, PeerConfig, PeerEventKind, PeerHandle, Speaker, SpeakerConfig, TtlMode,
};
use bgp_wire::attribute::{AsPath, Attribute, NextHop, Origin, PathAttribute};
use bgp_wire::nlri::Nlri;
use bgp_wire::{Asn, Family};
use config::{AnnounceFile, File};
use ipnet::IpNet;
use std::io::Write;
use std::net::IpAddr;
use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, path] = args.as_slice() else {
        eprintln!("usage: bgp-peer CONFIG.toml");
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(2);
        }
    };
    let file = match config::parse(&text) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{path}:{e}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(file)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{path}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The session and transport settings of the file.
fn peer_config(f: &File) -> Result<PeerConfig, String> {
    let n = f.neighbor.get_ref();
    let ifindex = |name: &str| {
        bgp_tokio::sockopt::if_index(name).map_err(|e| format!("interface {name}: {e}"))
    };
    let neighbor = match (&n.address, &n.interface) {
        (Some(addr), iface) => {
            let scope = match (addr, iface) {
                (IpAddr::V6(a), Some(name)) if bgp_fsm::ra::is_link_local(*a) => {
                    Some(ifindex(name)?)
                }
                _ => None,
            };
            Neighbor::Address { addr: *addr, scope }
        }
        (None, Some(name)) => Neighbor::Interface { name: name.clone(), ifindex: ifindex(name)? },
        (None, None) => return Err("neighbor needs an address or an interface".into()),
    };
    let mut ra = RaConfig {
        interval: Duration::from_secs(n.ra_interval),
        router_lifetime: n.ra_lifetime,
        ..RaConfig::default()
    };
    if let Neighbor::Interface { name, .. } = &neighbor {
        ra.source_link_layer_address = bgp_tokio::sockopt::if_hardware_address(name).ok();
    }
    let mut s = Config::new(Asn(f.local_as.0), f.router_id.0, n.remote_as.0, neighbor);
    s.port = n.port;
    s.passive = n.passive;
    s.hold_time = n.hold_time;
    // RFC 9687 §6's default SendHoldTime, "the greater of 8 minutes or 2 times" the hold
    // time, so that a hold time of 8 minutes or more stays valid.
    s.send_hold_time =
        s.send_hold_time.map(|d| d.max(Duration::from_secs(2 * u64::from(n.hold_time))));
    s.keepalive_time = n.keepalive.as_ref().map(|k| *k.get_ref());
    s.connect_retry_time = Duration::from_secs(n.connect_retry);
    s.families = n.families.iter().map(|f| f.0).collect();
    if n.extended_nexthop {
        s.extended_next_hop = vec![Family::IPV4_UNICAST];
    }
    s.add_path = n.add_path_families();
    s.ra = ra;
    s.seed = u64::from(u32::from(f.router_id.0)) << 32 | u64::from(f.local_as.0);
    let mut p = PeerConfig::new(s);
    p.transport.md5_password = n.password.clone();
    p.transport.ttl = match (n.ttl_security, n.multihop) {
        (Some(hops), _) => TtlMode::Security { hops },
        (None, Some(ttl)) => TtlMode::Multihop(ttl),
        (None, None) => TtlMode::Default,
    };
    p.transport.bind_device = n.bind_device.clone();
    p.transport.source = n.source;
    Ok(p)
}

fn print(lines: Vec<serde_json::Value>) {
    let mut out = std::io::stdout().lock();
    for l in lines {
        let _ = writeln!(out, "{l}");
    }
    let _ = out.flush();
}

async fn run(f: File) -> Result<(), String> {
    let listen = f.listen.then(|| ListenConfig { port: f.listen_port, ..ListenConfig::default() });
    let (speaker, mut events) =
        Speaker::new(SpeakerConfig { listen, event_capacity: 1024 }).map_err(|e| e.to_string())?;
    let peer = speaker.add_peer(peer_config(&f)?).map_err(|e| e.to_string())?;
    tracing::info!(listen = ?speaker.local_addrs(), "started");
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| e.to_string())?;
    loop {
        tokio::select! {
            ev = events.recv() => {
                let Some(ev) = ev else { break };
                match ev.kind {
                    PeerEventKind::Session(e) => {
                        let up = matches!(e, Event::Established(_));
                        print(output::event_lines(&e));
                        if up {
                            announce(&f, &peer).await;
                        }
                    }
                    PeerEventKind::ConnectFailed { addr, error } => {
                        tracing::info!(%addr, "connect failed: {error}");
                    }
                    PeerEventKind::Connected { local, remote, outbound } => {
                        tracing::info!(%local, %remote, outbound, "TCP connection");
                    }
                    PeerEventKind::Finished => break,
                    other => tracing::debug!("{other:?}"),
                }
            }
            _ = tokio::signal::ctrl_c() => break,
            _ = terminate.recv() => break,
        }
    }
    peer.shutdown(Some("bgp-peer exiting".into())).await;
    Ok(())
}

fn attributes(f: &File, a: &AnnounceFile, internal: bool) -> Vec<PathAttribute> {
    let mut v = vec![PathAttribute::new(Attribute::Origin(Origin::Igp))];
    // RFC 4271 §5.1.2: to an external peer, our AS is prepended; to an internal peer the
    // path we originate is empty.
    let path = if internal { AsPath::new() } else { AsPath::from_sequence([f.local_as.0]) };
    v.push(PathAttribute::new(Attribute::AsPath(path)));
    if let Some(med) = a.med {
        v.push(PathAttribute::new(Attribute::MultiExitDisc(med)));
    }
    if internal {
        v.push(PathAttribute::new(Attribute::LocalPref(a.local_pref.unwrap_or(100))));
    }
    if !a.communities.is_empty() {
        v.push(PathAttribute::new(Attribute::Communities(
            a.communities.iter().map(|c| c.0).collect(),
        )));
    }
    if !a.large_communities.is_empty() {
        v.push(PathAttribute::new(Attribute::LargeCommunities(
            a.large_communities.iter().map(|c| c.0).collect(),
        )));
    }
    v
}

fn next_hop_of(addr: IpAddr, global: Option<std::net::Ipv6Addr>) -> NextHop {
    match addr {
        IpAddr::V4(a) => NextHop::Ipv4(a),
        IpAddr::V6(a) if bgp_fsm::ra::is_link_local(a) => {
            bgp_fsm::ipv6_next_hop(global, Some(a), LinkLocalStyle::BothHalves)
                .unwrap_or(NextHop::Ipv6(a))
        }
        IpAddr::V6(a) => NextHop::Ipv6(a),
    }
}

/// Announces every `[[announce]]` route, then End-of-RIB for each family.
async fn announce(f: &File, peer: &PeerHandle) {
    let n = f.neighbor.get_ref();
    let global = n.next_hop_global;
    let default_nh = n.next_hop;
    let mut jobs = Vec::new();
    for a in &f.announce {
        let a = a.get_ref();
        let family = match a.prefix.0 {
            IpNet::V4(_) => Family::IPV4_UNICAST,
            IpNet::V6(_) => Family::IPV6_UNICAST,
        };
        let fixed = a.next_hop.or(default_nh).map(|nh| next_hop_of(nh, global));
        jobs.push((family, a.prefix.0, fixed, a));
    }
    let families: Vec<Family> = n.families.iter().map(|x| x.0).collect();
    for (family, prefix, fixed, a) in jobs {
        let internal = peer.with(|s, _| s.negotiated().is_some_and(|x| x.internal)).await;
        let attrs = attributes(f, a, internal.unwrap_or(false));
        let r = peer
            .with(move |s, now| {
                let nh =
                    fixed.or_else(|| s.local_next_hop(family, global, LinkLocalStyle::BothHalves));
                let Some(nh) = nh else {
                    return Err(format!("no next hop for {prefix}: set next-hop"));
                };
                s.announce(now, family, &nh, &[Nlri::new(prefix)], &attrs)
                    .map_err(|e| format!("{prefix}: {e}"))
            })
            .await;
        match r {
            Ok(Ok(_)) => tracing::info!(%prefix, "announced"),
            Ok(Err(e)) => tracing::warn!("not announced: {e}"),
            Err(e) => tracing::warn!("{e}"),
        }
    }
    for family in families {
        let _ = peer.with(move |s, now| s.end_of_rib(now, family)).await;
    }
}
