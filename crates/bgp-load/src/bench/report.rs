//! The results: medians per scenario and daemon, ratios to ours, as a Markdown table, JSON,
//! and an SVG plot of routes received over time.

use std::fmt::Write as _;

use serde::Serialize;

use super::run::{median, RunResult};

/// The medians of one daemon in one scenario.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// Scenario name.
    pub scenario: String,
    /// Daemon name.
    pub daemon: String,
    /// Its version, or why it did not run.
    pub version: String,
    /// Whether it ran at all.
    pub ran: bool,
    /// Runs that completed.
    pub runs: usize,
    /// Runs that failed, with the first error.
    pub failed: usize,
    /// First error, if any.
    pub error: Option<String>,
    /// Kernel FIB programmed.
    pub fib: bool,
    /// A kernel FIB was asked for, and the daemon cannot program one here.
    pub no_fib: bool,
    /// Paths the device received.
    pub paths: u64,
    /// Median seconds until the device held every path.
    pub rib_secs: Option<f64>,
    /// Median seconds until the sinks held every prefix.
    pub sink_secs: Option<f64>,
    /// Median CPU seconds.
    pub cpu_secs: Option<f64>,
    /// Median peak resident set, octets.
    pub peak_rss: Option<f64>,
    /// Median bytes per route.
    pub bytes_per_route: Option<f64>,
    /// Median duration of one status poll, milliseconds.
    pub poll_ms: Option<f64>,
    /// Relearn: median withdraw seconds.
    pub withdraw_secs: Option<f64>,
    /// Relearn: median re-learn seconds.
    pub relearn_secs: Option<f64>,
    /// Churn: median of the runs' p50, milliseconds.
    pub churn_p50_ms: Option<f64>,
    /// Churn: median of the runs' p99, milliseconds.
    pub churn_p99_ms: Option<f64>,
    /// Churn: updates that reached the sink / sent, first run.
    pub churn_matched: Option<(usize, usize)>,
    /// Sink time / ours.
    pub sink_x_ours: Option<f64>,
    /// Bytes per route / ours.
    pub bytes_x_ours: Option<f64>,
    /// CPU seconds / ours.
    pub cpu_x_ours: Option<f64>,
}

fn med(results: &[&RunResult], f: impl Fn(&RunResult) -> Option<f64>) -> Option<f64> {
    let v: Vec<f64> = results.iter().filter_map(|r| f(r)).collect();
    (!v.is_empty()).then(|| median(&v))
}

/// Summarises the runs of one daemon in one scenario (`version` is `Err` when it could not
/// run).
pub fn row(
    scenario: &str,
    daemon: &str,
    version: Result<String, String>,
    runs: &[RunResult],
) -> Row {
    let ok: Vec<&RunResult> = runs.iter().filter(|r| r.error.is_none()).collect();
    let (version, ran) = match version {
        Ok(v) => (v, true),
        Err(e) => (e, false),
    };
    Row {
        scenario: scenario.into(),
        daemon: daemon.into(),
        version,
        ran,
        runs: ok.len(),
        failed: runs.len() - ok.len(),
        error: runs.iter().find_map(|r| r.error.clone()),
        fib: runs.first().is_some_and(|r| r.fib),
        no_fib: false,
        paths: runs.first().map_or(0, |r| r.paths),
        rib_secs: med(&ok, |r| r.rib_secs),
        sink_secs: med(&ok, |r| r.sink_secs),
        cpu_secs: med(&ok, |r| Some(r.cpu_secs)),
        peak_rss: med(&ok, |r| Some(r.peak_rss as f64)),
        bytes_per_route: med(&ok, |r| Some(r.bytes_per_route)),
        poll_ms: med(&ok, |r| Some(r.poll_ms)),
        withdraw_secs: med(&ok, |r| r.withdraw_secs),
        relearn_secs: med(&ok, |r| r.relearn_secs),
        churn_p50_ms: med(&ok, |r| r.churn.as_ref().map(|c| c.p50_ms)),
        churn_p99_ms: med(&ok, |r| r.churn.as_ref().map(|c| c.p99_ms)),
        churn_matched: ok.first().and_then(|r| r.churn.as_ref().map(|c| (c.matched, c.sent))),
        sink_x_ours: None,
        bytes_x_ours: None,
        cpu_x_ours: None,
    }
}

/// Fills the ratios of each row to the `ours` row of its scenario.
pub fn ratios(rows: &mut [Row]) {
    let ours: Vec<(String, Row)> = rows
        .iter()
        .filter(|r| r.daemon == "ours")
        .map(|r| (r.scenario.clone(), r.clone()))
        .collect();
    let div = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    };
    for r in rows.iter_mut() {
        if let Some((_, o)) = ours.iter().find(|(s, _)| *s == r.scenario) {
            r.sink_x_ours = div(r.sink_secs, o.sink_secs);
            r.bytes_x_ours = div(r.bytes_per_route, o.bytes_per_route);
            r.cpu_x_ours = div(r.cpu_secs, o.cpu_secs);
        }
    }
}

fn num(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "—".to_owned(), |x| format!("{x:.digits$}"))
}

/// The Markdown table.
pub fn markdown(rows: &[Row]) -> String {
    let mut s = String::from(
        "| scenario | daemon | runs | in device RIB (s) | at sink (s) | CPU (s) | peak RSS (MB) | bytes/route | sink time x ours | bytes x ours | CPU x ours | poll (ms) | notes |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n",
    );
    for r in rows {
        let mut notes = Vec::new();
        if !r.ran {
            notes.push(format!("not run: {}", r.version));
        } else {
            notes.push(r.version.clone());
        }
        if r.fib {
            notes.push("kernel FIB programmed".into());
        }
        if r.no_fib {
            notes.push("no kernel FIB: not supported here".into());
        }
        if r.failed > 0 {
            notes.push(format!(
                "{} run(s) failed: {}",
                r.failed,
                r.error.as_deref().unwrap_or("").lines().next().unwrap_or("")
            ));
        }
        if let (Some(w), Some(l)) = (r.withdraw_secs, r.relearn_secs) {
            notes.push(format!("withdraw {w:.2} s, re-learn {l:.2} s"));
        }
        if let (Some(p50), Some(p99)) = (r.churn_p50_ms, r.churn_p99_ms) {
            let m = r.churn_matched.map_or(String::new(), |(m, s)| format!(", {m} of {s} seen"));
            notes.push(format!("churn p50 {p50:.2} ms, p99 {p99:.2} ms{m}"));
        }
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.scenario,
            r.daemon,
            r.runs,
            num(r.rib_secs, 2),
            num(r.sink_secs, 2),
            num(r.cpu_secs, 2),
            num(r.peak_rss.map(|b| b / 1e6), 1),
            num(r.bytes_per_route, 0),
            num(r.sink_x_ours, 2),
            num(r.bytes_x_ours, 2),
            num(r.cpu_x_ours, 2),
            num(r.poll_ms, 1),
            notes.join("; ").replace('|', "/"),
        );
    }
    s
}

/// Colours of the plot, one per series in turn.
const COLOURS: [&str; 6] = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];

/// An SVG plot of routes held by the sink over time, one line per (name, series).
pub fn svg(title: &str, series: &[(String, Vec<(f64, usize)>)]) -> String {
    let (w, h, left, right, top, bottom) = (720.0, 420.0, 80.0, 20.0, 40.0, 50.0);
    let max_t = series.iter().flat_map(|(_, s)| s.iter().map(|p| p.0)).fold(0.0_f64, f64::max);
    let max_n = series.iter().flat_map(|(_, s)| s.iter().map(|p| p.1)).max().unwrap_or(0);
    let (max_t, max_n) = (max_t.max(1e-3), (max_n as f64).max(1.0));
    let x = |t: f64| left + (t.max(0.0) / max_t) * (w - left - right);
    let y = |n: f64| h - bottom - (n / max_n) * (h - top - bottom);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">{}</text>\n",
        w / 2.0,
        escape(title)
    );
    // Axes with five ticks each.
    let _ = writeln!(
        s,
        "<path d=\"M{left} {top} V{} H{}\" stroke=\"black\" fill=\"none\"/>",
        h - bottom,
        w - right
    );
    for i in 0..=5 {
        let t = max_t * f64::from(i) / 5.0;
        let n = max_n * f64::from(i) / 5.0;
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{t:.1}</text>\n\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            x(t),
            h - bottom + 16.0,
            left - 6.0,
            y(n) + 4.0,
            n.round()
        );
    }
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">seconds from the first UPDATE sent</text>\n\
         <text x=\"16\" y=\"{}\" transform=\"rotate(-90 16 {})\" text-anchor=\"middle\">routes at the sink</text>",
        (left + w - right) / 2.0,
        h - 12.0,
        h / 2.0,
        h / 2.0
    );
    for (i, (name, pts)) in series.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let mut points = String::new();
        for &(t, n) in pts {
            let _ = write!(points, "{:.1},{:.1} ", x(t), y(n as f64));
        }
        let _ = writeln!(
            s,
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\" points=\"{}\"/>\n\
             <text x=\"{}\" y=\"{}\" fill=\"{colour}\">{}</text>",
            points.trim_end(),
            left + 10.0,
            top + 16.0 * (i as f64 + 1.0),
            escape(name)
        );
    }
    s.push_str("</svg>\n");
    s
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(daemon: &str, sink: f64, bytes: f64) -> RunResult {
        RunResult {
            scenario: "ipv4".into(),
            daemon: daemon.into(),
            sink_secs: Some(sink),
            rib_secs: Some(sink / 2.0),
            bytes_per_route: bytes,
            ..RunResult::default()
        }
    }

    #[test]
    fn medians_ratios_and_outputs() {
        let ours = [run("ours", 3.0, 100.0), run("ours", 1.0, 120.0), run("ours", 2.0, 110.0)];
        let bird = [run("bird", 1.0, 55.0)];
        let mut rows = vec![
            row("ipv4", "ours", Ok("bgp-peer".into()), &ours),
            row("ipv4", "bird", Ok("BIRD 2.0.12".into()), &bird),
            row("ipv4", "gobgp", Err("gobgpd: not installed".into()), &[]),
        ];
        ratios(&mut rows);
        assert_eq!(rows[0].sink_secs, Some(2.0));
        assert_eq!(rows[0].bytes_per_route, Some(110.0));
        assert_eq!(rows[1].sink_x_ours, Some(0.5));
        assert_eq!(rows[1].bytes_x_ours, Some(0.5));
        let md = markdown(&rows);
        assert!(md.contains("| ipv4 | bird | 1 | 0.50 | 1.00 |"), "{md}");
        assert!(md.contains("not run: gobgpd: not installed"), "{md}");
        let plot = svg("t", &[("ours".into(), vec![(0.0, 0), (1.0, 10)])]);
        assert!(plot.starts_with("<svg") && plot.contains("<polyline"), "{plot}");
    }
}
