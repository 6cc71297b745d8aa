//! OSPFv2 (RFC 2328) as a [`Version`]: IPv4 addresses, the `ospf-wire` v2
//! codec with the authentication of appendix D, LS types by number, and
//! the OSPFv2 origination (`origin.rs`) and routing calculation
//! (`spf.rs`, `route.rs`).

use std::cmp::Ordering;
use std::net::Ipv4Addr;
use std::time::Instant;

use ipnet::Ipv4Net;

use crate::instance::OspfInstance;
use crate::lsa::{self, LsSeqNum, LsType, Lsa, LsaBody, LsaExt, LsaHeader, LsaKey, Options};
use crate::packet::{self as pkt, Auth, Body, PacketError, PacketHeader};
use crate::route::{LsaChange, RoutingTable};
use crate::spf::Prefix;
use crate::types::{consts, AreaId, RouterId};
use crate::version::{
    DdFields, Desired, Header, HelloFields, Key, Packet, ScopeKind, Version, WireLsa,
};

/// OSPFv2 (RFC 2328).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct V2;

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
        u16::from(self.ls_type.0)
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
        self.content_differs(other)
    }
    fn refreshed(&self, seq: LsSeqNum) -> Self {
        lsa::build(0, self.header().options, self.key(), seq, self.body().clone())
    }
}

fn to_packet(body: Body) -> Packet<V2> {
    match body {
        Body::Hello(h) => Packet::Hello(HelloFields {
            network_mask: u32::from(h.network_mask),
            interface_id: 0,
            hello_interval: h.hello_interval,
            options: u32::from(h.options.0),
            priority: h.router_priority,
            dead_interval: h.router_dead_interval,
            dr: u32::from(h.designated_router),
            bdr: u32::from(h.backup_designated_router),
            neighbors: h.neighbors,
        }),
        Body::DatabaseDescription(d) => Packet::Dd(DdFields {
            mtu: d.interface_mtu,
            options: u32::from(d.options.0),
            flags: d.flags,
            seq: d.dd_sequence_number,
            headers: d.lsa_headers,
        }),
        Body::LinkStateRequest(r) => Packet::Lsr(r.requests),
        Body::LinkStateUpdate(u) => Packet::Lsu(u.lsas),
        Body::LinkStateAck(a) => Packet::Ack(a.lsa_headers),
    }
}

fn options(o: u32) -> Options {
    Options(o.to_be_bytes()[3])
}

fn to_body(p: Packet<V2>) -> Body {
    match p {
        Packet::Hello(h) => Body::Hello(pkt::Hello {
            network_mask: Ipv4Addr::from(h.network_mask),
            hello_interval: h.hello_interval,
            options: options(h.options),
            router_priority: h.priority,
            router_dead_interval: h.dead_interval,
            designated_router: Ipv4Addr::from(h.dr),
            backup_designated_router: Ipv4Addr::from(h.bdr),
            neighbors: h.neighbors,
        }),
        Packet::Dd(d) => Body::DatabaseDescription(pkt::DatabaseDescription {
            interface_mtu: d.mtu,
            options: options(d.options),
            flags: d.flags,
            dd_sequence_number: d.seq,
            lsa_headers: d.headers,
        }),
        Packet::Lsr(requests) => Body::LinkStateRequest(pkt::LinkStateRequest { requests }),
        Packet::Lsu(lsas) => Body::LinkStateUpdate(pkt::LinkStateUpdate { lsas }),
        Packet::Ack(lsa_headers) => Body::LinkStateAck(pkt::LinkStateAck { lsa_headers }),
    }
}

impl Version for V2 {
    const NUMBER: u8 = 2;
    const PROTOCOL: rib::Protocol = rib::Protocol::Ospfv2;
    const ALL_SPF_ROUTERS: Ipv4Addr = consts::ALL_SPF_ROUTERS;
    const ALL_D_ROUTERS: Ipv4Addr = consts::ALL_D_ROUTERS;
    const IP_HEADER_LEN: usize = 20;
    const HEADER_LEN: usize = 24;
    const HELLO_FIXED: usize = 20;
    const DD_FIXED: usize = 8;
    const BY_ROUTER_ID: bool = false;

    type Addr = Ipv4Addr;
    type IfAddr = Ipv4Net;
    type LsaHeader = LsaHeader;
    type Lsa = Lsa;
    type Template = (Options, LsaBody);
    type Prefix = Prefix;
    type Table = RoutingTable;
    type LinkEnds = Ipv4Addr;

    fn unspecified() -> Ipv4Addr {
        Ipv4Addr::UNSPECIFIED
    }
    fn source(a: &Ipv4Net) -> Ipv4Addr {
        a.addr()
    }
    fn routable(a: &Ipv4Net) -> Option<Ipv4Addr> {
        Some(a.addr()).filter(|x| !x.is_unspecified())
    }
    fn mask(a: &Ipv4Net) -> u32 {
        u32::from(a.netmask())
    }
    fn addr_id(a: Ipv4Addr) -> u32 {
        u32::from(a)
    }
    fn is_local(a: &Ipv4Net, dst: Ipv4Addr) -> bool {
        !a.addr().is_unspecified() && a.addr() == dst
    }
    fn source_ok(a: &Ipv4Net, src: Ipv4Addr, broadcast: bool) -> bool {
        // §8.2: "This comparison should not be performed on point-to-point
        // networks."
        !broadcast || (u32::from(src) ^ u32::from(a.addr())) & Self::mask(a) == 0
    }

    fn scope_of(key: &LsaKey) -> Option<ScopeKind> {
        if lsa::is_as_scope(key.ls_type) {
            Some(ScopeKind::As)
        } else if matches!(key.ls_type.0, 1..=5 | 7 | 9..=11) {
            Some(ScopeKind::Area)
        } else {
            None
        }
    }
    fn type_range(first: u16, last: u16) -> std::ops::RangeInclusive<LsaKey> {
        let ty = |t: u16| LsType(u8::try_from(t).unwrap_or(u8::MAX));
        lsa::key(ty(first), 0, RouterId(0))..=lsa::key(ty(last), u32::MAX, RouterId(u32::MAX))
    }
    fn network_lsa_address(key: &LsaKey) -> Option<u32> {
        (key.ls_type == LsType::NETWORK).then(|| u32::from(key.link_state_id))
    }

    fn auth_len(auth: &Auth) -> usize {
        auth.trailer_len()
    }
    fn packet_options(external: bool, nssa: bool) -> u32 {
        match (external, nssa) {
            (true, _) => u32::from(Options::E.0),
            (false, true) => u32::from(Options::NP.0),
            (false, false) => 0,
        }
    }
    fn e_bit(o: u32) -> bool {
        options(o).contains(Options::E)
    }
    fn n_bit(o: u32) -> bool {
        options(o).contains(Options::NP)
    }

    fn instance_id(_bytes: &[u8]) -> Option<u8> {
        None
    }

    fn encode(
        router_id: RouterId,
        area_id: AreaId,
        _instance_id: u8,
        packet: Packet<Self>,
        auth: &Auth,
        crypto_seq: u32,
        _src: Ipv4Addr,
        _dst: Ipv4Addr,
    ) -> Vec<u8> {
        pkt::encode(router_id, area_id, &to_body(packet), auth, crypto_seq)
    }
    fn decode(
        bytes: &[u8],
        auth: &Auth,
        _src: Ipv4Addr,
        _dst: Ipv4Addr,
    ) -> Result<(PacketHeader, Packet<Self>), PacketError> {
        pkt::decode(bytes, auth).map(|(h, b)| (h, to_packet(b)))
    }

    fn same_content(l: &Lsa, t: &(Options, LsaBody)) -> bool {
        *l.body() == t.1 && l.header().options == t.0
    }
    fn build(key: LsaKey, seq: LsSeqNum, t: (Options, LsaBody)) -> Lsa {
        lsa::build(0, t.0, key, seq, t.1)
    }

    fn synthetic_interface_id(_: &Ipv4Addr) -> Option<u32> {
        None
    }
    fn desired_lsas(inst: &OspfInstance<Self>) -> Vec<Desired<Self>> {
        inst.desired_lsas_v2()
    }
    fn compute_table(inst: &OspfInstance<Self>, now: Instant) -> RoutingTable {
        inst.compute_full_table(now)
    }
    fn apply_changes(table: &mut RoutingTable, changes: &[LsaChange]) -> Option<Vec<Prefix>> {
        table.apply(changes).ok()
    }
    fn table_prefixes(table: &RoutingTable) -> Vec<Prefix> {
        table.routes().map(|(p, _)| p).collect()
    }
    fn rib_route(table: &RoutingTable, p: &Prefix) -> Option<rib::Route> {
        table.rib_route(p)
    }
}
