//! ExaBGP 4.2 in the foreground as our child.
//!
//! It is started with `exabgp.daemon.user=root exabgp.daemon.drop=false
//! exabgp.api.cli=false exabgp.api.ack=false` in its environment (LAB-NOTES).
//! It offers extended message by default; FRR then sends UPDATEs longer than
//! 4096 bytes, which tshark 4.0 wrongly flags as invalid.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{dump_if_panicking, read_logs, write};
use crate::cmd::ChildGuard;
use crate::netns::Netns;
use crate::Result;

/// Environment ExaBGP needs to run as root without its CLI pipes.
const EXABGP_ENV: &[(&str, &str)] = &[
    ("exabgp.daemon.user", "root"),
    ("exabgp.daemon.drop", "false"),
    ("exabgp.api.cli", "false"),
    ("exabgp.api.ack", "false"),
    ("exabgp.log.destination", "stdout"),
];

/// A running ExaBGP in one namespace. Dropping it stops ExaBGP, and prints
/// its log if the thread is panicking.
#[derive(Debug)]
pub struct Exabgp {
    dir: PathBuf,
    child: ChildGuard,
}

impl Exabgp {
    /// Writes `config` to `DIR/exabgp.conf` and starts `exabgp` on it in
    /// `ns`, logging to `DIR/exabgp.log`.
    pub fn start(ns: &Netns, dir: &Path, config: &str) -> Result<Exabgp> {
        let conf = dir.join("exabgp.conf");
        write(&conf, config)?;
        let mut cmd = ns.command("exabgp");
        cmd.arg(&conf).envs(EXABGP_ENV.iter().copied());
        let child = ChildGuard::spawn(cmd, Some(&dir.join("exabgp.log")))?;
        Ok(Exabgp { dir: dir.to_owned(), child })
    }

    /// Whether ExaBGP has exited (a configuration error, for instance).
    pub fn has_exited(&mut self) -> bool {
        self.child.has_exited()
    }

    /// The log file.
    pub fn log_file(&self) -> PathBuf {
        self.dir.join("exabgp.log")
    }

    /// The contents of the log file.
    pub fn logs(&self) -> String {
        read_logs(&[self.log_file()])
    }

    /// Stops ExaBGP.
    pub fn stop(&mut self) {
        self.child.stop_with(libc::SIGTERM, Duration::from_secs(2));
    }
}

impl Drop for Exabgp {
    fn drop(&mut self) {
        dump_if_panicking("ExaBGP", &[self.log_file()]);
        self.stop();
    }
}
