//! The forwarding table as a stream of changes, and the best-path reports.

use std::net::IpAddr;
use std::sync::Arc;

use ipnet::IpNet;

use super::other::best_other;
use super::{BestChange, PeerId, Rib, Selected, Shared};
use crate::attrs::{INTERNAL, LOCAL};
use crate::key::Addr;
use crate::nexthop::NONE;
use crate::route::{NextHop, Protocol, RouteKind};
use crate::table::{Dest, Table, BEST_QUEUED, FIB_QUEUED, HAS_BEST};

/// A route in the forwarding table.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FibRoute {
    /// The destination.
    pub prefix: IpNet,
    /// The protocol of the route chosen by administrative distance.
    pub protocol: Protocol,
    /// Forward, blackhole or reject.
    pub kind: RouteKind,
    /// Every next hop (ECMP), sorted; empty for blackhole and reject routes.
    pub next_hops: Arc<[NextHop]>,
}

/// A change to the forwarding table, to apply in order.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum FibChange {
    /// Install a route for a prefix that had none.
    Add(FibRoute),
    /// Replace the prefix's route with this one (full next-hop set).
    Replace(FibRoute),
    /// Remove the prefix's route (the route removed).
    Delete(FibRoute),
}

impl FibChange {
    /// The route the change carries.
    pub fn route(&self) -> &FibRoute {
        match self {
            FibChange::Add(r) | FibChange::Replace(r) | FibChange::Delete(r) => r,
        }
    }
}

/// The forwarding group a destination should have now, or `NONE`, and whether it was made
/// for this call (a multipath set), in which case it holds a reference the caller releases
/// ([`Want::done`]); otherwise no reference is taken. Across protocols the lowest
/// administrative distance wins (ties: the protocol order connected, static, kernel, OSPF,
/// BGP, then the lower metric). Our own BGP routes are never installed.
pub(crate) fn desired<A: Addr>(t: &Table<A>, sh: &mut Shared, d: &Dest<A>) -> Want {
    if d.npaths == 0 {
        return Want { group: NONE, owned: false };
    }
    let bgp = bgp_candidate(t, sh, d);
    let other = best_other(t, sh, d).map(|o| (o.distance, o.group));
    match (bgp, other) {
        (Some((bd, bg, owned)), Some((od, og))) => {
            if bd < od {
                return Want { group: bg, owned };
            }
            if owned {
                sh.groups.release(bg);
            }
            Want { group: og, owned: false }
        }
        (Some((_, bg, owned)), None) => Want { group: bg, owned },
        (None, Some((_, og))) => Want { group: og, owned: false },
        (None, None) => Want { group: NONE, owned: false },
    }
}

/// See [`desired`].
#[derive(Clone, Copy)]
pub(crate) struct Want {
    pub group: u32,
    owned: bool,
}

impl Want {
    /// The group with a reference for the caller to keep.
    pub fn keep(self, sh: &mut Shared) -> u32 {
        if !self.owned && self.group != NONE {
            sh.groups.add_ref(self.group);
        }
        self.group
    }

    /// Done with it: releases the reference of a group made for the call.
    pub fn done(self, sh: &mut Shared) {
        if self.owned {
            sh.groups.release(self.group);
        }
    }
}

/// The BGP route's distance and group; `owned` when the group was interned for this call
/// (a multipath union) and already holds the caller's reference.
fn bgp_candidate<A: Addr>(t: &Table<A>, sh: &mut Shared, d: &Dest<A>) -> Option<(u8, u32, bool)> {
    if d.flags & HAS_BEST == 0 {
        return None;
    }
    let paths = t.paths(d);
    let best = paths.first()?;
    let r = sh.attrs.get(best.rec)?;
    let f = r.summary.flags;
    if f & LOCAL != 0 {
        return None;
    }
    let distance = if f & INTERNAL != 0 { sh.cfg.distance.ibgp } else { sh.cfg.distance.ebgp };
    let nmulti = match d.npaths {
        1 => 1,
        _ => t.lists.get(d.one.rec).map_or(1, |l| usize::from(l.nmulti.max(1))),
    };
    let group_of = |sh: &Shared, rec: u32| -> u32 {
        sh.attrs.get(rec).and_then(|r| sh.nexthops.get(r.nexthop)).map_or(NONE, |n| n.res.group)
    };
    if nmulti == 1 {
        let g = group_of(sh, best.rec);
        return (g != NONE).then_some((distance, g, false));
    }
    let mut all: Vec<NextHop> = Vec::new();
    for p in paths.iter().take(nmulti) {
        if let Some(g) = sh.groups.get(group_of(sh, p.rec)) {
            all.extend(g.hops.iter().copied());
        }
    }
    if all.is_empty() {
        return None;
    }
    Some((distance, sh.groups.intern_hops(Protocol::Bgp, RouteKind::Unicast, all), true))
}

fn fib_route(sh: &Shared, prefix: IpNet, group: u32) -> Option<FibRoute> {
    let g = sh.groups.get(group)?;
    Some(FibRoute { prefix, protocol: g.protocol, kind: g.kind, next_hops: g.hops.clone() })
}

/// Takes the next forwarding change of one table: the destination's state now against the
/// state captured when it was queued.
fn next_fib<A: Addr>(t: &mut Table<A>, sh: &mut Shared) -> Option<Option<FibChange>> {
    let (key, hint, old) = t.fib_queue.pop()?;
    let Some(pos) = t.find_hinted(key, hint) else { return Some(None) };
    let Some(d) = t.get(pos).copied() else { return Some(None) };
    if let Some(x) = t.get_mut(pos) {
        x.flags &= !FIB_QUEUED;
    }
    let want = desired(t, sh, &d);
    let now = want.group;
    let change = if now == old {
        None
    } else {
        let prefix = d.addr.to_net(d.len);
        match (old, now) {
            (NONE, n) => fib_route(sh, prefix, n).map(FibChange::Add),
            (o, NONE) => fib_route(sh, prefix, o).map(FibChange::Delete),
            (_, n) => fib_route(sh, prefix, n).map(FibChange::Replace),
        }
    };
    if old != NONE {
        sh.groups.release(old);
    }
    want.done(sh);
    if d.npaths == 0 && d.flags & BEST_QUEUED == 0 {
        t.note_empty();
    }
    Some(change)
}

fn next_best<A: Addr>(t: &mut Table<A>, sh: &Shared) -> Option<Option<BestChange>> {
    let (key, hint, prev) = t.best_queue.pop()?;
    let Some(pos) = t.find_hinted(key, hint) else { return Some(None) };
    let Some(d) = t.get(pos).copied() else { return Some(None) };
    if let Some(d) = t.get_mut(pos) {
        d.flags &= !BEST_QUEUED;
    }
    let prefix = d.addr.to_net(d.len);
    let best = (d.flags & HAS_BEST != 0).then(|| selected(t, sh, &d)).flatten();
    if d.npaths == 0 && d.flags & FIB_QUEUED == 0 {
        t.note_empty();
    }
    let previous = prev.map(|(peer, path_id)| (PeerId(peer), path_id));
    Some(Some(BestChange { prefix, best, previous }))
}

fn selected<A: Addr>(t: &Table<A>, sh: &Shared, d: &Dest<A>) -> Option<Selected> {
    let p = t.paths(d).first()?;
    let r = sh.attrs.get(p.rec)?;
    let src = sh.sources.get(r.source)?;
    let multipath = match d.npaths {
        1 => 1,
        _ => t.lists.get(d.one.rec).map_or(1, |l| l.nmulti.max(1)),
    };
    Some(Selected {
        peer: PeerId(src.peer),
        path_id: src.path_id,
        attrs: super::AttrId(p.rec),
        multipath,
    })
}

impl Rib {
    /// The next change to the forwarding table, IPv4 first. Changes are coalesced per
    /// prefix: what is reported is the prefix's state now, compared with what was last
    /// reported for it (nothing when they are the same), so applying every change in order
    /// reproduces [`Rib::fib`].
    #[must_use]
    pub fn poll_fib(&mut self) -> Option<FibChange> {
        loop {
            let next = match next_fib(&mut self.v4, &mut self.sh) {
                Some(c) => c,
                None => next_fib(&mut self.v6, &mut self.sh)?,
            };
            if next.is_some() {
                return next;
            }
        }
    }

    /// The next prefix whose best path (or multipath set) changed, IPv4 first; coalesced
    /// per prefix like [`Rib::poll_fib`].
    #[must_use]
    pub fn poll_best(&mut self) -> Option<BestChange> {
        loop {
            let next = match next_best(&mut self.v4, &self.sh) {
                Some(c) => c,
                None => next_best(&mut self.v6, &self.sh)?,
            };
            if next.is_some() {
                return next;
            }
        }
    }

    /// Calls `f` with every prefix that has a best path, and that path (what a speaker
    /// advertises to a neighbour that has just come up), IPv4 first, in prefix order.
    pub fn for_each_best(&self, mut f: impl FnMut(IpNet, Selected)) {
        fn go<A: Addr>(t: &Table<A>, sh: &Shared, f: &mut impl FnMut(IpNet, Selected)) {
            for d in t.iter().filter(|d| d.flags & HAS_BEST != 0) {
                if let Some(s) = selected(t, sh, d) {
                    f(d.prefix(), s);
                }
            }
        }
        go(&self.v4, &self.sh, &mut f);
        go(&self.v6, &self.sh, &mut f);
    }

    /// The best path of `prefix` now, if it has one.
    pub fn best(&self, prefix: IpNet) -> Option<Selected> {
        fn go<A: Addr>(t: &Table<A>, sh: &Shared, key: (A, u8)) -> Option<Selected> {
            let d = t.get(t.find(key)?)?;
            (d.flags & HAS_BEST != 0).then(|| selected(t, sh, d)).flatten()
        }
        match prefix.trunc() {
            IpNet::V4(n) => go(&self.v4, &self.sh, crate::key::v4(&n)),
            IpNet::V6(n) => go(&self.v6, &self.sh, crate::key::v6(&n)),
        }
    }

    /// The multipath set of `prefix` now, best first, each with the size of the set in
    /// [`Selected::multipath`]; empty when the prefix has no best path. What a speaker
    /// advertises with ADD-PATH (RFC 7911) when it sends every path it forwards on.
    pub fn multipath(&self, prefix: IpNet) -> Vec<Selected> {
        fn go<A: Addr>(t: &Table<A>, sh: &Shared, key: (A, u8)) -> Vec<Selected> {
            let Some(d) = t.find(key).and_then(|pos| t.get(pos)) else { return Vec::new() };
            if d.flags & HAS_BEST == 0 {
                return Vec::new();
            }
            let n = match d.npaths {
                1 => 1,
                _ => t.lists.get(d.one.rec).map_or(1, |l| l.nmulti.max(1)),
            };
            t.paths(d)
                .iter()
                .take(usize::from(n))
                .filter_map(|p| {
                    let src = sh.sources.get(sh.attrs.get(p.rec)?.source)?;
                    Some(Selected {
                        peer: PeerId(src.peer),
                        path_id: src.path_id,
                        attrs: super::AttrId(p.rec),
                        multipath: n,
                    })
                })
                .collect()
        }
        match prefix.trunc() {
            IpNet::V4(n) => go(&self.v4, &self.sh, crate::key::v4(&n)),
            IpNet::V6(n) => go(&self.v6, &self.sh, crate::key::v6(&n)),
        }
    }

    /// Whether forwarding or best-path changes are waiting to be polled.
    pub fn has_pending(&self) -> bool {
        !(self.v4.fib_queue.is_empty()
            && self.v6.fib_queue.is_empty()
            && self.v4.best_queue.is_empty()
            && self.v6.best_queue.is_empty())
    }

    /// The whole forwarding table as it is now: what applying every change
    /// [`Rib::poll_fib`] reports, in order, to an empty table gives (a full dump, for an
    /// adapter that starts over).
    pub fn fib(&mut self) -> Vec<FibRoute> {
        fn dump<A: Addr>(t: &Table<A>, sh: &mut Shared, out: &mut Vec<FibRoute>) {
            for d in t.iter() {
                if d.npaths == 0 {
                    continue;
                }
                let want = desired(t, sh, d);
                if want.group != NONE {
                    out.extend(fib_route(sh, d.addr.to_net(d.len), want.group));
                }
                want.done(sh);
            }
        }
        let mut out = Vec::new();
        dump(&self.v4, &mut self.sh, &mut out);
        dump(&self.v6, &mut self.sh, &mut out);
        out
    }

    /// Whether `prefix` has any path.
    pub fn contains(&self, prefix: IpNet) -> bool {
        fn live<A: Addr>(t: &Table<A>, a: A, l: u8) -> bool {
            t.find((a, l)).and_then(|pos| t.get(pos)).is_some_and(|d| d.npaths > 0)
        }
        match prefix.trunc() {
            IpNet::V4(n) => {
                let (a, l) = crate::key::v4(&n);
                live(&self.v4, a, l)
            }
            IpNet::V6(n) => {
                let (a, l) = crate::key::v6(&n);
                live(&self.v6, a, l)
            }
        }
    }

    /// The longest prefix holding `addr` that has any path (`show ip route ADDR`).
    pub fn longest_match(&self, addr: IpAddr) -> Option<IpNet> {
        fn go<A: Addr>(t: &Table<A>, a: A) -> Option<IpNet> {
            let live = |pos| t.get(pos).is_some_and(|d| d.npaths > 0);
            t.get(t.longest_match(a, A::BITS, live)?).map(Dest::prefix)
        }
        match addr {
            IpAddr::V4(a) => go(&self.v4, u32::from(a)),
            IpAddr::V6(a) => go(&self.v6, u128::from(a)),
        }
    }

    /// The forwarding route `addr` would take now: the longest prefix with a route to
    /// install (whether or not it has been polled yet).
    pub fn route_to(&mut self, addr: IpAddr) -> Option<FibRoute> {
        fn go<A: Addr>(t: &Table<A>, sh: &mut Shared, a: A) -> Option<FibRoute> {
            let mut found = None;
            t.longest_match(a, A::BITS, |pos| {
                let Some(d) = t.get(pos) else { return false };
                let want = desired(t, sh, d);
                found = fib_route(sh, d.addr.to_net(d.len), want.group);
                want.done(sh);
                found.is_some()
            })?;
            found
        }
        match addr {
            IpAddr::V4(a) => go(&self.v4, &mut self.sh, u32::from(a)),
            IpAddr::V6(a) => go(&self.v6, &mut self.sh, u128::from(a)),
        }
    }
}
