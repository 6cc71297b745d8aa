//! GoBGP: `gobgpd` in the foreground as our child, and the `gobgp` client
//! (both from Debian's `gobgpd` package).
//!
//! The gRPC API listens on 127.0.0.1:50051 inside the namespace, so several
//! instances in different namespaces do not clash. GoBGP sends no Router
//! Advertisements and does not use RFC 8950 next hops on unnumbered
//! sessions: see LAB-NOTES.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{dump_if_panicking, read_logs, write, POLL, START_TIMEOUT};
use crate::cmd::ChildGuard;
use crate::netns::Netns;
use crate::wait::wait_until;
use crate::{Error, Result};

/// A running gobgpd in one namespace. Dropping it stops gobgpd, and prints
/// its log if the thread is panicking.
#[derive(Debug)]
pub struct Gobgp {
    ns: Netns,
    dir: PathBuf,
    child: ChildGuard,
}

impl Gobgp {
    /// Writes `toml` to `DIR/gobgpd.toml` and starts gobgpd in `ns`, logging
    /// to `DIR/gobgpd.log`; returns once its API answers.
    pub fn start(ns: &Netns, dir: &Path, toml: &str) -> Result<Gobgp> {
        let conf = dir.join("gobgpd.toml");
        write(&conf, toml)?;
        let conf = conf.to_string_lossy().into_owned();
        let log = dir.join("gobgpd.log");
        let args =
            ["gobgpd", "-f", &conf, "-p", "--pprof-disable", "--api-hosts", "127.0.0.1:50051"];
        let child = ns.spawn_logged(&args, &log)?;
        let mut gobgp = Gobgp { ns: ns.clone(), dir: dir.to_owned(), child };
        let mut last = Ok(String::new());
        let answered = wait_until(START_TIMEOUT, POLL, "gobgpd API", || {
            if gobgp.child.has_exited() {
                return true;
            }
            last = gobgp.gobgp(&["global"]);
            last.is_ok()
        });
        if gobgp.child.has_exited() {
            return Err(Error::Output {
                command: args.join(" "),
                detail: format!("exited:\n{}", gobgp.logs()),
            });
        }
        answered?;
        Ok(gobgp)
    }

    /// Runs the `gobgp` client with `args` in the namespace, e.g.
    /// `["global", "rib", "-a", "ipv4", "add", "10.0.0.0/24"]`.
    pub fn gobgp(&self, args: &[&str]) -> Result<String> {
        let mut all = vec!["gobgp"];
        all.extend_from_slice(args);
        self.ns.exec(&all)
    }

    /// Runs the client with `-j` added and parses its JSON output.
    pub fn gobgp_json(&self, args: &[&str]) -> Result<serde_json::Value> {
        let mut all = args.to_vec();
        all.push("-j");
        let out = self.gobgp(&all)?;
        serde_json::from_str(&out)
            .map_err(|source| Error::Json { command: format!("gobgp {}", all.join(" ")), source })
    }

    /// The log file.
    pub fn log_file(&self) -> PathBuf {
        self.dir.join("gobgpd.log")
    }

    /// The contents of the log file.
    pub fn logs(&self) -> String {
        read_logs(&[self.log_file()])
    }

    /// The pid of gobgpd's `ip netns exec` wrapper (which execs gobgpd).
    pub fn pid(&self) -> Option<u32> {
        self.child.pid()
    }

    /// Stops gobgpd.
    pub fn stop(&mut self) {
        self.child.stop_with(libc::SIGTERM, Duration::from_secs(2));
    }
}

impl Drop for Gobgp {
    fn drop(&mut self) {
        dump_if_panicking("GoBGP", &[self.log_file()]);
        self.stop();
    }
}
