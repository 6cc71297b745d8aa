//! Identifiers (router and area IDs, from `ospf-wire`) and the protocol
//! constants of RFC 2328 appendix B.

use std::time::Duration;

pub use ospf_wire::{AreaId, RouterId};

/// Architectural constants (RFC 2328 appendix B).
pub mod consts {
    use super::Duration;

    /// LSRefreshTime: "The maximum time between distinct originations of any
    /// particular LSA", 30 minutes.
    pub const LS_REFRESH_TIME: u16 = 1800;
    /// MinLSInterval: "The minimum time between distinct originations of any
    /// particular LSA", 5 seconds.
    pub const MIN_LS_INTERVAL: Duration = Duration::from_secs(5);
    /// MinLSArrival: "For any particular LSA, the minimum time that must
    /// elapse between reception of new LSA instances during flooding", 1 s.
    pub const MIN_LS_ARRIVAL: Duration = Duration::from_secs(1);
    /// MaxAge: "The maximum age that an LSA can attain", 1 hour.
    pub const MAX_AGE: u16 = 3600;
    /// MaxAgeDiff: "The maximum time dispersion that can occur, as an LSA is
    /// flooded throughout the AS", 15 minutes.
    pub const MAX_AGE_DIFF: u16 = 900;
    /// LSInfinity: "The metric value indicating that the destination
    /// described by an LSA is unreachable", 0xffffff.
    pub const LS_INFINITY: u32 = 0x00ff_ffff;
    /// The IP multicast address AllSPFRouters, 224.0.0.5.
    pub const ALL_SPF_ROUTERS: std::net::Ipv4Addr = std::net::Ipv4Addr::new(224, 0, 0, 5);
    /// The IP multicast address AllDRouters, 224.0.0.6.
    pub const ALL_D_ROUTERS: std::net::Ipv4Addr = std::net::Ipv4Addr::new(224, 0, 0, 6);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_quads() {
        assert_eq!(RouterId(0x0a00_0001).to_string(), "10.0.0.1");
        assert_eq!(AreaId(2).to_string(), "0.0.0.2");
        assert!(AreaId::BACKBONE.is_backbone());
        assert!(!AreaId(2).is_backbone());
    }
}
