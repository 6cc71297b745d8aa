//! Support shared by the integration tests.

use std::sync::{Mutex, MutexGuard, PoisonError};

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
