//! OSPFv3 (RFC 5340) as a [`Version`]: IPv6 link-local addresses, the
//! `ospf-wire` v3 codec, LS types with their U, S1 and S2 bits, and the
//! OSPFv3 origination: router-LSAs without prefixes, network-LSAs,
//! link-LSAs and intra-area-prefix-LSAs (RFC 5340 §4.4.3).

use std::cmp::Ordering;
use std::net::Ipv6Addr;
use std::time::Instant;

use bytes::Bytes;
use ipnet::Ipv6Net;
use ospf_wire::auth::AuthError;
use ospf_wire::v3::auth_trailer::{sign, verify, TRAILER_HEADER_LEN};
use ospf_wire::v3::{
    self as w, AsExternalLsa, FloodingScope, InterAreaPrefixLsa, InterAreaRouterLsa,
    IntraAreaPrefix, IntraAreaPrefixLsa, Ipv6Prefix, LinkLsa, LsType, Lsa, LsaBody, LsaFields,
    LsaHeader, LsaKey, NetworkLsa, Options, PrefixEntry, PrefixOptions, RouterFlags,
    RouterInterface, RouterLinkType, RouterLsa,
};

use crate::config::{AreaKind, MetricType, NetworkType, Redistribute6};
use crate::instance::OspfInstance;
use crate::interface::IfState;
use crate::lsa::LsSeqNum;
use crate::neighbor::NbrState;
use crate::packet::{Auth, PacketError, PacketHeader};
use crate::route::LsaChange;
use crate::route6::RoutingTable6;
use crate::types::{consts, AreaId, RouterId};
use crate::version::{
    DdFields, Desired, Header, HelloFields, Key, Packet, Scope, ScopeKind, Version, WireLsa,
};
use rib::PathType;

/// OSPFv3 (RFC 5340).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct V3;

/// The addresses of an OSPFv3 interface: the link-local address packets
/// are sent from (RFC 5340 §4.2.2) and the prefixes of the link, which the
/// link-LSA and intra-area-prefix-LSAs advertise.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LinkAddrs {
    /// The link-local address (fe80::/10).
    pub link_local: Ipv6Addr,
    /// Global (or unique local) addresses with their prefix lengths.
    pub prefixes: Vec<Ipv6Net>,
}

impl LinkAddrs {
    /// A link-local address and the addresses of the link.
    #[must_use]
    pub fn new(link_local: Ipv6Addr, prefixes: Vec<Ipv6Net>) -> Self {
        Self { link_local, prefixes }
    }
}

/// The wire prefix of an address and length, host bits cleared.
#[must_use]
pub fn wire_prefix(net: Ipv6Net) -> Option<Ipv6Prefix> {
    Ipv6Prefix::new(net.network(), net.prefix_len())
}

impl Header for LsaHeader {
    type Key = LsaKey;
    fn key(&self) -> LsaKey {
        LsaHeader::key(self)
    }
    fn age(&self) -> u16 {
        self.ls_age
    }
    fn set_age(&mut self, age: u16) {
        self.ls_age = age;
    }
    fn seq(&self) -> LsSeqNum {
        self.ls_sequence_number
    }
    fn checksum(&self) -> u16 {
        self.ls_checksum
    }
    fn recency(&self, other: &Self) -> Ordering {
        self.compare_recency(other)
    }
}

impl Key for LsaKey {
    fn advertising_router(&self) -> RouterId {
        self.advertising_router
    }
    fn type_code(&self) -> u16 {
        self.ls_type.0
    }
}

impl WireLsa for Lsa {
    type Header = LsaHeader;
    fn hdr(&self) -> &LsaHeader {
        self.header()
    }
    fn wire_len(&self) -> usize {
        self.raw().len()
    }
    fn aged(&self, age: u16) -> Self {
        self.with_age(age)
    }
    fn checksum_valid(&self) -> bool {
        self.checksum_ok()
    }
    fn differs(&self, other: &Self) -> bool {
        // RFC 5340 carries the options in the body: the body octets and
        // MaxAge-ness are what a routing calculation can see change.
        let max = |l: &Lsa| l.header().ls_age >= consts::MAX_AGE;
        max(self) != max(other)
            || self.raw().get(ospf_wire::v3::LSA_HEADER_LEN..)
                != other.raw().get(ospf_wire::v3::LSA_HEADER_LEN..)
    }
    fn refreshed(&self, seq: LsSeqNum) -> Self {
        let h = self.header();
        build(h.key(), seq, self.body().clone())
    }
}

fn build(key: LsaKey, seq: LsSeqNum, body: LsaBody) -> Lsa {
    debug_assert_eq!(key.ls_type, body.ls_type());
    Lsa::build(
        LsaFields {
            ls_age: 0,
            link_state_id: key.link_state_id,
            advertising_router: key.advertising_router,
            ls_sequence_number: seq,
        },
        body,
    )
}

pub(crate) fn key(ls_type: LsType, link_state_id: u32, adv: RouterId) -> LsaKey {
    LsaKey { ls_type, link_state_id, advertising_router: adv }
}

/// FNV-1a over a prefix's address and length: a Link State ID that stays
/// the same while the prefix is advertised.
pub(crate) fn prefix_hash(p: Ipv6Net) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in p.network().octets().iter().chain(std::iter::once(&p.prefix_len())) {
        h = (h ^ u32::from(*b)).wrapping_mul(0x0100_0193);
    }
    h
}

/// Link State IDs for `prefixes` (in order, each once): the hash of each,
/// stepped past collisions.
pub(crate) fn hashed_ids(prefixes: impl Iterator<Item = Ipv6Net>) -> Vec<u32> {
    let mut used = std::collections::BTreeSet::new();
    prefixes
        .map(|p| {
            let mut id = prefix_hash(p);
            while !used.insert(id) {
                id = id.wrapping_add(1);
            }
            id
        })
        .collect()
}

/// The body of an AS-external- or NSSA-LSA for a redistributed route
/// (RFC 5340 A.4.7, A.4.8).
pub(crate) fn external6(
    r: &Redistribute6,
    forwarding: Option<Ipv6Addr>,
    options: PrefixOptions,
) -> Option<AsExternalLsa> {
    Some(AsExternalLsa {
        e_bit: r.metric_type == MetricType::Type2,
        metric: r.metric.min(consts::LS_INFINITY - 1),
        prefix: PrefixEntry { prefix: wire_prefix(r.prefix.trunc())?, options },
        forwarding_address: forwarding,
        external_route_tag: (r.tag != 0).then_some(r.tag),
        referenced: None,
    })
}

/// Whether this implementation understands an LS function code.
fn known(ty: LsType) -> bool {
    matches!(
        ty,
        LsType::ROUTER
            | LsType::NETWORK
            | LsType::INTER_AREA_PREFIX
            | LsType::INTER_AREA_ROUTER
            | LsType::AS_EXTERNAL
            | LsType::NSSA
            | LsType::LINK
            | LsType::INTRA_AREA_PREFIX
    )
}

fn to_packet(body: w::PacketBody) -> Packet<V3> {
    match body {
        w::PacketBody::Hello(h) => Packet::Hello(HelloFields {
            network_mask: 0,
            interface_id: h.interface_id,
            hello_interval: h.hello_interval,
            options: h.options.0,
            priority: h.router_priority,
            dead_interval: u32::from(h.router_dead_interval),
            dr: h.designated_router.0,
            bdr: h.backup_designated_router.0,
            neighbors: h.neighbors,
        }),
        w::PacketBody::DatabaseDescription(d) => Packet::Dd(DdFields {
            mtu: d.interface_mtu,
            options: d.options.0,
            flags: d.flags,
            seq: d.dd_sequence_number,
            headers: d.lsa_headers,
        }),
        w::PacketBody::LinkStateRequest(r) => Packet::Lsr(r.requests),
        w::PacketBody::LinkStateUpdate(u) => Packet::Lsu(u.lsas),
        w::PacketBody::LinkStateAck(a) => Packet::Ack(a.lsa_headers),
    }
}

fn to_body(p: Packet<V3>) -> w::PacketBody {
    match p {
        Packet::Hello(h) => w::PacketBody::Hello(w::Hello {
            interface_id: h.interface_id,
            router_priority: h.priority,
            options: Options(h.options & Options::MASK),
            hello_interval: h.hello_interval,
            router_dead_interval: u16::try_from(h.dead_interval).unwrap_or(u16::MAX),
            designated_router: RouterId(h.dr),
            backup_designated_router: RouterId(h.bdr),
            neighbors: h.neighbors,
        }),
        Packet::Dd(d) => w::PacketBody::DatabaseDescription(w::DatabaseDescription {
            options: Options(d.options & Options::MASK),
            interface_mtu: d.mtu,
            flags: d.flags,
            dd_sequence_number: d.seq,
            lsa_headers: d.headers,
        }),
        Packet::Lsr(requests) => w::PacketBody::LinkStateRequest(w::LinkStateRequest { requests }),
        Packet::Lsu(lsas) => w::PacketBody::LinkStateUpdate(w::LinkStateUpdate { lsas }),
        Packet::Ack(lsa_headers) => w::PacketBody::LinkStateAck(w::LinkStateAck { lsa_headers }),
    }
}

/// fe80::/10.
pub(crate) fn is_link_local(a: Ipv6Addr) -> bool {
    a.segments()[0] & 0xffc0 == 0xfe80
}

impl Version for V3 {
    const NUMBER: u8 = 3;
    const PROTOCOL: rib::Protocol = rib::Protocol::Ospfv3;
    /// ff02::5.
    const ALL_SPF_ROUTERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 5);
    /// ff02::6.
    const ALL_D_ROUTERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 6);
    const IP_HEADER_LEN: usize = 40;
    const HEADER_LEN: usize = w::HEADER_LEN;
    const HELLO_FIXED: usize = 20;
    const DD_FIXED: usize = 12;
    const BY_ROUTER_ID: bool = true;

    type Addr = Ipv6Addr;
    type IfAddr = LinkAddrs;
    type LsaHeader = LsaHeader;
    type Lsa = Lsa;
    type Template = LsaBody;
    type Prefix = Ipv6Net;
    type Table = RoutingTable6;
    type LinkEnds = crate::inject::InterfaceIds;

    fn unspecified() -> Ipv6Addr {
        Ipv6Addr::UNSPECIFIED
    }
    fn source(a: &LinkAddrs) -> Ipv6Addr {
        a.link_local
    }
    fn routable(a: &LinkAddrs) -> Option<Ipv6Addr> {
        a.prefixes.iter().map(Ipv6Net::addr).find(|x| !is_link_local(*x) && !x.is_unspecified())
    }
    fn mask(_: &LinkAddrs) -> u32 {
        0
    }
    fn addr_id(_: Ipv6Addr) -> u32 {
        0
    }
    fn is_local(a: &LinkAddrs, dst: Ipv6Addr) -> bool {
        a.link_local == dst || a.prefixes.iter().any(|p| p.addr() == dst)
    }
    fn source_ok(_: &LinkAddrs, src: Ipv6Addr, _broadcast: bool) -> bool {
        // RFC 5340 §4.2.2: "the IPv6 source address must be a link-local
        // address" for packets sent over a single hop.
        is_link_local(src)
    }

    fn scope_of(key: &LsaKey) -> Option<ScopeKind> {
        // RFC 5340 §4.5.1: an unknown type with the U bit clear is kept
        // with link-local scope; with it set, with the scope of S1 and S2.
        let ty = key.ls_type;
        let scope = if known(ty) { ty.scope() } else { ty.unknown_flooding_scope() };
        match scope {
            FloodingScope::LinkLocal => Some(ScopeKind::Link),
            FloodingScope::Area => Some(ScopeKind::Area),
            FloodingScope::As => Some(ScopeKind::As),
            FloodingScope::Reserved => None,
        }
    }
    fn type_range(first: u16, last: u16) -> std::ops::RangeInclusive<LsaKey> {
        key(LsType(first), 0, RouterId(0))..=key(LsType(last), u32::MAX, RouterId(u32::MAX))
    }
    fn network_lsa_address(_: &LsaKey) -> Option<u32> {
        None
    }

    fn auth_len(auth: &Auth) -> usize {
        match auth {
            Auth::HmacSha { .. } => TRAILER_HEADER_LEN + auth.trailer_len(),
            _ => 0,
        }
    }
    fn packet_options(external: bool, nssa: bool) -> u32 {
        let o = Options::V6 | Options::R;
        match (external, nssa) {
            (true, _) => (o | Options::E).0,
            (false, true) => (o | Options::N).0,
            (false, false) => o.0,
        }
    }
    fn e_bit(o: u32) -> bool {
        Options(o).contains(Options::E)
    }
    fn n_bit(o: u32) -> bool {
        Options(o).contains(Options::N)
    }

    fn encode(
        router_id: RouterId,
        area_id: AreaId,
        instance_id: u8,
        packet: Packet<Self>,
        auth: &Auth,
        crypto_seq: u32,
        src: Ipv6Addr,
        dst: Ipv6Addr,
    ) -> Vec<u8> {
        let mut body = to_body(packet);
        let crypto = match auth {
            Auth::HmacSha { .. } => auth.crypto(),
            _ => None,
        };
        if crypto.is_some() {
            // RFC 7166 §2.1: the AT bit in Hellos and DD packets says that
            // every packet of the sender carries a trailer.
            match &mut body {
                w::PacketBody::Hello(h) => h.options = h.options | Options::AT,
                w::PacketBody::DatabaseDescription(d) => d.options = d.options | Options::AT,
                _ => {}
            }
        }
        let p = w::Packet { router_id, area_id, instance_id, body };
        let mut buf = p.to_bytes(src, dst);
        if let Some((key_id, key, algo)) = crypto {
            // Fails only for keyed MD5, which `crypto` does not give here.
            let _ = sign(&mut buf, src, u16::from(key_id), key, algo, u64::from(crypto_seq));
        }
        buf.to_vec()
    }
    fn instance_id(bytes: &[u8]) -> Option<u8> {
        let head = bytes.get(..w::header::HEADER_LEN)?;
        w::header::PacketHeader::decode(&Bytes::copy_from_slice(head)).ok().map(|h| h.instance_id)
    }
    fn decode(
        bytes: &[u8],
        auth: &Auth,
        src: Ipv6Addr,
        dst: Ipv6Addr,
    ) -> Result<(PacketHeader, Packet<Self>), PacketError> {
        let (p, _trailer) =
            w::Packet::decode_with_trailer(Bytes::copy_from_slice(bytes), src, dst)?;
        let options = p.options();
        let mut crypto_seq = None;
        match auth {
            Auth::Null => {
                if options.is_some_and(|o| o.contains(Options::AT)) {
                    return Err(PacketError::Auth("authentication type mismatch"));
                }
            }
            Auth::HmacSha { .. } => {
                let Some((key_id, key, algo)) = auth.crypto() else {
                    return Err(PacketError::Auth("no key"));
                };
                if options.is_some_and(|o| !o.contains(Options::AT)) {
                    return Err(PacketError::Auth("authentication type mismatch"));
                }
                let lls = options.is_some_and(|o| o.contains(Options::L));
                let info = verify(bytes, src, lls, key, algo).map_err(|e| match e {
                    AuthError::DigestMismatch => PacketError::Auth("digest mismatch"),
                    AuthError::Truncated { .. } => PacketError::Auth("trailer missing"),
                    _ => PacketError::Auth("wrong algorithm or trailer length"),
                })?;
                if info.sa_id != u16::from(key_id) {
                    return Err(PacketError::Auth("unknown key id"));
                }
                crypto_seq = Some(info.sequence_number);
            }
            // RFC 7166 authenticates with HMAC-SHA only.
            Auth::Simple(_) | Auth::Md5 { .. } => {
                return Err(PacketError::Auth("OSPFv3 authentication is HMAC-SHA only"));
            }
        }
        let header = PacketHeader {
            router_id: p.router_id,
            area_id: p.area_id,
            crypto_seq,
            instance_id: p.instance_id,
        };
        Ok((header, to_packet(p.body)))
    }

    fn same_content(l: &Lsa, t: &LsaBody) -> bool {
        l.body() == t
    }
    fn build(key: LsaKey, seq: LsSeqNum, t: LsaBody) -> Lsa {
        build(key, seq, t)
    }

    fn synthetic_interface_id(ends: &crate::inject::InterfaceIds) -> Option<u32> {
        Some(ends.interface_id)
    }
    fn desired_lsas(inst: &OspfInstance<Self>) -> Vec<Desired<Self>> {
        inst.desired_lsas_v3()
    }
    fn compute_table(inst: &OspfInstance<Self>, now: Instant) -> RoutingTable6 {
        inst.compute_table_v3(now)
    }
    fn apply_changes(
        table: &mut RoutingTable6,
        changes: &[LsaChange<Lsa>],
    ) -> Option<Vec<Ipv6Net>> {
        table.apply(changes).ok()
    }
    fn table_prefixes(table: &RoutingTable6) -> Vec<Ipv6Net> {
        table.prefixes()
    }
    fn rib_route(table: &RoutingTable6, p: &Ipv6Net) -> Option<rib::Route> {
        table.rib_route(p)
    }
}

impl OspfInstance<V3> {
    /// The Options of our LSAs and packets in an area.
    fn area_options_v3(&self, area: AreaId) -> Options {
        let base = Options::V6 | Options::R;
        match self.areas.get(&area).map(|a| a.cfg.kind) {
            Some(AreaKind::Normal) | None => base | Options::E,
            Some(AreaKind::Nssa { .. }) => base | Options::N,
            Some(AreaKind::Stub { .. }) => base,
        }
    }

    /// §4.4.3.4: the inter-area-prefix-LSAs of an area border router, for
    /// the routes of the other areas (RFC 2328 §12.4.3: inter-area routes
    /// only from the backbone into other areas), and a default route into
    /// stub areas. The Link State ID of each is a hash of its prefix,
    /// stepped past collisions in prefix order.
    fn inter_area_prefixes(
        &self,
        up_areas: &std::collections::BTreeSet<AreaId>,
        out: &mut Vec<Desired<V3>>,
    ) {
        let me = self.cfg.router_id;
        for target in up_areas {
            let kind = self.areas.get(target).map(|a| a.cfg.kind).unwrap_or_default();
            let mut entries: Vec<(Ipv6Net, u32)> = Vec::new();
            for (p, r) in self.table.routes() {
                let Some(from) = r.area else { continue };
                if from == *target || r.cost >= consts::LS_INFINITY {
                    continue;
                }
                if r.path_type == PathType::InterArea
                    && (target.is_backbone() || !from.is_backbone())
                {
                    continue;
                }
                entries.push((*p, r.cost));
            }
            if let AreaKind::Stub { default_cost } | AreaKind::Nssa { default_cost } = kind {
                entries.push((Ipv6Net::default(), default_cost.min(consts::LS_INFINITY - 1)));
            }
            entries.sort_unstable();
            let ids = hashed_ids(entries.iter().map(|e| e.0));
            for ((p, metric), id) in entries.into_iter().zip(ids) {
                let Some(prefix) = wire_prefix(p) else { continue };
                out.push((
                    Scope::Area(*target),
                    key(LsType::INTER_AREA_PREFIX, id, me),
                    LsaBody::InterAreaPrefix(InterAreaPrefixLsa {
                        metric,
                        prefix: PrefixEntry { prefix, options: PrefixOptions(0) },
                    }),
                ));
            }
        }
    }

    /// §4.4.3.5: the inter-area-router-LSAs of an area border router for
    /// the AS boundary routers it reaches through another area, into
    /// normal areas (inter-area ones only from the backbone).
    fn inter_area_routers(
        &self,
        up_areas: &std::collections::BTreeSet<AreaId>,
        out: &mut Vec<Desired<V3>>,
    ) {
        let me = self.cfg.router_id;
        for target in up_areas {
            if self.areas.get(target).is_some_and(|a| a.cfg.kind != AreaKind::Normal) {
                continue;
            }
            let options = self.area_options_v3(*target);
            for (rid, r) in self.table.asbr_routes() {
                if r.area == *target || r.cost >= consts::LS_INFINITY {
                    continue;
                }
                if r.path_type == PathType::InterArea && target.is_backbone() {
                    continue;
                }
                out.push((
                    Scope::Area(*target),
                    key(LsType::INTER_AREA_ROUTER, rid.0, me),
                    LsaBody::InterAreaRouter(InterAreaRouterLsa {
                        options,
                        metric: r.cost,
                        destination_router_id: *rid,
                    }),
                ));
            }
        }
    }

    /// §4.4.3.6: the bodies of our AS-external-LSAs, when some area takes
    /// them, with a border router's translations of NSSA-LSAs (RFC 3101
    /// §3.2); ours win over a translation of the same prefix.
    fn as_externals(
        &self,
        up_areas: &std::collections::BTreeSet<AreaId>,
        abr: bool,
    ) -> Vec<(Ipv6Net, AsExternalLsa)> {
        let any_normal = up_areas
            .iter()
            .any(|a| self.areas.get(a).is_none_or(|x| x.cfg.kind == AreaKind::Normal));
        if !any_normal {
            return Vec::new();
        }
        let mut externals: Vec<(Ipv6Net, AsExternalLsa)> = self
            .cfg
            .redistribute6
            .iter()
            .filter_map(|r| Some((r.prefix.trunc(), external6(r, r.forwarding, PrefixOptions(0))?)))
            .collect();
        if abr {
            self.nssa_translations(up_areas, &mut externals);
        }
        externals.sort_by_key(|(p, _)| *p);
        externals.dedup_by_key(|(p, _)| *p);
        externals
    }

    /// Replaces the redistributed routes; the AS-external-LSAs follow (the
    /// OSPFv3 counterpart of [`OspfInstance::handle_config`]).
    pub fn handle_config6(&mut self, now: Instant, redistribute: Vec<Redistribute6>) {
        self.cfg.redistribute6 = redistribute;
        self.originate(now);
    }

    /// The OSPFv3 LSAs this router should originate: a router-LSA per area
    /// (§4.4.3.2), a network-LSA per link where we are DR (§4.4.3.3), a
    /// link-LSA per link (§4.4.3.8) and intra-area-prefix-LSAs for the
    /// router and for each network-LSA (§4.4.3.9).
    pub(crate) fn desired_lsas_v3(&self) -> Vec<Desired<V3>> {
        let me = self.cfg.router_id;
        let abr = self.is_abr();
        let mut out = Vec::new();
        let up_areas = self.up_areas();
        let externals = self.as_externals(&up_areas, abr);
        // An AS boundary router redistributes, or translates NSSA-LSAs.
        let asbr = !self.cfg.redistribute6.is_empty() || !externals.is_empty();
        for area in &up_areas {
            let (b, e) = self.border_bits(*area, abr, asbr);
            let flags =
                RouterFlags((u8::from(b) * RouterFlags::B.0) | (u8::from(e) * RouterFlags::E.0));
            let mut links = Vec::new();
            let mut own_prefixes: Vec<IntraAreaPrefix> = Vec::new();
            for i in self.interfaces.values().filter(|i| i.cfg.area == *area) {
                let Some(addrs) = &i.addr else { continue };
                let stub_prefixes = |out: &mut Vec<IntraAreaPrefix>| {
                    for net in &addrs.prefixes {
                        if let Some(prefix) = wire_prefix(*net) {
                            out.push(IntraAreaPrefix {
                                prefix,
                                options: PrefixOptions(0),
                                metric: i.cfg.cost,
                            });
                        }
                    }
                };
                match i.state {
                    IfState::Down => {}
                    _ if i.cfg.passive => stub_prefixes(&mut own_prefixes),
                    IfState::PointToPoint => {
                        // §4.4.3.2: a type 1 interface per Full neighbour;
                        // the link's prefixes go in the intra-area-prefix-LSA.
                        for n in i.neighbors.values().filter(|n| n.state == NbrState::Full) {
                            links.push(RouterInterface {
                                link_type: RouterLinkType::POINT_TO_POINT,
                                metric: i.cfg.cost,
                                interface_id: i.cfg.ifindex,
                                neighbor_interface_id: n.interface_id,
                                neighbor_router_id: n.router_id,
                            });
                        }
                        stub_prefixes(&mut own_prefixes);
                    }
                    _ => {
                        let full_with_dr = if i.state == IfState::Dr {
                            i.neighbors.values().any(|n| n.state == NbrState::Full)
                        } else {
                            i.neighbors
                                .values()
                                .any(|n| n.state == NbrState::Full && n.router_id.0 == i.dr)
                        };
                        if i.state != IfState::Waiting && full_with_dr && i.dr != 0 {
                            // A transit interface names the DR by its Router
                            // ID and Interface ID.
                            let dr_iface = if i.dr == me.0 {
                                i.cfg.ifindex
                            } else {
                                i.neighbors
                                    .values()
                                    .find(|n| n.router_id.0 == i.dr)
                                    .map_or(0, |n| n.interface_id)
                            };
                            links.push(RouterInterface {
                                link_type: RouterLinkType::TRANSIT,
                                metric: i.cfg.cost,
                                interface_id: i.cfg.ifindex,
                                neighbor_interface_id: dr_iface,
                                neighbor_router_id: RouterId(i.dr),
                            });
                        } else {
                            stub_prefixes(&mut own_prefixes);
                        }
                    }
                }
            }
            links.extend(self.synthetic_router_interfaces(*area));
            let options = self.area_options_v3(*area);
            out.push((
                Scope::Area(*area),
                key(LsType::ROUTER, 0, me),
                LsaBody::Router(RouterLsa { flags, options, interfaces: links }),
            ));
            if !own_prefixes.is_empty() {
                own_prefixes.sort_by_key(|p| (p.prefix, p.metric));
                own_prefixes.dedup_by_key(|p| p.prefix);
                out.push((
                    Scope::Area(*area),
                    key(LsType::INTRA_AREA_PREFIX, 0, me),
                    LsaBody::IntraAreaPrefix(IntraAreaPrefixLsa {
                        referenced_ls_type: LsType::ROUTER,
                        referenced_link_state_id: 0,
                        referenced_advertising_router: me,
                        prefixes: own_prefixes,
                    }),
                ));
            }
        }
        if abr {
            self.inter_area_prefixes(&up_areas, &mut out);
            self.inter_area_routers(&up_areas, &mut out);
        }
        let ids = hashed_ids(externals.iter().map(|x| x.0));
        for ((_, body), id) in externals.into_iter().zip(ids) {
            out.push((Scope::As, key(LsType::AS_EXTERNAL, id, me), LsaBody::AsExternal(body)));
        }
        self.nssa_lsas(&up_areas, abr, &mut out);
        for i in self.interfaces.values() {
            if i.state == IfState::Down || i.cfg.passive {
                continue;
            }
            let Some(addrs) = &i.addr else { continue };
            let options = self.area_options_v3(i.cfg.area);
            // §4.4.3.8: a link-LSA on every link with neighbours possible.
            let prefixes: Vec<PrefixEntry> = addrs
                .prefixes
                .iter()
                .filter_map(|n| wire_prefix(*n))
                .map(|prefix| PrefixEntry { prefix, options: PrefixOptions(0) })
                .collect();
            out.push((
                Scope::Link(i.cfg.ifindex),
                key(LsType::LINK, i.cfg.ifindex, me),
                LsaBody::Link(LinkLsa {
                    router_priority: i.cfg.priority,
                    options,
                    link_local_address: addrs.link_local,
                    prefixes,
                }),
            ));
            // §4.4.3.3: the network-LSA of a link where we are DR.
            if i.cfg.network != NetworkType::Broadcast || i.state != IfState::Dr {
                continue;
            }
            let Some(routers) = i.attached_routers(me) else { continue };
            let full = routers[1..].to_vec();
            out.push((
                Scope::Area(i.cfg.area),
                key(LsType::NETWORK, i.cfg.ifindex, me),
                LsaBody::Network(NetworkLsa { options, attached_routers: routers }),
            ));
            // §4.4.3.9: the link's prefixes, from our own addresses and
            // the link-LSAs of the Full neighbours, referencing the
            // network-LSA with metric 0.
            let mut lan: Vec<Ipv6Prefix> =
                addrs.prefixes.iter().filter_map(|n| wire_prefix(*n)).collect();
            for (k, e) in i.link_lsdb.iter() {
                if k.ls_type != LsType::LINK || !full.contains(&k.advertising_router) {
                    continue;
                }
                if e.lsa.header().ls_age >= consts::MAX_AGE {
                    continue;
                }
                if let LsaBody::Link(l) = e.lsa.body() {
                    lan.extend(
                        l.prefixes
                            .iter()
                            .filter(|p| {
                                !p.options.contains(PrefixOptions::NU)
                                    && !p.options.contains(PrefixOptions::LA)
                            })
                            .map(|p| p.prefix),
                    );
                }
            }
            lan.sort_unstable();
            lan.dedup();
            if !lan.is_empty() {
                out.push((
                    Scope::Area(i.cfg.area),
                    key(LsType::INTRA_AREA_PREFIX, i.cfg.ifindex, me),
                    LsaBody::IntraAreaPrefix(IntraAreaPrefixLsa {
                        referenced_ls_type: LsType::NETWORK,
                        referenced_link_state_id: i.cfg.ifindex,
                        referenced_advertising_router: me,
                        prefixes: lan
                            .into_iter()
                            .map(|prefix| IntraAreaPrefix {
                                prefix,
                                options: PrefixOptions(0),
                                metric: 0,
                            })
                            .collect(),
                    }),
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, InterfaceConfig};

    fn k(ty: u16) -> LsaKey {
        key(LsType(ty), 1, RouterId(1))
    }

    #[test]
    fn scopes_from_the_ls_type_and_the_u_bit() {
        assert_eq!(V3::scope_of(&k(0x2001)), Some(ScopeKind::Area));
        assert_eq!(V3::scope_of(&k(0x4005)), Some(ScopeKind::As));
        assert_eq!(V3::scope_of(&k(0x0008)), Some(ScopeKind::Link));
        // §4.5.1: unknown with U clear: link-local whatever S1/S2 say.
        assert_eq!(V3::scope_of(&k(0x4077)), Some(ScopeKind::Link));
        // U set: the scope of S1 and S2.
        assert_eq!(V3::scope_of(&k(0xc077)), Some(ScopeKind::As));
        assert_eq!(V3::scope_of(&k(0xa077)), Some(ScopeKind::Area));
        // S2 S1 = 11 is reserved: not kept.
        assert_eq!(V3::scope_of(&k(0xe077)), None);
    }

    fn setup(instance_id: u8) -> (OspfInstance<V3>, Instant) {
        setup_with(instance_id, Auth::Null)
    }

    /// One interface (1, fe80::1) up with `instance_id` and `auth`.
    fn setup_with(instance_id: u8, auth: Auth) -> (OspfInstance<V3>, Instant) {
        let mut cfg = Config::new(RouterId(1));
        let mut i = InterfaceConfig::new(1, "eth0", AreaId(0));
        i.instance_id = instance_id;
        i.auth = auth;
        cfg.interfaces.push(i);
        let mut inst = OspfInstance::<V3>::new(cfg);
        let t0 = Instant::now();
        let ll: Ipv6Addr = "fe80::1".parse().unwrap_or(Ipv6Addr::UNSPECIFIED);
        inst.handle_interface_address(t0, 1, Some(LinkAddrs::new(ll, vec![])));
        inst.handle_interface_up(t0, 1, 1500);
        (inst, t0)
    }

    /// Router 2's Hello from Interface ID 7, with no neighbour seen.
    fn hello_fields() -> HelloFields {
        HelloFields {
            network_mask: 0,
            interface_id: 7,
            hello_interval: 10,
            options: V3::packet_options(true, false),
            priority: 1,
            dead_interval: 40,
            dr: 0,
            bdr: 0,
            neighbors: vec![],
        }
    }

    fn hello(instance_id: u8, src: Ipv6Addr) -> Vec<u8> {
        let h = Packet::Hello(hello_fields());
        V3::encode(RouterId(2), AreaId(0), instance_id, h, &Auth::Null, 0, src, V3::ALL_SPF_ROUTERS)
    }

    #[test]
    fn hello_needs_the_instance_id_and_a_link_local_source() {
        let ll: Ipv6Addr = "fe80::2".parse().unwrap_or(Ipv6Addr::UNSPECIFIED);
        let global: Ipv6Addr = "2001:db8::2".parse().unwrap_or(Ipv6Addr::UNSPECIFIED);
        let (mut inst, t0) = setup(3);
        inst.handle_packet(t0, 1, ll, V3::ALL_SPF_ROUTERS, &hello(0, ll));
        assert!(inst.neighbors(1).is_empty());
        assert_eq!(inst.interface_counters(1).map(|c| c.wrong_instance), Some(1));
        inst.handle_packet(t0, 1, global, V3::ALL_SPF_ROUTERS, &hello(3, global));
        assert!(inst.neighbors(1).is_empty());
        assert_eq!(inst.interface_counters(1).map(|c| c.src_off_subnet), Some(1));
        inst.handle_packet(t0, 1, ll, V3::ALL_SPF_ROUTERS, &hello(3, ll));
        assert_eq!(inst.neighbors(1), vec![(RouterId(2), ll, NbrState::Init)]);
        // The neighbour is known by Router ID, its Interface ID kept.
        let n = inst.interfaces.get(&1).and_then(|i| i.neighbors.values().next());
        assert_eq!(n.map(|n| n.interface_id), Some(7));
    }

    #[test]
    fn trailer_sets_the_at_bit_and_replays_are_dropped() {
        use crate::packet::ShaAlgorithm;
        let auth = Auth::HmacSha { algorithm: ShaAlgorithm::Sha256, key_id: 3, key: b"k".to_vec() };
        let ll: Ipv6Addr = "fe80::2".parse().unwrap_or(Ipv6Addr::UNSPECIFIED);
        let h = |seq| {
            let to = V3::ALL_SPF_ROUTERS;
            V3::encode(RouterId(2), AreaId(0), 0, Packet::Hello(hello_fields()), &auth, seq, ll, to)
        };
        let (p, _) = w::Packet::decode_with_trailer(Bytes::from(h(10)), ll, V3::ALL_SPF_ROUTERS)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(p.options().is_some_and(|o| o.contains(Options::AT)));
        let got = V3::decode(&h(10), &auth, ll, V3::ALL_SPF_ROUTERS).map(|x| x.0.crypto_seq);
        assert_eq!(got, Ok(Some(10)));
        let mut cfg = Config::new(RouterId(1));
        let mut i = InterfaceConfig::new(1, "eth0", AreaId(0));
        i.auth = auth.clone();
        cfg.interfaces.push(i);
        let mut inst = OspfInstance::<V3>::new(cfg);
        let t0 = Instant::now();
        let me: Ipv6Addr = "fe80::1".parse().unwrap_or(Ipv6Addr::UNSPECIFIED);
        inst.handle_interface_address(t0, 1, Some(LinkAddrs::new(me, vec![])));
        inst.handle_interface_up(t0, 1, 1500);
        inst.handle_packet(t0, 1, ll, V3::ALL_SPF_ROUTERS, &h(10));
        inst.handle_packet(t0, 1, ll, V3::ALL_SPF_ROUTERS, &h(9));
        assert_eq!(inst.interface_counters(1).map(|c| c.replayed), Some(1));
        assert_eq!(inst.neighbors(1).len(), 1);
        // Unauthenticated Hellos are refused on this interface.
        inst.handle_packet(t0, 1, ll, V3::ALL_SPF_ROUTERS, &hello(0, ll));
        let refused = std::iter::from_fn(|| inst.poll_event()).any(|e| {
            matches!(e, crate::Event::AuthFailure { reason: "authentication type mismatch", .. })
        });
        assert!(refused);
    }

    #[test]
    fn another_instance_is_ignored_before_its_area_and_authentication() {
        use crate::packet::ShaAlgorithm;
        let key = |k: &[u8]| Auth::HmacSha {
            algorithm: ShaAlgorithm::Sha256,
            key_id: 1,
            key: k.to_vec(),
        };
        let ll: Ipv6Addr = "fe80::2".parse().unwrap_or(Ipv6Addr::UNSPECIFIED);
        let to = V3::ALL_SPF_ROUTERS;
        let h = |instance_id, area, auth: &Auth| {
            let p = Packet::Hello(hello_fields());
            V3::encode(RouterId(2), AreaId(area), instance_id, p, auth, 1, ll, to)
        };
        let (mut inst, t0) = setup_with(0, key(b"ours"));
        while inst.poll_event().is_some() {}
        // RFC 5340 §2.4: instance 1 on the same link, in another area
        // without a trailer, or in ours with another key.
        inst.handle_packet(t0, 1, ll, to, &h(1, 5, &Auth::Null));
        inst.handle_packet(t0, 1, ll, to, &h(1, 0, &key(b"theirs")));
        assert!(inst.neighbors(1).is_empty());
        assert_eq!(inst.interface_counters(1).map(|c| c.wrong_instance), Some(2));
        let errors: Vec<_> = std::iter::from_fn(|| inst.poll_event())
            .filter(|e| {
                matches!(e, crate::Event::BadPacket { .. } | crate::Event::AuthFailure { .. })
            })
            .collect();
        assert!(errors.is_empty(), "another instance's packets reported: {errors:?}");
        // Our instance with our key is heard.
        inst.handle_packet(t0, 1, ll, to, &h(0, 0, &key(b"ours")));
        assert_eq!(inst.neighbors(1), vec![(RouterId(2), ll, NbrState::Init)]);
        // Too short to hold the Instance ID: malformed, as before.
        assert_eq!(V3::instance_id(&h(1, 0, &Auth::Null)[..15]), None);
    }

    #[test]
    fn new_prefixes_keep_the_neighbours_and_change_the_link_lsa() {
        let ll: Ipv6Addr = "fe80::2".parse().unwrap_or(Ipv6Addr::UNSPECIFIED);
        let (mut inst, t0) = setup(0);
        inst.handle_packet(t0, 1, ll, V3::ALL_SPF_ROUTERS, &hello(0, ll));
        assert_eq!(inst.neighbors(1).len(), 1);
        let link_lsa = |inst: &OspfInstance<V3>| {
            let k = key(LsType::LINK, 1, RouterId(1));
            match inst.link_lsdb(1).and_then(|d| d.get(&k)).map(|e| e.lsa.body().clone()) {
                Some(LsaBody::Link(l)) => l.prefixes.len(),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(link_lsa(&inst), 0);
        let me: Ipv6Addr = "fe80::1".parse().unwrap_or(Ipv6Addr::UNSPECIFIED);
        let net: Ipv6Net = "2001:db8:1::1/64".parse().unwrap_or_default();
        let t1 = t0 + std::time::Duration::from_secs(6);
        inst.handle_interface_address(t1, 1, Some(LinkAddrs::new(me, vec![net])));
        assert_eq!(inst.neighbors(1).len(), 1);
        assert_eq!(link_lsa(&inst), 1);
        // A new link-local address is a new interface: the neighbour goes.
        let other: Ipv6Addr = "fe80::9".parse().unwrap_or(Ipv6Addr::UNSPECIFIED);
        inst.handle_interface_address(t1, 1, Some(LinkAddrs::new(other, vec![net])));
        assert!(inst.neighbors(1).is_empty());
    }

    #[test]
    fn packets_round_trip_through_the_neutral_form() {
        let ll: Ipv6Addr = "fe80::2".parse().unwrap_or(Ipv6Addr::UNSPECIFIED);
        let bytes = hello(0, ll);
        let (h, p) = V3::decode(&bytes, &Auth::Null, ll, V3::ALL_SPF_ROUTERS)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((h.router_id, h.instance_id), (RouterId(2), 0));
        let again =
            V3::encode(RouterId(2), AreaId(0), 0, p, &Auth::Null, 0, ll, V3::ALL_SPF_ROUTERS);
        assert_eq!(again, bytes);
        // A checksum for other addresses does not verify.
        let other: Ipv6Addr = "fe80::3".parse().unwrap_or(Ipv6Addr::UNSPECIFIED);
        assert!(V3::decode(&bytes, &Auth::Null, other, V3::ALL_SPF_ROUTERS).is_err());
    }
}
