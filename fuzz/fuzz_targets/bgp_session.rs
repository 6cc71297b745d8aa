//! An Established session fed arbitrary bytes by its peer: never panics, sends at most one
//! NOTIFICATION, and closes the connection after sending one.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let outcome = bgp_fsm::fuzzing::run(std::time::Instant::now(), data);
    assert!(outcome.notifications <= 1, "{outcome:?}");
    if outcome.notifications == 1 {
        assert!(outcome.closed, "{outcome:?}");
    }
});
