//! The routing table as `ospfctl show rib` shows it: destination, next hop,
//! path type (Intra-Area, Inter-Area, Type 1 ext, Type 2 ext), type (Router
//! or Network), cost and uptime, as data ([`RibEntry`]) and as text
//! ([`rib_text`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use ipnet::IpNet;
use ospf_lsdb::Instance;
use rib::{PathType, Route, RouteChange};
use serde::Serialize;
use serde_json::Value;

use crate::output::Names;

/// When each prefix of the routing table got its route, from the route
/// changes the engine reports.
#[derive(Debug, Clone, Default)]
pub struct Uptimes(BTreeMap<IpNet, Instant>);

impl Uptimes {
    /// Records a route change seen at `now`: an addition starts the clock, a
    /// replacement keeps it, a deletion stops it.
    pub fn handle(&mut self, now: Instant, change: &RouteChange) {
        let prefix = change.route().prefix;
        match change {
            RouteChange::Delete(_) => {
                self.0.remove(&prefix);
            }
            RouteChange::Add(_) | RouteChange::Replace(_) => {
                self.0.entry(prefix).or_insert(now);
            }
        }
    }

    /// How long `prefix` has had a route at `now`.
    #[must_use]
    pub fn uptime(&self, now: Instant, prefix: &IpNet) -> Option<Duration> {
        self.0.get(prefix).map(|t| now.saturating_duration_since(*t))
    }
}

/// One destination of the routing table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RibEntry {
    /// A prefix, or the router ID of an area border or AS boundary router.
    pub destination: String,
    /// `Network` or `Router`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `Intra-Area`, `Inter-Area`, `Type 1 ext` or `Type 2 ext`.
    pub path_type: String,
    /// The cost (for a type-2 external: to the forwarding address or the AS
    /// boundary router).
    pub cost: u32,
    /// The type-2 external metric.
    pub type2_cost: Option<u32>,
    /// The external route tag.
    pub tag: Option<u32>,
    /// The area of a router route.
    pub area: Option<String>,
    /// Whether a router is an area border router.
    pub abr: Option<bool>,
    /// Whether a router is an AS boundary router.
    pub asbr: Option<bool>,
    /// `{"addr": ..., "interface": ...}` for each equal-cost next hop.
    pub next_hops: Vec<Value>,
    /// Seconds since the destination got its route (networks only).
    pub uptime_s: Option<u64>,
}

/// A route to a network, of either version's engine.
#[must_use]
pub fn network_entry(r: &Route, names: &Names, uptimes: &Uptimes, now: Instant) -> RibEntry {
    RibEntry {
        destination: r.prefix.to_string(),
        kind: "Network",
        path_type: r.path_type.to_string(),
        cost: r.metric,
        type2_cost: r.type2_cost,
        tag: r.tag,
        area: None,
        abr: None,
        asbr: None,
        next_hops: r.next_hops.iter().map(|n| names.next_hop(n)).collect(),
        uptime_s: uptimes.uptime(now, &r.prefix).map(|d| d.as_secs()),
    }
}

/// The routing table: networks in prefix order, then routes to area border
/// and AS boundary routers.
#[must_use]
pub fn rib(ospf: &Instance, names: &Names, uptimes: &Uptimes, now: Instant) -> Vec<RibEntry> {
    let mut out: Vec<RibEntry> =
        ospf.routes().map(|r| network_entry(r, names, uptimes, now)).collect();
    out.extend(ospf.routing_table().router_routes().iter().map(|(rid, r)| RibEntry {
        destination: rid.to_string(),
        kind: "Router",
        path_type: r.path_type.to_string(),
        cost: r.cost,
        type2_cost: None,
        tag: None,
        area: Some(r.area.to_string()),
        abr: Some(r.abr),
        asbr: Some(r.asbr),
        next_hops: r.next_hops.iter().map(|n| names.next_hop(n)).collect(),
        uptime_s: None,
    }));
    out
}

/// An uptime as `ospfctl` prints it: `hh:mm:ss` under a day, `1d02h03m`
/// under a week, `01w2d03h` beyond.
#[must_use]
pub fn timeframe(d: Duration) -> String {
    let t = d.as_secs();
    let (sec, min, hrs) = (t % 60, (t / 60) % 60, (t / 3600) % 24);
    let days = t / 86_400;
    if t < 86_400 {
        format!("{hrs:02}:{min:02}:{sec:02}")
    } else if t < 604_800 {
        format!("{days}d{hrs:02}h{min:02}m")
    } else {
        format!("{:02}w{}d{hrs:02}h", days / 7, days % 7)
    }
}

/// The `ospfctl show rib` table, a line per next hop. The cost of a type-2
/// external is its type-2 metric, the one routers compare and install.
#[must_use]
pub fn rib_text(entries: &[RibEntry]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<20} {:<17} {:<12} {:<9} {:<7} Uptime",
        "Destination", "Nexthop", "Path Type", "Type", "Cost"
    );
    for e in entries {
        let cost = match (e.path_type == PathType::Type2External.to_string(), e.type2_cost) {
            (true, Some(c)) => c,
            _ => e.cost,
        };
        let uptime =
            e.uptime_s.map_or_else(|| "-".to_owned(), |s| timeframe(Duration::from_secs(s)));
        let hops: Vec<String> = if e.next_hops.is_empty() {
            vec!["-".to_owned()]
        } else {
            e.next_hops.iter().map(next_hop_text).collect()
        };
        for (i, hop) in hops.iter().enumerate() {
            let dest = if i == 0 { e.destination.as_str() } else { "" };
            let _ = writeln!(
                out,
                "{dest:<20} {hop:<17} {:<12} {:<9} {cost:<7} {uptime}",
                e.path_type, e.kind
            );
        }
    }
    out
}

/// `192.168.2.2`, or `eth0 (direct)` for a directly connected network.
fn next_hop_text(nh: &Value) -> String {
    match (nh["addr"].as_str(), &nh["interface"]) {
        (Some(a), _) => a.to_owned(),
        (None, Value::String(i)) => format!("{i} (direct)"),
        (None, Value::Number(i)) => format!("if{i} (direct)"),
        _ => "direct".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeframes_like_ospfctl() {
        assert_eq!(timeframe(Duration::from_secs(83)), "00:01:23");
        assert_eq!(timeframe(Duration::from_secs(86_400 + 2 * 3600 + 180)), "1d02h03m");
        assert_eq!(timeframe(Duration::from_secs(9 * 86_400 + 3 * 3600)), "01w2d03h");
    }

    #[test]
    fn rib_text_has_a_line_per_next_hop() {
        let e = RibEntry {
            destination: "172.20.2.0/24".into(),
            kind: "Network",
            path_type: "Intra-Area".into(),
            cost: 40,
            type2_cost: None,
            tag: None,
            area: None,
            abr: None,
            asbr: None,
            next_hops: vec![
                serde_json::json!({"addr": "192.168.2.2", "interface": "eth0"}),
                serde_json::json!({"addr": "192.168.2.3", "interface": "eth0"}),
            ],
            uptime_s: Some(61),
        };
        let ext = RibEntry {
            destination: "10.244.2.0/24".into(),
            path_type: "Type 2 ext".into(),
            cost: 20,
            type2_cost: Some(20),
            next_hops: vec![serde_json::json!({"addr": null, "interface": "eth0"})],
            ..e.clone()
        };
        let text = rib_text(&[e, ext]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "Destination          Nexthop           Path Type    Type      Cost    Uptime",
                "172.20.2.0/24        192.168.2.2       Intra-Area   Network   40      00:01:01",
                "                     192.168.2.3       Intra-Area   Network   40      00:01:01",
                "10.244.2.0/24        eth0 (direct)     Type 2 ext   Network   20      00:01:01",
            ]
        );
    }
}
