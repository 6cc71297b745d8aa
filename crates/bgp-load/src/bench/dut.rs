//! The devices under test: how each daemon is configured for a scenario, started, and asked
//! how many routes it holds.
//!
//! Every device accepts the generators and sinks passively (they connect), takes everything
//! from the generators and sends them nothing back, and sends everything to the sinks. The
//! count polled is the number of paths received from the generators, from each daemon's
//! own status command: our `show bgp paths` on the control socket (the table's counters;
//! `show bgp summary` walks each update group's Adj-RIB-Out), BIRD's
//! `show protocols all` (per-channel import counters), FRR's
//! `show bgp <afi> unicast summary json` (`pfxRcd`), GoBGP's `global rib summary`. Each of
//! these reads counters rather than walking the table, so polling every 100 ms costs the
//! device little.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;
use std::time::Duration;

use netlab::{Bird, ChildGuard, Frr, FrrDaemon, Gobgp, Netns};

use super::scenario::{addr, Shape, DUT_AS, DUT_ID, GENERATOR_AS, SINK_AS};
use crate::table::TableFamily;

/// A daemon that can be measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Daemon {
    /// Our speaker: `examples/bgp-peer`, release build.
    Ours,
    /// BIRD 2.
    Bird,
    /// FRR's bgpd (with zebra).
    Frr,
    /// GoBGP's gobgpd.
    Gobgp,
}

impl Daemon {
    /// All of them, ours first.
    pub const ALL: [Daemon; 4] = [Daemon::Ours, Daemon::Bird, Daemon::Frr, Daemon::Gobgp];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Daemon::Ours => "ours",
            Daemon::Bird => "bird",
            Daemon::Frr => "frr",
            Daemon::Gobgp => "gobgp",
        }
    }

    /// The program that must be installed.
    fn program(self) -> &'static str {
        match self {
            Daemon::Ours => "bgp-peer",
            Daemon::Bird => "bird",
            Daemon::Frr => "/usr/lib/frr/bgpd",
            Daemon::Gobgp => "gobgpd",
        }
    }

    /// Whether the daemon can program the namespace's kernel FIB here.
    pub fn has_fib(self) -> bool {
        matches!(self, Daemon::Bird | Daemon::Frr)
    }

    /// Its version, or why it cannot run.
    pub fn version(self, bgp_peer: &Path) -> Result<String, String> {
        let out = |cmd: &mut Command| {
            cmd.output()
                .map(|o| {
                    let text = String::from_utf8_lossy(&o.stdout).into_owned()
                        + &String::from_utf8_lossy(&o.stderr);
                    text.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim().to_owned()
                })
                .map_err(|e| format!("{}: not installed ({e})", self.program()))
        };
        match self {
            Daemon::Ours => {
                if bgp_peer.is_file() {
                    Ok(format!("bgp-peer {}", git_revision()))
                } else {
                    Err(format!(
                        "{}: missing (cargo build --release -p bgp-peer)",
                        bgp_peer.display()
                    ))
                }
            }
            Daemon::Bird => out(Command::new("bird").arg("--version")),
            Daemon::Frr => out(Command::new("/usr/lib/frr/bgpd").arg("--version"))
                .map(|v| v.replace("bgpd version", "FRR")),
            Daemon::Gobgp => out(Command::new("gobgpd").arg("--version")),
        }
    }
}

fn git_revision() -> String {
    Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "(unknown revision)".into())
}

impl FromStr for Daemon {
    type Err = String;
    fn from_str(s: &str) -> Result<Daemon, String> {
        Daemon::ALL
            .into_iter()
            .find(|d| d.name() == s)
            .ok_or_else(|| format!("unknown daemon \"{s}\" (ours, bird, frr, gobgp)"))
    }
}

/// A running device under test.
pub enum Running {
    /// Ours, with its control socket.
    Ours {
        /// The process.
        child: ChildGuard,
        /// The control socket.
        socket: PathBuf,
    },
    /// BIRD.
    Bird(Bird),
    /// FRR.
    Frr(Frr),
    /// GoBGP, and its namespace (for the `gobgp` client).
    Gobgp(Gobgp, String),
}

/// Error text of a lab or daemon failure.
pub type DutError = String;

fn lab_err(e: netlab::Error) -> DutError {
    e.to_string()
}

impl Running {
    /// Starts `daemon` in `ns` for `shape`, state in `dir`; `fib` programs the kernel.
    pub fn start(
        daemon: Daemon,
        ns: &Netns,
        dir: &Path,
        shape: &Shape,
        fib: bool,
        bgp_peer: &Path,
    ) -> Result<Running, DutError> {
        match daemon {
            Daemon::Ours => {
                let socket = dir.join("control.sock");
                let conf = dir.join("bgp-peer.toml");
                std::fs::write(&conf, ours_config(shape, &socket))
                    .map_err(|e| format!("{}: {e}", conf.display()))?;
                let bin = bgp_peer.to_string_lossy().into_owned();
                let conf = conf.to_string_lossy().into_owned();
                let mut cmd = ns.command(&bin);
                cmd.arg(&conf).env("RUST_LOG", "warn");
                let mut child =
                    ChildGuard::spawn(cmd, Some(&dir.join("bgp-peer.log"))).map_err(lab_err)?;
                let ok = netlab::wait_until(
                    Duration::from_secs(10),
                    Duration::from_millis(20),
                    "bgp-peer's control socket",
                    || socket.exists() || child.has_exited(),
                );
                if child.has_exited() || ok.is_err() {
                    let log = std::fs::read_to_string(dir.join("bgp-peer.log")).unwrap_or_default();
                    return Err(format!("bgp-peer did not start:\n{log}"));
                }
                Ok(Running::Ours { child, socket })
            }
            Daemon::Bird => {
                Bird::start(ns, dir, &bird_config(shape, fib)).map(Running::Bird).map_err(lab_err)
            }
            Daemon::Frr => {
                let conf = frr_config(shape, fib);
                Frr::start(ns, dir, &[(FrrDaemon::Bgpd, &conf)]).map(Running::Frr).map_err(lab_err)
            }
            Daemon::Gobgp => {
                let g = Gobgp::start(ns, dir, &gobgp_config(shape)).map_err(lab_err)?;
                Ok(Running::Gobgp(g, ns.name().to_owned()))
            }
        }
    }

    /// The processes of the device: for FRR bgpd and zebra.
    pub fn pids(&self) -> Vec<i32> {
        let conv = |p: Option<u32>| p.and_then(|p| i32::try_from(p).ok());
        match self {
            Running::Ours { child, .. } => conv(child.pid()).into_iter().collect(),
            Running::Bird(b) => b.pid().into_iter().collect(),
            Running::Frr(f) => f.pids().into_iter().map(|(_, p)| p).collect(),
            Running::Gobgp(g, _) => conv(g.pid()).into_iter().collect(),
        }
    }

    /// How to ask the device for its count of received paths ([`Poller::paths`]), from any
    /// thread.
    pub fn poller(&self, family: TableFamily) -> Poller {
        match self {
            Running::Ours { socket, .. } => Poller::Ours(socket.clone()),
            Running::Bird(b) => Poller::Bird(b.socket()),
            Running::Frr(f) => Poller::Frr(f.dir().to_owned(), family),
            Running::Gobgp(_, ns) => Poller::Gobgp(ns.clone(), family),
        }
    }
}

/// How to ask a running device for its count of received paths.
#[derive(Clone, Debug)]
pub enum Poller {
    /// Our control socket.
    Ours(PathBuf),
    /// BIRD's control socket.
    Bird(PathBuf),
    /// FRR's vty folder.
    Frr(PathBuf, TableFamily),
    /// GoBGP's namespace.
    Gobgp(String, TableFamily),
}

impl Poller {
    /// Paths received from the generators, as the device reports them.
    pub fn paths(&self) -> Result<u64, DutError> {
        match self {
            Poller::Ours(socket) => {
                let text = ours_request(socket, "show bgp paths")?;
                let v: serde_json::Value = serde_json::from_str(&text)
                    .map_err(|e| format!("show bgp paths: {e}: {text}"))?;
                match (v["ipv4"].as_u64(), v["ipv6"].as_u64()) {
                    (Some(a), Some(b)) => Ok(a + b),
                    _ => Err(format!("show bgp paths: {text}")),
                }
            }
            Poller::Bird(socket) => {
                let mut cmd = Command::new("birdc");
                cmd.arg("-s").arg(socket).args(["show", "protocols", "all"]);
                Ok(bird_imported(&run(&mut cmd)?))
            }
            Poller::Frr(dir, family) => {
                let afi = match family {
                    TableFamily::Ipv4 => "ipv4",
                    TableFamily::Ipv6 => "ipv6",
                };
                let mut cmd = Command::new("vtysh");
                cmd.arg("--vty_socket")
                    .arg(dir)
                    .args(["-c", &format!("show bgp {afi} unicast summary json")]);
                frr_received(&run(&mut cmd)?)
            }
            Poller::Gobgp(ns, family) => {
                let afi = match family {
                    TableFamily::Ipv4 => "ipv4",
                    TableFamily::Ipv6 => "ipv6",
                };
                let mut cmd = Command::new("ip");
                cmd.args(["netns", "exec", ns, "gobgp", "global", "rib", "summary", "-a", afi]);
                gobgp_paths(&run(&mut cmd)?)
            }
        }
    }
}

fn run(cmd: &mut Command) -> Result<String, DutError> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{cmd:?}: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// One request on our control socket (a line of words; the answer runs to end of stream).
pub fn ours_request(socket: &Path, line: &str) -> Result<String, DutError> {
    use std::io::{Read, Write};
    let mut s = std::os::unix::net::UnixStream::connect(socket)
        .map_err(|e| format!("{}: {e}", socket.display()))?;
    s.write_all(format!("{line}\n").as_bytes()).map_err(|e| e.to_string())?;
    let mut out = String::new();
    s.read_to_string(&mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// Sums the `imported` counters of the generator protocols (`g*`) in `show protocols all`:
/// `  Routes:         1042325 imported, 0 exported, 1042325 preferred`.
pub fn bird_imported(text: &str) -> u64 {
    let mut generator = false;
    let mut sum = 0;
    for line in text.lines() {
        if !line.starts_with(' ') && !line.is_empty() {
            generator = line.split_whitespace().next().is_some_and(|n| n.starts_with('g'));
            continue;
        }
        let Some(rest) = line.trim().strip_prefix("Routes:") else { continue };
        if generator {
            sum += rest.split_whitespace().next().and_then(|n| n.parse::<u64>().ok()).unwrap_or(0);
        }
    }
    sum
}

/// Sums `pfxRcd` over the peers of FRR's summary JSON (`{"peers": {...}}`, or the same
/// under a family key).
pub fn frr_received(text: &str) -> Result<u64, DutError> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("FRR summary: {e}"))?;
    let peers = if v.get("peers").is_some() {
        &v["peers"]
    } else {
        v.as_object().and_then(|o| o.values().next()).map_or(&v["peers"], |f| &f["peers"])
    };
    Ok(peers
        .as_object()
        .map_or(0, |ps| ps.values().map(|p| p["pfxRcd"].as_u64().unwrap_or(0)).sum()))
}

/// The `Path: N` of `gobgp global rib summary` (`Destination: N, Path: M`).
pub fn gobgp_paths(text: &str) -> Result<u64, DutError> {
    text.split("Path:")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.trim_matches(',').parse().ok())
        .ok_or_else(|| format!("gobgp rib summary: no Path count in {text:?}"))
}

fn family_name(f: TableFamily) -> &'static str {
    match f {
        TableFamily::Ipv4 => "ipv4",
        TableFamily::Ipv6 => "ipv6",
    }
}

/// Our configuration: nothing printed per route, the control socket, no GR.
pub fn ours_config(shape: &Shape, socket: &Path) -> String {
    let f = shape.family;
    let mut s = format!(
        "local-as = {DUT_AS}\nrouter-id = \"{DUT_ID}\"\nmaximum-paths = {}\n\
         graceful-restart = false\nprint-routes = false\ncontrol-socket = \"{}\"\n\
         policy = \"\"\"\nroute-map NONE deny 10\n\"\"\"\n",
        shape.maximum_paths,
        socket.display()
    );
    let fam = format!("{}-unicast", family_name(f));
    for i in 0..shape.peers {
        let _ = write!(
            s,
            "\n[[neighbor]]\naddress = \"{}\"\nremote-as = {GENERATOR_AS}\npassive = true\n\
             families = [\"{fam}\"]\nexport = \"NONE\"\n",
            addr::generator(f, i)
        );
    }
    for j in 0..shape.sinks {
        let _ = write!(
            s,
            "\n[[neighbor]]\naddress = \"{}\"\nremote-as = {}\npassive = true\nfamilies = [\"{fam}\"]\n",
            addr::sink(f, j),
            SINK_AS + j as u32
        );
    }
    s
}

/// BIRD: no `protocol kernel` without FIB; `merge paths` for multipath into the kernel.
pub fn bird_config(shape: &Shape, fib: bool) -> String {
    let f = shape.family;
    let ch = family_name(f);
    let mut s = format!("router id {DUT_ID};\nprotocol device {{ }}\n");
    if fib {
        let merge = if shape.maximum_paths > 1 {
            format!("merge paths on limit {};", shape.maximum_paths)
        } else {
            String::new()
        };
        let _ = writeln!(s, "protocol kernel {{ {ch} {{ export all; }}; {merge} }}");
    }
    let _ = write!(
        s,
        "template bgp gen {{ local as {DUT_AS}; passive on; {ch} {{ import all; export none; }}; }}\n\
         template bgp snk {{ local as {DUT_AS}; passive on; {ch} {{ import none; export all; }}; }}\n"
    );
    for i in 0..shape.peers {
        let _ = writeln!(
            s,
            "protocol bgp g{i} from gen {{ neighbor {} as {GENERATOR_AS}; }}",
            addr::generator(f, i)
        );
    }
    for j in 0..shape.sinks {
        let _ = writeln!(
            s,
            "protocol bgp s{j} from snk {{ neighbor {} as {}; }}",
            addr::sink(f, j),
            SINK_AS + j as u32
        );
    }
    s
}

/// FRR bgpd: peer groups; without FIB a `table-map` that denies keeps routes out of zebra.
pub fn frr_config(shape: &Shape, fib: bool) -> String {
    let f = shape.family;
    let mut s = format!(
        "router bgp {DUT_AS}\n bgp router-id {DUT_ID}\n no bgp ebgp-requires-policy\n\
         no bgp default ipv4-unicast\n neighbor GEN peer-group\n neighbor GEN remote-as {GENERATOR_AS}\n\
         neighbor GEN passive\n neighbor SNK peer-group\n neighbor SNK remote-as external\n\
         neighbor SNK passive\n neighbor SNK advertisement-interval 0\n"
    );
    for i in 0..shape.peers {
        let _ = writeln!(s, " neighbor {} peer-group GEN", addr::generator(f, i));
    }
    for j in 0..shape.sinks {
        let _ = writeln!(s, " neighbor {} peer-group SNK", addr::sink(f, j));
    }
    let _ = write!(
        s,
        " address-family {} unicast\n  neighbor GEN activate\n  neighbor GEN route-map NONE out\n\
         neighbor SNK activate\n  maximum-paths {}\n",
        family_name(f),
        shape.maximum_paths
    );
    if !fib {
        s.push_str("  table-map NOFIB\n");
    }
    s.push_str(" exit-address-family\n!\nroute-map NONE deny 10\n!\nroute-map NOFIB deny 10\n!\n");
    s
}

/// GoBGP: accept everything; it sends no route back to the peer it came from.
pub fn gobgp_config(shape: &Shape) -> String {
    let f = shape.family;
    let afi = format!("{}-unicast", family_name(f));
    let mut s = format!(
        "[global.config]\n  as = {DUT_AS}\n  router-id = \"{DUT_ID}\"\n\
         [global.apply-policy.config]\n  default-import-policy = \"accept-route\"\n\
         default-export-policy = \"accept-route\"\n"
    );
    if shape.maximum_paths > 1 {
        s.push_str("[global.use-multiple-paths.config]\n  enabled = true\n");
    }
    let peers = (0..shape.peers).map(|i| (addr::generator(f, i), GENERATOR_AS));
    let sinks = (0..shape.sinks).map(|j| (addr::sink(f, j), SINK_AS + j as u32));
    for (a, asn) in peers.chain(sinks) {
        let _ = write!(
            s,
            "\n[[neighbors]]\n  [neighbors.config]\n    neighbor-address = \"{a}\"\n    peer-as = {asn}\n\
             [neighbors.timers.config]\n    minimum-advertisement-interval = 0\n\
             [neighbors.transport.config]\n    passive-mode = true\n\
             [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = \"{afi}\"\n"
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_outputs_are_read() {
        let bird = concat!(
            "BIRD 2.0.12 ready.\n",
            "Name       Proto      Table      State  Since         Info\n",
            "device1    Device     ---        up     10:00:00.000\n",
            "g0         BGP        ---        up     10:00:01.000  Established\n",
            "  Channel ipv4\n",
            "    State:          UP\n",
            "    Routes:         1000 imported, 0 exported, 1000 preferred\n",
            "g1         BGP        ---        up     10:00:01.000  Established\n",
            "    Routes:         24 imported, 0 exported, 0 preferred\n",
            "s0         BGP        ---        up     10:00:01.000  Established\n",
            "    Routes:         0 imported, 1024 exported, 0 preferred\n",
        );
        assert_eq!(bird_imported(bird), 1024);
        let frr = r#"{"routerId":"10.255.0.1","peers":{"10.1.0.2":{"pfxRcd":7},"10.2.0.2":{"pfxRcd":0}}}"#;
        assert_eq!(frr_received(frr).unwrap(), 7);
        let frr_all = r#"{"ipv4Unicast":{"peers":{"10.1.0.2":{"pfxRcd":9}}}}"#;
        assert_eq!(frr_received(frr_all).unwrap(), 9);
        let gobgp = "Table ipv4-unicast\nDestination: 2000, Path: 4000\n";
        assert_eq!(gobgp_paths(gobgp).unwrap(), 4000);
        assert!(gobgp_paths("nothing").is_err());
    }
}
