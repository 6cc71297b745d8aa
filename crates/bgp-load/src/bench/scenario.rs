//! The scenarios: who sends what to the device under test, and who receives.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use crate::table::TableFamily;

/// AS of the device under test.
pub const DUT_AS: u32 = 65000;
/// BGP Identifier of the device under test.
pub const DUT_ID: Ipv4Addr = Ipv4Addr::new(10, 255, 0, 1);
/// AS of every generator peer: one neighbouring AS, so that equal paths are multipath
/// candidates without relaxing the AS path rule.
pub const GENERATOR_AS: u32 = 65001;
/// AS of the first sink; sink `j` is in `SINK_AS + j`.
pub const SINK_AS: u32 = 65100;

/// What happens after the table is loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Nothing: the load is the measurement.
    Load,
    /// The day of churn replayed at a fixed rate, latency per update to the sink.
    Churn,
    /// Every route withdrawn, then the table sent again.
    WithdrawRelearn,
}

/// A scenario, by its command-line name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// `ipv4`: one peer sends the full IPv4 table.
    Ipv4,
    /// `ipv6`: one peer sends the full IPv6 table.
    Ipv6,
    /// `multipath-4`: four peers send the full IPv4 table, `maximum-paths 4`.
    Multipath4,
    /// `peers-10`: ten peers send the full IPv4 table.
    Peers10,
    /// `churn`: the IPv4 table, then the day of churn.
    Churn,
    /// `peers-100x1000`: 100 peers, 1,000 routes each.
    Peers100x1000,
    /// `peers-1000x10`: 1,000 peers, 10 routes each.
    Peers1000x10,
    /// `relearn`: the IPv4 table, withdrawn, then learned again.
    Relearn,
    /// `receivers-10`: the IPv4 table to ten eBGP receivers.
    Receivers10,
}

/// The numbers behind a scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// The family of every session and route.
    pub family: TableFamily,
    /// Generator peers.
    pub peers: usize,
    /// Routes per peer: `None` is the whole table to every peer; `Some(m)` gives peer `i`
    /// the prefixes `i*m .. (i+1)*m` of the table.
    pub routes_per_peer: Option<usize>,
    /// Sink peers.
    pub sinks: usize,
    /// `maximum-paths` of the device under test.
    pub maximum_paths: u16,
    /// What follows the load.
    pub phase: Phase,
}

impl Scenario {
    /// Every scenario, in the order the full benchmark runs them.
    pub const ALL: [Scenario; 9] = [
        Scenario::Ipv4,
        Scenario::Ipv6,
        Scenario::Multipath4,
        Scenario::Peers10,
        Scenario::Churn,
        Scenario::Peers100x1000,
        Scenario::Peers1000x10,
        Scenario::Relearn,
        Scenario::Receivers10,
    ];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Ipv4 => "ipv4",
            Scenario::Ipv6 => "ipv6",
            Scenario::Multipath4 => "multipath-4",
            Scenario::Peers10 => "peers-10",
            Scenario::Churn => "churn",
            Scenario::Peers100x1000 => "peers-100x1000",
            Scenario::Peers1000x10 => "peers-1000x10",
            Scenario::Relearn => "relearn",
            Scenario::Receivers10 => "receivers-10",
        }
    }

    /// The numbers.
    pub fn shape(self) -> Shape {
        let base = Shape {
            family: TableFamily::Ipv4,
            peers: 1,
            routes_per_peer: None,
            sinks: 1,
            maximum_paths: 1,
            phase: Phase::Load,
        };
        match self {
            Scenario::Ipv4 => base,
            Scenario::Ipv6 => Shape { family: TableFamily::Ipv6, ..base },
            Scenario::Multipath4 => Shape { peers: 4, maximum_paths: 4, ..base },
            Scenario::Peers10 => Shape { peers: 10, ..base },
            Scenario::Churn => Shape { phase: Phase::Churn, ..base },
            Scenario::Peers100x1000 => Shape { peers: 100, routes_per_peer: Some(1000), ..base },
            Scenario::Peers1000x10 => Shape { peers: 1000, routes_per_peer: Some(10), ..base },
            Scenario::Relearn => Shape { phase: Phase::WithdrawRelearn, ..base },
            Scenario::Receivers10 => Shape { sinks: 10, ..base },
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scenario {
    type Err = String;
    fn from_str(s: &str) -> Result<Scenario, String> {
        Scenario::ALL.into_iter().find(|x| x.name() == s).ok_or_else(|| {
            let names: Vec<_> = Scenario::ALL.iter().map(|x| x.name()).collect();
            format!("unknown scenario \"{s}\" (one of {})", names.join(", "))
        })
    }
}

/// Addresses of the lab: the generators' link is 10.1.0.0/16 and fd00:1::/64 (the device
/// is .1 / ::1, generator `i` is host `i + 2`), the sinks' link 10.2.0.0/16 and fd00:2::/64.
pub mod addr {
    use super::*;

    fn host(link: u8, i: usize) -> (Ipv4Addr, Ipv6Addr) {
        let n = u16::try_from(i + 2).unwrap_or(u16::MAX);
        let [hi, lo] = n.to_be_bytes();
        (Ipv4Addr::new(10, link, hi, lo), Ipv6Addr::new(0xfd00, u16::from(link), 0, 0, 0, 0, 0, n))
    }

    fn pick(f: TableFamily, (v4, v6): (Ipv4Addr, Ipv6Addr)) -> IpAddr {
        match f {
            TableFamily::Ipv4 => IpAddr::V4(v4),
            TableFamily::Ipv6 => IpAddr::V6(v6),
        }
    }

    /// Generator `i`'s address.
    pub fn generator(f: TableFamily, i: usize) -> IpAddr {
        pick(f, host(1, i))
    }

    /// Generator `i`'s BGP Identifier (its IPv4 address).
    pub fn generator_id(i: usize) -> Ipv4Addr {
        host(1, i).0
    }

    /// Sink `j`'s address.
    pub fn sink(f: TableFamily, j: usize) -> IpAddr {
        pick(f, host(2, j))
    }

    /// Sink `j`'s BGP Identifier.
    pub fn sink_id(j: usize) -> Ipv4Addr {
        host(2, j).0
    }

    /// The device's address on link 1 (generators) or 2 (sinks).
    pub fn dut(f: TableFamily, link: u8) -> IpAddr {
        pick(
            f,
            (
                Ipv4Addr::new(10, link, 0, 1),
                Ipv6Addr::new(0xfd00, u16::from(link), 0, 0, 0, 0, 0, 1),
            ),
        )
    }

    /// Prefix length of the links.
    pub fn prefix_len(f: TableFamily) -> u8 {
        match f {
            TableFamily::Ipv4 => 16,
            TableFamily::Ipv6 => 64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_addresses_are_distinct() {
        for s in Scenario::ALL {
            assert_eq!(s.name().parse::<Scenario>(), Ok(s));
        }
        assert!("nope".parse::<Scenario>().is_err());
        assert_eq!(addr::generator(TableFamily::Ipv4, 0).to_string(), "10.1.0.2");
        assert_eq!(addr::generator(TableFamily::Ipv4, 999).to_string(), "10.1.3.233");
        assert_eq!(addr::generator(TableFamily::Ipv6, 999).to_string(), "fd00:1::3e9");
        assert_eq!(addr::sink(TableFamily::Ipv6, 0).to_string(), "fd00:2::2");
    }
}
