//! OSPFv3 decoding against tshark, an independent decoder: every OSPFv3
//! packet of the captures below is decoded here from the bytes tshark shows
//! (`-T json -x`, behind IPsec AH too) and compared field by field with
//! what tshark makes of it (`-T fields`): header, Hello fields and Options,
//! LSA headers of DD, LSU and LSAck packets, prefixes of LSUs, and the
//! authentication trailer.
//!
//! tshark must be installed; without it, or without a capture, the test
//! fails and says so.

use std::net::Ipv6Addr;
use std::path::{Path, PathBuf};
use std::process::Command;

use bytes::Bytes;
use ospf_wire::v3::{LsaBody, LsaHeader, Options, Packet, PacketBody, Trailer};
use serde_json::Value;

/// Captures compared (from `tests/data`, else the shared collection).
const FILES: &[&str] = &[
    "packetlife-cisco-ios-ospfv3-broadcast.pcap",
    "packetlife-cisco-ios-ospfv3-nbma-framerelay.pcap",
    "packetlife-cisco-ios-ospfv3-ipsec-ah.pcap",
    "tcpdump-ospfv3-auth-trailer.pcapng",
];

fn find(name: &str) -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let local = manifest.join("tests/data").join(name);
    let shared = manifest.join("../../../shared/vectors/ospf").join(name);
    [local, shared].into_iter().find(|p| p.is_file()).unwrap_or_else(|| {
        panic!("{name}: capture missing from tests/data and the shared collection")
    })
}

fn tshark(args: &[&str], path: &Path) -> String {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(path)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("tshark could not be run (is it installed?): {e}"));
    assert!(
        out.status.success(),
        "tshark failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap_or_else(|e| panic!("tshark output: {e}"))
}

const FIELDS: &[&str] = &[
    "ipv6.src",
    "ipv6.dst",
    "ospf.msg",
    "ospf.srcrouter",
    "ospf.area_id",
    "ospf.packet_length",
    "ospf.checksum",
    "ospf.instance_id",
    "ospf.hello.interface_id",
    "ospf.hello.router_priority",
    "ospf.hello.hello_interval",
    "ospf.hello.router_dead_interval",
    "ospf.hello.designated_router",
    "ospf.hello.backup_designated_router",
    "ospf.hello.active_neighbor",
    "ospf.v3.options",
    "ospf.v3.lsa",
    "ospf.advrouter",
    "ospf.lsa.seqnum",
    "ospf.lsa.chksum",
    "ospf.lsa.length",
    "ospf.v3.address_prefix.ipv6",
    "ospf.prefix_length",
    "ospf.at.sa_id",
    "ospf.at.crypto_seq_nbr",
    "ospf.at.auth_data_len",
];

/// tshark's values per frame, fields in [`FIELDS`] order, occurrences joined by ','.
fn tshark_fields(path: &Path) -> Vec<Vec<String>> {
    let mut args = vec![
        "-Y",
        "ospf",
        "-T",
        "fields",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=,",
        "-E",
        "separator=|",
    ];
    for f in FIELDS {
        args.push("-e");
        args.push(f);
    }
    tshark(&args, path).lines().map(|l| l.split('|').map(str::to_owned).collect()).collect()
}

/// The OSPF octets of each frame, from tshark's `ospf_raw`.
fn tshark_raw(path: &Path) -> Vec<Bytes> {
    let json: Value = serde_json::from_str(&tshark(&["-Y", "ospf", "-T", "json", "-x"], path))
        .unwrap_or_else(|e| panic!("tshark JSON: {e}"));
    json.as_array()
        .unwrap_or_else(|| panic!("tshark JSON is not a list"))
        .iter()
        .map(|frame| {
            let raw = &frame["_source"]["layers"]["ospf_raw"][0];
            let hex = raw.as_str().unwrap_or_else(|| panic!("no ospf_raw in {frame}"));
            Bytes::from(hex::decode(hex).unwrap_or_else(|e| panic!("ospf_raw: {e}")))
        })
        .collect()
}

fn join<T: ToString>(v: impl IntoIterator<Item = T>) -> String {
    v.into_iter().map(|x| x.to_string()).collect::<Vec<_>>().join(",")
}

/// Our values, in [`FIELDS`] order, formatted as tshark formats them.
fn ours(src: Ipv6Addr, dst: Ipv6Addr, payload: Bytes) -> Result<Vec<String>, String> {
    let (p, trailer) =
        Packet::decode_with_trailer(payload.clone(), src, dst).map_err(|e| e.to_string())?;
    let length = payload.len() - trailer.len();
    let at = p.options().is_some_and(|o| o.contains(Options::AT));
    let t = Trailer::decode(trailer, false, at, length).map_err(|e| e.to_string())?;
    let header = &payload[..16];
    let mut v = vec![
        src.to_string(),
        dst.to_string(),
        p.body.packet_type().0.to_string(),
        p.router_id.to_string(),
        p.area_id.to_string(),
        length.to_string(),
        format!("0x{:02x}{:02x}", header[12], header[13]),
        p.instance_id.to_string(),
    ];
    let mut hello = vec![String::new(); 7];
    let options = p.options().map(|o| format!("0x{:06x}", o.0)).unwrap_or_default();
    if let PacketBody::Hello(h) = &p.body {
        hello = vec![
            h.interface_id.to_string(),
            h.router_priority.to_string(),
            h.hello_interval.to_string(),
            h.router_dead_interval.to_string(),
            h.designated_router.to_string(),
            h.backup_designated_router.to_string(),
            join(&h.neighbors),
        ];
    }
    v.extend(hello);
    let headers: Vec<LsaHeader> = match &p.body {
        PacketBody::DatabaseDescription(d) => d.lsa_headers.clone(),
        PacketBody::LinkStateUpdate(u) => u.lsas.iter().map(|l| *l.header()).collect(),
        PacketBody::LinkStateAck(a) => a.lsa_headers.clone(),
        _ => vec![],
    };
    // tshark lists the Options of the packet, then those of LSA bodies.
    let mut all_options: Vec<String> =
        vec![options].into_iter().filter(|o| !o.is_empty()).collect();
    let mut prefixes = Vec::new();
    if let PacketBody::LinkStateUpdate(u) = &p.body {
        for l in &u.lsas {
            match l.body() {
                LsaBody::Router(r) => all_options.push(format!("0x{:06x}", r.options.0)),
                LsaBody::Network(n) => all_options.push(format!("0x{:06x}", n.options.0)),
                LsaBody::InterAreaRouter(r) => all_options.push(format!("0x{:06x}", r.options.0)),
                LsaBody::Link(k) => {
                    all_options.push(format!("0x{:06x}", k.options.0));
                    prefixes.extend(k.prefixes.iter().map(|e| e.prefix));
                }
                LsaBody::InterAreaPrefix(i) => prefixes.push(i.prefix.prefix),
                LsaBody::AsExternal(e) | LsaBody::Nssa(e) => prefixes.push(e.prefix.prefix),
                LsaBody::IntraAreaPrefix(i) => prefixes.extend(i.prefixes.iter().map(|e| e.prefix)),
                _ => {}
            }
        }
    }
    v.push(join(all_options));
    // A Link State Request lists LS type and advertising router too.
    let keys: Vec<_> = match &p.body {
        PacketBody::LinkStateRequest(r) => r.requests.clone(),
        _ => headers.iter().map(LsaHeader::key).collect(),
    };
    v.push(join(keys.iter().map(|k| format!("0x{:04x}", k.ls_type.0))));
    v.push(join(keys.iter().map(|k| k.advertising_router)));
    v.push(join(headers.iter().map(|h| format!("0x{:08x}", h.ls_sequence_number.to_wire()))));
    v.push(join(headers.iter().map(|h| format!("0x{:04x}", h.ls_checksum))));
    v.push(join(headers.iter().map(|h| h.length)));
    v.push(join(prefixes.iter().map(|p| p.address())));
    v.push(join(prefixes.iter().map(|p| p.length())));
    match t.auth {
        Some(a) => v.extend([
            format!("0x{:04x}", a.sa_id),
            a.sequence_number.to_string(),
            (16 + a.authentication_data.len()).to_string(),
        ]),
        None => v.extend([String::new(), String::new(), String::new()]),
    }
    Ok(v)
}

#[test]
fn ospfv3_fields_agree_with_tshark() {
    let mut failures = Vec::new();
    let (mut frames, mut hellos, mut updates, mut trailers) = (0, 0, 0, 0);
    for name in FILES {
        let path = find(name);
        let fields = tshark_fields(&path);
        let raws = tshark_raw(&path);
        assert_eq!(fields.len(), raws.len(), "{name}: tshark frame counts disagree");
        assert!(!raws.is_empty(), "{name}: tshark shows no OSPF");
        for (i, (theirs, raw)) in fields.iter().zip(raws).enumerate() {
            let parse = |s: &str| {
                s.parse::<Ipv6Addr>().unwrap_or_else(|e| panic!("{name} #{i}: address {s}: {e}"))
            };
            let (src, dst) = (parse(&theirs[0]), parse(&theirs[1]));
            match ours(src, dst, raw) {
                Ok(mine) => {
                    for ((field, a), b) in FIELDS.iter().zip(&mine).zip(theirs) {
                        if a != b {
                            failures.push(format!("{name} #{i} {field}: ours {a:?}, tshark {b:?}"));
                        }
                    }
                    match mine[2].as_str() {
                        "1" => hellos += 1,
                        "4" => updates += 1,
                        _ => {}
                    }
                    if !mine[23].is_empty() {
                        trailers += 1;
                    }
                }
                Err(e) => failures.push(format!("{name} #{i}: {e}")),
            }
            frames += 1;
        }
    }
    println!("{frames} frames compared: {hellos} Hellos, {updates} LSUs, {trailers} authentication trailers");
    assert!(hellos > 0 && updates > 0 && trailers > 0, "a kind of packet was not compared");
    assert!(failures.is_empty(), "{} differences:\n{}", failures.len(), failures.join("\n"));
}
