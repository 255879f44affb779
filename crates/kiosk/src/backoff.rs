//! Capped exponential backoff with jitter, sans-IO: the caller supplies the random numbers, so a
//! seeded simulation is reproducible and a test can check the bounds.
//!
//! Delays double from `min` up to `max`; each delay is drawn uniformly from the upper half of the
//! current step ("equal jitter"), so many devices that lost central at the same moment do not all
//! come back in the same millisecond, yet none retries sooner than half a step.

use std::time::Duration;

/// Backoff state for one peer.
#[derive(Debug, Clone)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    failures: u32,
}

impl Backoff {
    /// A backoff from `min` to `max` (`min` is raised to 1 ms, `max` to at least `min`).
    pub fn new(min: Duration, max: Duration) -> Self {
        let min = min.max(Duration::from_millis(1));
        Self { min, max: max.max(min), failures: 0 }
    }

    /// Failures in a row so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Records a failure and returns how long to wait before the next try. `unit` is a random number
    /// in `[0, 1)`.
    pub fn on_failure(&mut self, unit: f64) -> Duration {
        let step = self.min.saturating_mul(1u32 << self.failures.min(20)).min(self.max);
        self.failures = self.failures.saturating_add(1);
        let unit = if unit.is_finite() { unit.clamp(0.0, 1.0) } else { 0.0 };
        step / 2 + step.mul_f64(unit / 2.0)
    }

    /// Records a success: the next failure starts from `min` again.
    pub fn on_success(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn doubles_up_to_the_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(1_000));
        assert_eq!(b.on_failure(1.0), Duration::from_millis(100));
        assert_eq!(b.on_failure(1.0), Duration::from_millis(200));
        assert_eq!(b.on_failure(1.0), Duration::from_millis(400));
        assert_eq!(b.on_failure(1.0), Duration::from_millis(800));
        assert_eq!(b.on_failure(1.0), Duration::from_millis(1_000));
        assert_eq!(b.on_failure(0.0), Duration::from_millis(500));
        b.on_success();
        assert_eq!(b.on_failure(0.0), Duration::from_millis(50));
    }

    proptest! {
        #[test]
        fn always_within_bounds(min in 1u64..10_000, extra in 0u64..100_000, units in proptest::collection::vec(any::<f64>(), 1..60)) {
            let max = min + extra;
            let mut b = Backoff::new(Duration::from_millis(min), Duration::from_millis(max));
            for u in units {
                let d = b.on_failure(u);
                prop_assert!(d <= Duration::from_millis(max));
                prop_assert!(d >= Duration::from_millis(min) / 2);
            }
        }
    }
}
