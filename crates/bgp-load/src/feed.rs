//! What a generator peer sends, encoded once before any connection: its table as a stream of
//! UPDATEs followed by End-of-RIB, the withdrawal of that table, and churn.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use bgp_wire::attribute::{Attribute, MpUnreach, PathAttribute};
use bgp_wire::nlri::Nlri;
use bgp_wire::update::OwnedUpdate;
use bgp_wire::{Context, Family};
use bytes::{Bytes, BytesMut};
use ipnet::IpNet;

use crate::churn::Event;
use crate::raw;
use crate::table::{NextHop, PathAttributes, Table, TableFamily};

/// The attribute seed of the benches (`benches/README.md`): the same table everywhere.
pub const TABLE_SEED: u64 = 0x0d05_2026_0511;

/// Who a generator peer is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerIdentity {
    /// Its AS: the first hop of every AS path it sends.
    pub asn: u32,
    /// Its BGP Identifier.
    pub router_id: Ipv4Addr,
    /// NEXT_HOP (IPv4) or MP_REACH_NLRI next hop (IPv6) of its routes: its own address.
    pub next_hop: IpAddr,
}

/// Whole messages back to back, with the end offset of each.
#[derive(Clone, Debug, Default)]
pub struct Stream {
    /// The octets.
    pub bytes: Bytes,
    /// Where each message ends in `bytes`.
    pub ends: Vec<usize>,
    /// Routes announced (or withdrawn) by the stream.
    pub routes: usize,
}

impl Stream {
    /// Slices of about `size` octets ending on message boundaries, for the writer.
    pub fn chunks(&self, size: usize) -> Vec<Bytes> {
        crate::session::chunks(&self.bytes, &self.ends, size)
    }
}

/// The family of a table as a BGP family.
pub fn family(f: TableFamily) -> Family {
    match f {
        TableFamily::Ipv4 => Family::IPV4_UNICAST,
        TableFamily::Ipv6 => Family::IPV6_UNICAST,
    }
}

/// `attrs` as sent by `peer`: its AS replaces the collector's first hop, its address is the
/// next hop (16 octets for IPv6: a global address alone).
pub fn as_sent_by(attrs: &PathAttributes, peer: &PeerIdentity) -> PathAttributes {
    let mut a = attrs.clone();
    let mut path: Vec<u32> = a.as_path.to_vec();
    match path.first_mut() {
        Some(first) => *first = peer.asn,
        None => path.push(peer.asn),
    }
    a.as_path = Arc::from(path);
    a.next_hop = match peer.next_hop {
        IpAddr::V4(v4) => NextHop::V4(v4),
        IpAddr::V6(v6) => NextHop::V6 { global: v6, link_local: None },
    };
    a
}

/// The table as `peer` announces it, then End-of-RIB (RFC 4724 §2).
pub fn table_stream(table: &Table, peer: &PeerIdentity) -> Stream {
    let mut buf = BytesMut::with_capacity(table.routes() * 9 + table.groups.len() * 80);
    let mut ends = Vec::with_capacity(table.groups.len() * 11 / 10 + 1);
    for group in &table.groups {
        let attrs = as_sent_by(&group.attrs, peer);
        let mut rest = group.prefixes.as_slice();
        while !rest.is_empty() {
            let n = raw::prefixes_that_fit(table.family, &attrs, rest);
            let (now, later) = rest.split_at(n);
            raw::encode_update(table.family, &attrs, now, &mut buf);
            ends.push(buf.len());
            rest = later;
        }
    }
    OwnedUpdate::end_of_rib(family(table.family)).encode(&Context::modern(), &mut buf);
    ends.push(buf.len());
    Stream { bytes: buf.freeze(), ends, routes: table.routes() }
}

/// Withdrawals of every prefix of `table`, packed into UPDATEs of at most 4096 octets.
pub fn withdraw_stream(table: &Table) -> Stream {
    let ctx = Context::modern();
    // Worst case per prefix: 5 octets (IPv4), 17 (IPv6); a message keeps ~60 octets spare.
    let per_message = match table.family {
        TableFamily::Ipv4 => (4096 - 60) / 5,
        TableFamily::Ipv6 => (4096 - 60) / 17,
    };
    let all: Vec<Nlri> =
        table.groups.iter().flat_map(|g| g.prefixes.iter().map(|p| Nlri::new(*p))).collect();
    let mut buf = BytesMut::with_capacity(all.len() * 8);
    let mut ends = Vec::with_capacity(all.len() / per_message + 1);
    for batch in all.chunks(per_message) {
        withdrawal(table.family, batch.to_vec()).encode(&ctx, &mut buf);
        ends.push(buf.len());
    }
    Stream { bytes: buf.freeze(), ends, routes: all.len() }
}

fn withdrawal(family: TableFamily, routes: Vec<Nlri>) -> OwnedUpdate {
    match family {
        TableFamily::Ipv4 => OwnedUpdate { withdrawn: routes, ..OwnedUpdate::default() },
        TableFamily::Ipv6 => OwnedUpdate {
            attributes: vec![PathAttribute::new(Attribute::MpUnreachNlri(MpUnreach::new(
                Family::IPV6_UNICAST,
                routes,
            )))],
            ..OwnedUpdate::default()
        },
    }
}

/// One churn event as its own UPDATE.
#[derive(Clone, Debug)]
pub struct ChurnMessage {
    /// The event.
    pub event: Event,
    /// The UPDATE.
    pub bytes: Bytes,
}

/// Churn events of `table`'s family as one-prefix UPDATEs from `peer`; announcements take
/// the attributes of every 97th set of the table in turn (as the `rib` bench does).
pub fn churn_messages(table: &Table, events: &[Event], peer: &PeerIdentity) -> Vec<ChurnMessage> {
    let ctx = Context::modern();
    let sets: Vec<PathAttributes> =
        table.groups.iter().step_by(97).map(|g| as_sent_by(&g.attrs, peer)).collect();
    let mut buf = BytesMut::new();
    let mut out = Vec::with_capacity(events.len());
    for (i, e) in events.iter().enumerate() {
        let same_family = matches!(
            (e, table.family),
            (Event::Announce(IpNet::V4(_)) | Event::Withdraw(IpNet::V4(_)), TableFamily::Ipv4)
                | (
                    Event::Announce(IpNet::V6(_)) | Event::Withdraw(IpNet::V6(_)),
                    TableFamily::Ipv6
                )
        );
        if !same_family || sets.is_empty() {
            continue;
        }
        match *e {
            Event::Announce(p) => {
                raw::encode_update(table.family, &sets[i % sets.len()], &[p], &mut buf);
            }
            Event::Withdraw(p) => {
                withdrawal(table.family, vec![Nlri::new(p)]).encode(&ctx, &mut buf)
            }
        }
        out.push(ChurnMessage { event: *e, bytes: buf.split().freeze() });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::synthetic_prefixes;
    use bgp_wire::message::{decode_next, Message};

    fn decode_all(s: &Stream) -> Vec<Message> {
        let mut rx = BytesMut::from(&s.bytes[..]);
        let mut out = Vec::new();
        while let Some(m) = decode_next(&mut rx, &Context::modern()).unwrap() {
            out.push(m);
        }
        assert!(rx.is_empty());
        out
    }

    #[test]
    fn table_then_end_of_rib_then_withdrawals_each_family() {
        for (f, nh) in [
            (TableFamily::Ipv4, IpAddr::from([10, 1, 0, 2])),
            (TableFamily::Ipv6, "fd00:1::2".parse().unwrap()),
        ] {
            let prefixes = synthetic_prefixes(f, 3000, 7);
            let table = Table::generate(f, &prefixes, TABLE_SEED);
            let peer = PeerIdentity { asn: 65001, router_id: [10, 1, 0, 2].into(), next_hop: nh };
            let s = table_stream(&table, &peer);
            let msgs = decode_all(&s);
            assert_eq!(msgs.len(), s.ends.len());
            let mut announced = 0;
            for m in &msgs[..msgs.len() - 1] {
                let Message::Update(u) = m else { panic!("not an UPDATE") };
                announced += u.announced().count();
                let first = u
                    .attributes()
                    .as_path_ref()
                    .and_then(|p| p.segments().next())
                    .and_then(|s| s.asns().next());
                assert_eq!(first, Some(bgp_wire::Asn(65001)));
            }
            assert_eq!(announced, prefixes.len());
            let Some(Message::Update(eor)) = msgs.last() else { panic!("no End-of-RIB") };
            assert_eq!(eor.end_of_rib(), Some(family(f)));

            let w = withdraw_stream(&table);
            let withdrawn: usize = decode_all(&w)
                .iter()
                .map(|m| match m {
                    Message::Update(u) => u.withdrawals().count(),
                    _ => panic!("not an UPDATE"),
                })
                .sum();
            assert_eq!(withdrawn, prefixes.len());
        }
    }
}
