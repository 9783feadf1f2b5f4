//! How transient failures are retried: a time budget and jittered exponential backoff.

use std::time::Duration;

/// How transient failures are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total time budget from the first attempt; no sleep goes past it.
    pub max_duration: Duration,
    /// Delay before the first retry (before jitter); doubles per retry.
    pub base_delay: Duration,
    /// Upper bound of one delay.
    pub max_delay: Duration,
    /// `false` = a single attempt.
    pub enabled: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_duration: Duration::from_secs(120),
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            enabled: true,
        }
    }
}

/// First backoff (before jitter) after a 429; see [`RetryPolicy::delay_after`].
pub const THROTTLED_BASE_DELAY: Duration = Duration::from_millis(50);

/// A retry budget that is not a number of seconds `>= 0`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("retry_duration_seconds must be 0 or more, got {0}")]
pub struct NegativeRetryBudget(pub i64);

impl RetryPolicy {
    /// The default policy with a budget of `budget_seconds` (0 = no retries) unless
    /// `disabled` is true. A negative budget is an error: every call stays bounded.
    pub fn from_budget(
        budget_seconds: Option<i64>,
        disabled: bool,
    ) -> Result<Self, NegativeRetryBudget> {
        let mut policy = RetryPolicy::default();
        if let Some(seconds) = budget_seconds {
            let seconds = u64::try_from(seconds).map_err(|_| NegativeRetryBudget(seconds))?;
            policy.max_duration = Duration::from_secs(seconds);
        }
        if disabled {
            policy.enabled = false;
        }
        Ok(policy)
    }

    /// The jittered delay before retry number `retry` (1-based): half of the exponential
    /// delay `base·2^(retry-1)` (capped at `max_delay`) plus a random part up to the other half.
    pub fn delay(&self, retry: u32) -> Duration {
        self.backoff(self.base_delay, retry)
    }

    /// The delay before retry number `retry` of a request that failed with `status`. After a
    /// 429 the backoff starts from [`THROTTLED_BASE_DELAY`] instead of `base_delay`: the
    /// process's shared rate limiter (`limiter.rs`) has already lowered the rate of every
    /// request, so the throttled one waits for its slot there rather than also sitting out a
    /// second-long delay meant for failures (which made a 429 storm three times slower than
    /// the rate allows). Repeated 429s of one request still back off exponentially.
    pub fn delay_after(&self, status: u16, retry: u32) -> Duration {
        if status == 429 {
            self.backoff(THROTTLED_BASE_DELAY.min(self.base_delay), retry)
        } else {
            self.delay(retry)
        }
    }

    fn backoff(&self, base: Duration, retry: u32) -> Duration {
        let exponential = base.saturating_mul(1u32 << retry.saturating_sub(1).min(20));
        let capped = exponential.min(self.max_delay);
        let half = capped / 2;
        let jitter_ms = fastrand::u64(0..=half.as_millis() as u64);
        half + Duration::from_millis(jitter_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy() {
        let p = RetryPolicy::default();
        assert_eq!(
            (p.max_duration, p.base_delay, p.max_delay, p.enabled),
            (
                Duration::from_secs(120),
                Duration::from_secs(1),
                Duration::from_secs(30),
                true
            )
        );
        assert!(!RetryPolicy::from_budget(None, true).unwrap().enabled);
    }

    #[test]
    fn budgets() {
        assert_eq!(
            RetryPolicy::from_budget(Some(5), false)
                .unwrap()
                .max_duration,
            Duration::from_secs(5)
        );
        assert_eq!(
            RetryPolicy::from_budget(Some(0), false)
                .unwrap()
                .max_duration,
            Duration::ZERO
        );
        assert_eq!(
            RetryPolicy::from_budget(Some(-1), false).unwrap_err(),
            NegativeRetryBudget(-1)
        );
    }

    #[test]
    fn throttled_requests_back_off_from_50_ms_others_from_the_base_delay() {
        let p = RetryPolicy::default();
        for _ in 0..200 {
            let t1 = p.delay_after(429, 1);
            assert!(
                t1 >= Duration::from_millis(25) && t1 <= Duration::from_millis(50),
                "{t1:?}"
            );
            let t4 = p.delay_after(429, 4);
            assert!(
                t4 >= Duration::from_millis(200) && t4 <= Duration::from_millis(400),
                "{t4:?}"
            );
            assert!(
                p.delay_after(429, 40) >= Duration::from_secs(15),
                "still capped"
            );
            let other = p.delay_after(503, 1);
            assert!(other >= Duration::from_millis(500), "{other:?}");
        }
        // A policy with a smaller base keeps it for 429s too.
        let fast = RetryPolicy {
            base_delay: Duration::from_millis(10),
            ..p
        };
        assert!(fast.delay_after(429, 1) <= Duration::from_millis(10));
    }

    #[test]
    fn delays_grow_are_jittered_and_capped() {
        let p = RetryPolicy::default();
        for _ in 0..200 {
            let d1 = p.delay(1);
            assert!(
                d1 >= Duration::from_millis(500) && d1 <= Duration::from_secs(1),
                "{d1:?}"
            );
            let d3 = p.delay(3);
            assert!(
                d3 >= Duration::from_secs(2) && d3 <= Duration::from_secs(4),
                "{d3:?}"
            );
            let d40 = p.delay(40);
            assert!(
                d40 >= Duration::from_secs(15) && d40 <= Duration::from_secs(30),
                "{d40:?}"
            );
        }
    }
}
