//! Counting refused connections, so that a host hammering the listener costs one log line a
//! second rather than one per connection.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// At most one log line per this long.
pub const LOG_INTERVAL: Duration = Duration::from_secs(1);

/// Refused connections since the last log line.
#[derive(Debug, Default)]
pub struct Refusals {
    logged_at: Option<Instant>,
    since_log: u64,
    total: u64,
}

/// What a log line says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RefusalReport {
    /// Connections refused since the last line, this one included.
    pub count: u64,
    /// Connections refused since the start.
    pub total: u64,
    /// The address of this one.
    pub last: SocketAddr,
}

impl Refusals {
    /// Counts a refused connection from `remote`; returns what to log when a line is due
    /// (the first refusal, then at most one per [`LOG_INTERVAL`]).
    pub fn refused(&mut self, now: Instant, remote: SocketAddr) -> Option<RefusalReport> {
        self.since_log = self.since_log.saturating_add(1);
        self.total = self.total.saturating_add(1);
        let due = self.logged_at.is_none_or(|t| now.saturating_duration_since(t) >= LOG_INTERVAL);
        if !due {
            return None;
        }
        self.logged_at = Some(now);
        let count = std::mem::take(&mut self.since_log);
        Some(RefusalReport { count, total: self.total, last: remote })
    }

    /// Connections refused since the start.
    pub fn total(&self) -> u64 {
        self.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_a_second_with_the_count() {
        let t0 = Instant::now();
        let a: SocketAddr = "192.0.2.9:40000".parse().unwrap();
        let mut r = Refusals::default();
        assert_eq!(r.refused(t0, a), Some(RefusalReport { count: 1, total: 1, last: a }));
        // A thousand more within the second: no line.
        for i in 0..1000u64 {
            assert_eq!(r.refused(t0 + Duration::from_micros(i * 900), a), None);
        }
        // The next second's first refusal reports them all.
        let line = r.refused(t0 + LOG_INTERVAL, a).unwrap();
        assert_eq!((line.count, line.total), (1001, 1002));
        assert_eq!(r.total(), 1002);
        assert_eq!(r.refused(t0 + LOG_INTERVAL + Duration::from_millis(1), a), None);
    }
}
