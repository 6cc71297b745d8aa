//! BGP next hops and the forwarding next-hop groups of the FIB.
//!
//! Every distinct BGP next hop (per interface, for link-local ones) is one [`NhEntry`],
//! shared by the attribute records that carry it: resolving it once serves every path
//! through it. A [`Group`] is an interned set of forwarding next hops with the protocol and
//! kind of route that uses it; the FIB diff compares group ids, not next-hop lists.

use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;

use hashbrown::HashMap;

use crate::slots::Slots;
use crate::{NextHop, Protocol, RouteKind};

/// How a BGP next hop is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum NextHopMode {
    /// Through the longest matching route of another protocol (connected, static, kernel,
    /// OSPF), whose cost feeds the IGP-cost step; unreachable without one. Default for
    /// internal and multihop external peers.
    #[default]
    Resolve,
    /// On the link of the session's interface: reachable with cost 0 (a directly connected
    /// external peer, an unnumbered peer's link-local next hop).
    OnLink,
}

/// A BGP next hop as received, with what is needed to reach it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct NhKey {
    /// NEXT_HOP, or the global address of an MP_REACH_NLRI next hop; unspecified for our
    /// own routes.
    pub global: IpAddr,
    /// The link-local half of a 32-octet IPv6 next hop (RFC 2545 §3).
    pub link_local: Option<Ipv6Addr>,
    /// The interface of the session, for link-local and on-link next hops.
    pub ifindex: Option<u32>,
    pub mode: NextHopMode,
}

impl NhKey {
    /// Our own routes: always reachable, never installed.
    pub fn local() -> NhKey {
        NhKey {
            global: IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
            link_local: None,
            ifindex: None,
            mode: NextHopMode::OnLink,
        }
    }

    pub fn is_local(&self) -> bool {
        self.global.is_unspecified() && self.link_local.is_none()
    }

    /// The address to forward to when the next hop is on the link: the link-local half
    /// when there is one and we know the interface (what FRR installs for unnumbered
    /// peers), else the global address.
    pub fn on_link(&self) -> Option<NextHop> {
        match (self.link_local, self.ifindex) {
            (Some(ll), Some(i)) => Some(NextHop::via(IpAddr::V6(ll), i)),
            _ => match (self.global, self.ifindex) {
                (IpAddr::V6(a), Some(i)) if is_link_local(a) => Some(NextHop::via(self.global, i)),
                (g, i) if self.mode == NextHopMode::OnLink => {
                    Some(NextHop { addr: Some(g), ifindex: i })
                }
                _ => None,
            },
        }
    }
}

pub(crate) fn is_link_local(a: Ipv6Addr) -> bool {
    a.segments()[0] & 0xffc0 == 0xfe80
}

/// Reachability of a next hop.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Resolution {
    pub reachable: bool,
    pub metric: u32,
    /// Forwarding next hops (a [`Group`] holding a reference), `NONE` when unreachable.
    pub group: u32,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct NhEntry {
    pub key: Option<NhKey>,
    pub refs: u32,
    pub res: Resolution,
}

pub(crate) const NONE: u32 = u32::MAX;

#[derive(Debug, Default)]
pub(crate) struct NextHops {
    pub entries: Slots<NhEntry>,
    index: HashMap<NhKey, u32, foldhash::fast::FixedState>,
    /// The entry last interned: a peer's routes mostly share one next hop.
    last: u32,
}

impl NextHops {
    /// The entry for `key` with one more reference; `true` when it is new (unresolved).
    pub fn intern(&mut self, key: NhKey) -> (u32, bool) {
        if let Some(e) = self.entries.get_mut(self.last) {
            if e.key == Some(key) {
                e.refs += 1;
                return (self.last, false);
            }
        }
        if let Some(&id) = self.index.get(&key) {
            self.last = id;
            if let Some(e) = self.entries.get_mut(id) {
                e.refs += 1;
            }
            return (id, false);
        }
        let id = self.entries.insert(NhEntry {
            key: Some(key),
            refs: 1,
            res: Resolution { group: NONE, ..Resolution::default() },
        });
        self.index.insert(key, id);
        (id, true)
    }

    /// One more reference to an entry.
    pub fn add_ref(&mut self, id: u32) {
        if let Some(e) = self.entries.get_mut(id) {
            e.refs += 1;
        }
    }

    /// Drops a reference; returns the entry's group when the entry is freed (the caller
    /// releases it).
    pub fn release(&mut self, id: u32) -> Option<u32> {
        let e = self.entries.get_mut(id)?;
        e.refs = e.refs.saturating_sub(1);
        if e.refs > 0 {
            return None;
        }
        let e = self.entries.remove(id);
        if let Some(k) = e.key {
            self.index.remove(&k);
        }
        Some(e.res.group)
    }

    #[inline(always)]
    pub fn get(&self, id: u32) -> Option<&NhEntry> {
        self.entries.get(id)
    }

    pub fn ids(&self) -> Vec<u32> {
        self.entries.iter().filter(|(_, e)| e.key.is_some()).map(|(id, _)| id).collect()
    }
}

/// An interned set of forwarding next hops.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct GroupKey {
    pub protocol: Protocol,
    pub kind: RouteKind,
    pub hops: Arc<[NextHop]>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Group {
    pub key: Option<GroupKey>,
    refs: u32,
}

#[derive(Debug, Default)]
pub(crate) struct Groups {
    entries: Slots<Group>,
    index: HashMap<GroupKey, u32, foldhash::fast::FixedState>,
}

impl Groups {
    /// The group for `key` (hops sorted and deduplicated by the caller), with one more
    /// reference.
    pub fn intern(&mut self, key: GroupKey) -> u32 {
        if let Some(&id) = self.index.get(&key) {
            self.add_ref(id);
            return id;
        }
        let id = self.entries.insert(Group { key: Some(key.clone()), refs: 1 });
        self.index.insert(key, id);
        id
    }

    /// Interns from a next-hop list (sorted and deduplicated here).
    pub fn intern_hops(
        &mut self,
        protocol: Protocol,
        kind: RouteKind,
        mut hops: Vec<NextHop>,
    ) -> u32 {
        hops.sort_unstable();
        hops.dedup();
        self.intern(GroupKey { protocol, kind, hops: hops.into() })
    }

    #[inline]
    pub fn add_ref(&mut self, id: u32) {
        if let Some(g) = self.entries.get_mut(id) {
            g.refs += 1;
        }
    }

    pub fn release(&mut self, id: u32) {
        let Some(g) = self.entries.get_mut(id) else { return };
        g.refs = g.refs.saturating_sub(1);
        if g.refs == 0 {
            let g = self.entries.remove(id);
            if let Some(k) = g.key {
                self.index.remove(&k);
            }
        }
    }

    #[inline]
    pub fn get(&self, id: u32) -> Option<&GroupKey> {
        self.entries.get(id)?.key.as_ref()
    }
}
