//! OSPFv3 not-so-stubby areas (RFC 3101 as RFC 5340 A.4.8 carries it):
//! NSSA-LSAs for our redistributed routes, and at an NSSA border router
//! elected translator, AS-external-LSAs translated from the area's
//! NSSA-LSAs. The routes of NSSA-LSAs are computed in `route6.rs`.

use std::collections::BTreeSet;

use ipnet::Ipv6Net;
use ospf_wire::v3::{AsExternalLsa, LsType, LsaBody, PrefixEntry, PrefixOptions, RouterFlags};
use rib::PathType;

use crate::instance::OspfInstance;
use crate::types::{consts, AreaId};
use crate::v3::{external6, hashed_ids, key};
use crate::version::{Desired, Scope};
use crate::V3;

impl OspfInstance<V3> {
    /// RFC 3101 §2.4: an NSSA-LSA per redistributed route into each NSSA.
    /// The P-bit asks the translator to propagate it, except from a border
    /// router, which originates the AS-external-LSA itself.
    pub(crate) fn nssa_lsas(
        &self,
        up_areas: &BTreeSet<AreaId>,
        abr: bool,
        out: &mut Vec<Desired<V3>>,
    ) {
        let me = self.cfg.router_id;
        let mut routes: Vec<_> = self.cfg.redistribute6.iter().collect();
        routes.sort_by_key(|r| r.prefix.trunc());
        routes.dedup_by_key(|r| r.prefix.trunc());
        let ids = hashed_ids(routes.iter().map(|r| r.prefix.trunc()));
        let options = if abr { PrefixOptions(0) } else { PrefixOptions::P };
        for area in up_areas.iter().filter(|a| self.areas.get(a).is_some_and(|x| x.is_nssa())) {
            let fa = self.nssa_forwarding(*area);
            for (r, id) in routes.iter().zip(&ids) {
                let Some(body) = external6(r, r.forwarding.or(fa), options) else { continue };
                out.push((Scope::Area(*area), key(LsType::NSSA, *id, me), LsaBody::Nssa(body)));
            }
        }
    }

    /// RFC 3101 §3.1: whether we translate `area`'s NSSA-LSAs. A border
    /// router with the Nt-bit always does; otherwise the border router (B
    /// bit) of the NSSA with the highest Router ID is elected.
    pub(crate) fn nssa_translator(&self, area: AreaId) -> bool {
        let me = self.cfg.router_id;
        let Some(db) = self.areas.get(&area).map(|a| &a.lsdb) else { return false };
        let ty = LsType::ROUTER.0;
        let mut others_nt = false;
        let mut highest = me;
        for (k, e) in db.iter_codes(ty, ty) {
            let LsaBody::Router(r) = e.lsa.body() else { continue };
            if k.advertising_router == me || e.lsa.header().ls_age >= consts::MAX_AGE {
                continue;
            }
            if r.flags.0 & RouterFlags::NT.0 != 0 {
                others_nt = true;
            }
            if r.flags.0 & RouterFlags::B.0 != 0 {
                highest = highest.max(k.advertising_router);
            }
        }
        !others_nt && highest == me
    }

    /// RFC 3101 §3.2: the AS-external-LSAs an elected translator originates
    /// for the NSSA-LSAs of its NSSAs that have the P-bit and a forwarding
    /// address, and whose route it has: the best for each prefix (type 1
    /// before type 2, then the lower metric), P-bit cleared.
    pub(crate) fn nssa_translations(
        &self,
        up_areas: &BTreeSet<AreaId>,
        out: &mut Vec<(Ipv6Net, AsExternalLsa)>,
    ) {
        let me = self.cfg.router_id;
        let mut found: Vec<(Ipv6Net, bool, u32, AsExternalLsa)> = Vec::new();
        for area in up_areas
            .iter()
            .filter(|a| self.areas.get(a).is_some_and(|x| x.is_nssa()) && self.nssa_translator(**a))
        {
            let Some(db) = self.areas.get(area).map(|a| &a.lsdb) else { continue };
            let ty = LsType::NSSA.0;
            for (k, e) in db.iter_codes(ty, ty) {
                let LsaBody::Nssa(x) = e.lsa.body() else { continue };
                if k.advertising_router == me
                    || e.lsa.header().ls_age >= consts::MAX_AGE
                    || x.metric >= consts::LS_INFINITY
                    || !x.prefix.options.contains(PrefixOptions::P)
                    || x.prefix.options.contains(PrefixOptions::NU)
                    || x.forwarding_address.is_none_or(|a| a.is_unspecified())
                {
                    continue;
                }
                let Ok(p) = Ipv6Net::new(x.prefix.prefix.network(), x.prefix.prefix.length())
                else {
                    continue;
                };
                let routed = self.table.route(&p).is_some_and(|r| {
                    matches!(r.path_type, PathType::Type1External | PathType::Type2External)
                });
                if !routed {
                    continue;
                }
                let options = PrefixOptions(x.prefix.options.0 & !PrefixOptions::P.0);
                let body = AsExternalLsa {
                    prefix: PrefixEntry { prefix: x.prefix.prefix, options },
                    referenced: None,
                    ..*x
                };
                found.push((p, x.e_bit, x.metric, body));
            }
        }
        found.sort_by_key(|(p, e, m, _)| (*p, *e, *m));
        found.dedup_by_key(|(p, ..)| *p);
        out.extend(found.into_iter().map(|(p, _, _, b)| (p, b)));
    }
}
