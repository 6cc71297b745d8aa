//! # sansio-tokio
//!
//! The tokio side of the runtime contract every adapter of the family (`bgp-tokio`,
//! `ospf-tokio`, `bfd-tokio`) follows: time is tokio's clock ([`now`], which tests can
//! pause), and the core's `poll_timeout` arms one [`Deadline`] per core.
//!
//! The sleep is reset only when the deadline moves (or after it fired), and a wake-up is
//! checked against the clock before the core is told the time has come: a timer that fires
//! early must not make the adapter call `handle_timeout` with a deadline still in the future
//! (harmless for the core, but the adapter would then spin).
#![deny(unsafe_code)]
#![warn(missing_docs)]

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;
use tokio::time::Sleep;

/// The current time on tokio's clock (which tests may pause), as a `std` instant.
pub fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// A re-armable deadline.
#[derive(Debug)]
pub struct Deadline {
    sleep: Pin<Box<Sleep>>,
    armed: Option<Instant>,
    /// The sleep completed; it must be reset before it is polled again.
    fired: bool,
    resets: u64,
}

impl Default for Deadline {
    fn default() -> Deadline {
        Deadline::new()
    }
}

impl Deadline {
    /// A deadline with nothing armed.
    pub fn new() -> Deadline {
        Deadline {
            sleep: Box::pin(tokio::time::sleep_until(tokio::time::Instant::now())),
            armed: None,
            fired: true,
            resets: 0,
        }
    }

    /// Arms for `at` (or disarms with `None`); the underlying sleep is reset only when the
    /// instant differs from the one armed, or the previous one already fired.
    pub fn set(&mut self, at: Option<Instant>) {
        match at {
            None => self.armed = None,
            Some(t) => {
                if self.armed != Some(t) || self.fired {
                    self.sleep.as_mut().reset(tokio::time::Instant::from_std(t));
                    self.fired = false;
                    self.resets += 1;
                }
                self.armed = Some(t);
            }
        }
    }

    /// The instant armed.
    pub fn armed(&self) -> Option<Instant> {
        self.armed
    }

    /// How many times the sleep was reset (for tests and statistics).
    pub fn resets(&self) -> u64 {
        self.resets
    }

    /// Waits until the armed instant has been reached by the clock; pending forever when
    /// nothing is armed. Returns the current time.
    pub fn wait(&mut self) -> Wait<'_> {
        Wait { deadline: self }
    }
}

/// The future of [`Deadline::wait`].
#[derive(Debug)]
pub struct Wait<'a> {
    deadline: &'a mut Deadline,
}

impl Deadline {
    /// The poll form of [`Deadline::wait`], for adapters that poll the deadline beside their
    /// sockets: ready with the current time once the armed instant has been reached.
    pub fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        loop {
            let Some(at) = self.armed else {
                return Poll::Pending;
            };
            if self.fired {
                self.sleep.as_mut().reset(tokio::time::Instant::from_std(at));
                self.fired = false;
                self.resets += 1;
            }
            match self.sleep.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(()) => {
                    self.fired = true;
                    let t = now();
                    // The sleep says it is time; the clock decides.
                    if t >= at {
                        return Poll::Ready(t);
                    }
                }
            }
        }
    }
}

impl Future for Wait<'_> {
    type Output = Instant;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Instant> {
        self.deadline.poll_wait(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn rearmed_only_when_the_deadline_moves() {
        let mut d = Deadline::new();
        let at = now() + Duration::from_secs(3);
        d.set(Some(at));
        d.set(Some(at));
        d.set(Some(at));
        assert_eq!(d.resets(), 1);
        d.set(Some(at + Duration::from_secs(1)));
        assert_eq!(d.resets(), 2);
        let woke = d.wait().await;
        assert!(woke >= at + Duration::from_secs(1));
        // Same instant after firing: reset again, and it is ready at once.
        d.set(Some(at + Duration::from_secs(1)));
        assert_eq!(d.resets(), 3);
        let again = d.wait().await;
        assert!(again >= at);
    }

    #[tokio::test(start_paused = true)]
    async fn disarmed_never_wakes() {
        let mut d = Deadline::new();
        d.set(None);
        let r = tokio::time::timeout(Duration::from_secs(3600), d.wait()).await;
        assert!(r.is_err());
        assert_eq!(d.armed(), None);
    }
}
