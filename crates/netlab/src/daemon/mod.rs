//! Routing daemons run with all their state in one folder, stopped by pid.

pub mod bird;
pub mod exabgp;
pub mod frr;
pub mod gobgp;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::wait::wait_until;
use crate::{Error, Result};

/// How long a daemon gets to write its pid file or open its socket.
const START_TIMEOUT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(50);

/// Writes `text` to `path`.
fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| Error::file(path, e))
}

/// Waits for a daemon's pid file and returns the pid in it.
fn wait_pid_file(path: &Path) -> Result<i32> {
    let read = || std::fs::read_to_string(path).ok().and_then(|s| s.trim().parse::<i32>().ok());
    wait_until(START_TIMEOUT, POLL, &format!("pid file {}", path.display()), || read().is_some())?;
    read().ok_or_else(|| Error::Output {
        command: path.display().to_string(),
        detail: "no pid".into(),
    })
}

/// The concatenated contents of `logs`, each under a header line.
fn read_logs(logs: &[PathBuf]) -> String {
    let mut out = String::new();
    for log in logs {
        out.push_str(&format!("----- {} -----\n", log.display()));
        match std::fs::read_to_string(log) {
            Ok(text) => out.push_str(&text),
            Err(err) => out.push_str(&format!("(unreadable: {err})\n")),
        }
    }
    out
}

/// Prints the logs to stderr when the current thread is panicking, so a
/// failed test shows what the daemon said.
fn dump_if_panicking(what: &str, logs: &[PathBuf]) {
    if std::thread::panicking() {
        eprintln!("netlab: {what} logs after a failure:\n{}", read_logs(logs));
    }
}
