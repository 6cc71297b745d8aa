//! The export rules: what a route becomes when it is advertised to an update group, or
//! whether it is advertised at all.

use std::net::{IpAddr, Ipv4Addr};

use bgp_wire::attribute::set::AttributeIter;
use bgp_wire::attribute::{AttributeType, Flags};
use bgp_wire::attribute::{Community, NextHop, PathAttribute};
use bgp_wire::capability::BgpRole;
use bgp_wire::update::builder::{EncodedAttributes, UpdateBuilder};
use bgp_wire::Asn;
use ipnet::IpNet;
use rib::policy::{Policy, Verdict};
use rib::{NextHopAction, PathAttrs, PeerKind, PolicyRoute, Protocol, StoredAttributes};

use crate::group::{family_of, GroupKey};
use crate::out::Out;

/// Where the best path came from.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Origin {
    pub kind: PeerKind,
    pub rr_client: bool,
    /// The neighbour's BGP identifier (ORIGINATOR_ID when reflecting).
    pub router_id: Ipv4Addr,
}

/// What the speaker itself contributes.
pub(crate) struct Local<'a> {
    pub asn: Asn,
    pub cluster_id: Ipv4Addr,
    pub default_local_pref: u32,
    pub policy: &'a Policy,
    /// RFC 9494 §4.6: long-lived stale routes go to internal neighbours without the
    /// capability.
    pub long_lived_to_internal: bool,
}

/// RFC 6996 and RFC 7300 private AS numbers.
fn is_private(a: Asn) -> bool {
    (64512..=65534).contains(&a.0) || (4_200_000_000..=4_294_967_294).contains(&a.0)
}

/// The route as it goes to the group, or `None` when it must not go.
pub(crate) fn export(
    g: &GroupKey,
    me: &Local<'_>,
    prefix: IpNet,
    from: Origin,
    mut attrs: PathAttrs,
    weight: u16,
    original_next_hop: Option<IpAddr>,
) -> Option<Out> {
    let family = family_of(&prefix);
    if !g.families.contains(&family) {
        return None;
    }
    let internal_source = matches!(from.kind, PeerKind::Internal | PeerKind::ConfedExternal);
    // RFC 4271 §9.1.3 and RFC 4456 §6: a route from an internal peer goes to external peers;
    // to internal peers only when we reflect it: a client's route to every peer, a
    // non-client's route to clients only.
    let reflect = internal_source && !g.external;
    if reflect && !(from.rr_client || g.rr_client) {
        return None;
    }
    // RFC 1997: "NO_ADVERTISE: MUST NOT be advertised to other BGP peers"; NO_EXPORT and
    // NO_EXPORT_SUBCONFED not outside the AS (no confederation here).
    let has = |c: Community| attrs.communities.contains(&c);
    if has(Community::NO_ADVERTISE) {
        return None;
    }
    if g.external && (has(Community::NO_EXPORT) || has(Community::NO_EXPORT_SUBCONFED)) {
        return None;
    }
    // RFC 9494 §4.3: a long-lived stale route "SHOULD NOT be advertised to any neighbor from
    // which the Long-lived Graceful Restart Capability has not been received", but for
    // §4.6: "stale routes MAY be advertised to neighbors that have not advertised the
    // Long-lived Graceful Restart Capability" when "The neighbors MUST be internal".
    let partial = has(Community::LLGR_STALE) && !g.llgr;
    if partial && (g.external || !me.long_lived_to_internal) {
        return None;
    }
    // RFC 9234 §5 egress. Our role toward a provider, peer or route server is customer,
    // peer or route-server client; toward a customer, peer or client: provider, peer, RS.
    if let Some(role) = g.role {
        let toward_up =
            matches!(role, BgpRole::CUSTOMER | BgpRole::PEER | BgpRole::ROUTE_SERVER_CLIENT);
        let toward_down = matches!(role, BgpRole::PROVIDER | BgpRole::PEER | BgpRole::ROUTE_SERVER);
        // "If a route already contains the OTC Attribute, it MUST NOT be propagated to
        // Providers, Peers, or RSes."
        if attrs.otc.is_some() && toward_up {
            return None;
        }
        // "If a route is to be advertised to a Customer, a Peer, or an RS-Client ... and the
        // OTC Attribute is not present, then ... an OTC Attribute MUST be added with a value
        // equal to the AS number of the local AS."
        if attrs.otc.is_none() && toward_down {
            attrs.otc = Some(me.asn);
        }
    }
    if g.external {
        if g.as_override {
            if let Some(remote) = g.remote_as {
                for s in &mut attrs.as_path.segments {
                    s.asns.iter_mut().filter(|a| **a == remote).for_each(|a| *a = me.asn);
                }
            }
        }
        if g.remove_private_as {
            let all_private =
                attrs.as_path.segments.iter().flat_map(|s| &s.asns).all(|a| is_private(*a));
            if all_private {
                attrs.as_path.segments.clear();
            }
        }
        // RFC 4271 §5.1.2: "the advertising speaker ... shall prepend its own AS number as
        // the last element of the sequence".
        attrs.as_path.prepend(me.asn, 1);
        // RFC 4271 §5.1.5: LOCAL_PREF "MUST NOT" go to external peers; §5.1.4: a MED
        // received from a neighbouring AS "MUST NOT be propagated to other neighboring
        // ASes" (ours, from `network` or policy, may go).
        attrs.local_pref = None;
        if from.kind != PeerKind::Local {
            attrs.med = None;
        }
        // RFC 4456 §8: ORIGINATOR_ID and CLUSTER_LIST are optional non-transitive.
        attrs.originator_id = None;
        attrs.cluster_list.clear();
    } else {
        attrs.local_pref.get_or_insert(me.default_local_pref);
        if reflect {
            // RFC 4456 §8: "ORIGINATOR_ID ... created by an RR ... the BGP Identifier of the
            // originator of the route in the local AS"; "the RR MUST prepend its own
            // CLUSTER_ID to the CLUSTER_LIST".
            attrs.originator_id.get_or_insert(from.router_id);
            attrs.cluster_list.insert(0, me.cluster_id);
        }
    }
    // RFC 4271 §5: unrecognized transitive attributes go on with the Partial bit, others
    // are dropped.
    attrs.other = attrs.other.iter().filter_map(PathAttribute::for_readvertisement).collect();

    let NextHops { self_nh, kept, mut next_hop } = next_hops(g, from, family, original_next_hop);

    if let Some(map) = g.export {
        let mut r = PolicyRoute::new(prefix, Protocol::Bgp);
        r.next_hop = original_next_hop;
        r.weight = weight;
        r.attrs = attrs;
        if me.policy.apply(map, &mut r) == Verdict::Deny {
            return None;
        }
        match r.next_hop_action {
            Some(NextHopAction::Address(a)) => next_hop = as_next_hop(a, family, &g.tx),
            Some(NextHopAction::PeerAddress) => next_hop = self_nh,
            Some(NextHopAction::Unchanged) => next_hop = kept.or(next_hop),
            None => {}
        }
        attrs = r.attrs;
    }
    if partial {
        // §4.6: "The NO_EXPORT community [RFC1997] MUST be attached to the stale routes";
        // "The stale routes MUST have their LOCAL_PREF set to zero." After the export
        // policy, which may not undo it. LLGR_STALE stays (§4.3: it "MUST NOT be removed
        // when the route is further advertised").
        if !attrs.communities.contains(&Community::NO_EXPORT) {
            attrs.communities.push(Community::NO_EXPORT);
        }
        attrs.local_pref = Some(0);
    }
    let next_hop = next_hop?;
    Some(Out { attrs: UpdateBuilder::new(&g.tx, &to_wire(attrs)).encoded(), next_hop })
}

/// Our next hop toward the group, the route's own as the group may receive it, and the
/// one the route goes with when no export map changes it.
struct NextHops {
    self_nh: Option<NextHop>,
    kept: Option<NextHop>,
    next_hop: Option<NextHop>,
}

fn next_hops(
    g: &GroupKey,
    from: Origin,
    family: bgp_wire::Family,
    original: Option<IpAddr>,
) -> NextHops {
    let self_nh = g.self_next_hop(family).cloned();
    let kept = original.and_then(|a| as_next_hop(a, family, &g.tx));
    let use_self = from.kind == PeerKind::Local
        || g.next_hop_self
        || (g.external && !g.next_hop_unchanged)
        || kept.is_none();
    let next_hop = if use_self { self_nh.clone() } else { kept.clone() };
    NextHops { self_nh, kept, next_hop }
}

/// [`export`] toward an external group, made from the table's stored octets without
/// building typed attributes: for groups with no export map, as-override, private-AS
/// removal or role, speaking 4-octet AS, and routes whose stored attributes are all of the
/// types handled here, well formed. `None` when any of that does not hold (then [`export`]
/// runs); otherwise its answer, octet for octet (the tests compare the two).
pub(crate) fn export_stored(
    g: &GroupKey,
    me: &Local<'_>,
    prefix: IpNet,
    from: Origin,
    a: &StoredAttributes<'_>,
    original_next_hop: Option<IpAddr>,
) -> Option<Option<Out>> {
    let plain = g.external
        && g.export.is_none()
        && !g.as_override
        && !g.remove_private_as
        && g.role.is_none()
        && g.tx.four_octet_as;
    if !plain {
        return None;
    }
    let family = family_of(&prefix);
    if !g.families.contains(&family) {
        return Some(None);
    }
    let (mut path, mut aggregator, mut communities, mut ext, mut large, mut otc) =
        (None, None, None, None, None, None);
    for t in AttributeIter::over(a.tlvs) {
        let (slot, unit) = match t.type_code {
            AttributeType::AS_PATH => (&mut path, 1),
            AttributeType::AGGREGATOR if t.value.len() == 8 => (&mut aggregator, 8),
            AttributeType::COMMUNITIES => (&mut communities, 4),
            AttributeType::EXTENDED_COMMUNITIES => (&mut ext, 8),
            AttributeType::LARGE_COMMUNITY => (&mut large, 12),
            AttributeType::OTC if t.value.len() == 4 => (&mut otc, 4),
            // RFC 4456 §8: not sent outside the AS.
            AttributeType::ORIGINATOR_ID | AttributeType::CLUSTER_LIST => continue,
            _ => return None,
        };
        if slot.is_some() || t.value.len() % unit != 0 {
            return None;
        }
        *slot = Some(t.value);
    }
    // RFC 1997 and RFC 9494 §4.3, as in `export`.
    let stops = |c: Community| {
        c == Community::NO_ADVERTISE
            || c == Community::NO_EXPORT
            || c == Community::NO_EXPORT_SUBCONFED
            || (c == Community::LLGR_STALE && !g.llgr)
    };
    let listed = communities.unwrap_or(&[]).chunks_exact(4);
    if listed.map(|c| Community(u32::from_be_bytes([c[0], c[1], c[2], c[3]]))).any(stops) {
        return Some(None);
    }
    let Some(next_hop) = next_hops(g, from, family, original_next_hop).next_hop else {
        return Some(None);
    };
    let mut out = Vec::with_capacity(a.tlvs.len() + 32);
    put(&mut out, AttributeType::ORIGIN, &[a.origin]);
    // RFC 4271 §5.1.2: our AS first in the path, in its first AS_SEQUENCE while that has room
    // (as `AsPath::prepend` does).
    let path = path.unwrap_or(&[]);
    let asn = me.asn.0.to_be_bytes();
    match path {
        [2, n, rest @ ..] if *n < 255 => {
            put_header(&mut out, AttributeType::AS_PATH, path.len() + 4);
            out.extend_from_slice(&[2, n + 1]);
            out.extend_from_slice(&asn);
            out.extend_from_slice(rest);
        }
        _ => {
            put_header(&mut out, AttributeType::AS_PATH, path.len() + 6);
            out.extend_from_slice(&[2, 1]);
            out.extend_from_slice(&asn);
            out.extend_from_slice(path);
        }
    }
    // §5.1.4: only a MED of our own goes to another AS; §5.1.5: no LOCAL_PREF.
    if let (PeerKind::Local, Some(m)) = (from.kind, a.med) {
        put(&mut out, AttributeType::MULTI_EXIT_DISC, &m.to_be_bytes());
    }
    if a.atomic_aggregate {
        put(&mut out, AttributeType::ATOMIC_AGGREGATE, &[]);
    }
    let rest = [
        (AttributeType::AGGREGATOR, aggregator),
        (AttributeType::COMMUNITIES, communities),
        (AttributeType::EXTENDED_COMMUNITIES, ext),
        (AttributeType::LARGE_COMMUNITY, large),
        (AttributeType::OTC, otc),
    ];
    for (t, v) in rest {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            put(&mut out, t, v);
        }
    }
    Some(Some(Out { attrs: EncodedAttributes::from_octets(out), next_hop }))
}

/// An attribute header as a built attribute gets it: the type's flags, Extended Length
/// only when the value needs it.
fn put_header(out: &mut Vec<u8>, t: AttributeType, len: usize) {
    let flags = t.expected_flags().unwrap_or(Flags::OPTIONAL_TRANSITIVE).0;
    match u8::try_from(len) {
        Ok(l) => out.extend_from_slice(&[flags, t.0, l]),
        Err(_) => {
            out.extend_from_slice(&[flags | Flags::EXTENDED_LENGTH, t.0]);
            out.extend_from_slice(&(len.min(0xffff) as u16).to_be_bytes());
        }
    }
}

fn put(out: &mut Vec<u8>, t: AttributeType, value: &[u8]) {
    put_header(out, t, value.len());
    out.extend_from_slice(value);
}

/// A next hop address as the UPDATE carries it for `family`: IPv4 for IPv4 routes, IPv6
/// for IPv6 routes, and IPv6 for IPv4 routes only with extended next hop (RFC 8950).
fn as_next_hop(a: IpAddr, family: bgp_wire::Family, tx: &bgp_wire::Context) -> Option<NextHop> {
    match a {
        IpAddr::V4(v) if family == bgp_wire::Family::IPV4_UNICAST => Some(NextHop::Ipv4(v)),
        IpAddr::V6(v)
            if family != bgp_wire::Family::IPV4_UNICAST
                || tx.extended_next_hop.contains(family) =>
        {
            Some(NextHop::Ipv6(v))
        }
        _ => None,
    }
}

/// The attributes in wire form, in type-code order (the UPDATE builder writes the next hop).
pub(crate) fn to_wire(a: PathAttrs) -> Vec<PathAttribute> {
    use bgp_wire::attribute::Attribute as A;
    let mut v =
        vec![PathAttribute::new(A::Origin(a.origin)), PathAttribute::new(A::AsPath(a.as_path))];
    if let Some(m) = a.med {
        v.push(PathAttribute::new(A::MultiExitDisc(m)));
    }
    if let Some(l) = a.local_pref {
        v.push(PathAttribute::new(A::LocalPref(l)));
    }
    if a.atomic_aggregate {
        v.push(PathAttribute::new(A::AtomicAggregate));
    }
    if let Some(x) = a.aggregator {
        v.push(PathAttribute::new(A::Aggregator(x)));
    }
    if !a.communities.is_empty() {
        v.push(PathAttribute::new(A::Communities(a.communities)));
    }
    if let Some(o) = a.originator_id {
        v.push(PathAttribute::new(A::OriginatorId(o)));
    }
    if !a.cluster_list.is_empty() {
        v.push(PathAttribute::new(A::ClusterList(a.cluster_list)));
    }
    if !a.ext_communities.is_empty() {
        v.push(PathAttribute::new(A::ExtendedCommunities(a.ext_communities)));
    }
    if !a.large_communities.is_empty() {
        v.push(PathAttribute::new(A::LargeCommunities(a.large_communities)));
    }
    if let Some(o) = a.otc {
        v.push(PathAttribute::new(A::Otc(o)));
    }
    v.extend(a.other);
    v.sort_by_key(|p| p.type_code());
    v
}

#[cfg(test)]
mod tests;
