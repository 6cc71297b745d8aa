//! Answers to `show` commands, from the speaker's `show` model: text as vtysh lays it out,
//! or JSON with `--json`.

use std::fmt::Write as _;
use std::time::Instant;

use agent::control::Request;
use bgp_speaker::Speaker;
use ipnet::IpNet;
use rib::FibRoute;
use serde_json::json;

/// The commands, for `show` without a known one.
pub const HELP: &str = "commands:
  show bgp summary
  show bgp neighbors [NEIGHBOR [advertised-routes|received-routes]]
  show bgp ipv4|ipv6 unicast [PREFIX]
  show ip route | show ipv6 route
(each with --json)
";

/// Answers one request on the speaker.
pub fn answer(s: &mut Speaker, now: Instant, r: &Request) -> String {
    let args = r.args();
    match args.as_slice() {
        ["show", "bgp", "summary"] | ["show", "ip", "bgp", "summary"] => {
            let sum = s.summary(now);
            if r.json {
                to_json(&sum)
            } else {
                sum.to_string()
            }
        }
        ["show", "bgp", afi, "unicast"] | ["show", "bgp", afi] if is_afi(afi) => {
            let routes = s.routes(now, *afi == "ipv6");
            if r.json {
                to_json(&routes)
            } else {
                bgp_speaker::show::table(&routes)
            }
        }
        ["show", "bgp", afi, "unicast", prefix] | ["show", "bgp", afi, prefix] if is_afi(afi) => {
            let Ok(p) = prefix.parse::<IpNet>() else {
                return format!("% \"{prefix}\" is not a prefix\n");
            };
            match s.route_detail(now, p) {
                Some(d) if r.json => to_json(&d),
                Some(d) => d.to_string(),
                None => format!("% Network not in table: {p}\n"),
            }
        }
        ["show", "bgp", "neighbors"] => neighbors(s, now, None, r.json),
        ["show", "bgp", "neighbors", who] => neighbors(s, now, Some(who), r.json),
        ["show", "bgp", "neighbors", who, what] => {
            let Some(id) = find(s, now, who) else {
                return format!("% No such neighbor: {who}\n");
            };
            match *what {
                "advertised-routes" => {
                    let a = s.advertised(id);
                    if r.json {
                        return to_json(&a);
                    }
                    let mut out = format!("{:<20} {:<40} Path\n", "Network", "Next Hop");
                    for x in a {
                        let _ = writeln!(out, "{:<20} {:<40} {}", x.prefix, x.next_hop, x.as_path);
                    }
                    out
                }
                "received-routes" => match s.received_routes(id) {
                    None => "% soft-reconfiguration inbound is not configured\n".into(),
                    Some(v) if r.json => to_json(&v),
                    Some(v) => {
                        let mut out = format!("{:<20} {:<40} Path\n", "Network", "Next Hop");
                        for x in v {
                            let _ =
                                writeln!(out, "{:<20} {:<40} {}", x.prefix, x.next_hop, x.as_path);
                        }
                        out
                    }
                },
                _ => HELP.into(),
            }
        }
        ["show", "ip", "route"] => routes(s, false, r.json),
        ["show", "ipv6", "route"] => routes(s, true, r.json),
        _ => HELP.into(),
    }
}

fn is_afi(a: &str) -> bool {
    a == "ipv4" || a == "ipv6"
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    let mut s =
        serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}

/// A neighbour by its address or interface, as the summary names it.
fn find(s: &Speaker, now: Instant, who: &str) -> Option<bgp_speaker::NeighborId> {
    s.summary(now).neighbors.into_iter().find(|n| n.neighbor == who).map(|n| n.id)
}

fn neighbors(s: &Speaker, now: Instant, who: Option<&str>, json: bool) -> String {
    let all = s.summary(now).neighbors;
    let list: Vec<_> = all.into_iter().filter(|n| who.is_none_or(|w| n.neighbor == w)).collect();
    if list.is_empty() {
        return format!("% No such neighbor: {}\n", who.unwrap_or(""));
    }
    if json {
        return to_json(&list);
    }
    let mut out = String::new();
    for n in list {
        let asn = n.remote_as.map_or_else(|| "unknown".into(), |a| a.to_string());
        let _ = writeln!(out, "BGP neighbor is {}, remote AS {asn}", n.neighbor);
        let up = n.up_secs.map_or_else(|| "never".into(), |u| format!("{u} s"));
        let _ = writeln!(out, "  BGP state = {}, up for {up}", n.state);
        let _ = writeln!(
            out,
            "  Prefixes received {} (IPv4) {} (IPv6), advertised {}",
            n.received.0, n.received.1, n.advertised
        );
        let _ = writeln!(out, "  UPDATE messages received {}", n.updates_received);
        if n.stale || n.long_lived_stale {
            let _ = writeln!(out, "  Restarting: its routes are kept as stale");
        }
        if n.dynamic {
            let _ = writeln!(out, "  Dynamic neighbor (listen range)");
        }
        out.push('\n');
    }
    out
}

/// `show ip route`: the forwarding table the routing table chose, every protocol.
fn routes(s: &mut Speaker, ipv6: bool, json: bool) -> String {
    let fib: Vec<FibRoute> =
        s.fib().into_iter().filter(|r| matches!(r.prefix, IpNet::V6(_)) == ipv6).collect();
    if json {
        let v: Vec<_> = fib
            .iter()
            .map(|r| {
                json!({
                    "prefix": r.prefix.to_string(),
                    "protocol": r.protocol.to_string(),
                    "kind": r.kind.to_string(),
                    "nexthops": r.next_hops.iter().map(|h| json!({
                        "ip": h.addr.map(|a| a.to_string()),
                        "ifindex": h.ifindex,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        return to_json(&v);
    }
    let mut out = String::from("Codes: K - kernel, C - connected, S - static, B - BGP, O - OSPF\n");
    for r in fib {
        let code = r.protocol.to_string().chars().next().unwrap_or('?').to_ascii_uppercase();
        if r.next_hops.is_empty() {
            let _ = writeln!(out, "{code}>* {} {}", r.prefix, r.kind);
        }
        for (i, h) in r.next_hops.iter().enumerate() {
            let via = h.addr.map_or_else(|| "directly connected".into(), |a| format!("via {a}"));
            let dev = h.ifindex.map_or_else(String::new, |i| format!(", ifindex {i}"));
            let head = if i == 0 {
                format!("{code}>* {:<20}", r.prefix.to_string())
            } else {
                format!("  * {:<20}", "")
            };
            let _ = writeln!(out, "{head} {via}{dev}");
        }
    }
    out
}
