//! Every OSPFv2 and OSPFv3 packet of the shared capture collection decodes,
//! re-encodes to the same octets and passes its checksums (OSPFv3: the IPv6
//! pseudo-header checksum, LLS block and authentication trailer split off
//! and re-encoded too); the deliberately malformed ones give the expected
//! error. OSPFv3 behind IPsec AH is checked (AH does not encrypt); ESP
//! payloads are counted, not decoded.
//!
//! The captures live in `../shared/vectors/ospf/` (relative to the repository
//! root); the BSD-licensed ones are also copied to `tests/data/` so the test
//! still checks something when the shared directory is absent.
//!
//! With `OSPF_WIRE_WRITE_SEEDS=<dir>` set, the test also writes each distinct
//! packet to `<dir>/ospf_packet/` and each LSA to `<dir>/ospf_lsa/` (OSPFv3:
//! `ospfv3_packet/`, `ospfv3_lsa/`), named by the SHA-256 of their contents
//! (fuzz seed corpus).

use std::collections::BTreeMap;
use std::net::Ipv6Addr;
use std::path::{Path, PathBuf};

use bytes::{Bytes, BytesMut};
use ospf_wire::v2::{Authentication, LsaBody, LsaFields, Packet, PacketBody};
use ospf_wire::{v3, DecodeError};
use sha2::{Digest, Sha256};

/// An OSPFv2 packet (0-based index among the file's OSPFv2 packets) that
/// `Packet::decode` rejects with this error; for a bad packet checksum, the
/// LSAs (by index in the LSU) whose Fletcher checksum fails too.
type Fault = (usize, DecodeError, &'static [usize]);

/// What a capture file is expected to hold.
enum Expect {
    /// This many OSPFv2 packets, all valid.
    V2(usize),
    /// OSPFv3 files, checked by `every_ospfv3_capture_round_trips`.
    V3(V3),
    /// OSPFv2 packets of which the listed ones (0-based index among the
    /// file's OSPFv2 packets) fail with the given error.
    Malformed(usize, &'static [Fault]),
}

/// What an OSPFv3 capture holds.
#[derive(Clone, Copy)]
struct V3 {
    /// OSPFv3 packets reached (directly or behind AH).
    packets: usize,
    /// Of those, behind an IPsec AH header.
    ah: usize,
    /// IPv6 packets with an ESP payload (not decodable).
    esp: usize,
    /// Packets (0-based index among the file's OSPFv3 packets) that fail
    /// with this error; with `true`, the error is a bad checksum and the
    /// packet is otherwise valid, so it is checked with the checksum fixed.
    faults: &'static [(usize, DecodeError, bool)],
}

const fn v3(packets: usize, ah: usize, esp: usize) -> Expect {
    Expect::V3(V3 { packets, ah, esp, faults: &[] })
}

/// Expected content of every file, counts from the collection's README (tshark).
const FILES: &[(&str, Expect)] = &[
    ("packetlife-cisco-ios-ospfv2-lsa-types-1-to-5.pcap", Expect::V2(30)),
    ("packetlife-cisco-ios-ospfv2-broadcast-dr-bdr.pcap", Expect::V2(74)),
    ("packetlife-cisco-ios-ospfv2-nbma-framerelay.pcap", Expect::V2(99)),
    ("packetlife-cisco-ios-ospfv2-p2mp-framerelay.pcap", Expect::V2(129)),
    ("packetlife-cisco-ios-ospfv2-p2p-framerelay.pcap", Expect::V2(93)),
    ("packetlife-cisco-ios-ospfv2-nssa-type7.pcap", Expect::V2(25)),
    ("packetlife-cisco-ios-ospfv2-md5-auth.pcap", Expect::V2(34)),
    ("packetlife-cisco-ios-ospfv2-simple-password.pcap", Expect::V2(7)),
    ("packetlife-cisco-ios-ospfv2-down-bit-hdlc.pcap", Expect::V2(48)),
    ("packetlife-cisco-ios-ospfv2-over-gre.pcap", Expect::V2(63)),
    ("packetlife-cisco-ios-ospfv3-broadcast.pcap", v3(38, 0, 0)),
    ("packetlife-cisco-ios-ospfv3-nbma-framerelay.pcap", v3(86, 0, 0)),
    ("packetlife-cisco-ios-ospfv3-p2mp-framerelay.pcap", v3(73, 0, 0)),
    ("packetlife-cisco-ios-ospfv3-ipsec-ah.pcap", v3(61, 61, 0)),
    ("wireshark-ospfv2-2004-initialization.pcap", Expect::V2(31)),
    ("wireshark-siemens-ospfv2-hellos.pcap", Expect::V2(7)),
    ("wireshark-cisco-ospfv2-with-hsrp.pcap", Expect::V2(81)),
    ("wireshark-ospfv2-te-opaque-lsa.pcapng", Expect::V2(2)),
    ("tcpdump-weberblog-cisco-ospfv2-md5.pcapng", Expect::V2(30)),
    ("tcpdump-juniper-ospf-gmpls-te.pcap", Expect::V2(3)),
    ("tcpdump-ospf-nssa-bit-nt.pcap", Expect::V2(1)),
    ("tcpdump-ospf-lsack.pcap", Expect::V2(1)),
    ("tcpdump-rtbrick-ospf-sr-extensions.pcapng", Expect::Malformed(1, RTBRICK_SWAPPED_1)),
    ("tcpdump-rtbrick-ospf-sr-extensions-2.pcapng", Expect::Malformed(1, RTBRICK_SWAPPED_2)),
    ("tcpdump-arista-ospf-router-info-sr.pcap", Expect::Malformed(1, ARISTA_EDITED)),
    ("tcpdump-ospfv3-auth-trailer.pcapng", v3(1, 0, 0)),
    ("tcpdump-ospf-graceful-restart-grace-lsa.pcap", Expect::V2(1)),
    (
        "tcpdump-malformed-ospf-signed-integer.pcap",
        Expect::V3(V3 { packets: 1, ah: 1, esp: 0, faults: SIGNED_INTEGER }),
    ),
    ("tcpdump-malformed-ospfv2-seg-fault.pcapng", Expect::Malformed(1, MALFORMED_SEG_FAULT)),
    (
        "tcpdump-malformed-ospfv3-decode-asan.pcap",
        Expect::V3(V3 { packets: 1, ah: 0, esp: 0, faults: DECODE_ASAN }),
    ),
    (
        "tcpdump-malformed-ospfv3-lshdr-oobr.pcap",
        Expect::V3(V3 { packets: 15, ah: 0, esp: 0, faults: LSHDR_OOBR }),
    ),
    ("networklessons-cisco-iou-ospfv2-broadcast-two-routers.pcapng", Expect::V2(25)),
    ("networklessons-cisco-ospfv2-broadcast-adjacency.pcap", Expect::V2(32)),
    ("networklessons-cisco-iou-ospfv2-network-broadcast.pcapng", Expect::V2(63)),
    ("networklessons-cisco-iou-ospfv2-network-non-broadcast.pcapng", Expect::V2(32)),
    ("networklessons-cisco-iou-ospfv2-p2mp-nonbroadcast-dmvpn.pcapng", Expect::V2(16)),
    ("networklessons-cisco-iou-ospfv2-p2mp-dmvpn.pcapng", Expect::V2(17)),
    ("networklessons-cisco-iou-ospfv2-network-p2p.pcapng", Expect::V2(20)),
    ("networklessons-cisco-iosv-ospfv2-p2p-adjacency.pcapng", Expect::V2(15)),
    ("networklessons-cisco-iosv-ospfv2-ttl-security.pcapng", Expect::V2(1)),
    ("networklessons-cisco-iou-ospfv2-lsa1-asbr-e-bit.pcapng", Expect::V2(1)),
    ("networklessons-cisco-iou-ospfv2-lsa1-p2p.pcapng", Expect::V2(1)),
    ("networklessons-cisco-iou-ospfv2-lsa1-stub.pcapng", Expect::V2(1)),
    ("networklessons-cisco-iou-ospfv2-lsa1-transit.pcapng", Expect::V2(10)),
    ("networklessons-cisco-iou-ospfv2-lsa1-virtual-link.pcapng", Expect::V2(3)),
    ("networklessons-cisco-iou-ospfv2-lsa2-network.pcapng", Expect::V2(4)),
    ("networklessons-cisco-iou-ospfv2-lsa3-summary.pcapng", Expect::V2(1)),
    ("networklessons-cisco-iou-ospfv2-lsa4-asbr-summary.pcapng", Expect::V2(1)),
    ("networklessons-cisco-iou-ospfv2-lsa5-external.pcapng", Expect::V2(1)),
    ("networklessons-cisco-iou-ospfv2-lsa7-nssa.pcapng", Expect::V2(1)),
    ("networklessons-cisco-iou-ospfv2-lsa9-link-local-opaque.pcapng", Expect::V2(8)),
    ("networklessons-cisco-ospfv2-lsa10-mpls-te.pcapng", Expect::V2(1)),
    // Cisco IOSv, like FRR 8.4, sends checksum 0 in a packet with an
    // authentication trailer: accepted, the trailer protects the packet.
    ("networklessons-cisco-iosv-ospfv3-auth-trailer-hello.pcapng", v3(1, 0, 0)),
    ("networklessons-cisco-ospfv3-ipsec-ah.pcap", v3(43, 30, 0)),
    ("networklessons-cisco-ospfv3-ipsec-esp-null.pcap", v3(9, 0, 24)),
];

/// tcpdump's `ospf-signed-integer-ubsan` (fuzzer-derived LSU behind AH).
const SIGNED_INTEGER: &[(usize, DecodeError, bool)] =
    &[(0, DecodeError::BadChecksum { offset: 12, found: 0x2611, computed: 0x08ad }, false)];

/// tcpdump's `ospf6_decode_v3_asan`: a 17-octet Hello claiming 257 octets.
const DECODE_ASAN: &[(usize, DecodeError, bool)] =
    &[(0, DecodeError::BadLength { offset: 2, length: 257, what: "packet" }, false)];

/// tcpdump's `ospf6_print_lshdr-oobr`: the last LSU was corrupted.
const LSHDR_OOBR: &[(usize, DecodeError, bool)] =
    &[(14, DecodeError::BadChecksum { offset: 12, found: 0xe556, computed: 0xedc5 }, false)];

/// tcpdump's `ospf2-seg-fault-1` (fuzzer-derived): the packet checksum is wrong.
/// Its opaque LSA is kept raw, so the inner TLV length that made tshark
/// complain ("Length must be N x 4 octets") is not this decoder's concern.
const MALFORMED_SEG_FAULT: &[Fault] =
    &[(0, DecodeError::BadChecksum { offset: 12, found: 0x6fc4, computed: 0x70b4 }, &[0])];

/// tcpdump's `ospf-sr-ri-sid` was edited by hand after capture: the packet
/// checksum no longer matches.
const ARISTA_EDITED: &[Fault] =
    &[(0, DecodeError::BadChecksum { offset: 12, found: 0x9adf, computed: 0xd1a4 }, &[0])];

/// The RtBrick captures carry the packet checksum with its two octets
/// swapped (written in host order by the sender).
const RTBRICK_SWAPPED_1: &[Fault] =
    &[(0, DecodeError::BadChecksum { offset: 12, found: 0x421d, computed: 0x1d42 }, &[])];

/// As [`RTBRICK_SWAPPED_1`].
const RTBRICK_SWAPPED_2: &[Fault] =
    &[(0, DecodeError::BadChecksum { offset: 12, found: 0x3e29, computed: 0x293e }, &[])];

// ---------------------------------------------------------------- link layers

/// The IP payloads carried with protocol 89 (OSPF) in one frame, following
/// GRE (RFC 2784) one level deep; IPv6 frames are counted, not parsed.
#[derive(Default)]
struct Extracted {
    ospf_v4: Vec<Bytes>,
    ipv6: usize,
    ospf_v6: Vec<V6Payload>,
    ah: usize,
    esp: usize,
}

/// An OSPF payload carried over IPv6, with the addresses of its pseudo-header.
struct V6Payload {
    source: Ipv6Addr,
    destination: Ipv6Addr,
    payload: Bytes,
}

/// Walk an IPv6 header and its extension headers (RFC 8200 §4) to an OSPF
/// payload; an AH header (RFC 4302 §2.2, length in 32-bit words minus 2)
/// is stepped over, ESP is counted.
fn ipv6_packet(data: &[u8], out: &mut Extracted) {
    out.ipv6 += 1;
    let (Some(h), Some(body)) = (data.get(..40), data.get(40..)) else { return };
    let plen = usize::from(u16::from_be_bytes([h[4], h[5]])).min(body.len());
    let octets = |r: &[u8]| {
        let mut a = [0u8; 16];
        a.copy_from_slice(r);
        Ipv6Addr::from(a)
    };
    let (source, destination) = (octets(&h[8..24]), octets(&h[24..40]));
    let mut next = h[6];
    let mut rest = &body[..plen];
    loop {
        let skip = match next {
            89 => {
                out.ospf_v6.push(V6Payload {
                    source,
                    destination,
                    payload: Bytes::copy_from_slice(rest),
                });
                return;
            }
            50 => {
                out.esp += 1;
                return;
            }
            51 => {
                out.ah += 1;
                rest.get(1).map(|l| (usize::from(*l) + 2) * 4)
            }
            0 | 43 | 60 => rest.get(1).map(|l| (usize::from(*l) + 1) * 8),
            _ => return,
        };
        let (Some(n), Some(s)) = (rest.first(), skip) else { return };
        next = *n;
        let Some(r) = rest.get(s..) else { return };
        rest = r;
    }
}

fn ethertype_payload(ethertype: u16, data: &[u8], out: &mut Extracted) {
    match ethertype {
        0x0800 => ipv4(data, out),
        0x86dd => ipv6_packet(data, out),
        0x8100 => {
            if let (Some(t), Some(rest)) = (data.get(2..4), data.get(4..)) {
                ethertype_payload(u16::from_be_bytes([t[0], t[1]]), rest, out);
            }
        }
        _ => {}
    }
}

fn ipv4(data: &[u8], out: &mut Extracted) {
    let Some(&vihl) = data.first() else { return };
    if vihl >> 4 == 6 {
        ipv6_packet(data, out);
        return;
    }
    if vihl >> 4 != 4 || data.len() < 20 {
        return;
    }
    let ihl = usize::from(vihl & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([data[2], data[3]])).min(data.len());
    let Some(payload) = data.get(ihl..total) else { return };
    match data[9] {
        89 => out.ospf_v4.push(Bytes::copy_from_slice(payload)),
        47 => gre(payload, out),
        _ => {}
    }
}

/// GRE header (RFC 2784, RFC 2890 key and sequence): flags, protocol type,
/// then optional checksum, key and sequence words.
fn gre(data: &[u8], out: &mut Extracted) {
    if data.len() < 4 {
        return;
    }
    let flags = data[0];
    let proto = u16::from_be_bytes([data[2], data[3]]);
    let mut off = 4;
    for bit in [0x80, 0x20, 0x10] {
        if flags & bit != 0 {
            off += 4;
        }
    }
    if let Some(rest) = data.get(off..) {
        ethertype_payload(proto, rest, out);
    }
}

/// Decapsulate one frame of the given pcap link type.
fn frame(linktype: u32, data: &[u8], out: &mut Extracted) {
    let be16 = |o: usize| data.get(o..o + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
    match linktype {
        // DLT_NULL: 4-octet address family in host order; 2 is AF_INET.
        0 => {
            if let Some(rest) = data.get(4..) {
                ipv4(rest, out);
            }
        }
        // Ethernet.
        1 => {
            if let (Some(t), Some(rest)) = (be16(12), data.get(14..)) {
                ethertype_payload(t, rest, out);
            }
        }
        // Raw IP (DLT_RAW as 101, LINKTYPE_IPV4 228, LINKTYPE_IPV6 229).
        101 | 228 | 229 | 12 | 14 => ipv4(data, out),
        // Cisco HDLC: address, control, then an Ethertype.
        104 => {
            if let (Some(t), Some(rest)) = (be16(2), data.get(4..)) {
                ethertype_payload(t, rest, out);
            }
        }
        // Frame Relay with Cisco encapsulation: 2-octet Q.922 address, then
        // an Ethertype; RFC 2427 (0x03 control, NLPID 0xcc) also handled.
        107 => match (data.get(2), data.get(3)) {
            (Some(0x03), Some(0xcc)) => {
                if let Some(rest) = data.get(4..) {
                    ipv4(rest, out);
                }
            }
            (Some(0x03), Some(0x8e)) => {
                if let Some(rest) = data.get(4..) {
                    ipv6_packet(rest, out);
                }
            }
            _ => {
                if let (Some(t), Some(rest)) = (be16(2), data.get(4..)) {
                    ethertype_payload(t, rest, out);
                }
            }
        },
        // Linux cooked capture (SLL): protocol at 14.
        113 => {
            if let (Some(t), Some(rest)) = (be16(14), data.get(16..)) {
                ethertype_payload(t, rest, out);
            }
        }
        other => panic!("link type {other} not handled by this test"),
    }
}

/// A minimal pcapng walk (pcap-file rejects some option encodings found in
/// the collection): Section Header for the byte order, Interface Description
/// for link types, Enhanced and Simple Packet blocks for frames.
fn pcapng_frames(bytes: &[u8], path: &Path, out: &mut Extracted) {
    let mut linktypes: Vec<u32> = Vec::new();
    let mut big_endian = false;
    let mut off = 0;
    while off + 12 <= bytes.len() {
        let raw = |o: usize| -> [u8; 4] {
            let b = &bytes[o..o + 4];
            [b[0], b[1], b[2], b[3]]
        };
        let u32_at = |o: usize, be: bool| {
            if be {
                u32::from_be_bytes(raw(o))
            } else {
                u32::from_le_bytes(raw(o))
            }
        };
        let block_type = u32::from_le_bytes(raw(off));
        if block_type == 0x0a0d_0d0a {
            big_endian = raw(off + 8) == [0x1a, 0x2b, 0x3c, 0x4d];
        }
        let len = u32_at(off + 4, big_endian) as usize;
        assert!(
            len >= 12 && off + len <= bytes.len(),
            "{}: bad pcapng block length {len} at {off}",
            path.display()
        );
        let body = &bytes[off + 8..off + len - 4];
        let u32_body = |o: usize| u32_at(off + 8 + o, big_endian);
        match u32_at(off, big_endian) {
            1 => {
                let lt = u16::from_le_bytes([body[0], body[1]]);
                let lt = if big_endian { lt.swap_bytes() } else { lt };
                linktypes.push(u32::from(lt));
            }
            6 => {
                let id = u32_body(0) as usize;
                let caplen = u32_body(12) as usize;
                let lt = *linktypes
                    .get(id)
                    .unwrap_or_else(|| panic!("{}: undeclared interface {id}", path.display()));
                frame(lt, &body[20..20 + caplen], out);
            }
            3 => {
                let lt = *linktypes
                    .first()
                    .unwrap_or_else(|| panic!("{}: no interface", path.display()));
                frame(lt, &body[4..], out);
            }
            _ => {}
        }
        off += len;
    }
}

/// A minimal classic pcap walk (pcap-file rejects records whose original
/// length exceeds the snapshot length, as in a fuzzer-made file here).
fn pcap_frames(bytes: &[u8], path: &Path, out: &mut Extracted) {
    let magic = bytes.get(..4).unwrap_or_else(|| panic!("{}: no pcap header", path.display()));
    let big_endian = match magic {
        [0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1] => false,
        [0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d] => true,
        _ => panic!("{}: not a pcap file", path.display()),
    };
    let u32_at = |o: usize| {
        let b = bytes.get(o..o + 4).unwrap_or_else(|| panic!("{}: cut at {o}", path.display()));
        let a = [b[0], b[1], b[2], b[3]];
        if big_endian {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    };
    let linktype = u32_at(20) & 0x0fff_ffff;
    let mut off = 24;
    while off + 16 <= bytes.len() {
        let caplen = u32_at(off + 8) as usize;
        let data = bytes
            .get(off + 16..off + 16 + caplen)
            .unwrap_or_else(|| panic!("{}: record at {off} overruns the file", path.display()));
        frame(linktype, data, out);
        off += 16 + caplen;
    }
}

fn read_capture(path: &Path) -> Extracted {
    let mut out = Extracted::default();
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if bytes.get(..4) == Some(&[0x0a, 0x0d, 0x0d, 0x0a]) {
        pcapng_frames(&bytes, path, &mut out);
    } else {
        pcap_frames(&bytes, path, &mut out);
    }
    out
}

// ---------------------------------------------------------------- checks

fn hex_diff(want: &[u8], got: &[u8]) -> String {
    let first = want.iter().zip(got).position(|(a, b)| a != b).unwrap_or(want.len().min(got.len()));
    format!(
        "first difference at offset {first} (lengths {} vs {})\nwant {}\ngot  {}",
        want.len(),
        got.len(),
        hex::encode(want),
        hex::encode(got)
    )
}

#[derive(Default)]
struct Seeds {
    packets: BTreeMap<String, Bytes>,
    lsas: BTreeMap<String, Bytes>,
    v3_packets: BTreeMap<String, Bytes>,
    v3_lsas: BTreeMap<String, Bytes>,
}

fn name_of(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// Check one OSPFv2 packet that must be valid; returns the number of LSAs checked.
fn check_packet(what: &str, payload: &Bytes, seeds: &mut Seeds) -> Result<usize, String> {
    let (packet, trailer) = Packet::decode_with_trailer(payload.clone())
        .map_err(|e| format!("{what}: {e} ({e:?})\n{}", hex::encode(payload)))?;
    check_decoded(what, payload, &packet, &trailer, &[], seeds)
}

/// Re-encode and check checksums of a decoded packet.
fn check_decoded(
    what: &str,
    payload: &Bytes,
    packet: &Packet,
    trailer: &Bytes,
    bad_lsas: &[usize],
    seeds: &mut Seeds,
) -> Result<usize, String> {
    let length = payload.len() - trailer.len();
    let original = &payload[..length];
    let mut buf = BytesMut::new();
    packet.encode(&mut buf);
    if buf[..] != *original {
        return Err(format!("{what}: re-encode differs: {}", hex_diff(original, &buf)));
    }
    if let Authentication::Cryptographic { auth_data_len, .. } = packet.authentication {
        if trailer.len() < usize::from(auth_data_len) {
            return Err(format!("{what}: digest of {auth_data_len} octets missing"));
        }
    }
    seeds.packets.insert(name_of(original), Bytes::copy_from_slice(original));
    let mut lsas = 0;
    if let PacketBody::LinkStateUpdate(lsu) = &packet.body {
        for (i, lsa) in lsu.lsas.iter().enumerate() {
            let h = lsa.header();
            let expect_ok = !bad_lsas.contains(&i);
            if lsa.checksum_ok() != expect_ok {
                return Err(format!(
                    "{what}: LSA {i} ({h:?}) Fletcher checksum verifies: {}, expected {expect_ok}",
                    !expect_ok
                ));
            }
            if !expect_ok {
                continue;
            }
            // Typed bodies rebuilt through the builder give the same octets:
            // this checks the encoders and the checksum computation on real LSAs.
            if !matches!(lsa.body(), LsaBody::Opaque { .. } | LsaBody::Unknown { .. }) {
                let rebuilt = lsa.body().to_lsa(LsaFields {
                    ls_age: h.ls_age,
                    options: h.options,
                    link_state_id: h.link_state_id,
                    advertising_router: h.advertising_router,
                    ls_sequence_number: h.ls_sequence_number,
                });
                if rebuilt.raw() != lsa.raw() {
                    return Err(format!(
                        "{what}: LSA {i} rebuilt differs: {}",
                        hex_diff(lsa.raw(), rebuilt.raw())
                    ));
                }
            }
            seeds.lsas.insert(name_of(lsa.raw()), lsa.raw().clone());
            lsas += 1;
        }
    }
    Ok(lsas)
}

/// A packet expected to fail with `err`. A bad packet checksum is the only
/// fault of an otherwise valid packet, so its structure is checked too.
fn check_fault(
    what: &str,
    payload: &Bytes,
    err: DecodeError,
    bad_lsas: &[usize],
    seeds: &mut Seeds,
) -> Result<usize, String> {
    let got = Packet::decode(payload.clone());
    if got != Err(err) {
        return Err(format!("{what}: expected {err:?}, got {got:?}"));
    }
    if let DecodeError::BadChecksum { computed, .. } = err {
        let (packet, trailer) = Packet::decode_unverified(payload.clone())
            .map_err(|e| format!("{what}: unverified decode: {e}"))?;
        let mut fixed = BytesMut::from(&payload[..]);
        fixed[12..14].copy_from_slice(&computed.to_be_bytes());
        return check_decoded(what, &fixed.freeze(), &packet, &trailer, bad_lsas, seeds);
    }
    Ok(0)
}

fn dirs() -> Vec<PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = manifest.join("../../../shared/vectors/ospf");
    let mut out = Vec::new();
    if shared.is_dir() {
        out.push(shared);
    } else {
        println!(
            "shared capture directory {} is absent: checking only the copies in tests/data/",
            shared.display()
        );
    }
    out.push(manifest.join("tests/data"));
    out
}

#[test]
fn every_ospfv2_capture_round_trips() {
    let mut seeds = Seeds::default();
    let (mut files, mut packets, mut lsas, mut v3_files) = (0, 0, 0, 0);
    let mut failures: Vec<String> = Vec::new();
    for dir in dirs() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
            .collect();
        entries.sort();
        for path in entries {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            let expect = FILES
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, e)| e)
                .unwrap_or_else(|| panic!("{name}: not in the table of expected contents"));
            files += 1;
            if let Expect::V3(_) = expect {
                v3_files += 1;
                continue;
            }
            let got = read_capture(&path);
            let v2: Vec<&Bytes> = got.ospf_v4.iter().filter(|p| p.first() == Some(&2)).collect();
            let (count, bad): (usize, &[Fault]) = match expect {
                Expect::V2(n) => (*n, &[]),
                Expect::Malformed(n, bad) => (*n, bad),
                Expect::V3(_) => unreachable!(),
            };
            if v2.len() != count {
                failures.push(format!("{name}: {} OSPFv2 packets, expected {count}", v2.len()));
            }
            for (i, payload) in v2.into_iter().enumerate() {
                let what = format!("{name} OSPFv2 packet {i}");
                let result = if let Some((_, err, bad_lsas)) = bad.iter().find(|(j, _, _)| *j == i)
                {
                    check_fault(&what, payload, *err, bad_lsas, &mut seeds)
                } else {
                    check_packet(&what, payload, &mut seeds)
                };
                match result {
                    Ok(n) => lsas += n,
                    Err(e) => failures.push(e),
                }
                packets += 1;
            }
        }
    }
    println!("{files} files, {packets} OSPFv2 packets, {lsas} LSAs checked; {v3_files} OSPFv3 files left to the OSPFv3 test");
    assert!(files > 0 && packets > 0, "no capture was checked");
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    if let Ok(dir) = std::env::var("OSPF_WIRE_WRITE_SEEDS") {
        for (sub, set) in [("ospf_packet", &seeds.packets), ("ospf_lsa", &seeds.lsas)] {
            let d = Path::new(&dir).join(sub);
            std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
            for (n, b) in set {
                std::fs::write(d.join(n), b).unwrap_or_else(|e| panic!("{n}: {e}"));
            }
        }
    }
}

// ---------------------------------------------------------------- OSPFv3

/// Check one OSPFv3 packet; `link` remembers, per sending router, the L and
/// AT bits of its last Hello or DD (the other packet types carry no
/// Options). Returns the number of LSAs checked.
fn check_v3_packet(
    what: &str,
    p: &V6Payload,
    link: &mut BTreeMap<u32, (bool, bool)>,
    seeds: &mut Seeds,
) -> Result<usize, String> {
    let (packet, trailer) =
        v3::Packet::decode_with_trailer(p.payload.clone(), p.source, p.destination)
            .map_err(|e| format!("{what}: {e} ({e:?})\n{}", hex::encode(&p.payload)))?;
    let length = p.payload.len() - trailer.len();
    let original = &p.payload[..length];
    let mut buf = BytesMut::new();
    packet.encode_with_checksum(&mut buf, p.source, p.destination);
    if !trailer.is_empty() && buf[12..14] != original[12..14] {
        // Checksummed over the whole payload by the sender's kernel, or
        // left zero beside an authentication trailer.
        let whole = match original[12..14] {
            [0, 0] => 0,
            _ => v3::payload_checksum(p.source, p.destination, &p.payload),
        };
        buf[12..14].copy_from_slice(&whole.to_be_bytes());
    }
    if buf[..] != *original {
        return Err(format!("{what}: re-encode differs: {}", hex_diff(original, &buf)));
    }
    let (lls, at) = match packet.options() {
        Some(o) => {
            let bits = (o.contains(v3::Options::L), o.contains(v3::Options::AT));
            link.insert(packet.router_id.0, bits);
            bits
        }
        None => link.get(&packet.router_id.0).copied().unwrap_or_default(),
    };
    let t = v3::Trailer::decode(trailer.clone(), lls, at, length).map_err(|e| {
        format!("{what}: trailer (L {lls}, AT {at}): {e}\n{}", hex::encode(&trailer))
    })?;
    let mut again = BytesMut::new();
    t.encode(&mut again);
    if again[..] != trailer[..] {
        return Err(format!("{what}: trailer re-encode differs: {}", hex_diff(&trailer, &again)));
    }
    if let Some(a) = &t.auth {
        if a.auth_type != v3::AuthType::HMAC_CRYPTOGRAPHIC || a.authentication_data.is_empty() {
            return Err(format!("{what}: unexpected authentication trailer {a:?}"));
        }
    }
    seeds.v3_packets.insert(name_of(&p.payload), p.payload.clone());
    let mut lsas = 0;
    if let v3::PacketBody::LinkStateUpdate(lsu) = &packet.body {
        for (i, lsa) in lsu.lsas.iter().enumerate() {
            let h = lsa.header();
            if !lsa.checksum_ok() {
                return Err(format!("{what}: LSA {i} ({h:?}) Fletcher checksum fails"));
            }
            if !matches!(lsa.body(), v3::LsaBody::Unknown { .. }) {
                let rebuilt = lsa.body().to_lsa(v3::LsaFields {
                    ls_age: h.ls_age,
                    link_state_id: h.link_state_id,
                    advertising_router: h.advertising_router,
                    ls_sequence_number: h.ls_sequence_number,
                });
                if rebuilt.raw() != lsa.raw() {
                    return Err(format!(
                        "{what}: LSA {i} rebuilt differs: {}",
                        hex_diff(lsa.raw(), rebuilt.raw())
                    ));
                }
            }
            seeds.v3_lsas.insert(name_of(lsa.raw()), lsa.raw().clone());
            lsas += 1;
        }
    }
    Ok(lsas)
}

#[test]
fn every_ospfv3_capture_round_trips() {
    let mut seeds = Seeds::default();
    let (mut files, mut packets, mut lsas, mut trailers) = (0, 0, 0, 0);
    let mut failures: Vec<String> = Vec::new();
    for dir in dirs() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
            .collect();
        entries.sort();
        for path in entries {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            let Some((_, Expect::V3(expect))) = FILES.iter().find(|(n, _)| *n == name) else {
                continue;
            };
            files += 1;
            let got = read_capture(&path);
            let counts = (got.ospf_v6.len(), got.ah, got.esp);
            if counts != (expect.packets, expect.ah, expect.esp) {
                failures.push(format!(
                    "{name}: (OSPFv3 packets, behind AH, ESP) = {counts:?}, expected {:?}",
                    (expect.packets, expect.ah, expect.esp)
                ));
            }
            let mut link = BTreeMap::new();
            for (i, p) in got.ospf_v6.iter().enumerate() {
                let what = format!("{name} OSPFv3 packet {i}");
                if p.payload.first() != Some(&3) {
                    failures.push(format!("{what}: version {:?}", p.payload.first()));
                    continue;
                }
                if let Some((_, err, rest_valid)) = expect.faults.iter().find(|(j, _, _)| *j == i) {
                    let got = v3::Packet::decode(p.payload.clone(), p.source, p.destination);
                    if got != Err(*err) {
                        failures.push(format!("{what}: expected {err:?}, got {got:?}"));
                    }
                    if let (true, DecodeError::BadChecksum { computed, .. }) = (rest_valid, err) {
                        let mut fixed = BytesMut::from(&p.payload[..]);
                        fixed[12..14].copy_from_slice(&computed.to_be_bytes());
                        let fixed = V6Payload { payload: fixed.freeze(), ..*p };
                        match check_v3_packet(&what, &fixed, &mut link, &mut seeds) {
                            Ok(n) => lsas += n,
                            Err(e) => failures.push(e),
                        }
                    }
                    continue;
                }
                match check_v3_packet(&what, p, &mut link, &mut seeds) {
                    Ok(n) => lsas += n,
                    Err(e) => failures.push(e),
                }
                if link.values().any(|(_, at)| *at) {
                    trailers += 1;
                }
                packets += 1;
            }
        }
    }
    println!("{files} files, {packets} OSPFv3 packets, {lsas} LSAs checked, {trailers} with the AT bit on their link");
    assert!(files > 0 && packets > 0, "no OSPFv3 capture was checked");
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    if let Ok(dir) = std::env::var("OSPF_WIRE_WRITE_SEEDS") {
        for (sub, set) in [("ospfv3_packet", &seeds.v3_packets), ("ospfv3_lsa", &seeds.v3_lsas)] {
            let d = Path::new(&dir).join(sub);
            std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
            for (n, b) in set {
                std::fs::write(d.join(n), b).unwrap_or_else(|e| panic!("{n}: {e}"));
            }
        }
    }
}
