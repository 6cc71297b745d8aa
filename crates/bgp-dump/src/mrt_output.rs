//! Writing the messages of a capture as an MRT dump (RFC 6396 BGP4MP_ET records), so that
//! captures can be read by bgpdump, bgpkit and other MRT tools.

use bytes::BytesMut;
use std::collections::HashMap;
use std::net::SocketAddr;

use bgp_wire::message::Message;
use bgp_wire::mrt::{Bgp4mp, Bgp4mpBody, Bgp4mpSubtype, Record, RecordBody};
use bgp_wire::types::Asn;
use bgp_wire::Context;

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
