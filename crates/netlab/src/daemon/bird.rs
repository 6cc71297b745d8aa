//! BIRD 2 with its control socket, pid file and log in one folder.
//!
//! Remember `protocol device {}`, `interface "IF"` for a link-local
//! neighbour, `extended next hop on` for IPv4 over an IPv6 session, and a
//! short `connect retry time` (the default is 120 s).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::{dump_if_panicking, read_logs, wait_pid_file, write, POLL, START_TIMEOUT};
use crate::cmd::{run, stop_pid};
use crate::netns::Netns;
use crate::wait::wait_until;
use crate::Result;

/// A running BIRD in one namespace. Dropping it stops BIRD by pid, and
/// prints its log if the thread is panicking.
#[derive(Debug)]
pub struct Bird {
    dir: PathBuf,
    pid: Option<i32>,
}

impl Bird {
    /// Writes `config` to `DIR/bird.conf`, preceded by a `log` statement to
    /// `DIR/bird.log` (so the configuration need not name one), and starts
    /// BIRD in `ns` with its control socket at `DIR/bird.ctl`.
    pub fn start(ns: &Netns, dir: &Path, config: &str) -> Result<Bird> {
        let mut bird = Bird { dir: dir.to_owned(), pid: None };
        bird.write_config(config)?;
        let pid_file = dir.join("bird.pid");
        let _ = std::fs::remove_file(&pid_file);
        let mut cmd = ns.command("bird");
        cmd.arg("-c")
            .arg(dir.join("bird.conf"))
            .arg("-s")
            .arg(bird.socket())
            .arg("-P")
            .arg(&pid_file);
        run(&mut cmd)?;
        bird.pid = Some(wait_pid_file(&pid_file)?);
        let socket = bird.socket();
        wait_until(START_TIMEOUT, POLL, &format!("{}", socket.display()), || socket.exists())?;
        Ok(bird)
    }

    fn write_config(&self, config: &str) -> Result<()> {
        let log = self.dir.join("bird.log");
        write(&self.dir.join("bird.conf"), &format!("log \"{}\" all;\n{config}", log.display()))
    }

    /// The control socket.
    pub fn socket(&self) -> PathBuf {
        self.dir.join("bird.ctl")
    }

    /// Runs a birdc command (`show protocols all`) and returns its output.
    /// The words are passed as separate arguments, as birdc expects.
    pub fn birdc(&self, command: &str) -> Result<String> {
        let mut cmd = Command::new("birdc");
        cmd.arg("-s").arg(self.socket()).args(command.split_whitespace());
        run(&mut cmd)
    }

    /// Replaces the configuration and tells BIRD to load it
    /// (`birdc configure`).
    pub fn reconfigure(&self, config: &str) -> Result<String> {
        self.write_config(config)?;
        self.birdc("configure")
    }

    /// The log file.
    pub fn log_file(&self) -> PathBuf {
        self.dir.join("bird.log")
    }

    /// The contents of the log file.
    pub fn logs(&self) -> String {
        read_logs(&[self.log_file()])
    }

    /// The pid of the running BIRD.
    pub fn pid(&self) -> Option<i32> {
        self.pid
    }

    /// Stops BIRD.
    pub fn stop(&mut self) {
        if let Some(pid) = self.pid.take() {
            stop_pid(pid, Duration::from_secs(2));
        }
    }
}

impl Drop for Bird {
    fn drop(&mut self) {
        dump_if_panicking("BIRD", &[self.log_file()]);
        self.stop();
    }
}
