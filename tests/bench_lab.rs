//! The benchmark harness of `bgp-load` at a tiny size, against our speaker and BIRD: every
//! sink must hold exactly the prefixes the generators sent, each device must report every
//! path, and withdrawals must empty the sink. This checks the harness, not the timings.

use std::time::Duration;

use bgp_load::bench::{self, Daemon, Plan, Scenario, Settings};

const PREFIXES: usize = 2000;

fn plan(scenarios: Vec<Scenario>) -> Plan {
    let data_dir = bgp_load::prefixes::data_dir();
    assert!(
        data_dir.join(bgp_load::prefixes::IPV4_FILE).exists(),
        "{} has no prefix files (set {})",
        data_dir.display(),
        bgp_load::prefixes::DATA_DIR_ENV
    );
    Plan {
        scenarios,
        daemons: vec![Daemon::Ours, Daemon::Bird],
        runs: 1,
        prefixes: Some(PREFIXES),
        churn_events: 0,
        data_dir,
        settings: Settings {
            lab_prefix: "benchlab".into(),
            bgp_peer: integration_tests::binary("bgp-peer"),
            fib: false,
            poll: Duration::from_millis(50),
            timeout: Duration::from_secs(60),
            churn_rate: 1000,
            pin: false,
        },
    }
}

#[test]
fn sinks_receive_exactly_the_table_from_ours_and_bird() {
    let _serial = integration_tests::serial();
    let outcome = bench::execute(
        &plan(vec![Scenario::Ipv4, Scenario::Ipv6, Scenario::Relearn, Scenario::Receivers10]),
        |_| {},
    )
    .expect("benchmark");
    assert_eq!(outcome.runs.len(), 8, "4 scenarios x 2 daemons");
    for r in &outcome.runs {
        let what = format!("{} {}", r.scenario, r.daemon);
        assert_eq!(r.error, None, "{what}");
        assert_eq!(r.paths, PREFIXES as u64, "{what}");
        assert_eq!(r.prefixes, PREFIXES, "{what}");
        assert!(r.rib_secs.is_some(), "{what}: the device never reported every path");
        assert!(r.sink_secs.is_some(), "{what}: the sink never held the table");
        assert_eq!((r.missing, r.unexpected), (0, 0), "{what}");
        let sinks = if r.scenario == "receivers-10" { 10 } else { 1 };
        assert_eq!(r.sinks.len(), sinks, "{what}");
        for s in &r.sinks {
            let (mine, other) =
                if r.scenario == "ipv6" { (s.ipv6, s.ipv4) } else { (s.ipv4, s.ipv6) };
            assert_eq!(other.announced + other.withdrawn, 0, "{what}: other family");
            if r.scenario == "relearn" {
                // The table, all of it withdrawn, the table again.
                assert!(mine.announced >= 2 * PREFIXES as u64, "{what}: {s:?}");
                assert!(mine.withdrawn >= PREFIXES as u64, "{what}: {s:?}");
                assert!(r.withdraw_secs.is_some() && r.relearn_secs.is_some(), "{what}");
            } else {
                assert!(mine.announced >= PREFIXES as u64, "{what}: {s:?}");
                assert_eq!(mine.withdrawn, 0, "{what}: {s:?}");
            }
            assert_eq!(s.held, PREFIXES, "{what}");
        }
        assert!(r.peak_rss > 0, "{what}: no memory figure");
    }
    assert_eq!(outcome.rows.len(), 8);
    for row in &outcome.rows {
        assert!(row.ran && row.runs == 1 && row.failed == 0, "{row:?}");
        assert!(row.sink_secs.is_some() && row.bytes_per_route.is_some(), "{row:?}");
    }
}
