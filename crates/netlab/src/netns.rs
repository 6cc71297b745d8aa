//! One network namespace of a lab: commands, processes, interfaces.

use std::net::Ipv6Addr;
use std::path::Path;
use std::process::Command;

#[cfg(test)]
use crate::cmd::command_line;
use crate::cmd::{run, ChildGuard};
use crate::enter::NetnsGuard;
use crate::{Error, Result};

/// Longest interface name Linux accepts (IFNAMSIZ - 1).
pub(crate) const IFNAME_MAX: usize = 15;

/// Checks that `name` is usable as an interface name.
pub(crate) fn check_ifname(name: &str) -> Result<()> {
    let reason = if name.is_empty() {
        Some("empty")
    } else if name.len() > IFNAME_MAX {
        Some("longer than 15 bytes")
    } else if name.chars().any(|c| c == '/' || c == ':' || c.is_whitespace()) {
        Some("contains '/', ':' or a space")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(Error::InvalidName { name: name.to_owned(), reason }),
        None => Ok(()),
    }
}

/// A network namespace created by a [`crate::Lab`]. Cheap to clone: it is
/// only the name; the lab owns the namespace and deletes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Netns {
    name: String,
}

impl Netns {
    pub(crate) fn new(name: String) -> Self {
        Netns { name }
    }

    /// The namespace name, as `ip netns` shows it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The namespace file, `/run/netns/NAME`.
    pub fn path(&self) -> String {
        format!("/run/netns/{}", self.name)
    }

    /// A `Command` that runs `program` in this namespace
    /// (`ip netns exec NAME program`); add arguments and run it as usual.
    pub fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.name, program]);
        cmd
    }

    fn command_args(&self, args: &[&str]) -> Result<Command> {
        let (program, rest) = args
            .split_first()
            .ok_or_else(|| Error::InvalidName { name: String::new(), reason: "empty command" })?;
        let mut cmd = self.command(program);
        cmd.args(rest);
        Ok(cmd)
    }

    /// Runs `args` in this namespace to completion and returns its stdout.
    ///
    /// # Errors
    ///
    /// [`Error::Command`] with its stderr when it exits with a failure.
    pub fn exec(&self, args: &[&str]) -> Result<String> {
        run(&mut self.command_args(args)?)
    }

    /// Starts `args` in this namespace with stdout and stderr discarded.
    /// The process is stopped when the returned guard drops.
    pub fn spawn(&self, args: &[&str]) -> Result<ChildGuard> {
        ChildGuard::spawn(self.command_args(args)?, None)
    }

    /// Starts `args` in this namespace with stdout and stderr appended to
    /// `log`. The process is stopped when the returned guard drops.
    pub fn spawn_logged(&self, args: &[&str], log: &Path) -> Result<ChildGuard> {
        ChildGuard::spawn(self.command_args(args)?, Some(log))
    }

    /// Moves the current thread into this namespace until the guard drops;
    /// see [`NetnsGuard`].
    pub fn enter(&self) -> Result<NetnsGuard> {
        NetnsGuard::enter(&self.path())
    }

    /// Sets a sysctl in this namespace, e.g. `("net.ipv4.ip_forward", "1")`.
    pub fn sysctl(&self, key: &str, value: &str) -> Result<()> {
        self.exec(&["sysctl", "-qw", &format!("{key}={value}")]).map(drop)
    }

    /// Runs `ip ARGS` in this namespace (`ip -n NAME ARGS`).
    pub fn ip(&self, args: &[&str]) -> Result<String> {
        let mut cmd = Command::new("ip");
        cmd.args(["-n", &self.name]).args(args);
        run(&mut cmd)
    }

    /// Brings `iface` up.
    pub fn link_up(&self, iface: &str) -> Result<()> {
        self.ip(&["link", "set", iface, "up"]).map(drop)
    }

    /// Adds an address with prefix length, IPv4 or IPv6 (`"10.0.0.1/24"`,
    /// `"fd00::1/64"`, `"fe80::1/64"`).
    pub fn add_addr(&self, iface: &str, cidr: &str) -> Result<()> {
        self.ip(&["addr", "add", cidr, "dev", iface]).map(drop)
    }

    /// Sets the MTU of `iface`.
    pub fn set_mtu(&self, iface: &str, mtu: u32) -> Result<()> {
        self.ip(&["link", "set", iface, "mtu", &mtu.to_string()]).map(drop)
    }

    /// Sets the MAC address of `iface`. Set it while the link is down to get
    /// a predictable EUI-64 link-local address when it comes up.
    pub fn set_mac(&self, iface: &str, mac: &str) -> Result<()> {
        self.ip(&["link", "set", iface, "address", mac]).map(drop)
    }

    /// Turns segmentation and checksum offloads off on `iface`, so captures
    /// see real segments with filled checksums.
    pub fn offloads_off(&self, iface: &str) -> Result<()> {
        self.exec(&[
            "ethtool", "-K", iface, "tso", "off", "gso", "off", "gro", "off", "tx", "off", "rx",
            "off",
        ])
        .map(drop)
    }

    /// Creates a bridge named `name` and brings it up. An empty bridge also
    /// serves as a stub interface (the kernel here has no `dummy` links).
    pub fn add_bridge(&self, name: &str) -> Result<()> {
        check_ifname(name)?;
        self.ip(&["link", "add", name, "type", "bridge"])?;
        self.link_up(name)
    }

    /// Makes `iface` a port of `bridge`.
    pub fn set_master(&self, iface: &str, bridge: &str) -> Result<()> {
        self.ip(&["link", "set", iface, "master", bridge]).map(drop)
    }

    /// The IPv6 link-local address of `iface` (the first, if several).
    pub fn link_local(&self, iface: &str) -> Result<Ipv6Addr> {
        let out = self.ip(&["-6", "-o", "addr", "show", "dev", iface, "scope", "link"])?;
        parse_link_local(&out).ok_or_else(|| Error::Output {
            command: format!("ip -n {} -6 -o addr show dev {iface} scope link", self.name),
            detail: "no link-local address".into(),
        })
    }

    /// Pids of every process in this namespace (`ip netns pids`).
    pub fn pids(&self) -> Result<Vec<i32>> {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "pids", &self.name]);
        Ok(run(&mut cmd)?.split_whitespace().filter_map(|p| p.parse().ok()).collect())
    }
}

/// Finds the address in `ip -6 -o addr` output: "2: eth0 inet6 fe80::1/64 scope link ...".
fn parse_link_local(out: &str) -> Option<Ipv6Addr> {
    out.split_whitespace()
        .skip_while(|w| *w != "inet6")
        .nth(1)
        .and_then(|cidr| cidr.split('/').next())
        .and_then(|addr| addr.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_names_are_checked() {
        assert!(check_ifname("eth0").is_ok());
        assert!(check_ifname("abcdefghijklmno").is_ok());
        assert!(check_ifname("abcdefghijklmnop").is_err());
        assert!(check_ifname("").is_err());
        assert!(check_ifname("a/b").is_err());
        assert!(check_ifname("a b").is_err());
    }

    #[test]
    fn link_local_is_parsed_from_ip_output() {
        let out = "2: eth0    inet6 fe80::ff:fe00:1/64 scope link \\       valid_lft forever\n";
        assert_eq!(parse_link_local(out), "fe80::ff:fe00:1".parse().ok());
        assert_eq!(parse_link_local(""), None);
    }

    #[test]
    fn commands_run_under_ip_netns_exec() {
        let ns = Netns::new("x1".into());
        let mut cmd = ns.command("ping");
        cmd.arg("-c1");
        assert_eq!(command_line(&cmd), "ip netns exec x1 ping -c1");
    }
}
