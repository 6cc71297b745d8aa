//! OSPFv2 cryptographic authentication with HMAC-SHA (RFC 5709) between our router
//! (`ospf-router`'s library, run in a namespace) and BIRD 2 on a point-to-point veth: the
//! right key brings the adjacency to Full, a wrong key never does. Debian's FRR 8.4 ospfd has
//! no HMAC-SHA (`ip ospf authentication key-chain` came later), so BIRD is the peer here;
//! keyed MD5 against FRR is in `ospf_interop.rs`.

use std::time::Duration;

use integration_tests::OspfRouter as Ours;
use integration_tests::{bird_neighbor, p2p_pair, serial};
use netlab::{wait_until, Bird, Lab};

const POLL: Duration = Duration::from_millis(200);

const KEY: &str = "a key of more than sixteen bytes";

/// BIRD with HMAC-SHA-256, key id 3.
fn bird_conf() -> String {
    format!(
        "router id 10.0.0.2;\nprotocol device {{}}\nprotocol ospf v2 ospf1 {{\n  ipv4 {{ import all; export none; }};\n  \
         area 0 {{\n    interface \"eth0\" {{\n      type ptp; hello 1; dead 4;\n      \
         authentication cryptographic;\n      password \"{KEY}\" {{ id 3; algorithm hmac sha256; }};\n    }};\n  }};\n}}\n"
    )
}

fn ours_conf(key: &str) -> String {
    format!(
        "router-id = \"10.0.0.1\"\n\n[[interface]]\nname = \"eth0\"\narea = \"0.0.0.0\"\n\
         network = \"point-to-point\"\nhello-interval = 1\ndead-interval = 4\n\
         auth = {{ type = \"hmac-sha\", algorithm = \"sha256\", key-id = 3, key = \"{key}\" }}\n"
    )
}

#[test]
fn ospf_hmac_sha256_with_bird_comes_up() {
    let _s = serial();
    let lab = Lab::new("sechmac").expect("lab");
    let (us, peer) = p2p_pair(&lab);
    let dir = lab.subdir("bird").expect("state folder");
    let bird = Bird::start(&peer, &dir, &bird_conf()).expect("BIRD starts");
    let ours = Ours::start(&us, &ours_conf(KEY));
    wait_until(Duration::from_secs(30), POLL, "both sides Full with HMAC-SHA-256", || {
        ours.neighbor_state("10.0.0.2").as_deref() == Some("Full")
            && bird_neighbor(&bird, "10.0.0.1").is_some_and(|s| s.starts_with("Full"))
    })
    .unwrap_or_else(|e| {
        panic!("{e}: ours\n{}BIRD {:?}", ours.timeline(), bird.birdc("show ospf neighbors"))
    });
    assert!(ours.events_of("auth-failure").is_empty(), "{}", ours.timeline());
    assert!(ours.events_of("error").is_empty(), "{}", ours.timeline());
}

#[test]
fn ospf_hmac_sha256_with_a_wrong_key_never_comes_up() {
    let _s = serial();
    let lab = Lab::new("sechmac").expect("lab");
    let (us, peer) = p2p_pair(&lab);
    let dir = lab.subdir("bird").expect("state folder");
    let bird = Bird::start(&peer, &dir, &bird_conf()).expect("BIRD starts");
    let ours = Ours::start(&us, &ours_conf("not the key"));
    wait_until(Duration::from_secs(10), POLL, "authentication failures", || {
        ours.events_of("auth-failure").len() >= 3
    })
    .unwrap_or_else(|e| panic!("{e}: {}", ours.timeline()));
    // Two dead intervals more: BIRD's Hellos are refused, so we never see the neighbour,
    // and BIRD refuses ours.
    std::thread::sleep(Duration::from_secs(8));
    assert_eq!(ours.neighbor_state("10.0.0.2"), None, "{}", ours.timeline());
    assert_eq!(bird_neighbor(&bird, "10.0.0.1"), None, "BIRD took our Hellos");
    assert_eq!(ours.events_of("auth-failure")[0]["src"], "10.0.0.2");
    assert!(ours.events_of("error").is_empty(), "{}", ours.timeline());
}
