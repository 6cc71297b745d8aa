//! BGP routes in: received UPDATEs, announcements and withdrawals, a neighbour going away,
//! graceful-restart stale marking.

use std::net::{IpAddr, Ipv6Addr};
use std::time::Instant;

use bgp_wire::attribute::set::Octets;
use bgp_wire::attribute::NextHop as WireNextHop;
use bgp_wire::nlri::Nlri;
use bgp_wire::update::Update;
use bgp_wire::{Action, Context, Family, Safi};
use hashbrown::HashMap;
use ipnet::IpNet;

use super::{select, with_family, PeerId, Rib, Source};
use crate::attrs::{self, Summary, INTERNAL, LLGR_STALE, LOCAL, LOOP, STALE};
use crate::nexthop::NhKey;
use crate::policy::Verdict;
use crate::route_attrs::{NextHopAction, PathAttrs, PolicyRoute};
use crate::{PeerKind, Protocol};
use bgp_wire::capability::BgpRole;

/// RFC 9234 §5 ingress: "If a route with the OTC Attribute is received from a Customer or an
/// RS-Client, then it is a route leak and MUST be considered ineligible". The role is ours
/// on the session: provider (the peer is a customer) or route server.
pub(crate) fn leaks(cfg: &super::PeerConfig, tlvs: &[u8]) -> bool {
    matches!(cfg.role, Some(BgpRole::PROVIDER | BgpRole::ROUTE_SERVER)) && attrs::has_otc(tlvs)
}

/// What one UPDATE did to the table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UpdateSummary {
    /// Routes announced (new or changed paths, and unchanged repeats).
    pub announced: u32,
    /// Routes withdrawn (including those of a treat-as-withdraw UPDATE).
    pub withdrawn: u32,
    /// Routes the import policy denied (withdrawn if they were in the table).
    pub denied: u32,
    /// Routes refused because their prefix already had the most paths allowed.
    pub refused: u32,
    /// Routes of families the table does not hold (not IPv4 or IPv6 unicast).
    pub ignored: u32,
    /// Routes that looped (our AS, router id or cluster in their path) or leaked (RFC
    /// 9234): not kept, as if withdrawn.
    pub looped: u32,
}

/// What [`Rib::mark_long_lived_stale`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LongLivedStale {
    /// Paths now long-lived stale.
    pub marked: usize,
    /// Paths removed because they carry NO_LLGR.
    pub removed: usize,
}

/// Default weight of our own routes (FRR gives locally originated routes 32768).
pub(crate) const LOCAL_WEIGHT: u16 = 32768;

fn unicast(f: Family) -> bool {
    f.safi == Safi::UNICAST && matches!(f.afi.0, 1 | 2)
}

impl Rib {
    /// Applies a received UPDATE from `peer`, decoded with the session's receive context
    /// `ctx`, after RFC 7606: under treat-as-withdraw every route of the message is
    /// withdrawn; attributes to discard are left out. The attributes are interned once for
    /// all the message's routes; the message is read in place, nothing of it is copied
    /// but the attributes of a set the table has not seen.
    pub fn handle_update<B: Octets>(
        &mut self,
        now: Instant,
        peer: PeerId,
        update: &Update<B>,
        ctx: &Context,
    ) -> UpdateSummary {
        let taw = update.action() == Some(Action::TreatAsWithdraw);
        self.handle_update_of(now, peer, update, ctx, taw, |_| true)
    }

    /// [`Rib::handle_update`] as a session has judged the message: `treat_as_withdraw`
    /// (RFC 7606 §2, which may hold beside a harsher issue that disabled a family), and the
    /// families it may carry (`usable`: those negotiated and not disabled). Routes of other
    /// families are left out and counted as ignored.
    pub fn handle_update_of<B: Octets>(
        &mut self,
        now: Instant,
        peer: PeerId,
        update: &Update<B>,
        ctx: &Context,
        treat_as_withdraw: bool,
        usable: impl Fn(Family) -> bool,
    ) -> UpdateSummary {
        let mut sum = UpdateSummary::default();
        if self.peer(peer).is_none() {
            return sum;
        }
        let since = self.secs(now);
        for (family, nlri) in update.withdrawals() {
            if usable(family) {
                self.withdraw_counted(peer, family, nlri, &mut sum);
            } else {
                sum.ignored += 1;
            }
        }
        if treat_as_withdraw {
            for (family, nlri) in update.announced().filter(|(f, _)| usable(*f)) {
                self.withdraw_counted(peer, family, nlri, &mut sum);
            }
            return sum;
        }
        let classic = !update.nlri_bytes().is_empty() && usable(Family::IPV4_UNICAST);
        if !update.nlri_bytes().is_empty() && !classic {
            sum.ignored += update.nlri().count() as u32;
        }
        let mp = update.mp_reach().filter(|m| m.routes().next().is_some());
        let mp = match mp {
            Some(m) if !usable(m.family) => {
                sum.ignored += m.routes().count() as u32;
                None
            }
            other => other,
        };
        if !classic && mp.is_none() {
            return sum;
        }
        let mut tlvs = std::mem::take(&mut self.sh.scratch);
        let clean = update.issues().is_empty();
        let summary = attrs::from_wire(update.attributes(), ctx, clean, &mut tlvs);
        if classic {
            let nh = update.attributes().next_hop().map(WireNextHop::Ipv4);
            self.announce_all(
                peer,
                Family::IPV4_UNICAST,
                nh,
                summary,
                &tlvs,
                update.nlri(),
                since,
                &mut sum,
            );
        }
        if let Some(m) = mp {
            if unicast(m.family) {
                self.announce_all(
                    peer,
                    m.family,
                    Some(m.next_hop()),
                    summary,
                    &tlvs,
                    m.routes(),
                    since,
                    &mut sum,
                );
            } else {
                sum.ignored += m.routes().count() as u32;
            }
        }
        self.sh.scratch = tlvs;
        sum
    }

    /// Announces one route from `peer` with owned attributes (what a test, an application
    /// or a speaker's soft reconfiguration uses). The import policy applies.
    pub fn announce(
        &mut self,
        now: Instant,
        peer: PeerId,
        nlri: Nlri,
        next_hop: WireNextHop,
        attrs: &PathAttrs,
    ) -> UpdateSummary {
        self.announce_routes(now, peer, &[nlri], next_hop, attrs)
    }

    /// Announces routes of one family from `peer` that share owned attributes and a next
    /// hop, as one UPDATE would (a speaker re-applying import policy to its Adj-RIB-In
    /// hands over each attribute set once). The import policy applies.
    pub fn announce_routes(
        &mut self,
        now: Instant,
        peer: PeerId,
        routes: &[Nlri],
        next_hop: WireNextHop,
        attrs: &PathAttrs,
    ) -> UpdateSummary {
        let mut sum = UpdateSummary::default();
        let Some(first) = routes.first() else { return sum };
        if self.peer(peer).is_none() {
            return sum;
        }
        let since = self.secs(now);
        let mut tlvs = std::mem::take(&mut self.sh.scratch);
        let weight = if peer == PeerId::LOCAL { LOCAL_WEIGHT } else { 0 };
        let summary = attrs::from_owned(attrs, weight, &mut tlvs);
        let family = match first.prefix {
            IpNet::V4(_) => Family::IPV4_UNICAST,
            IpNet::V6(_) => Family::IPV6_UNICAST,
        };
        let routes = routes.iter().map(|n| Nlri { prefix: n.prefix.trunc(), ..*n });
        self.announce_all(peer, family, Some(next_hop), summary, &tlvs, routes, since, &mut sum);
        self.sh.scratch = tlvs;
        sum
    }

    /// Originates `prefix` ourselves with `attrs` (weight 32768, as FRR's `network`).
    pub fn originate(&mut self, now: Instant, prefix: IpNet, attrs: &PathAttrs) {
        let nh = match prefix {
            IpNet::V4(_) => WireNextHop::Ipv4(std::net::Ipv4Addr::UNSPECIFIED),
            IpNet::V6(_) => WireNextHop::Ipv6(Ipv6Addr::UNSPECIFIED),
        };
        let _ = self.announce(now, PeerId::LOCAL, Nlri::new(prefix), nh, attrs);
    }

    /// Stops originating `prefix`.
    pub fn withdraw_originated(&mut self, prefix: IpNet) -> bool {
        self.withdraw(PeerId::LOCAL, prefix, 0)
    }

    /// Withdraws `peer`'s path `path_id` (0 without ADD-PATH) to `prefix`.
    pub fn withdraw(&mut self, peer: PeerId, prefix: IpNet, path_id: u32) -> bool {
        let Some(&source) = self.sh.source_index.get(&(peer.0, path_id)) else { return false };
        with_family!(self, prefix.trunc(), |t, a, l| match t.find((a, l)) {
            Some(pos) =>
                select::remove_paths(t, &mut self.sh, pos, |sh, p| {
                    p.is_bgp() && sh.attrs.get(p.rec).is_some_and(|r| r.source == source)
                }) > 0,
            None => false,
        })
    }

    fn withdraw_counted(
        &mut self,
        peer: PeerId,
        family: Family,
        nlri: Nlri,
        sum: &mut UpdateSummary,
    ) {
        if !unicast(family) {
            sum.ignored += 1;
            return;
        }
        sum.withdrawn += 1;
        self.withdraw(peer, nlri.prefix, nlri.path_id.unwrap_or(0));
    }

    /// Withdraws every path `peer` sent (its session went down without graceful restart);
    /// returns how many.
    pub fn withdraw_peer(&mut self, _now: Instant, peer: PeerId) -> usize {
        self.remove_records(|_, src, _| src.peer == peer.0)
    }

    /// Withdraws every path `peer` sent of one family (RFC 4760 §7, after an RFC 7606
    /// AFI/SAFI disable); returns how many.
    pub fn withdraw_peer_family(&mut self, peer: PeerId, ipv6: bool) -> usize {
        let source_peer = peer.0;
        let dead = |sh: &super::Shared, p: &crate::table::Path| {
            p.is_bgp()
                && sh
                    .attrs
                    .get(p.rec)
                    .and_then(|r| sh.sources.get(r.source))
                    .is_some_and(|s| s.peer == source_peer)
        };
        if ipv6 {
            select::remove_where(&mut self.v6, &mut self.sh, dead)
        } else {
            select::remove_where(&mut self.v4, &mut self.sh, dead)
        }
    }

    /// Graceful restart helper (RFC 4724 §4.2): the session of `peer` went down and it will
    /// come back; its paths stay, marked stale, until it sends them again or
    /// [`Rib::sweep_stale`] runs (End-of-RIB, or the restart timer). With `long_lived`
    /// (RFC 9494 §4.3) they also become least preferred.
    pub fn mark_stale(&mut self, peer: PeerId, long_lived: bool) -> usize {
        let ids: Vec<u32> = self
            .sh
            .attrs
            .iter()
            .filter(|(_, r)| self.sh.sources.get(r.source).is_some_and(|s| s.peer == peer.0))
            .map(|(id, _)| id)
            .collect();
        let flag = if long_lived { LLGR_STALE } else { 0 };
        for &id in &ids {
            self.sh.attrs.mark_stale(id, flag);
        }
        if long_lived {
            // Preference changed: decide again where these records are used.
            let mut hit = vec![false; ids.iter().max().map_or(0, |m| *m as usize + 1)];
            ids.iter().for_each(|&i| hit[i as usize] = true);
            let uses = |p: &crate::table::Path| {
                p.is_bgp() && hit.get(p.rec as usize).copied().unwrap_or(false)
            };
            select::reselect_where(&mut self.v4, &mut self.sh, uses);
            select::reselect_where(&mut self.v6, &mut self.sh, uses);
        }
        ids.len()
    }

    /// Removes the paths of `peer` still stale (RFC 4724 §4.2: "the Receiving Speaker MUST
    /// immediately remove all the stale routes from the peer that it is retaining");
    /// returns how many.
    pub fn sweep_stale(&mut self, peer: PeerId) -> usize {
        self.remove_records(|_, src, r| src.peer == peer.0 && r.summary.flags & STALE != 0)
    }

    /// Removes the paths of one family (`ipv6` or IPv4) of `peer` still stale (RFC 4724
    /// §4.2, End-of-RIB or a timer of that family); returns how many.
    pub fn sweep_stale_family(&mut self, peer: PeerId, ipv6: bool) -> usize {
        let p = peer.0;
        let dead = |sh: &super::Shared, path: &crate::table::Path| {
            path.is_bgp()
                && sh.attrs.get(path.rec).is_some_and(|r| {
                    r.summary.flags & STALE != 0
                        && sh.sources.get(r.source).is_some_and(|s| s.peer == p)
                })
        };
        if ipv6 {
            select::remove_where(&mut self.v6, &mut self.sh, dead)
        } else {
            select::remove_where(&mut self.v4, &mut self.sh, dead)
        }
    }

    /// Long-lived graceful restart (RFC 9494 §4.2) of one family of `peer`, whose paths
    /// were marked stale: those carrying NO_LLGR are removed, the others get the
    /// LLGR_STALE community and become the least preferred (§4.3). Each stale attribute
    /// set of the family is replaced by a copy with the community (a set the other family
    /// shares stays as it is there); paths already long-lived stale are left alone.
    pub fn mark_long_lived_stale(&mut self, peer: PeerId, ipv6: bool) -> LongLivedStale {
        let p = peer.0;
        let stale = |sh: &super::Shared, rec: u32| {
            sh.attrs.get(rec).is_some_and(|r| {
                r.summary.flags & (STALE | LLGR_STALE) == STALE
                    && sh.sources.get(r.source).is_some_and(|s| s.peer == p)
            })
        };
        // "Delete routes of that AFI/SAFI which carry the NO_LLGR community."
        let no_llgr = |sh: &super::Shared, path: &crate::table::Path| {
            path.is_bgp()
                && stale(sh, path.rec)
                && sh.attrs.get(path.rec).is_some_and(|r| {
                    attrs::has_community(sh.attrs.tlvs(r), attrs::NO_LLGR_COMMUNITY)
                })
        };
        let removed = if ipv6 {
            select::remove_where(&mut self.v6, &mut self.sh, no_llgr)
        } else {
            select::remove_where(&mut self.v4, &mut self.sh, no_llgr)
        };
        // The family's stale records, and their long-lived copies.
        let mut used: Vec<u32> = Vec::new();
        let mut collect = |sh: &super::Shared, paths: &[crate::table::Path]| {
            for q in paths.iter().filter(|q| q.is_bgp() && stale(sh, q.rec)) {
                if !used.contains(&q.rec) {
                    used.push(q.rec);
                }
            }
        };
        if ipv6 {
            self.v6.iter().for_each(|d| collect(&self.sh, self.v6.paths(d)));
        } else {
            self.v4.iter().for_each(|d| collect(&self.sh, self.v4.paths(d)));
        }
        let mut copies: HashMap<u32, u32, foldhash::fast::FixedState> = HashMap::default();
        let mut tlvs = Vec::new();
        for old in used {
            let Some(r) = self.sh.attrs.get(old).copied() else { continue };
            attrs::with_community(self.sh.attrs.tlvs(&r), attrs::LLGR_STALE_COMMUNITY, &mut tlvs);
            let mut summary = r.summary;
            summary.flags |= LLGR_STALE;
            let new = self.sh.attrs.insert_stale(r.source, r.nexthop, summary, &tlvs);
            // The copy holds the next hop and the source as the original does.
            self.sh.nexthops.add_ref(r.nexthop);
            if let Some(s) = self.sh.sources.get_mut(r.source) {
                s.refs += 1;
            }
            copies.insert(old, new);
        }
        let marked = if ipv6 {
            select::replace_records(&mut self.v6, &mut self.sh, &copies)
        } else {
            select::replace_records(&mut self.v4, &mut self.sh, &copies)
        };
        LongLivedStale { marked, removed }
    }

    /// Removes every path whose record matches, in one walk of both tables.
    fn remove_records(&mut self, pred: impl Fn(u32, &Source, &attrs::Record) -> bool) -> usize {
        let mut hit: Vec<bool> = Vec::new();
        for (id, r) in self.sh.attrs.iter() {
            let Some(src) = self.sh.sources.get(r.source) else { continue };
            if pred(id, src, r) {
                if hit.len() <= id as usize {
                    hit.resize(id as usize + 1, false);
                }
                hit[id as usize] = true;
            }
        }
        if hit.is_empty() {
            return 0;
        }
        let dead = |_: &super::Shared, p: &crate::table::Path| {
            p.is_bgp() && hit.get(p.rec as usize).copied().unwrap_or(false)
        };
        select::remove_where(&mut self.v4, &mut self.sh, dead)
            + select::remove_where(&mut self.v6, &mut self.sh, dead)
    }

    /// The next hop as the table keys it, for a route from `peer`.
    fn nh_key(&self, peer: PeerId, nh: Option<WireNextHop>) -> Option<NhKey> {
        let cfg = self.peer(peer)?;
        if peer == PeerId::LOCAL {
            return Some(NhKey::local());
        }
        let (global, link_local) = match nh? {
            WireNextHop::Ipv4(a) => (IpAddr::V4(a), None),
            WireNextHop::Ipv6(a) => (IpAddr::V6(a), None),
            WireNextHop::Ipv6LinkLocal { global, link_local } => {
                (IpAddr::V6(global), Some(link_local))
            }
            WireNextHop::Other(_) => return None,
        };
        // BIRD sends `::` then its link-local (LAB-NOTES): the link-local is what counts.
        let global = match (global, link_local) {
            (IpAddr::V6(g), Some(ll)) if g.is_unspecified() => return Some(self.key_ll(cfg, ll)),
            (g, _) => g,
        };
        Some(NhKey { global, link_local, ifindex: cfg.ifindex, mode: cfg.next_hop })
    }

    fn key_ll(&self, cfg: &super::PeerConfig, ll: Ipv6Addr) -> NhKey {
        NhKey {
            global: IpAddr::V6(ll),
            link_local: Some(ll),
            ifindex: cfg.ifindex,
            mode: cfg.next_hop,
        }
    }

    /// The source id of `(peer, path_id)`, created when new (with no reference yet).
    fn source(&mut self, peer: PeerId, path_id: u32) -> u32 {
        // The last one asked for is usually asked for again: check it before hashing.
        let last = self.sh.last_source;
        if self
            .sh
            .sources
            .get(last)
            .is_some_and(|s| s.refs > 0 && s.peer == peer.0 && s.path_id == path_id)
        {
            return last;
        }
        if let Some(&s) = self.sh.source_index.get(&(peer.0, path_id)) {
            self.sh.last_source = s;
            return s;
        }
        let s = self.sh.sources.insert(Source { peer: peer.0, path_id, refs: 0 });
        self.sh.source_index.insert((peer.0, path_id), s);
        s
    }

    /// Interns a record: its next hop (resolved when new) and its attributes, with one
    /// reference for the caller.
    pub(crate) fn intern(
        &mut self,
        source: u32,
        key: NhKey,
        mut summary: Summary,
        tlvs: &[u8],
    ) -> u32 {
        let kind = self
            .sh
            .sources
            .get(source)
            .and_then(|s| self.sh.peers.get(s.peer as usize)?.as_ref())
            .map(|p| p.cfg.kind);
        summary.flags |= match kind {
            Some(PeerKind::Internal | PeerKind::ConfedExternal) => INTERNAL,
            Some(PeerKind::Local) => LOCAL,
            _ => 0,
        };
        // RFC 9494 §4.3: a route received with LLGR_STALE is treated as the least
        // preferred (as it is once we attach the community ourselves).
        if attrs::has_community(tlvs, attrs::LLGR_STALE_COMMUNITY) {
            summary.flags |= LLGR_STALE;
        }
        let (nh, new_nh) = self.sh.nexthops.intern(key);
        if new_nh {
            self.resolve(nh);
        }
        let (rec, new) = self.sh.attrs.intern(source, nh, summary, tlvs);
        if new {
            if let Some(s) = self.sh.sources.get_mut(source) {
                s.refs += 1;
            }
        } else {
            // The existing record already holds the next hop.
            self.sh.nexthops.release(nh);
        }
        rec
    }

    /// The OTC to add to a route from `peer` that has none: the peer's AS when it is our
    /// provider, peer or route server (RFC 9234 §5).
    fn otc_to_add(&self, peer: PeerId, tlvs: &[u8]) -> Option<bgp_wire::Asn> {
        let cfg = self.peer(peer)?;
        let role = cfg.role?;
        let from_above = [BgpRole::CUSTOMER, BgpRole::PEER, BgpRole::ROUTE_SERVER_CLIENT];
        (from_above.contains(&role) && !attrs::has_otc(tlvs)).then_some(cfg.asn)
    }

    /// Loop checks of RFC 4271 §9.1.2 and RFC 4456 §8, and RFC 9234 route leaks, as a
    /// summary flag.
    fn loop_flag(&self, peer: PeerId, tlvs: &[u8]) -> u8 {
        let Some(cfg) = self.peer(peer) else { return 0 };
        if cfg.kind == PeerKind::Local {
            return 0;
        }
        let me = &self.sh.cfg;
        let sc = attrs::scan(tlvs);
        let looped = attrs::loops(tlvs, me.local_as, cfg.allowas_in)
            || sc.originator_id == Some(u32::from(me.router_id))
            || me.cluster_id.is_some_and(|c| attrs::cluster_list_has(tlvs, c))
            || leaks(cfg, tlvs);
        if looped {
            LOOP
        } else {
            0
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn announce_all(
        &mut self,
        peer: PeerId,
        family: Family,
        nh: Option<WireNextHop>,
        summary: Summary,
        tlvs: &[u8],
        routes: impl Iterator<Item = Nlri>,
        since: u32,
        sum: &mut UpdateSummary,
    ) {
        let Some(key) = self.nh_key(peer, nh) else {
            // No usable next hop for the family: nothing can be installed.
            sum.ignored += routes.count() as u32;
            return;
        };
        // RFC 4271 §9.1.2: a route whose AS_PATH holds our AS "MUST be excluded"; as FRR
        // and BIRD do, it is not kept at all, and replaces the neighbour's earlier path as
        // a withdrawal would (likewise RFC 4456 §8 loops and RFC 9234 §5 leaks).
        if self.loop_flag(peer, tlvs) != 0 {
            for n in routes {
                sum.looped += 1;
                self.withdraw(peer, n.prefix, n.path_id.unwrap_or(0));
            }
            return;
        }
        // RFC 9234 §5 ingress: "If a route is received from a Provider, a Peer, or an RS and
        // the OTC Attribute is not present, then it MUST be added with a value equal to the
        // AS number of the remote AS."
        let mut with_otc = Vec::new();
        let tlvs = match self.otc_to_add(peer, tlvs) {
            Some(asn) => {
                with_otc.extend_from_slice(tlvs);
                with_otc.extend_from_slice(&[0xc0, 35, 4]);
                with_otc.extend_from_slice(&asn.0.to_be_bytes());
                &with_otc[..]
            }
            None => tlvs,
        };
        let import =
            self.sh.peers.get(peer.0 as usize).and_then(|p| p.as_ref()).and_then(|p| p.import);
        match import {
            None => {
                // One record per path identifier (one in all without ADD-PATH), referenced
                // by every route of the message.
                let mut cur: Option<(u32, u32, bool)> = None;
                for n in routes {
                    let pid = n.path_id.unwrap_or(0);
                    let (rec, ok) = match cur {
                        Some((p, r, ok)) if p == pid => (r, ok),
                        _ => {
                            if let Some((_, r, _)) = cur {
                                self.release(r);
                            }
                            let s = self.source(peer, pid);
                            let r = self.intern(s, key, summary, tlvs);
                            let ok = select::ineligible(&self.sh, r).is_none();
                            cur = Some((pid, r, ok));
                            (r, ok)
                        }
                    };
                    self.sh.attrs.add_ref(rec);
                    self.put(n.prefix, rec, since, ok, sum);
                }
                if let Some((_, r, _)) = cur {
                    self.release(r);
                }
            }
            Some(map) => self.import_all(peer, map, family, key, summary, tlvs, routes, since, sum),
        }
    }

    /// [`Rib::announce_all`] through an import route map: evaluated once per message when
    /// the map reads no prefix, else once per route.
    #[allow(clippy::too_many_arguments)]
    fn import_all(
        &mut self,
        peer: PeerId,
        map: crate::policy::RouteMapId,
        family: Family,
        key: NhKey,
        summary: Summary,
        tlvs: &[u8],
        routes: impl Iterator<Item = Nlri>,
        since: u32,
        sum: &mut UpdateSummary,
    ) {
        let base = self.policy_route(peer, family, key, &summary, tlvs);
        let per_prefix = self.sh.policy.depends_on_prefix(map);
        let mut cached: Option<(Verdict, PolicyRoute)> = None;
        let mut t = Vec::new();
        for n in routes {
            let pid = n.path_id.unwrap_or(0);
            let (verdict, out) = match (&cached, per_prefix) {
                (Some(c), false) => c.clone(),
                _ => {
                    let mut r = base.clone();
                    r.prefix = n.prefix;
                    let v = self.sh.policy.apply(map, &mut r);
                    if !per_prefix {
                        cached = Some((v, r.clone()));
                    }
                    (v, r)
                }
            };
            if verdict == Verdict::Deny {
                sum.denied += 1;
                self.withdraw(peer, n.prefix, pid);
                continue;
            }
            let global = match out.next_hop_action {
                Some(NextHopAction::Address(a)) => Some(a),
                Some(NextHopAction::PeerAddress) => self.peer(peer).map(|c| c.address),
                Some(NextHopAction::Unchanged) | None => None,
            };
            let k = match global {
                Some(g) => NhKey { global: g, link_local: None, ..key },
                None => key,
            };
            let s2 = attrs::from_owned(&out.attrs, out.weight, &mut t);
            if self.loop_flag(peer, &t) != 0 {
                // The import map made it loop (e.g. `set as-path prepend` of our AS).
                sum.looped += 1;
                self.withdraw(peer, n.prefix, pid);
                continue;
            }
            let s = self.source(peer, pid);
            let rec = self.intern(s, k, s2, &t);
            let ok = select::ineligible(&self.sh, rec).is_none();
            self.put(n.prefix, rec, since, ok, sum);
        }
    }

    /// The route as the import policy sees it.
    fn policy_route(
        &self,
        peer: PeerId,
        family: Family,
        key: NhKey,
        s: &Summary,
        tlvs: &[u8],
    ) -> PolicyRoute {
        let prefix = if family.afi.0 == 2 {
            IpNet::V6(Default::default())
        } else {
            IpNet::V4(Default::default())
        };
        let mut r = PolicyRoute::new(prefix, Protocol::Bgp);
        r.peer = self.peer(peer).map(|c| c.address);
        r.next_hop = (!key.is_local()).then_some(key.global);
        r.weight = s.weight;
        r.attrs = attrs::to_owned(s, tlvs);
        r
    }

    /// Puts a path (its record holding one reference for it) to `prefix`.
    #[inline]
    fn put(
        &mut self,
        prefix: IpNet,
        rec: u32,
        since: u32,
        eligible: bool,
        sum: &mut UpdateSummary,
    ) {
        let max = self.sh.cfg.max_paths_per_prefix;
        // NLRI prefixes are canonical (bgp-wire clears host bits).
        let done = match prefix {
            IpNet::V4(n) => {
                let (pos, _) = self.v4.find_or_insert((u32::from(n.addr()), n.prefix_len()));
                select::put_bgp(&mut self.v4, &mut self.sh, pos, rec, since, max, eligible)
            }
            IpNet::V6(n) => {
                let (pos, _) = self.v6.find_or_insert((u128::from(n.addr()), n.prefix_len()));
                select::put_bgp(&mut self.v6, &mut self.sh, pos, rec, since, max, eligible)
            }
        };
        if done {
            sum.announced += 1;
        } else {
            sum.refused += 1;
        }
    }

    /// Drops a reference to a record, freeing it (and its next hop and source) when it was
    /// the last.
    pub(crate) fn release(&mut self, rec: u32) {
        select::release_rec(&mut self.sh, rec);
    }
}
