//! ADD-PATH send (RFC 7911): several paths per prefix toward an update group, each under a
//! path identifier of ours that stays the same while the path stays advertised.
//!
//! RFC 7911 §3: "the Path Identifier ... is a 4-octet field ... used to identify a path in
//! conjunction with the address prefix"; its value "is assigned by the sender" with only
//! local meaning. So identifiers are allocated per prefix: the lowest free one, from 1, and
//! one is free again once its path is withdrawn. RFC 7911 §5: "a route ... is withdrawn
//! using ... the Path Identifier"; an announcement under an identifier already advertised
//! replaces that path (an implicit withdrawal, as without ADD-PATH).

use std::collections::BTreeMap;

use bgp_wire::capability::{AddPathDirection, AddPathFamily};
use bgp_wire::Family;
use hashbrown::HashMap;
use ipnet::IpNet;
use rib::{AttrId, Selected};

use crate::config::AddPathSend;
use crate::group::{family_of, Group};
use crate::out::OutStore;
use crate::Speaker;

/// A path as the table knows it: the neighbour it came from and that neighbour's path
/// identifier (0 without ADD-PATH on receive).
pub(crate) type Src = (rib::PeerId, u32);

/// Which path each path identifier of a prefix stands for, in a group that sends ADD-PATH
/// (empty otherwise).
#[derive(Debug, Default)]
pub(crate) struct PathIds {
    by_id: BTreeMap<(IpNet, u32), Src>,
}

impl PathIds {
    /// The paths of `prefix` with their identifiers.
    fn of(&self, prefix: IpNet) -> Vec<(u32, Src)> {
        self.by_id.range((prefix, 0)..=(prefix, u32::MAX)).map(|(&(_, id), &s)| (id, s)).collect()
    }

    /// The lowest identifier from 1 that `prefix` does not use.
    fn free(&self, prefix: IpNet) -> u32 {
        let mut want = 1;
        for &(_, id) in self.by_id.range((prefix, 1)..=(prefix, u32::MAX)).map(|(k, _)| k) {
            if id != want {
                break;
            }
            want += 1;
        }
        want
    }
}

impl Group {
    /// Sets the paths the group advertises for `prefix` in a family with ADD-PATH:
    /// `paths` are (path, outgoing set) pairs, each set holding a reference the group takes
    /// over. A path already advertised keeps its identifier; a path no longer listed is
    /// withdrawn by its identifier, which is free again; a new path takes the lowest free
    /// identifier. `true` when anything changed.
    pub fn set_paths(&mut self, prefix: IpNet, paths: &[(Src, u32)], outs: &mut OutStore) -> bool {
        let current = self.path_ids.of(prefix);
        let mut changed = false;
        for &(id, src) in &current {
            if !paths.iter().any(|(s, _)| *s == src) {
                self.path_ids.by_id.remove(&(prefix, id));
                changed |= self.set((prefix, id), None, outs);
            }
        }
        for &(src, out) in paths {
            let id = match current.iter().find(|(_, s)| *s == src) {
                Some(&(id, _)) => id,
                None => {
                    let id = self.path_ids.free(prefix);
                    self.path_ids.by_id.insert((prefix, id), src);
                    id
                }
            };
            changed |= self.set((prefix, id), Some(out), outs);
        }
        changed
    }
}

/// What each group makes of each path, within one pass over the table's changes (the
/// table does not change during it): one export per group and attribute record, unless
/// the group's export map reads the prefix. Every set cached holds a reference.
#[derive(Default)]
pub(crate) struct ExportCache {
    map: HashMap<(usize, AttrId), Option<u32>, foldhash::fast::FixedState>,
    /// By group: whether its export map reads the prefix (then nothing is cached for it).
    per_prefix: Vec<Option<bool>>,
}

impl ExportCache {
    /// Drops the cache's references.
    pub fn release(self, outs: &mut OutStore) {
        for o in self.map.into_values().flatten() {
            outs.release(o);
        }
    }
}

impl Speaker {
    /// Sets what group `gi` advertises for `prefix`, whose best path is now `best`: that
    /// path as the export rules make it, or with ADD-PATH in the prefix's family every path
    /// the group's [`AddPathSend`] asks for.
    pub(crate) fn export_prefix(
        &mut self,
        gi: usize,
        prefix: IpNet,
        best: Option<&Selected>,
        cache: &mut ExportCache,
    ) {
        let Some(Some(g)) = self.groups.get(gi) else { return };
        let per_prefix = match cache.per_prefix.get(gi).copied().flatten() {
            Some(p) => p,
            None => {
                let p = g.key.export.is_some_and(|m| self.cfg.policy.depends_on_prefix(m));
                if cache.per_prefix.len() <= gi {
                    cache.per_prefix.resize(gi + 1, None);
                }
                cache.per_prefix[gi] = Some(p);
                p
            }
        };
        match g.key.add_path(family_of(&prefix)) {
            None => {
                let out = best.and_then(|s| self.export_cached(gi, prefix, s, per_prefix, cache));
                if let Some(Some(g)) = self.groups.get_mut(gi) {
                    g.set((prefix, 0), out, &mut self.outs);
                }
            }
            Some(mode) => {
                let members = match (mode, best) {
                    (_, None) => Vec::new(),
                    (AddPathSend::Multipath, Some(_)) => self.rib.multipath(prefix),
                    (_, Some(s)) => vec![*s],
                };
                let paths: Vec<(Src, u32)> = members
                    .iter()
                    .filter_map(|s| {
                        let out = self.export_cached(gi, prefix, s, per_prefix, cache)?;
                        Some(((s.peer, s.path_id), out))
                    })
                    .collect();
                if let Some(Some(g)) = self.groups.get_mut(gi) {
                    g.set_paths(prefix, &paths, &mut self.outs);
                }
            }
        }
    }

    /// The outgoing set of path `s` toward group `gi`, with a reference for the caller;
    /// `None` when it is not advertised there.
    fn export_cached(
        &mut self,
        gi: usize,
        prefix: IpNet,
        s: &Selected,
        per_prefix: bool,
        cache: &mut ExportCache,
    ) -> Option<u32> {
        if !per_prefix {
            if let Some(&o) = cache.map.get(&(gi, s.attrs)) {
                if let Some(o) = o {
                    self.outs.add_ref(o);
                }
                return o;
            }
        }
        let g = self.groups.get(gi)?.as_ref()?;
        let o = self.export_one(&g.key, prefix, s).map(|o| self.outs.intern(o));
        if !per_prefix {
            if let Some(o) = o {
                self.outs.add_ref(o);
            }
            cache.map.insert((gi, s.attrs), o);
        }
        o
    }
}

/// Makes the session offer to send ADD-PATH for every family it offers (IPv4 unicast when
/// it offers none), keeping what it offers to receive.
pub(crate) fn offer_send(session: &mut bgp_fsm::Config) {
    let families = if session.families.is_empty() {
        vec![Family::IPV4_UNICAST]
    } else {
        session.families.clone()
    };
    for family in families {
        match session.add_path.iter_mut().find(|a| a.family == family) {
            Some(a) if a.direction.can_send() => {}
            Some(a) => a.direction = AddPathDirection::BOTH,
            None => {
                session.add_path.push(AddPathFamily { family, direction: AddPathDirection::SEND })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bgp_wire::attribute::NextHop;
    use bgp_wire::nlri::Nlri;
    use bgp_wire::update::Update;
    use bgp_wire::{Asn, Context};

    use super::*;
    use crate::config::AddPathSend;
    use crate::group::GroupKey;
    use crate::out::Out;

    fn group(add_path: bool) -> Group {
        let mut tx = Context::modern();
        if add_path {
            tx.add_path.insert(Family::IPV4_UNICAST);
        }
        Group::new(GroupKey {
            external: true,
            rr_client: false,
            remote_as: Some(Asn(65003)),
            export: None,
            tx,
            add_path: AddPathSend::Multipath,
            families: vec![Family::IPV4_UNICAST],
            self_v4: Some(NextHop::Ipv4("192.0.2.9".parse().unwrap())),
            self_v6: None,
            next_hop_self: false,
            next_hop_unchanged: false,
            remove_private_as: false,
            as_override: false,
            role: None,
            llgr: false,
            mrai: Duration::ZERO,
        })
    }

    fn out(outs: &mut OutStore, hop: u8) -> u32 {
        outs.intern(Out {
            attrs: bgp_wire::update::builder::UpdateBuilder::new(
                &bgp_wire::Context::modern(),
                &crate::export::to_wire(rib::PathAttrs::default()),
            )
            .encoded(),
            next_hop: NextHop::Ipv4(std::net::Ipv4Addr::new(192, 0, 2, hop)),
        })
    }

    fn src(peer: u32) -> Src {
        (rib::PeerId(peer), 0)
    }

    /// (withdrawn, announced) routes of the group's next batch.
    fn batch(g: &mut Group, outs: &OutStore) -> (Vec<Nlri>, Vec<Nlri>) {
        let bytes = g.take_batch(outs);
        let mut w = Vec::new();
        let mut a = Vec::new();
        let mut rest = &bytes[..];
        while rest.len() >= 19 {
            let len = usize::from(u16::from_be_bytes([rest[16], rest[17]]));
            let msg = bytes::Bytes::copy_from_slice(&rest[..len]);
            let u = Update::decode(msg, &g.key.tx).unwrap();
            w.extend(u.withdrawals().map(|(_, n)| n));
            a.extend(u.announced().map(|(_, n)| n));
            rest = &rest[len..];
        }
        (w, a)
    }

    #[test]
    fn a_batch_sends_the_last_change_of_each_route() {
        let (p, q): (IpNet, IpNet) =
            ("10.0.0.0/24".parse().unwrap(), "10.0.1.0/24".parse().unwrap());
        let mut outs = OutStore::default();
        let mut g = group(false);
        // Many changes of one route between batches (a long MRAI): the list stays short.
        for i in 0..5000u32 {
            let o = out(&mut outs, (i % 200) as u8);
            g.set((p, 0), Some(o), &mut outs);
        }
        assert!(g.pending.len() <= 2048, "{} changes listed", g.pending.len());
        // Announced, then withdrawn before the batch: the withdrawal goes.
        let o = out(&mut outs, 1);
        g.set((q, 0), Some(o), &mut outs);
        g.set((q, 0), None, &mut outs);
        let (w, a) = batch(&mut g, &outs);
        assert_eq!((w, a), (vec![Nlri::new(q)], vec![Nlri::new(p)]));
        // The set sent is the last one (next hop 192.0.2.(4999 % 200)).
        let dump = g.dump(&[Family::IPV4_UNICAST], false, &outs);
        let u = Update::decode(dump, &g.key.tx).unwrap();
        assert_eq!(u.attributes().next_hop(), Some("192.0.2.199".parse().unwrap()));
        assert_eq!(outs.len(), 1, "every other set released");
    }

    #[test]
    fn path_ids_are_stable_reused_and_withdrawn_by_id() {
        let p: IpNet = "10.96.0.10/32".parse().unwrap();
        let id = |i| Nlri::with_path_id(i, p);
        let mut outs = OutStore::default();
        let mut g = group(true);
        // (paths in the set, withdrawn, announced): RFC 7911 §3 and §5.
        let steps: &[(&[u32], &[Nlri], &[Nlri])] = &[
            (&[1, 2], &[], &[id(1), id(2)]),
            // The same set again: nothing to send.
            (&[1, 2], &[], &[]),
            // Path 1 leaves: withdrawn by its identifier; path 2 keeps its own.
            (&[2], &[id(1)], &[]),
            // Path 3 joins: it takes the identifier freed.
            (&[2, 3], &[], &[id(1)]),
            // Path 2 leaves and path 4 joins in one batch: 4 replaces 2 under its id.
            (&[3, 4], &[], &[id(2)]),
            (&[], &[id(1), id(2)], &[]),
        ];
        for (i, (set, want_w, want_a)) in steps.iter().enumerate() {
            let paths: Vec<(Src, u32)> =
                set.iter().map(|&peer| (src(peer), out(&mut outs, peer as u8))).collect();
            g.set_paths(p, &paths, &mut outs);
            let (w, mut a) = batch(&mut g, &outs);
            a.sort();
            assert_eq!((&w[..], &a[..]), (*want_w, *want_a), "step {i}");
        }
        assert!(g.adj_out.is_empty());
        g.clear(&mut outs);
    }

    #[test]
    fn without_add_path_one_route_per_prefix() {
        let p: IpNet = "10.96.0.10/32".parse().unwrap();
        let mut outs = OutStore::default();
        let mut g = group(false);
        let o = out(&mut outs, 1);
        g.set((p, 0), Some(o), &mut outs);
        assert_eq!(batch(&mut g, &outs), (vec![], vec![Nlri::new(p)]));
        g.set((p, 0), None, &mut outs);
        assert_eq!(batch(&mut g, &outs), (vec![Nlri::new(p)], vec![]));
    }

    #[test]
    fn offering_send_keeps_receive() {
        use bgp_fsm::{Config, Neighbor, PeerAs};
        let mut c = Config::new(
            Asn(65000),
            "192.0.2.9".parse().unwrap(),
            PeerAs::External,
            Neighbor::Address { addr: "192.0.2.3".parse().unwrap(), scope: None },
        );
        c.families = vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST];
        c.add_path = vec![AddPathFamily {
            family: Family::IPV6_UNICAST,
            direction: AddPathDirection::RECEIVE,
        }];
        offer_send(&mut c);
        let mut got: Vec<_> = c.add_path.iter().map(|a| (a.family, a.direction)).collect();
        got.sort();
        assert_eq!(
            got,
            vec![
                (Family::IPV4_UNICAST, AddPathDirection::SEND),
                (Family::IPV6_UNICAST, AddPathDirection::BOTH)
            ]
        );
    }
}
