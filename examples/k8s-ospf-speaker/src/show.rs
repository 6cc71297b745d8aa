//! The `show` commands answered on the control socket, as text laid out
//! like FRR's (`show ip ospf neighbor`, `show ip ospf database`, `show ip
//! route`, and for OSPFv3 `show ipv6 ospf6 neighbor`, `show ipv6 ospf6
//! database`, `show ipv6 route`) and OpenBSD's `ospfctl show rib` (`show
//! rib`, and `show ipv6 rib` for OSPFv3), or as JSON with `--json`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use agent::control::Request;
use ospf_lsdb::interface::IfState;
use ospf_lsdb::lsa::{LsType, LsaBody};
use ospf_lsdb::lsdb::Lsdb;
use ospf_lsdb::version::{Header, Key, WireLsa};
use ospf_lsdb::{AreaId, OspfInstance, RouterId};
use ospf_router::show::{network_entry, rib, rib_text, timeframe, RibEntry};
use ospf_tokio::{AdapterVersion, Driver};
use rib::{IpNet, PathSource, Protocol, RouteKind};
use serde_json::{json, Value};

use crate::speaker::{NbrInfo, Speaker};

/// The commands, for `help` and unknown requests.
pub const COMMANDS: &[&str] = &[
    "show ip ospf neighbor [--json]",
    "show ip ospf database [--json]",
    "show ip route [--json]",
    "show rib [--json]",
    "show ipv6 ospf6 neighbor [--json]",
    "show ipv6 ospf6 database [--json]",
    "show ipv6 route [--json]",
    "show ipv6 rib [--json]",
    "show pods [--json]",
];

fn render(req: &Request, v: Value, text: impl FnOnce() -> String) -> String {
    if req.json {
        let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
        s.push('\n');
        s
    } else {
        text()
    }
}

impl Speaker {
    /// Answers one request.
    pub(crate) async fn show(&mut self, req: &Request) -> String {
        let words = req.args();
        match words.as_slice() {
            ["show", "ip", "ospf", "neighbor" | "neighbors" | "neighbour" | "neighbours"] => {
                let v = self.neighbor_json();
                render(req, v.clone(), || neighbor_text(&v))
            }
            ["show", "ip", "ospf", "database"] => {
                let v = self.database_json();
                render(req, v.clone(), || database_text(&v))
            }
            ["show", "ip", "route"] => {
                let v = self.route_json(false).await;
                render(req, v.clone(), || route_text(&v))
            }
            ["show", "rib"] => {
                let entries = rib(self.driver.engine(), &self.names, &self.uptimes, Instant::now());
                render(req, json!(entries), || rib_text(&entries))
            }
            ["show", "ipv6", "ospf6", "neighbor" | "neighbors" | "neighbour" | "neighbours"] => {
                let v = self.neighbor6_json();
                render(req, v.clone(), || neighbor_text(&v))
            }
            ["show", "ipv6", "ospf6", "database"] => {
                let v = self.database6_json();
                render(req, v.clone(), || database6_text(&v))
            }
            ["show", "ipv6", "route"] => {
                let v = self.route_json(true).await;
                render(req, v.clone(), || route_text(&v))
            }
            ["show", "ipv6", "rib"] => {
                let entries = self.rib6();
                render(req, json!(entries), || rib_text(&entries))
            }
            ["show", "pods"] => {
                let v = json!({
                    "node": self.cfg.node_name,
                    "source": format!("{:?}", self.cfg.pods.source),
                    "announced": self.announced.iter().map(ToString::to_string).collect::<Vec<_>>(),
                    "reject_aggregate": self.cfg.reject_aggregate.map(|a| a.to_string()),
                    "reject_aggregate6": self.cfg.reject_aggregate6.map(|a| a.to_string()),
                });
                render(req, v.clone(), || {
                    let mut out = format!(
                        "Node {} ({})\n",
                        self.cfg.node_name,
                        v["source"].as_str().unwrap_or_default()
                    );
                    for p in &self.announced {
                        let _ = writeln!(
                            out,
                            "  {p} announced as {} type-{} external, metric {}",
                            if matches!(p, IpNet::V6(_)) { "an OSPFv3" } else { "an OSPFv2" },
                            match self.cfg.pods.metric_type {
                                ospf_router::config::MetricType::Type1 => 1,
                                ospf_router::config::MetricType::Type2 => 2,
                            },
                            self.cfg.pods.metric
                        );
                    }
                    if let Some(a) = self.cfg.reject_aggregate {
                        let _ = writeln!(out, "  {a} reject");
                    }
                    if let Some(a) = self.cfg.reject_aggregate6 {
                        let _ = writeln!(out, "  {a} reject");
                    }
                    out
                })
            }
            _ => {
                let mut out = format!("unknown command {:?}; the commands are:\n", words.join(" "));
                for c in COMMANDS {
                    let _ = writeln!(out, "  {c}");
                }
                out
            }
        }
    }

    fn neighbor_json(&self) -> Value {
        let label = |ifindex| self.if_label(ifindex);
        neighbors_json(&self.driver, &self.neighbors, &label)
    }

    fn database_json(&self) -> Value {
        let ospf = self.driver.engine();
        let now = Instant::now();
        let mut areas = Vec::new();
        for a in &self.cfg.ospf.areas {
            let id = AreaId::from(a.id);
            if let Some(db) = ospf.area_lsdb(id) {
                areas.push(json!({ "area": id.to_string(), "lsas": lsas(db, now) }));
            }
        }
        json!({
            "router_id": ospf.router_id().to_string(),
            "areas": areas,
            "as_external": lsas(ospf.as_lsdb(), now),
        })
    }

    /// The OSPFv3 neighbours, in the fields of [`Self::neighbor_json`].
    fn neighbor6_json(&self) -> Value {
        let Some(d) = &self.driver6 else {
            return json!({ "router_id": self.cfg.ospf.router_id.to_string(), "neighbors": [] });
        };
        let label = |ifindex| self.if_label6(ifindex);
        neighbors_json(d, &self.neighbors6, &label)
    }

    /// The OSPFv3 databases: link scope per interface, area scope, AS scope.
    fn database6_json(&self) -> Value {
        let Some(d) = &self.driver6 else {
            return json!({ "router_id": self.cfg.ospf.router_id.to_string(), "scopes": [] });
        };
        let ospf = d.engine();
        let now = Instant::now();
        let mut scopes = Vec::new();
        for i in d.interfaces() {
            if let Some(db) = ospf.link_lsdb(i.ifindex) {
                scopes.push(
                    json!({ "scope": format!("Interface {}", i.name), "lsas": lsas6(db, now) }),
                );
            }
        }
        for a in &self.cfg.ospf.areas {
            let id = AreaId::from(a.id);
            if let Some(db) = ospf.area_lsdb(id) {
                scopes.push(json!({ "scope": format!("Area {id}"), "lsas": lsas6(db, now) }));
            }
        }
        scopes.push(json!({ "scope": "AS", "lsas": lsas6(ospf.as_lsdb(), now) }));
        json!({ "router_id": ospf.router_id().to_string(), "scopes": scopes })
    }

    /// The OSPFv3 routing table, as [`rib`] lays out OSPFv2's networks.
    fn rib6(&self) -> Vec<RibEntry> {
        let Some(d) = &self.driver6 else { return Vec::new() };
        let now = Instant::now();
        d.engine().routes().map(|r| network_entry(r, &self.names, &self.uptimes, now)).collect()
    }

    /// The node's table for one family (`v6`), as `show ip route` shows it.
    async fn route_json(&mut self, v6: bool) -> Value {
        let now = Instant::now();
        let distance = rib::Distance::default();
        let prefixes: Vec<rib::IpNet> = self
            .rib
            .fib()
            .iter()
            .map(|r| r.prefix)
            .filter(|p| matches!(p, IpNet::V6(_)) == v6)
            .collect();
        // Asked of the kernel thread once what is queued before is done.
        let in_kernel = self.fib.installed(prefixes.clone()).await.unwrap_or_default();
        let mut out = Vec::new();
        for (i, p) in prefixes.into_iter().enumerate() {
            let Some(view) = self.rib.get(now, p) else { continue };
            let chosen = view.fib.as_ref().map(|f| f.protocol);
            for path in &view.paths {
                let PathSource::Route(r) = &path.source else { continue };
                let selected = chosen == Some(r.protocol);
                let installed = selected
                    && !matches!(r.protocol, Protocol::Connected | Protocol::Kernel)
                    && in_kernel.get(i).copied().unwrap_or(false);
                out.push(json!({
                    "prefix": p.to_string(),
                    "protocol": r.protocol.to_string(),
                    "selected": selected,
                    "installed": installed,
                    "distance": distance.of(r.protocol),
                    "metric": if r.path_type == rib::PathType::Type2External { r.type2_cost.unwrap_or(r.metric) } else { r.metric },
                    "path_type": (r.path_type != rib::PathType::Other).then(|| r.path_type.to_string()),
                    "kind": r.kind.to_string(),
                    "next_hops": r.next_hops.iter().map(|n| self.names.next_hop(n)).collect::<Vec<_>>(),
                    "uptime_s": path.age.as_secs(),
                }));
            }
        }
        json!({ "routes": out, "kernel": {
            "table": self.cfg.kernel.table, "protocol": self.cfg.kernel.protocol } })
    }
}

fn lsas(db: &Lsdb, now: Instant) -> Vec<Value> {
    db.iter()
        .map(|(k, e)| {
            let h = e.lsa.header();
            let mut v = json!({
                "type": k.ls_type.0,
                "link_id": k.link_state_id.to_string(),
                "adv_router": k.advertising_router.to_string(),
                "age": e.age(now),
                "seq": format!("{:#010x}", h.ls_sequence_number.0 as u32),
                "checksum": format!("{:#06x}", h.ls_checksum),
            });
            match e.lsa.body() {
                LsaBody::Router(r) => v["links"] = json!(r.links.len()),
                LsaBody::AsExternal(x) | LsaBody::Nssa(x) => {
                    let len = u32::from(x.network_mask).leading_ones();
                    v["route"] = json!(format!("{}/{len}", k.link_state_id));
                    v["metric_type"] = json!(if x.e_bit { 2 } else { 1 });
                    v["metric"] = json!(x.metric);
                    v["forwarding_address"] = json!(x.forwarding_address.to_string());
                    v["tag"] = json!(x.external_route_tag);
                }
                _ => {}
            }
            v
        })
        .collect()
}

/// OSPFv3 LS types by their names in FRR's `show ipv6 ospf6 database`
/// (RFC 5340 A.4.2.1).
fn ls_type6(code: u16) -> String {
    match code {
        0x2001 => "Router".into(),
        0x2002 => "Network".into(),
        0x2003 => "Inter-Prefix".into(),
        0x2004 => "Inter-Router".into(),
        0x4005 => "AS-External".into(),
        0x2007 => "NSSA".into(),
        0x0008 => "Link".into(),
        0x2009 => "Intra-Prefix".into(),
        other => format!("{other:#06x}"),
    }
}

fn lsas6(db: &ospf_lsdb::lsdb::LinkStateDb<ospf_lsdb::V3>, now: Instant) -> Vec<Value> {
    db.iter()
        .map(|(k, e)| {
            let h = e.lsa.hdr();
            json!({
                "type": ls_type6(k.type_code()),
                "link_id": std::net::Ipv4Addr::from(k.link_state_id).to_string(),
                "adv_router": k.advertising_router().to_string(),
                "age": e.age(now),
                "seq": format!("{:#010x}", h.seq().0 as u32),
                "checksum": format!("{:#06x}", h.checksum()),
            })
        })
        .collect()
}

fn database6_text(v: &Value) -> String {
    let mut out = String::new();
    for sc in v["scopes"].as_array().into_iter().flatten() {
        let lsas = sc["lsas"].as_array().cloned().unwrap_or_default();
        if lsas.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n        {} Scoped Link State Database\n", s(&sc["scope"]));
        let _ =
            writeln!(out, "Type         LSId            AdvRouter        Age  SeqNum     CkSum");
        for l in lsas {
            let _ = writeln!(
                out,
                "{:<12} {:<15} {:<15} {:>4} {} {}",
                s(&l["type"]),
                s(&l["link_id"]),
                s(&l["adv_router"]),
                s(&l["age"]),
                s(&l["seq"]),
                s(&l["checksum"]),
            );
        }
    }
    out
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}

fn neighbor_text(v: &Value) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<15} {:<15} {:<9} {:<15} {:<24} Note",
        "Neighbor ID", "State", "Up Time", "Address", "Interface"
    );
    for n in v["neighbors"].as_array().into_iter().flatten() {
        let up = n["state_for_s"]
            .as_u64()
            .map_or_else(|| "-".into(), |t| timeframe(Duration::from_secs(t)));
        let note = match &n["mtu_mismatch"] {
            Value::Object(m) => format!(
                "MTU mismatch: neighbour {} > ours {}",
                s(&m["neighbor_mtu"]),
                s(&m["local_mtu"])
            ),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "{:<15} {:<15} {up:<9} {:<15} {:<24} {note}",
            s(&n["neighbor_id"]),
            format!("{}/{}", s(&n["state"]), s(&n["role"])),
            s(&n["address"]),
            s(&n["interface"]),
        );
    }
    out.lines().map(str::trim_end).collect::<Vec<_>>().join("\n") + "\n"
}

fn database_text(v: &Value) -> String {
    let mut out = format!("\n       OSPF Router with ID ({})\n", s(&v["router_id"]));
    let section = |out: &mut String, title: String, lsas: Vec<&Value>, extra: &str| {
        if lsas.is_empty() {
            return;
        }
        let _ = writeln!(out, "\n                {title}\n");
        let _ = writeln!(out, "Link ID         ADV Router      Age  Seq#       CkSum  {extra}");
        for l in lsas {
            let tail = match extra {
                "Link count" => s(&l["links"]),
                "Route" => format!(
                    "E{} {} [{:#x}]",
                    s(&l["metric_type"]),
                    s(&l["route"]),
                    l["tag"].as_u64().unwrap_or(0)
                ),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "{:<15} {:<15} {:>4} {} {} {tail}",
                s(&l["link_id"]),
                s(&l["adv_router"]),
                s(&l["age"]),
                s(&l["seq"]),
                s(&l["checksum"]),
            );
        }
    };
    for a in v["areas"].as_array().into_iter().flatten() {
        let area = s(&a["area"]);
        section(
            &mut out,
            format!("Router Link States (Area {area})"),
            of_type(&a["lsas"], LsType::ROUTER),
            "Link count",
        );
        section(
            &mut out,
            format!("Net Link States (Area {area})"),
            of_type(&a["lsas"], LsType::NETWORK),
            "",
        );
        section(
            &mut out,
            format!("Summary Link States (Area {area})"),
            of_type(&a["lsas"], LsType::SUMMARY_NETWORK),
            "",
        );
        section(
            &mut out,
            format!("ASBR-Summary Link States (Area {area})"),
            of_type(&a["lsas"], LsType::SUMMARY_ASBR),
            "",
        );
        section(
            &mut out,
            format!("NSSA-external Link States (Area {area})"),
            of_type(&a["lsas"], LsType::NSSA),
            "Route",
        );
    }
    section(
        &mut out,
        "AS External Link States".into(),
        of_type(&v["as_external"], LsType::AS_EXTERNAL),
        "Route",
    );
    out.lines().map(str::trim_end).collect::<Vec<_>>().join("\n") + "\n"
}

fn of_type(list: &Value, t: LsType) -> Vec<&Value> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter(|l| l["type"].as_u64() == Some(u64::from(t.0)))
        .collect()
}

fn route_text(v: &Value) -> String {
    let mut out = String::from(
        "Codes: K - kernel route, C - connected, S - static, O - OSPF (v2 or v3),\n       \
         > - selected route, * - installed in the kernel by us\n\n",
    );
    for r in v["routes"].as_array().into_iter().flatten() {
        let code = match r["protocol"].as_str() {
            Some("connected") => "C",
            Some("static") => "S",
            Some("kernel") => "K",
            Some("ospf" | "ospf6") => "O",
            _ => "?",
        };
        let sel = if r["selected"] == true { ">" } else { " " };
        let fib = if r["installed"] == true { "*" } else { " " };
        let up = timeframe(Duration::from_secs(r["uptime_s"].as_u64().unwrap_or(0)));
        let head = format!("{code}{sel}{fib} {}", s(&r["prefix"]));
        let dm = format!("[{}/{}]", s(&r["distance"]), s(&r["metric"]));
        if r["kind"] != RouteKind::Unicast.to_string() {
            let _ = writeln!(out, "{head} {dm} unreachable ({}), {up}", s(&r["kind"]));
            continue;
        }
        let hops = r["next_hops"].as_array().cloned().unwrap_or_default();
        for (i, nh) in hops.iter().enumerate() {
            let lead = if i == 0 { head.clone() } else { " ".repeat(head.len()) };
            let how = match nh["addr"].as_str() {
                Some(a) => format!("via {a}, {}", s(&nh["interface"])),
                None => format!("is directly connected, {}", s(&nh["interface"])),
            };
            let dm = if code == "C" { String::new() } else { format!("{dm} ") };
            let _ = writeln!(out, "{lead} {dm}{how}, {up}");
        }
    }
    out
}

/// The neighbours of an engine of either version, with their role on the link and what
/// the agent noted of them (since when in their state, an MTU mismatch).
fn neighbors_json<V: AdapterVersion>(
    driver: &Driver<OspfInstance<V>>,
    noted: &BTreeMap<(u32, RouterId), NbrInfo>,
    label: &dyn Fn(u32) -> String,
) -> Value {
    let ospf = driver.engine();
    let now = Instant::now();
    let mut list = Vec::new();
    for i in driver.interfaces() {
        let (if_state, dr, bdr) =
            ospf.interface_state(i.ifindex).unwrap_or((IfState::Down, None, None));
        for (rid, addr, state) in ospf.neighbors(i.ifindex) {
            let role = if if_state == IfState::PointToPoint {
                "-"
            } else if Some(rid) == dr {
                "DR"
            } else if Some(rid) == bdr {
                "Backup"
            } else {
                "DROther"
            };
            let info = noted.get(&(i.ifindex, rid));
            list.push(json!({
                "neighbor_id": rid.to_string(),
                "state": state.to_string(),
                "role": role,
                "address": addr.to_string(),
                "interface": label(i.ifindex),
                "state_for_s": info.map(|n| now.saturating_duration_since(n.since).as_secs()),
                "mtu_mismatch": info.and_then(|n| n.mtu_mismatch).map(|(theirs, ours)| json!({
                    "neighbor_mtu": theirs, "local_mtu": ours
                })),
            }));
        }
    }
    json!({ "router_id": ospf.router_id().to_string(), "neighbors": list })
}
