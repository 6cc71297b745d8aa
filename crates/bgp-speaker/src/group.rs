//! Update groups: neighbours that would be sent the same UPDATEs share one Adj-RIB-Out and
//! one encoding of every message (RFC 4271 §9.2 "Update-Send Process", done once per group).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bgp_wire::attribute::NextHop;
use bgp_wire::capability::BgpRole;
use bgp_wire::nlri::Nlri;
use bgp_wire::update::builder::{self, Encoding};
use bgp_wire::{Asn, Context, Family};
use bytes::{Bytes, BytesMut};
use ipnet::IpNet;
use rib::policy::RouteMapId;

use crate::addpath::PathIds;
use crate::adj_out::{AdjRibOut, Set};
use crate::config::AddPathSend;
use crate::out::OutStore;
use crate::NeighborId;

/// What makes two neighbours receive the same UPDATE stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GroupKey {
    pub external: bool,
    pub rr_client: bool,
    /// The neighbour's AS, for external groups with as-override (the only export rule that
    /// reads it).
    pub remote_as: Option<Asn>,
    pub export: Option<RouteMapId>,
    /// How messages are encoded (4-octet AS, ADD-PATH per family, extended message,
    /// extended next hop): neighbours that send ADD-PATH for a family and neighbours that
    /// do not never share a group.
    pub tx: Context,
    /// Which paths go in families with ADD-PATH ([`AddPathSend::Best`] when none has it).
    pub add_path: AddPathSend,
    pub families: Vec<Family>,
    /// Our next hop toward the group, per family (the session's local address).
    pub self_v4: Option<NextHop>,
    pub self_v6: Option<NextHop>,
    pub next_hop_self: bool,
    pub next_hop_unchanged: bool,
    pub remove_private_as: bool,
    pub as_override: bool,
    pub role: Option<BgpRole>,
    /// The neighbours sent the Long-Lived Graceful Restart capability (RFC 9494).
    pub llgr: bool,
    pub mrai: Duration,
}

impl GroupKey {
    /// Our next hop for routes of `family` toward the group.
    pub fn self_next_hop(&self, family: Family) -> Option<&NextHop> {
        if family == Family::IPV4_UNICAST {
            self.self_v4.as_ref()
        } else {
            self.self_v6.as_ref()
        }
    }

    /// What goes to the group with ADD-PATH in `family`, or `None` when the family
    /// carries no path identifiers toward it.
    pub fn add_path(&self, family: Family) -> Option<AddPathSend> {
        self.tx.has_path_id(family).then_some(self.add_path)
    }
}

pub(crate) use crate::adj_out::{RouteKey, WITHDRAWN};

#[derive(Debug)]
pub(crate) struct Group {
    pub key: GroupKey,
    pub members: Vec<NeighborId>,
    /// What the group advertises, by route (sorted: messages go out in prefix order).
    pub adj_out: AdjRibOut,
    /// Routes whose entry changed since the last batch.
    pub pending: Vec<(RouteKey, u32)>,
    /// With ADD-PATH: the path each advertised path identifier stands for.
    pub path_ids: PathIds,
    /// When the next batch may go (MRAI).
    pub next_batch: Option<Instant>,
}

impl Group {
    pub fn new(key: GroupKey) -> Group {
        Group {
            key,
            members: Vec::new(),
            adj_out: AdjRibOut::default(),
            pending: Vec::new(),
            path_ids: PathIds::default(),
            next_batch: None,
        }
    }

    /// Sets what the group advertises for a route (`None`: nothing), taking over the
    /// reference `out` holds; `true` when it changed.
    pub fn set(&mut self, prefix: RouteKey, out: Option<u32>, outs: &mut OutStore) -> bool {
        let new = out.unwrap_or(WITHDRAWN);
        match self.adj_out.set(prefix, new) {
            Set::Same => {
                if new != WITHDRAWN {
                    outs.release(new);
                }
                false
            }
            Set::Changed { old } => {
                if old != WITHDRAWN {
                    outs.release(old);
                }
                self.pending.push((prefix, new));
                // A route changed again and again between batches (a long MRAI) is listed
                // each time: keep the list to its last change per route.
                let n = self.pending.len();
                if n >= self.pending.capacity() && n > 2 * self.adj_out.len() + 1024 {
                    self.pending = last_changes(std::mem::take(&mut self.pending));
                }
                true
            }
        }
    }

    /// Unschedules every change: the group was filled before it had members, who get a
    /// full dump when they join.
    pub fn settle(&mut self) {
        self.pending.clear();
    }

    /// A route as the UPDATE carries it toward the group.
    fn nlri(&self, (prefix, id): RouteKey, family: Family) -> Nlri {
        if self.key.tx.has_path_id(family) {
            Nlri::with_path_id(id, prefix)
        } else {
            Nlri::new(prefix)
        }
    }

    /// Encodes the pending changes (withdrawals first, then announcements grouped by
    /// outgoing set) and clears them; empty when nothing is pending.
    pub fn take_batch(&mut self, outs: &OutStore) -> Bytes {
        let pending = last_changes(std::mem::take(&mut self.pending));
        let mut withdrawn: BTreeMap<Family, Vec<Nlri>> = BTreeMap::new();
        let mut announced = Vec::with_capacity(pending.len());
        // The last change of each route is what the Adj-RIB-Out holds now: `out` is a set
        // it references, or a withdrawal.
        for (k, out) in pending {
            let family = family_of(&k.0);
            let nlri = self.nlri(k, family);
            if out == WITHDRAWN {
                withdrawn.entry(family).or_default().push(nlri);
            } else {
                announced.push((out, family, nlri));
            }
        }
        let mut buf = BytesMut::new();
        for (family, routes) in withdrawn {
            builder::withdraw(&self.key.tx, family, &routes, encoding(family, None), &mut buf);
        }
        self.announce(announced, outs, &mut buf);
        exact(buf)
    }

    /// Encodes everything the group advertises of `families` (a neighbour that joined, or
    /// asked for a route refresh), followed by End-of-RIB for each when `eor`.
    pub fn dump(&self, families: &[Family], eor: bool, outs: &OutStore) -> Bytes {
        let mut announced = Vec::new();
        for (k, out) in self.adj_out.iter() {
            let family = family_of(&k.0);
            if out != WITHDRAWN && families.contains(&family) {
                announced.push((out, family, self.nlri(k, family)));
            }
        }
        let mut buf = BytesMut::new();
        self.announce(announced, outs, &mut buf);
        if eor {
            for f in families {
                builder::end_of_rib(&self.key.tx, *f, &mut buf);
            }
        }
        exact(buf)
    }

    /// Encodes (outgoing set, family, route) triples given in route order: the routes of
    /// each set and family together, sets in id order, routes in the order given.
    fn announce(
        &self,
        mut announced: Vec<(u32, Family, Nlri)>,
        outs: &OutStore,
        buf: &mut BytesMut,
    ) {
        // Stable: routes keep their order within a set.
        announced.sort_by_key(|&(id, family, _)| (id, family));
        let mut routes = Vec::new();
        for run in announced.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
            let Some(&(id, family, _)) = run.first() else { continue };
            let Some(out) = outs.get(id) else { continue };
            routes.clear();
            routes.extend(run.iter().map(|&(_, _, r)| r));
            let enc = encoding(family, Some(out.next_hop));
            out.attrs.announce(&self.key.tx, family, out.next_hop, &routes, enc, buf);
        }
    }

    /// Prefixes advertised now (a prefix sent with several ADD-PATH paths counts once).
    pub fn advertised(&self) -> usize {
        let mut last = None;
        let mut n = 0;
        for ((p, _), out) in self.adj_out.iter() {
            if out != WITHDRAWN && last != Some(p) {
                n += 1;
                last = Some(p);
            }
        }
        n
    }

    /// What is advertised, route by route.
    pub fn entries<'a>(
        &'a self,
        outs: &'a OutStore,
    ) -> impl Iterator<Item = (RouteKey, crate::out::OutRef<'a>)> + 'a {
        self.adj_out.iter().filter_map(move |(k, out)| Some((k, outs.get(out)?)))
    }

    /// Releases every entry (the group is going away).
    pub fn clear(&mut self, outs: &mut OutStore) {
        for (_, out) in self.adj_out.iter() {
            if out != WITHDRAWN {
                outs.release(out);
            }
        }
        self.adj_out.clear();
        self.pending.clear();
        self.path_ids = PathIds::default();
    }
}

/// The octets of a batch, kept without the room `BytesMut` grew by (up to as much again):
/// they wait in every member's send queue until written.
fn exact(buf: BytesMut) -> Bytes {
    if buf.capacity() - buf.len() > buf.len() / 4 {
        Bytes::copy_from_slice(&buf)
    } else {
        buf.freeze()
    }
}

/// The changes listed, the last of each route only, in route order.
fn last_changes(mut pending: Vec<(RouteKey, u32)>) -> Vec<(RouteKey, u32)> {
    // Stable: the changes of a route stay in the order made.
    pending.sort_by_key(|&(k, _)| k);
    let mut last: Vec<(RouteKey, u32)> = Vec::with_capacity(pending.len());
    for c in pending {
        match last.last_mut() {
            Some(l) if l.0 == c.0 => *l = c,
            _ => last.push(c),
        }
    }
    last
}

pub(crate) fn family_of(p: &IpNet) -> Family {
    match p {
        IpNet::V4(_) => Family::IPV4_UNICAST,
        IpNet::V6(_) => Family::IPV6_UNICAST,
    }
}

/// IPv4 routes with an IPv4 next hop go in the classic fields (what every implementation
/// expects); everything else in MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760, RFC 8950).
fn encoding(family: Family, next_hop: Option<&NextHop>) -> Encoding {
    match (family == Family::IPV4_UNICAST, next_hop) {
        (true, None | Some(NextHop::Ipv4(_))) => Encoding::Classic,
        _ => Encoding::MpReach,
    }
}
