//! The side-by-side benchmark: each scenario against each daemon in a namespace lab, the
//! same work for all, medians of several runs, ratios to ours; and the CI guard built on it.

pub mod dut;
pub mod procfs;
pub mod report;
pub mod run;
pub mod scenario;

use std::path::{Path, PathBuf};

use ipnet::IpNet;
use serde::Serialize;

use crate::churn;
use crate::prefixes;
use crate::table::TableFamily;
pub use dut::Daemon;
pub use report::Row;
pub use run::{RunResult, Settings, Workload};
pub use scenario::Scenario;

/// What to run.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Scenarios, in order.
    pub scenarios: Vec<Scenario>,
    /// Daemons, in order (ours first gives the ratios their base).
    pub daemons: Vec<Daemon>,
    /// Runs of each (scenario, daemon).
    pub runs: usize,
    /// Only the first N prefixes of the table.
    pub prefixes: Option<usize>,
    /// Churn events replayed (from the start of the day).
    pub churn_events: usize,
    /// The data folder.
    pub data_dir: PathBuf,
    /// Lab, daemon and timing settings.
    pub settings: Settings,
}

/// Everything measured.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    /// One row per (scenario, daemon).
    pub rows: Vec<Row>,
    /// Every run.
    pub runs: Vec<RunResult>,
}

fn load_prefixes(
    dir: &Path,
    family: TableFamily,
    limit: Option<usize>,
) -> Result<Vec<IpNet>, String> {
    let file = match family {
        TableFamily::Ipv4 => prefixes::IPV4_FILE,
        TableFamily::Ipv6 => prefixes::IPV6_FILE,
    };
    let all = prefixes::load(&dir.join(file), limit).map_err(|e| e.to_string())?;
    // The same prefix twice would be one route to a device: keep the first.
    let mut seen = std::collections::HashSet::with_capacity(all.len());
    Ok(all.into_iter().filter(|p| seen.insert(*p)).collect())
}

fn load_churn(dir: &Path, family: TableFamily, limit: usize) -> Result<Vec<churn::Event>, String> {
    let file = match family {
        TableFamily::Ipv4 => churn::IPV4_CHURN_FILE,
        TableFamily::Ipv6 => churn::IPV6_CHURN_FILE,
    };
    churn::load(&dir.join(file), Some(limit)).map_err(|e| e.to_string())
}

/// Runs the plan; `progress` is told about each run as it ends.
pub fn execute(plan: &Plan, mut progress: impl FnMut(&RunResult)) -> Result<Outcome, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    if plan.settings.pin && procfs::cpus() >= 2 {
        // This process (the generators and sinks) keeps off CPU 0, the device's.
        let me = i32::try_from(std::process::id()).map_err(|e| e.to_string())?;
        let others = format!("1-{}", procfs::cpus() - 1);
        let out = std::process::Command::new("taskset")
            .args(["-a", "-p", "-c", &others, &me.to_string()])
            .output()
            .map_err(|e| format!("taskset: {e}"))?;
        if !out.status.success() {
            return Err(format!("taskset: {}", String::from_utf8_lossy(&out.stderr)));
        }
    }
    let mut rows = Vec::new();
    let mut all = Vec::new();
    for &scenario in &plan.scenarios {
        let shape = scenario.shape();
        let prefixes = load_prefixes(&plan.data_dir, shape.family, plan.prefixes)?;
        let churn = if shape.phase == scenario::Phase::Churn {
            load_churn(&plan.data_dir, shape.family, plan.churn_events)?
        } else {
            Vec::new()
        };
        let work = Workload::new(scenario, &prefixes, &churn)?;
        for &daemon in &plan.daemons {
            let version = daemon.version(&plan.settings.bgp_peer);
            let mut runs = Vec::new();
            if version.is_ok() {
                for n in 1..=plan.runs {
                    let r = run::run_once(&rt, &plan.settings, &work, daemon, n);
                    progress(&r);
                    runs.push(r);
                }
            }
            let mut row = report::row(scenario.name(), daemon.name(), version, &runs);
            row.no_fib = plan.settings.fib && !daemon.has_fib();
            rows.push(row);
            all.extend(runs);
        }
    }
    report::ratios(&mut rows);
    Ok(Outcome { rows, runs: all })
}

/// Writes `bench.md`, `bench.json` and one `SCENARIO.svg` per scenario into `dir`.
pub fn write_outputs(outcome: &Outcome, dir: &Path) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut written = Vec::new();
    let mut put = |name: &str, text: String| -> Result<(), String> {
        let p = dir.join(name);
        std::fs::write(&p, text).map_err(|e| format!("{}: {e}", p.display()))?;
        written.push(p);
        Ok(())
    };
    put("bench.md", report::markdown(&outcome.rows))?;
    put("bench.json", serde_json::to_string_pretty(outcome).map_err(|e| e.to_string())?)?;
    let mut scenarios: Vec<&str> = outcome.runs.iter().map(|r| r.scenario.as_str()).collect();
    scenarios.dedup();
    for s in scenarios {
        // The first successful run of each daemon.
        let mut series: Vec<(String, Vec<(f64, usize)>)> = Vec::new();
        for r in outcome.runs.iter().filter(|r| r.scenario == s && r.error.is_none()) {
            if !series.iter().any(|(n, _)| *n == r.daemon) {
                series.push((r.daemon.clone(), r.series.clone()));
            }
        }
        put(&format!("{s}.svg"), report::svg(&format!("{s}: routes at the sink"), &series))?;
    }
    Ok(written)
}

/// The guard's verdict: ours must be no slower than BIRD end to end (median time until the
/// sink holds the table) and use no more bytes per route. Returns the reasons it fails.
pub fn guard_verdict(rows: &[Row]) -> Vec<String> {
    let find = |d: &str| rows.iter().find(|r| r.daemon == d);
    let mut fail = Vec::new();
    let (Some(ours), Some(bird)) = (find("ours"), find("bird")) else {
        return vec!["the guard needs a row for ours and one for bird".into()];
    };
    for r in [ours, bird] {
        if !r.ran || r.runs == 0 {
            fail.push(format!(
                "{}: no successful run ({})",
                r.daemon,
                r.error.as_deref().unwrap_or(&r.version)
            ));
        }
    }
    if !fail.is_empty() {
        return fail;
    }
    match (ours.sink_secs, bird.sink_secs) {
        (Some(o), Some(b)) if o > b => fail.push(format!(
            "ours is slower than BIRD end to end: {o:.2} s against {b:.2} s ({:.2}x)",
            o / b
        )),
        (Some(_), Some(_)) => {}
        _ => fail.push("no end-to-end time".into()),
    }
    match (ours.bytes_per_route, bird.bytes_per_route) {
        (Some(o), Some(b)) if o > b => fail.push(format!(
            "ours uses more memory per route than BIRD: {o:.0} bytes against {b:.0} ({:.2}x)",
            o / b
        )),
        (Some(_), Some(_)) => {}
        _ => fail.push("no bytes per route".into()),
    }
    fail
}
