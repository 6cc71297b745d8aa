//! The configuration file: TOML whose words are FRR's (`remote-as external`, peer groups,
//! `neighbor IFNAME interface`, `capability extended-nexthop`, `timers`, `maximum-paths`,
//! `bestpath`, `redistribute kernel route-map`, `ebgp-multihop`, `password`,
//! `ttl-security`, `bgp listen range`), parsed and checked with the line of every error,
//! then turned into the speaker's configuration.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

use bgp_fsm::{Neighbor, PeerAs};
use bgp_speaker::{ListenRange, ListenSource, MaxPrefix, NeighborConfig, SpeakerConfig};
use bgp_tokio::{Transport, TtlMode};
use bgp_wire::capability::{GracefulRestart, GracefulRestartFamily};
use bgp_wire::{Asn, Family};
use ipnet::IpNet;
use rib::policy::Policy;
use rib::{Protocol, Redistribute};
use serde::Deserialize;
use toml::Spanned;

/// A refused configuration: where and why.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("line {line}: {reason}")]
pub struct ConfigError {
    /// 1-based line (0 when the whole file is at fault).
    pub line: usize,
    /// Why.
    pub reason: String,
}

fn err(text: &str, span: Option<Range<usize>>, reason: impl Into<String>) -> ConfigError {
    let line = span.map_or(0, |s| text.get(..s.start).map_or(0, |t| t.matches('\n').count()) + 1);
    ConfigError { line, reason: reason.into() }
}

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct File {
    /// `router bgp` and its global settings.
    pub bgp: Spanned<Bgp>,
    /// Peer groups by name.
    #[serde(default)]
    pub peer_group: BTreeMap<String, Spanned<Peer>>,
    /// Neighbours.
    #[serde(default)]
    pub neighbor: Vec<Spanned<Peer>>,
    /// `bgp listen range`: neighbours accepted from a prefix or any link-local address on
    /// an interface.
    #[serde(default)]
    pub listen_range: Vec<Spanned<ListenRangeFile>>,
    /// `redistribute PROTOCOL [route-map NAME] [metric N]`.
    #[serde(default)]
    pub redistribute: Vec<Spanned<RedistributeFile>>,
    /// `network PREFIX` statements.
    #[serde(default)]
    pub network: Vec<Spanned<String>>,
    /// Prefix lists, community lists and route maps in FRR's syntax.
    pub policy: Option<Spanned<String>>,
    /// Pod and service routes from the Kubernetes API.
    #[serde(default)]
    pub kubernetes: Kubernetes,
    /// The kernel's forwarding table.
    #[serde(default)]
    pub fib: Fib,
    /// The control socket and the metrics endpoint.
    #[serde(default)]
    pub agent: Agent,
    /// BFD timers of the neighbours with `bfd = true`.
    pub bfd: Option<Spanned<BfdFile>>,
}

/// `[bfd]`: the timers of every BFD session (FRR's `bfd` profile words); FRR's defaults.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct BfdFile {
    /// Desired Min TX Interval, milliseconds.
    #[serde(default = "bfd_interval")]
    pub transmit_interval: u32,
    /// Required Min RX Interval, milliseconds.
    #[serde(default = "bfd_interval")]
    pub receive_interval: u32,
    /// Detect Mult.
    #[serde(default = "bfd_multiplier")]
    pub detect_multiplier: u8,
}

impl Default for BfdFile {
    fn default() -> Self {
        BfdFile {
            transmit_interval: bfd_interval(),
            receive_interval: bfd_interval(),
            detect_multiplier: bfd_multiplier(),
        }
    }
}

fn bfd_interval() -> u32 {
    300
}

fn bfd_multiplier() -> u8 {
    3
}

/// `router bgp ASN` and the settings under it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Bgp {
    /// Our AS.
    pub asn: u32,
    /// `bgp router-id`, or `"auto"`: the node's address from the `NODE_IP` environment
    /// variable (the DaemonSet sets it from `status.hostIP`), so that every node can read
    /// the same file.
    pub router_id: RouterId,
    /// TCP port we listen on; `listen = false` for none.
    #[serde(default = "bgp_port")]
    pub listen_port: u16,
    /// Accept connections.
    #[serde(default = "yes")]
    pub listen: bool,
    /// `maximum-paths N` (external paths).
    #[serde(default = "one")]
    pub maximum_paths: u16,
    /// `maximum-paths ibgp N`.
    #[serde(default = "one")]
    pub maximum_paths_ibgp: u16,
    /// `bgp bestpath ...` options.
    #[serde(default)]
    pub bestpath: Vec<String>,
    /// `bgp cluster-id`.
    pub cluster_id: Option<Ipv4Addr>,
    /// `timers bgp KEEPALIVE HOLD` for every neighbour that sets none.
    pub timers: Option<[u16; 2]>,
    /// `bgp graceful-restart`: advertise it with forwarding state kept (our routes stay in
    /// the kernel across a restart) and help restarting neighbours.
    #[serde(default)]
    pub graceful_restart: bool,
    /// `bgp graceful-restart restart-time`.
    #[serde(default = "restart_time")]
    pub restart_time: u16,
}

/// A router id, or `auto`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum RouterId {
    /// This address.
    Addr(Ipv4Addr),
    /// The node's address, from `NODE_IP`.
    Auto,
}

impl TryFrom<String> for RouterId {
    type Error = String;
    fn try_from(s: String) -> Result<RouterId, String> {
        if s == "auto" {
            return Ok(RouterId::Auto);
        }
        match s.parse::<Ipv4Addr>() {
            Ok(a) if !a.is_unspecified() => Ok(RouterId::Addr(a)),
            Ok(_) => Err("router-id 0.0.0.0 is not a BGP identifier".into()),
            Err(_) => Err(format!("router-id \"{s}\": an IPv4 address or \"auto\"")),
        }
    }
}

impl RouterId {
    /// The address (`0.0.0.0` while `auto` is not resolved).
    pub fn addr(self) -> Ipv4Addr {
        match self {
            RouterId::Addr(a) => a,
            RouterId::Auto => Ipv4Addr::UNSPECIFIED,
        }
    }
}

fn bgp_port() -> u16 {
    179
}
fn yes() -> bool {
    true
}
fn one() -> u16 {
    1
}
fn restart_time() -> u16 {
    120
}

/// A neighbour or a peer group: what FRR's `neighbor X ...` lines say. A neighbour takes
/// its group's settings where it sets none.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Peer {
    /// `neighbor ADDRESS`.
    pub address: Option<IpAddr>,
    /// `neighbor IFNAME interface`: unnumbered, the address learned from Router
    /// Advertisements (with `address`, the scope of a link-local one).
    pub interface: Option<String>,
    /// `neighbor X peer-group NAME`.
    pub peer_group: Option<String>,
    /// `remote-as NUMBER|external|internal`.
    pub remote_as: Option<RemoteAs>,
    /// `capability extended-nexthop` (and `dynamic`, accepted and ignored).
    pub capability: Option<Vec<String>>,
    /// `timers KEEPALIVE HOLD`.
    pub timers: Option<[u16; 2]>,
    /// `timers connect SECONDS`.
    pub timers_connect: Option<u64>,
    /// SendHoldTime in seconds (RFC 9687): how long our output may wait unwritten before a
    /// neighbour that stopped reading is dropped; 0 turns the timer off. At least twice the
    /// negotiated hold time is used; the default is RFC 9687 §6's 8 minutes.
    pub timers_send_hold: Option<u64>,
    /// `advertisement-interval SECONDS`.
    pub advertisement_interval: Option<u64>,
    /// `password` (TCP-MD5).
    pub password: Option<String>,
    /// `ttl-security hops N` (GTSM).
    pub ttl_security: Option<u8>,
    /// `ebgp-multihop N`.
    pub ebgp_multihop: Option<u8>,
    /// `update-source ADDRESS`.
    pub update_source: Option<IpAddr>,
    /// `neighbor X bfd`: the session follows a BFD session with the timers of `[bfd]`.
    pub bfd: Option<bool>,
    /// `port`.
    pub port: Option<u16>,
    /// `passive`.
    pub passive: Option<bool>,
    /// `route-map NAME in`.
    pub route_map_in: Option<String>,
    /// `route-map NAME out`.
    pub route_map_out: Option<String>,
    /// `maximum-prefix N`.
    pub maximum_prefix: Option<u32>,
    /// `route-reflector-client`.
    pub route_reflector_client: Option<bool>,
    /// `next-hop-self`.
    pub next_hop_self: Option<bool>,
    /// `allowas-in N`.
    pub allowas_in: Option<u8>,
    /// `remove-private-AS`.
    pub remove_private_as: Option<bool>,
    /// `as-override`.
    pub as_override: Option<bool>,
    /// `address-family ipv4|ipv6 unicast` / `activate`: `["ipv4", "ipv6"]`.
    pub address_family: Option<Vec<String>>,
}

/// `remote-as`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum RemoteAs {
    /// A number.
    Number(u32),
    /// `external` or `internal`.
    Word(Word),
}

/// The words `remote-as` takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Word {
    /// Any AS but ours.
    External,
    /// Ours.
    Internal,
}

/// `bgp listen range PREFIX peer-group NAME` (or any link-local address on an interface).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ListenRangeFile {
    /// A prefix.
    pub prefix: Option<IpNet>,
    /// Or an interface.
    pub interface: Option<String>,
    /// The peer group new neighbours take their settings from.
    pub peer_group: String,
    /// `bgp listen limit`.
    #[serde(default = "listen_limit")]
    pub limit: u32,
}

fn listen_limit() -> u32 {
    100
}

/// `redistribute PROTOCOL`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RedistributeFile {
    /// `kernel`, `connected` or `static`.
    pub protocol: String,
    /// `route-map NAME`.
    pub route_map: Option<String>,
    /// `metric N` (the MED sent).
    pub metric: Option<u32>,
}

/// Routes from the Kubernetes API.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Kubernetes {
    /// Announce this node's `spec.podCIDRs`.
    #[serde(default)]
    pub pod_cidr: bool,
    /// Announce Service cluster IPs (kube-router's `--advertise-cluster-ip`).
    #[serde(default)]
    pub cluster_ip: bool,
    /// Announce Service external IPs (`--advertise-external-ip`).
    #[serde(default)]
    pub external_ip: bool,
    /// Announce Service load-balancer IPs (`--advertise-loadbalancer-ip`).
    #[serde(default)]
    pub loadbalancer_ip: bool,
    /// Announce these prefixes instead of the service /32s and /128s they cover.
    #[serde(default)]
    pub service_aggregates: Vec<IpNet>,
    /// This node's name (default: the `NODE_NAME` environment variable).
    pub node_name: Option<String>,
    /// A kubeconfig file (default: in-cluster configuration, then `KUBECONFIG`).
    pub kubeconfig: Option<PathBuf>,
    /// iBGP with the cluster's other nodes, found in the API.
    pub mesh: Option<Spanned<Mesh>>,
}

impl Kubernetes {
    /// Whether any route comes from the API.
    pub fn enabled(&self) -> bool {
        self.pod_cidr || self.cluster_ip || self.external_ip || self.loadbalancer_ip
    }
}

/// `[kubernetes.mesh]`: every node peers iBGP with every other, or, when some nodes carry
/// the route-reflector label, the labelled nodes reflect (the others are their clients)
/// and the others peer with them only. Nodes are found in the API: their first IPv4
/// `InternalIP` (else IPv6) is the neighbour address.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Mesh {
    /// Nodes with this label (`KEY`, or `KEY=VALUE`) are route reflectors.
    pub route_reflector_label: Option<String>,
    /// Settings of the mesh's sessions (timers, password, ...); their remote AS is ours.
    pub peer_group: Option<String>,
}

/// The kernel's forwarding table.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Fib {
    /// Install the routes we learn.
    #[serde(default = "yes")]
    pub install: bool,
    /// Routing table.
    #[serde(default = "main_table")]
    pub table: u32,
    /// Route protocol number of our routes.
    #[serde(default = "our_protocol")]
    pub protocol: u8,
}

fn main_table() -> u32 {
    kernel::TABLE_MAIN
}
fn our_protocol() -> u8 {
    kernel::RtProto::DEFAULT.0
}

impl Default for Fib {
    fn default() -> Self {
        Fib { install: true, table: main_table(), protocol: our_protocol() }
    }
}

/// The control socket and the metrics endpoint.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Agent {
    /// Where `show` commands are answered.
    #[serde(default = "control_socket")]
    pub control_socket: PathBuf,
    /// Metrics and health (`/metrics`, `/healthz`, `/readyz`); none when absent.
    pub metrics: Option<SocketAddr>,
}

/// The default control socket.
pub fn control_socket() -> PathBuf {
    PathBuf::from("/run/k8s-bgp-speaker/control.sock")
}

impl Default for Agent {
    fn default() -> Self {
        Agent { control_socket: control_socket(), metrics: None }
    }
}

/// Parses and checks a file's text.
pub fn parse(text: &str) -> Result<File, ConfigError> {
    let f: File =
        toml::from_str(text).map_err(|e| err(text, e.span(), e.message().trim().to_owned()))?;
    f.check(text)?;
    Ok(f)
}

/// A peer with its group's settings under its own.
fn merged(p: &Peer, group: Option<&Peer>) -> Peer {
    let Some(g) = group else { return p.clone() };
    macro_rules! or {
        ($($f:ident),*) => { Peer { $($f: p.$f.clone().or_else(|| g.$f.clone()),)* } };
    }
    or!(
        address,
        interface,
        peer_group,
        remote_as,
        capability,
        timers,
        timers_connect,
        timers_send_hold,
        advertisement_interval,
        password,
        ttl_security,
        ebgp_multihop,
        update_source,
        bfd,
        port,
        passive,
        route_map_in,
        route_map_out,
        maximum_prefix,
        route_reflector_client,
        next_hop_self,
        allowas_in,
        remove_private_as,
        as_override,
        address_family
    )
}

impl File {
    /// The policy text parsed (errors at their line of the file).
    pub fn policy(&self, text: &str) -> Result<Policy, ConfigError> {
        let Some(p) = &self.policy else { return Ok(Policy::new()) };
        Policy::parse(p.get_ref()).map_err(|e| {
            let start = p.span().start;
            // A multi-line string's first newline is not part of its value.
            let skip = usize::from(text.get(start + 3..).is_some_and(|t| t.starts_with('\n')));
            let at = err(text, Some(p.span()), "");
            ConfigError {
                line: at.line + skip + e.line.saturating_sub(1),
                reason: format!("policy: {}", e.reason),
            }
        })
    }

    fn group(&self, p: &Peer) -> Option<&Peer> {
        p.peer_group.as_ref().and_then(|g| self.peer_group.get(g)).map(Spanned::get_ref)
    }

    fn check(&self, text: &str) -> Result<(), ConfigError> {
        let b = self.bgp.get_ref();
        let at = |span: Range<usize>, r: String| err(text, Some(span), r);
        if b.asn == 0 {
            return Err(at(self.bgp.span(), "asn 0 is reserved (RFC 7607)".into()));
        }
        if !(1..=256).contains(&b.maximum_paths) || !(1..=256).contains(&b.maximum_paths_ibgp) {
            return Err(at(self.bgp.span(), "maximum-paths: 1 to 256".into()));
        }
        for o in &b.bestpath {
            if !BESTPATH.contains(&o.as_str()) {
                return Err(at(
                    self.bgp.span(),
                    format!("bestpath \"{o}\": one of {}", BESTPATH.join(", ")),
                ));
            }
        }
        if let Some(t) = b.timers {
            check_timers(t).map_err(|r| at(self.bgp.span(), r))?;
        }
        let policy = self.policy(text)?;
        let has_map = |m: &str| policy.route_map_id(m).is_some();
        for (name, g) in &self.peer_group {
            let p = g.get_ref();
            if p.address.is_some() || p.interface.is_some() || p.peer_group.is_some() {
                return Err(at(
                    g.span(),
                    format!(
                        "peer-group {name}: address, interface and peer-group belong to neighbors"
                    ),
                ));
            }
            check_peer(p, &has_map).map_err(|r| at(g.span(), format!("peer-group {name}: {r}")))?;
        }
        for n in &self.neighbor {
            let p = n.get_ref();
            if let Some(g) = &p.peer_group {
                if !self.peer_group.contains_key(g) {
                    return Err(at(n.span(), format!("peer-group {g} is not defined")));
                }
            }
            let m = merged(p, self.group(p));
            match (&m.address, &m.interface) {
                (None, None) => {
                    return Err(at(n.span(), "a neighbor needs an address or an interface".into()))
                }
                (Some(IpAddr::V6(a)), None) if is_link_local(*a) => {
                    return Err(at(n.span(), format!("link-local address {a} needs an interface")))
                }
                _ => {}
            }
            if m.remote_as.is_none() {
                return Err(at(
                    n.span(),
                    "remote-as is missing (here or in its peer-group)".into(),
                ));
            }
            check_peer(&m, &has_map).map_err(|r| at(n.span(), r))?;
        }
        for r in &self.listen_range {
            let l = r.get_ref();
            if l.prefix.is_some() == l.interface.is_some() {
                return Err(at(r.span(), "listen-range: a prefix or an interface".into()));
            }
            match self.peer_group.get(&l.peer_group) {
                None => {
                    return Err(at(r.span(), format!("peer-group {} is not defined", l.peer_group)))
                }
                Some(g) if g.get_ref().remote_as.is_none() => {
                    return Err(at(
                        r.span(),
                        format!("peer-group {} has no remote-as", l.peer_group),
                    ))
                }
                Some(_) => {}
            }
            if l.limit == 0 {
                return Err(at(r.span(), "listen-range limit: at least 1".into()));
            }
        }
        if let Some(m) = &self.kubernetes.mesh {
            let mesh = m.get_ref();
            if let Some(l) = &mesh.route_reflector_label {
                l.parse::<k8s_routes::LabelSelector>()
                    .map_err(|e| at(m.span(), format!("route-reflector-label {e}")))?;
            }
            if let Some(g) = &mesh.peer_group {
                let Some(group) = self.peer_group.get(g) else {
                    return Err(at(m.span(), format!("peer-group {g} is not defined")));
                };
                match group.get_ref().remote_as {
                    None | Some(RemoteAs::Word(Word::Internal)) => {}
                    Some(RemoteAs::Number(n)) if n == b.asn => {}
                    Some(_) => {
                        return Err(at(
                            m.span(),
                            format!("peer-group {g}: the mesh is iBGP, its remote-as is ours"),
                        ))
                    }
                }
            }
        }
        if let Some(b) = &self.bfd {
            let t = b.get_ref();
            // FRR's ranges: 10 ms to 60 s, a multiplier of 2 to 255.
            let intervals = [
                ("transmit-interval", t.transmit_interval),
                ("receive-interval", t.receive_interval),
            ];
            for (word, ms) in intervals {
                if !(10..=60_000).contains(&ms) {
                    return Err(at(b.span(), format!("bfd {word} {ms}: 10 to 60000 ms")));
                }
            }
            if t.detect_multiplier < 2 {
                return Err(at(b.span(), "bfd detect-multiplier: 2 to 255".into()));
            }
        }
        for r in &self.redistribute {
            let x = r.get_ref();
            protocol(&x.protocol).map_err(|e| at(r.span(), e))?;
            if let Some(m) = x.route_map.as_deref().filter(|m| !has_map(m)) {
                return Err(at(r.span(), format!("route-map {m} is not in policy")));
            }
        }
        for n in &self.network {
            let p: IpNet = n.get_ref().parse().map_err(|_| {
                at(n.span(), format!("network \"{}\" is not a prefix", n.get_ref()))
            })?;
            if p.trunc() != p {
                return Err(at(n.span(), format!("network {p} has host bits set ({})", p.trunc())));
            }
        }
        if self.neighbor.is_empty()
            && self.listen_range.is_empty()
            && self.kubernetes.mesh.is_none()
        {
            return Err(ConfigError {
                line: 1,
                reason: "no neighbor, no listen-range and no [kubernetes.mesh]".into(),
            });
        }
        Ok(())
    }

    /// Resolves `router-id = "auto"` with `node_ip` (the `NODE_IP` environment variable).
    pub fn resolve_router_id(&mut self, node_ip: Option<&str>) -> Result<(), String> {
        let b = self.bgp.get_mut();
        if b.router_id == RouterId::Auto {
            let ip = node_ip.ok_or("router-id \"auto\": NODE_IP is not set")?;
            let a: Ipv4Addr = ip.parse().map_err(|_| {
                format!("router-id \"auto\": NODE_IP \"{ip}\" is not an IPv4 address")
            })?;
            b.router_id = RouterId::Addr(a);
        }
        Ok(())
    }

    /// The speaker's configuration.
    pub fn speaker(&self, text: &str) -> Result<SpeakerConfig, ConfigError> {
        let b = self.bgp.get_ref();
        let mut s = SpeakerConfig::new(Asn(b.asn), b.router_id.addr());
        s.cluster_id = b.cluster_id;
        s.bestpath.maximum_paths_ebgp = b.maximum_paths;
        s.bestpath.maximum_paths_ibgp = b.maximum_paths_ibgp;
        for o in &b.bestpath {
            match o.as_str() {
                "as-path multipath-relax" => s.bestpath.multipath_relax = true,
                "as-path ignore" => s.bestpath.as_path_ignore = true,
                "compare-routerid" => s.bestpath.compare_router_id = true,
                "med missing-as-worst" => s.bestpath.med_missing_as_worst = true,
                "always-compare-med" => s.bestpath.always_compare_med = true,
                _ => {}
            }
        }
        s.policy = self.policy(text)?;
        s.redistribute = self
            .redistribute
            .iter()
            .filter_map(|r| {
                let r = r.get_ref();
                Some(Redistribute {
                    protocol: protocol(&r.protocol).ok()?,
                    route_map: r.route_map.clone(),
                    metric: r.metric,
                })
            })
            .collect();
        s.graceful_restart.helper = true;
        s.seed = u64::from(u32::from(b.router_id.addr())) << 32 | u64::from(b.asn);
        Ok(s)
    }

    /// Each neighbour's configuration and socket settings; interface names are looked up
    /// with `ifindex` (in the namespace where the speaker runs).
    pub fn neighbors(
        &self,
        ifindex: &impl Fn(&str) -> Result<u32, String>,
    ) -> Result<Vec<(NeighborConfig, Transport)>, String> {
        self.neighbor
            .iter()
            .map(|n| {
                let p = merged(n.get_ref(), self.group(n.get_ref()));
                self.neighbor_config(&p, None, ifindex)
            })
            .collect()
    }

    /// The BFD timers (`[bfd]`, or FRR's defaults).
    pub fn bfd_timers(&self) -> BfdFile {
        self.bfd.as_ref().map(|b| b.get_ref().clone()).unwrap_or_default()
    }

    /// Whether any neighbour, peer group (the mesh's included) runs BFD.
    pub fn wants_bfd(&self) -> bool {
        self.neighbor.iter().chain(self.peer_group.values()).any(|p| p.get_ref().bfd == Some(true))
    }

    /// The mesh session with the node at `addr` (`client`: as our route-reflector client).
    pub fn mesh_neighbor(
        &self,
        addr: IpAddr,
        client: bool,
    ) -> Result<(NeighborConfig, Transport), String> {
        let group = self.kubernetes.mesh.as_ref().and_then(|m| m.get_ref().peer_group.as_ref());
        let mut p = group
            .and_then(|g| self.peer_group.get(g))
            .map_or_else(Peer::default, |g| g.get_ref().clone());
        p.remote_as = Some(RemoteAs::Word(Word::Internal));
        let at = Neighbor::Address { addr, scope: None };
        let (mut n, t) =
            self.neighbor_config(&p, Some(at), &|i| Err(format!("interface {i} in the mesh")))?;
        n.rr_client = client;
        Ok((n, t))
    }

    /// The listen ranges, their templates built from their peer groups.
    pub fn listen_ranges(
        &self,
        ifindex: &impl Fn(&str) -> Result<u32, String>,
    ) -> Result<Vec<ListenRange>, String> {
        self.listen_range
            .iter()
            .map(|r| {
                let r = r.get_ref();
                let group = self.peer_group.get(&r.peer_group).map(Spanned::get_ref);
                let g = group.cloned().unwrap_or_default();
                let source = match (&r.prefix, &r.interface) {
                    (Some(p), _) => ListenSource::Prefix(*p),
                    (None, Some(name)) => {
                        ListenSource::Interface { name: name.clone(), ifindex: ifindex(name)? }
                    }
                    (None, None) => return Err("listen-range without a prefix".into()),
                };
                let any =
                    Neighbor::Address { addr: IpAddr::V4(Ipv4Addr::UNSPECIFIED), scope: None };
                let (template, _) = self.neighbor_config(&g, Some(any), ifindex)?;
                Ok(ListenRange { source, template, limit: r.limit })
            })
            .collect()
    }

    fn neighbor_config(
        &self,
        p: &Peer,
        fixed: Option<Neighbor>,
        ifindex: &impl Fn(&str) -> Result<u32, String>,
    ) -> Result<(NeighborConfig, Transport), String> {
        let b = self.bgp.get_ref();
        let neighbor = match (fixed, &p.address, &p.interface) {
            (Some(n), _, _) => n,
            (None, Some(addr), iface) => {
                let scope = match (addr, iface) {
                    (IpAddr::V6(a), Some(name)) if is_link_local(*a) => Some(ifindex(name)?),
                    _ => None,
                };
                Neighbor::Address { addr: *addr, scope }
            }
            (None, None, Some(name)) => {
                Neighbor::Interface { name: name.clone(), ifindex: ifindex(name)? }
            }
            (None, None, None) => return Err("a neighbor needs an address or an interface".into()),
        };
        let unnumbered = matches!(neighbor, Neighbor::Interface { .. });
        let remote = match p.remote_as {
            Some(RemoteAs::Number(n)) => PeerAs::Number(Asn(n)),
            Some(RemoteAs::Word(Word::Internal)) => PeerAs::Internal,
            Some(RemoteAs::Word(Word::External)) | None => PeerAs::External,
        };
        let mut s = bgp_fsm::Config::new(Asn(b.asn), b.router_id.addr(), remote, neighbor);
        if let Some([keepalive, hold]) = p.timers.or(b.timers) {
            s.hold_time = hold;
            s.keepalive_time = Some(keepalive);
            s.send_hold_time =
                s.send_hold_time.map(|d| d.max(Duration::from_secs(2 * u64::from(hold))));
        }
        match p.timers_send_hold {
            Some(0) => s.send_hold_time = None,
            Some(v) if v <= u64::from(s.hold_time) => {
                return Err(format!(
                    "timers-send-hold {v}: more than the hold time ({} s)",
                    s.hold_time
                ))
            }
            Some(v) => {
                s.send_hold_time = Some(Duration::from_secs(v.max(2 * u64::from(s.hold_time))))
            }
            None => {}
        }
        if let Some(c) = p.timers_connect {
            s.connect_retry_time = Duration::from_secs(c);
        }
        s.port = p.port.unwrap_or(179);
        s.passive = p.passive.unwrap_or(false);
        s.families = match &p.address_family {
            Some(afs) => afs.iter().filter_map(|a| family(a)).collect(),
            // FRR activates IPv4 unicast by default, and IPv6 too on an unnumbered session.
            None if unnumbered => vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST],
            None => vec![Family::IPV4_UNICAST],
        };
        let extended = p.capability.iter().flatten().any(|c| c == "extended-nexthop");
        // FRR offers extended next hop on every interface (unnumbered) neighbour.
        if (extended || unnumbered) && s.families.contains(&Family::IPV4_UNICAST) {
            s.extended_next_hop = vec![Family::IPV4_UNICAST];
        }
        if b.graceful_restart {
            s.graceful_restart = Some(GracefulRestart {
                restart_flags: 0,
                restart_time: b.restart_time,
                families: s
                    .families
                    .iter()
                    .map(|&family| GracefulRestartFamily {
                        family,
                        flags: GracefulRestartFamily::FORWARDING_STATE,
                    })
                    .collect(),
            });
        }
        s.seed = u64::from(u32::from(b.router_id.addr())) ^ u64::from(b.asn) << 8;
        let mut n = NeighborConfig::new(s);
        n.import.clone_from(&p.route_map_in);
        n.export.clone_from(&p.route_map_out);
        n.rr_client = p.route_reflector_client.unwrap_or(false);
        n.next_hop_self = p.next_hop_self.unwrap_or(false);
        n.allowas_in = p.allowas_in.unwrap_or(0);
        n.remove_private_as = p.remove_private_as.unwrap_or(false);
        n.as_override = p.as_override.unwrap_or(false);
        n.multihop = p.ebgp_multihop.is_some_and(|h| h > 1);
        n.max_prefix = p.maximum_prefix.map(MaxPrefix::new);
        n.advertisement_interval = Duration::from_secs(p.advertisement_interval.unwrap_or(0));
        n.bfd = p.bfd.unwrap_or(false);
        let t = Transport {
            md5_password: p.password.clone(),
            ttl: match (p.ttl_security, p.ebgp_multihop) {
                (Some(hops), _) => TtlMode::Security { hops },
                (None, Some(ttl)) => TtlMode::Multihop(ttl),
                (None, None) => TtlMode::Default,
            },
            bind_device: None,
            source: p.update_source,
        };
        Ok((n, t))
    }

    /// `network` statements.
    pub fn networks(&self) -> Vec<IpNet> {
        self.network.iter().filter_map(|n| n.get_ref().parse().ok()).collect()
    }
}

const BESTPATH: [&str; 5] = [
    "as-path multipath-relax",
    "as-path ignore",
    "compare-routerid",
    "med missing-as-worst",
    "always-compare-med",
];

fn check_timers([keepalive, hold]: [u16; 2]) -> Result<(), String> {
    if hold == 1 || hold == 2 {
        return Err(format!("timers {keepalive} {hold}: hold time 0 or at least 3"));
    }
    if hold != 0 && (keepalive == 0 || keepalive > hold / 3) {
        return Err(format!("timers {keepalive} {hold}: keepalive 1 to a third of the hold time"));
    }
    Ok(())
}

fn check_peer(p: &Peer, has_map: &impl Fn(&str) -> bool) -> Result<(), String> {
    if let Some(t) = p.timers {
        check_timers(t)?;
    }
    if let (Some(v), Some([_, hold])) = (p.timers_send_hold, p.timers) {
        if v != 0 && v <= u64::from(hold) {
            return Err(format!("timers-send-hold {v}: more than the hold time ({hold} s)"));
        }
    }
    if p.ttl_security.is_some() && p.ebgp_multihop.is_some() {
        return Err("ttl-security and ebgp-multihop exclude each other".into());
    }
    if p.ttl_security.is_some_and(|h| h == 0 || h == 255) {
        return Err("ttl-security hops: 1 to 254".into());
    }
    if p.ebgp_multihop == Some(0) {
        return Err("ebgp-multihop: 1 to 255".into());
    }
    if p.password.as_ref().is_some_and(|x| x.len() > bgp_tokio::sockopt::MD5_MAX_KEY_LEN) {
        return Err("password longer than 80 octets".into());
    }
    if p.maximum_prefix == Some(0) {
        return Err("maximum-prefix: at least 1".into());
    }
    if let Some(a) = p.advertisement_interval.filter(|a| *a > 600) {
        return Err(format!("advertisement-interval {a}: 0 to 600 s"));
    }
    for c in p.capability.iter().flatten() {
        if c != "extended-nexthop" && c != "dynamic" {
            return Err(format!("capability {c}: extended-nexthop or dynamic"));
        }
    }
    for a in p.address_family.iter().flatten() {
        if family(a).is_none() {
            return Err(format!("address-family {a}: ipv4 or ipv6"));
        }
    }
    for m in [&p.route_map_in, &p.route_map_out].into_iter().flatten() {
        if !has_map(m) {
            return Err(format!("route-map {m} is not in policy"));
        }
    }
    Ok(())
}

fn family(s: &str) -> Option<Family> {
    match s {
        "ipv4" | "ipv4 unicast" | "ipv4-unicast" => Some(Family::IPV4_UNICAST),
        "ipv6" | "ipv6 unicast" | "ipv6-unicast" => Some(Family::IPV6_UNICAST),
        _ => None,
    }
}

fn protocol(s: &str) -> Result<Protocol, String> {
    match s {
        "kernel" => Ok(Protocol::Kernel),
        "connected" => Ok(Protocol::Connected),
        "static" => Ok(Protocol::Static),
        _ => Err(format!("redistribute {s}: kernel, connected or static")),
    }
}

fn is_link_local(a: Ipv6Addr) -> bool {
    a.segments()[0] & 0xffc0 == 0xfe80
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(name: &str) -> Result<u32, String> {
        match name {
            "eth0" => Ok(2),
            "eth1" => Ok(3),
            _ => Err(format!("no interface {name}")),
        }
    }

    /// The shipped example: seed deployment 1 (routing on the host, unnumbered).
    #[test]
    fn the_example_file_loads() {
        let text = include_str!("../k8s-bgp-speaker.toml");
        let f = parse(text).unwrap();
        let s = f.speaker(text).unwrap();
        assert_eq!(s.bestpath.maximum_paths_ebgp, 64);
        assert!(s.bestpath.multipath_relax && s.bestpath.compare_router_id);
        assert_eq!(s.redistribute[0].protocol, Protocol::Kernel);
        let n = f.neighbors(&lookup).unwrap();
        assert_eq!(n.len(), 2);
        let (c, _) = &n[0];
        assert!(
            matches!(&c.session.neighbor, Neighbor::Interface { name, ifindex: 2 } if name == "eth0")
        );
        assert_eq!(c.session.peer_as, PeerAs::External);
        assert_eq!((c.session.hold_time, c.session.keepalive_time), (3, Some(1)));
        assert_eq!(c.session.connect_retry_time, Duration::from_secs(3));
        assert_eq!(c.session.extended_next_hop, vec![Family::IPV4_UNICAST]);
        assert_eq!(c.advertisement_interval, Duration::ZERO);
        assert_eq!(f.networks(), vec!["10.0.0.11/32".parse::<IpNet>().unwrap()]);
    }

    const SMALL: &str = r#"
[bgp]
asn = 64512
router-id = "192.168.1.11"

[peer-group.ROUTERS]
remote-as = 64513
timers = [1, 3]

[[neighbor]]
address = "192.168.1.1"
peer-group = "ROUTERS"

[[neighbor]]
address = "192.168.2.1"
peer-group = "ROUTERS"
ebgp-multihop = 2
"#;

    #[test]
    fn a_neighbor_takes_its_groups_settings() {
        let f = parse(SMALL).unwrap();
        let n = f.neighbors(&lookup).unwrap();
        assert_eq!(n[0].0.session.peer_as, PeerAs::Number(Asn(64513)));
        assert_eq!(n[1].0.session.hold_time, 3);
        assert!(n[1].0.multihop);
        assert_eq!(n[1].1.ttl, TtlMode::Multihop(2));
        assert_eq!(n[0].1.ttl, TtlMode::Default);
    }

    #[test]
    fn the_mesh_is_ibgp_with_its_group_and_refuses_bad_words() {
        let mesh = "[bgp]\nasn = 64512\nrouter-id = \"192.0.2.1\"\n\n\
                    [peer-group.MESH]\nremote-as = \"internal\"\ntimers = [1, 3]\n\n\
                    [kubernetes.mesh]\nroute-reflector-label = \"example.org/rr=true\"\n\
                    peer-group = \"MESH\"\n";
        let f = parse(mesh).unwrap();
        let (n, _) = f.mesh_neighbor("192.0.2.9".parse().unwrap(), true).unwrap();
        assert_eq!(n.session.peer_as, PeerAs::Internal);
        assert_eq!(n.session.hold_time, 3);
        assert!(n.rr_client);
        let e = parse(&mesh.replace("example.org/rr=true", "a b")).unwrap_err();
        assert_eq!(e.line, 9, "{e}");
        assert!(e.reason.starts_with("route-reflector-label"), "{e}");
        let e = parse(&mesh.replace("\"internal\"", "64513")).unwrap_err();
        assert!(e.reason.contains("the mesh is iBGP"), "{e}");
        let e =
            parse(&mesh.replace("peer-group = \"MESH\"\n", "peer-group = \"X\"\n")).unwrap_err();
        assert!(e.reason.contains("peer-group X is not defined"), "{e}");
        let e = parse(&mesh.replace("[kubernetes.mesh]", "[kubernetes.other]")).unwrap_err();
        assert!(e.reason.contains("unknown field"), "{e}");
    }

    #[test]
    fn errors_name_their_line() {
        let e = parse(&SMALL.replace("timers = [1, 3]", "timers = [2, 3]")).unwrap_err();
        assert_eq!(e.line, 6, "{e}");
        assert!(e.reason.contains("a third of the hold time"), "{e}");
        let e =
            parse(&SMALL.replace("peer-group = \"ROUTERS\"\nebgp", "peer-group = \"NOPE\"\nebgp"))
                .unwrap_err();
        assert_eq!(e.line, 14, "{e}");
        assert!(e.reason.contains("NOPE"), "{e}");
        let e = parse(&SMALL.replace("asn = 64512", "asn = 64512\nbogus = 1")).unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        let e = parse(&SMALL.replace("ebgp-multihop = 2", "ebgp-multihop = 2\nttl-security = 1"))
            .unwrap_err();
        assert!(e.reason.contains("exclude"), "{e}");
        let e = parse(
            &SMALL.replace("timers = [1, 3]", "timers = [1, 3]\nadvertisement-interval = 601"),
        )
        .unwrap_err();
        assert_eq!(
            (e.line, e.reason.as_str()),
            (6, "peer-group ROUTERS: advertisement-interval 601: 0 to 600 s")
        );
        let text =
            format!("policy = \"\"\"\nroute-map A permit 10\n set nonsense\n\"\"\"\n{SMALL}");
        let e = parse(&text).unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        let e =
            parse(&SMALL.replace("router-id = \"192.168.1.11\"", "router-id = \"x\"")).unwrap_err();
        assert_eq!(e.line, 4, "{e}");
    }

    #[test]
    fn router_id_auto_is_the_nodes_address() {
        let text = SMALL.replace("\"192.168.1.11\"", "\"auto\"");
        let mut f = parse(&text).unwrap();
        assert!(f.resolve_router_id(None).unwrap_err().contains("NODE_IP"));
        assert!(f.resolve_router_id(Some("fe80::1")).is_err());
        f.resolve_router_id(Some("192.168.1.12")).unwrap();
        assert_eq!(f.speaker(&text).unwrap().router_id, Ipv4Addr::new(192, 168, 1, 12));
        let n = f.neighbors(&lookup).unwrap();
        assert_eq!(n[0].0.session.router_id, Ipv4Addr::new(192, 168, 1, 12));
    }

    /// The file the DaemonSet ships (`deploy/`): every node reads it.
    #[test]
    fn the_deployed_file_loads() {
        let text = include_str!("../../../deploy/k8s-bgp-speaker.toml");
        let mut f = parse(text).unwrap();
        f.resolve_router_id(Some("192.168.1.11")).unwrap();
        assert!(f.kubernetes.pod_cidr && f.kubernetes.cluster_ip);
        assert_eq!(f.neighbors(&lookup).unwrap().len(), 2);
        assert_eq!(f.agent.metrics, Some("0.0.0.0:9179".parse().unwrap()));
    }

    #[test]
    fn listen_ranges_take_a_peer_group() {
        let text = format!(
            "{SMALL}\n[[listen-range]]\nprefix = \"192.168.3.0/24\"\npeer-group = \"ROUTERS\"\nlimit = 4\n"
        );
        let f = parse(&text).unwrap();
        let r = f.listen_ranges(&lookup).unwrap();
        assert_eq!(r[0].limit, 4);
        assert_eq!(r[0].template.session.peer_as, PeerAs::Number(Asn(64513)));
        let e =
            parse(&text.replace("peer-group = \"ROUTERS\"\nlimit", "peer-group = \"X\"\nlimit"))
                .unwrap_err();
        assert!(e.reason.contains("X is not defined"), "{e}");
    }

    #[test]
    fn send_hold_time_is_configured_per_peer() {
        let default = parse(SMALL).unwrap().neighbors(&lookup).unwrap();
        assert_eq!(
            default[0].0.session.send_hold_time,
            Some(bgp_fsm::config::DEFAULT_SEND_HOLD_TIME)
        );
        let with = |v: &str| {
            SMALL.replace("timers = [1, 3]", &format!("timers = [1, 3]\ntimers-send-hold = {v}"))
        };
        let n = parse(&with("8")).unwrap().neighbors(&lookup).unwrap();
        assert_eq!(n[0].0.session.send_hold_time, Some(Duration::from_secs(8)));
        // At least twice the hold time.
        let n = parse(&with("4")).unwrap().neighbors(&lookup).unwrap();
        assert_eq!(n[0].0.session.send_hold_time, Some(Duration::from_secs(6)));
        let n = parse(&with("0")).unwrap().neighbors(&lookup).unwrap();
        assert_eq!(n[0].0.session.send_hold_time, None);
        let e = parse(&with("3")).unwrap_err();
        assert_eq!(e.line, 6, "{e}");
        assert!(e.reason.contains("timers-send-hold 3"), "{e}");
    }
}
