//! Real vendors' bytes: every BGP message of the vendor captures and every MRT record of the
//! vendor dumps decodes and re-encodes to the same bytes.
//!
//! - Files copied into `tests/data/vectors/` (permissive licences, see its README) are always
//!   checked; the rest of `../shared/vectors/` is checked when that folder exists, and the test
//!   says plainly when it does not.
//! - Every message must re-encode exactly from its decoded form. UPDATEs are also re-built
//!   from their typed, owned form; where that differs from the input the difference must be
//!   the one [`EXPECTED`] names for the file.
//! - Deliberately malformed files (the `tcpdump-malformed-*` fuzzer files) must give the
//!   NOTIFICATION codes [`EXPECTED`] lists, and never panic.
//! - BMP captures (RFC 7854) are checked through the BGP messages they carry; a capture that
//!   cannot be checked would be listed in [`SKIPPED`] with the reason, and printed.
//! - MRT written by bgp-dump (BGP4MP_ET from captures, TABLE_DUMP_V2 RIBs) and every vendor
//!   MRT dump are read alike by bgpkit-parser, an independent reader.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bytes::{Bytes, BytesMut};

use bgp_dump::capture::{self, ItemKind};
use bgp_dump::mrt_input;
use bgp_dump::session::Decoded;
use bgp_wire::message::Message;
use bgp_wire::mrt::{RecordBody, Records};

/// Ports followed: BGP, and 1179 used by two loopback lab captures.
const PORTS: &[u16] = &[179, 1179];

/// Captures not checked, and why (none at present: BMP captures are decoded through their
/// Route Monitoring, Peer Up, Peer Down and Route Mirroring messages).
const SKIPPED: &[(&str, &str)] = &[];

/// What a file is expected to give when it is not simply "every message clean".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Expect {
    /// (code, subcode, count) of messages that fail to decode.
    errors: &'static [(u8, u8, usize)],
    /// (code, subcode, count) of headers that do not frame.
    header_errors: &'static [(u8, u8, usize)],
    /// UPDATEs decoded with RFC 7606 attribute issues (their typed form leaves those
    /// attributes out, so it re-encodes differently: that is the expected difference).
    updates_with_issues: usize,
    /// UPDATEs whose context had to be guessed with ADD-PATH (no OPEN in the capture, or an
    /// MRT writer that logs ADD-PATH messages under a plain subtype).
    add_path_guessed: usize,
    /// MRT: records whose body does not decode (count), and whether framing stops early.
    record_errors: usize,
    /// MRT: the walk stops at a record that overruns the file.
    framing_error: bool,
    /// Why.
    why: &'static str,
}

const E: Expect = Expect {
    errors: &[],
    header_errors: &[],
    updates_with_issues: 0,
    add_path_guessed: 0,
    record_errors: 0,
    framing_error: false,
    why: "",
};

/// Files whose outcome is not "every message clean"; all others must be clean.
const EXPECTED: &[(&str, Expect)] = &[
    // --- Deliberately malformed (fuzzer-derived) tcpdump captures.
    ("tcpdump-malformed-aigp-oobr.pcap", Expect {
        header_errors: &[(1, 1, 112)],
        updates_with_issues: 114,
        why: "fuzzed UPDATEs: unrecognized well-known attributes, bad ORIGINATOR_ID lengths; \
              the byte stream holds no real message boundaries after the first bad header",
        ..E
    }),
    ("tcpdump-malformed-as-path-oobr.pcap", Expect {
        errors: &[(3, 1, 1)],
        header_errors: &[(1, 1, 135)],
        updates_with_issues: 197,
        why: "fuzzed AS_PATH/AS4_PATH and attribute lengths that overrun the message",
        ..E
    }),
    ("tcpdump-malformed-infinite-loop.pcap", Expect {
        header_errors: &[(1, 2, 4)],
        why: "four streams whose header declares length 19 for an UPDATE",
        ..E
    }),
    ("tcpdump-malformed-mp-reach-nlri-oobr.pcap", Expect {
        errors: &[(3, 1, 6)],
        header_errors: &[(1, 1, 6)],
        why: "attribute lengths that overrun the message",
        ..E
    }),
    ("tcpdump-malformed-mvpn-oobr.pcap", Expect {
        errors: &[(3, 1, 1)],
        header_errors: &[(1, 1, 1)],
        why: "attribute length that overruns the message",
        ..E
    }),
    ("tcpdump-malformed-ub-short-rd.pcap", Expect {
        errors: &[(3, 1, 2), (3, 10, 2)],
        header_errors: &[(1, 1, 14), (1, 3, 1)],
        updates_with_issues: 10,
        why: "fuzzed UPDATEs: overrunning attributes, NLRI that overrun their field, a type 40 header",
        ..E
    }),
    ("tcpdump-malformed-vpn-rt-oobr.pcap", Expect {
        errors: &[(3, 1, 3)],
        header_errors: &[(1, 1, 3)],
        why: "attribute lengths that overrun the message",
        ..E
    }),
    ("tcpdump-malformed-capabilities-oobr-1.pcap", Expect {
        errors: &[(2, 1, 1)],
        header_errors: &[(1, 1, 1)],
        why: "fuzzed OPEN (version not 4) in a segment cut by the snapshot length; \
              the rest of the stream is not a message",
        ..E
    }),
    ("tcpdump-malformed-capabilities-oobr-2.pcap", Expect {
        errors: &[(2, 1, 1)],
        header_errors: &[(1, 1, 1)],
        why: "fuzzed OPEN (version not 4) in a segment cut by the snapshot length; \
              the rest of the stream is not a message",
        ..E
    }),
    ("tcpdump-malformed-pmsi-tunnel-oobr.pcap", Expect {
        errors: &[(3, 1, 1)],
        why: "fuzzed UPDATE whose attribute lengths overrun the message",
        ..E
    }),
    ("tcpdump-malformed-bgpsec-signature-block-length.pcap", Expect {
        why: "decodes: the bad signature block length is inside BGPsec_Path (33), an optional \
              attribute kept as raw octets",
        ..E
    }),
    ("tcpdump-malformed-hard-reset.pcap", Expect {
        why: "decodes: the damage is inside the Hard Reset (RFC 8538) NOTIFICATION data, kept raw",
        ..E
    }),
    ("tcpdump-malformed-shutdown-msg-variations.pcap", Expect {
        why: "decodes: the shutdown communication lengths (RFC 9003) are wrong, which the \
              NOTIFICATION reports when asked for the text; the data is kept raw",
        ..E
    }),
    // --- Real or hand-made captures that are not clean.
    ("tcpdump-addpath-ipv4-ipv6.pcap", Expect {
        updates_with_issues: 1,
        add_path_guessed: 1,
        why: "ADD-PATH UPDATE without the OPEN (guessed), crafted with a zero-length NEXT_HOP \
              and MP_REACH/MP_UNREACH flagged well-known",
        ..E
    }),
    // --- BMP (RFC 7854) captures, decoded through the BGP messages they carry.
    ("bmp-pmacct-6wind-frr-peer-down.pcap", Expect {
        updates_with_issues: 142,
        why: "6WIND/FRR Route Monitoring: 140 post-policy and Loc-RIB UPDATEs of VRF routes \
              without NEXT_HOP, 2 VPNv4 UPDATEs with a 2-octet AS_PATH although the A flag is \
              clear and the peer's OPENs negotiated 4-octet AS (RFC 7606 treat-as-withdraw); \
              Loc-RIB Peer Up OPENs with BGP ID 0",
        ..E
    }),
    // --- MRT.
    ("bgpdump-updates-nlri-mask-trailing-bits.mrt.gz", Expect {
        errors: &[(3, 10, 1)],
        why: "the last NLRI (length 11) has no octets left in the message: Invalid Network Field",
        ..E
    }),
    ("bgpkit-ris-rrc00-2000-bview-table-dump-quirk.mrt.gz", Expect {
        record_errors: 1,
        framing_error: true,
        why: "early TABLE_DUMP that batches entries in one record and declares it 4 octets \
              short: trailing octets, then the framing desynchronises",
        ..E
    }),
    ("bgpkit-ris-rrc00-2000-damaged-boundaries.mrt.gz", Expect {
        framing_error: true,
        why: "damaged record boundaries: a record length that overruns the file",
        ..E
    }),
    ("bgpkit-ris-rrc01-2000-zebra-short-records.mrt.gz", Expect {
        record_errors: 63,
        why: "Zebra (2000) BGP4MP records that are too short or carry garbage AFIs",
        ..E
    }),
    ("mrtparse-bird-bgp4mp.mrt", Expect {
        add_path_guessed: 6,
        why: "BIRD logged ADD-PATH UPDATEs under MESSAGE_AS4 (not the RFC 8050 subtype)",
        ..E
    }),
    ("mrtparse-bird6-bgp4mp.mrt", Expect {
        add_path_guessed: 6,
        why: "BIRD logged ADD-PATH UPDATEs under MESSAGE_AS4 (not the RFC 8050 subtype)",
        ..E
    }),
];

/// How an input differs from what its typed form re-encodes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Difference {
    /// RFC 4760 §3: the Reserved octet after the MP_REACH_NLRI next hop "MUST be set to 0,
    /// and SHOULD be ignored upon receipt"; the input has it non-zero, the typed form writes 0.
    MpReachReservedNonZero,
}

/// Messages (by index among the file's messages) whose typed form re-encodes differently,
/// and how.
const NON_CANONICAL: &[(&str, usize, Difference)] = &[
    ("tcpdump-malformed-as-path-oobr.pcap", 150, Difference::MpReachReservedNonZero),
    ("tcpdump-malformed-ub-short-rd.pcap", 17, Difference::MpReachReservedNonZero),
    ("tcpdump-malformed-ub-short-rd.pcap", 20, Difference::MpReachReservedNonZero),
];

/// Names the difference between an UPDATE and its typed re-encoding, if it is a known kind.
fn classify(u: &bgp_wire::update::Update, input: &[u8], typed: &[u8]) -> Option<Difference> {
    let mp = u.attributes().get(bgp_wire::attribute::AttributeType::MP_REACH_NLRI)?;
    let nh_len = usize::from(*mp.value.get(3)?);
    let reserved = mp.offset + mp.header_len + 4 + nh_len;
    let mut fixed = input.to_vec();
    *fixed.get_mut(reserved)? = 0;
    (input.get(reserved) != Some(&0) && fixed == typed)
        .then_some(Difference::MpReachReservedNonZero)
}

/// What a file gave.
#[derive(Debug, Default, PartialEq, Eq)]
struct Outcome {
    messages: usize,
    errors: BTreeMap<(u8, u8), usize>,
    header_errors: BTreeMap<(u8, u8), usize>,
    updates_with_issues: usize,
    add_path_guessed: usize,
    record_errors: usize,
    framing_error: bool,
    /// Named differences of typed re-encodings, by message index.
    non_canonical: Vec<(usize, Difference)>,
    /// Failures that no table can excuse: re-encoding differences of clean messages.
    failures: Vec<String>,
}

impl Outcome {
    fn matches(&self, file: &str, e: &Expect) -> bool {
        let named: Vec<(usize, Difference)> =
            NON_CANONICAL.iter().filter(|(f, _, _)| *f == file).map(|&(_, i, d)| (i, d)).collect();
        let list = |m: &BTreeMap<(u8, u8), usize>| -> Vec<(u8, u8, usize)> {
            m.iter().map(|(&(c, s), &n)| (c, s, n)).collect()
        };
        list(&self.errors) == e.errors
            && list(&self.header_errors) == e.header_errors
            && self.updates_with_issues == e.updates_with_issues
            && self.add_path_guessed == e.add_path_guessed
            && self.record_errors == e.record_errors
            && self.framing_error == e.framing_error
            && self.failures.is_empty()
            && self.non_canonical == named
    }

    /// One message: exact re-encoding, and for UPDATEs the typed form.
    fn message(&mut self, file: &str, index: usize, d: &Decoded) {
        self.messages += 1;
        let msg = match &d.result {
            Ok(m) => m,
            Err(e) => {
                *self.errors.entry((e.code.0, e.subcode)).or_default() += 1;
                return;
            }
        };
        let mut out = BytesMut::new();
        msg.encode(&d.context, &mut out);
        if out[..] != d.bytes[..] {
            self.failures.push(format!(
                "{file} #{index}: {:?} re-encodes differently\n  in:  {}\n  out: {}",
                msg.message_type(),
                hex::encode(&d.bytes),
                hex::encode(&out)
            ));
        }
        if let Message::Update(u) = msg {
            if d.guessed && !d.context.add_path.is_empty() {
                self.add_path_guessed += 1;
            }
            if !u.issues().is_empty() {
                // RFC 7606: the typed form leaves the malformed attributes out.
                self.updates_with_issues += 1;
                return;
            }
            let mut typed = BytesMut::new();
            u.to_owned_update(&d.context).encode(&d.context, &mut typed);
            if typed[..] != d.bytes[..] {
                if let Some(diff) = classify(u, &d.bytes, &typed) {
                    self.non_canonical.push((index, diff));
                    return;
                }
                self.failures.push(format!(
                    "{file} #{index}: UPDATE re-built from its typed form differs\n  in:  {}\n  out: {}",
                    hex::encode(&d.bytes),
                    hex::encode(&typed)
                ));
            }
        }
    }
}

fn copied_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/vectors")
}

/// `../shared/vectors` (from the repository), or `SHARED_VECTORS_DIR` when set.
fn shared_dir() -> Option<PathBuf> {
    let p = match std::env::var_os("SHARED_VECTORS_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors"),
    };
    p.is_dir().then_some(p)
}

/// Files of `sub` (`bgp` or `mrt`): the copied ones, then those only in the shared folder.
fn files(sub: &str) -> Vec<(String, PathBuf)> {
    let mut by_name: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut dirs = vec![copied_dir().join(sub)];
    match shared_dir() {
        Some(d) => dirs.push(d.join(sub)),
        None => println!(
            "../shared/vectors is absent: checking only the copies in tests/data/vectors/{sub}"
        ),
    }
    for d in dirs {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".md") {
                continue;
            }
            by_name.entry(name).or_insert_with(|| e.path());
        }
    }
    by_name.into_iter().collect()
}

fn expected(file: &str) -> Expect {
    EXPECTED.iter().find(|(f, _)| *f == file).map(|(_, e)| *e).unwrap_or(E)
}

fn check_capture(file: &str, data: &[u8]) -> Outcome {
    let c = capture::decode(data, PORTS);
    let mut o = Outcome::default();
    let mut index = 0;
    for item in &c.items {
        match &item.kind {
            ItemKind::Message(d) => {
                o.message(file, index, d);
                index += 1;
            }
            ItemKind::HeaderError(e) => {
                *o.header_errors.entry((e.code.0, e.subcode)).or_default() += 1;
            }
            ItemKind::Skipped(_) => {}
            ItemKind::BmpError(e) => o.failures.push(format!("{file}: BMP message: {e}")),
        }
    }
    o
}

fn check_mrt(file: &str, data: Vec<u8>) -> Outcome {
    let mut o = Outcome::default();
    let data = match mrt_input::decompress(data) {
        Ok(d) => Bytes::from(d),
        Err(e) => {
            o.failures.push(format!("{file}: decompression failed: {e}"));
            return o;
        }
    };
    let mut index = 0;
    for raw in Records::new(data) {
        let raw = match raw {
            Ok(r) => r,
            Err(_) => {
                o.framing_error = true;
                continue;
            }
        };
        let Ok(rec) = raw.decode() else {
            o.record_errors += 1;
            continue;
        };
        // The record writer gives back the bytes that were read.
        let (mut a, mut b) = (BytesMut::new(), BytesMut::new());
        rec.encode(&mut a);
        raw.encode(&mut b);
        if a != b {
            o.failures
                .push(format!("{file}: record at {} re-encodes differently", raw.body_offset));
        }
        match &rec.body {
            RecordBody::Bgp4mp(m) => {
                if let Some(d) = mrt_input::bgp4mp_message(m) {
                    o.message(file, index, &d);
                    index += 1;
                }
            }
            RecordBody::Rib(r) => {
                let nlri = r.nlri();
                for e in &r.entries {
                    rib_entry(&mut o, file, e, r.family, &nlri);
                }
            }
            RecordBody::RibGeneric(r) => {
                for e in &r.entries {
                    rib_entry(&mut o, file, e, r.family, &r.nlri);
                }
            }
            _ => {}
        }
    }
    o
}

/// A RIB entry's attributes decode without issues (after restoring the abbreviated
/// MP_REACH_NLRI of RFC 6396 §4.3.4) and their typed form re-encodes to the same octets.
fn rib_entry(
    o: &mut Outcome,
    file: &str,
    e: &bgp_wire::mrt::RibEntry,
    family: bgp_wire::Family,
    nlri: &[u8],
) {
    let (attrs, issues) = mrt_input::rib_attributes(e, family, nlri);
    if issues.as_array().is_some_and(|v| !v.is_empty()) {
        o.failures.push(format!("{file}: RIB entry attribute issues {issues}"));
        return;
    }
    let ctx = bgp_wire::mrt::table_dump_v2::attribute_context();
    let mut out = BytesMut::new();
    for a in attrs.to_owned_attributes(&ctx) {
        a.encode(&ctx, &mut out);
    }
    if out[..] != attrs.as_bytes()[..] {
        o.failures.push(format!(
            "{file}: RIB entry attributes re-encode differently\n  in:  {}\n  out: {}",
            hex::encode(attrs.as_bytes()),
            hex::encode(&out)
        ));
    }
}

fn report(kind: &str, results: &[(String, Outcome)]) -> Vec<String> {
    let mut problems = Vec::new();
    for (file, o) in results {
        let e = expected(file);
        let ok = o.matches(file, &e);
        let status = if ok { "ok" } else { "UNEXPECTED" };
        println!(
            "{kind} {file}: {} messages, errors {:?}, header errors {:?}, with RFC 7606 issues {}, \
             add-path guessed {}, record errors {}, framing error {}, non-canonical {:?} -- {status}{}",
            o.messages,
            o.errors,
            o.header_errors,
            o.updates_with_issues,
            o.add_path_guessed,
            o.record_errors,
            o.framing_error,
            o.non_canonical,
            if e.why.is_empty() { String::new() } else { format!(" ({})", e.why) }
        );
        if !ok {
            problems.push(format!("{file}: expected {e:?}\n  got {o:?}"));
        }
    }
    problems
}

#[test]
fn bgp_captures() {
    let mut results = Vec::new();
    for (name, path) in files("bgp") {
        if let Some((_, why)) = SKIPPED.iter().find(|(f, _)| *f == name) {
            println!("skipped {name}: {why}");
            continue;
        }
        let Ok(data) = std::fs::read(&path) else { panic!("cannot read {}", path.display()) };
        results.push((name.clone(), check_capture(&name, &data)));
    }
    assert!(!results.is_empty(), "no capture found");
    let problems = report("capture", &results);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn mrt_dumps() {
    let mut results = Vec::new();
    for (name, path) in files("mrt") {
        let Ok(data) = std::fs::read(&path) else { panic!("cannot read {}", path.display()) };
        results.push((name.clone(), check_mrt(&name, data)));
    }
    assert!(!results.is_empty(), "no MRT file found");
    let problems = report("mrt", &results);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every table entry names a file that exists (in the copies or the shared folder), so the
/// tables cannot silently go stale.
#[test]
fn tables_name_existing_files() {
    let mut names: Vec<String> = files("bgp").into_iter().map(|(n, _)| n).collect();
    names.extend(files("mrt").into_iter().map(|(n, _)| n));
    let copied_only = shared_dir().is_none();
    let tabled = EXPECTED
        .iter()
        .map(|(f, _)| *f)
        .chain(SKIPPED.iter().map(|(f, _)| *f))
        .chain(NON_CANONICAL.iter().map(|(f, _, _)| *f))
        .chain(NOT_COMPARED_WITH_BGPKIT.iter().map(|(f, _)| *f));
    for f in tabled {
        assert!(copied_only || names.iter().any(|n| n == f), "table names a missing file: {f}");
    }
}

/// One route event: (announce?, prefix, peer address).
type RouteEvent = (bool, String, String);

/// The lab captures written as MRT by bgp-dump and read back by bgpkit-parser, an independent
/// MRT reader: the same announcements and withdrawals, from the same peers.
#[test]
fn mrt_written_from_captures_reads_in_bgpkit() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/captures");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"));
    files.sort();
    assert!(!files.is_empty(), "no lab capture in {}", dir.display());
    let mut total = 0;
    for path in files {
        let data = std::fs::read(&path).unwrap_or_default();
        let c = capture::decode(&data, PORTS);
        let mut mrt = BytesMut::new();
        bgp_dump::mrt_output::write(&c, &mut mrt);

        let mut ours: Vec<RouteEvent> = Vec::new();
        for item in &c.items {
            let ItemKind::Message(d) = &item.kind else { continue };
            let Ok(Message::Update(u)) = &d.result else { continue };
            let peer = item.src.ip().to_string();
            let mut push = |announce: bool, it: bgp_wire::nlri::NlriIter<'_>| {
                ours.extend(it.map(|n| (announce, n.prefix.to_string(), peer.clone())));
            };
            push(true, u.nlri());
            push(false, u.withdrawn());
            if let Some(r) = u.mp_reach() {
                push(true, r.routes());
            }
            if let Some(r) = u.mp_unreach() {
                push(false, r.routes());
            }
        }
        let mut theirs: Vec<RouteEvent> = bgpkit_parser::BgpkitParser::from_reader(&mrt[..])
            .into_elem_iter()
            .map(|e| {
                let announce = matches!(e.elem_type, bgpkit_parser::models::ElemType::ANNOUNCE);
                (announce, e.prefix.prefix.to_string(), e.peer_ip.to_string())
            })
            .collect();
        ours.sort();
        theirs.sort();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        println!("{name}: {} route events written and read back by bgpkit-parser", ours.len());
        assert!(!ours.is_empty(), "{name}: no route in the capture");
        assert_eq!(ours, theirs, "{name}: bgpkit-parser reads other routes from our MRT");
        total += ours.len();
    }
    println!("{total} route events in all");
}

/// One RIB entry: (prefix, peer address, AS numbers in path order, next hop).
type RibRow = (String, String, Vec<u32>, String);

/// The routes each lab capture leaves in place, written as a TABLE_DUMP_V2 dump by bgp-dump,
/// read back by our reader and by bgpkit-parser: the same prefixes, peers, AS paths and next
/// hops.
#[test]
fn rib_written_from_captures_reads_in_bgpkit() {
    use bgp_wire::attribute::NextHop;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/captures");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"));
    files.sort();
    assert!(!files.is_empty(), "no lab capture in {}", dir.display());
    for path in files {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let data = std::fs::read(&path).unwrap_or_default();
        let c = capture::decode(&data, PORTS);
        let mut dump = BytesMut::new();
        let records = bgp_dump::mrt_output::write_rib(&c, 1_700_000_000, &mut dump);
        let dump = dump.freeze();

        let mut ours: Vec<RibRow> = Vec::new();
        let mut peers = Vec::new();
        for raw in Records::new(dump.clone()) {
            let rec = raw.and_then(|r| r.decode()).expect("our own dump reads back");
            match &rec.body {
                RecordBody::PeerIndexTable(t) => peers = t.peers.clone(),
                RecordBody::Rib(r) => {
                    for e in &r.entries {
                        let (a, issues) = mrt_input::rib_attributes(e, r.family, &r.nlri());
                        assert_eq!(issues, serde_json::json!([]), "{name}: {}", r.prefix);
                        let asns = a
                            .as_path()
                            .map(|p| {
                                p.segments.iter().flat_map(|s| s.asns.iter().map(|x| x.0)).collect()
                            })
                            .unwrap_or_default();
                        let nh = match (a.next_hop(), a.mp_reach().map(|m| m.next_hop())) {
                            (Some(v4), _) => v4.to_string(),
                            (None, Some(NextHop::Ipv4(x))) => x.to_string(),
                            (None, Some(NextHop::Ipv6(x))) => x.to_string(),
                            (None, Some(NextHop::Ipv6LinkLocal { global, .. })) => {
                                global.to_string()
                            }
                            _ => String::new(),
                        };
                        let peer = peers.get(usize::from(e.peer_index)).map(|p| p.ip.to_string());
                        ours.push((r.prefix.to_string(), peer.unwrap_or_default(), asns, nh));
                    }
                }
                _ => panic!("{name}: unexpected record"),
            }
        }
        let mut theirs: Vec<RibRow> = bgpkit_parser::BgpkitParser::from_reader(&dump[..])
            .into_elem_iter()
            .map(|e| {
                let asns = e
                    .as_path
                    .map(|p| {
                        p.segments
                            .iter()
                            .flat_map(|s| match s {
                                bgpkit_parser::models::AsPathSegment::AsSequence(v)
                                | bgpkit_parser::models::AsPathSegment::AsSet(v)
                                | bgpkit_parser::models::AsPathSegment::ConfedSequence(v)
                                | bgpkit_parser::models::AsPathSegment::ConfedSet(v) => {
                                    v.iter().map(|a| u32::from(*a)).collect::<Vec<_>>()
                                }
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let nh = e.next_hop.map(|n| n.to_string()).unwrap_or_default();
                (e.prefix.prefix.to_string(), e.peer_ip.to_string(), asns, nh)
            })
            .collect();
        ours.sort();
        theirs.sort();
        println!(
            "{name}: {records} RIB records, {} entries read alike by bgpkit-parser",
            ours.len()
        );
        assert!(records > 0 && !ours.is_empty(), "{name}: empty RIB");
        assert_eq!(ours, theirs, "{name}: bgpkit-parser reads another RIB from our dump");
    }
}

/// MRT dumps bgpkit-parser is not compared on, and why.
const NOT_COMPARED_WITH_BGPKIT: &[(&str, &str)] = &[
    ("bgpkit-ris-rrc00-1999-legacy-type5-bgp.mrt.gz", "deprecated type 5 records: kept raw"),
    ("bgpkit-ris-rrc00-2000-bview-table-dump-quirk.mrt.gz", "framing quirk (see EXPECTED)"),
    ("bgpkit-ris-rrc00-2000-damaged-boundaries.mrt.gz", "damaged framing (see EXPECTED)"),
    ("bgpkit-ris-rrc01-2000-zebra-short-records.mrt.gz", "damaged records (see EXPECTED)"),
    ("bgpdump-updates-nlri-mask-trailing-bits.mrt.gz", "malformed NLRI (see EXPECTED)"),
];

/// Route events of an MRT dump as our reader sees them: (announce?, prefix, peer address).
fn mrt_route_events(data: Bytes) -> Vec<RouteEvent> {
    let mut out = Vec::new();
    let mut peers = Vec::new();
    for raw in Records::new(data) {
        let Ok(rec) = raw.and_then(|r| r.decode()) else { continue };
        match &rec.body {
            RecordBody::Bgp4mp(m) => {
                let Some(d) = mrt_input::bgp4mp_message(m) else { continue };
                let Ok(Message::Update(u)) = &d.result else { continue };
                let peer = m.peer_ip.to_string();
                let mut push = |announce: bool, it: bgp_wire::nlri::NlriIter<'_>| {
                    out.extend(it.map(|n| (announce, n.prefix.to_string(), peer.clone())));
                };
                push(true, u.nlri());
                push(false, u.withdrawn());
                if let Some(r) = u.mp_reach() {
                    push(true, r.routes());
                }
                if let Some(r) = u.mp_unreach() {
                    push(false, r.routes());
                }
            }
            RecordBody::PeerIndexTable(t) => peers = t.peers.clone(),
            RecordBody::Rib(r) => {
                for e in &r.entries {
                    let peer = peers.get(usize::from(e.peer_index)).map(|p| p.ip.to_string());
                    out.push((true, r.prefix.trunc().to_string(), peer.unwrap_or_default()));
                }
            }
            RecordBody::TableDump(t) => {
                out.push((true, format!("{}/{}", t.prefix, t.prefix_len), t.peer_ip.to_string()));
            }
            _ => {}
        }
    }
    out
}

/// Every vendor MRT dump read by our reader and by bgpkit-parser gives the same
/// announcements and withdrawals, from the same peers.
#[test]
fn mrt_dumps_read_alike_by_bgpkit() {
    let mut total = 0;
    for (name, path) in files("mrt") {
        if let Some((_, why)) = NOT_COMPARED_WITH_BGPKIT.iter().find(|(f, _)| *f == name) {
            println!("not compared with bgpkit-parser {name}: {why}");
            continue;
        }
        let raw = std::fs::read(&path).unwrap_or_default();
        let data = Bytes::from(mrt_input::decompress(raw).unwrap_or_default());
        let mut ours = mrt_route_events(data.clone());
        let mut theirs: Vec<RouteEvent> = bgpkit_parser::BgpkitParser::from_reader(&data[..])
            .into_elem_iter()
            .map(|e| {
                let announce = matches!(e.elem_type, bgpkit_parser::models::ElemType::ANNOUNCE);
                (announce, e.prefix.prefix.trunc().to_string(), e.peer_ip.to_string())
            })
            .collect();
        ours.sort();
        theirs.sort();
        println!("{name}: {} route events, bgpkit-parser {}", ours.len(), theirs.len());
        if ours != theirs {
            let only_ours: Vec<_> = ours.iter().filter(|x| !theirs.contains(x)).take(5).collect();
            let only_theirs: Vec<_> = theirs.iter().filter(|x| !ours.contains(x)).take(5).collect();
            panic!("{name}: route events differ\n  only ours: {only_ours:?}\n  only bgpkit: {only_theirs:?}");
        }
        total += ours.len();
    }
    println!("{total} route events in all");
    assert!(total > 0);
}
