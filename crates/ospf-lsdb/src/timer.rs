//! Timers as data: a table of `Option<Instant>` indexed by a small enum, as
//! quinn-proto keeps them. The engine's `poll_timeout` is the minimum over
//! every table it owns.

use std::time::Instant;

/// A fixed table of `N` optional deadlines indexed by `T as usize`.
#[derive(Debug, Clone)]
pub struct TimerTable<T, const N: usize> {
    deadlines: [Option<Instant>; N],
    _kind: std::marker::PhantomData<T>,
}

impl<T, const N: usize> Default for TimerTable<T, N> {
    fn default() -> Self {
        Self { deadlines: [None; N], _kind: std::marker::PhantomData }
    }
}

impl<T: Copy + Into<usize>, const N: usize> TimerTable<T, N> {
    /// Arms `timer` for `at`, replacing any earlier deadline.
    pub fn set(&mut self, timer: T, at: Instant) {
        if let Some(slot) = self.deadlines.get_mut(timer.into()) {
            *slot = Some(at);
        }
    }

    /// Disarms `timer`.
    pub fn stop(&mut self, timer: T) {
        if let Some(slot) = self.deadlines.get_mut(timer.into()) {
            *slot = None;
        }
    }

    /// The deadline of `timer`, if armed.
    #[must_use]
    pub fn get(&self, timer: T) -> Option<Instant> {
        self.deadlines.get(timer.into()).copied().flatten()
    }

    /// Whether `timer` is armed and due at `now`; a due timer is disarmed.
    pub fn expire(&mut self, timer: T, now: Instant) -> bool {
        match self.deadlines.get_mut(timer.into()) {
            Some(slot) if slot.is_some_and(|d| d <= now) => {
                *slot = None;
                true
            }
            _ => false,
        }
    }

    /// The earliest armed deadline.
    #[must_use]
    pub fn next(&self) -> Option<Instant> {
        self.deadlines.iter().flatten().min().copied()
    }

    /// Disarms every timer.
    pub fn clear(&mut self) {
        self.deadlines = [None; N];
    }
}

/// The earliest of two optional deadlines.
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
    use std::time::Duration;

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
    fn min_and_expiry() {
        let t0 = Instant::now();
        let mut t: TimerTable<T, 2> = TimerTable::default();
        assert_eq!(t.next(), None);
        t.set(T::A, t0 + Duration::from_secs(5));
        t.set(T::B, t0 + Duration::from_secs(2));
        assert_eq!(t.next(), Some(t0 + Duration::from_secs(2)));
        assert!(!t.expire(T::B, t0 + Duration::from_secs(1)), "early is a no-op");
        assert!(t.expire(T::B, t0 + Duration::from_secs(2)));
        assert_eq!(t.get(T::B), None);
        assert_eq!(t.next(), Some(t0 + Duration::from_secs(5)));
        t.stop(T::A);
        assert_eq!(t.next(), None);
        assert_eq!(earliest(Some(t0), None), Some(t0));
    }
}
