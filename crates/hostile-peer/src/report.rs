//! One line per case, and a Markdown table.

use crate::bgp::runner::CaseResult;

/// `case  expected  observed  PASS|FAIL  [health notes]`.
pub fn line(r: &CaseResult) -> String {
    let verdict = if r.pass { "PASS" } else { "FAIL" };
    let mut s = format!(
        "{:<38} expected: {:<44} observed: {:<44} {verdict}",
        r.name,
        r.expected,
        r.observed.to_string()
    );
    if !r.health.is_empty() {
        s.push_str(&format!("  [{}]", r.health.join("; ")));
    }
    s
}

/// A Markdown table of the results.
pub fn markdown(results: &[CaseResult]) -> String {
    let mut s = String::from("| case | expected | observed | result |\n|---|---|---|---|\n");
    for r in results {
        let mut observed = r.observed.to_string();
        if !r.health.is_empty() {
            observed.push_str(&format!(" ({})", r.health.join("; ")));
        }
        let verdict = if r.pass { "pass" } else { "**fail**" };
        s.push_str(&format!("| `{}` | {} | {} | {verdict} |\n", r.name, r.expected, observed));
    }
    s
}
