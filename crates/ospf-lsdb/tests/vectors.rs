//! Every OSPFv2 packet of the shared real-world captures that uses null or
//! simple-password authentication decodes (checksums and LSA Fletcher
//! checksums verified) and re-encodes to the same bytes.

use std::fs::File;
use std::path::PathBuf;

use ospf_lsdb::packet::{self, Auth};
use ospf_lsdb::wire::WireError;
use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::{Block, PcapNgReader};

const KNOWN_BAD_CHECKSUM: &str = "tcpdump-arista-ospf-router-info-sr.pcap";

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors/ospf")
}

/// The IPv4 payload of protocol 89 in a frame of the given link type.
fn ospf_payload(linktype: u32, frame: &[u8]) -> Option<Vec<u8>> {
    let mut ip = match linktype {
        // Ethernet, with 802.1Q tags skipped.
        1 => {
            let mut off = 12;
            loop {
                let et = u16::from_be_bytes([*frame.get(off)?, *frame.get(off + 1)?]);
                if et == 0x8100 || et == 0x88a8 {
                    off += 4;
                    continue;
                }
                if et != 0x0800 {
                    return None;
                }
                break frame.get(off + 2..)?;
            }
        }
        // Cisco HDLC.
        104 => {
            if frame.get(2..4)? != [0x08, 0x00] {
                return None;
            }
            frame.get(4..)?
        }
        // Raw IP.
        101 | 228 => frame,
        // Linux cooked capture.
        113 => {
            if frame.get(14..16)? != [0x08, 0x00] {
                return None;
            }
            frame.get(16..)?
        }
        _ => return None,
    };
    if ip.first()? >> 4 != 4 || *ip.get(9)? != 89 {
        return None;
    }
    let ihl = usize::from(ip.first()? & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([*ip.get(2)?, *ip.get(3)?]));
    ip = ip.get(ihl..total.max(ihl))?;
    Some(ip.to_vec())
}

fn packets(path: &PathBuf) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let Ok(file) = File::open(path) else {
        return out;
    };
    if path.extension().is_some_and(|e| e == "pcapng") {
        let Ok(mut r) = PcapNgReader::new(file) else {
            return out;
        };
        let mut linktypes: Vec<u32> = Vec::new();
        while let Some(Ok(block)) = r.next_block() {
            match block {
                Block::InterfaceDescription(d) => linktypes.push(u32::from(d.linktype)),
                Block::EnhancedPacket(p) => {
                    let lt = linktypes.get(p.interface_id as usize).copied().unwrap_or(1);
                    out.extend(ospf_payload(lt, &p.data));
                }
                _ => {}
            }
        }
    } else {
        let Ok(mut r) = PcapReader::new(file) else {
            return out;
        };
        let lt = u32::from(r.header().datalink);
        while let Some(Ok(p)) = r.next_packet() {
            out.extend(ospf_payload(lt, &p.data));
        }
    }
    out
}

#[test]
fn real_ospfv2_packets_decode_and_reencode() {
    let dir = vectors_dir();
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let (mut checked, mut skipped_crypto, mut rejected) = (0, 0, 0);
    let mut failures = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        for pkt in packets(&path) {
            if pkt.first() != Some(&2) || pkt.len() < 24 {
                continue; // OSPFv3 or truncated capture
            }
            let len = usize::from(u16::from_be_bytes([pkt[2], pkt[3]]));
            let auth = match u16::from_be_bytes([pkt[14], pkt[15]]) {
                0 => Auth::Null,
                1 => {
                    let mut pw = [0u8; 8];
                    pw.copy_from_slice(&pkt[16..24]);
                    Auth::Simple(pw)
                }
                _ => {
                    skipped_crypto += 1;
                    continue;
                }
            };
            let name =
                path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            match packet::decode(&pkt, &auth) {
                Ok((hdr, body)) => {
                    let again = packet::encode(hdr.router_id, hdr.area_id, &body, &auth, 0);
                    if pkt.get(..len) != Some(&again[..]) {
                        failures.push(format!("{name}: re-encoding differs (type {})", pkt[1]));
                    }
                    checked += 1;
                }
                // tshark agrees that this capture's OSPF checksum is wrong
                // ("incorrect, should be 0xd1a4"): it must be rejected.
                Err(WireError::Checksum { offset: 12 }) if name == KNOWN_BAD_CHECKSUM => {
                    rejected += 1;
                }
                Err(e) => failures.push(format!("{name}: {e}")),
            }
        }
    }
    assert!(failures.is_empty(), "{} failures: {:#?}", failures.len(), failures);
    assert_eq!(rejected, 1, "the packet with a bad checksum");
    assert!(checked > 500, "only {checked} packets checked ({skipped_crypto} cryptographic)");
}
