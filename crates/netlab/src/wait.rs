//! Bounded waits for a condition.

use std::time::{Duration, Instant};

use crate::{Error, Result};

/// Polls `condition` every `poll` until it returns true, for at most
/// `timeout`. This is a bounded wait for a state to be reached (a session to
/// come up, routes to arrive), not a measurement of speed.
///
/// # Errors
///
/// [`Error::Timeout`] naming `what` when the condition never held.
pub fn wait_until(
    timeout: Duration,
    poll: Duration,
    what: &str,
    mut condition: impl FnMut() -> bool,
) -> Result<()> {
    let start = Instant::now();
    loop {
        if condition() {
            return Ok(());
        }
        if start.elapsed() >= timeout {
            return Err(Error::Timeout { what: what.to_owned(), after: timeout });
        }
        std::thread::sleep(poll);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_once_condition_holds() {
        let mut calls = 0;
        let result = wait_until(Duration::from_secs(5), Duration::from_millis(1), "three", || {
            calls += 1;
            calls == 3
        });
        assert!(result.is_ok());
        assert_eq!(calls, 3);
    }

    #[test]
    fn times_out_with_the_condition_named() {
        let err =
            wait_until(Duration::from_millis(20), Duration::from_millis(5), "never", || false)
                .expect_err("the condition never holds");
        let text = err.to_string();
        assert!(text.contains("never") && text.contains("20ms"), "{text}");
    }
}
