//! The BGP decision process (RFC 4271 §9.1.2.2), with the steps every major implementation
//! adds, each a named [`Rule`].
//!
//! Where FRR and BIRD differ, this follows FRR 8.4 (`bgp_path_info_cmp`):
//! - a missing MED is 0 (RFC 4271 §9.1.2.2 (c): "the lowest possible MULTI_EXIT_DISC value
//!   MUST be assumed"), or the worst with `med_missing_as_worst`;
//! - `deterministic_med` is on by default (FRR's default since 7.4; BIRD's is off): paths
//!   are grouped by neighbouring AS, the best of each group is found with MED, and group
//!   winners are compared without it. With it, and with `always_compare_med`, the order is
//!   a strict weak order and the result does not depend on the order paths arrived in;
//! - the oldest of two eBGP paths wins after the IGP cost (RFC 5004), unless
//!   `compare_router_id` (BIRD has no such step and compares router ids directly);
//! - ORIGINATOR_ID stands for the router id when present (RFC 4456 §9), then the shorter
//!   CLUSTER_LIST, then the lower neighbour address.

use std::cmp::Ordering;
use std::fmt;
use std::net::IpAddr;

/// One step of the decision process, in the order they are applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Rule {
    /// RFC 4271 §9.1.2: "If the NEXT_HOP attribute of a BGP route depicts an address that is
    /// not resolvable ... the BGP route MUST be excluded from the Phase 2 decision function."
    NextHopUnreachable,
    /// RFC 4271 §9.1.2: a route whose AS_PATH contains our AS (beyond `allowas-in`), or
    /// RFC 4456 §8 our router id as ORIGINATOR_ID or our cluster id in CLUSTER_LIST.
    AsLoop,
    /// RFC 9234 §5: a route with Only to Customer received from a customer or route-server
    /// client is a route leak and "MUST be considered ineligible".
    RouteLeak,
    /// RFC 9494 §4.3: a long-lived stale route is less preferred than any other.
    LlgrStale,
    /// Higher weight (local to this router).
    Weight,
    /// Higher LOCAL_PREF (RFC 4271 §9.1.1).
    LocalPref,
    /// A locally originated route (announced, redistributed, aggregated).
    LocallyOriginated,
    /// Shorter AS_PATH (RFC 4271 §9.1.2.2 (a)).
    AsPathLength,
    /// Lower ORIGIN (RFC 4271 §9.1.2.2 (b)).
    Origin,
    /// Lower MULTI_EXIT_DISC, between routes from the same neighbouring AS
    /// (RFC 4271 §9.1.2.2 (c)).
    Med,
    /// An external route over an internal one (RFC 4271 §9.1.2.2 (d)).
    PeerType,
    /// Lower interior cost to the next hop (RFC 4271 §9.1.2.2 (e)).
    IgpCost,
    /// The older of two external routes (RFC 5004).
    Oldest,
    /// Lower BGP identifier, or ORIGINATOR_ID when present (RFC 4271 §9.1.2.2 (f),
    /// RFC 4456 §9).
    RouterId,
    /// Shorter CLUSTER_LIST (RFC 4456 §9).
    ClusterListLength,
    /// Lower neighbour address (RFC 4271 §9.1.2.2 (g)).
    NeighborAddress,
    /// Lower ADD-PATH path identifier, between paths from one neighbour (RFC 7911).
    PathId,
}

impl Rule {
    /// FRR's wording, as `show bgp` prints the reason for a best path.
    pub fn describe(self) -> &'static str {
        match self {
            Rule::NextHopUnreachable => "next hop unreachable",
            Rule::AsLoop => "AS path loop",
            Rule::RouteLeak => "route leak (OTC)",
            Rule::LlgrStale => "long-lived stale",
            Rule::Weight => "weight",
            Rule::LocalPref => "local preference",
            Rule::LocallyOriginated => "locally originated",
            Rule::AsPathLength => "AS path length",
            Rule::Origin => "origin",
            Rule::Med => "MED",
            Rule::PeerType => "eBGP over iBGP",
            Rule::IgpCost => "IGP metric",
            Rule::Oldest => "older path",
            Rule::RouterId => "router ID",
            Rule::ClusterListLength => "cluster list length",
            Rule::NeighborAddress => "neighbor address",
            Rule::PathId => "path ID",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// How the path's neighbour relates to us.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum PeerKind {
    /// External BGP.
    External,
    /// A peer in another member AS of our confederation (RFC 5065): internal for the
    /// decision process, as FRR treats it.
    ConfedExternal,
    /// Internal BGP.
    Internal,
    /// Ourselves: announced by the application, redistributed or aggregated.
    Local,
}

/// Options of the decision process.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BestPathConfig {
    /// `bgp bestpath as-path ignore`: skip the AS_PATH length step.
    pub as_path_ignore: bool,
    /// `bgp bestpath as-path multipath-relax`: paths from different neighbouring ASes may
    /// share the multipath set when their AS_PATH lengths are equal.
    pub multipath_relax: bool,
    /// `bgp always-compare-med`: compare MED between every pair of paths.
    pub always_compare_med: bool,
    /// `bgp deterministic-med` (default on, as FRR).
    pub deterministic_med: bool,
    /// `bgp bestpath med missing-as-worst`: a missing MED is the worst value, not 0.
    pub med_missing_as_worst: bool,
    /// `bgp bestpath compare-routerid`: skip the oldest-path step.
    pub compare_router_id: bool,
    /// LOCAL_PREF assumed when a path has none (`bgp default local-preference`, 100).
    pub default_local_pref: u32,
    /// `maximum-paths` for external paths (1 = no multipath, at most 256).
    pub maximum_paths_ebgp: u16,
    /// `maximum-paths ibgp` (1 = no multipath, at most 256).
    pub maximum_paths_ibgp: u16,
}

impl Default for BestPathConfig {
    fn default() -> Self {
        BestPathConfig {
            as_path_ignore: false,
            multipath_relax: false,
            always_compare_med: false,
            deterministic_med: true,
            med_missing_as_worst: false,
            compare_router_id: false,
            default_local_pref: 100,
            maximum_paths_ebgp: 1,
            maximum_paths_ibgp: 1,
        }
    }
}

/// What the decision process reads of one path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// `Some(rule)` when the path cannot be used at all (next hop unreachable, loop).
    pub ineligible: Option<Rule>,
    /// Long-lived stale (RFC 9494).
    pub llgr_stale: bool,
    /// Weight.
    pub weight: u16,
    /// LOCAL_PREF, if present.
    pub local_pref: Option<u32>,
    /// The neighbour kind.
    pub kind: PeerKind,
    /// AS_PATH length as the RFC counts it.
    pub as_path_len: u16,
    /// ORIGIN value (0 IGP, 1 EGP, 2 INCOMPLETE).
    pub origin: u8,
    /// MULTI_EXIT_DISC, if present.
    pub med: Option<u32>,
    /// The neighbouring AS for MED comparison: the first AS of the AS_PATH, or our own AS
    /// for a path with none.
    pub neighbor_as: u32,
    /// Interior cost to the next hop.
    pub igp_cost: u32,
    /// When the path was received (seconds on the table's clock); lower is older.
    pub since: u32,
    /// The neighbour's BGP identifier, or ORIGINATOR_ID when present.
    pub router_id: u32,
    /// CLUSTER_LIST length.
    pub cluster_list_len: u16,
    /// The neighbour's address.
    pub peer_addr: IpAddr,
    /// The ADD-PATH path identifier (0 without ADD-PATH).
    pub path_id: u32,
}

fn prefer<T: Ord>(a: T, b: T, rule: Rule, higher_better: bool) -> Option<(Ordering, Rule)> {
    let o = if higher_better { b.cmp(&a) } else { a.cmp(&b) };
    (o != Ordering::Equal).then_some((o, rule))
}

/// `Less` when `a` is preferred, with the step that decided; `Equal` only for identical
/// paths. `med` says whether the MED step applies to this pair.
fn compare_with(a: &Candidate, b: &Candidate, cfg: &BestPathConfig, med: bool) -> (Ordering, Rule) {
    macro_rules! step {
        ($e:expr) => {
            if let Some(r) = $e {
                return r;
            }
        };
    }
    step!(prefer(a.llgr_stale, b.llgr_stale, Rule::LlgrStale, false));
    step!(prefer(a.weight, b.weight, Rule::Weight, true));
    let lp = |c: &Candidate| c.local_pref.unwrap_or(cfg.default_local_pref);
    step!(prefer(lp(a), lp(b), Rule::LocalPref, true));
    let local = |c: &Candidate| c.kind == PeerKind::Local;
    step!(prefer(local(a), local(b), Rule::LocallyOriginated, true));
    if !cfg.as_path_ignore {
        step!(prefer(a.as_path_len, b.as_path_len, Rule::AsPathLength, false));
    }
    step!(prefer(a.origin, b.origin, Rule::Origin, false));
    if med {
        let m =
            |c: &Candidate| c.med.unwrap_or(if cfg.med_missing_as_worst { u32::MAX } else { 0 });
        step!(prefer(m(a), m(b), Rule::Med, false));
    }
    let external = |c: &Candidate| c.kind == PeerKind::External;
    step!(prefer(external(a), external(b), Rule::PeerType, true));
    step!(prefer(a.igp_cost, b.igp_cost, Rule::IgpCost, false));
    if !cfg.compare_router_id && external(a) && external(b) {
        step!(prefer(a.since, b.since, Rule::Oldest, false));
    }
    step!(prefer(a.router_id, b.router_id, Rule::RouterId, false));
    step!(prefer(a.cluster_list_len, b.cluster_list_len, Rule::ClusterListLength, false));
    step!(prefer(a.peer_addr, b.peer_addr, Rule::NeighborAddress, false));
    step!(prefer(a.path_id, b.path_id, Rule::PathId, false));
    (Ordering::Equal, Rule::PathId)
}

/// Whether the MED step compares this pair (RFC 4271 §9.1.2.2 (c)).
fn med_applies(a: &Candidate, b: &Candidate, cfg: &BestPathConfig) -> bool {
    cfg.always_compare_med || a.neighbor_as == b.neighbor_as
}

/// Compares two eligible paths: `Less` when `a` is preferred, with the deciding rule.
pub fn compare(a: &Candidate, b: &Candidate, cfg: &BestPathConfig) -> (Ordering, Rule) {
    compare_with(a, b, cfg, med_applies(a, b, cfg))
}

/// The outcome for a set of paths.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// Index of the best path, if any path is eligible.
    pub best: Option<usize>,
    /// Indices of the multipath set, best first; empty without a best.
    pub multipath: Vec<usize>,
    /// For every path that is not best: the rule it lost on and the index of the path it
    /// lost to (`None` for an ineligible path).
    pub lost: Vec<Option<(Rule, Option<usize>)>>,
}

/// Runs the decision process over `paths` (in arrival order, which matters only when
/// neither `deterministic_med` nor `always_compare_med` is set).
pub fn select(paths: &[Candidate], cfg: &BestPathConfig) -> Selection {
    let mut lost: Vec<Option<(Rule, Option<usize>)>> = vec![None; paths.len()];
    let eligible: Vec<usize> =
        (0..paths.len()).filter(|&i| paths[i].ineligible.is_none()).collect();
    for (i, p) in paths.iter().enumerate() {
        if let Some(r) = p.ineligible {
            lost[i] = Some((r, None));
        }
    }
    let Some(best) = best_of(paths, &eligible, cfg, &mut lost) else {
        return Selection { best: None, multipath: Vec::new(), lost };
    };
    lost[best] = None;
    let multipath = multipath(paths, &eligible, best, cfg);
    Selection { best: Some(best), multipath, lost }
}

fn best_of(
    paths: &[Candidate],
    eligible: &[usize],
    cfg: &BestPathConfig,
    lost: &mut [Option<(Rule, Option<usize>)>],
) -> Option<usize> {
    let mut set = |loser: usize, rule: Rule, winner: usize| {
        if let Some(l) = lost.get_mut(loser) {
            *l = Some((rule, Some(winner)));
        }
    };
    let &first = eligible.first()?;
    if cfg.always_compare_med || !cfg.deterministic_med {
        // A running fold: a strict weak order with always-compare-med; order-dependent
        // otherwise, as RFC 4271 §9.1.2.2 warns for MED.
        let mut best = first;
        for &i in &eligible[1..] {
            if compare(&paths[i], &paths[best], cfg).0 == Ordering::Less {
                best = i;
            }
        }
        for &i in eligible {
            if i != best {
                set(i, compare(&paths[i], &paths[best], cfg).1, best);
            }
        }
        return Some(best);
    }
    // Deterministic MED: the best of each neighbouring AS with MED, then the group winners
    // without it.
    let mut winners: Vec<usize> = Vec::new();
    for &i in eligible {
        match winners.iter_mut().find(|w| paths[**w].neighbor_as == paths[i].neighbor_as) {
            Some(w) => {
                if compare_with(&paths[i], &paths[*w], cfg, true).0 == Ordering::Less {
                    *w = i;
                }
            }
            None => winners.push(i),
        }
    }
    let mut best = *winners.first()?;
    for &w in &winners[1..] {
        if compare_with(&paths[w], &paths[best], cfg, false).0 == Ordering::Less {
            best = w;
        }
    }
    for &i in eligible {
        if i == best {
            continue;
        }
        let w = winners
            .iter()
            .copied()
            .find(|w| paths[*w].neighbor_as == paths[i].neighbor_as)
            .unwrap_or(best);
        if w == i {
            set(i, compare_with(&paths[i], &paths[best], cfg, false).1, best);
        } else {
            set(i, compare_with(&paths[i], &paths[w], cfg, true).1, w);
        }
    }
    Some(best)
}

/// The rules a multipath member must tie the best on: every step up to the IGP cost.
fn ties_to_igp(rule: Rule) -> bool {
    rule > Rule::IgpCost
}

fn multipath(
    paths: &[Candidate],
    eligible: &[usize],
    best: usize,
    cfg: &BestPathConfig,
) -> Vec<usize> {
    let b = &paths[best];
    let max = match b.kind {
        PeerKind::External => cfg.maximum_paths_ebgp,
        PeerKind::Internal | PeerKind::ConfedExternal => cfg.maximum_paths_ibgp,
        PeerKind::Local => 1,
    }
    .clamp(1, 256);
    let mut set = vec![best];
    if max == 1 {
        return set;
    }
    let same_kind = |c: &Candidate| match b.kind {
        PeerKind::External => c.kind == PeerKind::External,
        _ => matches!(c.kind, PeerKind::Internal | PeerKind::ConfedExternal),
    };
    let mut others: Vec<usize> = eligible
        .iter()
        .copied()
        .filter(|&i| i != best && same_kind(&paths[i]))
        .filter(|&i| {
            let p = &paths[i];
            // FRR: paths from the same neighbouring AS, or any AS with multipath-relax
            // (the AS_PATH length step already asked for equal lengths).
            let same_as = p.neighbor_as == b.neighbor_as;
            (same_as || cfg.multipath_relax) && ties_to_igp(compare(p, b, cfg).1)
        })
        .collect();
    // With deterministic MED a path beaten on MED inside its own group is out (RFC 4271
    // §9.1.2.2 (c) removes it from consideration), even if it ties the best.
    if cfg.deterministic_med && !cfg.always_compare_med {
        others.retain(|&i| {
            !eligible.iter().any(|&j| {
                paths[j].neighbor_as == paths[i].neighbor_as
                    && compare_with(&paths[j], &paths[i], cfg, true) == (Ordering::Less, Rule::Med)
            })
        });
    }
    others.sort_by(|&x, &y| compare(&paths[x], &paths[y], cfg).0);
    set.extend(others.into_iter().take(usize::from(max) - 1));
    set
}

/// A total order over the paths consistent with [`select`] (deterministic or always-compare
/// MED): best first. Used to list paths in `show` output.
pub fn ranked(paths: &[Candidate], cfg: &BestPathConfig) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..paths.len()).collect();
    let key_group = |i: usize| -> usize {
        // The group winner stands for the group when MED is compared only inside groups.
        if cfg.always_compare_med || !cfg.deterministic_med {
            return i;
        }
        idx_winner(paths, i, cfg)
    };
    idx.sort_by(|&a, &b| {
        let (ia, ib) = (paths[a].ineligible.is_some(), paths[b].ineligible.is_some());
        if ia || ib {
            return ia.cmp(&ib).then(a.cmp(&b));
        }
        let (ga, gb) = (key_group(a), key_group(b));
        let by_group = if ga == gb {
            Ordering::Equal
        } else {
            compare_with(&paths[ga], &paths[gb], cfg, cfg.always_compare_med).0
        };
        by_group.then_with(|| compare(&paths[a], &paths[b], cfg).0)
    });
    idx
}

fn idx_winner(paths: &[Candidate], i: usize, cfg: &BestPathConfig) -> usize {
    let mut w = i;
    for (j, p) in paths.iter().enumerate() {
        if p.ineligible.is_none()
            && p.neighbor_as == paths[i].neighbor_as
            && compare_with(p, &paths[w], cfg, true).0 == Ordering::Less
        {
            w = j;
        }
    }
    w
}

#[cfg(test)]
mod tests;
