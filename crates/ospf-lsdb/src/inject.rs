//! Synthetic topologies, for test labs, simulations and benchmarks: routers
//! that exist only as LSAs, handed to real neighbours by the engine's own
//! database exchange and flooding.
//!
//! Two commands, not meant for a router in service:
//!
//! - [`Instance::inject_lsa`] takes an LSA "originated" by another router
//!   and treats it as if it had arrived in a Link State Update (RFC 2328
//!   §13 step 5): flooded out of the interfaces of its scope, then
//!   installed. From then on it is an ordinary database entry: described in
//!   Database Description packets (§10.8) to neighbours that come up later,
//!   sent in answer to their requests, retransmitted until acknowledged,
//!   aged, and part of our own SPF. A newer instance injected later
//!   replaces it and is flooded the same way, which is how a benchmark
//!   makes a neighbour run SPF again.
//! - [`Instance::set_synthetic_links`] adds point-to-point links to our own
//!   router-LSA toward routers that exist only as injected LSAs. §16.1
//!   step 2(b) uses a link only when the other end links back: "If the LSA
//!   does not exist, or its LS age is equal to MaxAge, or it does not have a
//!   link back to vertex V, examine the next link in V's LSA". A neighbour
//!   computing routes through us into the synthetic area needs both
//!   directions, ours included; the injected router-LSAs carry the other.
//!
//! The synthetic routers never speak: nothing refreshes their LSAs but new
//! injections, so they reach MaxAge (one hour) unless a newer instance is
//! injected before then (the originator's duty of §12.4, LSRefreshTime).
//! Routes that our own SPF computes through a synthetic link have next hops
//! with no interface of ours: they lead nowhere real.

use std::cmp::Ordering;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Instant;

use thiserror::Error;

use crate::instance::Instance;
use crate::lsa::{is_as_scope, link, Lsa, LsaExt, LsaKey, RouterLink, RouterLinkType};
use crate::types::{consts, AreaId, RouterId};
use crate::version::Scope;

/// A point-to-point link of our router-LSA to a router that exists only in
/// injected LSAs (see [`Instance::set_synthetic_links`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntheticLink {
    /// The Router ID of the synthetic neighbour (the link's Link ID).
    pub neighbor: RouterId,
    /// The Link Data: "For numbered point-to-point networks, the Link Data
    /// should specify the IP interface address" (RFC 2328 §12.4.1.1). It
    /// names no interface of ours.
    pub link_data: Ipv4Addr,
    /// The link's cost, 1 to 65535.
    pub cost: u16,
}

impl SyntheticLink {
    /// The link as it appears in the router-LSA: type 1, TOS 0 metric only.
    #[must_use]
    pub fn router_link(&self) -> RouterLink {
        link(RouterLinkType::POINT_TO_POINT, self.neighbor.0, u32::from(self.link_data), self.cost)
    }
}

/// Why an LSA or a synthetic link was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum InjectError {
    /// The instance has no such area.
    #[error("no area {0}")]
    UnknownArea(AreaId),
    /// The LSA's checksum does not match its contents (RFC 2328 §13 step 1).
    #[error("LS checksum of {0:?} does not match")]
    Checksum(LsaKey),
    /// A type the engine does not know, or one with link-local scope.
    #[error("LS type {0} cannot be injected into an area")]
    Type(u8),
    /// The LSA would be ours (§13.4): the engine originates those itself.
    #[error("{0:?} is self-originated")]
    SelfOriginated(LsaKey),
    /// The databases hold `Config::max_lsas` LSAs already.
    #[error("the databases are full ({limit} LSAs)")]
    DatabaseFull {
        /// The configured limit.
        limit: usize,
    },
    /// A synthetic link with cost 0, or one to our own Router ID.
    #[error("synthetic link to {0}: {1}")]
    Link(RouterId, &'static str),
}

impl Instance {
    /// Installs `lsa`, originated by some other (possibly synthetic) router,
    /// into the database of `area` as if it had been received, and floods
    /// it to every neighbour of the area in state Exchange or above. For
    /// test topologies and benchmarks only.
    ///
    /// As RFC 2328 §13 step 5 does for a received LSA "more recent than the
    /// database copy": "(b) ... immediately flood the new LSA out some
    /// subset of the router's interfaces (see Section 13.3)", "(c) Remove
    /// the current database copy from all neighbors' Link state
    /// retransmission lists", "(d) Install the new LSA in the link state
    /// database"; there is no sender to acknowledge. AS-external-LSAs (and
    /// type 11 opaque LSAs) go to the AS-scope database whatever `area` is.
    ///
    /// Returns whether the LSA was installed: `false` when the database
    /// holds the same or a more recent instance (§13.1), or when the LSA is
    /// at MaxAge and no instance is held (§13 step 4).
    ///
    /// # Errors
    ///
    /// [`InjectError`]: an unknown area, a bad checksum, a type with no
    /// area or AS scope, one of our own LSAs, or full databases.
    pub fn inject_lsa(
        &mut self,
        now: Instant,
        area: AreaId,
        lsa: Lsa,
    ) -> Result<bool, InjectError> {
        let key = lsa.key();
        // Link-local opaque LSAs (type 9) belong to one link, not an area.
        if !matches!(key.ls_type.0, 1..=5 | 7 | 10 | 11) {
            return Err(InjectError::Type(key.ls_type.0));
        }
        let scope = if is_as_scope(key.ls_type) { Scope::As } else { Scope::Area(area) };
        if scope != Scope::As && !self.areas.contains_key(&area) {
            return Err(InjectError::UnknownArea(area));
        }
        if !lsa.checksum_ok() {
            return Err(InjectError::Checksum(key));
        }
        if self.is_self_originated(&key) {
            return Err(InjectError::SelfOriginated(key));
        }
        let held = self.db(scope).and_then(|db| db.get(&key)).map(|e| {
            let mut h = *e.lsa.header();
            h.ls_age = e.age(now);
            h
        });
        let newer = match &held {
            None => lsa.age() < consts::MAX_AGE,
            Some(h) => lsa.header().compare_recency(h) == Ordering::Greater,
        };
        if !newer || self.shut_down {
            return Ok(false);
        }
        if held.is_none() && self.lsdb_total() >= self.cfg.max_lsas {
            return Err(InjectError::DatabaseFull { limit: self.cfg.max_lsas });
        }
        let lsa = Arc::new(lsa);
        // Step 5(c) before 5(b): the retransmission lists are keyed by LSA,
        // and flooding puts the new instance on them.
        self.remove_from_rxmt_lists(&key);
        self.flood(now, scope, &lsa, None);
        self.install(now, scope, lsa);
        Ok(true)
    }

    /// Replaces the synthetic point-to-point links of our router-LSA for
    /// `area` (an empty list removes them); the router-LSA is originated
    /// again at once, or after MinLSInterval (§12.4) when the last instance
    /// is more recent than that. For test topologies and benchmarks only.
    ///
    /// The links are appended to those of our interfaces, as §12.4.1.1
    /// writes a Type 1 link for each fully adjacent point-to-point
    /// neighbour: "The Link ID should be set to the Router ID of the
    /// neighboring router ... The cost should be set to the output cost of
    /// the point-to-point interface." They appear while the area has an
    /// interface up (an area with none has no router-LSA of ours).
    ///
    /// # Errors
    ///
    /// [`InjectError::UnknownArea`]; [`InjectError::Link`] for a cost of 0
    /// or a link to our own Router ID.
    pub fn set_synthetic_links(
        &mut self,
        now: Instant,
        area: AreaId,
        links: Vec<SyntheticLink>,
    ) -> Result<(), InjectError> {
        if !self.areas.contains_key(&area) {
            return Err(InjectError::UnknownArea(area));
        }
        if let Some(l) = links.iter().find(|l| l.cost == 0) {
            return Err(InjectError::Link(l.neighbor, "cost must be 1 to 65535"));
        }
        if let Some(l) = links.iter().find(|l| l.neighbor == self.cfg.router_id) {
            return Err(InjectError::Link(l.neighbor, "our own Router ID"));
        }
        if links.is_empty() {
            self.synthetic_links.remove(&area);
        } else {
            self.synthetic_links.insert(area, links);
        }
        self.originate(now);
        Ok(())
    }

    /// The synthetic links of our router-LSA for `area`.
    #[must_use]
    pub fn synthetic_links(&self, area: AreaId) -> &[SyntheticLink] {
        self.synthetic_links.get(&area).map_or(&[], Vec::as_slice)
    }

    /// The synthetic links of `area` as router-LSA links (for origination).
    pub(crate) fn synthetic_router_links(
        &self,
        area: AreaId,
    ) -> impl Iterator<Item = RouterLink> + '_ {
        self.synthetic_links(area).iter().map(SyntheticLink::router_link)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::lsa::{build, key, LsSeqNum, LsType, LsaBody, Options, RouterFlags, RouterLsa};
    use crate::neighbor::NbrState;
    use crate::packet::{self, Auth, Body, Hello};
    use crate::{Config, InterfaceConfig, NetworkType, Transmit};

    const ME: RouterId = RouterId(0x0a00_0001);
    const PEER: RouterId = RouterId(0x0a00_0002);
    const SYNTH: RouterId = RouterId(0x0100_0001);

    fn setup() -> (Instance, Instant) {
        let mut cfg = Config::new(ME);
        let mut i = InterfaceConfig::new(1, "eth0", AreaId(0));
        i.network = NetworkType::PointToPoint;
        cfg.interfaces.push(i);
        let mut inst = Instance::new(cfg);
        let t0 = Instant::now();
        inst.handle_interface_address(t0, 1, "10.0.0.1/30".parse().ok());
        inst.handle_interface_up(t0, 1, 1500);
        (inst, t0)
    }

    fn synth_lsa(seq: i32, back: RouterId, stub_cost: u16) -> Lsa {
        let links = vec![
            link(RouterLinkType::POINT_TO_POINT, back.0, 0x0afe_0002, 1),
            link(RouterLinkType::STUB, 0xac10_0000, 0xffff_ff00, stub_cost),
        ];
        build(
            0,
            Options::E,
            key(LsType::ROUTER, SYNTH.0, SYNTH),
            LsSeqNum(seq),
            LsaBody::Router(RouterLsa { flags: RouterFlags(0), reserved: 0, links }),
        )
    }

    fn drain(inst: &mut Instance) -> Vec<Transmit> {
        std::iter::from_fn(|| inst.poll_transmit()).collect()
    }

    fn held_seq(inst: &Instance, k: &LsaKey) -> Option<i32> {
        inst.area_lsdb(AreaId(0))
            .and_then(|d| d.get(k))
            .map(|e| e.lsa.header().ls_sequence_number.0)
    }

    /// The LSAs of the Link State Updates in `ts`.
    fn updates(ts: &[Transmit]) -> Vec<Lsa> {
        ts.iter()
            .filter_map(|t| packet::decode(&t.bytes, &Auth::Null).ok())
            .filter_map(|(_, b)| match b {
                Body::LinkStateUpdate(u) => Some(u.lsas),
                _ => None,
            })
            .flatten()
            .collect()
    }

    /// Brings PEER to Full on interface 1 (we are slave to its higher ID).
    fn full_neighbor(inst: &mut Instance, now: Instant) {
        let hello = Body::Hello(Hello {
            network_mask: Ipv4Addr::UNSPECIFIED,
            hello_interval: 10,
            options: Options::E,
            router_priority: 1,
            router_dead_interval: 40,
            designated_router: Ipv4Addr::UNSPECIFIED,
            backup_designated_router: Ipv4Addr::UNSPECIFIED,
            neighbors: vec![ME],
        });
        let src = Ipv4Addr::new(10, 0, 0, 2);
        let bytes = packet::encode(PEER, AreaId(0), &hello, &Auth::Null, 0);
        inst.handle_packet(now, 1, src, consts::ALL_SPF_ROUTERS, &bytes);
        for (flags, seq) in [(0x07, 100), (0x01, 101)] {
            let dd = Body::DatabaseDescription(crate::packet::DatabaseDescription {
                interface_mtu: 1500,
                options: Options::E,
                flags: crate::packet::DdFlags(flags),
                dd_sequence_number: seq,
                lsa_headers: vec![],
            });
            let bytes = packet::encode(PEER, AreaId(0), &dd, &Auth::Null, 0);
            inst.handle_packet(now, 1, src, Ipv4Addr::new(10, 0, 0, 1), &bytes);
        }
        assert_eq!(inst.neighbors(1)[0].2, NbrState::Full);
    }

    #[test]
    fn injected_lsa_is_installed_flooded_and_replaced_only_by_newer() {
        let (mut inst, t0) = setup();
        full_neighbor(&mut inst, t0);
        drain(&mut inst);
        let k = key(LsType::ROUTER, SYNTH.0, SYNTH);
        assert_eq!(inst.inject_lsa(t0, AreaId(0), synth_lsa(LsSeqNum::INITIAL.0, ME, 1)), Ok(true));
        assert_eq!(held_seq(&inst, &k), Some(LsSeqNum::INITIAL.0));
        let sent = updates(&drain(&mut inst));
        assert_eq!(sent.iter().map(LsaExt::key).collect::<Vec<_>>(), vec![k]);
        // The same instance again, or an older one: nothing happens.
        assert_eq!(
            inst.inject_lsa(t0, AreaId(0), synth_lsa(LsSeqNum::INITIAL.0, ME, 1)),
            Ok(false)
        );
        assert_eq!(
            inst.inject_lsa(t0, AreaId(0), synth_lsa(LsSeqNum::INITIAL.0 - 1, ME, 1)),
            Ok(false)
        );
        assert!(updates(&drain(&mut inst)).is_empty());
        // A newer instance replaces it and is flooded.
        let t1 = t0 + Duration::from_secs(3);
        assert_eq!(
            inst.inject_lsa(t1, AreaId(0), synth_lsa(LsSeqNum::INITIAL.0 + 1, ME, 2)),
            Ok(true)
        );
        assert_eq!(held_seq(&inst, &k), Some(LsSeqNum::INITIAL.0 + 1));
        let sent = updates(&drain(&mut inst));
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].header().ls_sequence_number, LsSeqNum(LsSeqNum::INITIAL.0 + 1));
        // Unacknowledged, it is sent again after RxmtInterval (§13.6).
        inst.handle_timeout(t1 + Duration::from_secs(5));
        let again = updates(&drain(&mut inst));
        assert!(again.iter().any(|l| l.key() == k), "{again:?}");
    }

    #[test]
    fn refusals() {
        let (mut inst, t0) = setup();
        let lsa = synth_lsa(LsSeqNum::INITIAL.0, ME, 1);
        assert_eq!(
            inst.inject_lsa(t0, AreaId(7), lsa.clone()),
            Err(InjectError::UnknownArea(AreaId(7)))
        );
        // Our own router-LSA is the engine's to originate.
        let own = build(
            0,
            Options::E,
            key(LsType::ROUTER, ME.0, ME),
            LsSeqNum(LsSeqNum::INITIAL.0 + 5),
            LsaBody::Router(RouterLsa::default()),
        );
        assert!(matches!(inst.inject_lsa(t0, AreaId(0), own), Err(InjectError::SelfOriginated(_))));
        // A MaxAge LSA we do not hold is not installed.
        let dead = lsa.with_age(consts::MAX_AGE);
        assert_eq!(inst.inject_lsa(t0, AreaId(0), dead), Ok(false));
        // A full database refuses new keys.
        inst.cfg.max_lsas = inst.lsdb_total();
        assert_eq!(
            inst.inject_lsa(t0, AreaId(0), lsa),
            Err(InjectError::DatabaseFull { limit: inst.cfg.max_lsas })
        );
        let zero = SyntheticLink { neighbor: SYNTH, link_data: Ipv4Addr::UNSPECIFIED, cost: 0 };
        assert!(matches!(
            inst.set_synthetic_links(t0, AreaId(0), vec![zero]),
            Err(InjectError::Link(..))
        ));
        let me = SyntheticLink { neighbor: ME, link_data: Ipv4Addr::UNSPECIFIED, cost: 1 };
        assert!(matches!(
            inst.set_synthetic_links(t0, AreaId(0), vec![me]),
            Err(InjectError::Link(..))
        ));
        assert!(inst.synthetic_links(AreaId(0)).is_empty());
    }

    #[test]
    fn synthetic_links_join_our_router_lsa_and_the_spf() {
        let (mut inst, t0) = setup();
        let l = SyntheticLink { neighbor: SYNTH, link_data: Ipv4Addr::new(10, 254, 0, 1), cost: 7 };
        assert_eq!(inst.set_synthetic_links(t0, AreaId(0), vec![l]), Ok(()));
        assert_eq!(inst.synthetic_links(AreaId(0)), &[l]);
        let own = key(LsType::ROUTER, ME.0, ME);
        let links = |inst: &Instance| match inst
            .area_lsdb(AreaId(0))
            .and_then(|d| d.get(&own))
            .map(|e| e.lsa.body().clone())
        {
            Some(LsaBody::Router(r)) => r.links,
            other => panic!("no router-LSA: {other:?}"),
        };
        // The interface came up at t0: the new instance waits MinLSInterval.
        let mut t = t0;
        while t < t0 + Duration::from_secs(6) {
            t = inst.poll_timeout().map_or(t0 + Duration::from_secs(6), |d| d.max(t));
            inst.handle_timeout(t);
            drain(&mut inst);
        }
        assert!(links(&inst).contains(&l.router_link()), "{:?}", links(&inst));
        // The synthetic router links back: its stub is reached at 7 + 4.
        assert_eq!(inst.inject_lsa(t, AreaId(0), synth_lsa(LsSeqNum::INITIAL.0, ME, 4)), Ok(true));
        let t = t + Duration::from_secs(2);
        inst.handle_timeout(t);
        let r = inst.routes().find(|r| r.prefix.to_string() == "172.16.0.0/24").cloned();
        assert_eq!(r.map(|r| r.metric), Some(11));
        // Removing the links takes them out again (after MinLSInterval).
        assert_eq!(inst.set_synthetic_links(t, AreaId(0), Vec::new()), Ok(()));
        let end = t + Duration::from_secs(10);
        let mut t = t;
        while t < end {
            t = inst.poll_timeout().map_or(end, |d| d.max(t)).min(end);
            inst.handle_timeout(t);
            drain(&mut inst);
        }
        assert!(!links(&inst).contains(&l.router_link()));
        assert!(inst.routes().all(|r| r.prefix.to_string() != "172.16.0.0/24"));
    }
}
