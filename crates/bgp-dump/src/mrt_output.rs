//! Writing the messages of a capture as an MRT dump (RFC 6396 BGP4MP_ET records), so that
//! captures can be read by bgpdump, bgpkit and other MRT tools.

use bytes::{Bytes, BytesMut};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;

use bgp_wire::attribute::AttributeType;
use bgp_wire::message::Message;
use bgp_wire::mrt::table_dump_v2;
use bgp_wire::mrt::{
    Bgp4mp, Bgp4mpBody, Bgp4mpSubtype, PeerEntry, PeerIndexTable, Record, RecordBody, Rib, RibEntry,
};
use bgp_wire::nlri::Nlri;
use bgp_wire::types::Asn;
use bgp_wire::{Context, Family};

use crate::capture::{Capture, ItemKind};

/// The BGP4MP subtype that says how a message decoded with `ctx` is encoded: AS4 when AS
/// numbers are four octets (RFC 6396 §4.4.3), ADDPATH when NLRI carry path identifiers
/// (RFC 8050 §3).
pub fn subtype_for(ctx: &Context) -> Bgp4mpSubtype {
    match (ctx.four_octet_as, !ctx.add_path.is_empty()) {
        (false, false) => Bgp4mpSubtype::MESSAGE,
        (true, false) => Bgp4mpSubtype::MESSAGE_AS4,
        (false, true) => Bgp4mpSubtype::MESSAGE_ADDPATH,
        (true, true) => Bgp4mpSubtype::MESSAGE_AS4_ADDPATH,
    }
}

/// Every message of the capture as a BGP4MP_ET record, in capture order. The sender is the
/// "peer" and the receiver the "local" side; their AS numbers come from the OPENs each sent
/// (0 when the capture does not hold it). Header errors and skipped octets are not written.
pub fn write(c: &Capture, out: &mut BytesMut) -> usize {
    let mut asn: HashMap<SocketAddr, Asn> = HashMap::new();
    let mut n = 0;
    for item in &c.items {
        let ItemKind::Message(d) = &item.kind else { continue };
        if let Ok(Message::Open(o)) = &d.result {
            asn.insert(item.src, o.asn());
        }
        let rec = Record {
            timestamp: u32::try_from(item.time.secs).unwrap_or(u32::MAX),
            microseconds: Some(item.time.nanos / 1000),
            body: RecordBody::Bgp4mp(Bgp4mp {
                subtype: subtype_for(&d.context),
                peer_as: asn.get(&item.src).copied().unwrap_or(Asn(0)),
                local_as: asn.get(&item.dst).copied().unwrap_or(Asn(0)),
                interface_index: 0,
                peer_ip: item.src.ip(),
                local_ip: item.dst.ip(),
                body: Bgp4mpBody::Message(d.bytes.clone()),
            }),
        };
        rec.encode(out);
        n += 1;
    }
    n
}

/// The routes a capture leaves in place at its end (announcements minus withdrawals, per
/// sending peer), written as a TABLE_DUMP_V2 dump (RFC 6396 §4.3): a PEER_INDEX_TABLE, then
/// one RIB_IPV4_UNICAST / RIB_IPV6_UNICAST record per prefix (the `_ADDPATH` subtypes of
/// RFC 8050 for routes with path identifiers), entries in peer order.
///
/// Attributes are re-encoded with 4-octet AS numbers; MP_REACH_NLRI is abbreviated to its next
/// hop (RFC 6396 §4.3.4) and MP_UNREACH_NLRI left out. UPDATEs with RFC 7606 issues are not
/// used. Returns the number of RIB records.
pub fn write_rib(c: &Capture, timestamp: u32, out: &mut BytesMut) -> usize {
    let mut opens: HashMap<SocketAddr, (Asn, [u8; 4])> = HashMap::new();
    let mut peers: Vec<SocketAddr> = Vec::new();
    // (prefix, path id) -> peer -> (originated time, attributes)
    type Key = (ipnet::IpNet, Option<u32>);
    let mut rib: BTreeMap<Key, BTreeMap<usize, (u32, Bytes)>> = BTreeMap::new();
    let ctx4 = table_dump_v2::attribute_context();
    for item in &c.items {
        let ItemKind::Message(d) = &item.kind else { continue };
        let u = match &d.result {
            Ok(Message::Open(o)) => {
                opens.insert(item.src, (o.asn(), o.bgp_id.octets()));
                continue;
            }
            Ok(Message::Update(u)) if u.issues().is_empty() => u,
            _ => continue,
        };
        let peer = match peers.iter().position(|p| *p == item.src) {
            Some(i) => i,
            None => {
                peers.push(item.src);
                peers.len() - 1
            }
        };
        let time = u32::try_from(item.time.secs).unwrap_or(u32::MAX);
        let mut withdrawn: Vec<Nlri> = u.withdrawn().collect();
        if let Some(m) = u.mp_unreach() {
            withdrawn.extend(m.routes());
        }
        for n in withdrawn {
            if let Some(e) = rib.get_mut(&(n.prefix, n.path_id)) {
                e.remove(&peer);
            }
        }
        let mut attrs = BytesMut::new();
        for a in u.attributes().to_owned_attributes(&d.context) {
            match a.type_code() {
                AttributeType::MP_REACH_NLRI | AttributeType::MP_UNREACH_NLRI => {}
                _ => a.encode(&ctx4, &mut attrs),
            }
        }
        let mut announced: Vec<Nlri> = u.nlri().collect();
        if let Some(m) = u.mp_reach() {
            table_dump_v2::write_abbreviated_mp_reach(m.next_hop, &mut attrs);
            announced.extend(m.routes());
        }
        let attrs = attrs.freeze();
        for n in announced {
            rib.entry((n.prefix, n.path_id)).or_default().insert(peer, (time, attrs.clone()));
        }
    }
    let table = PeerIndexTable {
        collector_bgp_id: [0; 4],
        view_name: Bytes::from_static(b"bgp-dump"),
        peers: peers
            .iter()
            .map(|p| {
                let (asn, bgp_id) = opens.get(p).copied().unwrap_or((Asn(0), [0; 4]));
                PeerEntry { bgp_id, ip: p.ip(), asn, as4: true, reserved_bits: 0 }
            })
            .collect(),
    };
    let record = |body| Record { timestamp, microseconds: None, body };
    record(RecordBody::PeerIndexTable(table)).encode(out);
    let mut n = 0;
    for ((prefix, path_id), entries) in rib {
        if entries.is_empty() {
            continue;
        }
        let family = match prefix {
            ipnet::IpNet::V4(_) => Family::IPV4_UNICAST,
            ipnet::IpNet::V6(_) => Family::IPV6_UNICAST,
        };
        let entries = entries
            .into_iter()
            .map(|(peer, (time, attributes))| RibEntry {
                peer_index: u16::try_from(peer).unwrap_or(u16::MAX),
                originated_time: time,
                path_id,
                attributes,
            })
            .collect();
        let rib = Rib { family, add_path: path_id.is_some(), sequence: n, prefix, entries };
        record(RecordBody::Rib(rib)).encode(out);
        n += 1;
    }
    n as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use bgp_wire::mrt::Records;

    /// The demo capture written as MRT and read back: the same messages, in the same order,
    /// decoding the same way under the context the record's subtype gives.
    #[test]
    fn capture_round_trips_through_mrt() {
        let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/data/demo.pcap")).unwrap();
        let c = crate::capture::decode(&data, &[179]);
        let mut out = BytesMut::new();
        let written = write(&c, &mut out);
        let messages: Vec<_> = c
            .items
            .iter()
            .filter_map(|i| match &i.kind {
                ItemKind::Message(d) => Some((i.time, d.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(written, messages.len());
        assert!(written > 20);
        let mut read = 0;
        for (raw, (time, d)) in Records::new(out.freeze()).zip(&messages) {
            let rec = raw.unwrap().decode().unwrap();
            assert_eq!(u64::from(rec.timestamp), time.secs);
            assert_eq!(rec.microseconds, Some(time.nanos / 1000));
            let RecordBody::Bgp4mp(m) = &rec.body else { panic!("not BGP4MP") };
            let back = crate::mrt_input::bgp4mp_message(m).unwrap();
            assert_eq!(back.bytes, d.bytes);
            assert_eq!(back.result, d.result);
            read += 1;
        }
        assert_eq!(read, written);
    }
}
