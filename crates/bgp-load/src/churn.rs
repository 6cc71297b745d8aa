//! The recorded day of churn of `../shared/data`: `A <prefix>` (announce) or `W <prefix>`
//! (withdraw), one a line, in arrival order.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use flate2::read::GzDecoder;
use ipnet::IpNet;

use super::prefixes::LoadError;

/// The IPv4 updates of the day (1,393,421 lines).
pub const IPV4_CHURN_FILE: &str = "ris-rrc00-as3333-20260511-ipv4-churn.txt.gz";
/// The IPv6 updates of the day (1,238,235 lines).
pub const IPV6_CHURN_FILE: &str = "ris-rrc00-as3333-20260511-ipv6-churn.txt.gz";

/// One update of the churn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The prefix was announced (new, or with new attributes).
    Announce(IpNet),
    /// The prefix was withdrawn.
    Withdraw(IpNet),
}

/// Reads a churn file, at most `limit` events.
pub fn load(path: &Path, limit: Option<usize>) -> Result<Vec<Event>, LoadError> {
    let io = |source| LoadError::Io { path: path.to_owned(), source };
    let reader = BufReader::new(GzDecoder::new(File::open(path).map_err(io)?));
    let mut out = Vec::new();
    for (index, line) in reader.lines().enumerate() {
        if limit.is_some_and(|n| out.len() >= n) {
            break;
        }
        let line = line.map_err(io)?;
        let bad =
            || LoadError::Syntax { path: path.to_owned(), line: index + 1, text: line.clone() };
        let (kind, prefix) = match line.trim().split_once(' ') {
            Some(x) => x,
            None if line.trim().is_empty() => continue,
            None => return Err(bad()),
        };
        let p: IpNet = prefix.trim().parse().map_err(|_| bad())?;
        out.push(match kind {
            "A" => Event::Announce(p.trunc()),
            "W" => Event::Withdraw(p.trunc()),
            _ => return Err(bad()),
        });
    }
    Ok(out)
}
