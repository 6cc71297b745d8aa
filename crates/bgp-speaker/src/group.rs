//! Update groups: neighbours that would be sent the same UPDATEs share one Adj-RIB-Out and
//! one encoding of every message (RFC 4271 §9.2 "Update-Send Process", done once per group).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bgp_wire::attribute::NextHop;
use bgp_wire::capability::BgpRole;
use bgp_wire::nlri::Nlri;
use bgp_wire::update::builder::{self, Encoding, UpdateBuilder};
use bgp_wire::{Asn, Context, Family};
use bytes::{Bytes, BytesMut};
use ipnet::IpNet;
use rib::policy::RouteMapId;

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
    /// How messages are encoded (4-octet AS, ADD-PATH, extended message, extended next hop).
    pub tx: Context,
    pub families: Vec<Family>,
    /// Our next hop toward the group, per family (the session's local address).
    pub self_v4: Option<NextHop>,
    pub self_v6: Option<NextHop>,
    pub next_hop_self: bool,
    pub next_hop_unchanged: bool,
    pub remove_private_as: bool,
    pub as_override: bool,
    pub role: Option<BgpRole>,
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
}

/// A prefix in the Adj-RIB-Out: the outgoing set advertised, or `WITHDRAWN` while its
/// withdrawal waits to be sent.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AdjOut {
    pub out: u32,
    pub pending: bool,
}

/// An outgoing set id meaning "withdraw".
pub(crate) const WITHDRAWN: u32 = u32::MAX;

#[derive(Debug)]
pub(crate) struct Group {
    pub key: GroupKey,
    pub members: Vec<NeighborId>,
    /// What the group advertises, by prefix (sorted: messages go out in prefix order).
    pub adj_out: BTreeMap<IpNet, AdjOut>,
    /// Prefixes whose entry changed since the last batch.
    pub pending: Vec<IpNet>,
    /// When the next batch may go (MRAI).
    pub next_batch: Option<Instant>,
}

impl Group {
    pub fn new(key: GroupKey) -> Group {
        Group {
            key,
            members: Vec::new(),
            adj_out: BTreeMap::new(),
            pending: Vec::new(),
            next_batch: None,
        }
    }

    /// Sets what the group advertises for `prefix` (`None`: nothing), taking over the
    /// reference `out` holds; `true` when it changed.
    pub fn set(&mut self, prefix: IpNet, out: Option<u32>, outs: &mut OutStore) -> bool {
        let new = out.unwrap_or(WITHDRAWN);
        match self.adj_out.get_mut(&prefix) {
            Some(e) if e.out == new => {
                if new != WITHDRAWN {
                    outs.release(new);
                }
                false
            }
            Some(e) => {
                if e.out != WITHDRAWN {
                    outs.release(e.out);
                }
                e.out = new;
                if !e.pending {
                    e.pending = true;
                    self.pending.push(prefix);
                }
                true
            }
            None if new == WITHDRAWN => false,
            None => {
                self.adj_out.insert(prefix, AdjOut { out: new, pending: true });
                self.pending.push(prefix);
                true
            }
        }
    }

    /// Sets an entry without scheduling it: the group is being filled before it has
    /// members, who get a full dump when they join.
    pub fn fill(&mut self, prefix: IpNet, out: u32) {
        self.adj_out.insert(prefix, AdjOut { out, pending: false });
    }

    /// Encodes the pending changes (withdrawals first, then announcements grouped by
    /// outgoing set) and clears them; empty when nothing is pending.
    pub fn take_batch(&mut self, outs: &OutStore) -> Bytes {
        let mut pending = std::mem::take(&mut self.pending);
        pending.sort_unstable();
        let mut withdrawn: BTreeMap<Family, Vec<Nlri>> = BTreeMap::new();
        let mut announced: BTreeMap<(u32, Family), Vec<Nlri>> = BTreeMap::new();
        for p in pending {
            let Some(e) = self.adj_out.get_mut(&p) else { continue };
            e.pending = false;
            let family = family_of(&p);
            if e.out == WITHDRAWN {
                self.adj_out.remove(&p);
                withdrawn.entry(family).or_default().push(Nlri::new(p));
            } else {
                announced.entry((e.out, family)).or_default().push(Nlri::new(p));
            }
        }
        let mut buf = BytesMut::new();
        for (family, routes) in withdrawn {
            builder::withdraw(&self.key.tx, family, &routes, encoding(family, None), &mut buf);
        }
        self.announce(&announced, outs, &mut buf);
        buf.freeze()
    }

    /// Encodes everything the group advertises of `families` (a neighbour that joined, or
    /// asked for a route refresh), followed by End-of-RIB for each when `eor`.
    pub fn dump(&self, families: &[Family], eor: bool, outs: &OutStore) -> Bytes {
        let mut announced: BTreeMap<(u32, Family), Vec<Nlri>> = BTreeMap::new();
        for (p, e) in &self.adj_out {
            let family = family_of(p);
            if e.out != WITHDRAWN && families.contains(&family) {
                announced.entry((e.out, family)).or_default().push(Nlri::new(*p));
            }
        }
        let mut buf = BytesMut::new();
        self.announce(&announced, outs, &mut buf);
        if eor {
            for f in families {
                builder::end_of_rib(&self.key.tx, *f, &mut buf);
            }
        }
        buf.freeze()
    }

    fn announce(
        &self,
        announced: &BTreeMap<(u32, Family), Vec<Nlri>>,
        outs: &OutStore,
        buf: &mut BytesMut,
    ) {
        for ((id, family), routes) in announced {
            let Some(out) = outs.get(*id) else { continue };
            let b = UpdateBuilder::new(&self.key.tx, &out.attrs);
            b.announce(*family, &out.next_hop, routes, encoding(*family, Some(&out.next_hop)), buf);
        }
    }

    /// Prefixes advertised now.
    pub fn advertised(&self) -> usize {
        self.adj_out.values().filter(|e| e.out != WITHDRAWN).count()
    }

    /// What is advertised, prefix by prefix.
    pub fn entries<'a>(
        &'a self,
        outs: &'a OutStore,
    ) -> impl Iterator<Item = (IpNet, &'a crate::out::Out)> + 'a {
        self.adj_out.iter().filter_map(move |(p, e)| Some((*p, outs.get(e.out)?)))
    }

    /// Releases every entry (the group is going away).
    pub fn clear(&mut self, outs: &mut OutStore) {
        for e in self.adj_out.values() {
            if e.out != WITHDRAWN {
                outs.release(e.out);
            }
        }
        self.adj_out.clear();
        self.pending.clear();
    }
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
