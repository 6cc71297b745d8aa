//! JSON lines on stdout: one object per neighbour, interface or route
//! change, and the final table for `--show-rib`.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ospf_lsdb::event::PacketProblem;
use ospf_lsdb::interface::InterfaceCounters;
use ospf_lsdb::Event;
use rib::{NextHop, Route, RouteChange};
use serde_json::{json, Value};

/// Interface names by index, for readable next hops.
#[derive(Debug, Clone, Default)]
pub struct Names(pub BTreeMap<u32, String>);

impl Names {
    fn of(&self, ifindex: u32) -> Value {
        self.0.get(&ifindex).map_or(Value::from(ifindex), |n| Value::from(n.as_str()))
    }

    /// A next hop as `{"addr": "10.0.0.2", "interface": "eth0"}`; `addr` is
    /// null for a directly connected network.
    #[must_use]
    pub fn next_hop(&self, nh: &NextHop) -> Value {
        json!({
            "addr": nh.addr.map(|a: IpAddr| a.to_string()),
            "interface": nh.ifindex.map(|i| self.of(i)),
        })
    }

    /// The fields of a route.
    #[must_use]
    pub fn route(&self, r: &Route) -> Value {
        json!({
            "prefix": r.prefix.to_string(),
            "path_type": r.path_type.to_string(),
            "cost": r.metric,
            "type2_cost": r.type2_cost,
            "tag": r.tag,
            "next_hops": r.next_hops.iter().map(|n| self.next_hop(n)).collect::<Vec<_>>(),
        })
    }

    /// What an interface dropped or refused, by reason, as
    /// `{"event": "counters", "interface": "eth0", "src_off_subnet": 3, ...}`.
    #[must_use]
    pub fn counters(&self, ifindex: u32, c: &InterfaceCounters) -> Value {
        let mut m = serde_json::Map::new();
        m.insert("event".into(), "counters".into());
        m.insert("interface".into(), self.of(ifindex));
        for (name, n) in c.iter() {
            m.insert(name.into(), n.into());
        }
        Value::Object(m)
    }

    /// One event of either version (`A` is its address family) as a JSON
    /// object.
    #[must_use]
    pub fn event<A: std::fmt::Display + std::fmt::Debug>(&self, ev: &Event<A>) -> Value {
        match ev {
            Event::NeighborState { ifindex, router_id, addr, old, new, reason } => json!({
                "event": "neighbor",
                "interface": self.of(*ifindex),
                "router_id": router_id.to_string(),
                "addr": addr.to_string(),
                "old": old.to_string(),
                "new": new.to_string(),
                "reason": reason,
            }),
            Event::InterfaceState { ifindex, old, new, dr, bdr } => json!({
                "event": "interface",
                "interface": self.of(*ifindex),
                "old": old.to_string(),
                "new": new.to_string(),
                "dr": dr.map(|r| r.to_string()),
                "bdr": bdr.map(|r| r.to_string()),
            }),
            Event::Route(change) => {
                let (kind, r) = match change {
                    RouteChange::Add(r) => ("add", r),
                    RouteChange::Replace(r) => ("replace", r),
                    RouteChange::Delete(r) => ("delete", r),
                };
                let mut v = self.route(r);
                if let Value::Object(m) = &mut v {
                    m.insert("event".into(), "route".into());
                    m.insert("change".into(), kind.into());
                }
                v
            }
            Event::MtuMismatch { ifindex, router_id, neighbor_mtu, local_mtu } => json!({
                "event": "mtu-mismatch",
                "interface": self.of(*ifindex),
                "router_id": router_id.to_string(),
                "neighbor_mtu": neighbor_mtu,
                "local_mtu": local_mtu,
                "message": format!(
                    "neighbour {router_id} MTU {neighbor_mtu} is larger than our MTU {local_mtu}"
                ),
            }),
            Event::AuthFailure { ifindex, src, reason } => json!({
                "event": "auth-failure",
                "interface": self.of(*ifindex),
                "src": src.to_string(),
                "reason": reason,
            }),
            Event::HelloMismatch { ifindex, src, detail } => json!({
                "event": "hello-mismatch",
                "interface": self.of(*ifindex),
                "src": src.to_string(),
                "detail": detail,
            }),
            Event::BadPacket { ifindex, src, error } => json!({
                "event": "bad-packet",
                "interface": self.of(*ifindex),
                "src": src.to_string(),
                "error": problem(error),
            }),
            Event::DatabaseFull { limit } => json!({
                "event": "database-full",
                "limit": limit,
            }),
            other => json!({ "event": "other", "debug": format!("{other:?}") }),
        }
    }
}

fn problem(p: &PacketProblem) -> String {
    match p {
        PacketProblem::Malformed(e) => format!("malformed: {e:?}"),
        PacketProblem::WrongArea(a) => format!("wrong area {}", std::net::Ipv4Addr::from(*a)),
        PacketProblem::Replay => "cryptographic sequence number went backwards".into(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ospf_lsdb::neighbor::NbrState;
    use ospf_lsdb::RouterId;
    use rib::{PathType, Protocol};
    use std::net::Ipv4Addr;

    fn names() -> Names {
        Names([(2, "eth0".to_owned())].into_iter().collect())
    }

    #[test]
    fn counters_line_names_every_reason() {
        let v = names().counters(2, &InterfaceCounters::default());
        assert_eq!(v["event"], "counters");
        assert_eq!(v["interface"], "eth0");
        assert_eq!(v["src_off_subnet"], 0);
        assert_eq!(v["bad_ttl"], 0);
    }

    #[test]
    fn route_change_line() {
        let r = Route {
            prefix: "10.244.1.0/24".parse().unwrap(),
            protocol: Protocol::Ospfv2,
            path_type: PathType::Type2External,
            metric: 20,
            type2_cost: Some(20),
            next_hops: vec![NextHop::via(IpAddr::V4(Ipv4Addr::new(192, 168, 2, 65)), 2)],
            tag: Some(0),
            kind: rib::RouteKind::Unicast,
        };
        let v = names().event(&Event::<Ipv4Addr>::Route(RouteChange::Add(r)));
        assert_eq!(
            v,
            json!({"event": "route", "change": "add", "prefix": "10.244.1.0/24",
                "path_type": "Type 2 ext", "cost": 20, "type2_cost": 20, "tag": 0,
                "next_hops": [{"addr": "192.168.2.65", "interface": "eth0"}]})
        );
    }

    #[test]
    fn neighbour_and_mtu_lines() {
        let v = names().event(&Event::NeighborState {
            ifindex: 2,
            router_id: RouterId(0x0a00_0002),
            addr: Ipv4Addr::new(10, 0, 0, 2),
            old: NbrState::Loading,
            new: NbrState::Full,
            reason: "LoadingDone",
        });
        assert_eq!(v["new"], "Full");
        assert_eq!(v["interface"], "eth0");
        assert_eq!(v["router_id"], "10.0.0.2");
        let v = names().event(&Event::<Ipv4Addr>::MtuMismatch {
            ifindex: 9,
            router_id: RouterId(1),
            neighbor_mtu: 1500,
            local_mtu: 1400,
        });
        assert_eq!((v["neighbor_mtu"].as_u64(), v["local_mtu"].as_u64()), (Some(1500), Some(1400)));
        assert_eq!(v["interface"], 9);
    }
}
