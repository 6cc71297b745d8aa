//! A capture file to decoded items: frames, TCP reassembly, framing, per-session decoding.

use serde_json::{json, Map, Value};
use std::net::SocketAddr;

use bgp_wire::Error;

use crate::link;
use crate::pcap::{self, Timestamp};
use crate::session::{Decoded, Sessions};
use crate::tcp::{Reassembler, StreamEvent};

/// The BGP port (RFC 4271 §8.2.1).
pub const BGP_PORT: u16 = 179;
/// The BMP port IANA assigned (RFC 7854 §10).
pub const BMP_PORT: u16 = 1790;

/// What one item of output is.
#[derive(Clone, Debug)]
pub enum ItemKind {
    /// A message and how it decoded.
    Message(Box<Decoded>),
    /// A header that does not frame: the stream re-synchronises on the next marker.
    HeaderError(Error),
    /// Stream octets that belong to no whole message.
    Skipped(u64),
    /// A BMP message that does not parse.
    BmpError(crate::bmp::BmpError),
}

/// One decoded item of a capture.
#[derive(Clone, Debug)]
pub struct Item {
    /// Capture time.
    pub time: Timestamp,
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// What it is.
    pub kind: ItemKind,
    /// For a message carried by BMP: the envelope.
    pub bmp: Option<crate::bmp::Envelope>,
}

/// A decoded capture.
#[derive(Debug, Default)]
pub struct Capture {
    /// Items in capture order (per direction, stream order).
    pub items: Vec<Item>,
    /// Frames read.
    pub frames: usize,
    /// TCP segments found in them.
    pub segments: usize,
    /// Why reading stopped early, for a damaged file.
    pub read_error: Option<String>,
}

/// Decodes every BGP message of a pcap or pcapng capture on `ports`, and the BGP messages
/// carried by BMP on port 1790.
pub fn decode(data: &[u8], ports: &[u16]) -> Capture {
    decode_with_bmp(data, ports, &[BMP_PORT])
}

/// Decodes every BGP message on `ports`, and the BGP messages carried by BMP on `bmp_ports`.
pub fn decode_with_bmp(data: &[u8], ports: &[u16], bmp_ports: &[u16]) -> Capture {
    let (frames, err) = pcap::read_frames(data);
    let mut r = Reassembler::new(ports.to_vec()).with_bmp_ports(bmp_ports.to_vec());
    let mut events = Vec::new();
    let mut out = Capture {
        frames: frames.len(),
        read_error: err.map(|e| e.to_string()),
        ..Capture::default()
    };
    let mut sessions = (Sessions::new(), crate::bmp::BmpSessions::new());
    let mut last = Timestamp::default();
    for f in &frames {
        last = f.time;
        if let Some(seg) = link::segment(f.linktype, &f.data) {
            out.segments += 1;
            r.push(f.time, seg, &mut events);
            convert(&mut events, &mut sessions, &mut out.items, last);
        }
    }
    r.finish(last, &mut events);
    convert(&mut events, &mut sessions, &mut out.items, last);
    out
}

fn convert(
    events: &mut Vec<StreamEvent>,
    (s, b): &mut (Sessions, crate::bmp::BmpSessions),
    items: &mut Vec<Item>,
    now: Timestamp,
) {
    for e in events.drain(..) {
        let (time, src, dst, kind) = match e {
            StreamEvent::Message { time, src, dst, bytes } => {
                (time, src, dst, ItemKind::Message(Box::new(s.decode(src, dst, bytes))))
            }
            StreamEvent::HeaderError { time, src, dst, error } => {
                (time, src, dst, ItemKind::HeaderError(error))
            }
            StreamEvent::Skipped { src, dst, octets } => (now, src, dst, ItemKind::Skipped(octets)),
            StreamEvent::Bmp { time, src, dst, bytes } => match crate::bmp::decode(&bytes) {
                Ok(msg) => {
                    for c in b.carried(src, dst, &msg) {
                        items.push(Item {
                            time,
                            src: c.src,
                            dst: c.dst,
                            kind: ItemKind::Message(Box::new(c.decoded)),
                            bmp: Some(c.envelope),
                        });
                    }
                    continue;
                }
                Err(e) => (time, src, dst, ItemKind::BmpError(e)),
            },
        };
        items.push(Item { time, src, dst, kind, bmp: None });
    }
}

/// The JSON object of a decoded message or its error: type, length, fields.
pub fn decoded_json(d: &Decoded) -> Map<String, Value> {
    let mut m = Map::new();
    let t = bgp_wire::MessageType(d.bytes.get(18).copied().unwrap_or(0));
    m.insert("type".into(), json!(t.name()));
    m.insert("length".into(), json!(d.bytes.len()));
    if d.guessed && t == bgp_wire::MessageType::UPDATE {
        m.insert(
            "context_guessed".into(),
            json!({"four_octet_as": d.context.four_octet_as,
                   "add_path": !d.context.add_path.is_empty()}),
        );
    }
    match &d.result {
        Ok(msg) => m.extend(crate::json::message(msg)),
        Err(e) => {
            m.insert("error".into(), crate::json::error(e));
            m.insert("hex".into(), json!(hex::encode(&d.bytes)));
        }
    }
    m
}

impl Item {
    /// The JSON object printed for this item.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("time".into(), json!(self.time.as_f64()));
        m.insert("src".into(), json!(self.src.to_string()));
        m.insert("dst".into(), json!(self.dst.to_string()));
        match &self.kind {
            ItemKind::Message(d) => m.extend(decoded_json(d)),
            ItemKind::HeaderError(e) => {
                m.insert("type".into(), json!("HEADER"));
                m.insert("error".into(), crate::json::error(e));
            }
            ItemKind::Skipped(n) => {
                m.insert("type".into(), json!("SKIPPED"));
                m.insert("octets".into(), json!(n));
            }
            ItemKind::BmpError(e) => {
                m.insert("type".into(), json!("BMP"));
                m.insert("error".into(), json!({"reason": e.to_string()}));
            }
        }
        if let Some(b) = &self.bmp {
            m.insert(
                "bmp".into(),
                json!({
                    "type": b.msg_type,
                    "router": b.router.to_string(),
                    "peer_type": b.peer.peer_type,
                    "peer_flags": b.peer.flags,
                    "peer_distinguisher": hex::encode(b.peer.distinguisher),
                    "peer_address": b.peer.address.to_string(),
                    "peer_as": b.peer.asn,
                    "peer_bgp_id": b.peer.bgp_id.to_string(),
                }),
            );
        }
        Value::Object(m)
    }
}
