//! Support shared by the integration tests.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use netlab::Netns;
use serde_json::Value;

/// One lab at a time, across threads (`cargo test`), processes (`cargo nextest`) and test
/// files: an exclusive `flock` on a file in the temporary folder, released when the guard
/// drops. The daemons' 1/3 s timers do not like sharing two cores with other labs.
pub struct Serial {
    _thread: MutexGuard<'static, ()>,
    _file: std::fs::File,
}

static SERIAL: Mutex<()> = Mutex::new(());

pub fn serial() -> Serial {
    let thread = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    let path = std::env::temp_dir().join("bgp-interop.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .expect("lock file");
    // SAFETY: flock(2) on a descriptor owned by `file`, which outlives the lock.
    #[allow(unsafe_code)]
    let rc = unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&file), libc::LOCK_EX) };
    assert_eq!(rc, 0, "flock {}: {}", path.display(), std::io::Error::last_os_error());
    Serial { _thread: thread, _file: file }
}

/// Builds `package`'s binary with the cargo running the tests (same target directory) and
/// returns the executable's path from cargo's JSON messages.
pub fn binary(package: &str) -> std::path::PathBuf {
    build(package, &[])
}

/// [`binary`] in the release profile, for tests whose load (a full table) a debug build
/// would take minutes over, and for tests that measure the program (memory, descriptors,
/// thousands of sessions) rather than only its behaviour.
pub fn binary_release(package: &str) -> std::path::PathBuf {
    build(package, &["--release"])
}

fn build(package: &str, extra: &[&str]) -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_owned();
    let out = std::process::Command::new(env!("CARGO"))
        .current_dir(&root)
        .args(["build", "-p", package, "--message-format=json-render-diagnostics"])
        .args(extra)
        .output()
        .expect("cargo build");
    assert!(
        out.status.success(),
        "cargo build -p {package} {extra:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["reason"] == "compiler-artifact" && v["target"]["name"] == package)
        .find_map(|v| v["executable"].as_str().map(std::path::PathBuf::from))
        .expect("the executable in cargo's output")
}

/// Our OSPF router (`ospf-router`, in process) on a thread inside a namespace, its JSON
/// events collected; stopped (our LSAs flushed) when dropped.
pub struct OspfRouter {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    events: Arc<Mutex<Vec<Value>>>,
    started: std::time::Instant,
}

impl OspfRouter {
    pub fn start(ns: &Netns, toml: &str) -> OspfRouter {
        Self::start_with(ns, toml, false)
    }

    /// With `show_rib`, the final table is in the events after [`OspfRouter::stop`].
    pub fn start_with(ns: &Netns, toml: &str, show_rib: bool) -> OspfRouter {
        let cfg = ospf_router::config::parse("test.toml", toml).expect("valid configuration");
        let events = Arc::new(Mutex::new(Vec::new()));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let ns = ns.clone();
        let sink = Arc::clone(&events);
        let thread = std::thread::spawn(move || {
            let _inside = ns.enter().expect("enter the namespace");
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            let t0 = std::time::Instant::now();
            let push = |mut v: Value| {
                if let Value::Object(m) = &mut v {
                    m.insert("t_ms".into(), (t0.elapsed().as_millis() as u64).into());
                }
                sink.lock().unwrap_or_else(PoisonError::into_inner).push(v);
            };
            let result = rt.block_on(ospf_router::router::run(cfg, show_rib, push, async {
                let _ = stopped.await;
            }));
            if let Err(e) = result {
                push(serde_json::json!({"event": "error", "error": e.to_string()}));
            }
        });
        OspfRouter {
            stop: Some(stop),
            thread: Some(thread),
            events,
            started: std::time::Instant::now(),
        }
    }

    /// When it was started.
    pub fn started(&self) -> std::time::Instant {
        self.started
    }

    pub fn events(&self) -> Vec<Value> {
        self.events.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    pub fn events_of(&self, kind: &str) -> Vec<Value> {
        self.events().into_iter().filter(|e| e["event"] == kind).collect()
    }

    /// The last state we reported for neighbour `rid`.
    pub fn neighbor_state(&self, rid: &str) -> Option<String> {
        self.events_of("neighbor")
            .iter()
            .rev()
            .find(|e| e["router_id"] == rid)
            .and_then(|e| e["new"].as_str().map(str::to_owned))
    }

    /// Our routing table, replayed from the route events.
    pub fn table(&self) -> BTreeMap<String, Value> {
        let mut t = BTreeMap::new();
        for e in self.events_of("route") {
            let prefix = e["prefix"].as_str().unwrap_or_default().to_owned();
            if e["change"] == "delete" {
                t.remove(&prefix);
            } else {
                t.insert(prefix, e);
            }
        }
        t
    }

    /// Every event with its time, for failure messages.
    pub fn timeline(&self) -> String {
        let mut out = format!("(test at {} ms)\n", self.started.elapsed().as_millis());
        for e in self.events() {
            out.push_str(&format!("  {e}\n"));
        }
        out
    }

    /// Stops the router (our LSAs flushed) and returns every event.
    pub fn stop(&mut self) -> Vec<Value> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.events()
    }

    pub fn assert_no_error(&self) {
        let errors = self.events_of("error");
        assert!(errors.is_empty(), "our router failed: {errors:?}");
    }
}

impl Drop for OspfRouter {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Two nodes of `lab`, `us` (10.0.0.1/30) and `peer` (10.0.0.2/30), joined by a veth pair
/// named `eth0` on both sides.
pub fn p2p_pair(lab: &netlab::Lab) -> (Netns, Netns) {
    let us = lab.node("us").expect("node");
    let peer = lab.node("peer").expect("node");
    lab.veth(&us, "eth0", &peer, "eth0").expect("veth");
    us.add_addr("eth0", "10.0.0.1/30").expect("addr");
    peer.add_addr("eth0", "10.0.0.2/30").expect("addr");
    (us, peer)
}

/// FRR `ospf6d`'s state for OSPFv3 neighbour `rid` (`Full`, `ExStart`, ...), from
/// `show ipv6 ospf6 neighbor json`.
pub fn frr6_neighbor(frr: &netlab::Frr, rid: &str) -> Option<String> {
    let v = frr.vtysh_json("show ipv6 ospf6 neighbor json").ok()?;
    v["neighbors"]
        .as_array()?
        .iter()
        .find(|n| n["neighborId"] == rid)
        .and_then(|n| n["state"].as_str().map(str::to_owned))
}

/// BIRD's state line for OSPF neighbour `rid` in `show ospf neighbors` (`Full/PtP`,
/// `Full/DR`, ...).
pub fn bird_neighbor(bird: &netlab::Bird, rid: &str) -> Option<String> {
    let out = bird.birdc("show ospf neighbors").ok()?;
    out.lines().find_map(|l| {
        let mut f = l.split_whitespace();
        (f.next()? == rid).then(|| {
            let _pri = f.next();
            f.next().map(str::to_owned)
        })?
    })
}
