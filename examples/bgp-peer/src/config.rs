//! The TOML configuration: parsing with line numbers in every error, and checks that need
//! more than one field.

use bgp_fsm::Neighbor;
use bgp_speaker::{MaxPrefix, NeighborConfig, SpeakerConfig};
use bgp_tokio::{Transport, TtlMode};
use bgp_wire::attribute::{Community, LargeCommunity};
use bgp_wire::capability::{
    AddPathDirection, AddPathFamily, GracefulRestart, GracefulRestartFamily,
};
use bgp_wire::{Asn, Family};
use ipnet::IpNet;
use rib::policy::Policy;
use rib::PathAttrs;
use serde::Deserialize;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Range;
use std::str::FromStr;
use std::time::Duration;
use toml::Spanned;

/// A configuration error: where and why.
#[derive(Debug, thiserror::Error)]
#[error("{line}: {reason}")]
pub struct ConfigError {
    /// 1-based line of the offending value (0 when unknown).
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

fn line_of(text: &str, span: Option<Range<usize>>) -> usize {
    span.map_or(0, |s| text.get(..s.start).map_or(0, |t| t.matches('\n').count()) + 1)
}

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct File {
    /// Our AS number.
    pub local_as: LocalAs,
    /// Our BGP identifier.
    pub router_id: RouterId,
    /// TCP port to listen on (179); 0 picks a free one, `listen = false` none.
    #[serde(default = "default_port")]
    pub listen_port: u16,
    /// Whether to accept connections at all.
    #[serde(default = "yes")]
    pub listen: bool,
    /// Paths of equal cost installed together (`maximum-paths`), eBGP and iBGP.
    #[serde(default = "one")]
    pub maximum_paths: u16,
    /// Route-reflection cluster id (our router id by default).
    pub cluster_id: Option<RouterId>,
    /// Advertise graceful restart (RFC 4724) and keep a restarting neighbour's routes.
    #[serde(default = "yes")]
    pub graceful_restart: bool,
    /// Route maps and the lists they use, in FRR's syntax.
    pub policy: Option<Spanned<String>>,
    /// Print a JSON line per best-path change (`true`); `false` prints session events only,
    /// which is what a full table wants (formatting a million lines costs seconds).
    #[serde(default = "yes")]
    pub print_routes: bool,
    /// A control socket answering `show bgp summary [--json]` (see `agent::control`).
    pub control_socket: Option<std::path::PathBuf>,
    /// The neighbours.
    pub neighbor: Vec<Spanned<NeighborFile>>,
    /// Routes we originate.
    #[serde(default)]
    pub announce: Vec<Spanned<AnnounceFile>>,
}

fn default_port() -> u16 {
    bgp_fsm::config::BGP_PORT
}

fn yes() -> bool {
    true
}

fn one() -> u16 {
    1
}

/// The `[neighbor]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct NeighborFile {
    /// The neighbour's address (a link-local IPv6 address needs `interface` too, as its scope).
    pub address: Option<IpAddr>,
    /// Unnumbered peering on this interface (no `address`), or the scope of a link-local
    /// `address`.
    pub interface: Option<String>,
    /// A number, `"external"` or `"internal"`.
    pub remote_as: RemoteAs,
    /// TCP port of the neighbour.
    #[serde(default = "default_port")]
    pub port: u16,
    /// Families to offer.
    #[serde(default = "default_families")]
    pub families: Vec<FamilyName>,
    /// Offer IPv6 next hops for IPv4 unicast (RFC 8950).
    #[serde(default)]
    pub extended_nexthop: bool,
    /// ADD-PATH for every family: `"send"`, `"receive"` or `"both"`.
    pub add_path: Option<AddPathMode>,
    /// Hold time in seconds (0, or 3 and more).
    #[serde(default = "default_hold")]
    pub hold_time: u16,
    /// Smallest hold time accepted from the neighbour (3 or more, at most `hold-time`); an
    /// OPEN offering less, or 0, is refused with "Unacceptable Hold Time".
    pub minimum_hold_time: Option<u16>,
    /// Keepalive interval; this implementation always uses a third of the hold time, so the
    /// only accepted value is that one.
    pub keepalive: Option<Spanned<u16>>,
    /// ConnectRetryTime in seconds.
    #[serde(default = "default_connect_retry")]
    pub connect_retry: u64,
    /// Never connect, only accept.
    #[serde(default)]
    pub passive: bool,
    /// RFC 4271 §8.1.1 DampPeerOscillations: the IdleHoldTime doubles with each flap (up to
    /// 120 s). `false` keeps it at 1 s, for a neighbour that is reset on purpose, often.
    #[serde(default = "default_true")]
    pub damp_peer_oscillations: bool,
    /// TCP-MD5 password (RFC 2385).
    pub password: Option<String>,
    /// GTSM (RFC 5082): how many hops away the neighbour may be.
    pub ttl_security: Option<u8>,
    /// eBGP multihop: the TTL to send with.
    pub multihop: Option<u8>,
    /// Source address of outbound connections.
    pub source: Option<IpAddr>,
    /// Interface to bind outbound connections to.
    pub bind_device: Option<String>,
    /// An IPv6 global address sent beside our link-local one as next hop.
    pub next_hop_global: Option<Ipv6Addr>,
    /// Import route map (in `policy`).
    pub import: Option<String>,
    /// Export route map (in `policy`).
    pub export: Option<String>,
    /// The neighbour is a route-reflection client (RFC 4456).
    #[serde(default)]
    pub route_reflector_client: bool,
    /// Our address as next hop toward this internal neighbour too.
    #[serde(default)]
    pub next_hop_self: bool,
    /// Most prefixes accepted per family; past it the session is closed (Cease 6/1).
    pub maximum_prefix: Option<u32>,
    /// Accept routes with our AS in the path up to this many times.
    #[serde(default)]
    pub allowas_in: u8,
    /// Seconds between our Router Advertisements on an unnumbered interface.
    #[serde(default = "default_ra_interval")]
    pub ra_interval: u64,
    /// Router Lifetime of our Router Advertisements (0: not a default router).
    #[serde(default)]
    pub ra_lifetime: u16,
}

fn default_families() -> Vec<FamilyName> {
    vec![FamilyName(Family::IPV4_UNICAST)]
}

fn default_hold() -> u16 {
    90
}

fn default_true() -> bool {
    true
}

fn default_connect_retry() -> u64 {
    120
}

fn default_ra_interval() -> u64 {
    3
}

/// One `[[announce]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AnnounceFile {
    /// The prefix.
    pub prefix: Prefix,
    /// Communities, `"ASN:VALUE"`.
    #[serde(default)]
    pub communities: Vec<CommunityText>,
    /// Large communities, `"GLOBAL:LOCAL1:LOCAL2"`.
    #[serde(default)]
    pub large_communities: Vec<LargeCommunityText>,
    /// MULTI_EXIT_DISC.
    pub med: Option<u32>,
    /// LOCAL_PREF (iBGP only).
    pub local_pref: Option<u32>,
}

/// Our AS number: not 0 (RFC 7607).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "u32")]
pub struct LocalAs(pub u32);

impl TryFrom<u32> for LocalAs {
    type Error = String;
    fn try_from(n: u32) -> Result<LocalAs, String> {
        if n == 0 {
            return Err("local-as 0 is reserved (RFC 7607)".into());
        }
        Ok(LocalAs(n))
    }
}

/// Our BGP identifier: a non-zero IPv4 address (RFC 6286 §2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct RouterId(pub Ipv4Addr);

impl TryFrom<String> for RouterId {
    type Error = String;
    fn try_from(s: String) -> Result<RouterId, String> {
        let a: Ipv4Addr =
            s.parse().map_err(|_| format!("router-id \"{s}\" is not an IPv4 address"))?;
        if a.is_unspecified() {
            return Err("router-id 0.0.0.0 is not a valid BGP identifier".into());
        }
        Ok(RouterId(a))
    }
}

/// The peer AS rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RemoteAsRaw")]
pub struct RemoteAs(pub bgp_fsm::PeerAs);

#[derive(Deserialize)]
#[serde(untagged)]
enum RemoteAsRaw {
    Number(i64),
    Word(String),
}

impl TryFrom<RemoteAsRaw> for RemoteAs {
    type Error = String;
    fn try_from(r: RemoteAsRaw) -> Result<RemoteAs, String> {
        match r {
            RemoteAsRaw::Number(n) => match u32::try_from(n) {
                Ok(0) | Err(_) => Err(format!("remote-as {n}: must be 1 to 4294967295")),
                Ok(n) => Ok(RemoteAs(bgp_fsm::PeerAs::Number(Asn(n)))),
            },
            RemoteAsRaw::Word(w) => match w.as_str() {
                "external" => Ok(RemoteAs(bgp_fsm::PeerAs::External)),
                "internal" => Ok(RemoteAs(bgp_fsm::PeerAs::Internal)),
                _ => Err(format!("remote-as \"{w}\": a number, \"external\" or \"internal\"")),
            },
        }
    }
}

/// An address family by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct FamilyName(pub Family);

impl TryFrom<String> for FamilyName {
    type Error = String;
    fn try_from(s: String) -> Result<FamilyName, String> {
        match s.as_str() {
            "ipv4-unicast" => Ok(FamilyName(Family::IPV4_UNICAST)),
            "ipv6-unicast" => Ok(FamilyName(Family::IPV6_UNICAST)),
            _ => Err(format!("family \"{s}\": ipv4-unicast or ipv6-unicast")),
        }
    }
}

/// ADD-PATH direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AddPathMode {
    /// Send several paths.
    Send,
    /// Receive several paths.
    Receive,
    /// Both.
    Both,
}

/// A prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Prefix(pub IpNet);

impl TryFrom<String> for Prefix {
    type Error = String;
    fn try_from(s: String) -> Result<Prefix, String> {
        let p = IpNet::from_str(&s).map_err(|_| format!("\"{s}\" is not a prefix"))?;
        if p.trunc() != p {
            return Err(format!("\"{s}\" has host bits set (did you mean {}?)", p.trunc()));
        }
        Ok(Prefix(p))
    }
}

/// A community in `ASN:VALUE` form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct CommunityText(pub Community);

impl TryFrom<String> for CommunityText {
    type Error = String;
    fn try_from(s: String) -> Result<CommunityText, String> {
        let bad = || format!("community \"{s}\": expected ASN:VALUE, each 0 to 65535");
        let (a, v) = s.split_once(':').ok_or_else(bad)?;
        let a = a.parse::<u16>().map_err(|_| bad())?;
        let v = v.parse::<u16>().map_err(|_| bad())?;
        Ok(CommunityText(Community::new(a, v)))
    }
}

/// A large community in `GLOBAL:LOCAL1:LOCAL2` form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct LargeCommunityText(pub LargeCommunity);

impl TryFrom<String> for LargeCommunityText {
    type Error = String;
    fn try_from(s: String) -> Result<LargeCommunityText, String> {
        let bad = || format!("large community \"{s}\": expected three numbers a:b:c");
        let parts: Vec<u32> =
            s.split(':').map(str::parse::<u32>).collect::<Result<_, _>>().map_err(|_| bad())?;
        match parts.as_slice() {
            [g, l1, l2] => Ok(LargeCommunityText(LargeCommunity::new(*g, *l1, *l2))),
            _ => Err(bad()),
        }
    }
}

/// Parses and checks a configuration file's text.
pub fn parse(text: &str) -> Result<File, ConfigError> {
    let file: File = toml::from_str(text).map_err(|e| ConfigError {
        line: line_of(text, e.span()),
        reason: e.message().trim().to_string(),
    })?;
    check(&file, text)?;
    Ok(file)
}

fn check(f: &File, text: &str) -> Result<(), ConfigError> {
    let at = |span: Range<usize>, reason: String| ConfigError {
        line: line_of(text, Some(span)),
        reason,
    };
    if f.neighbor.is_empty() {
        return Err(ConfigError { line: 0, reason: "no [[neighbor]]".into() });
    }
    if f.maximum_paths == 0 {
        return Err(ConfigError { line: 0, reason: "maximum-paths must be at least 1".into() });
    }
    let policy = policy(f, text)?;
    for nb in &f.neighbor {
        check_neighbor(f, nb.get_ref()).map_err(|r| at(nb.span(), r))?;
        let n = nb.get_ref();
        // What the library refuses, refused now with the line of the key.
        let key_at = |key: &str, reason: String| ConfigError {
            line: key_line(text, nb.span(), key),
            reason,
        };
        n.transport().validate().map_err(|e| key_at(transport_key(&e), e.to_string()))?;
        let placeholder = Neighbor::Interface { name: String::new(), ifindex: 0 };
        f.session_config(n, placeholder)
            .validate()
            .map_err(|e| key_at(session_key(&e), e.to_string()))?;
        if let Some(k) = &n.keepalive {
            let (span, k) = (k.span(), *k.get_ref());
            if n.hold_time != 0 && (k == 0 || k > n.hold_time / 3) {
                let third = n.hold_time / 3;
                return Err(at(
                    span,
                    format!("keepalive {k}: must be 1 to a third of hold-time ({third})"),
                ));
            }
        }
        for map in [&n.import, &n.export].into_iter().flatten() {
            if policy.route_map_id(map).is_none() {
                return Err(at(nb.span(), format!("route-map {map} is not in policy")));
            }
        }
    }
    for a in &f.announce {
        let family = family_of(&a.get_ref().prefix.0);
        if !f.neighbor.iter().any(|n| n.get_ref().families.contains(&FamilyName(family))) {
            return Err(at(
                a.span(),
                format!("{}: no neighbor has its family", a.get_ref().prefix.0),
            ));
        }
    }
    Ok(())
}

fn check_neighbor(f: &File, n: &NeighborFile) -> Result<(), String> {
    if n.passive && !f.listen {
        return Err("passive with listen = false: nothing would ever connect".into());
    }
    match (&n.address, &n.interface) {
        (None, None) => return Err("neighbor needs an address or an interface".into()),
        (Some(IpAddr::V6(a)), None) if bgp_fsm::ra::is_link_local(*a) => {
            return Err(format!("link-local address {a} needs an interface"));
        }
        _ => {}
    }
    if n.ttl_security.is_some() && n.multihop.is_some() {
        return Err("ttl-security and multihop exclude each other".into());
    }
    if n.families.is_empty() {
        return Err("families is empty".into());
    }
    if n.extended_nexthop && !n.families.contains(&FamilyName(Family::IPV4_UNICAST)) {
        return Err("extended-nexthop needs the ipv4-unicast family".into());
    }
    if n.maximum_prefix == Some(0) {
        return Err("maximum-prefix must be at least 1".into());
    }
    Ok(())
}

/// The line of `key = ...` inside a neighbour's table, or the table's first line.
fn key_line(text: &str, table: Range<usize>, key: &str) -> usize {
    let start = table.start;
    let body = text.get(table).unwrap_or("");
    let mut offset = 0;
    for l in body.split_inclusive('\n') {
        let t = l.trim_start();
        if t.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with('=')) {
            return line_of(text, Some(start + offset..start + offset));
        }
        offset += l.len();
    }
    line_of(text, Some(start..start))
}

/// The key behind a session configuration error.
fn session_key(e: &bgp_fsm::ConfigError) -> &'static str {
    use bgp_fsm::ConfigError as E;
    match e {
        E::OutOfRange { what: "connect retry time", .. } => "connect-retry",
        E::OutOfRange { what: "router advertisement interval", .. } => "ra-interval",
        E::KeepaliveTime(_) => "keepalive",
        E::MinHoldTime { .. } => "minimum-hold-time",
        E::Port => "port",
        _ => "hold-time",
    }
}

/// The key behind a socket settings error.
fn transport_key(e: &bgp_tokio::TransportError) -> &'static str {
    use bgp_tokio::TransportError as E;
    match e {
        E::Md5PasswordLength(_) => "password",
        E::TtlSecurityHops(_) => "ttl-security",
        _ => "multihop",
    }
}

/// The `policy` text parsed; its errors name the line of the file.
fn policy(f: &File, text: &str) -> Result<Policy, ConfigError> {
    let Some(p) = &f.policy else { return Ok(Policy::new()) };
    Policy::parse(p.get_ref()).map_err(|e| {
        let start = p.span().start;
        // A multi-line string's first newline is not part of its value.
        let skip = usize::from(text.get(start + 3..).is_some_and(|t| t.starts_with('\n')));
        ConfigError {
            line: line_of(text, Some(p.span())) + skip + e.line.saturating_sub(1),
            reason: format!("policy: {}", e.reason),
        }
    })
}

fn family_of(p: &IpNet) -> Family {
    match p {
        IpNet::V4(_) => Family::IPV4_UNICAST,
        IpNet::V6(_) => Family::IPV6_UNICAST,
    }
}

impl File {
    /// The speaker's configuration.
    pub fn speaker(&self, text: &str) -> Result<SpeakerConfig, ConfigError> {
        let mut s = SpeakerConfig::new(Asn(self.local_as.0), self.router_id.0);
        s.cluster_id = self.cluster_id.map(|c| c.0);
        s.bestpath.maximum_paths_ebgp = self.maximum_paths;
        s.bestpath.maximum_paths_ibgp = self.maximum_paths;
        s.graceful_restart.helper = self.graceful_restart;
        s.policy = policy(self, text)?;
        s.seed = u64::from(u32::from(self.router_id.0)) << 32 | u64::from(self.local_as.0);
        // Route lines are printed only when asked for; no kernel is programmed.
        s.route_changes = self.print_routes;
        s.fib = false;
        Ok(s)
    }

    /// Each neighbour's configuration and socket settings. Interface names are looked up
    /// here, so this runs where the interfaces are.
    pub fn neighbors(&self) -> Result<Vec<(NeighborConfig, Transport)>, String> {
        self.neighbor.iter().map(|n| self.neighbor_config(n.get_ref())).collect()
    }

    fn neighbor_config(&self, n: &NeighborFile) -> Result<(NeighborConfig, Transport), String> {
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
            (None, Some(name)) => {
                Neighbor::Interface { name: name.clone(), ifindex: ifindex(name)? }
            }
            (None, None) => return Err("neighbor needs an address or an interface".into()),
        };
        let s = self.session_config(n, neighbor);
        let mut c = NeighborConfig::new(s);
        c.import = n.import.clone();
        c.export = n.export.clone();
        c.rr_client = n.route_reflector_client;
        c.next_hop_self = n.next_hop_self;
        c.allowas_in = n.allowas_in;
        c.multihop = n.multihop.is_some_and(|ttl| ttl > 1);
        c.max_prefix = n.maximum_prefix.map(MaxPrefix::new);
        c.ipv6_global = n.next_hop_global;
        Ok((c, n.transport()))
    }

    /// The session's configuration of a neighbour at `neighbor`.
    fn session_config(&self, n: &NeighborFile, neighbor: Neighbor) -> bgp_fsm::Config {
        let mut s =
            bgp_fsm::Config::new(Asn(self.local_as.0), self.router_id.0, n.remote_as.0, neighbor);
        s.port = n.port;
        s.passive = n.passive;
        s.damping.enabled = n.damp_peer_oscillations;
        s.hold_time = n.hold_time;
        // RFC 9687 §6's default SendHoldTime, "the greater of 8 minutes or 2 times" the
        // hold time, so that a hold time of 8 minutes or more stays valid.
        s.send_hold_time =
            s.send_hold_time.map(|d| d.max(Duration::from_secs(2 * u64::from(n.hold_time))));
        s.min_hold_time = n.minimum_hold_time;
        s.keepalive_time = n.keepalive.as_ref().map(|k| *k.get_ref());
        s.connect_retry_time = Duration::from_secs(n.connect_retry);
        s.families = n.families.iter().map(|f| f.0).collect();
        if n.extended_nexthop {
            s.extended_next_hop = vec![Family::IPV4_UNICAST];
        }
        s.add_path = n.add_path_families();
        s.ra.interval = Duration::from_secs(n.ra_interval);
        s.ra.router_lifetime = n.ra_lifetime;
        if self.graceful_restart {
            // Restart Time 120 s as FRR; this program keeps no forwarding state, so no
            // family has the F bit.
            s.graceful_restart = Some(GracefulRestart {
                restart_flags: GracefulRestart::NOTIFICATION,
                restart_time: 120,
                families: s
                    .families
                    .iter()
                    .map(|&family| GracefulRestartFamily { family, flags: 0 })
                    .collect(),
            });
        }
        s
    }

    /// The routes to originate, with their attributes.
    pub fn announcements(&self) -> Vec<(IpNet, PathAttrs)> {
        self.announce
            .iter()
            .map(|a| {
                let a = a.get_ref();
                let attrs = PathAttrs {
                    med: a.med,
                    local_pref: a.local_pref,
                    communities: a.communities.iter().map(|c| c.0).collect(),
                    large_communities: a.large_communities.iter().map(|c| c.0).collect(),
                    ..PathAttrs::default()
                };
                (a.prefix.0, attrs)
            })
            .collect()
    }
}

impl NeighborFile {
    /// The socket settings.
    pub fn transport(&self) -> Transport {
        Transport {
            md5_password: self.password.clone(),
            ttl: match (self.ttl_security, self.multihop) {
                (Some(hops), _) => TtlMode::Security { hops },
                (None, Some(ttl)) => TtlMode::Multihop(ttl),
                (None, None) => TtlMode::Default,
            },
            bind_device: self.bind_device.clone(),
            source: self.source,
        }
    }

    /// ADD-PATH capability entries.
    pub fn add_path_families(&self) -> Vec<AddPathFamily> {
        let Some(mode) = self.add_path else {
            return Vec::new();
        };
        let direction = match mode {
            AddPathMode::Send => AddPathDirection::SEND,
            AddPathMode::Receive => AddPathDirection::RECEIVE,
            AddPathMode::Both => AddPathDirection::BOTH,
        };
        self.families.iter().map(|f| AddPathFamily { family: f.0, direction }).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
local-as = 65001
router-id = "10.0.0.1"

[[neighbor]]
address = "10.0.0.2"
remote-as = "external"
families = ["ipv4-unicast", "ipv6-unicast"]
hold-time = 3
keepalive = 1

[[announce]]
prefix = "192.0.2.0/24"
communities = ["65001:100"]
large-communities = ["65001:1:2"]
"#;

    #[test]
    fn route_printing_and_control_socket() {
        let f = parse(GOOD).unwrap();
        assert!(f.print_routes, "routes are printed by default");
        assert!(f.control_socket.is_none());
        let text = GOOD.replace(
            "router-id = \"10.0.0.1\"\n",
            "router-id = \"10.0.0.1\"\nprint-routes = false\ncontrol-socket = \"/run/p.sock\"\n",
        );
        let f = parse(&text).unwrap();
        assert!(!f.print_routes);
        assert_eq!(f.control_socket.as_deref(), Some(std::path::Path::new("/run/p.sock")));
        let bad = GOOD
            .replace("router-id = \"10.0.0.1\"\n", "router-id = \"10.0.0.1\"\nprint-routes = 1\n");
        let err = parse(&bad).unwrap_err();
        assert_eq!(err.line, 4, "{err}");
    }

    #[test]
    fn good_file() {
        let f = parse(GOOD).unwrap();
        assert_eq!(f.local_as, LocalAs(65001));
        assert_eq!(f.neighbor[0].get_ref().remote_as.0, bgp_fsm::PeerAs::External);
        assert_eq!(f.announce.len(), 1);
        assert_eq!(f.announce[0].get_ref().communities[0].0, Community::new(65001, 100));
        // Optional keys may be left out.
        let f = parse(&GOOD.replace("keepalive = 1\n", "")).unwrap();
        assert!(f.neighbor[0].get_ref().keepalive.is_none());
    }

    fn err(text: &str) -> ConfigError {
        parse(text).unwrap_err()
    }

    #[test]
    fn bad_values_name_their_line() {
        let e = err(&GOOD.replace("\"192.0.2.0/24\"", "\"192.0.2.1/24\""));
        assert_eq!(e.line, 13, "{e}");
        assert!(e.reason.contains("host bits"), "{e}");

        let e = err(&GOOD.replace("\"external\"", "\"outside\""));
        assert_eq!(e.line, 7, "{e}");
        assert!(e.reason.contains("external"), "{e}");

        let e = err(&GOOD.replace("keepalive = 1", "keepalive = 2"));
        assert_eq!(e.line, 10, "{e}");
        assert!(e.reason.contains("third of hold-time"), "{e}");

        let e = err(&GOOD.replace("hold-time = 3", "hold-time = 3\nbogus = 1"));
        assert_eq!(e.line, 10, "{e}");
        assert!(e.reason.contains("bogus"), "{e}");

        let e = err(&GOOD.replace("\"65001:100\"", "\"65001:70000\""));
        assert_eq!(e.line, 14, "{e}");
    }

    #[test]
    fn sample_configurations_parse() {
        let f = parse(include_str!("../bgp-peer.toml")).unwrap();
        assert_eq!(f.announce.len(), 2);
        let f = parse(include_str!("../unnumbered.toml")).unwrap();
        assert_eq!(f.neighbor[0].get_ref().interface.as_deref(), Some("eth0"));
        assert!(f.neighbor[0].get_ref().extended_nexthop);
    }

    #[test]
    fn identity_errors_name_their_line() {
        let e = err(&GOOD.replace("local-as = 65001", "local-as = 0"));
        assert_eq!(e.line, 2, "{e}");
        let e = err(&GOOD.replace("\"10.0.0.1\"", "\"0.0.0.0\""));
        assert_eq!(e.line, 3, "{e}");
        let e = err(&GOOD.replace("\"10.0.0.1\"", "\"router\""));
        assert_eq!(e.line, 3, "{e}");
    }

    #[test]
    fn neighbor_rules() {
        let e = err(&GOOD.replace("address = \"10.0.0.2\"", ""));
        assert!(e.reason.contains("address or an interface"), "{e}");
        assert_eq!(e.line, 5);
        let e = err(&GOOD.replace("\"10.0.0.2\"", "\"fe80::1\""));
        assert!(e.reason.contains("needs an interface"), "{e}");
        let e = err(&GOOD.replace(
            "families = [\"ipv4-unicast\", \"ipv6-unicast\"]",
            "families = [\"ipv6-unicast\"]",
        ));
        assert!(e.reason.contains("192.0.2.0/24"), "{e}");
        let e =
            err(&GOOD.replace("hold-time = 3", "hold-time = 3\nttl-security = 1\nmultihop = 2"));
        assert!(e.reason.contains("exclude"), "{e}");
    }

    /// Values the library refuses are refused here, before anything starts, with the line
    /// of the key and the library's reason.
    #[test]
    fn values_the_session_refuses_name_their_line() {
        let bad = |key_value: &str| {
            err(&GOOD.replace("hold-time = 3", &format!("hold-time = 3\n{key_value}")))
        };
        let e = bad("connect-retry = 0");
        assert_eq!(e.line, 10, "{e}");
        assert!(e.reason.contains("connect retry"), "{e}");
        let e = bad("ra-interval = 9223372036854775807");
        assert_eq!(e.line, 10, "{e}");
        assert!(e.reason.contains("router advertisement interval"), "{e}");
        let e = bad("ra-interval = 1801");
        assert!(e.reason.contains("router advertisement interval"), "{e}");
        let e = bad("password = \"\"");
        assert_eq!(e.line, 10, "{e}");
        assert!(e.reason.contains("1 to 80"), "{e}");
        let e = bad("password = \"12345678901234567890123456789012345678901234567890123456789012345678901234567890x\"");
        assert!(e.reason.contains("1 to 80"), "{e}");
        let e = bad("port = 0");
        assert_eq!(e.line, 10, "{e}");
        let e = bad("minimum-hold-time = 9");
        assert_eq!(e.line, 10, "{e}");
        assert!(e.reason.contains("minimum hold time"), "{e}");
        let e = err(&GOOD.replace("hold-time = 3", "hold-time = 2"));
        assert_eq!(e.line, 9, "{e}");
        // Good values still pass.
        parse(&GOOD.replace(
            "hold-time = 3",
            "hold-time = 3\nconnect-retry = 1\nra-interval = 1800\npassword = \"s\"",
        ))
        .unwrap();
        let f = parse(
            &GOOD
                .replace("hold-time = 3", "hold-time = 9\nkeepalive = 3\nminimum-hold-time = 9")
                .replace("keepalive = 1\n", ""),
        )
        .unwrap();
        assert_eq!(f.neighbors().unwrap()[0].0.session.min_hold_time, Some(9));
    }

    #[test]
    fn peer_oscillation_damping_is_on_unless_turned_off() {
        let f = parse(GOOD).unwrap();
        assert!(f.neighbors().unwrap()[0].0.session.damping.enabled);
        let f =
            parse(&GOOD.replace("hold-time = 3", "hold-time = 3\ndamp-peer-oscillations = false"))
                .unwrap();
        assert!(!f.neighbors().unwrap()[0].0.session.damping.enabled);
    }

    #[test]
    fn policy_errors_name_the_file_line() {
        let text = GOOD.replace(
            "router-id = \"10.0.0.1\"\n",
            "router-id = \"10.0.0.1\"\npolicy = \"\"\"\nroute-map A permit 10\n set bogus 1\n\"\"\"\n",
        );
        let e = err(&text);
        assert_eq!(e.line, 6, "{e}");
        assert!(e.reason.starts_with("policy:"), "{e}");
        let e = err(&GOOD.replace("hold-time = 3", "hold-time = 3\nimport = \"NOPE\""));
        assert!(e.reason.contains("route-map NOPE"), "{e}");
        assert_eq!(e.line, 5, "{e}");
    }

    #[test]
    fn several_neighbors_and_speaker_settings() {
        let text = GOOD
            .replace("router-id = \"10.0.0.1\"\n", "router-id = \"10.0.0.1\"\nmaximum-paths = 2\n")
            + "\n[[neighbor]]\naddress = \"10.0.1.2\"\nremote-as = 65001\nmaximum-prefix = 10\n";
        let f = parse(&text).unwrap();
        assert_eq!(f.neighbor.len(), 2);
        let s = f.speaker(&text).unwrap();
        assert_eq!(s.bestpath.maximum_paths_ebgp, 2);
        let n = f.neighbors().unwrap();
        assert_eq!(n[1].0.max_prefix.map(|m| m.limit), Some(10));
        assert!(n[1].0.session.graceful_restart.is_some());
        let e = err(&text.replace("maximum-prefix = 10", "maximum-prefix = 0"));
        assert_eq!(e.line, 18, "{e}");
    }
}
