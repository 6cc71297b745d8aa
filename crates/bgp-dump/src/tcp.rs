//! TCP reassembly per direction and BGP message framing.
//!
//! Each direction of each connection is put back in sequence order (out-of-order segments
//! wait, retransmissions and overlaps are trimmed), then cut into messages by the BGP header's
//! length (RFC 4271 §4.1). A stream captured without its SYN is synchronised on the first
//! marker; a header error is reported once, then the stream re-synchronises on the next marker.

use bytes::{Buf, Bytes, BytesMut};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;

use bgp_wire::header::{self, Header, EXTENDED_MAX_LEN, HEADER_LEN, MARKER, MAX_LEN};

use crate::link::Segment;
use crate::pcap::Timestamp;

/// Out-of-order data held per direction before the gap is declared lost.
const MAX_PENDING: usize = 4 << 20;

/// What reassembly produces, in capture order.
#[derive(Clone, Debug)]
pub enum StreamEvent {
    /// One whole BGP message, header included.
    Message {
        /// Time of the segment that completed it.
        time: Timestamp,
        /// Sender.
        src: SocketAddr,
        /// Receiver.
        dst: SocketAddr,
        /// The message.
        bytes: Bytes,
    },
    /// The header at this point of the stream is invalid (bad marker, length or type).
    HeaderError {
        /// Time of the segment.
        time: Timestamp,
        /// Sender.
        src: SocketAddr,
        /// Receiver.
        dst: SocketAddr,
        /// The error, as the receiver would report it.
        error: bgp_wire::Error,
    },
    /// One whole BMP message (RFC 7854), on a BMP port.
    Bmp {
        /// Time of the segment that completed it.
        time: Timestamp,
        /// Sender (the monitored router).
        src: SocketAddr,
        /// Receiver (the monitoring station).
        dst: SocketAddr,
        /// The message, common header included.
        bytes: Bytes,
    },
    /// Octets that are not part of a whole message: the start of a stream captured midway,
    /// a segment missing from the capture, or what follows a header error up to the next
    /// marker.
    Skipped {
        /// Sender.
        src: SocketAddr,
        /// Receiver.
        dst: SocketAddr,
        /// How many octets (for a missing segment, the size of the hole).
        octets: u64,
    },
}

#[derive(Default)]
struct Direction {
    /// Next expected sequence number.
    next: Option<u32>,
    /// Stream offset of `next`.
    consumed: i64,
    /// Out-of-order segments by stream offset.
    pending: BTreeMap<i64, Bytes>,
    pending_len: usize,
    /// Contiguous bytes not yet framed.
    buf: BytesMut,
    /// Whether `buf` starts at a message boundary.
    synced: bool,
    /// The stream carries BMP rather than BGP.
    bmp: bool,
}

/// Reassembles the TCP streams of the configured ports.
pub struct Reassembler {
    ports: Vec<u16>,
    bmp_ports: Vec<u16>,
    streams: HashMap<(SocketAddr, SocketAddr), Direction>,
}

impl Reassembler {
    /// Follows connections with either end on one of `ports`.
    pub fn new(ports: Vec<u16>) -> Reassembler {
        Reassembler { ports, bmp_ports: Vec::new(), streams: HashMap::new() }
    }

    /// Also follows BMP (RFC 7854) connections with either end on one of `ports`.
    pub fn with_bmp_ports(mut self, ports: Vec<u16>) -> Reassembler {
        self.bmp_ports = ports;
        self
    }

    /// Feeds one segment; appends what it completes to `out`.
    pub fn push(&mut self, time: Timestamp, seg: Segment, out: &mut Vec<StreamEvent>) {
        let on = |ports: &[u16]| ports.contains(&seg.src.port()) || ports.contains(&seg.dst.port());
        let bmp = on(&self.bmp_ports);
        if !bmp && !on(&self.ports) {
            return;
        }
        let key = (seg.src, seg.dst);
        let d =
            self.streams.entry(key).or_insert_with(|| Direction { bmp, ..Direction::default() });
        if seg.syn {
            // A new connection on the same addresses starts afresh.
            // The SYN takes one sequence number; data on it (see below) starts at seq.
            let isn_len = u32::from(seg.payload.is_empty());
            *d = Direction {
                next: Some(seg.seq.wrapping_add(isn_len)),
                synced: true,
                bmp,
                ..Direction::default()
            };
        }
        if seg.payload.is_empty() {
            return;
        }
        // Data on a SYN would start at seq + 1 (RFC 9293 §3.4), but BGP never sends data on a
        // SYN: where captures show it, they were crafted (replayed test traffic, fuzzed files)
        // with the data at seq itself and the next segment right after it.
        let seq = seg.seq;
        let next = match d.next {
            Some(n) => n,
            None => {
                // The first data of a stream captured midway: if it starts with a marker,
                // take it as a message boundary even if the header turns out to be invalid.
                d.synced = if bmp {
                    crate::bmp::frame_len(&seg.payload).is_some()
                } else {
                    seg.payload.get(..16) == Some(&MARKER[..])
                };
                d.next = Some(seq);
                seq
            }
        };
        // Signed distance from the next expected octet, modulo 2^32.
        let delta = i64::from(seq.wrapping_sub(next) as i32);
        let offset = d.consumed + delta;
        d.pending_len += seg.payload.len();
        if let Some(old) = d.pending.insert(offset, seg.payload.clone()) {
            // Keep the longer of two segments at the same place.
            d.pending_len -= old.len().min(seg.payload.len());
            if old.len() > seg.payload.len() {
                d.pending.insert(offset, old);
            }
        }
        d.drain();
        if d.pending_len > MAX_PENDING {
            d.skip_gap(seg.src, seg.dst, out);
        }
        d.frame(time, seg.src, seg.dst, out);
    }

    /// Declares every remaining hole lost and frames what follows it.
    pub fn finish(&mut self, time: Timestamp, out: &mut Vec<StreamEvent>) {
        let mut keys: Vec<_> = self.streams.keys().copied().collect();
        keys.sort();
        for (src, dst) in keys {
            if let Some(d) = self.streams.get_mut(&(src, dst)) {
                while !d.pending.is_empty() {
                    d.skip_gap(src, dst, out);
                    d.frame(time, src, dst, out);
                }
                if !d.buf.is_empty() {
                    out.push(StreamEvent::Skipped { src, dst, octets: d.buf.len() as u64 });
                    d.buf.clear();
                }
            }
        }
    }
}

impl Direction {
    /// Moves the segments that are now contiguous into `buf`, trimming overlaps.
    fn drain(&mut self) {
        while let Some((&off, _)) = self.pending.first_key_value() {
            if off > self.consumed {
                break;
            }
            let Some((off, mut data)) = self.pending.pop_first() else { break };
            self.pending_len -= data.len();
            let overlap = usize::try_from(self.consumed - off).unwrap_or(usize::MAX);
            if overlap >= data.len() {
                continue; // a retransmission of what we already have
            }
            data.advance(overlap);
            self.consumed += data.len() as i64;
            self.next = self.next.map(|n| n.wrapping_add(data.len() as u32));
            self.buf.extend_from_slice(&data);
        }
    }

    /// Jumps over the first hole: the message it cut is lost.
    fn skip_gap(&mut self, src: SocketAddr, dst: SocketAddr, out: &mut Vec<StreamEvent>) {
        let Some((&off, _)) = self.pending.first_key_value() else { return };
        let hole = off - self.consumed;
        out.push(StreamEvent::Skipped {
            src,
            dst,
            octets: u64::try_from(hole).unwrap_or(0) + self.buf.len() as u64,
        });
        self.buf.clear();
        self.next = self.next.map(|n| n.wrapping_add(hole as u32));
        self.consumed = off;
        self.synced = false;
        self.drain();
    }

    fn frame(
        &mut self,
        time: Timestamp,
        src: SocketAddr,
        dst: SocketAddr,
        out: &mut Vec<StreamEvent>,
    ) {
        if self.bmp {
            return self.frame_bmp(time, src, dst, out);
        }
        loop {
            if !self.synced {
                match find_marker(&self.buf) {
                    Some(0) => self.synced = true,
                    Some(n) => {
                        out.push(StreamEvent::Skipped { src, dst, octets: n as u64 });
                        self.buf.advance(n);
                        self.synced = true;
                    }
                    None => return,
                }
            }
            match header::frame(&self.buf, EXTENDED_MAX_LEN) {
                Ok(Some(len)) => {
                    let bytes = self.buf.split_to(len).freeze();
                    out.push(StreamEvent::Message { time, src, dst, bytes });
                }
                Ok(None) => return,
                Err(error) => {
                    out.push(StreamEvent::HeaderError { time, src, dst, error });
                    // Re-synchronise after the bad header's first octet.
                    self.buf.advance(1);
                    self.synced = false;
                }
            }
        }
    }
}

impl Direction {
    /// BMP framing by the common header's length (RFC 7854 §4.1); re-synchronises on the
    /// next plausible header (version 3, a known type, a sane length).
    fn frame_bmp(
        &mut self,
        time: Timestamp,
        src: SocketAddr,
        dst: SocketAddr,
        out: &mut Vec<StreamEvent>,
    ) {
        loop {
            if !self.synced {
                let found = (0..self.buf.len())
                    .find(|&i| self.buf.get(i..).and_then(crate::bmp::frame_len).is_some());
                match found {
                    Some(n) => {
                        if n > 0 {
                            out.push(StreamEvent::Skipped { src, dst, octets: n as u64 });
                            self.buf.advance(n);
                        }
                        self.synced = true;
                    }
                    None => return,
                }
            }
            if self.buf.len() < crate::bmp::COMMON_HEADER_LEN {
                return;
            }
            match crate::bmp::frame_len(&self.buf) {
                Some(len) if self.buf.len() >= len => {
                    let bytes = self.buf.split_to(len).freeze();
                    out.push(StreamEvent::Bmp { time, src, dst, bytes });
                }
                Some(_) => return,
                None => {
                    out.push(StreamEvent::Skipped { src, dst, octets: 1 });
                    self.buf.advance(1);
                    self.synced = false;
                }
            }
        }
    }
}

/// Where the first plausible header starts: a marker followed by a valid length and type.
/// Returns `None` when there is none yet (and then fewer than [`HEADER_LEN`] octets may be
/// kept for the next segment to complete a marker).
fn find_marker(buf: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i + HEADER_LEN <= buf.len() {
        if buf.get(i..i + 16) == Some(&MARKER[..]) {
            if let Some(rest) = buf.get(i..) {
                if Header::check(rest, MAX_LEN).is_ok() {
                    return Some(i);
                }
            }
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(p: u16) -> SocketAddr {
        SocketAddr::from(([10, 0, 0, 1], p))
    }

    fn seg(seq: u32, payload: &[u8]) -> Segment {
        Segment {
            src: a(179),
            dst: a(40000),
            seq,
            syn: false,
            fin: false,
            rst: false,
            payload: Bytes::copy_from_slice(payload),
        }
    }

    fn keepalive() -> Vec<u8> {
        let mut v = vec![0xff; 16];
        v.extend_from_slice(&[0, 19, 4]);
        v
    }

    fn messages(ev: &[StreamEvent]) -> Vec<Bytes> {
        ev.iter()
            .filter_map(|e| match e {
                StreamEvent::Message { bytes, .. } => Some(bytes.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn out_of_order_retransmitted_and_split() {
        let mut r = Reassembler::new(vec![179]);
        let mut out = Vec::new();
        let t = Timestamp::default();
        let mut syn = seg(u32::MAX - 5, &[]);
        syn.syn = true;
        r.push(t, syn, &mut out);
        let two: Vec<u8> = [keepalive(), keepalive()].concat();
        let base = u32::MAX - 4; // the stream wraps around 2^32
        r.push(t, seg(base.wrapping_add(10), &two[10..25]), &mut out);
        assert!(out.is_empty());
        r.push(t, seg(base, &two[..12]), &mut out);
        assert_eq!(messages(&out).len(), 1);
        r.push(t, seg(base, &two[..12]), &mut out); // retransmission
        r.push(t, seg(base.wrapping_add(20), &two[20..]), &mut out);
        assert_eq!(messages(&out), vec![Bytes::from(keepalive()), Bytes::from(keepalive())]);
        r.finish(t, &mut out);
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn midstream_start_and_hole() {
        let mut r = Reassembler::new(vec![179]);
        let mut out = Vec::new();
        let t = Timestamp::default();
        let mut data = vec![1, 2, 3];
        data.extend(keepalive());
        r.push(t, seg(1000, &data), &mut out);
        assert!(matches!(out[0], StreamEvent::Skipped { octets: 3, .. }));
        assert_eq!(messages(&out).len(), 1);
        // A hole of 5 octets: the next message after it is found at finish.
        let mut after = vec![9; 4];
        after.extend(keepalive());
        r.push(t, seg(1000 + 22 + 5, &after), &mut out);
        r.finish(t, &mut out);
        assert_eq!(messages(&out).len(), 2);
    }

    #[test]
    fn header_error_then_resync() {
        let mut r = Reassembler::new(vec![179]);
        let mut out = Vec::new();
        let t = Timestamp::default();
        let mut syn = seg(0, &[]);
        syn.syn = true;
        r.push(t, syn, &mut out);
        let mut bad = keepalive();
        bad[18] = 9;
        bad.extend(keepalive());
        r.push(t, seg(1, &bad), &mut out);
        assert!(matches!(&out[0], StreamEvent::HeaderError { error, .. } if error.subcode == 3));
        assert_eq!(messages(&out).len(), 1);
    }
}
