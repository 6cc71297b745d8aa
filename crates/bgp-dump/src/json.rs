//! Decoded BGP messages as JSON values.

use serde_json::{json, Map, Value};

use bgp_wire::attribute::set::{MpReachRef, MpUnreachRef};
use bgp_wire::attribute::{AsPath, Attributes, ExtendedCommunity, NextHop, Origin, SegmentType};
use bgp_wire::capability::Capability;
use bgp_wire::codes::subcode_name;
use bgp_wire::message::Message;
use bgp_wire::nlri::{Nlri, NlriIter};
use bgp_wire::notification::Notification;
use bgp_wire::open::{Open, OptionalParameter};
use bgp_wire::route_refresh::RouteRefresh;
use bgp_wire::update::Update;
use bgp_wire::{AttributeIssue, Error, Family};

/// A family as `ipv4/unicast`.
pub fn family(f: Family) -> String {
    f.to_string()
}

/// The fields of a decoded message (without time, addresses, type and length).
pub fn message(m: &Message) -> Map<String, Value> {
    match m {
        Message::Open(o) => open(o),
        Message::Update(u) => update(u),
        Message::Notification(n) => notification(n),
        Message::Keepalive => Map::new(),
        Message::RouteRefresh(r) => route_refresh(r),
    }
}

/// A decode error.
pub fn error(e: &Error) -> Value {
    json!({
        "code": e.code.0,
        "subcode": e.subcode,
        "code_name": e.code.name(),
        "subcode_name": subcode_name(e.code, e.subcode),
        "reason": e.reason.to_string(),
        "offset": e.offset,
        "data": hex::encode(&e.data),
    })
}

fn open(o: &Open) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("version".into(), json!(4));
    m.insert("my_as".into(), json!(o.my_as));
    m.insert("as".into(), json!(o.asn().0));
    m.insert("hold_time".into(), json!(o.hold_time));
    m.insert("bgp_id".into(), json!(o.bgp_id.to_string()));
    let mut caps = Vec::new();
    let mut other = Vec::new();
    for p in &o.params {
        match p {
            OptionalParameter::Capabilities(cs) => caps.extend(cs.iter().map(capability)),
            OptionalParameter::Other { param_type, value } => {
                other.push(json!({"type": param_type, "value": hex::encode(value)}))
            }
        }
    }
    m.insert("capabilities".into(), Value::Array(caps));
    if !other.is_empty() {
        m.insert("other_parameters".into(), Value::Array(other));
    }
    m
}

fn capability(c: &Capability) -> Value {
    let code = c.code();
    let value = match c {
        Capability::Multiprotocol(f) => json!(family(*f)),
        Capability::ExtendedNextHop(v) => json!(v
            .iter()
            .map(|e| json!({"family": family(e.family), "next_hop_afi": e.next_hop_afi.0}))
            .collect::<Vec<_>>()),
        Capability::Role(r) => json!(r.name()),
        Capability::GracefulRestart(g) => json!({
            "restart_flags": g.restart_flags,
            "restart_time": g.restart_time,
            "families": g.families.iter()
                .map(|f| json!({"family": family(f.family), "flags": f.flags}))
                .collect::<Vec<_>>(),
        }),
        Capability::FourOctetAs(a) => json!(a.0),
        Capability::AddPath(v) => json!(v
            .iter()
            .map(|a| json!({"family": family(a.family), "send_receive": a.direction.0}))
            .collect::<Vec<_>>()),
        Capability::LongLivedGracefulRestart(v) => json!(v
            .iter()
            .map(|f| json!({"family": family(f.family), "flags": f.flags,
                            "stale_time": f.stale_time}))
            .collect::<Vec<_>>()),
        Capability::Fqdn(f) => json!({
            "hostname": String::from_utf8_lossy(&f.hostname),
            "domain": String::from_utf8_lossy(&f.domain),
        }),
        Capability::Unknown { value, .. } => json!(hex::encode(value)),
        Capability::Malformed { value, reason, .. } => {
            json!({"malformed": reason.to_string(), "hex": hex::encode(value)})
        }
        _ => Value::Null,
    };
    let mut m = Map::new();
    m.insert("code".into(), json!(code.0));
    m.insert("name".into(), json!(code.name()));
    if !value.is_null() {
        m.insert("value".into(), value);
    }
    Value::Object(m)
}

/// A prefix as a string, or `{prefix, path_id}` with ADD-PATH.
fn nlri(n: &Nlri) -> Value {
    match n.path_id {
        Some(id) => json!({"prefix": n.prefix.to_string(), "path_id": id}),
        None => json!(n.prefix.to_string()),
    }
}

fn nlri_list(it: NlriIter<'_>) -> Value {
    Value::Array(it.map(|n| nlri(&n)).collect())
}

fn update(u: &Update) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("withdrawn".into(), nlri_list(u.withdrawn()));
    m.insert("attributes".into(), Value::Object(attributes(u.attributes())));
    m.insert("nlri".into(), nlri_list(u.nlri()));
    if !u.issues().is_empty() {
        m.insert("rfc7606".into(), issues(u.issues()));
    }
    if let Some(f) = u.end_of_rib() {
        m.insert("end_of_rib".into(), json!(family(f)));
    }
    m
}

/// RFC 7606 issues found in an UPDATE or a RIB entry's attributes.
pub fn issues(v: &[AttributeIssue]) -> Value {
    Value::Array(
        v.iter()
            .map(|i| {
                json!({
                    "type_code": i.type_code,
                    "action": format!("{:?}", i.action),
                    "error": error(&i.error),
                })
            })
            .collect(),
    )
}

fn segment_type(t: SegmentType) -> String {
    match t {
        SegmentType::AS_SET => "AS_SET".into(),
        SegmentType::AS_SEQUENCE => "AS_SEQUENCE".into(),
        SegmentType::AS_CONFED_SEQUENCE => "AS_CONFED_SEQUENCE".into(),
        SegmentType::AS_CONFED_SET => "AS_CONFED_SET".into(),
        SegmentType(n) => format!("{n}"),
    }
}

fn as_path(p: &AsPath) -> Value {
    Value::Array(
        p.segments
            .iter()
            .map(|s| {
                json!({"type": segment_type(s.kind),
                       "asns": s.asns.iter().map(|a| a.0).collect::<Vec<_>>()})
            })
            .collect(),
    )
}

fn next_hop(n: &NextHop) -> Vec<String> {
    match n {
        NextHop::Ipv4(a) => vec![a.to_string()],
        NextHop::Ipv6(a) => vec![a.to_string()],
        NextHop::Ipv6LinkLocal { global, link_local } => {
            vec![global.to_string(), link_local.to_string()]
        }
        NextHop::Other(b) => vec![hex::encode(b)],
    }
}

fn mp_reach(r: &MpReachRef<'_>) -> Value {
    let mut m = Map::new();
    m.insert("afi".into(), json!(r.family.afi.0));
    m.insert("safi".into(), json!(r.family.safi.0));
    m.insert("next_hops".into(), json!(next_hop(&r.next_hop())));
    if bgp_wire::nlri::PrefixAfi::of(r.family).is_some() {
        m.insert("nlri".into(), nlri_list(r.routes()));
    } else {
        m.insert("nlri_hex".into(), json!(hex::encode(r.nlri)));
    }
    Value::Object(m)
}

fn mp_unreach(r: &MpUnreachRef<'_>) -> Value {
    let mut m = Map::new();
    m.insert("afi".into(), json!(r.family.afi.0));
    m.insert("safi".into(), json!(r.family.safi.0));
    if bgp_wire::nlri::PrefixAfi::of(r.family).is_some() {
        m.insert("withdrawn".into(), nlri_list(r.routes()));
    } else {
        m.insert("withdrawn_hex".into(), json!(hex::encode(r.nlri)));
    }
    Value::Object(m)
}

fn ext_community(c: &ExtendedCommunity) -> Value {
    json!({"hex": hex::encode(c.0), "text": c.to_string()})
}

/// Path attributes, one key per attribute.
pub fn attributes(a: &Attributes) -> Map<String, Value> {
    let mut m = Map::new();
    if let Some(o) = a.origin() {
        let s = match o {
            Origin::Igp => "IGP",
            Origin::Egp => "EGP",
            Origin::Incomplete => "INCOMPLETE",
        };
        m.insert("origin".into(), json!(s));
    }
    if let Some(p) = a.as_path() {
        m.insert("as_path".into(), as_path(&p));
    }
    if let Some(n) = a.next_hop() {
        m.insert("next_hop".into(), json!(n.to_string()));
    }
    if let Some(v) = a.multi_exit_disc() {
        m.insert("med".into(), json!(v));
    }
    if let Some(v) = a.local_pref() {
        m.insert("local_pref".into(), json!(v));
    }
    if a.atomic_aggregate() {
        m.insert("atomic_aggregate".into(), json!(true));
    }
    if let Some(g) = a.aggregator() {
        m.insert("aggregator".into(), json!({"as": g.asn.0, "address": g.address.to_string()}));
    }
    let comms: Vec<Value> =
        a.communities().map(|c| json!(format!("{}:{}", c.0 >> 16, c.0 & 0xffff))).collect();
    if !comms.is_empty() {
        m.insert("communities".into(), Value::Array(comms));
    }
    if let Some(o) = a.originator_id() {
        m.insert("originator_id".into(), json!(o.to_string()));
    }
    let cl: Vec<Value> = a.cluster_list().map(|c| json!(c.to_string())).collect();
    if !cl.is_empty() {
        m.insert("cluster_list".into(), Value::Array(cl));
    }
    if let Some(r) = a.mp_reach() {
        m.insert("mp_reach".into(), mp_reach(&r));
    }
    if let Some(r) = a.mp_unreach() {
        m.insert("mp_unreach".into(), mp_unreach(&r));
    }
    let ext: Vec<Value> = a.extended_communities().map(|c| ext_community(&c)).collect();
    if !ext.is_empty() {
        m.insert("ext_communities".into(), Value::Array(ext));
    }
    if let Some(p) = a.as4_path() {
        m.insert("as4_path".into(), as_path(&p));
    }
    if let Some(g) = a.as4_aggregator() {
        m.insert("as4_aggregator".into(), json!({"as": g.asn.0, "address": g.address.to_string()}));
    }
    let large: Vec<Value> = a.large_communities().map(|c| json!(c.to_string())).collect();
    if !large.is_empty() {
        m.insert("large_communities".into(), Value::Array(large));
    }
    if let Some(o) = a.otc() {
        m.insert("otc".into(), json!(o.0));
    }
    let unknown: Vec<Value> = a
        .iter()
        .filter(|r| !r.type_code.is_known())
        .map(|r| json!({"type": r.type_code.0, "flags": r.flags.0, "hex": hex::encode(r.value)}))
        .collect();
    if !unknown.is_empty() {
        m.insert("unknown".into(), Value::Array(unknown));
    }
    m
}

fn notification(n: &Notification) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("code".into(), json!(n.code.0));
    m.insert("subcode".into(), json!(n.subcode));
    m.insert("code_name".into(), json!(n.code.name()));
    m.insert("subcode_name".into(), json!(subcode_name(n.code, n.subcode)));
    m.insert("data".into(), json!(hex::encode(&n.data)));
    match n.shutdown_communication() {
        Some(Ok(s)) => {
            m.insert("shutdown_message".into(), json!(s));
        }
        Some(Err(e)) => {
            m.insert("shutdown_message_error".into(), json!(e.to_string()));
        }
        None => {}
    }
    m
}

fn route_refresh(r: &RouteRefresh) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("afi".into(), json!(r.family.afi.0));
    m.insert("safi".into(), json!(r.family.safi.0));
    m.insert("subtype".into(), json!(r.subtype.0));
    m.insert("subtype_name".into(), json!(r.subtype.name()));
    if !r.orf.is_empty() {
        m.insert("orf".into(), json!(hex::encode(&r.orf)));
    }
    m
}
