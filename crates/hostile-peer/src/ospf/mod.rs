//! The OSPFv2 half: a catalogue of malformed packets and LSAs ([`cases`]), sent from a raw
//! IP socket, and the verdict on what the device under test reported ([`judge`]).

pub mod cases;

use cases::{Case, Expect, Probe};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

/// A raw IP protocol 89 socket bound to a source address (and interface): what it sends
/// leaves with that source, unicast to the device under test.
pub struct Sender {
    socket: Socket,
}

impl Sender {
    /// Opens the socket (needs `CAP_NET_RAW`).
    pub fn new(source: Ipv4Addr, interface: &str) -> std::io::Result<Sender> {
        let socket = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(89)))?;
        socket.bind(&SockAddr::from(SocketAddr::V4(SocketAddrV4::new(source, 0))))?;
        socket.bind_device(Some(interface.as_bytes()))?;
        Ok(Sender { socket })
    }

    /// Sends one OSPF packet (the IP payload) to `dst`.
    pub fn send(&self, dst: Ipv4Addr, packet: &[u8]) -> std::io::Result<()> {
        let to = SockAddr::from(SocketAddr::V4(SocketAddrV4::new(dst, 0)));
        self.socket.send_to(packet, &to).map(|_| ())
    }
}

/// What the device under test showed after a case.
#[derive(Clone, Debug, Default)]
pub struct Observation {
    /// The probe neighbour appeared.
    pub neighbor_seen: bool,
    /// The bad LSA's route appeared.
    pub bad_route_seen: bool,
    /// The good LSA's route appeared.
    pub good_route_seen: bool,
    /// Kinds of drop reports from the sender's address (e.g. `bad-packet`).
    pub drops: Vec<String>,
    /// What went wrong beside (the healthy adjacency, routes that must not change).
    pub health: Vec<String>,
}

/// A case's verdict.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// Case name.
    pub name: &'static str,
    /// Expected, as text.
    pub expected: String,
    /// Observed, as text.
    pub observed: String,
    /// Whether it is what the RFC asks for, with nothing else disturbed.
    pub pass: bool,
}

/// Judges one case from what was observed.
pub fn judge(c: &Case, probe: Probe, o: &Observation) -> Verdict {
    let mut seen = Vec::new();
    match probe {
        Probe::Neighbor(rid) if o.neighbor_seen => seen.push(format!("neighbour {rid} up")),
        Probe::Routes { bad, .. } if o.bad_route_seen => seen.push(format!("route {bad}/32")),
        _ => {}
    }
    if let Probe::Routes { good: Some(g), .. } = probe {
        if o.good_route_seen {
            seen.push(format!("route {g}/32"));
        }
    }
    let mut drops = o.drops.clone();
    drops.dedup();
    let taken = !seen.is_empty() && !matches!(probe, Probe::Routes { .. } if !o.bad_route_seen);
    let ok = match c.expect {
        Expect::Accepted => match probe {
            Probe::Neighbor(_) => o.neighbor_seen,
            Probe::Routes { good, .. } => good.is_some() && o.good_route_seen && !o.bad_route_seen,
            Probe::None => false,
        },
        Expect::Dropped(kinds) => {
            let not_taken = !o.neighbor_seen && !o.bad_route_seen;
            let reported = kinds.is_empty() || drops.iter().any(|d| kinds.contains(&d.as_str()));
            not_taken && reported
        }
        Expect::NextLsaUsed => !o.bad_route_seen && o.good_route_seen,
    };
    let mut observed = if seen.is_empty() { "nothing taken".to_string() } else { seen.join(", ") };
    if taken && c.expect != Expect::Accepted {
        observed.push_str(" (taken)");
    }
    if !drops.is_empty() {
        observed.push_str(&format!("; reported {}", drops.join(", ")));
    }
    if !o.health.is_empty() {
        observed.push_str(&format!("; {}", o.health.join("; ")));
    }
    Verdict {
        name: c.name,
        expected: c.expect.to_string(),
        observed,
        pass: ok && o.health.is_empty(),
    }
}

/// One line per verdict.
pub fn line(v: &Verdict) -> String {
    let verdict = if v.pass { "PASS" } else { "FAIL" };
    format!("{:<30} expected: {:<44} observed: {} {verdict}", v.name, v.expected, v.observed)
}

/// A Markdown table of verdicts.
pub fn markdown(vs: &[Verdict]) -> String {
    let mut s = String::from("| case | expected | observed | result |\n|---|---|---|---|\n");
    for v in vs {
        let verdict = if v.pass { "pass" } else { "**fail**" };
        s.push_str(&format!("| `{}` | {} | {} | {verdict} |\n", v.name, v.expected, v.observed));
    }
    s
}
