//! What `show bgp PREFIX` and `show ip route PREFIX` print: every path, which is best,
//! which are multipath, and for each other one the rule it lost on and the path it lost to.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use ipnet::IpNet;

use super::fib::{desired, FibRoute};
use super::other::to_route;
use super::{select, PeerId, Rib, Shared};
use crate::attrs::{self, LLGR_STALE, STALE};
use crate::decision::{self, PeerKind, Rule};
use crate::key::Addr;
use crate::route::Route;
use crate::route_attrs::PathAttrs;
use crate::table::{Pos, Table, HAS_BEST};

/// Where a path comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathSource {
    /// A BGP neighbour (or [`PeerId::LOCAL`]).
    Bgp {
        /// The neighbour.
        peer: PeerId,
        /// Its address.
        address: IpAddr,
        /// Its kind.
        kind: PeerKind,
        /// ADD-PATH path identifier (0 without).
        path_id: u32,
    },
    /// Another protocol's route.
    Route(Route),
}

/// Why a path is not the best one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lost {
    /// The step it lost on.
    pub rule: Rule,
    /// The index (in [`PrefixView::paths`]) of the path it lost to; `None` when the path
    /// cannot be used at all.
    pub to: Option<usize>,
}

/// One path to a prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathView {
    /// Where it comes from.
    pub source: PathSource,
    /// BGP attributes (`None` for other protocols).
    pub attrs: Option<PathAttrs>,
    /// BGP weight.
    pub weight: u16,
    /// The BGP next hop as received (`None` for our own routes and other protocols).
    pub next_hop: Option<IpAddr>,
    /// Whether the next hop resolves, and its interior cost.
    pub reachable: bool,
    /// Interior cost to the next hop.
    pub igp_cost: u32,
    /// The BGP best path.
    pub best: bool,
    /// In the multipath set (the best included).
    pub multipath: bool,
    /// Kept after its session went down (graceful restart), and whether long-lived.
    pub stale: bool,
    /// Long-lived stale (RFC 9494).
    pub llgr_stale: bool,
    /// Why it is not the best BGP path.
    pub lost: Option<Lost>,
    /// How long ago it arrived.
    pub age: Duration,
}

/// Everything about one prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrefixView {
    /// The prefix.
    pub prefix: IpNet,
    /// BGP paths in preference order (best first), then other protocols' routes.
    pub paths: Vec<PathView>,
    /// The forwarding route chosen now, if any.
    pub fib: Option<FibRoute>,
}

impl Rib {
    /// Every path to `prefix` with the reason each BGP path is not the best.
    pub fn get(&mut self, now: Instant, prefix: IpNet) -> Option<PrefixView> {
        let view = match prefix.trunc() {
            IpNet::V4(n) => {
                let (a, l) = crate::key::v4(&n);
                let pos = self.v4.find((a, l))?;
                view(&self.v4, &mut self.sh, pos)
            }
            IpNet::V6(n) => {
                let (a, l) = crate::key::v6(&n);
                let pos = self.v6.find((a, l))?;
                view(&self.v6, &mut self.sh, pos)
            }
        };
        let mut v = view?;
        for (p, since) in v.paths.iter_mut().zip(std::mem::take(&mut self.sh.scratch_since)) {
            p.age = self.age(now, since);
        }
        Some(v)
    }
}

impl Rib {
    /// Why the path `path_id` of `peer` to `prefix` is not the best now: the step it lost
    /// on, or why it cannot be used, as [`Rib::get`] reports it (without building the
    /// view). `None` when it is the best path or there is no such path.
    pub fn lost_on(&self, prefix: IpNet, peer: PeerId, path_id: u32) -> Option<Rule> {
        match prefix.trunc() {
            IpNet::V4(n) => lost_on(&self.v4, &self.sh, crate::key::v4(&n), (peer.0, path_id)),
            IpNet::V6(n) => lost_on(&self.v6, &self.sh, crate::key::v6(&n), (peer.0, path_id)),
        }
    }
}

fn lost_on<A: Addr>(t: &Table<A>, sh: &Shared, key: (A, u8), who: (u32, u32)) -> Option<Rule> {
    let d = t.get(t.find(key)?)?;
    let mut cands = Vec::new();
    let mut at = None;
    for p in t.paths(d).iter().filter(|p| p.is_bgp()) {
        let Some(c) = select::candidate(sh, p) else { continue };
        let src = sh.attrs.get(p.rec).and_then(|r| sh.sources.get(r.source));
        if src.is_some_and(|s| (s.peer, s.path_id) == who) {
            at = Some(cands.len());
        }
        cands.push(c);
    }
    let i = at?;
    let sel = decision::select(&cands, &sh.cfg.bestpath);
    sel.lost.get(i).copied().flatten().map(|(rule, _)| rule)
}

fn view<A: Addr>(t: &Table<A>, sh: &mut Shared, pos: Pos) -> Option<PrefixView> {
    let d = *t.get(pos)?;
    let prefix = d.addr.to_net(d.len);
    let paths = t.paths(&d);
    let bgp: Vec<_> = paths.iter().filter(|p| p.is_bgp()).copied().collect();
    let cands: Vec<_> = bgp.iter().filter_map(|p| select::candidate(sh, p)).collect();
    let cfg = sh.cfg.bestpath.clone();
    let sel = decision::select(&cands, &cfg);
    let order = decision::ranked(&cands, &cfg);
    let pos = |i: usize| order.iter().position(|&x| x == i);
    let mut out = Vec::new();
    let mut sinces = Vec::new();
    for &i in &order {
        let p = bgp[i];
        let Some(r) = sh.attrs.get(p.rec) else { continue };
        let Some(src) = sh.sources.get(r.source) else { continue };
        let Some(peer) = sh.peers.get(src.peer as usize).and_then(|x| x.as_ref()) else { continue };
        let nh = sh.nexthops.get(r.nexthop);
        let key = nh.and_then(|n| n.key);
        let best = d.flags & HAS_BEST != 0 && sel.best == Some(i);
        let lost = sel
            .lost
            .get(i)
            .copied()
            .flatten()
            .map(|(rule, to)| Lost { rule, to: to.and_then(pos) });
        out.push(PathView {
            source: PathSource::Bgp {
                peer: PeerId(src.peer),
                address: peer.cfg.address,
                kind: peer.cfg.kind,
                path_id: src.path_id,
            },
            attrs: Some(attrs::to_owned(&r.summary, sh.attrs.tlvs(r))),
            weight: r.summary.weight,
            next_hop: key.filter(|k| !k.is_local()).map(|k| k.global),
            reachable: nh.is_some_and(|n| n.res.reachable),
            igp_cost: nh.map_or(0, |n| n.res.metric),
            best,
            multipath: sel.multipath.contains(&i),
            stale: r.summary.flags & STALE != 0,
            llgr_stale: r.summary.flags & LLGR_STALE != 0,
            lost,
            age: Duration::ZERO,
        });
        sinces.push(p.since);
    }
    for p in paths.iter().filter(|p| !p.is_bgp()) {
        let Some(route) = to_route(sh, prefix, p) else { continue };
        out.push(PathView {
            source: PathSource::Route(route),
            attrs: None,
            weight: 0,
            next_hop: None,
            reachable: true,
            igp_cost: 0,
            best: false,
            multipath: false,
            stale: false,
            llgr_stale: false,
            lost: None,
            age: Duration::ZERO,
        });
        sinces.push(p.since);
    }
    let want = desired(t, sh, &d);
    let fib = sh.groups.get(want.group).map(|g| FibRoute {
        prefix,
        protocol: g.protocol,
        kind: g.kind,
        next_hops: g.hops.clone(),
    });
    want.done(sh);
    sh.scratch_since = sinces;
    Some(PrefixView { prefix, paths: out, fib })
}
