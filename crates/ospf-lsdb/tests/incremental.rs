//! Incremental routing table updates agree with the full calculation after
//! random sequences of changes (stub links, summary-LSAs, AS-external-LSAs,
//! and topology changes that force a full run).

use std::sync::Arc;
use std::time::Instant;

use std::net::Ipv4Addr;

use ospf_lsdb::lsa::{
    self, AsExternalLsa, LsSeqNum, LsType, Lsa, LsaBody, LsaKey, Options, RouterFlags, RouterLink,
    RouterLinkType, RouterLsa, SummaryLsa,
};
use ospf_lsdb::lsdb::Lsdb;
use ospf_lsdb::rng::SplitMix64;
use ospf_lsdb::route::{AreaInput, LsaChange, OspfRoute, RoutingTable};
use ospf_lsdb::spf::{Prefix, RootInterface};
use ospf_lsdb::{AreaId, RouterId};

const AREA: AreaId = AreaId(0);

struct World {
    rng: SplitMix64,
    area: Lsdb,
    as_db: Lsdb,
    n: u32,
    seq: i32,
    now: Instant,
    ifaces: Vec<RootInterface>,
}

fn rid(i: u32) -> RouterId {
    RouterId(0x0a00_0000 + i + 1)
}

fn router(flags: RouterFlags, links: Vec<RouterLink>) -> LsaBody {
    LsaBody::Router(RouterLsa { flags, reserved: 0, links })
}

fn addr(a: u32, b: u32) -> u32 {
    0xac10_0000 + (a.min(b) << 8) + (a.max(b) << 1) + u32::from(a > b)
}

impl World {
    fn key(ty: LsType, id: u32, adv: RouterId) -> LsaKey {
        lsa::key(ty, id, adv)
    }

    fn lsa(&mut self, key: LsaKey, body: LsaBody) -> Arc<Lsa> {
        self.seq += 1;
        Arc::new(lsa::build(0, Options::E, key, LsSeqNum(self.seq), body))
    }

    fn new(seed: u64) -> Self {
        let mut rng = SplitMix64::new(seed);
        let n = 4 + rng.below(12) as u32;
        let mut w = World {
            rng,
            area: Lsdb::new(),
            as_db: Lsdb::new(),
            n,
            seq: i32::MIN + 1,
            now: Instant::now(),
            ifaces: Vec::new(),
        };
        // Random connected graph: a spanning chain plus extra edges, with
        // small costs so that ties (ECMP) are frequent.
        let mut edges: Vec<(u32, u32, u16)> = Vec::new();
        for i in 1..n {
            let j = w.rng.below(u64::from(i)) as u32;
            edges.push((i, j, 1 + w.rng.below(3) as u16));
        }
        for _ in 0..n / 2 {
            let a = w.rng.below(u64::from(n)) as u32;
            let b = w.rng.below(u64::from(n)) as u32;
            if a != b && !edges.iter().any(|e| (e.0, e.1) == (a, b) || (e.0, e.1) == (b, a)) {
                edges.push((a, b, 1 + w.rng.below(3) as u16));
            }
        }
        for i in 0..n {
            let mut links = Vec::new();
            for &(a, b, c) in &edges {
                let other = if a == i {
                    b
                } else if b == i {
                    a
                } else {
                    continue;
                };
                links.push(lsa::link(
                    RouterLinkType::POINT_TO_POINT,
                    rid(other).0,
                    addr(i, other),
                    c,
                ));
                if i == 0 {
                    w.ifaces.push(RootInterface {
                        ifindex: other + 1,
                        addr: addr(i, other),
                        mask: 0xffff_fffc,
                    });
                }
            }
            links.extend(w.random_stubs());
            let flags =
                if w.rng.below(3) == 0 { RouterFlags::B | RouterFlags::E } else { RouterFlags(0) };
            let l = w.lsa(Self::key(LsType::ROUTER, rid(i).0, rid(i)), router(flags, links));
            w.area.install(l, w.now);
        }
        w
    }

    fn random_stubs(&mut self) -> Vec<RouterLink> {
        // Prefixes from a small pool so that several routers share some.
        (0..self.rng.below(4))
            .map(|_| {
                let id = 0xc0a8_0000 + ((self.rng.below(12) as u32) << 8);
                lsa::link(RouterLinkType::STUB, id, 0xffff_ff00, 1 + self.rng.below(4) as u16)
            })
            .collect()
    }

    fn router_body(&self, i: u32) -> Option<(RouterFlags, Vec<RouterLink>)> {
        let e = self.area.get(&Self::key(LsType::ROUTER, rid(i).0, rid(i)))?;
        match e.lsa.body() {
            LsaBody::Router(r) => Some((r.flags, r.links.clone())),
            _ => None,
        }
    }

    fn install(&mut self, scope: Option<AreaId>, new: Option<Arc<Lsa>>, key: LsaKey) -> LsaChange {
        let db = if scope.is_some() { &mut self.area } else { &mut self.as_db };
        let old = db.get(&key).map(|e| e.lsa.clone());
        match &new {
            Some(l) => {
                db.install(l.clone(), self.now);
            }
            None => {
                db.remove(&key);
            }
        }
        LsaChange { area: scope, old, new }
    }

    /// One random change; returns it.
    fn change(&mut self) -> LsaChange {
        let r = self.rng.below(self.n as u64) as u32;
        match self.rng.below(10) {
            // Stub links of a router (the root included).
            0..=3 => {
                let (flags, links) = self.router_body(r).unwrap_or_default();
                let mut links: Vec<RouterLink> =
                    links.into_iter().filter(|l| l.link_type != RouterLinkType::STUB).collect();
                links.extend(self.random_stubs());
                let key = Self::key(LsType::ROUTER, rid(r).0, rid(r));
                let l = self.lsa(key, router(flags, links));
                self.install(Some(AREA), Some(l), key)
            }
            // A summary-LSA from a random router (possibly not an ABR).
            4..=5 => {
                let id = 0x0b00_0000 + ((self.rng.below(6) as u32) << 16);
                let key = Self::key(LsType::SUMMARY_NETWORK, id, rid(r));
                let new = (self.rng.below(4) != 0).then(|| {
                    let metric = if self.rng.below(8) == 0 {
                        0x00ff_ffff
                    } else {
                        self.rng.below(20) as u32
                    };
                    LsaBody::SummaryNetwork(SummaryLsa {
                        network_mask: Ipv4Addr::new(255, 255, 0, 0),
                        tos0: 0,
                        metric,
                        tos_metrics: vec![],
                    })
                });
                let new = new.map(|b| self.lsa(key, b));
                self.install(Some(AREA), new, key)
            }
            // An AS-external-LSA, sometimes with a forwarding address or
            // for a prefix also reachable inside the area.
            6..=8 => {
                let id = if self.rng.below(5) == 0 {
                    0xc0a8_0000 + ((self.rng.below(12) as u32) << 8)
                } else {
                    0x0c00_0000 + ((self.rng.below(6) as u32) << 8)
                };
                let key = Self::key(LsType::AS_EXTERNAL, id, rid(r));
                let new = (self.rng.below(4) != 0).then(|| {
                    let forwarding = match self.rng.below(4) {
                        0 => 0xc0a8_0001 + ((self.rng.below(12) as u32) << 8),
                        1 => 0x0909_0909,
                        _ => 0,
                    };
                    LsaBody::AsExternal(AsExternalLsa {
                        network_mask: Ipv4Addr::new(255, 255, 255, 0),
                        e_bit: self.rng.below(2) == 0,
                        tos0: 0,
                        metric: self.rng.below(30) as u32,
                        forwarding_address: Ipv4Addr::from(forwarding),
                        external_route_tag: self.rng.below(3) as u32,
                        tos_metrics: vec![],
                    })
                });
                let new = new.map(|b| self.lsa(key, b));
                self.install(None, new, key)
            }
            // A topology change: a link metric.
            _ => {
                let (flags, mut links) = self.router_body(r).unwrap_or_default();
                let p2p = |l: &&mut RouterLink| l.link_type == RouterLinkType::POINT_TO_POINT;
                if let Some(l) = links.iter_mut().find(p2p) {
                    l.metric = 1 + self.rng.below(3) as u16;
                }
                let key = Self::key(LsType::ROUTER, rid(r).0, rid(r));
                let l = self.lsa(key, router(flags, links));
                self.install(Some(AREA), Some(l), key)
            }
        }
    }

    fn full(&self) -> RoutingTable {
        let inputs = [AreaInput { area: AREA, lsdb: &self.area, interfaces: &self.ifaces }];
        RoutingTable::compute(rid(0), &inputs, &self.as_db, self.now)
    }
}

fn snapshot(t: &RoutingTable) -> (Vec<(Prefix, OspfRoute)>, Vec<String>) {
    let routes = t.routes().map(|(p, r)| (p, r.clone())).collect();
    let routers = t.router_routes().iter().map(|(k, v)| format!("{k} {v:?}")).collect();
    (routes, routers)
}

#[test]
fn incremental_equals_full_after_random_changes() {
    let (mut incremental_runs, mut full_runs) = (0, 0);
    for seed in 0..300u64 {
        let mut w = World::new(seed);
        let mut table = w.full();
        for step in 0..25 {
            let batch: Vec<LsaChange> = (0..1 + w.rng.below(3)).map(|_| w.change()).collect();
            match table.apply(&batch) {
                Ok(_) => incremental_runs += 1,
                Err(_) => {
                    full_runs += 1;
                    table = w.full();
                }
            }
            let reference = w.full();
            assert_eq!(
                snapshot(&table),
                snapshot(&reference),
                "seed {seed} step {step}: incremental and full differ"
            );
        }
    }
    // Both paths were exercised.
    assert!(incremental_runs > 1000, "{incremental_runs}");
    assert!(full_runs > 100, "{full_runs}");
}
