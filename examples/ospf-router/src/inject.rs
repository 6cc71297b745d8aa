//! `--inject-topology N`: act as one OSPF neighbour on a point-to-point
//! link and hand the peer (FRR ospfd in the lab) the synthetic area of
//! [`crate::topology`] through an ordinary database exchange, so the peer's
//! SPF runs over `N + 2` routers. Used by `scripts/lab/frr-spf-bench.sh`
//! to read FRR's SPF duration on the benchmark's topology.
//!
//! The exchange is the slave side of RFC 2328 §10.6/§10.8 only: the peer
//! must have the higher router ID (it becomes master). Every LSA the peer
//! sends is acknowledged; nothing is retransmitted (the lab link is a
//! veth). After the exchange, the first synthetic router's LSA is
//! re-originated every `refresh` seconds with one stub cost toggled, so the
//! peer runs SPF again over the complete database.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use ipnet::Ipv4Net;
use ospf_wire::v2::{
    Authentication, DatabaseDescription, DdFlags, Hello, LinkStateAck, LinkStateUpdate, Lsa,
    LsaFields, LsaHeader, LsaKey, Options, Packet, PacketBody, RouterLink, RouterLinkType,
    RouterLsa,
};
use ospf_wire::{AreaId, LsSeqNum, RouterId};

use crate::topology::{self, SynthLink};

/// OSPF header (24) plus the DD fixed part (8).
const DD_OVERHEAD: usize = 32;
/// IPv4 header without options.
const IP_HEADER: usize = 20;

/// Where the neighbour is in the exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Its Hello seen, our ID not yet in it.
    Init,
    /// Two-way; waiting for the master's first DD.
    TwoWay,
    /// Exchanging DD packets as slave.
    Exchange,
    /// Both sides sent their last DD.
    Done,
}

#[derive(Debug)]
struct Neighbour {
    router_id: RouterId,
    phase: Phase,
    dd_seq: u32,
    next_header: usize,
    last_dd: Option<Packet>,
}

/// The injecting neighbour, without I/O: packets in, packets out.
#[derive(Debug)]
pub struct Injector {
    me: RouterId,
    area: AreaId,
    addr: Ipv4Net,
    mtu: u16,
    hello_interval: u16,
    dead_interval: u32,
    topo: Vec<Vec<SynthLink>>,
    lsas: Vec<Lsa>,
    index: HashMap<LsaKey, usize>,
    nbr: Option<Neighbour>,
    refreshes: u32,
}

impl Injector {
    /// An injector for `n` synthetic routers from `seed`, on an interface
    /// with address `addr` and MTU `mtu`, in `area`.
    #[must_use]
    pub fn new(n: u32, seed: u64, addr: Ipv4Net, mtu: u16, area: AreaId) -> Self {
        Self {
            me: RouterId::from(topology::router_id(0)),
            area,
            addr,
            mtu,
            hello_interval: 10,
            dead_interval: 40,
            topo: topology::build(n, seed),
            lsas: Vec::new(),
            index: HashMap::new(),
            nbr: None,
            refreshes: 0,
        }
    }

    /// Sets the Hello and Dead intervals (they must match the peer's).
    pub fn set_intervals(&mut self, hello: u16, dead: u32) {
        self.hello_interval = hello;
        self.dead_interval = dead;
    }

    /// The neighbour's phase, if one was heard.
    #[must_use]
    pub fn phase(&self) -> Option<Phase> {
        self.nbr.as_ref().map(|n| n.phase)
    }

    /// Number of LSAs offered (synthetic routers).
    #[must_use]
    pub fn lsa_count(&self) -> usize {
        self.lsas.len()
    }

    /// HelloInterval.
    #[must_use]
    pub fn hello_interval(&self) -> Duration {
        Duration::from_secs(u64::from(self.hello_interval))
    }

    fn packet(&self, body: PacketBody) -> Packet {
        Packet {
            router_id: self.me,
            area_id: self.area,
            authentication: Authentication::NULL,
            body,
        }
    }

    /// Our Hello.
    #[must_use]
    pub fn hello(&self) -> Packet {
        self.packet(PacketBody::Hello(Hello {
            network_mask: self.addr.netmask(),
            hello_interval: self.hello_interval,
            options: Options::E,
            router_priority: 0,
            router_dead_interval: self.dead_interval,
            designated_router: Ipv4Addr::UNSPECIFIED,
            backup_designated_router: Ipv4Addr::UNSPECIFIED,
            neighbors: self.nbr.iter().map(|n| n.router_id).collect(),
        }))
    }

    /// The router-LSAs of the synthetic routers; router 0 (us) also has a
    /// point-to-point link to `peer` and the stub of our subnet.
    fn build_lsas(&mut self, peer: RouterId, seq: LsSeqNum, toggle: bool) {
        let mut lsas = Vec::with_capacity(self.topo.len());
        for (i, links) in (0u32..).zip(&self.topo) {
            let mut out: Vec<RouterLink> = Vec::with_capacity(links.len() + 2);
            if i == 0 {
                out.push(link(peer.to_ipv4(), self.addr.addr(), RouterLinkType::POINT_TO_POINT, 1));
                out.push(link(self.addr.network(), self.addr.netmask(), RouterLinkType::STUB, 1));
            }
            for l in links {
                out.push(match *l {
                    SynthLink::PointToPoint { to, addr, cost } => {
                        link(topology::router_id(to), addr, RouterLinkType::POINT_TO_POINT, cost)
                    }
                    SynthLink::Stub { net, cost } => {
                        let cost =
                            if i == 0 && toggle && net.octets()[3] == 0 { cost + 1 } else { cost };
                        link(net, Ipv4Addr::new(255, 255, 255, 0), RouterLinkType::STUB, cost)
                    }
                });
            }
            let rid = topology::router_id(i);
            let fields = LsaFields {
                ls_age: 0,
                options: Options::E,
                link_state_id: rid,
                advertising_router: RouterId::from(rid),
                ls_sequence_number: if i == 0 { seq } else { LsSeqNum::INITIAL },
            };
            lsas.push(RouterLsa { links: out, ..RouterLsa::default() }.to_lsa(fields));
        }
        self.index = lsas.iter().enumerate().map(|(k, l)| (l.header().key(), k)).collect();
        self.lsas = lsas;
    }

    /// Handles a packet from `src`; returns the packets to send and their
    /// destinations.
    pub fn handle(&mut self, src: Ipv4Addr, p: &Packet) -> Vec<(Ipv4Addr, Packet)> {
        if p.area_id != self.area || p.router_id == self.me {
            return Vec::new();
        }
        match &p.body {
            PacketBody::Hello(h) => self.on_hello(p.router_id, h),
            PacketBody::DatabaseDescription(dd) => self.on_dd(src, p.router_id, dd),
            PacketBody::LinkStateRequest(lsr) => {
                let wanted: Vec<Lsa> = lsr
                    .requests
                    .iter()
                    .filter_map(|k| self.index.get(k).and_then(|&i| self.lsas.get(i)).cloned())
                    .collect();
                self.updates(src, wanted)
            }
            PacketBody::LinkStateUpdate(u) => {
                // Acknowledge everything (RFC 2328 §13.5, direct ack).
                let lsa_headers: Vec<LsaHeader> = u.lsas.iter().map(|l| *l.header()).collect();
                let ack = self.packet(PacketBody::LinkStateAck(LinkStateAck { lsa_headers }));
                vec![(crate::ALL_SPF_ROUTERS, ack)]
            }
            PacketBody::LinkStateAck(_) => Vec::new(),
        }
    }

    fn on_hello(&mut self, from: RouterId, h: &Hello) -> Vec<(Ipv4Addr, Packet)> {
        let two_way = h.neighbors.contains(&self.me);
        let first = self.nbr.is_none();
        let nbr = self.nbr.get_or_insert(Neighbour {
            router_id: from,
            phase: Phase::Init,
            dd_seq: 0,
            next_header: 0,
            last_dd: None,
        });
        if nbr.router_id != from {
            tracing::warn!(%from, "a second neighbour is ignored");
            return Vec::new();
        }
        if two_way && nbr.phase == Phase::Init {
            nbr.phase = Phase::TwoWay;
            tracing::info!(neighbour = %from, "2-Way");
        }
        if first {
            // Answer at once so the peer sees two-way without waiting a
            // HelloInterval.
            vec![(crate::ALL_SPF_ROUTERS, self.hello())]
        } else {
            Vec::new()
        }
    }

    fn on_dd(
        &mut self,
        src: Ipv4Addr,
        from: RouterId,
        dd: &DatabaseDescription,
    ) -> Vec<(Ipv4Addr, Packet)> {
        let Some(nbr) = self.nbr.as_ref() else { return Vec::new() };
        if nbr.router_id != from {
            return Vec::new();
        }
        let (phase, seq) = (nbr.phase, nbr.dd_seq);
        let init = dd.flags.contains(DdFlags::I) && dd.flags.contains(DdFlags::MS);
        match phase {
            Phase::Init => Vec::new(),
            Phase::TwoWay if init => {
                if from.0 < self.me.0 {
                    tracing::error!(%from, "the peer's router ID is lower than ours: it would be slave, unsupported");
                    return Vec::new();
                }
                // §10.6 ExStart: "the router is now Slave. Set the DD
                // sequence number to that specified by the master".
                self.build_lsas(from, LsSeqNum::INITIAL, false);
                if let Some(n) = self.nbr.as_mut() {
                    n.phase = Phase::Exchange;
                    n.dd_seq = dd.dd_sequence_number;
                }
                tracing::info!(neighbour = %from, lsas = self.lsas.len(), "Exchange as slave");
                self.next_dd(src, dd.dd_sequence_number, dd.flags.contains(DdFlags::M))
            }
            Phase::TwoWay => Vec::new(),
            Phase::Exchange | Phase::Done if dd.dd_sequence_number == seq => {
                // A duplicate from the master: "the slave ... should
                // respond by retransmitting the last Database Description
                // packet that it had sent" (§10.8).
                let last = self.nbr.as_ref().and_then(|n| n.last_dd.clone());
                last.map(|p| vec![(src, p)]).unwrap_or_default()
            }
            Phase::Exchange if dd.dd_sequence_number == seq.wrapping_add(1) && !init => {
                if let Some(n) = self.nbr.as_mut() {
                    n.dd_seq = dd.dd_sequence_number;
                }
                self.next_dd(src, dd.dd_sequence_number, dd.flags.contains(DdFlags::M))
            }
            _ => Vec::new(),
        }
    }

    /// Our next DD as slave, echoing the master's sequence number.
    fn next_dd(&mut self, src: Ipv4Addr, seq: u32, master_more: bool) -> Vec<(Ipv4Addr, Packet)> {
        let per_packet =
            (usize::from(self.mtu).saturating_sub(IP_HEADER + DD_OVERHEAD) / 20).max(1);
        let start = self.nbr.as_ref().map_or(0, |n| n.next_header);
        let end = (start + per_packet).min(self.lsas.len());
        let lsa_headers: Vec<LsaHeader> =
            self.lsas.get(start..end).unwrap_or_default().iter().map(|l| *l.header()).collect();
        let more = end < self.lsas.len();
        let p = self.packet(PacketBody::DatabaseDescription(DatabaseDescription {
            interface_mtu: self.mtu,
            options: Options::E,
            flags: if more { DdFlags::M } else { DdFlags(0) },
            dd_sequence_number: seq,
            lsa_headers,
        }));
        if let Some(n) = self.nbr.as_mut() {
            n.next_header = end;
            n.last_dd = Some(p.clone());
            if !more && !master_more {
                n.phase = Phase::Done;
                tracing::info!(neighbour = %n.router_id, "database description done");
            }
        }
        vec![(src, p)]
    }

    fn updates(&self, dst: Ipv4Addr, lsas: Vec<Lsa>) -> Vec<(Ipv4Addr, Packet)> {
        let max = usize::from(self.mtu).saturating_sub(IP_HEADER);
        LinkStateUpdate::pack(lsas, max)
            .into_iter()
            .map(|u| (dst, self.packet(PacketBody::LinkStateUpdate(u))))
            .collect()
    }

    /// Re-originates router 0's LSA with a new sequence number and one stub
    /// cost toggled; returns the update to flood.
    pub fn refresh(&mut self) -> Vec<(Ipv4Addr, Packet)> {
        let Some(peer) = self.nbr.as_ref().filter(|n| n.phase == Phase::Done).map(|n| n.router_id)
        else {
            return Vec::new();
        };
        self.refreshes += 1;
        let seq = LsSeqNum(LsSeqNum::INITIAL.0.wrapping_add(self.refreshes as i32));
        self.build_lsas(peer, seq, self.refreshes % 2 == 1);
        let first = self.lsas.first().cloned().into_iter().collect();
        self.updates(crate::ALL_SPF_ROUTERS, first)
    }
}

fn link(id: Ipv4Addr, data: Ipv4Addr, ty: RouterLinkType, metric: u16) -> RouterLink {
    RouterLink { link_id: id, link_data: data, link_type: ty, metric, tos_metrics: Vec::new() }
}

/// Runs the injector on interface `iface` until SIGINT or SIGTERM,
/// printing a JSON line when the exchange is done and on each refresh.
///
/// # Errors
///
/// Interface or socket errors.
pub async fn run(
    iface: &str,
    n: u32,
    seed: u64,
    area: AreaId,
    intervals: (u16, u32),
    refresh: Duration,
) -> Result<(), Box<dyn std::error::Error>> {
    let state = ospf_tokio::iface::discover(iface)?;
    let addr = *state.addrs.first().ok_or_else(|| format!("{iface} has no IPv4 address"))?;
    let mtu = u16::try_from(state.mtu).unwrap_or(u16::MAX);
    let sock = ospf_tokio::socket::OspfSocket::open(iface, state.ifindex)?;
    let mut inj = Injector::new(n, seed, addr, mtu, area);
    inj.set_intervals(intervals.0, intervals.1);
    let mut hello = tokio::time::interval(inj.hello_interval());
    let mut refresh_timer = tokio::time::interval(refresh);
    refresh_timer.tick().await;
    let mut reported = false;
    let started = Instant::now();
    let mut buf = bytes::BytesMut::new();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    loop {
        let out = tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(()),
            _ = term.recv() => return Ok(()),
            _ = hello.tick() => vec![(crate::ALL_SPF_ROUTERS, inj.hello())],
            _ = refresh_timer.tick() => {
                let out = inj.refresh();
                if !out.is_empty() {
                    println!("{}", serde_json::json!({"inject": "refresh", "routers": n + 1}));
                }
                out
            }
            d = sock.recv(&mut buf) => {
                let d = d?;
                match ospf_tokio::ipv4::parse(&d.bytes) {
                    Ok(ip) => match Packet::decode(d.bytes.slice_ref(ip.payload)) {
                        Ok(p) => inj.handle(ip.src, &p),
                        Err(e) => { tracing::debug!(%e, "undecodable packet"); Vec::new() }
                    },
                    Err(e) => { tracing::debug!(%e, "bad datagram"); Vec::new() }
                }
            }
        };
        for (dst, p) in out {
            sock.send(dst, &p.to_bytes()).await?;
        }
        if !reported && inj.phase() == Some(Phase::Done) {
            reported = true;
            println!(
                "{}",
                serde_json::json!({"inject": "exchanged", "lsas": inj.lsa_count(),
                    "after_ms": started.elapsed().as_millis() as u64})
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer_hello(from: u32, nbrs: Vec<RouterId>) -> Packet {
        Packet {
            router_id: RouterId(from),
            area_id: AreaId(0),
            authentication: Authentication::NULL,
            body: PacketBody::Hello(Hello {
                network_mask: Ipv4Addr::new(255, 255, 255, 252),
                hello_interval: 10,
                options: Options::E,
                router_priority: 1,
                router_dead_interval: 40,
                designated_router: Ipv4Addr::UNSPECIFIED,
                backup_designated_router: Ipv4Addr::UNSPECIFIED,
                neighbors: nbrs,
            }),
        }
    }

    fn master_dd(from: u32, flags: u8, seq: u32) -> Packet {
        Packet {
            router_id: RouterId(from),
            area_id: AreaId(0),
            authentication: Authentication::NULL,
            body: PacketBody::DatabaseDescription(DatabaseDescription {
                interface_mtu: 1500,
                options: Options::E,
                flags: DdFlags(flags),
                dd_sequence_number: seq,
                lsa_headers: vec![],
            }),
        }
    }

    fn dd_of(p: &Packet) -> &DatabaseDescription {
        match &p.body {
            PacketBody::DatabaseDescription(d) => d,
            other => panic!("not a DD: {other:?}"),
        }
    }

    #[test]
    fn slave_exchange_offers_every_router_and_answers_requests() {
        let peer = 0x0a00_00fe;
        let src = Ipv4Addr::new(10, 255, 0, 2);
        let mut inj = Injector::new(200, 7, "10.255.0.1/30".parse().unwrap(), 1500, AreaId(0));
        let me = RouterId::from(topology::router_id(0));
        assert_eq!(inj.handle(src, &peer_hello(peer, vec![])).len(), 1);
        assert_eq!(inj.phase(), Some(Phase::Init));
        let _ = inj.handle(src, &peer_hello(peer, vec![me]));
        assert_eq!(inj.phase(), Some(Phase::TwoWay));
        // Master's initial DD: I|M|MS.
        let out = inj.handle(src, &master_dd(peer, 0x07, 5000));
        let mut offered = dd_of(&out[0].1).lsa_headers.clone();
        assert_eq!(dd_of(&out[0].1).dd_sequence_number, 5000);
        assert_eq!(dd_of(&out[0].1).flags, DdFlags::M);
        // A duplicate gets the same answer.
        assert_eq!(inj.handle(src, &master_dd(peer, 0x07, 5000)), out);
        let mut seq = 5000;
        while inj.phase() != Some(Phase::Done) {
            seq += 1;
            let out = inj.handle(src, &master_dd(peer, 0x01, seq));
            assert_eq!(out.len(), 1, "one DD per master DD");
            offered.extend(dd_of(&out[0].1).lsa_headers.iter().copied());
            assert!(seq < 5100, "the exchange ends");
        }
        assert_eq!(offered.len(), 200);
        // Every LSA offered can be requested and arrives intact.
        let requests: Vec<LsaKey> = offered.iter().map(LsaHeader::key).collect();
        let lsr = Packet {
            router_id: RouterId(peer),
            area_id: AreaId(0),
            authentication: Authentication::NULL,
            body: PacketBody::LinkStateRequest(ospf_wire::v2::LinkStateRequest { requests }),
        };
        let mut got = 0;
        for (dst, p) in inj.handle(src, &lsr) {
            assert_eq!(dst, src);
            let bytes = p.to_bytes().freeze();
            assert!(bytes.len() <= 1480);
            let PacketBody::LinkStateUpdate(u) = Packet::decode(bytes).unwrap().body else {
                panic!()
            };
            for l in &u.lsas {
                assert!(l.checksum_ok());
            }
            got += u.lsas.len();
        }
        assert_eq!(got, 200);
        // Router 0 links to the peer.
        let r0 = inj.lsas[0].body().clone();
        let ospf_wire::v2::LsaBody::Router(r) = r0 else { panic!() };
        assert_eq!(r.links[0].link_id, RouterId(peer).to_ipv4());
        assert_eq!(r.links[0].link_data, Ipv4Addr::new(10, 255, 0, 1));
        // A refresh bumps the sequence number of router 0 only.
        let upd = inj.refresh();
        let PacketBody::LinkStateUpdate(u) = &upd[0].1.body else { panic!() };
        assert_eq!(u.lsas.len(), 1);
        assert_eq!(u.lsas[0].header().ls_sequence_number, LsSeqNum(LsSeqNum::INITIAL.0 + 1));
    }

    #[test]
    fn lower_peer_id_is_refused() {
        let src = Ipv4Addr::new(10, 255, 0, 2);
        let mut inj = Injector::new(10, 7, "10.255.0.1/30".parse().unwrap(), 1500, AreaId(0));
        let me = RouterId::from(topology::router_id(0));
        let _ = inj.handle(src, &peer_hello(1, vec![me]));
        assert!(inj.handle(src, &master_dd(1, 0x07, 1)).is_empty());
        assert_eq!(inj.phase(), Some(Phase::TwoWay));
    }

    #[test]
    fn updates_are_acknowledged() {
        let mut inj = Injector::new(3, 7, "10.255.0.1/30".parse().unwrap(), 1500, AreaId(0));
        inj.build_lsas(RouterId(0x0a00_00fe), LsSeqNum::INITIAL, false);
        let lsa = inj.lsas[1].clone();
        let upd = Packet {
            router_id: RouterId(0x0a00_00fe),
            area_id: AreaId(0),
            authentication: Authentication::NULL,
            body: PacketBody::LinkStateUpdate(LinkStateUpdate { lsas: vec![lsa.clone()] }),
        };
        let out = inj.handle(Ipv4Addr::new(10, 255, 0, 2), &upd);
        let PacketBody::LinkStateAck(a) = &out[0].1.body else { panic!() };
        assert_eq!(a.lsa_headers, vec![*lsa.header()]);
    }
}
