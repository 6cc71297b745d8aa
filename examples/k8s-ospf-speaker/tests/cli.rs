//! The binary's command line without a network: `check` of the sample and of
//! bad files (`file:line: reason`, exit status 2), `show` with no agent.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_k8s-ospf-speaker");
const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/k8s-ospf-speaker.toml");

fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("k8s-ospf-cli-{}-{name}", std::process::id()));
    std::fs::write(&path, text).expect("write the file");
    path
}

#[test]
fn sample_checks_for_each_node() {
    for (node, rid) in [("node1", "192.168.2.11"), ("node2", "192.168.2.12")] {
        let out =
            Command::new(BIN).args(["check", SAMPLE, "--node-name", node]).output().expect("run");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(&format!("node {node}, router-id {rid}")), "{text}");
        assert!(text.contains("fd00:f4:") && text.ends_with("OSPFv2 and OSPFv3)\n"), "{text}");
    }
    // NODE_NAME picks the entry when --node-name is not given.
    let out =
        Command::new(BIN).args(["check", SAMPLE]).env("NODE_NAME", "node2").output().expect("run");
    assert!(String::from_utf8_lossy(&out.stdout).contains("10.244.2.0/24"));
}

#[test]
fn bad_files_are_refused_with_file_and_line() {
    let sample = std::fs::read_to_string(SAMPLE).expect("sample");
    let bad = sample.replace("source = \"static\" ", "source = \"dhcp\"");
    let path = temp_file("k8s.toml", &bad);
    let out =
        Command::new(BIN).args(["check", "--node-name", "node1"]).arg(&path).output().expect("run");
    let line = sample.lines().position(|l| l.starts_with("source = ")).map_or(0, |i| i + 1);
    let _ = std::fs::remove_file(&path);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let want = format!(
        "{}:{line}: source is \"static\", \"kernel\" or \"kubernetes\", not \"dhcp\"",
        path.display()
    );
    assert!(err.starts_with(&want), "{err}");

    let path = temp_file("rid.toml", &sample);
    let out =
        Command::new(BIN).args(["run", "--node-name", "node9"]).arg(&path).output().expect("run");
    let _ = std::fs::remove_file(&path);
    assert_eq!(out.status.code(), Some(2), "refused before anything starts");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(":1: no router-id") && err.contains("\"node9\""), "{err}");
}

#[test]
fn show_without_an_agent_says_so() {
    let out = Command::new(BIN)
        .args(["show", "--socket", "/nonexistent/ctl.sock", "ip", "ospf", "neighbor"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("/nonexistent/ctl.sock: ") && err.contains("is the agent running?"),
        "{err}"
    );
}
