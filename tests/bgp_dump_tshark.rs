//! bgp-dump against tshark, an independent decoder, on every capture: the vendor captures
//! (`tests/data/vectors/bgp`, and `../shared/vectors/bgp` when present) and the lab captures
//! of `tests/data/captures`.
//!
//! Both sides are read per TCP direction, in stream order (tshark with
//! `-o tcp.desegment_tcp_streams:TRUE`), and compared message by message: message type and
//! length; OPEN capability codes; UPDATE prefixes (withdrawn, NLRI, MP_REACH and MP_UNREACH of
//! IPv4/IPv6 families), AS_PATH, next hops, communities and large communities.
//!
//! tshark 4.0 marks an UPDATE longer than 4096 octets as malformed even when extended messages
//! (RFC 8654) were negotiated, and then shows none of its fields: for such messages only type
//! and length are compared. Files where tshark is known to be wrong, or that are fuzzed on
//! purpose, are listed in [`NOT_COMPARED`] with the reason, and printed. An AS_PATH bgp-dump
//! finds malformed under the session's negotiated AS size is not compared (tshark guesses the
//! size message by message). BMP captures are compared per router and monitored peer.
//!
//! tshark must be installed (`apt-get install tshark`); without it the test fails and says so.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use bgp_dump::capture;

/// Ports decoded as BGP on both sides.
const PORTS: &[u16] = &[179, 1179];

/// Files not compared, and why.
const NOT_COMPARED: &[(&str, &str)] = &[
    (
        "tcpdump-addpath-ipv4-ipv6.pcap",
        "ADD-PATH UPDATE without its OPEN: tshark decodes the NLRI without path identifiers",
    ),
    (
        "tcpdump-frr-extended-optional-parameters-length.pcapng",
        "RFC 9072 extended optional parameters: tshark 4.0 misparses the capabilities",
    ),
];

/// Deliberately malformed (fuzzed) captures are not compared: there is no right answer for
/// tshark to agree with; `vendor_vectors` checks the errors they give.
fn fuzzed(name: &str) -> bool {
    name.starts_with("tcpdump-malformed-")
}

/// The fields compared for one message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Fields {
    msg_type: u64,
    length: u64,
    capabilities: Vec<u64>,
    /// Sorted prefixes, announced and withdrawn, `None` when the UPDATE carries a family
    /// bgp-dump keeps as raw octets (VPN, EVPN, flowspec, ...).
    prefixes: Option<Vec<String>>,
    as_path: Vec<u64>,
    next_hops: Option<Vec<String>>,
    communities: Vec<String>,
    large_communities: Vec<String>,
    /// bgp-dump found the AS_PATH malformed under the session's context (RFC 7606): tshark
    /// guesses the AS number size per message instead, so the paths are not compared.
    as_path_malformed: bool,
}

type Streams = BTreeMap<(String, String), Vec<Fields>>;

fn repo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn capture_files() -> Vec<(String, PathBuf)> {
    let mut by_name: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut dirs = vec![repo_dir().join("data/captures"), repo_dir().join("data/vectors/bgp")];
    // `../shared/vectors` (from the repository), or `SHARED_VECTORS_DIR` when set.
    let shared = match std::env::var_os("SHARED_VECTORS_DIR") {
        Some(d) => PathBuf::from(d).join("bgp"),
        None => repo_dir().join("../../shared/vectors/bgp"),
    };
    if shared.is_dir() {
        dirs.push(shared);
    } else {
        println!("../shared/vectors is absent: comparing the copied vectors and lab captures only");
    }
    for d in dirs {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".pcap") || name.ends_with(".pcapng") {
                by_name.entry(name).or_insert_with(|| e.path());
            }
        }
    }
    by_name.into_iter().collect()
}

// ---------------------------------------------------------------- tshark side

/// Every string found under `key`, anywhere below `v`, in document order.
fn strings(v: &Value, key: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == key {
                    leaves(x, out);
                } else {
                    strings(x, key, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| strings(x, key, out)),
        _ => {}
    }
}

fn leaves(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| leaves(x, out)),
        _ => {}
    }
}

fn first(v: &Value, key: &str) -> Option<String> {
    let mut o = Vec::new();
    strings(v, key, &mut o);
    o.into_iter().next()
}

fn num(s: &str) -> u64 {
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).unwrap_or(u64::MAX),
        None => s.parse().unwrap_or(u64::MAX),
    }
}

/// Objects (at any depth) that hold `key` directly.
fn objects_with<'a>(v: &'a Value, key: &str, out: &mut Vec<&'a serde_json::Map<String, Value>>) {
    match v {
        Value::Object(m) => {
            if m.contains_key(key) {
                out.push(m);
            }
            m.values().for_each(|x| objects_with(x, key, out));
        }
        Value::Array(a) => a.iter().for_each(|x| objects_with(x, key, out)),
        _ => {}
    }
}

const PREFIX_KEYS: &[&str] = &[
    "bgp.nlri_prefix",
    "bgp.withdrawn_prefix",
    "bgp.mp_reach_nlri_ipv4_prefix",
    "bgp.mp_reach_nlri_ipv6_prefix",
    "bgp.mp_unreach_nlri_ipv4_prefix",
    "bgp.mp_unreach_nlri_ipv6_prefix",
];

fn tshark_fields(m: &Value) -> Fields {
    let msg_type = first(m, "bgp.type").map(|s| num(&s)).unwrap_or(0);
    let length = first(m, "bgp.length").map(|s| num(&s)).unwrap_or(0);
    let mut f = Fields { msg_type, length, ..Fields::default() };
    if length > 4096 {
        // tshark 4.0 rejects extended messages: only type and length are comparable.
        return f;
    }
    match msg_type {
        1 => {
            let mut caps = Vec::new();
            strings(m, "bgp.cap.type", &mut caps);
            f.capabilities = caps.iter().map(|s| num(s)).collect();
        }
        2 => {
            // Top-level attributes only: ATTR_SET (RFC 6368) nests a whole attribute list.
            let attrs: Vec<&serde_json::Map<String, Value>> =
                match &m["bgp.update.path_attributes"]["bgp.update.path_attribute"] {
                    Value::Array(a) => a.iter().filter_map(Value::as_object).collect(),
                    Value::Object(o) => vec![o],
                    _ => Vec::new(),
                };
            let mut raw_family = false;
            let mut next_hops = Vec::new();
            for a in &attrs {
                let a_v = Value::Object((*a).clone());
                let code = a.get("bgp.update.path_attribute.type_code").and_then(Value::as_str);
                match code.map(num) {
                    Some(2) => {
                        let mut asns = Vec::new();
                        strings(&a_v, "bgp.update.path_attribute.as_path_segment.as2", &mut asns);
                        strings(&a_v, "bgp.update.path_attribute.as_path_segment.as4", &mut asns);
                        f.as_path = asns.iter().map(|s| num(s)).collect();
                    }
                    Some(3) => strings(&a_v, "bgp.update.path_attribute.next_hop", &mut next_hops),
                    Some(8) => f.communities = tshark_communities(&a_v),
                    Some(14) | Some(15) => {
                        let afi = first(&a_v, "bgp.update.path_attribute.mp_reach_nlri.afi")
                            .or_else(|| {
                                first(&a_v, "bgp.update.path_attribute.mp_unreach_nlri.afi")
                            });
                        let safi = first(&a_v, "bgp.update.path_attribute.mp_reach_nlri.safi")
                            .or_else(|| {
                                first(&a_v, "bgp.update.path_attribute.mp_unreach_nlri.safi")
                            });
                        let typed = matches!(afi.as_deref().map(num), Some(1 | 2))
                            && matches!(safi.as_deref().map(num), Some(1 | 2));
                        raw_family |= !typed;
                        for k in ["ipv4", "ipv6", "ipv6.link_local"] {
                            let key =
                                format!("bgp.update.path_attribute.mp_reach_nlri.next_hop.{k}");
                            strings(&a_v, &key, &mut next_hops);
                        }
                    }
                    Some(32) => {
                        let mut lcs = Vec::new();
                        objects_with(&a_v, "bgp.large_communities.ga", &mut lcs);
                        f.large_communities = lcs
                            .iter()
                            .map(|o| {
                                let g = |k: &str| o.get(k).and_then(Value::as_str).unwrap_or("?");
                                format!(
                                    "{}:{}:{}",
                                    g("bgp.large_communities.ga"),
                                    g("bgp.large_communities.ldp1"),
                                    g("bgp.large_communities.ldp2")
                                )
                            })
                            .collect();
                    }
                    _ => {}
                }
            }
            if !raw_family {
                let mut prefixes = Vec::new();
                for key in PREFIX_KEYS {
                    let mut objs = Vec::new();
                    objects_with(m, key, &mut objs);
                    for o in objs {
                        let (Some(p), Some(l)) = (
                            o.get(*key).and_then(Value::as_str),
                            o.get("bgp.prefix_length").and_then(Value::as_str),
                        ) else {
                            continue;
                        };
                        prefixes.push(format!("{p}/{l}"));
                    }
                }
                prefixes.sort();
                f.prefixes = Some(prefixes);
                next_hops.sort();
                f.next_hops = Some(next_hops);
            }
        }
        _ => {}
    }
    f
}

fn tshark_communities(a: &Value) -> Vec<String> {
    let mut objs = Vec::new();
    objects_with(a, "bgp.update.path_attribute.community_as", &mut objs);
    let mut out: Vec<String> = objs
        .iter()
        .map(|o| {
            let g = |k: &str| o.get(k).and_then(Value::as_str).map(num).unwrap_or(u64::MAX);
            format!(
                "{}:{}",
                g("bgp.update.path_attribute.community_as"),
                g("bgp.update.path_attribute.community_value")
            )
        })
        .collect();
    let mut wk = Vec::new();
    strings(a, "bgp.update.path_attribute.community_wellknown", &mut wk);
    out.extend(wk.iter().map(|s| {
        let n = num(s);
        format!("{}:{}", n >> 16, n & 0xffff)
    }));
    out.sort();
    out
}

fn endpoint(layers: &Value, dir: &str) -> Option<String> {
    let ip =
        first(layers, &format!("ip.{dir}")).or_else(|| first(layers, &format!("ipv6.{dir}")))?;
    let port = first(layers, &format!("tcp.{dir}port"))?;
    let ip: IpAddr = ip.parse().ok()?;
    Some(SocketAddr::new(ip, port.parse().ok()?).to_string())
}

fn one_or_many(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        v @ Value::Object(_) => vec![v],
        _ => Vec::new(),
    }
}

fn tshark(path: &Path) -> Result<Streams, String> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r").arg(path).args(["-o", "tcp.desegment_tcp_streams:TRUE"]);
    for p in PORTS {
        cmd.args(["-d", &format!("tcp.port=={p},bgp")]);
    }
    cmd.args(["-d", &format!("tcp.port=={},bmp", capture::BMP_PORT)]);
    cmd.args(["-Y", "bgp", "-T", "json", "--no-duplicate-keys", "-J", "ip ipv6 tcp bmp bgp"]);
    let out = cmd.output().map_err(|e| {
        format!("tshark could not be run ({e}); install it: apt-get install -y tshark")
    })?;
    if !out.status.success() {
        return Err(format!("tshark failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let frames: Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    let mut streams = Streams::new();
    for fr in frames.as_array().map(Vec::as_slice).unwrap_or_default() {
        let layers = &fr["_source"]["layers"];
        // The frame's innermost addresses: MPLS or tunnels put the carried IP last.
        let (Some(src), Some(dst)) = (endpoint(layers, "src"), endpoint(layers, "dst")) else {
            continue;
        };
        for m in one_or_many(&layers["bgp"]) {
            if first(m, "bgp.type").is_none() {
                continue;
            }
            streams.entry((src.clone(), dst.clone())).or_default().push(tshark_fields(m));
        }
        // BMP: the BGP PDUs of each BMP message, keyed by router and monitored peer.
        for b in one_or_many(&layers["bmp"]) {
            let peer = first(b, "bmp.peer.ip.addr").or_else(|| first(b, "bmp.peer.ipv6.addr"));
            let Some(peer) = peer else { continue };
            for m in one_or_many(&b["bgp"]) {
                if first(m, "bgp.type").is_some() {
                    let key = (format!("bmp {src}"), peer.clone());
                    streams.entry(key).or_default().push(tshark_fields(m));
                }
            }
        }
    }
    Ok(streams)
}

// ---------------------------------------------------------------- bgp-dump side

fn dump_prefix(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("prefix").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

fn dump_fields(j: &Value) -> Fields {
    let msg_type = match j["type"].as_str() {
        Some("OPEN") => 1,
        Some("UPDATE") => 2,
        Some("NOTIFICATION") => 3,
        Some("KEEPALIVE") => 4,
        Some("ROUTE-REFRESH") => 5,
        _ => 0,
    };
    let length = j["length"].as_u64().unwrap_or(0);
    let mut f = Fields { msg_type, length, ..Fields::default() };
    if length > 4096 {
        return f;
    }
    match msg_type {
        1 => {
            f.capabilities = j["capabilities"]
                .as_array()
                .map(|a| a.iter().filter_map(|c| c["code"].as_u64()).collect())
                .unwrap_or_default();
        }
        2 => {
            let a = &j["attributes"];
            f.as_path = a["as_path"]
                .as_array()
                .map(|segs| {
                    segs.iter()
                        .flat_map(|s| s["asns"].as_array().cloned().unwrap_or_default())
                        .filter_map(|x| x.as_u64())
                        .collect()
                })
                .unwrap_or_default();
            let list = |v: &Value| -> Vec<String> {
                v.as_array()
                    .map(|x| x.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
                    .unwrap_or_default()
            };
            f.as_path_malformed =
                j["rfc7606"].as_array().is_some_and(|v| v.iter().any(|i| i["type_code"] == 2));
            f.communities = list(&a["communities"]);
            f.communities.sort();
            f.large_communities = list(&a["large_communities"]);
            let raw = a["mp_reach"].get("nlri_hex").is_some()
                || a["mp_unreach"].get("withdrawn_hex").is_some();
            if !raw {
                let mut p: Vec<String> = Vec::new();
                for v in [
                    &j["withdrawn"],
                    &j["nlri"],
                    &a["mp_reach"]["nlri"],
                    &a["mp_unreach"]["withdrawn"],
                ] {
                    p.extend(v.as_array().into_iter().flatten().filter_map(dump_prefix));
                }
                p.sort();
                f.prefixes = Some(p);
                let mut nh = list(&a["mp_reach"]["next_hops"]);
                if let Some(n) = a["next_hop"].as_str() {
                    nh.push(n.to_string());
                }
                nh.sort();
                f.next_hops = Some(nh);
            }
        }
        _ => {}
    }
    f
}

fn bgp_dump(path: &Path) -> Streams {
    let data = std::fs::read(path).unwrap_or_default();
    let c = capture::decode(&data, PORTS);
    let mut streams = Streams::new();
    for item in &c.items {
        let j = item.to_json();
        if matches!(j["type"].as_str(), Some("SKIPPED" | "HEADER" | "BMP")) {
            continue;
        }
        let key = match &item.bmp {
            Some(b) => (format!("bmp {}", b.router), b.peer.address.to_string()),
            None => (item.src.to_string(), item.dst.to_string()),
        };
        streams.entry(key).or_default().push(dump_fields(&j));
    }
    streams
}

// ---------------------------------------------------------------- comparison

fn compare(name: &str, ours: &Streams, theirs: &Streams) -> Vec<String> {
    let mut problems = Vec::new();
    let keys: std::collections::BTreeSet<_> = ours.keys().chain(theirs.keys()).collect();
    for k in keys {
        let (a, b) =
            (ours.get(k).cloned().unwrap_or_default(), theirs.get(k).cloned().unwrap_or_default());
        if a.len() != b.len() {
            problems.push(format!(
                "{name} {}->{}: bgp-dump {} messages, tshark {}",
                k.0,
                k.1,
                a.len(),
                b.len()
            ));
        }
        for (i, (x, y)) in a.iter().zip(b.iter()).enumerate() {
            let mut y = y.clone();
            if x.as_path_malformed {
                y.as_path.clone_from(&x.as_path);
                y.as_path_malformed = true;
            }
            if *x != y {
                problems.push(format!(
                    "{name} {}->{} message {i}:\n  bgp-dump {x:?}\n  tshark   {y:?}",
                    k.0, k.1
                ));
            }
        }
    }
    problems
}

#[test]
fn bgp_dump_agrees_with_tshark() {
    let version = Command::new("tshark").arg("--version").output();
    assert!(
        version.as_ref().is_ok_and(|o| o.status.success()),
        "tshark is not installed: this test compares bgp-dump with it; \
         install it with `apt-get install -y tshark`"
    );
    let mut problems = Vec::new();
    let mut compared = 0;
    let mut messages = 0;
    let (mut prefixes, mut as_paths, mut capabilities) = (0, 0, 0);
    for (name, path) in capture_files() {
        if let Some((_, why)) = NOT_COMPARED.iter().find(|(f, _)| *f == name) {
            println!("not compared {name}: {why}");
            continue;
        }
        if fuzzed(&name) {
            println!("not compared {name}: fuzzed on purpose (see vendor_vectors)");
            continue;
        }
        let theirs = match tshark(&path) {
            Ok(s) => s,
            Err(e) => panic!("{name}: {e}"),
        };
        let ours = bgp_dump(&path);
        let n: usize = ours.values().map(Vec::len).sum();
        for f in ours.values().flatten() {
            prefixes += f.prefixes.as_ref().map_or(0, Vec::len);
            as_paths += usize::from(!f.as_path.is_empty());
            capabilities += f.capabilities.len();
        }
        let p = compare(&name, &ours, &theirs);
        println!("{name}: {n} messages, {} differences", p.len());
        messages += n;
        compared += 1;
        problems.extend(p);
    }
    println!(
        "{compared} captures, {messages} messages compared: {prefixes} prefixes, \
         {as_paths} AS paths, {capabilities} capabilities"
    );
    assert!(compared > 0 && prefixes > 0 && as_paths > 0 && capabilities > 0, "nothing compared");
    assert!(problems.is_empty(), "{} differences:\n{}", problems.len(), problems.join("\n"));
}

/// The comparison reports a field that differs and a message that is missing.
#[test]
fn comparison_reports_differences() {
    let key = ("192.0.2.1:179".to_string(), "192.0.2.2:40000".to_string());
    let update = Fields { msg_type: 2, length: 40, as_path: vec![65001], ..Fields::default() };
    let ours: Streams = [(key.clone(), vec![update.clone()])].into_iter().collect();
    let mut other = update.clone();
    other.as_path = vec![65002];
    let theirs: Streams = [(key.clone(), vec![other])].into_iter().collect();
    assert_eq!(compare("x", &ours, &theirs).len(), 1);
    let longer: Streams = [(key, vec![update.clone(), update])].into_iter().collect();
    assert_eq!(compare("x", &ours, &longer).len(), 1);
    assert!(compare("x", &ours, &ours).is_empty());
}
