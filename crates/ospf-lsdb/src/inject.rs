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
//! Both are written once for [`OspfInstance<V>`] of either version. In
//! OSPFv3 (RFC 5340) a point-to-point interface of a router-LSA names both
//! ends by Interface ID ([`InterfaceIds`]), and the link back that the
//! two-way check of §4.8.1 looks for in W's router-LSA is the one that
//! names V, with V's Interface ID as its Neighbor Interface ID and V's
//! Neighbor Interface ID as its own; the synthetic routers' prefixes are in
//! intra-area-prefix-LSAs that reference their router-LSAs (§4.4.3.9).
//!
//! The synthetic routers never speak: nothing refreshes their LSAs but new
//! injections, so they reach MaxAge (one hour) unless a newer instance is
//! injected before then (the originator's duty of §12.4, LSRefreshTime).
//! Routes that our own SPF computes through a synthetic link have next hops
//! with no interface of ours: they lead nowhere real.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Instant;

use ospf_wire::v3;
use thiserror::Error;

use crate::instance::OspfInstance;
use crate::lsa::{link, LsaKey, RouterLink, RouterLinkType};
use crate::types::{consts, AreaId, RouterId};
use crate::version::{Header, Key, KeyOf, Scope, ScopeKind, Version, WireLsa};
use crate::{V2, V3};

#[cfg(doc)]
use crate::Instance;

/// The two ends of an OSPFv3 point-to-point interface in a router-LSA
/// (RFC 5340 A.4.3): the Interface ID of the interface described, and the
/// Neighbor Interface ID, the one the neighbour sends in its Hellos on the
/// link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InterfaceIds {
    /// Our Interface ID of the link. It must not be that of one of our
    /// interfaces (their ifindexes).
    pub interface_id: u32,
    /// The synthetic neighbour's Interface ID of the link: its router-LSA
    /// must describe the link with this Interface ID and ours as its
    /// Neighbor Interface ID.
    pub neighbor_interface_id: u32,
}

/// A point-to-point link of our router-LSA to a router that exists only in
/// injected LSAs (see [`Instance::set_synthetic_links`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntheticLink<V: Version = V2> {
    /// The Router ID of the synthetic neighbour (the link's Link ID).
    pub neighbor: RouterId,
    /// How the router-LSA names the link's ends. OSPFv2: the Link Data,
    /// "For numbered point-to-point networks, the Link Data should specify
    /// the IP interface address" (RFC 2328 §12.4.1.1); it names no
    /// interface of ours. OSPFv3: both Interface IDs ([`InterfaceIds`]).
    pub ends: V::LinkEnds,
    /// The link's cost, 1 to 65535.
    pub cost: u16,
}

impl SyntheticLink<V2> {
    /// The link as it appears in the router-LSA: type 1, TOS 0 metric only.
    #[must_use]
    pub fn router_link(&self) -> RouterLink {
        link(RouterLinkType::POINT_TO_POINT, self.neighbor.0, u32::from(self.ends), self.cost)
    }
}

impl SyntheticLink<V3> {
    /// The link as it appears in the router-LSA: a type 1 interface.
    #[must_use]
    pub fn router_interface(&self) -> v3::RouterInterface {
        v3::RouterInterface {
            link_type: v3::RouterLinkType::POINT_TO_POINT,
            metric: self.cost,
            interface_id: self.ends.interface_id,
            neighbor_interface_id: self.ends.neighbor_interface_id,
            neighbor_router_id: self.neighbor,
        }
    }
}

/// Why an LSA or a synthetic link was refused; `K` is the version's LSA
/// key ([`LsaKey`] for OSPFv2, [`v3::LsaKey`] for OSPFv3).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum InjectError<K: Debug = LsaKey> {
    /// The instance has no such area.
    #[error("no area {0}")]
    UnknownArea(AreaId),
    /// The LSA's checksum does not match its contents (RFC 2328 §13 step 1).
    #[error("LS checksum of {0:?} does not match")]
    Checksum(K),
    /// A type the engine does not keep, or one with link-local scope.
    #[error("LS type {0:#x} cannot be injected into an area")]
    Type(u16),
    /// The LSA would be ours (§13.4): the engine originates those itself.
    #[error("{0:?} is self-originated")]
    SelfOriginated(K),
    /// The databases hold `Config::max_lsas` LSAs already.
    #[error("the databases are full ({limit} LSAs)")]
    DatabaseFull {
        /// The configured limit.
        limit: usize,
    },
    /// A synthetic link with cost 0, to our own Router ID, or (OSPFv3)
    /// with the Interface ID of one of our interfaces.
    #[error("synthetic link to {0}: {1}")]
    Link(RouterId, &'static str),
}

impl<V: Version> OspfInstance<V> {
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
    /// database"; there is no sender to acknowledge. LSAs of AS flooding
    /// scope (AS-external-LSAs, OSPFv2 type 11 opaque LSAs) go to the
    /// AS-scope database whatever `area` is.
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
        lsa: V::Lsa,
    ) -> Result<bool, InjectError<KeyOf<V>>> {
        let key = lsa.hdr().key();
        // Link-scope LSAs (OSPFv3 link-LSAs, OSPFv2 type 9 opaque LSAs,
        // RFC 5250 §3) belong to one link, not an area.
        let link_opaque = V::NUMBER == 2 && key.type_code() == 9;
        let scope = match V::scope_of(&key) {
            Some(ScopeKind::As) => Scope::As,
            Some(ScopeKind::Area) if !link_opaque => Scope::Area(area),
            _ => return Err(InjectError::Type(key.type_code())),
        };
        if scope != Scope::As && !self.areas.contains_key(&area) {
            return Err(InjectError::UnknownArea(area));
        }
        if !lsa.checksum_valid() {
            return Err(InjectError::Checksum(key));
        }
        if self.is_self_originated(&key) {
            return Err(InjectError::SelfOriginated(key));
        }
        let held = self.db(scope).and_then(|db| db.get(&key)).map(|e| {
            let mut h = *e.lsa.hdr();
            h.set_age(e.age(now));
            h
        });
        let newer = match &held {
            None => lsa.hdr().age() < consts::MAX_AGE,
            Some(h) => lsa.hdr().recency(h).is_gt(),
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
    /// the point-to-point interface" (RFC 5340 §4.4.3.2 likewise, with
    /// Interface IDs). They appear while the area has an interface up (an
    /// area with none has no router-LSA of ours).
    ///
    /// # Errors
    ///
    /// [`InjectError::UnknownArea`]; [`InjectError::Link`] for a cost of 0,
    /// a link to our own Router ID, or (OSPFv3) our Interface ID of the
    /// link being one of our interfaces'.
    pub fn set_synthetic_links(
        &mut self,
        now: Instant,
        area: AreaId,
        links: Vec<SyntheticLink<V>>,
    ) -> Result<(), InjectError<KeyOf<V>>> {
        if !self.areas.contains_key(&area) {
            return Err(InjectError::UnknownArea(area));
        }
        if let Some(l) = links.iter().find(|l| l.cost == 0) {
            return Err(InjectError::Link(l.neighbor, "cost must be 1 to 65535"));
        }
        if let Some(l) = links.iter().find(|l| l.neighbor == self.cfg.router_id) {
            return Err(InjectError::Link(l.neighbor, "our own Router ID"));
        }
        let ours = |l: &&SyntheticLink<V>| {
            V::synthetic_interface_id(&l.ends).is_some_and(|id| self.interfaces.contains_key(&id))
        };
        if let Some(l) = links.iter().find(ours) {
            return Err(InjectError::Link(l.neighbor, "Interface ID of one of our interfaces"));
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
    pub fn synthetic_links(&self, area: AreaId) -> &[SyntheticLink<V>] {
        self.synthetic_links.get(&area).map_or(&[], Vec::as_slice)
    }
}

impl OspfInstance<V2> {
    /// The synthetic links of `area` as router-LSA links (for origination).
    pub(crate) fn synthetic_router_links(
        &self,
        area: AreaId,
    ) -> impl Iterator<Item = RouterLink> + '_ {
        self.synthetic_links(area).iter().map(SyntheticLink::router_link)
    }
}

impl OspfInstance<V3> {
    /// The synthetic links of `area` as router-LSA interfaces (for
    /// origination).
    pub(crate) fn synthetic_router_interfaces(
        &self,
        area: AreaId,
    ) -> impl Iterator<Item = v3::RouterInterface> + '_ {
        self.synthetic_links(area).iter().map(SyntheticLink::router_interface)
    }
}

#[cfg(test)]
mod tests {
    //! One body per test for both versions; [`Lab`] holds what differs.

    use std::net::{Ipv4Addr, Ipv6Addr};
    use std::time::Duration;

    use super::*;
    use crate::lsa::{self, LsSeqNum, LsType, LsaBody, Options, RouterFlags, RouterLsa};
    use crate::neighbor::NbrState;
    use crate::packet::{Auth, DdFlags};
    use crate::version::{DdFields, HelloFields, Packet};
    use crate::{Config, InterfaceConfig, LinkAddrs, NetworkType, Transmit};

    const ME: RouterId = RouterId(0x0a00_0001);
    const PEER: RouterId = RouterId(0x0a00_0002);
    const SYNTH: RouterId = RouterId(0x0100_0001);

    /// What the tests need of a version: addresses, the synthetic router's
    /// LSAs and our link to it.
    trait Lab: Version {
        /// Our interface (host 1) or the peer's (host 2).
        fn if_addr(host: u8) -> Self::IfAddr;
        /// SYNTH's LSAs: its router-LSA first (a link back to `back`), and
        /// one stub network at `stub_cost`, all at sequence number `seq`.
        fn synth(seq: i32, back: RouterId, stub_cost: u16) -> Vec<Self::Lsa>;
        /// Our link to SYNTH that SYNTH's router-LSA links back over.
        fn link(cost: u16) -> SyntheticLink<Self>;
        /// Whether our router-LSA in `lsa` carries `l`.
        fn carries(lsa: &Self::Lsa, l: &SyntheticLink<Self>) -> bool;
        /// Our router-LSA's key.
        fn own_router_key() -> KeyOf<Self>;
        /// SYNTH's stub network.
        fn stub() -> &'static str;
    }

    impl Lab for V2 {
        fn if_addr(host: u8) -> ipnet::Ipv4Net {
            ipnet::Ipv4Net::new(Ipv4Addr::new(10, 0, 0, host), 30).unwrap_or_default()
        }
        fn synth(seq: i32, back: RouterId, stub_cost: u16) -> Vec<crate::lsa::Lsa> {
            let links = vec![
                link(RouterLinkType::POINT_TO_POINT, back.0, 0x0afe_0002, 1),
                link(RouterLinkType::STUB, 0xac10_0000, 0xffff_ff00, stub_cost),
            ];
            vec![lsa::build(
                0,
                Options::E,
                lsa::key(LsType::ROUTER, SYNTH.0, SYNTH),
                LsSeqNum(seq),
                LsaBody::Router(RouterLsa { flags: RouterFlags(0), reserved: 0, links }),
            )]
        }
        fn link(cost: u16) -> SyntheticLink<V2> {
            SyntheticLink { neighbor: SYNTH, ends: Ipv4Addr::new(10, 254, 0, 1), cost }
        }
        fn carries(lsa: &crate::lsa::Lsa, l: &SyntheticLink<V2>) -> bool {
            matches!(lsa.body(), LsaBody::Router(r) if r.links.contains(&l.router_link()))
        }
        fn own_router_key() -> LsaKey {
            lsa::key(LsType::ROUTER, ME.0, ME)
        }
        fn stub() -> &'static str {
            "172.16.0.0/24"
        }
    }

    /// SYNTH's Interface ID of the link to us, and ours (not ifindex 1).
    const SYNTH_IFACE: u32 = 200;
    const OUR_IFACE: u32 = 100;

    fn lsa6(ls_type: v3::LsType, adv: RouterId, seq: i32, body: v3::LsaBody) -> v3::Lsa {
        let fields = v3::LsaFields {
            ls_age: 0,
            link_state_id: 0,
            advertising_router: adv,
            ls_sequence_number: LsSeqNum(seq),
        };
        debug_assert_eq!(ls_type, body.ls_type());
        v3::Lsa::build(fields, body)
    }

    impl Lab for V3 {
        fn if_addr(host: u8) -> LinkAddrs {
            LinkAddrs::new(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, u16::from(host)), vec![])
        }
        fn synth(seq: i32, back: RouterId, stub_cost: u16) -> Vec<v3::Lsa> {
            let options = v3::Options::V6 | v3::Options::E | v3::Options::R;
            let to_back = v3::RouterInterface {
                link_type: v3::RouterLinkType::POINT_TO_POINT,
                metric: 1,
                interface_id: SYNTH_IFACE,
                neighbor_interface_id: OUR_IFACE,
                neighbor_router_id: back,
            };
            let router = v3::LsaBody::Router(v3::RouterLsa {
                flags: v3::RouterFlags(0),
                options,
                interfaces: vec![to_back],
            });
            let net = Ipv6Addr::new(0xfd00, 0, 1, 0, 0, 0, 0, 0);
            let prefix = v3::IntraAreaPrefix {
                prefix: v3::Ipv6Prefix::new(net, 64).unwrap_or_else(|| panic!("a /64")),
                options: v3::PrefixOptions(0),
                metric: stub_cost,
            };
            let prefixes = v3::LsaBody::IntraAreaPrefix(v3::IntraAreaPrefixLsa {
                referenced_ls_type: v3::LsType::ROUTER,
                referenced_link_state_id: 0,
                referenced_advertising_router: SYNTH,
                prefixes: vec![prefix],
            });
            vec![
                lsa6(v3::LsType::ROUTER, SYNTH, seq, router),
                lsa6(v3::LsType::INTRA_AREA_PREFIX, SYNTH, seq, prefixes),
            ]
        }
        fn link(cost: u16) -> SyntheticLink<V3> {
            let ends = InterfaceIds { interface_id: OUR_IFACE, neighbor_interface_id: SYNTH_IFACE };
            SyntheticLink { neighbor: SYNTH, ends, cost }
        }
        fn carries(lsa: &v3::Lsa, l: &SyntheticLink<V3>) -> bool {
            matches!(lsa.body(), v3::LsaBody::Router(r) if r.interfaces.contains(&l.router_interface()))
        }
        fn own_router_key() -> v3::LsaKey {
            v3::LsaKey { ls_type: v3::LsType::ROUTER, link_state_id: 0, advertising_router: ME }
        }
        fn stub() -> &'static str {
            "fd00:0:1::/64"
        }
    }

    fn setup<V: Lab>() -> (OspfInstance<V>, Instant) {
        let mut cfg = Config::new(ME);
        let mut i = InterfaceConfig::new(1, "eth0", AreaId(0));
        i.network = NetworkType::PointToPoint;
        cfg.interfaces.push(i);
        let mut inst = OspfInstance::<V>::new(cfg);
        let t0 = Instant::now();
        inst.handle_interface_address(t0, 1, Some(V::if_addr(1)));
        inst.handle_interface_up(t0, 1, 1500);
        (inst, t0)
    }

    fn drain<V: Version>(inst: &mut OspfInstance<V>) -> Vec<Transmit<V::Addr>> {
        std::iter::from_fn(|| inst.poll_transmit()).collect()
    }

    fn held_seq<V: Version>(inst: &OspfInstance<V>, k: &KeyOf<V>) -> Option<i32> {
        inst.area_lsdb(AreaId(0)).and_then(|d| d.get(k)).map(|e| e.lsa.hdr().seq().0)
    }

    /// The LSAs of the Link State Updates in `ts` (sent from host 1).
    fn updates<V: Lab>(ts: &[Transmit<V::Addr>]) -> Vec<V::Lsa> {
        let src = V::source(&V::if_addr(1));
        ts.iter()
            .filter_map(|t| V::decode(&t.bytes, &Auth::Null, src, t.dst).ok())
            .filter_map(|(_, p)| match p {
                Packet::Lsu(lsas) => Some(lsas),
                _ => None,
            })
            .flatten()
            .collect()
    }

    /// Brings PEER to Full on interface 1 (we are slave to its higher ID).
    fn full_neighbor<V: Lab>(inst: &mut OspfInstance<V>, now: Instant) {
        let src = V::source(&V::if_addr(2));
        let dst = V::source(&V::if_addr(1));
        let send = |inst: &mut OspfInstance<V>, p: Packet<V>, to: V::Addr| {
            let bytes = V::encode(PEER, AreaId(0), 0, p, &Auth::Null, 0, src, to);
            inst.handle_packet(now, 1, src, to, &bytes);
        };
        let hello = HelloFields {
            network_mask: 0,
            interface_id: 7,
            hello_interval: 10,
            options: V::packet_options(true, false),
            priority: 1,
            dead_interval: 40,
            dr: 0,
            bdr: 0,
            neighbors: vec![ME],
        };
        send(inst, Packet::Hello(hello), V::ALL_SPF_ROUTERS);
        for (flags, seq) in [(0x07, 100), (0x01, 101)] {
            let dd = DdFields {
                mtu: 1500,
                options: V::packet_options(true, false),
                flags: DdFlags(flags),
                seq,
                headers: vec![],
            };
            send(inst, Packet::Dd(dd), dst);
        }
        assert_eq!(inst.neighbors(1)[0].2, NbrState::Full);
    }

    fn installed_flooded_and_replaced_only_by_newer<V: Lab>() {
        let (mut inst, t0) = setup::<V>();
        full_neighbor(&mut inst, t0);
        drain(&mut inst);
        let first = LsSeqNum::INITIAL.0;
        let lsas = V::synth(first, ME, 1);
        let keys: Vec<_> = lsas.iter().map(|l| l.hdr().key()).collect();
        for l in lsas {
            assert_eq!(inst.inject_lsa(t0, AreaId(0), l), Ok(true));
        }
        assert!(keys.iter().all(|k| held_seq(&inst, k) == Some(first)));
        let sent = updates::<V>(&drain(&mut inst));
        assert_eq!(sent.iter().map(|l| l.hdr().key()).collect::<Vec<_>>(), keys);
        // The same instance again, or an older one: nothing happens.
        let k = keys[0];
        let router = |seq, cost| V::synth(seq, ME, cost).swap_remove(0);
        assert_eq!(inst.inject_lsa(t0, AreaId(0), router(first, 1)), Ok(false));
        assert_eq!(inst.inject_lsa(t0, AreaId(0), router(first - 1, 1)), Ok(false));
        assert!(updates::<V>(&drain(&mut inst)).is_empty());
        // A newer instance replaces it and is flooded.
        let t1 = t0 + Duration::from_secs(3);
        assert_eq!(inst.inject_lsa(t1, AreaId(0), router(first + 1, 2)), Ok(true));
        assert_eq!(held_seq(&inst, &k), Some(first + 1));
        let sent = updates::<V>(&drain(&mut inst));
        assert_eq!(sent.len(), 1);
        assert_eq!((sent[0].hdr().key(), sent[0].hdr().seq()), (k, LsSeqNum(first + 1)));
        // Unacknowledged, it is sent again after RxmtInterval (§13.6).
        inst.handle_timeout(t1 + Duration::from_secs(5));
        let again = updates::<V>(&drain(&mut inst));
        assert!(again.iter().any(|l| l.hdr().key() == k), "{again:?}");
    }

    #[test]
    fn injected_lsa_is_installed_flooded_and_replaced_only_by_newer() {
        installed_flooded_and_replaced_only_by_newer::<V2>();
    }

    #[test]
    fn injected_lsa_is_installed_flooded_and_replaced_only_by_newer_v3() {
        installed_flooded_and_replaced_only_by_newer::<V3>();
    }

    fn refusals_of<V: Lab>(own: V::Lsa, link_local: V::Lsa) {
        let (mut inst, t0) = setup::<V>();
        let lsa = V::synth(LsSeqNum::INITIAL.0, ME, 1).swap_remove(0);
        assert_eq!(
            inst.inject_lsa(t0, AreaId(7), lsa.clone()),
            Err(InjectError::UnknownArea(AreaId(7)))
        );
        // Our own router-LSA is the engine's to originate.
        assert!(matches!(inst.inject_lsa(t0, AreaId(0), own), Err(InjectError::SelfOriginated(_))));
        // Link-scope LSAs belong to no area.
        assert!(matches!(inst.inject_lsa(t0, AreaId(0), link_local), Err(InjectError::Type(_))));
        // A MaxAge LSA we do not hold is not installed.
        let dead = lsa.aged(consts::MAX_AGE);
        assert_eq!(inst.inject_lsa(t0, AreaId(0), dead), Ok(false));
        // A full database refuses new keys.
        inst.cfg.max_lsas = inst.lsdb_total();
        assert_eq!(
            inst.inject_lsa(t0, AreaId(0), lsa),
            Err(InjectError::DatabaseFull { limit: inst.cfg.max_lsas })
        );
        let zero = SyntheticLink { cost: 0, ..V::link(1) };
        assert!(matches!(
            inst.set_synthetic_links(t0, AreaId(0), vec![zero]),
            Err(InjectError::Link(..))
        ));
        let me = SyntheticLink { neighbor: ME, ..V::link(1) };
        assert!(matches!(
            inst.set_synthetic_links(t0, AreaId(0), vec![me]),
            Err(InjectError::Link(..))
        ));
        assert!(inst.synthetic_links(AreaId(0)).is_empty());
    }

    #[test]
    fn refusals() {
        let own = lsa::build(
            0,
            Options::E,
            lsa::key(LsType::ROUTER, ME.0, ME),
            LsSeqNum(LsSeqNum::INITIAL.0 + 5),
            LsaBody::Router(RouterLsa::default()),
        );
        let opaque = lsa::build(
            0,
            Options::E,
            lsa::key(LsType(9), 0x0100_0000, SYNTH),
            LsSeqNum::INITIAL,
            LsaBody::Opaque { ls_type: LsType(9), data: bytes::Bytes::from_static(&[0; 4]) },
        );
        refusals_of::<V2>(own, opaque);
    }

    #[test]
    fn refusals_v3() {
        let body = v3::LsaBody::Router(v3::RouterLsa {
            flags: v3::RouterFlags(0),
            options: v3::Options::V6,
            interfaces: vec![],
        });
        let own = lsa6(v3::LsType::ROUTER, ME, LsSeqNum::INITIAL.0 + 5, body);
        let body = v3::LsaBody::Link(v3::LinkLsa {
            router_priority: 1,
            options: v3::Options::V6,
            link_local_address: Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 9),
            prefixes: vec![],
        });
        let link_lsa = lsa6(v3::LsType::LINK, SYNTH, LsSeqNum::INITIAL.0, body);
        refusals_of::<V3>(own, link_lsa);
        // Our Interface ID of the link must not be one of our interfaces'.
        let (mut inst, t0) = setup::<V3>();
        let mut clash = V3::link(1);
        clash.ends.interface_id = 1;
        assert!(matches!(
            inst.set_synthetic_links(t0, AreaId(0), vec![clash]),
            Err(InjectError::Link(..))
        ));
    }

    /// Runs the instance's timers from `t` to `end`, draining its output.
    fn run_until<V: Version>(inst: &mut OspfInstance<V>, t: Instant, end: Instant) -> Instant {
        let mut t = t;
        while t < end {
            t = inst.poll_timeout().map_or(end, |d| d.max(t)).min(end);
            inst.handle_timeout(t);
            drain(inst);
            while inst.poll_event().is_some() {}
        }
        t
    }

    fn links_join_our_router_lsa_and_the_spf<V: Lab>() {
        let (mut inst, t0) = setup::<V>();
        let l = V::link(7);
        assert_eq!(inst.set_synthetic_links(t0, AreaId(0), vec![l]), Ok(()));
        assert_eq!(inst.synthetic_links(AreaId(0)), &[l]);
        let own = V::own_router_key();
        let carries = |inst: &OspfInstance<V>| {
            let e = inst.area_lsdb(AreaId(0)).and_then(|d| d.get(&own));
            e.is_some_and(|e| V::carries(&e.lsa, &l))
        };
        // The interface came up at t0: the new instance waits MinLSInterval.
        let t = run_until(&mut inst, t0, t0 + Duration::from_secs(6));
        assert!(carries(&inst));
        // The synthetic router links back: its stub is reached at 7 + 4.
        for lsa in V::synth(LsSeqNum::INITIAL.0, ME, 4) {
            assert_eq!(inst.inject_lsa(t, AreaId(0), lsa), Ok(true));
        }
        let t = run_until(&mut inst, t, t + Duration::from_secs(2));
        let r = inst.routes().find(|r| r.prefix.to_string() == V::stub()).cloned();
        assert_eq!(r.map(|r| r.metric), Some(11), "{:?}", inst.routes().collect::<Vec<_>>());
        // Without the link back, no route (§16.1 step 2b).
        let lone = V::synth(LsSeqNum::INITIAL.0 + 1, PEER, 4).swap_remove(0);
        assert_eq!(inst.inject_lsa(t, AreaId(0), lone), Ok(true));
        let t = run_until(&mut inst, t, t + Duration::from_secs(2));
        assert!(inst.routes().all(|r| r.prefix.to_string() != V::stub()));
        let back = V::synth(LsSeqNum::INITIAL.0 + 2, ME, 4).swap_remove(0);
        assert_eq!(inst.inject_lsa(t, AreaId(0), back), Ok(true));
        let t = run_until(&mut inst, t, t + Duration::from_secs(2));
        assert!(inst.routes().any(|r| r.prefix.to_string() == V::stub()));
        // Removing the links takes them out again (after MinLSInterval).
        assert_eq!(inst.set_synthetic_links(t, AreaId(0), Vec::new()), Ok(()));
        run_until(&mut inst, t, t + Duration::from_secs(10));
        assert!(!carries(&inst));
        assert!(inst.routes().all(|r| r.prefix.to_string() != V::stub()));
    }

    #[test]
    fn synthetic_links_join_our_router_lsa_and_the_spf() {
        links_join_our_router_lsa_and_the_spf::<V2>();
    }

    #[test]
    fn synthetic_links_join_our_router_lsa_and_the_spf_v3() {
        links_join_our_router_lsa_and_the_spf::<V3>();
    }
}
