//! Timers as data: a table of deadlines indexed by a core's own enum of timers, as
//! quinn-proto keeps them. Nothing here reads a clock.

use std::time::{Duration, Instant};

/// `N` optional deadlines, one per timer `T` (`T` converts to its index, below `N`).
///
/// ```
/// use sansio::TimerTable;
/// use std::time::{Duration, Instant};
///
/// #[derive(Clone, Copy)]
/// enum Timer { Hold, Keepalive }
/// impl From<Timer> for usize {
///     fn from(t: Timer) -> usize { t as usize }
/// }
///
/// let t0 = Instant::now();
/// let mut t: TimerTable<Timer, 2> = TimerTable::default();
/// t.set_after(Timer::Hold, t0, Duration::from_secs(90));
/// t.set_after(Timer::Keepalive, t0, Duration::from_secs(30));
/// assert_eq!(t.next_deadline(), Some(t0 + Duration::from_secs(30)));
/// assert!(!t.expire(Timer::Keepalive, t0), "not yet due");
/// assert!(t.expire(Timer::Keepalive, t0 + Duration::from_secs(30)));
/// assert_eq!(t.next_deadline(), Some(t0 + Duration::from_secs(90)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerTable<T, const N: usize> {
    deadlines: [Option<Instant>; N],
    _kind: core::marker::PhantomData<T>,
}

impl<T, const N: usize> Default for TimerTable<T, N> {
    fn default() -> Self {
        Self { deadlines: [None; N], _kind: core::marker::PhantomData }
    }
}

impl<T: Copy + Into<usize>, const N: usize> TimerTable<T, N> {
    /// Starts (or restarts) `timer` to fire at `at`.
    pub fn set(&mut self, timer: T, at: Instant) {
        if let Some(slot) = self.deadlines.get_mut(timer.into()) {
            *slot = Some(at);
        }
    }

    /// Starts (or restarts) `timer` to fire `after` `now`. A deadline the clock cannot
    /// represent is never reached, so the timer is stopped instead of overflowing.
    pub fn set_after(&mut self, timer: T, now: Instant, after: Duration) {
        if let Some(slot) = self.deadlines.get_mut(timer.into()) {
            *slot = now.checked_add(after);
        }
    }

    /// Stops `timer`.
    pub fn stop(&mut self, timer: T) {
        if let Some(slot) = self.deadlines.get_mut(timer.into()) {
            *slot = None;
        }
    }

    /// Stops every timer.
    pub fn stop_all(&mut self) {
        self.deadlines = [None; N];
    }

    /// The deadline of `timer`, if running.
    #[must_use]
    pub fn get(&self, timer: T) -> Option<Instant> {
        self.deadlines.get(timer.into()).copied().flatten()
    }

    /// Whether `timer` is running.
    #[must_use]
    pub fn is_running(&self, timer: T) -> bool {
        self.get(timer).is_some()
    }

    /// If `timer` is due at `now`, stops it and returns true. A timer not yet due is left
    /// alone, so calling early changes nothing.
    pub fn expire(&mut self, timer: T, now: Instant) -> bool {
        match self.deadlines.get_mut(timer.into()) {
            Some(slot) if slot.is_some_and(|d| d <= now) => {
                *slot = None;
                true
            }
            _ => false,
        }
    }

    /// The earliest deadline of any running timer.
    #[must_use]
    pub fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.iter().flatten().min().copied()
    }
}

/// The earlier of two optional deadlines.
#[must_use]
pub fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy)]
    enum T {
        A,
        B,
    }

    impl From<T> for usize {
        fn from(t: T) -> usize {
            t as usize
        }
    }

    #[test]
    fn minimum_expiry_and_stop() {
        let t0 = Instant::now();
        let mut t: TimerTable<T, 2> = TimerTable::default();
        assert_eq!(t.next_deadline(), None);
        t.set(T::A, t0 + Duration::from_secs(5));
        t.set(T::B, t0 + Duration::from_secs(2));
        assert_eq!(t.next_deadline(), Some(t0 + Duration::from_secs(2)));
        assert!(!t.expire(T::B, t0 + Duration::from_secs(1)), "early is a no-op");
        assert!(t.is_running(T::B));
        assert!(t.expire(T::B, t0 + Duration::from_secs(2)));
        assert!(!t.expire(T::B, t0 + Duration::from_secs(3)), "once");
        assert_eq!(t.get(T::B), None);
        assert_eq!(t.next_deadline(), Some(t0 + Duration::from_secs(5)));
        t.stop(T::A);
        assert_eq!(t.next_deadline(), None);
        t.set(T::A, t0);
        t.stop_all();
        assert_eq!(t.next_deadline(), None);
        assert_eq!(earliest(Some(t0), None), Some(t0));
        assert_eq!(earliest(None, Some(t0)), Some(t0));
    }

    #[test]
    fn a_deadline_past_the_clock_range_never_fires() {
        let t0 = Instant::now();
        let mut t: TimerTable<T, 2> = TimerTable::default();
        t.set_after(T::A, t0, Duration::from_secs(30));
        assert_eq!(t.get(T::A), Some(t0 + Duration::from_secs(30)));
        t.set_after(T::A, t0, Duration::MAX);
        assert_eq!(t.get(T::A), None);
    }
}
