//! The `show` model as text, laid out as FRR's vtysh prints it, for programs with a
//! console (`--json` output serialises the model itself).

use std::fmt::{self, Write as _};

use super::{RouteDetail, Summary};

/// `hh:mm:ss`, or `NdHHhMMm` past a day, as FRR writes Up/Down.
fn up_down(secs: Option<u64>) -> String {
    match secs {
        None => "never".into(),
        Some(s) if s >= 86_400 => {
            format!("{}d{:02}h{:02}m", s / 86_400, s % 86_400 / 3600, s % 3600 / 60)
        }
        Some(s) => format!("{:02}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60),
    }
}

impl fmt::Display for Summary {
    /// `show bgp summary`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "BGP router identifier {}, local AS number {}", self.router_id, self.local_as)?;
        writeln!(
            f,
            "RIB entries {} (IPv4) and {} (IPv6), {} attribute sets, {} KiB",
            self.prefixes.0,
            self.prefixes.1,
            self.attribute_sets,
            self.table_bytes / 1024
        )?;
        writeln!(f, "Update groups {}, peers {}", self.update_groups, self.neighbors.len())?;
        writeln!(f)?;
        writeln!(
            f,
            "{:<26} {:>10} {:>9}  {:<13} {:>6}",
            "Neighbor", "AS", "Up/Down", "State/PfxRcd", "PfxSnt"
        )?;
        for n in &self.neighbors {
            let state = if n.state == "Established" {
                (n.received.0 + n.received.1).to_string()
            } else {
                n.state.clone()
            };
            let mut name = n.neighbor.clone();
            if n.dynamic {
                name.insert(0, '*');
            }
            let asn = n.remote_as.map_or_else(|| "-".into(), |a| a.to_string());
            writeln!(
                f,
                "{name:<26} {asn:>10} {:>9}  {state:<13} {:>6}",
                up_down(n.up_secs),
                n.advertised
            )?;
        }
        if self.neighbors.iter().any(|n| n.dynamic) {
            writeln!(f, "* - dynamic neighbor")?;
        }
        Ok(())
    }
}

/// The status codes of a path: `*>` best, `*=` multipath, `* ` valid, `  ` unreachable;
/// `S` stale.
fn codes(p: &super::PathDetail) -> String {
    let mut c = String::new();
    c.push(if p.stale || p.llgr_stale { 'S' } else { ' ' });
    c.push(if p.reachable { '*' } else { ' ' });
    c.push(if p.best {
        '>'
    } else if p.multipath {
        '='
    } else {
        ' '
    });
    c
}

/// `show bgp ipv4 unicast`: one line per path, as FRR lays the table out.
pub fn table(routes: &[RouteDetail]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Status codes: S stale, * valid, > best, = multipath");
    let _ = writeln!(
        s,
        "    {:<20} {:<28} {:>7} {:>7} {:>6} Path",
        "Network", "Next Hop", "Metric", "LocPrf", "Weight"
    );
    for r in routes {
        for (i, p) in r.paths.iter().filter(|p| p.bgp).enumerate() {
            let network = if i == 0 { r.prefix.as_str() } else { "" };
            let nh = p.next_hop.clone().unwrap_or_else(|| "0.0.0.0".into());
            let med = p.med.map_or_else(String::new, |m| m.to_string());
            let lp = p.local_pref.map_or_else(String::new, |m| m.to_string());
            let path = if p.as_path.is_empty() { String::new() } else { format!("{} ", p.as_path) };
            let origin = match p.origin.as_str() {
                "igp" => 'i',
                "egp" => 'e',
                _ => '?',
            };
            let _ = writeln!(
                s,
                "{} {network:<20} {nh:<28} {med:>7} {lp:>7} {:>6} {path}{origin}",
                codes(p),
                p.weight
            );
        }
    }
    s
}

impl fmt::Display for RouteDetail {
    /// `show bgp PREFIX`: every path, best first, and why each other one lost.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "BGP routing table entry for {}", self.prefix)?;
        let best = self
            .paths
            .iter()
            .position(|p| p.best)
            .map_or_else(|| "no best".into(), |i| format!("best #{}", i + 1));
        writeln!(f, "Paths: ({} available, {best})", self.paths.len())?;
        for (i, p) in self.paths.iter().enumerate() {
            let path = if p.as_path.is_empty() { "Local" } else { p.as_path.as_str() };
            writeln!(f, "  #{} {path}", i + 1)?;
            let nh = p.next_hop.as_deref().unwrap_or("0.0.0.0");
            let reach =
                if p.reachable { format!("metric {}", p.igp_cost) } else { "inaccessible".into() };
            writeln!(f, "    {nh} ({reach}) from {}", p.from)?;
            let mut line = format!("      Origin {}", p.origin.to_uppercase());
            if let Some(m) = p.med {
                let _ = write!(line, ", metric {m}");
            }
            if let Some(lp) = p.local_pref {
                let _ = write!(line, ", localpref {lp}");
            }
            let _ = write!(line, ", weight {}", p.weight);
            if p.best {
                line.push_str(", best");
            }
            if p.multipath {
                line.push_str(", multipath");
            }
            if p.stale {
                line.push_str(", stale");
            }
            if p.llgr_stale {
                line.push_str(", long-lived stale");
            }
            writeln!(f, "{line}")?;
            if !p.communities.is_empty() {
                writeln!(f, "      Community: {}", p.communities.join(" "))?;
            }
            if let Some(rule) = &p.lost_on {
                let to = p.lost_to.map_or_else(String::new, |t| format!(" to #{}", t + 1));
                writeln!(f, "      Not best: lost{to} on {rule}")?;
            }
            writeln!(f, "      Last update: {}s ago", p.age_secs)?;
        }
        if let Some(fib) = &self.fib {
            writeln!(f, "  FIB: {fib}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::show::{NeighborSummary, PathDetail};
    use crate::NeighborId;

    fn path(best: bool, multipath: bool) -> PathDetail {
        PathDetail {
            from: "eth1".into(),
            neighbor: Some(NeighborId(0)),
            bgp: true,
            best,
            multipath,
            lost_on: (!best).then(|| "Router ID".into()),
            lost_to: (!best).then_some(0),
            as_path: "65000 4200000003".into(),
            next_hop: Some("fe80::1".into()),
            reachable: true,
            igp_cost: 0,
            origin: "igp".into(),
            local_pref: None,
            med: Some(0),
            weight: 0,
            communities: vec!["65000:1".into()],
            stale: false,
            llgr_stale: false,
            age_secs: 9,
        }
    }

    #[test]
    fn summary_and_routes_as_text() {
        let s = Summary {
            router_id: "10.0.0.1".parse().unwrap(),
            local_as: 65000,
            prefixes: (6, 0),
            attribute_sets: 3,
            table_bytes: 4096,
            update_groups: 1,
            neighbors: vec![NeighborSummary {
                id: NeighborId(0),
                neighbor: "eth1".into(),
                remote_as: Some(4200000001),
                state: "Established".into(),
                up_secs: Some(3725),
                received: (2, 0),
                advertised: 4,
                updates_received: 3,
                group: Some(0),
                stale: false,
                long_lived_stale: false,
                dynamic: false,
            }],
            listen_ranges: Vec::new(),
        };
        let text = s.to_string();
        assert!(text.starts_with("BGP router identifier 10.0.0.1, local AS number 65000\n"));
        let line = text.lines().find(|l| l.starts_with("eth1")).unwrap();
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cols, ["eth1", "4200000001", "01:02:05", "2", "4"]);

        let r = RouteDetail {
            prefix: "10.233.67.0/24".into(),
            paths: vec![path(true, true), path(false, true)],
            fib: Some("bgp unicast via fe80::1, fe80::2".into()),
        };
        let t = table(std::slice::from_ref(&r));
        let rows: Vec<&str> = t.lines().skip(2).collect();
        assert!(rows[0].starts_with(" *> 10.233.67.0/24"), "{t}");
        assert!(rows[1].starts_with(" *=  "), "{t}");
        assert!(rows[1].ends_with("65000 4200000003 i"), "{t}");
        let d = r.to_string();
        assert!(d.contains("Paths: (2 available, best #1)"), "{d}");
        assert!(d.contains("Not best: lost to #1 on Router ID"), "{d}");
        assert!(d.contains("FIB: bgp unicast via fe80::1, fe80::2"), "{d}");
    }
}
