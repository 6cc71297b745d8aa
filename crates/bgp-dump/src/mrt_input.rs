//! MRT dumps (plain, gzip or bzip2) to JSON objects, one per BGP message or RIB record.

use bytes::Bytes;
use serde_json::{json, Map, Value};
use std::io::Read;

use bgp_wire::attribute::Attributes;
use bgp_wire::message::Message;
use bgp_wire::mrt::table_dump_v2::{attribute_context, expand_mp_reach};
use bgp_wire::mrt::{
    Bgp4mp, Bgp4mpBody, PeerIndexTable, RawRecord, Record, RecordBody, Records, RibEntry, TableDump,
};
use bgp_wire::{Context, Family};

use crate::session::Decoded;

/// gzip magic (RFC 1952 §2.3.1).
pub fn is_gzip(data: &[u8]) -> bool {
    data.starts_with(&[0x1f, 0x8b])
}

/// bzip2 magic: "BZh" and a block size digit.
pub fn is_bzip2(data: &[u8]) -> bool {
    data.len() >= 4 && data.starts_with(b"BZh") && data[3].is_ascii_digit()
}

/// Decompresses gzip or bzip2 by magic; anything else is returned as it is.
pub fn decompress(data: Vec<u8>) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    if is_gzip(&data) {
        flate2::read::MultiGzDecoder::new(&data[..]).read_to_end(&mut out)?;
        Ok(out)
    } else if is_bzip2(&data) {
        bzip2::read::MultiBzDecoder::new(&data[..]).read_to_end(&mut out)?;
        Ok(out)
    } else {
        Ok(data)
    }
}

/// Whether the data starts like an MRT record: a known type and a length that fits.
pub fn looks_like_mrt(data: &[u8]) -> bool {
    let (Some(t), Some(len)) = (data.get(4..6), data.get(8..12)) else { return false };
    let t = u16::from_be_bytes([t[0], t[1]]);
    let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
    matches!(t, 5 | 11 | 12 | 13 | 16 | 17 | 32 | 33 | 48 | 49) && len <= data.len() - 12
}

/// Decodes what a BGP4MP record carries: the message under the record's context.
///
/// Some writers (BIRD's mrtdump before RFC 8050 subtypes) log messages of a session that
/// negotiated ADD-PATH under the plain MESSAGE subtypes. When the message does not decode
/// cleanly under the subtype's context but does with path identifiers, that decode is kept and
/// marked as guessed.
pub fn bgp4mp_message(m: &Bgp4mp) -> Option<Decoded> {
    let Bgp4mpBody::Message(bytes) = &m.body else { return None };
    let context = m.context();
    let result = Message::decode(bytes.clone(), &context);
    let clean = |r: &Result<Message, bgp_wire::Error>| match r {
        Ok(Message::Update(u)) => u.issues().is_empty(),
        Ok(_) => true,
        Err(_) => false,
    };
    if !clean(&result) && !m.subtype.is_add_path() {
        let mut with_ids = context.clone();
        for f in [Family::IPV4_UNICAST, Family::IPV6_UNICAST] {
            with_ids.add_path.insert(f);
        }
        let retry = Message::decode(bytes.clone(), &with_ids);
        if clean(&retry) {
            return Some(Decoded {
                bytes: bytes.clone(),
                context: with_ids,
                guessed: true,
                result: retry,
            });
        }
    }
    Some(Decoded { bytes: bytes.clone(), context, guessed: false, result })
}

/// Decodes a RIB entry's attributes: RFC 6396 §4.3.4 abbreviated MP_REACH_NLRI restored with
/// the record's family and prefix, 4-octet AS numbers.
pub fn rib_attributes(e: &RibEntry, family: Family, nlri: &[u8]) -> (Attributes, Value) {
    let bytes = expand_mp_reach(&e.attributes, family, nlri);
    attributes_with(bytes, &attribute_context())
}

fn attributes_with(bytes: Bytes, ctx: &Context) -> (Attributes, Value) {
    let mut issues = Vec::new();
    let a = Attributes::decode(bytes, 0, ctx, &mut issues);
    (a, crate::json::issues(&issues))
}

/// JSON for every record of a decompressed dump. Errors become objects with "error".
pub fn decode(data: Bytes) -> Vec<Value> {
    let mut out = Vec::new();
    let mut peers: Option<PeerIndexTable> = None;
    for raw in Records::new(data) {
        let raw = match raw {
            Ok(r) => r,
            Err(e) => {
                out.push(json!({"type": "MRT", "error": {"reason": e.reason.to_string(),
                                "offset": e.offset}}));
                continue;
            }
        };
        match raw.decode() {
            Ok(rec) => out.push(record(&raw, &rec, &mut peers)),
            Err(e) => out.push(json!({
                "time": raw.timestamp, "mrt_type": raw.mrt_type.name(), "subtype": raw.subtype,
                "type": "MRT", "error": {"reason": e.reason.to_string(), "offset": e.offset},
            })),
        }
    }
    out
}

fn record(raw: &RawRecord, rec: &Record, peers: &mut Option<PeerIndexTable>) -> Value {
    let mut m = Map::new();
    let time = f64::from(rec.timestamp) + f64::from(rec.microseconds.unwrap_or(0)) / 1e6;
    m.insert("time".into(), json!(time));
    m.insert("mrt_type".into(), json!(raw.mrt_type.name()));
    m.insert("subtype".into(), json!(raw.subtype));
    match &rec.body {
        RecordBody::Bgp4mp(b) => {
            let (src, dst) = if b.subtype.is_local() {
                (b.local_ip, b.peer_ip)
            } else {
                (b.peer_ip, b.local_ip)
            };
            m.insert("src".into(), json!(src.to_string()));
            m.insert("dst".into(), json!(dst.to_string()));
            m.insert("peer_as".into(), json!(b.peer_as.0));
            m.insert("local_as".into(), json!(b.local_as.0));
            match &b.body {
                Bgp4mpBody::StateChange { old_state, new_state } => {
                    m.insert("type".into(), json!("STATE_CHANGE"));
                    m.insert("old_state".into(), json!(old_state));
                    m.insert("new_state".into(), json!(new_state));
                }
                Bgp4mpBody::Message(_) => {
                    if let Some(d) = bgp4mp_message(b) {
                        m.extend(crate::capture::decoded_json(&d));
                    }
                }
            }
        }
        RecordBody::PeerIndexTable(t) => {
            m.insert("type".into(), json!("PEER_INDEX_TABLE"));
            m.insert(
                "collector_bgp_id".into(),
                json!(std::net::Ipv4Addr::from(t.collector_bgp_id).to_string()),
            );
            m.insert("view_name".into(), json!(String::from_utf8_lossy(&t.view_name)));
            m.insert("peers".into(), json!(t.peers.len()));
            *peers = Some(t.clone());
        }
        RecordBody::Rib(r) => {
            m.insert("type".into(), json!("RIB"));
            m.insert("prefix".into(), json!(r.prefix.to_string()));
            let nlri = r.nlri();
            m.insert("entries".into(), entries(&r.entries, r.family, &nlri, peers.as_ref()));
        }
        RecordBody::RibGeneric(r) => {
            m.insert("type".into(), json!("RIB_GENERIC"));
            m.insert("afi".into(), json!(r.family.afi.0));
            m.insert("safi".into(), json!(r.family.safi.0));
            m.insert("nlri_hex".into(), json!(hex::encode(&r.nlri)));
            m.insert("entries".into(), entries(&r.entries, r.family, &r.nlri, peers.as_ref()));
        }
        RecordBody::TableDump(t) => table_dump(t, &mut m),
        _ => {
            m.insert("type".into(), json!("OTHER"));
            m.insert("length".into(), json!(raw.body.len()));
        }
    }
    Value::Object(m)
}

fn entries(es: &[RibEntry], family: Family, nlri: &[u8], peers: Option<&PeerIndexTable>) -> Value {
    Value::Array(
        es.iter()
            .map(|e| {
                let (attrs, issues) = rib_attributes(e, family, nlri);
                let mut m = Map::new();
                m.insert("peer_index".into(), json!(e.peer_index));
                if let Some(p) = peers.and_then(|t| t.peers.get(usize::from(e.peer_index))) {
                    m.insert("peer_ip".into(), json!(p.ip.to_string()));
                    m.insert("peer_as".into(), json!(p.asn.0));
                }
                m.insert("originated_time".into(), json!(e.originated_time));
                if let Some(id) = e.path_id {
                    m.insert("path_id".into(), json!(id));
                }
                m.insert("attributes".into(), Value::Object(crate::json::attributes(&attrs)));
                if issues.as_array().is_some_and(|a| !a.is_empty()) {
                    m.insert("rfc7606".into(), issues);
                }
                Value::Object(m)
            })
            .collect(),
    )
}

fn table_dump(t: &TableDump, m: &mut Map<String, Value>) {
    m.insert("type".into(), json!("TABLE_DUMP"));
    m.insert("prefix".into(), json!(format!("{}/{}", t.prefix, t.prefix_len)));
    m.insert("peer_ip".into(), json!(t.peer_ip.to_string()));
    m.insert("peer_as".into(), json!(t.peer_as.0));
    let (attrs, issues) = attributes_with(t.attributes.clone(), &TableDump::attribute_context());
    m.insert("attributes".into(), Value::Object(crate::json::attributes(&attrs)));
    if issues.as_array().is_some_and(|a| !a.is_empty()) {
        m.insert("rfc7606".into(), issues);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_and_decompresses() {
        let mut rec = vec![0, 0, 0, 1, 0, 16, 0, 0, 0, 0, 0, 0];
        assert!(looks_like_mrt(&rec));
        rec[5] = 99;
        assert!(!looks_like_mrt(&rec));
        let mut gz = Vec::new();
        {
            use std::io::Write;
            let mut e = flate2::write::GzEncoder::new(&mut gz, flate2::Compression::fast());
            e.write_all(b"hello").unwrap();
            e.finish().unwrap();
        }
        assert!(is_gzip(&gz));
        assert_eq!(decompress(gz).unwrap(), b"hello");
        assert_eq!(decompress(b"plain".to_vec()).unwrap(), b"plain");
    }

    /// RFC 6396 Appendix A, Figure 19 as corrected by erratum 6640: a RIB_IPV6_UNICAST entry
    /// whose MP_REACH_NLRI holds only the next hop length and the two next hops.
    #[test]
    fn rfc6396_rib_ipv6_example() {
        let attrs = hex::decode(
            "40010100500200 0e020300 00fbf000 00fbff00 00fbf6800e21 20 20010db8000d00ff\
             0000000000000187 fe80000000000000 0212f2fffe9f1b00"
                .replace(' ', ""),
        )
        .unwrap();
        let e = RibEntry {
            peer_index: 0,
            originated_time: 0,
            path_id: None,
            attributes: Bytes::from(attrs),
        };
        let nlri = [32, 0x20, 0x01, 0x0d, 0xb8];
        let (a, issues) = rib_attributes(&e, Family::IPV6_UNICAST, &nlri);
        assert_eq!(issues, json!([]));
        let j = crate::json::attributes(&a);
        assert_eq!(j["as_path"][0]["asns"], json!([64496, 64511, 64502]));
        assert_eq!(
            j["mp_reach"]["next_hops"],
            json!(["2001:db8:d:ff::187", "fe80::212:f2ff:fe9f:1b00"])
        );
        assert_eq!(j["mp_reach"]["nlri"], json!(["2001:db8::/32"]));
    }

    #[test]
    fn state_change_json() {
        let mut d = vec![0x58, 0x9e, 0xc8, 0xba, 0, 16, 0, 0, 0, 0, 0, 20];
        d.extend_from_slice(&[0xfd, 0xe9, 0xfd, 0xea, 0, 0, 0, 1, 10, 0, 0, 2, 10, 0, 0, 1]);
        d.extend_from_slice(&[0, 1, 0, 2]);
        let v = decode(Bytes::from(d));
        assert_eq!(v.len(), 1);
        assert_eq!(v[0]["type"], "STATE_CHANGE");
        assert_eq!(v[0]["src"], "10.0.0.2");
        assert_eq!(v[0]["new_state"], 2);
    }
}
