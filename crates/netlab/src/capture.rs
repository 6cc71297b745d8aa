//! Packet captures with tcpdump, read back with tshark.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::cmd::{run, ChildGuard};
use crate::netns::Netns;
use crate::wait::wait_until;
use crate::{Error, Result};

/// A tcpdump writing a pcap file. Packets are flushed as they arrive (`-U`);
/// [`Capture::stop`] (or drop) ends it with SIGINT so the file is complete.
/// Turn offloads off on the interface first ([`Netns::offloads_off`]; lab
/// veths have them off already).
#[derive(Debug)]
pub struct Capture {
    child: ChildGuard,
    file: PathBuf,
    log: PathBuf,
}

impl Capture {
    /// Starts `tcpdump -i IFACE -s 0 -U --immediate-mode -n -w FILE FILTER` in `ns` and returns
    /// once it listens. `filter` is a pcap filter (`"tcp port 179"`, or `""`).
    pub fn start(ns: &Netns, iface: &str, filter: &str, file: &Path) -> Result<Capture> {
        let log = file.with_extension("tcpdump.log");
        let _ = std::fs::remove_file(&log);
        let file_arg = file.to_string_lossy().into_owned();
        let mut args = vec![
            "tcpdump",
            "-i",
            iface,
            "-s",
            "0",
            "-U",
            "--immediate-mode",
            "-n",
            "-Z",
            "root",
            "-w",
            &file_arg,
        ];
        if !filter.is_empty() {
            args.push(filter);
        }
        let child = ns.spawn_logged(&args, &log)?;
        let mut capture = Capture { child, file: file.to_owned(), log };
        let listening =
            || std::fs::read_to_string(&capture.log).is_ok_and(|t| t.contains("listening on"));
        let ready = wait_until(
            Duration::from_secs(10),
            Duration::from_millis(20),
            "tcpdump to listen",
            listening,
        );
        if let Err(err) = ready {
            let said = std::fs::read_to_string(&capture.log).unwrap_or_default();
            capture.child.stop();
            return Err(Error::Output {
                command: args.join(" "),
                detail: format!("{err}: {said}"),
            });
        }
        Ok(capture)
    }

    /// The pcap file.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Stops tcpdump with SIGINT, which flushes and closes the file, and
    /// returns its summary ("N packets captured ...").
    pub fn stop(&mut self) -> String {
        self.child.stop_with(libc::SIGINT, Duration::from_secs(3));
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Decodes `file` with `tshark -T json`, optionally with a display filter
/// (`"bgp"`), and returns the array of packets.
pub fn tshark_json(file: &Path, display_filter: Option<&str>) -> Result<serde_json::Value> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r").arg(file).args(["-T", "json"]);
    if let Some(filter) = display_filter {
        cmd.args(["-Y", filter]);
    }
    let out = run(&mut cmd)?;
    serde_json::from_str(&out).map_err(|source| Error::Json {
        command: format!("tshark -r {} -T json", file.display()),
        source,
    })
}
