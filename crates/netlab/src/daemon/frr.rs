//! FRR daemons with explicit paths, without watchfrr or `/etc/frr/daemons`.
//!
//! Each daemon runs as `ip netns exec NS /usr/lib/frr/D -d -P 0 -z DIR/zserv.api
//! --vty_socket DIR -f DIR/D.conf -i DIR/D.pid --log file:DIR/D.log`; `-P 0`
//! turns the TCP vty off. FRR refuses to run as root, so it keeps its default
//! user `frr`, which is given the folder. Configurations must not contain
//! `log file` (it clashes with `--log`). Remember `no bgp ebgp-requires-policy`
//! and `no bgp network import-check` in eBGP tests.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::{dump_if_panicking, read_logs, wait_pid_file, write, POLL, START_TIMEOUT};
use crate::cmd::{command_line, run, stop_pid};
use crate::netns::Netns;
use crate::wait::wait_until;
use crate::{Error, Result};

/// An FRR daemon that [`Frr::start`] can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrrDaemon {
    /// The RIB manager; always started first.
    Zebra,
    /// BGP.
    Bgpd,
    /// OSPFv2.
    Ospfd,
    /// OSPFv3.
    Ospf6d,
    /// Static routes.
    Staticd,
    /// BFD; its control socket is kept in the state folder.
    Bfdd,
}

impl FrrDaemon {
    /// The program name under `/usr/lib/frr`.
    pub fn name(self) -> &'static str {
        match self {
            FrrDaemon::Zebra => "zebra",
            FrrDaemon::Bgpd => "bgpd",
            FrrDaemon::Ospfd => "ospfd",
            FrrDaemon::Ospf6d => "ospf6d",
            FrrDaemon::Staticd => "staticd",
            FrrDaemon::Bfdd => "bfdd",
        }
    }
}

/// A running FRR instance in one namespace. Dropping it stops its daemons
/// by pid, and prints their logs if the thread is panicking.
#[derive(Debug)]
pub struct Frr {
    dir: PathBuf,
    daemons: Vec<(FrrDaemon, i32)>,
}

impl Frr {
    /// Starts zebra and the daemons of `configs` in `ns`, each with its
    /// configuration text, all state in `dir`. Zebra gets an empty
    /// configuration unless `configs` holds one for it.
    pub fn start(ns: &Netns, dir: &Path, configs: &[(FrrDaemon, &str)]) -> Result<Frr> {
        let (uid, gid) = frr_user()?;
        let chown = |path: &Path| {
            std::os::unix::fs::chown(path, Some(uid), Some(gid)).map_err(|e| Error::file(path, e))
        };
        chown(dir)?;
        let mut order = vec![FrrDaemon::Zebra];
        order.extend(configs.iter().map(|(d, _)| *d).filter(|d| *d != FrrDaemon::Zebra));
        let mut frr = Frr { dir: dir.to_owned(), daemons: Vec::new() };
        for daemon in order {
            let name = daemon.name();
            let conf = dir.join(format!("{name}.conf"));
            let text = configs.iter().find(|(d, _)| *d == daemon).map_or("", |(_, t)| *t);
            write(&conf, text)?;
            chown(&conf)?;
            let pid_file = dir.join(format!("{name}.pid"));
            let _ = std::fs::remove_file(&pid_file);
            let d = dir.display();
            let mut cmd = ns.command(&format!("/usr/lib/frr/{name}"));
            cmd.args([
                "-d",
                "-P",
                "0",
                "-z",
                &format!("{d}/zserv.api"),
                "--vty_socket",
                &format!("{d}"),
            ])
            .args(["-f", &format!("{d}/{name}.conf"), "-i", &format!("{d}/{name}.pid")])
            .args(["--log", &format!("file:{d}/{name}.log")]);
            if daemon == FrrDaemon::Bfdd {
                // Not the shared default under /var/run/frr.
                cmd.args(["--bfdctl", &format!("{d}/bfdd.sock")]);
            }
            run(&mut cmd)?;
            let pid = wait_pid_file(&pid_file)?;
            frr.daemons.push((daemon, pid));
            let vty = dir.join(format!("{name}.vty"));
            wait_until(START_TIMEOUT, POLL, &format!("{}", vty.display()), || vty.exists())?;
        }
        Ok(frr)
    }

    /// The state folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Runs one vtysh command (`show ...`) and returns its output.
    pub fn vtysh(&self, command: &str) -> Result<String> {
        self.vtysh_lines(&[command])
    }

    /// Runs vtysh with several `-c` commands in order, e.g.
    /// `["configure terminal", "router bgp 65001", "neighbor X shutdown"]`.
    pub fn vtysh_lines(&self, commands: &[&str]) -> Result<String> {
        let mut cmd = Command::new("vtysh");
        cmd.arg("--vty_socket").arg(&self.dir);
        for c in commands {
            cmd.args(["-c", c]);
        }
        run(&mut cmd)
    }

    /// Runs `configure terminal` followed by `lines`.
    pub fn configure(&self, lines: &[&str]) -> Result<String> {
        let mut all = vec!["configure terminal"];
        all.extend_from_slice(lines);
        self.vtysh_lines(&all)
    }

    /// Runs a show command that takes `json` (give it with `json`) and parses
    /// the output.
    pub fn vtysh_json(&self, command: &str) -> Result<serde_json::Value> {
        let out = self.vtysh(command)?;
        serde_json::from_str(&out)
            .map_err(|source| Error::Json { command: format!("vtysh -c '{command}'"), source })
    }

    /// The pids of the running daemons.
    pub fn pids(&self) -> Vec<(FrrDaemon, i32)> {
        self.daemons.clone()
    }

    /// The daemons' log files.
    pub fn log_files(&self) -> Vec<PathBuf> {
        self.daemons.iter().map(|(d, _)| self.dir.join(format!("{}.log", d.name()))).collect()
    }

    /// The contents of every log file.
    pub fn logs(&self) -> String {
        read_logs(&self.log_files())
    }

    /// Stops every daemon (reverse start order).
    pub fn stop(&mut self) {
        for (_, pid) in self.daemons.drain(..).rev() {
            stop_pid(pid, Duration::from_secs(2));
        }
    }
}

impl Drop for Frr {
    fn drop(&mut self) {
        dump_if_panicking("FRR", &self.log_files());
        self.stop();
    }
}

/// The uid and gid of user `frr`, from `id`.
fn frr_user() -> Result<(u32, u32)> {
    let mut uid_cmd = Command::new("id");
    uid_cmd.args(["-u", "frr"]);
    let mut gid_cmd = Command::new("id");
    gid_cmd.args(["-g", "frr"]);
    let parse = |cmd: &mut Command| -> Result<u32> {
        let line = command_line(cmd);
        let out = run(cmd)?;
        out.trim()
            .parse()
            .map_err(|_| Error::Output { command: line, detail: format!("not a number: {out:?}") })
    };
    Ok((parse(&mut uid_cmd)?, parse(&mut gid_cmd)?))
}
