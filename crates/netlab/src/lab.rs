//! A set of namespaces and links that is deleted as a whole.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::cmd::{alive, exited, run, signal};
use crate::netns::{check_ifname, Netns};
use crate::{Error, Result};

/// Labs and veth pairs made by this process, for unique names.
static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Longest lab prefix accepted, to keep names short.
const PREFIX_MAX: usize = 8;

/// Per-namespace settings applied to every node (see LAB-NOTES): forwarding
/// on, no duplicate address detection (or link-locals stay tentative for a
/// second), no reverse-path filter.
const NODE_SYSCTLS: &[(&str, &str)] = &[
    ("net.ipv4.ip_forward", "1"),
    ("net.ipv6.conf.all.forwarding", "1"),
    ("net.ipv6.conf.all.accept_dad", "0"),
    ("net.ipv6.conf.default.accept_dad", "0"),
    ("net.ipv4.conf.all.rp_filter", "0"),
    ("net.ipv4.conf.default.rp_filter", "0"),
];

/// A lab: namespaces named `PREFIX<pid>-<n>-<node>`, links between them, and
/// a state folder `/tmp/netlab-PREFIX<pid>-<n>`.
///
/// Dropping the lab (also while unwinding from a panic) kills every process
/// left in its namespaces, deletes the namespaces, and removes the state
/// folder (kept, and its path printed, when the thread is panicking).
#[derive(Debug)]
pub struct Lab {
    id: String,
    dir: PathBuf,
    nodes: Mutex<Vec<Netns>>,
}

impl Lab {
    /// Creates an empty lab. `prefix` is 1 to 8 lowercase ASCII letters;
    /// namespaces left by earlier runs with this prefix whose process is gone
    /// are deleted first.
    pub fn new(prefix: &str) -> Result<Lab> {
        if prefix.is_empty()
            || prefix.len() > PREFIX_MAX
            || !prefix.bytes().all(|b| b.is_ascii_lowercase())
        {
            return Err(Error::InvalidName {
                name: prefix.to_owned(),
                reason: "prefix must be 1-8 lowercase letters",
            });
        }
        remove_stale(prefix)?;
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let id = format!("{prefix}{}-{n}", std::process::id());
        let dir = std::env::temp_dir().join(format!("netlab-{id}"));
        std::fs::create_dir_all(&dir).map_err(|e| Error::file(&dir, e))?;
        set_mode(&dir, 0o755)?;
        Ok(Lab { id, dir, nodes: Mutex::new(Vec::new()) })
    }

    /// The lab's unique id, the prefix of its namespace names.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The lab's state folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A sub-folder of the state folder (created, mode 0755) for one daemon.
    pub fn subdir(&self, name: &str) -> Result<PathBuf> {
        let dir = self.dir.join(name);
        std::fs::create_dir_all(&dir).map_err(|e| Error::file(&dir, e))?;
        set_mode(&dir, 0o755)?;
        Ok(dir)
    }

    /// Creates namespace `<id>-<name>` with `lo` up and the node sysctls.
    pub fn node(&self, name: &str) -> Result<Netns> {
        check_ifname(name)?;
        let ns = Netns::new(format!("{}-{name}", self.id));
        run(Command::new("ip").args(["netns", "add", ns.name()]))?;
        self.nodes.lock().unwrap_or_else(PoisonError::into_inner).push(ns.clone());
        ns.link_up("lo")?;
        for (key, value) in NODE_SYSCTLS {
            ns.sysctl(key, value)?;
        }
        Ok(ns)
    }

    /// Links `a`'s interface `a_if` and `b`'s interface `b_if` with a veth
    /// pair, offloads off, both ends up. Interfaces get only their kernel
    /// link-local IPv6 address; add others with [`Netns::add_addr`].
    pub fn veth(&self, a: &Netns, a_if: &str, b: &Netns, b_if: &str) -> Result<()> {
        self.veth_with_macs(a, a_if, b, b_if, None)
    }

    /// Like [`Lab::veth`] with fixed MAC addresses, which makes the EUI-64
    /// link-local addresses predictable (`02:00:00:00:00:01` gives
    /// `fe80::ff:fe00:1`).
    pub fn veth_with_macs(
        &self,
        a: &Netns,
        a_if: &str,
        b: &Netns,
        b_if: &str,
        macs: Option<(&str, &str)>,
    ) -> Result<()> {
        check_ifname(a_if)?;
        check_ifname(b_if)?;
        // Temporary names in the root namespace, unique across processes:
        // "nl" + pid + counter in hex, at most 2 + 6 + 4 + 1 bytes.
        let n = COUNTER.fetch_add(1, Ordering::Relaxed) & 0xffff;
        let tmp_a = format!("nl{:x}{n:x}a", std::process::id());
        let tmp_b = format!("nl{:x}{n:x}b", std::process::id());
        run(Command::new("ip")
            .args(["link", "add", &tmp_a, "type", "veth", "peer", "name", &tmp_b]))?;
        let moved = (|| {
            run(Command::new("ip").args(["link", "set", &tmp_a, "netns", a.name(), "name", a_if]))?;
            run(Command::new("ip").args(["link", "set", &tmp_b, "netns", b.name(), "name", b_if]))
        })();
        if let Err(err) = moved {
            // Deleting one end deletes the pair, wherever it is.
            let _ = run(Command::new("ip").args(["link", "del", &tmp_a]));
            let _ = a.ip(&["link", "del", a_if]);
            return Err(err);
        }
        if let Some((mac_a, mac_b)) = macs {
            a.set_mac(a_if, mac_a)?;
            b.set_mac(b_if, mac_b)?;
        }
        for (ns, iface) in [(a, a_if), (b, b_if)] {
            ns.offloads_off(iface)?;
            ns.link_up(iface)?;
        }
        Ok(())
    }

    /// A broadcast segment: a switch namespace `name` holding bridge `br0`,
    /// with one veth to each member's interface. Returns the switch.
    pub fn segment(&self, name: &str, members: &[(&Netns, &str)]) -> Result<Netns> {
        let switch = self.node(name)?;
        switch.add_bridge("br0")?;
        for (i, (ns, iface)) in members.iter().enumerate() {
            let port = format!("p{i}");
            self.veth(ns, iface, &switch, &port)?;
            switch.set_master(&port, "br0")?;
        }
        Ok(switch)
    }

    /// The namespaces created so far.
    pub fn nodes(&self) -> Vec<Netns> {
        self.nodes.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let nodes = std::mem::take(&mut *self.nodes.lock().unwrap_or_else(PoisonError::into_inner));
        for ns in nodes.iter().rev() {
            kill_all(ns.name());
        }
        for ns in nodes.iter().rev() {
            let _ = run(Command::new("ip").args(["netns", "del", ns.name()]));
        }
        if std::thread::panicking() {
            eprintln!("netlab: lab {} failed; state kept in {}", self.id, self.dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Kills every process in namespace `name`: SIGTERM, up to a second to
/// exit, then SIGKILL.
fn kill_all(name: &str) {
    let pids = |name: &str| -> Vec<i32> {
        run(Command::new("ip").args(["netns", "pids", name]))
            .map(|out| out.split_whitespace().filter_map(|p| p.parse().ok()).collect())
            .unwrap_or_default()
    };
    let first = pids(name);
    for &pid in &first {
        signal(pid, libc::SIGTERM);
    }
    for _ in 0..50 {
        if first.iter().all(|&pid| exited(pid)) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    for pid in pids(name) {
        if !exited(pid) {
            signal(pid, libc::SIGKILL);
        }
    }
}

/// Deletes namespaces `PREFIX<pid>-...` whose process `pid` is gone, and
/// their state folders.
fn remove_stale(prefix: &str) -> Result<()> {
    let out = run(Command::new("ip").args(["netns", "list"]))?;
    for name in out.lines().filter_map(|l| l.split_whitespace().next()) {
        if stale_owner(prefix, name).is_some_and(|pid| !alive(pid)) {
            kill_all(name);
            let _ = run(Command::new("ip").args(["netns", "del", name]));
        }
    }
    if let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) {
        for entry in entries.flatten() {
            let file_name = entry.file_name();
            let Some(id) = file_name.to_str().and_then(|f| f.strip_prefix("netlab-")) else {
                continue;
            };
            if stale_owner(prefix, id).is_some_and(|pid| !alive(pid)) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    Ok(())
}

/// The pid in a name `PREFIX<pid>-...` made by [`Lab`], if it is one.
fn stale_owner(prefix: &str, name: &str) -> Option<i32> {
    let rest = name.strip_prefix(prefix)?;
    let (pid, _) = rest.split_once('-')?;
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| Error::file(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_owner_reads_the_pid_after_the_prefix() {
        assert_eq!(stale_owner("t", "t1234-0-r1"), Some(1234));
        assert_eq!(stale_owner("t", "tt1234-0-r1"), None);
        assert_eq!(stale_owner("t", "x1234-0-r1"), None);
        assert_eq!(stale_owner("t", "t-0-r1"), None);
        assert_eq!(stale_owner("t", "t12"), None);
    }

    #[test]
    fn prefix_is_checked() {
        assert!(matches!(Lab::new("Bad1"), Err(Error::InvalidName { .. })));
        assert!(matches!(Lab::new("waytoolongprefix"), Err(Error::InvalidName { .. })));
    }
}
