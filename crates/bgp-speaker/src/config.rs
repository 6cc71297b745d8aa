//! What a speaker and each of its neighbours are configured with.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use bgp_fsm::LinkLocalStyle;
use bgp_wire::capability::{BgpRole, LongLivedGrFamily};
use bgp_wire::Asn;
use ipnet::IpNet;
use rib::policy::Policy;
use rib::{BestPathConfig, Distance, Redistribute};

/// The speaker as a whole.
#[derive(Clone, Debug)]
pub struct SpeakerConfig {
    /// Our AS.
    pub local_as: Asn,
    /// Our BGP identifier.
    pub router_id: Ipv4Addr,
    /// Route-reflection cluster id (RFC 4456); our router id when `None` and some
    /// neighbour is a client.
    pub cluster_id: Option<Ipv4Addr>,
    /// The decision process options.
    pub bestpath: BestPathConfig,
    /// Administrative distances.
    pub distance: Distance,
    /// Routing policy: the route maps neighbours and redistribution name.
    pub policy: Policy,
    /// Routes of other protocols announced as ours.
    pub redistribute: Vec<Redistribute>,
    /// Graceful restart (RFC 4724), on NOTIFICATION (RFC 8538), long-lived (RFC 9494).
    pub graceful_restart: GracefulRestartConfig,
    /// Where neighbours that are not configured may connect from (dynamic neighbours).
    pub listen_ranges: Vec<ListenRange>,
    /// Seed of the sessions' jitter and of the table's hashing.
    pub seed: u64,
    /// Whether best-path changes are reported ([`crate::Speaker::poll_route_change`]):
    /// `false` when nothing reads them, so that none is kept waiting.
    pub route_changes: bool,
    /// Whether forwarding changes are produced ([`crate::Speaker::poll_fib`]): `false`
    /// when the speaker programs no FIB.
    pub fib: bool,
}

impl SpeakerConfig {
    /// Defaults for `local_as` and `router_id`: FRR's decision process, graceful restart
    /// helper on.
    pub fn new(local_as: Asn, router_id: Ipv4Addr) -> SpeakerConfig {
        SpeakerConfig {
            local_as,
            router_id,
            cluster_id: None,
            bestpath: BestPathConfig::default(),
            distance: Distance::default(),
            policy: Policy::new(),
            redistribute: Vec::new(),
            graceful_restart: GracefulRestartConfig::default(),
            listen_ranges: Vec::new(),
            seed: 0x5eed,
            route_changes: true,
            fib: true,
        }
    }
}

/// Graceful restart (RFC 4724): as a helper for neighbours that restart, and for our own
/// restarts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GracefulRestartConfig {
    /// Keep a restarting neighbour's routes (stale) until it comes back and sends
    /// End-of-RIB, as RFC 4724 §4.2 describes. On by default, as in FRR.
    pub helper: bool,
    /// How long stale routes are kept after the neighbour came back, waiting for its
    /// End-of-RIB (FRR's `bgp graceful-restart stalepath-time`, 360 s).
    pub stale_time: Duration,
    /// We are restarting (RFC 4724 §4.1): the Restart State bit is set in our OPENs, and
    /// best-path reports and advertisements wait until every neighbour that was up has sent
    /// End-of-RIB, or `select_defer_time` passed.
    pub restarting: bool,
    /// The longest we wait for End-of-RIB when restarting (FRR's
    /// `bgp graceful-restart select-defer-time`, 360 s).
    pub select_defer_time: Duration,
    /// Graceful restart on NOTIFICATION (RFC 8538): the N bit is set in the Graceful
    /// Restart capability of every neighbour that offers one (cleared when off). On by
    /// default. Where both sides set it, a NOTIFICATION other than a Hard Reset, sent or
    /// received, or an expired hold timer, is a restart: the neighbour's routes are kept
    /// stale; and our teardowns that must flush its routes (peer de-configured,
    /// administrative shutdown, maximum-prefix) are sent as Hard Resets.
    pub notification: bool,
    /// Long-lived graceful restart (RFC 9494): the capability offered to every neighbour
    /// that does not configure its own ([`bgp_fsm::Config::long_lived_graceful_restart`]),
    /// with the families whose routes a neighbour may keep as long-lived stale when we
    /// restart and their Long-lived Stale Time. `Some(vec![])` only helps neighbours that
    /// restart. A neighbour offering it but not Graceful Restart also offers Graceful
    /// Restart with a Restart Time of 0 and no family (RFC 9494 §4.1: the LLGR capability
    /// goes with a GR one). `None` (the default) offers nothing.
    pub long_lived: Option<Vec<LongLivedGrFamily>>,
    /// RFC 9494 §4.6 (optional partial deployment): long-lived stale routes go to internal
    /// neighbours that did not offer the capability, with NO_EXPORT and a LOCAL_PREF of 0.
    /// On by default, as FRR does; off, they go only to neighbours that offered it.
    pub long_lived_to_internal: bool,
}

impl Default for GracefulRestartConfig {
    fn default() -> Self {
        GracefulRestartConfig {
            helper: true,
            stale_time: Duration::from_secs(360),
            restarting: false,
            select_defer_time: Duration::from_secs(360),
            notification: true,
            long_lived: None,
            long_lived_to_internal: true,
        }
    }
}

/// `neighbor ... maximum-prefix N [THRESHOLD] [warning-only] [restart MINUTES]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxPrefix {
    /// Most prefixes accepted (after import policy), per family; with soft
    /// reconfiguration inbound, most prefixes received (before policy).
    pub limit: u32,
    /// Percentage of the limit at which a warning is reported (FRR: 75).
    pub warn_at_percent: u8,
    /// Only warn; never tear the session down.
    pub warning_only: bool,
    /// After a teardown, start the session again after this long; `None` keeps it down
    /// until the configuration changes.
    pub restart: Option<Duration>,
}

impl MaxPrefix {
    /// A limit that tears the session down and does not restart it.
    pub fn new(limit: u32) -> MaxPrefix {
        MaxPrefix { limit, warn_at_percent: 75, warning_only: false, restart: None }
    }
}

/// One neighbour: its session, and what the speaker does with its routes.
#[derive(Clone, Debug)]
pub struct NeighborConfig {
    /// The session (address or interface, AS, timers, capabilities offered).
    pub session: bgp_fsm::Config,
    /// Import route map, by name in [`SpeakerConfig::policy`].
    pub import: Option<String>,
    /// Export route map.
    pub export: Option<String>,
    /// The neighbour is our route-reflection client (RFC 4456).
    pub rr_client: bool,
    /// `next-hop-self`: our address as next hop toward this (internal) neighbour too.
    pub next_hop_self: bool,
    /// `attribute-unchanged next-hop`: keep the next hop toward this external neighbour (a
    /// route server does).
    pub next_hop_unchanged: bool,
    /// `allowas-in N`: accept routes with our AS up to N times.
    pub allowas_in: u8,
    /// `remove-private-AS`: toward this external neighbour, drop private AS numbers from a
    /// path made only of them (FRR's default form).
    pub remove_private_as: bool,
    /// `as-override`: toward this external neighbour, replace its AS by ours in paths.
    pub as_override: bool,
    /// `ebgp-multihop`: next hops are resolved through the table rather than on the link.
    pub multihop: bool,
    /// Our BGP role on the session (RFC 9234), for the OTC rules.
    pub role: Option<BgpRole>,
    /// `maximum-prefix`.
    pub max_prefix: Option<MaxPrefix>,
    /// Our global IPv6 address, sent beside the link-local one on a link-local session
    /// (RFC 2545 §3 32-octet next hops).
    pub ipv6_global: Option<Ipv6Addr>,
    /// How a next hop of only a link-local address is written.
    pub link_local_style: LinkLocalStyle,
    /// Minimum time between two batches of UPDATEs (MRAI, RFC 4271 §9.2.1.1); 0 sends at
    /// once, as the datacenter profiles set.
    pub advertisement_interval: Duration,
    /// Which paths go to the neighbour in families where the session negotiated sending
    /// ADD-PATH (RFC 7911).
    pub add_path_send: AddPathSend,
    /// `soft-reconfiguration inbound`: keep the routes the neighbour sent as they were
    /// before import policy (its Adj-RIB-In, RFC 4271 §3.2), so that
    /// [`crate::Speaker::soft_reset_in`] applies a changed policy without asking the
    /// neighbour for its routes again. It costs 30 to 50 octets per route received (a
    /// B-tree entry) and some 500 octets per distinct attribute set (kept owned, and once
    /// more as the key that finds it), on top of the table. With
    /// [`NeighborConfig::max_prefix`] the limit counts these routes, before policy (FRR's
    /// `maximum-prefix ... force`), so it bounds them too: past it no more are kept.
    pub soft_reconfiguration_inbound: bool,
    /// `neighbor ... bfd`: the session follows a BFD session (RFC 5882 §4.3). Once it is
    /// Established the speaker asks for one ([`crate::Event::BfdWanted`]); when BFD
    /// reports the path down, [`crate::Speaker::bfd_down`] tears the session down.
    pub bfd: bool,
}

/// `neighbor ... addpath-tx-...`: the paths sent to a neighbour with ADD-PATH (RFC 7911).
///
/// Only the best path and the multipath set are offered: they are what the table reports
/// changes of. Without ADD-PATH negotiated for a family, the best path alone goes, without
/// a path identifier, whatever this says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AddPathSend {
    /// The best path only, with a path identifier when the session negotiated ADD-PATH
    /// send (the ADD-PATH capability is offered only if the session configuration does).
    #[default]
    Best,
    /// Every path of the multipath set (`maximum-paths`, best first), each with a path
    /// identifier of its own, as Junos's `add-path send multipath`: a receiver gets every
    /// next hop we forward on. The session offers ADD-PATH send for its families.
    Multipath,
}

impl NeighborConfig {
    /// An external neighbour at `addr` (`neighbor ADDR remote-as external`).
    pub fn external(local_as: Asn, router_id: Ipv4Addr, addr: std::net::IpAddr) -> NeighborConfig {
        let n = bgp_fsm::Neighbor::Address { addr, scope: None };
        NeighborConfig::new(bgp_fsm::Config::new(local_as, router_id, bgp_fsm::PeerAs::External, n))
    }

    /// An external neighbour on an interface, unnumbered (`neighbor IFNAME interface
    /// remote-as external`): its address learned from Router Advertisements, IPv4 and IPv6
    /// unicast, IPv4 routes with IPv6 next hops (RFC 8950).
    pub fn unnumbered(
        local_as: Asn,
        router_id: Ipv4Addr,
        ifname: &str,
        ifindex: u32,
    ) -> NeighborConfig {
        let n = bgp_fsm::Neighbor::Interface { name: ifname.to_owned(), ifindex };
        let mut s = bgp_fsm::Config::new(local_as, router_id, bgp_fsm::PeerAs::External, n);
        s.families = vec![bgp_wire::Family::IPV4_UNICAST, bgp_wire::Family::IPV6_UNICAST];
        s.extended_next_hop = vec![bgp_wire::Family::IPV4_UNICAST];
        NeighborConfig::new(s)
    }

    /// A neighbour with no policy and at-once advertisement.
    pub fn new(session: bgp_fsm::Config) -> NeighborConfig {
        NeighborConfig {
            session,
            import: None,
            export: None,
            rr_client: false,
            next_hop_self: false,
            next_hop_unchanged: false,
            allowas_in: 0,
            remove_private_as: false,
            as_override: false,
            multihop: false,
            role: None,
            max_prefix: None,
            ipv6_global: None,
            link_local_style: LinkLocalStyle::default(),
            advertisement_interval: Duration::ZERO,
            add_path_send: AddPathSend::Best,
            soft_reconfiguration_inbound: false,
            bfd: false,
        }
    }
}

/// Where dynamic neighbours connect from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListenSource {
    /// Any address of a prefix (FRR's `bgp listen range PREFIX peer-group NAME`).
    Prefix(IpNet),
    /// Any IPv6 link-local address on an interface: every router of a shared link peers
    /// with us, each as its own neighbour.
    Interface {
        /// Interface name.
        name: String,
        /// Interface index (the scope id of its link-local addresses).
        ifindex: u32,
    },
}

impl ListenSource {
    /// Whether a connection from `remote`, arrived on `ifindex`, comes from here.
    pub fn matches(&self, remote: std::net::IpAddr, ifindex: Option<u32>) -> bool {
        match self {
            ListenSource::Prefix(p) => p.contains(&remote),
            ListenSource::Interface { ifindex: i, .. } => {
                matches!(remote, std::net::IpAddr::V6(a) if a.segments()[0] & 0xffc0 == 0xfe80)
                    && ifindex == Some(*i)
            }
        }
    }
}

/// Dynamic neighbours: a connection from an address that no configured neighbour has,
/// coming from `source`, makes a neighbour from `template` (passive, its address the
/// connection's); the neighbour goes when its session ends, or when the stale routes that
/// graceful restart kept for it go.
#[derive(Clone, Debug)]
pub struct ListenRange {
    /// Where the neighbours connect from.
    pub source: ListenSource,
    /// The neighbours' configuration, a peer group: remote AS rule (`PeerAs::External`,
    /// `Internal` or a number), timers, capabilities, policies. Its `session.neighbor` is
    /// replaced by the connection's address and `session.passive` set.
    pub template: NeighborConfig,
    /// Most neighbours at once from this range (FRR's `bgp listen limit`); connections
    /// beyond are refused.
    pub limit: u32,
}

impl ListenRange {
    /// External neighbours (`remote-as external`) from `prefix`, at most `limit`.
    pub fn external(local_as: Asn, router_id: Ipv4Addr, prefix: IpNet, limit: u32) -> ListenRange {
        let any = std::net::IpAddr::V4(Ipv4Addr::UNSPECIFIED);
        let template = NeighborConfig::external(local_as, router_id, any);
        ListenRange { source: ListenSource::Prefix(prefix), template, limit }
    }
}

/// A configuration that cannot work.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The session's own checks.
    #[error("neighbor: {0}")]
    Session(#[from] bgp_fsm::ConfigError),
    /// A route map named by a neighbour or redistribution is not in the policy.
    #[error("route-map {0} is not defined")]
    UnknownRouteMap(String),
    /// The neighbour's session says another AS or router id than the speaker.
    #[error("neighbor's local AS {0} or router id differs from the speaker's")]
    LocalIdentity(Asn),
    /// The same neighbour twice.
    #[error("neighbor {0} is already configured")]
    Duplicate(String),
    /// A maximum-prefix limit of 0, or a warning threshold above 100%.
    #[error("maximum-prefix {0}: the limit must be at least 1 and the threshold at most 100")]
    MaxPrefix(u32),
    /// An interval of the speaker's own beyond [`MAX_INTERVAL`]: the advertisement interval,
    /// the maximum-prefix restart time, the graceful-restart selection deferral.
    #[error("{0}: {1:?} is longer than the {max:?} allowed", max = MAX_INTERVAL)]
    Interval(&'static str, Duration),
}

/// The longest interval the speaker takes (the longest a BGP timer can say: 65,535 s),
/// so that no deadline computed from one can leave the clock's range.
pub const MAX_INTERVAL: Duration = Duration::from_secs(65_535);
