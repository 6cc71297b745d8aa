//! The binary's command line: the sample configuration passes `--check`, a
//! bad one is refused with `file:line: reason` and exit status 2.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_ospf-router");

fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("ospf-router-cli-{}-{name}", std::process::id()));
    std::fs::write(&path, text).expect("write the file");
    path
}

#[test]
fn sample_configuration_checks() {
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/ospf-router.toml");
    let out = Command::new(BIN).args(["--check", sample]).output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let line: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("one JSON object on stdout");
    assert_eq!(line["config"], "ok");
}

#[test]
fn bad_configuration_is_refused_with_file_and_line() {
    let path = temp_file(
        "bad.toml",
        "router-id = \"10.0.0.1\"\n\n[[interface]]\nname = \"eth0\"\narea = \"0.0.0.2\"\n\
         hello-interval = 10\ndead-interval = 5\n",
    );
    let out = Command::new(BIN).arg(&path).output().expect("run");
    let _ = std::fs::remove_file(&path);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.trim(),
        format!("{}:7: dead-interval 5 s must be longer than hello-interval 10 s", path.display())
    );
    assert!(out.stdout.is_empty(), "nothing on stdout");
}

#[test]
fn missing_file_names_the_file() {
    let out = Command::new(BIN).arg("/nonexistent/ospf.toml").output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("/nonexistent/ospf.toml: "), "{err}");
}
