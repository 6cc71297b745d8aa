//! Capability negotiation: what we offer, what the peer offered, and what both may use
//! (RFC 5492 and the RFC of each capability).

use bgp_wire::capability::{Capability, ExtendedNextHop, Fqdn, GracefulRestart, LongLivedGrFamily};
use bgp_wire::open::Open;
use bgp_wire::{Afi, Asn, Context, Family, FamilySet};
use core::time::Duration;
use std::net::Ipv4Addr;

use crate::config::Config;

/// Everything the two speakers agreed on, from the two OPENs.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Negotiated {
    /// The peer's AS (from the 4-octet AS capability when present, RFC 6793 §4.1).
    pub peer_as: Asn,
    /// The peer's BGP Identifier.
    pub peer_id: Ipv4Addr,
    /// iBGP: the peer's AS is ours.
    pub internal: bool,
    /// Negotiated Hold Time, seconds: the smaller of the two (RFC 4271 §4.2); 0 means no hold
    /// timer and no keepalives.
    pub hold_time: u16,
    /// Keepalive interval, seconds: a third of the hold time (RFC 4271 §10).
    pub keepalive_time: u16,
    /// Families both offered (RFC 4760 §8); a speaker that offers none is taken to offer IPv4
    /// unicast only.
    pub families: Vec<Family>,
    /// Both offered 4-octet AS numbers (RFC 6793).
    pub four_octet_as: bool,
    /// NLRI families that may carry an IPv6 next hop, both having offered
    /// `<family, IPv6>` (RFC 8950 §3).
    pub extended_next_hop: FamilySet,
    /// Families in which we receive path identifiers: we offered receive, the peer send
    /// (RFC 7911 §4).
    pub add_path_receive: FamilySet,
    /// Families in which we send path identifiers: we offered send, the peer receive.
    pub add_path_send: FamilySet,
    /// The peer's Graceful Restart capability (RFC 4724), if it sent one.
    pub graceful_restart: Option<GracefulRestart>,
    /// The families of the peer's Long-Lived Graceful Restart capability (RFC 9494 §3.1), if
    /// it sent one with a Graceful Restart capability (§4.5: "If the LLGR capability is
    /// received without an accompanying GR capability, the LLGR capability MUST be
    /// ignored").
    pub long_lived_graceful_restart: Option<Vec<LongLivedGrFamily>>,
    /// Both support ROUTE-REFRESH (RFC 2918; the peer may use the pre-standard code 128).
    pub route_refresh: bool,
    /// Both support Enhanced Route Refresh (RFC 7313).
    pub enhanced_route_refresh: bool,
    /// Both support messages up to 65535 octets (RFC 8654).
    pub extended_message: bool,
    /// The peer's hostname capability, if sent.
    pub peer_hostname: Option<Fqdn>,
    /// Every capability the peer sent, including those we do not know.
    pub peer_capabilities: Vec<Capability>,
    /// How to decode what the peer sends.
    pub rx: Context,
    /// How to encode what we send.
    pub tx: Context,
}

impl Negotiated {
    /// The negotiated hold time, or `None` when it is zero.
    pub fn hold_duration(&self) -> Option<Duration> {
        (self.hold_time != 0).then(|| Duration::from_secs(u64::from(self.hold_time)))
    }

    /// The keepalive interval, or `None` when the hold time is zero.
    pub fn keepalive_duration(&self) -> Option<Duration> {
        // RFC 4271 §4.4: with hold time 3 the interval must still be at least one second.
        (self.hold_time != 0).then(|| Duration::from_secs(u64::from(self.keepalive_time.max(1))))
    }

    /// Whether a family was negotiated (and not disabled since).
    pub fn has_family(&self, family: Family) -> bool {
        self.families.contains(&family)
    }

    /// RFC 7606 §2 "AFI/SAFI disable" (RFC 4760 §7): stop using a family for this session.
    pub(crate) fn disable_family(&mut self, family: Family) {
        self.families.retain(|f| *f != family);
    }
}

/// The capabilities we put in our OPEN, from the configuration.
pub fn local_capabilities(cfg: &Config) -> Vec<Capability> {
    let mut caps: Vec<Capability> =
        cfg.families.iter().copied().map(Capability::Multiprotocol).collect();
    if cfg.route_refresh {
        caps.push(Capability::RouteRefresh);
    }
    if cfg.enhanced_route_refresh {
        caps.push(Capability::EnhancedRouteRefresh);
    }
    if !cfg.extended_next_hop.is_empty() {
        caps.push(Capability::ExtendedNextHop(
            cfg.extended_next_hop
                .iter()
                .map(|&family| ExtendedNextHop { family, next_hop_afi: Afi::IPV6 })
                .collect(),
        ));
    }
    if cfg.extended_message {
        caps.push(Capability::ExtendedMessage);
    }
    if let Some(gr) = &cfg.graceful_restart {
        caps.push(Capability::GracefulRestart(gr.clone()));
    }
    if let Some(llgr) = &cfg.long_lived_graceful_restart {
        caps.push(Capability::LongLivedGracefulRestart(llgr.clone()));
    }
    caps.push(Capability::FourOctetAs(cfg.local_as));
    if !cfg.add_path.is_empty() {
        caps.push(Capability::AddPath(cfg.add_path.clone()));
    }
    if let Some(h) = &cfg.hostname {
        caps.push(Capability::Fqdn(h.clone()));
    }
    caps
}

/// Combines our OPEN with the peer's validated OPEN (RFC 5492 §3 and each capability's RFC).
///
/// The codec contexts come from [`bgp_wire::open::negotiate`], so that what we decode and
/// encode agrees with the codec's reading of the capabilities. In particular extended next hop
/// is directional there (RFC 8950 §4: we accept IPv6 next hops for what we advertised, we send
/// them for what the peer advertised); [`Negotiated::extended_next_hop`] is the families where
/// both advertised it.
pub fn negotiate(cfg: &Config, local: &Open, remote: &Open) -> Negotiated {
    let ours = local.negotiable_families();
    let families: Vec<Family> =
        remote.negotiable_families().iter().filter(|f| ours.contains(*f)).collect();
    let contexts = bgp_wire::open::negotiate(local, remote);
    let extended_next_hop: FamilySet = remote
        .extended_next_hop()
        .filter(|e| e.next_hop_afi == Afi::IPV6)
        .filter(|e| local.extended_next_hop().any(|o| o == *e))
        .map(|e| e.family)
        .filter(|f| families.contains(f))
        .collect();
    let peer_as = remote.asn();
    // RFC 4271 §4.2: "a BGP speaker MUST calculate the value of the Hold Timer by using the
    // smaller of its configured Hold Time and the Hold Time received in the OPEN message."
    let hold_time = local.hold_time.min(remote.hold_time);
    Negotiated {
        peer_as,
        peer_id: remote.bgp_id,
        internal: cfg.is_internal(peer_as),
        hold_time,
        // RFC 4271 §4.4: "A reasonable maximum time between KEEPALIVE messages would be one
        // third of the Hold Time interval." A configured KeepaliveTime only shortens it.
        keepalive_time: cfg.keepalive_time.map_or(hold_time / 3, |k| k.min(hold_time / 3)),
        families,
        four_octet_as: contexts.receive.four_octet_as,
        extended_next_hop,
        add_path_receive: contexts.receive.add_path.clone(),
        add_path_send: contexts.send.add_path.clone(),
        graceful_restart: remote.graceful_restart().cloned(),
        long_lived_graceful_restart: long_lived(remote),
        route_refresh: local.route_refresh() && remote.route_refresh(),
        enhanced_route_refresh: local.enhanced_route_refresh() && remote.enhanced_route_refresh(),
        extended_message: contexts.receive.extended_message,
        peer_hostname: remote.fqdn().cloned(),
        peer_capabilities: remote.capabilities().cloned().collect(),
        rx: contexts.receive,
        tx: contexts.send,
    }
}

/// The peer's LLGR families, when it sent the capability beside a GR one (RFC 9494 §4.5).
fn long_lived(remote: &Open) -> Option<Vec<LongLivedGrFamily>> {
    remote.graceful_restart()?;
    let sent = remote.capabilities().any(|c| matches!(c, Capability::LongLivedGracefulRestart(_)));
    sent.then(|| remote.long_lived_graceful_restart().copied().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Neighbor, PeerAs};
    use bgp_wire::capability::{AddPathDirection, AddPathFamily, CapabilityCode};
    use bytes::Bytes;

    fn cfg() -> Config {
        let mut c = Config::new(
            Asn(65000),
            Ipv4Addr::new(10, 0, 0, 1),
            PeerAs::External,
            Neighbor::Interface { name: "eth0".into(), ifindex: 2 },
        );
        c.families = vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST];
        c.extended_next_hop = vec![Family::IPV4_UNICAST];
        c.add_path = vec![
            AddPathFamily { family: Family::IPV4_UNICAST, direction: AddPathDirection::RECEIVE },
            AddPathFamily { family: Family::IPV6_UNICAST, direction: AddPathDirection::BOTH },
        ];
        c.hold_time = 9;
        c
    }

    fn local(c: &Config) -> Open {
        Open::new(c.local_as, c.hold_time, c.router_id, local_capabilities(c))
    }

    fn peer(asn: u32, hold: u16, caps: Vec<Capability>) -> Open {
        Open::new(Asn(asn), hold, Ipv4Addr::new(10, 0, 0, 2), caps)
    }

    #[test]
    fn no_mp_capability_means_ipv4_unicast() {
        let c = cfg();
        let n = negotiate(&c, &local(&c), &peer(65001, 90, vec![]));
        assert_eq!(n.families, vec![Family::IPV4_UNICAST]);
        assert_eq!(n.peer_as, Asn(65001));
        assert!(!n.four_octet_as);
        assert!(!n.route_refresh);
        assert_eq!((n.hold_time, n.keepalive_time), (9, 3));
        assert_eq!(n.tx, Context::legacy());
        // We still accept IPv6 next hops for what we advertised (RFC 8950 §4 is directional).
        assert!(n.rx.extended_next_hop.contains(Family::IPV4_UNICAST));
        assert!(n.extended_next_hop.is_empty());
    }

    #[test]
    fn frr_like_peer() {
        let c = cfg();
        let caps = vec![
            Capability::Multiprotocol(Family::IPV4_UNICAST),
            Capability::Multiprotocol(Family::IPV6_UNICAST),
            Capability::Multiprotocol(Family::new(Afi::L2VPN, bgp_wire::Safi::EVPN)),
            Capability::RouteRefreshCisco,
            Capability::ExtendedNextHop(vec![ExtendedNextHop {
                family: Family::IPV4_UNICAST,
                next_hop_afi: Afi::IPV6,
            }]),
            Capability::FourOctetAs(Asn(4_200_000_001)),
            Capability::AddPath(vec![
                AddPathFamily { family: Family::IPV4_UNICAST, direction: AddPathDirection::SEND },
                AddPathFamily {
                    family: Family::IPV6_UNICAST,
                    direction: AddPathDirection::RECEIVE,
                },
            ]),
            Capability::Fqdn(Fqdn::new("leaf1", "")),
            Capability::Unknown { code: CapabilityCode(200), value: Bytes::from_static(&[1]) },
        ];
        let n = negotiate(&c, &local(&c), &peer(4_200_000_001, 3, caps.clone()));
        assert_eq!(n.peer_as, Asn(4_200_000_001));
        assert!(!n.internal);
        assert_eq!(n.families, vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST]);
        assert!(n.four_octet_as && n.route_refresh && !n.extended_message);
        assert!(n.extended_next_hop.contains(Family::IPV4_UNICAST));
        assert!(n.tx.extended_next_hop.contains(Family::IPV4_UNICAST));
        assert!(n.add_path_receive.contains(Family::IPV4_UNICAST));
        assert!(!n.add_path_receive.contains(Family::IPV6_UNICAST));
        assert!(n.add_path_send.contains(Family::IPV6_UNICAST));
        assert!(!n.add_path_send.contains(Family::IPV4_UNICAST));
        assert_eq!(n.rx.add_path, n.add_path_receive);
        assert_eq!(n.tx.add_path, n.add_path_send);
        assert_eq!(n.peer_hostname.as_ref().and_then(|h| h.hostname_str()), Some("leaf1"));
        assert_eq!((n.hold_time, n.keepalive_time), (3, 1));
        assert_eq!(n.peer_capabilities, caps);
    }

    #[test]
    fn extended_next_hop_needs_both_sides() {
        let c = cfg();
        let enh = Capability::ExtendedNextHop(vec![ExtendedNextHop {
            family: Family::IPV4_UNICAST,
            next_hop_afi: Afi::IPV6,
        }]);
        let plain = peer(65001, 90, vec![Capability::Multiprotocol(Family::IPV4_UNICAST)]);
        assert!(negotiate(&c, &local(&c), &plain).extended_next_hop.is_empty());
        let with = peer(65001, 90, vec![Capability::Multiprotocol(Family::IPV4_UNICAST), enh]);
        let mut off = cfg();
        off.extended_next_hop.clear();
        assert!(negotiate(&off, &local(&off), &with).extended_next_hop.is_empty());
        assert!(!negotiate(&c, &local(&c), &with).extended_next_hop.is_empty());
    }

    #[test]
    fn configured_keepalive_only_shortens() {
        let mut c = cfg();
        c.hold_time = 90;
        c.keepalive_time = Some(10);
        let n = negotiate(&c, &local(&c), &peer(65001, 90, vec![]));
        assert_eq!((n.hold_time, n.keepalive_time), (90, 10));
        let n = negotiate(&c, &local(&c), &peer(65001, 9, vec![]));
        assert_eq!((n.hold_time, n.keepalive_time), (9, 3));
    }

    #[test]
    fn hold_time_zero_wins() {
        let c = cfg();
        let n = negotiate(&c, &local(&c), &peer(65001, 0, vec![]));
        assert_eq!(n.hold_duration(), None);
        assert_eq!(n.keepalive_duration(), None);
    }

    #[test]
    fn long_lived_graceful_restart_needs_graceful_restart() {
        let llgr = Capability::LongLivedGracefulRestart(vec![LongLivedGrFamily {
            family: Family::IPV4_UNICAST,
            flags: 0x80,
            stale_time: 3600,
        }]);
        let gr = Capability::GracefulRestart(GracefulRestart {
            restart_flags: 0,
            restart_time: 0,
            families: vec![],
        });
        let c = cfg();
        // RFC 9494 §4.5: without Graceful Restart, as though it had not been received.
        let n = negotiate(&c, &local(&c), &peer(65001, 90, vec![llgr.clone()]));
        assert_eq!(n.long_lived_graceful_restart, None);
        let n = negotiate(&c, &local(&c), &peer(65001, 90, vec![gr.clone(), llgr]));
        let v = n.long_lived_graceful_restart.expect("LLGR received with GR");
        assert_eq!((v[0].family, v[0].stale_time), (Family::IPV4_UNICAST, 3600));
        // Zero tuples: the capability is there, with no family.
        let empty = Capability::LongLivedGracefulRestart(vec![]);
        let n = negotiate(&c, &local(&c), &peer(65001, 90, vec![gr, empty]));
        assert_eq!(n.long_lived_graceful_restart, Some(vec![]));
        // What we offer follows the configuration.
        let mut c = cfg();
        c.long_lived_graceful_restart = Some(vec![]);
        assert!(local_capabilities(&c).contains(&Capability::LongLivedGracefulRestart(vec![])));
    }

    #[test]
    fn local_capabilities_follow_config() {
        let caps = local_capabilities(&cfg());
        assert!(caps.contains(&Capability::Multiprotocol(Family::IPV6_UNICAST)));
        assert!(caps.contains(&Capability::FourOctetAs(Asn(65000))));
        assert!(caps.contains(&Capability::RouteRefresh));
        assert!(caps.iter().any(|c| matches!(c, Capability::ExtendedNextHop(_))));
        assert!(!caps.contains(&Capability::ExtendedMessage));
    }
}
