//! The vocabulary every protocol shares: routes, next hops, route changes.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;

/// The protocol that computed a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Protocol {
    /// A directly connected network.
    Connected,
    /// A static route from configuration.
    Static,
    /// A route found in the kernel table that no protocol of ours owns.
    Kernel,
    /// OSPF version 2 (RFC 2328).
    Ospfv2,
    /// OSPF version 3 (RFC 5340).
    Ospfv3,
    /// BGP-4 (RFC 4271).
    Bgp,
}

impl fmt::Display for Protocol {
    /// The names FRR uses (`show ip route`, `match source-protocol`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protocol::Connected => "connected",
            Protocol::Static => "static",
            Protocol::Kernel => "kernel",
            Protocol::Ospfv2 => "ospf",
            Protocol::Ospfv3 => "ospf6",
            Protocol::Bgp => "bgp",
        })
    }
}

/// How a protocol reached a destination; ordered from most to least preferred
/// within OSPF (RFC 2328 §11: intra-area, inter-area, type 1 external, type 2
/// external).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum PathType {
    /// A destination inside one of the router's own areas.
    IntraArea,
    /// A destination in another area, reached through an area border router.
    InterArea,
    /// An external destination with a type 1 metric (comparable to link costs).
    Type1External,
    /// An external destination with a type 2 metric (larger than any link cost).
    Type2External,
    /// A route from a protocol that has no path types (static, connected, ...).
    Other,
}

impl fmt::Display for PathType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PathType::IntraArea => "Intra-Area",
            PathType::InterArea => "Inter-Area",
            PathType::Type1External => "Type 1 ext",
            PathType::Type2External => "Type 2 ext",
            PathType::Other => "Other",
        })
    }
}

/// One way out towards a destination.
///
/// A next hop on a point-to-point link may have no address (`addr: None`,
/// only the interface); a directly connected network has no address either.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct NextHop {
    /// Address of the neighbouring router, when it has one.
    pub addr: Option<IpAddr>,
    /// Index of the outgoing interface, when known.
    pub ifindex: Option<u32>,
}

impl NextHop {
    /// A next hop through neighbour `addr` out of interface `ifindex`.
    #[must_use]
    pub fn via(addr: IpAddr, ifindex: u32) -> Self {
        Self { addr: Some(addr), ifindex: Some(ifindex) }
    }

    /// A destination reached directly on interface `ifindex`.
    #[must_use]
    pub fn direct(ifindex: u32) -> Self {
        Self { addr: None, ifindex: Some(ifindex) }
    }
}

impl fmt::Display for NextHop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.addr, self.ifindex) {
            (Some(a), Some(i)) => write!(f, "{a}%{i}"),
            (Some(a), None) => write!(f, "{a}"),
            (None, Some(i)) => write!(f, "direct%{i}"),
            (None, None) => f.write_str("direct"),
        }
    }
}

/// What a route does with the packets it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum RouteKind {
    /// Forwards through its next hops.
    #[default]
    Unicast,
    /// Drops them silently (a `blackhole` static route).
    Blackhole,
    /// Drops them and answers with ICMP unreachable (a `reject` static route, such as the
    /// covering aggregate of pod CIDRs that prevents forwarding loops).
    Reject,
}

impl fmt::Display for RouteKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RouteKind::Unicast => "unicast",
            RouteKind::Blackhole => "blackhole",
            RouteKind::Reject => "reject",
        })
    }
}

/// A route to a prefix as computed by one protocol.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Route {
    /// The destination.
    pub prefix: IpNet,
    /// Who computed it.
    pub protocol: Protocol,
    /// How the protocol reached it.
    pub path_type: PathType,
    /// The cost (for a type 2 external route: the cost to the forwarding
    /// address or the AS boundary router).
    pub metric: u32,
    /// The type 2 external cost, only for [`PathType::Type2External`].
    pub type2_cost: Option<u32>,
    /// Equal-cost next hops, sorted and without duplicates.
    pub next_hops: Vec<NextHop>,
    /// A route tag (OSPF external route tag, BGP has none here).
    pub tag: Option<u32>,
    /// What the route does with packets.
    pub kind: RouteKind,
}

impl Route {
    /// Sorts and deduplicates the next hops so that two routes computed in a
    /// different order compare equal.
    pub fn normalize(&mut self) {
        self.next_hops.sort_unstable();
        self.next_hops.dedup();
    }
}

/// A change to a protocol's routing table, as a diff.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum RouteChange {
    /// A prefix gained a route.
    Add(Route),
    /// The route to a prefix changed (cost, path type or next hops); the new
    /// route replaces the old one entirely.
    Replace(Route),
    /// The prefix lost its route; the route is the one that was removed.
    Delete(Route),
}

impl RouteChange {
    /// The route carried by the change.
    #[must_use]
    pub fn route(&self) -> &Route {
        match self {
            RouteChange::Add(r) | RouteChange::Replace(r) | RouteChange::Delete(r) => r,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn normalize_sorts_and_dedups_next_hops() {
        let a = NextHop::via(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 2);
        let b = NextHop::via(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 1);
        let mut r = Route {
            prefix: "10.1.0.0/16".parse().unwrap_or_else(|_| unreachable!()),
            protocol: Protocol::Ospfv2,
            path_type: PathType::IntraArea,
            metric: 10,
            type2_cost: None,
            next_hops: vec![a, b, a],
            tag: None,
            kind: RouteKind::Unicast,
        };
        r.normalize();
        assert_eq!(r.next_hops, vec![b, a]);
        assert_eq!(RouteChange::Delete(r.clone()).route(), &r);
    }

    #[test]
    fn path_types_order_as_rfc_2328_prefers_them() {
        assert!(PathType::IntraArea < PathType::InterArea);
        assert!(PathType::InterArea < PathType::Type1External);
        assert!(PathType::Type1External < PathType::Type2External);
        assert_eq!(PathType::Type2External.to_string(), "Type 2 ext");
    }

    #[test]
    fn next_hop_display() {
        let v = NextHop::via(IpAddr::V4(Ipv4Addr::new(192, 168, 2, 65)), 3);
        assert_eq!(v.to_string(), "192.168.2.65%3");
        assert_eq!(NextHop::direct(4).to_string(), "direct%4");
    }
}
