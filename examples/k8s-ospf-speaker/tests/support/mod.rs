//! What the namespace tests of the agent share: a node (its namespace, its agent as a
//! child process, its files), its kernel routes, `show` and metrics from inside it.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Duration;

use netlab::{wait_until, ChildGuard, Lab, Netns};
use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_k8s-ospf-speaker");
pub const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/k8s-ospf-speaker.toml");
const POLL: Duration = Duration::from_millis(250);

/// One node: its namespace, its agent (a child process), its files.
pub struct Node {
    pub ns: Netns,
    pub name: &'static str,
    pub config: PathBuf,
    socket: PathBuf,
    log: PathBuf,
    pub agent: Option<ChildGuard>,
}

impl Node {
    /// The node's files, with `SOCKET` in `config_text` replaced by its control socket.
    pub fn new(lab: &Lab, ns: Netns, name: &'static str, config_text: &str) -> Node {
        let dir = lab.subdir(name).expect("state folder");
        let socket = dir.join("control.sock");
        let config = dir.join("k8s-ospf-speaker.toml");
        std::fs::write(&config, config_text.replace("SOCKET", &socket.display().to_string()))
            .expect("write the configuration");
        Node { ns, name, config, socket, log: dir.join("agent.log"), agent: None }
    }

    pub fn start(&mut self) {
        let mut cmd = self.ns.command(BIN);
        cmd.arg("run").arg(&self.config).env("NODE_NAME", self.name).env("RUST_LOG", "info");
        self.agent = Some(ChildGuard::spawn(cmd, Some(&self.log)).expect("the agent starts"));
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn show(&self, words: &str) -> String {
        let out = std::process::Command::new(BIN)
            .arg("show")
            .arg("--socket")
            .arg(&self.socket)
            .args(words.split_whitespace())
            .output()
            .expect("run show");
        assert!(
            out.status.success(),
            "show {words} on {}: {}{}",
            self.name,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn show_json(&self, words: &str) -> Value {
        let text = self.show(&format!("{words} --json"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{words}: {e}: {text}"))
    }

    /// A GET of the metrics endpoint inside the node's namespace.
    pub fn http_get(&self, path: &str) -> String {
        let ns = self.ns.clone();
        let path = path.to_owned();
        std::thread::spawn(move || {
            let _inside = ns.enter().expect("enter the namespace");
            let mut s = std::net::TcpStream::connect("127.0.0.1:9342").expect("connect");
            let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            s.write_all(req.as_bytes()).expect("send");
            let mut out = String::new();
            s.read_to_string(&mut out).expect("read");
            out
        })
        .join()
        .expect("the HTTP thread")
    }
}

/// The routes of `ns`'s main table for `family` (`-4` or `-6`), as `ip -j route` gives
/// them.
pub fn kernel_routes(ns: &Netns, family: &str) -> Vec<Value> {
    let out = ns.ip(&[family, "-j", "route", "show", "table", "main"]).unwrap_or_default();
    serde_json::from_str::<Vec<Value>>(&out).unwrap_or_default()
}

/// The route to `dst` of `protocol` in `ns`'s main table.
pub fn route(ns: &Netns, family: &str, dst: &str, protocol: &str) -> Option<Value> {
    kernel_routes(ns, family).into_iter().find(|r| r["dst"] == dst && r["protocol"] == protocol)
}

pub fn ping(from: &Netns, to: &str) -> bool {
    from.exec(&["ping", "-c", "1", "-W", "1", to]).is_ok()
}

/// Waits for `cond`, and on failure panics with `context()`; prints how long it took.
pub fn wait(what: &str, secs: u64, cond: impl FnMut() -> bool, context: impl FnOnce() -> String) {
    let t0 = std::time::Instant::now();
    if let Err(e) = wait_until(Duration::from_secs(secs), POLL, what, cond) {
        panic!("{e}\n{}", context());
    }
    println!("{what}: {} ms", t0.elapsed().as_millis());
}
