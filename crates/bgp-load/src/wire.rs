//! The generated tables in bgp-wire's types, for its UPDATE builder, and the builder run over
//! a whole table.

use std::net::IpAddr;

use bgp_wire::attribute::{
    Aggregator, AsPath, Attribute, Community, LargeCommunity, NextHop as WireNextHop, Origin,
    PathAttribute,
};
use bgp_wire::nlri::Nlri;
use bgp_wire::update::builder::{Encoding, UpdateBuilder};
use bgp_wire::{Asn, Context, Family};
use bytes::BytesMut;

use super::table::{NextHop, PathAttributes, Table, TableFamily};

/// One attribute set ready for the builder.
#[derive(Clone, Debug)]
pub struct WireGroup {
    /// The attributes other than the next hop.
    pub attributes: Vec<PathAttribute>,
    /// The next hop.
    pub next_hop: WireNextHop,
    /// The routes.
    pub routes: Vec<Nlri>,
}

/// A table converted once, so that encoding benches time only the builder.
#[derive(Clone, Debug)]
pub struct WireTable {
    /// The family of the routes.
    pub family: Family,
    /// Classic NLRI for IPv4, MP_REACH_NLRI for IPv6 (as the reference encoder does).
    pub encoding: Encoding,
    /// Attribute sets with their routes.
    pub groups: Vec<WireGroup>,
}

/// The session both encoders assume: 4-octet AS, no ADD-PATH, 4096-octet messages.
pub fn context() -> Context {
    Context::modern()
}

/// The typed attributes of a generated attribute set (without the next hop).
pub fn attributes(a: &PathAttributes) -> Vec<PathAttribute> {
    let origin = Origin::from_u8(a.origin).unwrap_or(Origin::Incomplete);
    let mut out = vec![
        PathAttribute::new(Attribute::Origin(origin)),
        PathAttribute::new(Attribute::AsPath(AsPath::from_sequence(a.as_path.iter().copied()))),
    ];
    if let Some(med) = a.med {
        out.push(PathAttribute::new(Attribute::MultiExitDisc(med)));
    }
    if a.atomic_aggregate {
        out.push(PathAttribute::new(Attribute::AtomicAggregate));
    }
    if let Some((asn, address)) = a.aggregator {
        out.push(PathAttribute::new(Attribute::Aggregator(Aggregator { asn: Asn(asn), address })));
    }
    if !a.communities.is_empty() {
        let c = a.communities.iter().map(|&c| Community(c)).collect();
        out.push(PathAttribute::new(Attribute::Communities(c)));
    }
    if !a.large_communities.is_empty() {
        let l = a
            .large_communities
            .iter()
            .map(|&[global_admin, local_data_1, local_data_2]| LargeCommunity {
                global_admin,
                local_data_1,
                local_data_2,
            })
            .collect();
        out.push(PathAttribute::new(Attribute::LargeCommunities(l)));
    }
    out
}

/// The next hop in bgp-wire's type.
pub fn next_hop(n: NextHop) -> WireNextHop {
    match n {
        NextHop::V4(a) => WireNextHop::Ipv4(a),
        NextHop::V6 { global, link_local: None } => WireNextHop::Ipv6(global),
        NextHop::V6 { global, link_local: Some(link_local) } => {
            WireNextHop::Ipv6LinkLocal { global, link_local }
        }
    }
}

impl WireTable {
    /// Converts a generated table.
    pub fn new(table: &Table) -> WireTable {
        let (family, encoding) = match table.family {
            TableFamily::Ipv4 => (Family::IPV4_UNICAST, Encoding::Classic),
            TableFamily::Ipv6 => (Family::IPV6_UNICAST, Encoding::MpReach),
        };
        let groups = table
            .groups
            .iter()
            .map(|g| WireGroup {
                attributes: attributes(&g.attrs),
                next_hop: next_hop(g.attrs.next_hop),
                routes: g.prefixes.iter().map(|&p| Nlri::new(p)).collect(),
            })
            .collect();
        WireTable { family, encoding, groups }
    }

    /// Builds every message of the table into `buf` (cleared first); returns how many.
    pub fn encode(&self, ctx: &Context, buf: &mut BytesMut) -> usize {
        buf.clear();
        let mut messages = 0;
        for g in &self.groups {
            let builder = UpdateBuilder::new(ctx, &g.attributes);
            messages += builder.announce(self.family, &g.next_hop, &g.routes, self.encoding, buf);
        }
        messages
    }
}

/// The global address of a next hop, as the benches fold it.
pub fn next_hop_address(n: &WireNextHop) -> Option<IpAddr> {
    match n {
        WireNextHop::Ipv4(a) => Some(IpAddr::V4(*a)),
        WireNextHop::Ipv6(a) | WireNextHop::Ipv6LinkLocal { global: a, .. } => Some(IpAddr::V6(*a)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    //! bgp-wire's builder against the independent encoder of [`super::super::raw`]: both
    //! streams, decoded, must give back exactly the generated attributes and prefixes, in the
    //! same number of messages.

    use super::*;
    use crate::raw::{self, MAX_MESSAGE_LEN};
    use crate::table::{synthetic_prefixes, RouteGroup};
    use bgp_wire::header::frame;
    use bgp_wire::update::Update;
    use bytes::Bytes;
    use ipnet::IpNet;

    /// A table of `n` synthetic prefixes, plus one attribute set with enough prefixes to need
    /// several full messages.
    fn table(family: TableFamily, n: usize, seed: u64) -> Table {
        let prefixes = synthetic_prefixes(family, n + 2000, seed);
        let (small, big) = prefixes.split_at(n);
        let mut t = Table::generate(family, small, seed);
        let attrs = t.groups[0].attrs.clone();
        t.groups.push(RouteGroup { attrs, prefixes: big.to_vec() });
        t
    }

    /// Splits a stream into messages with bgp-wire's framing helper.
    fn messages(mut stream: Bytes, ctx: &Context) -> Vec<Bytes> {
        let mut out = Vec::new();
        while !stream.is_empty() {
            let len = match frame(&stream, ctx.max_message_len()) {
                Ok(Some(len)) => len,
                other => panic!("framing failed with {other:?} at {} octets left", stream.len()),
            };
            out.push(stream.split_to(len));
        }
        out
    }

    /// Decodes one message into the generator's model, with its prefixes.
    fn model(msg: Bytes, ctx: &Context) -> (PathAttributes, Vec<IpNet>) {
        let u = Update::decode(msg, ctx).unwrap();
        assert!(u.issues().is_empty(), "{:?}", u.issues());
        let a = u.attributes();
        let path = a.as_path().unwrap();
        assert_eq!(path.segments.len(), 1);
        let mut prefixes: Vec<IpNet> = u.nlri().map(|n| n.prefix).collect();
        let next_hop = match (a.next_hop(), u.mp_reach()) {
            (Some(v4), None) => NextHop::V4(v4),
            (None, Some(mp)) => {
                prefixes.extend(mp.routes().map(|n| n.prefix));
                match mp.next_hop() {
                    WireNextHop::Ipv6(global) => NextHop::V6 { global, link_local: None },
                    WireNextHop::Ipv6LinkLocal { global, link_local } => {
                        NextHop::V6 { global, link_local: Some(link_local) }
                    }
                    other => panic!("unexpected next hop {other:?}"),
                }
            }
            other => panic!("next hop and MP_REACH_NLRI: {other:?}"),
        };
        let attrs = PathAttributes {
            origin: a.origin().unwrap().to_u8(),
            as_path: path.segments[0].asns.iter().map(|x| x.0).collect(),
            next_hop,
            med: a.multi_exit_disc(),
            atomic_aggregate: a.atomic_aggregate(),
            aggregator: a.aggregator().map(|g| (g.asn.0, g.address)),
            communities: a.communities().map(|c| c.0).collect(),
            large_communities: a
                .large_communities()
                .map(|l| [l.global_admin, l.local_data_1, l.local_data_2])
                .collect(),
        };
        (attrs, prefixes)
    }

    /// The table as (attributes, prefixes) per message, from a stream of messages.
    fn decode_stream(stream: Bytes, ctx: &Context) -> Vec<(PathAttributes, Vec<IpNet>)> {
        messages(stream, ctx).into_iter().map(|m| model(m, ctx)).collect()
    }

    /// Regroups per-message results by attribute set, in order.
    fn regroup(decoded: Vec<(PathAttributes, Vec<IpNet>)>) -> Vec<RouteGroup> {
        let mut out: Vec<RouteGroup> = Vec::new();
        for (attrs, prefixes) in decoded {
            match out.last_mut() {
                Some(last) if last.attrs == attrs => last.prefixes.extend(prefixes),
                _ => out.push(RouteGroup { attrs, prefixes }),
            }
        }
        out
    }

    fn check(family: TableFamily, seed: u64) {
        let ctx = context();
        let table = table(family, 3000, seed);
        let reference = raw::encode_table(&table);
        let mut built = BytesMut::new();
        let count = WireTable::new(&table).encode(&ctx, &mut built);
        let built = built.freeze();

        assert_eq!(count, reference.messages.len(), "{family:?}: message count");
        let from_builder = decode_stream(built.clone(), &ctx);
        let from_reference = decode_stream(reference.bytes.clone(), &ctx);
        assert_eq!(from_builder.len(), count);
        assert_eq!(from_builder, from_reference, "{family:?}: builder and reference differ");
        // Consecutive sets can be equal only by chance; regrouping gives back the table.
        let expected: Vec<RouteGroup> =
            regroup(table.groups.iter().map(|g| (g.attrs.clone(), g.prefixes.clone())).collect());
        assert_eq!(regroup(from_builder), expected, "{family:?}: decoded table differs");
        for m in messages(built, &ctx) {
            assert!(m.len() <= MAX_MESSAGE_LEN);
        }
    }

    /// The same checks on the first prefixes of the real tables (the data folder must be there).
    #[test]
    fn real_tables_share_like_real_tables_and_encode_alike() {
        use crate::prefixes::{self, IPV4_FILE, IPV6_FILE};
        let ctx = context();
        for (family, file) in [(TableFamily::Ipv4, IPV4_FILE), (TableFamily::Ipv6, IPV6_FILE)] {
            let path = prefixes::data_dir().join(file);
            assert!(
                path.exists(),
                "{} is missing (set {})",
                path.display(),
                prefixes::DATA_DIR_ENV
            );
            let prefixes = prefixes::load(&path, Some(30_000)).unwrap();
            assert_eq!(prefixes.len(), 30_000);
            let table = Table::generate(family, &prefixes, 0x0d05);
            let s = table.stats();
            assert!((2.4..2.8).contains(&s.routes_per_attribute_set()), "{family:?}: {s:?}");
            assert!((5.5..6.8).contains(&s.routes_per_as_path()), "{family:?}: {s:?}");
            let reference = raw::encode_table(&table);
            let mut built = BytesMut::new();
            let count = WireTable::new(&table).encode(&ctx, &mut built);
            assert_eq!(count, reference.messages.len());
            assert_eq!(
                decode_stream(built.freeze(), &ctx),
                decode_stream(reference.bytes.clone(), &ctx),
                "{family:?}"
            );
        }
    }

    #[test]
    fn builder_and_reference_encoder_agree_on_ipv4() {
        check(TableFamily::Ipv4, 21);
    }

    #[test]
    fn builder_and_reference_encoder_agree_on_ipv6() {
        check(TableFamily::Ipv6, 22);
    }
}
