//! Reading pcap and pcapng files into timestamped link-layer frames.

use bytes::Bytes;
use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionOption;
use pcap_file::pcapng::{Block, PcapNgReader};

/// A capture time: seconds and nanoseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp {
    /// Whole seconds.
    pub secs: u64,
    /// Nanoseconds within the second.
    pub nanos: u32,
}

impl Timestamp {
    /// Seconds with fraction, for JSON output.
    pub fn as_f64(self) -> f64 {
        self.secs as f64 + f64::from(self.nanos) / 1e9
    }
}

/// One captured frame.
#[derive(Clone, Debug)]
pub struct Frame {
    /// When it was captured.
    pub time: Timestamp,
    /// Link-layer header type (tcpdump.org LINKTYPE_ value).
    pub linktype: u32,
    /// The frame, from the link-layer header on.
    pub data: Bytes,
}

/// A capture that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("capture: {0}")]
pub struct CaptureError(String);

/// Classic pcap magic numbers (micro- and nanosecond, both byte orders).
pub fn is_pcap(data: &[u8]) -> bool {
    matches!(
        data.get(..4),
        Some(
            [0xd4, 0xc3, 0xb2, 0xa1]
                | [0xa1, 0xb2, 0xc3, 0xd4]
                | [0x4d, 0x3c, 0xb2, 0xa1]
                | [0xa1, 0xb2, 0x3c, 0x4d]
        )
    )
}

/// pcapng starts with a Section Header Block, type 0x0a0d0d0a.
pub fn is_pcapng(data: &[u8]) -> bool {
    data.get(..4) == Some(&[0x0a, 0x0d, 0x0d, 0x0a])
}

/// Reads every frame of a pcap or pcapng file. A truncated or damaged file yields the frames
/// before the damage and the error.
pub fn read_frames(data: &[u8]) -> (Vec<Frame>, Option<CaptureError>) {
    if is_pcapng(data) {
        read_pcapng(data)
    } else {
        read_pcap(data)
    }
}

fn read_pcap(data: &[u8]) -> (Vec<Frame>, Option<CaptureError>) {
    let (frames, err) = read_pcap_strict(data);
    match err {
        // pcap-file rejects records longer than the snapshot length, which fuzzed files
        // have; tcpdump and tshark read them. Read such files leniently.
        Some(e) => {
            let lenient = read_pcap_lenient(data);
            if lenient.len() > frames.len() {
                (lenient, Some(e))
            } else {
                (frames, Some(e))
            }
        }
        None => (frames, None),
    }
}

/// Classic pcap without the snapshot-length checks: a record's data is what it declares,
/// cut at the end of the file.
fn read_pcap_lenient(data: &[u8]) -> Vec<Frame> {
    let mut frames = Vec::new();
    let Some(magic) = data.get(..4) else { return frames };
    let (le, nanos) = match magic {
        [0xd4, 0xc3, 0xb2, 0xa1] => (true, false),
        [0xa1, 0xb2, 0xc3, 0xd4] => (false, false),
        [0x4d, 0x3c, 0xb2, 0xa1] => (true, true),
        [0xa1, 0xb2, 0x3c, 0x4d] => (false, true),
        _ => return frames,
    };
    let word = |at: usize| -> Option<u32> {
        let b: [u8; 4] = data.get(at..at + 4)?.try_into().ok()?;
        Some(if le { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) })
    };
    let Some(linktype) = word(20) else { return frames };
    let mut at = 24;
    while let (Some(secs), Some(frac), Some(incl)) = (word(at), word(at + 4), word(at + 8)) {
        let start = at + 16;
        let end = start.saturating_add(incl as usize).min(data.len());
        let Some(bytes) = data.get(start..end) else { break };
        let nanos = if nanos { frac } else { frac.saturating_mul(1000) };
        frames.push(Frame {
            time: Timestamp { secs: u64::from(secs), nanos: nanos.min(999_999_999) },
            linktype: linktype & 0x0fff_ffff,
            data: Bytes::copy_from_slice(bytes),
        });
        at = end;
    }
    frames
}

fn read_pcap_strict(data: &[u8]) -> (Vec<Frame>, Option<CaptureError>) {
    let mut frames = Vec::new();
    let mut reader = match PcapReader::new(data) {
        Ok(r) => r,
        Err(e) => return (frames, Some(CaptureError(e.to_string()))),
    };
    let linktype = u32::from(reader.header().datalink);
    while let Some(p) = reader.next_packet() {
        match p {
            Ok(p) => frames.push(Frame {
                time: Timestamp { secs: p.timestamp.as_secs(), nanos: p.timestamp.subsec_nanos() },
                linktype,
                data: Bytes::copy_from_slice(&p.data),
            }),
            Err(e) => return (frames, Some(CaptureError(e.to_string()))),
        }
    }
    (frames, None)
}

/// pcapng interface: link type and timestamp units per second (`if_tsresol`, default 10^6).
struct Interface {
    linktype: u32,
    units_per_sec: u64,
}

fn units_per_sec(opts: &[InterfaceDescriptionOption<'_>]) -> u64 {
    for o in opts {
        if let InterfaceDescriptionOption::IfTsResol(r) = o {
            let exp = u32::from(r & 0x7f);
            return if r & 0x80 != 0 {
                2u64.checked_pow(exp).unwrap_or(1_000_000)
            } else {
                10u64.checked_pow(exp).unwrap_or(1_000_000)
            };
        }
    }
    1_000_000
}

fn read_pcapng(data: &[u8]) -> (Vec<Frame>, Option<CaptureError>) {
    let mut frames = Vec::new();
    let mut reader = match PcapNgReader::new(data) {
        Ok(r) => r,
        Err(e) => return (frames, Some(CaptureError(e.to_string()))),
    };
    let mut interfaces: Vec<Interface> = Vec::new();
    while let Some(b) = reader.next_block() {
        let block = match b {
            Ok(b) => b,
            Err(e) => return (frames, Some(CaptureError(e.to_string()))),
        };
        match block {
            Block::SectionHeader(_) => interfaces.clear(),
            Block::InterfaceDescription(idb) => interfaces.push(Interface {
                linktype: u32::from(idb.linktype),
                units_per_sec: units_per_sec(&idb.options),
            }),
            Block::EnhancedPacket(epb) => {
                let Some(ifc) =
                    usize::try_from(epb.interface_id).ok().and_then(|i| interfaces.get(i))
                else {
                    continue;
                };
                // pcap-file hands over the raw 64-bit timestamp as nanoseconds; scale it by
                // the interface's resolution.
                let raw = u64::try_from(epb.timestamp.as_nanos()).unwrap_or(u64::MAX);
                let ups = ifc.units_per_sec.max(1);
                let secs = raw / ups;
                let frac = raw % ups;
                let nanos = (u128::from(frac) * 1_000_000_000 / u128::from(ups)) as u32;
                frames.push(Frame {
                    time: Timestamp { secs, nanos },
                    linktype: ifc.linktype,
                    data: Bytes::copy_from_slice(&epb.data),
                });
            }
            Block::SimplePacket(spb) => {
                if let Some(ifc) = interfaces.first() {
                    frames.push(Frame {
                        time: Timestamp::default(),
                        linktype: ifc.linktype,
                        data: Bytes::copy_from_slice(&spb.data),
                    });
                }
            }
            _ => {}
        }
    }
    (frames, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn le32(v: &mut Vec<u8>, x: u32) {
        v.extend_from_slice(&x.to_le_bytes());
    }

    /// pcapng with `if_tsresol` = 9 (nanoseconds): the timestamp is scaled by it.
    #[test]
    fn reads_pcapng_with_nanosecond_resolution() {
        let mut f = Vec::new();
        // Section Header Block.
        for x in [0x0a0d_0d0a, 28, 0x1a2b_3c4d, 1, 0xffff_ffff, 0xffff_ffff, 28] {
            le32(&mut f, x);
        }
        // Interface Description Block: LINKTYPE_RAW, if_tsresol = 9, end of options.
        for x in [1, 32, 101, 0] {
            le32(&mut f, x);
        }
        f.extend_from_slice(&[9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0]);
        le32(&mut f, 32);
        // Enhanced Packet Block: 1.5 s after the epoch, 4 octets of data.
        let ns: u64 = 1_500_000_000;
        for x in [6, 36, 0, (ns >> 32) as u32, ns as u32, 4, 4] {
            le32(&mut f, x);
        }
        f.extend_from_slice(&[0x45, 0, 0, 4]);
        le32(&mut f, 36);
        assert!(is_pcapng(&f));
        let (frames, err) = read_frames(&f);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].time, Timestamp { secs: 1, nanos: 500_000_000 });
        assert_eq!((frames[0].linktype, frames[0].data.len()), (101, 4));
    }

    #[test]
    fn reads_a_minimal_pcap() {
        let mut f = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        f.extend_from_slice(&[0xff, 0xff, 0, 0, 101, 0, 0, 0]);
        f.extend_from_slice(&[10, 0, 0, 0, 0x20, 0xa1, 0x07, 0, 2, 0, 0, 0, 2, 0, 0, 0]);
        f.extend_from_slice(&[0x45, 0]);
        assert!(is_pcap(&f) && !is_pcapng(&f));
        let (frames, err) = read_frames(&f);
        assert!(err.is_none());
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].linktype, 101);
        assert_eq!(frames[0].time, Timestamp { secs: 10, nanos: 500_000_000 });
        // Truncated record: an error, and what the lenient reader finds.
        let (frames, err) = read_frames(&f[..f.len() - 1]);
        assert!(err.is_some());
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].data.len(), 1);
    }
}
