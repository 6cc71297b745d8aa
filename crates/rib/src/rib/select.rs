//! Paths in and out of a destination, and deciding again after each change.

use crate::attrs::{self, LLGR_STALE, LOOP};
use crate::decision::{self, Candidate, Rule};
use crate::key::Addr;
use crate::nexthop::NONE;
use crate::table::{
    Path, PathList, Pos, PrevBest, Table, BEST_QUEUED, FIB_QUEUED, HAS_BEST, OTHER,
};

use super::fib::desired;
use super::Shared;

/// Queues the destination at `pos` for a forwarding report, capturing its forwarding state now:
/// called before anything that may change it, once per queued report.
#[inline]
pub(crate) fn touch<A: Addr>(t: &mut Table<A>, sh: &mut Shared, pos: Pos) {
    let Some(d) = t.get(pos).copied() else { return };
    if d.flags & FIB_QUEUED != 0 || t.no_fib {
        return;
    }
    let old = desired(t, sh, &d).keep(sh);
    if let Some(d) = t.get_mut(pos) {
        d.flags |= FIB_QUEUED;
    }
    t.fib_queue.push((d.key(), pos, old));
}

/// Counts a BGP path added (`delta` 1) or removed (-1) for its neighbour, per family.
#[inline]
fn count<A: Addr>(sh: &mut Shared, rec: u32, delta: i32) {
    let peer = sh.attrs.get(rec).and_then(|r| sh.sources.get(r.source)).map(|s| s.peer);
    if let Some(c) = peer.and_then(|p| sh.counts.get_mut(p as usize)) {
        let i = usize::from(A::BITS != 32);
        c[i] = c[i].saturating_add_signed(delta);
    }
}

/// Adds or replaces the path of `rec`'s source at `pos`; `rec` holds one
/// reference for it. `false` when the destination already has `max` paths. `eligible`:
/// whether `rec` can be used (its next hop resolves, it does not loop), known to the caller
/// once for all the routes of a message.
#[allow(clippy::too_many_arguments)]
pub(crate) fn put_bgp<A: Addr>(
    t: &mut Table<A>,
    sh: &mut Shared,
    pos: Pos,
    rec: u32,
    since: u32,
    max: u16,
    eligible: bool,
) -> bool {
    let Some(d) = t.get(pos).copied() else { return false };
    let new = Path { rec, since };
    if d.npaths == 0 {
        // The common case of a first announcement: one path, best if usable.
        let queue = d.flags & FIB_QUEUED == 0 && !t.no_fib;
        if queue {
            t.fib_queue.push((d.key(), pos, NONE));
        }
        if let Some(x) = t.get_mut(pos) {
            x.one = new;
            x.npaths = 1;
            if queue {
                x.flags |= FIB_QUEUED;
            }
            if eligible {
                x.flags |= HAS_BEST;
            }
        }
        if eligible || d.flags & HAS_BEST != 0 {
            t.queue_best(pos, None);
        }
        count::<A>(sh, rec, 1);
        return true;
    }
    let Some(source) = sh.attrs.get(rec).map(|r| r.source) else { return false };
    let same = |sh: &Shared, p: &Path| {
        p.is_bgp() && sh.attrs.get(p.rec).is_some_and(|r| r.source == source)
    };
    if !(d.npaths == 1 && d.one.rec == rec) {
        touch(t, sh, pos);
    }
    let before = before(t, sh, &d);
    match d.npaths {
        0 => {}
        1 if same(sh, &d.one) => {
            if d.one.rec == rec {
                // The same attributes again: nothing changes, not even the path's age.
                release_rec(sh, rec);
                return true;
            }
            if let Some(d) = t.get_mut(pos) {
                d.one = new;
            }
            release_rec(sh, d.one.rec);
        }
        1 => {
            if max < 2 {
                release_rec(sh, rec);
                return false;
            }
            let lid = t.lists.insert(PathList { nmulti: 0, paths: vec![d.one, new] });
            if let Some(d) = t.get_mut(pos) {
                d.one = Path { rec: lid, since: 0 };
                d.npaths = 2;
            }
            count::<A>(sh, rec, 1);
        }
        _ => {
            let Some(list) = t.lists.get_mut(d.one.rec) else { return false };
            match list.paths.iter().position(|p| same(sh, p)) {
                Some(i) => {
                    let old = list.paths[i];
                    if old.rec == rec {
                        release_rec(sh, rec);
                        return true;
                    }
                    list.paths[i] = new;
                    release_rec(sh, old.rec);
                }
                None if list.paths.len() >= usize::from(max) => {
                    release_rec(sh, rec);
                    return false;
                }
                None => {
                    list.paths.push(new);
                    let n = list.paths.len() as u16;
                    if let Some(d) = t.get_mut(pos) {
                        d.npaths = n;
                    }
                    count::<A>(sh, rec, 1);
                }
            }
        }
    }
    reselect_from(t, sh, pos, before);
    true
}

/// Adds or replaces a path to another protocol's route (`OTHER | route id`), replacing a
/// path for which `same` holds. Returns the replaced path.
pub(crate) fn put_other<A: Addr>(
    t: &mut Table<A>,
    sh: &mut Shared,
    pos: Pos,
    path: Path,
    same: impl Fn(&Shared, &Path) -> bool,
) -> Option<Path> {
    touch(t, sh, pos);
    let d = t.get(pos).copied()?;
    let before = before(t, sh, &d);
    let mut old = None;
    match d.npaths {
        0 => {
            if let Some(d) = t.get_mut(pos) {
                d.one = path;
                d.npaths = 1;
            }
        }
        1 if same(sh, &d.one) => {
            old = Some(d.one);
            if let Some(d) = t.get_mut(pos) {
                d.one = path;
            }
        }
        1 => {
            let lid = t.lists.insert(PathList { nmulti: 0, paths: vec![d.one, path] });
            if let Some(d) = t.get_mut(pos) {
                d.one = Path { rec: lid, since: 0 };
                d.npaths = 2;
            }
        }
        _ => {
            let list = t.lists.get_mut(d.one.rec)?;
            match list.paths.iter().position(|p| same(sh, p)) {
                Some(i) => old = Some(std::mem::replace(&mut list.paths[i], path)),
                None => {
                    list.paths.push(path);
                    let n = list.paths.len() as u16;
                    if let Some(d) = t.get_mut(pos) {
                        d.npaths = n;
                    }
                }
            }
        }
    }
    reselect_from(t, sh, pos, before);
    old
}

/// Removes the paths of the destination at `pos` for which `dead` holds, releasing BGP records
/// (other protocols' routes are freed by the caller); returns how many.
pub(crate) fn remove_paths<A: Addr>(
    t: &mut Table<A>,
    sh: &mut Shared,
    pos: Pos,
    dead: impl Fn(&Shared, &Path) -> bool,
) -> usize {
    let Some(d) = t.get(pos).copied() else { return 0 };
    if !t.paths(&d).iter().any(|p| dead(sh, p)) {
        return 0;
    }
    touch(t, sh, pos);
    let before = before(t, sh, &d);
    let mut gone: Vec<Path> = Vec::new();
    match d.npaths {
        0 => {}
        1 => {
            if dead(sh, &d.one) {
                gone.push(d.one);
                if let Some(d) = t.get_mut(pos) {
                    d.npaths = 0;
                    d.one = Path::default();
                    d.flags &= !HAS_BEST;
                }
            }
        }
        _ => {
            let Some(list) = t.lists.get_mut(d.one.rec) else { return 0 };
            list.paths.retain(|p| {
                let x = dead(sh, p);
                if x {
                    gone.push(*p);
                }
                !x
            });
            let n = list.paths.len();
            if n <= 1 {
                let last = list.paths.first().copied();
                t.lists.remove(d.one.rec);
                if let Some(d) = t.get_mut(pos) {
                    d.npaths = n as u16;
                    d.one = last.unwrap_or_default();
                }
            } else if let Some(d) = t.get_mut(pos) {
                d.npaths = n as u16;
            }
        }
    }
    if gone.is_empty() {
        return 0;
    }
    for p in &gone {
        if p.is_bgp() {
            count::<A>(sh, p.rec, -1);
            release_rec(sh, p.rec);
        }
    }
    // The destination stays, even empty, until its queued reports are polled (a delete to
    // the FIB, a withdrawal of the best path).
    reselect_from(t, sh, pos, before);
    gone.len()
}

/// [`remove_paths`] over every destination of a table.
pub(crate) fn remove_where<A: Addr>(
    t: &mut Table<A>,
    sh: &mut Shared,
    dead: impl Fn(&Shared, &Path) -> bool,
) -> usize {
    let mut n = 0;
    t.walk(|t, pos| {
        let hit = t.get(pos).is_some_and(|d| t.paths(d).iter().any(|p| dead(sh, p)));
        if hit {
            n += remove_paths(t, sh, pos, &dead);
        }
    });
    n
}

/// Decides again every destination holding a path for which `uses` holds.
pub(crate) fn reselect_where<A: Addr>(
    t: &mut Table<A>,
    sh: &mut Shared,
    uses: impl Fn(&Path) -> bool,
) {
    t.walk(|t, pos| {
        if t.get(pos).is_some_and(|d| t.paths(d).iter().any(&uses)) {
            reselect(t, sh, pos);
        }
    });
}

/// Points the paths using a record of `map` at its replacement (which gets their
/// references) and decides their destinations again; returns how many paths changed.
pub(crate) fn replace_records<A: Addr, S: std::hash::BuildHasher>(
    t: &mut Table<A>,
    sh: &mut Shared,
    map: &hashbrown::HashMap<u32, u32, S>,
) -> usize {
    if map.is_empty() {
        return 0;
    }
    let mut n = 0;
    t.walk(|t, pos| {
        let Some(d) = t.get(pos).copied() else { return };
        let hit = |p: &Path| p.is_bgp() && map.contains_key(&p.rec);
        if !t.paths(&d).iter().any(hit) {
            return;
        }
        touch(t, sh, pos);
        let before = before(t, sh, &d);
        let mut swapped: Vec<(u32, u32)> = Vec::new();
        let mut swap = |p: &mut Path| {
            if let Some(&new) = map.get(&p.rec).filter(|_| p.is_bgp()) {
                swapped.push((p.rec, new));
                p.rec = new;
            }
        };
        if d.npaths == 1 {
            if let Some(x) = t.get_mut(pos) {
                swap(&mut x.one);
            }
        } else if let Some(list) = t.lists.get_mut(d.one.rec) {
            list.paths.iter_mut().for_each(swap);
        }
        for (old, new) in swapped {
            sh.attrs.add_ref(new);
            release_rec(sh, old);
            n += 1;
        }
        reselect_from(t, sh, pos, before);
    });
    n
}

/// Drops a reference to a record; when it was the last, releases its next hop (and that
/// next hop's forwarding group) and its source.
pub(crate) fn release_rec(sh: &mut Shared, rec: u32) {
    let Some(r) = sh.attrs.release(rec) else { return };
    if let Some(group) = sh.nexthops.release(r.nexthop) {
        if group != NONE {
            sh.groups.release(group);
        }
    }
    if let Some(s) = sh.sources.get_mut(r.source) {
        s.refs = s.refs.saturating_sub(1);
        if s.refs == 0 {
            let s = *s;
            sh.source_index.remove(&(s.peer, s.path_id));
            sh.sources.remove(r.source);
        }
    }
}

/// Why a record cannot be used, if it cannot.
#[inline]
pub(crate) fn ineligible(sh: &Shared, rec: u32) -> Option<Rule> {
    let r = sh.attrs.get(rec)?;
    if !sh.nexthops.get(r.nexthop).is_some_and(|n| n.res.reachable) {
        return Some(Rule::NextHopUnreachable);
    }
    if r.summary.flags & LOOP == 0 {
        return None;
    }
    // Tell a route leak from a loop, for `show`.
    let peer = sh.sources.get(r.source).and_then(|s| sh.peers.get(s.peer as usize)?.as_ref());
    match peer {
        Some(p) if super::ingest::leaks(&p.cfg, sh.attrs.tlvs(r)) => Some(Rule::RouteLeak),
        _ => Some(Rule::AsLoop),
    }
}

/// What the decision process reads of a BGP path.
pub(crate) fn candidate(sh: &Shared, p: &Path) -> Option<Candidate> {
    let r = sh.attrs.get(p.rec)?;
    let src = sh.sources.get(r.source)?;
    let peer = sh.peers.get(src.peer as usize)?.as_ref()?;
    let nh = sh.nexthops.get(r.nexthop)?;
    let scan = attrs::scan(sh.attrs.tlvs(r));
    let s = &r.summary;
    Some(Candidate {
        ineligible: ineligible(sh, p.rec),
        llgr_stale: s.flags & LLGR_STALE != 0,
        weight: s.weight,
        local_pref: s.local_pref(),
        kind: peer.cfg.kind,
        as_path_len: s.path_len,
        origin: s.origin,
        med: s.med(),
        neighbor_as: scan.first_as.unwrap_or(0),
        igp_cost: nh.res.metric,
        since: p.since,
        router_id: scan.originator_id.unwrap_or(u32::from(peer.cfg.router_id)),
        cluster_list_len: scan.cluster_list_len,
        peer_addr: peer.cfg.address,
        path_id: src.path_id,
    })
}

/// Runs the decision process for the destination at `pos` and queues what changed: the best path
/// (or multipath set) for [`super::Rib::poll_best`], and the forwarding state for
/// [`super::Rib::poll_fib`] (which reports only a real change).
pub(crate) fn reselect<A: Addr>(t: &mut Table<A>, sh: &mut Shared, pos: Pos) {
    let Some(d) = t.get(pos).copied() else { return };
    let before = before(t, sh, &d);
    reselect_from(t, sh, pos, before);
}

/// [`reselect`] after the paths changed, with what the best path was before.
fn reselect_from<A: Addr>(t: &mut Table<A>, sh: &mut Shared, pos: Pos, before: Before) {
    touch(t, sh, pos);
    let Some(d) = t.get(pos).copied() else { return };
    match d.npaths {
        0 => set_flag(t, pos, false),
        1 => {
            let best = d.one.is_bgp() && ineligible(sh, d.one.rec).is_none();
            set_flag(t, pos, best);
        }
        _ => select_list(t, sh, pos, d.one.rec),
    }
    let after = t.get(pos).map(|d| signature(t, d));
    if after != Some(before.sig) {
        t.queue_best(pos, before.prev);
    }
}

fn set_flag<A: Addr>(t: &mut Table<A>, pos: Pos, best: bool) {
    if let Some(d) = t.get_mut(pos) {
        if best {
            d.flags |= HAS_BEST;
        } else {
            d.flags &= !HAS_BEST;
        }
    }
}

/// What a best-path report depends on: the best record, the size of the multipath set
/// and (hashed) its other records. The best record and the count are exact, so a change of
/// best path is never missed; only two different sets of other multipath members with the
/// same 64-bit hash would look alike.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Signature {
    best: Option<u32>,
    nmulti: u16,
    others: u64,
}

/// The best path before a change: its signature, and (when no report is queued yet, so
/// this is the state the next report is measured from) its neighbour and path identifier.
#[derive(Clone, Copy)]
pub(crate) struct Before {
    sig: Signature,
    prev: PrevBest,
}

fn before<A: Addr>(t: &Table<A>, sh: &Shared, d: &crate::table::Dest<A>) -> Before {
    let sig = signature(t, d);
    let prev = match sig.best {
        Some(rec) if d.flags & BEST_QUEUED == 0 => {
            sh.attrs.get(rec).and_then(|r| sh.sources.get(r.source)).map(|s| (s.peer, s.path_id))
        }
        _ => None,
    };
    Before { sig, prev }
}

fn signature<A: Addr>(t: &Table<A>, d: &crate::table::Dest<A>) -> Signature {
    let none = Signature { best: None, nmulti: 0, others: 0 };
    if d.flags & HAS_BEST == 0 {
        return none;
    }
    if d.npaths == 1 {
        return Signature { best: Some(d.one.rec), nmulti: 1, others: 0 };
    }
    let Some(list) = t.lists.get(d.one.rec) else { return none };
    let n = usize::from(list.nmulti.max(1));
    // A lone best path signs as it does inline (a second path that does not join the
    // multipath set is no best-path change).
    let mut others = 0;
    for p in list.paths.iter().take(n).skip(1) {
        others = crate::key::mix64(others ^ 0x9e37_79b9_7f4a_7c15 ^ u64::from(p.rec));
    }
    Signature { best: list.paths.first().map(|p| p.rec), nmulti: n as u16, others }
}

fn select_list<A: Addr>(t: &mut Table<A>, sh: &mut Shared, pos: Pos, lid: u32) {
    let Some(list) = t.lists.get_mut(lid) else { return };
    let mut cands = std::mem::take(&mut sh.cands);
    cands.clear();
    // Positions of the BGP paths in the list, parallel to `cands`.
    let mut at: Vec<usize> = Vec::with_capacity(list.paths.len());
    for (i, p) in list.paths.iter().enumerate() {
        if p.rec & OTHER != 0 {
            continue;
        }
        if let Some(c) = candidate(sh, p) {
            cands.push(c);
            at.push(i);
        }
    }
    let sel = decision::select(&cands, &sh.cfg.bestpath);
    let order: Vec<usize> = sel.multipath.iter().map(|&i| at[i]).collect();
    // Best and multipath first, the rest in their order.
    let mut paths = Vec::with_capacity(list.paths.len());
    paths.extend(order.iter().map(|&i| list.paths[i]));
    paths
        .extend(list.paths.iter().enumerate().filter(|(i, _)| !order.contains(i)).map(|(_, p)| *p));
    list.paths = paths;
    list.nmulti = order.len() as u16;
    sh.cands = cands;
    set_flag(t, pos, sel.best.is_some());
}
