//! The full table the healthy session carries: one prefix a line, gzip or plain text.

use super::cases::is_test_prefix;
use ipnet::IpNet;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// Reads prefixes, one a line; refuses a line that is not a prefix (with its number), and
/// leaves out prefixes of the test ranges (returned as a count).
pub fn load(path: &Path, limit: Option<usize>) -> Result<(Vec<IpNet>, usize), String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::GzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut out = Vec::new();
    let mut skipped = 0;
    for (i, line) in BufReader::new(reader).lines().enumerate() {
        let line = line.map_err(|e| format!("{}: {e}", path.display()))?;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let p: IpNet =
            line.parse().map_err(|e| format!("{}:{}: {line:?}: {e}", path.display(), i + 1))?;
        if is_test_prefix(&p) {
            skipped += 1;
            continue;
        }
        out.push(p.trunc());
        if limit.is_some_and(|l| out.len() >= l) {
            break;
        }
    }
    Ok((out, skipped))
}
